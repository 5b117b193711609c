#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted CD server that logs every request it receives (tests/t_cli.sh).

It answers just enough of the REST API for the CLI's tests of what the tool SENDS and
PRINTS: sessions, one property, one property sheet with names that contain '=', jobs
whose ids and statuses carry terminal escape sequences, evalDsl, getServerStatus,
incrementProperty, job steps. Every request is appended to the log file as one JSON line
{"method", "target", "headers", "body"} before it is answered, so a test can prove what
was sent, and that nothing was.

    python3 tests/logsrv.py --log FILE [--big BYTES] [--stall-uploads]   prints "PORT n", serves 127.0.0.1

Uploads (/commander/publishArtifact.php) are read slowly for SLOW_SECONDS (2 MiB every
0.25 s: steady progress, never a long pause), then the rest at once, and answered
Artifact-Published-OK; with --stall-uploads they are never read. What the kernel holds
unread is bytes the client has sent and then waits on without seeing progress, so the
receive buffer is fixed and small (RCVBUF), and the pace ends before the upload does: the
client's last wait is short however large its own send buffer is. (With Linux's receive
autotuning, up to 30 MiB of an upload sat unread when the client finished sending; drained
at the pace, its wait for the answer outlasted --timeout now and then.)

It also listens on a second port ("RAWPORT n") that answers whatever arrives with a plain
"400 Bad Request", as nginx and Jetty answer a TLS hello sent to their HTTP port.
"""
import argparse
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs, unquote

ESC_ID = "\x1b]0;pwned\x07job-\x1b[2J1"   # a job id that would retitle and clear a terminal
ESC_STATUS = "running\x1b[2J\x9b31m"       # a status with a CSI (C1) as well
LOCK = threading.Lock()
ARGS = None
COUNTER = [0]
RCVBUF = 128 << 10  # Linux doubles it: at most ~256 KiB (0.03 s of the upload pace) unread
SLOW_SECONDS = 5.0  # longer than t_cli's --timeout 3: an upload under a whole-request deadline fails


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # on the listener, before listen(): accepted sockets inherit it, window scale included
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        super().server_bind()


def log(entry):
    with LOCK:
        with open(ARGS.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # quiet
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def slow_upload(self, stall):
        """Read an upload 2 MiB every 0.25 s for SLOW_SECONDS, then the rest at once (the
        client sees progress all along); or read nothing (stall)."""
        n = int(self.headers.get("Content-Length") or 0)
        log({"method": self.command, "target": self.path, "headers": dict(self.headers.items()), "body": ""})
        if stall:
            time.sleep(30)
            return
        start = time.monotonic()
        while n > 0:
            got = len(self.rfile.read(min(n, 2 << 20)))
            if not got:
                return
            n -= got
            if time.monotonic() - start < SLOW_SECONDS:
                time.sleep(0.25)
        body = b"Artifact-Published-OK"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        if self.path.startswith("/commander/publishArtifact.php"):
            return self.slow_upload(ARGS.stall_uploads)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        log({"method": self.command, "target": self.path, "headers": dict(self.headers.items()), "body": body})
        url = urlsplit(self.path)
        path, q = url.path, parse_qs(url.query)
        rest = path[len("/rest/v1.0"):] if path.startswith("/rest/v1.0") else None
        if rest is None:
            return self.answer(404, {"error": {"code": "NotFound", "message": "no such page"}})
        if rest == "/sessions" and self.command == "POST":
            if "slowpoke" in body:  # a login that takes 2 s (a signal can come during it)
                time.sleep(2)
            with LOCK:
                COUNTER[0] += 1
                sid = "sess-%d" % COUNTER[0]
            return self.answer(200, {"sessionId": sid})
        if rest == "/sessions" and self.command == "DELETE":
            return self.answer(200, {})
        if rest == "/properties" and q.get("path") == ["/server"]:  # an object's sheet with a bad entry
            return self.answer(200, {"propertySheet": {"property": [{"propertyName": "ok", "value": "v"},
                                                                    {"propertyName": None, "value": 7}]}})
        if rest.startswith("/properties/") and q.get("request") == ["incrementProperty"]:
            return self.answer(200, {"property": {"propertyName": "counter", "value": "2"}})
        if rest == "/properties//projects/P/esc":
            return self.answer(200, {"property": {"propertyName": "esc", "value": "\x1b]0;t\x07x"}})
        if rest.startswith("/properties/"):
            return self.answer(200, {"property": {"propertyName": unquote(rest.rsplit("/", 1)[-1]), "value": "v"}})
        if rest.startswith("/projects/"):
            return self.answer(200, {"project": {"projectName": "P", "propertySheetId": "ps1"}})
        if rest == "/propertySheets/ps1":
            props = [{"propertyName": "a=b", "value": "c"}, {"propertyName": "a", "value": "b=c"},
                     {"propertyName": "sub/x", "value": "y"}]
            if ARGS.big:
                props.append({"propertyName": "big", "value": "x" * ARGS.big})
            return self.answer(200, {"propertySheet": {"propertySheetId": "ps1", "property": props}})
        if rest == "/jobs" and q.get("request") == ["runProcedure"]:
            return self.answer(200, {"jobId": ESC_ID})
        if rest.startswith("/jobs/"):
            jid = unquote(rest[len("/jobs/"):])
            if jid == "slow":  # a status poll that takes 10 s
                time.sleep(10)
            if jid == "forever":
                return self.answer(200, {"jobId": jid, "status": ESC_STATUS, "outcome": ""})
            return self.answer(200, {"jobId": jid, "status": "completed", "outcome": "warning"})
        if rest.startswith("/jobSteps/"):
            return self.answer(200, {"jobStep": {"jobStepId": unquote(rest[len("/jobSteps/"):]), "status": "completed"}})
        if rest == "/pipelines" and self.command == "POST":
            return self.answer(200, {"flowRuntime": {"flowRuntimeId": "fr-1", "pipelineName": "Q"}})
        if rest == "/pipelineRuntimeDetails" and q.get("request") == ["getPipelineRuntimeDetails"]:
            return self.answer(200, {"flowRuntime": [{"flowRuntimeId": "fr-1", "completed": "1"}]})
        if rest == "/objects" and q.get("request") == ["findObjects"]:
            return self.answer(200, {"object": [{"objectId": "job-1"}]})
        if rest == "/server/dsl" and self.command == "POST":
            return self.answer(200, {"value": "evaluated"})
        if rest == "/server" and q.get("request") == ["getServerStatus"]:
            return self.answer(200, {"serverStatus": {"serverState": "running"}})
        if rest == "/big":
            return self.answer(200, {"value": "x" * (ARGS.big or 300000)})
        return self.answer(501, {"error": {"code": "NotImplemented", "message": "Unknown request"}})

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def raw_400(listener):
    """Answer the first bytes of every connection with a plain-HTTP 400, then close."""
    while True:
        conn, _ = listener.accept()
        try:
            conn.settimeout(5)
            if conn.recv(4096):
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
                             b"Bad Request")
        except OSError:
            pass
        finally:
            conn.close()


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--big", type=int, default=0)
    p.add_argument("--stall-uploads", action="store_true", help="never read an upload's body")
    ARGS = p.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    raw.listen(8)
    threading.Thread(target=raw_400, args=(raw,), daemon=True).start()
    print("RAWPORT %d" % raw.getsockname()[1], flush=True)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
