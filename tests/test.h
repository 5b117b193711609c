/* SPDX-License-Identifier: MIT */
/* A tiny test harness shared by the C test programs: CHECK counts, a failed check
   prints where and why, and each program ends with "N passed, N failed". Helpers to
   start a server process (which prints "PORT n" on its first line) and stop it. */
#ifndef CDREST_TEST_H
#define CDREST_TEST_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__GNUC__) || defined(__clang__)
#define TEST_UNUSED __attribute__((unused))
#else
#define TEST_UNUSED
#endif

static int test_passed, test_failed;

#define CHECK(cond) test_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_INT(a, b) test_check_int((long long)(a), (long long)(b), __FILE__, __LINE__, #a " == " #b)
#define CHECK_STR(a, b) test_check_str((a), (b), __FILE__, __LINE__, #a " == " #b)
#define CHECK_CONTAINS(hay, needle) test_check_contains((hay), (needle), __FILE__, __LINE__, #hay)

TEST_UNUSED static int test_check(int ok, const char *file, int line, const char *what) {
    if (ok) test_passed++;
    else { test_failed++; fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what); }
    return ok;
}
TEST_UNUSED static int test_check_int(long long a, long long b, const char *file, int line, const char *what) {
    if (a == b) { test_passed++; return 1; }
    test_failed++;
    fprintf(stderr, "FAIL %s:%d: %s (%lld != %lld)\n", file, line, what, a, b);
    return 0;
}
TEST_UNUSED static int test_check_str(const char *a, const char *b, const char *file, int line, const char *what) {
    if (a && b && strcmp(a, b) == 0) { test_passed++; return 1; }
    test_failed++;
    fprintf(stderr, "FAIL %s:%d: %s (\"%s\" != \"%s\")\n", file, line, what, a ? a : "(null)", b ? b : "(null)");
    return 0;
}
TEST_UNUSED static int test_check_contains(const char *hay, const char *needle, const char *file, int line, const char *what) {
    if (hay && needle && strstr(hay, needle)) { test_passed++; return 1; }
    test_failed++;
    fprintf(stderr, "FAIL %s:%d: %s = \"%s\" does not contain \"%s\"\n", file, line, what, hay ? hay : "(null)", needle);
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
/* Start the bundled CD emulator, `python3 tests/cdemu.py --port 0 --quiet EXTRA...` (extra:
   more arguments, NULL-terminated, or NULL). Returns its port, 0 on failure. */
TEST_UNUSED static int test_start_emu(const char *const *extra, pid_t *pid_out) {
    char path[512];
    char *argv[32];
    int i = 0;
    snprintf(path, sizeof path, "%s/cdemu.py", test_dir());
    argv[i++] = (char *)"python3";
    argv[i++] = path;
    argv[i++] = (char *)"--port";
    argv[i++] = (char *)"0";
    argv[i++] = (char *)"--quiet";
    while (extra && *extra && i < 31) argv[i++] = (char *)*extra++;
    argv[i] = NULL;
    return test_spawn_server(argv, pid_out);
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
