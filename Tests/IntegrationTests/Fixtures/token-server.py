#!/usr/bin/env python3
"""Test-only docker token service (the "token" auth of distribution 2.8), for Strata's registry fixtures.

Hand-written because the point is a small, inspectable implementation of the token spec; needs only
python3 + cryptography (Debian python3-cryptography).

  token-server.py keygen DIR          write DIR/token.key (EC P-256) and DIR/token.crt (self-signed); the
                                      registry's auth.token.rootcertbundle is DIR/token.crt
  token-server.py serve --key DIR/token.key --cert DIR/token.crt --user u:p [--user ...]
                  [--listen 127.0.0.1:0] [--port-file F] [--issuer I] [--service S]
                  [--anonymous pull|none] [--expires-in SECONDS] [--log FILE]

Endpoints (any path works; the realm is usually http://127.0.0.1:PORT/token):
  GET  ?service=&scope=...&offline_token=true&account=   optional Basic auth
       -> {"token","access_token","expires_in","issued_at"} (+ "refresh_token" when authenticated with
          offline_token=true)
  POST form grant_type=password (username, password) | refresh_token (refresh_token), service, scope, client_id
       -> {"access_token","token","expires_in","issued_at","scope","refresh_token"}
Authenticated users get every action they ask for; anonymous clients get pull only (--anonymous pull, the
default) or no access at all (--anonymous none). Wrong credentials are a 401.
JWTs are ES256 with the certificate in the header's x5c, which distribution 2.8 verifies against its bundle.
"""
import argparse
import base64
import datetime
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def keygen(directory):
    os.makedirs(directory, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "strata test token signer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path = os.path.join(directory, "token.key")
    with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(os.path.join(directory, "token.crt"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def parse_scope(scope):
    """'repository:name:pull,push' -> (type, name, [actions]); names may not hold ':' but types may have a class."""
    parts = scope.split(":")
    if len(parts) < 3:
        return None
    return parts[0], ":".join(parts[1:-1]), [a for a in parts[-1].split(",") if a]


class TokenService:
    def __init__(self, args):
        with open(args.key, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(args.cert, "rb") as f:
            certs = x509.load_pem_x509_certificates(f.read()) if hasattr(x509, "load_pem_x509_certificates") \
                else [x509.load_pem_x509_certificate(f.read())]
        self.x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in certs]
        self.users = dict(u.split(":", 1) for u in args.user)
        self.issuer, self.service = args.issuer, args.service
        self.anonymous, self.expires_in = args.anonymous, args.expires_in
        self.refresh_tokens = {}
        self.lock = threading.Lock()
        self.log_path = args.log

    def log(self, record):
        line = json.dumps(record, sort_keys=True)
        print(line, file=sys.stderr, flush=True)
        if self.log_path:
            with self.lock, open(self.log_path, "a") as f:
                f.write(line + "\n")

    def grant(self, user, scopes):
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if not parsed:
                continue
            kind, name, actions = parsed
            if user is None:
                actions = [a for a in actions if a == "pull"] if self.anonymous == "pull" else []
            if actions:
                access.append({"type": kind, "name": name, "actions": actions})
        return access

    def jwt(self, user, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256", "x5c": self.x5c}
        claims = {"iss": self.issuer, "sub": user or "", "aud": self.service, "exp": now + self.expires_in,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            b64url(json.dumps(claims, separators=(",", ":")).encode())
        der = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def new_refresh_token(self, user):
        token = "rt-" + secrets.token_urlsafe(24)
        with self.lock:
            self.refresh_tokens[token] = user
        return token

    def answer(self, user, scopes, refresh_token=None):
        token = self.jwt(user, self.grant(user, scopes))
        issued = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"token": token, "access_token": token, "expires_in": self.expires_in, "issued_at": issued,
                "scope": " ".join(scopes)}
        if refresh_token:
            body["refresh_token"] = refresh_token
        return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    service = None  # set in main

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, extra_headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def unauthorized(self, message):
        self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": message}]},
                   [("WWW-Authenticate", 'Basic realm="strata-test-token"')])

    def basic_user(self):
        """(user, ok): (None, True) when no Authorization header; (None, False) when it is wrong."""
        header = self.headers.get("Authorization")
        if not header:
            return None, True
        if not header.lower().startswith("basic "):
            return None, False
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except Exception:
            return None, False
        return (user, True) if self.service.users.get(user) == password else (None, False)

    def do_GET(self):
        svc = self.service
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        scopes = query.get("scope", [])
        user, ok = self.basic_user()
        svc.log({"method": "GET", "user": user, "ok": ok, "scope": scopes,
                 "service": query.get("service", [""])[0], "offline_token": query.get("offline_token", [""])[0]})
        if not ok:
            return self.unauthorized("invalid username or password")
        if query.get("service", [svc.service])[0] != svc.service:
            return self.reply(400, {"errors": [{"code": "DENIED", "message": "unknown service"}]})
        refresh = svc.new_refresh_token(user) if user and query.get("offline_token", [""])[0] == "true" else None
        self.reply(200, svc.answer(user, scopes, refresh))

    def do_POST(self):
        svc = self.service
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        get = lambda k: form.get(k, [""])[0]
        grant_type = get("grant_type")
        scopes = [s for s in get("scope").split(" ") if s]
        svc.log({"method": "POST", "grant_type": grant_type, "user": get("username") or None, "scope": scopes,
                 "client_id": get("client_id"), "service": get("service")})
        if grant_type == "password":
            user = get("username")
            if svc.users.get(user) != get("password") or not user:
                return self.unauthorized("invalid username or password")
            return self.reply(200, svc.answer(user, scopes, svc.new_refresh_token(user)))
        if grant_type == "refresh_token":
            token = get("refresh_token")
            with svc.lock:
                user = svc.refresh_tokens.get(token)
            if user is None:
                return self.unauthorized("invalid refresh token")
            return self.reply(200, svc.answer(user, scopes, token))
        self.reply(400, {"errors": [{"code": "UNSUPPORTED", "message": "unsupported grant_type"}]})


def exit_on_sigterm():
    """Die on SIGTERM even if the launcher left it ignored or blocked (both survive exec)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))


def main():
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description="test docker token service")
    sub = parser.add_subparsers(dest="command", required=True)
    k = sub.add_parser("keygen")
    k.add_argument("directory")
    s = sub.add_parser("serve")
    s.add_argument("--key", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--user", action="append", default=[], help="user:password (repeatable)")
    s.add_argument("--listen", default="127.0.0.1:0")
    s.add_argument("--port-file")
    s.add_argument("--issuer", default="strata-test-issuer")
    s.add_argument("--service", default="strata-test-registry")
    s.add_argument("--anonymous", choices=["pull", "none"], default="pull")
    s.add_argument("--expires-in", type=int, default=300)
    s.add_argument("--log")
    args = parser.parse_args()
    if args.command == "keygen":
        return keygen(args.directory)
    Handler.service = TokenService(args)
    host, _, port = args.listen.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    bound = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{bound}\n")
        os.rename(tmp, args.port_file)
    print(f"token-server: listening on {host}:{bound}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
