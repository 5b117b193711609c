#!/bin/sh
# Budgets of a default client (issue 16): its peak heap for one HTTPS GET (at most 48 KiB:
# the half-duplex TLS buffer and an 8 KiB first receive buffer), and the
# system calls per keep-alive request, counted with strace against the bundled
# emulator: a client logs in, then makes N getProperty calls on one connection; the calls
# of a run with N=201 minus a run with N=1, over 200, are what one request costs.
#   HTTP:  poll(0) (is the idle connection still alive?), send, recv           = 3
#   HTTPS: the same, but BearSSL reads a record's 5-byte header and its body apart = 4
# A poll() before a recv() that would succeed, or head and body in two sends, shows up
# here as one more call per request. A new connection costs 10 (see below). The client must also still time out on a server
# that never answers (the reads block in recv() with SO_RCVTIMEO now) and on one that
# never reads a large upload (sends must not block), within its deadline.
# Run from the repository root: sh tests/t_budgets.sh. Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
CC=${CC:-cc}
. tests/lib.sh
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; [ -f "$tmp/log" ] && sed 's/^/       | /' "$tmp/log" | tail -n 15; }
finish() { echo "$passed passed, $failed failed"; [ $failed = 0 ]; exit $?; }

if ! command -v strace >/dev/null 2>&1 || ! strace -o /dev/null true 2>/dev/null; then
  echo "strace is missing or cannot trace here (tools/deps.sh installs it)"
  bad "strace runs"
  finish
fi

cat >"$tmp/client.c" <<'EOF'
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static size_t live, peak;
static void *h_malloc(size_t n) {
    size_t *p = (size_t *)malloc(n + 16);
    if (!p) return NULL;
    p[0] = n;
    if ((live += n) > peak) peak = live;
    return (char *)p + 16;
}
static void h_free(void *q) {
    if (q) { size_t *p = (size_t *)(void *)((char *)q - 16); live -= p[0]; free(p); }
}
static void *h_realloc(void *q, size_t n) {
    size_t *p, old;
    if (!q) return h_malloc(n);
    old = ((size_t *)(void *)((char *)q - 16))[0];
    if (!(p = (size_t *)realloc((char *)q - 16, n + 16))) return NULL;
    p[0] = n;
    if ((live = live - old + n) > peak) peak = live;
    return (char *)p + 16;
}
#define CDREST_MALLOC(ctx, n) ((void)(ctx), h_malloc(n))
#define CDREST_REALLOC(ctx, p, n) ((void)(ctx), h_realloc((p), (n)))
#define CDREST_FREE(ctx, p) ((void)(ctx), h_free(p))
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
/* client URL CA|- N        log in, N getProperty calls on one connection
   client URL CA|- get      one GET; prints the peak heap cdrest allocated
   client URL CA|- stall    one GET to a server that accepts and never answers (2.5 s timeout)
   client URL CA|- upload   a 64 MiB PUT to a server that never reads (1.5 s timeout) */
int main(int argc, char **argv) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_param ctx[] = {{"projectName", "Default"}, {NULL, NULL}};
    const char *v;
    size_t len;
    int i, n, rc;
    if (argc != 4) return 2;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = argv[1];
    cfg.user = "admin";
    cfg.password = "changeme";
    cfg.no_proxy = 1;
    if (strcmp(argv[2], "-") != 0) cfg.tls.ca_file = argv[2];
    if (!strcmp(argv[3], "stall") || !strcmp(argv[3], "upload")) {
        struct timespec a, b;
        cdrest_request req;
        cdrest_response r;
        size_t big = (size_t)64 << 20;
        char *body = NULL;
        cfg.timeout_ms = argv[3][0] == 's' ? 2500 : 1500;
        if (cdrest_init(&c, &cfg) != 0) return fprintf(stderr, "%s\n", cdrest_errmsg(&c)), 1;
        memset(&req, 0, sizeof req);
        req.method = argv[3][0] == 's' ? "GET" : "PUT";
        req.target = "/x";
        if (argv[3][0] == 'u') {
            if (!(body = (char *)calloc(1, big))) return 1;
            req.body = body;
            req.body_len = big;
        }
        clock_gettime(CLOCK_MONOTONIC, &a);
        rc = cdrest_http(&c, &req, &r);
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("rc %d ms %ld: %s\n", rc, (long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000),
               cdrest_errmsg(&c));
        free(body);
        cdrest_free(&c);
        return 0;
    }
    if (!strcmp(argv[3], "get")) { /* one GET, whatever its status: the client's own heap */
        cdrest_request req;
        cdrest_response r;
        if (cdrest_init(&c, &cfg) != 0) return fprintf(stderr, "%s\n", cdrest_errmsg(&c)), 1;
        memset(&req, 0, sizeof req);
        req.method = "GET";
        req.target = "/rest/v1.0/projects";
        if (cdrest_http(&c, &req, &r) != 0) return fprintf(stderr, "%s\n", cdrest_errmsg(&c)), 1;
        printf("status %d, peak heap %lu\n", r.status, (unsigned long)peak);
        cdrest_free(&c);
        return 0;
    }
    if (!strncmp(argv[3], "fresh", 5)) { /* freshN: N GETs, each on a new connection */
        cdrest_request req;
        cdrest_response r;
        n = atoi(argv[3] + 5);
        if (cdrest_init(&c, &cfg) != 0) return fprintf(stderr, "%s\n", cdrest_errmsg(&c)), 1;
        memset(&req, 0, sizeof req);
        req.method = "GET";
        req.target = "/rest/v1.0/projects";
        for (i = 0; i < n; i++) {
            if (cdrest_http(&c, &req, &r) != 0) return fprintf(stderr, "%s\n", cdrest_errmsg(&c)), 1;
            cdrest_disconnect(&c);
        }
        printf("requests on the last connection %d\n", n); /* what per_request checks */
        cdrest_free(&c);
        return 0;
    }
    n = atoi(argv[3]);
    if (cdrest_init(&c, &cfg) != 0 || cdrest_login(&c) != 0) return fprintf(stderr, "%s\n", cdrest_errmsg(&c)), 1;
    if (cdrest_set_property(&c, "syscalls/p", "a value", ctx, NULL) != 0) return fprintf(stderr, "%s\n", cdrest_errmsg(&c)), 1;
    for (i = 0; i < n; i++)
        if (cdrest_get_property_value(&c, "syscalls/p", ctx, &v, &len) != 0 || len != 7)
            return fprintf(stderr, "%s\n", cdrest_errmsg(&c)), 1;
    printf("requests on the last connection %d\n", (int)c.conn_requests);
    printf("peak heap %lu\n", (unsigned long)peak);
    cdrest_free(&c);
    return 0;
}
EOF
if ! $CC -std=c99 -O1 -I. -o "$tmp/client" "$tmp/client.c" -lbearssl 2>"$tmp/log"; then
  bad "the test client builds"
  finish
fi

# per_request URL CA [fresh]: the system calls of one keep-alive getProperty (or of one GET on
# a new connection each), "name=count ..." and the total
per_request() {
  for n in 1 201; do
    strace -f -qq -c -o "$tmp/st.$n" "$tmp/client" "$1" "$2" ${3:-}$n >"$tmp/out.$n" 2>&1 || { cat "$tmp/out.$n"; return 1; }
    got=$(sed -n 's/^requests on the last connection //p' "$tmp/out.$n")
    [ "${got:-0}" -ge $n ] || { echo "not one connection for the $n calls:"; cat "$tmp/out.$n"; return 1; }
  done
  awk 'FNR == 1 { f++ } $NF != "total" && $NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ { c[f, $NF] = $4; names[$NF] = 1 }
    END { for (k in names) { d = (c[2, k] - c[1, k]) / 200; if (d >= 0.5) { printf "%s=%.2f ", k, d; t += d } } printf "total=%.2f\n", t }' \
    "$tmp/st.1" "$tmp/st.201"
}

mkdir -p "$tmp/certs"
sh tests/mkcerts.sh "$tmp/certs" >/dev/null 2>&1 || { bad "tests/mkcerts.sh makes the test PKI"; finish; }
if start_emu http && HTTP=http://127.0.0.1:$port && start_emu https --cert "$tmp/certs/rsa.pem" --key "$tmp/certs/rsa.key"; then
  HTTPS=https://localhost:$port
  if "$tmp/client" "$HTTPS" "$tmp/certs/ca.pem" get >"$tmp/log" 2>&1; then
    heap=$(sed -n 's/.*peak heap //p' "$tmp/log")
    if [ "${heap:-999999}" -le 49152 ]; then ok "a default HTTPS client, one GET: peak heap $heap bytes (at most 49152)"
    else bad "a default HTTPS client, one GET: peak heap $heap bytes, more than 49152"; fi
  else
    bad "a default HTTPS client makes one GET"
  fi
  for v in "http $HTTP - 3" "https $HTTPS $tmp/certs/ca.pem 4"; do
    set -- $v
    if per_request "$2" "$3" >"$tmp/log" 2>&1; then
      line=$(tail -n 1 "$tmp/log")
      total=$(echo "$line" | sed 's/.*total=\([0-9.]*\).*/\1/')
      if awk -v t="$total" -v m="$4" 'BEGIN { exit !(t <= m + 0.05) }'; then ok "$1 keep-alive: $line (at most $4)"
      else bad "$1 keep-alive: $line, more than $4 system calls per request"; fi
    else
      bad "$1 keep-alive: the client ran under strace"
    fi
  done
  # a new connection per request (plain HTTP): socket (non-blocking, close-on-exec in the one
  # call), connect, poll, getsockopt(SO_ERROR), fcntl (blocking reads), two setsockopt
  # (TCP_NODELAY, SO_RCVTIMEO), send, recv, close = 10
  if per_request "$HTTP" - fresh >"$tmp/log" 2>&1; then
    line=$(tail -n 1 "$tmp/log")
    total=$(echo "$line" | sed 's/.*total=\([0-9.]*\).*/\1/')
    if awk -v t="$total" 'BEGIN { exit !(t <= 10.05) }'; then ok "http, a new connection per GET: $line (at most 10)"
    else bad "http, a new connection per GET: $line, more than 10 system calls per connection"; fi
  else
    bad "http, a new connection per GET: the client ran under strace"
  fi
else
  bad "the emulators start"
fi

# Deadlines still hold: a server that accepts and says nothing, and one that never reads.
if start_silent mute; then
  "$tmp/client" "http://127.0.0.1:$port" - stall >"$tmp/log" 2>&1
  ms=$(sed -n 's/^rc -[0-9]* ms \([0-9]*\):.*/\1/p' "$tmp/log")
  if grep -qi "timeout" "$tmp/log" && [ -n "$ms" ] && [ "$ms" -ge 2400 ] && [ "$ms" -le 3500 ]; then
    ok "a silent server: the read times out at the deadline ($ms ms of 2500)"
  else
    bad "a silent server: the read times out at the deadline (2500 ms)"
  fi
  "$tmp/client" "http://127.0.0.1:$port" - upload >"$tmp/log" 2>&1
  ms=$(sed -n 's/^rc -[0-9]* ms \([0-9]*\):.*/\1/p' "$tmp/log")
  if grep -qi "timeout" "$tmp/log" && [ -n "$ms" ] && [ "$ms" -ge 1400 ] && [ "$ms" -le 2500 ]; then
    ok "a server that never reads a 64 MiB upload: the send times out at the deadline ($ms ms of 1500)"
  else
    bad "a server that never reads a 64 MiB upload: the send times out at the deadline (1500 ms)"
  fi
else
  bad "the mute server starts"
fi
finish
