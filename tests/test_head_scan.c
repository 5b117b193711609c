/* Owns the response-head value scan's checks: cdrest__http_maybe_ctl checks eight bytes at a
   time whether a header value may hold a control character or DEL. It must never miss
   one (every byte value, at every position and alignment of lines of 1..40 bytes, among
   fillers of every kind), and must clear lines of ordinary bytes (printable ASCII, space,
   obs-text 0x80-0xff), else the byte loop runs on every header and the speed-up is gone.
   CDREST_VALGRIND=1 scales the loops down. */
#include "test.h"
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

static int naive(const unsigned char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] == 0x7f) return 1;
    return 0;
}

int main(void) {
    static const unsigned char fillers[] = { ' ', 'a', '~', 0x80, 0xff, 0x7e, 0x21, 0xa0 };
    unsigned char buf[64];
    size_t n, at, off, f;
    unsigned b;
    unsigned long missed = 0, flagged_clean = 0, cases = 0;
    int vg = getenv("CDREST_VALGRIND") != NULL; /* under valgrind: two alignments, lines up to 17 */
    for (off = 0; off < (vg ? 2u : 8u); off++)
        for (n = 1; n <= (vg ? 17u : 40u); n++)
            for (f = 0; f < sizeof fillers; f++) {
                unsigned char *s = buf + off;
                memset(s, fillers[f], n);
                if (cdrest__http_maybe_ctl((const char *)s, n)) flagged_clean++;
                for (at = 0; at < n; at++)
                    for (b = 0; b < 256; b++) {
                        int want;
                        s[at] = (unsigned char)b;
                        want = naive(s, n);
                        cases++;
                        if (want && !cdrest__http_maybe_ctl((const char *)s, n)) missed++;
                        if (!want && cdrest__http_maybe_ctl((const char *)s, n)) flagged_clean++;
                        s[at] = fillers[f];
                    }
            }
    printf("%lu lines checked: %lu control bytes missed, %lu clean lines flagged\n", cases, missed, flagged_clean);
    CHECK_INT((long)missed, 0);
    CHECK_INT((long)flagged_clean, 0);
    /* two bad bytes in one word, and a borrow from a low byte into the next lane */
    CHECK(cdrest__http_maybe_ctl("\x01\x7f"
                                 "abcdef",
                                 8));
    CHECK(cdrest__http_maybe_ctl("abcdefg\x1f", 8));
    CHECK(!cdrest__http_maybe_ctl("\x20\x20\x20\x20\x20\x20\x20\x20", 8));
    CHECK(!cdrest__http_maybe_ctl("\x80\x7e\x80\x7e\x80\x7e\x80\x7e", 8));
    return test_summary();
}
