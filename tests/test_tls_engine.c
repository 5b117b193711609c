/* Owns the checks of the TLS engine's cryptography: a client takes the fastest implementation the
   linked BearSSL has for each job, never a portable one where a faster one runs here:
   the record layer (AES-GCM on AES-NI / POWER8 with PCLMUL / POWER8 GHASH), the server's
   RSA signature and the certificate chain's (i62: 64x64->128 multiplies), ECDHE and ECDSA
   (BearSSL's default elliptic-curve code: m31 in BearSSL 0.6, the 64-bit m62/m64 code in
   later versions, which route br_ec_get_default() there themselves) but for X25519, which
   is cdrest's own 64-bit code where the compiler has __int128, as are the ECDSA P-256 and
   RSA signature checks (BearSSL's with
   CDREST_NO_FAST_PK: build/asan/test_tls_engine_nofastpk checks that). Builds without
   TLS have nothing to check. */
#include "test.h"
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

#ifndef CDREST_NO_TLS
/* SHA-256 (the transcript, the SHA-256 suites' PRF, the chain's signed parts): cdrest's on
   the SHA extensions where this CPU has them (tests/test_sha256.c checks that it sees them;
   valgrind hides them), BearSSL's otherwise and with CDREST_NO_FAST_PK. SHA-384 suites
   keep BearSSL's PRF everywhere. */
static void check_sha256(cdrest_client *c) {
    br_ssl_engine_context *eng = &c->tls->cc.eng;
    const br_hash_class *want = &br_sha256_vtable;
    br_tls_prf_impl want_prf = br_tls12_sha256_prf;
#ifdef CDREST__SHA_NI
    if (cdrest__cpu_has_sha_ni()) want = &cdrest__sha256_vtable, want_prf = cdrest__prf_sha256;
#endif
    printf("SHA-256 %s\n", want == &br_sha256_vtable ? "BearSSL's (portable)" : "cdrest's on SHA-NI");
    CHECK(br_ssl_engine_get_hash(eng, br_sha256_ID) == want);
    CHECK(eng->prf_sha256 == want_prf);
    CHECK(br_multihash_getimpl(&c->tls->x509.u.minimal.mhash, br_sha256_ID) == want);
    CHECK(eng->prf_sha384 == br_tls12_sha384_prf);
    CHECK(br_ssl_engine_get_hash(eng, br_sha384_ID) == &br_sha384_vtable);
}

static void check_engine(int full_duplex) {
    cdrest_client c;
    cdrest_config cfg;
    br_ssl_engine_context *eng;
    const br_block_ctr_class *aes_hw = br_aes_x86ni_ctr_get_vtable();
    br_ghash gh_hw = br_ghash_pclmul_get();
    br_rsa_pkcs1_vrfy rsa62 = br_rsa_i62_pkcs1_vrfy_get();
    memset(&cfg, 0, sizeof cfg);
    cfg.server = "https://cd.example.com";
    cfg.tls.tls_insecure_skip_verify = 1; /* no anchors to load: only the engine is set up */
    cfg.tls.full_duplex = full_duplex;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest__tls_setup(&c), 0);
    if (!c.tls) return;
    eng = &c.tls->cc.eng;
    if (!aes_hw) aes_hw = br_aes_pwr8_ctr_get_vtable();
    if (!gh_hw) gh_hw = br_ghash_pwr8_get();
    printf("AES-CTR %s, GHASH %s, RSA verify %s, EC %s, record buffer %lu bytes\n",
           aes_hw ? "hardware" : "portable (no AES-NI/POWER8 here)", gh_hw ? "hardware" : "portable",
           rsa62 ? "i62" : "i31/i15",
           eng->iec == &br_ec_all_m31        ? "all_m31"
           : eng->iec == br_ec_get_default() ? "default"
                                             : "cdrest's X25519 + default",
           (unsigned long)c.tls->iobuf_len);
    if (aes_hw) CHECK(eng->iaes_ctr == aes_hw);
    if (gh_hw) CHECK(eng->ighash == gh_hw);
#ifdef CDREST__FAST_PK
    /* 64-bit builds check signatures with cdrest's own code (tests/test_sigcheck.c), the
       server's and the chain's; the chain keeps BearSSL's EC code for other curves */
    CHECK(eng->irsavrfy == cdrest__rsa_pkcs1_vrfy);
    CHECK(c.tls->x509.u.minimal.irsa == cdrest__rsa_pkcs1_vrfy);
    CHECK(eng->iecdsa == cdrest__ecdsa_vrfy_asn1);
    CHECK(c.tls->x509.u.minimal.iecdsa == cdrest__ecdsa_vrfy_asn1);
    if (rsa62) CHECK(c.tls->cc.irsapub == br_rsa_i62_public_get());
#else
    if (rsa62) {
        CHECK(eng->irsavrfy == rsa62);
        CHECK(c.tls->x509.u.minimal.irsa == rsa62); /* the chain's signatures too */
        CHECK(c.tls->cc.irsapub == br_rsa_i62_public_get());
    }
    CHECK(eng->iecdsa == br_ecdsa_vrfy_asn1_get_default());
    CHECK(c.tls->x509.u.minimal.iecdsa == br_ecdsa_vrfy_asn1_get_default());
#endif
#ifdef CDREST__FAST_PK
    /* ECDHE: cdrest's 64-bit X25519, every other curve through it to BearSSL's default */
    CHECK(eng->iec == &cdrest__x25519_ec);
    CHECK(eng->iec->supported_curves == br_ec_get_default()->supported_curves);
#else
    CHECK(eng->iec == br_ec_get_default()); /* CDREST_NO_FAST_PK, or no __int128 */
#endif
    CHECK(c.tls->x509.u.minimal.iec == br_ec_get_default());
    check_sha256(&c);
    /* one shared record buffer by default, two on request */
    CHECK_INT((long)c.tls->iobuf_len, full_duplex ? BR_SSL_BUFSIZE_BIDI : BR_SSL_BUFSIZE_MONO);
    cdrest_free(&c);
}
#endif

int main(void) {
#ifndef CDREST_NO_TLS
    check_engine(0);
    check_engine(1);
#endif
    return test_summary();
}
