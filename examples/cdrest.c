/* SPDX-License-Identifier: MIT */
/* cdrest.c - the `cdrest` command-line tool: an ectool-like front end to the
   CloudBees CD/RO REST API, built on cdrest.h. It is also the library's largest
   example: every command below is a few lines around one cdrest_* call.

   build:  cc -std=c99 -I. -o build/cdrest examples/cdrest.c -lbearssl   (or: make build/cdrest)
   run:    cdrest --server https://cd.example.com:8443 login admin
           cdrest getProperty /projects/Default/version
           cdrest runProcedure Default --procedureName build --actualParameter branch=main
           cdrest --help

   Exit status: 0 success; 1 the server answered with an error (its code and message on
   stderr); 2 a usage error; 3 a network, TLS or protocol failure. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CDREST_IMPLEMENTATION
#include "cdrest.h"

enum { EXIT_SERVER = 1, EXIT_USAGE = 2, EXIT_NETWORK = 3 };

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* How a command uses the client: login makes a session, logout ends the saved one,
   every other command sends whatever credentials it finds. */
enum { FOR_CALL, FOR_LOGIN, FOR_LOGOUT };

/* ===========================================================================
   The command line
   =========================================================================== */

/* One "--name value" option of the command (global options are kept in `cli`).
   For NAME=VALUE options (--actualParameter, --param) `value` is NAME and
   `pair_value` the part after '='. */
typedef struct option_arg {
    const char *name;
    const char *value;
    const char *pair_value;
} option_arg;

struct cli;
typedef struct command {
    const char *name;
    const char *synopsis;   /* its arguments, for the usage line */
    int min_args, max_args; /* positional arguments; max_args -1: any number */
    const char *options;    /* the --name value options it takes, space-separated */
    int (*run)(struct cli *t);
    const char *help;
} command;

typedef struct cli {
    /* global options (values point into argv) */
    const char *server, *user, *password_file, *token, *token_file, *session_file, *cacert, *pin, *timeout;
    int basic, insecure, verbose, allow_plain_http, json, help, version;
    /* the command */
    const char *cmd_name;
    const command *cmd;
    char **args;
    int nargs;
    option_arg *opts;
    int nopts;
    cdrest_param *params;   /* scratch for the parameter lists handed to the library */
    /* credentials and sessions */
    char password[256];     /* the password, wherever it came from; wiped at exit */
    int have_password;
    char token_copy[1024];  /* the token from --token or --token-file (t->token then points here) */
    char session_path[1024];
    char saved_server[1024], saved_user[256], saved_session[256];
    int session_loaded;     /* the session file was looked for */
    int have_saved;         /* ... and holds a session */
    int use_saved;          /* ... and its session is what this run sends */
    char server_url[1024];  /* the server this run talks to */
    char first_session[256];/* the session the client started with, if any */
    const char *login_user; /* the user name sent, if any */
    /* the client */
    cdrest_client client;
    int client_open;
    int mode;               /* FOR_CALL, FOR_LOGIN or FOR_LOGOUT */
} cli;

/* The context parameters of property and job calls: each --xxx option becomes a
   parameter of the same name. These are the CD object kinds a property can belong to. */
#define CONTEXT_OPTIONS                                                                  \
    " projectName procedureName stepName jobId jobStepId resourceName artifactName"      \
    " artifactVersionName scheduleName workflowName workflowDefinitionName stateName"    \
    " applicationName componentName environmentName pipelineName releaseName"            \
    " stageName taskName flowRuntimeId configName credentialName userName groupName"     \
    " repositoryName workspaceName zoneName "

/* ---------------------------------------------------------------------------
   Messages
   --------------------------------------------------------------------------- */

/* Overwrite every copy of a secret in s with '*' (the length shows, nothing else). */
static void mask_secret(char *s, const char *secret) {
    size_t n = secret ? strlen(secret) : 0;
    char *p = s;
    if (!n) return;
    while ((p = strstr(p, secret)) != NULL) {
        memset(p, '*', n);
        p += n;
    }
}

/* Our own lines never need a secret; mask any that slipped in anyway. */
static void mask_secrets(cli *t, char *s) {
    mask_secret(s, t->password);
    mask_secret(s, t->saved_session);
    mask_secret(s, t->first_session);
    mask_secret(s, t->token);
    mask_secret(s, getenv("CDREST_TOKEN"));
    mask_secret(s, getenv("COMMANDER_SESSIONID"));
    if (t->client_open) mask_secret(s, cdrest_session_id(&t->client));
}

/* "cdrest: <formatted text>" on stderr, secrets masked. */
static void say(cli *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void say(cli *t, const char *fmt, ...) {
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    mask_secrets(t, line);
    fprintf(stderr, "cdrest: %s\n", line);
}

static int usage_error(cli *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int usage_error(cli *t, const char *fmt, ...) {
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    say(t, "%s", line);
    if (t->cmd) fprintf(stderr, "Try 'cdrest %s --help'.\n", t->cmd->name);
    else fprintf(stderr, "Try 'cdrest --help'.\n");
    return EXIT_USAGE;
}

/* The exit status for a library error: 1 when the server said no, 2 when the
   arguments were wrong, 3 when the network, TLS or the protocol failed. */
static int exit_status_for(int rc) {
    switch (rc) {
    case CDREST_E_SERVER:
    case CDREST_E_AUTH:
    case CDREST_E_HTTP: return EXIT_SERVER;
    case CDREST_E_ARG: return EXIT_USAGE;
    default: return EXIT_NETWORK;
    }
}

/* Report a failed library call and return the exit status it maps to. */
static int fail(cli *t, int rc) {
    const char *msg = cdrest_errmsg(&t->client);
    say(t, "%s: %s", t->cmd->name, msg[0] ? msg : cdrest_strerror(rc));
    if (rc == CDREST_E_AUTH && t->use_saved)
        fprintf(stderr, "cdrest: the session saved in %s was refused; run 'cdrest login' again\n", t->session_path);
    return exit_status_for(rc);
}

static void warn_insecure(void) {
    fprintf(stderr, "cdrest: WARNING: --insecure: the server's certificate is NOT verified. Anyone on the\n"
                    "cdrest: WARNING: network path can read and change this traffic, credentials included.\n");
}

/* ---------------------------------------------------------------------------
   Usage
   --------------------------------------------------------------------------- */

static const char usage_text[] =
    "usage: cdrest [global options] COMMAND [ARGS] [--name value ...]\n"
    "\n"
    "Global options (also accepted after the command; --name=value works too):\n"
    "  --server URL           the CD server (or $CDREST_SERVER; inside a job step $COMMANDER_SERVER\n"
    "                         etc.; else the server of the session saved by 'login')\n"
    "  --user U               (or $CDREST_USER)\n"
    "  --password P           visible to every user in the process list: prefer $CDREST_PASSWORD,\n"
    "                         --password-file or the prompt (on a terminal, when a password is missing)\n"
    "  --password-file FILE   read the password from the first line of FILE\n"
    "  --token T              a user access token; visible in the process list until cdrest blanks it:\n"
    "                         prefer $CDREST_TOKEN or --token-file\n"
    "  --token-file FILE      read the token from the first line of FILE\n"
    "  --basic                HTTP Basic auth on every call instead of a session\n"
    "  --session-file PATH    where 'login' saves the session (default ~/.cdrest_session, mode 0600)\n"
    "  --cacert FILE          trust the CA certificates in FILE (PEM) instead of the system's\n"
    "  --pin sha256//BASE64   also require this public key (curl's format; ';' separates several)\n"
    "  --insecure             do NOT verify the server's certificate (warns every time)\n"
    "  --timeout SECONDS      for each request (default 60)\n"
    "  --verbose              trace every request on stderr (secrets masked)\n"
    "  --allow-plain-http     send credentials over http:// to a non-loopback host (refused otherwise)\n"
    "  --json                 print whole JSON answers instead of the plain forms below\n"
    "  --help, --version\n"
    "\n"
    "Commands:\n"
    "  login [USER [PASSWORD]]         logout\n"
    "  getProperty PATH                prints the value only (raw, no JSON quoting)\n"
    "  setProperty PATH VALUE          createProperty PATH [--value V]   deleteProperty PATH\n"
    "  getProperties [PATH]            prints name=value lines (a nested sheet as name/)\n"
    "  createArtifact GROUPID KEY      getArtifact GROUPID:KEY   getArtifacts   deleteArtifact GROUPID:KEY\n"
    "  createArtifactVersion GROUPID:KEY VERSION   getArtifactVersion G:K:V   getArtifactVersions G:K\n"
    "  deleteArtifactVersion G:K:V\n"
    "  publishArtifactVersion G:K VERSION FILE... [--repositoryName R]   (multipart upload)\n"
    "  runProcedure PROJECT --procedureName P [--actualParameter NAME=VALUE ...]   prints the job id\n"
    "  getJobStatus JOBID   getJobDetails JOBID\n"
    "  waitForJob JOBID [--deadline S] [--interval S]\n"
    "                                  prints the outcome; exit 0 only when it is success\n"
    "  call METHOD PATH [--data JSON] [--param NAME=VALUE ...]\n"
    "                                  any other endpoint; PATH is relative to /rest/v1.0\n"
    "  help [COMMAND]\n"
    "Output: getProperty prints the raw value; runProcedure the job id; deletes and logout print\n"
    "nothing; other commands print the server's JSON answer.\n"
    "Context options for property and job calls: --projectName --procedureName --jobId --jobStepId\n"
    "--resourceName --artifactName ... (see 'cdrest getProperty --help').\n"
    "Credentials: --user with a password, or --token, log in for this run (and log out after it);\n"
    "otherwise the session saved by 'login' is used when it belongs to the same server (and user).\n"
    "Exit status: 0 success; 1 the server answered with an error (its code and message on stderr);\n"
    "             2 usage error; 3 network, TLS or protocol failure.\n";

static void print_command_help(const command *cmd) {
    printf("usage: cdrest [global options] %s%s%s\n\n%s\n", cmd->name, cmd->synopsis[0] ? " " : "", cmd->synopsis,
           cmd->help);
    if (strstr(cmd->options, " jobStepId "))
        printf("\nContext options (each becomes the parameter of the same name):\n %s\n", CONTEXT_OPTIONS);
    printf("\nSee 'cdrest --help' for the global options and the exit statuses.\n");
}

/* ===========================================================================
   Secrets: the password from a file, the environment or a no-echo prompt
   =========================================================================== */

/* Read one line from fd into buf without stdio (so no copy lingers in a FILE buffer).
   Returns its length without the newline (and a CR before it), or -1 when it does
   not fit or nothing could be read. */
static long read_line(int fd, char *buf, size_t cap) {
    size_t n = 0;
    char ch;
    ssize_t got;
    while ((got = read(fd, &ch, 1)) == 1 && ch != '\n') {
        if (n + 1 >= cap) return -1;
        buf[n++] = ch;
    }
    if (got < 0 || (got == 0 && n == 0)) return -1;
    if (n && buf[n - 1] == '\r') n--;
    buf[n] = 0;
    return (long)n;
}

static int read_password_file(cli *t) {
    int fd = open(t->password_file, O_RDONLY);
    long n;
    if (fd < 0) return usage_error(t, "cannot open the password file %s: %s", t->password_file, strerror(errno));
    n = read_line(fd, t->password, sizeof t->password);
    close(fd);
    if (n <= 0) return usage_error(t, "the password file %s holds no password on its first line", t->password_file);
    t->have_password = 1;
    return 0;
}

/* The terminal settings to restore if the prompt is interrupted (a signal handler
   cannot reach them any other way). */
static struct termios saved_termios;

static void restore_terminal_and_die(int sig) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int prompt_password(cli *t, const char *user) {
    struct termios quiet;
    struct sigaction sa, old_int, old_term;
    long n;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) != 0)
        return usage_error(t, "no password for %s, and no terminal to ask for one: set $CDREST_PASSWORD, "
                              "or use --password-file", user);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = restore_terminal_and_die;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    quiet = saved_termios;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet); /* echo off before the prompt shows */
    fprintf(stderr, "Password for %s: ", user);
    fflush(stderr);
    n = read_line(STDIN_FILENO, t->password, sizeof t->password);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    fputc('\n', stderr);
    if (n <= 0) return usage_error(t, "no password entered");
    t->have_password = 1;
    return 0;
}

/* The password from --password-file, or else $CDREST_PASSWORD (--password was taken
   while parsing). Not finding one is not an error here. */
static int find_password(cli *t) {
    const char *env = getenv("CDREST_PASSWORD");
    if (t->have_password) return 0;
    if (t->password_file) return read_password_file(t);
    if (env && *env) {
        if (strlen(env) >= sizeof t->password) return usage_error(t, "$CDREST_PASSWORD is too long");
        strcpy(t->password, env);
        t->have_password = 1;
    }
    return 0;
}

static void wipe(void *p, size_t n) {
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--) *v++ = 0;
}

/* A password given as an argument (--password P, login USER P): copied, then blanked in
   argv so that `ps` shows it for as short a time as we can manage. It was visible until
   then all the same, hence the warning. */
static int take_password(cli *t, char *arg, const char *what) {
    fprintf(stderr, "cdrest: warning: %s is visible to other users in the process list; prefer "
                    "$CDREST_PASSWORD, --password-file or the prompt\n", what);
    if (strlen(arg) >= sizeof t->password) return usage_error(t, "the password is too long");
    strcpy(t->password, arg);
    t->have_password = 1;
    memset(arg, 'x', strlen(arg));
    return 0;
}

/* The token from --token (copied, then blanked in argv as a password is: it is one, and
   /proc/PID/cmdline shows argv to every user), or from the first line of --token-file. */
static int take_token(cli *t, char *arg) {
    fprintf(stderr, "cdrest: warning: --token is visible to other users in the process list; prefer "
                    "$CDREST_TOKEN or --token-file\n");
    if (strlen(arg) >= sizeof t->token_copy) return usage_error(t, "the token is too long");
    strcpy(t->token_copy, arg);
    memset(arg, 'x', strlen(arg));
    t->token = t->token_copy;
    return 0;
}

static int read_token_file(cli *t) {
    int fd = open(t->token_file, O_RDONLY);
    long n;
    if (fd < 0) return usage_error(t, "cannot open the token file %s: %s", t->token_file, strerror(errno));
    n = read_line(fd, t->token_copy, sizeof t->token_copy);
    close(fd);
    if (n <= 0) return usage_error(t, "the token file %s holds no token on its first line", t->token_file);
    t->token = t->token_copy;
    return 0;
}

/* ===========================================================================
   The session file: "key=value" lines (server, user, sessionId), mode 0600
   =========================================================================== */

static int find_session_path(cli *t) {
    const char *home = getenv("HOME");
    int n;
    if (t->session_file) n = snprintf(t->session_path, sizeof t->session_path, "%s", t->session_file);
    else if (home && *home) n = snprintf(t->session_path, sizeof t->session_path, "%s/.cdrest_session", home);
    else return usage_error(t, "$HOME is not set: give --session-file PATH");
    if (n < 0 || (size_t)n >= sizeof t->session_path) return usage_error(t, "the session file path is too long");
    return 0;
}

/* Copy the value of "key=value" in line into dst when the key matches. */
static void take_field(const char *line, const char *key, char *dst, size_t cap) {
    size_t k = strlen(key);
    if (strncmp(line, key, k) == 0 && line[k] == '=' && strlen(line + k + 1) < cap) strcpy(dst, line + k + 1);
}

/* Read the saved session, if there is one. A missing file is no error. */
static int load_session(cli *t) {
    char text[2048], *line, *next;
    struct stat st;
    ssize_t n;
    int fd;
    if (t->session_loaded) return 0;
    t->session_loaded = 1;
    if ((fd = open(t->session_path, O_RDONLY)) < 0) return errno == ENOENT ? 0 : usage_error(t, "cannot read %s: %s", t->session_path, strerror(errno));
    if (fstat(fd, &st) == 0 && (st.st_mode & 077))
        say(t, "warning: %s is readable by other users (chmod 600 it)", t->session_path);
    n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n < 0) return usage_error(t, "cannot read %s: %s", t->session_path, strerror(errno));
    text[n] = 0;
    for (line = text; *line; line = next) {
        next = line + strcspn(line, "\n");
        if (*next) *next++ = 0;
        take_field(line, "server", t->saved_server, sizeof t->saved_server);
        take_field(line, "user", t->saved_user, sizeof t->saved_user);
        take_field(line, "sessionId", t->saved_session, sizeof t->saved_session);
    }
    wipe(text, sizeof text);
    t->have_saved = t->saved_server[0] && t->saved_session[0];
    return 0;
}

static int write_all(int fd, const char *s, size_t n) {
    while (n) {
        ssize_t k = write(fd, s, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Write the session atomically: a new file beside the target, created with
   O_EXCL and mode 0600 (so it is never readable by others, not even briefly),
   then renamed over the old one. */
static int save_session(cli *t, const char *user, const char *session_id) {
    char tmp[1100], text[2048];
    int fd, n, ok;
    n = snprintf(text, sizeof text, "# cdrest session: keep this file private\nserver=%s\nuser=%s\nsessionId=%s\n",
                 t->server_url, user ? user : "", session_id);
    if (n < 0 || (size_t)n >= sizeof text || strchr(user ? user : "", '\n'))
        return usage_error(t, "the session does not fit in the session file");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", t->session_path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        wipe(text, sizeof text);
        return usage_error(t, "cannot create %s: %s", tmp, strerror(errno));
    }
    ok = fchmod(fd, 0600) == 0 && write_all(fd, text, (size_t)n) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    wipe(text, sizeof text);
    if (!ok || rename(tmp, t->session_path) != 0) {
        int err = errno;
        unlink(tmp);
        return usage_error(t, "cannot write the session file %s: %s", t->session_path, strerror(err));
    }
    return 0;
}

/* ===========================================================================
   The client: which server, which credentials
   =========================================================================== */

static const char *env_value(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* 1 if two server URLs name the same place (scheme, host, port and base path). */
static int same_server(const char *a, const char *b) {
    cdrest_url ua, ub;
    if (cdrest_url_parse(&ua, a, NULL) != 0 || cdrest_url_parse(&ub, b, NULL) != 0) return 0;
    return ua.https == ub.https && ua.port == ub.port && !strcmp(ua.host, ub.host) &&
           !strcmp(ua.base_path, ub.base_path);
}

/* The client's server as a URL (for a client set up from a job step's environment). */
static void client_url(const cdrest_client *c, char *out, size_t cap) {
    snprintf(out, cap, "%s://%s%s%s:%u%s", c->url.https ? "https" : "http", c->url.ipv6 ? "[" : "", c->url.host,
             c->url.ipv6 ? "]" : "", (unsigned)c->url.port, c->url.base_path);
}

/* Print each traced request on stderr. The library keeps secrets out of its trace
   lines; say() masks them again all the same. */
static void trace_line(void *ctx, const char *line) {
    say((cli *)ctx, "%s", line);
}

static int parse_seconds(cli *t, const char *what, const char *text, int *ms) {
    char *end;
    double s = strtod(text, &end);
    if (end == text || *end || !(s > 0) || s > 2000000)
        return usage_error(t, "%s wants a number of seconds, not '%s'", what, text);
    *ms = (int)(s * 1000 + 0.5);
    if (*ms < 1) *ms = 1;
    return 0;
}

/* TLS, timeouts and tracing: everything but the server and the credentials. */
static int base_config(cli *t, cdrest_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->tls.ca_file = t->cacert;
    cfg->tls.pin = t->pin;
    cfg->tls.tls_insecure_skip_verify = t->insecure;
    cfg->allow_plain_http = t->allow_plain_http;
    cfg->basic_auth = t->basic;
    if (t->timeout) {
        int rc = parse_seconds(t, "--timeout", t->timeout, &cfg->timeout_ms);
        if (rc) return rc;
        if (cfg->timeout_ms < 10000) cfg->connect_timeout_ms = cfg->timeout_ms;
    }
    if (t->verbose) {
        cfg->trace = trace_line;
        cfg->trace_ctx = t;
    }
    return 0;
}

/* The credentials this run sends. A user with a password, or a token, log in for this
   run; the session saved by login is sent when it belongs to this server and (when a
   user is named and the file knows its user) to that user, together with the password
   if there is one, so that an expired session is renewed; inside a job step the step's
   own session is used. A user with none of these is asked for the password on a
   terminal. */
static int choose_credentials(cli *t, cdrest_config *cfg, int in_job_step) {
    const char *user = t->mode == FOR_LOGIN && t->nargs > 0 ? t->args[0] : t->user ? t->user : env_value("CDREST_USER");
    const char *token;
    int step_session = in_job_step && env_value("COMMANDER_SESSIONID") != NULL;
    int this_server = t->have_saved && same_server(t->saved_server, t->server_url);
    int rc;
    if (!t->token && t->token_file && (rc = read_token_file(t)) != 0) return rc;
    token = t->token ? t->token : env_value("CDREST_TOKEN");
    if (t->mode == FOR_LOGOUT) { /* the saved session, nothing else */
        if (!this_server)
            return usage_error(t, "the session in %s is for %s, not %s", t->session_path, t->saved_server, t->server_url);
        t->use_saved = 1;
        cfg->session_id = t->saved_session;
        return 0;
    }
    if ((rc = find_password(t)) != 0) return rc;
    t->use_saved = t->mode == FOR_CALL && this_server && !t->basic && !token && !in_job_step &&
                   (!user || !t->saved_user[0] || !strcmp(user, t->saved_user));
    if (t->use_saved) cfg->session_id = t->saved_session;
    if (token && !t->basic) {
        cfg->token = token;
        return 0;
    }
    if (!user) {
        if (t->use_saved || step_session) return t->basic ? usage_error(t, "--basic needs a user and a password") : 0;
        if (t->mode == FOR_LOGIN) return usage_error(t, "login needs a user name (or --token)");
        return usage_error(t, "not logged in: run 'cdrest login' first, or give --user (or $CDREST_USER) or --token");
    }
    if (!t->have_password && (t->mode == FOR_LOGIN || t->basic || !(t->use_saved || step_session)) &&
        (rc = prompt_password(t, user)) != 0)
        return rc;
    cfg->user = t->login_user = user;
    cfg->password = t->have_password ? t->password : NULL;
    return 0;
}

/* Set up t->client for the command. Returns 0 or an exit status. */
static int open_client(cli *t, int mode) {
    cdrest_config cfg;
    const char *server = t->server ? t->server : env_value("CDREST_SERVER");
    int in_job_step = !server && mode != FOR_LOGOUT && env_value("COMMANDER_SERVER") != NULL, rc;
    t->mode = mode;
    if ((rc = find_session_path(t)) != 0 || (rc = load_session(t)) != 0) return rc;
    if (!server && !in_job_step && t->have_saved) server = t->saved_server;
    if (!server && !in_job_step) return usage_error(t, "no server: give --server URL or set $CDREST_SERVER");
    if (server) snprintf(t->server_url, sizeof t->server_url, "%s", server);
    if ((rc = base_config(t, &cfg)) != 0 || (rc = choose_credentials(t, &cfg, in_job_step)) != 0) return rc;
    if (t->insecure) warn_insecure();
    cfg.server = server;
    rc = in_job_step ? cdrest_init_from_env(&t->client, &cfg) : cdrest_init(&t->client, &cfg);
    t->client_open = 1;
    if (rc) return fail(t, rc);
    if (in_job_step) client_url(&t->client, t->server_url, sizeof t->server_url);
    snprintf(t->first_session, sizeof t->first_session, "%s", cdrest_session_id(&t->client));
    if (t->verbose)
        say(t, "server %s, %s", t->server_url,
            t->use_saved ? "the saved session" : cfg.token ? "a token" : t->basic ? "Basic auth" :
            cfg.password ? "a new session" : "the job step's session");
    return 0;
}

/* Log out a session this run made (login keeps its own), then free the client. */
static void close_client(cli *t) {
    const char *sid;
    if (!t->client_open) return;
    sid = cdrest_session_id(&t->client);
    if (t->mode == FOR_CALL && sid[0] && strcmp(sid, t->first_session) != 0) cdrest_logout(&t->client);
    cdrest_free(&t->client);
    t->client_open = 0;
}

/* ===========================================================================
   Options and output
   =========================================================================== */

/* 1 if word appears in the space-separated list. */
static int in_list(const char *list, const char *word) {
    size_t n = strlen(word);
    const char *p = list;
    while ((p = strstr(p, word)) != NULL) {
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) return 1;
        p += n;
    }
    return 0;
}

/* The value of a command option, or NULL. */
static const char *option(const cli *t, const char *name) {
    int i;
    for (i = 0; i < t->nopts; i++)
        if (!strcmp(t->opts[i].name, name)) return t->opts[i].value;
    return NULL;
}

/* The command's options as a parameter list (in t->params), leaving out those
   named in `skip` (space-separated). */
static const cdrest_param *context(cli *t, const char *skip) {
    int i, n = 0;
    for (i = 0; i < t->nopts; i++) {
        if (t->opts[i].pair_value || in_list(skip, t->opts[i].name)) continue;
        t->params[n].name = t->opts[i].name;
        t->params[n++].value = t->opts[i].value;
    }
    t->params[n].name = NULL;
    return t->params;
}

/* The NAME=VALUE pairs given to a list option (--actualParameter, --param). */
static const cdrest_param *pairs(cli *t, const char *name) {
    int i, n = 0;
    for (i = 0; i < t->nopts; i++) {
        if (!t->opts[i].pair_value || strcmp(t->opts[i].name, name) != 0) continue;
        t->params[n].name = t->opts[i].value;
        t->params[n++].value = t->opts[i].pair_value;
    }
    t->params[n].name = NULL;
    return t->params;
}

static int print_doc(const cdrest_doc *d) {
    if (d->len) {
        fwrite(d->json, 1, d->len, stdout);
        putchar('\n');
    }
    return 0;
}

/* Print s[0..n) on one line: backslash and control characters as C escapes. */
static void print_escaped(const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\\') fputs("\\\\", stdout);
        else if (ch == '\n') fputs("\\n", stdout);
        else if (ch == '\r') fputs("\\r", stdout);
        else if (ch == '\t') fputs("\\t", stdout);
        else if (ch < 0x20 || ch == 0x7f) printf("\\x%02x", ch);
        else putchar(ch);
    }
}

/* Print a string token of d unescaped (then escaped for one line). */
static void print_token(const cdrest_doc *d, int tok) {
    size_t cap = (size_t)(d->toks[tok].end - d->toks[tok].start) + 1, len = 0;
    char *buf = (char *)malloc(cap); /* unescaping never makes a string longer */
    if (buf && cdrest_json_string(d->json, d->toks, tok, buf, cap, &len) == 0) print_escaped(buf, len);
    free(buf);
}

/* A JSON object of string fields, for the plain answers printed with --json. */
static void print_json_fields(const char *const *names, const char *const *values, int n) {
    char buf[1024];
    cdrest_json_writer w;
    int i;
    cdrest_jw_init(&w, buf, sizeof buf);
    cdrest_jw_object_begin(&w);
    for (i = 0; i < n; i++) {
        cdrest_jw_key(&w, names[i]);
        cdrest_jw_string(&w, values[i]);
    }
    cdrest_jw_object_end(&w);
    if (cdrest_jw_finish(&w) == 0) printf("%s\n", buf);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ===========================================================================
   Commands
   =========================================================================== */

static int cmd_login(cli *t) {
    const char *user;
    int rc;
    if (t->basic) return usage_error(t, "login makes a session; --basic does not use one");
    if (t->nargs > 1 && (rc = take_password(t, t->args[1], "a password on the command line")) != 0) return rc;
    if ((rc = open_client(t, FOR_LOGIN)) != 0) return rc;
    if ((rc = cdrest_login(&t->client)) != 0) return fail(t, rc);
    user = t->login_user;
    if ((rc = save_session(t, user, cdrest_session_id(&t->client))) != 0) {
        cdrest_logout(&t->client);
        return rc;
    }
    printf("logged in to %s%s%s; session saved in %s\n", t->server_url, user ? " as " : " with a token", user ? user : "",
           t->session_path);
    return 0;
}

static int cmd_logout(cli *t) {
    int rc;
    if ((rc = find_session_path(t)) != 0 || (rc = load_session(t)) != 0) return rc;
    if (!t->have_saved) {
        say(t, "not logged in (no session in %s)", t->session_path);
        return 0;
    }
    if ((rc = open_client(t, FOR_LOGOUT)) != 0) return rc;
    rc = cdrest_logout(&t->client);
    if (unlink(t->session_path) != 0 && errno != ENOENT)
        say(t, "cannot remove %s: %s", t->session_path, strerror(errno));
    return rc ? fail(t, rc) : 0;
}

static int cmd_get_property(cli *t) {
    const cdrest_param *ctx;
    const char *value;
    size_t len;
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    ctx = context(t, "");
    if (t->json) {
        if ((rc = cdrest_get_property(&t->client, t->args[0], ctx, &d)) != 0) return fail(t, rc);
        return print_doc(&d);
    }
    if ((rc = cdrest_get_property_value(&t->client, t->args[0], ctx, &value, &len)) != 0) return fail(t, rc);
    fwrite(value, 1, len, stdout);
    putchar('\n');
    return 0;
}

static int cmd_set_property(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    if ((rc = cdrest_set_property(&t->client, t->args[0], t->args[1], context(t, ""), &d)) != 0) return fail(t, rc);
    return print_doc(&d);
}

static int cmd_create_property(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_create_property(&t->client, t->args[0], option(t, "value"), context(t, "value"), &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_delete_property(cli *t) {
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_delete_property(&t->client, t->args[0], context(t, ""));
    return rc ? fail(t, rc) : 0;
}

/* name=value per property; a nested sheet prints as name/ (no value). */
static int cmd_get_properties(cli *t) {
    cdrest_sheet_entry e;
    cdrest_doc d;
    const char *path;
    int rc, iter = 0;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    path = t->nargs ? t->args[0] : NULL; /* a sheet, or an object: /projects/P, /jobs/ID */
    rc = cdrest_get_properties(&t->client, path, context(t, ""), &d);
    if (rc) return fail(t, rc);
    if (t->json) return print_doc(&d);
    while (cdrest_sheet_next(&d, &iter, &e)) {
        if (e.name < 0) continue;
        print_token(&d, e.name);
        if (e.sheet_id >= 0) {
            fputs("/\n", stdout);
            continue;
        }
        putchar('=');
        if (e.value >= 0) print_token(&d, e.value);
        putchar('\n');
    }
    return 0;
}

static int cmd_create_artifact(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_create_artifact(&t->client, t->args[0], t->args[1], context(t, ""), &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_get_artifact(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_get_artifact(&t->client, t->args[0], &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_get_artifacts(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_get_artifacts(&t->client, context(t, ""), &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_delete_artifact(cli *t) {
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_delete_artifact(&t->client, t->args[0]);
    return rc ? fail(t, rc) : 0;
}

static int cmd_create_artifact_version(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_create_artifact_version(&t->client, t->args[0], t->args[1], context(t, ""), &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_get_artifact_version(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_get_artifact_version(&t->client, t->args[0], &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_get_artifact_versions(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_get_artifact_versions(&t->client, t->args[0], &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_delete_artifact_version(cli *t) {
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_delete_artifact_version(&t->client, t->args[0]);
    return rc ? fail(t, rc) : 0;
}

/* "12.3 MiB" */
static const char *human_bytes(double n, char *buf, size_t cap) {
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (n >= 1024 && u < 4) {
        n /= 1024;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", n, units[u]);
    return buf;
}

typedef struct upload_meter {
    int64_t start_ms, shown_ms;
    int shown;
} upload_meter;

/* Upload progress on a terminal, rewritten in place at most five times a second. */
static void show_upload(void *ctx, uint64_t sent, uint64_t total) {
    upload_meter *m = (upload_meter *)ctx;
    int64_t now = now_ms(), elapsed = now - m->start_ms;
    char a[32], b[32], r[32];
    if (sent < total && m->shown && now - m->shown_ms < 200) return;
    m->shown = 1;
    m->shown_ms = now;
    fprintf(stderr, "\rpublishing: %s of %s (%d%%), %s/s    ", human_bytes((double)sent, a, sizeof a),
            human_bytes((double)total, b, sizeof b), total ? (int)(sent * 100 / total) : 100,
            human_bytes(elapsed > 0 ? (double)sent * 1000 / (double)elapsed : 0, r, sizeof r));
    fflush(stderr);
}

static int cmd_publish_artifact_version(cli *t) {
    upload_meter meter;
    int rc, tty = isatty(STDERR_FILENO);
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    memset(&meter, 0, sizeof meter);
    meter.start_ms = now_ms();
    rc = cdrest_publish_artifact_version(&t->client, t->args[0], t->args[1], option(t, "repositoryName"), (const char *const *)(t->args + 2),
                                         t->nargs - 2, tty ? show_upload : NULL, &meter);
    if (meter.shown) fputc('\n', stderr);
    if (rc) return fail(t, rc);
    printf("published %s:%s (%d file%s)\n", t->args[0], t->args[1], t->nargs - 2, t->nargs > 3 ? "s" : "");
    return 0;
}

static int cmd_run_procedure(cli *t) {
    char job_id[64];
    const char *procedure = option(t, "procedureName");
    int rc;
    if (!procedure) return usage_error(t, "runProcedure needs --procedureName NAME");
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_run_procedure(&t->client, t->args[0], procedure, pairs(t, "actualParameter"), job_id, sizeof job_id);
    if (rc) return fail(t, rc);
    if (t->json) {
        const char *name = "jobId", *value = job_id;
        print_json_fields(&name, &value, 1);
    } else {
        printf("%s\n", job_id);
    }
    return 0;
}

/* getJobStatus through the generic call, to print the server's whole answer. */
static int cmd_get_job_status(cli *t) {
    static const cdrest_param query[] = {{"request", "getJobStatus"}, {NULL, NULL}};
    char path[300];
    size_t n;
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    memcpy(path, "/jobs/", 6);
    n = cdrest_percent_encode(path + 6, sizeof path - 6, t->args[0], strlen(t->args[0]), CDREST_PCT_SEGMENT);
    if (n >= sizeof path - 6) return usage_error(t, "the job id is too long");
    rc = cdrest_call(&t->client, "GET", path, query, NULL, &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_get_job_details(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_get_job_details(&t->client, t->args[0], &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

typedef struct job_meter {
    int tty;
    int shown;
    int64_t elapsed_ms; /* at the last poll */
} job_meter;

/* Called after every status poll: remember the time; on a terminal show it. */
static void show_job(void *ctx, const cdrest_job_status *st, int64_t elapsed_ms) {
    job_meter *m = (job_meter *)ctx;
    m->elapsed_ms = elapsed_ms;
    if (!m->tty) return;
    m->shown = 1;
    fprintf(stderr, "\rjob %s: %s, %.1f s    ", st->job_id, st->status, (double)elapsed_ms / 1000);
    fflush(stderr);
}

static int cmd_wait_for_job(cli *t) {
    const char *deadline = option(t, "deadline"), *interval = option(t, "interval");
    int deadline_ms = 0, interval_ms = 0, rc;
    cdrest_job_status st;
    job_meter meter;
    if ((deadline && (rc = parse_seconds(t, "--deadline", deadline, &deadline_ms)) != 0) ||
        (interval && (rc = parse_seconds(t, "--interval", interval, &interval_ms)) != 0))
        return rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    memset(&meter, 0, sizeof meter);
    meter.tty = isatty(STDERR_FILENO);
    rc = cdrest_wait_for_job(&t->client, t->args[0], interval_ms, deadline_ms, show_job, &meter, &st);
    if (meter.shown) fputc('\n', stderr);
    if (rc == CDREST_E_DEADLINE) {
        say(t, "waitForJob: job %s is still %s after %.1f s", t->args[0], st.status, meter.elapsed_ms / 1000.0);
        return EXIT_SERVER;
    }
    if (rc) return fail(t, rc);
    if (t->json) {
        const char *names[] = {"jobId", "status", "outcome"}, *values[3];
        values[0] = st.job_id;
        values[1] = st.status;
        values[2] = st.outcome;
        print_json_fields(names, values, 3);
    } else {
        printf("%s\n", st.outcome);
    }
    if (strcmp(st.outcome, "success") != 0) {
        say(t, "waitForJob: job %s completed with outcome %s", st.job_id, st.outcome[0] ? st.outcome : "(none)");
        return EXIT_SERVER;
    }
    return 0;
}

/* The path for `call`: a leading '/' added if missing; spaces, quotes, control and
   non-ASCII bytes percent-encoded; everything else (%, ?, &, =) kept as typed, so an
   already encoded path works too. */
static int call_path(cli *t, const char *in, char *out, size_t cap) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    if (*in != '/') out[n++] = '/';
    for (; *in; in++) {
        unsigned char ch = (unsigned char)*in;
        if (n + 4 > cap) return usage_error(t, "the path is too long");
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"<>\\^`{|}#", ch)) {
            out[n++] = '%';
            out[n++] = hex[ch >> 4];
            out[n++] = hex[ch & 15];
        } else {
            out[n++] = (char)ch;
        }
    }
    out[n] = 0;
    return 0;
}

static int cmd_call(cli *t) {
    char method[16], path[4096];
    const char *data = option(t, "data");
    cdrest_doc d;
    size_t i, n = strlen(t->args[0]);
    int rc;
    if (n == 0 || n >= sizeof method) return usage_error(t, "'%s' is no HTTP method", t->args[0]);
    for (i = 0; i <= n; i++) {
        char ch = t->args[0][i];
        if (ch && !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
            return usage_error(t, "'%s' is no HTTP method", t->args[0]);
        method[i] = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    }
    if ((rc = call_path(t, t->args[1], path, sizeof path)) != 0) return rc;
    if (data) {
        cdrest_json_parser p;
        cdrest_json_init(&p);
        if (cdrest_json_parse(&p, data, strlen(data), NULL, 0) < 0)
            return usage_error(t, "--data is not valid JSON: %s at byte %lu", cdrest_json_errstr(p.error),
                               (unsigned long)p.error_pos);
    }
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_call(&t->client, method, path, pairs(t, "param"), data, &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_help(cli *t);

static const command commands[] = {
    {"login", "[USER [PASSWORD]]", 0, 2, "", cmd_login,
     "Log in and save the session (with the server's URL) in the session file, mode 0600.\n"
     "The user comes from USER, --user or $CDREST_USER; the password from PASSWORD (visible in\n"
     "the process list: avoid it), $CDREST_PASSWORD, --password-file or a prompt on a terminal.\n"
     "With --token T (or $CDREST_TOKEN) the token logs in instead.\n"
     "Later commands without credentials use the saved session."},
    {"logout", "", 0, 0, "", cmd_logout, "End the saved session on the server and remove the session file."},
    {"getProperty", "PATH", 1, 1, CONTEXT_OPTIONS "expand", cmd_get_property,
     "Print the property's value exactly as stored, followed by a newline (with --json: the\n"
     "server's answer). PATH is absolute (/projects/P/x, /myJob/x) or relative to the context.\n"
     "--expand 0 returns the value without expanding $[...] references."},
    {"setProperty", "PATH VALUE", 2, 2, CONTEXT_OPTIONS "description", cmd_set_property,
     "Set (create or update) a property; prints the server's answer."},
    {"createProperty", "PATH", 1, 1, CONTEXT_OPTIONS "value description", cmd_create_property,
     "Create a property ([--value V] [--description D]); fails if it exists. Prints the answer."},
    {"deleteProperty", "PATH", 1, 1, CONTEXT_OPTIONS, cmd_delete_property, "Delete a property. Prints nothing."},
    {"getProperties", "[PATH]", 0, 1, CONTEXT_OPTIONS "expand", cmd_get_properties,
     "List a property sheet: PATH, or without it the sheet of --projectName or --jobId.\n"
     "Prints one name=value line per property, sorted as the server sends them; a nested sheet\n"
     "prints as name/ on its own line (not expanded). Backslashes and control characters in\n"
     "names and values are printed as C escapes (\\\\ \\n \\r \\t \\xHH), so each property is one\n"
     "line; use getProperty for the raw bytes, or --json for the server's answer."},
    {"createArtifact", "GROUPID KEY", 2, 2, " description ", cmd_create_artifact,
     "Create the artifact GROUPID:KEY ([--description D]). Prints the server's answer."},
    {"getArtifact", "GROUPID:KEY", 1, 1, "", cmd_get_artifact, "Print an artifact (the server's answer)."},
    {"getArtifacts", "", 0, 0, " groupId ", cmd_get_artifacts, "List the artifacts ([--groupId G] filters)."},
    {"deleteArtifact", "GROUPID:KEY", 1, 1, "", cmd_delete_artifact,
     "Delete an artifact and its versions. Prints nothing."},
    {"createArtifactVersion", "GROUPID:KEY VERSION", 2, 2, " repositoryName description ", cmd_create_artifact_version,
     "Create an artifact version (state publishing until files are published). Prints the answer."},
    {"getArtifactVersion", "GROUPID:KEY:VERSION", 1, 1, "", cmd_get_artifact_version,
     "Print an artifact version (the server's answer)."},
    {"getArtifactVersions", "GROUPID:KEY", 1, 1, "", cmd_get_artifact_versions,
     "List the versions of an artifact (the server's answer)."},
    {"deleteArtifactVersion", "GROUPID:KEY:VERSION", 1, 1, "", cmd_delete_artifact_version,
     "Delete an artifact version. Prints nothing."},
    {"publishArtifactVersion", "GROUPID:KEY VERSION FILE...", 3, -1, " repositoryName ",
     cmd_publish_artifact_version,
     "Upload up to 64 files as the content of an artifact version (a multipart/form-data POST to\n"
     "/commander/publishArtifact.php; the artifact and the version are created when missing).\n"
     "--repositoryName R (default: default). Shows the upload's progress on a terminal."},
    {"runProcedure", "PROJECT --procedureName P [--actualParameter NAME=VALUE ...]", 1, 1,
     " procedureName actualParameter ", cmd_run_procedure,
     "Run a procedure and print the new job's id (with --json: {\"jobId\":...}).\n"
     "Repeat --actualParameter, or give it several NAME=VALUE words as ectool does."},
    {"getJobStatus", "JOBID", 1, 1, "", cmd_get_job_status,
     "Print the job's status and outcome (the server's answer)."},
    {"getJobDetails", "JOBID", 1, 1, "", cmd_get_job_details, "Print the job (the server's answer)."},
    {"waitForJob", "JOBID [--deadline S] [--interval S]", 1, 1, " deadline interval ", cmd_wait_for_job,
     "Poll the job every --interval seconds (default 5) until it completes, or until --deadline\n"
     "seconds pass (default: no limit). Shows the status on stderr when it is a terminal. Prints\n"
     "the outcome (with --json: jobId, status and outcome). Exit status 0 only when the outcome\n"
     "is success; 1 for any other outcome or when the deadline passes."},
    {"call", "METHOD PATH [--data JSON] [--param NAME=VALUE ...]", 2, 2, " data param ", cmd_call,
     "Any endpoint: METHOD /rest/v1.0PATH (call GET /projects/Default). PATH is sent as typed,\n"
     "except that spaces, quotes, control characters and non-ASCII bytes are percent-encoded.\n"
     "--data is the JSON body; each --param NAME=VALUE is added to the query string.\n"
     "Prints the server's answer."},
    {"help", "[COMMAND]", 0, 1, "", cmd_help, "Print the usage of cdrest or of one command."},
};

static const command *find_command(const char *name) {
    size_t i;
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

static int cmd_help(cli *t) {
    const command *cmd = t->nargs ? find_command(t->args[0]) : NULL;
    if (t->nargs && !cmd) return usage_error(t, "unknown command '%s'", t->args[0]);
    if (cmd) print_command_help(cmd);
    else fputs(usage_text, stdout);
    return 0;
}

/* ===========================================================================
   Parsing the command line
   =========================================================================== */

static const char **global_value(cli *t, const char *name) {
    if (!strcmp(name, "server")) return &t->server;
    if (!strcmp(name, "user")) return &t->user;
    if (!strcmp(name, "password-file")) return &t->password_file;
    if (!strcmp(name, "token")) return &t->token;
    if (!strcmp(name, "token-file")) return &t->token_file;
    if (!strcmp(name, "session-file")) return &t->session_file;
    if (!strcmp(name, "cacert")) return &t->cacert;
    if (!strcmp(name, "pin")) return &t->pin;
    if (!strcmp(name, "timeout")) return &t->timeout;
    return NULL;
}

static int *global_flag(cli *t, const char *name) {
    if (!strcmp(name, "basic")) return &t->basic;
    if (!strcmp(name, "insecure")) return &t->insecure;
    if (!strcmp(name, "verbose")) return &t->verbose;
    if (!strcmp(name, "allow-plain-http")) return &t->allow_plain_http;
    if (!strcmp(name, "json")) return &t->json;
    if (!strcmp(name, "help")) return &t->help;
    if (!strcmp(name, "version")) return &t->version;
    return NULL;
}

static int is_pair_option(const char *name) {
    return !strcmp(name, "actualParameter") || !strcmp(name, "param");
}

/* 1 if some command takes --name. */
static int is_command_option(const char *name) {
    size_t i;
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (in_list(commands[i].options, name)) return 1;
    return 0;
}

/* Add "--name value" to the command's options; NAME=VALUE words are split in place. */
static int add_command_option(cli *t, const char *name, char *value) {
    option_arg *o = &t->opts[t->nopts];
    int i;
    o->name = name;
    o->value = value;
    o->pair_value = NULL;
    if (is_pair_option(name)) {
        char *eq = strchr(value, '=');
        if (!eq || eq == value) return usage_error(t, "--%s wants NAME=VALUE, not '%s'", name, value);
        *eq = 0;
        o->pair_value = eq + 1;
    } else {
        for (i = 0; i < t->nopts; i++)
            if (!strcmp(t->opts[i].name, name)) return usage_error(t, "option --%s is given twice", name);
    }
    t->nopts++;
    return 0;
}

/* One "--name[=value]" argument at argv[*i]; may consume the following words. */
static int parse_option(cli *t, int argc, char **argv, int *i) {
    char *name = argv[*i] + 2, *value = strchr(name, '=');
    const char **slot;
    int *flag, rc;
    if (value) *value++ = 0; /* --name=value */
    if ((flag = global_flag(t, name)) != NULL) {
        if (value) return usage_error(t, "option --%s takes no value", name);
        *flag = 1;
        return 0;
    }
    slot = global_value(t, name);
    if (!slot && strcmp(name, "password") != 0 && !is_command_option(name))
        return usage_error(t, "unknown option --%s", name);
    if (!value && *i + 1 >= argc) return usage_error(t, "option --%s needs a value", name);
    if (!value) value = argv[++*i];
    if (slot == &t->token) return take_token(t, value);
    if (slot) *slot = value;
    else if (!strcmp(name, "password")) return take_password(t, value, "--password");
    else if ((rc = add_command_option(t, name, value)) != 0) return rc;
    /* ectool style: --actualParameter a=1 b=2 takes the NAME=VALUE words that follow */
    while (is_pair_option(name) && *i + 1 < argc && strchr(argv[*i + 1], '=') && argv[*i + 1][0] != '-' &&
           argv[*i + 1][0] != '/')
        if ((rc = add_command_option(t, name, argv[++*i])) != 0) return rc;
    return 0;
}

static int parse_command_line(cli *t, int argc, char **argv) {
    int i, rc, only_words = 0;
    for (i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!only_words && !strcmp(a, "--")) {
            only_words = 1;
        } else if (!only_words && a[0] == '-' && a[1] == '-' && a[2]) {
            if ((rc = parse_option(t, argc, argv, &i)) != 0) return rc;
        } else if (!only_words && !strcmp(a, "-h")) {
            t->help = 1;
        } else if (!t->cmd_name) {
            t->cmd_name = a;
        } else {
            t->args[t->nargs++] = a;
        }
    }
    return 0;
}

/* The command, its arguments and its options make sense together. */
static int check_command(cli *t) {
    int i;
    if (!t->cmd_name) return usage_error(t, "no command given");
    if (!(t->cmd = find_command(t->cmd_name))) return usage_error(t, "unknown command '%s'", t->cmd_name);
    if (t->help) return 0;
    if (t->nargs < t->cmd->min_args) {
        const char *wanted = t->cmd->synopsis;
        return usage_error(t, "%s: missing argument (wants %s)", t->cmd->name, wanted);
    }
    if (t->cmd->max_args >= 0 && t->nargs > t->cmd->max_args)
        return usage_error(t, "%s: too many arguments ('%s')", t->cmd->name, t->args[t->cmd->max_args]);
    for (i = 0; i < t->nopts; i++)
        if (!in_list(t->cmd->options, t->opts[i].name))
            return usage_error(t, "%s does not take --%s", t->cmd->name, t->opts[i].name);
    return 0;
}

static int run(cli *t, int argc, char **argv) {
    int rc;
    if ((rc = parse_command_line(t, argc, argv)) != 0) return rc;
    if (t->version) {
        printf("cdrest %s\n", CDREST_VERSION);
        return 0;
    }
    if (t->help && !t->cmd_name) {
        fputs(usage_text, stdout);
        return 0;
    }
    if ((rc = check_command(t)) != 0) return rc;
    if (t->help) {
        print_command_help(t->cmd);
        return 0;
    }
    rc = t->cmd->run(t);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        say(t, "cannot write the output: %s", strerror(errno));
        if (!rc) rc = EXIT_NETWORK;
    }
    return rc;
}

int main(int argc, char **argv) {
    cli t;
    int rc;
    memset(&t, 0, sizeof t);
    t.args = (char **)calloc((size_t)argc + 1, sizeof *t.args);
    t.opts = (option_arg *)calloc((size_t)argc + 1, sizeof *t.opts);
    t.params = (cdrest_param *)calloc((size_t)argc + 1, sizeof *t.params);
    if (!t.args || !t.opts || !t.params) {
        fprintf(stderr, "cdrest: out of memory\n");
        return EXIT_NETWORK;
    }
    rc = run(&t, argc, argv);
    close_client(&t);
    wipe(t.password, sizeof t.password);
    wipe(t.token_copy, sizeof t.token_copy);
    wipe(t.saved_session, sizeof t.saved_session);
    wipe(t.first_session, sizeof t.first_session);
    free(t.args);
    free(t.opts);
    free(t.params);
    return rc;
}
