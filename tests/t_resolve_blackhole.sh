#!/bin/sh
# Name resolution within the deadline, against a real resolver that never answers: in a
# private mount namespace, /etc/resolv.conf points at 127.83.83.83, where
# build/asan/test_resolve binds a UDP socket that reads nothing (CDREST_DNS_BLACKHOLE).
# With CDREST_GETADDRINFO_A a 1 s request must end at 1 s (plain getaddrinfo takes glibc's
# 5 s x 2 tries). Needs root (or user namespaces) for unshare; prints "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
t=$B/asan/test_resolve
[ -x "$t" ] || { echo "$t is not built"; echo "0 passed, 1 failed"; exit 1; }
if [ "$(id -u)" = 0 ]; then ns="unshare -m"; else ns="unshare -rm"; fi
if ! $ns true 2>/dev/null; then
  echo "SKIPPED: no mount namespace here (unshare -m), so no resolver can be pointed at a black hole"
  echo "0 passed, 0 failed"
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-resolv.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf 'nameserver 127.83.83.83\noptions timeout:5 attempts:2\n' >"$tmp/resolv.conf"
CDREST_TESTS=${CDREST_TESTS:-$PWD/tests} CDREST_DNS_BLACKHOLE=127.83.83.83 \
  $ns sh -c 'mount --bind "$1" /etc/resolv.conf && exec "$2"' sh "$tmp/resolv.conf" "$t"
