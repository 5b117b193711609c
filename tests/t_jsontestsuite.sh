#!/bin/sh
# SPDX-License-Identifier: MIT
# JSONTestSuite's parsing corpus through build/jsoncheck and through ASan+UBSan builds of
# it with each string scanner (16-byte SSE2, 8-byte word, byte loop: CDREST_JSON_SCAN=2/1/0):
#   y_* must be accepted, n_* rejected; i_* may go either way but are printed, and all
#   builds must agree on them; a crash, sanitizer report or timeout fails in every case;
#   the deep-nesting files must fail with the depth error (not a stack overflow).
# The corpus is vendored in tests/data/JSONTestSuite (MIT, upstream commit in its README.md).
# Ends with "N passed, N failed" (one check per file per build, plus the depth checks).
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
CORPUS=tests/data/JSONTestSuite/test_parsing
DEEP="n_structure_100000_opening_arrays.json n_structure_open_array_object.json"
pass=0
fail=0

if [ ! -d "$CORPUS" ]; then
  echo "JSONTestSuite corpus not found at $CORPUS (an incomplete checkout?)"
  echo "0 passed, 1 failed"
  exit 1
fi

# The builds come from the Makefile (tests/json.mk); make them here too when run alone.
builds="$B/jsoncheck $B/jsoncheck-asan-scan2 $B/jsoncheck-asan-scan1 $B/jsoncheck-asan-scan0"
make -s --no-print-directory $builds || { echo "cannot build $builds"; echo "0 passed, 1 failed"; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
outcomes=$(mktemp)
trap 'rm -f "$outcomes"' EXIT

for bin in $builds; do
  bpass=0
  bfail=0
  for f in "$CORPUS"/*.json; do
    name=$(basename "$f")
    timeout 20 "$bin" "$f" >/dev/null 2>&1
    rc=$?
    case "$name:$rc" in
      y_*:0 | n_*:1 | i_*:0 | i_*:1) ok=1 ;;
      *) ok=0 ;;
    esac
    case "$rc" in
      0) what=accepted ;;
      1) what=rejected ;;
      124) what="TIMEOUT" ;;
      *) what="CRASH or internal error (exit $rc)" ;;
    esac
    case "$name" in
      i_*) echo "$name $what" >> "$outcomes" ;;
    esac
    if [ $ok = 1 ]; then
      bpass=$((bpass + 1))
    else
      bfail=$((bfail + 1))
      echo "FAIL $bin $name: $what"
      [ "$rc" -gt 1 ] && timeout 20 "$bin" "$f" 2>&1 | tail -n 15 | sed 's/^/    /'
    fi
  done
  for name in $DEEP; do
    said=$(timeout 20 "$bin" -v "$CORPUS/$name" 2>&1)
    case "$said" in
      *"nesting too deep"*) bpass=$((bpass + 1)) ;;
      *) bfail=$((bfail + 1)); echo "FAIL $bin $name: no depth error: $said" ;;
    esac
  done
  echo "$bin: $bpass passed, $bfail failed"
  pass=$((pass + bpass))
  fail=$((fail + bfail))
done

# The i_ files: what we do with them, and every build must do the same.
echo "implementation-defined (i_) outcomes:"
sort -u "$outcomes" | awk '{ n[$1]++; line[$1] = $0 } END { for (k in n) print (n[k] > 1 ? "DISAGREE " : "  ") line[k] }' | sort
disagree=$(sort -u "$outcomes" | awk '{ print $1 }' | uniq -d | wc -l)
if [ "$disagree" -ne 0 ]; then
  echo "FAIL: the builds disagree on $disagree i_ files"
  fail=$((fail + disagree))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
