/* SPDX-License-Identifier: MIT */
/* libFuzzer differential target for cdrest's 64-bit X25519 (the br_ec_impl the TLS engine
   gets, cdrest__x25519_ec) against BearSSL's own br_ec_c25519_m31 (code we did not write).
   Input: [mode][32-byte point u][scalar...]. mode's low 2 bits pick the point length
   (32, or 31 / 33 / 0: refused), the rest of the input is the scalar (any length: over
   32 bytes is refused). It aborts when, for mul and for mulgen, the return values differ
   or any byte of the output buffer differs (on failure the buffer must be left as it was,
   as BearSSL leaves it). */
#define CDREST_IMPLEMENTATION
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
#ifdef CDREST__FAST_PK
    static const size_t glens[4] = { 32, 31, 33, 0 };
    unsigned char ours[40], theirs[40];
    const unsigned char *x;
    size_t glen, xlen, n;
    if (size < 1) return 0;
    glen = glens[data[0] & 3];
    memset(ours, 0xA5, sizeof ours);
    n = size - 1 < 32 ? size - 1 : 32;
    memcpy(ours, data + 1, n);
    x = data + 1 + n;
    xlen = size - 1 - n;
    memcpy(theirs, ours, sizeof ours);
    REQUIRE(cdrest__x25519_ec.mul(ours, glen, x, xlen, BR_EC_curve25519) ==
            br_ec_c25519_m31.mul(theirs, glen, x, xlen, BR_EC_curve25519));
    REQUIRE(memcmp(ours, theirs, sizeof ours) == 0);
    if (data[0] & 4) {
        memset(ours, 0x5A, sizeof ours);
        memcpy(theirs, ours, sizeof ours);
        REQUIRE(cdrest__x25519_ec.mulgen(ours, x, xlen, BR_EC_curve25519) ==
                br_ec_c25519_m31.mulgen(theirs, x, xlen, BR_EC_curve25519));
        REQUIRE(memcmp(ours, theirs, sizeof ours) == 0);
    }
#else
    (void)data;
    (void)size;
#endif
    return 0;
}
