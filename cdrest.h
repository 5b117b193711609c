/* cdrest.h - a CloudBees CD/RO REST API v1.0 client in one C header.   MIT licence, see the end.

   Do this:
       #define CDREST_IMPLEMENTATION
   before you include this file in *one* C or C++ file to create the implementation:

       #include ...
       #define CDREST_IMPLEMENTATION
       #include "cdrest.h"

   and link with -lbearssl (or build with -DCDREST_NO_TLS for plain http:// only).
   Every other file includes "cdrest.h" without the define and gets the declarations.

   WHAT IT IS
     A small, strict HTTP/1.1 client over POSIX sockets, TLS through BearSSL, a strict
     RFC 8259 JSON tokenizer, and the CloudBees CD calls users make (sessions, properties,
     artifacts and versions, jobs, a generic call) with the server's errors returned as
     readable, typed errors. No other dependency than libc, POSIX sockets and BearSSL.

   LAYERS (top to bottom in this file; each section calls only the ones above it)
     config     - macros you may define before including (allocator, limits, features)
     API        - the public types and functions
     JSON       - cdrest_json_*: tokenizer, lookup, unescape, writer (no network needed)
     text       - URL parsing, percent-encoding, base64, error text
     transport  - connect/read/write/close with deadlines; POSIX sockets by default
     TLS        - BearSSL client over the transport (compiled out by CDREST_NO_TLS)
     HTTP       - HTTP/1.1 request writer and strict response reader, keep-alive
     CD         - the CloudBees CD client: auth, properties, artifacts, jobs, errors

   CONFIGURATION (define before including the implementation)
     CDREST_STATIC                 make every public function static
     CDREST_NO_TLS                 build without BearSSL (https:// gives CDREST_E_UNSUPPORTED)
     CDREST_MALLOC(ctx,n)          allocator with a user context (config.alloc_ctx);
     CDREST_REALLOC(ctx,p,n)       default: malloc/realloc/free
     CDREST_FREE(ctx,p)
     CDREST_ASSERT(x)              default: assert(x)
     CDREST_MAX_HEADER_BYTES       cap on a response's status line + headers (default 65536)
     CDREST_MAX_HEADERS            cap on the number of response headers (default 128)
     CDREST_DEFAULT_MAX_BODY       default cap on a buffered response body (default 64 MiB)
     CDREST_JSON_MAX_DEPTH         deepest nesting the tokenizer accepts (default 512)
     CDREST_ERRMSG_SIZE            size of the readable error line (default 256)

   THREADS
     No global or thread-local state anywhere. A client is used by one thread at a time;
     distinct clients run in parallel freely. No threads are started, no signal handler is
     installed (SIGPIPE is avoided per call with MSG_NOSIGNAL / SO_NOSIGPIPE).

   TLS
     BearSSL speaks TLS 1.0-1.2 only; cdrest requires TLS 1.2. A server that only offers
     TLS 1.3 is refused with a clear message. Verification is on by default.
*/
/* The implementation needs POSIX (getaddrinfo, poll, clock_gettime) even under -std=c99.
   This must come before the first system header; if you include system headers before
   this file in the implementation's translation unit, define _POSIX_C_SOURCE yourself. */
#if defined(CDREST_IMPLEMENTATION) && defined(__linux__) && !defined(_POSIX_C_SOURCE) && \
    !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE) && !defined(_XOPEN_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#ifndef CDREST_H_INCLUDED
#define CDREST_H_INCLUDED

/* ===========================================================================
   config: version and the macros a user may set before including.
   =========================================================================== */

#define CDREST_VERSION_MAJOR 0
#define CDREST_VERSION_MINOR 1
#define CDREST_VERSION_PATCH 0
#define CDREST_VERSION "0.1.0"

#ifndef CDRESTDEF
#ifdef CDREST_STATIC
#define CDRESTDEF static
#else
#define CDRESTDEF extern
#endif
#endif

#ifndef CDREST_MAX_HEADER_BYTES
#define CDREST_MAX_HEADER_BYTES 65536
#endif
#ifndef CDREST_MAX_HEADERS
#define CDREST_MAX_HEADERS 128
#endif
#ifndef CDREST_DEFAULT_MAX_BODY
#define CDREST_DEFAULT_MAX_BODY ((size_t)64 * 1024 * 1024)
#endif
#ifndef CDREST_JSON_MAX_DEPTH
#define CDREST_JSON_MAX_DEPTH 512
#endif
#ifndef CDREST_ERRMSG_SIZE
#define CDREST_ERRMSG_SIZE 256
#endif

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
   API: error codes. Every public call returns 0 or one of these (negative).
   =========================================================================== */

enum {
    CDREST_OK = 0,
    CDREST_E_ARG = -1,         /* a wrong argument from the caller */
    CDREST_E_NOMEM = -2,       /* an allocation failed */
    CDREST_E_RESOLVE = -3,     /* the host name did not resolve */
    CDREST_E_CONNECT = -4,     /* no address accepted the connection */
    CDREST_E_TIMEOUT = -5,     /* a deadline passed */
    CDREST_E_IO = -6,          /* the connection failed or closed mid-exchange */
    CDREST_E_TLS = -7,         /* the TLS handshake or record layer failed */
    CDREST_E_PROTOCOL = -8,    /* the server broke HTTP/1.1 */
    CDREST_E_TOOLARGE = -9,    /* a cap or a caller buffer was too small */
    CDREST_E_JSON = -10,       /* invalid JSON (from the server or the caller) */
    CDREST_E_JSON_TOKENS = -11,/* the token array is too small; grow it and call again */
    CDREST_E_HTTP = -12,       /* an HTTP error status without a CD error body */
    CDREST_E_SERVER = -13,     /* the CD server answered with an error ({"error":...}) */
    CDREST_E_AUTH = -14,       /* credentials missing, refused or expired */
    CDREST_E_UNSUPPORTED = -15 /* a feature not built in or not supported */
};

/* A short constant name for a code: "timeout", "TLS error", ... Never NULL. */
CDRESTDEF const char *cdrest_strerror(int code);

/* ===========================================================================
   API: JSON. A strict RFC 8259 tokenizer into a caller-owned token array (no
   allocation), lookup helpers over the tokens, and a writer for request bodies.
   =========================================================================== */

typedef enum cdrest_json_type {
    CDREST_JSON_UNDEFINED = 0,
    CDREST_JSON_OBJECT = 1,
    CDREST_JSON_ARRAY = 2,
    CDREST_JSON_STRING = 3,  /* start/end span the text between the quotes */
    CDREST_JSON_NUMBER = 4,
    CDREST_JSON_TRUE = 5,
    CDREST_JSON_FALSE = 6,
    CDREST_JSON_NULL = 7
} cdrest_json_type;

/* One token: a span [start, end) of the input. size is the number of direct
   children (object: members, whose key tokens come with their value as child;
   array: elements; a key string: 1). parent is the index of the parent token or -1. */
typedef struct cdrest_json_tok {
    int type; /* cdrest_json_type */
    int start;
    int end;
    int size;
    int parent;
} cdrest_json_tok;

/* Parser state, caller-owned. cdrest_json_init() before the first parse. After
   CDREST_E_JSON_TOKENS the caller may grow the array and call parse again with the same
   state and input: it resumes where it stopped. */
typedef struct cdrest_json_parser {
    size_t pos;        /* next byte to read */
    int toknext;       /* next token index to fill */
    int toksuper;      /* index of the open container, or -1 */
    int depth;         /* current nesting */
    int max_depth;     /* limit, 1..CDREST_JSON_MAX_DEPTH (init sets CDREST_JSON_MAX_DEPTH) */
    int state;         /* private state of the state machine */
    int error;         /* CDREST_JSON_ERR_* after CDREST_E_JSON */
    size_t error_pos;  /* byte offset of the error */
    unsigned char stack[(CDREST_JSON_MAX_DEPTH + 7) / 8]; /* container kinds (bit set = object) */
} cdrest_json_parser;

/* Why a parse failed (parser.error), readable through cdrest_json_errstr(). */
enum {
    CDREST_JSON_ERR_NONE = 0,
    CDREST_JSON_ERR_SYNTAX,      /* unexpected character */
    CDREST_JSON_ERR_EOF,         /* the input ended inside a value */
    CDREST_JSON_ERR_NUMBER,      /* malformed number */
    CDREST_JSON_ERR_LITERAL,     /* misspelled true/false/null */
    CDREST_JSON_ERR_CONTROL,     /* raw control character in a string */
    CDREST_JSON_ERR_ESCAPE,      /* invalid escape or \u sequence, lone surrogate */
    CDREST_JSON_ERR_UTF8,        /* invalid UTF-8 */
    CDREST_JSON_ERR_DEPTH,       /* nested deeper than max_depth */
    CDREST_JSON_ERR_TRAILING,    /* something after the root value */
    CDREST_JSON_ERR_EMPTY,       /* no value at all */
    CDREST_JSON_ERR_TOOBIG       /* input longer than INT_MAX bytes */
};

CDRESTDEF void cdrest_json_init(cdrest_json_parser *p);
/* Tokenize js[0..len). Returns the number of tokens (> 0), or CDREST_E_JSON (see
   p->error, p->error_pos) or CDREST_E_JSON_TOKENS. With toks == NULL it validates and
   returns the number of tokens needed. */
CDRESTDEF int cdrest_json_parse(cdrest_json_parser *p, const char *js, size_t len,
                                cdrest_json_tok *toks, int ntoks);
CDRESTDEF const char *cdrest_json_errstr(int json_error);

/* Index of the token after the subtree rooted at i. */
CDRESTDEF int cdrest_json_skip(const cdrest_json_tok *t, int ntok, int i);
/* Iterate children: first child of container i (for an object, the first key), or -1;
   then the next sibling of child c, or -1. For objects, the value of key k is k + 1. */
CDRESTDEF int cdrest_json_first(const cdrest_json_tok *t, int ntok, int i);
CDRESTDEF int cdrest_json_next(const cdrest_json_tok *t, int ntok, int c);
/* Find by path from token `from`: "property.value", "project[2].projectName", "[0]".
   Keys match exactly (case-sensitive, escapes decoded). Returns the value's index or -1. */
CDRESTDEF int cdrest_json_find(const char *js, const cdrest_json_tok *t, int ntok, int from,
                               const char *path);
/* 1 if string token i equals the C string s (escapes decoded), else 0. */
CDRESTDEF int cdrest_json_eq(const char *js, const cdrest_json_tok *t, int i, const char *s);
/* Unescape string token i (or copy a number/literal) into buf as UTF-8, NUL-terminated.
   *len gets the length without the NUL. If buf is too small (cap < length + 1):
   CDREST_E_TOOLARGE with *len the length needed. */
CDRESTDEF int cdrest_json_string(const char *js, const cdrest_json_tok *t, int i, char *buf,
                                 size_t cap, size_t *len);
/* Number token (or a string token holding one, as CD sends ids) to an integer or double.
   CDREST_E_TOOLARGE on overflow, CDREST_E_JSON when it is no (integer) number. */
CDRESTDEF int cdrest_json_int64(const char *js, const cdrest_json_tok *t, int i, int64_t *out);
CDRESTDEF int cdrest_json_double(const char *js, const cdrest_json_tok *t, int i, double *out);

/* Writer: builds JSON into buf. Errors are sticky (w->error): CDREST_E_TOOLARGE when buf
   is short (w->len keeps counting the bytes needed), CDREST_E_ARG for invalid UTF-8 or a
   misplaced call. Commas and colons are inserted for you. */
typedef struct cdrest_json_writer {
    char *buf;
    size_t cap;
    size_t len;      /* bytes written (or needed) so far, without the NUL */
    int error;
    int depth;
    int need_comma;  /* a value was written at this level */
    int after_key;   /* a key was written and awaits its value */
    unsigned char stack[(CDREST_JSON_MAX_DEPTH + 7) / 8];
} cdrest_json_writer;

CDRESTDEF void cdrest_jw_init(cdrest_json_writer *w, char *buf, size_t cap);
CDRESTDEF void cdrest_jw_object_begin(cdrest_json_writer *w);
CDRESTDEF void cdrest_jw_object_end(cdrest_json_writer *w);
CDRESTDEF void cdrest_jw_array_begin(cdrest_json_writer *w);
CDRESTDEF void cdrest_jw_array_end(cdrest_json_writer *w);
CDRESTDEF void cdrest_jw_key(cdrest_json_writer *w, const char *key);
CDRESTDEF void cdrest_jw_string(cdrest_json_writer *w, const char *s);
CDRESTDEF void cdrest_jw_string_n(cdrest_json_writer *w, const char *s, size_t n);
CDRESTDEF void cdrest_jw_int64(cdrest_json_writer *w, int64_t v);
CDRESTDEF void cdrest_jw_bool(cdrest_json_writer *w, int v);
CDRESTDEF void cdrest_jw_null(cdrest_json_writer *w);
/* A pre-validated JSON value (e.g. a caller's --data), inserted as is after validation. */
CDRESTDEF void cdrest_jw_raw(cdrest_json_writer *w, const char *json, size_t n);
/* 0 when complete and balanced, else the sticky error. NUL-terminates when it fits. */
CDRESTDEF int cdrest_jw_finish(cdrest_json_writer *w);

/* ===========================================================================
   API: text. URLs, percent-encoding, base64, and the error record every layer fills.
   =========================================================================== */

/* The detail of the last failure, kept in the client (never in a global). */
typedef struct cdrest_error {
    int code;              /* the CDREST_E_* returned, or 0 */
    int http_status;       /* the response's status, or 0 when none came */
    int tls_error;         /* BearSSL's error number, or 0 */
    char server_code[64];  /* the CD error code, e.g. "NoSuchProperty", or "" */
    char server_message[CDREST_ERRMSG_SIZE];
    char server_details[CDREST_ERRMSG_SIZE];
    char server_where[128];
    char msg[CDREST_ERRMSG_SIZE]; /* one readable line (never holds a secret) */
} cdrest_error;

/* A parsed server URL: scheme://host[:port][/base/path]. */
typedef struct cdrest_url {
    int https;             /* 1 for https:// */
    int ipv6;              /* host is an IPv6 literal (written without brackets here) */
    unsigned short port;   /* explicit, or 80 / 443 */
    char host[256];        /* lower-cased host name, IPv4 or IPv6 literal */
    char base_path[512];   /* "" or "/cd" (no trailing slash) */
} cdrest_url;

/* Parse an absolute http(s) URL. Refuses userinfo, fragments, queries, spaces and control
   characters with CDREST_E_ARG and a reason in err (may be NULL). */
CDRESTDEF int cdrest_url_parse(cdrest_url *u, const char *url, cdrest_error *err);

/* Percent-encode src[0..n) into dst (NUL-terminated when it fits). Returns the length
   needed without the NUL; the output is complete only when that is < cap.
   SEGMENT keeps RFC 3986 unreserved characters and sub-delims safe in a path segment
   (never '/', '?', '#', '%'); QUERY keeps only unreserved. Space is always %20. */
enum { CDREST_PCT_SEGMENT = 0, CDREST_PCT_QUERY = 1, CDREST_PCT_PATH = 2 /* keeps '/' */ };
CDRESTDEF size_t cdrest_percent_encode(char *dst, size_t cap, const char *src, size_t n,
                                       int mode);
/* Base64 (RFC 4648, padded). Returns the length needed without the NUL. */
CDRESTDEF size_t cdrest_base64_encode(char *dst, size_t cap, const void *src, size_t n);

/* ===========================================================================
   API: transport. How bytes reach the server: a small vtable with deadlines.
   The default is POSIX sockets; an RTOS (lwIP), a modem or a test harness plugs in
   its own by filling this struct and setting config.transport / transport_self.
   Stable interface: fields are only ever added at the end.
   =========================================================================== */

typedef struct cdrest_transport {
    /* Open a byte stream to host:port (host: a DNS name, IPv4 or IPv6 literal without
       brackets) within timeout_ms. 0 or CDREST_E_RESOLVE / _CONNECT / _TIMEOUT / ...;
       on failure fill err with cdrest-style text (see cdrest_error.msg). */
    int (*connect)(void *self, const char *host, unsigned short port, int timeout_ms,
                   cdrest_error *err);
    /* Read up to len bytes, waiting at most timeout_ms for the first one.
       > 0 bytes read, 0 the peer closed the stream, < 0 a CDREST_E_* code. */
    long (*read)(void *self, void *buf, size_t len, int timeout_ms, cdrest_error *err);
    /* Write up to len bytes (at least 1), waiting at most timeout_ms.
       > 0 bytes written, < 0 a CDREST_E_* code. */
    long (*write)(void *self, const void *buf, size_t len, int timeout_ms, cdrest_error *err);
    /* Close the stream; safe to call when not open. */
    void (*close)(void *self);
    /* Optional (may be NULL): 1 if an idle open stream still looks usable (no EOF or
       data pending), 0 if the peer closed it. Lets a POST avoid a dead keep-alive. */
    int (*alive)(void *self);
    /* Optional (may be NULL): a monotonic clock in milliseconds for deadlines.
       NULL uses clock_gettime(CLOCK_MONOTONIC). */
    int64_t (*now_ms)(void *self);
} cdrest_transport;

/* The POSIX-sockets transport (the default): getaddrinfo over every address, non-blocking
   connect, poll before each read and write, TCP_NODELAY, no SIGPIPE. */
typedef struct cdrest_socket {
    int fd; /* -1 when closed */
} cdrest_socket;
CDRESTDEF const cdrest_transport *cdrest_posix_transport(void);
CDRESTDEF void cdrest_socket_init(cdrest_socket *s);

/* ===========================================================================
   API: TLS options (BearSSL; ignored with CDREST_NO_TLS, where https:// fails with
   CDREST_E_UNSUPPORTED). Verification is on by default.
   =========================================================================== */

typedef struct cdrest_tls_config {
    const char *ca_file;      /* PEM file with one or more CA certificates */
    const char *ca_dir;       /* a directory of PEM files */
    const void *ca_blob;      /* PEM or DER certificate(s) in memory */
    size_t ca_blob_len;
    /* Trust anchors compiled in (br_x509_trust_anchor[], see tools/); with none of the
       above set and no anchors given, the system bundle is used (SSL_CERT_FILE /
       SSL_CERT_DIR override it). */
    const void *trust_anchors;
    size_t trust_anchors_count;
    /* Public-key pins, curl's format: "sha256//BASE64[;sha256//BASE64...]" of the
       server key's SubjectPublicKeyInfo. Checked in addition to verification. */
    const char *pin;
    /* DANGER: accept any certificate (self-signed, expired, wrong name). Only a pin, if
       given, is still checked. Never the default. */
    int tls_insecure_skip_verify;
    /* Name to verify and send as SNI instead of the URL's host (NULL = the host). */
    const char *server_name;
    /* Half-duplex I/O buffer (~16.7 KB instead of ~33 KB): less RAM, the server must not
       send while we write (fine for request/response HTTP). */
    int half_duplex;
    /* The current time in seconds since 1970 for certificate dates; -1 if unknown.
       NULL = time(). A device without a clock returns -1 and gets a clear error. */
    int64_t (*unix_time)(void *ctx);
    void *unix_time_ctx;
} cdrest_tls_config;

/* ===========================================================================
   API: the client and raw HTTP. A client is one struct the caller places anywhere
   (stack, static, heap): cdrest_init(&c, &cfg) ... cdrest_free(&c). It owns one
   connection, its buffers and the last error. Results (responses, tokens) point into
   the client's buffers and stay valid until the next call on that client.
   =========================================================================== */

typedef struct cdrest_config {
    const char *server;         /* "https://cd.example.com:8443", optionally with a base path */
    /* Credentials (copied; the password is wiped by cdrest_free). */
    const char *user;
    const char *password;
    const char *token;          /* a user access token: login with it instead of a password */
    const char *session_id;     /* an existing session (e.g. from COMMANDER_SESSIONID) */
    int basic_auth;             /* send Authorization: Basic on every call, no session */
    /* Credentials over plain http:// go only to loopback unless this is set. */
    int allow_plain_http;
    int connect_timeout_ms;     /* 0 = 10000 */
    int timeout_ms;             /* a whole request, 0 = 60000 */
    size_t max_body;            /* cap on a buffered response body, 0 = CDREST_DEFAULT_MAX_BODY */
    int max_redirects;          /* 0 = redirects are returned, not followed */
    /* "http://[user:pass@]host:port"; NULL = from the environment (COMMANDER_HTTP_PROXY,
       https_proxy/HTTPS_PROXY, http_proxy; no_proxy honoured) unless no_proxy is set. */
    const char *proxy;
    int no_proxy;               /* never use a proxy, whatever the environment says */
    cdrest_tls_config tls;
    const cdrest_transport *transport; /* NULL = POSIX sockets */
    void *transport_self;       /* the transport's own state, passed back as `self` */
    void *alloc_ctx;            /* passed to CDREST_MALLOC/REALLOC/FREE */
    /* Called with one line per request ("GET https://h/rest/v1.0/x -> 200 (3 ms)"),
       secrets never included. */
    void (*trace)(void *ctx, const char *line);
    void *trace_ctx;
    /* Optional caller memory. Given a buffer, the client never grows it (a larger
       response is CDREST_E_TOOLARGE); the same for tokens. */
    void *buffer;
    size_t buffer_size;
    cdrest_json_tok *tokens;
    int max_tokens;
    void *tls_memory;           /* for the TLS state and I/O buffer, see CDREST_TLS_MEMORY */
    size_t tls_memory_size;
} cdrest_config;

/* A response header: spans into the client's receive buffer. */
typedef struct cdrest_hspan {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} cdrest_hspan;

typedef struct cdrest_response {
    int status;                 /* 200, 404, ... */
    int http_minor;             /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
    const char *reason;
    size_t reason_len;
    const cdrest_hspan *headers;
    int nheaders;
    const char *body;           /* NUL-terminated for convenience (not counted) */
    size_t body_len;
} cdrest_response;

typedef struct cdrest_header {
    const char *name;
    const char *value;          /* CR, LF and NUL are refused */
} cdrest_header;

typedef struct cdrest_request {
    const char *method;         /* "GET", "POST", "PUT", "DELETE", "HEAD", ... */
    const char *target;         /* path and query, already encoded, below the base path */
    const cdrest_header *headers;
    int nheaders;
    const void *body;           /* a body in memory, or NULL */
    size_t body_len;            /* Content-Length (also for a streamed body) */
    /* A streamed body instead: called until body_len bytes came; returns bytes (> 0)
       or < 0 to abort the request with that CDREST_E_* code. */
    long (*body_read)(void *ctx, void *buf, size_t cap);
    void *body_ctx;
    /* A streamed response body instead of buffering: called per piece; a non-zero
       return aborts with that code. resp->body is then empty. */
    int (*on_body)(void *ctx, const void *data, size_t len);
    void *on_body_ctx;
} cdrest_request;

struct cdrest__tls; /* private */

typedef struct cdrest_client {
    cdrest_config cfg;          /* a copy; the strings it pointed to are copied below */
    cdrest_url url;
    cdrest_url proxy_url;
    int use_proxy;
    char proxy_auth[512];       /* "Basic ..." for the proxy, or "" */
    cdrest_error err;
    /* owned credentials */
    char user[256];
    char password[256];
    char token[1024];
    char session_id[256];
    /* the connection */
    const cdrest_transport *tp;
    void *tp_self;
    cdrest_socket sock;         /* the default transport's state */
    int connected;              /* a stream (and TLS, for https) is open */
    unsigned long conn_requests;/* requests served on the current connection */
    unsigned long connects;     /* connections opened by this client */
    struct cdrest__tls *tls;    /* NULL until the first https connection */
    /* buffers */
    char *buf;                  /* receive buffer */
    size_t buf_cap;
    size_t buf_len;             /* bytes held */
    char *out;                  /* request head and small bodies */
    size_t out_cap;
    char *body;                 /* request bodies built by the CD calls */
    size_t body_cap;
    cdrest_json_tok *toks;
    int toks_cap;
    int ntoks;                  /* tokens of the last JSON result */
    int owns_buf, owns_toks;
    cdrest_hspan headers[CDREST_MAX_HEADERS];
    cdrest_response resp;       /* the last response */
} cdrest_client;

/* The readable line for the last error ("" when none). */
CDRESTDEF const char *cdrest_errmsg(const cdrest_client *c);
CDRESTDEF const cdrest_error *cdrest_last_error(const cdrest_client *c);

/* Raw HTTP: send req to the client's server, read the whole response into resp.
   Any status is success here (check resp->status); errors are transport/protocol ones.
   Idle keep-alive connections found dead are reopened and idempotent requests resent once. */
CDRESTDEF int cdrest_http(cdrest_client *c, const cdrest_request *req, cdrest_response *resp);
/* A response header's value by case-insensitive name (first match), or NULL. */
CDRESTDEF const char *cdrest_response_header(const cdrest_response *r, const char *name,
                                             size_t *len);
/* Close the connection (the next call reconnects). */
CDRESTDEF void cdrest_disconnect(cdrest_client *c);

#ifdef __cplusplus
}
#endif
#endif /* CDREST_H_INCLUDED */

/* ######################################################################## */
/*                            IMPLEMENTATION                                */
/* ######################################################################## */
#ifdef CDREST_IMPLEMENTATION
#ifndef CDREST_IMPLEMENTATION_DONE
#define CDREST_IMPLEMENTATION_DONE

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <errno.h>
#include <time.h>

#ifndef CDREST_ASSERT
#include <assert.h>
#define CDREST_ASSERT(x) assert(x)
#endif
#ifndef CDREST_MALLOC
#define CDREST_MALLOC(ctx, n) ((void)(ctx), malloc(n))
#define CDREST_REALLOC(ctx, p, n) ((void)(ctx), realloc((p), (n)))
#define CDREST_FREE(ctx, p) ((void)(ctx), free(p))
#endif

/* JSON implementation: in progress */

/* TLS implementation: in progress */

#endif /* CDREST_IMPLEMENTATION_DONE */
#endif /* CDREST_IMPLEMENTATION */

/*
   VERSION HISTORY
     0.1.0  first release: HTTP/1.1 client, strict JSON tokenizer, BearSSL TLS, CD calls.

   LICENCE (MIT)
   Copyright (c) 2026 the cdrest authors

   Permission is hereby granted, free of charge, to any person obtaining a copy of this
   software and associated documentation files (the "Software"), to deal in the Software
   without restriction, including without limitation the rights to use, copy, modify,
   merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
   permit persons to whom the Software is furnished to do so, subject to the following
   conditions:

   The above copyright notice and this permission notice shall be included in all copies
   or substantial portions of the Software.

   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
   INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
   PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT
   HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
   CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE
   OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
*/
