/*
 * gsm.c - SMS text: GSM 03.38 or UCS-2, parts, transliteration (pure)
 *
 * What a message costs is decided here, so the counting is exact rather
 * than estimated: an SMS is GSM-7 when every character is in the GSM 03.38
 * default alphabet or its extension table (3GPP TS 23.038 section 6.2.1;
 * an extension character is sent as ESC + code and costs two septets),
 * else UCS-2, where a character beyond the BMP is a UTF-16 surrogate pair
 * and costs two units. One part holds 160 septets or 70 units; a
 * concatenated message loses room to the user-data header (TS 23.040
 * 9.2.3.24.1) and holds 153 or 67 per part. A part never ends inside an
 * escape sequence or a surrogate pair, because handsets would show the
 * halves as garbage, so parts are counted by filling them greedily, one
 * whole character at a time; dividing the total by 153 undercounts.
 *
 * The input is UTF-8 from a MIME decoder and may be broken. It is decoded
 * here, strictly: each maximal ill-formed subsequence (The Unicode Standard
 * 3.9, "U+FFFD Substitution of Maximal Subparts") becomes one U+FFFD, and
 * U+FFFD forces UCS-2. The terminating NUL is never a continuation byte,
 * so the decoder never reads past it. Every text handed out is valid UTF-8
 * in fresh memory.
 *
 * Transliteration exists for price: one curly quote that Outlook's
 * AutoCorrect inserts makes a 160-character text UCS-2, and three parts
 * instead of one. It maps only characters that are not GSM to strings that
 * are, and sms_encode uses the result only when it is GSM-7 and needs no
 * more parts than the text as written; a text that must go as UCS-2
 * anyway keeps its typography.
 *
 * No global state; memory only through xalloc.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "gsm.h"
#include "xalloc.h"

#define GSM_SINGLE 160 /* septets in a message of one part */
#define GSM_MULTI 153  /* septets per part once a UDH takes 6 octets */
#define UCS2_SINGLE 70 /* UTF-16 units in one part */
#define UCS2_MULTI 67  /* UTF-16 units per part of a concatenated message */
#define REPLACEMENT 0xFFFDu

/*
 * The GSM 7-bit default alphabet, indexed by its code (TS 23.038 6.2.1).
 * Slot 0x1B is the escape to the extension table, not a character; it
 * holds 0, which a C string never contains. 0x09 is the capital C with
 * cedilla, as in the current standard (early handsets showed c-cedilla).
 */
static const uint16_t gsm_basic[128] = {
    /* 0x00  @ £ $ ¥ è é ù ì */
    0x0040,
    0x00A3,
    0x0024,
    0x00A5,
    0x00E8,
    0x00E9,
    0x00F9,
    0x00EC,
    /* 0x08  ò Ç LF Ø ø CR Å å */
    0x00F2,
    0x00C7,
    0x000A,
    0x00D8,
    0x00F8,
    0x000D,
    0x00C5,
    0x00E5,
    /* 0x10  Δ _ Φ Γ Λ Ω Π Ψ */
    0x0394,
    0x005F,
    0x03A6,
    0x0393,
    0x039B,
    0x03A9,
    0x03A0,
    0x03A8,
    /* 0x18  Σ Θ Ξ ESC Æ æ ß É */
    0x03A3,
    0x0398,
    0x039E,
    0x0000,
    0x00C6,
    0x00E6,
    0x00DF,
    0x00C9,
    /* 0x20  SP ! " # ¤ % & ' */
    0x0020,
    0x0021,
    0x0022,
    0x0023,
    0x00A4,
    0x0025,
    0x0026,
    0x0027,
    /* 0x28  ( ) * + , - . / */
    0x0028,
    0x0029,
    0x002A,
    0x002B,
    0x002C,
    0x002D,
    0x002E,
    0x002F,
    /* 0x30  0-7 */
    0x0030,
    0x0031,
    0x0032,
    0x0033,
    0x0034,
    0x0035,
    0x0036,
    0x0037,
    /* 0x38  8 9 : ; < = > ? */
    0x0038,
    0x0039,
    0x003A,
    0x003B,
    0x003C,
    0x003D,
    0x003E,
    0x003F,
    /* 0x40  ¡ A-G */
    0x00A1,
    0x0041,
    0x0042,
    0x0043,
    0x0044,
    0x0045,
    0x0046,
    0x0047,
    /* 0x48  H-O */
    0x0048,
    0x0049,
    0x004A,
    0x004B,
    0x004C,
    0x004D,
    0x004E,
    0x004F,
    /* 0x50  P-W */
    0x0050,
    0x0051,
    0x0052,
    0x0053,
    0x0054,
    0x0055,
    0x0056,
    0x0057,
    /* 0x58  X Y Z Ä Ö Ñ Ü § */
    0x0058,
    0x0059,
    0x005A,
    0x00C4,
    0x00D6,
    0x00D1,
    0x00DC,
    0x00A7,
    /* 0x60  ¿ a-g */
    0x00BF,
    0x0061,
    0x0062,
    0x0063,
    0x0064,
    0x0065,
    0x0066,
    0x0067,
    /* 0x68  h-o */
    0x0068,
    0x0069,
    0x006A,
    0x006B,
    0x006C,
    0x006D,
    0x006E,
    0x006F,
    /* 0x70  p-w */
    0x0070,
    0x0071,
    0x0072,
    0x0073,
    0x0074,
    0x0075,
    0x0076,
    0x0077,
    /* 0x78  x y z ä ö ñ ü à */
    0x0078,
    0x0079,
    0x007A,
    0x00E4,
    0x00F6,
    0x00F1,
    0x00FC,
    0x00E0,
};

/*
 * The extension table (TS 23.038 6.2.1.1): sent as ESC (0x1B) and the code
 * shown, so each costs two septets. 0x0D (page break, CR2) has no Unicode
 * character of its own and 0x1B is reserved for a further extension.
 */
static const struct {
    uint8_t code;
    uint16_t cp;
} gsm_ext[] = {
    {0x0A, 0x000C}, /* form feed */
    {0x14, 0x005E}, /* ^ */
    {0x28, 0x007B}, /* { */
    {0x29, 0x007D}, /* } */
    {0x2F, 0x005C}, /* \ */
    {0x3C, 0x005B}, /* [ */
    {0x3D, 0x007E}, /* ~ */
    {0x3E, 0x005D}, /* ] */
    {0x40, 0x007C}, /* | */
    {0x65, 0x20AC}, /* € */
};

/*
 * What Outlook and Word AutoCorrect put into mail, and the GSM text sent
 * instead. Every replacement is plain GSM (the unit test checks). "" drops
 * characters that are invisible anyway. The middle dot becomes '.', not
 * '-': it is Outlook's plain-text bullet, but also Catalan's punt volat
 * (l·l), whose accepted fallback is "l.l".
 */
static const struct {
    uint32_t lo, hi;
    const char *to;
} translit_map[] = {
    {0x00A0, 0x00A0, " "},   /* no-break space */
    {0x00A9, 0x00A9, "(c)"}, /* © */
    {0x00AB, 0x00AB, "\""},  /* « */
    {0x00AD, 0x00AD, ""},    /* soft hyphen */
    {0x00AE, 0x00AE, "(R)"}, /* ® */
    {0x00B7, 0x00B7, "."},   /* · middle dot */
    {0x00BB, 0x00BB, "\""},  /* » */
    {0x2000, 0x200A, " "},   /* en quad ... hair space, incl. figure space */
    {0x200B, 0x200D, ""},    /* zero-width space, non-joiner, joiner */
    {0x2010, 0x2015, "-"},   /* hyphen, non-breaking hyphen, dashes, bar */
    {0x2018, 0x201B, "'"},   /* ‘ ’ ‚ ‛ */
    {0x201C, 0x201F, "\""},  /* “ ” „ ‟ */
    {0x2022, 0x2022, "-"},   /* • bullet */
    {0x2026, 0x2026, "..."}, /* … */
    {0x202F, 0x202F, " "},   /* narrow no-break space */
    {0x2032, 0x2032, "'"},   /* ′ prime */
    {0x2033, 0x2033, "\""},  /* ″ double prime */
    {0x2039, 0x203A, "'"},   /* ‹ › */
    {0x2122, 0x2122, "TM"},  /* ™ */
    {0x2212, 0x2212, "-"},   /* − minus sign */
    {0xFEFF, 0xFEFF, ""},    /* byte order mark, zero-width no-break space */
};

#define TRANSLIT_MAX 3 /* longest replacement, in characters */

/* gsm_septets - septets for one character: 1 basic, 2 extension, 0 none */
static int
gsm_septets(uint32_t cp)
{
    size_t i;

    if (cp == 0)
        return 0;
    for (i = 0; i < sizeof(gsm_basic) / sizeof(gsm_basic[0]); i++)
        if (gsm_basic[i] == cp)
            return 1;
    for (i = 0; i < sizeof(gsm_ext) / sizeof(gsm_ext[0]); i++)
        if (gsm_ext[i].cp == cp)
            return 2;
    return 0;
}

/* char_units - cost of one character in the given coding (0: not codable) */
static int
char_units(uint32_t cp, enum sms_coding coding)
{
    if (coding == SMS_GSM7)
        return gsm_septets(cp);
    return cp > 0xFFFF ? 2 : 1;
}

/* utf8_next - decode one character, advance *sp; ill-formed -> U+FFFD */
static uint32_t
utf8_next(const unsigned char **sp)
{
    const unsigned char *s = *sp;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    uint32_t cp;
    int need, i;

    if (s[0] < 0x80) {
        *sp = s + 1;
        return s[0];
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        need = 1;
        cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        need = 2;
        cp = s[0] & 0x0F;
        if (s[0] == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (s[0] == 0xED)
            hi = 0x9F; /* UTF-16 surrogates U+D800..U+DFFF */
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        need = 3;
        cp = s[0] & 0x07;
        if (s[0] == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (s[0] == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        /* a continuation byte without a lead, C0/C1 (always overlong), F5..FF */
        *sp = s + 1;
        return REPLACEMENT;
    }
    /*
     * A byte outside the expected range ends the ill-formed subsequence
     * and is not consumed: it may start the next character. NUL is never
     * in range, so decoding stops at the terminator.
     */
    for (i = 1; i <= need; i++) {
        if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF)) {
            *sp = s + i;
            return REPLACEMENT;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *sp = s + need + 1;
    return cp;
}

/* utf8_decode - the characters of a C string, in fresh memory */
static uint32_t *
utf8_decode(const char *utf8, size_t *n_r)
{
    const unsigned char *s = (const unsigned char *)utf8;
    uint32_t *cps = xmalloc((strlen(utf8) + 1) * sizeof(*cps));
    size_t n = 0;

    while (*s)
        cps[n++] = utf8_next(&s);
    *n_r = n;
    return cps;
}

/* utf8_encode - characters back to a NUL-terminated UTF-8 string */
static char *
utf8_encode(const uint32_t *cps, size_t n)
{
    char *out = xmalloc(n * 4 + 1);
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        uint32_t c = cps[i];
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[o++] = (char)(0xE0 | (c >> 12));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | (c >> 18));
            out[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = 0;
    return out;
}

/* translit_lookup - the GSM replacement for one character, or NULL */
static const char *
translit_lookup(uint32_t cp)
{
    size_t i;

    if (cp < 0xA0)
        return NULL;
    for (i = 0; i < sizeof(translit_map) / sizeof(translit_map[0]); i++)
        if (cp >= translit_map[i].lo && cp <= translit_map[i].hi)
            return translit_map[i].to;
    return NULL;
}

/* translit_apply - transliterate n characters into fresh memory */
static uint32_t *
translit_apply(const uint32_t *in, size_t n, size_t *n_r)
{
    uint32_t *out = xmalloc((n * TRANSLIT_MAX + 1) * sizeof(*out));
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        const char *to = translit_lookup(in[i]);
        if (to == NULL)
            out[o++] = in[i];
        else
            while (*to)
                out[o++] = (unsigned char)*to++;
    }
    *n_r = o;
    return out;
}

/*
 * Parts of a growing text. Both ways of counting run side by side: the
 * total decides whether the text fits in a single part, and the greedy
 * fill of multipart-sized parts counts the parts otherwise.
 */
struct seg {
    size_t units; /* septets or UTF-16 units so far */
    size_t multi; /* parts when sent as a concatenated message */
    size_t used;  /* units in the last of those parts */
};

/* seg_add - append one character of cost c to parts of size cap */
static void
seg_add(struct seg *s, int c, size_t cap)
{
    if (s->multi == 0 || s->used + (size_t)c > cap) {
        s->multi++;
        s->used = 0;
    }
    s->used += (size_t)c;
    s->units += (size_t)c;
}

/* seg_parts - parts needed so far: 0 for nothing, 1 if it fits in one */
static size_t
seg_parts(const struct seg *s, size_t single)
{
    if (s->units == 0)
        return 0;
    return s->units <= single ? 1 : s->multi;
}

/* clamp - a count for an int field; texts that large are bounded earlier */
static int
clamp(size_t v)
{
    return v > INT_MAX ? INT_MAX : (int)v;
}

/*
 * fit - the longest prefix that goes in at most limit parts (0: all) in
 * the given coding, stopping at the first character the coding cannot
 * carry; counts of that prefix in *seg_r. Fitting is monotone (a longer
 * prefix never needs fewer parts), so the first character that does not
 * fit ends the prefix.
 */
static size_t
fit(const uint32_t *cps, size_t n, enum sms_coding coding, size_t limit, struct seg *seg_r)
{
    size_t single = coding == SMS_GSM7 ? GSM_SINGLE : UCS2_SINGLE;
    size_t multi = coding == SMS_GSM7 ? GSM_MULTI : UCS2_MULTI;
    struct seg s = {0, 0, 0}, t;
    size_t k;

    for (k = 0; k < n; k++) {
        int c = char_units(cps[k], coding);
        if (c == 0)
            break;
        t = s;
        seg_add(&t, c, multi);
        if (limit > 0 && seg_parts(&t, single) > limit)
            break;
        s = t;
    }
    *seg_r = s;
    return k;
}

/* measure - coding and parts of a whole text */
static enum sms_coding
measure(const uint32_t *cps, size_t n, struct seg *seg_r)
{
    if (fit(cps, n, SMS_GSM7, 0, seg_r) == n)
        return SMS_GSM7;
    fit(cps, n, SMS_UCS2, 0, seg_r);
    return SMS_UCS2;
}

/* sms_encode - coding, units and parts of a text, cut to a part limit */
int
sms_encode(const char *utf8, int translit, int limit, int refuse_over, struct sms_encoded *r)
{
    size_t n, tn, k;
    uint32_t *cps = utf8_decode(utf8, &n);
    struct seg all, cut;
    enum sms_coding coding;
    size_t single, parts;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    coding = measure(cps, n, &all);
    if (translit && coding == SMS_UCS2) {
        uint32_t *t = translit_apply(cps, n, &tn);
        struct seg tall;
        /*
         * Use the transliteration only when it is cheaper or as cheap:
         * sixty ellipses go in one UCS-2 part, but "..." sixty times
         * needs two GSM parts.
         */
        if (measure(t, tn, &tall) == SMS_GSM7 &&
            seg_parts(&tall, GSM_SINGLE) <= seg_parts(&all, UCS2_SINGLE)) {
            xfree(cps);
            cps = t;
            n = tn;
            all = tall;
            coding = SMS_GSM7;
        } else {
            xfree(t);
        }
    }
    single = coding == SMS_GSM7 ? GSM_SINGLE : UCS2_SINGLE;
    parts = seg_parts(&all, single);
    r->full_parts = clamp(parts);
    k = n;
    cut = all;
    if (limit > 0 && parts > (size_t)limit) {
        if (refuse_over) {
            rc = 1;
        } else {
            /*
             * Cut where the most text survives. When the only non-GSM
             * characters of a UCS-2 text lie past the cut, the rest goes
             * as GSM-7, which holds more than twice as much, so both cuts
             * are tried. On a tie the GSM-7 cut wins: a UCS-2 prefix that
             * is all GSM characters always fits as GSM-7 too, so the UCS-2
             * cut is kept only when it contains a non-GSM character, and
             * r->coding always describes r->text.
             */
            struct seg g;
            size_t kg = fit(cps, n, SMS_GSM7, (size_t)limit, &g);
            k = fit(cps, n, coding, (size_t)limit, &cut);
            if (kg >= k) {
                k = kg;
                cut = g;
                coding = SMS_GSM7;
            }
            r->truncated = 1;
        }
    }
    r->text = utf8_encode(cps, k);
    r->coding = coding;
    r->units = clamp(cut.units);
    r->parts = clamp(seg_parts(&cut, coding == SMS_GSM7 ? GSM_SINGLE : UCS2_SINGLE));
    xfree(cps);
    return rc;
}

/* sms_encoded_free - release the text; safe on a zeroed or freed struct */
void
sms_encoded_free(struct sms_encoded *r)
{
    xfree(r->text);
    r->text = NULL;
}

/* gsm_translit - the transliteration alone, in fresh memory */
char *
gsm_translit(const char *utf8)
{
    size_t n, tn;
    uint32_t *cps = utf8_decode(utf8, &n);
    uint32_t *t = translit_apply(cps, n, &tn);
    char *out = utf8_encode(t, tn);

    xfree(cps);
    xfree(t);
    return out;
}
