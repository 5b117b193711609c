/* Name resolution within the deadline (config.resolve, the POSIX transport's resolver
   hook). getaddrinfo() cannot be bounded; a hook can: it gets the time left of the
   request's deadline, its addresses are used as numeric ones (never looked up again), a
   resolver that never answers makes the call fail at the deadline, and one that answers
   late does not make the client connect late. IP literals never reach the hook. Against
   the CD emulator on 127.0.0.1. */
#ifndef TEST_PLAIN_GETADDRINFO /* (defined: the same checks against plain getaddrinfo) */
#define CDREST_GETADDRINFO_A
#endif
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

static int emu_port;

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

typedef struct hook {
    const char *answers[4]; /* numeric addresses to give */
    int nanswers;
    int sleep_ms; /* -1: sleep the whole timeout, then fail (a resolver that never answers) */
    int rc;       /* < 0: fail with this code */
    int fill_msg;
    int calls;
    int last_timeout;
    char last_host[256];
} hook;

static int hook_resolve(void *ctx, const char *host, int timeout_ms, char (*addrs)[64], int max, cdrest_error *err) {
    hook *h = (hook *)ctx;
    int i;
    h->calls++;
    h->last_timeout = timeout_ms;
    snprintf(h->last_host, sizeof h->last_host, "%s", host);
    if (h->sleep_ms) usleep((useconds_t)(h->sleep_ms < 0 ? timeout_ms : h->sleep_ms) * 1000);
    if (h->sleep_ms < 0)
        return cdrest_error_set(err, CDREST_E_TIMEOUT, "resolve %s: no answer in %d ms", host, timeout_ms);
    if (h->rc < 0) return h->fill_msg ? cdrest_error_set(err, h->rc, "resolve %s: NXDOMAIN", host) : h->rc;
    for (i = 0; i < h->nanswers && i < max; i++) snprintf(addrs[i], 64, "%s", h->answers[i]);
    return i;
}

static int get_with(hook *h, const char *host, int timeout_ms, cdrest_client *c, cdrest_response *r) {
    char url[128];
    cdrest_config cfg;
    cdrest_request req;
    int rc;
    snprintf(url, sizeof url, "http://%s:%d", host, emu_port);
    cfg = test_config(url, timeout_ms);
    cfg.connect_timeout_ms = 10000;
    cfg.resolve = hook_resolve;
    cfg.resolve_ctx = h;
    if ((rc = cdrest_init(c, &cfg)) != 0) return rc;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/emu/stats";
    return cdrest_http(c, &req, r);
}

static void test_names_through_the_hook(void) {
    cdrest_client c;
    cdrest_response r;
    hook h;
    memset(&h, 0, sizeof h);
    h.answers[0] = "127.0.0.1";
    h.nanswers = 1;
    CHECK_INT(get_with(&h, "cd.test", 5000, &c, &r), 0);
    CHECK(r.status > 0);
    CHECK_INT(h.calls, 1);
    CHECK_STR(h.last_host, "cd.test");
    CHECK(h.last_timeout > 0 && h.last_timeout <= 5000);
    cdrest_free(&c);
    /* several addresses: the first refuses (nothing listens on 127.0.0.2), the next works */
    memset(&h, 0, sizeof h);
    h.answers[0] = "127.0.0.2";
    h.answers[1] = "127.0.0.1";
    h.nanswers = 2;
    CHECK_INT(get_with(&h, "two.test", 5000, &c, &r), 0);
    CHECK_INT((long long)c.connects, 1);
    cdrest_free(&c);
    /* IP literals never reach the hook */
    memset(&h, 0, sizeof h);
    CHECK_INT(get_with(&h, "127.0.0.1", 5000, &c, &r), 0);
    CHECK_INT(h.calls, 0);
    cdrest_free(&c);
}

static void test_hook_failures(void) {
    cdrest_client c;
    cdrest_response r;
    hook h;
    /* what the hook says, or words for its code when it says nothing */
    memset(&h, 0, sizeof h);
    h.rc = CDREST_E_RESOLVE;
    h.fill_msg = 1;
    CHECK_INT(get_with(&h, "nx.test", 5000, &c, &r), CDREST_E_RESOLVE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "resolve nx.test: NXDOMAIN");
    cdrest_free(&c);
    h.fill_msg = 0;
    CHECK_INT(get_with(&h, "nx.test", 5000, &c, &r), CDREST_E_RESOLVE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "resolve nx.test");
    cdrest_free(&c);
    /* an answer that is not a numeric address is refused, never looked up */
    memset(&h, 0, sizeof h);
    h.answers[0] = "localhost";
    h.nanswers = 1;
    CHECK_INT(get_with(&h, "name.test", 5000, &c, &r), CDREST_E_RESOLVE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "no numeric address");
    cdrest_free(&c);
}

/* The regression: a resolver that never answers used to hold a 1 s request for as long as
   the system resolver liked (8 s and more); with a hook it ends at the deadline. */
static void test_deadline(void) {
    cdrest_client c;
    cdrest_response r;
    hook h;
    long long t0;
    memset(&h, 0, sizeof h);
    h.sleep_ms = -1;
    t0 = now_ms();
    CHECK_INT(get_with(&h, "silent.test", 1000, &c, &r), CDREST_E_TIMEOUT);
    CHECK(now_ms() - t0 < 1500);
    CHECK(h.last_timeout > 0 && h.last_timeout <= 1000);
    CHECK_CONTAINS(cdrest_errmsg(&c), "silent.test");
    printf("a resolver that never answers, timeout_ms 1000: %lld ms, \"%s\"\n", now_ms() - t0, cdrest_errmsg(&c));
    cdrest_free(&c);
    /* a hook that answers after the deadline: no late connection, a timeout */
    memset(&h, 0, sizeof h);
    h.answers[0] = "127.0.0.1";
    h.nanswers = 1;
    h.sleep_ms = 1200;
    CHECK_INT(get_with(&h, "late.test", 1000, &c, &r), CDREST_E_TIMEOUT);
    CHECK_INT((long long)c.connects, 0);
    cdrest_free(&c);
}

/* The default lookup (no hook) with CDREST_GETADDRINFO_A: a name from /etc/hosts works,
   and, when tests/t_resolve_blackhole.sh runs this with the system resolver pointed at a
   name server that never answers (CDREST_DNS_BLACKHOLE, in a private mount namespace), a
   1 s request ends at 1 s instead of after glibc's 5 s x 2 tries. */
static void test_default_lookup(void) {
    const char *hole = getenv("CDREST_DNS_BLACKHOLE");
    cdrest_client c;
    cdrest_response r;
    cdrest_config cfg;
    cdrest_request req;
    char url[96];
    long long t0;
    int fd, rc;
    struct sockaddr_in sa;
    snprintf(url, sizeof url, "http://localhost:%d", emu_port);
    cfg = test_config(url, 5000);
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/emu/stats";
    rc = cdrest_http(&c, &req, &r);
    if (!CHECK_INT(rc, 0)) fprintf(stderr, "  localhost: %s\n", cdrest_errmsg(&c));
    cdrest_free(&c);
    if (!hole) {
        printf("the black-hole resolver check runs in tests/t_resolve_blackhole.sh\n");
        return;
    }
    /* the name server: a UDP socket that reads nothing and answers nothing */
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(53);
    inet_pton(AF_INET, hole, &sa.sin_addr);
    if (!CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0)) return;
    cfg = test_config("http://blackhole.cdrest.test:8000", 1000);
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    t0 = now_ms();
    rc = cdrest_http(&c, &req, &r);
    CHECK_INT(rc, CDREST_E_TIMEOUT);
    if (!CHECK(now_ms() - t0 < 1500)) fprintf(stderr, "  the lookup took %lld ms\n", now_ms() - t0);
    CHECK_CONTAINS(cdrest_errmsg(&c), "blackhole.cdrest.test");
    printf("a name server that never answers, timeout_ms 1000: %lld ms, \"%s\"\n", now_ms() - t0, cdrest_errmsg(&c));
    /* the abandoned lookup finishes on glibc's thread later: nothing of it may leak or crash */
    rc = cdrest_http(&c, &req, &r);
    CHECK_INT(rc, CDREST_E_TIMEOUT);
    cdrest_free(&c);
    close(fd);
}

int main(void) {
    pid_t pid = 0;
    emu_port = test_start_emu(NULL, &pid);
    CHECK(emu_port > 0);
    if (emu_port > 0) {
        test_names_through_the_hook();
        test_hook_failures();
        test_deadline();
        /* not under valgrind: glibc's own getaddrinfo_a machinery trips it at exit (its
           __libc_freeres frees request-pool rows it never allocated, its idle helper
           thread keeps its resolver state); the ASan run covers this part */
        if (!getenv("CDREST_VALGRIND"))
            test_default_lookup();
        else
            printf("the default (getaddrinfo_a) lookup: not under valgrind\n");
    }
    test_stop_server(pid);
    return test_summary();
}
