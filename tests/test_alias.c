/* What a caller's inputs may do. Aliasing: every public call that takes a string is given a pointer into the client's
   own memory (a previous result: a property value, a response body in the receive
   buffer, the error text, the session id), with values from 1 byte to 100 KB, against
   the CD emulator, under ASan. The call must do exactly what it does with the same bytes
   in the caller's memory: what the server stored is read back and compared with a copy
   taken before the call. (The old code built the request body in the buffer that held
   the value: a 40-byte value was stored as {"value":"{\"value\":..., a 4 KB one was a
   heap use-after-free.) Also: "." and ".." segments in names and paths are refused
   before anything is sent, and multipart boundaries carry 128 random bits. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <sys/stat.h>

static const cdrest_param ctx_default[] = { { "projectName", "Default" }, { NULL, NULL } };
static char tmpdir[] = "/tmp/cdrest-alias-XXXXXX";
static int nth; /* makes names unique */

/* The emulator's admin on port (url: where the server URL is written), default timeout. */
static cdrest_config admin_config(char *url, size_t cap, int port) {
    cdrest_config cfg;
    snprintf(url, cap, "http://127.0.0.1:%d", port);
    cfg = test_admin_config(url);
    cfg.timeout_ms = 0;
    return cfg;
}

static void init_client(cdrest_client *c, int port) {
    char url[64];
    cdrest_config cfg = admin_config(url, sizeof url, port);
    CHECK_INT(cdrest_init(c, &cfg), 0);
}

/* A string of n bytes, varied so that a shifted or doubled copy cannot pass for it,
   with characters JSON must escape. */
static char *make_value(size_t n, int seed) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 \"\\/{}:,ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char *s = (char *)malloc(n + 1);
    size_t i;
    for (i = 0; i < n; i++) s[i] = alphabet[(i * 7 + (size_t)seed * 13 + i / 97) % (sizeof alphabet - 1)];
    s[n] = 0;
    return s;
}

/* 1 if p points into the client's receive or body buffer (its own memory). */
static int in_client(const cdrest_client *c, const char *p) {
    return (p >= c->buf && p < c->buf + c->buf_cap) || (p >= c->body && p < c->body + c->body_cap);
}

/* Source 1: the value cdrest_get_property_value returns (the client's memory). */
static const char *as_property_value(cdrest_client *c, const char *text) {
    const char *v = NULL;
    size_t n = 0;
    CHECK_INT(cdrest_set_property(c, "aliasSource", text, ctx_default, NULL), 0);
    CHECK_INT(cdrest_get_property_value(c, "aliasSource", ctx_default, &v, &n), 0);
    CHECK(v && n == strlen(text) && !strcmp(v, text));
    CHECK(in_client(c, v));
    return v ? v : "";
}

/* Source 2: a raw response body (the receive buffer): the bytes of an uploaded file. */
static const char *as_response_body(cdrest_client *c, const char *text) {
    char path[300], target[200];
    const char *files[1];
    cdrest_request req;
    cdrest_response r;
    FILE *f;
    snprintf(path, sizeof path, "%s/src.txt", tmpdir);
    f = fopen(path, "wb");
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    files[0] = path;
    nth++;
    {
        char version[32];
        snprintf(version, sizeof version, "%d", nth);
        CHECK_INT(cdrest_publish_artifact_version(c, "alias:source", version, NULL, files, 1, NULL, NULL), 0);
        snprintf(target, sizeof target, "/emu/artifact-file?version=alias:source:%s&name=src.txt", version);
    }
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = target;
    CHECK_INT(cdrest_http(c, &req, &r), 0);
    CHECK_INT(r.status, 200);
    CHECK(r.body_len == strlen(text) && !strcmp(r.body, text));
    CHECK(in_client(c, r.body));
    return r.body ? r.body : "";
}

typedef const char *(*source_fn)(cdrest_client *c, const char *text);
static const source_fn sources[] = { as_property_value, as_response_body };
static const char *const source_names[] = { "property value", "response body" };

static void check_stored(cdrest_client *c, const char *path, const cdrest_param *ctx, const char *want) {
    const char *v = NULL;
    size_t n = 0;
    CHECK_INT(cdrest_get_property_value(c, path, ctx, &v, &n), 0);
    CHECK_INT(n, strlen(want));
    CHECK(v && !strcmp(v, want));
}

/* Values: set_property, create_property, an actual parameter, a JSON body, query and
   context values, of every size. */
static void test_values(cdrest_client *c) {
    static const size_t sizes[] = { 1, 2, 40, 255, 4080, 4095, 4096, 16384, 65536, 100000 };
    size_t si;
    int s;
    for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (s = 0; s < 2; s++) {
            char *text = make_value(sizes[si], (int)si + s), name[64];
            const char *p;
            int failed = test_failed;
            /* set_property(value) */
            p = sources[s](c, text);
            CHECK_INT(cdrest_set_property(c, "aliasDst", p, ctx_default, NULL), 0);
            check_stored(c, "aliasDst", ctx_default, text);
            /* create_property(value) */
            p = sources[s](c, text);
            snprintf(name, sizeof name, "aliasNew%d", ++nth);
            CHECK_INT(cdrest_create_property(c, name, p, ctx_default, NULL), 0);
            check_stored(c, name, ctx_default, text);
            CHECK_INT(cdrest_delete_property(c, name, ctx_default), 0);
            /* run_procedure: an actual parameter's value */
            {
                cdrest_param actual[3];
                char job[128];
                cdrest_doc d;
                int i;
                p = sources[s](c, text);
                actual[0].name = "duration";
                actual[0].value = "0";
                actual[1].name = "copied";
                actual[1].value = p;
                actual[2].name = actual[2].value = NULL;
                CHECK_INT(cdrest_run_procedure(c, "Default", "runme", actual, job, sizeof job), 0);
                CHECK_INT(cdrest_get_job_details(c, job, &d), 0);
                i = cdrest_doc_find(&d, "job.actualParameter[1].value");
                CHECK(i >= 0);
                if (i >= 0) {
                    char *got = (char *)malloc(sizes[si] + 1);
                    size_t n = 0;
                    CHECK_INT(cdrest_json_string(d.json, d.toks, i, got, sizes[si] + 1, &n), 0);
                    CHECK(n == sizes[si] && !memcmp(got, text, n));
                    free(got);
                }
            }
            /* cdrest_call: a JSON body that is a previous result */
            {
                cdrest_json_writer w;
                size_t cap = sizes[si] * 2 + 100;
                char *json = (char *)malloc(cap);
                cdrest_jw_init(&w, json, cap);
                cdrest_jw_object_begin(&w);
                cdrest_jw_key(&w, "value");
                cdrest_jw_string(&w, text);
                cdrest_jw_key(&w, "projectName");
                cdrest_jw_string(&w, "Default");
                cdrest_jw_object_end(&w);
                CHECK_INT(cdrest_jw_finish(&w), 0);
                p = sources[s](c, json);
                CHECK_INT(cdrest_call(c, "PUT", "/properties/aliasCall", NULL, p, NULL), 0);
                check_stored(c, "aliasCall", ctx_default, text);
                free(json);
            }
            if (test_failed != failed)
                fprintf(stderr, "  ^ %lu bytes from a %s\n", (unsigned long)sizes[si], source_names[s]);
            free(text);
        }
    }
}

/* Names and context values: paths, projects, artifacts, versions, job ids, methods. */
static void test_names(cdrest_client *c) {
    int s;
    for (s = 0; s < 2; s++) {
        const char *p;
        cdrest_param ctx[2], query[2];
        cdrest_doc d;
        char job[128], version[32];
        int failed = test_failed;
        /* property paths */
        CHECK_INT(cdrest_set_property(c, "aliasByName", "marker", ctx_default, NULL), 0);
        p = sources[s](c, "aliasByName");
        {
            const char *v = NULL;
            size_t n;
            CHECK_INT(cdrest_get_property_value(c, p, ctx_default, &v, &n), 0);
            CHECK(v && !strcmp(v, "marker"));
        }
        p = sources[s](c, "aliasByName");
        CHECK_INT(cdrest_get_property(c, p, ctx_default, &d), 0);
        CHECK(cdrest_doc_find(&d, "property.value") >= 0);
        p = sources[s](c, "aliasByName");
        CHECK_INT(cdrest_set_property(c, p, "second", ctx_default, NULL), 0);
        check_stored(c, "aliasByName", ctx_default, "second");
        p = sources[s](c, "aliasByName");
        CHECK_INT(cdrest_delete_property(c, p, ctx_default), 0);
        CHECK_INT(cdrest_get_property(c, "aliasByName", ctx_default, NULL), CDREST_E_SERVER);
        p = sources[s](c, "aliasByName");
        CHECK_INT(cdrest_create_property(c, p, "third", ctx_default, NULL), 0);
        check_stored(c, "aliasByName", ctx_default, "third");
        /* a sheet path, and a context value */
        CHECK_INT(cdrest_create_property(c, "aliasSheet/inner", "x", ctx_default, NULL), 0);
        p = sources[s](c, "aliasSheet");
        CHECK_INT(cdrest_get_properties(c, p, ctx_default, &d), 0);
        CHECK(cdrest_doc_find(&d, "propertySheet") >= 0);
        CHECK_INT(cdrest_delete_property(c, "aliasSheet", ctx_default), 0);
        p = sources[s](c, "Default");
        ctx[0].name = "projectName";
        ctx[0].value = p;
        ctx[1].name = ctx[1].value = NULL;
        CHECK_INT(cdrest_set_property(c, "aliasCtx", "in Default", ctx, NULL), 0);
        check_stored(c, "aliasCtx", ctx_default, "in Default");
        /* cdrest_call: method, path, a query value */
        p = sources[s](c, "/properties/aliasCtx");
        query[0].name = "projectName";
        query[0].value = "Default";
        query[1].name = query[1].value = NULL;
        CHECK_INT(cdrest_call(c, "GET", p, query, NULL, &d), 0);
        CHECK(cdrest_doc_find(&d, "property.value") >= 0);
        p = sources[s](c, "Default");
        query[0].value = p;
        CHECK_INT(cdrest_call(c, "GET", "/properties/aliasCtx", query, NULL, &d), 0);
        CHECK(cdrest_doc_find(&d, "property.value") >= 0);
        p = sources[s](c, "GET");
        CHECK_INT(cdrest_call(c, p, "/properties/aliasCtx", ctx_default, NULL, &d), 0);
        CHECK(cdrest_doc_find(&d, "property.value") >= 0);
        /* artifacts and versions */
        snprintf(version, sizeof version, "%d.0", ++nth);
        p = sources[s](c, "aliasgroup");
        CHECK_INT(cdrest_create_artifact(c, p, "key", NULL, NULL), 0);
        p = sources[s](c, "key");
        CHECK_INT(cdrest_create_artifact(c, "aliasgroup", p, NULL, NULL) == 0 ||
                      cdrest_last_error(c)->http_status == 409,
                  1); /* already there: fine */
        p = sources[s](c, "aliasgroup:key");
        CHECK_INT(cdrest_get_artifact(c, p, &d), 0);
        p = sources[s](c, "aliasgroup:key");
        CHECK_INT(cdrest_create_artifact_version(c, p, version, NULL, NULL), 0);
        p = sources[s](c, version);
        CHECK_INT(cdrest_create_artifact_version(c, "aliasgroup:key", p, NULL, NULL), CDREST_E_SERVER); /* exists */
        {
            char vname[80];
            snprintf(vname, sizeof vname, "aliasgroup:key:%s", version);
            p = sources[s](c, vname);
            CHECK_INT(cdrest_get_artifact_version(c, p, &d), 0);
            p = sources[s](c, "aliasgroup:key");
            CHECK_INT(cdrest_get_artifact_versions(c, p, &d), 0);
            p = sources[s](c, vname);
            CHECK_INT(cdrest_delete_artifact_version(c, p), 0);
            CHECK_INT(cdrest_get_artifact_version(c, vname, &d), CDREST_E_SERVER);
        }
        {
            cdrest_param extra[2];
            p = sources[s](c, "described");
            extra[0].name = "description";
            extra[0].value = p;
            extra[1].name = extra[1].value = NULL;
            snprintf(version, sizeof version, "%d.2", ++nth);
            CHECK_INT(cdrest_create_artifact_version(c, "aliasgroup:key", version, extra, &d), 0);
        }
        /* publishing: the artifact, the version, the repository and a file name */
        {
            char path[400], want[300];
            const char *files[1];
            FILE *f;
            snprintf(path, sizeof path, "%s/payload.bin", tmpdir);
            f = fopen(path, "wb");
            fputs("payload", f);
            fclose(f);
            snprintf(version, sizeof version, "%d.3", ++nth);
            p = sources[s](c, path);
            files[0] = p;
            CHECK_INT(cdrest_publish_artifact_version(c, "aliasgroup:key", version, NULL, files, 1, NULL, NULL), 0);
            files[0] = path;
            snprintf(version, sizeof version, "%d.4", ++nth);
            p = sources[s](c, "aliasgroup:key");
            CHECK_INT(cdrest_publish_artifact_version(c, p, version, NULL, files, 1, NULL, NULL), 0);
            snprintf(version, sizeof version, "%d.5", ++nth);
            p = sources[s](c, version);
            strcpy(want, version);
            CHECK_INT(cdrest_publish_artifact_version(c, "aliasgroup:key", p, NULL, files, 1, NULL, NULL), 0);
            snprintf(path, sizeof path, "aliasgroup:key:%s", want);
            CHECK_INT(cdrest_get_artifact_version(c, path, &d), 0);
            snprintf(version, sizeof version, "%d.6", ++nth);
            p = sources[s](c, "default");
            snprintf(want, sizeof want, "%s/payload.bin", tmpdir);
            files[0] = want;
            CHECK_INT(cdrest_publish_artifact_version(c, "aliasgroup:key", version, p, files, 1, NULL, NULL), 0);
        }
        p = sources[s](c, "aliasgroup:key");
        CHECK_INT(cdrest_delete_artifact(c, p), 0);
        CHECK_INT(cdrest_get_artifact(c, "aliasgroup:key", &d), CDREST_E_SERVER);
        /* jobs: the project, the procedure, the job id */
        p = sources[s](c, "Default");
        CHECK_INT(cdrest_run_procedure(c, p, "runme", NULL, job, sizeof job), 0);
        p = sources[s](c, "runme");
        CHECK_INT(cdrest_run_procedure(c, "Default", p, NULL, job, sizeof job), 0);
        {
            cdrest_job_status st;
            char want[128];
            strcpy(want, job);
            p = sources[s](c, job);
            CHECK_INT(cdrest_get_job_status(c, p, &st), 0);
            CHECK_STR(st.job_id, want);
            p = sources[s](c, job);
            CHECK_INT(cdrest_get_job_details(c, p, &d), 0);
            p = sources[s](c, job);
            CHECK_INT(cdrest_wait_for_job(c, p, 100, 30000, NULL, NULL, &st), 0);
            CHECK_STR(st.job_id, want);
        }
        if (test_failed != failed) fprintf(stderr, "  ^ names from a %s\n", source_names[s]);
    }
}

/* A client on caller-given buffers: a result passed back is copied the same way. */
static void test_fixed_buffers(int port) {
    static char rx[65536], tx[65536];
    static cdrest_json_tok toks[256];
    static const size_t sizes[] = { 1, 40, 4080, 20000 };
    cdrest_client c;
    cdrest_config cfg;
    char url[64];
    size_t i;
    cfg = admin_config(url, sizeof url, port);
    cfg.buffer = rx;
    cfg.buffer_size = sizeof rx;
    cfg.send_buffer = tx;
    cfg.send_buffer_size = sizeof tx;
    cfg.tokens = toks;
    cfg.max_tokens = 256;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *text = make_value(sizes[i], (int)i);
        const char *p = as_property_value(&c, text);
        CHECK(p >= rx && p < rx + sizeof rx); /* values are decoded where the answer is (issue 19, item 20) */
        CHECK_INT(cdrest_set_property(&c, "aliasFixed", p, ctx_default, NULL), 0);
        check_stored(&c, "aliasFixed", ctx_default, text);
        free(text);
    }
    cdrest_free(&c);
}

/* The copy-out, _dup and _ex forms take strings too. */
static void test_extras(cdrest_client *c) {
    int s;
    for (s = 0; s < 2; s++) {
        const char *p;
        char buf[64], job[128], version[32], path[400];
        char *dup = NULL;
        size_t n = 0;
        const char *files[1];
        cdrest_run_options o;
        cdrest_doc d;
        int failed = test_failed;
        FILE *f;
        CHECK_INT(cdrest_set_property(c, "aliasExtra", "extra value", ctx_default, NULL), 0);
        p = sources[s](c, "aliasExtra");
        CHECK_INT(cdrest_get_property_copy(c, p, ctx_default, buf, sizeof buf, &n), 0);
        CHECK_STR(buf, "extra value");
        p = sources[s](c, "aliasExtra");
        CHECK_INT(cdrest_get_property_copy(c, p, ctx_default, buf, 4, &n), CDREST_E_TOOLARGE);
        CHECK_CONTAINS(cdrest_errmsg(c), "aliasExtra"); /* the path, read after the call */
        p = sources[s](c, "aliasExtra");
        CHECK_INT(cdrest_get_property_dup(c, p, ctx_default, &dup, &n), 0);
        CHECK(dup && !strcmp(dup, "extra value"));
        cdrest_dup_free(NULL, dup);
        /* run_procedure_ex: the project and an option */
        memset(&o, 0, sizeof o);
        p = sources[s](c, "Default");
        CHECK_INT(cdrest_run_procedure_ex(c, p, "runme", NULL, NULL, job, sizeof job), 0);
        p = sources[s](c, "high");
        o.priority = p;
        CHECK_INT(cdrest_run_procedure_ex(c, "Default", "runme", NULL, &o, job, sizeof job), 0);
        { /* the emulator ignores priority: look at the body it received */
            cdrest_request req;
            cdrest_response r;
            memset(&req, 0, sizeof req);
            req.method = "GET";
            req.target = "/emu/requests?n=1";
            CHECK_INT(cdrest_http(c, &req, &r), 0);
            CHECK_CONTAINS(r.body, "priority\\\":\\\"high\\\"");
        }
        /* publish_ex: the version */
        snprintf(path, sizeof path, "%s/payload.bin", tmpdir);
        f = fopen(path, "wb");
        fputs("payload", f);
        fclose(f);
        files[0] = path;
        snprintf(version, sizeof version, "x%d", ++nth);
        p = sources[s](c, version);
        CHECK_INT(cdrest_publish_artifact_version_ex(c, "alias:source", p, NULL, files, 1, NULL), 0);
        snprintf(path, sizeof path, "alias:source:%s", version);
        CHECK_INT(cdrest_get_artifact_version(c, path, &d), 0);
        if (test_failed != failed) fprintf(stderr, "  ^ extras from a %s\n", source_names[s]);
    }
    { /* cdrest_http_ex: the error text as a header value */
        cdrest_request req;
        cdrest_response r;
        cdrest_header h[1];
        char want[CDREST_ERRMSG_SIZE + 16];
        CHECK_INT(cdrest_get_property(c, "aliasNoSuchProperty", ctx_default, NULL), CDREST_E_SERVER);
        snprintf(want, sizeof want, "%s", cdrest_errmsg(c));
        memset(&req, 0, sizeof req);
        h[0].name = "X-Prev";
        h[0].value = cdrest_errmsg(c);
        req.method = "GET";
        req.target = "/emu/requests?n=1";
        req.headers = h;
        req.nheaders = 1;
        CHECK_INT(cdrest_http_ex(c, &req, NULL, &r), 0);
        CHECK_INT(r.status, 200);
        req.target = "/rest/v1.0/projects/Default";
        h[0].value = cdrest_errmsg(c); /* "" now: the last call succeeded */
        CHECK_INT(cdrest_get_property(c, "aliasNoSuchProperty", ctx_default, NULL), CDREST_E_SERVER);
        h[0].value = cdrest_errmsg(c);
        CHECK_INT(cdrest_http_ex(c, &req, NULL, &r), 0);
        req.target = "/emu/requests?n=1";
        h[0].value = "-";
        CHECK_INT(cdrest_http(c, &req, &r), 0);
        CHECK_CONTAINS(r.body, want);
    }
}

/* The error text and the session id are results too: each call clears the first and a
   login rewrites the second. */
static void test_struct_results(cdrest_client *c) {
    char want[CDREST_ERRMSG_SIZE], sid[256];
    CHECK_INT(cdrest_get_property(c, "aliasNoSuchProperty", ctx_default, NULL), CDREST_E_SERVER);
    snprintf(want, sizeof want, "%s", cdrest_errmsg(c));
    CHECK(want[0] != 0);
    CHECK_INT(cdrest_set_property(c, "aliasErr", cdrest_errmsg(c), ctx_default, NULL), 0);
    check_stored(c, "aliasErr", ctx_default, want);
    CHECK_INT(cdrest_get_property(c, "aliasNoSuchProperty", ctx_default, NULL), CDREST_E_SERVER);
    snprintf(want, sizeof want, "%s", cdrest_last_error(c)->server_message);
    CHECK(want[0] != 0);
    CHECK_INT(cdrest_set_property(c, "aliasErr2", cdrest_last_error(c)->server_message, ctx_default, NULL), 0);
    check_stored(c, "aliasErr2", ctx_default, want);
    snprintf(sid, sizeof sid, "%s", cdrest_session_id(c));
    CHECK(sid[0] != 0);
    CHECK_INT(cdrest_set_property(c, "aliasSid", cdrest_session_id(c), ctx_default, NULL), 0);
    check_stored(c, "aliasSid", ctx_default, sid);
}

/* The emulator's count of /rest requests served so far. */
static long rest_requests(cdrest_client *c) {
    cdrest_request req;
    cdrest_response r;
    const char *k;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/emu/stats";
    if (cdrest_http(c, &req, &r) != 0 || !(k = strstr(r.body, "\"restRequests\":"))) return -1;
    return atol(k + 15);
}

/* "." and ".." segments in names and paths: refused with CDREST_E_ARG before anything is
   sent (a server resolving them would act on another object: "x/../../jobs/1"). Other
   dots are ordinary characters. */
static void test_dot_segments(cdrest_client *c) {
    static const char *const bad[] = { "..", ".", "../x", "x/..", "x/../y", "./x", "x/./y", "/projects/Default/..",
                                       "/projects/../jobs", "x/%2e%2e/y", "x/%2E/y", "x/.%2e", "x/..//",
                                       /* separators a server or proxy may decode or accept first */
                                       "x\\..\\y", "x/..%2fy", "x%2F..%2Fy", "..%5Cy", "x/%2e%2e%5c" };
    static const char *const good[] = { "...", "x..y", ".hidden", "x/...", "a.b/c.d", "%2e%2e%2e", "x/.git" };
    size_t i;
    long before = rest_requests(c);
    cdrest_job_status st;
    cdrest_doc d;
    const char *v;
    size_t n;
    cdrest_param ctx[2];
    CHECK(before >= 0);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *name = bad[i];
        int failed = test_failed;
        CHECK_INT(cdrest_set_property(c, name, "v", ctx_default, NULL), CDREST_E_ARG);
        CHECK_CONTAINS(cdrest_errmsg(c), "'..'");
        CHECK_INT(cdrest_create_property(c, name, "v", ctx_default, NULL), CDREST_E_ARG);
        CHECK_INT(cdrest_get_property(c, name, ctx_default, &d), CDREST_E_ARG);
        CHECK_INT(cdrest_get_property_value(c, name, ctx_default, &v, &n), CDREST_E_ARG);
        CHECK_INT(cdrest_delete_property(c, name, ctx_default), CDREST_E_ARG);
        CHECK_INT(cdrest_get_properties(c, name, ctx_default, &d), CDREST_E_ARG);
        CHECK_INT(cdrest_get_artifact(c, name, &d), CDREST_E_ARG);
        CHECK_INT(cdrest_delete_artifact(c, name), CDREST_E_ARG);
        CHECK_INT(cdrest_get_artifact_version(c, name, &d), CDREST_E_ARG);
        CHECK_INT(cdrest_delete_artifact_version(c, name), CDREST_E_ARG);
        CHECK_INT(cdrest_get_job_status(c, name, &st), CDREST_E_ARG);
        CHECK_INT(cdrest_get_job_details(c, name, &d), CDREST_E_ARG);
        ctx[0].name = "projectName"; /* the object whose sheet is listed */
        ctx[0].value = name;
        ctx[1].name = ctx[1].value = NULL;
        CHECK_INT(cdrest_get_properties(c, NULL, ctx, &d), CDREST_E_ARG);
        if (test_failed != failed) fprintf(stderr, "  ^ name %s\n", name);
    }
    CHECK_INT(cdrest_call(c, "GET", "/projects/Default/../../x", NULL, NULL, &d), CDREST_E_ARG);
    CHECK_INT(cdrest_call(c, "GET", "/projects/%2E%2E?x=..", NULL, NULL, &d), CDREST_E_ARG);
    /* behind nginx, "..%2f" is decoded and resolved: /projects/nosuch/..%2fDefault = /projects/Default */
    CHECK_INT(cdrest_call(c, "GET", "/projects/nosuch/..%2fDefault", NULL, NULL, &d), CDREST_E_ARG);
    CHECK_INT(cdrest_call(c, "GET", "/projects/nosuch/%2e%2e%2FDefault", NULL, NULL, &d), CDREST_E_ARG);
    CHECK_INT(cdrest_call(c, "GET", "/projects/nosuch/..%5cDefault", NULL, NULL, &d), CDREST_E_ARG);
    CHECK_INT(cdrest_call(c, "GET", "/projects/nosuch\\..\\Default", NULL, NULL, &d), CDREST_E_ARG);
    CHECK_INT(rest_requests(c), before); /* none of them reached the server */
    /* ordinary dots reach the server as they are */
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        CHECK_INT(cdrest_set_property(c, good[i], "dots", ctx_default, NULL), 0);
        check_stored(c, good[i], ctx_default, "dots");
        CHECK_INT(cdrest_delete_property(c, good[i], ctx_default), 0);
    }
    CHECK_INT(cdrest_call(c, "GET", "/projects/Default?x=..", NULL, NULL, &d), 0); /* a query is no path */
    {
        cdrest_url u;
        cdrest_error e;
        CHECK_INT(cdrest_url_parse(&u, "http://127.0.0.1:8000/cd/../x", &e), CDREST_E_ARG);
        CHECK_INT(cdrest_url_parse(&u, "http://127.0.0.1:8000/./cd", &e), CDREST_E_ARG);
        CHECK_INT(cdrest_url_parse(&u, "http://127.0.0.1:8000/cd/..", &e), CDREST_E_ARG);
        CHECK_INT(cdrest_url_parse(&u, "http://127.0.0.1:8000/cd/..%2fx", &e), CDREST_E_ARG);
        CHECK_INT(cdrest_url_parse(&u, "http://127.0.0.1:8000/c.d/..x", &e), 0);
    }
}

/* Random bytes from a hook: fixed ones (to see them used), or a failure. */
static int fixed_random(void *ctx, void *buf, size_t n) {
    size_t i;
    (void)ctx;
    for (i = 0; i < n; i++) ((unsigned char *)buf)[i] = (unsigned char)(0xa0 + i);
    return 0;
}
static int failing_random(void *ctx, void *buf, size_t n) {
    (void)ctx, (void)buf, (void)n;
    return -1;
}

/* The multipart boundary of the last upload the emulator saw (32 hex digits after
   "boundary=cdrest-"), or "" when there is none. */
static void last_boundary(cdrest_client *c, char out[64]) {
    cdrest_request req;
    cdrest_response r;
    const char *b, *last = NULL;
    out[0] = 0;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/emu/requests?n=5";
    if (cdrest_http(c, &req, &r) != 0) return;
    for (b = r.body; (b = strstr(b, "boundary=")) != NULL; b++) last = b + 9;
    if (last) {
        size_t n = strcspn(last, "\"; \\");
        if (n < 64) memcpy(out, last, n), out[n] = 0;
    }
}

static void test_boundary(int port, const char *file) {
    char b1[64], b2[64];
    const char *files[1];
    cdrest_client c;
    cdrest_config cfg;
    char url[64], version[32];
    size_t i;
    files[0] = file;
    init_client(&c, port);
    snprintf(version, sizeof version, "b%d", ++nth);
    CHECK_INT(cdrest_publish_artifact_version(&c, "alias:source", version, NULL, files, 1, NULL, NULL), 0);
    last_boundary(&c, b1);
    snprintf(version, sizeof version, "b%d", ++nth);
    CHECK_INT(cdrest_publish_artifact_version(&c, "alias:source", version, NULL, files, 1, NULL, NULL), 0);
    last_boundary(&c, b2);
    /* 128 bits: 32 hex digits, different every time */
    CHECK_INT(strlen(b1), 7 + 32);
    CHECK(!strncmp(b1, "cdrest-", 7));
    for (i = 7; b1[i]; i++) CHECK(strchr("0123456789abcdef", b1[i]) != NULL);
    CHECK(strcmp(b1, b2) != 0);
    cdrest_free(&c);
    /* a hook supplies the bytes where the system has no source; its failure fails the upload */
    cfg = admin_config(url, sizeof url, port);
    cfg.random_bytes = fixed_random;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    snprintf(version, sizeof version, "b%d", ++nth);
    CHECK_INT(cdrest_publish_artifact_version(&c, "alias:source", version, NULL, files, 1, NULL, NULL), 0);
    last_boundary(&c, b1);
    CHECK_STR(b1, "cdrest-a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    cdrest_free(&c);
    cfg.random_bytes = failing_random;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    snprintf(version, sizeof version, "b%d", ++nth);
    CHECK_INT(cdrest_publish_artifact_version(&c, "alias:source", version, NULL, files, 1, NULL, NULL), CDREST_E_IO);
    CHECK_CONTAINS(cdrest_errmsg(&c), "random");
    cdrest_free(&c);
}

/* cdrest_http: a body that is a previous response (binary, in the receive buffer) sent on
   through a 307 redirect, which re-sends it after a response arrived; a header value that
   is the error text, which every call clears first. Against tests/httpd.py's /echo. */
static void trace_line(void *ctx, const char *line) {
    (void)ctx, (void)line;
}

static void test_raw_http(void) {
    static const size_t sizes[] = { 1, 100, 16384, 16385, 100000 };
    char url[64], redirect[480];
    cdrest_client c;
    cdrest_config cfg;
    pid_t httpd = 0;
    int port;
    size_t si;
    port = test_start_httpd(NULL, NULL, &httpd);
    CHECK(port > 0);
    if (port <= 0) return;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    cfg = test_config(url, 0);
    cfg.max_redirects = 2;
    cfg.trace = trace_line; /* reads the request after the response */
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    strcpy(redirect, "/redirect?code=307&to=/echo%3Fpad%3D");
    memset(redirect + strlen(redirect), 'p', 400); /* the Location stays under 512 bytes */
    redirect[36 + 400] = 0;
    for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        cdrest_request req;
        cdrest_response r;
        char target[64];
        unsigned char *want = (unsigned char *)malloc(sizes[si]);
        size_t i;
        int failed = test_failed;
        for (i = 0; i < sizes[si]; i++) want[i] = (unsigned char)(i % 251);
        memset(&req, 0, sizeof req);
        snprintf(target, sizeof target, "/bytes?n=%lu", (unsigned long)sizes[si]);
        req.method = "GET";
        req.target = target;
        CHECK_INT(cdrest_http(&c, &req, &r), 0);
        CHECK(r.body_len == sizes[si] && !memcmp(r.body, want, sizes[si]));
        /* POST it back through a 307 (whose long Location makes its head overwrite where
           the body was): the second hop must carry the same bytes */
        req.method = "POST";
        req.target = redirect;
        req.body = r.body;
        req.body_len = r.body_len;
        CHECK_INT(cdrest_http(&c, &req, &r), 0);
        CHECK_INT(r.status, 200);
        CHECK_CONTAINS(r.body, "POST /echo?pad=ppp");
        CHECK(r.body_len > sizes[si] && !memcmp(r.body + r.body_len - sizes[si], want, sizes[si]));
        if (test_failed != failed) fprintf(stderr, "  ^ cdrest_http body of %lu bytes\n", (unsigned long)sizes[si]);
        free(want);
    }
    {
        cdrest_request req;
        cdrest_response r;
        cdrest_header h[1];
        char want[CDREST_ERRMSG_SIZE + 16];
        memset(&req, 0, sizeof req);
        req.method = "GET";
        req.target = "no-slash";
        CHECK(cdrest_http(&c, &req, &r) != 0); /* any failure: its text is the next input */
        CHECK(cdrest_errmsg(&c)[0] != 0);
        snprintf(want, sizeof want, "X-Prev: %s", cdrest_errmsg(&c));
        h[0].name = "X-Prev";
        h[0].value = cdrest_errmsg(&c);
        req.target = "/echo";
        req.headers = h;
        req.nheaders = 1;
        CHECK_INT(cdrest_http(&c, &req, &r), 0);
        CHECK_CONTAINS(r.body, want);
    }
    cdrest_free(&c);
    test_stop_server(httpd);
}

int main(void) {
    cdrest_client c;
    pid_t emu = 0;
    int port = test_start_emu(NULL, &emu);
    char cmd[300];
    CHECK(port > 0);
    CHECK(mkdtemp(tmpdir) != NULL);
    if (port > 0) {
        init_client(&c, port);
        CHECK_INT(cdrest_create_artifact(&c, "alias", "source", NULL, NULL), 0);
        test_values(&c);
        test_names(&c);
        test_struct_results(&c);
        test_extras(&c);
        test_dot_segments(&c);
        cdrest_free(&c);
        {
            char path[300];
            FILE *f;
            snprintf(path, sizeof path, "%s/boundary.txt", tmpdir);
            f = fopen(path, "wb");
            fputs("--cdrest-0000\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n", f);
            fclose(f);
            test_boundary(port, path);
        }
        test_raw_http();
        test_fixed_buffers(port);
    }
    test_stop_server(emu);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    CHECK_INT(system(cmd), 0);
    return test_summary();
}
