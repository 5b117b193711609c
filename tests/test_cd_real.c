/* The CD layer where the real CloudBees CD/RO server differs from a naive reading of the
   API (docs/cd-api.md says which public source confirms each behaviour): the upload
   endpoint's text answers, its refusals and session renewal, which files may be sent and
   under what names, directory trees, the artifactName filter, and the server generations
   the emulator plays with --profile (before 2023.01, 2023-2025, Jetty 12.1). Runs against
   the bundled emulator (tests/cdemu.py) and a transport that records what goes on the wire. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <sys/stat.h>
#include <sys/types.h>

static pid_t emu_pid;
static char base_url[128];
static char tmp[256];

static int start_emu(const char *profile) {
    const char *extra[] = { "--job-seconds", "1", "--profile", profile, NULL };
    int port;
    test_stop_server(emu_pid);
    emu_pid = 0;
    port = test_start_emu(extra, &emu_pid);
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
    return port;
}

static int make_client(cdrest_client *c) {
    cdrest_config cfg = test_admin_config(base_url);
    return cdrest_init(c, &cfg);
}

/* A raw request to the emulator (its /emu/ control endpoints), body optional. */
static int emu(cdrest_client *c, const char *method, const char *target, const char *body, cdrest_response *r) {
    cdrest_request req;
    cdrest_header h = { "Content-Type", "application/json" };
    memset(&req, 0, sizeof req);
    req.method = method;
    req.target = target;
    if (body) {
        req.body = body;
        req.body_len = strlen(body);
        req.headers = &h;
        req.nheaders = 1;
    }
    return cdrest_http(c, &req, r);
}

static void upload_answer(cdrest_client *c, const char *json) {
    cdrest_response r;
    char body[600];
    snprintf(body, sizeof body, "{\"uploadAnswer\": %s}", json);
    CHECK_INT(emu(c, "POST", "/emu/config", body, &r), 0);
    CHECK_INT(r.status, 200);
}

static void write_file(const char *path, const char *data) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(data, f);
        fclose(f);
    }
}

/* The names the emulator stored for a version, as its JSON listing (in a static buffer). */
static const char *stored_names(cdrest_client *c, const char *version) {
    static char out[65536];
    char target[300];
    cdrest_response r;
    snprintf(target, sizeof target, "/emu/artifact-files?version=%s", version);
    out[0] = 0;
    if (emu(c, "GET", target, NULL, &r) == 0 && r.status == 200)
        snprintf(out, sizeof out, "%.*s", (int)r.body_len, r.body);
    return out;
}

/* How many of the emulator's recent requests went to target (path prefix). */
static int requests_to(cdrest_client *c, const char *method, const char *path) {
    cdrest_response r;
    char needle[300];
    const char *p;
    int n = 0;
    if (emu(c, "GET", "/emu/requests?n=200", NULL, &r) != 0) return -1;
    snprintf(needle, sizeof needle, "\"method\":\"%s\",\"target\":\"%s", method, path);
    for (p = r.body; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

/* 1. The upload endpoint's answers: only exactly "Artifact-Published-OK" is success. */
static void test_publish_answers(void) {
    cdrest_client c;
    const char *files[1];
    char path[300];
    snprintf(path, sizeof path, "%s/one.txt", tmp);
    write_file(path, "one");
    files[0] = path;
    CHECK_INT(make_client(&c), 0);
    /* the server's own refusal: HTTP 200 and text (was a false success before) */
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", "nosuchrepo", files, 1, NULL, NULL), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchRepository");
    CHECK_INT(c.err.http_status, 200);
    CHECK_CONTAINS(cdrest_errmsg(&c), "publishArtifactAPI error [NoSuchRepository]");
    CHECK_CONTAINS(cdrest_errmsg(&c), "nosuchrepo");
    /* a refusal without the "publishArtifactAPI " prefix */
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:bad/key", "1", NULL, files, 1, NULL, NULL), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "InvalidArtifactName");
    /* odd answers, scripted */
    upload_answer(&c, "{\"body\": \"Artifact-Published-OK\\r\\n\"}");
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 1, NULL, NULL), 0);
    upload_answer(&c, "{\"body\": \"\"}");
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 1, NULL, NULL), CDREST_E_SERVER);
    CHECK_CONTAINS(cdrest_errmsg(&c), "did not confirm");
    upload_answer(&c, "{\"body\": \"OK\"}");
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 1, NULL, NULL), CDREST_E_SERVER);
    upload_answer(&c, "{\"body\": \"Artifact-Published-OK, but not quite\"}");
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 1, NULL, NULL), CDREST_E_SERVER);
    upload_answer(&c, "{\"body\": \"<html><body>Upload failed: error [QuotaExceeded]: no room</body></html>\"}");
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 1, NULL, NULL), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "QuotaExceeded");
    CHECK_CONTAINS(cdrest_errmsg(&c), "no room");
    upload_answer(&c, "{\"status\": 500, \"body\": \"Internal error\"}");
    CHECK(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 1, NULL, NULL) != 0);
    upload_answer(&c, "{\"status\": 204, \"body\": \"\"}");
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 1, NULL, NULL), CDREST_E_SERVER);
    upload_answer(&c, "null");
    /* and the real success */
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 1, NULL, NULL), 0);
    CHECK_CONTAINS(stored_names(&c, "g:k:1"), "\"one.txt\"");
    cdrest_free(&c);
}

/* 2. An expired session is renewed for a publish as for every other call (19.9). */
static void test_publish_renews_session(void) {
    cdrest_client c;
    cdrest_response r;
    const char *files[1];
    char path[300];
    snprintf(path, sizeof path, "%s/one.txt", tmp);
    files[0] = path;
    CHECK_INT(make_client(&c), 0);
    CHECK_INT(cdrest_login(&c), 0);
    CHECK_INT(emu(&c, "POST", "/emu/expire-sessions", NULL, &r), 0);
    CHECK_INT(cdrest_publish_artifact_version(&c, "renew:k", "1", NULL, files, 1, NULL, NULL), 0);
    CHECK_CONTAINS(stored_names(&c, "renew:k:1"), "\"one.txt\"");
    cdrest_free(&c);
}

/* A session the server refuses is CDREST_E_AUTH on upload as on every REST call (the
   upload endpoint's 401 "error [SessionExpired]" text came back as CDREST_E_SERVER). */
static void test_publish_refused_session(void) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_doc d;
    const char *files[1];
    char path[300];
    snprintf(path, sizeof path, "%s/one.txt", tmp);
    files[0] = path;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = base_url;
    cfg.session_id = "DEADBEEF"; /* no credentials to log in again with */
    cfg.timeout_ms = 20000;
    cfg.no_proxy = 1;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_publish_artifact_version(&c, "sess:k", "1", NULL, files, 1, NULL, NULL), CDREST_E_AUTH);
    CHECK_INT(c.err.http_status, 401);
    CHECK_STR(c.err.server_code, "SessionExpired");
    CHECK_INT(cdrest_get_property(&c, "/projects/Default/x", NULL, &d), CDREST_E_AUTH);
    cdrest_free(&c);
}

/* 3. Only regular files, and local problems name the file with their own class (19.11). */
static void test_publish_local_files(void) {
    cdrest_client c;
    const char *files[2];
    char fifo[300], dir[300], path[300];
    int uploads_before;
    snprintf(path, sizeof path, "%s/one.txt", tmp);
    snprintf(dir, sizeof dir, "%s/adir", tmp);
    snprintf(fifo, sizeof fifo, "%s/fifo", tmp);
    mkdir(dir, 0700);
    CHECK_INT(mkfifo(fifo, 0600), 0);
    CHECK_INT(make_client(&c), 0);
    uploads_before = requests_to(&c, "POST", "/commander/publishArtifact.php");
    files[0] = path;
    files[1] = dir;
    CHECK_INT(cdrest_publish_artifact_version(&c, "loc:k", "1", NULL, files, 2, NULL, NULL), CDREST_E_FILE);
    CHECK_CONTAINS(cdrest_errmsg(&c), dir);
    CHECK_CONTAINS(cdrest_errmsg(&c), "not a regular file");
    files[1] = "/dev/zero";
    CHECK_INT(cdrest_publish_artifact_version(&c, "loc:k", "1", NULL, files, 2, NULL, NULL), CDREST_E_FILE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "/dev/zero");
    files[1] = fifo; /* nobody writes to it: must fail at once, not block */
    alarm(20);
    CHECK_INT(cdrest_publish_artifact_version(&c, "loc:k", "1", NULL, files, 2, NULL, NULL), CDREST_E_FILE);
    alarm(0);
    CHECK_CONTAINS(cdrest_errmsg(&c), fifo);
    files[1] = "/nonexistent/file";
    CHECK_INT(cdrest_publish_artifact_version(&c, "loc:k", "1", NULL, files, 2, NULL, NULL), CDREST_E_FILE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "/nonexistent/file");
    files[1] = NULL;
    CHECK_INT(cdrest_publish_artifact_version(&c, "loc:k", "1", NULL, files, 2, NULL, NULL), CDREST_E_ARG);
    /* nothing was uploaded by any of them */
    CHECK_INT(requests_to(&c, "POST", "/commander/publishArtifact.php"), uploads_before);
    cdrest_free(&c);
    unlink(fifo);
}

/* A file that changes while it is sent fails the upload, named, as a local file error. */
typedef struct change_ctx {
    const char *path;
    int grow, done;
} change_ctx;
static void change_file(void *ctx, uint64_t sent, uint64_t total) {
    change_ctx *k = (change_ctx *)ctx;
    (void)total;
    if (k->done || sent < 1000) return; /* once the file's first bytes went out */
    k->done = 1;
    if (k->grow) {
        FILE *f = fopen(k->path, "ab");
        if (f) {
            fputs("more", f);
            fclose(f);
        }
    } else if (truncate(k->path, 10) != 0) {
        perror("truncate");
    }
}

static void test_publish_changing_file(void) {
    cdrest_client c;
    const char *files[1];
    char path[300], big[200001];
    change_ctx k;
    int grow;
    snprintf(path, sizeof path, "%s/changing.bin", tmp);
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    files[0] = path;
    CHECK_INT(make_client(&c), 0);
    for (grow = 0; grow < 2; grow++) {
        write_file(path, big);
        k.path = path;
        k.grow = grow;
        k.done = 0;
        CHECK_INT(cdrest_publish_artifact_version(&c, "chg:k", grow ? "g" : "s", NULL, files, 1, change_file, &k),
                  CDREST_E_FILE);
        CHECK_CONTAINS(cdrest_errmsg(&c), path);
        CHECK_CONTAINS(cdrest_errmsg(&c), grow ? "grew" : "shrank");
    }
    cdrest_free(&c);
}

/* A transport that records what is written and then fails the body: to read heads. */
typedef struct capture {
    char data[4096];
    size_t len;
} capture;
static int cap_connect(void *self, const char *host, unsigned short port, int timeout_ms, cdrest_error *err) {
    (void)self, (void)host, (void)port, (void)timeout_ms, (void)err;
    return 0;
}
static long cap_read(void *self, void *buf, size_t len, int timeout_ms, cdrest_error *err) {
    (void)self, (void)buf, (void)len, (void)timeout_ms;
    return cdrest_error_set(err, CDREST_E_IO, "capture transport: no answers");
}
static long cap_write(void *self, const void *buf, size_t len, int timeout_ms, cdrest_error *err) {
    capture *k = (capture *)self;
    size_t n = len < sizeof k->data - 1 - k->len ? len : sizeof k->data - 1 - k->len;
    (void)timeout_ms, (void)err;
    memcpy(k->data + k->len, buf, n);
    k->len += n;
    k->data[k->len] = 0;
    return (long)len;
}
static void cap_close(void *self) {
    (void)self;
}
static long one_chunk_then_fail(void *ctx, void *buf, size_t cap) {
    int *calls = (int *)ctx;
    if ((*calls)++) return CDREST_E_IO;
    memset(buf, 'x', cap < 16 ? cap : 16);
    return cap < 16 ? (long)cap : 16;
}

/* Every header value goes out whole, or the request is refused: Content-Length of any
   size (a 10 TiB upload's was cut at 31 bytes before). */
static void test_content_length_whole(void) {
    static const uint64_t sizes[] = { 10995116277760ull, 1099511627776000ull, 0xffffffffffffffffull };
    cdrest_transport t;
    size_t i;
    memset(&t, 0, sizeof t);
    t.connect = cap_connect;
    t.read = cap_read;
    t.write = cap_write;
    t.close = cap_close;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        cdrest_client c;
        cdrest_config cfg;
        cdrest_request req;
        cdrest_response r;
        capture k;
        char want[64];
        int calls = 0;
        if ((uint64_t)(size_t)sizes[i] != sizes[i]) continue; /* 32-bit size_t */
        memset(&k, 0, sizeof k);
        cfg = test_config("http://127.0.0.1:9", 0);
        cfg.transport = &t;
        cfg.transport_self = &k;
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        memset(&req, 0, sizeof req);
        req.method = "POST";
        req.target = "/upload";
        req.body_len = (size_t)sizes[i];
        req.body_read = one_chunk_then_fail;
        req.body_ctx = &calls;
        CHECK(cdrest_http(&c, &req, &r) != 0);
        snprintf(want, sizeof want, "\r\nContent-Length: %llu\r\n\r\n", (unsigned long long)sizes[i]);
        CHECK_CONTAINS(k.data, want);
        cdrest_free(&c);
    }
}

/* 4. File names reach the server exactly, or are refused before anything is sent (19.12):
   every printable ASCII character is tried, plus ';', '%', spaces and UTF-8. */
static void test_publish_names(void) {
    cdrest_client c;
    char dir[300], path[400], names[100][16], *list[100];
    const char *files[100];
    int n = 0, ch, i;
    const char *stored;
    snprintf(dir, sizeof dir, "%s/names", tmp);
    mkdir(dir, 0700);
    CHECK_INT(make_client(&c), 0);
    for (ch = 0x20; ch < 0x7f; ch++) {
        if (ch == '/') continue;
        snprintf(names[n], sizeof names[n], "n%cx", ch);
        snprintf(path, sizeof path, "%s/%s", dir, names[n]);
        write_file(path, names[n]);
        list[n] = names[n];
        n++;
    }
    for (i = 0; i < n; i++) {
        const char *one[1];
        int refused = strchr(list[i], '"') || strchr(list[i], '\\');
        snprintf(path, sizeof path, "%s/%s", dir, list[i]);
        one[0] = path;
        if (refused) {
            CHECK_INT(cdrest_publish_artifact_version(&c, "names:k", "bad", NULL, one, 1, NULL, NULL), CDREST_E_ARG);
            CHECK_CONTAINS(cdrest_errmsg(&c), list[i]);
        }
    }
    /* the rest, all in one version, each read back exactly */
    {
        int m = 0;
        static char paths[100][400];
        for (i = 0; i < n; i++) {
            if (strchr(list[i], '"') || strchr(list[i], '\\')) continue;
            snprintf(paths[m], sizeof paths[m], "%s/%s", dir, list[i]);
            files[m] = paths[m];
            m++;
        }
        snprintf(paths[m], sizeof paths[m], "%s/semi;colon 100%%25 \xc3\xbc\xe6\x97\xa5.txt", dir);
        write_file(paths[m], "utf8");
        files[m] = paths[m];
        m++;
        CHECK_INT(cdrest_publish_artifact_version(&c, "names:k", "1", NULL, files, m, NULL, NULL), 0);
        stored = stored_names(&c, "names:k:1");
        for (i = 0; i < m; i++) {
            cdrest_json_writer w;
            char quoted[128];
            cdrest_jw_init(&w, quoted, sizeof quoted);
            cdrest_jw_string(&w, cdrest__basename(files[i]));
            CHECK_INT(cdrest_jw_finish(&w), 0);
            if (!strstr(stored, quoted)) {
                fprintf(stderr, "  name %s not stored as sent\n", quoted);
                CHECK(0);
            }
        }
    }
    /* a fresh client with a refused name sends nothing at all, not even its login */
    {
        cdrest_client fresh;
        const char *one[1];
        int logins = requests_to(&c, "POST", "/rest/v1.0/sessions");
        snprintf(path, sizeof path, "%s/n\\x", dir);
        one[0] = path;
        CHECK_INT(make_client(&fresh), 0);
        CHECK_INT(cdrest_publish_artifact_version(&fresh, "names:k", "bad", NULL, one, 1, NULL, NULL), CDREST_E_ARG);
        one[0] = "/nonexistent/file";
        CHECK_INT(cdrest_publish_artifact_version(&fresh, "names:k", "bad", NULL, one, 1, NULL, NULL), CDREST_E_FILE);
        CHECK_INT(fresh.connects, 0);
        CHECK_INT(requests_to(&c, "POST", "/rest/v1.0/sessions"), logins);
        cdrest_free(&fresh);
    }
    /* refused names sent nothing: the version does not exist */
    {
        cdrest_doc d;
        CHECK_INT(cdrest_get_artifact_version(&c, "names:k:bad", &d), CDREST_E_SERVER);
    }
    cdrest_free(&c);
}

/* 5. Relative paths keep their directories; a directory is published whole. */
static void test_publish_trees(void) {
    cdrest_client c;
    char cwd[1024], p[400];
    const char *files[3];
    const char *inc[] = { "*.so", "*.txt", NULL }, *exc[] = { "skip", "lib/deep/no*", NULL };
    const char *stored;
    cdrest_doc d;
    int i, ok = 1;
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK_INT(chdir(tmp), 0);
    mkdir("sub", 0700);
    mkdir("other", 0700);
    write_file("sub/a.txt", "sub");
    write_file("other/a.txt", "other");
    CHECK_INT(make_client(&c), 0);
    files[0] = "sub/a.txt";
    files[1] = "./other/a.txt";
    CHECK_INT(cdrest_publish_artifact_version(&c, "tree:k", "1", NULL, files, 2, NULL, NULL), 0);
    stored = stored_names(&c, "tree:k:1");
    CHECK_CONTAINS(stored, "\"sub/a.txt\"");
    CHECK_CONTAINS(stored, "\"other/a.txt\"");
    /* two absolute paths with one last component would collide: refused */
    snprintf(p, sizeof p, "%s/sub/a.txt", tmp);
    files[0] = p;
    files[1] = "../other/a.txt"; /* leaves the working directory: sent as "a.txt" */
    CHECK_INT(chdir("sub"), 0);
    CHECK_INT(cdrest_publish_artifact_version(&c, "tree:k", "2", NULL, files, 2, NULL, NULL), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "would both be published as a.txt");
    CHECK_INT(chdir(tmp), 0);
    /* a directory: recursive, include/exclude, more files than the old cap of 64 */
    mkdir("d", 0700);
    mkdir("d/lib", 0700);
    mkdir("d/lib/deep", 0700);
    mkdir("d/skip", 0700);
    mkdir("d/many", 0700);
    write_file("d/a.txt", "a");
    write_file("d/lib/b.so", "b");
    write_file("d/lib/deep/c.so", "c");
    write_file("d/lib/deep/no.so", "no");
    write_file("d/skip/d.txt", "d");
    write_file("d/e.log", "e");
    for (i = 0; i < 150; i++) {
        snprintf(p, sizeof p, "d/many/f%03d.txt", i);
        write_file(p, p);
    }
    snprintf(p, sizeof p, "%s/d/", tmp);
    CHECK_INT(cdrest_publish_artifact_dir(&c, "tree:k", "3", NULL, p, inc, exc, NULL, NULL), 0);
    stored = stored_names(&c, "tree:k:3");
    CHECK_CONTAINS(stored, "\"a.txt\"");
    CHECK_CONTAINS(stored, "\"lib/b.so\"");
    CHECK_CONTAINS(stored, "\"lib/deep/c.so\"");
    CHECK_CONTAINS(stored, "\"many/f149.txt\"");
    CHECK(!strstr(stored, "no.so") && !strstr(stored, "skip") && !strstr(stored, "e.log"));
    for (i = 0; i < 150; i++) {
        char want[64];
        snprintf(want, sizeof want, "\"many/f%03d.txt\"", i);
        if (!strstr(stored, want)) ok = 0;
    }
    CHECK(ok);
    /* without patterns: everything, relative to the directory */
    CHECK_INT(cdrest_publish_artifact_dir(&c, "tree:k", "4", NULL, "d", NULL, NULL, NULL, NULL), 0);
    stored = stored_names(&c, "tree:k:4");
    CHECK_CONTAINS(stored, "\"skip/d.txt\"");
    CHECK_CONTAINS(stored, "\"e.log\"");
    /* an empty tree, a missing one, a non-regular file inside */
    mkdir("empty", 0700);
    CHECK_INT(cdrest_publish_artifact_dir(&c, "tree:k", "5", NULL, "empty", NULL, NULL, NULL, NULL), CDREST_E_FILE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "no files");
    CHECK_INT(cdrest_publish_artifact_dir(&c, "tree:k", "5", NULL, "missing", NULL, NULL, NULL, NULL), CDREST_E_FILE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "missing");
    CHECK_INT(mkfifo("d/lib/pipe", 0600), 0);
    CHECK_INT(cdrest_publish_artifact_dir(&c, "tree:k", "5", NULL, "d", NULL, NULL, NULL, NULL), CDREST_E_FILE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "d/lib/pipe");
    unlink("d/lib/pipe");
    CHECK_INT(cdrest_get_artifact_version(&c, "tree:k:5", &d), CDREST_E_SERVER);
    cdrest_free(&c);
    CHECK_INT(chdir(cwd), 0);
}

/* 6. getArtifactVersions asks with artifactName (the server ignores groupId/artifactKey). */
static void test_versions_filter(void) {
    cdrest_client c;
    cdrest_doc d;
    int i, it;
    CHECK_INT(make_client(&c), 0);
    CHECK_INT(cdrest_create_artifact(&c, "flt", "one", NULL, &d), 0);
    CHECK_INT(cdrest_create_artifact(&c, "flt", "two", NULL, &d), 0);
    CHECK_INT(cdrest_create_artifact_version(&c, "flt:one", "1", NULL, &d), 0);
    CHECK_INT(cdrest_create_artifact_version(&c, "flt:two", "1", NULL, &d), 0);
    CHECK_INT(cdrest_get_artifact_versions(&c, "flt:one", &d), 0);
    i = cdrest_doc_find(&d, "artifactVersion");
    CHECK(i >= 0);
    for (it = i >= 0 ? cdrest_json_first(d.toks, d.ntoks, i) : -1; it >= 0;
         it = cdrest_json_next(d.toks, d.ntoks, it)) {
        int name = cdrest_json_find(d.json, d.toks, d.ntoks, it, "artifactVersionName");
        CHECK(name >= 0 && cdrest_json_eq(d.json, d.toks, name, "flt:one:1"));
    }
    /* group ids with spaces are valid names */
    CHECK_INT(cdrest_create_artifact(&c, "my group", "my key", NULL, &d), 0);
    CHECK_INT(cdrest_get_artifact_versions(&c, "my group:my key", &d), 0);
    cdrest_free(&c);
}

/* 8. Sessions refused as NoCredentials are renewed; logout tolerates servers without it;
   job details ask with request=getJobDetails; a job's sheet nested in its details;
   expand=0 travels with a sheet listing. */
static void test_sessions_and_jobs(void) {
    cdrest_client c;
    cdrest_response r;
    cdrest_doc d;
    cdrest_param ctx[] = { { "projectName", "Default" }, { NULL, NULL } };
    cdrest_param raw[] = { { "projectName", "Default" }, { "expand", "0" }, { NULL, NULL } };
    cdrest_param jctx[] = { { "jobId", NULL }, { NULL, NULL } };
    cdrest_sheet_entry e;
    const char *files[1];
    char job[64], path[300];
    int it = 0, seen = 0;
    snprintf(path, sizeof path, "%s/one.txt", tmp);
    files[0] = path;
    CHECK_INT(make_client(&c), 0);
    CHECK_INT(emu(&c, "POST", "/emu/config", "{\"staleSessionAnswer\": \"NoCredentials\"}", &r), 0);
    CHECK_INT(cdrest_login(&c), 0);
    CHECK_INT(emu(&c, "POST", "/emu/expire-sessions", NULL, &r), 0);
    CHECK_INT(cdrest_set_property(&c, "nc", "1", ctx, &d), 0); /* 400 NoCredentials, re-login, retry */
    CHECK_INT(emu(&c, "POST", "/emu/expire-sessions", NULL, &r), 0);
    CHECK_INT(cdrest_publish_artifact_version(&c, "nc:k", "1", NULL, files, 1, NULL, NULL), 0);
    CHECK_INT(emu(&c, "POST", "/emu/config", "{\"staleSessionAnswer\": \"SessionExpired\"}", &r), 0);
    /* job details and the job's sheet, flat and nested */
    CHECK_INT(cdrest_run_procedure(&c, "Default", "runme", NULL, job, sizeof job), 0);
    jctx[0].value = job;
    CHECK_INT(cdrest_set_property(&c, "jp", "$[/projects/Default/nc]", jctx, &d), 0);
    CHECK_INT(cdrest_get_job_details(&c, job, &d), 0);
    CHECK_INT(requests_to(&c, "GET", "/rest/v1.0/jobs/"), 1);
    {
        char target[200];
        snprintf(target, sizeof target, "/rest/v1.0/jobs/%s?request=getJobDetails", job);
        CHECK_INT(requests_to(&c, "GET", target), 1);
    }
    CHECK_INT(emu(&c, "POST", "/emu/config", "{\"jobSheetShape\": \"nested\"}", &r), 0);
    CHECK_INT(cdrest_get_properties(&c, NULL, jctx, &d), 0);
    while (cdrest_sheet_next(&d, &it, &e))
        if (cdrest_json_eq(d.json, d.toks, e.name, "jp"))
            seen = e.value >= 0 && cdrest_json_eq(d.json, d.toks, e.value, "1");
    CHECK(seen);
    CHECK_INT(emu(&c, "POST", "/emu/config", "{\"jobSheetShape\": \"flat\"}", &r), 0);
    /* a PUT that updates answers only what changed (REST overview): still a success */
    CHECK_INT(cdrest_set_property(&c, "nc", "2", ctx, &d), 0);
    CHECK(cdrest_doc_find(&d, "property.value") >= 0 && cdrest_doc_find(&d, "property.propertyName") < 0);
    CHECK(cdrest_doc_find(&d, "property.propertyId") < 0);
    CHECK_INT(cdrest_set_property(&c, "nc", "1", ctx, &d), 0);
    /* expand=0 carried to /propertySheets/<id>: the raw reference comes back */
    CHECK_INT(cdrest_set_property(&c, "ref", "$[/projects/Default/nc]", ctx, &d), 0);
    CHECK_INT(cdrest_get_properties(&c, NULL, raw, &d), 0);
    it = 0;
    seen = 0;
    while (cdrest_sheet_next(&d, &it, &e))
        if (cdrest_json_eq(d.json, d.toks, e.name, "ref"))
            seen = e.value >= 0 && cdrest_json_eq(d.json, d.toks, e.value, "$[/projects/Default/nc]");
    CHECK(seen);
    /* an unresolvable reference fails an expanded listing (KB-00262): expand=0 avoids it */
    CHECK_INT(cdrest_set_property(&c, "dangling", "$[/projects/Default/nosuchprop]", ctx, &d), 0);
    CHECK_INT(cdrest_get_properties(&c, NULL, ctx, &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "InvalidPropertyValue");
    CHECK_INT(cdrest_get_properties(&c, NULL, raw, &d), 0);
    CHECK_INT(cdrest_get_properties(&c, "/projects/Default", raw, &d), 0);
    CHECK_INT(cdrest_delete_property(&c, "dangling", ctx), 0);
    CHECK_INT(cdrest_get_properties(&c, NULL, ctx, &d), 0);
    CHECK_INT(cdrest_logout(&c), 0);
    /* a server without logout: 400, 404, 405 and 501 are "done", a 500 is not */
    {
        static const char *const statuses[] = { "400", "404", "405", "501" };
        char body[64];
        size_t k;
        for (k = 0; k < 4; k++) {
            snprintf(body, sizeof body, "{\"logoutStatus\": %s}", statuses[k]);
            CHECK_INT(emu(&c, "POST", "/emu/config", body, &r), 0);
            CHECK_INT(cdrest_login(&c), 0);
            CHECK_INT(cdrest_logout(&c), 0);
            CHECK_STR(cdrest_session_id(&c), "");
        }
        CHECK_INT(emu(&c, "POST", "/emu/config", "{\"logoutStatus\": 500}", &r), 0);
        CHECK_INT(cdrest_login(&c), 0);
        CHECK_INT(cdrest_logout(&c), CDREST_E_SERVER);
        CHECK_STR(cdrest_session_id(&c), "");
        CHECK_INT(emu(&c, "POST", "/emu/config", "{\"logoutStatus\": 0}", &r), 0);
    }
    cdrest_free(&c);
}

/* 9. Uploads go to the web server's origin when it is not the REST server's. */
static void test_web_server(int port) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_response r;
    cdrest_doc d;
    const char *files[1];
    char path[300], web[100], host[100];
    snprintf(path, sizeof path, "%s/one.txt", tmp);
    files[0] = path;
    write_file(path, "one");
    snprintf(web, sizeof web, "http://localhost:%d", port);
    cfg = test_config(base_url, 0);
    cfg.web_server = web;
    cfg.user = "admin";
    cfg.password = "changeme";
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_publish_artifact_version(&c, "web:k", "1", NULL, files, 1, NULL, NULL), 0);
    CHECK_INT(cdrest_get_artifact_version(&c, "web:k:1", &d), 0); /* back on the REST server */
    CHECK_INT(emu(&c, "GET", "/emu/requests?n=3", NULL, &r), 0);
    snprintf(host, sizeof host, "[\"Host\",\"localhost:%d\"]", port);
    {
        const char *upload = strstr(r.body, "\"target\":\"/commander/publishArtifact.php\"");
        const char *next = upload ? strstr(upload + 1, "\"target\":") : NULL;
        const char *h = upload ? strstr(upload, host) : NULL;
        CHECK(upload && h && (!next || h < next));
        CHECK(next && strstr(next, "127.0.0.1"));
    }
    cdrest_free(&c);
    /* plain http to another host's web server is refused like the server's */
    cfg.web_server = "http://cd.example.com";
    CHECK_INT(cdrest_init(&c, &cfg), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "web server");
    /* inside a job step: the same host, the scheme's default port */
    {
        char p[16];
        snprintf(p, sizeof p, "%d", port);
        setenv("COMMANDER_SERVER", "127.0.0.1", 1);
        setenv("COMMANDER_SECURE", "0", 1);
        setenv("COMMANDER_PORT", p, 1);
        setenv("COMMANDER_SESSIONID", "abc", 1);
        CHECK_INT(cdrest_init_from_env(&c, NULL), 0);
        CHECK(c.has_web_url && c.web_url.port == 80 && !strcmp(c.web_url.host, "127.0.0.1") && !c.web_url.https);
        CHECK_INT(c.url.port, port);
        cdrest_free(&c);
        unsetenv("COMMANDER_SERVER");
        unsetenv("COMMANDER_SECURE");
        unsetenv("COMMANDER_PORT");
        unsetenv("COMMANDER_SESSIONID");
    }
}

/* 10. The calls CloudBees' own automation makes: evalDsl, pipelines and releases (run and
    wait), runProcess, abortJob, job step details, credentials, findObjects. */
typedef struct pipe_log {
    int calls;
    int64_t last_ms;
    char last_status[32];
} pipe_log;
static void on_pipeline(void *ctx, const cdrest_pipeline_status *st, int64_t ms) {
    pipe_log *p = (pipe_log *)ctx;
    p->calls++;
    p->last_ms = ms;
    snprintf(p->last_status, sizeof p->last_status, "%s", st->status);
}

/* Whether the run's stagesToRun (as the emulator reports it), joined by ',', is want. */
static int stage_list_is(cdrest_client *c, const char *runtime_id, const char *want) {
    char body[200], got[200] = "", path[64], stage[64];
    cdrest_doc d;
    cdrest_param q[] = { { "request", "getPipelineRuntimeDetails" }, { NULL, NULL } };
    int k;
    snprintf(body, sizeof body, "{\"flowRuntimeId\":[\"%s\"]}", runtime_id);
    if (cdrest_call(c, "PUT", "/pipelineRuntimeDetails", q, body, &d) != 0) {
        fprintf(stderr, "  getPipelineRuntimeDetails: %s\n", cdrest_errmsg(c));
        return 0;
    }
    for (k = 0; k < 8; k++) {
        snprintf(path, sizeof path, "flowRuntime[0].stagesToRun[%d]", k);
        if (cdrest_doc_copy(&d, path, stage, sizeof stage, NULL) != 0) break;
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? "," : "", stage);
    }
    if (strcmp(got, want) != 0) fprintf(stderr, "  stagesToRun %s, wanted %s\n", got, want);
    return strcmp(got, want) == 0;
}

static void test_more_calls(void) {
    cdrest_client c;
    cdrest_doc d;
    cdrest_param pp[] = { { "outcome", "warning" }, { "greeting", "h\u00e9 \"q\"" }, { NULL, NULL } };
    const char *stages[] = { "prod", NULL };
    char rt[64], job[64], step[80], secret[64];
    cdrest_pipeline_status ps;
    cdrest_job_status js;
    pipe_log pl;
    CHECK_INT(make_client(&c), 0);
    /* evalDsl, the way CloudBees' eval-dsl action sends it */
    CHECK_INT(cdrest_eval_dsl(&c, "project 'FromDsl'", "{\"x\": 1}", &d), 0);
    CHECK_INT(cdrest_doc_string(&d, "project.projectName", step, sizeof step), 0);
    CHECK_STR(step, "FromDsl");
    CHECK_INT(cdrest_eval_dsl(&c, "project 'FromDsl'", "[1]", &d), CDREST_E_ARG);
    CHECK_INT(cdrest_eval_dsl(&c, "nonsense {", NULL, &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "InvalidDsl");
    /* a pipeline with parameters and stages, waited on with a deadline and progress */
    CHECK_INT(cdrest_run_pipeline(&c, "Default", "pipe", pp, stages, rt, sizeof rt), 0);
    CHECK(rt[0] != 0);
    memset(&pl, 0, sizeof pl);
    CHECK_INT(cdrest_wait_for_pipeline(&c, rt, 100, 20000, on_pipeline, &pl, &ps), 0);
    CHECK(ps.completed);
    CHECK_STR(ps.status, "warning");
    CHECK(pl.calls >= 2);
    CHECK_STR(pl.last_status, "warning");
    { /* startingStage, alone and with stagesToRun (the Jenkins client sends both) */
        const char *both[] = { "dev", "prod", NULL };
        CHECK_INT(cdrest_run_pipeline_ex(&c, "Default", "pipe", NULL, both, "prod", rt, sizeof rt), 0);
        CHECK(stage_list_is(&c, rt, "prod"));
        CHECK_INT(cdrest_run_pipeline_ex(&c, "Default", "pipe", NULL, NULL, "dev", rt, sizeof rt), 0);
        CHECK(stage_list_is(&c, rt, "dev,prod"));
        CHECK_INT(cdrest_run_pipeline_ex(&c, "Default", "pipe", NULL, NULL, "nostage", rt, sizeof rt), CDREST_E_SERVER);
        CHECK_CONTAINS(cdrest_errmsg(&c), "nostage");
    }
    CHECK_INT(cdrest_run_pipeline(&c, "Default", "nopipe", NULL, NULL, rt, sizeof rt), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchPipeline");
    /* the deadline: a short one ends with CDREST_E_DEADLINE and the last status */
    CHECK_INT(cdrest_run_pipeline(&c, "Default", "pipe", NULL, NULL, rt, sizeof rt), 0);
    CHECK_INT(cdrest_wait_for_pipeline(&c, rt, 100, 300, NULL, NULL, &ps), CDREST_E_DEADLINE);
    CHECK_STR(ps.status, "running");
    /* a release, from a starting stage, with pipeline parameters */
    CHECK_INT(cdrest_run_release(&c, "Default", "rel", pp, NULL, "prod", rt, sizeof rt), 0);
    CHECK_INT(cdrest_wait_for_pipeline(&c, rt, 100, 20000, NULL, NULL, &ps), 0);
    CHECK_STR(ps.status, "warning");
    CHECK_INT(cdrest_run_release(&c, "Default", "norel", NULL, NULL, NULL, rt, sizeof rt), CDREST_E_SERVER);
    /* runProcess, then abortJob */
    CHECK_INT(cdrest_run_process(&c, "Default", "app", "deploy", "env", NULL, job, sizeof job), 0);
    CHECK_INT(cdrest_abort_job(&c, job, 1, &d), 0);
    CHECK_INT(cdrest_get_job_status(&c, job, &js), 0);
    CHECK_STR(js.status, "completed");
    CHECK_INT(cdrest_run_process(&c, "Default", "app", "nope", "env", NULL, job, sizeof job), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchProcess");
    /* a running job's step: details and its credential (never in a trace or message) */
    CHECK_INT(cdrest_run_procedure(&c, "Default", "runme", NULL, job, sizeof job), 0);
    CHECK_INT(cdrest_get_job_details(&c, job, &d), 0);
    CHECK_INT(cdrest_doc_string(&d, "job.jobStep[0].jobStepId", step, sizeof step), 0);
    CHECK_INT(cdrest_get_job_step_details(&c, step, &d), 0);
    CHECK(cdrest_doc_find(&d, "jobStep.logFileName") >= 0);
    CHECK_INT(cdrest_get_full_credential(&c, "cred", step, &d), 0);
    CHECK_INT(cdrest_doc_string(&d, "credential.password", secret, sizeof secret), 0);
    CHECK_STR(secret, "s3cret");
    CHECK_INT(cdrest_get_full_credential(&c, "nocred", step, &d), CDREST_E_SERVER);
    /* the path form the apidocs' own example uses (was one %2F-encoded segment, refused) */
    secret[0] = 0;
    CHECK_INT(cdrest_get_full_credential(&c, "/projects/Default/credentials/cred", step, &d), 0);
    CHECK_INT(cdrest_doc_string(&d, "credential.password", secret, sizeof secret), 0);
    CHECK_STR(secret, "s3cret");
    { /* slashes literal, like an absolute property path */
        char target[200];
        snprintf(target, sizeof target, "/rest/v1.0/jobSteps/%s/credentialPaths//projects/Default/credentials/cred",
                 step);
        CHECK_INT(requests_to(&c, "GET", target), 1);
    }
    CHECK_INT(cdrest_get_full_credential(&c, "/projects/Default/credentials/nocred", step, &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchCredential");
    CHECK_INT(cdrest_get_full_credential(&c, "cred", NULL, &d), CDREST_E_ARG); /* no step known */
    /* findObjects with a boolean filter and a sort */
    CHECK_INT(cdrest_find_objects(&c, "project",
                                  "{\"operator\":\"or\",\"filter\":[{\"propertyName\":\"projectName\",\"operator\":"
                                  "\"equals\",\"operand1\":\"Default\"},{\"propertyName\":\"projectName\",\"operator\":"
                                  "\"equals\",\"operand1\":\"FromDsl\"}]}",
                                  "{\"propertyName\":\"projectName\",\"order\":\"descending\"}", 0, &d),
              0);
    CHECK_INT(cdrest_doc_string(&d, "object[0].project.projectName", step, sizeof step), 0);
    CHECK_STR(step, "FromDsl");
    CHECK_INT(cdrest_doc_string(&d, "object[1].project.projectName", step, sizeof step), 0);
    CHECK_STR(step, "Default");
    CHECK(cdrest_doc_find(&d, "object[2]") < 0);
    CHECK_INT(cdrest_find_objects(&c, "job", NULL, NULL, 1, &d), 0);
    CHECK(cdrest_doc_find(&d, "object[0].job.jobId") >= 0 && cdrest_doc_find(&d, "object[1]") < 0);
    CHECK_INT(cdrest_find_objects(&c, "job", "{not json", NULL, 0, &d), CDREST_E_ARG);
    /* the secret is in the answer only: not in the error line after a refused call */
    CHECK_INT(cdrest_get_full_credential(&c, "cred", "no-such-step", &d), CDREST_E_SERVER);
    CHECK(strstr(cdrest_errmsg(&c), "s3cret") == NULL);
    cdrest_free(&c);
}

/* A scripted CD server: POST /script {"<target substring>": {"body": TEXT, "delay": s}}
   sets the answers (200, the first key found in the request target wins; others 404). */
static const char scripted_py[] =
    "import http.server, json, sys, time\n"
    "S = {}\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    def log_message(self, *a): pass\n"
    "    def go(self):\n"
    "        n = int(self.headers.get('Content-Length') or 0)\n"
    "        body = self.rfile.read(n) if n else b''\n"
    "        status, out, delay = 404, '{\"error\":{\"code\":\"NoSuchThing\",\"message\":\"unscripted\"}}', 0\n"
    "        if self.path == '/script':\n"
    "            S.clear(); S.update(json.loads(body)); status, out = 200, '{}'\n"
    "        else:\n"
    "            for k, v in S.items():\n"
    "                if k in self.path:\n"
    "                    status, out, delay = 200, v['body'], v.get('delay', 0)\n"
    "                    break\n"
    "        time.sleep(delay)\n"
    "        b = out.encode()\n"
    "        try:\n"
    "            self.send_response(status); self.send_header('Content-Type', 'application/json')\n"
    "            self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)\n"
    "        except OSError:\n"
    "            pass\n"
    "    do_GET = do_POST = do_PUT = do_DELETE = go\n"
    "http.server.ThreadingHTTPServer.daemon_threads = True\n"
    "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "print('PORT %d' % s.server_address[1], flush=True)\n"
    "s.serve_forever()\n";

static void script(cdrest_client *c, const char *json) {
    cdrest_response r;
    CHECK_INT(emu(c, "POST", "/script", json, &r), 0);
    CHECK_INT(r.status, 200);
}

/* One scripted answer (body, a JSON text) for requests whose target holds key (and key2). */
static void script_one(cdrest_client *c, const char *key, const char *body, const char *key2) {
    char json[1000], esc[400], *o = esc;
    const char *p;
    for (p = body; *p && o < esc + sizeof esc - 3; p++) {
        if (*p == '"' || *p == '\\') *o++ = '\\';
        *o++ = *p;
    }
    *o = 0;
    if (key2)
        snprintf(json, sizeof json, "{\"%s\":{\"body\":\"%s\"},\"%s\":{\"body\":\"%s\"}}", key, esc, key2, esc);
    else
        snprintf(json, sizeof json, "{\"%s\":{\"body\":\"%s\"}}", key, esc);
    script(c, json);
}

static int64_t ms_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Ids and statuses must be JSON text naming the run asked about: null, false, an array or
   an object, or another run's entry, is CDREST_E_PROTOCOL, never a success with "null"
   (finding 3); and a wait ends near its deadline however long one poll hangs (finding 2). */
static void test_odd_answers(void) {
    char *argv[] = { (char *)"python3", (char *)"-c", (char *)scripted_py, NULL };
    const char *stages[] = { "dev", NULL };
    cdrest_client c;
    cdrest_config cfg;
    cdrest_pipeline_status ps;
    cdrest_job_status js;
    char id[64];
    pid_t pid = 0;
    int64_t t0;
    int port = test_spawn_server(argv, &pid);
    char url[64];
    size_t i;
    static const char *const bad_jobs[] = { "{\"jobId\":null}", "{\"jobId\":[\"J1\",\"J2\"]}", "{\"jobId\":{\"a\":1}}",
                                            "{\"jobId\":false}" };
    static const char *const bad_runs[] = { "{\"flowRuntime\":{\"flowRuntimeId\":null}}",
                                            "{\"flowRuntime\":{\"flowRuntimeId\":false}}",
                                            "{\"flowRuntime\":{\"flowRuntimeId\":[\"R\"]}}" };
    static const char *const bad_status[] = {
        "{\"flowRuntime\":[{\"flowRuntimeId\":\"R\",\"status\":{\"x\":\"y\"},\"completed\":\"1\"}]}",
        "{\"flowRuntime\":[{\"flowRuntimeId\":\"R\",\"status\":null,\"completed\":\"1\"}]}",
        "{\"flowRuntime\":[{\"flowRuntimeId\":\"OTHER\",\"status\":\"success\",\"completed\":\"1\"}]}",
        "{\"flowRuntime\":[{\"flowRuntimeId\":null,\"status\":\"success\",\"completed\":\"1\"}]}"
    };
    if (!port) {
        CHECK(0);
        return;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    cfg = test_config(url, 20000);
    cfg.session_id = "S1";
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    for (i = 0; i < sizeof bad_jobs / sizeof bad_jobs[0]; i++) {
        script_one(&c, "runProc", bad_jobs[i], NULL); /* runProcedure and runProcess */
        CHECK_INT(cdrest_run_procedure(&c, "P", "Q", NULL, id, sizeof id), CDREST_E_PROTOCOL);
        CHECK_INT(cdrest_run_process(&c, "P", "A", "X", "E", NULL, id, sizeof id), CDREST_E_PROTOCOL);
    }
    for (i = 0; i < sizeof bad_runs / sizeof bad_runs[0]; i++) {
        script_one(&c, "/pipelines", bad_runs[i], "/releases");
        CHECK_INT(cdrest_run_pipeline(&c, "P", "pipe", NULL, stages, id, sizeof id), CDREST_E_PROTOCOL);
        CHECK_INT(cdrest_run_release(&c, "P", "rel", NULL, NULL, NULL, id, sizeof id), CDREST_E_PROTOCOL);
    }
    for (i = 0; i < sizeof bad_status / sizeof bad_status[0]; i++) {
        script_one(&c, "getPipelineRuntimeDetails", bad_status[i], NULL);
        CHECK_INT(cdrest_get_pipeline_status(&c, "R", &ps), CDREST_E_PROTOCOL);
        CHECK_INT(cdrest_wait_for_pipeline(&c, "R", 100, 5000, NULL, NULL, &ps), CDREST_E_PROTOCOL);
    }
    /* the good answers still work */
    script(&c, "{\"getPipelineRuntimeDetails\":{\"body\":\"{\\\"flowRuntime\\\":[{\\\"flowRuntimeId\\\":\\\"R\\\","
               "\\\"status\\\":\\\"success\\\",\\\"completed\\\":\\\"1\\\"}]}\"}}");
    CHECK_INT(cdrest_wait_for_pipeline(&c, "R", 100, 5000, NULL, NULL, &ps), 0);
    CHECK_STR(ps.status, "success");
    /* one poll hanging for 8 s: the waits end near their 1.5 s deadline, not after 8 s */
    script(&c, "{\"getPipelineRuntimeDetails\":{\"delay\":8,\"body\":\"{}\"},"
               "\"getJobStatus\":{\"delay\":8,\"body\":\"{}\"}}");
    t0 = ms_now();
    CHECK_INT(cdrest_wait_for_pipeline(&c, "R", 100, 1500, NULL, NULL, &ps), CDREST_E_DEADLINE);
    CHECK(ms_now() - t0 < 4000);
    CHECK_CONTAINS(cdrest_errmsg(&c), "pipeline run R not completed");
    t0 = ms_now();
    CHECK_INT(cdrest_wait_for_job(&c, "J", 100, 1500, NULL, NULL, &js), CDREST_E_DEADLINE);
    CHECK(ms_now() - t0 < 4000);
    cdrest_free(&c);
    test_stop_server(pid);
}

/* 7. Each server generation: the everyday flow, and the right upload endpoint found once. */
/* Absolute paths below a project keep their object in the relative form: the procedure's
   property stays on the procedure, never a nested sheet "procedures/runme/..." on the
   project (the red team's finding 1); objects the relative form cannot name are refused
   with a clear error where the server refuses "//". */
/* A property's value, or NULL (the failure printed) when it cannot be read. */
static const char *value_of(cdrest_client *c, const char *path, const cdrest_param *ctx) {
    const char *value = NULL;
    size_t len;
    if (cdrest_get_property_value(c, path, ctx, &value, &len) != 0) {
        fprintf(stderr, "  %s: %s\n", path, cdrest_errmsg(c));
        return NULL;
    }
    return value;
}

static void test_object_paths(cdrest_client *c, const char *profile) {
    cdrest_param proc[] = { { "projectName", "Default" }, { "procedureName", "runme" }, { NULL, NULL } };
    cdrest_param res[] = { { "resourceName", "local" }, { NULL, NULL } };
    cdrest_param art[] = { { "artifactName", "prof:k" }, { NULL, NULL } };
    cdrest_param stray[] = { { "procedureName", "runme" }, { NULL, NULL } };
    cdrest_doc d;
    int jetty = !strcmp(profile, "jetty12.1");
    CHECK_INT(cdrest_set_property(c, "/projects/Default/procedures/runme/onproc", "p1", NULL, &d), 0);
    CHECK_STR(value_of(c, "onproc", proc), "p1");
    CHECK_STR(value_of(c, "/projects/Default/procedures/runme/onproc", NULL), "p1");
    proc[1].name = NULL; /* the project itself got no sheet "procedures" */
    CHECK_INT(cdrest_get_property(c, "procedures", proc, &d), CDREST_E_SERVER);
    CHECK_STR(c->err.server_code, "NoSuchProperty");
    proc[1].name = "procedureName";
    /* a procedure that does not exist is an error, not a sheet on the project */
    CHECK_INT(cdrest_set_property(c, "/projects/Default/procedures/nosuch/x", "v", NULL, &d), CDREST_E_SERVER);
    CHECK_STR(c->err.server_code, "NoSuchProcedure");
    /* a context name in ctx does not redirect an absolute path */
    CHECK_INT(cdrest_set_property(c, "/projects/Default/onproj", "p2", stray, &d), 0);
    proc[1].name = NULL;
    CHECK_STR(value_of(c, "onproj", proc), "p2");
    proc[1].name = "procedureName";
    CHECK_INT(cdrest_get_property(c, "onproj", proc, &d), CDREST_E_SERVER);
    /* other roots */
    CHECK_INT(cdrest_set_property(c, "/resources/local/onres", "r", NULL, &d), 0);
    CHECK_STR(value_of(c, "onres", res), "r");
    CHECK_INT(cdrest_set_property(c, "/artifacts/prof:k/onart", "a", NULL, &d), 0);
    CHECK_STR(value_of(c, "onart", art), "a");
    /* /server has no relative form */
    CHECK_INT(cdrest_set_property(c, "/server/onserver", "s", NULL, &d), jetty ? CDREST_E_UNSUPPORTED : 0);
    if (jetty) {
        CHECK_CONTAINS(cdrest_errmsg(c), "/server/onserver");
        CHECK_CONTAINS(cdrest_errmsg(c), "no relative form");
        /* nor an object below one the walk cannot follow: refused, never a nested sheet */
        CHECK_INT(cdrest_set_property(c, "/projects/Default/schedules/s/procedures/q/x", "v", NULL, &d),
                  CDREST_E_UNSUPPORTED);
    }
}

static void test_profile(const char *profile) {
    cdrest_client c;
    cdrest_param ctx[] = { { "projectName", "Default" }, { NULL, NULL } };
    const char *files[1];
    const char *value;
    char path[300], job[64];
    cdrest_job_status st;
    cdrest_doc d;
    size_t len;
    printf("profile %s\n", profile);
    if (!start_emu(profile)) {
        CHECK(0);
        return;
    }
    snprintf(path, sizeof path, "%s/one.txt", tmp);
    files[0] = path;
    CHECK_INT(make_client(&c), 0);
    CHECK_INT(cdrest_set_property(&c, "p", "v", ctx, &d), 0);
    CHECK_INT(cdrest_get_property_value(&c, "p", ctx, &value, &len), 0);
    CHECK_STR(value, "v");
    /* absolute paths: "//" where the server takes it, the relative form where it does not */
    CHECK_INT(cdrest_set_property(&c, "/projects/Default/abs", "a", NULL, &d), 0);
    CHECK_INT(cdrest_get_property_value(&c, "/projects/Default/abs", NULL, &value, &len), 0);
    CHECK_STR(value, "a");
    CHECK_INT(cdrest_get_property_value(&c, "abs", ctx, &value, &len), 0);
    CHECK_STR(value, "a");
    CHECK_INT(cdrest_delete_property(&c, "/projects/Default/abs", NULL), 0);
    CHECK_INT(cdrest_get_property(&c, "/projects/Default/abs", NULL, &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchProperty");
    /* refused once, then never sent again by this client */
    CHECK_INT(requests_to(&c, "PUT", "/rest/v1.0/properties//"), 1);
    CHECK_INT(requests_to(&c, "GET", "/rest/v1.0/properties//"), strcmp(profile, "jetty12.1") ? 2 : 0);
    CHECK_INT(cdrest_create_artifact(&c, "prof", "k", NULL, &d), 0);
    CHECK_INT(cdrest_publish_artifact_version(&c, "prof:k", "1", NULL, files, 1, NULL, NULL), 0);
    CHECK_INT(cdrest_publish_artifact_version(&c, "prof:k", "2", NULL, files, 1, NULL, NULL), 0);
    test_object_paths(&c, profile);
    CHECK_INT(c.publish_endpoint, strcmp(profile, "pre2023") ? 1 : 2);
    CHECK_INT(requests_to(&c, "GET", "/commander/publishArtifact.php"), 1); /* probed once */
    CHECK_INT(requests_to(&c, "POST",
                          strcmp(profile, "pre2023") ? "/commander/publishArtifact.php"
                                                     : "/commander/cgi-bin/publishArtifactAPI.cgi"),
              2);
    CHECK_CONTAINS(stored_names(&c, "prof:k:2"), "\"one.txt\"");
    CHECK_INT(cdrest_get_artifact_versions(&c, "prof:k", &d), 0);
    CHECK_INT(cdrest_run_procedure(&c, "Default", "runme", NULL, job, sizeof job), 0);
    CHECK_INT(cdrest_wait_for_job(&c, job, 100, 20000, NULL, NULL, &st), 0);
    CHECK_STR(st.outcome, "success");
    { /* /myJob/... and /jobs/ID/... in their relative forms where "//" is refused */
        cdrest_param jctx[] = { { "jobId", NULL }, { NULL, NULL } };
        char abs_path[128];
        jctx[0].value = job;
        CHECK_INT(cdrest_set_property(&c, "/myJob/mine", "m", jctx, &d), 0);
        snprintf(abs_path, sizeof abs_path, "/jobs/%s/mine", job);
        CHECK_INT(cdrest_get_property_value(&c, abs_path, NULL, &value, &len), 0);
        CHECK_STR(value, "m");
        CHECK_INT(cdrest_get_property_value(&c, "mine", jctx, &value, &len), 0);
        CHECK_STR(value, "m");
    }
    CHECK_INT(cdrest_get_properties(&c, NULL, ctx, &d), 0);
    CHECK_INT(cdrest_logout(&c), 0);
    cdrest_free(&c);
}

int main(void) {
    int port;
    snprintf(tmp, sizeof tmp, "/tmp/cdrest-real-XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    test_content_length_whole();
    if (!(port = start_emu("2023"))) {
        CHECK(0);
        return test_summary();
    }
    test_web_server(port);
    test_publish_answers();
    test_publish_renews_session();
    test_publish_refused_session();
    test_publish_local_files();
    test_publish_changing_file();
    test_publish_names();
    test_publish_trees();
    test_versions_filter();
    test_sessions_and_jobs();
    test_more_calls();
    test_odd_answers();
    test_profile("2023");
    test_profile("pre2023");
    test_profile("jetty12.1");
    test_stop_server(emu_pid);
    {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    }
    return test_summary();
}
