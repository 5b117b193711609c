#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted hostile HTTP server for cdrest's robustness tests (tests/test_hostile.c).

Python 3 standard library only; it shares no code with the client. It binds 127.0.0.1
only, on ephemeral ports, prints "PORT n" (the main listener) as its first stdout line
and serves until SIGTERM.

The main listener plays the scenario named in the request target: any target holding
"/scenario/NAME" (so a client whose server URL has the base path /scenario/NAME plays it
for every call, CD calls included). A target without a scenario gets the good answer.
Control requests on the main listener (never counted as scenarios):
  GET /_ports               "name=port" lines: trap, reset, silent, and with --cert
                            tls, tls-garbage, tls-stall, tls-plain
  GET /_count/NAME          how many requests of scenario NAME were read (decimal)
  GET /_conns/LISTENER      connections accepted by a listener ("main", "trap", ...)
  GET /_count/corrupt-bodies  request bodies of drop-mid-body that were not the pattern
Other listeners play one thing per connection:
  trap         counts connections and the bytes received (GET /_conns/trap,
               /_count/trap-bytes), answers nothing, closes: a redirect target
               that must never be reached
  reset        accepts and resets (SO_LINGER 0) 300 ms later, the request unread
  silent       accepts and never reads nor writes
  tls          (--cert/--key) TLS, then the same scenarios as the main listener
  tls-garbage  reads the ClientHello and answers with bytes that are no TLS record
  tls-stall    reads the ClientHello and never answers
  tls-plain    reads the ClientHello and answers with a plain HTTP 400 (a plain
               server on the TLS port)

--dump-seeds DIR writes each scenario's response bytes (those that are a fixed byte
string) as files into DIR, as seeds for the fuzzers.
"""
import argparse
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time

SCENARIO_RE = re.compile(rb"/scenario/([A-Za-z0-9_.\-]+)")
GOOD_BODY = (b'{"property":{"propertyName":"p","value":"good"},"jobId":"job-1",'
             b'"sessionId":"sess-1"}')

counts = {}
conns = {}
lock = threading.Lock()
ports = {}


def bump(table, key, n=1):
    with lock:
        table[key] = table.get(key, 0) + n


def response(status, reason, body, headers=(), keep=True):
    lines = ["HTTP/1.1 %d %s" % (status, reason)] + list(headers)
    lines.append("Content-Length: %d" % len(body))
    if not keep:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def good():
    return response(200, "OK", GOOD_BODY, ["Content-Type: application/json"])


SMUGGLED = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nWRONG"


def chunked_head(extra=""):
    return ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n%sTransfer-Encoding: chunked\r\n\r\n"
            % extra).encode()


def many_headers(n, fmt):
    out = bytearray(b"HTTP/1.1 200 OK\r\n")
    for i in range(n):
        out += (fmt % i if "%" in fmt else fmt).encode()
    out += b"Content-Length: 2\r\n\r\nok"
    return bytes(out)


HTML502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
           b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n"
           b"</body>\r\n</html>\r\n")

# Fixed responses: name -> (bytes, what to do after sending: "keep" or "close"). Those a
# client can be tested on with the bytes alone live in tests/fixtures/http (read by
# tests/test_http.c whole and one byte at a time) and are served from there too.
FIXED = {
    "ok": (good(), "keep"),
    "header-huge": (b"HTTP/1.1 200 OK\r\nX-Huge: " + b"a" * 70000 + b"\r\nContent-Length: 2\r\n\r\nok",
                    "close"),
    "headers-10000": (many_headers(10000, "a:b\r\n"), "close"),
    "headers-10000-long": (many_headers(10000, "X-Header-%05d: some value\r\n"), "close"),
    "obs-fold": (b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n  second\r\n\tthird\r\n"
                 b"Content-Length: 2\r\n\r\nok", "keep"),
    "long-body": (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + SMUGGLED, "keep"),
    "chunk-extensions": (chunked_head() + b"5;name=value;quoted=\"a b\"\r\nhello\r\n"
                         b"6 ; x\r\n world\r\n0;last\r\n\r\n", "keep"),
    "chunk-trailers": (chunked_head() + b"5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n",
                       "keep"),
    "chunk-trailers-smuggle": (chunked_head() + b"5\r\nhello\r\n0\r\nX-A: 1\r\n\r\n" + SMUGGLED, "keep"),
    "info-1xx": (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                 b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + good(), "keep"),
    "204-body": (b"HTTP/1.1 204 No Content\r\n\r\n" + SMUGGLED, "keep"),
    "304-length": (b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n" + SMUGGLED, "keep"),
    "close-after-headers": (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "close"),
    "close-after-headers-chunked": (chunked_head(), "close"),
    "close-in-headers": (b"HTTP/1.1 200 OK\r\nContent-Le", "close"),
    "close-no-answer": (b"", "close"),
    "read-to-close": (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", "close"),
    "html-502": (response(502, "Bad Gateway", HTML502, ["Content-Type: text/html"], keep=False), "close"),
    "bad-json": (response(200, "OK", b'{"property": {"value": "x",}}', ["Content-Type: application/json"]),
                 "keep"),
    "empty-200": (response(200, "OK", b"", ["Content-Type: application/json"]), "keep"),
    "deep-json": (response(200, "OK", b"[" * 100000 + b"]" * 100000, ["Content-Type: application/json"]),
                  "keep"),
    "deep-json-error": (response(500, "Internal Server Error", b'{"error":' + b"[" * 100000 + b"]" * 100000
                                 + b"}", ["Content-Type: application/json"]), "keep"),
    "cd-error": (response(404, "Not Found", b'{"error":{"where":"","message":"Property \'x\' does not '
                          b'exist","details":"","code":"NoSuchProperty"}}',
                          ["Content-Type: application/json"]), "keep"),
    "cd-error-ctl": (response(404, "Not Found", b'{"error":{"code":"NoSuchProperty","message":'
                              b'"line one\\nline two\\u001b[31m red\\r\\u0000end"}}',
                              ["Content-Type: application/json"]), "keep"),
    # C1 controls (U+0080..U+009F) escaped and raw, a message long enough to be cut inside a
    # two-byte character, in every field the client copies
    "cd-error-c1": (response(404, "Not Found", b'{"error":{"code":"No\\u009bSuch\xc2\x85Thing","message":'
                             b'"csi\\u009b31m red\xc2\x9b0m nel\\u0085 ' + "\u00e9".encode() * 300 + b'",'
                             b'"details":"d\xc2\x90e","where":"w\\u0080x"}}',
                             ["Content-Type: application/json"]), "keep"),
    "html-c1": (response(502, "Bad \xc2\x9b31mGateway", b"<html><title>down \xc2\x9b1m\xc2\x85 \x9b now</title>",
                         ["Content-Type: text/html"]), "keep"),
    "cd-error-401": (response(401, "Unauthorized", b'{"error":{"code":"SessionExpired","message":'
                              b'"The session expired"}}', ["Content-Type: application/json"]), "keep"),
    "login-session-crlf": (response(200, "OK", b'{"sessionId":"abc\\r\\nX-Injected: 1","userName":"u"}',
                                    ["Content-Type: application/json"]), "keep"),
    "login-session-long": (response(200, "OK", b'{"sessionId":"' + b"s" * 300 + b'","userName":"u"}',
                                    ["Content-Type: application/json"]), "keep"),
    "job-long-id": (response(200, "OK", b'{"jobId":"' + b"j" * 100 + b'"}', ["Content-Type: application/json"]),
                    "keep"),
    "login-session-nul": (response(200, "OK", b'{"sessionId":"abc\\u0000def","userName":"u"}',
                                   ["Content-Type: application/json"]), "keep"),
}


CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "http")


def load_corpus(d=CORPUS):
    """tests/fixtures/http/NAME.txt as NAME -> (response bytes, "keep" or "close"): each file
    is "key: value" lines, a blank line, then the bytes (the format: tests/test_http.c)."""
    out = {}
    for f in sorted(os.listdir(d)):
        if not f.endswith(".txt"):
            continue
        with open(os.path.join(d, f), "rb") as fh:
            head, _, data = fh.read().partition(b"\n\n")
        after = "close"
        for line in head.split(b"\n"):
            if line.startswith(b"after:"):
                after = line[len(b"after:"):].strip().decode()
        out[f[:-len(".txt")]] = (data, after)
    return out


for _name, _fixed in load_corpus().items():
    if _name in FIXED:
        raise SystemExit("tests/fixtures/http/%s.txt has the name of a scenario in hostile.py" % _name)
    FIXED[_name] = _fixed


def read_head(sock, buf):
    """One request head from sock (buf holds bytes read ahead). Returns (method, target,
    length, rest) or None at EOF or on a malformed request."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > 1 << 20:
            return None
        try:
            d = sock.recv(65536)
        except (OSError, ssl.SSLError):
            return None
        if not d:
            return None
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        return None
    length = 0
    for ln in lines[1:]:
        name, _, value = ln.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return None
    return parts[0], parts[1], length, rest


def read_body(sock, rest, length):
    """The body (length bytes, rest read ahead) and what follows it, or None at EOF."""
    while len(rest) < length:
        try:
            d = sock.recv(1 << 20)
        except (OSError, ssl.SSLError):
            return None
        if not d:
            return None
        rest += d
    return rest[:length], rest[length:]


def pattern_ok(body):
    """Byte i of a streamed test body is i % 251."""
    block = bytes(i % 251 for i in range(251)) * 1024
    for off in range(0, len(body), len(block)):
        piece = body[off:off + len(block)]
        if piece != block[:len(piece)]:
            return False
    return True


def send(sock, data):
    try:
        sock.sendall(data)
        return True
    except (OSError, ssl.SSLError):
        return False


def reset(sock):
    """Close with RST instead of FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def raw_close(sock):
    """Close a TLS socket without close_notify (and a plain one as usual)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def close_notify(sock, tls):
    """End a connection the proper way: TLS close_notify first (when tls), then close."""
    if tls:
        try:
            sock.settimeout(2)
            sock = sock.unwrap()
        except (OSError, ssl.SSLError, ValueError):
            pass
    raw_close(sock)


def wait_closed(sock, seconds):
    """Hold the connection until the peer closes it (or seconds pass)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except (OSError, ssl.SSLError):
        pass


def stream_forever(sock, head, piece, limit):
    if not send(sock, head):
        return
    sent = 0
    while sent < limit:
        if not send(sock, piece):
            return
        sent += len(piece)


def query_int(target, name, default):
    m = re.search(rb"[?&]" + name.encode() + rb"=(\d+)", target)
    return int(m.group(1)) if m else default


def token_bomb(n):
    """A JSON array of n bytes holding nothing but zeros: one token per two bytes."""
    n = max(n, 3)
    body = b"[" + b"0," * ((n - 3) // 2) + b"0]"
    return response(200, "OK", body, ["Content-Type: application/json"])


def pattern(n):
    """n bytes of a body whose every byte says where it is ("0123456789" over and over)."""
    return (b"0123456789" * (n // 10 + 1))[:n]


def padded(head_lines, tail, fit):
    """A response head (lines without the final CRLF CRLF) followed by tail, with an X-Pad
    header making the whole exactly fit bytes when fit > 0 (so that it ends exactly where
    the client's buffer does)."""
    def build(pad):
        lines = list(head_lines) + (["X-Pad: " + "p" * pad] if pad is not None else [])
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + tail
    if fit <= 0:
        return build(None)
    pad = fit - len(build(0))
    if pad < 0:
        raise ValueError("fit=%d is too small" % fit)
    return build(pad)


def extra(name, target):
    """The extra-* scenarios: a response framed by NAME (length, chunked, head, 204, 304)
    and, in the same write, so in the same TLS record as the body's tail, the bytes of a
    second response the client never asked for. ?n= the body's size (20000: more than one
    TLS record), ?fit= the size the framed response is padded to."""
    n, fit = query_int(target, "n", 20000), query_int(target, "fit", 0)
    kind = name[len("extra-"):]
    if kind == "length":
        msg = padded(["HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: %d" % n], pattern(n), fit)
    elif kind == "chunked":
        body, data, k = b"", pattern(n), 0
        while k < n:  # chunks of 7000 bytes at most, so that some end inside a record
            piece = data[k:k + 7000]
            body += b"%x\r\n" % len(piece) + piece + b"\r\n"
            k += len(piece)
        msg = padded(["HTTP/1.1 200 OK", "Content-Type: text/plain", "Transfer-Encoding: chunked"],
                     body + b"0\r\n\r\n", fit)
    elif kind == "head":
        msg = padded(["HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: %d" % n], b"", fit)
    elif kind == "204":
        msg = padded(["HTTP/1.1 204 No Content"], b"", fit)
    else:
        msg = padded(["HTTP/1.1 304 Not Modified", "Content-Length: %d" % n], b"", fit)
    return msg + SMUGGLED


def cd_desync(method):
    """A CD server whose GET answer (a property larger than one TLS record) carries a stray
    200 answer in the same write, and which refuses every PUT with 403: a client that
    reuses the connection takes the stray 200 for the PUT's answer."""
    if method == b"PUT":
        return response(403, "Forbidden", b'{"error":{"code":"AccessDenied","message":"refused by '
                        b'cd-desync"}}', ["Content-Type: application/json"])
    value = pattern(20000)
    got = response(200, "OK", b'{"property":{"propertyName":"a","value":"' + value + b'"}}',
                   ["Content-Type: application/json"])
    stray = response(200, "OK", b'{"property":{"propertyName":"b","value":"stray"}}',
                     ["Content-Type: application/json"])
    return got + stray


def play(sock, name, target, nreq, tls, method=b"GET"):
    """Answer one request; returns "keep" to serve the next one, else "close"/"done"."""
    if name in FIXED:
        data, after = FIXED[name]
        if data and not send(sock, data):
            return "done"
        return after
    if name in ("extra-length", "extra-chunked", "extra-head", "extra-204", "extra-304"):
        return "keep" if send(sock, extra(name, target)) else "done"
    if name == "extra-close":  # a close-delimited body of ?n= bytes ended by close_notify
        if not send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" +
                    pattern(query_int(target, "n", 20000))):
            return "done"
        close_notify(sock, tls)
        return "done"
    if name == "cd-desync":
        return "keep" if send(sock, cd_desync(method)) else "done"
    if name == "slow-drip":  # one byte per second
        for b in good():
            if not send(sock, bytes([b])):
                return "done"
            time.sleep(1.0)
        return "keep"
    if name == "silent":  # read the request, never answer
        wait_closed(sock, 60)
        return "done"
    if name == "endless-1xx":  # interim responses for ever
        while send(sock, b"HTTP/1.1 100 Continue\r\n\r\n"):
            time.sleep(0.001)
        return "done"
    if name == "drop-after-request":  # the request was read: close without a word
        return "close"
    if name == "reset-after-request":
        reset(sock)
        return "done"
    if name in ("drop-second", "reset-second"):  # first request per connection answered
        if nreq == 1:
            return "keep" if send(sock, good()) else "done"
        if name == "reset-second":
            reset(sock)
            return "done"
        return "close"
    if name in ("idle-close", "idle-notify"):  # answer, then close once idle for 100 ms
        if not send(sock, good()):
            return "done"
        return name
    if name in ("long-body-late", "204-body-late"):
        first = (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" if name == "long-body-late"
                 else b"HTTP/1.1 204 No Content\r\n\r\n")
        if not send(sock, first):
            return "done"
        time.sleep(0.2)  # the client has its answer; now the stray bytes arrive
        return "keep" if send(sock, SMUGGLED) else "done"
    if name == "huge-cl":  # announces 300 MB, sends it if read
        limit = 300 * 1024 * 1024
        stream_forever(sock, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % limit,
                       b"x" * 65536, limit)
        return "close"
    if name == "endless-chunked":
        piece = b"10000\r\n" + b"y" * 65536 + b"\r\n"
        stream_forever(sock, chunked_head(), piece, 400 * 1024 * 1024)
        return "close"
    if name == "endless-close":
        stream_forever(sock, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", b"z" * 65536,
                       400 * 1024 * 1024)
        return "close"
    if name == "token-bomb":
        return "keep" if send(sock, token_bomb(query_int(target, "bytes", 1 << 20))) else "done"
    if name == "redirect":
        loc = "http://127.0.0.1:%d/steal?session=here" % ports["trap"]
        send(sock, response(302, "Found", b"", ["Location: " + loc]))
        return "keep"
    if name in ("redirect-same", "redirect-same-abs", "redirect-loop", "redirect-307", "redirect-303"):
        loc = {"redirect-same": "/scenario/ok?from=redirect",
               "redirect-same-abs": "http://127.0.0.1:%d/scenario/ok" % ports["main"],
               "redirect-loop": "/scenario/redirect-loop",
               "redirect-307": "/scenario/ok",
               "redirect-303": "/scenario/ok"}[name]
        status = {"redirect-307": (307, "Temporary Redirect"), "redirect-303": (303, "See Other")}.get(name, (302, "Found"))
        send(sock, response(status[0], status[1], b"", ["Location: " + loc]))
        return "keep"
    if name == "redirect-trick":  # Locations that must be seen as another origin
        main, trap = ports["main"], ports["trap"]
        tricks = ["//127.0.0.1:%d/x" % trap,
                  "http://127.0.0.1:%d@127.0.0.1:%d/x" % (main, trap),
                  "http://localhost:%d/x" % trap,
                  "https://127.0.0.1:%d/x" % main,
                  "http://127.0.0.1:%d" % trap,
                  "http://127.0.0.1:%d\\@127.0.0.1:%d/x" % (trap, main),
                  "http://127.0.0.1:%d#@127.0.0.1:%d/" % (main, trap),
                  "http://127.0.0.1:%d?@127.0.0.1:%d/" % (main, trap),
                  "http:/127.0.0.1:%d/x" % trap,
                  "http://127.0.0.1:%d:%d/x" % (main, trap),
                  "ftp://127.0.0.1:%d/x" % main,
                  "http://127.0.0.1.:%d/x" % main,
                  "http://0x7f.1:%d/x" % trap]
        k = query_int(target, "n", 0)
        if k >= len(tricks):
            send(sock, response(404, "Not Found", b"no more tricks\n"))
        else:
            send(sock, response(302, "Found", b"", ["Location: " + tricks[k]]))
        return "keep"
    if name == "redirect-cd":
        loc = "http://127.0.0.1:%d/rest/v1.0/properties/x" % ports["trap"]
        send(sock, response(302, "Found", b"<a>moved</a>", ["Location: " + loc, "Content-Type: text/html"]))
        return "keep"
    # TLS endings (meaningful on the tls listener; on plain ones they are plain closes)
    if name == "tls-complete-no-notify":  # a Content-Length body, all of it, then no close_notify
        send(sock, response(200, "OK", GOOD_BODY, ["Content-Type: application/json"], keep=False))
        raw_close(sock)
        return "done"
    if name == "tls-close-no-notify":  # read-to-close body cut without close_notify
        send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nperhaps all of it")
        raw_close(sock)
        return "done"
    if name == "tls-close-notify":  # read-to-close body ended properly by close_notify
        send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
        close_notify(sock, tls)
        return "done"
    if name == "tls-notify-no-answer":  # the request read, close_notify instead of an answer
        close_notify(sock, tls)
        return "done"
    if name == "tls-short-no-notify":  # a Content-Length body cut short
        send(sock, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        raw_close(sock)
        return "done"
    return "keep" if send(sock, response(404, "Not Found", b"no such scenario\n")) else "done"


def control(sock, target):
    path = target.decode("latin-1")
    if path == "/_ports":
        body = "".join("%s=%d\n" % kv for kv in sorted(ports.items())).encode()
    elif path.startswith("/_count/"):
        with lock:
            body = b"%d" % counts.get(path[8:], 0)
    elif path.startswith("/_conns/"):
        with lock:
            body = b"%d" % conns.get(path[8:], 0)
    else:
        body = b"unknown control request\n"
    return send(sock, response(200, "OK", body, ["Content-Type: text/plain"]))


def serve_http(sock, listener, tls=False):
    buf = b""
    nreq = 0
    try:
        while True:
            head = read_head(sock, buf)
            if head is None:
                break
            method, target, length, rest = head
            nreq += 1
            m = SCENARIO_RE.search(target)
            name = m.group(1).decode() if m else "ok"
            if name == "early-413" and length > 65536:
                # answers at once, reads nothing of the body, closes (a reset, with data unread)
                bump(counts, name)
                send(sock, response(413, "Payload Too Large", b"too large\n", keep=False))
                time.sleep(0.05)
                sock.close()
                return
            if name == "drop-mid-body" and nreq >= 2 and not target.startswith(b"/_"):
                # a keep-alive connection dies while the request body comes in
                bump(counts, name)
                sock.settimeout(5)
                got = len(rest)
                try:
                    while got < min(length, 65536):
                        d = sock.recv(65536)
                        if not d:
                            break
                        got += len(d)
                except (OSError, ssl.SSLError):
                    pass
                reset(sock)
                return
            req = read_body(sock, rest, length)
            if req is None:
                break
            body, buf = req
            if target.startswith(b"/_"):
                if not control(sock, target):
                    break
                continue
            bump(counts, name)
            if name == "drop-mid-body":  # the first request of a connection: check its body
                ok = pattern_ok(body)
                if not ok:
                    bump(counts, "corrupt-bodies")
                if not send(sock, response(200, "OK", b"body ok" if ok else b"body corrupt")):
                    break
                continue
            after = play(sock, name, target, nreq, tls, method)
            if after == "keep":
                continue
            if after in ("idle-close", "idle-notify"):
                sock.settimeout(0.1)
                try:
                    more = sock.recv(65536)
                except socket.timeout:
                    more = b""
                except (OSError, ssl.SSLError):
                    break
                sock.settimeout(None)
                if not more:
                    if after == "idle-notify" and tls:  # close_notify first, then the close
                        try:
                            sock.settimeout(1)
                            sock = sock.unwrap()
                        except (OSError, ssl.SSLError, ValueError):
                            pass
                    break
                buf += more
                continue
            break
    finally:
        try:
            sock.close()
        except OSError:
            pass


def read_client_hello(sock):
    sock.settimeout(5)
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def handle(name, sock, ctx):
    bump(conns, name)
    try:
        if name == "main":
            serve_http(sock, name)
        elif name == "trap":
            sock.settimeout(2)
            try:
                while True:
                    d = sock.recv(65536)
                    if not d:
                        break
                    bump(counts, "trap-bytes", len(d))
            except OSError:
                pass
            sock.close()
        elif name == "reset":
            time.sleep(0.3)  # the client's request is in, unread: the reset is what it meets
            reset(sock)
        elif name == "silent":
            time.sleep(60)
            sock.close()
        elif name == "tls":
            sock.settimeout(10)
            try:
                s = ctx.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError):
                sock.close()
                return
            s.settimeout(None)
            serve_http(s, name, tls=True)
        elif name == "tls-garbage":
            if read_client_hello(sock):
                send(sock, bytes(range(256)) * 4)
            wait_closed(sock, 10)
            sock.close()
        elif name == "tls-stall":
            read_client_hello(sock)
            wait_closed(sock, 60)
            sock.close()
        elif name == "tls-plain":
            if read_client_hello(sock):
                send(sock, response(400, "Bad Request", b"This is a plain HTTP port\n", keep=False))
            sock.close()
    except Exception:  # a client that went away mid-scenario: not news
        try:
            sock.close()
        except OSError:
            pass


def listen(name, ctx=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    ports[name] = s.getsockname()[1]

    def loop():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handle, args=(name, c, ctx), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def dump_seeds(path):
    os.makedirs(path, exist_ok=True)
    for name, (data, _) in sorted(FIXED.items()):
        if data and len(data) <= 4096:
            with open(os.path.join(path, "hostile-" + name), "wb") as f:
                f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cert", help="PEM certificate for the TLS listeners")
    ap.add_argument("--key", help="PEM key for --cert")
    ap.add_argument("--dump-seeds", metavar="DIR", help="write the fixed responses into DIR and exit")
    a = ap.parse_args()
    if a.dump_seeds:
        dump_seeds(a.dump_seeds)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    listen("main")
    for name in ("trap", "reset", "silent"):
        listen(name)
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.cert, a.key or a.cert)
        listen("tls", ctx)
        for name in ("tls-garbage", "tls-stall", "tls-plain"):
            listen(name)
    sys.stdout.write("PORT %d\n" % ports["main"])
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
