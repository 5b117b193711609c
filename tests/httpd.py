#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small HTTP/1.1 test server (standard library only) for cdrest's HTTP tests.

Prints "PORT n" as its first stdout line, then serves on 127.0.0.1 (or --bind) until
SIGTERM. Endpoints:
  /bytes?n=N[&chunked=1][&close=1]   N bytes of a known pattern (byte i = i % 251)
  /echo                              the request line, headers and body, as text
  /stats                             "connections=C requests=R"
  /redirect?to=LOCATION[&code=302]   a redirect
  /loop                              a redirect to itself
  /stall                             reads the request and never answers
  /http10                            an HTTP/1.0 response that closes the connection
  /rest/v1.0/html502                 a proxy's HTML 502 page
  /rest/v1.0/badjson                 200 with invalid JSON
Options: --idle-close-ms MS closes connections idle for that long.
"""
import argparse
import http.server
import signal
import socket
import sys
import threading
import time
from urllib.parse import urlparse, parse_qs

PATTERN = bytes(i % 251 for i in range(251 * 1024))
stats = {"connections": 0, "requests": 0}
lock = threading.Lock()


def pattern(n):
    reps = n // len(PATTERN) + 1
    return (PATTERN * reps)[:n] if n > len(PATTERN) else PATTERN[:n]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    idle_close_s = None

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.idle_close_s:
            self.connection.settimeout(self.idle_close_s)
        with lock:
            stats["connections"] += 1

    def log_message(self, fmt, *args):
        pass

    def send_body(self, body, chunked=False, close=False, ctype="application/octet-stream"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            out = bytearray()
            step = 7777
            for i in range(0, len(body), step):
                piece = body[i:i + step]
                out += b"%x\r\n" % len(piece) + piece + b"\r\n"
            out += b"0\r\n\r\n"
            self.wfile.write(bytes(out))
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def handle_any(self):
        with lock:
            stats["requests"] += 1
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/bytes":
            self.send_body(pattern(int(q.get("n", "0"))), q.get("chunked") == "1", q.get("close") == "1")
        elif url.path == "/echo":
            text = "%s %s\n" % (self.command, self.path)
            text += "".join("%s: %s\n" % (k, v) for k, v in self.headers.items())
            self.send_body(text.encode() + b"\n" + body, ctype="text/plain")
        elif url.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/redirect":
            self.send_response(int(q.get("code", "302")))
            self.send_header("Location", q.get("to", "/echo"))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/stats":
            with lock:
                self.send_body(("connections=%d requests=%d" % (stats["connections"], stats["requests"])).encode())
        elif url.path == "/stall":
            time.sleep(3600)
        elif url.path == "/rest/v1.0/html502":
            page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>\n<hr>nginx</body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        elif url.path == "/rest/v1.0/badjson":
            self.send_body(b'{"property": {"value": tru}}', ctype="application/json")
        elif url.path == "/http10":
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
            self.close_connection = True
        else:
            self.send_error(404)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients in the tests abort requests on purpose; a reset is not news.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--idle-close-ms", type=int, default=0)
    a = ap.parse_args()
    if a.idle_close_ms:
        Handler.idle_close_s = a.idle_close_ms / 1000.0
    if ":" in a.bind:
        Server.address_family = socket.AF_INET6
    srv = Server((a.bind, a.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
