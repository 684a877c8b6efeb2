#!/usr/bin/env python3
"""A small in-memory OCI distribution registry that serves the OCI 1.1 referrers API, written for Strata's tests from
the distribution spec (Debian's distribution 2.8 predates the API). Plain HTTP on 127.0.0.1, no auth, stdlib only.

  oci11-registry.py --port-file FILE     listens on a free port and writes it to FILE

Blobs: HEAD/GET, uploads (POST, PATCH, PUT ?digest=, monolithic POST ?digest=). Manifests: HEAD/GET/PUT/DELETE by
tag or digest; a manifest with a `subject` is listed by GET /v2/<name>/referrers/<digest> (answered with
`OCI-Subject` on PUT), filtered by ?artifactType=. Tags: GET /v2/<name>/tags/list.
"""
import argparse, hashlib, json, re, threading, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
BLOBS, UPLOADS = {}, {}
MANIFESTS = {}          # (name, digest) -> (media type, bytes)
TAGS = {}               # (name, tag) -> digest
REFERRERS = {}          # (name, subject digest) -> {digest: descriptor}
ROUTE = re.compile(r"^/v2/(?P<name>[a-z0-9]+(?:[._/-][a-z0-9]+)*)/(?P<kind>blobs/uploads|blobs|manifests|referrers|tags)/?(?P<rest>[^?]*)(?:\?(?P<query>.*))?$")


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code):
        self.reply(status, json.dumps({"errors": [{"code": code, "message": code.lower().replace("_", " ")}]}).encode(),
                   {"Content-Type": "application/json"})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def query(self, match):
        pairs = [p.split("=", 1) for p in (match.group("query") or "").split("&") if "=" in p]
        from urllib.parse import unquote
        return {k: unquote(v) for k, v in pairs}

    def route(self):
        if self.path in ("/v2/", "/v2"):
            return self.reply(200, b"{}", {"Content-Type": "application/json"})
        match = ROUTE.match(self.path)
        if not match:
            return self.error(404, "NAME_UNKNOWN")
        name, kind, rest, query = match.group("name"), match.group("kind"), match.group("rest"), self.query(match)
        getattr(self, "do_" + kind.replace("/", "_"))(name, rest, query)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = lambda self: self.route()

    def do_blobs(self, name, digest, query):
        with LOCK:
            data = BLOBS.get(digest)
        if data is None:
            return self.error(404, "BLOB_UNKNOWN")
        self.reply(200, data, {"Docker-Content-Digest": digest, "Content-Type": "application/octet-stream"})

    def do_blobs_uploads(self, name, upload, query):
        if self.command == "POST":
            data = self.body()
            if "digest" in query:
                return self.complete_upload(name, data, query["digest"])
            upload = str(uuid.uuid4())
            with LOCK:
                UPLOADS[upload] = b""
            return self.reply(202, b"", {"Location": "/v2/%s/blobs/uploads/%s" % (name, upload), "Range": "0-0",
                                         "Docker-Upload-UUID": upload})
        with LOCK:
            if upload not in UPLOADS:
                return self.error(404, "BLOB_UPLOAD_UNKNOWN")
            UPLOADS[upload] += self.body()
            size = len(UPLOADS[upload])
        if self.command == "PATCH":
            return self.reply(202, b"", {"Location": "/v2/%s/blobs/uploads/%s" % (name, upload), "Range": "0-%d" % (size - 1),
                                         "Docker-Upload-UUID": upload})
        if self.command == "PUT":
            with LOCK:
                data = UPLOADS.pop(upload)
            return self.complete_upload(name, data, query.get("digest", ""))
        self.error(405, "UNSUPPORTED")

    def complete_upload(self, name, data, digest):
        if sha256(data) != digest:
            return self.error(400, "DIGEST_INVALID")
        with LOCK:
            BLOBS[digest] = data
        self.reply(201, b"", {"Location": "/v2/%s/blobs/%s" % (name, digest), "Docker-Content-Digest": digest})

    def do_manifests(self, name, reference, query):
        if self.command == "PUT":
            data = self.body()
            digest = sha256(data)
            media_type = self.headers.get("Content-Type", "")
            try:
                manifest = json.loads(data)
            except ValueError:
                return self.error(400, "MANIFEST_INVALID")
            if reference.startswith("sha256:") and reference != digest:
                return self.error(400, "DIGEST_INVALID")
            headers = {"Location": "/v2/%s/manifests/%s" % (name, digest), "Docker-Content-Digest": digest}
            with LOCK:
                MANIFESTS[(name, digest)] = (media_type, data)
                if not reference.startswith("sha256:"):
                    TAGS[(name, reference)] = digest
                subject = manifest.get("subject")
                if subject:
                    descriptor = {"mediaType": media_type, "digest": digest, "size": len(data),
                                  "artifactType": manifest.get("artifactType") or manifest.get("config", {}).get("mediaType")}
                    if manifest.get("annotations"):
                        descriptor["annotations"] = manifest["annotations"]
                    REFERRERS.setdefault((name, subject["digest"]), {})[digest] = descriptor
                    headers["OCI-Subject"] = subject["digest"]
            return self.reply(201, b"", headers)
        with LOCK:
            digest = reference if reference.startswith("sha256:") else TAGS.get((name, reference))
            found = MANIFESTS.get((name, digest)) if digest else None
            if self.command == "DELETE":
                if not found:
                    return self.error(404, "MANIFEST_UNKNOWN")
                del MANIFESTS[(name, digest)]
                for key in [k for k, v in TAGS.items() if k[0] == name and v == digest]:
                    del TAGS[key]
                for entries in REFERRERS.values():
                    entries.pop(digest, None)
                return self.reply(202)
        if not found:
            return self.error(404, "MANIFEST_UNKNOWN")
        self.reply(200, found[1], {"Content-Type": found[0], "Docker-Content-Digest": digest})

    def do_referrers(self, name, digest, query):
        with LOCK:
            entries = list(REFERRERS.get((name, digest), {}).values())
        headers = {"Content-Type": "application/vnd.oci.image.index.v1+json"}
        if "artifactType" in query:
            entries = [e for e in entries if e.get("artifactType") == query["artifactType"]]
            headers["OCI-Filters-Applied"] = "artifactType"
        body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries})
        self.reply(200, body.encode(), headers)

    def do_tags(self, name, rest, query):
        with LOCK:
            tags = sorted(tag for (n, tag) in TAGS if n == name)
        if not tags:
            return self.error(404, "NAME_UNKNOWN")
        self.reply(200, json.dumps({"name": name, "tags": tags}).encode(), {"Content-Type": "application/json"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
