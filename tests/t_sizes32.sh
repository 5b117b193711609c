#!/bin/sh
# tests/test_sizes.c as a 32-bit program (gcc -m32, no TLS: Debian has no i386 BearSSL in
# the test dependencies), where size_t sums near 4 GiB really wrap. Prints its
# "N passed, N failed". Needs gcc-12-multilib (tools/deps.sh test).
cd "$(dirname "$0")/.." || exit 1
# -m32 is an x86-64 compiler's option; elsewhere (arm64, ...) there is no 32-bit variant of the
# native compiler to build with (32-bit ARM is covered by `make portability` under qemu).
case $(uname -m) in
  x86_64|amd64) ;;
  *) echo "t_sizes32: skipped: no -m32 build on $(uname -m)"; echo "0 passed, 0 failed"; exit 0 ;;
esac
B=${B:-build}
d=$B/m32
mkdir -p "$d/inc"
# what gcc-multilib would add (gcc-12-multilib alone lacks it; see tools/deps.sh)
[ -e "$d/inc/asm" ] || ln -sfn /usr/include/x86_64-linux-gnu/asm "$d/inc/asm"
if ! gcc -m32 -std=c99 -D_DEFAULT_SOURCE -DCDREST_NO_TLS -Wall -Wextra -Wpedantic -Werror -g -O1 \
     -isystem "$d/inc" -I. -Itests -o "$d/test_sizes" tests/test_sizes.c 2>"$d/build.log"; then
  sed 's/^/  /' "$d/build.log"
  echo "0 passed, 1 failed"
  exit 1
fi
readelf -h "$d/test_sizes" 2>/dev/null | grep -q ELF32 || { echo "not a 32-bit program"; echo "0 passed, 1 failed"; exit 1; }
"$d/test_sizes"
