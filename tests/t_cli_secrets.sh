#!/bin/sh
# Secrets on the cdrest command line (build/asan/cdrest): every secret-bearing argument
# (--password, --token, login's USER PASSWORD, also written --name=value) is blanked in
# /proc/PID/cmdline while the tool runs (it waits on a server that never answers, so the
# check sees the process mid-request); the token can come from --token-file or
# $CDREST_TOKEN instead, and --help says so. Ends with one line "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
CLI_BIN="$PWD/$B/asan/cdrest"
TOKEN='tok-7d3e-51aa-secret'
PASSWORD='pw-0c9b-44f1-secret'
pass=0
fail=0
. tests/lib.sh
unset CDREST_SERVER CDREST_USER CDREST_PASSWORD CDREST_TOKEN COMMANDER_SERVER COMMANDER_SESSIONID \
  COMMANDER_HTTP_PROXY http_proxy https_proxy HTTPS_PROXY
export HOME="$tmp"
export ASAN_OPTIONS=detect_leaks=1:exitcode=86

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
die() { echo "t_cli_secrets: $1" >&2; echo "$pass passed, $((fail + 1)) failed"; exit 1; }

[ -x "$CLI_BIN" ] || die "$CLI_BIN is missing (make build/asan/cdrest)"
# A loopback server that accepts and never answers: the tool stays mid-request.
start_silent silent || die "$lib_why"
SILENT="http://127.0.0.1:$port"
start_emu emu --user "admin:$PASSWORD" --token "$TOKEN" || die "$lib_why"
URL="http://127.0.0.1:$port"

# cmdline_while_running NAME SECRET ARGS...: run cdrest ARGS against the silent server,
# read its /proc/PID/cmdline once it is waiting, and check SECRET is not in it.
cmdline_while_running() {
  name=$1
  secret=$2
  shift 2
  "$CLI_BIN" --server "$SILENT" --session-file "$tmp/none" --timeout 5 --allow-plain-http "$@" \
    </dev/null >"$tmp/out" 2>"$tmp/err" &
  cpid=$!
  i=0
  seen=""
  while [ $i -lt 50 ]; do
    sleep 0.1
    # wait for the connection: by then every option has been read
    if [ -r "/proc/$cpid/net/tcp" ] && ls -l "/proc/$cpid/fd" 2>/dev/null | grep -q socket; then
      seen=$(tr '\0' ' ' <"/proc/$cpid/cmdline")
      break
    fi
    i=$((i + 1))
  done
  kill "$cpid" 2>/dev/null
  wait "$cpid" 2>/dev/null
  if [ -z "$seen" ]; then bad "$name: the tool never connected ($(head -c 300 "$tmp/err"))"; return; fi
  case "$seen" in
    *"$secret"*) bad "$name: /proc/PID/cmdline shows the secret: $seen" ;;
    *) ok ;;
  esac
}

cmdline_while_running "--token T" "$TOKEN" --token "$TOKEN" getProperty /projects/Default/x
cmdline_while_running "--token=T" "$TOKEN" "--token=$TOKEN" getProperty /projects/Default/x
cmdline_while_running "--password P" "$PASSWORD" --user admin --password "$PASSWORD" getProperty /projects/Default/x
cmdline_while_running "--password=P" "$PASSWORD" --user admin "--password=$PASSWORD" getProperty /projects/Default/x
cmdline_while_running "login USER PASSWORD" "$PASSWORD" login admin "$PASSWORD"
cmdline_while_running "--token after the command" "$TOKEN" getProperty /projects/Default/x --token "$TOKEN"
if grep -q -F "visible to other users" "$tmp/err"; then ok; else bad "--token warns that it is visible"; fi

# The token from a file, and from the environment: both log in (the emulator knows it).
printf '%s\n' "$TOKEN" >"$tmp/token"
"$CLI_BIN" --server "$URL" --session-file "$tmp/none" --token-file "$tmp/token" setProperty /projects/Default/t viafile \
  >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ]; then ok; else bad "--token-file: $(cat "$tmp/err")"; fi
if grep -q -F "visible" "$tmp/err"; then bad "--token-file warns as if visible"; else ok; fi
CDREST_TOKEN="$TOKEN" "$CLI_BIN" --server "$URL" --session-file "$tmp/none" getProperty /projects/Default/t \
  >"$tmp/out" 2>"$tmp/err"
if [ "$(cat "$tmp/out")" = "viafile" ]; then ok; else bad "\$CDREST_TOKEN: $(cat "$tmp/err")"; fi
printf 'not-the-token\n' >"$tmp/badtoken"
"$CLI_BIN" --server "$URL" --session-file "$tmp/none" --token-file "$tmp/badtoken" getProperty /projects/Default/t \
  >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 1 ]; then ok; else bad "a wrong token from a file is refused by the server"; fi
"$CLI_BIN" --server "$URL" --session-file "$tmp/none" --token-file "$tmp/missing" getProperty /projects/Default/t \
  >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 2 ] && grep -q -F "token file" "$tmp/err"; then ok; else bad "a missing token file is a usage error"; fi
: >"$tmp/empty"
"$CLI_BIN" --server "$URL" --session-file "$tmp/none" --token-file "$tmp/empty" getProperty /projects/Default/t \
  >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 2 ]; then ok; else bad "an empty token file is a usage error"; fi
if grep -q -F "$TOKEN" "$tmp/out" "$tmp/err"; then bad "the token appears in the output"; else ok; fi

# --help names the safe ways.
"$CLI_BIN" --help >"$tmp/out" 2>&1
for w in "--token-file FILE" '$CDREST_TOKEN' "process list"; do
  if grep -q -F -- "$w" "$tmp/out"; then ok; else bad "--help lacks '$w'"; fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
