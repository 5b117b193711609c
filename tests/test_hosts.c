/* Hosts: ONE table of tricky host forms, each with one expected outcome, run through
   every place that reads a host: the URL parser, the IP literal parser, the loopback
   test (which decides where credentials may go in clear and what skips the proxy), the
   no_proxy matcher and the TLS certificate's IP check. For every address the table
   accepts, the system resolver (getaddrinfo with AI_NUMERICHOST: no lookup leaves the
   machine) must read the same bytes: the address verified is the address connected to. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

typedef struct host_row {
    const char *host; /* as written in the URL's authority (IPv6 in brackets) */
    const char *addr; /* accepted IP literal: its canonical text; NULL for a name or a refusal */
    int url_ok;       /* http://HOST:8000/ parses */
    int loopback;     /* credentials may go there in clear; never proxied from the environment */
    const char *why;  /* a refusal: words its message must hold */
} host_row;

static const host_row rows[] = {
    /* IPv4: canonical dotted quads only */
    { "127.0.0.1", "127.0.0.1", 1, 1, NULL },
    { "127.0.0.8", "127.0.0.8", 1, 1, NULL },
    { "127.255.255.254", "127.255.255.254", 1, 1, NULL },
    { "128.0.0.1", "128.0.0.1", 1, 0, NULL },
    { "10.0.0.1", "10.0.0.1", 1, 0, NULL },
    { "0.0.0.0", "0.0.0.0", 1, 0, NULL },
    { "255.255.255.255", "255.255.255.255", 1, 0, NULL },
    /* leading zeros (octal to inet_aton), short forms, hex, whole numbers, out of range */
    { "127.0.0.010", NULL, 0, 0, "canonical IPv4" },
    { "127.0.0.01", NULL, 0, 0, "canonical IPv4" },
    { "010.0.0.1", NULL, 0, 0, "canonical IPv4" },
    { "00.0.0.0", NULL, 0, 0, "canonical IPv4" },
    { "127.1", NULL, 0, 0, "canonical IPv4" },
    { "127.0.1", NULL, 0, 0, "canonical IPv4" },
    { "2130706433", NULL, 0, 0, "canonical IPv4" },
    { "0x7f.0.0.1", NULL, 0, 0, "canonical IPv4" },
    { "0x7f000001", NULL, 0, 0, "canonical IPv4" },
    { "0X7F.1", NULL, 0, 0, "canonical IPv4" },
    { "127.0.0.0x1", NULL, 0, 0, "canonical IPv4" },
    { "127.0.0.256", NULL, 0, 0, "canonical IPv4" },
    { "1.2.3.4.5", NULL, 0, 0, "canonical IPv4" },
    { "127.0.0.1.", NULL, 0, 0, "canonical IPv4" },
    /* names that look like loopback but are not */
    { "127.attacker.example", NULL, 1, 0, NULL },
    { "127.0.0.1.nip.io", NULL, 1, 0, NULL },
    { "localhost.attacker.example", NULL, 1, 0, NULL },
    { "localhost.", NULL, 1, 0, NULL }, /* only the exact name counts */
    { "localhost", NULL, 1, 1, NULL },
    { "LOCALHOST", NULL, 1, 1, NULL }, /* upper case: host names are lower-cased */
    { "Example.COM", NULL, 1, 0, NULL },
    { "example.com.", NULL, 1, 0, NULL },
    { "xn--bcher-kva.example", NULL, 1, 0, NULL }, /* IDN in its ASCII form */
    { "b\xc3\xbc"
      "cher.example",
      NULL, 0, 0, "bad host name" }, /* IDN in UTF-8: not a host */
    { ".example.com", NULL, 0, 0, "bad host name" },
    { "a..example.com", NULL, 0, 0, "bad host name" },
    /* IPv6 */
    { "[::1]", "::1", 1, 1, NULL },
    { "[0:0:0:0:0:0:0:1]", "::1", 1, 1, NULL },
    { "[::ffff:127.0.0.1]", "::ffff:127.0.0.1", 1, 1, NULL },
    { "[::FFFF:7F00:1]", "::ffff:127.0.0.1", 1, 1, NULL },
    { "[::ffff:10.0.0.1]", "::ffff:10.0.0.1", 1, 0, NULL },
    { "[::127.0.0.1]", "::127.0.0.1", 1, 0, NULL }, /* IPv4-compatible, not mapped: not 127/8 */
    { "[::]", "::", 1, 0, NULL },
    { "[1:2:3:4:5:6:7:8]", "1:2:3:4:5:6:7:8", 1, 0, NULL },
    { "[1:2:3:4:5:6:1.2.3.4]", "1:2:3:4:5:6:102:304", 1, 0, NULL },
    { "[FE80::1]", "fe80::1", 1, 0, NULL },
    { "[::999.1.1.1]", NULL, 0, 0, "bad IPv6" },
    { "[::1.2.3.4.5]", NULL, 0, 0, "bad IPv6" },
    { "[::1..2]", NULL, 0, 0, "bad IPv6" },
    { "[::01.2.3.4]", NULL, 0, 0, "bad IPv6" },
    { "[::1.2.3]", NULL, 0, 0, "bad IPv6" },
    { "[1::2::3]", NULL, 0, 0, "bad IPv6" },
    { "[1:2:3:4:5:6:7:8:9]", NULL, 0, 0, "bad IPv6" },
    { "[1:2:3:4:5:6:7::8]", NULL, 0, 0, "bad IPv6" },
    { "[1:2:3:4:5:6:7:1.2.3.4]", NULL, 0, 0, "bad IPv6" },
    { "[12345::1]", NULL, 0, 0, "bad IPv6" },
    { "[::1:]", NULL, 0, 0, "bad IPv6" },
    { "[:1::2]", NULL, 0, 0, "bad IPv6" },
    { "[::1", NULL, 0, 0, "bad IPv6" },
    { "[fe80::1%25eth0]", NULL, 0, 0, "zone" },
};

/* The bytes the system reads for a numeric host: AF_INET 4, AF_INET6 16, else 0. */
static size_t resolver_bytes(const char *host, unsigned char out[16]) {
    struct addrinfo hints, *ai = NULL;
    size_t n = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, "80", &hints, &ai) != 0) return 0;
    if (ai->ai_family == AF_INET) {
        memcpy(out, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, 4);
        n = 4;
    } else if (ai->ai_family == AF_INET6) {
        memcpy(out, &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr, 16);
        n = 16;
    }
    freeaddrinfo(ai);
    return n;
}

static size_t pton(const char *text, unsigned char out[16]) {
    if (inet_pton(AF_INET, text, out) == 1) return 4;
    if (inet_pton(AF_INET6, text, out) == 1) return 16;
    return 0;
}

/* The host without the brackets an authority puts around IPv6. */
static void bare(const char *host, char *out, size_t cap) {
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') host++, n -= 2;
    if (n >= cap) n = cap - 1;
    memcpy(out, host, n);
    out[n] = 0;
}

static void check_ip_row(const host_row *r, const cdrest_url *u) {
    unsigned char want[16], got[16], sys[16];
    size_t wn = pton(r->addr, want), gn = cdrest__ip_parse(u->host, strlen(u->host), got);
    char list[300];
    CHECK(wn > 0);
    CHECK_INT(gn, wn);
    CHECK(gn == wn && memcmp(got, want, wn) == 0);
    /* the resolver connects to exactly these bytes */
    CHECK_INT(resolver_bytes(u->host, sys), wn);
    CHECK(memcmp(sys, want, wn) == 0);
    CHECK_INT(u->ipv6, wn == 16);
#ifndef CDREST_NO_TLS
    { /* the certificate is checked against the same address */
        unsigned char t[16];
        size_t tn = wn == 4 ? cdrest__tls_ipv4(u->host, t) : cdrest__tls_ipv6(u->host, t);
        CHECK_INT(tn, wn);
        CHECK(memcmp(t, want, wn) == 0);
        if (wn == 4)
            CHECK_INT(cdrest__tls_ipv6(u->host, t), 0);
        else
            CHECK_INT(cdrest__tls_ipv4(u->host, t), 0);
    }
#endif
    /* no_proxy: the address itself matches (also written canonically or in a block),
       text that merely ends the same way never does, nor does a name */
    CHECK(cdrest__no_proxy_match(u->host, u->host));
    CHECK(cdrest__no_proxy_match(r->addr, u->host));
    snprintf(list, sizeof list, "example.com, %s%s%s/%d", wn == 16 ? "[" : "", r->addr, wn == 16 ? "]" : "",
             wn == 4 ? 24 : 112);
    CHECK(cdrest__no_proxy_match(list, u->host));
    CHECK(!cdrest__no_proxy_match("1, 0.0.1, .1, 0.1, 1.2.3, 255, :1, 1]", u->host));
    CHECK(!cdrest__no_proxy_match("localhost, example.com, .example.com", u->host));
}

static void check_name_row(const host_row *r, const cdrest_url *u) {
    unsigned char b[16];
    const char *dot = strchr(u->host, '.');
    char list[300];
    CHECK_INT(cdrest__ip_parse(u->host, strlen(u->host), b), 0);
    CHECK_INT(u->ipv6, 0);
#ifndef CDREST_NO_TLS
    CHECK_INT(cdrest__tls_ipv4(u->host, b), 0);
    CHECK_INT(cdrest__tls_ipv6(u->host, b), 0);
#endif
    CHECK(cdrest__no_proxy_match(r->host, u->host)); /* names match case-insensitively */
    if (dot && dot[1]) {
        snprintf(list, sizeof list, "10.0.0.0/8, %s", dot); /* ".example.com" covers subdomains */
        CHECK(cdrest__no_proxy_match(list, u->host));
    }
    CHECK(!cdrest__no_proxy_match("127.0.0.1, ::1, 0.0.0.0/0, ::/0, 10.0.0.1", u->host));
    CHECK(!cdrest__no_proxy_match("ample.com, xample.com, le.com, com.", "example.com.evil"));
}

static void check_refused_row(const host_row *r, const cdrest_url *u, const cdrest_error *e, int rc) {
    unsigned char b[16];
    char text[300];
    (void)u;
    CHECK_INT(rc, CDREST_E_ARG);
    CHECK_CONTAINS(e->msg, r->why);
    bare(r->host, text, sizeof text);
    /* no reader sees an address in it: not the parser, not the certificate check, and as a
       no_proxy entry it covers no address */
    CHECK_INT(cdrest__ip_parse(text, strlen(text), b), 0);
#ifndef CDREST_NO_TLS
    CHECK_INT(cdrest__tls_ipv4(text, b), 0);
    CHECK_INT(cdrest__tls_ipv6(text, b), 0);
#endif
    CHECK(!cdrest__no_proxy_match(text, "127.0.0.1"));
    CHECK(!cdrest__no_proxy_match(text, "127.0.0.8"));
    CHECK(!cdrest__no_proxy_match(text, "127.0.0.10"));
    CHECK(!cdrest__no_proxy_match(text, "10.0.0.1"));
    CHECK(!cdrest__no_proxy_match(text, "::1"));
}

static void test_table(void) {
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const host_row *r = &rows[i];
        char url[400];
        cdrest_url u;
        cdrest_error e;
        int rc, failed = test_failed;
        memset(&e, 0, sizeof e);
        snprintf(url, sizeof url, "http://%s:8000/", r->host);
        rc = cdrest_url_parse(&u, url, &e);
        CHECK_INT(rc == 0, r->url_ok);
        if (rc == 0 && r->url_ok) {
            CHECK_INT(cdrest__is_loopback(u.host), r->loopback);
            CHECK_INT(u.port, 8000);
            if (r->addr)
                check_ip_row(r, &u);
            else
                check_name_row(r, &u);
        } else if (rc != 0 && !r->url_ok) {
            check_refused_row(r, &u, &e, rc);
        }
        if (test_failed != failed) fprintf(stderr, "  ^ row %lu: host %s (%s)\n", (unsigned long)i, r->host, e.msg);
    }
}

/* The IP parser on its own: byte order, the "::" placement, what a group may hold. */
static void test_ip_parser(void) {
    unsigned char b[16], w[16];
    CHECK_INT(cdrest__ip_parse("1::", 3, b), 16);
    CHECK_INT(pton("1::", w), 16);
    CHECK(memcmp(b, w, 16) == 0);
    CHECK_INT(cdrest__ip_parse("::2:3", 5, b), 16);
    CHECK_INT(pton("::2:3", w), 16);
    CHECK(memcmp(b, w, 16) == 0);
    CHECK_INT(cdrest__ip_parse("1:2::7:8", 8, b), 16);
    CHECK_INT(pton("1:2::7:8", w), 16);
    CHECK(memcmp(b, w, 16) == 0);
    CHECK_INT(cdrest__ip_parse("1.2.3.4", 7, b), 4);
    CHECK(b[0] == 1 && b[1] == 2 && b[2] == 3 && b[3] == 4);
    /* a length, not a NUL, ends the text */
    CHECK_INT(cdrest__ip_parse("10.0.0.1junk", 8, b), 4);
    CHECK_INT(cdrest__ip_parse("10.0.0.1", 7, b), 0);
    CHECK_INT(cdrest__ip_parse("", 0, b), 0);
    CHECK_INT(cdrest__ip_parse(":", 1, b), 0);
    CHECK_INT(cdrest__ip_parse("::", 2, b), 16);
    CHECK_INT(cdrest__ip_parse(":::", 3, b), 0);
    CHECK_INT(cdrest__ip_parse("1:2:3:4:5:6:7:8:", 16, b), 0);
    CHECK_INT(cdrest__ip_parse("g::1", 4, b), 0);
    CHECK_INT(cdrest__ip_parse("1.2.3.-4", 8, b), 0);
    CHECK_INT(cdrest__ip_parse("1.2.3. 4", 8, b), 0);
    CHECK_INT(cdrest__ip_parse("1.2.3.4 ", 8, b), 0);
    { /* IPv6 in a URL needs its brackets */
        cdrest_url u;
        CHECK_INT(cdrest_url_parse(&u, "http://::1:8000/", NULL), CDREST_E_ARG);
    }
}

/* no_proxy entries: CIDR blocks of every length, bad blocks, spaces, case. */
static void test_no_proxy(void) {
    CHECK(cdrest__no_proxy_match("10.0.0.0/8", "10.200.3.4"));
    CHECK(!cdrest__no_proxy_match("10.0.0.0/8", "11.0.0.1"));
    CHECK(cdrest__no_proxy_match("192.168.1.0/24", "192.168.1.77"));
    CHECK(!cdrest__no_proxy_match("192.168.1.0/24", "192.168.2.77"));
    CHECK(cdrest__no_proxy_match("172.16.0.0/12", "172.31.255.1"));
    CHECK(!cdrest__no_proxy_match("172.16.0.0/12", "172.32.0.1"));
    CHECK(cdrest__no_proxy_match("0.0.0.0/0", "8.8.8.8"));
    CHECK(!cdrest__no_proxy_match("0.0.0.0/0", "::1")); /* families never mix */
    CHECK(!cdrest__no_proxy_match("::/0", "10.0.0.1"));
    CHECK(cdrest__no_proxy_match("fe80::/10", "fe80::1234"));
    CHECK(cdrest__no_proxy_match("[fe80::]/10", "febf::1"));
    CHECK(!cdrest__no_proxy_match("fe80::/10", "fec0::1"));
    CHECK(!cdrest__no_proxy_match("10.0.0.0/33", "10.0.0.1")); /* a bad block matches nothing */
    CHECK(!cdrest__no_proxy_match("10.0.0.0/", "10.0.0.1"));
    CHECK(!cdrest__no_proxy_match("10.0.0.0/x", "10.0.0.1"));
    CHECK(!cdrest__no_proxy_match("010.0.0.0/8", "10.0.0.1"));
    CHECK(cdrest__no_proxy_match("  other.example ,  10.0.0.1  ", "10.0.0.1"));
    CHECK(!cdrest__no_proxy_match("1", "10.0.0.1")); /* the two: text suffixes */
    CHECK(!cdrest__no_proxy_match("0.0.1", "10.0.0.1"));
    CHECK(cdrest__no_proxy_match("EXAMPLE.com", "cd.example.COM"));
    CHECK(!cdrest__no_proxy_match("example.com", "badexample.com"));
    CHECK(cdrest__no_proxy_match("*", "10.0.0.1"));
    CHECK(cdrest__no_proxy_match("*", "cd.example.com"));
    CHECK(!cdrest__no_proxy_match("", "cd.example.com"));
    CHECK(!cdrest__no_proxy_match(",,", "cd.example.com"));
}

/* The credential rule reads hosts through the same loopback test: the attack
   (any host starting with "127.") and the proxy the bytes would travel through. */
static void test_credentials_rule(void) {
    static const struct {
        const char *server, *proxy;
        int rc;
    } cases[] = {
        { "http://127.attacker.example:8000", NULL, CDREST_E_ARG },
        { "http://127.0.0.1.nip.io:8000", NULL, CDREST_E_ARG },
        { "http://localhost.attacker.example:8000", NULL, CDREST_E_ARG },
        { "http://10.0.0.1:8000", NULL, CDREST_E_ARG },
        { "http://127.0.0.1:8000", NULL, 0 },
        { "http://127.9.8.7:8000", NULL, 0 },
        { "http://localhost:8000", NULL, 0 },
        { "http://[::1]:8000", NULL, 0 },
        { "http://[::ffff:127.0.0.1]:8000", NULL, 0 },
        /* an explicit proxy is where the bytes go: off the machine, the password may not */
        { "http://127.0.0.1:8000", "http://10.1.2.3:3128", CDREST_E_ARG },
        { "http://127.0.0.1:8000", "http://127.0.0.1:3128", 0 },
        { "http://10.0.0.1:8000", "http://127.0.0.1:3128", CDREST_E_ARG },
        { "https://10.0.0.1:8443", "http://10.1.2.3:3128", 0 },
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cdrest_client c;
        cdrest_config cfg;
        int rc;
        memset(&cfg, 0, sizeof cfg);
        cfg.server = cases[i].server;
        cfg.proxy = cases[i].proxy;
        cfg.no_proxy = !cases[i].proxy;
        cfg.user = "admin";
        cfg.password = "hunter2-password";
        rc = cdrest_init(&c, &cfg);
#ifdef CDREST_NO_TLS
        if (!strncmp(cases[i].server, "https", 5)) {
            cdrest_free(&c);
            continue;
        }
#endif
        CHECK_INT(rc, cases[i].rc);
        if (rc) {
            CHECK_CONTAINS(cdrest_errmsg(&c), "plain http://");
            CHECK(strstr(cdrest_errmsg(&c), "hunter2") == NULL);
        }
        if (rc != cases[i].rc)
            fprintf(stderr, "  ^ %s via %s\n", cases[i].server, cases[i].proxy ? cases[i].proxy : "-");
        cdrest_free(&c);
    }
}

int main(void) {
    test_table();
    test_ip_parser();
    test_no_proxy();
    test_credentials_rule();
    return test_summary();
}
