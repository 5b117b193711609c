/* SPDX-License-Identifier: MIT */
/* custom_transport.c - cdrest over a transport of your own instead of BSD sockets.

   Here the client reaches the server the way a small device with a cellular or Wi-Fi
   modem does: the TCP/IP stack lives in the modem, and the program talks to it over
   a serial line with AT commands. The serial line is a pair of pipes, and the modem is
   simulated by a child process (the only part of this program that uses sockets: on a
   device it is the modem's firmware). The client is built with CDREST_NO_SOCKETS, so
   the library's own POSIX socket transport is not even compiled: every byte, TLS
   included, goes through the five functions below.

   build:  cc -std=c99 -I. -o custom_transport examples/custom_transport.c -lbearssl
   run:    ./custom_transport http://127.0.0.1:8000 USER PASSWORD
           (https:// works the same way; CDREST_CACERT=ca.pem names the CA file)

   THE TRANSPORT INTERFACE (cdrest_transport, a stable public interface; fields are only
   ever added at the end). `self` is config.transport_self, your own state.
     connect(self, host, port, timeout_ms, err)  open a byte stream; 0 or a CDREST_E_*
                                                 code with err filled (cdrest-style text)
     read(self, buf, len, timeout_ms, err)       > 0 bytes, 0 the peer closed, < 0 error;
                                                 wait at most timeout_ms for the first byte
     write(self, buf, len, timeout_ms, err)      > 0 bytes taken (may be fewer than len)
     close(self)                                 safe when not open
     alive(self)        optional: 1 if an idle open stream is still usable (no EOF or
                        stray data pending); lets a POST avoid a dead keep-alive
     now_ms(self)       a monotonic millisecond clock; REQUIRED with CDREST_NO_SOCKETS
     sleep_ms(self, ms) optional: pause between job polls (without it, none)
   The client calls them from the thread that makes the cdrest call, never concurrently.

   What an lwIP port implements (netconn API; the socket API is the default transport):
     connect   netconn_gethostbyname(host, &ip); conn = netconn_new(NETCONN_TCP);
               netconn_connect(conn, &ip, port)
     read      netconn_set_recvtimeout(conn, timeout_ms); netconn_recv_tcp_pbuf(conn, &p);
               copy out (keep the rest of the pbuf for the next read); ERR_CLSD -> 0,
               ERR_TIMEOUT -> CDREST_E_TIMEOUT
     write     netconn_write_partly(conn, buf, len, NETCONN_COPY, &written)
     close     netconn_close(conn); netconn_delete(conn)
     alive     no pending pbuf and no ERR_CLSD seen since the last response
     now_ms    sys_now()                  sleep_ms  sys_msleep(ms) or vTaskDelay()
   And a modem port, as below: connect = open a socket in the modem (AT+QIOPEN,
   AT+USOCO, AT+CIPSTART...), write = its send command, read = its "read n bytes"
   command (AT+QIRD, AT+USORD, AT+CIPRXGET: pull-based, so the modem buffers and the
   device never overruns), close = its close command, alive = its socket state query.

   The simulated modem's commands (each line ends with CR LF):
     AT+OPEN=host,port,timeout_ms  -> OK | ERROR reason
     AT+SEND=n  then n bytes       -> SEND OK | ERROR reason        (n <= 1024)
     AT+RECV=n,timeout_ms          -> +DATA=k CRLF and k bytes | +TIMEOUT | +CLOSED | ERROR
     AT+STATE                      -> +STATE=OPEN,pending | +STATE=CLOSED
     AT+CLOSE                      -> OK                                               */
#define CDREST_NO_SOCKETS /* leave the POSIX socket transport out: it is not needed */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MODEM_MAX_CHUNK = 1024 };

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* A transport reports a failure by returning a CDREST_E_* code with err->code and
   err->msg (one readable line, the client's cdrest_errmsg()) filled. */
static int link_fail(cdrest_error *err, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int link_fail(cdrest_error *err, int code, const char *fmt, ...) {
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

/* ======================================================================================
   The device side: a cdrest transport that drives the modem over the serial line.
   ====================================================================================== */

typedef struct modem_link {
    int to_modem; /* the serial line, both directions (a UART on a device) */
    int from_modem;
    int open; /* a connection is up in the modem */
    /* statistics, printed at the end */
    unsigned long commands, connects;
    unsigned long long sent, received;
} modem_link;

/* A monotonic clock: on a device, the RTOS tick (xTaskGetTickCount(), sys_now()). */
static int64_t link_now_ms(void *self) {
    struct timespec ts;
    (void)self;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void link_sleep_ms(void *self, int ms) {
    struct timespec ts;
    (void)self;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* Serial I/O: write everything; read exactly n bytes before the deadline. */
static int uart_write(modem_link *m, const void *buf, size_t n) {
    const char *p = (const char *)buf;
    while (n > 0) {
        ssize_t w = write(m->to_modem, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int uart_read(modem_link *m, void *buf, size_t n, int64_t deadline) {
    char *p = (char *)buf;
    while (n > 0) {
        struct pollfd pfd;
        int64_t left = deadline - link_now_ms(m);
        ssize_t r;
        pfd.fd = m->from_modem;
        pfd.events = POLLIN;
        if (left <= 0 || poll(&pfd, 1, (int)left) == 0) return CDREST_E_TIMEOUT;
        r = read(m->from_modem, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return CDREST_E_IO;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Read one answer line from the modem (CR LF stripped), waiting at most timeout_ms
   plus the modem's own slack. */
static int modem_answer(modem_link *m, const char *what, char *answer, size_t cap, int timeout_ms, cdrest_error *err) {
    int64_t deadline = link_now_ms(m) + timeout_ms + 2000;
    size_t n = 0;
    for (;;) {
        char ch;
        int r = uart_read(m, &ch, 1, deadline);
        if (r != 0)
            return link_fail(err, r, "modem: no answer to %.20s%s", what, r == CDREST_E_TIMEOUT ? " (timeout)" : "");
        if (ch == '\n') break;
        if (ch != '\r' && n + 1 < cap) answer[n++] = ch;
    }
    answer[n] = 0;
    return 0;
}

/* Send one command line (and its payload, if any) and read the answer's first line. */
static int modem_command(modem_link *m, const char *cmd, const void *payload, size_t len, char *answer, size_t cap,
                         int timeout_ms, cdrest_error *err) {
    m->commands++;
    if (uart_write(m, cmd, strlen(cmd)) != 0 || uart_write(m, "\r\n", 2) != 0 ||
        (len > 0 && uart_write(m, payload, len) != 0))
        return link_fail(err, CDREST_E_IO, "modem: the serial line is down");
    return modem_answer(m, cmd, answer, cap, timeout_ms, err);
}

static int link_connect(void *self, const char *host, unsigned short port, int timeout_ms, cdrest_error *err) {
    modem_link *m = (modem_link *)self;
    char cmd[320], ans[256];
    int rc;
    if (strchr(host, ',') || strlen(host) > 255) return link_fail(err, CDREST_E_ARG, "modem: bad host name");
    snprintf(cmd, sizeof cmd, "AT+OPEN=%s,%u,%d", host, (unsigned)port, timeout_ms);
    if ((rc = modem_command(m, cmd, NULL, 0, ans, sizeof ans, timeout_ms, err)) != 0) return rc;
    if (strcmp(ans, "OK") != 0) {
        int code = strstr(ans, "resolve")   ? CDREST_E_RESOLVE
                   : strstr(ans, "timeout") ? CDREST_E_TIMEOUT
                                            : CDREST_E_CONNECT;
        return link_fail(err, code, "modem: connect to %s:%u: %s", host, (unsigned)port, ans);
    }
    m->open = 1;
    m->connects++;
    return 0;
}

static long link_read(void *self, void *buf, size_t len, int timeout_ms, cdrest_error *err) {
    modem_link *m = (modem_link *)self;
    char cmd[64], ans[64];
    unsigned long k;
    int rc;
    if (!m->open) return link_fail(err, CDREST_E_IO, "modem: read on a closed connection");
    if (len > MODEM_MAX_CHUNK) len = MODEM_MAX_CHUNK;
    snprintf(cmd, sizeof cmd, "AT+RECV=%lu,%d", (unsigned long)len, timeout_ms);
    if ((rc = modem_command(m, cmd, NULL, 0, ans, sizeof ans, timeout_ms, err)) != 0) return rc;
    if (strcmp(ans, "+CLOSED") == 0) return 0;
    if (strcmp(ans, "+TIMEOUT") == 0)
        return link_fail(err, CDREST_E_TIMEOUT, "timeout after %d ms reading", timeout_ms);
    if (sscanf(ans, "+DATA=%lu", &k) != 1 || k == 0 || k > len)
        return link_fail(err, CDREST_E_IO, "modem: read failed: %s", ans);
    if ((rc = uart_read(m, buf, k, link_now_ms(m) + 2000)) != 0)
        return link_fail(err, rc, "modem: the serial line dropped data");
    m->received += k;
    return (long)k;
}

static long link_write(void *self, const void *buf, size_t len, int timeout_ms, cdrest_error *err) {
    modem_link *m = (modem_link *)self;
    char cmd[32], ans[64];
    int rc;
    if (!m->open) return link_fail(err, CDREST_E_IO, "modem: write on a closed connection");
    if (len > MODEM_MAX_CHUNK) len = MODEM_MAX_CHUNK; /* a short write: the client sends the rest */
    snprintf(cmd, sizeof cmd, "AT+SEND=%lu", (unsigned long)len);
    if ((rc = modem_command(m, cmd, buf, len, ans, sizeof ans, timeout_ms, err)) != 0) return rc;
    if (strcmp(ans, "SEND OK") != 0) return link_fail(err, CDREST_E_IO, "modem: write failed: %s", ans);
    m->sent += len;
    return (long)len;
}

static void link_close(void *self) {
    modem_link *m = (modem_link *)self;
    char ans[64];
    cdrest_error ignored;
    if (!m->open) return;
    modem_command(m, "AT+CLOSE", NULL, 0, ans, sizeof ans, 1000, &ignored);
    m->open = 0;
}

static int link_alive(void *self) {
    modem_link *m = (modem_link *)self;
    char ans[64];
    cdrest_error ignored;
    if (!m->open || modem_command(m, "AT+STATE", NULL, 0, ans, sizeof ans, 1000, &ignored) != 0) return 0;
    return strcmp(ans, "+STATE=OPEN,0") == 0; /* open, and nothing unread waiting */
}

static const cdrest_transport modem_transport = { link_connect, link_read,   link_write,   link_close,
                                                  link_alive,   link_now_ms, link_sleep_ms };

/* ======================================================================================
   The modem, simulated: a child process holding the real TCP connection (sockets are
   used here only). It reads AT commands on one pipe and answers on the other.
   ====================================================================================== */

#include <netdb.h>
#include <sys/socket.h>

typedef struct modem {
    int in, out; /* the serial line from and to the device */
    int sock;
} modem;

static int modem_reply(modem *md, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int modem_reply(modem *md, const char *fmt, ...) {
    char line[300];
    va_list ap;
    size_t n, off = 0;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line - 2, fmt, ap);
    va_end(ap);
    n = strlen(line);
    memcpy(line + n, "\r\n", 2);
    n += 2;
    while (off < n) {
        ssize_t w = write(md->out, line + off, n - off);
        if (w <= 0) return -1;
        off += (size_t)w;
    }
    return 0;
}

static int modem_read_exact(modem *md, void *buf, size_t n) {
    char *p = (char *)buf;
    while (n > 0) {
        ssize_t r = read(md->in, p, n);
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* One command line from the device (without CR LF); -1 when the line is gone. */
static int modem_read_line(modem *md, char *line, size_t cap) {
    size_t n = 0;
    for (;;) {
        char ch;
        if (modem_read_exact(md, &ch, 1) != 0) return -1;
        if (ch == '\n') break;
        if (ch != '\r' && n + 1 < cap) line[n++] = ch;
    }
    line[n] = 0;
    return 0;
}

static void modem_open(modem *md, const char *args) {
    char host[256];
    unsigned port;
    int timeout_ms, gai;
    struct addrinfo hints, *ai = NULL, *a;
    char portstr[8];
    if (sscanf(args, "%255[^,],%u,%d", host, &port, &timeout_ms) != 3 || port == 0 || port > 65535) {
        modem_reply(md, "ERROR bad arguments");
        return;
    }
    if (md->sock >= 0) close(md->sock);
    md->sock = -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(portstr, sizeof portstr, "%u", port);
    if ((gai = getaddrinfo(host, portstr, &hints, &ai)) != 0) {
        modem_reply(md, "ERROR cannot resolve %s", host);
        return;
    }
    for (a = ai; a && md->sock < 0; a = a->ai_next) { /* blocking connect: it is a simulation */
        int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            md->sock = fd;
        else
            close(fd);
    }
    freeaddrinfo(ai);
    if (md->sock < 0)
        modem_reply(md, "ERROR connection refused");
    else
        modem_reply(md, "OK");
}

static void modem_send(modem *md, const char *args) {
    char data[MODEM_MAX_CHUNK];
    unsigned long n;
    size_t off = 0;
    if (sscanf(args, "%lu", &n) != 1 || n > sizeof data || modem_read_exact(md, data, n) != 0) {
        modem_reply(md, "ERROR bad length");
        return;
    }
    if (md->sock < 0) {
        modem_reply(md, "ERROR not connected");
        return;
    }
    while (off < n) {
        ssize_t w = send(md->sock, data + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) {
            modem_reply(md, "ERROR connection reset");
            return;
        }
        off += (size_t)w;
    }
    modem_reply(md, "SEND OK");
}

static void modem_recv(modem *md, const char *args) {
    char data[MODEM_MAX_CHUNK];
    unsigned long n;
    int timeout_ms;
    struct pollfd pfd;
    ssize_t k;
    if (sscanf(args, "%lu,%d", &n, &timeout_ms) != 2 || n == 0 || n > sizeof data) {
        modem_reply(md, "ERROR bad arguments");
        return;
    }
    if (md->sock < 0) {
        modem_reply(md, "+CLOSED");
        return;
    }
    pfd.fd = md->sock;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, timeout_ms) == 0) {
        modem_reply(md, "+TIMEOUT");
        return;
    }
    k = recv(md->sock, data, n, 0);
    if (k < 0) {
        modem_reply(md, "ERROR connection reset");
    } else if (k == 0) {
        modem_reply(md, "+CLOSED");
    } else if (modem_reply(md, "+DATA=%ld", (long)k) == 0) {
        size_t off = 0;
        while (off < (size_t)k) {
            ssize_t w = write(md->out, data + off, (size_t)k - off);
            if (w <= 0) return;
            off += (size_t)w;
        }
    }
}

static void modem_state(modem *md) {
    struct pollfd pfd;
    char b[512];
    ssize_t k = -1;
    if (md->sock < 0) {
        modem_reply(md, "+STATE=CLOSED");
        return;
    }
    pfd.fd = md->sock;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 0) > 0) k = recv(md->sock, b, sizeof b, MSG_PEEK);
    if (k == 0)
        modem_reply(md, "+STATE=CLOSED");
    else
        modem_reply(md, "+STATE=OPEN,%ld", k > 0 ? (long)k : 0L);
}

static int modem_main(int in, int out) {
    modem md;
    char line[400];
    md.in = in;
    md.out = out;
    md.sock = -1;
    while (modem_read_line(&md, line, sizeof line) == 0) {
        if (strncmp(line, "AT+OPEN=", 8) == 0)
            modem_open(&md, line + 8);
        else if (strncmp(line, "AT+SEND=", 8) == 0)
            modem_send(&md, line + 8);
        else if (strncmp(line, "AT+RECV=", 8) == 0)
            modem_recv(&md, line + 8);
        else if (strcmp(line, "AT+STATE") == 0)
            modem_state(&md);
        else if (strcmp(line, "AT+CLOSE") == 0) {
            if (md.sock >= 0) close(md.sock);
            md.sock = -1;
            modem_reply(&md, "OK");
        } else if (line[0] == 0) {
            /* an empty line: nothing to do */
        } else {
            modem_reply(&md, "ERROR unknown command");
        }
    }
    if (md.sock >= 0) close(md.sock);
    return 0; /* the device hung up the serial line */
}

/* Start the modem: two pipes form the serial line. */
static pid_t modem_start(modem_link *m) {
    int down[2], up[2]; /* device -> modem, modem -> device */
    pid_t pid;
    if (pipe(down) != 0) return -1;
    if (pipe(up) != 0) {
        close(down[0]);
        close(down[1]);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        _exit(modem_main(down[0], up[1]));
    }
    close(down[0]);
    close(up[1]);
    if (pid < 0) {
        close(down[1]);
        close(up[0]);
        return -1;
    }
    memset(m, 0, sizeof *m);
    m->to_modem = down[1];
    m->from_modem = up[0];
    return pid;
}

/* ======================================================================================
   The program: the everyday CD calls, every byte through the modem.
   ====================================================================================== */

static int run(cdrest_client *c, const char *user) {
    cdrest_param project[] = { { "projectName", "Default" }, { NULL, NULL } };
    cdrest_job_status job;
    char job_id[64];
    const char *value;
    size_t len;
    if (cdrest_login(c) != 0) return fprintf(stderr, "login: %s\n", cdrest_errmsg(c)), 1;
    printf("logged in as %s\n", user);
    if (cdrest_set_property(c, "modem/greeting", "Hello over the modem", project, NULL) != 0)
        return fprintf(stderr, "setProperty: %s\n", cdrest_errmsg(c)), 1;
    if (cdrest_get_property_value(c, "modem/greeting", project, &value, &len) != 0)
        return fprintf(stderr, "getProperty: %s\n", cdrest_errmsg(c)), 1;
    printf("modem/greeting = %s\n", value);
    if (cdrest_run_procedure(c, "Default", "runme", NULL, job_id, sizeof job_id) != 0)
        return fprintf(stderr, "runProcedure: %s\n", cdrest_errmsg(c)), 1;
    if (cdrest_wait_for_job(c, job_id, 200, 60000, NULL, NULL, &job) != 0)
        return fprintf(stderr, "waitForJob: %s\n", cdrest_errmsg(c)), 1;
    printf("job %s: %s, outcome %s\n", job_id, job.status, job.outcome);
    if (cdrest_logout(c) != 0) return fprintf(stderr, "logout: %s\n", cdrest_errmsg(c)), 1;
    printf("logged out\n");
    return strcmp(job.outcome, "success") == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    modem_link link;
    cdrest_client c;
    cdrest_config cfg;
    pid_t modem_pid;
    int rc;
    if (argc != 4) {
        fprintf(stderr, "usage: custom_transport SERVER_URL USER PASSWORD\n");
        return 2;
    }
    /* A dead modem must not kill us with SIGPIPE on the serial line's pipe (the library
       never touches signal handlers; the program owns them). */
    signal(SIGPIPE, SIG_IGN);
    if ((modem_pid = modem_start(&link)) < 0) {
        perror("custom_transport: cannot start the modem");
        return 1;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.server = argv[1];
    cfg.user = argv[2];
    cfg.password = argv[3];
    cfg.transport = &modem_transport; /* instead of POSIX sockets */
    cfg.transport_self = &link;
    cfg.tls.ca_file = getenv("CDREST_CACERT");
    cfg.no_proxy = 1; /* the modem reaches the server directly */
    if (cdrest_init(&c, &cfg) != 0) {
        fprintf(stderr, "custom_transport: setup: %s\n", cdrest_errmsg(&c));
        rc = 1;
    } else {
        rc = run(&c, argv[2]);
        cdrest_free(&c);
    }
    printf("modem: %lu connection%s, %lu AT commands, %llu bytes sent, %llu received\n", link.connects,
           link.connects == 1 ? "" : "s", link.commands, link.sent, link.received);
    close(link.to_modem); /* hang up: the modem exits */
    close(link.from_modem);
    waitpid(modem_pid, NULL, 0);
    return rc;
}
