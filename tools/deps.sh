#!/bin/sh
# Install (as root) or check the Debian packages cdrest's builds and tests need.
#   tools/deps.sh [test|bench|fuzz|portability|all]    (default: test)
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu
what=${1:-test}
test_pkgs="gcc g++ make cmake clang valgrind python3 python3-requests openssl libbearssl-dev nginx-light tinyproxy strace"
bench_pkgs="libcurl4-openssl-dev libjsmn-dev hyperfine musl-tools"
fuzz_pkgs="clang libclang-rt-14-dev"
# gcc-12-multilib, not gcc-multilib: that one conflicts with the ARM cross compiler (it only adds
# the /usr/include/asm link, which tools/portability.sh supplies for -m32 itself).
# libc6-dev-armhf-cross is only recommended by the cross compiler; xz-utils unpacks BearSSL's source.
port_pkgs="musl-tools gcc-12-multilib gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user xz-utils"
case "$what" in
  test) pkgs=$test_pkgs ;;
  bench) pkgs="$test_pkgs $bench_pkgs" ;;
  fuzz) pkgs="$test_pkgs $fuzz_pkgs" ;;
  portability) pkgs="$test_pkgs $port_pkgs" ;;
  all) pkgs="$test_pkgs $bench_pkgs $fuzz_pkgs $port_pkgs" ;;
  *) echo "usage: tools/deps.sh [test|bench|fuzz|portability|all]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # nginx and tinyproxy are only started by the tests: keep the packages' services off.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "cdrest needs these Debian packages:$missing" >&2
  echo "run:  sudo apt-get install -y$missing" >&2
  exit 1
fi
