/* SPDX-License-Identifier: MIT */
/* What the libFuzzer harnesses share. Include it after `#define CDREST_IMPLEMENTATION`:
   it brings in cdrest.h and the C headers every harness uses, and gives
   - REQUIRE(cond): a broken promise aborts, naming the file, line and condition (a
     sanitizer-free abort() is what libFuzzer records as a crash);
   - the scripted feed transport: a server that answers every connection with the bytes
     in a feed. Set d and n; rng 0 hands the reader as much as it asks for, otherwise
     pieces of 1..97 bytes from that seed (so framing is exercised across reads); rearms
     is how many more times the answer is served again to a request written after it was
     read whole (a retry, a re-login), never two answers at once. */
#ifndef CDREST_FUZZ_H
#define CDREST_FUZZ_H

#include "cdrest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                  \
    do {                                                               \
        if (!(cond)) {                                                 \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                   \
        }                                                              \
    } while (0)

typedef struct feed {
    const uint8_t *d;
    size_t n, pos;
    uint32_t rng; /* 0: as much as the reader asks for */
    int rearms;   /* times the answer may still be served again */
    int64_t clock;
    size_t sent; /* request bytes written */
} feed;

static int feed_connect(void *self, const char *h, unsigned short p, int t, cdrest_error *e) {
    (void)self;
    (void)h;
    (void)p;
    (void)t;
    (void)e;
    return 0;
}
static long feed_read(void *self, void *buf, size_t len, int t, cdrest_error *e) {
    feed *f = (feed *)self;
    size_t k = f->n - f->pos;
    (void)t;
    (void)e;
    if (f->rng) {
        size_t step;
        f->rng = f->rng * 1103515245u + 12345u;
        step = 1 + (f->rng >> 16) % 97;
        if (k > step) k = step;
    }
    if (k > len) k = len;
    memcpy(buf, f->d + f->pos, k);
    f->pos += k;
    return (long)k;
}
static long feed_write(void *self, const void *buf, size_t len, int t, cdrest_error *e) {
    feed *f = (feed *)self;
    (void)buf;
    (void)t;
    (void)e;
    f->sent += len;
    if (f->pos == f->n && f->rearms > 0) {
        f->pos = 0;
        f->rearms--;
    }
    return (long)len;
}
static void feed_close(void *self) {
    (void)self;
}
static int64_t feed_now(void *self) {
    return ++((feed *)self)->clock;
}
static const cdrest_transport feed_transport = {
    feed_connect, feed_read, feed_write, feed_close, NULL, feed_now, NULL
};

#endif
