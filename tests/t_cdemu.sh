#!/bin/sh
# SPDX-License-Identifier: MIT
# The bundled CD emulator (tests/cdemu.py) tested through Python requests.
# Makes a throwaway certificate, starts the emulator over HTTP (with the python3 first
# in PATH) and over HTTPS (with /usr/bin/python3, which has requests), runs
# tests/test_emu_requests.py against them, and always stops them.
# Ends with one line "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
PY=/usr/bin/python3
. tests/lib.sh

fail() {
  echo "t_cdemu: $1" >&2
  echo "0 passed, 1 failed"
  exit 1
}

# start NAME PYTHON ARGS...: start an emulator, set $port from its "PORT n" line.
start() { start_server "$@" || fail "$lib_why"; }

"$PY" -c 'import requests' 2>/dev/null || fail "$PY has no requests module (apt-get install python3-requests)"
command -v openssl >/dev/null 2>&1 || fail "openssl is needed for the HTTPS tests"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >"$tmp/openssl.log" 2>&1 ||
  fail "openssl could not make a certificate: $(tail -n 3 "$tmp/openssl.log")"

start http "$EMU_PY" tests/cdemu.py --port 0 --token tok-123 --job-seconds 1
http_port=$port
start https "$PY" tests/cdemu.py --port 0 --token tok-123 --job-seconds 1 \
  --cert "$tmp/cert.pem" --key "$tmp/key.pem" --quiet
https_port=$port

# In the background, so a signal to this script stops everything at once (the test
# stops the emulators it started itself when it gets SIGTERM).
CDEMU_HTTP_PORT=$http_port CDEMU_HTTPS_PORT=$https_port CDEMU_CA="$tmp/cert.pem" \
  CDEMU_TMP="$tmp" CDEMU_HTTP_LOG="$tmp/http.log" \
  "$PY" tests/test_emu_requests.py &
test_pid=$!
pids="$test_pid $pids"
wait "$test_pid"
