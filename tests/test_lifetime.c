/* SPDX-License-Identifier: MIT */
/* Results the caller keeps, and long operations the caller controls, against the bundled
   emulator (tests/cdemu.py) and a peer that never answers:
   - two properties read, then both printed: with the copy-out and allocating forms the
     first survives the second call, even when that call grows the client's buffers;
   - a sheet iterated (detached into the caller's memory) while its nested sheets are
     fetched with the same client;
   - cdrest_doc_copy reports the length it needs; int64 and CD's "0"/"1" booleans;
   - runProcedure with priority, destination project, schedule and credentials, as sent;
   - progress callbacks that cancel an upload, a download and a job wait, leaving the
     client usable; an idle timeout beside the whole-request deadline. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

static pid_t emu_pid;
static char base_url[128];
static char trace_log[16384];

static void trace(void *ctx, const char *line) {
    size_t n = strlen(trace_log);
    (void)ctx;
    snprintf(trace_log + n, sizeof trace_log - n, "%s\n", line);
}

static int make_client(cdrest_client *c, const char *url) {
    cdrest_config cfg = test_admin_config(url);
    cfg.trace = trace;
    return cdrest_init(c, &cfg);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const cdrest_param ctx_default[] = { { "projectName", "Default" }, { NULL, NULL } };

/* --- two properties, both kept ----------------------------------------------------------- */

static void test_two_properties(cdrest_client *c) {
    static char big[100001];
    char first[64], second[64];
    char *dup1 = NULL, *dup2 = NULL;
    size_t len = 0;
    memset(big, 'b', sizeof big - 1);
    CHECK_INT(cdrest_set_property(c, "lt/first", "alpha", ctx_default, NULL), 0);
    CHECK_INT(cdrest_set_property(c, "lt/second", "beta", ctx_default, NULL), 0);
    CHECK_INT(cdrest_set_property(c, "lt/big", big, ctx_default, NULL), 0);

    /* The natural program: read one, read another, print both. */
    CHECK_INT(cdrest_get_property_copy(c, "lt/first", ctx_default, first, sizeof first, &len), 0);
    CHECK_INT(len, 5);
    CHECK_INT(cdrest_get_property_copy(c, "lt/second", ctx_default, second, sizeof second, NULL), 0);
    CHECK_STR(first, "alpha");
    CHECK_STR(second, "beta");

    /* The same with the allocating form, the second read growing every buffer of the
       client (a 100 kB value): the first copy is untouched, and ASan watches the reads. */
    CHECK_INT(cdrest_get_property_dup(c, "lt/first", ctx_default, &dup1, &len), 0);
    CHECK_INT(cdrest_get_property_dup(c, "lt/big", ctx_default, &dup2, &len), 0);
    CHECK_INT(len, sizeof big - 1);
    CHECK(dup1 && dup2 && strcmp(dup1, "alpha") == 0 && memcmp(dup2, big, sizeof big) == 0);
    printf("first = %s, big = %.8s... (%lu bytes)\n", dup1 ? dup1 : "?", dup2 ? dup2 : "?", (unsigned long)len);

    /* Too small a buffer: the length needed, and the client goes on. */
    len = 0;
    CHECK_INT(cdrest_get_property_copy(c, "lt/big", ctx_default, first, sizeof first, &len), CDREST_E_TOOLARGE);
    CHECK_INT(len, sizeof big - 1);
    CHECK_STR(first, "");
    CHECK_CONTAINS(cdrest_errmsg(c), "needs 100001 bytes");
    CHECK_INT(cdrest_get_property_copy(c, "lt/second", ctx_default, second, sizeof second, NULL), 0);
    CHECK_STR(second, "beta");
    /* Errors leave the caller's pointer NULL. */
    cdrest_dup_free(NULL, dup2);
    CHECK(cdrest_get_property_dup(c, "lt/missing", ctx_default, &dup2, NULL) == CDREST_E_SERVER);
    CHECK(dup2 == NULL);
    cdrest_dup_free(NULL, dup1);
    cdrest_dup_free(NULL, NULL);
}

/* --- doc fields ----------------------------------------------------------------------------- */

static void test_doc_fields(cdrest_client *c) {
    cdrest_doc d;
    char buf[8];
    size_t len = 99;
    int64_t n = -1;
    int b = -1;
    char *s = NULL;
    CHECK_INT(cdrest_set_property(c, "lt/long", "a value longer than eight", ctx_default, NULL), 0);
    CHECK_INT(cdrest_get_property(c, "lt/long", ctx_default, &d), 0);
    /* cdrest_doc_string drops the length; cdrest_doc_copy reports it. */
    CHECK_INT(cdrest_doc_string(&d, "property.value", buf, sizeof buf), CDREST_E_TOOLARGE);
    CHECK_INT(cdrest_doc_copy(&d, "property.value", buf, sizeof buf, &len), CDREST_E_TOOLARGE);
    CHECK_INT(len, 25);
    CHECK_STR(buf, "");
    len = 0;
    CHECK_INT(cdrest_doc_copy(&d, "property.value", NULL, 0, &len), CDREST_E_TOOLARGE);
    CHECK_INT(len, 25);
    CHECK_INT(cdrest_doc_copy(&d, "property.propertyName", buf, sizeof buf, &len), 0);
    CHECK_STR(buf, "long");
    CHECK_INT(cdrest_doc_copy(&d, "property.nothing", buf, sizeof buf, &len), CDREST_E_ARG);
    CHECK_INT(cdrest_doc_dup(&d, "property.value", NULL, &s, &len), 0);
    CHECK_STR(s, "a value longer than eight");
    CHECK_INT(len, 25);
    cdrest_dup_free(NULL, s);
    CHECK_INT(cdrest_doc_dup(&d, "property.nothing", NULL, &s, &len), CDREST_E_ARG);
    CHECK(s == NULL);
    /* CD's booleans are "0"/"1" strings; counters are strings holding numbers. */
    CHECK_INT(cdrest_doc_bool(&d, "property.expandable", &b), 0);
    CHECK_INT(b, 1);
    CHECK_INT(cdrest_doc_int64(&d, "property.counter", &n), 0);
    CHECK_INT(n, 0);
    b = 7;
    CHECK_INT(cdrest_doc_bool(&d, "property.value", &b), CDREST_E_JSON);
    CHECK_INT(b, 7);
    CHECK_INT(cdrest_doc_bool(&d, "property.nothing", &b), CDREST_E_ARG);
    CHECK_INT(cdrest_doc_int64(&d, "property.value", &n), CDREST_E_JSON);
    CHECK_INT(cdrest_doc_int64(&d, "property.nothing", &n), CDREST_E_ARG);
    {
        static const char js[] =
            "{\"t\":true,\"f\":false,\"z\":\"0\",\"big\":\"9223372036854775807\",\"over\":9223372036854775808}";
        cdrest_json_tok toks[16];
        cdrest_json_parser p;
        cdrest_doc j;
        cdrest_json_init(&p);
        j.json = js;
        j.len = sizeof js - 1;
        j.toks = toks;
        j.ntoks = cdrest_json_parse(&p, js, j.len, toks, 16);
        CHECK(j.ntoks > 0);
        CHECK(cdrest_doc_bool(&j, "t", &b) == 0 && b == 1);
        CHECK(cdrest_doc_bool(&j, "f", &b) == 0 && b == 0);
        CHECK(cdrest_doc_bool(&j, "z", &b) == 0 && b == 0);
        CHECK(cdrest_doc_int64(&j, "big", &n) == 0 && n == INT64_MAX);
        CHECK_INT(cdrest_doc_int64(&j, "over", &n), CDREST_E_TOOLARGE);
    }
}

/* --- a sheet and the sheets inside it ------------------------------------------------------ */

/* Walk /projects/Default/<path>, descending into nested sheets with the same client,
   appending "path=value" lines to out. The sheet is detached into memory of our own first:
   fetching an inner sheet reuses the client's buffers. */
static int walk(cdrest_client *c, const char *path, char *out, size_t cap, int depth) {
    cdrest_doc borrowed, sheet;
    cdrest_sheet_entry e;
    size_t need = 0;
    void *mem;
    int iter = 0, rc;
    if ((rc = cdrest_get_properties(c, path, ctx_default, &borrowed)) != 0) return rc;
    CHECK_INT(cdrest_doc_detach(&borrowed, NULL, 0, &sheet, &need), CDREST_E_TOOLARGE);
    CHECK(need > borrowed.len);
    if (!(mem = malloc(need + 1))) return CDREST_E_NOMEM;
    /* any alignment: one byte in */
    if ((rc = cdrest_doc_detach(&borrowed, (char *)mem + 1, need, &sheet, NULL)) != 0) {
        free(mem);
        return rc;
    }
    while (cdrest_sheet_next(&sheet, &iter, &e)) {
        char name[64], value[64], sub[256];
        size_t n = strlen(out);
        cdrest_json_string(sheet.json, sheet.toks, e.name, name, sizeof name, NULL);
        snprintf(sub, sizeof sub, "%s/%s", path, name);
        if (e.sheet_id >= 0) {
            if (depth < 4 && (rc = walk(c, sub, out, cap, depth + 1)) != 0) break;
        } else {
            value[0] = 0;
            if (e.value >= 0) cdrest_json_string(sheet.json, sheet.toks, e.value, value, sizeof value, NULL);
            snprintf(out + n, cap - n, "%s=%s\n", sub, value);
        }
    }
    free(mem);
    return rc;
}

static void test_nested_sheets(cdrest_client *c) {
    static const char *const set[][2] = {
        { "tree/a", "1" },        { "tree/inner/x", "10" }, { "tree/inner/deeper/q", "100" },
        { "tree/inner/y", "11" }, { "tree/b", "2" },        { "tree/other/z", "20" }
    };
    char out[1024] = "";
    size_t i;
    for (i = 0; i < sizeof set / sizeof set[0]; i++)
        CHECK_INT(cdrest_set_property(c, set[i][0], set[i][1], ctx_default, NULL), 0);
    CHECK_INT(walk(c, "tree", out, sizeof out, 0), 0);
    /* Every leaf, each once, under its full path (the emulator lists a sheet in name order). */
    CHECK_STR(out, "tree/a=1\ntree/b=2\ntree/inner/deeper/q=100\ntree/inner/x=10\ntree/inner/y=11\ntree/other/z=20\n");
}

/* --- runProcedure's options ------------------------------------------------------------------ */

/* The body of the last request the emulator saw with this target prefix. */
static int last_body(cdrest_client *c, const char *target_prefix, char *out, size_t cap) {
    cdrest_request req;
    cdrest_response r;
    cdrest_json_tok toks[4096];
    cdrest_json_parser p;
    int n, item, found = -1;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/emu/requests?n=20";
    if (cdrest_http(c, &req, &r) != 0 || r.status != 200) return -1;
    cdrest_json_init(&p);
    n = cdrest_json_parse(&p, r.body, r.body_len, toks, 4096);
    if (n < 0) return -1;
    for (item = cdrest_json_first(toks, n, cdrest_json_find(r.body, toks, n, 0, "request")); item >= 0;
         item = cdrest_json_next(toks, n, item)) {
        int t = cdrest_json_find(r.body, toks, n, item, "target");
        char target[256];
        if (t >= 0 && cdrest_json_string(r.body, toks, t, target, sizeof target, NULL) == 0 &&
            !strncmp(target, target_prefix, strlen(target_prefix)))
            found = cdrest_json_find(r.body, toks, n, item, "body");
    }
    return found < 0 ? -1 : cdrest_json_string(r.body, toks, found, out, cap, NULL);
}

static void test_run_options(cdrest_client *c) {
    cdrest_credential creds[2] = { { "deployCred", "deployer", "pw-never-in-trace" }, { "dbCred", "dba", "s3cr3t" } };
    cdrest_param actual[] = { { "greeting", "hi" }, { NULL, NULL } };
    cdrest_param extra[] = { { "pollInterval", "5" }, { NULL, NULL } };
    cdrest_run_options o;
    char job_id[64], body[4096];
    memset(&o, 0, sizeof o);
    o.priority = "high";
    o.destination_project = "Default";
    o.schedule_name = "nightly";
    o.credential_name = "impersonate";
    o.credentials = creds;
    o.ncredentials = 2;
    o.extra = extra;
    trace_log[0] = 0;
    CHECK_INT(cdrest_run_procedure_ex(c, "Default", "runme", actual, &o, job_id, sizeof job_id), 0);
    CHECK(job_id[0] != 0);
    CHECK_INT(last_body(c, "/rest/v1.0/jobs?request=runProcedure", body, sizeof body), 0);
    CHECK_CONTAINS(body, "\"projectName\":\"Default\"");
    CHECK_CONTAINS(body, "\"procedureName\":\"runme\"");
    CHECK_CONTAINS(body, "\"priority\":\"high\"");
    CHECK_CONTAINS(body, "\"destinationProject\":\"Default\"");
    CHECK_CONTAINS(body, "\"scheduleName\":\"nightly\"");
    CHECK_CONTAINS(body, "\"credentialName\":\"impersonate\"");
    CHECK_CONTAINS(body, "\"pollInterval\":\"5\"");
    CHECK_CONTAINS(body, "\"actualParameter\":[{\"actualParameterName\":\"greeting\",\"value\":\"hi\"}]");
    CHECK_CONTAINS(body, "\"credential\":[{\"credentialName\":\"deployCred\",\"userName\":\"deployer\",\"password\":"
                         "\"pw-never-in-trace\"},{\"credentialName\":\"dbCred\"");
    CHECK(strstr(trace_log, "runProcedure") != NULL);
    CHECK(strstr(trace_log, "pw-never-in-trace") == NULL && strstr(cdrest_errmsg(c), "pw-never") == NULL);
    /* No options, no actual parameters: the names alone. */
    CHECK_INT(cdrest_run_procedure_ex(c, "Default", "runme", NULL, NULL, job_id, sizeof job_id), 0);
    CHECK_INT(last_body(c, "/rest/v1.0/jobs?request=runProcedure", body, sizeof body), 0);
    CHECK_STR(body, "{\"projectName\":\"Default\",\"procedureName\":\"runme\"}");
    /* Bad input is refused before anything is sent. */
    o.ncredentials = 1;
    creds[0].name = "";
    CHECK_INT(cdrest_run_procedure_ex(c, "Default", "runme", NULL, &o, job_id, sizeof job_id), CDREST_E_ARG);
    CHECK_INT(cdrest_run_procedure_ex(c, "Default", NULL, NULL, NULL, job_id, sizeof job_id), CDREST_E_ARG);
}

/* Parameters larger than a fresh client's body buffer: the body is built again after it grows,
   and the actual parameters must be in it the second time too (they once came out as []). */
static void test_run_options_grow(void) {
    static char big[6001], body[16384];
    cdrest_param big_actual[] = { { "big", big }, { "after", "tail" }, { NULL, NULL } };
    cdrest_run_options o;
    cdrest_client fresh;
    char job_id[64];
    memset(&o, 0, sizeof o);
    o.destination_project = "Default";
    memset(big, 'v', sizeof big - 1);
    if (!CHECK_INT(make_client(&fresh, base_url), 0)) return;
    CHECK_INT(cdrest_run_procedure_ex(&fresh, "Default", "runme", big_actual, &o, job_id, sizeof job_id), 0);
    CHECK_INT(last_body(&fresh, "/rest/v1.0/jobs?request=runProcedure", body, sizeof body), 0);
    CHECK_CONTAINS(body, "{\"actualParameterName\":\"after\",\"value\":\"tail\"}]");
    CHECK(strstr(body, big) != NULL);
    cdrest_free(&fresh);
}

/* --- cancelling, and the idle timeout ------------------------------------------------------ */

typedef struct counter {
    int calls;
    int cancel_at; /* cancel on this call (1-based), 0 = never */
    uint64_t last_sent, last_total, last_received;
} counter;

static int count_progress(void *ctx, uint64_t sent, uint64_t send_total, uint64_t received, uint64_t recv_total) {
    counter *k = (counter *)ctx;
    (void)recv_total;
    k->calls++;
    k->last_sent = sent;
    k->last_total = send_total;
    k->last_received = received;
    return k->cancel_at && k->calls >= k->cancel_at;
}

static int sink(void *ctx, const void *data, size_t len) {
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

static void test_cancel_transfers(cdrest_client *c, const char *file) {
    const char *files[1];
    cdrest_transfer t;
    counter k;
    char value[16];
    cdrest_request req;
    cdrest_response r;
    size_t got = 0;
    files[0] = file;
    memset(&t, 0, sizeof t);
    memset(&k, 0, sizeof k);
    t.progress = count_progress;
    t.progress_ctx = &k;
    /* A whole upload with progress, no whole-request deadline, an idle limit. */
    t.timeout_ms = -1;
    t.idle_timeout_ms = 5000;
    CHECK_INT(cdrest_create_artifact(c, "lt", "big", NULL, NULL), 0);
    CHECK_INT(cdrest_publish_artifact_version_ex(c, "lt:big", "1.0", NULL, files, 1, &t), 0);
    CHECK(k.calls > 2);
    CHECK(k.last_sent == k.last_total && k.last_total > 4000000);

    /* Cancelled at the second piece: CDREST_E_CANCELED, and the client goes on. */
    memset(&k, 0, sizeof k);
    k.cancel_at = 2;
    CHECK_INT(cdrest_publish_artifact_version_ex(c, "lt:big", "2.0", NULL, files, 1, &t), CDREST_E_CANCELED);
    CHECK_CONTAINS(cdrest_errmsg(c), "canceled");
    CHECK_INT(k.calls, 2);
    CHECK_INT(c->connected, 0);
    CHECK_INT(cdrest_get_property_copy(c, "lt/first", ctx_default, value, sizeof value, NULL), 0);
    CHECK_STR(value, "alpha");
    CHECK_INT(cdrest_get_artifact_version(c, "lt:big:2.0", NULL), CDREST_E_SERVER); /* nothing half-published */

    /* A streamed download, cancelled at its first piece; then the same download whole. */
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/emu/artifact-file?version=lt:big:1.0&name=big.bin";
    req.on_body = sink;
    req.on_body_ctx = &got;
    memset(&k, 0, sizeof k);
    k.cancel_at = 1;
    CHECK_INT(cdrest_http_ex(c, &req, &t, &r), CDREST_E_CANCELED);
    CHECK_INT(k.calls, 1);
    CHECK(got > 0 && got < 4000000);
    memset(&k, 0, sizeof k);
    got = 0;
    CHECK_INT(cdrest_http_ex(c, &req, &t, &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(got, 4194304);
    CHECK(k.calls >= 1 && k.last_received == 4194304);
    /* No deadline at all is refused. */
    t.idle_timeout_ms = 0;
    CHECK_INT(cdrest_http_ex(c, &req, &t, &r), CDREST_E_ARG);
    CHECK_INT(cdrest_publish_artifact_version_ex(c, "lt:big", "3.0", NULL, files, 1, &t), CDREST_E_ARG);
}

static int stop_waiting(void *ctx, const cdrest_job_status *st, int64_t elapsed_ms) {
    (void)st, (void)elapsed_ms;
    ++*(int *)ctx;
    return 1;
}

static void test_cancel_wait(cdrest_client *c) {
    cdrest_job_status st;
    char job_id[64];
    int calls = 0;
    int64_t t0;
    CHECK_INT(cdrest_run_procedure(c, "Default", "runme", NULL, job_id, sizeof job_id), 0);
    t0 = now_ms();
    CHECK_INT(cdrest_wait_for_job_ex(c, job_id, 2000, 60000, stop_waiting, &calls, &st), CDREST_E_CANCELED);
    CHECK(now_ms() - t0 < 1500); /* no sleep of 2 s after the cancel */
    CHECK_INT(calls, 1);
    CHECK_STR(st.job_id, job_id);
    CHECK(strcmp(st.status, "completed") != 0);
    CHECK_INT(cdrest_get_job_status(c, job_id, &st), 0); /* the client goes on */
}

/* A peer that accepts connections (the kernel does) and never says a word. */
static int silent_listener(int *port) {
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_idle_timeout(void) {
    cdrest_client c;
    cdrest_transfer t;
    cdrest_request req;
    cdrest_response r;
    char url[64];
    int port = 0, fd = silent_listener(&port), rc;
    int64_t t0, took;
    if (!CHECK(fd >= 0)) return;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    CHECK_INT(make_client(&c, url), 0);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/x";
    memset(&t, 0, sizeof t);
    t.timeout_ms = 20000;
    t.idle_timeout_ms = 300;
    t0 = now_ms();
    rc = cdrest_http_ex(&c, &req, &t, &r);
    took = now_ms() - t0;
    CHECK_INT(rc, CDREST_E_TIMEOUT);
    CHECK_CONTAINS(cdrest_errmsg(&c), "idle timeout");
    CHECK(took >= 250 && took < 5000);
    /* Without it, the whole-request deadline still ends the wait (and says so plainly). */
    t.idle_timeout_ms = 0;
    t.timeout_ms = 400;
    t0 = now_ms();
    CHECK_INT(cdrest_http_ex(&c, &req, &t, &r), CDREST_E_TIMEOUT);
    CHECK(strstr(cdrest_errmsg(&c), "idle") == NULL);
    CHECK(now_ms() - t0 < 5000);
    /* The options held for one call only: the client's own timeout is back. */
    CHECK_INT(c.cfg.timeout_ms, 20000);
    CHECK_INT(c.idle_timeout_ms, 0);
    cdrest_free(&c);
    close(fd);
}

int main(void) {
    cdrest_client c;
    char dir[] = "/tmp/cdrest-lifetime-XXXXXX", file[64];
    int port, fd;
    static char chunk[65536];
    int i;
    if (!(port = test_start_emu((const char *const[]){ "--job-seconds", "30", NULL }, &emu_pid))) {
        CHECK(0);
        return test_summary();
    }
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
    CHECK_INT(make_client(&c, base_url), 0);
    test_two_properties(&c);
    test_doc_fields(&c);
    test_nested_sheets(&c);
    test_run_options(&c);
    test_run_options_grow();
    /* a 4 MiB file to upload and download */
    if (CHECK(mkdtemp(dir) != NULL)) {
        snprintf(file, sizeof file, "%s/big.bin", dir);
        fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        memset(chunk, 'z', sizeof chunk);
        for (i = 0; fd >= 0 && i < 64; i++) CHECK_INT(write(fd, chunk, sizeof chunk), sizeof chunk);
        if (CHECK(fd >= 0)) close(fd);
        test_cancel_transfers(&c, file);
        unlink(file);
        rmdir(dir);
    }
    test_cancel_wait(&c);
    cdrest_free(&c);
    test_idle_timeout();
    test_stop_server(emu_pid);
    return test_summary();
}
