#!/bin/sh
# SPDX-License-Identifier: MIT
# `make emulator`: the bundled CD emulator (tests/cdemu.py) over HTTPS, in the foreground,
# with a throwaway CA made for this run. It prints the lines to paste into another shell
# (CDREST_SERVER, CDREST_CACERT, CDREST_USER, CDREST_PASSWORD), then one line per request;
# Ctrl-C stops it and deletes the CA. EMULATOR_PORT=N picks the port (default: a free one).
set -eu
cd "$(dirname "$0")/.."
port=${EMULATOR_PORT:-0}
dir=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-emulator.XXXXXX")
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sh tests/mkcerts.sh "$dir" >/dev/null
mkfifo "$dir/port"
python3 tests/cdemu.py --port "$port" --cert "$dir/rsa.pem" --key "$dir/rsa.key" >"$dir/port" &
emu_pid=$!
read -r _ port <"$dir/port" || { echo "emulator: did not start" >&2; exit 1; }
cat <<MSG
cdrest emulator: https://localhost:$port (user admin, password changeme; CA $dir/ca.pem)
Paste into the shell where you run cdrest (Ctrl-C here stops the emulator):

export CDREST_SERVER=https://localhost:$port CDREST_CACERT=$dir/ca.pem CDREST_USER=admin CDREST_PASSWORD=changeme

MSG
wait "$emu_pid"
