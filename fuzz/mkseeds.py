#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed corpora for the HTTP-side fuzzers, written into DIR/http, DIR/chunked, DIR/url and
DIR/cderror (run by tests/hostile.mk before `make fuzz`; nothing here is committed output).

The responses come from the hostile server's scenarios (tests/hostile.py, imported, never
run), which include the corpus of responses in tests/fixtures/http (read by
tests/test_http.c), and the CD answers in tests/fixtures/json.
Input formats (see each fuzz/fuzz_*.c):
  http     [flags][split seed][response bytes]
  chunked  [split seed][chunked body bytes]
  url      the text of a URL (also percent-encoded and base64-encoded by the target)
  cderror  [status selector][flags][body bytes]
"""
import importlib.util
import os
import sys

sys.dont_write_bytecode = True  # importing tests/hostile.py leaves no __pycache__ behind

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_hostile():
    spec = importlib.util.spec_from_file_location("hostile", os.path.join(ROOT, "tests", "hostile.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/fuzz/seeds"
    h = load_hostile()
    responses = {name: data for name, (data, _) in h.FIXED.items() if data and len(data) <= 8192}
    responses["two-responses"] = h.good() + h.good()
    responses["chunked-then-next"] = (h.chunked_head() + b"5\r\nhello\r\n0\r\n\r\n" + h.good())
    # http: a few flag combinations per response
    for name, data in sorted(responses.items()):
        for flags in (0x00, 0x02, 0x10, 0x14):
            write(os.path.join(out, "http"), "%s-%02x" % (name, flags), bytes([flags, 7]) + data)
    # chunked: the bodies after the head of every chunked response
    n = 0
    for name, data in sorted(responses.items()):
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep and b"chunked" in head.lower():
            write(os.path.join(out, "chunked"), name, bytes([5]) + body)
            n += 1
    # url
    urls = ["https://cd.example.com:8443", "http://Example.COM", "https://host/cd/", "https://host:9/a/b%20c",
            "http://10.1.2.3:8000", "https://[::1]:8443/x", "https://[2001:db8::a:b]", "http://[::ffff:192.0.2.1]:80",
            "http://[1:2:3:4:5:6:7:8]", "http://user:pw@host", "http://host/#frag", "http://host/a?b=c",
            "http://host:65535/a/b/c/", "HTTPS://x", "http://a_b-c.d:1/~x!$&'()*+,;=:@"]
    for i, u in enumerate(urls):
        write(os.path.join(out, "url"), "url-%02d" % i, u.encode())
    # cderror: the CD error envelopes and answers; status selector 0..
    bodies = {
        "envelope": b'{"error":{"where":"","message":"No credentials/session found in this request","details":"",'
                    b'"code":"NoCredentials"}}',
        "top-level": b'{"code":"NoSuchProperty","message":"Property \'x\' does not exist"}',
        "html": h.HTML502,
        "empty": b"",
        "not-json": b"error [NoSuchRepository]: no repository 'x'\n",
        "escapes": b'{"error":{"code":"A\\u00e9","message":"line\\nnext \\ud83d\\ude00","details":"d","where":"w"}}',
        "property": h.GOOD_BODY,
        "job": b'{"jobId":"4a1","status":"running","outcome":"success"}',
        "sheet": b'{"propertySheet":{"propertySheetId":"1","property":[{"propertyName":"a","value":"1"},'
                 b'{"propertyName":"b","propertySheetId":"2"}]}}',
    }
    fixtures = os.path.join(ROOT, "tests", "fixtures", "json")
    if os.path.isdir(fixtures):
        for f in sorted(os.listdir(fixtures)):
            with open(os.path.join(fixtures, f), "rb") as fh:
                bodies["fixture-" + f] = fh.read()
    for name, body in sorted(bodies.items()):
        for sel in (0, 1, 3, 9):
            write(os.path.join(out, "cderror"), "%s-%d" % (name, sel), bytes([sel, 0]) + body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
