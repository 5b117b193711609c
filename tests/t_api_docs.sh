#!/bin/sh
# SPDX-License-Identifier: MIT
# The public API reads on its own: every function declared in cdrest.h's API (CDRESTDEF,
# before the implementation) has a doc comment of its own ending on the line right above
# it (a shared comment over a group hides what each one returns and owns), and every one
# of them is defined by the implementation. The top comment is checked too: its EXAMPLE
# compiles and runs against the emulator, its WHERE THINGS ARE map names functions that
# are where it says, and its CONFIGURATION list (and the README's table) names every macro
# the header lets a user set. Ends with "N passed, N failed".
cd "$(dirname "$0")/.." && . tests/lib.sh
pass=0
fail=0
api=$tmp/api
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

# The top comment's EXAMPLE is a whole program: it compiles warning-free and, pointed at
# the bundled emulator instead of cd.example.com, sets and reads its property.
ex=$api.example.c
awk '/^   EXAMPLE/{on=1; next} on && /^   [A-Z]/{exit} on{sub(/^       /, ""); print}' cdrest.h >"$ex"
if grep -q 'int main' "$ex" && cc -std=c99 -Wall -Wextra -Wpedantic -Werror -I. -o "$ex.bin" "$ex" -lbearssl 2>"$ex.log"; then
  pass=$((pass + 1))
  sed 's|"https://cd.example.com:8443"|getenv("CD_SERVER")|' "$ex" >"$ex.run.c"
  cc -std=c99 -I. -o "$ex.run" "$ex.run.c" -lbearssl
  start_emu emu || echo "$lib_why"
  out=$(CD_SERVER="http://127.0.0.1:$port" CD_PASSWORD=changeme "$ex.run" 2>&1)
  [ "$out" = "greeting = hello" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: the EXAMPLE printed \"$out\""; }
  out=$(CD_SERVER="http://127.0.0.1:$port" CD_PASSWORD=wrong "$ex.run" 2>&1)
  case "$out" in "cd: "*) pass=$((pass + 1)) ;; *) fail=$((fail + 1)); echo "FAIL: a refused login printed \"$out\"" ;; esac
else
  fail=$((fail + 1)); echo "FAIL: the top comment's EXAMPLE does not compile:"; cat "$ex.log"
fi

# WHERE THINGS ARE: every clause names a layer ("text", "TLS", ...), optionally the title
# of one of its subsection rulers, and functions defined in that layer (that subsection):
# a function moved, renamed or merged, or a ruler retitled, shows up here.
python3 - <<'PY' >"$api.map" || echo "FAIL: the map check did not run" >>"$api.map"
import re
src = open("cdrest.h").read().split("\n")
top = src[:src.index("*/") + 1]
rows, on = [], False
for l in top:
    if l.startswith("   WHERE THINGS ARE"): on = True; continue
    if on and not l.strip(): break
    if on and l.startswith("     ") and not l.startswith("      "): rows.append(l.strip())
    elif on: rows[-1] += " " + l.strip()
layers, subs, defs, layer, sub = {}, {}, {}, None, None
for i, l in enumerate(src):
    m = re.match(r"/\* =+$", l)
    if m and i + 1 < len(src) and re.match(r"   (\w+):", src[i + 1]):
        layer, sub = re.match(r"   (\w+):", src[i + 1]).group(1), None
    m = re.match(r"/\* -{3,4} (.*?) -*( \*/)?$", l)
    if m and layer: sub = m.group(1)
    m = re.match(r"(?:static|CDRESTDEF)\b[^;=]*?\b(cdrest_\w+)\(", l)
    if m and not l.rstrip().endswith(";"): defs.setdefault(m.group(1), set()).add((layer, sub))
    if layer: subs.setdefault(layer, set()).add(sub)
print("ROWS %d" % len(rows))
for row in rows:
    topic, rest = re.split(r"\s{2,}", row, 1)
    for clause in rest.split(";"):
        m = re.match(r'\s*(\w+)(?: "([^"]+)")?(?: \([^)]*\))?:(.*)', clause)
        if not m or m.group(1) not in subs or (m.group(2) and m.group(2) not in subs[m.group(1)]):
            print("FAIL: %s: no such layer or ruler: %s" % (topic, clause.strip())); continue
        names = re.findall(r"\bcdrest_\w+", m.group(3))
        if not names: print("FAIL: %s: no function in: %s" % (topic, clause.strip()))
        for n in names:
            where = defs.get(n, set())
            if any(l == m.group(1) and (not m.group(2) or s == m.group(2)) for l, s in where): print("OK %s" % n)
            else: print("FAIL: %s: %s is not defined under %s%s" % (topic, n, m.group(1), ' "%s"' % m.group(2) if m.group(2) else ""))
PY
rows=$(sed -n 's/^ROWS //p' "$api.map")
[ "${rows:-0}" -ge 12 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: the map has ${rows:-no} rows"; }
pass=$((pass + $(grep -c '^OK ' "$api.map")))
fail=$((fail + $(grep -c '^FAIL' "$api.map")))
grep '^FAIL' "$api.map"

# CONFIGURATION lists every macro a user may set: each one the header tests (#if, #ifdef,
# #ifndef, defined()) but its private CDREST__ ones and its two include guards; the
# README's macro table names each one too.
conf=$(awk '/^   CONFIGURATION/{on=1; next} on && /^   [A-Z]/{exit} on' cdrest.h | sed -n 's/^     \(CDREST[A-Z0-9_]*\).*/\1/p')
used=$(grep -E '^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)\b' cdrest.h | grep -oE '\bCDREST[A-Z0-9_]*' |
  grep -vE '^(CDREST__|CDREST_H_INCLUDED$|CDREST_IMPLEMENTATION_DONE$)' | sort -u)
[ "$(echo "$used" | wc -w)" -ge 25 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: only $(echo "$used" | wc -w) macros found"; }
dup=$(echo "$conf" | sort | uniq -d)
[ -z "$dup" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: listed twice in CONFIGURATION:" $dup; }
for m in $used; do
  if echo "$conf" | grep -qx "$m"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $m is not in cdrest.h's CONFIGURATION list"; fi
  [ "$m" = CDREST_IMPLEMENTATION ] && continue
  if grep -q "^| .*\`$m\b" README.md; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $m is not in README.md's macro table"; fi
done

# File headers say what a file owns, not the issue that made it.
for f in $(git ls-files); do
  case "$f" in *.md | *.json | *.txt | tests/fixtures/* | tests/data/*) continue ;; esac
  if head -n 6 "$f" 2>/dev/null | grep -Eq '\(issue [0-9]'; then fail=$((fail + 1)); echo "FAIL: $f: its header names an issue, not what it owns"; fi
done
pass=$((pass + 1))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
