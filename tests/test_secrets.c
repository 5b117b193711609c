/* No secret outlives the client. A test allocator (CDREST_MALLOC/REALLOC/FREE with
   config.alloc_ctx) keeps every block the library frees, unreused, until the end; its
   realloc always moves the block, as a real one may. After cdrest_free, and after an init
   that failed, every freed block, every caller-owned buffer (buffer, send_buffer,
   tls_memory) and the client struct itself are searched for the password, the token, the
   Basic credential, the session ids the server handed out, the user name and the proxy's
   credentials. Runs against the CD emulator over HTTP and HTTPS (certificates from
   tests/mkcerts.sh). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct heap_blk {
    struct heap_blk *next;
    size_t n;
    int freed;
    union {
        long double d;
        long long l;
        void *p;
        unsigned char first;
    } data; /* the caller's bytes start here */
} heap_blk;

typedef struct heap {
    heap_blk *blocks;
    long live, allocs, frees;
} heap;

#define HEAP_HDR offsetof(heap_blk, data)

static void *heap_malloc(heap *h, size_t n) {
    heap_blk *b = (heap_blk *)malloc(HEAP_HDR + (n ? n : 1));
    if (!b) return NULL;
    b->next = h->blocks;
    b->n = n;
    b->freed = 0;
    memset(&b->data, 0xA5, n); /* defined bytes: the scan reads all of every block */
    h->blocks = b;
    h->live++;
    h->allocs++;
    return (unsigned char *)b + HEAP_HDR;
}
static heap_blk *heap_blk_of(void *p) {
    return (heap_blk *)(void *)((unsigned char *)p - HEAP_HDR);
}
/* Freed blocks stay in the list, their bytes as the library left them. */
static void heap_free(heap *h, void *p) {
    if (!p) return;
    heap_blk_of(p)->freed = 1;
    h->live--;
    h->frees++;
}
static void *heap_realloc(heap *h, void *p, size_t n) {
    void *q = heap_malloc(h, n);
    if (q && p) {
        size_t old = heap_blk_of(p)->n;
        memcpy(q, p, old < n ? old : n);
        heap_free(h, p);
    }
    return q;
}

#define CDREST_MALLOC(ctx, n)     heap_malloc((heap *)(ctx), (n))
#define CDREST_REALLOC(ctx, p, n) heap_realloc((heap *)(ctx), (p), (n))
#define CDREST_FREE(ctx, p)       heap_free((heap *)(ctx), (p))
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

static const char USER[] = "Usr-5ecret-u1", PW[] = "Pw-5ecret-9f3a", TOKEN[] = "Tok-5ecret-77c1";
static const char PROXY_USER[] = "Pxu-5ecret", PROXY_PW[] = "Pxp-5ecret-31";

/* What must not be found: fixed secrets, their Basic forms, and the session ids seen. */
static char secrets[64][256];
static const char *secret_names[64];
static int nsecrets;
static int emu_port, emu_tls_port;
static pid_t emu_pid, emu_tls_pid;
static char cert_dir[64], ca_file[128];

static void add_secret(const char *name, const char *s) {
    int i;
    if (!s || !*s) return;
    for (i = 0; i < nsecrets; i++)
        if (!strcmp(secrets[i], s)) return;
    if (nsecrets == 64) return;
    snprintf(secrets[nsecrets], sizeof secrets[0], "%s", s);
    secret_names[nsecrets++] = name;
}
static void add_basic(const char *name, const char *user, const char *pw) {
    char cred[128], b64[256];
    snprintf(cred, sizeof cred, "%s:%s", user, pw);
    cdrest_base64_encode(b64, sizeof b64, cred, strlen(cred));
    add_secret(name, b64);
}

static const unsigned char *find(const unsigned char *hay, size_t n, const char *needle) {
    size_t k = strlen(needle), i;
    if (k == 0 || k > n) return NULL;
    for (i = 0; i + k <= n; i++)
        if (hay[i] == (unsigned char)needle[0] && !memcmp(hay + i, needle, k)) return hay + i;
    return NULL;
}

/* Every secret absent from mem[0..n); a finding names the secret, the place and offset. */
static void scan(const char *where, const char *place, const void *mem, size_t n) {
    int i;
    for (i = 0; i < nsecrets; i++) {
        const unsigned char *at = find((const unsigned char *)mem, n, secrets[i]);
        char what[160];
        snprintf(what, sizeof what, "%s: %s absent from %s", where, secret_names[i], place);
        if (!test_check(at == NULL, what, __LINE__, "scan"))
            fprintf(stderr, "  found at byte %ld of %lu\n", (long)(at - (const unsigned char *)mem), (unsigned long)n);
    }
}

/* Scan every block the library freed (and insist it freed all it took), then let them go. */
static void scan_heap(const char *where, heap *h) {
    heap_blk *b = h->blocks, *next;
    int freed = 0;
    test_check_int(h->live, 0, where, __LINE__, "every block freed");
    for (; b; b = next) {
        next = b->next;
        if (b->freed) {
            char place[64];
            snprintf(place, sizeof place, "a freed block of %lu bytes", (unsigned long)b->n);
            scan(where, place, &b->data, b->n);
            freed++;
        }
        free(b);
    }
    h->blocks = NULL;
    h->live = 0;
}

static void scan_client(const char *where, const cdrest_client *c) {
    scan(where, "the client struct", c, sizeof *c);
}

static void base_config(cdrest_config *cfg, heap *h, int tls) {
    static char url[64];
    snprintf(url, sizeof url, "%s://127.0.0.1:%d", tls ? "https" : "http", tls ? emu_tls_port : emu_port);
    *cfg = test_config(url, 10000);
    cfg->alloc_ctx = h;
    cfg->tls.ca_file = ca_file;
}

/* A session's life that makes every buffer grow while it holds secrets: login, a body
   sent with the head and one too large for that, a large answer, an expired session and
   a second login, then cdrest_free. */
static void session_life(const char *where, cdrest_client *c) {
    static char big[60001];
    cdrest_response r;
    cdrest_request req;
    cdrest_doc d;
    const char *v;
    size_t n;
    int rc;
    memset(big, 'v', sizeof big - 1);
    rc = cdrest_login(c);
    test_check_int(rc, 0, where, __LINE__, "login");
    if (rc) fprintf(stderr, "  %s: %s\n", where, cdrest_errmsg(c));
    add_secret("the first session id", cdrest_session_id(c));
    big[10000] = 0; /* a body that goes out in one write with the head: the send buffer grows */
    test_check_int(cdrest_set_property(c, "/projects/Default/s1", big, NULL, &d), 0, where, __LINE__, "set 10 KB");
    big[10000] = 'v';
    test_check_int(cdrest_set_property(c, "/projects/Default/s2", big, NULL, &d), 0, where, __LINE__, "set 60 KB");
    rc = cdrest_get_property_value(c, "/projects/Default/s2", NULL, &v, &n);
    test_check(rc == 0 && n == 60000, where, __LINE__, "get 60 KB");
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.target = "/emu/expire-sessions";
    test_check_int(cdrest_http(c, &req, &r), 0, where, __LINE__, "expire the session");
    test_check_int(cdrest_get_property_value(c, "/projects/Default/s1", NULL, &v, &n), 0, where, __LINE__,
                   "a call that logs in again");
    add_secret("the second session id", cdrest_session_id(c));
}

/* A client on cfg lives a session's life and is freed; then what it leaves is scanned:
   the client struct and every block it freed. */
static void live_and_scan(const char *where, const cdrest_config *cfg, heap *h) {
    cdrest_client c;
    if (!test_check_int(cdrest_init(&c, cfg), 0, where, __LINE__, "init")) return;
    session_life(where, &c);
    cdrest_free(&c);
    scan_client(where, &c);
    scan_heap(where, h);
}

static void test_password_session(int tls) {
    const char *where = tls ? "password over https" : "password over http";
    heap h = { NULL, 0, 0, 0 };
    cdrest_config cfg;
    base_config(&cfg, &h, tls);
    cfg.user = USER;
    cfg.password = PW;
    live_and_scan(where, &cfg, &h);
    test_check(h.frees >= 3, where, __LINE__, "buffers were grown and freed");
}

static void test_token_session(void) {
    const char *where = "token";
    heap h = { NULL, 0, 0, 0 };
    cdrest_config cfg;
    base_config(&cfg, &h, 0);
    cfg.token = TOKEN;
    live_and_scan(where, &cfg, &h);
}

static void test_basic_auth(void) {
    const char *where = "basic auth";
    heap h = { NULL, 0, 0, 0 };
    cdrest_client c;
    cdrest_config cfg;
    cdrest_doc d;
    static char big[20001];
    base_config(&cfg, &h, 0);
    cfg.user = USER;
    cfg.password = PW;
    cfg.basic_auth = 1;
    if (!test_check_int(cdrest_init(&c, &cfg), 0, where, __LINE__, "init")) return;
    memset(big, 'b', 12000);
    test_check_int(cdrest_set_property(&c, "/projects/Default/b1", big, NULL, &d), 0, where, __LINE__, "set");
    test_check_int(cdrest_get_property(&c, "/projects/Default/b1", NULL, &d), 0, where, __LINE__, "get");
    cdrest_free(&c);
    scan_client(where, &c);
    scan_heap(where, &h);
}

/* A session handed in (as from COMMANDER_SESSIONID), every buffer the caller's. */
static void test_caller_buffers(int tls) {
    const char *where = tls ? "caller buffers over https" : "caller buffers over http";
    static unsigned char buffer[1 << 17], send[1 << 17], tlsmem[CDREST_TLS_MEMORY + 8192];
    static cdrest_json_tok toks[256];
    heap h = { NULL, 0, 0, 0 };
    cdrest_config cfg;
    base_config(&cfg, &h, tls);
    cfg.user = USER;
    cfg.password = PW;
    cfg.buffer = buffer;
    cfg.buffer_size = sizeof buffer;
    cfg.send_buffer = send;
    cfg.send_buffer_size = sizeof send;
    cfg.tokens = toks;
    cfg.max_tokens = 256;
    cfg.tls_memory = tlsmem;
    cfg.tls_memory_size = sizeof tlsmem;
    live_and_scan(where, &cfg, &h);
    scan(where, "config.buffer", buffer, sizeof buffer);
    scan(where, "config.send_buffer", send, sizeof send);
    scan(where, "config.tls_memory", tlsmem, sizeof tlsmem);
}

/* A session id from the configuration, used, then freed. */
static void test_given_session(void) {
    const char *where = "given session";
    heap h = { NULL, 0, 0, 0 };
    cdrest_client c, login;
    cdrest_config cfg;
    cdrest_doc d;
    char sid[256];
    base_config(&cfg, &h, 0);
    cfg.user = USER;
    cfg.password = PW;
    if (!test_check_int(cdrest_init(&login, &cfg), 0, where, __LINE__, "init")) return;
    test_check_int(cdrest_login(&login), 0, where, __LINE__, "login");
    snprintf(sid, sizeof sid, "%s", cdrest_session_id(&login));
    add_secret("the given session id", sid);
    base_config(&cfg, &h, 0);
    cfg.session_id = sid;
    if (test_check_int(cdrest_init(&c, &cfg), 0, where, __LINE__, "init with the session")) {
        test_check_int(cdrest_get_property(&c, "/projects/Default/s1", NULL, &d), 0, where, __LINE__, "a call");
        cdrest_free(&c);
        scan_client(where, &c);
    }
    cdrest_free(&login);
    scan_client(where, &login);
    memset(sid, 0, sizeof sid);
    scan_heap(where, &h);
}

/* A proxy with credentials: in the struct while the client lives, nowhere after. */
static void test_proxy_auth(void) {
    const char *where = "proxy credentials";
    heap h = { NULL, 0, 0, 0 };
    cdrest_client c;
    cdrest_config cfg;
    char proxy[128];
    base_config(&cfg, &h, 0);
    snprintf(proxy, sizeof proxy, "http://%s:%s@127.0.0.1:9", PROXY_USER, PROXY_PW);
    cfg.no_proxy = 0;
    cfg.proxy = proxy;
    cfg.user = USER;
    cfg.password = PW;
    if (!test_check_int(cdrest_init(&c, &cfg), 0, where, __LINE__, "init")) return;
    test_check(strstr(c.proxy_auth, "Basic ") == c.proxy_auth, where, __LINE__, "the credential is held");
    cdrest_free(&c);
    scan_client(where, &c);
    scan_heap(where, &h);
}

/* An init that fails after the credentials were copied leaves none of them behind. */
static void test_failed_init(void) {
    static unsigned char small[100];
    static const char *const why[] = { "plain http to another host", "a buffer too small", "a bad proxy URL",
                                       "proxy credentials too long" };
    int k;
    for (k = 0; k < 4; k++) {
        heap h = { NULL, 0, 0, 0 };
        cdrest_client c;
        cdrest_config cfg;
        char proxy[1200], where[96];
        snprintf(where, sizeof where, "failed init (%s)", why[k]);
        base_config(&cfg, &h, 0);
        cfg.user = USER;
        cfg.password = PW;
        cfg.token = TOKEN;
        cfg.session_id = "Sid-5ecret-given";
        add_secret("a configured session id", cfg.session_id);
        if (k == 0) cfg.server = "http://cd.example.test";
        if (k == 1) {
            cfg.buffer = small;
            cfg.buffer_size = sizeof small;
        }
        if (k == 2) snprintf(proxy, sizeof proxy, "http://%s:%s@bad host:1", PROXY_USER, PROXY_PW);
        if (k == 3) {
            int n = snprintf(proxy, sizeof proxy, "http://%s:%s", PROXY_USER, PROXY_PW);
            memset(proxy + n, 'x', 380);
            snprintf(proxy + n + 380, sizeof proxy - (size_t)n - 380, "@127.0.0.1:9");
        }
        if (k >= 2) {
            cfg.no_proxy = 0;
            cfg.proxy = proxy;
        }
        test_check_int(cdrest_init(&c, &cfg), CDREST_E_ARG, where, __LINE__, "init fails");
        scan(where, "the error message", c.err.msg, strlen(c.err.msg));
        scan_client(where, &c);
        test_check(c.cfg.password == NULL && c.cfg.token == NULL && c.cfg.session_id == NULL && c.cfg.proxy == NULL,
                   where, __LINE__, "no pointer to the caller's secrets kept");
        cdrest_free(&c); /* allowed after a failed init */
        scan_heap(where, &h);
    }
}

/* The auth headers' texts (white box; they live on the stack of the request's sender):
   after the wipe every byte that held a secret is zero, and only those were touched (the
   wipe's length is what was written: that keeps it cheap). The lengths are set by
   cdrest__auth_headers whatever the request carries, so a struct full of stack garbage is
   never wiped by a garbage length. */
static void check_wiped(const char *where, const char *what, const char *text, size_t cap, size_t written) {
    size_t i, zero = 0, kept = 0;
    for (i = 0; i < cap; i++) {
        if (i < written)
            zero += text[i] == 0;
        else
            kept += (unsigned char)text[i] == 0x5A;
    }
    if (!test_check(zero == written && kept == cap - written, where, __LINE__, what))
        fprintf(stderr, "  %lu of %lu written bytes wiped, %lu of %lu others untouched\n", (unsigned long)zero,
                (unsigned long)written, (unsigned long)kept, (unsigned long)(cap - written));
}

static void auth_case(const char *where, cdrest_client *c, cdrest__auth_for to, int basic_auth, const char *sid,
                      int want_n, const char *want_name, const char *want_value) {
    cdrest__auth a;
    cdrest_header h[2];
    size_t basic_len = 0, cookie_len = 0;
    int n;
    c->cfg.basic_auth = basic_auth;
    snprintf(c->session_id, sizeof c->session_id, "%s", sid);
    memset(&a, 0x5A, sizeof a); /* what an earlier frame left on the stack */
    memset(h, 0, sizeof h);
    n = cdrest__auth_headers(c, to, h, &a);
    test_check_int(n, want_n, where, __LINE__, "how many auth headers");
    if (n > 0) {
        test_check(h[0].name && !strcmp(h[0].name, want_name), where, __LINE__, "the first header's name");
        test_check(h[0].value && !strcmp(h[0].value, want_value), where, __LINE__, "the first header's value");
        if (h[0].value == a.basic) basic_len = strlen(a.basic) + 1;
        if (h[0].value == a.cookie) cookie_len = strlen(a.cookie) + 1;
    }
    if (n > 1)
        test_check(!strcmp(h[1].name, "sessionId") && h[1].value == c->session_id, where, __LINE__,
                   "the sessionId header is the client's own");
    cdrest__auth_wipe(&a);
    check_wiped(where, "the Basic text wiped, and only it", a.basic, sizeof a.basic, basic_len);
    check_wiped(where, "the Cookie text wiped, and only it", a.cookie, sizeof a.cookie, cookie_len);
}

static int line_of(const char *src, const char *at) {
    int line = 1;
    for (; src < at; src++) line += *src == '\n';
    return line;
}

/* Only cdrest__auth_headers (and the Basic writer it calls) sets the wipe's lengths: a
   sender setting them itself is the trap this rule removed (a sender that forgot wiped
   its stack by a garbage length, caught only by ASan in one suite). */
static void check_one_initialiser(const char *where) {
    char path[512], *src;
    const char *from, *to, *p, *words[] = { "basic_used =", "cookie_used =" };
    int w, outside = 0;
    snprintf(path, sizeof path, "%s/../cdrest.h", test_dir());
    src = test_slurp(path, NULL);
    if (!test_check(src != NULL, where, __LINE__, "cdrest.h read")) return;
    from = strstr(src, "static void cdrest__auth_basic(");
    to = from ? strstr(from, "static int cdrest__cd_send(") : NULL;
    if (test_check(from && to, where, __LINE__, "the auth writers found")) {
        for (w = 0; w < 2; w++)
            for (p = strstr(src, words[w]); p; p = strstr(p + 1, words[w]))
                if (p < from || p > to) {
                    outside++;
                    fprintf(stderr, "  '%s' set at line %d of cdrest.h\n", words[w], line_of(src, p));
                }
        test_check_int(outside, 0, where, __LINE__, "the wipe's lengths are set nowhere else");
    }
    free(src);
}

static void test_auth_texts(void) {
    const char *where = "auth header texts";
    heap h = { NULL, 0, 0, 0 };
    cdrest_client c;
    cdrest_config cfg = test_config("http://127.0.0.1:9", 1000);
    char cred[64], basic[256], cookie[64];
    static const char SID[] = "Sid-5ecret-0042";
    cfg.alloc_ctx = &h;
    cfg.user = USER;
    cfg.password = PW;
    add_secret("the white-box session id", SID);
    snprintf(cookie, sizeof cookie, "sessionId=%s", SID);
    snprintf(cred, sizeof cred, "%s:%s", USER, PW);
    memcpy(basic, "Basic ", 6);
    cdrest_base64_encode(basic + 6, sizeof basic - 6, cred, strlen(cred));
    if (!test_check_int(cdrest_init(&c, &cfg), 0, where, __LINE__, "init")) return;
    auth_case("REST, Basic", &c, CDREST__AUTH_REST, 1, SID, 1, "Authorization", basic);
    auth_case("REST, session", &c, CDREST__AUTH_REST, 0, SID, 2, "Cookie", cookie);
    auth_case("REST, nothing held", &c, CDREST__AUTH_REST, 0, "", 0, NULL, NULL);
    auth_case("upload, session", &c, CDREST__AUTH_UPLOAD, 0, SID, 1, "Cookie", cookie);
    auth_case("upload with basic_auth: the cookie", &c, CDREST__AUTH_UPLOAD, 1, SID, 1, "Cookie", cookie);
    auth_case("none, everything held", &c, CDREST__AUTH_NONE, 1, SID, 0, NULL, NULL);
    auth_case("none, session held", &c, CDREST__AUTH_NONE, 0, SID, 0, NULL, NULL);
    cdrest_free(&c);
    scan_client(where, &c);
    scan_heap(where, &h);
    check_one_initialiser(where);
}

int main(void) {
    char cmd[256], cert[128], key[128], user[64];
    const char *extra[8];
    add_secret("the password", PW);
    add_secret("the token", TOKEN);
    add_secret("the user name", USER);
    add_secret("the proxy password", PROXY_PW);
    add_secret("the proxy user", PROXY_USER);
    add_basic("the Basic credential", USER, PW);
    add_basic("the proxy's Basic credential", PROXY_USER, PROXY_PW);
    test_auth_texts(); /* no server needed */
    snprintf(user, sizeof user, "%s:%s", USER, PW);
    extra[0] = "--user";
    extra[1] = user;
    extra[2] = "--token";
    extra[3] = TOKEN;
    extra[4] = NULL;
    emu_port = test_start_emu(extra, &emu_pid);
    CHECK(emu_port > 0);
    snprintf(cert_dir, sizeof cert_dir, "/tmp/cdrest-secrets-XXXXXX");
    if (mkdtemp(cert_dir)) {
        snprintf(cmd, sizeof cmd, "sh '%s/mkcerts.sh' '%s' >/dev/null 2>&1", test_dir(), cert_dir);
        if (system(cmd) == 0) {
            snprintf(cert, sizeof cert, "%s/ecdsa.pem", cert_dir);
            snprintf(key, sizeof key, "%s/ecdsa.key", cert_dir);
            snprintf(ca_file, sizeof ca_file, "%s/ca.pem", cert_dir);
            extra[4] = "--cert";
            extra[5] = cert;
            extra[6] = "--key";
            extra[7] = NULL;
            {
                const char *e2[9];
                memcpy(e2, extra, sizeof extra);
                e2[7] = key;
                e2[8] = NULL;
                emu_tls_port = test_start_emu(e2, &emu_tls_pid);
            }
        }
    }
    CHECK(emu_tls_port > 0);
    if (emu_port > 0) {
        test_password_session(0);
        test_token_session();
        test_basic_auth();
        test_given_session();
        test_caller_buffers(0);
        test_proxy_auth();
        test_failed_init();
    }
    if (emu_tls_port > 0) {
        test_password_session(1);
        test_caller_buffers(1);
    }
    test_stop_server(emu_pid);
    test_stop_server(emu_tls_pid);
    if (cert_dir[0] && !strncmp(cert_dir, "/tmp/cdrest-secrets-", 20)) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", cert_dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", cert_dir);
    }
    printf("%d secrets searched for\n", nsecrets);
    return test_summary();
}
