/* SPDX-License-Identifier: MIT */
/* Allocation failure injected at every allocation point of a full CD flow against the
   emulator (login, setProperty, getProperty of a 64 KiB value, getProperties,
   createArtifact, runProcedure, logout), over HTTP and, when certificates can be made,
   HTTPS. For N = 1, 2, ... the Nth allocation fails: the call that meets it returns
   CDREST_E_NOMEM (exactly), nothing leaks (the allocator counts live blocks; ASan and
   valgrind check the rest), and the same client then completes the flow. It stops at
   the first N the flow no longer reaches. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

static long fault_calls;      /* allocations (malloc, realloc) so far */
static long fault_at;         /* the one that fails (0: none) */
static int fault_hit;         /* a failure was injected */
static int fault_optional;    /* ... into a realloc that shrinks (its failure may be ignored) */
static long fault_live;       /* blocks allocated and not yet freed */
static int fault_bad_ctx;     /* an allocator call with another context than config.alloc_ctx */
static void *fault_ctx_want;
static unsigned char fault_sites[1 << 16]; /* header lines that allocated */

static int fault_fail_now(void *ctx, int line, int shrink) {
    if (ctx != fault_ctx_want) fault_bad_ctx++;
    fault_calls++;
    if (line > 0 && line < (int)sizeof fault_sites) fault_sites[line] = 1;
    if (fault_at && fault_calls == fault_at) {
        fault_hit = 1;
        fault_optional = shrink;
        return 1;
    }
    return 0;
}
__attribute__((unused)) static void *fault_malloc(void *ctx, size_t n, int line) { /* unused without TLS */
    void *p;
    if (fault_fail_now(ctx, line, 0)) return NULL;
    p = malloc(n);
    if (p) fault_live++;
    return p;
}
static void *fault_realloc(void *ctx, void *p, size_t n, int line) {
    void *q;
    if (fault_fail_now(ctx, line, p && n <= malloc_usable_size(p))) return NULL;
    q = realloc(p, n);
    if (q && !p) fault_live++;
    return q;
}
static void fault_free(void *ctx, void *p) {
    if (ctx != fault_ctx_want) fault_bad_ctx++;
    if (p) fault_live--;
    free(p);
}
#define CDREST_MALLOC(ctx, n) fault_malloc((ctx), (n), __LINE__)
#define CDREST_REALLOC(ctx, p, n) fault_realloc((ctx), (p), (n), __LINE__)
#define CDREST_FREE(ctx, p) fault_free((ctx), (p))

#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

static int valgrind;
static char big_value[65537];
static char cert_dir[64];

typedef struct flow_ctx {
    cdrest_client *c;
    int iteration;
    const char *prefix;
} flow_ctx;

enum { STEP_LOGIN, STEP_SET, STEP_SET_MID, STEP_SET_BIG, STEP_GET_BIG, STEP_GET_SHEET, STEP_ARTIFACT, STEP_RUN, STEP_LOGOUT, NSTEPS };
static const char *const step_names[NSTEPS] = {"login", "setProperty", "setProperty 10 KiB", "setProperty 64 KiB", "getProperty 64 KiB",
                                               "getProperties", "createArtifact", "runProcedure", "logout"};

/* One step of the flow; returns the call's code. *again is set when a repeat may
   meet the first attempt's effect (the artifact exists). */
static int run_step(flow_ctx *f, int step, int repeat) {
    cdrest_client *c = f->c;
    cdrest_doc d;
    char path[128], key[64], job[64];
    const char *v;
    size_t n;
    int rc, count = 0, it;
    cdrest_sheet_entry e;
    cdrest_param actual[] = {{"greeting", "hello"}, {"duration", "0"}, {NULL, NULL}};
    switch (step) {
    case STEP_LOGIN:
        return cdrest_login(c);
    case STEP_SET:
        snprintf(path, sizeof path, "/projects/Default/%s/small", f->prefix);
        rc = cdrest_set_property(c, path, "a small value", NULL, &d);
        if (rc == 0 && cdrest_doc_find(&d, "property.value") < 0) return -100;
        return rc;
    case STEP_SET_MID: /* a body sent with the head: the request buffer grows on a reused connection */
        snprintf(path, sizeof path, "/projects/Default/%s/mid", f->prefix);
        return cdrest_set_property(c, path, big_value + sizeof big_value - 1 - 10240, NULL, &d);
    case STEP_SET_BIG:
        snprintf(path, sizeof path, "/projects/Default/%s/big", f->prefix);
        return cdrest_set_property(c, path, big_value, NULL, &d);
    case STEP_GET_BIG:
        snprintf(path, sizeof path, "/projects/Default/%s/big", f->prefix);
        rc = cdrest_get_property_value(c, path, NULL, &v, &n);
        if (rc == 0 && (n != sizeof big_value - 1 || memcmp(v, big_value, n) != 0)) return -101;
        return rc;
    case STEP_GET_SHEET:
        snprintf(path, sizeof path, "/projects/Default/%s", f->prefix);
        rc = cdrest_get_properties(c, path, NULL, &d);
        if (rc) return rc;
        it = 0;
        while (cdrest_sheet_next(&d, &it, &e)) count++;
        return count == 3 ? 0 : -102;
    case STEP_ARTIFACT:
        snprintf(key, sizeof key, "%s-%d", f->prefix, f->iteration);
        rc = cdrest_create_artifact(c, "faults", key, NULL, &d);
        /* a repeat after a failure met after the request went out finds it made */
        if (repeat && rc == CDREST_E_SERVER && !strcmp(cdrest_last_error(c)->server_code, "DuplicateArtifactName"))
            return 0;
        return rc;
    case STEP_RUN:
        job[0] = 0;
        rc = cdrest_run_procedure(c, "Default", "runme", actual, job, sizeof job);
        if (rc == 0 && !job[0]) return -103;
        return rc;
    case STEP_LOGOUT:
        return cdrest_logout(c);
    }
    return -104;
}

typedef struct flow_stats {
    long allocations;   /* in a flow without failures */
    int iterations;
    int hits_per_step[NSTEPS];
    int sites;
    int optional;       /* failures of shrinking reallocs, absorbed */
} flow_stats;

/* The flow with the Nth allocation failing (0: none). Returns 1 if a failure was
   injected, 0 if the flow made fewer than N allocations. */
static int flow_once(const char *url, const char *ca, const char *prefix, long n, flow_stats *st) {
    static int magic;
    cdrest_client c;
    cdrest_config cfg;
    flow_ctx f;
    int step, injected = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = url;
    cfg.user = "admin";
    cfg.password = "changeme";
    cfg.no_proxy = 1;
    cfg.timeout_ms = 20000;
    cfg.alloc_ctx = &magic;
    cfg.tls.ca_file = ca;
    fault_ctx_want = &magic;
    fault_calls = 0;
    fault_hit = 0;
    fault_at = n;
    if (!CHECK_INT(cdrest_init(&c, &cfg), 0)) return 0;
    f.c = &c;
    f.iteration = (int)n;
    f.prefix = prefix;
    for (step = 0; step < NSTEPS; step++) {
        int rc;
        fault_hit = 0;
        fault_optional = 0;
        rc = run_step(&f, step, 0);
        if (fault_hit && fault_optional && rc == 0) {
            injected = 1; /* a shrinking realloc that failed: the block stays as it was */
            st->optional++;
            fault_at = 0;
        } else if (fault_hit) {
            injected = 1;
            st->hits_per_step[step]++;
            if (!test_check_int(rc, CDREST_E_NOMEM, step_names[step], (int)n, "the call meeting the failure: NOMEM"))
                fprintf(stderr, "  %s, allocation %ld failed: rc %d (%s) \"%s\"\n", step_names[step], n, rc,
                        cdrest_strerror(rc), cdrest_errmsg(&c));
            else if (test_check_contains(cdrest_errmsg(&c), "out of memory", step_names[step], (int)n, "message"))
                printf("  %s allocation %ld failing, in %s: %s\n", prefix, n, step_names[step], cdrest_errmsg(&c));
            fault_at = 0; /* allocation works again: the same client goes on */
            rc = run_step(&f, step, 1);
            if (!test_check_int(rc, 0, step_names[step], (int)n, "the same step again succeeds"))
                fprintf(stderr, "  %s again after allocation %ld failed: rc %d \"%s\"\n", step_names[step], n, rc,
                        cdrest_errmsg(&c));
        } else if (!test_check_int(rc, 0, step_names[step], (int)n, "step succeeds")) {
            fprintf(stderr, "  %s (allocation %ld to fail, %ld made): rc %d \"%s\"\n", step_names[step], n, fault_calls, rc,
                    cdrest_errmsg(&c));
        }
    }
    if (!injected) st->allocations = fault_calls;
    cdrest_free(&c);
    test_check_int(fault_live, 0, prefix, (int)n, "no block left after cdrest_free");
    fault_live = 0;
    return injected;
}

static void run_flow(const char *url, const char *ca, const char *prefix) {
    flow_stats st;
    long n;
    int s, i, sites = 0;
    memset(&st, 0, sizeof st);
    memset(fault_sites, 0, sizeof fault_sites);
    for (n = 1; n < 1000; n++) {
        if (!flow_once(url, ca, prefix, n, &st)) break;
        st.iterations++;
    }
    CHECK(n < 1000);
    CHECK(st.iterations > 5);
    CHECK_INT(fault_bad_ctx, 0);
    for (i = 0; i < (int)sizeof fault_sites; i++) sites += fault_sites[i];
    printf("%s: %ld allocations in the whole flow, each failed in turn (%d runs; %d shrinking reallocs absorbed);"
           " %d allocation sites in the header; failures met by:", prefix, st.allocations, st.iterations, st.optional, sites);
    for (s = 0; s < NSTEPS; s++)
        if (st.hits_per_step[s]) printf(" %s %d,", step_names[s], st.hits_per_step[s]);
    printf("\n");
}

static pid_t start_emu(const char *cert, const char *key, int *port) {
    const char *extra[] = {"--job-seconds", "0", "--cert", cert, "--key", key, NULL};
    pid_t pid = 0;
    if (!cert) extra[2] = NULL;
    *port = test_start_emu(extra, &pid);
    return pid;
}

/* The allocator's failures inside lower layers, straight: the receive buffer, a
   caller-sized body, the token array. */
static void test_direct(void) {
    static int magic;
    cdrest_client c;
    cdrest_config cfg;
    cdrest_json_writer w;
    char buf[8];
    memset(&cfg, 0, sizeof cfg);
    cfg.server = "http://127.0.0.1:9";
    cfg.no_proxy = 1;
    cfg.alloc_ctx = &magic;
    fault_ctx_want = &magic;
    fault_calls = 0;
    fault_at = 1;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    /* cdrest_call copies the body: the first allocation */
    CHECK_INT(cdrest_call(&c, "POST", "/x", NULL, "{\"a\":1}", NULL), CDREST_E_NOMEM);
    CHECK_CONTAINS(cdrest_errmsg(&c), "out of memory");
    fault_at = 0;
    cdrest_free(&c);
    CHECK_INT(fault_live, 0);
    /* the JSON writer never allocates */
    fault_calls = 0;
    cdrest_jw_init(&w, buf, sizeof buf);
    cdrest_jw_object_begin(&w);
    cdrest_jw_key(&w, "k");
    cdrest_jw_string(&w, "a long value");
    cdrest_jw_object_end(&w);
    CHECK_INT(cdrest_jw_finish(&w), CDREST_E_TOOLARGE);
    CHECK_INT(fault_calls, 0);
    CHECK_STR(cdrest_strerror(CDREST_E_NOMEM), "out of memory");
}

int main(void) {
    char url[64], cmd[600], cert[128], key[128], ca[128];
    int port = 0;
    pid_t pid;
    size_t i;
    valgrind = getenv("CDREST_VALGRIND") != NULL;
    for (i = 0; i < sizeof big_value - 1; i++) big_value[i] = (char)('a' + i % 26);
    big_value[100] = '"'; /* escaped in JSON: the decoded value differs from the raw text */
    big_value[200] = '\\';
    test_direct();
    pid = start_emu(NULL, NULL, &port);
    CHECK(port > 0);
    if (port > 0) {
        snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
        run_flow(url, NULL, "http");
        test_stop_server(pid);
    }
    /* HTTPS: the TLS state, its I/O buffer and the trust anchors are allocated too */
    snprintf(cert_dir, sizeof cert_dir, "/tmp/cdrest-faults-XXXXXX");
    if (mkdtemp(cert_dir)) {
        snprintf(cmd, sizeof cmd, "sh '%s/mkcerts.sh' '%s' >/dev/null 2>&1", test_dir(), cert_dir);
        if (system(cmd) == 0) {
            snprintf(cert, sizeof cert, "%s/ecdsa.pem", cert_dir);
            snprintf(key, sizeof key, "%s/ecdsa.key", cert_dir);
            snprintf(ca, sizeof ca, "%s/ca.pem", cert_dir);
            pid = start_emu(cert, key, &port);
            CHECK(port > 0);
            if (port > 0) {
                cdrest_client probe;
                cdrest_config cfg;
                int rc;
                memset(&cfg, 0, sizeof cfg);
                snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
                cfg.server = url;
                cfg.no_proxy = 1;
                cfg.tls.ca_file = ca;
                fault_at = 0;
                fault_ctx_want = NULL;
                cdrest_init(&probe, &cfg);
                rc = cdrest_call(&probe, "GET", "/server", NULL, NULL, NULL);
                cdrest_free(&probe);
                fault_live = 0;
                if (rc == CDREST_E_UNSUPPORTED || rc == CDREST_E_TLS)
                    printf("https: SKIPPED (TLS not working yet: %s)\n", cdrest_strerror(rc));
                else
                    run_flow(url, ca, "https");
                test_stop_server(pid);
            }
        } else {
            printf("https: SKIPPED (tests/mkcerts.sh failed)\n");
        }
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", cert_dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", cert_dir);
    }
    return test_summary();
}
