/* tools/musl_fortify.c - lets `make cli-static` link Debian's libbearssl.a (built against
   glibc with _FORTIFY_SOURCE) into a static musl program: musl has no __*_chk entry
   points, so these give them their glibc meaning (abort when the copy would overflow the
   destination whose size the compiler knew). Nothing else of glibc is referenced. */
#include <stdlib.h>
#include <string.h>

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dst_len);
void *__memmove_chk(void *dst, const void *src, size_t n, size_t dst_len);
void *__memset_chk(void *dst, int c, size_t n, size_t dst_len);

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dst_len) {
    if (n > dst_len) abort();
    return memcpy(dst, src, n);
}
void *__memmove_chk(void *dst, const void *src, size_t n, size_t dst_len) {
    if (n > dst_len) abort();
    return memmove(dst, src, n);
}
void *__memset_chk(void *dst, int c, size_t n, size_t dst_len) {
    if (n > dst_len) abort();
    return memset(dst, c, n);
}
