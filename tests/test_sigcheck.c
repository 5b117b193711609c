/* The fast 64-bit signature checks: ECDSA P-256 and RSA PKCS#1 v1.5, against
   BearSSL's own implementations (br_ec_p256_m31's muladd, br_ecdsa_i31_vrfy_asn1,
   br_rsa_i31_public, br_rsa_i31_pkcs1_vrfy) on signatures `openssl` makes here and on every
   damaged form of them: identical verdicts, identical points, identical hash_out. The
   random inputs come from a seed printed at the start (SIGCHECK_SEED=n repeats a run).
   Builds without 128-bit integers, without TLS or with CDREST_NO_FAST_PK have nothing to
   check. */
#include "test.h"
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

#include <sys/stat.h>
#include <time.h>

#ifdef CDREST__FAST_PK
static uint64_t rng;
static int slow; /* under valgrind: samples instead of every case */
static char dir[256];

static uint64_t rnd(void) { /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Du;
}

static void rnd_bytes(unsigned char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) b[i] = (unsigned char)(rnd() >> 56);
}

static void rnd_scalar(uint64_t k[4]) {
    do {
        int i;
        for (i = 0; i < 4; i++) k[i] = rnd();
    } while (cdrest__w4_cmp(k, cdrest__p256_n) >= 0);
}

static const char *path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static int run(const char *fmt, const char *a, const char *b) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return system(cmd) == 0;
}

/* The file dir/name into buf; 0 (said on stderr) when it cannot be read or is larger than
   cap: a cut-off key or signature would be tested as if it were whole. */
static size_t read_all(const char *name, unsigned char *buf, size_t cap) {
    size_t n;
    char *data = test_slurp(path(name), &n);
    if (!data || n > cap) {
        fprintf(stderr, "%s: %s\n", path(name), data ? "larger than the buffer" : "cannot be read");
        n = 0;
    } else
        memcpy(buf, data, n);
    free(data);
    return n;
}

/* ---- the point arithmetic: u1 G + u2 Q against br_ec_p256_m31's muladd ---------------- */

static uint32_t bear_muladd(unsigned char out[65], const unsigned char q[65], const uint64_t u1[4],
                            const uint64_t u2[4]) {
    unsigned char x[32], y[32];
    memcpy(out, q, 65);
    cdrest__w4_encode(x, u2);
    cdrest__w4_encode(y, u1);
    return br_ec_p256_m31.muladd(out, NULL, 65, x, 32, y, 32, BR_EC_secp256r1);
}

static uint32_t our_muladd(unsigned char out[65], const unsigned char q[65], const uint64_t u1[4],
                           const uint64_t u2[4]) {
    cdrest__p256_pt pq;
    memset(out, 0, 65);
    if (!cdrest__p256_decode(&pq, q, 65)) return 0;
    out[0] = 0x04;
    return (uint32_t)cdrest__p256_muladd(out + 1, u1, &pq, u2);
}

/* Same return; same point when there is one. */
static int same_muladd(const unsigned char q[65], const uint64_t u1[4], const uint64_t u2[4]) {
    unsigned char a[65], b[65];
    uint32_t ra = bear_muladd(a, q, u1, u2), rb = our_muladd(b, q, u1, u2);
    if (ra != rb) return 0;
    return !ra || memcmp(a, b, 65) == 0;
}

/* A zero multiplier, where BearSSL documents its muladd as indeterminate (m31 returns a
   wrong point): ours must give the other product alone, as BearSSL's mul / mulgen do. */
static int single_product(const unsigned char q[65], const uint64_t u1[4], const uint64_t u2[4]) {
    unsigned char a[65], b[65], kb[32];
    uint32_t ra;
    if (cdrest__w4_is_zero(u1)) {
        memcpy(a, q, 65);
        cdrest__w4_encode(kb, u2);
        ra = br_ec_p256_m31.mul(a, 65, kb, 32, BR_EC_secp256r1);
    } else {
        cdrest__w4_encode(kb, u1);
        ra = br_ec_p256_m31.mulgen(a, kb, 32, BR_EC_secp256r1) == 65;
    }
    return ra && our_muladd(b, q, u1, u2) == 1 && memcmp(a, b, 65) == 0;
}

static void point_of(unsigned char q[65], const uint64_t k[4]) {
    unsigned char kb[32];
    cdrest__w4_encode(kb, k);
    CHECK_INT(br_ec_p256_m31.mulgen(q, kb, 32, BR_EC_secp256r1), 65);
}

/* (a * b) mod n, plain values, through Montgomery: (a R)(b) / R. */
static void mul_n(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t am[4];
    cdrest__w4_montmul(am, a, cdrest__p256_r2n, cdrest__p256_n, CDREST__P256_N0I);
    cdrest__w4_montmul(r, am, b, cdrest__p256_n, CDREST__P256_N0I);
}

static void neg_n(uint64_t r[4], const uint64_t a[4]) {
    if (cdrest__w4_is_zero(a))
        memset(r, 0, 32);
    else
        cdrest__w4_sub(r, cdrest__p256_n, a);
}

static void test_constants(void) {
    size_t len = 0;
    const unsigned char *g = br_ec_p256_m31.generator(BR_EC_secp256r1, &len);
    const unsigned char *order = br_ec_p256_m31.order(BR_EC_secp256r1, &len);
    unsigned char gb[65], nb[32];
    static const uint64_t one[4] = { 1, 0, 0, 0 }, zero[4] = { 0, 0, 0, 0 };
    cdrest__p256_pt pg;
    uint64_t t[4];
    cdrest__w4_encode(nb, cdrest__p256_n);
    CHECK(memcmp(order, nb, 32) == 0);
    /* our G (Montgomery form) is BearSSL's generator, and 1 G + 0 Q is it too */
    gb[0] = 4;
    cdrest__p256_fmul(t, cdrest__p256_gx, one);
    cdrest__w4_encode(gb + 1, t);
    cdrest__p256_fmul(t, cdrest__p256_gy, one);
    cdrest__w4_encode(gb + 33, t);
    CHECK(memcmp(g, gb, 65) == 0);
    CHECK(cdrest__p256_decode(&pg, g, 65));
    CHECK(our_muladd(gb, g, one, zero) == 0 || memcmp(gb, g, 65) == 0);
    CHECK(our_muladd(gb, g, zero, one) && memcmp(gb, g, 65) == 0);
}

/* 1/a mod p and mod n (binary Euclid) against the product: a (1/a) = 1; 1, m - 1, random
   values, and 0 (no inverse: 0 back, no hang). */
static void test_inverse(void) {
    static const uint64_t one[4] = { 1, 0, 0, 0 };
    const uint64_t *mods[2];
    uint64_t a[4], ia[4], t[4];
    int i, k, fails = 0;
    mods[0] = cdrest__p256_p, mods[1] = cdrest__p256_n;
    for (k = 0; k < 2; k++) {
        const uint64_t *m = mods[k];
        uint64_t m0i = k ? CDREST__P256_N0I : CDREST__P256_P0I;
        const uint64_t *r2 = k ? cdrest__p256_r2n : cdrest__p256_r2p;
        for (i = 0; i < 200; i++) {
            int j;
            for (j = 0; j < 4; j++) a[j] = rnd();
            if (i == 0) memcpy(a, one, sizeof a);
            if (i == 1) cdrest__w4_sub(a, m, one);
            if (i == 2) memset(a, 0, sizeof a), a[3] = 1; /* 2^192 */
            if (cdrest__w4_cmp(a, m) >= 0 || cdrest__w4_is_zero(a)) continue;
            cdrest__w4_inv(ia, a, m);
            cdrest__w4_montmul(t, a, r2, m, m0i); /* a R */
            cdrest__w4_montmul(t, t, ia, m, m0i); /* a (1/a) */
            fails += !cdrest__w4_is_one(t);
        }
        memset(a, 0, sizeof a);
        cdrest__w4_inv(ia, a, m);
        CHECK(cdrest__w4_is_zero(ia));
    }
    CHECK_INT(fails, 0);
}

static void test_muladd(void) {
    int i, rounds = slow ? 6 : 200, fails = 0;
    uint64_t k[4], u1[4], u2[4], t[4], nm1[4];
    static const uint64_t one[4] = { 1, 0, 0, 0 }, zero[4] = { 0, 0, 0, 0 };
    unsigned char q[65], g[65], mg[65], bad[65];
    memcpy(nm1, cdrest__p256_n, sizeof nm1);
    nm1[0] -= 1;
    point_of(g, one);
    point_of(mg, nm1); /* -G */
    for (i = 0; i < rounds; i++) {
        rnd_scalar(k);
        rnd_scalar(u1);
        rnd_scalar(u2);
        point_of(q, k);
        fails += !same_muladd(q, u1, u2);
        /* small and large scalars, and the sums that are the point at infinity */
        fails += !same_muladd(q, nm1, u2);
        fails += !same_muladd(q, u1, nm1);
        fails += !same_muladd(q, one, one);
        mul_n(t, k, u2);
        neg_n(t, t); /* u1 = -k u2: u1 G + u2 (k G) = O */
        fails += !same_muladd(q, t, u2);
        neg_n(t, t); /* u1 = k u2: u1 G = u2 Q, the doubling case */
        fails += !same_muladd(q, t, u2);
        fails += !same_muladd(g, u1, u1);  /* Q = G, u1 = u2: doubling */
        fails += !same_muladd(mg, u1, u1); /* Q = -G: O */
        fails += !same_muladd(g, u1, u2);
        fails += !same_muladd(mg, u1, u2);
        fails += !single_product(q, zero, u2); /* u = 0: BearSSL's muladd is indeterminate there */
        fails += !single_product(q, u1, zero);
        /* keys that are not points of the curve: both refuse */
        memcpy(bad, q, 65);
        bad[1 + (rnd() % 64)] ^= (unsigned char)(1u << (rnd() % 8));
        fails += !same_muladd(bad, u1, u2);
    }
    CHECK_INT(our_muladd(q, g, zero, zero), 0);
    CHECK_INT(fails, 0);
    /* coordinates >= p, other prefixes, the encoded point at infinity */
    memcpy(bad, g, 65);
    memset(bad + 1, 0xFF, 32);
    rnd_scalar(u1);
    rnd_scalar(u2);
    CHECK(!our_muladd(bad + 0, bad, u1, u2) && !bear_muladd(q, bad, u1, u2));
    memcpy(bad, g, 65);
    {
        unsigned char pb[32];
        cdrest__w4_encode(pb, cdrest__p256_p);
        memcpy(bad + 33, pb, 32); /* y = p */
    }
    CHECK(!our_muladd(q, bad, u1, u2));
    CHECK(!bear_muladd(q, bad, u1, u2));
    memcpy(bad, g, 65);
    bad[0] = 0x02;
    CHECK(!our_muladd(q, bad, u1, u2) && !bear_muladd(q, bad, u1, u2));
    memset(bad, 0, 65);
    CHECK(!our_muladd(q, bad, u1, u2) && !bear_muladd(q, bad, u1, u2));
    bad[0] = 4;
    CHECK(!our_muladd(q, bad, u1, u2) && !bear_muladd(q, bad, u1, u2));
}

/* ---- ECDSA: signatures by openssl, and every damaged form of them ------------------------ */

typedef struct {
    const char *name;
    const br_hash_class *hc;
    const unsigned char *oid;
} hash_kind;

static const hash_kind hashes[] = { { "sha256", &br_sha256_vtable, BR_HASH_OID_SHA256 },
                                    { "sha384", &br_sha384_vtable, BR_HASH_OID_SHA384 },
                                    { "sha512", &br_sha512_vtable, BR_HASH_OID_SHA512 } };

static size_t hash_of(const br_hash_class *hc, const unsigned char *msg, size_t len, unsigned char *out) {
    br_hash_compat_context ctx;
    hc->init(&ctx.vtable);
    hc->update(&ctx.vtable, msg, len);
    hc->out(&ctx.vtable, out);
    return (hc->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
}

static unsigned char msg[1000];

static int ec_key(const char *name, unsigned char q[65]) {
    char pem[64], der[64];
    unsigned char buf[200];
    size_t n;
    snprintf(pem, sizeof pem, "%s.pem", name);
    snprintf(der, sizeof der, "%s.der", name);
    if (!CHECK(run("openssl ecparam -name prime256v1 -genkey -noout -out '%s' 2>/dev/null", path(pem), ""))) return 0;
    {
        char p2[512];
        snprintf(p2, sizeof p2, "%s", path(pem));
        if (!CHECK(run("openssl ec -in '%s' -pubout -outform DER -out '%s' 2>/dev/null", p2, path(der)))) return 0;
    }
    n = read_all(der, buf, sizeof buf);
    if (!CHECK(n == 91)) return 0; /* SubjectPublicKeyInfo of P-256: 26 bytes, then the point */
    memcpy(q, buf + n - 65, 65);
    return CHECK(q[0] == 4);
}

static size_t sign(const char *key, const char *hash, unsigned char *sig, size_t cap) {
    char pem[512], out[64];
    snprintf(pem, sizeof pem, "%s", path(key));
    snprintf(out, sizeof out, "sig-%s-%s", hash, key);
    {
        char cmd[1500];
        snprintf(cmd, sizeof cmd, "openssl dgst -%s -sign '%s' -out '%s/%s' '%s/msg'", hash, pem, dir, out, dir);
        if (!CHECK_INT(system(cmd), 0)) return 0;
    }
    return read_all(out, sig, cap);
}

static int ec_verdicts(const unsigned char *h, size_t hlen, const unsigned char q[65], const unsigned char *sig,
                       size_t len, uint32_t *verdict) {
    br_ec_public_key pk;
    uint32_t a, b;
    pk.curve = BR_EC_secp256r1;
    pk.q = (unsigned char *)(uintptr_t)q;
    pk.qlen = 65;
    a = br_ecdsa_i31_vrfy_asn1(&br_ec_p256_m31, h, hlen, &pk, sig, len);
    b = cdrest__ecdsa_vrfy_asn1(&br_ec_p256_m31, h, hlen, &pk, sig, len);
    if (verdict) *verdict = b;
    if (a != b)
        fprintf(stderr, "ECDSA verdicts differ: BearSSL %u, cdrest %u (sig of %lu bytes)\n", a, b, (unsigned long)len);
    return a == b;
}

/* DER SEQUENCE { INTEGER r, INTEGER s } from the minimal unsigned values. */
static size_t der_sig(unsigned char *out, const unsigned char *r, size_t rlen, const unsigned char *s, size_t slen) {
    size_t n = 2;
    const unsigned char *v[2];
    size_t l[2];
    int i;
    v[0] = r, l[0] = rlen, v[1] = s, l[1] = slen;
    for (i = 0; i < 2; i++) {
        while (l[i] > 1 && v[i][0] == 0) v[i]++, l[i]--;
        out[n++] = 0x02;
        if (l[i] && (v[i][0] & 0x80)) {
            out[n++] = (unsigned char)(l[i] + 1);
            out[n++] = 0;
        } else {
            out[n++] = (unsigned char)l[i];
        }
        memcpy(out + n, v[i], l[i]);
        n += l[i];
    }
    out[0] = 0x30;
    out[1] = (unsigned char)(n - 2);
    return n;
}

/* r and s of a DER signature openssl made (short-form lengths). */
static int der_split(const unsigned char *sig, size_t len, unsigned char r[40], size_t *rlen, unsigned char s[40],
                     size_t *slen) {
    size_t off = 2;
    if (len < 8 || sig[0] != 0x30 || sig[1] != len - 2 || sig[2] != 2) return 0;
    *rlen = sig[3];
    memcpy(r, sig + 4, *rlen);
    off = 4 + *rlen;
    *slen = sig[off + 1];
    memcpy(s, sig + off + 2, *slen);
    return 1;
}

static void test_ecdsa(void) {
    unsigned char q[65], q2[65], sig[200], mut[300], h[64], h2[64], r[40], s[40], v[40];
    size_t i, hi, len, hlen, rlen = 0, slen = 0, bit, step;
    uint32_t ok;
    int fails = 0, accepted = 0;
    if (!ec_key("ec1", q) || !ec_key("ec2", q2)) return;
    for (hi = 0; hi < 3; hi++) {
        hlen = hash_of(hashes[hi].hc, msg, sizeof msg, h);
        len = sign("ec1.pem", hashes[hi].name, sig, sizeof sig);
        if (!CHECK(len >= 8)) continue;
        fails += !ec_verdicts(h, hlen, q, sig, len, &ok);
        accepted += ok;
        /* every single-bit flip (a sample under valgrind, and for the longer hashes) */
        step = slow ? 37 : hi == 0 ? 1 : 7;
        for (bit = rnd() % step; bit < len * 8; bit += step) {
            memcpy(mut, sig, len);
            mut[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            fails += !ec_verdicts(h, hlen, q, mut, len, NULL);
        }
        for (i = 0; i < len; i++) fails += !ec_verdicts(h, hlen, q, sig, i, NULL); /* truncations */
        memcpy(mut, sig, len);
        mut[len] = 0;
        fails += !ec_verdicts(h, hlen, q, mut, len + 1, NULL); /* a trailing byte */
        memcpy(h2, h, hlen);
        h2[rnd() % (hlen < 32 ? hlen : 32)] ^= 1;
        fails += !ec_verdicts(h2, hlen, q, sig, len, NULL); /* wrong hash */
        fails += !ec_verdicts(h, hlen > 32 ? 32 : hlen - 1, q, sig, len, NULL);
        fails += !ec_verdicts(h, 0, q, sig, len, NULL);
        fails += !ec_verdicts(h, hlen, q2, sig, len, NULL); /* wrong key */
        memset(h2, 0, sizeof h2);                           /* hashes equal to 0 and n mod n */
        fails += !ec_verdicts(h2, 32, q, sig, len, NULL);
        cdrest__w4_encode(h2, cdrest__p256_n);
        fails += !ec_verdicts(h2, 32, q, sig, len, NULL);
        if (!CHECK(der_split(sig, len, r, &rlen, s, &slen))) continue;
        /* r, s = 0, 1, n - 1, n, n + 1, 2^256 - 1, and a 33-byte value */
        {
            unsigned char nb[32], vals[7][33];
            size_t vl[7] = { 1, 1, 32, 32, 32, 32, 33 };
            int j;
            cdrest__w4_encode(nb, cdrest__p256_n);
            memset(vals, 0, sizeof vals);
            vals[1][0] = 1;
            memcpy(vals[2], nb, 32), vals[2][31] -= 1;
            memcpy(vals[3], nb, 32);
            memcpy(vals[4], nb, 32), vals[4][31] += 1;
            memset(vals[5], 0xFF, 32);
            vals[6][0] = 1;
            for (j = 0; j < 7; j++) {
                len = der_sig(mut, vals[j], vl[j], s, slen);
                fails += !ec_verdicts(h, hlen, q, mut, len, NULL);
                len = der_sig(mut, r, rlen, vals[j], vl[j]);
                fails += !ec_verdicts(h, hlen, q, mut, len, NULL);
            }
        }
        /* DER oddities: BearSSL reads leading zeros, "negative" integers and a long-form
           SEQUENCE length, refuses long-form INTEGER lengths; we must agree */
        len = der_sig(mut, r, rlen, s, slen);
        fails += !ec_verdicts(h, hlen, q, mut, len, &ok);
        accepted += ok;
        memset(v, 0, 3);
        memcpy(v + 3, r, rlen);
        len = der_sig(mut, v, rlen + 3, s, slen); /* der_sig strips: add them back by hand */
        {
            unsigned char z[300];
            size_t zl = 0;
            z[zl++] = 0x30;
            z[zl++] = (unsigned char)(2 + rlen + 3 + 2 + slen);
            z[zl++] = 2;
            z[zl++] = (unsigned char)(rlen + 3);
            memcpy(z + zl, v, rlen + 3), zl += rlen + 3;
            z[zl++] = 2;
            z[zl++] = (unsigned char)slen;
            memcpy(z + zl, s, slen), zl += slen;
            fails += !ec_verdicts(h, hlen, q, z, zl, &ok); /* leading zeros */
            accepted += ok;
            /* long-form SEQUENCE length */
            memmove(z + 3, z + 2, zl - 2);
            z[1] = 0x81;
            z[2] = (unsigned char)(zl - 2);
            fails += !ec_verdicts(h, hlen, q, z, zl + 1, &ok);
            accepted += ok;
            z[1] = 0x82;
            fails += !ec_verdicts(h, hlen, q, z, zl + 1, NULL);
            /* long-form INTEGER length */
            zl = 0;
            z[zl++] = 0x30;
            z[zl++] = (unsigned char)(3 + rlen + 2 + slen);
            z[zl++] = 2;
            z[zl++] = 0x81;
            z[zl++] = (unsigned char)rlen;
            memcpy(z + zl, r, rlen), zl += rlen;
            z[zl++] = 2;
            z[zl++] = (unsigned char)slen;
            memcpy(z + zl, s, slen), zl += slen;
            fails += !ec_verdicts(h, hlen, q, z, zl, NULL);
            /* "negative": the sign byte dropped from a value with its top bit set */
            if (rlen == 33 && r[0] == 0) {
                zl = 0;
                z[zl++] = 0x30;
                z[zl++] = (unsigned char)(2 + 32 + 2 + slen);
                z[zl++] = 2;
                z[zl++] = 32;
                memcpy(z + zl, r + 1, 32), zl += 32;
                z[zl++] = 2;
                z[zl++] = (unsigned char)slen;
                memcpy(z + zl, s, slen), zl += slen;
                fails += !ec_verdicts(h, hlen, q, z, zl, NULL);
            }
            /* more than 144 bytes: r with 80 leading zeros */
            zl = 0;
            z[zl++] = 0x30;
            z[zl++] = 0x81;
            z[zl++] = (unsigned char)(2 + rlen + 80 + 2 + slen);
            z[zl++] = 2;
            z[zl++] = (unsigned char)(rlen + 80);
            memset(z + zl, 0, 80), zl += 80;
            memcpy(z + zl, r, rlen), zl += rlen;
            z[zl++] = 2;
            z[zl++] = (unsigned char)slen;
            memcpy(z + zl, s, slen), zl += slen;
            fails += !ec_verdicts(h, hlen, q, z, zl, NULL);
        }
        /* -s is a valid signature too (ECDSA is malleable): both accept */
        {
            uint64_t sv[4];
            unsigned char sb[32];
            cdrest__w4_decode(sv, s, slen);
            neg_n(sv, sv);
            cdrest__w4_encode(sb, sv);
            len = der_sig(mut, r, rlen, sb, 32);
            fails += !ec_verdicts(h, hlen, q, mut, len, &ok);
            accepted += ok;
        }
    }
    CHECK_INT(fails, 0);
    CHECK_INT(accepted, 3 * 5); /* the five valid forms of each of the three signatures */
}

/* A signature that is valid, in the mathematics, for a hash equal to 0 mod n (made in
   Python: d, k fixed; r = x(k G) mod n, s = r d / k): u1 = 0 there, where BearSSL's muladd
   is indeterminate and BearSSL refuses it; we refuse it too (same verdicts). */
static void test_zero_hash(void) {
    static const unsigned char zq[65] = {
        0x04, 0x47, 0x1c, 0x3e, 0x75, 0x8c, 0x49, 0x04, 0x28, 0x5b, 0xba, 0x7e, 0x53, 0x11, 0x8e, 0xd0, 0xf5,
        0x24, 0xad, 0xeb, 0x07, 0x57, 0xd2, 0x5b, 0xd2, 0xf8, 0xe7, 0xb0, 0xd7, 0x6d, 0xfa, 0x71, 0x4c, 0xdd,
        0x52, 0x0f, 0x7a, 0xca, 0x8a, 0x8b, 0x91, 0x7a, 0xcc, 0x37, 0xf5, 0x1d, 0xe8, 0xf0, 0xc9, 0xbb, 0xe3,
        0xad, 0x85, 0x83, 0x82, 0xe7, 0x02, 0xdc, 0x25, 0xa1, 0x2d, 0x09, 0xf7, 0xa8, 0x58
    };
    static const unsigned char zr[32] = { 0x58, 0x89, 0x3c, 0xc6, 0x5c, 0xc5, 0xc0, 0xda, 0x46, 0xa1, 0x4c,
                                          0x5a, 0x42, 0x87, 0x8d, 0x87, 0x70, 0x03, 0x62, 0x3c, 0xdc, 0xee,
                                          0xc6, 0x2c, 0xb9, 0xa9, 0x06, 0x9f, 0xa2, 0xc0, 0x2e, 0xa4 };
    static const unsigned char zs[32] = { 0x3c, 0xd0, 0xa5, 0x96, 0x16, 0x63, 0xc0, 0x9c, 0xb2, 0xe1, 0xe0,
                                          0x3f, 0xac, 0xd8, 0xc2, 0xf4, 0x64, 0x1b, 0xcc, 0xa0, 0x5f, 0xb7,
                                          0x5b, 0x74, 0xb2, 0x62, 0xaf, 0x2e, 0x3e, 0x50, 0x01, 0x2b };
    unsigned char sig[80], h[32];
    size_t len = der_sig(sig, zr, 32, zs, 32);
    uint32_t ok = 1;
    uint64_t u[4];
    memset(h, 0, sizeof h);
    CHECK(ec_verdicts(h, 32, zq, sig, len, &ok));
    CHECK_INT(ok, 0);
    cdrest__w4_encode(h, cdrest__p256_n);
    CHECK(ec_verdicts(h, 32, zq, sig, len, &ok));
    CHECK_INT(ok, 0);
    /* the point itself: u2 Q with u2 = r / s has x = r (our muladd is exact there) */
    {
        unsigned char out[65];
        uint64_t r[4], sv[4], w[4];
        cdrest__w4_decode(r, zr, 32);
        cdrest__w4_decode(sv, zs, 32);
        cdrest__w4_inv(w, sv, cdrest__p256_n);
        mul_n(u, r, w);
        memset(w, 0, sizeof w);
        CHECK(our_muladd(out, zq, w, u) == 1 && memcmp(out + 1, zr, 32) == 0);
    }
}

/* Other curves go to BearSSL: a P-384 key and signature from openssl. */
static void test_other_curve(void) {
    unsigned char buf[200], sig[200], h[64];
    size_t n, len, hlen;
    br_ec_public_key pk;
    char p2[512];
    snprintf(p2, sizeof p2, "%s", path("ec384.pem"));
    if (!CHECK(run("openssl ecparam -name secp384r1 -genkey -noout -out '%s' 2>/dev/null%s", p2, ""))) return;
    if (!CHECK(run("openssl ec -in '%s' -pubout -outform DER -out '%s' 2>/dev/null", p2, path("ec384.der")))) return;
    n = read_all("ec384.der", buf, sizeof buf);
    if (!CHECK(n > 97)) return;
    len = sign("ec384.pem", "sha384", sig, sizeof sig);
    hlen = hash_of(&br_sha384_vtable, msg, sizeof msg, h);
    pk.curve = BR_EC_secp384r1;
    pk.q = buf + n - 97;
    pk.qlen = 97;
    CHECK_INT(cdrest__ecdsa_vrfy_asn1(br_ec_get_default(), h, hlen, &pk, sig, len), 1);
    sig[len - 1] ^= 1;
    CHECK_INT(cdrest__ecdsa_vrfy_asn1(br_ec_get_default(), h, hlen, &pk, sig, len), 0);
}

/* ---- RSA: x^e mod n, and PKCS#1 v1.5 signatures ----------------------------------------- */

static void set_limbs(uint64_t *v, const unsigned char *b, size_t len) {
    size_t i;
    memset(v, 0, CDREST__RSA_LIMBS * 8);
    for (i = 0; i < len; i++) v[i / 8] |= (uint64_t)b[len - 1 - i] << ((i % 8) * 8);
}

/* Random odd moduli of the sizes the fast path takes (top limbs full and nearly empty),
   random x < n: cdrest__rsa_pow against br_rsa_i31_public. */
static void test_rsa_pow(void) {
    static const size_t sizes[] = { 256, 257, 263, 264, 265, 300, 384, 385, 511, 512 };
    static const unsigned char e65537[] = { 1, 0, 1 }, e3[] = { 3 };
    unsigned char n[512], x[512], y[512];
    uint64_t m[CDREST__RSA_LIMBS], v[CDREST__RSA_LIMBS];
    size_t si, i, len;
    int round, fails = 0, rounds = slow ? 1 : 6;
    for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (round = 0; round < rounds * 2; round++) {
            size_t nlen = sizes[si];
            br_rsa_public_key pk;
            int e = round & 1 ? 3 : 65537;
            rnd_bytes(n, nlen);
            n[0] = round % 4 < 2 ? (unsigned char)(n[0] | 0x80)
                                 : 1 + (unsigned char)(rnd() % 3); /* top limb full or tiny */
            n[nlen - 1] |= 1;
            rnd_bytes(x, nlen);
            x[0] = (unsigned char)(x[0] % n[0]);                  /* below n */
            if (round == 2) memcpy(x, n, nlen), x[nlen - 1] -= 1; /* n - 1 */
            if (round == 4) memset(x, 0, nlen), x[nlen - 1] = 1;
            memcpy(y, x, nlen);
            pk.n = n, pk.nlen = nlen;
            pk.e = (unsigned char *)(uintptr_t)(e == 3 ? e3 : e65537), pk.elen = e == 3 ? 1 : 3;
            if (!br_rsa_i31_public(y, nlen, &pk)) {
                fails++;
                continue;
            }
            len = (nlen + 7) / 8;
            set_limbs(m, n, nlen);
            set_limbs(v, x, nlen);
            cdrest__rsa_pow(v, m, len, (unsigned long)e);
            for (i = 0; i < nlen; i++) x[nlen - 1 - i] = (unsigned char)(v[i / 8] >> ((i % 8) * 8));
            for (i = nlen; i < len * 8; i++) fails += (v[i / 8] >> ((i % 8) * 8)) & 0xFF ? 1 : 0;
            if (memcmp(x, y, nlen) != 0) {
                fprintf(stderr, "x^%d mod n differs, %lu-byte modulus\n", e, (unsigned long)nlen);
                fails++;
            }
        }
    }
    CHECK_INT(fails, 0);
}

typedef struct {
    unsigned char n[512], e[4];
    size_t nlen, elen;
    br_rsa_public_key pk;
} rsa_key;

static int hexval(int c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
}

static int rsa_keygen(const char *name, int bits, int e, rsa_key *k) {
    char cmd[2048], pem[64], mod[64], hex[1100];
    size_t n, i;
    snprintf(pem, sizeof pem, "%s.pem", name);
    snprintf(mod, sizeof mod, "%s.mod", name);
    snprintf(cmd, sizeof cmd,
             "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:%d -pkeyopt rsa_keygen_pubexp:%d -out '%s/%s' "
             "2>/dev/null && openssl rsa -in '%s/%s' -noout -modulus > '%s/%s'",
             bits, e, dir, pem, dir, pem, dir, mod);
    if (system(cmd) != 0) return 0;
    n = read_all(mod, (unsigned char *)hex, sizeof hex - 1);
    hex[n] = 0;
    if (!CHECK(strncmp(hex, "Modulus=", 8) == 0)) return 0;
    for (i = 0; hexval(hex[8 + 2 * i]) >= 0 && hexval(hex[9 + 2 * i]) >= 0 && i < sizeof k->n; i++)
        k->n[i] = (unsigned char)(hexval(hex[8 + 2 * i]) * 16 + hexval(hex[9 + 2 * i]));
    k->nlen = i;
    if (e == 3)
        k->e[0] = 3, k->elen = 1;
    else
        k->e[0] = 1, k->e[1] = 0, k->e[2] = 1, k->elen = 3;
    k->pk.n = k->n, k->pk.nlen = k->nlen, k->pk.e = k->e, k->pk.elen = k->elen;
    return CHECK_INT(k->nlen, (size_t)(bits + 7) / 8);
}

static int rsa_verdicts(const unsigned char *sig, size_t len, const unsigned char *oid, size_t hlen, const rsa_key *k,
                        const unsigned char *want_hash, uint32_t *verdict) {
    unsigned char ha[64], hb[64];
    uint32_t a, b;
    memset(ha, 0xA5, sizeof ha);
    memset(hb, 0xA5, sizeof hb);
    a = br_rsa_i31_pkcs1_vrfy(sig, len, oid, hlen, &k->pk, ha);
    b = cdrest__rsa_pkcs1_vrfy(sig, len, oid, hlen, &k->pk, hb);
    if (verdict) *verdict = b;
    if (a != b || memcmp(ha, hb, sizeof ha) != 0) {
        fprintf(stderr, "RSA verdicts differ: BearSSL %u, cdrest %u (%lu-byte key)\n", a, b, (unsigned long)k->nlen);
        return 0;
    }
    return !(b && want_hash && memcmp(hb, want_hash, hlen) != 0);
}

/* A PKCS#1 v1.5 block of our making, signed by the private key (openssl pkeyutl -sign with
   no padding): for the encodings openssl would not make. */
static size_t rsa_sign_raw(const char *key, const unsigned char *block, size_t len, unsigned char *sig) {
    char cmd[2000];
    FILE *f = fopen(path("block"), "wb");
    if (!f) return 0;
    fwrite(block, 1, len, f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "openssl pkeyutl -decrypt -inkey '%s/%s' -pkeyopt rsa_padding_mode:none -in '%s/block' -out '%s/rawsig'",
             dir, key, dir, dir);
    if (!CHECK_INT(system(cmd), 0)) return 0;
    return read_all("rawsig", sig, 512);
}

/* 00 01 FF.. 00 DigestInfo(oid, with or without NULL) hash, into block[nlen]. */
static void pkcs1_block(unsigned char *block, size_t nlen, const unsigned char *oid, int with_null,
                        const unsigned char *h, size_t hlen) {
    size_t algo = (size_t)oid[0] + 2 + (with_null ? 2 : 0), info = 2 + 2 + algo + 2 + hlen, pos;
    block[0] = 0, block[1] = 1;
    pos = nlen - info - 1;
    memset(block + 2, 0xFF, pos - 2);
    block[pos++] = 0;
    block[pos++] = 0x30, block[pos++] = (unsigned char)(info - 2);
    block[pos++] = 0x30, block[pos++] = (unsigned char)algo;
    block[pos++] = 0x06;
    memcpy(block + pos, oid, (size_t)oid[0] + 1), pos += (size_t)oid[0] + 1;
    if (with_null) block[pos++] = 5, block[pos++] = 0;
    block[pos++] = 4, block[pos++] = (unsigned char)hlen;
    memcpy(block + pos, h, hlen);
}

static void test_rsa_key(const char *name, int bits, int e, rsa_key *keep, const rsa_key *other) {
    rsa_key k;
    unsigned char sig[512], mut[520], h[64], block[512];
    char pem[64];
    size_t hi, len, hlen, bit, i;
    uint32_t ok;
    int fails = 0, accepted = 0, want = 0;
    if (!CHECK(rsa_keygen(name, bits, e, &k))) return;
    snprintf(pem, sizeof pem, "%s.pem", name);
    for (hi = 0; hi < 3; hi++) {
        hlen = hash_of(hashes[hi].hc, msg, sizeof msg, h);
        len = sign(pem, hashes[hi].name, sig, sizeof sig);
        if (!CHECK_INT(len, k.nlen)) continue;
        fails += !rsa_verdicts(sig, len, hashes[hi].oid, hlen, &k, h, &ok);
        accepted += ok, want++;
        for (i = 0; i < (slow ? 4u : 64u); i++) { /* single-bit flips, a random sample */
            bit = rnd() % (len * 8);
            memcpy(mut, sig, len);
            mut[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            fails += !rsa_verdicts(mut, len, hashes[hi].oid, hlen, &k, h, NULL);
        }
        fails += !rsa_verdicts(sig, len - 1, hashes[hi].oid, hlen, &k, h, NULL); /* truncations */
        fails += !rsa_verdicts(sig + 1, len - 1, hashes[hi].oid, hlen, &k, h, NULL);
        memcpy(mut, sig, len), mut[len] = 0;
        fails += !rsa_verdicts(mut, len + 1, hashes[hi].oid, hlen, &k, h, NULL);
        fails += !rsa_verdicts(sig, len, hashes[(hi + 1) % 3].oid, hlen, &k, h, NULL); /* wrong hash */
        fails += !rsa_verdicts(sig, len, hashes[hi].oid, hlen - 1, &k, h, NULL);
        fails += !rsa_verdicts(sig, len, BR_HASH_OID_SHA1, 20, &k, h, NULL);
        if (other) fails += !rsa_verdicts(sig, len, hashes[hi].oid, hlen, other, h, NULL); /* wrong key */
        /* x = 0, 1, n - 1, n, > n */
        memset(mut, 0, len);
        fails += !rsa_verdicts(mut, len, hashes[hi].oid, hlen, &k, h, NULL);
        mut[len - 1] = 1;
        fails += !rsa_verdicts(mut, len, hashes[hi].oid, hlen, &k, h, NULL);
        memcpy(mut, k.n, len);
        fails += !rsa_verdicts(mut, len, hashes[hi].oid, hlen, &k, h, NULL);
        mut[len - 1] -= 1;
        fails += !rsa_verdicts(mut, len, hashes[hi].oid, hlen, &k, h, NULL);
        memset(mut, 0xFF, len);
        fails += !rsa_verdicts(mut, len, hashes[hi].oid, hlen, &k, h, NULL);
        /* the hash_oid NULL form (raw hash after the padding) goes to BearSSL */
        fails += !rsa_verdicts(sig, len, NULL, hlen, &k, h, NULL);
    }
    /* encodings of our making, signed with the private key: DigestInfo without the NULL
       (accepted by both), and the Bleichenbacher 2006 shapes (refused by both) */
    hlen = hash_of(&br_sha256_vtable, msg, sizeof msg, h);
    pkcs1_block(block, k.nlen, BR_HASH_OID_SHA256, 0, h, hlen);
    len = rsa_sign_raw(pem, block, k.nlen, sig);
    fails += !rsa_verdicts(sig, len, BR_HASH_OID_SHA256, hlen, &k, h, &ok);
    accepted += ok, want++;
    /* the DigestInfo moved left by 16 bytes, garbage after the hash (lenient parsers accept) */
    pkcs1_block(block, k.nlen - 16, BR_HASH_OID_SHA256, 1, h, hlen);
    rnd_bytes(block + k.nlen - 16, 16);
    len = rsa_sign_raw(pem, block, k.nlen, sig);
    fails += !rsa_verdicts(sig, len, BR_HASH_OID_SHA256, hlen, &k, h, NULL);
    /* garbage in place of FF bytes */
    pkcs1_block(block, k.nlen, BR_HASH_OID_SHA256, 1, h, hlen);
    block[20] = 0x42;
    len = rsa_sign_raw(pem, block, k.nlen, sig);
    fails += !rsa_verdicts(sig, len, BR_HASH_OID_SHA256, hlen, &k, h, NULL);
    /* a wrong DigestInfo length byte, a wrong padding type, a wrong OID byte */
    for (i = 0; i < 3; i++) {
        pkcs1_block(block, k.nlen, BR_HASH_OID_SHA256, 1, h, hlen);
        if (i == 0) block[k.nlen - hlen - 18] ^= 0x01; /* the outer SEQUENCE length */
        if (i == 1) block[1] = 2;
        if (i == 2) block[k.nlen - hlen - 8] ^= 0x10;
        len = rsa_sign_raw(pem, block, k.nlen, sig);
        fails += !rsa_verdicts(sig, len, BR_HASH_OID_SHA256, hlen, &k, h, NULL);
    }
    if (keep) *keep = k, keep->pk.n = keep->n, keep->pk.e = keep->e;
    CHECK_INT(fails, 0);
    CHECK_INT(accepted, want);
    printf("RSA-%d e=%d: %d valid signatures accepted, every damaged one refused as BearSSL does\n", bits, e, accepted);
}

static void test_rsa(void) {
    rsa_key first;
    memset(&first, 0, sizeof first);
    test_rsa_key("rsa2048", 2048, 65537, &first, NULL);
    test_rsa_key("rsa2048e3", 2048, 3, NULL, first.nlen ? &first : NULL); /* and the wrong key */
    test_rsa_key("rsa2056", 2056, 65537, NULL, NULL);                     /* the top limb holds one byte */
    if (!slow) test_rsa_key("rsa3072", 3072, 65537, NULL, NULL);
    if (!slow) test_rsa_key("rsa4096", 4096, 65537, NULL, NULL);
    test_rsa_key("rsa1024", 1024, 65537, NULL, NULL); /* BearSSL's path: too small for ours */
}

/* The engine and the X.509 engine use ours (tests/test_tls_engine.c checks the setup). */
#endif

int main(void) {
#ifdef CDREST__FAST_PK
    const char *seed = getenv("SIGCHECK_SEED"), *tmp = getenv("TMPDIR");
    char cmd[600];
    FILE *f;
    rng = seed ? strtoull(seed, NULL, 10) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (!rng) rng = 1;
    printf("SIGCHECK_SEED=%llu\n", (unsigned long long)rng);
    slow = getenv("CDREST_VALGRIND") != NULL;
    snprintf(dir, sizeof dir, "%s/cdrest-sig-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!CHECK(mkdtemp(dir) != NULL)) return test_summary();
    rnd_bytes(msg, sizeof msg);
    f = fopen(path("msg"), "wb");
    if (CHECK(f != NULL)) {
        fwrite(msg, 1, sizeof msg, f);
        fclose(f);
    }
    test_constants();
    test_inverse();
    test_muladd();
    test_ecdsa();
    test_zero_hash();
    test_other_curve();
    test_rsa_pow();
    test_rsa();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
#endif
    return test_summary();
}
