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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct heap_count {
    unsigned long allocs, frees;
    size_t cur, peak;
} heap_count;
static heap_count g_heap; /* libcurl and OpenSSL together */
#define HDR 16

static void *count_malloc(size_t n) {
    unsigned char *p = (unsigned char *)malloc(n + HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    g_heap.allocs++;
    g_heap.cur += n;
    if (g_heap.cur > g_heap.peak) g_heap.peak = g_heap.cur;
    return p + HDR;
}
static void count_free(void *ptr) {
    unsigned char *base;
    size_t old;
    if (!ptr) return;
    base = (unsigned char *)ptr - HDR;
    memcpy(&old, base, sizeof old);
    g_heap.frees++;
    g_heap.cur -= old;
    free(base);
}
static void *count_realloc(void *ptr, size_t n) {
    unsigned char *base, *q;
    size_t old;
    if (!ptr) return count_malloc(n);
    if (n == 0) {
        count_free(ptr);
        return NULL;
    }
    base = (unsigned char *)ptr - HDR;
    memcpy(&old, base, sizeof old);
    q = (unsigned char *)realloc(base, n + HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof n);
    g_heap.allocs++;
    g_heap.cur = g_heap.cur - old + n;
    if (g_heap.cur > g_heap.peak) g_heap.peak = g_heap.cur;
    return q + HDR;
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

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

int main(int argc, char **argv) {
    const char *mode, *ca = NULL;
    char url[1024];
    long n, i, warm = -1, expect = -1, connects = 0;
    unsigned long bytes = 0, allocs_at_warm = 0;
    int argi, hooked = 0, count = 0;
    double t0, t1;
    sink body;
    CURL *h;
    if (argc < 5 || (strcmp(argv[1], "get") && strcmp(argv[1], "fresh"))) {
        fprintf(stderr,
                "usage: curl_client get|fresh URL TARGET N [--ca F] [--expect B] [--warm W] [--count-allocs]\n");
        return 2;
    }
    mode = argv[1];
    snprintf(url, sizeof url, "%s%s", argv[2], argv[3]);
    n = atol(argv[4]);
    for (argi = 5; argi < argc; argi++) {
        if (!strcmp(argv[argi], "--ca") && argi + 1 < argc)
            ca = argv[++argi];
        else if (!strcmp(argv[argi], "--expect") && argi + 1 < argc)
            expect = atol(argv[++argi]);
        else if (!strcmp(argv[argi], "--warm") && argi + 1 < argc)
            warm = atol(argv[++argi]);
        else if (!strcmp(argv[argi], "--count-allocs"))
            count = 1;
        else
            return 2;
    }
    /* Before anything in OpenSSL allocates (nothing has yet: curl_global_init comes later). */
    if (count) hooked = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
    if (n < 1) return 2;
    if (warm < 0) warm = n / 10 > 100 ? 100 : n / 10;
    if ((count ? curl_global_init_mem(CURL_GLOBAL_DEFAULT, count_malloc, count_free, count_realloc, count_strdup,
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
    if (ca) curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    if (mode[0] == 'f') curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    t0 = now_s();
    for (i = 0; i < n; i++) {
        long status = 0, nc = 0;
        CURLcode rc;
        if (i == warm) allocs_at_warm = g_heap.allocs;
        body.len = 0;
        rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            fprintf(stderr, "request %ld: %s\n", i, curl_easy_strerror(rc));
            return 1;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nc);
        connects += nc;
        if (status != 200 || (expect >= 0 && body.len != (size_t)expect)) {
            fprintf(stderr, "request %ld: status %ld, %lu body bytes\n", i, status, (unsigned long)body.len);
            return 1;
        }
        bytes += (unsigned long)body.len;
    }
    t1 = now_s();
    {
        unsigned long allocs = g_heap.allocs;
        size_t peak = g_heap.peak;
        long hwm = vmhwm_kb();
        curl_easy_cleanup(h);
        curl_global_cleanup();
        printf("ok n=%ld secs=%.6f bytes=%lu allocs=%lu steady_allocs=%lu steady_reqs=%ld peak_heap=%lu "
               "heap_end=%lu counted=%d openssl_hooked=%d connects=%ld vmhwm_kb=%ld\n",
               n, t1 - t0, bytes, allocs, allocs - allocs_at_warm, n - warm, (unsigned long)peak,
               (unsigned long)g_heap.cur, count, hooked, connects, hwm);
    }
    free(body.buf);
    return 0;
}
