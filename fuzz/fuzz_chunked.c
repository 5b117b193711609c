/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the chunked decoder (cdrest__chunked_decode, the in-place state
   machine the HTTP reader runs over its receive buffer). Input: [split seed][body...].
   The body is decoded the way the reader does it (decoded bytes kept at the front of the
   buffer, new raw bytes appended after them), once whole and once in random pieces, and
   checked against an independent reference decoder written here from RFC 9112 7.1 with
   cdrest's documented strictness (hex size of at most 15 significant digits, leading zeros free, optional spaces or tabs
   then ";extensions" without control characters, CRLF line ends only, trailers without
   control characters but tab, lines and the trailer section of at most 4096 bytes). It aborts when:
   - whole and split decoding differ (status, message, data, bytes consumed);
   - the decoder finishes where the reference does not, or with other data or another
     length consumed, or fails on a body the reference accepts;
   - decoded data is longer than its input. */
#define CDREST_IMPLEMENTATION
#include "fuzz.h"

typedef struct outcome {
    int rc; /* 0 done, 1 needs more (input ended), < 0 error */
    char msg[CDREST_ERRMSG_SIZE];
    unsigned char *data;
    size_t len;
    size_t consumed; /* input bytes that belonged to the body */
} outcome;

/* Decode as cdrest__http_body_chunked does, pieces of 1..97 bytes (rng != 0) or all. */
static void decode(const uint8_t *in, size_t n, uint32_t rng, outcome *o) {
    cdrest__chunked st;
    cdrest_error err;
    unsigned char *buf = (unsigned char *)malloc(n + 1);
    size_t buf_len = 0, raw_start = 0, pos = 0;
    memset(&st, 0, sizeof st);
    memset(&err, 0, sizeof err);
    memset(o, 0, sizeof *o);
    o->rc = 1;
    while (pos < n) {
        size_t k = n - pos, used = 0;
        long out;
        if (rng) {
            rng = rng * 1103515245u + 12345u;
            if (k > 1 + (rng >> 16) % 97) k = 1 + (rng >> 16) % 97;
        }
        memcpy(buf + buf_len, in + pos, k);
        buf_len += k;
        pos += k;
        out = cdrest__chunked_decode(&st, (char *)buf + raw_start, buf_len - raw_start, &used, &err);
        if (out < 0) {
            o->rc = (int)out;
            REQUIRE(err.code == out);
            memcpy(o->msg, err.msg, sizeof o->msg);
            break;
        }
        REQUIRE((size_t)out <= used);
        REQUIRE(used <= buf_len - raw_start);
        o->consumed += used;
        if (used < buf_len - raw_start) REQUIRE(st.state == CDREST__CH_DONE);
        buf_len = raw_start + (size_t)out;
        raw_start = buf_len;
        if (st.state == CDREST__CH_DONE) {
            o->rc = 0;
            break;
        }
    }
    o->data = buf;
    o->len = raw_start;
    REQUIRE(o->len <= n);
}

/* --- the reference: a line-by-line reading of the grammar --------------------------- */

typedef struct ref {
    const uint8_t *s;
    size_t n, i;
    unsigned char *data;
    size_t len;
} ref;

enum { REF_DONE = 0, REF_MORE = 1, REF_BAD = -1 };

static int hexval(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* The chunk-size line at i: "HEX[ \t]*[;ext]CRLF", at most 4096 bytes with its CRLF.
   REF_MORE when it is a valid beginning of one. */
static int ref_size_line(ref *r, uint64_t *size) {
    size_t k = r->i, digits = 0, significant = 0;
    *size = 0;
#define AVAIL(k)   ((k) < r->n)
#define TOOLONG(k) ((k)-r->i + 1 > 4096)
    while (AVAIL(k) && hexval(r->s[k]) >= 0) {
        if (TOOLONG(k)) return REF_BAD;
        if ((*size || hexval(r->s[k])) && ++significant > 15)
            return REF_BAD; /* leading zeros are no digits of the value */
        digits++;
        *size = *size * 16 + (uint64_t)hexval(r->s[k]);
        k++;
    }
    if (!AVAIL(k)) return REF_MORE;
    if (!digits) return REF_BAD;
    while (AVAIL(k) && (r->s[k] == ' ' || r->s[k] == '\t')) {
        if (TOOLONG(k)) return REF_BAD;
        k++;
    }
    if (!AVAIL(k)) return REF_MORE;
    if (r->s[k] == ';') {
        for (;;) {
            if (TOOLONG(k)) return REF_BAD;
            k++;
            if (!AVAIL(k)) return REF_MORE;
            if (r->s[k] == '\r') break;
            if ((r->s[k] < 0x20 && r->s[k] != '\t') || r->s[k] == 0x7f) return REF_BAD;
        }
    }
    if (TOOLONG(k) || r->s[k] != '\r') return REF_BAD;
    k++;
    if (!AVAIL(k)) return REF_MORE;
    if (TOOLONG(k) || r->s[k] != '\n') return REF_BAD;
    r->i = k + 1;
    return 0;
}

/* Trailer lines (no bare CR or LF, no control character but tab) and the empty line: at
   most 4096 bytes in all. */
static int ref_trailers(ref *r) {
    size_t start = r->i, k = r->i;
    for (;;) {
        size_t line = k;
        for (;;) {
            if (!AVAIL(k)) return REF_MORE;
            if (k - start + 1 > 4096) return REF_BAD;
            if (r->s[k] == '\r') break;
            if (r->s[k] == '\n' || (r->s[k] < 0x20 && r->s[k] != '\t') || r->s[k] == 0x7f) return REF_BAD;
            k++;
        }
        k++;
        if (!AVAIL(k)) return REF_MORE;
        if (k - start + 1 > 4096 || r->s[k] != '\n') return REF_BAD;
        k++;
        if (k - 2 == line) {
            r->i = k;
            return REF_DONE;
        }
    }
}

static int ref_decode(ref *r) {
    for (;;) {
        uint64_t size;
        int rc = ref_size_line(r, &size);
        if (rc) return rc;
        if (size == 0) return ref_trailers(r);
        if ((uint64_t)(r->n - r->i) < size) {
            memcpy(r->data + r->len, r->s + r->i, r->n - r->i);
            r->len += r->n - r->i;
            r->i = r->n;
            return REF_MORE;
        }
        memcpy(r->data + r->len, r->s + r->i, (size_t)size);
        r->len += (size_t)size;
        r->i += (size_t)size;
        if (!AVAIL(r->i)) return REF_MORE;
        if (r->s[r->i] != '\r') return REF_BAD;
        if (!AVAIL(r->i + 1)) return REF_MORE;
        if (r->s[r->i + 1] != '\n') return REF_BAD;
        r->i += 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    outcome whole, split;
    ref r;
    int rrc;
    if (size < 1) return 0;
    decode(data + 1, size - 1, 0, &whole);
    decode(data + 1, size - 1, (uint32_t)data[0] * 2654435761u | 1u, &split);
    REQUIRE(whole.rc == split.rc);
    REQUIRE(!strcmp(whole.msg, split.msg));
    if (whole.rc >= 0) {
        REQUIRE(whole.len == split.len && !memcmp(whole.data, split.data, whole.len));
        REQUIRE(whole.consumed == split.consumed);
    }
    memset(&r, 0, sizeof r);
    r.s = data + 1;
    r.n = size - 1;
    r.data = (unsigned char *)malloc(size);
    rrc = ref_decode(&r);
    if ((whole.rc < 0) != (rrc < 0) || (whole.rc >= 0 && whole.rc != rrc))
        fprintf(stderr, "decoder %d (%s), reference %d\n", whole.rc, whole.msg, rrc);
    REQUIRE((whole.rc < 0) == (rrc < 0));
    if (whole.rc >= 0) {
        REQUIRE(whole.rc == rrc);
        REQUIRE(whole.len == r.len && !memcmp(whole.data, r.data, r.len));
        if (whole.rc == 0) REQUIRE(whole.consumed == r.i);
    }
    free(r.data);
    free(whole.data);
    free(split.data);
    return 0;
}
