/* SPDX-License-Identifier: MIT */
/* Owns the checks of cdrest's SHA-256 on the SHA extensions (the TLS layer's
   cdrest__sha256_vtable, cdrest__prf_sha256) and of the same code on the portable
   compression (cdrest__sha256_soft_vtable):
   - the path: where /proc/cpuinfo lists sha_ni and valgrind is not running (its CPUID
     hides the SHA extensions), cdrest__cpu_has_sha_ni() must say so and the SHA-NI code
     must run here: a FAILURE otherwise, not a skip (the ASan run is the one that runs it);
   - the class's description (id, sizes, padding flags) equals br_sha256_vtable's;
   - FIPS 180-4 / NIST vectors: "", "abc", the 448-bit and 896-bit messages, a million 'a';
   - differential against BearSSL's br_sha256 (code we did not write): random messages of
     random lengths 0..5000 fed in random splits, out() in the middle changing nothing;
     state()/set_state() mid-message, across implementations both ways (the engine's
     multihash and the HMAC code move states between contexts that way);
   - the TLS 1.2 PRF against br_tls12_sha256_prf: random secrets, labels, seed chunks and
     lengths 0..200, and not a byte written past the length asked.
   CDREST_VALGRIND=1 (or running under valgrind) scales the random rounds down. Builds
   without the SHA code (CDREST_NO_TLS, CDREST_NO_FAST_PK, not x86-64) check nothing. */
#include "test.h"
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

#include <time.h>
#include <valgrind/valgrind.h>

#ifdef CDREST__SHA_NI
/* splitmix64: reproducible pseudo-random numbers (the seed is printed). */
static uint64_t rng_state;
static uint64_t rng64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static size_t rng_below(size_t n) {
    return n ? (size_t)(rng64() % n) : 0;
}
static void rng_bytes(unsigned char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) b[i] = (unsigned char)rng64();
}

static void tohex(char *out, const unsigned char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

/* The implementations under test: the portable one always, SHA-NI where it runs. */
static const br_hash_class *impls[2];
static const char *impl_names[2];
static int nimpls;

/* /proc/cpuinfo's flags name sha_ni (the kernel's view, which valgrind does not change). */
static int cpuinfo_has_sha_ni(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    int found = 0;
    if (!f) return 0;
    while (!found && fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni")) found = 1;
    fclose(f);
    return found;
}

static void pick_paths(void) {
    int cpu = cdrest__cpu_has_sha_ni(), listed = cpuinfo_has_sha_ni();
    printf("SHA-256 path: %s (cpuinfo %s sha_ni%s)\n",
           cpu ? "SHA-NI, and the portable compression" : "portable compression only", listed ? "lists" : "lacks",
           RUNNING_ON_VALGRIND ? ", under valgrind" : "");
    if (listed && !RUNNING_ON_VALGRIND && !CHECK(cpu))
        fprintf(stderr, "    the CPU has the SHA extensions but cdrest__cpu_has_sha_ni() does not see them\n");
    impls[nimpls] = &cdrest__sha256_soft_vtable, impl_names[nimpls++] = "portable";
    if (cpu) impls[nimpls] = &cdrest__sha256_vtable, impl_names[nimpls++] = "SHA-NI";
}

static void check_class(const br_hash_class *vt, const char *name) {
    test_check_int((long long)vt->desc, (long long)br_sha256_vtable.desc, name, __LINE__, "desc");
    test_check_int((long long)vt->context_size, (long long)br_sha256_vtable.context_size, name, __LINE__, "size");
}

/* One message through vt, fed in `reps` copies of (p, n), against the expected hex. */
static void check_vector(const br_hash_class *vt, const char *name, const char *p, size_t n, long reps,
                         const char *want) {
    br_sha256_context cc;
    unsigned char out[32];
    char hex[65];
    long i;
    vt->init(&cc.vtable);
    CHECK(cc.vtable == vt);
    for (i = 0; i < reps; i++) vt->update(&cc.vtable, p, n);
    vt->out(&cc.vtable, out);
    tohex(hex, out, 32);
    test_check_str(hex, want, name, __LINE__, "FIPS 180-4 vector");
}

static void check_vectors(const br_hash_class *vt, const char *name) {
    check_vector(vt, name, "", 0, 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_vector(vt, name, "abc", 3, 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_vector(vt, name, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, 1,
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check_vector(vt, name,
                 "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsm"
                 "nopqrstnopqrstu",
                 112, 1, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    static char a1000[1000];
    memset(a1000, 'a', sizeof a1000); /* a million 'a' in pieces of 1000, then byte by byte */
    check_vector(vt, name, a1000, sizeof a1000, 1000,
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    check_vector(vt, name, "a", 1, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* A random message in random pieces through vt and through BearSSL's: out() after each
   piece equal (so out() left the context usable), state() equal at every step. */
static int diff_one(const br_hash_class *vt, const unsigned char *msg, size_t len) {
    br_sha256_context ours, theirs;
    unsigned char a[32], b[32];
    size_t at = 0;
    int ok = 1;
    vt->init(&ours.vtable);
    br_sha256_init(&theirs);
    while (at < len || at == 0) {
        size_t piece = rng_below(4) == 0 ? rng_below(200) : rng_below(len - at + 1);
        if (piece > len - at) piece = len - at;
        vt->update(&ours.vtable, piece ? msg + at : NULL, piece);
        br_sha256_update(&theirs, msg + at, piece);
        at += piece;
        if (rng_below(3) == 0 || at == len) {
            vt->out(&ours.vtable, a);
            br_sha256_out(&theirs, b);
            ok &= memcmp(a, b, 32) == 0;
            ok &= vt->state(&ours.vtable, a) == br_sha256_state(&theirs, b);
            ok &= memcmp(a, b, 32) == 0;
        }
        if (at == len) break;
    }
    return ok;
}

static void check_random(const br_hash_class *vt, const char *name, int rounds) {
    static unsigned char msg[5001];
    int i, bad = 0;
    for (i = 0; i < rounds; i++) {
        size_t len = rng_below(sizeof msg);
        rng_bytes(msg, len);
        if (!diff_one(vt, msg, len) && bad++ < 3)
            fprintf(stderr, "    %s: length %lu differs\n", name, (unsigned long)len);
    }
    test_check_int(bad, 0, name, __LINE__, "random messages equal to br_sha256");
}

/* Hash a prefix, move its state (a whole number of blocks, as the multihash and HMAC do)
   into a context of the other implementation, finish there: both directions agree. */
static void check_state_moves(const br_hash_class *vt, const char *name, int rounds) {
    static unsigned char msg[3000];
    int i, bad = 0;
    for (i = 0; i < rounds; i++) {
        br_sha256_context from, to, ref;
        unsigned char st[32], a[32], b[32];
        size_t len = rng_below(sizeof msg), cut = rng_below(len / 64 + 1) * 64;
        int dir = (int)rng_below(2); /* 0: ours to BearSSL's, 1: BearSSL's to ours */
        const br_hash_class *src = dir ? &br_sha256_vtable : vt, *dst = dir ? vt : &br_sha256_vtable;
        uint64_t count;
        rng_bytes(msg, len);
        src->init(&from.vtable);
        src->update(&from.vtable, msg, cut);
        count = src->state(&from.vtable, st);
        dst->init(&to.vtable);
        dst->set_state(&to.vtable, st, count);
        dst->update(&to.vtable, msg + cut, len - cut);
        dst->out(&to.vtable, a);
        br_sha256_init(&ref);
        br_sha256_update(&ref, msg, len);
        br_sha256_out(&ref, b);
        if ((count != cut || memcmp(a, b, 32) != 0) && bad++ < 3)
            fprintf(stderr, "    %s: state move at %lu of %lu (%s) differs\n", name, (unsigned long)cut,
                    (unsigned long)len, dir ? "BearSSL's to ours" : "ours to BearSSL's");
    }
    test_check_int(bad, 0, name, __LINE__, "state()/set_state() across implementations");
}

/* Ours (on vt) against br_tls12_sha256_prf; a canary after the output. */
static void check_prf(const br_hash_class *vt, const char *name, int rounds) {
    int i, bad = 0;
    for (i = 0; i < rounds; i++) {
        unsigned char secret[100], seeds[3][80], a[232], b[232];
        char label[24];
        br_tls_prf_seed_chunk chunk[3];
        size_t secret_len = rng_below(sizeof secret + 1), len = rng_below(201), nseed = rng_below(4), k;
        size_t label_len = rng_below(sizeof label);
        rng_bytes(secret, secret_len);
        for (k = 0; k < label_len; k++) label[k] = (char)('a' + rng_below(26));
        label[label_len] = 0;
        for (k = 0; k < nseed; k++) {
            chunk[k].len = rng_below(sizeof seeds[k] + 1);
            rng_bytes(seeds[k], chunk[k].len);
            chunk[k].data = seeds[k];
        }
        memset(a, 0xA5, sizeof a);
        memset(b, 0xA5, sizeof b);
        cdrest__prf_sha256_with(vt, a, len, secret, secret_len, label, nseed, chunk);
        br_tls12_sha256_prf(b, len, secret, secret_len, label, nseed, chunk);
        if (memcmp(a, b, sizeof a) != 0 && bad++ < 3)
            fprintf(stderr, "    %s: PRF of %lu bytes (secret %lu, %lu chunks) differs\n", name, (unsigned long)len,
                    (unsigned long)secret_len, (unsigned long)nseed);
    }
    test_check_int(bad, 0, name, __LINE__, "PRF equal to br_tls12_sha256_prf");
}

/* The engine's entry point: the SHA-NI class itself. */
static void check_prf_entry(void) {
    unsigned char a[77], b[77];
    br_tls_prf_seed_chunk seed[2] = { { "client", 6 }, { "server", 6 } };
    cdrest__prf_sha256(a, sizeof a, "master", 6, "key expansion", 2, seed);
    br_tls12_sha256_prf(b, sizeof b, "master", 6, "key expansion", 2, seed);
    CHECK(memcmp(a, b, sizeof a) == 0);
}
#endif

int main(void) {
#ifdef CDREST__SHA_NI
    int scale = RUNNING_ON_VALGRIND || getenv("CDREST_VALGRIND") ? 10 : 1, i;
    rng_state = (uint64_t)time(NULL);
    printf("seed %llu\n", (unsigned long long)rng_state);
    pick_paths();
    check_class(&cdrest__sha256_vtable, "SHA-NI class"); /* the description, even where it cannot run */
    for (i = 0; i < nimpls; i++) {
        check_class(impls[i], impl_names[i]);
        check_vectors(impls[i], impl_names[i]);
        check_random(impls[i], impl_names[i], 20000 / scale);
        check_state_moves(impls[i], impl_names[i], 2000 / scale);
        check_prf(impls[i], impl_names[i], 5000 / scale);
    }
    if (nimpls == 2) check_prf_entry();
#else
    printf("no SHA-256 code of cdrest's in this build (BearSSL's is used)\n");
#endif
    return test_summary();
}
