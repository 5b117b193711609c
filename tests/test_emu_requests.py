#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The bundled CD emulator (tests/cdemu.py) tested through Python `requests`.

Run by tests/t_cdemu.sh, which makes a throwaway certificate, starts the emulator over
HTTP (with the `python3` first in PATH) and over HTTPS (with /usr/bin/python3), and
passes their ports in the environment:
  CDEMU_HTTP_PORT, CDEMU_HTTPS_PORT, CDEMU_CA (the certificate, used as the CA),
  CDEMU_TMP (a scratch directory), CDEMU_HTTP_LOG (the HTTP emulator's stderr).
Both were started with: --token tok-123 --job-seconds 1.
This script starts a few more emulators of its own (session timeout, --state, idle
closes, another user) and always stops them.

It drives the seed's flow (login, set and get a property, create an artifact and a
version, publish two files, run a procedure, wait for the job, logout) and the error
paths, and ends with one line "N passed, N failed".
"""

import base64
import hashlib
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
CDEMU = os.path.join(HERE, "cdemu.py")
TIMEOUT = 10
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s" % what, flush=True)
    return cond


def eq(got, want, what):
    return check(got == want, "%s: got %r, want %r" % (what, shorten(got), shorten(want)))


def shorten(v):
    s = repr(v)
    return v if len(s) < 300 else s[:300] + "..."


def error_code(r):
    try:
        return r.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def expect_error(r, status, code, what):
    ok = eq(r.status_code, status, what + " (status)")
    ok = eq(error_code(r), code, what + " (error.code)") and ok
    if not ok:
        print("    body: %s" % r.text[:300])
    return ok


def q(name):
    """One path segment, percent-encoded (space -> %20, never +)."""
    return quote(name, safe="")


# --------------------------------------------------------------------------------------
# Emulators this script starts itself

started = []


class Emu:
    def __init__(self, *args, python=sys.executable):
        logname = os.path.join(TMP, "emu%d.log" % len(started))
        self.log = open(logname, "wb")
        self.logname = logname
        self.proc = subprocess.Popen([python, CDEMU, "--port", "0"] + list(args),
                                     stdout=subprocess.PIPE, stderr=self.log)
        started.append(self)
        r, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline().decode() if r else ""
        if not line.startswith("PORT "):
            raise RuntimeError("emulator did not start: %r" % line)
        self.port = int(line.split()[1])
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        """SIGTERM; returns (exit status, whatever else it wrote on stdout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        rest = self.proc.stdout.read()
        self.proc.stdout.close()
        self.log.close()
        return rc, rest


def stop_all():
    for e in started:
        if e.proc.poll() is None:
            e.proc.kill()
            e.proc.wait()


def on_term(signum, frame):
    raise SystemExit(1)


# --------------------------------------------------------------------------------------
# Helpers

def new_session(base, verify=True):
    s = requests.Session()
    s.trust_env = False      # no proxies or CA bundles from the environment: loopback only
    s.headers.update(JSON_HEADERS)
    s.verify = verify
    return s


def login(base, user="admin", password="changeme", verify=True, how="cookie"):
    s = new_session(base, verify)
    r = s.post(base + "/rest/v1.0/sessions", json={"userName": user, "password": password},
               timeout=TIMEOUT)
    r.raise_for_status()
    sid = r.json()["sessionId"]
    if how == "cookie":
        s.headers["Cookie"] = "sessionId=" + sid
    else:
        s.headers["sessionId"] = sid
    return s, sid


def stats(url):
    return requests.get(url + "/emu/stats", timeout=TIMEOUT).json()


def raw_exchange(port, data, read_until_close=True, timeout=5):
    """Send raw bytes, return everything received until the server closes (or timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if not read_until_close and b"\r\n\r\n" in out:
                head, _, body = out.partition(b"\r\n\r\n")
                cl = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                if cl and len(body) >= int(cl[0].split(b":")[1]):
                    break
        return out
    finally:
        s.close()


def status_of(raw):
    try:
        return int(raw.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


class RawConn:
    """A keep-alive connection for pipelining: reads responses framed by Content-Length."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb")

    def response(self):
        line = self.f.readline()
        if not line:
            return None, None
        status = int(line.split()[1])
        n = 0
        while True:
            h = self.f.readline()
            if h in (b"\r\n", b""):
                break
            if h.lower().startswith(b"content-length:"):
                n = int(h.split(b":")[1])
        return status, self.f.read(n)

    def close(self):
        self.f.close()
        self.sock.close()


# --------------------------------------------------------------------------------------
# The seed's flow

def seed_flow(base, verify, how, tag):
    """login -> set property -> get property -> create artifact -> create version ->
    publish two files -> run a procedure -> poll until completed -> logout -> 401."""
    api = base + "/rest/v1.0"
    s, sid = login(base, verify=verify, how=how)
    check(isinstance(sid, str) and len(sid) >= 8, tag + ": login gives a sessionId string")

    r = s.put(api + "/properties/seedProp", params={"projectName": "Default"},
              json={"value": "seed value " + tag}, timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": setProperty status")
    eq(r.json()["property"]["propertyName"], "seedProp", tag + ": setProperty propertyName")
    r = s.get(api + "/properties/seedProp", params={"projectName": "Default"}, timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": getProperty status")
    eq(r.json()["property"].get("value"), "seed value " + tag, tag + ": getProperty value")

    group, key, version = "com.example." + tag, "app", "1.0.0"
    r = s.post(api + "/artifacts", json={"groupId": group, "artifactKey": key,
                                         "description": "seed"}, timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": createArtifact status")
    art = r.json()["artifact"]
    eq(art["artifactName"], group + ":" + key, tag + ": artifactName")
    check(isinstance(art["propertySheetId"], str), tag + ": artifact has a propertySheetId")
    r = s.post(api + "/artifactVersions", json={"groupId": group, "artifactKey": key,
                                                "version": version, "repositoryName": "default"},
               timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": createArtifactVersion status")
    av = r.json()["artifactVersion"]
    eq(av["artifactVersionName"], "%s:%s:%s" % (group, key, version), tag + ": artifactVersionName")
    eq(av["artifactVersionState"], "publishing", tag + ": new version is publishing")

    files = {"readme.txt": b"hello\r\nworld\n" * 3,
             "bin/data \u00fc.bin": bytes(range(256)) * 300 + b"\r\n--not-a-boundary\r\n"}
    r = s.post(base + "/commander/publishArtifact.php",
               data={"artifactName": group + ":" + key, "artifactVersionVersion": version,
                     "repositoryName": "default", "compress": "1", "commanderSessionId": sid},
               files=[("files[]", (n, b)) for n, b in files.items()],
               headers={"Content-Type": None}, timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": publishArtifact.php status")
    eq(r.text, "Artifact-Published-OK", tag + ": publish answer is exactly what CloudBees' clients expect")
    vname = "%s:%s:%s" % (group, key, version)
    r = s.get(api + "/artifactVersions/" + q(vname), timeout=TIMEOUT)
    eq(r.json()["artifactVersion"]["artifactVersionState"], "available",
       tag + ": version available after publishing")
    for name, data in files.items():
        r = requests.get(base + "/emu/artifact-file", params={"version": vname, "name": name},
                         verify=verify, timeout=TIMEOUT)
        eq(r.status_code, 200, tag + ": read back " + name)
        check(r.content == data, tag + ": stored bytes of %s are what was sent" % name)

    r = s.post(api + "/jobs", params={"request": "runProcedure"},
               json={"projectName": "Default", "procedureName": "runme",
                     "actualParameter": [{"actualParameterName": "greeting", "value": "hi \"there\""},
                                         {"actualParameterName": "duration", "value": "1"}]},
               timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": runProcedure status")
    job_id = r.json().get("jobId")
    check(isinstance(job_id, str) and job_id, tag + ": runProcedure gives a jobId string")
    seen = []
    deadline = time.time() + 15
    while time.time() < deadline:
        r = s.get(api + "/jobs/" + q(job_id), params={"request": "getJobStatus"}, timeout=TIMEOUT)
        st = r.json()
        if not seen or seen[-1] != st["status"]:
            seen.append(st["status"])
        if st["status"] == "completed":
            break
        time.sleep(0.1)
    eq(seen[-1] if seen else None, "completed", tag + ": job completes")
    check("running" in seen and seen.index("running") < len(seen) - 1,
          tag + ": job was seen running before completed (%s)" % seen)
    eq(st.get("outcome"), "success", tag + ": job outcome")
    eq(st.get("jobId"), job_id, tag + ": getJobStatus jobId")
    r = s.get(api + "/jobs/" + q(job_id), timeout=TIMEOUT)
    job = r.json()["job"]
    eq(job["status"], "completed", tag + ": job details status")
    eq({p["actualParameterName"]: p["value"] for p in job["actualParameter"]},
       {"greeting": "hi \"there\"", "duration": "1"}, tag + ": job actualParameter")

    r = s.delete(api + "/sessions", timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": logout status")
    r = s.get(api + "/properties/seedProp", params={"projectName": "Default"}, timeout=TIMEOUT)
    expect_error(r, 401, "SessionExpired", tag + ": a call after logout")
    r = s.post(base + "/commander/publishArtifact.php",
               data={"artifactName": group + ":" + key, "artifactVersionVersion": "2.0",
                     "commanderSessionId": sid},
               files=[("files[]", ("x.txt", b"x"))], headers={"Content-Type": None, "Cookie": None},
               timeout=TIMEOUT)
    eq(r.status_code, 401, tag + ": upload after logout status")
    check("error [SessionExpired]" in r.text, tag + ": upload after logout text: " + r.text[:80])


# --------------------------------------------------------------------------------------
# Authentication

def test_auth(base):
    api = base + "/rest/v1.0"
    plain = new_session(base)
    r = plain.get(api + "/properties/x", params={"projectName": "Default"}, timeout=TIMEOUT)
    expect_error(r, 401, "NoCredentials", "no credentials")
    eq(r.json(), {"error": {"where": "", "message": "No credentials/session found in this request",
                            "details": "", "code": "NoCredentials"}}, "NoCredentials envelope")

    r = plain.post(api + "/sessions", json={"userName": "admin", "password": "wrong"}, timeout=TIMEOUT)
    expect_error(r, 401, "InvalidCredentials", "login with a bad password")
    r = plain.post(api + "/sessions", json={"userName": "nobody", "password": "changeme"}, timeout=TIMEOUT)
    expect_error(r, 401, "InvalidCredentials", "login as an unknown user")
    r = plain.post(api + "/sessions", json={"userName": "admin"}, timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "login without password")
    check("password" in r.json()["error"]["message"], "login without password names the field")
    r = plain.post(api + "/sessions", json={}, timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "login without anything")

    # Basic auth on any call, no login.
    r = requests.get(api + "/projects/Default", headers=JSON_HEADERS, auth=("admin", "changeme"),
                     timeout=TIMEOUT)
    eq(r.status_code, 200, "Basic auth works")
    eq(r.json()["project"]["projectName"], "Default", "Basic auth answer")
    r = requests.get(api + "/projects/Default", headers=JSON_HEADERS, auth=("admin", "nope"),
                     timeout=TIMEOUT)
    expect_error(r, 401, "InvalidCredentials", "Basic with a bad password")
    r = requests.get(api + "/projects/Default", headers=dict(JSON_HEADERS, Authorization="Basic !!!"),
                     timeout=TIMEOUT)
    expect_error(r, 401, "InvalidCredentials", "malformed Basic")

    # Token login.
    r = plain.post(api + "/sessions", json={"token": "tok-123"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "token login")
    eq(r.json().get("userName"), "admin", "token login userName")
    tsid = r.json()["sessionId"]
    r = requests.get(api + "/projects/Default", headers=dict(JSON_HEADERS, sessionId=tsid), timeout=TIMEOUT)
    eq(r.status_code, 200, "token session works")
    r = plain.post(api + "/sessions", json={"token": "tok-bad"}, timeout=TIMEOUT)
    expect_error(r, 401, "InvalidCredentials", "bad token")

    # The session from the header alone, or the cookie alone; an unknown one.
    s, sid = login(base, how="header")
    eq(s.get(api + "/projects/Default", timeout=TIMEOUT).status_code, 200, "session in a sessionId header")
    r = requests.get(api + "/projects/Default", headers=dict(JSON_HEADERS, Cookie="a=b; sessionId=" + sid),
                     timeout=TIMEOUT)
    eq(r.status_code, 200, "session in a Cookie among others")
    r = requests.get(api + "/projects/Default", headers=dict(JSON_HEADERS, sessionId="NOPE"), timeout=TIMEOUT)
    expect_error(r, 401, "SessionExpired", "unknown session id")

    # The query form of login works (tolerated) and the log hides the password.
    r = plain.post(api + "/sessions", params={"userName": "admin", "password": "changeme"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "query-form login")
    # Expiry on demand.
    s2, _ = login(base)
    eq(s2.get(api + "/projects/Default", timeout=TIMEOUT).status_code, 200, "fresh session works")
    r = requests.post(base + "/emu/expire-sessions", timeout=TIMEOUT)
    eq(r.status_code, 200, "/emu/expire-sessions")
    check(r.json().get("expired", 0) >= 1, "/emu/expire-sessions counts sessions")
    expect_error(s2.get(api + "/projects/Default", timeout=TIMEOUT), 401, "SessionExpired",
                 "session after /emu/expire-sessions")


def test_session_timeout():
    e = Emu("--session-timeout", "1.5", "--user", "bob:s3cret pass", "--job-seconds", "0.4",
            python="python3")
    api = e.url + "/rest/v1.0"
    s, _ = login(e.url, "bob", "s3cret pass")
    for i in range(2):
        time.sleep(0.5)
        eq(s.get(api + "/projects/Default", timeout=TIMEOUT).status_code, 200,
           "use %d within the idle timeout keeps the session alive" % i)
    time.sleep(1.9)
    expect_error(s.get(api + "/projects/Default", timeout=TIMEOUT), 401, "SessionExpired",
                 "session after --session-timeout")
    r = requests.post(api + "/sessions", headers=JSON_HEADERS,
                      json={"userName": "admin", "password": "changeme"}, timeout=TIMEOUT)
    expect_error(r, 401, "InvalidCredentials", "--user replaces the default admin")
    # --job-seconds: the default duration of a job.
    s, _ = login(e.url, "bob", "s3cret pass")
    r = s.post(api + "/jobs?request=runProcedure",
               json={"projectName": "Default", "procedureName": "runme"}, timeout=TIMEOUT)
    jid = r.json()["jobId"]
    st1 = s.get(api + "/jobs/%s?request=getJobStatus" % jid, timeout=TIMEOUT).json()["status"]
    time.sleep(0.6)
    st2 = s.get(api + "/jobs/%s?request=getJobStatus" % jid, timeout=TIMEOUT).json()["status"]
    check(st1 in ("runnable", "running"), "job not completed right away (%s)" % st1)
    eq(st2, "completed", "job completed after --job-seconds 0.4")
    rc, rest = e.stop()
    eq(rc, 0, "SIGTERM exits with status 0")
    eq(rest, b"", "nothing on stdout after the PORT line")


# --------------------------------------------------------------------------------------
# Requests the emulator refuses

def test_content_type_and_bodies(base, port):
    api = base + "/rest/v1.0"
    auth = ("admin", "changeme")
    r = requests.get(api + "/projects/Default", headers={"Accept": "application/json"}, auth=auth,
                     timeout=TIMEOUT)
    eq(r.status_code, 200, "default profile: a GET without Content-Type is served (the KB recipe's form)")
    e = Emu("--profile", "jetty12.1", "--quiet")
    base, api = e.url, e.url + "/rest/v1.0"
    r = requests.get(api + "/projects/Default", headers={"Accept": "application/json"}, auth=auth,
                     timeout=TIMEOUT)
    expect_error(r, 415, "UnsupportedMediaType", "jetty12.1: GET without Content-Type")
    check("application/json" in r.json()["error"]["message"], "415 message says what is needed")
    r = requests.put(api + "/properties/ct", params={"projectName": "Default"}, data='{"value":"x"}',
                     headers={"Content-Type": "text/plain"}, auth=auth, timeout=TIMEOUT)
    expect_error(r, 415, "UnsupportedMediaType", "PUT with text/plain")
    r = requests.delete(api + "/properties/ct", params={"projectName": "Default"}, auth=auth, timeout=TIMEOUT)
    expect_error(r, 415, "UnsupportedMediaType", "DELETE without Content-Type")
    r = requests.get(api + "/projects/Default", auth=auth, timeout=TIMEOUT,
                     headers={"Content-Type": "application/json; charset=UTF-8"})
    eq(r.status_code, 200, "Content-Type with a charset parameter is accepted")

    s = new_session(base)
    s.auth = auth
    r = s.put(api + "/properties/bad", params={"projectName": "Default"}, data='{"value": "x",}',
              timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "malformed JSON")
    r = s.put(api + "/properties/bad", params={"projectName": "Default"}, data='["value"]', timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "a JSON array body")
    r = s.put(api + "/properties/bad", params={"projectName": "Default"}, data='{"value": NaN}',
              timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "NaN in JSON")
    r = s.put(api + "/properties/bad", params={"projectName": "Default"}, data='{"value": "\\ud800"}',
              timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "a lone surrogate")
    r = s.put(api + "/properties/bad", params={"projectName": "Default"}, data=b'{"value": "\xff"}',
              timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "invalid UTF-8 in the body")
    r = s.put(api + "/properties/bad", params={"projectName": "Default"}, json={"value": {"a": 1}},
              timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "an object where a string belongs")
    r = s.post(api + "/artifacts", json={"groupId": "g"}, timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "createArtifact without artifactKey")
    check("artifactKey" in r.json()["error"]["message"], "missing artifactKey is named")
    r = s.post(api + "/jobs?request=runProcedure", json={"projectName": "Default"}, timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "runProcedure without procedureName")
    check("procedureName" in r.json()["error"]["message"], "missing procedureName is named")
    r = s.post(api + "/jobs?request=runProcedure&actualParameter=a", timeout=TIMEOUT,
               json={"projectName": "Default", "procedureName": "runme"})
    expect_error(r, 400, "InvalidArgument", "actualParameter in the query string")
    r = s.post(api + "/jobs", json={"projectName": "Default", "procedureName": "runme"}, timeout=TIMEOUT)
    expect_error(r, 400, "InvalidArgument", "POST /jobs without request=runProcedure")
    r = s.get(api + "/noSuchThing", timeout=TIMEOUT)
    expect_error(r, 501, "NotImplemented", "unknown path")
    r = s.patch(api + "/projects/Default", json={}, timeout=TIMEOUT)
    expect_error(r, 501, "NotImplemented", "unsupported method")
    # Query and body are merged, the body wins.
    r = s.put(api + "/properties/merged?projectName=Nope&value=fromQuery", timeout=TIMEOUT,
              json={"projectName": "Default", "value": "fromBody"})
    eq(r.status_code, 200, "query+body merge status")
    eq(r.json()["property"].get("value"), "fromBody", "the body wins over the query")
    # The query form breaks on long values (8 KiB request line), as on a real server.
    r = s.put(api + "/properties/long", params={"projectName": "Default", "value": "v" * 65536},
              timeout=TIMEOUT)
    eq(r.status_code, 414, "64 KiB value in the query string")

    # HTTP framing, raw.
    ok = b"GET /rest/v1.0/projects/Default HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
         b"Authorization: Basic " + base64.b64encode(b"admin:changeme") + b"\r\n"
    eq(status_of(raw_exchange(port, ok + b"\r\n", read_until_close=False)), 200, "raw request")
    eq(status_of(raw_exchange(port, ok.replace(b"Host: x\r\n", b"") + b"\r\n")), 400, "no Host header")
    eq(status_of(raw_exchange(port, ok.replace(b"\r\n", b"\n") + b"\n")), 400, "bare LF line ends")
    # A TLS ClientHello (no line end ever comes) on the plain port: 400 at once, as Jetty does.
    t0 = time.time()
    hello = b"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03" + b"\x00" * 40
    eq(status_of(raw_exchange(port, hello, timeout=10)), 400, "a TLS hello on the plain-HTTP port")
    check(time.time() - t0 < 5, "a TLS hello is answered at once, not after the idle timeout")
    eq(status_of(raw_exchange(port, ok + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}")),
       400, "Content-Length with Transfer-Encoding")
    eq(status_of(raw_exchange(port, ok + b"Content-Length: x\r\n\r\n")), 400, "bad Content-Length")
    eq(status_of(raw_exchange(port, b"GET /rest/v1.0/projects/Default%20\xc3 HTTP/1.1\r\nHost: x\r\n\r\n")),
       400, "raw non-ASCII request target")
    eq(status_of(raw_exchange(port, b"GARBAGE\r\n\r\n")), 400, "garbage request line")
    eq(status_of(raw_exchange(port, ok + b"Content-Length: 99999999999\r\n\r\n")), 413, "huge Content-Length")
    eq(status_of(raw_exchange(port, ok + b"X-Big: " + b"x" * 20000 + b"\r\n\r\n")), 431, "oversized head")
    eq(status_of(raw_exchange(port, ok + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n")), 400,
       "malformed chunk size")
    r = raw_exchange(port, ok.replace(b"projects/Default", b"properties/bad%zzescape?projectName=Default")
                     + b"Connection: close\r\n\r\n")
    check(status_of(r) == 400 and b'"InvalidArgument"' in r, "malformed percent-escape in a path: %r" % r[:200])
    r = raw_exchange(port, ok.replace(b"projects/Default", b"properties/x?projectName=De%zzfault")
                     + b"Connection: close\r\n\r\n")
    check(status_of(r) == 400 and b'"InvalidArgument"' in r, "malformed percent-escape in a query: %r" % r[:200])
    eq(status_of(raw_exchange(port, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")), 505, "HTTP/2.0 request line")
    # Two pipelined requests, answered in order on one connection.
    two = raw_exchange(port, ok + b"\r\n" + ok.replace(b"Default", b"Nope") + b"Connection: close\r\n\r\n")
    eq(two.count(b"HTTP/1.1 "), 2, "two pipelined requests get two responses")
    check(two.find(b"HTTP/1.1 200") < two.find(b"HTTP/1.1 404"), "pipelined responses in order")
    # A chunked request body (requests sends one for a generator).
    r = s.put(api + "/properties/chunked?projectName=Default", timeout=TIMEOUT,
              data=(c for c in [b'{"val', b'ue":"by chunks"}']))
    eq(r.status_code, 200, "chunked request body")
    eq(r.json()["property"].get("value"), "by chunks", "chunked body decoded")
    # Expect: 100-continue.
    body = b'{"value":"continued"}'
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(ok.replace(b"GET /rest/v1.0/projects/Default", b"PUT /rest/v1.0/properties/cont?projectName=Default")
              + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
    first = c.recv(100)
    eq(first, b"HTTP/1.1 100 Continue\r\n\r\n", "100 Continue before the body")
    c.sendall(body)
    time.sleep(0.2)
    eq(status_of(c.recv(4096)), 200, "request completed after 100 Continue")
    c.close()
    eq(requests.get(base + "/emu/stats", timeout=TIMEOUT).status_code, 200, "emulator alive after hostile input")


# --------------------------------------------------------------------------------------
# Properties

def test_properties(base):
    api = base + "/rest/v1.0"
    s, _ = login(base)
    P = {"projectName": "Default"}

    def put(path, value, params=P, **kw):
        return s.put(api + "/properties/" + path, params=params, json=dict({"value": value}, **kw),
                     timeout=TIMEOUT)

    def get(path, params=P):
        return s.get(api + "/properties/" + path, params=params, timeout=TIMEOUT)

    r = get("noSuchProp")
    expect_error(r, 404, "NoSuchProperty", "missing property")
    expect_error(get("x", {"projectName": "NoSuchProj"}), 404, "NoSuchProject", "relative, unknown project")
    expect_error(get("/projects/NoSuchProj/x", {}), 404, "NoSuchProject", "absolute, unknown project")
    expect_error(s.get(api + "/projects/NoSuchProj", timeout=TIMEOUT), 404, "NoSuchProject", "getProject")
    expect_error(get("x", {}), 400, "InvalidArgument", "relative path without context")

    # Hard values round-trip.
    values = {
        "quotes": 'say "hi" \'there\'',
        "backslash": "C:\\path\\to\\file \\n \\u0041",
        "newlines": "line1\nline2\r\nline3\ttab",
        "emoji": "\U0001F600 caf\u00e9 \u6f22\u5b57 \U0001F4A9",
        "control": "".join(chr(c) for c in range(1, 32)) + "\x7f",
        "big": ("0123456789abcdef\n" * 4096)[:65536],
        "dollar": "cost $5 [not a ref] $[",
    }
    for name, v in values.items():
        r = put(name, v)
        eq(r.status_code, 200, "set %s" % name)
        r = get(name, dict(P, expand="0"))
        eq(r.json()["property"].get("value"), v, "round trip %s" % name)
    eq(len(get("big").json()["property"]["value"]), 65536, "64 KiB value length")
    r = get("emoji")
    check("\U0001F600".encode() in r.content, "non-ASCII sent as raw UTF-8 by default")
    requests.post(base + "/emu/config", json={"asciiJson": True}, timeout=TIMEOUT)
    r = get("emoji")
    check(b"\\ud83d\\ude00" in r.content, "asciiJson answers with surrogate-pair escapes")
    eq(r.json()["property"]["value"], values["emoji"], "asciiJson value decodes the same")
    requests.post(base + "/emu/config", json={"asciiJson": False}, timeout=TIMEOUT)

    # Empty value: "value" absent.
    put("empty", "")
    r = get("empty")
    eq(r.status_code, 200, "empty property")
    check("value" not in r.json()["property"], "value absent when empty")
    eq(r.json()["property"].get("expandable"), "1", "booleans are 0/1 strings")
    check(r.json()["property"]["createTime"].endswith("Z") and
          len(r.json()["property"]["createTime"]) == 24, "time is ISO-8601 UTC with milliseconds")

    # Names with spaces, %, +, Unicode.
    for name in ["with space", "100% sure", "a+b", "caf\u00e9 \u2713", "semi;colon?and#hash&amp=1"]:
        r = put(q(name), "v:" + name)
        eq(r.status_code, 200, "set %r" % name)
        eq(r.json()["property"]["propertyName"], name, "propertyName %r" % name)
        eq(get(q(name)).json()["property"].get("value"), "v:" + name, "get %r" % name)
    expect_error(get("with+space"), 404, "NoSuchProperty", "'+' in a path is a plus, not a space")
    expect_error(get("a%2Fb"), 400, "InvalidArgument", "an encoded slash in a name")

    # Absolute and relative paths; projects made by the test.
    r = s.post(api + "/projects", json={"projectName": "My Proj 50%"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "createProject")
    expect_error(s.post(api + "/projects", json={"projectName": "My Proj 50%"}, timeout=TIMEOUT),
                 409, "DuplicateProjectName", "createProject twice")
    put("rel", "relative value", {"projectName": "My Proj 50%"})
    r = get("/projects/%s/rel" % q("My Proj 50%"), {})
    eq(r.json()["property"].get("value"), "relative value", "relative set, absolute get")
    check("//projects/" in r.url, "the absolute path gives a double slash in the URL")
    put("/projects/%s/abs" % q("My Proj 50%"), "absolute value", {})
    eq(get("abs", {"projectName": "My Proj 50%"}).json()["property"].get("value"), "absolute value",
       "absolute set, relative get")
    put("procProp", "on the procedure", {"projectName": "Default", "procedureName": "runme"})
    eq(get("/projects/Default/procedures/runme/procProp", {}).json()["property"].get("value"),
       "on the procedure", "procedure context")
    expect_error(get("x", {"projectName": "Default", "procedureName": "nope"}), 404, "NoSuchProcedure",
                 "unknown procedure context")

    # Nested sheets, create, delete.
    r = put("sheet1/sub/leaf", "deep")
    eq(r.status_code, 200, "set a nested path creates the sheets")
    r = get("sheet1")
    prop = r.json()["property"]
    check("propertySheetId" in prop and "value" not in prop, "a sheet has propertySheetId and no value")
    r = s.get(api + "/propertySheets/" + q(prop["propertySheetId"]), timeout=TIMEOUT)
    eq(r.status_code, 200, "getPropertySheet")
    sub = r.json()["propertySheet"]["property"]
    eq([p["propertyName"] for p in sub], ["sub"], "sheet listing")
    check("propertySheetId" in sub[0], "nested sheet listed with its propertySheetId")
    r = s.get(api + "/propertySheets/not-a-sheet", timeout=TIMEOUT)
    eq(r.status_code, 404, "unknown property sheet")
    expect_error(put("sheet1", "x"), 400, "InvalidArgument", "a value on a sheet")
    expect_error(put("sheet1/sub/leaf/deeper", "x"), 400, "InvalidArgument", "a path through a string")
    r = s.post(api + "/properties", json={"propertyName": "created", "value": "c1", "description": "d",
                                          "projectName": "Default"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "createProperty")
    eq(r.json()["property"]["description"], "d", "createProperty description")
    r = s.post(api + "/properties", json={"propertyName": "created", "value": "c2",
                                          "projectName": "Default"}, timeout=TIMEOUT)
    expect_error(r, 409, "DuplicatePropertyName", "createProperty twice")
    r = s.post(api + "/properties", json={"propertyName": "/projects/Default/newSheet",
                                          "propertyType": "sheet"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "create a sheet with an absolute propertyName")
    check("propertySheetId" in r.json()["property"], "created sheet has a propertySheetId")
    r = s.delete(api + "/properties/created", params=P, timeout=TIMEOUT)
    eq(r.status_code, 200, "deleteProperty")
    expect_error(get("created"), 404, "NoSuchProperty", "get after delete")
    expect_error(s.delete(api + "/properties/created", params=P, timeout=TIMEOUT), 404, "NoSuchProperty",
                 "delete twice")
    # The project's own sheet.
    r = s.get(api + "/projects/Default", timeout=TIMEOUT)
    psid = r.json()["project"]["propertySheetId"]
    r = s.get(api + "/propertySheets/" + q(psid), timeout=TIMEOUT)
    names = [p["propertyName"] for p in r.json()["propertySheet"]["property"]]
    check({"sheet1", "emoji", "with space", "newSheet"} <= set(names), "project sheet lists its properties")
    eq(names, sorted(names), "listing sorted by name")

    # Expansion.
    put("greeting", "Hello $[name]$[/projects/Default/punct]")
    put("name", "World")
    put("punct", "!")
    put("ref", "[$[greeting]] missing=<$[/projects/Default/nope]>")
    eq(get("ref").json()["property"].get("value"), "[Hello World!] missing=<>", "expansion by default")
    eq(get("ref", dict(P, expand="0")).json()["property"].get("value"),
       "[$[greeting]] missing=<$[/projects/Default/nope]>", "expand=0 gives the raw text")
    eq(get("ref", dict(P, expand="1")).json()["property"].get("value"), "[Hello World!] missing=<>",
       "expand=1")
    # ... but an unresolvable reference fails an expanded listing (KB-00262), not expand=0
    r = s.get(api + "/propertySheets/" + q(psid), timeout=TIMEOUT)
    eq(r.status_code, 400, "an expanded listing with an unresolvable reference fails")
    eq(r.json()["error"]["code"], "InvalidPropertyValue", "... as InvalidPropertyValue")
    r = s.get(api + "/propertySheets/" + q(psid), params={"expand": "0"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "expand=0 lists the sheet with the raw reference")
    check(any(p.get("value") == "[$[greeting]] missing=<$[/projects/Default/nope]>"
              for p in r.json()["propertySheet"]["property"]), "... raw")
    put("which", "name")
    put("nested", "$[$[which]]")
    eq(get("nested").json()["property"].get("value"), "World", "nested reference")
    put("loop", "<$[loop]>")
    t = time.time()
    r = get("loop")
    eq(r.status_code, 200, "a self-reference does not hang")
    check(time.time() - t < 2, "self-reference answered quickly")
    put("noexp", "$[name]", expandable="0")
    eq(get("noexp").json()["property"].get("value"), "$[name]", "expandable=0 is not expanded")
    r = s.get(api + "/properties", params={"projectName": "Default", "path": "sheet1/sub"}, timeout=TIMEOUT)
    eq([p["propertyName"] for p in r.json()["propertySheet"]["property"]], ["leaf"],
       "GET /properties?path= lists a sheet")


# --------------------------------------------------------------------------------------
# Artifacts

def test_artifacts(base):
    api = base + "/rest/v1.0"
    s, sid = login(base)
    r = s.post(api + "/artifacts", json={"groupId": "dup", "artifactKey": "k"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "createArtifact")
    expect_error(s.post(api + "/artifacts", json={"groupId": "dup", "artifactKey": "k"}, timeout=TIMEOUT),
                 409, "DuplicateArtifactName", "createArtifact twice")
    r = s.post(api + "/artifacts?groupId=q&artifactKey=2", timeout=TIMEOUT)
    eq(r.status_code, 200, "createArtifact from the query string (the seed article's form)")
    expect_error(s.post(api + "/artifacts", json={"groupId": "bad/g", "artifactKey": "k"}, timeout=TIMEOUT),
                 400, "InvalidArtifactName", "invalid artifact name")
    expect_error(s.get(api + "/artifacts/nope:nope", timeout=TIMEOUT), 404, "NoSuchArtifact", "getArtifact")
    eq(s.get(api + "/artifacts/dup:k", timeout=TIMEOUT).json()["artifact"]["groupId"], "dup", "getArtifact")
    check("dup:k" in [a["artifactName"] for a in s.get(api + "/artifacts", timeout=TIMEOUT).json()["artifact"]],
          "getArtifacts lists it")
    v = {"groupId": "dup", "artifactKey": "k", "version": "1.0"}
    eq(s.post(api + "/artifactVersions", json=v, timeout=TIMEOUT).status_code, 200, "createArtifactVersion")
    expect_error(s.post(api + "/artifactVersions", json=v, timeout=TIMEOUT), 409, "DuplicateArtifactVersion",
                 "createArtifactVersion twice")
    expect_error(s.post(api + "/artifactVersions", json=dict(v, artifactKey="nokey"), timeout=TIMEOUT),
                 404, "NoSuchArtifact", "version of a missing artifact")
    expect_error(s.post(api + "/artifactVersions", json=dict(v, version="2", repositoryName="nope"),
                        timeout=TIMEOUT), 404, "NoSuchRepository", "version in a missing repository")
    expect_error(s.get(api + "/artifactVersions/dup:k:9", timeout=TIMEOUT), 404, "NoSuchArtifactVersion",
                 "getArtifactVersion missing")
    r = s.get(api + "/artifactVersions", params={"artifactName": "dup:k"}, timeout=TIMEOUT)
    eq([x["artifactVersionName"] for x in r.json()["artifactVersion"]], ["dup:k:1.0"],
       "getArtifactVersions filters by artifactName")
    r = s.get(api + "/artifactVersions", params={"groupId": "dup", "artifactKey": "k"}, timeout=TIMEOUT)
    check(len(r.json()["artifactVersion"]) > 1,
          "getArtifactVersions ignores groupId/artifactKey (not filters) and lists every version")
    expect_error(s.get(api + "/artifactVersions", params={"artifactName": "no:such"}, timeout=TIMEOUT),
                 404, "NoSuchArtifact", "getArtifactVersions of a missing artifact")
    r = s.post(api + "/artifacts", json={"groupId": "com.example group", "artifactKey": "my key"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "a groupId and artifactKey with spaces (the Artifacts docs allow them)")

    def publish(fields, files, headers=None):
        return s.post(base + "/commander/publishArtifact.php", data=fields, files=files,
                      headers={"Content-Type": None} if headers is None else headers, timeout=TIMEOUT)

    good = {"artifactName": "dup:k", "artifactVersionVersion": "1.0", "repositoryName": "default",
            "compress": "1", "commanderSessionId": sid}
    one = [("files[]", ("f.txt", b"data"))]
    # The real endpoint answers 200 and a text body either way (Jenkins PublishArtifactSuite).
    r = publish(dict(good, repositoryName="nope"), one)
    eq(r.status_code, 200, "upload to a missing repository: status")
    check(r.text.startswith("publishArtifactAPI error [NoSuchRepository]: "), "upload NoSuchRepository text: " + r.text[:80])
    r = publish({k: v for k, v in good.items() if k != "artifactVersionVersion"}, one)
    eq(r.status_code, 200, "upload without artifactVersionVersion")
    check("error [InvalidArgument]: " in r.text and "artifactVersionVersion" in r.text,
          "missing upload field named: " + r.text[:80])
    r = publish(dict(good, artifactName="nocolon"), one)
    check(r.status_code == 200 and r.text.startswith("error [InvalidArtifactName]"),
          "upload with a bad artifact name: %d %s" % (r.status_code, r.text[:80]))
    r = publish(good, one, headers={})      # the session's application/json stays: not multipart
    check(r.status_code == 200 and "error [InvalidArgument]" in r.text and "multipart" in r.text,
          "upload with Content-Type application/json: %d %s" % (r.status_code, r.text[:80]))
    r = publish({k: v for k, v in good.items() if k != "commanderSessionId"}, one,
                headers={"Content-Type": None, "Cookie": None})
    check(r.status_code == 401 and "error [NoCredentials]" in r.text,
          "upload without a session: %d %s" % (r.status_code, r.text[:80]))
    r = publish(good, [("files[]", ("../evil", b"x"))])
    check(r.status_code == 200 and "error [InvalidArgument]" in r.text, "upload with a '..' file name")
    r = s.get(base + "/commander/publishArtifact.php", timeout=TIMEOUT)
    eq(r.status_code, 400, "GET publishArtifact.php answers 400 (how CloudBees' plugin probes for it)")
    r = publish(good, one)
    eq((r.status_code, r.text), (200, "Artifact-Published-OK"), "upload into the publishing version")
    r = publish(good, one)
    check(r.status_code == 200 and "error [DuplicateArtifactVersion]" in r.text,
          "upload into an available version: %d %s" % (r.status_code, r.text[:80]))
    # Trees: names keep their directories; the leading '/' CloudBees' Jenkins plugin sends is dropped.
    tree = [("files[]", ("/sub/a.txt", b"1")), ("files[]", ("other/a.txt", b"22")),
            ("files[]", ("semi;colon 100%.txt", b"3")), ("files[]", ("\u00fcber/\u65e5\u672c.txt", b"4"))]
    r = publish(dict(good, artifactVersionVersion="tree"), tree)
    eq(r.text, "Artifact-Published-OK", "upload of a tree")
    r = requests.get(base + "/emu/artifact-files", params={"version": "dup:k:tree"}, timeout=TIMEOUT)
    eq(sorted(f["name"] for f in r.json()["file"]),
       sorted(["sub/a.txt", "other/a.txt", "semi;colon 100%.txt", "\u00fcber/\u65e5\u672c.txt"]),
       "the tree is kept, names exactly as sent")
    r = publish(dict(good, artifactName="auto:created", artifactVersionVersion="3.1-rc"), one)
    eq(r.status_code, 200, "upload creates the artifact and version")
    eq(s.get(api + "/artifactVersions/auto:created:3.1-rc", timeout=TIMEOUT).json()
       ["artifactVersion"]["artifactVersionState"], "available", "auto-created version is available")
    r = requests.get(base + "/emu/artifact-files", params={"version": "auto:created:3.1-rc"}, timeout=TIMEOUT)
    eq(r.json(), {"file": [{"name": "f.txt", "size": 4, "sha256": hashlib.sha256(b"data").hexdigest()}]},
       "/emu/artifact-files")
    eq(requests.get(base + "/emu/artifact-file", params={"version": "auto:created:3.1-rc", "name": "nope"},
                    timeout=TIMEOUT).status_code, 404, "/emu/artifact-file of a missing file")
    eq(s.delete(api + "/artifacts/dup:k", timeout=TIMEOUT).status_code, 200, "deleteArtifact")
    expect_error(s.get(api + "/artifactVersions/dup:k:1.0", timeout=TIMEOUT), 404, "NoSuchArtifactVersion",
                 "versions go with their artifact")


# --------------------------------------------------------------------------------------
# Jobs

def test_jobs(base):
    api = base + "/rest/v1.0"
    s, _ = login(base)

    def run(proc, project="Default", **params):
        return s.post(api + "/jobs?request=runProcedure", timeout=TIMEOUT, json={
            "projectName": project, "procedureName": proc,
            "actualParameter": [{"actualParameterName": k, "value": v} for k, v in params.items()]})

    def status(jid):
        return s.get(api + "/jobs/%s?request=getJobStatus" % q(jid), timeout=TIMEOUT).json()

    expect_error(run("nope"), 404, "NoSuchProcedure", "runProcedure of a missing procedure")
    expect_error(run("runme", project="NoProject"), 404, "NoSuchProject", "runProcedure in a missing project")
    expect_error(run("runme", outcome="bogus"), 400, "InvalidArgument", "a bad outcome parameter")
    for outcome in ("warning", "error"):
        jid = run("runme", outcome=outcome, duration="0").json()["jobId"]
        eq(status(jid), {"jobId": jid, "status": "completed", "outcome": outcome},
           "duration 0, outcome %s" % outcome)
    jid = run("fail", duration="0").json()["jobId"]
    eq(status(jid)["outcome"], "error", "procedure fail ends in error")
    expect_error(s.get(api + "/jobs/nope?request=getJobStatus", timeout=TIMEOUT), 404, "NoSuchJob",
                 "status of a missing job")
    r = s.post(api + "/projects/Default/procedures", json={"procedureName": "made by test"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "createProcedure")
    eq(status(run("made by test", duration="0").json()["jobId"])["outcome"], "success",
       "run a procedure the test made")

    # The job's property sheet: /myJob, jobId, jobStepId, /jobs/ID.
    jid = run("runme", duration="30").json()["jobId"]
    eq(status(jid)["status"], "runnable", "a long job starts runnable")
    job = s.get(api + "/jobs/" + q(jid), timeout=TIMEOUT).json()["job"]
    step_id = job["jobStep"][0]["jobStepId"]
    r = s.put(api + "/properties//myJob/result", params={"jobId": jid}, json={"value": "42"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "set /myJob/result with jobId")
    eq(s.get(api + "/properties/result", params={"jobId": jid}, timeout=TIMEOUT).json()["property"].get("value"),
       "42", "relative get with jobId")
    eq(s.get(api + "/properties//myJob/result", params={"jobStepId": step_id}, timeout=TIMEOUT)
       .json()["property"].get("value"), "42", "/myJob through jobStepId")
    eq(s.get(api + "/properties/result", params={"jobStepId": step_id}, timeout=TIMEOUT)
       .json()["property"].get("value"), "42", "relative with jobStepId falls back to the job")
    eq(s.get(api + "/properties//jobs/%s/result" % q(jid), timeout=TIMEOUT).json()["property"].get("value"),
       "42", "/jobs/ID/result")
    s.put(api + "/properties/me", params={"jobId": jid}, json={"value": "job $[/myJob/jobId]"}, timeout=TIMEOUT)
    eq(s.get(api + "/properties/me", params={"jobId": jid}, timeout=TIMEOUT).json()["property"].get("value"),
       "job " + jid, "$[/myJob/jobId] expands to the job id")
    expect_error(s.get(api + "/properties//myJob/result", timeout=TIMEOUT), 400, "InvalidArgument",
                 "/myJob without a job context")
    r = s.post(api + "/jobs/%s?request=abortJob" % q(jid), timeout=TIMEOUT)
    eq(status(jid), {"jobId": jid, "status": "completed", "outcome": "error"}, "abortJob")


# --------------------------------------------------------------------------------------
# Big listing, keep-alive, idle closes

def test_big_sheet(base, port):
    api = base + "/rest/v1.0"
    s, _ = login(base)
    eq(s.post(api + "/projects", json={"projectName": "Big"}, timeout=TIMEOUT).status_code, 200, "project Big")
    n = 10000
    before = stats(base)
    auth = b"Authorization: Basic " + base64.b64encode(b"admin:changeme") + b"\r\n"
    reqs = []
    for i in range(n):
        body = json.dumps({"value": "value %d \u00e9" % i}).encode()
        reqs.append(b"PUT /rest/v1.0/properties/p%05d?projectName=Big HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/json\r\nAccept: application/json\r\n%s"
                    b"Content-Length: %d\r\n\r\n%s" % (i, auth, len(body), body))
    c = RawConn(port)
    sender = threading.Thread(target=lambda: c.sock.sendall(b"".join(reqs)))
    t0 = time.time()
    sender.start()
    statuses = [c.response()[0] for _ in range(n)]
    sender.join()
    c.close()
    dt = time.time() - t0
    eq(statuses.count(200), n, "10,000 pipelined PUTs on one connection")
    after = stats(base)
    eq(after["connectionsAccepted"] - before["connectionsAccepted"], 2,
       "one connection for the 10,000 (plus one for the stats call)")
    check(after["maxRequestsOnOneConnection"] >= n, "maxRequestsOnOneConnection counts them")
    print("  (10,000 pipelined PUTs: %.1f s, %.0f req/s)" % (dt, n / dt), flush=True)
    psid = s.get(api + "/projects/Big", timeout=TIMEOUT).json()["project"]["propertySheetId"]
    t0 = time.time()
    r = s.get(api + "/propertySheets/" + q(psid), timeout=30)
    props = r.json()["propertySheet"]["property"]
    eq(len(props), n, "10,000-property sheet listing")
    eq(props[0]["propertyName"], "p00000", "first listed")
    eq(props[-1].get("value"), "value 9999 \u00e9", "last listed value")
    eq(r.json()["propertySheet"]["propertySheetId"], psid, "listing names its sheet")
    print("  (10,000-property listing: %.2f s, %d bytes)" % (time.time() - t0, len(r.content)), flush=True)


def test_keep_alive(base):
    api = base + "/rest/v1.0"
    s, _ = login(base)
    first = s.get(base + "/emu/stats", timeout=TIMEOUT).json()
    for _ in range(50):
        s.get(api + "/properties/name", params={"projectName": "Default"}, timeout=TIMEOUT)
    last = s.get(base + "/emu/stats", timeout=TIMEOUT).json()
    eq(last["connectionsAccepted"] - first["connectionsAccepted"], 0, "keep-alive: no new connection")
    eq(last["requestsServed"] - first["requestsServed"], 51, "keep-alive: 51 requests counted")
    check(last["maxRequestsOnOneConnection"] >= 52, "keep-alive: 52+ requests on one connection")
    recent = requests.get(base + "/emu/requests", params={"n": 1}, timeout=TIMEOUT).json()["request"]
    eq(len(recent), 1, "/emu/requests?n=1")
    hdrs = {k.lower(): v for k, v in recent[0]["headers"]}
    eq(recent[0]["bodyLength"], 0, "a GET sends no body")
    check(hdrs.get("cookie", "").startswith("sessionId="), "/emu/requests shows the headers sent")


def test_idle_close():
    e = Emu("--close-idle-probability", "1", "--quiet")
    s, _ = login(e.url)
    for i in range(10):
        r = s.get(e.url + "/rest/v1.0/projects/Default", timeout=TIMEOUT)
        if r.status_code != 200:
            break
        time.sleep(0.02)   # let the FIN arrive, as it would on an idle connection
    eq(r.status_code, 200, "requests survive idle closes")
    st = stats(e.url)
    check(st["connectionsAccepted"] >= 11 and st["idleCloses"] >= 10,
          "a connection per request with P=1 (%s)" % st)
    c = socket.create_connection(("127.0.0.1", e.port), timeout=5)
    c.sendall(b"GET /emu/stats HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    c.close()
    eq(status_of(data), 200, "the response is complete before the close")
    check(b"Connection: close" not in data, "an idle close is not announced")
    r = requests.post(e.url + "/emu/config", json={"closeIdleProbability": 0}, timeout=TIMEOUT)
    eq(r.json()["closeIdleProbability"], 0, "/emu/config sets closeIdleProbability")
    s2 = requests.Session()
    a = s2.get(e.url + "/emu/stats", timeout=TIMEOUT).json()
    s2.get(e.url + "/emu/stats", timeout=TIMEOUT)
    b = s2.get(e.url + "/emu/stats", timeout=TIMEOUT).json()
    eq(b["connectionsAccepted"], a["connectionsAccepted"], "keep-alive again with P=0")
    e.stop()


def test_hostile_bodies(base):
    """A body nested past Python's recursion limit, and settings that are not finite numbers,
    get a 400 (they gave a 500 with a traceback, and an answer with Infinity in it)."""
    deep = '{"projectName":"Default","value":"v","junk":' + "[" * 5000 + '"x"' + "]" * 5000 + "}"
    r = requests.put(base + "/rest/v1.0/properties/deep", data=deep,
                     headers={"Content-Type": "application/json"}, auth=("admin", "changeme"), timeout=TIMEOUT)
    eq(r.status_code, 400, "JSON nested 5,000 deep: 400")
    check("nested too deeply" in r.text and "InvalidArgument" in r.text, "... InvalidArgument, says why (%s)" % r.text[:200])
    for body in ('{"jobSeconds":1e999}', '{"sessionTimeout":1' + "0" * 400 + "}", '{"jobSeconds":-1}'):
        r = requests.post(base + "/emu/config", data=body, headers={"Content-Type": "application/json"},
                          timeout=TIMEOUT)
        eq(r.status_code, 400, "/emu/config %s: 400" % body[:30])
        check("finite number" in r.text, "... says a finite number is wanted (%s)" % r.text[:100])
    r = requests.get(base + "/emu/config", timeout=TIMEOUT)
    check("Infinity" not in r.text and isinstance(r.json().get("jobSeconds"), (int, float)),
          "/emu/config still answers JSON with finite numbers")
    # A context the emulator does not model (a procedure step, a pipeline, ...) is refused,
    # not written to the project the call also names (that answered 200: a false success).
    auth = ("admin", "changeme")
    for extra in ({"stepName": "s"}, {"pipelineName": "p", "releaseName": "r"}):
        params = dict({"projectName": "Default", "value": "v"}, **extra)
        r = requests.put(base + "/rest/v1.0/properties/unmodelledCtx", params=params, auth=auth, timeout=TIMEOUT)
        eq(r.status_code, 400, "setProperty with %s: 400" % sorted(extra))
        check("does not model" in r.text and all(k in r.text for k in extra), "... names %s (%s)"
              % (sorted(extra), r.text[:160]))
        r = requests.get(base + "/rest/v1.0/properties/unmodelledCtx", params=dict(params, value=None), auth=auth,
                         timeout=TIMEOUT)
        eq(r.status_code, 400, "getProperty with %s: 400" % sorted(extra))
    r = requests.get(base + "/rest/v1.0/properties/unmodelledCtx", params={"projectName": "Default"}, auth=auth,
                     timeout=TIMEOUT)
    eq(r.status_code, 404, "nothing was written to the project")
    r = requests.put(base + "/rest/v1.0/properties/unmodelledCtx", auth=auth, timeout=TIMEOUT,
                     params={"projectName": "Default", "value": "v", "stepName": ""})
    eq(r.status_code, 200, "an empty stepName is no context (as an empty projectName)")


# --------------------------------------------------------------------------------------
# HTTPS

def test_https(port, ca):
    base = "https://localhost:%d" % port
    seed_flow(base, ca, "header", "https")
    r = requests.get(base + "/emu/stats", verify=ca, timeout=TIMEOUT)
    eq(r.status_code, 200, "HTTPS with the test CA")
    try:
        requests.get(base + "/emu/stats", verify=True, timeout=TIMEOUT)
        check(False, "the system CAs must not trust the throwaway certificate")
    except requests.exceptions.SSLError:
        check(True, "verification fails without the CA")
    # TLS 1.2 with a BearSSL suite, and session resumption.
    for suite in ("ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"):
        c2 = ssl.create_default_context(cafile=ca)
        c2.maximum_version = ssl.TLSVersion.TLSv1_2
        c2.set_ciphers(suite)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with c2.wrap_socket(raw, server_hostname="localhost") as t:
                eq(t.cipher()[0], suite, "BearSSL suite %s accepted" % suite)
    ctx = ssl.create_default_context(cafile=ca)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as t:
            eq(t.version(), "TLSv1.2", "TLS 1.2 negotiated")
            eq(t.cipher()[0], "ECDHE-RSA-AES128-GCM-SHA256", "BearSSL suite ECDHE-RSA-AES128-GCM-SHA256")
            t.sendall(b"GET /emu/stats HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = t.recv(65536)
                if not chunk:
                    break
                data += chunk
            session = t.session
    eq(status_of(data), 200, "request over TLS 1.2")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as t:
            check(t.session_reused, "TLS 1.2 session resumed")
    # Plain HTTP against the HTTPS port: refused, and the emulator carries on.
    try:
        requests.get("http://127.0.0.1:%d/emu/stats" % port, timeout=3)
    except requests.exceptions.RequestException:
        pass
    st = requests.get(base + "/emu/stats", verify=ca, timeout=TIMEOUT).json()
    check(st["tlsHandshakeFailures"] >= 1, "failed handshake counted")
    check(st["tlsResumed"] >= 1, "resumption counted")


# --------------------------------------------------------------------------------------
# --state

def test_state():
    path = os.path.join(TMP, "state.json")
    e = Emu("--state", path, "--quiet")
    api = e.url + "/rest/v1.0"
    s, sid = login(e.url)
    s.post(api + "/projects", json={"projectName": "Kept"}, timeout=TIMEOUT)
    s.put(api + "/properties//projects/Kept/a/b", json={"value": "kept \U0001F600"}, timeout=TIMEOUT)
    r = s.post(e.url + "/commander/publishArtifact.php", headers={"Content-Type": None}, timeout=TIMEOUT,
               data={"artifactName": "st:a", "artifactVersionVersion": "1", "commanderSessionId": sid},
               files=[("files[]", ("blob", b"\x00\x01binary\xff"))])
    eq(r.status_code, 200, "publish before restart")
    deadline = time.time() + 3
    saved = None
    while time.time() < deadline:
        try:
            with open(path, encoding="utf-8") as f:
                saved = f.read()
            if "st:a" in json.dumps(json.loads(saved)) or '"st"' in saved:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    check(saved is not None and '"Kept"' in saved, "state saved soon after a change")
    rc, _ = e.stop()
    eq(rc, 0, "--state emulator exits 0 on SIGTERM")
    e2 = Emu("--state", path, "--quiet", python="python3")
    s.headers["Cookie"] = "sessionId=" + sid
    r = s.get(e2.url + "/rest/v1.0/properties//projects/Kept/a/b", timeout=TIMEOUT)
    eq(r.status_code, 200, "session and property survive a restart")
    eq(r.json()["property"].get("value"), "kept \U0001F600", "value survives a restart")
    r = requests.get(e2.url + "/emu/artifact-file", params={"version": "st:a:1", "name": "blob"}, timeout=TIMEOUT)
    eq(r.content, b"\x00\x01binary\xff", "uploaded bytes survive a restart")
    requests.post(e2.url + "/emu/reset", timeout=TIMEOUT)
    expect_error(s.get(e2.url + "/rest/v1.0/projects/Kept", timeout=TIMEOUT), 401, "SessionExpired",
                 "/emu/reset forgets sessions")
    r = requests.get(e2.url + "/rest/v1.0/projects/Kept", headers=JSON_HEADERS, auth=("admin", "changeme"),
                     timeout=TIMEOUT)
    expect_error(r, 404, "NoSuchProject", "/emu/reset forgets projects")
    e2.stop()


def test_ipv6():
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        print("  (no IPv6 loopback here: --bind ::1 not tested)")
        return
    e = Emu("--bind", "::1", "--quiet")
    r = requests.get("http://[::1]:%d/rest/v1.0/projects/Default" % e.port, headers=JSON_HEADERS,
                     auth=("admin", "changeme"), timeout=TIMEOUT)
    eq(r.status_code, 200, "--bind ::1 serves on the IPv6 loopback")
    e.stop()


def test_help_and_log():
    out = subprocess.run([sys.executable, CDEMU, "--help"], capture_output=True, text=True, timeout=20)
    eq(out.returncode, 0, "--help exits 0")
    for opt in ("--port", "--bind", "--cert", "--key", "--user", "--token", "--session-timeout",
                "--job-seconds", "--state", "--quiet", "--close-idle-probability",
                "/emu/stats", "/emu/reset", "/emu/expire-sessions", "/emu/artifact-file", "runme",
                "--profile", "pre2023", "jetty12.1", "docs/cd-api.md"):
        check(opt in out.stdout, "--help documents %s" % opt)
    bad = subprocess.run([sys.executable, CDEMU, "--port", "0", "--cert", "x"], capture_output=True,
                         timeout=20)
    check(("../" + "shared") not in out.stdout and ("shared" + "/") not in open(CDEMU).read(),
          "--help and the emulator point to the repository's docs/cd-api.md only")
    eq(bad.returncode, 2, "--cert without --key is a usage error")
    eq(bad.stdout, b"", "a usage error prints nothing on stdout")
    log = os.environ.get("CDEMU_HTTP_LOG")
    if log and os.path.exists(log):
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        check("GET /rest/v1.0/projects/Default 200" in text, "one log line per request")
        check("changeme" not in text, "the log never shows a password")
        check("password=***" in text, "the log redacts secret query parameters")



# --------------------------------------------------------------------------------------
# Server generations (--profile) and the knowledge-base recipe

def kb_recipe(base, tag):
    """The CloudBees knowledge-base recipe as users run it with Python requests: password
    in the login query, parameters in the query string, no body, no Content-Type, the
    session in a sessionId header."""
    api = base + "/rest/v1.0"
    r = requests.post(api + "/sessions?password=changeme&userName=admin", timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": KB login with ?password=&userName=")
    h = {"sessionId": r.json()["sessionId"]}
    r = requests.put(api + "/properties/kb?projectName=Default&value=fromQuery", headers=h, timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": KB PUT property with query parameters and no body")
    r = requests.get(api + "/properties/kb?projectName=Default", headers=h, timeout=TIMEOUT)
    eq(r.json()["property"]["value"], "fromQuery", tag + ": KB GET property")
    r = requests.put(api + "/properties/kb?projectName=Default&value=again", headers=h, timeout=TIMEOUT)
    check("propertyName" not in r.json()["property"] and r.json()["property"].get("value") == "again",
          tag + ": a PUT that updates answers only the changed values: %s" % r.text[:120])
    r = requests.post(api + "/artifacts?artifactKey=2&groupId=2", headers=h, timeout=TIMEOUT)
    eq(r.status_code, 200, tag + ": KB POST /artifacts?artifactKey=2&groupId=2")


def test_flows(base):
    """Pipelines, releases, processes, findObjects and evalDsl, in the shapes CloudBees'
    own clients send (Jenkins plugin, TFS extension, eval-dsl action)."""
    api = base + "/rest/v1.0"
    s, sid = login(base)
    # the TFS extension's form: names in the query, parameters in the body
    r = s.post(api + "/pipelines?pipelineName=pipe&projectName=Default", timeout=TIMEOUT,
               json={"actualParameter": [{"actualParameterName": "outcome", "value": "error"}]})
    eq(r.status_code, 200, "runPipeline (query form)")
    fid = r.json()["flowRuntime"]["flowRuntimeId"]
    r = s.put(api + "/pipelineRuntimeDetails?request=getPipelineRuntimeDetails",
              json={"flowRuntimeId": [fid]}, timeout=TIMEOUT)
    eq(r.json()["flowRuntime"][0]["status"], "running", "getPipelineRuntimeDetails while running")
    eq(r.json()["flowRuntime"][0]["completed"], "0", "completed is a numeric boolean")
    r = s.post(api + "/releases", json={"projectName": "Default", "releaseName": "rel", "startingStage": "prod",
                                        "pipelineParameter": [{"pipelineParameterName": "p", "value": "v"}]},
               timeout=TIMEOUT)
    eq(r.json()["flowRuntime"]["stagesToRun"], ["prod"], "runRelease from a starting stage")
    expect_error(s.post(api + "/releases", json={"projectName": "Default", "releaseName": "rel",
                                                 "startingStage": "prod", "stagesToRun": ["dev"]},
                        timeout=TIMEOUT), 400, "InvalidArgument", "stagesToRun with startingStage")
    r = s.post(api + "/jobs?request=runProcess", json={"projectName": "Default", "applicationName": "app",
                                                       "processName": "deploy", "environmentName": "env"},
               timeout=TIMEOUT)
    check("jobId" in r.json(), "runProcess gives a job")
    r = s.put(api + "/objects?request=findObjects", timeout=TIMEOUT, json={
        "objectType": "project", "filter": {"operator": "and", "filter": [
            {"operator": "equals", "propertyName": "projectName", "operand1": "Default"}]},
        "sort": {"propertyName": "projectName", "order": "ascending"}})
    eq([o["project"]["projectName"] for o in r.json()["object"]], ["Default"], "findObjects (the Jenkins form)")
    r = s.post(api + "/server/dsl", json={"dsl": "project 'Dsl1'", "format": "groovy",
                                          "parameters": json.dumps({"a": 1})}, timeout=TIMEOUT)
    eq(r.json()["project"]["projectName"], "Dsl1", "evalDsl (the eval-dsl action's form)")
    expect_error(s.post(api + "/server/dsl", json={"dsl": "project 'X'", "parameters": "[1]"}, timeout=TIMEOUT),
                 400, "InvalidArgument", "evalDsl parameters that are not a JSON object")


def test_profiles():
    kb_recipe("http://127.0.0.1:%s" % os.environ["CDEMU_HTTP_PORT"], "default profile")
    auth = ("admin", "changeme")
    one = [("files", ("f.txt", b"data"))]
    # Before 2023.01: only the CGI, with the field "files".
    e = Emu("--profile", "pre2023", "--quiet")
    s, sid = login(e.url)
    eq(s.get(e.url + "/commander/publishArtifact.php", timeout=TIMEOUT).status_code, 404,
       "pre2023: no publishArtifact.php")
    r = s.post(e.url + "/commander/cgi-bin/publishArtifactAPI.cgi", files=one, headers={"Content-Type": None},
               data={"artifactName": "old:art", "artifactVersionVersion": "1", "commanderSessionId": sid},
               timeout=TIMEOUT)
    eq((r.status_code, r.text), (200, "Artifact-Published-OK"), "pre2023: the CGI takes the upload")
    kb_recipe(e.url, "pre2023")
    e.stop()
    # Jetty 12.1: Content-Type required, empty path segments refused.
    e = Emu("--profile", "jetty12.1", "--quiet")
    r = requests.get(e.url + "/rest/v1.0/properties//projects/Default/x", auth=auth, headers=JSON_HEADERS,
                     timeout=TIMEOUT)
    eq(r.status_code, 400, "jetty12.1: an empty path segment is refused")
    r = requests.put(e.url + "/rest/v1.0/properties/x?projectName=Default&value=1", auth=auth, timeout=TIMEOUT)
    expect_error(r, 415, "UnsupportedMediaType", "jetty12.1: the KB recipe's PUT without Content-Type")
    e.stop()
    r = requests.put("http://127.0.0.1:%s/rest/v1.0/properties//projects/Default/abs" % os.environ["CDEMU_HTTP_PORT"],
                     auth=auth, json={"value": "1"}, timeout=TIMEOUT)
    eq(r.status_code, 200, "default profile: '//' (an absolute property path) is accepted")

# --------------------------------------------------------------------------------------

def main():
    global TMP
    need = ("CDEMU_HTTP_PORT", "CDEMU_HTTPS_PORT", "CDEMU_CA", "CDEMU_TMP")
    if any(not os.environ.get(k) for k in need):
        print("run me through: sh tests/t_cdemu.sh (needs %s)" % ", ".join(need))
        print("0 passed, 1 failed")
        return 1
    TMP = os.environ["CDEMU_TMP"]
    http_port = int(os.environ["CDEMU_HTTP_PORT"])
    https_port = int(os.environ["CDEMU_HTTPS_PORT"])
    base = "http://127.0.0.1:%d" % http_port
    signal.signal(signal.SIGTERM, on_term)
    # requests would take proxies and a CA bundle from the environment (REQUESTS_CA_BUNDLE
    # even overrides Session.verify): traffic stays on loopback, trust is the test CA.
    for k in list(os.environ):
        if k.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                         "requests_ca_bundle", "curl_ca_bundle"):
            del os.environ[k]
    os.environ["NO_PROXY"] = "*"
    t_start = time.time()
    steps = [
        ("seed flow over HTTP", lambda: seed_flow(base, True, "cookie", "http")),
        ("authentication", lambda: test_auth(base)),
        ("session timeout, --user, --job-seconds", test_session_timeout),
        ("content type, bodies, framing", lambda: test_content_type_and_bodies(base, http_port)),
        ("hostile bodies and settings", lambda: test_hostile_bodies(base)),
        ("properties", lambda: test_properties(base)),
        ("artifacts and uploads", lambda: test_artifacts(base)),
        ("jobs", lambda: test_jobs(base)),
        ("keep-alive", lambda: test_keep_alive(base)),
        ("10,000-property sheet", lambda: test_big_sheet(base, http_port)),
        ("idle closes", test_idle_close),
        ("HTTPS", lambda: test_https(https_port, os.environ["CDEMU_CA"])),
        ("--state", test_state),
        ("--bind ::1", test_ipv6),
        ("--help and the log", test_help_and_log),
        ("--profile and the KB recipe", test_profiles),
        ("pipelines, processes, findObjects, DSL", lambda: test_flows(base)),
    ]
    try:
        for name, fn in steps:
            t = time.time()
            try:
                fn()
            except Exception as e:   # an unexpected exception fails the step, not the run
                check(False, "%s raised %s: %s" % (name, type(e).__name__, e))
            print("  %-40s %.1fs" % (name, time.time() - t), flush=True)
    finally:
        stop_all()
    print("  total %.1fs" % (time.time() - t_start), flush=True)
    if failed:
        log = os.environ.get("CDEMU_HTTP_LOG")
        for name in ([log] if log else []) + [e.logname for e in started]:
            try:
                with open(name, encoding="utf-8", errors="replace") as f:
                    tail = f.read().splitlines()[-10:]
                print("  --- %s:\n    %s" % (name, "\n    ".join(tail)))
            except OSError:
                pass
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
