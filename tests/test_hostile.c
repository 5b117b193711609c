/* SPDX-License-Identifier: MIT */
/* cdrest against a hostile server (tests/hostile.py): malformed, slow, endless and
   lying responses, each answered with the exact error code and a readable message, the
   client staying healthy (the same client then gets a good answer right); writes never
   lost nor silently resent; secrets never in messages or traces; redirects followed only
   within the origin and when asked; TLS endings and broken handshakes. Inputs the fuzzers
   (fuzz/fuzz_*.c) found are kept here as fixtures. Under valgrind (CDREST_VALGRIND) the
   big-body tests use an 8 MiB cap and skip the peak-RSS check. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <time.h>

static int valgrind;
static pid_t hostile_pid;
static int main_port, trap_port, reset_port, silent_port;
static int tls_port, tls_garbage_port, tls_stall_port, tls_plain_port;
static char cert_dir[64];
static cdrest_client ctl; /* control requests to the hostile server (keep-alive) */

static const char GOOD[] = "{\"property\":{\"propertyName\":\"p\",\"value\":\"good\"},\"jobId\":\"job-1\","
                           "\"sessionId\":\"sess-1\"}";

/* --- helpers -------------------------------------------------------------------- */

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int client_init(cdrest_client *c, const char *scheme, int port, const char *base, int timeout_ms) {
    char url[160];
    cdrest_config cfg;
    int rc;
    snprintf(url, sizeof url, "%s://127.0.0.1:%d%s", scheme, port, base ? base : "");
    cfg = test_config(url, timeout_ms);
    cfg.connect_timeout_ms = 5000;
    if (!strcmp(scheme, "https")) {
        static char ca[128];
        snprintf(ca, sizeof ca, "%s/ca.pem", cert_dir);
        cfg.tls.ca_file = ca;
    }
    rc = cdrest_init(c, &cfg);
    if (rc) fprintf(stderr, "init %s: %s\n", url, cdrest_errmsg(c));
    return rc;
}

/* A number from a control request ("/_count/NAME", "/_conns/LISTENER"). */
static long ctl_num(const char *fmt, const char *arg) {
    char target[160];
    cdrest_response r;
    snprintf(target, sizeof target, fmt, arg);
    if (test_get(&ctl, target, &r) != 0 || r.status != 200) {
        fprintf(stderr, "control request %s failed: %s\n", target, cdrest_errmsg(&ctl));
        return -1;
    }
    return atol(r.body);
}
static long count_of(const char *scenario) {
    return ctl_num("/_count/%s", scenario);
}
static long conns_of(const char *listener) {
    return ctl_num("/_conns/%s", listener);
}

/* The same client gets the good answer right: nothing of the last exchange leaked. */
static void check_healthy(cdrest_client *c, const char *after) {
    cdrest_response r;
    int rc = test_get(c, "/scenario/ok", &r);
    if (!test_check_int(rc, 0, after, __LINE__, "the next request succeeds")) {
        fprintf(stderr, "  after %s: %s\n", after, cdrest_errmsg(c));
        return;
    }
    test_check_int(r.status, 200, after, __LINE__, "the next status");
    test_check_str(r.body, GOOD, after, __LINE__, "the next body is its own");
}

static void set_base(cdrest_client *c, const char *scenario) {
    if (scenario)
        snprintf(c->url.base_path, sizeof c->url.base_path, "/scenario/%s", scenario);
    else
        c->url.base_path[0] = 0;
}

/* A control character, C0, DEL or C1 (U+0080..U+009F: C2 80..C2 9F in UTF-8), or a byte
   that is not UTF-8: anything a terminal could take for a command. */
static int has_control_chars(const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        int n = *s < 0x80                 ? 1
                : *s >= 0xC2 && *s < 0xE0 ? 2
                : *s >= 0xE0 && *s < 0xF0 ? 3
                : *s >= 0xF0 && *s < 0xF5 ? 4
                                          : 0,
            k;
        if (n == 0 || *s < 0x20 || *s == 0x7f || (s[0] == 0xC2 && s[1] >= 0x80 && s[1] < 0xA0)) return 1;
        for (k = 1; k < n; k++)
            if ((s[k] & 0xC0) != 0x80) return 1;
        s += n;
    }
    return 0;
}

/* --- the table of raw HTTP scenarios ------------------------------------------------
   Those whose verdict follows from the bytes alone are in tests/fixtures/http, read by
   tests/test_http.c whole and one byte at a time; these need a real connection: sizes,
   bytes beyond a response, a close at a given point, what the next request gets. */

typedef struct scen {
    const char *name;
    int rc;
    const char *phrase; /* in cdrest_errmsg when rc != 0 */
    int status;         /* when rc == 0 */
    const char *body;   /* when rc == 0 (NULL: not checked) */
    int late;           /* stray bytes come 200 ms after the answer: wait before the next request */
} scen;

static const scen scenarios[] = {
    { "header-huge", CDREST_E_TOOLARGE, "response headers larger than 65536 bytes", 0, NULL, 0 },
    { "headers-10000", CDREST_E_TOOLARGE, "more than 128 response headers", 0, NULL, 0 },
    { "headers-10000-long", CDREST_E_TOOLARGE, "response headers larger than 65536 bytes", 0, NULL, 0 },
    { "obs-fold", 0, NULL, 200, "ok", 0 },
    { "long-body", 0, NULL, 200, "hello", 0 },
    { "long-body-late", 0, NULL, 200, "hello", 1 },
    { "chunk-extensions", 0, NULL, 200, "hello world", 0 },
    { "chunk-trailers", 0, NULL, 200, "hello", 0 },
    { "chunk-trailers-smuggle", 0, NULL, 200, "hello", 0 },
    { "info-1xx", 0, NULL, 200, GOOD, 0 },
    { "204-body", 0, NULL, 204, "", 0 },
    { "204-body-late", 0, NULL, 204, "", 1 },
    { "304-length", 0, NULL, 304, "", 0 },
    { "close-after-headers", CDREST_E_IO, "after 0 of 10 body bytes", 0, NULL, 0 },
    { "close-after-headers-chunked", CDREST_E_IO, "before the last chunk", 0, NULL, 0 },
    { "close-in-headers", CDREST_E_IO, "closed the connection in the response headers", 0, NULL, 0 },
    { "close-no-answer", CDREST_E_IO, "without answering", 0, NULL, 0 },
    { "drop-after-request", CDREST_E_IO, "without answering", 0, NULL, 0 },
    { "reset-after-request", CDREST_E_IO, "reset", 0, NULL, 0 },
    { "read-to-close", 0, NULL, 200, "all of it", 0 },
    { "html-502", 0, NULL, 502, NULL, 0 },
    { "huge-cl", CDREST_E_TOOLARGE, "larger than the cap of 67108864 bytes", 0, NULL, 0 },
};

static void test_scenarios(void) {
    cdrest_client c;
    size_t i;
    if (client_init(&c, "http", main_port, NULL, 5000)) return;
    for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        const scen *s = &scenarios[i];
        char target[128];
        cdrest_response r;
        long long t0 = now_ms();
        int rc;
        snprintf(target, sizeof target, "/scenario/%s", s->name);
        rc = test_get(&c, target, &r);
        if (!test_check_int(rc, s->rc, s->name, __LINE__, "the error code"))
            fprintf(stderr, "  %s: %s (%s)\n", s->name, cdrest_errmsg(&c), cdrest_strerror(rc));
        if (s->rc) {
            test_check_contains(cdrest_errmsg(&c), s->phrase, s->name, __LINE__, "the message");
            test_check_int(c.connected, 0, s->name, __LINE__, "a failed exchange drops the connection");
        } else if (rc == 0) {
            test_check_int(r.status, s->status, s->name, __LINE__, "the status");
            if (s->body) test_check_str(r.body, s->body, s->name, __LINE__, "the body");
        }
        test_check(now_ms() - t0 < 3000, s->name, __LINE__, "no scenario takes seconds");
        if (s->late) usleep(300000);
        check_healthy(&c, s->name);
    }
    /* obs-fold: the folded value is one line, its parts joined by spaces */
    {
        cdrest_response r;
        size_t n;
        const char *v;
        CHECK_INT(test_get(&c, "/scenario/obs-fold", &r), 0);
        v = cdrest_response_header(&r, "X-Folded", &n);
        CHECK(v != NULL);
        if (v) {
            char val[128];
            snprintf(val, sizeof val, "%.*s", (int)n, v);
            CHECK(!strncmp(val, "first", 5) && strstr(val, "second") && n >= 5 && !strcmp(val + n - 5, "third"));
            CHECK(!strchr(val, '\r') && !strchr(val, '\n'));
        }
    }
    /* the message of a failure over 300 MB announced comes at once, before any body byte */
    {
        cdrest_response r;
        long long t0 = now_ms();
        CHECK_INT(test_get(&c, "/scenario/huge-cl", &r), CDREST_E_TOOLARGE);
        CHECK(now_ms() - t0 < 1000);
        CHECK_CONTAINS(cdrest_errmsg(&c), "response body of 314572800 bytes");
    }
    cdrest_free(&c);
}

/* --- deadlines: slow, silent and endless servers ------------------------------------- */

static void expect_timeout(const char *what, int port, const char *target, const char *phrase) {
    cdrest_client c;
    cdrest_response r;
    long long t0, ms;
    if (client_init(&c, "http", port, NULL, 1500)) return;
    t0 = now_ms();
    test_check_int(test_get(&c, target, &r), CDREST_E_TIMEOUT, what, __LINE__, "timeout");
    ms = now_ms() - t0;
    if (!test_check(ms >= 1400 && ms < 3000, what, __LINE__, "returns at the deadline"))
        fprintf(stderr, "  %s took %lld ms\n", what, ms);
    test_check_contains(cdrest_errmsg(&c), phrase, what, __LINE__, "message");
    if (port == main_port) check_healthy(&c, what);
    cdrest_free(&c);
}

static void test_deadlines(void) {
    expect_timeout("slow-drip", main_port, "/scenario/slow-drip", "timeout after 1500 ms");
    expect_timeout("silent", main_port, "/scenario/silent", "timeout after 1500 ms reading the response headers");
    {
        /* endless interim responses: refused after 16 of them, long before the deadline */
        cdrest_client c;
        cdrest_response r;
        long long t0;
        if (!client_init(&c, "http", main_port, NULL, 1500)) {
            t0 = now_ms();
            CHECK_INT(test_get(&c, "/scenario/endless-1xx", &r), CDREST_E_PROTOCOL);
            CHECK(now_ms() - t0 < 1000);
            CHECK_CONTAINS(cdrest_errmsg(&c), "more than 16 interim (1xx) responses");
            check_healthy(&c, "endless-1xx");
            cdrest_free(&c);
        }
    }
    expect_timeout("silent listener", silent_port, "/", "timeout after 1500 ms reading the response headers");
    {
        /* a server that never reads: a 64 MiB upload stops at the deadline */
        cdrest_client c;
        cdrest_response r;
        size_t n = (size_t)64 << 20;
        char *body = (char *)malloc(n + 1);
        long long t0;
        if (body && !client_init(&c, "http", silent_port, NULL, 1500)) {
            memset(body, 'u', n);
            body[n] = 0;
            t0 = now_ms();
            CHECK_INT(test_request(&c, "PUT", "/upload", body, &r), CDREST_E_TIMEOUT);
            /* under valgrind, touching 64 MiB (the body's length, the first sends) costs seconds
               of its own on a loaded machine: the bound is on the deadline, not on that */
            CHECK(now_ms() - t0 >= 1400 && now_ms() - t0 < (valgrind ? 8000 : 3000));
            CHECK_CONTAINS(cdrest_errmsg(&c), "sending the request");
            cdrest_free(&c);
        }
        free(body);
    }
    {
        cdrest_client c;
        cdrest_response r;
        int rc;
        if (client_init(&c, "http", reset_port, NULL, 5000)) return;
        rc = test_get(&c, "/", &r);
        CHECK_INT(rc, CDREST_E_IO);
        CHECK_CONTAINS(cdrest_errmsg(&c), "reset by the server");
        cdrest_free(&c);
    }
}

/* --- endless and huge bodies: caps hit, memory stays bounded ----------------------------- */

typedef struct counter {
    unsigned long long bytes;
} counter;
static int count_body(void *ctx, const void *data, size_t len) {
    (void)data;
    ((counter *)ctx)->bytes += len;
    return 0;
}

static void test_endless(void) {
    static const char *const names[] = { "endless-chunked", "endless-close" };
    cdrest_client c;
    cdrest_response r;
    size_t i;
    long hwm;
    if (client_init(&c, "http", main_port, NULL, 60000)) return;
    /* under valgrind a smaller cap: the point is the cap, not the size */
    if (valgrind) c.cfg.max_body = 8 << 20;
    for (i = 0; i < 2; i++) {
        char target[64];
        snprintf(target, sizeof target, "/scenario/%s", names[i]);
        test_check_int(test_get(&c, target, &r), CDREST_E_TOOLARGE, names[i], __LINE__, "cap");
        test_check_contains(cdrest_errmsg(&c), "larger than the cap", names[i], __LINE__, "message");
        check_healthy(&c, names[i]);
    }
    /* streamed, a body larger than the cap is fine and never buffered */
    {
        cdrest_request req;
        counter n = { 0 };
        memset(&req, 0, sizeof req);
        req.method = "GET";
        req.target = "/scenario/huge-cl";
        req.on_body = count_body;
        req.on_body_ctx = &n;
        if (!valgrind) {
            CHECK_INT(cdrest_http(&c, &req, &r), 0);
            CHECK_INT((long long)n.bytes, 300LL * 1024 * 1024);
        }
    }
    cdrest_free(&c);
    hwm = test_proc_status_kb("VmHWM");
    printf("peak RSS after the endless bodies: %ld kB\n", hwm);
    if (!valgrind) CHECK(hwm > 0 && hwm < 200 * 1024);
}

/* The receive buffer grows up to the cap, not past it: a client with an 8 MiB cap that
   met an endless body holds no 16 MiB buffer for the rest of its life. */
static void test_buffer_within_cap(void) {
    static const char *const names[] = { "/scenario/endless-close", "/scenario/endless-chunked" };
    int k;
    for (k = 0; k < 2; k++) {
        cdrest_client c;
        cdrest_response r;
        size_t limit = ((size_t)8 << 20) + CDREST_MAX_HEADER_BYTES + 4096 + 16384 + 1;
        if (client_init(&c, "http", main_port, NULL, 30000)) return;
        c.cfg.max_body = (size_t)8 << 20;
        CHECK_INT(test_get(&c, names[k], &r), CDREST_E_TOOLARGE);
        if (!test_check(c.buf_cap <= limit, names[k], __LINE__, "the receive buffer stays within the cap"))
            fprintf(stderr, "  BUG: an 8 MiB cap left a receive buffer of %lu bytes\n", (unsigned long)c.buf_cap);
        check_healthy(&c, names[k]);
        cdrest_free(&c);
    }
}

/* --- the CD layer on top ---------------------------------------------------------------- */

static void test_cd_layer(void) {
    cdrest_client c;
    cdrest_doc d;
    const char *v;
    size_t n;
    if (client_init(&c, "http", main_port, NULL, 5000)) return;
    set_base(&c, "html-502");
    CHECK_INT(cdrest_call(&c, "GET", "/projects", NULL, NULL, &d), CDREST_E_HTTP);
    CHECK_INT(cdrest_last_error(&c)->http_status, 502);
    CHECK_CONTAINS(cdrest_errmsg(&c), "HTTP 502 Bad Gateway");
    CHECK_CONTAINS(cdrest_errmsg(&c), "502 Bad Gateway");
    set_base(&c, "bad-json");
    CHECK_INT(cdrest_call(&c, "GET", "/projects", NULL, NULL, &d), CDREST_E_JSON);
    CHECK_CONTAINS(cdrest_errmsg(&c), "not valid JSON");
    set_base(&c, "deep-json");
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_JSON);
    CHECK_CONTAINS(cdrest_errmsg(&c), "nesting too deep");
    set_base(&c, "deep-json-error");
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_HTTP);
    CHECK_INT(cdrest_last_error(&c)->http_status, 500);
    set_base(&c, "cd-error");
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_SERVER);
    CHECK_STR(cdrest_errmsg(&c), "NoSuchProperty: Property 'x' does not exist [404]");
    CHECK_STR(cdrest_last_error(&c)->server_code, "NoSuchProperty");
    set_base(&c, "cd-error-401");
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_AUTH);
    CHECK_CONTAINS(cdrest_errmsg(&c), "SessionExpired");
    set_base(&c, "redirect-cd");
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_HTTP);
    CHECK_INT(cdrest_last_error(&c)->http_status, 302);
    set_base(&c, NULL);
    CHECK_INT(cdrest_get_property_value(&c, "x", NULL, &v, &n), 0);
    CHECK_STR(v, "good");
    cdrest_free(&c);
}

/* A server's error text is one readable line: control characters from the JSON
   (newlines, ESC sequences, NUL) must not reach cdrest_errmsg. */
static void test_error_text_is_one_line(void) {
    cdrest_client c;
    cdrest_doc d;
    if (client_init(&c, "http", main_port, "/scenario/cd-error-ctl", 5000)) return;
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_SERVER);
    CHECK_CONTAINS(cdrest_errmsg(&c), "line one");
    if (!CHECK(!has_control_chars(cdrest_errmsg(&c))))
        fprintf(stderr, "  BUG: the server's message reaches cdrest_errmsg with control characters\n");
    CHECK(!has_control_chars(cdrest_last_error(&c)->server_message));
    cdrest_free(&c);
    /* every message goes through the same sanitiser (cdrest_error_set is the public way in):
       C0, DEL and C1 blanked, other non-ASCII kept, stray bytes '?', a cut character dropped */
    {
        static const struct {
            const char *in, *out;
        } rows[] = {
            { "a\xc2\x9b"
              "b\xc2\x85"
              "c",
              "a b c" },                    /* CSI, NEL */
            { "\xc2\x80x\xc2\x9f", " x " }, /* the ends of C1 */
            { "nbsp\xc2\xa0"
              "e\xc3\xa9"
              "\xe2\x82\xac",
              "nbsp\xc2\xa0"
              "e\xc3\xa9"
              "\xe2\x82\xac" },
            { "raw\x9b"
              "1m",
              "raw?1m" }, /* an 8-bit CSI, no UTF-8 */
            { "tab\tline\nesc\x1b[0m\x7f", "tab line esc [0m " },
            { "cut \xe2\x82", "cut " }, /* a character cut at the end */
            { "bad \xe2\x82x", "bad ??x" },
            { "\xed\xa0\x80surrogate", "???surrogate" },
        };
        size_t k;
        for (k = 0; k < sizeof rows / sizeof rows[0]; k++) {
            cdrest_error e;
            memset(&e, 0, sizeof e);
            cdrest_error_set(&e, CDREST_E_IO, "%s", rows[k].in);
            test_check_str(e.msg, rows[k].out, "sanitised message", (int)k, "row");
        }
    }
    /* C1 controls too, escaped or raw, in every field; a long message cut mid-character */
    if (client_init(&c, "http", main_port, "/scenario/cd-error-c1", 5000)) return;
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_SERVER);
    CHECK_CONTAINS(cdrest_errmsg(&c), "csi 31m red 0m nel "); /* cut short, but unescaped */
    CHECK_CONTAINS(cdrest_last_error(&c)->server_message, "\xc3\xa9...");
    {
        const cdrest_error *e = cdrest_last_error(&c);
        const char *fields[] = { e->msg, e->server_code, e->server_message, e->server_details, e->server_where };
        int k;
        for (k = 0; k < 5; k++)
            if (!test_check(!has_control_chars(fields[k]), "C1 in server text", k, "blanked"))
                fprintf(stderr, "  field %d: %s\n", k, fields[k]);
        CHECK_STR(e->server_code, "No Such Thing");
        CHECK_STR(e->server_details, "d e");
    }
    set_base(&c, "html-c1");
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_HTTP);
    CHECK_CONTAINS(cdrest_errmsg(&c), "Bad  31mGateway");
    CHECK_CONTAINS(cdrest_errmsg(&c), "down  1m");
    if (!CHECK(!has_control_chars(cdrest_errmsg(&c)))) fprintf(stderr, "  %s\n", cdrest_errmsg(&c));
    cdrest_free(&c);
}

/* A 200 without the object asked for is no answer: a getProperty must not report an
   empty value for it. */
static void test_answer_without_object(void) {
    cdrest_client c;
    const char *v = NULL;
    size_t n = 0;
    int rc;
    if (client_init(&c, "http", main_port, "/scenario/empty-200", 5000)) return;
    rc = cdrest_get_property_value(&c, "x", NULL, &v, &n);
    if (!CHECK_INT(rc, CDREST_E_PROTOCOL))
        fprintf(stderr, "  BUG: getPropertyValue on a 200 with an empty body returned %d and value \"%s\"\n", rc,
                v ? v : "");
    CHECK_CONTAINS(cdrest_errmsg(&c), "holds no \"property\"");
    set_base(&c, "bad-json"); /* a 200 whose JSON is broken: not an empty value either */
    CHECK_INT(cdrest_get_property_value(&c, "x", NULL, &v, &n), CDREST_E_JSON);
    cdrest_free(&c);
}

/* A body under the cap whose JSON is all tokens ("[0,0,0,...]"): the token array must
   not cost many times the body. 8 MiB of body; 4 million tokens would be 80 MB. */
static void test_token_bomb(void) {
    cdrest_client c;
    cdrest_doc d;
    long before, after;
    int rc;
    if (valgrind) return;
    if (client_init(&c, "http", main_port, NULL, 60000)) return;
    before = test_proc_status_kb("VmHWM");
    rc = cdrest_call(&c, "GET", "/scenario/token-bomb?bytes=8388608", NULL, NULL, &d);
    after = test_proc_status_kb("VmHWM");
    printf("token bomb (8 MiB body): rc %d, %d tokens, token array %lu bytes, peak RSS %ld -> %ld kB\n", rc, c.ntoks,
           (unsigned long)c.toks_cap * sizeof(cdrest_json_tok), before, after);
    CHECK_INT(rc, CDREST_E_TOOLARGE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "JSON tokens");
    if (!CHECK((size_t)c.toks_cap * sizeof(cdrest_json_tok) <= (size_t)32 << 20))
        fprintf(stderr, "  BUG: an 8 MiB answer made the client allocate %lu bytes of JSON tokens\n",
                (unsigned long)c.toks_cap * sizeof(cdrest_json_tok));
    check_healthy(&c, "token-bomb");
    cdrest_free(&c);
}

/* --- nothing lost: no false success, no silent resend of a POST --------------------------- */

static void test_nothing_lost(void) {
    cdrest_client c;
    cdrest_doc d;
    char job[64];
    long before;
    static const char *const killers[] = { "drop-after-request", "reset-after-request" };
    int k;
    for (k = 0; k < 2; k++) {
        const char *sc = killers[k];
        /* on a fresh connection: an error, the request seen exactly once */
        if (client_init(&c, "http", main_port, NULL, 5000)) return;
        set_base(&c, sc);
        before = count_of(sc);
        test_check_int(cdrest_set_property(&c, "x", "v", NULL, &d), CDREST_E_IO, sc, __LINE__, "setProperty fresh");
        test_check_int(count_of(sc) - before, 1, sc, __LINE__, "setProperty fresh: seen once");
        before = count_of(sc);
        test_check_int(cdrest_create_property(&c, "x", "v", NULL, &d), CDREST_E_IO, sc, __LINE__,
                       "createProperty fresh");
        test_check_int(count_of(sc) - before, 1, sc, __LINE__, "createProperty fresh: seen once");
        before = count_of(sc);
        test_check_int(cdrest_run_procedure(&c, "P", "Q", NULL, job, sizeof job), CDREST_E_IO, sc, __LINE__,
                       "runProcedure fresh");
        test_check_int(count_of(sc) - before, 1, sc, __LINE__, "runProcedure fresh: seen once");
        test_check_str(job, "", sc, __LINE__, "no job id");
        /* on a reused keep-alive connection: PUT may be resent once (idempotent), POST never */
        set_base(&c, NULL);
        CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), 0);
        set_base(&c, sc);
        before = count_of(sc);
        test_check_int(cdrest_set_property(&c, "x", "v", NULL, &d), CDREST_E_IO, sc, __LINE__, "setProperty reused");
        test_check(count_of(sc) - before <= 2, sc, __LINE__, "setProperty reused: at most one resend");
        set_base(&c, NULL);
        CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), 0);
        set_base(&c, sc);
        before = count_of(sc);
        test_check_int(cdrest_create_property(&c, "x", "v", NULL, &d), CDREST_E_IO, sc, __LINE__,
                       "createProperty reused");
        test_check_int(count_of(sc) - before, 1, sc, __LINE__, "createProperty reused: never resent");
        set_base(&c, NULL);
        CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), 0);
        set_base(&c, sc);
        before = count_of(sc);
        test_check_int(cdrest_run_procedure(&c, "P", "Q", NULL, job, sizeof job), CDREST_E_IO, sc, __LINE__,
                       "runProcedure reused");
        test_check_int(count_of(sc) - before, 1, sc, __LINE__, "runProcedure reused: never resent");
        set_base(&c, NULL);
        CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), 0);
        cdrest_free(&c);
    }
}

/* A keep-alive connection that dies under the next request (the server reads it and
   closes or resets): GET and PUT are resent once on a new connection and succeed; a
   POST is not resent and fails. */
static void test_dead_keepalive(void) {
    static const char *const killers[] = { "drop-second", "reset-second" };
    int k;
    for (k = 0; k < 2; k++) {
        const char *sc = killers[k];
        cdrest_client c;
        cdrest_doc d;
        const char *v;
        size_t n;
        char job[64];
        long before;
        if (client_init(&c, "http", main_port, NULL, 5000)) return;
        set_base(&c, sc);
        CHECK_INT(cdrest_get_property_value(&c, "x", NULL, &v, &n), 0); /* the connection's first request */
        before = count_of(sc);
        test_check_int(cdrest_get_property_value(&c, "x", NULL, &v, &n), 0, sc, __LINE__, "GET resent");
        test_check_int(count_of(sc) - before, 2, sc, __LINE__, "GET: dropped once, answered once");
        test_check_int((long long)c.connects, 2, sc, __LINE__, "GET: a new connection");
        before = count_of(sc);
        test_check_int(cdrest_set_property(&c, "x", "v", NULL, &d), 0, sc, __LINE__, "PUT resent");
        test_check_int(count_of(sc) - before, 2, sc, __LINE__, "PUT: dropped once, answered once");
        test_check_int((long long)c.connects, 3, sc, __LINE__, "PUT: a new connection");
        before = count_of(sc);
        test_check_int(cdrest_create_property(&c, "x", "v", NULL, &d), CDREST_E_IO, sc, __LINE__, "POST not resent");
        test_check_int(count_of(sc) - before, 1, sc, __LINE__, "POST: seen once");
        CHECK_INT(cdrest_get_property_value(&c, "x", NULL, &v, &n), 0);
        before = count_of(sc);
        test_check_int(cdrest_run_procedure(&c, "P", "Q", NULL, job, sizeof job), CDREST_E_IO, sc, __LINE__,
                       "runProcedure not resent");
        test_check_int(count_of(sc) - before, 1, sc, __LINE__, "runProcedure: seen once");
        cdrest_free(&c);
    }
}

/* The server closes idle keep-alive connections after 100 ms: every method, POST
   included, goes out once on a fresh connection and succeeds. */
static void test_idle_closed(void) {
    cdrest_client c;
    cdrest_doc d;
    char job[64];
    long before;
    if (client_init(&c, "http", main_port, "/scenario/idle-close", 5000)) return;
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), 0);
    usleep(300000);
    before = count_of("idle-close");
    CHECK_INT(cdrest_create_property(&c, "x", "v", NULL, &d), 0);
    CHECK_INT(count_of("idle-close") - before, 1);
    CHECK_INT((long long)c.connects, 2);
    usleep(300000);
    before = count_of("idle-close");
    CHECK_INT(cdrest_run_procedure(&c, "P", "Q", NULL, job, sizeof job), 0);
    CHECK_STR(job, "job-1");
    CHECK_INT(count_of("idle-close") - before, 1);
    usleep(300000);
    CHECK_INT(cdrest_set_property(&c, "x", "v", NULL, &d), 0);
    usleep(300000);
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), 0);
    CHECK_INT((long long)c.connects, 5);
    cdrest_free(&c);
}

/* A streamed request body (body_read) cannot be read twice: when a reused connection dies
   while it goes out (the server reads 64 KiB of it and resets), a resend would start the
   body where the first attempt stopped. The call must fail with the connection's error,
   and the server must never receive a body that is not the caller's. */
typedef struct pattern_src {
    unsigned long long pos, limit;
} pattern_src;
static long pattern_read(void *ctx, void *buf, size_t cap) {
    pattern_src *p = (pattern_src *)ctx;
    size_t n = cap, i;
    if (p->limit - p->pos < n) n = (size_t)(p->limit - p->pos);
    for (i = 0; i < n; i++) ((unsigned char *)buf)[i] = (unsigned char)((p->pos + i) % 251);
    p->pos += n;
    return (long)n;
}

static void test_streamed_resend(void) {
    static const unsigned long long body = 4 << 20;
    cdrest_client c;
    cdrest_response r;
    cdrest_request req;
    pattern_src src;
    long corrupt = count_of("corrupt-bodies");
    int k, rc;
    for (k = 0; k < 2; k++) {
        const char *what = k ? "a source longer than the body" : "a source of exactly the body";
        if (client_init(&c, "http", main_port, "/scenario/drop-mid-body", 10000)) return;
        CHECK_INT(test_get(&c, "/x", &r), 0); /* the connection's first request */
        memset(&req, 0, sizeof req);
        memset(&src, 0, sizeof src);
        src.limit = k ? 4 * body : body; /* a file of that size, or a longer stream */
        req.method = "PUT";
        req.target = "/x";
        req.body_len = (size_t)body;
        req.body_read = pattern_read;
        req.body_ctx = &src;
        rc = cdrest_http(&c, &req, &r);
        if (rc == 0) {
            if (!test_check_str(r.body, "body ok", what, __LINE__, "a resent streamed body is the caller's"))
                fprintf(stderr, "  BUG (%s): the resent PUT carried bytes %llu.. of the stream and succeeded\n", what,
                        src.pos - body);
        } else {
            if (!test_check_int(rc, CDREST_E_IO, what, __LINE__, "the connection's error"))
                fprintf(stderr, "  (%s) a resend of the streamed body failed instead: %s\n", what, cdrest_errmsg(&c));
        }
        test_check_int(count_of("corrupt-bodies"), corrupt, what, __LINE__, "the server never got a wrong body");
        corrupt = count_of("corrupt-bodies");
        cdrest_free(&c);
    }
}

/* A server that refuses a large upload at once (413, reading none of it, closing): the
   call fails or returns the 413, never a success, and the POST is not sent twice. Over
   TLS both record buffers: the default half-duplex one and full_duplex. */
static void test_early_answer(const char *scheme, int port, int full_duplex) {
    cdrest_client c;
    cdrest_response r;
    size_t n = (size_t)16 << 20;
    char *body = (char *)malloc(n + 1);
    long before = count_of("early-413");
    int rc;
    if (!port) {
        free(body);
        return;
    }
    if (!body || client_init(&c, scheme, port, NULL, 10000)) {
        free(body);
        return;
    }
    c.cfg.tls.full_duplex = full_duplex;
    memset(body, 'b', n);
    body[n] = 0;
    rc = test_request(&c, "POST", "/scenario/early-413", body, &r);
    CHECK(rc == CDREST_E_IO || (rc == 0 && r.status == 413));
    printf("early 413 during a 16 MiB upload (%s%s): %s\n", scheme, full_duplex ? ", full duplex" : "",
           rc ? cdrest_errmsg(&c) : "the 413 was read");
    CHECK_INT(count_of("early-413") - before, 1);
    check_healthy(&c, "early-413");
    cdrest_free(&c);
    free(body);
}

/* Values the caller gets are whole or an error: a job id longer than the caller's buffer
   must not come back cut ("jjj...") with success, and a session id longer than the client
   keeps is refused. */
static void test_long_ids(void) {
    cdrest_client c;
    char job[64], big[160];
    int rc;
    if (client_init(&c, "http", main_port, "/scenario/job-long-id", 5000)) return;
    rc = cdrest_run_procedure(&c, "P", "Q", NULL, job, sizeof job);
    if (!CHECK_INT(rc, CDREST_E_TOOLARGE))
        fprintf(stderr, "  BUG: runProcedure returned %d with the job id cut to \"%s\"\n", rc, job);
    CHECK_INT(cdrest_run_procedure(&c, "P", "Q", NULL, big, sizeof big), 0);
    CHECK_INT((long long)strlen(big), 100);
    cdrest_free(&c);
    {
        cdrest_config cfg;
        char url[128];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/scenario/login-session-long", main_port);
        cfg = test_config(url, 0);
        cfg.user = "u";
        cfg.password = "p";
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        CHECK_INT(cdrest_login(&c), CDREST_E_PROTOCOL);
        CHECK_STR(cdrest_session_id(&c), "");
        cdrest_free(&c);
    }
}

/* --- security: nothing unsafe is sent, no secret is shown, no redirect is followed -------- */

/* A transport that records what would be sent. */
typedef struct rec {
    int connects;
    size_t sent;
    char buf[8192];
} rec;
static int rec_connect(void *self, const char *h, unsigned short p, int t, cdrest_error *e) {
    (void)h;
    (void)p;
    (void)t;
    (void)e;
    ((rec *)self)->connects++;
    return 0;
}
static long rec_read(void *self, void *buf, size_t len, int t, cdrest_error *e) {
    static const char ans[] = "HTTP/1.1 200 OK\r\nContent-Length: 33\r\n\r\n{\"property\":{\"propertyName\":\"x\"}}";
    (void)self;
    (void)t;
    (void)e;
    if (len < sizeof ans - 1) return 0;
    memcpy(buf, ans, sizeof ans - 1);
    return (long)(sizeof ans - 1);
}
static long rec_write(void *self, const void *buf, size_t len, int t, cdrest_error *e) {
    rec *r = (rec *)self;
    size_t n = len < sizeof r->buf - 1 - r->sent ? len : sizeof r->buf - 1 - r->sent;
    (void)t;
    (void)e;
    memcpy(r->buf + r->sent, buf, n);
    r->sent += n;
    r->buf[r->sent] = 0;
    return (long)len;
}
static void rec_close(void *self) {
    (void)self;
}
static const cdrest_transport rec_transport = { rec_connect, rec_read, rec_write, rec_close, NULL, NULL, NULL };

static void test_injection(void) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_response r;
    cdrest_request req;
    cdrest_header h[1];
    cdrest_doc d;
    long conns = conns_of("main"), seen = count_of("ok");
    static const char *const bad_values[] = { "a\r\nX-Injected: 1", "a\nb", "a\rb" };
    size_t i;
    /* header values, targets and methods with CR or LF: refused before connecting */
    if (client_init(&c, "http", main_port, NULL, 5000)) return;
    for (i = 0; i < 3; i++) {
        memset(&req, 0, sizeof req);
        h[0].name = "X-Test";
        h[0].value = bad_values[i];
        req.method = "GET";
        req.target = "/scenario/ok";
        req.headers = h;
        req.nheaders = 1;
        CHECK_INT(cdrest_http(&c, &req, &r), CDREST_E_ARG);
        req.nheaders = 0;
        req.target = bad_values[i][1] == '\r' ? "/scenario/ok\r\nX: 1" : "/scenario/ok\n";
        CHECK_INT(cdrest_http(&c, &req, &r), CDREST_E_ARG);
        req.target = "/scenario/ok";
        req.method = "GET /x HTTP/1.1\r\n";
        CHECK_INT(cdrest_http(&c, &req, &r), CDREST_E_ARG);
        CHECK_INT(cdrest_call(&c, "GET", bad_values[i][1] == '\r' ? "/x\r\nX: 1" : "/x\ny", NULL, NULL, &d),
                  CDREST_E_ARG);
        CHECK_INT(cdrest_call(&c, "GET\r\n", "/x", NULL, NULL, &d), CDREST_E_ARG);
    }
    CHECK_INT(c.connects, 0);
    cdrest_free(&c);
    CHECK_INT(conns_of("main"), conns);
    CHECK_INT(count_of("ok"), seen);
    /* credentials with CR or LF: refused by init */
    cfg = test_config("http://127.0.0.1:9", 0);
    for (i = 0; i < 3; i++) {
        cfg.user = bad_values[i];
        cfg.password = "pw";
        CHECK_INT(cdrest_init(&c, &cfg), CDREST_E_ARG);
        cfg.user = "u";
        cfg.password = bad_values[i];
        CHECK_INT(cdrest_init(&c, &cfg), CDREST_E_ARG);
        CHECK(strstr(cdrest_errmsg(&c), bad_values[i]) == NULL);
        cfg.password = NULL;
        cfg.token = bad_values[i];
        CHECK_INT(cdrest_init(&c, &cfg), CDREST_E_ARG);
        cfg.token = NULL;
        cfg.session_id = bad_values[i];
        CHECK_INT(cdrest_init(&c, &cfg), CDREST_E_ARG);
        cfg.session_id = NULL;
    }
    /* a session id with CR LF or NUL from a login answer is never used */
    {
        static const char *const logins[] = { "login-session-crlf", "login-session-nul" };
        for (i = 0; i < 2; i++) {
            char url[128];
            snprintf(url, sizeof url, "http://127.0.0.1:%d/scenario/%s", main_port, logins[i]);
            cfg = test_config(url, 0);
            cfg.user = "u";
            cfg.password = "p";
            CHECK_INT(cdrest_init(&c, &cfg), 0);
            test_check_int(cdrest_login(&c), CDREST_E_PROTOCOL, logins[i], __LINE__, "login refused");
            test_check_contains(cdrest_errmsg(&c), "no usable sessionId", logins[i], __LINE__, "message");
            test_check_str(cdrest_session_id(&c), "", logins[i], __LINE__, "no session kept");
            cdrest_free(&c);
        }
    }
    /* property paths and context values are percent-encoded: no raw CR, LF or space */
    {
        rec t;
        cdrest_param ctx[] = { { "projectName", "a\r\nX-Injected: 1" }, { NULL, NULL } };
        memset(&t, 0, sizeof t);
        cfg = test_config("http://test.invalid", 0);
        cfg.transport = &rec_transport;
        cfg.transport_self = &t;
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        CHECK_INT(cdrest_get_property(&c, "a\r\nX-Injected: 1/b c", ctx, &d), 0);
        CHECK(strstr(t.buf, "\r\nX-Injected") == NULL);
        CHECK_CONTAINS(
            t.buf,
            "GET /rest/v1.0/properties/a%0D%0AX-Injected:%201/b%20c?projectName=a%0D%0AX-Injected%3A%201 HTTP/1.1\r\n");
        cdrest_free(&c);
    }
}

/* Headers cdrest writes itself cannot come from cdrest_http's caller: a second Host or
   Content-Length, a Transfer-Encoding beside our Content-Length, a Connection, and the auth
   headers while the client holds credentials. Refused with CDREST_E_ARG naming the header,
   before anything is sent. */
static void test_owned_headers(void) {
    static const char *const framing[] = {
        "Host",       "host",      "Content-Length", "CONTENT-LENGTH", "Transfer-Encoding", "transfer-encoding",
        "Connection", "connection"
    };
    static const char *const auth[] = {
        "Authorization", "authorization", "Cookie", "COOKIE", "sessionId", "SessionID"
    };
    static const char *const holds[] = { "nothing", "password", "token", "session", "basic" };
    cdrest_client c;
    cdrest_config cfg;
    cdrest_response r;
    cdrest_request req;
    cdrest_header h[2];
    rec t;
    size_t i;
    int k;
    for (k = 0; k < 5; k++) {
        memset(&t, 0, sizeof t);
        cfg = test_config("http://127.0.0.1:9", 0);
        cfg.transport = &rec_transport;
        cfg.transport_self = &t;
        if (k == 1 || k == 4) cfg.user = "u", cfg.password = "p";
        if (k == 2) cfg.token = "tok";
        if (k == 3) cfg.session_id = "sess";
        cfg.basic_auth = k == 4;
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        memset(&req, 0, sizeof req);
        req.method = "POST";
        req.target = "/x";
        req.body = "{}";
        req.body_len = 2;
        req.headers = h;
        req.nheaders = 2;
        h[0].name = "X-Fine";
        h[0].value = "1";
        for (i = 0; i < sizeof framing / sizeof framing[0]; i++) {
            h[1].name = framing[i];
            h[1].value = !strncmp(framing[i], "Tr", 2) || !strncmp(framing[i], "tr", 2) ? "chunked" : "5";
            test_check_int(cdrest_http(&c, &req, &r), CDREST_E_ARG, framing[i], k, "a framing header is refused");
            test_check_contains(cdrest_errmsg(&c), framing[i], framing[i], k, "the message names it");
        }
        for (i = 0; i < sizeof auth / sizeof auth[0]; i++) {
            int rc;
            h[1].name = auth[i];
            h[1].value = "mine";
            rc = cdrest_http(&c, &req, &r);
            if (k == 0) { /* a client without credentials: the caller's own auth goes out */
                test_check_int(rc, 0, auth[i], k, "allowed without credentials");
            } else {
                test_check_int(rc, CDREST_E_ARG, auth[i], k, "refused while credentials are held");
                test_check_contains(cdrest_errmsg(&c), auth[i], auth[i], k, "the message names it");
            }
        }
        /* nothing refused went out; the allowed ones did */
        test_check(k == 0 ? t.sent > 0 : t.sent == 0, holds[k], __LINE__, "only allowed requests were sent");
        /* the library's own requests still carry its own auth headers (a session, Basic;
           a password or token would log in first, which this transport cannot answer) */
        if (k >= 3) {
            cdrest_doc d;
            CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), 0);
            test_check(strstr(t.buf, k == 4 ? "\r\nAuthorization: Basic " : "\r\nCookie: sessionId=") != NULL, holds[k],
                       __LINE__, "the CD layer's auth header");
        }
        cdrest_free(&c);
    }
    /* Proxy-Authorization, with proxy credentials */
    memset(&t, 0, sizeof t);
    memset(&cfg, 0, sizeof cfg);
    cfg.server = "http://127.0.0.1:9";
    cfg.proxy = "http://pu:pp@127.0.0.1:3128";
    cfg.transport = &rec_transport;
    cfg.transport_self = &t;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/x";
    req.headers = h;
    req.nheaders = 1;
    h[0].name = "Proxy-Authorization";
    h[0].value = "Basic bWU6bWU=";
    CHECK_INT(cdrest_http(&c, &req, &r), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "Proxy-Authorization");
    CHECK_INT((long long)t.sent, 0);
    cdrest_free(&c);
}

/* Proxy credentials are one header, "Proxy-Authorization: Basic base64(user:password)":
   any length that fits goes out whole, and one that does not is refused at init (it used
   to become an empty "Basic " from 379 bytes on). */
static void test_proxy_credentials(void) {
    size_t lens[] = { 1, 100, 377, 378, 379, 380, 398, 399, 400, 1000 };
    size_t i;
    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char proxy[1200], cred[1100], want[1600], what[64];
        cdrest_client c;
        cdrest_config cfg;
        cdrest_response r;
        rec t;
        size_t n = lens[i], k;
        int rc;
        snprintf(what, sizeof what, "proxy credentials of %lu bytes", (unsigned long)n);
        memcpy(cred, "user:", 5);
        for (k = 5; k < n; k++) cred[k] = (char)('a' + k % 26);
        cred[n < 5 ? 5 : n] = 0;
        if (n < 5) cred[n] = 0;
        snprintf(proxy, sizeof proxy, "http://%s@127.0.0.1:3128", cred);
        memset(&t, 0, sizeof t);
        memset(&cfg, 0, sizeof cfg);
        cfg.server = "http://127.0.0.1:9";
        cfg.proxy = proxy;
        cfg.transport = &rec_transport;
        cfg.transport_self = &t;
        rc = cdrest_init(&c, &cfg);
        if (n <= 378) {
            test_check_int(rc, 0, what, __LINE__, "accepted");
            if (rc == 0) {
                size_t w = strlen(strcpy(want, "\r\nProxy-Authorization: Basic "));
                cdrest_base64_encode(want + w, sizeof want - w, cred, strlen(cred));
                strcat(want, "\r\n");
                test_check_int(test_get(&c, "/x", &r), 0, what, __LINE__, "a request");
                test_check(strstr(t.buf, want) != NULL, what, __LINE__, "the whole credential is sent");
            }
        } else {
            test_check_int(rc, CDREST_E_ARG, what, __LINE__, "refused at init");
            test_check_contains(cdrest_errmsg(&c), "proxy credentials", what, __LINE__, "the message");
            test_check(strstr(cdrest_errmsg(&c), "fghij") == NULL && strstr(cdrest_errmsg(&c), "user:") == NULL, what,
                       __LINE__, "and never the credentials");
            test_check_int((long long)t.sent, 0, what, __LINE__, "nothing sent");
        }
        cdrest_free(&c);
    }
}

/* Every trace line and error message over a full flow (successes and failures) is
   free of the password, the token, the session ids and the Basic credentials. */
typedef struct lines {
    char *text;
    size_t len, cap;
    int n;
} lines;
static void add_text(lines *l, const char *s) {
    size_t n = strlen(s);
    if (l->len + n + 2 > l->cap) {
        l->cap = (l->len + n + 2) * 2;
        l->text = (char *)realloc(l->text, l->cap);
    }
    memcpy(l->text + l->len, s, n);
    l->len += n;
    l->text[l->len++] = '\n';
    l->text[l->len] = 0;
}
static void on_trace(void *ctx, const char *line) {
    lines *l = (lines *)ctx;
    l->n++;
    add_text(l, line);
}

static void test_secrets(void) {
    static const char PW[] = "Pw-5ecret-9f3a", TOKEN[] = "Tok-5ecret-77c1";
    char url[64], sessions[4][256], basic[128];
    int port, s;
    pid_t pid;
    lines log = { NULL, 0, 0, 0 };
    cdrest_client c;
    cdrest_config cfg;
    cdrest_doc d;
    cdrest_response r;
    const char *v;
    size_t n;
    {
        static const char *const extra[] = { "--user", "admin:Pw-5ecret-9f3a", "--token", "Tok-5ecret-77c1", NULL };
        port = test_start_emu(extra, &pid);
    }
    CHECK(port > 0);
    if (port <= 0) return;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    memset(sessions, 0, sizeof sessions);
    cfg = test_config(url, 10000);
    cfg.trace = on_trace;
    cfg.trace_ctx = &log;
    cfg.user = "admin";
    cfg.password = PW;
    /* password login, calls, an expired session (re-login), errors, logout */
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_login(&c), 0);
    snprintf(sessions[0], sizeof sessions[0], "%s", cdrest_session_id(&c));
    CHECK_INT(cdrest_set_property(&c, "/projects/Default/s", "v", NULL, &d), 0);
    add_text(&log, cdrest_errmsg(&c));
    CHECK_INT(cdrest_get_property(&c, "/projects/Default/missing", NULL, &d), CDREST_E_SERVER);
    add_text(&log, cdrest_errmsg(&c));
    CHECK_INT(test_request(&c, "POST", "/emu/expire-sessions", NULL, &r), 0);
    CHECK_INT(cdrest_get_property_value(&c, "/projects/Default/s", NULL, &v, &n), 0);
    snprintf(sessions[1], sizeof sessions[1], "%s", cdrest_session_id(&c));
    CHECK(strcmp(sessions[0], sessions[1]) != 0);
    CHECK_INT(cdrest_call(&c, "GET", "/no/such/thing", NULL, NULL, &d), CDREST_E_SERVER);
    add_text(&log, cdrest_errmsg(&c));
    CHECK_INT(cdrest_logout(&c), 0);
    add_text(&log, cdrest_errmsg(&c));
    cdrest_free(&c);
    /* a session that is no more, without credentials to log in again */
    cfg = test_config(url, 0);
    cfg.trace = on_trace;
    cfg.trace_ctx = &log;
    cfg.session_id = sessions[1];
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_get_property(&c, "/projects/Default/s", NULL, &d), CDREST_E_AUTH);
    add_text(&log, cdrest_errmsg(&c));
    cdrest_free(&c);
    /* a wrong password, then a token login */
    cfg.session_id = NULL;
    cfg.user = "admin";
    cfg.password = "Wrong-5ecret-0000";
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_login(&c), CDREST_E_AUTH);
    add_text(&log, cdrest_errmsg(&c));
    cdrest_free(&c);
    cfg.user = NULL;
    cfg.password = NULL;
    cfg.token = TOKEN;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_get_property(&c, "/projects/Default/s", NULL, &d), 0);
    snprintf(sessions[2], sizeof sessions[2], "%s", cdrest_session_id(&c));
    cdrest_free(&c);
    /* Basic auth, good and bad */
    cfg.token = NULL;
    cfg.user = "admin";
    cfg.password = PW;
    cfg.basic_auth = 1;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_get_property(&c, "/projects/Default/s", NULL, &d), 0);
    cdrest_free(&c);
    cfg.password = "Wrong-5ecret-0000";
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_get_property(&c, "/projects/Default/s", NULL, &d), CDREST_E_AUTH);
    add_text(&log, cdrest_errmsg(&c));
    cdrest_free(&c);
    /* credentials held while the hostile server misbehaves */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/scenario/short-body", main_port);
    cfg.basic_auth = 0;
    cfg.password = PW;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_login(&c), CDREST_E_IO);
    add_text(&log, cdrest_errmsg(&c));
    set_base(&c, "cd-error-401");
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_AUTH);
    add_text(&log, cdrest_errmsg(&c));
    set_base(&c, NULL);
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), 0);
    snprintf(sessions[3], sizeof sessions[3], "%s", cdrest_session_id(&c));
    set_base(&c, "drop-after-request");
    CHECK_INT(cdrest_get_property(&c, "x", NULL, &d), CDREST_E_IO);
    add_text(&log, cdrest_errmsg(&c));
    cdrest_free(&c);
    test_stop_server(pid);

    CHECK(log.n >= 15);
    CHECK(log.text && strstr(log.text, "POST http://127.0.0.1") != NULL);
    if (log.text) {
        char cred[64];
        CHECK(strstr(log.text, PW) == NULL);
        CHECK(strstr(log.text, "Wrong-5ecret") == NULL);
        CHECK(strstr(log.text, TOKEN) == NULL);
        CHECK(strstr(log.text, "5ecret") == NULL);
        for (s = 0; s < 4; s++)
            if (!test_check(sessions[s][0] && strstr(log.text, sessions[s]) == NULL, "session id", s,
                            "not in any line"))
                fprintf(stderr, "  session %d \"%s\"\n", s, sessions[s]);
        snprintf(cred, sizeof cred, "admin:%s", PW);
        cdrest_base64_encode(basic, sizeof basic, cred, strlen(cred));
        CHECK(strstr(log.text, basic) == NULL);
        basic[16] = 0; /* a prefix of it, in case a line was cut */
        CHECK(strstr(log.text, basic) == NULL);
    }
    if (getenv("CDREST_SHOW_TRACE") && log.text) fputs(log.text, stdout);
    free(log.text);
}

/* Redirects: returned as they are by default; with max_redirects, followed within the same
   origin only (scheme, host, port), a bounded number of hops. Nothing ever reaches another
   origin, however the Location is dressed up. */
static void test_redirects(void) {
    cdrest_client c;
    cdrest_response r;
    cdrest_doc d;
    size_t n;
    const char *loc;
    long trap = conns_of("trap"), before;
    int hops, k;
    for (hops = 0; hops <= 5; hops += 5) {
        if (client_init(&c, "http", main_port, NULL, 5000)) return;
        c.cfg.max_redirects = hops;
        CHECK_INT(test_get(&c, "/scenario/redirect", &r), 0);
        CHECK_INT(r.status, 302);
        loc = cdrest_response_header(&r, "Location", &n);
        CHECK(loc != NULL && n > 10 && !memcmp(loc, "http://127.0.0.1:", 17));
        set_base(&c, "redirect-cd");
        CHECK_INT(cdrest_set_property(&c, "x", "v", NULL, &d), CDREST_E_HTTP);
        CHECK_INT(cdrest_last_error(&c)->http_status, 302);
        CHECK_CONTAINS(cdrest_errmsg(&c), "HTTP 302");
        set_base(&c, NULL);
        /* Locations that only look like this origin */
        for (k = 0; k < 13; k++) {
            char target[64];
            snprintf(target, sizeof target, "/scenario/redirect-trick?n=%d", k);
            before = count_of("redirect-trick");
            test_check_int(test_get(&c, target, &r), 0, "redirect trick", k, "returned");
            test_check_int(r.status, 302, "redirect trick", k, "not followed");
            test_check_int(count_of("redirect-trick") - before, 1, "redirect trick", k, "asked once");
        }
        cdrest_free(&c);
    }
    CHECK_INT(conns_of("trap"), trap);
    CHECK_INT(count_of("trap-bytes"), 0);
    /* same origin: followed when asked, within the hop limit */
    if (client_init(&c, "http", main_port, NULL, 5000)) return;
    CHECK_INT(test_get(&c, "/scenario/redirect-same", &r), 0);
    CHECK_INT(r.status, 302); /* max_redirects 0: returned */
    c.cfg.max_redirects = 3;
    CHECK_INT(test_get(&c, "/scenario/redirect-same", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, GOOD);
    CHECK_INT(test_get(&c, "/scenario/redirect-same-abs", &r), 0);
    CHECK_INT(r.status, 200);
    before = count_of("redirect-loop");
    CHECK_INT(test_get(&c, "/scenario/redirect-loop", &r), 0);
    CHECK_INT(r.status, 302);
    CHECK_INT(count_of("redirect-loop") - before, 4); /* the request and 3 hops, no more */
    /* behind a base path, the trace names the path each hop went to: a Location is a
       whole path, never put after the base path (it was, in the trace only, until issue 17) */
    {
        lines log = { NULL, 0, 0, 0 };
        c.cfg.trace = on_trace;
        c.cfg.trace_ctx = &log;
        set_base(&c, "redirect-same");
        CHECK_INT(test_get(&c, "/", &r), 0);
        CHECK_INT(r.status, 200);
        CHECK_INT(log.n, 2);
        CHECK_CONTAINS(log.text ? log.text : "", "/scenario/redirect-same/ -> 302");
        CHECK_CONTAINS(log.text ? log.text : "", "/scenario/ok?from=redirect -> 200");
        CHECK(log.text && !strstr(log.text, "redirect-same/scenario/ok"));
        set_base(&c, NULL);
        c.cfg.trace = NULL;
        free(log.text);
    }
    /* a POST: 307 keeps the method and body (the server asked for it), 303 continues with GET */
    before = count_of("ok");
    CHECK_INT(test_request(&c, "POST", "/scenario/redirect-307", "{\"a\":1}", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(test_request(&c, "POST", "/scenario/redirect-303", "{\"a\":1}", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(count_of("ok") - before, 2);
    /* a streamed body cannot be replayed: the redirect is returned */
    {
        cdrest_request req;
        pattern_src src = { 0, 1000 };
        memset(&req, 0, sizeof req);
        req.method = "PUT";
        req.target = "/scenario/redirect-307";
        req.body_len = 1000;
        req.body_read = pattern_read;
        req.body_ctx = &src;
        CHECK_INT(cdrest_http(&c, &req, &r), 0);
        CHECK_INT(r.status, 307);
    }
    cdrest_free(&c);
    CHECK_INT(conns_of("trap"), trap);
}

/* --- TLS ------------------------------------------------------------------------------------ */

static int tls_ready;

static void test_tls(void) {
    cdrest_client c;
    cdrest_response r;
    long long t0;
    int rc;
    if (!tls_port) {
        printf("TLS scenarios: SKIPPED (no certificates: tests/mkcerts.sh failed)\n");
        return;
    }
    if (client_init(&c, "https", tls_port, NULL, 5000)) return;
    rc = test_get(&c, "/scenario/ok", &r);
    if (rc == CDREST_E_UNSUPPORTED) {
        /* The TLS layer is still a stub: the scenarios below are in place for when it works. */
        printf("TLS scenarios: SKIPPED (the TLS layer answers: %s)\n", cdrest_errmsg(&c));
        cdrest_free(&c);
        return;
    }
    tls_ready = 1;
    CHECK_INT(rc, 0);
    if (rc) fprintf(stderr, "  TLS: %s\n", cdrest_errmsg(&c));
    CHECK_STR(r.body, GOOD);
    /* a complete Content-Length body, then a close without close_notify: success */
    CHECK_INT(test_get(&c, "/scenario/tls-complete-no-notify", &r), 0);
    CHECK_STR(r.body, GOOD);
    /* a read-to-close body ended by close_notify: success */
    CHECK_INT(test_get(&c, "/scenario/tls-close-notify", &r), 0);
    CHECK_STR(r.body, "all of it");
    /* a read-to-close body cut without close_notify: possibly truncated, an error */
    CHECK_INT(test_get(&c, "/scenario/tls-close-no-notify", &r), CDREST_E_IO);
    CHECK_CONTAINS(cdrest_errmsg(&c), "close_notify");
    /* a Content-Length body cut short */
    CHECK_INT(test_get(&c, "/scenario/tls-short-no-notify", &r), CDREST_E_IO);
    CHECK_CONTAINS(cdrest_errmsg(&c), "after 10 of 100 body bytes");
    /* HTTP-level hostility inside TLS behaves as in the clear */
    CHECK_INT(test_get(&c, "/scenario/long-body", &r), 0);
    CHECK_STR(r.body, "hello");
    CHECK_INT(test_get(&c, "/scenario/chunk-trailers-smuggle", &r), 0);
    CHECK_STR(r.body, "hello");
    CHECK_INT(test_get(&c, "/scenario/chunk-junk", &r), CDREST_E_PROTOCOL);
    CHECK_INT(test_get(&c, "/scenario/ok", &r), 0);
    CHECK_STR(r.body, GOOD);
    /* close_notify where the answer should be: an error, and a POST is not sent again */
    {
        long before = count_of("tls-notify-no-answer");
        CHECK_INT(test_request(&c, "POST", "/scenario/tls-notify-no-answer", "{}", &r), CDREST_E_IO);
        CHECK_CONTAINS(cdrest_errmsg(&c), "without answering");
        CHECK_INT(count_of("tls-notify-no-answer") - before, 1);
    }
    cdrest_free(&c);
    /* idle keep-alive TLS connections closed by the server, with or without close_notify:
       the next request (a POST too) goes out once on a new connection */
    {
        static const char *const idle[] = { "idle-close", "idle-notify" };
        int k;
        for (k = 0; k < 2; k++) {
            char target[64];
            long before;
            snprintf(target, sizeof target, "/scenario/%s", idle[k]);
            if (client_init(&c, "https", tls_port, NULL, 5000)) return;
            test_check_int(test_get(&c, target, &r), 0, idle[k], __LINE__, "first request");
            usleep(300000);
            before = count_of(idle[k]);
            test_check_int(test_request(&c, "POST", target, "{}", &r), 0, idle[k], __LINE__,
                           "POST after the idle close");
            test_check_int(count_of(idle[k]) - before, 1, idle[k], __LINE__, "POST sent once");
            test_check_int((long long)c.connects, 2, idle[k], __LINE__, "a new connection");
            usleep(300000);
            test_check_int(test_request(&c, "PUT", target, "{}", &r), 0, idle[k], __LINE__, "PUT after the idle close");
            cdrest_free(&c);
        }
    }
    /* the handshake meets garbage, a plain HTTP server, silence */
    if (client_init(&c, "https", tls_garbage_port, NULL, 5000)) return;
    t0 = now_ms();
    CHECK_INT(test_get(&c, "/", &r), CDREST_E_TLS);
    CHECK(now_ms() - t0 < 3000);
    CHECK(cdrest_errmsg(&c)[0] != 0);
    printf("TLS garbage: %s\n", cdrest_errmsg(&c));
    cdrest_free(&c);
    if (client_init(&c, "https", tls_plain_port, NULL, 5000)) return;
    CHECK_INT(test_get(&c, "/", &r), CDREST_E_TLS);
    printf("TLS to a plain HTTP port: %s\n", cdrest_errmsg(&c));
    cdrest_free(&c);
    if (client_init(&c, "https", tls_stall_port, NULL, 1500)) return;
    t0 = now_ms();
    CHECK_INT(test_get(&c, "/", &r), CDREST_E_TIMEOUT);
    CHECK(now_ms() - t0 >= 1400 && now_ms() - t0 < 3000);
    printf("TLS stall: %s\n", cdrest_errmsg(&c));
    cdrest_free(&c);
}

/* --- bytes beyond the framing, for every framing, in the clear and in TLS ------------------ */

/* The extra-* scenarios send a response and, in the same write (so, over TLS, in the same
   record as the body's tail), a second response nobody asked for. Whatever the framing and
   wherever those bytes wait (in the socket, or already decrypted inside BearSSL), the
   connection must not be used again: the next request gets its own answer. The "fit"
   cases end the framed response exactly at the end of a caller-given buffer, so the stray
   bytes are never read into it. */
typedef struct extra_case {
    const char *method;
    const char *target;
    size_t buffer; /* caller buffer size, 0 = the client's own */
    int status;
    size_t body_len; /* the pattern's length */
} extra_case;

static const extra_case extra_cases[] = {
    { "GET", "/scenario/extra-length", 0, 200, 20000 },
    { "GET", "/scenario/extra-length?n=100000", 0, 200, 100000 },
    { "GET", "/scenario/extra-length?n=3000&fit=4095", 4096, 200, 3000 },
    { "GET", "/scenario/extra-chunked", 0, 200, 20000 },
    { "GET", "/scenario/extra-chunked?n=100000", 0, 200, 100000 },
    { "GET", "/scenario/extra-chunked?n=6000&fit=8191", 8192, 200, 6000 },
    { "GET", "/scenario/extra-close", 0, 200, 20000 },
    /* the stray response in a record of its own, in the same segment: a TLS client reading
       ahead holds it, still encrypted, in its own buffer, where the socket no longer shows it */
    { "GET", "/scenario/extra-record", 0, 200, 300 },
    { "GET", "/scenario/extra-record?n=20000", 0, 200, 20000 },
    { "GET", "/scenario/extra-close?n=100000", 0, 200, 100000 },
    { "HEAD", "/scenario/extra-head", 0, 200, 0 },
    { "HEAD", "/scenario/extra-head?fit=4095", 4096, 200, 0 },
    { "GET", "/scenario/extra-204", 0, 204, 0 },
    { "GET", "/scenario/extra-204?fit=4095", 4096, 204, 0 },
    { "GET", "/scenario/extra-304", 0, 304, 0 },
    { "GET", "/scenario/extra-304?fit=4095", 4096, 304, 0 },
};

static int is_pattern(const char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] != (char)('0' + i % 10)) return 0;
    return 1;
}

static void test_extra_bytes(const char *scheme, int port, int full_duplex) {
    size_t i;
    for (i = 0; i < sizeof extra_cases / sizeof extra_cases[0]; i++) {
        const extra_case *x = &extra_cases[i];
        char url[96], what[160], ca[128];
        static char buf[8192];
        cdrest_client c;
        cdrest_config cfg;
        cdrest_response r;
        int rc;
        snprintf(what, sizeof what, "%s%s %s %s", scheme, full_duplex ? " (full duplex)" : "", x->method, x->target);
        snprintf(url, sizeof url, "%s://127.0.0.1:%d", scheme, port);
        snprintf(ca, sizeof ca, "%s/ca.pem", cert_dir);
        cfg = test_config(url, 5000);
        cfg.tls.ca_file = ca;
        cfg.tls.full_duplex = full_duplex; /* both TLS record buffers: the read-ahead lives in them */
        if (x->buffer) {
            cfg.buffer = buf;
            cfg.buffer_size = x->buffer;
        }
        if (cdrest_init(&c, &cfg) != 0) {
            test_check(0, what, __LINE__, "init");
            continue;
        }
        rc = test_request(&c, x->method, x->target, NULL, &r);
        if (!test_check_int(rc, 0, what, __LINE__, "the framed answer is read"))
            fprintf(stderr, "  %s: %s\n", what, cdrest_errmsg(&c));
        if (rc == 0) {
            test_check_int(r.status, x->status, what, __LINE__, "its status");
            test_check_int((long long)r.body_len, (long long)x->body_len, what, __LINE__, "its body, all of it");
            test_check(is_pattern(r.body, r.body_len), what, __LINE__, "and nothing else");
        }
        /* in TLS the stray bytes are in hand as the answer ends: dropped at once (in the clear
           they wait in the socket, for the next request's alive() check to find) */
        if (!strcmp(scheme, "https"))
            test_check_int(c.connected, 0, what, __LINE__, "the connection is dropped at once");
        check_healthy(&c, what);
        test_check_int((long long)c.connects, 2, what, __LINE__, "the next request went on a new connection");
        cdrest_free(&c);
    }
}

/* The same at the CD level: a property read whose answer carries a stray 200, then a write
   the server refuses (403) must fail, not succeed with the stray answer. */
static void test_cd_desync(const char *scheme, int port) {
    cdrest_client c;
    cdrest_doc d;
    const char *v;
    size_t n;
    int rc;
    if (client_init(&c, scheme, port, "/scenario/cd-desync", 5000)) return;
    rc = cdrest_get_property_value(&c, "a", NULL, &v, &n);
    test_check_int(rc, 0, scheme, __LINE__, "cd-desync: the read");
    if (rc == 0) test_check(n == 20000 && is_pattern(v, n), scheme, __LINE__, "cd-desync: its value");
    rc = cdrest_set_property(&c, "b", "v", NULL, &d);
    if (!test_check_int(rc, CDREST_E_SERVER, scheme, __LINE__, "cd-desync: the refused write fails"))
        fprintf(stderr, "  cd-desync over %s: %s\n", scheme, cdrest_errmsg(&c));
    test_check_contains(cdrest_errmsg(&c), "AccessDenied", scheme, __LINE__, "cd-desync: with the server's error");
    test_check_int(cdrest_last_error(&c)->http_status, 403, scheme, __LINE__, "cd-desync: 403");
    rc = cdrest_get_property_value(&c, "a", NULL, &v, &n);
    test_check_int(rc, 0, scheme, __LINE__, "cd-desync: the next read is its own");
    if (rc == 0) test_check_int((long long)n, 20000, scheme, __LINE__, "cd-desync: the next value");
    cdrest_free(&c);
}

/* A close-delimited body, close_notify and plaintext junk after it in one segment: a TLS
   client reading ahead holds the junk while it answers the close_notify (with one shared
   buffer, in the same memory): the body is still read whole and ends cleanly. */
static void test_close_notify_then_junk(int port) {
    cdrest_client c;
    cdrest_response r;
    int rc;
    if (client_init(&c, "https", port, NULL, 5000)) return;
    rc = test_request(&c, "GET", "/scenario/extra-close-trail", NULL, &r);
    if (!test_check_int(rc, 0, "close_notify + junk", __LINE__, "the close-delimited answer is read"))
        fprintf(stderr, "  close_notify + junk: %s\n", cdrest_errmsg(&c));
    if (rc == 0) {
        test_check_int((long long)r.body_len, 300, "close_notify + junk", __LINE__, "its body, all of it");
        test_check(is_pattern(r.body, r.body_len), "close_notify + junk", __LINE__, "and nothing else");
    }
    cdrest_free(&c);
}

static void test_extra_everywhere(void) {
    test_extra_bytes("http", main_port, 0);
    test_cd_desync("http", main_port);
    if (!tls_ready) return;
    test_extra_bytes("https", tls_port, 0);
    test_extra_bytes("https", tls_port, 1);
    test_cd_desync("https", tls_port);
    test_close_notify_then_junk(tls_port);
}

#if defined(__SANITIZE_ADDRESS__)
/* ASan keeps freed blocks in a quarantine (256 MB by default) and cannot grow a block in
   place: both would be counted in the peak RSS of the big-body tests. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
    return "quarantine_size_mb=16";
}
#endif

/* --- inputs the fuzzers found, kept as fixtures --------------------------------------------- */

static void test_fuzz_regressions(void) {
    /* fuzz_url: a short buffer used to get bytes the encoder skipped (an escape that did not
       fit) left as they were before the NUL; now all or nothing */
    char buf[16];
    memset(buf, '#', sizeof buf);
    CHECK_INT(cdrest_percent_encode(buf, 8, "HTTPS://x", 9, CDREST_PCT_QUERY), 15);
    CHECK_STR(buf, "");
    memset(buf, '#', sizeof buf);
    CHECK_INT(cdrest_percent_encode(buf, 4, "a b", 3, CDREST_PCT_SEGMENT), 5);
    CHECK_STR(buf, "");
    CHECK_INT(cdrest_percent_encode(buf, 16, "HTTPS://x", 9, CDREST_PCT_QUERY), 15);
    CHECK_STR(buf, "HTTPS%3A%2F%2Fx");
    /* fuzz_chunked: "0\r\n\0X: 1\r\n\r\n" (a NUL starting a trailer line) is in the
       scenario table as chunk-trailer-nul */
}

/* --- setup ------------------------------------------------------------------------------------ */

static int port_named(const char *text, const char *name) {
    char key[64];
    const char *p;
    snprintf(key, sizeof key, "\n%s=", name);
    p = strstr(text, key);
    return p ? atoi(p + strlen(key)) : 0;
}

static void start_hostile(void) {
    char cmd[700], cert[128], key[128];
    const char *tls_args[] = { "--cert", cert, "--key", key, NULL };
    int have_certs;
    cdrest_response r;
    snprintf(cert_dir, sizeof cert_dir, "/tmp/cdrest-hostile-XXXXXX");
    have_certs = mkdtemp(cert_dir) != NULL;
    if (have_certs) {
        snprintf(cmd, sizeof cmd, "sh '%s/mkcerts.sh' '%s' >/dev/null 2>&1", test_dir(), cert_dir);
        have_certs = system(cmd) == 0;
    }
    snprintf(cert, sizeof cert, "%s/ecdsa.pem", cert_dir);
    snprintf(key, sizeof key, "%s/ecdsa.key", cert_dir);
    main_port = test_start_py("hostile.py", have_certs ? tls_args : NULL, NULL, &hostile_pid);
    CHECK(main_port > 0);
    if (main_port <= 0) return;
    if (client_init(&ctl, "http", main_port, NULL, 10000) || test_get(&ctl, "/_ports", &r) != 0) {
        main_port = 0;
        return;
    }
    {
        char text[512];
        snprintf(text, sizeof text, "\n%s", r.body);
        trap_port = port_named(text, "trap");
        reset_port = port_named(text, "reset");
        silent_port = port_named(text, "silent");
        tls_port = port_named(text, "tls");
        tls_garbage_port = port_named(text, "tls-garbage");
        tls_stall_port = port_named(text, "tls-stall");
        tls_plain_port = port_named(text, "tls-plain");
    }
    CHECK(trap_port > 0 && reset_port > 0 && silent_port > 0);
}

int main(void) {
    valgrind = getenv("CDREST_VALGRIND") != NULL;
    start_hostile();
    if (main_port > 0) {
        test_scenarios();
        test_deadlines();
        test_endless();
        test_buffer_within_cap();
        test_cd_layer();
        test_error_text_is_one_line();
        test_answer_without_object();
        test_token_bomb();
        test_nothing_lost();
        test_dead_keepalive();
        test_idle_closed();
        test_streamed_resend();
        test_early_answer("http", main_port, 0);
        test_early_answer("https", tls_port, 0);
        test_early_answer("https", tls_port, 1);
        test_long_ids();
        test_injection();
        test_owned_headers();
        test_proxy_credentials();
        test_secrets();
        test_redirects();
        test_tls();
        test_extra_everywhere();
        test_fuzz_regressions();
        cdrest_free(&ctl);
        test_stop_server(hostile_pid);
    }
    if (cert_dir[0] && strncmp(cert_dir, "/tmp/cdrest-hostile-", 20) == 0) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", cert_dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", cert_dir);
    }
    printf("TLS scenarios %s\n", tls_ready ? "ran" : "did not run");
    return test_summary();
}
