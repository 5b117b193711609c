#!/bin/sh
# SPDX-License-Identifier: MIT
# Every command the README shows is run here, as a newcomer would type it:
#   - each "$ ..." line of its ```console blocks, in order, in one shell, with $SERVER and
#     $CA pointing at the bundled emulator over HTTPS (`make test` itself is skipped: it is
#     what runs this);
#   - each ```c block is compiled and linked against the header;
#   - each `make TARGET` of the ```text blocks has a rule.
# Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-readme.XXXXXX")
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$work"
  rm -f quickstart cdrest-notls.o
}
trap cleanup EXIT

# The emulator over HTTPS, with a throwaway CA.
sh tests/mkcerts.sh "$work/certs" >/dev/null 2>&1 || bad "mkcerts"
mkfifo "$work/port"
python3 tests/cdemu.py --port 0 --quiet --job-seconds 1 \
  --cert "$work/certs/rsa.pem" --key "$work/certs/rsa.key" >"$work/port" 2>"$work/emu.log" &
emu_pid=$!
read -r _ port <"$work/port"
[ -n "$port" ] && ok || bad "the emulator did not start"

# The console commands, one by one in one shell session.
awk '/^```console/{on=1; next} /^```/{on=0} on && /^\$ /{sub(/^\$ /, ""); print}' README.md >"$work/commands"
{
  echo "set -e"
  echo "export SERVER=https://localhost:$port CA=$work/certs/ca.pem HOME=$work"
  while IFS= read -r cmd; do
    case "$cmd" in
      "make test") continue ;;   # this very run
    esac
    printf 'echo "+ %s" >&2\n%s >>"%s/out" 2>&1 || { echo "README command failed: %s" >&2; exit 1; }\n' \
      "$(printf '%s' "$cmd" | sed 's/"/\\"/g')" "$cmd" "$work" "$(printf '%s' "$cmd" | sed 's/"/\\"/g')"
  done <"$work/commands"
} >"$work/script.sh"
n=$(grep -c . "$work/commands")
if [ "$n" -ge 8 ] && sh "$work/script.sh" 2>"$work/trace"; then
  ok
else
  bad "README commands ($n found):"; tail -n 20 "$work/trace"; tail -n 20 "$work/out" 2>/dev/null
fi
grep -q "hello" "$work/out" && ok || bad "getProperty from the README did not print the value"
grep -q '"projectName" *: *"Default"' "$work/out" && ok || bad "call GET /projects/Default printed no project"

# The long-running make targets listed in ```text blocks exist: looked up in make's rule
# database, never run (they take minutes, and a dry run would still run their sub-makes;
# CI runs portability and fuzz-ci for real).
awk '/^```text/{on=1; next} /^```/{on=0} on && /^make /{print $2}' README.md >"$work/targets"
make -p -q __cdrest_no_such_target__ >"$work/rules" 2>/dev/null
for t in $(cat "$work/targets"); do
  if grep -q "^$t:" "$work/rules"; then ok; else bad "README names make $t, which has no rule"; fi
done
[ -s "$work/targets" ] && ok || bad "no make targets found in the README"

# The C examples compile and link against the header.
awk '/^```c$/{n++; f=sprintf("%s/example%d.c", dir, n); on=1; next} /^```/{on=0} on{print > f}' dir="$work" README.md
for f in "$work"/example*.c; do
  [ -f "$f" ] || { bad "no C example in the README"; break; }
  link=""
  grep -q 'main(' "$f" || link="-c" # a fragment: compile it alone
  if cc -std=c99 -Wall -Wextra -Wpedantic -Werror -I. $link -o "$f.bin" "$f" -lbearssl 2>"$work/cc.log"; then
    ok
  else
    bad "README example $(basename "$f") does not compile"; cat "$work/cc.log"
  fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
