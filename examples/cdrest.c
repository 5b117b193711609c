/* SPDX-License-Identifier: MIT */
/* cdrest.c - the `cdrest` command-line tool: an ectool-like front end to the
   CloudBees CD/RO REST API, built on cdrest.h. It is also the library's largest
   example: every command below is a few lines around one cdrest_* call.

   build:  cc -std=c99 -I. -o build/cdrest examples/cdrest.c -lbearssl   (or: make build/cdrest)
   run:    cdrest --server https://cd.example.com:8443 login admin
           cdrest getProperty /projects/Default/version
           cdrest runProcedure Default --procedureName build --actualParameter branch=main
           cdrest --help

   It takes ectool's forms: each command's operands also by ectool's names (--propertyName,
   --jobId, ...). Adding a command is one row of `commands` plus its run function (a few
   lines around a cdrest_* call, or around cdrest_call for a REST path the library has no
   typed call for); adding a global option is one row of `global_options`.

   Exit status: 0 success; 1 the server refused the request (its code and message on
   stderr); 2 a usage error; 3 a network, TLS or protocol failure; 4 the job completed
   with outcome error; 5 ... with outcome warning (0 with --warning-ok); 6 the wait's
   deadline passed (the job still runs); 7 a local file could not be used (a value or
   upload file, the session file, the output). */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CDREST_IMPLEMENTATION
#include "cdrest.h"

enum {
    EXIT_SERVER = 1,        /* the server answered with an error */
    EXIT_USAGE = 2,         /* the command line was wrong */
    EXIT_NETWORK = 3,       /* network, TLS or protocol failure */
    EXIT_JOB_ERROR = 4,     /* the job completed with outcome error (or skipped, or none) */
    EXIT_JOB_WARNING = 5,   /* the job completed with outcome warning */
    EXIT_WAIT_DEADLINE = 6, /* the wait's deadline passed before the job completed */
    EXIT_LOCAL = 7          /* a local file: value, upload, session file, the output */
};

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* How a command uses the client: login makes a session, logout ends the saved one,
   every other command sends whatever credentials it finds. */
enum { FOR_CALL, FOR_LOGIN, FOR_LOGOUT, FOR_ANON /* credentials if any, else none */ };

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
/* One command. Adding a command is one row of `commands` below plus its run function.
   `named` gives ectool's names of the positional operands in order: each may also be
   given as --name value (ectool's named form), wherever it stands on the line. */
typedef struct command {
    const char *name;
    const char *synopsis;   /* its arguments, for the usage line (the short form) */
    int min_args, max_args; /* positional arguments; max_args -1: any number */
    const char *named;      /* ectool's names of the positional operands, space-separated */
    const char *options;    /* the other --name value options it takes, space-separated */
    int (*run)(struct cli *t);
    const char *help;
    const char *ectool; /* the same command in ectool's named form, for its --help */
} command;

typedef struct cli {
    /* global options (values point into argv) */
    const char *server, *user, *password_file, *token, *token_file, *session_file, *cacert, *pin, *timeout;
    const char *port, *secure_port, *secure, *format, *proxy, *noproxy;
    int basic, insecure, verbose, allow_plain_http, json, help, version, silent, warning_ok;
    /* the command */
    const char *cmd_name;
    const command *cmd;
    char **args;
    int nargs;
    option_arg *opts;
    int nopts;
    cdrest_param *params; /* scratch for the parameter lists handed to the library */
    /* credentials and sessions */
    char password[256]; /* the password, wherever it came from; wiped at exit */
    int have_password;
    char token_copy[1024]; /* the token from --token or --token-file (t->token then points here) */
    char session_path[1024];
    char saved_server[1024], saved_user[256], saved_session[256];
    int session_loaded;         /* the session file was looked for */
    char session_problem[1200]; /* why it could not be read (said only when it is needed) */
    int have_saved;             /* ... and holds a session */
    int use_saved;              /* ... and its session is what this run sends */
    char server_url[1024];      /* the server this run talks to */
    char first_session[256];    /* the session the client started with, if any */
    const char *login_user;     /* the user name sent, if any */
    /* the client */
    cdrest_client client;
    int client_open;
    int mode;                 /* FOR_CALL, FOR_LOGIN, FOR_LOGOUT or FOR_ANON */
    char *owned[4];           /* values read from files or stdin, freed at exit */
    char artifact_name[1024]; /* "G:K" from ectool's --groupId G --artifactKey K */
    int nowned;
} cli;

/* The signal (SIGINT, SIGTERM, SIGHUP) that asked us to stop, or 0. The run finishes its
   current request, logs out the session it made, then dies of that signal. */
static volatile sig_atomic_t stop_signal;

/* The context parameters of property and job calls: each --xxx option becomes a
   parameter of the same name. These are the CD object kinds a property can belong to. */
#define CONTEXT_OPTIONS                                                               \
    " projectName procedureName stepName jobId jobStepId resourceName artifactName"   \
    " artifactVersionName scheduleName workflowName workflowDefinitionName stateName" \
    " applicationName componentName environmentName pipelineName releaseName"         \
    " stageName taskName flowRuntimeId configName credentialName userName groupName"  \
    " repositoryName workspaceName zoneName "

/* ---------------------------------------------------------------------------
   Messages
   --------------------------------------------------------------------------- */

/* Overwrite every copy of a secret in s with '*' (the length shows, nothing else). A short
   secret is left alone: masking every "p" of a message both garbles it and shows where the
   secret's letters are (the library never puts a secret in a message; this is a second line). */
#define MASK_MIN 8
static void mask_secret(char *s, const char *secret) {
    size_t n = secret ? strlen(secret) : 0;
    char *p = s;
    if (n < MASK_MIN) return;
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

/* Make a line safe for a terminal: control characters (C0, DEL, and C1 as UTF-8
   C2 80..9F) become '?'. Server text can hold escape sequences (title changes, screen
   clears); nothing the server sends reaches the terminal raw. */
static void sanitize(char *s) {
    unsigned char *p = (unsigned char *)s;
    for (; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            p[0] = p[1] = '?';
    }
}

/* A server string (job id, status, outcome) copied and made safe to print. */
static const char *clean(const char *in, char *out, size_t cap) {
    snprintf(out, cap, "%s", in ? in : "");
    sanitize(out);
    return out;
}

/* Write s as a JSON string (the caller's output is plain ASCII or UTF-8). */
static void put_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* An error on stderr: "cdrest: <line>", or with --json {"error":{"code","message","status"}}
   (status: the HTTP status when the server answered, else 0). Secrets masked, made safe. */
static void report(cli *t, const char *code, int http_status, const char *line_in) {
    char line[1200];
    snprintf(line, sizeof line, "%s", line_in);
    mask_secrets(t, line);
    sanitize(line);
    if (!t->json) {
        fprintf(stderr, "cdrest: %s\n", line);
        return;
    }
    fputs("{\"error\":{\"code\":", stderr);
    put_json_string(stderr, code);
    fputs(",\"message\":", stderr);
    put_json_string(stderr, line);
    fprintf(stderr, ",\"status\":%d}}\n", http_status);
}

/* "cdrest: <formatted text>" on stderr, secrets masked, control characters replaced. */
static void say(cli *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void say(cli *t, const char *fmt, ...) {
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    mask_secrets(t, line);
    sanitize(line);
    fprintf(stderr, "cdrest: %s\n", line);
}

static int usage_error(cli *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int usage_error(cli *t, const char *fmt, ...) {
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    report(t, "UsageError", 0, line);
    if (t->json) return EXIT_USAGE;
    if (t->cmd)
        fprintf(stderr, "Try 'cdrest %s --help'.\n", t->cmd->name);
    else
        fprintf(stderr, "Try 'cdrest --help'.\n");
    return EXIT_USAGE;
}

/* A local file that cannot be used (value, upload, session file): exit status 7. */
static int local_error(cli *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int local_error(cli *t, const char *fmt, ...) {
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    report(t, "LocalFileError", 0, line);
    return EXIT_LOCAL;
}

/* The exit status for a library error: 1 when the server said no, 2 when the
   arguments were wrong, 3 when the network, TLS or the protocol failed, 6 when a
   wait's own deadline passed. */
static int exit_status_for(int rc) {
    switch (rc) {
        case CDREST_E_SERVER:
        case CDREST_E_AUTH:
        case CDREST_E_HTTP: return EXIT_SERVER;
        case CDREST_E_ARG: return EXIT_USAGE;
        case CDREST_E_DEADLINE: return EXIT_WAIT_DEADLINE;
        case CDREST_E_FILE: return EXIT_LOCAL; /* a file the library read for us (a published directory's) */
        default: return EXIT_NETWORK;
    }
}

/* A name for the error class, for --json errors when the server gave no code. */
static const char *error_code_name(int rc) {
    switch (rc) {
        case CDREST_E_ARG: return "InvalidArgument";
        case CDREST_E_NOMEM: return "OutOfMemory";
        case CDREST_E_RESOLVE: return "ResolveFailed";
        case CDREST_E_CONNECT: return "ConnectFailed";
        case CDREST_E_TIMEOUT: return "Timeout";
        case CDREST_E_IO: return "ConnectionFailed";
        case CDREST_E_TLS: return "TLSFailed";
        case CDREST_E_PROTOCOL: return "ProtocolError";
        case CDREST_E_TOOLARGE: return "TooLarge";
        case CDREST_E_JSON: return "InvalidJSON";
        case CDREST_E_HTTP: return "HTTPError";
        case CDREST_E_AUTH: return "AuthenticationFailed";
        case CDREST_E_UNSUPPORTED: return "Unsupported";
        case CDREST_E_DEADLINE: return "Deadline";
        default: return "ServerError";
    }
}

/* Report a failed library call and return the exit status it maps to. A network error
   names the proxy in use, if any. */
static int fail(cli *t, int rc) {
    const cdrest_error *e = cdrest_last_error(&t->client);
    const char *msg = cdrest_errmsg(&t->client);
    char line[1200];
    int network = exit_status_for(rc) == EXIT_NETWORK;
    snprintf(line, sizeof line, "%s: %s%s%s%s", t->cmd->name, msg[0] ? msg : cdrest_strerror(rc),
             network && t->client.use_proxy ? " (through the proxy " : "",
             network && t->client.use_proxy ? t->client.proxy_url.host : "", network && t->client.use_proxy ? ")" : "");
    report(t, e->server_code[0] ? e->server_code : error_code_name(rc), e->http_status, line);
    if (rc == CDREST_E_AUTH && t->use_saved && !t->json)
        fprintf(stderr, "cdrest: the session saved in %s was refused; run 'cdrest login' again\n", t->session_path);
    return exit_status_for(rc);
}

/* Commands ectool has that cdrest does not offer, each with the reason. */
static const char *const not_offered[][2] = {
    { "retrieveArtifactVersions",
      "downloading artifacts needs the artifact repository's download protocol, which CloudBees "
      "does not document publicly (ectool speaks it in its own code); cdrest does not guess it" },
};

/* An unknown command: one ectool has but cdrest does not offer says so and why;
   otherwise the nearest command name is suggested. */
static int unknown_command(cli *t, const char *name);

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
    "  --server URL|HOST      the CD server (or $CDREST_SERVER; inside a job step $COMMANDER_SERVER\n"
    "                         etc.; else the server of the session saved by 'login'). A bare HOST\n"
    "                         (ectool's form) means https://HOST:8443, or with --secure 0 http://HOST:8000;\n"
    "                         HOST:PORT means https://HOST:PORT\n"
    "  --port N, --securePort N, --secure 0|1   ectool's port options for a bare HOST\n"
    "  --user U               (or $CDREST_USER)\n"
    "  --password P           visible to every user in the process list: prefer $CDREST_PASSWORD,\n"
    "                         --password-file or the prompt (on a terminal, when a password is missing)\n"
    "  --password-file FILE   read the password from the first line of FILE\n"
    "  --token T              a user access token; visible in the process list until cdrest blanks it:\n"
    "                         prefer $CDREST_TOKEN or --token-file\n"
    "  --token-file FILE      read the token from the first line of FILE\n"
    "                         A user with a password, or a token, always win over a saved session.\n"
    "  --basic                HTTP Basic auth on every call instead of a session\n"
    "  --session-file PATH    where 'login' saves the session (default ~/.cdrest_session, mode 0600;\n"
    "                         without $HOME only login and logout need one)\n"
    "  --cacert FILE          trust the CA certificates in FILE (PEM) instead of the system's (or\n"
    "                         $CDREST_CACERT, $CURL_CA_BUNDLE, $REQUESTS_CA_BUNDLE; $SSL_CERT_FILE and\n"
    "                         $SSL_CERT_DIR replace the system bundle)\n"
    "  --pin sha256//BASE64   also require this public key (curl's format; ';' separates several)\n"
    "  -k, --insecure         do NOT verify the server's certificate (warns every time; -kv combines)\n"
    "  --proxy URL            http://[user:pass@]host:port (default: $https_proxy, $http_proxy, ...)\n"
    "  --noproxy LIST         hosts reached directly, comma-separated ('*': all), as curl's\n"
    "  --timeout SECONDS      for each request (default 60); for an upload, the time without progress.\n"
    "                         After runProcedure and waitForJob, it is the whole run's limit, as in ectool\n"
    "  -v, --verbose          trace every request on stderr (secrets masked) and the proxy in use\n"
    "  --allow-plain-http     send credentials over http:// to a non-loopback host (refused otherwise)\n"
    "  --json, --format json  print JSON for every command (errors too: {\"error\":{\"code\",\"message\",\n"
    "                         \"status\"}} on stderr)\n"
    "  --silent               print no result (errors still go to stderr)\n"
    "  --warning-ok           a job that completes with outcome warning counts as success\n"
    "  -h, --help, --version  (-h only before the command's operands; --help with them is an error)\n";

static const char usage_commands[] =
    "\n"
    "Commands (each also takes its operands by ectool's names: --propertyName, --jobId, ...):\n"
    "  login [USER [PASSWORD]]         logout\n"
    "  getProperty PATH                prints the value only (raw, no JSON quoting)\n"
    "  setProperty PATH [VALUE] [--value V] [--valueFile F|-]   (--valueFile -: stdin)\n"
    "  createProperty PATH [--value V|--valueFile F] [--propertyType sheet]   deleteProperty PATH\n"
    "  incrementProperty PATH [BY]\n"
    "  getProperties [PATH]            prints name=value lines (a nested sheet as name/); PATH may be\n"
    "                                  an object: /server, /resources/R, ... [--recurse 1]\n"
    "  createArtifact GROUPID KEY      getArtifact GROUPID:KEY   getArtifacts   deleteArtifact GROUPID:KEY\n"
    "  createArtifactVersion GROUPID:KEY VERSION   getArtifactVersion G:K:V   getArtifactVersions G:K\n"
    "  deleteArtifactVersion G:K:V\n"
    "  publishArtifactVersion G:K VERSION [FILE... | --fromDirectory D [--includePatterns P]]\n"
    "                                  (default: the current directory, subdirectories too)\n"
    "  runProcedure PROJECT --procedureName P [--actualParameter NAME=VALUE ...] [--scheduleName S]\n"
    "               [--pollInterval S [--timeout S]]   prints the job id; with --pollInterval waits\n"
    "  getJobStatus JOBID   getJobDetails JOBID   getJobStepDetails [JOBSTEPID]   abortJob JOBID [--force 1]\n"
    "  waitForJob JOBID [--timeout S] [--pollInterval S]   prints the outcome\n"
    "  runPipeline PROJECT PIPELINE [--actualParameter N=V ...] [--stagesToRun S | --startingStage S]\n"
    "  getPipelineRuntimeDetails FLOWRUNTIMEID   findObjects TYPE [--filter JSON] [--sort JSON]\n"
    "  evalDsl DSL|-  [--dslFile F]    getServerStatus\n"
    "  call METHOD PATH [--data JSON|@FILE|@-] [--param NAME=VALUE ...]\n"
    "                                  any other endpoint; PATH is relative to /rest/v1.0\n"
    "  help [COMMAND]                  ('cdrest COMMAND --help' shows the ectool and short forms)\n"
    "  (not offered: retrieveArtifactVersions, --toDirectory: the download protocol is not public)\n"
    "Output: getProperty prints the raw value; runProcedure the job id; deletes and logout print\n"
    "nothing; other commands print the server's JSON answer.\n"
    "Context options for property and job calls: --projectName --procedureName --jobId --jobStepId\n"
    "--resourceName --artifactName ... (see 'cdrest getProperty --help').\n"
    "Credentials: --user with a password, or --token, log in for this run (and log out after it,\n"
    "also when the run is interrupted or its output pipe closes); otherwise the session saved by\n"
    "'login' is used when it belongs to the same server (and user).\n"
    "Exit status: 0 success; 1 the server refused the request (its code and message on stderr);\n"
    "  2 usage error; 3 network, TLS or protocol failure; 4 the job completed with outcome error\n"
    "  (or skipped); 5 the job completed with outcome warning (0 with --warning-ok); 6 the wait's\n"
    "  deadline passed (the job still runs); 7 a local file could not be used (value, upload,\n"
    "  session file, the output).\n";

static void print_usage(void) {
    fputs(usage_text, stdout);
    fputs(usage_commands, stdout);
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
    ssize_t got = 0;
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
        return usage_error(t,
                           "no password for %s, and no terminal to ask for one: set $CDREST_PASSWORD, "
                           "or use --password-file",
                           user);
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
    fprintf(stderr,
            "cdrest: warning: %s is visible to other users in the process list; prefer "
            "$CDREST_PASSWORD, --password-file or the prompt\n",
            what);
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

/* The session file's path: --session-file, else ~/.cdrest_session. Without $HOME there
   is none, which only login and logout need (a one-off run in CI has no home). */
static int find_session_path(cli *t, int needed) {
    const char *home = getenv("HOME");
    int n = 0;
    if (t->session_file)
        n = snprintf(t->session_path, sizeof t->session_path, "%s", t->session_file);
    else if (home && *home)
        n = snprintf(t->session_path, sizeof t->session_path, "%s/.cdrest_session", home);
    else if (needed)
        return usage_error(t, "$HOME is not set: give --session-file PATH");
    else
        t->session_path[0] = 0;
    if (n < 0 || (size_t)n >= sizeof t->session_path) return usage_error(t, "the session file path is too long");
    return 0;
}

/* Copy the value of "key=value" in line into dst when the key matches. */
static void take_field(const char *line, const char *key, char *dst, size_t cap) {
    size_t k = strlen(key);
    if (strncmp(line, key, k) == 0 && line[k] == '=' && strlen(line + k + 1) < cap) strcpy(dst, line + k + 1);
}

/* Read the saved session, if there is one. A missing file is no error; a file that
   cannot be read (unreadable, a FIFO, a directory) is remembered in session_problem and
   reported only by a run that needs the saved session. It is opened without blocking
   and must be a regular file: a FIFO never hangs a run. */
static void load_session(cli *t) {
    char text[2048], *line, *next;
    struct stat st;
    ssize_t n;
    int fd;
    if (t->session_loaded || !t->session_path[0]) return;
    t->session_loaded = 1;
    if ((fd = open(t->session_path, O_RDONLY | O_NONBLOCK | O_NOCTTY)) < 0) {
        if (errno != ENOENT)
            snprintf(t->session_problem, sizeof t->session_problem, "cannot read the session file %s: %s",
                     t->session_path, strerror(errno));
        return;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(t->session_problem, sizeof t->session_problem, "the session file %s is not a regular file",
                 t->session_path);
        close(fd);
        return;
    }
    if (st.st_mode & 077) say(t, "warning: %s is readable by other users (chmod 600 it)", t->session_path);
    n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n < 0) {
        snprintf(t->session_problem, sizeof t->session_problem, "cannot read the session file %s: %s", t->session_path,
                 strerror(errno));
        return;
    }
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
        return local_error(t, "cannot create %s: %s", tmp, strerror(errno));
    }
    ok = fchmod(fd, 0600) == 0 && write_all(fd, text, (size_t)n) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    wipe(text, sizeof text);
    if (!ok || rename(tmp, t->session_path) != 0) {
        int err = errno;
        unlink(tmp);
        return local_error(t, "cannot write the session file %s: %s", t->session_path, strerror(err));
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

/* 1 if host is named by curl's --noproxy list: "*", or comma-separated names, each
   matching the host itself or a domain above it ("example.com" covers a.example.com). */
static int host_in_list(const char *list, const char *host) {
    size_t hn = strlen(host);
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ", ");
        const char *name = p;
        if (n && name[0] == '.') name++, n--;
        if ((n == 1 && name[0] == '*') ||
            (n && n <= hn && !strncasecmp(host + hn - n, name, n) && (hn == n || host[hn - n - 1] == '.')))
            return 1;
        p += strcspn(p, ", ");
        p += strspn(p, ", ");
    }
    return 0;
}

/* The CA file: --cacert, else $CDREST_CACERT, else curl's $CURL_CA_BUNDLE or Python's
   $REQUESTS_CA_BUNDLE. ($SSL_CERT_FILE and $SSL_CERT_DIR replace the system bundle in
   the library itself.) */
static const char *ca_file(const cli *t) {
    if (t->cacert) return t->cacert;
    if (env_value("CDREST_CACERT")) return env_value("CDREST_CACERT");
    if (env_value("CURL_CA_BUNDLE")) return env_value("CURL_CA_BUNDLE");
    return env_value("REQUESTS_CA_BUNDLE");
}

/* TLS, timeouts, proxy and tracing: everything but the server and the credentials. */
/* The largest answer the tool reads: the JSON of any value it lets you set (64 MiB, each
   byte escaped as "\u0001" at worst: 6 bytes) with room for the object around it. A smaller
   cap would report a write the server confirmed as failed, and leave the value unreadable. */
#define MAX_ANSWER_BYTES ((size_t)6 * 64 * 1024 * 1024 + (size_t)1024 * 1024)

static int base_config(cli *t, cdrest_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->max_body = MAX_ANSWER_BYTES;
    cfg->tls.ca_file = ca_file(t);
    cfg->tls.pin = t->pin;
    cfg->tls.tls_insecure_skip_verify = t->insecure;
    cfg->allow_plain_http = t->allow_plain_http;
    cfg->basic_auth = t->basic;
    cfg->proxy = t->proxy;
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

/* A port number option (--port, --securePort). */
static int parse_port(cli *t, const char *what, const char *text, long *port) {
    char *end;
    *port = strtol(text, &end, 10);
    if (end == text || *end || *port < 1 || *port > 65535)
        return usage_error(t, "%s wants a port number (1-65535), not '%s'", what, text);
    return 0;
}

/* The server as a URL. ectool takes a bare host name (--server cdhost) with --secure
   (default 1), --securePort (default 8443) and --port (default 8000), the defaults of a
   job step's COMMANDER_* settings; a URL is used as given, and then those options would
   contradict it. */
/* 1 for "HOST:PORT" (one colon, digits after it) or "[V6]:PORT"; a bare IPv6 address
   has two colons or more and no port. */
static int host_port(const char *server) {
    const char *colon = strrchr(server, ':'), *close = strchr(server, ']');
    if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1)) return 0;
    if (server[0] == '[') return close && close + 1 == colon;
    return strchr(server, ':') == colon;
}

static int server_url(cli *t, const char *server, char *out, size_t cap) {
    long port = 0;
    int secure = 1, rc, n;
    if (strstr(server, "://")) {
        if (t->port || t->secure_port || t->secure)
            return usage_error(t,
                               "--server %s is a URL: give the port and the scheme in it, not with "
                               "--port, --securePort or --secure",
                               server);
        n = snprintf(out, cap, "%s", server);
        return n < 0 || (size_t)n >= cap ? usage_error(t, "the server URL is too long") : 0;
    }
    if (t->secure) {
        if (strcmp(t->secure, "0") && strcmp(t->secure, "1"))
            return usage_error(t, "--secure wants 0 or 1, not '%s'", t->secure);
        secure = t->secure[0] == '1';
    }
    if ((rc = parse_port(t, secure ? "--securePort" : "--port",
                         secure ? (t->secure_port ? t->secure_port : "8443") : (t->port ? t->port : "8000"), &port)) !=
        0)
        return rc;
    if (!*server || strpbrk(server, "/?#@ ")) return usage_error(t, "--server '%s' is no host name or URL", server);
    if (host_port(server)) { /* HOST:PORT, [V6]:PORT: the port is in it (the scheme is --secure's) */
        if (t->port || t->secure_port)
            return usage_error(t, "--server %s has its port: give no --port or --securePort", server);
        n = snprintf(out, cap, "%s://%s", secure ? "https" : "http", server);
        return n < 0 || (size_t)n >= cap ? usage_error(t, "the server name is too long") : 0;
    }
    n = snprintf(out, cap, strchr(server, ':') && server[0] != '[' ? "%s://[%s]:%ld" : "%s://%s:%ld",
                 secure ? "https" : "http", server, port);
    return n < 0 || (size_t)n >= cap ? usage_error(t, "the server name is too long") : 0;
}

/* 1 if the run names credentials of its own: a token, or a user with a password. They
   always win over a saved session (whoever saved it). */
static int explicit_credentials(cli *t, const char *user, const char *token) {
    return token != NULL || (user != NULL && t->have_password);
}

/* The credentials this run sends. A user with a password, or a token, log in for this
   run; the session saved by login is sent only when the run names no credentials of its
   own, the session belongs to this server and, when a user is named, to that very user
   (a session saved by a token login belongs to no named user); inside a job step the
   step's own session is used. A user with none of these is asked for the password on a
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
            return usage_error(t, "the session in %s is for %s, not %s", t->session_path, t->saved_server,
                               t->server_url);
        t->use_saved = 1;
        cfg->session_id = t->saved_session;
        return 0;
    }
    if ((rc = find_password(t)) != 0) return rc;
    t->use_saved = (t->mode == FOR_CALL || t->mode == FOR_ANON) && this_server && !t->basic && !in_job_step &&
                   !explicit_credentials(t, user, token) && (!user || !strcmp(user, t->saved_user));
    if (t->use_saved) cfg->session_id = t->saved_session;
    if (token && !t->basic) {
        cfg->token = token;
        return 0;
    }
    if (!user) {
        if (t->use_saved || step_session) return t->basic ? usage_error(t, "--basic needs a user and a password") : 0;
        if (t->mode == FOR_LOGIN) return usage_error(t, "login needs a user name (or --token)");
        if (t->mode == FOR_ANON) return 0;
        if (t->session_problem[0]) return local_error(t, "%s", t->session_problem);
        return usage_error(t, "not logged in: run 'cdrest login' first, or give --user (or $CDREST_USER) or --token");
    }
    if (!t->have_password && (t->mode == FOR_LOGIN || t->basic || !(t->use_saved || step_session)) &&
        (rc = prompt_password(t, user)) != 0)
        return rc;
    cfg->user = t->login_user = user;
    cfg->password = t->have_password ? t->password : NULL;
    return 0;
}

/* Set up t->client for the command. Returns 0 or an exit status. A setup that fails
   sends nothing and touches no session: the client is freed at once, never logged out. */
static int open_client(cli *t, int mode) {
    cdrest_config cfg;
    const char *server = t->server ? t->server : env_value("CDREST_SERVER");
    int in_job_step = !server && mode != FOR_LOGOUT && env_value("COMMANDER_SERVER") != NULL, rc;
    t->mode = mode;
    if ((rc = find_session_path(t, mode == FOR_LOGIN || mode == FOR_LOGOUT)) != 0) return rc;
    load_session(t);
    if (mode == FOR_LOGOUT && t->session_problem[0]) return local_error(t, "%s", t->session_problem);
    if (!server && !in_job_step && t->have_saved) server = t->saved_server;
    if (!server && !in_job_step) {
        if (t->session_problem[0]) return local_error(t, "%s", t->session_problem);
        return usage_error(t, "no server: give --server URL or set $CDREST_SERVER");
    }
    if (server && (rc = server_url(t, server, t->server_url, sizeof t->server_url)) != 0) return rc;
    if ((rc = base_config(t, &cfg)) != 0 || (rc = choose_credentials(t, &cfg, in_job_step)) != 0) return rc;
    if (t->insecure) warn_insecure();
    cfg.server = server ? t->server_url : NULL;
    if (t->noproxy && !strcmp(t->noproxy, "*")) cfg.no_proxy = 1;
    rc = in_job_step ? cdrest_init_from_env(&t->client, &cfg) : cdrest_init(&t->client, &cfg);
    if (rc) {
        rc = fail(t, rc);
        cdrest_free(&t->client);
        return rc;
    }
    t->client_open = 1;
    if (in_job_step) client_url(&t->client, t->server_url, sizeof t->server_url);
    if (t->noproxy && host_in_list(t->noproxy, t->client.url.host)) t->client.use_proxy = 0;
    snprintf(t->first_session, sizeof t->first_session, "%s", cdrest_session_id(&t->client));
    if (t->verbose) {
        say(t, "server %s, %s", t->server_url,
            t->use_saved   ? "the saved session"
            : cfg.token    ? "a token"
            : t->basic     ? "Basic auth"
            : cfg.password ? "a new session"
            : in_job_step  ? "the job step's session"
                           : "no credentials");
        if (t->client.use_proxy)
            say(t, "through the proxy %s:%u", t->client.proxy_url.host, (unsigned)t->client.proxy_url.port);
    }
    /* A per-run session is made here, before the command's own request, so that a stop
       signal during the login (a slow server, Ctrl-C) ends the run before anything is
       changed: the session is logged out and nothing else is sent. */
    if (mode == FOR_CALL && cfg.password && !t->basic && !cdrest_session_id(&t->client)[0] &&
        (rc = cdrest_login(&t->client)) != 0)
        return fail(t, rc);
    if (stop_signal) {
        say(t, "interrupted before the request was sent: nothing was changed");
        return EXIT_NETWORK;
    }
    return 0;
}

/* Log out a session this run made (login keeps its own), then free the client. */
static void close_client(cli *t) {
    const char *sid;
    if (!t->client_open) return;
    sid = cdrest_session_id(&t->client);
    if ((t->mode == FOR_CALL || t->mode == FOR_ANON) && sid[0] && strcmp(sid, t->first_session) != 0)
        cdrest_logout(&t->client);
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
    if (!n) return 0;
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

/* Server text for stdout: raw into a pipe or a file (scripts get the exact bytes), with
   control characters other than newline and tab shown as '?' on a terminal. */
static void print_out(const char *s, size_t n) {
    size_t i;
    if (!isatty(STDOUT_FILENO)) {
        fwrite(s, 1, n, stdout);
        return;
    }
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
            ch = '?';
        else if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f) {
            fputs("??", stdout);
            i++;
            continue;
        }
        putchar(ch);
    }
}

static int print_doc(const cdrest_doc *d) {
    if (d->len) {
        print_out(d->json, d->len);
        putchar('\n');
    }
    return 0;
}

/* Print s[0..n) on one line: backslash and control characters as C escapes; in a name
   (is_name) also '=' and '/' (\x3d, \x2f), so that "name=value" splits at the first '='
   and "name/" is only ever a nested sheet. */
static void print_escaped(const char *s, size_t n, int is_name) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\\')
            fputs("\\\\", stdout);
        else if (ch == '\n')
            fputs("\\n", stdout);
        else if (ch == '\r')
            fputs("\\r", stdout);
        else if (ch == '\t')
            fputs("\\t", stdout);
        else if (ch < 0x20 || ch == 0x7f || (is_name && (ch == '=' || ch == '/')))
            printf("\\x%02x", ch);
        else if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f) {
            printf("\\xc2\\x%02x", (unsigned char)s[++i]); /* C1 controls (CSI...) */
        } else
            putchar(ch);
    }
}

/* Print a string token of d unescaped (then escaped for one line). */
static void print_token(const cdrest_doc *d, int tok, int is_name) {
    size_t cap = (size_t)(d->toks[tok].end - d->toks[tok].start) + 1, len = 0;
    char *buf = (char *)malloc(cap); /* unescaping never makes a string longer */
    if (buf && cdrest_json_string(d->json, d->toks, tok, buf, cap, &len) == 0) print_escaped(buf, len, is_name);
    free(buf);
}

/* A JSON object of string fields, for the plain answers printed with --json. */
static void print_json_fields(const char *const *names, const char *const *values, int n) {
    int i;
    putchar('{');
    for (i = 0; i < n; i++) {
        if (i) putchar(',');
        put_json_string(stdout, names[i]);
        putchar(':');
        put_json_string(stdout, values[i] ? values[i] : "");
    }
    puts("}");
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------------
   Values from files and stdin
   --------------------------------------------------------------------------- */

#define MAX_VALUE_BYTES ((size_t)64 * 1024 * 1024)

/* The whole content of path ("-": stdin) as a NUL-terminated string owned by t. A
   property value or a JSON body is text: a NUL byte is refused (it would cut the value
   short), as is more than 64 MiB. */
static int read_value_file(cli *t, const char *path, const char *what, const char **out) {
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_NOCTTY) : STDIN_FILENO, err = 0, nul = 0, oom = 0;
    const char *name = strcmp(path, "-") ? path : "stdin";
    size_t len = 0, cap = 0;
    char *buf = NULL;
    ssize_t got;
    if (fd < 0) return local_error(t, "%s: cannot open %s: %s", what, path, strerror(errno));
    for (;;) {
        if (len + 65536 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 131072;
            char *more = (char *)realloc(buf, ncap);
            if (!more) {
                oom = 1;
                break;
            }
            buf = more;
            cap = ncap;
        }
        got = read(fd, buf + len, 65536);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) err = errno;
        if (got <= 0) break;
        if (memchr(buf + len, 0, (size_t)got)) nul = 1;
        len += (size_t)got;
        if (nul || len > MAX_VALUE_BYTES) break;
    }
    if (fd != STDIN_FILENO) close(fd);
    if (oom || err || nul || len > MAX_VALUE_BYTES) {
        free(buf);
        if (nul) return local_error(t, "%s: %s holds a NUL byte; a value is text", what, name);
        if (len > MAX_VALUE_BYTES) return local_error(t, "%s: %s is larger than 64 MiB", what, name);
        return local_error(t, "%s: cannot read %s: %s", what, name, oom ? "out of memory" : strerror(err));
    }
    buf[len] = 0;
    if (t->nowned == (int)(sizeof t->owned / sizeof t->owned[0])) {
        free(buf);
        return usage_error(t, "too many values read from files");
    }
    t->owned[t->nowned++] = buf;
    *out = buf;
    return 0;
}

/* A value given on the line (VALUE, --value V: taken literally, "-" too, as ectool stores
   it) or in a file (--valueFile F, ectool's name; "-" reads stdin: the only way to, so that
   no command waits on stdin unasked). Exactly one of them. */
static int take_value(cli *t, const char *given, const char *file, const char *what, const char **out) {
    if (given && file) return usage_error(t, "give %s once: on the line or with --valueFile, not both", what);
    if (file) return read_value_file(t, file, what, out);
    *out = given;
    return 0;
}

/* Refuse anything but a regular file as an upload, before any byte goes out: a FIFO
   would block for ever, a directory or a device has no size. stat() never blocks. */
static int check_upload_file(cli *t, const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return local_error(t, "cannot upload %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return local_error(t, "cannot upload %s: not a regular file (%s)", path,
                           S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                                                  : "a device or socket");
    return 0;
}

/* ===========================================================================
   Commands
   =========================================================================== */

/* Deletes, logout: nothing on stdout, or {} with --json (every command's output is JSON
   in that mode). */
static int print_nothing(cli *t) {
    if (t->json) puts("{}");
    return 0;
}

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
    if (t->json) {
        const char *names[] = { "server", "user", "sessionFile" }, *values[3];
        values[0] = t->server_url;
        values[1] = user ? user : "";
        values[2] = t->session_path;
        print_json_fields(names, values, 3);
    } else {
        printf("logged in to %s%s%s; session saved in %s\n", t->server_url, user ? " as " : " with a token",
               user ? user : "", t->session_path);
    }
    return 0;
}

static int cmd_logout(cli *t) {
    int rc;
    if ((rc = find_session_path(t, 1)) != 0) return rc;
    load_session(t);
    if (t->session_problem[0]) return local_error(t, "%s", t->session_problem);
    if (!t->have_saved) {
        if (!t->json) say(t, "not logged in (no session in %s)", t->session_path);
        return print_nothing(t);
    }
    if ((rc = open_client(t, FOR_LOGOUT)) != 0) return rc;
    rc = cdrest_logout(&t->client);
    if (unlink(t->session_path) != 0 && errno != ENOENT)
        say(t, "cannot remove %s: %s", t->session_path, strerror(errno));
    return rc ? fail(t, rc) : print_nothing(t);
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
    print_out(value, len);
    putchar('\n');
    return 0;
}

/* ectool: setProperty <propertyName> [<value>] [--value V] [--valueFile F]. */
static int cmd_set_property(cli *t) {
    const char *value;
    cdrest_doc d;
    int rc;
    if ((rc = take_value(t, t->nargs > 1 ? t->args[1] : NULL, option(t, "valueFile"), "the value", &value)) != 0)
        return rc;
    if (!value) return usage_error(t, "setProperty needs a value: VALUE, --value V or --valueFile F");
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    if ((rc = cdrest_set_property(&t->client, t->args[0], value, context(t, "valueFile"), &d)) != 0) return fail(t, rc);
    return print_doc(&d);
}

static int cmd_create_property(cli *t) {
    const char *value;
    cdrest_doc d;
    int rc;
    if ((rc = take_value(t, option(t, "value"), option(t, "valueFile"), "the value", &value)) != 0) return rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_create_property(&t->client, t->args[0], value, context(t, "value valueFile"), &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_delete_property(cli *t) {
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_delete_property(&t->client, t->args[0], context(t, ""));
    return rc ? fail(t, rc) : print_nothing(t);
}

/* Percent-encode text into out (a path keeps its slashes). */
static int encode(cli *t, const char *text, int mode, char *out, size_t cap) {
    size_t n = cdrest_percent_encode(out, cap, text, strlen(text), mode);
    return n >= cap ? usage_error(t, "'%.40s...' is too long", text) : 0;
}

/* ectool: incrementProperty <propertyName> [<incrementBy>] (default 1). Through the
   generic call: PUT /properties/<path>?request=incrementProperty (the REST form of the
   API, inferred from the other property calls). Inside a job step, /myJob/... and
   relative paths without a context get the step's jobStepId, as the typed calls do. */
static int cmd_increment_property(cli *t) {
    char path[4200], *end, by[24];
    cdrest_json_writer w;
    char body[8192];
    const cdrest_param *ctx = context(t, "");
    static const cdrest_param query[] = { { "request", "incrementProperty" }, { NULL, NULL } };
    long long n = t->nargs > 1 ? strtoll(t->args[1], &end, 10) : 1;
    cdrest_doc d;
    int rc, i;
    if (t->nargs > 1 && (end == t->args[1] || *end))
        return usage_error(t, "incrementProperty: '%s' is no whole number", t->args[1]);
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    memcpy(path, "/properties/", 12);
    if ((rc = encode(t, t->args[0], CDREST_PCT_PATH, path + 12, sizeof path - 12)) != 0) return rc;
    snprintf(by, sizeof by, "%lld", n);
    cdrest_jw_init(&w, body, sizeof body);
    cdrest_jw_object_begin(&w);
    cdrest_jw_key(&w, "incrementBy");
    cdrest_jw_raw(&w, by, strlen(by));
    for (i = 0; ctx[i].name; i++) {
        cdrest_jw_key(&w, ctx[i].name);
        cdrest_jw_string(&w, ctx[i].value);
    }
    if (t->client.env_job_step_id[0] && !option(t, "jobStepId") &&
        (!strncmp(t->args[0], "/my", 3) || (t->args[0][0] != '/' && !ctx[0].name))) {
        cdrest_jw_key(&w, "jobStepId");
        cdrest_jw_string(&w, t->client.env_job_step_id);
    }
    cdrest_jw_object_end(&w);
    if (cdrest_jw_finish(&w) != 0) return usage_error(t, "incrementProperty: the context options are too long");
    rc = cdrest_call(&t->client, "PUT", path, query, body, &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

/* 1 if path names an object whose own sheet ectool's getProperties --path lists, other than
   the /projects/P and /jobs/J that cdrest_get_properties knows: /server, /resources/R,
   /artifacts/G:K, /projects/P/procedures/Q, ... */
static int other_object_path(const char *path) {
    static const char *const kinds[] = { "jobSteps", "resources",    "artifacts",  "artifactVersions",
                                         "users",    "groups",       "workspaces", "zones",
                                         "gateways", "repositories", "pipelines",  "releases" };
    size_t i, n;
    if (!path || path[0] != '/') return 0;
    if (!strcmp(path, "/server")) return 1;
    if (!strncmp(path, "/projects/", 10)) { /* /projects/P/procedures/Q */
        const char *q = strchr(path + 10, '/');
        return q && q > path + 10 && !strncmp(q, "/procedures/", 12) && q[12] && !strchr(q + 12, '/');
    }
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        n = strlen(kinds[i]);
        if (!strncmp(path + 1, kinds[i], n) && path[1 + n] == '/' && path[2 + n] && !strchr(path + 2 + n, '/'))
            return 1;
    }
    return 0;
}

/* The listing form, GET /properties?path=PATH (with expand and recurse), for an object's
   sheet. Its entries are checked as cdrest_get_properties checks a listing's (a name and
   a value are text, a nested sheet's id an id): nothing else is printed as one. Returns
   0, or the exit status after reporting. */
static int list_object_sheet(cli *t, const char *path, cdrest_doc *d) {
    cdrest_param query[4];
    cdrest_sheet_entry e;
    int n = 0, iter = 0, rc;
    query[n].name = "path", query[n++].value = path;
    if (option(t, "expand")) query[n].name = "expand", query[n++].value = option(t, "expand");
    if (option(t, "recurse")) query[n].name = "recurse", query[n++].value = option(t, "recurse");
    query[n].name = NULL;
    if ((rc = cdrest_call(&t->client, "GET", "/properties", query, NULL, d)) != 0) return fail(t, rc);
    while (cdrest_sheet_next(d, &iter, &e)) {
        const cdrest_json_tok *k = d->toks;
        if (e.name < 0 || k[e.name].type != CDREST_JSON_STRING ||
            (e.value >= 0 && k[e.value].type != CDREST_JSON_STRING) ||
            (e.sheet_id >= 0 && k[e.sheet_id].type != CDREST_JSON_STRING && k[e.sheet_id].type != CDREST_JSON_NUMBER)) {
            report(t, "ProtocolError", 0,
                   "getProperties: a property in the server's listing is not a name with "
                   "a text value or a sheet id");
            return EXIT_NETWORK;
        }
    }
    return 0;
}

/* name=value per property; a nested sheet prints as name/ (no value). */
static int cmd_get_properties(cli *t) {
    cdrest_sheet_entry e;
    cdrest_doc d;
    const char *path;
    int rc, iter = 0;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    path = t->nargs ? t->args[0] : NULL; /* a sheet, or an object: /projects/P, /jobs/ID, /server */
    if (other_object_path(path)) {
        if ((rc = list_object_sheet(t, path, &d)) != 0) return rc;
    } else if ((rc = cdrest_get_properties(&t->client, path, context(t, ""), &d)) != 0) {
        return fail(t, rc);
    }
    if (t->json) return print_doc(&d);
    while (cdrest_sheet_next(&d, &iter, &e)) {
        if (e.name < 0) continue;
        print_token(&d, e.name, 1);
        if (e.sheet_id >= 0) {
            fputs("/\n", stdout);
            continue;
        }
        putchar('=');
        if (e.value >= 0) print_token(&d, e.value, 0);
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
    return rc ? fail(t, rc) : print_nothing(t);
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
    return rc ? fail(t, rc) : print_nothing(t);
}

/* "12.3 MiB" */
static const char *human_bytes(double n, char *buf, size_t cap) {
    const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
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
    int shown, tty;
} upload_meter;

/* Upload progress on a terminal, rewritten in place at most five times a second. A stop
   signal (Ctrl-C) cancels the upload at once, so that the run can log out and end. */
static int show_upload(void *ctx, uint64_t sent, uint64_t total, uint64_t received, uint64_t recv_total) {
    upload_meter *m = (upload_meter *)ctx;
    int64_t now = now_ms(), elapsed = now - m->start_ms;
    char a[32], b[32], r[32];
    (void)received;
    (void)recv_total;
    if (stop_signal) return 1;
    if (!m->tty || (sent < total && m->shown && now - m->shown_ms < 200)) return 0;
    m->shown = 1;
    m->shown_ms = now;
    fprintf(stderr, "\rpublishing: %s of %s (%d%%), %s/s    ", human_bytes((double)sent, a, sizeof a),
            human_bytes((double)total, b, sizeof b), total ? (int)(sent * 100 / total) : 100,
            human_bytes(elapsed > 0 ? (double)sent * 1000 / (double)elapsed : 0, r, sizeof r));
    fflush(stderr);
    return 0;
}

/* ectool's ';'-separated --includePatterns/--excludePatterns as the NULL-terminated list
   cdrest_publish_artifact_dir takes (NULL when the option is absent); the caller frees it
   (free_list). Ant's "**" + "/" prefix (any depth, also none) becomes the pattern without it:
   the library matches a pattern without '/' against every file's last component, at any
   depth; with a '/' left, both forms are kept. NULL with *oom set when memory runs out. */
static char **pattern_list(const char *patterns, int *oom) {
    char **list;
    const char *p = patterns;
    int n = 0;
    if (!patterns) return NULL;
    list = (char **)calloc(2 * strlen(patterns) + 2, sizeof *list);
    if (!list) return *oom = 1, NULL;
    while (*p) {
        size_t len = strcspn(p, ";");
        const char *pat = p;
        size_t plen = len;
        while (plen >= 3 && !strncmp(pat, "**/", 3)) pat += 3, plen -= 3;
        if (!plen && len) pat = "*", plen = 1; /* "**" + "/" alone: every file */
        if (plen && plen != len && memchr(pat, '/', plen)) {
            if ((list[n] = strndup(p, len)) != NULL)
                n++;
            else
                *oom = 1;
        }
        if (plen) {
            if ((list[n] = strndup(pat, plen)) != NULL)
                n++;
            else
                *oom = 1;
        }
        p += len;
        if (*p) p++;
    }
    if (*oom) {
        for (n = 0; list[n]; n++) free(list[n]);
        free(list);
        return NULL;
    }
    return list;
}

static void free_list(char **list) {
    int i;
    for (i = 0; list && list[i]; i++) free(list[i]);
    free(list);
}

/* ectool: publishArtifactVersion --artifactName G:K --version V [--fromDirectory D
   --includePatterns P --excludePatterns P] [--repositoryName R]; short: publishArtifactVersion
   G:K V FILE... Without FILE or --fromDirectory, as ectool: the current directory. A
   directory goes through cdrest_publish_artifact_dir: recursive, every file named by its
   path relative to the directory, however the directory is spelled. */
static int cmd_publish_artifact_version(cli *t) {
    upload_meter meter;
    cdrest_transfer transfer;
    const char *dir = option(t, "fromDirectory");
    const char *const *files = (const char *const *)(t->args + 2);
    char **include = NULL, **exclude = NULL;
    int nfiles = t->nargs - 2, rc, i, oom = 0;
    if (dir && nfiles) return usage_error(t, "give FILE... or --fromDirectory, not both");
    if (nfiles && (option(t, "includePatterns") || option(t, "excludePatterns")))
        return usage_error(t, "--includePatterns and --excludePatterns select files of --fromDirectory, not FILE...");
    if (!dir && !nfiles) dir = ".";
    for (i = 0; i < nfiles; i++)
        if ((rc = check_upload_file(t, files[i])) != 0) return rc;
    include = pattern_list(option(t, "includePatterns"), &oom);
    exclude = pattern_list(option(t, "excludePatterns"), &oom);
    if (oom || (rc = open_client(t, FOR_CALL)) != 0) {
        free_list(include);
        free_list(exclude);
        return oom ? local_error(t, "out of memory") : rc;
    }
    memset(&meter, 0, sizeof meter);
    meter.start_ms = now_ms();
    meter.tty = isatty(STDERR_FILENO);
    /* An upload takes as long as it takes: --timeout bounds the time without progress
       (no byte moving), not the whole upload. */
    memset(&transfer, 0, sizeof transfer);
    transfer.timeout_ms = -1;
    transfer.idle_timeout_ms = t->client.cfg.timeout_ms;
    transfer.progress = show_upload;
    transfer.progress_ctx = &meter;
    if (dir)
        rc = cdrest_publish_artifact_dir_ex(&t->client, t->args[0], t->args[1], option(t, "repositoryName"), dir,
                                            (const char *const *)include, (const char *const *)exclude, &transfer);
    else
        rc = cdrest_publish_artifact_version_ex(&t->client, t->args[0], t->args[1], option(t, "repositoryName"), files,
                                                nfiles, &transfer);
    free_list(include);
    free_list(exclude);
    if (meter.shown) fputc('\n', stderr);
    if (rc) return fail(t, rc);
    if (t->json) { /* the number of files only when they were named (a directory's are not counted) */
        char count[16], version[1024];
        const char *names[] = { "artifactVersionName", "files" }, *values[2];
        snprintf(version, sizeof version, "%s:%s", t->args[0], t->args[1]);
        snprintf(count, sizeof count, "%d", nfiles);
        values[0] = version;
        values[1] = count;
        print_json_fields(names, values, dir ? 1 : 2);
    } else if (dir) {
        printf("published %s:%s from %s\n", t->args[0], t->args[1], dir);
    } else {
        printf("published %s:%s (%d file%s)\n", t->args[0], t->args[1], nfiles, nfiles > 1 ? "s" : "");
    }
    return 0;
}

typedef struct job_meter {
    int tty;
    int shown;
    int64_t elapsed_ms; /* at the last poll */
} job_meter;

/* After every status poll: on a terminal show it (server text made safe). */
static void show_job(job_meter *m, const cdrest_job_status *st, int64_t elapsed_ms) {
    char id[64], status[32];
    m->elapsed_ms = elapsed_ms;
    if (!m->tty) return;
    m->shown = 1;
    fprintf(stderr, "\rjob %s: %s, %.1f s    ", clean(st->job_id, id, sizeof id),
            clean(st->status, status, sizeof status), (double)elapsed_ms / 1000);
    fflush(stderr);
}

/* Sleep ms milliseconds, or less when a stop signal comes. */
static void nap(int64_t ms) {
    struct timespec ts;
    if (ms <= 0) return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL); /* EINTR ends it early: stop_signal is checked by the caller */
}

#define WAIT_INTERRUPTED 1000 /* a stop signal came during a wait */

/* Poll the job every interval_ms until it completes (0), deadline_ms passes
   (CDREST_E_DEADLINE; 0 = no deadline) or a stop signal comes (WAIT_INTERRUPTED). Each
   status request gets at most the time left before the deadline (its timeouts are
   lowered in the client's config copy for that one call), so a slow poll cannot carry
   the wait past its deadline. The loop is here rather than cdrest_wait_for_job so that
   a stop signal ends the wait between polls. */
static int poll_job(cli *t, const char *job_id, int interval_ms, int64_t deadline_ms, cdrest_job_status *st) {
    int64_t start = now_ms(), left = 0;
    int request_ms = t->client.cfg.timeout_ms, connect_ms = t->client.cfg.connect_timeout_ms, rc, answered = 0;
    job_meter meter;
    memset(&meter, 0, sizeof meter);
    meter.tty = isatty(STDERR_FILENO);
    memset(st, 0, sizeof *st);
    for (;;) {
        if (deadline_ms) {
            left = start + deadline_ms - now_ms();
            if (left <= 0) {
                rc = CDREST_E_DEADLINE;
                break;
            }
            t->client.cfg.timeout_ms = left < request_ms ? (int)left : request_ms;
            t->client.cfg.connect_timeout_ms = left < connect_ms ? (int)left : connect_ms;
        }
        rc = cdrest_get_job_status(&t->client, job_id, st);
        t->client.cfg.timeout_ms = request_ms;
        t->client.cfg.connect_timeout_ms = connect_ms;
        /* A poll cut short by the deadline means "still running" only when the server has
           answered before: a server that never answers is a network failure, not a slow job. */
        if (rc == CDREST_E_TIMEOUT && answered && deadline_ms && now_ms() - start >= deadline_ms)
            rc = CDREST_E_DEADLINE;
        if (rc) break;
        answered = 1;
        show_job(&meter, st, now_ms() - start);
        if (!strcmp(st->status, "completed")) break;
        if (stop_signal) {
            rc = WAIT_INTERRUPTED;
            break;
        }
        nap(deadline_ms && left < interval_ms ? left : interval_ms);
        if (stop_signal) {
            rc = WAIT_INTERRUPTED;
            break;
        }
    }
    if (meter.shown) fputc('\n', stderr);
    return rc;
}

/* The exit status of a completed job: 0 success; 5 warning (0 with --warning-ok);
   4 error, skipped, no outcome or anything else. */
static int outcome_status(cli *t, const cdrest_job_status *st) {
    char id[64], outcome[32], line[200];
    int warning = !strcmp(st->outcome, "warning");
    if (!strcmp(st->outcome, "success") || (warning && t->warning_ok)) return 0;
    snprintf(line, sizeof line, "job %s completed with outcome %s", clean(st->job_id, id, sizeof id),
             st->outcome[0] ? clean(st->outcome, outcome, sizeof outcome) : "(none)");
    report(t, warning ? "JobOutcomeWarning" : "JobOutcomeError", 0, line);
    return warning ? EXIT_JOB_WARNING : EXIT_JOB_ERROR;
}

/* The interval and the deadline of a wait: ectool's --pollInterval S and --timeout S
   (the wait's own limit, given after the command), or cdrest's --interval and
   --deadline. */
static int wait_options(cli *t, int *interval_ms, int *deadline_ms) {
    const char *interval = option(t, "pollInterval"), *deadline = option(t, "timeout");
    int rc;
    if (option(t, "interval")) {
        if (interval) return usage_error(t, "give --pollInterval or --interval, not both");
        interval = option(t, "interval");
    }
    if (option(t, "deadline")) {
        if (deadline) return usage_error(t, "give --timeout or --deadline, not both");
        deadline = option(t, "deadline");
    }
    *interval_ms = 5000;
    *deadline_ms = 0;
    if ((interval && (rc = parse_seconds(t, "--pollInterval", interval, interval_ms)) != 0) ||
        (deadline && (rc = parse_seconds(t, "--timeout", deadline, deadline_ms)) != 0))
        return rc;
    if (*interval_ms < 100) *interval_ms = 100;
    return 0;
}

/* Wait for the job, print what the command promises and return the exit status. */
static int wait_and_report(cli *t, const char *job_id, int interval_ms, int deadline_ms, int print_outcome) {
    cdrest_job_status st;
    char id[64], status[32], outcome[32];
    int rc = poll_job(t, job_id, interval_ms, deadline_ms, &st);
    if (rc == WAIT_INTERRUPTED) {
        say(t, "interrupted while job %s is %s", clean(job_id, id, sizeof id), clean(st.status, status, sizeof status));
        return EXIT_WAIT_DEADLINE;
    }
    if (rc == CDREST_E_DEADLINE) {
        char line[300];
        snprintf(line, sizeof line, "%s: job %s is still %s after %.1f s", t->cmd->name, clean(job_id, id, sizeof id),
                 st.status[0] ? clean(st.status, status, sizeof status) : "not seen", deadline_ms / 1000.0);
        report(t, "Deadline", 0, line);
        return EXIT_WAIT_DEADLINE;
    }
    if (rc) return fail(t, rc);
    clean(st.job_id, id, sizeof id);
    clean(st.status, status, sizeof status);
    clean(st.outcome, outcome, sizeof outcome);
    if (t->json) {
        const char *names[] = { "jobId", "status", "outcome" }, *values[3];
        values[0] = id;
        values[1] = status;
        values[2] = outcome;
        print_json_fields(names, values, 3);
    } else if (print_outcome) {
        printf("%s\n", outcome);
    }
    return outcome_status(t, &st);
}

/* Add the NAME=VALUE pairs of --actualParameter as CD's actualParameter array. */
static void write_actual_parameters(cli *t, cdrest_json_writer *w) {
    const cdrest_param *actual = pairs(t, "actualParameter");
    int i;
    cdrest_jw_key(w, "actualParameter");
    cdrest_jw_array_begin(w);
    for (i = 0; actual[i].name; i++) {
        cdrest_jw_object_begin(w);
        cdrest_jw_key(w, "actualParameterName");
        cdrest_jw_string(w, actual[i].name);
        cdrest_jw_key(w, "value");
        cdrest_jw_string(w, actual[i].value);
        cdrest_jw_object_end(w);
    }
    cdrest_jw_array_end(w);
}

/* ectool: runProcedure <projectName> --procedureName Q [--scheduleName S]
   [--actualParameter N=V ...] [--pollInterval S [--timeout S]]. Prints the job id; with
   --pollInterval it then waits for the job (as ectool does) and the exit status tells
   the outcome. */
static int cmd_run_procedure(cli *t) {
    char job_id[256], id[256];
    const char *procedure = option(t, "procedureName"), *schedule = option(t, "scheduleName");
    int rc, interval_ms, deadline_ms, wait = option(t, "pollInterval") || option(t, "interval");
    int request_ms, connect_ms;
    int64_t start;
    cdrest_run_options run;
    if (!procedure && !schedule) return usage_error(t, "runProcedure needs --procedureName NAME (or --scheduleName)");
    if ((option(t, "timeout") || option(t, "deadline")) && !wait)
        return usage_error(t, "runProcedure --timeout limits the wait: give --pollInterval S too (as ectool "
                              "wants), or put --timeout before the command for the requests' timeout");
    if ((rc = wait_options(t, &interval_ms, &deadline_ms)) != 0) return rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    request_ms = t->client.cfg.timeout_ms;
    connect_ms = t->client.cfg.connect_timeout_ms;
    memset(&run, 0, sizeof run);
    run.schedule_name = schedule;
    run.destination_project = option(t, "destinationProject");
    run.priority = option(t, "priority");
    run.credential_name = option(t, "credentialName");
    /* --timeout bounds the whole run, the request that starts the job included */
    start = now_ms();
    if (deadline_ms) {
        if (t->client.cfg.timeout_ms > deadline_ms) t->client.cfg.timeout_ms = deadline_ms;
        if (t->client.cfg.connect_timeout_ms > deadline_ms) t->client.cfg.connect_timeout_ms = deadline_ms;
    }
    rc = cdrest_run_procedure_ex(&t->client, t->args[0], procedure, pairs(t, "actualParameter"), &run, job_id,
                                 sizeof job_id);
    t->client.cfg.timeout_ms = request_ms;
    t->client.cfg.connect_timeout_ms = connect_ms;
    if (rc) return fail(t, rc);
    if (deadline_ms) {
        int64_t left = deadline_ms - (now_ms() - start);
        deadline_ms = left > 0 ? (int)left : 1; /* 0 would mean no deadline */
    }
    clean(job_id, id, sizeof id);
    if (t->json && !wait) {
        const char *name = "jobId", *value = id;
        print_json_fields(&name, &value, 1);
    } else if (!t->json) {
        printf("%s\n", id);
        fflush(stdout); /* the id is there for the script even while we wait */
    }
    return wait ? wait_and_report(t, job_id, interval_ms, deadline_ms, 0) : 0;
}

/* A GET of /KIND/ID[?request=...] through the generic call, printing the whole answer. */
static int get_by_id(cli *t, const char *kind, const char *id, const char *request) {
    cdrest_param query[2] = { { NULL, NULL }, { NULL, NULL } };
    char path[600];
    size_t k = strlen(kind);
    cdrest_doc d;
    int rc;
    if (request) {
        query[0].name = "request";
        query[0].value = request;
    }
    memcpy(path, kind, k);
    if ((rc = encode(t, id, CDREST_PCT_SEGMENT, path + k, sizeof path - k)) != 0) return rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_call(&t->client, "GET", path, query, NULL, &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

static int cmd_get_job_status(cli *t) {
    return get_by_id(t, "/jobs/", t->args[0], "getJobStatus");
}

static int cmd_get_job_details(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_get_job_details(&t->client, t->args[0], &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

/* ectool: abortJob <jobId> [--force 1]: PUT /jobs/<id>?request=abortJob. */
static int cmd_abort_job(cli *t) {
    const char *force = option(t, "force");
    cdrest_doc d;
    int rc;
    if (force && strcmp(force, "0") && strcmp(force, "1") && strcmp(force, "true") && strcmp(force, "false"))
        return usage_error(t, "--force wants 0 or 1, not '%s'", force);
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_abort_job(&t->client, t->args[0], force && (!strcmp(force, "1") || !strcmp(force, "true")), &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

/* GET /jobSteps/<id>: the job step object; inside a job step, the step's own by default. */
static int cmd_get_job_step_details(cli *t) {
    cdrest_doc d;
    int rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_get_job_step_details(&t->client, t->nargs ? t->args[0] : NULL, &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

/* waitForJob <jobId> [--timeout S] [--pollInterval S]: ec-perl's waitForJob names; the
   --timeout after the command is the wait's limit, like ectool's runProcedure --timeout. */
static int cmd_wait_for_job(cli *t) {
    int interval_ms, deadline_ms, rc;
    if ((rc = wait_options(t, &interval_ms, &deadline_ms)) != 0) return rc;
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    return wait_and_report(t, t->args[0], interval_ms, deadline_ms, 1);
}

/* The repeated values of a list option (--stagesToRun a --stagesToRun b, or "a,b"). */
static void write_list(cli *t, cdrest_json_writer *w, const char *name) {
    int i;
    cdrest_jw_key(w, name);
    cdrest_jw_array_begin(w);
    for (i = 0; i < t->nopts; i++) {
        const char *p = t->opts[i].value;
        if (strcmp(t->opts[i].name, name) != 0) continue;
        while (*p) {
            size_t n = strcspn(p, ",");
            char item[256];
            snprintf(item, sizeof item, "%.*s", (int)(n < sizeof item ? n : sizeof item - 1), p);
            if (n) cdrest_jw_string(w, item);
            p += n;
            if (*p) p++;
        }
    }
    cdrest_jw_array_end(w);
}

/* ectool: runPipeline <projectName> <pipelineName> [--actualParameter N=V ...]
   [--stagesToRun S[,S...]] [--startingStage S]: POST /pipelines (the REST form CloudBees'
   own automation uses). Prints the server's answer (the flow runtime). */
static int cmd_run_pipeline(cli *t) {
    char body[65536];
    cdrest_json_writer w;
    cdrest_doc d;
    int rc;
    if (option(t, "stagesToRun") && option(t, "startingStage"))
        return usage_error(t, "runPipeline takes --stagesToRun or --startingStage, not both");
    cdrest_jw_init(&w, body, sizeof body);
    cdrest_jw_object_begin(&w);
    cdrest_jw_key(&w, "projectName");
    cdrest_jw_string(&w, t->args[0]);
    cdrest_jw_key(&w, "pipelineName");
    cdrest_jw_string(&w, t->args[1]);
    write_actual_parameters(t, &w);
    if (option(t, "stagesToRun")) write_list(t, &w, "stagesToRun");
    if (option(t, "startingStage")) {
        cdrest_jw_key(&w, "startingStage");
        cdrest_jw_string(&w, option(t, "startingStage"));
    }
    cdrest_jw_object_end(&w);
    if (cdrest_jw_finish(&w) != 0) return usage_error(t, "runPipeline: the parameters exceed 64 KiB");
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_call(&t->client, "POST", "/pipelines", NULL, body, &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

/* ectool: getPipelineRuntimeDetails --flowRuntimeId ID: PUT /pipelineRuntimeDetails
   ?request=getPipelineRuntimeDetails {"flowRuntimeId":[ID]}. */
static int cmd_get_pipeline_runtime_details(cli *t) {
    static const cdrest_param query[] = { { "request", "getPipelineRuntimeDetails" }, { NULL, NULL } };
    char body[1024];
    cdrest_json_writer w;
    cdrest_doc d;
    int rc;
    cdrest_jw_init(&w, body, sizeof body);
    cdrest_jw_object_begin(&w);
    cdrest_jw_key(&w, "flowRuntimeId");
    cdrest_jw_array_begin(&w);
    cdrest_jw_string(&w, t->args[0]);
    cdrest_jw_array_end(&w);
    cdrest_jw_object_end(&w);
    if (cdrest_jw_finish(&w) != 0) return usage_error(t, "the flow runtime id is too long");
    if ((rc = open_client(t, FOR_CALL)) != 0) return rc;
    rc = cdrest_call(&t->client, "PUT", "/pipelineRuntimeDetails", query, body, &d);
    return rc ? fail(t, rc) : print_doc(&d);
}

/* A JSON option (--filter, --sort) checked before anything is sent. */
static int json_option(cli *t, const char *name, const char **out) {
    cdrest_json_parser p;
    *out = option(t, name);
    if (!*out) return 0;
    cdrest_json_init(&p);
    if (cdrest_json_parse(&p, *out, strlen(*out), NULL, 0) < 0)
        return usage_error(t, "--%s is not valid JSON: %s at byte %lu", name, cdrest_json_errstr(p.error),
                           (unsigned long)p.error_pos);
    return 0;
}

/* findObjects <objectType> [--filter JSON] [--sort JSON] [--maxIds N] [--numObjects N]:
   PUT /objects?request=findObjects. The filter and the sort are the REST API's JSON (ectool
   itself takes Perl-like text there). */
static int cmd_find_objects(cli *t) {
    static const cdrest_param query[] = { { "request", "findObjects" }, { NULL, NULL } };
    static const char *const counts[] = { "maxIds", "numObjects" };
    const char *filter, *sort;
    cdrest_json_writer w;
    size_t cap, i;
    char *body;
    cdrest_doc d;
    int rc;
    if ((rc = json_option(t, "filter", &filter)) != 0 || (rc = json_option(t, "sort", &sort)) != 0) return rc;
    for (i = 0; i < 2; i++)
        if (option(t, counts[i]) && strspn(option(t, counts[i]), "0123456789") != strlen(option(t, counts[i])))
            return usage_error(t, "--%s wants a whole number, not '%s'", counts[i], option(t, counts[i]));
    cap = strlen(t->args[0]) * 6 + (filter ? strlen(filter) : 0) + (sort ? strlen(sort) : 0) + 256;
    if (!(body = (char *)malloc(cap))) return local_error(t, "out of memory");
    cdrest_jw_init(&w, body, cap);
    cdrest_jw_object_begin(&w);
    cdrest_jw_key(&w, "objectType");
    cdrest_jw_string(&w, t->args[0]);
    if (filter) {
        cdrest_jw_key(&w, "filter");
        cdrest_jw_raw(&w, filter, strlen(filter));
    }
    if (sort) {
        cdrest_jw_key(&w, "sort");
        cdrest_jw_raw(&w, sort, strlen(sort));
    }
    for (i = 0; i < 2; i++)
        if (option(t, counts[i])) {
            cdrest_jw_key(&w, counts[i]);
            cdrest_jw_raw(&w, option(t, counts[i]), strlen(option(t, counts[i])));
        }
    cdrest_jw_object_end(&w);
    if (cdrest_jw_finish(&w) != 0 || (rc = open_client(t, FOR_CALL)) != 0) {
        free(body);
        return rc ? rc : usage_error(t, "findObjects: the request does not fit");
    }
    rc = cdrest_call(&t->client, "PUT", "/objects", query, body, &d);
    free(body);
    return rc ? fail(t, rc) : print_doc(&d);
}

/* ectool: evalDsl <dsl> [--dslFile F] [--parameters JSON]: POST /server/dsl. */
static int cmd_eval_dsl(cli *t) {
    const char *dsl, *params = option(t, "parameters");
    cdrest_json_writer w;
    size_t cap;
    char *body;
    cdrest_doc d;
    int rc;
    if ((rc = take_value(t, t->nargs ? t->args[0] : NULL, option(t, "dslFile"), "the DSL", &dsl)) != 0) return rc;
    if (!dsl) return usage_error(t, "evalDsl needs the DSL: DSL, --dsl D or --dslFile F (--dslFile - reads stdin)");
    cap = strlen(dsl) * 6 + (params ? strlen(params) * 6 : 0) + 256;
    if (!(body = (char *)malloc(cap))) return local_error(t, "out of memory");
    cdrest_jw_init(&w, body, cap);
    cdrest_jw_object_begin(&w);
    cdrest_jw_key(&w, "dsl");
    cdrest_jw_string(&w, dsl);
    if (params) {
        cdrest_jw_key(&w, "parameters");
        cdrest_jw_string(&w, params);
    }
    if (option(t, "jobStepId")) {
        cdrest_jw_key(&w, "jobStepId");
        cdrest_jw_string(&w, option(t, "jobStepId"));
    }
    cdrest_jw_object_end(&w);
    if (cdrest_jw_finish(&w) != 0 || (rc = open_client(t, FOR_CALL)) != 0) {
        free(body);
        return rc ? rc : usage_error(t, "evalDsl: the DSL does not fit");
    }
    rc = cdrest_call(&t->client, "POST", "/server/dsl", NULL, body, &d);
    free(body);
    return rc ? fail(t, rc) : print_doc(&d);
}

/* getServerStatus: GET /server?request=getServerStatus (the REST form is inferred: the
   server object is /server, as for /server/dsl, and request= names the API). ectool runs
   it without logging in; so does cdrest when no credentials are at hand. */
static int cmd_get_server_status(cli *t) {
    static const char *const passed[] = { "serverStateOnly", "diagnostics" }; /* ectool's, as given */
    cdrest_param query[4];
    cdrest_doc d;
    int rc, n = 0;
    size_t i;
    query[n].name = "request", query[n++].value = "getServerStatus";
    for (i = 0; i < sizeof passed / sizeof passed[0]; i++)
        if (option(t, passed[i])) query[n].name = passed[i], query[n++].value = option(t, passed[i]);
    query[n].name = NULL;
    if ((rc = open_client(t, FOR_ANON)) != 0) return rc;
    rc = cdrest_call(&t->client, "GET", "/server", query, NULL, &d);
    return rc ? fail(t, rc) : print_doc(&d);
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

/* call METHOD PATH [--data JSON | --data @FILE | --data @-] [--param NAME=VALUE ...] */
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
    if (data && data[0] == '@' && (rc = read_value_file(t, data + 1, "--data", &data)) != 0) return rc;
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

#define WAIT_OPTIONS " pollInterval timeout interval deadline "

static const command commands[] = {
    { "login", "[USER [PASSWORD]]", 0, 2, "userName", "", cmd_login,
      "Log in and save the session (with the server's URL) in the session file, mode 0600.\n"
      "The user comes from USER, --user or $CDREST_USER; the password from PASSWORD (visible in\n"
      "the process list: avoid it), $CDREST_PASSWORD, --password-file or a prompt on a terminal.\n"
      "With --token T (or $CDREST_TOKEN) the token logs in instead.\n"
      "Later commands without credentials use the saved session.",
      "login --userName USER" },
    { "logout", "", 0, 0, "", "", cmd_logout, "End the saved session on the server and remove the session file.",
      "logout" },
    { "getProperty", "PATH", 1, 1, "propertyName", CONTEXT_OPTIONS "expand", cmd_get_property,
      "Print the property's value exactly as stored, followed by a newline (with --json: the\n"
      "server's answer). PATH is absolute (/projects/P/x, /myJob/x) or relative to the context.\n"
      "--expand 0 returns the value without expanding $[...] references. On a terminal, control\n"
      "characters other than newline and tab show as '?'; into a pipe or a file the bytes are exact.",
      "getProperty --propertyName PATH [--projectName P | --jobId J ...] [--expand 0]" },
    { "setProperty", "PATH [VALUE]", 1, 2, "propertyName value",
      CONTEXT_OPTIONS "description valueFile expandable suppressValueTracking", cmd_set_property,
      "Set (create or update) a property; prints the server's answer. The value is VALUE (or\n"
      "--value V), taken literally ('-' too, as ectool), or the content of --valueFile F\n"
      "(--valueFile - reads stdin). Values of any size up to 64 MiB; they are text (a NUL byte\n"
      "is refused). --expandable 0|1 and --suppressValueTracking 0|1 go to the server as given.",
      "setProperty --propertyName PATH (--value V | --valueFile F) [--jobId J ...]" },
    { "createProperty", "PATH", 1, 1, "propertyName",
      CONTEXT_OPTIONS "value valueFile description propertyType expandable suppressValueTracking", cmd_create_property,
      "Create a property ([--value V | --valueFile F] [--description D]); fails if it exists.\n"
      "--propertyType sheet creates a property sheet; --expandable and --suppressValueTracking\n"
      "go to the server as given. Prints the server's answer.",
      "createProperty --propertyName PATH [--value V] [--description D]" },
    { "deleteProperty", "PATH", 1, 1, "propertyName", CONTEXT_OPTIONS, cmd_delete_property,
      "Delete a property. Prints nothing ({} with --json).", "deleteProperty --propertyName PATH" },
    { "incrementProperty", "PATH [BY]", 1, 2, "propertyName incrementBy", CONTEXT_OPTIONS, cmd_increment_property,
      "Add BY (a whole number, default 1) to a numeric property; prints the server's answer.\n"
      "Sent as PUT /properties/PATH?request=incrementProperty.",
      "incrementProperty --propertyName PATH --incrementBy N" },
    { "getProperties", "[PATH]", 0, 1, "path", CONTEXT_OPTIONS "expand recurse", cmd_get_properties,
      "List a property sheet: PATH, or without it the sheet of --projectName or --jobId.\n"
      "Prints one name=value line per property, in the server's order; a nested sheet prints as\n"
      "name/ on its own line (not expanded). Backslashes and control characters in names and\n"
      "values print as C escapes (\\\\ \\n \\r \\t \\xHH), and '=' and '/' in names as \\x3d and\n"
      "\\x2f, so each property is one line that splits at its first '='. Use getProperty for the\n"
      "raw bytes, or --json for the server's answer.",
      "getProperties --path PATH | --projectName P | --jobId J" },
    { "createArtifact", "GROUPID KEY", 2, 2, "groupId artifactKey", " description ", cmd_create_artifact,
      "Create the artifact GROUPID:KEY ([--description D]). Prints the server's answer.",
      "createArtifact --groupId G --artifactKey K [--description D]" },
    { "getArtifact", "GROUPID:KEY", 1, 1, "artifactName", "", cmd_get_artifact,
      "Print an artifact (the server's answer).", "getArtifact --artifactName G:K" },
    { "getArtifacts", "", 0, 0, "", " groupId ", cmd_get_artifacts, "List the artifacts ([--groupId G] filters).",
      "getArtifacts [--groupId G]" },
    { "deleteArtifact", "GROUPID:KEY", 1, 1, "artifactName", "", cmd_delete_artifact,
      "Delete an artifact and its versions. Prints nothing ({} with --json).", "deleteArtifact --artifactName G:K" },
    { "createArtifactVersion", "GROUPID:KEY VERSION", 2, 2, "artifactName version", " repositoryName description ",
      cmd_create_artifact_version,
      "Create an artifact version (state publishing until files are published). Prints the answer.",
      "createArtifactVersion --artifactName G:K --version V" },
    { "getArtifactVersion", "GROUPID:KEY:VERSION", 1, 1, "artifactVersionName", "", cmd_get_artifact_version,
      "Print an artifact version (the server's answer).", "getArtifactVersion --artifactVersionName G:K:V" },
    { "getArtifactVersions", "GROUPID:KEY", 1, 1, "artifactName", "", cmd_get_artifact_versions,
      "List the versions of an artifact (the server's answer).", "getArtifactVersions --artifactName G:K" },
    { "deleteArtifactVersion", "GROUPID:KEY:VERSION", 1, 1, "artifactVersionName", "", cmd_delete_artifact_version,
      "Delete an artifact version. Prints nothing ({} with --json).",
      "deleteArtifactVersion --artifactVersionName G:K:V" },
    { "publishArtifactVersion", "GROUPID:KEY VERSION [FILE...]", 2, -1, "artifactName version",
      " repositoryName fromDirectory includePatterns excludePatterns ", cmd_publish_artifact_version,
      "Upload regular files as the content of an artifact version (a multipart/form-data POST to\n"
      "/commander/publishArtifact.php; the artifact and the version are created when missing).\n"
      "FILE... are named by their last component (a relative path inside the current directory\n"
      "as given). --fromDirectory D (default: the current directory, as ectool) takes every file\n"
      "below D, subdirectories too, named by its path relative to D; --includePatterns and\n"
      "--excludePatterns (';'-separated shell patterns; one with '/' matches the whole relative\n"
      "path, one without the file name; Ant's leading '**/' means any depth) select them.\n"
      "--repositoryName R (default: default). Shows the upload's progress on a terminal. --timeout S\n"
      "bounds the time without progress (no byte moving), not the whole upload; Ctrl-C cancels it.",
      "publishArtifactVersion --artifactName G:K --version V --fromDirectory D [--includePatterns P]" },
    { "runProcedure", "PROJECT --procedureName P [--actualParameter NAME=VALUE ...]", 1, 1, "projectName",
      " procedureName scheduleName actualParameter destinationProject priority credentialName" WAIT_OPTIONS,
      cmd_run_procedure,
      "Run a procedure and print the new job's id (with --json: {\"jobId\":...}). Repeat\n"
      "--actualParameter, or give it several NAME=VALUE words as ectool does. --scheduleName S runs\n"
      "it with the schedule's parameters. With --pollInterval S it then waits for the job to\n"
      "complete, and the exit status tells the outcome: 0 success, 4 error, 5 warning (0 with\n"
      "--warning-ok), 6 the timeout passed (the job still runs). --timeout S given after the\n"
      "command bounds the whole run, the request that starts the job included (before the\n"
      "command, --timeout is each request's timeout).",
      "runProcedure --projectName P --procedureName Q [--pollInterval 5 --timeout 600]" },
    { "getJobStatus", "JOBID", 1, 1, "jobId", "", cmd_get_job_status,
      "Print the job's status and outcome (the server's answer).", "getJobStatus --jobId J" },
    { "getJobDetails", "JOBID", 1, 1, "jobId", "", cmd_get_job_details, "Print the job (the server's answer).",
      "getJobDetails --jobId J" },
    { "abortJob", "JOBID [--force 1]", 1, 1, "jobId", " force ", cmd_abort_job,
      "Abort a running job (PUT /jobs/ID?request=abortJob); --force 1 also stops its alwaysRun\n"
      "steps. Prints the server's answer.",
      "abortJob --jobId J [--force 1]" },
    { "getJobStepDetails", "[JOBSTEPID]", 0, 1, "jobStepId", "", cmd_get_job_step_details,
      "Print a job step (the server's answer to GET /jobSteps/ID); inside a job step, without\n"
      "JOBSTEPID, the step's own ($COMMANDER_JOBSTEPID).",
      "getJobStepDetails --jobStepId S" },
    { "waitForJob", "JOBID [--timeout S] [--pollInterval S]", 1, 1, "jobId", WAIT_OPTIONS, cmd_wait_for_job,
      "Poll the job every --pollInterval seconds (default 5; --interval is the same) until it\n"
      "completes, or until --timeout seconds pass (--deadline is the same; default: no limit).\n"
      "Shows the status on stderr when it is a terminal. Prints the outcome (with --json: jobId,\n"
      "status and outcome). Exit status: 0 success, 4 error (or skipped, or none), 5 warning\n"
      "(0 with --warning-ok), 6 the timeout passed with the job still running, and 1 or 3 when the\n"
      "status could not be read (3 also when the server never answered before the timeout).",
      "waitForJob --jobId J [--timeout 600] [--pollInterval 5]" },
    { "runPipeline", "PROJECT PIPELINE [--actualParameter NAME=VALUE ...]", 2, 2, "projectName pipelineName",
      " actualParameter stagesToRun startingStage ", cmd_run_pipeline,
      "Run a pipeline (POST /pipelines) and print the server's answer, the flow runtime.\n"
      "--stagesToRun S (repeat it, or S1,S2) or --startingStage S limit the stages run.",
      "runPipeline --projectName P --pipelineName Q [--actualParameter N=V ...]" },
    { "getPipelineRuntimeDetails", "FLOWRUNTIMEID", 1, 1, "flowRuntimeId", "", cmd_get_pipeline_runtime_details,
      "Print a pipeline run's details (PUT /pipelineRuntimeDetails?request=getPipelineRuntimeDetails).",
      "getPipelineRuntimeDetails --flowRuntimeId ID" },
    { "findObjects", "OBJECTTYPE [--filter JSON] [--sort JSON]", 1, 1, "objectType", " filter sort maxIds numObjects ",
      cmd_find_objects,
      "Search objects (PUT /objects?request=findObjects) and print the server's answer. --filter\n"
      "and --sort are the REST API's JSON ({\"propertyName\":...,\"operator\":\"equals\",\"operand1\":...});\n"
      "ectool's Perl-like filter text is not understood.",
      "findObjects --objectType job --filter JSON [--maxIds N] [--numObjects N]" },
    { "evalDsl", "DSL", 0, 1, "dsl", " dslFile parameters jobStepId ", cmd_eval_dsl,
      "Evaluate DSL on the server (POST /server/dsl); prints the server's answer. The DSL is the\n"
      "argument, or the content of --dslFile F (--dslFile - reads stdin).",
      "evalDsl --dsl TEXT | --dslFile F [--parameters JSON]" },
    { "getServerStatus", "", 0, 0, "", " serverStateOnly diagnostics ", cmd_get_server_status,
      "Print the server's status (GET /server?request=getServerStatus); works without logging in.\n"
      "--serverStateOnly 1 and --diagnostics 1 go to the server as given.",
      "getServerStatus [--serverStateOnly 1] [--diagnostics 1]" },
    { "call", "METHOD PATH [--data JSON] [--param NAME=VALUE ...]", 2, 2, "", " data param ", cmd_call,
      "Any endpoint: METHOD /rest/v1.0PATH (call GET /projects/Default). PATH is sent as typed,\n"
      "except that spaces, quotes, control characters and non-ASCII bytes are percent-encoded.\n"
      "--data is the JSON body (--data @FILE reads it from FILE, --data @- from stdin); each\n"
      "--param NAME=VALUE is added to the query string. Prints the server's answer.",
      "(no ectool form)" },
    { "help", "[COMMAND]", 0, 1, "", "", cmd_help, "Print the usage of cdrest or of one command.", "--help [COMMAND]" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Commands match case-insensitively (getproperty is getProperty). */
static const command *find_command(const char *name) {
    size_t i;
    for (i = 0; i < NCOMMANDS; i++)
        if (!strcasecmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

/* The edit distance of a and b, case-insensitive, capped at 9 (for "did you mean"). */
static int distance(const char *a, const char *b) {
    int prev[64], cur[64], i, j, na = (int)strlen(a), nb = (int)strlen(b);
    if (na > 62 || nb > 62) return 9;
    for (j = 0; j <= nb; j++) prev[j] = j;
    for (i = 1; i <= na; i++) {
        cur[0] = i;
        for (j = 1; j <= nb; j++) {
            int sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (size_t)(nb + 1));
    }
    return prev[nb] > 9 ? 9 : prev[nb];
}

/* The closest of the space-separated words in list to word, if close enough. */
static void closest_word(const char *list, const char *word, char *best, size_t cap, int *best_d) {
    const char *p = list;
    while (*p) {
        char w[64];
        size_t n = strcspn(p, " ");
        if (n && n < sizeof w) {
            int d;
            memcpy(w, p, n);
            w[n] = 0;
            d = distance(word, w);
            if (d < *best_d) {
                *best_d = d;
                snprintf(best, cap, "%s", w);
            }
        }
        p += n;
        p += strspn(p, " ");
    }
}

static void print_command_help(const command *cmd) {
    printf("usage: cdrest [global options] %s%s%s\n", cmd->name, cmd->synopsis[0] ? " " : "", cmd->synopsis);
    printf("  ectool form: cdrest %s\n", cmd->ectool);
    printf("  short form:  cdrest %s%s%s\n\n%s\n", cmd->name, cmd->synopsis[0] ? " " : "", cmd->synopsis, cmd->help);
    if (cmd->named[0]) {
        const char *p = cmd->named;
        printf("\nThe operands by name (ectool's):");
        while (*p) {
            size_t n = strcspn(p, " ");
            printf(" --%.*s", (int)n, p);
            p += n;
            p += strspn(p, " ");
        }
        putchar('\n');
    }
    if (strstr(cmd->options, " jobStepId "))
        printf("\nContext options (each becomes the parameter of the same name):\n %s\n", CONTEXT_OPTIONS);
    printf("\nSee 'cdrest --help' for the global options and the exit statuses.\n");
}

static int cmd_help(cli *t) {
    const command *cmd = t->nargs ? find_command(t->args[0]) : NULL;
    if (t->nargs && !cmd) {
        t->cmd = NULL; /* the hint is the list of commands, not help's own help */
        return unknown_command(t, t->args[0]);
    }
    if (cmd)
        print_command_help(cmd);
    else
        print_usage();
    return 0;
}

/* ===========================================================================
   Parsing the command line
   =========================================================================== */

/* The global options: adding one is one row. Values point into argv. */
typedef struct global_option {
    const char *name;
    int is_flag;
    size_t offset; /* of its `const char *` (a value) or `int` (a flag) in cli */
} global_option;

#define GLOBAL_VALUE(name, field) \
    { name, 0, offsetof(cli, field) }
#define GLOBAL_FLAG(name, field) \
    { name, 1, offsetof(cli, field) }
static const global_option global_options[] = {
    GLOBAL_VALUE("server", server),
    GLOBAL_VALUE("user", user),
    GLOBAL_VALUE("password-file", password_file),
    GLOBAL_VALUE("token", token),
    GLOBAL_VALUE("token-file", token_file),
    GLOBAL_VALUE("session-file", session_file),
    GLOBAL_VALUE("cacert", cacert),
    GLOBAL_VALUE("pin", pin),
    GLOBAL_VALUE("timeout", timeout),
    GLOBAL_VALUE("port", port),
    GLOBAL_VALUE("securePort", secure_port),
    GLOBAL_VALUE("secure", secure),
    GLOBAL_VALUE("format", format),
    GLOBAL_VALUE("proxy", proxy),
    GLOBAL_VALUE("noproxy", noproxy),
    GLOBAL_FLAG("basic", basic),
    GLOBAL_FLAG("insecure", insecure),
    GLOBAL_FLAG("verbose", verbose),
    GLOBAL_FLAG("allow-plain-http", allow_plain_http),
    GLOBAL_FLAG("json", json),
    GLOBAL_FLAG("help", help),
    GLOBAL_FLAG("version", version),
    GLOBAL_FLAG("silent", silent),
    GLOBAL_FLAG("warning-ok", warning_ok),
};

static const global_option *find_global(const char *name) {
    size_t i;
    for (i = 0; i < sizeof global_options / sizeof global_options[0]; i++)
        if (!strcmp(global_options[i].name, name)) return &global_options[i];
    return NULL;
}

static int is_pair_option(const char *name) {
    return !strcmp(name, "actualParameter") || !strcmp(name, "param");
}

/* Options that may be repeated, each adding to a list. */
static int is_list_option(const char *name) {
    return !strcmp(name, "stagesToRun");
}

/* 1 if the command takes --name (an option, or a positional operand by its name). */
static int takes_option(const command *cmd, const char *name) {
    return in_list(cmd->options, name) || in_list(cmd->named, name);
}

/* 1 if some command takes --name. */
static int is_command_option(const char *name) {
    size_t i;
    for (i = 0; i < NCOMMANDS; i++)
        if (takes_option(&commands[i], name)) return 1;
    return 0;
}

/* "unknown option --x" with the closest known option, if one is close. */
static int unknown_option(cli *t, const char *name) {
    char best[64] = "";
    int best_d = 3;
    size_t i;
    for (i = 0; i < sizeof global_options / sizeof global_options[0]; i++)
        closest_word(global_options[i].name, name, best, sizeof best, &best_d);
    for (i = 0; i < NCOMMANDS; i++) {
        closest_word(commands[i].options, name, best, sizeof best, &best_d);
        closest_word(commands[i].named, name, best, sizeof best, &best_d);
    }
    if (!strcmp(name, "toDirectory"))
        return usage_error(t, "--toDirectory (retrieving artifact files) is not offered by cdrest: %s",
                           not_offered[0][1]);
    if (best[0]) return usage_error(t, "unknown option --%s (did you mean --%s?)", name, best);
    return usage_error(t, "unknown option --%s", name);
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
    } else if (!is_list_option(name)) {
        for (i = 0; i < t->nopts; i++)
            if (!strcmp(t->opts[i].name, name)) return usage_error(t, "option --%s is given twice", name);
    }
    t->nopts++;
    return 0;
}

/* One "--name[=value]" argument at argv[*i]; may consume the following words. After the
   command, the command's own options win over global ones of the same name (ectool's
   runProcedure ... --timeout S is the wait's limit; before the command, the requests'). */
static int parse_option(cli *t, int argc, char **argv, int *i) {
    char *name = argv[*i] + 2, *value = strchr(name, '=');
    const command *cmd = t->cmd_name ? find_command(t->cmd_name) : NULL;
    const global_option *g = NULL;
    int rc, own;
    if (value) *value++ = 0; /* --name=value */
    own = cmd && takes_option(cmd, name);
    if (!own) g = find_global(name);
    if (g && g->is_flag) {
        if (value) return usage_error(t, "option --%s takes no value", name);
        *(int *)((char *)t + g->offset) = 1;
        return 0;
    }
    if (!g && !own && strcmp(name, "password") != 0 && !is_command_option(name)) return unknown_option(t, name);
    if (!value && *i + 1 >= argc) return usage_error(t, "option --%s needs a value", name);
    if (!value) value = argv[++*i];
    if (g && g->offset == offsetof(cli, token)) return take_token(t, value); /* blanked in argv */
    if (g)
        *(const char **)((char *)t + g->offset) = value;
    else if (!own && !strcmp(name, "password"))
        return take_password(t, value, "--password");
    else if ((rc = add_command_option(t, name, value)) != 0)
        return rc;
    /* ectool style: --actualParameter a=1 b=2 takes the NAME=VALUE words that follow */
    while (is_pair_option(name) && *i + 1 < argc && strchr(argv[*i + 1], '=') && argv[*i + 1][0] != '-' &&
           argv[*i + 1][0] != '/')
        if ((rc = add_command_option(t, name, argv[++*i])) != 0) return rc;
    return 0;
}

/* Short options as curl users type them: -k (--insecure), -v (--verbose), -h (--help),
   also together (-kv). Once the command has an operand, a word with "h" is an operand
   itself: `setProperty P -h` sets P to "-h" (or is an error), it never prints help and
   succeeds without setting. A word that is not made of these letters is no flag. */
static int short_flag(cli *t, const char *a) {
    const char *p;
    if (a[0] != '-' || !a[1] || strspn(a + 1, "kvh") != strlen(a + 1)) return 0;
    if (strchr(a, 'h') && t->nargs > 0) return 0;
    for (p = a + 1; *p; p++) {
        if (*p == 'k')
            t->insecure = 1;
        else if (*p == 'v')
            t->verbose = 1;
        else
            t->help = 1;
    }
    return 1;
}

static int parse_command_line(cli *t, int argc, char **argv) {
    int i, rc, only_words = 0;
    for (i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!only_words && !strcmp(a, "--")) {
            only_words = 1;
        } else if (!only_words && a[0] == '-' && a[1] == '-' && a[2]) {
            if ((rc = parse_option(t, argc, argv, &i)) != 0) return rc;
        } else if (!only_words && short_flag(t, a)) {
            continue;
        } else if (!t->cmd_name) {
            t->cmd_name = a;
        } else {
            t->args[t->nargs++] = a;
        }
    }
    return 0;
}

/* ectool also names an artifact by its parts: --groupId G --artifactKey K is --artifactName
   G:K (both or neither; not with --artifactName). */
static int artifact_from_parts(cli *t) {
    int i, g = -1, k = -1, named = 0;
    for (i = 0; i < t->nopts; i++) {
        if (t->opts[i].pair_value) continue;
        if (!strcmp(t->opts[i].name, "groupId"))
            g = i;
        else if (!strcmp(t->opts[i].name, "artifactKey"))
            k = i;
        else if (!strcmp(t->opts[i].name, "artifactName"))
            named = 1;
    }
    if (g < 0 && k < 0) return 0;
    if (g < 0 || k < 0) return usage_error(t, "give --groupId and --artifactKey together (or --artifactName G:K)");
    if (named) return usage_error(t, "give --artifactName G:K or --groupId G --artifactKey K, not both");
    if ((size_t)snprintf(t->artifact_name, sizeof t->artifact_name, "%s:%s", t->opts[g].value, t->opts[k].value) >=
        sizeof t->artifact_name)
        return usage_error(t, "--groupId and --artifactKey are too long");
    /* the pair becomes one --artifactName option in g's slot; k's slot goes */
    t->opts[g].name = "artifactName";
    t->opts[g].value = t->artifact_name;
    memmove(&t->opts[k], &t->opts[k + 1], sizeof t->opts[0] * (size_t)(t->nopts - k - 1));
    t->nopts--;
    return 0;
}

/* Fold ectool's named operands (--propertyName P, --jobId J, ...) into the positional
   list, in the command's order: each slot takes its named option, else the next word
   given by position. A hole before a filled slot is a missing operand. */
static int merge_named(cli *t) {
    const char *p = t->cmd->named;
    char **given = t->args, **merged;
    int next = 0, n = 0, hole = -1, i;
    char hole_name[64] = "";
    merged = (char **)calloc((size_t)t->nargs + (size_t)t->nopts + 1, sizeof *merged);
    if (!merged) return local_error(t, "out of memory");
    while (*p) {
        char name[64];
        size_t len = strcspn(p, " ");
        const char *v = NULL;
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        for (i = 0; i < t->nopts; i++)
            if (!t->opts[i].pair_value && !strcmp(t->opts[i].name, name)) {
                v = t->opts[i].value;
                memmove(&t->opts[i], &t->opts[i + 1], sizeof t->opts[0] * (size_t)(t->nopts - i - 1));
                t->nopts--;
                break;
            }
        if (!v && next < t->nargs) v = given[next++];
        if (v && hole >= 0) {
            free(merged);
            return usage_error(t, "%s: missing argument %s (or --%s)", t->cmd->name, hole_name, hole_name);
        }
        if (v)
            merged[n++] = (char *)v;
        else if (hole < 0) {
            hole = n;
            snprintf(hole_name, sizeof hole_name, "%s", name);
        }
        p += len;
        p += strspn(p, " ");
    }
    while (next < t->nargs) merged[n++] = given[next++];
    memcpy(t->args, merged, sizeof *merged * (size_t)n);
    t->nargs = n;
    free(merged);
    return 0;
}

static int unknown_command(cli *t, const char *name) {
    char best[64] = "";
    int best_d = 4;
    size_t k;
    for (k = 0; k < sizeof not_offered / sizeof not_offered[0]; k++)
        if (!strcmp(name, not_offered[k][0]))
            return usage_error(t, "%s is not offered by cdrest: %s", name, not_offered[k][1]);
    for (k = 0; k < NCOMMANDS; k++) closest_word(commands[k].name, name, best, sizeof best, &best_d);
    if (best[0]) return usage_error(t, "unknown command '%s' (did you mean %s?)", name, best);
    return usage_error(t, "unknown command '%s'", name);
}

/* The command, its arguments and its options make sense together. */
static int check_command(cli *t) {
    int i, rc;
    if (!t->cmd_name) return usage_error(t, "no command given");
    if (!(t->cmd = find_command(t->cmd_name))) return unknown_command(t, t->cmd_name);
    /* --help with operands or command options would do nothing and succeed: `setProperty
       P v --help` must not look as if it set P */
    if (t->help && (t->nargs || t->nopts))
        return usage_error(t,
                           "--help with arguments does nothing: nothing was done; for help run "
                           "'cdrest %s --help' alone",
                           t->cmd->name);
    if (t->help) return 0;
    if (!strncmp(t->cmd->named, "artifactName", 12) && (rc = artifact_from_parts(t)) != 0) return rc;
    for (i = 0; i < t->nopts; i++)
        if (!takes_option(t->cmd, t->opts[i].name))
            return usage_error(t, "%s does not take --%s", t->cmd->name, t->opts[i].name);
    if ((rc = merge_named(t)) != 0) return rc;
    if (t->nargs < t->cmd->min_args)
        return usage_error(t, "%s: missing argument (wants %s)", t->cmd->name, t->cmd->synopsis);
    if (t->cmd->max_args >= 0 && t->nargs > t->cmd->max_args)
        return usage_error(t, "%s: too many arguments ('%s')", t->cmd->name, t->args[t->cmd->max_args]);
    return 0;
}

/* ectool's --format json|xml and --silent. */
static int output_options(cli *t) {
    if (t->format) {
        if (!strcasecmp(t->format, "json"))
            t->json = 1;
        else if (strcasecmp(t->format, "text") != 0)
            return usage_error(t,
                               "--format %s: cdrest prints JSON (--format json) or its plain forms; the REST "
                               "API has no XML",
                               t->format);
    }
    if (t->silent) { /* ectool: no result on stdout; errors still on stderr */
        int fd = open("/dev/null", O_WRONLY);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) return local_error(t, "--silent: /dev/null: %s", strerror(errno));
        close(fd);
    }
    return 0;
}

static int run(cli *t, int argc, char **argv) {
    int rc;
    if ((rc = parse_command_line(t, argc, argv)) != 0) return rc;
    if ((rc = output_options(t)) != 0) return rc;
    if (t->version) {
        printf("cdrest %s\n", CDREST_VERSION);
        return 0;
    }
    if (t->help && !t->cmd_name) {
        print_usage();
        return 0;
    }
    if ((rc = check_command(t)) != 0) return rc;
    if (t->help) {
        print_command_help(t->cmd);
        return 0;
    }
    return t->cmd->run(t);
}

/* SIGINT, SIGTERM, SIGHUP: remember it and let the run end its request, log out the
   session it made and die of the signal then; a second one kills at once. */
static void on_stop_signal(int sig) {
    stop_signal = sig;
    signal(sig, SIG_DFL);
}

static void handle_signals(void) {
    struct sigaction sa;
    int sigs[] = { SIGINT, SIGTERM, SIGHUP }, i;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: a wait's sleep ends at once */
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < 3; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue; /* nohup */
        sigaction(sigs[i], &sa, NULL);
    }
    /* A closed pipe on stdout is an EPIPE error, not death: the session is logged out
       first, and then we die of SIGPIPE as the shell expects. */
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv) {
    cli t;
    int rc, out_errno = 0, i;
    memset(&t, 0, sizeof t);
    t.args = (char **)calloc((size_t)argc + 1, sizeof *t.args);
    t.opts = (option_arg *)calloc((size_t)argc + 1, sizeof *t.opts);
    t.params = (cdrest_param *)calloc((size_t)argc + 1, sizeof *t.params);
    if (!t.args || !t.opts || !t.params) {
        fprintf(stderr, "cdrest: out of memory\n");
        return EXIT_LOCAL;
    }
    handle_signals();
    rc = run(&t, argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) out_errno = errno ? errno : EIO;
    close_client(&t);
    if (out_errno && out_errno != EPIPE) {
        say(&t, "cannot write the output: %s", strerror(out_errno));
        if (!rc) rc = EXIT_LOCAL;
    }
    wipe(t.password, sizeof t.password);
    wipe(t.token_copy, sizeof t.token_copy);
    wipe(t.saved_session, sizeof t.saved_session);
    wipe(t.first_session, sizeof t.first_session);
    for (i = 0; i < t.nowned; i++) free(t.owned[i]);
    free(t.args);
    free(t.opts);
    free(t.params);
    if (stop_signal) raise(stop_signal);
    if (out_errno == EPIPE) {
        signal(SIGPIPE, SIG_DFL);
        raise(SIGPIPE);
    }
    return rc;
}
