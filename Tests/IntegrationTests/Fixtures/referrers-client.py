#!/usr/bin/env python3
"""An independent OCI distribution-spec client for the referrers tests (standard library only).

  referrers-client.py attach HOST REPO SUBJECT_DIGEST SUBJECT_MEDIA_TYPE SUBJECT_SIZE ARTIFACT_TYPE PAYLOAD
      pushes an OCI 1.1 artifact (empty config, one layer holding PAYLOAD) whose subject is the given manifest,
      and, when the registry does not answer with OCI-Subject, adds it to the subject's sha256-<hex> tag index;
      prints the artifact's digest.
  referrers-client.py list HOST REPO SUBJECT_DIGEST
      prints "DIGEST ARTIFACT_TYPE" per referrer (referrers API, else the tag schema), checking each manifest's
      digest and subject.
  referrers-client.py payload HOST REPO ARTIFACT_DIGEST
      writes the artifact's first layer blob to stdout, after checking the blob's digest.
"""
import hashlib
import json
import sys
import urllib.error
import urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY = "application/vnd.oci.empty.v1+json"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def push_blob(base, repo, data):
    digest = sha256(data)
    status, _, _ = request("HEAD", f"{base}/v2/{repo}/blobs/{digest}")
    if status == 200:
        return digest
    status, headers, body = request("POST", f"{base}/v2/{repo}/blobs/uploads/")
    assert status == 202, (status, body)
    location = headers["Location"]
    if location.startswith("/"):
        location = base + location
    separator = "&" if "?" in location else "?"
    status, _, body = request("PUT", f"{location}{separator}digest={digest}", data,
                              {"Content-Type": "application/octet-stream"})
    assert status == 201, (status, body)
    return digest


def put_manifest(base, repo, reference, data, media_type):
    status, headers, body = request("PUT", f"{base}/v2/{repo}/manifests/{reference}", data, {"Content-Type": media_type})
    assert status == 201, (status, body)
    return headers


def get_manifest(base, repo, reference, accept):
    status, headers, body = request("GET", f"{base}/v2/{repo}/manifests/{reference}", headers={"Accept": accept})
    return status, body


def tag_index(base, repo, subject):
    status, body = get_manifest(base, repo, subject.replace(":", "-"), OCI_INDEX)
    if status == 404:
        return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    assert status == 200, (status, body)
    return json.loads(body)


def referrers(base, repo, subject):
    status, _, body = request("GET", f"{base}/v2/{repo}/referrers/{subject}", headers={"Accept": OCI_INDEX})
    if status == 200:
        return json.loads(body)["manifests"]
    return tag_index(base, repo, subject)["manifests"]


def attach(host, repo, subject, subject_type, subject_size, artifact_type, payload):
    base = f"http://{host}"
    config = push_blob(base, repo, b"{}")
    layer_bytes = payload.encode()
    layer = push_blob(base, repo, layer_bytes)
    manifest = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
        "config": {"mediaType": EMPTY, "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.example.payload", "digest": layer, "size": len(layer_bytes)}],
        "subject": {"mediaType": subject_type, "digest": subject, "size": int(subject_size)},
        "annotations": {"org.example.payload": payload},
    }
    data = json.dumps(manifest, separators=(",", ":")).encode()
    digest = sha256(data)
    headers = put_manifest(base, repo, digest, data, OCI_MANIFEST)
    if "OCI-Subject" not in headers:
        index = tag_index(base, repo, subject)
        index["manifests"] = [m for m in index["manifests"] if m["digest"] != digest] + [{
            "mediaType": OCI_MANIFEST, "digest": digest, "size": len(data), "artifactType": artifact_type,
            "annotations": manifest["annotations"]}]
        put_manifest(base, repo, subject.replace(":", "-"), json.dumps(index).encode(), OCI_INDEX)
    print(digest)


def list_referrers(host, repo, subject):
    base = f"http://{host}"
    for entry in referrers(base, repo, subject):
        status, body = get_manifest(base, repo, entry["digest"], OCI_MANIFEST)
        assert status == 200, (status, body)
        assert sha256(body) == entry["digest"], "digest mismatch"
        assert json.loads(body)["subject"]["digest"] == subject, "wrong subject"
        print(entry["digest"], entry.get("artifactType", ""))


def payload(host, repo, artifact):
    base = f"http://{host}"
    status, body = get_manifest(base, repo, artifact, OCI_MANIFEST)
    assert status == 200, (status, body)
    layer = json.loads(body)["layers"][0]
    status, _, blob = request("GET", f"{base}/v2/{repo}/blobs/{layer['digest']}")
    assert status == 200 and sha256(blob) == layer["digest"], "blob digest mismatch"
    sys.stdout.buffer.write(blob)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "attach":
        attach(*sys.argv[2:9])
    elif command == "list":
        list_referrers(*sys.argv[2:5])
    elif command == "payload":
        payload(*sys.argv[2:5])
    else:
        sys.exit("unknown command " + command)
