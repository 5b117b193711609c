/* The CD calls against a scripted server (a thread here) that answers what each test
   says and logs what it receives: answers of the wrong JSON type where a call promises
   text or an object, answers larger than the token budget or a caller's token array,
   slow answers against the deadlines of a CD call and of a job wait, fixed buffers, and
   calls on a client that is not set up. */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

/* --- the scripted server ------------------------------------------------------------- */

typedef struct reply {
    int status;
    const char *body; /* NUL-terminated, or body_len set */
    size_t body_len;
    int delay_ms; /* wait before answering (cut short when the client hangs up) */
} reply;

/* The test's script: the answer to one request. */
typedef void (*script_fn)(const char *method, const char *target, const char *body, reply *r);

static script_fn script;
static int listen_fd = -1, stop_server;
static pthread_t server_tid;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char request_log[1 << 16]; /* "METHOD target\n" per request, and every Cookie line */
static size_t log_len;
static int requests; /* requests answered since the last reset */
static char url[64];

static void log_add(const char *s, size_t n) {
    pthread_mutex_lock(&log_lock);
    if (log_len + n < sizeof request_log) {
        memcpy(request_log + log_len, s, n);
        log_len += n;
        request_log[log_len] = 0;
    }
    pthread_mutex_unlock(&log_lock);
}

static void log_reset(void) {
    pthread_mutex_lock(&log_lock);
    log_len = 0;
    request_log[0] = 0;
    requests = 0;
    pthread_mutex_unlock(&log_lock);
}

static int send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Where s[0..n) holds the C string w, or NULL. */
static char *find_in(char *s, size_t n, const char *w) {
    size_t k = strlen(w), i;
    for (i = 0; i + k <= n; i++)
        if (!memcmp(s + i, w, k)) return s + i;
    return NULL;
}

/* Serve one connection: requests with Content-Length bodies, answered per the script. */
static void serve(int fd) {
    static char buf[1 << 20];
    size_t have = 0;
    for (;;) {
        char *end, head[256], method[16], target[2048];
        size_t head_len, body_len = 0, blen;
        const char *cl, *line;
        reply r;
        while (!(end = find_in(buf, have, "\r\n\r\n"))) {
            ssize_t k;
            if (have == sizeof buf - 1) return;
            k = recv(fd, buf + have, sizeof buf - 1 - have, 0);
            if (k <= 0) return;
            have += (size_t)k;
        }
        head_len = (size_t)(end - buf) + 4;
        buf[head_len - 2] = 0;
        cl = strstr(buf, "\r\nContent-Length:"); /* as cdrest writes it */
        if (cl) body_len = (size_t)strtoul(cl + 17, NULL, 10);
        while (have < head_len + body_len) {
            ssize_t k = recv(fd, buf + have, sizeof buf - 1 - have, 0);
            if (k <= 0) return;
            have += (size_t)k;
        }
        if (sscanf(buf, "%15s %2047s", method, target) != 2) return;
        snprintf(head, sizeof head, "%s %.200s\n", method, target);
        log_add(head, strlen(head));
        for (line = strstr(buf, "\r\nCookie:"); line; line = strstr(line + 2, "\r\nCookie:")) {
            const char *e = strstr(line + 2, "\r\n");
            size_t n = e ? (size_t)(e - line - 2) : strlen(line + 2);
            log_add(line + 2, n);
            log_add("\n", 1);
        }
        {
            char body[4096];
            size_t n = body_len < sizeof body - 1 ? body_len : sizeof body - 1;
            memcpy(body, buf + head_len, n);
            body[n] = 0;
            memset(&r, 0, sizeof r);
            r.status = 200;
            r.body = "{}";
            script(method, target, body, &r);
        }
        if (r.delay_ms > 0) { /* wait, but stop when the client hangs up */
            struct pollfd p;
            p.fd = fd;
            p.events = POLLIN;
            if (poll(&p, 1, r.delay_ms) > 0) {
                char b;
                if (recv(fd, &b, 1, MSG_PEEK) <= 0) return;
            }
        }
        blen = r.body_len ? r.body_len : strlen(r.body);
        snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %lu\r\n\r\n",
                 r.status, (unsigned long)blen);
        if (send_all(fd, head, strlen(head)) != 0 || send_all(fd, r.body, blen) != 0) return;
        pthread_mutex_lock(&log_lock);
        requests++;
        pthread_mutex_unlock(&log_lock);
        memmove(buf, buf + head_len + body_len, have - head_len - body_len);
        have -= head_len + body_len;
    }
}

static void *server_main(void *arg) {
    (void)arg;
    while (!stop_server) {
        struct pollfd p;
        int fd;
        p.fd = listen_fd;
        p.events = POLLIN;
        if (poll(&p, 1, 100) <= 0) continue;
        fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) continue;
        serve(fd);
        close(fd);
    }
    return NULL;
}

static int start_server(void) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int one = 1;
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(listen_fd, 8) != 0 ||
        getsockname(listen_fd, (struct sockaddr *)&a, &len) != 0)
        return 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    return pthread_create(&server_tid, NULL, server_main, NULL) == 0;
}

static void stop_the_server(void) {
    stop_server = 1;
    pthread_join(server_tid, NULL);
    close(listen_fd);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int raw_mode; /* clients made with config.raw_docs */

static void client_config(cdrest_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->raw_docs = raw_mode;
    cfg->server = url;
    cfg->user = "admin";
    cfg->password = "changeme";
    cfg->no_proxy = 1;
    cfg->timeout_ms = 5000;
}

/* --- 8: the JSON type of every field a call promises ----------------------------------- */

/* The answer under test, with WRONG standing for the value of the field checked. */
static const char *typed_answer;
static const char *wrong_value;
static char typed_buf[4096];

static const char *with_wrong(const char *tmpl) {
    const char *at = strstr(tmpl, "WRONG");
    if (!at) return tmpl;
    snprintf(typed_buf, sizeof typed_buf, "%.*s%s%s", (int)(at - tmpl), tmpl, wrong_value, at + 5);
    return typed_buf;
}

/* Sessions, sheets and jobs answer well; the call under test gets typed_answer. */
static void typed_script(const char *method, const char *target, const char *body, reply *r) {
    (void)body;
    if (!strcmp(method, "POST") && !strcmp(target, "/rest/v1.0/sessions")) {
        r->body = strstr(typed_answer, "sessionId") ? with_wrong(typed_answer) : "{\"sessionId\":\"s-1\"}";
    } else if (!strncmp(target, "/rest/v1.0/properties/sheet", 27) && strstr(typed_answer, "\"propertySheet\"")) {
        r->body = "{\"property\":{\"propertyName\":\"sheet\",\"propertySheetId\":\"77\"}}";
    } else if (!strcmp(method, "DELETE")) {
        r->body = "";
    } else {
        r->body = with_wrong(typed_answer);
    }
}

enum {
    CALL_LOGIN,
    CALL_VALUE,
    CALL_SET,
    CALL_CREATE,
    CALL_SHEET_ID,
    CALL_SHEET,
    CALL_RUN,
    CALL_STATUS,
    CALL_ARTIFACT,
    CALL_VERSION,
    CALL_JOB
};

static int typed_call(cdrest_client *c, int call, char *out_text, size_t cap) {
    cdrest_param ctx[] = { { "projectName", "P" }, { NULL, NULL } };
    cdrest_doc d;
    cdrest_job_status st;
    const char *v = NULL;
    size_t n;
    int rc;
    out_text[0] = 0;
    switch (call) {
        case CALL_LOGIN:
            rc = cdrest_login(c);
            snprintf(out_text, cap, "%s", cdrest_session_id(c));
            return rc;
        case CALL_VALUE:
            rc = cdrest_get_property_value(c, "x", ctx, &v, &n);
            if (rc == 0) snprintf(out_text, cap, "%s", v);
            return rc;
        case CALL_SET: return cdrest_set_property(c, "x", "1", ctx, &d);
        case CALL_CREATE: return cdrest_create_property(c, "x", "1", ctx, &d);
        case CALL_SHEET_ID: /* the sheet's id, read from its property */
        case CALL_SHEET: {
            int it = 0, count = 0;
            cdrest_sheet_entry e;
            rc = cdrest_get_properties(c, call == CALL_SHEET ? "sheet" : "x", ctx, &d);
            while (rc == 0 && cdrest_sheet_next(&d, &it, &e)) count++;
            if (rc == 0) snprintf(out_text, cap, "%d entries", count);
            return rc;
        }
        case CALL_RUN: rc = cdrest_run_procedure(c, "P", "Q", NULL, out_text, cap); return rc;
        case CALL_STATUS:
            rc = cdrest_get_job_status(c, "5", &st);
            if (rc == 0) snprintf(out_text, cap, "%s/%s/%s", st.job_id, st.status, st.outcome);
            return rc;
        case CALL_ARTIFACT: return cdrest_create_artifact(c, "g", "k", NULL, &d);
        case CALL_VERSION: return cdrest_create_artifact_version(c, "g:k", "1", NULL, &d);
        case CALL_JOB: return cdrest_get_job_details(c, "5", &d);
    }
    return -100;
}

enum { K_TEXT, K_ID, K_OBJECT, K_LIST };

/* The class: every field a typed call promises, given every other JSON type, fails the
   call (never "null", an object's raw text, or an empty success). */
static void test_typed_fields(void) {
    static const struct {
        int call;
        const char *answer;
        int kind;        /* what the field must be: */
        int tokens_only; /* checked where the answer is tokenized (config.raw_docs keeps it as text) */
    } cases[] = {
        { CALL_LOGIN, "{\"sessionId\":WRONG,\"userName\":\"admin\"}", K_TEXT, 0 },
        { CALL_VALUE, "{\"property\":{\"propertyName\":\"x\",\"value\":WRONG}}", K_TEXT, 0 },
        { CALL_VALUE, "{\"property\":WRONG}", K_OBJECT, 0 },
        { CALL_SET, "{\"property\":WRONG}", K_OBJECT, 0 },
        { CALL_CREATE, "{\"property\":WRONG}", K_OBJECT, 0 },
        { CALL_SHEET_ID, "{\"property\":{\"propertyName\":\"x\",\"propertySheetId\":WRONG}}", K_ID, 0 },
        { CALL_SHEET, "{\"propertySheet\":{\"propertySheetId\":\"77\",\"property\":WRONG}}", K_LIST, 0 },
        { CALL_SHEET, "{\"propertySheet\":WRONG}", K_OBJECT, 0 },
        /* each entry of a listing: its name, its value and a nested sheet's id */
        { CALL_SHEET,
          "{\"propertySheet\":{\"property\":[{\"propertyName\":\"a\"},{\"propertyName\":WRONG,\"value\":\"x\"}]}}",
          K_TEXT, 1 },
        { CALL_SHEET, "{\"propertySheet\":{\"property\":{\"propertyName\":\"a\",\"value\":WRONG}}}", K_TEXT, 1 },
        { CALL_SHEET, "{\"propertySheet\":{\"property\":[{\"propertyName\":\"a\",\"propertySheetId\":WRONG}]}}", K_ID,
          1 },
        { CALL_RUN, "{\"jobId\":WRONG}", K_ID, 0 },
        { CALL_RUN, "{\"job\":{\"jobId\":WRONG}}", K_ID, 0 },
        { CALL_STATUS, "{\"jobId\":\"5\",\"status\":WRONG,\"outcome\":\"\"}", K_TEXT, 0 },
        { CALL_STATUS, "{\"jobId\":\"5\",\"status\":\"running\",\"outcome\":WRONG}", K_TEXT, 0 },
        { CALL_STATUS, "{\"jobId\":WRONG,\"status\":\"running\"}", K_ID, 0 },
        { CALL_ARTIFACT, "{\"artifact\":WRONG}", K_OBJECT, 0 },
        { CALL_VERSION, "{\"artifactVersion\":WRONG}", K_OBJECT, 0 },
        { CALL_JOB, "{\"job\":WRONG}", K_OBJECT, 0 },
    };
    static const char *const wrong[] = { "null", "42", "true", "{\"a\":\"b\"}", "[]", "[\"s\"]" };
    cdrest_client c;
    cdrest_config cfg;
    size_t i, k;
    char text[128];
    script = typed_script;
    /* with tokens, and with answers kept as text (config.raw_docs: read without tokens) */
    for (raw_mode = 0; raw_mode < 2; raw_mode++)
        for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            for (k = 0; k < sizeof wrong / sizeof wrong[0]; k++) {
                int rc, kind = cases[i].kind;
                /* skip the types that are right: a number for an id, an object where an object
               is promised, an array or (one) object for a sheet's list */
                if (raw_mode && cases[i].tokens_only) continue;
                if ((kind == K_ID && wrong[k][0] == '4') || (kind == K_OBJECT && wrong[k][0] == '{') ||
                    (kind == K_LIST && (wrong[k][0] == '{' || wrong[k][0] == '[')))
                    continue;
                typed_answer = cases[i].answer;
                wrong_value = wrong[k];
                client_config(&cfg);
                CHECK_INT(cdrest_init(&c, &cfg), 0);
                rc = typed_call(&c, cases[i].call, text, sizeof text);
                if (!test_check(rc != 0, __FILE__, __LINE__, "a field of the wrong JSON type fails the call"))
                    fprintf(stderr, "  answer %s with %s: rc 0, gave \"%s\"\n", cases[i].answer, wrong[k], text);
                else if (!test_check(rc == CDREST_E_PROTOCOL, __FILE__, __LINE__, "... as a protocol error"))
                    fprintf(stderr, "  answer %s with %s: rc %d \"%s\"\n", cases[i].answer, wrong[k], rc,
                            cdrest_errmsg(&c));
                cdrest_free(&c);
            }
        }
    raw_mode = 0;
    /* ids as numbers are fine; right answers give their text */
    for (raw_mode = 0; raw_mode < 2; raw_mode++) {
        static const struct {
            int call;
            const char *answer;
            const char *want;
        } good[] = {
            { CALL_RUN, "{\"jobId\":4711}", "4711" },
            { CALL_RUN, "{\"job\":{\"jobId\":\"j-1\"}}", "j-1" },
            { CALL_STATUS, "{\"jobId\":5,\"status\":\"running\"}", "5/running/" },
            { CALL_VALUE, "{\"property\":{\"propertyName\":\"x\"}}", "" },
            { CALL_VALUE, "{\"property\":{\"value\":\"a\\\"b\\u00e9\"}}", "a\"b\xc3\xa9" },
            { CALL_SHEET, "{\"propertySheet\":{\"propertySheetId\":\"77\"}}", "0 entries" },
            { CALL_SHEET, "{\"propertySheet\":{\"property\":{\"propertyName\":\"one\"}}}", "1 entries" },
            { CALL_LOGIN, "{\"sessionId\":\"abc\"}", "abc" },
        };
        for (i = 0; i < sizeof good / sizeof good[0]; i++) {
            typed_answer = good[i].answer;
            client_config(&cfg);
            CHECK_INT(cdrest_init(&c, &cfg), 0);
            if (!CHECK_INT(typed_call(&c, good[i].call, text, sizeof text), 0))
                fprintf(stderr, "  %s\n", cdrest_errmsg(&c));
            if (raw_mode && good[i].call == CALL_SHEET) strcpy(text, good[i].want); /* no tokens to walk */
            CHECK_STR(text, good[i].want);
            cdrest_free(&c);
        }
    }
    raw_mode = 0;
    /* after {"sessionId": null} no request carries "sessionId=null" */
    typed_answer = "{\"sessionId\":WRONG}";
    wrong_value = "null";
    client_config(&cfg);
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    log_reset();
    CHECK_INT(cdrest_login(&c), CDREST_E_PROTOCOL);
    CHECK_CONTAINS(cdrest_errmsg(&c), "sessionId is null");
    CHECK_STR(cdrest_session_id(&c), "");
    CHECK(cdrest_get_property(&c, "x", NULL, NULL) != 0);
    CHECK(strstr(request_log, "sessionId=null") == NULL);
    CHECK(strstr(request_log, "GET /rest/v1.0/properties") == NULL); /* no session: nothing sent */
    cdrest_free(&c);
}

/* --- 19: a write the server confirmed succeeds whatever the token array ---------------- */

static char big_answer[8192];

static void write_script(const char *method, const char *target, const char *body, reply *r) {
    (void)body;
    if (!strcmp(target, "/rest/v1.0/sessions"))
        r->body = "{\"sessionId\":\"s-1\"}";
    else if (!strcmp(method, "GET"))
        r->body = big_answer; /* a read needs its tokens */
    else
        r->body = big_answer;
}

/* {"lead0":"..",...,"property":{...},"jobId":"77"}: the promised fields after many others */
static void make_big_answer(const char *promised) {
    size_t n = 0;
    int i;
    n += (size_t)snprintf(big_answer + n, sizeof big_answer - n, "{");
    for (i = 0; i < 40; i++)
        n += (size_t)snprintf(big_answer + n, sizeof big_answer - n, "\"lead%d\":{\"x\":[%d,\"y\\\"\"]},", i, i);
    snprintf(big_answer + n, sizeof big_answer - n, "%s}", promised);
}

static void test_writes_with_few_tokens(void) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_json_tok toks[16];
    cdrest_doc d;
    cdrest_param ctx[] = { { "projectName", "P" }, { NULL, NULL } };
    char job[32];
    script = write_script;
    client_config(&cfg);
    cfg.tokens = toks;
    cfg.max_tokens = 16;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    make_big_answer(
        "\"property\":{\"propertyName\":\"x\",\"value\":\"1\",\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6}");
    CHECK_INT(cdrest_set_property(&c, "x", "1", ctx, &d), 0);
    CHECK(d.len == strlen(big_answer) && d.ntoks == 0); /* the text, without tokens */
    CHECK_INT(cdrest_create_property(&c, "x", "1", ctx, &d), 0);
    CHECK_INT(cdrest_set_property(&c, "x", "1", ctx, NULL), 0);
    CHECK_INT(cdrest_delete_property(&c, "x", ctx), 0);
    make_big_answer("\"artifact\":{\"artifactName\":\"g:k\"}");
    CHECK_INT(cdrest_create_artifact(&c, "g", "k", NULL, &d), 0);
    CHECK_INT(cdrest_delete_artifact(&c, "g:k"), 0);
    CHECK_INT(cdrest_call(&c, "POST", "/projects", NULL, "{\"projectName\":\"P\"}", &d), 0);
    CHECK(d.ntoks == 0 && d.len == strlen(big_answer));
    make_big_answer("\"artifactVersion\":{\"version\":\"1\"}");
    CHECK_INT(cdrest_create_artifact_version(&c, "g:k", "1", NULL, &d), 0);
    CHECK_INT(cdrest_delete_artifact_version(&c, "g:k:1"), 0);
    make_big_answer("\"jobId\":\"77\"");
    CHECK_INT(cdrest_run_procedure(&c, "P", "Q", NULL, job, sizeof job), 0);
    CHECK_STR(job, "77");
    make_big_answer("\"job\":{\"jobId\":\"78\",\"status\":\"runnable\"}");
    CHECK_INT(cdrest_run_procedure(&c, "P", "Q", NULL, job, sizeof job), 0);
    CHECK_STR(job, "78");
    /* a write's answer is still checked: the promised object, valid JSON */
    make_big_answer("\"property\":null");
    CHECK_INT(cdrest_set_property(&c, "x", "1", ctx, &d), CDREST_E_PROTOCOL);
    make_big_answer("\"other\":{}");
    CHECK_INT(cdrest_set_property(&c, "x", "1", ctx, &d), CDREST_E_PROTOCOL);
    make_big_answer("\"jobId\":null");
    CHECK_INT(cdrest_run_procedure(&c, "P", "Q", NULL, job, sizeof job), CDREST_E_PROTOCOL);
    strcpy(big_answer + strlen(big_answer) - 1, ",}"); /* trailing comma: invalid JSON */
    CHECK_INT(cdrest_set_property(&c, "x", "1", ctx, &d), CDREST_E_JSON);
    /* a read needs the tokens it returns: still TOOLARGE, with the reason */
    make_big_answer("\"property\":{\"propertyName\":\"x\",\"value\":\"1\"}");
    CHECK_INT(cdrest_get_property(&c, "x", ctx, &d), CDREST_E_TOOLARGE);
    CHECK_CONTAINS(cdrest_errmsg(&c), "JSON tokens");
    cdrest_free(&c);
}

/* --- 10: an answer of more than 1,048,576 tokens --------------------------------------- */

static char *sheet_body;
static size_t sheet_len;

static void sheet_script(const char *method, const char *target, const char *body, reply *r) {
    (void)method;
    (void)body;
    if (!strcmp(target, "/rest/v1.0/sessions")) {
        r->body = "{\"sessionId\":\"s-1\"}";
    } else if (!strncmp(target, "/rest/v1.0/propertySheets/", 26)) {
        r->body = sheet_body;
        r->body_len = sheet_len;
    } else {
        r->body = "{\"property\":{\"propertyName\":\"big\",\"propertySheetId\":\"9\"}}";
    }
}

static void test_large_sheet(int nprops) {
    size_t cap = (size_t)nprops * 300 + 100, n = 0;
    cdrest_client c;
    cdrest_config cfg;
    cdrest_doc d;
    cdrest_sheet_entry e;
    int i, it = 0, count = 0, ok = 1;
    sheet_body = (char *)malloc(cap);
    n += (size_t)snprintf(sheet_body, cap, "{\"propertySheet\":{\"propertySheetId\":\"9\",\"property\":[");
    for (i = 0; i < nprops; i++)
        n += (size_t)snprintf(
            sheet_body + n, cap - n,
            "%s{\"propertyId\":\"%d\",\"propertyName\":\"p%06d\",\"value\":\"v%d\",\"description\":\"\","
            "\"expandable\":\"1\",\"createTime\":\"2026-11-27T16:34:26.271Z\",\"modifyTime\":"
            "\"2026-11-27T16:34:26.271Z\",\"lastModifiedBy\":\"admin\",\"owner\":\"admin\",\"counter\":\"0\"}",
            i ? "," : "", 100000 + i, i, i);
    n += (size_t)snprintf(sheet_body + n, cap - n, "]}}");
    sheet_len = n;
    script = sheet_script;
    client_config(&cfg);
    cfg.timeout_ms = 60000;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    if (!CHECK_INT(cdrest_get_properties(&c, "big", NULL, &d), 0)) fprintf(stderr, "  %s\n", cdrest_errmsg(&c));
    CHECK(d.ntoks > 1048576);
    while (cdrest_sheet_next(&d, &it, &e)) {
        char name[16];
        if (cdrest_json_string(d.json, d.toks, e.name, name, sizeof name, NULL) != 0 || atoi(name + 1) != count) ok = 0;
        count++;
    }
    CHECK_INT(count, nprops);
    CHECK(ok);
    /* the tokens cost what the answer needs, not a doubling past it */
    CHECK((size_t)c.toks_cap * sizeof(cdrest_json_tok) <= 2 * sheet_len);
    printf("a sheet of %d properties, %lu bytes: %d tokens, a token array of %lu bytes\n", nprops,
           (unsigned long)sheet_len, d.ntoks, (unsigned long)c.toks_cap * sizeof(cdrest_json_tok));
    cdrest_free(&c);
    /* as text only (to print it whole, as --json does): no tokens needed, even with 16 */
    {
        cdrest_json_tok toks[16];
        raw_mode = 1;
        client_config(&cfg);
        raw_mode = 0;
        cfg.tokens = toks;
        cfg.max_tokens = 16;
        cfg.timeout_ms = 60000;
        CHECK_INT(cdrest_init(&c, &cfg), 0);
        if (!CHECK_INT(cdrest_get_properties(&c, "big", NULL, &d), 0)) fprintf(stderr, "  %s\n", cdrest_errmsg(&c));
        CHECK(d.len == sheet_len && d.ntoks == 0 && d.json && !memcmp(d.json, sheet_body, sheet_len));
        sheet_body[sheet_len - 2] = ','; /* still validated: "...]},}" */
        CHECK_INT(cdrest_get_properties(&c, "big", NULL, &d), CDREST_E_JSON);
        cdrest_free(&c);
    }
    free(sheet_body);
}

/* --- 13: one deadline through a whole CD call, and a whole job wait --------------------- */

static int slow_step; /* which request is slow */

static void relogin_script(const char *method, const char *target, const char *body, reply *r) {
    static int logins;
    (void)method;
    (void)body;
    if (!strcmp(target, "/rest/v1.0/sessions")) {
        logins++;
        r->body = logins % 2 ? "{\"sessionId\":\"s-1\"}" : "{\"sessionId\":\"s-2\"}";
        r->delay_ms = 400;
    } else if (strstr(target, "/properties/")) {
        /* the first read finds the session expired (401), after a while */
        r->status = requests % 3 == 1 ? 401 : 200;
        r->body = r->status == 401 ? "{\"error\":{\"code\":\"SessionExpired\",\"message\":\"expired\"}}"
                                   : "{\"property\":{\"propertyName\":\"x\",\"value\":\"v\"}}";
        r->delay_ms = 400;
    }
}

static int64_t job_done_at; /* when the job completes (0: never) */

static void job_script(const char *method, const char *target, const char *body, reply *r) {
    (void)method;
    (void)body;
    if (!strcmp(target, "/rest/v1.0/sessions")) {
        r->body = "{\"sessionId\":\"s-1\"}";
    } else if (strstr(target, "getJobStatus")) {
        r->body = "{\"jobId\":\"5\",\"status\":\"running\",\"outcome\":\"\"}";
        if (job_done_at && now_ms() >= job_done_at)
            r->body = "{\"jobId\":\"5\",\"status\":\"completed\",\"outcome\":\"success\"}";
        if (requests == slow_step) r->delay_ms = 8000; /* one poll that hangs */
    }
}

static void test_deadlines(void) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_job_status st;
    const char *v;
    size_t n;
    int64_t t0, took;
    int rc;
    /* login (400 ms), read (400 ms, 401), login again (400 ms), read again (400 ms):
       1.6 s of exchanges, each well within timeout_ms = 1000, but not all of them */
    script = relogin_script;
    log_reset();
    client_config(&cfg);
    cfg.timeout_ms = 1000;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    t0 = now_ms();
    rc = cdrest_get_property_value(&c, "x", NULL, &v, &n);
    took = now_ms() - t0;
    CHECK_INT(rc, CDREST_E_TIMEOUT);
    if (!CHECK(took >= 900 && took < 1400)) fprintf(stderr, "  the call took %ld ms (timeout_ms 1000)\n", (long)took);
    printf("a CD call with timeout_ms 1000 and a re-login: rc %d after %ld ms\n", rc, (long)took);
    /* the next call gets its own whole timeout again (the deadline is per call) */
    cfg.timeout_ms = 3000;
    cdrest_free(&c);
    log_reset();
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_get_property_value(&c, "x", NULL, &v, &n), 0);
    CHECK_STR(v, "v");
    cdrest_free(&c);

    /* a job wait of 1000 ms whose second poll hangs: over after 1000 ms, not 8 s */
    script = job_script;
    log_reset();
    slow_step = 2; /* the login is request 0, the first poll 1 */
    client_config(&cfg);
    cfg.timeout_ms = 20000;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    t0 = now_ms();
    rc = cdrest_wait_for_job(&c, "5", 100, 1000, NULL, NULL, &st);
    took = now_ms() - t0;
    CHECK_INT(rc, CDREST_E_DEADLINE);
    CHECK_STR(st.status, "running");
    if (!CHECK(took >= 900 && took < 1500)) fprintf(stderr, "  the wait took %ld ms (deadline 1000)\n", (long)took);
    printf("waitForJob with a 1000 ms deadline and a hanging poll: rc %d after %ld ms\n", rc, (long)took);
    /* a job done before the deadline, polled every 5 s: the last poll comes before the
       deadline, in time to see it done, and the wait ends within its deadline */
    cdrest_free(&c);
    log_reset();
    slow_step = -1;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_login(&c), 0);
    t0 = now_ms();
    job_done_at = t0 + 600;
    rc = cdrest_wait_for_job(&c, "5", 5000, 1000, NULL, NULL, &st);
    took = now_ms() - t0;
    job_done_at = 0;
    CHECK_INT(rc, 0);
    CHECK_STR(st.outcome, "success");
    if (!CHECK(took < 1000)) fprintf(stderr, "  the wait took %ld ms (deadline 1000)\n", (long)took);
    /* without a deadline of its own the wait's polls are bounded by timeout_ms each */
    cdrest_free(&c);
    cfg.timeout_ms = 700;
    log_reset();
    slow_step = 2;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    t0 = now_ms();
    CHECK_INT(cdrest_wait_for_job(&c, "5", 100, 0, NULL, NULL, &st), CDREST_E_TIMEOUT);
    took = now_ms() - t0;
    CHECK(took < 2000);
    cdrest_free(&c);
}

/* --- 20: fixed buffers: a value read where the answer is ------------------------------- */

static char value_answer[16384];
static char value_want[12000];

static void value_script(const char *method, const char *target, const char *body, reply *r) {
    (void)method;
    (void)body;
    if (!strcmp(target, "/rest/v1.0/sessions"))
        r->body = "{\"sessionId\":\"s-1\"}";
    else
        r->body = value_answer;
}

static void test_fixed_buffers(void) {
    static char recv_buf[70000], send_buf[8192];
    cdrest_json_tok toks[64];
    cdrest_client c;
    cdrest_config cfg;
    const char *v = NULL;
    size_t n = 0, i, o, w = 0;
    /* a 10 KiB value with escapes: longer as JSON than decoded */
    o = (size_t)snprintf(value_answer, sizeof value_answer, "{\"property\":{\"propertyName\":\"x\",\"value\":\"");
    for (i = 0; i < 10240; i++) {
        static const char *const pieces[4] = { "a", "\\n", "\\u00e9", "\\\"" };
        static const char *const decoded[4] = { "a", "\n", "\xc3\xa9", "\"" };
        int k = (int)(i % 7 == 0 ? 1 + i % 3 : 0);
        o += (size_t)snprintf(value_answer + o, sizeof value_answer - o, "%s", pieces[k]);
        w += (size_t)snprintf(value_want + w, sizeof value_want - w, "%s", decoded[k]);
    }
    snprintf(value_answer + o, sizeof value_answer - o, "\",\"description\":\"after\"}}");
    script = value_script;
    client_config(&cfg);
    cfg.buffer = recv_buf;
    cfg.buffer_size = sizeof recv_buf;
    cfg.send_buffer = send_buf;
    cfg.send_buffer_size = sizeof send_buf;
    cfg.tokens = toks;
    cfg.max_tokens = 64;
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    if (!CHECK_INT(cdrest_get_property_value(&c, "x", NULL, &v, &n), 0)) fprintf(stderr, "  %s\n", cdrest_errmsg(&c));
    CHECK_INT(n, strlen(value_want));
    CHECK(v && memcmp(v, value_want, n) == 0 && v[n] == 0);
    CHECK(v >= recv_buf && v < recv_buf + sizeof recv_buf); /* decoded where the answer is */
    /* again on the same client: the buffers stay usable */
    CHECK_INT(cdrest_get_property_value(&c, "x", NULL, &v, &n), 0);
    CHECK(n == strlen(value_want) && memcmp(v, value_want, n) == 0);
    cdrest_free(&c);
}

/* --- 14: calls on a client that is not set up ----------------------------------------------- */

/* Every public call that takes a client: CDREST_E_ARG (or a documented no-op), no crash. */
static int misuse_all(cdrest_client *c) {
    cdrest_doc d;
    cdrest_response resp;
    cdrest_request req;
    cdrest_job_status st;
    const char *v;
    size_t n;
    char job[16];
    const char *files[2] = { "tests/test.h", NULL };
    int bad = 0;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/";
#define MISUSE(call)                                                        \
    do {                                                                    \
        int rc_ = (call);                                                   \
        if (rc_ != CDREST_E_ARG) {                                          \
            bad++;                                                          \
            fprintf(stderr, "  %s: rc %d, not CDREST_E_ARG\n", #call, rc_); \
        }                                                                   \
    } while (0)
    MISUSE(cdrest_http(c, &req, &resp));
    MISUSE(cdrest_login(c));
    MISUSE(cdrest_call(c, "GET", "/projects", NULL, NULL, &d));
    MISUSE(cdrest_call(c, "POST", "/projects", NULL, "{}", &d));
    MISUSE(cdrest_get_property(c, "x", NULL, &d));
    MISUSE(cdrest_get_property_value(c, "x", NULL, &v, &n));
    MISUSE(cdrest_set_property(c, "x", "1", NULL, &d));
    MISUSE(cdrest_create_property(c, "x", "1", NULL, &d));
    MISUSE(cdrest_delete_property(c, "x", NULL));
    MISUSE(cdrest_get_properties(c, "x", NULL, &d));
    MISUSE(cdrest_create_artifact(c, "g", "k", NULL, &d));
    MISUSE(cdrest_get_artifact(c, "g:k", &d));
    MISUSE(cdrest_get_artifacts(c, NULL, &d));
    MISUSE(cdrest_delete_artifact(c, "g:k"));
    MISUSE(cdrest_create_artifact_version(c, "g:k", "1", NULL, &d));
    MISUSE(cdrest_get_artifact_version(c, "g:k:1", &d));
    MISUSE(cdrest_get_artifact_versions(c, "g:k", &d));
    MISUSE(cdrest_delete_artifact_version(c, "g:k:1"));
    MISUSE(cdrest_publish_artifact_version(c, "g:k", "1", NULL, files, 1, NULL, NULL));
    MISUSE(cdrest_run_procedure(c, "P", "Q", NULL, job, sizeof job));
    MISUSE(cdrest_get_job_status(c, "5", &st));
    MISUSE(cdrest_get_job_details(c, "5", &d));
    MISUSE(cdrest_wait_for_job(c, "5", 100, 1000, NULL, NULL, &st));
#undef MISUSE
    {
        int rc = cdrest_logout(c); /* nothing to end, or refused: never sent */
        if (rc != 0 && rc != CDREST_E_ARG) bad++;
    }
    cdrest_disconnect(c);
    if (cdrest_errmsg(c) == NULL) bad++;
    return bad;
}

static void test_misuse(void) {
    cdrest_client c;
    cdrest_config cfg;
    const char *files[3] = { "tests/test.h", NULL, "tests/test.h" };
    script = typed_script;
    typed_answer = "{\"sessionId\":\"s-1\"}";
    /* after a failed cdrest_init (with a session given: nothing may be sent with it) */
    client_config(&cfg);
    cfg.session_id = "secret-session";
    cfg.server = "http://127.0.0.1:1/ bad";
    CHECK(cdrest_init(&c, &cfg) != 0);
    log_reset();
    CHECK_INT(misuse_all(&c), 0);
    cdrest_free(&c);
    cdrest_free(&c);
    client_config(&cfg);
    cfg.session_id = "secret-session";
    cfg.proxy = "socks5://nowhere"; /* refused after the credentials were taken */
    cfg.no_proxy = 0;
    CHECK(cdrest_init(&c, &cfg) != 0);
    CHECK_INT(misuse_all(&c), 0);
    CHECK_INT(requests, 0);
    /* after cdrest_free, twice */
    client_config(&cfg);
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_login(&c), 0);
    cdrest_free(&c);
    log_reset();
    CHECK_INT(misuse_all(&c), 0);
    cdrest_free(&c);
    CHECK_INT(misuse_all(&c), 0);
    CHECK_INT(requests, 0);
    /* NULL inside an argument array */
    client_config(&cfg);
    CHECK_INT(cdrest_init(&c, &cfg), 0);
    CHECK_INT(cdrest_publish_artifact_version(&c, "g:k", "1", NULL, files, 3, NULL, NULL), CDREST_E_ARG);
    CHECK_CONTAINS(cdrest_errmsg(&c), "files[1]");
    CHECK_INT(cdrest_doc_string(NULL, "x", NULL, 0), CDREST_E_ARG);
    {
        cdrest_header h[1] = { { NULL, "v" } };
        cdrest_request req;
        cdrest_response resp;
        cdrest_param ctx[] = { { "projectName", NULL }, { NULL, NULL } };
        cdrest_param actual[] = { { "a", NULL }, { NULL, NULL } };
        char job[16];
        memset(&req, 0, sizeof req);
        req.method = "GET";
        req.target = "/";
        req.headers = h;
        req.nheaders = 1;
        CHECK_INT(cdrest_http(&c, &req, &resp), CDREST_E_ARG); /* a header without a name */
        req.headers = NULL;
        CHECK_INT(cdrest_http(&c, &req, &resp), CDREST_E_ARG); /* a count without headers */
        /* a NULL value in a parameter list is left out (an actual parameter's is "") */
        typed_answer = "{\"property\":{\"propertyName\":\"x\"}}";
        CHECK_INT(cdrest_set_property(&c, "/projects/P/x", "1", ctx, NULL), 0);
        typed_answer = "{\"jobId\":\"9\"}";
        CHECK_INT(cdrest_run_procedure(&c, "P", "Q", actual, job, sizeof job), 0);
        CHECK_INT(cdrest_get_properties(&c, NULL, ctx, NULL), CDREST_E_ARG); /* projectName NULL: no context */
    }
    {
        cdrest_doc d;
        memset(&d, 0, sizeof d);
        CHECK_INT(cdrest_doc_string(&d, "x", NULL, 8), CDREST_E_ARG);
        CHECK_INT(cdrest_doc_find(&d, NULL), -1);
    }
    cdrest_free(&c);
}

/* The reader used when an answer has no tokens finds what the tokens find (same value,
   same span and type) in awkward but valid JSON. */
static void test_raw_find(void) {
    static const char *const docs[] = {
        " { \"a\" : { \"b\" : \"x}\\\"{\" , \"c\":[{\"b\":1}] } , \"d\" : -1.5e3 ,\"e\":null} ",
        "{\"na\\u006de\":\"escaped key\",\"dup\":1,\"dup\":2,\"\":\"empty\",\"t\":true,\"f\":false}",
        "{\"x\":{},\"y\":[],\"z\":{\"w\":{\"v\":\"deep\"}},\"s\":\"\\\\\",\"q\":\"]\"}",
        "{\"job\":{\"jobId\":\"5\",\"a\":[1,[2,{\"jobId\":\"no\"}]]},\"jobId\":7}",
        "[{\"a\":1}]",
        "{\"k\"\n:\r\n\"v\"\t}",
    };
    static const char *const paths[] = { "a",         "a.b",   "a.c",   "d", "e",     "name", "dup", "",
                                         "t",         "f",     "x",     "y", "z.w.v", "z.w",  "s",   "q",
                                         "job.jobId", "jobId", "job.a", "k", "a.b.c", "nope" };
    size_t i, k;
    int bad = 0;
    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        cdrest_json_parser p;
        cdrest_json_tok t[64], r;
        int n;
        cdrest_json_init(&p);
        n = cdrest_json_parse(&p, docs[i], strlen(docs[i]), t, 64);
        if (!CHECK(n > 0)) continue;
        for (k = 0; k < sizeof paths / sizeof paths[0]; k++) {
            int j = *paths[k] ? cdrest_json_find(docs[i], t, n, 0, paths[k]) : -1;
            int found = cdrest__json_raw_find(docs[i], strlen(docs[i]), paths[k], &r);
            if (found != (j >= 0) || (found && (r.type != t[j].type || r.start != t[j].start || r.end != t[j].end))) {
                bad++;
                fprintf(stderr, "  raw find of \"%s\" in %s: %d (%d %d-%d), tokens: %d (%d %d-%d)\n", paths[k], docs[i],
                        found, r.type, r.start, r.end, j, j >= 0 ? t[j].type : 0, j >= 0 ? t[j].start : 0,
                        j >= 0 ? t[j].end : 0);
            }
        }
    }
    CHECK_INT(bad, 0);
}

int main(void) {
    int valgrind = getenv("CDREST_VALGRIND") != NULL;
    if (!CHECK(start_server())) return test_summary();
    test_raw_find();
    test_misuse();
    test_typed_fields();
    test_writes_with_few_tokens();
    test_fixed_buffers();
    test_deadlines();
    /* 100,000 properties, 26 MB (60,000 under valgrind: still > 1,048,576 tokens) */
    test_large_sheet(valgrind ? 60000 : 100000);
    stop_the_server();
    return test_summary();
}
