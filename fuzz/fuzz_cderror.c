/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the CD layer's reading of answers: the server's error envelope
   (a non-2xx response), and the success paths that dig values out of a 2xx one.
   Input: [status selector][flags][body bytes...]; the body is served (twice: a re-login
   or a second call reads it again) as "HTTP/1.1 STATUS" with a Content-Length through a
   scripted transport. Besides "no crash, no sanitizer report", it aborts when:
   - a non-2xx answer gives anything but CDREST_E_SERVER / _AUTH / _HTTP, or loses the
     status (cdrest_last_error()->http_status), or its line lacks "[STATUS]" (a CD error)
     or "HTTP STATUS" (anything else);
   - any text of the error record is not NUL-terminated within its array, or is empty
     after an error;
   - a success returns a value, job id or status that is not terminated.
   With -DFUZZ_STRICT_TEXT it also requires cdrest_errmsg() to be one line without control
   characters (known to fail today: the server's message is copied raw).
   flags: bits 0-2 which call (cdrest_call, getPropertyValue, runProcedure, getJobStatus,
   getProperties, login, logout); bit 3 credentials held (a 401 logs in again). */
#define CDREST_IMPLEMENTATION
#include "fuzz.h"

static const int statuses[] = { 404, 401, 400, 500, 403, 409, 502, 503, 501, 200, 201, 302, 204, 599, 301, 418 };

static void terminated(const char *s, size_t cap) {
    REQUIRE(memchr(s, 0, cap) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_doc d;
    feed f;
    uint8_t *answer;
    char head[160], job[64];
    const char *v = NULL;
    size_t n = 0, hl, blen;
    int status, flags, rc, call;
    const cdrest_error *e;
    if (size < 2) return 0;
    status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    flags = data[1];
    blen = size - 2;
    hl = (size_t)snprintf(head, sizeof head,
                          "HTTP/1.1 %d Reason\r\nContent-Type: application/json\r\nContent-Length: %lu\r\n\r\n", status,
                          (unsigned long)blen);
    memset(&f, 0, sizeof f);
    /* The server: the one answer, served again for each request written after the last
       one was read whole (a retry, a re-login, the relative form of a property path), at
       most four times. Never two answers at once: bytes beyond a response end the
       connection. */
    f.n = hl + blen;
    f.pos = f.n; /* armed by the first request */
    f.rearms = 4;
    answer = (uint8_t *)malloc(f.n);
    memcpy(answer, head, hl);
    memcpy(answer + hl, data + 2, blen);
    f.d = answer;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = "http://127.0.0.1:8000";
    cfg.no_proxy = 1;
    cfg.transport = &feed_transport;
    cfg.transport_self = &f;
    call = flags & 7;
    if (call == 7) call = 0;
    if ((flags & 8) || call == 5) {
        cfg.user = "admin";
        cfg.password = "changeme";
    } else {
        cfg.session_id = "0123456789abcdef01234567";
    }
    REQUIRE(cdrest_init(&c, &cfg) == 0);
    switch (call) {
        case 0: rc = cdrest_call(&c, "GET", "/projects", NULL, NULL, &d); break;
        case 1:
            rc = cdrest_get_property_value(&c, "/projects/Default/x", NULL, &v, &n);
            if (rc == 0) REQUIRE(v != NULL && v[n] == 0);
            break;
        case 2:
            rc = cdrest_run_procedure(&c, "Default", "runme", NULL, job, sizeof job);
            terminated(job, sizeof job);
            if (rc == 0) REQUIRE(job[0] != 0);
            break;
        case 3: {
            cdrest_job_status st;
            memset(&st, 0x55, sizeof st);
            rc = cdrest_get_job_status(&c, "j1", &st);
            if (rc == 0) {
                terminated(st.job_id, sizeof st.job_id);
                terminated(st.status, sizeof st.status);
                terminated(st.outcome, sizeof st.outcome);
                REQUIRE(st.status[0] != 0);
            }
            break;
        }
        case 4: {
            cdrest_sheet_entry en;
            int it = 0, k = 0;
            rc = cdrest_get_properties(&c, "/projects/Default/s", NULL, &d);
            if (rc == 0)
                while (cdrest_sheet_next(&d, &it, &en)) {
                    REQUIRE(en.name < d.ntoks && en.value < d.ntoks && en.sheet_id < d.ntoks);
                    REQUIRE(++k <= d.ntoks);
                }
            break;
        }
        case 5:
            rc = cdrest_login(&c);
            terminated(c.session_id, sizeof c.session_id);
            if (rc == 0) REQUIRE(c.session_id[0] != 0 && !strpbrk(c.session_id, "\r\n"));
            break;
        default: rc = cdrest_logout(&c); break;
    }
    e = cdrest_last_error(&c);
    terminated(e->msg, sizeof e->msg);
    terminated(e->server_code, sizeof e->server_code);
    terminated(e->server_message, sizeof e->server_message);
    terminated(e->server_details, sizeof e->server_details);
    terminated(e->server_where, sizeof e->server_where);
    if (rc) {
        REQUIRE(e->code == rc);
        REQUIRE(e->msg[0] != 0);
    }
    if (status >= 300 && call != 6) {
        char want[32];
        REQUIRE(rc == CDREST_E_SERVER || rc == CDREST_E_AUTH || rc == CDREST_E_HTTP);
        REQUIRE(e->http_status == status);
        if (rc == CDREST_E_HTTP || (rc == CDREST_E_AUTH && !e->server_code[0] && !e->server_message[0])) {
            snprintf(want, sizeof want, "HTTP %d", status);
            REQUIRE(!strncmp(e->msg, want, strlen(want)) || strstr(e->msg, "no credentials") ||
                    strstr(e->msg, "log in"));
        } else if (e->server_code[0] || e->server_message[0]) {
            snprintf(want, sizeof want, "[%d]", status);
            REQUIRE(strstr(e->msg, want) != NULL);
        }
    }
    if (status == 401) REQUIRE(rc == 0 || rc == CDREST_E_AUTH || call == 6);
#ifdef FUZZ_STRICT_TEXT
    {
        const char *p;
        for (p = e->msg; *p; p++) REQUIRE((unsigned char)*p >= 0x20 && *p != 0x7f);
    }
#endif
    cdrest_free(&c);
    free(answer);
    return 0;
}
