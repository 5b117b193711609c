/* SPDX-License-Identifier: MIT */
/* Owns the checks of cdrest's 64-bit X25519 (the TLS layer's "fast 64-bit public-key code"):
   - RFC 7748's vectors: section 5.2 (two single products, the iterated test at 1 and
     1,000 iterations) and section 6.1's Diffie-Hellman exchange;
   - differential against BearSSL's own br_ec_c25519_m31 and _i31 (code we did not write):
     random (scalar, u) pairs of every length, edge u-coordinates (0, 1, p-1, p, p+1,
     2^255-1, the points of small order, top bit set), edge scalars, bad lengths, mulgen:
     the same return value and the same bytes, the point left alone on failure;
   - every other curve and call goes to BearSSL's default implementation;
   - constant time: under valgrind the scalar is marked undefined ("ctgrind"): a branch or
     a memory index that depends on it is a "Conditional jump or move depends on
     uninitialised value(s)" error, and the valgrind run fails (--error-exitcode);
   - real handshakes: openssl s_server offering X25519 only (ECDSA and RSA keys), cdrest's
     engine using our implementation, and the server's trace naming the X25519 group it
     shook hands with; then P-256 only, which ours hands to BearSSL's code.
   With CDREST_NO_FAST_PK or without unsigned __int128, the engine uses BearSSL's default
   and only that is checked. CDREST_VALGRIND=1 (or running under valgrind) scales down. */
#include "test.h"
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <time.h>
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>

#if !defined(CDREST_NO_TLS) && defined(CDREST__FAST_PK)
static int under_valgrind;

/* --- helpers ------------------------------------------------------------------------- */

static void unhex(unsigned char *out, const char *hex) {
    size_t i;
    for (i = 0; hex[2 * i]; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

static void tohex(char *out, const unsigned char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static int check_hex(const unsigned char *got, const char *want, const char *what) {
    char h[65];
    tohex(h, got, 32);
    return test_check_str(h, want, __FILE__, __LINE__, what);
}

/* splitmix64: reproducible pseudo-random bytes (the seed is printed). */
static uint64_t rng_state;
static uint64_t rng64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static void rng_bytes(unsigned char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) b[i] = (unsigned char)rng64();
}

/* Ours, with the scalar marked secret for valgrind ("ctgrind"): every branch or index on
   it in the ladder is an error there. The result derives from the scalar: declassified
   before it is compared. */
static uint32_t our_mul(unsigned char *G, size_t Glen, const unsigned char *x, size_t xlen) {
    unsigned char k[64];
    unsigned long errors = (unsigned long)VALGRIND_COUNT_ERRORS;
    uint32_t r;
    memcpy(k, x, xlen);
    VALGRIND_MAKE_MEM_UNDEFINED(k, xlen);
    r = cdrest__x25519_ec.mul(G, Glen, k, xlen, BR_EC_curve25519);
    VALGRIND_MAKE_MEM_DEFINED(G, Glen);
    CHECK_INT((unsigned long)VALGRIND_COUNT_ERRORS, errors); /* no secret-dependent branch */
    return r;
}
static size_t our_mulgen(unsigned char *R, const unsigned char *x, size_t xlen) {
    unsigned char k[64];
    unsigned long errors = (unsigned long)VALGRIND_COUNT_ERRORS;
    size_t r;
    memcpy(k, x, xlen);
    VALGRIND_MAKE_MEM_UNDEFINED(k, xlen);
    r = cdrest__x25519_ec.mulgen(R, k, xlen, BR_EC_curve25519);
    VALGRIND_MAKE_MEM_DEFINED(R, 32);
    CHECK_INT((unsigned long)VALGRIND_COUNT_ERRORS, errors);
    return r;
}

/* --- RFC 7748 --------------------------------------------------------------------------- */

static void test_rfc7748_52(void) {
    static const char *const v[2][3] = { { "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                                           "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                                           "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
                                         /* this u has its top bit set (0x93): it is ignored */
                                         { "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                                           "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                                           "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" } };
    unsigned char k[32], u[32];
    int i;
    for (i = 0; i < 2; i++) {
        unhex(k, v[i][0]);
        unhex(u, v[i][1]);
        CHECK_INT(our_mul(u, 32, k, 32), 1);
        check_hex(u, v[i][2], "RFC 7748 5.2 vector");
    }
}

/* k = u = 9; then (k, u) = (X25519(k, u), k), n times. */
static void iterate(unsigned char k[32], int n) {
    unsigned char u[32], r[32];
    int i;
    memset(k, 0, 32);
    k[0] = 9;
    memcpy(u, k, 32);
    for (i = 0; i < n; i++) {
        memcpy(r, u, 32);
        if (!CHECK_INT(our_mul(r, 32, k, 32), 1)) return;
        memcpy(u, k, 32);
        memcpy(k, r, 32);
    }
}

static void test_rfc7748_iterated(void) {
    unsigned char k[32];
    iterate(k, 1);
    check_hex(k, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", "iterated, 1");
    iterate(k, 1000);
    check_hex(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", "iterated, 1,000");
}

static void test_rfc7748_61(void) {
    unsigned char a[32], b[32], pa[32], pb[32], s1[32], s2[32];
    unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    CHECK_INT(our_mulgen(pa, a, 32), 32);
    check_hex(pa, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "Alice's public key");
    CHECK_INT(our_mulgen(pb, b, 32), 32);
    check_hex(pb, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", "Bob's public key");
    memcpy(s1, pb, 32);
    CHECK_INT(our_mul(s1, 32, a, 32), 1);
    memcpy(s2, pa, 32);
    CHECK_INT(our_mul(s2, 32, b, 32), 1);
    check_hex(s1, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", "shared secret (Alice)");
    check_hex(s2, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", "shared secret (Bob)");
}

/* --- differential against BearSSL --------------------------------------------------------- */

/* One (point, scalar) through ours and BearSSL's m31 and (with_i31) i31: the same return
   value and the same bytes in the whole buffer (on failure: the point untouched). */
static int diff_mul(const unsigned char *G, size_t Glen, const unsigned char *x, size_t xlen, int with_i31) {
    unsigned char ours[40], m31[40], i31[40];
    uint32_t r, rm, ri;
    int ok;
    memset(ours, 0xA5, sizeof ours);
    memcpy(ours, G, Glen);
    memcpy(m31, ours, sizeof ours);
    memcpy(i31, ours, sizeof ours);
    r = our_mul(ours, Glen, x, xlen);
    rm = br_ec_c25519_m31.mul(m31, Glen, x, xlen, BR_EC_curve25519);
    ok = r == rm && memcmp(ours, m31, sizeof ours) == 0;
    if (with_i31) {
        ri = br_ec_c25519_i31.mul(i31, Glen, x, xlen, BR_EC_curve25519);
        ok = ok && r == ri && memcmp(ours, i31, sizeof ours) == 0;
    }
    if (!ok) {
        char hg[81], hx[81], ho[81], hm[81];
        tohex(hg, G, Glen < 40 ? Glen : 40);
        tohex(hx, x, xlen < 40 ? xlen : 40);
        tohex(ho, ours, 32);
        tohex(hm, m31, 32);
        fprintf(stderr, "differ: G=%s (%lu) x=%s (%lu): ours %u %s, m31 %u %s\n", hg, (unsigned long)Glen, hx,
                (unsigned long)xlen, (unsigned)r, ho, (unsigned)rm, hm);
    }
    return ok;
}

static int diff_mulgen(const unsigned char *x, size_t xlen) {
    unsigned char ours[40], m31[40];
    size_t r, rm;
    memset(ours, 0x5A, sizeof ours);
    memcpy(m31, ours, sizeof ours);
    r = our_mulgen(ours, x, xlen);
    rm = br_ec_c25519_m31.mulgen(m31, x, xlen, BR_EC_curve25519);
    return r == rm && memcmp(ours, m31, sizeof ours) == 0;
}

static void test_random(int n, int i31_every) {
    unsigned char G[32], x[33];
    int i, bad = 0, bad_gen = 0;
    for (i = 0; i < n; i++) {
        size_t xlen = 32;
        rng_bytes(G, 32);
        rng_bytes(x, 33);
        if (i % 8 == 7) xlen = (size_t)(rng64() % 34); /* short scalars, and 33: refused */
        if (!diff_mul(G, 32, x, xlen, i % i31_every == 0)) bad++;
        if (i % 4 == 0 && !diff_mulgen(x, xlen)) bad_gen++;
    }
    test_check_int(bad, 0, __FILE__, __LINE__, "random pairs differing from BearSSL");
    test_check_int(bad_gen, 0, __FILE__, __LINE__, "random mulgen differing from BearSSL");
    printf("differential: %d random (scalar, u) pairs vs m31, %d of them vs i31 too, %d mulgen\n", n,
           (n + i31_every - 1) / i31_every, (n + 3) / 4);
}

/* u = v + d (d small), 32 bytes little-endian; v given in hex big-endian (as printed). */
static void u_of(unsigned char u[32], const char *be_hex, int d) {
    unsigned char be[32];
    int i, carry = d;
    unhex(be, be_hex);
    for (i = 0; i < 32; i++) u[i] = be[31 - i];
    for (i = 0; i < 32 && carry; i++) {
        int s = u[i] + carry;
        u[i] = (unsigned char)s;
        carry = s >> 8;
    }
}

static void test_edges(void) {
    /* big-endian hex */
    static const char *const P = "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed";
    static const char *const ZERO = "0000000000000000000000000000000000000000000000000000000000000000";
    static const char *const MAX255 = "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    static const char *const MAX256 = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    static const char *const TOP = "8000000000000000000000000000000000000000000000000000000000000000";
    /* the u-coordinates of the points of order 8 (little-endian hex); 0 (order 4... 2),
       1 (order 4) and p-1 (order 2... 4) are among the edges above */
    static const char *const low8[2] = { "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
                                         "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157" };
    struct {
        const char *v;
        int d;
        int zero; /* every scalar gives 0 (a point of small order, or 0 itself) */
    } e[] = { { ZERO, 0, 1 }, { ZERO, 1, 1 },   { ZERO, 9, 0 },   { P, -1, 1 },  { P, 0, 1 },   { P, 1, 1 },
              { P, 9, 0 },    { MAX255, 0, 0 }, { MAX256, 0, 0 }, { TOP, 0, 1 }, { TOP, 1, 1 }, { TOP, 9, 0 } };
    unsigned char u[32], x[33], r[32];
    size_t i, j;
    int n = 0, zeros_ok = 1;
    for (i = 0; i < sizeof e / sizeof e[0] + 2 + 2; i++) {
        int zero;
        if (i < sizeof e / sizeof e[0]) {
            if (e[i].d >= 0)
                u_of(u, e[i].v, e[i].d);
            else { /* p - 1 */
                u_of(u, e[i].v, 0);
                u[0] = (unsigned char)(u[0] - 1);
            }
            zero = e[i].zero;
        } else if (i < sizeof e / sizeof e[0] + 2) {
            unhex(u, low8[i - sizeof e / sizeof e[0]]);
            zero = 1;
        } else { /* the order-8 points with the top bit set: the same points */
            unhex(u, low8[i - sizeof e / sizeof e[0] - 2]);
            u[31] |= 0x80;
            zero = 1;
        }
        for (j = 0; j < 12; j++) {
            size_t xlen = 32;
            rng_bytes(x, 33);
            if (j == 0) memset(x, 0, 32);
            if (j == 1) memset(x, 0xFF, 32);
            if (j == 2) xlen = 0;
            if (j == 3) xlen = 1;
            if (j == 4) xlen = 31;
            if (j == 5) xlen = 33;
            /* i31 is slow under valgrind: there, only for the all-0 and all-1 scalars */
            if (!test_check(diff_mul(u, 32, x, xlen, !under_valgrind || j < 2), __FILE__, (int)i,
                            "edge u-coordinate vs BearSSL"))
                continue;
            n++;
            if (zero && xlen <= 32) {
                memcpy(r, u, 32);
                our_mul(r, 32, x, xlen);
                for (xlen = 0; xlen < 32 && !r[xlen]; xlen++) {}
                if (xlen != 32) zeros_ok = 0; /* the shared secret of a small-order point: 0, success */
            }
        }
    }
    CHECK(zeros_ok);
    printf("edges: %d (u, scalar) pairs\n", n);
}

/* Lengths: a point of another length than 32 or a scalar over 32 bytes fails and leaves the
   buffer as it was (BearSSL's rule); mulgen then still answers 32 with the generator. */
static void test_lengths(void) {
    unsigned char G[40], x[40];
    size_t glen[] = { 0, 1, 31, 33, 40 }, xlen[] = { 33, 40 };
    size_t i;
    rng_bytes(G, sizeof G);
    rng_bytes(x, sizeof x);
    for (i = 0; i < sizeof glen / sizeof glen[0]; i++) CHECK(diff_mul(G, glen[i], x, 32, 1));
    for (i = 0; i < sizeof xlen / sizeof xlen[0]; i++) {
        unsigned char before[40];
        memcpy(before, G, 40);
        CHECK(diff_mul(G, 32, x, xlen[i], 1));
        CHECK_INT(our_mul(G, 32, x, xlen[i]), 0);
        CHECK(memcmp(G, before, 40) == 0);
        CHECK(diff_mulgen(x, xlen[i]));
    }
    for (i = 0; i <= 33; i++) CHECK(diff_mulgen(x, i));
}

/* Everything but Curve25519's mul and mulgen is BearSSL's default implementation's. */
static void test_delegation(void) {
    const br_ec_impl *def = br_ec_get_default();
    static const int curves[] = { BR_EC_curve25519, BR_EC_secp256r1, BR_EC_secp384r1, BR_EC_secp521r1 };
    unsigned char x[32], a[133], b[133], c[133];
    size_t i, la, lb, ld;
    CHECK_INT(cdrest__x25519_ec.supported_curves, def->supported_curves);
    for (i = 0; i < sizeof curves / sizeof curves[0]; i++) {
        int cv = curves[i];
        const unsigned char *g1 = cdrest__x25519_ec.generator(cv, &la), *g2 = def->generator(cv, &lb);
        CHECK(la == lb && memcmp(g1, g2, la) == 0);
        g1 = cdrest__x25519_ec.order(cv, &la);
        g2 = def->order(cv, &lb);
        CHECK(la == lb && memcmp(g1, g2, la) == 0);
        CHECK_INT(cdrest__x25519_ec.xoff(cv, &la), def->xoff(cv, &lb));
        CHECK_INT(la, lb);
    }
    /* P-256: mulgen, mul, muladd give BearSSL's answers */
    rng_bytes(x, 32);
    x[0] &= 0x7F;
    la = cdrest__x25519_ec.mulgen(a, x, 32, BR_EC_secp256r1);
    lb = def->mulgen(b, x, 32, BR_EC_secp256r1);
    CHECK(la == 65 && la == lb && memcmp(a, b, la) == 0);
    memcpy(c, a, 65);
    CHECK_INT(cdrest__x25519_ec.mul(a, 65, x, 32, BR_EC_secp256r1), def->mul(b, 65, x, 32, BR_EC_secp256r1));
    CHECK(memcmp(a, b, 65) == 0);
    memcpy(a, c, 65);
    memcpy(b, c, 65);
    CHECK_INT(cdrest__x25519_ec.muladd(a, NULL, 65, x, 32, x, 32, BR_EC_secp256r1),
              def->muladd(b, NULL, 65, x, 32, x, 32, BR_EC_secp256r1));
    CHECK(memcmp(a, b, 65) == 0);
    /* Curve25519 has no muladd (ECDSA only): 0, as BearSSL's */
    memset(a, 9, 32);
    CHECK_INT(cdrest__x25519_ec.muladd(a, NULL, 32, x, 32, x, 32, BR_EC_curve25519), 0);
    ld = cdrest__x25519_ec.mulgen(a, x, 20, BR_EC_secp384r1);
    CHECK_INT(ld, def->mulgen(b, x, 20, BR_EC_secp384r1));
    CHECK(memcmp(a, b, ld) == 0);
}

/* --- a real handshake ----------------------------------------------------------------------- */

static char dir[256];

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(const char *cmd) {
    int rc = system(cmd);
    return rc == 0;
}

/* openssl s_server -tls1_2 -groups GROUP -www -trace with a P-256 key (or RSA-2048) made
   here; its trace (the messages it sends and receives, decoded) goes to s_server.log. */
static pid_t start_s_server(int port, const char *key, const char *group) {
    char acc[32], cert[300], keyf[300], log[300];
    int64_t until = now_ms() + 10000;
    pid_t pid;
    snprintf(acc, sizeof acc, "127.0.0.1:%d", port);
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, key);
    snprintf(keyf, sizeof keyf, "%s/%s.key", dir, key);
    snprintf(log, sizeof log, "%s/s_server.log", dir);
    pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        /* stdbuf: the trace is written as it happens, not when stdio's buffer fills */
        execlp("stdbuf", "stdbuf", "-o0", "openssl", "s_server", "-accept", acc, "-cert", cert, "-key", keyf, "-tls1_2",
               "-groups", group, "-www", "-trace", (char *)NULL);
        _exit(127);
    }
    while (now_ms() < until) {
        struct sockaddr_in a;
        int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok) return pid;
        if (waitpid(pid, NULL, WNOHANG) == pid) return 0;
        usleep(20000);
    }
    test_stop_server(pid);
    return 0;
}

/* A GET through s_server offering only `group` (X25519, or P-256: the curve our
   implementation hands to BearSSL's); trace_name is how its trace names the group. */
static void handshake(const char *key, const char *group, int curve, const char *trace_name) {
    char url[64];
    int port, rc, i;
    pid_t pid = 0;
    cdrest_client c;
    cdrest_config cfg;
    cdrest_request req;
    cdrest_response resp;
    for (i = 0; i < 5 && !pid; i++) {
        port = test_free_port(0);
        pid = start_s_server(port, key, group);
    }
    if (!test_check(pid != 0, __FILE__, __LINE__, key)) return;
    snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
    memset(&cfg, 0, sizeof cfg);
    cfg.server = url;
    cfg.tls.tls_insecure_skip_verify = 1; /* the key exchange is under test, not the chain */
    cfg.timeout_ms = 20000;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/";
    rc = cdrest_http(&c, &req, &resp);
    if (!test_check_int(rc, 0, __FILE__, __LINE__, key)) fprintf(stderr, "    %s\n", cdrest_errmsg(&c));
    if (rc == 0) {
        char log[300], *trace = NULL;
        CHECK_INT(resp.status, 200);
        CHECK_CONTAINS(resp.body, "Ciphers common between both SSL end points");
        /* the engine ran ours, on that curve, and the server's trace says so too: its
           ServerKeyExchange named the group (and the Finished messages then agreed: the
           shared secret was right) */
        CHECK(c.tls->cc.eng.iec == &cdrest__x25519_ec);
        test_check_int(c.tls->cc.eng.ecdhe_curve, curve, __FILE__, __LINE__, group);
        snprintf(log, sizeof log, "%s/s_server.log", dir);
        for (i = 0; i < 100; i++) { /* s_server writes its trace as it goes */
            free(trace);
            trace = test_slurp(log, NULL);
            if (trace && strstr(trace, trace_name)) break;
            usleep(20000);
        }
        CHECK_CONTAINS(trace ? trace : "", trace_name);
        free(trace);
    }
    cdrest_free(&c);
    test_stop_server(pid);
}

static void test_handshake(void) {
    char cmd[1200];
    snprintf(dir, sizeof dir, "/tmp/cdrest-x25519.XXXXXX");
    if (!CHECK(mkdtemp(dir) != NULL)) return;
    snprintf(cmd, sizeof cmd,
             "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ecdsa.key "
             "-out ecdsa.pem -days 2 -subj /CN=localhost >/dev/null 2>&1 && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem -days 2 -subj /CN=localhost "
             ">/dev/null 2>&1",
             dir);
    if (CHECK(run(cmd))) {
        handshake("ecdsa", "X25519", BR_EC_curve25519, "named_curve: ecdh_x25519 (29)");
        handshake("rsa", "X25519", BR_EC_curve25519, "named_curve: ecdh_x25519 (29)");
        handshake("ecdsa", "P-256", BR_EC_secp256r1, "named_curve: secp256r1 (P-256) (23)");
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    run(cmd);
}
#endif

int main(void) {
#if !defined(CDREST_NO_TLS) && defined(CDREST__FAST_PK)
    const char *seed = getenv("X25519_SEED");
    int vg;
    under_valgrind = RUNNING_ON_VALGRIND != 0;
    vg = under_valgrind || getenv("CDREST_VALGRIND") != NULL;
    rng_state = seed ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL);
    printf("seed %llu (X25519_SEED=... repeats the run)\n", (unsigned long long)rng_state);
    test_rfc7748_52();
    test_rfc7748_iterated();
    test_rfc7748_61();
    test_lengths();
    test_edges();
    test_delegation();
    test_random(vg ? 120 : 10000, vg ? 8 : 1);
    test_handshake();
#else
    printf("no 64-bit X25519 in this build (CDREST_NO_TLS, CDREST_NO_FAST_PK or no __int128)\n");
#endif
    return test_summary();
}
