#!/bin/sh
# SPDX-License-Identifier: MIT
# Check (and, as root on Debian, install) what cdrest's builds, demo and tests need.
#   tools/deps.sh [demo|test|bench|fuzz|portability|all]    (default: test)
# demo: a C compiler, BearSSL, openssl, Python 3 (what `make demo` runs). test: demo plus
# the test peers (nginx, tinyproxy, valgrind, clang, cmake, requests, pkg-config, curl) and
# clang-format (make format-check).
# Each need is checked by what it provides (the command, the header and library, the
# Python module), so a machine without dpkg-query/apt-get where the tools are present
# passes. Something missing: as root with apt-get, it is installed; otherwise this names
# it, with the apt-get line where apt-get exists, and fails.
set -eu
what=${1:-test}
demo_pkgs="gcc make python3 openssl libbearssl-dev"
test_pkgs="$demo_pkgs g++ cmake clang valgrind python3-requests nginx-light tinyproxy pkgconf curl strace clang-format"
# 32-bit builds of the size checks (tests/t_sizes32.sh) where the compiler has -m32.
case $(uname -m) in x86_64|amd64) test_pkgs="$test_pkgs gcc-12-multilib" ;; esac
bench_pkgs="libcurl4-openssl-dev libjsmn-dev hyperfine musl-tools"
fuzz_pkgs="clang libclang-rt-14-dev"
# gcc-12-multilib (also for tests/t_sizes32.sh), not gcc-multilib: that one conflicts with the ARM cross compiler (it only adds
# the /usr/include/asm link, which tools/portability.sh supplies for -m32 itself).
# libc6-dev-armhf-cross is only recommended by the cross compiler; xz-utils unpacks BearSSL's source.
port_pkgs="musl-tools gcc-12-multilib gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user xz-utils"
case "$what" in
  demo) pkgs=$demo_pkgs ;;
  test) pkgs=$test_pkgs ;;
  bench) pkgs="$test_pkgs $bench_pkgs" ;;
  fuzz) pkgs="$test_pkgs $fuzz_pkgs" ;;
  portability) pkgs="$test_pkgs $port_pkgs" ;;
  all) pkgs="$test_pkgs $bench_pkgs $fuzz_pkgs $port_pkgs" ;;
  *) echo "usage: tools/deps.sh [demo|test|bench|fuzz|portability|all]" >&2; exit 2 ;;
esac

has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
cc_cmd=${CC:-cc}
# What a package provides, in words, and a check for it that needs no package manager.
# Packages without such a check (bench/fuzz/portability extras) are asked of dpkg-query.
need() {
  case "$1" in
    gcc) echo "a C compiler ($cc_cmd)" ;;
    make) echo "make" ;;
    python3) echo "Python 3 (python3)" ;;
    python3-requests) echo "the Python module requests" ;;
    openssl) echo "the openssl command" ;;
    libbearssl-dev) echo "BearSSL (bearssl.h and -lbearssl)" ;;
    g++) echo "a C++ compiler (g++)" ;;
    nginx-light) echo "nginx" ;;
    pkgconf) echo "pkg-config" ;;
    gcc-12-multilib) echo "32-bit C builds ($cc_cmd -m32)" ;;
    strace) echo "strace (tests/t_budgets.sh counts system calls)" ;;
    clang-format) echo "clang-format (make format-check)" ;;
    musl-tools) echo "musl-gcc (make cli-static)" ;;
    *) echo "$1" ;;
  esac
}
# compiles SOURCE FLAGS...: the C compiler builds and links SOURCE (printf format) with FLAGS.
compiles() {
  has "$cc_cmd" || return 1
  src=$1; shift
  dir=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-deps.XXXXXX")
  printf "$src" >"$dir/t.c"
  if "$cc_cmd" -o "$dir/t" "$dir/t.c" "$@" >/dev/null 2>&1; then rm -rf "$dir"; return 0; fi
  rm -rf "$dir"; return 1
}
provided() {
  case "$1" in
    gcc) has "$cc_cmd" ;;
    make | python3 | openssl | cmake | clang | valgrind | tinyproxy | curl | strace | clang-format) has "$1" ;;
    musl-tools) has musl-gcc ;;
    g++) has g++ ;;
    nginx-light) has nginx ;;
    pkgconf) has pkg-config ;;
    python3-requests) has python3 && python3 -c 'import requests' 2>/dev/null ;;
    libbearssl-dev)
      compiles '#include <bearssl.h>\nint main(void) { br_sha256_context c; br_sha256_init(&c); return 0; }\n' -lbearssl ;;
    gcc-12-multilib) compiles '#include <stdio.h>\nint main(void) { return 0; }\n' -m32 ;;
    *)
      has dpkg-query || return 1
      dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" ;;
  esac
}

missing=""
for p in $pkgs; do
  provided "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && has apt-get; then
  echo "deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # nginx and tinyproxy are only started by the tests: keep the packages' services off.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  exit 0
fi
echo "cdrest ($what) needs what this machine lacks:" >&2
for p in $missing; do
  echo "  - $(need "$p")   (Debian package $p)" >&2
done
if has apt-get; then
  echo "run:  sudo apt-get install -y$missing" >&2
else
  echo "install them with this system's package manager, then run the command again" >&2
fi
exit 1
