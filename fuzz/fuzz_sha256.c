/* SPDX-License-Identifier: MIT */
/* libFuzzer differential target for cdrest's SHA-256 (cdrest__sha256_vtable on the SHA
   extensions where this CPU has them, and the same code on the portable compression,
   cdrest__sha256_soft_vtable) and its TLS 1.2 PRF, against BearSSL's br_sha256 and
   br_tls12_sha256_prf (code we did not write).
   Input: [seed][message...]. The seed byte drives a small generator that cuts the
   message into pieces (0..255 bytes, or the rest); after each piece state() and out()
   must equal BearSSL's; at the first block boundary past the middle the state moves
   into a BearSSL context and on from there (as the engine's multihash moves it). Seed
   bit 7: also the PRF with the message's first half as the secret, the rest as the seed,
   a label of the seed's low bits, and an output length of the message length mod 201;
   not a byte may differ, nor be written past the length. */
#define CDREST_IMPLEMENTATION
#include "fuzz.h"

#ifdef CDREST__SHA_NI
static void diff_hash(const br_hash_class *vt, const uint8_t *msg, size_t len, uint32_t rng) {
    br_sha256_context ours, theirs, moved;
    unsigned char a[32], b[32];
    size_t at = 0, piece;
    int was_moved = 0;
    vt->init(&ours.vtable);
    br_sha256_init(&theirs);
    while (at < len) {
        rng = rng * 1103515245u + 12345u;
        piece = (rng >> 16) & 1 ? (rng >> 17) & 255 : len - at;
        if (piece > len - at) piece = len - at;
        vt->update(&ours.vtable, msg + at, piece);
        br_sha256_update(&theirs, msg + at, piece);
        at += piece;
        REQUIRE(vt->state(&ours.vtable, a) == br_sha256_state(&theirs, b));
        REQUIRE(memcmp(a, b, 32) == 0);
        vt->out(&ours.vtable, a);
        br_sha256_out(&theirs, b);
        REQUIRE(memcmp(a, b, 32) == 0);
        if (!was_moved && at >= len / 2 && at % 64 == 0) { /* ours to BearSSL's, BearSSL's to ours */
            uint64_t n = vt->state(&ours.vtable, a);
            br_sha256_init(&moved);
            br_sha256_set_state(&moved, a, n);
            br_sha256_state(&theirs, b);
            vt->set_state(&ours.vtable, b, n);
            theirs = moved;
            was_moved = 1;
        }
    }
    vt->out(&ours.vtable, a);
    br_sha256_out(&theirs, b);
    REQUIRE(memcmp(a, b, 32) == 0);
}

static void diff_prf(const br_hash_class *vt, const uint8_t *msg, size_t len, unsigned seed) {
    static const char *const labels[4] = { "", "master secret", "key expansion", "client finished" };
    unsigned char a[232], b[232];
    br_tls_prf_seed_chunk chunk[2];
    size_t half = len / 2, out_len = len % 201;
    chunk[0].data = msg + half, chunk[0].len = (len - half) / 2;
    chunk[1].data = msg + half + chunk[0].len, chunk[1].len = len - half - chunk[0].len;
    memset(a, 0xA5, sizeof a);
    memset(b, 0xA5, sizeof b);
    cdrest__prf_sha256_with(vt, a, out_len, msg, half, labels[seed & 3], 2, chunk);
    br_tls12_sha256_prf(b, out_len, msg, half, labels[seed & 3], 2, chunk);
    REQUIRE(memcmp(a, b, sizeof a) == 0);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
#ifdef CDREST__SHA_NI
    const br_hash_class *vts[2] = { &cdrest__sha256_soft_vtable, &cdrest__sha256_vtable };
    int i, n = cdrest__cpu_has_sha_ni() ? 2 : 1;
    if (size < 1) return 0;
    for (i = 0; i < n; i++) {
        diff_hash(vts[i], data + 1, size - 1, data[0]);
        if (data[0] & 0x80) diff_prf(vts[i], data + 1, size - 1, data[0]);
    }
#else
    (void)data;
    (void)size;
#endif
    return 0;
}
