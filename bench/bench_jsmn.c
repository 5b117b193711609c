/* SPDX-License-Identifier: MIT */
/* bench_jsmn - the jsmn peer of `jsoncheck --bench`, same interface and output:

     bench_jsmn --bench N FILE     prints "json_bench_mbps X"

   Built from Debian's libjsmn-dev (/usr/include/jsmn.h) with -O2 -DJSMN_STRICT and
   with or without -DJSMN_PARENT_LINKS. Like jsoncheck it reads FILE once, sizes the
   token array once (jsmn's counting mode), then times N tokenizations. */
#define _POSIX_C_SOURCE 200809L
#include <jsmn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    size_t len = 0;
    char *js;
    jsmn_parser p;
    jsmntok_t *toks;
    long rounds, r;
    int n;
    double t0, secs;
    if (argc != 4 || strcmp(argv[1], "--bench") != 0 || (rounds = atol(argv[2])) < 1) {
        fprintf(stderr, "usage: bench_jsmn --bench N FILE\n");
        return 2;
    }
    js = read_file(argv[3], &len);
    if (!js) return 2;
    jsmn_init(&p);
    n = jsmn_parse(&p, js, len, NULL, 0);
    if (n <= 0) {
        fprintf(stderr, "bench_jsmn: jsmn rejects %s (%d)\n", argv[3], n);
        return 1;
    }
    toks = malloc((size_t)n * sizeof *toks);
    if (!toks) return 2;
    t0 = now_seconds();
    for (r = 0; r < rounds; r++) {
        jsmn_init(&p);
        if (jsmn_parse(&p, js, len, toks, (unsigned)n) != n) {
            fprintf(stderr, "bench_jsmn: parse failed\n");
            return 1;
        }
    }
    secs = now_seconds() - t0;
    printf("json_bench_mbps %.1f\n", (double)len * (double)rounds / secs / 1e6);
    free(toks);
    free(js);
    return 0;
}
