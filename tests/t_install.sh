#!/bin/sh
# SPDX-License-Identifier: MIT
# `make install` (DESTDIR, PREFIX) and the CMake target: the installed header, tool and
# pkg-config file work for a program built against them, and a CMake project gets
# cdrest::cdrest through FetchContent (add_subdirectory underneath). Ends "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; [ -f "$tmp/log" ] && tail -n 20 "$tmp/log"; }
check() { what=$1; shift; if "$@" >"$tmp/log" 2>&1; then ok "$what"; else bad "$what"; fi; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

check "make install DESTDIR=... PREFIX=/opt/cdrest" make --no-print-directory install DESTDIR="$root" PREFIX=/opt/cdrest
[ -f "$root/opt/cdrest/include/cdrest.h" ] && cmp -s cdrest.h "$root/opt/cdrest/include/cdrest.h" && ok "header installed" || bad "header installed"
[ -x "$root/opt/cdrest/bin/cdrest" ] && "$root/opt/cdrest/bin/cdrest" --version | grep -q "cdrest 0" && ok "tool installed and runs" || bad "tool installed and runs"
pc=$root/opt/cdrest/lib/pkgconfig/cdrest.pc
version=$(sed -n 's/^#define CDREST_VERSION "\(.*\)"/\1/p' cdrest.h)
grep -q "^prefix=/opt/cdrest$" "$pc" && grep -q "^Version: $version$" "$pc" && grep -q "^Libs: -lbearssl$" "$pc" &&
  ok "cdrest.pc names the prefix, version $version and -lbearssl" || bad "cdrest.pc content"

# A program built with the pkg-config file's flags (read by hand: pkg-config may be absent).
cat >"$tmp/app.c" <<'C'
#define CDREST_IMPLEMENTATION
#include <cdrest.h>
int main(void) {
    cdrest_url u;
    return !(cdrest_url_parse(&u, "https://cd.example.com:8443", NULL) == 0 && u.port == 8443 &&
             !strcmp(CDREST_VERSION, CDREST_EXPECT));
}
C
cflags=$(sed -n 's/^Cflags: //p' "$pc" | sed "s|\${includedir}|$root/opt/cdrest/include|")
libs=$(sed -n 's/^Libs: //p' "$pc")
check "a program built with cdrest.pc's flags against the installed header runs" \
  sh -c "cc -std=c99 -Wall -Wextra -Werror $cflags -DCDREST_EXPECT='\"$version\"' -o '$tmp/app' '$tmp/app.c' $libs && '$tmp/app'"

# CMake: FetchContent from this checkout, then target_link_libraries(... cdrest::cdrest).
if command -v cmake >/dev/null 2>&1; then
  mkdir -p "$tmp/cm"
  cp "$tmp/app.c" "$tmp/cm/app.c"
  sed -i 's|#include <cdrest.h>|#include "cdrest.h"|' "$tmp/cm/app.c"
  cat >"$tmp/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.14)
project(app C)
include(FetchContent)
FetchContent_Declare(cdrest SOURCE_DIR "$PWD")
FetchContent_MakeAvailable(cdrest)
add_executable(app app.c)
target_compile_definitions(app PRIVATE CDREST_EXPECT="$version")
target_link_libraries(app PRIVATE cdrest::cdrest)
CM
  check "CMake: configure a project that fetches cdrest" cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_BUILD_TYPE=Release
  check "CMake: build it against cdrest::cdrest (include dir and BearSSL from the target)" cmake --build "$tmp/cm/build"
  check "CMake: the program runs" "$tmp/cm/build/app"
  check "CMake: install exports cdrest::cdrest" sh -c "cmake -S . -B '$tmp/self' >/dev/null && cmake --install '$tmp/self' --prefix '$tmp/cmroot' >/dev/null && test -f '$tmp/cmroot/lib/cmake/cdrest/cdrestTargets.cmake' && grep -q 'cdrest::cdrest' '$tmp/cmroot/lib/cmake/cdrest/cdrestTargets.cmake'"
else
  bad "cmake is not installed"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
