#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every test program under ASan+UBSan and under valgrind, then the script tests,
# and ends with one line "N passed, N failed" summing them all (CI reads it).
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
total_pass=0
total_fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# run NAME CMD...: run one suite, add its closing "N passed, N failed" to the totals.
run() {
  name=$1; shift
  start=$(date +%s)
  "$@" >"$log" 2>&1
  rc=$?
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
  f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
  [ -n "$p" ] || p=0
  [ -n "$f" ] || f=0
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # a crash or a sanitizer report
  if [ -z "$line" ] && [ "$rc" -eq 0 ]; then f=1; echo "  ($name printed no summary)"; fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  printf '%-34s %6s passed %4s failed  (%ss)\n' "$name" "$p" "$f" "$(( $(date +%s) - start ))"
  if [ "$f" -ne 0 ]; then sed 's/^/    | /' "$log" | tail -n 40; fi
}

export CDREST_TESTS="$PWD/tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible --track-fds=no"

for t in "$B"/asan/test_*; do
  [ -x "$t" ] || continue
  run "asan $(basename "$t")" "$t"
done
for t in "$B"/vg/test_*; do
  [ -x "$t" ] || continue
  CDREST_VALGRIND=1 run "valgrind $(basename "$t")" $VG "$t"
done
for s in tests/t_*.sh; do
  [ -f "$s" ] || continue
  run "script $(basename "$s")" sh "$s"
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
