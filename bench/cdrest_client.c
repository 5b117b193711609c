/* SPDX-License-Identifier: MIT */
/* bench/cdrest_client.c - the cdrest side of `make bench`.
     cdrest_client get   URL TARGET N [options]   N GETs on one client (keep-alive)
     cdrest_client fresh URL TARGET N [options]   N GETs, cdrest_disconnect() after each:
                                                  a new TCP (and TLS) connection every time;
                                                  the client offers its last TLS session again
     cdrest_client cd    URL N [options]          log in (admin/changeme), then N pairs of
                                                  cdrest_set_property + cdrest_get_property
   options: --ca FILE (CA for https), --expect BYTES (every body must have this length),
            --warm W (requests before steady-state allocation counting; default N/10, max 100),
            --full-duplex (two TLS record buffers instead of the default one)
   Prints one line: "ok n=N secs=S bytes=B allocs=A steady_allocs=X steady_reqs=Y
   peak_heap=P heap_end=E vmhwm_kb=K" (allocs/peak_heap: everything cdrest allocated through
   CDREST_MALLOC/REALLOC, counted by the allocator below via cfg.alloc_ctx). Exit 0 only when
   every response was right. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- a counting allocator, plugged in through the CDREST_* macros --------------------- */
typedef struct bench_heap {
    unsigned long mallocs, reallocs, frees, no_ctx;
    size_t cur, peak;
} bench_heap;
static bench_heap g_heap;
#define BENCH_HDR 16

static bench_heap *heap_of(void *ctx) {
    if (ctx) return (bench_heap *)ctx;
    g_heap.no_ctx++; /* an allocation made without the client's alloc_ctx */
    return &g_heap;
}
static void *bench_malloc(void *ctx, size_t n) {
    bench_heap *h = heap_of(ctx);
    unsigned char *p = (unsigned char *)malloc(n + BENCH_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    h->mallocs++;
    h->cur += n;
    if (h->cur > h->peak) h->peak = h->cur;
    return p + BENCH_HDR;
}
static void *bench_realloc(void *ctx, void *ptr, size_t n) {
    bench_heap *h;
    unsigned char *base, *q;
    size_t old;
    if (!ptr) return bench_malloc(ctx, n);
    h = heap_of(ctx);
    base = (unsigned char *)ptr - BENCH_HDR;
    memcpy(&old, base, sizeof old);
    q = (unsigned char *)realloc(base, n + BENCH_HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof n);
    h->reallocs++;
    h->cur = h->cur - old + n;
    if (h->cur > h->peak) h->peak = h->cur;
    return q + BENCH_HDR;
}
static void bench_free(void *ctx, void *ptr) {
    bench_heap *h;
    unsigned char *base;
    size_t old;
    if (!ptr) return;
    h = heap_of(ctx);
    base = (unsigned char *)ptr - BENCH_HDR;
    memcpy(&old, base, sizeof old);
    h->frees++;
    h->cur -= old;
    free(base);
}
#define CDREST_MALLOC(ctx, n)     bench_malloc((ctx), (n))
#define CDREST_REALLOC(ctx, p, n) bench_realloc((ctx), (p), (n))
#define CDREST_FREE(ctx, p)       bench_free((ctx), (p))
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak resident set size of this process, from /proc/self/status (0 if unknown). */
static long vmhwm_kb(void) {
    char line[256];
    long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = atol(line + 6);
    fclose(f);
    return kb;
}

static int usage(void) {
    fprintf(stderr, "usage: cdrest_client get|fresh URL TARGET N [--ca F] [--expect B] [--warm W] [--full-duplex]\n"
                    "       cdrest_client cd URL N [--ca F] [--warm W]\n");
    return 2;
}

int main(int argc, char **argv) {
    static cdrest_client c; /* ~12 KB: not on the stack of a small thread, but any place works */
    cdrest_config cfg;
    const char *mode, *url, *target = NULL, *ca = NULL;
    long n, i, warm = -1, expect = -1;
    unsigned long bytes = 0, allocs_at_warm = 0;
    int argi, rc, is_cd, full_duplex = 0;
    double t0, t1;
    bench_heap heap;
    if (argc < 4) return usage();
    mode = argv[1];
    url = argv[2];
    is_cd = !strcmp(mode, "cd");
    if (!is_cd && strcmp(mode, "get") && strcmp(mode, "fresh")) return usage();
    if (is_cd) {
        n = atol(argv[3]);
        argi = 4;
    } else {
        if (argc < 5) return usage();
        target = argv[3];
        n = atol(argv[4]);
        argi = 5;
    }
    for (; argi < argc; argi++) {
        if (!strcmp(argv[argi], "--ca") && argi + 1 < argc)
            ca = argv[++argi];
        else if (!strcmp(argv[argi], "--expect") && argi + 1 < argc)
            expect = atol(argv[++argi]);
        else if (!strcmp(argv[argi], "--warm") && argi + 1 < argc)
            warm = atol(argv[++argi]);
        else if (!strcmp(argv[argi], "--full-duplex"))
            full_duplex = 1;
        else
            return usage();
    }
    if (n < 1) return usage();
    if (warm < 0) warm = n / 10 > 100 ? 100 : n / 10;

    memset(&heap, 0, sizeof heap);
    memset(&cfg, 0, sizeof cfg);
    cfg.server = url;
    cfg.no_proxy = 1;
    cfg.alloc_ctx = &heap;
    cfg.tls.ca_file = ca;
    cfg.tls.full_duplex = full_duplex;
    if (is_cd) {
        cfg.user = "admin";
        cfg.password = "changeme";
    }
    if ((rc = cdrest_init(&c, &cfg)) != 0) {
        fprintf(stderr, "cdrest_init: %s\n", cdrest_errmsg(&c));
        return 1;
    }
    if (is_cd && (rc = cdrest_login(&c)) != 0) {
        fprintf(stderr, "login: %s\n", cdrest_errmsg(&c));
        return 1;
    }

    t0 = now_s();
    for (i = 0; i < n; i++) {
        if (i == warm) allocs_at_warm = heap.mallocs + heap.reallocs;
        if (is_cd) {
            static const cdrest_param ctx[] = { { "projectName", "Default" }, { NULL, NULL } };
            char value[32], got[32];
            cdrest_doc doc;
            snprintf(value, sizeof value, "v%ld", i);
            if ((rc = cdrest_set_property(&c, "benchProp", value, ctx, &doc)) != 0) {
                fprintf(stderr, "setProperty %ld: %s\n", i, cdrest_errmsg(&c));
                return 1;
            }
            if ((rc = cdrest_get_property(&c, "benchProp", ctx, &doc)) != 0) {
                fprintf(stderr, "getProperty %ld: %s\n", i, cdrest_errmsg(&c));
                return 1;
            }
            if (cdrest_doc_string(&doc, "property.value", got, sizeof got) != 0 || strcmp(got, value) != 0) {
                fprintf(stderr, "getProperty %ld: wrong value\n", i);
                return 1;
            }
            bytes += (unsigned long)doc.len;
        } else {
            cdrest_request req;
            cdrest_response resp;
            memset(&req, 0, sizeof req);
            req.method = "GET";
            req.target = target;
            if ((rc = cdrest_http(&c, &req, &resp)) != 0) {
                fprintf(stderr, "request %ld: %s\n", i, cdrest_errmsg(&c));
                return 1;
            }
            if (resp.status != 200 || (expect >= 0 && resp.body_len != (size_t)expect)) {
                fprintf(stderr, "request %ld: status %d, %lu body bytes\n", i, resp.status,
                        (unsigned long)resp.body_len);
                return 1;
            }
            bytes += (unsigned long)resp.body_len;
            if (mode[0] == 'f') cdrest_disconnect(&c);
        }
    }
    t1 = now_s();
    {
        unsigned long allocs = heap.mallocs + heap.reallocs;
        size_t peak = heap.peak;
        unsigned long connects = c.connects;
        long hwm = vmhwm_kb();
        cdrest_free(&c);
        printf("ok n=%ld secs=%.6f bytes=%lu allocs=%lu steady_allocs=%lu steady_reqs=%ld peak_heap=%lu "
               "heap_end=%lu no_ctx_allocs=%lu connects=%lu vmhwm_kb=%ld\n",
               n, t1 - t0, bytes, allocs, allocs - allocs_at_warm, n - warm, (unsigned long)peak,
               (unsigned long)heap.cur, g_heap.no_ctx, connects, hwm);
    }
    return 0;
}
