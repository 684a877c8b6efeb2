#!/usr/bin/env python3
"""Test-only HTTP proxy that is also the origin, for the `ADD <url>` proxy tests (ImageBuilderTests and
IntegrationTests both start it).

Hand-written (stdlib only): it accepts CONNECT, which AsyncHTTPClient sends for every proxied request, plain
HTTP included, and then answers the tunnelled requests itself from DIRECTORY (python's directory server:
files with Content-Length and Last-Modified from their mtime). So a URL whose host does not resolve, such as
http://files.strata.test/a.txt, can only be fetched by a client that went through this proxy.

  tunnelling-proxy.py DIRECTORY LOG     prints its loopback port once it listens; appends each request line
                                        to LOG as `CONNECT host:port` or `GET /path`
"""
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self):
        with open(sys.argv[2], "a") as log:
            log.write(self.command + " " + self.path + "\n")

    def do_CONNECT(self):
        self.note()
        self.send_response(200)
        self.end_headers()

    def do_GET(self):
        self.note()
        super().do_GET()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=sys.argv[1]))
print(server.server_address[1], flush=True)
server.serve_forever()
