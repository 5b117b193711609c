/* SPDX-License-Identifier: MIT */
/* quickstart.c - the everyday CloudBees CD flow with cdrest, in plain C:
   log in, set and read a property, create an artifact, run a procedure and wait
   for it, log out. Every call returns 0 or a CDREST_E_* code; cdrest_errmsg()
   says what went wrong in one line.

   build:  cc -std=c99 -I. -o quickstart examples/quickstart.c -lbearssl
   run:    CDREST_SERVER=https://cd.example.com:8443 CDREST_USER=admin \
           CDREST_PASSWORD=... [CDREST_CACERT=ca.pem] ./quickstart            */
#define CDREST_IMPLEMENTATION
#include "cdrest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(cdrest_client *c, const char *what) {
    fprintf(stderr, "quickstart: %s failed: %s\n", what, cdrest_errmsg(c));
    cdrest_free(c);
    return 1;
}

int main(void) {
    cdrest_client c;
    cdrest_config cfg;
    cdrest_param project[] = { { "projectName", "Default" }, { NULL, NULL } };
    cdrest_param params[] = { { "greeting", "hello from C" }, { NULL, NULL } };
    cdrest_job_status job;
    char job_id[64];
    const char *value;
    size_t len;

    memset(&cfg, 0, sizeof cfg); /* zero means the defaults */
    cfg.server = getenv("CDREST_SERVER");
    cfg.user = getenv("CDREST_USER");
    cfg.password = getenv("CDREST_PASSWORD");
    cfg.tls.ca_file = getenv("CDREST_CACERT"); /* NULL: the system's CA bundle */
    if (cdrest_init(&c, &cfg) != 0) return fail(&c, "setup");

    if (cdrest_login(&c) != 0) return fail(&c, "login");
    printf("logged in as %s\n", cfg.user);

    if (cdrest_set_property(&c, "quickstart/greeting", "Hello, CD!", project, NULL) != 0)
        return fail(&c, "setProperty");
    if (cdrest_get_property_value(&c, "quickstart/greeting", project, &value, &len) != 0)
        return fail(&c, "getProperty");
    printf("property quickstart/greeting = %s\n", value);

    if (cdrest_create_artifact(&c, "com.example", "quickstart", NULL, NULL) != 0 &&
        cdrest_last_error(&c)->http_status != 409) /* 409: it exists from an earlier run */
        return fail(&c, "createArtifact");
    printf("artifact com.example:quickstart is there\n");

    if (cdrest_run_procedure(&c, "Default", "runme", params, job_id, sizeof job_id) != 0)
        return fail(&c, "runProcedure");
    printf("job %s started, waiting...\n", job_id);
    if (cdrest_wait_for_job(&c, job_id, 500, 60000, NULL, NULL, &job) != 0) return fail(&c, "waitForJob");
    printf("job %s: %s, outcome %s\n", job_id, job.status, job.outcome);

    if (cdrest_logout(&c) != 0) return fail(&c, "logout");
    printf("logged out\n");
    cdrest_free(&c);
    return strcmp(job.outcome, "success") == 0 ? 0 : 1;
}
