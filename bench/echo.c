/* SPDX-License-Identifier: MIT */
/* bench/echo.c - the floor: a bare loopback TCP round trip of SIZE bytes.
     echo server               listen on 127.0.0.1, an ephemeral port printed as "PORT n";
                               serve one connection at a time, sending back what it reads
     echo client PORT N SIZE   N round trips of SIZE bytes on one connection (TCP_NODELAY)
   The client prints "ok n=N secs=S bytes=B". No HTTP, no TLS: the machine's limit for a
   ~200-byte request/response exchange (two wake-ups and four syscalls per trip). */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int serve(void) {
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) return perror("socket"), 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 16) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0)
        return perror("bind/listen"), 1;
    printf("PORT %u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        char buf[65536];
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) continue;
        nodelay(fd);
        for (;;) {
            ssize_t n = read(fd, buf, sizeof buf), off = 0;
            if (n <= 0) break;
            while (off < n) {
                ssize_t w = write(fd, buf + off, (size_t)(n - off));
                if (w <= 0) break;
                off += w;
            }
            if (off < n) break;
        }
        close(fd);
    }
}

static int client(unsigned port, long n, size_t size) {
    struct sockaddr_in a;
    char *out = malloc(size), *in = malloc(size);
    double t0, t1;
    long i;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (!out || !in || fd < 0) return perror("client"), 1;
    memset(out, 'x', size);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) return perror("connect"), 1;
    nodelay(fd);
    t0 = now_s();
    for (i = 0; i < n; i++) {
        size_t got = 0;
        if (write(fd, out, size) != (ssize_t)size) return perror("write"), 1;
        while (got < size) {
            ssize_t r = read(fd, in + got, size - got);
            if (r <= 0) return fprintf(stderr, "echo: read failed\n"), 1;
            got += (size_t)r;
        }
    }
    t1 = now_s();
    close(fd);
    printf("ok n=%ld secs=%.6f bytes=%lu\n", n, t1 - t0, (unsigned long)(n * (long)size));
    free(out);
    free(in);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "server")) return serve();
    if (argc == 5 && !strcmp(argv[1], "client"))
        return client((unsigned)atoi(argv[2]), atol(argv[3]), (size_t)atol(argv[4]));
    fprintf(stderr, "usage: echo server | echo client PORT N SIZE\n");
    return 2;
}
