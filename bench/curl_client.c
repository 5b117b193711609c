/* SPDX-License-Identifier: MIT */
/* bench/curl_client.c - the libcurl side of `make bench` (libcurl 7.88 + OpenSSL 3 in Debian 12).
     curl_client get   URL TARGET N [options]   N GETs with one easy handle reused (keep-alive)
     curl_client fresh URL TARGET N [options]   the same handle with CURLOPT_FORBID_REUSE: a new
                                                connection every time; libcurl offers its cached
                                                TLS session again (its own session reuse)
   options: --ca FILE, --expect BYTES, --warm W (as bench/cdrest_client.c), --count-allocs
   The body goes into one preallocated buffer (the usual "collect the response" callback), so
   both programs end each request with the body contiguous in memory.
   With --count-allocs, libcurl's and OpenSSL's allocations are counted through
   curl_global_init_mem() and CRYPTO_set_mem_functions() (left out otherwise, so that timed
   and callgrind runs measure libcurl with the plain allocator). Prints the same "ok n=... secs=..." line as cdrest_client. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <openssl/crypto.h>
#include "common.h"

static bench_heap g_heap; /* libcurl and OpenSSL together; allocs = mallocs + reallocs */

static void *count_malloc(size_t n) {
    return bench_heap_malloc(&g_heap, n);
}
static void count_free(void *ptr) {
    bench_heap_free(&g_heap, ptr);
}
static void *count_realloc(void *ptr, size_t n) {
    if (ptr && n == 0) { /* libcurl's and OpenSSL's contract: realloc to 0 frees */
        count_free(ptr);
        return NULL;
    }
    return bench_heap_realloc(&g_heap, ptr, n);
}
static char *count_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = (char *)count_malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}
static void *count_calloc(size_t a, size_t b) {
    void *p = count_malloc(a * b);
    if (p) memset(p, 0, a * b);
    return p;
}
static void *ossl_malloc(size_t n, const char *f, int l) {
    (void)f, (void)l;
    return count_malloc(n);
}
static void *ossl_realloc(void *p, size_t n, const char *f, int l) {
    (void)f, (void)l;
    return count_realloc(p, n);
}
static void ossl_free(void *p, const char *f, int l) {
    (void)f, (void)l;
    count_free(p);
}

typedef struct sink {
    char *buf;
    size_t cap, len;
} sink;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud) {
    sink *s = (sink *)ud;
    size_t n = size * nmemb;
    if (s->len + n > s->cap) {
        size_t cap = s->cap * 2 > s->len + n ? s->cap * 2 : s->len + n;
        char *p = (char *)realloc(s->buf, cap);
        if (!p) return 0;
        s->buf = p;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, ptr, n);
    s->len += n;
    return n;
}

typedef struct run {
    const bench_args *a;
    CURL *h;
    sink *body;
    long connects;
} run;

static int one_get(void *ctx, long i, unsigned long *bytes) {
    run *r = (run *)ctx;
    long status = 0, nc = 0;
    CURLcode rc;
    r->body->len = 0;
    rc = curl_easy_perform(r->h);
    if (rc != CURLE_OK) {
        fprintf(stderr, "request %ld: %s\n", i, curl_easy_strerror(rc));
        return 1;
    }
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(r->h, CURLINFO_NUM_CONNECTS, &nc);
    r->connects += nc;
    if (!bench_body_ok(r->a, i, status, r->body->len)) return 1;
    *bytes += (unsigned long)r->body->len;
    return 0;
}

int main(int argc, char **argv) {
    char url[1024];
    int hooked = 0;
    bench_args a;
    bench_result res;
    sink body;
    run r;
    CURL *h;
    if (bench_parse_args(argc, argv, 0, "--count-allocs", &a) != 0) {
        fprintf(stderr,
                "usage: curl_client get|fresh URL TARGET N [--ca F] [--expect B] [--warm W] [--count-allocs]\n");
        return 2;
    }
    snprintf(url, sizeof url, "%s%s", a.url, a.target);
    /* Before anything in OpenSSL allocates (nothing has yet: curl_global_init comes later). */
    if (a.flag) hooked = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
    if ((a.flag ? curl_global_init_mem(CURL_GLOBAL_DEFAULT, count_malloc, count_free, count_realloc, count_strdup,
                                       count_calloc)
                : curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
        return fprintf(stderr, "curl_global_init failed\n"), 1;
    body.cap = 2u << 20;
    body.len = 0;
    body.buf = (char *)malloc(body.cap);
    h = curl_easy_init();
    if (!h || !body.buf) return 1;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    if (a.ca) curl_easy_setopt(h, CURLOPT_CAINFO, a.ca);
    if (a.mode[0] == 'f') curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    r.a = &a;
    r.h = h;
    r.body = &body;
    r.connects = 0;
    if (bench_rounds(&a, &g_heap, one_get, &r, &res) != 0) return 1;
    {
        unsigned long allocs = g_heap.mallocs + g_heap.reallocs;
        size_t peak = g_heap.peak;
        long hwm = bench_vmhwm_kb();
        char extra[128];
        curl_easy_cleanup(h);
        curl_global_cleanup();
        snprintf(extra, sizeof extra, "counted=%d openssl_hooked=%d connects=%ld", a.flag, hooked, r.connects);
        bench_print_result(&a, &res, allocs, peak, g_heap.cur, extra, hwm);
    }
    free(body.buf);
    return 0;
}
