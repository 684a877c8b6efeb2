#!/usr/bin/env python3
"""Reads BuildKit-style build attestations back without Strata and checks them against the published formats.

  attestation-check.py registry HOST REPO TAG OUTDIR
  attestation-check.py layout DIR OUTDIR
      reads the index the tag (or the layout's only index.json entry) names over plain HTTP GETs or files, checking
      every manifest and blob against its digest; for each attestation entry (platform unknown/unknown, annotations
      vnd.docker.reference.type=attestation-manifest and vnd.docker.reference.digest=<an image entry>), reads the
      artifact manifest (subject = that image) and its in-toto layers; each statement is parsed with the in-toto
      attestation framework's Statement v1 model and validated, its subjects must carry the image's digest, and an
      SLSA v1 predicate must parse as the framework's Provenance message. Writes each predicate to
      OUTDIR/<os>-<arch>.<provenance|sbom>.json and prints a JSON summary:
      {"images": {"linux/amd64": DIGEST, ...}, "attestations": {"linux/amd64": {"digest": D, "predicates": [TYPE, ...]}}}
Exits non-zero with a one-line reason on any failure.
"""
import hashlib
import json
import os
import sys
import urllib.request

from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
SLSA_V1 = "https://slsa.dev/provenance/v1"
SPDX = "https://spdx.dev/Document"


def fail(message):
    sys.stderr.write("attestation-check: " + message + "\n")
    sys.exit(1)


def checked(data, digest):
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    if actual != digest:
        fail(f"{digest} has digest {actual}")
    return data


class Registry:
    def __init__(self, host, repo):
        self.base = f"http://{host}/v2/{repo}"

    def get(self, path, accept=None):
        request = urllib.request.Request(self.base + "/" + path, headers={"Accept": accept} if accept else {})
        with urllib.request.urlopen(request) as response:
            return response.read()

    def top(self, tag):
        return self.get("manifests/" + tag, OCI_INDEX)

    def manifest(self, digest):
        return checked(self.get("manifests/" + digest, OCI_MANIFEST), digest)

    def blob(self, digest):
        return checked(self.get("blobs/" + digest), digest)


class Layout:
    def __init__(self, root):
        self.root = root

    def top(self, _):
        entries = json.load(open(os.path.join(self.root, "index.json")))["manifests"]
        if len(entries) != 1:
            fail(f"index.json has {len(entries)} entries")
        return self.blob(entries[0]["digest"])

    def blob(self, digest):
        algorithm, encoded = digest.split(":", 1)
        return checked(open(os.path.join(self.root, "blobs", algorithm, encoded), "rb").read(), digest)

    manifest = blob


def main():
    if sys.argv[1] == "registry":
        source, tag, outdir = Registry(sys.argv[2], sys.argv[3]), sys.argv[4], sys.argv[5]
    else:
        source, tag, outdir = Layout(sys.argv[2]), None, sys.argv[3]
    index = json.loads(source.top(tag))
    if index.get("mediaType") != OCI_INDEX:
        fail(f"not an OCI index: {index.get('mediaType')}")
    images, attestations = {}, {}
    for entry in index["manifests"]:
        platform = entry.get("platform") or {}
        if platform.get("os") != "unknown":
            images[entry["digest"]] = platform["os"] + "/" + platform["architecture"]
    for entry in index["manifests"]:
        annotations = entry.get("annotations") or {}
        if annotations.get("vnd.docker.reference.type") != "attestation-manifest":
            continue
        if entry.get("platform") != {"architecture": "unknown", "os": "unknown"}:
            fail(f"attestation entry {entry['digest']} has platform {entry.get('platform')}")
        subject = annotations.get("vnd.docker.reference.digest")
        if subject not in images:
            fail(f"attestation entry {entry['digest']} names {subject}, no image of the index")
        manifest = json.loads(source.manifest(entry["digest"]))
        if (manifest.get("subject") or {}).get("digest") != subject:
            fail(f"attestation manifest {entry['digest']} has subject {manifest.get('subject')}")
        platform = images[subject]
        predicates = []
        for layer in manifest["layers"]:
            if layer["mediaType"] != "application/vnd.in-toto+json":
                fail(f"attestation layer of media type {layer['mediaType']}")
            predicate_type = (layer.get("annotations") or {}).get("in-toto.io/predicate-type")
            statement = json.loads(source.blob(layer["digest"]))
            if statement.get("predicateType") != predicate_type:
                fail(f"statement predicateType {statement.get('predicateType')} under annotation {predicate_type}")
            parsed = json_format.ParseDict(statement, statement_pb2.Statement())
            Statement.copy_from_pb(parsed).validate()
            for item in statement["subject"]:
                if "sha256:" + item["digest"]["sha256"] != subject:
                    fail(f"statement subject {item} is not the image {subject}")
            kind = "sbom"
            if predicate_type == SLSA_V1:
                kind = "provenance"
                provenance = json_format.ParseDict(statement["predicate"], provenance_pb2.Provenance(),
                                                   ignore_unknown_fields=True)
                if not provenance.build_definition.build_type or not provenance.run_details.metadata.invocation_id:
                    fail("provenance without buildType or invocationId")
            elif predicate_type != SPDX:
                fail(f"unexpected predicate type {predicate_type}")
            name = platform.replace("/", "-") + "." + kind + ".json"
            with open(os.path.join(outdir, name), "w") as out:
                json.dump(statement["predicate"], out, indent=2)
            predicates.append(predicate_type)
        attestations[platform] = {"digest": entry["digest"], "predicates": predicates}
    print(json.dumps({"images": {platform: digest for digest, platform in images.items()}, "attestations": attestations},
                     sort_keys=True))


main()
