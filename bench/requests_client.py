#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench/requests_client.py - the Python requests side of `make bench`.

Run with /usr/bin/python3 (Debian's python3-requests 2.28 is installed for it only).
    requests_client.py get   URL TARGET N [--ca F] [--expect B]   N GETs on one requests.Session
    requests_client.py fresh URL TARGET N [--ca F] [--expect B]   a new Session (and connection,
                                                                  full TLS handshake) per GET
    requests_client.py cd    URL N                                log in, then N pairs of
        PUT + GET /rest/v1.0/properties/benchProp?projectName=Default through one Session carrying
        the sessionId header (the seed's approach), checking the value read back
Prints "ok n=N secs=S bytes=B vmhwm_kb=K" like the C clients.
"""
import resource
import sys
import time

import requests


def main():
    argv = sys.argv[1:]
    if len(argv) < 3:
        sys.exit("usage: requests_client.py get|fresh URL TARGET N [--ca F] [--expect B] | cd URL N")
    mode = argv[0]
    url = argv[1]
    if mode == "cd":
        target, n, rest = None, int(argv[2]), argv[3:]
    else:
        target, n, rest = argv[2], int(argv[3]), argv[4:]
    ca, expect = True, -1
    while rest:
        opt = rest.pop(0)
        if opt == "--ca":
            ca = rest.pop(0)
        elif opt == "--expect":
            expect = int(rest.pop(0))
        elif opt == "--warm":
            rest.pop(0)
        else:
            sys.exit("unknown option " + opt)

    def session():
        s = requests.Session()
        s.trust_env = False  # no proxies or netrc from the environment
        s.verify = ca
        return s

    nbytes = 0
    if mode == "cd":
        api = url + "/rest/v1.0"
        s = session()
        s.headers.update({"Accept": "application/json", "Content-Type": "application/json"})
        r = s.post(api + "/sessions", json={"userName": "admin", "password": "changeme"}, timeout=30)
        r.raise_for_status()
        s.headers["sessionId"] = r.json()["sessionId"]
        params = {"projectName": "Default"}
        t0 = time.monotonic()
        for i in range(n):
            value = "v%d" % i
            r = s.put(api + "/properties/benchProp", params=params, json={"value": value}, timeout=30)
            if r.status_code != 200:
                sys.exit("setProperty %d: %d %s" % (i, r.status_code, r.text[:200]))
            r.json()
            r = s.get(api + "/properties/benchProp", params=params, timeout=30)
            if r.status_code != 200 or r.json()["property"].get("value") != value:
                sys.exit("getProperty %d: %d %s" % (i, r.status_code, r.text[:200]))
            nbytes += len(r.content)
        t1 = time.monotonic()
    else:
        full = url + target
        s = session()
        t0 = time.monotonic()
        for i in range(n):
            if mode == "fresh":
                s.close()
                s = session()
            r = s.get(full, timeout=30)
            body = r.content
            if r.status_code != 200 or (expect >= 0 and len(body) != expect):
                sys.exit("request %d: status %d, %d body bytes" % (i, r.status_code, len(body)))
            nbytes += len(body)
        t1 = time.monotonic()
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("ok n=%d secs=%.6f bytes=%d vmhwm_kb=%d" % (n, t1 - t0, nbytes, hwm))


if __name__ == "__main__":
    main()
