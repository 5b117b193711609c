/* SPDX-License-Identifier: MIT */
/* cdrest.h - a CloudBees CD/RO REST API v1.0 client in one C header.   MIT licence, see the end.

   Do this:
       #define CDREST_IMPLEMENTATION
   before you include this file in *one* C or C++ file to create the implementation:

       #include ...
       #define CDREST_IMPLEMENTATION
       #include "cdrest.h"

   and link with -lbearssl (or build with -DCDREST_NO_TLS for plain http:// only).
   Every other file includes "cdrest.h" without the define and gets the declarations.

   EXAMPLE (a whole program: log in, set and read a property, say what failed)
       #define CDREST_IMPLEMENTATION
       #include "cdrest.h"
       #include <stdio.h>
       #include <stdlib.h>

       int main(void) {
           cdrest_config cfg = {0}; // zero is every default: TLS verified, finite deadlines
           cdrest_param ctx[] = {{"projectName", "Default"}, {NULL, NULL}};
           cdrest_client c;
           const char *value;
           size_t len;
           int failed;
           cfg.server = "https://cd.example.com:8443";
           cfg.user = "admin";
           cfg.password = getenv("CD_PASSWORD");
           failed = cdrest_init(&c, &cfg) || cdrest_login(&c) ||
                    cdrest_set_property(&c, "greeting", "hello", ctx, NULL) ||
                    cdrest_get_property_value(&c, "greeting", ctx, &value, &len);
           if (failed) fprintf(stderr, "cd: %s\n", cdrest_errmsg(&c)); // what failed and why, one line
           else printf("greeting = %s\n", value); // borrowed: valid until the next call on c
           cdrest_free(&c);                       // also after a failed init
           return failed;
       }

   WHAT IT IS
     A small, strict HTTP/1.1 client over POSIX sockets, TLS through BearSSL, a strict
     RFC 8259 JSON tokenizer, and the CloudBees CD calls users make (sessions, properties,
     artifacts and versions, jobs, a generic call) with the server's errors returned as
     readable, typed errors. No other dependency than libc, POSIX sockets and BearSSL.

   LAYERS (top to bottom in this file; each section calls only the ones above it)
     config     - macros you may define before including (allocator, limits, features)
     API        - the public types and functions
     base       - one copy of each shared primitive: ASCII classes, case-insensitive compare, wipe
     JSON       - cdrest_json_*: tokenizer, lookup, unescape, writer (no network needed)
     text       - URL parsing, percent-encoding, base64, error text
     transport  - connect/read/write/close with deadlines; POSIX sockets by default
     TLS        - BearSSL client over the transport (compiled out by CDREST_NO_TLS)
     HTTP       - HTTP/1.1 request writer and strict response reader, keep-alive
     CD         - the CloudBees CD client: auth, properties, artifacts, jobs, errors

   WHERE THINGS ARE (a layer, the title of one of its subsection rulers, then functions there)
     chunked decoding    HTTP "chunked bodies": cdrest__chunked_decode, cdrest__chunk_byte
     keep-alive          HTTP "reading the response": cdrest__http_receive (the head's verdict);
                         HTTP "one exchange: the attempt, the resend on a dead connection,
                         redirects": cdrest__http_attempt (the connection kept or closed)
     resend              HTTP "one exchange: the attempt, the resend on a dead connection,
                         redirects": cdrest__http_may_resend (the rule), cdrest__http_once
     body cap            HTTP "buffers": cdrest__body_cap (the rule and its words)
     redirects           HTTP "one exchange: the attempt, the resend on a dead connection,
                         redirects": cdrest__http_redirect, cdrest__http_request
     proxies             CD "proxy selection": cdrest__choose_proxy, cdrest__no_proxy_match;
                         HTTP "opening the connection (direct, or through a proxy)": cdrest__http_open,
                         cdrest__http_proxy_tunnel
     trust store         TLS "trust anchors": cdrest__tls_load_anchors, cdrest__tls_ld_sources,
                         cdrest__tls_ld_system
     pins                TLS "pins": cdrest__tls_parse_pins, cdrest__tls_check_pins
     host-name checks    TLS "names and policy: what BearSSL's minimal engine does not check":
                         cdrest__tls_leaf_has_name, cdrest__tls_name_match; TLS "the X.509 engine
                         BearSSL calls": cdrest__tls_x_end_chain (names, addresses, then pins)
     401 re-login        CD "sending a CD request with the client's authentication":
                         cdrest__cd_call_once, cdrest__session_refused, cdrest__login_at
     uploads             CD "publishing a version's files (multipart/form-data, streamed)":
                         cdrest__publish (with its own 401 re-login), cdrest__upload_next
     error words         text (its start, the error record): cdrest_strerror, cdrest__fail;
                         TLS "errors in words": cdrest__tls_describe, cdrest__tls_fail;
                         CD "answers: JSON, and the server's errors": cdrest__cd_error

   CONFIGURATION (define before including the implementation)
     CDREST_IMPLEMENTATION         in one file: compile the implementation (see the top)
     CDREST_STATIC                 make every public function static
     CDRESTDEF                     what every public function is declared with (default
                                   extern; static with CDREST_STATIC)
     CDREST_NO_TLS                 build without BearSSL (https:// gives CDREST_E_UNSUPPORTED)
     CDREST_NO_FILES               no CA files or directories (trust blobs and compiled-in
                                   anchors only)
     CDREST_NO_SOCKETS             leave out the POSIX socket transport (bring your own,
                                   see cdrest_transport; it must then provide now_ms)
     CDREST_NO_ENV                 never read environment variables (no cdrest_init_from_env)
     CDREST_NO_PROXY               direct connections only (no HTTP proxy support)
     CDREST_GETADDRINFO_A          glibc only: look host names up with getaddrinfo_a(), so
                                   that the connect deadline bounds name resolution too.
                                   glibc runs the lookup on a helper thread of its own
                                   (hence not the default: see THREADS); link with -lanl
                                   before glibc 2.34
     CDREST_NO_REDIRECTS           3xx answers are always returned (config.max_redirects unused)
     CDREST_NO_EXTRAS              leave out the extras (for the smallest targets): copies that
                                   outlive the next call (cdrest_doc_copy, _dup, cdrest_doc_detach),
                                   cdrest_doc_int64/_bool and the _ex calls (run options, transfer
                                   options, cancelling waits); the borrowed-result API stays
     CDREST_TERSE_ERRORS           cdrest_errmsg() gives cdrest_strerror()'s words only, no
                                   detail: about a fifth less code (for the smallest targets)
     CDREST_NO_FAST_PK             use only BearSSL's own public-key code (default: where the
                                   compiler has unsigned __int128, cdrest's 64-bit X25519,
                                   ECDSA P-256 and RSA signature checks) and SHA-256 (default:
                                   cdrest's on the x86-64 SHA extensions, where the CPU has them)
     CDREST_NO_MALLOC              never allocate: the caller hands in every buffer
                                   (config.buffer, send_buffer, tokens, tls_memory) and a
                                   request that does not fit fails with CDREST_E_TOOLARGE
     CDREST_MALLOC(ctx,n)          allocator with a user context (config.alloc_ctx);
     CDREST_REALLOC(ctx,p,n)       default: malloc/realloc/free
     CDREST_FREE(ctx,p)
     CDREST_ASSERT(x)              default: assert(x)
     CDREST_MAX_HEADER_BYTES       cap on a response's status line + headers (default 65536)
     CDREST_MAX_HEADERS            cap on the number of response headers (default 128)
     CDREST_DEFAULT_MAX_BODY       default cap on a buffered response body (default 64 MiB)
     CDREST_MAX_TOKENS             the JSON tokens a client grows to for one answer: this
                                   (default 1048576) or one per 6 bytes of a larger answer
     CDREST_JSON_MAX_DEPTH         deepest nesting the tokenizer accepts (default 512)
     CDREST_JSON_SCAN              how the tokenizer scans strings: 2 = 16 bytes a step with
                                   SSE2, 1 = 8 bytes a step in a 64-bit word (GCC/Clang,
                                   little-endian), 0 = a byte at a time (default: the best
                                   the compiler and CPU allow)
     CDREST_ERRMSG_SIZE            size of the readable error line (default 256)
     CDREST_MAX_DIR_DEPTH          deepest directory nesting cdrest_publish_artifact_dir
                                   walks (default 64)
     CDREST_TLS_MAX_PINS           most keys config.tls.pin may name (default 8)
     CDREST_TLS_LEAF_MAX           bytes of each certificate of the server's chain kept to
                                   check it (default 4096; a larger one fails with
                                   CDREST_TLS_ERR_CERT_TOO_BIG)
     CDREST_TLS_CA_FILE_MAX        largest CA file or bundle read (default 16 MiB)

   THREADS
     No global or thread-local state anywhere. A client is used by one thread at a time;
     distinct clients run in parallel freely. No threads are started (with
     CDREST_GETADDRINFO_A, glibc starts its own for lookups), no signal handler is
     installed (SIGPIPE is avoided per call with MSG_NOSIGNAL / SO_NOSIGPIPE).

   DEADLINES
     Every wait (connect, TLS, each read and write) is bounded by connect_timeout_ms and
     timeout_ms, except looking a host name up with getaddrinfo(), which cannot be
     interrupted: the system resolver's own timeouts bound it (glibc: 5 s x 2 tries per
     server and family by default). IP literals are never looked up; CDREST_GETADDRINFO_A
     (glibc) or config.resolve (anywhere) make the deadline bound the lookup too (see
     cdrest_socket).

   TLS
     BearSSL speaks TLS 1.0-1.2 only; cdrest requires TLS 1.2 with ECDHE and an AEAD cipher.
     A server that only offers TLS 1.3 is refused with a clear message. Verification is on
     by default and as strict as curl's: names from DNS SANs only, serverAuth purpose, name
     constraints, no SHA-1 signatures, RSA keys of 2048 bits at least (see "API: TLS").
*/
/* The implementation needs POSIX (getaddrinfo, poll, clock_gettime) even under -std=c99.
   This must come before the first system header; if you include system headers before
   this file in the implementation's translation unit, define _POSIX_C_SOURCE yourself. */
#if defined(CDREST_IMPLEMENTATION) && defined(CDREST_GETADDRINFO_A) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* getaddrinfo_a is a GNU extension */
#endif
#if defined(CDREST_IMPLEMENTATION) && defined(__linux__) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE) && \
    !defined(_DEFAULT_SOURCE) && !defined(_XOPEN_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#ifndef CDREST_H_INCLUDED
#define CDREST_H_INCLUDED

/* ===========================================================================
   config: version and the macros a user may set before including.
   =========================================================================== */

/* One space after each name: CMake, the Makefile and packagers read these lines with sed. */
/* clang-format off */
#define CDREST_VERSION_MAJOR 0
#define CDREST_VERSION_MINOR 1
#define CDREST_VERSION_PATCH 0
#define CDREST_VERSION "0.1.0"
/* clang-format on */

#ifndef CDRESTDEF
#ifdef CDREST_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define CDRESTDEF static __attribute__((unused)) /* a private copy may leave calls unused */
#else
#define CDRESTDEF static
#endif
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
#ifndef CDREST_MAX_TOKENS
#define CDREST_MAX_TOKENS (1024 * 1024) /* 20 MiB of tokens; larger answers get len/6 (see cdrest__token_budget) */
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
    CDREST_E_ARG = -1,          /* a wrong argument from the caller */
    CDREST_E_NOMEM = -2,        /* an allocation failed */
    CDREST_E_RESOLVE = -3,      /* the host name did not resolve */
    CDREST_E_CONNECT = -4,      /* no address accepted the connection */
    CDREST_E_TIMEOUT = -5,      /* a deadline passed */
    CDREST_E_IO = -6,           /* the connection failed or closed mid-exchange */
    CDREST_E_TLS = -7,          /* the TLS handshake or record layer failed */
    CDREST_E_PROTOCOL = -8,     /* the server broke HTTP/1.1 */
    CDREST_E_TOOLARGE = -9,     /* a cap or a caller buffer was too small */
    CDREST_E_JSON = -10,        /* invalid JSON (from the server or the caller) */
    CDREST_E_JSON_TOKENS = -11, /* the token array is too small; grow it and call again */
    CDREST_E_HTTP = -12,        /* an HTTP error status without a CD error body */
    CDREST_E_SERVER = -13,      /* the CD server answered with an error ({"error":...}) */
    CDREST_E_AUTH = -14,        /* credentials missing, refused or expired */
    CDREST_E_UNSUPPORTED = -15, /* a feature not built in or not supported */
    CDREST_E_DEADLINE = -16,    /* a wait's own deadline passed (the job still runs) */
    CDREST_E_FILE = -17,        /* a local file could not be used (named in the message) */
    CDREST_E_CANCELED = -18     /* a progress callback asked to stop (see cdrest_transfer) */
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
    CDREST_JSON_STRING = 3, /* start/end span the text between the quotes */
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
   CDREST_E_JSON_TOKENS the caller may grow the array (keeping the tokens filled so far,
   as realloc does) and call parse again with the same state and input: it resumes at
   the value that did not fit (pos) and ends with the same tokens a large enough array
   gives. A parse that started counting (toks == NULL) must go on counting, and one that
   started filling must go on filling: mixing them is CDREST_E_ARG (init again instead). */
typedef struct cdrest_json_parser {
    size_t pos;       /* next byte to read (after CDREST_E_JSON_TOKENS: the value that
                          did not fit) */
    int toknext;      /* next token index to fill (or count) */
    int toksuper;     /* the token the next value attaches to (the open container, or
                          the key awaiting its value), or -1 */
    int depth;        /* current nesting */
    int max_depth;    /* limit, 1..CDREST_JSON_MAX_DEPTH (init sets CDREST_JSON_MAX_DEPTH;
                          a value outside that range means CDREST_JSON_MAX_DEPTH) */
    int state;        /* private state of the state machine */
    int error;        /* CDREST_JSON_ERR_* after CDREST_E_JSON */
    size_t error_pos; /* byte offset of the error */
    unsigned char stack[(CDREST_JSON_MAX_DEPTH + 7) / 8]; /* container kinds (bit set = object) */
} cdrest_json_parser;

/* Why a parse failed (parser.error), readable through cdrest_json_errstr(). */
enum {
    CDREST_JSON_ERR_NONE = 0,
    CDREST_JSON_ERR_SYNTAX,   /* unexpected character */
    CDREST_JSON_ERR_EOF,      /* the input ended inside a value */
    CDREST_JSON_ERR_NUMBER,   /* malformed number */
    CDREST_JSON_ERR_LITERAL,  /* misspelled true/false/null */
    CDREST_JSON_ERR_CONTROL,  /* raw control character in a string */
    CDREST_JSON_ERR_ESCAPE,   /* invalid escape or \u sequence, lone surrogate */
    CDREST_JSON_ERR_UTF8,     /* invalid UTF-8 */
    CDREST_JSON_ERR_DEPTH,    /* nested deeper than max_depth */
    CDREST_JSON_ERR_TRAILING, /* something after the root value */
    CDREST_JSON_ERR_EMPTY,    /* no value at all */
    CDREST_JSON_ERR_TOOBIG    /* input longer than INT_MAX bytes */
};

/* Reset p for a new document (max_depth = CDREST_JSON_MAX_DEPTH). Needs no freeing. */
CDRESTDEF void cdrest_json_init(cdrest_json_parser *p);
/* Tokenize js[0..len) (no NUL needed; len <= INT_MAX). Returns the number of tokens
   (> 0), or CDREST_E_JSON (p->error says why, p->error_pos is the offending byte's
   offset, or len when the input ended too soon; the error is sticky) or
   CDREST_E_JSON_TOKENS. With toks == NULL it validates just as fully and returns the
   number of tokens needed. Token order is document order; a member's key is a child of
   the object and its value a child of the key. */
CDRESTDEF int cdrest_json_parse(cdrest_json_parser *p, const char *js, size_t len, cdrest_json_tok *toks, int ntoks);
/* Words for a CDREST_JSON_ERR_* (parser.error): a static string, never NULL. */
CDRESTDEF const char *cdrest_json_errstr(int json_error);

/* Index of the token after the subtree rooted at i (a key's subtree holds its value);
   ntok if i is out of range. */
CDRESTDEF int cdrest_json_skip(const cdrest_json_tok *t, int ntok, int i);
/* Iterate children: first child of container i (for an object, the first key), or -1;
   then the next sibling of child c, or -1. For objects, the value of key k is k + 1. */
CDRESTDEF int cdrest_json_first(const cdrest_json_tok *t, int ntok, int i);
/* The sibling after child c in its container, or -1 at the end (see cdrest_json_first). */
CDRESTDEF int cdrest_json_next(const cdrest_json_tok *t, int ntok, int c);
/* Find by path from token `from`: "property.value", "project[2].projectName", "[0]",
   "a[1][0].b". A key segment runs to the next '.' or '[' and matches exactly
   (case-sensitive, escapes in the document decoded; the first member with that key
   wins). Returns the value's index, `from` for "", or -1 (missing, out of range, a
   step into the wrong kind of value, or a malformed path). */
CDRESTDEF int cdrest_json_find(const char *js, const cdrest_json_tok *t, int ntok, int from, const char *path);
/* 1 if string token i equals the C string s (escapes decoded), else 0. */
CDRESTDEF int cdrest_json_eq(const char *js, const cdrest_json_tok *t, int i, const char *s);
/* Unescape string token i into buf as UTF-8 (\u escapes and surrogate pairs decoded;
   \u0000 gives a NUL inside the length), NUL-terminated. *len (may be NULL) gets the length
   without the NUL. If buf is too small (cap < length + 1): CDREST_E_TOOLARGE with *len the
   length needed and buf[0] = 0. Only strings: any other token (null, a number, true,
   an object, ...) is CDREST_E_JSON with *len = 0 and buf = "", never its raw text taken for
   a string (read a number with cdrest_json_int64/double; a token's raw JSON text is
   js[t[i].start .. t[i].end)). buf may be the token's own text (decoding in place: the
   result is never longer than the text). */
CDRESTDEF int cdrest_json_string(const char *js, const cdrest_json_tok *t, int i, char *buf, size_t cap, size_t *len);
/* Number token (or a string token holding exactly a JSON number, as CD sends ids) to an
   integer or double. CDREST_E_TOOLARGE on overflow (*out untouched), CDREST_E_JSON when it
   is no number (for int64: no integer; "1.0" and "1e3" are refused). Doubles are
   correctly rounded and locale-independent; an underflow gives 0 or a subnormal. */
CDRESTDEF int cdrest_json_int64(const char *js, const cdrest_json_tok *t, int i, int64_t *out);
/* The same for a double: 0, CDREST_E_JSON or CDREST_E_TOOLARGE (see above). */
CDRESTDEF int cdrest_json_double(const char *js, const cdrest_json_tok *t, int i, double *out);

/* Writer: builds JSON into buf. Errors are sticky (w->error): CDREST_E_TOOLARGE when buf
   is short (w->len keeps counting the bytes needed: init with buf NULL, cap 0 to size a
   body first, then allocate len + 1), CDREST_E_ARG for invalid UTF-8 or a misplaced call
   (a key outside an object, a value where a key belongs, a second root, unbalanced
   ends, nesting beyond CDREST_JSON_MAX_DEPTH). Commas and colons are inserted for you.
   Strings escape '"', '\\' and every control character; all else is copied as UTF-8. */
typedef struct cdrest_json_writer {
    char *buf;
    size_t cap;
    size_t len; /* bytes written (or needed) so far, without the NUL */
    int error;
    int depth;
    int need_comma; /* a value was written at this level */
    int after_key;  /* a key was written and awaits its value */
    unsigned char stack[(CDREST_JSON_MAX_DEPTH + 7) / 8];
} cdrest_json_writer;

/* Start writing into buf[0..cap), the caller's (buf NULL with cap 0 only counts). */
CDRESTDEF void cdrest_jw_init(cdrest_json_writer *w, char *buf, size_t cap);
/* Open an object where a value may go (the root, an element, after a key). */
CDRESTDEF void cdrest_jw_object_begin(cdrest_json_writer *w);
/* Close the innermost object (CDREST_E_ARG if it is none, or a key awaits its value). */
CDRESTDEF void cdrest_jw_object_end(cdrest_json_writer *w);
/* Open an array where a value may go. */
CDRESTDEF void cdrest_jw_array_begin(cdrest_json_writer *w);
/* Close the innermost array (CDREST_E_ARG if it is none). */
CDRESTDEF void cdrest_jw_array_end(cdrest_json_writer *w);
/* A member's key inside an object (escaped like a string); its value comes next. */
CDRESTDEF void cdrest_jw_key(cdrest_json_writer *w, const char *key);
/* A string value from NUL-terminated UTF-8 (s NULL: CDREST_E_ARG). */
CDRESTDEF void cdrest_jw_string(cdrest_json_writer *w, const char *s);
/* A string value from s[0..n) (a NUL inside is escaped, not an end). */
CDRESTDEF void cdrest_jw_string_n(cdrest_json_writer *w, const char *s, size_t n);
/* An integer value. */
CDRESTDEF void cdrest_jw_int64(cdrest_json_writer *w, int64_t v);
/* true (v != 0) or false. */
CDRESTDEF void cdrest_jw_bool(cdrest_json_writer *w, int v);
/* null. */
CDRESTDEF void cdrest_jw_null(cdrest_json_writer *w);
/* A JSON value given as text (e.g. a caller's --data): validated with the tokenizer
   (CDREST_E_ARG if invalid), then inserted as is. */
CDRESTDEF void cdrest_jw_raw(cdrest_json_writer *w, const char *json, size_t n);
/* 0 when complete and balanced, else the sticky error. NUL-terminates when it fits. */
CDRESTDEF int cdrest_jw_finish(cdrest_json_writer *w);

/* ===========================================================================
   API: text. URLs, percent-encoding, base64, and the error record every layer fills.
   =========================================================================== */

/* The detail of the last failure, kept in the client (never in a global). */
typedef struct cdrest_error {
    int code;        /* the CDREST_E_* returned, or 0 */
    int http_status; /* the response's status, or 0 when none came */
    int tls_error;   /* BearSSL's error number, or 0 */
    /* The server's own words, unescaped, cut with "..." when long. These and msg are
       printable UTF-8 on one line: control characters, C0 and C1 (U+0080..U+009F), are
       blanked, bytes that are not UTF-8 shown as '?'. */
    char server_code[64]; /* the CD error code, e.g. "NoSuchProperty", or "" */
    char server_message[CDREST_ERRMSG_SIZE];
    char server_details[CDREST_ERRMSG_SIZE];
    char server_where[128];
    char msg[CDREST_ERRMSG_SIZE]; /* one readable line (never holds a secret) */
} cdrest_error;

/* Fill an error record: its code and one readable line (printf-style). Returns code.
   For transports written by users (cdrest_transport), which report failures this way. */
CDRESTDEF int cdrest_error_set(cdrest_error *e, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A parsed server URL: scheme://host[:port][/base/path]. */
typedef struct cdrest_url {
    int https;           /* 1 for https:// */
    int ipv6;            /* host is an IPv6 literal (written without brackets here) */
    unsigned short port; /* explicit, or 80 / 443 */
    char host[256];      /* lower-cased host name, IPv4 or IPv6 literal */
    char base_path[512]; /* "" or "/cd" (no trailing slash) */
} cdrest_url;

/* Parse an absolute http(s) URL. Refuses userinfo, fragments, queries, spaces and control
   characters, '.' and '..' path segments, IPv6 zone ids, and IPv4 hosts not written as four
   decimal numbers without leading zeros ("127.1", "0x7f.0.0.1", "127.0.0.010": resolvers
   read them as other addresses) with CDREST_E_ARG and a reason in err (may be NULL). */
CDRESTDEF int cdrest_url_parse(cdrest_url *u, const char *url, cdrest_error *err);

/* Percent-encode src[0..n) into dst, NUL-terminated. Returns the length needed without
   the NUL; when that is >= cap nothing is written but dst = "" (all or nothing).
   SEGMENT keeps RFC 3986 unreserved characters and sub-delims safe in a path segment
   (never '/', '?', '#', '%'); QUERY keeps only unreserved. Space is always %20. */
enum { CDREST_PCT_SEGMENT = 0, CDREST_PCT_QUERY = 1, CDREST_PCT_PATH = 2 /* keeps '/' */ };
/* (mode: one of the above; dst is the caller's.) */
CDRESTDEF size_t cdrest_percent_encode(char *dst, size_t cap, const char *src, size_t n, int mode);
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
    int (*connect)(void *self, const char *host, unsigned short port, int timeout_ms, cdrest_error *err);
    /* Read up to len bytes, waiting at most timeout_ms for the first one.
       > 0 bytes read, 0 the peer closed the stream, < 0 a CDREST_E_* code. */
    long (*read)(void *self, void *buf, size_t len, int timeout_ms, cdrest_error *err);
    /* Write up to len bytes (at least 1), waiting at most timeout_ms.
       > 0 bytes written, < 0 a CDREST_E_* code. */
    long (*write)(void *self, const void *buf, size_t len, int timeout_ms, cdrest_error *err);
    /* Close the stream; safe to call when not open. */
    void (*close)(void *self);
    /* Optional (may be NULL): 1 if an idle open stream still looks usable (no EOF or
       data pending), 0 if the peer closed it or sent bytes nobody asked for. Lets a POST
       avoid a dead keep-alive, and keeps a server's stray bytes from being read as the
       next answer: without it an idle connection is reused on trust. */
    int (*alive)(void *self);
    /* Optional (may be NULL): a monotonic clock in milliseconds for deadlines.
       NULL uses clock_gettime(CLOCK_MONOTONIC). */
    int64_t (*now_ms)(void *self);
    /* Optional (may be NULL): sleep between job-status polls. NULL uses nanosleep(). */
    void (*sleep_ms)(void *self, int ms);
} cdrest_transport;

/* Name resolution for the POSIX transport (config.resolve): write up to max numeric
   addresses of host ("192.0.2.7", "2001:db8::1", each at most 63 bytes) into addrs within
   timeout_ms and return how many (> 0), or a negative CDREST_E_* code (CDREST_E_RESOLVE,
   CDREST_E_TIMEOUT) with err filled (cdrest_error_set). Called only for names, never for
   IP literals. */
typedef int (*cdrest_resolve_fn)(void *ctx, const char *host, int timeout_ms, char (*addrs)[64], int max,
                                 cdrest_error *err);

/* The POSIX-sockets transport (the default): getaddrinfo over every address, non-blocking
   connect, then reads that block in recv() with SO_RCVTIMEO (poll() + recv() where
   MSG_DONTWAIT is missing), non-blocking sends with poll(), TCP_NODELAY, no SIGPIPE,
   sockets (like every file the library opens) close-on-exec from birth.
   Deadlines and name resolution: an IP literal host is never looked up. A name goes to
   getaddrinfo(), which blocks and which no POSIX interface can interrupt: its time is
   bounded only by the system resolver's own limits (glibc: resolv.conf "options timeout:T
   attempts:A", by default 5 s x 2 tries per name server and address family), not by
   connect_timeout_ms or timeout_ms, which are checked again once it returns (the call then
   fails with CDREST_E_TIMEOUT instead of connecting late). To bound resolution by the
   deadline, build with CDREST_GETADDRINFO_A (glibc), or set config.resolve (e.g. a c-ares
   lookup that honours timeout_ms), or connect to an IP literal, or bring your own
   transport. */
typedef struct cdrest_socket {
    int fd;                    /* -1 when closed */
    int wrote;                 /* the last call was a write: the next read waits in poll() first */
    int rcvtimeo_ms;           /* SO_RCVTIMEO now set on fd; 0: none yet */
    cdrest_resolve_fn resolve; /* config.resolve: NULL = getaddrinfo() */
    void *resolve_ctx;
} cdrest_socket;
/* The default transport's vtable (static, never freed); its self is a cdrest_socket. */
CDRESTDEF const cdrest_transport *cdrest_posix_transport(void);
/* Make s a closed socket (fd -1), ready for cdrest_posix_transport()'s calls. */
CDRESTDEF void cdrest_socket_init(cdrest_socket *s);

/* ===========================================================================
   API: TLS options (BearSSL; ignored with CDREST_NO_TLS, where https:// fails with
   CDREST_E_UNSUPPORTED). Verification is on by default.

   Protocol: TLS 1.2 only. BearSSL implements TLS 1.0-1.2 and no TLS 1.3; cdrest refuses
   1.0 and 1.1. A server that accepts nothing but TLS 1.3 answers our hello with a
   protocol_version alert and the call fails with "the server requires TLS 1.3, which
   BearSSL does not support"; a server stuck at TLS 1.0/1.1 fails with its own message.
   Cipher suites: Mozilla's "intermediate" choice for TLS 1.2, ECDHE key exchange with an
   AEAD cipher only: ECDHE-ECDSA/ECDHE-RSA with AES-128/256-GCM or ChaCha20-Poly1305 (AES-GCM
   first where BearSSL uses AES-NI, ChaCha20 first elsewhere). No CBC suites, no static RSA
   or ECDH key exchange, no 3DES: a server offering only those answers handshake_failure
   (curl would still take them). Renegotiation requests from the server are declined.

   Trust anchors are loaded once per client, at its first https connection, from every
   source set below (several may be combined), all or nothing: a file that cannot be read
   (a CA directory's included) fails the connection with the cause ("Too many open
   files": CDREST_E_IO; a path that names nothing readable: CDREST_E_ARG) and the next
   connection loads again, never a partial store. With none set, from the system bundle:
   $SSL_CERT_FILE and/or $SSL_CERT_DIR when set, else the first file that exists of
   /etc/ssl/certs/ca-certificates.crt (Debian, Ubuntu), /etc/pki/tls/certs/ca-bundle.crt
   and /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem (RHEL, Fedora),
   /etc/ssl/ca-bundle.pem (SUSE), /etc/ssl/cert.pem (Alpine, macOS, OpenBSD),
   /usr/local/share/certs/ca-root-nss.crt and /usr/local/etc/ssl/cert.pem (FreeBSD).
   The strings given here are read at that first connection (server_name at every one):
   keep them valid until then.

   Certificate policy (what a server's chain must satisfy, beside a trusted anchor, dates
   and signatures that verify; cdrest_error.tls_error names the rule that failed):
   - Names: SNI is sent and the leaf must name the host in a DNS subjectAltName. A host
     with one trailing dot ("cd.example.com.") is the same name: the dot is stripped for
     SNI and matching. Matching ignores ASCII case; a wildcard is a whole leftmost label
     "*." over two labels or more ("*.example.com" names a.example.com, not
     a.b.example.com, not example.com; "*.com" and "x*.example.com" name nothing); an empty
     label never matches. The subject CN is not used (browsers and Go do the same):
     a certificate without DNS SANs fails with CDREST_TLS_ERR_CN_ONLY unless
     tls.allow_cn_only is set. An IP literal host (https://127.0.0.1, https://[::1])
     sends no SNI and must appear among the leaf's iPAddress SANs, as curl requires.
   - Purpose: when a certificate of the chain (leaf or intermediate) has an extended key
     usage, it must include serverAuth or anyExtendedKeyUsage; the error says what it
     allows ("the certificate is for clientAuth ..."). CDREST_TLS_ERR_KEY_PURPOSE.
     (OpenSSL, hence curl, does not take anyExtendedKeyUsage alone; RFC 5280 does.)
   - Name constraints of every intermediate apply to the leaf's DNS and IP SANs (and to
     the host, for a CN-only leaf): permitted and excluded dNSName and iPAddress subtrees;
     other name forms are not checked (cdrest checks no other names). A malformed
     constraint (an iPAddress range not 8 or 32 bytes, address and mask) refuses the
     chain. CDREST_TLS_ERR_NAME_CONSTRAINTS. BearSSL refuses name constraints (or an
     extended key usage) marked critical as an unsupported critical extension.
   - Path length: basicConstraints pathLenConstraint of intermediates and of the trust
     anchor; CDREST_TLS_ERR_PATH_LENGTH.
   - Key usage: a CA whose keyUsage lacks keyCertSign signs nothing (the error names it);
     BR_ERR_X509_FORBIDDEN_KEY_USAGE.
   - One of each extension, as RFC 5280 says: a certificate with two extended key usage
     or two name constraints extensions is refused as malformed (with that rule's error);
     with two subjectAltName extensions it names no host (BR_ERR_X509_BAD_SERVER_NAME).
   - Algorithms: signatures with SHA-224/256/384/512 (RSA PKCS#1 v1.5, ECDSA). SHA-1 and MD5
     signatures are refused inside chains, CDREST_TLS_ERR_WEAK_SIGNATURE; a trust anchor's
     own signature is never checked, so an old SHA-1 self-signed root still works.
   - Keys: RSA of 2048 bits at least, counted in bits (leaf, intermediates and anchors;
     BR_ERR_X509_WEAK_PUBLIC_KEY), ECDSA on P-256, P-384, P-521.
   - Size: every certificate of the chain up to CDREST_TLS_LEAF_MAX bytes (4096), or its
     extensions cannot all be read: CDREST_TLS_ERR_CERT_TOO_BIG.
   - Trust anchors keep their restrictions. A CA certificate loaded from a CA file,
     directory or blob (a root, or an intermediate placed there: "CA + chain" files) is
     held, when it vouches for a chain, to what its certificate says, as OpenSSL holds it:
     its validity dates (BR_ERR_X509_EXPIRED), extended key usage, pathLenConstraint,
     name constraints, keyCertSign and RSA size (with the rules' errors above, the message
     naming the "trusted CA"), and OpenSSL's trust settings of a TRUSTED CERTIFICATE
     (trusted for, or rejecting, serverAuth; CDREST_TLS_ERR_KEY_PURPOSE). A CA certificate
     over 4096 bytes loads but refuses every chain it vouches for (its restrictions cannot
     be read; CDREST_TLS_ERR_CERT_TOO_BIG). When several loaded anchors share the issuer's
     name, all their restrictions apply. A self-issued certificate without extensions
     (X.509 v1) is taken as a CA, as OpenSSL does. Compiled-in anchors
     (tls.trust_anchors) are bare names and keys: no restriction applies to them.
   - Critical extensions other than those above fail (BearSSL's rule). No revocation
     checks (CRL, OCSP), as with curl's defaults.
   A refused certificate is answered with a fatal alert that says why (bad_certificate,
   unsupported_certificate, certificate_expired, unknown_ca), as OpenSSL clients do.

   Errors: the call returns CDREST_E_TLS (CDREST_E_TIMEOUT, CDREST_E_IO for the transport)
   and cdrest_errmsg() reads e.g. "TLS: certificate expired on 2020-01-02 (BearSSL 54) for
   host example.com"; cdrest_error.tls_error holds BearSSL's BR_ERR_* number (256 + alert
   for a fatal alert received, 512 + alert for one sent) or one of the CDREST_TLS_ERR_*
   numbers below.
   =========================================================================== */

typedef struct cdrest_tls_config {
    const char *ca_file; /* PEM file with one or more CA certificates (or one DER) */
    const char *ca_dir;  /* a directory of PEM files: its OpenSSL hash names (c_rehash,
                                 "ab12cd34.0") if it has any, else its *.pem, *.crt, *.cer */
    const void *ca_blob; /* PEM or DER certificate(s) in memory */
    size_t ca_blob_len;
    /* Trust anchors compiled in: a const br_x509_trust_anchor array (as `brssl ta` prints
       it), used in place, never copied. With none of the above set and no anchors given,
       the system bundle is used (SSL_CERT_FILE / SSL_CERT_DIR override it). */
    const void *trust_anchors;
    size_t trust_anchors_count;
    /* Public-key pins, curl's format: "sha256//BASE64[;sha256//BASE64...]" of the
       server key's SubjectPublicKeyInfo (at most CDREST_TLS_MAX_PINS). Checked in addition
       to verification, and alone with tls_insecure_skip_verify. Make one with
         openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der |
         openssl dgst -sha256 -binary | openssl base64
       A resumed session (see below) was pinned when it was made. */
    const char *pin;
    /* DANGER: accept any certificate (self-signed, expired, not yet valid, another name,
       unknown CA, no clock). Only a pin, if given, is still checked. Never the default. */
    int tls_insecure_skip_verify;
    /* Name to verify and send as SNI instead of the URL's host (NULL = the host). */
    const char *server_name;
    /* Legacy: accept a certificate that has no DNS subjectAltName when its subject CN
       names the host. Off by default (browsers, Go and curl's own rules: SANs only). */
    int allow_cn_only;
    /* The TLS record buffer is half duplex by default: one 16.7 KB buffer for both
       directions, as a request/response client needs (the server answers after the
       request, and a server that answers early during a large upload and stops reading
       fails the upload the same way in both modes: tests/test_hostile.c). full_duplex = 1
       gives two (33.2 KB), for a caller that reads and writes at the same time through
       its own transport. half_duplex = 1 is the default spelled out (it wins over
       full_duplex). */
    int half_duplex;
    int full_duplex;
    /* The current time in seconds since 1970 for certificate dates; -1 if unknown.
       NULL = time(). A device without a clock returns -1 and gets a clear error
       ("the current time is unknown ..."); with a pin it may skip verification instead. */
    int64_t (*unix_time)(void *ctx);
    void *unix_time_ctx;
} cdrest_tls_config;

/* Session resumption: a client keeps the session of its last full handshake (in memory,
   for its lifetime) and offers it when it reconnects to the same host name, which saves
   the certificate exchange and the key agreement (servers need a session cache for it:
   nginx `ssl_session_cache`). */

/* cdrest's own values of cdrest_error.tls_error, beside BearSSL's (which stay < 1024). */
#define CDREST_TLS_ERR_PIN_MISMATCH 1025 /* verified (or not), but no pin matched its key */
#define CDREST_TLS_ERR_CERT_TOO_BIG \
    1026                                     /* a certificate of the chain is larger than
                                            CDREST_TLS_LEAF_MAX: it could not be checked */
#define CDREST_TLS_ERR_KEY_PURPOSE      1027 /* extended key usage without serverAuth (leaf or CA) */
#define CDREST_TLS_ERR_NAME_CONSTRAINTS 1028 /* a CA's name constraints refuse a leaf's name */
#define CDREST_TLS_ERR_WEAK_SIGNATURE   1029 /* a certificate of the chain is signed with SHA-1 */
#define CDREST_TLS_ERR_PATH_LENGTH      1030 /* a CA's pathLenConstraint is exceeded */
#define CDREST_TLS_ERR_CN_ONLY          1031 /* only the subject CN names the host (no DNS SAN) */

#ifndef CDREST_TLS_MAX_PINS
#define CDREST_TLS_MAX_PINS 8
#endif
#ifndef CDREST_TLS_CA_FILE_MAX
#define CDREST_TLS_CA_FILE_MAX (16u << 20) /* the largest CA file or bundle read (a system bundle: ~200 KB) */
#endif
/* Bytes of each certificate of the server's chain kept during a handshake (the leaf for the
   whole handshake, one intermediate at a time), to check names, extended key usage and
   name constraints, and to explain a failure in words (which date, which issuer). Larger
   certificates fail with CDREST_TLS_ERR_CERT_TOO_BIG (insecure mode excepted). */
#ifndef CDREST_TLS_LEAF_MAX
#define CDREST_TLS_LEAF_MAX 4096
#endif

/* Memory: a TLS client allocates, at its first https connection, one block of about
   CDREST_TLS_MEMORY_HALF_DUPLEX bytes (34 KB; CDREST_TLS_MEMORY, 50 KB, with full_duplex),
   plus two for the trust anchors read from files or blobs: their names and keys, and the
   br_x509_trust_anchor array (~72 KB for a system bundle of ~140 CAs, ~0.5 KB for one
   private CA; compiled-in anchors cost nothing). Duplicate anchors are kept once. Nothing
   more is allocated afterwards: handshakes, resumption and records reuse the block.
   To allocate nothing at all, hand in config.tls_memory / tls_memory_size: at least the
   size below plus the anchors' bytes and 16 for alignment (a block too small fails with
   CDREST_E_TOOLARGE and says how much more is needed). */
#define CDREST_TLS_STATE_SIZE         (9216 + 2 * CDREST_TLS_LEAF_MAX + 32 * CDREST_TLS_MAX_PINS)
#define CDREST_TLS_MEMORY             (CDREST_TLS_STATE_SIZE + 33178)
#define CDREST_TLS_MEMORY_HALF_DUPLEX (CDREST_TLS_STATE_SIZE + 16709)
/* ===========================================================================
   API: the client and raw HTTP. A client is one struct the caller places anywhere
   (stack, static, heap): cdrest_init(&c, &cfg) ... cdrest_free(&c). It owns one
   connection, its buffers and the last error. Results (responses, tokens, property values,
   the error text, the session id) point into the client and stay valid until the next
   call on that client; they may be passed to that call as inputs (such inputs are copied
   first; with CDREST_NO_MALLOC they are refused with CDREST_E_ARG).
   =========================================================================== */

typedef struct cdrest_config {
    const char *server; /* "https://cd.example.com:8443", optionally with a base path */
    /* The CD web server, where uploads go (/commander/...): NULL = the server above, which
       is right when that is the web server's URL ("https://cd.example.com"). The CD
       server's own port (8000/8443) serves /rest but not /commander. */
    const char *web_server;
    /* Credentials (copied; cdrest_free, and a cdrest_init that fails, wipe the copies and
       every buffer that held them or the session id). */
    const char *user;
    const char *password;
    const char *token;      /* a user access token: login with it instead of a password */
    const char *session_id; /* an existing session (e.g. from COMMANDER_SESSIONID) */
    int basic_auth;         /* send Authorization: Basic on every call, no session */
    /* Credentials over plain http:// go only to loopback (localhost, 127.0.0.0/8, ::1),
       directly or through a loopback proxy, unless this is set. */
    int allow_plain_http;
    int connect_timeout_ms; /* 0 = 10000: opening one connection (TCP connect, every
                                   address of the host sharing it; within timeout_ms too) */
    /* 0 = 60000: a whole call. Everything a CD call sends and receives (the login it makes
       first, the request, a re-login after a 401 and the retry; both requests of
       cdrest_get_properties) ends within it, or the call is CDREST_E_TIMEOUT. For
       cdrest_http: the request and its redirects. A host name's lookup by getaddrinfo()
       aside: see resolve below. A job wait has its own deadline. */
    int timeout_ms;
    size_t max_body; /* cap on a buffered response body, 0 = CDREST_DEFAULT_MAX_BODY;
                                   a body of exactly max_body bytes fits, whatever its framing
                                   (Content-Length, chunked, or read to the close). At most 16
                                   interim 1xx responses are skipped before the final one. */
    /* 0 = 3xx answers are returned as they are. N > 0 follows up to N redirects, but only
       within the same origin (scheme, host, port): credentials never go elsewhere. A
       redirect to another origin is returned unfollowed. 303 (and 301/302 after a POST)
       continue with a GET; requests with a streamed body are never re-sent. */
    int max_redirects;
    /* "http://[user:pass@]host:port"; NULL = from the environment (COMMANDER_HTTP_PROXY,
       https_proxy/HTTPS_PROXY, http_proxy) unless no_proxy is set. The environment's
       proxies are never used for a loopback server, nor for hosts its no_proxy/NO_PROXY
       covers ("*"; names and their subdomains; IP addresses exactly or as CIDR blocks,
       "10.0.0.0/8"). A proxy given here is used for every server. */
    const char *proxy;
    int no_proxy; /* never use a proxy, whatever the environment says */
    cdrest_tls_config tls;
    const cdrest_transport *transport; /* NULL = POSIX sockets */
    /* Name lookup for the POSIX transport within the connect deadline (see cdrest_socket);
       NULL = getaddrinfo(), which no deadline bounds. */
    cdrest_resolve_fn resolve;
    void *resolve_ctx;
    void *transport_self; /* the transport's own state, passed back as `self` */
    void *alloc_ctx;      /* passed to CDREST_MALLOC/REALLOC/FREE */
    /* Fills buf with n unpredictable bytes, returns 0 (non-zero: failed). NULL = the
       system's source (/dev/urandom); set it where there is none. Used for multipart
       boundaries: without randomness an upload fails, it never guesses. */
    int (*random_bytes)(void *ctx, void *buf, size_t n);
    void *random_ctx;
    /* Called with one line per request ("GET https://h/rest/v1.0/x -> 200 (3 ms)"),
       secrets never included. */
    void (*trace)(void *ctx, const char *line);
    void *trace_ctx;
    /* Optional caller memory. Given a buffer, the client never grows it (a larger
       response is CDREST_E_TOOLARGE); the same for tokens. */
    void *buffer; /* responses (head + body) */
    size_t buffer_size;
    void *send_buffer; /* request targets, heads and JSON bodies */
    size_t send_buffer_size;
    cdrest_json_tok *tokens;
    int max_tokens;
    void *tls_memory; /* for the TLS state and I/O buffer, see CDREST_TLS_MEMORY */
    size_t tls_memory_size;
    /* Answers as text only: CD calls validate their JSON but never tokenize it, so a doc
       holds json/len and ntoks = 0 (to print or store it whole: no token memory, whatever
       its size). The typed calls still read and check their fields. */
    int raw_docs;
} cdrest_config;

/* A response header: spans into the client's receive buffer. */
typedef struct cdrest_hspan {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} cdrest_hspan;

typedef struct cdrest_response {
    int status;     /* 200, 404, ... */
    int http_minor; /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
    const char *reason;
    size_t reason_len;
    const cdrest_hspan *headers;
    int nheaders;
    const char *body; /* NUL-terminated for convenience (not counted) */
    size_t body_len;
} cdrest_response;

typedef struct cdrest_header {
    const char *name;
    const char *value; /* CR, LF and NUL are refused */
} cdrest_header;

typedef struct cdrest_request {
    const char *method; /* "GET", "POST", "PUT", "DELETE", "HEAD", ... */
    const char *target; /* path and query, already encoded, below the base path */
    const cdrest_header *headers;
    int nheaders;
    const void *body; /* a body in memory, or NULL */
    size_t body_len;  /* Content-Length (also for a streamed body) */
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
    cdrest_config cfg; /* a copy; the strings it pointed to are copied below */
    cdrest_url url;
    cdrest_url proxy_url;
    int use_proxy;
    char proxy_auth[512]; /* "Basic ..." for the proxy, or "" */
    cdrest_error err;
    /* owned credentials */
    char user[256];
    char password[256];
    char token[1024];
    char session_id[256];
    /* the connection */
    const cdrest_transport *tp;
    void *tp_self;
    cdrest_socket sock;          /* the default transport's state */
    int connected;               /* a stream (and TLS, for https) is open */
    int tls_active;              /* the stream runs through TLS (after the handshake) */
    unsigned long conn_requests; /* requests served on the current connection */
    unsigned long connects;      /* connections opened by this client */
    int64_t deadline;            /* when the current CD call (or job wait) must end ... */
    int has_deadline;            /* ... if set: each exchange gets min(timeout_ms, this) */
    struct cdrest__tls *tls;     /* NULL until the first https connection */
    /* buffers */
    char *buf; /* receive buffer */
    size_t buf_cap;
    size_t buf_len; /* bytes held */
    char *out;      /* request head and small bodies */
    size_t out_cap;
    char *body; /* request bodies built by the CD calls */
    size_t body_cap;
    char *target; /* request targets built by the CD calls */
    size_t target_cap;
    char *in; /* copies of inputs that pointed into the client (see cdrest__pin) */
    size_t in_cap;
    char env_job_step_id[64]; /* COMMANDER_JOBSTEPID, for /myJob/... paths */
    cdrest_json_tok *toks;
    int toks_cap;
    int ntoks; /* tokens of the last JSON result */
    int owns_buf, owns_toks;
    int fixed_send;            /* target/out/body live in config.send_buffer */
    char redirect_target[512]; /* the Location being followed (an absolute path) */
    int publish_endpoint;      /* upload endpoint found by the probe: 0 not yet, 1 php, 2 cgi */
    int relative_paths;        /* the server refused /properties//projects/...: use projectName= */
    cdrest_url web_url;        /* config.web_server, when given */
    int has_web_url;
    cdrest_hspan headers[CDREST_MAX_HEADERS];
    /* the current operation's transfer options (cdrest_http_ex, ..._ex), else zero */
    int idle_timeout_ms; /* no byte for this long: CDREST_E_TIMEOUT (0 = no limit) */
    int canceled;        /* a progress callback asked to stop: no more I/O */
    int idle_expired;    /* the last I/O timeout was the idle limit */
} cdrest_client;

/* The readable line for the last error ("" when none). */
CDRESTDEF const char *cdrest_errmsg(const cdrest_client *c);
/* The last failure in detail (status, server code, BearSSL error): inside c, valid
   until its next call; NULL for c NULL. */
CDRESTDEF const cdrest_error *cdrest_last_error(const cdrest_client *c);

/* Raw HTTP: send req to the client's server, read the whole response into resp.
   Any status is success here (check resp->status); errors are transport/protocol ones.
   Idle keep-alive connections found dead are reopened and idempotent requests resent once.
   A connection is never reused after bytes beyond a response's framing (in the socket, or
   decrypted and waiting inside TLS): they would become the next request's answer.
   req->headers must not hold the headers cdrest writes itself: Host, Content-Length,
   Transfer-Encoding and Connection, nor, while the client holds credentials (password,
   token, session or basic_auth), Authorization, Cookie and sessionId, nor
   Proxy-Authorization with proxy credentials: CDREST_E_ARG naming the header. */
CDRESTDEF int cdrest_http(cdrest_client *c, const cdrest_request *req, cdrest_response *resp);
/* A response header's value by case-insensitive name (first match), or NULL. */
CDRESTDEF const char *cdrest_response_header(const cdrest_response *r, const char *name, size_t *len);
/* Close the connection (the next call reconnects). */
CDRESTDEF void cdrest_disconnect(cdrest_client *c);

/* ===========================================================================
   API: CloudBees CD calls. Each returns 0 or a CDREST_E_* code; a server error
   ({"error":{...}}) is CDREST_E_SERVER (CDREST_E_AUTH for 401) with the server's code,
   message, details and where in cdrest_last_error(c) and one line in cdrest_errmsg(c):
   "NoSuchProperty: Property 'x' does not exist [404]".
   Results (cdrest_doc) point into the client and stay valid until its next call.
   Typed answers are checked: a field a call promises (a sessionId, a jobId, a status, a
   value: text; "property", "job", ...: an object) with another JSON type (null, a
   number, an object, ...) is CDREST_E_PROTOCOL, never read as text (ids may also come
   as JSON numbers). A write (any call but a GET) that the server confirmed is never
   failed for want of tokens: when its answer needs more than a caller-given token array
   holds (config.tokens), the call succeeds and the doc holds the text with ntoks = 0.
   =========================================================================== */

/* A name/value pair. Lists of them (context parameters such as projectName or jobId,
   query parameters, actual parameters) end with an entry whose name is NULL:
       cdrest_param ctx[] = {{"projectName", "Default"}, {NULL, NULL}};            */
typedef struct cdrest_param {
    const char *name;
    const char *value;
} cdrest_param;

/* A JSON answer: the body and its tokens (see the JSON section for the helpers). */
typedef struct cdrest_doc {
    const char *json;
    size_t len;
    const cdrest_json_tok *toks;
    int ntoks;
} cdrest_doc;

/* Setup. cfg->server is required; zeroed fields take finite defaults. A client whose
   cdrest_init failed, or that cdrest_free ended, refuses every call with CDREST_E_ARG
   (nothing is sent, nothing allocated); cdrest_free may be called on it (again). */
CDRESTDEF int cdrest_init(cdrest_client *c, const cdrest_config *cfg);
/* Inside a job step: the server from COMMANDER_SERVER, COMMANDER_SECURE (unset = https),
   COMMANDER_HTTPS_PORT / COMMANDER_PORT, the session from COMMANDER_SESSIONID, and
   COMMANDER_JOBSTEPID as the context of /myJob/... property paths; uploads go to the web
   server on the same host and the scheme's default port (443/80) unless base->web_server
   says otherwise. base (may be NULL) supplies everything else (TLS options, timeouts); a
   server set in base wins. */
CDRESTDEF int cdrest_init_from_env(cdrest_client *c, const cdrest_config *base);
/* Closes the connection and frees what the client allocated. Wipes first every credential
   (user, password, token, session id, proxy credentials) and every buffer that held one
   (request heads and bodies, responses, the TLS state): its own before freeing them, the
   caller's (config.buffer, send_buffer, tls_memory) before handing them back. Buffers that
   grow move by malloc, copy and wipe, never by realloc, so no old copy reaches the heap. */
CDRESTDEF void cdrest_free(cdrest_client *c);

/* Sessions. login uses the configured user+password, or the token; later calls send
   the session. A call made with credentials but no session logs in first; a 401 with
   credentials held logs in again once and retries. logout is best effort and always
   forgets the session. */
CDRESTDEF int cdrest_login(cdrest_client *c);
/* DELETE the session: 0 also when the server has no logout (401/404/501); the session
   is forgotten whatever the answer. */
CDRESTDEF int cdrest_logout(cdrest_client *c);
/* The current session id, inside c (valid until its next call); "" when none. */
CDRESTDEF const char *cdrest_session_id(const cdrest_client *c); /* "" when none */

/* Any endpoint: METHOD /rest/v1.0<path>?<query>, with an optional JSON body (validated).
   path must already be percent-encoded where needed (cdrest_percent_encode); a "." or
   ".." segment in it (also as %2E) is CDREST_E_ARG. */
CDRESTDEF int cdrest_call(cdrest_client *c, const char *method, const char *path, const cdrest_param *query,
                          const char *json_body, cdrest_doc *out);

/* Properties. path is relative to the context (ctx: projectName, jobId, ...) or
   absolute ("/projects/Default/x", "/myJob/x"). ctx may be NULL. For getProperty,
   {"expand", "0"} in ctx returns the raw value. Property paths and every object name
   (artifacts, versions, job ids, a context's project) with a "." or ".." segment are
   refused with CDREST_E_ARG before anything is sent: the server would resolve them and
   act on another object. */
CDRESTDEF int cdrest_get_property(cdrest_client *c, const char *path, const cdrest_param *ctx, cdrest_doc *out);
/* The value itself, unescaped (NUL-terminated, valid until the next call). An empty
   property gives ""; a property sheet is CDREST_E_ARG (it has no value); a value that is
   not text (null, an object) is CDREST_E_PROTOCOL. The value is decoded in place in the
   receive buffer (config.buffer), where the answer is: the send buffer never limits it. */
CDRESTDEF int cdrest_get_property_value(cdrest_client *c, const char *path, const cdrest_param *ctx, const char **value,
                                        size_t *len);
/* Set the property at path to value (any length, UTF-8), creating it if needed. out
   (may be NULL) gets the answer, borrowed until the next call. */
CDRESTDEF int cdrest_set_property(cdrest_client *c, const char *path, const char *value, const cdrest_param *ctx,
                                  cdrest_doc *out);
/* ctx may also carry "description". */
CDRESTDEF int cdrest_create_property(cdrest_client *c, const char *path, const char *value, const cdrest_param *ctx,
                                     cdrest_doc *out);
/* Delete the property or sheet at path: 0, or CDREST_E_SERVER (NoSuchProperty, ...). */
CDRESTDEF int cdrest_delete_property(cdrest_client *c, const char *path, const cdrest_param *ctx);
/* List a property sheet: path names a sheet, an object ("/projects/P", "/jobs/ID"), or is
   NULL/"" for the sheet of the context object (projectName or jobId in ctx). Walk it with
   cdrest_sheet_next. */
CDRESTDEF int cdrest_get_properties(cdrest_client *c, const char *path, const cdrest_param *ctx, cdrest_doc *out);
typedef struct cdrest_sheet_entry {
    int name;     /* token of propertyName */
    int value;    /* token of value, or -1 when empty */
    int sheet_id; /* token of propertySheetId when the entry is a nested sheet, else -1 */
} cdrest_sheet_entry;
/* *iter starts at 0; returns 1 with *e filled, 0 at the end. e holds token indexes into d.
   A nested sheet fetched with the same client reuses d's memory: detach d first
   (cdrest_doc_detach) to go on walking it afterwards. */
CDRESTDEF int cdrest_sheet_next(const cdrest_doc *d, int *iter, cdrest_sheet_entry *e);

/* Artifacts ("groupId:artifactKey") and versions ("groupId:artifactKey:version").
   extra (may be NULL) adds parameters such as description or repositoryName. */
CDRESTDEF int cdrest_create_artifact(cdrest_client *c, const char *group_id, const char *artifact_key,
                                     const cdrest_param *extra, cdrest_doc *out);
/* One artifact ("groupId:artifactKey"); out borrowed until the next call. */
CDRESTDEF int cdrest_get_artifact(cdrest_client *c, const char *artifact_name, cdrest_doc *out);
/* Artifacts matching query (may be NULL: all); out borrowed until the next call. */
CDRESTDEF int cdrest_get_artifacts(cdrest_client *c, const cdrest_param *query, cdrest_doc *out);
/* Delete an artifact ("groupId:artifactKey"). */
CDRESTDEF int cdrest_delete_artifact(cdrest_client *c, const char *artifact_name);
/* A new version of artifact_name ("g:k"); out (may be NULL) borrowed until the next call. */
CDRESTDEF int cdrest_create_artifact_version(cdrest_client *c, const char *artifact_name, const char *version,
                                             const cdrest_param *extra, cdrest_doc *out);
/* One version ("groupId:artifactKey:version"); out borrowed until the next call. */
CDRESTDEF int cdrest_get_artifact_version(cdrest_client *c, const char *version_name, cdrest_doc *out);
/* The versions of artifact_name ("g:k"); out borrowed until the next call. */
CDRESTDEF int cdrest_get_artifact_versions(cdrest_client *c, const char *artifact_name, cdrest_doc *out);
/* Delete one version ("groupId:artifactKey:version"). */
CDRESTDEF int cdrest_delete_artifact_version(cdrest_client *c, const char *version_name);
/* Upload files as a version's content (multipart/form-data to the web server's
   /commander/publishArtifact.php, or /commander/cgi-bin/publishArtifactAPI.cgi on servers
   before 2023.01: probed once per client; streamed from the files). Success only when the
   server confirms ("Artifact-Published-OK"); its refusal is CDREST_E_SERVER with the code
   from "error [Code]" in server_code and its text in the message (CDREST_E_AUTH when it
   refuses the session: 401, SessionExpired, NoCredentials). A relative path that
   stays inside the working directory is sent as given ("sub/a.txt"), any other path as
   its last component. Only regular files; names with '"', '\' or control characters are
   refused (CDREST_E_ARG), a local file problem is CDREST_E_FILE naming the file.
   repository NULL = "default". progress (may be NULL) is called as bytes go out. Needs a
   session (logs in when only credentials are held; an expired one is renewed once). */
typedef void (*cdrest_progress_fn)(void *ctx, uint64_t sent, uint64_t total);
/* 0 when the upload was accepted, CDREST_E_SERVER with the server's words if not. The
   files are read while they are sent: keep them unchanged until it returns. */
CDRESTDEF int cdrest_publish_artifact_version(cdrest_client *c, const char *artifact_name, const char *version,
                                              const char *repository, const char *const *files, int nfiles,
                                              cdrest_progress_fn progress, void *progress_ctx);
/* Publish every regular file below dir, recursively, each named by its path relative to
   dir ("lib/a.so"). include/exclude (NULL-terminated fnmatch patterns, or NULL): a pattern
   with '/' matches the whole relative path, one without the last component; excluded
   directories are not entered; with include, only matching files go. No cap on the number
   of files (the tree is walked twice, nothing is listed in memory); a tree that changes
   between the walks fails the upload. */
CDRESTDEF int cdrest_publish_artifact_dir(cdrest_client *c, const char *artifact_name, const char *version,
                                          const char *repository, const char *dir, const char *const *include,
                                          const char *const *exclude, cdrest_progress_fn progress, void *progress_ctx);

/* Jobs. */
typedef struct cdrest_job_status {
    char job_id[64];
    char status[32];  /* pending, runnable, scheduled, running, completed, or what the server says */
    char outcome[32]; /* success, warning, error, skipped, or "" */
} cdrest_job_status;
/* actual (may be NULL): the procedure's actual parameters. job_id gets the new job's id. */
CDRESTDEF int cdrest_run_procedure(cdrest_client *c, const char *project, const char *procedure,
                                   const cdrest_param *actual, char *job_id, size_t job_id_cap);
/* getJobStatus into st, the caller's (whole strings, or CDREST_E_TOOLARGE). */
CDRESTDEF int cdrest_get_job_status(cdrest_client *c, const char *job_id, cdrest_job_status *st);
/* The whole job ("job": parameters, steps, properties); out borrowed until the next call. */
CDRESTDEF int cdrest_get_job_details(cdrest_client *c, const char *job_id, cdrest_doc *out);
/* Poll until the job completes (0; see st->outcome) or max_wait_ms, the longest wait
   counted from this call, passes (CDREST_E_DEADLINE, st holding the last status).
   max_wait_ms bounds the whole wait: the pauses and the polls, a poll still waiting for its
   answer included (it is cut short: CDREST_E_DEADLINE); the last poll comes early enough to
   be answered. Each poll is also a call within timeout_ms (a poll that times out before the
   wait's end stays CDREST_E_TIMEOUT). max_wait_ms 0 = wait for ever. interval_ms 0 = 5000
   (at least 100). progress (may be NULL) sees every status; to stop early, use
   cdrest_wait_for_job_ex. st is the caller's, filled by every poll. */
typedef void (*cdrest_job_progress_fn)(void *ctx, const cdrest_job_status *st, int64_t elapsed_ms);
/* 0 once the job completed (its outcome in st), else an error as above. */
CDRESTDEF int cdrest_wait_for_job(cdrest_client *c, const char *job_id, int interval_ms, int64_t max_wait_ms,
                                  cdrest_job_progress_fn progress, void *progress_ctx, cdrest_job_status *st);

/* DSL: POST /server/dsl {"dsl", "format":"groovy", "parameters"}; parameters_json (may be
   NULL) is a JSON object, sent as a string as CloudBees' eval-dsl action does. */
CDRESTDEF int cdrest_eval_dsl(cdrest_client *c, const char *dsl, const char *parameters_json, cdrest_doc *out);

/* Run a pipeline: POST /pipelines {"projectName", "pipelineName", "actualParameter":[...],
   "stagesToRun":[...]}. stages (NULL-terminated, may be NULL) are the stages to run.
   runtime_id (cap bytes, whole or not at all) gets the run's flowRuntimeId. */
CDRESTDEF int cdrest_run_pipeline(cdrest_client *c, const char *project, const char *pipeline,
                                  const cdrest_param *actual, const char *const *stages, char *runtime_id, size_t cap);
/* cdrest_run_pipeline, also sending "startingStage" when starting_stage is not NULL: the
   run starts at that stage (of stages, when given too, as CloudBees' Jenkins client
   sends both). */
CDRESTDEF int cdrest_run_pipeline_ex(cdrest_client *c, const char *project, const char *pipeline,
                                     const cdrest_param *actual, const char *const *stages, const char *starting_stage,
                                     char *runtime_id, size_t cap);
/* Run a release: POST /releases {"projectName", "releaseName", "pipelineParameter":[...]}
   with the stages to run, or starting_stage (then stages is ignored). runtime_id as for
   cdrest_run_pipeline. */
CDRESTDEF int cdrest_run_release(cdrest_client *c, const char *project, const char *release, const cdrest_param *params,
                                 const char *const *stages, const char *starting_stage, char *runtime_id, size_t cap);
typedef struct cdrest_pipeline_status {
    char runtime_id[64];
    char status[32]; /* running, success, warning, error, ABORT, FORCE_ABORT, or what the server says */
    int completed;   /* 1 once the run ended */
} cdrest_pipeline_status;
/* getPipelineRuntimeDetails for one run: its status and whether it completed, in *st. */
CDRESTDEF int cdrest_get_pipeline_status(cdrest_client *c, const char *runtime_id, cdrest_pipeline_status *st);
typedef void (*cdrest_pipeline_progress_fn)(void *ctx, const cdrest_pipeline_status *st, int64_t elapsed_ms);
/* Poll until the run completes (0; see st->status) or max_wait_ms passes
   (CDREST_E_DEADLINE, st holding the last status), with cdrest_wait_for_job's loop: the
   same intervals (0 = 5000, at least 100), one deadline that also cuts a hanging poll,
   and progress after every poll. An answer about another run is CDREST_E_PROTOCOL. */
CDRESTDEF int cdrest_wait_for_pipeline(cdrest_client *c, const char *runtime_id, int interval_ms, int64_t max_wait_ms,
                                       cdrest_pipeline_progress_fn progress, void *progress_ctx,
                                       cdrest_pipeline_status *st);

/* An application process: POST /jobs?request=runProcess; job_id gets the new job's id. */
CDRESTDEF int cdrest_run_process(cdrest_client *c, const char *project, const char *application, const char *process,
                                 const char *environment, const cdrest_param *actual, char *job_id, size_t job_id_cap);
/* PUT /jobs/<id>?request=abortJob (force: also alwaysRun steps). */
CDRESTDEF int cdrest_abort_job(cdrest_client *c, const char *job_id, int force, cdrest_doc *out);
/* A job step's details (job_step_id NULL = COMMANDER_JOBSTEPID's): {"jobStep": {...}}. */
CDRESTDEF int cdrest_get_job_step_details(cdrest_client *c, const char *job_step_id, cdrest_doc *out);
/* A credential attached to a running job step, with its secret (GET
   /jobSteps/<id>/credentialPaths/<name>; job_step_id NULL = COMMANDER_JOBSTEPID's). The
   name is a plain name or a path, /projects/P/credentials/C, sent with its slashes. The
   answer {"credential": {"userName", "password"}} never reaches a trace or an error
   message, and lives in the client's receive buffer until the next call. */
CDRESTDEF int cdrest_get_full_credential(cdrest_client *c, const char *credential_name, const char *job_step_id,
                                         cdrest_doc *out);
/* PUT /objects?request=findObjects {"objectType", "filter", "sort", "maxIds"}: filter and
   sort are JSON (one filter {"propertyName","operator","operand1"} or a boolean one
   {"operator":"and","filter":[...]}; sort {"propertyName","order"}), either may be NULL;
   max_ids 0 = the server's default. */
CDRESTDEF int cdrest_find_objects(cdrest_client *c, const char *object_type, const char *filter_json,
                                  const char *sort_json, int max_ids, cdrest_doc *out);

/* Helpers over a doc: the token at a path ("property.value") or -1; copy a string out. */
CDRESTDEF int cdrest_doc_find(const cdrest_doc *d, const char *path);
/* The string at path into buf (the caller's): 0 or an error (CDREST_E_JSON for a value
   that is no string); a short buf is CDREST_E_TOOLARGE without the length needed
   (cdrest_doc_copy reports it). */
CDRESTDEF int cdrest_doc_string(const cdrest_doc *d, const char *path, char *buf, size_t cap);

#ifndef CDREST_NO_EXTRAS
/* ===========================================================================
   API: results that outlive the next call, long transfers, jobs with options
   (left out by CDREST_NO_EXTRAS).
   A cdrest_doc and the value from cdrest_get_property_value are borrowed from the client:
   its next call reuses that memory. To keep a result, copy it out (the _copy forms, into
   your buffer), allocate a copy (the _dup forms, freed with cdrest_dup_free), or detach a
   whole doc into memory you own (cdrest_doc_detach).
   =========================================================================== */

/* The string at path in d (escapes decoded, NUL-terminated) copied into buf[0..cap).
   Returns 0 with *len (may be NULL) its length; CDREST_E_TOOLARGE when cap < length + 1,
   with *len the length needed (buf "" if cap > 0): call again with len + 1 bytes, or with
   buf NULL and cap 0 to ask first; CDREST_E_ARG when d has nothing at path. A value
   that is no string (number, true, null, object) is CDREST_E_JSON, as with
   cdrest_json_string: never its JSON text taken for the string (cdrest_doc_int64 and
   cdrest_doc_bool read numbers and booleans). The copy is the caller's: it stays valid
   whatever the client does next. */
CDRESTDEF int cdrest_doc_copy(const cdrest_doc *d, const char *path, char *buf, size_t cap, size_t *len);
/* The integer at path: a JSON number or a string holding one, as CD sends ids and
   counters ("42"). 0, CDREST_E_ARG (nothing at path), CDREST_E_JSON (no integer) or
   CDREST_E_TOOLARGE (outside int64_t); *out is only written on success. */
CDRESTDEF int cdrest_doc_int64(const cdrest_doc *d, const char *path, int64_t *out);
/* A CD boolean at path: the strings "1"/"0" (how CD sends booleans), "true"/"false", or
   JSON true/false, as *out = 1 or 0. CDREST_E_ARG (nothing at path) or CDREST_E_JSON
   (anything else); *out is only written on success. */
CDRESTDEF int cdrest_doc_bool(const cdrest_doc *d, const char *path, int *out);
/* Copy a whole doc (its JSON text and tokens) into buf[0..cap), which the caller owns,
   and point *out at the copy: *out then stays valid for as long as buf does, whatever the
   client does (keep a sheet while you fetch the sheets inside it). *need (may be NULL)
   gets the bytes needed; with cap too small: CDREST_E_TOOLARGE and *out untouched (call
   with buf NULL and cap 0 to ask). Any alignment of buf works. src may be *out's own
   source or a doc detached before. */
CDRESTDEF int cdrest_doc_detach(const cdrest_doc *src, void *buf, size_t cap, cdrest_doc *out, size_t *need);

/* The value of a property copied into buf[0..cap) (NUL-terminated): what
   cdrest_get_property_value reads, but the caller's to keep. 0 with *len (may be NULL) the
   length; CDREST_E_TOOLARGE when cap < length + 1, with *len the length needed (the
   request succeeded: call again with a larger buffer). Other errors as
   cdrest_get_property_value. */
CDRESTDEF int cdrest_get_property_copy(cdrest_client *c, const char *path, const cdrest_param *ctx, char *buf,
                                       size_t cap, size_t *len);
#ifndef CDREST_NO_MALLOC
/* Allocating forms (not in CDREST_NO_MALLOC builds). *value gets a NUL-terminated copy
   from CDREST_MALLOC(config.alloc_ctx, ...), owned by the caller until it passes it to
   cdrest_dup_free; *len (may be NULL) its length. On error *value is NULL. */
CDRESTDEF int cdrest_get_property_dup(cdrest_client *c, const char *path, const cdrest_param *ctx, char **value,
                                      size_t *len);
/* The string at path in d, as cdrest_doc_copy, into memory from CDREST_MALLOC(alloc_ctx, ...)
   (alloc_ctx: the client's config.alloc_ctx, NULL with the default allocator). */
CDRESTDEF int cdrest_doc_dup(const cdrest_doc *d, const char *path, void *alloc_ctx, char **value, size_t *len);
/* Free what a _dup call returned (NULL is fine). alloc_ctx is the one it was made with
   (the client's config.alloc_ctx, NULL by default); the client itself is not needed, so
   this works after cdrest_free too. */
CDRESTDEF void cdrest_dup_free(void *alloc_ctx, void *p);
#endif

/* Long transfers. A progress callback sees the bytes as they move: sent of send_total
   (request body bytes) and received (response body bytes handed to on_body; recv_total
   is 0: unknown while streaming). Returning non-zero cancels: the call ends with
   CDREST_E_CANCELED, the connection is closed (the next call opens a new one) and the
   client stays usable. */
typedef int (*cdrest_transfer_fn)(void *ctx, uint64_t sent, uint64_t send_total, uint64_t received,
                                  uint64_t recv_total);
typedef struct cdrest_transfer {
    /* The whole request's deadline: 0 = config.timeout_ms; < 0 = none, for transfers whose
       length no deadline fits (then idle_timeout_ms is required). */
    int timeout_ms;
    /* Fail with CDREST_E_TIMEOUT when no byte moves for this long (reading or writing);
       0 = no idle limit (the whole-request deadline still holds). */
    int idle_timeout_ms;
    cdrest_transfer_fn progress; /* may be NULL */
    void *progress_ctx;
} cdrest_transfer;
/* cdrest_http with transfer options for this one request (t may be NULL: as cdrest_http).
   Progress covers a streamed request body (body_read) and a streamed response body
   (on_body). */
CDRESTDEF int cdrest_http_ex(cdrest_client *c, const cdrest_request *req, const cdrest_transfer *t,
                             cdrest_response *resp);
/* cdrest_publish_artifact_version with transfer options for the upload (t may be NULL):
   a large upload sets timeout_ms < 0 and an idle_timeout_ms, and may cancel from progress. */
CDRESTDEF int cdrest_publish_artifact_version_ex(cdrest_client *c, const char *artifact_name, const char *version,
                                                 const char *repository, const char *const *files, int nfiles,
                                                 const cdrest_transfer *t);
/* cdrest_publish_artifact_dir with the same transfer options. */
CDRESTDEF int cdrest_publish_artifact_dir_ex(cdrest_client *c, const char *artifact_name, const char *version,
                                             const char *repository, const char *dir, const char *const *include,
                                             const char *const *exclude, const cdrest_transfer *t);

/* cdrest_wait_for_job whose progress can stop the wait: a non-zero return ends it with
   CDREST_E_CANCELED (st holds the status just seen; the job itself runs on). */
typedef int (*cdrest_job_wait_fn)(void *ctx, const cdrest_job_status *st, int64_t elapsed_ms);
/* As cdrest_wait_for_job, or CDREST_E_CANCELED once progress returned non-zero. */
CDRESTDEF int cdrest_wait_for_job_ex(cdrest_client *c, const char *job_id, int interval_ms, int64_t max_wait_ms,
                                     cdrest_job_wait_fn progress, void *progress_ctx, cdrest_job_status *st);

/* runProcedure's other arguments. Zero it, then set what you need; NULL/0 leaves an
   argument out (the server's default). */
typedef struct cdrest_credential {
    const char *name;     /* credentialName: the procedure's credential parameter */
    const char *user;     /* userName */
    const char *password; /* sent in the JSON body only, never in a URL or a trace */
} cdrest_credential;
typedef struct cdrest_run_options {
    const char *priority;                 /* "low", "normal", "high" or "highest" */
    const char *destination_project;      /* destinationProject: the project that owns the job */
    const char *schedule_name;            /* scheduleName: run with that schedule's settings (then
                                        procedure may be NULL: the schedule names it) */
    const char *credential_name;          /* credentialName: the job's impersonation credential */
    const cdrest_credential *credentials; /* values for the procedure's credential parameters, */
    int ncredentials;                     /* sent as "credential": [{credentialName, userName, password}] */
    const cdrest_param *extra;            /* any other argument, a {NULL, NULL}-terminated list */
} cdrest_run_options;
/* cdrest_run_procedure with those options (opt may be NULL). job_id gets the new job's
   id (NUL-terminated, the caller's buffer); CDREST_E_TOOLARGE if it does not fit. */
CDRESTDEF int cdrest_run_procedure_ex(cdrest_client *c, const char *project, const char *procedure,
                                      const cdrest_param *actual, const cdrest_run_options *opt, char *job_id,
                                      size_t job_id_cap);
#endif /* CDREST_NO_EXTRAS */

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
#ifdef CDREST_NO_MALLOC /* every buffer comes from the caller; nothing is allocated */
#undef CDREST_MALLOC
#undef CDREST_REALLOC
#undef CDREST_FREE
#define CDREST_MALLOC(ctx, n)     ((void)(ctx), (void)(n), (void *)0)
#define CDREST_REALLOC(ctx, p, n) ((void)(ctx), (void)(p), (void)(n), (void *)0)
#define CDREST_FREE(ctx, p)       ((void)(ctx), (void)(p))
#endif
#ifndef CDREST_MALLOC
#define CDREST_MALLOC(ctx, n)     ((void)(ctx), malloc(n))
#define CDREST_REALLOC(ctx, p, n) ((void)(ctx), realloc((p), (n)))
#define CDREST_FREE(ctx, p)       ((void)(ctx), free(p))
#endif

/* ===========================================================================
   base: the primitives every layer below shares, one copy each: ASCII classes
   (digits, letters, hex values), case-insensitive comparison, a wipe the compiler
   keeps, and the saturating size sum. libc only, no state; calls nothing.
   =========================================================================== */

/* ASCII only, whatever the locale: protocol text is never localised. ch is a byte
   value (0-255) or a plain char; anything else is simply not in the class. */
static int cdrest__is_digit(int ch) {
    return ch >= '0' && ch <= '9';
}
static int cdrest__is_alpha(int ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}
static int cdrest__to_lower(int ch) {
    return (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
}

/* Value of one hex digit, or -1. */
static int cdrest__hex_value(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    ch = cdrest__to_lower(ch);
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

/* Case-insensitive (ASCII) equality of the n-byte spans a and b. */
static int cdrest__same_ci(const char *a, const char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (cdrest__to_lower((unsigned char)a[i]) != cdrest__to_lower((unsigned char)b[i])) return 0;
    return 1;
}

/* Case-insensitive comparison of s[0..n) with the NUL-terminated word w. */
static int cdrest__ieq(const char *s, size_t n, const char *w) {
    return strlen(w) == n && cdrest__same_ci(s, w, n);
}

/* Wipe memory the compiler may not optimise away (passwords, tokens, keys). */
static void cdrest__wipe(void *p, size_t n) {
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--) *v++ = 0;
}

/* a + b, or SIZE_MAX when the sum does not fit in a size_t (32-bit builds: a length from
   the network or the caller near 4 GiB). Every size sum that feeds an allocation or a
   bound goes through here: a saturated size is refused, a wrapped one would look small. */
static size_t cdrest__add(size_t a, size_t b) {
    return a > (size_t)-1 - b ? (size_t)-1 : a + b;
}

/* ===========================================================================
   JSON: the strict RFC 8259 tokenizer (cdrest_json_parse), the helpers over its
   tokens (skip, iterate, find by path, unescape, compare, numbers) and the writer for
   request bodies (cdrest_jw_*). Uses libc only and allocates nothing: all state lives
   in the caller's parser, token array, buffers and writer. Calls nothing below it.
   =========================================================================== */

#include <float.h> /* DBL_MAX: overflow of cdrest_json_double */

/* The tokenizer's per-byte steps are inlined into its loop even at -Os (GCC, Clang). */
#if defined(__GNUC__)
#define CDREST__INLINE __inline__ __attribute__((always_inline))
#else
#define CDREST__INLINE
#endif

/* ---- tokenizer: byte-level scanners --------------------------------------- */

/* Scanner results are positions; this one means "failed, see p->error". */
#define CDREST__JSON_FAIL ((size_t)-1)

/* Bytes that end a plain run inside a string: '"', '\\', controls, and every byte
   >= 0x80 (UTF-8, validated on its own path). Zero means "copy through". */
static const unsigned char cdrest__json_string_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

/* How string bodies are scanned: CDREST_JSON_SCAN 2 = 16 bytes per step with SSE2
   (part of every x86-64), 1 = 8 bytes per step in a 64-bit word (needs GCC/Clang on a
   little-endian CPU to find the first hit with one instruction), 0 = a byte at a time.
   Default: the best available. Tests force each one so that all three are exercised. */
#ifndef CDREST_JSON_SCAN
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#ifdef __SSE2__
#define CDREST_JSON_SCAN 2
#else
#define CDREST_JSON_SCAN 1
#endif
#else
#define CDREST_JSON_SCAN 0
#endif
#endif
#if CDREST_JSON_SCAN >= 1
#define CDREST__JSON_SWAR 1
#endif
#if CDREST_JSON_SCAN >= 2
#define CDREST__JSON_SSE2 1
#include <emmintrin.h>
#endif

#ifdef CDREST__JSON_SWAR
/* High bit set in each byte of w that is < 0x20, '"', '\\' or >= 0x80. Borrows can
   only mark bytes above a real hit, so the lowest marked byte is always exact. */
static uint64_t cdrest__json_stop_bytes(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t quote = w ^ 0x2222222222222222ULL;
    uint64_t slash = w ^ 0x5c5c5c5c5c5c5c5cULL;
    uint64_t ctrl = (w - 0x2020202020202020ULL) & ~w;
    quote = (quote - ones) & ~quote;
    slash = (slash - ones) & ~slash;
    return (ctrl | quote | slash | w) & high;
}
#endif

/* Index of the first byte at or after i that is not plain string content (or len).
   This is the tokenizer's inner loop: 16 bytes per step with SSE2 (one signed compare
   catches both < 0x20 and >= 0x80), else 8 with SWAR, then bytes through the table. */
static CDREST__INLINE size_t cdrest__json_skip_plain(const char *js, size_t len, size_t i) {
#ifdef CDREST__JSON_SSE2
    const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(' ');
    while (len - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(js + i));
        __m128i special = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash));
        __m128i stop = _mm_or_si128(special, _mm_cmplt_epi8(v, space));
        int mask = _mm_movemask_epi8(stop);
        if (mask) return i + (size_t)__builtin_ctz((unsigned)mask);
        i += 16;
    }
#endif
#ifdef CDREST__JSON_SWAR
    while (len - i >= 8) {
        uint64_t w, stop;
        memcpy(&w, js + i, 8);
        stop = cdrest__json_stop_bytes(w);
        if (stop) return i + ((size_t)__builtin_ctzll(stop) >> 3);
        i += 8;
    }
#endif
    while (i < len && !cdrest__json_string_stop[(unsigned char)js[i]]) i++;
    return i;
}

/* Length (1..4) of the well-formed UTF-8 sequence at s[0..n), or 0: rejects stray
   continuation bytes, overlongs (C0, C1, E0 80.., F0 80..), surrogates (ED A0..),
   code points above U+10FFFF and truncated sequences (RFC 3629, table 3-7). */
static size_t cdrest__json_utf8_len(const unsigned char *s, size_t n) {
    unsigned lead = s[0], lo = 0x80, hi = 0xBF;
    size_t need, k;
    if (lead < 0x80) return 1;
    if (lead < 0xC2 || lead > 0xF4) return 0;
    need = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (lead == 0xE0)
        lo = 0xA0;
    else if (lead == 0xED)
        hi = 0x9F;
    else if (lead == 0xF0)
        lo = 0x90;
    else if (lead == 0xF4)
        hi = 0x8F;
    if (n < need || s[1] < lo || s[1] > hi) return 0;
    for (k = 2; k < need; k++)
        if ((s[k] & 0xC0) != 0x80) return 0;
    return need;
}

/* The 4 hex digits at s as a code unit, or -1 if one is not a hex digit. */
static long cdrest__json_hex4(const char *s) {
    int a = cdrest__hex_value((unsigned char)s[0]), b = cdrest__hex_value((unsigned char)s[1]);
    int c = cdrest__hex_value((unsigned char)s[2]), d = cdrest__hex_value((unsigned char)s[3]);
    if ((a | b | c | d) < 0) return -1;
    return ((long)a << 12) | (b << 8) | (c << 4) | d;
}

static size_t cdrest__json_fail(cdrest_json_parser *p, int error, size_t pos) {
    p->error = error;
    p->error_pos = pos;
    return CDREST__JSON_FAIL;
}

/* The code unit of "\uXXXX" at js[i], or -1 if a byte differs from that pattern, or
   -2 if the input ends while it still matches (truncated rather than wrong). */
static long cdrest__json_u_unit(const char *js, size_t len, size_t i) {
    size_t k;
    for (k = 0; k < 6; k++) {
        char c;
        if (i + k >= len) return -2;
        c = js[i + k];
        if (k == 0 ? c != '\\' : k == 1 ? c != 'u' : cdrest__hex_value((unsigned char)c) < 0) return -1;
    }
    return cdrest__json_hex4(js + i + 2);
}

/* A \u escape at js[i] ('\\'). A high surrogate must be followed by an escaped low
   one and a low one may not stand alone: a lone surrogate has no UTF-8 form. Returns
   the index after the escape (or the pair). */
static size_t cdrest__json_scan_u_escape(cdrest_json_parser *p, const char *js, size_t len, size_t i) {
    long unit = cdrest__json_u_unit(js, len, i), low;
    if (unit == -2) return cdrest__json_fail(p, CDREST_JSON_ERR_EOF, len);
    if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return cdrest__json_fail(p, CDREST_JSON_ERR_ESCAPE, i);
    if (unit < 0xD800 || unit > 0xDBFF) return i + 6;
    low = cdrest__json_u_unit(js, len, i + 6);
    if (low == -2) return cdrest__json_fail(p, CDREST_JSON_ERR_EOF, len);
    if (low < 0xDC00 || low > 0xDFFF) return cdrest__json_fail(p, CDREST_JSON_ERR_ESCAPE, i);
    return i + 12;
}

/* An escape at js[i] ('\\'). Returns the index after it. */
static size_t cdrest__json_scan_escape(cdrest_json_parser *p, const char *js, size_t len, size_t i) {
    if (i + 1 >= len) return cdrest__json_fail(p, CDREST_JSON_ERR_EOF, len);
    switch (js[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't': return i + 2;
        case 'u': return cdrest__json_scan_u_escape(p, js, len, i);
        default: return cdrest__json_fail(p, CDREST_JSON_ERR_ESCAPE, i);
    }
}

/* A string body from js[i] (just after the opening quote). Returns the index of the
   closing quote. Plain runs are skipped in bulk; only the stop bytes are looked at. */
static CDREST__INLINE size_t cdrest__json_scan_string(cdrest_json_parser *p, const char *js, size_t len, size_t i) {
    for (;;) {
        unsigned char c;
        size_t n;
        i = cdrest__json_skip_plain(js, len, i);
        if (i >= len) return cdrest__json_fail(p, CDREST_JSON_ERR_EOF, len);
        c = (unsigned char)js[i];
        if (c == '"') return i;
        if (c == '\\') {
            i = cdrest__json_scan_escape(p, js, len, i);
            if (i == CDREST__JSON_FAIL) return i;
            continue;
        }
        if (c < 0x20) return cdrest__json_fail(p, CDREST_JSON_ERR_CONTROL, i);
        n = cdrest__json_utf8_len((const unsigned char *)js + i, len - i);
        if (n == 0) return cdrest__json_fail(p, CDREST_JSON_ERR_UTF8, i);
        i += n;
    }
}

static size_t cdrest__json_skip_digits(const char *js, size_t len, size_t i) {
    while (i < len && cdrest__is_digit(js[i])) i++;
    return i;
}

/* Bytes that may not directly follow a number: they would make it a longer (and
   malformed) number, as in "01", "1.2.3", "1e5e" or "-1-". */
static int cdrest__json_number_byte(char c) {
    return cdrest__is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/* The number grammar of RFC 8259 section 6 from js[i]:
   -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? . Returns the index after it. */
static size_t cdrest__json_scan_number(cdrest_json_parser *p, const char *js, size_t len, size_t i) {
    if (js[i] == '-') i++;
    if (i < len && js[i] == '0')
        i++;
    else if (i < len && js[i] >= '1' && js[i] <= '9')
        i = cdrest__json_skip_digits(js, len, i + 1);
    else
        return cdrest__json_fail(p, CDREST_JSON_ERR_NUMBER, i);
    if (i < len && js[i] == '.') {
        if (++i >= len || !cdrest__is_digit(js[i])) return cdrest__json_fail(p, CDREST_JSON_ERR_NUMBER, i);
        i = cdrest__json_skip_digits(js, len, i);
    }
    if (i < len && (js[i] == 'e' || js[i] == 'E')) {
        if (++i < len && (js[i] == '+' || js[i] == '-')) i++;
        if (i >= len || !cdrest__is_digit(js[i])) return cdrest__json_fail(p, CDREST_JSON_ERR_NUMBER, i);
        i = cdrest__json_skip_digits(js, len, i);
    }
    if (i < len && cdrest__json_number_byte(js[i])) return cdrest__json_fail(p, CDREST_JSON_ERR_NUMBER, i);
    return i;
}

/* The literal of `type` (true, false, null) exactly at js[i], not followed by a letter
   or digit ("truex", "nulll"). The error points at the first byte that differs. */
static size_t cdrest__json_scan_literal(cdrest_json_parser *p, const char *js, size_t len, size_t i, int type) {
    const char *word = type == CDREST_JSON_TRUE ? "true" : type == CDREST_JSON_FALSE ? "false" : "null";
    size_t k, n = type == CDREST_JSON_FALSE ? 5 : 4;
    unsigned char next;
    for (k = 0; k < n; k++)
        if (i + k >= len || js[i + k] != word[k]) return cdrest__json_fail(p, CDREST_JSON_ERR_LITERAL, i + k);
    i += n;
    if (i >= len) return i;
    next = (unsigned char)js[i];
    if ((unsigned)((next | 0x20) - 'a') < 26u || cdrest__is_digit((char)next))
        return cdrest__json_fail(p, CDREST_JSON_ERR_LITERAL, i);
    return i;
}

static CDREST__INLINE size_t cdrest__json_skip_ws(const char *js, size_t len, size_t i) {
    while (i < len) {
        char c = js[i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
        i++;
    }
    return i;
}

/* ---- tokenizer: the state machine ------------------------------------------ */

/* What the parser expects next (parser.state; the counting flag rides along so that a
   resumed call cannot mix counting with filling). A value is consumed together with
   the separators and closers after it, so the only places a call stops and resumes
   are value and key starts: exactly where a token is claimed. */
enum {
    CDREST__JSON_ST_VALUE = 0,    /* a value: the root, after '[' ',' in arrays, after ':' */
    CDREST__JSON_ST_ARRAY_FIRST,  /* a value or ']' */
    CDREST__JSON_ST_OBJECT_FIRST, /* a key or '}' */
    CDREST__JSON_ST_KEY,          /* a key (after ',') */
    CDREST__JSON_ST_DONE,         /* the root is complete: only whitespace may follow */
    CDREST__JSON_ST_MASK = 0xff,
    CDREST__JSON_ST_COUNTING = 0x100
};

/* One call's working copy of the parser, kept in locals for speed and written back. */
typedef struct cdrest__json_run {
    cdrest_json_parser *p;
    const char *js;
    size_t len;
    size_t pos;
    cdrest_json_tok *toks; /* NULL when counting */
    int ntoks;
    int toknext;
    int super; /* the token a new value is attached to, or -1 */
    int depth;
    int max_depth;
    int state;
} cdrest__json_run;

static CDREST__INLINE int cdrest__json_in_object(const cdrest__json_run *r) {
    int top = r->depth - 1;
    return (r->p->stack[top >> 3] >> (top & 7)) & 1;
}

/* Claims the next token as a child of r->super. Fails (touching nothing) when the
   caller's array is full, so the same value is read again on resume. */
static CDREST__INLINE int cdrest__json_claim(cdrest__json_run *r, int type, size_t start) {
    if (r->toks) {
        cdrest_json_tok *t;
        if (r->toknext >= r->ntoks) return CDREST_E_JSON_TOKENS;
        t = &r->toks[r->toknext];
        t->type = type;
        t->start = (int)start;
        t->end = -1;
        t->size = 0;
        t->parent = r->super;
        if (r->super >= 0) r->toks[r->super].size++;
    }
    r->toknext++;
    return 0;
}

/* A scanner failed (p->error is set): stop there. */
static int cdrest__json_scan_failed(cdrest__json_run *r) {
    r->pos = r->p->error_pos;
    return CDREST_E_JSON;
}

static int cdrest__json_reject(cdrest__json_run *r, int error, size_t pos) {
    cdrest__json_fail(r->p, error, pos);
    return cdrest__json_scan_failed(r);
}

static CDREST__INLINE int cdrest__json_open(cdrest__json_run *r, char c) {
    int is_object = c == '{', level = r->depth;
    if (level >= r->max_depth) return cdrest__json_reject(r, CDREST_JSON_ERR_DEPTH, r->pos);
    if (cdrest__json_claim(r, is_object ? CDREST_JSON_OBJECT : CDREST_JSON_ARRAY, r->pos)) return CDREST_E_JSON_TOKENS;
    if (is_object)
        r->p->stack[level >> 3] |= (unsigned char)(1u << (level & 7));
    else
        r->p->stack[level >> 3] &= (unsigned char)~(1u << (level & 7));
    if (r->toks) r->super = r->toknext - 1;
    r->depth++;
    r->pos++;
    r->state = is_object ? CDREST__JSON_ST_OBJECT_FIRST : CDREST__JSON_ST_ARRAY_FIRST;
    return 0;
}

/* The closer at r->pos ends the innermost container. r->super is the container
   itself (an array, or an empty object) or, inside an object, the key of its last
   member: either way it leads to the innermost open container, of the closer's kind. */
static CDREST__INLINE void cdrest__json_close(cdrest__json_run *r) {
    CDREST_ASSERT(r->depth > 0);
    if (r->toks) {
        int c = r->super;
        CDREST_ASSERT(c >= 0);
        if (r->toks[c].type == CDREST_JSON_STRING) c = r->toks[c].parent;
        CDREST_ASSERT(c >= 0 && r->toks[c].end == -1);
        CDREST_ASSERT(r->toks[c].type == (cdrest__json_in_object(r) ? CDREST_JSON_OBJECT : CDREST_JSON_ARRAY));
        r->toks[c].end = (int)r->pos + 1;
        r->super = r->toks[c].parent;
    }
    r->depth--;
    r->pos++;
}

/* After a value: whitespace, then ',' (the next state) or closers, any number of them.
   At depth 0 the root is done. */
static CDREST__INLINE int cdrest__json_after_value(cdrest__json_run *r) {
    for (;;) {
        int in_object;
        char c;
        if (r->depth == 0) {
            r->state = CDREST__JSON_ST_DONE;
            return 0;
        }
        r->pos = cdrest__json_skip_ws(r->js, r->len, r->pos);
        if (r->pos >= r->len) return cdrest__json_reject(r, CDREST_JSON_ERR_EOF, r->len);
        c = r->js[r->pos];
        in_object = cdrest__json_in_object(r);
        if (c == ',') {
            r->pos++;
            if (in_object && r->toks) r->super = r->toks[r->super].parent;
            r->state = in_object ? CDREST__JSON_ST_KEY : CDREST__JSON_ST_VALUE;
            return 0;
        }
        if (c != (in_object ? '}' : ']')) return cdrest__json_reject(r, CDREST_JSON_ERR_SYNTAX, r->pos);
        cdrest__json_close(r);
    }
}

/* A string token (key or value) at r->pos ('"'); the token spans the body. */
static CDREST__INLINE int cdrest__json_string_token(cdrest__json_run *r) {
    size_t end;
    if (cdrest__json_claim(r, CDREST_JSON_STRING, r->pos + 1)) return CDREST_E_JSON_TOKENS;
    end = cdrest__json_scan_string(r->p, r->js, r->len, r->pos + 1);
    if (end == CDREST__JSON_FAIL) return cdrest__json_scan_failed(r);
    if (r->toks) r->toks[r->toknext - 1].end = (int)end;
    r->pos = end + 1;
    return 0;
}

/* A member's key and the ':' after it; the value that follows hangs off the key. */
static CDREST__INLINE int cdrest__json_key(cdrest__json_run *r) {
    int rc;
    if (r->js[r->pos] != '"') return cdrest__json_reject(r, CDREST_JSON_ERR_SYNTAX, r->pos);
    rc = cdrest__json_string_token(r);
    if (rc) return rc;
    r->pos = cdrest__json_skip_ws(r->js, r->len, r->pos);
    if (r->pos >= r->len) return cdrest__json_reject(r, CDREST_JSON_ERR_EOF, r->len);
    if (r->js[r->pos] != ':') return cdrest__json_reject(r, CDREST_JSON_ERR_SYNTAX, r->pos);
    r->pos++;
    if (r->toks) r->super = r->toknext - 1;
    r->state = CDREST__JSON_ST_VALUE;
    return 0;
}

/* A string, number or literal at r->pos starting with c. */
static CDREST__INLINE int cdrest__json_scalar(cdrest__json_run *r, char c) {
    size_t end;
    int type;
    if (c == '"') return cdrest__json_string_token(r);
    if (c == '-' || cdrest__is_digit(c))
        type = CDREST_JSON_NUMBER;
    else if (c == 't')
        type = CDREST_JSON_TRUE;
    else if (c == 'f')
        type = CDREST_JSON_FALSE;
    else if (c == 'n')
        type = CDREST_JSON_NULL;
    else
        return cdrest__json_reject(r, CDREST_JSON_ERR_SYNTAX, r->pos);
    if (cdrest__json_claim(r, type, r->pos)) return CDREST_E_JSON_TOKENS;
    end = type == CDREST_JSON_NUMBER ? cdrest__json_scan_number(r->p, r->js, r->len, r->pos)
                                     : cdrest__json_scan_literal(r->p, r->js, r->len, r->pos, type);
    if (end == CDREST__JSON_FAIL) return cdrest__json_scan_failed(r);
    if (r->toks) r->toks[r->toknext - 1].end = (int)end;
    r->pos = end;
    return 0;
}

/* One step at a non-blank byte: a key, a value, or an empty container's closer. */
static CDREST__INLINE int cdrest__json_step(cdrest__json_run *r) {
    char c = r->js[r->pos];
    int rc;
    switch (r->state) {
        case CDREST__JSON_ST_DONE: return cdrest__json_reject(r, CDREST_JSON_ERR_TRAILING, r->pos);
        case CDREST__JSON_ST_OBJECT_FIRST:
            if (c == '}') {
                cdrest__json_close(r);
                return cdrest__json_after_value(r);
            }
            return cdrest__json_key(r);
        case CDREST__JSON_ST_KEY: return cdrest__json_key(r);
        case CDREST__JSON_ST_ARRAY_FIRST:
            if (c == ']') {
                cdrest__json_close(r);
                return cdrest__json_after_value(r);
            }
            break;
        default: break;
    }
    if (c == '{' || c == '[') return cdrest__json_open(r, c);
    rc = cdrest__json_scalar(r, c);
    return rc ? rc : cdrest__json_after_value(r);
}

/* The input ended between tokens: fine after the root, otherwise empty or truncated. */
static int cdrest__json_at_eof(cdrest__json_run *r) {
    int code;
    if (r->state == CDREST__JSON_ST_DONE) return r->toknext;
    code = r->state == CDREST__JSON_ST_VALUE && r->depth == 0 ? CDREST_JSON_ERR_EMPTY : CDREST_JSON_ERR_EOF;
    return cdrest__json_reject(r, code, r->len);
}

/* A resumed call must continue the same way it started (counting or filling) with
   at least the tokens it already filled; anything else would corrupt the tokens. */
static int cdrest__json_resume_ok(const cdrest_json_parser *p, const cdrest_json_tok *toks, int ntoks, int counting) {
    int started = p->toknext > 0;
    if (p->toknext < 0 || p->depth < 0 || p->depth > CDREST_JSON_MAX_DEPTH) return 0;
    if (!started) return 1;
    if (((p->state & CDREST__JSON_ST_COUNTING) != 0) != counting) return 0;
    if (counting) return 1;
    if (!toks || ntoks < p->toknext || p->toksuper >= p->toknext) return 0;
    return (p->toksuper >= 0) == (p->depth > 0);
}

CDRESTDEF void cdrest_json_init(cdrest_json_parser *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->toksuper = -1;
    p->max_depth = CDREST_JSON_MAX_DEPTH;
    p->state = CDREST__JSON_ST_VALUE;
}

CDRESTDEF int cdrest_json_parse(cdrest_json_parser *p, const char *js, size_t len, cdrest_json_tok *toks, int ntoks) {
    cdrest__json_run r;
    int rc = 0, counting = toks == NULL;
    if (!p || (!js && len) || ntoks < 0) return CDREST_E_ARG;
    if (p->error) return CDREST_E_JSON;
    if (!cdrest__json_resume_ok(p, toks, ntoks, counting)) return CDREST_E_ARG;
    if (len > (size_t)INT_MAX) { /* spans are ints */
        cdrest__json_fail(p, CDREST_JSON_ERR_TOOBIG, (size_t)INT_MAX);
        return CDREST_E_JSON;
    }
    r.p = p;
    r.js = js;
    r.len = len;
    r.pos = p->pos;
    r.toks = toks;
    r.ntoks = counting ? 0 : ntoks;
    r.toknext = p->toknext;
    r.super = p->toksuper;
    r.depth = p->depth;
    r.max_depth = p->max_depth >= 1 && p->max_depth <= CDREST_JSON_MAX_DEPTH ? p->max_depth : CDREST_JSON_MAX_DEPTH;
    r.state = p->state & CDREST__JSON_ST_MASK;
    if (r.pos > len) return CDREST_E_ARG;
    while (rc == 0) {
        r.pos = cdrest__json_skip_ws(js, len, r.pos);
        if (r.pos >= len) {
            rc = cdrest__json_at_eof(&r);
            break;
        }
        rc = cdrest__json_step(&r);
    }
    p->pos = r.pos;
    p->toknext = r.toknext;
    p->toksuper = r.super;
    p->depth = r.depth;
    p->state = r.state | (counting ? CDREST__JSON_ST_COUNTING : 0);
    return rc;
}

CDRESTDEF const char *cdrest_json_errstr(int json_error) {
    switch (json_error) {
        case CDREST_JSON_ERR_NONE: return "no error";
        case CDREST_JSON_ERR_SYNTAX: return "unexpected character";
        case CDREST_JSON_ERR_EOF: return "unexpected end of input";
        case CDREST_JSON_ERR_NUMBER: return "malformed number";
        case CDREST_JSON_ERR_LITERAL: return "malformed literal (true, false, null)";
        case CDREST_JSON_ERR_CONTROL: return "control character in a string";
        case CDREST_JSON_ERR_ESCAPE: return "invalid escape or lone surrogate";
        case CDREST_JSON_ERR_UTF8: return "invalid UTF-8";
        case CDREST_JSON_ERR_DEPTH: return "nesting too deep";
        case CDREST_JSON_ERR_TRAILING: return "data after the JSON value";
        case CDREST_JSON_ERR_EMPTY: return "no JSON value";
        case CDREST_JSON_ERR_TOOBIG: return "input too large";
        default: return "unknown JSON error";
    }
}

/* ---- helpers over the tokens ---------------------------------------------- */

CDRESTDEF int cdrest_json_skip(const cdrest_json_tok *t, int ntok, int i) {
    long pending = 1; /* tokens of the subtree still to pass: each brings its children */
    if (ntok < 0) return 0;
    if (!t || i < 0 || i >= ntok) return ntok;
    while (pending > 0 && i < ntok) {
        pending += (long)t[i].size - 1;
        i++;
    }
    return i;
}

CDRESTDEF int cdrest_json_first(const cdrest_json_tok *t, int ntok, int i) {
    if (!t || i < 0 || i + 1 >= ntok || t[i].size <= 0) return -1;
    if (t[i].type != CDREST_JSON_OBJECT && t[i].type != CDREST_JSON_ARRAY) return -1;
    return i + 1;
}

CDRESTDEF int cdrest_json_next(const cdrest_json_tok *t, int ntok, int c) {
    int n;
    if (!t || c < 0 || c >= ntok || t[c].parent < 0) return -1;
    n = cdrest_json_skip(t, ntok, c);
    return n < ntok && t[n].parent == t[c].parent ? n : -1;
}

/* UTF-8 for code point cp (<= 0x10FFFF, not a surrogate) into out; returns its length. */
static int cdrest__json_put_utf8(unsigned long cp, unsigned char out[4]) {
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the escape at s[0] ('\\') of a string body with n bytes left into UTF-8 at
   out; *used gets the escape's length. Returns the bytes decoded (1..4), or 0 if the
   escape is malformed (checked again: the tokens may come from elsewhere). */
static int cdrest__json_unescape_one(const char *s, size_t n, unsigned char out[4], size_t *used) {
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit;
    long unit, low;
    if (n < 2) return 0;
    if (s[1] != 'u') {
        hit = (const char *)memchr(from, s[1], 8);
        if (!hit) return 0;
        out[0] = (unsigned char)to[hit - from];
        *used = 2;
        return 1;
    }
    if (n < 6 || (unit = cdrest__json_hex4(s + 2)) < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return 0;
    *used = 6;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
        if (n < 12 || s[6] != '\\' || s[7] != 'u') return 0;
        low = cdrest__json_hex4(s + 8);
        if (low < 0xDC00 || low > 0xDFFF) return 0;
        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        *used = 12;
    }
    return cdrest__json_put_utf8((unsigned long)unit, out);
}

/* Copies what fits of s[0..n) to buf at offset at (buf holds cap bytes). memmove: a
   string may be decoded in place, where the output trails the input. */
static void cdrest__json_put_some(char *buf, size_t cap, size_t at, const void *s, size_t n) {
    if (at < cap) memmove(buf + at, s, n < cap - at ? n : cap - at);
}

/* Unescapes a string body into buf (as much as fits). Returns the full decoded length,
   or CDREST__JSON_FAIL for a malformed escape. Plain runs are copied whole. */
static size_t cdrest__json_unescape(const char *s, size_t n, char *buf, size_t cap) {
    size_t in = 0, out = 0;
    while (in < n) {
        const char *slash = (const char *)memchr(s + in, '\\', n - in);
        size_t run = slash ? (size_t)(slash - (s + in)) : n - in, used = 0;
        unsigned char u[4];
        int k;
        cdrest__json_put_some(buf, cap, out, s + in, run);
        in += run;
        out += run;
        if (!slash) break;
        k = cdrest__json_unescape_one(s + in, n - in, u, &used);
        if (k == 0) return CDREST__JSON_FAIL;
        cdrest__json_put_some(buf, cap, out, u, (size_t)k);
        in += used;
        out += (size_t)k;
    }
    return out;
}

/* The token's span, if it is a sane one. */
static int cdrest__json_span(const cdrest_json_tok *t, int i, size_t *start, size_t *n) {
    if (!t || i < 0 || t[i].start < 0 || t[i].end < t[i].start) return 0;
    *start = (size_t)t[i].start;
    *n = (size_t)(t[i].end - t[i].start);
    return 1;
}

CDRESTDEF int cdrest_json_string(const char *js, const cdrest_json_tok *t, int i, char *buf, size_t cap, size_t *len) {
    size_t start, n, need;
    if (len) *len = 0;
    if (!js || (!buf && cap) || !cdrest__json_span(t, i, &start, &n)) return CDREST_E_ARG;
    if (t[i].type != CDREST_JSON_STRING) { /* not text: never its raw JSON instead */
        if (cap) buf[0] = '\0';
        return CDREST_E_JSON;
    }
    need = cdrest__json_unescape(js + start, n, buf, cap);
    if (need == CDREST__JSON_FAIL) {
        if (cap) buf[0] = '\0';
        return CDREST_E_JSON;
    }
    if (len) *len = need;
    if (need >= cap) {
        if (cap) buf[0] = '\0';
        return CDREST_E_TOOLARGE;
    }
    buf[need] = '\0';
    return 0;
}

/* 1 if string token i decodes to exactly s[0..n). Compares run by run, no copy. */
static int cdrest__json_eq_n(const char *js, const cdrest_json_tok *t, int i, const char *s, size_t n) {
    size_t start, bn, in = 0, at = 0;
    const char *b;
    if (!js || !s || !cdrest__json_span(t, i, &start, &bn) || t[i].type != CDREST_JSON_STRING) return 0;
    b = js + start;
    while (in < bn) {
        const char *slash = (const char *)memchr(b + in, '\\', bn - in);
        size_t run = slash ? (size_t)(slash - (b + in)) : bn - in, used = 0;
        unsigned char u[4];
        int k;
        if (run > n - at || memcmp(b + in, s + at, run) != 0) return 0;
        in += run;
        at += run;
        if (!slash) break;
        k = cdrest__json_unescape_one(b + in, bn - in, u, &used);
        if (k == 0 || (size_t)k > n - at || memcmp(u, s + at, (size_t)k) != 0) return 0;
        in += used;
        at += (size_t)k;
    }
    return at == n;
}

CDRESTDEF int cdrest_json_eq(const char *js, const cdrest_json_tok *t, int i, const char *s) {
    return s ? cdrest__json_eq_n(js, t, i, s, strlen(s)) : 0;
}

/* The value of the first member of object obj whose key is key[0..n), or -1. */
static int cdrest__json_member(const char *js, const cdrest_json_tok *t, int ntok, int obj, const char *key, size_t n) {
    int k;
    if (t[obj].type != CDREST_JSON_OBJECT) return -1;
    for (k = cdrest_json_first(t, ntok, obj); k >= 0; k = cdrest_json_next(t, ntok, k))
        if (cdrest__json_eq_n(js, t, k, key, n)) return k + 1 < ntok ? k + 1 : -1;
    return -1;
}

/* Element idx of array arr, or -1. */
static int cdrest__json_element(const cdrest_json_tok *t, int ntok, int arr, long idx) {
    int e;
    if (t[arr].type != CDREST_JSON_ARRAY || idx >= t[arr].size) return -1;
    for (e = cdrest_json_first(t, ntok, arr); e >= 0 && idx > 0; idx--) e = cdrest_json_next(t, ntok, e);
    return e;
}

/* "[N]" at *path (at the '['): returns N and moves past the ']', or -1. */
static long cdrest__json_path_index(const char **path) {
    const char *s = *path + 1;
    long idx = 0;
    if (!cdrest__is_digit(*s)) return -1;
    for (; cdrest__is_digit(*s); s++) {
        if (idx > (INT_MAX - 9) / 10) return -1;
        idx = idx * 10 + (*s - '0');
    }
    if (*s != ']') return -1;
    *path = s + 1;
    return idx;
}

CDRESTDEF int cdrest_json_find(const char *js, const cdrest_json_tok *t, int ntok, int from, const char *path) {
    const char *s = path;
    int cur = from;
    if (!js || !t || !path || from < 0 || from >= ntok) return -1;
    while (*s) {
        if (*s == '[') {
            long idx = cdrest__json_path_index(&s);
            cur = idx < 0 ? -1 : cdrest__json_element(t, ntok, cur, idx);
        } else {
            size_t n;
            if (s != path && *s++ != '.') return -1; /* keys after the first follow a '.' */
            n = strcspn(s, ".[");
            cur = n ? cdrest__json_member(js, t, ntok, cur, s, n) : -1;
            s += n;
        }
        if (cur < 0) return -1;
    }
    return cur;
}

/* ---- reading validated text without tokens (answers too large for the tokens) -- */

/* The end of the value starting at js[i] (text already validated by the tokenizer). */
static size_t cdrest__json_raw_skip(const char *js, size_t len, size_t i) {
    int depth = 0, in_str = 0;
    if (js[i] != '"' && js[i] != '{' && js[i] != '[') {
        while (i < len && !strchr(",}] \t\r\n", js[i])) i++;
        return i;
    }
    for (; i < len; i++) {
        char ch = js[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"') {
                in_str = 0;
                if (depth == 0) return i + 1;
            }
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if ((ch == '}' || ch == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return len;
}

static size_t cdrest__json_raw_ws(const char *js, size_t len, size_t i) {
    while (i < len && (js[i] == ' ' || js[i] == '\t' || js[i] == '\r' || js[i] == '\n')) i++;
    return i;
}

/* The value at a path of object keys ("job.jobId") in validated JSON text, as the token
   the tokenizer would have made (*out; a string spans its text between the quotes).
   1 if found. A walk over the bytes that needs no token array. */
static int cdrest__json_raw_find(const char *js, size_t len, const char *path, cdrest_json_tok *out) {
    size_t i = cdrest__json_raw_ws(js, len, 0);
    if (!*path) return 0;
    while (*path) {
        size_t n = strcspn(path, "."), vs = 0, ve = 0;
        int found = 0;
        if (i >= len || js[i] != '{') return 0;
        i = cdrest__json_raw_ws(js, len, i + 1);
        while (!found && i < len && js[i] == '"') {
            cdrest_json_tok key;
            size_t ke = cdrest__json_raw_skip(js, len, i);
            key.type = CDREST_JSON_STRING;
            key.start = (int)i + 1;
            key.end = (int)ke - 1;
            vs = cdrest__json_raw_ws(js, len, cdrest__json_raw_ws(js, len, ke) + 1); /* past ':' */
            ve = cdrest__json_raw_skip(js, len, vs);
            found = cdrest__json_eq_n(js, &key, 0, path, n);
            if (!found) i = cdrest__json_raw_ws(js, len, cdrest__json_raw_ws(js, len, ve) + 1); /* past ',' */
        }
        if (!found) return 0;
        path += n;
        if (*path == '.') path++;
        i = vs;
        out->start = (int)vs;
        out->end = (int)ve;
        out->size = 0;
        out->parent = -1;
        switch (js[vs]) {
            case '{': out->type = CDREST_JSON_OBJECT; break;
            case '[': out->type = CDREST_JSON_ARRAY; break;
            case '"': out->type = CDREST_JSON_STRING, out->start++, out->end--; break;
            case 't': out->type = CDREST_JSON_TRUE; break;
            case 'f': out->type = CDREST_JSON_FALSE; break;
            case 'n': out->type = CDREST_JSON_NULL; break;
            default: out->type = CDREST_JSON_NUMBER; break;
        }
    }
    return 1;
}

/* The text of a number token, or of a string token holding exactly a JSON number
   (CD sends ids and counts as strings: "jobId": "4711"). Checked against the grammar
   either way, so the conversions below may rely on it whatever made the tokens. */
static int cdrest__json_number_text(const char *js, const cdrest_json_tok *t, int i, const char **s, size_t *n) {
    cdrest_json_parser check;
    size_t start;
    if (!js || !cdrest__json_span(t, i, &start, n)) return CDREST_E_ARG;
    *s = js + start;
    if ((t[i].type != CDREST_JSON_NUMBER && t[i].type != CDREST_JSON_STRING) || *n == 0) return CDREST_E_JSON;
    if (cdrest__json_scan_number(&check, *s, *n, 0) != *n) return CDREST_E_JSON;
    return 0;
}

CDRESTDEF int cdrest_json_int64(const char *js, const cdrest_json_tok *t, int i, int64_t *out) {
    const char *s;
    size_t n, k;
    uint64_t v = 0, limit;
    int neg, rc;
    if (!out) return CDREST_E_ARG;
    rc = cdrest__json_number_text(js, t, i, &s, &n);
    if (rc) return rc;
    neg = s[0] == '-';
    for (k = (size_t)neg; k < n; k++)
        if (!cdrest__is_digit(s[k])) return CDREST_E_JSON; /* a fraction or exponent */
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (k = (size_t)neg; k < n; k++) {
        unsigned d = (unsigned)(s[k] - '0');
        if (v > (limit - d) / 10) return CDREST_E_TOOLARGE;
        v = v * 10 + d;
    }
    if (!neg)
        *out = (int64_t)v;
    else
        *out = v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
    return 0;
}

/* Significant digits kept for strtod: more than the 768 a double's exact halfway
   points can need, so with the sticky digit below the result is still correctly rounded. */
#define CDREST__JSON_MAX_DIGITS 800

/* A JSON number as digits * 10^exp10 with leading zeros dropped. Digits past the
   limit are dropped too; a nonzero one among them leaves a final '1' (sticky). */
typedef struct cdrest__json_decimal {
    char digits[CDREST__JSON_MAX_DIGITS + 1];
    int ndigits;
    long long exp10;
} cdrest__json_decimal;

static void cdrest__json_decimal_add(cdrest__json_decimal *d, char c, int *sticky) {
    if (d->ndigits == 0 && c == '0') return;
    if (d->ndigits < CDREST__JSON_MAX_DIGITS) {
        d->digits[d->ndigits++] = c;
        return;
    }
    d->exp10++;
    if (c != '0') *sticky = 1;
}

/* s[k..n) is the part after the sign of a number already checked against the grammar. */
static void cdrest__json_decimal_parse(cdrest__json_decimal *d, const char *s, size_t k, size_t n) {
    int sticky = 0, frac = 0;
    long long e = 0;
    d->ndigits = 0;
    d->exp10 = 0;
    for (; k < n && s[k] != 'e' && s[k] != 'E'; k++) {
        if (s[k] == '.') {
            frac = 1;
            continue;
        }
        if (frac) d->exp10--;
        cdrest__json_decimal_add(d, s[k], &sticky);
    }
    if (sticky) {
        d->digits[d->ndigits++] = '1';
        d->exp10--;
    }
    if (k < n) {
        int neg = s[++k] == '-';
        if (s[k] == '-' || s[k] == '+') k++;
        for (; k < n; k++)
            if (e < 100000000) e = e * 10 + (s[k] - '0'); /* beyond this it is 0 or inf anyway */
        d->exp10 += neg ? -e : e;
    }
}

/* digits * 10^exp10 as a double; 0 or CDREST_E_TOOLARGE when out of range. Exact
   integers with small powers of ten are computed directly (one rounding, so exact:
   Clinger's fast path); everything else goes to strtod as "DIGITSeEXP", which has no
   decimal point and so no locale to trip on. */
/* The fast path needs double arithmetic in double precision: x87 (FLT_EVAL_METHOD 2,
   e.g. -m32) computes in 80 bits and rounds twice. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define CDREST__JSON_FAST_PATH 1
#else
#define CDREST__JSON_FAST_PATH 0
#endif
static int cdrest__json_decimal_value(const cdrest__json_decimal *d, double *v) {
    static const double pow10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
    char text[CDREST__JSON_MAX_DIGITS + 32];
    long long mag = d->ndigits + d->exp10; /* the value is below 10^mag */
    if (d->ndigits == 0 || mag < -330) {
        *v = 0.0;
        return 0;
    }
    if (mag > 310) return CDREST_E_TOOLARGE;
    if (CDREST__JSON_FAST_PATH && d->ndigits <= 15 && d->exp10 >= -22 && d->exp10 <= 22) {
        double m = 0.0;
        int k;
        for (k = 0; k < d->ndigits; k++) m = m * 10.0 + (d->digits[k] - '0');
        *v = d->exp10 < 0 ? m / pow10[-d->exp10] : m * pow10[d->exp10];
        return 0;
    }
    memcpy(text, d->digits, (size_t)d->ndigits);
    snprintf(text + d->ndigits, sizeof text - (size_t)d->ndigits, "e%lld", d->exp10);
    *v = strtod(text, NULL);
    return *v > DBL_MAX ? CDREST_E_TOOLARGE : 0;
}

CDRESTDEF int cdrest_json_double(const char *js, const cdrest_json_tok *t, int i, double *out) {
    cdrest__json_decimal d;
    const char *s;
    size_t n;
    double v;
    int rc;
    if (!out) return CDREST_E_ARG;
    rc = cdrest__json_number_text(js, t, i, &s, &n);
    if (rc) return rc;
    cdrest__json_decimal_parse(&d, s, s[0] == '-', n);
    rc = cdrest__json_decimal_value(&d, &v);
    if (rc) return rc;
    *out = s[0] == '-' ? -v : v;
    return 0;
}

/* ---- writer ------------------------------------------------------------------ */

CDRESTDEF void cdrest_jw_init(cdrest_json_writer *w, char *buf, size_t cap) {
    if (!w) return;
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = buf ? cap : 0;
}

/* Appends what fits and always counts: a short buffer still learns the size needed. */
static void cdrest__jw_put(cdrest_json_writer *w, const char *s, size_t n) {
    cdrest__json_put_some(w->buf, w->cap, w->len, s, n);
    w->len = cdrest__add(w->len, n); /* saturates: never wraps to "fits" */
    if (w->len > w->cap && w->error == 0) w->error = CDREST_E_TOOLARGE;
}

/* A misuse or invalid input: the output is meaningless from here on. */
static int cdrest__jw_misuse(cdrest_json_writer *w) {
    w->error = CDREST_E_ARG;
    return CDREST_E_ARG;
}

static int cdrest__jw_in_object(const cdrest_json_writer *w) {
    int top = w->depth - 1;
    return w->depth > 0 && ((w->stack[top >> 3] >> (top & 7)) & 1);
}

/* Where a value may go: the single root, an array slot, or after a key. Writes the
   comma an array needs. */
static int cdrest__jw_before_value(cdrest_json_writer *w) {
    if (w->error == CDREST_E_ARG) return CDREST_E_ARG;
    if (w->depth == 0) return w->need_comma ? cdrest__jw_misuse(w) : 0;
    if (cdrest__jw_in_object(w)) {
        if (!w->after_key) return cdrest__jw_misuse(w);
        w->after_key = 0;
        return 0;
    }
    if (w->need_comma) cdrest__jw_put(w, ",", 1);
    return 0;
}

/* A quoted string with the escapes JSON requires; invalid UTF-8 is refused rather than
   sent (the server would reject or, worse, mangle it). */
static void cdrest__jw_quoted(cdrest_json_writer *w, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    cdrest__jw_put(w, "\"", 1);
    while (i < n) {
        size_t j = cdrest__json_skip_plain(s, n, i);
        unsigned char c;
        char esc[6];
        cdrest__jw_put(w, s + i, j - i);
        if (j == n) break;
        c = (unsigned char)s[j];
        if (c >= 0x80) {
            size_t k = cdrest__json_utf8_len((const unsigned char *)s + j, n - j);
            if (k == 0) {
                cdrest__jw_misuse(w);
                return;
            }
            cdrest__jw_put(w, s + j, k);
            i = j + k;
            continue;
        }
        esc[0] = '\\';
        switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default:
                memcpy(esc + 1, "u00", 3);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
        }
        cdrest__jw_put(w, esc, esc[1] == 'u' ? 6 : 2);
        i = j + 1;
    }
    cdrest__jw_put(w, "\"", 1);
}

static void cdrest__jw_begin(cdrest_json_writer *w, int is_object) {
    int level;
    if (!w || cdrest__jw_before_value(w)) return;
    level = w->depth;
    if (level >= CDREST_JSON_MAX_DEPTH) {
        cdrest__jw_misuse(w);
        return;
    }
    if (is_object)
        w->stack[level >> 3] |= (unsigned char)(1u << (level & 7));
    else
        w->stack[level >> 3] &= (unsigned char)~(1u << (level & 7));
    cdrest__jw_put(w, is_object ? "{" : "[", 1);
    w->depth++;
    w->need_comma = 0;
}

static void cdrest__jw_end(cdrest_json_writer *w, int is_object) {
    if (!w || w->error == CDREST_E_ARG) return;
    if (w->depth == 0 || cdrest__jw_in_object(w) != is_object || w->after_key) {
        cdrest__jw_misuse(w);
        return;
    }
    cdrest__jw_put(w, is_object ? "}" : "]", 1);
    w->depth--;
    w->need_comma = 1;
}

CDRESTDEF void cdrest_jw_object_begin(cdrest_json_writer *w) {
    cdrest__jw_begin(w, 1);
}
CDRESTDEF void cdrest_jw_object_end(cdrest_json_writer *w) {
    cdrest__jw_end(w, 1);
}
CDRESTDEF void cdrest_jw_array_begin(cdrest_json_writer *w) {
    cdrest__jw_begin(w, 0);
}
CDRESTDEF void cdrest_jw_array_end(cdrest_json_writer *w) {
    cdrest__jw_end(w, 0);
}

CDRESTDEF void cdrest_jw_key(cdrest_json_writer *w, const char *key) {
    if (!w || w->error == CDREST_E_ARG) return;
    if (!key || !cdrest__jw_in_object(w) || w->after_key) {
        cdrest__jw_misuse(w);
        return;
    }
    if (w->need_comma) cdrest__jw_put(w, ",", 1);
    cdrest__jw_quoted(w, key, strlen(key));
    cdrest__jw_put(w, ":", 1);
    w->after_key = 1;
    w->need_comma = 1;
}

/* Writes one scalar's text where a value may go. */
static void cdrest__jw_scalar(cdrest_json_writer *w, const char *text, size_t n) {
    if (!w || cdrest__jw_before_value(w)) return;
    cdrest__jw_put(w, text, n);
    w->need_comma = 1;
}

CDRESTDEF void cdrest_jw_string_n(cdrest_json_writer *w, const char *s, size_t n) {
    if (!w) return;
    if (!s && n) {
        cdrest__jw_misuse(w);
        return;
    }
    if (cdrest__jw_before_value(w)) return;
    cdrest__jw_quoted(w, s ? s : "", n);
    w->need_comma = 1;
}

CDRESTDEF void cdrest_jw_string(cdrest_json_writer *w, const char *s) {
    if (w && !s) {
        cdrest__jw_misuse(w);
        return;
    }
    cdrest_jw_string_n(w, s, s ? strlen(s) : 0);
}

CDRESTDEF void cdrest_jw_int64(cdrest_json_writer *w, int64_t v) {
    char text[24];
    size_t k = sizeof text;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        text[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) text[--k] = '-';
    cdrest__jw_scalar(w, text + k, sizeof text - k);
}

CDRESTDEF void cdrest_jw_bool(cdrest_json_writer *w, int v) {
    cdrest__jw_scalar(w, v ? "true" : "false", v ? 4 : 5);
}

CDRESTDEF void cdrest_jw_null(cdrest_json_writer *w) {
    cdrest__jw_scalar(w, "null", 4);
}

CDRESTDEF void cdrest_jw_raw(cdrest_json_writer *w, const char *json, size_t n) {
    cdrest_json_parser p;
    if (!w) return;
    cdrest_json_init(&p);
    if (!json || cdrest_json_parse(&p, json, n, NULL, 0) <= 0) {
        cdrest__jw_misuse(w);
        return;
    }
    cdrest__jw_scalar(w, json, n);
}

CDRESTDEF int cdrest_jw_finish(cdrest_json_writer *w) {
    if (!w) return CDREST_E_ARG;
    if (w->error == 0 && (w->depth != 0 || !w->need_comma || w->after_key)) cdrest__jw_misuse(w);
    if (w->error == 0 && w->len >= w->cap) w->error = CDREST_E_TOOLARGE;
    if (w->cap) w->buf[w->len < w->cap ? w->len : w->cap - 1] = '\0';
    return w->error;
}
/* ===========================================================================
   text: the error record, URL parsing, percent-encoding and base64. Pure string
   work: no I/O, no allocation. Every later layer reports failures through
   cdrest__fail(), so the readable line is always built the same way.
   =========================================================================== */

CDRESTDEF const char *cdrest_strerror(int code) {
    switch (code) {
        case CDREST_OK: return "success";
        case CDREST_E_ARG: return "invalid argument";
        case CDREST_E_NOMEM: return "out of memory";
        case CDREST_E_RESOLVE: return "host name not resolved";
        case CDREST_E_CONNECT: return "connection failed";
        case CDREST_E_TIMEOUT: return "timeout";
        case CDREST_E_IO: return "connection error";
        case CDREST_E_TLS: return "TLS error";
        case CDREST_E_PROTOCOL: return "HTTP protocol error";
        case CDREST_E_TOOLARGE: return "too large";
        case CDREST_E_JSON: return "invalid JSON";
        case CDREST_E_JSON_TOKENS: return "not enough JSON tokens";
        case CDREST_E_HTTP: return "HTTP error status";
        case CDREST_E_SERVER: return "server error";
        case CDREST_E_AUTH: return "authentication failed";
        case CDREST_E_UNSUPPORTED: return "not supported";
        case CDREST_E_DEADLINE: return "deadline passed";
        case CDREST_E_FILE: return "local file error";
        case CDREST_E_CANCELED: return "canceled";
        default: return "unknown error";
    }
}

#if defined(__GNUC__) || defined(__clang__)
#define CDREST__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CDREST__PRINTF(f, a)
#endif

/* Make s one printable line, in place: C0 controls and DEL become spaces, and so do C1
   controls (U+0080..U+009F, "\xC2\x80".."\xC2\x9F" in UTF-8; U+009B is CSI to terminals
   that read C1), bytes that are not UTF-8 become '?', and a sequence cut short at the end
   (a message truncated mid-character) is dropped. Text from servers ends up here. */
static void cdrest__printable(char *s) {
    unsigned char *r = (unsigned char *)s, *w = r;
    size_t left = strlen(s);
    while (left) {
        size_t k = cdrest__json_utf8_len(r, left);
        if (k == 0) {
            unsigned lead = r[0];
            size_t need = lead >= 0xC2 && lead <= 0xF4 ? (lead < 0xE0 ? 2u : lead < 0xF0 ? 3u : 4u) : 1u, j;
            for (j = 1; j < left && j < need && (r[j] & 0xC0) == 0x80; j++) {}
            if (j == left && left < need) break; /* cut short at the end */
            *w++ = '?';
            r++;
            left--;
            continue;
        }
        if (k == 1 && (r[0] < 0x20 || r[0] == 0x7f))
            *w++ = ' ';
        else if (k == 2 && r[0] == 0xC2 && r[1] < 0xA0)
            *w++ = ' ';
        else
            memmove(w, r, k), w += k;
        r += k;
        left -= k;
    }
    *w = 0;
}

static int cdrest__vfail(cdrest_error *e, int code, const char *fmt, va_list ap) {
    int n;
    if (!e) return code;
    e->code = code;
    n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    /* A line longer than the buffer ends in "..." instead of stopping mid-word unseen. */
    if (n >= (int)sizeof e->msg && sizeof e->msg > 4) memcpy(e->msg + sizeof e->msg - 4, "...", 4);
    cdrest__printable(e->msg);
    return code;
}

CDRESTDEF int cdrest_error_set(cdrest_error *e, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    code = cdrest__vfail(e, code, fmt, ap);
    va_end(ap);
    return code;
}

#ifndef CDREST_TERSE_ERRORS
/* Record a failure: its code and one readable line. Returns code, so callers write
   `return cdrest__fail(err, CDREST_E_IO, "...", ...);`. */
static int cdrest__fail(cdrest_error *e, int code, const char *fmt, ...) CDREST__PRINTF(3, 4);
static int cdrest__fail(cdrest_error *e, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    code = cdrest__vfail(e, code, fmt, ap);
    va_end(ap);
    return code;
}
#else
/* Small builds: the message is cdrest_strerror's words only. The detailed format and its
   arguments stay in the source but inside sizeof, so they are type-checked and count as
   used while no format string reaches the binary (about a fifth of the code's size). */
int cdrest__fail_args(const char *fmt, ...) CDREST__PRINTF(1, 2); /* never defined nor called */
static void cdrest__copy_words(char *dst, size_t cap, const char *src) {
    size_t i;
    for (i = 0; i + 1 < cap && src[i]; i++) dst[i] = src[i];
    dst[i] = 0;
}
static int cdrest__fail_terse(cdrest_error *e, int code) {
    if (!e) return code;
    e->code = code;
    cdrest__copy_words(e->msg, sizeof e->msg, cdrest_strerror(code));
    return code;
}
#define cdrest__fail(e, code, ...) ((void)sizeof(cdrest__fail_args(__VA_ARGS__)), cdrest__fail_terse((e), (code)))
#endif

static void cdrest__error_clear(cdrest_error *e) {
    e->code = 0;
    e->http_status = 0;
    e->tls_error = 0;
    e->server_code[0] = 0;
    e->server_message[0] = 0;
    e->server_details[0] = 0;
    e->server_where[0] = 0;
    e->msg[0] = 0;
}

/* Copy at most cap-1 bytes and NUL-terminate; returns 0, or -1 if src did not fit. */
static int cdrest__copy(char *dst, size_t cap, const char *src, size_t n) {
    if (n >= cap) return -1;
    memcpy(dst, src, n);
    dst[n] = 0;
    return 0;
}

/* 1 if s[0..n) holds a byte that must never reach a request line or header:
   CR, LF, NUL (header injection and request smuggling). */
static int cdrest__has_crlf_nul(const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == 0) return 1;
    return 0;
}

/* The length of a path separator at s[i] (0 if none): "/", and what a server or a proxy
   may turn into one before it resolves dot segments: "\\" and the encoded %2F and %5C. */
static size_t cdrest__path_sep_len(const char *s, size_t i, size_t n) {
    if (s[i] == '/' || s[i] == '\\') return 1;
    if (i + 3 <= n && s[i] == '%' && (s[i + 1] == '2' || s[i + 1] == '5')) {
        char x = (char)(s[i + 2] | 0x20);
        if ((s[i + 1] == '2' && x == 'f') || (s[i + 1] == '5' && x == 'c')) return 3;
    }
    return 0;
}

/* 1 if s[0..n) has a "." or ".." path segment, also written with %2E, between any of the
   separators above: servers (and the proxies before them) resolve those away, so
   "a/../../jobs/1" (or "a/..%2Fjobs/1" behind a proxy that decodes %2F) would reach another
   object than the one named. Names and paths holding one are refused, never sent. */
static int cdrest__has_dot_segment(const char *s, size_t n) {
    size_t i = 0;
    while (i <= n) {
        size_t j = i, k = i, dots = 0, sep = 0;
        while (j < n && (sep = cdrest__path_sep_len(s, j, n)) == 0) j++;
        while (k < j && dots < 3) {
            if (s[k] == '.')
                k++, dots++;
            else if (k + 3 <= j && s[k] == '%' && s[k + 1] == '2' && (s[k + 2] == 'e' || s[k + 2] == 'E'))
                k += 3, dots++;
            else
                dots = 3;
        }
        if (dots == 1 || dots == 2) return 1;
        i = j + (sep ? sep : 1);
    }
    return 0;
}

/* --- URL ----------------------------------------------------------------- */

/* Never echoes the URL: it may hold what the caller thought was a secret. */
static int cdrest__url_fail(cdrest_error *err, const char *why) {
    return cdrest__fail(err, CDREST_E_ARG, "invalid URL: %s", why);
}

/* --- IP literals --------------------------------------------------------------
   The one parser of IP address literals: URL hosts, the loopback test, no_proxy and the
   TLS certificate's IP check all read a host through it, so no two of them can disagree
   about which address a string names. Strict on purpose: IPv4 is exactly four decimal
   parts 0-255 without leading zeros (inet_aton would read "010" as octal 8, "127.1" or
   "0x7f.1" as 127.0.0.1, so such forms name different addresses to different readers);
   IPv6 is RFC 4291 text (1-4 hex digits a group, one "::" for at least one zero group,
   a canonical dotted IPv4 only as the last 32 bits), no zone id. */

/* s[0..n) as dotted-quad IPv4: 4 and the bytes in out, or 0. */
static size_t cdrest__ipv4_parse(const char *s, size_t n, unsigned char out[4]) {
    size_t i = 0;
    int part;
    for (part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        if (part) {
            if (i >= n || s[i] != '.') return 0;
            i++;
        }
        while (i < n && cdrest__is_digit((unsigned char)s[i]) && digits < 4)
            v = v * 10 + (unsigned)(s[i++] - '0'), digits++;
        if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[i - digits] == '0')) return 0;
        out[part] = (unsigned char)v;
    }
    return i == n ? 4 : 0;
}

/* s[0..n) as IPv6 (no brackets): 16 and the bytes in out, or 0. */
static size_t cdrest__ipv6_parse(const char *s, size_t n, unsigned char out[16]) {
    unsigned char b[16];
    size_t i = 0, groups = 0, k;
    int gap = -1;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    }
    while (i < n) {
        size_t j = i;
        unsigned v = 0;
        while (j < n && j - i < 5 && cdrest__hex_value((unsigned char)s[j]) >= 0)
            v = v * 16 + (unsigned)cdrest__hex_value((unsigned char)s[j++]);
        if (j < n && s[j] == '.') { /* the dotted IPv4 tail: the last 32 bits */
            if (groups > 6 || cdrest__ipv4_parse(s + i, n - i, b + 2 * groups) != 4) return 0;
            groups += 2;
            break;
        }
        if (j == i || j - i > 4 || groups == 8) return 0;
        b[2 * groups] = (unsigned char)(v >> 8);
        b[2 * groups + 1] = (unsigned char)v;
        groups++;
        if ((i = j) == n) break;
        if (s[i++] != ':' || i == n) return 0; /* a group ends with ':' and never the text */
        if (s[i] == ':') {
            if (gap >= 0) return 0;
            gap = (int)groups;
            i++;
        }
    }
    if (gap < 0 ? groups != 8 : groups > 7) return 0;
    memset(out, 0, 16);
    for (k = 0; k < 2 * groups; k++) {
        size_t at = (gap >= 0 && k >= 2 * (size_t)gap) ? 16 - (2 * groups - k) : k;
        out[at] = b[k];
    }
    return 16;
}

/* An IPv4 or IPv6 literal (IPv6 without brackets): 4 or 16 with the bytes, or 0. */
static size_t cdrest__ip_parse(const char *s, size_t n, unsigned char out[16]) {
    if (memchr(s, ':', n)) return cdrest__ipv6_parse(s, n, out);
    return cdrest__ipv4_parse(s, n, out);
}

/* 1 if a host name would be read as an IPv4 number by a resolver: its last label (a
   trailing dot aside) is decimal digits or 0x-hex, as in "127.1", "0x7f.0.0.1",
   "2130706433", "1.2.3.4.". Such a host must be a canonical literal or nothing. */
static int cdrest__ipv4_like(const char *s, size_t n) {
    size_t start, i;
    int hex = 0;
    if (n && s[n - 1] == '.') n--;
    for (start = n; start && s[start - 1] != '.'; start--) {}
    if (start == n) return 0;
    if (n - start >= 2 && s[start] == '0' && (s[start + 1] == 'x' || s[start + 1] == 'X')) hex = 1, start += 2;
    for (i = start; i < n; i++)
        if (hex ? cdrest__hex_value((unsigned char)s[i]) < 0 : !cdrest__is_digit((unsigned char)s[i])) return 0;
    return 1;
}

/* Loopback: the name "localhost", an address of 127.0.0.0/8, ::1, or 127/8 mapped into
   IPv6 (::ffff:127.x.x.x). Decided on the parsed bytes, so "127.attacker.example" or
   "0x7f.1" are not loopback (and the URL parser refuses the latter anyway). */
static int cdrest__is_loopback(const char *host) {
    static const unsigned char v6_loopback[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    unsigned char ip[16];
    size_t n = cdrest__ip_parse(host, strlen(host), ip);
    if (n == 4) return ip[0] == 127;
    if (n == 16) return !memcmp(ip, v6_loopback, 16) || (!memcmp(ip, v4_mapped, 12) && ip[12] == 127);
    return cdrest__ieq(host, strlen(host), "localhost");
}

/* A DNS name in ASCII (IDNs in their xn-- form): letters, digits, '-', '_' and dots
   between non-empty labels; one trailing dot (a fully qualified name) is kept. */
static int cdrest__valid_reg_name(const char *s, size_t n) {
    size_t i;
    if (n == 0 || n > 253 || s[0] == '.') return 0;
    for (i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (!cdrest__is_alpha(ch) && !cdrest__is_digit(ch) && ch != '-' && ch != '.' && ch != '_') return 0;
        if (ch == '.' && i + 1 < n && s[i + 1] == '.') return 0;
    }
    return 1;
}

static int cdrest__url_parse_port(const char *s, size_t n, unsigned short *port) {
    unsigned long v = 0;
    size_t i;
    if (n == 0 || n > 5) return -1;
    for (i = 0; i < n; i++) {
        if (!cdrest__is_digit((unsigned char)s[i])) return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v == 0 || v > 65535) return -1;
    *port = (unsigned short)v;
    return 0;
}

/* The base path: "" or "/a/b" without a trailing slash; pchars and '/' only. */
static int cdrest__url_parse_path(cdrest_url *u, const char *s, size_t n, cdrest_error *err) {
    size_t i;
    for (i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '%') {
            if (i + 2 >= n) return cdrest__url_fail(err, "bad %-escape in path");
            if (cdrest__hex_value((unsigned char)s[i + 1]) < 0 || cdrest__hex_value((unsigned char)s[i + 2]) < 0)
                return cdrest__url_fail(err, "bad %-escape in path");
        } else if (!cdrest__is_alpha(ch) && !cdrest__is_digit(ch) && !strchr("/-._~!$&'()*+,;=:@", ch)) {
            return cdrest__url_fail(err, "character not allowed in path");
        }
    }
    while (n > 0 && s[n - 1] == '/') n--;
    if (cdrest__has_dot_segment(s, n))
        return cdrest__url_fail(err, "'.' and '..' segments are not allowed in the path");
    if (cdrest__copy(u->base_path, sizeof u->base_path, s, n) != 0) return cdrest__url_fail(err, "path too long");
    return 0;
}

CDRESTDEF int cdrest_url_parse(cdrest_url *u, const char *url, cdrest_error *err) {
    const char *p, *auth, *auth_end, *host, *host_end, *port = NULL;
    unsigned char ip[16];
    size_t i, len;
    if (!u || !url) return cdrest__fail(err, CDREST_E_ARG, "invalid URL: none given");
    memset(u, 0, sizeof *u);
    len = strlen(url);
    for (i = 0; i < len; i++)
        if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
            return cdrest__url_fail(err, "spaces and control characters are not allowed");
    if (len >= 8 && cdrest__ieq(url, 8, "https://")) {
        u->https = 1;
        p = url + 8;
    } else if (len >= 7 && cdrest__ieq(url, 7, "http://")) {
        p = url + 7;
    } else {
        return cdrest__url_fail(err, "it must start with http:// or https://");
    }
    auth = p;
    while (*p && *p != '/' && *p != '?' && *p != '#') p++;
    auth_end = p;
    if (memchr(auth, '@', (size_t)(auth_end - auth)))
        return cdrest__url_fail(err, "user:password@ is not allowed in the URL; use the credential settings");
    if (*p == '?' || strchr(p, '?')) return cdrest__url_fail(err, "a query string is not allowed here");
    if (*p == '#' || strchr(p, '#')) return cdrest__url_fail(err, "a fragment is not allowed");
    if (auth == auth_end) return cdrest__url_fail(err, "no host");
    if (*auth == '[') {
        host = auth + 1;
        host_end = (const char *)memchr(host, ']', (size_t)(auth_end - host));
        if (host_end && memchr(host, '%', (size_t)(host_end - host)))
            return cdrest__url_fail(err, "IPv6 zone ids (%25...) are not supported");
        if (!host_end || cdrest__ipv6_parse(host, (size_t)(host_end - host), ip) != 16)
            return cdrest__url_fail(err, "bad IPv6 literal");
        u->ipv6 = 1;
        if (host_end + 1 < auth_end) {
            if (host_end[1] != ':') return cdrest__url_fail(err, "junk after the IPv6 literal");
            port = host_end + 2;
        }
    } else {
        host = auth;
        host_end = (const char *)memchr(auth, ':', (size_t)(auth_end - auth));
        if (host_end)
            port = host_end + 1;
        else
            host_end = auth_end;
        if (!cdrest__valid_reg_name(host, (size_t)(host_end - host))) return cdrest__url_fail(err, "bad host name");
        if (cdrest__ipv4_like(host, (size_t)(host_end - host)) &&
            cdrest__ipv4_parse(host, (size_t)(host_end - host), ip) != 4)
            return cdrest__url_fail(err, "not a canonical IPv4 address (write four decimal numbers 0-255 without "
                                         "leading zeros, e.g. 10.0.0.8)");
    }
    u->port = u->https ? 443 : 80;
    if (port && cdrest__url_parse_port(port, (size_t)(auth_end - port), &u->port) != 0)
        return cdrest__url_fail(err, "bad port (1-65535)");
    if (cdrest__copy(u->host, sizeof u->host, host, (size_t)(host_end - host)) != 0)
        return cdrest__url_fail(err, "host too long");
    for (i = 0; u->host[i]; i++) u->host[i] = (char)cdrest__to_lower((unsigned char)u->host[i]);
    return cdrest__url_parse_path(u, auth_end, strlen(auth_end), err);
}

/* --- percent-encoding and base64 ------------------------------------------ */

static int cdrest__pct_safe(int ch, int mode) {
    if (cdrest__is_alpha(ch) || cdrest__is_digit(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') return 1;
    if (mode == CDREST_PCT_QUERY) return 0;
    /* ':' and '@' are plain pchars; ';' ',' '=' etc. are not kept because servers
       (Jetty) treat ';' in a path as a parameter separator. */
    if (ch == ':' || ch == '@') return 1;
    return mode == CDREST_PCT_PATH && ch == '/';
}

CDRESTDEF size_t cdrest_percent_encode(char *dst, size_t cap, const char *src, size_t n, int mode) {
    static const char hex[] = "0123456789ABCDEF";
    size_t i, o = 0, need = 0;
    for (i = 0; i < n; i++) need = cdrest__add(need, cdrest__pct_safe((unsigned char)src[i], mode) ? 1 : 3);
    if (need >= cap) { /* all or nothing: never a silently shortened name */
        if (cap) dst[0] = 0;
        return need;
    }
    for (i = 0; i < n; i++) {
        int ch = (unsigned char)src[i];
        if (cdrest__pct_safe(ch, mode)) {
            dst[o++] = (char)ch;
        } else {
            dst[o++] = '%';
            dst[o++] = hex[ch >> 4];
            dst[o++] = hex[ch & 15];
        }
    }
    dst[o] = 0;
    return need;
}

CDRESTDEF size_t cdrest_base64_encode(char *dst, size_t cap, const void *src, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = (const unsigned char *)src;
    size_t need = n / 3 + (n % 3 != 0), i, o = 0; /* 4 bytes per started group of 3 */
    need = need > (size_t)-1 / 4 ? (size_t)-1 : need * 4;
    if (need >= cap) {
        if (cap) dst[0] = 0;
        return need;
    }
    for (i = 0; i + 2 < n; i += 3) {
        unsigned long v = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8) | s[i + 2];
        dst[o++] = tab[(v >> 18) & 63];
        dst[o++] = tab[(v >> 12) & 63];
        dst[o++] = tab[(v >> 6) & 63];
        dst[o++] = tab[v & 63];
    }
    if (i < n) {
        unsigned long v = (unsigned long)s[i] << 16;
        if (i + 1 < n) v |= (unsigned long)s[i + 1] << 8;
        dst[o++] = tab[(v >> 18) & 63];
        dst[o++] = tab[(v >> 12) & 63];
        dst[o++] = (i + 1 < n) ? tab[(v >> 6) & 63] : '=';
        dst[o++] = '=';
    }
    dst[o] = 0;
    return need;
}

/* ===========================================================================
   transport: bytes to and from the server within deadlines. Owns the default POSIX
   socket transport and the client-side wrappers (cdrest__tp_*) that turn an absolute
   deadline into each call's timeout. Calls only the text layer.
   Define CDREST_NO_SOCKETS to leave the POSIX transport out (then the configured
   transport must provide now_ms).
   =========================================================================== */

#ifndef CDREST_NO_SOCKETS
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef CDREST_GETADDRINFO_A
#include <pthread.h>
#include <signal.h>
#endif

/* With MSG_DONTWAIT a connected socket blocks by default and each read is one recv()
   that sleeps until data or SO_RCVTIMEO; sends stay non-blocking per call. Without it
   (old or exotic systems) the socket stays non-blocking and reads wait in poll(). */
#ifdef MSG_DONTWAIT
#define CDREST__BLOCKING_READS 1
#define CDREST__DONTWAIT       MSG_DONTWAIT
#else
#define CDREST__BLOCKING_READS 0
#define CDREST__DONTWAIT       0
#endif

/* Milliseconds from a monotonic clock. */
static int64_t cdrest__posix_now_ms(void *self) {
    struct timespec ts;
    (void)self;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for `events` or timeout_ms passes (EINTR restarts with the
   time left). 1 ready, 0 timeout, -1 error (errno set). */
static int cdrest__poll_fd(int fd, short events, int timeout_ms) {
    int64_t deadline = cdrest__posix_now_ms(NULL) + timeout_ms;
    for (;;) {
        struct pollfd pfd;
        int left = (int)(deadline - cdrest__posix_now_ms(NULL)), r;
        if (left < 0) left = 0;
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        r = poll(&pfd, 1, left);
        if (r > 0) return 1;
        if (r == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

static void cdrest__sock_addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t cap) {
    char host[64];
    if (getnameinfo(sa, len, host, sizeof host, NULL, 0, NI_NUMERICHOST) != 0) snprintf(host, sizeof host, "?");
    if (sa->sa_family == AF_INET6)
        snprintf(out, cap, "[%s]", host);
    else
        snprintf(out, cap, "%s", host);
}

/* A non-blocking, close-on-exec socket with SIGPIPE suppressed where the OS needs a
   socket option for it (BSD/macOS; Linux uses MSG_NOSIGNAL per send). */
static int cdrest__sock_open(const struct addrinfo *ai) {
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
    /* born close-on-exec: a fork+exec in another thread between socket() and a later
       fcntl() would hand the connection to the child */
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) return -1;
#else /* no SOCK_CLOEXEC (older macOS): the best that can be done */
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol), flags;
    if (fd < 0) return -1;
    flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        close(fd);
        return -1;
    }
#endif
#ifdef SO_NOSIGPIPE
    {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
    }
#endif
    return fd;
}

/* Connect one address within timeout_ms. 0 ok, else the errno (ETIMEDOUT on timeout). */
static int cdrest__sock_connect_one(int fd, const struct addrinfo *ai, int timeout_ms) {
    int soerr = 0, r;
    socklen_t slen = sizeof soerr;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return 0;
    if (errno != EINPROGRESS && errno != EINTR) return errno;
    r = cdrest__poll_fd(fd, POLLOUT, timeout_ms);
    if (r == 0) return ETIMEDOUT;
    if (r < 0) return errno;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0) return errno;
    return soerr;
}

/* Connected: reads may block from now on (see CDREST__BLOCKING_READS). O_NONBLOCK is the
   only status flag cdrest__sock_open set, so clearing them all needs no F_GETFL first. */
static int cdrest__sock_set_blocking(int fd) {
    return fcntl(fd, F_SETFL, 0);
}

enum { CDREST__MAX_RESOLVED = 8 };

#ifdef CDREST_GETADDRINFO_A
/* One getaddrinfo_a() lookup. Its memory is shared with glibc's helper thread: a lookup
   abandoned at the deadline may still be running, so the block is freed by whichever of
   the caller and the completion notice (SIGEV_THREAD) lets go of it last. Plain
   calloc/free, not CDREST_MALLOC: glibc's thread may be the one to free it, and a
   caller's allocator is only ever called from the client's own thread. */
typedef struct cdrest__gai {
    struct gaicb cb;
    struct addrinfo hints;
    char host[256], port[8];
    pthread_mutex_t lock;
    int refs;
} cdrest__gai;

static void cdrest__gai_release(cdrest__gai *g) {
    int last;
    pthread_mutex_lock(&g->lock);
    last = --g->refs == 0;
    pthread_mutex_unlock(&g->lock);
    if (!last) return;
    if (g->cb.ar_result) freeaddrinfo(g->cb.ar_result);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

static void cdrest__gai_done(union sigval v) {
    cdrest__gai_release((cdrest__gai *)v.sival_ptr);
}

/* getaddrinfo() that gives up at timeout_ms (CDREST_E_TIMEOUT). */
static int cdrest__gai_lookup(const char *host, const char *port, int timeout_ms, struct addrinfo **out,
                              cdrest_error *err) {
    int64_t deadline = cdrest__posix_now_ms(NULL) + timeout_ms;
    struct gaicb *list[1];
    struct sigevent sev;
    cdrest__gai *g;
    int rc;
    if (strlen(host) >= sizeof g->host) return cdrest__fail(err, CDREST_E_RESOLVE, "resolve: host name too long");
    if (!(g = (cdrest__gai *)calloc(1, sizeof *g)))
        return cdrest__fail(err, CDREST_E_NOMEM, "resolve %s: out of memory", host);
    strcpy(g->host, host);
    strcpy(g->port, port);
    g->hints.ai_family = AF_UNSPEC;
    g->hints.ai_socktype = SOCK_STREAM;
    g->hints.ai_flags = AI_NUMERICSERV;
    g->cb.ar_name = g->host;
    g->cb.ar_service = g->port;
    g->cb.ar_request = &g->hints;
    pthread_mutex_init(&g->lock, NULL);
    g->refs = 2; /* the caller and the completion notice */
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = cdrest__gai_done;
    sev.sigev_value.sival_ptr = g;
    list[0] = &g->cb;
    if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev)) != 0) {
        g->refs = 1;
        cdrest__gai_release(g);
        return cdrest__fail(err, CDREST_E_RESOLVE, "resolve %s: %s", host, gai_strerror(rc));
    }
    while ((rc = gai_error(&g->cb)) == EAI_INPROGRESS) {
        int64_t left = deadline - cdrest__posix_now_ms(NULL);
        struct timespec ts;
        if (left <= 0) break;
        ts.tv_sec = (time_t)(left / 1000);
        ts.tv_nsec = (long)(left % 1000) * 1000000L;
        gai_suspend((const struct gaicb *const *)list, 1, &ts);
    }
    if (rc == EAI_INPROGRESS) {
        if (gai_cancel(&g->cb) == EAI_CANCELED) cdrest__gai_release(g); /* never ran: no notice comes */
        cdrest__gai_release(g);
        return cdrest__fail(err, CDREST_E_TIMEOUT, "resolve %s: no answer within %d ms", host, timeout_ms);
    }
    if (rc == 0) {
        pthread_mutex_lock(&g->lock);
        *out = g->cb.ar_result;
        g->cb.ar_result = NULL;
        pthread_mutex_unlock(&g->lock);
    }
    cdrest__gai_release(g);
    if (rc != 0) return cdrest__fail(err, CDREST_E_RESOLVE, "resolve %s: %s", host, gai_strerror(rc));
    return 0;
}
#endif

/* The addresses of host:port into lists[] (several lists when a resolve hook gave several
   addresses); returns how many lists, or < 0 with err set. An IP literal is parsed, never
   looked up; a name goes to the hook when there is one (with the time left), else to
   getaddrinfo() (unbounded: see cdrest_socket). */
static int cdrest__sock_resolve(cdrest_socket *s, const char *host, const char *port, int timeout_ms,
                                struct addrinfo **lists, cdrest_error *err) {
    struct addrinfo hints;
    char addrs[CDREST__MAX_RESOLVED][64];
    int gai, n, i, got = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
    if (getaddrinfo(host, port, &hints, &lists[0]) == 0) return 1;
    if (!s->resolve) {
#ifdef CDREST_GETADDRINFO_A
        gai = cdrest__gai_lookup(host, port, timeout_ms, &lists[0], err);
        return gai < 0 ? gai : 1;
#else
        hints.ai_flags = AI_NUMERICSERV;
        gai = getaddrinfo(host, port, &hints, &lists[0]);
        if (gai != 0) return cdrest__fail(err, CDREST_E_RESOLVE, "resolve %s: %s", host, gai_strerror(gai));
        return 1;
#endif
    }
    if (err) err->msg[0] = 0;
    n = s->resolve(s->resolve_ctx, host, timeout_ms, addrs, CDREST__MAX_RESOLVED, err);
    if (n < 0) {
        if (err && (err->code != n || !err->msg[0]))
            cdrest__fail(err, n, "resolve %s: %s (the resolve hook)", host, cdrest_strerror(n));
        return n;
    }
    if (n == 0 || n > CDREST__MAX_RESOLVED)
        return cdrest__fail(err, CDREST_E_RESOLVE, "resolve %s: the resolve hook gave %d addresses", host, n);
    for (i = 0; i < n; i++) {
        addrs[i][63] = 0;
        if (getaddrinfo(addrs[i], port, &hints, &lists[got]) == 0) got++;
    }
    if (got == 0)
        return cdrest__fail(err, CDREST_E_RESOLVE, "resolve %s: the resolve hook gave no numeric address", host);
    return got;
}

static int cdrest__sock_connect(void *self, const char *host, unsigned short port, int timeout_ms, cdrest_error *err) {
    cdrest_socket *s = (cdrest_socket *)self;
    struct addrinfo *lists[CDREST__MAX_RESOLVED], *ai;
    char portstr[8], where[80] = "";
    int64_t deadline = cdrest__posix_now_ms(NULL) + timeout_ms;
    int nlists, k, last_errno = 0, tried = 0, left = 0;
    snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
    nlists = cdrest__sock_resolve(s, host, portstr, timeout_ms, lists, err);
    if (nlists < 0) return nlists;
    for (k = 0; k < nlists; k++)
        for (ai = lists[k]; ai; ai = ai->ai_next) left++;
    for (k = 0; k < nlists; k++) {
        for (ai = lists[k]; ai; ai = ai->ai_next, left--) {
            /* Each remaining address gets a fair share of the time left, so one address
               that drops packets cannot eat the whole connect timeout. */
            int64_t remain = deadline - cdrest__posix_now_ms(NULL);
            int share = (int)(remain / (left > 0 ? left : 1)), fd, one = 1;
            if (remain <= 0) {
                last_errno = ETIMEDOUT;
                break;
            }
            if (left > 1 && share < 250 && remain > 250) share = 250;
            fd = cdrest__sock_open(ai);
            if (fd < 0) {
                last_errno = errno;
                continue;
            }
            tried++;
            cdrest__sock_addr_text(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
            last_errno = cdrest__sock_connect_one(fd, ai, share);
            if (last_errno == 0 && CDREST__BLOCKING_READS && cdrest__sock_set_blocking(fd) != 0) last_errno = errno;
            if (last_errno == 0) {
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                s->fd = fd;
                s->wrote = 0;
                s->rcvtimeo_ms = 0;
                for (k = 0; k < nlists; k++) freeaddrinfo(lists[k]);
                return 0;
            }
            close(fd);
        }
        if (last_errno == ETIMEDOUT && deadline - cdrest__posix_now_ms(NULL) <= 0) break;
    }
    for (k = 0; k < nlists; k++) freeaddrinfo(lists[k]);
    if (last_errno == ETIMEDOUT || (tried == 0 && deadline - cdrest__posix_now_ms(NULL) <= 0))
        return cdrest__fail(err, CDREST_E_TIMEOUT, "connect to %s:%u: timeout after %d ms%s", where[0] ? where : host,
                            (unsigned)port, timeout_ms, tried > 1 ? " (every address tried)" : "");
    return cdrest__fail(err, CDREST_E_CONNECT, "connect to %s:%u: %s%s", where[0] ? where : host, (unsigned)port,
                        strerror(last_errno), tried > 1 ? " (every address tried)" : "");
}

static long cdrest__sock_io_error(cdrest_error *err, const char *what) {
    if (errno == ECONNRESET || errno == EPIPE)
        return cdrest__fail(err, CDREST_E_IO, "%s: connection reset by the server", what);
    return cdrest__fail(err, CDREST_E_IO, "%s: %s", what, strerror(errno));
}

#if CDREST__BLOCKING_READS
/* A socket timeout that never outlasts the deadline. It is set (to a whole second below
   the time left, or to the exact time left under 2 s) only when it would outlast it, or
   is under half the time left (no wake-ups every few ms after one short deadline), so a
   client sending request after request with the same timeout sets it once per
   connection; a recv() that times out early goes round again. */
static long cdrest__sock_read(void *self, void *buf, size_t len, int timeout_ms, cdrest_error *err) {
    cdrest_socket *s = (cdrest_socket *)self;
    int64_t deadline = cdrest__posix_now_ms(NULL) + timeout_ms;
    int left = timeout_ms;
    for (;;) {
        ssize_t n;
        if (s->rcvtimeo_ms == 0 || s->rcvtimeo_ms > left || s->rcvtimeo_ms < left / 2) {
            int set = left >= 2000 ? left / 1000 * 1000 : left;
            struct timeval tv;
            tv.tv_sec = set / 1000;
            tv.tv_usec = (set % 1000) * 1000;
            if (setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
                return cdrest__sock_io_error(err, "setsockopt(SO_RCVTIMEO)");
            s->rcvtimeo_ms = set;
        }
        n = recv(s->fd, buf, len, 0);
        if (n >= 0) return (long)n;
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return cdrest__sock_io_error(err, "read");
        left = (int)(deadline - cdrest__posix_now_ms(NULL));
        if (left <= 0) return cdrest__fail(err, CDREST_E_TIMEOUT, "timeout after %d ms reading", timeout_ms);
    }
}
#else
static long cdrest__sock_read(void *self, void *buf, size_t len, int timeout_ms, cdrest_error *err) {
    cdrest_socket *s = (cdrest_socket *)self;
    /* Right after a request went out its answer is almost never there yet: a recv() would
       only fail with EAGAIN before the poll(). Wait first then (one syscall less). */
    if (s->wrote) {
        int r = cdrest__poll_fd(s->fd, POLLIN, timeout_ms);
        s->wrote = 0;
        if (r == 0) return cdrest__fail(err, CDREST_E_TIMEOUT, "timeout after %d ms reading", timeout_ms);
        if (r < 0) return cdrest__sock_io_error(err, "poll");
    }
    for (;;) {
        ssize_t n = recv(s->fd, buf, len, 0);
        int r;
        if (n >= 0) return (long)n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return cdrest__sock_io_error(err, "read");
        r = cdrest__poll_fd(s->fd, POLLIN, timeout_ms);
        if (r == 0) return cdrest__fail(err, CDREST_E_TIMEOUT, "timeout after %d ms reading", timeout_ms);
        if (r < 0) return cdrest__sock_io_error(err, "poll");
    }
}
#endif

static long cdrest__sock_write(void *self, const void *buf, size_t len, int timeout_ms, cdrest_error *err) {
    cdrest_socket *s = (cdrest_socket *)self;
#ifdef MSG_NOSIGNAL
    const int flags = MSG_NOSIGNAL | CDREST__DONTWAIT;
#else
    const int flags = CDREST__DONTWAIT;
#endif
    for (;;) {
        ssize_t n = send(s->fd, buf, len, flags);
        int r;
        s->wrote = 1;
        if (n >= 0) return (long)n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return cdrest__sock_io_error(err, "write");
        r = cdrest__poll_fd(s->fd, POLLOUT, timeout_ms);
        if (r == 0) return cdrest__fail(err, CDREST_E_TIMEOUT, "timeout after %d ms writing", timeout_ms);
        if (r < 0) return cdrest__sock_io_error(err, "poll");
    }
}

static void cdrest__sock_close(void *self) {
    cdrest_socket *s = (cdrest_socket *)self;
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
}

/* An idle keep-alive socket is usable only if nothing is waiting on it: an EOF means
   the server closed it, and stray bytes would be mistaken for the next response. */
static int cdrest__sock_alive(void *self) {
    cdrest_socket *s = (cdrest_socket *)self;
    char b;
    ssize_t n;
    if (s->fd < 0) return 0;
    if (cdrest__poll_fd(s->fd, POLLIN, 0) == 0) return 1;
    n = recv(s->fd, &b, 1, MSG_PEEK | CDREST__DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void cdrest__posix_sleep_ms(void *self, int ms) {
    struct timespec ts;
    (void)self;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static const cdrest_transport cdrest__posix = { cdrest__sock_connect,  cdrest__sock_read,  cdrest__sock_write,
                                                cdrest__sock_close,    cdrest__sock_alive, cdrest__posix_now_ms,
                                                cdrest__posix_sleep_ms };

CDRESTDEF const cdrest_transport *cdrest_posix_transport(void) {
    return &cdrest__posix;
}
#endif /* CDREST_NO_SOCKETS */

CDRESTDEF void cdrest_socket_init(cdrest_socket *s) {
    s->fd = -1;
    s->wrote = 0;
    s->rcvtimeo_ms = 0;
    s->resolve = NULL;
    s->resolve_ctx = NULL;
}

/* --- deadline-aware wrappers used by TLS and HTTP --------------------------- */

static int64_t cdrest__now_ms(cdrest_client *c) {
    if (c->tp->now_ms) return c->tp->now_ms(c->tp_self);
#ifndef CDREST_NO_SOCKETS
    return cdrest__posix_now_ms(NULL);
#else
    return 0;
#endif
}

/* Pause between polls. A transport without sleep_ms in a build without POSIX waits on
   its clock (busy, but it never hammers the server). */
#ifndef CDREST_NO_EXTRAS
#define cdrest__is_canceled(c)  ((c)->canceled) /* a progress callback stopped the operation */
#define cdrest__idle_expired(c) ((c)->idle_expired)
#else
#define cdrest__is_canceled(c)  0
#define cdrest__idle_expired(c) 0
#endif

static void cdrest__sleep_ms(cdrest_client *c, int ms) {
    if (ms <= 0 || cdrest__is_canceled(c)) return;
    if (c->tp->sleep_ms) {
        c->tp->sleep_ms(c->tp_self, ms);
    } else {
#ifndef CDREST_NO_SOCKETS
        cdrest__posix_sleep_ms(NULL, ms);
#else
        int64_t end = cdrest__now_ms(c) + ms;
        while (cdrest__now_ms(c) < end) {}
#endif
    }
}

/* Milliseconds left before deadline, at least 0, at most INT_MAX. */
static int cdrest__ms_left(cdrest_client *c, int64_t deadline) {
    int64_t left = deadline - cdrest__now_ms(c);
    if (left < 0) return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

#ifndef CDREST_NO_EXTRAS
/* After a progress callback canceled the operation, no more I/O until it returns. */
static int cdrest__canceled(cdrest_client *c) {
    return cdrest__fail(&c->err, CDREST_E_CANCELED, "canceled by the progress callback");
}

/* The wait for one read or write: the time left before the deadline, or the operation's
   idle limit when that is shorter (*idle = 1). */
static int cdrest__io_wait(cdrest_client *c, int64_t deadline, int *idle) {
    int left = cdrest__ms_left(c, deadline);
    *idle = c->idle_timeout_ms > 0 && left > c->idle_timeout_ms;
    return *idle ? c->idle_timeout_ms : left;
}

/* A transport timeout that was the idle limit says so. */
static long cdrest__io_result(cdrest_client *c, long rc, int idle, const char *what) {
    c->idle_expired = rc == CDREST_E_TIMEOUT && idle;
    if (c->idle_expired)
        return cdrest__fail(&c->err, CDREST_E_TIMEOUT, "no data %s for %d ms (the idle timeout)", what,
                            c->idle_timeout_ms);
    return rc;
}
#else /* no transfer options: the deadline alone */
#define cdrest__canceled(c)                  CDREST_E_CANCELED
#define cdrest__io_wait(c, deadline, idle)   (*(idle) = 0, cdrest__ms_left((c), (deadline)))
#define cdrest__io_result(c, rc, idle, what) ((void)(idle), (rc))
#endif

static int cdrest__tp_connect(cdrest_client *c, const char *host, unsigned short port, int64_t deadline) {
    int left = cdrest__ms_left(c, deadline), limit = c->cfg.connect_timeout_ms;
    if (cdrest__is_canceled(c)) return cdrest__canceled(c);
    if (left == 0) return cdrest__fail(&c->err, CDREST_E_TIMEOUT, "timeout before connecting to %s", host);
    return c->tp->connect(c->tp_self, host, port, left < limit ? left : limit, &c->err);
}

/* > 0 bytes, 0 the peer closed, < 0 an error (CDREST_E_TIMEOUT when deadline passed). */
static long cdrest__tp_read(cdrest_client *c, void *buf, size_t len, int64_t deadline) {
    int idle, left = cdrest__io_wait(c, deadline, &idle);
    if (cdrest__is_canceled(c)) return cdrest__canceled(c);
    if (left == 0) return cdrest__fail(&c->err, CDREST_E_TIMEOUT, "timeout reading");
    return cdrest__io_result(c, c->tp->read(c->tp_self, buf, len, left, &c->err), idle, "received");
}

static int cdrest__tp_write_all(cdrest_client *c, const void *buf, size_t len, int64_t deadline) {
    const char *p = (const char *)buf;
    while (len > 0) {
        int idle, left = cdrest__io_wait(c, deadline, &idle);
        long n;
        if (cdrest__is_canceled(c)) return cdrest__canceled(c);
        if (left == 0) return cdrest__fail(&c->err, CDREST_E_TIMEOUT, "timeout writing");
        n = c->tp->write(c->tp_self, p, len, left, &c->err);
        if (n < 0) return (int)cdrest__io_result(c, n, idle, "sent");
        if (n == 0) return cdrest__fail(&c->err, CDREST_E_IO, "write: the transport wrote nothing");
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void cdrest__tp_close(cdrest_client *c) {
    c->tp->close(c->tp_self);
}

/* ===========================================================================
   TLS: a BearSSL client over the transport (compiled out by CDREST_NO_TLS). Owns the
   per-client TLS state (struct cdrest__tls): the engine and its I/O buffer, the trust
   anchors (loaded once per client), the X.509 checks BearSSL's minimal engine lacks
   (IP-address hosts, key pins, an insecure mode that still decodes the key), session
   resumption, and the words for every BearSSL error a user can meet.
   Calls the transport (cdrest__tp_*, cdrest__now_ms) and the text layer (cdrest__fail).
   Define CDREST_NO_FILES to leave out reading CA files and directories (then only
   ca_blob and compiled-in anchors exist: for systems without stdio files or dirent).
   =========================================================================== */

#ifndef CDREST_NO_TLS
#include <bearssl.h>
#ifndef CDREST_NO_FILES
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

/* --- state ------------------------------------------------------------------ */

struct cdrest__tls;

/* Our X.509 engine: BearSSL's minimal engine (or, when verification is off, a bare
   certificate decoder) plus a copy of the leaf certificate for what it cannot check. */
typedef struct cdrest__tls_x509 {
    const br_x509_class *vtable; /* first: BearSSL calls us through it */
    struct cdrest__tls *t;
    union {
        br_x509_minimal_context minimal;
        br_x509_decoder_context dec; /* insecure mode: decodes the leaf's key only */
    } u;
    uint32_t certs;       /* certificates seen so far in this chain */
    uint32_t leaf_size;   /* the leaf's length in bytes */
    size_t leaf_len;      /* bytes of it kept in leaf[] */
    uint32_t ca_size;     /* the CA certificate being read: its length */
    size_t ca_len;        /* ... and the bytes of it kept in ca[] */
    unsigned long chains; /* chains seen: one per full handshake */
    int in_chain;         /* the engine still needs this certificate (it has not
                                      decided before it): our checks apply to it */
    unsigned policy;      /* the first of our checks that failed (CDREST_TLS_ERR_*) */
    int sha1;             /* a certificate of the chain is signed with SHA-1 */
    int pathlen;          /* a CA's pathLenConstraint is exceeded */
    int ku;               /* a CA's keyUsage lacks keyCertSign */
    char why[160];        /* the words for policy */
    char why_sig[96];     /* ... for sha1 */
    char why_path[128];   /* ... for pathlen */
    char why_ku[128];     /* ... for ku */
    unsigned char leaf[CDREST_TLS_LEAF_MAX];
    unsigned char ca[CDREST_TLS_LEAF_MAX];
} cdrest__tls_x509;

struct cdrest__tls {
    br_ssl_client_context cc;
    cdrest__tls_x509 x509;
    /* resumption: the last full handshake's session, offered again to the same name */
    br_ssl_session_parameters session;
    char session_host[256];
    int have_session;
    /* this handshake */
    char name[256]; /* the name checked (config server_name or the host) */
    unsigned char ip[16];
    size_t ip_len; /* 4 or 16 when name is an IP literal, else 0 */
    int64_t now;   /* unix seconds when the handshake started */
    int time_unknown;
    unsigned char first[5]; /* the first bytes the server sent: was it TLS? */
    size_t first_len;
    unsigned char key_hash[32]; /* sha256 of the leaf's SubjectPublicKeyInfo (with pins) */
    /* configuration, fixed at the first handshake */
    int ready;
    int insecure;
    int cn_ok; /* config allow_cn_only */
    unsigned char pins[CDREST_TLS_MAX_PINS][32];
    int npins;
    const br_x509_trust_anchor *tas;
    size_t ntas;
    size_t ncompiled; /* tas[ncompiled..] were loaded: their restrictions follow
                                      their DN (cdrest__tls_ld_rules) */
    void *ta_block;   /* our allocations: the anchors' bytes and array, or NULL */
    void *ta_array;
    /* the connection */
    int open;             /* handshake done, not yet closed */
    int eof;              /* the stream ended */
    int clean_close;      /* ... with close_notify */
    int resumed;          /* the last handshake resumed a session */
    int broken;           /* a write failed, perhaps mid-record: no more TLS output */
    unsigned char *ahead; /* bytes read past what the engine asked for (inside its */
    size_t ahead_len;     /* input buffer): the stream's next bytes */
    unsigned long handshakes, resumptions;
    /* memory */
    int external;        /* inside config.tls_memory */
    unsigned char *pool; /* the rest of config.tls_memory */
    size_t pool_left;
    size_t alloc_size; /* this struct + I/O buffer */
    unsigned char *iobuf;
    size_t iobuf_len;
};

enum { CDREST__TLS_READY = 0, CDREST__TLS_CLOSED = 1, CDREST__TLS_EOF = 2 };

/* --- DER reading: just enough of X.509 to find dates, names, SANs --------------- */

typedef struct cdrest__tls_der {
    const unsigned char *p;
    size_t n;
} cdrest__tls_der;

/* Take the next element off *in: its tag and its contents, cut to the bytes present
   (the leaf may be kept only in part). 1 complete, 2 cut short, 0 none or malformed. */
static int cdrest__tls_der_take(cdrest__tls_der *in, unsigned *tag, cdrest__tls_der *val) {
    size_t len, hdr = 2, i, avail;
    if (in->n < 2 || (in->p[0] & 0x1f) == 0x1f) return 0;
    *tag = in->p[0];
    len = in->p[1];
    if (len & 0x80) {
        size_t k = len & 0x7f;
        if (k == 0 || k > 4 || in->n < 2 + k) return 0;
        for (len = 0, i = 0; i < k; i++) len = (len << 8) | in->p[2 + i];
        hdr += k;
    }
    avail = in->n - hdr;
    val->p = in->p + hdr;
    val->n = len < avail ? len : avail;
    in->p += hdr + val->n;
    in->n -= hdr + val->n;
    return len <= avail ? 1 : 2;
}

/* Take the next element only if it is complete and has this tag. */
static int cdrest__tls_der_want(cdrest__tls_der *in, unsigned tag, cdrest__tls_der *val) {
    unsigned got;
    return cdrest__tls_der_take(in, &got, val) == 1 && got == tag;
}

typedef struct cdrest__tls_leafinfo {
    cdrest__tls_der issuer, validity, subject, spki, exts, sigalg;
    int has_dates, has_names, has_spki, has_exts, has_sigalg, cut;
} cdrest__tls_leafinfo;

/* Locate the parts of a kept certificate we read (len of its size bytes kept; exts may
   be cut short). Returns 0 when it is unreadable. */
static int cdrest__tls_cert_parse(const unsigned char *p, size_t len, size_t size, cdrest__tls_leafinfo *li) {
    cdrest__tls_der in, cert, tbs, v;
    unsigned tag;
    memset(li, 0, sizeof *li);
    in.p = p;
    in.n = len;
    li->cut = len < size;
    if (!cdrest__tls_der_take(&in, &tag, &cert) || tag != 0x30) return 0;
    if (!cdrest__tls_der_take(&cert, &tag, &tbs) || tag != 0x30) return 0;
    li->has_sigalg = cdrest__tls_der_want(&cert, 0x30, &li->sigalg);
    if (cdrest__tls_der_take(&tbs, &tag, &v) != 1) return 0;
    if (tag == 0xa0 && cdrest__tls_der_take(&tbs, &tag, &v) != 1) return 0; /* version, serial */
    if (!cdrest__tls_der_want(&tbs, 0x30, &v)) return 0;                    /* signature */
    if (!cdrest__tls_der_want(&tbs, 0x30, &li->issuer)) return 0;
    li->has_dates = cdrest__tls_der_want(&tbs, 0x30, &li->validity);
    if (!li->has_dates) return 1;
    li->has_names = cdrest__tls_der_want(&tbs, 0x30, &li->subject);
    if (!li->has_names) return 1;
    li->has_spki = cdrest__tls_der_want(&tbs, 0x30, &li->spki);
    while (cdrest__tls_der_take(&tbs, &tag, &v) != 0) {
        if (tag == 0xa3) {
            li->exts = v;
            li->has_exts = 1;
            break;
        }
    }
    return 1;
}

static int cdrest__tls_leaf_parse(const cdrest__tls_x509 *x, cdrest__tls_leafinfo *li) {
    return cdrest__tls_cert_parse(x->leaf, x->leaf_len, x->leaf_size, li);
}

/* The value (inside its OCTET STRING) of the extension 2.5.29.id. 1 found, 0 absent,
   -1 malformed, present twice (RFC 5280 allows one of each), or cut short. */
static int cdrest__tls_cert_ext(const cdrest__tls_leafinfo *li, unsigned id, cdrest__tls_der *val) {
    cdrest__tls_der exts = li->exts, seq, ext, oid;
    unsigned tag;
    int found = 0;
    if (!li->has_exts) return li->cut ? -1 : 0;
    if (cdrest__tls_der_take(&exts, &tag, &seq) != 1 || tag != 0x30) return -1;
    while (seq.n > 0) {
        if (cdrest__tls_der_take(&seq, &tag, &ext) != 1 || tag != 0x30) return -1;
        if (!cdrest__tls_der_want(&ext, 0x06, &oid)) return -1;
        if (oid.n != 3 || oid.p[0] != 0x55 || oid.p[1] != 0x1d || oid.p[2] != id) continue;
        if (found++) return -1;
        if (cdrest__tls_der_take(&ext, &tag, val) != 1) return -1;
        if (tag == 0x01 && cdrest__tls_der_take(&ext, &tag, val) != 1) return -1; /* critical */
        if (tag != 0x04) return -1;
    }
    return found;
}

/* The bits of an unsigned big-endian number (an RSA modulus). */
static unsigned cdrest__tls_uint_bits(const unsigned char *v, size_t n) {
    unsigned bits;
    unsigned char top;
    while (n > 0 && v[0] == 0) v++, n--;
    if (n == 0) return 0;
    bits = (unsigned)n * 8;
    for (top = v[0]; !(top & 0x80); top = (unsigned char)(top << 1)) bits--;
    return bits;
}

/* The bits of the RSA modulus in a SubjectPublicKeyInfo; 0 when not RSA or unreadable. */
static unsigned cdrest__tls_spki_rsa_bits(cdrest__tls_der spki) {
    static const unsigned char rsa[9] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
    cdrest__tls_der alg, oid, bits, key, n;
    if (!cdrest__tls_der_want(&spki, 0x30, &alg) || !cdrest__tls_der_want(&alg, 0x06, &oid) || oid.n != 9 ||
        memcmp(oid.p, rsa, 9) != 0 || !cdrest__tls_der_want(&spki, 0x03, &bits) || bits.n < 1 || bits.p[0] != 0)
        return 0;
    bits.p++, bits.n--;
    if (!cdrest__tls_der_want(&bits, 0x30, &key) || !cdrest__tls_der_want(&key, 0x02, &n)) return 0;
    return cdrest__tls_uint_bits(n.p, n.n);
}

/* The GeneralNames inside the leaf's subjectAltName (maybe cut short when the leaf is
   larger than CDREST_TLS_LEAF_MAX). 1 found, 0 none, -1 the kept bytes ended before, or
   the extensions are malformed (two subjectAltNames, say). */
static int cdrest__tls_leaf_san(const cdrest__tls_x509 *x, cdrest__tls_der *san) {
    cdrest__tls_leafinfo li;
    cdrest__tls_der val;
    unsigned tag;
    int r;
    if (!cdrest__tls_leaf_parse(x, &li)) return li.cut ? -1 : 0;
    if ((r = cdrest__tls_cert_ext(&li, 0x11, &val)) != 1) return li.cut ? -1 : r;
    if (!cdrest__tls_der_take(&val, &tag, san) || tag != 0x30) return li.cut ? -1 : 0;
    return 1;
}

/* 1 if the leaf lists this IP address among its iPAddress SANs, 0 if not, -1 unknown. */
static int cdrest__tls_leaf_has_ip(const cdrest__tls_x509 *x, const unsigned char *ip, size_t len) {
    cdrest__tls_der san, v;
    unsigned tag;
    int r = cdrest__tls_leaf_san(x, &san);
    if (r <= 0) return r;
    while (cdrest__tls_der_take(&san, &tag, &v) == 1)
        if (tag == 0x87 && v.n == len && memcmp(v.p, ip, len) == 0) return 1;
    return x->leaf_len < x->leaf_size ? -1 : 0;
}

/* Append printable text to out (cap bytes, kept NUL-terminated); others become '?'. */
static void cdrest__tls_cat(char *out, size_t cap, const char *s, size_t n) {
    size_t o = strlen(out), i;
    for (i = 0; i < n && o + 1 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    out[o] = 0;
}

static void cdrest__tls_cat_ip(char *out, size_t cap, const unsigned char *ip, size_t n) {
    char b[48];
    if (n == 4) {
        snprintf(b, sizeof b, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
    } else if (n == 16) {
        size_t i, o = 0;
        for (i = 0; i < 16; i += 2)
            o += (size_t)snprintf(b + o, sizeof b - o, i ? ":%x" : "%x", (unsigned)(ip[i] << 8 | ip[i + 1]));
    } else {
        snprintf(b, sizeof b, "?");
    }
    cdrest__tls_cat(out, cap, b, strlen(b));
}

/* The commonName of a DER Name, as printable text ("" when none). */
static void cdrest__tls_name_cn(cdrest__tls_der name, char *out, size_t cap) {
    static const unsigned char oid_cn[3] = { 0x55, 0x04, 0x03 };
    cdrest__tls_der rdn, atv, oid, val;
    unsigned tag;
    out[0] = 0;
    while (cdrest__tls_der_want(&name, 0x31, &rdn)) {
        while (cdrest__tls_der_want(&rdn, 0x30, &atv)) {
            if (!cdrest__tls_der_want(&atv, 0x06, &oid)) return;
            if (oid.n == 3 && memcmp(oid.p, oid_cn, 3) == 0 && cdrest__tls_der_take(&atv, &tag, &val) == 1) {
                out[0] = 0;
                cdrest__tls_cat(out, cap, (const char *)val.p, val.n);
            }
        }
    }
}

/* The names a certificate is for (its DNS and IP SANs, else its CN), for messages. */
static void cdrest__tls_leaf_names(const cdrest__tls_x509 *x, char *out, size_t cap) {
    cdrest__tls_der san, v;
    unsigned tag;
    int shown = 0, r = cdrest__tls_leaf_san(x, &san);
    out[0] = 0;
    if (r == 1) {
        while (cdrest__tls_der_take(&san, &tag, &v) == 1) {
            if (tag != 0x82 && tag != 0x87) continue;
            if (shown++) cdrest__tls_cat(out, cap, ", ", 2);
            if (strlen(out) + 4 >= cap) break;
            if (tag == 0x82)
                cdrest__tls_cat(out, cap, (const char *)v.p, v.n);
            else
                cdrest__tls_cat_ip(out, cap, v.p, v.n);
        }
    }
    if (!shown && r == 0) {
        cdrest__tls_leafinfo li;
        if (cdrest__tls_leaf_parse(x, &li) && li.has_names) cdrest__tls_name_cn(li.subject, out, cap);
    }
}

/* --- names and policy: what BearSSL's minimal engine does not check ---------------- */

static void cdrest__tls_say(char *w, size_t cap, const char *fmt, ...) CDREST__PRINTF(3, 4);

/* The words for a refusal are written when it is found (the certificate's bytes are gone
   by the time the error is told); small builds keep only the number. */
#ifdef CDREST_TERSE_ERRORS
#define CDREST__TLS_WHY(say) ((void)0)
#else
#define CDREST__TLS_WHY(say) say
#endif

/* A DNS name of non-empty labels ("a.b", not ".a", "a..b", "a."). */
static int cdrest__tls_labels_ok(const unsigned char *s, size_t n) {
    size_t i;
    if (n == 0 || s[0] == '.' || s[n - 1] == '.') return 0;
    for (i = 1; i < n; i++)
        if (s[i] == '.' && s[i - 1] == '.') return 0;
    return 1;
}

/* Does the DNS SAN pattern p name the host? As browsers, Go and curl match: equal
   ignoring ASCII case, or "*.rest" covering exactly one whole leftmost label, where rest
   has two labels or more ("*.test" names no "x.test"). No empty label ever matches. */
static int cdrest__tls_name_match(const char *host, const unsigned char *p, size_t n) {
    size_t hn = strlen(host), i;
    const char *dot;
    if (!cdrest__tls_labels_ok((const unsigned char *)host, hn) || !cdrest__tls_labels_ok(p, n) || strchr(host, '*'))
        return 0;
    for (i = 1; i < n; i++)
        if (p[i] == '*') return 0;
    if (p[0] != '*') return hn == n && cdrest__same_ci(host, (const char *)p, n);
    if (n < 3 || p[1] != '.' || !memchr(p + 2, '.', n - 2)) return 0;
    dot = strchr(host, '.');
    if (!dot || dot == host) return 0;
    return hn - (size_t)(dot - host) == n - 1 && cdrest__same_ci(dot, (const char *)p + 1, n - 1);
}

/* 1 the leaf's DNS SANs name the host; 2 it has no DNS SAN and only its subject CN names
   the host (accepted with config allow_cn_only); 0 no. */
static int cdrest__tls_leaf_has_name(const cdrest__tls_x509 *x, const char *host) {
    cdrest__tls_der san, v;
    cdrest__tls_leafinfo li;
    unsigned tag;
    int dns = 0, r = cdrest__tls_leaf_san(x, &san);
    char cn[256];
    if (r == 1) {
        while (cdrest__tls_der_take(&san, &tag, &v) == 1) {
            if (tag != 0x82) continue;
            dns = 1;
            if (cdrest__tls_name_match(host, v.p, v.n)) return 1;
        }
    }
    /* unreadable SANs (two of them, say) name nothing: no falling back on the CN */
    if (dns || r < 0 || !cdrest__tls_leaf_parse(x, &li) || !li.has_names) return 0;
    cdrest__tls_name_cn(li.subject, cn, sizeof cn);
    return cn[0] && cdrest__tls_name_match(host, (const unsigned char *)cn, strlen(cn)) ? 2 : 0;
}

/* Extended key usage: bits for the purposes a message may name. */
enum {
    CDREST__EKU_SERVER = 1,
    CDREST__EKU_CLIENT = 2,
    CDREST__EKU_CODE = 4,
    CDREST__EKU_EMAIL = 8,
    CDREST__EKU_TIME = 16,
    CDREST__EKU_OCSP = 32,
    CDREST__EKU_ANY = 64,
    CDREST__EKU_OTHER = 128
};

static int cdrest__tls_eku_list(cdrest__tls_der seq);

/* The purposes in an ExtKeyUsageSyntax (SEQUENCE OF OID). -1 if malformed. */
static int cdrest__tls_eku_bits(cdrest__tls_der v) {
    cdrest__tls_der seq;
    unsigned tag;
    if (cdrest__tls_der_take(&v, &tag, &seq) != 1 || tag != 0x30 || seq.n == 0) return -1;
    return cdrest__tls_eku_list(seq);
}

/* The purposes in the contents of a SEQUENCE OF OID. -1 if malformed. */
static int cdrest__tls_eku_list(cdrest__tls_der seq) {
    static const unsigned char kp[7] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03 }; /* 1.3.6.1.5.5.7.3 */
    static const unsigned char any[4] = { 0x55, 0x1d, 0x25, 0x00 };                  /* 2.5.29.37.0 */
    cdrest__tls_der oid;
    int bits = 0;
    while (seq.n > 0) {
        if (!cdrest__tls_der_want(&seq, 0x06, &oid)) return -1;
        if (oid.n == 8 && memcmp(oid.p, kp, 7) == 0 && oid.p[7] >= 1 && oid.p[7] <= 4)
            bits |= 1 << (oid.p[7] - 1);
        else if (oid.n == 8 && memcmp(oid.p, kp, 7) == 0 && (oid.p[7] == 8 || oid.p[7] == 9))
            bits |= oid.p[7] == 8 ? CDREST__EKU_TIME : CDREST__EKU_OCSP;
        else if (oid.n == 4 && memcmp(oid.p, any, 4) == 0)
            bits |= CDREST__EKU_ANY;
        else
            bits |= CDREST__EKU_OTHER;
    }
    return bits;
}

#ifndef CDREST_TERSE_ERRORS
static void cdrest__tls_eku_words(int bits, char *out, size_t cap) {
    static const char *const names[8] = { "serverAuth",   "clientAuth",  "codeSigning",         "emailProtection",
                                          "timeStamping", "OCSPSigning", "anyExtendedKeyUsage", "other" };
    int i;
    out[0] = 0;
    for (i = 0; i < 8; i++) {
        if (!(bits & (1 << i))) continue;
        if (out[0]) cdrest__tls_cat(out, cap, ", ", 2);
        cdrest__tls_cat(out, cap, names[i], strlen(names[i]));
    }
}
#endif

/* Is the DNS name n under the dNSName constraint c? ("example.com" covers itself and
   its subdomains, ".example.com" its subdomains only, "" everything; ASCII case ignored.) */
static int cdrest__tls_nc_dns(const unsigned char *n, size_t nn, const unsigned char *c, size_t cn) {
    const char *tail;
    if (cn == 0) return 1;
    if (nn < cn) return 0;
    tail = (const char *)n + nn - cn;
    if (!cdrest__same_ci(tail, (const char *)c, cn)) return 0;
    return nn == cn ? c[0] != '.' : (c[0] == '.' || tail[-1] == '.');
}

/* Is the address under the iPAddress constraint c (address then mask)? (Its length,
   8 or 32, is checked by the caller.) */
static int cdrest__tls_nc_ip(const unsigned char *ip, size_t n, const unsigned char *c, size_t cn) {
    size_t i;
    if (cn != 2 * n) return 0;
    for (i = 0; i < n; i++)
        if ((ip[i] & c[n + i]) != (c[i] & c[n + i])) return 0;
    return 1;
}

/* One name (tag 0x82 DNS, 0x87 IP) against a NameConstraints value: 0 allowed,
   1 not among the permitted subtrees, 2 excluded, -1 malformed. */
static int cdrest__tls_nc_check(cdrest__tls_der nc, unsigned tag, const unsigned char *v, size_t n) {
    cdrest__tls_der seq, trees, sub, base;
    unsigned t, bt;
    int permitted = 0, inside = 0;
    if (cdrest__tls_der_take(&nc, &t, &seq) != 1 || t != 0x30) return -1;
    while (seq.n > 0) {
        if (cdrest__tls_der_take(&seq, &t, &trees) != 1 || (t != 0xa0 && t != 0xa1)) return -1;
        while (trees.n > 0) {
            int match;
            if (!cdrest__tls_der_want(&trees, 0x30, &sub) || cdrest__tls_der_take(&sub, &bt, &base) != 1) return -1;
            if (bt == 0x87 && base.n != 8 && base.n != 32) return -1; /* an IPv4 or IPv6 range, with its mask */
            if (bt != tag) continue;
            match = tag == 0x82 ? cdrest__tls_nc_dns(v, n, base.p, base.n) : cdrest__tls_nc_ip(v, n, base.p, base.n);
            if (t == 0xa1 && match) return 2;
            if (t == 0xa0) permitted = 1, inside |= match;
        }
    }
    return permitted && !inside ? 1 : 0;
}

/* The leaf's DNS and IP names (and the host, when only the CN names it) against a CA's
   NameConstraints. 0 allowed, else CDREST_TLS_ERR_NAME_CONSTRAINTS with why set. */
static unsigned cdrest__tls_nc_leaf(cdrest__tls_x509 *x, cdrest__tls_der nc, const char *ca) {
    cdrest__tls_der san, v;
    unsigned tag = 0;
    int r = 0, dns = 0;
    if (cdrest__tls_leaf_san(x, &san) == 1) {
        while (r == 0 && cdrest__tls_der_take(&san, &tag, &v) == 1) {
            if (tag != 0x82 && tag != 0x87) continue;
            dns |= tag == 0x82;
            r = cdrest__tls_nc_check(nc, tag, v.p, v.n);
        }
    }
    if (r == 0 && !dns && x->t->ip_len == 0) {
        v.p = (const unsigned char *)x->t->name;
        v.n = strlen(x->t->name);
        tag = 0x82;
        r = cdrest__tls_nc_check(nc, tag, v.p, v.n);
    }
    if (r == 0) return 0;
#ifndef CDREST_TERSE_ERRORS
    {
        char name[100] = "";
        if (r > 0 && tag == 0x82)
            cdrest__tls_cat(name, sizeof name, (const char *)v.p, v.n);
        else if (r > 0)
            cdrest__tls_cat_ip(name, sizeof name, v.p, v.n);
        if (r < 0)
            cdrest__tls_say(x->why, sizeof x->why, "the name constraints of CA \"%s\" are malformed", ca);
        else
            cdrest__tls_say(x->why, sizeof x->why, "the name %s is %s by the name constraints of CA \"%s\"", name,
                            r == 2 ? "excluded" : "not permitted", ca);
    }
#endif
    (void)ca;
    return CDREST_TLS_ERR_NAME_CONSTRAINTS;
}

#ifndef CDREST_TERSE_ERRORS
/* The weak hash of this AlgorithmIdentifier's signature: "SHA-1" (RSA or ECDSA), "MD5",
   "MD2" (RSA), else NULL. */
static const char *cdrest__tls_sig_weak(cdrest__tls_der alg) {
    static const unsigned char pkcs1[8] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01 }; /* 1.2.840.113549.1.1 */
    static const unsigned char ecdsa_sha1[7] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01 };
    cdrest__tls_der oid;
    if (!cdrest__tls_der_want(&alg, 0x06, &oid)) return NULL;
    if (oid.n == 7 && memcmp(oid.p, ecdsa_sha1, 7) == 0) return "SHA-1";
    if (oid.n != 9 || memcmp(oid.p, pkcs1, 8) != 0) return NULL;
    return oid.p[8] == 5 ? "SHA-1" : oid.p[8] == 4 ? "MD5" : oid.p[8] == 2 ? "MD2" : NULL;
}
#endif

/* Record the first failure of our checks. */
static void cdrest__tls_policy_fail(cdrest__tls_x509 *x, unsigned err) {
    if (!x->policy) x->policy = err;
}

#ifndef CDREST_TERSE_ERRORS
/* What only explains the engine's own refusals (small builds keep BearSSL's numbers):
   a SHA-1 signature (it calls the algorithm unsupported) and a pathLenConstraint
   exceeded (it says "not a CA"). Noted for every certificate the engine uses, whatever
   our other checks found before. */
static void cdrest__tls_explain(cdrest__tls_x509 *x, const cdrest__tls_leafinfo *li, uint32_t index, const char *ca) {
    cdrest__tls_der v, seq, b, n;
    const char *weak = li->has_sigalg ? cdrest__tls_sig_weak(li->sigalg) : NULL;
    if (weak && !x->sha1) {
        x->sha1 = 1;
        cdrest__tls_say(x->why_sig, sizeof x->why_sig, "%s%s%s is signed with %s, which is too weak",
                        index ? "CA certificate \"" : "the certificate", ca, index ? "\"" : "", weak);
    }
    /* keyUsage without keyCertSign: the engine says "forbids a TLS server"; name the CA */
    if (index && !x->ku && cdrest__tls_cert_ext(li, 0x0f, &v) == 1 && cdrest__tls_der_want(&v, 0x03, &b) &&
        (b.n < 2 || !(b.p[1] & 0x04))) {
        x->ku = 1;
        cdrest__tls_say(x->why_ku, sizeof x->why_ku,
                        "CA certificate \"%s\" may not sign certificates (its key "
                        "usage lacks keyCertSign)",
                        ca);
    }
    /* basicConstraints { cA TRUE, pathLenConstraint n }: n CAs at most below this one */
    if (index && !x->pathlen && cdrest__tls_cert_ext(li, 0x13, &v) == 1 && cdrest__tls_der_want(&v, 0x30, &seq) &&
        cdrest__tls_der_want(&seq, 0x01, &b) && b.n == 1 && b.p[0] && cdrest__tls_der_want(&seq, 0x02, &n) &&
        n.n == 1 && n.p[0] < index - 1) {
        x->pathlen = 1;
        cdrest__tls_say(x->why_path, sizeof x->why_path,
                        "CA certificate \"%s\" allows %u CA certificate%s below it "
                        "(pathLenConstraint), the chain has %u",
                        ca, (unsigned)n.p[0], n.p[0] == 1 ? "" : "s", (unsigned)(index - 1));
    }
}
#endif

/* Our checks on one certificate of the chain (index 0 the leaf) that the engine uses:
   extended key usage, and for CAs name constraints; the first failure is kept. */
static void cdrest__tls_check_cert(cdrest__tls_x509 *x, const unsigned char *p, size_t len, size_t size,
                                   uint32_t index) {
    cdrest__tls_leafinfo li;
    cdrest__tls_der v;
    char ca[80];
    int r, bits;
    ca[0] = 0;
    if (len < size) {
        if (!x->policy)
            CDREST__TLS_WHY(cdrest__tls_say(x->why, sizeof x->why,
                                            "%s is over %d bytes (CDREST_TLS_LEAF_MAX): its "
                                            "names and usages cannot all be checked",
                                            index ? "a CA certificate of the chain" : "the certificate",
                                            CDREST_TLS_LEAF_MAX));
        cdrest__tls_policy_fail(x, CDREST_TLS_ERR_CERT_TOO_BIG);
        return;
    }
    if (!cdrest__tls_cert_parse(p, len, size, &li) || !li.has_names) {
        cdrest__tls_policy_fail(x, BR_ERR_X509_INVALID_VALUE); /* "malformed"; never skip the checks */
        return;
    }
    if (index) CDREST__TLS_WHY(cdrest__tls_name_cn(li.subject, ca, sizeof ca));
    CDREST__TLS_WHY(cdrest__tls_explain(x, &li, index, ca));
    if (x->policy) return;
    /* RSA keys of 2048 bits: the engine counts bytes (minrsa 256 lets 2041 bits by) */
    bits = li.has_spki ? (int)cdrest__tls_spki_rsa_bits(li.spki) : 0;
    if (bits && bits < 2048) {
        CDREST__TLS_WHY(cdrest__tls_say(x->why, sizeof x->why,
                                        "%s%s%s has an RSA key of %d bits, shorter than 2048 "
                                        "bits, which is too weak",
                                        index ? "CA certificate \"" : "the certificate", ca, index ? "\"" : "", bits));
        cdrest__tls_policy_fail(x, BR_ERR_X509_WEAK_PUBLIC_KEY);
        return;
    }
    r = cdrest__tls_cert_ext(&li, 0x25, &v);
    bits = r == 1 ? cdrest__tls_eku_bits(v) : 0;
    if (r < 0 || bits < 0) {
        CDREST__TLS_WHY(cdrest__tls_say(x->why, sizeof x->why,
                                        "the extensions of %s are malformed (its extended "
                                        "key usage cannot be read)",
                                        index ? ca : "the certificate"));
        cdrest__tls_policy_fail(x, CDREST_TLS_ERR_KEY_PURPOSE);
        return;
    }
    if (r == 1 && !(bits & (CDREST__EKU_SERVER | CDREST__EKU_ANY))) {
#ifndef CDREST_TERSE_ERRORS
        char words[100];
        cdrest__tls_eku_words(bits, words, sizeof words);
        if (index)
            cdrest__tls_say(x->why, sizeof x->why,
                            "CA certificate \"%s\" restricts its certificates to %s (extended "
                            "key usage), not serverAuth",
                            ca, words);
        else
            cdrest__tls_say(x->why, sizeof x->why, "the certificate is for %s (extended key usage), not serverAuth",
                            words);
#endif
        cdrest__tls_policy_fail(x, CDREST_TLS_ERR_KEY_PURPOSE);
        return;
    }
    if (!index || (r = cdrest__tls_cert_ext(&li, 0x1e, &v)) == 0) return;
    if (r < 0) {
        CDREST__TLS_WHY(cdrest__tls_say(x->why, sizeof x->why, "the name constraints of CA \"%s\" are malformed", ca));
        cdrest__tls_policy_fail(x, CDREST_TLS_ERR_NAME_CONSTRAINTS);
        return;
    }
    cdrest__tls_policy_fail(x, cdrest__tls_nc_leaf(x, v, ca));
}

#ifndef CDREST_TERSE_ERRORS
static int cdrest__tls_der_time(cdrest__tls_der *in, int64_t *secs, char ymd[11]);
#endif

static uint32_t cdrest__tls_get32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* -1 before the instant at p (days, seconds as BearSSL counts them), 0 at, 1 after. */
static int cdrest__tls_cmp_time(const struct cdrest__tls *t, const unsigned char *p) {
    uint32_t days = (uint32_t)(t->now / 86400 + 719528), secs = (uint32_t)(t->now % 86400);
    uint32_t d = cdrest__tls_get32(p), s = cdrest__tls_get32(p + 4);
    return days != d ? (days < d ? -1 : 1) : secs != s ? (secs < s ? -1 : 1) : 0;
}

/* An anchor keeps the restrictions of its certificate, applied when it vouches for a
   chain (cdrest__tls_ld_rules): flags (CDREST__TA_*), extended key usage bits,
   pathLenConstraint (255 none), its validity and its name constraints. */
enum {
    CDREST__TA_UNREAD = 1,
    CDREST__TA_WEAK = 2,
    CDREST__TA_DENIED = 4,
    CDREST__TA_BAD_NC = 8,
    CDREST__TA_NO_SIGN = 16
};

/* Read a len16 field of a loaded anchor's restrictions. */
static cdrest__tls_der cdrest__tls_ta_rule(const unsigned char **p) {
    cdrest__tls_der v;
    v.n = (size_t)((*p)[0] << 8 | (*p)[1]);
    v.p = *p + 2;
    *p = v.p + v.n;
    return v;
}

/* What a trust anchor was loaded with that refuses it outright, in the order reported: the
   error and its words (%s is the CA's name). */
static const struct cdrest__ta_refusal {
    unsigned flag;
    int err;
    const char *words;
} cdrest__ta_refusals[] = {
    { CDREST__TA_UNREAD, CDREST_TLS_ERR_CERT_TOO_BIG,
      "trusted CA \"%s\" could not be read whole (over 4096 bytes?): its restrictions cannot be checked" },
    { CDREST__TA_WEAK, BR_ERR_X509_WEAK_PUBLIC_KEY,
      "trusted CA \"%s\" has an RSA key shorter than 2048 bits, which is too weak" },
    { CDREST__TA_DENIED, CDREST_TLS_ERR_KEY_PURPOSE,
      "trusted CA \"%s\" is not trusted for serverAuth (its TRUSTED CERTIFICATE settings)" },
    { CDREST__TA_NO_SIGN, BR_ERR_X509_FORBIDDEN_KEY_USAGE,
      "trusted CA \"%s\" may not sign certificates (its key usage lacks keyCertSign)" },
    { CDREST__TA_BAD_NC, CDREST_TLS_ERR_NAME_CONSTRAINTS, "the name constraints of trusted CA \"%s\" are malformed" },
};

/* The restrictions of a loaded trust anchor that vouched for the chain's certificate
   index (index CAs sit between it and the leaf): an anchor keeps what its certificate
   says, as OpenSSL applies it (dates, extended key usage, path length, name constraints,
   key size, OpenSSL trust settings). */
static void cdrest__tls_anchor_rules(cdrest__tls_x509 *x, const br_x509_trust_anchor *ta, uint32_t index) {
    const unsigned char *p = ta->dn.data + ta->dn.len, *dates = p + 3;
    unsigned flags = p[0], eku = p[1], pathlen = p[2], err = 0;
    size_t i;
    cdrest__tls_der validity, nc, dn, name;
    char ca[80] = "";
    unsigned tag;
    p += 3 + 16;
    validity = cdrest__tls_ta_rule(&p); /* for the words only */
    (void)validity;
    nc = cdrest__tls_ta_rule(&p);
    dn.p = ta->dn.data;
    dn.n = ta->dn.len;
    if (cdrest__tls_der_take(&dn, &tag, &name) == 1) CDREST__TLS_WHY(cdrest__tls_name_cn(name, ca, sizeof ca));
    for (i = 0; i < sizeof cdrest__ta_refusals / sizeof *cdrest__ta_refusals; i++)
        if (flags & cdrest__ta_refusals[i].flag) break;
    if (i < sizeof cdrest__ta_refusals / sizeof *cdrest__ta_refusals) {
        const struct cdrest__ta_refusal *r = &cdrest__ta_refusals[i];
        err = (unsigned)r->err;
        if (r->flag == CDREST__TA_NO_SIGN) { /* reported as the key usage it is */
            x->ku = 1;
            CDREST__TLS_WHY(cdrest__tls_say(x->why_ku, sizeof x->why_ku, r->words, ca));
        } else {
            CDREST__TLS_WHY(cdrest__tls_say(x->why, sizeof x->why, r->words, ca));
        }
    } else if (!x->t->time_unknown &&
               (cdrest__tls_cmp_time(x->t, dates) < 0 || cdrest__tls_cmp_time(x->t, dates + 8) > 0)) {
        err = BR_ERR_X509_EXPIRED;
#ifndef CDREST_TERSE_ERRORS
        {
            int64_t from, until;
            char d1[11] = "?", d2[11] = "?";
            if (cdrest__tls_der_time(&validity, &from, d1)) cdrest__tls_der_time(&validity, &until, d2);
            cdrest__tls_say(x->why, sizeof x->why, "trusted CA \"%s\" %s %s", ca,
                            cdrest__tls_cmp_time(x->t, dates) < 0 ? "is not valid before" : "expired on",
                            cdrest__tls_cmp_time(x->t, dates) < 0 ? d1 : d2);
        }
#endif
    } else if (eku && !(eku & (CDREST__EKU_SERVER | CDREST__EKU_ANY))) {
        err = CDREST_TLS_ERR_KEY_PURPOSE;
#ifndef CDREST_TERSE_ERRORS
        {
            char words[100];
            cdrest__tls_eku_words((int)eku, words, sizeof words);
            cdrest__tls_say(x->why, sizeof x->why,
                            "trusted CA \"%s\" restricts its certificates to %s (extended key "
                            "usage), not serverAuth",
                            ca, words);
        }
#endif
    } else if (pathlen != 255 && index > pathlen) {
        err = CDREST_TLS_ERR_PATH_LENGTH;
        x->pathlen = 1;
        CDREST__TLS_WHY(cdrest__tls_say(x->why_path, sizeof x->why_path,
                                        "trusted CA \"%s\" allows %u CA "
                                        "certificate%s below it (pathLenConstraint), the chain has %u",
                                        ca, pathlen, pathlen == 1 ? "" : "s", (unsigned)index));
    } else if (nc.n) {
        err = cdrest__tls_nc_leaf(x, nc, ca);
    }
    cdrest__tls_policy_fail(x, err);
}

/* Is trust anchor i named `name` (a DN's contents, as cdrest__tls_cert_parse gives an issuer)? */
static int cdrest__tls_anchor_named(const struct cdrest__tls *t, size_t i, cdrest__tls_der name) {
    cdrest__tls_der dn, ta_name;
    unsigned tag;
    dn.p = t->tas[i].dn.data;
    dn.n = t->tas[i].dn.len;
    return cdrest__tls_der_take(&dn, &tag, &ta_name) == 1 && ta_name.n == name.n &&
           memcmp(ta_name.p, name.p, name.n) == 0;
}

/* The chain's certificate index was signed by a trust anchor: apply the restrictions of
   the loaded CA anchors of that name (all of them, when several share it). A non-CA
   anchor only trusts a leaf that is itself (checked as the leaf). */
static void cdrest__tls_check_anchor(cdrest__tls_x509 *x, const unsigned char *c, size_t len, uint32_t index) {
    const struct cdrest__tls *t = x->t;
    cdrest__tls_leafinfo li;
    size_t i;
    if (x->policy || !cdrest__tls_cert_parse(c, len, len, &li)) return;
    for (i = t->ncompiled; i < t->ntas && !x->policy; i++)
        if ((t->tas[i].flags & BR_X509_TA_CA) && cdrest__tls_anchor_named(t, i, li.issuer))
            cdrest__tls_anchor_rules(x, &t->tas[i], index);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t cdrest__tls_days(int64_t y, int m, int d) {
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* An X.509 UTCTime / GeneralizedTime ("YYMMDDHHMMSSZ" / "YYYYMMDDHHMMSSZ") as unix
   seconds, and its date as "YYYY-MM-DD" in ymd. 0 if malformed. */
static int cdrest__tls_der_time(cdrest__tls_der *in, int64_t *secs, char ymd[11]) {
    cdrest__tls_der v;
    unsigned tag;
    int f[7], i, nf, y;
    size_t pos = 0;
    if (cdrest__tls_der_take(in, &tag, &v) != 1) return 0;
    if (!((tag == 0x17 && v.n == 13) || (tag == 0x18 && v.n == 15)) || v.p[v.n - 1] != 'Z') return 0;
    nf = tag == 0x17 ? 6 : 7;
    for (i = 0; i < nf; i++, pos += 2) {
        if (!cdrest__is_digit(v.p[pos]) || !cdrest__is_digit(v.p[pos + 1])) return 0;
        f[i] = (v.p[pos] - '0') * 10 + (v.p[pos + 1] - '0');
    }
    if (tag == 0x17) {
        y = f[0] < 50 ? 2000 + f[0] : 1900 + f[0];
        memmove(f + 1, f, 6 * sizeof f[0]);
    } else {
        y = f[0] * 100 + f[1];
    }
    /* f[2..6] = month, day, hour, minute, second */
    if (f[2] < 1 || f[2] > 12 || f[3] < 1 || f[3] > 31) return 0;
    *secs = cdrest__tls_days(y, f[2], f[3]) * 86400 + f[4] * 3600 + f[5] * 60 + f[6];
    {
        const int parts[3] = { y, f[2], f[3] };
        const int widths[3] = { 4, 2, 2 };
        char *o = ymd;
        for (i = 0; i < 3; i++) {
            int w = widths[i], v = parts[i];
            if (i) *o++ = '-';
            while (w-- > 0) {
                o[w] = (char)('0' + v % 10);
                v /= 10;
            }
            o += widths[i];
        }
        *o = 0;
    }
    return 1;
}

/* --- the server key: SubjectPublicKeyInfo for pins ------------------------------ */

typedef struct cdrest__tls_out {
    unsigned char *p;
    size_t len, cap;
} cdrest__tls_out;

static void cdrest__tls_put(cdrest__tls_out *o, const void *d, size_t n) {
    if (o->len + n <= o->cap) memcpy(o->p + o->len, d, n);
    o->len += n;
}

static size_t cdrest__tls_tlv_size(size_t n) {
    return 1 + (n < 128 ? 1 : n < 256 ? 2 : 3) + n;
}

static void cdrest__tls_put_hdr(cdrest__tls_out *o, unsigned tag, size_t n) {
    unsigned char h[4];
    size_t k = 0;
    h[k++] = (unsigned char)tag;
    if (n >= 256) {
        h[k++] = 0x82;
        h[k++] = (unsigned char)(n >> 8);
    } else if (n >= 128) {
        h[k++] = 0x81;
    }
    h[k++] = (unsigned char)n;
    cdrest__tls_put(o, h, k);
}

/* A DER INTEGER's content length for an unsigned big-endian value (leading zeros
   dropped, one added when the top bit is set). */
static size_t cdrest__tls_int_size(const unsigned char *v, size_t n) {
    while (n > 1 && v[0] == 0) v++, n--;
    return n + (n && (v[0] & 0x80) ? 1 : 0);
}

static void cdrest__tls_put_int(cdrest__tls_out *o, const unsigned char *v, size_t n) {
    static const unsigned char zero = 0;
    while (n > 1 && v[0] == 0) v++, n--;
    cdrest__tls_put_hdr(o, 0x02, cdrest__tls_int_size(v, n));
    if (n && (v[0] & 0x80)) cdrest__tls_put(o, &zero, 1);
    cdrest__tls_put(o, v, n);
}

/* The key re-encoded as DER SubjectPublicKeyInfo, as `openssl pkey -pubin -outform der`
   prints it. Returns its length (0: unsupported key, or it did not fit). */
static size_t cdrest__tls_spki(const br_x509_pkey *pk, unsigned char *buf, size_t cap) {
    static const unsigned char alg_rsa[15] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                               0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
    static const unsigned char oid_ec[9] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
    static const unsigned char p256[10] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
    static const unsigned char p384[7] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
    static const unsigned char p521[7] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
    static const unsigned char zero = 0;
    cdrest__tls_out o;
    o.p = buf;
    o.len = 0;
    o.cap = cap;
    if (pk->key_type == BR_KEYTYPE_RSA) {
        const br_rsa_public_key *k = &pk->key.rsa;
        size_t seq = cdrest__tls_tlv_size(cdrest__tls_int_size(k->n, k->nlen)) +
                     cdrest__tls_tlv_size(cdrest__tls_int_size(k->e, k->elen));
        size_t bits = 1 + cdrest__tls_tlv_size(seq);
        cdrest__tls_put_hdr(&o, 0x30, sizeof alg_rsa + cdrest__tls_tlv_size(bits));
        cdrest__tls_put(&o, alg_rsa, sizeof alg_rsa);
        cdrest__tls_put_hdr(&o, 0x03, bits);
        cdrest__tls_put(&o, &zero, 1);
        cdrest__tls_put_hdr(&o, 0x30, seq);
        cdrest__tls_put_int(&o, k->n, k->nlen);
        cdrest__tls_put_int(&o, k->e, k->elen);
    } else if (pk->key_type == BR_KEYTYPE_EC) {
        const br_ec_public_key *k = &pk->key.ec;
        const unsigned char *curve;
        size_t clen, bits = 1 + k->qlen;
        if (k->curve == BR_EC_secp256r1)
            curve = p256, clen = sizeof p256;
        else if (k->curve == BR_EC_secp384r1)
            curve = p384, clen = sizeof p384;
        else if (k->curve == BR_EC_secp521r1)
            curve = p521, clen = sizeof p521;
        else
            return 0;
        cdrest__tls_put_hdr(&o, 0x30, cdrest__tls_tlv_size(sizeof oid_ec + clen) + cdrest__tls_tlv_size(bits));
        cdrest__tls_put_hdr(&o, 0x30, sizeof oid_ec + clen);
        cdrest__tls_put(&o, oid_ec, sizeof oid_ec);
        cdrest__tls_put(&o, curve, clen);
        cdrest__tls_put_hdr(&o, 0x03, bits);
        cdrest__tls_put(&o, &zero, 1);
        cdrest__tls_put(&o, k->q, k->qlen);
    } else {
        return 0;
    }
    return o.len <= o.cap ? o.len : 0;
}

/* --- pins ------------------------------------------------------------------------ */

/* Value of one base64 character (RFC 4648 alphabet, no padding), or -1: the pin parser and
   the PEM loader read base64. */
static int cdrest__b64_value(int ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Decode exactly 44 base64 characters holding 32 bytes. 1 ok, 0 malformed. */
static int cdrest__tls_b64_32(const char *s, unsigned char out[32]) {
    unsigned long acc = 0;
    int i, bits = 0;
    size_t o = 0;
    if (s[43] != '=' || s[42] == '=') return 0;
    for (i = 0; i < 43; i++) {
        int v = cdrest__b64_value((unsigned char)s[i]);
        if (v < 0) return 0;
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < 32) out[o] = (unsigned char)(acc >> bits);
            o++;
        }
    }
    return o == 32 && (acc & ((1UL << bits) - 1)) == 0;
}

static int cdrest__tls_parse_pins(cdrest_client *c, struct cdrest__tls *t) {
    const char *p = c->cfg.tls.pin;
    t->npins = 0;
    if (!p) return 0;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (*p == ' ' || *p == '\t')) p++, n--;
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        if (n > 0) {
            if (n != 52 || memcmp(p, "sha256//", 8) != 0 || !cdrest__tls_b64_32(p + 8, t->pins[t->npins]))
                return cdrest__fail(&c->err, CDREST_E_ARG,
                                    "invalid pin: expected sha256//BASE64 (44 characters), several separated by ';'");
            if (++t->npins == CDREST_TLS_MAX_PINS && end && end[1])
                return cdrest__fail(&c->err, CDREST_E_ARG, "too many pins (at most %d, CDREST_TLS_MAX_PINS)",
                                    CDREST_TLS_MAX_PINS);
        }
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

/* Hash the server key; 0 if a pin matches (or none is set), else an error number. */
static unsigned cdrest__tls_check_pins(struct cdrest__tls *t, const br_x509_pkey *pk) {
    unsigned char spki[640];
    size_t n;
    int i;
    br_sha256_context h;
    if (t->npins == 0) return 0;
    if (!pk || (n = cdrest__tls_spki(pk, spki, sizeof spki)) == 0) return BR_ERR_X509_UNSUPPORTED;
    br_sha256_init(&h);
    br_sha256_update(&h, spki, n);
    br_sha256_out(&h, t->key_hash);
    for (i = 0; i < t->npins; i++)
        if (memcmp(t->pins[i], t->key_hash, 32) == 0) return 0;
    return CDREST_TLS_ERR_PIN_MISMATCH;
}

/* --- the X.509 engine BearSSL calls -------------------------------------------- */

static cdrest__tls_x509 *cdrest__tls_x(const br_x509_class *const *ctx) {
    return (cdrest__tls_x509 *)(void *)ctx;
}

static void cdrest__tls_x_start_chain(const br_x509_class **ctx, const char *server_name) {
    cdrest__tls_x509 *x = cdrest__tls_x(ctx);
    struct cdrest__tls *t = x->t;
    x->certs = 0;
    x->leaf_size = 0;
    x->leaf_len = 0;
    x->policy = 0;
    x->sha1 = x->pathlen = x->ku = 0;
    x->chains++;
    if (t->insecure) return;
    if (t->time_unknown)
        br_x509_minimal_set_time(&x->u.minimal, 0, 0);
    else
        br_x509_minimal_set_time(&x->u.minimal, (uint32_t)(t->now / 86400 + 719528), (uint32_t)(t->now % 86400));
    /* The minimal engine gets no name, so it checks none: its matching is laxer than ours
       (the CN beside SANs, "*.test", empty labels). end_chain matches the host against the
       leaf's DNS SANs, or an address against its iPAddress SANs. */
    (void)server_name;
    x->u.minimal.vtable->start_chain(&x->u.minimal.vtable, NULL);
}

static void cdrest__tls_x_start_cert(const br_x509_class **ctx, uint32_t length) {
    cdrest__tls_x509 *x = cdrest__tls_x(ctx);
    if (x->certs == 0) {
        x->leaf_size = length;
        if (x->t->insecure) br_x509_decoder_init(&x->u.dec, NULL, NULL);
    }
    x->ca_size = length;
    x->ca_len = 0;
    if (x->t->insecure) return;
    /* Once the engine has decided (a trust anchor signed an earlier certificate, or an
       error), it ignores the rest of the chain; so do our checks. */
    x->in_chain = x->u.minimal.err == 0;
    x->u.minimal.vtable->start_cert(&x->u.minimal.vtable, length);
}

static void cdrest__tls_x_append(const br_x509_class **ctx, const unsigned char *buf, size_t len) {
    cdrest__tls_x509 *x = cdrest__tls_x(ctx);
    if (x->certs == 0 || (!x->t->insecure && x->in_chain)) { /* keep the leaf, and a CA we check */
        unsigned char *to = x->certs ? x->ca : x->leaf;
        size_t *kept = x->certs ? &x->ca_len : &x->leaf_len, keep = CDREST_TLS_LEAF_MAX - *kept;
        if (keep > len) keep = len;
        memcpy(to + *kept, buf, keep);
        *kept += keep;
    }
    if (x->t->insecure) {
        if (x->certs == 0) br_x509_decoder_push(&x->u.dec, buf, len);
    } else {
        x->u.minimal.vtable->append(&x->u.minimal.vtable, buf, len);
    }
}

static void cdrest__tls_x_end_cert(const br_x509_class **ctx) {
    cdrest__tls_x509 *x = cdrest__tls_x(ctx);
    if (!x->t->insecure) {
        x->u.minimal.vtable->end_cert(&x->u.minimal.vtable);
        if (x->in_chain) {
            if (x->certs == 0)
                cdrest__tls_check_cert(x, x->leaf, x->leaf_len, x->leaf_size, 0);
            else
                cdrest__tls_check_cert(x, x->ca, x->ca_len, x->ca_size, x->certs);
            /* the engine found this certificate's issuer among the anchors */
            if (x->u.minimal.err == BR_ERR_X509_OK) {
                if (x->certs == 0)
                    cdrest__tls_check_anchor(x, x->leaf, x->leaf_len, 0);
                else
                    cdrest__tls_check_anchor(x, x->ca, x->ca_len, x->certs);
            }
        }
    }
    x->certs++;
}

static unsigned cdrest__tls_x_end_chain(const br_x509_class **ctx) {
    cdrest__tls_x509 *x = cdrest__tls_x(ctx);
    struct cdrest__tls *t = x->t;
    unsigned r;
    if (t->insecure) {
        if (x->certs == 0) return BR_ERR_X509_EMPTY_CHAIN;
        r = (unsigned)br_x509_decoder_last_error(&x->u.dec);
        if (r != 0) return r;
        return cdrest__tls_check_pins(t, br_x509_decoder_get_pkey(&x->u.dec));
    }
    r = x->u.minimal.vtable->end_chain(&x->u.minimal.vtable);
    /* Without a clock the minimal engine fell back on the system's: never trust it. */
    if (t->time_unknown && (r == 0 || r == BR_ERR_X509_EXPIRED)) return BR_ERR_X509_TIME_UNKNOWN;
    /* SHA-1 (and MD5) are not given to the engine, which then calls the signature
       unsupported; a path too long it calls "not a CA". Say what it was. */
    if (r == BR_ERR_X509_UNSUPPORTED && x->sha1) return CDREST_TLS_ERR_WEAK_SIGNATURE;
    if (r == BR_ERR_X509_NOT_CA && x->pathlen) return CDREST_TLS_ERR_PATH_LENGTH;
    if (r != 0) return r;
    if (x->policy) return x->policy;
    if (t->ip_len) {
        if (cdrest__tls_leaf_has_ip(x, t->ip, t->ip_len) != 1) return BR_ERR_X509_BAD_SERVER_NAME;
    } else {
        int m = cdrest__tls_leaf_has_name(x, t->name);
        if (m == 0) return BR_ERR_X509_BAD_SERVER_NAME;
        if (m == 2 && !t->cn_ok) return CDREST_TLS_ERR_CN_ONLY;
    }
    return cdrest__tls_check_pins(t, x->u.minimal.vtable->get_pkey(&x->u.minimal.vtable, NULL));
}

static const br_x509_pkey *cdrest__tls_x_get_pkey(const br_x509_class *const *ctx, unsigned *usages) {
    cdrest__tls_x509 *x = cdrest__tls_x(ctx);
    if (x->t->insecure) {
        if (usages) *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
        return br_x509_decoder_get_pkey(&x->u.dec);
    }
    return x->u.minimal.vtable->get_pkey(&x->u.minimal.vtable, usages);
}

static const br_x509_class cdrest__tls_x509_vtable = { sizeof(cdrest__tls_x509), cdrest__tls_x_start_chain,
                                                       cdrest__tls_x_start_cert, cdrest__tls_x_append,
                                                       cdrest__tls_x_end_cert,   cdrest__tls_x_end_chain,
                                                       cdrest__tls_x_get_pkey };

/* --- names: is the host an IP literal? ------------------------------------------- */

/* Dotted-quad IPv4 (the whole string). 4 and the bytes in out, or 0. The text layer's
   parser, so the certificate is checked against the address the URL names. */
static size_t cdrest__tls_ipv4(const char *s, unsigned char out[4]) {
    return cdrest__ipv4_parse(s, strlen(s), out);
}

/* IPv6 (hex groups, one "::", an optional dotted IPv4 tail; no zone). 16 or 0. */
static size_t cdrest__tls_ipv6(const char *s, unsigned char out[16]) {
    return strchr(s, ':') ? cdrest__ipv6_parse(s, strlen(s), out) : 0;
}

/* --- trust anchors ------------------------------------------------------------- */

/* Anchors load in one pass over every source: each usable certificate's name and key
   are appended, serialised, to one growing block (an arena, inside config.tls_memory
   when given); at the end the br_x509_trust_anchor array is built pointing into it.
   The loader's scratch lives in the I/O buffer, unused until the engine starts, so
   loading costs no stack and no extra heap. */
typedef struct cdrest__tls_loader {
    cdrest_client *c;
    struct cdrest__tls *t;
    br_x509_decoder_context dec;
    /* PEM, read line by line as the bytes stream in */
    int line; /* this line is: 0 not begun, 1 a marker, 2 data, 3 skipped */
    size_t mark_len;
    char mark[80];         /* a "-----BEGIN ...-----" / "-----END ...-----" line */
    int in_cert, bad, pad; /* inside a certificate; its base64 is broken; '=' seen */
    int trusted;           /* ... a TRUSTED CERTIFICATE: OpenSSL's trust settings follow */
    unsigned long acc;     /* base64 bits not yet output */
    int bits;
    size_t out_len;
    unsigned char out[96]; /* decoded bytes on their way to the X.509 decoder */
    int dn_overflow;
    size_t dn_len;
    size_t got; /* certificates taken from the current source */
    /* the anchors: see cdrest__tls_ld_end for the format */
    unsigned char *arena;
    size_t arena_len, arena_cap, arena_need, count;
    int arena_full;                       /* out of memory, or of config.tls_memory */
    size_t nseen;                         /* anchors taken so far, by hash: duplicates are dropped */
    uint64_t seen[512];                   /* (a bundle plus its c_rehash directory, say) */
    size_t cert_len, cert_size, cert_fed; /* the certificate being read: kept, its DER size, decoded */
    unsigned char cert[4096];             /* ... its bytes, for the restrictions kept with the anchor */
    unsigned char dn[1024];
    char path[1024];
    unsigned char rd[2048];
} cdrest__tls_loader;

typedef char cdrest__tls_loader_fits_in_iobuf[sizeof(cdrest__tls_loader) <= BR_SSL_BUFSIZE_MONO ? 1 : -1];

static void cdrest__tls_ld_dn(void *ctx, const void *buf, size_t len) {
    cdrest__tls_loader *ld = (cdrest__tls_loader *)ctx;
    if (ld->dn_len + len > sizeof ld->dn) {
        ld->dn_overflow = 1;
        return;
    }
    memcpy(ld->dn + ld->dn_len, buf, len);
    ld->dn_len += len;
}

static void cdrest__tls_ld_begin(cdrest__tls_loader *ld) {
    br_x509_decoder_init(&ld->dec, cdrest__tls_ld_dn, ld);
    ld->dn_len = 0;
    ld->dn_overflow = 0;
    ld->cert_len = ld->cert_size = ld->cert_fed = 0;
    ld->trusted = 0;
}

/* The size of the DER element that p starts with (header included), 0 if not known yet. */
static size_t cdrest__tls_der_size(const unsigned char *p, size_t n) {
    size_t k, len = 0, i;
    if (n < 2) return 0;
    if (p[1] < 0x80) return 2 + (size_t)p[1];
    k = p[1] & 0x7f;
    if (k == 0 || k > 4 || n < 2 + k) return 0;
    for (i = 0; i < k; i++) len = (len << 8) | p[2 + i];
    return 2 + k + len;
}

/* Bytes of one certificate: to the decoder, and kept for the restrictions read at its
   end. What follows its DER (OpenSSL's trust settings in a TRUSTED CERTIFICATE) is
   kept, not decoded. Nothing is pushed once the decoder has failed or finished:
   BearSSL 0.6's decoder, run again after an error, reads far out of bounds (a CA file
   with one corrupt byte crashed the loader). */
static void cdrest__tls_ld_push(cdrest__tls_loader *ld, const unsigned char *p, size_t n) {
    size_t keep = sizeof ld->cert - ld->cert_len, feed = n;
    if (keep > n) keep = n;
    memcpy(ld->cert + ld->cert_len, p, keep);
    ld->cert_len += keep;
    if (!ld->cert_size) ld->cert_size = cdrest__tls_der_size(ld->cert, ld->cert_len);
    if (ld->cert_size && feed > ld->cert_size - ld->cert_fed) feed = ld->cert_size - ld->cert_fed;
    if (!ld->dec.err && !ld->dec.decoded) br_x509_decoder_push(&ld->dec, p, feed);
    ld->cert_fed += feed;
}

/* 1 if this anchor (name and key) was taken before in this pass; else remember it. */
static int cdrest__tls_ld_seen(cdrest__tls_loader *ld, const br_x509_pkey *pk) {
    br_sha256_context h;
    unsigned char d[32];
    uint64_t v = 0;
    size_t i;
    br_sha256_init(&h);
    br_sha256_update(&h, ld->dn, ld->dn_len);
    if (pk->key_type == BR_KEYTYPE_RSA) {
        br_sha256_update(&h, pk->key.rsa.n, pk->key.rsa.nlen);
        br_sha256_update(&h, pk->key.rsa.e, pk->key.rsa.elen);
    } else {
        br_sha256_update(&h, pk->key.ec.q, pk->key.ec.qlen);
    }
    br_sha256_out(&h, d);
    for (i = 0; i < 8; i++) v = (v << 8) | d[i];
    for (i = 0; i < ld->nseen; i++)
        if (ld->seen[i] == v) return 1;
    if (ld->nseen < sizeof ld->seen / sizeof ld->seen[0]) ld->seen[ld->nseen++] = v;
    return 0;
}

/* Room for n more bytes in the arena (growing it unless it is caller memory). */
static int cdrest__tls_ld_room(cdrest__tls_loader *ld, size_t n) {
    size_t cap = ld->arena_cap ? ld->arena_cap : 1024;
    unsigned char *p;
    size_t want = cdrest__add(ld->arena_len, n);
    if (want <= ld->arena_cap) return 1;
    if (ld->t->external || want > (size_t)-1 / 2) return 0; /* (doubling must not wrap) */
    while (cap < want) cap *= 2;
    p = (unsigned char *)CDREST_REALLOC(ld->c->cfg.alloc_ctx, ld->arena, cap);
    if (!p) return 0;
    ld->arena = p;
    ld->arena_cap = cap;
    return 1;
}

static void cdrest__tls_ld_put(cdrest__tls_loader *ld, const void *p, size_t n, int with_len) {
    if (with_len) {
        ld->arena[ld->arena_len++] = (unsigned char)(n >> 8);
        ld->arena[ld->arena_len++] = (unsigned char)n;
    }
    if (n) memcpy(ld->arena + ld->arena_len, p, n);
    ld->arena_len += n;
}

typedef struct cdrest__tls_rules {
    unsigned char head[3 + 16]; /* flags, EKU, pathlen; notBefore, notAfter (days, seconds) */
    cdrest__tls_der validity, nc;
} cdrest__tls_rules;

static void cdrest__tls_put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* OpenSSL's trust settings after a TRUSTED CERTIFICATE (X509_CERT_AUX: trust SEQUENCE OF
   OID, reject [0] OID...): 1 when they do not allow serverAuth, as OpenSSL reads them. */
static int cdrest__tls_ld_denied(const unsigned char *p, size_t n) {
    cdrest__tls_der aux, seq, list;
    unsigned tag;
    int bits;
    aux.p = p;
    aux.n = n;
    if (!cdrest__tls_der_want(&aux, 0x30, &seq)) return 1;
    while (seq.n > 0) {
        if (cdrest__tls_der_take(&seq, &tag, &list) != 1) return 1;
        if (tag != 0x30 && tag != 0xa0) continue;
        bits = cdrest__tls_eku_list(list);
        if (bits < 0 || ((bits & (CDREST__EKU_SERVER | CDREST__EKU_ANY)) != 0) == (tag == 0xa0)) return 1;
    }
    return 0;
}

/* Read the restrictions of the certificate just loaded; *ca set for a self-issued
   certificate without extensions (X.509 v1), a CA as OpenSSL takes it. */
static void cdrest__tls_ld_rules(cdrest__tls_loader *ld, const br_x509_pkey *pk, cdrest__tls_rules *r, int *ca) {
    cdrest__tls_leafinfo li;
    cdrest__tls_der v, seq, b, n;
    int e;
    memset(r, 0, sizeof *r);
    r->head[2] = 255;
    /* the dates as BearSSL's decoder read them (days since 0000-01-01, seconds) */
    cdrest__tls_put32(r->head + 3, ld->dec.notbefore_days);
    cdrest__tls_put32(r->head + 7, ld->dec.notbefore_seconds);
    cdrest__tls_put32(r->head + 11, ld->dec.notafter_days);
    cdrest__tls_put32(r->head + 15, ld->dec.notafter_seconds);
    if (!ld->cert_size || ld->cert_size > ld->cert_len ||
        !cdrest__tls_cert_parse(ld->cert, ld->cert_size, ld->cert_size, &li) || !li.has_names) {
        r->head[0] = CDREST__TA_UNREAD;
        return;
    }
    r->validity = li.validity;
    if (!li.has_exts && li.issuer.n == li.subject.n && memcmp(li.issuer.p, li.subject.p, li.issuer.n) == 0) *ca = 1;
    if (pk->key_type == BR_KEYTYPE_RSA && cdrest__tls_uint_bits(pk->key.rsa.n, pk->key.rsa.nlen) < 2048)
        r->head[0] |= CDREST__TA_WEAK;
    if (cdrest__tls_cert_ext(&li, 0x0f, &v) != 0 &&
        (!cdrest__tls_der_want(&v, 0x03, &b) || b.n < 2 || !(b.p[1] & 0x04)))
        r->head[0] |= CDREST__TA_NO_SIGN; /* keyUsage without keyCertSign */
    if (ld->trusted && cdrest__tls_ld_denied(ld->cert + ld->cert_size, ld->cert_len - ld->cert_size))
        r->head[0] |= CDREST__TA_DENIED;
    e = cdrest__tls_cert_ext(&li, 0x25, &v);
    if (e != 0) r->head[1] = (unsigned char)(e < 0 || (e = cdrest__tls_eku_bits(v)) < 0 ? CDREST__EKU_OTHER : e);
    if (cdrest__tls_cert_ext(&li, 0x13, &v) == 1 && cdrest__tls_der_want(&v, 0x30, &seq) &&
        cdrest__tls_der_want(&seq, 0x01, &b) && b.n == 1 && b.p[0] && cdrest__tls_der_want(&seq, 0x02, &n) &&
        n.n == 1 && n.p[0] < 128)
        r->head[2] = n.p[0];
    e = cdrest__tls_cert_ext(&li, 0x1e, &r->nc);
    if (e < 0) r->head[0] |= CDREST__TA_BAD_NC;
    if (e != 1) r->nc.n = 0;
}

/* One certificate decoded: keep its name and key as a trust anchor (as `brssl ta`
   does), with its restrictions, serialised as  len16 DN, rule flags, EKU bits, pathlen,
   notBefore and notAfter, len16 validity (for messages), len16 name constraints, CA
   flag, key type, curve, len16 n|q,
   len16 e|"". Certificates BearSSL cannot use (unknown key types, bad encodings) are
   skipped. */
static void cdrest__tls_ld_end(cdrest__tls_loader *ld) {
    br_x509_pkey *pk = br_x509_decoder_get_pkey(&ld->dec);
    const unsigned char *k1, *k2 = NULL;
    size_t l1, l2 = 0, need;
    unsigned char meta[3];
    cdrest__tls_rules rules;
    int ca;
    if (!pk || ld->dn_overflow) return;
    if (pk->key_type == BR_KEYTYPE_RSA) {
        k1 = pk->key.rsa.n, l1 = pk->key.rsa.nlen, k2 = pk->key.rsa.e, l2 = pk->key.rsa.elen;
    } else if (pk->key_type == BR_KEYTYPE_EC) {
        k1 = pk->key.ec.q, l1 = pk->key.ec.qlen;
    } else {
        return;
    }
    ld->got++;
    if (cdrest__tls_ld_seen(ld, pk)) return;
    ca = br_x509_decoder_isCA(&ld->dec);
    cdrest__tls_ld_rules(ld, pk, &rules, &ca);
    need = 2 + ld->dn_len + sizeof rules.head + 2 + rules.validity.n + 2 + rules.nc.n + 3 + 2 + l1 + 2 + l2;
    ld->arena_need += need;
    if (ld->arena_full || !cdrest__tls_ld_room(ld, need)) {
        ld->arena_full = 1;
        return;
    }
    meta[0] = ca ? 1 : 0;
    meta[1] = pk->key_type;
    meta[2] = (unsigned char)(pk->key_type == BR_KEYTYPE_EC ? pk->key.ec.curve : 0);
    cdrest__tls_ld_put(ld, ld->dn, ld->dn_len, 1);
    cdrest__tls_ld_put(ld, rules.head, sizeof rules.head, 0);
    cdrest__tls_ld_put(ld, rules.validity.p, rules.validity.n, 1);
    cdrest__tls_ld_put(ld, rules.nc.p, rules.nc.n, 1);
    cdrest__tls_ld_put(ld, meta, 3, 0);
    cdrest__tls_ld_put(ld, k1, l1, 1);
    cdrest__tls_ld_put(ld, k2, l2, 1);
    ld->count++;
}

/* Before each source (file, blob): out of any PEM object, at a line start. */
static void cdrest__tls_ld_start(cdrest__tls_loader *ld) {
    ld->line = 0;
    ld->in_cert = 0;
}

/* PEM is decoded here rather than with br_pem_decoder: BearSSL's runs a small virtual
   machine per byte (~1,000 instructions a byte, 80 ms for a system bundle), this loop a
   few. Rules: objects between "-----BEGIN X-----" and "-----END X-----" lines, only
   CERTIFICATE and X509 CERTIFICATE taken, CR ignored (CRLF files), base64 lines of any
   length, whitespace skipped, a last line without its newline still counts. */
static void cdrest__tls_ld_flush(cdrest__tls_loader *ld) {
    if (ld->out_len) cdrest__tls_ld_push(ld, ld->out, ld->out_len);
    ld->out_len = 0;
}

static void cdrest__tls_ld_marker(cdrest__tls_loader *ld) {
    const char *m = ld->mark;
    size_t n = ld->mark_len;
    while (n > 0 && (m[n - 1] == ' ' || m[n - 1] == '\t')) n--;
    if (n > 16 && memcmp(m, "-----BEGIN ", 11) == 0 && memcmp(m + n - 5, "-----", 5) == 0) {
        size_t label = n - 16;
        ld->in_cert = (label == 11 && memcmp(m + 11, "CERTIFICATE", 11) == 0) ||
                      (label == 16 && memcmp(m + 11, "X509 CERTIFICATE", 16) == 0) ||
                      (label == 19 && memcmp(m + 11, "TRUSTED CERTIFICATE", 19) == 0);
        if (ld->in_cert) {
            cdrest__tls_ld_begin(ld);
            ld->trusted = label == 19;
            ld->bad = ld->pad = ld->bits = 0;
            ld->acc = 0;
            ld->out_len = 0;
        }
    } else if (n > 14 && memcmp(m, "-----END ", 9) == 0 && ld->in_cert) {
        cdrest__tls_ld_flush(ld);
        if (!ld->bad) cdrest__tls_ld_end(ld);
        ld->in_cert = 0;
    }
}

static void cdrest__tls_ld_b64(cdrest__tls_loader *ld, int ch) {
    int v = cdrest__b64_value(ch);
    if (v < 0) {
        if (ch == '=')
            ld->pad = 1;
        else if (ch != ' ' && ch != '\t')
            ld->bad = 1;
        return;
    }
    if (ld->pad) ld->bad = 1; /* data after padding */
    ld->acc = ((ld->acc << 6) | (unsigned long)v) & 0xffffff;
    ld->bits += 6;
    if (ld->bits >= 8) {
        ld->bits -= 8;
        ld->out[ld->out_len++] = (unsigned char)(ld->acc >> ld->bits);
        if (ld->out_len == sizeof ld->out) cdrest__tls_ld_flush(ld);
    }
}

static void cdrest__tls_ld_text(cdrest__tls_loader *ld, const unsigned char *buf, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) {
        int ch = buf[i];
        if (ch == '\r') continue;
        if (ch == '\n') {
            if (ld->line == 1) cdrest__tls_ld_marker(ld);
            ld->line = 0;
            continue;
        }
        if (ld->line == 0) {
            ld->line = ch == '-' ? 1 : ld->in_cert ? 2 : 3;
            ld->mark_len = 0;
        }
        if (ld->line == 2)
            cdrest__tls_ld_b64(ld, ch);
        else if (ld->line == 1 && ld->mark_len < sizeof ld->mark)
            ld->mark[ld->mark_len++] = (char)ch;
    }
}

/* The end of a PEM source: a last line without its newline still counts. */
static void cdrest__tls_ld_text_end(cdrest__tls_loader *ld) {
    cdrest__tls_ld_text(ld, (const unsigned char *)"\n", 1);
}

/* One or more DER certificates back to back. */
static void cdrest__tls_ld_der(cdrest__tls_loader *ld, const unsigned char *buf, size_t len) {
    cdrest__tls_der in, v;
    unsigned tag;
    in.p = buf;
    in.n = len;
    for (;;) {
        const unsigned char *start = in.p;
        if (cdrest__tls_der_take(&in, &tag, &v) != 1 || tag != 0x30) break;
        cdrest__tls_ld_begin(ld);
        cdrest__tls_ld_push(ld, start, (size_t)(in.p - start));
        cdrest__tls_ld_end(ld);
    }
}

static int cdrest__tls_is_pem(const unsigned char *buf, size_t len) {
    size_t i;
    for (i = 0; i + 10 <= len; i++)
        if (buf[i] == '-' && memcmp(buf + i, "-----BEGIN", 10) == 0) return 1;
    return 0;
}

#ifndef CDREST_NO_FILES
/* fopen(path, "rb"), but born close-on-exec (O_CLOEXEC at open, not set afterwards): a
   program that forks and execs in another thread never hands its child a CA file or
   bundle. NULL with errno set on failure. */
static FILE *cdrest__fopen_rb(const char *path) {
#ifdef O_CLOEXEC
    FILE *f;
    int fd;
    /* O_NONBLOCK: a FIFO named as a CA file must not block the open (the caller then
       refuses anything but a regular file); regular files ignore the flag. */
    do fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return NULL;
    f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
#else
    return fopen(path, "rb");
#endif
}

/* The error class of a failed open or read while loading trust: a path that names
   nothing readable is the configuration's (path_code: CDREST_E_ARG for the caller's
   settings); running out of descriptors or memory, EIO, ... are the moment's, and the
   load is tried again at the next connection. */
static int cdrest__tls_errno_code(int e, int path_code) {
    if (e == ENOENT || e == ENOTDIR || e == EISDIR || e == ENAMETOOLONG || e == ELOOP || e == EACCES || e == EPERM)
        return path_code;
    return e == ENOMEM ? CDREST_E_NOMEM : CDREST_E_IO;
}

static int cdrest__tls_ld_fail(cdrest_client *c, int e, int path_code, const char *what, const char *path) {
    return cdrest__fail(&c->err, cdrest__tls_errno_code(e, path_code), "cannot read %s %s: %s", what, path,
                        strerror(e));
}

/* Load a PEM (or single DER) file. 0, or the error (c->err set, *why the errno). */
static int cdrest__tls_ld_file(cdrest_client *c, cdrest__tls_loader *ld, const char *path, int path_code,
                               const char *what, int *why) {
    FILE *f = cdrest__fopen_rb(path);
    size_t n, total = 0;
    int der = -1, bad;
    struct stat st;
    *why = 0;
    if (!f) return cdrest__tls_ld_fail(c, *why = errno, path_code, what, path);
    /* Only a regular file of bounded size: /dev/zero, /dev/urandom or a FIFO would keep the
       load (which no deadline bounds) going for ever. */
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return cdrest__fail(&c->err, path_code, "cannot read %s %s: not a regular file", what, path);
    }
    errno = 0; /* a read error's cause, below */
    while ((n = fread(ld->rd, 1, sizeof ld->rd, f)) > 0) {
        if ((total += n) > CDREST_TLS_CA_FILE_MAX) {
            fclose(f);
            return cdrest__fail(&c->err, path_code, "cannot read %s %s: larger than %lu bytes", what, path,
                                (unsigned long)CDREST_TLS_CA_FILE_MAX);
        }
        if (der < 0) {
            der = ld->rd[0] == 0x30;
            if (der) cdrest__tls_ld_begin(ld);
        }
        if (der)
            cdrest__tls_ld_push(ld, ld->rd, n);
        else
            cdrest__tls_ld_text(ld, ld->rd, n);
    }
    bad = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (bad) return cdrest__tls_ld_fail(c, *why = bad, path_code, what, path);
    if (der == 1)
        cdrest__tls_ld_end(ld);
    else
        cdrest__tls_ld_text_end(ld);
    return 0;
}

/* OpenSSL's hashed names: 8 hex digits, '.', digits ("5ad8a5d6.0"). */
static int cdrest__tls_is_hash_name(const char *s) {
    int i;
    for (i = 0; i < 8; i++)
        if (cdrest__hex_value((unsigned char)s[i]) < 0) return 0;
    if (s[8] != '.' || !cdrest__is_digit((unsigned char)s[9])) return 0;
    for (i = 10; s[i]; i++)
        if (!cdrest__is_digit((unsigned char)s[i])) return 0;
    return 1;
}

static int cdrest__tls_is_cert_name(const char *s) {
    size_t n = strlen(s);
    if (n < 5) return 0;
    s += n - 4;
    return cdrest__ieq(s, 4, ".pem") || cdrest__ieq(s, 4, ".crt") || cdrest__ieq(s, 4, ".cer");
}

/* The next entry of d, or NULL at the end (*rc 0) or on a read error (*rc set). */
static struct dirent *cdrest__tls_ld_next(cdrest_client *c, DIR *d, const char *what, const char *path, int *rc) {
    struct dirent *e;
    errno = 0;
    e = readdir(d);
    if (!e && errno) *rc = cdrest__tls_ld_fail(c, errno, CDREST_E_IO, what, path);
    return e;
}

/* Load a directory: its hashed names when it has any (a c_rehash directory also holds
   the same certificates under other names, or a bundle), else its .pem, .crt and .cer
   files. All or nothing: a file that cannot be read (EMFILE, EIO, ...) fails the whole
   load, which is tried again at the next connection, rather than leave a trust store
   without it for the client's life. Only an entry gone since it was listed (a dangling
   link) is passed over. */
static int cdrest__tls_ld_dir(cdrest_client *c, cdrest__tls_loader *ld, const char *dir, size_t dir_len, int code,
                              const char *what) {
    DIR *d;
    struct dirent *e;
    int hashed = 0, rc = 0, why;
    if (dir_len + 2 >= sizeof ld->path) return cdrest__fail(&c->err, code, "%s: path too long", what);
    memcpy(ld->path, dir, dir_len);
    ld->path[dir_len] = 0;
    d = opendir(ld->path);
    if (!d) {
        int e = errno;
        return cdrest__fail(&c->err, cdrest__tls_errno_code(e, code), "cannot open %s %s: %s", what, ld->path,
                            strerror(e));
    }
    while ((e = cdrest__tls_ld_next(c, d, what, dir, &rc)) != NULL)
        if (cdrest__tls_is_hash_name(e->d_name)) hashed = 1;
    if (!rc) rewinddir(d);
    while (!rc && (e = cdrest__tls_ld_next(c, d, what, dir, &rc)) != NULL) {
        struct stat st;
        size_t n = strlen(e->d_name);
        if (hashed ? !cdrest__tls_is_hash_name(e->d_name) : !cdrest__tls_is_cert_name(e->d_name)) continue;
        if (dir_len + 1 + n >= sizeof ld->path) continue;
        ld->path[dir_len] = '/';
        memcpy(ld->path + dir_len + 1, e->d_name, n + 1);
        if (stat(ld->path, &st) != 0) {
            if (errno != ENOENT) rc = cdrest__tls_ld_fail(c, errno, CDREST_E_IO, what, ld->path);
            continue;
        }
        if (!S_ISREG(st.st_mode)) continue;
        cdrest__tls_ld_start(ld);
        if ((rc = cdrest__tls_ld_file(c, ld, ld->path, CDREST_E_IO, what, &why)) != 0 && why == ENOENT) rc = 0;
    }
    closedir(d);
    return rc;
}

static const char *const cdrest__tls_system_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Gentoo, Arch */
    "/etc/pki/tls/certs/ca-bundle.crt",                  /* RHEL, Fedora, CentOS */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7+ */
    "/etc/ssl/ca-bundle.pem",                            /* SUSE */
    "/etc/ssl/cert.pem",                                 /* Alpine, macOS, OpenBSD */
    "/usr/local/share/certs/ca-root-nss.crt",            /* FreeBSD */
    "/usr/local/etc/ssl/cert.pem",                       /* FreeBSD, NetBSD */
    NULL
};

/* The system's anchors: $SSL_CERT_FILE and $SSL_CERT_DIR (':'-separated) when set,
   else the first bundle that exists. */
static int cdrest__tls_ld_system(cdrest_client *c, cdrest__tls_loader *ld) {
    const char *file = getenv("SSL_CERT_FILE"), *dirs = getenv("SSL_CERT_DIR");
    int i, r, why;
    if ((file && *file) || (dirs && *dirs)) {
        if (file && *file) {
            cdrest__tls_ld_start(ld);
            if ((r = cdrest__tls_ld_file(c, ld, file, CDREST_E_TLS, "SSL_CERT_FILE", &why)) != 0) return r;
        }
        while (dirs && *dirs) {
            const char *end = strchr(dirs, ':');
            size_t n = end ? (size_t)(end - dirs) : strlen(dirs);
            if (n > 0 && (r = cdrest__tls_ld_dir(c, ld, dirs, n, CDREST_E_TLS, "SSL_CERT_DIR")) != 0) return r;
            dirs = end ? end + 1 : NULL;
        }
        return 0;
    }
    /* the first bundle that exists; one that exists but cannot be read now (EMFILE) is
       that error, not "no bundle" */
    for (i = 0; cdrest__tls_system_bundles[i]; i++) {
        cdrest__tls_ld_start(ld);
        r = cdrest__tls_ld_file(c, ld, cdrest__tls_system_bundles[i], CDREST_E_TLS, "the system CA bundle", &why);
        if (r == 0) return 0;
        if (why != ENOENT && why != ENOTDIR) return r;
    }
    return cdrest__fail(&c->err, CDREST_E_TLS,
                        "no system CA bundle found (%s, ...): set config.tls.ca_file or SSL_CERT_FILE",
                        cdrest__tls_system_bundles[0]);
}
#endif /* CDREST_NO_FILES */

/* Feed every configured source to the loader. 0, or an error with c->err set. */
static int cdrest__tls_ld_sources(cdrest_client *c, cdrest__tls_loader *ld) {
    const cdrest_tls_config *tc = &c->cfg.tls;
    int r;
    if (tc->ca_blob) {
        const unsigned char *b = (const unsigned char *)tc->ca_blob;
        ld->got = 0;
        cdrest__tls_ld_start(ld);
        if (cdrest__tls_is_pem(b, tc->ca_blob_len)) {
            cdrest__tls_ld_text(ld, b, tc->ca_blob_len);
            cdrest__tls_ld_text_end(ld);
        } else {
            cdrest__tls_ld_der(ld, b, tc->ca_blob_len);
        }
        if (ld->got == 0) return cdrest__fail(&c->err, CDREST_E_ARG, "config.tls.ca_blob holds no usable certificate");
    }
#ifndef CDREST_NO_FILES
    if (tc->ca_file) {
        int why;
        ld->got = 0;
        cdrest__tls_ld_start(ld);
        if ((r = cdrest__tls_ld_file(c, ld, tc->ca_file, CDREST_E_ARG, "CA file", &why)) != 0) return r;
        if (ld->got == 0)
            return cdrest__fail(&c->err, CDREST_E_ARG, "CA file %s holds no usable certificate", tc->ca_file);
    }
    if (tc->ca_dir) {
        ld->got = 0;
        if ((r = cdrest__tls_ld_dir(c, ld, tc->ca_dir, strlen(tc->ca_dir), CDREST_E_ARG, "CA directory")) != 0)
            return r;
        if (ld->got == 0)
            return cdrest__fail(&c->err, CDREST_E_ARG, "CA directory %s holds no usable certificate", tc->ca_dir);
    }
    if (!tc->ca_blob && !tc->ca_file && !tc->ca_dir && tc->trust_anchors_count == 0) {
        ld->got = 0;
        if ((r = cdrest__tls_ld_system(c, ld)) != 0) return r;
        if (ld->got == 0)
            return cdrest__fail(&c->err, CDREST_E_TLS, "the system CA bundle holds no usable certificate");
    }
#else
    if (tc->ca_file || tc->ca_dir)
        return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED,
                            "CA files and directories are not built in (CDREST_NO_FILES)");
    if (!tc->ca_blob && tc->trust_anchors_count == 0)
        return cdrest__fail(&c->err, CDREST_E_ARG, "no trust anchors: set config.tls.ca_blob or trust_anchors");
#endif
    (void)r;
    return 0;
}

/* Read one length-prefixed field of a serialised anchor. */
static unsigned char *cdrest__tls_ta_field(unsigned char **p, size_t *len) {
    unsigned char *v = *p + 2;
    *len = (size_t)((*p)[0] << 8 | (*p)[1]);
    *p = v + *len;
    return v;
}

static int cdrest__tls_load_anchors(cdrest_client *c, struct cdrest__tls *t) {
    cdrest__tls_loader *ld = (cdrest__tls_loader *)(void *)t->iobuf;
    const cdrest_tls_config *tc = &c->cfg.tls;
    size_t ncompiled = tc->trust_anchors_count, total, i, pad = 0, need;
    br_x509_trust_anchor *tas;
    unsigned char *p;
    int r;
    if (ncompiled && !tc->trust_anchors)
        return cdrest__fail(&c->err, CDREST_E_ARG, "config.tls.trust_anchors is NULL but its count is not 0");
    memset(ld, 0, sizeof *ld);
    ld->c = c;
    ld->t = t;
    if (t->external) { /* the arena is the rest of the caller's block */
        pad = (16 - ((uintptr_t)t->pool & 15)) & 15;
        ld->arena = t->pool + pad;
        ld->arena_cap = t->pool_left > pad ? t->pool_left - pad : 0;
    }
    r = cdrest__tls_ld_sources(c, ld);
    if (r == 0 && ld->arena_full && !t->external)
        r = cdrest__fail(&c->err, CDREST_E_NOMEM, "out of memory for the trust anchors");
    total = ncompiled + ld->count;
    t->ncompiled = ncompiled;
    /* the array goes after the arena, 16-aligned */
    need = pad + ((ld->arena_need + 15) & ~(size_t)15) + total * sizeof(br_x509_trust_anchor);
    if (r == 0 && t->external && (ld->arena_full || need > t->pool_left))
        r = cdrest__fail(&c->err, CDREST_E_TOOLARGE,
                         "config.tls_memory is too small for the trust anchors: "
                         "%lu more bytes needed",
                         (unsigned long)(need - t->pool_left));
    if (r != 0 || ld->count == 0) {
        if (!t->external && ld->arena) CDREST_FREE(c->cfg.alloc_ctx, ld->arena);
        if (r == 0) { /* compiled-in anchors only: used in place */
            t->tas = (const br_x509_trust_anchor *)tc->trust_anchors;
            t->ntas = ncompiled;
        }
        return r;
    }
    if (t->external) {
        tas = (br_x509_trust_anchor *)(void *)(ld->arena + ((ld->arena_len + 15) & ~(size_t)15));
        t->pool += need;
        t->pool_left -= need;
    } else {
        p = (unsigned char *)CDREST_REALLOC(c->cfg.alloc_ctx, ld->arena, ld->arena_len); /* shrink to fit */
        if (p) ld->arena = p;
        tas = (br_x509_trust_anchor *)CDREST_MALLOC(c->cfg.alloc_ctx, total * sizeof(br_x509_trust_anchor));
        if (!tas) {
            CDREST_FREE(c->cfg.alloc_ctx, ld->arena);
            return cdrest__fail(&c->err, CDREST_E_NOMEM, "out of memory for %lu trust anchors", (unsigned long)total);
        }
        t->ta_block = ld->arena;
        t->ta_array = tas;
    }
    if (ncompiled) memcpy(tas, tc->trust_anchors, ncompiled * sizeof(br_x509_trust_anchor));
    for (i = ncompiled, p = ld->arena; i < total; i++) {
        br_x509_trust_anchor *ta = &tas[i];
        size_t l1, l2;
        unsigned char *k1, *k2, curve;
        memset(ta, 0, sizeof *ta);
        ta->dn.data = cdrest__tls_ta_field(&p, &ta->dn.len);
        p += sizeof(((cdrest__tls_rules *)0)->head); /* the restrictions: read where the anchor is used */
        cdrest__tls_ta_field(&p, &l1);
        cdrest__tls_ta_field(&p, &l1);
        ta->flags = p[0] ? BR_X509_TA_CA : 0;
        ta->pkey.key_type = p[1];
        curve = p[2];
        p += 3;
        k1 = cdrest__tls_ta_field(&p, &l1);
        k2 = cdrest__tls_ta_field(&p, &l2);
        if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
            ta->pkey.key.rsa.n = k1;
            ta->pkey.key.rsa.nlen = l1;
            ta->pkey.key.rsa.e = k2;
            ta->pkey.key.rsa.elen = l2;
        } else {
            ta->pkey.key.ec.curve = curve;
            ta->pkey.key.ec.q = k1;
            ta->pkey.key.ec.qlen = l1;
        }
    }
    t->tas = tas;
    t->ntas = total;
    return 0;
}

/* --- fast 64-bit public-key code (X25519 / signature checks) ---------------------------
   BearSSL 0.6 (Debian's) has only portable 15/31-bit elliptic-curve and RSA code, and a full
   handshake spends most of its client instructions there. Where the compiler has a
   64x64->128 multiply (unsigned __int128) we plug our own 64-bit code for the hot paths
   into the engine through BearSSL's public hooks; every other curve, key and call stays
   BearSSL's. CDREST_NO_FAST_PK, 32-bit and embedded targets: BearSSL's code only. */
#if !defined(CDREST_NO_FAST_PK) && defined(__SIZEOF_INT128__)
#define CDREST__FAST_PK 1
__extension__ typedef unsigned __int128 cdrest__u128;
#endif

#ifdef CDREST__FAST_PK
/* ---- X25519 (RFC 7748), constant time ----
   The key exchange's two scalar multiplications (our key pair, the shared secret). Field
   elements mod p = 2^255 - 19 in five 51-bit limbs; products in 128 bits, reduced with
   2^255 = 19 (mod p). Nothing depends on the secret scalar but data: the Montgomery
   ladder swaps by masks, the inversion is a fixed chain of squarings and products, the
   final reduction subtracts p or nothing by a mask (tests/test_x25519.c checks all this
   under valgrind).
   The contract is br_ec_c25519_m31's, byte for byte (tests/test_x25519.c compares them):
   the point and the result are 32 bytes little-endian, the point's top bit is ignored and
   a value >= p taken mod p; the scalar is up to 32 bytes little-endian (shorter: zeros
   above), clamped (bits 0-2 and 255 cleared, bit 254 set); the result is fully reduced;
   a low-order point gives zero bytes and success, as BearSSL does; a point not of 32
   bytes or a scalar over 32 bytes fails (0) and leaves the point as it was. */
typedef uint64_t cdrest__fe[5];
#define CDREST__FE_MASK (((uint64_t)1 << 51) - 1)

static uint64_t cdrest__x25519_ld64(const unsigned char *s) {
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--) v = (v << 8) | s[i];
    return v;
}

static void cdrest__x25519_st64(unsigned char *d, uint64_t v) {
    int i;
    for (i = 0; i < 8; i++, v >>= 8) d[i] = (unsigned char)v;
}

/* 32 bytes little-endian, bit 255 ignored: limbs < 2^51 (the value may be >= p). */
static void cdrest__fe_load(cdrest__fe h, const unsigned char s[32]) {
    h[0] = cdrest__x25519_ld64(s) & CDREST__FE_MASK;
    h[1] = (cdrest__x25519_ld64(s + 6) >> 3) & CDREST__FE_MASK;
    h[2] = (cdrest__x25519_ld64(s + 12) >> 6) & CDREST__FE_MASK;
    h[3] = (cdrest__x25519_ld64(s + 19) >> 1) & CDREST__FE_MASK;
    h[4] = (cdrest__x25519_ld64(s + 24) >> 12) & CDREST__FE_MASK;
}

/* Limbs bounds: load and carry give < 2^51 + 2^18; add and sub below stay < 2^54, which
   mul and square take (5 products of 2^54 by 19 * 2^54 fit in 2^115). */
static void cdrest__fe_add(cdrest__fe h, const cdrest__fe f, const cdrest__fe g) {
    h[0] = f[0] + g[0];
    h[1] = f[1] + g[1];
    h[2] = f[2] + g[2];
    h[3] = f[3] + g[3];
    h[4] = f[4] + g[4];
}

/* f - g + 4p: every limb stays positive for g's limbs < 2^53 (g is always carried). */
static void cdrest__fe_sub(cdrest__fe h, const cdrest__fe f, const cdrest__fe g) {
    const uint64_t four_p0 = 0x1FFFFFFFFFFFB4, four_p = 0x1FFFFFFFFFFFFC; /* 4p's limbs */
    h[0] = f[0] + four_p0 - g[0];
    h[1] = f[1] + four_p - g[1];
    h[2] = f[2] + four_p - g[2];
    h[3] = f[3] + four_p - g[3];
    h[4] = f[4] + four_p - g[4];
}

/* 128-bit column sums back to limbs < 2^51 (limb 1 < 2^51 + 2^18); the carry out of the
   top limb comes back times 19 (2^255 = 19 mod p), in 128 bits as it may exceed 2^64.
   Inlined: five 128-bit arguments would go through the stack (a third of the time). */
static __inline__ __attribute__((always_inline)) void
cdrest__fe_carry(cdrest__fe h, cdrest__u128 r0, cdrest__u128 r1, cdrest__u128 r2, cdrest__u128 r3, cdrest__u128 r4) {
    cdrest__u128 t;
    r1 += (uint64_t)(r0 >> 51);
    r2 += (uint64_t)(r1 >> 51);
    r3 += (uint64_t)(r2 >> 51);
    r4 += (uint64_t)(r3 >> 51);
    h[1] = (uint64_t)r1 & CDREST__FE_MASK;
    h[2] = (uint64_t)r2 & CDREST__FE_MASK;
    h[3] = (uint64_t)r3 & CDREST__FE_MASK;
    h[4] = (uint64_t)r4 & CDREST__FE_MASK;
    t = (cdrest__u128)(uint64_t)(r4 >> 51) * 19 + ((uint64_t)r0 & CDREST__FE_MASK);
    h[0] = (uint64_t)t & CDREST__FE_MASK;
    h[1] += (uint64_t)(t >> 51);
}

static void cdrest__fe_mul(cdrest__fe h, const cdrest__fe f, const cdrest__fe g) {
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    cdrest__u128 r0, r1, r2, r3, r4;
    r0 = (cdrest__u128)f0 * g0 + (cdrest__u128)f1 * g4_19 + (cdrest__u128)f2 * g3_19 + (cdrest__u128)f3 * g2_19 +
         (cdrest__u128)f4 * g1_19;
    r1 = (cdrest__u128)f0 * g1 + (cdrest__u128)f1 * g0 + (cdrest__u128)f2 * g4_19 + (cdrest__u128)f3 * g3_19 +
         (cdrest__u128)f4 * g2_19;
    r2 = (cdrest__u128)f0 * g2 + (cdrest__u128)f1 * g1 + (cdrest__u128)f2 * g0 + (cdrest__u128)f3 * g4_19 +
         (cdrest__u128)f4 * g3_19;
    r3 = (cdrest__u128)f0 * g3 + (cdrest__u128)f1 * g2 + (cdrest__u128)f2 * g1 + (cdrest__u128)f3 * g0 +
         (cdrest__u128)f4 * g4_19;
    r4 = (cdrest__u128)f0 * g4 + (cdrest__u128)f1 * g3 + (cdrest__u128)f2 * g2 + (cdrest__u128)f3 * g1 +
         (cdrest__u128)f4 * g0;
    cdrest__fe_carry(h, r0, r1, r2, r3, r4);
}

/* f^2: the products of mul with the symmetric ones merged (doubled). */
static void cdrest__fe_sq(cdrest__fe h, const cdrest__fe f) {
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3, f3_19 = 19 * f3,
             f4_19 = 19 * f4;
    cdrest__u128 r0, r1, r2, r3, r4;
    r0 = (cdrest__u128)f0 * f0 + (cdrest__u128)f1_38 * f4 + (cdrest__u128)f2_38 * f3;
    r1 = (cdrest__u128)f0_2 * f1 + (cdrest__u128)f2_38 * f4 + (cdrest__u128)f3_19 * f3;
    r2 = (cdrest__u128)f0_2 * f2 + (cdrest__u128)f1 * f1 + (cdrest__u128)f3_38 * f4;
    r3 = (cdrest__u128)f0_2 * f3 + (cdrest__u128)f1_2 * f2 + (cdrest__u128)f4_19 * f4;
    r4 = (cdrest__u128)f0_2 * f4 + (cdrest__u128)f1_2 * f3 + (cdrest__u128)f2 * f2;
    cdrest__fe_carry(h, r0, r1, r2, r3, r4);
}

/* f squared n times (n >= 1; a public count). */
static void cdrest__fe_sqn(cdrest__fe h, const cdrest__fe f, int n) {
    cdrest__fe_sq(h, f);
    while (--n > 0) cdrest__fe_sq(h, h);
}

/* f * a24, a24 = (486662 - 2) / 4 = 121665 (RFC 7748's constant for the ladder). */
static void cdrest__fe_mul_a24(cdrest__fe h, const cdrest__fe f) {
    cdrest__fe_carry(h, (cdrest__u128)f[0] * 121665, (cdrest__u128)f[1] * 121665, (cdrest__u128)f[2] * 121665,
                     (cdrest__u128)f[3] * 121665, (cdrest__u128)f[4] * 121665);
}

/* 1/z = z^(p-2) = z^(2^255 - 21) by a fixed chain (254 squarings, 11 products); 0 gives 0. */
static void cdrest__fe_invert(cdrest__fe out, const cdrest__fe z) {
    cdrest__fe z2, z9, z11, z5_0, z10_0, z20_0, z50_0, z100_0, t;
    cdrest__fe_sq(z2, z);        /* z^2 */
    cdrest__fe_sqn(t, z2, 2);    /* z^8 */
    cdrest__fe_mul(z9, t, z);    /* z^9 */
    cdrest__fe_mul(z11, z9, z2); /* z^11 */
    cdrest__fe_sq(t, z11);       /* z^22 */
    cdrest__fe_mul(z5_0, t, z9); /* z^(2^5 - 1) */
    cdrest__fe_sqn(t, z5_0, 5);
    cdrest__fe_mul(z10_0, t, z5_0); /* z^(2^10 - 1) */
    cdrest__fe_sqn(t, z10_0, 10);
    cdrest__fe_mul(z20_0, t, z10_0); /* z^(2^20 - 1) */
    cdrest__fe_sqn(t, z20_0, 20);
    cdrest__fe_mul(t, t, z20_0); /* z^(2^40 - 1) */
    cdrest__fe_sqn(t, t, 10);
    cdrest__fe_mul(z50_0, t, z10_0); /* z^(2^50 - 1) */
    cdrest__fe_sqn(t, z50_0, 50);
    cdrest__fe_mul(z100_0, t, z50_0); /* z^(2^100 - 1) */
    cdrest__fe_sqn(t, z100_0, 100);
    cdrest__fe_mul(t, t, z100_0); /* z^(2^200 - 1) */
    cdrest__fe_sqn(t, t, 50);
    cdrest__fe_mul(t, t, z50_0); /* z^(2^250 - 1) */
    cdrest__fe_sqn(t, t, 5);     /* z^(2^255 - 32) */
    cdrest__fe_mul(out, t, z11); /* z^(2^255 - 21) */
}

/* The one value in [0, p) equal to h, 32 bytes little-endian. No branch: h is secret. */
static void cdrest__fe_store(unsigned char s[32], const cdrest__fe f) {
    uint64_t h[5], q;
    int pass, i;
    for (i = 0; i < 5; i++) h[i] = f[i];
    /* two carry passes: every limb < 2^51, so h < 2^255 < 2p */
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < 4; i++) {
            h[i + 1] += h[i] >> 51;
            h[i] &= CDREST__FE_MASK;
        }
        h[0] += 19 * (h[4] >> 51);
        h[4] &= CDREST__FE_MASK;
    }
    /* q = 1 when h >= p, i.e. when h + 19 carries into bit 255; then h + 19 - 2^255 */
    q = (h[0] + 19) >> 51;
    for (i = 1; i < 5; i++) q = (h[i] + q) >> 51;
    h[0] += 19 * q;
    for (i = 0; i < 4; i++) {
        h[i + 1] += h[i] >> 51;
        h[i] &= CDREST__FE_MASK;
    }
    h[4] &= CDREST__FE_MASK;
    cdrest__x25519_st64(s, h[0] | h[1] << 51);
    cdrest__x25519_st64(s + 8, h[1] >> 13 | h[2] << 38);
    cdrest__x25519_st64(s + 16, h[2] >> 26 | h[3] << 25);
    cdrest__x25519_st64(s + 24, h[3] >> 39 | h[4] << 12);
}

/* Exchange f and g when bit is 1, by a mask: the same instructions and memory either way.
   The empty asm hides from the optimizer that mask is 0 or all ones (it could otherwise
   turn the masking back into a branch). */
static void cdrest__fe_cswap(cdrest__fe f, cdrest__fe g, uint64_t bit) {
    uint64_t mask = 0 - bit, t0, t1, t2, t3, t4;
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(mask));
#endif
    t0 = mask & (f[0] ^ g[0]);
    t1 = mask & (f[1] ^ g[1]);
    t2 = mask & (f[2] ^ g[2]);
    t3 = mask & (f[3] ^ g[3]);
    t4 = mask & (f[4] ^ g[4]);
    f[0] ^= t0, g[0] ^= t0;
    f[1] ^= t1, g[1] ^= t1;
    f[2] ^= t2, g[2] ^= t2;
    f[3] ^= t3, g[3] ^= t3;
    f[4] ^= t4, g[4] ^= t4;
}

/* RFC 7748's X25519(k, u) over the clamped scalar k: the u of k * (u, v) into out (which
   may be u). Everything the ladder held is wiped after: it derives from the scalar. */
static void cdrest__x25519(unsigned char out[32], const unsigned char k[32], const unsigned char u[32]) {
    struct {
        cdrest__fe x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb;
        uint64_t swap, bit;
    } v;
    int i;
    memset(&v, 0, sizeof v);
    cdrest__fe_load(v.x1, u);
    v.x2[0] = 1;
    memcpy(v.x3, v.x1, sizeof v.x1);
    v.z3[0] = 1;
    for (i = 254; i >= 0; i--) {
        v.bit = (uint64_t)(k[i >> 3] >> (i & 7)) & 1;
        v.swap ^= v.bit;
        cdrest__fe_cswap(v.x2, v.x3, v.swap);
        cdrest__fe_cswap(v.z2, v.z3, v.swap);
        v.swap = v.bit;
        cdrest__fe_add(v.a, v.x2, v.z2);
        cdrest__fe_sq(v.aa, v.a);
        cdrest__fe_sub(v.b, v.x2, v.z2);
        cdrest__fe_sq(v.bb, v.b);
        cdrest__fe_sub(v.e, v.aa, v.bb);
        cdrest__fe_add(v.c, v.x3, v.z3);
        cdrest__fe_sub(v.d, v.x3, v.z3);
        cdrest__fe_mul(v.da, v.d, v.a);
        cdrest__fe_mul(v.cb, v.c, v.b);
        cdrest__fe_add(v.x3, v.da, v.cb);
        cdrest__fe_sq(v.x3, v.x3);
        cdrest__fe_sub(v.z3, v.da, v.cb);
        cdrest__fe_sq(v.z3, v.z3);
        cdrest__fe_mul(v.z3, v.z3, v.x1);
        cdrest__fe_mul(v.x2, v.aa, v.bb);
        cdrest__fe_mul_a24(v.z2, v.e);
        cdrest__fe_add(v.z2, v.z2, v.aa);
        cdrest__fe_mul(v.z2, v.e, v.z2);
    }
    cdrest__fe_cswap(v.x2, v.x3, v.swap);
    cdrest__fe_cswap(v.z2, v.z3, v.swap);
    cdrest__fe_invert(v.z2, v.z2);
    cdrest__fe_mul(v.x2, v.x2, v.z2);
    cdrest__fe_store(out, v.x2);
    cdrest__wipe(&v, sizeof v);
}

/* br_ec_impl's mul for Curve25519, other curves to BearSSL's default. */
static uint32_t cdrest__x25519_ec_mul(unsigned char *G, size_t Glen, const unsigned char *x, size_t xlen, int curve) {
    unsigned char k[32];
    if (curve != BR_EC_curve25519) return br_ec_get_default()->mul(G, Glen, x, xlen, curve);
    if (Glen != 32 || xlen > 32) return 0;
    memset(k, 0, sizeof k);
    if (xlen) memcpy(k, x, xlen);
    k[0] &= 0xF8;
    k[31] = (unsigned char)((k[31] & 0x7F) | 0x40);
    cdrest__x25519(G, k, G);
    cdrest__wipe(k, sizeof k);
    return 1;
}

/* mulgen: the generator u = 9 times x; 32 (the point's length) whatever happened, as
   BearSSL's does (a scalar over 32 bytes leaves the generator there). */
static size_t cdrest__x25519_ec_mulgen(unsigned char *R, const unsigned char *x, size_t xlen, int curve) {
    if (curve != BR_EC_curve25519) return br_ec_get_default()->mulgen(R, x, xlen, curve);
    memset(R, 0, 32);
    R[0] = 9;
    cdrest__x25519_ec_mul(R, 32, x, xlen, curve);
    return 32;
}

static const unsigned char *cdrest__x25519_ec_generator(int curve, size_t *len) {
    return br_ec_get_default()->generator(curve, len);
}
static const unsigned char *cdrest__x25519_ec_order(int curve, size_t *len) {
    return br_ec_get_default()->order(curve, len);
}
static size_t cdrest__x25519_ec_xoff(int curve, size_t *len) {
    return br_ec_get_default()->xoff(curve, len);
}
static uint32_t cdrest__x25519_ec_muladd(unsigned char *A, const unsigned char *B, size_t len, const unsigned char *x,
                                         size_t xlen, const unsigned char *y, size_t ylen, int curve) {
    return br_ec_get_default()->muladd(A, B, len, x, xlen, y, ylen, curve);
}

/* The engine's EC implementation: BearSSL's default with our Curve25519 multiplications.
   The curves are those every BearSSL default supports (Curve25519, P-256, P-384, P-521). */
static const br_ec_impl cdrest__x25519_ec = { ((uint32_t)1 << BR_EC_curve25519) | ((uint32_t)1 << BR_EC_secp256r1) |
                                                  ((uint32_t)1 << BR_EC_secp384r1) | ((uint32_t)1 << BR_EC_secp521r1),
                                              cdrest__x25519_ec_generator,
                                              cdrest__x25519_ec_order,
                                              cdrest__x25519_ec_xoff,
                                              cdrest__x25519_ec_mul,
                                              cdrest__x25519_ec_mulgen,
                                              cdrest__x25519_ec_muladd };
#endif /* CDREST__FAST_PK */

/* ---- signature checks (ECDSA P-256, RSA PKCS#1 v1.5), variable time on public data ----
   Why: Debian's BearSSL 0.6 checks signatures with portable 31-bit code; on a full handshake
   one ECDSA P-256 check cost ~9 M instructions and one RSA-2048 check ~1.4 M (bench
   callgrind). Here: the same checks in 64-bit limbs (unsigned __int128 products), plugged
   into the engine and the X.509 engine by cdrest__sig_install; everything else (other
   curves, other exponents and sizes) goes to BearSSL's own code. Same contracts as
   br_ecdsa_i31_vrfy_asn1 and br_rsa_i31_pkcs1_vrfy: tests/test_sigcheck.c and
   fuzz/fuzz_sigcheck.c compare verdicts and outputs with BearSSL's.
   These functions handle PUBLIC data only (the server's key, its signature, the hash), so
   they are variable-time on purpose: simpler and faster, and nothing secret can leak. */
#ifdef CDREST__FAST_PK

/* 256-bit numbers: four 64-bit limbs, least significant first.
   x + y + *carry and x - y - *borrow, one limb, the carry or borrow out in place. */
static uint64_t cdrest__sig_addc(uint64_t x, uint64_t y, uint64_t *carry) {
    uint64_t s = x + *carry, t = s + y;
    *carry = (s < x) | (t < s);
    return t;
}

static uint64_t cdrest__sig_subb(uint64_t x, uint64_t y, uint64_t *borrow) {
    uint64_t s = x - y, t = s - *borrow;
    *borrow = (x < y) | (s < *borrow);
    return t;
}

static uint64_t cdrest__w4_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t carry = 0;
    int i;
    for (i = 0; i < 4; i++) r[i] = cdrest__sig_addc(a[i], b[i], &carry);
    return carry;
}

static uint64_t cdrest__w4_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t borrow = 0;
    int i;
    for (i = 0; i < 4; i++) r[i] = cdrest__sig_subb(a[i], b[i], &borrow);
    return borrow;
}

static int cdrest__w4_cmp(const uint64_t a[4], const uint64_t b[4]) {
    int i;
    for (i = 3; i >= 0; i--)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

static int cdrest__w4_is_zero(const uint64_t a[4]) {
    return (a[0] | a[1] | a[2] | a[3]) == 0;
}

/* Big-endian bytes (any length, leading zeros allowed) to limbs; 0 when the value needs
   more than 256 bits. */
static int cdrest__w4_decode(uint64_t r[4], const unsigned char *src, size_t len) {
    size_t i;
    memset(r, 0, 4 * sizeof r[0]);
    for (i = 0; i < len; i++) {
        unsigned char b = src[len - 1 - i]; /* weight 256^i */
        if (i >= 32) {
            if (b) return 0;
        } else {
            r[i >> 3] |= (uint64_t)b << ((i & 7) * 8);
        }
    }
    return 1;
}

/* The same, and 0 unless the value is below m (BearSSL's br_i31_decode_mod). */
static int cdrest__w4_decode_mod(uint64_t r[4], const unsigned char *src, size_t len, const uint64_t m[4]) {
    return cdrest__w4_decode(r, src, len) && cdrest__w4_cmp(r, m) < 0;
}

static void cdrest__w4_encode(unsigned char dst[32], const uint64_t a[4]) {
    int i;
    for (i = 0; i < 32; i++) dst[31 - i] = (unsigned char)(a[i >> 3] >> ((i & 7) * 8));
}

/* *lo = the low half of a*b + t + c, returned: the high half (which cannot overflow).
   64-bit adds with explicit carries: compilers keep these in registers better than 128-bit
   sums. */
static uint64_t cdrest__sig_mac(uint64_t *lo, uint64_t a, uint64_t b, uint64_t t, uint64_t c) {
    cdrest__u128 z = (cdrest__u128)a * b;
    uint64_t l = (uint64_t)z, h = (uint64_t)(z >> 64);
    l += t;
    h += l < t;
    l += c;
    h += l < c;
    *lo = l;
    return h;
}

/* Montgomery product a*b / 2^256 mod m (m odd, m0i = -1/m mod 2^64, a, b < m): word by word
   (CIOS), the running value in locals so that it stays in registers, one subtraction at the
   end since the result is below 2m. */
static void cdrest__w4_montmul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4], const uint64_t m[4],
                               uint64_t m0i) {
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, c, q, d[4];
    int i;
    for (i = 0; i < 4; i++) {
        c = cdrest__sig_mac(&t0, a[i], b[0], t0, 0);
        c = cdrest__sig_mac(&t1, a[i], b[1], t1, c);
        c = cdrest__sig_mac(&t2, a[i], b[2], t2, c);
        c = cdrest__sig_mac(&t3, a[i], b[3], t3, c);
        t4 += c;
        t5 = t4 < c;
        q = t0 * m0i; /* t + q m is a multiple of 2^64: drop the low limb */
        c = cdrest__sig_mac(&t0, q, m[0], t0, 0);
        c = cdrest__sig_mac(&t0, q, m[1], t1, c);
        c = cdrest__sig_mac(&t1, q, m[2], t2, c);
        c = cdrest__sig_mac(&t2, q, m[3], t3, c);
        t3 = t4 + c;
        t4 = t5 + (t3 < c);
    }
    r[0] = t0, r[1] = t1, r[2] = t2, r[3] = t3;
    c = cdrest__w4_sub(d, r, m);
    if (t4 || !c) memcpy(r, d, sizeof d);
}

/* x / 2 mod m (m odd, x < m): x + m when x is odd, then a shift (the sum may take 257 bits). */
static void cdrest__w4_half_mod(uint64_t x[4], const uint64_t m[4]) {
    uint64_t top = (x[0] & 1) ? cdrest__w4_add(x, x, m) : 0;
    x[0] = (x[0] >> 1) | (x[1] << 63);
    x[1] = (x[1] >> 1) | (x[2] << 63);
    x[2] = (x[2] >> 1) | (x[3] << 63);
    x[3] = (x[3] >> 1) | (top << 63);
}

static void cdrest__w4_submod(uint64_t r[4], const uint64_t a[4], const uint64_t b[4], const uint64_t m[4]) {
    if (cdrest__w4_sub(r, a, b)) cdrest__w4_add(r, r, m);
}

static int cdrest__w4_is_one(const uint64_t a[4]) {
    return a[0] == 1 && (a[1] | a[2] | a[3]) == 0;
}

/* 1/a mod m for a prime m and 0 < a < m: binary extended Euclid, keeping x1 a = u and
   x2 a = v (mod m) while u and v shrink to 1 (~20 K instructions where Fermat's a^(m-2)
   takes ~300 products). Variable time: only public values are inverted here. */
static void cdrest__w4_inv(uint64_t r[4], const uint64_t a[4], const uint64_t m[4]) {
    uint64_t u[4], v[4], x1[4] = { 1, 0, 0, 0 }, x2[4] = { 0, 0, 0, 0 };
    memcpy(u, a, sizeof u);
    memcpy(v, m, sizeof v);
    memset(r, 0, sizeof u);
    /* gcd(u, v) = 1 throughout, so u and v never reach 0; the checks only make sure that
       a caller's mistake (a = 0) gives 0 instead of a hang */
    while (!cdrest__w4_is_one(u) && !cdrest__w4_is_one(v)) {
        if (cdrest__w4_is_zero(u) || cdrest__w4_is_zero(v)) return;
        while (!(u[0] & 1)) { /* u even: halve it, and x1 with it */
            u[0] = (u[0] >> 1) | (u[1] << 63), u[1] = (u[1] >> 1) | (u[2] << 63);
            u[2] = (u[2] >> 1) | (u[3] << 63), u[3] >>= 1;
            cdrest__w4_half_mod(x1, m);
        }
        while (!(v[0] & 1)) {
            v[0] = (v[0] >> 1) | (v[1] << 63), v[1] = (v[1] >> 1) | (v[2] << 63);
            v[2] = (v[2] >> 1) | (v[3] << 63), v[3] >>= 1;
            cdrest__w4_half_mod(x2, m);
        }
        if (cdrest__w4_cmp(u, v) >= 0) {
            cdrest__w4_sub(u, u, v);
            cdrest__w4_submod(x1, x1, x2, m);
        } else {
            cdrest__w4_sub(v, v, u);
            cdrest__w4_submod(x2, x2, x1, m);
        }
    }
    memcpy(r, cdrest__w4_is_one(u) ? x1 : x2, sizeof x1);
}

/* P-256 (FIPS 186-4 D.1.2.3): field prime p, group order n, b and G in Montgomery form
   (times 2^256 mod p), 2^512 mod p and mod n for conversions, -1/m mod 2^64. */
static const uint64_t cdrest__p256_p[4] = { 0xffffffffffffffffu, 0x00000000ffffffffu, 0x0000000000000000u,
                                            0xffffffff00000001u };
static const uint64_t cdrest__p256_n[4] = { 0xf3b9cac2fc632551u, 0xbce6faada7179e84u, 0xffffffffffffffffu,
                                            0xffffffff00000000u };
static const uint64_t cdrest__p256_b[4] = { 0xd89cdf6229c4bddfu, 0xacf005cd78843090u, 0xe5a220abf7212ed6u,
                                            0xdc30061d04874834u };
static const uint64_t cdrest__p256_gx[4] = { 0x79e730d418a9143cu, 0x75ba95fc5fedb601u, 0x79fb732b77622510u,
                                             0x18905f76a53755c6u };
static const uint64_t cdrest__p256_gy[4] = { 0xddf25357ce95560au, 0x8b4ab8e4ba19e45cu, 0xd2e88688dd21f325u,
                                             0x8571ff1825885d85u };
static const uint64_t cdrest__p256_r2p[4] = { 0x0000000000000003u, 0xfffffffbffffffffu, 0xfffffffffffffffeu,
                                              0x00000004fffffffdu };
static const uint64_t cdrest__p256_r2n[4] = { 0x83244c95be79eea2u, 0x4699799c49bd6fa6u, 0x2845b2392b6bec59u,
                                              0x66e12d94f3d95620u };
static const uint64_t cdrest__p256_onep[4] = { 0x0000000000000001u, 0xffffffff00000000u, 0xffffffffffffffffu,
                                               0x00000000fffffffeu };
#define CDREST__P256_P0I ((uint64_t)1)
#define CDREST__P256_N0I ((uint64_t)0xccd1c8aaee00bc4fu)

/* Field arithmetic mod p, values in Montgomery form. The product is cdrest__w4_montmul's
   with p's shape put in: -1/p mod 2^64 = 1 (so q is the low limb), p0 = 2^64 - 1 (the low
   limb's row is q 2^64), p2 = 0; half the reduction's multiplications go. */
static void cdrest__p256_fmul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    const uint64_t *m = cdrest__p256_p;
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, c, q, d[4];
    int i;
    for (i = 0; i < 4; i++) {
        c = cdrest__sig_mac(&t0, a[i], b[0], t0, 0);
        c = cdrest__sig_mac(&t1, a[i], b[1], t1, c);
        c = cdrest__sig_mac(&t2, a[i], b[2], t2, c);
        c = cdrest__sig_mac(&t3, a[i], b[3], t3, c);
        t4 += c;
        t5 = t4 < c;
        q = t0; /* t + q p: its low limb is q + q (2^64 - 1) = q 2^64 */
        c = cdrest__sig_mac(&t0, q, m[1], t1, q);
        t1 = t2 + c;
        c = t1 < c;
        c = cdrest__sig_mac(&t2, q, m[3], t3, c);
        t3 = t4 + c;
        t4 = t5 + (t3 < c);
    }
    r[0] = t0, r[1] = t1, r[2] = t2, r[3] = t3;
    c = cdrest__w4_sub(d, r, m);
    if (t4 || !c) memcpy(r, d, sizeof d);
}
/* a + b and a - b mod p, straight-line (the point formulas make thousands of these). */
static void cdrest__p256_fadd(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    const uint64_t *p = cdrest__p256_p;
    uint64_t c = 0, w = 0, t0, t1, t2, t3, d0, d1, d2, d3;
    t0 = cdrest__sig_addc(a[0], b[0], &c);
    t1 = cdrest__sig_addc(a[1], b[1], &c);
    t2 = cdrest__sig_addc(a[2], b[2], &c);
    t3 = cdrest__sig_addc(a[3], b[3], &c);
    d0 = cdrest__sig_subb(t0, p[0], &w);
    d1 = cdrest__sig_subb(t1, p[1], &w);
    d2 = cdrest__sig_subb(t2, p[2], &w);
    d3 = cdrest__sig_subb(t3, p[3], &w);
    if (c || !w) t0 = d0, t1 = d1, t2 = d2, t3 = d3; /* the sum was p or more */
    r[0] = t0, r[1] = t1, r[2] = t2, r[3] = t3;
}

static void cdrest__p256_fsub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    const uint64_t *p = cdrest__p256_p;
    uint64_t c = 0, w = 0, t0, t1, t2, t3;
    t0 = cdrest__sig_subb(a[0], b[0], &w);
    t1 = cdrest__sig_subb(a[1], b[1], &w);
    t2 = cdrest__sig_subb(a[2], b[2], &w);
    t3 = cdrest__sig_subb(a[3], b[3], &w);
    if (w) { /* negative: add p back */
        t0 = cdrest__sig_addc(t0, p[0], &c);
        t1 = cdrest__sig_addc(t1, p[1], &c);
        t2 = cdrest__sig_addc(t2, p[2], &c);
        t3 = cdrest__sig_addc(t3, p[3], &c);
    }
    r[0] = t0, r[1] = t1, r[2] = t2, r[3] = t3;
}

/* Jacobian point (X/Z^2, Y/Z^3), coordinates in Montgomery form; Z = 0 is the point at
   infinity. */
typedef struct {
    uint64_t x[4], y[4], z[4];
} cdrest__p256_pt;

/* 2P with a = -3 ("dbl-2001-b", Bernstein-Lange EFD); infinity stays infinity (Z3 = 2YZ). */
static void cdrest__p256_double(cdrest__p256_pt *r, const cdrest__p256_pt *p) {
    uint64_t delta[4], gamma[4], beta[4], alpha[4], t1[4], t2[4];
    cdrest__p256_fmul(delta, p->z, p->z);
    cdrest__p256_fmul(gamma, p->y, p->y);
    cdrest__p256_fmul(beta, p->x, gamma);
    cdrest__p256_fsub(t1, p->x, delta);
    cdrest__p256_fadd(t2, p->x, delta);
    cdrest__p256_fmul(alpha, t1, t2);
    cdrest__p256_fadd(t1, alpha, alpha);
    cdrest__p256_fadd(alpha, alpha, t1); /* alpha = 3 (X - delta)(X + delta) */
    cdrest__p256_fadd(t1, p->y, p->z);
    cdrest__p256_fmul(t1, t1, t1);
    cdrest__p256_fsub(t1, t1, gamma);
    cdrest__p256_fsub(r->z, t1, delta); /* Z3 = (Y + Z)^2 - gamma - delta (before X3: r may be p) */
    cdrest__p256_fadd(beta, beta, beta);
    cdrest__p256_fadd(beta, beta, beta); /* 4 beta */
    cdrest__p256_fmul(t1, alpha, alpha);
    cdrest__p256_fadd(t2, beta, beta);
    cdrest__p256_fsub(r->x, t1, t2); /* X3 = alpha^2 - 8 beta */
    cdrest__p256_fsub(t1, beta, r->x);
    cdrest__p256_fmul(t1, alpha, t1);
    cdrest__p256_fmul(t2, gamma, gamma);
    cdrest__p256_fadd(t2, t2, t2);
    cdrest__p256_fadd(t2, t2, t2);
    cdrest__p256_fadd(t2, t2, t2); /* 8 gamma^2 */
    cdrest__p256_fsub(r->y, t1, t2);
}

/* P + Q (general Jacobian addition), with its special cases: either input at infinity,
   P = Q (doubling), P = -Q (infinity). r may be p or q. */
static void cdrest__p256_add(cdrest__p256_pt *r, const cdrest__p256_pt *p, const cdrest__p256_pt *q) {
    uint64_t z1z1[4], z2z2[4], u1[4], u2[4], s1[4], s2[4], h[4], rr[4], hh[4], hhh[4], v[4], t[4];
    if (cdrest__w4_is_zero(p->z)) {
        *r = *q;
        return;
    }
    if (cdrest__w4_is_zero(q->z)) {
        *r = *p;
        return;
    }
    cdrest__p256_fmul(z1z1, p->z, p->z);
    cdrest__p256_fmul(z2z2, q->z, q->z);
    cdrest__p256_fmul(u1, p->x, z2z2);
    cdrest__p256_fmul(u2, q->x, z1z1);
    cdrest__p256_fmul(s1, p->y, q->z);
    cdrest__p256_fmul(s1, s1, z2z2);
    cdrest__p256_fmul(s2, q->y, p->z);
    cdrest__p256_fmul(s2, s2, z1z1);
    cdrest__p256_fsub(h, u2, u1);
    cdrest__p256_fsub(rr, s2, s1);
    if (cdrest__w4_is_zero(h)) {
        if (cdrest__w4_is_zero(rr)) {
            cdrest__p256_double(r, p);
        } else {
            memset(r, 0, sizeof *r);
        }
        return;
    }
    cdrest__p256_fmul(hh, h, h);
    cdrest__p256_fmul(hhh, hh, h);
    cdrest__p256_fmul(v, u1, hh);
    cdrest__p256_fmul(t, p->z, q->z);
    cdrest__p256_fmul(r->z, t, h); /* p and q are read no more below but for s1, v: locals */
    cdrest__p256_fmul(t, rr, rr);
    cdrest__p256_fsub(t, t, hhh);
    cdrest__p256_fsub(t, t, v);
    cdrest__p256_fsub(r->x, t, v); /* X3 = R^2 - H^3 - 2 U1 H^2 */
    cdrest__p256_fsub(t, v, r->x);
    cdrest__p256_fmul(t, rr, t);
    cdrest__p256_fmul(s1, s1, hhh);
    cdrest__p256_fsub(r->y, t, s1); /* Y3 = R (U1 H^2 - X3) - S1 H^3 */
}

/* Width-5 NAF of a 256-bit scalar: digits odd in [-15, 15] or 0, at most one nonzero in
   any 5 consecutive; 257 digits at most. Returns the number of digits. */
static int cdrest__p256_wnaf(signed char naf[257], const uint64_t k[4]) {
    uint64_t v[5];
    int n = 0, i;
    memcpy(v, k, 4 * sizeof v[0]);
    v[4] = 0;
    memset(naf, 0, 257);
    while (v[0] | v[1] | v[2] | v[3] | v[4]) {
        if (v[0] & 1) {
            int d = (int)(v[0] & 31);
            if (d >= 16) d -= 32;
            naf[n] = (signed char)d;
            if (d > 0) { /* v -= d: no borrow past limb 0, whose low 5 bits are d */
                v[0] -= (uint64_t)d;
            } else { /* v += -d, with carries */
                uint64_t add = (uint64_t)-d;
                for (i = 0; i < 5 && add; i++) {
                    v[i] += add;
                    add = v[i] < add;
                }
            }
        }
        for (i = 0; i < 4; i++) v[i] = (v[i] >> 1) | (v[i + 1] << 63);
        v[4] >>= 1;
        n++;
    }
    return n;
}

/* tab[i] = (2i+1) P, for i = 0..7. */
static void cdrest__p256_odd_multiples(cdrest__p256_pt tab[8], const cdrest__p256_pt *p) {
    cdrest__p256_pt twice;
    int i;
    tab[0] = *p;
    cdrest__p256_double(&twice, p);
    for (i = 1; i < 8; i++) cdrest__p256_add(&tab[i], &tab[i - 1], &twice);
}

static void cdrest__p256_add_digit(cdrest__p256_pt *acc, const cdrest__p256_pt tab[8], int d) {
    cdrest__p256_pt neg;
    if (d > 0) {
        cdrest__p256_add(acc, acc, &tab[d >> 1]);
    } else if (d < 0) {
        neg = tab[(-d) >> 1];
        if (!cdrest__w4_is_zero(neg.y)) cdrest__w4_sub(neg.y, cdrest__p256_p, neg.y);
        cdrest__p256_add(acc, acc, &neg);
    }
}

/* Decode an uncompressed point (04 X Y) into Jacobian form (Z = 1); 0 unless 65 bytes,
   coordinates below p, and y^2 = x^3 - 3x + b. */
static int cdrest__p256_decode(cdrest__p256_pt *r, const unsigned char *src, size_t len) {
    uint64_t x[4], y[4], lhs[4], rhs[4], t[4];
    if (len != 65 || src[0] != 0x04) return 0;
    if (!cdrest__w4_decode_mod(x, src + 1, 32, cdrest__p256_p) ||
        !cdrest__w4_decode_mod(y, src + 33, 32, cdrest__p256_p))
        return 0;
    cdrest__p256_fmul(r->x, x, cdrest__p256_r2p);
    cdrest__p256_fmul(r->y, y, cdrest__p256_r2p);
    memcpy(r->z, cdrest__p256_onep, sizeof r->z);
    cdrest__p256_fmul(lhs, r->y, r->y);
    cdrest__p256_fmul(rhs, r->x, r->x);
    cdrest__p256_fmul(rhs, rhs, r->x);
    cdrest__p256_fadd(t, r->x, r->x);
    cdrest__p256_fadd(t, t, r->x);
    cdrest__p256_fsub(rhs, rhs, t);
    cdrest__p256_fadd(rhs, rhs, cdrest__p256_b);
    return cdrest__w4_cmp(lhs, rhs) == 0;
}

/* u1 G + u2 Q (u1, u2 below n), by interleaved width-5 NAFs (Shamir's trick), then to affine
   with one inversion. Returns 0 when the sum is the point at infinity;
   else xy[] gets X and Y, 32 bytes each, big-endian. */
static int cdrest__p256_muladd(unsigned char xy[64], const uint64_t u1[4], const cdrest__p256_pt *q,
                               const uint64_t u2[4]) {
    static const uint64_t one[4] = { 1, 0, 0, 0 };
    cdrest__p256_pt g, tg[8], tq[8], acc;
    signed char n1[257], n2[257];
    uint64_t zi[4], zi2[4], t[4];
    int l1, l2, i;
    memcpy(g.x, cdrest__p256_gx, sizeof g.x);
    memcpy(g.y, cdrest__p256_gy, sizeof g.y);
    memcpy(g.z, cdrest__p256_onep, sizeof g.z);
    cdrest__p256_odd_multiples(tg, &g);
    cdrest__p256_odd_multiples(tq, q);
    l1 = cdrest__p256_wnaf(n1, u1);
    l2 = cdrest__p256_wnaf(n2, u2);
    memset(&acc, 0, sizeof acc);
    for (i = (l1 > l2 ? l1 : l2) - 1; i >= 0; i--) {
        if (!cdrest__w4_is_zero(acc.z)) cdrest__p256_double(&acc, &acc);
        cdrest__p256_add_digit(&acc, tg, n1[i]);
        cdrest__p256_add_digit(&acc, tq, n2[i]);
    }
    if (cdrest__w4_is_zero(acc.z)) return 0;
    cdrest__w4_inv(zi, acc.z, cdrest__p256_p); /* 1/(Z R) = 1/Z R^-1; times R^2 twice: 1/Z R */
    cdrest__p256_fmul(zi, zi, cdrest__p256_r2p);
    cdrest__p256_fmul(zi, zi, cdrest__p256_r2p);
    cdrest__p256_fmul(zi2, zi, zi);
    cdrest__p256_fmul(t, acc.x, zi2);
    cdrest__p256_fmul(t, t, one); /* out of Montgomery form */
    cdrest__w4_encode(xy, t);
    cdrest__p256_fmul(t, acc.y, zi2);
    cdrest__p256_fmul(t, t, zi);
    cdrest__p256_fmul(t, t, one);
    cdrest__w4_encode(xy + 32, t);
    return 1;
}

/* The ECDSA check on P-256 (SEC 1 4.1.4) for r and s as big-endian bytes of any length
   (leading zeros allowed, as BearSSL's raw form). */
static uint32_t cdrest__p256_vrfy(const unsigned char *hash, size_t hash_len, const unsigned char *q, size_t qlen,
                                  const unsigned char *rb, size_t rlen, const unsigned char *sb, size_t slen) {
    cdrest__p256_pt pq;
    uint64_t r[4], s[4], e[4], w[4], u1[4], u2[4], x[4];
    unsigned char xy[64];
    if (!cdrest__p256_decode(&pq, q, qlen)) return 0;
    if (!cdrest__w4_decode_mod(r, rb, rlen, cdrest__p256_n) || cdrest__w4_is_zero(r)) return 0;
    if (!cdrest__w4_decode_mod(s, sb, slen, cdrest__p256_n) || cdrest__w4_is_zero(s)) return 0;
    /* e = the hash's leftmost 256 bits, reduced mod n (one subtraction: it is below 2^256). */
    cdrest__w4_decode(e, hash, hash_len < 32 ? hash_len : 32);
    if (cdrest__w4_cmp(e, cdrest__p256_n) >= 0) cdrest__w4_sub(e, e, cdrest__p256_n);
    /* A hash equal to 0 mod n makes u1 = 0, where BearSSL's muladd is documented as
       indeterminate (m31 returns a wrong point, so BearSSL refuses such signatures): refused
       here outright, to give the same verdicts. No real hash is 0 or n. */
    if (cdrest__w4_is_zero(e)) return 0;
    /* w = 1/s in Montgomery form; u1 = e w, u2 = r w (plain: R cancels). */
    cdrest__w4_inv(w, s, cdrest__p256_n);
    cdrest__w4_montmul(w, w, cdrest__p256_r2n, cdrest__p256_n, CDREST__P256_N0I); /* 1/s R */
    cdrest__w4_montmul(u1, e, w, cdrest__p256_n, CDREST__P256_N0I);
    cdrest__w4_montmul(u2, r, w, cdrest__p256_n, CDREST__P256_N0I);
    if (!cdrest__p256_muladd(xy, u1, &pq, u2)) return 0;
    cdrest__w4_decode_mod(x, xy, 32, cdrest__p256_p);
    if (cdrest__w4_cmp(x, cdrest__p256_n) >= 0) cdrest__w4_sub(x, x, cdrest__p256_n);
    return cdrest__w4_cmp(x, r) == 0;
}

/* br_ecdsa_vrfy, ASN.1 form: SEQUENCE { INTEGER r, INTEGER s } read by exactly the rules of
   BearSSL's br_ecdsa_asn1_to_raw (so both engines agree on every input): at most 144 bytes
   in all (br_ecdsa_i31_vrfy_asn1's buffer), a SEQUENCE length of one byte or 0x81 and one
   byte that ends exactly at the end, two INTEGERs of short-form lengths the second of which
   ends exactly there too; leading zero bytes are allowed and stripped, and the values are
   read unsigned. Other curves: BearSSL's. */
static uint32_t cdrest__ecdsa_vrfy_asn1(const br_ec_impl *impl, const void *hash, size_t hash_len,
                                        const br_ec_public_key *pk, const void *sig, size_t sig_len) {
    const unsigned char *b = (const unsigned char *)sig;
    size_t off, rlen, slen, roff;
    if (pk->curve != BR_EC_secp256r1) return br_ecdsa_i31_vrfy_asn1(impl, hash, hash_len, pk, sig, sig_len);
    if (!((impl->supported_curves >> BR_EC_secp256r1) & 1)) return 0;
    if (sig_len < 8 || sig_len > 144 || b[0] != 0x30) return 0;
    if (b[1] > 0x80) {
        if (b[1] != 0x81 || b[2] != sig_len - 3) return 0;
        off = 3;
    } else {
        if (b[1] != sig_len - 2) return 0;
        off = 2;
    }
    if (b[off++] != 0x02) return 0;
    rlen = b[off++];
    if (rlen >= 0x80) return 0;
    roff = off;
    off += rlen;
    if (off + 2 > sig_len || b[off++] != 0x02) return 0;
    slen = b[off++];
    if (slen >= 0x80 || slen != sig_len - off) return 0;
    return cdrest__p256_vrfy((const unsigned char *)hash, hash_len, pk->q, pk->qlen, b + roff, rlen, b + off, slen);
}

/* RSA: numbers of up to 4096 bits in 64-bit limbs, least significant first. */
#define CDREST__RSA_LIMBS 64

/* Montgomery product a*b / 2^(64 len) mod m (a, b < m; r may be a or b). */
static void cdrest__wn_montmul(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *m, uint64_t m0i,
                               size_t len) {
    uint64_t t[CDREST__RSA_LIMBS + 1];
    size_t i, j;
    memset(t, 0, (len + 1) * sizeof t[0]);
    for (i = 0; i < len; i++) { /* t = (t + a[i] b + q m) / 2^64, one pass over t (FIOS) */
        uint64_t c1, c2, q, x, y, k, ai = a[i];
        c1 = cdrest__sig_mac(&x, ai, b[0], t[0], 0);
        q = x * m0i; /* x + q m[0] is a multiple of 2^64: the low limb drops */
        c2 = cdrest__sig_mac(&x, q, m[0], x, 0);
        for (j = 1; j < len; j++) {
            c1 = cdrest__sig_mac(&x, ai, b[j], t[j], c1);
            c2 = cdrest__sig_mac(&t[j - 1], q, m[j], x, c2);
        }
        x = t[len] + c1;
        k = x < c1;
        y = x + c2;
        k += y < c2;
        t[len - 1] = y;
        t[len] = k; /* t stays below 2m */
    }
    /* t < 2m: subtract m once if t >= m */
    if (!t[len]) {
        for (i = len; i-- > 0;)
            if (t[i] != m[i]) break;
    }
    if (t[len] || i == (size_t)-1 || t[i] > m[i]) {
        uint64_t borrow = 0;
        for (j = 0; j < len; j++) t[j] = cdrest__sig_subb(t[j], m[j], &borrow);
    }
    memcpy(r, t, len * sizeof t[0]);
}

/* v = 2v mod m (v < m). */
static void cdrest__wn_double_mod(uint64_t *v, const uint64_t *m, size_t len) {
    uint64_t top = v[len - 1] >> 63, borrow = 0;
    size_t i;
    for (i = len - 1; i > 0; i--) v[i] = (v[i] << 1) | (v[i - 1] >> 63);
    v[0] <<= 1;
    if (!top) {
        for (i = len; i-- > 0;)
            if (v[i] != m[i]) break;
        if (i != (size_t)-1 && v[i] < m[i]) return;
    }
    for (i = 0; i < len; i++) v[i] = cdrest__sig_subb(v[i], m[i], &borrow);
}

/* x^e mod m for e = 3 or 65537 (m odd, x < m), in place, Montgomery multiplication without
   a window table: R^2 mod m from 2^(bits-1) by doublings then squarings, x into Montgomery
   form, 1 or 16 squarings, and a last product with the plain x that also leaves the
   Montgomery form. */
static void cdrest__rsa_pow(uint64_t *x, const uint64_t *m, size_t len, unsigned long e) {
    uint64_t r2[CDREST__RSA_LIMBS], y[CDREST__RSA_LIMBS], m0i = m[0];
    size_t bits = len * 64, nb, j = len * 64, k = 0, i;
    int sq;
    for (i = 0; i < 5; i++) m0i *= 2 - m[0] * m0i; /* Newton: 1/m mod 2^64 */
    m0i = (uint64_t)0 - m0i;
    nb = bits - 64;
    {
        uint64_t top = m[len - 1];
        while (top) {
            nb++;
            top >>= 1;
        }
    }
    memset(r2, 0, len * sizeof r2[0]);
    r2[(nb - 1) / 64] = (uint64_t)1 << ((nb - 1) % 64); /* 2^(nb-1) < m */
    while (j % 2 == 0 && j > 128) {
        j /= 2;
        k++;
    }
    for (i = 0; i < bits - nb + 1 + j; i++) cdrest__wn_double_mod(r2, m, len); /* 2^j R mod m */
    for (i = 0; i < k; i++) cdrest__wn_montmul(r2, r2, r2, m, m0i, len);       /* 2^(j 2^k) R = R^2 */
    cdrest__wn_montmul(y, x, r2, m, m0i, len);
    for (sq = e == 3 ? 1 : 16; sq > 0; sq--) cdrest__wn_montmul(y, y, y, m, m0i, len);
    cdrest__wn_montmul(x, y, x, m, m0i, len);
}

/* br_rsa_pkcs1_vrfy for moduli of 2041..4096 bits and exponents 3 and 65537 (others go to
   BearSSL's default). The padding is checked by building the whole expected encoding
   00 01 FF..FF 00 DigestInfo and comparing, never by parsing it (Bleichenbacher's 2006
   forgeries exploit lenient parsers); as BearSSL does, the DigestInfo may carry the NULL
   parameters or not. */
static uint32_t cdrest__rsa_pkcs1_vrfy(const unsigned char *x, size_t xlen, const unsigned char *hash_oid,
                                       size_t hash_len, const br_rsa_public_key *pk, unsigned char *hash_out) {
    const unsigned char *n = pk->n, *e = pk->e;
    size_t nlen = pk->nlen, elen = pk->elen, len, i, with_null;
    unsigned long ev;
    uint64_t m[CDREST__RSA_LIMBS], v[CDREST__RSA_LIMBS];
    unsigned char em[CDREST__RSA_LIMBS * 8], want[CDREST__RSA_LIMBS * 8];
    while (nlen > 0 && *n == 0) n++, nlen--;
    while (elen > 0 && *e == 0) e++, elen--;
    ev = elen == 1 && e[0] == 3 ? 3 : elen == 3 && e[0] == 1 && e[1] == 0 && e[2] == 1 ? 65537 : 0;
    if (!ev || nlen < 256 || nlen > CDREST__RSA_LIMBS * 8 || !hash_oid || hash_oid[0] > 32 || hash_len > 64)
        return br_rsa_pkcs1_vrfy_get_default()(x, xlen, hash_oid, hash_len, pk, hash_out);
    if (xlen != nlen || !(n[nlen - 1] & 1)) return 0;
    len = (nlen + 7) / 8;
    memset(m, 0, sizeof m);
    memset(v, 0, sizeof v);
    for (i = 0; i < nlen; i++) {
        m[i / 8] |= (uint64_t)n[nlen - 1 - i] << ((i % 8) * 8);
        v[i / 8] |= (uint64_t)x[nlen - 1 - i] << ((i % 8) * 8);
    }
    for (i = len; i-- > 0;)
        if (v[i] != m[i]) break;
    if (i == (size_t)-1 || v[i] > m[i]) return 0; /* the signature must be below n */
    cdrest__rsa_pow(v, m, len, ev);
    for (i = 0; i < nlen; i++) em[nlen - 1 - i] = (unsigned char)(v[i / 8] >> ((i % 8) * 8));
    for (with_null = 0; with_null < 2; with_null++) {
        size_t oidlen = hash_oid[0], algo = oidlen + 2 + (with_null ? 2 : 0); /* AlgorithmIdentifier body */
        size_t info = 2 + (2 + algo) + (2 + hash_len), pos;                   /* the whole DigestInfo */
        if (nlen < info + 11) continue;
        want[0] = 0x00;
        want[1] = 0x01;
        pos = nlen - info - 1;
        memset(want + 2, 0xFF, pos - 2);
        want[pos++] = 0x00;
        want[pos++] = 0x30;
        want[pos++] = (unsigned char)(info - 2);
        want[pos++] = 0x30;
        want[pos++] = (unsigned char)algo;
        want[pos++] = 0x06;
        memcpy(want + pos, hash_oid, oidlen + 1);
        pos += oidlen + 1;
        if (with_null) {
            want[pos++] = 0x05;
            want[pos++] = 0x00;
        }
        want[pos++] = 0x04;
        want[pos++] = (unsigned char)hash_len;
        if (memcmp(em, want, pos) == 0) {
            memcpy(hash_out, em + pos, hash_len);
            return 1;
        }
    }
    return 0;
}

/* Our checks into the engine (server key exchange) and the X.509 engine (the chain's
   signatures); the X.509 engine keeps its EC implementation, which other curves use. */
static void cdrest__sig_install(br_ssl_engine_context *eng, br_x509_minimal_context *x509) {
    br_ssl_engine_set_ecdsa(eng, cdrest__ecdsa_vrfy_asn1);
    br_ssl_engine_set_rsavrfy(eng, cdrest__rsa_pkcs1_vrfy);
    br_x509_minimal_set_ecdsa(x509, x509->iec, cdrest__ecdsa_vrfy_asn1);
    br_x509_minimal_set_rsa(x509, cdrest__rsa_pkcs1_vrfy);
}
#endif /* CDREST__FAST_PK: signature checks */

/* --- SHA-256 on the SHA extensions (x86-64) ------------------------------------------
   Why: BearSSL 0.6 hashes in portable code only (~3,500 instructions per 64-byte block),
   and a TLS 1.2 handshake hashes a lot: the transcript, the PRF's HMACs (key expansion,
   both Finished messages), the chain's signed parts. Where the CPU has the SHA
   extensions (sha256rnds2, sha256msg1/2; Intel since Goldmont and Ice Lake, AMD since
   Zen) a block costs a few dozen instructions. Plugged in through BearSSL's public hooks
   (cdrest__sha_install): the engine's transcript hash, the X.509 engine's and the TLS
   1.2 PRF of the SHA-256 suites; only when this CPU has them (asked once per client,
   at setup), BearSSL's own code otherwise. The engine's HMAC_DRBG keeps BearSSL's
   SHA-256 (it has no hook).
   Contract: BearSSL's br_sha256_vtable (same context layout, br_sha256_context, same desc,
   same state()/set_state() format: the eight words big-endian and the byte count);
   tests/test_sha256.c and fuzz/fuzz_sha256.c compare every call with BearSSL's. Data,
   not secrets, decide every branch and index: the secret (the HMAC key) goes through
   the same steps whatever it is. */
#if defined(CDREST__FAST_PK) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CDREST__SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>

/* 1 when this CPU runs the SHA extensions and SSSE3/SSE4.1 (which the code also uses). */
static int cdrest__cpu_has_sha_ni(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1)) return 0;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & ((unsigned)1 << 29)) != 0; /* leaf 7 EBX bit 29: SHA */
}

/* FIPS 180-4 section 4.2.2: the 64 round constants; 16-byte aligned for the vector loads. */
static const uint32_t cdrest__sha256_k[64] __attribute__((
    aligned(16))) = { 0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
                      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
                      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
                      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
                      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
                      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
                      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
                      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2 };

/* FIPS 180-4 section 5.3.3: the initial hash value. */
static const uint32_t cdrest__sha256_iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

/* sha256rnds2 does two rounds on the state split as {a, b, e, f} and {c, d, g, h} (a in
   the top lane), taking the two message-plus-constant words from the low lanes of its
   third operand: four rounds are two of them, on w[t..t+3] + k[t..t+3]. */
static __inline__ __attribute__((always_inline, target("sha,sse4.1,ssse3"))) void
cdrest__sha256_ni_4rounds(__m128i *abef, __m128i *cdgh, __m128i w, const uint32_t *k) {
    __m128i wk = _mm_add_epi32(w, _mm_load_si128((const __m128i *)(const void *)k));
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0E));
}

/* The message schedule's next four words w[t..t+3] from w0 = w[t-16..t-13], w1, w2 and
   w3 = w[t-4..t-1]: sha256msg1 adds sigma0(w[t-15..t-12]) to w0, then w[t-7..t-4]
   (w3:w2 shifted by one word), then sha256msg2 the sigma1 terms. */
static __inline__ __attribute__((always_inline, target("sha,sse4.1,ssse3"))) __m128i
cdrest__sha256_ni_next(__m128i w0, __m128i w1, __m128i w2, __m128i w3) {
    return _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4)), w3);
}

/* The compression function over n blocks, in place on val[8] (a, b, ..., h). Sixteen
   words of schedule live in four registers; each group of 16 rounds replaces them by
   the next 16 (the last group's are not used). */
__attribute__((target("sha,sse4.1,ssse3"))) static void cdrest__sha256_ni_blocks(uint32_t val[8],
                                                                                 const unsigned char *p, size_t n) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL); /* big-endian words */
    __m128i abcd = _mm_loadu_si128((const __m128i *)(const void *)val);
    __m128i efgh = _mm_loadu_si128((const __m128i *)(const void *)(val + 4));
    __m128i abef, cdgh, w0, w1, w2, w3, save0, save1;
    int q;
    abcd = _mm_shuffle_epi32(abcd, 0xB1);     /* lanes b a d c */
    efgh = _mm_shuffle_epi32(efgh, 0x1B);     /* lanes h g f e */
    abef = _mm_alignr_epi8(abcd, efgh, 8);    /* lanes f e b a */
    cdgh = _mm_blend_epi16(efgh, abcd, 0xF0); /* lanes h g d c */
    for (; n > 0; n--, p += 64) {
        save0 = abef, save1 = cdgh;
        w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), bswap);
        w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), bswap);
        w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), bswap);
        w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), bswap);
        for (q = 0; q < 64; q += 16) {
            cdrest__sha256_ni_4rounds(&abef, &cdgh, w0, cdrest__sha256_k + q);
            w0 = cdrest__sha256_ni_next(w0, w1, w2, w3);
            cdrest__sha256_ni_4rounds(&abef, &cdgh, w1, cdrest__sha256_k + q + 4);
            w1 = cdrest__sha256_ni_next(w1, w2, w3, w0);
            cdrest__sha256_ni_4rounds(&abef, &cdgh, w2, cdrest__sha256_k + q + 8);
            w2 = cdrest__sha256_ni_next(w2, w3, w0, w1);
            cdrest__sha256_ni_4rounds(&abef, &cdgh, w3, cdrest__sha256_k + q + 12);
            w3 = cdrest__sha256_ni_next(w3, w0, w1, w2);
        }
        abef = _mm_add_epi32(abef, save0);
        cdgh = _mm_add_epi32(cdgh, save1);
    }
    abef = _mm_shuffle_epi32(abef, 0x1B);                                           /* lanes a b e f */
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);                                           /* lanes g h c d */
    _mm_storeu_si128((__m128i *)(void *)val, _mm_blend_epi16(abef, cdgh, 0xF0));    /* a b c d */
    _mm_storeu_si128((__m128i *)(void *)(val + 4), _mm_alignr_epi8(cdgh, abef, 8)); /* e f g h */
}

/* The eight state words to and from big-endian bytes (BearSSL's state() format). */
static void cdrest__sha256_enc(unsigned char *d, const uint32_t *v, int nwords) {
    int i;
    for (i = 0; i < nwords; i++, d += 4) {
        d[0] = (unsigned char)(v[i] >> 24);
        d[1] = (unsigned char)(v[i] >> 16);
        d[2] = (unsigned char)(v[i] >> 8);
        d[3] = (unsigned char)v[i];
    }
}

static void cdrest__sha256_dec(uint32_t v[8], const unsigned char *s) {
    int i;
    for (i = 0; i < 8; i++, s += 4)
        v[i] = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | (uint32_t)s[3];
}

/* The portable compression for the same vtable code, through BearSSL's public API (its
   state set, the blocks, the state read back): what runs under valgrind, whose CPUID
   hides the SHA extensions, so that the code around the blocks is checked there too. */
static void cdrest__sha256_soft_blocks(uint32_t val[8], const unsigned char *p, size_t n) {
    br_sha256_context cc;
    unsigned char st[32];
    cdrest__sha256_enc(st, val, 8);
    br_sha256_init(&cc);
    br_sha256_set_state(&cc, st, 0);
    br_sha256_update(&cc, p, 64 * n);
    br_sha256_state(&cc, st);
    cdrest__sha256_dec(val, st);
}

typedef void (*cdrest__sha256_blocks_fn)(uint32_t val[8], const unsigned char *p, size_t n);

/* The vtable's functions get the context as its first field's address. */
static br_sha256_context *cdrest__sha256_cc(const br_hash_class **ctx) {
    return (br_sha256_context *)(void *)ctx;
}
static const br_sha256_context *cdrest__sha256_ccc(const br_hash_class *const *ctx) {
    return (const br_sha256_context *)(const void *)ctx;
}

static void cdrest__sha256_reset(br_sha256_context *cc, const br_hash_class *vt) {
    cc->vtable = vt;
    memcpy(cc->val, cdrest__sha256_iv, sizeof cc->val);
    cc->count = 0;
}

/* Whole blocks straight from the input; the partial one waits in cc->buf. */
static void cdrest__sha256_update_with(br_sha256_context *cc, const void *data, size_t len,
                                       cdrest__sha256_blocks_fn blocks) {
    const unsigned char *p = (const unsigned char *)data;
    size_t used = (size_t)cc->count & 63, take;
    if (len == 0) return; /* data may be NULL then */
    cc->count += (uint64_t)len;
    if (used) {
        take = len < 64 - used ? len : 64 - used;
        memcpy(cc->buf + used, p, take);
        p += take, len -= take;
        if (used + take < 64) return;
        blocks(cc->val, cc->buf, 1);
    }
    if (len >= 64) blocks(cc->val, p, len / 64);
    p += len & ~(size_t)63, len &= 63;
    if (len) memcpy(cc->buf, p, len);
}

/* FIPS 180-4 padding (0x80, zeros, the bit length big-endian) on copies: the context
   stays as it was, so more data may follow (BearSSL's out() does the same). */
static void cdrest__sha256_out_with(const br_sha256_context *cc, void *dst, cdrest__sha256_blocks_fn blocks) {
    unsigned char last[128];
    uint32_t val[8], bits[2];
    size_t used = (size_t)cc->count & 63, n = used < 56 ? 64 : 128;
    memcpy(val, cc->val, sizeof val);
    memcpy(last, cc->buf, used);
    last[used] = 0x80;
    memset(last + used + 1, 0, n - 8 - used - 1);
    bits[0] = (uint32_t)(cc->count >> 29);
    bits[1] = (uint32_t)(cc->count << 3);
    cdrest__sha256_enc(last + n - 8, bits, 2);
    blocks(val, last, n / 64);
    cdrest__sha256_enc((unsigned char *)dst, val, 8);
}

static uint64_t cdrest__sha256_state(const br_hash_class *const *ctx, void *dst) {
    cdrest__sha256_enc((unsigned char *)dst, cdrest__sha256_ccc(ctx)->val, 8);
    return cdrest__sha256_ccc(ctx)->count;
}

static void cdrest__sha256_set_state(const br_hash_class **ctx, const void *stb, uint64_t count) {
    cdrest__sha256_dec(cdrest__sha256_cc(ctx)->val, (const unsigned char *)stb);
    cdrest__sha256_cc(ctx)->count = count;
}

/* Two vtables, one per compression: the context's vtable pointer is the only place the
   choice can live (no global state). Each init() points the context at its own class,
   found through a function as C++ has no forward declaration of a static constant. */
static const br_hash_class *cdrest__sha256_ni_class(void);
static const br_hash_class *cdrest__sha256_soft_class(void);

static void cdrest__sha256_ni_init(const br_hash_class **ctx) {
    cdrest__sha256_reset(cdrest__sha256_cc(ctx), cdrest__sha256_ni_class());
}
static void cdrest__sha256_ni_update(const br_hash_class **ctx, const void *data, size_t len) {
    cdrest__sha256_update_with(cdrest__sha256_cc(ctx), data, len, cdrest__sha256_ni_blocks);
}
static void cdrest__sha256_ni_out(const br_hash_class *const *ctx, void *dst) {
    cdrest__sha256_out_with(cdrest__sha256_ccc(ctx), dst, cdrest__sha256_ni_blocks);
}
static void cdrest__sha256_soft_init(const br_hash_class **ctx) {
    cdrest__sha256_reset(cdrest__sha256_cc(ctx), cdrest__sha256_soft_class());
}
static void cdrest__sha256_soft_update(const br_hash_class **ctx, const void *data, size_t len) {
    cdrest__sha256_update_with(cdrest__sha256_cc(ctx), data, len, cdrest__sha256_soft_blocks);
}
static void cdrest__sha256_soft_out(const br_hash_class *const *ctx, void *dst) {
    cdrest__sha256_out_with(cdrest__sha256_ccc(ctx), dst, cdrest__sha256_soft_blocks);
}

/* BearSSL's br_sha256_vtable.desc, word for word (tests/test_sha256.c compares them). */
#define CDREST__SHA256_DESC                                                                              \
    (BR_HASHDESC_ID(br_sha256_ID) | BR_HASHDESC_OUT(32) | BR_HASHDESC_STATE(32) | BR_HASHDESC_LBLEN(6) | \
     BR_HASHDESC_MD_PADDING | BR_HASHDESC_MD_PADDING_BE)

/* SHA-256 on the SHA extensions: installed only where cdrest__cpu_has_sha_ni(). */
static const br_hash_class cdrest__sha256_vtable = { sizeof(br_sha256_context), CDREST__SHA256_DESC,
                                                     cdrest__sha256_ni_init,    cdrest__sha256_ni_update,
                                                     cdrest__sha256_ni_out,     cdrest__sha256_state,
                                                     cdrest__sha256_set_state };
/* The same code on the portable compression: for the tests (never installed). */
static const br_hash_class cdrest__sha256_soft_vtable = { sizeof(br_sha256_context), CDREST__SHA256_DESC,
                                                          cdrest__sha256_soft_init,  cdrest__sha256_soft_update,
                                                          cdrest__sha256_soft_out,   cdrest__sha256_state,
                                                          cdrest__sha256_set_state };

static const br_hash_class *cdrest__sha256_ni_class(void) {
    return &cdrest__sha256_vtable;
}
static const br_hash_class *cdrest__sha256_soft_class(void) {
    return &cdrest__sha256_soft_vtable;
}

/* The PRF's seed: the label (without its NUL) and the chunks, in order. */
static void cdrest__prf_sha256_seed(br_hmac_context *hc, const char *label, size_t seed_num,
                                    const br_tls_prf_seed_chunk *seed) {
    size_t i;
    br_hmac_update(hc, label, strlen(label));
    for (i = 0; i < seed_num; i++) br_hmac_update(hc, seed[i].data, seed[i].len);
}

/* TLS 1.2's PRF (RFC 5246 section 5) with the SHA-256 of class vt: P_SHA256(secret,
   label + seed) = HMAC(secret, A(1) + label + seed) || HMAC(secret, A(2) + ...) ..., A(0)
   = label + seed, A(i) = HMAC(secret, A(i-1)), cut to len bytes. br_tls12_sha256_prf's
   contract (the seed in chunks). Everything derived from the secret is wiped after. */
static void cdrest__prf_sha256_with(const br_hash_class *vt, void *dst, size_t len, const void *secret,
                                    size_t secret_len, const char *label, size_t seed_num,
                                    const br_tls_prf_seed_chunk *seed) {
    struct {
        br_hmac_key_context kc;
        br_hmac_context hc;
        unsigned char a[32], block[32];
    } s;
    unsigned char *out = (unsigned char *)dst;
    size_t a_len = 0, take;
    br_hmac_key_init(&s.kc, vt, secret, secret_len);
    while (len > 0) {
        br_hmac_init(&s.hc, &s.kc, 0); /* A(i) from A(i-1); A(0) is label + seed */
        if (a_len)
            br_hmac_update(&s.hc, s.a, a_len);
        else
            cdrest__prf_sha256_seed(&s.hc, label, seed_num, seed);
        a_len = br_hmac_out(&s.hc, s.a);
        br_hmac_init(&s.hc, &s.kc, 0); /* the next output block: HMAC(A(i) + label + seed) */
        br_hmac_update(&s.hc, s.a, a_len);
        cdrest__prf_sha256_seed(&s.hc, label, seed_num, seed);
        br_hmac_out(&s.hc, s.block);
        take = len < sizeof s.block ? len : sizeof s.block;
        memcpy(out, s.block, take);
        out += take, len -= take;
    }
    cdrest__wipe(&s, sizeof s);
}

/* br_tls_prf_impl for the engine's SHA-256 suites. */
static void cdrest__prf_sha256(void *dst, size_t len, const void *secret, size_t secret_len, const char *label,
                               size_t seed_num, const br_tls_prf_seed_chunk *seed) {
    cdrest__prf_sha256_with(&cdrest__sha256_vtable, dst, len, secret, secret_len, label, seed_num, seed);
}

/* Ours for SHA-256 where this CPU has the SHA extensions: the transcript hash (the engine
   hashes every handshake message with it), the PRF of the SHA-256 suites (SHA-384 suites
   keep BearSSL's) and the chain's signed parts. BearSSL's own everywhere else. */
static void cdrest__sha_install(br_ssl_engine_context *eng, br_x509_minimal_context *x509) {
    if (!cdrest__cpu_has_sha_ni()) return;
    br_ssl_engine_set_hash(eng, br_sha256_ID, &cdrest__sha256_vtable);
    br_ssl_engine_set_prf_sha256(eng, cdrest__prf_sha256);
    br_x509_minimal_set_hash(x509, br_sha256_ID, &cdrest__sha256_vtable);
}
#endif /* CDREST__SHA_NI */

/* --- setup and teardown ------------------------------------------------------------ */

/* Measured in `make bench`: one buffer costs no instructions per request and saves 16.5 KB. */
static int cdrest__tls_full_duplex(const cdrest_client *c) {
    return c->cfg.tls.full_duplex && !c->cfg.tls.half_duplex;
}

static int cdrest__tls_alloc(cdrest_client *c) {
    size_t io = cdrest__tls_full_duplex(c) ? BR_SSL_BUFSIZE_BIDI : BR_SSL_BUFSIZE_MONO;
    size_t head = (sizeof(struct cdrest__tls) + 15) & ~(size_t)15, need = head + io;
    struct cdrest__tls *t;
    unsigned char *mem;
    if (c->cfg.tls_memory) {
        size_t pad = (16 - ((uintptr_t)c->cfg.tls_memory & 15)) & 15;
        if (c->cfg.tls_memory_size < pad + need)
            return cdrest__fail(&c->err, CDREST_E_TOOLARGE,
                                "config.tls_memory: %lu bytes given, %lu needed before trust anchors",
                                (unsigned long)c->cfg.tls_memory_size, (unsigned long)(need + 15));
        mem = (unsigned char *)c->cfg.tls_memory + pad;
        memset(mem, 0, need);
        t = (struct cdrest__tls *)(void *)mem;
        t->external = 1;
        t->pool = mem + need;
        t->pool_left = c->cfg.tls_memory_size - pad - need;
    } else {
        mem = (unsigned char *)CDREST_MALLOC(c->cfg.alloc_ctx, need);
        if (!mem)
            return cdrest__fail(&c->err, CDREST_E_NOMEM, "out of memory for the TLS state (%lu bytes)",
                                (unsigned long)need);
        memset(mem, 0, need);
        t = (struct cdrest__tls *)(void *)mem;
    }
    t->alloc_size = need;
    t->iobuf = mem + head;
    t->iobuf_len = io;
    c->tls = t;
    return 0;
}

/* Cipher suites: Mozilla's "intermediate" TLS 1.2 choice, forward-secret ECDHE with
   AEAD only (AES-GCM, ChaCha20-Poly1305): no CBC (padding oracles, Lucky 13), no static
   RSA or ECDH key exchange (no forward secrecy), no 3DES. Every TLS 1.2 server of the last
   decade offers one of these. BearSSL prefers ChaCha20 (the fastest without AES
   hardware); where its AES-NI / POWER8 code runs, AES-GCM goes first: ~25% fewer
   instructions per record. */
static void cdrest__tls_set_suites(br_ssl_engine_context *eng) {
    static const uint16_t chacha[] = { BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                                       BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 };
    static const uint16_t gcm[] = { BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                                    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 };
    uint16_t list[sizeof chacha / 2 + sizeof gcm / 2];
    int hw_aes = br_aes_x86ni_ctr_get_vtable() != NULL || br_aes_pwr8_ctr_get_vtable() != NULL;
    size_t n = 0;
    memcpy(list + n, hw_aes ? gcm : chacha, hw_aes ? sizeof gcm : sizeof chacha);
    n += (hw_aes ? sizeof gcm : sizeof chacha) / 2;
    memcpy(list + n, hw_aes ? chacha : gcm, hw_aes ? sizeof chacha : sizeof gcm);
    n += (hw_aes ? sizeof chacha : sizeof gcm) / 2;
    br_ssl_engine_set_suites(eng, list, n);
}

/* Allocate the state, parse pins, load anchors and set the engine up: once per client
   (retried at the next handshake if it failed). */
static int cdrest__tls_setup(cdrest_client *c) {
    struct cdrest__tls *t;
    br_ssl_engine_context *eng;
    int r;
    if (!c->tls && (r = cdrest__tls_alloc(c)) != 0) return r;
    t = c->tls;
    if (t->ready) return 0;
    t->insecure = c->cfg.tls.tls_insecure_skip_verify != 0;
    if ((r = cdrest__tls_parse_pins(c, t)) != 0) return r;
    if (!t->insecure && !t->tas && (r = cdrest__tls_load_anchors(c, t)) != 0) return r;
    br_ssl_client_init_full(&t->cc, &t->x509.u.minimal, t->tas, t->ntas);
#ifdef CDREST__FAST_PK
    br_ssl_engine_set_ec(&t->cc.eng, &cdrest__x25519_ec); /* X25519 in 64-bit, the rest BearSSL's */
    cdrest__sig_install(&t->cc.eng, &t->x509.u.minimal);  /* ECDSA P-256 and RSA checks */
#endif
#ifdef CDREST__SHA_NI
    cdrest__sha_install(&t->cc.eng, &t->x509.u.minimal); /* SHA-256 on the SHA extensions, if here */
#endif
    /* No SHA-1 for certificate signatures (anchors' own signatures are never checked),
       and RSA keys of 2048 bits at least, as curl and browsers require. */
    br_x509_minimal_set_hash(&t->x509.u.minimal, br_sha1_ID, NULL);
    br_x509_minimal_set_minrsa(&t->x509.u.minimal, 256);
    t->cn_ok = c->cfg.tls.allow_cn_only != 0;
    eng = &t->cc.eng;
    br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
    cdrest__tls_set_suites(eng);
    br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
    br_ssl_engine_set_buffer(eng, t->iobuf, t->iobuf_len, cdrest__tls_full_duplex(c));
    t->x509.vtable = &cdrest__tls_x509_vtable;
    t->x509.t = t;
    br_ssl_engine_set_x509(eng, &t->x509.vtable);
    t->ready = 1;
    return 0;
}

static void cdrest__tls_free(cdrest_client *c) {
    struct cdrest__tls *t = c->tls;
    int external;
    if (!t) return;
    if (t->ta_block) CDREST_FREE(c->cfg.alloc_ctx, t->ta_block);
    if (t->ta_array) CDREST_FREE(c->cfg.alloc_ctx, t->ta_array);
    external = t->external;
    /* Session keys, the master secret and plaintext live in here; in caller memory,
       the anchors after it go too (the caller may reuse the block). */
    cdrest__wipe(t, external ? (size_t)(t->pool - (unsigned char *)t) : t->alloc_size);
    if (!external) CDREST_FREE(c->cfg.alloc_ctx, t);
    c->tls = NULL;
}

/* --- errors in words ------------------------------------------------------------- */

/* Format into w[cap], cut when too long (a message, never data). */
static void cdrest__tls_say(char *w, size_t cap, const char *fmt, ...) CDREST__PRINTF(3, 4);
static void cdrest__tls_say(char *w, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w, cap, fmt, ap);
    va_end(ap);
}

/* A number and its words: the alerts' names, and the errors whose words need nothing
   but their number. */
typedef struct cdrest__tls_words {
    int code;
    const char *text;
} cdrest__tls_words;

static const cdrest__tls_words cdrest__tls_alerts[] = { { 0, "close_notify" },
                                                        { 10, "unexpected_message" },
                                                        { 20, "bad_record_mac" },
                                                        { 22, "record_overflow" },
                                                        { 40, "handshake_failure" },
                                                        { 42, "bad_certificate" },
                                                        { 43, "unsupported_certificate" },
                                                        { 44, "certificate_revoked" },
                                                        { 45, "certificate_expired" },
                                                        { 46, "certificate_unknown" },
                                                        { 47, "illegal_parameter" },
                                                        { 48, "unknown_ca" },
                                                        { 49, "access_denied" },
                                                        { 50, "decode_error" },
                                                        { 51, "decrypt_error" },
                                                        { 70, "protocol_version" },
                                                        { 71, "insufficient_security" },
                                                        { 80, "internal_error" },
                                                        { 86, "inappropriate_fallback" },
                                                        { 90, "user_canceled" },
                                                        { 100, "no_renegotiation" },
                                                        { 109, "missing_extension" },
                                                        { 110, "unsupported_extension" },
                                                        { 112, "unrecognized_name" },
                                                        { 116, "certificate_required" },
                                                        { 120, "no_application_protocol" } };

static const cdrest__tls_words cdrest__tls_errors[] = {
    { BR_ERR_OK, "the server closed the connection during the handshake" },
    { BR_ERR_BAD_PARAM, "bad parameter" },
    { BR_ERR_UNSUPPORTED_VERSION,
      "the server only offers TLS 1.1 or older, refused by default (cdrest requires TLS 1.2)" },
    { BR_ERR_BAD_VERSION, "the server sent a record with an unexpected protocol version" },
    { BR_ERR_BAD_LENGTH, "the server sent a malformed TLS record" },
    { BR_ERR_TOO_LARGE, "the server sent a malformed TLS record" },
    { BR_ERR_BAD_FRAGLEN, "the server sent a malformed TLS record" },
    { BR_ERR_BAD_MAC, "a record failed its integrity check (data corrupted or tampered with)" },
    { BR_ERR_NO_RANDOM, "BearSSL has no source of randomness on this system" },
    { BR_ERR_UNKNOWN_TYPE, "the server sent a record of unknown type" },
    { BR_ERR_UNEXPECTED, "the server sent an unexpected handshake message" },
    { BR_ERR_BAD_CCS, "the server broke the TLS handshake protocol" },
    { BR_ERR_BAD_ALERT, "the server broke the TLS handshake protocol" },
    { BR_ERR_BAD_HANDSHAKE, "the server broke the TLS handshake protocol" },
    { BR_ERR_OVERSIZED_ID, "the server broke the TLS handshake protocol" },
    { BR_ERR_BAD_COMPRESSION, "the server broke the TLS handshake protocol" },
    { BR_ERR_BAD_SECRENEG, "the server broke the TLS handshake protocol" },
    { BR_ERR_EXTRA_EXTENSION, "the server broke the TLS handshake protocol" },
    { BR_ERR_BAD_SNI, "the server broke the TLS handshake protocol" },
    { BR_ERR_BAD_HELLO_DONE, "the server broke the TLS handshake protocol" },
    { BR_ERR_LIMIT_EXCEEDED, "the server broke the TLS handshake protocol" },
    { BR_ERR_BAD_CIPHER_SUITE, "the server chose a cipher suite BearSSL did not offer" },
    { BR_ERR_BAD_FINISHED, "the handshake failed its final check (Finished mismatch)" },
    { BR_ERR_RESUME_MISMATCH, "the server resumed a session with other parameters" },
    { BR_ERR_INVALID_ALGORITHM, "the server used a signature algorithm BearSSL does not support" },
    { BR_ERR_BAD_SIGNATURE, "the server's handshake signature is invalid" },
    { BR_ERR_WRONG_KEY_USAGE, "the server's key may not be used with the chosen cipher suite" },
    { BR_ERR_IO, "I/O error" },
    { BR_ERR_X509_EMPTY_CHAIN, "the server sent no certificate" },
    { BR_ERR_X509_UNSUPPORTED, "the server's certificate uses an algorithm BearSSL does not support" },
    { BR_ERR_X509_LIMIT_EXCEEDED, "the server's certificate chain is too large" },
    { BR_ERR_X509_WRONG_KEY_TYPE, "the certificate's key type does not match the cipher suite" },
    { BR_ERR_X509_BAD_SIGNATURE, "a signature in the certificate chain is invalid" },
    { BR_ERR_X509_TIME_UNKNOWN, "the current time is unknown; cannot check certificate dates (give "
                                "config.tls.unix_time a clock, or pin the key and skip verification)" },
    { BR_ERR_X509_DN_MISMATCH, "the certificate chain is out of order (issuer/subject mismatch)" },
    { BR_ERR_X509_CRITICAL_EXTENSION, "the certificate has an unsupported critical extension" },
    { BR_ERR_X509_NOT_CA, "a certificate that is not a CA signed another in the chain" },
    { BR_ERR_X509_FORBIDDEN_KEY_USAGE, "the certificate's key usage forbids a TLS server" },
    { BR_ERR_X509_WEAK_PUBLIC_KEY,
      "an RSA key in the certificate chain is shorter than 2048 bits, which is too weak" }
};

static const char *cdrest__tls_lookup(const cdrest__tls_words *table, size_t n, int code) {
    size_t i;
    for (i = 0; i < n; i++)
        if (table[i].code == code) return table[i].text;
    return NULL;
}

static const char *cdrest__tls_alert_name(int a) {
    const char *s = cdrest__tls_lookup(cdrest__tls_alerts, sizeof cdrest__tls_alerts / sizeof cdrest__tls_alerts[0], a);
    return s ? s : "unknown";
}

/* Which date failed: the leaf's own, or (when the leaf is in its window) a CA's. */
static void cdrest__tls_describe_dates(struct cdrest__tls *t, char *w, size_t cap) {
    cdrest__tls_leafinfo li;
    int64_t from, until;
    char d1[11], d2[11];
    if (cdrest__tls_leaf_parse(&t->x509, &li) && li.has_dates && cdrest__tls_der_time(&li.validity, &from, d1) &&
        cdrest__tls_der_time(&li.validity, &until, d2)) {
        if (t->now < from) {
            cdrest__tls_say(w, cap, "certificate is not yet valid: valid from %s", d1);
            return;
        }
        if (t->now > until) {
            cdrest__tls_say(w, cap, "certificate expired on %s", d2);
            return;
        }
        cdrest__tls_say(w, cap, "a CA certificate in the chain has expired or is not yet valid");
        return;
    }
    cdrest__tls_say(w, cap, "certificate expired or not yet valid");
}

/* Does any trust anchor (compiled in or loaded) carry this name? */
static int cdrest__tls_issuer_is_anchor(const struct cdrest__tls *t, cdrest__tls_der issuer) {
    size_t i;
    for (i = 0; i < t->ntas; i++)
        if (cdrest__tls_anchor_named(t, i, issuer)) return 1;
    return 0;
}

static void cdrest__tls_describe_untrusted(struct cdrest__tls *t, char *w, size_t cap) {
    cdrest__tls_leafinfo li;
    char cn[80];
    if (!cdrest__tls_leaf_parse(&t->x509, &li) || !li.has_names) {
        cdrest__tls_say(w, cap, "certificate not trusted (unknown CA)");
        return;
    }
    if (t->x509.certs == 1 && li.issuer.n == li.subject.n && memcmp(li.issuer.p, li.subject.p, li.issuer.n) == 0) {
        cdrest__tls_say(w, cap, "certificate is self-signed and not trusted");
        return;
    }
    cdrest__tls_name_cn(li.issuer, cn, sizeof cn);
    /* BearSSL says "not trusted" (62) too when a signature in the chain does not verify:
       name the cases the words would otherwise get wrong. */
    if (cdrest__tls_issuer_is_anchor(t, li.issuer))
        cdrest__tls_say(w, cap,
                        "certificate not trusted: its signature does not verify with the key of its issuer, "
                        "the trusted CA \"%s\"",
                        cn);
    else if (t->x509.certs > 1)
        cdrest__tls_say(w, cap,
                        "certificate not trusted: its issuer \"%s\" is not among the %lu trusted CAs, nor does "
                        "the chain sent with it lead to one (a CA missing, or a bad signature)",
                        cn, (unsigned long)t->ntas);
    else
        cdrest__tls_say(w, cap, "certificate not trusted: its issuer \"%s\" is not among the %lu trusted CAs", cn,
                        (unsigned long)t->ntas);
}

/* A received fatal alert; the few with a usual cause say it. */
static void cdrest__tls_describe_alert(int a, char *w, size_t cap) {
    const char *s;
    switch (a) {
        case 70:
            s = "the server requires TLS 1.3, which BearSSL does not support (it refused TLS 1.2 with a "
                "protocol_version alert)";
            break;
        case 40:
            s = "the server refused the handshake (handshake_failure alert): no TLS 1.2 ECDHE suite with "
                "AES-GCM or ChaCha20 in common (or the server stops at TLS 1.1, or wants a client certificate)";
            break;
        case 112: s = "the server does not serve this host name (unrecognized_name alert)"; break;
        case 116:
        case 42:
            cdrest__tls_say(w, cap, "the server wants a client certificate, which cdrest does not send (%s alert)",
                            cdrest__tls_alert_name(a));
            return;
        default: cdrest__tls_say(w, cap, "the server sent a fatal alert: %s", cdrest__tls_alert_name(a)); return;
    }
    cdrest__tls_say(w, cap, "%s", s);
}

/* A record error before the handshake ended, from a server whose first bytes were not
   a TLS record (content type 20-23, version 3.x): it speaks something else. */
static const char *cdrest__tls_not_tls(const struct cdrest__tls *t, int err) {
    if ((err != BR_ERR_UNSUPPORTED_VERSION && err != BR_ERR_BAD_VERSION && err != BR_ERR_BAD_LENGTH &&
         err != BR_ERR_UNKNOWN_TYPE && err != BR_ERR_TOO_LARGE) ||
        t->open || t->first_len == 0)
        return NULL;
    if (t->first[0] >= 20 && t->first[0] <= 23 && (t->first_len < 2 || t->first[1] == 3)) return NULL;
    if (t->first_len >= 5 && memcmp(t->first, "HTTP/", 5) == 0)
        return "the server answered in plain HTTP, not TLS (is this an http:// port?)";
    return "the server did not speak TLS (plain HTTP on an HTTPS port?)";
}

/* The errors whose words name what failed (a date, a name, a CA, the key, a rule's
   reason kept by the X.509 engine). 1 when err is one of them and w is written. */
static int cdrest__tls_describe_chain(struct cdrest__tls *t, int err, char *w, size_t cap) {
    const char *why = NULL;
    char b64[48], names[120];
    switch (err) {
        case BR_ERR_X509_EXPIRED:
            if (t->x509.policy != (unsigned)err) { /* else an anchor's, in why */
                cdrest__tls_describe_dates(t, w, cap);
                return 1;
            }
            why = t->x509.why;
            break;
        case BR_ERR_X509_BAD_SERVER_NAME:
            cdrest__tls_leaf_names(&t->x509, names, sizeof names);
            cdrest__tls_say(w, cap, "certificate is for another name (%s), not %s", names[0] ? names : "none", t->name);
            return 1;
        case BR_ERR_X509_FORBIDDEN_KEY_USAGE: /* a CA's (else the server certificate's: the table's words) */
            if (t->x509.ku) why = t->x509.why_ku;
            break;
        case BR_ERR_X509_WEAK_PUBLIC_KEY: /* counted in bits, the CA named (else the table's words) */
            if (t->x509.policy == (unsigned)err) why = t->x509.why;
            break;
        case BR_ERR_X509_NOT_TRUSTED: cdrest__tls_describe_untrusted(t, w, cap); return 1;
        case CDREST_TLS_ERR_PIN_MISMATCH:
            cdrest_base64_encode(b64, sizeof b64, t->key_hash, 32);
            cdrest__tls_say(w, cap, "the server's key sha256//%s matches no pin", b64);
            return 1;
        case CDREST_TLS_ERR_CERT_TOO_BIG:
        case CDREST_TLS_ERR_KEY_PURPOSE:
        case CDREST_TLS_ERR_NAME_CONSTRAINTS: why = t->x509.why; break;
        case CDREST_TLS_ERR_WEAK_SIGNATURE: why = t->x509.why_sig; break;
        case CDREST_TLS_ERR_PATH_LENGTH: why = t->x509.why_path; break;
        case CDREST_TLS_ERR_CN_ONLY:
            cdrest__tls_say(w, cap,
                            "certificate names %s only in its subject CN, without DNS subjectAltName, which "
                            "is not accepted (config.tls.allow_cn_only)",
                            t->name);
            return 1;
        default: break;
    }
    if (!why) return 0;
    cdrest__tls_say(w, cap, "%s", why);
    return 1;
}

/* The words for a BearSSL (or cdrest) error number: alerts, a server that is not TLS,
   what the chain's checks found, then the table (its X.509 decoding errors say
   "malformed" as a group). */
static void cdrest__tls_describe(struct cdrest__tls *t, int err, char *w, size_t cap) {
    const char *s;
    if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT) {
        cdrest__tls_describe_alert(err - BR_ERR_RECV_FATAL_ALERT, w, cap);
        return;
    }
    if (err >= BR_ERR_SEND_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT + 256) {
        cdrest__tls_say(w, cap, "BearSSL aborted the connection with a %s alert",
                        cdrest__tls_alert_name(err - BR_ERR_SEND_FATAL_ALERT));
        return;
    }
    if ((s = cdrest__tls_not_tls(t, err)) == NULL && cdrest__tls_describe_chain(t, err, w, cap)) return;
    if (!s) s = cdrest__tls_lookup(cdrest__tls_errors, sizeof cdrest__tls_errors / sizeof cdrest__tls_errors[0], err);
    if (!s && err >= BR_ERR_X509_INVALID_VALUE && err <= BR_ERR_X509_BAD_TIME)
        s = "the server's certificate is malformed";
    cdrest__tls_say(w, cap, "%s", s ? s : "TLS error");
}

static int cdrest__tls_fail(cdrest_client *c, struct cdrest__tls *t, int err) {
    c->err.tls_error = err;
#ifdef CDREST_TERSE_ERRORS
    (void)t; /* small builds keep the number (err.tls_error), not the explanation */
    (void)cdrest__tls_describe;
    return cdrest__fail_terse(&c->err, CDREST_E_TLS);
#else
    {
        char what[CDREST_ERRMSG_SIZE]; /* a longer line is cut, with "...", by cdrest__fail */
        cdrest__tls_describe(t, err, what, sizeof what);
        return cdrest__fail(&c->err, CDREST_E_TLS, "TLS: %s (%s %d) for host %s", what,
                            err >= 1024 ? "cdrest" : "BearSSL", err, t->name);
    }
#endif
}

/* --- driving the engine over the transport ------------------------------------------ */

/* Send what the engine has queued. 0 or < 0 (c->err set). A failed write may have sent
   part of a record, which the engine still holds whole: the stream is then broken
   (anything more, even a close_notify, would resend the record's start and corrupt it). */
static int cdrest__tls_send_pending(cdrest_client *c, br_ssl_engine_context *eng, int64_t deadline) {
    if (c->tls->broken) return cdrest__fail(&c->err, CDREST_E_IO, "TLS: the connection broke off mid-record");
    while (br_ssl_engine_current_state(eng) & BR_SSL_SENDREC) {
        size_t len;
        unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len);
        const unsigned char *ahead = c->tls->ahead;
        int r;
        /* One shared buffer: a record the engine had to send while a response was read
           (an alert) was written where bytes read ahead may wait. Never guess at them. */
        if (c->tls->ahead_len && buf < ahead + c->tls->ahead_len && ahead < buf + len)
            return cdrest__fail(&c->err, CDREST_E_TLS,
                                "TLS: the server sent more records while the engine had to "
                                "answer one, which the half-duplex buffer cannot hold");
        r = cdrest__tp_write_all(c, buf, len, deadline);
        if (r < 0) {
            c->tls->broken = 1;
            return r;
        }
        br_ssl_engine_sendrec_ack(eng, len);
    }
    return 0;
}

/* Read ahead while a response is read: the engine asks for a record's 5-byte header, then
   for its payload, two recv()s a record; its input buffer is ours and contiguous, so one
   recv() may fill it further, up to this many bytes past what it asked for (the next
   records' start; a larger stash would be moved to the buffer's start once a record). */
enum { CDREST__TLS_AHEAD = 4096 };

/* Give the engine's record buffer (buf, len) bytes: first those read ahead, else from the
   transport, reading ahead when `ahead`. 0 at the end of the stream, < 0 an error. */
static long cdrest__tls_recv_rec(cdrest_client *c, struct cdrest__tls *t, unsigned char *buf, size_t len, int ahead,
                                 int64_t deadline) {
    br_ssl_engine_context *eng = &t->cc.eng;
    size_t room = (size_t)(eng->ibuf + eng->ibuf_len - buf);
    long n;
    if (t->ahead_len) {
        if (buf != t->ahead) { /* a new record starts at the buffer's start */
            if (t->ahead_len > room)
                return cdrest__fail(&c->err, CDREST_E_TLS, "TLS: read-ahead bytes do not fit the record buffer");
            memmove(buf, t->ahead, t->ahead_len);
        }
        n = (long)(t->ahead_len < len ? t->ahead_len : len);
        t->ahead = buf + n;
        t->ahead_len -= (size_t)n;
        return n;
    }
    if (!ahead || room < len)
        room = len;
    else if (room - len > CDREST__TLS_AHEAD)
        room = len + CDREST__TLS_AHEAD;
    n = cdrest__tp_read(c, buf, room, deadline);
    if (n > (long)len) {
        t->ahead = buf + len;
        t->ahead_len = (size_t)n - len;
        n = (long)len;
    }
    return n;
}

/* Run the engine until one of `want` (BR_SSL_SENDAPP, BR_SSL_RECVAPP) is possible.
   CDREST__TLS_READY, _CLOSED (see br_ssl_engine_last_error), _EOF (the stream ended
   without close_notify), or < 0 a transport error (c->err set). */
static int cdrest__tls_pump(cdrest_client *c, struct cdrest__tls *t, unsigned want, int64_t deadline) {
    br_ssl_engine_context *eng = &t->cc.eng;
    for (;;) {
        unsigned st = br_ssl_engine_current_state(eng);
        if (st & BR_SSL_CLOSED) return CDREST__TLS_CLOSED;
        if (st & BR_SSL_SENDREC) {
            int r = cdrest__tls_send_pending(c, eng, deadline);
            if (r < 0) return r;
            continue;
        }
        if (st & want) return CDREST__TLS_READY;
        if (st & BR_SSL_RECVAPP) /* only with one shared buffer: data came while we write */
            return cdrest__fail(&c->err, CDREST_E_TLS,
                                "TLS: the server sent data before the request was fully written, which the "
                                "half-duplex buffer cannot hold (config.tls.full_duplex)");
        if (st & BR_SSL_RECVREC) {
            size_t len;
            unsigned char *buf = br_ssl_engine_recvrec_buf(eng, &len);
            long n = cdrest__tls_recv_rec(c, t, buf, len, t->open && want == BR_SSL_RECVAPP, deadline);
            if (n < 0) return (int)n;
            if (n == 0) return CDREST__TLS_EOF;
            if (!t->open && t->first_len < sizeof t->first) {
                size_t k = sizeof t->first - t->first_len;
                if (k > (size_t)n) k = (size_t)n;
                memcpy(t->first + t->first_len, buf, k);
                t->first_len += k;
            }
            br_ssl_engine_recvrec_ack(eng, (size_t)n);
            continue;
        }
        /* One shared buffer holding unsent data while we want to read: send it. */
        br_ssl_engine_flush(eng, 0);
        if (br_ssl_engine_current_state(eng) == st)
            return cdrest__fail(&c->err, CDREST_E_TLS, "TLS: the engine is stuck (state %u)", st);
    }
}

/* When the certificate is refused, tell the server why before closing, as other clients
   do: BearSSL's engine has failed and sends nothing more, so the fatal alert goes out as
   a plaintext record ourselves (the handshake is not encrypted yet when certificates
   are checked). Then the rest of the server's flight is read off (up to its close, or
   100 ms): closing a socket with unread bytes sends a reset, which can destroy the alert
   before the server reads it. c->err is kept. */
static void cdrest__tls_cert_alert(cdrest_client *c, int err) {
    unsigned char rec[7] = { 21, 3, 3, 0, 2, 2, 42 }; /* alert, TLS 1.2, fatal, bad_certificate */
    unsigned char rest[512];
    int64_t until;
    cdrest_error saved;
    if (!((err >= BR_ERR_X509_OK && err <= BR_ERR_X509_NOT_TRUSTED) || (err > 1024 && err < 1100))) return;
    if (err == BR_ERR_X509_EXPIRED)
        rec[6] = 45; /* certificate_expired */
    else if (err == BR_ERR_X509_NOT_TRUSTED)
        rec[6] = 48; /* unknown_ca */
    else if (err == BR_ERR_X509_TIME_UNKNOWN)
        rec[6] = 46; /* certificate_unknown */
    else if (err == CDREST_TLS_ERR_KEY_PURPOSE || err == BR_ERR_X509_UNSUPPORTED ||
             err == BR_ERR_X509_CRITICAL_EXTENSION)
        rec[6] = 43; /* unsupported_certificate */
    saved = c->err;
    until = cdrest__now_ms(c) + 100;
    if (cdrest__tp_write_all(c, rec, sizeof rec, until) == 0)
        while (cdrest__tp_read(c, rest, sizeof rest, until) > 0) {}
    c->err = saved;
}

/* Reword a transport failure during the handshake. */
static int cdrest__tls_hs_io_fail(cdrest_client *c, struct cdrest__tls *t, int code) {
    char msg[CDREST_ERRMSG_SIZE];
    if (code == CDREST_E_TIMEOUT)
        return cdrest__fail(&c->err, code, "TLS handshake with %s: timeout (%s)", t->name,
                            t->first_len ? "the server stopped answering" : "the server never answered");
    memcpy(msg, c->err.msg, sizeof msg);
    msg[sizeof msg - 1] = 0;
    return cdrest__fail(&c->err, code, "TLS handshake with %s: %s", t->name, msg);
}

static int cdrest__tls_handshake(cdrest_client *c, const char *host, int64_t deadline) {
    struct cdrest__tls *t;
    br_ssl_engine_context *eng;
    const char *name = c->cfg.tls.server_name && *c->cfg.tls.server_name ? c->cfg.tls.server_name : host;
    unsigned long chains;
    int64_t now;
    int r, resume;
    if (!name || !*name) return cdrest__fail(&c->err, CDREST_E_ARG, "TLS: no host name");
    if (strlen(name) >= sizeof t->name) return cdrest__fail(&c->err, CDREST_E_ARG, "TLS: host name too long");
    if ((r = cdrest__tls_setup(c)) != 0) return r;
    t = c->tls;
    eng = &t->cc.eng;
    strcpy(t->name, name);
    /* "host." is the same name: SNI carries no trailing dot (RFC 6066) and certificates
       name hosts without one; strip one, as curl does. */
    if (strlen(t->name) > 1 && t->name[strlen(t->name) - 1] == '.') t->name[strlen(t->name) - 1] = 0;
    name = t->name;
    t->ip_len = cdrest__tls_ipv4(name, t->ip);
    if (!t->ip_len) t->ip_len = cdrest__tls_ipv6(name, t->ip);
    now = c->cfg.tls.unix_time ? c->cfg.tls.unix_time(c->cfg.tls.unix_time_ctx) : (int64_t)time(NULL);
    t->time_unknown = now < 0;
    t->now = now < 0 ? 0 : now;
    t->open = t->eof = t->clean_close = t->resumed = t->broken = 0;
    t->ahead_len = 0;
    t->first_len = 0;
    /* A session is offered again only to the name it was made with. */
    resume = t->have_session && strcmp(t->session_host, name) == 0;
    if (resume) br_ssl_engine_set_session_parameters(eng, &t->session);
    chains = t->x509.chains;
    if (!br_ssl_client_reset(&t->cc, t->ip_len ? NULL : name, resume))
        return cdrest__tls_fail(c, t, br_ssl_engine_last_error(eng));
    r = cdrest__tls_pump(c, t, BR_SSL_SENDAPP | BR_SSL_RECVAPP, deadline);
    if (r != CDREST__TLS_READY) {
        t->have_session = 0;
        cdrest__wipe(&t->session, sizeof t->session);
        if (r < 0) return cdrest__tls_hs_io_fail(c, t, r);
        if (r == CDREST__TLS_EOF || br_ssl_engine_last_error(eng) == BR_ERR_OK)
            return cdrest__fail(&c->err, CDREST_E_TLS, "TLS: the server closed the connection %s for host %s",
                                t->first_len ? "during the handshake" : "without answering our TLS 1.2 hello", t->name);
        cdrest__tls_cert_alert(c, br_ssl_engine_last_error(eng));
        return cdrest__tls_fail(c, t, br_ssl_engine_last_error(eng));
    }
    t->open = 1;
    t->handshakes++;
    t->resumed = resume && t->x509.chains == chains;
    if (t->resumed) t->resumptions++;
    br_ssl_engine_get_session_parameters(eng, &t->session);
    t->have_session = t->session.session_id_len > 0;
    strcpy(t->session_host, name);
    return 0;
}

static long cdrest__tls_read(cdrest_client *c, void *buf, size_t len, int64_t deadline) {
    struct cdrest__tls *t = c->tls;
    br_ssl_engine_context *eng;
    unsigned char *p;
    size_t avail;
    int r;
    if (!t || !t->open) return cdrest__fail(&c->err, CDREST_E_ARG, "TLS: read without a connection");
    if (len == 0) return cdrest__fail(&c->err, CDREST_E_ARG, "TLS: read of 0 bytes");
    if (t->eof) return 0;
    eng = &t->cc.eng;
    r = cdrest__tls_pump(c, t, BR_SSL_RECVAPP, deadline);
    if (r < 0) return r;
    if (r == CDREST__TLS_EOF || (r == CDREST__TLS_CLOSED && br_ssl_engine_last_error(eng) == BR_ERR_OK)) {
        t->eof = 1;
        t->clean_close = r == CDREST__TLS_CLOSED;
        return 0;
    }
    if (r == CDREST__TLS_CLOSED) return cdrest__tls_fail(c, t, br_ssl_engine_last_error(eng));
    p = br_ssl_engine_recvapp_buf(eng, &avail);
    if (avail > len) avail = len;
    memcpy(buf, p, avail);
    br_ssl_engine_recvapp_ack(eng, avail);
    return (long)avail;
}

static int cdrest__tls_closed_cleanly(cdrest_client *c) {
    return c->tls && c->tls->clean_close;
}

/* 1 if the engine holds decrypted application data nobody has read yet, or bytes were
   read ahead. Between two responses these are bytes beyond the last one's framing (they
   shared its last record or its recv()), which the socket no longer shows: the connection
   must not serve another request. */
static int cdrest__tls_pending(cdrest_client *c) {
    return c->tls && c->tls->open &&
           (c->tls->ahead_len || (br_ssl_engine_current_state(&c->tls->cc.eng) & BR_SSL_RECVAPP) != 0);
}

static int cdrest__tls_write_all(cdrest_client *c, const void *buf, size_t len, int64_t deadline) {
    struct cdrest__tls *t = c->tls;
    const unsigned char *src = (const unsigned char *)buf;
    br_ssl_engine_context *eng;
    int r;
    if (!t || !t->open) return cdrest__fail(&c->err, CDREST_E_ARG, "TLS: write without a connection");
    eng = &t->cc.eng;
    while (len > 0) {
        size_t avail;
        unsigned char *p;
        r = cdrest__tls_pump(c, t, BR_SSL_SENDAPP, deadline);
        if (r < 0) return r;
        if (r == CDREST__TLS_CLOSED && br_ssl_engine_last_error(eng) != BR_ERR_OK)
            return cdrest__tls_fail(c, t, br_ssl_engine_last_error(eng));
        if (r != CDREST__TLS_READY) {
            t->eof = 1;
            return cdrest__fail(&c->err, CDREST_E_IO, "TLS: the server closed the connection (host %s)", t->name);
        }
        p = br_ssl_engine_sendapp_buf(eng, &avail);
        if (avail > len) avail = len;
        memcpy(p, src, avail);
        br_ssl_engine_sendapp_ack(eng, avail);
        src += avail;
        len -= avail;
    }
    br_ssl_engine_flush(eng, 0);
    return cdrest__tls_send_pending(c, eng, deadline);
}

/* Send close_notify if the connection is still up (not waiting for the server's, not
   broken mid-record), keep the session for the next connection. Best effort within
   200 ms; c->err is kept. */
static void cdrest__tls_close(cdrest_client *c) {
    struct cdrest__tls *t = c->tls;
    br_ssl_engine_context *eng;
    cdrest_error saved;
    if (!t || !t->open) return;
    t->open = 0;
    t->ahead_len = 0;
    eng = &t->cc.eng;
    if (t->eof || t->broken || (br_ssl_engine_current_state(eng) & BR_SSL_CLOSED)) return;
    saved = c->err;
    br_ssl_engine_close(eng);
    cdrest__tls_send_pending(c, eng, cdrest__now_ms(c) + 200);
    c->err = saved;
}

#else /* CDREST_NO_TLS */

static int cdrest__tls_handshake(cdrest_client *c, const char *host, int64_t deadline) {
    (void)deadline;
    return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED, "https://%s needs TLS, and this build has none (CDREST_NO_TLS)",
                        host ? host : "");
}
static long cdrest__tls_read(cdrest_client *c, void *buf, size_t len, int64_t deadline) {
    (void)buf, (void)len, (void)deadline;
    return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED, "TLS is not built in (CDREST_NO_TLS)");
}
static int cdrest__tls_closed_cleanly(cdrest_client *c) {
    (void)c;
    return 0;
}
static int cdrest__tls_pending(cdrest_client *c) {
    (void)c;
    return 0;
}
static int cdrest__tls_write_all(cdrest_client *c, const void *buf, size_t len, int64_t deadline) {
    (void)buf, (void)len, (void)deadline;
    return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED, "TLS is not built in (CDREST_NO_TLS)");
}
static void cdrest__tls_close(cdrest_client *c) {
    (void)c;
}
static void cdrest__tls_free(cdrest_client *c) {
    (void)c;
}

#endif /* CDREST_NO_TLS */
/* ===========================================================================
   HTTP: HTTP/1.1 over the stream (transport, or TLS on top of it). Owns the
   request writer, the strict response reader (status line, headers, framing by
   Content-Length, chunked or close), the receive buffer, keep-alive reuse with one
   resend for idempotent requests, and HTTP proxies (CONNECT and absolute-form).
   Calls the layers above: text, transport, TLS.
   =========================================================================== */

/* The receive buffer starts at CDREST__READ_FIRST (most answers fit, and a default HTTPS
   client stays under 48 KB of heap) and grows by at least CDREST__READ_CHUNK. */
enum { CDREST__READ_CHUNK = 16384, CDREST__READ_FIRST = 8192 };

/* --- the stream: TLS when the server is https, the bare transport otherwise ---- */

static long cdrest__stream_read(cdrest_client *c, void *buf, size_t len, int64_t deadline) {
    if (c->tls_active) return cdrest__tls_read(c, buf, len, deadline);
    return cdrest__tp_read(c, buf, len, deadline);
}

static int cdrest__stream_write(cdrest_client *c, const void *buf, size_t len, int64_t deadline) {
    if (c->tls_active) return cdrest__tls_write_all(c, buf, len, deadline);
    return cdrest__tp_write_all(c, buf, len, deadline);
}

/* A client whose cdrest_init failed, or after cdrest_free, has no transport: every call
   on it is CDREST_E_ARG, never a crash (nor an allocation that nothing would free). */
static int cdrest__check_client(cdrest_client *c) {
    if (c->tp) return 0;
    return cdrest__fail(&c->err, CDREST_E_ARG,
                        "the client is not set up (cdrest_init failed, or cdrest_free was called)");
}

CDRESTDEF void cdrest_disconnect(cdrest_client *c) {
    if (!c || !c->connected) return;
    if (c->tls_active) cdrest__tls_close(c);
    cdrest__tp_close(c);
    c->connected = 0;
    c->tls_active = 0;
    c->conn_requests = 0;
    c->buf_len = 0;
}

/* --- buffers -------------------------------------------------------------- */

/* Make room for at least `need` bytes in *buf, doubling (but never past `most`, when
   that is not 0). Caller-given buffers never grow. */
static int cdrest__grow_upto(cdrest_client *c, char **buf, size_t *cap, size_t need, size_t most, int fixed,
                             const char *what) {
    size_t n;
    char *p;
    if (need <= *cap) return 0;
    if (need == (size_t)-1) /* a saturated sum (cdrest__add): more than the address space */
        return cdrest__fail(&c->err, CDREST_E_TOOLARGE, "%s is larger than this machine can address", what);
    if (fixed)
        return cdrest__fail(&c->err, CDREST_E_TOOLARGE, "%s needs %lu bytes; the caller's buffer has %lu", what,
                            (unsigned long)need, (unsigned long)*cap);
    n = *cap ? *cap : 4096;
    while (n < need) n = n > ((size_t)-1) / 2 ? need : n * 2;
    if (most && n > most) n = most > need ? most : need;
    /* Not realloc: these buffers hold passwords, session ids and Authorization headers,
       and a realloc that moves the block hands the old copy back to the heap unwiped. */
    p = (char *)CDREST_MALLOC(c->cfg.alloc_ctx, n);
    if (!p) return cdrest__fail(&c->err, CDREST_E_NOMEM, "out of memory (%lu bytes for %s)", (unsigned long)n, what);
    if (*buf) {
        memcpy(p, *buf, *cap);
        cdrest__wipe(*buf, *cap);
        CDREST_FREE(c->cfg.alloc_ctx, *buf);
    }
    *buf = p;
    *cap = n;
    return 0;
}

static int cdrest__grow(cdrest_client *c, char **buf, size_t *cap, size_t need, int fixed, const char *what) {
    return cdrest__grow_upto(c, buf, cap, need, 0, fixed, what);
}

/* The one string builder: text appended to one of the client's buffers (the request
   head in c->out, a CD call's target and body), or to a fixed array when c is NULL. The
   first error sticks and later appends do nothing, so a run of appends is checked once,
   at the end (b.rc, a CDREST_E_ code already in c->err). The text stays NUL-terminated. */
typedef struct cdrest__sb {
    cdrest_client *c;
    char **buf;
    size_t *cap;
    size_t len;
    int rc;
    const char *what; /* what the buffer holds, for the error: "the request head" */
} cdrest__sb;

static void cdrest__sb_init(cdrest__sb *b, cdrest_client *c, char **buf, size_t *cap, const char *what) {
    b->c = c;
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    b->rc = 0;
    b->what = what;
}

/* Room for n more bytes and the NUL: where they go, or NULL (b->rc tells why). A fixed
   array that is too small is CDREST_E_TOOLARGE, with the words left to the caller. */
static char *cdrest__sb_room(cdrest__sb *b, size_t n) {
    size_t need = cdrest__add(cdrest__add(b->len, n), 1);
    if (b->rc) return NULL;
    if (!b->c)
        b->rc = need > *b->cap ? CDREST_E_TOOLARGE : 0;
    else
        b->rc = cdrest__grow(b->c, b->buf, b->cap, need, b->c->fixed_send, b->what);
    return b->rc ? NULL : *b->buf + b->len;
}

static void cdrest__sb_put(cdrest__sb *b, const char *s, size_t n) {
    char *at = cdrest__sb_room(b, n);
    if (!at) return;
    memcpy(at, s, n);
    b->len += n;
    at[n] = 0;
}

static void cdrest__sb_str(cdrest__sb *b, const char *s) {
    cdrest__sb_put(b, s, strlen(s));
}

/* Room for `need` bytes in c->in, the copies of inputs that pointed into the client
   (cdrest__http_pin here, cdrest__begin in the CD layer). Its old content is not kept,
   but wiped: it held whatever a caller passed. */
#ifndef CDREST_NO_MALLOC
static int cdrest__in_reserve(cdrest_client *c, size_t need) {
    char *q;
    if (need <= c->in_cap) return 0;
    if (!(q = (char *)CDREST_MALLOC(c->cfg.alloc_ctx, need)))
        return cdrest__fail(&c->err, CDREST_E_NOMEM, "out of memory while copying the inputs");
    if (c->in) {
        cdrest__wipe(c->in, c->in_cap);
        CDREST_FREE(c->cfg.alloc_ctx, c->in);
    }
    c->in = q;
    c->in_cap = need;
    return 0;
}
#else
/* With CDREST_NO_MALLOC there is no room to copy inputs that point into the client: a
   call given one refuses it (CDREST_E_ARG) rather than work on bytes it overwrites. */
static int cdrest__aliased(cdrest_client *c) {
    return cdrest__fail(&c->err, CDREST_E_ARG,
                        "an argument points into the client's own buffers (a previous result); "
                        "copy it first (CDREST_NO_MALLOC leaves no room to copy it)");
}
#endif

/* The receive buffer never grows past what the caps allow (`most`). */
static int cdrest__grow_recv(cdrest_client *c, size_t need, size_t most) {
    return cdrest__grow_upto(c, &c->buf, &c->buf_cap, need, most, !c->owns_buf, "the response");
}

/* The body cap (config.max_body), one rule for every framing: a body kept in the receive
   buffer may have at most `cap` bytes, checked as they come (or as announced), so the
   same response fails with the same words however the network splits it; an announced
   size (a Content-Length, known before any byte) is named. A body handed to on_body is
   never kept: it has no cap (pass 0). */
static int cdrest__body_cap(cdrest_error *err, uint64_t total, uint64_t cap, int announced) {
    char size[40] = "";
    if (!cap || total <= cap) return 0;
    if (announced) snprintf(size, sizeof size, " of %llu bytes is", (unsigned long long)total);
    return cdrest__fail(err, CDREST_E_TOOLARGE, "response body%s larger than the cap of %llu bytes", size,
                        (unsigned long long)cap);
}

/* --- the response head ------------------------------------------------------ */

typedef struct cdrest__head {
    int status;
    int minor;
    const char *reason;
    size_t reason_len;
    cdrest_hspan *headers;
    int max_headers;
    int nheaders;
    int has_length; /* Content-Length present (all values agreeing) */
    uint64_t length;
    int has_te;          /* Transfer-Encoding present */
    int te_chunked_only; /* ... and it is exactly "chunked" */
    int conn_close;      /* Connection: close (HTTP/1.0 answers are never kept alive either) */
} cdrest__head;

/* RFC 9110 tchar: ALPHA DIGIT and !#$%&'*+-.^_`|~ (a table: this runs for every byte of
   every response header name). */
static const unsigned char cdrest__tchar[256] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1,
                                                  0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1,
                                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                                  1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0 };
static int cdrest__is_tchar(int ch) {
    return cdrest__tchar[ch & 0xff];
}

/* A byte no reason phrase, header value, chunk extension or trailer may hold: a control
   character other than HTAB, or DEL (RFC 9110 5.5 allows VCHAR, SP, HTAB and obs-text). */
static int cdrest__http_is_ctl(int ch) {
    return (ch < 0x20 && ch != '\t') || ch == 0x7f;
}

/* Where the head ends in buf[0..len): its length, 0 if not complete yet (scanning
   resumes at *scan next time), or an error for a reply that is not HTTP/1.x at all. */
static long cdrest__http_head_end(const char *buf, size_t len, size_t *scan, cdrest_error *err) {
    size_t i = *scan;
    size_t check = len < 5 ? len : 5;
    if (memcmp(buf, "HTTP/", check) != 0)
        return cdrest__fail(err, CDREST_E_PROTOCOL,
                            "the server's reply is not HTTP/1.x (it starts with no status line)");
    while (i < len) {
        const char *lf = (const char *)memchr(buf + i, '\n', len - i);
        size_t at;
        if (!lf) {
            *scan = len;
            return 0;
        }
        at = (size_t)(lf - buf);
        if (at + 1 >= len || (buf[at + 1] == '\r' && at + 2 >= len)) {
            *scan = at; /* cannot tell yet whether an empty line follows */
            return 0;
        }
        if (buf[at + 1] == '\n') return (long)(at + 2);
        if (buf[at + 1] == '\r' && buf[at + 2] == '\n') return (long)(at + 3);
        i = at + 1;
    }
    *scan = len;
    return 0;
}

/* Parse "HTTP/1.1 200 OK". */
static int cdrest__http_parse_status(const char *s, size_t n, cdrest__head *h, cdrest_error *err) {
    size_t i;
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
        !cdrest__is_digit((unsigned char)s[9]) || !cdrest__is_digit((unsigned char)s[10]) ||
        !cdrest__is_digit((unsigned char)s[11]) || (n > 12 && s[12] != ' '))
        return cdrest__fail(err, CDREST_E_PROTOCOL, "malformed status line");
    h->minor = s[7] - '0';
    h->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (h->status < 100 || h->status > 599)
        return cdrest__fail(err, CDREST_E_PROTOCOL, "status code %d out of range in the status line", h->status);
    h->reason = n > 13 ? s + 13 : s + n;
    h->reason_len = n > 13 ? n - 13 : 0;
    for (i = 0; i < h->reason_len; i++) {
        unsigned char ch = (unsigned char)h->reason[i];
        if (cdrest__http_is_ctl(ch))
            return cdrest__fail(err, CDREST_E_PROTOCOL, "control character in the status line");
    }
    return 0;
}

/* A comma list of decimal lengths, all equal ("5", "5, 5"). */
static int cdrest__http_parse_length(const char *v, size_t n, cdrest__head *h, cdrest_error *err) {
    size_t i = 0;
    while (i < n) {
        uint64_t x = 0;
        size_t digits = 0;
        while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
        while (i < n && cdrest__is_digit((unsigned char)v[i])) {
            if (x > (UINT64_MAX - 9) / 10 || x * 10 + (uint64_t)(v[i] - '0') > (uint64_t)INT64_MAX)
                return cdrest__fail(err, CDREST_E_PROTOCOL, "Content-Length too large");
            x = x * 10 + (uint64_t)(v[i] - '0');
            i++;
            digits++;
        }
        while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
        if (!digits || (i < n && v[i] != ',')) return cdrest__fail(err, CDREST_E_PROTOCOL, "malformed Content-Length");
        if (h->has_length && h->length != x)
            return cdrest__fail(err, CDREST_E_PROTOCOL, "conflicting Content-Length values");
        h->has_length = 1;
        h->length = x;
        if (i < n) i++;
    }
    if (!h->has_length) return cdrest__fail(err, CDREST_E_PROTOCOL, "empty Content-Length");
    return 0;
}

/* Calls fn on each comma-separated token of v (trimmed), lower-case compared by fn. */
static void cdrest__http_tokens(const char *v, size_t n, cdrest__head *h,
                                void (*fn)(cdrest__head *h, const char *t, size_t tn)) {
    size_t i = 0;
    while (i <= n) {
        size_t s, e;
        while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
        s = i;
        while (i < n && v[i] != ',') i++;
        e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e > s) fn(h, v + s, e - s);
        i++;
    }
}

static void cdrest__http_te_token(cdrest__head *h, const char *t, size_t n) {
    /* Only "chunked", alone, is understood; any other coding fails the request. */
    h->te_chunked_only = !h->has_te && cdrest__ieq(t, n, "chunked");
    h->has_te = 1;
}

static void cdrest__http_conn_token(cdrest__head *h, const char *t, size_t n) {
    if (cdrest__ieq(t, n, "close")) h->conn_close = 1;
}

static int cdrest__http_header_semantics(cdrest__head *h, const cdrest_hspan *hs, cdrest_error *err) {
    size_t n = hs->name_len; /* only three names matter: compare those of the right length */
    if (n != 14 && n != 17 && n != 10) return 0;
    if (cdrest__ieq(hs->name, hs->name_len, "content-length"))
        return cdrest__http_parse_length(hs->value, hs->value_len, h, err);
    if (cdrest__ieq(hs->name, hs->name_len, "transfer-encoding")) {
        int before = h->has_te;
        cdrest__http_tokens(hs->value, hs->value_len, h, cdrest__http_te_token);
        if (before) h->te_chunked_only = 0; /* two Transfer-Encoding headers: a list of codings */
        if (!h->has_te) return cdrest__fail(err, CDREST_E_PROTOCOL, "empty Transfer-Encoding");
    } else if (cdrest__ieq(hs->name, hs->name_len, "connection")) {
        cdrest__http_tokens(hs->value, hs->value_len, h, cdrest__http_conn_token);
    }
    return 0;
}

/* 1 if s[0..n) may hold a byte below 0x20 or DEL; 0 means it surely does not. A word at
   a time (the value scan was a third of a keep-alive request's instructions): a byte
   < 0x20 or == 0x7f sets the high bit of its lane in one of the two words below, and a
   byte >= 0x80 (obs-text, allowed) never does. Tabs are reported too: the caller's byte
   loop then decides. */
static size_t cdrest__http_ctl_lanes(const char *p) {
    const size_t ones = (size_t)-1 / 255, highs = ones * 0x80; /* 0x0101..., 0x8080... */
    size_t x, del;
    memcpy(&x, p, sizeof x);
    del = x ^ (ones * 0x7f);
    return ((x - ones * 0x20) & ~x & highs) | ((del - ones) & ~del & highs);
}

static int cdrest__http_maybe_ctl(const char *s, size_t n) {
    const size_t w = sizeof(size_t); /* a machine word: 8 bytes at a time on 64-bit, 4 on 32-bit */
    size_t any = 0, i;
    if (n < w) {
        for (i = 0; i < n; i++) any |= (unsigned char)s[i] < 0x20 || s[i] == 0x7f;
        return any != 0;
    }
    for (i = 0; i + w <= n; i += w) any |= cdrest__http_ctl_lanes(s + i);
    if (i < n) any |= cdrest__http_ctl_lanes(s + n - w); /* the tail, overlapping the last word */
    return any != 0;
}

/* One header line s[0..n) (no line ending). obs-fold continuations were already
   joined into the previous line by the caller. */
static int cdrest__http_parse_header(char *s, size_t n, cdrest__head *h, cdrest_error *err) {
    size_t i = 0, vs, ve, name_len;
    cdrest_hspan *hs;
    while (i < n && cdrest__is_tchar((unsigned char)s[i])) i++;
    name_len = i; /* the name ends at the colon checked next */
    if (i == 0 || i >= n || s[i] != ':') {
        if (memchr(s, 0, n)) return cdrest__fail(err, CDREST_E_PROTOCOL, "NUL byte in a response header");
        if (i > 0) {
            size_t j = i;
            while (j < n && (s[j] == ' ' || s[j] == '\t')) j++;
            if (j > i && j < n && s[j] == ':')
                return cdrest__fail(err, CDREST_E_PROTOCOL, "whitespace before the colon in a response header");
        }
        return cdrest__fail(err, CDREST_E_PROTOCOL, "response header line without a colon");
    }
    vs = i + 1;
    while (vs < n && (s[vs] == ' ' || s[vs] == '\t')) vs++;
    ve = n;
    while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t')) ve--;
    for (i = cdrest__http_maybe_ctl(s + vs, ve - vs) ? vs : ve; i < ve; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0) return cdrest__fail(err, CDREST_E_PROTOCOL, "NUL byte in a response header");
        if (cdrest__http_is_ctl(ch))
            return cdrest__fail(err, CDREST_E_PROTOCOL, "control character in a response header");
    }
    if (h->nheaders >= h->max_headers)
        return cdrest__fail(err, CDREST_E_TOOLARGE, "more than %d response headers", h->max_headers);
    hs = &h->headers[h->nheaders++];
    hs->name = s;
    hs->name_len = name_len;
    hs->value = s + vs;
    hs->value_len = ve - vs;
    return cdrest__http_header_semantics(h, hs, err);
}

/* Length of the line at s (up to LF, without CR LF or LF); *next gets the next line. */
static int cdrest__http_line(char *s, char *end, size_t *len, char **next, cdrest_error *err) {
    char *lf = (char *)memchr(s, '\n', (size_t)(end - s));
    size_t n;
    if (!lf) return cdrest__fail(err, CDREST_E_PROTOCOL, "unterminated header line");
    n = (size_t)(lf - s);
    if (n && s[n - 1] == '\r') n--;
    if (memchr(s, '\r', n)) return cdrest__fail(err, CDREST_E_PROTOCOL, "bare CR in the response head");
    *len = n;
    *next = lf + 1;
    return 0;
}

/* Parse a complete head buf[0..n) (ending with an empty line). obs-fold continuation
   lines are joined into the line before them in place (RFC 9112 5.2: replace by SP). */
static int cdrest__http_parse_head(char *buf, size_t n, cdrest__head *h, cdrest_error *err) {
    char *p = buf, *end = buf + n, *next = NULL; /* set by cdrest__http_line; gcc -O3 cannot see it */
    size_t len = 0;
    int rc;
    cdrest_hspan *headers = h->headers;
    int max = h->max_headers;
    memset(h, 0, sizeof *h);
    h->headers = headers;
    h->max_headers = max;
    if ((rc = cdrest__http_line(p, end, &len, &next, err)) != 0) return rc;
    if ((rc = cdrest__http_parse_status(p, len, h, err)) != 0) return rc;
    for (p = next; p < end;) {
        char *line = p;
        if ((rc = cdrest__http_line(p, end, &len, &next, err)) != 0) return rc;
        if (len == 0) return 0;
        /* Join continuation lines: blank out the line break before each. */
        while (next < end && (*next == ' ' || *next == '\t')) {
            size_t more = 0;
            char *after = NULL;
            if ((rc = cdrest__http_line(next, end, &more, &after, err)) != 0) return rc;
            memset(line + len, ' ', (size_t)(next - (line + len)));
            len = (size_t)(next - line) + more;
            next = after;
        }
        if ((rc = cdrest__http_parse_header(line, len, h, err)) != 0) return rc;
        p = next;
    }
    return cdrest__fail(err, CDREST_E_PROTOCOL, "response head without an empty line");
}

CDRESTDEF const char *cdrest_response_header(const cdrest_response *r, const char *name, size_t *len) {
    int i;
    size_t nlen = strlen(name);
    for (i = 0; i < r->nheaders; i++) {
        const cdrest_hspan *h = &r->headers[i];
        if (h->name_len == nlen && cdrest__same_ci(h->name, name, nlen)) {
            if (len) *len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

/* --- chunked bodies ----------------------------------------------------------- */

enum {
    CDREST__CH_SIZE,
    CDREST__CH_SIZE_WS,
    CDREST__CH_EXT,
    CDREST__CH_SIZE_LF,
    CDREST__CH_DATA,
    CDREST__CH_DATA_CR,
    CDREST__CH_DATA_LF,
    CDREST__CH_TRAILER_START,
    CDREST__CH_TRAILER,
    CDREST__CH_TRAILER_LF,
    CDREST__CH_END_LF,
    CDREST__CH_DONE
};

typedef struct cdrest__chunked {
    int state;
    int digits;
    uint64_t remaining; /* data bytes left in the current chunk */
    size_t line_bytes;  /* bytes of the current chunk line or trailer section */
    uint64_t offset;    /* bytes of the response consumed, for error messages */
    uint64_t decoded;   /* data bytes produced so far */
    uint64_t limit;     /* at most this many data bytes (cdrest__body_cap), 0 = no limit */
} cdrest__chunked;

enum { CDREST__MAX_CHUNK_LINE = 4096 };

static int cdrest__chunk_fail(cdrest__chunked *st, cdrest_error *err, const char *what) {
    return cdrest__fail(err, CDREST_E_PROTOCOL, "%s at byte %llu of the chunked body", what,
                        (unsigned long long)st->offset);
}

/* One framing byte (size line, CRLF after data, trailers). */
static int cdrest__chunk_byte(cdrest__chunked *st, int ch, cdrest_error *err) {
    if (++st->line_bytes > CDREST__MAX_CHUNK_LINE && st->state != CDREST__CH_DATA_CR)
        return cdrest__chunk_fail(st, err, "chunk line or trailers too long");
    switch (st->state) {
        case CDREST__CH_SIZE: {
            int v = cdrest__hex_value(ch);
            if (v >= 0) {
                /* Leading zeros are no digits of the value: only 15 significant ones fit. */
                if (st->remaining >= ((uint64_t)1 << 56)) return cdrest__chunk_fail(st, err, "chunk size overflow");
                st->remaining = st->remaining * 16 + (uint64_t)v;
                st->digits++;
                return 0;
            }
            if (!st->digits) return cdrest__chunk_fail(st, err, "malformed chunk size");
            if (ch == ' ' || ch == '\t') {
                st->state = CDREST__CH_SIZE_WS;
                return 0;
            }
            /* fall through to the checks after the size */
            st->state = CDREST__CH_SIZE_WS;
        }
        /* fall through */
        case CDREST__CH_SIZE_WS:
            if (ch == ' ' || ch == '\t') return 0;
            if (ch == ';') {
                st->state = CDREST__CH_EXT;
                return 0;
            }
            if (ch == '\r') {
                st->state = CDREST__CH_SIZE_LF;
                return 0;
            }
            if (ch == '\n') return cdrest__chunk_fail(st, err, "bare LF in a chunk line");
            return cdrest__chunk_fail(st, err, "junk after the chunk size");
        case CDREST__CH_EXT: /* chunk extensions are accepted and ignored */
            if (ch == '\r') {
                st->state = CDREST__CH_SIZE_LF;
                return 0;
            }
            if (ch == '\n') return cdrest__chunk_fail(st, err, "bare LF in a chunk line");
            if (cdrest__http_is_ctl(ch)) return cdrest__chunk_fail(st, err, "control character in a chunk extension");
            return 0;
        case CDREST__CH_SIZE_LF:
            if (ch != '\n') return cdrest__chunk_fail(st, err, "bare CR in a chunk line");
            st->line_bytes = 0;
            st->state = st->remaining ? CDREST__CH_DATA : CDREST__CH_TRAILER_START;
            return 0;
        case CDREST__CH_DATA_CR:
            if (ch == '\n') return cdrest__chunk_fail(st, err, "bare LF after chunk data");
            if (ch != '\r') return cdrest__chunk_fail(st, err, "chunk data longer than its size");
            st->state = CDREST__CH_DATA_LF;
            return 0;
        case CDREST__CH_DATA_LF:
            if (ch != '\n') return cdrest__chunk_fail(st, err, "bare CR after chunk data");
            st->state = CDREST__CH_SIZE;
            st->digits = 0;
            st->line_bytes = 0;
            return 0;
        case CDREST__CH_TRAILER_START: /* an empty line ends the body; anything else is a trailer */
            if (ch == '\r') {
                st->state = CDREST__CH_END_LF;
                return 0;
            }
            st->state = CDREST__CH_TRAILER;
        /* fall through */
        case CDREST__CH_TRAILER: /* trailers are read and ignored, but must be clean lines */
            if (ch == '\r') {
                st->state = CDREST__CH_TRAILER_LF;
                return 0;
            }
            if (ch == '\n') return cdrest__chunk_fail(st, err, "bare LF in the trailers");
            if (ch == 0) return cdrest__chunk_fail(st, err, "NUL byte in the trailers");
            if (cdrest__http_is_ctl(ch)) return cdrest__chunk_fail(st, err, "control character in the trailers");
            return 0;
        case CDREST__CH_TRAILER_LF:
            if (ch != '\n') return cdrest__chunk_fail(st, err, "bare CR in the trailers");
            st->state = CDREST__CH_TRAILER_START;
            return 0;
        case CDREST__CH_END_LF:
            if (ch != '\n') return cdrest__chunk_fail(st, err, "bare CR at the end of the chunked body");
            st->state = CDREST__CH_DONE;
            return 0;
        default: return cdrest__chunk_fail(st, err, "data after the end of the chunked body");
    }
}

/* Decode buf[0..n) in place: chunk data is moved to the front. Returns the number of
   data bytes now at buf[0..), and *used the input bytes consumed (< n only when the
   body ended: the rest is beyond the response). < 0 on a framing error. */
static long cdrest__chunked_decode(cdrest__chunked *st, char *buf, size_t n, size_t *used, cdrest_error *err) {
    size_t in = 0, out = 0;
    while (in < n && st->state != CDREST__CH_DONE) {
        if (st->state == CDREST__CH_DATA) {
            size_t take = n - in;
            if ((uint64_t)take > st->remaining) take = (size_t)st->remaining;
            int rc = cdrest__body_cap(err, st->decoded + take, st->limit, 0);
            if (rc) return rc;
            st->decoded += take;
            CDREST_ASSERT(out <= in); /* decoding only drops framing bytes: data moves to the front */
            if (out != in) memmove(buf + out, buf + in, take);
            out += take;
            in += take;
            st->offset += take;
            st->remaining -= take;
            if (!st->remaining) st->state = CDREST__CH_DATA_CR;
            continue;
        }
        if (cdrest__chunk_byte(st, (unsigned char)buf[in], err) != 0) return err ? err->code : CDREST_E_PROTOCOL;
        in++;
        st->offset++;
    }
    *used = in;
    return (long)out;
}

/* --- writing the request ---------------------------------------------------------- */

static int cdrest__http_is_idempotent(const char *m) {
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") || !strcmp(m, "DELETE") ||
           !strcmp(m, "OPTIONS");
}

/* Headers the library writes itself, lower-case: the framing ones (a caller's copy would
   make a second Host or Content-Length, or a Transfer-Encoding beside our Content-Length:
   request smuggling), then the auth ones it sends for the credentials it holds (a
   caller's own would go beside them), then the proxy's. */
static const char *const cdrest__owned_headers[] = { "host",       "content-length",     "transfer-encoding",
                                                     "connection", "authorization",      "cookie",
                                                     "sessionid",  "proxy-authorization" };

/* 1 if header n is the library's to write on this client: always for framing, while it
   holds credentials (from_caller only: the CD layer passes its own) for auth. */
static int cdrest__http_owned_header(const cdrest_client *c, const char *n, int from_caller) {
    size_t len = strlen(n), i;
    for (i = 0; i < sizeof cdrest__owned_headers / sizeof cdrest__owned_headers[0]; i++)
        if (cdrest__ieq(n, len, cdrest__owned_headers[i]))
            return i < 4 ||
                   (from_caller && (i == 7 ? c->proxy_auth[0] != 0
                                           : c->password[0] || c->token[0] || c->session_id[0] || c->cfg.basic_auth));
    return 0;
}

/* Refuse, before anything is sent, a request that could split or smuggle. from_caller:
   the headers come from cdrest_http's caller (the CD layer adds the auth ones itself). */
static int cdrest__http_check_request(cdrest_client *c, const cdrest_request *r, int from_caller) {
    int i;
    size_t k;
    if (!r->method || !*r->method || !r->target || r->target[0] != '/' || r->nheaders < 0 ||
        (r->nheaders && !r->headers) || (r->body_len && !r->body && !r->body_read))
        return cdrest__fail(&c->err, CDREST_E_ARG,
                            "invalid request: method, a target starting with '/' and a body are required");
    for (k = 0; r->method[k]; k++)
        if (!cdrest__is_tchar((unsigned char)r->method[k]))
            return cdrest__fail(&c->err, CDREST_E_ARG, "invalid request: bad method");
    for (k = 0; r->target[k]; k++)
        if ((unsigned char)r->target[k] <= ' ' || r->target[k] == 0x7f || r->target[k] == '#')
            return cdrest__fail(&c->err, CDREST_E_ARG,
                                "invalid request: the target has a space, control character or '#'");
    for (i = 0; i < r->nheaders; i++) {
        const char *n = r->headers[i].name, *v = r->headers[i].value;
        if (!n || !*n || !v)
            return cdrest__fail(&c->err, CDREST_E_ARG, "invalid request: header %d has no name or value", i);
        for (k = 0; n[k]; k++)
            if (!cdrest__is_tchar((unsigned char)n[k]))
                return cdrest__fail(&c->err, CDREST_E_ARG, "invalid request: bad header name");
        if (cdrest__has_crlf_nul(v, strlen(v)))
            return cdrest__fail(&c->err, CDREST_E_ARG, "invalid request: CR or LF in the value of header %s", n);
        if (cdrest__http_owned_header(c, n, from_caller))
            return cdrest__fail(&c->err, CDREST_E_ARG,
                                "invalid request: header %.64s is written by cdrest itself "
                                "(Host, Content-Length, Transfer-Encoding, Connection, and the auth headers of the "
                                "credentials it holds)",
                                n);
    }
    return 0;
}

/* "host[:port]" as the Host header and CONNECT target want it. */
static void cdrest__host_port(const cdrest_url *u, int always_port, char *out, size_t cap) {
    /* Once per request: plain copies, no snprintf (which cost ~1,400 instructions here). */
    char port[8];
    size_t hl = strlen(u->host), pl = 0, n = 0;
    unsigned v = u->port;
    int with_port = always_port || u->port != (u->https ? 443 : 80);
    if (cap < hl + 10) { /* cannot happen with cdrest_url's 256-byte host and our callers' 300 */
        if (cap) out[0] = 0;
        return;
    }
    if (with_port) do
            port[pl++] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
    if (u->ipv6) out[n++] = '[';
    memcpy(out + n, u->host, hl);
    n += hl;
    if (u->ipv6) out[n++] = ']';
    if (with_port) {
        out[n++] = ':';
        while (pl) out[n++] = port[--pl];
    }
    out[n] = 0;
}

/* Proxy-Authorization, when the proxy has credentials: the one place it is written, for
   the CONNECT of a tunnel and for each request sent in absolute-form to a plain proxy. */
static void cdrest__sb_proxy_auth(cdrest__sb *b, const cdrest_client *c) {
    if (!c->proxy_auth[0]) return;
    cdrest__sb_str(b, "Proxy-Authorization: ");
    cdrest__sb_str(b, c->proxy_auth);
    cdrest__sb_str(b, "\r\n");
}

/* The head of request r into b. The request line names base + target: base is the base
   path of config.server, or "" for a redirect's Location (already a whole path). */
static int cdrest__http_write_head(cdrest_client *c, const cdrest_request *r, const char *base, cdrest__sb *b) {
    char host[300], num[48]; /* "Content-Length: " + 20 digits + CRLF */
    int i;
    cdrest__host_port(&c->url, 0, host, sizeof host);
    cdrest__sb_str(b, r->method);
    cdrest__sb_str(b, " ");
    if (c->use_proxy && !c->url.https) { /* absolute-form through an HTTP proxy */
        cdrest__sb_str(b, "http://");
        cdrest__sb_str(b, host);
    }
    cdrest__sb_str(b, base);
    cdrest__sb_str(b, r->target);
    cdrest__sb_str(b, " HTTP/1.1\r\nHost: ");
    cdrest__sb_str(b, host);
    cdrest__sb_str(b, "\r\nUser-Agent: cdrest/" CDREST_VERSION "\r\n");
    if (c->use_proxy && !c->url.https) cdrest__sb_proxy_auth(b, c);
    for (i = 0; i < r->nheaders; i++) {
        cdrest__sb_str(b, r->headers[i].name);
        cdrest__sb_str(b, ": ");
        cdrest__sb_str(b, r->headers[i].value);
        cdrest__sb_str(b, "\r\n");
    }
    if (r->body_len || r->body || r->body_read || !strcmp(r->method, "POST") || !strcmp(r->method, "PUT") ||
        !strcmp(r->method, "PATCH")) {
        int n = snprintf(num, sizeof num, "Content-Length: %llu\r\n", (unsigned long long)r->body_len);
        if (n < 0 || (size_t)n >= sizeof num) /* never truncated: refuse rather than lie */
            return cdrest__fail(&c->err, CDREST_E_ARG, "invalid request: the Content-Length does not fit");
        cdrest__sb_str(b, num);
    }
    cdrest__sb_str(b, "\r\n");
    return b->rc;
}

/* Send head and body (base as in cdrest__http_write_head). *sent_any tells whether the
   stream took any byte (a request that failed before that was provably not received). */
static int cdrest__http_send(cdrest_client *c, const cdrest_request *r, const char *base, int64_t deadline,
                             int *sent_any) {
    cdrest__sb b;
    int rc;
    *sent_any = 0;
    cdrest__sb_init(&b, c, &c->out, &c->out_cap, "the request head");
    if ((rc = cdrest__http_write_head(c, r, base, &b)) != 0) return rc;
    /* A small body goes out with the head in one write (one TLS record, one segment). */
    if (r->body && r->body_len && r->body_len <= 16384 && (!c->fixed_send || b.len + r->body_len < c->out_cap)) {
        cdrest__sb_put(&b, (const char *)r->body, r->body_len);
        if (b.rc) return b.rc;
        rc = cdrest__stream_write(c, c->out, b.len, deadline);
        *sent_any = 1;
        return rc;
    }
    rc = cdrest__stream_write(c, c->out, b.len, deadline);
    *sent_any = 1;
    if (rc) return rc;
    if (r->body && r->body_len) return cdrest__stream_write(c, r->body, r->body_len, deadline);
    if (r->body_read) {
        uint64_t left = r->body_len;
        if (!c->fixed_send && (rc = cdrest__grow(c, &c->out, &c->out_cap, CDREST__READ_CHUNK, 0, "the request")) != 0)
            return rc;
        while (left > 0) {
            size_t want = left < (uint64_t)c->out_cap ? (size_t)left : c->out_cap;
            long n = r->body_read(r->body_ctx, c->out, want);
            if (n < 0)
                return cdrest__fail(&c->err, (int)n, "the request body could not be read (%s)",
                                    cdrest_strerror((int)n));
            if (n == 0 || (size_t)n > want)
                return cdrest__fail(&c->err, CDREST_E_ARG,
                                    "the request body ended %llu bytes short of its Content-Length",
                                    (unsigned long long)left);
            if ((rc = cdrest__stream_write(c, c->out, (size_t)n, deadline)) != 0) return rc;
            left -= (uint64_t)n;
        }
    }
    return 0;
}

/* --- reading the response ------------------------------------------------------------ */

/* Read more bytes into the receive buffer (growing it within the cap). */
static long cdrest__http_fill(cdrest_client *c, size_t cap_total, int64_t deadline) {
    long n;
    size_t room;
    if (c->buf_len + 1 >= c->buf_cap) {
        size_t need = cdrest__add(c->buf_len, c->buf_cap ? CDREST__READ_CHUNK : CDREST__READ_FIRST),
               most = cdrest__add(cap_total, 1);
        int rc;
        if (need > most) need = most;
        if (need <= c->buf_cap)
            return cdrest__fail(&c->err, CDREST_E_TOOLARGE, "the response does not fit in %lu bytes",
                                (unsigned long)c->buf_cap);
        if ((rc = cdrest__grow_recv(c, need, most)) != 0) return rc;
    }
    /* room for at least one byte and the NUL kept after the data (the growth above makes
       buf_cap >= buf_len + 2, or failed) */
    CDREST_ASSERT(c->buf && c->buf_len + 1 < c->buf_cap);
    room = c->buf_cap - c->buf_len - 1;
    if (room > (size_t)LONG_MAX) room = (size_t)LONG_MAX; /* the count comes back as a long */
    n = cdrest__stream_read(c, c->buf + c->buf_len, room, deadline);
    if (n > 0) c->buf_len += (size_t)n;
    return n;
}

/* Read one head (a response's, or a proxy's answer to CONNECT) into the receive buffer;
   returns its length. */
static long cdrest__http_read_head(cdrest_client *c, int64_t deadline, size_t *scan) {
    const size_t max = CDREST_MAX_HEADER_BYTES;
    for (;;) {
        long end = c->buf_len ? cdrest__http_head_end(c->buf, c->buf_len, scan, &c->err) : 0, n;
        /* too large: a complete head over the cap, or the cap reached with no end in sight */
        if (end > (long)max || (end == 0 && c->buf_len >= max))
            return cdrest__fail(&c->err, CDREST_E_TOOLARGE, "response headers larger than %lu bytes",
                                (unsigned long)max);
        if (end != 0) return end;
        n = cdrest__http_fill(c, max, deadline);
        if (n < 0) return n;
        if (n == 0)
            return cdrest__fail(&c->err, CDREST_E_IO,
                                c->buf_len ? "the server closed the connection in the response headers"
                                           : "the server closed the connection without answering");
    }
}

/* The state of one response being read. */
typedef struct cdrest__rx {
    const cdrest_request *req;
    cdrest__head head;
    size_t head_len;
    size_t body_len;    /* body bytes kept at buf + head_len (buffered mode) */
    uint64_t delivered; /* body bytes handed to on_body (streaming mode) */
    size_t cap;         /* body cap (cdrest__rx_cap says when it applies) */
    int keep_alive;
    const char *parsed_in; /* the buffer the head's spans point into */
} cdrest__rx;

/* The cap for cdrest__body_cap: none for a streamed body. */
static uint64_t cdrest__rx_cap(const cdrest__rx *rx) {
    return rx->req->on_body ? 0 : (uint64_t)rx->cap;
}

static int cdrest__rx_body_bytes(cdrest_client *c, cdrest__rx *rx, size_t n) {
    int rc = cdrest__body_cap(&c->err, rx->delivered + rx->body_len + n, cdrest__rx_cap(rx), 0);
    if (rc) return rc;
    if (rx->req->on_body) {
        int rc = n ? rx->req->on_body(rx->req->on_body_ctx, c->buf + rx->head_len, n) : 0;
        if (rc) return cdrest__fail(&c->err, rc < 0 ? rc : CDREST_E_ARG, "the body callback stopped the transfer");
        rx->delivered += n;
        c->buf_len = rx->head_len;
    } else {
        rx->body_len += n;
    }
    return 0;
}

static int cdrest__http_timeout_msg(cdrest_client *c, int rc, const char *phase) {
    if (rc == CDREST_E_TIMEOUT && cdrest__idle_expired(c))
        return cdrest__fail(&c->err, rc, "no data for %d ms %s (the idle timeout)", c->idle_timeout_ms, phase);
    if (rc == CDREST_E_TIMEOUT) return cdrest__fail(&c->err, rc, "timeout after %d ms %s", c->cfg.timeout_ms, phase);
    return rc;
}

/* Body framed by Content-Length. */
static int cdrest__http_body_length(cdrest_client *c, cdrest__rx *rx, int64_t deadline) {
    uint64_t len = rx->head.length;
    size_t have = c->buf_len - rx->head_len;
    if (!rx->req->on_body) {
        int rc = cdrest__body_cap(&c->err, len, cdrest__rx_cap(rx), 1); /* before any byte */
        if (rc) return rc;
        /* known: grow to it exactly, no doubling (saturating: on 32 bits a cap near 4 GiB
           plus the head would wrap to a small buffer) */
        size_t need = cdrest__add(cdrest__add(rx->head_len, (size_t)len), 1);
        if ((rc = cdrest__grow_recv(c, need, need)) != 0) return rc;
    }
    if ((uint64_t)have > len) { /* more than announced: keep the body, drop the rest and the connection */
        have = (size_t)len;
        c->buf_len = rx->head_len + have;
        rx->keep_alive = 0;
    }
    for (;;) {
        long n;
        int rc;
        if ((rc = cdrest__rx_body_bytes(c, rx, have)) != 0) return rc;
        if (rx->delivered + rx->body_len == len) return 0;
        n = cdrest__http_fill(c, cdrest__add(rx->head_len, rx->cap), deadline);
        if (n < 0) return cdrest__http_timeout_msg(c, (int)n, "reading the response body");
        if (n == 0)
            return cdrest__fail(&c->err, CDREST_E_IO, "the server closed the connection after %llu of %llu body bytes",
                                (unsigned long long)(rx->delivered + rx->body_len), (unsigned long long)len);
        have = (size_t)n;
        if (rx->delivered + rx->body_len + have > len) {
            have = (size_t)(len - rx->delivered - rx->body_len);
            c->buf_len = rx->head_len + rx->body_len + have;
            rx->keep_alive = 0;
        }
    }
}

/* Body framed by chunked coding, decoded in place after the head. */
static int cdrest__http_body_chunked(cdrest_client *c, cdrest__rx *rx, int64_t deadline) {
    cdrest__chunked st;
    size_t raw_start = rx->head_len; /* undecoded bytes start here */
    memset(&st, 0, sizeof st);
    st.limit = cdrest__rx_cap(rx); /* never 0 for a kept body: cdrest_init sets max_body */
    for (;;) {
        size_t used = 0, raw = c->buf_len - raw_start;
        long out = cdrest__chunked_decode(&st, c->buf + raw_start, raw, &used, &c->err);
        int rc;
        if (out < 0) return (int)out;
        if (used < raw) rx->keep_alive = 0; /* bytes beyond the response: never reuse */
        /* decoded bytes now sit at raw_start; make them contiguous with the body */
        c->buf_len = raw_start + (size_t)out;
        if ((rc = cdrest__rx_body_bytes(c, rx, (size_t)out)) != 0) return rc;
        raw_start = c->buf_len;
        if (st.state == CDREST__CH_DONE) return 0;
        {
            long n =
                cdrest__http_fill(c, cdrest__add(cdrest__add(rx->head_len, rx->cap), CDREST__MAX_CHUNK_LINE), deadline);
            if (n < 0) return cdrest__http_timeout_msg(c, (int)n, "reading the response body");
            if (n == 0)
                return cdrest__fail(&c->err, CDREST_E_IO, "the server closed the connection before the last chunk");
        }
    }
}

/* Body until the server closes (neither length nor chunked). Over TLS a close without
   close_notify could be a truncation attack: refuse it. */
static int cdrest__http_body_close(cdrest_client *c, cdrest__rx *rx, int64_t deadline) {
    size_t have = c->buf_len - rx->head_len;
    rx->keep_alive = 0;
    for (;;) {
        long n;
        int rc;
        if ((rc = cdrest__rx_body_bytes(c, rx, have)) != 0) return rc;
        if (!rx->req->on_body && rx->body_len == rx->cap) {
            /* The cap is reached and the buffer is full: only the end of the stream may
               follow. One byte more is over the cap, as with any other framing. */
            char more;
            n = cdrest__stream_read(c, &more, 1, deadline);
            if (n < 0) return cdrest__http_timeout_msg(c, (int)n, "reading the response body");
            if (n > 0) return cdrest__rx_body_bytes(c, rx, 1);
            break;
        }
        n = cdrest__http_fill(c, cdrest__add(rx->head_len, rx->cap), deadline);
        if (n < 0) return cdrest__http_timeout_msg(c, (int)n, "reading the response body");
        if (n == 0) break;
        have = (size_t)n;
    }
    if (c->tls_active && !cdrest__tls_closed_cleanly(c))
        return cdrest__fail(&c->err, CDREST_E_IO,
                            "the TLS connection ended without close_notify: the body may be truncated");
    return 0;
}

static int cdrest__http_read_body(cdrest_client *c, cdrest__rx *rx, int64_t deadline) {
    int st = rx->head.status;
    if (!strcmp(rx->req->method, "HEAD") || st == 204 || st == 304) {
        if (c->buf_len > rx->head_len) rx->keep_alive = 0; /* a body where none may be */
        c->buf_len = rx->head_len;
        return 0;
    }
    if (rx->head.has_te) {
        if (rx->head.has_length)
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL,
                                "the response has both Transfer-Encoding and Content-Length");
        if (!rx->head.te_chunked_only)
            return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED,
                                "unsupported Transfer-Encoding (only chunked is understood)");
        return cdrest__http_body_chunked(c, rx, deadline);
    }
    if (rx->head.has_length) return cdrest__http_body_length(c, rx, deadline);
    return cdrest__http_body_close(c, rx, deadline);
}

/* Read one final response (skipping 1xx interim ones). *got_any tells whether any
   byte of a response arrived (a reused connection that closed before is retryable). */
enum {
    CDREST__MAX_INTERIM = 16
}; /* 1xx heads before the final one: a server sending
                                       more is broken or stalling us */
static int cdrest__http_receive(cdrest_client *c, cdrest__rx *rx, int64_t deadline, int *got_any) {
    int interim = 0;
    *got_any = 0;
    for (;;) {
        size_t scan = 0;
        long head = cdrest__http_read_head(c, deadline, &scan);
        int rc;
        if (c->buf_len) *got_any = 1;
        if (head < 0) return cdrest__http_timeout_msg(c, (int)head, "reading the response headers");
        rx->head.headers = c->headers;
        rx->head.max_headers = CDREST_MAX_HEADERS;
        if ((rc = cdrest__http_parse_head(c->buf, (size_t)head, &rx->head, &c->err)) != 0) return rc;
        rx->head_len = (size_t)head;
        rx->parsed_in = c->buf;
        if (rx->head.status >= 200) break;
        if (rx->head.status == 101)
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL,
                                "the server switched protocols (101), which cdrest does not do");
        if (++interim > CDREST__MAX_INTERIM)
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the server sent more than %d interim (1xx) responses",
                                CDREST__MAX_INTERIM);
        /* 1xx: drop it and read the next head */
        memmove(c->buf, c->buf + head, c->buf_len - (size_t)head);
        c->buf_len -= (size_t)head;
    }
    c->err.http_status = rx->head.status;
    rx->keep_alive = rx->head.minor >= 1 && !rx->head.conn_close;
    return cdrest__http_read_body(c, rx, deadline);
}

/* Point the response at the final buffer (it may have moved while the body grew). */
static void cdrest__http_finish(cdrest_client *c, cdrest__rx *rx, cdrest_response *resp) {
    cdrest__head h = rx->head;
    if (c->buf_cap > rx->head_len + rx->body_len) c->buf[rx->head_len + rx->body_len] = 0;
    /* The buffer moved while the body grew: re-parse the (already validated) head so
       every span points into the final buffer. */
    if (c->buf != rx->parsed_in) cdrest__http_parse_head(c->buf, rx->head_len, &h, NULL);
    resp->status = h.status;
    resp->http_minor = h.minor;
    resp->reason = h.reason;
    resp->reason_len = h.reason_len;
    resp->headers = c->headers;
    resp->nheaders = h.nheaders;
    resp->body = c->buf + rx->head_len;
    resp->body_len = rx->body_len;
}

/* --- opening the connection (direct, or through a proxy) ------------------------------ */

#ifndef CDREST_NO_PROXY
static int cdrest__http_proxy_tunnel(cdrest_client *c, int64_t deadline) {
    char target[300];
    size_t scan = 0;
    long head;
    cdrest__head h;
    cdrest__sb b;
    int rc;
    cdrest__host_port(&c->url, 1, target, sizeof target);
    cdrest__sb_init(&b, c, &c->out, &c->out_cap, "the request head");
    cdrest__sb_str(&b, "CONNECT ");
    cdrest__sb_str(&b, target);
    cdrest__sb_str(&b, " HTTP/1.1\r\nHost: ");
    cdrest__sb_str(&b, target);
    cdrest__sb_str(&b, "\r\n");
    cdrest__sb_proxy_auth(&b, c);
    cdrest__sb_str(&b, "\r\n");
    if (b.rc) return b.rc;
    if ((rc = cdrest__tp_write_all(c, c->out, b.len, deadline)) != 0) return rc;
    c->buf_len = 0;
    head = cdrest__http_read_head(c, deadline, &scan);
    if (head < 0) return (int)head;
    h.headers = c->headers;
    h.max_headers = CDREST_MAX_HEADERS;
    if ((rc = cdrest__http_parse_head(c->buf, (size_t)head, &h, &c->err)) != 0) return rc;
    if (h.status / 100 != 2) {
        c->err.http_status = h.status;
        return cdrest__fail(&c->err, h.status == 407 ? CDREST_E_AUTH : CDREST_E_CONNECT,
                            "the proxy %s:%u refused the tunnel to %s: HTTP/1.%d %d %.*s", c->proxy_url.host,
                            (unsigned)c->proxy_url.port, target, h.minor, h.status, (int)h.reason_len, h.reason);
    }
    if ((size_t)head != c->buf_len)
        return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the proxy sent data after accepting the tunnel");
    c->buf_len = 0;
    return 0;
}
#endif

static int cdrest__http_open(cdrest_client *c, int64_t deadline) {
    const cdrest_url *to = c->use_proxy ? &c->proxy_url : &c->url;
    int rc = cdrest__tp_connect(c, to->host, to->port, deadline);
    if (rc) return rc;
    c->connected = 1;
    c->conn_requests = 0;
    c->connects++;
    c->buf_len = 0;
#ifndef CDREST_NO_PROXY
    if (c->use_proxy && c->url.https && (rc = cdrest__http_proxy_tunnel(c, deadline)) != 0) {
        cdrest__tp_close(c);
        c->connected = 0;
        return rc;
    }
#endif
    if (c->url.https) {
        if ((rc = cdrest__tls_handshake(c, c->url.host, deadline)) != 0) {
            cdrest__tp_close(c);
            c->connected = 0;
            return rc;
        }
        c->tls_active = 1;
    }
    return 0;
}

/* --- one exchange: the attempt, the resend on a dead connection, redirects ------------- */

static void cdrest__http_trace(cdrest_client *c, const cdrest_request *r, const char *base, int rc, int64_t start) {
    char line[1024];
    char host[300];
    if (!c->cfg.trace) return;
    cdrest__host_port(&c->url, 0, host, sizeof host);
    if (rc == 0)
        snprintf(line, sizeof line, "%.16s %s://%.290s%.100s%.200s -> %d (%ld ms)", r->method,
                 c->url.https ? "https" : "http", host, base, r->target, c->err.http_status,
                 (long)(cdrest__now_ms(c) - start));
    else
        snprintf(line, sizeof line, "%.16s %s://%.290s%.100s%.200s -> error: %.256s", r->method,
                 c->url.https ? "https" : "http", host, base, r->target, c->err.msg);
    c->cfg.trace(c->cfg.trace_ctx, line);
}

/* 1 if bytes beyond the last response's framing already wait inside the stream (TLS keeps
   the rest of a record decrypted): they are nobody's answer, so the connection is done.
   Bytes still in the socket are the transport's alive() to find. */
static int cdrest__conn_has_extra(cdrest_client *c) {
    return c->tls_active && cdrest__tls_pending(c);
}

/* The resend rule: may a request that failed with rc be sent again on a new connection?
   Only when a kept-alive connection (reused) turned out dead (CDREST_E_IO: never a NOMEM,
   a timeout or a bad body) before any byte of an answer came, and then only if none of
   the request was sent, or it is idempotent and its body can be read again (a streamed
   body_read body cannot). */
static int cdrest__http_may_resend(const cdrest_request *req, int rc, int reused, int sent_any, int got_any) {
    if (!reused || rc != CDREST_E_IO || got_any) return 0;
    return !sent_any || (cdrest__http_is_idempotent(req->method) && !req->body_read);
}

/* One attempt on the current (or a new) connection (base as in cdrest__http_write_head).
   *retryable is set when cdrest__http_may_resend allows a second one. */
static int cdrest__http_attempt(cdrest_client *c, const cdrest_request *req, const char *base, cdrest_response *resp,
                                int64_t deadline, int *retryable) {
    cdrest__rx rx;
    int rc, reused, sent_any = 0, got_any = 0;
    *retryable = 0;
    if (c->connected && (cdrest__conn_has_extra(c) || (c->tp->alive && !c->tp->alive(c->tp_self))))
        cdrest_disconnect(c);
    reused = c->connected;
    if (!c->connected && (rc = cdrest__http_open(c, deadline)) != 0) return rc;
    c->buf_len = 0;
    rc = cdrest__http_send(c, req, base, deadline, &sent_any);
    if (rc) {
        cdrest_disconnect(c);
        *retryable = cdrest__http_may_resend(req, rc, reused, sent_any, got_any);
        return cdrest__http_timeout_msg(c, rc, "sending the request");
    }
    memset(&rx, 0, sizeof rx);
    rx.req = req;
    rx.cap = c->cfg.max_body;
    rc = cdrest__http_receive(c, &rx, deadline, &got_any);
    c->conn_requests++;
    if (rc) {
        cdrest_disconnect(c);
        *retryable = cdrest__http_may_resend(req, rc, reused, sent_any, got_any);
        return rc;
    }
    cdrest__http_finish(c, &rx, resp);
    if (cdrest__conn_has_extra(c)) rx.keep_alive = 0;
    if (!rx.keep_alive) {
        /* keep the response bytes: closing only drops the stream */
        size_t keep = c->buf_len;
        cdrest_disconnect(c);
        c->buf_len = keep;
    }
    return 0;
}

/* One request, resent once on a new connection when a kept-alive one had died. */
static int cdrest__http_once(cdrest_client *c, const cdrest_request *req, const char *base, cdrest_response *resp,
                             int64_t deadline) {
    int rc = 0, retryable = 0, attempt;
    for (attempt = 0; attempt < 2; attempt++) {
        rc = cdrest__http_attempt(c, req, base, resp, deadline, &retryable);
        if (rc == 0 || !retryable) break;
        cdrest__error_clear(&c->err);
    }
    return rc;
}

#ifndef CDREST_NO_REDIRECTS
/* The path of a same-origin Location ("/x" or "scheme://same-host:port/x") into
   c->redirect_target; 0 if it is another origin or unusable (then not followed). */
static int cdrest__http_same_origin(cdrest_client *c, const char *loc, size_t n) {
    const char *path = loc;
    size_t k;
    if (n >= 2 && loc[0] == '/' && loc[1] == '/') return 0; /* //host/...: another origin */
    if (n == 0 || loc[0] != '/') {
        const char *p = (const char *)memchr(loc, ':', n), *slash;
        char origin[320];
        cdrest_url u;
        if (!p || (size_t)(p - loc) + 3 > n || p[1] != '/' || p[2] != '/') return 0;
        slash = (const char *)memchr(p + 3, '/', n - (size_t)(p + 3 - loc));
        k = slash ? (size_t)(slash - loc) : n;
        if (k >= sizeof origin) return 0;
        memcpy(origin, loc, k);
        origin[k] = 0;
        if (cdrest_url_parse(&u, origin, NULL) != 0 || u.https != c->url.https || u.port != c->url.port ||
            strcmp(u.host, c->url.host) != 0)
            return 0;
        path = slash ? slash : "/";
        n = slash ? n - k : 1;
    }
    for (k = 0; k < n; k++)
        if ((unsigned char)path[k] <= ' ' || path[k] == 0x7f || path[k] == '#') break;
    if (k < n && path[k] != '#') return 0;
    return cdrest__copy(c->redirect_target, sizeof c->redirect_target, path, k) == 0;
}

/* Whether resp is a redirect to follow, and with which method. */
static int cdrest__http_redirect(cdrest_client *c, const cdrest_request *req, const cdrest_response *resp,
                                 cdrest_request *next) {
    size_t n;
    const char *loc;
    int st = resp->status, to_get;
    if (st != 301 && st != 302 && st != 303 && st != 307 && st != 308) return 0;
    if (req->body_read || req->on_body) return 0; /* cannot be replayed */
    if (!(loc = cdrest_response_header(resp, "location", &n)) || !cdrest__http_same_origin(c, loc, n)) return 0;
    to_get = st == 303 || ((st == 301 || st == 302) && !strcmp(req->method, "POST"));
    *next = *req;
    next->target = c->redirect_target;
    if (to_get) {
        next->method = strcmp(req->method, "HEAD") ? "GET" : "HEAD";
        next->body = NULL;
        next->body_len = 0;
    }
    return 1;
}
#else /* CDREST_NO_REDIRECTS: 3xx answers are always returned as they are */
static int cdrest__http_redirect(cdrest_client *c, const cdrest_request *req, const cdrest_response *resp,
                                 cdrest_request *next) {
    (void)c;
    (void)req;
    (void)resp;
    (void)next;
    return 0;
}
#endif

/* 1 if p points where cdrest_http writes: the receive buffer or the error record. */
static int cdrest__http_volatile(const cdrest_client *c, const void *p) {
    uintptr_t a = (uintptr_t)p;
    return p && ((c->buf && a >= (uintptr_t)c->buf && a - (uintptr_t)c->buf < c->buf_cap) ||
                 (a >= (uintptr_t)&c->err && a - (uintptr_t)&c->err < sizeof c->err));
}

#ifndef CDREST_NO_MALLOC
static size_t cdrest__http_pin_size(const cdrest_client *c, const char *s) {
    return cdrest__http_volatile(c, s) ? strlen(s) + 1 : 0;
}

static const char *cdrest__http_pin_str(cdrest_client *c, const char *s, size_t *at) {
    size_t n = cdrest__http_pin_size(c, s);
    if (!n) return s;
    memcpy(c->in + *at, s, n);
    *at += n;
    return c->in + *at - n;
}

/* A request whose strings or body point into the receive buffer or the error record (a
   previous response passed straight on, cdrest_errmsg) would be read after they are
   overwritten: the error is cleared first, and a redirect, a resend or the trace reads
   the request after a response arrived. Such parts are copied to c->in and *req points
   at `copy`. Otherwise nothing is copied (the CD calls' requests never need it). */
static int cdrest__http_pin(cdrest_client *c, const cdrest_request **req, cdrest_request *copy) {
    const cdrest_request *r = *req;
    size_t need = cdrest__http_pin_size(c, r->method) + cdrest__http_pin_size(c, r->target), at, hbytes = 0;
    int i, heads = 0, body = r->body && r->body_len && cdrest__http_volatile(c, r->body);
    for (i = 0; r->headers && i < r->nheaders; i++) {
        size_t k = cdrest__http_pin_size(c, r->headers[i].name) + cdrest__http_pin_size(c, r->headers[i].value);
        heads |= k != 0 || cdrest__http_volatile(c, &r->headers[i]);
        need += k;
    }
    if (heads) hbytes = (size_t)r->nheaders * sizeof(cdrest_header);
    if (body) need += r->body_len;
    if (need == 0 && !heads) return 0;
    if (need + hbytes < need) return cdrest__fail(&c->err, CDREST_E_TOOLARGE, "the request is too large to copy");
    if ((i = cdrest__in_reserve(c, need + hbytes)) != 0) return i;
    *copy = *r;
    at = hbytes;
    if (heads) {
        cdrest_header *h = (cdrest_header *)(void *)c->in;
        for (i = 0; i < r->nheaders; i++) {
            h[i].name = cdrest__http_pin_str(c, r->headers[i].name, &at);
            h[i].value = cdrest__http_pin_str(c, r->headers[i].value, &at);
        }
        copy->headers = h;
    }
    if (body) {
        memcpy(c->in + at, r->body, r->body_len);
        copy->body = c->in + at;
        at += r->body_len;
    }
    copy->method = cdrest__http_pin_str(c, r->method, &at);
    copy->target = cdrest__http_pin_str(c, r->target, &at);
    *req = copy;
    return 0;
}
#else
static int cdrest__http_pin(cdrest_client *c, const cdrest_request **req, cdrest_request *copy) {
    const cdrest_request *r = *req;
    int i, bad = cdrest__http_volatile(c, r->method) || cdrest__http_volatile(c, r->target) ||
                 (r->body_len && cdrest__http_volatile(c, r->body));
    (void)copy;
    for (i = 0; r->headers && i < r->nheaders; i++)
        bad |= cdrest__http_volatile(c, r->headers[i].name) || cdrest__http_volatile(c, r->headers[i].value);
    return bad ? cdrest__aliased(c) : 0;
}
#endif

/* A request with redirects followed as configured; from_caller as in check_request. */
static int cdrest__http_request(cdrest_client *c, const cdrest_request *req, cdrest_response *resp, int from_caller) {
    int64_t start, deadline;
    cdrest_request hop, pinned;
    const char *base; /* what the target follows on the request line: see cdrest__http_write_head */
    int rc, hops = 0;
    if (!c || !req || !resp) return CDREST_E_ARG;
    if ((rc = cdrest__http_pin(c, &req, &pinned)) != 0) return rc;
    cdrest__error_clear(&c->err);
    memset(resp, 0, sizeof *resp);
    if ((rc = cdrest__check_client(c)) != 0) return rc;
    if ((rc = cdrest__http_check_request(c, req, from_caller)) != 0) return rc;
    start = cdrest__now_ms(c);
    deadline = start + c->cfg.timeout_ms;
    if (c->has_deadline && c->deadline < deadline) deadline = c->deadline; /* a CD call's, or a wait's */
    base = c->url.base_path;
    rc = cdrest__http_once(c, req, base, resp, deadline);
    while (rc == 0 && hops < c->cfg.max_redirects && cdrest__http_redirect(c, req, resp, &hop)) {
        hops++;
        cdrest__http_trace(c, req, base, rc, start);
        base = ""; /* the hop's target is the Location's whole path */
        rc = cdrest__http_once(c, &hop, base, resp, deadline);
        req = &hop;
    }
    cdrest__http_trace(c, req, base, rc, start);
    return rc;
}

CDRESTDEF int cdrest_http(cdrest_client *c, const cdrest_request *req, cdrest_response *resp) {
    return cdrest__http_request(c, req, resp, 1);
}

/* --- transfer options for one operation (cdrest_http_ex, the CD layer's _ex calls) ---- */
#ifndef CDREST_NO_EXTRAS

/* A streamed body's bytes, counted for the caller's progress callback. */
typedef struct cdrest__xfer {
    cdrest_client *c;
    const cdrest_transfer *t;
    const cdrest_request *req; /* the caller's request: its own body_read and on_body */
    uint64_t sent, received;
} cdrest__xfer;

/* Tell the callback; a non-zero answer cancels the operation (no more I/O on the client). */
static int cdrest__xfer_report(cdrest__xfer *x, uint64_t send_total) {
    if (!x->c->canceled && x->t->progress(x->t->progress_ctx, x->sent, send_total, x->received, 0) != 0)
        x->c->canceled = 1;
    return x->c->canceled ? CDREST_E_CANCELED : 0;
}

static long cdrest__xfer_body_read(void *ctx, void *buf, size_t cap) {
    cdrest__xfer *x = (cdrest__xfer *)ctx;
    long n = x->c->canceled ? (long)CDREST_E_CANCELED : x->req->body_read(x->req->body_ctx, buf, cap);
    if (n <= 0) return n;
    x->sent += (uint64_t)n;
    return cdrest__xfer_report(x, x->req->body_len) ? (long)CDREST_E_CANCELED : n;
}

static int cdrest__xfer_on_body(void *ctx, const void *data, size_t len) {
    cdrest__xfer *x = (cdrest__xfer *)ctx;
    int rc = x->req->on_body(x->req->on_body_ctx, data, len);
    if (rc) return rc;
    x->received += len;
    return cdrest__xfer_report(x, x->req->body_len);
}

/* The upload's progress (cdrest_progress_fn) into the caller's cancelling callback. */
static void cdrest__xfer_upload_progress(void *ctx, uint64_t sent, uint64_t total) {
    cdrest__xfer *x = (cdrest__xfer *)ctx;
    x->sent = sent;
    cdrest__xfer_report(x, total);
}

/* Apply t (may be NULL) to the client for one operation: its whole-request deadline and
   idle limit. *saved keeps config.timeout_ms for cdrest__xfer_end. */
static int cdrest__xfer_begin(cdrest_client *c, const cdrest_transfer *t, int *saved) {
    *saved = c->cfg.timeout_ms;
    c->canceled = 0;
    c->idle_expired = 0;
    if (!t) return 0;
    if (t->idle_timeout_ms < 0)
        return cdrest__fail(&c->err, CDREST_E_ARG, "the idle timeout is negative (0 means none)");
    if (t->timeout_ms < 0 && t->idle_timeout_ms == 0)
        return cdrest__fail(&c->err, CDREST_E_ARG, "a transfer without a whole-request deadline needs an idle timeout");
    if (t->timeout_ms) c->cfg.timeout_ms = t->timeout_ms < 0 ? INT_MAX : t->timeout_ms;
    c->idle_timeout_ms = t->idle_timeout_ms;
    return 0;
}

/* Undo cdrest__xfer_begin. A canceled operation closes the connection, which may be in the
   middle of an exchange (the next call opens a new one), and ends with CDREST_E_CANCELED. */
static int cdrest__xfer_end(cdrest_client *c, int saved, int rc) {
    c->cfg.timeout_ms = saved;
    c->idle_timeout_ms = 0;
    if (!c->canceled) return rc;
    cdrest_disconnect(c); /* still canceled: closing sends nothing more */
    c->canceled = 0;
    return cdrest__canceled(c);
}

CDRESTDEF int cdrest_http_ex(cdrest_client *c, const cdrest_request *req, const cdrest_transfer *t,
                             cdrest_response *resp) {
    cdrest__xfer x;
    cdrest_request r, pinned;
    int saved, rc;
    if (!c || !req || !resp) return CDREST_E_ARG;
    if ((rc = cdrest__http_pin(c, &req, &pinned)) != 0) return rc; /* before the error text is cleared */
    cdrest__error_clear(&c->err);
    if ((rc = cdrest__xfer_begin(c, t, &saved)) != 0) return cdrest__xfer_end(c, saved, rc);
    memset(&x, 0, sizeof x);
    x.c = c;
    x.t = t;
    x.req = req;
    r = *req;
    if (t && t->progress && req->body_read) {
        r.body_read = cdrest__xfer_body_read;
        r.body_ctx = &x;
    }
    if (t && t->progress && req->on_body) {
        r.on_body = cdrest__xfer_on_body;
        r.on_body_ctx = &x;
    }
    rc = cdrest_http(c, &r, resp);
    return cdrest__xfer_end(c, saved, rc);
}
#endif /* CDREST_NO_EXTRAS */

/* ===========================================================================
   CD: the CloudBees CD client. Owns client setup (config, credentials, proxy
   choice), authentication (sessions, tokens, Basic), the REST calls and the
   mapping of the server's error envelope into the client's error.
   Calls every layer above.
   =========================================================================== */

CDRESTDEF const char *cdrest_errmsg(const cdrest_client *c) {
    return c ? c->err.msg : "";
}
CDRESTDEF const cdrest_error *cdrest_last_error(const cdrest_client *c) {
    return c ? &c->err : NULL;
}

static int cdrest__copy_secret(cdrest_client *c, char *dst, size_t cap, const char *src, const char *what) {
    size_t n;
    dst[0] = 0;
    if (!src) return 0;
    n = strlen(src);
    if (n >= cap)
        return cdrest__fail(&c->err, CDREST_E_ARG, "%s is too long (at most %lu bytes)", what, (unsigned long)cap - 1);
    if (cdrest__has_crlf_nul(src, n))
        return cdrest__fail(&c->err, CDREST_E_ARG, "%s contains CR or LF, which cannot be sent in a header", what);
    memcpy(dst, src, n + 1);
    return 0;
}

/* --- proxy selection ------------------------------------------------------ */

#if !defined(CDREST_NO_ENV) || !defined(CDREST_NO_PROXY)
/* A non-empty environment variable, or NULL (always NULL with CDREST_NO_ENV). */
static const char *cdrest__env(const char *name) {
#ifdef CDREST_NO_ENV
    (void)name;
    return NULL;
#else
    const char *v = getenv(name);
    return v && *v ? v : NULL;
#endif
}
#endif

#ifndef CDREST_NO_PROXY

/* 1 if the IP entry e[0..n) ("10.0.0.0/8", "192.168.1.7", "::1", "[fe80::]/10") holds the
   address ip (hl bytes): same family, the first /bits bits equal (all of them without /). */
static int cdrest__no_proxy_cidr(const char *e, size_t n, const unsigned char *ip, size_t hl) {
    unsigned char net[16];
    const char *slash = (const char *)memchr(e, '/', n);
    size_t k = slash ? (size_t)(slash - e) : n, nl, bits, i;
    if (k >= 2 && e[0] == '[' && e[k - 1] == ']')
        nl = cdrest__ip_parse(e + 1, k - 2, net);
    else
        nl = cdrest__ip_parse(e, k, net);
    if (!nl || nl != hl) return 0;
    bits = nl * 8;
    if (slash) {
        size_t v = 0;
        if (k + 1 == n || n - k > 4) return 0;
        for (i = k + 1; i < n; i++) {
            if (!cdrest__is_digit((unsigned char)e[i])) return 0;
            v = v * 10 + (size_t)(e[i] - '0');
        }
        if (v > bits) return 0;
        bits = v;
    }
    for (i = 0; i < bits; i++)
        if ((net[i / 8] ^ ip[i / 8]) & (0x80 >> (i % 8))) return 0;
    return 1;
}

/* 1 if host matches the no_proxy list, as curl reads it: "*" for every host; an IP
   literal or CIDR block matches IP hosts exactly (by address, never by text: "1" or
   "0.0.1" do not cover 10.0.0.1); a name ("example.com" or ".example.com") matches that
   name and its subdomains, and never an IP host. */
static int cdrest__no_proxy_match(const char *list, const char *host) {
    unsigned char ip[16];
    size_t hlen = strlen(host), hl = cdrest__ip_parse(host, hlen, ip);
    if (hlen && host[hlen - 1] == '.') hlen--; /* "example.com." is example.com */
    while (list && *list) {
        const char *e = list;
        size_t n;
        while (*e && *e != ',') e++;
        while (list < e && *list == ' ') list++;
        n = (size_t)(e - list);
        while (n && list[n - 1] == ' ') n--;
        if (n == 1 && *list == '*') return 1;
        if (hl) {
            if (n && cdrest__no_proxy_cidr(list, n, ip, hl)) return 1;
        } else {
            while (n && *list == '.') list++, n--;
            if (n && list[n - 1] == '.') n--;
            if (n && n <= hlen && cdrest__same_ci(host + hlen - n, list, n) && (n == hlen || host[hlen - n - 1] == '.'))
                return 1;
        }
        list = *e ? e + 1 : e;
    }
    return 0;
}

/* The longest "user:password" (decoded) whose base64 fits proxy_auth after "Basic ". */
#define CDREST__PROXY_CRED_MAX ((sizeof(((cdrest_client *)0)->proxy_auth) - 7) / 4 * 3)

/* Parse "http://[user:pass@]host[:port]" into the client's proxy settings. */
static int cdrest__set_proxy(cdrest_client *c, const char *proxy) {
    char rest[600], cred[400];
    const char *p = proxy, *at, *slash;
    size_t n;
    if (strncmp(p, "http://", 7) != 0 && strstr(p, "://"))
        return cdrest__fail(&c->err, CDREST_E_ARG, "proxy: only http:// proxies are supported");
    if (strncmp(p, "http://", 7) == 0) p += 7;
    slash = strchr(p, '/');
    at = strchr(p, '@');
    c->proxy_auth[0] = 0;
    if (at && (!slash || at < slash)) {
        char raw[400];
        size_t i, o = 0;
        n = (size_t)(at - p);
        if (n >= sizeof raw)
            return cdrest__fail(&c->err, CDREST_E_ARG, "proxy: the proxy credentials are too long (at most %lu bytes)",
                                (unsigned long)CDREST__PROXY_CRED_MAX);
        memcpy(raw, p, n);
        raw[n] = 0;
        for (i = 0; i < n; i++) { /* percent-decode user:password */
            if (raw[i] == '%' && i + 2 < n && cdrest__hex_value((unsigned char)raw[i + 1]) >= 0 &&
                cdrest__hex_value((unsigned char)raw[i + 2]) >= 0) {
                cred[o++] = (char)(cdrest__hex_value((unsigned char)raw[i + 1]) * 16 +
                                   cdrest__hex_value((unsigned char)raw[i + 2]));
                i += 2;
            } else {
                cred[o++] = raw[i];
            }
        }
        cdrest__wipe(raw, sizeof raw);
        memcpy(c->proxy_auth, "Basic ", 6);
        /* all or nothing: a credential cut short (or the empty string the encoder leaves
           when it does not fit) would go out as another, wrong one */
        if (cdrest_base64_encode(c->proxy_auth + 6, sizeof c->proxy_auth - 6, cred, o) >= sizeof c->proxy_auth - 6) {
            cdrest__wipe(cred, sizeof cred);
            cdrest__wipe(c->proxy_auth, sizeof c->proxy_auth);
            return cdrest__fail(&c->err, CDREST_E_ARG,
                                "proxy: the proxy credentials are too long (%lu bytes, at most %lu)", (unsigned long)o,
                                (unsigned long)CDREST__PROXY_CRED_MAX);
        }
        cdrest__wipe(cred, sizeof cred);
        p = at + 1;
    }
    n = slash ? (size_t)(slash - p) : strlen(p);
    if (n + 8 >= sizeof rest) return cdrest__fail(&c->err, CDREST_E_ARG, "proxy: URL too long");
    memcpy(rest, "http://", 7);
    memcpy(rest + 7, p, n);
    rest[7 + n] = 0;
    if (cdrest_url_parse(&c->proxy_url, rest, &c->err) != 0) {
        char why[CDREST_ERRMSG_SIZE];
        memcpy(why, c->err.msg, sizeof why); /* not formatted into itself */
        return cdrest__fail(&c->err, CDREST_E_ARG, "proxy: %s", why);
    }
    {
        const char *host_end = p[0] == '[' ? (const char *)memchr(p, ']', n) : p;
        if (!host_end || !memchr(host_end, ':', n - (size_t)(host_end - p)))
            c->proxy_url.port = 1080; /* no port given: curl's default proxy port */
    }
    c->use_proxy = 1;
    return 0;
}

static int cdrest__choose_proxy(cdrest_client *c) {
    const char *proxy = c->cfg.proxy;
    c->use_proxy = 0;
    if (c->cfg.no_proxy) return 0;
    if (!proxy) {
        const char *np = cdrest__env("no_proxy");
        if (!np) np = cdrest__env("NO_PROXY");
        /* loopback never goes through a proxy from the environment (as curl and requests
           do: no_proxy implicitly holds localhost, 127.0.0.0/8 and ::1) */
        if (cdrest__is_loopback(c->url.host) || (np && cdrest__no_proxy_match(np, c->url.host))) return 0;
        proxy = cdrest__env("COMMANDER_HTTP_PROXY");
        if (!proxy && c->url.https)
            proxy = cdrest__env("https_proxy") ? cdrest__env("https_proxy") : cdrest__env("HTTPS_PROXY");
        if (!proxy && !c->url.https) proxy = cdrest__env("http_proxy");
    }
    if (!proxy || !*proxy) return 0;
    return cdrest__set_proxy(c, proxy);
}
#else /* CDREST_NO_PROXY: direct connections only; the environment is not read for proxies */
static int cdrest__choose_proxy(cdrest_client *c) {
    c->use_proxy = 0;
    if (c->cfg.proxy && !c->cfg.no_proxy)
        return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED,
                            "a proxy was configured, but this build has CDREST_NO_PROXY");
    return 0;
}
#endif

/* --- client setup ------------------------------------------------------------- */

static int cdrest__init_credentials(cdrest_client *c, const cdrest_config *cfg) {
    int rc;
    if ((rc = cdrest__copy_secret(c, c->user, sizeof c->user, cfg->user, "the user name")) != 0) return rc;
    if ((rc = cdrest__copy_secret(c, c->password, sizeof c->password, cfg->password, "the password")) != 0) return rc;
    if ((rc = cdrest__copy_secret(c, c->token, sizeof c->token, cfg->token, "the token")) != 0) return rc;
    if ((rc = cdrest__copy_secret(c, c->session_id, sizeof c->session_id, cfg->session_id, "the session id")) != 0)
        return rc;
    /* the copies are the client's; never keep pointers to the caller's strings */
    c->cfg.user = c->cfg.password = c->cfg.token = c->cfg.session_id = NULL;
    return 0;
}

/* Uploads carry the session to the web server (config.web_server): the same rule there. */
static int cdrest__check_plain_web(cdrest_client *c, const cdrest_config *cfg) {
    if (!c->has_web_url || c->web_url.https || cfg->allow_plain_http || cdrest__is_loopback(c->web_url.host) ||
        !(c->password[0] || c->token[0] || c->session_id[0]))
        return 0;
    return cdrest__fail(&c->err, CDREST_E_ARG,
                        "refusing to send the session over plain http:// to the web server %s; use https://, or "
                        "set allow_plain_http (--allow-plain-http) if you accept that risk",
                        c->web_url.host);
}

/* Credentials go over plain http:// only when the bytes never leave the machine: the
   server is loopback and so is the host they actually travel to (a proxy, if one is
   used, would pass them on in clear). Checked after the proxy is chosen. */
static int cdrest__check_plain_http(cdrest_client *c, const cdrest_config *cfg) {
    const char *hop = c->use_proxy ? c->proxy_url.host : c->url.host;
    if (c->url.https || cfg->allow_plain_http || !(c->password[0] || c->token[0] || c->session_id[0]))
        return cdrest__check_plain_web(c, cfg);
    if (cdrest__is_loopback(c->url.host) && cdrest__is_loopback(hop)) return cdrest__check_plain_web(c, cfg);
    return cdrest__fail(&c->err, CDREST_E_ARG,
                        "refusing to send credentials over plain http:// to %s%s%s; use https://, or set "
                        "allow_plain_http (--allow-plain-http) if you accept that risk",
                        c->url.host, c->use_proxy ? " through the proxy " : "", c->use_proxy ? hop : "");
}

static int cdrest__init_buffers(cdrest_client *c, const cdrest_config *cfg) {
    c->owns_buf = cfg->buffer == NULL;
    c->owns_toks = cfg->tokens == NULL;
    if (!c->owns_buf) {
        if (cfg->buffer_size < 1024)
            return cdrest__fail(&c->err, CDREST_E_ARG, "the caller's buffer must hold at least 1024 bytes");
        c->buf = (char *)cfg->buffer;
        c->buf_cap = cfg->buffer_size;
    }
    if (!c->owns_toks) {
        if (cfg->max_tokens < 16)
            return cdrest__fail(&c->err, CDREST_E_ARG, "the caller's token array must hold at least 16 tokens");
        c->toks = cfg->tokens;
        c->toks_cap = cfg->max_tokens;
    }
    if (cfg->send_buffer) { /* split: targets, request heads, request bodies */
        size_t n = cfg->send_buffer_size, t = n / 8 < 2048 ? n / 8 : 2048, h = (n - t) / 4;
        if (n < 4096)
            return cdrest__fail(&c->err, CDREST_E_ARG, "the caller's send buffer must hold at least 4096 bytes");
        c->fixed_send = 1;
        c->target = (char *)cfg->send_buffer;
        c->target_cap = t;
        c->out = c->target + t;
        c->out_cap = h;
        c->body = c->out + h;
        c->body_cap = n - t - h;
    }
#ifdef CDREST_NO_MALLOC
    if (c->owns_buf || c->owns_toks || !c->fixed_send)
        return cdrest__fail(&c->err, CDREST_E_ARG,
                            "built with CDREST_NO_MALLOC: config.buffer, send_buffer and tokens must be given");
#endif
    return 0;
}

/* Wipe every credential the client struct holds (a client that is freed, or whose init
   failed, goes back to the caller) and drop the pointers to the caller's ones. */
static void cdrest__forget_secrets(cdrest_client *c) {
    /* user, password, token and session_id are adjacent char arrays: one span */
    cdrest__wipe(c->user, (size_t)(c->session_id + sizeof c->session_id - c->user));
    cdrest__wipe(c->proxy_auth, sizeof c->proxy_auth);
    c->cfg.user = c->cfg.password = c->cfg.token = c->cfg.session_id = c->cfg.proxy = NULL;
}

static int cdrest__init(cdrest_client *c, const cdrest_config *cfg);

CDRESTDEF int cdrest_init(cdrest_client *c, const cdrest_config *cfg) {
    int rc;
    if (!c) return CDREST_E_ARG;
    rc = cdrest__init(c, cfg);
    if (rc) {
        cdrest__forget_secrets(c);
        c->tp = NULL; /* a client without a transport refuses every call */
    }
    c->cfg.proxy = NULL;
    return rc;
}

static int cdrest__init(cdrest_client *c, const cdrest_config *cfg) {
    int rc;
    memset(c, 0, sizeof *c);
    cdrest_socket_init(&c->sock);
    if (!cfg || !cfg->server) return cdrest__fail(&c->err, CDREST_E_ARG, "no server URL given");
    c->cfg = *cfg;
    c->cfg.server = NULL;
    if (c->cfg.connect_timeout_ms <= 0) c->cfg.connect_timeout_ms = 10000;
    if (c->cfg.timeout_ms <= 0) c->cfg.timeout_ms = 60000;
    if (c->cfg.max_body == 0) c->cfg.max_body = CDREST_DEFAULT_MAX_BODY;
    if (cfg->transport) {
        const cdrest_transport *t = cfg->transport;
        if (!t->connect || !t->read || !t->write || !t->close)
            return cdrest__fail(&c->err, CDREST_E_ARG, "the transport needs connect, read, write and close");
#ifdef CDREST_NO_SOCKETS
        if (!t->now_ms)
            return cdrest__fail(&c->err, CDREST_E_ARG, "the transport needs now_ms (no POSIX clock in this build)");
#endif
        c->tp = t;
        c->tp_self = cfg->transport_self;
    } else {
#ifndef CDREST_NO_SOCKETS
        c->tp = cdrest_posix_transport();
        c->tp_self = &c->sock;
        c->sock.resolve = cfg->resolve;
        c->sock.resolve_ctx = cfg->resolve_ctx;
#else
        return cdrest__fail(&c->err, CDREST_E_ARG, "no transport configured (built with CDREST_NO_SOCKETS)");
#endif
    }
    if ((rc = cdrest_url_parse(&c->url, cfg->server, &c->err)) != 0) return rc;
    if (cfg->web_server) {
        if ((rc = cdrest_url_parse(&c->web_url, cfg->web_server, &c->err)) != 0) return rc;
        /* the same origin and base path as the server: nothing to switch */
        c->has_web_url = c->web_url.https != c->url.https || c->web_url.port != c->url.port ||
                         strcmp(c->web_url.host, c->url.host) != 0 ||
                         strcmp(c->web_url.base_path, c->url.base_path) != 0;
        c->cfg.web_server = NULL;
    }
#ifdef CDREST_NO_TLS
    if (c->url.https || (c->has_web_url && c->web_url.https))
        return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED, "https:// needs TLS, but this build has CDREST_NO_TLS");
#endif
    if ((rc = cdrest__init_credentials(c, cfg)) != 0 || (rc = cdrest__init_buffers(c, cfg)) != 0 ||
        (rc = cdrest__choose_proxy(c)) != 0 || (rc = cdrest__check_plain_http(c, cfg)) != 0)
        return rc;
    return 0;
}

/* Wipe a buffer that held requests or responses (login bodies with the password,
   Authorization and Cookie headers, answers with a session id), then free it if ours. */
static void cdrest__release(cdrest_client *c, char *buf, size_t cap, int ours) {
    if (!buf) return;
    cdrest__wipe(buf, cap);
    if (ours) CDREST_FREE(c->cfg.alloc_ctx, buf);
}

CDRESTDEF void cdrest_free(cdrest_client *c) {
    if (!c) return;
    cdrest_disconnect(c);
    cdrest__tls_free(c);
    cdrest__release(c, c->buf, c->buf_cap, c->owns_buf);
    if (c->owns_toks && c->toks) CDREST_FREE(c->cfg.alloc_ctx, c->toks);
    if (c->fixed_send) {
        cdrest__release(c, (char *)c->cfg.send_buffer, c->cfg.send_buffer_size, 0);
    } else {
        cdrest__release(c, c->out, c->out_cap, 1);
        cdrest__release(c, c->body, c->body_cap, 1);
        cdrest__release(c, c->target, c->target_cap, 1);
    }
    cdrest__release(c, c->in, c->in_cap, 1);
    c->buf = c->out = c->body = c->target = c->in = NULL;
    c->buf_cap = c->out_cap = c->body_cap = c->target_cap = c->buf_len = c->in_cap = 0;
    c->toks = NULL;
    c->toks_cap = c->ntoks = 0;
    c->tp = NULL; /* every later call: CDREST_E_ARG */
    cdrest__forget_secrets(c);
}

/* --- inputs that point into the client ------------------------------------------------
   Results (documents, property values, the error text, the session id) live in the
   client's own memory, and a call reuses that memory: it clears the error, builds the
   request in the send buffers, receives into the receive buffer (which may move when it
   grows). A caller passing a result straight on (copying a property: get, then set)
   would hand the call bytes it is about to overwrite or free. So every public call first
   copies the inputs that point into the client to c->in, a buffer nothing else writes,
   and works on the copies. Inputs elsewhere cost a few pointer comparisons each. */

static int cdrest__within(uintptr_t a, const void *base, size_t cap) {
    return base && a >= (uintptr_t)base && a - (uintptr_t)base < cap;
}

/* 1 if p points into memory the client writes during a call. */
static int cdrest__owned(const cdrest_client *c, const void *p) {
    uintptr_t a = (uintptr_t)p;
    return p && (cdrest__within(a, c, sizeof *c) || cdrest__within(a, c->buf, c->buf_cap) ||
                 cdrest__within(a, c->body, c->body_cap) || cdrest__within(a, c->target, c->target_cap) ||
                 cdrest__within(a, c->out, c->out_cap));
}

/* Entries of a {NULL, NULL}-ended list, and whether any of it points into the client. */
static size_t cdrest__params_count(const cdrest_client *c, const cdrest_param *p, int *owned) {
    size_t n = 0;
    *owned = cdrest__owned(c, p);
    for (; p && p->name; p++, n++)
        if (cdrest__owned(c, p->name) || cdrest__owned(c, p->value)) *owned = 1;
    return n;
}

#ifndef CDREST_NO_MALLOC
static size_t cdrest__pin_size(const cdrest_client *c, const char *s) {
    return cdrest__owned(c, s) ? strlen(s) + 1 : 0;
}

static const char *cdrest__pin_str(cdrest_client *c, const char *s, size_t *at) {
    size_t n = cdrest__pin_size(c, s);
    if (!n) return s;
    memcpy(c->in + *at, s, n);
    *at += n;
    return c->in + *at - n;
}

static int cdrest__begin_fail(cdrest_client *c, int code, const char *why) {
    cdrest__error_clear(&c->err);
    return cdrest__fail(&c->err, code, "%s", why);
}

/* Every public CD call starts here: copy the strings s[0..ns) and the parameter lists
   p[0..np) that point into the client to c->in and point the slots at the copies (lists
   are copied whole, arrays first so they stay aligned), then clear the last error. */
static int cdrest__begin(cdrest_client *c, const char **s, int ns, const cdrest_param **p, int np) {
    size_t need = 0, arrays = 0, k, add, at;
    int i, owned;
    if (!c->tp)
        return cdrest__begin_fail(c, CDREST_E_ARG,
                                  "the client is not set up (cdrest_init failed, or cdrest_free was called)");
    for (i = 0; i < np; i++) {
        size_t n = cdrest__params_count(c, p[i], &owned);
        if (!owned) continue;
        arrays += (n + 1) * sizeof(cdrest_param);
        for (k = 0; k < n; k++) need += cdrest__pin_size(c, p[i][k].name) + cdrest__pin_size(c, p[i][k].value);
    }
    for (i = 0; i < ns; i++) {
        add = cdrest__pin_size(c, s[i]);
        if (need + add < need) break;
        need += add;
    }
    if (i < ns || need + arrays < need)
        return cdrest__begin_fail(c, CDREST_E_TOOLARGE, "the inputs are too large to copy");
    if ((need += arrays) == 0) {
        cdrest__error_clear(&c->err);
        return 0;
    }
    if (need > c->in_cap) {
        cdrest__error_clear(&c->err); /* a failure here loses nothing needed: the copies are not made */
        if ((i = cdrest__in_reserve(c, need)) != 0) return i;
    }
    at = arrays;
    arrays = 0;
    for (i = 0; i < np; i++) {
        cdrest_param *copy = (cdrest_param *)(void *)(c->in + arrays);
        size_t n = cdrest__params_count(c, p[i], &owned);
        if (!owned) continue;
        for (k = 0; k < n; k++) {
            copy[k].name = cdrest__pin_str(c, p[i][k].name, &at);
            copy[k].value = p[i][k].value ? cdrest__pin_str(c, p[i][k].value, &at) : NULL;
        }
        copy[n].name = copy[n].value = NULL;
        p[i] = copy;
        arrays += (n + 1) * sizeof(cdrest_param);
    }
    for (i = 0; i < ns; i++) s[i] = cdrest__pin_str(c, s[i], &at);
    cdrest__error_clear(&c->err); /* only now: the error text may have been an input */
    return 0;
}
#else
static int cdrest__begin(cdrest_client *c, const char **s, int ns, const cdrest_param **p, int np) {
    int i, owned = 0, any = 0;
    if (!c->tp) { /* not set up, or freed: refused before anything */
        cdrest__error_clear(&c->err);
        return cdrest__check_client(c);
    }
    for (i = 0; i < ns; i++) any |= cdrest__owned(c, s[i]);
    for (i = 0; i < np; i++) {
        cdrest__params_count(c, p[i], &owned);
        any |= owned;
    }
    cdrest__error_clear(&c->err);
    return any ? cdrest__aliased(c) : 0;
}
#endif

/* --- building targets and bodies ---------------------------------------------------- */

/* s percent-encoded (cdrest_percent_encode's mode) onto a target being built. */
static void cdrest__sb_pct(cdrest__sb *b, const char *s, int mode) {
    size_t n = strlen(s), need = cdrest_percent_encode(NULL, 0, s, n, mode);
    char *at = cdrest__sb_room(b, need);
    if (!at) return;
    cdrest_percent_encode(at, need + 1, s, n, mode);
    b->len += need;
}

/* Query parameters: "?a=1&b=2" (or "&..." after an existing query). */
static void cdrest__sb_query(cdrest__sb *b, const cdrest_param *q, int *has_query) {
    for (; q && q->name; q++) {
        if (!q->value) continue;
        cdrest__sb_str(b, *has_query ? "&" : "?");
        *has_query = 1;
        cdrest__sb_pct(b, q->name, CDREST_PCT_QUERY);
        cdrest__sb_str(b, "=");
        cdrest__sb_pct(b, q->value, CDREST_PCT_QUERY);
    }
}

/* Every object name and property path: "." and ".." segments are refused (see
   cdrest__has_dot_segment); names are otherwise percent-encoded, never interpreted. */
static int cdrest__check_name(cdrest_client *c, const char *name) {
    if (!cdrest__has_dot_segment(name, strlen(name))) return 0;
    return cdrest__fail(&c->err, CDREST_E_ARG,
                        "\"%.80s\": '.' and '..' are not allowed as names or path segments (the "
                        "server would resolve them and the call would reach another object)",
                        name);
}

/* Start c->target as "/rest/v1.0<prefix>" followed by an encoded name, if any. */
static cdrest__sb cdrest__target(cdrest_client *c, const char *prefix, const char *name, int mode) {
    cdrest__sb b;
    cdrest__sb_init(&b, c, &c->target, &c->target_cap, "the request");
    b.rc = cdrest__check_client(c);
    if (!b.rc && name && (b.rc = cdrest__check_name(c, name)) != 0) return b;
    cdrest__sb_str(&b, "/rest/v1.0");
    cdrest__sb_str(&b, prefix);
    if (name) cdrest__sb_pct(&b, name, mode);
    return b;
}

static int cdrest__valid_utf8_error(cdrest_client *c, int rc) {
    if (rc == CDREST_E_ARG) return cdrest__fail(&c->err, rc, "a parameter is not valid UTF-8 text");
    return cdrest__fail(&c->err, rc, "the request body could not be built (%s)", cdrest_strerror(rc));
}

static void cdrest__jw_params(cdrest_json_writer *w, const cdrest_param *p) {
    for (; p && p->name; p++) {
        if (!p->value) continue;
        cdrest_jw_key(w, p->name);
        cdrest_jw_string(w, p->value);
    }
}

/* "key":[{"<name_key>":name, "value":value}, ...]: a call's actual parameters (a missing
   value is sent as ""). */
static void cdrest__jw_param_list(cdrest_json_writer *w, const char *key, const char *name_key, const cdrest_param *p) {
    cdrest_jw_key(w, key);
    cdrest_jw_array_begin(w);
    for (; p->name; p++) {
        cdrest_jw_object_begin(w);
        cdrest_jw_key(w, name_key);
        cdrest_jw_string(w, p->name);
        cdrest_jw_key(w, "value");
        cdrest_jw_string(w, p->value ? p->value : "");
        cdrest_jw_object_end(w);
    }
    cdrest_jw_array_end(w);
}

/* The JSON object body {fields..., ctx..., extra..., "actualParameter":[...]} into c->body at
   offset `at` (0 for a call; after the call's own body for a login in between). */
static int cdrest__build_body(cdrest_client *c, size_t at, const cdrest_param *fields, const cdrest_param *ctx,
                              const cdrest_param *extra, const cdrest_param *actual, size_t *len) {
    for (;;) {
        cdrest_json_writer w;
        int rc;
        cdrest_jw_init(&w, c->body ? c->body + at : NULL, c->body ? c->body_cap - at : 0);
        cdrest_jw_object_begin(&w);
        cdrest__jw_params(&w, fields);
        cdrest__jw_params(&w, ctx);
        cdrest__jw_params(&w, extra);
        if (actual) cdrest__jw_param_list(&w, "actualParameter", "actualParameterName", actual);
        cdrest_jw_object_end(&w);
        rc = cdrest_jw_finish(&w);
        if (rc == 0) {
            *len = w.len;
            return 0;
        }
        if (rc != CDREST_E_TOOLARGE) return cdrest__valid_utf8_error(c, rc);
        if ((rc = cdrest__grow(c, &c->body, &c->body_cap, cdrest__add(cdrest__add(at, w.len), 1), c->fixed_send,
                               "the request body")) != 0)
            return rc;
    }
}

/* --- answers: JSON, and the server's errors ------------------------------------------ */

/* The most tokens the client grows its array to for an answer of len bytes: the answer
   itself is capped (max_body), so the budget grows with it: CDREST_MAX_TOKENS, or one
   token per 6 bytes of a larger answer (CD answers run at 8-12 bytes a token, a sheet of
   100,000 properties at 11; "[0,0,...]" needs one per 2 and stays refused). The tokens
   (20 bytes each) thus never cost more than 3.4 times the answer. */
static size_t cdrest__token_budget(size_t len) {
    size_t most = (size_t)INT_MAX / 2;
    size_t budget = len / 6 > (size_t)CDREST_MAX_TOKENS ? len / 6 : (size_t)CDREST_MAX_TOKENS;
    return budget < most ? budget : most;
}

/* Tokenize an answer into c->toks (grown within the budget). CDREST_E_TOOLARGE when the
   tokens do not fit (a caller-given array, or the budget), CDREST_E_JSON, _NOMEM. */
static int cdrest__parse_answer(cdrest_client *c, const char *js, size_t len) {
    cdrest_json_parser p;
    size_t budget = cdrest__token_budget(len);
    cdrest_json_init(&p);
    c->ntoks = 0;
    for (;;) {
        int n = c->toks ? cdrest_json_parse(&p, js, len, c->toks, c->toks_cap) : CDREST_E_JSON_TOKENS;
        if (n >= 0) {
            c->ntoks = n;
            return 0;
        }
        if (n == CDREST_E_JSON_TOKENS) {
            size_t want = c->toks_cap ? (size_t)c->toks_cap * 2 : 64, bytes;
            cdrest_json_tok *t;
            if (want > (size_t)CDREST_MAX_TOKENS && c->owns_toks) {
                /* a large answer: count what it needs (one more pass, no memory) rather
                   than double past it */
                cdrest_json_parser count;
                int need;
                cdrest_json_init(&count);
                need = cdrest_json_parse(&count, js, len, NULL, 0);
                if (need > 0 && (size_t)need > budget)
                    return cdrest__fail(&c->err, CDREST_E_TOOLARGE,
                                        "the answer needs %d JSON tokens, more than the %lu "
                                        "allowed for its %lu bytes",
                                        need, (unsigned long)budget, (unsigned long)len);
                if (need > 0 && (size_t)need < want) want = (size_t)need;
            }
            if (want > budget) want = budget;
            if (!c->owns_toks || want <= (size_t)c->toks_cap)
                return cdrest__fail(&c->err, CDREST_E_TOOLARGE, "the answer needs more than %d JSON tokens",
                                    c->toks_cap);
            bytes = want * sizeof *t;
            t = (cdrest_json_tok *)CDREST_REALLOC(c->cfg.alloc_ctx, c->toks, bytes);
            if (!t)
                return cdrest__fail(&c->err, CDREST_E_NOMEM, "out of memory (%lu bytes for JSON tokens)",
                                    (unsigned long)bytes);
            c->toks = t;
            c->toks_cap = (int)want;
            continue;
        }
        return cdrest__fail(&c->err, CDREST_E_JSON, "the server's answer is not valid JSON: %s at byte %lu",
                            cdrest_json_errstr(p.error), (unsigned long)p.error_pos);
    }
}

/* Copy string token i into dst (truncated with "..." when long; "" when absent), with
   control characters blanked: server text ends up in one-line messages and terminals. */
static void cdrest__tok_copy(cdrest_client *c, const char *js, int i, char *dst, size_t cap) {
    size_t len;
    dst[0] = 0;
    if (i < 0) return;
    if (cdrest_json_string(js, c->toks, i, dst, cap, &len) == CDREST_E_TOOLARGE && cap > 4) {
        /* too long: the start of its text (unescaped, so escaped controls are blanked
           too), cut at a character boundary (printable drops a cut one), then "..." */
        const cdrest_json_tok *t = &c->toks[i];
        size_t n = cap - 4;
        if (t->type == CDREST_JSON_STRING)
            cdrest__json_unescape(js + t->start, (size_t)(t->end - t->start), dst, n);
        else
            memcpy(dst, js + t->start, n);
        dst[n] = 0;
        cdrest__printable(dst);
        memcpy(dst + strlen(dst), "...", 4);
        return;
    }
    cdrest__printable(dst);
}

/* A short, printable excerpt of a non-JSON body (an HTML error page, say): its
   <title> if it has one, else the start with control characters blanked. */
static void cdrest__excerpt(const char *body, size_t len, char *out, size_t cap) {
    const char *t = NULL, *e = NULL;
    size_t i, o = 0;
    if (len > 4096) len = 4096;
    for (i = 0; i + 7 <= len; i++)
        if (cdrest__ieq(body + i, 7, "<title>")) {
            t = body + i + 7;
            break;
        }
    if (t) {
        for (e = t; e < body + len && *e != '<'; e++) {}
        body = t;
        len = (size_t)(e - t);
    }
    for (i = 0; i < len && o + 4 < cap; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch < 0x20 || ch == 0x7f) ch = ' ';
        if (ch == ' ' && o && out[o - 1] == ' ') continue;
        out[o++] = (char)ch;
    }
    if (i < len && o + 4 <= cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
    cdrest__printable(out);
}

static int cdrest__cd_error(cdrest_client *c, const cdrest_response *r) {
    int code = r->status == 401 ? CDREST_E_AUTH : CDREST_E_SERVER;
    cdrest_error *e = &c->err;
    e->http_status = r->status;
    if (r->body_len && cdrest__parse_answer(c, r->body, r->body_len) == 0 && c->ntoks > 0 &&
        c->toks[0].type == CDREST_JSON_OBJECT) {
        int env = cdrest_json_find(r->body, c->toks, c->ntoks, 0, "error");
        int root = env >= 0 && c->toks[env].type == CDREST_JSON_OBJECT ? env : 0;
        cdrest__tok_copy(c, r->body, cdrest_json_find(r->body, c->toks, c->ntoks, root, "code"), e->server_code,
                         sizeof e->server_code);
        cdrest__tok_copy(c, r->body, cdrest_json_find(r->body, c->toks, c->ntoks, root, "message"), e->server_message,
                         sizeof e->server_message);
        cdrest__tok_copy(c, r->body, cdrest_json_find(r->body, c->toks, c->ntoks, root, "details"), e->server_details,
                         sizeof e->server_details);
        cdrest__tok_copy(c, r->body, cdrest_json_find(r->body, c->toks, c->ntoks, root, "where"), e->server_where,
                         sizeof e->server_where);
        if (e->server_code[0] || e->server_message[0]) {
            cdrest__fail(e, code, "%.63s%s%.180s [%d]", e->server_code[0] ? e->server_code : "error", ": ",
                         e->server_message[0] ? e->server_message : "(no message)", r->status);
            return code;
        }
    }
    {
        char excerpt[120];
        cdrest__excerpt(r->body, r->body_len, excerpt, sizeof excerpt);
        return cdrest__fail(e, r->status == 401 ? CDREST_E_AUTH : CDREST_E_HTTP,
                            "HTTP %d %.*s from the server, not a CD answer%s%s", r->status,
                            (int)(r->reason_len > 40 ? 40 : r->reason_len), r->reason, excerpt[0] ? ": " : "", excerpt);
    }
}

/* A 2xx answer as a doc. With tokens_optional (a write, whose success the server has
   confirmed), an answer valid but too large for the tokens is kept as text alone
   (ntoks 0): what the caller did not ask to read cannot fail what was done. */
static int cdrest__cd_result(cdrest_client *c, const cdrest_response *r, cdrest_doc *out, int tokens_optional) {
    int rc;
    if (r->status < 200 || r->status > 299) return cdrest__cd_error(c, r);
    c->ntoks = 0;
    rc = c->cfg.raw_docs ? CDREST_E_TOOLARGE : 0; /* text only: validated below */
    if (r->body_len && (rc || (rc = cdrest__parse_answer(c, r->body, r->body_len)) != 0)) {
        cdrest_json_parser p;
        if (rc != CDREST_E_TOOLARGE || !(tokens_optional || c->cfg.raw_docs)) return rc;
        cdrest_json_init(&p); /* validated all the same, without tokens */
        if (cdrest_json_parse(&p, r->body, r->body_len, NULL, 0) < 0)
            return cdrest__fail(&c->err, CDREST_E_JSON, "the server's answer is not valid JSON: %s at byte %lu",
                                cdrest_json_errstr(p.error), (unsigned long)p.error_pos);
        cdrest__error_clear(&c->err);
        c->err.http_status = r->status;
        c->ntoks = 0;
    }
    if (out) {
        out->json = r->body;
        out->len = r->body_len;
        out->toks = c->toks;
        out->ntoks = c->ntoks;
    }
    return 0;
}

/* --- typed fields of answers ---------------------------------------------------------- */

/* The token at a path of keys ("property.value"): from the tokens, or read from the text
   when the answer was kept without them (see cdrest__cd_result). 1 if present. */
static int cdrest__doc_field(const cdrest_doc *d, const char *path, cdrest_json_tok *tok) {
    if (d->ntoks > 0) {
        int i = cdrest_json_find(d->json, d->toks, d->ntoks, 0, path);
        if (i < 0) return 0;
        *tok = d->toks[i];
        return 1;
    }
    return d->len > 0 && cdrest__json_raw_find(d->json, d->len, path, tok);
}

static const char *cdrest__json_kind(int type) {
    switch (type) {
        case CDREST_JSON_OBJECT: return "an object";
        case CDREST_JSON_ARRAY: return "an array";
        case CDREST_JSON_STRING: return "text";
        case CDREST_JSON_NUMBER: return "a number";
        case CDREST_JSON_NULL: return "null";
        default: return "true or false";
    }
}

/* The text of a field a call promises, whole: a JSON string (for ids also a number, as
   some servers send them). Anything else (null, an object, ...) is CDREST_E_PROTOCOL,
   never its raw JSON taken for the text; too long for dst is CDREST_E_TOOLARGE. */
static int cdrest__field_text(cdrest_client *c, const char *js, const cdrest_json_tok *tok, int number_ok,
                              const char *what, char *dst, size_t cap, size_t *len) {
    size_t n = 0;
    int rc;
    dst[0] = 0;
    if (tok->type == CDREST_JSON_NUMBER && number_ok) {
        n = (size_t)(tok->end - tok->start);
        if (n >= cap)
            rc = CDREST_E_TOOLARGE;
        else
            rc = cdrest__copy(dst, cap, js + tok->start, n);
    } else if (tok->type != CDREST_JSON_STRING) {
        return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the server's %s is %s, not text", what,
                            cdrest__json_kind(tok->type));
    } else {
        rc = cdrest_json_string(js, tok, 0, dst, cap, &n);
    }
    if (rc == 0 && cdrest__has_crlf_nul(dst, n)) rc = CDREST_E_PROTOCOL;
    if (rc) {
        dst[0] = 0;
        if (rc == CDREST_E_TOOLARGE)
            return cdrest__fail(&c->err, rc, "the server's %s does not fit in %lu bytes", what, (unsigned long)cap);
        return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the server's %s is not usable text", what);
    }
    if (len) *len = n;
    return 0;
}

/* One deadline for a whole CD call: the login before it, the request, a 401's re-login
   and the retry share config.timeout_ms (or what is left of a job wait's deadline).
   Nested calls keep the outer one. Returns 1 if this call set it (and ends it). */
static int cdrest__deadline_begin(cdrest_client *c) {
    if (c->has_deadline) return 0;
    c->deadline = cdrest__now_ms(c) + c->cfg.timeout_ms;
    c->has_deadline = 1;
    return 1;
}

static int cdrest__deadline_end(cdrest_client *c, int owned, int rc) {
    if (owned) c->has_deadline = 0;
    return rc;
}

/* --- sending a CD request with the client's authentication ----------------------------- */

/* The text of the auth headers, wiped by cdrest__auth_wipe once the request is sent.
   Only the bytes that held a secret are wiped: a byte-wise wipe of both whole arrays was a
   quarter of a CD call's instructions. cdrest__auth_headers is its one initialiser, and
   every sender calls it, with CDREST__AUTH_NONE when the request carries no credentials:
   a sender that had to zero the lengths itself could forget, and the wipe would then run
   over stack garbage's length. */
typedef struct cdrest__auth {
    char basic[900];
    char cookie[300];
    size_t basic_used, cookie_used; /* bytes written (and to wipe), NUL included */
} cdrest__auth;

/* Which credentials a request carries: none (the login itself, which sends them in its
   body), the REST API's, or the web server upload pages'. */
typedef enum cdrest__auth_for { CDREST__AUTH_NONE, CDREST__AUTH_REST, CDREST__AUTH_UPLOAD } cdrest__auth_for;

static void cdrest__auth_wipe(cdrest__auth *a) {
    cdrest__wipe(a->basic, a->basic_used);
    cdrest__wipe(a->cookie, a->cookie_used);
}

/* "Basic base64(user:password)" into a->basic; the plain pair is wiped as soon as encoded.
   Both fit with room to spare (user and password are under 256 bytes each). */
static void cdrest__auth_basic(const cdrest_client *c, cdrest__auth *a) {
    char cred[520];
    int len = snprintf(cred, sizeof cred, "%s:%s", c->user, c->password);
    size_t held = len < 0 || (size_t)len >= sizeof cred ? sizeof cred : (size_t)len + 1; /* NUL included */
    memcpy(a->basic, "Basic ", 6);
    cdrest_base64_encode(a->basic + 6, sizeof a->basic - 6, cred, held - 1);
    cdrest__wipe(cred, held);
    a->basic_used = strlen(a->basic) + 1; /* the encoder wrote that much, its NUL last */
}

/* The client's credentials as request headers, the one place they are written; appended
   to h (room for two), returns how many. Sets what cdrest__auth_wipe reads, whatever `to` is.
   For the REST API: Basic when config.basic_auth is set, else the session as Cookie and
   sessionId. For the web server's upload pages: the session Cookie alone, the one thing
   they read. */
static int cdrest__auth_headers(const cdrest_client *c, cdrest__auth_for to, cdrest_header *h, cdrest__auth *a) {
    int n = 0;
    a->basic_used = a->cookie_used = 0;
    if (to == CDREST__AUTH_NONE) return 0;
    if (to == CDREST__AUTH_REST && c->cfg.basic_auth) {
        cdrest__auth_basic(c, a);
        h[n].name = "Authorization";
        h[n++].value = a->basic;
    } else if (c->session_id[0]) {
        snprintf(a->cookie, sizeof a->cookie, "sessionId=%s", c->session_id);
        a->cookie_used = strlen(a->cookie) + 1;
        h[n].name = "Cookie";
        h[n++].value = a->cookie;
        if (to == CDREST__AUTH_REST) {
            h[n].name = "sessionId";
            h[n++].value = c->session_id;
        }
    }
    return n;
}

static int cdrest__cd_send(cdrest_client *c, const char *method, const char *target, const char *body, size_t body_len,
                           int with_auth, cdrest_response *resp) {
    cdrest_header h[4];
    cdrest_request req;
    cdrest__auth a;
    int n = 0, rc;
    h[n].name = "Accept";
    h[n++].value = "application/json";
    h[n].name = "Content-Type"; /* on every request: newer servers refuse requests without it */
    h[n++].value = "application/json";
    n += cdrest__auth_headers(c, with_auth ? CDREST__AUTH_REST : CDREST__AUTH_NONE, h + n, &a);
    memset(&req, 0, sizeof req);
    req.method = method;
    req.target = target;
    req.headers = h;
    req.nheaders = n;
    req.body = body;
    req.body_len = body_len;
    rc = cdrest__http_request(c, &req, resp, 0);
    cdrest__auth_wipe(&a);
    return rc;
}

static int cdrest__has_credentials(const cdrest_client *c) {
    return (c->user[0] && c->password[0]) || c->token[0];
}

/* Log in with the held credentials; the body is built in c->body after `at` bytes
   (which may hold the body of the call waiting to be retried). */
static int cdrest__login_at(cdrest_client *c, size_t at) {
    const cdrest_param by_token[] = { { "token", c->token }, { NULL, NULL } };
    const cdrest_param by_password[] = { { "userName", c->user }, { "password", c->password }, { NULL, NULL } };
    cdrest_response r;
    cdrest_doc d;
    cdrest_json_tok id;
    size_t len;
    int rc;
    if (!cdrest__has_credentials(c))
        return cdrest__fail(&c->err, CDREST_E_AUTH,
                            "no credentials to log in with (set user and password, or a token)");
    if ((rc = cdrest__check_client(c)) != 0) return rc;
    c->session_id[0] = 0;
    rc = cdrest__build_body(c, at, c->token[0] ? by_token : by_password, NULL, NULL, NULL, &len);
    if (rc == 0) rc = cdrest__cd_send(c, "POST", "/rest/v1.0/sessions", c->body + at, len, 0, &r);
    if (c->body) cdrest__wipe(c->body + at, c->body_cap - at); /* the password was in it */
    if (rc) return rc;
    if ((rc = cdrest__cd_result(c, &r, &d, 1)) != 0) {
        if (r.status == 401 || r.status == 403) c->err.code = rc = CDREST_E_AUTH;
        return rc;
    }
    /* only a string: {"sessionId": null} would send "sessionId=null" from then on */
    if (!cdrest__doc_field(&d, "sessionId", &id))
        return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the login answer holds no sessionId");
    if (cdrest__field_text(c, r.body, &id, 0, "sessionId", c->session_id, sizeof c->session_id, &len) != 0) {
        char why[CDREST_ERRMSG_SIZE]; /* (never the id itself: it is a secret) */
        memcpy(why, c->err.msg, sizeof why);
        return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the login answer holds no usable sessionId (%.200s)", why);
    }
    if (!len) return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the login answer holds an empty sessionId");
    return 0;
}

CDRESTDEF int cdrest_login(cdrest_client *c) {
    int owned, rc;
    if (!c) return CDREST_E_ARG;
    cdrest__error_clear(&c->err);
    if ((rc = cdrest__check_client(c)) != 0) return rc;
    owned = cdrest__deadline_begin(c);
    return cdrest__deadline_end(c, owned, cdrest__login_at(c, 0));
}

CDRESTDEF int cdrest_logout(cdrest_client *c) {
    cdrest_response r;
    int rc;
    if (!c) return CDREST_E_ARG;
    cdrest__error_clear(&c->err);
    if (!c->session_id[0]) return 0;
    rc = cdrest__cd_send(c, "DELETE", "/rest/v1.0/sessions", NULL, 0, 1, &r);
    cdrest__wipe(c->session_id, sizeof c->session_id);
    if (rc) return rc;
    /* best effort: a server without logout (400/404/405/501) or an expired session is fine */
    if (r.status == 400 || r.status == 404 || r.status == 405 || r.status == 501 || r.status == 401) return 0;
    return cdrest__cd_result(c, &r, NULL, 1);
}

CDRESTDEF const char *cdrest_session_id(const cdrest_client *c) {
    return c ? c->session_id : "";
}

/* A 2xx answer must hold what the call promises (expect: a top-level key whose value is
   an object, "key[]" for an object or an array of them, or "" for any JSON object), or it
   confirms nothing: a proxy's empty 200 is not a stored property, {"property": null} no
   property. */
static int cdrest__expect(cdrest_client *c, const cdrest_doc *d, const char *expect) {
    cdrest_json_tok t;
    char key[64];
    size_t i = 0, n = expect ? strlen(expect) : 0;
    int list = n > 2 && !strcmp(expect + n - 2, "[]");
    if (!expect) return 0;
    if (list) n -= 2;
    if (cdrest__copy(key, sizeof key, expect, n) != 0)
        return cdrest__fail(&c->err, CDREST_E_ARG, "expect: key too long");
    while (i < d->len && (d->json[i] == ' ' || d->json[i] == '\t' || d->json[i] == '\r' || d->json[i] == '\n')) i++;
    if (i < d->len && d->json[i] == '{') { /* the root is an object (tokens or not) */
        if (!*key) return 0;
        if (cdrest__doc_field(d, key, &t) && (t.type == CDREST_JSON_OBJECT || (list && t.type == CDREST_JSON_ARRAY)))
            return 0;
        if (cdrest__doc_field(d, key, &t))
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the server's answer (HTTP %d) holds \"%s\" as %s, not %s",
                                c->err.http_status, key, cdrest__json_kind(t.type), list ? "a list" : "an object");
    }
    return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the server's answer (HTTP %d, %lu bytes) holds no %s%s%s",
                        c->err.http_status, (unsigned long)d->len, *key ? "\"" : "JSON object", key, *key ? "\"" : "");
}

/* Whether the server refused the session: 401, or an error whose code says the request
   carried no usable session (some servers answer an unknown or expired session with
   NoCredentials rather than 401 SessionExpired). */
static int cdrest__session_refused(cdrest_client *c, const cdrest_response *r) {
    int code;
    if (r->status == 401) return 1;
    if (r->status < 400 || !r->body_len || cdrest__parse_answer(c, r->body, r->body_len) != 0 || c->ntoks < 1) return 0;
    code = cdrest_json_find(r->body, c->toks, c->ntoks, 0, "error.code");
    return code >= 0 && (cdrest_json_eq(r->body, c->toks, code, "NoCredentials") ||
                         cdrest_json_eq(r->body, c->toks, code, "SessionExpired"));
}

static int cdrest__cd_call_once(cdrest_client *c, const char *method, int has_body, size_t body_len, cdrest_doc *out,
                                const char *expect);

/* The call in c->target with body c->body[0..body_len) (when has_body). Logs in first
   when credentials are held without a session, and once more when the session is
   refused (cdrest__session_refused). */
static int cdrest__cd_call(cdrest_client *c, const char *method, int has_body, size_t body_len, cdrest_doc *out,
                           const char *expect) {
    int owned, rc;
    if (out) memset(out, 0, sizeof *out);
    if ((rc = cdrest__check_client(c)) != 0) return rc;
    owned = cdrest__deadline_begin(c);
    return cdrest__deadline_end(c, owned, cdrest__cd_call_once(c, method, has_body, body_len, out, expect));
}

static int cdrest__cd_call_once(cdrest_client *c, const char *method, int has_body, size_t body_len, cdrest_doc *out,
                                const char *expect) {
    cdrest_response r;
    cdrest_doc d;
    int rc;
    if (!c->cfg.basic_auth && !c->session_id[0] && cdrest__has_credentials(c) &&
        (rc = cdrest__login_at(c, has_body ? body_len : 0)) != 0)
        return rc;
    rc = cdrest__cd_send(c, method, c->target, has_body ? c->body : NULL, body_len, 1, &r);
    if (rc) return rc;
    if (!c->cfg.basic_auth && cdrest__has_credentials(c) && cdrest__session_refused(c, &r)) {
        /* the session expired: log in again once and retry */
        if ((rc = cdrest__login_at(c, has_body ? body_len : 0)) != 0) return rc;
        rc = cdrest__cd_send(c, method, c->target, has_body ? c->body : NULL, body_len, 1, &r);
        if (rc) return rc;
    }
    /* a write the server confirmed does not fail for want of tokens for its answer */
    if ((rc = cdrest__cd_result(c, &r, &d, strcmp(method, "GET") != 0)) != 0 ||
        (rc = cdrest__expect(c, &d, expect)) != 0)
        return rc;
    if (out) *out = d;
    return 0;
}

CDRESTDEF int cdrest_call(cdrest_client *c, const char *method, const char *path, const cdrest_param *query,
                          const char *json_body, cdrest_doc *out) {
    cdrest__sb b;
    int has_query, rc;
    size_t body_len = 0;
    const char *in[3];
    if (!c) return CDREST_E_ARG;
    in[0] = method, in[1] = path, in[2] = json_body;
    if ((rc = cdrest__begin(c, in, 3, &query, 1)) != 0) return rc;
    method = in[0], path = in[1], json_body = in[2];
    if (!method || !path || (path[0] != '/' && path[0] != 0))
        return cdrest__fail(&c->err, CDREST_E_ARG, "cdrest_call: a method and a path starting with '/' are required");
    if (cdrest__has_dot_segment(path, strcspn(path, "?")))
        return cdrest__fail(&c->err, CDREST_E_ARG, "cdrest_call: '.' and '..' segments are not allowed in the path");
    b = cdrest__target(c, path, NULL, 0);
    has_query = strchr(path, '?') != NULL;
    cdrest__sb_query(&b, query, &has_query);
    if ((rc = b.rc) != 0) return rc;
    if (json_body) {
        cdrest_json_parser p;
        body_len = strlen(json_body);
        cdrest_json_init(&p);
        if (cdrest_json_parse(&p, json_body, body_len, NULL, 0) < 0)
            return cdrest__fail(&c->err, CDREST_E_JSON, "the request body is not valid JSON: %s at byte %lu",
                                cdrest_json_errstr(p.error), (unsigned long)p.error_pos);
        if ((rc = cdrest__grow(c, &c->body, &c->body_cap, cdrest__add(body_len, 1), c->fixed_send,
                               "the request body")) != 0)
            return rc;
        memcpy(c->body, json_body, body_len + 1);
    }
    return cdrest__cd_call(c, method, json_body != NULL, body_len, out, NULL);
}

/* --- properties ----------------------------------------------------------------------- */

static int cdrest__ctx_has(const cdrest_param *ctx, const char *name) {
    for (; ctx && ctx->name; ctx++)
        if (!strcmp(ctx->name, name)) return 1;
    return 0;
}

/* Inside a job step (from the environment), /myJob/... and relative paths without a
   context are resolved through the step's id. */
static int cdrest__wants_job_step(const cdrest_client *c, const char *path, const cdrest_param *ctx) {
    if (!c->env_job_step_id[0] || cdrest__ctx_has(ctx, "jobStepId")) return 0;
    if (path && !strncmp(path, "/my", 3)) return 1;
    return path && path[0] != '/' && (!ctx || !ctx->name);
}

static int cdrest__property_target(cdrest_client *c, const char *path, const cdrest_param *ctx, int query) {
    cdrest__sb b;
    int has_query = 0;
    if (!path || !*path) return cdrest__fail(&c->err, CDREST_E_ARG, "a property path is required");
    b = cdrest__target(c, "/properties/", path, CDREST_PCT_PATH);
    if (query) {
        cdrest__sb_query(&b, ctx, &has_query);
        if (cdrest__wants_job_step(c, path, ctx)) {
            const cdrest_param js[] = { { "jobStepId", c->env_job_step_id }, { NULL, NULL } };
            cdrest__sb_query(&b, js, &has_query);
        }
    }
    return b.rc;
}

/* The body parameters: ctx plus the job step from the environment when it applies. */
static int cdrest__property_body(cdrest_client *c, const char *path, const cdrest_param *fields,
                                 const cdrest_param *ctx, size_t *len) {
    const cdrest_param job_step[] = { { "jobStepId", c->env_job_step_id }, { NULL, NULL } };
    return cdrest__build_body(c, 0, fields, ctx, cdrest__wants_job_step(c, path, ctx) ? job_step : NULL, NULL, len);
}

#define CDREST__RELATIVE_CTX 16 /* context entries the relative form can carry */

static const char *cdrest__ctx_value(const cdrest_param *ctx, const char *name) {
    for (; ctx && ctx->name; ctx++)
        if (!strcmp(ctx->name, name)) return ctx->value;
    return NULL;
}

/* The objects an absolute path walks through, and the context parameter that names each
   in the relative form: /projects/P/procedures/Q/x is x with projectName=P and
   procedureName=Q. A row is {parent key (NULL: a root), path segment, context key}. */
static const char *const cdrest__object_steps[][3] = { { NULL, "projects", "projectName" },
                                                       { NULL, "jobs", "jobId" },
                                                       { NULL, "jobSteps", "jobStepId" },
                                                       { NULL, "resources", "resourceName" },
                                                       { NULL, "artifacts", "artifactName" },
                                                       { NULL, "artifactVersions", "artifactVersionName" },
                                                       { "projectName", "procedures", "procedureName" },
                                                       { "procedureName", "steps", "stepName" },
                                                       { "projectName", "schedules", "scheduleName" },
                                                       { "projectName", "credentials", "credentialName" },
                                                       { "projectName", "pipelines", "pipelineName" },
                                                       { "projectName", "releases", "releaseName" },
                                                       { "projectName", "applications", "applicationName" },
                                                       { "projectName", "environments", "environmentName" },
                                                       { "projectName", "components", "componentName" },
                                                       { "projectName", "workflowDefinitions",
                                                         "workflowDefinitionName" } };
#define CDREST__OBJECT_STEPS (sizeof cdrest__object_steps / sizeof cdrest__object_steps[0])

/* The row for segment seg (len bytes) below parent (NULL: a root); -1 if none. With
   any_parent, a child segment under any parent (an object path the walk did not follow). */
static int cdrest__object_step(const char *parent, const char *seg, size_t len, int any_parent) {
    size_t k;
    for (k = 0; k < CDREST__OBJECT_STEPS; k++) {
        const char *const *row = cdrest__object_steps[k];
        if (strlen(row[1]) != len || memcmp(row[1], seg, len) != 0) continue;
        if (any_parent ? row[0] != NULL : (parent ? row[0] && !strcmp(row[0], parent) : !row[0])) return (int)k;
    }
    return -1;
}

static int cdrest__is_object_key(const char *name) {
    size_t k;
    for (k = 0; k < CDREST__OBJECT_STEPS; k++)
        if (!strcmp(cdrest__object_steps[k][2], name)) return 1;
    return 0;
}

/* The context of an object path (/projects/P/procedures/Q/...): its names, copied into
   names, go to out[*n...]; *rel is the property path below the object. 1, or 0 when the
   path has no relative form (an unknown root such as /server, no property below the
   object, or a child object this walk cannot name, which must not become a sheet). */
static int cdrest__relative_objects(const char *path, char *names, size_t cap, cdrest_param *out, int *n,
                                    const char **rel) {
    const char *p = path + 1, *parent = NULL;
    size_t used = 0;
    for (;;) {
        const char *slash = strchr(p, '/'), *name, *end;
        int k = slash ? cdrest__object_step(parent, p, (size_t)(slash - p), 0) : -1;
        size_t len;
        if (k < 0) break;
        name = slash + 1;
        end = strchr(name, '/');
        if (!end || end == name || !end[1]) return 0; /* an object, not a property */
        len = (size_t)(end - name);
        if (*n == CDREST__RELATIVE_CTX - 1 || len + 1 > cap - used) return 0;
        memcpy(names + used, name, len);
        names[used + len] = 0;
        out[*n].name = cdrest__object_steps[k][2];
        out[(*n)++].value = names + used;
        used += len + 1;
        parent = cdrest__object_steps[k][2];
        p = end + 1;
    }
    if (!parent) return 0;
    {
        const char *slash = strchr(p, '/');
        if (slash && cdrest__object_step(NULL, p, (size_t)(slash - p), 1) >= 0) return 0;
    }
    *rel = p;
    return 1;
}

/* The job or step a /myJob/... or /myJobStep/... path starts from, for the relative form:
   the step of the context or of the environment, the context's job or the step's, asked
   from the server. Its id goes to object; 1, 0 when there is none, or an error. */
static int cdrest__relative_my(cdrest_client *c, int is_step, const cdrest_param *ctx, char *object, size_t cap) {
    const char *step = cdrest__ctx_value(ctx, "jobStepId"), *id;
    if (!step || !*step) step = c->env_job_step_id;
    id = is_step ? step : cdrest__ctx_value(ctx, "jobId");
    if (!is_step && (!id || !*id) && *step) { /* the step's job */
        cdrest_doc d;
        int rc = cdrest_get_job_step_details(c, step, &d);
        if (rc) return rc;
        if (cdrest_doc_string(&d, "jobStep.jobId", object, cap) != 0 || !object[0])
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the job step details hold no jobId");
        return 1;
    }
    return id && *id && cdrest__copy(object, cap, id, strlen(id)) == 0;
}

/* An absolute path in the relative form: *rel ("x/y") with the objects' names in a copy
   of ctx (out) without the caller's own object names (a jobStepId or procedureName there
   would take precedence over the path's). 1, 0 when the path has no relative form, or an
   error from a look-up. */
static int cdrest__relative_property(cdrest_client *c, const char *path, const cdrest_param *ctx, char *object,
                                     size_t cap, cdrest_param out[CDREST__RELATIVE_CTX], const char **rel) {
    const cdrest_param *x;
    int n = 0, rc, is_step = !strncmp(path, "/myJobStep/", 11);
    for (x = ctx; x && x->name; x++) {
        if (cdrest__is_object_key(x->name)) continue;
        if (n == CDREST__RELATIVE_CTX - 4) return 0;
        out[n++] = *x;
    }
    out[n].name = NULL;
    if (is_step || !strncmp(path, "/myJob/", 7)) {
        *rel = path + (is_step ? 11 : 7);
        if (!**rel) return 0;
        if ((rc = cdrest__relative_my(c, is_step, ctx, object, cap)) <= 0) return rc;
        out[n].name = is_step ? "jobStepId" : "jobId";
        out[n++].value = object;
        out[n].name = NULL;
        return 1;
    }
    rc = cdrest__relative_objects(path, object, cap, out, &n, rel);
    out[n].name = NULL;
    return rc;
}

/* The server refuses "//" and the path names no object the relative form can carry. */
static int cdrest__no_relative_form(cdrest_client *c, const char *path) {
    return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED,
                        "this server refuses the empty segment of /properties//... (HTTP 400) and %s has no relative "
                        "form: give the path relative to its object with a context (projectName, procedureName, "
                        "jobId, resourceName, ...)",
                        path);
}

/* One property request: GET/DELETE with the context in the query, or PUT with fields and
   context in the body. Absolute paths go as /properties//projects/P/x; a server that
   refuses the empty segment (Jetty 12 answers a bare 400) gets the relative form, then
   and for the rest of the client's life. */
static int cdrest__property_op(cdrest_client *c, const char *method, const char *path, const cdrest_param *fields,
                               const cdrest_param *ctx, cdrest_doc *out, const char *expect) {
    cdrest_param rel_ctx[CDREST__RELATIVE_CTX];
    char object[512];
    const char *rel = NULL;
    int rc, attempt, has_body = fields != NULL;
    if (!path) path = "";
    for (attempt = 0;; attempt++) {
        size_t len = 0;
        int relative = path[0] == '/' && (c->relative_paths || attempt)
                           ? cdrest__relative_property(c, path, ctx, object, sizeof object, rel_ctx, &rel)
                           : 0;
        const char *p = relative > 0 ? rel : path;
        const cdrest_param *x = relative > 0 ? rel_ctx : ctx;
        if (relative < 0) return relative;
        if (relative == 0 && path[0] == '/' && c->relative_paths) return cdrest__no_relative_form(c, path);
        if ((rc = cdrest__property_target(c, p, x, !has_body)) != 0) return rc;
        if (has_body && (rc = cdrest__property_body(c, p, fields, x, &len)) != 0) return rc;
        rc = cdrest__cd_call(c, method, has_body, len, out, expect);
        if (attempt == 0 && !relative && !c->relative_paths && rc == CDREST_E_HTTP && c->err.http_status == 400 &&
            path[0] == '/') {
            /* a bare 400 (no CD error body) to "//": the web container refused it */
            int has = cdrest__relative_property(c, path, ctx, object, sizeof object, rel_ctx, &rel);
            if (has < 0) return has;
            if (!has) return cdrest__no_relative_form(c, path);
            c->relative_paths = 1;
            continue;
        }
        return rc;
    }
}

CDRESTDEF int cdrest_get_property(cdrest_client *c, const char *path, const cdrest_param *ctx, cdrest_doc *out) {
    int rc;
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &path, 1, &ctx, 1)) != 0) return rc;
    return cdrest__property_op(c, "GET", path, NULL, ctx, out, "property");
}

/* The value is decoded in place, in the receive buffer where the answer is (decoding
   never lengthens a string, and its closing quote leaves room for the NUL): no second
   buffer, so a fixed send buffer never limits what can be read. */
CDRESTDEF int cdrest_get_property_value(cdrest_client *c, const char *path, const cdrest_param *ctx, const char **value,
                                        size_t *len) {
    cdrest_doc d;
    cdrest_json_tok v;
    int rc;
    size_t n = 0;
    const char *text = "";
    if (value) *value = NULL;
    if (len) *len = 0;
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &path, 1, &ctx, 1)) != 0 || (rc = cdrest_get_property(c, path, ctx, &d)) != 0) return rc;
    if (cdrest__doc_field(&d, "property.propertySheetId", &v))
        return cdrest__fail(&c->err, CDREST_E_ARG, "%s is a property sheet, which has no value (list it instead)",
                            path);
    if (cdrest__doc_field(&d, "property.value", &v)) { /* absent: an empty value */
        char *at = c->buf + (d.json - c->buf) + v.start;
        if (v.type != CDREST_JSON_STRING)
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the server's value of %s is %s, not text", path,
                                cdrest__json_kind(v.type));
        if ((rc = cdrest_json_string(d.json, &v, 0, at, (size_t)(v.end - v.start) + 1, &n)) != 0)
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the property value could not be decoded");
        text = at;
    }
    if (value) *value = text;
    if (len) *len = n;
    return 0;
}

CDRESTDEF int cdrest_set_property(cdrest_client *c, const char *path, const char *value, const cdrest_param *ctx,
                                  cdrest_doc *out) {
    const char *in[2];
    int rc;
    if (!c) return CDREST_E_ARG;
    in[0] = path, in[1] = value;
    if ((rc = cdrest__begin(c, in, 2, &ctx, 1)) != 0) return rc;
    path = in[0], value = in[1];
    if (!value) return cdrest__fail(&c->err, CDREST_E_ARG, "setProperty needs a value");
    const cdrest_param fields[] = { { "value", value }, { NULL, NULL } };
    return cdrest__property_op(c, "PUT", path, fields, ctx, out, "property");
}

CDRESTDEF int cdrest_create_property(cdrest_client *c, const char *path, const char *value, const cdrest_param *ctx,
                                     cdrest_doc *out) {
    const char *in[2];
    cdrest__sb b;
    size_t len;
    int rc;
    if (!c) return CDREST_E_ARG;
    in[0] = path, in[1] = value;
    if ((rc = cdrest__begin(c, in, 2, &ctx, 1)) != 0) return rc;
    path = in[0], value = in[1];
    if (!path || !*path) return cdrest__fail(&c->err, CDREST_E_ARG, "a property path is required");
    if ((rc = cdrest__check_name(c, path)) != 0) return rc;
    const cdrest_param fields[] = { { "propertyName", path },
                                    { "value", value },
                                    { NULL, NULL } }; /* no value: none sent */
    b = cdrest__target(c, "/properties", NULL, 0);
    if ((rc = b.rc) != 0) return rc;
    if ((rc = cdrest__property_body(c, path, fields, ctx, &len)) != 0) return rc;
    return cdrest__cd_call(c, "POST", 1, len, out, "property");
}

CDRESTDEF int cdrest_delete_property(cdrest_client *c, const char *path, const cdrest_param *ctx) {
    int rc;
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &path, 1, &ctx, 1)) != 0) return rc;
    return cdrest__property_op(c, "DELETE", path, NULL, ctx, NULL, NULL);
}

/* "/projects/NAME" or "/jobs/ID": an object, whose own sheet is listed. */
static const char *cdrest__object_path(const char *path, const char **name) {
    static const char *const kinds[2] = { "/projects/", "/jobs/" };
    int k;
    for (k = 0; k < 2 && path; k++) {
        size_t n = strlen(kinds[k]);
        if (!strncmp(path, kinds[k], n) && path[n] && !strchr(path + n, '/')) {
            *name = path + n;
            return kinds[k];
        }
    }
    return NULL;
}

/* The propertySheetId of a sheet property or of the context object; 1 (with the answer
   in *inline_doc) when the object's details carry the sheet itself and no id. */
static int cdrest__sheet_id(cdrest_client *c, const char *path, const cdrest_param *ctx, char *id, size_t cap,
                            cdrest_doc *inline_doc) {
    cdrest_doc d;
    const char *where, *object_name = NULL, *object_kind = cdrest__object_path(path, &object_name);
    cdrest_json_tok t;
    int rc, found;
    size_t len;
    if (path && *path && !object_kind) {
        if ((rc = cdrest_get_property(c, path, ctx, &d)) != 0) return rc;
        where = "property.propertySheetId";
    } else {
        const cdrest_param *p;
        cdrest__sb b;
        const char *kind = object_kind, *name = object_name;
        for (p = ctx; p && p->name && !kind; p++) {
            if (!strcmp(p->name, "projectName"))
                kind = "/projects/", name = p->value;
            else if (!strcmp(p->name, "jobId"))
                kind = "/jobs/", name = p->value;
        }
        if (!kind || !name)
            return cdrest__fail(&c->err, CDREST_E_ARG,
                                "getProperties needs a sheet path, or projectName or jobId in the context");
        b = cdrest__target(c, kind, name, CDREST_PCT_SEGMENT);
        if (kind[1] == 'j') cdrest__sb_str(&b, "?request=getJobDetails");
        if ((rc = b.rc) != 0 || (rc = cdrest__cd_call(c, "GET", 0, 0, &d, "")) != 0) return rc;
        where = kind[1] == 'p' ? "project.propertySheetId" : "job.propertySheetId";
    }
    found = cdrest__doc_field(&d, where, &t);
    if (!found && strcmp(where, "property.propertySheetId") != 0) { /* details that nest it: job.propertySheet{...} */
        found = cdrest__doc_field(
            &d, where[0] == 'j' ? "job.propertySheet.propertySheetId" : "project.propertySheet.propertySheetId", &t);
        if (!found && cdrest__doc_field(&d, where[0] == 'j' ? "job.propertySheet" : "project.propertySheet", &t)) {
            *inline_doc = d;
            return 1;
        }
    }
    if (!found)
        return cdrest__fail(&c->err, CDREST_E_ARG, "%s is a property, not a property sheet",
                            path && *path ? path : "the context");
    if ((rc = cdrest__field_text(c, d.json, &t, 1, "propertySheetId", id, cap, &len)) != 0) return rc;
    if (!len) return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the server gave an empty propertySheetId");
    return 0;
}

static int cdrest__get_properties(cdrest_client *c, const char *path, const cdrest_param *ctx, cdrest_doc *out);

/* Both requests (the sheet's id, then the sheet) within one timeout_ms. */
CDRESTDEF int cdrest_get_properties(cdrest_client *c, const char *path, const cdrest_param *ctx, cdrest_doc *out) {
    int owned, rc;
    if (out) memset(out, 0, sizeof *out);
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &path, 1, &ctx, 1)) != 0) return rc;
    owned = cdrest__deadline_begin(c);
    return cdrest__deadline_end(c, owned, cdrest__get_properties(c, path, ctx, out));
}

/* Every entry of a listed sheet as the listing promises it: an object whose propertyName is
   text, whose value (when present) is text, and whose propertySheetId (a nested sheet) is an
   id. Checked once here, so cdrest_sheet_next's callers never print a null, a number or an
   object's raw JSON as a name or a value. A doc kept as raw text (config.raw_docs) has no
   tokens to check: it was validated as JSON and is returned for printing whole. */
static int cdrest__check_sheet(cdrest_client *c, const cdrest_doc *d) {
    cdrest_sheet_entry e;
    int it = 0;
    while (cdrest_sheet_next(d, &it, &e)) {
        const cdrest_json_tok *t = d->toks;
        if (e.name < 0 || t[e.name].type != CDREST_JSON_STRING)
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL,
                                "a property in the server's listing has %s for its propertyName",
                                e.name < 0 ? "nothing" : cdrest__json_kind(t[e.name].type));
        if (e.value >= 0 && t[e.value].type != CDREST_JSON_STRING)
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "a property in the server's listing has %s for its value",
                                cdrest__json_kind(t[e.value].type));
        if (e.sheet_id >= 0 && t[e.sheet_id].type != CDREST_JSON_STRING && t[e.sheet_id].type != CDREST_JSON_NUMBER)
            return cdrest__fail(&c->err, CDREST_E_PROTOCOL,
                                "a property in the server's listing has %s for its propertySheetId",
                                cdrest__json_kind(t[e.sheet_id].type));
    }
    return 0;
}

static int cdrest__get_properties(cdrest_client *c, const char *path, const cdrest_param *ctx, cdrest_doc *out) {
    char id[128];
    cdrest__sb b;
    cdrest_doc d, inline_doc;
    cdrest_json_tok list;
    const cdrest_param *p;
    int rc, has_query = 0;
    if ((rc = cdrest__sheet_id(c, path, ctx, id, sizeof id, &inline_doc)) < 0) return rc;
    if (rc == 1) {
        if ((rc = cdrest__check_sheet(c, &inline_doc)) != 0) return rc;
        if (out) *out = inline_doc;
        return 0;
    }
    b = cdrest__target(c, "/propertySheets/", id, CDREST_PCT_SEGMENT);
    for (p = ctx; p && p->name; p++) /* expand=0 and recurse travel with the listing */
        if (!strcmp(p->name, "expand") || !strcmp(p->name, "recurse")) {
            const cdrest_param one[] = { { p->name, p->value }, { NULL, NULL } };
            cdrest__sb_query(&b, one, &has_query);
        }
    if ((rc = b.rc) != 0 || (rc = cdrest__cd_call(c, "GET", 0, 0, &d, "propertySheet")) != 0) return rc;
    /* "property" lists the entries (one object when there is one, absent when none) */
    if (cdrest__doc_field(&d, "propertySheet.property", &list) && list.type != CDREST_JSON_ARRAY &&
        list.type != CDREST_JSON_OBJECT)
        return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the server's property sheet lists its properties as %s",
                            cdrest__json_kind(list.type));
    if ((rc = cdrest__check_sheet(c, &d)) != 0) return rc;
    if (out) *out = d;
    return 0;
}

CDRESTDEF int cdrest_sheet_next(const cdrest_doc *d, int *iter, cdrest_sheet_entry *e) {
    int item;
    if (!d || !iter || !e || !d->ntoks) return 0;
    if (*iter == 0) {
        int list = cdrest_json_find(d->json, d->toks, d->ntoks, 0, "propertySheet.property");
        if (list < 0) list = cdrest_json_find(d->json, d->toks, d->ntoks, 0, "job.propertySheet.property");
        if (list < 0) list = cdrest_json_find(d->json, d->toks, d->ntoks, 0, "project.propertySheet.property");
        if (list < 0) return 0;
        if (d->toks[list].type == CDREST_JSON_OBJECT)
            item = list; /* one property, not a list */
        else
            item = cdrest_json_first(d->toks, d->ntoks, list);
    } else if (*iter < 0) {
        return 0;
    } else {
        item = cdrest_json_next(d->toks, d->ntoks, *iter);
        if (item >= 0 && d->toks[*iter].parent >= 0 && d->toks[d->toks[*iter].parent].type != CDREST_JSON_ARRAY)
            item = -1;
    }
    if (item < 0 || d->toks[item].type != CDREST_JSON_OBJECT) {
        *iter = -1;
        return 0;
    }
    e->name = cdrest_json_find(d->json, d->toks, d->ntoks, item, "propertyName");
    e->value = cdrest_json_find(d->json, d->toks, d->ntoks, item, "value");
    e->sheet_id = cdrest_json_find(d->json, d->toks, d->ntoks, item, "propertySheetId");
    *iter = item;
    return 1;
}

CDRESTDEF int cdrest_doc_find(const cdrest_doc *d, const char *path) {
    if (!d || !d->ntoks) return -1;
    return cdrest_json_find(d->json, d->toks, d->ntoks, 0, path);
}

CDRESTDEF int cdrest_doc_string(const cdrest_doc *d, const char *path, char *buf, size_t cap) {
    size_t len;
    int i = cdrest_doc_find(d, path);
    if (!buf && cap) return CDREST_E_ARG;
    if (cap) buf[0] = 0;
    if (i < 0) return CDREST_E_ARG;
    return cdrest_json_string(d->json, d->toks, i, buf, cap, &len);
}

/* --- results the caller keeps: copies, allocated copies, detached docs ------------------- */
#ifndef CDREST_NO_EXTRAS

CDRESTDEF int cdrest_doc_copy(const cdrest_doc *d, const char *path, char *buf, size_t cap, size_t *len) {
    size_t n = 0;
    int rc, i;
    if (len) *len = 0;
    if (!buf && cap) return CDREST_E_ARG;
    if (cap) buf[0] = 0;
    if ((i = cdrest_doc_find(d, path)) < 0) return CDREST_E_ARG;
    rc = cdrest_json_string(d->json, d->toks, i, buf, cap, &n);
    if (len) *len = n;
    return rc;
}

CDRESTDEF int cdrest_doc_int64(const cdrest_doc *d, const char *path, int64_t *out) {
    int i = cdrest_doc_find(d, path);
    if (i < 0 || !out) return CDREST_E_ARG;
    return cdrest_json_int64(d->json, d->toks, i, out);
}

CDRESTDEF int cdrest_doc_bool(const cdrest_doc *d, const char *path, int *out) {
    /* JSON true/false and the strings "1"/"true", "0"/"false" (a string's span has no quotes) */
    static const char *const words[4] = { "0", "false", "1", "true" };
    int i = cdrest_doc_find(d, path), w;
    if (i < 0 || !out) return CDREST_E_ARG;
    if (d->toks[i].type == CDREST_JSON_STRING || d->toks[i].type == CDREST_JSON_TRUE ||
        d->toks[i].type == CDREST_JSON_FALSE)
        for (w = 0; w < 4; w++)
            if ((size_t)(d->toks[i].end - d->toks[i].start) == strlen(words[w]) &&
                !memcmp(d->json + d->toks[i].start, words[w], strlen(words[w]))) {
                *out = w >> 1;
                return 0;
            }
    return CDREST_E_JSON;
}

CDRESTDEF int cdrest_doc_detach(const cdrest_doc *src, void *buf, size_t cap, cdrest_doc *out, size_t *need) {
    size_t toks_bytes, total, pad;
    cdrest_json_tok *toks;
    char *text;
    if (need) *need = 0;
    if (!src || !out || (!buf && cap) || src->ntoks < 0 || (src->ntoks && !src->toks) || (src->len && !src->json))
        return CDREST_E_ARG;
    toks_bytes = (size_t)src->ntoks * sizeof(cdrest_json_tok);
    total = (sizeof(int) - 1) + toks_bytes + src->len + 1; /* room to align the tokens, and a NUL */
    if (need) *need = total;
    if (cap < total) return CDREST_E_TOOLARGE;
    pad = (size_t)((sizeof(int) - (uintptr_t)buf % sizeof(int)) % sizeof(int));
    toks = (cdrest_json_tok *)(void *)((char *)buf + pad);
    text = (char *)toks + toks_bytes;
    if (toks_bytes) memcpy(toks, src->toks, toks_bytes);
    if (src->len) memcpy(text, src->json, src->len);
    text[src->len] = 0;
    out->json = text;
    out->len = src->len;
    out->toks = toks;
    out->ntoks = src->ntoks;
    return 0;
}

CDRESTDEF int cdrest_get_property_copy(cdrest_client *c, const char *path, const cdrest_param *ctx, char *buf,
                                       size_t cap, size_t *len) {
    const char *v;
    size_t n = 0;
    int rc;
    if (len) *len = 0;
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &path, 1, &ctx, 1)) != 0) return rc; /* path is used after the call */
    if (!buf && cap) return cdrest__fail(&c->err, CDREST_E_ARG, "no buffer for the property value");
    if (cap) buf[0] = 0;
    if ((rc = cdrest_get_property_value(c, path, ctx, &v, &n)) != 0) return rc;
    if (len) *len = n;
    if (n >= cap)
        return cdrest__fail(&c->err, CDREST_E_TOOLARGE,
                            "the value of %.200s needs %lu bytes with its NUL; the buffer has %lu", path,
                            (unsigned long)n + 1, (unsigned long)cap);
    memcpy(buf, v, n + 1);
    return 0;
}

#ifndef CDREST_NO_MALLOC
static int cdrest__dup(void *alloc_ctx, const char *src, size_t n, char **out) {
    char *p = n == (size_t)-1 ? NULL : (char *)CDREST_MALLOC(alloc_ctx, n + 1);
    if (!p) return CDREST_E_NOMEM;
    memcpy(p, src, n);
    p[n] = 0;
    *out = p;
    return 0;
}

CDRESTDEF int cdrest_get_property_dup(cdrest_client *c, const char *path, const cdrest_param *ctx, char **value,
                                      size_t *len) {
    const char *v;
    size_t n = 0;
    int rc;
    if (len) *len = 0;
    if (!c || !value) return CDREST_E_ARG;
    *value = NULL;
    if ((rc = cdrest_get_property_value(c, path, ctx, &v, &n)) != 0) return rc;
    if (cdrest__dup(c->cfg.alloc_ctx, v, n, value) != 0)
        return cdrest__fail(&c->err, CDREST_E_NOMEM, "no memory for a copy of %lu bytes", (unsigned long)n + 1);
    if (len) *len = n;
    return 0;
}

CDRESTDEF int cdrest_doc_dup(const cdrest_doc *d, const char *path, void *alloc_ctx, char **value, size_t *len) {
    size_t n = 0;
    int rc, i;
    char *p;
    if (len) *len = 0;
    if (!value) return CDREST_E_ARG;
    *value = NULL;
    if ((i = cdrest_doc_find(d, path)) < 0) return CDREST_E_ARG;
    rc = cdrest_json_string(d->json, d->toks, i, NULL, 0, &n); /* the length first */
    if (rc != CDREST_E_TOOLARGE) return rc ? rc : CDREST_E_ARG;
    if (!(p = n == (size_t)-1 ? NULL : (char *)CDREST_MALLOC(alloc_ctx, n + 1))) return CDREST_E_NOMEM;
    if ((rc = cdrest_json_string(d->json, d->toks, i, p, n + 1, &n)) != 0) {
        CDREST_FREE(alloc_ctx, p);
        return rc;
    }
    *value = p;
    if (len) *len = n;
    return 0;
}

CDRESTDEF void cdrest_dup_free(void *alloc_ctx, void *p) {
    if (p) CDREST_FREE(alloc_ctx, p);
    (void)alloc_ctx;
}
#endif /* CDREST_NO_MALLOC */
#endif /* CDREST_NO_EXTRAS */

/* --- artifacts and versions ------------------------------------------------------------ */

/* Split "a:b[:c]" at its first colon into group (NUL-terminated) and the rest. */
static int cdrest__split_artifact(cdrest_client *c, const char *name, char *group, size_t cap, const char **rest) {
    const char *colon = name ? strchr(name, ':') : NULL;
    if (!colon || colon == name || !colon[1])
        return cdrest__fail(&c->err, CDREST_E_ARG, "an artifact is named groupId:artifactKey");
    if (cdrest__copy(group, cap, name, (size_t)(colon - name)) != 0)
        return cdrest__fail(&c->err, CDREST_E_ARG, "the groupId is too long");
    *rest = colon + 1;
    return 0;
}

/* METHOD /rest/v1.0<prefix><encoded name> with no body. */
static int cdrest__named_call(cdrest_client *c, const char *method, const char *prefix, const char *name,
                              cdrest_doc *out, const char *expect) {
    cdrest__sb b;
    int rc;
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &name, 1, NULL, 0)) != 0) return rc;
    if (!name || !*name) return cdrest__fail(&c->err, CDREST_E_ARG, "a name is required");
    b = cdrest__target(c, prefix, name, CDREST_PCT_SEGMENT);
    if ((rc = b.rc) != 0) return rc;
    return cdrest__cd_call(c, method, 0, 0, out, expect);
}

/* POST /rest/v1.0<prefix> with the JSON body {fields..., extra...}. */
static int cdrest__create_call(cdrest_client *c, const char *prefix, const cdrest_param *fields,
                               const cdrest_param *extra, const cdrest_param *actual, cdrest_doc *out,
                               const char *expect) {
    cdrest__sb b = cdrest__target(c, prefix, NULL, 0);
    size_t len;
    int rc;
    if ((rc = b.rc) != 0) return rc;
    if ((rc = cdrest__build_body(c, 0, fields, extra, NULL, actual, &len)) != 0) return rc;
    return cdrest__cd_call(c, "POST", 1, len, out, expect);
}

CDRESTDEF int cdrest_create_artifact(cdrest_client *c, const char *group_id, const char *artifact_key,
                                     const cdrest_param *extra, cdrest_doc *out) {
    const char *in[2];
    int rc;
    if (!c) return CDREST_E_ARG;
    in[0] = group_id, in[1] = artifact_key;
    if ((rc = cdrest__begin(c, in, 2, &extra, 1)) != 0) return rc;
    group_id = in[0], artifact_key = in[1];
    if (!group_id || !*group_id || !artifact_key || !*artifact_key)
        return cdrest__fail(&c->err, CDREST_E_ARG, "createArtifact needs a groupId and an artifactKey");
    const cdrest_param f[] = { { "groupId", group_id }, { "artifactKey", artifact_key }, { NULL, NULL } };
    return cdrest__create_call(c, "/artifacts", f, extra, NULL, out, "artifact");
}

CDRESTDEF int cdrest_get_artifact(cdrest_client *c, const char *artifact_name, cdrest_doc *out) {
    return cdrest__named_call(c, "GET", "/artifacts/", artifact_name, out, "artifact");
}

/* GET /rest/v1.0<prefix>?<query>: a listing (any JSON object). */
static int cdrest__list_call(cdrest_client *c, const char *prefix, const cdrest_param *query, cdrest_doc *out) {
    int has_query = 0;
    cdrest__sb b = cdrest__target(c, prefix, NULL, 0);
    cdrest__sb_query(&b, query, &has_query);
    if (b.rc) return b.rc;
    return cdrest__cd_call(c, "GET", 0, 0, out, "");
}

CDRESTDEF int cdrest_get_artifacts(cdrest_client *c, const cdrest_param *query, cdrest_doc *out) {
    int rc;
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, NULL, 0, &query, 1)) != 0) return rc;
    return cdrest__list_call(c, "/artifacts", query, out);
}

CDRESTDEF int cdrest_delete_artifact(cdrest_client *c, const char *artifact_name) {
    return cdrest__named_call(c, "DELETE", "/artifacts/", artifact_name, NULL, NULL);
}

CDRESTDEF int cdrest_create_artifact_version(cdrest_client *c, const char *artifact_name, const char *version,
                                             const cdrest_param *extra, cdrest_doc *out) {
    char group[256];
    const char *key = NULL, *in[2]; /* key: set by cdrest__split_artifact (gcc -O3 cannot see it) */
    int rc;
    if (!c) return CDREST_E_ARG;
    in[0] = artifact_name, in[1] = version;
    if ((rc = cdrest__begin(c, in, 2, &extra, 1)) != 0) return rc;
    artifact_name = in[0], version = in[1];
    if ((rc = cdrest__split_artifact(c, artifact_name, group, sizeof group, &key)) != 0) return rc;
    if (!version || !*version) return cdrest__fail(&c->err, CDREST_E_ARG, "createArtifactVersion needs a version");
    const cdrest_param f[] = { { "groupId", group }, { "artifactKey", key }, { "version", version }, { NULL, NULL } };
    return cdrest__create_call(c, "/artifactVersions", f, extra, NULL, out, "artifactVersion");
}

CDRESTDEF int cdrest_get_artifact_version(cdrest_client *c, const char *version_name, cdrest_doc *out) {
    return cdrest__named_call(c, "GET", "/artifactVersions/", version_name, out, "artifactVersion");
}

/* getArtifactVersions filters by artifactName ("g:k"); the server ignores parameters it
   does not filter by and lists every version in the system (docs/cd-api.md). */
CDRESTDEF int cdrest_get_artifact_versions(cdrest_client *c, const char *artifact_name, cdrest_doc *out) {
    char group[256];
    const char *key;
    int rc;
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &artifact_name, 1, NULL, 0)) != 0) return rc;
    if ((rc = cdrest__split_artifact(c, artifact_name, group, sizeof group, &key)) != 0) return rc;
    const cdrest_param q[] = { { "artifactName", artifact_name }, { NULL, NULL } };
    return cdrest__list_call(c, "/artifactVersions", q, out);
}

CDRESTDEF int cdrest_delete_artifact_version(cdrest_client *c, const char *version_name) {
    return cdrest__named_call(c, "DELETE", "/artifactVersions/", version_name, NULL, NULL);
}

/* --- publishing a version's files (multipart/form-data, streamed) ------------------------ */

#ifndef CDREST_NO_FILES
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

#ifndef CDREST_MAX_DIR_DEPTH
#define CDREST_MAX_DIR_DEPTH 64 /* deepest nesting cdrest_publish_artifact_dir walks */
#endif
#define CDREST__UPLOAD_PATH_MAX 4096

/* The upload endpoints of the CD web server: publishArtifact.php (file field "files[]")
   since 2023.01, the CGI (field "files") before. See docs/cd-api.md. */
#define CDREST__PUBLISH_PHP "/commander/publishArtifact.php"
#define CDREST__PUBLISH_CGI "/commander/cgi-bin/publishArtifactAPI.cgi"

typedef struct cdrest__upload {
    /* the files: the caller's list, or a directory tree (walked once to size the body,
       once more to send it: no list is kept, so there is no cap on the number of files) */
    const char *const *files;
    int nfiles, next;
    const char *dir;
    const char *const *include, *const *exclude;
    DIR *dirs[CDREST_MAX_DIR_DEPTH];
    size_t dir_end[CDREST_MAX_DIR_DEPTH]; /* length of path inside each open directory */
    int depth, walked;
    size_t root_len;                    /* path + root_len is the name relative to dir */
    char path[CDREST__UPLOAD_PATH_MAX]; /* the current file */
    const char *name;                   /* the name it is sent as (points into path) */
    uint64_t size;                      /* its size when it was found */
    unsigned long count;                /* files met so far in this walk */
    /* the body */
    const char *field; /* "files[]" or "files" */
    const char *text;  /* text to send before the next file's bytes */
    size_t text_len, text_pos;
    char part[CDREST__UPLOAD_PATH_MAX + 256];
    int fd;
    uint64_t file_left; /* bytes of the current file still to send */
    uint64_t planned;   /* body bytes known so far in the sending walk */
    int done;
    char boundary[48];
    char tail[64];
    uint64_t sent, total;
    cdrest_progress_fn progress;
    void *progress_ctx;
    cdrest_error why; /* a local file's problem, reported as it is */
} cdrest__upload;

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#define CDREST__HAVE_URANDOM 1
#endif

/* n unpredictable bytes: the caller's hook, else /dev/urandom. Failure is an error, never
   a guessable fallback: a boundary a file's content could predict would let that content
   end its part and add form fields of its own. */
static int cdrest__random(cdrest_client *c, unsigned char *buf, size_t n) {
    size_t got = 0;
    if (c->cfg.random_bytes) {
        if (c->cfg.random_bytes(c->cfg.random_ctx, buf, n) == 0) return 0;
        return cdrest__fail(&c->err, CDREST_E_IO, "the random_bytes hook failed: no multipart boundary for the upload");
    }
#ifdef CDREST__HAVE_URANDOM
    {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        while (fd >= 0 && got < n) {
            ssize_t k = read(fd, buf + got, n - got);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break;
            got += (size_t)k;
        }
        if (fd >= 0) close(fd);
    }
#endif
    if (got == n) return 0;
    return cdrest__fail(&c->err, CDREST_E_IO,
                        "no randomness for the upload's multipart boundary (/dev/urandom "
                        "could not be read; set config.random_bytes)");
}

/* The multipart boundary, one per upload: "cdrest-" and 128 random bits in hex, 39
   characters (RFC 2046 allows 1 to 70; hex needs no quoting in the Content-Type header).
   Files are streamed, so their bytes are never searched for the boundary; instead nobody,
   not even a file's author, can predict it: a file holds it by a 2^-128 chance, never by
   design (see cdrest__random). Each part then starts with "--" boundary CRLF (after a
   CRLF that ends the part before it) and the body ends with CRLF "--" boundary "--" CRLF. */
static int cdrest__make_boundary(cdrest_client *c, char *out, size_t cap) {
    static const char hex[] = "0123456789abcdef";
    unsigned char r[16];
    size_t i;
    int rc = cdrest__random(c, r, sizeof r);
    if (rc) return rc;
    if (cap < 7 + 2 * sizeof r + 1) return cdrest__fail(&c->err, CDREST_E_ARG, "boundary buffer too small");
    memcpy(out, "cdrest-", 7);
    for (i = 0; i < sizeof r; i++) {
        out[7 + 2 * i] = hex[r[i] >> 4];
        out[8 + 2 * i] = hex[r[i] & 15];
    }
    out[7 + 2 * sizeof r] = 0;
    cdrest__wipe(r, sizeof r);
    return 0;
}

static const char *cdrest__basename(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The name a listed file is sent as: its path when it is relative and stays inside the
   working directory ("sub/a.txt"; a leading "./" dropped), so trees keep their shape;
   otherwise its last component. */
static const char *cdrest__send_name(const char *path) {
    const char *p = path, *s;
    if (path[0] == '/') return cdrest__basename(path);
    while (p[0] == '.' && p[1] == '/') p += 2;
    for (s = p;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return cdrest__basename(path);
        if (!e) return p;
        s = e + 1;
    }
}

/* Why a name cannot be sent so that every multipart parser reads back exactly it, or
   NULL. Parsers disagree on '"' and '\\' (backslash escapes in PHP, Python, Go, Jetty;
   "%22" from browsers; kept raw by others), so those are refused rather than guessed;
   ';', '%', spaces and UTF-8 text are read back as sent inside the quotes. */
static const char *cdrest__upload_name_problem(const char *name) {
    const unsigned char *s = (const unsigned char *)name;
    size_t n = strlen(name), i = 0;
    if (!n) return "is empty";
    while (i < n) {
        size_t k = cdrest__json_utf8_len(s + i, n - i);
        if (!k) return "is not valid UTF-8";
        if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f)) return "holds a control character";
        if (s[i] == '"' || s[i] == '\\')
            return "holds '\"' or '\\', which server-side multipart parsers read back differently";
        i += k;
    }
    return NULL;
}

/* fnmatch patterns: one with a '/' matches the whole relative name ('*' stops at '/'),
   one without matches the last component. */
static int cdrest__upload_matches(const char *const *patterns, const char *rel) {
    const char *base = cdrest__basename(rel);
    for (; patterns && *patterns; patterns++)
        if (strchr(*patterns, '/') ? fnmatch(*patterns, rel, FNM_PATHNAME) == 0 : fnmatch(*patterns, base, 0) == 0)
            return 1;
    return 0;
}

static void cdrest__upload_rewind(cdrest__upload *u) {
    while (u->depth > 0) closedir(u->dirs[--u->depth]);
    if (u->fd >= 0) close(u->fd);
    u->fd = -1;
    u->next = 0;
    u->walked = 0;
    u->count = 0;
    u->done = 0;
    u->file_left = 0;
    if (u->dir) { /* the caller checked that it fits */
        size_t n = strlen(u->dir);
        while (n > 1 && u->dir[n - 1] == '/') n--;
        memcpy(u->path, u->dir, n);
        u->path[n] = 0;
        u->dir_end[0] = u->path[0] == '/' && n == 1 ? 0 : n;
        u->root_len = u->dir_end[0] + 1;
    }
}

/* The next listed file: 1, 0 at the end, < 0 (u->why) on a problem. */
static int cdrest__upload_next_listed(cdrest__upload *u) {
    const char *f;
    size_t n;
    if (u->next >= u->nfiles) return 0;
    f = u->files[u->next++];
    if (!f) return cdrest__fail(&u->why, CDREST_E_ARG, "files[%d] is NULL", u->next - 1);
    n = strlen(f);
    if (n >= sizeof u->path)
        return cdrest__fail(&u->why, CDREST_E_ARG, "the path %.60s... is longer than %d bytes", f,
                            CDREST__UPLOAD_PATH_MAX - 1);
    memcpy(u->path, f, n + 1);
    u->name = cdrest__send_name(u->path);
    return 1;
}

/* The next file of the tree, depth first in directory order. */
static int cdrest__upload_next_in_tree(cdrest__upload *u) {
    for (;;) {
        struct dirent *e;
        struct stat st;
        size_t at, n;
        const char *rel;
        if (u->depth == 0) {
            if (u->walked) return 0;
            u->walked = 1;
            if (!(u->dirs[0] = opendir(u->path[0] ? u->path : "/")))
                return cdrest__fail(&u->why, CDREST_E_FILE, "cannot open the directory %s: %s", u->dir,
                                    strerror(errno));
            u->depth = 1;
        }
        errno = 0;
        if (!(e = readdir(u->dirs[u->depth - 1]))) {
            int err = errno;
            closedir(u->dirs[--u->depth]);
            u->path[u->dir_end[u->depth]] = 0;
            if (err) return cdrest__fail(&u->why, CDREST_E_FILE, "cannot list %s: %s", u->path, strerror(err));
            continue;
        }
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        at = u->dir_end[u->depth - 1];
        n = strlen(e->d_name);
        if (at + 1 + n >= sizeof u->path)
            return cdrest__fail(&u->why, CDREST_E_FILE, "a path below %.200s is longer than %d bytes", u->dir,
                                CDREST__UPLOAD_PATH_MAX - 1);
        u->path[at] = '/';
        memcpy(u->path + at + 1, e->d_name, n + 1);
        rel = u->path + u->root_len;
        if (cdrest__upload_matches(u->exclude, rel)) continue;
        if (stat(u->path, &st) != 0)
            return cdrest__fail(&u->why, CDREST_E_FILE, "cannot read %s: %s", u->path, strerror(errno));
        if (S_ISDIR(st.st_mode)) {
            if (u->depth == CDREST_MAX_DIR_DEPTH)
                return cdrest__fail(&u->why, CDREST_E_FILE,
                                    "%.300s is nested more than %d directories deep (a link loop?)", u->path,
                                    CDREST_MAX_DIR_DEPTH);
            if (!(u->dirs[u->depth] = opendir(u->path)))
                return cdrest__fail(&u->why, CDREST_E_FILE, "cannot open the directory %s: %s", u->path,
                                    strerror(errno));
            u->dir_end[u->depth++] = at + 1 + n;
            continue;
        }
        if (u->include && !cdrest__upload_matches(u->include, rel)) continue;
        u->name = rel;
        return 1;
    }
}

/* The next file, checked: a regular file whose name can be sent. */
static int cdrest__upload_advance(cdrest__upload *u) {
    struct stat st;
    const char *why;
    int rc = u->dir ? cdrest__upload_next_in_tree(u) : cdrest__upload_next_listed(u);
    if (rc <= 0) return rc;
    if (stat(u->path, &st) != 0)
        return cdrest__fail(&u->why, CDREST_E_FILE, "cannot read %s: %s", u->path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return cdrest__fail(&u->why, CDREST_E_FILE, "%s is not a regular file (only regular files are published)",
                            u->path);
    if ((why = cdrest__upload_name_problem(u->name)) != NULL)
        return cdrest__fail(&u->why, CDREST_E_ARG, "cannot publish %s: its name %s", u->path, why);
    u->size = (uint64_t)st.st_size;
    u->count++;
    return 1;
}

/* The head of one part (RFC 7578): its boundary line and Content-Disposition, and for a
   file (filename not NULL) its name and type. Every form field and file starts here. */
static void cdrest__sb_part(cdrest__sb *b, const char *boundary, const char *name, const char *filename) {
    cdrest__sb_str(b, "--");
    cdrest__sb_str(b, boundary);
    cdrest__sb_str(b, "\r\nContent-Disposition: form-data; name=\"");
    cdrest__sb_str(b, name);
    if (filename) {
        cdrest__sb_str(b, "\"; filename=\"");
        cdrest__sb_str(b, filename);
        cdrest__sb_str(b, "\"\r\nContent-Type: application/octet-stream");
    } else {
        cdrest__sb_str(b, "\"");
    }
    cdrest__sb_str(b, "\r\n\r\n");
}

/* The current file's part header into u->part; 0 if it does not fit (it always does:
   names are shorter than the buffer's margin). */
static size_t cdrest__part_header(cdrest__upload *u) {
    char *part = u->part;
    size_t cap = sizeof u->part;
    cdrest__sb b;
    cdrest__sb_init(&b, NULL, &part, &cap, NULL);
    if (u->count > 1) cdrest__sb_str(&b, "\r\n"); /* ends the previous file's bytes */
    cdrest__sb_part(&b, u->boundary, u->field, u->name);
    return b.rc ? 0 : b.len;
}

/* Walk every file once: its checks, and the body's exact length. */
static int cdrest__upload_measure(cdrest__upload *u) {
    int rc;
    cdrest__upload_rewind(u);
    u->total = u->text_len + strlen(u->tail);
    while ((rc = cdrest__upload_advance(u)) > 0) {
        size_t h = cdrest__part_header(u);
        int i;
        if (!h) return cdrest__fail(&u->why, CDREST_E_TOOLARGE, "the part header for %s does not fit", u->path);
        for (i = 0; !u->dir && i < u->next - 1; i++)
            if (u->files[i] && !strcmp(cdrest__send_name(u->files[i]), u->name))
                return cdrest__fail(&u->why, CDREST_E_ARG, "%s and %s would both be published as %s", u->files[i],
                                    u->path, u->name);
        if (u->size > ((uint64_t)1 << 62) - u->total)
            return cdrest__fail(&u->why, CDREST_E_TOOLARGE, "the files add up to more than 2^62 bytes");
        u->total += h + u->size;
    }
    if (rc < 0) return rc;
    if (!u->count)
        return cdrest__fail(&u->why, CDREST_E_FILE, "no files to publish in %s", u->dir ? u->dir : "the list");
    return 0;
}

/* Open the current file for sending; it must still be a regular file (O_NONBLOCK: a
   FIFO put in its place fails the check instead of blocking the open). */
static int cdrest__upload_open(cdrest__upload *u) {
    struct stat st;
    int fd = open(u->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return cdrest__fail(&u->why, CDREST_E_FILE, "cannot open %s: %s", u->path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cdrest__fail(&u->why, CDREST_E_FILE, "%s is not a regular file (only regular files are published)",
                            u->path);
    }
    u->fd = fd;
    u->file_left = (uint64_t)st.st_size;
    return 0;
}

/* The body, in order: the form fields, then per file its part header and its bytes,
   then the closing boundary. Each call returns the next piece. A file that shrinks or
   grows while it is sent, or a tree that changed since it was measured, fails the
   upload rather than send a body that differs from its Content-Length. */
static long cdrest__upload_next(cdrest__upload *u, void *buf, size_t cap) {
    for (;;) {
        int rc;
        size_t h;
        if (u->text_pos < u->text_len) {
            size_t k = u->text_len - u->text_pos;
            if (k > cap) k = cap;
            memcpy(buf, u->text + u->text_pos, k);
            u->text_pos += k;
            return (long)k;
        }
        if (u->fd >= 0 && u->file_left) {
            size_t want = (uint64_t)cap > u->file_left ? (size_t)u->file_left : cap;
            ssize_t got = read(u->fd, buf, want > 1048576 ? 1048576 : want);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return cdrest__fail(&u->why, CDREST_E_FILE, "cannot read %s: %s", u->path, strerror(errno));
            if (got == 0) return cdrest__fail(&u->why, CDREST_E_FILE, "%s shrank while it was being sent", u->path);
            u->file_left -= (uint64_t)got;
            return (long)got;
        }
        if (u->fd >= 0) {
            char extra;
            ssize_t got = read(u->fd, &extra, 1);
            close(u->fd);
            u->fd = -1;
            if (got != 0) return cdrest__fail(&u->why, CDREST_E_FILE, "%s grew while it was being sent", u->path);
        }
        if (u->done) return 0;
        if ((rc = cdrest__upload_advance(u)) < 0) return rc;
        if (rc == 0) {
            u->done = 1;
            u->text = u->tail;
            u->text_len = strlen(u->tail);
            u->text_pos = 0;
            if (u->planned + u->text_len != u->total)
                return cdrest__fail(&u->why, CDREST_E_FILE, "the files changed while they were being sent");
            continue;
        }
        if ((rc = cdrest__upload_open(u)) != 0) return rc;
        if (!(h = cdrest__part_header(u)))
            return cdrest__fail(&u->why, CDREST_E_TOOLARGE, "the part header for %s does not fit", u->path);
        u->planned += h + u->file_left;
        if (u->planned + strlen(u->tail) > u->total)
            return cdrest__fail(&u->why, CDREST_E_FILE, "the files changed while they were being sent (%s)", u->path);
        u->text = u->part;
        u->text_len = h;
        u->text_pos = 0;
    }
}

static long cdrest__upload_read(void *ctx, void *buf, size_t cap) {
    cdrest__upload *u = (cdrest__upload *)ctx;
    long n = cdrest__upload_next(u, buf, cap);
    if (n > 0) {
        u->sent += (uint64_t)n;
        if (u->progress) u->progress(u->progress_ctx, u->sent, u->total);
    }
    return n;
}

/* The form fields before the files, in c->body. */
static int cdrest__upload_fields(cdrest_client *c, cdrest__upload *u, const char *artifact, const char *version,
                                 const char *repository) {
    const char *names[5] = { "artifactName", "artifactVersionVersion", "repositoryName", "compress",
                             "commanderSessionId" };
    const char *values[5];
    cdrest__sb b;
    int i;
    values[0] = artifact;
    values[1] = version;
    values[2] = repository;
    values[3] = "1";
    values[4] = c->session_id;
    cdrest__sb_init(&b, c, &c->body, &c->body_cap, "the request");
    for (i = 0; i < 5; i++) {
        if (cdrest__has_crlf_nul(values[i], strlen(values[i])))
            return cdrest__fail(&c->err, CDREST_E_ARG, "%s must not contain CR or LF", names[i]);
        cdrest__sb_part(&b, u->boundary, names[i], NULL);
        cdrest__sb_str(&b, values[i]);
        cdrest__sb_str(&b, "\r\n");
    }
    if (b.rc) return b.rc;
    u->text = c->body;
    u->text_len = b.len;
    return 0;
}

/* Where "needle" first occurs in s[0..n), or NULL. */
static const char *cdrest__find_text(const char *s, size_t n, const char *needle) {
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= n; i++)
        if (!memcmp(s + i, needle, k)) return s + i;
    return NULL;
}

/* A refused or unknown session, in the upload endpoint's words. */
static int cdrest__upload_session_refused(const cdrest_response *r) {
    return r->status == 401 || cdrest__find_text(r->body, r->body_len, "[SessionExpired]") ||
           cdrest__find_text(r->body, r->body_len, "[NoCredentials]");
}

/* The upload endpoint answers in text: exactly "Artifact-Published-OK" once the files are
   stored, and otherwise a message such as "publishArtifactAPI error [NoSuchRepository]:
   ..." (with HTTP 200 too). Anything but the confirmation is a failure. */
static int cdrest__upload_result(cdrest_client *c, const cdrest_response *r) {
    static const char ok[] = "Artifact-Published-OK";
    const char *s = r->body, *code;
    size_t n = r->body_len;
    cdrest_error *e = &c->err;
    while (n && (unsigned char)*s <= ' ') s++, n--;
    while (n && (unsigned char)s[n - 1] <= ' ') n--;
    e->http_status = r->status;
    if (r->status >= 200 && r->status <= 299 && n == sizeof ok - 1 && !memcmp(s, ok, n)) return 0;
    cdrest__excerpt(s, n, e->server_message, sizeof e->server_message);
    if ((code = cdrest__find_text(s, n, "error [")) != NULL) {
        const char *start = code + 7, *close = (const char *)memchr(start, ']', n - (size_t)(start - s));
        if (close) {
            size_t len = (size_t)(close - start);
            cdrest__copy(e->server_code, sizeof e->server_code, start,
                         len < sizeof e->server_code ? len : sizeof e->server_code - 1);
            /* a refused session is CDREST_E_AUTH, as for every REST call */
            return cdrest__fail(e, cdrest__upload_session_refused(r) ? CDREST_E_AUTH : CDREST_E_SERVER, "%.300s [%d]",
                                e->server_message, r->status);
        }
    }
    if (r->status < 200 || r->status > 299) return cdrest__cd_error(c, r);
    return cdrest__fail(e, CDREST_E_SERVER, "the server did not confirm the upload (HTTP %d): %.300s", r->status,
                        n ? e->server_message : "an empty answer");
}

/* Which upload endpoint the server has, found once per client as CloudBees' own plugin
   does: publishArtifact.php exists when a GET answers 200 or 400; else the older CGI. */
static int cdrest__publish_probe(cdrest_client *c) {
    cdrest_request req;
    cdrest_response r;
    cdrest_header h[2];
    cdrest__auth a;
    int rc;
    if (c->publish_endpoint) return 0;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = CDREST__PUBLISH_PHP;
    req.headers = h;
    req.nheaders = cdrest__auth_headers(c, CDREST__AUTH_UPLOAD, h, &a);
    rc = cdrest__http_request(c, &req, &r, 0);
    cdrest__auth_wipe(&a);
    if (rc) return rc;
    c->publish_endpoint = r.status == 200 || r.status == 400 ? 1 : 2;
    return 0;
}

/* One upload of everything in u, answer in *r. */
static int cdrest__publish_once(cdrest_client *c, cdrest__upload *u, const char *artifact, const char *version,
                                const char *repository, cdrest_response *r) {
    cdrest_request req;
    cdrest_header h[3];
    cdrest__auth a;
    char ctype[96];
    int rc;
    u->fd = -1;
    u->sent = 0;
    u->why.code = 0;
    if ((rc = cdrest__make_boundary(c, u->boundary, sizeof u->boundary)) != 0) return rc;
    snprintf(u->tail, sizeof u->tail, "\r\n--%s--\r\n", u->boundary);
    u->field = c->publish_endpoint == 2 ? "files" : "files[]";
    if ((rc = cdrest__upload_fields(c, u, artifact, version, repository)) != 0) return rc;
    rc = cdrest__upload_measure(u);
    cdrest__upload_rewind(u);
    if (rc) return cdrest__fail(&c->err, rc, "%s", u->why.msg);
    if (u->total > (uint64_t)(size_t)-1)
        return cdrest__fail(&c->err, CDREST_E_TOOLARGE, "the upload (%llu bytes) is too large for this platform",
                            (unsigned long long)u->total);
    u->text = c->body;
    u->text_pos = 0;
    u->planned = u->text_len;
    snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", u->boundary);
    h[0].name = "Content-Type";
    h[0].value = ctype;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.target = c->publish_endpoint == 2 ? CDREST__PUBLISH_CGI : CDREST__PUBLISH_PHP;
    req.headers = h;
    req.nheaders = 1 + cdrest__auth_headers(c, CDREST__AUTH_UPLOAD, h + 1, &a); /* publishing logged in first */
    req.body_len = (size_t)u->total;
    req.body_read = cdrest__upload_read;
    req.body_ctx = u;
    rc = cdrest__http_request(c, &req, r, 0);
    cdrest__auth_wipe(&a);
    cdrest__upload_rewind(u);
    if (u->why.code) return cdrest__fail(&c->err, u->why.code, "%s", u->why.msg);
    return rc;
}

/* Point the client at the web server (config.web_server) for the upload, or back at
   the CD server; each is its own origin, so the connection is closed in between. */
static void cdrest__use_web_server(cdrest_client *c, cdrest_url *saved, int on) {
    if (!c->has_web_url) return;
    cdrest_disconnect(c);
    if (on) {
        *saved = c->url;
        c->url = c->web_url;
    } else {
        c->url = *saved;
    }
}

/* Publish: a session first (the form carries it), the endpoint, then the upload; an
   expired or unknown session is renewed once, like every other call. */
static int cdrest__publish(cdrest_client *c, cdrest__upload *u, const char *artifact, const char *version,
                           const char *repository) {
    cdrest_url saved;
    int rc, attempt;
    if (!artifact || !strchr(artifact, ':') || !version || !*version)
        return cdrest__fail(&c->err, CDREST_E_ARG, "publishing needs groupId:artifactKey and a version");
    if (!repository) repository = "default";
    /* the files first: a local problem is reported before anything is sent */
    u->field = "files[]";
    u->text_len = 0;
    u->tail[0] = 0;
    rc = cdrest__upload_measure(u);
    cdrest__upload_rewind(u);
    if (rc) return cdrest__fail(&c->err, rc, "%s", u->why.msg);
    if (!c->session_id[0] && (rc = cdrest__login_at(c, 0)) != 0) return rc;
    for (attempt = 0;; attempt++) {
        cdrest_response r;
        cdrest__use_web_server(c, &saved, 1);
        rc = cdrest__publish_probe(c);
        if (rc == 0) rc = cdrest__publish_once(c, u, artifact, version, repository, &r);
        cdrest__use_web_server(c, &saved, 0);
        if (rc) return rc;
        if (attempt == 0 && !c->cfg.basic_auth && cdrest__has_credentials(c) && cdrest__upload_session_refused(&r)) {
            if ((rc = cdrest__login_at(c, 0)) != 0) return rc;
            continue;
        }
        return cdrest__upload_result(c, &r);
    }
}

CDRESTDEF int cdrest_publish_artifact_version(cdrest_client *c, const char *artifact_name, const char *version,
                                              const char *repository, const char *const *files, int nfiles,
                                              cdrest_progress_fn progress, void *progress_ctx) {
    cdrest__upload u;
    const char *in[3 + 64];
    int i, n, rc;
    if (!c) return CDREST_E_ARG;
    in[0] = artifact_name, in[1] = version, in[2] = repository;
    n = files && nfiles > 0 ? (nfiles < 64 ? nfiles : 64) : 0;
    for (i = 0; i < n; i++) in[3 + i] = files[i];
    if ((rc = cdrest__begin(c, in, 3 + n, NULL, 0)) != 0) return rc; /* inputs that point into the client */
    artifact_name = in[0], version = in[1], repository = in[2];
    if (!files || nfiles < 1)
        return cdrest__fail(&c->err, CDREST_E_ARG, "publishArtifactVersion needs at least one file");
    for (i = 64; i < nfiles; i++)
        if (cdrest__owned(c, files[i]))
            return cdrest__fail(&c->err, CDREST_E_ARG,
                                "with more than 64 files, no file name may point into the client");
    memset(&u, 0, sizeof u);
    u.fd = -1;
    u.files = nfiles <= 64 ? in + 3 : files;
    u.nfiles = nfiles;
    u.progress = progress;
    u.progress_ctx = progress_ctx;
    return cdrest__publish(c, &u, artifact_name, version, repository);
}

CDRESTDEF int cdrest_publish_artifact_dir(cdrest_client *c, const char *artifact_name, const char *version,
                                          const char *repository, const char *dir, const char *const *include,
                                          const char *const *exclude, cdrest_progress_fn progress, void *progress_ctx) {
    cdrest__upload u;
    const char *in[4];
    const char *const *list;
    int rc;
    if (!c) return CDREST_E_ARG;
    in[0] = artifact_name, in[1] = version, in[2] = repository, in[3] = dir;
    if ((rc = cdrest__begin(c, in, 4, NULL, 0)) != 0) return rc; /* inputs that point into the client */
    artifact_name = in[0], version = in[1], repository = in[2], dir = in[3];
    for (list = include; list && *list; list++)
        if (cdrest__owned(c, *list)) return cdrest__fail(&c->err, CDREST_E_ARG, "a pattern points into the client");
    for (list = exclude; list && *list; list++)
        if (cdrest__owned(c, *list)) return cdrest__fail(&c->err, CDREST_E_ARG, "a pattern points into the client");
    if (!dir || !*dir || strlen(dir) >= sizeof u.path - 2)
        return cdrest__fail(&c->err, CDREST_E_ARG, "publishing a directory needs its path (shorter than %d bytes)",
                            CDREST__UPLOAD_PATH_MAX - 2);
    memset(&u, 0, sizeof u);
    u.fd = -1;
    u.dir = dir;
    u.include = include;
    u.exclude = exclude;
    u.progress = progress;
    u.progress_ctx = progress_ctx;
    return cdrest__publish(c, &u, artifact_name, version, repository);
}

#else /* CDREST_NO_FILES: no files to stream */
CDRESTDEF int cdrest_publish_artifact_version(cdrest_client *c, const char *artifact_name, const char *version,
                                              const char *repository, const char *const *files, int nfiles,
                                              cdrest_progress_fn progress, void *progress_ctx) {
    (void)artifact_name;
    (void)version;
    (void)repository;
    (void)files;
    (void)nfiles;
    (void)progress;
    (void)progress_ctx;
    if (!c) return CDREST_E_ARG;
    return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED,
                        "publishing files needs file access (built with CDREST_NO_FILES)");
}
CDRESTDEF int cdrest_publish_artifact_dir(cdrest_client *c, const char *artifact_name, const char *version,
                                          const char *repository, const char *dir, const char *const *include,
                                          const char *const *exclude, cdrest_progress_fn progress, void *progress_ctx) {
    (void)artifact_name;
    (void)version;
    (void)repository;
    (void)dir;
    (void)include;
    (void)exclude;
    (void)progress;
    (void)progress_ctx;
    if (!c) return CDREST_E_ARG;
    return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED,
                        "publishing files needs file access (built with CDREST_NO_FILES)");
}
#endif

#ifndef CDREST_NO_EXTRAS
CDRESTDEF int cdrest_publish_artifact_version_ex(cdrest_client *c, const char *artifact_name, const char *version,
                                                 const char *repository, const char *const *files, int nfiles,
                                                 const cdrest_transfer *t) {
    cdrest__xfer x;
    const char *in[3 + 64];
    int saved, rc, i;
    if (!c) return CDREST_E_ARG;
    in[0] = artifact_name, in[1] = version, in[2] = repository; /* before the error is cleared */
    for (i = 0; files && i < nfiles && i < 64; i++) in[3 + i] = files[i];
    if ((rc = cdrest__begin(c, in, 3 + i, NULL, 0)) != 0) return rc;
    artifact_name = in[0], version = in[1], repository = in[2];
    if (files) files = in + 3;
    if ((rc = cdrest__xfer_begin(c, t, &saved)) != 0) return cdrest__xfer_end(c, saved, rc);
    memset(&x, 0, sizeof x);
    x.c = c;
    x.t = t;
    rc = cdrest_publish_artifact_version(c, artifact_name, version, repository, files, nfiles,
                                         t && t->progress ? cdrest__xfer_upload_progress : NULL, &x);
    return cdrest__xfer_end(c, saved, rc);
}

CDRESTDEF int cdrest_publish_artifact_dir_ex(cdrest_client *c, const char *artifact_name, const char *version,
                                             const char *repository, const char *dir, const char *const *include,
                                             const char *const *exclude, const cdrest_transfer *t) {
    cdrest__xfer x;
    int saved, rc;
    if (!c) return CDREST_E_ARG;
    /* the inputs are checked against the client by cdrest_publish_artifact_dir before it clears anything */
    if ((rc = cdrest__xfer_begin(c, t, &saved)) != 0) return cdrest__xfer_end(c, saved, rc);
    memset(&x, 0, sizeof x);
    x.c = c;
    x.t = t;
    rc = cdrest_publish_artifact_dir(c, artifact_name, version, repository, dir, include, exclude,
                                     t && t->progress ? cdrest__xfer_upload_progress : NULL, &x);
    return cdrest__xfer_end(c, saved, rc);
}
#endif /* CDREST_NO_EXTRAS */

/* --- jobs ---------------------------------------------------------------------------- */

/* A string field at `key` or at `obj.key` (servers nest it differently), whole or not at
   all: an id cut short would name another job. "" when absent. */
static int cdrest__find_copy(cdrest_client *c, const cdrest_doc *d, const char *key, const char *nested, char *dst,
                             size_t cap) {
    cdrest_json_tok t;
    dst[0] = 0;
    if (!cdrest__doc_field(d, key, &t) && !cdrest__doc_field(d, nested, &t)) return 0;
    /* text; an id may also come as a number; null or an object is an error, not "null" */
    return cdrest__field_text(c, d->json, &t, !strcmp(key, "jobId"), key, dst, cap, NULL);
}

CDRESTDEF int cdrest_run_procedure(cdrest_client *c, const char *project, const char *procedure,
                                   const cdrest_param *actual, char *job_id, size_t job_id_cap) {
    static const cdrest_param none[1] = { { NULL, NULL } };
    cdrest_doc d;
    const char *in[2];
    int rc;
    if (!c) return CDREST_E_ARG;
    in[0] = project, in[1] = procedure;
    if ((rc = cdrest__begin(c, in, 2, &actual, 1)) != 0) return rc;
    project = in[0], procedure = in[1];
    if (!project || !*project || !procedure || !*procedure || !job_id || job_id_cap < 2)
        return cdrest__fail(&c->err, CDREST_E_ARG, "runProcedure needs a project, a procedure and room for the job id");
    const cdrest_param f[] = { { "projectName", project }, { "procedureName", procedure }, { NULL, NULL } };
    job_id[0] = 0;
    if ((rc = cdrest__create_call(c, "/jobs?request=runProcedure", f, NULL, actual ? actual : none, &d, "")) != 0)
        return rc;
    if ((rc = cdrest__find_copy(c, &d, "jobId", "job.jobId", job_id, job_id_cap)) != 0) return rc;
    if (!job_id[0]) return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the runProcedure answer holds no jobId");
    return 0;
}

#ifndef CDREST_NO_EXTRAS
/* runProcedure's body: the names, the options, then the actual parameters and credentials. */
static int cdrest__run_body(cdrest_client *c, const cdrest_param *names, const cdrest_param *actual,
                            const cdrest_run_options *o, size_t *len) {
    for (;;) {
        cdrest_json_writer w;
        int rc, i;
        cdrest_jw_init(&w, c->body, c->body ? c->body_cap : 0);
        cdrest_jw_object_begin(&w);
        cdrest__jw_params(&w, names);
        cdrest__jw_params(&w, o->extra);
        if (actual) cdrest__jw_param_list(&w, "actualParameter", "actualParameterName", actual);
        if (o->ncredentials > 0) {
            cdrest_jw_key(&w, "credential");
            cdrest_jw_array_begin(&w);
            for (i = 0; i < o->ncredentials; i++) {
                const cdrest_credential *k = &o->credentials[i];
                const cdrest_param f[] = {
                    { "credentialName", k->name }, { "userName", k->user }, { "password", k->password }, { NULL, NULL }
                };
                cdrest_jw_object_begin(&w);
                cdrest__jw_params(&w, f);
                cdrest_jw_object_end(&w);
            }
            cdrest_jw_array_end(&w);
        }
        cdrest_jw_object_end(&w);
        if ((rc = cdrest_jw_finish(&w)) == 0) {
            *len = w.len;
            return 0;
        }
        if (rc != CDREST_E_TOOLARGE) return cdrest__valid_utf8_error(c, rc);
        if ((rc = cdrest__grow(c, &c->body, &c->body_cap, w.len + 1, c->fixed_send, "the request body")) != 0)
            return rc;
    }
}

CDRESTDEF int cdrest_run_procedure_ex(cdrest_client *c, const char *project, const char *procedure,
                                      const cdrest_param *actual, const cdrest_run_options *opt, char *job_id,
                                      size_t job_id_cap) {
    static const cdrest_run_options none_set = { NULL, NULL, NULL, NULL, NULL, 0, NULL };
    const cdrest_run_options *o = opt ? opt : &none_set;
    cdrest_run_options oc;
    const char *in[6];
    const cdrest_param *lists[2];
    cdrest__sb b;
    cdrest_doc d;
    size_t len = 0;
    int rc, i;
    if (!c) return CDREST_E_ARG;
    oc = *o; /* its strings may be results too (the credentials are the caller's own) */
    in[0] = project, in[1] = procedure, in[2] = oc.priority, in[3] = oc.destination_project;
    in[4] = oc.schedule_name, in[5] = oc.credential_name;
    lists[0] = actual, lists[1] = oc.extra;
    if ((rc = cdrest__begin(c, in, 6, lists, 2)) != 0) return rc;
    project = in[0], procedure = in[1], oc.priority = in[2], oc.destination_project = in[3];
    oc.schedule_name = in[4], oc.credential_name = in[5], actual = lists[0], oc.extra = lists[1];
    o = &oc;
    if (!project || !*project || ((!procedure || !*procedure) && !o->schedule_name) || !job_id || job_id_cap < 2)
        return cdrest__fail(&c->err, CDREST_E_ARG,
                            "runProcedure needs a project, a procedure (or a schedule) and room for the job id");
    if (o->ncredentials < 0 || (o->ncredentials && !o->credentials))
        return cdrest__fail(&c->err, CDREST_E_ARG, "runProcedure: ncredentials without credentials");
    for (i = 0; i < o->ncredentials; i++)
        if (!o->credentials[i].name || !*o->credentials[i].name)
            return cdrest__fail(&c->err, CDREST_E_ARG, "runProcedure: credential %d has no name", i);
    const cdrest_param names[] = { { "projectName", project },
                                   { "procedureName", procedure && *procedure ? procedure : NULL },
                                   { "priority", o->priority },
                                   { "destinationProject", o->destination_project },
                                   { "scheduleName", o->schedule_name },
                                   { "credentialName", o->credential_name },
                                   { NULL, NULL } };
    job_id[0] = 0;
    b = cdrest__target(c, "/jobs?request=runProcedure", NULL, 0);
    if ((rc = b.rc) != 0 || (rc = cdrest__run_body(c, names, actual, o, &len)) != 0) return rc;
    if ((rc = cdrest__cd_call(c, "POST", 1, len, &d, "")) != 0) return rc;
    if ((rc = cdrest__find_copy(c, &d, "jobId", "job.jobId", job_id, job_id_cap)) != 0) return rc;
    if (!job_id[0]) return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the runProcedure answer holds no jobId");
    return 0;
}
#endif /* CDREST_NO_EXTRAS */

CDRESTDEF int cdrest_get_job_status(cdrest_client *c, const char *job_id, cdrest_job_status *st) {
    cdrest__sb b;
    cdrest_doc d;
    int rc;
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &job_id, 1, NULL, 0)) != 0) return rc;
    if (!job_id || !*job_id || !st) return cdrest__fail(&c->err, CDREST_E_ARG, "getJobStatus needs a job id");
    b = cdrest__target(c, "/jobs/", job_id, CDREST_PCT_SEGMENT);
    cdrest__sb_str(&b, "?request=getJobStatus");
    if ((rc = b.rc) != 0 || (rc = cdrest__cd_call(c, "GET", 0, 0, &d, "")) != 0) return rc;
    memset(st, 0, sizeof *st);
    if ((rc = cdrest__find_copy(c, &d, "jobId", "job.jobId", st->job_id, sizeof st->job_id)) != 0 ||
        (rc = cdrest__find_copy(c, &d, "status", "job.status", st->status, sizeof st->status)) != 0 ||
        (rc = cdrest__find_copy(c, &d, "outcome", "job.outcome", st->outcome, sizeof st->outcome)) != 0)
        return rc;
    if (!st->status[0]) return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the getJobStatus answer holds no status");
    if (!st->job_id[0])
        cdrest__copy(st->job_id, sizeof st->job_id, job_id, strlen(job_id) < sizeof st->job_id ? strlen(job_id) : 0);
    return 0;
}

/* With request=getJobDetails named: GET /jobs/<id> alone may map to another API. */
CDRESTDEF int cdrest_get_job_details(cdrest_client *c, const char *job_id, cdrest_doc *out) {
    cdrest__sb b;
    int rc;
    if (!c) return CDREST_E_ARG;
    cdrest__error_clear(&c->err);
    if (!job_id || !*job_id) return cdrest__fail(&c->err, CDREST_E_ARG, "getJobDetails needs a job id");
    b = cdrest__target(c, "/jobs/", job_id, CDREST_PCT_SEGMENT);
    cdrest__sb_str(&b, "?request=getJobDetails");
    if ((rc = b.rc) != 0) return rc;
    return cdrest__cd_call(c, "GET", 0, 0, out, "job");
}

/* A wait on a job (job set) or on a pipeline run (run set): the one polling loop both
   share, with the caller's progress callback of the matching type. */
typedef struct cdrest__wait {
    const char *what, *id; /* "job" or "pipeline run", and its id */
    cdrest_job_status *job;
    cdrest_job_progress_fn job_progress;
    cdrest_pipeline_status *run;
    cdrest_pipeline_progress_fn run_progress;
    void *ctx;
} cdrest__wait;

static int cdrest__wait_done(const cdrest__wait *w) {
    return w->job ? !strcmp(w->job->status, "completed") : w->run->completed;
}

static void cdrest__wait_report(const cdrest__wait *w, int64_t elapsed_ms) {
    if (w->job && w->job_progress) w->job_progress(w->ctx, w->job, elapsed_ms);
    if (w->run && w->run_progress) w->run_progress(w->ctx, w->run, elapsed_ms);
}

/* One status poll, within timeout_ms and never past the wait's own end. A poll cut short
   by the wait's end is that end passing: CDREST_E_DEADLINE. */
static int cdrest__wait_poll(cdrest_client *c, const cdrest__wait *w, int64_t start, int64_t deadline_ms) {
    int64_t end = start + deadline_ms, now = cdrest__now_ms(c);
    int rc;
    c->deadline = now + c->cfg.timeout_ms;
    if (deadline_ms > 0 && end < c->deadline) c->deadline = end;
    c->has_deadline = 1;
    rc = w->job ? cdrest_get_job_status(c, w->id, w->job) : cdrest_get_pipeline_status(c, w->id, w->run);
    c->has_deadline = 0;
    now = cdrest__now_ms(c);
    if (rc == CDREST_E_TIMEOUT && deadline_ms > 0 && now >= end)
        return cdrest__fail(&c->err, CDREST_E_DEADLINE,
                            "%s %s not completed after %ld ms (a status request was still "
                            "waiting for its answer)",
                            w->what, w->id, (long)(now - start));
    return rc;
}

static int cdrest__wait_loop(cdrest_client *c, const cdrest__wait *w, int interval_ms, int64_t deadline_ms) {
    int64_t start, now, left;
    int rc, last = 0;
    if (interval_ms <= 0) interval_ms = 5000;
    if (interval_ms < 100) interval_ms = 100;
    start = cdrest__now_ms(c);
    for (;;) {
        if ((rc = cdrest__wait_poll(c, w, start, deadline_ms)) != 0) return rc;
        now = cdrest__now_ms(c);
        cdrest__wait_report(w, now - start);
        if (cdrest__wait_done(w)) return 0;
        left = start + deadline_ms - now;
        if (deadline_ms > 0 && (last || left <= 0))
            return cdrest__fail(&c->err, CDREST_E_DEADLINE, "%s %s not completed after %ld ms (status %s)", w->what,
                                w->id, (long)(now - start), w->job ? w->job->status : w->run->status);
        if (deadline_ms > 0 && left <= interval_ms) {
            /* one last poll, as late as leaves it time to be answered before the end (half
               of what is left, at most 250 ms): a run done by then is seen done */
            cdrest__sleep_ms(c, (int)(left - (left / 2 < 250 ? left / 2 : 250)));
            last = 1;
            continue;
        }
        cdrest__sleep_ms(c, interval_ms);
    }
}

CDRESTDEF int cdrest_wait_for_job(cdrest_client *c, const char *job_id, int interval_ms, int64_t deadline_ms,
                                  cdrest_job_progress_fn progress, void *progress_ctx, cdrest_job_status *st) {
    int rc;
    if (!c || !st) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &job_id, 1, NULL, 0)) != 0) return rc;
    const cdrest__wait w = { "job", job_id, st, progress, NULL, NULL, progress_ctx };
    return cdrest__wait_loop(c, &w, interval_ms, deadline_ms);
}

/* --- more calls: DSL, pipelines and releases, processes, findObjects, job steps ------- */

/* A JSON body written by fn into c->body (grown as needed). */
typedef void (*cdrest__body_fn)(cdrest_json_writer *w, const void *arg);
static int cdrest__json_body(cdrest_client *c, cdrest__body_fn fn, const void *arg, size_t *len) {
    for (;;) {
        cdrest_json_writer w;
        int rc;
        cdrest_jw_init(&w, c->body, c->body ? c->body_cap : 0);
        fn(&w, arg);
        rc = cdrest_jw_finish(&w);
        if (rc == 0) {
            *len = w.len;
            return 0;
        }
        if (rc != CDREST_E_TOOLARGE) return cdrest__valid_utf8_error(c, rc);
        if ((rc = cdrest__grow(c, &c->body, &c->body_cap, w.len + 1, c->fixed_send, "the request body")) != 0)
            return rc;
    }
}

/* METHOD /rest/v1.0<target_prefix><encoded name><suffix> with a body from fn. */
static int cdrest__body_call(cdrest_client *c, const char *method, const char *prefix, const char *name,
                             const char *suffix, cdrest__body_fn fn, const void *arg, cdrest_doc *out,
                             const char *expect) {
    cdrest__sb b = cdrest__target(c, prefix, name, CDREST_PCT_SEGMENT);
    size_t len = 0;
    int rc;
    if (suffix) cdrest__sb_str(&b, suffix);
    if ((rc = b.rc) != 0) return rc;
    if (fn && (rc = cdrest__json_body(c, fn, arg, &len)) != 0) return rc;
    return cdrest__cd_call(c, method, fn != NULL, len, out, expect);
}

static int cdrest__valid_json(const char *s) {
    cdrest_json_parser p;
    cdrest_json_init(&p);
    return cdrest_json_parse(&p, s, strlen(s), NULL, 0) >= 0;
}

typedef struct cdrest__dsl_args {
    const char *dsl, *parameters;
} cdrest__dsl_args;

static void cdrest__write_dsl(cdrest_json_writer *w, const void *arg) {
    const cdrest__dsl_args *a = (const cdrest__dsl_args *)arg;
    cdrest_jw_object_begin(w);
    cdrest_jw_key(w, "dsl");
    cdrest_jw_string(w, a->dsl);
    cdrest_jw_key(w, "format");
    cdrest_jw_string(w, "groovy");
    if (a->parameters) { /* a JSON object, sent as a string (as CloudBees' eval-dsl action does) */
        cdrest_jw_key(w, "parameters");
        cdrest_jw_string(w, a->parameters);
    }
    cdrest_jw_object_end(w);
}

CDRESTDEF int cdrest_eval_dsl(cdrest_client *c, const char *dsl, const char *parameters_json, cdrest_doc *out) {
    cdrest__dsl_args a;
    const char *in[2];
    int rc;
    if (!c) return CDREST_E_ARG;
    in[0] = dsl, in[1] = parameters_json;
    if ((rc = cdrest__begin(c, in, 2, NULL, 0)) != 0) return rc;
    dsl = in[0], parameters_json = in[1];
    if (!dsl || !*dsl) return cdrest__fail(&c->err, CDREST_E_ARG, "evalDsl needs a DSL script");
    if (parameters_json &&
        (!cdrest__valid_json(parameters_json) || parameters_json[strspn(parameters_json, " \t\r\n")] != '{'))
        return cdrest__fail(&c->err, CDREST_E_ARG, "evalDsl: the parameters must be a JSON object");
    a.dsl = dsl;
    a.parameters = parameters_json;
    return cdrest__body_call(c, "POST", "/server/dsl", NULL, NULL, cdrest__write_dsl, &a, out, "");
}

/* runPipeline and runRelease share a body: the project, the name, a parameter list and
   the stages to run (or the stage to start from). */
typedef struct cdrest__run_args {
    const char *project, *name_key, *name;
    const cdrest_param *params;
    const char *list_key, *param_key;
    const char *const *stages;
    const char *starting_stage;
    int stages_with_start; /* send stagesToRun with startingStage (a pipeline's run) */
} cdrest__run_args;

static void cdrest__write_run(cdrest_json_writer *w, const void *arg) {
    const cdrest__run_args *a = (const cdrest__run_args *)arg;
    const char *const *s;
    cdrest_jw_object_begin(w);
    cdrest_jw_key(w, "projectName");
    cdrest_jw_string(w, a->project);
    cdrest_jw_key(w, a->name_key);
    cdrest_jw_string(w, a->name);
    if (a->params) cdrest__jw_param_list(w, a->list_key, a->param_key, a->params);
    if (a->starting_stage) {
        cdrest_jw_key(w, "startingStage");
        cdrest_jw_string(w, a->starting_stage);
    }
    if (a->stages && (!a->starting_stage || a->stages_with_start)) {
        cdrest_jw_key(w, "stagesToRun");
        cdrest_jw_array_begin(w);
        for (s = a->stages; *s; s++) cdrest_jw_string(w, *s);
        cdrest_jw_array_end(w);
    }
    cdrest_jw_object_end(w);
}

/* POST the run to prefix once the caller's strings are safe to use (cdrest__begin);
   runtime_id gets the run's flowRuntimeId. */
static int cdrest__run_flow(cdrest_client *c, const char *prefix, cdrest__run_args *a, char *runtime_id, size_t cap) {
    const char *in[3];
    cdrest_doc d;
    int rc;
    if (!c) return CDREST_E_ARG;
    in[0] = a->project, in[1] = a->name, in[2] = a->starting_stage;
    if ((rc = cdrest__begin(c, in, 3, &a->params, 1)) != 0) return rc;
    a->project = in[0], a->name = in[1], a->starting_stage = in[2];
    if (!a->project || !*a->project || !a->name || !*a->name || !runtime_id || cap < 2)
        return cdrest__fail(&c->err, CDREST_E_ARG, "a project, a name and room for the flow runtime id are required");
    runtime_id[0] = 0;
    if ((rc = cdrest__body_call(c, "POST", prefix, NULL, NULL, cdrest__write_run, a, &d, "flowRuntime")) != 0)
        return rc;
    if ((rc = cdrest__find_copy(c, &d, "flowRuntime.flowRuntimeId", "flowRuntimeId", runtime_id, cap)) != 0) return rc;
    if (!runtime_id[0])
        return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the answer holds no flowRuntime.flowRuntimeId");
    return 0;
}

CDRESTDEF int cdrest_run_pipeline(cdrest_client *c, const char *project, const char *pipeline,
                                  const cdrest_param *actual, const char *const *stages, char *runtime_id, size_t cap) {
    return cdrest_run_pipeline_ex(c, project, pipeline, actual, stages, NULL, runtime_id, cap);
}

CDRESTDEF int cdrest_run_pipeline_ex(cdrest_client *c, const char *project, const char *pipeline,
                                     const cdrest_param *actual, const char *const *stages, const char *starting_stage,
                                     char *runtime_id, size_t cap) {
    cdrest__run_args a = { project, "pipelineName", pipeline, actual, "actualParameter", "actualParameterName",
                           stages,  starting_stage, 1 /* stagesToRun with startingStage */ };
    return cdrest__run_flow(c, "/pipelines", &a, runtime_id, cap);
}

CDRESTDEF int cdrest_run_release(cdrest_client *c, const char *project, const char *release, const cdrest_param *params,
                                 const char *const *stages, const char *starting_stage, char *runtime_id, size_t cap) {
    cdrest__run_args a = { project, "releaseName",  release, params, "pipelineParameter", "pipelineParameterName",
                           stages,  starting_stage, 0 /* startingStage instead of stagesToRun */ };
    return cdrest__run_flow(c, "/releases", &a, runtime_id, cap);
}

static void cdrest__write_runtime_ids(cdrest_json_writer *w, const void *arg) {
    cdrest_jw_object_begin(w);
    cdrest_jw_key(w, "flowRuntimeId");
    cdrest_jw_array_begin(w);
    cdrest_jw_string(w, (const char *)arg);
    cdrest_jw_array_end(w);
    cdrest_jw_object_end(w);
}

/* A boolean the server may write as true/false, 1/0 or "1"/"0"/"true"/"false". */
static int cdrest__json_truthy(const cdrest_doc *d, int i) {
    const char *s;
    size_t n;
    if (i < 0) return 0;
    s = d->json + d->toks[i].start;
    n = (size_t)(d->toks[i].end - d->toks[i].start);
    return (n == 4 && !memcmp(s, "true", 4)) || (n == 1 && s[0] == '1');
}

CDRESTDEF int cdrest_get_pipeline_status(cdrest_client *c, const char *runtime_id, cdrest_pipeline_status *st) {
    cdrest_doc d;
    int rc;
    if (!c) return CDREST_E_ARG;
    if ((rc = cdrest__begin(c, &runtime_id, 1, NULL, 0)) != 0) return rc;
    if (!runtime_id || !*runtime_id || !st)
        return cdrest__fail(&c->err, CDREST_E_ARG, "getPipelineRuntimeDetails needs a flow runtime id");
    if ((rc = cdrest__body_call(c, "PUT", "/pipelineRuntimeDetails?request=getPipelineRuntimeDetails", NULL, NULL,
                                cdrest__write_runtime_ids, runtime_id, &d, "flowRuntime[]")) != 0)
        return rc;
    memset(st, 0, sizeof *st);
    if ((rc = cdrest__find_copy(c, &d, "flowRuntime[0].flowRuntimeId", "flowRuntime.flowRuntimeId", st->runtime_id,
                                sizeof st->runtime_id)) != 0 ||
        (rc = cdrest__find_copy(c, &d, "flowRuntime[0].status", "flowRuntime.status", st->status, sizeof st->status)) !=
            0)
        return rc;
    if (st->runtime_id[0] && strcmp(st->runtime_id, runtime_id) != 0) /* another run's status is not this one's */
        return cdrest__fail(&c->err, CDREST_E_PROTOCOL,
                            "the getPipelineRuntimeDetails answer is about run %.64s, not %.64s", st->runtime_id,
                            runtime_id);
    {
        int i = cdrest_json_find(d.json, d.toks, d.ntoks, 0, "flowRuntime[0].completed");
        if (i < 0) i = cdrest_json_find(d.json, d.toks, d.ntoks, 0, "flowRuntime.completed");
        st->completed = cdrest__json_truthy(&d, i);
    }
    if (!st->status[0])
        return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the getPipelineRuntimeDetails answer holds no status");
    if (!st->runtime_id[0])
        cdrest__copy(st->runtime_id, sizeof st->runtime_id, runtime_id,
                     strlen(runtime_id) < sizeof st->runtime_id ? strlen(runtime_id) : 0);
    return 0;
}

CDRESTDEF int cdrest_wait_for_pipeline(cdrest_client *c, const char *runtime_id, int interval_ms, int64_t max_wait_ms,
                                       cdrest_pipeline_progress_fn progress, void *progress_ctx,
                                       cdrest_pipeline_status *st) {
    char id[256]; /* the id may be a result in the client's buffers, which each poll reuses */
    const cdrest__wait w = { "pipeline run", id, NULL, NULL, st, progress, progress_ctx };
    if (!c || !st) return CDREST_E_ARG;
    if (!runtime_id || cdrest__copy(id, sizeof id, runtime_id, strlen(runtime_id)) != 0)
        return cdrest__fail(&c->err, CDREST_E_ARG, "waitForPipeline needs a flow runtime id (shorter than 256 bytes)");
    return cdrest__wait_loop(c, &w, interval_ms, max_wait_ms);
}

CDRESTDEF int cdrest_run_process(cdrest_client *c, const char *project, const char *application, const char *process,
                                 const char *environment, const cdrest_param *actual, char *job_id, size_t job_id_cap) {
    static const cdrest_param none[1] = { { NULL, NULL } };
    const cdrest_param f[] = { { "projectName", project },
                               { "applicationName", application },
                               { "processName", process },
                               { "environmentName", environment },
                               { NULL, NULL } };
    cdrest_doc d;
    int rc;
    if (!c) return CDREST_E_ARG;
    cdrest__error_clear(&c->err);
    if (!project || !*project || !application || !*application || !process || !*process || !environment ||
        !*environment || !job_id || job_id_cap < 2)
        return cdrest__fail(
            &c->err, CDREST_E_ARG,
            "runProcess needs a project, an application, a process, an environment and room for the job id");
    job_id[0] = 0;
    if ((rc = cdrest__create_call(c, "/jobs?request=runProcess", f, NULL, actual ? actual : none, &d, "")) != 0)
        return rc;
    if ((rc = cdrest__find_copy(c, &d, "jobId", "job.jobId", job_id, job_id_cap)) != 0) return rc;
    if (!job_id[0]) return cdrest__fail(&c->err, CDREST_E_PROTOCOL, "the runProcess answer holds no jobId");
    return 0;
}

CDRESTDEF int cdrest_abort_job(cdrest_client *c, const char *job_id, int force, cdrest_doc *out) {
    if (!c) return CDREST_E_ARG;
    cdrest__error_clear(&c->err);
    if (!job_id || !*job_id) return cdrest__fail(&c->err, CDREST_E_ARG, "abortJob needs a job id");
    return cdrest__body_call(c, "PUT", "/jobs/", job_id, force ? "?request=abortJob&force=1" : "?request=abortJob",
                             NULL, NULL, out, "");
}

CDRESTDEF int cdrest_get_job_step_details(cdrest_client *c, const char *job_step_id, cdrest_doc *out) {
    if (!c) return CDREST_E_ARG;
    cdrest__error_clear(&c->err);
    if (!job_step_id || !*job_step_id) job_step_id = c->env_job_step_id;
    if (!*job_step_id) return cdrest__fail(&c->err, CDREST_E_ARG, "getJobStepDetails needs a job step id");
    return cdrest__body_call(c, "GET", "/jobSteps/", job_step_id, "?request=getJobStepDetails", NULL, NULL, out,
                             "jobStep");
}

CDRESTDEF int cdrest_get_full_credential(cdrest_client *c, const char *credential_name, const char *job_step_id,
                                         cdrest_doc *out) {
    cdrest__sb b;
    int rc;
    if (!c) return CDREST_E_ARG;
    cdrest__error_clear(&c->err);
    if (!job_step_id || !*job_step_id) job_step_id = c->env_job_step_id;
    if (!*job_step_id || !credential_name || !*credential_name)
        return cdrest__fail(&c->err, CDREST_E_ARG,
                            "getFullCredential needs a credential name and a job step (COMMANDER_JOBSTEPID)");
    if ((rc = cdrest__check_name(c, credential_name)) != 0) return rc;
    b = cdrest__target(c, "/jobSteps/", job_step_id, CDREST_PCT_SEGMENT);
    cdrest__sb_str(&b, "/credentialPaths/");
    /* a path (/projects/P/credentials/C) keeps its slashes, as a property path does */
    cdrest__sb_pct(&b, credential_name, credential_name[0] == '/' ? CDREST_PCT_PATH : CDREST_PCT_SEGMENT);
    if ((rc = b.rc) != 0) return rc;
    return cdrest__cd_call(c, "GET", 0, 0, out, "credential");
}

typedef struct cdrest__find_args {
    const char *type, *filter, *sort;
    int max_ids;
} cdrest__find_args;

static void cdrest__write_find(cdrest_json_writer *w, const void *arg) {
    const cdrest__find_args *a = (const cdrest__find_args *)arg;
    cdrest_jw_object_begin(w);
    cdrest_jw_key(w, "objectType");
    cdrest_jw_string(w, a->type);
    if (a->filter) {
        cdrest_jw_key(w, "filter");
        cdrest_jw_raw(w, a->filter, strlen(a->filter));
    }
    if (a->sort) {
        cdrest_jw_key(w, "sort");
        cdrest_jw_raw(w, a->sort, strlen(a->sort));
    }
    if (a->max_ids > 0) {
        cdrest_jw_key(w, "maxIds");
        cdrest_jw_int64(w, a->max_ids);
    }
    cdrest_jw_object_end(w);
}

CDRESTDEF int cdrest_find_objects(cdrest_client *c, const char *object_type, const char *filter_json,
                                  const char *sort_json, int max_ids, cdrest_doc *out) {
    cdrest__find_args a;
    if (!c) return CDREST_E_ARG;
    cdrest__error_clear(&c->err);
    if (!object_type || !*object_type) return cdrest__fail(&c->err, CDREST_E_ARG, "findObjects needs an object type");
    if ((filter_json && !cdrest__valid_json(filter_json)) || (sort_json && !cdrest__valid_json(sort_json)))
        return cdrest__fail(&c->err, CDREST_E_ARG, "findObjects: the filter and sort must be JSON");
    a.type = object_type;
    a.filter = filter_json;
    a.sort = sort_json;
    a.max_ids = max_ids;
    return cdrest__body_call(c, "PUT", "/objects?request=findObjects", NULL, NULL, cdrest__write_find, &a, out, "");
}

#ifndef CDREST_NO_EXTRAS
/* The caller's cancelling callback behind cdrest_wait_for_job's progress. */
typedef struct cdrest__wait_cancel {
    cdrest_client *c;
    cdrest_job_wait_fn fn;
    void *ctx;
} cdrest__wait_cancel;

static void cdrest__wait_progress(void *ctx, const cdrest_job_status *st, int64_t elapsed_ms) {
    cdrest__wait_cancel *w = (cdrest__wait_cancel *)ctx;
    if (w->fn && !w->c->canceled && w->fn(w->ctx, st, elapsed_ms) != 0) w->c->canceled = 1;
}

CDRESTDEF int cdrest_wait_for_job_ex(cdrest_client *c, const char *job_id, int interval_ms, int64_t max_wait_ms,
                                     cdrest_job_wait_fn progress, void *progress_ctx, cdrest_job_status *st) {
    cdrest__wait_cancel w;
    int saved, rc;
    if (!c) return CDREST_E_ARG;
    w.c = c;
    w.fn = progress;
    w.ctx = progress_ctx;
    cdrest__xfer_begin(c, NULL, &saved);
    /* Once canceled, the next status request fails before any I/O and the sleep is skipped. */
    rc = cdrest_wait_for_job(c, job_id, interval_ms, max_wait_ms, cdrest__wait_progress, &w, st);
    return cdrest__xfer_end(c, saved, rc);
}
#endif /* CDREST_NO_EXTRAS */

/* --- from the environment of a job step ------------------------------------------------ */

#ifndef CDREST_NO_ENV
CDRESTDEF int cdrest_init_from_env(cdrest_client *c, const cdrest_config *base) {
    cdrest_config cfg;
    char url[400], web[400];
    const char *server = cdrest__env("COMMANDER_SERVER"), *secure = cdrest__env("COMMANDER_SECURE");
    const char *step = cdrest__env("COMMANDER_JOBSTEPID");
    int https = !secure || strcmp(secure, "0") != 0, rc;
    if (!c) return CDREST_E_ARG;
    if (base)
        cfg = *base;
    else
        memset(&cfg, 0, sizeof cfg);
    if (!cfg.server) {
        const char *port = cdrest__env(https ? "COMMANDER_HTTPS_PORT" : "COMMANDER_PORT");
        if (!server) {
            memset(c, 0, sizeof *c);
            return cdrest__fail(&c->err, CDREST_E_ARG, "COMMANDER_SERVER is not set (not inside a CD job step?)");
        }
        snprintf(url, sizeof url, strchr(server, ':') ? "%s://[%s]:%s" : "%s://%s:%s", https ? "https" : "http", server,
                 port ? port : (https ? "8443" : "8000"));
        cfg.server = url;
        if (!cfg.web_server) { /* uploads go to the web server on the same host, default port */
            snprintf(web, sizeof web, strchr(server, ':') ? "%s://[%s]" : "%s://%s", https ? "https" : "http", server);
            cfg.web_server = web;
        }
    }
    if (!cfg.session_id && !cfg.password && !cfg.token) cfg.session_id = cdrest__env("COMMANDER_SESSIONID");
    if ((rc = cdrest_init(c, &cfg)) != 0) return rc;
    if (step && cdrest__copy(c->env_job_step_id, sizeof c->env_job_step_id, step, strlen(step)) != 0) {
        cdrest_free(c);
        return cdrest__fail(&c->err, CDREST_E_ARG, "COMMANDER_JOBSTEPID is too long");
    }
    return 0;
}
#else /* CDREST_NO_ENV: no environment on this target */
CDRESTDEF int cdrest_init_from_env(cdrest_client *c, const cdrest_config *base) {
    (void)base;
    if (!c) return CDREST_E_ARG;
    memset(c, 0, sizeof *c);
    return cdrest__fail(&c->err, CDREST_E_UNSUPPORTED, "built with CDREST_NO_ENV");
}
#endif

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
