/* SPDX-License-Identifier: MIT */
/* static_client.c - cdrest with no heap at all (CDREST_NO_MALLOC): every byte the
   client uses is a static array handed in through cdrest_config, and the trust store
   can be compiled in. What a device without malloc does; what the library promises:
   every call works inside these buffers or fails with CDREST_E_TOOLARGE saying how
   much it needed, and the client stays usable after it.

   build (plain http:// or a CA file):
       cc -std=c99 -I. -o static_client examples/static_client.c -lbearssl
   build with a compiled-in trust store (no CA file read at run time):
       build/mkanchors -o anchors.h ca.pem          (or: brssl ta ca.pem > anchors.h)
       cc -std=c99 -I. -DTRUST_ANCHORS_H='"anchors.h"' -o static_client \
          examples/static_client.c -lbearssl
   or keep the anchors in a file of their own, generated at build time:
       build/mkanchors -x -o anchors.c ca.pem
       cc -std=c99 -I. -DTRUST_ANCHORS_EXTERN -o static_client \
          examples/static_client.c anchors.c -lbearssl
   run:
       ./static_client https://cd.example.com:8443 USER PASSWORD
   (CDREST_CACERT=ca.pem: anchors from that file instead, loaded into tls_memory.)

   Sizes may be set at build time: -DRX_SIZE=... -DTX_SIZE=... -DMAX_TOKENS=...
   -DTLS_EXTRA=... (room for anchors read from a file). The library's minimums are
   1024, 4096 and 16; with those and the half-duplex TLS buffer a whole HTTPS client
   fits in about 42 KB of RAM on a 32-bit target (tools/footprint.sh measures it). */
#define CDREST_NO_MALLOC
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CDREST_NO_TLS
#if defined(TRUST_ANCHORS_H)
#include TRUST_ANCHORS_H /* TAs[] and TAs_NUM, from tools/mkanchors or `brssl ta` */
#define HAVE_ANCHORS
#elif defined(TRUST_ANCHORS_EXTERN)
extern const br_x509_trust_anchor TAs[]; /* from `mkanchors -x` */
extern const size_t TAs_NUM;
#define HAVE_ANCHORS
#endif
#endif

#ifndef RX_SIZE
#define RX_SIZE (16 * 1024) /* the largest response (head and body) it takes */
#endif
#ifndef TX_SIZE
#define TX_SIZE (8 * 1024) /* request target, head and JSON body */
#endif
#ifndef MAX_TOKENS
#define MAX_TOKENS 256 /* JSON tokens of the largest answer */
#endif
#ifndef TLS_EXTRA /* room for anchors read from CDREST_CACERT (~1 KB per CA) */
#ifdef HAVE_ANCHORS
#define TLS_EXTRA 0 /* compiled-in anchors are used in place */
#else
#define TLS_EXTRA 4096
#endif
#endif

/* All the client's memory, in .bss: nothing on the heap, little on the stack. */
static cdrest_client client;
static char rx[RX_SIZE];
static char tx[TX_SIZE];
static cdrest_json_tok tokens[MAX_TOKENS];
#ifndef CDREST_NO_TLS
static unsigned char tls_memory[CDREST_TLS_MEMORY_HALF_DUPLEX + TLS_EXTRA];
#endif
/* Values for the demonstrations: one larger than the whole send buffer, and a filler
   that fits it, eight of which do not fit the receive buffer. */
#define FILLER_SIZE (TX_SIZE / 3 < 3000 ? TX_SIZE / 3 : 3000)
static char big[TX_SIZE + 1];
static char filler[FILLER_SIZE + 1];

static int failed(const char *what) {
    fprintf(stderr, "static_client: %s failed: %s\n", what, cdrest_errmsg(&client));
    cdrest_free(&client);
    return 1;
}

/* Expect CDREST_E_TOOLARGE and say what the library said. */
static int expect_too_large(int rc, const char *what) {
    if (rc != CDREST_E_TOOLARGE) {
        fprintf(stderr, "static_client: %s: expected CDREST_E_TOOLARGE, got %d (%s)\n", what, rc,
                cdrest_errmsg(&client));
        return 0;
    }
    printf("%s: too large, as expected: %s\n", what, cdrest_errmsg(&client));
    return 1;
}

int main(int argc, char **argv) {
    cdrest_config cfg;
    cdrest_param project[] = { { "projectName", "Default" }, { NULL, NULL } };
    cdrest_param params[] = { { "greeting", "from a static client" }, { NULL, NULL } };
    cdrest_job_status job;
    cdrest_doc doc;
    char job_id[64], path[64];
    const char *value;
    size_t len, tls_bytes = 0;
    int i, rc;

    if (argc != 4) {
        fprintf(stderr, "usage: static_client SERVER_URL USER PASSWORD\n");
        return 2;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.server = argv[1];
    cfg.user = argv[2];
    cfg.password = argv[3];
    cfg.buffer = rx;
    cfg.buffer_size = sizeof rx;
    cfg.send_buffer = tx;
    cfg.send_buffer_size = sizeof tx;
    cfg.tokens = tokens;
    cfg.max_tokens = MAX_TOKENS;
#ifndef CDREST_NO_TLS
    cfg.tls_memory = tls_memory;
    cfg.tls_memory_size = sizeof tls_memory;
    cfg.tls.half_duplex = 1; /* one 16.7 KB record buffer instead of two */
    tls_bytes = sizeof tls_memory;
#ifdef HAVE_ANCHORS
    cfg.tls.trust_anchors = TAs; /* used in place, never copied */
    cfg.tls.trust_anchors_count = TAs_NUM;
#endif
    cfg.tls.ca_file = getenv("CDREST_CACERT"); /* NULL: the compiled-in anchors (or the system's) */
#endif
    if (cdrest_init(&client, &cfg) != 0) return failed("setup");
    printf("RAM: client %lu + receive %lu + send %lu + tokens %lu + TLS %lu = %lu bytes, no heap\n",
           (unsigned long)sizeof client, (unsigned long)sizeof rx, (unsigned long)sizeof tx,
           (unsigned long)sizeof tokens, (unsigned long)tls_bytes,
           (unsigned long)(sizeof client + sizeof rx + sizeof tx + sizeof tokens + tls_bytes));

    if (cdrest_login(&client) != 0) return failed("login");
    printf("logged in as %s\n", argv[2]);

    if (cdrest_set_property(&client, "static/greeting", "Hello from static memory", project, NULL) != 0)
        return failed("setProperty");
    if (cdrest_get_property_value(&client, "static/greeting", project, &value, &len) != 0) return failed("getProperty");
    printf("static/greeting = %s\n", value);

    /* A request that cannot fit: refused before a byte is sent. */
    memset(big, 'x', sizeof big - 1);
    if (!expect_too_large(cdrest_set_property(&client, "static/big", big, project, NULL),
                          "send a value larger than TX_SIZE"))
        return failed("the send-side limit");

    /* A response that cannot fit: eight properties fit one by one, the sheet listing
       them all does not fit the receive buffer. */
    memset(filler, 'y', sizeof filler - 1);
    for (i = 0; i < 8; i++) {
        snprintf(path, sizeof path, "static/sheet/p%d", i);
        if (cdrest_set_property(&client, path, filler, project, NULL) != 0) return failed("setProperty (filler)");
    }
    rc = cdrest_get_properties(&client, "static/sheet", project, &doc);
    if (RX_SIZE < 8 * FILLER_SIZE && !expect_too_large(rc, "list a sheet larger than RX_SIZE"))
        return failed("the receive-side limit");

    /* ... and the client goes on: the next call reconnects as needed. */
    if (cdrest_get_property_value(&client, "static/sheet/p7", project, &value, &len) != 0)
        return failed("getProperty after a too-large answer");
    printf("static/sheet/p7 holds %lu bytes: the client goes on after a too-large answer\n", (unsigned long)len);

    if (cdrest_run_procedure(&client, "Default", "runme", params, job_id, sizeof job_id) != 0)
        return failed("runProcedure");
    printf("job %s started\n", job_id);
    if (cdrest_wait_for_job(&client, job_id, 200, 60000, NULL, NULL, &job) != 0) return failed("waitForJob");
    printf("job %s: %s, outcome %s\n", job_id, job.status, job.outcome);

    if (cdrest_logout(&client) != 0) return failed("logout");
    cdrest_free(&client);
    printf("done: no allocation by cdrest\n");
    return strcmp(job.outcome, "success") == 0 ? 0 : 1;
}
