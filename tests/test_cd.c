/* SPDX-License-Identifier: MIT */
/* The CD layer end to end against the bundled emulator (tests/cdemu.py), over HTTP
   and, when certificates can be made, HTTPS: the seed's flow, every call's success
   and error paths, awkward values and names, sessions (expiry, re-login, Basic,
   tokens, the job-step environment) and what goes on the wire. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <sys/stat.h>

static pid_t emu_pid;
static int emu_port;
static char base_url[128];
static cdrest_tls_config tls; /* the CA for HTTPS runs */
static int valgrind;

static int start_emu(const char *cert, const char *key) {
    const char *extra[] = { "--token", "tok-123", "--job-seconds", "1", "--cert", cert, "--key", key, NULL };
    if (!cert) extra[4] = NULL;
    return test_start_emu(extra, &emu_pid);
}

static int make_client(cdrest_client *c, const char *user, const char *password) {
    cdrest_config cfg = test_admin_config(base_url);
    cfg.user = user;
    cfg.password = password;
    cfg.tls = tls;
    return cdrest_init(c, &cfg);
}

/* Raw requests to the emulator's /emu/ control endpoints. */
static int emu(cdrest_client *c, const char *method, const char *target, cdrest_response *r) {
    cdrest_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.target = target;
    return cdrest_http(c, &req, r);
}

static int str_tok_eq(const cdrest_doc *d, const char *path, const char *want) {
    int i = cdrest_doc_find(d, path);
    return i >= 0 && cdrest_json_eq(d->json, d->toks, i, want);
}

static void write_file(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

typedef struct progress_log {
    int calls;
    uint64_t last, total;
} progress_log;
static void on_progress(void *ctx, uint64_t sent, uint64_t total) {
    progress_log *p = (progress_log *)ctx;
    p->calls++;
    p->last = sent;
    p->total = total;
}
static void on_job(void *ctx, const cdrest_job_status *st, int64_t ms) {
    (void)st;
    (void)ms;
    (*(int *)ctx)++;
}

/* The seed's whole flow: login, set and get a property, create an artifact, publish a
   version with two files, run a procedure with parameters and wait, log out. */
static void test_seed_flow(void) {
    cdrest_client c;
    cdrest_doc d;
    cdrest_response r;
    cdrest_job_status st;
    const char *v;
    size_t n;
    char dir[] = "/tmp/cdrest-cd-XXXXXX", f1[128], f2[128], job[64], sid[256];
    const char *files[2];
    cdrest_param ctx[] = { { "projectName", "Default" }, { NULL, NULL } };
    cdrest_param actual[] = { { "greeting", "hello world" }, { "duration", "1" }, { NULL, NULL } };
    progress_log pl = { 0, 0, 0 };
    int polls = 0;

    CHECK_INT(make_client(&c, "admin", "changeme"), 0);
    CHECK_INT(cdrest_login(&c), 0);
    CHECK(strlen(cdrest_session_id(&c)) > 0);
    snprintf(sid, sizeof sid, "%s", cdrest_session_id(&c));
    CHECK_INT(cdrest_set_property(&c, "flow/answer", "42", ctx, &d), 0);
    CHECK(str_tok_eq(&d, "property.value", "42"));
    CHECK_INT(cdrest_get_property_value(&c, "flow/answer", ctx, &v, &n), 0);
    CHECK_STR(v, "42");
    CHECK_INT((long long)n, 2);
    CHECK_INT(cdrest_get_property_value(&c, "/projects/Default/flow/answer", NULL, &v, &n), 0);
    CHECK_STR(v, "42");

    CHECK_INT(cdrest_create_artifact(&c, "com.example", "app", NULL, &d), 0);
    CHECK(str_tok_eq(&d, "artifact.artifactName", "com.example:app"));
    CHECK_INT(cdrest_create_artifact_version(&c, "com.example:app", "1.0.0", NULL, &d), 0);
    CHECK(mkdtemp(dir) != NULL);
    snprintf(f1, sizeof f1, "%s/readme.txt", dir);
    snprintf(f2, sizeof f2, "%s/app.bin", dir);
    write_file(f1, "hello\n", 6);
    {
        char *big = (char *)malloc(300000);
        size_t i;
        for (i = 0; i < 300000; i++) big[i] = (char)(i * 7);
        write_file(f2, big, 300000);
        free(big);
    }
    files[0] = f1;
    files[1] = f2;
    CHECK_INT(cdrest_publish_artifact_version(&c, "com.example:app", "1.0.0", NULL, files, 2, on_progress, &pl), 0);
    CHECK(pl.calls > 0 && pl.last == pl.total && pl.total > 300006);
    CHECK_INT(emu(&c, "GET", "/emu/artifact-file?version=com.example:app:1.0.0&name=readme.txt", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK(r.body_len == 6 && memcmp(r.body, "hello\n", 6) == 0);
    CHECK_INT(emu(&c, "GET", "/emu/artifact-file?version=com.example:app:1.0.0&name=app.bin", &r), 0);
    CHECK_INT((long long)r.body_len, 300000);
    CHECK(r.body_len == 300000 && (unsigned char)r.body[299999] == (unsigned char)(299999 * 7));
    CHECK_INT(cdrest_get_artifact_version(&c, "com.example:app:1.0.0", &d), 0);
    CHECK(str_tok_eq(&d, "artifactVersion.artifactVersionState", "available"));

    CHECK_INT(cdrest_run_procedure(&c, "Default", "runme", actual, job, sizeof job), 0);
    CHECK(strlen(job) > 0);
    CHECK_INT(cdrest_wait_for_job(&c, job, 200, 20000, on_job, &polls, &st), 0);
    CHECK_STR(st.status, "completed");
    CHECK_STR(st.outcome, "success");
    CHECK(polls >= 2);
    CHECK_INT(cdrest_get_job_details(&c, job, &d), 0);
    CHECK(str_tok_eq(&d, "job.actualParameter[0].value", "hello world"));

    CHECK_INT(cdrest_logout(&c), 0);
    CHECK_STR(cdrest_session_id(&c), "");
    cdrest_free(&c);

    /* the old session no longer works, and a client holding only it gets the error */
    {
        cdrest_config cfg;
        cfg = test_config(base_url, 0);
        cfg.session_id = sid;
        cfg.tls = tls;
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        CHECK_INT(cdrest_get_property(&c, "flow/answer", ctx, &d), CDREST_E_AUTH);
        CHECK_INT(c.err.http_status, 401);
        cdrest_free(&c);
    }
    unlink(f1);
    unlink(f2);
    rmdir(dir);
}

static void test_errors(void) {
    cdrest_client c;
    cdrest_doc d;
    cdrest_param ctx[] = { { "projectName", "Default" }, { NULL, NULL } };
    cdrest_param nope[] = { { "projectName", "NoSuchProjectHere" }, { NULL, NULL } };
    char job[64];
    CHECK_INT(make_client(&c, "admin", "changeme"), 0);
    CHECK_INT(cdrest_get_property(&c, "does/not/exist", ctx, &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchProperty");
    CHECK_INT(c.err.http_status, 404);
    CHECK_CONTAINS(cdrest_errmsg(&c), "NoSuchProperty: ");
    CHECK_CONTAINS(cdrest_errmsg(&c), "[404]");
    CHECK_INT(cdrest_get_property(&c, "x", nope, &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchProject");
    CHECK_INT(cdrest_create_property(&c, "dup", "1", ctx, &d), 0);
    CHECK_INT(cdrest_create_property(&c, "dup", "1", ctx, &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "DuplicatePropertyName");
    CHECK_INT(c.err.http_status, 409);
    CHECK_INT(cdrest_delete_property(&c, "dup", ctx), 0);
    CHECK_INT(cdrest_get_property(&c, "dup", ctx, &d), CDREST_E_SERVER);
    CHECK_INT(cdrest_delete_property(&c, "dup", ctx), CDREST_E_SERVER);
    CHECK_INT(cdrest_create_artifact(&c, "g", "k", NULL, &d), 0);
    CHECK_INT(cdrest_create_artifact(&c, "g", "k", NULL, &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "DuplicateArtifactName");
    CHECK_INT(cdrest_create_artifact_version(&c, "g:k", "1", NULL, &d), 0);
    CHECK_INT(cdrest_create_artifact_version(&c, "g:k", "1", NULL, &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "DuplicateArtifactVersion");
    CHECK_INT(cdrest_get_artifact(&c, "g:nope", &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchArtifact");
    CHECK_INT(cdrest_get_artifact_version(&c, "g:k:9", &d), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchArtifactVersion");
    CHECK_INT(cdrest_run_procedure(&c, "Default", "noSuchProcedure", NULL, job, sizeof job), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchProcedure");
    CHECK_INT(cdrest_run_procedure(&c, "NoSuchProjectHere", "runme", NULL, job, sizeof job), CDREST_E_SERVER);
    CHECK_STR(c.err.server_code, "NoSuchProject");
    {
        const char *files[1] = { "tests/test.h" };
        CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", "nosuchrepo", files, 1, NULL, NULL), CDREST_E_SERVER);
        CHECK_STR(c.err.server_code, "NoSuchRepository");
        files[0] = "/nonexistent/file"; /* a local file problem: its own class, the file named */
        CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 1, NULL, NULL), CDREST_E_FILE);
        CHECK_CONTAINS(cdrest_errmsg(&c), "/nonexistent/file");
    }
    /* artifacts listed and deleted */
    CHECK_INT(cdrest_get_artifacts(&c, NULL, &d), 0);
    CHECK(cdrest_doc_find(&d, "artifact[0].artifactName") >= 0);
    CHECK_INT(cdrest_get_artifact_versions(&c, "g:k", &d), 0);
    CHECK(str_tok_eq(&d, "artifactVersion[0].version", "1"));
    CHECK_INT(cdrest_delete_artifact_version(&c, "g:k:1"), 0);
    CHECK_INT(cdrest_delete_artifact(&c, "g:k"), 0);
    CHECK_INT(cdrest_get_artifact(&c, "g:k", &d), CDREST_E_SERVER);
    /* bad arguments are refused before anything is sent */
    CHECK_INT(cdrest_create_artifact_version(&c, "nocolon", "1", NULL, &d), CDREST_E_ARG);
    CHECK_INT(cdrest_get_property(&c, "", ctx, &d), CDREST_E_ARG);
    CHECK_INT(cdrest_set_property(&c, "x", NULL, ctx, &d), CDREST_E_ARG);
    CHECK_INT(cdrest_set_property(&c, "x", "\xff\xfe", ctx, &d), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "UTF-8");
    CHECK_INT(cdrest_call(&c, "POST", "/projects", NULL, "{\"projectName\":", &d), CDREST_E_JSON);
    /* the generic call */
    CHECK_INT(cdrest_call(&c, "GET", "/projects/Default", NULL, NULL, &d), 0);
    CHECK(str_tok_eq(&d, "project.projectName", "Default"));
    CHECK_INT(cdrest_call(&c, "POST", "/projects", NULL, "{\"projectName\":\"Other\"}", &d), 0);
    {
        cdrest_param q[] = { { "expand", "0" }, { NULL, NULL } };
        cdrest_param other[] = { { "projectName", "Other" }, { NULL, NULL } };
        CHECK_INT(cdrest_set_property(&c, "p", "in other", other, &d), 0);
        CHECK_INT(cdrest_call(&c, "GET", "/properties/p", other, NULL, &d), 0);
        CHECK(str_tok_eq(&d, "property.value", "in other"));
        CHECK_INT(cdrest_call(&c, "GET", "/properties//projects/Other/p", q, NULL, &d), 0);
        CHECK(str_tok_eq(&d, "property.value", "in other"));
    }
    CHECK_INT(cdrest_call(&c, "GET", "/noSuchEndpoint", NULL, NULL, &d), CDREST_E_SERVER);
    CHECK_INT(c.err.http_status, 501);
    cdrest_free(&c);

    /* wrong password; no credentials at all */
    CHECK_INT(make_client(&c, "admin", "wrong"), 0);
    CHECK_INT(cdrest_login(&c), CDREST_E_AUTH);
    CHECK_STR(c.err.server_code, "InvalidCredentials");
    CHECK(strstr(cdrest_errmsg(&c), "wrong") == NULL);
    CHECK_INT(cdrest_get_property(&c, "x", ctx, &d), CDREST_E_AUTH);
    cdrest_free(&c);
    CHECK_INT(make_client(&c, NULL, NULL), 0);
    CHECK_INT(cdrest_get_property(&c, "x", ctx, &d), CDREST_E_AUTH);
    CHECK_STR(c.err.server_code, "NoCredentials");
    CHECK_INT(cdrest_login(&c), CDREST_E_AUTH);
    CHECK_CONTAINS(cdrest_errmsg(&c), "no credentials");
    cdrest_free(&c);
}

static void test_values_and_names(void) {
    static const char *values[] = { "with \"quotes\" and \\backslashes\\",
                                    "line1\nline2\r\nline3\ttab",
                                    "emoji \xf0\x9f\x9a\x80 and \xc3\xa9t\xc3\xa9",
                                    "",
                                    "$[not a reference",
                                    "control \x01\x1f chars",
                                    "/slashes/in/value?&=#%" };
    static const char *names[] = { "name with spaces", "100% done", "semi;colon+plus", "uni\xc3\xa7ode", "q?a#b&c=d" };
    cdrest_client c;
    cdrest_doc d;
    cdrest_param ctx[] = { { "projectName", "Default" }, { NULL, NULL } };
    const char *v;
    size_t n, i;
    char *big;
    CHECK_INT(make_client(&c, "admin", "changeme"), 0);
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        CHECK_INT(cdrest_set_property(&c, "val", values[i], ctx, &d), 0);
        CHECK_INT(cdrest_get_property_value(&c, "val", ctx, &v, &n), 0);
        CHECK_STR(v, values[i]);
        CHECK_INT((long long)n, (long long)strlen(values[i]));
    }
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char abs_path[128];
        CHECK_INT(cdrest_set_property(&c, names[i], names[i], ctx, &d), 0);
        CHECK_INT(cdrest_get_property_value(&c, names[i], ctx, &v, &n), 0);
        CHECK_STR(v, names[i]);
        snprintf(abs_path, sizeof abs_path, "/projects/Default/%s", names[i]);
        CHECK_INT(cdrest_get_property_value(&c, abs_path, NULL, &v, &n), 0);
        CHECK_STR(v, names[i]);
    }
    /* 64 KiB of mixed text */
    big = (char *)malloc(65537);
    for (i = 0; i < 65536; i++) big[i] = "ab\"\\\n\xc3\xa9z"[i % 8];
    big[65536] = 0;
    if ((unsigned char)big[65535] == 0xc3) big[65535] = 'x'; /* never split a character */
    CHECK_INT(cdrest_set_property(&c, "big", big, ctx, &d), 0);
    CHECK_INT(cdrest_get_property_value(&c, "big", ctx, &v, &n), 0);
    CHECK(n == 65536 && memcmp(v, big, n) == 0);
    free(big);
    /* expansion on by default, raw with expand=0 */
    {
        cdrest_param raw[] = { { "projectName", "Default" }, { "expand", "0" }, { NULL, NULL } };
        CHECK_INT(cdrest_set_property(&c, "target", "expanded!", ctx, &d), 0);
        CHECK_INT(cdrest_set_property(&c, "ref", "value=$[/projects/Default/target]", ctx, &d), 0);
        CHECK_INT(cdrest_get_property_value(&c, "ref", ctx, &v, &n), 0);
        CHECK_STR(v, "value=expanded!");
        CHECK_INT(cdrest_get_property_value(&c, "ref", raw, &v, &n), 0);
        CHECK_STR(v, "value=$[/projects/Default/target]");
    }
    cdrest_free(&c);
}

static void test_sheets(void) {
    cdrest_client c;
    cdrest_doc d;
    cdrest_param ctx[] = { { "projectName", "Default" }, { NULL, NULL } };
    cdrest_sheet_entry e;
    int i, it = 0, count = 0, seen_nested = 0, all_ok = 1, want = valgrind ? 2000 : 10000;
    char name[64], value[64], buf[64];
    CHECK_INT(make_client(&c, "admin", "changeme"), 0);
    CHECK_INT(cdrest_create_property(
                  &c, "listing", NULL,
                  (cdrest_param[]){ { "projectName", "Default" }, { "propertyType", "sheet" }, { NULL, NULL } }, &d),
              0);
    for (i = 0; i < want; i++) {
        snprintf(name, sizeof name, "listing/p%05d", i);
        snprintf(value, sizeof value, "v%d", i);
        if (cdrest_set_property(&c, name, value, ctx, NULL) != 0) all_ok = 0;
    }
    CHECK(all_ok);
    CHECK_INT(cdrest_set_property(&c, "listing/nested/inner", "deep", ctx, NULL), 0);
    CHECK_INT(cdrest_get_properties(&c, "listing", ctx, &d), 0);
    while (cdrest_sheet_next(&d, &it, &e)) {
        size_t n;
        count++;
        if (e.sheet_id >= 0) {
            seen_nested++;
            continue;
        }
        cdrest_json_string(d.json, d.toks, e.name, name, sizeof name, &n);
        cdrest_json_string(d.json, d.toks, e.value, value, sizeof value, &n);
        snprintf(buf, sizeof buf, "v%d", atoi(name + 1));
        if (name[0] != 'p' || strcmp(buf, value) != 0) all_ok = 0;
    }
    CHECK_INT(count, want + 1);
    CHECK_INT(seen_nested, 1);
    CHECK(all_ok);
    /* the project's own sheet, by context */
    CHECK_INT(cdrest_get_properties(&c, NULL, ctx, &d), 0);
    it = 0;
    count = 0;
    while (cdrest_sheet_next(&d, &it, &e)) count++;
    CHECK(count >= 1);
    /* a plain property is not a sheet */
    CHECK_INT(cdrest_get_properties(&c, "listing/p00001", ctx, &d), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "not a property sheet");
    cdrest_free(&c);
}

/* Sessions: expiry with automatic re-login, Basic auth, tokens, the wire format. */
static void test_sessions(void) {
    cdrest_client c, raw;
    cdrest_doc d;
    cdrest_response r;
    cdrest_param ctx[] = { { "projectName", "Default" }, { NULL, NULL } };
    char first[256];
    CHECK_INT(make_client(&raw, NULL, NULL), 0);
    CHECK_INT(make_client(&c, "admin", "changeme"), 0);
    CHECK_INT(cdrest_set_property(&c, "s", "1", ctx, &d), 0); /* logs in by itself */
    snprintf(first, sizeof first, "%s", cdrest_session_id(&c));
    CHECK(first[0] != 0);
    CHECK_INT(emu(&raw, "POST", "/emu/expire-sessions", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(cdrest_get_property(&c, "s", ctx, &d), 0); /* 401, log in again, retry */
    CHECK(strcmp(first, cdrest_session_id(&c)) != 0);
    /* what went on the wire: session in a cookie and a header, JSON content type, no
       password anywhere in a request target */
    CHECK_INT(emu(&raw, "GET", "/emu/requests?n=4", &r), 0);
    CHECK_CONTAINS(r.body, "sessionId=");
    CHECK_CONTAINS(r.body, "application/json");
    {
        const char *p = r.body;
        int leaked = 0;
        while ((p = strstr(p, "\"target\":\"")) != NULL) {
            const char *e = strchr(p + 10, '"');
            if (e) {
                const char *q;
                for (q = p; q + 8 <= e; q++)
                    if (!memcmp(q, "changeme", 8)) leaked = 1;
            }
            p += 10;
        }
        CHECK(!leaked);
    }
    cdrest_free(&c);

    /* Basic auth on every call, no session */
    {
        cdrest_config cfg = test_admin_config(base_url);
        cfg.basic_auth = 1;
        cfg.timeout_ms = 0;
        cfg.tls = tls;
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        CHECK_INT(cdrest_get_property(&c, "s", ctx, &d), 0);
        CHECK_STR(cdrest_session_id(&c), "");
        CHECK_INT(emu(&raw, "GET", "/emu/requests?n=1", &r), 0);
        CHECK_CONTAINS(r.body, "Basic YWRtaW46Y2hhbmdlbWU=");
        cdrest_free(&c);
        cfg.password = "bad";
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        CHECK_INT(cdrest_get_property(&c, "s", ctx, &d), CDREST_E_AUTH);
        cdrest_free(&c);
        /* a token */
        cfg.basic_auth = 0;
        cfg.user = NULL;
        cfg.password = NULL;
        cfg.token = "tok-123";
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        CHECK_INT(cdrest_login(&c), 0);
        CHECK_INT(cdrest_get_property(&c, "s", ctx, &d), 0);
        cdrest_free(&c);
        cfg.token = "tok-wrong";
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        CHECK_INT(cdrest_login(&c), CDREST_E_AUTH);
        cdrest_free(&c);
    }
    cdrest_free(&raw);
}

/* A tool run by a job step: everything from COMMANDER_* variables. */
static void test_environment(void) {
    cdrest_client c;
    cdrest_doc d;
    char job[64], step[128], port[16];
    const char *v;
    size_t n;
    int i;
    CHECK_INT(make_client(&c, "admin", "changeme"), 0);
    CHECK_INT(cdrest_run_procedure(&c, "Default", "runme", NULL, job, sizeof job), 0);
    CHECK_INT(cdrest_get_job_details(&c, job, &d), 0);
    i = cdrest_doc_find(&d, "job.jobStep[0].jobStepId");
    CHECK(i >= 0);
    cdrest_doc_string(&d, "job.jobStep[0].jobStepId", step, sizeof step);
    CHECK_INT(cdrest_set_property(&c, "/myJob/fromStep", "step value",
                                  (cdrest_param[]){ { "jobId", job }, { NULL, NULL } }, &d),
              0);
    setenv("COMMANDER_SERVER", "127.0.0.1", 1);
    snprintf(port, sizeof port, "%d", emu_port);
    setenv(tls.ca_file ? "COMMANDER_HTTPS_PORT" : "COMMANDER_PORT", port, 1);
    setenv("COMMANDER_SECURE", tls.ca_file ? "1" : "0", 1);
    setenv("COMMANDER_SESSIONID", cdrest_session_id(&c), 1);
    setenv("COMMANDER_JOBSTEPID", step, 1);
    setenv("COMMANDER_JOBID", job, 1);
    cdrest_free(&c);
    {
        cdrest_config base;
        memset(&base, 0, sizeof base);
        base.no_proxy = 1;
        base.tls = tls;
        CHECK_INT(cdrest_init_from_env(&c, &base), 0);
        CHECK_INT(cdrest_get_property_value(&c, "/myJob/fromStep", NULL, &v, &n), 0);
        CHECK_STR(v, "step value");
        CHECK_INT(cdrest_set_property(&c, "/myJob/written", "by the step", NULL, &d), 0);
        cdrest_free(&c);
    }
    unsetenv("COMMANDER_SERVER");
    CHECK_INT(cdrest_init_from_env(&c, NULL), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "COMMANDER_SERVER");
    unsetenv("COMMANDER_SESSIONID");
    unsetenv("COMMANDER_JOBSTEPID");
}

/* Credentials over plain http:// go only to loopback unless allowed. */
static void test_plain_http_refusal(void) {
    cdrest_client c;
    cdrest_config cfg;
    cfg = test_config("http://cd.example.com:8000", 0);
    cfg.user = "admin";
    cfg.password = "changeme";
    CHECK_INT(cdrest_init(&c, &cfg), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "allow_plain_http");
    CHECK(strstr(cdrest_errmsg(&c), "changeme") == NULL);
    cfg.allow_plain_http = 1;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    cdrest_free(&c);
    cfg.allow_plain_http = 0;
    cfg.password = NULL;
    CHECK_INT(cdrest_init(&c, &cfg), 0); /* no secret to protect */
    cdrest_free(&c);
    cfg.user = "ad\r\nmin";
    CHECK_INT(cdrest_init(&c, &cfg), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "CR or LF");
}

/* An HTML page from a proxy in front of the server. */
static void test_html_error(void) {
    pid_t pid;
    int port;
    cdrest_client c;
    cdrest_config cfg;
    cdrest_doc d;
    char url[64];
    port = test_start_httpd(NULL, NULL, &pid);
    CHECK(port > 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    cfg = test_config(url, 0);
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_call(&c, "GET", "/html502", NULL, NULL, &d), CDREST_E_HTTP);
    CHECK_INT(c.err.http_status, 502);
    CHECK_CONTAINS(cdrest_errmsg(&c), "HTTP 502");
    CHECK_CONTAINS(cdrest_errmsg(&c), "502 Bad Gateway");
    CHECK_INT(cdrest_call(&c, "GET", "/badjson", NULL, NULL, &d), CDREST_E_JSON);
    CHECK_CONTAINS(cdrest_errmsg(&c), "not valid JSON");
    cdrest_free(&c);
    test_stop_server(pid);
}

static void run_all(void) {
    test_seed_flow();
    test_errors();
    test_values_and_names();
    test_sheets();
    test_sessions();
    test_environment();
}

int main(void) {
    valgrind = getenv("CDREST_VALGRIND") != NULL;
    emu_port = start_emu(NULL, NULL);
    CHECK(emu_port > 0);
    if (emu_port > 0) {
        snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", emu_port);
        run_all();
        test_stop_server(emu_pid);
    }
    test_plain_http_refusal();
    test_html_error();
#ifndef CDREST_NO_TLS
    /* Everything again over HTTPS, verified against a CA made for the run. */
    {
        char dir[] = "/tmp/cdrest-cd-tls-XXXXXX", cmd[600], ca[300], cert[300], key[300];
        CHECK(mkdtemp(dir) != NULL);
        snprintf(cmd, sizeof cmd, "sh %s/mkcerts.sh %s >/dev/null 2>&1", test_dir(), dir);
        CHECK_INT(system(cmd), 0);
        snprintf(ca, sizeof ca, "%s/ca.pem", dir);
        snprintf(cert, sizeof cert, "%s/rsa.pem", dir);
        snprintf(key, sizeof key, "%s/rsa.key", dir);
        emu_port = start_emu(cert, key);
        CHECK(emu_port > 0);
        if (emu_port > 0) {
            memset(&tls, 0, sizeof tls);
            tls.ca_file = ca;
            snprintf(base_url, sizeof base_url, "https://localhost:%d", emu_port);
            run_all();
            test_stop_server(emu_pid);
        }
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        CHECK_INT(system(cmd), 0);
    }
#endif
    return test_summary();
}
