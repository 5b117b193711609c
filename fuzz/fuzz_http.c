/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the HTTP response reader, fed through a scripted transport.
   Input: [flags][split seed][response bytes...]. The response is read twice by two
   clients: once in pieces as large as the reader asks for, once in random small pieces
   (from the split seed). Besides "no crash, no sanitizer report", it aborts when:
   - the two readings disagree (code, message, status, headers, body): framing must not
     depend on how the bytes arrive;
   - a success breaks the contract: status 200..599, a buffered body within the cap and
     NUL-terminated, header spans inside the receive buffer, no CR/LF/NUL in them;
   - an error is not one of the codes the reader may return, or its message is empty or
     not terminated within CDREST_ERRMSG_SIZE.
   flags: bit 0 HEAD; bit 1 streamed body (on_body); bit 2 a small body cap; bit 3 the
   caller's fixed buffer; bit 4 a second request on the same client (reads what is
   left); bit 5 POST with a body. */
#define CDREST_IMPLEMENTATION
#include "fuzz.h"

typedef struct sink {
    unsigned char *data;
    size_t len, cap;
} sink;
static int sink_body(void *ctx, const void *data, size_t len) {
    sink *s = (sink *)ctx;
    REQUIRE(len > 0);
    if (s->len + len > s->cap) {
        s->cap = (s->len + len) * 2;
        s->data = (unsigned char *)realloc(s->data, s->cap);
    }
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return 0;
}

typedef struct result {
    int rc, status, nheaders;
    char msg[CDREST_ERRMSG_SIZE];
    unsigned char *body;
    size_t body_len;
    char *heads; /* "name: value\n" ... */
} result;

static int known_code(int rc) {
    return rc == CDREST_E_PROTOCOL || rc == CDREST_E_TOOLARGE || rc == CDREST_E_IO || rc == CDREST_E_UNSUPPORTED ||
           rc == CDREST_E_TIMEOUT;
}

static void check_text(const char *s, size_t cap) {
    REQUIRE(memchr(s, 0, cap) != NULL);
}

static void check_success(const cdrest_client *c, const cdrest_response *r, int streamed, size_t cap) {
    int i;
    REQUIRE(r->status >= 200 && r->status <= 599); /* 1xx are skipped, 101 refused */
    REQUIRE(r->nheaders >= 0 && r->nheaders <= CDREST_MAX_HEADERS);
    if (streamed) REQUIRE(r->body_len == 0);
    REQUIRE(r->body_len <= cap);
    REQUIRE(r->body != NULL && r->body[r->body_len] == 0);
    REQUIRE(r->body >= c->buf && r->body + r->body_len < c->buf + c->buf_cap);
    for (i = 0; i < r->nheaders; i++) {
        const cdrest_hspan *h = &r->headers[i];
        REQUIRE(h->name >= c->buf && h->name + h->name_len <= c->buf + c->buf_cap);
        REQUIRE(h->value >= c->buf && h->value + h->value_len <= c->buf + c->buf_cap);
        REQUIRE(h->name_len > 0);
        REQUIRE(!memchr(h->name, 0, h->name_len) && !memchr(h->name, '\r', h->name_len) &&
                !memchr(h->name, '\n', h->name_len));
        REQUIRE(!memchr(h->value, 0, h->value_len) && !memchr(h->value, '\r', h->value_len) &&
                !memchr(h->value, '\n', h->value_len));
        REQUIRE(!memchr(h->name, ':', h->name_len));
    }
    REQUIRE(r->reason_len == 0 || (r->reason >= c->buf && r->reason + r->reason_len <= c->buf + c->buf_cap));
}

/* One client, one or two requests over the feed; the first request's result in *out. */
static void run(const uint8_t *resp, size_t n, unsigned flags, unsigned knob, uint32_t rng, result *out) {
    static char fixed[4096];
    cdrest_client c;
    cdrest_config cfg;
    cdrest_request req;
    cdrest_response r;
    feed f;
    sink s = { NULL, 0, 0 };
    int rc, round;
    size_t cap;
    memset(&cfg, 0, sizeof cfg);
    memset(&f, 0, sizeof f);
    f.d = resp;
    f.n = n;
    f.rng = rng;
    cfg.server = "http://fuzz.invalid:8000";
    cfg.no_proxy = 1;
    cfg.transport = &feed_transport;
    cfg.transport_self = &f;
    cfg.timeout_ms = 1 << 30;
    cfg.max_body = (flags & 4) ? 100 : 0;
    if (flags & 8) {
        cfg.buffer = fixed;
        cfg.buffer_size = 1024 + knob * 12;
    }
    REQUIRE(cdrest_init(&c, &cfg) == 0);
    cap = c.cfg.max_body;
    memset(out, 0, sizeof *out);
    for (round = 0; round < ((flags & 16) ? 2 : 1); round++) {
        memset(&req, 0, sizeof req);
        req.method = (flags & 1) ? "HEAD" : (flags & 32) ? "POST" : "GET";
        req.target = "/x";
        if (flags & 32) {
            req.body = "{\"a\":1}";
            req.body_len = 7;
        }
        if (flags & 2) {
            req.on_body = sink_body;
            req.on_body_ctx = &s;
        }
        s.len = 0;
        rc = cdrest_http(&c, &req, &r);
        check_text(c.err.msg, sizeof c.err.msg);
        if (rc == 0) {
            check_success(&c, &r, (flags & 2) != 0, cap);
        } else {
            REQUIRE(known_code(rc));
            REQUIRE(c.err.code == rc);
            REQUIRE(c.err.msg[0] != 0);
            REQUIRE(!c.connected);
        }
        if (round == 0) {
            int i;
            size_t hl = 0;
            out->rc = rc;
            memcpy(out->msg, c.err.msg, sizeof out->msg);
            if (rc == 0) {
                out->status = r.status;
                out->nheaders = r.nheaders;
                out->body_len = (flags & 2) ? s.len : r.body_len;
                out->body = (unsigned char *)malloc(out->body_len + 1);
                if (out->body_len)
                    memcpy(out->body, (flags & 2) ? s.data : (const unsigned char *)r.body, out->body_len);
                for (i = 0; i < r.nheaders; i++) hl += r.headers[i].name_len + r.headers[i].value_len + 3;
                out->heads = (char *)malloc(hl + 1);
                hl = 0;
                for (i = 0; i < r.nheaders; i++) {
                    memcpy(out->heads + hl, r.headers[i].name, r.headers[i].name_len);
                    hl += r.headers[i].name_len;
                    memcpy(out->heads + hl, ": ", 2);
                    hl += 2;
                    memcpy(out->heads + hl, r.headers[i].value, r.headers[i].value_len);
                    hl += r.headers[i].value_len;
                    out->heads[hl++] = '\n';
                }
                out->heads[hl] = 0;
            }
        }
    }
    cdrest_free(&c);
    free(s.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    result whole, split;
    unsigned flags;
    uint32_t seed;
    if (size < 2) return 0;
    flags = data[0];
    seed = (uint32_t)data[1] * 2654435761u | 1u;
    run(data + 2, size - 2, flags, data[1], 0, &whole);
    run(data + 2, size - 2, flags, data[1], seed, &split);
    if (whole.rc != split.rc || strcmp(whole.msg, split.msg) != 0) {
        fprintf(stderr, "whole: %d %s\nsplit: %d %s\n", whole.rc, whole.msg, split.rc, split.msg);
        REQUIRE(!"the same bytes read whole and in pieces give different results");
    }
    if (whole.rc == 0) {
        REQUIRE(whole.status == split.status && whole.nheaders == split.nheaders);
        REQUIRE(whole.body_len == split.body_len && !memcmp(whole.body, split.body, whole.body_len));
        REQUIRE(!strcmp(whole.heads, split.heads));
    }
    free(whole.body);
    free(whole.heads);
    free(split.body);
    free(split.heads);
    return 0;
}
