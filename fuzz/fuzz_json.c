/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the JSON layer. Besides "no crash, no sanitizer report", it checks
   the contract on every input and aborts when it is broken:
   - counting and filling agree (the same count, or the same error at the same offset),
     filling starting from a one-token array and resumed after every CDREST_E_JSON_TOKENS;
   - on valid input the structure adds up: parents precede children, skip(root) covers
     every token, iteration visits `size` children, find() by a path built from the tokens
     returns the token (when no duplicate key shadows it), and so does the reader of
     answers kept without tokens (cdrest__json_raw_find) for paths of object keys;
   - unescaping agrees between short and large buffers, eq() matches the unescaped text,
     and every decoded string written back by the writer re-tokenizes to the same bytes;
   - the writer accepts the raw input as a string exactly when an independent, code-point
     based UTF-8 check does, and then round-trips it; jw_raw accepts exactly valid JSON. */
#define CDREST_IMPLEMENTATION
#include "fuzz.h"

/* UTF-8 validity by decoding code points (a different method from the library's table of
   byte ranges): shortest form, no surrogates, at most U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned long cp;
        size_t len, k;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((s[i] & 0xE0) == 0xC0) {
            len = 2;
            cp = s[i] & 0x1F;
        } else if ((s[i] & 0xF0) == 0xE0) {
            len = 3;
            cp = s[i] & 0x0F;
        } else if ((s[i] & 0xF8) == 0xF0) {
            len = 4;
            cp = s[i] & 0x07;
        } else
            return 0;
        if (n - i < len) return 0;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return 0;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += len;
    }
    return 1;
}

/* Writes s[0..n) as a JSON string, tokenizes that and unescapes it: the same bytes. */
static void check_writer_round_trip(const char *s, size_t n) {
    size_t cap = n * 6 + 3, back_len = 0;
    char *out = (char *)malloc(cap), *back = (char *)malloc(n + 1);
    cdrest_json_writer w;
    cdrest_json_parser p;
    cdrest_json_tok t;
    int valid = utf8_valid((const unsigned char *)s, n), rc;
    cdrest_jw_init(&w, out, cap);
    cdrest_jw_string_n(&w, s, n);
    rc = cdrest_jw_finish(&w);
    REQUIRE(valid ? rc == 0 : rc == CDREST_E_ARG);
    if (rc == 0) {
        cdrest_json_init(&p);
        REQUIRE(cdrest_json_parse(&p, out, w.len, &t, 1) == 1);
        REQUIRE(cdrest_json_string(out, &t, 0, back, n + 1, &back_len) == 0);
        REQUIRE(back_len == n && memcmp(back, s, n) == 0);
    }
    free(out);
    free(back);
}

/* Parse with a growing array; returns the result and leaves the tokens in *toks. */
static int parse_resuming(cdrest_json_parser *p, const char *js, size_t len, cdrest_json_tok **toks) {
    int cap = 1, rc;
    *toks = (cdrest_json_tok *)malloc(sizeof **toks);
    cdrest_json_init(p);
    while ((rc = cdrest_json_parse(p, js, len, *toks, cap)) == CDREST_E_JSON_TOKENS) {
        REQUIRE(p->toknext == cap);
        cap *= 2;
        *toks = (cdrest_json_tok *)realloc(*toks, sizeof **toks * (size_t)cap);
    }
    return rc;
}

/* 1 if object obj has more than one key equal to token k's text. */
static int duplicate_key(const char *js, const cdrest_json_tok *t, int n, int obj, const char *key) {
    int c, hits = 0;
    for (c = cdrest_json_first(t, n, obj); c >= 0; c = cdrest_json_next(t, n, c)) hits += cdrest_json_eq(js, t, c, key);
    return hits > 1;
}

/* Builds the path from the root to token j (a value, not a key) and looks it up. */
static void check_find(const char *js, const cdrest_json_tok *t, int n, int j) {
    char path[4096], seg[512];
    size_t plen = 0;
    int cur = j, shadowed = 0;
    path[0] = 0;
    while (t[cur].parent >= 0) {
        int par = t[cur].parent, len;
        if (t[par].type == CDREST_JSON_ARRAY) {
            int c, idx = 0;
            for (c = cdrest_json_first(t, n, par); c >= 0 && c != cur; c = cdrest_json_next(t, n, c)) idx++;
            len = snprintf(seg, sizeof seg, "[%d]", idx);
        } else { /* par is a key; its object is its parent */
            size_t klen;
            if (cdrest_json_string(js, t, par, seg + 1, sizeof seg - 1, &klen) != 0 || klen == 0 ||
                memchr(seg + 1, 0, klen) || strpbrk(seg + 1, ".["))
                return; /* not addressable by a path */
            seg[0] = '.';
            shadowed |= duplicate_key(js, t, n, t[par].parent, seg + 1);
            len = (int)klen + 1;
            cur = par;
        }
        if (plen + (size_t)len >= sizeof path) return;
        memmove(path + len, path, plen + 1);
        memcpy(path, seg, (size_t)len);
        plen += (size_t)len;
        cur = t[cur].parent;
    }
    if (cur != 0) return;
    {
        const char *p = path[0] == '.' ? path + 1 : path;
        int found = cdrest_json_find(js, t, n, 0, p);
        REQUIRE(found == j || shadowed);
        /* the reader of answers kept without tokens (object keys only) finds the same */
        if (!shadowed && *p && !strchr(p, '[') && t[0].type == CDREST_JSON_OBJECT) {
            cdrest_json_tok r;
            REQUIRE(cdrest__json_raw_find(js, (size_t)t[0].end, p, &r));
            REQUIRE(r.type == t[j].type && r.start == t[j].start && r.end == t[j].end);
        }
    }
}

static void check_tokens(const char *js, size_t len, const cdrest_json_tok *t, int n) {
    char small[8], *big = (char *)malloc(len + 1);
    int i, checked_finds = 0, written = 0;
    REQUIRE(cdrest_json_skip(t, n, 0) == n);
    for (i = 0; i < n; i++) {
        size_t need = 0, got = 0;
        int c, count = 0, rc;
        int64_t iv;
        double dv;
        REQUIRE(t[i].parent < i && t[i].start >= 0 && t[i].end >= t[i].start && (size_t)t[i].end <= len);
        rc = cdrest_json_string(js, t, i, small, sizeof small, &need);
        if (t[i].type != CDREST_JSON_STRING) { /* never a non-string's raw text taken for a string */
            REQUIRE(rc == CDREST_E_JSON && need == 0 && small[0] == 0);
        } else {
            REQUIRE(rc == 0 || rc == CDREST_E_TOOLARGE);
            REQUIRE(cdrest_json_string(js, t, i, big, len + 1, &got) == 0 && got == need);
        }
        if (t[i].type == CDREST_JSON_STRING) {
            REQUIRE(cdrest_json_eq(js, t, i, big) || memchr(big, 0, got));
            if (written++ < 16) check_writer_round_trip(big, got);
        }
        if (t[i].type == CDREST_JSON_NUMBER) {
            rc = cdrest_json_int64(js, t, i, &iv);
            REQUIRE(rc == 0 || rc == CDREST_E_TOOLARGE || rc == CDREST_E_JSON);
            rc = cdrest_json_double(js, t, i, &dv);
            REQUIRE(rc == 0 || rc == CDREST_E_TOOLARGE);
        }
        for (c = cdrest_json_first(t, n, i); c >= 0; c = cdrest_json_next(t, n, c)) count++;
        if (t[i].type == CDREST_JSON_OBJECT || t[i].type == CDREST_JSON_ARRAY)
            REQUIRE(count == t[i].size);
        else
            REQUIRE(count == 0);
        if (checked_finds < 32 && !(t[i].type == CDREST_JSON_STRING && t[i].size == 1)) {
            check_find(js, t, n, i);
            checked_finds++;
        }
    }
    free(big);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *js = (char *)malloc(size ? size : 1);
    cdrest_json_parser counter, filler;
    cdrest_json_tok *toks;
    cdrest_json_writer w;
    char out[64];
    int n, m;
    if (size) memcpy(js, data, size);
    cdrest_json_init(&counter);
    n = cdrest_json_parse(&counter, js, size, NULL, 0);
    m = parse_resuming(&filler, js, size, &toks);
    REQUIRE(n == m);
    REQUIRE(n > 0 || n == CDREST_E_JSON);
    if (n < 0) {
        REQUIRE(counter.error == filler.error && counter.error_pos == filler.error_pos);
        REQUIRE(counter.error_pos <= size);
    } else {
        check_tokens(js, size, toks, n);
    }
    check_writer_round_trip(js, size);
    cdrest_jw_init(&w, out, sizeof out);
    cdrest_jw_raw(&w, js, size);
    REQUIRE((w.error == CDREST_E_ARG) == (n < 0));
    free(toks);
    free(js);
    return 0;
}
