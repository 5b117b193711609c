#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/deps.sh on a machine without dpkg-query and apt-get (a PATH holding every tool of
# this one except those): with the tools present, `demo` and `test` pass and `make demo`
# runs end to end; with one missing (openssl), both fail and name it; the demo set does not
# ask for the test peers. Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; [ -f "$tmp/log" ] && tail -n 20 "$tmp/log"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-deps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# fakebin DIR EXCLUDED...: DIR gets a link to every command on this machine but the excluded.
fakebin() {
  dir=$1; shift
  mkdir -p "$dir"
  for d in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
      name=${f##*/}
      [ -e "$dir/$name" ] && continue
      skip=0
      for x in "$@"; do [ "$name" = "$x" ] && skip=1; done
      [ $skip = 1 ] || ln -s "$f" "$dir/$name"
    done
  done
}
nopm="dpkg-query dpkg apt-get apt apt-cache"
fakebin "$tmp/bin" $nopm
fakebin "$tmp/bin-noopenssl" $nopm openssl

[ ! -e "$tmp/bin/dpkg-query" ] && [ ! -e "$tmp/bin/apt-get" ] && ok "the fake PATH has no dpkg-query, no apt-get" ||
  bad "the fake PATH still has a package manager"

for set in demo test; do
  if PATH=$tmp/bin sh tools/deps.sh $set >"$tmp/log" 2>&1; then
    ok "deps.sh $set passes without dpkg-query/apt-get when the tools are present"
  else
    bad "deps.sh $set without dpkg-query/apt-get"
  fi
  if PATH=$tmp/bin-noopenssl sh tools/deps.sh $set >"$tmp/log" 2>&1; then
    bad "deps.sh $set passed with openssl missing"
  elif grep -q "openssl" "$tmp/log" && ! grep -q "apt-get install" "$tmp/log"; then
    ok "deps.sh $set names the missing openssl (and no apt-get line where there is no apt-get)"
  else
    bad "deps.sh $set failed without naming openssl"
  fi
done

# The demo set is what the demo uses, not the test peers.
PATH=$tmp/bin-noopenssl sh tools/deps.sh demo 2>"$tmp/log"
if grep -q -e nginx -e tinyproxy -e valgrind -e cmake -e requests "$tmp/log"; then
  bad "deps.sh demo asks for test peers"
else
  ok "deps.sh demo asks for no test peer"
fi

# And the whole demo, under that PATH.
if PATH=$tmp/bin make --no-print-directory demo >"$tmp/log" 2>&1 && grep -q "Done: the emulator is stopped" "$tmp/log"; then
  ok "make demo runs end to end without dpkg-query/apt-get"
else
  bad "make demo without dpkg-query/apt-get"
fi
if PATH=$tmp/bin-noopenssl make --no-print-directory demo >"$tmp/log" 2>&1; then
  bad "make demo passed with openssl missing"
elif grep -q "the openssl command" "$tmp/log"; then
  ok "make demo without openssl stops and names it"
else
  bad "make demo without openssl did not name it"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
