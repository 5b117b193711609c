/* SPDX-License-Identifier: MIT */
/* jsoncheck - the JSON conformance and throughput program.

     jsoncheck [-v] FILE       exit 0 if FILE is valid JSON, 1 if not (-v says why, where)
     jsoncheck --bench N FILE  tokenize FILE N times in-process; prints "json_bench_mbps X"

   Checking does more than one parse, so that every corpus file also exercises the rest
   of the tokenizer's contract: counting mode and filling mode must agree (same count,
   or same error and offset), filling starts with a one-token array and grows it through
   CDREST_E_JSON_TOKENS resumes, and the helpers walk every token. A disagreement is an
   internal error: exit 3. Usage or I/O errors: exit 2. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The whole file in memory (no NUL added: the tokenizer must not need one). */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) return NULL;
    for (;;) {
        size_t got;
        if (n == cap) {
            char *bigger = (char *)realloc(buf, cap ? cap * 2 : 65536);
            if (!bigger) break;
            buf = bigger;
            cap = cap ? cap * 2 : 65536;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int internal_error(const char *what) {
    fprintf(stderr, "jsoncheck: internal inconsistency: %s\n", what);
    return 3;
}

/* Parse with a growing token array, resuming after each CDREST_E_JSON_TOKENS. */
static int parse_growing(cdrest_json_parser *p, const char *js, size_t len, cdrest_json_tok **toks, int *cap) {
    int rc;
    cdrest_json_init(p);
    for (;;) {
        rc = cdrest_json_parse(p, js, len, *toks, *cap);
        if (rc != CDREST_E_JSON_TOKENS) return rc;
        {
            int bigger = *cap * 2 + 1;
            cdrest_json_tok *t = (cdrest_json_tok *)realloc(*toks, (size_t)bigger * sizeof **toks);
            if (!t) return CDREST_E_NOMEM;
            *toks = t;
            *cap = bigger;
        }
    }
}

/* Walks every token with the helpers: the structure must add up. */
static int walk_tokens(const char *js, size_t len, const cdrest_json_tok *t, int n) {
    char small[4], *big = (char *)malloc(len + 1);
    int i, bad = 0;
    if (!big) return 2;
    if (cdrest_json_skip(t, n, 0) != n) bad = internal_error("skip(root) != token count");
    for (i = 0; i < n && !bad; i++) {
        size_t need = 0, got = 0;
        int64_t iv;
        double dv;
        int c, count = 0;
        if (t[i].parent >= i || t[i].end < t[i].start) bad = internal_error("token span or parent");
        if ((cdrest_json_string(js, t, i, small, sizeof small, &need) == CDREST_E_JSON) !=
            (t[i].type != CDREST_JSON_STRING))
            bad = internal_error("unescape of a validated string failed, or a non-string was taken as text");
        if ((cdrest_json_string(js, t, i, big, len + 1, &got) != 0) != (t[i].type != CDREST_JSON_STRING) || got != need)
            bad = internal_error("unescape length differs between short and long buffer");
        if (t[i].type == CDREST_JSON_STRING && !cdrest_json_eq(js, t, i, big) && !memchr(big, 0, got))
            bad = internal_error("a string is not equal to its own unescaped text");
        if (t[i].type == CDREST_JSON_NUMBER) {
            (void)cdrest_json_int64(js, t, i, &iv);
            (void)cdrest_json_double(js, t, i, &dv);
        }
        for (c = cdrest_json_first(t, n, i); c >= 0; c = cdrest_json_next(t, n, c)) count++;
        if ((t[i].type == CDREST_JSON_OBJECT || t[i].type == CDREST_JSON_ARRAY) && count != t[i].size)
            bad = internal_error("iteration count != size");
    }
    free(big);
    return bad;
}

static int check(const char *path, int verbose) {
    size_t len = 0;
    char *js = read_file(path, &len);
    cdrest_json_parser counter, filler;
    cdrest_json_tok *toks = NULL;
    int cap = 1, n, m, rc = 0;
    if (!js) {
        fprintf(stderr, "jsoncheck: cannot read %s\n", path);
        return 2;
    }
    toks = (cdrest_json_tok *)malloc(sizeof *toks);
    cdrest_json_init(&counter);
    n = cdrest_json_parse(&counter, js, len, NULL, 0);
    m = toks ? parse_growing(&filler, js, len, &toks, &cap) : CDREST_E_NOMEM;
    if (m == CDREST_E_NOMEM)
        rc = 2;
    else if (n != m)
        rc = internal_error("counting and filling disagree");
    else if (n < 0 && (counter.error != filler.error || counter.error_pos != filler.error_pos))
        rc = internal_error("counting and filling report different errors");
    else if (n > 0)
        rc = walk_tokens(js, len, toks, n);
    else
        rc = 1;
    if (verbose && n > 0) printf("valid: %d tokens\n", n);
    if (verbose && n < 0)
        printf("invalid: %s (error %d) at offset %lu\n", cdrest_json_errstr(counter.error), counter.error,
               (unsigned long)counter.error_pos);
    free(toks);
    free(js);
    return rc;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Size the array once (counting), then time `rounds` full tokenizations into it. */
static int bench(const char *path, long rounds) {
    size_t len = 0;
    char *js = read_file(path, &len);
    cdrest_json_parser p;
    cdrest_json_tok *toks;
    int n;
    long r;
    double t0, secs;
    if (!js || rounds < 1) return 2;
    cdrest_json_init(&p);
    n = cdrest_json_parse(&p, js, len, NULL, 0);
    if (n <= 0) {
        fprintf(stderr, "jsoncheck: %s is not valid JSON: %s at %lu\n", path, cdrest_json_errstr(p.error),
                (unsigned long)p.error_pos);
        return 1;
    }
    toks = (cdrest_json_tok *)malloc((size_t)n * sizeof *toks);
    if (!toks) return 2;
    t0 = now_seconds();
    for (r = 0; r < rounds; r++) {
        cdrest_json_init(&p);
        if (cdrest_json_parse(&p, js, len, toks, n) != n) return internal_error("bench parse");
    }
    secs = now_seconds() - t0;
    printf("json_bench_mbps %.1f\n", (double)len * (double)rounds / secs / 1e6);
    free(toks);
    free(js);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--bench") == 0) return bench(argv[3], atol(argv[2]));
    if (argc == 3 && strcmp(argv[1], "-v") == 0) return check(argv[2], 1);
    if (argc == 2 && argv[1][0] != '-') return check(argv[1], 0);
    fprintf(stderr, "usage: jsoncheck [-v] FILE | jsoncheck --bench N FILE\n");
    return 2;
}
