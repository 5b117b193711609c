#!/bin/sh
# SPDX-License-Identifier: MIT
# The cdrest command-line tool (examples/cdrest.c) end to end: build/asan/cdrest against
# the bundled emulator (tests/cdemu.py) over HTTP, and over HTTPS with certificates made by
# tests/mkcerts.sh. Every command, every exit status, the session file, secrets kept out
# of the output; ectool's forms over HTTPS with $HOME unset; and, against tests/logsrv.py
# (a scripted server that logs every request it receives), what the tool sends and prints
# when setups fail, credentials compete, servers send escape sequences, files are FIFOs,
# pipes close and signals come. Starts its servers itself and always stops them.
# Ends with one line "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
CLI_BIN="$PWD/$B/asan/cdrest"
PASSWORD='S3cret-pw-7f1e'   # unique, so that finding it in any output is meaningful
TOKEN='tok-4c1d-9a2b'
pass=0
fail=0
. tests/lib.sh

# A clean environment: nothing from the caller's shell leaks into the tool.
unset CDREST_SERVER CDREST_USER CDREST_PASSWORD CDREST_TOKEN COMMANDER_SERVER COMMANDER_PORT \
  COMMANDER_HTTPS_PORT COMMANDER_SECURE COMMANDER_SESSIONID COMMANDER_JOBID COMMANDER_JOBSTEPID \
  COMMANDER_HTTP_PROXY http_proxy https_proxy HTTPS_PROXY SSL_CERT_FILE SSL_CERT_DIR CDREST_CACERT \
  CURL_CA_BUNDLE REQUESTS_CA_BUNDLE no_proxy NO_PROXY
export HOME="$tmp/home"
mkdir -p "$HOME" "$tmp/bin"
export ASAN_OPTIONS=detect_leaks=1:exitcode=86
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87
ln -s "$CLI_BIN" "$tmp/bin/cdrest"
PATH="$tmp/bin:$PATH"
: >"$tmp/all"

ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  echo "FAIL: $1 (exit status $rc)"
  sed 's/^/    out| /' "$tmp/out" | head -n 8
  sed 's/^/    err| /' "$tmp/err" | head -n 8
}
die() {
  echo "t_cli: $1" >&2
  echo "$pass passed, $((fail + 1)) failed"
  exit 1
}

# run [NAME=VALUE ...] cdrest ARGS...: run the tool (never waiting on stdin, never for
# long); stdout in $tmp/out, stderr in $tmp/err, exit status in $rc. A sanitizer report
# is a failure of its own.
run() {
  timeout 30 env "$@" <"${STDIN:-/dev/null}" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  cat "$tmp/out" "$tmp/err" >>"$tmp/all"
  if grep -q -E 'Sanitizer|runtime error:' "$tmp/err"; then bad "sanitizer report: $*"; fi
}

# run_tty [NAME=VALUE ...] cdrest ARGS...: the same with stderr on a pseudo-terminal
# (for the progress displays); what the terminal showed lands in $tmp/err.
run_tty() {
  timeout 30 python3 -c 'import os, subprocess, sys, threading
m, s = os.openpty()
shown = []
def drain():
    while True:
        try:
            d = os.read(m, 65536)
        except OSError:
            return
        if not d:
            return
        shown.append(d)
t = threading.Thread(target=drain)
t.start()
p = subprocess.run(["env"] + sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=s)
os.close(s)
t.join(5)
sys.stdout.buffer.write(p.stdout)
sys.stderr.buffer.write(b"".join(shown))
sys.exit(p.returncode)' "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  cat "$tmp/out" "$tmp/err" >>"$tmp/all"
  if grep -q -E 'Sanitizer|runtime error:' "$tmp/err"; then bad "sanitizer report: $*"; fi
}

# Assertions about the last run.
status_is() { if [ "$rc" -eq "$2" ]; then ok; else bad "$1: want exit status $2"; fi; }
out_is() {
  printf '%s\n' "$2" >"$tmp/want"
  if cmp -s "$tmp/out" "$tmp/want"; then ok; else bad "$1: want stdout '$2'"; fi
}
out_has() { if grep -q -F -- "$2" "$tmp/out"; then ok; else bad "$1: stdout lacks '$2'"; fi; }
err_has() { if grep -q -F -- "$2" "$tmp/err"; then ok; else bad "$1: stderr lacks '$2'"; fi; }
err_lacks() { if grep -q -F -- "$2" "$tmp/err"; then bad "$1: stderr shows '$2'"; else ok; fi; }
out_empty() { if [ -s "$tmp/out" ]; then bad "$1: stdout not empty"; else ok; fi; }
check() { # check NAME COMMAND...: passes when the command succeeds
  name=$1
  shift
  if "$@"; then ok; else bad "$name"; fi
}

# start_emulator NAME ARGS...: an emulator whose jobs take a second; sets $port.
start_emulator() { start_emu "$@" --job-seconds 1 || die "$lib_why"; }

# GET or POST an emulator control URL with Python's urllib (curl may be missing).
emu() {
  python3 -c 'import sys, urllib.request as u
r = u.urlopen(u.Request(sys.argv[2], data=b"" if sys.argv[1] == "POST" else None, method=sys.argv[1]), timeout=10)
sys.stdout.buffer.write(r.read())' "$1" "$2"
}

# Every session id the emulator saw in the last requests (headers, cookie, login answers
# are not recorded, but every later use of a session is).
seen_session_ids() {
  emu GET "$URL/emu/requests?n=200" | python3 -c 'import json, re, sys
ids = set()
for r in json.load(sys.stdin)["request"]:
    for k, v in r["headers"]:
        if k.lower() == "sessionid": ids.add(v)
        for m in re.findall(r"sessionId=([^;\s]+)", v): ids.add(m)
print("\n".join(sorted(ids)))'
}

[ -x "$CLI_BIN" ] || die "$CLI_BIN is missing (make build/asan/cdrest)"
command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) is needed"
start_emulator http --user "admin:$PASSWORD" --token "$TOKEN"
URL="http://127.0.0.1:$port"
printf '%s\n' "$PASSWORD" >"$tmp/pw"
S="$tmp/session"

# --- usage and usage errors (exit 2) ---------------------------------------------------
run cdrest --help
status_is "--help" 0
out_has "--help lists the commands" "publishArtifactVersion G:K VERSION [FILE... | --fromDirectory D"
run cdrest getProperty --help
status_is "getProperty --help" 0
out_has "getProperty --help shows its usage" "usage: cdrest [global options] getProperty PATH"
run cdrest help waitForJob
status_is "help COMMAND" 0
out_has "help COMMAND shows its usage" "waitForJob JOBID [--timeout S] [--pollInterval S]"
run cdrest
status_is "no command" 2
run cdrest --server "$URL" frobnicate
status_is "unknown command" 2
err_has "unknown command is named" "unknown command 'frobnicate'"
run cdrest --server "$URL" getProperty x --frobnicate 1
status_is "unknown option" 2
err_has "unknown option is named" "unknown option --frobnicate"
run cdrest --server "$URL" getArtifact a:b --projectName Default
status_is "option of another command" 2
run cdrest --server "$URL" setProperty /projects/Default/x
status_is "missing argument" 2
err_has "a missing value is said" "setProperty needs a value"
run cdrest --server "$URL" getProperty x --projectName
status_is "option without its value" 2
run cdrest --server "$URL" getProperty a b
status_is "too many arguments" 2
run cdrest --server "$URL" --timeout soon getProperty x
status_is "bad --timeout" 2
run CDREST_USER=admin cdrest --server "$URL" --session-file "$S" getProperty /projects/Default/x
status_is "no password and no terminal" 2
err_has "no password: says why" "no terminal"
run cdrest --server "$URL" --session-file "$S" getProperty /projects/Default/x
status_is "no credentials at all" 2
run cdrest --session-file "$S" getProperty /projects/Default/x
status_is "no server" 2
run cdrest --server "http://cd.example.invalid:8000" --user admin --password-file "$tmp/pw" getProperty x
status_is "credentials over http:// to a remote host" 2
err_has "plain http refusal names the option" "--allow-plain-http"

# --- every command and every global option is in --help, the manual page and the README ---
run cdrest --help
python3 - "$tmp/out" <<'PY' >"$tmp/docs.missing"
import re, sys
src = open("examples/cdrest.c").read()
cmds = re.findall(r'^    \{ ?"([A-Za-z]+)", "', src, re.M)
opts = re.findall(r'GLOBAL_(?:VALUE|FLAG)\("([A-Za-z-]+)"', src)
docs = {"--help": open(sys.argv[1]).read(), "docs/cdrest.1": re.sub(r"\\f[BIRP]", "", open("docs/cdrest.1").read()).replace("\\-", "-"),
        "README.md": open("README.md").read()}
for where, text in docs.items():
    for c in cmds:
        if not re.search(r"\b%s\b" % c, text): print("%s lacks the command %s" % (where, c))
    for o in opts:
        if "--" + o not in text: print("%s lacks the option --%s" % (where, o))
print("checked %d commands, %d options" % (len(cmds), len(opts)), file=sys.stderr)
# The table is read from the source text: a layout change that hides it must fail, not pass empty.
if len(cmds) < 25 or len(opts) < 20: print("the command table was not found in examples/cdrest.c (%d commands, %d options)" % (len(cmds), len(opts)))
PY
check "every command and global option is documented ($(cat "$tmp/docs.missing" | tr '\n' ';'))" test ! -s "$tmp/docs.missing"
ncmd=0
for c in $(sed -n 's/^    { \{0,1\}"\([A-Za-z]*\)", ".*/\1/p' examples/cdrest.c); do
  ncmd=$((ncmd + 1))
  run cdrest "$c" --help
  if [ "$rc" -eq 0 ] && grep -q "ectool form: " "$tmp/out" && grep -q "short form:  cdrest $c" "$tmp/out"; then ok; else
    bad "cdrest $c --help shows the ectool form and the short form"; fi
done
check "the command table was read from examples/cdrest.c ($ncmd commands)" test "$ncmd" -ge 25

# --- network failures (exit 3) -----------------------------------------------------------
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run cdrest --server "http://127.0.0.1:$closed" --user admin --password-file "$tmp/pw" getProperty x
status_is "connection refused" 3
err_has "connection refused is said" "refused"

# --- login, the session file, commands reusing it ---------------------------------------------
run CDREST_PASSWORD="$PASSWORD" cdrest --server "$URL" --session-file "$S" login admin
status_is "login" 0
check "the session file exists" test -f "$S"
check "the session file has mode 0600" test "$(stat -c %a "$S" 2>/dev/null)" = 600
check "the session file names the server" grep -q -x -F "server=$URL" "$S"
check "no temporary file is left beside it" test "$(ls "$tmp" | grep -c '^session')" -eq 1
SID=$(sed -n 's/^sessionId=//p' "$S")
check "the session file holds a session id" test -n "$SID"
check "login prints no session id" sh -c '! grep -q -F "$1" "$2" "$3"' x "$SID" "$tmp/out" "$tmp/err"

run cdrest --session-file="$S" setProperty /projects/Default/greeting "hello world"
status_is "setProperty with the saved session (no --server, no credentials)" 0
out_has "setProperty prints the answer" '"propertyName":"greeting"'
run cdrest --session-file "$S" getProperty /projects/Default/greeting
status_is "getProperty" 0
out_is "getProperty prints the raw value" "hello world"

# a value with newlines, quotes, a backslash, a tab, UTF-8 and a trailing newline
printf 'line 1\n"quoted" back\\slash\ttab \303\251t\303\251 \342\202\254\n\n' >"$tmp/value"
value=$(cat "$tmp/value"; echo x)
value=${value%x}
run cdrest --session-file "$S" setProperty odd "$value" --projectName Default
status_is "setProperty with a context option" 0
run cdrest --session-file "$S" getProperty odd --projectName Default
printf '\n' >>"$tmp/value"
check "getProperty prints exactly the value's bytes and a newline" cmp -s "$tmp/out" "$tmp/value"
run cdrest --session-file "$S" --json getProperty /projects/Default/greeting
out_has "getProperty --json prints the answer" '"value":"hello world"'

# The value JSON inflates most (control bytes: 6 bytes each as \u0001): a value the tool
# lets you set must come back, and its confirmed write must not be reported as failed.
head -c 12582912 /dev/zero | tr '\000' '\001' >"$tmp/ctl"
run cdrest --session-file "$S" setProperty /projects/Default/ctl --valueFile "$tmp/ctl"
status_is "setProperty of 12 MiB of control bytes (75 MiB of JSON back): success" 0
run cdrest --session-file "$S" getProperty /projects/Default/ctl
printf '\n' >>"$tmp/ctl"
check "getProperty reads the 12 MiB of control bytes back exactly" cmp -s "$tmp/out" "$tmp/ctl"
rm -f "$tmp/ctl"
run cdrest --session-file "$S" deleteProperty /projects/Default/ctl

run cdrest --session-file "$S" setProperty /projects/Default/ref 'x$[/projects/Default/greeting]y'
run cdrest --session-file "$S" getProperty /projects/Default/ref
out_is "getProperty expands references" "xhello worldy"
run cdrest --session-file "$S" getProperty /projects/Default/ref --expand 0
out_is "getProperty --expand 0 does not" 'x$[/projects/Default/greeting]y'

run cdrest --session-file "$S" getProperty /projects/Default/nothing
status_is "a missing property" 1
err_has "the server's code is on stderr" "NoSuchProperty"

run cdrest --session-file "$S" createProperty /projects/Default/made --value v1 --description "made here"
status_is "createProperty" 0
out_has "createProperty prints the answer" '"description":"made here"'
run cdrest --session-file "$S" createProperty /projects/Default/made --value v2
status_is "createProperty of an existing property" 1
err_has "its code is on stderr" "DuplicatePropertyName"
run cdrest --session-file "$S" deleteProperty made --projectName Default
status_is "deleteProperty" 0
out_empty "deleteProperty prints nothing"
run cdrest --session-file "$S" getProperty /projects/Default/made
status_is "the deleted property is gone" 1

run cdrest --session-file "$S" setProperty /projects/Default/sheet/inner "in"
run cdrest --session-file "$S" getProperties /projects/Default
status_is "getProperties" 0
out_has "getProperties prints name=value" "greeting=hello world"
out_has "getProperties escapes a multi-line value" 'odd=line 1\n"quoted" back\\slash\ttab'
out_has "getProperties shows a nested sheet as name/" "sheet/"
run cdrest --session-file "$S" getProperties /projects/Default/sheet
out_is "getProperties of a nested sheet" "inner=in"
run cdrest --session-file "$S" getProperties --projectName Default --json
out_has "getProperties --json prints the sheet" '"propertySheet"'
# '-' as a value is the value "-", as ectool stores it: stdin is read only for --valueFile -
for form in "dash -" "dash --value -"; do
  # shellcheck disable=SC2086
  printf 'NOT THIS' | STDIN=/dev/stdin run cdrest --session-file "$S" setProperty /projects/Default/$form
  status_is "setProperty ... ${form#dash }" 0
  run cdrest --session-file "$S" getProperty /projects/Default/dash
  out_is "setProperty ... ${form#dash }: the value is a literal '-'" "-"
done
run cdrest --session-file "$S" createProperty /projects/Default/dash2 --value -
run cdrest --session-file "$S" getProperty /projects/Default/dash2
out_is "createProperty --value -: a literal '-'" "-"
# ectool's property options go through to the server
run cdrest --session-file "$S" createProperty /server/cliSheet --propertyType sheet
status_is "ectool: createProperty PATH --propertyType sheet" 0
run cdrest --session-file "$S" setProperty /server/cliSheet/inner v
run cdrest --session-file "$S" getProperties /server/cliSheet
out_is "the created sheet holds a property" "inner=v"
run cdrest --session-file "$S" deleteProperty /server/cliSheet
run cdrest --session-file "$S" setProperty /projects/Default/noexp 'a$[/projects/Default/greeting]' --expandable 0
status_is "ectool: setProperty P V --expandable 0" 0
run cdrest --session-file "$S" getProperty /projects/Default/noexp
out_is "--expandable 0 reached the server: the reference is not expanded" 'a$[/projects/Default/greeting]'
run cdrest --session-file "$S" setProperty /projects/Default/noexp v --suppressValueTracking 1
status_is "ectool: setProperty P V --suppressValueTracking 1" 0

# incrementProperty and getServerStatus against the emulator (their REST forms there too)
run cdrest --session-file "$S" incrementProperty /projects/Default/cliCount 5
status_is "incrementProperty of a missing property (created with the increment)" 0
run cdrest --session-file "$S" incrementProperty --propertyName /projects/Default/cliCount --incrementBy -2
status_is "ectool: incrementProperty --propertyName P --incrementBy -2" 0
run cdrest --session-file "$S" getProperty /projects/Default/cliCount
out_is "incrementProperty: 5 - 2" "3"
run cdrest --session-file "$S" incrementProperty /projects/Default/greeting
status_is "incrementProperty of a text value: the server's refusal" 1
run cdrest --server "$URL" --session-file "$tmp/none" getServerStatus
status_is "getServerStatus against the emulator, without logging in" 0
out_has "getServerStatus: the server's state" '"serverState":"running"'
run cdrest --server "$URL" --session-file "$tmp/none" getServerStatus --serverStateOnly 1
out_is "ectool: getServerStatus --serverStateOnly 1 (only the state)" '{"serverStatus":{"serverState":"running"}}'

# an object's own sheet, as ectool getProperties --path lists it: /server and the others
run cdrest --session-file "$S" setProperty /server/cliTop 'top value'
run cdrest --session-file "$S" getProperties /server
status_is "getProperties /server (the server's own sheet)" 0
out_has "getProperties /server lists its property" "cliTop=top value"
run cdrest --session-file "$S" getProperties --path /server --expand 0
out_has "ectool: getProperties --path /server --expand 0" "cliTop=top value"
run cdrest --session-file "$S" deleteProperty /server/cliTop
run cdrest --session-file "$S" getProperties --path /projects/Default --recurse 1
status_is "ectool: getProperties --path /projects/Default --recurse 1" 0
out_has "getProperties --recurse 1 still lists the top" "greeting=hello world"

# --- artifacts and versions -------------------------------------------------------------
run cdrest --session-file "$S" createArtifact com.example tool --description "a tool"
status_is "createArtifact" 0
out_has "createArtifact prints the artifact" '"artifactName":"com.example:tool"'
run cdrest --session-file "$S" getArtifact com.example:tool
out_has "getArtifact" '"description":"a tool"'
run cdrest --session-file "$S" getArtifacts
out_has "getArtifacts" '"artifact":['
run cdrest --session-file "$S" createArtifactVersion com.example:tool 1.0
status_is "createArtifactVersion" 0
out_has "createArtifactVersion prints the version" '"artifactVersionName":"com.example:tool:1.0"'
run cdrest --session-file "$S" getArtifactVersion com.example:tool:1.0
out_has "getArtifactVersion" '"artifactVersionState":"publishing"'
run cdrest --session-file "$S" getArtifactVersions com.example:tool
out_has "getArtifactVersions" '"artifactVersion":['
run cdrest --session-file "$S" deleteArtifactVersion com.example:tool:1.0
status_is "deleteArtifactVersion" 0

head -c 300000 /dev/urandom >"$tmp/blob.bin"
printf 'notes\r\nwith CRLF and \000 a NUL\n' >"$tmp/notes.txt"
run cdrest --session-file "$S" publishArtifactVersion com.example:tool 2.0 "$tmp/blob.bin" "$tmp/notes.txt" \
  --repositoryName default
status_is "publishArtifactVersion with two files" 0
for f in blob.bin notes.txt; do
  emu GET "$URL/emu/artifact-file?version=com.example:tool:2.0&name=$f" >"$tmp/fetched" 2>/dev/null
  check "the emulator holds $f byte for byte" cmp -s "$tmp/fetched" "$tmp/$f"
done
run cdrest --session-file "$S" getArtifactVersion com.example:tool:2.0
out_has "the published version is available" '"artifactVersionState":"available"'
run_tty cdrest --session-file "$S" publishArtifactVersion com.example:tool 2.1 "$tmp/blob.bin"
status_is "publishArtifactVersion with stderr on a terminal" 0
err_has "the upload's progress shows on a terminal" "(100%)"
run cdrest --session-file "$S" publishArtifactVersion com.example:tool 2.0 "$tmp/notes.txt"
status_is "publishing into an available version" 1
err_has "its code is on stderr" "DuplicateArtifactVersion"
run cdrest --session-file "$S" publishArtifactVersion com.example:tool 3.0 "$tmp/no-such-file"
status_is "publishing a missing file (a local file error)" 7
# file_names: the names of the files of the version whose /emu/artifact-files answer is in $tmp/fetched
file_names() {
  python3 -c 'import json, sys; print(" ".join(sorted(f["name"] for f in json.load(open(sys.argv[1]))["file"])))' \
    "$tmp/fetched" 2>/dev/null
}
# --fromDirectory: every file below the directory, named relative to it, however the
# directory is spelled (ectool's behaviour); Ant's '**/' at any depth, also none.
mkdir -p "$tmp/fd/d/sub/deep"
echo w >"$tmp/fd/d/a.war"
echo x >"$tmp/fd/d/sub/b.war"
echo y >"$tmp/fd/d/sub/deep/c.war"
echo z >"$tmp/fd/d/notes.txt"
n=0
for spelling in d ./d d/ ../fd/d "$tmp/fd/d" "$tmp/fd/d/"; do
  n=$((n + 1))
  run -C "$tmp/fd" cdrest --session-file "$S" publishArtifactVersion --artifactName g:k --version "5.$n" \
    --fromDirectory "$spelling" --includePatterns '**/*.war'
  emu GET "$URL/emu/artifact-files?version=g:k:5.$n" >"$tmp/fetched" 2>/dev/null
  names=$(file_names)
  check "--fromDirectory $spelling: names relative to it, subdirectories kept, '**/*.war' at any depth ($names)" \
    test "$names" = "a.war sub/b.war sub/deep/c.war"
done
run -C "$tmp/fd/d/sub" cdrest --session-file "$S" publishArtifactVersion g:k 6.0
emu GET "$URL/emu/artifact-files?version=g:k:6.0" >"$tmp/fetched" 2>/dev/null
names=$(file_names)
check "no FILE and no --fromDirectory: the current directory, as ectool ($names)" test "$names" = "b.war deep/c.war"
run cdrest --session-file "$S" publishArtifactVersion g:k 6.1 --fromDirectory "$tmp/fd/d" --excludePatterns 'sub;*.txt'
emu GET "$URL/emu/artifact-files?version=g:k:6.1" >"$tmp/fetched" 2>/dev/null
names=$(file_names)
check "--excludePatterns leaves out a subdirectory and a pattern ($names)" test "$names" = "a.war"
run cdrest --session-file "$S" publishArtifactVersion g:k 6.3 --fromDirectory "$tmp/fd/d" --includePatterns '*.none'
status_is "--includePatterns that select nothing: a local file error, not an empty version" 7
err_has "... naming the directory" "no files to publish in $tmp/fd/d"
run cdrest --session-file "$S" publishArtifactVersion g:k 6.2 "$tmp/notes.txt" --includePatterns '*.txt'
status_is "--includePatterns with FILE... is refused" 2

run cdrest --session-file "$S" deleteArtifact com.example:tool
status_is "deleteArtifact" 0
run cdrest --session-file "$S" getArtifact com.example:tool
status_is "the deleted artifact is gone" 1
err_has "its code is on stderr" "NoSuchArtifact"

# --- jobs --------------------------------------------------------------------------------
run cdrest --session-file "$S" runProcedure Default --procedureName runme --actualParameter greeting=hi \
  --actualParameter duration=0.5
status_is "runProcedure" 0
JOB=$(cat "$tmp/out")
check "runProcedure prints one job id" test -n "$JOB" -a "$(wc -l <"$tmp/out")" -eq 1
run cdrest --session-file "$S" getJobStatus "$JOB"
status_is "getJobStatus" 0
out_has "getJobStatus prints the status" "\"jobId\":\"$JOB\""
run cdrest --session-file "$S" getJobDetails "$JOB"
out_has "getJobDetails shows the actual parameters" '"actualParameterName":"greeting"'
run cdrest --session-file "$S" waitForJob "$JOB" --interval 0.2 --deadline 20
status_is "waitForJob on a successful job" 0
out_is "waitForJob prints the outcome" "success"
check "waitForJob is quiet when stderr is no terminal" test ! -s "$tmp/err"
run cdrest --session-file "$S" runProcedure Default --procedureName runme --actualParameter duration=0.5
JOB=$(cat "$tmp/out")
run_tty cdrest --session-file "$S" waitForJob "$JOB" --interval 0.2
status_is "waitForJob with stderr on a terminal" 0
err_has "waitForJob shows the job's progress on a terminal" "job $JOB: completed"

run cdrest --session-file "$S" --json runProcedure Default --procedureName fail --actualParameter duration=0.5 a=1
status_is "runProcedure --json, ectool-style parameters" 0
JOB=$(sed -n 's/^{"jobId":"\([^"]*\)"}$/\1/p' "$tmp/out")
check "runProcedure --json prints {\"jobId\":...}" test -n "$JOB"
run cdrest --session-file "$S" waitForJob "$JOB" --interval 0.2
status_is "waitForJob on the fail procedure's job (outcome error)" 4
err_has "waitForJob says the outcome" "outcome error"

run cdrest --session-file "$S" runProcedure Default --procedureName runme --actualParameter duration=30
JOB=$(cat "$tmp/out")
run cdrest --session-file "$S" waitForJob "$JOB" --interval 0.2 --deadline 0.6
status_is "waitForJob past its deadline" 6
err_has "the deadline is said" "still"
run cdrest --session-file "$S" runProcedure Default
status_is "runProcedure without --procedureName" 2
run cdrest --session-file "$S" runProcedure Default --procedureName nosuch
status_is "runProcedure of a missing procedure" 1
err_has "its code is on stderr" "NoSuchProcedure"
run cdrest --session-file "$S" getJobStatus no-such-job
status_is "getJobStatus of a missing job" 1

# --- the generic call -----------------------------------------------------------------------
run cdrest --session-file "$S" call GET /projects/Default
status_is "call GET /projects/Default" 0
out_has "call prints the JSON answer" '"projectName":"Default"'
run cdrest --session-file "$S" call post /projects --data '{"projectName":"Other Project"}'
status_is "call POST with --data" 0
run cdrest --session-file "$S" call GET "/projects/Other Project"
out_has "call encodes a space in the path" '"projectName":"Other Project"'
run cdrest --session-file "$S" call GET /properties --param path=/projects/Default/sheet
out_has "call --param goes in the query" '"propertyName":"inner"'
run cdrest --session-file "$S" call PUT /projects/Default --data '{"description":'
status_is "call with invalid --data" 2
run cdrest --session-file "$S" call GET /no/such/thing
status_is "call of an unknown path" 1
err_has "its code is on stderr" "NotImplemented"

# --- verbose traces, and secrets kept out of every output -----------------------------------------
run cdrest --session-file "$S" --verbose getProperty /projects/Default/greeting
status_is "--verbose with the saved session" 0
err_has "--verbose traces each request" "GET $URL/rest/v1.0/properties//projects/Default/greeting -> 200"
err_lacks "--verbose does not show the saved session id" "$SID"
run cdrest --server "$URL" --user admin --password-file "$tmp/pw" --session-file "$tmp/none" --verbose \
  getProperty /projects/Default/greeting
status_is "--verbose with a password" 0
err_has "--verbose traces the login" "POST $URL/rest/v1.0/sessions -> 200"
err_has "a session made for one run is logged out after it" "DELETE $URL/rest/v1.0/sessions -> 200"
err_lacks "--verbose does not show the password" "$PASSWORD"
cp "$tmp/err" "$tmp/verbose.err"
ids=$(seen_session_ids)
check "the emulator saw the sessions used" test -n "$ids"
leaks=0
for id in $ids; do
  if grep -q -F -- "$id" "$tmp/verbose.err"; then leaks=$((leaks + 1)); fi
done
check "--verbose shows none of the session ids used" test "$leaks" -eq 0
run cdrest --server "$URL" --user admin --password "$PASSWORD" getProperty /projects/Default/greeting
status_is "--password works" 0
err_has "--password warns that it is visible" "visible to other users"
run CDREST_USER=admin CDREST_PASSWORD="$PASSWORD" cdrest --server "$URL" --session-file "$tmp/none" --basic \
  getProperty /projects/Default/greeting
status_is "--basic" 0
run CDREST_USER=admin CDREST_PASSWORD=wrong cdrest --server "$URL" --session-file "$tmp/none" \
  getProperty /projects/Default/greeting
status_is "a wrong password" 1
err_has "its code is on stderr" "InvalidCredentials"
run cdrest --server "$URL" --token "$TOKEN" --session-file "$tmp/none" getProperty /projects/Default/greeting
status_is "--token" 0
run cdrest --server "$URL" --token "$TOKEN" --session-file "$tmp/tok-session" login
status_is "login with a token" 0
run cdrest --session-file "$tmp/tok-session" getProperty /projects/Default/greeting
out_is "the token's saved session works" "hello world"

# --- inside a job step: COMMANDER_* from the environment ----------------------------------------
run COMMANDER_SERVER=127.0.0.1 COMMANDER_PORT="$port" COMMANDER_SECURE=0 COMMANDER_SESSIONID="$SID" \
  cdrest --session-file "$tmp/none" getProperty /projects/Default/greeting
status_is "inside a job step" 0
out_is "inside a job step: the value" "hello world"

# --- an expired session, logout ----------------------------------------------------------
emu POST "$URL/emu/expire-sessions" >/dev/null
run cdrest --session-file "$S" getProperty /projects/Default/greeting
status_is "an expired saved session" 1
err_has "an expired session: the advice" "run 'cdrest login' again"
run CDREST_PASSWORD="$PASSWORD" cdrest --server "$URL" login admin
status_is "login to the default session file" 0
check "the default session file is ~/.cdrest_session, mode 0600" \
  test "$(stat -c %a "$HOME/.cdrest_session" 2>/dev/null)" = 600
run cdrest getProperty /projects/Default/greeting
status_is "a command with the default session file" 0
run cdrest logout
status_is "logout" 0
check "logout removes the session file" test ! -e "$HOME/.cdrest_session"
run cdrest --server "$URL" getProperty /projects/Default/greeting
status_is "after logout: not logged in" 2
run cdrest logout
status_is "logout when not logged in" 0

# --- issue 19, the CLI under misuse: a scripted server logs what it receives ------------------
start_logsrv() {
  : >"$tmp/ls.log"
  start_server ls-server python3 tests/logsrv.py --log "$tmp/ls.log" "$@" || die "$lib_why"
  lsport=$port
  LS="http://127.0.0.1:$lsport"
}
# logged WHAT: how many logged requests match (METHOD and target prefix, e.g. "DELETE /rest/v1.0/sessions")
logged() {
  python3 -c 'import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if (r["method"] + " " + r["target"]).startswith(sys.argv[2]): n += 1
print(n)' "$tmp/ls.log" "$1"
}
has_esc() { grep -q "$(printf '\033')" "$@" || grep -q "$(printf '\302\233')" "$@"; }
start_logsrv --big 400000
LSS="$tmp/ls-session"
printf 'server=%s\nuser=admin\nsessionId=saved-sid-1\n' "$LS" >"$LSS"
chmod 600 "$LSS"

# 1. a failed setup sends nothing and touches no session
: >"$tmp/ls.log"
run cdrest --session-file "$LSS" --proxy 'ftp://bad proxy' getProperty /projects/P/x
check "a bad --proxy fails the setup" test "$rc" -ne 0
check "a failed setup sends nothing (no logout of the saved session)" test ! -s "$tmp/ls.log"
# (a bad http_proxy in the environment no longer fails a loopback setup: loopback never
# goes through an environment proxy; --proxy is the way to make the setup fail here)
run cdrest --session-file "$LSS" --proxy 'http://[::1' getProperty /projects/P/x
check "a malformed --proxy URL fails the setup" test "$rc" -ne 0
check "a malformed --proxy URL: nothing is sent" test ! -s "$tmp/ls.log"
run cdrest --session-file "$LSS" --server "$LS" --user admin --password-file "$tmp/pw" --proxy 'ftp://x' \
  getProperty /projects/P/x
check "a failed setup with a password sends nothing either" test ! -s "$tmp/ls.log"

# local files that cannot be used: exit status 7, the file named
run cdrest --server "$LS" --user bob --password-file "$tmp/no-such-pw" getProperty /projects/P/x
status_is "a missing --password-file: a usage error, as a missing --token-file" 2
err_has "the password file is named" "$tmp/no-such-pw"
run cdrest --server "$LS" --user bob --password-file "$tmp/pw" --session-file "$tmp/no-such-dir/s" login
status_is "a session file that cannot be written: a local file error" 7
err_has "the session file is named" "$tmp/no-such-dir/s"

# 2. explicit credentials win over a session saved by a token login
run cdrest --server "$LS" --token "$TOKEN" --session-file "$tmp/ls-tok" login
status_is "token login on the scripted server" 0
TOKSID=$(sed -n 's/^sessionId=//p' "$tmp/ls-tok")
: >"$tmp/ls.log"
run cdrest --session-file "$tmp/ls-tok" --user bob --password-file "$tmp/pw" getProperty /projects/P/x
status_is "--user bob with a token-saved session" 0
check "--user bob logs in as bob" test "$(logged 'POST /rest/v1.0/sessions')" -eq 1
check "--user bob never sends the token's saved session" sh -c '! grep -q -F "$1" "$2"' x "$TOKSID" "$tmp/ls.log"
check "bob's login carries bob's name" grep -q '"body": "{\\"userName\\":\\"bob\\"' "$tmp/ls.log"
: >"$tmp/ls.log"
run cdrest --session-file "$LSS" --user admin --password-file "$tmp/pw" getProperty /projects/P/x
check "--user admin with a password: its own login even when admin's session is saved" \
  test "$(logged 'POST /rest/v1.0/sessions')" -eq 1
check "... and the saved session is not sent" sh -c '! grep -q saved-sid-1 "$1"' x "$tmp/ls.log"

# 3. server text is sanitised
run cdrest --session-file "$LSS" runProcedure P --procedureName Q
status_is "runProcedure, an id full of escape sequences" 0
check "runProcedure prints no escape sequence" sh -c '! { grep -q "$(printf "\033")" "$1"; }' x "$tmp/out"
run_tty cdrest --session-file "$LSS" waitForJob forever --pollInterval 0.2 --timeout 1
status_is "waitForJob past its --timeout (a status with escapes)" 6
check "waitForJob's progress shows no escape sequence" sh -c '! { grep -q "$(printf "\033")" "$1" || grep -q "$(printf "\302\233")" "$1"; }' x "$tmp/err"
err_has "the progress shows the sanitised status" "running?[2J??31m"
start=$(date +%s)
run cdrest --session-file "$LSS" waitForJob slow --timeout 1
status_is "waitForJob --timeout 1 whose first status poll takes 10 s: no answer ever seen, a network failure" 3
check "a slow poll does not carry the wait past its --timeout" test $(($(date +%s) - start)) -le 4
run cdrest --session-file "$LSS" runProcedure P --procedureName Q --pollInterval 0.1
status_is "runProcedure --pollInterval, outcome warning" 5
check "no escape sequence in stdout or stderr" sh -c '! grep -q "$(printf "\033")" "$1" "$2"' x "$tmp/out" "$tmp/err"
run cdrest --session-file "$LSS" --warning-ok waitForJob done --pollInterval 0.1
status_is "--warning-ok: a warning outcome is success" 0
out_is "waitForJob prints the outcome" "warning"

# 4. a FIFO as the session file or as an upload never hangs
mkfifo "$tmp/fifo"
start=$(date +%s)
run cdrest --session-file "$tmp/fifo" --server "$LS" --user bob --password-file "$tmp/pw" getProperty /projects/P/x
status_is "a FIFO session file does not fail a run with its own credentials" 0
run cdrest --session-file "$tmp/fifo" getProperty /projects/P/x
status_is "a FIFO session file, needed: a local file error" 7
err_has "the FIFO session file is named" "is not a regular file"
mkdir "$tmp/broken-dir-session"
run cdrest --session-file "$tmp/broken-dir-session" --server "$LS" --token "$TOKEN" getProperty /projects/P/x
status_is "a directory as the session file does not fail a run that does not need it" 0
: >"$tmp/ls.log"
run cdrest --session-file "$LSS" publishArtifactVersion g:k 1 "$tmp/fifo"
status_is "a FIFO as an upload: a local file error" 7
err_has "the FIFO upload is named" "$tmp/fifo: not a regular file (a FIFO)"
check "a refused upload sends nothing" test ! -s "$tmp/ls.log"
run cdrest --session-file "$LSS" publishArtifactVersion g:k 1 "$tmp"
status_is "a directory as an upload: a local file error" 7
check "none of this took long (no blocking)" test $(($(date +%s) - start)) -lt 20

# a long upload: --timeout is the time without progress, not the whole upload
head -c 50000000 /dev/zero >"$tmp/slow.bin"  # far more than the socket buffers hold
start=$(date +%s)
run cdrest --session-file "$LSS" --timeout 3 publishArtifactVersion g:k 1 "$tmp/slow.bin"
status_is "an upload that takes over 5 s with --timeout 3 but never stalls" 0
check "the slow upload really took longer than --timeout" test $(($(date +%s) - start)) -ge 4
mkdir -p "$tmp/slowdir/sub"
ln "$tmp/slow.bin" "$tmp/slowdir/sub/slow.bin" 2>/dev/null || cp "$tmp/slow.bin" "$tmp/slowdir/sub/slow.bin"
start=$(date +%s)
run cdrest --session-file "$LSS" --timeout 3 publishArtifactVersion g:k 1 --fromDirectory "$tmp/slowdir"
status_is "a directory upload that takes over 5 s with --timeout 3 but never stalls (the same transfer rules)" 0
check "the slow directory upload really took longer than --timeout" test $(($(date +%s) - start)) -ge 4
savedpids=$pids
savedLS=$LS
savedport=$lsport
mv "$tmp/ls-server.out" "$tmp/ls.out.main"
start_logsrv --stall-uploads
printf 'server=%s\nuser=admin\nsessionId=saved-sid-1\n' "$LS" >"$tmp/ls-stall"
start=$(date +%s)
run cdrest --session-file "$tmp/ls-stall" --timeout 2 publishArtifactVersion g:k 1 "$tmp/slow.bin"
status_is "an upload to a server that stops reading" 3
err_has "a stalled upload: the idle timeout is said" "idle timeout"
check "it fails after about --timeout without progress" test $(($(date +%s) - start)) -le 8
start=$(date +%s)
run cdrest --session-file "$tmp/ls-stall" --timeout 2 publishArtifactVersion g:k 1 --fromDirectory "$tmp/slowdir"
status_is "a directory upload to a server that stops reading" 3
err_has "a stalled directory upload: the idle timeout is said" "idle timeout"
check "it fails after about --timeout without progress too" test $(($(date +%s) - start)) -le 8
rm -rf "$tmp/slow.bin" "$tmp/slowdir"
LS=$savedLS
lsport=$savedport
mv "$tmp/ls.out.main" "$tmp/ls-server.out"

# an object's listing (GET /properties?path=) is checked as the library checks a sheet's
run cdrest --session-file "$LSS" getProperties /server
status_is "getProperties /server whose listing has a null name and a number value: a protocol error" 3
err_has "... said so" "is not a name with a text value"
check "... and nothing printed as a property" test ! -s "$tmp/out"

# 4b. a server that accepts and never answers: a network failure (3), never "the job
# still runs" (6); runProcedure's --timeout bounds the request that starts the job too
start_silent silent || die "$lib_why"
SILENT="http://127.0.0.1:$port"
printf 'server=%s\nuser=admin\nsessionId=saved-sid-1\n' "$SILENT" >"$tmp/silent-session"
start=$(date +%s)
run cdrest --session-file "$tmp/silent-session" waitForJob xyz --timeout 3 --pollInterval 0.5
status_is "waitForJob --timeout 3 at a server that never answers: a network failure" 3
check "... within about --timeout" test $(($(date +%s) - start)) -le 8
start=$(date +%s)
run cdrest --session-file "$tmp/silent-session" runProcedure P --procedureName Q --pollInterval 1 --timeout 3
status_is "runProcedure --pollInterval 1 --timeout 3 at a server that never answers" 3
check "runProcedure --timeout bounds the request that starts the job ($(($(date +%s) - start)) s)" \
  test $(($(date +%s) - start)) -le 8

# 5. a per-run session ends even when the output pipe closes or a signal comes
: >"$tmp/ls.log"
timeout 20 "$CLI_BIN" --server "$LS" --user bob --password-file "$tmp/pw" call GET /big 2>"$tmp/err" | head -c1 >/dev/null
check "| head -c1: the per-run session is logged out" test "$(logged 'DELETE /rest/v1.0/sessions')" -eq 1
: >"$tmp/ls.log"
timeout 20 "$CLI_BIN" --server "$LS" --user bob --password-file "$tmp/pw" waitForJob forever --pollInterval 0.2 \
  >"$tmp/out" 2>"$tmp/err" &
bg=$!
i=0
while [ $i -lt 50 ] && [ "$(logged 'GET /rest/v1.0/jobs/forever')" -lt 1 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $bg
wait $bg
rc=$?
status_is "SIGTERM during a wait: dies of the signal" 143
check "SIGTERM during a wait: the per-run session is logged out" test "$(logged 'DELETE /rest/v1.0/sessions')" -eq 1

: >"$tmp/ls.log"
python3 - "$CLI_BIN" "$LS" "$tmp/pw" "$tmp/ls.log" >"$tmp/sigint" 2>&1 <<'PY'
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)   # a shell's background job would ignore it
cli, server, pw, log = sys.argv[1:]
p = subprocess.Popen([cli, "--server", server, "--user", "bob", "--password-file", pw, "waitForJob", "forever",
                      "--pollInterval", "0.2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(100):
    if "/jobs/forever" in open(log).read():
        break
    time.sleep(0.1)
p.send_signal(signal.SIGINT)
print(p.wait(timeout=20))
PY
check "Ctrl-C during a wait: dies of SIGINT ($(cat "$tmp/sigint"))" test "$(cat "$tmp/sigint")" = "-2"
check "Ctrl-C during a wait: the per-run session is logged out" test "$(logged 'DELETE /rest/v1.0/sessions')" -eq 1

# Ctrl-C during the per-run login: the run ends before its own request (nothing is changed),
# and the session the login made is logged out.
: >"$tmp/ls.log"
python3 - "$CLI_BIN" "$LS" "$tmp/pw" "$tmp/ls.log" >"$tmp/sigint" 2>&1 <<'PY'
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
cli, server, pw, log = sys.argv[1:]
p = subprocess.Popen([cli, "--server", server, "--user", "slowpoke", "--password-file", pw, "setProperty",
                      "/projects/P/changed", "new"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(100):
    if "/rest/v1.0/sessions" in open(log).read():
        break
    time.sleep(0.05)
time.sleep(0.3)
p.send_signal(signal.SIGINT)
print(p.wait(timeout=20))
PY
check "Ctrl-C during the login: dies of SIGINT ($(cat "$tmp/sigint"))" test "$(cat "$tmp/sigint")" = "-2"
check "Ctrl-C during the login: the write is never sent" test "$(logged 'PUT /rest/v1.0/properties')" -eq 0
check "Ctrl-C during the login: the session it made is logged out" test "$(logged 'DELETE /rest/v1.0/sessions')" -eq 1

# 6. --help and --version fail when their output cannot be written
for args in "--help" "--version" "getProperty --help" "help setProperty"; do
  # shellcheck disable=SC2086
  timeout 10 "$CLI_BIN" $args >/dev/full 2>"$tmp/err"
  rc=$?
  check "cdrest $args >/dev/full fails" test "$rc" -eq 7
done

# server text on a terminal: getProperty's value shows control characters as '?'
python3 - "$CLI_BIN" "$LS" "$tmp/pw" >"$tmp/ttyout" 2>&1 <<'PY'
import os, subprocess, sys
cli, server, pw = sys.argv[1:]
m, s = os.openpty()
p = subprocess.run([cli, "--server", server, "--user", "bob", "--password-file", pw, "getProperty",
                    "/projects/P/esc"], stdout=s, stderr=subprocess.DEVNULL, timeout=20)
os.close(s)
data = b""
while True:
    try:
        d = os.read(m, 65536)
    except OSError:
        break
    if not d:
        break
    data += d
sys.stdout.write(repr(data))
PY
check "getProperty on a terminal: no escape sequence ($(cat "$tmp/ttyout"))" sh -c '! grep -q "x1b\|x9b" "$1"' x "$tmp/ttyout"
check "getProperty on a terminal: the value shows, made safe" grep -q "?]0;t?x" "$tmp/ttyout"
run cdrest --server "$LS" --user bob --password-file "$tmp/pw" getProperty /projects/P/esc
check "getProperty into a file: the exact bytes" sh -c 'printf "\033]0;t\007x\n" | cmp -s - "$1"' x "$tmp/out"

# 7. getProperties: one unambiguous line per property
run cdrest --session-file "$LSS" getProperties /projects/P
status_is "getProperties on the scripted server" 0
out_has "a name with '=' escapes it" 'a\x3db=c'
out_has "a value with '=' keeps it" 'a=b=c'
out_has "a name with '/' escapes it" 'sub\x2fx=y'

# the commands done through the generic call send what they should
: >"$tmp/ls.log"
run cdrest --session-file "$LSS" evalDsl 'project "P"'
status_is "evalDsl" 0
out_has "evalDsl prints the answer" '"value": "evaluated"'
check "evalDsl is POST /server/dsl {dsl}" grep -q '"body": "{\\"dsl\\":\\"project \\\\\\"P\\\\\\"\\"}"' "$tmp/ls.log"
printf 'project "Q"\n' | STDIN=/dev/stdin run cdrest --session-file "$LSS" evalDsl --dslFile -
status_is "evalDsl --dslFile - (stdin)" 0
: >"$tmp/ls.log"
run cdrest --server "$LS" --session-file "$tmp/none" getServerStatus
status_is "getServerStatus without credentials" 0
out_has "getServerStatus prints the answer" '"serverState": "running"'
check "getServerStatus sends no credentials when it has none" sh -c '! grep -q -i "sessionid\|authorization" "$1"' x "$tmp/ls.log"
run cdrest --session-file "$LSS" incrementProperty --propertyName /myJob/counter --incrementBy 2 --jobId j1
status_is "incrementProperty, ectool's named form" 0
check "incrementProperty sends PUT ...?request=incrementProperty with incrementBy" \
  grep -q '"target": "/rest/v1.0/properties//myJob/counter?request=incrementProperty", "headers".*"body": "{\\"incrementBy\\":2,\\"jobId\\":\\"j1\\"}"' "$tmp/ls.log"
: >"$tmp/ls.log"
run COMMANDER_SERVER=127.0.0.1 COMMANDER_PORT="$lsport" COMMANDER_SECURE=0 COMMANDER_SESSIONID=step-sid \
  COMMANDER_JOBSTEPID=js-7 cdrest --session-file "$tmp/none" incrementProperty /myJob/counter
status_is "incrementProperty inside a job step" 0
check "inside a job step, /myJob/... gets the step's jobStepId (and the default 1)" \
  grep -q '"body": "{\\"incrementBy\\":1,\\"jobStepId\\":\\"js-7\\"}"' "$tmp/ls.log"
run cdrest --session-file "$LSS" getJobStepDetails --jobStepId step-1
status_is "getJobStepDetails" 0
out_has "getJobStepDetails prints the job step" '"jobStepId": "step-1"'
run COMMANDER_SERVER=127.0.0.1 COMMANDER_PORT="$lsport" COMMANDER_SECURE=0 COMMANDER_SESSIONID=step-sid \
  COMMANDER_JOBSTEPID=js-8 cdrest --session-file "$tmp/none" getJobStepDetails
status_is "getJobStepDetails inside a job step, no operand" 0
out_has "getJobStepDetails defaults to the step's own" '"jobStepId": "js-8"'
: >"$tmp/ls.log"
run cdrest --session-file "$LSS" runPipeline --projectName P --pipelineName Q --actualParameter a=1 \
  --stagesToRun dev --stagesToRun qa,prod
status_is "runPipeline, ectool's named form" 0
out_has "runPipeline prints the flow runtime" '"flowRuntimeId": "fr-1"'
check "runPipeline is POST /pipelines with the parameters and stages" grep -q '"target": "/rest/v1.0/pipelines".*"body": "{\\"projectName\\":\\"P\\",\\"pipelineName\\":\\"Q\\",\\"actualParameter\\":\[{\\"actualParameterName\\":\\"a\\",\\"value\\":\\"1\\"}\],\\"stagesToRun\\":\[\\"dev\\",\\"qa\\",\\"prod\\"\]}"' "$tmp/ls.log"
run cdrest --session-file "$LSS" runPipeline P Q --stagesToRun dev --startingStage qa
status_is "runPipeline: --stagesToRun with --startingStage" 2
run cdrest --session-file "$LSS" getPipelineRuntimeDetails --flowRuntimeId fr-1
status_is "getPipelineRuntimeDetails" 0
check "getPipelineRuntimeDetails sends {flowRuntimeId:[id]}" grep -q 'flowRuntimeId\\":\[\\"fr-1' "$tmp/ls.log"
run cdrest --session-file "$LSS" findObjects job --filter '{"propertyName":"outcome","operator":"equals","operand1":"error"}' \
  --maxIds 10
status_is "findObjects" 0
out_has "findObjects prints the answer" '"objectId": "job-1"'
check "findObjects is PUT /objects?request=findObjects with the filter" grep -q '"method": "PUT", "target": "/rest/v1.0/objects?request=findObjects".*operand1' "$tmp/ls.log"
run cdrest --session-file "$LSS" findObjects job --filter "{ propertyName => 'x' }"
status_is "findObjects with a filter that is no JSON" 2
run cdrest --session-file "$LSS" runProcedure P --procedureName Q --scheduleName nightly --actualParameter a=1
status_is "runProcedure --scheduleName" 0
check "runProcedure sends the schedule" grep -q 'scheduleName\\":\\"nightly' "$tmp/ls.log"

# --- HTTPS -----------------------------------------------------------------------------------
if sh tests/mkcerts.sh "$tmp/certs" >"$tmp/mkcerts.log" 2>&1; then
  start_emulator https --user "admin:$PASSWORD" --token "$TOKEN" --cert "$tmp/certs/rsa.pem" --key "$tmp/certs/rsa.key"
  TLS="https://127.0.0.1:$port"
  run cdrest --server "$TLS" --cacert "$tmp/certs/ca.pem" --user admin --password-file "$tmp/pw" \
    setProperty /projects/Default/tls "over TLS"
  status_is "https with --cacert" 0
  run cdrest --server "$TLS" --cacert "$tmp/certs/ca.pem" --pin "$(cat "$tmp/certs/rsa.pin")" --user admin \
    --password-file "$tmp/pw" getProperty /projects/Default/tls
  out_is "https with --cacert and the right --pin" "over TLS"
  run cdrest --server "$TLS" --cacert "$tmp/certs/ca.pem" --pin "$(cat "$tmp/certs/ecdsa.pin")" --user admin \
    --password-file "$tmp/pw" getProperty /projects/Default/tls
  status_is "https with a wrong --pin" 3
  run cdrest --server "$TLS" --insecure --user admin --password-file "$tmp/pw" getProperty /projects/Default/tls
  status_is "https with --insecure" 0
  err_has "--insecure warns" "WARNING: --insecure"
  run cdrest --server "$TLS" --user admin --password-file "$tmp/pw" getProperty /projects/Default/tls
  status_is "https, an unknown CA, no --insecure" 3
  run CDREST_PASSWORD="$PASSWORD" cdrest --server "$TLS" --cacert "$tmp/certs/ca.pem" --session-file "$S" login admin
  run cdrest --cacert "$tmp/certs/ca.pem" --session-file "$S" getProperty /projects/Default/tls
  out_is "https with a saved session" "over TLS"
  # --- issue 14: ectool's forms over HTTPS, credentials and the CA from the environment, no $HOME ---
  CA="$tmp/certs/ca.pem"
  # h ARGS...: cdrest with HOME unset, CDREST_CACERT and the credentials from the environment
  h() { run -u HOME CDREST_CACERT="$CA" CDREST_SERVER="$TLS" CDREST_USER=admin CDREST_PASSWORD="$PASSWORD" cdrest "$@"; }
  tlsport=$port
  run -u HOME CDREST_CACERT="$CA" cdrest --server 127.0.0.1 --securePort "$tlsport" --session-file "$tmp/hs" \
    login admin "$PASSWORD"
  status_is "ectool: --server HOST --securePort N login USER PASSWORD" 0
  out_has "a bare host means https://HOST:securePort" "logged in to https://127.0.0.1:$tlsport"
  run -u HOME CDREST_CACERT="$CA" cdrest --server 127.0.0.1 --securePort "$tlsport" --session-file "$tmp/hs" \
    getProperty /projects/Default/tls
  out_is "the bare host's saved session works" "over TLS"
  run -u HOME cdrest --server 127.0.0.1 --secure 0 --port "$(echo "$URL" | sed 's/.*://')" --user admin \
    --password-file "$tmp/pw" getProperty /projects/Default/greeting
  out_is "ectool: --secure 0 --port N" "hello world"
  run -u HOME cdrest --server "$TLS" --port 1 getProperty x
  status_is "--port with a URL contradicts it" 2
  h --format json getProperty /projects/Default/tls
  out_has "--format json" '"value":"over TLS"'
  h --format xml getProperty /projects/Default/tls
  status_is "--format xml is refused" 2
  h --silent setProperty /projects/Default/quiet v
  status_is "--silent" 0
  out_empty "--silent prints no result"
  v=$(printf 'multi\nline "value" $[not expanded]')
  h setProperty /projects/Default/named --value "$v"
  status_is "ectool: setProperty PATH --value V" 0
  h getProperty /projects/Default/named --expand 0
  out_is "the --value came through" "$v"
  python3 -c 'import sys; sys.stdout.write("".join("line %07d of a big value\n" % i for i in range(120000)))' >"$tmp/bigvalue"
  h setProperty /projects/Default/big --valueFile "$tmp/bigvalue"
  status_is "ectool: setProperty PATH --valueFile F (3 MB)" 0
  h getProperty /projects/Default/big --expand 0
  printf '\n' >>"$tmp/bigvalue"
  check "the 3 MB value comes back byte for byte" cmp -s "$tmp/out" "$tmp/bigvalue"
  printf 'from stdin' | STDIN=/dev/stdin h setProperty /projects/Default/stdin --valueFile -
  status_is "setProperty PATH --valueFile - (stdin)" 0
  h getProperty /projects/Default/stdin
  out_is "the value from stdin" "from stdin"
  h setProperty /projects/Default/both v --valueFile "$tmp/bigvalue"
  status_is "a value given twice" 2
  h setProperty /projects/Default/x --valueFile "$tmp/no-such"
  status_is "a missing --valueFile: a local file error" 7
  printf 'a\000b' >"$tmp/nul"
  h setProperty /projects/Default/x --valueFile "$tmp/nul"
  status_is "a value with a NUL byte is refused" 7
  h setProperty /projects/Default/dash -h
  status_is "setProperty P -h sets the value -h" 0
  h getProperty /projects/Default/dash
  out_is "setProperty P -h: the value is -h, no help printed" "-h"
  h getProperty /projects/Default/tls -h
  status_is "getProperty P -h: an operand too many, not help" 2
  h setProperty /projects/Default/helped v --help
  status_is "setProperty P v --help: an error, not help that looks like success" 2
  h getProperty /projects/Default/helped
  status_is "... and nothing was set" 1
  h setProperty --help
  status_is "setProperty --help alone prints help" 0
  run cdrest help nosuch
  status_is "help nosuch" 2
  err_has "help nosuch: the hint is cdrest --help" "Try 'cdrest --help'."
  err_lacks "help nosuch: not help's own help" "help --help"
  run cdrest retrieveArtifactVersions --artifactVersionName g:k:1
  status_is "retrieveArtifactVersions: refused" 2
  err_has "retrieveArtifactVersions: said to be not offered, and why" "retrieveArtifactVersions is not offered by cdrest: downloading"
  run cdrest getArtifactVersion g:k:1 --toDirectory d
  err_has "--toDirectory: said to be not offered" "--toDirectory (retrieving artifact files) is not offered"
  run -u HOME CDREST_CACERT="$CA" CDREST_USER=admin CDREST_PASSWORD="$PASSWORD" cdrest -kv \
    --server "https://127.0.0.1:${TLS##*:}" getProperty /projects/Default/tls
  status_is "-kv (combined short flags)" 0
  err_has "-kv: --verbose took effect" "cdrest: server https://127.0.0.1:"
  run -u HOME CDREST_CACERT="$CA" CDREST_USER=admin CDREST_PASSWORD="$PASSWORD" cdrest \
    --server "127.0.0.1:${TLS##*:}" getProperty /projects/Default/tls
  status_is "--server HOST:PORT (a bare host with its port: https)" 0
  h createArtifact --groupId g.parts --artifactKey k
  h createArtifactVersion --groupId g.parts --artifactKey k --version 1
  status_is "ectool: createArtifactVersion --groupId G --artifactKey K --version V" 0
  out_has "... names the version G:K:V" '"artifactVersionName":"g.parts:k:1"'
  h publishArtifactVersion --groupId g.parts --artifactKey k --version 2 "$tmp/notes.txt"
  status_is "ectool: publishArtifactVersion --groupId G --artifactKey K --version V FILE" 0
  h publishArtifactVersion --groupId g.parts --version 3 "$tmp/notes.txt"
  status_is "--groupId without --artifactKey is refused" 2
  h setProperty /artifacts/g.parts:k/note v
  h getProperties /artifacts/g.parts:k
  out_is "getProperties of another object's own sheet (/artifacts/G:K)" "note=v"

  h runProcedure --projectName Default --procedureName runme --actualParameter duration=0.5
  status_is "ectool: runProcedure --projectName P --procedureName Q" 0
  JOB=$(cat "$tmp/out")
  h setProperty --propertyName version --value 1.2.3 --jobId "$JOB"
  status_is "ectool: setProperty --propertyName N --value V --jobId J" 0
  h getProperty --propertyName version --jobId "$JOB"
  status_is "ectool: getProperty --propertyName N --jobId J" 0
  out_is "getProperty --propertyName --jobId: the value" "1.2.3"
  h getProperties --jobId "$JOB"
  out_has "getProperties --jobId" "version=1.2.3"
  h runProcedure Default --procedureName runme --scheduleName nightly
  status_is "ectool: runProcedure P --procedureName Q --scheduleName S" 0
  start=$(date +%s)
  h runProcedure Default --procedureName runme --actualParameter duration=0.5 --pollInterval 0.2 --timeout 20
  status_is "ectool: runProcedure ... --pollInterval S --timeout S waits, outcome success" 0
  check "runProcedure --pollInterval prints the job id" test "$(wc -l <"$tmp/out")" -eq 1
  h runProcedure Default --procedureName fail --actualParameter duration=0.3 --pollInterval 0.2 --timeout 20
  status_is "runProcedure --pollInterval, outcome error" 4
  err_has "the outcome is said" "completed with outcome error"
  h runProcedure Default --procedureName runme --actualParameter duration=30 --pollInterval 0.2 --timeout 1
  status_is "runProcedure --pollInterval past --timeout" 6
  JOB=$(cat "$tmp/out")
  check "runProcedure --pollInterval still printed the job id" test -n "$JOB"
  h waitForJob "$JOB" --timeout 1 --pollInterval 0.2
  status_is "waitForJob J --timeout 1: the wait's limit, as in ectool" 6
  check "the --timeout waits were short" test $(($(date +%s) - start)) -lt 15
  h abortJob --jobId "$JOB"
  status_is "ectool: abortJob --jobId J (the 30 s job)" 0
  h waitForJob "$JOB" --timeout 10 --pollInterval 0.2
  check "the aborted job completes at once, not with success (exit $rc)" test "$rc" -eq 4
  h abortJob "$JOB" --force 2
  status_is "abortJob --force 2 is refused" 2
  h runProcedure Default --procedureName runme --timeout 5
  status_is "runProcedure --timeout without --pollInterval is refused loudly" 2
  h --json runProcedure Default --procedureName runme --actualParameter duration=0.2 --pollInterval 0.1
  out_has "runProcedure --json --pollInterval prints jobId, status and outcome" '"outcome":"success"'
  h --json runProcedure Default --procedureName fail --actualParameter duration=0.2 --pollInterval 0.1
  status_is "runProcedure --json --pollInterval, outcome error" 4
  err_has "--json: the outcome error is JSON on stderr" '{"error":{"code":"JobOutcomeError","message":"job '

  h createArtifact --groupId g.tls --artifactKey k
  status_is "ectool: createArtifact --groupId G --artifactKey K" 0
  mkdir -p "$tmp/dist"
  head -c 5000 /dev/urandom >"$tmp/dist/app.war"
  echo notes >"$tmp/dist/README.txt"
  h publishArtifactVersion --artifactName g.tls:k --version 1.0 --fromDirectory "$tmp/dist" --includePatterns '*.war'
  status_is "ectool: publishArtifactVersion --artifactName --version --fromDirectory --includePatterns" 0
  python3 -c 'import ssl, sys, urllib.request as u
ctx = ssl.create_default_context(cafile=sys.argv[2])
sys.stdout.buffer.write(u.urlopen(sys.argv[1], context=ctx, timeout=10).read())' \
    "$TLS/emu/artifact-file?version=g.tls:k:1.0&name=app.war" "$CA" >"$tmp/fetched" 2>/dev/null
  check "the .war was published byte for byte" cmp -s "$tmp/fetched" "$tmp/dist/app.war"
  ln -s "$tmp/no-such-target" "$tmp/dist/dangling.war"
  h publishArtifactVersion --artifactName g.tls:k --version 1.6 --fromDirectory "$tmp/dist" --includePatterns '*.war'
  status_is "--fromDirectory with a dangling link: a local file error, nothing left out silently" 7
  rm -f "$tmp/dist/dangling.war"
  h getArtifactVersions --artifactName g.tls:k
  status_is "ectool: getArtifactVersions --artifactName G:K" 0
  out_has "getArtifactVersions lists the version" '"artifactVersionName":"g.tls:k:1.0"'
  out_lacks_readme=$(grep -c README "$tmp/out")
  check "--includePatterns left README.txt out" test "$out_lacks_readme" -eq 0
  h --json publishArtifactVersion g.tls:k 1.1 "$tmp/dist/README.txt"
  out_is "publishArtifactVersion --json" '{"artifactVersionName":"g.tls:k:1.1","files":"1"}'
  run -u HOME CDREST_CACERT="$CA" cdrest --server "$TLS" --session-file "$tmp/hj" --json login admin "$PASSWORD"
  out_is "login --json" "{\"server\":\"$TLS\",\"user\":\"admin\",\"sessionFile\":\"$tmp/hj\"}"
  run -u HOME CDREST_CACERT="$CA" cdrest --session-file "$tmp/hj" --json logout
  out_is "logout --json" '{}'
  h --json deleteArtifactVersion g.tls:k:1.1
  out_is "deleteArtifactVersion --json prints {}" '{}'

  # evalDsl, pipelines and findObjects against the emulator
  h evalDsl --dsl "project 'From DSL'"
  status_is "ectool: evalDsl --dsl" 0
  out_has "evalDsl: the project it made" '"projectName":"From DSL"'
  printf "project 'From DSL File'" | STDIN=/dev/stdin h evalDsl --dslFile -
  out_has "evalDsl --dslFile - (stdin)" '"projectName":"From DSL File"'
  h evalDsl "not dsl"
  status_is "evalDsl that the server refuses" 1
  err_has "evalDsl: the server's code" "InvalidDsl"
  h runPipeline --projectName Default --pipelineName pipe --actualParameter outcome=success --stagesToRun dev
  status_is "ectool: runPipeline --projectName P --pipelineName Q --stagesToRun S" 0
  FLOW=$(sed -n 's/.*"flowRuntimeId":"\([^"]*\)".*/\1/p' "$tmp/out")
  check "runPipeline prints the flow runtime" test -n "$FLOW"
  h getPipelineRuntimeDetails --flowRuntimeId "$FLOW"
  status_is "ectool: getPipelineRuntimeDetails --flowRuntimeId ID" 0
  out_has "getPipelineRuntimeDetails shows the run" "\"flowRuntimeId\":\"$FLOW\""
  h runPipeline Default nosuch
  status_is "runPipeline of a missing pipeline" 1
  h findObjects --objectType project --filter '{"propertyName":"projectName","operator":"equals","operand1":"From DSL"}'
  status_is "ectool: findObjects --objectType T --filter JSON" 0
  out_has "findObjects finds the project" '"projectName":"From DSL"'
  check "findObjects finds that project only" test "$(grep -o '"objectId"' "$tmp/out" | wc -l)" -eq 1

  # --data from a file and from stdin
  printf '{"projectName":"From File"}' >"$tmp/data.json"
  h call POST /projects --data @"$tmp/data.json"
  status_is "call --data @FILE" 0
  printf '{"description":"via stdin"}' | STDIN=/dev/stdin h call PUT "/projects/From File" --data @-
  status_is "call --data @-" 0
  out_has "call --data @-: the body arrived" '"description":"via stdin"'

  # errors, the JSON mode, did-you-mean, case, -k and -v
  h --json getProperty /projects/Default/nothing
  status_is "--json: a server error" 1
  err_has "--json: the error is JSON on stderr" '{"error":{"code":"NoSuchProperty","message":'
  err_has "--json: the error has the HTTP status" '"status":404}}'
  h --json getProperty
  err_has "--json: a usage error is JSON too" '{"error":{"code":"UsageError"'
  h getPropery /projects/Default/tls
  status_is "a mistyped command" 2
  err_has "did you mean (command)" "did you mean getProperty?"
  h getProperty /projects/Default/tls --projectNam Default
  err_has "did you mean (option)" "did you mean --projectName?"
  h getproperty /projects/Default/tls
  out_is "commands match case-insensitively" "over TLS"
  run -u HOME CDREST_SERVER="$TLS" CDREST_USER=admin CDREST_PASSWORD="$PASSWORD" cdrest -k -v \
    getProperty /projects/Default/tls
  status_is "-k -v" 0
  err_has "-k is --insecure" "WARNING: --insecure"
  err_has "-v is --verbose" "GET $TLS/rest/v1.0/properties"

  # the CA from the environment, under each conventional name
  for var in CURL_CA_BUNDLE REQUESTS_CA_BUNDLE SSL_CERT_FILE; do
    run -u HOME "$var=$CA" CDREST_SERVER="$TLS" CDREST_USER=admin CDREST_PASSWORD="$PASSWORD" cdrest \
      getProperty /projects/Default/tls
    status_is "\$$var is the CA file" 0
  done

  # proxies
  h --proxy "http://127.0.0.1:$closed" getProperty /projects/Default/tls
  status_is "--proxy at a closed port" 3
  err_has "a connection error names the proxy" "proxy"
  h --proxy "http://127.0.0.1:$closed" --noproxy 'example.com,127.0.0.1' -v getProperty /projects/Default/tls
  status_is "--noproxy names the host: direct" 0
  h --proxy "http://127.0.0.1:$closed" -v --timeout 5 getProperty /projects/Default/tls
  err_has "--verbose names the proxy in use" "through the proxy 127.0.0.1:$closed"

  # https:// at a plain-HTTP port (one that answers 400 to a TLS hello, as nginx and Jetty do) fails fast
  rawport=$(sed -n 's/^RAWPORT \([0-9][0-9]*\)$/\1/p' "$tmp/ls-server.out")
  start=$(date +%s)
  run -u HOME CDREST_CACERT="$CA" cdrest --server "https://127.0.0.1:$rawport" \
    --user admin --password-file "$tmp/pw" --timeout 25 getProperty /projects/Default/greeting
  status_is "https:// at a plain-HTTP port" 3
  err_has "it says so" "plain HTTP"
  check "and fails fast" test $(($(date +%s) - start)) -lt 10
  start=$(date +%s)
  run -u HOME CDREST_CACERT="$CA" cdrest --server "https://127.0.0.1:$(echo "$URL" | sed 's/.*://')" \
    --user admin --password-file "$tmp/pw" --timeout 25 getProperty /projects/Default/greeting
  status_is "https:// at the emulator's plain-HTTP port" 3
  err_has "it says so" "plain HTTP"
  check "and fails fast" test $(($(date +%s) - start)) -lt 10

  # no $HOME: a one-off run works; login without --session-file says what to do
  h getProperty /projects/Default/tls
  out_is "no \$HOME: a one-off run with credentials from the environment" "over TLS"
  h login
  status_is "no \$HOME: login needs --session-file" 2
  err_has "no \$HOME: says so" "give --session-file"
else
  bad "tests/mkcerts.sh failed, no HTTPS tests: $(tail -n 3 "$tmp/mkcerts.log")"
fi

# --- the password never appeared on stdout or stderr ---------------------------------------
if grep -q -F -- "$PASSWORD" "$tmp/all"; then
  rc=0
  bad "the password appeared in some output"
else
  ok
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
