#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/footprint.sh - cdrest's footprint, measured: prints a Markdown report and, when
# README.md holds the markers <!-- footprint:begin --> and <!-- footprint:end -->,
# rewrites the block between them (`make footprint`).
#   sh tools/footprint.sh [--no-readme]
# Code: text + data (`size`) of the header's implementation alone - a file holding only
# `#define CDREST_IMPLEMENTATION` and `#include "cdrest.h"` - at -Os -ffunction-sections
# -fdata-sections, for x86-64 (gcc) and ARM Thumb-2 (arm-linux-gnueabihf-gcc -mthumb
# -march=armv7-a+fp); BearSSL is a separate library and not counted. RAM: the structure
# sizes each target's compiler reports, the library's minimum buffers, and the buffers a
# default client grows to in a real session against the bundled emulator over HTTPS
# (measured on this machine with a counting allocator; the ARM column adds its own
# structure sizes to the same buffer sizes). Needs gcc, libbearssl-dev, python3 and
# openssl; the ARM column needs gcc-arm-linux-gnueabihf (else it says n/a).
set -u
cd "$(dirname "$0")/.." || exit 1
readme=1
[ "${1:-}" = "--no-readme" ] && readme=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdrest-footprint.XXXXXX") || exit 1
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
die() { echo "footprint: $*" >&2; exit 1; }

X86="gcc"
ARM="arm-linux-gnueabihf-gcc -mthumb -march=armv7-a+fp"
command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1 || ARM=""
CODEFLAGS="-std=c99 -Os -ffunction-sections -fdata-sections"
# BearSSL's headers are the same for every target; the cross compiler does not search
# /usr/include, so it gets just them.
mkdir -p "$tmp/brinc"
[ -f /usr/include/bearssl.h ] || die "BearSSL's headers are missing (libbearssl-dev)"
ln -s /usr/include/bearssl.h "$tmp/brinc/bearssl.h"
[ -d /usr/include/bearssl ] && ln -s /usr/include/bearssl "$tmp/brinc/bearssl"
printf '#define CDREST_IMPLEMENTATION\n#include "cdrest.h"\n' >"$tmp/impl.c"

# --- code size ----------------------------------------------------------------------------

# code CC FLAGS...: text + data of the implementation object; the object stays as $tmp/last.o
code() {
  cc=$1; shift
  $cc $CODEFLAGS -I. -isystem "$tmp/brinc" "$@" -c "$tmp/impl.c" -o "$tmp/last.o" 2>"$tmp/cc.log" ||
    { echo "n/a"; return 1; }
  size "$tmp/last.o" | awk 'NR == 2 { print $1 + $2 }'
}
kib() { awk -v b="$1" 'BEGIN { if (b == "n/a") print "n/a"; else printf "%.1f KiB", b / 1024 }'; }
verdict() { # verdict BYTES LIMIT_KIB
  awk -v b="$1" -v l="$2" 'BEGIN { if (b == "n/a") print "n/a"; else if (b <= l * 1024) printf "met (<= %d KiB)", l; else printf "**not met**: %.0f%% over %d KiB", (b / (l * 1024) - 1) * 100, l }'
}

EMB="-DCDREST_NO_MALLOC -DCDREST_NO_SOCKETS -DCDREST_NO_FILES"
SMALL="$EMB -DCDREST_NO_ENV -DCDREST_NO_PROXY -DCDREST_NO_REDIRECTS -DCDREST_TERSE_ERRORS -DCDREST_NO_EXTRAS"
set -- \
  "default: POSIX sockets, files, malloc, TLS glue|" \
  "\`CDREST_NO_TLS\`|-DCDREST_NO_TLS" \
  "embedded: \`NO_MALLOC NO_SOCKETS NO_FILES\`, TLS glue|$EMB" \
  "embedded without TLS: \`NO_MALLOC NO_SOCKETS NO_FILES NO_TLS\`|$EMB -DCDREST_NO_TLS" \
  "smallest: embedded + \`NO_ENV NO_PROXY NO_REDIRECTS TERSE_ERRORS NO_EXTRAS\`, TLS glue|$SMALL" \
  "smallest without TLS: the same + \`NO_TLS\`|$SMALL -DCDREST_NO_TLS"
rows=""
for v in "$@"; do
  name=${v%%|*} flags=${v#*|}
  x=$(code "$X86" $flags)
  a=n/a; [ -n "$ARM" ] && a=$(code "$ARM" $flags)
  case "$flags" in *NO_TLS*) limit=36 ;; *) limit=48 ;; esac
  # The budget is for the smallest build; the others show what each feature costs.
  case "$name" in smallest*) v=$(verdict "$a" $limit) ;; *) v="(full features: no budget)" ;; esac
  rows="$rows| $name | $(kib "$x") | $(kib "$a") | $v |
"
  case "$flags" in
    "") ARM_TLS=$a ;;
    -DCDREST_NO_TLS) ARM_NOTLS=$a ;;
  esac
done

# What is big, for the ARM Thumb-2 builds: bytes per layer (a function belongs to the
# layer whose section of cdrest.h defines it), strings and tables, the largest functions.
layers() {
  awk '/^   (JSON|text|transport|TLS|HTTP|CD): / && NR > 700 { sub(/:.*/, "", $1); print NR, $1 }' cdrest.h >"$tmp/layers"
  grep -n '^[A-Za-z].*[A-Za-z0-9_](' cdrest.h | grep -v ';[[:space:]]*$' |
    sed -n 's/^\([0-9]*\):.*[^A-Za-z0-9_]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1 \2/p' >"$tmp/defs"
  nm -S -t d --size-sort "$1" | awk -v L="$tmp/layers" -v D="$tmp/defs" '
    BEGIN { while ((getline l < L) > 0) { split(l, f, " "); n++; at[n] = f[1]; nm[n] = f[2] }
            while ((getline l < D) > 0) { split(l, f, " "); def[f[2]] = f[1] } }
    NF == 4 && $3 ~ /^[TtWw]$/ {
      name = $4; sub(/\..*/, "", name); size = $2 + 0
      layer = "other"
      if (name in def) for (i = 1; i <= n; i++) if (def[name] >= at[i]) layer = nm[i]
      by[layer] += size; total += size
      if (size > 600) big = big sprintf("%s %d\n", $4, size)
    }
    END { for (k in by) printf "LAYER %s %d\n", k, by[k]; printf "TOTAL %d\n", total; printf "%s", big }' >"$tmp/breakdown"
}
biggest=""
if [ -n "$ARM" ] && code "$ARM" >/dev/null; then
  layers "$tmp/last.o"
  ro=$(size -A "$tmp/last.o" | awk '$1 ~ /^\.rodata/ { s += $2 } END { print s + 0 }')
  strs=$(size -A "$tmp/last.o" | awk '$1 ~ /^\.rodata/ && $1 ~ /\.str[0-9]/ { s += $2 } END { print s + 0 }')
  calls=$(grep -c 'cdrest__fail(' cdrest.h)
  per_layer=$(for l in JSON text transport TLS HTTP CD other; do
    awk -v l="$l" '$1 == "LAYER" && $2 == l { printf "%s %.1f KiB, ", $2, $3 / 1024 }' "$tmp/breakdown"; done | sed 's/, $//')
  top=$(awk '$1 != "LAYER" && $1 != "TOTAL" { printf "%s %d, ", $1, $2 }' "$tmp/breakdown" | awk -F', ' '{ for (i = NF - 1; i >= 1 && i >= NF - 12; i--) printf "%s%s", $i, (i > NF - 12 && i > 1 ? ", " : "") }')
  biggest="ARM Thumb-2, default build: functions by layer: $per_layer; strings and tables (.rodata): $(kib "$ro"), of which $(kib "$strs") are strings (mostly the formats of $calls error messages).
Largest functions (bytes): $top."
fi

# A minimal embedded program (init, login, set and get a property, a generic call; its own
# transport, caller buffers) linked with --gc-sections for ARM: what cdrest adds to it,
# without TLS (the same program without cdrest is subtracted; libc is dynamic, not counted).
app=""
if [ -n "$ARM" ]; then
  cat >"$tmp/app.c" <<'EOF'
#ifdef WITH_CDREST
#define CDREST_NO_MALLOC
#define CDREST_NO_SOCKETS
#define CDREST_NO_FILES
#define CDREST_NO_TLS
#define CDREST_NO_ENV
#define CDREST_NO_PROXY
#define CDREST_NO_REDIRECTS
#define CDREST_TERSE_ERRORS
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
static int64_t now(void *s) { (void)s; return 0; }
static int con(void *s, const char *h, unsigned short p, int t, cdrest_error *e) { (void)s; (void)h; (void)p; (void)t; (void)e; return CDREST_E_CONNECT; }
static long rd(void *s, void *b, size_t l, int t, cdrest_error *e) { (void)s; (void)b; (void)l; (void)t; (void)e; return CDREST_E_IO; }
static long wr(void *s, const void *b, size_t l, int t, cdrest_error *e) { (void)s; (void)b; (void)l; (void)t; (void)e; return CDREST_E_IO; }
static void cl(void *s) { (void)s; }
static const cdrest_transport tp = {con, rd, wr, cl, NULL, now, NULL};
static cdrest_client c;
static char rx[4096], tx[4096];
static cdrest_json_tok toks[64];
int main(void) {
    cdrest_config cfg;
    const char *v;
    size_t n;
    cdrest_doc d;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = "http://cd.example.com";
    cfg.user = "u";
    cfg.password = "p";
    cfg.allow_plain_http = 1;
    cfg.transport = &tp;
    cfg.buffer = rx;
    cfg.buffer_size = sizeof rx;
    cfg.send_buffer = tx;
    cfg.send_buffer_size = sizeof tx;
    cfg.tokens = toks;
    cfg.max_tokens = 64;
    if (cdrest_init(&c, &cfg) || cdrest_login(&c) || cdrest_set_property(&c, "/projects/P/x", "1", NULL, NULL) ||
        cdrest_get_property_value(&c, "/projects/P/x", NULL, &v, &n) || cdrest_call(&c, "GET", "/projects", NULL, NULL, &d))
        return 1;
    cdrest_free(&c);
    return 0;
}
#else
int main(void) { return 0; }
#endif
EOF
  l="$CODEFLAGS -Wl,--gc-sections -I."
  if $ARM $l -o "$tmp/app0" "$tmp/app.c" 2>>"$tmp/cc.log" && $ARM $l -DWITH_CDREST -o "$tmp/app1" "$tmp/app.c" 2>>"$tmp/cc.log"; then
    app=$(( $(size "$tmp/app1" | awk 'NR == 2 { print $1 + $2 }') - $(size "$tmp/app0" | awk 'NR == 2 { print $1 + $2 }') ))
    rows="$rows| a minimal program linked with \`--gc-sections\` (init, login, set/get a property, a generic call; the smallest build without TLS) | | $(kib "$app") | $(verdict "$app" 36) |
"
  fi
fi

# --- RAM ----------------------------------------------------------------------------------

# Structure sizes as each compiler sees them: arrays whose sizes are the answers, read
# back with nm (so nothing has to run on the target).
cat >"$tmp/sizes.c" <<'EOF'
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
char fp_client[sizeof(cdrest_client)];
char fp_tok[sizeof(cdrest_json_tok)];
char fp_tls_head[(sizeof(struct cdrest__tls) + 15) & ~(size_t)15];
char fp_mono[BR_SSL_BUFSIZE_MONO];
char fp_bidi[BR_SSL_BUFSIZE_BIDI];
char fp_ta[sizeof(br_x509_trust_anchor)];
EOF
sizes() { # sizes CC -> "client tok tls_head mono bidi ta"
  $1 -std=c99 -O0 -fno-common -I. -isystem "$tmp/brinc" -c "$tmp/sizes.c" -o "$tmp/sizes.o" 2>>"$tmp/cc.log" || { echo ""; return; }
  nm -S -t d "$tmp/sizes.o" | awk '$4 ~ /^fp_/ { v[$4] = $2 + 0 }
    END { print v["fp_client"], v["fp_tok"], v["fp_tls_head"], v["fp_mono"], v["fp_bidi"], v["fp_ta"] }'
}
SX=$(sizes gcc)
[ -n "$SX" ] || die "cannot compile cdrest.h with gcc: $(tail -n 3 "$tmp/cc.log")"
SA=""; [ -n "$ARM" ] && SA=$(sizes arm-linux-gnueabihf-gcc)

# A default client in a real session (login, properties, a sheet, a job, logout) over
# HTTPS with the default (half-duplex) TLS buffer: what it allocated at the peak, and what
# each buffer became.
cat >"$tmp/session.c" <<'EOF'
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
static size_t fp_live, fp_peak;
static void *fp_malloc(size_t n) {
    size_t *p = (size_t *)malloc(n + 16);
    if (!p) return NULL;
    p[0] = n;
    fp_live += n;
    if (fp_live > fp_peak) fp_peak = fp_live;
    return (char *)p + 16;
}
static void fp_free(void *q) {
    if (q) { size_t *p = (size_t *)(void *)((char *)q - 16); fp_live -= p[0]; free(p); }
}
static void *fp_realloc(void *q, size_t n) {
    void *r = fp_malloc(n);
    if (r && q) { size_t old = ((size_t *)(void *)((char *)q - 16))[0]; memcpy(r, q, old < n ? old : n); fp_free(q); }
    return r;
}
#define CDREST_MALLOC(ctx, n) ((void)(ctx), fp_malloc(n))
#define CDREST_REALLOC(ctx, p, n) ((void)(ctx), fp_realloc((p), (n)))
#define CDREST_FREE(ctx, p) ((void)(ctx), fp_free(p))
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
int main(int argc, char **argv) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_param ctx[] = {{"projectName", "Default"}, {NULL, NULL}};
    cdrest_job_status st;
    cdrest_doc d;
    char id[64], path[64];
    const char *v;
    size_t len, rx, tx, toks, tls = 0, ta = 0;
    int i;
    if (argc != 3) return 2;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = argv[1];
    cfg.user = "admin";
    cfg.password = "changeme";
    cfg.tls.ca_file = argv[2];
    if (cdrest_init(&c, &cfg) != 0 || cdrest_login(&c) != 0) return fprintf(stderr, "%s\n", cdrest_errmsg(&c)), 1;
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "footprint/p%d", i);
        if (cdrest_set_property(&c, path, "a value of a usual size", ctx, NULL) != 0) return 1;
    }
    if (cdrest_get_property_value(&c, "footprint/p1", ctx, &v, &len) != 0) return 1;
    if (cdrest_get_properties(&c, "footprint", ctx, &d) != 0) return 1;
    if (cdrest_run_procedure(&c, "Default", "runme", NULL, id, sizeof id) != 0) return 1;
    if (cdrest_wait_for_job(&c, id, 200, 60000, NULL, NULL, &st) != 0) return 1;
    rx = c.buf_cap;
    tx = c.out_cap + c.body_cap + c.target_cap;
    toks = (size_t)c.toks_cap;
    if (c.tls) tls = c.tls->alloc_size;
    ta = fp_peak - (rx + tx + toks * sizeof(cdrest_json_tok) + tls); /* anchors and the rest */
    if (cdrest_logout(&c) != 0) return 1;
    cdrest_free(&c);
    printf("%lu %lu %lu %lu %lu %lu %lu\n", (unsigned long)fp_peak, (unsigned long)rx, (unsigned long)tx,
           (unsigned long)toks, (unsigned long)tls, (unsigned long)ta, (unsigned long)fp_live);
    return 0;
}
EOF
session=""
if gcc -std=c99 -O1 -I. -o "$tmp/session" "$tmp/session.c" -lbearssl 2>>"$tmp/cc.log" &&
   sh tests/mkcerts.sh "$tmp/certs" >/dev/null 2>&1; then
  mkfifo "$tmp/port"
  python3 tests/cdemu.py --port 0 --quiet --job-seconds 1 --cert "$tmp/certs/rsa.pem" --key "$tmp/certs/rsa.key" \
    >"$tmp/port" 2>"$tmp/emu.log" &
  emu_pid=$!
  read -r _ port <"$tmp/port"
  [ -n "${port:-}" ] && session=$("$tmp/session" "https://localhost:$port" "$tmp/certs/ca.pem" 2>"$tmp/session.log")
fi
[ -n "$session" ] || echo "footprint: the measured session failed: $(cat "$tmp/session.log" "$tmp/emu.log" 2>/dev/null | tail -n 3)" >&2

# The CLI as CI images and job steps run it: `make cli-static` (musl, static) beside the
# default dynamic build, one getProperty over HTTPS against the same emulator (it logs in
# first). Peak RSS is the child's ru_maxrss under bench/rss.c (static, so it adds ~0).
cli_static="n/a" cli_dynamic="n/a"
cli_rss() { # cli_rss EXE -> "RSS_KIB DISK_BYTES"
  r=$(HOME="$tmp" CDREST_SERVER="https://localhost:$port" CDREST_USER=admin CDREST_PASSWORD=changeme \
      "$tmp/rss" "$1" --cacert "$tmp/certs/ca.pem" getProperty /projects/Default/footprintCli 2>/dev/null |
      sed -n 's/^ok exit=0 maxrss_kib=//p')
  [ -n "$r" ] && echo "$r $(wc -c <"$1")"
}
if [ -n "$session" ] && command -v musl-gcc >/dev/null 2>&1 &&
   musl-gcc -static -std=c99 -Os -o "$tmp/rss" bench/rss.c 2>>"$tmp/cc.log" &&
   make -s build/cdrest-static build/cdrest >>"$tmp/cc.log" 2>&1 &&
   HOME="$tmp" CDREST_SERVER="https://localhost:$port" CDREST_USER=admin CDREST_PASSWORD=changeme \
     build/cdrest --cacert "$tmp/certs/ca.pem" setProperty /projects/Default/footprintCli v >/dev/null 2>&1; then
  cli_static=$(cli_rss build/cdrest-static) || cli_static="n/a"
  cli_dynamic=$(cli_rss build/cdrest) || cli_dynamic="n/a"
fi
cli_cell() { # cli_cell "RSS_KIB DISK_BYTES"
  [ "$1" = "n/a" ] && { echo "n/a"; return; }
  set -- $1
  awk -v r="$1" -v d="$2" 'BEGIN { printf "%d KiB RSS, %.1f KiB on disk", r, d / 1024 }'
}

# ram SIZES -> the RAM rows' values for one target: "min small default"
ram_line() { # ram_line "client tok head mono bidi ta" WHAT
  echo "$1" | awk -v what="$2" -v s="$session" '{
    client = $1; tok = $2; head = $3; mono = $4; bidi = $5
    split(s, m, " ")  # peak rx tx toks tls other live
    if (what == "client") print client
    if (what == "min") print client + 1024 + 4096 + 16 * tok + head + mono
    if (what == "small") print client + 2048 + 4096 + 32 * tok + head + mono
    if (what == "tls_min") print head + mono
    if (what == "tls_def") print head + bidi
    if (what == "default") { if (s == "") print "n/a"; else print client + m[2] + m[3] + m[4] * tok + head + mono + m[6] }
  }'
}
b() { [ -z "$1" ] && echo "n/a" || echo "$(ram_line "$1" "$2")"; }
fmt() { awk -v b="$1" 'BEGIN { if (b == "n/a" || b == "") print "n/a"; else printf "%d B (%.1f KiB)", b, b / 1024 }'; }
set -- $session
rx_def=${2:-n/a} tx_def=${3:-n/a} tok_def=${4:-n/a} ta_def=${6:-n/a}
ram48=$(b "$SA" min)
ram48small=$(b "$SA" small)

{
  echo "### Footprint"
  echo
  echo "Measured by \`tools/footprint.sh\` (\`make footprint\`); do not edit this block by hand."
  echo "$(gcc --version | head -n 1)${ARM:+; $(arm-linux-gnueabihf-gcc --version | head -n 1)}."
  echo
  echo "**Code**: text + data of the implementation alone (\`#define CDREST_IMPLEMENTATION\` + \`#include\`),"
  echo "\`-Os -ffunction-sections -fdata-sections\`; ARM: \`arm-linux-gnueabihf-gcc -mthumb -march=armv7-a+fp\` (+fp: the"
  echo "armhf ABI passes floats in VFP registers). BearSSL is not counted (a separate library)."
  echo "The budget was 32 KiB with the TLS glue and 24 KiB without until the checks added since made the"
  echo "smallest build about 11 KiB larger: certificate policy (extended key usage, name constraints, trust"
  echo "anchors' own restrictions, key sizes), one strict IP parser, typed answers, wiping secrets and"
  echo "saturating size arithmetic. Those are not optional, so the budget moved to 48 / 36 KiB rather than the"
  echo "checks into a switch; \`make portability\` fails a build over it. The x86-64 column includes the 64-bit"
  echo "public-key code (X25519, P-256 and RSA signature checks; \`CDREST_NO_FAST_PK\` leaves it out), which"
  echo "32-bit targets never build."
  echo
  echo "| build | x86-64 | ARM Thumb-2 | budget on ARM Thumb-2 (48 KiB with TLS glue, 36 KiB without) |"
  echo "|---|---:|---:|---|"
  printf '%s' "$rows"
  echo
  [ -n "$biggest" ] && echo "$biggest" && echo
  echo "**RAM per client**: the struct plus its buffers (receive, send, JSON tokens, TLS state with its"
  echo "record buffer). Minimum: the smallest the library accepts (1024 / 4096 / 16 tokens) with"
  echo "the half-duplex TLS buffer (the default); small: what \`tests/t_embedded.sh\` runs a whole HTTPS session with"
  echo "(2048 / 4096 / 32 tokens, half duplex); default: what a client with no buffers handed in grew to"
  echo "in a session over HTTPS (login, properties, a sheet, a job; the default half-duplex TLS buffer, one CA file)."
  echo
  echo "| | x86-64 | ARM (32-bit) |"
  echo "|---|---:|---:|"
  echo "| \`sizeof(cdrest_client)\` | $(fmt "$(b "$SX" client)") | $(fmt "$(b "$SA" client)") |"
  echo "| TLS state + record buffer, half duplex / full duplex | $(fmt "$(b "$SX" tls_min)") / $(fmt "$(b "$SX" tls_def)") | $(fmt "$(b "$SA" tls_min)") / $(fmt "$(b "$SA" tls_def)") |"
  echo "| default buffers: receive / send / tokens / anchors and the rest | $rx_def B / $tx_def B / $tok_def tokens / $ta_def B | same |"
  echo "| **minimum HTTPS client** | $(fmt "$(b "$SX" min)") | $(fmt "$ram48") |"
  echo "| small HTTPS client (tested) | $(fmt "$(b "$SX" small)") | $(fmt "$ram48small") |"
  echo "| default HTTPS client | $(fmt "$(b "$SX" default)") | $(fmt "$(b "$SA" default)") |"
  echo "| the \`cdrest\` CLI, one HTTPS getProperty: static musl build (\`make cli-static\`) | $(cli_cell "$cli_static") | n/a |"
  echo "| the same, default build (\`build/cdrest\`: -O2 -g, glibc, shared libbearssl) | $(cli_cell "$cli_dynamic") | n/a |"
  echo
  printf 'Target: a complete HTTPS client in <= 48 KiB of RAM with the half-duplex TLS buffer: '
  awk -v m="$ram48" -v s="$ram48small" 'BEGIN { if (m == "n/a" || m == "") print "n/a (no ARM compiler)";
    else if (s + 0 <= 49152) print "met on ARM (minimum " m " B, small " s " B).";
    else print "**not met** on ARM (minimum " m " B, small " s " B)." }'
} >"$tmp/report.md"

cat "$tmp/report.md"
if [ $readme = 1 ] && [ -f README.md ] && grep -q '<!-- footprint:begin -->' README.md && grep -q '<!-- footprint:end -->' README.md; then
  awk -v R="$tmp/report.md" '
    /<!-- footprint:begin -->/ { print; while ((getline l < R) > 0) print l; skip = 1; next }
    /<!-- footprint:end -->/ { skip = 0 }
    !skip { print }' README.md >"$tmp/README.md" && cp "$tmp/README.md" README.md &&
    echo "footprint: README.md updated" >&2
fi
