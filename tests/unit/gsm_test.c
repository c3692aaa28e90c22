/*
 * gsm_test.c - GSM 03.38 / UCS-2 choice, parts, transliteration, limits
 *
 * Every number checked here is money: a septet too many makes a third part,
 * and a curly quote left in makes a one-part text cost three. Expected
 * counts are worked out by hand from 3GPP TS 23.038 and TS 23.040, not
 * taken from the code. The source is UTF-8; "\u" names invisible ones.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gsm.h"
#include "xalloc.h"
#include "tap.h"

#define EURO "\u20AC"
#define ZHE "\u0436"       /* Cyrillic small zhe: not GSM, one UTF-16 unit */
#define EMOJI "\U0001F600" /* a surrogate pair: two UTF-16 units */
#define FFFD "\uFFFD"
#define TIMES "\u00D7" /* the repetition sign of the notation below */

/* utf8_len - bytes of the character at s; a stray byte is one */
static size_t
utf8_len(const unsigned char *s)
{
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1, i;

    for (i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 1;
    return n;
}

/*
 * build - expand the notation of the tables: "x×N" is the character x
 * repeated N times, so "a×152€a×152" is 152 a's, a euro and 152 a's.
 */
static char *
build(const char *spec)
{
    size_t cap = strlen(spec) + 1, o = 0, len = 0;
    char *s = xmalloc(cap);
    const char *p = spec, *last = NULL;

    while (*p) {
        size_t k = 1;
        if (strncmp(p, TIMES, strlen(TIMES)) == 0 && last) {
            char *end;
            long n = strtol(p + strlen(TIMES), &end, 10);
            p = end;
            if (n < 1)
                bail("bad repetition in \"%s\"", spec);
            k = (size_t)n - 1; /* the first is already there */
        } else {
            last = p;
            len = utf8_len((const unsigned char *)p);
            p += len;
        }
        if (o + k * len + 1 > cap) {
            cap = (o + k * len + 1) * 2;
            s = xrealloc(s, cap);
        }
        while (k-- > 0) {
            memcpy(s + o, last, len);
            o += len;
        }
    }
    s[o] = 0;
    return s;
}

/* desc - a notation as a printable test description */
static const char *
desc(const char *s)
{
    static char buf[160];
    size_t o = 0, n;

    while (*s && o + 8 < sizeof(buf)) {
        unsigned char c = (unsigned char)*s;
        n = utf8_len((const unsigned char *)s);
        if (c >= 0x80 && n > 1) {
            memcpy(buf + o, s, n);
            o += n;
            s += n;
            continue;
        }
        if (c >= 0x20 && c < 0x7f)
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
        s++;
    }
    buf[o] = 0;
    return buf;
}

#define GSM SMS_GSM7
#define UCS SMS_UCS2

/*
 * The expected text is NULL when it is the input unchanged. Columns: text,
 * translit, limit, refuse_over; then rc, coding, units, parts, full_parts,
 * truncated, text sent.
 */
static const struct enc_case {
    const char *in;
    int translit, limit, refuse;
    int rc;
    enum sms_coding coding;
    int units, parts, full_parts, truncated;
    const char *out;
} enc_cases[] = {
    /* plain ASCII at the part boundaries; empty text is 0 parts */
    {"", 0, 0, 0, 0, GSM, 0, 0, 0, 0, NULL},
    {"a", 0, 0, 0, 0, GSM, 1, 1, 1, 0, NULL},
    {"a×160", 0, 0, 0, 0, GSM, 160, 1, 1, 0, NULL},
    {"a×161", 0, 0, 0, 0, GSM, 161, 2, 2, 0, NULL},
    {"a×306", 0, 0, 0, 0, GSM, 306, 2, 2, 0, NULL},
    {"a×307", 0, 0, 0, 0, GSM, 307, 3, 3, 0, NULL},
    {"a×459", 0, 0, 0, 0, GSM, 459, 3, 3, 0, NULL},
    {"a×460", 0, 0, 0, 0, GSM, 460, 4, 4, 0, NULL},
    /* CR and LF are characters of their own: CRLF costs two */
    {"a\r\nb", 0, 0, 0, 0, GSM, 4, 1, 1, 0, NULL},
    {"\r\n\r×79\n×79", 0, 0, 0, 0, GSM, 160, 1, 1, 0, NULL},
    {"\r\n\r×79\n×80", 0, 0, 0, 0, GSM, 161, 2, 2, 0, NULL},
    /* the extension table: ESC + code, two septets */
    {"a×10€", 0, 0, 0, 0, GSM, 12, 1, 1, 0, NULL},
    {"^{}\\[~]|€\f", 0, 0, 0, 0, GSM, 20, 1, 1, 0, NULL},
    {"a×158€", 0, 0, 0, 0, GSM, 160, 1, 1, 0, NULL},
    {"a×159€", 0, 0, 0, 0, GSM, 161, 2, 2, 0, NULL},
    {"{×80", 0, 0, 0, 0, GSM, 160, 1, 1, 0, NULL},
    {"a×2{×80", 0, 0, 0, 0, GSM, 162, 2, 2, 0, NULL},
    /* an escape never straddles parts: division would say 2 parts */
    {"a×152€a×152", 0, 0, 0, 0, GSM, 306, 3, 3, 0, NULL},
    {"a×151€a×153", 0, 0, 0, 0, GSM, 306, 2, 2, 0, NULL},
    {"a×153€a×151", 0, 0, 0, 0, GSM, 306, 2, 2, 0, NULL},
    {"{×153", 0, 0, 0, 0, GSM, 306, 3, 3, 0, NULL},
    /* UCS-2 */
    {"ж×70", 0, 0, 0, 0, UCS, 70, 1, 1, 0, NULL},
    {"ж×71", 0, 0, 0, 0, UCS, 71, 2, 2, 0, NULL},
    {"ж×134", 0, 0, 0, 0, UCS, 134, 2, 2, 0, NULL},
    {"ж×135", 0, 0, 0, 0, UCS, 135, 3, 3, 0, NULL},
    {"a×159ж", 0, 0, 0, 0, UCS, 160, 3, 3, 0, NULL},
    {"€{×35", 0, 0, 0, 0, GSM, 72, 1, 1, 0, NULL},
    {"€{×35ж", 0, 0, 0, 0, UCS, 37, 1, 1, 0, NULL},
    {"€×70ж", 0, 0, 0, 0, UCS, 71, 2, 2, 0, NULL},
    /* a surrogate pair is two units and never straddles parts */
    {"😀", 0, 0, 0, 0, UCS, 2, 1, 1, 0, NULL},
    {"a×68😀", 0, 0, 0, 0, UCS, 70, 1, 1, 0, NULL},
    {"a×69😀", 0, 0, 0, 0, UCS, 71, 2, 2, 0, NULL},
    {"a×66😀a×66", 0, 0, 0, 0, UCS, 134, 3, 3, 0, NULL},
    {"a×65😀a×67", 0, 0, 0, 0, UCS, 134, 2, 2, 0, NULL},
    {"😀×67", 0, 0, 0, 0, UCS, 134, 3, 3, 0, NULL},
    /* Greek capitals of the GSM table stay GSM; others do not */
    {"ΔΦΓΛΩΠΨΣΘΞ", 0, 0, 0, 0, GSM, 10, 1, 1, 0, NULL},
    {"a×159Δ", 0, 0, 0, 0, GSM, 160, 1, 1, 0, NULL},
    {"a×159δ", 0, 0, 0, 0, UCS, 160, 3, 3, 0, NULL},
    {"Α", 0, 0, 0, 0, UCS, 1, 1, 1, 0, NULL}, /* U+0391, not Latin A */
    {"ΔΑΣ", 0, 0, 0, 0, UCS, 3, 1, 1, 0, NULL},
    /* one curly quote: three parts as written, one transliterated */
    {"a×159’", 0, 0, 0, 0, UCS, 160, 3, 3, 0, NULL},
    {"a×159’", 1, 0, 0, 0, GSM, 160, 1, 1, 0, "a×159'"},
    {"It’s {ok} €5", 1, 0, 0, 0, GSM, 15, 1, 1, 0, "It's {ok} €5"},
    {"It's {ok} €5", 1, 0, 0, 0, GSM, 15, 1, 1, 0, NULL},
    /* a text that needs UCS-2 anyway is sent as written */
    {"“ж” — ж…", 1, 0, 0, 0, UCS, 8, 1, 1, 0, NULL},
    {"a×100’ж", 1, 0, 0, 0, UCS, 102, 2, 2, 0, NULL},
    /* ... and so is one cheaper that way (60 "..." need 180 septets); a tie goes to GSM */
    {"…×60", 1, 0, 0, 0, UCS, 60, 1, 1, 0, NULL},
    {"…×53", 1, 0, 0, 0, GSM, 159, 1, 1, 0, ".×159"},
    {"…×54", 1, 0, 0, 0, UCS, 54, 1, 1, 0, NULL},
    {"…×100", 1, 0, 0, 0, GSM, 300, 2, 2, 0, ".×300"},
    {"…×134", 1, 0, 0, 0, UCS, 134, 2, 2, 0, NULL},
    /* removed characters; a text of nothing else becomes empty */
    {"a\u00ADb\u200Bc\uFEFF", 1, 0, 0, 0, GSM, 3, 1, 1, 0, "abc"},
    {"\u200B", 1, 0, 0, 0, GSM, 0, 0, 0, 0, ""},
    {"\u200B", 0, 0, 0, 0, UCS, 1, 1, 1, 0, NULL},
    /* invalid UTF-8: one U+FFFD per maximal ill-formed subsequence */
    {"\x80", 0, 0, 0, 0, UCS, 1, 1, 1, 0, FFFD},
    {"a\x80\xBF"
     "b",
     0, 0, 0, 0, UCS, 4, 1, 1, 0, "a" FFFD FFFD "b"},
    {"a\xE2\x82", 0, 0, 0, 0, UCS, 2, 1, 1, 0, "a" FFFD},
    {"\xF0\x9F\x98"
     "a",
     0, 0, 0, 0, UCS, 2, 1, 1, 0, FFFD "a"},
    {"\xC0\xAF", 0, 0, 0, 0, UCS, 2, 1, 1, 0, FFFD FFFD},
    {"\xC1\xBF", 0, 0, 0, 0, UCS, 2, 1, 1, 0, FFFD FFFD},
    {"\xE0\x80\x80", 0, 0, 0, 0, UCS, 3, 1, 1, 0, FFFD FFFD FFFD},
    {"\xE0\x9F\xBF", 0, 0, 0, 0, UCS, 3, 1, 1, 0, FFFD FFFD FFFD},
    {"\xF0\x8F\xBF\xBF", 0, 0, 0, 0, UCS, 4, 1, 1, 0, FFFD FFFD FFFD FFFD},
    {"\xED\xA0\x80", 0, 0, 0, 0, UCS, 3, 1, 1, 0, FFFD FFFD FFFD},
    {"\xED\xBF\xBF", 0, 0, 0, 0, UCS, 3, 1, 1, 0, FFFD FFFD FFFD},
    {"\xF4\x90\x80\x80", 0, 0, 0, 0, UCS, 4, 1, 1, 0, FFFD FFFD FFFD FFFD},
    {"\xF5\xFF", 0, 0, 0, 0, UCS, 2, 1, 1, 0, FFFD FFFD},
    {"\xC3\xE2\x82\xAC", 0, 0, 0, 0, UCS, 2, 1, 1, 0, FFFD EURO},
    {"\xE2\x82\xE2\x82\xAC", 0, 0, 0, 0, UCS, 2, 1, 1, 0, FFFD EURO},
    {"\xED\x9F\xBF", 0, 0, 0, 0, UCS, 1, 1, 1, 0, NULL},     /* U+D7FF */
    {"\xEE\x80\x80", 0, 0, 0, 0, UCS, 1, 1, 1, 0, NULL},     /* U+E000 */
    {"\xF4\x8F\xBF\xBF", 0, 0, 0, 0, UCS, 2, 1, 1, 0, NULL}, /* U+10FFFF */
    {"\xF0\x90\x80\x80", 0, 0, 0, 0, UCS, 2, 1, 1, 0, NULL}, /* U+10000 */
    {"\xEF\xBF\xBD", 0, 0, 0, 0, UCS, 1, 1, 1, 0, NULL},     /* U+FFFD */
    {"\xC0"
     "a’",
     1, 0, 0, 0, UCS, 3, 1, 1, 0, FFFD "a’"},
    /* the part limit cuts GSM text at the last character that fits */
    {"a×400", 0, 1, 0, 0, GSM, 160, 1, 3, 1, "a×160"},
    {"a×400", 0, 2, 0, 0, GSM, 306, 2, 3, 1, "a×306"},
    {"a×400", 0, 3, 0, 0, GSM, 400, 3, 3, 0, NULL},
    {"a×161", 0, 1, 0, 0, GSM, 160, 1, 2, 1, "a×160"},
    {"a×160", 0, 1, 0, 0, GSM, 160, 1, 1, 0, NULL},
    {"a×307", 0, 2, 0, 0, GSM, 306, 2, 3, 1, "a×306"},
    {"a×159€a×5", 0, 1, 0, 0, GSM, 159, 1, 2, 1, "a×159"},
    {"a×152€a×200", 0, 1, 0, 0, GSM, 160, 1, 3, 1, "a×152€a×6"},
    {"a×152€a×200", 0, 2, 0, 0, GSM, 305, 2, 3, 1, "a×152€a×151"},
    {"a×305€", 0, 2, 0, 0, GSM, 305, 2, 3, 1, "a×305"},
    {"{×100", 0, 1, 0, 0, GSM, 160, 1, 2, 1, "{×80"},
    {"{×200", 0, 2, 0, 0, GSM, 304, 2, 3, 1, "{×152"},
    {"a×1000", 0, 0, 0, 0, GSM, 1000, 7, 7, 0, NULL},
    {"a×1000", 0, -1, 1, 0, GSM, 1000, 7, 7, 0, NULL}, /* negative: no limit */
    /* ... and UCS-2 text */
    {"ж×200", 0, 1, 0, 0, UCS, 70, 1, 3, 1, "ж×70"},
    {"ж×200", 0, 2, 0, 0, UCS, 134, 2, 3, 1, "ж×134"},
    {"ж×71", 0, 1, 0, 0, UCS, 70, 1, 2, 1, "ж×70"},
    {"ж×69😀ж×10", 0, 1, 0, 0, UCS, 69, 1, 2, 1, "ж×69"},
    {"ж×66😀ж×100", 0, 2, 0, 0, UCS, 133, 2, 3, 1, "ж×66😀ж×65"},
    {"ж×133😀", 0, 2, 0, 0, UCS, 133, 2, 3, 1, "ж×133"},
    {"😀×100", 0, 1, 0, 0, UCS, 70, 1, 4, 1, "😀×35"},
    {"😀×100", 0, 2, 0, 0, UCS, 132, 2, 4, 1, "😀×66"},
    /* a cut that drops every non-GSM character leaves GSM text */
    {"a×200ж", 0, 1, 0, 0, GSM, 160, 1, 3, 1, "a×160"},
    {"a×100жa×100", 0, 1, 0, 0, GSM, 100, 1, 3, 1, "a×100"},
    {"a×60жa×100", 0, 1, 0, 0, UCS, 70, 1, 3, 1, "a×60жa×9"},
    {"a×70жa×100", 0, 1, 0, 0, GSM, 70, 1, 3, 1, "a×70"},
    {"жa×200", 0, 1, 0, 0, UCS, 70, 1, 3, 1, "жa×69"},
    {"a×200’", 1, 1, 0, 0, GSM, 160, 1, 2, 1, "a×160"},
    /* refusal leaves the text whole and says what it needs */
    {"a×400", 0, 2, 1, 1, GSM, 400, 3, 3, 0, NULL},
    {"a×306", 0, 2, 1, 0, GSM, 306, 2, 2, 0, NULL},
    {"ж×71", 0, 1, 1, 1, UCS, 71, 2, 2, 0, NULL},
    {"a×152€a×152", 0, 2, 1, 1, GSM, 306, 3, 3, 0, NULL},
    {"a×159’", 1, 1, 1, 0, GSM, 160, 1, 1, 0, "a×159'"},
    {"a×159’", 0, 1, 1, 1, UCS, 160, 3, 3, 0, NULL},
};

/* test_encode - every row of enc_cases */
static void
test_encode(void)
{
    size_t i;

    for (i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
        const struct enc_case *c = &enc_cases[i];
        char *in = build(c->in);
        char *want = build(c->out ? c->out : c->in);
        struct sms_encoded r;
        int rc = sms_encode(in, c->translit, c->limit, c->refuse, &r);
        int good = rc == c->rc && r.coding == c->coding && r.units == c->units &&
                   r.parts == c->parts && r.full_parts == c->full_parts &&
                   r.truncated == c->truncated && r.text && strcmp(r.text, want) == 0 &&
                   r.text != in;

        if (!ok(good, "\"%s\"%s limit=%d%s: %s %d units, %d/%d parts%s", desc(c->in),
                c->translit ? " translit" : "", c->limit, c->refuse ? " refuse" : "",
                c->coding == GSM ? "GSM" : "UCS-2", c->units, c->parts, c->full_parts,
                c->truncated ? ", cut"
                : c->rc      ? ", refused"
                             : "")) {
            diag("  rc %d coding %d units %d parts %d full %d cut %d", rc, r.coding, r.units,
                 r.parts, r.full_parts, r.truncated);
            if (r.text && strcmp(r.text, want) != 0)
                diag("  text \"%s\", want \"%s\"", desc(r.text), desc(want));
        }
        sms_encoded_free(&r);
        xfree(in);
        xfree(want);
    }
}

/* The GSM 7-bit default alphabet in code order, without the escape 0x1B. */
static const char *const gsm_basic[] = {
    "@", "£",  "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å",
    "Δ", "_",  "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ",  "Æ", "æ", "ß",  "É", " ",
    "!", "\"", "#", "¤", "%", "&", "'", "(", ")", "*", "+",  ",", "-", ".",  "/", "0",
    "1", "2",  "3", "4", "5", "6", "7", "8", "9", ":", ";",  "<", "=", ">",  "?", "¡",
    "A", "B",  "C", "D", "E", "F", "G", "H", "I", "J", "K",  "L", "M", "N",  "O", "P",
    "Q", "R",  "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä",  "Ö", "Ñ", "Ü",  "§", "¿",
    "a", "b",  "c", "d", "e", "f", "g", "h", "i", "j", "k",  "l", "m", "n",  "o", "p",
    "q", "r",  "s", "t", "u", "v", "w", "x", "y", "z", "ä",  "ö", "ñ", "ü",  "à",
};

static const char *const gsm_extension[] = {"\f", "^", "{", "}", "\\", "[", "~", "]", "|", EURO};

/*
 * Near misses: characters that look like GSM 03.38 ones but are not in it
 * (the "Α" and "А" are Greek and Cyrillic capitals, U+0391 and U+0410).
 */
static const char *const not_gsm[] = {
    "`", "\t", "\x01", "\x1B", "\x7F", "ç", "á", "Ó", "¢", "ÿ",   "ł",
    "ő", "α",  "ω",    "δ",    "Α",    "µ", "°", "А", ZHE, EMOJI, FFFD,
};

/* cp - the code point of a valid UTF-8 character, for descriptions */
static unsigned long
cp(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = utf8_len(u), i;
    unsigned long c = n == 1 ? u[0] : u[0] & (0x7F >> n);

    for (i = 1; i < n; i++)
        c = (c << 6) | (u[i] & 0x3F);
    return c;
}

/* one_char - coding and units of a single character, and translit alone */
static void
one_char(const char *s, enum sms_coding coding, int units)
{
    struct sms_encoded r;
    char *t = gsm_translit(s);

    sms_encode(s, 0, 0, 0, &r);
    ok(r.coding == coding && r.units == units && r.parts == 1 && strcmp(r.text, s) == 0 &&
           strcmp(t, s) == 0,
       "U+%04lX \"%s\" is %s, %d unit(s), not transliterated", cp(s), desc(s),
       coding == SMS_GSM7 ? "GSM" : "UCS-2", units);
    sms_encoded_free(&r);
    xfree(t);
}

/* test_tables - each character of both GSM tables, and what is not in them */
static void
test_tables(void)
{
    size_t i;
    char all[512] = "";
    struct sms_encoded r;

    is_int(sizeof(gsm_basic) / sizeof(gsm_basic[0]), 127, "127 basic characters besides ESC");
    for (i = 0; i < sizeof(gsm_basic) / sizeof(gsm_basic[0]); i++) {
        one_char(gsm_basic[i], SMS_GSM7, 1);
        strcat(all, gsm_basic[i]);
    }
    sms_encode(all, 0, 0, 0, &r);
    ok(r.coding == SMS_GSM7 && r.units == 127 && r.parts == 1, "whole basic table: 127 septets");
    sms_encoded_free(&r);
    for (i = 0; i < sizeof(gsm_extension) / sizeof(gsm_extension[0]); i++)
        one_char(gsm_extension[i], SMS_GSM7, 2);
    for (i = 0; i < sizeof(not_gsm) / sizeof(not_gsm[0]); i++)
        one_char(not_gsm[i], SMS_UCS2, strcmp(not_gsm[i], EMOJI) == 0 ? 2 : 1);
}

static const struct {
    const char *from, *to;
} translit_cases[] = {
    /* quotes, primes and guillemets */
    {"‘", "'"},
    {"’", "'"},
    {"‚", "'"},
    {"‛", "'"},
    {"′", "'"},
    {"‹", "'"},
    {"›", "'"},
    {"“", "\""},
    {"”", "\""},
    {"„", "\""},
    {"‟", "\""},
    {"″", "\""},
    {"«", "\""},
    {"»", "\""},
    /* hyphens, dashes, minus; bullet and middle dot */
    {"\u2010", "-"},
    {"\u2011", "-"},
    {"‒", "-"},
    {"–", "-"},
    {"—", "-"},
    {"―", "-"},
    {"−", "-"},
    {"•", "-"},
    {"·", "."},
    /* ellipsis and signs */
    {"…", "..."},
    {"™", "TM"},
    {"©", "(c)"},
    {"®", "(R)"},
    /* spaces: no-break, en quad to hair space, narrow no-break */
    {"\u00A0", " "},
    {"\u2000", " "},
    {"\u2001", " "},
    {"\u2002", " "},
    {"\u2003", " "},
    {"\u2004", " "},
    {"\u2005", " "},
    {"\u2006", " "},
    {"\u2007", " "},
    {"\u2008", " "},
    {"\u2009", " "},
    {"\u200A", " "},
    {"\u202F", " "},
    /* invisible: zero-width space, non-joiner, joiner, soft hyphen, BOM */
    {"\u200B", ""},
    {"\u200C", ""},
    {"\u200D", ""},
    {"\u00AD", ""},
    {"\uFEFF", ""},
};

/* test_translit - every mapping, alone and inside a text */
static void
test_translit(void)
{
    size_t i;

    for (i = 0; i < sizeof(translit_cases) / sizeof(translit_cases[0]); i++) {
        const char *from = translit_cases[i].from, *to = translit_cases[i].to;
        char *in = xasprintf("x%sy", from), *want = xasprintf("x%sy", to);
        char *t = gsm_translit(in);
        struct sms_encoded plain, tr, check;

        sms_encode(in, 0, 0, 0, &plain);
        sms_encode(in, 1, 0, 0, &tr);
        sms_encode(to, 0, 0, 0, &check);
        ok(strcmp(t, want) == 0 && plain.coding == SMS_UCS2 && strcmp(plain.text, in) == 0 &&
               tr.coding == SMS_GSM7 && strcmp(tr.text, want) == 0 &&
               tr.units == (int)strlen(want) && check.coding == SMS_GSM7,
           "translit U+%04lX %s -> \"%s\"", cp(from), desc(from), to);
        sms_encoded_free(&plain);
        sms_encoded_free(&tr);
        sms_encoded_free(&check);
        xfree(in);
        xfree(want);
        xfree(t);
    }
    /* the Outlook paragraph the option exists for */
    {
        const char *mail = "\u201CThanks\u201D \u2013 we\u2019ll call at 10\u00A0am\u2026 "
                           "\u2022 bring ID\u00AE";
        char *t = gsm_translit(mail);
        is_str(t, "\"Thanks\" - we'll call at 10 am... - bring ID(R)", "an Outlook sentence");
        xfree(t);
    }
    {
        char *t = gsm_translit("l\u00B7l \u0436 \t \xC0!");
        is_str(t, "l.l \u0436 \t " FFFD "!", "unmapped kept, invalid bytes U+FFFD");
        xfree(t);
    }
    {
        char *t = gsm_translit("");
        is_str(t, "", "translit of empty text");
        xfree(t);
    }
}

/* test_memory - fresh text every time; free is idempotent */
static void
test_memory(void)
{
    struct sms_encoded r;
    const char *in = "hello";

    memset(&r, 0, sizeof(r));
    sms_encoded_free(&r);
    ok(r.text == NULL, "free of a zeroed struct");
    sms_encode(in, 0, 0, 0, &r);
    ok(r.text != NULL && r.text != in && strcmp(r.text, in) == 0, "unchanged text is a copy");
    sms_encoded_free(&r);
    ok(r.text == NULL, "free clears the pointer");
    sms_encoded_free(&r);
    ok(1, "second free is harmless");
}

int
main(void)
{
    test_encode();
    test_tables();
    test_translit();
    test_memory();
    return done_testing();
}
