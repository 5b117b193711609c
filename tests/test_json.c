/* SPDX-License-Identifier: MIT */
/* Unit tests of the JSON layer: tokenizer (tokens, spans, parents, errors and their
   offsets, depth, counting, resuming), helpers (skip, iterate, find, eq, unescape,
   numbers) and the writer. Every input is parsed from an exact-size heap copy so that
   ASan and valgrind catch a read one byte past the end. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
/* test.h's server helpers are not needed here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test.h"

#include <math.h>

/* A parsed document: the exact-size copy, its tokens, and the parser that made them. */
typedef struct doc {
    char *js;
    size_t len;
    cdrest_json_parser p;
    cdrest_json_tok *t;
    int n; /* token count or the negative parse result */
} doc;

static void doc_free(doc *d) {
    free(d->js);
    free(d->t);
    memset(d, 0, sizeof *d);
}

static char *exact_copy(const char *text, size_t len) {
    char *js = (char *)malloc(len ? len : 1);
    if (len) memcpy(js, text, len);
    return js;
}

/* Parses text[0..len) into an array sized by counting mode (exactly), or for invalid
   input one with room for every byte, so that the error is reached. */
static int doc_parse_n(doc *d, const char *text, size_t len) {
    cdrest_json_parser counter;
    int need, cap;
    memset(d, 0, sizeof *d);
    d->js = exact_copy(text, len);
    d->len = len;
    cdrest_json_init(&counter);
    need = cdrest_json_parse(&counter, d->js, len, NULL, 0);
    cap = need > 0 ? need : (int)len + 1;
    d->t = (cdrest_json_tok *)malloc(sizeof *d->t * (size_t)cap);
    cdrest_json_init(&d->p);
    d->n = cdrest_json_parse(&d->p, d->js, len, d->t, cap);
    if (need != d->n) fprintf(stderr, "counting (%d) and filling (%d) disagree\n", need, d->n);
    return d->n;
}

static int doc_parse(doc *d, const char *text) {
    return doc_parse_n(d, text, strlen(text));
}

/* Checks one token's fields. */
#define CHECK_TOK(d, i, ty, st, en, sz, par) \
    do {                                     \
        CHECK_INT((d).t[i].type, ty);        \
        CHECK_INT((d).t[i].start, st);       \
        CHECK_INT((d).t[i].end, en);         \
        CHECK_INT((d).t[i].size, sz);        \
        CHECK_INT((d).t[i].parent, par);     \
    } while (0)

/* ---- tokenizer ------------------------------------------------------------------- */

static void test_tokens_shape(void) {
    doc d;
    /* 27 bytes: the key "a" at 2, the array at 5..18, the key "b" at 20, "x" at 24 */
    const char *s = "{\"a\":[1,true,null],\"b\":\"x\"}";
    CHECK_INT(doc_parse(&d, s), 8);
    CHECK_TOK(d, 0, CDREST_JSON_OBJECT, 0, 27, 2, -1);
    CHECK_TOK(d, 1, CDREST_JSON_STRING, 2, 3, 1, 0); /* key "a": child of the object */
    CHECK_TOK(d, 2, CDREST_JSON_ARRAY, 5, 18, 3, 1); /* its value: child of the key */
    CHECK_TOK(d, 3, CDREST_JSON_NUMBER, 6, 7, 0, 2);
    CHECK_TOK(d, 4, CDREST_JSON_TRUE, 8, 12, 0, 2);
    CHECK_TOK(d, 5, CDREST_JSON_NULL, 13, 17, 0, 2);
    CHECK_TOK(d, 6, CDREST_JSON_STRING, 20, 21, 1, 0);
    CHECK_TOK(d, 7, CDREST_JSON_STRING, 24, 25, 0, 6);
    CHECK_INT(d.p.pos, strlen(s));
    /* calling again after success gives the same count and leaves the tokens alone */
    CHECK_INT(cdrest_json_parse(&d.p, d.js, d.len, d.t, d.n), 8);
    CHECK_TOK(d, 7, CDREST_JSON_STRING, 24, 25, 0, 6);
    doc_free(&d);

    CHECK_INT(doc_parse(&d, " \t\r\n[ {} , [ ] , false ,-0.5e+3 ] \n"), 5);
    CHECK_TOK(d, 0, CDREST_JSON_ARRAY, 4, 33, 4, -1);
    CHECK_TOK(d, 1, CDREST_JSON_OBJECT, 6, 8, 0, 0);
    CHECK_TOK(d, 2, CDREST_JSON_ARRAY, 11, 14, 0, 0);
    CHECK_TOK(d, 3, CDREST_JSON_FALSE, 17, 22, 0, 0);
    CHECK_TOK(d, 4, CDREST_JSON_NUMBER, 24, 31, 0, 0);
    doc_free(&d);

    /* nested objects: closing several containers at once restores the right parents */
    CHECK_INT(doc_parse(&d, "{\"a\":{\"b\":{\"c\":[]}},\"d\":0}"), 9);
    CHECK_TOK(d, 5, CDREST_JSON_STRING, 12, 13, 1, 4);
    CHECK_TOK(d, 6, CDREST_JSON_ARRAY, 15, 17, 0, 5);
    CHECK_TOK(d, 4, CDREST_JSON_OBJECT, 10, 18, 1, 3);
    CHECK_TOK(d, 2, CDREST_JSON_OBJECT, 5, 19, 1, 1);
    CHECK_TOK(d, 7, CDREST_JSON_STRING, 21, 22, 1, 0);
    CHECK_TOK(d, 8, CDREST_JSON_NUMBER, 24, 25, 0, 7);
    doc_free(&d);
}

static void test_scalar_roots(void) {
    static const struct {
        const char *text;
        int type, start, end;
    } cases[] = {
        { "\"x\"", CDREST_JSON_STRING, 1, 2 },  { "12", CDREST_JSON_NUMBER, 0, 2 },
        { " true ", CDREST_JSON_TRUE, 1, 5 },   { "null", CDREST_JSON_NULL, 0, 4 },
        { "false", CDREST_JSON_FALSE, 0, 5 },   { "-0", CDREST_JSON_NUMBER, 0, 2 },
        { "\"\"", CDREST_JSON_STRING, 1, 1 },   { "0.5E-07", CDREST_JSON_NUMBER, 0, 7 },
        { "1e+9\n", CDREST_JSON_NUMBER, 0, 4 }, { "123456789012345678901234567890", CDREST_JSON_NUMBER, 0, 30 },
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        doc d;
        if (!CHECK_INT(doc_parse(&d, cases[k].text), 1)) fprintf(stderr, "  input: %s\n", cases[k].text);
        CHECK_TOK(d, 0, cases[k].type, cases[k].start, cases[k].end, 0, -1);
        doc_free(&d);
    }
}

/* Every rejection: the code and the offset of the offending byte (len at EOF). */
static void test_errors(void) {
    static const struct {
        const char *text;
        size_t len;
        int error;
        size_t pos;
    } cases[] = {
        { "", 0, CDREST_JSON_ERR_EMPTY, 0 },
        { " \n\t\r", 4, CDREST_JSON_ERR_EMPTY, 4 },
        { "[1,]", 4, CDREST_JSON_ERR_SYNTAX, 3 },
        { "[,1]", 4, CDREST_JSON_ERR_SYNTAX, 1 },
        { "[1 2]", 5, CDREST_JSON_ERR_SYNTAX, 3 },
        { "[1}", 3, CDREST_JSON_ERR_SYNTAX, 2 },
        { "{\"a\":1]", 7, CDREST_JSON_ERR_SYNTAX, 6 },
        { "{\"a\" 1}", 7, CDREST_JSON_ERR_SYNTAX, 5 },
        { "{\"a\":1,}", 8, CDREST_JSON_ERR_SYNTAX, 7 },
        { "{,}", 3, CDREST_JSON_ERR_SYNTAX, 1 },
        { "{1:2}", 5, CDREST_JSON_ERR_SYNTAX, 1 },
        { "{'a':1}", 7, CDREST_JSON_ERR_SYNTAX, 1 },
        { "[\"a\":1]", 7, CDREST_JSON_ERR_SYNTAX, 4 },
        { "\xef\xbb\xbf{}", 5, CDREST_JSON_ERR_SYNTAX, 0 }, /* a BOM is not whitespace */
        { "[\f]", 3, CDREST_JSON_ERR_SYNTAX, 1 },
        { "[1,\0]", 5, CDREST_JSON_ERR_SYNTAX, 3 },
        { "01", 2, CDREST_JSON_ERR_NUMBER, 1 },
        { "-01", 3, CDREST_JSON_ERR_NUMBER, 2 },
        { "-", 1, CDREST_JSON_ERR_NUMBER, 1 },
        { "-a", 2, CDREST_JSON_ERR_NUMBER, 1 },
        { "1.", 2, CDREST_JSON_ERR_NUMBER, 2 },
        { "1.e5", 4, CDREST_JSON_ERR_NUMBER, 2 },
        { "[.5]", 4, CDREST_JSON_ERR_SYNTAX, 1 },
        { "1e", 2, CDREST_JSON_ERR_NUMBER, 2 },
        { "1e+", 3, CDREST_JSON_ERR_NUMBER, 3 },
        { "[1.2.3]", 7, CDREST_JSON_ERR_NUMBER, 4 },
        { "[1e5e]", 6, CDREST_JSON_ERR_NUMBER, 4 },
        { "+1", 2, CDREST_JSON_ERR_SYNTAX, 0 },
        { "[NaN]", 5, CDREST_JSON_ERR_SYNTAX, 1 },
        { "[Infinity]", 10, CDREST_JSON_ERR_SYNTAX, 1 },
        { "[0x1]", 5, CDREST_JSON_ERR_SYNTAX, 2 },
        { "tru", 3, CDREST_JSON_ERR_LITERAL, 3 },
        { "trUe", 4, CDREST_JSON_ERR_LITERAL, 2 },
        { "[truex]", 7, CDREST_JSON_ERR_LITERAL, 5 },
        { "nulll", 5, CDREST_JSON_ERR_LITERAL, 4 },
        { "[fals]", 6, CDREST_JSON_ERR_LITERAL, 5 },
        { "True", 4, CDREST_JSON_ERR_SYNTAX, 0 },
        { "\"a\tb\"", 5, CDREST_JSON_ERR_CONTROL, 2 },
        { "\"a\nb\"", 5, CDREST_JSON_ERR_CONTROL, 2 },
        { "\"\x1f\"", 3, CDREST_JSON_ERR_CONTROL, 1 },
        { "\"\0\"", 3, CDREST_JSON_ERR_CONTROL, 1 },
        { "\"\\x\"", 4, CDREST_JSON_ERR_ESCAPE, 1 },
        { "\"\\'\"", 4, CDREST_JSON_ERR_ESCAPE, 1 },
        { "\"\\U0041\"", 8, CDREST_JSON_ERR_ESCAPE, 1 },
        { "\"\\u12g4\"", 8, CDREST_JSON_ERR_ESCAPE, 1 },
        { "\"\\u12\"", 6, CDREST_JSON_ERR_ESCAPE, 1 },
        { "\"ab\\ud800\"", 10, CDREST_JSON_ERR_ESCAPE, 3 },      /* lone high */
        { "\"\\udc00\"", 8, CDREST_JSON_ERR_ESCAPE, 1 },         /* lone low */
        { "\"\\ud800\\u0041\"", 14, CDREST_JSON_ERR_ESCAPE, 1 }, /* high + non-low */
        { "\"\\ud800\\ud800\"", 14, CDREST_JSON_ERR_ESCAPE, 1 }, /* high + high */
        { "\"\\udc00\\ud800\"", 14, CDREST_JSON_ERR_ESCAPE, 1 }, /* inverted pair */
        { "\"\\ud800\\n\"", 10, CDREST_JSON_ERR_ESCAPE, 1 },
        { "\"\\ud800", 7, CDREST_JSON_ERR_EOF, 7 },
        { "\"\\ud800\\u", 9, CDREST_JSON_ERR_EOF, 9 },
        { "\"\\u00", 5, CDREST_JSON_ERR_EOF, 5 },
        { "\"\\", 2, CDREST_JSON_ERR_EOF, 2 },
        { "\"abc", 4, CDREST_JSON_ERR_EOF, 4 },
        { "[", 1, CDREST_JSON_ERR_EOF, 1 },
        { "[1", 2, CDREST_JSON_ERR_EOF, 2 },
        { "[1,", 3, CDREST_JSON_ERR_EOF, 3 },
        { "{\"a\"", 4, CDREST_JSON_ERR_EOF, 4 },
        { "{\"a\":", 5, CDREST_JSON_ERR_EOF, 5 },
        { "{\"a\":1", 6, CDREST_JSON_ERR_EOF, 6 },
        { "{\"a\":1,", 7, CDREST_JSON_ERR_EOF, 7 },
        { "\"\xc0\x80\"", 4, CDREST_JSON_ERR_UTF8, 1 },         /* overlong NUL */
        { "\"\xc1\xbf\"", 4, CDREST_JSON_ERR_UTF8, 1 },         /* overlong 2-byte */
        { "\"\xe0\x80\x80\"", 5, CDREST_JSON_ERR_UTF8, 1 },     /* overlong 3-byte */
        { "\"\xf0\x80\x80\x80\"", 6, CDREST_JSON_ERR_UTF8, 1 }, /* overlong 4-byte */
        { "\"\xed\xa0\x80\"", 5, CDREST_JSON_ERR_UTF8, 1 },     /* U+D800 encoded */
        { "\"\xed\xbf\xbf\"", 5, CDREST_JSON_ERR_UTF8, 1 },     /* U+DFFF encoded */
        { "\"\xf4\x90\x80\x80\"", 6, CDREST_JSON_ERR_UTF8, 1 }, /* > U+10FFFF */
        { "\"\xf5\x80\x80\x80\"", 6, CDREST_JSON_ERR_UTF8, 1 },
        { "\"\xff\"", 3, CDREST_JSON_ERR_UTF8, 1 },
        { "\"a\x80\"", 4, CDREST_JSON_ERR_UTF8, 2 },    /* lone continuation */
        { "\"\xe2\x82\"", 4, CDREST_JSON_ERR_UTF8, 1 }, /* truncated before the quote */
        { "\"\xe2\x82", 3, CDREST_JSON_ERR_UTF8, 1 },   /* truncated by the end */
        { "\"\xc3\xa9\xc3\"", 6, CDREST_JSON_ERR_UTF8, 3 },
        { "[1]x", 4, CDREST_JSON_ERR_TRAILING, 3 },
        { "[1]]", 4, CDREST_JSON_ERR_TRAILING, 3 },
        { "{} {}", 5, CDREST_JSON_ERR_TRAILING, 3 },
        { "1 2", 3, CDREST_JSON_ERR_TRAILING, 2 },
        { "\"a\" \"b\"", 7, CDREST_JSON_ERR_TRAILING, 4 },
        { "null\0", 5, CDREST_JSON_ERR_TRAILING, 4 },
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        doc d;
        int rc = doc_parse_n(&d, cases[k].text, cases[k].len);
        int ok = CHECK_INT(rc, CDREST_E_JSON);
        ok &= CHECK_INT(d.p.error, cases[k].error);
        ok &= CHECK_INT(d.p.error_pos, cases[k].pos);
        if (!ok) fprintf(stderr, "  case %lu: \"%s\"\n", (unsigned long)k, cases[k].text);
        /* sticky: the same error again, whatever the array */
        CHECK_INT(cdrest_json_parse(&d.p, d.js, d.len, d.t, 1), CDREST_E_JSON);
        CHECK_INT(d.p.error, cases[k].error);
        doc_free(&d);
    }
    CHECK(strcmp(cdrest_json_errstr(CDREST_JSON_ERR_DEPTH), "nesting too deep") == 0);
    CHECK(strcmp(cdrest_json_errstr(CDREST_JSON_ERR_ESCAPE), "invalid escape or lone surrogate") == 0);
    CHECK(cdrest_json_errstr(12345) != NULL);
}

/* Inputs that must be accepted: UTF-8 edges, every escape, noncharacters. */
static void test_valid_strings(void) {
    static const char *cases[] = {
        "\"\xc2\x80\"",
        "\"\xdf\xbf\"",
        "\"\xe0\xa0\x80\"",
        "\"\xed\x9f\xbf\"",
        "\"\xee\x80\x80\"",
        "\"\xef\xbf\xbf\"",
        "\"\xf0\x90\x80\x80\"",
        "\"\xf4\x8f\xbf\xbf\"",
        "\"\x7f\"",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        "\"\\u0000\"",
        "\"\\uFFFF\\uffFe\"",
        "\"\\ud83d\\ude00\"",
        "\"\\uDBFF\\uDFFF\"",
        "\"\\uD800\\uDC00\"",
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        doc d;
        if (!CHECK_INT(doc_parse(&d, cases[k]), 1)) fprintf(stderr, "  case %lu\n", (unsigned long)k);
        doc_free(&d);
    }
}

/* The bulk scanners (16 and 8 bytes per step) must find a stop byte at every offset
   of a word and never read past the end: strings of every length up to 70 with a
   quote, backslash, control or non-ASCII byte at every position. */
static void test_scan_boundaries(void) {
    char text[80];
    int len, at, bad = 0;
    for (len = 0; len <= 70 && !bad; len++) {
        doc d;
        text[0] = '"';
        memset(text + 1, 'a', (size_t)len);
        text[len + 1] = '"';
        if (doc_parse_n(&d, text, (size_t)len + 2) != 1 || d.t[0].end != len + 1) bad = 1;
        doc_free(&d);
        if (doc_parse_n(&d, text, (size_t)len + 1) != CDREST_E_JSON || /* unterminated */
            d.p.error != CDREST_JSON_ERR_EOF || d.p.error_pos != (size_t)len + 1)
            bad = 2;
        doc_free(&d);
        for (at = 1; at <= len && !bad; at++) {
            text[at] = '\x01';
            if (doc_parse_n(&d, text, (size_t)len + 2) != CDREST_E_JSON || d.p.error != CDREST_JSON_ERR_CONTROL ||
                d.p.error_pos != (size_t)at)
                bad = 3;
            doc_free(&d);
            text[at] = '\xc3';
            if (doc_parse_n(&d, text, (size_t)len + 2) != CDREST_E_JSON || d.p.error != CDREST_JSON_ERR_UTF8 ||
                d.p.error_pos != (size_t)at)
                bad = 4;
            doc_free(&d);
            text[at] = '"';
            if (doc_parse_n(&d, text, (size_t)at + 1) != 1 || d.t[0].end != at) bad = 5;
            doc_free(&d);
            text[at] = '\\';
            if (doc_parse_n(&d, text, (size_t)len + 2) != CDREST_E_JSON ||
                d.p.error != (at == len ? CDREST_JSON_ERR_EOF : CDREST_JSON_ERR_ESCAPE))
                bad = 6;
            doc_free(&d);
            text[at] = 'a';
        }
        if (bad) fprintf(stderr, "  scan boundary failure %d at len %d, offset %d\n", bad, len, at);
    }
    CHECK_INT(bad, 0);
}

static char *nested(int depth, size_t *len) {
    char *s = (char *)malloc((size_t)depth * 2);
    memset(s, '[', (size_t)depth);
    memset(s + depth, ']', (size_t)depth);
    *len = (size_t)depth * 2;
    return s;
}

static void test_depth(void) {
    size_t len;
    char *s = nested(CDREST_JSON_MAX_DEPTH, &len);
    doc d;
    CHECK_INT(doc_parse_n(&d, s, len), CDREST_JSON_MAX_DEPTH);
    CHECK_INT(d.t[CDREST_JSON_MAX_DEPTH - 1].parent, CDREST_JSON_MAX_DEPTH - 2);
    CHECK_INT(d.t[0].end, (int)len);
    doc_free(&d);
    free(s);

    s = nested(CDREST_JSON_MAX_DEPTH + 1, &len);
    CHECK_INT(doc_parse_n(&d, s, len), CDREST_E_JSON);
    CHECK_INT(d.p.error, CDREST_JSON_ERR_DEPTH);
    CHECK_INT(d.p.error_pos, CDREST_JSON_MAX_DEPTH);
    doc_free(&d);
    free(s);

    /* 100000 opening brackets: a depth error at the first one too many, no recursion */
    s = nested(100000, &len);
    CHECK_INT(doc_parse_n(&d, s, 100000), CDREST_E_JSON);
    CHECK_INT(d.p.error, CDREST_JSON_ERR_DEPTH);
    CHECK_INT(d.p.error_pos, CDREST_JSON_MAX_DEPTH);
    doc_free(&d);
    free(s);

    /* a caller's lower limit; objects count as much as arrays */
    {
        cdrest_json_parser p;
        cdrest_json_tok t[8];
        cdrest_json_init(&p);
        p.max_depth = 2;
        CHECK_INT(cdrest_json_parse(&p, "[{\"a\":1}]", 9, t, 8), 4);
        cdrest_json_init(&p);
        p.max_depth = 2;
        CHECK_INT(cdrest_json_parse(&p, "[{\"a\":[]}]", 10, t, 8), CDREST_E_JSON);
        CHECK_INT(p.error, CDREST_JSON_ERR_DEPTH);
        CHECK_INT(p.error_pos, 6);
        cdrest_json_init(&p);
        p.max_depth = 1;
        CHECK_INT(cdrest_json_parse(&p, "{\"a\":{}}", 8, NULL, 0), CDREST_E_JSON);
        CHECK_INT(p.error, CDREST_JSON_ERR_DEPTH);
        cdrest_json_init(&p);
        p.max_depth = 0; /* out of range: the maximum */
        CHECK_INT(cdrest_json_parse(&p, "[[[]]]", 6, NULL, 0), 3);
    }
}

/* Too small an array, then grown (realloc keeps the filled tokens): the resumed parse
   must end with exactly the tokens of a one-shot parse, for every starting size. */
static void test_resume(void) {
    static const char *docs[] = {
        "{\"a\":[1,true,null],\"b\":\"x\",\"c\":{\"d\":[[],{}],\"e\":\"\\u00e9\"}}",
        "[[[[1]]],[\"x\"],{\"k\":{\"k\":{\"k\":false}}}]",
        "\"root\"",
        ("{\"propertySheet\":{\"property\":[{\"propertyName\":\"a\",\"value\":\"1\"},"
         "{\"propertyName\":\"b\",\"value\":\"2\"}]}}"),
    };
    size_t k;
    for (k = 0; k < sizeof docs / sizeof docs[0]; k++) {
        doc ref;
        int n = doc_parse(&ref, docs[k]), start, mismatches = 0;
        CHECK(n > 0);
        for (start = 0; start <= n; start++) {
            cdrest_json_parser p;
            cdrest_json_tok *t = (cdrest_json_tok *)malloc(sizeof *t * (size_t)(start ? start : 1));
            int cap = start, rc, calls = 0;
            cdrest_json_init(&p);
            while ((rc = cdrest_json_parse(&p, ref.js, ref.len, t, cap)) == CDREST_E_JSON_TOKENS) {
                /* it stopped at a value (or key) start: the byte there opens one */
                if (!strchr("{[\"-0123456789tfn", ref.js[p.pos])) mismatches++;
                if (p.toknext != cap) mismatches++;
                cap++;
                t = (cdrest_json_tok *)realloc(t, sizeof *t * (size_t)cap);
                calls++;
            }
            if (rc != n || memcmp(t, ref.t, sizeof *t * (size_t)n) != 0) mismatches++;
            if (calls != (start < n ? n - start : 0)) mismatches++;
            free(t);
        }
        if (!CHECK_INT(mismatches, 0)) fprintf(stderr, "  doc %lu\n", (unsigned long)k);
        doc_free(&ref);
    }
    /* an empty array reports TOKENS before reading anything */
    {
        cdrest_json_parser p;
        cdrest_json_tok t[4];
        cdrest_json_init(&p);
        CHECK_INT(cdrest_json_parse(&p, "[1,2]", 5, t, 0), CDREST_E_JSON_TOKENS);
        CHECK_INT(p.pos, 0);
        CHECK_INT(cdrest_json_parse(&p, "[1,2]", 5, t, 2), CDREST_E_JSON_TOKENS);
        CHECK_INT(p.pos, 3); /* at the "2" */
        CHECK_INT(cdrest_json_parse(&p, "[1,2]", 5, t, 4), 3);
        CHECK_INT(t[2].type, CDREST_JSON_NUMBER);
        CHECK_INT(t[2].start, 3);
        CHECK_INT(t[2].parent, 0);
        CHECK_INT(t[0].end, 5);
        CHECK_INT(t[0].size, 2);
        /* a syntax error after a resume is still found, at the same offset */
        cdrest_json_init(&p);
        CHECK_INT(cdrest_json_parse(&p, "[1,2,]", 6, t, 1), CDREST_E_JSON_TOKENS);
        CHECK_INT(cdrest_json_parse(&p, "[1,2,]", 6, t, 4), CDREST_E_JSON);
        CHECK_INT(p.error, CDREST_JSON_ERR_SYNTAX);
        CHECK_INT(p.error_pos, 5);
    }
}

/* Counting validates as fully as filling; the two cannot be mixed in one parse. */
static void test_counting(void) {
    cdrest_json_parser p;
    cdrest_json_tok t[8];
    cdrest_json_init(&p);
    CHECK_INT(cdrest_json_parse(&p, "{\"a\":[1,2,{}]}", 14, NULL, 0), 6);
    cdrest_json_init(&p);
    CHECK_INT(cdrest_json_parse(&p, "[\"\\ud800\"]", 10, NULL, 0), CDREST_E_JSON);
    CHECK_INT(p.error, CDREST_JSON_ERR_ESCAPE);
    CHECK_INT(p.error_pos, 2);
    cdrest_json_init(&p);
    CHECK_INT(cdrest_json_parse(&p, "[\"\xed\xa0\x80\"]", 7, NULL, 0), CDREST_E_JSON);
    CHECK_INT(p.error, CDREST_JSON_ERR_UTF8);

    /* counted to the end, then asked to fill without init: refused */
    cdrest_json_init(&p);
    CHECK_INT(cdrest_json_parse(&p, "[1]", 3, NULL, 0), 2);
    CHECK_INT(cdrest_json_parse(&p, "[1]", 3, t, 8), CDREST_E_ARG);
    /* filling stopped for tokens, then asked to count: refused; filling still resumes */
    cdrest_json_init(&p);
    CHECK_INT(cdrest_json_parse(&p, "[1,2]", 5, t, 1), CDREST_E_JSON_TOKENS);
    CHECK_INT(cdrest_json_parse(&p, "[1,2]", 5, NULL, 0), CDREST_E_ARG);
    CHECK_INT(cdrest_json_parse(&p, "[1,2]", 5, t, 0), CDREST_E_ARG); /* fewer than filled */
    CHECK_INT(cdrest_json_parse(&p, "[1,2]", 5, t, 8), 3);
    /* bad arguments */
    CHECK_INT(cdrest_json_parse(NULL, "1", 1, NULL, 0), CDREST_E_ARG);
    cdrest_json_init(&p);
    CHECK_INT(cdrest_json_parse(&p, NULL, 1, NULL, 0), CDREST_E_ARG);
    CHECK_INT(cdrest_json_parse(&p, "1", 1, t, -1), CDREST_E_ARG);
    CHECK_INT(cdrest_json_parse(&p, NULL, 0, NULL, 0), CDREST_E_JSON);
    CHECK_INT(p.error, CDREST_JSON_ERR_EMPTY);
}

/* ---- helpers --------------------------------------------------------------------- */

static void test_skip_iterate(void) {
    doc d;
    int c, seen[8], n = 0;
    /* 0 {  1 "a"  2 [  3 1  4 {  5 "x"  6 2  7 []  8 "b"  9 {}  10 "c"  11 null */
    CHECK_INT(doc_parse(&d, "{\"a\":[1,{\"x\":2},[]],\"b\":{},\"c\":null}"), 12);
    CHECK_INT(cdrest_json_skip(d.t, d.n, 0), 12);
    CHECK_INT(cdrest_json_skip(d.t, d.n, 1), 8); /* a key takes its value along */
    CHECK_INT(cdrest_json_skip(d.t, d.n, 2), 8);
    CHECK_INT(cdrest_json_skip(d.t, d.n, 4), 7);
    CHECK_INT(cdrest_json_skip(d.t, d.n, 3), 4);
    CHECK_INT(cdrest_json_skip(d.t, d.n, 11), 12);
    CHECK_INT(cdrest_json_skip(d.t, d.n, 12), 12); /* out of range: ntok */
    CHECK_INT(cdrest_json_skip(d.t, d.n, -1), 12);

    for (c = cdrest_json_first(d.t, d.n, 0); c >= 0 && n < 8; c = cdrest_json_next(d.t, d.n, c)) seen[n++] = c;
    CHECK_INT(n, 3);
    CHECK_INT(seen[0], 1);
    CHECK_INT(seen[1], 8);
    CHECK_INT(seen[2], 10);
    CHECK(cdrest_json_eq(d.js, d.t, seen[2], "c"));
    CHECK_INT(d.t[seen[2] + 1].type, CDREST_JSON_NULL); /* the value is key + 1 */

    n = 0;
    for (c = cdrest_json_first(d.t, d.n, 2); c >= 0 && n < 8; c = cdrest_json_next(d.t, d.n, c)) seen[n++] = c;
    CHECK_INT(n, 3);
    CHECK_INT(seen[0], 3);
    CHECK_INT(seen[1], 4);
    CHECK_INT(seen[2], 7);
    CHECK_INT(cdrest_json_first(d.t, d.n, 7), -1); /* empty array */
    CHECK_INT(cdrest_json_first(d.t, d.n, 9), -1); /* empty object */
    CHECK_INT(cdrest_json_first(d.t, d.n, 3), -1); /* a number */
    CHECK_INT(cdrest_json_first(d.t, d.n, 1), -1); /* a key */
    CHECK_INT(cdrest_json_first(d.t, d.n, 99), -1);
    CHECK_INT(cdrest_json_next(d.t, d.n, 2), -1); /* a member's value has no sibling */
    CHECK_INT(cdrest_json_next(d.t, d.n, 0), -1); /* the root neither */
    CHECK_INT(cdrest_json_next(d.t, d.n, -3), -1);
    CHECK_INT(cdrest_json_first(NULL, 3, 0), -1);
    doc_free(&d);
}

static void test_find(void) {
    doc d;
    const char *s = "{\"project\":[{\"projectName\":\"A\"},{\"projectName\":\"B\"},{\"projectName\":\"C\","
                    "\"tags\":[[10,11],[20,21]]}],"
                    "\"property\":{\"value\":\"v\",\"Value\":\"V\"},"
                    "\"na\\u006de\":\"escaped key\",\"a.b\":1,\"dup\":1,\"dup\":2,\"\":\"empty key\"}";
    int i;
    int64_t num = 0;
    CHECK(doc_parse(&d, s) > 0);
    i = cdrest_json_find(d.js, d.t, d.n, 0, "project[2].projectName");
    CHECK(cdrest_json_eq(d.js, d.t, i, "C"));
    i = cdrest_json_find(d.js, d.t, d.n, 0, "project[0].projectName");
    CHECK(cdrest_json_eq(d.js, d.t, i, "A"));
    i = cdrest_json_find(d.js, d.t, d.n, 0, "property.value");
    CHECK(cdrest_json_eq(d.js, d.t, i, "v"));
    i = cdrest_json_find(d.js, d.t, d.n, 0, "property.Value"); /* exact case */
    CHECK(cdrest_json_eq(d.js, d.t, i, "V"));
    i = cdrest_json_find(d.js, d.t, d.n, 0, "project[2].tags[1][0]");
    CHECK_INT(cdrest_json_int64(d.js, d.t, i, &num), 0);
    CHECK_INT(num, 20);
    i = cdrest_json_find(d.js, d.t, d.n, 0, "name"); /* the document's key is escaped */
    CHECK(cdrest_json_eq(d.js, d.t, i, "escaped key"));
    i = cdrest_json_find(d.js, d.t, d.n, 0, "dup"); /* the first one wins */
    CHECK_INT(cdrest_json_int64(d.js, d.t, i, &num), 0);
    CHECK_INT(num, 1);
    /* from a token other than the root */
    i = cdrest_json_find(d.js, d.t, d.n, 0, "project");
    CHECK_INT(d.t[i].type, CDREST_JSON_ARRAY);
    CHECK(cdrest_json_eq(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, i, "[1].projectName"), "B"));
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, i, ""), i);
    CHECK_INT(d.t[cdrest_json_find(d.js, d.t, d.n, i, "[2].tags")].size, 2);
    /* missing, out of range, wrong kinds, malformed */
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "projects"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project[3]"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project[2].tags[2]"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project[99999999999]"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project.projectName"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "[0]"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "property.value.x"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "property[0]"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "a.b"), -1); /* '.' always separates */
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "property..value"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, ".property"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "property."), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project[0]projectName"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project["), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project[]"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project[-1]"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project[1"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "project[x]"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, -1, "project"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, d.n, "project"), -1);
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, NULL), -1);
    doc_free(&d);

    /* an array root */
    CHECK(doc_parse(&d, "[[\"a\"],{\"k\":[true]}]") > 0);
    CHECK_INT(d.t[cdrest_json_find(d.js, d.t, d.n, 0, "[1].k[0]")].type, CDREST_JSON_TRUE);
    CHECK(cdrest_json_eq(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "[0][0]"), "a"));
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "k"), -1);
    doc_free(&d);
}

static void test_eq(void) {
    doc d;
    CHECK(doc_parse(&d, "[\"caf\\u00e9\",\"caf\xc3\xa9\",\"a\\\"b\\\\c\\/d\\n\",\"\\ud83d\\ude00!\","
                        "\"\",\"abc\",12,\"\\u0000\"]") > 0);
    CHECK(cdrest_json_eq(d.js, d.t, 1, "caf\xc3\xa9"));
    CHECK(cdrest_json_eq(d.js, d.t, 2, "caf\xc3\xa9"));
    CHECK(!cdrest_json_eq(d.js, d.t, 1, "cafe"));
    CHECK(!cdrest_json_eq(d.js, d.t, 1, "caf\xc3\xa9s"));
    CHECK(!cdrest_json_eq(d.js, d.t, 1, "caf\xc3"));
    CHECK(cdrest_json_eq(d.js, d.t, 3, "a\"b\\c/d\n"));
    CHECK(!cdrest_json_eq(d.js, d.t, 3, "a\"b\\c/d"));
    CHECK(cdrest_json_eq(d.js, d.t, 4, "\xf0\x9f\x98\x80!"));
    CHECK(cdrest_json_eq(d.js, d.t, 5, ""));
    CHECK(!cdrest_json_eq(d.js, d.t, 5, "x"));
    CHECK(cdrest_json_eq(d.js, d.t, 6, "abc"));
    CHECK(!cdrest_json_eq(d.js, d.t, 6, "ab"));
    CHECK(!cdrest_json_eq(d.js, d.t, 6, "abcd"));
    CHECK(!cdrest_json_eq(d.js, d.t, 7, "12")); /* only strings compare */
    CHECK(!cdrest_json_eq(d.js, d.t, 8, ""));   /* "\u0000" is one NUL byte, not "" */
    CHECK(!cdrest_json_eq(d.js, d.t, 0, ""));
    CHECK(!cdrest_json_eq(d.js, d.t, 1, NULL));
    doc_free(&d);
}

static void test_string(void) {
    doc d;
    char buf[64], tiny[4];
    size_t len = 99;
    static const char all_escapes[] = "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf";
    CHECK(doc_parse(&d, "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\uD83D\\uDE00\\udbff\\udfff\","
                        "\"x\\u0000y\",-1.5e3,true,{\"a\":[1]},\"\",\"caf\xc3\xa9\"]") > 0);
    CHECK_INT(cdrest_json_string(d.js, d.t, 1, buf, sizeof buf, &len), 0);
    CHECK_INT(len, sizeof all_escapes - 1);
    CHECK(memcmp(buf, all_escapes, sizeof all_escapes) == 0); /* including the NUL */

    CHECK_INT(cdrest_json_string(d.js, d.t, 2, buf, sizeof buf, &len), 0);
    CHECK_INT(len, 3);
    CHECK(memcmp(buf, "x\0y", 4) == 0);

    /* numbers, literals and containers are not strings: refused, never their raw text */
    CHECK_INT(cdrest_json_string(d.js, d.t, 3, buf, sizeof buf, &len), CDREST_E_JSON);
    CHECK_STR(buf, "");
    CHECK_INT(len, 0);
    CHECK_INT(cdrest_json_string(d.js, d.t, 4, buf, sizeof buf, NULL), CDREST_E_JSON);
    CHECK_STR(buf, "");
    CHECK_INT(cdrest_json_string(d.js, d.t, 5, buf, sizeof buf, NULL), CDREST_E_JSON);
    CHECK_STR(buf, "");
    CHECK_INT(cdrest_json_string(d.js, d.t, 9, buf, sizeof buf, &len), 0);
    CHECK_STR(buf, "");
    CHECK_INT(len, 0);

    /* short buffers: TOOLARGE, the length needed, an empty string */
    CHECK_INT(cdrest_json_string(d.js, d.t, 1, tiny, sizeof tiny, &len), CDREST_E_TOOLARGE);
    CHECK_INT(len, sizeof all_escapes - 1);
    CHECK_INT(tiny[0], 0);
    CHECK_INT(cdrest_json_string(d.js, d.t, 10, buf, 5, &len), CDREST_E_TOOLARGE); /* NUL won't fit */
    CHECK_INT(len, 5);
    CHECK_INT(cdrest_json_string(d.js, d.t, 10, buf, 6, &len), 0); /* exact fit */
    CHECK_STR(buf, "caf\xc3\xa9");
    CHECK_INT(cdrest_json_string(d.js, d.t, 10, NULL, 0, &len), CDREST_E_TOOLARGE);
    CHECK_INT(len, 5);
    CHECK_INT(cdrest_json_string(d.js, d.t, 9, NULL, 0, &len), CDREST_E_TOOLARGE); /* "" needs 1 */
    CHECK_INT(len, 0);
    CHECK_INT(cdrest_json_string(d.js, d.t, 4, tiny, sizeof tiny, &len), CDREST_E_JSON);
    CHECK_INT(len, 0);
    CHECK_INT(cdrest_json_string(d.js, d.t, 1, NULL, 5, &len), CDREST_E_ARG);
    CHECK_INT(cdrest_json_string(d.js, d.t, -1, buf, sizeof buf, &len), CDREST_E_ARG);
    CHECK_INT(cdrest_json_string(NULL, d.t, 1, buf, sizeof buf, &len), CDREST_E_ARG);
    doc_free(&d);

    /* tokens not made by the tokenizer: a malformed escape is reported, not decoded */
    {
        cdrest_json_tok t = { CDREST_JSON_STRING, 0, 7, 0, -1 };
        CHECK_INT(cdrest_json_string("\\ud800x", &t, 0, buf, sizeof buf, &len), CDREST_E_JSON);
        t.end = 2;
        CHECK_INT(cdrest_json_string("\\q", &t, 0, buf, sizeof buf, &len), CDREST_E_JSON);
        t.end = 1;
        CHECK_INT(cdrest_json_string("\\", &t, 0, buf, sizeof buf, &len), CDREST_E_JSON);
        CHECK(!cdrest_json_eq("\\", &t, 0, "\\"));
    }
    {
        cdrest_json_tok num = { CDREST_JSON_NUMBER, 0, 2, 0, -1 };
        double dv;
        int64_t iv;
        CHECK_INT(cdrest_json_double("1e", &num, 0, &dv), CDREST_E_JSON);
        CHECK_INT(cdrest_json_int64("1e", &num, 0, &iv), CDREST_E_JSON);
        num.end = 0;
        CHECK_INT(cdrest_json_double("1e", &num, 0, &dv), CDREST_E_JSON);
        num.end = -1;
        CHECK_INT(cdrest_json_double("1e", &num, 0, &dv), CDREST_E_ARG);
    }
}

static void test_int64(void) {
    doc d;
    int64_t v = 42;
    CHECK(doc_parse(&d, "[0,-0,123,9223372036854775807,-9223372036854775808,9223372036854775808,"
                        "-9223372036854775809,99999999999999999999,1.5,1e3,1.0,\"4711\",\"abc\","
                        "\" 1\",\"\",\"-12\",true,\"01\",\"1\\u0030\",null]") > 0);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 1, &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 2, &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 3, &v), 0);
    CHECK_INT(v, 123);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 4, &v), 0);
    CHECK(v == INT64_MAX);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 5, &v), 0);
    CHECK(v == INT64_MIN);
    v = 7;
    CHECK_INT(cdrest_json_int64(d.js, d.t, 6, &v), CDREST_E_TOOLARGE);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 7, &v), CDREST_E_TOOLARGE);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 8, &v), CDREST_E_TOOLARGE);
    CHECK_INT(v, 7); /* untouched on error */
    CHECK_INT(cdrest_json_int64(d.js, d.t, 9, &v), CDREST_E_JSON);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 10, &v), CDREST_E_JSON);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 11, &v), CDREST_E_JSON);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 12, &v), 0); /* CD's ids come as strings */
    CHECK_INT(v, 4711);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 13, &v), CDREST_E_JSON);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 14, &v), CDREST_E_JSON);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 15, &v), CDREST_E_JSON);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 16, &v), 0);
    CHECK_INT(v, -12);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 17, &v), CDREST_E_JSON);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 18, &v), CDREST_E_JSON); /* JSON grammar in strings too */
    CHECK_INT(cdrest_json_int64(d.js, d.t, 19, &v), CDREST_E_JSON); /* no escapes in numbers */
    CHECK_INT(cdrest_json_int64(d.js, d.t, 20, &v), CDREST_E_JSON);
    CHECK_INT(cdrest_json_int64(d.js, d.t, 1, NULL), CDREST_E_ARG);
    doc_free(&d);
}

/* A number through cdrest_json_double must equal the C library's correctly rounded
   strtod of the same text (glibc's is exact), or be the expected error. */
static int double_is(const char *text, double want, int want_rc) {
    doc d;
    double v = -777;
    int rc, ok;
    doc_parse(&d, text);
    rc = cdrest_json_double(d.js, d.t, 0, &v);
    ok = rc == want_rc && (rc != 0 || (v == want && signbit(v) == signbit(want)));
    if (!ok) fprintf(stderr, "  double %s: rc %d, got %.17g, want %.17g\n", text, rc, v, want);
    doc_free(&d);
    return ok;
}

static void test_double(void) {
    static const char *exact[] = {
        "0.1",
        "-2.5e-3",
        "1e308",
        "1.7976931348623157e308",
        "2.2250738585072014e-308",
        "4.9e-324",
        "2.4703282292062328e-324",
        "123456789012345678901234567890",
        "0.30000000000000001665",
        "9007199254740993",
        "1e22",
        "1e23",
        "8.5e-12",
        "3.14159265358979323846264338327950288",
        "1E+2",
        "0e0",
        "100000000000000000000000e-23",
        "0.000000000000000000000000000000000000000000000000000000000000000001",
        "7.2057594037927933e16",
        "2.225073858507201136057409796709131975934819546351645648e-308",
    };
    char big[1200];
    size_t k;
    int ok = 1;
    for (k = 0; k < sizeof exact / sizeof exact[0]; k++) ok &= double_is(exact[k], strtod(exact[k], NULL), 0);
    CHECK(ok);
    CHECK(double_is("-0", -0.0, 0));
    CHECK(double_is("-0.0e5", -0.0, 0));
    CHECK(double_is("1e309", 0, CDREST_E_TOOLARGE));
    CHECK(double_is("-1e400", 0, CDREST_E_TOOLARGE));
    CHECK(double_is("1.8e308", 0, CDREST_E_TOOLARGE));
    CHECK(double_is("1e99999999999999999999", 0, CDREST_E_TOOLARGE));
    CHECK(double_is("1e-400", 0.0, 0)); /* underflow: zero, not an error */
    CHECK(double_is("-1e-99999999999", -0.0, 0));
    CHECK(double_is("\"3.25\"", 3.25, 0)); /* a string holding a number */
    CHECK(double_is("\"3.25 \"", 0, CDREST_E_JSON));
    CHECK(double_is("\"x\"", 0, CDREST_E_JSON));
    CHECK(double_is("true", 0, CDREST_E_JSON));
    /* 1000 significant digits (past the 800 kept): the sticky digit keeps rounding right */
    big[0] = '1';
    memset(big + 1, '0', 999);
    strcpy(big + 1000, "e-999");
    CHECK(double_is(big, 1.0, 0));
    /* just above the halfway point between 1 and the next double, decided by a far digit */
    strcpy(big, "1.00000000000000011102230246251565404236316680908203125");
    CHECK(double_is(big, 1.0, 0)); /* exactly halfway: ties to even */
    k = strlen(big);
    memset(big + k, '0', 900);
    strcpy(big + k + 900, "1");
    CHECK(double_is(big, strtod(big, NULL), 0));
    CHECK(strtod(big, NULL) > 1.0);
}

/* ---- writer ---------------------------------------------------------------------- */

static void test_writer_shape(void) {
    char buf[256];
    cdrest_json_writer w;
    cdrest_jw_init(&w, buf, sizeof buf);
    cdrest_jw_object_begin(&w);
    cdrest_jw_key(&w, "a");
    cdrest_jw_int64(&w, 1);
    cdrest_jw_key(&w, "b");
    cdrest_jw_array_begin(&w);
    cdrest_jw_bool(&w, 1);
    cdrest_jw_bool(&w, 0);
    cdrest_jw_null(&w);
    cdrest_jw_string(&w, "x");
    cdrest_jw_int64(&w, INT64_MIN);
    cdrest_jw_int64(&w, INT64_MAX);
    cdrest_jw_array_begin(&w);
    cdrest_jw_array_end(&w);
    cdrest_jw_object_begin(&w);
    cdrest_jw_object_end(&w);
    cdrest_jw_array_end(&w);
    cdrest_jw_key(&w, "c");
    cdrest_jw_raw(&w, " {\"r\": [1, 2]} ", 15);
    cdrest_jw_key(&w, "k\"e\\y");
    cdrest_jw_string_n(&w, "nul\0!", 5);
    cdrest_jw_object_end(&w);
    CHECK_INT(cdrest_jw_finish(&w), 0);
    CHECK_STR(buf, "{\"a\":1,\"b\":[true,false,null,\"x\",-9223372036854775808,9223372036854775807,[],{}],"
                   "\"c\": {\"r\": [1, 2]} ,\"k\\\"e\\\\y\":\"nul\\u0000!\"}");
    CHECK_INT(w.len, strlen(buf));

    cdrest_jw_init(&w, buf, sizeof buf);
    cdrest_jw_string(&w, "root");
    CHECK_INT(cdrest_jw_finish(&w), 0);
    CHECK_STR(buf, "\"root\"");
    cdrest_jw_init(&w, buf, sizeof buf);
    cdrest_jw_int64(&w, 0);
    CHECK_INT(cdrest_jw_finish(&w), 0);
    CHECK_STR(buf, "0");
}

/* Writes s[0..n) as a string, tokenizes the result and unescapes it: the same bytes. */
static int writer_round_trip(const char *s, size_t n, const char *expect_json) {
    char out[2048], back[1024];
    cdrest_json_writer w;
    doc d;
    size_t len = 0;
    int ok;
    cdrest_jw_init(&w, out, sizeof out);
    cdrest_jw_array_begin(&w);
    cdrest_jw_string_n(&w, s, n);
    cdrest_jw_array_end(&w);
    if (cdrest_jw_finish(&w) != 0) return 0;
    ok = doc_parse(&d, out) == 2 && cdrest_json_string(d.js, d.t, 1, back, sizeof back, &len) == 0 && len == n &&
         memcmp(back, s, n) == 0;
    if (expect_json && strcmp(out, expect_json) != 0) {
        fprintf(stderr, "  writer wrote %s, want %s\n", out, expect_json);
        ok = 0;
    }
    doc_free(&d);
    return ok;
}

static void test_writer_strings(void) {
    char all[128];
    int c;
    cdrest_json_writer w;
    char buf[64];
    for (c = 1; c < 128; c++) all[c - 1] = (char)c;
    CHECK(writer_round_trip(all, 127, NULL));
    for (c = 1; c < 128; c++) { /* and each byte alone, with its exact escape */
        char one = (char)c, want[16];
        if (c == '"')
            strcpy(want, "[\"\\\"\"]");
        else if (c == '\\')
            strcpy(want, "[\"\\\\\"]");
        else if (c == '\b')
            strcpy(want, "[\"\\b\"]");
        else if (c == '\f')
            strcpy(want, "[\"\\f\"]");
        else if (c == '\n')
            strcpy(want, "[\"\\n\"]");
        else if (c == '\r')
            strcpy(want, "[\"\\r\"]");
        else if (c == '\t')
            strcpy(want, "[\"\\t\"]");
        else if (c < 0x20)
            sprintf(want, "[\"\\u%04x\"]", c);
        else
            sprintf(want, "[\"%c\"]", c);
        if (!CHECK(writer_round_trip(&one, 1, want))) fprintf(stderr, "  byte 0x%02x\n", c);
    }
    CHECK(writer_round_trip("\0", 1, "[\"\\u0000\"]"));
    CHECK(writer_round_trip("", 0, "[\"\"]"));
    {
        static const char utf8[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf";
        static const char longer[] = "a long enough string that the bulk scanner takes several steps \"here\"\n";
        CHECK(writer_round_trip(utf8, sizeof utf8 - 1,
                                "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf\"]"));
        CHECK(writer_round_trip(longer, sizeof longer - 1, NULL));
    }

    /* invalid UTF-8 is refused, not sent */
    {
        static const char *bad[] = {
            "\x80", "a\xc3",     "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
            "\xff", "ok\xe2\x82"
        };
        size_t k;
        for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            cdrest_jw_init(&w, buf, sizeof buf);
            cdrest_jw_string(&w, bad[k]);
            if (!CHECK_INT(cdrest_jw_finish(&w), CDREST_E_ARG)) fprintf(stderr, "  bad %lu\n", (unsigned long)k);
        }
        cdrest_jw_init(&w, buf, sizeof buf);
        cdrest_jw_object_begin(&w);
        cdrest_jw_key(&w, "\xc3(");
        CHECK_INT(w.error, CDREST_E_ARG);
    }
}

static void expect_misuse(void (*script)(cdrest_json_writer *), const char *what) {
    char buf[64];
    cdrest_json_writer w;
    cdrest_jw_init(&w, buf, sizeof buf);
    script(&w);
    if (!CHECK_INT(cdrest_jw_finish(&w), CDREST_E_ARG)) fprintf(stderr, "  misuse: %s\n", what);
}

static void m_key_at_root(cdrest_json_writer *w) {
    cdrest_jw_key(w, "a");
}
static void m_key_in_array(cdrest_json_writer *w) {
    cdrest_jw_array_begin(w);
    cdrest_jw_key(w, "a");
    cdrest_jw_array_end(w);
}
static void m_value_no_key(cdrest_json_writer *w) {
    cdrest_jw_object_begin(w);
    cdrest_jw_int64(w, 1);
    cdrest_jw_object_end(w);
}
static void m_two_keys(cdrest_json_writer *w) {
    cdrest_jw_object_begin(w);
    cdrest_jw_key(w, "a");
    cdrest_jw_key(w, "b");
    cdrest_jw_null(w);
    cdrest_jw_object_end(w);
}
static void m_end_mismatch(cdrest_json_writer *w) {
    cdrest_jw_object_begin(w);
    cdrest_jw_array_end(w);
}
static void m_end_unopened(cdrest_json_writer *w) {
    cdrest_jw_array_end(w);
}
static void m_two_roots(cdrest_json_writer *w) {
    cdrest_jw_null(w);
    cdrest_jw_null(w);
}
static void m_left_open(cdrest_json_writer *w) {
    cdrest_jw_array_begin(w);
}
static void m_dangling_key(cdrest_json_writer *w) {
    cdrest_jw_object_begin(w);
    cdrest_jw_key(w, "a");
    cdrest_jw_object_end(w);
}
static void m_nothing(cdrest_json_writer *w) {
    (void)w;
}
static void m_bad_raw(cdrest_json_writer *w) {
    cdrest_jw_raw(w, "[1,]", 4);
}
static void m_raw_two_values(cdrest_json_writer *w) {
    cdrest_jw_raw(w, "1 2", 3);
}
static void m_null_string(cdrest_json_writer *w) {
    cdrest_jw_string(w, NULL);
}
static void m_null_key(cdrest_json_writer *w) {
    cdrest_jw_object_begin(w);
    cdrest_jw_key(w, NULL);
}
static void m_too_deep(cdrest_json_writer *w) {
    int i;
    for (i = 0; i <= CDREST_JSON_MAX_DEPTH; i++) cdrest_jw_array_begin(w);
}
/* After a misuse nothing more is written, even calls that would be fine on their own. */
static void m_sticky(cdrest_json_writer *w) {
    cdrest_jw_array_begin(w);
    cdrest_jw_key(w, "x");
    cdrest_jw_array_end(w);
}

static void test_writer_misuse(void) {
    expect_misuse(m_key_at_root, "key at the root");
    expect_misuse(m_key_in_array, "key in an array");
    expect_misuse(m_value_no_key, "value without a key");
    expect_misuse(m_two_keys, "two keys in a row");
    expect_misuse(m_end_mismatch, "object ended as an array");
    expect_misuse(m_end_unopened, "end without begin");
    expect_misuse(m_two_roots, "two roots");
    expect_misuse(m_left_open, "finish with an open array");
    expect_misuse(m_dangling_key, "object ended after a key");
    expect_misuse(m_nothing, "finish with nothing written");
    expect_misuse(m_bad_raw, "invalid raw JSON");
    expect_misuse(m_raw_two_values, "raw text with two values");
    expect_misuse(m_null_string, "NULL string");
    expect_misuse(m_null_key, "NULL key");
    expect_misuse(m_too_deep, "nesting deeper than CDREST_JSON_MAX_DEPTH");
    expect_misuse(m_sticky, "misuse is sticky");
    {
        char buf[16];
        cdrest_json_writer w;
        cdrest_jw_init(&w, buf, sizeof buf);
        m_sticky(&w);
        CHECK_INT(w.len, 1); /* only the '[' */
        CHECK_INT(cdrest_jw_finish(NULL), CDREST_E_ARG);
        cdrest_jw_null(NULL); /* harmless */
    }
}

static void build_body(cdrest_json_writer *w) {
    cdrest_jw_object_begin(w);
    cdrest_jw_key(w, "propertyName");
    cdrest_jw_string(w, "a/b \"c\"");
    cdrest_jw_key(w, "value");
    cdrest_jw_string(w, "Z\xc3\xbcrich\n");
    cdrest_jw_object_end(w);
}

static void test_writer_toolarge(void) {
    static const char want[] = "{\"propertyName\":\"a/b \\\"c\\\"\",\"value\":\"Z\xc3\xbcrich\\n\"}";
    char buf[80], small[10];
    cdrest_json_writer w;
    /* sizing with no buffer, then an exact one */
    cdrest_jw_init(&w, NULL, 0);
    build_body(&w);
    CHECK_INT(cdrest_jw_finish(&w), CDREST_E_TOOLARGE);
    CHECK_INT(w.len, sizeof want - 1);
    cdrest_jw_init(&w, buf, sizeof want);
    build_body(&w);
    CHECK_INT(cdrest_jw_finish(&w), 0);
    CHECK_STR(buf, want);
    /* one byte short: the NUL does not fit */
    cdrest_jw_init(&w, buf, sizeof want - 1);
    build_body(&w);
    CHECK_INT(cdrest_jw_finish(&w), CDREST_E_TOOLARGE);
    CHECK_INT(w.len, sizeof want - 1);
    CHECK_INT(buf[sizeof want - 2], 0); /* still a C string, truncated */
    /* far too short: sticky, counts on, never writes past cap (ASan would say) */
    {
        char *heap = (char *)malloc(sizeof small);
        cdrest_jw_init(&w, heap, sizeof small);
        build_body(&w);
        CHECK_INT(w.error, CDREST_E_TOOLARGE);
        CHECK_INT(cdrest_jw_finish(&w), CDREST_E_TOOLARGE);
        CHECK_INT(w.len, sizeof want - 1);
        CHECK(memcmp(heap, want, sizeof small - 1) == 0);
        free(heap);
    }
    /* a misuse after running out of room reports the misuse */
    cdrest_jw_init(&w, small, sizeof small);
    build_body(&w);
    cdrest_jw_key(&w, "x");
    CHECK_INT(cdrest_jw_finish(&w), CDREST_E_ARG);
}

/* ---- a CD answer from the fixtures ------------------------------------------------ */

static char *read_fixture(const char *name, size_t *len) {
    char path[512];
    char *buf;
    snprintf(path, sizeof path, "%s/fixtures/json/%s", test_dir(), name);
    if (!(buf = test_slurp(path, len))) {
        fprintf(stderr, "cannot read %s\n", path);
        buf = (char *)calloc(1, 1); /* an empty document: the checks fail, nothing crashes */
    }
    return buf;
}

static void test_cd_fixtures(void) {
    size_t len;
    char *text = read_fixture("property_sheet.json", &len), buf[128];
    doc d;
    int props, p, count = 0;
    int64_t id;
    double ratio;
    CHECK(doc_parse_n(&d, text, len) > 0);
    free(text);
    props = cdrest_json_find(d.js, d.t, d.n, 0, "propertySheet.property");
    CHECK_INT(d.t[props].size, 3);
    for (p = cdrest_json_first(d.t, d.n, props); p >= 0; p = cdrest_json_next(d.t, d.n, p)) count++;
    CHECK_INT(count, 3);
    CHECK_INT(cdrest_json_int64(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, props, "[0].value"), &id), 0);
    CHECK_INT(id, 4711);
    CHECK_INT(cdrest_json_string(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "propertySheet.property[1].value"), buf,
                                 sizeof buf, NULL),
              0);
    CHECK_STR(buf, "Gr\xc3\xbc\xc3\x9f"
                   "e aus Z\xc3\xbcrich \xf0\x9f\x9a\x80\n\"quoted\" C:\\tmp");
    CHECK_INT(cdrest_json_string(d.js, d.t,
                                 cdrest_json_find(d.js, d.t, d.n, 0, "propertySheet.property[1].description"), buf,
                                 sizeof buf, NULL),
              0);
    CHECK_STR(buf, "non-ASCII raw: \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e, and an escaped slash: a/b");
    CHECK(cdrest_json_eq(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "propertySheet.property[2].value"), ""));
    CHECK_INT(cdrest_json_find(d.js, d.t, d.n, 0, "propertySheet.property[2].description"), -1);
    doc_free(&d);

    text = read_fixture("job.json", &len);
    CHECK(doc_parse_n(&d, text, len) > 0);
    free(text);
    CHECK(cdrest_json_eq(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "job.outcome"), "success"));
    CHECK_INT(d.t[cdrest_json_find(d.js, d.t, d.n, 0, "job.abortStatus")].type, CDREST_JSON_NULL);
    CHECK(cdrest_json_eq(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "job.actualParameter[1].value"), "3"));
    CHECK_INT(cdrest_json_int64(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "job.stats.warnings"), &id), 0);
    CHECK_INT(id, 2);
    CHECK_INT(cdrest_json_double(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "job.stats.ratio"), &ratio), 0);
    CHECK(ratio == (double)0.8333333333333334); /* (double): x87 compares in 80 bits */
    CHECK_INT(cdrest_json_double(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "job.stats.big"), &ratio), 0);
    CHECK(ratio == (double)-1.5e300);
    CHECK_INT(cdrest_json_int64(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "job.stats.ratio"), &id), CDREST_E_JSON);
    doc_free(&d);

    text = read_fixture("error.json", &len);
    CHECK(doc_parse_n(&d, text, len) > 0);
    free(text);
    CHECK(cdrest_json_eq(d.js, d.t, cdrest_json_find(d.js, d.t, d.n, 0, "error.code"), "NoSuchProperty"));
    doc_free(&d);
}

int main(void) {
    test_tokens_shape();
    test_scalar_roots();
    test_errors();
    test_valid_strings();
    test_scan_boundaries();
    test_depth();
    test_resume();
    test_counting();
    test_skip_iterate();
    test_find();
    test_eq();
    test_string();
    test_int64();
    test_double();
    test_writer_shape();
    test_writer_strings();
    test_writer_misuse();
    test_writer_toolarge();
    test_cd_fixtures();
    return test_summary();
}
