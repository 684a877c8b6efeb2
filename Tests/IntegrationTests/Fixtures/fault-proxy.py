#!/usr/bin/env python3
"""Test-only HTTP reverse proxy that injects registry faults, for Strata's registry-client tests.

Hand-written (stdlib only) so tests control exactly which byte or request misbehaves.

  fault-proxy.py --upstream http[s]://127.0.0.1:PORT [--upstream-ca CA.crt] [--listen 127.0.0.1:0]
                 [--port-file F] [--control FILE] [--log FILE] [MODE ...]

MODEs (also read from the control file, one per line or a JSON list, re-read whenever the file changes;
changing it resets all counters):
  drop-blob-after=N[:always]   close the connection after N body bytes of a blob GET: the first one whose
                               body exceeds N bytes (smaller blobs, e.g. the config, pass), or every one
  fail=K[:REGEX]               answer 500 to the first K requests whose path matches REGEX (default: all)
  throttle-once[:REGEX]        answer 429 with Retry-After: 1 to the first matching request
  corrupt-blob[=OFFSET]        flip one byte (default offset 0) in the body of every blob GET
  stall-blob-after=N           every blob GET: ask the registry without Range (a 200 to a resume), send N body
                               bytes, then say nothing more while the client waits
  trickle=SECONDS[:REGEX]      send matching response bodies one byte every SECONDS
Blob GET = GET /v2/<name>/blobs/<digest>. Everything else streams through unchanged; the Host header is
kept as the client sent it (and X-Forwarded-Proto set), so the registry's Location URLs point at the proxy.
Each request is logged as a JSON line on stderr (and --log), with the fault applied, if any.
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BLOB_GET = re.compile(r"^/v2/.+/blobs/[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length"}
CHUNK = 64 * 1024


class Faults:
    """The active modes and their counters; shared by all handler threads."""

    def __init__(self, modes, control):
        self.lock = threading.Lock()
        self.control = control
        self.control_stamp = None
        self.set_modes(modes)

    def set_modes(self, modes):
        self.drop_after = None        # (bytes, always)
        self.fail = []                # [remaining, regex]
        self.throttle = []            # [remaining, regex]
        self.corrupt_at = None
        self.stall_after = None
        self.trickle = None           # (seconds, regex)
        for mode in modes:
            mode = mode.strip()
            if not mode or mode.startswith("#"):
                continue
            name, _, arg = mode.partition("=") if "=" in mode.split(":")[0] else mode.partition(":")
            if name == "drop-blob-after":
                count, _, flag = arg.partition(":")
                self.drop_after = (int(count), flag == "always")
            elif name == "fail":
                count, _, pattern = arg.partition(":")
                self.fail.append([int(count), re.compile(pattern or ".")])
            elif name == "throttle-once":
                self.throttle.append([1, re.compile(arg or ".")])
            elif name == "corrupt-blob":
                self.corrupt_at = int(arg or 0)
            elif name == "stall-blob-after":
                self.stall_after = int(arg)
            elif name == "trickle":
                seconds, _, pattern = arg.partition(":")
                self.trickle = (float(seconds), re.compile(pattern or "."))
            else:
                raise ValueError(f"unknown mode {mode!r}")

    def refresh(self):
        if not self.control:
            return
        try:
            st = os.stat(self.control)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp == self.control_stamp:
            return
        self.control_stamp = stamp
        text = open(self.control).read() if stamp else ""
        modes = json.loads(text) if text.strip().startswith("[") else text.splitlines()
        self.set_modes(modes)

    def decide(self, method, path):
        """What to do with one request: ('fail'|'throttle'|None, drop_after_bytes|None, corrupt_offset|None)."""
        with self.lock:
            self.refresh()
            for rule in self.fail:
                if rule[0] > 0 and rule[1].search(path):
                    rule[0] -= 1
                    return "fail", None, None
            for rule in self.throttle:
                if rule[0] > 0 and rule[1].search(path):
                    rule[0] -= 1
                    return "throttle", None, None
            if method != "GET" or not BLOB_GET.match(path):
                return None, None, None
            # Only armed here; the drop is claimed (take_drop) when a body really reaches N bytes.
            drop = self.drop_after[0] if self.drop_after is not None else None
            return None, drop, self.corrupt_at

    def shaping(self, method, path):
        """(stall_after_bytes|None, trickle_seconds|None) for one request."""
        with self.lock:
            stall = self.stall_after if method == "GET" and BLOB_GET.match(path) else None
            trickle = self.trickle[0] if self.trickle and self.trickle[1].search(path) else None
            return stall, trickle

    def take_drop(self):
        """Claims the armed drop for a body that just reached its byte count (once unless :always)."""
        with self.lock:
            if self.drop_after is None:
                return False
            if not self.drop_after[1]:
                self.drop_after = None
            return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    faults = None
    upstream = None       # urllib.parse.SplitResult
    context = None        # ssl context for https upstreams
    log_path = None
    log_lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def record(self, **fields):
        line = json.dumps(dict(method=self.command, path=self.path, **fields), sort_keys=True)
        print(line, file=sys.stderr, flush=True)
        if self.log_path:
            with self.log_lock, open(self.log_path, "a") as f:
                f.write(line + "\n")

    def canned(self, status, headers, body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def request_body(self):
        """The client's body as an iterator of chunks (None when there is none), and its length if known."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            def chunks():
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return
                    data = self.rfile.read(size)
                    self.rfile.readline()
                    yield data
            return chunks(), None
        length = int(self.headers.get("Content-Length") or 0)
        if length == 0:
            return None, 0

        def fixed():
            left = length
            while left > 0:
                data = self.rfile.read(min(CHUNK, left))
                if not data:
                    return
                left -= len(data)
                yield data
        return fixed(), length

    def proxy(self):
        action, drop_after, corrupt_at = self.faults.decide(self.command, urllib.parse.urlsplit(self.path).path)
        stall_after, trickle = self.faults.shaping(self.command, urllib.parse.urlsplit(self.path).path)
        body, length = self.request_body()
        if action is not None:
            for _ in body or ():
                pass                      # consume the upload so the connection stays usable
            self.record(fault=action)
            if action == "fail":
                return self.canned(500, [("Content-Type", "application/json")],
                                   b'{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}\n')
            return self.canned(429, [("Retry-After", "1"), ("Content-Type", "application/json")],
                               b'{"errors":[{"code":"TOOMANYREQUESTS","message":"injected throttle"}]}\n')

        if self.upstream.scheme == "https":
            conn = http.client.HTTPSConnection(self.upstream.hostname, self.upstream.port, context=self.context,
                                               timeout=120)
        else:
            conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=120)
        # A list, not a dict: clients repeat headers (several Accept lines) and all must reach the registry.
        headers = [(k, v) for k, v in self.headers.items()
                   if k.lower() not in HOP_BY_HOP and k.lower() != "x-forwarded-proto"
                   and not (stall_after is not None and k.lower() == "range")]
        headers.append(("X-Forwarded-Proto", "http"))
        if length is not None and body is not None:
            headers.append(("Content-Length", str(length)))
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None and length is None:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for data in body or ():
            if length is None:
                conn.send(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                conn.send(data)
        if body is not None and length is None:
            conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()

        self.send_response(resp.status, resp.reason)
        proxy_base = f"http://{self.headers.get('Host', '')}"
        upstream_base = f"{self.upstream.scheme}://{self.upstream.netloc}"
        content_length = resp.getheader("Content-Length")
        for k, v in resp.getheaders():
            if k.lower() in HOP_BY_HOP:
                continue
            if k.lower() == "location" and v.startswith(upstream_base):
                v = proxy_base + v[len(upstream_base):]
            if k.lower() == "location" and self.upstream.scheme == "https" and v.startswith("https://" + self.headers.get("Host", "")):
                v = "http://" + v[len("https://"):]
            self.send_header(k, v)
        no_body = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        chunked = content_length is None and not no_body
        if content_length is not None:
            self.send_header("Content-Length", content_length)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        fault = None
        if not no_body:
            while True:
                data = resp.read(CHUNK) if content_length is not None else resp.read1(CHUNK)
                if not data:
                    break
                if corrupt_at is not None and sent <= corrupt_at < sent + len(data):
                    i = corrupt_at - sent
                    data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
                    fault = "corrupt"
                if stall_after is not None and sent + len(data) > stall_after:
                    self.wfile.write(data[:stall_after - sent])
                    self.wfile.flush()
                    sent = stall_after
                    fault = "stall"
                    # Silence until the client gives up and closes (or five minutes pass).
                    self.connection.settimeout(1)
                    for _ in range(300):
                        try:
                            if self.connection.recv(1, socket.MSG_PEEK) == b"":
                                break
                        except socket.timeout:
                            continue
                        except OSError:
                            break
                    break
                if trickle is not None:
                    for i in range(len(data)):
                        self.wfile.write(b"%x\r\n%s\r\n" % (1, data[i:i + 1]) if chunked else data[i:i + 1])
                        self.wfile.flush()
                        sent += 1
                        time.sleep(trickle)
                    continue
                if drop_after is not None and sent + len(data) > drop_after and self.faults.take_drop():
                    self.wfile.write(data[:drop_after - sent])
                    self.wfile.flush()
                    sent = drop_after
                    fault = "drop"
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
            if chunked and fault not in ("drop", "stall"):
                self.wfile.write(b"0\r\n\r\n")
        conn.close()
        self.record(status=resp.status, bytes=sent, fault=fault)
        if fault in ("drop", "stall"):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = proxy


def exit_on_sigterm():
    """Die on SIGTERM even if the launcher left it ignored or blocked (both survive exec)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))


def main():
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description="fault-injecting registry proxy")
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--upstream-ca")
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--port-file")
    parser.add_argument("--control")
    parser.add_argument("--log")
    parser.add_argument("modes", nargs="*")
    args = parser.parse_args()
    try:
        os.setsid()   # own process group, so the fixture can end it (and anything it starts) by group id
    except OSError:
        pass          # already a group leader
    Handler.upstream = urllib.parse.urlsplit(args.upstream)
    if Handler.upstream.scheme == "https":
        Handler.context = ssl.create_default_context(cafile=args.upstream_ca) if args.upstream_ca \
            else ssl._create_unverified_context()
    Handler.faults = Faults(args.modes, args.control)
    Handler.log_path = args.log
    host, _, port = args.listen.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    bound = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{bound}\n")
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"fault-proxy: listening on {host}:{bound} -> {args.upstream}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
