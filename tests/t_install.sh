#!/bin/sh
# SPDX-License-Identifier: MIT
# Installing cdrest, both ways, into staging directories (DESTDIR), and consuming the result:
#   - `make install` and `cmake --install` install the same files (header, tool, cdrest.pc,
#     the CMake package, the man page), with the same contents where they are not built;
#   - a program builds with `pkg-config --cflags --libs cdrest` and with
#     find_package(cdrest CONFIG) against the staged trees, and runs;
#   - the version comes from cdrest.h alone (a copy with another version installs that one
#     everywhere: CMake, pkg-config, the package version file, `cdrest --version`);
#   - `make install` builds without -Werror (a compiler warning does not stop it);
#   - a CMake project that fetches the checkout (FetchContent) gets cdrest::cdrest.
# Ends "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; [ -f "$tmp/log" ] && tail -n 20 "$tmp/log"; }
check() { what=$1; shift; if "$@" >"$tmp/log" 2>&1; then ok "$what"; else bad "$what"; fi; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
version=$(sed -n 's/^#define CDREST_VERSION "\(.*\)"/\1/p' cdrest.h)
P=/opt/cdrest
mk=$tmp/make-stage
cm=$tmp/cmake-stage

# --- the two installs ------------------------------------------------------------------
check "make install DESTDIR=... PREFIX=$P" make --no-print-directory -B install DESTDIR="$mk" PREFIX=$P
grep -q -- "-Werror" "$tmp/log" && bad "make install compiled with -Werror" || ok "make install compiles without -Werror"
check "cmake: configure this checkout" cmake -S . -B "$tmp/self" -DCMAKE_BUILD_TYPE=Release
check "cmake: build the tool" cmake --build "$tmp/self"
check "cmake --install --prefix $P (DESTDIR=...)" env DESTDIR="$cm" cmake --install "$tmp/self" --prefix $P

(cd "$mk" && find . -type f | sort) >"$tmp/make.files"
(cd "$cm" && find . -type f | sort) >"$tmp/cmake.files"
expected="./opt/cdrest/bin/cdrest
./opt/cdrest/include/cdrest.h
./opt/cdrest/lib/cmake/cdrest/cdrestConfig.cmake
./opt/cdrest/lib/cmake/cdrest/cdrestConfigVersion.cmake
./opt/cdrest/lib/pkgconfig/cdrest.pc
./opt/cdrest/share/man/man1/cdrest.1"
if [ "$(cat "$tmp/make.files")" = "$expected" ]; then ok "make install installs the six files"; else
  bad "make install's files:"; cat "$tmp/make.files"; fi
if cmp -s "$tmp/make.files" "$tmp/cmake.files"; then ok "make install and cmake --install install the same files"; else
  bad "make install and cmake --install differ:"; diff "$tmp/make.files" "$tmp/cmake.files"; fi
same=1
for f in include/cdrest.h lib/cmake/cdrest/cdrestConfig.cmake lib/cmake/cdrest/cdrestConfigVersion.cmake \
         lib/pkgconfig/cdrest.pc share/man/man1/cdrest.1; do
  cmp -s "$mk$P/$f" "$cm$P/$f" || { same=0; echo "  differs: $f"; diff "$mk$P/$f" "$cm$P/$f" | head -5; }
done
[ $same = 1 ] && ok "and with the same contents (all but the compiled tool)" || bad "the installed files differ"
cmp -s cdrest.h "$mk$P/include/cdrest.h" && ok "the installed header is cdrest.h" || bad "installed header"

for stage in "$mk" "$cm"; do
  out=$("$stage$P/bin/cdrest" --version 2>&1)
  [ "$out" = "cdrest $version" ] && ok "installed tool: cdrest --version says $version" || bad "cdrest --version said '$out'"
done
pc=$mk$P/lib/pkgconfig/cdrest.pc
grep -q "^prefix=$P$" "$pc" && grep -q "^Version: $version$" "$pc" && grep -q "^Libs: -lbearssl$" "$pc" &&
  ok "cdrest.pc names the prefix, version $version and -lbearssl" || bad "cdrest.pc content"

# --- consumers -------------------------------------------------------------------------
cat >"$tmp/app.c" <<'C'
#define CDREST_IMPLEMENTATION
#include <cdrest.h>
#include <string.h>
int main(void) {
    cdrest_url u;
    return !(cdrest_url_parse(&u, "https://cd.example.com:8443", NULL) == 0 && u.port == 8443 &&
             !strcmp(CDREST_VERSION, CDREST_EXPECT));
}
C
if command -v pkg-config >/dev/null 2>&1; then
  for stage in "$mk" "$cm"; do
    flags=$(PKG_CONFIG_SYSROOT_DIR=$stage PKG_CONFIG_PATH=$stage$P/lib/pkgconfig PKG_CONFIG_LIBDIR=/nonexistent \
            pkg-config --cflags --libs cdrest 2>"$tmp/log")
    check "pkg-config --modversion cdrest = $version ($(basename "$stage"))" \
      sh -c "[ \"\$(PKG_CONFIG_PATH=$stage$P/lib/pkgconfig PKG_CONFIG_LIBDIR=/nonexistent pkg-config --modversion cdrest)\" = $version ]"
    check "a program built with \`pkg-config --cflags --libs cdrest\` ($flags) runs ($(basename "$stage"))" \
      sh -c "cc -std=c99 -Wall -Wextra -Werror -DCDREST_EXPECT='\"$version\"' -o '$tmp/app' '$tmp/app.c' $flags && '$tmp/app'"
  done
else
  bad "pkg-config is not installed (tools/deps.sh test)"
fi

if command -v cmake >/dev/null 2>&1; then
  mkdir -p "$tmp/fp"
  cp "$tmp/app.c" "$tmp/fp/app.c"
  cat >"$tmp/fp/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.14)
project(app C)
find_package(cdrest \${WANT} CONFIG REQUIRED)
add_executable(app app.c)
target_compile_definitions(app PRIVATE CDREST_EXPECT="\${cdrest_VERSION}")
target_link_libraries(app PRIVATE cdrest::cdrest)
CM
  n=0
  for stage in "$mk" "$cm"; do
    n=$((n + 1))
    check "find_package(cdrest $version CONFIG) in the $(basename "$stage") tree" \
      cmake -S "$tmp/fp" -B "$tmp/fp/b$n" -DCMAKE_PREFIX_PATH="$stage$P" -DWANT="$version"
    check "build against the imported cdrest::cdrest and run ($(basename "$stage"))" \
      sh -c "cmake --build '$tmp/fp/b$n' && '$tmp/fp/b$n/app'"
  done
  if cmake -S "$tmp/fp" -B "$tmp/fp/too-new" -DCMAKE_PREFIX_PATH="$mk$P" -DWANT=99.0 >"$tmp/log" 2>&1; then
    bad "find_package(cdrest 99.0) accepted version $version"
  else
    grep -q "$version" "$tmp/log" && ok "find_package(cdrest 99.0) is refused, naming version $version" ||
      bad "find_package(cdrest 99.0) failed without naming the version"
  fi

  # FetchContent from this checkout, then target_link_libraries(... cdrest::cdrest).
  mkdir -p "$tmp/fc"
  cp "$tmp/app.c" "$tmp/fc/app.c"
  sed -i 's|#include <cdrest.h>|#include "cdrest.h"|' "$tmp/fc/app.c"
  cat >"$tmp/fc/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.14)
project(app C)
include(FetchContent)
FetchContent_Declare(cdrest SOURCE_DIR "$PWD")
FetchContent_MakeAvailable(cdrest)
add_executable(app app.c)
target_compile_definitions(app PRIVATE CDREST_EXPECT="$version")
target_link_libraries(app PRIVATE cdrest::cdrest)
CM
  check "CMake: configure a project that fetches cdrest" cmake -S "$tmp/fc" -B "$tmp/fc/build" -DCMAKE_BUILD_TYPE=Release
  check "CMake: build it against cdrest::cdrest (include dir and BearSSL from the target)" cmake --build "$tmp/fc/build"
  check "CMake: the program runs" "$tmp/fc/build/app"
  [ ! -e "$tmp/fc/build/_deps/cdrest-build/cdrest" ] && ok "a fetched cdrest builds no tool of its own" ||
    bad "a fetched cdrest built its tool"
else
  bad "cmake is not installed"
fi

# --- the header in its own directory (INCDIR, CMAKE_INSTALL_INCLUDEDIR) --------------------
# cdrest.pc and cdrestConfig.cmake must name the directory the header was installed to.
sub=$tmp/sub-make
subc=$tmp/sub-cmake
check "make install INCDIR=$P/include/cdrest" make --no-print-directory install DESTDIR="$sub" PREFIX=$P INCDIR=$P/include/cdrest
check "cmake --install with CMAKE_INSTALL_INCLUDEDIR=include/cdrest" sh -c \
  "cmake -S . -B '$tmp/subb' -DCMAKE_INSTALL_INCLUDEDIR=include/cdrest && cmake --build '$tmp/subb' && DESTDIR='$subc' cmake --install '$tmp/subb' --prefix $P"
n=0
for stage in "$sub" "$subc"; do
  n=$((n + 1))
  [ -f "$stage$P/include/cdrest/cdrest.h" ] && ok "header in include/cdrest ($(basename "$stage"))" || bad "header not in include/cdrest ($(basename "$stage"))"
  if command -v pkg-config >/dev/null 2>&1; then
    flags=$(PKG_CONFIG_SYSROOT_DIR=$stage PKG_CONFIG_PATH=$stage$P/lib/pkgconfig PKG_CONFIG_LIBDIR=/nonexistent \
            pkg-config --cflags --libs cdrest 2>"$tmp/log")
    check "pkg-config finds the header in include/cdrest ($(basename "$stage"))" \
      sh -c "cc -std=c99 -Wall -Wextra -Werror -DCDREST_EXPECT='\"$version\"' -o '$tmp/app' '$tmp/app.c' $flags && '$tmp/app'"
  fi
  if command -v cmake >/dev/null 2>&1; then
    check "find_package(cdrest) finds the header in include/cdrest ($(basename "$stage"))" sh -c \
      "cmake -S '$tmp/fp' -B '$tmp/fp/sub$n' -DCMAKE_PREFIX_PATH='$stage$P' -DWANT='$version' && cmake --build '$tmp/fp/sub$n' && '$tmp/fp/sub$n/app'"
  fi
done

# The numeric version macros say what the string says.
maj=$(sed -n 's/^#define CDREST_VERSION_MAJOR \([0-9]*\)$/\1/p' cdrest.h)
min=$(sed -n 's/^#define CDREST_VERSION_MINOR \([0-9]*\)$/\1/p' cdrest.h)
pat=$(sed -n 's/^#define CDREST_VERSION_PATCH \([0-9]*\)$/\1/p' cdrest.h)
[ "$maj.$min.$pat" = "$version" ] && ok "CDREST_VERSION_MAJOR/MINOR/PATCH match CDREST_VERSION $version" ||
  bad "CDREST_VERSION_MAJOR/MINOR/PATCH say $maj.$min.$pat, CDREST_VERSION says $version"

# --- one version, in the header ----------------------------------------------------------
mkdir -p "$tmp/v/src"
git ls-files -z --cached --others --exclude-standard | grep -zv '^tests/data/' | xargs -0 cp --parents -t "$tmp/v/src" 2>/dev/null
sed -i 's/^#define CDREST_VERSION "[^"]*"/#define CDREST_VERSION "9.8.7"/' "$tmp/v/src/cdrest.h"
check "a copy with CDREST_VERSION 9.8.7: make install" make -C "$tmp/v/src" --no-print-directory install DESTDIR="$tmp/v/mk" PREFIX=$P
check "and cmake --install" sh -c "cmake -S '$tmp/v/src' -B '$tmp/v/b' && cmake --build '$tmp/v/b' && DESTDIR='$tmp/v/cm' cmake --install '$tmp/v/b' --prefix $P"
for stage in "$tmp/v/mk" "$tmp/v/cm"; do
  w=$(basename "$stage")
  [ "$("$stage$P/bin/cdrest" --version)" = "cdrest 9.8.7" ] && ok "$w: cdrest --version says 9.8.7" || bad "$w: cdrest --version"
  grep -q '^Version: 9.8.7$' "$stage$P/lib/pkgconfig/cdrest.pc" && ok "$w: cdrest.pc says 9.8.7" || bad "$w: cdrest.pc version"
  grep -q 'PACKAGE_VERSION "9.8.7"' "$stage$P/lib/cmake/cdrest/cdrestConfigVersion.cmake" &&
    ok "$w: the CMake package says 9.8.7" || bad "$w: cdrestConfigVersion.cmake version"
done
grep -q '^CMAKE_PROJECT_VERSION:STATIC=9.8.7$' "$tmp/v/b/CMakeCache.txt" && ok "CMake's project version is 9.8.7" ||
  bad "CMake's project version is not the header's"
if git grep -n -e "$version" -- CMakeLists.txt Makefile tools/ docs/ >"$tmp/log" 2>&1; then
  bad "the version $version is written outside cdrest.h:"; cat "$tmp/log"
else
  ok "no build file repeats the version $version"
fi

# --- make install does not stop at a warning ----------------------------------------------
check "make install with an extra warning enabled (-Wconversion) still installs" \
  make --no-print-directory -B install DESTDIR="$tmp/warn" PREFIX=$P CFLAGS="-O2 -Wconversion"
grep -q "warning:" "$tmp/log" && ok "(and the compiler did warn: the check can fail)" ||
  bad "-Wconversion gave no warning: pick another flag for this check"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
