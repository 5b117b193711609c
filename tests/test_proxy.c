/* SPDX-License-Identifier: MIT */
/* HTTP proxies through a real one (tinyproxy, started here on loopback): absolute-form
   requests for http://, CONNECT tunnels for https:// (TLS and the name check end to end
   with the server), proxy credentials, a refused tunnel, the environment variables,
   no_proxy (names by suffix, IP literals exactly or by CIDR block) and loopback servers,
   which the environment's proxies never see. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>

static char tmpdir[] = "/tmp/cdrest-proxy-XXXXXX";

static int wait_listening(int port) {
    int i;
    for (i = 0; i < 100; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok) return 1;
        usleep(50000);
    }
    return 0;
}

/* tinyproxy in the foreground on a free port, optionally requiring credentials. */
static int start_tinyproxy(const char *name, const char *auth, pid_t *pid) {
    char conf[256];
    FILE *f;
    int port = test_free_port(0); /* tinyproxy cannot tell us the one it picked */
    snprintf(conf, sizeof conf, "%s/%s.conf", tmpdir, name);
    f = fopen(conf, "w");
    if (!f) return 0;
    fprintf(f, "Port %d\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 20\nLogLevel Error\n", port);
    if (getuid() == 0) fprintf(f, "User root\nGroup root\n");
    if (auth) fprintf(f, "BasicAuth %s\n", auth);
    fclose(f);
    *pid = fork();
    if (*pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execlp("tinyproxy", "tinyproxy", "-d", "-c", conf, (char *)NULL);
        _exit(127);
    }
    return wait_listening(port) ? port : 0;
}

static int client(cdrest_client *c, const char *server, const char *proxy, const cdrest_tls_config *tls) {
    cdrest_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = server;
    cfg.proxy = proxy;
    cfg.timeout_ms = 10000;
    if (tls) cfg.tls = *tls;
    return cdrest_init(c, &cfg);
}

static void test_http_through_proxy(int http_port, int proxy_port, int auth_port) {
    cdrest_client c;
    cdrest_response r;
    char server[64], proxy[96];
    snprintf(server, sizeof server, "http://127.0.0.1:%d", http_port);
    /* absolute-form through the proxy: the proxy adds its Via header */
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", proxy_port);
    CHECK_INT(client(&c, server, proxy, NULL), 0);
    CHECK_INT(test_get(&c, "/echo", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_CONTAINS(r.body, "GET /echo");
    CHECK_CONTAINS(r.body, "Via:");
    CHECK_INT(test_get(&c, "/bytes?n=100000", &r), 0); /* more than one request on the client */
    CHECK_INT((long long)r.body_len, 100000);
    cdrest_free(&c);
    /* a proxy that wants credentials: without them its 407 comes back as the answer */
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", auth_port);
    CHECK_INT(client(&c, server, proxy, NULL), 0);
    CHECK_INT(test_get(&c, "/echo", &r), 0);
    CHECK_INT(r.status, 407);
    cdrest_free(&c);
    snprintf(proxy, sizeof proxy, "http://alice:s3cret@127.0.0.1:%d", auth_port);
    CHECK_INT(client(&c, server, proxy, NULL), 0);
    CHECK_INT(test_get(&c, "/echo", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_CONTAINS(r.body, "Via:");
    CHECK(strstr(r.body, "Proxy-Authorization") == NULL); /* the proxy consumed it */
    cdrest_free(&c);
    /* percent-encoded credentials */
    snprintf(proxy, sizeof proxy, "http://al%%69ce:s3cr%%65t@127.0.0.1:%d", auth_port);
    CHECK_INT(client(&c, server, proxy, NULL), 0);
    CHECK_INT(test_get(&c, "/echo", &r), 0);
    CHECK_INT(r.status, 200);
    cdrest_free(&c);
}

/* This machine's name, if it resolves to 127.0.0.1 (as /etc/hosts usually says): a
   server name that is not loopback to cdrest but that the proxy can reach here. */
static int loopback_alias(char *name, size_t cap) {
    struct addrinfo hints, *ai = NULL;
    int ok = 0;
    if (gethostname(name, cap) != 0 || !name[0] || cdrest__is_loopback(name)) return 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(name, "80", &hints, &ai) != 0) return 0;
    ok = ((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    freeaddrinfo(ai);
    return ok;
}

/* use_proxy after init for a server, with the environment as it is (no traffic). */
static int proxied(const char *server) {
    cdrest_client c;
    int rc = client(&c, server, NULL, NULL), used = c.use_proxy;
    cdrest_free(&c);
    return rc == 0 ? used : -1;
}

static void test_environment(int http_port, int proxy_port) {
    cdrest_client c;
    cdrest_response r;
    char server[64], proxy[64], alias[200];
    snprintf(server, sizeof server, "http://127.0.0.1:%d", http_port);
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", proxy_port);
    setenv("http_proxy", proxy, 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    /* a loopback server never goes through a proxy from the environment (curl, requests):
       the login body must not reach the proxy */
    {
        cdrest_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.server = server;
        cfg.user = "admin";
        cfg.password = "pw-for-loopback-only";
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        CHECK_INT(c.use_proxy, 0);
        CHECK_INT(test_get(&c, "/echo", &r), 0);
        CHECK_CONTAINS(r.body, "GET /echo");
        CHECK(strstr(r.body, "Via:") == NULL);
        cdrest_free(&c);
    }
    CHECK_INT(proxied("http://localhost:8000"), 0);
    CHECK_INT(proxied("http://127.8.9.10:8000"), 0);
    CHECK_INT(proxied("http://[::1]:8000"), 0);
    CHECK_INT(proxied("http://[::ffff:127.0.0.1]:8000"), 0);
    /* names that only look like loopback are proxied */
    CHECK_INT(proxied("http://127.attacker.example:8000"), 1);
    CHECK_INT(proxied("http://localhost.example:8000"), 1);
    CHECK_INT(proxied("http://cd.example.test:8000"), 1);
    /* a non-loopback name through the environment's proxy, end to end, when this
       machine's name resolves to 127.0.0.1 for the proxy */
    if (loopback_alias(alias, sizeof alias)) {
        char url[300];
        snprintf(url, sizeof url, "http://%s:%d", alias, http_port);
        CHECK_INT(client(&c, url, NULL, NULL), 0);
        CHECK_INT(c.use_proxy, 1);
        CHECK_INT(test_get(&c, "/echo", &r), 0);
        CHECK_CONTAINS(r.body, "Via:");
        cdrest_free(&c);
    } else {
        printf("note: this host's name does not resolve to 127.0.0.1; environment proxy request skipped\n");
    }
    /* no_proxy: names by domain suffix, IP literals exactly or by CIDR block */
    setenv("no_proxy", "example.com, 10.0.0.1", 1);
    CHECK_INT(proxied("http://10.0.0.1:8000"), 0);
    CHECK_INT(proxied("http://10.0.0.2:8000"), 1);
    CHECK_INT(proxied("http://cd.example.com:8000"), 0);
    CHECK_INT(proxied("http://cd.example.org:8000"), 1);
    setenv("no_proxy", "1", 1); /* the issue: "1" and "0.0.1" bypassed the proxy for 10.0.0.1 */
    CHECK_INT(proxied("http://10.0.0.1:8000"), 1);
    setenv("no_proxy", "0.0.1", 1);
    CHECK_INT(proxied("http://10.0.0.1:8000"), 1);
    setenv("no_proxy", ".0.1", 1);
    CHECK_INT(proxied("http://10.0.0.1:8000"), 1);
    setenv("no_proxy", "10.0.0.0/8, fd00::/8", 1);
    CHECK_INT(proxied("http://10.200.0.1:8000"), 0);
    CHECK_INT(proxied("http://11.0.0.1:8000"), 1);
    CHECK_INT(proxied("http://[fd12::1]:8000"), 0);
    CHECK_INT(proxied("http://[fe80::1]:8000"), 1);
    setenv("no_proxy", "*", 1);
    CHECK_INT(proxied("http://cd.example.test:8000"), 0);
    setenv("no_proxy", "other.example, .example.org", 1);
    CHECK_INT(proxied("http://cd.example.test:8000"), 1);
    CHECK_INT(proxied("http://cd.example.org:8000"), 0);
    unsetenv("no_proxy");
    setenv("NO_PROXY", "EXAMPLE.TEST", 1);
    CHECK_INT(proxied("http://cd.example.test:8000"), 0);
    unsetenv("NO_PROXY");
    /* the explicit "no proxy" setting wins over the environment */
    {
        cdrest_config cfg;
        cfg = test_config("http://cd.example.test:8000", 0);
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        CHECK_INT(c.use_proxy, 0);
        cdrest_free(&c);
    }
    /* COMMANDER_HTTP_PROXY is honoured too, and loopback skips it as well */
    unsetenv("http_proxy");
    setenv("COMMANDER_HTTP_PROXY", proxy, 1);
    CHECK_INT(proxied("http://cd.example.test:8000"), 1);
    CHECK_INT(proxied(server), 0);
    unsetenv("COMMANDER_HTTP_PROXY");
    /* a proxy URL we cannot use */
    CHECK_INT(client(&c, server, "socks5://127.0.0.1:1080", NULL), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "only http:// proxies");
    CHECK_INT(client(&c, server, "http://u:pw@127.0.0.1:", NULL), CDREST_E_ARG);
    CHECK(strstr(cdrest_errmsg(&c), "pw") == NULL);
}

#ifndef CDREST_NO_TLS
/* https:// through CONNECT: the certificate is checked against the server's name,
   end to end; the proxy only relays bytes. */
static void test_https_through_proxy(int proxy_port, int auth_port) {
    char certs[256], cmd[600], ca[300], cert[300], key[300], server[64], proxy[96];
    cdrest_tls_config tls;
    cdrest_client c;
    cdrest_response r;
    pid_t emu;
    int port;
    snprintf(certs, sizeof certs, "%s/certs", tmpdir);
    snprintf(cmd, sizeof cmd, "sh %s/mkcerts.sh %s >/dev/null 2>&1", test_dir(), certs);
    CHECK_INT(system(cmd), 0);
    snprintf(ca, sizeof ca, "%s/ca.pem", certs);
    snprintf(cert, sizeof cert, "%s/rsa.pem", certs);
    snprintf(key, sizeof key, "%s/rsa.key", certs);
    {
        const char *extra[] = { "--cert", cert, "--key", key, NULL };
        port = test_start_emu(extra, &emu);
    }
    CHECK(port > 0);
    if (port <= 0) return;
    memset(&tls, 0, sizeof tls);
    tls.ca_file = ca;
    snprintf(server, sizeof server, "https://localhost:%d", port);
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", proxy_port);
    CHECK_INT(client(&c, server, proxy, &tls), 0);
    CHECK_INT(test_get(&c, "/emu/stats", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(test_get(&c, "/emu/stats", &r), 0); /* the tunnel is kept alive */
    CHECK_INT((long long)c.connects, 1);
    {
        /* a full CD call through the tunnel */
        cdrest_param ctx[] = { { "projectName", "Default" }, { NULL, NULL } };
        const char *v;
        size_t n;
        cdrest_free(&c);
        {
            cdrest_config cfg;
            memset(&cfg, 0, sizeof cfg);
            cfg.server = server;
            cfg.proxy = proxy;
            cfg.user = "admin";
            cfg.password = "changeme";
            cfg.tls = tls;
            CHECK_INT(cdrest_init(&c, &cfg), 0);
        }
        CHECK_INT(cdrest_set_property(&c, "viaProxy", "tunnelled", ctx, NULL), 0);
        CHECK_INT(cdrest_get_property_value(&c, "viaProxy", ctx, &v, &n), 0);
        CHECK_STR(v, "tunnelled");
    }
    cdrest_free(&c);
    /* the name check is against the server, not the proxy: a wrong name still fails */
    snprintf(server, sizeof server, "https://127.0.0.2:%d", port);
    CHECK_INT(client(&c, server, proxy, &tls), 0);
    CHECK(test_get(&c, "/emu/stats", &r) != 0);
    cdrest_free(&c);
    /* a proxy wanting credentials refuses the tunnel with its status line */
    snprintf(server, sizeof server, "https://localhost:%d", port);
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", auth_port);
    CHECK_INT(client(&c, server, proxy, &tls), 0);
    CHECK_INT(test_get(&c, "/emu/stats", &r), CDREST_E_AUTH);
    CHECK_CONTAINS(cdrest_errmsg(&c), "refused the tunnel");
    CHECK_CONTAINS(cdrest_errmsg(&c), "407");
    cdrest_free(&c);
    snprintf(proxy, sizeof proxy, "http://alice:s3cret@127.0.0.1:%d", auth_port);
    CHECK_INT(client(&c, server, proxy, &tls), 0);
    CHECK_INT(test_get(&c, "/emu/stats", &r), 0);
    CHECK_INT(r.status, 200);
    cdrest_free(&c);
    /* a tunnel to a closed port: the proxy's answer, in words */
    snprintf(server, sizeof server, "https://localhost:%d", test_free_port(0));
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", proxy_port);
    CHECK_INT(client(&c, server, proxy, &tls), 0);
    CHECK_INT(test_get(&c, "/", &r), CDREST_E_CONNECT);
    CHECK_CONTAINS(cdrest_errmsg(&c), "refused the tunnel");
    cdrest_free(&c);
    test_stop_server(emu);
    snprintf(cmd, sizeof cmd, "rm -rf %s", certs);
    CHECK_INT(system(cmd), 0);
}

#endif

int main(void) {
    pid_t httpd = 0, proxy = 0, auth = 0;
    int http_port, proxy_port, auth_port;
    char path[512];
    CHECK(mkdtemp(tmpdir) != NULL);
    http_port = test_start_httpd(NULL, NULL, &httpd);
    proxy_port = start_tinyproxy("open", NULL, &proxy);
    auth_port = start_tinyproxy("auth", "alice s3cret", &auth);
    CHECK(http_port > 0 && proxy_port > 0 && auth_port > 0);
    if (http_port > 0 && proxy_port > 0 && auth_port > 0) {
        test_http_through_proxy(http_port, proxy_port, auth_port);
        test_environment(http_port, proxy_port);
#ifndef CDREST_NO_TLS
        test_https_through_proxy(proxy_port, auth_port);
#endif
    }
    test_stop_server(httpd);
    test_stop_server(proxy);
    test_stop_server(auth);
    snprintf(path, sizeof path, "rm -rf %s", tmpdir);
    CHECK_INT(system(path), 0);
    return test_summary();
}
