# SPDX-License-Identifier: MIT
# What the script tests share. Source it from the repository root after setting any of
# the variables below you need: `cd "$(dirname "$0")/.." && . tests/lib.sh`. It gives
#   $tmp          a fresh directory, removed on exit together with every process in $pids
#                 (add the pid of each background process you start to $pids)
#   $EMU_PY       the python3 that runs the emulator (the first in PATH)
#   start_server NAME CMD...   run CMD in the background (stdout $tmp/NAME.out, stderr
#                 $tmp/NAME.log), wait up to 15 s for its first line "PORT n", set $port;
#                 returns 1 (the reason in $lib_why) when it exits or never says
#   start_emu NAME ARGS...     the same for `tests/cdemu.py --port 0 --quiet ARGS...`
#   start_silent NAME          a loopback server that accepts and never reads nor answers
# Scripts keep their own ok/bad/finish: what they print differs on purpose.
EMU_PY=$(command -v python3 || echo /usr/bin/python3)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-test.XXXXXX") || { echo "0 passed, 1 failed"; exit 1; }
pids=""
lib_cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap lib_cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

start_server() {
  lib_name=$1
  shift
  : >"$tmp/$lib_name.out"
  "$@" >"$tmp/$lib_name.out" 2>"$tmp/$lib_name.log" &
  lib_pid=$!
  pids="$pids $lib_pid"
  port=""
  lib_i=0
  while [ $lib_i -lt 150 ]; do
    port=$(sed -n 's/^PORT \([0-9][0-9]*\)$/\1/p' "$tmp/$lib_name.out" 2>/dev/null)
    [ -n "$port" ] && return 0
    kill -0 "$lib_pid" 2>/dev/null || break
    sleep 0.1
    lib_i=$((lib_i + 1))
  done
  lib_why="the $lib_name server did not start: $(tail -n 5 "$tmp/$lib_name.log")"
  return 1
}

start_emu() {
  lib_name=$1
  shift
  start_server "$lib_name" "$EMU_PY" tests/cdemu.py --port 0 --quiet "$@"
}

start_silent() {
  start_server "$1" "$EMU_PY" -c 'import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", 0))
s.listen(16)
print("PORT %d" % s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])  # never read, never answer, never close'
}
