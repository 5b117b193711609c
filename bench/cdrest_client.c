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
   CDREST_MALLOC/REALLOC, counted by bench/common.h's allocator via cfg.alloc_ctx). Exit 0 only when
   every response was right. */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

/* --- a counting allocator, plugged in through the CDREST_* macros --------------------- */
static bench_heap g_heap;      /* allocations made without the client's alloc_ctx */
static unsigned long g_no_ctx; /* how many of them there were (there should be none) */

static bench_heap *heap_of(void *ctx) {
    if (ctx) return (bench_heap *)ctx;
    g_no_ctx++;
    return &g_heap;
}
#define CDREST_MALLOC(ctx, n)     bench_heap_malloc(heap_of(ctx), (n))
#define CDREST_REALLOC(ctx, p, n) bench_heap_realloc(heap_of(ctx), (p), (n))
#define CDREST_FREE(ctx, p)       bench_heap_free(heap_of(ctx), (p))
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

static int usage(void) {
    fprintf(stderr, "usage: cdrest_client get|fresh URL TARGET N [--ca F] [--expect B] [--warm W] [--full-duplex]\n"
                    "       cdrest_client cd URL N [--ca F] [--warm W]\n");
    return 2;
}

typedef struct run {
    const bench_args *a;
    cdrest_client *c;
} run;

/* cd mode: setProperty of a fresh value, then getProperty must give it back. */
static int one_cd_pair(void *ctx, long i, unsigned long *bytes) {
    static const cdrest_param project[] = { { "projectName", "Default" }, { NULL, NULL } };
    run *r = (run *)ctx;
    char value[32], got[32];
    cdrest_doc doc;
    snprintf(value, sizeof value, "v%ld", i);
    if (cdrest_set_property(r->c, "benchProp", value, project, &doc) != 0) {
        fprintf(stderr, "setProperty %ld: %s\n", i, cdrest_errmsg(r->c));
        return 1;
    }
    if (cdrest_get_property(r->c, "benchProp", project, &doc) != 0) {
        fprintf(stderr, "getProperty %ld: %s\n", i, cdrest_errmsg(r->c));
        return 1;
    }
    if (cdrest_doc_string(&doc, "property.value", got, sizeof got) != 0 || strcmp(got, value) != 0) {
        fprintf(stderr, "getProperty %ld: wrong value\n", i);
        return 1;
    }
    *bytes += (unsigned long)doc.len;
    return 0;
}

/* get and fresh modes: one GET (fresh: then drop the connection). */
static int one_get(void *ctx, long i, unsigned long *bytes) {
    run *r = (run *)ctx;
    cdrest_request req;
    cdrest_response resp;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = r->a->target;
    if (cdrest_http(r->c, &req, &resp) != 0) {
        fprintf(stderr, "request %ld: %s\n", i, cdrest_errmsg(r->c));
        return 1;
    }
    if (!bench_body_ok(r->a, i, resp.status, resp.body_len)) return 1;
    *bytes += (unsigned long)resp.body_len;
    if (r->a->mode[0] == 'f') cdrest_disconnect(r->c);
    return 0;
}

int main(int argc, char **argv) {
    static cdrest_client c; /* ~12 KB: not on the stack of a small thread, but any place works */
    cdrest_config cfg;
    bench_args a;
    bench_heap heap;
    bench_result res;
    run r;
    int is_cd;
    if (bench_parse_args(argc, argv, 1, "--full-duplex", &a) != 0) return usage();
    is_cd = a.target == NULL;

    memset(&heap, 0, sizeof heap);
    memset(&cfg, 0, sizeof cfg);
    cfg.server = a.url;
    cfg.no_proxy = 1;
    cfg.alloc_ctx = &heap;
    cfg.tls.ca_file = a.ca;
    cfg.tls.full_duplex = a.flag;
    if (is_cd) {
        cfg.user = "admin";
        cfg.password = "changeme";
    }
    if (cdrest_init(&c, &cfg) != 0) {
        fprintf(stderr, "cdrest_init: %s\n", cdrest_errmsg(&c));
        return 1;
    }
    if (is_cd && cdrest_login(&c) != 0) {
        fprintf(stderr, "login: %s\n", cdrest_errmsg(&c));
        return 1;
    }

    r.a = &a;
    r.c = &c;
    if (bench_rounds(&a, &heap, is_cd ? one_cd_pair : one_get, &r, &res) != 0) return 1;
    {
        unsigned long allocs = heap.mallocs + heap.reallocs;
        size_t peak = heap.peak;
        unsigned long connects = c.connects;
        long hwm = bench_vmhwm_kb();
        char extra[128];
        cdrest_free(&c);
        snprintf(extra, sizeof extra, "no_ctx_allocs=%lu connects=%lu", g_no_ctx, connects);
        bench_print_result(&a, &res, allocs, peak, heap.cur, extra, hwm);
    }
    return 0;
}
