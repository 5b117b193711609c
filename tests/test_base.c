/* Owns the checks of the base section's primitives: each replaced two or three private copies in
   the JSON, text, TLS and HTTP layers, so each must answer exactly as every copy did, for
   every byte value, whether it arrives as an unsigned byte or as a (signed) plain char.
   The old definitions are written out here as the reference. */
#include "test.h"
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

/* The JSON layer's copies (cdrest__json_hex, cdrest__json_is_digit). */
static int old_json_hex(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}
static int old_json_is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* The TLS layer's lower-casing (cdrest__tls_lower), used by its name comparisons. */
static int old_tls_lower(int ch) {
    return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* The text layer's word comparison (cdrest__ieq), w lower-case. */
static int old_ieq(const char *s, size_t n, const char *w) {
    size_t i;
    for (i = 0; i < n; i++)
        if (!w[i] || old_tls_lower((unsigned char)s[i]) != w[i]) return 0;
    return w[n] == 0;
}

static void test_classes(void) {
    int b, bad_hex = 0, bad_digit = 0, bad_lower = 0, hexes = 0, digits = 0;
    for (b = 0; b < 256; b++) {
        char ch = (char)b; /* negative for b >= 128 where char is signed */
        bad_hex += cdrest__hex_value(b) != old_json_hex((unsigned char)b);
        bad_hex += cdrest__hex_value((unsigned char)ch) != old_json_hex((unsigned char)ch);
        bad_hex += cdrest__hex_value(ch) != old_json_hex((unsigned char)ch); /* a plain char passed as is */
        bad_digit += cdrest__is_digit(ch) != old_json_is_digit(ch);
        bad_digit += cdrest__is_digit(b) != old_json_is_digit(ch);
        bad_lower += cdrest__to_lower(b) != old_tls_lower(b);
        hexes += cdrest__hex_value(b) >= 0;
        digits += cdrest__is_digit(b);
    }
    CHECK_INT(bad_hex, 0);
    CHECK_INT(bad_digit, 0);
    CHECK_INT(bad_lower, 0);
    CHECK_INT(hexes, 22); /* 0-9, a-f, A-F: nothing from the high half (no |0x20 aliasing) */
    CHECK_INT(digits, 10);
    CHECK_INT(cdrest__hex_value('F'), 15);
    CHECK_INT(cdrest__hex_value('f'), 15);
    CHECK_INT(cdrest__hex_value('G'), -1);
    CHECK_INT(cdrest__hex_value(0xc6), -1); /* 'F' | 0x80 */
}

static void test_compare(void) {
    static const char *const words[] = { "chunked", "close", "keep-alive", "content-length", "localhost", ".pem", "" };
    int a, b, bad = 0;
    size_t i;
    /* every pair of bytes, as a one-byte span: equal ignoring ASCII case, and nothing else */
    for (a = 0; a < 256; a++)
        for (b = 0; b < 256; b++) {
            char x = (char)a, y = (char)b;
            bad += cdrest__same_ci(&x, &y, 1) != (old_tls_lower(a) == old_tls_lower(b));
        }
    CHECK_INT(bad, 0);
    CHECK(cdrest__same_ci("Content-LENGTH", "content-length", 14));
    CHECK(!cdrest__same_ci("content-lengtx", "content-length", 14));
    CHECK(cdrest__same_ci("x", "y", 0));
    /* the word comparison, against its old loop: shorter, longer, other case, other bytes */
    for (i = 0; i < sizeof words / sizeof words[0]; i++) {
        static const char *const spans[] = { "CHUNKED",    "chunke",         "chunkedx",  "Close", "KEEP-ALIVE",
                                             "keep_alive", "Content-Length", "LocalHost", ".PEM",  ".pe",
                                             "",           "\xc3\xa9" };
        size_t k;
        for (k = 0; k < sizeof spans / sizeof spans[0]; k++) {
            size_t n = strlen(spans[k]);
            if (cdrest__ieq(spans[k], n, words[i]) != old_ieq(spans[k], n, words[i])) {
                bad++;
                printf("  ieq(\"%s\", \"%s\") differs\n", spans[k], words[i]);
            }
        }
    }
    CHECK_INT(bad, 0);
    CHECK(cdrest__ieq("Chunked", 7, "chunked"));
    CHECK(!cdrest__ieq("Chunked", 6, "chunked"));
}

static void test_sizes(void) {
    const size_t max = (size_t)-1;
    unsigned char secret[32];
    size_t i, left = 0;
    CHECK(cdrest__add(1, 2) == 3);
    CHECK(cdrest__add(max - 1, 1) == max);
    CHECK(cdrest__add(max - 1, 2) == max); /* saturates, never wraps to 0 */
    CHECK(cdrest__add(max, max) == max);
    CHECK(cdrest__add(0, max) == max);
    memset(secret, 0xa5, sizeof secret);
    cdrest__wipe(secret + 8, 16);
    for (i = 0; i < sizeof secret; i++) left += secret[i] != (i >= 8 && i < 24 ? 0 : 0xa5);
    CHECK_INT(left, 0);
}

/* An error line longer than its buffer ends in "..." (it is cut, and says so). */
static void test_long_error_line(void) {
    cdrest_error e;
    char long_word[CDREST_ERRMSG_SIZE * 2];
    memset(long_word, 'x', sizeof long_word - 1);
    long_word[sizeof long_word - 1] = 0;
    CHECK_INT(cdrest_error_set(&e, CDREST_E_ARG, "short %d", 1), CDREST_E_ARG);
    CHECK_STR(e.msg, "short 1");
    cdrest_error_set(&e, CDREST_E_ARG, "%.*s", CDREST_ERRMSG_SIZE - 1, long_word); /* fits exactly */
    CHECK_INT((long)strlen(e.msg), CDREST_ERRMSG_SIZE - 1);
    CHECK(e.msg[CDREST_ERRMSG_SIZE - 2] == 'x');
    cdrest_error_set(&e, CDREST_E_ARG, "%s", long_word);
    CHECK_INT((long)strlen(e.msg), CDREST_ERRMSG_SIZE - 1);
    CHECK(strcmp(e.msg + CDREST_ERRMSG_SIZE - 4, "...") == 0);
}

/* cdrest__b64_value (TLS layer: pins and PEM) against the RFC 4648 alphabet, for every byte. */
static void test_b64_value(void) {
#ifndef CDREST_NO_TLS
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int b, bad = 0;
    for (b = 0; b < 256; b++) {
        const char *at = b ? strchr(alphabet, b) : NULL;
        bad += cdrest__b64_value(b) != (at ? (int)(at - alphabet) : -1);
    }
    CHECK_INT(bad, 0);
#endif
}

int main(void) {
    test_b64_value();
    test_long_error_line();
    test_classes();
    test_compare();
    test_sizes();
    return test_summary();
}
