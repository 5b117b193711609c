/* Size sums that come from the network or the caller never wrap. Built and run natively
   by `make test`, and as a 32-bit program by tests/t_sizes32.sh (gcc -m32), where a size_t
   is 4 GiB and "head + body + 1" with a body near that, or a body cap of SIZE_MAX, used to
   wrap to a small number: a 20 KB chunked answer refused as too large, a 4 GiB
   Content-Length taken for a few bytes, base64 of a huge length reading past its input. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <stdint.h>

/* A transport that plays one canned response (in pieces of at most 7000 bytes), then EOF. */
typedef struct canned {
    const char *data;
    size_t len, pos;
} canned;
static int canned_connect(void *self, const char *h, unsigned short p, int t, cdrest_error *e) {
    (void)h;
    (void)p;
    (void)t;
    (void)e;
    ((canned *)self)->pos = 0;
    return 0;
}
static long canned_read(void *self, void *buf, size_t len, int t, cdrest_error *e) {
    canned *c = (canned *)self;
    size_t n = c->len - c->pos;
    (void)t;
    (void)e;
    if (n > len) n = len;
    if (n > 7000) n = 7000;
    memcpy(buf, c->data + c->pos, n);
    c->pos += n;
    return (long)n;
}
static long canned_write(void *self, const void *buf, size_t len, int t, cdrest_error *e) {
    (void)self;
    (void)buf;
    (void)t;
    (void)e;
    return (long)len;
}
static void canned_close(void *self) {
    (void)self;
}
static const cdrest_transport canned_transport = { canned_connect, canned_read, canned_write, canned_close,
                                                   NULL,           NULL,        NULL };

static char response[200000];

/* GET / against the canned response with the given body cap. */
static int fetch(const char *what, size_t max_body, size_t resp_len, cdrest_response *r, cdrest_client *c) {
    static canned t;
    cdrest_config cfg;
    cdrest_request req;
    cfg = test_config("http://cd.test", 0);
    cfg.max_body = max_body;
    cfg.transport = &canned_transport;
    cfg.transport_self = &t;
    t.data = response;
    t.len = resp_len;
    if (!test_check_int(cdrest_init(c, &cfg), 0, what, __LINE__, "init")) return -100;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/";
    return cdrest_http(c, &req, r);
}

static int is_pattern(const char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] != (char)('a' + i % 26)) return 0;
    return 1;
}

/* A body cap of SIZE_MAX (the caller's "no limit") with bodies whose length is not known
   up front: the read bound head + cap (+ a chunk line) must saturate, not wrap. */
static void test_unlimited_cap(void) {
    static const char *const kinds[] = { "chunked", "close-delimited", "content-length" };
    int k;
    for (k = 0; k < 3; k++) {
        cdrest_client c;
        cdrest_response r;
        size_t n = 0, i, body = 100000;
        int rc;
        if (k == 0) {
            n = (size_t)sprintf(response, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (i = 0; i < body; i += 10000) {
                size_t j;
                n += (size_t)sprintf(response + n, "2710\r\n");
                for (j = 0; j < 10000; j++) response[n++] = (char)('a' + (i + j) % 26);
                n += (size_t)sprintf(response + n, "\r\n");
            }
            n += (size_t)sprintf(response + n, "0\r\n\r\n");
        } else {
            n = (size_t)sprintf(response, k == 1 ? "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                                                 : "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            for (i = 0; i < body; i++) response[n++] = (char)('a' + i % 26);
        }
        rc = fetch(kinds[k], (size_t)-1, n, &r, &c);
        if (!test_check_int(rc, 0, kinds[k], __LINE__, "a 100 KB body with the cap at SIZE_MAX"))
            fprintf(stderr, "  %s: %s\n", kinds[k], cdrest_errmsg(&c));
        if (rc == 0) {
            test_check_int((long long)r.body_len, (long long)body, kinds[k], __LINE__, "all of it");
            test_check(is_pattern(r.body, r.body_len), kinds[k], __LINE__, "as sent");
        }
        cdrest_free(&c);
    }
}

/* A Content-Length that fits a size_t but not with the head and the NUL beside it. */
static void test_length_near_size_max(void) {
#if SIZE_MAX <= 0xFFFFFFFFu
    cdrest_client c;
    cdrest_response r;
    size_t n = (size_t)sprintf(response, "HTTP/1.1 200 OK\r\nContent-Length: %lu\r\n\r\nhello",
                               (unsigned long)((size_t)-1 - 10));
    int rc = fetch("Content-Length near SIZE_MAX", (size_t)-1, n, &r, &c);
    CHECK_INT(rc, CDREST_E_TOOLARGE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "larger than this machine can address");
    cdrest_free(&c);
    printf("32-bit size checks ran\n");
#else
    printf("32-bit size checks: skipped here (size_t has %d bits; tests/t_sizes32.sh runs them)\n",
           (int)(8 * sizeof(size_t)));
#endif
}

/* base64 of a length whose encoded size does not fit: the size saturates, nothing is
   read or written (it used to wrap to 0 and then read the input for SIZE_MAX bytes). */
static void test_base64_sizes(void) {
    char buf[16];
    size_t groups = (size_t)-1 / 4; /* the most 4-byte groups a size_t can count */
    memset(buf, '#', sizeof buf);
    CHECK(cdrest_base64_encode(buf, sizeof buf, "x", (size_t)-1) == (size_t)-1);
    CHECK_STR(buf, "");
    memset(buf, '#', sizeof buf);
    CHECK(cdrest_base64_encode(buf, sizeof buf, "x", (size_t)-2) == (size_t)-1);
    CHECK_STR(buf, "");
    CHECK(cdrest_base64_encode(buf, sizeof buf, "x", groups * 3) == groups * 4);
    CHECK(cdrest_base64_encode(buf, sizeof buf, "x", groups * 3 + 1) == (size_t)-1);
    CHECK_INT((long long)cdrest_base64_encode(buf, sizeof buf, "abcd", 4), 8);
    CHECK_STR(buf, "YWJjZA==");
}

/* The JSON writer counts what it would need, and the count saturates instead of wrapping
   back to a length that "fits". */
static void test_writer_count(void) {
    cdrest_json_writer w;
    char buf[8];
    cdrest_jw_init(&w, buf, sizeof buf);
    w.len = (size_t)-1 - 2; /* as if a huge value had been written */
    cdrest_jw_array_begin(&w);
    cdrest_jw_string(&w, "abcdef");
    CHECK(w.len == (size_t)-1);
    CHECK_INT(cdrest_jw_finish(&w), CDREST_E_TOOLARGE);
}

int main(void) {
    printf("size_t: %d bits\n", (int)(8 * sizeof(size_t)));
    test_unlimited_cap();
    test_length_near_size_max();
    test_base64_sizes();
    test_writer_count();
    return test_summary();
}
