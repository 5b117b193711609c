#!/bin/sh
# SPDX-License-Identifier: MIT
# Embedded and restricted builds (issue 9), end to end:
#  - CDREST_NO_MALLOC: with nm, the objects reference no allocator at all (and, as a
#    control, the default build does); CDREST_NO_SOCKETS leaves every socket call out;
#  - tools/mkanchors: its output compiles (-std=c99 -Wpedantic -Werror) and matches
#    its input, and bad input is refused;
#  - examples/static_client.c (zero allocation, compiled-in trust anchors) against the
#    bundled emulator over http and https - the anchors verify a real handshake (RSA
#    and, through an EC intermediate, ECDSA), a store without the server's CA refuses
#    it, too-large requests and answers fail cleanly, a too-small TLS block says so;
#  - examples/custom_transport.c (a simulated modem over pipes) over http and https.
# Run from the repository root: sh tests/t_embedded.sh. Ends with "N passed, N failed".
# CC (default cc) builds everything; TLS parts are skipped when BearSSL is missing.
cd "$(dirname "$0")/.." || exit 1
CC=${CC:-cc}
WARN="-Wall -Wextra -Wpedantic -Werror"
. tests/lib.sh
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   - $1${T0:+ ($(($(date +%s) - T0))s)}"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; [ -f "$tmp/log" ] && sed 's/^/       | /' "$tmp/log" | tail -n 25; }
# check NAME CMD...: run CMD (output to $tmp/log); pass when it exits 0.
check() { name=$1; shift; if "$@" >"$tmp/log" 2>&1; then ok "$name"; else bad "$name"; fi; }
# expect_fail NAME TEXT CMD...: pass when CMD exits non-zero and its output contains TEXT.
expect_fail() {
  name=$1; text=$2; shift 2
  if "$@" >"$tmp/log" 2>&1; then bad "$name (it succeeded)"
  elif grep -qF -- "$text" "$tmp/log"; then ok "$name"
  else bad "$name (no \"$text\" in the output)"; fi
}
# has LOG TEXT...: every TEXT appears in LOG.
has() { f=$1; shift; for t in "$@"; do grep -qF -- "$t" "$f" || { echo "missing: $t" >>"$tmp/log"; return 1; }; done; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

# --- what this machine can build ------------------------------------------------------
printf '#include <bearssl.h>\nint main(void){br_sha256_context c; br_sha256_init(&c); return 0;}\n' >"$tmp/probe.c"
TLS=1
$CC -std=c99 -o "$tmp/probe" "$tmp/probe.c" -lbearssl >/dev/null 2>&1 || TLS=0
if [ $TLS = 1 ]; then TLSFLAGS=""; TLSLIB="-lbearssl"; else TLSFLAGS="-DCDREST_NO_TLS"; TLSLIB=""; echo "note: no BearSSL here: TLS checks skipped"; fi
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
printf 'int main(void){return 0;}\n' >"$tmp/san.c"
$CC $SAN -o "$tmp/san" "$tmp/san.c" >/dev/null 2>&1 && "$tmp/san" || SAN=""
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# --- nm: no allocator in CDREST_NO_MALLOC objects, no sockets with CDREST_NO_SOCKETS ----
printf '#define CDREST_IMPLEMENTATION\n#include "cdrest.h"\n' >"$tmp/impl.c"
ALLOC='^(malloc|calloc|realloc|reallocarray|free|strdup|strndup|aligned_alloc|posix_memalign|memalign|valloc)$'
SOCK='^(socket|connect|getaddrinfo|freeaddrinfo|poll|recv|send|setsockopt|getsockopt|getnameinfo)$'
# undefined NAME CFLAGS...: compile impl.c with CFLAGS, list its undefined symbols.
undefined() {
  n=$1; shift
  $CC $WARN "$@" -I. -c "$tmp/impl.c" -o "$tmp/$n.o" >"$tmp/log" 2>&1 &&
    nm -u "$tmp/$n.o" | awk '{print $NF}' | sed 's/@.*//' >"$tmp/$n.syms"
}
# none_of NAME REGEX CFLAGS...: pass when the object references nothing matching REGEX.
none_of() {
  n=$1; re=$2; shift 2
  if ! undefined "$n" "$@"; then bad "$n: does not compile"; return; fi
  if grep -Eq "$re" "$tmp/$n.syms"; then
    echo "referenced: $(grep -E "$re" "$tmp/$n.syms" | tr '\n' ' ')" >"$tmp/log"; bad "$n: nm finds $(grep -E "$re" "$tmp/$n.syms" | tr '\n' ' ')"
  else ok "$n: nm finds none of them"; fi
}
none_of "NO_MALLOC -O0" "$ALLOC" -std=c99 -O0 -DCDREST_NO_MALLOC $TLSFLAGS
none_of "NO_MALLOC -Os" "$ALLOC" -std=c99 -Os -DCDREST_NO_MALLOC $TLSFLAGS
none_of "NO_MALLOC NO_TLS" "$ALLOC" -std=c99 -O0 -DCDREST_NO_MALLOC -DCDREST_NO_TLS
none_of "NO_MALLOC NO_SOCKETS NO_FILES" "$ALLOC" -std=c99 -O0 -DCDREST_NO_MALLOC -DCDREST_NO_SOCKETS -DCDREST_NO_FILES $TLSFLAGS
if command -v c++ >/dev/null 2>&1; then
  CC_SAVE=$CC; CC="c++ -x c++"
  none_of "NO_MALLOC as C++" "$ALLOC" -std=c++11 -O0 -DCDREST_NO_MALLOC $TLSFLAGS
  CC=$CC_SAVE
fi
none_of "NO_SOCKETS" "$SOCK" -std=c99 -O0 -DCDREST_NO_SOCKETS $TLSFLAGS
# Controls: the same check does see the allocator and the sockets in a default build.
if undefined default -std=c99 -O0 $TLSFLAGS && grep -Eq '^malloc$' "$tmp/default.syms" && grep -Eq '^socket$' "$tmp/default.syms"; then
  ok "control: a default build does reference malloc and socket"
else bad "control: nm did not see malloc/socket in a default build"; fi

# --- the examples and the tool --------------------------------------------------------
# Sanitized builds at -O0 (the header is large: -O1 with ASan costs seconds per build).
# cc_san OUT ARGS...: compile with the test warnings and the sanitizers.
cc_san() { out=$1; shift; $CC -std=c99 $WARN -g -O0 $SAN -I. "$@" -o "$tmp/$out" $TLSLIB >"$tmp/log" 2>&1; }
check "static_client builds (CDREST_NO_MALLOC)" cc_san static_client examples/static_client.c $TLSFLAGS
$CC -std=c99 $WARN -O2 -I. $TLSFLAGS -c examples/static_client.c -o "$tmp/sc.o" >"$tmp/log" 2>&1 &&
  nm -u "$tmp/sc.o" | awk '{print $NF}' | sed 's/@.*//' >"$tmp/sc.syms"
if [ -f "$tmp/sc.syms" ] && ! grep -Eq "$ALLOC" "$tmp/sc.syms"; then ok "static_client.o: nm finds no allocator"
else bad "static_client.o: allocator referenced: $(grep -E "$ALLOC" "$tmp/sc.syms" 2>/dev/null | tr '\n' ' ')"; fi
check "custom_transport builds (CDREST_NO_SOCKETS)" cc_san custom_transport examples/custom_transport.c $TLSFLAGS

if [ $TLS = 1 ]; then
  check "mkanchors builds" cc_san mkanchors tools/mkanchors.c
  if [ -f tests/mkcerts.sh ] && command -v openssl >/dev/null 2>&1 && sh tests/mkcerts.sh "$tmp/certs" >"$tmp/log" 2>&1; then
    C=$tmp/certs
    M=$tmp/mkanchors
    check "mkanchors: ca.pem" "$M" -o "$tmp/anchors.h" "$C/ca.pem"
    check "mkanchors: intermediate (EC key)" "$M" -o "$tmp/inter.h" "$C/inter.pem"
    check "mkanchors: bundle, DER, CRLF, directory, extern" "$M" -x -n bundle -o "$tmp/bundle.c" \
      "$C/ca-bundle.pem" "$C/ca.der" "$C/ca-crlf.pem" "$C/cadir" "$C/inter.pem"
    # the output compiles cleanly and holds what it was given
    printf '#include "anchors.h"\nint main(void){\n  return !(TAs_NUM == 1 && sizeof TAs / sizeof TAs[0] == 1 && (TAs[0].flags & BR_X509_TA_CA) &&\n    TAs[0].pkey.key_type == BR_KEYTYPE_RSA && TAs[0].pkey.key.rsa.nlen == 256);\n}\n' >"$tmp/ta1.c"
    check "mkanchors: output compiles (-std=c99 -Wpedantic -Werror), RSA anchor right" \
      sh -c "$CC -std=c99 $WARN -I'$tmp' -o '$tmp/ta1' '$tmp/ta1.c' && '$tmp/ta1'"
    printf '#include "inter.h"\nint main(void){ return !(TAs_NUM == 1 && TAs[0].pkey.key_type == BR_KEYTYPE_EC && TAs[0].pkey.key.ec.curve == BR_EC_secp256r1 && TAs[0].pkey.key.ec.qlen == 65); }\n' >"$tmp/ta2.c"
    check "mkanchors: EC anchor right (P-256, 65-byte point)" sh -c "$CC -std=c99 $WARN -I'$tmp' -o '$tmp/ta2' '$tmp/ta2.c' && '$tmp/ta2'"
    printf '#include <bearssl.h>\nextern const br_x509_trust_anchor bundle[]; extern const size_t bundle_NUM;\nint main(void){ return bundle_NUM == 3 ? 0 : (int)bundle_NUM; }\n' >"$tmp/ta3.c"
    check "mkanchors -x: two CAs and an intermediate, duplicates merged" \
      sh -c "$CC -std=c99 $WARN -o '$tmp/ta3' '$tmp/ta3.c' '$tmp/bundle.c' && '$tmp/ta3'"
    expect_fail "mkanchors: a key file is no certificate" "no usable certificate" "$M" "$C/ca.key"
    expect_fail "mkanchors: usage" "usage:" "$M"
    # Trust stores as files of their own (mkanchors -x), linked to one static_client object.
    for s in ca:ca.pem inter:inter.pem other:other-ca.pem; do
      "$M" -x -o "$tmp/ta_${s%%:*}.c" "$C/${s#*:}" 2>/dev/null &&
        $CC -std=c99 $WARN -c "$tmp/ta_${s%%:*}.c" -o "$tmp/ta_${s%%:*}.o" 2>>"$tmp/log"
    done
    check "static_client with TRUST_ANCHORS_EXTERN links with three trust stores" sh -c "
      $CC -std=c99 $WARN -g -O0 $SAN -I. -DTRUST_ANCHORS_EXTERN -c examples/static_client.c -o '$tmp/sc_ext.o' &&
      for t in ca inter other; do $CC $SAN -o '$tmp/sc_'\$t '$tmp/sc_ext.o' '$tmp/ta_'\$t.o -lbearssl || exit 1; done"
    check "static_client -DTRUST_ANCHORS_H (one file, brssl ta style) builds" \
      sh -c "$CC -std=c99 $WARN -O0 -I. -DTRUST_ANCHORS_H='\"$tmp/anchors.h\"' -o '$tmp/sc_h' examples/static_client.c -lbearssl"
    check "static_client builds at small sizes (RX 2048, TX 4096, 32 tokens, no spare TLS room)" \
      sh -c "$CC -std=c99 $WARN -O0 -I. -DTRUST_ANCHORS_EXTERN -DRX_SIZE=2048 -DTX_SIZE=4096 -DMAX_TOKENS=32 -DTLS_EXTRA=0 -o '$tmp/sc_small' examples/static_client.c '$tmp/ta_ca.o' -lbearssl"
    check "static_client builds as the smallest build (NO_FILES NO_ENV NO_PROXY NO_REDIRECTS TERSE_ERRORS)" \
      sh -c "$CC -std=c99 $WARN -O0 -I. -DCDREST_NO_FILES -DCDREST_NO_ENV -DCDREST_NO_PROXY -DCDREST_NO_REDIRECTS -DCDREST_TERSE_ERRORS -DTRUST_ANCHORS_EXTERN -o '$tmp/sc_tiny' examples/static_client.c '$tmp/ta_ca.o' -lbearssl"
  else
    bad "tests/mkcerts.sh could not make certificates"
  fi
fi

# --- against the emulator -------------------------------------------------------------
# start NAME ARGS...: an emulator whose jobs take a second; sets $port.
start() {
  start_emu "$@" --job-seconds 1 || { echo "$lib_why" >"$tmp/log"; return 1; }
}

if ! start http; then bad "the emulator starts"; finish; fi
HTTP=http://127.0.0.1:$port
STATIC_OK="done: no allocation by cdrest"
run_static() { "$tmp/$1" "$2" admin changeme >"$tmp/log" 2>&1 && has "$tmp/log" "too large, as expected" "$STATIC_OK" "outcome success"; }
check "static_client over http (both too-large cases, a job, no allocation)" run_static static_client "$HTTP"
check "custom_transport over http (through the modem)" sh -c "'$tmp/custom_transport' '$HTTP' admin changeme >'$tmp/ct.log' 2>&1; rc=\$?; cat '$tmp/ct.log'; [ \$rc = 0 ] && grep -q 'modem: 1 connection' '$tmp/ct.log' && grep -q 'outcome success' '$tmp/ct.log'"
expect_fail "custom_transport: the modem's connect error reaches the caller" "connection refused" \
  "$tmp/custom_transport" http://127.0.0.1:1 admin changeme

if [ $TLS = 1 ] && [ -f "$tmp/anchors.h" ]; then
  if start https --cert "$C/rsa.pem" --key "$C/rsa.key" && HTTPS=https://localhost:$port &&
     start chain --cert "$C/chain.pem" --key "$C/chain.key"; then
    CHAIN=https://localhost:$port
    check "static_client https, compiled-in anchors (RSA)" run_static sc_ca "$HTTPS"
    check "static_client https by IP address (iPAddress SAN)" run_static sc_ca "https://127.0.0.1:${HTTPS##*:}"
    check "static_client https, one-file anchors (TRUST_ANCHORS_H)" run_static sc_h "$HTTPS"
    check "static_client https, ECDSA chain verified by the EC intermediate as anchor" run_static sc_inter "$CHAIN"
    expect_fail "static_client: a store without the server's CA refuses it" "not trusted" "$tmp/sc_other" "$HTTPS" admin changeme
    check "static_client https at small sizes" run_static sc_small "$HTTPS"
    check "static_client https, the smallest build" run_static sc_tiny "$HTTPS"
    check "static_client https, CA file loaded into tls_memory" sh -c "CDREST_CACERT='$C/ca.pem' '$tmp/static_client' '$HTTPS' admin changeme | grep -qF '$STATIC_OK'"
    # sixteen distinct CAs (the loader drops duplicates), more than the spare room holds
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=cdrest filler CA $i" \
        -keyout "$tmp/filler.key" 2>/dev/null
    done >"$tmp/many.pem"
    expect_fail "static_client: a too-small tls_memory says how much is needed" "too small for the trust anchors" \
      env CDREST_CACERT="$tmp/many.pem" "$tmp/sc_small" "$HTTPS" admin changeme
    check "custom_transport over https (TLS through the modem)" sh -c "CDREST_CACERT='$C/ca.pem' '$tmp/custom_transport' '$HTTPS' admin changeme | grep -q 'outcome success'"
  else
    bad "the HTTPS emulators start"
  fi
fi
finish
