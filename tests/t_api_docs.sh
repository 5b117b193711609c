#!/bin/sh
# SPDX-License-Identifier: MIT
# The public API reads on its own: every function declared in cdrest.h's API (CDRESTDEF,
# before the implementation) has a doc comment of its own ending on the line right above
# it (a shared comment over a group hides what each one returns and owns), and every one
# of them is defined by the implementation. Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
api=$(mktemp)
trap 'rm -f "$api"' EXIT
sed -n '1,/^#endif \/\* CDREST_H_INCLUDED/p' cdrest.h >"$api"
# name and whether the previous top-level line closed a comment
awk '{
  if ($0 ~ /^CDRESTDEF/) {
    match($0, /cdrest_[a-z0-9_]*\(/); name = substr($0, RSTART, RLENGTH - 1)
    print name, (prev ~ /\*\/ *$/ ? "documented" : "UNDOCUMENTED")
  }
  if ($0 !~ /^ *$/ && $0 !~ /^    /) prev = $0; else if ($0 ~ /\*\/ *$/) prev = $0
}' "$api" >"$api.list"
n=$(wc -l <"$api.list")
[ "$n" -ge 70 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: only $n public functions found"; }
while read -r name state; do
  if [ "$state" = documented ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name has no doc comment of its own"; fi
  if grep -Eq "^CDRESTDEF [^;]*\b$name\(" cdrest.h && sed '1,/^#endif \/\* CDREST_H_INCLUDED/d' cdrest.h | grep -Eq "^CDRESTDEF [^;]*\b$name\([^;]*(\{|$)"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL: $name is declared but never defined"
  fi
done <"$api.list"
rm -f "$api.list"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
