/* SPDX-License-Identifier: MIT */
/* Owns the checks of the TLS layer's error words (cdrest__tls_describe, cdrest__tls_fail):
   every row of the {code, text} table is what that code says (no earlier check shadows a
   row: BR_ERR_X509_EMPTY_CHAIN once sat behind the "malformed" range and was never said),
   each code has one row, the alerts are named, and the cases that need the connection's
   state (the host, the key, the chain's reasons, the first bytes) say it. The message is
   "TLS: WORDS (BearSSL N | cdrest N) for host H". Builds without TLS have nothing to check. */
#include "test.h"
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

#ifndef CDREST_NO_TLS
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *words(struct cdrest__tls *t, int err) {
    static char w[200];
    memset(w, 'Z', sizeof w);
    cdrest__tls_describe(t, err, w, sizeof w);
    return w;
}

/* Each table row is reachable and said as written; each code has one row. */
static void check_tables(struct cdrest__tls *t) {
    size_t i, j;
    char want[200];
    for (i = 0; i < COUNT(cdrest__tls_errors); i++) {
        CHECK_STR(words(t, cdrest__tls_errors[i].code), cdrest__tls_errors[i].text);
        for (j = i + 1; j < COUNT(cdrest__tls_errors); j++)
            CHECK(cdrest__tls_errors[i].code != cdrest__tls_errors[j].code);
    }
    for (i = 0; i < COUNT(cdrest__tls_alerts); i++) {
        int a = cdrest__tls_alerts[i].code;
        for (j = i + 1; j < COUNT(cdrest__tls_alerts); j++) CHECK(a != cdrest__tls_alerts[j].code);
        snprintf(want, sizeof want, "BearSSL aborted the connection with a %s alert", cdrest__tls_alerts[i].text);
        CHECK_STR(words(t, BR_ERR_SEND_FATAL_ALERT + a), want);
        if (a == 40 || a == 42 || a == 70 || a == 112 || a == 116) continue; /* their causes, below */
        snprintf(want, sizeof want, "the server sent a fatal alert: %s", cdrest__tls_alerts[i].text);
        CHECK_STR(words(t, BR_ERR_RECV_FATAL_ALERT + a), want);
    }
}

static void check_words(struct cdrest__tls *t) {
    int e;
    char b64[48];
    CHECK_STR(words(t, BR_ERR_X509_EMPTY_CHAIN), "the server sent no certificate");
    for (e = BR_ERR_X509_INVALID_VALUE; e <= BR_ERR_X509_BAD_TIME; e++)
        if (e != BR_ERR_X509_EMPTY_CHAIN) CHECK_STR(words(t, e), "the server's certificate is malformed");
    CHECK_STR(words(t, 1100), "TLS error");
    CHECK_STR(words(t, BR_ERR_RECV_FATAL_ALERT + 255), "the server sent a fatal alert: unknown");
    CHECK_CONTAINS(words(t, BR_ERR_RECV_FATAL_ALERT + 70), "requires TLS 1.3");
    CHECK_CONTAINS(words(t, BR_ERR_RECV_FATAL_ALERT + 40), "refused the handshake (handshake_failure alert)");
    CHECK_CONTAINS(words(t, BR_ERR_RECV_FATAL_ALERT + 112), "does not serve this host name");
    CHECK_STR(words(t, BR_ERR_RECV_FATAL_ALERT + 116),
              "the server wants a client certificate, which cdrest does not send (certificate_required alert)");
    CHECK_CONTAINS(words(t, BR_ERR_RECV_FATAL_ALERT + 42), "(bad_certificate alert)");

    /* the chain's reasons, kept by the X.509 engine */
    strcpy(t->x509.why, "WHY");
    strcpy(t->x509.why_sig, "WHY-SIG");
    strcpy(t->x509.why_path, "WHY-PATH");
    strcpy(t->x509.why_ku, "WHY-KU");
    CHECK_STR(words(t, CDREST_TLS_ERR_CERT_TOO_BIG), "WHY");
    CHECK_STR(words(t, CDREST_TLS_ERR_KEY_PURPOSE), "WHY");
    CHECK_STR(words(t, CDREST_TLS_ERR_NAME_CONSTRAINTS), "WHY");
    CHECK_STR(words(t, CDREST_TLS_ERR_WEAK_SIGNATURE), "WHY-SIG");
    CHECK_STR(words(t, CDREST_TLS_ERR_PATH_LENGTH), "WHY-PATH");
    CHECK_STR(words(t, BR_ERR_X509_FORBIDDEN_KEY_USAGE), "the certificate's key usage forbids a TLS server");
    t->x509.ku = 1; /* a CA's key usage */
    CHECK_STR(words(t, BR_ERR_X509_FORBIDDEN_KEY_USAGE), "WHY-KU");
    CHECK_CONTAINS(words(t, BR_ERR_X509_WEAK_PUBLIC_KEY), "shorter than 2048 bits");
    t->x509.policy = BR_ERR_X509_WEAK_PUBLIC_KEY; /* counted in bits, the CA named */
    CHECK_STR(words(t, BR_ERR_X509_WEAK_PUBLIC_KEY), "WHY");
    CHECK_CONTAINS(words(t, BR_ERR_X509_EXPIRED), "expired or not yet valid"); /* no leaf: no dates */
    t->x509.policy = BR_ERR_X509_EXPIRED;                                      /* an anchor's dates */
    CHECK_STR(words(t, BR_ERR_X509_EXPIRED), "WHY");
    CHECK_STR(words(t, BR_ERR_X509_BAD_SERVER_NAME), "certificate is for another name (none), not h.example");
    CHECK_CONTAINS(words(t, BR_ERR_X509_NOT_TRUSTED), "certificate not trusted");
    CHECK_CONTAINS(words(t, CDREST_TLS_ERR_CN_ONLY), "certificate names h.example only in its subject CN");
    memset(t->key_hash, 0xab, 32);
    cdrest_base64_encode(b64, sizeof b64, t->key_hash, 32);
    CHECK(strstr(words(t, CDREST_TLS_ERR_PIN_MISMATCH), b64) != NULL);

    /* a server that does not speak TLS, told by its first bytes (before the handshake ends) */
    memcpy(t->first, "HTTP/", 5);
    t->first_len = 5;
    CHECK_CONTAINS(words(t, BR_ERR_BAD_VERSION), "answered in plain HTTP");
    CHECK_STR(words(t, BR_ERR_X509_NOT_CA), "a certificate that is not a CA signed another in the chain");
    memcpy(t->first, "\x01\x02\x03", 3);
    t->first_len = 3;
    CHECK_CONTAINS(words(t, BR_ERR_TOO_LARGE), "did not speak TLS");
    memcpy(t->first, "\x16\x03\x03", 3); /* a handshake record: TLS, so the table speaks */
    CHECK_STR(words(t, BR_ERR_TOO_LARGE), "the server sent a malformed TLS record");
    memcpy(t->first, "\x16\x02\x03", 3); /* a record type of TLS, but no version 3.x */
    CHECK_CONTAINS(words(t, BR_ERR_UNSUPPORTED_VERSION), "did not speak TLS");
    t->open = 1; /* after the handshake it was TLS */
    CHECK_STR(words(t, BR_ERR_UNSUPPORTED_VERSION),
              cdrest__tls_lookup(cdrest__tls_errors, COUNT(cdrest__tls_errors), BR_ERR_UNSUPPORTED_VERSION));
}

static void check_message(cdrest_client *c) {
    CHECK_INT(cdrest__tls_fail(c, c->tls, BR_ERR_X509_EMPTY_CHAIN), CDREST_E_TLS);
    CHECK_INT(c->err.tls_error, BR_ERR_X509_EMPTY_CHAIN);
#ifdef CDREST_TERSE_ERRORS
    CHECK_STR(cdrest_errmsg(c), cdrest_strerror(CDREST_E_TLS));
#else
    CHECK_STR(cdrest_errmsg(c), "TLS: the server sent no certificate (BearSSL 35) for host h.example");
    CHECK_INT(cdrest__tls_fail(c, c->tls, 1100), CDREST_E_TLS);
    CHECK_STR(cdrest_errmsg(c), "TLS: TLS error (cdrest 1100) for host h.example");
#endif
}
#endif

int main(void) {
#ifndef CDREST_NO_TLS
    cdrest_client c;
    cdrest_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = "https://h.example";
    cfg.tls.tls_insecure_skip_verify = 1; /* no anchors to load: only the state is set up */
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest__tls_setup(&c), 0);
    if (c.tls) {
        strcpy(c.tls->name, "h.example");
        check_tables(c.tls);
        check_message(&c);
        check_words(c.tls);
    }
    cdrest_free(&c);
#endif
    return test_summary();
}
