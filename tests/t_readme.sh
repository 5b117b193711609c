#!/bin/sh
# SPDX-License-Identifier: MIT
# Every command the README shows is run here, as a newcomer would type it, in a copy of the
# checkout (so nothing it builds or installs lands in this one) with HOME in a scratch dir:
#   - each "$ ..." line of its ```console blocks, in order, in one `sh -eu` session that
#     starts with no CDREST_* variable: what a command uses, the README must define
#     (`make emulator` runs in the background and its printed export line is pasted, as
#     the README says; `make test` itself is skipped: it is what runs this);
#   - each ```c block is compiled and linked against the header;
#   - each `make TARGET` of the ```text blocks has a rule;
#   - the examples include the system headers they use (each compiles without the
#     implementation's own includes).
# Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-readme.XXXXXX")
cleanup() {
  if [ -s "$work/emulator.pid" ]; then
    # The whole group (make, the script, the emulator); dash's kill takes no group.
    python3 -c 'import os, signal, sys; os.killpg(int(sys.argv[1]), signal.SIGTERM)' "$(cat "$work/emulator.pid")" 2>/dev/null
    i=0
    while [ $i -lt 50 ] && ps -o pid= -g "$(cat "$work/emulator.pid")" >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The copy: what git tracks or would track (not build/), plus the tools already built.
src=$work/src
mkdir -p "$src/build"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp -p --parents -t "$src" 2>/dev/null
for f in build/cdrest build/quickstart; do [ -f "$f" ] && cp -p "$f" "$src/build/"; done
[ -f "$src/cdrest.h" ] && ok || bad "cannot copy the checkout"

# The console commands, one by one in one shell session.
awk '/^```console/{on=1; next} /^```/{on=0} on && /^\$ /{sub(/^\$ /, ""); print}' README.md >"$work/commands"
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
  echo "set -eu"
  echo "unset CDREST_SERVER CDREST_CACERT CDREST_USER CDREST_PASSWORD CDREST_TOKEN SERVER CA || true"
  echo "export HOME=$work/home"
  echo "mkdir -p \"\$HOME\"; cd $src"
  while IFS= read -r cmd; do
    echo "echo + $(quote "$cmd") >&2"
    case "$cmd" in
      "make test") echo "echo '  (skipped: this is make test)' >&2" ;;
      "make emulator"*)
        # In the foreground for a reader; here in the background, in its own process
        # group (stopped at the end), and its export line pasted once it is printed.
        echo "setsid $cmd >$work/emulator.out 2>&1 & echo \$! >$work/emulator.pid"
        echo "i=0; until grep -q '^export CDREST_SERVER=' $work/emulator.out; do"
        echo "  i=\$((i + 1)); [ \$i -lt 300 ] || { echo 'make emulator printed no export line' >&2; cat $work/emulator.out >&2; exit 1; }"
        echo "  sleep 0.1; done"
        echo "eval \"\$(grep '^export CDREST_SERVER=' $work/emulator.out)\""
        ;;
      *) printf '{ %s\n} >>%s/out 2>&1 || { echo "README command failed: "%s >&2; exit 1; }\n' "$cmd" "$work" "$(quote "$cmd")" ;;
    esac
  done <"$work/commands"
  echo "echo ALL-RAN >&2"
} >"$work/script.sh"
n=$(grep -c . "$work/commands")
if [ "$n" -ge 15 ] && sh "$work/script.sh" 2>"$work/trace" && grep -q ALL-RAN "$work/trace"; then
  ok
else
  bad "README commands ($n found):"; tail -n 20 "$work/trace"; tail -n 30 "$work/out" 2>/dev/null
fi
expect() { grep -q -- "$1" "$work/out" && ok || bad "$2"; }
expect "Done: the emulator is stopped" "make demo did not finish"
expect "logged out" "the quickstart built by the README did not run to its end"
expect "^hello$" "getProperty from the README did not print the value"
expect '"projectName" *: *"Default"' "call GET /projects/Default printed no project"
expect "done: no allocation by cdrest" "static_client from the README did not run to its end"
expect "modem/greeting = " "custom_transport from the README did not run"
[ -f "$work/home/.local/include/cdrest.h" ] && [ -f "$work/home/.local/lib/cmake/cdrest/cdrestConfig.cmake" ] && ok ||
  bad "the README's install commands installed nothing in \$HOME/.local"

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

# The examples include what they use: without CDREST_IMPLEMENTATION the header declares
# only its API (stddef.h, stdint.h), so a function or macro used without its own include
# is an error here.
for f in examples/*.c; do
  b=$(basename "$f" .c)
  sed '/^#define CDREST_IMPLEMENTATION/d' "$f" >"$work/alone_$b.c"
  if cc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I. -Iexamples -c -o "$work/alone_$b.o" \
      "$work/alone_$b.c" 2>"$work/cc.log"; then
    ok
  else
    bad "$f does not include every system header it uses:"; grep -m 5 'error' "$work/cc.log"
  fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
