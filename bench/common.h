/* SPDX-License-Identifier: MIT */
/* bench/common.h - what the two peer clients of `make bench` (bench/cdrest_client.c and
   bench/curl_client.c) share, so that both measure the same way: the command line
   ("get|fresh URL TARGET N" and the options --ca, --expect, --warm plus one flag of each
   client's own), a size-counting allocator, the timed round loop with its steady-state
   allocation mark, and the one "ok n=... secs=..." result line bench/run.py parses.
   Include it after defining _POSIX_C_SOURCE (for clock_gettime). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- the command line ------------------------------------------------------------------ */

typedef struct bench_args {
    const char *mode;   /* "get", "fresh" or (where allowed) "cd" */
    const char *url;    /* scheme://host:port */
    const char *target; /* the request target; NULL in "cd" mode, which takes none */
    const char *ca;     /* --ca FILE, or NULL */
    long n, warm, expect;
    int flag; /* the client's own flag was given */
} bench_args;

/* Reads "MODE URL [TARGET] N [--ca F] [--expect B] [--warm W] [FLAG]" into a: TARGET for
   get and fresh, none for cd (accepted only when allow_cd). --warm defaults to N/10, at most
   100 (the requests before the steady-state allocation count starts). 0, or -1 on anything
   else (the caller prints its usage). */
static int bench_parse_args(int argc, char **argv, int allow_cd, const char *flag, bench_args *a) {
    int argi;
    memset(a, 0, sizeof *a);
    a->warm = a->expect = -1;
    if (argc < 4) return -1;
    a->mode = argv[1];
    a->url = argv[2];
    if (allow_cd && !strcmp(a->mode, "cd")) {
        a->n = atol(argv[3]);
        argi = 4;
    } else if (!strcmp(a->mode, "get") || !strcmp(a->mode, "fresh")) {
        if (argc < 5) return -1;
        a->target = argv[3];
        a->n = atol(argv[4]);
        argi = 5;
    } else
        return -1;
    for (; argi < argc; argi++) {
        if (!strcmp(argv[argi], "--ca") && argi + 1 < argc)
            a->ca = argv[++argi];
        else if (!strcmp(argv[argi], "--expect") && argi + 1 < argc)
            a->expect = atol(argv[++argi]);
        else if (!strcmp(argv[argi], "--warm") && argi + 1 < argc)
            a->warm = atol(argv[++argi]);
        else if (!strcmp(argv[argi], flag))
            a->flag = 1;
        else
            return -1;
    }
    if (a->n < 1) return -1;
    if (a->warm < 0) a->warm = a->n / 10 > 100 ? 100 : a->n / 10;
    return 0;
}

/* --- a counting allocator -------------------------------------------------------------- */

/* Every block carries its size in a header, so that frees and reallocs keep cur exact. */
typedef struct bench_heap {
    unsigned long mallocs, reallocs, frees;
    size_t cur, peak;
} bench_heap;
#define BENCH_HDR 16

static void bench_heap_grew(bench_heap *h, size_t old, size_t n) {
    h->cur = h->cur - old + n;
    if (h->cur > h->peak) h->peak = h->cur;
}
static void *bench_heap_malloc(bench_heap *h, size_t n) {
    unsigned char *p = (unsigned char *)malloc(n + BENCH_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    h->mallocs++;
    bench_heap_grew(h, 0, n);
    return p + BENCH_HDR;
}
/* Like realloc, except that n == 0 keeps a (zero-sized) block: a caller wanting free
   semantics for 0 says so itself. */
static void *bench_heap_realloc(bench_heap *h, void *ptr, size_t n) {
    unsigned char *base, *q;
    size_t old;
    if (!ptr) return bench_heap_malloc(h, n);
    base = (unsigned char *)ptr - BENCH_HDR;
    memcpy(&old, base, sizeof old);
    q = (unsigned char *)realloc(base, n + BENCH_HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof n);
    h->reallocs++;
    bench_heap_grew(h, old, n);
    return q + BENCH_HDR;
}
static void bench_heap_free(bench_heap *h, void *ptr) {
    unsigned char *base;
    size_t old;
    if (!ptr) return;
    base = (unsigned char *)ptr - BENCH_HDR;
    memcpy(&old, base, sizeof old);
    h->frees++;
    h->cur -= old;
    free(base);
}

/* --- the timed rounds ------------------------------------------------------------------ */

static double bench_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak resident set size of this process, from /proc/self/status (0 if unknown). */
static long bench_vmhwm_kb(void) {
    char line[256];
    long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = atol(line + 6);
    fclose(f);
    return kb;
}

/* One request of round i: adds the body's length to *bytes; 0, or nonzero after saying on
   stderr what went wrong. */
typedef int (*bench_request_fn)(void *ctx, long i, unsigned long *bytes);

typedef struct bench_result {
    double secs;
    unsigned long bytes;
    unsigned long allocs_at_warm; /* heap's mallocs + reallocs when request `warm` began */
} bench_result;

/* a->n requests, timed together; 0 when every one succeeded. */
static int bench_rounds(const bench_args *a, const bench_heap *heap, bench_request_fn request, void *ctx,
                        bench_result *r) {
    long i;
    double t0;
    memset(r, 0, sizeof *r);
    t0 = bench_now_s();
    for (i = 0; i < a->n; i++) {
        if (i == a->warm) r->allocs_at_warm = heap->mallocs + heap->reallocs;
        if (request(ctx, i, &r->bytes) != 0) return 1;
    }
    r->secs = bench_now_s() - t0;
    return 0;
}

/* Is response i what a get/fresh round expects (status 200, --expect bytes if given)? */
static int bench_body_ok(const bench_args *a, long i, long status, size_t body_len) {
    if (status == 200 && (a->expect < 0 || body_len == (size_t)a->expect)) return 1;
    fprintf(stderr, "request %ld: status %ld, %lu body bytes\n", i, status, (unsigned long)body_len);
    return 0;
}

/* The result line: "ok n=N secs=S bytes=B allocs=A steady_allocs=X steady_reqs=Y
   peak_heap=P heap_end=E EXTRA vmhwm_kb=K" (EXTRA: the client's own key=value fields).
   allocs, peak and hwm are taken before the client is torn down, heap_end after. */
static void bench_print_result(const bench_args *a, const bench_result *r, unsigned long allocs, size_t peak,
                               size_t heap_end, const char *extra, long hwm) {
    printf("ok n=%ld secs=%.6f bytes=%lu allocs=%lu steady_allocs=%lu steady_reqs=%ld peak_heap=%lu "
           "heap_end=%lu %s vmhwm_kb=%ld\n",
           a->n, r->secs, r->bytes, allocs, allocs - r->allocs_at_warm, a->n - a->warm, (unsigned long)peak,
           (unsigned long)heap_end, extra, hwm);
}

#endif
