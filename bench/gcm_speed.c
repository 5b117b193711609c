/* SPDX-License-Identifier: MIT */
/* bench/gcm_speed.c - how fast the installed BearSSL decrypts AES-128-GCM records, with the
   implementations cdrest's TLS engine takes on this machine (AES-NI CTR and PCLMUL GHASH
   where the CPU has them, else the portable ones).
     gcm_speed SECONDS        decrypts 16 KiB records (the TLS maximum) for about SECONDS
   Prints one line: "ok n=RECORDS secs=S bytes=B impl=NAME". `make bench` runs it beside
   `openssl speed -evp aes-128-gcm -decrypt` on the same CPU: the two figures say how much of
   the 1 MiB HTTPS row is the cipher code of each TLS library rather than the client. */
#define _POSIX_C_SOURCE 200809L
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECORD 16384

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    static unsigned char buf[RECORD];
    const br_block_ctr_class *ctr = br_aes_x86ni_ctr_get_vtable();
    br_ghash ghash = br_ghash_pclmul_get();
    const char *impl = "aes_x86ni_ctr+ghash_pclmul";
    br_aes_x86ni_ctr_keys aes_ni;
    br_aes_ct_ctr_keys aes_ct;
    const br_block_ctr_class **keys;
    br_gcm_context gcm;
    unsigned char key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    unsigned char iv[12] = { 0 }, tag[16], aad[13] = { 0 };
    double secs = argc > 1 ? atof(argv[1]) : 1.0, t0, t = 0;
    unsigned long n = 0;

    if (ctr == NULL || ghash == 0) { /* no AES-NI / PCLMUL: what the engine falls back to */
        ctr = &br_aes_ct_ctr_vtable;
        ghash = br_ghash_ctmul64;
        impl = "aes_ct_ctr+ghash_ctmul64";
    }
    keys = ctr == &br_aes_ct_ctr_vtable ? &aes_ct.vtable : &aes_ni.vtable;
    ctr->init(keys, key, sizeof key);
    br_gcm_init(&gcm, keys, ghash);
    memset(buf, 0xA5, sizeof buf);
    t0 = now_s();
    do { /* what one TLS record costs: reset, header as AAD, decrypt and check the tag */
        for (int i = 0; i < 64; i++, n++) {
            memcpy(iv + 4, &n, sizeof n < 8 ? sizeof n : 8);
            br_gcm_reset(&gcm, iv, sizeof iv);
            br_gcm_aad_inject(&gcm, aad, sizeof aad);
            br_gcm_flip(&gcm);
            br_gcm_run(&gcm, 0, buf, sizeof buf);
            br_gcm_get_tag(&gcm, tag);
        }
        t = now_s() - t0;
    } while (t < secs);
    printf("ok n=%lu secs=%f bytes=%lu impl=%s tag0=%u\n", n, t, n * (unsigned long)RECORD, impl, tag[0]);
    return 0;
}
