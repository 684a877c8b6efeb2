#!/usr/bin/env python3
"""An independent implementation of cosign's published formats, written for Strata's tests from the specs, not from
Strata's code: the encrypted private key (scrypt + NaCl secretbox, PEM "ENCRYPTED SIGSTORE PRIVATE KEY"), the simple
signing payload, ECDSA P-256/SHA-256 signatures, and the `sha256-<hex>.sig` tag scheme on an OCI distribution
registry (plain HTTP, no auth). Uses PyNaCl and `cryptography` only.

  genkey DIR PASSPHRASE                       -> DIR/cosign.key, DIR/cosign.pub
  decrypt KEYFILE PASSPHRASE                  -> prints the public key PEM of the decrypted private key
  sign HOST REPO TAG KEYFILE PASSPHRASE [REF [DIGEST]]
                                              -> appends a signature (identity REF, default HOST/REPO:TAG; claimed
                                                 digest DIGEST, default the tag's)
  many HOST REPO TAG KEYFILE PASSPHRASE N     -> writes N signatures (distinct annotations) in one .sig manifest
  verify HOST REPO TAG PUBFILE                -> prints each verified payload; exit 1 when none verifies
  tamper HOST REPO TAG (payload|signature|base64)
                                              -> rewrites the first signature layer's payload or signature, or
                                                 makes the signature text not base64
  bundles HOST REPO TAG PUBFILE               -> finds Sigstore bundle referrers through the referrers API, parses each
                                                 with sigstore-protobuf-specs and checks its DSSE signature; prints the
                                                 number verified, exit 1 when none
"""
import base64, hashlib, json, os, sys, urllib.error, urllib.request

import nacl.bindings, nacl.secret, nacl.utils
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SIMPLE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIG_ANNOTATION = "dev.cosignproject.cosign/signature"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def pem(kind, der):
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (kind, "\n".join(lines), kind)


def unpem(text):
    lines = [l.strip() for l in text.strip().splitlines()]
    if not lines or not lines[0].startswith("-----BEGIN ") or not lines[-1].startswith("-----END "):
        raise SystemExit("not PEM")
    return lines[0][11:-5], base64.b64decode("".join(lines[1:-1]))


def scrypt_key(passphrase, salt, n, r, p):
    return nacl.bindings.crypto_pwhash_scryptsalsa208sha256_ll(passphrase, salt, n, r, p, dklen=32, maxmem=512 * 1024 * 1024)


def encrypt_key(der, passphrase):
    salt, nonce = os.urandom(32), os.urandom(24)
    key = scrypt_key(passphrase, salt, 32768, 8, 1)
    sealed = nacl.secret.SecretBox(key).encrypt(der, nonce).ciphertext
    body = {"kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
            "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
            "ciphertext": base64.b64encode(sealed).decode()}
    return pem("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(body).encode())


def decrypt_key(text, passphrase):
    kind, raw = unpem(text)
    if kind not in ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"):
        raise SystemExit("unexpected PEM type " + kind)
    body = json.loads(raw)
    assert body["kdf"]["name"] == "scrypt" and body["cipher"]["name"] == "nacl/secretbox"
    params = body["kdf"]["params"]
    key = scrypt_key(passphrase, base64.b64decode(body["kdf"]["salt"]), params["N"], params["r"], params["p"])
    der = nacl.secret.SecretBox(key).decrypt(base64.b64decode(body["ciphertext"]), base64.b64decode(body["cipher"]["nonce"]))
    return serialization.load_der_private_key(der, password=None)


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def manifest_digest(host, repo, tag):
    status, headers, body = request("GET", "http://%s/v2/%s/manifests/%s" % (host, repo, tag),
                                    headers={"Accept": ", ".join([OCI_MANIFEST, "application/vnd.oci.image.index.v1+json",
                                                                  "application/vnd.docker.distribution.manifest.v2+json",
                                                                  "application/vnd.docker.distribution.manifest.list.v2+json"])})
    if status != 200:
        raise SystemExit("manifest %s: HTTP %d" % (tag, status))
    return "sha256:" + hashlib.sha256(body).hexdigest()


def sig_tag(digest):
    return digest.replace(":", "-") + ".sig"


def get_signature_manifest(host, repo, digest):
    status, _, body = request("GET", "http://%s/v2/%s/manifests/%s" % (host, repo, sig_tag(digest)), headers={"Accept": OCI_MANIFEST})
    return json.loads(body) if status == 200 else None


def get_blob(host, repo, digest):
    status, _, body = request("GET", "http://%s/v2/%s/blobs/%s" % (host, repo, digest))
    if status != 200 or "sha256:" + hashlib.sha256(body).hexdigest() != digest:
        raise SystemExit("blob %s: HTTP %d or digest mismatch" % (digest, status))
    return body


def put_blob(host, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, _ = request("POST", "http://%s/v2/%s/blobs/uploads/" % (host, repo))
    if status != 202:
        raise SystemExit("upload start: HTTP %d" % status)
    location = headers.get("Location") or headers.get("location")
    if location.startswith("/"):
        location = "http://" + host + location
    location += ("&" if "?" in location else "?") + "digest=" + digest
    status, _, _ = request("PUT", location, data=data, headers={"Content-Type": "application/octet-stream"})
    if status != 201:
        raise SystemExit("upload: HTTP %d" % status)
    return {"mediaType": "application/octet-stream", "digest": digest, "size": len(data)}


def put_signature_manifest(host, repo, digest, layers, blobs):
    for data in blobs:
        put_blob(host, repo, data)
    config = json.dumps({"architecture": "", "os": "", "config": {}, "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode()
    cfg = put_blob(host, repo, config)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg["digest"], "size": cfg["size"]},
                "layers": layers}
    status, _, body = request("PUT", "http://%s/v2/%s/manifests/%s" % (host, repo, sig_tag(digest)),
                              data=json.dumps(manifest).encode(), headers={"Content-Type": OCI_MANIFEST})
    if status != 201:
        raise SystemExit("manifest put: HTTP %d %s" % (status, body))


def main(argv):
    command = argv[1]
    if command == "genkey":
        directory, passphrase = argv[2], argv[3].encode()
        private = ec.generate_private_key(ec.SECP256R1())
        der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        with open(os.path.join(directory, "cosign.key"), "w") as f:
            f.write(encrypt_key(der, passphrase))
        with open(os.path.join(directory, "cosign.pub"), "wb") as f:
            f.write(private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    elif command == "decrypt":
        private = decrypt_key(open(argv[2]).read(), argv[3].encode())
        sys.stdout.write(private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
    elif command == "sign":
        host, repo, tag, keyfile, passphrase = argv[2:7]
        identity = argv[7] if len(argv) > 7 else "%s/%s:%s" % (host, repo, tag)
        private = decrypt_key(open(keyfile).read(), passphrase.encode())
        digest = manifest_digest(host, repo, tag)
        claimed = argv[8] if len(argv) > 8 else digest
        payload = json.dumps({"critical": {"identity": {"docker-reference": identity}, "image": {"docker-manifest-digest": claimed},
                                           "type": "cosign container image signature"}, "optional": None}).encode()
        signature = base64.b64encode(private.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
        existing = get_signature_manifest(host, repo, digest)
        layers = existing["layers"] if existing else []
        blobs = [get_blob(host, repo, l["digest"]) for l in layers]
        layers.append({"mediaType": SIMPLE, "digest": "sha256:" + hashlib.sha256(payload).hexdigest(), "size": len(payload),
                       "annotations": {SIG_ANNOTATION: signature}})
        put_signature_manifest(host, repo, digest, layers, blobs + [payload])
        print(digest)
    elif command == "many":
        host, repo, tag, keyfile, passphrase, count = argv[2:8]
        private = decrypt_key(open(keyfile).read(), passphrase.encode())
        digest = manifest_digest(host, repo, tag)
        layers, blobs = [], []
        for i in range(int(count)):
            payload = json.dumps({"critical": {"identity": {"docker-reference": "%s/%s:%s" % (host, repo, tag)},
                                               "image": {"docker-manifest-digest": digest}, "type": "cosign container image signature"},
                                  "optional": {"n": str(i)}}).encode()
            signature = base64.b64encode(private.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
            layers.append({"mediaType": SIMPLE, "digest": "sha256:" + hashlib.sha256(payload).hexdigest(), "size": len(payload),
                           "annotations": {SIG_ANNOTATION: signature}})
            blobs.append(payload)
        put_signature_manifest(host, repo, digest, layers, blobs)
    elif command == "verify":
        host, repo, tag, pubfile = argv[2:6]
        public = serialization.load_pem_public_key(open(pubfile, "rb").read())
        digest = manifest_digest(host, repo, tag)
        manifest = get_signature_manifest(host, repo, digest)
        verified = 0
        for layer in (manifest or {}).get("layers", []):
            payload = get_blob(host, repo, layer["digest"])
            try:
                public.verify(base64.b64decode(layer["annotations"][SIG_ANNOTATION]), payload, ec.ECDSA(hashes.SHA256()))
            except (InvalidSignature, ValueError):
                continue
            claim = json.loads(payload)
            if claim["critical"]["image"]["docker-manifest-digest"] != digest:
                continue
            verified += 1
            print(claim["critical"]["identity"]["docker-reference"])
        sys.exit(0 if verified else 1)
    elif command == "tamper":
        host, repo, tag, what = argv[2:6]
        digest = manifest_digest(host, repo, tag)
        manifest = get_signature_manifest(host, repo, digest)
        layers = manifest["layers"]
        blobs = [get_blob(host, repo, l["digest"]) for l in layers]
        if what == "payload":
            blobs[0] = blobs[0].replace(b"cosign container image signature", b"cosign container image signaturE")
            layers[0]["digest"] = "sha256:" + hashlib.sha256(blobs[0]).hexdigest()
            layers[0]["size"] = len(blobs[0])
        elif what == "base64":
            layers[0]["annotations"][SIG_ANNOTATION] = "%%%not-base64%%%"
        else:
            raw = bytearray(base64.b64decode(layers[0]["annotations"][SIG_ANNOTATION]))
            raw[-1] ^= 1
            layers[0]["annotations"][SIG_ANNOTATION] = base64.b64encode(bytes(raw)).decode()
        put_signature_manifest(host, repo, digest, layers, blobs)
    elif command == "bundles":
        from sigstore_protobuf_specs.dev.sigstore.bundle.v1 import Bundle
        host, repo, tag, pubfile = argv[2:6]
        public = serialization.load_pem_public_key(open(pubfile, "rb").read())
        digest = manifest_digest(host, repo, tag)
        status, _, body = request("GET", "http://%s/v2/%s/referrers/%s" % (host, repo, digest))
        if status != 200:
            raise SystemExit("referrers: HTTP %d" % status)
        verified = 0
        for entry in json.loads(body)["manifests"]:
            if entry.get("artifactType") != "application/vnd.dev.sigstore.bundle.v0.3+json":
                continue
            status, _, raw = request("GET", "http://%s/v2/%s/manifests/%s" % (host, repo, entry["digest"]), headers={"Accept": OCI_MANIFEST})
            manifest = json.loads(raw)
            assert manifest["subject"]["digest"] == digest and manifest["artifactType"] == entry["artifactType"]
            bundle = Bundle.from_dict(json.loads(get_blob(host, repo, manifest["layers"][0]["digest"])))
            envelope = bundle.dsse_envelope
            pae = b"DSSEv1 %d %s %d %s" % (len(envelope.payload_type), envelope.payload_type.encode(), len(envelope.payload), envelope.payload)
            try:
                public.verify(envelope.signatures[0].sig, pae, ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                continue
            if json.loads(envelope.payload)["critical"]["image"]["docker-manifest-digest"] == digest:
                verified += 1
        print(verified)
        sys.exit(0 if verified else 1)
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv)
