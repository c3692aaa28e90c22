/*
 * mime.c - a mail message to the text a mail client would show
 *
 * Promises (the interface is in mime.h):
 *  - the top-level header fields in order, unfolded, RFC 2047 decoded, in
 *    UTF-8, with no control characters; subject and Message-ID from them;
 *  - the body as a client shows it: in multipart/alternative the text/plain
 *    part if it has any text, else the HTML laid out by html.c; the parts of
 *    mixed, related, signed... in order; attachments, images, applications,
 *    calendars and signatures show nothing;
 *  - a forwarded message/rfc822 comes after the outer text under Outlook's
 *    "-----Original Message-----" block; with no outer text, the forwarded
 *    text alone is the body (a forward's block at the very top, ours or an
 *    inline one from Outlook, Gmail, Apple Mail or Thunderbird, is cut);
 *  - quoted-printable and base64 decoded, any charset converted to UTF-8
 *    (undecodable bytes become U+FFFD; no charset or an unknown one means
 *    UTF-8 if valid, else windows-1252), format=flowed joined (RFC 3676);
 *  - one '\n' per line break, no leading empty lines, no trailing blanks.
 * Only nesting past lim->max_depth is an error; anything else malformed
 * still gives what text there is, and never a crash.
 *
 * libetpan parses the header values (Content-Type and its parameters,
 * Content-Transfer-Encoding, Content-Disposition, Message-ID) and decodes
 * bodies and RFC 2047 words. The header blocks and multipart bodies we
 * split ourselves: libetpan's mailmime_parse() builds the whole tree
 * recursively with no depth limit (a few MB of nested multiparts overflow
 * the stack before max_depth could be checked). Our walk stops at
 * max_depth and reads each byte once per level: a 10 MB mail is linear.
 * libetpan's charset conversion turns bad bytes into '?' and drops an
 * incomplete last character, so ours is installed as its extended_charconv
 * hook (process-wide, once): encoded words follow the rules of bodies.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "html.h"
#include "mime.h"
#include "xalloc.h"

#define DEPTH_CEILING 64 /* whatever the caller asks, our recursion stays shallow */
#define PARTS_MAX 2000   /* entities looked at; the rest of a mail is ignored */
#define FORWARDS_MAX 20  /* forward blocks stripped at the top */

/* ---- growing strings --------------------------------------------------- */

struct buf {
    char *s;
    size_t len, cap;
};

/* buf_reserve - room for n more bytes and the terminating NUL */
static void
buf_reserve(struct buf *b, size_t n)
{
    if (b->cap - b->len > n)
        return;
    size_t cap = b->cap ? b->cap : 128;
    while (cap - b->len <= n)
        cap *= 2;
    b->s = xrealloc(b->s, cap);
    b->cap = cap;
}

/* buf_put - append n bytes, keeping the string terminated */
static void
buf_put(struct buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

/* buf_puts - append a string */
static void
buf_puts(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

/* ---- UTF-8 and charsets ----------------------------------------------------- */

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* utf8_char - length of the well-formed UTF-8 character at s, 0 if none */
static size_t
utf8_char(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (s[0] >= 0xe0 && s[0] <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        /* no overlong forms, no surrogates */
        if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))
            return 0;
        return 3;
    }
    if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* utf8_valid - is the whole of s well-formed UTF-8 */
static int
utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = utf8_char((const unsigned char *)s + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* utf8_put - append s, every byte that is not part of valid UTF-8 as U+FFFD */
static void
utf8_put(struct buf *b, const char *s, size_t n)
{
    size_t i = 0, run = 0;
    while (i < n) {
        size_t k = utf8_char((const unsigned char *)s + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        buf_put(b, s + run, i - run);
        buf_puts(b, replacement);
        run = ++i;
    }
    buf_put(b, s + run, i - run);
}

/*
 * What mail clients and browsers do with these labels (the WHATWG Encoding
 * standard): Latin-1 and ASCII are read as windows-1252, the Chinese,
 * Japanese and Korean labels as the Microsoft supersets that senders
 * really use. A NULL target means: UTF-8 if valid, else windows-1252.
 */
static const struct {
    const char *target, *labels;
} charset_alias[] = {
    {NULL, " us-ascii ascii ansi_x3.4-1968 unknown-8bit x-unknown unknown default "},
    {"WINDOWS-1252", " iso-8859-1 iso8859-1 iso_8859-1 latin1 l1 "},
    {"WINDOWS-1254", " iso-8859-9 latin5 "},
    {"WINDOWS-874", " iso-8859-11 tis-620 "},
    {"ISO-8859-8", " iso-8859-8-i "},
    {"UTF-8", " utf8 "},
    {"UTF-7", " unicode-1-1-utf-7 "},
    {"GB18030", " gb2312 gb_2312-80 gbk x-gbk cp936 euc-cn "},
    {"CP932", " shift_jis shift-jis sjis x-sjis ms_kanji windows-31j "},
    {"ISO-2022-JP-2", " iso-2022-jp "},
    {"CP949", " euc-kr euckr ks_c_5601-1987 ks_c_5601 windows-949 "},
    {"BIG5-HKSCS", " big5 "},
};

/* charset_name - iconv's name for a MIME charset; NULL: guess */
static const char *
charset_name(const char *cs)
{
    /* anything but a plain name goes nowhere near iconv_open() */
    size_t n = cs ? strlen(cs) : 0;
    if (n == 0 || n > 40 ||
        strspn(cs, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:+()") != n)
        return NULL;
    char key[44];
    for (size_t i = 0; i <= n; i++)
        key[i + 1] = (char)(cs[i] >= 'A' && cs[i] <= 'Z' ? cs[i] + 32 : cs[i]);
    key[0] = key[n + 1] = ' ';
    key[n + 2] = 0;
    for (size_t i = 0; i < sizeof charset_alias / sizeof charset_alias[0]; i++)
        if (strstr(charset_alias[i].labels, key))
            return charset_alias[i].target;
    return cs;
}

/* iconv_put - convert all of s with cd, U+FFFD for what cannot be converted */
static void
iconv_put(struct buf *b, iconv_t cd, const char *s, size_t n)
{
    char *in = (char *)s;
    size_t left = n;
    for (;;) {
        /* 4 bytes of UTF-8 per input byte is the most any charset needs */
        buf_reserve(b, left * 4 + 16);
        char *out = b->s + b->len;
        size_t room = b->cap - b->len - 1;
        /* the last call returns to the initial shift state (ISO-2022-JP) */
        int last = left == 0;
        size_t r = iconv(cd, last ? NULL : &in, &left, &out, &room);
        int err = errno;
        b->len = (size_t)(out - b->s);
        b->s[b->len] = 0;
        if (last)
            return;
        if (r != (size_t)-1)
            continue;
        if (err == E2BIG) {
            buf_reserve(b, (b->cap - b->len) * 2 + 64);
            continue;
        }
        buf_puts(b, replacement);
        if (err == EILSEQ)
            in++, left--;
        else
            left = 0; /* EINVAL: an incomplete character at the end */
    }
}

/* charset_put - append s, in the named charset, as UTF-8 */
static void
charset_put(struct buf *b, const char *charset, const char *s, size_t n)
{
    const char *name = charset_name(charset);
    if (name && strcasecmp(name, "UTF-8") == 0) {
        utf8_put(b, s, n);
        return;
    }
    iconv_t cd = name ? iconv_open("UTF-8", name) : (iconv_t)-1;
    if (cd == (iconv_t)-1) {
        /* no charset, or one iconv does not know: UTF-8 if valid, else windows-1252 */
        if (utf8_valid(s, n)) {
            buf_put(b, s, n);
            return;
        }
        cd = iconv_open("UTF-8", "WINDOWS-1252");
    }
    if (cd == (iconv_t)-1) {
        utf8_put(b, s, n);
        return;
    }
    iconv_put(b, cd, s, n);
    iconv_close(cd);
}

/*
 * etpan_charconv - libetpan's extended_charconv hook: encoded words in
 * headers converted by the same rules as bodies. The result must fit the
 * room libetpan gives (6 bytes per input byte; we need at most 4).
 */
static int
etpan_charconv(const char *tocode, const char *fromcode, const char *str, size_t length,
               char *result, size_t *result_len)
{
    if (strcasecmp(tocode, "utf-8") != 0 && strcasecmp(tocode, "utf8") != 0)
        return MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET;
    struct buf b = {0};
    charset_put(&b, fromcode, str, length);
    int r = MAIL_CHARCONV_ERROR_MEMORY;
    if (b.len <= *result_len) {
        if (b.len)
            memcpy(result, b.s, b.len);
        *result_len = b.len;
        r = MAIL_CHARCONV_NO_ERROR;
    }
    xfree(b.s);
    return r;
}

static pthread_once_t etpan_once = PTHREAD_ONCE_INIT;

/* etpan_init - install the hook before the first parse, whatever the thread */
static void
etpan_init(void)
{
    extended_charconv = etpan_charconv;
}

/* ---- header blocks ---------------------------------------------------------- */

struct field {
    const char *name, *value; /* into the message, not terminated */
    size_t nlen, vlen;        /* value: raw, still folded */
};

struct head {
    struct field *f;
    int n, cap;
    size_t body; /* offset of the body */
};

/*
 * head_parse - split the header block at p. It ends at the first empty
 * line; like Postfix's cleanup, a line that is neither a field nor a
 * continuation ends it too and starts the body.
 */
static void
head_parse(const char *p, size_t len, struct head *h)
{
    size_t i = 0;
    memset(h, 0, sizeof *h);
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - p) : len, next = nl ? end + 1 : len;
        if (end > i && p[end - 1] == '\r')
            end--;
        if (end == i) {
            i = next;
            break;
        }
        if (p[i] == ' ' || p[i] == '\t') {
            /* a continuation line; one with nothing to continue is dropped */
            if (h->n > 0)
                h->f[h->n - 1].vlen = end - (size_t)(h->f[h->n - 1].value - p);
            i = next;
            continue;
        }
        size_t k = i;
        while (k < end && (unsigned char)p[k] > ' ' && (unsigned char)p[k] < 127 && p[k] != ':')
            k++;
        size_t nend = k;
        while (k < end && (p[k] == ' ' || p[k] == '\t'))
            k++;
        if (nend == i || k >= end || p[k] != ':')
            break;
        if (h->n == h->cap) {
            h->cap = h->cap ? h->cap * 2 : 16;
            h->f = xrealloc(h->f, (size_t)h->cap * sizeof *h->f);
        }
        h->f[h->n++] = (struct field){p + i, p + k + 1, nend - i, end - (k + 1)};
        i = next;
    }
    h->body = i;
}

/* head_find - the first field of that name, NULL if none */
static const struct field *
head_find(const struct head *h, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < h->n; i++)
        if (h->f[i].nlen == n && strncasecmp(h->f[i].name, name, n) == 0)
            return &h->f[i];
    return NULL;
}

/* unfold - the value on one line (RFC 5322 2.2.3), trimmed, NUL bytes as blanks */
static char *
unfold(const struct field *f)
{
    char *s = xmalloc(f->vlen + 1);
    size_t n = 0;
    for (size_t i = 0; i < f->vlen; i++) {
        char c = f->value[i];
        if (c == '\r' || c == '\n')
            continue;
        s[n++] = c ? c : ' ';
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    s[n] = 0;
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, n - lead + 1);
    return s;
}

/*
 * decode_words - an unfolded value in UTF-8, RFC 2047 words decoded. Raw
 * 8-bit text is UTF-8 when valid, else windows-1252, as clients guess.
 */
static char *
decode_words(const char *raw)
{
    size_t len = strlen(raw);
    const char *guess = utf8_valid(raw, len) ? "utf-8" : "windows-1252";
    struct buf b = {0};
    if (strstr(raw, "=?")) {
        size_t idx = 0;
        char *dec = NULL;
        if (mailmime_encoded_phrase_parse(guess, raw, len, &idx, "utf-8", &dec) ==
                MAILIMF_NO_ERROR &&
            dec) {
            utf8_put(&b, dec, strlen(dec));
            free(dec);
            if (idx < len)
                charset_put(&b, guess, raw + idx, len - idx);
            return b.s ? b.s : xstrdup("");
        }
        free(dec);
    }
    charset_put(&b, guess, raw, len);
    return b.s ? b.s : xstrdup("");
}

/*
 * header_value - decode_words() on one line: an encoded word may hold a
 * CR, LF or other control character, which a header value read by the
 * caller (and maybe logged) must not.
 */
static char *
header_value(const struct field *f)
{
    /*
     * Structured fields that decide trust are never RFC 2047 decoded (the
     * RFCs allow no encoded words in them): a decoded forgery would read
     * like a real Authentication-Results while slipping past the plain-text
     * header_checks a postmaster uses to strip forged ones.
     */
    static const char *const raw_fields[] = {"Authentication-Results", "X-SMS-Token"};
    int decode = 1;
    for (size_t i = 0; i < sizeof(raw_fields) / sizeof(raw_fields[0]); i++)
        if (f->nlen == strlen(raw_fields[i]) && strncasecmp(f->name, raw_fields[i], f->nlen) == 0)
            decode = 0;
    char *raw = unfold(f), *v;
    if (decode) {
        v = decode_words(raw);
    } else {
        struct buf b = {0};
        charset_put(&b, utf8_valid(raw, strlen(raw)) ? "utf-8" : "windows-1252", raw, strlen(raw));
        v = b.s ? b.s : xstrdup("");
    }
    for (unsigned char *p = (unsigned char *)v; *p; p++)
        if ((*p < ' ' && *p != '\t') || *p == 0x7f)
            *p = ' ';
    xfree(raw);
    return v;
}

/* ---- what a part is --------------------------------------------------------- */

enum part_kind { PART_PLAIN, PART_HTML, PART_MULTI, PART_MESSAGE, PART_OTHER };

struct part_info {
    enum part_kind kind;
    int alternative, digest; /* multipart subtypes that change the rules */
    char *charset, *boundary;
    int flowed, delsp;
    int encoding; /* MAILMIME_MECHANISM_* */
    int attachment;
};

/* param - a Content-Type parameter (fresh) or NULL */
static char *
param(struct mailmime_content *ct, const char *name)
{
    char *v = mailmime_content_param_get(ct, (char *)name);
    return v ? xstrdup(v) : NULL;
}

/* content_type - kind, subtype and parameters from a Content-Type value */
static void
content_type(const char *value, struct part_info *pi)
{
    size_t idx = 0;
    struct mailmime_content *ct = NULL;
    if (mailmime_content_parse(value, strlen(value), &idx, &ct) != MAILIMF_NO_ERROR || !ct)
        return; /* RFC 2045 5.2: an invalid Content-Type is text/plain */
    struct mailmime_type *t = ct->ct_type;
    const char *sub = ct->ct_subtype ? ct->ct_subtype : "";
    if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
        int dt = t->tp_data.tp_discrete_type->dt_type;
        pi->kind = PART_OTHER;
        if (dt == MAILMIME_DISCRETE_TYPE_TEXT && strcasecmp(sub, "html") == 0)
            pi->kind = PART_HTML;
        else if (dt == MAILMIME_DISCRETE_TYPE_TEXT &&
                 (strcasecmp(sub, "plain") == 0 || strcasecmp(sub, "unknown") == 0))
            pi->kind = PART_PLAIN;
    } else if (t->tp_data.tp_composite_type->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART) {
        pi->boundary = param(ct, "boundary");
        /* no boundary, no parts: what is there is shown as it is */
        pi->kind = pi->boundary && *pi->boundary ? PART_MULTI : PART_PLAIN;
        pi->alternative = strcasecmp(sub, "alternative") == 0;
        pi->digest = strcasecmp(sub, "digest") == 0;
    } else {
        pi->kind = strcasecmp(sub, "rfc822") == 0 || strcasecmp(sub, "global") == 0 ? PART_MESSAGE
                                                                                    : PART_OTHER;
    }
    pi->charset = param(ct, "charset");
    const char *fmt = mailmime_content_param_get(ct, "format");
    const char *delsp = mailmime_content_param_get(ct, "delsp");
    pi->flowed = fmt && strcasecmp(fmt, "flowed") == 0;
    pi->delsp = delsp && strcasecmp(delsp, "yes") == 0;
    mailmime_content_free(ct);
}

/* part_info_get - what a part is, from its header; digest: message/rfc822 by default */
static void
part_info_get(const struct head *h, int digest, struct part_info *pi)
{
    memset(pi, 0, sizeof *pi);
    pi->kind = digest ? PART_MESSAGE : PART_PLAIN;
    pi->encoding = MAILMIME_MECHANISM_8BIT;
    const struct field *f;
    if ((f = head_find(h, "Content-Type")) != NULL) {
        char *v = unfold(f);
        content_type(v, pi);
        xfree(v);
    }
    if ((f = head_find(h, "Content-Transfer-Encoding")) != NULL) {
        char *v = unfold(f);
        size_t idx = 0;
        struct mailmime_mechanism *m = NULL;
        if (mailmime_encoding_parse(v, strlen(v), &idx, &m) == MAILIMF_NO_ERROR && m) {
            pi->encoding = m->enc_type;
            mailmime_mechanism_free(m);
        }
        xfree(v);
    }
    if ((f = head_find(h, "Content-Disposition")) != NULL) {
        char *v = unfold(f);
        size_t idx = 0;
        struct mailmime_disposition_type *d = NULL;
        if (mailmime_disposition_type_parse(v, strlen(v), &idx, &d) == MAILIMF_NO_ERROR && d) {
            pi->attachment = d->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
            mailmime_disposition_type_free(d);
        }
        xfree(v);
    }
}

/* ---- text --------------------------------------------------------------------- */

/* blank_at - length of the blank or UTF-8 no-break space at s, 0 if none */
static size_t
blank_at(const char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t'))
        return 1;
    return n >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0 ? 2 : 0;
}

/* blank_before - length of the blank or no-break space that ends s[0..n) */
static size_t
blank_before(const char *s, size_t n)
{
    if (n >= 1 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        return 1;
    return n >= 2 && blank_at(s + n - 2, 2) == 2 ? 2 : 0;
}

/* is_blank_text - nothing but blanks, no-break spaces and line ends */
static int
is_blank_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = blank_at(s + i, n - i);
        if (k == 0 && s[i] != '\n' && s[i] != '\r')
            return 0;
        i += k ? k : 1;
    }
    return 1;
}

/* newlines - CRLF and lone CR as '\n', NUL bytes dropped, in place */
static void
newlines(struct buf *b)
{
    size_t o = 0;
    for (size_t i = 0; i < b->len; i++) {
        char c = b->s[i];
        if (c == '\r') {
            if (i + 1 < b->len && b->s[i + 1] == '\n')
                continue;
            c = '\n';
        }
        if (c)
            b->s[o++] = c;
    }
    b->len = o;
    if (b->s)
        b->s[o] = 0;
}

/*
 * flowed - join format=flowed text (RFC 3676 4.1-4.5): a line ending in a
 * space continues on the next one of the same quote depth; space-stuffing
 * removed; "-- " never flows; with DelSp=yes the joining space goes.
 * Quoted lines come out as ">> text".
 */
static void
flowed(struct buf *out, const char *s, size_t len, int delsp)
{
    int open = 0, open_depth = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + i;
        size_t n = end - i;
        i = nl ? end + 1 : len;
        int depth = 0;
        while ((size_t)depth < n && l[depth] == '>')
            depth++;
        l += depth;
        n -= (size_t)depth;
        if (n > 0 && l[0] == ' ')
            n--, l++;
        int sig = n == 3 && memcmp(l, "-- ", 3) == 0;
        int soft = !sig && n > 0 && l[n - 1] == ' ';
        if (open && (depth != open_depth || sig)) {
            /* a paragraph ends at a change of quote depth or a signature */
            while (out->len > 0 && out->s[out->len - 1] == ' ')
                out->s[--out->len] = 0;
            buf_put(out, "\n", 1);
            open = 0;
        }
        if (!open && depth > 0) {
            for (int d = 0; d < depth; d++)
                buf_put(out, ">", 1);
            if (n > 0)
                buf_put(out, " ", 1);
        }
        if (soft && delsp)
            n--;
        buf_put(out, l, n);
        open = soft;
        open_depth = depth;
        if (!soft)
            buf_put(out, "\n", 1);
    }
}

struct walk {
    int max_depth;
    int parts;
    char *error;
};

static int entity_text(struct walk *w, const char *p, size_t len, int depth, int digest,
                       struct buf *out, int *html);

/*
 * decode - undo a base64 or quoted-printable transfer encoding into b; 0
 * for anything else (the body is used as it is). libetpan 1.9.4's
 * quoted-printable decoder reads two bytes past the end of a body ending
 * in "=" and one more character (found by fuzz_mime), so such dangling
 * escapes are kept out of its way and shown as they are, as clients do.
 */
static int
decode(int encoding, const char *body, size_t len, struct buf *b)
{
    if (encoding != MAILMIME_MECHANISM_BASE64 && encoding != MAILMIME_MECHANISM_QUOTED_PRINTABLE)
        return 0;
    size_t cut = len, idx = 0, dlen = 0;
    while (encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE && cut >= 2 && body[cut - 2] == '=' &&
           body[cut - 1] != '\n' && body[cut - 1] != '\r')
        cut -= 2;
    char *dec = NULL;
    if (mailmime_part_parse(body, cut, &idx, encoding, &dec, &dlen) != MAILIMF_NO_ERROR || !dec)
        return 0;
    buf_put(b, dec, dlen);
    buf_put(b, body + cut, len - cut);
    mmap_string_unref(dec);
    return 1;
}

/* leaf_text - a text/plain or text/html part: decoded, in UTF-8, laid out */
static void
leaf_text(const struct part_info *pi, const char *body, size_t len, struct buf *out, int *html)
{
    struct buf d = {0}, u = {0};
    if (decode(pi->encoding, body, len, &d)) {
        body = d.s;
        len = d.len;
    }
    charset_put(&u, pi->charset, body, len);
    xfree(d.s);
    newlines(&u);
    if (pi->kind == PART_HTML) {
        char *t = html_to_text(u.s ? u.s : "", u.len);
        buf_puts(out, t);
        xfree(t);
        *html = 1;
    } else if (pi->flowed) {
        flowed(out, u.s ? u.s : "", u.len, pi->delsp);
    } else {
        buf_put(out, u.s ? u.s : "", u.len);
    }
    xfree(u.s);
}

struct range {
    size_t off, len;
};

/* delimiter - is the line at i "--boundary" or "--boundary--" (RFC 2046 5.1.1) */
static int
delimiter(const char *p, size_t len, size_t i, const char *bd, size_t bl, int *close)
{
    if (len - i < 2 + bl || p[i] != '-' || p[i + 1] != '-' || memcmp(p + i + 2, bd, bl) != 0)
        return 0;
    size_t k = i + 2 + bl;
    *close = k + 1 < len && p[k] == '-' && p[k + 1] == '-';
    if (*close)
        return 1;
    /* a longer boundary that starts with ours is not ours */
    while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
        k++;
    return k >= len || p[k] == '\n';
}

/*
 * split - the body parts of a multipart body. The line end before a
 * delimiter belongs to it; without a close delimiter the last part runs to
 * the end; at most PARTS_MAX of them. 0 when no delimiter was found.
 */
static int
split(const char *p, size_t len, const char *bd, struct range **parts, int *nparts)
{
    size_t bl = strlen(bd), start = 0, i = 0;
    int open = 0, found = 0, cap = 0;
    *parts = NULL;
    *nparts = 0;
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t next = nl ? (size_t)(nl - p) + 1 : len;
        int close;
        if (p[i] == '-' && delimiter(p, len, i, bd, bl, &close)) {
            found = 1;
            if (open) {
                size_t end = i;
                if (end > start && p[end - 1] == '\n')
                    end--;
                if (end > start && p[end - 1] == '\r')
                    end--;
                if (*nparts == cap) {
                    cap = cap ? cap * 2 : 8;
                    *parts = xrealloc(*parts, (size_t)cap * sizeof **parts);
                }
                (*parts)[(*nparts)++] = (struct range){start, end - start};
            }
            /* past the parts we would look at, the rest is not worth scanning */
            if (close || *nparts >= PARTS_MAX)
                return 1;
            open = 1;
            start = next;
        }
        i = next;
    }
    if (open && start < len) {
        if (*nparts == cap)
            *parts = xrealloc(*parts, (size_t)(cap + 1) * sizeof **parts);
        (*parts)[(*nparts)++] = (struct range){start, len - start};
    }
    return found;
}

/* append_piece - one more piece of a mail's text, on its own line */
static void
append_piece(struct buf *out, const struct buf *t, int gap)
{
    size_t n = t->len;
    while (n > 0 && (t->s[n - 1] == '\n' || t->s[n - 1] == ' ' || t->s[n - 1] == '\t'))
        n--;
    if (out->len > 0) {
        buf_put(out, "\n", 1);
        if (gap)
            buf_put(out, "\n", 1);
    }
    buf_put(out, t->s, n);
}

/* multipart_text - alternative: the best one; anything else: each in order */
static int
multipart_text(struct walk *w, const struct part_info *pi, const char *body, size_t len, int depth,
               struct buf *out, int *html)
{
    struct range *parts;
    int nparts;
    if (!split(body, len, pi->boundary, &parts, &nparts)) {
        /* no part at all: show the body rather than nothing */
        struct part_info plain = {.kind = PART_PLAIN, .encoding = MAILMIME_MECHANISM_8BIT};
        leaf_text(&plain, body, len, out, html);
        return 0;
    }
    int alt = pi->alternative;
    struct buf best = {0};
    int best_rank = 0, r = 0;
    for (int i = 0; i < nparts && r == 0; i++) {
        struct buf t = {0};
        int h = 0;
        r = entity_text(w, body + parts[i].off, parts[i].len, depth, pi->digest, &t, &h);
        if (r == 0 && t.len > 0 && !is_blank_text(t.s, t.len)) {
            if (!alt) {
                append_piece(out, &t, strncmp(t.s, "-----Original Message-----", 26) == 0);
                *html |= h;
            } else if ((h ? 1 : 2) > best_rank) {
                /* plain text preferred, else the first HTML with any text */
                xfree(best.s);
                best = t;
                t.s = NULL;
                best_rank = h ? 1 : 2;
            }
        }
        xfree(t.s);
    }
    if (r == 0 && best_rank) {
        append_piece(out, &best, 0);
        *html |= best_rank == 1;
    }
    xfree(best.s);
    xfree(parts);
    return r;
}

/*
 * message_text - a forwarded message/rfc822: its text under the block
 * Outlook writes above a forward, which clean.c knows to cut and
 * forward_skip() strips when nothing comes before it.
 */
static int
message_text(struct walk *w, const char *p, size_t len, int depth, struct buf *out, int *html)
{
    static const char *const fields[][2] = {{"From", "From: "},
                                            {"Date", "Sent: "},
                                            {"To", "To: "},
                                            {"Cc", "Cc: "},
                                            {"Subject", "Subject: "}};
    struct head h;
    head_parse(p, len, &h);
    buf_puts(out, "-----Original Message-----\n");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field *f = head_find(&h, fields[i][0]);
        char *v = f ? header_value(f) : NULL;
        if (v) {
            buf_puts(out, fields[i][1]);
            buf_puts(out, v);
            buf_puts(out, "\n");
        }
        xfree(v);
    }
    buf_put(out, "\n", 1);
    xfree(h.f);
    return entity_text(w, p, len, depth, 0, out, html);
}

/*
 * entity_text - append the text of one entity (a header and a body):
 * the whole message, a body part or a forwarded message.
 */
static int
entity_text(struct walk *w, const char *p, size_t len, int depth, int digest, struct buf *out,
            int *html)
{
    if (++w->parts > PARTS_MAX)
        return 0;
    struct head h;
    struct part_info pi;
    head_parse(p, len, &h);
    part_info_get(&h, digest, &pi);
    const char *body = p + h.body;
    size_t blen = len - h.body;
    int r = 0;
    if ((pi.kind == PART_MULTI || pi.kind == PART_MESSAGE) && depth + 1 > w->max_depth) {
        w->error = xasprintf("MIME parts nested deeper than %d levels", w->max_depth);
        r = -1;
    } else if (pi.kind == PART_MULTI) {
        r = multipart_text(w, &pi, body, blen, depth + 1, out, html);
    } else if (pi.kind == PART_MESSAGE) {
        /* a forward is followed even when marked as an attachment: it is the content */
        struct buf d = {0};
        if (decode(pi.encoding, body, blen, &d)) {
            body = d.s;
            blen = d.len;
        }
        r = message_text(w, body, blen, depth + 1, out, html);
        xfree(d.s);
    } else if ((pi.kind == PART_PLAIN || pi.kind == PART_HTML) && !pi.attachment) {
        leaf_text(&pi, body, blen, out, html);
    }
    xfree(pi.charset);
    xfree(pi.boundary);
    xfree(h.f);
    return r;
}

/* ---- forwards at the top ---------------------------------------------------- */

/* line_at - the line at i without its '\n'; returns the offset of the next line */
static size_t
line_at(const char *s, size_t len, size_t i, const char **l, size_t *n)
{
    const char *nl = memchr(s + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - s) : len;
    *l = s + i;
    *n = end - i;
    /* trim blanks and no-break spaces, which Outlook puts around its blocks */
    size_t k;
    while ((k = blank_at(*l, *n)) > 0)
        *l += k, *n -= k;
    while ((k = blank_before(*l, *n)) > 0)
        *n -= k;
    return nl ? end + 1 : len;
}

/* has_ci - does the line contain word, ignoring case */
static int
has_ci(const char *l, size_t n, const char *word)
{
    size_t k = strlen(word);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(l + i, word, k) == 0)
            return 1;
    return 0;
}

/* forward_separator - the line a client writes above a forwarded message */
static int
forward_separator(const char *l, size_t n)
{
    if (n >= 10 && strspn(l, "_") >= n)
        return 1; /* Outlook's rule of underscores */
    if (n == 24 && strncasecmp(l, "Begin forwarded message:", 24) == 0)
        return 1; /* Apple Mail */
    /* "-----Original Message-----", "---------- Forwarded message ---------" */
    return n > 4 && l[0] == '-' && l[1] == '-' && l[n - 1] == '-' &&
           (has_ci(l, n, "Original Message") || has_ci(l, n, "Forwarded Message"));
}

/* forward_field_line - "From: ...", "Sent: ...", ...; 1 for From, 2 for a date */
static int
forward_field_line(const char *l, size_t n)
{
    static const char *const names[] = {"From",       "Sent",        "Date",    "To",
                                        "Cc",         "Bcc",         "Subject", "Reply-To",
                                        "Importance", "Attachments", NULL};
    for (int i = 0; names[i]; i++) {
        size_t k = strlen(names[i]);
        if (n > k && strncasecmp(l, names[i], k) == 0 && l[k] == ':')
            return i == 0 ? 1 : i <= 2 ? 2 : 3;
    }
    return 0;
}

/*
 * forward_skip - where the forwarded text starts, when s starts (after
 * empty lines) with a forward's block: a separator line and header lines,
 * or header lines alone that have From, a date and one more, and then an
 * empty line. 0 when s does not start like that.
 */
static size_t
forward_skip(const char *s, size_t len)
{
    const char *l = s;
    size_t n = 0, i = 0, next = 0;
    while (i < len && ((next = line_at(s, len, i, &l, &n)), n == 0))
        i = next;
    int sep = 0, from = 0, date = 0, fields = 0;
    size_t after_sep = 0;
    if (i < len && forward_separator(l, n)) {
        sep = 1;
        i = after_sep = next;
        while (i < len && ((next = line_at(s, len, i, &l, &n)), n == 0))
            i = next;
    }
    while (i < len) {
        next = line_at(s, len, i, &l, &n);
        if (n == 0)
            break;
        int k = forward_field_line(l, n);
        if (!k)
            return sep && fields == 0 ? after_sep : 0;
        from |= k == 1;
        date |= k == 2;
        fields++;
        i = next;
    }
    /* after a separator any fields will do; without one, they must look like a forward's */
    if (!sep && (!from || !date || fields < 2))
        return 0;
    return i;
}

/* trim_text - no empty lines at the start, no blanks at the end; NULL when empty */
static char *
trim_text(const char *s, size_t len)
{
    size_t i = 0;
    for (size_t k = 0; k < len; k++) {
        if (s[k] == '\n')
            i = k + 1;
        else if (s[k] != ' ' && s[k] != '\t')
            break;
    }
    while (len > i && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (is_blank_text(s + i, len - i))
        return NULL;
    return xstrndup(s + i, len - i);
}

/* ---- the interface ------------------------------------------------------------ */

/* message_id - the id between the angle brackets, or the whole value */
static char *
message_id(const char *v)
{
    const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt && gt > lt + 1)
        return xstrndup(lt + 1, (size_t)(gt - lt - 1));
    return *v ? xstrdup(v) : NULL;
}

/* mime_parse - see mime.h */
int
mime_parse(const char *data, size_t len, const struct mime_limits *lim, struct mime_text *r,
           char **error_r)
{
    memset(r, 0, sizeof *r);
    *error_r = NULL;
    if (!data && len) {
        *error_r = xstrdup("no message data");
        return -1;
    }
    if (!data)
        data = "";
    pthread_once(&etpan_once, etpan_init);

    int depth = lim ? lim->max_depth : 20;
    struct walk w = {.max_depth = depth < 0 ? 0 : depth > DEPTH_CEILING ? DEPTH_CEILING : depth};

    struct head h;
    head_parse(data, len, &h);
    r->headers = xcalloc((size_t)h.n, sizeof *r->headers);
    for (int i = 0; i < h.n; i++) {
        r->headers[i].name = xstrndup(h.f[i].name, h.f[i].nlen);
        r->headers[i].value = header_value(&h.f[i]);
        r->nheaders++;
        if (!r->subject && strcasecmp(r->headers[i].name, "Subject") == 0)
            r->subject = xstrdup(r->headers[i].value);
        if (!r->message_id && strcasecmp(r->headers[i].name, "Message-ID") == 0)
            r->message_id = message_id(r->headers[i].value);
    }
    xfree(h.f);

    struct buf out = {0};
    int html = 0;
    if (entity_text(&w, data, len, 0, 0, &out, &html) < 0) {
        xfree(out.s);
        mime_text_free(r);
        *error_r = w.error;
        return -1;
    }
    /* a forward with nothing above it: the forwarded text is the message */
    size_t start = 0;
    for (int k = 0; out.s && k < FORWARDS_MAX; k++) {
        size_t skip = forward_skip(out.s + start, out.len - start);
        if (!skip)
            break;
        start += skip;
    }
    r->body = trim_text(out.s ? out.s + start : "", out.len - start);
    xfree(out.s);
    return 0;
}

/* mime_text_free - everything mime_parse() allocated */
void
mime_text_free(struct mime_text *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->nheaders; i++) {
        xfree(r->headers[i].name);
        xfree(r->headers[i].value);
    }
    xfree(r->headers);
    xfree(r->subject);
    xfree(r->body);
    xfree(r->message_id);
    memset(r, 0, sizeof *r);
}
