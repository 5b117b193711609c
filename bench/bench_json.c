/* SPDX-License-Identifier: MIT */
/* bench_json - runs JSON tokenizer benchmark programs A and B alternately (A B A B ...)
   and prints per-program medians with min-max and the median of the pairwise ratios.

     bench_json ROUNDS FILE  NAME_A N_A PROG_A  NAME_B N_B PROG_B

   Each run is `PROG --bench N FILE`, which must print one line "json_bench_mbps X".
   Alternating in one run cancels most of the drift between passes that these machines
   show. Pin the whole thing (taskset -c 0 bench_json
   ...): the children inherit the CPU. The last line is "ratio NAME_A/NAME_B X". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 64

/* One run of `prog --bench n file`; returns MB/s or -1. */
static double run_once(const char *prog, const char *n, const char *file) {
    char cmd[4096], line[256];
    double mbps = -1;
    FILE *out;
    snprintf(cmd, sizeof cmd, "'%s' --bench '%s' '%s'", prog, n, file);
    out = popen(cmd, "r");
    if (!out) return -1;
    while (fgets(line, sizeof line, out))
        if (sscanf(line, "json_bench_mbps %lf", &mbps) == 1) break;
    while (fgets(line, sizeof line, out)) {}
    if (pclose(out) != 0) return -1;
    return mbps;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n) {
    double s[MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_summary(const char *name, const double *v, int n) {
    double lo = v[0], hi = v[0];
    int i;
    for (i = 1; i < n; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
    }
    printf("  %-28s median %8.1f MB/s   (min %.1f, max %.1f)\n", name, median(v, n), lo, hi);
}

int main(int argc, char **argv) {
    double a[MAX_ROUNDS], b[MAX_ROUNDS], ratio[MAX_ROUNDS];
    int rounds, i;
    if (argc != 9 || (rounds = atoi(argv[1])) < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: bench_json ROUNDS FILE NAME_A N_A PROG_A NAME_B N_B PROG_B\n");
        return 2;
    }
    for (i = 0; i < rounds; i++) {
        a[i] = run_once(argv[5], argv[4], argv[2]);
        b[i] = run_once(argv[8], argv[7], argv[2]);
        if (a[i] <= 0 || b[i] <= 0) {
            fprintf(stderr, "bench_json: a run failed (%s or %s)\n", argv[5], argv[8]);
            return 1;
        }
        ratio[i] = a[i] / b[i];
    }
    print_summary(argv[3], a, rounds);
    print_summary(argv[6], b, rounds);
    printf("  pairwise %s/%s:", argv[3], argv[6]);
    for (i = 0; i < rounds; i++) printf(" %.2f", ratio[i]);
    printf("\nratio %s/%s %.2f\n", argv[3], argv[6], median(ratio, rounds));
    return 0;
}
