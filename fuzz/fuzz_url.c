/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the text layer: URL parsing, percent-encoding and base64.
   Input: the text (up to its first NUL) of a URL, also used as the bytes to encode.
   Besides "no crash, no sanitizer report", it aborts when:
   - a URL is accepted but its parts break their promises (scheme, a non-empty lower-case
     host of allowed characters, port 1..65535 with the right default, a base path of
     pchars with no trailing '/'), or the URL put back together from the parts does not
     parse to the same parts again;
   - a refusal is not CDREST_E_ARG with an "invalid URL" message, or echoes userinfo;
   - percent-encoding (each mode) does not decode back to the input, keeps a byte the
     mode must encode, or writes more than "" into a buffer too short (all or nothing);
   - base64 does not decode back (with a decoder written here) or has the wrong length. */
#define CDREST_IMPLEMENTATION
#include "fuzz.h"

static int unreserved(int ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
           ch == '_' || ch == '~';
}

static void check_url(const char *s) {
    cdrest_url u, v;
    cdrest_error e;
    char again[1024];
    size_t i;
    int rc;
    memset(&e, 0, sizeof e);
    rc = cdrest_url_parse(&u, s, &e);
    if (rc != 0) {
        REQUIRE(rc == CDREST_E_ARG && e.code == rc);
        REQUIRE(!strncmp(e.msg, "invalid URL: ", 13));
        REQUIRE(memchr(e.msg, 0, sizeof e.msg));
        return;
    }
    REQUIRE(u.host[0] != 0 && memchr(u.host, 0, sizeof u.host));
    REQUIRE(u.port >= 1);
    {
        const char *a = strstr(s, "://"), *end;
        REQUIRE(a != NULL);
        a += 3;
        end = a + strcspn(a, "/?#");
        REQUIRE(!memchr(a, '@', (size_t)(end - a)));
    }
    for (i = 0; u.host[i]; i++) {
        int ch = (unsigned char)u.host[i];
        REQUIRE(!(ch >= 'A' && ch <= 'Z'));
        if (u.ipv6)
            REQUIRE((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == ':' || ch == '.');
        else
            REQUIRE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_');
    }
    {
        size_t bl = strlen(u.base_path);
        REQUIRE(bl == 0 || (u.base_path[0] == '/' && u.base_path[bl - 1] != '/'));
        for (i = 0; i < bl; i++)
            REQUIRE((unsigned char)u.base_path[i] > ' ' && u.base_path[i] != 0x7f && u.base_path[i] != '?' &&
                    u.base_path[i] != '#');
    }
    /* put back together, parsed again: the same */
    snprintf(again, sizeof again, "%s://%s%s%s:%u%s", u.https ? "https" : "http", u.ipv6 ? "[" : "", u.host,
             u.ipv6 ? "]" : "", (unsigned)u.port, u.base_path);
    REQUIRE(cdrest_url_parse(&v, again, &e) == 0);
    REQUIRE(v.https == u.https && v.ipv6 == u.ipv6 && v.port == u.port);
    REQUIRE(!strcmp(v.host, u.host) && !strcmp(v.base_path, u.base_path));
}

static void check_percent(const unsigned char *s, size_t n) {
    int mode;
    for (mode = 0; mode < 3; mode++) {
        size_t need = cdrest_percent_encode(NULL, 0, (const char *)s, n, mode), i, o = 0, small;
        char *out = (char *)malloc(need + 1), *tiny;
        unsigned char *back = (unsigned char *)malloc(n + 1);
        REQUIRE(cdrest_percent_encode(out, need + 1, (const char *)s, n, mode) == need);
        REQUIRE(out[need] == 0 && strlen(out) == need);
        for (i = 0; i < need;) {
            int ch = (unsigned char)out[i];
            if (ch == '%') {
                int hi, lo;
                REQUIRE(i + 2 < need + 1 && out[i + 1] && out[i + 2]);
                hi = cdrest__hex_value((unsigned char)out[i + 1]);
                lo = cdrest__hex_value((unsigned char)out[i + 2]);
                REQUIRE(hi >= 0 && lo >= 0);
                REQUIRE(!(out[i + 1] >= 'a' && out[i + 1] <= 'f') && !(out[i + 2] >= 'a' && out[i + 2] <= 'f'));
                back[o++] = (unsigned char)(hi * 16 + lo);
                i += 3;
            } else {
                REQUIRE(unreserved(ch) || (mode != CDREST_PCT_QUERY && (ch == ':' || ch == '@')) ||
                        (mode == CDREST_PCT_PATH && ch == '/'));
                back[o++] = (unsigned char)ch;
                i++;
            }
        }
        REQUIRE(o == n && (n == 0 || !memcmp(back, s, n)));
        /* a short buffer: the same length returned, nothing but "" written (all or nothing) */
        small = need / 2 + 1;
        tiny = (char *)malloc(small);
        memset(tiny, '#', small);
        REQUIRE(cdrest_percent_encode(tiny, small, (const char *)s, n, mode) == need);
        REQUIRE(small > need ? !strcmp(tiny, out) : tiny[0] == 0);
        free(tiny);
        free(out);
        free(back);
    }
}

static int b64val(int ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

static void check_base64(const unsigned char *s, size_t n) {
    size_t need = cdrest_base64_encode(NULL, 0, s, n), i, o = 0;
    char *out = (char *)malloc(need + 1);
    unsigned char *back = (unsigned char *)malloc(n + 3);
    REQUIRE(need == (n + 2) / 3 * 4);
    REQUIRE(cdrest_base64_encode(out, need + 1, s, n) == need && strlen(out) == need);
    for (i = 0; i < need; i += 4) {
        int a = b64val(out[i]), b = b64val(out[i + 1]), c = out[i + 2] == '=' ? 0 : b64val(out[i + 2]),
            d = out[i + 3] == '=' ? 0 : b64val(out[i + 3]);
        unsigned long v;
        REQUIRE(a >= 0 && b >= 0 && c >= 0 && d >= 0);
        REQUIRE(out[i + 2] != '=' || out[i + 3] == '=');
        REQUIRE((out[i + 2] != '=' && out[i + 3] != '=') || i + 4 == need);
        v = ((unsigned long)a << 18) | ((unsigned long)b << 12) | ((unsigned long)c << 6) | (unsigned long)d;
        back[o++] = (unsigned char)(v >> 16);
        if (out[i + 2] != '=') back[o++] = (unsigned char)(v >> 8);
        if (out[i + 3] != '=') back[o++] = (unsigned char)v;
    }
    REQUIRE(o == n && (n == 0 || !memcmp(back, s, n)));
    /* no room for the NUL: nothing but an empty string */
    if (need) {
        REQUIRE(cdrest_base64_encode(out, need, s, n) == need);
        REQUIRE(out[0] == 0);
    }
    free(out);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = (char *)malloc(size + 1);
    if (size) memcpy(s, data, size);
    s[size] = 0;
    check_url(s);
    check_percent(data, size);
    check_base64(data, size);
    free(s);
    return 0;
}
