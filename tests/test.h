/* SPDX-License-Identifier: MIT */
/* A tiny test harness shared by the C test programs: CHECK counts, a failed check
   prints where and why, and each program ends with "N passed, N failed". Helpers to
   read a file whole, start a server process (which prints "PORT n" on its first line) and
   stop it, find a free port, and (after cdrest.h) make a client's config and send plain requests. */
#ifndef CDREST_TEST_H
#define CDREST_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__GNUC__) || defined(__clang__)
#define TEST_UNUSED __attribute__((unused))
#else
#define TEST_UNUSED
#endif

static int test_passed, test_failed;

#define CHECK(cond)                 test_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_INT(a, b)             test_check_int((long long)(a), (long long)(b), __FILE__, __LINE__, #a " == " #b)
#define CHECK_STR(a, b)             test_check_str((a), (b), __FILE__, __LINE__, #a " == " #b)
#define CHECK_CONTAINS(hay, needle) test_check_contains((hay), (needle), __FILE__, __LINE__, #hay)

TEST_UNUSED static int test_check(int ok, const char *file, int line, const char *what) {
    if (ok)
        test_passed++;
    else {
        test_failed++;
        fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
    }
    return ok;
}
TEST_UNUSED static int test_check_int(long long a, long long b, const char *file, int line, const char *what) {
    if (a == b) {
        test_passed++;
        return 1;
    }
    test_failed++;
    fprintf(stderr, "FAIL %s:%d: %s (%lld != %lld)\n", file, line, what, a, b);
    return 0;
}
TEST_UNUSED static int test_check_str(const char *a, const char *b, const char *file, int line, const char *what) {
    if (a && b && strcmp(a, b) == 0) {
        test_passed++;
        return 1;
    }
    test_failed++;
    fprintf(stderr, "FAIL %s:%d: %s (\"%s\" != \"%s\")\n", file, line, what, a ? a : "(null)", b ? b : "(null)");
    return 0;
}
TEST_UNUSED static int test_check_contains(const char *hay, const char *needle, const char *file, int line,
                                           const char *what) {
    if (hay && needle && strstr(hay, needle)) {
        test_passed++;
        return 1;
    }
    test_failed++;
    fprintf(stderr, "FAIL %s:%d: %s = \"%s\" does not contain \"%s\"\n", file, line, what, hay ? hay : "(null)",
            needle);
    return 0;
}
TEST_UNUSED static int test_summary(void) {
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

/* The directory holding the tests (for scripts and fixtures): $CDREST_TESTS or "tests". */
TEST_UNUSED static const char *test_dir(void) {
    const char *d = getenv("CDREST_TESTS");
    return d && *d ? d : "tests";
}

/* The whole of file in memory, NUL-terminated (so text can be searched; binary files
   keep their length in *len when len is not NULL). NULL (and *len 0) when the file cannot
   be opened or read, or memory runs out: never a short read passed off as the file. Read to EOF
   rather than sized with ftell, so files that grow while read (a server's log) and
   pipes work too. The caller frees it. */
TEST_UNUSED static char *test_slurp(const char *file, size_t *len) {
    FILE *f = fopen(file, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int ok = f != NULL;
    while (ok) {
        if (cap - n < 2) {
            char *bigger = (char *)realloc(buf, cap ? cap * 2 : 4096);
            if (!bigger) {
                ok = 0;
                break;
            }
            buf = bigger;
            cap = cap ? cap * 2 : 4096;
        }
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f)) ok = 0;
        if (feof(f)) break;
    }
    if (f) fclose(f);
    if (!ok) {
        free(buf);
        buf = NULL;
        n = 0;
    } else
        buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* Start argv as a child whose stdout's first line is "PORT n"; returns n (0 on failure).
   The child's remaining stdout is discarded; its stderr is inherited. */
TEST_UNUSED static int test_spawn_server(char *const argv[], pid_t *pid_out) {
    int fds[2];
    if (pipe(fds) != 0) return 0;
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    char line[128];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0 || line[n] == '\n') break;
        n++;
    }
    line[n] = 0;
    close(fds[0]);
    int port = 0;
    if (sscanf(line, "PORT %d", &port) != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fprintf(stderr, "server %s did not start (said \"%s\")\n", argv[0], line);
        return 0;
    }
    *pid_out = pid;
    return port;
}
/* Start `python3 tests/SCRIPT FIRST... MORE...` (each list NULL-terminated, or NULL), a
   server that prints "PORT n" first. Returns its port, 0 on failure. */
TEST_UNUSED static int test_start_py(const char *script, const char *const *first, const char *const *more,
                                     pid_t *pid_out) {
    char path[512];
    char *argv[32];
    int i = 0;
    snprintf(path, sizeof path, "%s/%s", test_dir(), script);
    argv[i++] = (char *)"python3";
    argv[i++] = path;
    while (first && *first && i < 31) argv[i++] = (char *)*first++;
    while (more && *more && i < 31) argv[i++] = (char *)*more++;
    argv[i] = NULL;
    return test_spawn_server(argv, pid_out);
}
/* Start the bundled CD emulator, `python3 tests/cdemu.py --port 0 --quiet EXTRA...` (extra:
   more arguments, NULL-terminated, or NULL). Returns its port, 0 on failure. */
TEST_UNUSED static int test_start_emu(const char *const *extra, pid_t *pid_out) {
    static const char *const quiet[] = { "--port", "0", "--quiet", NULL };
    return test_start_py("cdemu.py", quiet, extra, pid_out);
}

/* A loopback TCP port (IPv6 when v6) that nothing listened on a moment ago: bound to port
   0, read back, closed. For peers that cannot say which port they picked; two calls can
   return the same port, so a test starting several such peers checks they differ. */
TEST_UNUSED static int test_free_port(int v6) {
    struct sockaddr_storage ss;
    socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0), port = 0;
    if (fd < 0) return 0;
    memset(&ss, 0, sizeof ss);
    if (v6) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
    } else {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) == 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    close(fd);
    return port;
}

#ifdef CDREST_H_INCLUDED
/* A config for a test client of server: no proxy (tests talk to loopback only), the
   given timeout (0: the library's default). Adjust the rest before cdrest_init. */
TEST_UNUSED static cdrest_config test_config(const char *server, int timeout_ms) {
    cdrest_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = server;
    cfg.timeout_ms = timeout_ms;
    cfg.no_proxy = 1;
    return cfg;
}
/* The same, logged in as the emulator's admin (tests/cdemu.py's default user). */
TEST_UNUSED static cdrest_config test_admin_config(const char *server) {
    cdrest_config cfg = test_config(server, 20000);
    cfg.user = "admin";
    cfg.password = "changeme";
    return cfg;
}
/* One plain HTTP exchange: METHOD target with body (a string, or NULL for none). */
TEST_UNUSED static int test_request(cdrest_client *c, const char *method, const char *target, const char *body,
                                    cdrest_response *r) {
    cdrest_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.target = target;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    return cdrest_http(c, &req, r);
}
TEST_UNUSED static int test_get(cdrest_client *c, const char *target, cdrest_response *r) {
    return test_request(c, "GET", target, NULL, r);
}
#endif
/* Start tests/httpd.py on bind (NULL: 127.0.0.1), closing idle connections after idle_ms
   (NULL: never). Returns its port, 0 on failure. */
TEST_UNUSED static int test_start_httpd(const char *bind, const char *idle_ms, pid_t *pid_out) {
    const char *args[5] = { NULL, NULL, NULL, NULL, NULL };
    int i = 0;
    if (bind) {
        args[i++] = "--bind";
        args[i++] = bind;
    }
    if (idle_ms) {
        args[i++] = "--idle-close-ms";
        args[i++] = idle_ms;
    }
    return test_start_py("httpd.py", args, NULL, pid_out);
}

/* A field of /proc/self/status in kB (VmRSS, VmHWM), or -1. */
TEST_UNUSED static long test_proc_status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            kb = atol(line + n + 1);
            break;
        }
    fclose(f);
    return kb;
}

TEST_UNUSED static void test_stop_server(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 50; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

#endif
