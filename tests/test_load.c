/* SPDX-License-Identifier: MIT */
/* Load and threads: T threads, each with its own client, R requests each (setProperty
   then getProperty of the thread's own property, checked) against the emulator started
   with --close-idle-probability 0.05 (it closes connections between requests at random).
   Every request must succeed: the client notices the closed connections and reconnects,
   resending idempotent requests at most once. Prints the resident set after warm-up and
   at the end (it must stay flat).
   Size: argv[1] or $CDREST_LOAD as "TxR" (`make tsan` runs 8x5000); by default 8x300,
   and 4x50 under valgrind. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <pthread.h>
#include <time.h>

static char base_url[64];
static int threads = 8, requests = 300;
static pthread_barrier_t warm_barrier, go_barrier;

typedef struct worker {
    pthread_t tid;
    int index;
    int ok, failed, mismatched;
    unsigned long connects;
    char first_error[CDREST_ERRMSG_SIZE];
} worker;

static void one(worker *w, cdrest_client *c, int i) {
    char path[96], value[64];
    const char *v;
    size_t n;
    cdrest_doc d;
    int rc;
    snprintf(path, sizeof path, "/projects/Default/load/t%d", w->index);
    if (i % 2 == 0) {
        snprintf(value, sizeof value, "thread %d value %d", w->index, i);
        rc = cdrest_set_property(c, path, value, NULL, &d);
    } else {
        snprintf(value, sizeof value, "thread %d value %d", w->index, i - 1);
        rc = cdrest_get_property_value(c, path, NULL, &v, &n);
        if (rc == 0 && strcmp(v, value) != 0) w->mismatched++;
    }
    if (rc == 0) {
        w->ok++;
    } else {
        if (!w->failed) snprintf(w->first_error, sizeof w->first_error, "%s", cdrest_errmsg(c));
        w->failed++;
    }
}

static void *run_worker(void *arg) {
    worker *w = (worker *)arg;
    cdrest_client c;
    cdrest_config cfg;
    int i, warm = requests / 10 < 2 ? 2 : requests / 10;
    cfg = test_admin_config(base_url);
    cfg.timeout_ms = 30000;
    if (cdrest_init(&c, &cfg) != 0) {
        snprintf(w->first_error, sizeof w->first_error, "init: %.200s", cdrest_errmsg(&c));
        w->failed = requests;
        pthread_barrier_wait(&warm_barrier);
        pthread_barrier_wait(&go_barrier);
        return NULL;
    }
    for (i = 0; i < warm; i++) one(w, &c, i);
    pthread_barrier_wait(&warm_barrier); /* the main thread measures the warm resident set */
    pthread_barrier_wait(&go_barrier);
    for (; i < requests; i++) one(w, &c, i);
    w->connects = c.connects;
    cdrest_free(&c);
    return NULL;
}

static long emu_stat(const char *name) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_request req;
    cdrest_response r;
    cdrest_doc d;
    long v = -1;
    memset(&cfg, 0, sizeof cfg);
    memset(&req, 0, sizeof req);
    cfg.server = base_url;
    cfg.no_proxy = 1;
    if (cdrest_init(&c, &cfg) == 0) {
        req.method = "GET";
        req.target = "/emu/stats";
        if (cdrest_http(&c, &req, &r) == 0 && r.status == 200) {
            cdrest_json_parser p;
            cdrest_json_tok t[64];
            int nt, i;
            int64_t x;
            cdrest_json_init(&p);
            nt = cdrest_json_parse(&p, r.body, r.body_len, t, 64);
            i = nt > 0 ? cdrest_json_find(r.body, t, nt, 0, name) : -1;
            if (i >= 0 && cdrest_json_int64(r.body, t, i, &x) == 0) v = (long)x;
        }
        (void)d;
        cdrest_free(&c);
    }
    return v;
}

int main(int argc, char **argv) {
    const char *size = argc > 1 ? argv[1] : getenv("CDREST_LOAD");
    pid_t pid;
    int port, i, ok = 0, failed = 0, mismatched = 0;
    unsigned long connects = 0;
    long rss_warm, rss_end, hwm;
    worker *w;
    struct timespec t0, t1;
    double secs;
    if (getenv("CDREST_VALGRIND")) threads = 4, requests = 50;
    if (size && sscanf(size, "%dx%d", &threads, &requests) != 2) {
        fprintf(stderr, "size: THREADSxREQUESTS, e.g. 8x5000\n");
        return 2;
    }
    if (threads < 1 || threads > 64 || requests < 2) return 2;
    {
        static const char *const extra[] = { "--close-idle-probability", "0.05", NULL };
        port = test_start_emu(extra, &pid);
    }
    CHECK(port > 0);
    if (port <= 0) return test_summary();
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
    w = (worker *)calloc((size_t)threads, sizeof *w);
    pthread_barrier_init(&warm_barrier, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&go_barrier, NULL, (unsigned)threads + 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < threads; i++) {
        w[i].index = i;
        CHECK(pthread_create(&w[i].tid, NULL, run_worker, &w[i]) == 0);
    }
    pthread_barrier_wait(&warm_barrier);
    rss_warm = test_proc_status_kb("VmRSS");
    pthread_barrier_wait(&go_barrier);
    for (i = 0; i < threads; i++) pthread_join(w[i].tid, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rss_end = test_proc_status_kb("VmRSS");
    hwm = test_proc_status_kb("VmHWM");
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    for (i = 0; i < threads; i++) {
        ok += w[i].ok;
        failed += w[i].failed;
        mismatched += w[i].mismatched;
        connects += w[i].connects;
        if (w[i].failed) fprintf(stderr, "thread %d: %d failed, first: %s\n", i, w[i].failed, w[i].first_error);
    }
    printf("load: %d threads x %d requests: %d ok, %d failed, %d wrong values, %.1f s (%.0f requests/s)\n", threads,
           requests, ok, failed, mismatched, secs, ok / (secs > 0 ? secs : 1));
    printf("load: %lu connections opened by the clients; the emulator closed %ld idle ones\n", connects,
           emu_stat("idleCloses"));
    printf("load: RSS after warm-up %ld kB, at the end %ld kB (peak %ld kB)\n", rss_warm, rss_end, hwm);
    CHECK_INT(ok, threads * requests);
    CHECK_INT(failed, 0);
    CHECK_INT(mismatched, 0);
    CHECK_CONTAINS(base_url, "127.0.0.1");
    CHECK_STR(w[0].first_error, "");
    CHECK(connects > (unsigned long)threads || requests < 40); /* the random closes were met */
    /* flat: a client allocates nothing in steady state (valgrind's own memory aside) */
    if (!getenv("CDREST_VALGRIND")) CHECK(rss_end - rss_warm < 8 * 1024);
    test_stop_server(pid);
    pthread_barrier_destroy(&warm_barrier);
    pthread_barrier_destroy(&go_barrier);
    free(w);
    return test_summary();
}
