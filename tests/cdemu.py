#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cdemu - a CloudBees CD/RO REST API v1.0 emulator for cdrest's tests and demos.

Python 3 standard library only; shares no code with the C client. It implements
the API as docs/cd-api.md describes it (each behaviour there says whether public
CloudBees sources confirm it or it is inferred), for the server generation chosen with
--profile. Run `python3 tests/cdemu.py --help` for the options, the
/emu/ control endpoints and the decisions taken where docs/cd-api.md is silent.

The first line on stdout is `PORT n` (flushed); nothing else is ever written to stdout.
One line per request goes to stderr unless --quiet.
"""

import argparse
import base64
import functools
import binascii
import hashlib
import json
import math
import os
import random
import re
import secrets
import select
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
import weakref
from collections import deque
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote_to_bytes

# --------------------------------------------------------------------------------------
# Limits of the HTTP layer (close to Jetty's defaults, so the query form of long values
# breaks here as the contract says it does on a real server).
MAX_REQUEST_LINE = 8192          # 414 beyond
MAX_HEAD = 16384                 # 431 beyond (request line + headers)
MAX_HEADERS = 100                # 431 beyond
MAX_BODY = 256 * 1024 * 1024     # 413 beyond
IDLE_TIMEOUT = 600.0             # seconds a keep-alive connection may sit idle
HANDSHAKE_TIMEOUT = 15.0
LINGER_SECONDS = 2.0             # lingering close: drain the peer for at most this long
EXPAND_DEPTH = 16                # $[...] nesting / recursion limit
EXPAND_BUDGET = 10000            # property look-ups per expansion

REST = "/rest/v1.0"
PUBLISH_PHP = "/commander/publishArtifact.php"
PUBLISH_CGI = "/commander/cgi-bin/publishArtifactAPI.cgi"
VERSION_STATES = ("available", "publishing", "unavailable")
OUTCOMES = ("success", "warning", "error", "skipped")
SECRET_PARAMS = ("password", "token", "sessionid", "commandersessionid")

TOKEN_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
HEADER_FIELD_RE = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+):(.*)", re.S)  # a token, then the first ':'
NOT_PRINTABLE_RE = re.compile(r"[^\x21-\x7e]")  # a request target's bytes: printable ASCII only
BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# The common request head (see Conn.read_head): a request line with a token method, an
# origin-form target of printable ASCII and HTTP/1.1 or HTTP/1.0, then lines "token:value"
# that each end with CRLF. Such a head passes every check of read_head_slow; anything else
# (leading CRLFs, obs-fold, bare CR or LF, an absolute-form target, ...) is read by
# read_head_slow, which gives each fault its own answer.
REQUEST_LINE_RE = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+) (/[\x21-\x7e]*) (HTTP/1\.[01])\r\n")
# One field line: its name and its value without the spaces and tabs around it (what
# read_head_slow's .strip(" \t") leaves). "^" (MULTILINE) matches only where a line starts,
# and "." never crosses a LF, so each match is one whole line: findall finds as many fields
# as there are lines only when every line is a field. ("." is cheaper than [^\r\n]; the
# lines' CRs are counted instead.)
# A field line of a common head: name, then the value up to CRLF (stripped by common_head).
# One [^\r\n]* run and nothing optional after it, so a line that does not match fails in
# linear time (a value pattern that ends in a class and optional blanks backtracked
# quadratically: half a second for one hostile 8 KB line, with every client waiting).
HEAD_FIELD_RE = re.compile(r"^([!#$%&'*+.^_`|~0-9A-Za-z-]+):([^\r\n]*)\r\n", re.M)
ARTIFACT_PART_RE = re.compile(r"^[A-Za-z0-9_. \-]+$")   # the docs: letters, digits, spaces, _ - .
VERSION_RE = re.compile(r"^[A-Za-z0-9_.+\-]+$")

HELP_EPILOG = """\
Protocol: docs/cd-api.md in the cdrest repository (what is confirmed by public CloudBees
sources, what is inferred, and what each profile does). In short:
  /rest/v1.0/...                  the CD REST API. Query and body parameters are merged
                                  (body wins); lists (actualParameter) only in the body; a
                                  body, when present, must be a JSON object.
  POST /commander/publishArtifact.php          multipart/form-data upload (files[])
  POST /commander/cgi-bin/publishArtifactAPI.cgi   the same, older name (files)
  Upload success: 200 text/plain, exactly "Artifact-Published-OK".
  Upload errors:  200 text/plain "publishArtifactAPI error [Code]: message" (401 when the
                  session is missing or expired). GET on publishArtifact.php answers 400.
  File names keep their directories ("lib/a.so"; a leading "/" is dropped).

Profiles (--profile):
  2023     (default) CD 2023.01 to 2025: both upload endpoints; /rest requests need no
           Content-Type (the knowledge-base Python recipe works as it is); "//" in
           property paths accepted.
  pre2023  before 2023.01: only the CGI upload endpoint (publishArtifact.php is 404).
  jetty12.1  newer servers on Jetty 12.1: every /rest request must carry Content-Type:
           application/json (415 UnsupportedMediaType otherwise, even for GET/DELETE), and
           empty path segments ("//") are refused with 400 like Jetty 12 does.

Built-in objects (recreated by /emu/reset):
  user admin / changeme (or --user), repository "default", resource "local",
  project "Default" with procedures
    runme   any actual parameters; "duration" (seconds, overrides --job-seconds) and
            "outcome" (success|warning|error|skipped) are honoured; default outcome success
    fail    the same, default outcome error
  and, fixed: pipeline "pipe" (stages dev, prod), release "rel" (runs "pipe"), application
  "app" with process "deploy" and environment "env", credential "cred" (deployer/s3cret,
  readable from any running step of a Default job). A pipeline run or a process job
  lasts --job-seconds; the parameter "outcome" sets how it ends. POST /server/dsl
  evaluates only "project 'NAME'". findObjects knows job, project, artifact,
  artifactVersion, procedure and the operators equals, notEqual, like, isNull,
  isNotNull, and, or, not.
  More projects: POST /rest/v1.0/projects {"projectName":"P"};
  more procedures: POST /rest/v1.0/projects/P/procedures {"procedureName":"Q"}.
  A job is "runnable" for the first quarter of its duration, then "running", then
  "completed"; its outcome reads "success" until it completes.

Emulator control endpoints (not CD API; no authentication, no Content-Type needed):
  GET  /emu/stats                 JSON counters: connectionsAccepted, connectionsOpen,
                                  requestsServed, restRequests, maxRequestsOnOneConnection,
                                  idleCloses, tlsHandshakes, tlsResumed,
                                  tlsHandshakeFailures, activeSessions, jobs
  POST /emu/reset-stats           zero the counters
  POST /emu/reset                 forget everything (sessions included) and recreate the
                                  built-in objects; counters are kept
  POST /emu/expire-sessions       expire every session now (next use: 401 SessionExpired)
  GET  /emu/artifact-file?version=G:K:V&name=F   the stored bytes of an uploaded file
  GET  /emu/artifact-files?version=G:K:V         {"file":[{"name","size","sha256"}]}
  GET  /emu/requests[?n=N]        the last N (default 20, max 200) /rest and /commander
                                  requests as received: method, target, headers (verbatim,
                                  secrets included), bodyLength, body (first 64 KiB), status
  GET  /emu/config                the runtime settings below
  POST /emu/config                change them, JSON body with any of: sessionTimeout,
                                  jobSeconds, closeIdleProbability (0..1), asciiJson
                                  (true: answer with \\uXXXX escapes for non-ASCII),
                                  uploadAnswer (null, or {"status":N,"body":TEXT}: every
                                  upload is answered so and stores nothing; for tests of
                                  odd answers), staleSessionAnswer ("SessionExpired":
                                  401 for an unknown or expired session, the default;
                                  "NoCredentials": 400 NoCredentials instead),
                                  jobSheetShape ("flat": job details carry
                                  propertySheetId; "nested": job.propertySheet.property[]
                                  instead), putAnswer ("changed": a PUT that updates an
                                  object answers only the values that changed, as the
                                  REST overview says, the default; "whole": everything),
                                  logoutStatus (0: normal; 400, 404, 405, 500 or 501: DELETE
                                  /sessions answers that, as servers without logout do)

Decisions where the contract is silent:
  - Session ids, job ids, property ids, sheet ids are opaque strings (UUIDs; session ids
    24 hex digits). No Set-Cookie on login: the client must send the session itself.
  - A session is accepted from "Cookie: sessionId=ID" or a "sessionId: ID" header (if
    both are sent, either may be valid). An unknown, logged-out or idle-expired session
    gets 401 SessionExpired; bad Basic credentials or a failed login 401
    InvalidCredentials; none at all 401 NoCredentials. Authorization (Basic) wins over
    a session when both are present. DELETE /sessions answers 200 {}.
  - Relative property paths need a context parameter (400 InvalidArgument otherwise).
    Context precedence: jobStepId, jobId, projectName(+procedureName), resourceName,
    artifactVersionName, artifactName. With jobStepId a relative read looks in the
    step's sheet then the job's; writes go to the step's sheet.
  - Absolute roots: /projects/P[/procedures/Q], /jobs/ID, /jobSteps/ID, /resources/R,
    /artifacts/G:K, /artifactVersions/G:K:V, /server, /myJob, /myJobStep, /myProject,
    /myProcedure (the my* roots from jobId/jobStepId, or projectName/procedureName).
  - Property names are case-sensitive; a decoded segment may not contain "/"; empty
    segments are rejected. Setting or creating a nested path creates the missing
    intermediate sheets. Listings are sorted by name. "description" is always present,
    "value" only when non-empty; a reference to a missing property expands to "" in a
    single property's read and fails an expanded listing (400 InvalidPropertyValue; the
    knowledge base's KB-00262), which expand=0 avoids.
  - Jobs and projects expose read-only intrinsic properties when no user property of
    that name exists (e.g. /myJob/jobId, /myJob/outcome, /projects/P/projectName).
  - Deletes answer 200 {}. Unknown /rest paths and unsupported methods answer 501
    NotImplemented. createArtifactVersion needs the artifact (404 NoSuchArtifact) and
    creates the version "publishing"; an upload creates the artifact and version when
    missing and makes the version "available"; uploading into an available version is
    409 DuplicateArtifactVersion.
"""


class ApiError(Exception):
    """An error answered with the CD error envelope (or as upload error text)."""

    def __init__(self, status, code, message, details="", where=""):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.where = where


class HttpError(Exception):
    """A framing error below the API: answered, then the connection is closed."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


# Context parameters that name objects the emulator does not model (a procedure's step, a
# schedule, a pipeline, ...): a property call carrying one is refused rather than written
# to the project, where the real server would not put it.
UNMODELLED_CONTEXT = ("stepName", "scheduleName", "credentialName", "pipelineName", "releaseName",
                      "applicationName", "environmentName", "componentName", "workflowDefinitionName")
UNMODELLED_SET = frozenset(UNMODELLED_CONTEXT)


def bad_arg(message):
    return ApiError(400, "InvalidArgument", message)


def missing(name):
    return ApiError(400, "InvalidArgument", "Missing required parameter '%s'" % name)


@functools.lru_cache(maxsize=4096)  # a property's times are formatted on every read
def iso(t):
    return "%s.%03dZ" % (iso_seconds(math.floor(t)), int(t * 1000) % 1000)


@functools.lru_cache(maxsize=64)    # every write makes a new time, mostly within the same second
def iso_seconds(s):
    g = time.gmtime(s)              # as gmtime(t) would: it rounds t down to whole seconds too
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (
        g.tm_year, g.tm_mon, g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec)


def new_id():
    return str(uuid.uuid4())


# --------------------------------------------------------------------------------------
# The object model. Everything lives in one Store guarded by one lock.

class Sheet:
    __slots__ = ("id", "props", "__weakref__")

    def __init__(self, sid):
        self.id = sid
        self.props = {}


class Prop:
    __slots__ = ("id", "name", "value", "description", "expandable", "ctime", "mtime",
                 "modified_by", "owner", "sheet")

    def __init__(self, name, user, now):
        self.id = new_id()
        self.name = name
        self.value = ""
        self.description = ""
        self.expandable = True
        self.ctime = self.mtime = now
        self.modified_by = self.owner = user
        self.sheet = None


class Obj:
    """Common fields of the CD objects that own a property sheet."""
    kind = "object"

    def stamp(self, user, now):
        self.ctime = self.mtime = now
        self.owner = self.modified_by = user

    def touch(self, user, now):
        self.mtime = now
        self.modified_by = user

    def common(self, d):
        d["createTime"] = iso(self.ctime)
        d["modifyTime"] = iso(self.mtime)
        d["lastModifiedBy"] = self.modified_by
        d["owner"] = self.owner
        d["propertySheetId"] = self.sheet.id
        return d

    def intrinsics(self, store, now):
        return {}


class Project(Obj):
    kind = "project"

    def __init__(self, name):
        self.id = new_id()
        self.name = name
        self.description = ""
        self.sheet = None
        self.procedures = {}

    def to_json(self):
        return self.common({"projectId": self.id, "projectName": self.name,
                            "description": self.description})

    def intrinsics(self, store, now):
        return {"projectName": self.name, "projectId": self.id, "description": self.description}


class Procedure(Obj):
    kind = "procedure"

    def __init__(self, project, name, default_outcome="success"):
        self.id = new_id()
        self.project = project
        self.name = name
        self.description = ""
        self.default_outcome = default_outcome
        self.sheet = None

    def to_json(self):
        return self.common({"procedureId": self.id, "procedureName": self.name,
                            "projectName": self.project, "description": self.description})

    def intrinsics(self, store, now):
        return {"procedureName": self.name, "projectName": self.project, "procedureId": self.id}


class Resource(Obj):
    kind = "resource"

    def __init__(self, name):
        self.id = new_id()
        self.name = name
        self.description = ""
        self.sheet = None

    def to_json(self):
        return self.common({"resourceId": self.id, "resourceName": self.name,
                            "description": self.description, "hostName": "localhost",
                            "resourceDisabled": "0"})


class Artifact(Obj):
    kind = "artifact"

    def __init__(self, group, key):
        self.id = new_id()
        self.group = group
        self.key = key
        self.description = ""
        self.sheet = None

    @property
    def name(self):
        return "%s:%s" % (self.group, self.key)

    def to_json(self):
        return self.common({"artifactId": self.id, "artifactName": self.name,
                            "artifactKey": self.key, "groupId": self.group,
                            "description": self.description})


class ArtifactVersion(Obj):
    kind = "artifactVersion"

    def __init__(self, group, key, version):
        self.id = new_id()
        self.group = group
        self.key = key
        self.version = version
        self.state = "publishing"
        self.repository = "default"
        self.description = ""
        self.sheet = None
        self.files = {}

    @property
    def name(self):
        return "%s:%s:%s" % (self.group, self.key, self.version)

    def to_json(self):
        return self.common({"artifactVersionId": self.id, "artifactVersionName": self.name,
                            "artifactName": "%s:%s" % (self.group, self.key),
                            "groupId": self.group, "artifactKey": self.key,
                            "version": self.version, "artifactVersionState": self.state,
                            "repositoryName": self.repository,
                            "description": self.description})


class Job(Obj):
    kind = "job"

    def __init__(self, jid, name, project, procedure, params, start, duration, outcome):
        self.id = jid
        self.name = name
        self.project = project
        self.procedure = procedure
        self.params = params          # list of [name, value]
        self.start = start
        self.duration = duration
        self.outcome = outcome
        self.aborted_at = None
        self.sheet = None
        self.step = None

    def end_time(self):
        end = self.start + self.duration
        if self.aborted_at is not None:
            end = min(end, self.aborted_at)
        return end

    def status(self, now):
        if now >= self.end_time():
            return "completed"
        if now - self.start < self.duration * 0.25:
            return "runnable"
        return "running"

    def outcome_now(self, now):
        if self.status(now) != "completed":
            return "success"
        return "error" if self.aborted_at is not None and self.aborted_at < self.start + self.duration \
            else self.outcome

    def to_json(self, now):
        st = self.status(now)
        d = {"jobId": self.id, "jobName": self.name, "projectName": self.project,
             "procedureName": self.procedure, "status": st, "outcome": self.outcome_now(now),
             "actualParameter": [{"actualParameterName": n, "value": v} for n, v in self.params],
             "start": iso(self.start)}
        if st == "completed":
            d["finish"] = iso(self.end_time())
            d["elapsedTime"] = str(int((self.end_time() - self.start) * 1000))
        if self.aborted_at is not None:
            d["abortStatus"] = "FORCE_ABORT"
        self.common(d)
        d["modifyTime"] = iso(min(now, self.end_time()) if st == "completed" else self.mtime)
        d["jobStep"] = [self.step.to_json(now)]
        return d

    def intrinsics(self, store, now):
        return {"jobId": self.id, "jobName": self.name, "projectName": self.project,
                "procedureName": self.procedure, "status": self.status(now),
                "outcome": self.outcome_now(now)}


class JobStep(Obj):
    kind = "jobStep"

    def __init__(self, sid, job):
        self.id = sid
        self.job = job
        self.sheet = None

    def to_json(self, now):
        j = self.job
        return self.common({"jobStepId": self.id, "jobId": j.id, "stepName": j.procedure,
                            "status": j.status(now), "outcome": j.outcome_now(now)})

    def intrinsics(self, store, now):
        return {"jobStepId": self.id, "jobId": self.job.id, "stepName": self.job.procedure,
                "status": self.job.status(now), "outcome": self.job.outcome_now(now)}


class FlowRuntime:
    """A pipeline run (also a release's): running for its duration, then completed with
    its outcome as the status (getPipelineRuntimeDetails)."""

    def __init__(self, fid, project, pipeline, release, params, stages, start, duration, outcome):
        self.id, self.project, self.pipeline, self.release = fid, project, pipeline, release
        self.params, self.stages, self.start = params, stages, start
        self.duration, self.outcome = duration, outcome
        self.aborted = False

    def completed(self, now):
        return self.aborted or now >= self.start + self.duration

    def to_json(self, now):
        done = self.completed(now)
        d = {"flowRuntimeId": self.id, "flowRuntimeName": "%s_%s" % (self.pipeline, self.id[:8]),
             "projectName": self.project, "pipelineName": self.pipeline,
             "pipelineId": PIPELINES[self.pipeline]["pipelineId"],
             "status": ("FORCE_ABORT" if self.aborted else self.outcome) if done else "running",
             "completed": "1" if done else "0", "stagesToRun": list(self.stages),
             "actualParameter": [{"actualParameterName": n, "value": v} for n, v in self.params]}
        if self.release:
            d["releaseName"] = self.release
        return d


# Built-in objects of project Default beyond procedures (the emulator's fixed catalogue).
PIPELINES = {"pipe": {"pipelineId": "5f0c7e2a-0000-4000-8000-000000000001", "stages": ["dev", "prod"]}}
RELEASES = {"rel": {"releaseId": "5f0c7e2a-0000-4000-8000-000000000002", "pipelineName": "pipe"}}
APPLICATIONS = {"app": {"processes": ["deploy"], "environments": ["env"]}}
CREDENTIALS = {"cred": {"userName": "deployer", "password": "s3cret"}}


class ServerObj(Obj):
    kind = "server"

    def __init__(self):
        self.sheet = None


class Session:
    __slots__ = ("id", "user", "last", "state")

    def __init__(self, sid, user, last, state="active"):
        self.id = sid
        self.user = user
        self.last = last
        self.state = state


class Ctx:
    """Per-request context: the caller, the time, the property context parameters."""
    KEYS = ("jobStepId", "jobId", "projectName", "procedureName", "resourceName",
            "artifactName", "artifactVersionName")
    ORDER = {k: i for i, k in enumerate(KEYS)}

    def __init__(self, user, now, params=None):
        self.user = user
        self.now = now
        self.p = {}
        # Context parameters naming objects the emulator does not model (see UNMODELLED_CONTEXT):
        # kept apart, since they are not in KEYS, for roots() to refuse.
        self.unmodelled = ()
        if params and not UNMODELLED_SET.isdisjoint(params):
            self.unmodelled = tuple(k for k in UNMODELLED_CONTEXT if params.get(k) not in (None, ""))
        keys = self.ORDER.keys() & params.keys() if params else ()
        if len(keys) > 1:   # in KEYS' order: which bad parameter is named first
            keys = sorted(keys, key=self.ORDER.get)
        for k in keys:
            v = params[k]
            if v is not None:
                if type(v) is not str:
                    v = scalar(k, v)
                if v != "":
                    self.p[k] = v


def scalar(name, v):
    """A JSON parameter as text: strings as they are, numbers as written, booleans as 1/0."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    raise bad_arg("Parameter '%s' must be a string, not %s" % (name, type(v).__name__))


def boolean(name, v, default):
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    s = scalar(name, v).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off", ""):
        return False
    raise bad_arg("Parameter '%s' must be 0/1 or true/false, not '%s'" % (name, s))


class Store:
    def __init__(self, users, tokens):
        self.lock = threading.RLock()
        self.users = users            # name -> password
        self.tokens = tokens          # token -> user name
        self.sheets = weakref.WeakValueDictionary()
        self.dirty = False
        self.reset()

    # ---- life cycle -------------------------------------------------------------------
    def reset(self):
        now = time.time()
        self.sessions = {}
        self.projects = {}
        self.resources = {}
        self.artifacts = {}
        self.versions = {}
        self.jobs = {}
        self.steps = {}
        self.flows = {}     # flow runtimes of pipelines and releases (not saved by --state)
        self.repositories = {"default": {"repositoryId": new_id(), "repositoryName": "default",
                                         "url": "http://localhost:8200", "createTime": iso(now)}}
        self.job_counter = 0
        self.server = ServerObj()
        self.server.sheet = self.new_sheet()
        self.server.stamp("admin", now)
        p = self.add_project("Default", "admin", now)
        p.description = "The default project"
        self.add_procedure(p, "runme", "admin", now, "success")
        self.add_procedure(p, "fail", "admin", now, "error")
        r = Resource("local")
        r.sheet = self.new_sheet()
        r.stamp("admin", now)
        self.resources["local"] = r
        self.dirty = True

    def new_sheet(self, sid=None):
        s = Sheet(sid or new_id())
        self.sheets[s.id] = s
        return s

    def add_project(self, name, user, now):
        p = Project(name)
        p.sheet = self.new_sheet()
        p.stamp(user, now)
        self.projects[name] = p
        return p

    def add_procedure(self, project, name, user, now, default_outcome="success"):
        q = Procedure(project.name, name, default_outcome)
        q.sheet = self.new_sheet()
        q.stamp(user, now)
        project.procedures[name] = q
        return q

    # ---- sessions ---------------------------------------------------------------------
    def check_password(self, user, password):
        want = self.users.get(user)
        return want is not None and secrets.compare_digest(want.encode(), password.encode())

    def new_session(self, user, now):
        sid = secrets.token_hex(12).upper()
        self.sessions[sid] = Session(sid, user, now)
        self.dirty = True
        return sid

    def use_session(self, sid, now, timeout):
        s = self.sessions.get(sid)
        if s is None:
            raise ApiError(401, "SessionExpired", "Unknown session; log in again")
        if s.state == "active" and now - s.last > timeout:
            s.state = "expired"
            self.dirty = True
        if s.state == "expired":
            raise ApiError(401, "SessionExpired", "Session expired; log in again")
        if s.state == "loggedOut":
            raise ApiError(401, "SessionExpired", "Session was logged out; log in again")
        s.last = now
        return s.user

    def expire_sessions(self):
        n = 0
        for s in self.sessions.values():
            if s.state == "active":
                s.state = "expired"
                n += 1
        self.dirty = True
        return n

    def active_sessions(self, now, timeout):
        return sum(1 for s in self.sessions.values()
                   if s.state == "active" and now - s.last <= timeout)

    # ---- object look-ups ----------------------------------------------------------------
    def project(self, name):
        p = self.projects.get(name)
        if p is None:
            raise ApiError(404, "NoSuchProject", "Project '%s' does not exist" % name)
        return p

    def procedure(self, project, name):
        q = self.project(project).procedures.get(name)
        if q is None:
            raise ApiError(404, "NoSuchProcedure",
                           "Procedure '%s' does not exist in project '%s'" % (name, project))
        return q

    def job(self, jid):
        j = self.jobs.get(jid)
        if j is None:
            raise ApiError(404, "NoSuchJob", "Job '%s' does not exist" % jid)
        return j

    def step(self, sid):
        s = self.steps.get(sid)
        if s is None:
            raise ApiError(404, "NoSuchJobStep", "Job step '%s' does not exist" % sid)
        return s

    def resource(self, name):
        r = self.resources.get(name)
        if r is None:
            raise ApiError(404, "NoSuchResource", "Resource '%s' does not exist" % name)
        return r

    def artifact(self, name):
        a = self.artifacts.get(name)
        if a is None:
            raise ApiError(404, "NoSuchArtifact", "Artifact '%s' does not exist" % name)
        return a

    def version(self, name):
        v = self.versions.get(name)
        if v is None:
            raise ApiError(404, "NoSuchArtifactVersion", "Artifact version '%s' does not exist" % name)
        return v

    def repository(self, name):
        if name not in self.repositories:
            raise ApiError(404, "NoSuchRepository", "Repository '%s' does not exist" % name)
        return self.repositories[name]

    # ---- property paths -----------------------------------------------------------------
    def roots(self, segs, absolute, ctx, what):
        """Where a property path starts: a list of (owner, remaining segments), tried in
        order for reads; the first is the one written."""
        if absolute:
            owner, rest = self.absolute_root(segs, ctx)
            return [(owner, rest)]
        c = ctx.p
        if ctx.unmodelled:
            # the server would use them; ignoring them would write elsewhere (a false success)
            raise bad_arg("The emulator does not model the objects %s names" % ", ".join(sorted(ctx.unmodelled)))
        if "jobStepId" in c:
            s = self.step(c["jobStepId"])
            return [(s, segs), (s.job, segs)]
        if "jobId" in c:
            return [(self.job(c["jobId"]), segs)]
        if "projectName" in c:
            if "procedureName" in c:
                return [(self.procedure(c["projectName"], c["procedureName"]), segs)]
            return [(self.project(c["projectName"]), segs)]
        if "procedureName" in c:
            raise bad_arg("procedureName needs projectName")
        if "resourceName" in c:
            return [(self.resource(c["resourceName"]), segs)]
        if "artifactVersionName" in c:
            return [(self.version(c["artifactVersionName"]), segs)]
        if "artifactName" in c:
            return [(self.artifact(c["artifactName"]), segs)]
        raise bad_arg("Relative property path '%s' needs a context parameter (projectName, "
                      "procedureName, jobId, jobStepId, resourceName, artifactName, ...) "
                      "or an absolute path" % "/".join(segs) if segs else
                      "%s needs a context parameter or an absolute path" % what)

    def ctx_job(self, ctx, root):
        if "jobStepId" in ctx.p:
            return self.step(ctx.p["jobStepId"]).job
        if "jobId" in ctx.p:
            return self.job(ctx.p["jobId"])
        raise bad_arg("/%s needs a jobId or jobStepId context parameter" % root)

    def absolute_root(self, segs, ctx):
        top, rest = segs[0], segs[1:]

        def need_name():
            if not rest:
                raise bad_arg("Property path '/%s' needs an object name" % top)
            return rest[0], rest[1:]

        if top == "projects":
            name, rest = need_name()
            p = self.project(name)
            if len(rest) >= 3 and rest[0] == "procedures":  # an object path, as on the server
                return self.procedure(name, rest[1]), rest[2:]
            return p, rest
        if top == "jobs":
            name, rest = need_name()
            return self.job(name), rest
        if top == "jobSteps":
            name, rest = need_name()
            return self.step(name), rest
        if top == "resources":
            name, rest = need_name()
            return self.resource(name), rest
        if top == "artifacts":
            name, rest = need_name()
            return self.artifact(name), rest
        if top == "artifactVersions":
            name, rest = need_name()
            return self.version(name), rest
        if top == "server":
            return self.server, rest
        if top == "myJob":
            return self.ctx_job(ctx, top), rest
        if top == "myJobStep":
            if "jobStepId" not in ctx.p:
                raise bad_arg("/myJobStep needs a jobStepId context parameter")
            return self.step(ctx.p["jobStepId"]), rest
        if top == "myProject":
            if "jobStepId" in ctx.p or "jobId" in ctx.p:
                return self.project(self.ctx_job(ctx, top).project), rest
            if "projectName" in ctx.p:
                return self.project(ctx.p["projectName"]), rest
            raise bad_arg("/myProject needs a jobId, jobStepId or projectName context parameter")
        if top == "myProcedure":
            if "jobStepId" in ctx.p or "jobId" in ctx.p:
                j = self.ctx_job(ctx, top)
                return self.procedure(j.project, j.procedure), rest
            if "projectName" in ctx.p and "procedureName" in ctx.p:
                return self.procedure(ctx.p["projectName"], ctx.p["procedureName"]), rest
            raise bad_arg("/myProcedure needs a job or projectName+procedureName context")
        raise ApiError(404, "NoSuchProperty", "Invalid property path '/%s': unknown object '%s'"
                       % ("/".join(segs), top))

    @staticmethod
    def walk(sheet, segs):
        for s in segs[:-1]:
            p = sheet.props.get(s)
            if p is None or p.sheet is None:
                return None
            sheet = p.sheet
        return sheet.props.get(segs[-1])

    def find(self, segs, absolute, ctx):
        """(prop, owner) for a read; prop may be a synthetic intrinsic dict."""
        roots = self.roots(segs, absolute, ctx, "A property")
        for owner, rest in roots:
            if not rest:
                raise bad_arg("Property path '%s' names an object, not a property"
                              % display_path(segs, absolute))
            p = self.walk(owner.sheet, rest)
            if p is not None:
                return p, owner
        for owner, rest in roots:
            if len(rest) == 1:
                intr = owner.intrinsics(self, ctx.now)
                if rest[0] in intr:
                    return {"propertyName": rest[0], "value": intr[rest[0]]}, owner
        raise ApiError(404, "NoSuchProperty", "Property '%s' does not exist"
                       % display_path(segs, absolute))

    def sheet_for(self, segs, absolute, ctx):
        """The sheet a path names (an object's own sheet or a nested sheet), for listings."""
        roots = self.roots(segs, absolute, ctx, "A property sheet listing")
        owner, rest = roots[0]
        if not rest:
            return owner.sheet
        for o, r in roots:
            p = self.walk(o.sheet, r)
            if p is not None:
                if p.sheet is None:
                    raise bad_arg("Property '%s' is not a property sheet" % display_path(segs, absolute))
                return p.sheet
        raise ApiError(404, "NoSuchProperty", "Property '%s' does not exist" % display_path(segs, absolute))

    def parent_for_write(self, segs, absolute, ctx):
        """The sheet that holds (or will hold) the last segment, creating missing
        intermediate sheets."""
        owner, rest = self.roots(segs, absolute, ctx, "A property")[0]
        if not rest:
            raise bad_arg("Property path '%s' names an object, not a property"
                          % display_path(segs, absolute))
        sheet = owner.sheet
        for s in rest[:-1]:
            p = sheet.props.get(s)
            if p is None:
                p = Prop(s, ctx.user, ctx.now)
                p.sheet = self.new_sheet()
                sheet.props[s] = p
            elif p.sheet is None:
                raise bad_arg("Property '%s' is not a property sheet" % s)
            sheet = p.sheet
        return sheet, rest[-1], owner

    # ---- expansion ----------------------------------------------------------------------
    def expand(self, text, ctx, depth=0, budget=None, strict=False):
        if "$[" not in text:
            return text
        if budget is None:
            budget = [EXPAND_BUDGET]
        if depth >= EXPAND_DEPTH:
            return text
        out = []
        i = 0
        n = len(text)
        while True:
            j = text.find("$[", i)
            if j < 0:
                out.append(text[i:])
                break
            k = j + 2
            level = 1
            while k < n:
                c = text[k]
                if c == "[":
                    level += 1
                elif c == "]":
                    level -= 1
                    if level == 0:
                        break
                k += 1
            if level != 0:          # unterminated: the rest is literal text
                out.append(text[i:])
                break
            out.append(text[i:j])
            inner = self.expand(text[j + 2:k], ctx, depth + 1, budget, strict).strip()
            if inner.startswith("/javascript") or budget[0] <= 0:
                out.append(text[j:k + 1])
            else:
                budget[0] -= 1
                out.append(self.ref_value(inner, ctx, depth + 1, budget, strict))
            i = k + 1
        return "".join(out)

    def ref_value(self, ref, ctx, depth, budget, strict=False):
        """A reference's value; one that does not resolve is "" (a single property's
        read), or with strict (an expanded listing, as KB-00262 describes) an error."""
        absolute = ref.startswith("/")
        segs = (ref[1:] if absolute else ref).split("/")
        try:
            if not ref or any(s == "" for s in segs):
                raise bad_arg("Invalid property reference '$[%s]'" % ref)
            p, _ = self.find(segs, absolute, ctx)
        except ApiError as e:
            if strict:
                raise ApiError(400, "InvalidPropertyValue",
                               "Cannot expand the property reference '$[%s]': %s" % (ref, e.message))
            return ""
        if isinstance(p, dict):
            return p["value"]
        if p.sheet is not None:
            return ""
        return self.expand(p.value, ctx, depth, budget, strict) if p.expandable else p.value

    def prop_json(self, p, ctx, expand, strict=False):
        if isinstance(p, dict):           # an intrinsic
            d = {"propertyId": "", "propertyName": p["propertyName"], "description": "",
                 "expandable": "0", "counter": "0"}
            if p["value"]:
                d["value"] = p["value"]
            return d
        d = {"propertyId": p.id, "propertyName": p.name}
        if p.sheet is not None:
            d["propertySheetId"] = p.sheet.id
        else:
            v = self.expand(p.value, ctx, strict=strict) if (expand and p.expandable) else p.value
            if v != "":
                d["value"] = v
        d["description"] = p.description
        d["expandable"] = "1" if p.expandable else "0"
        d["counter"] = "0"
        d["createTime"] = iso(p.ctime)
        d["modifyTime"] = iso(p.mtime)
        d["lastModifiedBy"] = p.modified_by
        d["owner"] = p.owner
        return d

    def sheet_json(self, sheet, ctx, expand, recurse, depth=0):
        props = []
        for name in sorted(sheet.props):
            p = sheet.props[name]
            d = self.prop_json(p, ctx, expand, strict=True)
            if recurse and p.sheet is not None and depth < 64:
                d["propertySheet"] = self.sheet_json(p.sheet, ctx, expand, recurse, depth + 1)
            props.append(d)
        return {"propertySheetId": sheet.id, "property": props}

    # ---- persistence ----------------------------------------------------------------------
    def dump(self):
        def sheet(s):
            return {"id": s.id, "props": [prop(p) for p in s.props.values()]}

        def prop(p):
            return {"id": p.id, "name": p.name, "value": p.value, "description": p.description,
                    "expandable": p.expandable, "ctime": p.ctime, "mtime": p.mtime,
                    "by": p.modified_by, "owner": p.owner,
                    "sheet": sheet(p.sheet) if p.sheet is not None else None}

        def obj(o, **extra):
            d = {"id": o.id, "ctime": o.ctime, "mtime": o.mtime, "owner": o.owner,
                 "by": o.modified_by, "sheet": sheet(o.sheet)}
            d.update(extra)
            return d

        return {
            "cdemu": 1,
            "jobCounter": self.job_counter,
            "sessions": [[s.id, s.user, s.last, s.state] for s in self.sessions.values()],
            "server": sheet(self.server.sheet),
            "projects": [obj(p, name=p.name, description=p.description,
                             procedures=[obj(q, name=q.name, description=q.description,
                                             defaultOutcome=q.default_outcome)
                                         for q in p.procedures.values()])
                         for p in self.projects.values()],
            "resources": [obj(r, name=r.name, description=r.description)
                          for r in self.resources.values()],
            "repositories": list(self.repositories.values()),
            "artifacts": [obj(a, group=a.group, key=a.key, description=a.description)
                          for a in self.artifacts.values()],
            "versions": [obj(v, group=v.group, key=v.key, version=v.version, state=v.state,
                             repository=v.repository, description=v.description,
                             files=[[n, base64.b64encode(b).decode("ascii")]
                                    for n, b in v.files.items()])
                         for v in self.versions.values()],
            "jobs": [obj(j, name=j.name, project=j.project, procedure=j.procedure,
                         params=j.params, start=j.start, duration=j.duration,
                         outcome=j.outcome, abortedAt=j.aborted_at,
                         step=obj(j.step))
                     for j in self.jobs.values()],
        }

    def load(self, d):
        if not isinstance(d, dict) or d.get("cdemu") != 1:
            raise ValueError("not a cdemu state file (version 1)")

        def sheet(sd):
            s = self.new_sheet(sd["id"])
            for pd in sd["props"]:
                p = Prop(pd["name"], pd["owner"], pd["ctime"])
                p.id = pd["id"]
                p.value = pd["value"]
                p.description = pd["description"]
                p.expandable = bool(pd["expandable"])
                p.mtime = pd["mtime"]
                p.modified_by = pd["by"]
                if pd["sheet"] is not None:
                    p.sheet = sheet(pd["sheet"])
                s.props[p.name] = p
            return s

        def obj(o, od):
            o.id = od["id"]
            o.ctime, o.mtime, o.owner, o.modified_by = od["ctime"], od["mtime"], od["owner"], od["by"]
            o.sheet = sheet(od["sheet"])
            return o

        self.sessions = {s[0]: Session(s[0], s[1], s[2], s[3]) for s in d["sessions"]}
        self.job_counter = d["jobCounter"]
        self.server = ServerObj()
        self.server.stamp("admin", time.time())
        self.server.sheet = sheet(d["server"])
        self.projects = {}
        for pd in d["projects"]:
            p = obj(Project(pd["name"]), pd)
            p.description = pd["description"]
            for qd in pd["procedures"]:
                q = obj(Procedure(p.name, qd["name"], qd["defaultOutcome"]), qd)
                q.description = qd["description"]
                p.procedures[q.name] = q
            self.projects[p.name] = p
        self.resources = {}
        for rd in d["resources"]:
            r = obj(Resource(rd["name"]), rd)
            r.description = rd["description"]
            self.resources[r.name] = r
        self.repositories = {r["repositoryName"]: r for r in d["repositories"]}
        self.artifacts = {}
        for ad in d["artifacts"]:
            a = obj(Artifact(ad["group"], ad["key"]), ad)
            a.description = ad["description"]
            self.artifacts[a.name] = a
        self.versions = {}
        for vd in d["versions"]:
            v = obj(ArtifactVersion(vd["group"], vd["key"], vd["version"]), vd)
            v.state, v.repository, v.description = vd["state"], vd["repository"], vd["description"]
            v.files = {n: base64.b64decode(b) for n, b in vd["files"]}
            self.versions[v.name] = v
        self.jobs = {}
        self.steps = {}
        for jd in d["jobs"]:
            j = obj(Job(jd["id"], jd["name"], jd["project"], jd["procedure"],
                        [list(x) for x in jd["params"]], jd["start"], jd["duration"],
                        jd["outcome"]), jd)
            j.aborted_at = jd["abortedAt"]
            j.step = obj(JobStep(jd["step"]["id"], j), jd["step"])
            self.jobs[j.id] = j
            self.steps[j.step.id] = j.step
        self.dirty = False


def display_path(segs, absolute):
    return ("/" if absolute else "") + "/".join(segs)


# --------------------------------------------------------------------------------------
# Request parsing helpers

def decode_segment(raw):
    if "%" not in raw and raw.isascii():
        s = raw  # what percent-decoding and UTF-8 would give back, without the work
    else:
        s = decode_percent_segment(raw)
    if s == "":
        raise bad_arg("Empty path segment")
    if "/" in s:
        raise bad_arg("A name may not contain '/' (segment '%s')" % raw)
    return s


def decode_percent_segment(raw):
    if BAD_PERCENT_RE.search(raw):
        raise bad_arg("Malformed percent-encoding in path segment '%s'" % raw)
    try:
        s = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise bad_arg("Path segment '%s' is not UTF-8 after percent-decoding" % raw)
    return s


def split_path(raw):
    """'a/b' -> (False, [a, b]); '/projects/P/x' -> (True, [projects, P, x]); each
    segment percent-decoded on its own."""
    absolute = raw.startswith("/")
    if absolute:
        raw = raw[1:]
    if raw == "":
        return absolute, []
    return absolute, [decode_segment(s) for s in raw.split("/")]


def parse_query(q):
    if not q:
        return {}
    return dict(query_pairs(q))     # a new dict: the caller adds the body's parameters


@functools.lru_cache(maxsize=256)   # clients send the same few query strings again and again
def query_pairs(q):
    if BAD_PERCENT_RE.search(q):
        raise bad_arg("Malformed percent-encoding in the query string")
    try:
        pairs = parse_qsl(q, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise bad_arg("Query string is not UTF-8 after percent-decoding")
    except ValueError as e:
        raise bad_arg("Malformed query string: %s" % e)
    return tuple(pairs)


def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def check_utf8(o):
    if isinstance(o, str):
        o.encode("utf-8")
    elif isinstance(o, dict):
        for k, v in o.items():
            k.encode("utf-8")
            check_utf8(v)
    elif isinstance(o, list):
        for v in o:
            check_utf8(v)


JSON_BODY_DECODER = json.JSONDecoder(parse_constant=reject_constant)  # made once: json.loads makes one per call


def finite_number(v):
    """A JSON number that is a finite float too (1e999 parses as inf; a 400-digit integer
    has no float): what a duration or a count of seconds may be."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def parse_json_body(body):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise bad_arg("Request body is not UTF-8: %s" % e)
    try:
        obj = JSON_BODY_DECODER.decode(text)
    except ValueError as e:
        raise bad_arg("Malformed JSON in request body: %s" % e)
    except RecursionError:  # Python's decoder recurses per level: ~1,000 levels end it
        raise bad_arg("Malformed JSON in request body: nested too deeply")
    try:
        if "\\u" in text:     # only a \u escape makes a lone surrogate: the text itself is UTF-8
            check_utf8(obj)
    except UnicodeEncodeError:
        raise bad_arg("Malformed JSON in request body: lone surrogate in a \\u escape")
    except RecursionError:
        raise bad_arg("Malformed JSON in request body: nested too deeply")
    if not isinstance(obj, dict):
        raise bad_arg("The request body must be a JSON object")
    return obj


def header_params(value):
    """'type/sub; a=1; b="x;y"' -> ('type/sub', {'a': '1', 'b': 'x;y'}) (keys lower-cased)."""
    i, n = 0, len(value)
    j = value.find(";")
    first = (value if j < 0 else value[:j]).strip().lower()
    params = {}
    i = n if j < 0 else j + 1
    while i < n:
        while i < n and value[i] in " \t;":
            i += 1
        k = i
        while i < n and value[i] not in "=;":
            i += 1
        key = value[k:i].strip().lower()
        val = ""
        if i < n and value[i] == "=":
            i += 1
            while i < n and value[i] in " \t":
                i += 1
            if i < n and value[i] == '"':
                i += 1
                buf = []
                while i < n and value[i] != '"':
                    if value[i] == "\\" and i + 1 < n:
                        i += 1
                    buf.append(value[i])
                    i += 1
                i += 1
                val = "".join(buf)
            else:
                k = i
                while i < n and value[i] != ";":
                    i += 1
                val = value[k:i].strip()
        if key:
            params[key] = val
    return first, params


def parse_multipart(body, ctype):
    mtype, params = header_params(ctype)
    if mtype != "multipart/form-data":
        raise bad_arg("Content-Type must be multipart/form-data, not '%s'" % (ctype or "(none)"))
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise bad_arg("multipart/form-data without a usable boundary parameter")
    delim = b"--" + boundary.encode("latin-1", "replace")
    pos = body.find(delim)
    if pos < 0 or (pos > 0 and body[pos - 2:pos] != b"\r\n"):
        raise bad_arg("multipart body does not start with the boundary")
    pos += len(delim)
    parts = []
    while True:
        if body[pos:pos + 2] == b"--":
            break
        while body[pos:pos + 1] in (b" ", b"\t"):
            pos += 1
        if body[pos:pos + 2] != b"\r\n":
            raise bad_arg("multipart: malformed boundary line")
        pos += 2
        if body[pos:pos + 2] == b"\r\n":
            head, start = b"", pos + 2
        else:
            hend = body.find(b"\r\n\r\n", pos)
            if hend < 0:
                raise bad_arg("multipart: part headers are not terminated")
            head, start = body[pos:hend], hend + 4
        end = body.find(b"\r\n" + delim, start)
        if end < 0:
            raise bad_arg("multipart: missing closing boundary")
        headers = {}
        for line in head.split(b"\r\n") if head else []:
            name, sep, val = line.decode("utf-8", "replace").partition(":")
            if not sep:
                raise bad_arg("multipart: malformed part header line")
            headers[name.strip().lower()] = val.strip()
        disp, dparams = header_params(headers.get("content-disposition", ""))
        if disp != "form-data" or "name" not in dparams:
            raise bad_arg("multipart: a part without Content-Disposition: form-data; name=...")
        filename = dparams.get("filename")
        if "filename*" in dparams:
            enc, _, rest = dparams["filename*"].partition("'")
            _, _, pct = rest.partition("'")
            try:
                filename = unquote_to_bytes(pct).decode(enc or "utf-8")
            except (LookupError, UnicodeDecodeError):
                raise bad_arg("multipart: undecodable filename*")
        parts.append((dparams["name"], filename, body[start:end]))
        pos = end + 2 + len(delim)
    return parts


def redact_target(target):
    path, sep, q = target.partition("?")
    if path.startswith(REST + "/sessions/"):
        path = REST + "/sessions/***"
    if len(target) > 1000:
        q = q[:1000] + "..."
    if not sep:
        return path
    out = []
    for pair in q.split("&"):
        k, eq, _ = pair.partition("=")
        if eq and k.lower() in SECRET_PARAMS:
            out.append(k + "=***")
        else:
            out.append(pair)
    return path + "?" + "&".join(out)


REASONS = {s.value: s.phrase for s in HTTPStatus}


@functools.lru_cache(maxsize=64)    # made once per status and type, not per response
def response_head_start(status, ctype):
    """A response head up to the value of its Content-Length."""
    return ("HTTP/1.1 %d %s\r\nServer: cdemu\r\nContent-Type: %s\r\nContent-Length: "
            % (status, REASONS.get(status, "Status"), ctype)).encode("latin-1")


# --------------------------------------------------------------------------------------
# The connection handler: our own HTTP/1.1 reader (strict framing, keep-alive,
# pipelining) and a single send per response.

class Request:
    """One request. Its headers and hlist may be shared with other requests (common_head):
    read them, never modify them."""
    __slots__ = ("method", "target", "path", "query", "version", "headers", "hlist", "body",
                 "keep_alive")


def blocking_with_kernel_timeouts(sock, seconds):
    """A blocking socket whose reads and writes time out in the kernel (SO_RCVTIMEO,
    SO_SNDTIMEO): Python's own timeouts poll() before every recv() and send(), two system
    calls per request more. A kernel timeout ends the connection as socket.timeout did
    (an OSError: the handler closes it)."""
    tv = struct.pack("ll", int(seconds), int((seconds - int(seconds)) * 1e6))
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    except (OSError, struct.error):
        sock.settimeout(seconds)  # no kernel timeouts here: Python's
        return
    sock.settimeout(None)


@functools.lru_cache(maxsize=256)   # a client sends the same few heads again and again
def common_head(head):
    """(method, target, version, headers, hlist, keep_alive) of a common head (its bytes up
    to and with the empty line: see REQUEST_LINE_RE), or None for any other head. What
    read_head_slow would make of it; shared by every request with the same head, so never
    to be modified."""
    text = head.decode("latin-1")     # latin-1 decodes any byte
    m = REQUEST_LINE_RE.match(text)
    if m is None:
        return None
    fields = text[m.end():-2]         # the field lines, each with its CRLF
    hlist = [(name, value.strip(" \t")) for name, value in HEAD_FIELD_RE.findall(fields)]
    lines = fields.count("\n")
    if fields.count("\r") != lines or lines > MAX_HEADERS:   # a CR not before a LF
        return None
    headers = {name.lower(): value for name, value in hlist}
    # As many names as lines: every line is a field (a match is one whole line), and no
    # name repeats (read_head_slow merges or refuses those).
    if len(headers) != lines or ("host" not in headers and m.group(3) != "HTTP/1.0"):
        return None
    method, target, version = m.groups()
    return method, target, version, headers, hlist, keep_alive(version, headers)


def keep_alive(version, headers):
    """Whether the connection stays open after this request (Connection, or the version's
    default)."""
    conn = headers.get("connection")
    if conn is None:
        return version == "HTTP/1.1"
    tokens = [t.strip() for t in conn.lower().split(",")]
    if version == "HTTP/1.1":
        return "close" not in tokens
    return "keep-alive" in tokens


class Conn(socketserver.BaseRequestHandler):

    def handle(self):
        srv = self.server
        sock = self.request
        srv.stat_inc("connectionsAccepted")
        srv.stat_inc("connectionsOpen")
        self.nreq = 0
        try:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            if srv.ssl_ctx is not None:
                sock.settimeout(HANDSHAKE_TIMEOUT)
                try:
                    sock = srv.ssl_ctx.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError, ValueError) as e:
                    srv.stat_inc("tlsHandshakeFailures")
                    srv.log("TLS handshake failed from %s: %s" % (self.client_address[0], e))
                    return
                srv.stat_inc("tlsHandshakes")
                if sock.session_reused:
                    srv.stat_inc("tlsResumed")
            self.sock = sock
            if srv.ssl_ctx is None:
                blocking_with_kernel_timeouts(sock, IDLE_TIMEOUT)
            else:
                sock.settimeout(IDLE_TIMEOUT)
            self.buf = bytearray()
            self.serve()
        except (OSError, ssl.SSLError):
            pass
        finally:
            srv.stat_dec("connectionsOpen")
            try:
                sock.close()
            except OSError:
                pass

    # ---- reading ----
    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def read_head(self):
        """The next request, or None when the peer ends the connection between requests.
        A common head (common_head) already whole in the buffer is taken from a cache or
        apart in a few C-level steps; everything else (a head still arriving, repeated
        fields, no Host, any fault) goes to read_head_slow, which reads the same bytes from
        the start."""
        buf = self.buf
        if not buf and not self.fill():     # an idle keep-alive connection: wait for more
            self.t0 = None
            return None
        end = buf.find(b"\r\n\r\n") + 4
        if 4 <= end <= MAX_REQUEST_LINE:    # so within every size limit as well
            head = common_head(bytes(buf[:end]))
            if head is not None:
                self.t0 = time.perf_counter()
                del buf[:end]
                return self.new_request(*head)
        return self.read_head_slow()

    def read_head_slow(self):
        buf = self.buf
        self.t0 = None
        while True:
            while buf[:2] == b"\r\n":
                del buf[:2]
            if buf and self.t0 is None:
                self.t0 = time.perf_counter()
            if buf[:1] == b"\x16" and self.server.ssl_ctx is None:
                # A TLS ClientHello on the plain-HTTP port: answer 400 at once, as Jetty and
                # nginx do, instead of waiting for a line end that never comes.
                raise HttpError(400, "a TLS handshake on a plain-HTTP port (use http://)")
            idx = buf.find(b"\r\n\r\n")
            lf = buf.find(b"\n\n")
            if lf >= 0 and (idx < 0 or lf < idx):
                raise HttpError(400, "bare LF in the request head (lines must end with CRLF)")
            if idx >= 0:
                break
            if buf.find(b"\r\n") < 0 and len(buf) > MAX_REQUEST_LINE:
                raise HttpError(414, "request line too long")
            if len(buf) > MAX_HEAD:
                raise HttpError(431, "request head too large")
            if not self.fill():
                if buf:
                    raise HttpError(400, "connection closed inside a request head")
                return None
        head = bytes(buf[:idx])
        del buf[:idx + 4]
        if len(head) > MAX_HEAD:
            raise HttpError(431, "request head too large")
        lines = head.split(b"\r\n")
        if len(lines[0]) > MAX_REQUEST_LINE:
            raise HttpError(414, "request line too long")
        if len(lines) - 1 > MAX_HEADERS:
            raise HttpError(431, "too many header fields")
        unterminated = head.replace(b"\r\n", b"")
        if b"\n" in unterminated or b"\r" in unterminated:
            raise HttpError(400, "bare CR or LF in the request head (lines must end with CRLF)")
        text_lines = head.decode("latin-1").split("\r\n")  # latin-1 decodes any byte
        parts = text_lines[0].split(" ")
        if len(parts) != 3:
            raise HttpError(400, "malformed request line")
        method, target, version = parts
        if not TOKEN_RE.match(method):
            raise HttpError(400, "malformed method")
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            if re.match(r"^HTTP/\d\.\d$", version):
                raise HttpError(505, "HTTP version not supported")
            raise HttpError(400, "malformed HTTP version")
        if not target or NOT_PRINTABLE_RE.search(target):
            raise HttpError(400, "request target must be printable ASCII (percent-encode names)")
        if target.startswith(("http://", "https://")):
            rest = target.split("://", 1)[1]
            slash = rest.find("/")
            target = rest[slash:] if slash >= 0 else "/"
        if not target.startswith("/"):
            raise HttpError(400, "request target must be a path")
        hlist = []
        headers = {}
        for ln in text_lines[1:]:
            if ln[:1] in (" ", "\t"):
                raise HttpError(400, "obsolete header line folding")
            m = HEADER_FIELD_RE.match(ln)
            if m is None:
                raise HttpError(400, "malformed header field '%s'" % ln[:60])
            name, value = m.group(1), m.group(2).strip(" \t")
            hlist.append((name, value))
            key = name.lower()
            if key in headers:
                if key == "content-length":
                    if headers[key] != value:
                        raise HttpError(400, "conflicting Content-Length headers")
                    continue
                if key == "host":
                    raise HttpError(400, "more than one Host header")
                headers[key] = headers[key] + ("; " if key == "cookie" else ", ") + value
            else:
                headers[key] = value
        if version == "HTTP/1.1" and "host" not in headers:
            raise HttpError(400, "HTTP/1.1 request without a Host header")
        return self.new_request(method, target, version, headers, hlist, keep_alive(version, headers))

    def new_request(self, method, target, version, headers, hlist, keep_alive):
        """The Request of a checked head, its body read."""
        r = Request()
        r.method = method
        r.target = target
        r.path, _, r.query = target.partition("?")
        r.version = version
        r.headers = headers
        r.hlist = hlist
        r.keep_alive = keep_alive
        if "content-length" in headers or "transfer-encoding" in headers:
            r.body = self.read_body(r)
        else:
            r.body = b""                    # what read_body gives
        return r

    def read_body(self, r):
        h = r.headers
        te = h.get("transfer-encoding")
        cl = h.get("content-length")
        if te is not None:
            if cl is not None:
                raise HttpError(400, "both Transfer-Encoding and Content-Length")
            if te.strip().lower() != "chunked":
                raise HttpError(501, "unsupported Transfer-Encoding '%s'" % te)
            self.maybe_continue(r)
            return self.read_chunked()
        if cl is None:
            return b""
        if not cl.isdigit() or not cl.isascii():
            raise HttpError(400, "malformed Content-Length")
        n = int(cl)
        if n > MAX_BODY:
            raise HttpError(413, "request body larger than %d bytes" % MAX_BODY)
        if n and len(self.buf) < n:
            self.maybe_continue(r)
        while len(self.buf) < n:
            if not self.fill():
                raise HttpError(400, "connection closed inside the request body")
        body = bytes(self.buf[:n])
        del self.buf[:n]
        return body

    def maybe_continue(self, r):
        if r.headers.get("expect", "").lower() == "100-continue" and r.version == "HTTP/1.1":
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def read_line(self, limit=4096):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                if b"\n" in line or b"\r" in line:
                    raise HttpError(400, "bare CR or LF in a chunk line")
                return line
            if len(self.buf) > limit:
                raise HttpError(400, "chunk line too long")
            if not self.fill():
                raise HttpError(400, "connection closed inside a chunked body")

    def read_chunked(self):
        out = bytearray()
        while True:
            line = self.read_line()
            size_s = line.split(b";", 1)[0].strip(b" \t")
            if not size_s or not re.match(rb"^[0-9A-Fa-f]{1,15}$", size_s):
                raise HttpError(400, "malformed chunk size")
            size = int(size_s, 16)
            if size == 0:
                while self.read_line() != b"":
                    pass
                return bytes(out)
            if len(out) + size > MAX_BODY:
                raise HttpError(413, "request body too large")
            while len(self.buf) < size + 2:
                if not self.fill():
                    raise HttpError(400, "connection closed inside a chunk")
            if self.buf[size:size + 2] != b"\r\n":
                raise HttpError(400, "chunk data not followed by CRLF")
            out += self.buf[:size]
            del self.buf[:size + 2]

    # ---- the loop ----
    def serve(self):
        srv = self.server
        while True:
            try:
                req = self.read_head()
            except HttpError as e:
                body = ("%d %s\n" % (e.status, e.message)).encode()
                self.send(e.status, "text/plain; charset=utf-8", body, close=True)
                srv.stat_inc("requestsServed")
                srv.log_request("-", "(unparsable request: %s)" % e.message, e.status,
                                self.t0 or time.perf_counter())
                self.linger_close()
                return
            except socket.timeout:
                return
            if req is None:
                return
            t0 = self.t0 or time.perf_counter()
            self.nreq += 1
            srv.stat_request(self.nreq)
            try:
                status, ctype, body, extra = srv.app.dispatch(req)
            except Exception:   # a bug in the emulator: answer 500, keep serving
                srv.log("internal error:\n" + traceback.format_exc())
                status, ctype, body, extra = json_response(
                    500, error_envelope("InternalError", "cdemu internal error (see its log)"))
            close = not req.keep_alive
            self.send(status, ctype, body, extra, close=close,
                      keep_alive_10=(req.version == "HTTP/1.0" and req.keep_alive),
                      head_only=(req.method == "HEAD"))
            if not srv.quiet:  # the redaction is work even when the line is not written
                srv.log_request(req.method, redact_target(req.target), status, t0)
            if close:
                self.linger_close(notify=True)
                return
            p = srv.config["closeIdleProbability"]
            if p > 0 and random.random() < p and self.idle():
                srv.stat_inc("idleCloses")
                self.linger_close(notify=True)
                return

    def send(self, status, ctype, body, extra=None, close=False, keep_alive_10=False,
             head_only=False):
        out = [response_head_start(status, ctype), str(len(body)).encode(), b"\r\n"]
        if extra:
            out.append("".join("%s: %s\r\n" % kv for kv in extra).encode("latin-1"))
        if close:
            out.append(b"Connection: close\r\n")
        elif keep_alive_10:
            out.append(b"Connection: keep-alive\r\n")
        out.append(b"\r\n")
        if not head_only:
            out.append(body)
        self.sock.sendall(b"".join(out))

    def idle(self):
        """True when no further request bytes are waiting (closing now would not cut a
        pipelined request short)."""
        if self.buf:
            return False
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return False
        try:
            r, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not r

    def linger_close(self, notify=False):
        """Half-close, then drain what the peer still sends for a moment, so the kernel
        never answers unread bytes with a reset that could destroy our response."""
        sock = self.sock
        try:
            if notify and isinstance(sock, ssl.SSLSocket):
                sock.settimeout(0.0)
                try:
                    sock.unwrap()          # sends close_notify; the peer's is not awaited
                except (ssl.SSLError, OSError, ValueError):
                    pass
            socket.socket.shutdown(sock, socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            sock.settimeout(0.2)
            while time.monotonic() < deadline:
                try:
                    if not socket.socket.recv(sock, 65536):
                        break
                except socket.timeout:
                    continue
        except (OSError, ValueError):
            pass


def error_envelope(code, message, details="", where=""):
    return {"error": {"where": where, "message": message, "details": details, "code": code}}


def made_once(encoder):
    """encoder.encode without its set-up on every call (two Python frames, a closure and a
    new C encoder): json's C encoder, made once with the same settings, to be called as
    "".join(c_encoder(obj, 0)). It has no cycle check (an answer is a tree; a cycle would
    still end in an error, a RecursionError instead of a ValueError, both a 500). None
    without json's C module."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    strings = json.encoder.encode_basestring_ascii if encoder.ensure_ascii else json.encoder.encode_basestring
    return make(None, encoder.default, strings, encoder.indent, encoder.key_separator,
                encoder.item_separator, encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)


# Made once: json.dumps with any option makes a new encoder per call.
JSON_ENCODERS = {flag: json.JSONEncoder(ensure_ascii=flag, separators=(",", ":")) for flag in (False, True)}
JSON_C_ENCODERS = {flag: made_once(e) for flag, e in JSON_ENCODERS.items()}


def json_response(status, obj, ascii_json=False):
    ascii_json = bool(ascii_json)
    c_encoder = JSON_C_ENCODERS[ascii_json]
    text = "".join(c_encoder(obj, 0)) if c_encoder else JSON_ENCODERS[ascii_json].encode(obj)
    body = text.encode("utf-8")
    return status, "application/json", body, None


def text_response(status, text):
    return status, "text/plain; charset=utf-8", text.encode("utf-8"), None


# --------------------------------------------------------------------------------------
# The application: routing and the API itself.

class App:
    def __init__(self, server, store):
        self.srv = server
        self.store = store
        self.recent = deque(maxlen=200)
        self.recent_lock = threading.Lock()

    @property
    def config(self):
        return self.srv.config

    def dispatch(self, req):
        path = req.path
        if path == REST or path.startswith(REST + "/"):
            self.srv.stat_inc("restRequests")
            if self.srv.opts.profile == "jetty12.1" and "//" in path:
                # Jetty 12 refuses empty path segments before any servlet runs: a bare
                # HTML 400, not a CD error.
                self.record(req, 400)
                return (400, "text/html;charset=iso-8859-1",
                        b"<html><head><title>Error 400 Ambiguous URI empty segment</title></head>"
                        b"<body><h2>HTTP ERROR 400 Ambiguous URI empty segment</h2></body></html>", None)
            status, ctype, body, extra = self.rest(req)
            self.record(req, status)
            return status, ctype, body, extra
        if path == PUBLISH_PHP and self.srv.opts.profile == "pre2023":
            self.record(req, 404)
            return text_response(404, "404 Not Found: %s\n" % path)
        if path in (PUBLISH_PHP, PUBLISH_CGI):
            status, ctype, body, extra = self.upload(req, "files[]" if path == PUBLISH_PHP else "files")
            self.record(req, status)
            return status, ctype, body, extra
        if path == "/emu" or path.startswith("/emu/"):
            return self.emu(req)
        if path == "/" and req.method in ("GET", "HEAD"):
            return text_response(200, "cdemu: a CloudBees CD/RO REST API v1.0 emulator.\n"
                                      "API under /rest/v1.0/, control under /emu/ "
                                      "(python3 tests/cdemu.py --help).\n")
        return text_response(404, "404 Not Found: %s\n" % path)

    def record(self, req, status):
        # Kept raw; /emu/requests builds the JSON items (most requests are never asked for).
        body = req.body
        item = (req.method, req.target, req.hlist, len(body), body[:65536], status)
        with self.recent_lock:
            self.recent.append(item)

    @staticmethod
    def recent_item(item):
        method, target, hlist, body_length, body, status = item
        return {
            "method": method, "target": target,
            "headers": [[k, v] for k, v in hlist],
            "bodyLength": body_length,
            "body": body.decode("utf-8", "replace"),
            "status": status,
        }

    # ---- /rest ----
    def rest(self, req):
        ascii_json = self.srv.config["asciiJson"]
        try:
            obj = self.rest_call(req)
            status = 200
            if isinstance(obj, tuple):
                status, obj = obj
            return json_response(status, obj, ascii_json)
        except ApiError as e:
            return json_response(e.status, error_envelope(e.code, e.message, e.details, e.where),
                                 ascii_json)

    def rest_call(self, req):
        if self.srv.opts.profile == "jetty12.1":
            ctype = req.headers.get("content-type")
            if (header_params(ctype)[0] if ctype is not None else "") != "application/json":
                raise ApiError(415, "UnsupportedMediaType",
                               "Content-Type: application/json is required on every /rest request "
                               "(got %s)" % ("'%s'" % ctype if ctype is not None else "none"))
        params = parse_query(req.query)
        if "actualParameter" in params:
            raise bad_arg("actualParameter is a list and must be sent in the JSON body")
        if req.body:
            params.update(parse_json_body(req.body))
        rest = req.path[len(REST):]
        rest = rest[1:] if rest.startswith("/") else rest
        resource, _, tail = rest.partition("/")
        method = req.method if req.method != "HEAD" else "GET"
        st = self.store
        with st.lock:
            now = time.time()
            if resource == "sessions":
                return self.sessions(req, method, tail, params, now)
            if resource == "server" and not tail and params.get("request") == "getServerStatus":
                return self.get_server_status(method, params)
            user = self.authenticate(req, now)
            ctx = Ctx(user, now, params)
            handler = getattr(self, "r_" + resource, None) if resource.isalnum() else None
            if handler is None:
                raise ApiError(501, "NotImplemented", "Unknown request: %s %s/%s"
                               % (req.method, REST, resource))
            return handler(method, tail, params, ctx)

    def not_impl(self, method, resource, tail):
        raise ApiError(501, "NotImplemented", "Unknown request: %s %s/%s%s"
                       % (method, REST, resource, "/" + tail if tail else ""))

    # ---- authentication ----
    def session_ids(self, req):
        h = req.headers
        return self.session_ids_of(h.get("sessionid"), h.get("cookie"))

    @staticmethod
    @functools.lru_cache(maxsize=256)   # a client sends the same session on every request
    def session_ids_of(hdr, cookie):
        """The session ids a sessionId header and a Cookie header carry, in order (a tuple:
        the cached value is shared)."""
        ids = []
        if hdr:
            ids.append(hdr.strip())
        if cookie:
            for part in cookie.split(";"):
                k, eq, v = part.strip().partition("=")
                if eq and k.strip() == "sessionId":
                    v = v.strip()
                    if len(v) >= 2 and v[0] == v[-1] == '"':
                        v = v[1:-1]
                    if v and v not in ids:
                        ids.append(v)
        return tuple(ids)

    def basic(self, header):
        scheme, _, cred = header.strip().partition(" ")
        if scheme.lower() != "basic":
            raise ApiError(401, "InvalidCredentials",
                           "Unsupported Authorization scheme '%s' (use Basic or a session)" % scheme)
        try:
            user, sep, pw = base64.b64decode(cred.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise ApiError(401, "InvalidCredentials", "Malformed Basic credentials")
        if not sep or not self.store.check_password(user, pw):
            raise ApiError(401, "InvalidCredentials", "Invalid user name or password")
        return user

    def authenticate(self, req, now, extra_ids=()):
        auth = req.headers.get("authorization")
        if auth is not None:
            return self.basic(auth)
        ids = self.session_ids(req)
        if extra_ids:
            ids = list(extra_ids) + [i for i in ids if i not in extra_ids]
        if not ids:
            raise ApiError(401, "NoCredentials", "No credentials/session found in this request")
        first = None
        for sid in ids:
            try:
                return self.store.use_session(sid, now, self.srv.config["sessionTimeout"])
            except ApiError as e:
                first = first or e
        if self.config["staleSessionAnswer"] == "NoCredentials":
            raise ApiError(400, "NoCredentials", "No credentials/session found in this request")
        raise first

    def sessions(self, req, method, tail, params, now):
        st = self.store
        if method == "POST" and not tail:
            token = params.get("token")
            if token is not None:
                token = scalar("token", token)
                user = st.tokens.get(token)
                if user is None:
                    raise ApiError(401, "InvalidCredentials", "Invalid or revoked access token")
            elif params.get("userName") is not None:
                user = scalar("userName", params["userName"])
                if params.get("password") is None:
                    raise missing("password")
                if not st.check_password(user, scalar("password", params["password"])):
                    raise ApiError(401, "InvalidCredentials", "Invalid user name or password")
            elif req.headers.get("authorization") is not None:
                user = self.basic(req.headers["authorization"])
            else:
                raise missing("userName")
            sid = st.new_session(user, now)
            return {"sessionId": sid, "userName": user}
        if method == "DELETE":
            if self.config["logoutStatus"]:
                # a server without logout: e.g. 405 from the web container
                raise ApiError(self.config["logoutStatus"], "NotImplemented", "DELETE /sessions is not supported here")
            user = self.authenticate(req, now)
            ids = [decode_segment(tail)] if tail else self.session_ids(req)
            for sid in ids:
                s = st.sessions.get(sid)
                if s is not None and s.user == user:
                    s.state = "loggedOut"
                    st.dirty = True
            return {}
        self.not_impl(req.method, "sessions", tail)

    # ---- properties ----
    def prop_path(self, tail, params, name_param="propertyName"):
        if tail:
            if "/" not in tail and "%" not in tail and tail.isascii():
                return False, [tail]    # what split_path gives a single plain segment
            return split_path(tail)
        v = params.get(name_param)
        if v is None:
            return False, []
        v = scalar(name_param, v)
        absolute = v.startswith("/")
        segs = (v[1:] if absolute else v).split("/")
        if any(s == "" for s in segs):
            raise bad_arg("Property path '%s' has an empty segment" % v)
        return absolute, segs

    def r_properties(self, method, tail, params, ctx):
        st = self.store
        expand = boolean("expand", params.get("expand"), True)
        if method == "GET":
            if not tail:    # the listing form: the sheet named by `path`, or the context's
                absolute, segs = self.prop_path("", params, "path")
                if absolute and not segs:
                    raise bad_arg("'/' is not a property sheet")
                sheet = st.sheet_for(segs, absolute, ctx)
                return {"propertySheet": st.sheet_json(sheet, ctx, expand,
                                                       boolean("recurse", params.get("recurse"), False))}
            absolute, segs = self.prop_path(tail, params)
            p, _ = st.find(segs, absolute, ctx)
            return {"property": st.prop_json(p, ctx, expand)}
        if method == "PUT" and params.get("request") == "incrementProperty":
            return self.increment_property(tail, params, ctx)
        if method in ("PUT", "POST"):
            absolute, segs = self.prop_path(tail, params)
            if not segs:
                raise missing("propertyName")
            create = method == "POST"
            sheet, name, owner = st.parent_for_write(segs, absolute, ctx)
            ptype = scalar("propertyType", params.get("propertyType", "string")).lower()
            if ptype not in ("string", "sheet"):
                raise bad_arg("propertyType must be 'string' or 'sheet', not '%s'" % ptype)
            value = params.get("value")
            value = None if value is None else scalar("value", value)
            desc = params.get("description")
            desc = None if desc is None else scalar("description", desc)
            expandable = params.get("expandable")
            p = sheet.props.get(name)
            if p is not None and create:
                raise ApiError(409, "DuplicatePropertyName", "Property '%s' already exists"
                               % display_path(segs, absolute))
            if not create and value is None and desc is None and expandable is None \
                    and "propertyType" not in params:
                raise missing("value")
            if ptype == "sheet" and value:
                raise bad_arg("A property sheet has no value")
            before = None if p is None or create else st.prop_json(p, ctx, False)
            if p is None:
                p = Prop(name, ctx.user, ctx.now)
                if ptype == "sheet":
                    p.sheet = st.new_sheet()
                sheet.props[name] = p
            else:
                if p.sheet is not None and value is not None:
                    raise bad_arg("Property '%s' is a property sheet; it has no value"
                                  % display_path(segs, absolute))
                if p.sheet is None and ptype == "sheet" and "propertyType" in params:
                    raise bad_arg("Property '%s' is a string property, not a sheet"
                                  % display_path(segs, absolute))
                p.mtime = ctx.now
                p.modified_by = ctx.user
            if value is not None:
                p.value = value
            if desc is not None:
                p.description = desc
            if expandable is not None:
                p.expandable = boolean("expandable", expandable, True)
            st.dirty = True
            if before is not None and self.srv.config["putAnswer"] == "changed":
                # The REST overview: "you specify the values that you want to change. The
                # response payload includes only those values that have changed": the
                # values the request set, and what the update itself changed.
                after = st.prop_json(p, ctx, False)
                given = [k for k in ("value", "description", "expandable") if params.get(k) is not None]
                return {"property": {k: v for k, v in after.items() if k in given or before.get(k) != v}}
            return {"property": st.prop_json(p, ctx, expand)}
        if method == "DELETE":
            absolute, segs = self.prop_path(tail, params)
            if not segs:
                raise missing("propertyName")
            roots = st.roots(segs, absolute, ctx, "A property")
            for owner, rest in roots:
                if not rest:
                    raise bad_arg("Property path '%s' names an object, not a property"
                                  % display_path(segs, absolute))
                sheet = owner.sheet
                ok = True
                for s in rest[:-1]:
                    q = sheet.props.get(s)
                    if q is None or q.sheet is None:
                        ok = False
                        break
                    sheet = q.sheet
                if ok and rest[-1] in sheet.props:
                    del sheet.props[rest[-1]]
                    st.dirty = True
                    return {}
            raise ApiError(404, "NoSuchProperty", "Property '%s' does not exist"
                           % display_path(segs, absolute))
        self.not_impl(method, "properties", tail)

    def r_propertySheets(self, method, tail, params, ctx):
        if method == "GET" and tail and "/" not in tail:
            sid = decode_segment(tail)
            sheet = self.store.sheets.get(sid)
            if sheet is None:
                raise ApiError(404, "NoSuchPropertySheet", "Property sheet '%s' does not exist" % sid)
            return {"propertySheet": self.store.sheet_json(
                sheet, ctx, boolean("expand", params.get("expand"), True),
                boolean("recurse", params.get("recurse"), False))}
        self.not_impl(method, "propertySheets", tail)

    # ---- projects and procedures ----
    def r_projects(self, method, tail, params, ctx):
        st = self.store
        segs = split_path(tail)[1] if tail else []
        if not segs:
            if method == "GET":
                return {"project": [st.projects[n].to_json() for n in sorted(st.projects)]}
            if method == "POST":
                name = self.required(params, "projectName")
                if name in st.projects:
                    raise ApiError(409, "DuplicateProjectName", "Project '%s' already exists" % name)
                p = st.add_project(name, ctx.user, ctx.now)
                p.description = self.optional(params, "description", "")
                st.dirty = True
                return {"project": p.to_json()}
        elif len(segs) == 1:
            p = st.project(segs[0])
            if method == "GET":
                return {"project": p.to_json()}
            if method == "PUT":
                if "description" in params:
                    p.description = self.optional(params, "description", "")
                p.touch(ctx.user, ctx.now)
                st.dirty = True
                return {"project": p.to_json()}
            if method == "DELETE":
                del st.projects[p.name]
                st.dirty = True
                return {}
        elif segs[1] == "procedures":
            p = st.project(segs[0])
            if len(segs) == 2:
                if method == "GET":
                    return {"procedure": [p.procedures[n].to_json() for n in sorted(p.procedures)]}
                if method == "POST":
                    name = self.required(params, "procedureName")
                    if name in p.procedures:
                        raise ApiError(409, "DuplicateProcedureName",
                                       "Procedure '%s' already exists" % name)
                    q = st.add_procedure(p, name, ctx.user, ctx.now)
                    q.description = self.optional(params, "description", "")
                    st.dirty = True
                    return {"procedure": q.to_json()}
            elif len(segs) == 3:
                q = st.procedure(p.name, segs[2])
                if method == "GET":
                    return {"procedure": q.to_json()}
                if method == "DELETE":
                    del p.procedures[q.name]
                    st.dirty = True
                    return {}
        self.not_impl(method, "projects", tail)

    def r_resources(self, method, tail, params, ctx):
        st = self.store
        segs = split_path(tail)[1] if tail else []
        if not segs and method == "GET":
            return {"resource": [st.resources[n].to_json() for n in sorted(st.resources)]}
        if not segs and method == "POST":
            name = self.required(params, "resourceName")
            if name in st.resources:
                raise ApiError(409, "DuplicateResourceName", "Resource '%s' already exists" % name)
            r = Resource(name)
            r.sheet = st.new_sheet()
            r.stamp(ctx.user, ctx.now)
            st.resources[name] = r
            st.dirty = True
            return {"resource": r.to_json()}
        if len(segs) == 1 and method == "GET":
            return {"resource": st.resource(segs[0]).to_json()}
        self.not_impl(method, "resources", tail)

    def r_repositories(self, method, tail, params, ctx):
        st = self.store
        segs = split_path(tail)[1] if tail else []
        if not segs and method == "GET":
            return {"repository": [st.repositories[n] for n in sorted(st.repositories)]}
        if len(segs) == 1 and method == "GET":
            return {"repository": st.repository(segs[0])}
        self.not_impl(method, "repositories", tail)

    # ---- parameters ----
    @staticmethod
    def required(params, name):
        v = params.get(name)
        if v is None:
            raise missing(name)
        v = scalar(name, v)
        if v == "":
            raise bad_arg("Parameter '%s' must not be empty" % name)
        return v

    @staticmethod
    def optional(params, name, default=None):
        v = params.get(name)
        return default if v is None else scalar(name, v)

    # ---- artifacts ----
    @staticmethod
    def check_artifact_parts(group, key):
        for what, v in (("groupId", group), ("artifactKey", key)):
            if not ARTIFACT_PART_RE.match(v):
                raise ApiError(400, "InvalidArtifactName",
                               "Invalid %s '%s': use letters, digits, spaces, '.', '_' and '-'" % (what, v))

    def artifact_name(self, params):
        if params.get("artifactName") is not None and params.get("groupId") is None:
            name = self.required(params, "artifactName")
            group, sep, key = name.partition(":")
            if not sep:
                raise ApiError(400, "InvalidArtifactName",
                               "Invalid artifact name '%s' (want groupId:artifactKey)" % name)
        else:
            group = self.required(params, "groupId")
            key = self.required(params, "artifactKey")
        self.check_artifact_parts(group, key)
        return group, key

    def r_artifacts(self, method, tail, params, ctx):
        st = self.store
        segs = split_path(tail)[1] if tail else []
        if not segs:
            if method == "GET":
                return {"artifact": [st.artifacts[n].to_json() for n in sorted(st.artifacts)]}
            if method == "POST":
                group, key = self.artifact_name(params)
                name = "%s:%s" % (group, key)
                if name in st.artifacts:
                    raise ApiError(409, "DuplicateArtifactName", "Artifact '%s' already exists" % name)
                a = self.new_artifact(group, key, ctx)
                a.description = self.optional(params, "description", "")
                return {"artifact": a.to_json()}
        elif len(segs) == 1:
            a = st.artifact(segs[0])
            if method == "GET":
                return {"artifact": a.to_json()}
            if method == "PUT":
                if "description" in params:
                    a.description = self.optional(params, "description", "")
                a.touch(ctx.user, ctx.now)
                st.dirty = True
                return {"artifact": a.to_json()}
            if method == "DELETE":
                for vn in [vn for vn, v in st.versions.items() if (v.group, v.key) == (a.group, a.key)]:
                    del st.versions[vn]
                del st.artifacts[a.name]
                st.dirty = True
                return {}
        self.not_impl(method, "artifacts", tail)

    def new_artifact(self, group, key, ctx):
        st = self.store
        a = Artifact(group, key)
        a.sheet = st.new_sheet()
        a.stamp(ctx.user, ctx.now)
        st.artifacts[a.name] = a
        st.dirty = True
        return a

    def new_version(self, group, key, version, repo, ctx):
        st = self.store
        v = ArtifactVersion(group, key, version)
        v.sheet = st.new_sheet()
        v.stamp(ctx.user, ctx.now)
        v.repository = repo
        st.versions[v.name] = v
        st.dirty = True
        return v

    @staticmethod
    def check_version(version):
        if not VERSION_RE.match(version):
            raise bad_arg("Invalid version '%s': use letters, digits, '.', '_', '+' and '-'" % version)

    def r_artifactVersions(self, method, tail, params, ctx):
        st = self.store
        segs = split_path(tail)[1] if tail else []
        if not segs:
            if method == "GET":
                # getArtifactVersions filters by artifactName (and retriever job/step);
                # other parameters are not filters: like the server, they are ignored and
                # every version in the system is listed (apidocs getArtifactVersions).
                vs = list(st.versions.values())
                if params.get("artifactName") is not None:
                    name = self.required(params, "artifactName")
                    st.artifact(name)
                    vs = [v for v in vs if "%s:%s" % (v.group, v.key) == name]
                return {"artifactVersion": [v.to_json() for v in sorted(vs, key=lambda v: v.name)]}
            if method == "POST":
                group, key = self.artifact_name(params)
                version = self.required(params, "version")
                self.check_version(version)
                repo = self.optional(params, "repositoryName", "default")
                st.repository(repo)
                state = self.optional(params, "artifactVersionState", "publishing")
                if state not in VERSION_STATES:
                    raise bad_arg("artifactVersionState must be one of %s" % ", ".join(VERSION_STATES))
                st.artifact("%s:%s" % (group, key))
                name = "%s:%s:%s" % (group, key, version)
                if name in st.versions:
                    raise ApiError(409, "DuplicateArtifactVersion",
                                   "Artifact version '%s' already exists" % name)
                v = self.new_version(group, key, version, repo, ctx)
                v.state = state
                v.description = self.optional(params, "description", "")
                return {"artifactVersion": v.to_json()}
        elif len(segs) == 1:
            v = st.version(segs[0])
            if method == "GET":
                return {"artifactVersion": v.to_json()}
            if method == "PUT":
                state = self.optional(params, "artifactVersionState")
                if state is not None:
                    if state not in VERSION_STATES:
                        raise bad_arg("artifactVersionState must be one of %s" % ", ".join(VERSION_STATES))
                    v.state = state
                if "description" in params:
                    v.description = self.optional(params, "description", "")
                v.touch(ctx.user, ctx.now)
                st.dirty = True
                return {"artifactVersion": v.to_json()}
            if method == "DELETE":
                del st.versions[v.name]
                st.dirty = True
                return {}
        self.not_impl(method, "artifactVersions", tail)

    # ---- jobs ----
    def r_jobs(self, method, tail, params, ctx):
        st = self.store
        segs = split_path(tail)[1] if tail else []
        request = self.optional(params, "request")
        if not segs:
            if method == "POST":
                if request == "runProcess":
                    return self.run_process(params, ctx)
                if request != "runProcedure":
                    raise bad_arg("POST /jobs needs request=runProcedure in the query string"
                                  if request is None else "Unsupported request '%s'" % request)
                return self.run_procedure(params, ctx)
            if method == "GET" and request is None:
                js = list(st.jobs.values())
                if params.get("projectName") is not None:
                    js = [j for j in js if j.project == self.optional(params, "projectName")]
                return {"job": [j.to_json(ctx.now) for j in sorted(js, key=lambda j: j.start)]}
        elif len(segs) == 1:
            j = st.job(segs[0])
            if method == "GET":
                if request == "getJobStatus":
                    return {"jobId": j.id, "status": j.status(ctx.now), "outcome": j.outcome_now(ctx.now)}
                if request in (None, "getJobDetails", "getJobInfo"):
                    d = j.to_json(ctx.now)
                    if self.config["jobSheetShape"] == "nested":
                        # the shape CloudBees' clients read: job.propertySheet.property[...]
                        del d["propertySheetId"]
                        d["propertySheet"] = {"property": st.sheet_json(
                            j.sheet, ctx, boolean("expand", params.get("expand"), True), False)["property"]}
                    return {"job": d}
            if method in ("POST", "PUT") and request == "abortJob":
                if j.status(ctx.now) != "completed":
                    j.aborted_at = ctx.now
                    j.touch(ctx.user, ctx.now)
                    st.dirty = True
                return {"job": j.to_json(ctx.now)}
            if method == "DELETE" and request is None:
                del st.jobs[j.id]
                del st.steps[j.step.id]
                st.dirty = True
                return {}
            if request is not None:
                raise ApiError(501, "NotImplemented", "Unsupported request '%s' on %s /jobs/ID"
                               % (request, method))
        self.not_impl(method, "jobs", tail)

    def r_jobSteps(self, method, tail, params, ctx):
        if tail and "/credentialPaths/" in tail:  # the name may be a path: "/projects/P/..."
            head, name = tail.split("/credentialPaths/", 1)
            absolute, path = split_path(name)
            segs = split_path(head)[1] + ["credentialPaths"] + ([""] if absolute else []) + path
        else:
            segs = split_path(tail)[1] if tail else []
        if method == "GET" and len(segs) == 1:
            step = self.store.step(segs[0])
            d = step.to_json(ctx.now)
            d["logFileName"] = "%s.%s.log" % (step.job.procedure, step.id[:8])
            return {"jobStep": d}
        if method == "GET" and len(segs) >= 3 and segs[1] == "credentialPaths":
            # getFullCredential from a running step: the credentials of the step's project
            # (the emulator treats every one of them as attached to every step). The name
            # is a plain name or a path, /projects/P/credentials/C, slashes literal.
            step = self.store.step(segs[0])
            path = segs[2:]
            if len(path) == 1 and path[0]:
                project, name = step.job.project, path[0]
            elif len(path) == 5 and path[0] == "" and path[1] == "projects" and path[3] == "credentials" \
                    and path[2] and path[4]:
                project, name = path[2], path[4]
            else:
                raise bad_arg("Invalid credential name '%s': a name or /projects/P/credentials/C"
                              % "/".join(path))
            cred = CREDENTIALS.get(name) if project == "Default" == step.job.project else None
            if cred is None:
                raise ApiError(404, "NoSuchCredential", "Credential '%s' does not exist" % "/".join(path))
            if step.job.status(ctx.now) == "completed":
                raise ApiError(403, "AccessDenied", "getFullCredential only works from a running job step")
            return {"credential": {"credentialName": name, "projectName": step.job.project,
                                   "userName": cred["userName"], "password": cred["password"]}}
        self.not_impl(method, "jobSteps", tail)

    def run_procedure(self, params, ctx):
        st = self.store
        project = self.required(params, "projectName")
        procedure = self.required(params, "procedureName")
        ap = params.get("actualParameter", [])
        if isinstance(ap, dict):
            raise bad_arg("actualParameter must be a JSON array of {actualParameterName, value}")
        if not isinstance(ap, list):
            raise bad_arg("actualParameter must be a JSON array of {actualParameterName, value}")
        plist = []
        seen = set()
        for i, item in enumerate(ap):
            if not isinstance(item, dict):
                raise bad_arg("actualParameter[%d] must be an object" % i)
            name = item.get("actualParameterName")
            if not isinstance(name, str) or not name:
                raise bad_arg("actualParameter[%d] needs a non-empty string actualParameterName" % i)
            if name in seen:
                raise bad_arg("actualParameter '%s' given twice" % name)
            seen.add(name)
            value = item.get("value", "")
            if value is None:
                value = ""
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise bad_arg("actualParameter '%s': value must be a string" % name)
            plist.append([name, value if isinstance(value, str) else json.dumps(value)])
        q = st.procedure(project, procedure)
        pmap = dict(plist)
        duration = self.config["jobSeconds"]
        if "duration" in pmap:
            try:
                duration = float(pmap["duration"])
            except ValueError:
                duration = -1
            if not 0 <= duration <= 86400:
                raise bad_arg("actual parameter duration must be a number of seconds (0..86400)")
        outcome = pmap.get("outcome", q.default_outcome)
        return self.new_job(project, procedure, plist, ctx, duration, outcome)

    # ---- DSL, pipelines, releases, processes, findObjects ----
    DSL_PROJECT_RE = re.compile(r"""^\s*project\s*\(?\s*(?:projectName\s*:\s*)?(['"])([^'"]+)\1\s*\)?\s*$""")

    def increment_property(self, tail, params, ctx):
        """incrementProperty: PUT /properties/<path>?request=incrementProperty {incrementBy}.
        Atomic (under the store lock); a missing property is created with the increment,
        as the API reference says; a value that is no integer is refused."""
        st = self.store
        absolute, segs = self.prop_path(tail, params)
        if not segs:
            raise missing("propertyName")
        by = self.required(params, "incrementBy")
        try:
            by = int(by)
        except (TypeError, ValueError):
            raise bad_arg("incrementBy must be an integer, not '%s'" % by)
        sheet, name, _ = st.parent_for_write(segs, absolute, ctx)
        p = sheet.props.get(name)
        if p is None:
            p = Prop(name, ctx.user, ctx.now)
            p.value = "0"
            sheet.props[name] = p
        if p.sheet is not None:
            raise bad_arg("Property '%s' is a property sheet" % display_path(segs, absolute))
        try:
            p.value = str(int(p.value or "0") + by)
        except ValueError:
            raise ApiError(400, "InvalidPropertyValue", "Property '%s' has the value '%s', which is not an "
                           "integer" % (display_path(segs, absolute), p.value))
        p.mtime, p.modified_by = ctx.now, ctx.user
        st.dirty = True
        return {"property": st.prop_json(p, ctx, False)}

    def get_server_status(self, method, params):
        """getServerStatus: GET /server?request=getServerStatus, answered without a session
        (ectool runs it before login). serverStateOnly leaves the messages out."""
        if method != "GET":
            self.not_impl(method, "server", "")
        status = {"serverState": "running"}
        if not boolean("serverStateOnly", params.get("serverStateOnly"), False):
            status["lastMessage"] = "Server started"
            status["messages"] = {"message": ["Server started"]}
        return {"serverStatus": status}

    def r_server(self, method, tail, params, ctx):
        if method == "POST" and tail == "dsl":
            dsl = self.required(params, "dsl")
            fmt = self.optional(params, "format", "groovy")
            if fmt != "groovy":
                raise bad_arg("format '%s': the emulator speaks only groovy" % fmt)
            if params.get("parameters") is not None:
                try:
                    if not isinstance(json.loads(scalar("parameters", params["parameters"])), dict):
                        raise ValueError
                except ValueError:
                    raise bad_arg("parameters must be a JSON object, given as a string")
            m = self.DSL_PROJECT_RE.match(dsl)
            if not m:
                raise ApiError(400, "InvalidDsl", "The emulator evaluates only \"project 'NAME'\" DSL")
            name = m.group(2)
            p = self.store.projects.get(name) or self.store.add_project(name, ctx.user, ctx.now)
            return {"project": p.to_json()}
        self.not_impl(method, "server", tail)

    def actual_list(self, items, name_key, what):
        if not isinstance(items, list):
            raise bad_arg("%s must be a JSON array of {%s, value}" % (what, name_key))
        out, seen = [], set()
        for i, item in enumerate(items):
            name = item.get(name_key) if isinstance(item, dict) else None
            if not isinstance(name, str) or not name:
                raise bad_arg("%s[%d] needs a non-empty string %s" % (what, i, name_key))
            if name in seen:
                raise bad_arg("%s '%s' given twice" % (what, name))
            seen.add(name)
            value = item.get("value", "")
            if not isinstance(value, str):
                raise bad_arg("%s '%s': value must be a string" % (what, name))
            out.append([name, value])
        return out

    def start_flow(self, params, ctx, pipeline, release, plist):
        st = self.store
        project = self.required(params, "projectName")
        st.project(project)
        stages = params.get("stagesToRun")
        if stages is None:
            stages = list(PIPELINES[pipeline]["stages"])
        elif not isinstance(stages, list) or not all(isinstance(x, str) for x in stages):
            raise bad_arg("stagesToRun must be a JSON array of stage names")
        start = self.optional(params, "startingStage")
        if start is not None:  # the run starts there (within stagesToRun when both are given)
            if start not in stages:
                raise bad_arg("Stage '%s' is not in pipeline '%s' (or not among stagesToRun)" % (start, pipeline))
            stages = stages[stages.index(start):]
        for x in stages:
            if x not in PIPELINES[pipeline]["stages"]:
                raise bad_arg("Stage '%s' is not in pipeline '%s'" % (x, pipeline))
        pmap = dict(plist)
        outcome = pmap.get("outcome", "success")
        if outcome not in ("success", "warning", "error"):
            raise bad_arg("parameter outcome must be success, warning or error")
        f = FlowRuntime(new_id(), project, pipeline, release, plist, stages, ctx.now,
                        self.config["jobSeconds"], outcome)
        st.flows[f.id] = f
        return {"flowRuntime": f.to_json(ctx.now)}

    def r_pipelines(self, method, tail, params, ctx):
        if method == "POST" and not tail:
            name = self.required(params, "pipelineName")
            if self.optional(params, "projectName") == "Default" and name not in PIPELINES:
                raise ApiError(404, "NoSuchPipeline", "Pipeline '%s' does not exist" % name)
            plist = self.actual_list(params.get("actualParameter", []), "actualParameterName", "actualParameter")
            return self.start_flow(params, ctx, name if name in PIPELINES else "pipe", None, plist)
        self.not_impl(method, "pipelines", tail)

    def r_releases(self, method, tail, params, ctx):
        if method == "POST" and not tail:
            name = self.required(params, "releaseName")
            if name not in RELEASES:
                raise ApiError(404, "NoSuchRelease", "Release '%s' does not exist" % name)
            if params.get("stagesToRun") is not None and params.get("startingStage") is not None:
                raise bad_arg("Give stagesToRun or startingStage, not both")
            plist = self.actual_list(params.get("pipelineParameter", []), "pipelineParameterName",
                                     "pipelineParameter")
            return self.start_flow(params, ctx, RELEASES[name]["pipelineName"], name, plist)
        self.not_impl(method, "releases", tail)

    def r_pipelineRuntimeDetails(self, method, tail, params, ctx):
        if method == "PUT" and not tail and self.optional(params, "request") == "getPipelineRuntimeDetails":
            ids = params.get("flowRuntimeId")
            if isinstance(ids, str):
                ids = [ids]
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                raise bad_arg("flowRuntimeId must be a JSON array of ids")
            out = []
            for i in ids:
                f = self.store.flows.get(i)
                if f is None:
                    raise ApiError(404, "NoSuchFlowRuntime", "Flow runtime '%s' does not exist" % i)
                out.append(f.to_json(ctx.now))
            return {"flowRuntime": out}
        self.not_impl(method, "pipelineRuntimeDetails", tail)

    def run_process(self, params, ctx):
        st = self.store
        project = self.required(params, "projectName")
        app = self.required(params, "applicationName")
        process = self.required(params, "processName")
        env = self.required(params, "environmentName")
        st.project(project)
        a = APPLICATIONS.get(app) if project == "Default" else None
        if a is None:
            raise ApiError(404, "NoSuchApplication", "Application '%s' does not exist" % app)
        if process not in a["processes"]:
            raise ApiError(404, "NoSuchProcess", "Process '%s' does not exist" % process)
        if env not in a["environments"]:
            raise ApiError(404, "NoSuchEnvironment", "Environment '%s' does not exist" % env)
        plist = self.actual_list(params.get("actualParameter", []), "actualParameterName", "actualParameter")
        return self.new_job(project, process, plist, ctx, self.config["jobSeconds"], dict(plist).get("outcome", "success"))

    def new_job(self, project, label, plist, ctx, duration, outcome):
        st = self.store
        if outcome not in OUTCOMES:
            raise bad_arg("actual parameter outcome must be one of %s" % ", ".join(OUTCOMES))
        st.job_counter += 1
        name = "job_%d_%s" % (st.job_counter, time.strftime("%Y%m%d%H%M%S", time.gmtime(ctx.now)))
        j = Job(new_id(), name, project, label, plist, ctx.now, duration, outcome)
        j.sheet = st.new_sheet()
        j.stamp(ctx.user, ctx.now)
        j.step = JobStep(new_id(), j)
        j.step.sheet = st.new_sheet()
        j.step.stamp(ctx.user, ctx.now)
        st.jobs[j.id] = j
        st.steps[j.step.id] = j.step
        st.dirty = True
        return {"jobId": j.id}

    FIND_TYPES = ("job", "project", "artifactVersion", "artifact", "procedure")

    def find_candidates(self, kind, ctx):
        st = self.store
        if kind == "job":
            return [(j.id, j.to_json(ctx.now)) for j in st.jobs.values()]
        if kind == "project":
            return [(p.name, p.to_json()) for p in st.projects.values()]
        if kind == "artifactVersion":
            return [(v.name, v.to_json()) for v in st.versions.values()]
        if kind == "artifact":
            return [(a.name, a.to_json()) for a in st.artifacts.values()]
        return [(q.name, q.to_json()) for p in st.projects.values() for q in p.procedures.values()]

    def filter_match(self, f, obj):
        if not isinstance(f, dict):
            raise bad_arg("a filter must be a JSON object")
        op = f.get("operator")
        if op in ("and", "or"):
            subs = f.get("filter")
            if not isinstance(subs, list):
                subs = [subs]
            results = [self.filter_match(x, obj) for x in subs]
            return all(results) if op == "and" else any(results)
        if op == "not":
            subs = f.get("filter")
            return not self.filter_match(subs[0] if isinstance(subs, list) else subs, obj)
        name = f.get("propertyName")
        if not isinstance(name, str):
            raise bad_arg("a property filter needs propertyName")
        have = obj.get(name)
        have = None if have is None else str(have)
        want = f.get("operand1")
        if op == "equals":
            return have == want
        if op == "notEqual":
            return have != want
        if op == "like":
            return have is not None and re.fullmatch(re.escape(str(want)).replace("%", ".*"), have) is not None
        if op == "isNotNull":
            return have is not None
        if op == "isNull":
            return have is None
        raise bad_arg("filter operator '%s' is not one the emulator knows" % op)

    def r_objects(self, method, tail, params, ctx):
        if method == "PUT" and not tail and self.optional(params, "request") == "findObjects":
            kind = self.required(params, "objectType")
            if kind not in self.FIND_TYPES:
                raise bad_arg("objectType '%s': the emulator finds %s" % (kind, ", ".join(self.FIND_TYPES)))
            found = self.find_candidates(kind, ctx)
            flt = params.get("filter")
            if flt is not None:
                flist = flt if isinstance(flt, list) else [flt]
                found = [x for x in found if all(self.filter_match(f, x[1]) for f in flist)]
            srt = params.get("sort")
            if srt is not None:
                for s1 in reversed(srt if isinstance(srt, list) else [srt]):
                    if not isinstance(s1, dict) or not isinstance(s1.get("propertyName"), str):
                        raise bad_arg("sort needs propertyName")
                    key = s1["propertyName"]
                    found.sort(key=lambda x: str(x[1].get(key, "")), reverse=s1.get("order") == "descending")
            mx = params.get("maxIds")
            if mx is not None:
                try:
                    found = found[:max(0, int(mx))]
                except (TypeError, ValueError):
                    raise bad_arg("maxIds must be a number")
            return {"object": [{"objectId": "%s-%s" % (kind, oid), kind: obj} for oid, obj in found]}
        self.not_impl(method, "objects", tail)

    # ---- the upload endpoint ----
    def upload(self, req, files_field):
        # The real endpoint answers 200 with a text body either way (CloudBees' clients
        # succeed only on exactly "Artifact-Published-OK"); a missing session is 401 here.
        forced = self.config["uploadAnswer"]
        if forced is not None and req.method == "POST":
            return text_response(forced.get("status", 200), forced["body"])
        try:
            return self.upload_inner(req, files_field)
        except ApiError as e:
            status = 401 if e.status == 401 else 400 if req.method != "POST" else 200
            prefix = "" if e.code == "InvalidArtifactName" else "publishArtifactAPI "
            return text_response(status, "%serror [%s]: %s\n" % (prefix, e.code, e.message))

    @staticmethod
    def upload_name(filename):
        """The stored name: the path as sent, a leading '/' (as CloudBees' Jenkins plugin
        sends) dropped; empty, '.' or '..' segments are refused."""
        name = filename.replace("\\", "/").lstrip("/")
        segs = name.split("/")
        if not name or "\0" in name or any(x in ("", ".", "..") for x in segs):
            raise bad_arg("Invalid file name '%s'" % filename)
        return name

    def upload_inner(self, req, files_field):
        if req.method != "POST":
            raise ApiError(400, "InvalidArgument", "Use POST with multipart/form-data")
        parts = parse_multipart(req.body, req.headers.get("content-type", ""))
        fields = {}
        files = {}
        for name, filename, data in parts:
            if name == files_field and filename is not None:
                filename = self.upload_name(filename)
                if filename in files:
                    raise bad_arg("File '%s' sent twice" % filename)
                files[filename] = data
            elif filename is None:
                try:
                    fields[name] = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise bad_arg("Field '%s' is not UTF-8" % name)
            else:
                raise bad_arg("Unexpected file in field '%s' (files go in '%s')" % (name, files_field))
        st = self.store
        with st.lock:
            now = time.time()
            sid = fields.get("commanderSessionId")
            user = self.authenticate(req, now, [sid] if sid else [])
            ctx = Ctx(user, now)
            aname = fields.get("artifactName")
            if not aname:
                raise missing("artifactName")
            group, sep, key = aname.partition(":")
            if not sep:
                raise ApiError(400, "InvalidArtifactName",
                               "Invalid artifact name '%s' (want groupId:artifactKey)" % aname)
            self.check_artifact_parts(group, key)
            version = fields.get("artifactVersionVersion")
            if not version:
                raise missing("artifactVersionVersion")
            self.check_version(version)
            repo = fields.get("repositoryName") or "default"
            st.repository(repo)
            if not files:
                raise bad_arg("No files in the upload (field '%s')" % files_field)
            vname = "%s:%s:%s" % (group, key, version)
            v = st.versions.get(vname)
            if v is not None and v.state == "available":
                raise ApiError(409, "DuplicateArtifactVersion",
                               "Artifact version '%s' already exists" % vname)
            if aname not in st.artifacts:
                self.new_artifact(group, key, ctx)
            if v is None:
                v = self.new_version(group, key, version, repo, ctx)
            v.files = files
            v.repository = repo
            v.state = "available"
            v.touch(user, now)
            st.dirty = True
            total = sum(len(b) for b in files.values())
        self.srv.log("published %s (%d file%s, %d bytes)" % (vname, len(files), "" if len(files) == 1 else "s", total))
        return text_response(200, "Artifact-Published-OK")

    # ---- /emu ----
    def emu(self, req):
        what = req.path[len("/emu/"):]
        try:
            q = parse_query(req.query)
        except ApiError as e:
            return text_response(400, e.message + "\n")
        st = self.store
        m = req.method
        if what == "stats" and m in ("GET", "HEAD"):
            with st.lock:
                extra = {"activeSessions": st.active_sessions(time.time(), self.config["sessionTimeout"]),
                         "jobs": len(st.jobs)}
            return json_response(200, dict(self.srv.stats_snapshot(), **extra))
        if what == "reset-stats" and m == "POST":
            self.srv.reset_stats()
            return json_response(200, {})
        if what == "reset" and m == "POST":
            with st.lock:
                st.reset()
            with self.recent_lock:
                self.recent.clear()
            return json_response(200, {})
        if what == "expire-sessions" and m == "POST":
            with st.lock:
                n = st.expire_sessions()
            return json_response(200, {"expired": n})
        if what in ("artifact-file", "artifact-files") and m in ("GET", "HEAD"):
            with st.lock:
                v = st.versions.get(q.get("version", ""))
                if v is None:
                    return text_response(404, "no artifact version '%s'\n" % q.get("version", ""))
                if what == "artifact-files":
                    return json_response(200, {"file": [
                        {"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                        for n, b in sorted(v.files.items())]})
                data = v.files.get(q.get("name", ""))
            if data is None:
                return text_response(404, "no file '%s' in '%s'\n" % (q.get("name", ""), v.name))
            return 200, "application/octet-stream", data, None
        if what == "requests" and m in ("GET", "HEAD"):
            try:
                n = max(0, min(200, int(q.get("n", "20"))))
            except ValueError:
                return text_response(400, "n must be a number\n")
            with self.recent_lock:
                items = list(self.recent)[-n:] if n else []
            return json_response(200, {"request": [self.recent_item(i) for i in items]})
        if what == "config":
            if m == "POST":
                try:
                    changes = parse_json_body(req.body) if req.body else {}
                    for k, v in changes.items():
                        if k not in self.config:
                            raise bad_arg("unknown setting '%s'" % k)
                        if k == "asciiJson":
                            v = boolean(k, v, False)
                        elif k == "logoutStatus":
                            if v not in (0, 400, 404, 405, 500, 501):
                                raise bad_arg("logoutStatus is 0 (normal), 400, 404, 405, 500 or 501")
                        elif k == "putAnswer":
                            if v not in ("changed", "whole"):
                                raise bad_arg("putAnswer is changed or whole")
                        elif k == "jobSheetShape":
                            if v not in ("flat", "nested"):
                                raise bad_arg("jobSheetShape is flat or nested")
                        elif k == "staleSessionAnswer":
                            if v not in ("SessionExpired", "NoCredentials"):
                                raise bad_arg("staleSessionAnswer is SessionExpired or NoCredentials")
                        elif k == "uploadAnswer":
                            if v is not None and not (isinstance(v, dict) and isinstance(v.get("body"), str)
                                                      and isinstance(v.get("status", 200), int)
                                                      and not isinstance(v.get("status", 200), bool)):
                                raise bad_arg("uploadAnswer is null or {\"status\": N, \"body\": TEXT}")
                        else:
                            if not finite_number(v) or v < 0:
                                raise bad_arg("'%s' must be a finite number >= 0" % k)
                            if k == "closeIdleProbability" and v > 1:
                                raise bad_arg("closeIdleProbability must be within 0..1")
                        changes[k] = v
                except ApiError as e:
                    return text_response(400, e.message + "\n")
                self.config.update(changes)
            if m in ("GET", "POST"):
                return json_response(200, dict(self.config))
        return text_response(404, "unknown emulator control request: %s %s\n" % (m, req.path))


# --------------------------------------------------------------------------------------
# The server

class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, handler, opts, store):
        self.opts = opts
        self.quiet = opts.quiet
        self.ssl_ctx = None
        self.config = {"sessionTimeout": opts.session_timeout, "jobSeconds": opts.job_seconds,
                       "closeIdleProbability": opts.close_idle_probability, "asciiJson": False,
                       "uploadAnswer": None, "staleSessionAnswer": "SessionExpired",
                       "jobSheetShape": "flat", "putAnswer": "changed",
                       "logoutStatus": 0}
        self.stats_lock = threading.Lock()
        self.reset_stats()
        self.store = store
        self.app = App(self, store)
        self.log_lock = threading.Lock()
        super().__init__(addr, handler)

    def server_bind(self):
        # TCPServer's bind without HTTPServer's getfqdn() (a reverse DNS look-up).
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]

    def reset_stats(self):
        with self.stats_lock:
            open_now = getattr(self, "stats", {}).get("connectionsOpen", 0)
            self.stats = {"connectionsAccepted": 0, "connectionsOpen": open_now,
                          "requestsServed": 0, "restRequests": 0,
                          "maxRequestsOnOneConnection": 0, "idleCloses": 0,
                          "tlsHandshakes": 0, "tlsResumed": 0, "tlsHandshakeFailures": 0}

    def stat_inc(self, key):
        with self.stats_lock:
            self.stats[key] += 1

    def stat_dec(self, key):
        with self.stats_lock:
            self.stats[key] -= 1

    def stat_request(self, nreq):
        with self.stats_lock:
            s = self.stats
            s["requestsServed"] += 1
            if nreq > s["maxRequestsOnOneConnection"]:
                s["maxRequestsOnOneConnection"] = nreq

    def stats_snapshot(self):
        with self.stats_lock:
            return dict(self.stats)

    def log(self, line):
        try:
            with self.log_lock:
                sys.stderr.write("cdemu: " + line.rstrip("\n") + "\n")
                sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def log_request(self, method, target, status, t0):
        if self.quiet:
            return
        ms = (time.perf_counter() - t0) * 1000.0
        line = "%s %s %d %.1fms\n" % (method, target, status, ms)
        try:
            with self.log_lock:
                sys.stderr.write(line)
        except (OSError, ValueError):
            pass

    def handle_error(self, request, client_address):
        self.log("error on a connection from %s:\n%s" % (client_address[0], traceback.format_exc()))


class Server6(Server):
    address_family = socket.AF_INET6


# --------------------------------------------------------------------------------------
# State file

def save_state(store, path):
    with store.lock:
        data = store.dump()
        store.dirty = False
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def saver_loop(store, path, stop, log):
    while not stop.wait(0.3):
        if store.dirty:
            try:
                save_state(store, path)
            except OSError as e:
                log("cannot save state to %s: %s" % (path, e))


# --------------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="cdemu.py",
        description="A CloudBees CD/RO REST API v1.0 emulator (the API: docs/cd-api.md). "
                    "Serves HTTP, or HTTPS with --cert/--key, until SIGTERM/SIGINT. The first line on "
                    "stdout is 'PORT n'; one line per request goes to stderr.",
        epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True,
                    help="TCP port to listen on; 0 picks a free one (printed as 'PORT n')")
    ap.add_argument("--bind", default="127.0.0.1",
                    help="address to bind (default 127.0.0.1; an IPv6 literal such as ::1 works)")
    ap.add_argument("--cert", help="PEM certificate (chain) file: serve HTTPS (TLS 1.2 and 1.3)")
    ap.add_argument("--key", help="PEM private key file for --cert")
    ap.add_argument("--user", action="append", metavar="NAME:PASSWORD",
                    help="a user that may log in (repeatable; default admin:changeme)")
    ap.add_argument("--token", action="append", metavar="T",
                    help="a user access token accepted by POST /sessions {\"token\":T}, "
                         "for the first --user (repeatable; default: none)")
    ap.add_argument("--session-timeout", type=float, default=259200.0, metavar="SECONDS",
                    help="idle time after which a session expires (default 259200 = 3 days)")
    ap.add_argument("--job-seconds", type=float, default=2.0, metavar="S",
                    help="how long a job takes from start to completed (default 2; the actual "
                         "parameter 'duration' overrides it per job)")
    ap.add_argument("--state", metavar="FILE",
                    help="load state from FILE at start when it exists; save it there (JSON) "
                         "shortly after every change and at exit")
    ap.add_argument("--quiet", action="store_true", help="no per-request log lines on stderr")
    ap.add_argument("--profile", choices=("2023", "pre2023", "jetty12.1"), default="2023",
                    help="server generation to play (default 2023; see below and docs/cd-api.md)")
    ap.add_argument("--close-idle-probability", type=float, default=0.0, metavar="P",
                    help="after each response, close the connection with probability P "
                         "(between requests only, never mid-response; for reconnect tests)")
    o = ap.parse_args(argv)
    if (o.cert is None) != (o.key is None):
        ap.error("--cert and --key go together")
    if not 0.0 <= o.close_idle_probability <= 1.0:
        ap.error("--close-idle-probability must be within 0..1")
    if o.session_timeout < 0 or o.job_seconds < 0:
        ap.error("--session-timeout and --job-seconds must be >= 0")
    if not 0 <= o.port <= 65535:
        ap.error("--port must be within 0..65535")
    users = {}
    for u in o.user or ["admin:changeme"]:
        name, sep, pw = u.partition(":")
        if not sep or not name:
            ap.error("--user wants NAME:PASSWORD, got '%s'" % u)
        users[name] = pw
    o.users = users
    first = next(iter(users))
    o.tokens = {t: first for t in (o.token or [])}
    return o


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    # SIGTERM/SIGINT are blocked before any thread exists (threads inherit the mask) and
    # taken with sigwait() below: no Python signal handler runs, so none can deadlock on
    # a lock the main thread holds, and a signal during start-up is simply held pending.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    use_sigwait = hasattr(signal, "pthread_sigmask") and hasattr(signal, "sigwait")
    if use_sigwait:
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    store = Store(opts.users, opts.tokens)
    if opts.state and os.path.exists(opts.state):
        try:
            with open(opts.state, encoding="utf-8") as f:
                store.load(json.load(f))
        except (OSError, ValueError, KeyError, TypeError) as e:
            sys.stderr.write("cdemu: cannot load state from %s: %s\n" % (opts.state, e))
            return 2
    cls = Server6 if ":" in opts.bind else Server
    try:
        server = cls((opts.bind, opts.port), Conn, opts, store)
    except OSError as e:
        sys.stderr.write("cdemu: cannot listen on %s port %d: %s\n" % (opts.bind, opts.port, e))
        return 2
    if opts.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_cert_chain(opts.cert, opts.key)
        except (OSError, ssl.SSLError) as e:
            sys.stderr.write("cdemu: cannot load --cert/--key: %s\n" % e)
            return 2
        server.ssl_ctx = ctx

    stopping = []
    if not use_sigwait:
        def on_signal(signum, frame):
            stopping.append(signum)     # a list append takes no lock

        for sig in stop_signals:
            signal.signal(sig, on_signal)

    port = server.server_address[1]
    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()
    server.log("serving %s on %s port %d (%s)" % ("HTTPS" if opts.cert else "HTTP", opts.bind, port,
                                                 ", ".join(sorted(opts.users))))

    saver = None
    saver_stop = threading.Event()
    if opts.state:
        saver = threading.Thread(target=saver_loop, args=(store, opts.state, saver_stop, server.log),
                                 daemon=True)
        saver.start()
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    if use_sigwait:
        signal.sigwait(stop_signals)
    else:
        while not stopping:
            time.sleep(0.1)
    server.shutdown()
    saver_stop.set()
    rc = 0
    if opts.state:
        try:
            save_state(store, opts.state)
        except OSError as e:
            server.log("cannot save state to %s: %s" % (opts.state, e))
            rc = 1
    server.server_close()
    server.log("stopped")
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(rc)


if __name__ == "__main__":
    sys.exit(main())
