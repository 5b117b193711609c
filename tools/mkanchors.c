/* SPDX-License-Identifier: MIT */
/* mkanchors - turn PEM (or DER) CA certificates into C source for BearSSL trust anchors,
   as `brssl ta` does: a trust store compiled into the program, used in place by
   cdrest_tls_config.trust_anchors (see examples/static_client.c). It reads certificates
   with BearSSL's own decoders (br_pem_decoder, br_x509_decoder) and needs nothing else.

   build:  cc -std=c99 -O2 -o build/mkanchors tools/mkanchors.c -lbearssl
   usage:  mkanchors [-o OUT] [-n NAME] [-x] SOURCE...
           SOURCE: a PEM file with any number of certificates, a DER certificate,
           a directory (its *.pem, *.crt, *.cer and c_rehash HASH.N files, in name
           order; the same certificate under two names counts once), or - (stdin)
   e.g.    mkanchors -o anchors.h /etc/ssl/certs/ca-certificates.crt

   Every certificate becomes one br_x509_trust_anchor: its subject DN, its public key
   (RSA or EC), and BR_X509_TA_CA when its Basic Constraints say it is a CA. A
   certificate that is no CA is kept as a direct-trust anchor (BearSSL then accepts only
   a server presenting that very certificate) and said so on stderr; a duplicate (same
   name and key) is left out; a certificate BearSSL cannot decode (a key type it lacks,
   a broken encoding) is left out with the reason on stderr. No anchor at all is an error.

   The output is C99 (designated initializers for EC keys: compile it as C, not C++) and
   uses the names `brssl ta` uses, so either tool's output fits the same program:
       static const br_x509_trust_anchor TAs[N] = { ... };
       #define TAs_NUM N
   and in the program:  cfg.tls.trust_anchors = TAs; cfg.tls.trust_anchors_count = TAs_NUM;
   -n NAME   NAME and NAME_NUM instead of TAs and TAs_NUM
   -x        external linkage, for a .c file of its own: `const br_x509_trust_anchor
             NAME[N]` and `const size_t NAME_NUM`; declare them where they are used with
             extern const br_x509_trust_anchor NAME[]; extern const size_t NAME_NUM;
   -o OUT    write OUT (replaced only once complete) instead of stdout
   Exit status: 0 done, 1 no usable certificate or an I/O error, 2 usage error. */
#if !defined(_POSIX_C_SOURCE) && !defined(_DEFAULT_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <bearssl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *prog = "mkanchors";

/* A growing byte string; an allocation failure is sticky (oom). */
typedef struct bytes {
    unsigned char *p;
    size_t len, cap;
    int oom;
} bytes;

static void bytes_add(bytes *b, const void *src, size_t n) {
    if (b->oom || n == 0) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        unsigned char *p;
        while (cap < b->len + n) cap *= 2;
        p = (unsigned char *)realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void bytes_add_cb(void *ctx, const void *src, size_t n) {
    bytes_add((bytes *)ctx, src, n);
}

static int bytes_same(const bytes *a, const bytes *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* One anchor, with copies of what the decoder found (the decoder is reused). */
typedef struct anchor {
    bytes dn;
    int ca;
    int key_type;    /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
    bytes n, e;      /* RSA modulus and exponent */
    int curve;       /* EC curve */
    bytes q;         /* EC point */
    char label[160]; /* the subject in words, for a comment */
} anchor;

typedef struct store {
    anchor *a;
    size_t n, cap;
    size_t seen;       /* certificates met, kept or not */
    size_t duplicates; /* left out as the same name and key as an earlier one */
    int failed;        /* an I/O or memory error: stop */
} store;

static void anchor_free(anchor *a) {
    free(a->dn.p);
    free(a->n.p);
    free(a->e.p);
    free(a->q.p);
}

/* --- the subject in words (comments only) ------------------------------------------ */

/* One DER element at *p (before end): its tag and contents [*vp, *vp + *vn). 1 ok. */
static int der_next(const unsigned char **p, const unsigned char *end, unsigned *tag, const unsigned char **vp,
                    size_t *vn) {
    size_t len, i, k;
    if (end - *p < 2) return 0;
    *tag = (*p)[0];
    len = (*p)[1];
    *p += 2;
    if (len & 0x80) {
        k = len & 0x7f;
        if (k == 0 || k > 3 || (size_t)(end - *p) < k) return 0;
        for (len = 0, i = 0; i < k; i++) len = (len << 8) | (*p)[i];
        *p += k;
    }
    if ((size_t)(end - *p) < len) return 0;
    *vp = *p;
    *vn = len;
    *p += len;
    return 1;
}

/* "CN=..., O=..." from the attributes we know; bytes outside printable ASCII become '?'
   (and '*' and '\\' too, so the text cannot end the comment it goes into). */
static void dn_label(const bytes *dn, char *out, size_t cap) {
    static const struct {
        unsigned char oid[3];
        const char *name;
    } known[] = { { { 0x55, 0x04, 0x03 }, "CN" },
                  { { 0x55, 0x04, 0x0b }, "OU" },
                  { { 0x55, 0x04, 0x0a }, "O" },
                  { { 0x55, 0x04, 0x06 }, "C" } };
    const unsigned char *p = dn->p, *end = dn->p + dn->len, *seq, *set;
    size_t seqn, setn, o = 0;
    unsigned tag;
    out[0] = 0;
    if (dn->len == 0 || !der_next(&p, end, &tag, &seq, &seqn) || tag != 0x30) return;
    p = seq;
    end = seq + seqn;
    while (p < end && der_next(&p, end, &tag, &set, &setn) && tag == 0x31) {
        const unsigned char *q = set, *atv, *oid, *val, *a;
        size_t atvn, oidn, valn, i, k;
        if (!der_next(&q, set + setn, &tag, &atv, &atvn) || tag != 0x30) return;
        a = atv;
        if (!der_next(&a, atv + atvn, &tag, &oid, &oidn) || tag != 0x06) return;
        if (!der_next(&a, atv + atvn, &tag, &val, &valn)) return;
        for (k = 0; k < sizeof known / sizeof known[0]; k++) {
            if (oidn != 3 || memcmp(oid, known[k].oid, 3) != 0) continue;
            if (o + 8 >= cap) return;
            o += (size_t)sprintf(out + o, "%s%s=", o ? ", " : "", known[k].name);
            for (i = 0; i < valn && o + 2 < cap; i++)
                out[o++] = (val[i] >= 0x20 && val[i] < 0x7f && val[i] != '*' && val[i] != '\\') ? (char)val[i] : '?';
            out[o] = 0;
        }
    }
}

/* --- reading certificates ------------------------------------------------------------ */

/* Decode one DER certificate into the store. where names it in messages. */
static void add_cert(store *st, const unsigned char *der, size_t len, const char *where) {
    br_x509_decoder_context dec;
    const br_x509_pkey *pk;
    anchor a;
    size_t i;
    st->seen++;
    memset(&a, 0, sizeof a);
    br_x509_decoder_init(&dec, bytes_add_cb, &a.dn);
    br_x509_decoder_push(&dec, der, len);
    pk = br_x509_decoder_get_pkey(&dec);
    if (!pk) {
        int err = br_x509_decoder_last_error(&dec);
        fprintf(stderr, "%s: %s: left out: BearSSL cannot decode it (error %d%s)\n", prog, where, err,
                err == BR_ERR_X509_UNSUPPORTED ? ": a key or algorithm it does not support" : "");
        anchor_free(&a);
        return;
    }
    a.ca = br_x509_decoder_isCA(&dec);
    a.key_type = pk->key_type;
    if (pk->key_type == BR_KEYTYPE_RSA) {
        bytes_add(&a.n, pk->key.rsa.n, pk->key.rsa.nlen);
        bytes_add(&a.e, pk->key.rsa.e, pk->key.rsa.elen);
    } else if (pk->key_type == BR_KEYTYPE_EC) {
        a.curve = pk->key.ec.curve;
        bytes_add(&a.q, pk->key.ec.q, pk->key.ec.qlen);
    } else {
        fprintf(stderr, "%s: %s: left out: key type %d is neither RSA nor EC\n", prog, where, pk->key_type);
        anchor_free(&a);
        return;
    }
    if (a.dn.oom || a.n.oom || a.e.oom || a.q.oom) goto oom;
    dn_label(&a.dn, a.label, sizeof a.label);
    for (i = 0; i < st->n; i++) {
        const anchor *b = &st->a[i];
        if (bytes_same(&a.dn, &b->dn) && a.key_type == b->key_type && bytes_same(&a.n, &b->n) &&
            bytes_same(&a.e, &b->e) && a.curve == b->curve && bytes_same(&a.q, &b->q)) {
            st->duplicates++; /* counted, not named: a c_rehash directory has every one twice */
            anchor_free(&a);
            return;
        }
    }
    if (!a.ca)
        fprintf(stderr,
                "%s: %s (%s): not a CA certificate: kept as a direct-trust anchor "
                "(it authenticates only a server presenting this very certificate)\n",
                prog, where, a.label[0] ? a.label : "no CN");
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        anchor *p = (anchor *)realloc(st->a, cap * sizeof *p);
        if (!p) goto oom;
        st->a = p;
        st->cap = cap;
    }
    st->a[st->n++] = a;
    return;
oom:
    anchor_free(&a);
    fprintf(stderr, "%s: out of memory\n", prog);
    st->failed = 1;
}

static int is_pem(const unsigned char *p, size_t n) {
    size_t i;
    for (i = 0; i + 10 <= n; i++)
        if (p[i] == '-' && memcmp(p + i, "-----BEGIN", 10) == 0) return 1;
    return 0;
}

/* Every CERTIFICATE object of a PEM text. CRs are dropped in place first: BearSSL's
   decoder wants LF line ends, and a CR is never part of PEM data. */
static void add_pem(store *st, unsigned char *text, size_t len, const char *file) {
    br_pem_decoder_context pc;
    bytes obj;
    char where[700];
    size_t i, o;
    int in_cert = 0, k = 0, pass;
    for (i = o = 0; i < len; i++)
        if (text[i] != '\r') text[o++] = text[i];
    len = o;
    memset(&obj, 0, sizeof obj);
    br_pem_decoder_init(&pc);
    /* The text, then a newline: the decoder reports an object's end only after the line
       end that follows "-----END ...-----", and a file need not end with one. */
    for (pass = 0; pass < 2 && !st->failed; pass++) {
        const unsigned char *p = pass ? (const unsigned char *)"\n" : (const unsigned char *)text;
        size_t n = pass ? 1 : len;
        while (n > 0 && !st->failed) {
            size_t used = br_pem_decoder_push(&pc, p, n);
            p += used;
            n -= used;
            switch (br_pem_decoder_event(&pc)) {
                case BR_PEM_BEGIN_OBJ:
                    in_cert = strcmp(br_pem_decoder_name(&pc), "CERTIFICATE") == 0 ||
                              strcmp(br_pem_decoder_name(&pc), "X509 CERTIFICATE") == 0;
                    obj.len = 0;
                    br_pem_decoder_setdest(&pc, in_cert ? bytes_add_cb : NULL, &obj);
                    if (!in_cert)
                        fprintf(stderr, "%s: %s: skipped a PEM object \"%s\" (not a CERTIFICATE)\n", prog, file,
                                br_pem_decoder_name(&pc));
                    break;
                case BR_PEM_END_OBJ:
                    if (in_cert) {
                        k++;
                        snprintf(where, sizeof where, "%s, certificate %d", file, k);
                        if (obj.oom) {
                            fprintf(stderr, "%s: out of memory\n", prog);
                            st->failed = 1;
                        } else {
                            add_cert(st, obj.p, obj.len, where);
                        }
                    }
                    in_cert = 0;
                    break;
                case BR_PEM_ERROR:
                    k += in_cert;
                    fprintf(stderr, "%s: %s: a malformed PEM object was left out\n", prog, file);
                    st->seen += (size_t)in_cert;
                    in_cert = 0;
                    break;
                default: break;
            }
        }
    }
    free(obj.p);
}

static void add_file(store *st, const char *path) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    unsigned char buf[8192];
    bytes in;
    size_t n, before = st->seen;
    int bad;
    if (!f) {
        fprintf(stderr, "%s: cannot open %s: ", prog, path);
        perror(NULL);
        st->failed = 1;
        return;
    }
    memset(&in, 0, sizeof in);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) bytes_add(&in, buf, n);
    bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad || in.oom) {
        fprintf(stderr, "%s: cannot read %s%s\n", prog, path, in.oom ? ": out of memory" : "");
        st->failed = 1;
    } else if (is_pem(in.p, in.len)) {
        add_pem(st, in.p, in.len, path);
    } else if (in.len > 0) {
        add_cert(st, in.p, in.len, path);
    }
    free(in.p);
    if (!st->failed && st->seen == before) fprintf(stderr, "%s: %s holds no certificate\n", prog, path);
}

/* *.pem, *.crt, *.cer, or OpenSSL's hashed names ("5ad8a5d6.0", c_rehash). */
static int cert_name(const char *s) {
    size_t n = strlen(s), i;
    if (n > 4 && (strcmp(s + n - 4, ".pem") == 0 || strcmp(s + n - 4, ".crt") == 0 || strcmp(s + n - 4, ".cer") == 0))
        return 1;
    if (n < 10 || s[8] != '.') return 0;
    for (i = 0; i < 8; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    for (i = 9; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's certificate files (see cert_name), sorted (the output is the same
   whatever order readdir gives). */
static void add_dir(store *st, const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, path[4096];
    size_t n = 0, cap = 0, i;
    if (!d) {
        fprintf(stderr, "%s: cannot open %s: ", prog, dir);
        perror(NULL);
        st->failed = 1;
        return;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat sb;
        char *copy;
        if (!cert_name(e->d_name)) continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path) continue;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        if (n == cap) {
            char **p = (char **)realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *p);
            if (!p) break;
            names = p;
        }
        if (!(copy = (char *)malloc(strlen(path) + 1))) break;
        names[n++] = strcpy(copy, path);
    }
    if (e) {
        fprintf(stderr, "%s: out of memory\n", prog);
        st->failed = 1;
    }
    closedir(d);
    if (names) qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        if (!st->failed) add_file(st, names[i]);
        free(names[i]);
    }
    free(names);
    if (!st->failed && n == 0) fprintf(stderr, "%s: %s holds no .pem, .crt, .cer or HASH.N file\n", prog, dir);
}

/* --- writing the C source -------------------------------------------------------------- */

static void put_array(FILE *o, const char *name, const char *what, size_t idx, const bytes *b) {
    size_t i;
    fprintf(o, "static const unsigned char %s_%s%lu[%lu] = {", name, what, (unsigned long)idx, (unsigned long)b->len);
    for (i = 0; i < b->len; i++) fprintf(o, "%s0x%02X%s", i % 12 ? " " : "\n    ", b->p[i], i + 1 < b->len ? "," : "");
    fprintf(o, "\n};\n");
}

static const char *curve_name(int curve) {
    switch (curve) {
        case BR_EC_secp256r1: return "BR_EC_secp256r1";
        case BR_EC_secp384r1: return "BR_EC_secp384r1";
        case BR_EC_secp521r1: return "BR_EC_secp521r1";
        default: return NULL;
    }
}

static void put_source(FILE *o, const store *st, const char *name, int ext, int nsrc, char **src) {
    size_t i;
    int k;
    fprintf(o, "/* Trust anchors for BearSSL, generated by tools/mkanchors from");
    for (k = 0; k < nsrc; k++) fprintf(o, " %s", src[k]);
    fprintf(o, ".\n   Do not edit: generate it again. %lu anchor%s; C99.\n", (unsigned long)st->n,
            st->n == 1 ? "" : "s");
    if (ext)
        fprintf(o, "   Where used: extern const br_x509_trust_anchor %s[]; extern const size_t %s_NUM; */\n", name,
                name);
    else
        fprintf(o, "   Include it in one file; it defines %s[] and %s_NUM, as `brssl ta` does. */\n", name, name);
    fprintf(o, "#include <stddef.h>\n#include <bearssl.h>\n");
    for (i = 0; i < st->n; i++) {
        const anchor *a = &st->a[i];
        fprintf(o, "\n/* %lu: %s%s */\n", (unsigned long)i, a->label[0] ? a->label : "(a subject without CN or O)",
                a->ca ? "" : " - not a CA: direct trust only");
        put_array(o, name, "DN", i, &a->dn);
        if (a->key_type == BR_KEYTYPE_RSA) {
            put_array(o, name, "RSA_N", i, &a->n);
            put_array(o, name, "RSA_E", i, &a->e);
        } else {
            put_array(o, name, "EC_Q", i, &a->q);
        }
    }
    fprintf(o, "\n%sconst br_x509_trust_anchor %s[%lu] = {\n", ext ? "" : "static ", name, (unsigned long)st->n);
    for (i = 0; i < st->n; i++) {
        const anchor *a = &st->a[i];
        unsigned long u = (unsigned long)i;
        fprintf(o, "    {{(unsigned char *)%s_DN%lu, sizeof %s_DN%lu},\n     %s,\n", name, u, name, u,
                a->ca ? "BR_X509_TA_CA" : "0");
        if (a->key_type == BR_KEYTYPE_RSA) {
            fprintf(o,
                    "     {BR_KEYTYPE_RSA, {.rsa = {(unsigned char *)%s_RSA_N%lu, sizeof %s_RSA_N%lu,\n"
                    "                               (unsigned char *)%s_RSA_E%lu, sizeof %s_RSA_E%lu}}}}",
                    name, u, name, u, name, u, name, u);
        } else {
            char num[16];
            const char *cn = curve_name(a->curve);
            if (!cn) {
                snprintf(num, sizeof num, "%d", a->curve);
                cn = num;
            }
            fprintf(o, "     {BR_KEYTYPE_EC, {.ec = {%s, (unsigned char *)%s_EC_Q%lu, sizeof %s_EC_Q%lu}}}}", cn, name,
                    u, name, u);
        }
        fprintf(o, "%s\n", i + 1 < st->n ? "," : "");
    }
    fprintf(o, "};\n");
    if (ext)
        fprintf(o, "const size_t %s_NUM = %lu;\n", name, (unsigned long)st->n);
    else
        fprintf(o, "#define %s_NUM %lu\n", name, (unsigned long)st->n);
}

/* --- main ------------------------------------------------------------------------------ */

static int usage(void) {
    fprintf(stderr,
            "usage: %s [-o OUT] [-n NAME] [-x] SOURCE...\n"
            "  SOURCE: PEM bundle, DER certificate, directory of .pem/.crt/.cer/HASH.N, or - for stdin\n",
            prog);
    return 2;
}

static int c_identifier(const char *s) {
    const char *p;
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) return 0;
    for (p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
    return p - s < 64;
}

/* Write the source to out (through out.tmp, renamed when complete) or stdout. 0 or -1. */
static int write_source(const store *st, const char *out, const char *name, int ext, int nsrc, char **src) {
    char tmp[4200];
    FILE *o = stdout;
    int rc = 0;
    if (out) {
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
        if (!(o = fopen(tmp, "w"))) {
            fprintf(stderr, "%s: cannot write %s: ", prog, tmp);
            perror(NULL);
            return -1;
        }
    }
    put_source(o, st, name, ext, nsrc, src);
    if (fflush(o) != 0 || ferror(o)) rc = -1;
    if (out && fclose(o) != 0) rc = -1;
    if (rc != 0) fprintf(stderr, "%s: write error\n", prog);
    if (out && rc == 0 && rename(tmp, out) != 0) {
        fprintf(stderr, "%s: cannot rename %s to %s: ", prog, tmp, out);
        perror(NULL);
        rc = -1;
    }
    if (out && rc != 0) remove(tmp);
    return rc;
}

int main(int argc, char **argv) {
    const char *out = NULL, *name = "TAs";
    store st;
    int i, first, ext = 0, rc = 0;
    memset(&st, 0, sizeof st);
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strcmp(argv[i], "-x") == 0)
            ext = 1;
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            name = argv[++i];
        else
            return usage();
    }
    if (i >= argc) return usage();
    if (!c_identifier(name)) {
        fprintf(stderr, "%s: -n %s: not a C identifier\n", prog, name);
        return 2;
    }
    if (out && strlen(out) > 4000) {
        fprintf(stderr, "%s: -o: path too long\n", prog);
        return 2;
    }
    for (first = i; i < argc && !st.failed; i++) {
        struct stat sb;
        if (strcmp(argv[i], "-") != 0 && stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            add_dir(&st, argv[i]);
        else
            add_file(&st, argv[i]);
    }
    if (st.failed)
        rc = -1;
    else if (st.n == 0) {
        fprintf(stderr, "%s: no usable certificate, nothing written\n", prog);
        rc = -1;
    } else {
        rc = write_source(&st, out, name, ext, argc - first, argv + first);
    }
    if (rc == 0)
        fprintf(stderr, "%s: %lu trust anchor%s%s%s (%lu duplicate%s left out)\n", prog, (unsigned long)st.n,
                st.n == 1 ? "" : "s", out ? " written to " : "", out ? out : "", (unsigned long)st.duplicates,
                st.duplicates == 1 ? "" : "s");
    for (i = 0; (size_t)i < st.n; i++) anchor_free(&st.a[i]);
    free(st.a);
    return rc == 0 ? 0 : 1;
}
