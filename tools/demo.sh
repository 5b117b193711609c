#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo`: cdrest end to end on this machine, no CD server needed.
# Makes a throwaway CA and server certificate, starts the bundled CD emulator over
# HTTPS on a free loopback port, runs examples/quickstart.c and a few `cdrest`
# commands against it with certificate verification ON, and stops the emulator
# whatever happens. Needs no terminal.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}

say() { printf '\n\033[1m== %s\033[0m\n' "$*" 2>/dev/null || printf '\n== %s\n' "$*"; }
[ -t 1 ] || say() { printf '\n== %s\n' "$*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-demo.XXXXXX")
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "1. A throwaway certificate authority and server certificate (openssl)"
sh tests/mkcerts.sh "$work/certs" >/dev/null
echo "   CA:     $work/certs/ca.pem"
echo "   server: $work/certs/rsa.pem (for localhost and 127.0.0.1)"

say "2. The bundled CloudBees CD emulator over HTTPS (tests/cdemu.py)"
mkfifo "$work/port"
python3 tests/cdemu.py --port 0 --quiet --job-seconds 2 \
  --cert "$work/certs/rsa.pem" --key "$work/certs/rsa.key" >"$work/port" 2>"$work/emu.log" &
emu_pid=$!
read -r _ port <"$work/port"
server="https://localhost:$port"
echo "   listening on $server (user admin, password changeme)"

say "3. examples/quickstart.c: log in, set and read a property, create an artifact, run a job, log out"
CDREST_SERVER=$server CDREST_USER=admin CDREST_PASSWORD=changeme CDREST_CACERT="$work/certs/ca.pem" \
  "$B/quickstart" | sed 's/^/   /'

say "4. The cdrest command-line tool, with the certificate checked against the demo CA"
cli() {
  printf '   $ cdrest %s\n' "$*"
  "$B/cdrest" --server "$server" --cacert "$work/certs/ca.pem" --session-file "$work/session" "$@" 2>&1 | sed 's/^/     /'
}
CDREST_PASSWORD=changeme cli login admin
cli setProperty /projects/Default/demo/message "Hello from the cdrest CLI"
cli getProperty /projects/Default/demo/message
cli getProperties /projects/Default/demo
job=$("$B/cdrest" --server "$server" --cacert "$work/certs/ca.pem" --session-file "$work/session" \
  runProcedure Default --procedureName runme --actualParameter greeting=hi)
printf '   $ cdrest runProcedure Default --procedureName runme --actualParameter greeting=hi\n     %s\n' "$job"
cli waitForJob "$job" --interval 1
cli logout

say "5. And what a wrong trust store looks like (verification is on by default)"
printf '   $ cdrest getProperty /projects/Default/demo/message   (no --cacert)\n'
if CDREST_PASSWORD=changeme "$B/cdrest" --server "$server" --user admin \
    getProperty /projects/Default/demo/message >"$work/out" 2>&1; then
  echo "   unexpected: the connection was accepted" && exit 1
fi
sed 's/^/     /' "$work/out"

say "Done: the emulator is stopped. Next: 'make test' runs the whole test suite."
