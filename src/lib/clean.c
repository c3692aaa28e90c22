/*
 * clean.c - cut a mail's text down to what the person meant (pure)
 *
 * SUMMARY
 *	The text of a mail arrives here already taken out of MIME and in
 *	UTF-8 (mime.c, html.c). What goes on to the carrier is what a careful
 *	person would copy from it into a text message: the lines the author
 *	wrote, without the quoted thread, inline quotes, the signature, mobile
 *	taglines, disclaimers, and without what a mail client would not show.
 *
 * DESCRIPTION
 *	Three passes, each linear:
 *
 *	1. normalize() makes one spelling of the text: every blank (tab,
 *	   U+00A0 and the other Unicode spaces) is one ' ', lines are trimmed,
 *	   CRLF, CR, U+2028 and U+2029 are '\n', invisible characters (controls,
 *	   soft hyphens, zero-width spaces, bidi overrides, BOMs) are gone and
 *	   a byte that is not UTF-8 becomes '?'. Every later rule can then
 *	   compare plain bytes.
 *
 *	2. scan() walks the lines forward, drops lines quoted with '>' and
 *	   Outlook's "[cid:...]" image placeholders, and stops at the first
 *	   cut: the configured end marker (even mid-line), a line holding the
 *	   configured disclaimer, "-- ", an attribution ("On ... wrote:" and
 *	   its translations, also wrapped over two lines), a forward or
 *	   "Original Message" banner, Outlook's "From:" + "Sent:" block, or a
 *	   paragraph worded as a confidentiality disclaimer.
 *
 *	3. tail_clean() looks back over the last few lines kept: a mobile
 *	   tagline ("Sent from my iPhone") among the last three goes, then a
 *	   closing ("Regards,") followed only by lines that look like a
 *	   signature (short, names, titles, phone numbers, addresses).
 *
 *	The rules would rather cut too little than too much: a signature left
 *	in costs an SMS a few characters, a sentence cut loses what the person
 *	meant. So the sign-off and the built-in disclaimer rule never take the
 *	first line of content, an attribution needs a time of day, and a
 *	"From:" line is a header only when "Sent:" or "Date:" with a year and
 *	a time follows it.
 *
 *	Someone who forwards a mail to an SMS address with nothing (or only
 *	"FYI", or only their signature) above it means the forwarded text:
 *	then the forward's headers are skipped and its text is cleaned in
 *	turn. A reply with nothing above the quote said nothing, and gives "".
 *
 *	Interleaved replies (the attribution first, then '>' quotes with
 *	answers between them) keep the answers: an attribution with nothing
 *	of the author's above it that introduces '>' lines is dropped like the
 *	quotes, not taken as the start of the thread.
 *
 * LIMITS
 *	Chosen misses, each safer than the guess that would catch it: a
 *	signature block with no closing above it stays ("Jane Smith / M 0412
 *	345 678" may be the content); a closing and name on one line ("Cheers,
 *	Dave") stays; text above an attribution makes everything below it the
 *	thread, so answers written inline below a top note are lost; lines
 *	hard-wrapped by the sender stay as they are (format=flowed is MIME's
 *	business); "<mailto:...>" and "<http...>" copies of link targets that
 *	Outlook writes into text/plain stay.
 *
 * BOUNDS
 *	Every look-ahead and look-back is a few lines (the constants below);
 *	the output is never longer than the input and is always valid UTF-8.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "clean.h"
#include "xalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ATTRIB_MAX 300      /* an "On ... wrote:" longer than this is prose */
#define HEADER_GAP 4        /* Outlook's "Sent:" comes within this many lines of "From:" */
#define TAGLINE_LINES 3     /* "Sent from my iPhone" is among the last lines */
#define TAGLINE_MAX 64      /* and short: a longer line starting so is prose */
#define SIGNOFF_LINES 10    /* "Regards," + name, title, company, phones, address */
#define SIG_LINE_MAX 72     /* a signature line without contact details */
#define SIG_CONTACT_MAX 160 /* "T +61 2 ... | M 0412 ... | www.example.com" */
#define DISCLAIMER_LINES 8  /* both halves of a disclaimer's wording lie this close */
#define UNQUOTE_MAX 8       /* '>'-quoted forwards unwrapped, one copy each */

/* ------------------------------------------------------------------------ */
/* Normalising                                                              */
/* ------------------------------------------------------------------------ */

/* utf8_len - length of the well-formed UTF-8 sequence at s (n bytes left), 0 if none */
static size_t
utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0], lo = 0x80, hi = 0xbf;
    size_t len, i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    /* RFC 3629 table 4: no overlong forms, no surrogates, nothing past U+10FFFF */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if (s[i] < lo || s[i] > hi)
            return 0;
        lo = 0x80;
        hi = 0xbf;
        v = v << 6 | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

enum cls { C_KEEP, C_BLANK, C_BREAK, C_DROP };

/* classify - what a code point is to a reader of the text */
static enum cls
classify(uint32_t c)
{
    if (c == '\n' || c == '\v' || c == '\f' || c == 0x85 || c == 0x2028 || c == 0x2029)
        return C_BREAK;
    if (c == ' ' || c == '\t' || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
        c == 0x202f || c == 0x205f || c == 0x3000)
        return C_BLANK;
    /*
     * What a mail client does not show: controls, the soft hyphen, zero
     * width space, direction marks and overrides (which can also reorder
     * what a reader sees), invisible operators, the BOM. ZWJ and ZWNJ stay:
     * emoji sequences and some scripts need them.
     */
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xad || c == 0x180e || c == 0x200b ||
        c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
        (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff)
        return C_DROP;
    return C_KEEP;
}

/*
 * normalize - one spelling of the text: blanks as one ' ', lines trimmed,
 * '\n' between lines, never two empty lines in a row nor any at the ends,
 * no invisible characters, '?' for each byte that is not UTF-8. With
 * lines == 0 every line break is a blank too (a subject, a marker). out
 * holds len + 1 bytes: each byte written stands for at least one read.
 */
static size_t
normalize(const char *in, size_t len, char *out, int lines)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0, k, line = 0;
    int blank = 0, empty = 1, bad;
    uint32_t c = 0;
    enum cls cl;

    while (i < len) {
        k = utf8_len(s + i, len - i, &c);
        bad = k == 0;
        if (bad) {
            k = 1;
            cl = C_KEEP;
        } else if (c == '\r')
            cl = i + 1 < len && s[i + 1] == '\n' ? C_DROP : C_BREAK;
        else
            cl = classify(c);
        if (cl == C_BREAK && !lines)
            cl = C_BLANK;
        switch (cl) {
        case C_BREAK:
            blank = 0;
            if (line > 0 || !empty)
                out[o++] = '\n';
            empty = line == 0;
            line = 0;
            break;
        case C_BLANK:
            blank = line > 0;
            break;
        case C_DROP:
            break;
        case C_KEEP:
            if (blank)
                out[o++] = ' ';
            blank = 0;
            /* '?' keeps the length and shows that something was there */
            if (bad)
                out[o++] = '?';
            else {
                memcpy(out + o, s + i, k);
                o += k;
            }
            line += k;
            break;
        }
        i += k;
    }
    while (o > 0 && out[o - 1] == '\n')
        o--;
    out[o] = 0;
    return o;
}

/* ------------------------------------------------------------------------ */
/* Comparing                                                                */
/* ------------------------------------------------------------------------ */

/* lower - ASCII lower case; UTF-8 bytes pass unchanged, so boundaries stay */
static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* prefix_ci - s (len bytes) starts with lit, ASCII letters in either case */
static int
prefix_ci(const char *s, size_t len, const char *lit)
{
    size_t i, k = strlen(lit);

    if (k > len)
        return 0;
    for (i = 0; i < k; i++)
        if (lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

/* suffix_ci - s (len bytes) ends with lit */
static int
suffix_ci(const char *s, size_t len, const char *lit)
{
    size_t k = strlen(lit);

    return k <= len && prefix_ci(s + len - k, k, lit);
}

/* equal_ci - s (len bytes) is lit */
static int
equal_ci(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && prefix_ci(s, len, lit);
}

/* contains_ci - lit (lower case) occurs in s; s is short or already lower case */
static int
contains_ci(const char *s, size_t len, const char *lit)
{
    size_t k = strlen(lit), i;

    for (i = 0; i + k <= len; i++)
        if (lower((unsigned char)s[i]) == lit[0] && prefix_ci(s + i, len - i, lit))
            return 1;
    return 0;
}

/* equal_any - s is one of list */
static int
equal_any(const char *s, size_t len, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (equal_ci(s, len, list[i]))
            return 1;
    return 0;
}

/* prefix_any - s starts with one of list */
static int
prefix_any(const char *s, size_t len, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (prefix_ci(s, len, list[i]))
            return 1;
    return 0;
}

/* contains_any - one of list occurs in s */
static int
contains_any(const char *s, size_t len, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (contains_ci(s, len, list[i]))
            return 1;
    return 0;
}

#define DIGIT(c) ((c) >= '0' && (c) <= '9')

/* has_time - s holds a time of day such as "9:12" or "09:12:44" */
static int
has_time(const char *s, size_t len)
{
    size_t i;

    for (i = 1; i + 2 < len; i++)
        if (s[i] == ':' && DIGIT(s[i - 1]) && DIGIT(s[i + 1]) && DIGIT(s[i + 2]))
            return 1;
    return 0;
}

/* has_year - s holds a four-digit year such as "2024" */
static int
has_year(const char *s, size_t len)
{
    size_t i, run = 0;

    for (i = 0; i < len; i++) {
        run = DIGIT(s[i]) ? run + 1 : 0;
        if (run == 4 && (i + 1 == len || !DIGIT(s[i + 1])) && (s[i - 3] == '1' || s[i - 3] == '2'))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Lines that start the thread                                              */
/* ------------------------------------------------------------------------ */

/*
 * The attribution a client writes above a quote, by language: it starts
 * with "start" (case as written), ends with "end" before the final ':' (an
 * optional space before it, as French typography has), or holds "mid".
 */
static const struct {
    const char *start, *mid, *end;
} attribs[] = {
    {"On ", NULL, "wrote"},      /* Gmail, Apple Mail, Thunderbird, Outlook for Mac */
    {"Am ", " schrieb ", NULL},  /* "Am 05.03.2024 um 09:12 schrieb Jane <...>:" */
    {"Le ", NULL, "a écrit"},    /* "Le mar. 5 mars 2024 à 09:12, Jane <...> a écrit :" */
    {"Op ", " schreef ", NULL},  /* "Op di 5 mrt 2024 om 09:12 schreef Jane <...>:" */
    {"Op ", NULL, "geschreven"}, /* Apple Mail: "... het volgende geschreven:" */
    {"El ", NULL, "escribió"},   /* "El mar, 5 mar 2024 a las 9:12, Jane (<...>) escribió:" */
    {"Il ", NULL, "ha scritto"}, /* "Il giorno mar 5 mar 2024 alle 09:12 Jane ha scritto:" */
    {"Em ", NULL, "escreveu"},   /* "Em ter., 5 de mar. de 2024 às 09:12, Jane escreveu:" */
    {"Den ", " skrev ", NULL},   /* "Den tis 5 mars 2024 kl 09:12 skrev Jane <...>:" */
};

/* attribution_text - s is a whole attribution such as "On <date>, <name> wrote:" */
static int
attribution_text(const char *s, size_t len)
{
    size_t i, b;

    if (len < 6 || len > ATTRIB_MAX || s[len - 1] != ':')
        return 0;
    b = len - 1;
    if (s[b - 1] == ' ')
        b--;
    /* every client writes the time; prose such as "On Monday Bob wrote:" has none */
    if (has_time(s, b))
        for (i = 0; i < NELEM(attribs); i++)
            if (strncmp(s, attribs[i].start, strlen(attribs[i].start)) == 0 &&
                (!attribs[i].mid || contains_ci(s, b, attribs[i].mid)) &&
                (!attribs[i].end || suffix_ci(s, b, attribs[i].end)))
                return 1;
    /* "Jane Smith <jane@example.com> wrote:" (mutt, older Thunderbird): the address tells */
    return suffix_ci(s, b, " wrote") && memchr(s, '@', b) && memchr(s, '<', b);
}

/* Forward and reply banners, without their dashes: "-----Original Message-----" */
static const char *const banners[] = {
    "original message",          "forwarded message",       "ursprüngliche nachricht",
    "weitergeleitete nachricht", "message d'origine",       "message original",
    "message transféré",         "mensaje original",        "mensaje reenviado",
    "messaggio originale",       "messaggio inoltrato",     "oorspronkelijk bericht",
    "doorgestuurd bericht",      "ursprungligt meddelande", "vidarebefordrat meddelande",
    "oprindelig meddelelse",     "videresendt meddelelse",  "opprinnelig melding",
    "videresendt melding",
};

/* Apple Mail's forward, by language */
static const char *const fwd_intros[] = {
    "begin forwarded message:",      "anfang der weitergeleiteten nachricht:",
    "début du message réexpédié :",  "début du message réexpédié:",
    "inicio del mensaje reenviado:", "begin doorgestuurd bericht:",
    "inizio messaggio inoltrato:",
};

/* forward_banner - s is "---------- Forwarded message ---------" or the like */
static int
forward_banner(const char *s, size_t len)
{
    size_t a = 0, b = len;

    if (len >= 4 && s[0] == '-' && s[1] == '-') {
        while (a < b && (s[a] == '-' || s[a] == ' '))
            a++;
        while (b > a && (s[b - 1] == '-' || s[b - 1] == ' '))
            b--;
        /* Lotus Notes: "----- Forwarded by Jane Smith/Example on 05/03/2024 -----" */
        return equal_any(s + a, b - a, banners, NELEM(banners)) ||
               prefix_ci(s + a, b - a, "forwarded by ");
    }
    return equal_any(s, len, fwd_intros, NELEM(fwd_intros));
}

/* Header names of the block a client writes above a quoted or forwarded mail */
static const char *const hdr_from[] = {"from", "von", "de", "van", "da", "från", "fra", "od"};
static const char *const hdr_date[] = {
    "sent",       "date",  "gesendet", "datum", "envoyé",  "verzonden", "enviado",
    "enviado el", "fecha", "inviato",  "data",  "skickat", "sendt",     "wysłano",
};
static const char *const hdr_other[] = {
    "to",   "cc",    "bcc", "subject",   "reply-to", "an",     "betreff",    "à",
    "À",    "objet", "aan", "onderwerp", "para",     "asunto", "a",          "oggetto",
    "till", "ämne",  "til", "emne",      "do",       "temat",  "importance",
};

/*
 * header - s is "Name: value" with Name in list; also "*From:*" (bold
 * turned to text) and "De :" (French spacing). The value's offset goes to
 * *value_r.
 */
static int
header(const char *s, size_t len, const char *const *list, size_t n, size_t *value_r)
{
    size_t i = 0, ns, ne;

    if (i < len && s[i] == '*')
        i++;
    ns = i;
    while (i < len && i - ns <= 24 && s[i] != ':')
        i++;
    if (i >= len || s[i] != ':')
        return 0;
    ne = i;
    while (ne > ns && (s[ne - 1] == ' ' || s[ne - 1] == '*'))
        ne--;
    if (!equal_any(s + ns, ne - ns, list, n))
        return 0;
    for (i++; i < len && (s[i] == '*' || s[i] == ' ');)
        i++;
    *value_r = i;
    return 1;
}

/* any_header - s is a line of a header block */
static int
any_header(const char *s, size_t len)
{
    size_t v;

    return header(s, len, hdr_from, NELEM(hdr_from), &v) ||
           header(s, len, hdr_date, NELEM(hdr_date), &v) ||
           header(s, len, hdr_other, NELEM(hdr_other), &v);
}

/* ------------------------------------------------------------------------ */
/* Lines at the end                                                         */
/* ------------------------------------------------------------------------ */

/* Mobile and webmail taglines; a whole line near the end */
static const struct {
    const char *start, *end;
} taglines[] = {
    {"sent from my ", NULL},         {"sent from mail for windows", NULL},
    {"sent from yahoo mail", NULL},  {"sent from outlook", NULL},
    {"sent from aol", NULL},         {"sent from the all new aol app", NULL},
    {"sent from samsung", NULL},     {"sent from blackberry", NULL},
    {"sent via blackberry", NULL},   {"sent via the samsung", NULL},
    {"sent with protonmail", NULL},  {"sent with proton mail", NULL},
    {"get outlook for ", NULL},      {"von meinem ", "gesendet"},
    {"envoyé de mon ", NULL},        {"envoyé depuis mon ", NULL},
    {"verzonden vanaf mijn ", NULL}, {"verstuurd vanaf mijn ", NULL},
    {"enviado desde mi ", NULL},     {"enviado do meu ", NULL},
    {"inviato da iphone", NULL},     {"inviato dal mio ", NULL},
    {"skickat från min ", NULL},     {"sendt fra min ", NULL},
};

/* tagline - s is "Sent from my iPhone", "Get Outlook for iOS<https://aka.ms/o0ukef>"... */
static int
tagline(const char *s, size_t len)
{
    size_t i, b = len;

    if (len > TAGLINE_MAX)
        return 0;
    while (b > 0 && (s[b - 1] == '.' || s[b - 1] == '!'))
        b--;
    for (i = 0; i < NELEM(taglines); i++)
        if (prefix_ci(s, len, taglines[i].start) &&
            (!taglines[i].end || suffix_ci(s, b, taglines[i].end)))
            return 1;
    return 0;
}

/* Closings, compared without their trailing punctuation */
static const char *const closings[] = {
    "regards",
    "kind regards",
    "best regards",
    "warm regards",
    "warmest regards",
    "kindest regards",
    "many regards",
    "with regards",
    "with kind regards",
    "with best regards",
    "best",
    "all the best",
    "best wishes",
    "cheers",
    "many thanks",
    "thanks",
    "thank you",
    "thanks again",
    "thanks very much",
    "thank you very much",
    "thanks so much",
    "thanks in advance",
    "thanks heaps",
    "thx",
    "ta",
    "sincerely",
    "yours sincerely",
    "sincerely yours",
    "yours faithfully",
    "yours truly",
    "respectfully",
    "take care",
    "rgds",
    "regds",
    "br",
    "kr",
    "mit freundlichen grüßen",
    "mit freundlichen grüssen",
    "freundliche grüße",
    "freundliche grüsse",
    "viele grüße",
    "viele grüsse",
    "beste grüße",
    "liebe grüße",
    "schöne grüße",
    "grüße",
    "gruß",
    "lg",
    "mfg",
    "vg",
    "cordialement",
    "bien cordialement",
    "bien à vous",
    "salutations",
    "sincères salutations",
    "met vriendelijke groet",
    "met vriendelijke groeten",
    "vriendelijke groet",
    "groeten",
    "groet",
    "mvg",
    "saludos",
    "un saludo",
    "saludos cordiales",
    "atentamente",
    "cordiali saluti",
    "distinti saluti",
    "saluti",
    "atenciosamente",
    "abraços",
    "med vänliga hälsningar",
    "vänliga hälsningar",
    "med venlig hilsen",
    "mvh",
};

/* closing - s is a closing such as "Kind regards," or "Thanks!" on its own */
static int
closing(const char *s, size_t len)
{
    while (len > 0 && strchr(",.!:;- ", s[len - 1]))
        len--;
    return equal_any(s, len, closings, NELEM(closings));
}

static const char *const greetings[] = {
    "hi",           "hello",          "hey",     "dear",  "hallo",
    "hoi",          "bonjour",        "hola",    "ciao",  "g'day",
    "good morning", "good afternoon", "morning", "liebe", "lieber",
    "sehr geehrte", "guten tag",      "moin",    "hej",
};

/* greeting - s is "Hi Bob," or "Dear Ms Smith": no content of its own */
static int
greeting(const char *s, size_t len)
{
    size_t i, k;

    if (len > 40)
        return 0;
    for (i = 0; i < NELEM(greetings); i++) {
        k = strlen(greetings[i]);
        if (prefix_ci(s, len, greetings[i]) && (k == len || strchr(" ,!", s[k])))
            return 1;
    }
    return 0;
}

/* has_phone - eight or more digits with only separators between them */
static int
has_phone(const char *s, size_t len)
{
    size_t i, digits = 0;

    for (i = 0; i < len; i++)
        if (s[i] >= '0' && s[i] <= '9') {
            if (++digits >= 8)
                return 1;
        } else if (!strchr(" -.()+/", s[i]))
            digits = 0;
    return 0;
}

/*
 * signature_like - s could be a line of a signature block: a name, a
 * title, a company, an address, contact details; not a sentence, a
 * question or a postscript.
 */
static int
signature_like(const char *s, size_t len)
{
    size_t i = 0, w, lc = 0;
    int contact;

    if (len > SIG_CONTACT_MAX)
        return 0;
    if (prefix_ci(s, len, "p.s") || prefix_ci(s, len, "ps:") || prefix_ci(s, len, "ps "))
        return 0;
    if (len > 0 && s[len - 1] == '?')
        return 0;
    contact = has_phone(s, len) || memchr(s, '@', len) || contains_ci(s, len, "http://") ||
              contains_ci(s, len, "https://") || contains_ci(s, len, "www.");
    if (!contact && len > SIG_LINE_MAX)
        return 0;
    /*
     * Sentences have several lower-case words ("I'll be there at 5"); names,
     * titles and addresses have few ("Head of Operations", "Level 5, 100
     * George St"). Words with digits, '@', '/' or ':' are no such evidence.
     */
    while (i < len) {
        for (w = i; i < len && s[i] != ' ';)
            i++;
        if (s[w] >= 'a' && s[w] <= 'z') {
            size_t j;
            for (j = w; j < i && !strchr("@/:0123456789", s[j]);)
                j++;
            lc += j == i;
        }
        while (i < len && s[i] == ' ')
            i++;
    }
    return lc < (contact ? 5u : 3u);
}

/* decoration - s is a rule such as "____________" or "-----" left at the end */
static int
decoration(const char *s, size_t len)
{
    size_t i, marks = 0;

    for (i = 0; i < len; i++)
        if (strchr("-_=*~+#", s[i]))
            marks++;
        else if (s[i] != ' ')
            return 0;
    return marks >= 3;
}

/* Built-in disclaimer wording: one of each kind within a few lines */
static const char *const disc_secret[] = {
    "confidential", "privileged",    "disclaimer",   "vertraulich",
    "confidentiel", "vertrouwelijk", "confidencial", "riservat",
};
static const char *const disc_reader[] = {
    "intended recipient",
    "intended solely",
    "intended only for",
    "intended exclusively",
    "addressee",
    "received this e-mail in error",
    "received this email in error",
    "received this message in error",
    "notify the sender",
    "empfänger",
    "destinataire",
    "geadresseerde",
    "destinatario",
};
/* the first few of disc_reader are never ordinary prose: a line with one may begin a disclaimer */
#define DISC_READER_STRONG 3
/* how such a paragraph begins when its first line has neither */
static const char *const disc_openers[] = {
    "this e-mail",  "this email",      "this message", "this communication", "this transmission",
    "diese e-mail", "diese nachricht", "ce message",   "ce courriel",        "dit bericht",
    "deze e-mail",  "este mensaje",    "este correo",
};

/* ------------------------------------------------------------------------ */
/* The text and its lines                                                   */
/* ------------------------------------------------------------------------ */

struct text {
    char *s;   /* normalised; lines separated by '\n', an empty line is "\n\n" */
    char *low; /* the same in ASCII lower case, for the disclaimer searches */
    size_t n;
};

/* text_set - take s (normalised, n bytes) and make its lower-case twin */
static void
text_set(struct text *t, char *s, size_t n)
{
    size_t i;

    t->s = s;
    t->n = n;
    t->low = xmalloc(n + 1);
    for (i = 0; i <= n; i++)
        t->low[i] = (char)lower((unsigned char)s[i]);
}

/* text_free - release both copies */
static void
text_free(struct text *t)
{
    xfree(t->s);
    xfree(t->low);
}

/* eol - end of the line that starts at p */
static size_t
eol(const struct text *t, size_t p)
{
    const char *q = memchr(t->s + p, '\n', t->n - p);

    return q ? (size_t)(q - t->s) : t->n;
}

/* next_line - start of the line after the one ending at e */
static size_t
next_line(const struct text *t, size_t e)
{
    return e < t->n ? e + 1 : e;
}

/* skip_empty - the first non-empty line at or after p */
static size_t
skip_empty(const struct text *t, size_t p)
{
    while (p < t->n && t->s[p] == '\n')
        p++;
    return p;
}

/* find - first occurrence of needle in hay at or after p; t->n if none */
static size_t
find(const struct text *t, const char *hay, size_t p, const char *needle)
{
    /* hay is NUL-terminated and holds no NUL: strstr is linear in glibc and musl */
    const char *q = strstr(hay + p, needle);

    return q ? (size_t)(q - hay) : t->n;
}

/*
 * attribution - the line at p (ending at e), alone or joined with the next
 * (Gmail wraps at 78 columns, often right before "wrote:"), is an
 * attribution; *after_r is where the quote it introduces starts.
 */
static int
attribution(const struct text *t, size_t p, size_t e, size_t *after_r)
{
    char buf[ATTRIB_MAX + 1];
    size_t p2, e2, n1 = e - p;

    if (attribution_text(t->s + p, n1)) {
        *after_r = next_line(t, e);
        return 1;
    }
    if (e >= t->n || n1 >= ATTRIB_MAX || strchr(".?!:", t->s[e - 1]))
        return 0;
    p2 = e + 1;
    e2 = eol(t, p2);
    if (e2 == p2 || t->s[e2 - 1] != ':' || t->s[p2] == '>' || n1 + 1 + (e2 - p2) > ATTRIB_MAX)
        return 0;
    memcpy(buf, t->s + p, n1);
    buf[n1] = ' ';
    memcpy(buf + n1 + 1, t->s + p2, e2 - p2);
    if (!attribution_text(buf, n1 + 1 + (e2 - p2)))
        return 0;
    *after_r = next_line(t, e2);
    return 1;
}

/*
 * timestamp - s holds a year and a time of day, as every client writes
 * them in the header block ("Monday, 4 March 2024 3:12 PM", "Tue, 5 Mar
 * 2024 at 09:12"); a note such as "Date: Tuesday" has not.
 */
static int
timestamp(const char *s, size_t len)
{
    return has_year(s, len) && has_time(s, len);
}

/*
 * header_block - the line at p is "From: ..." followed closely by "Sent:"
 * or "Date:" with a timestamp: Outlook's quote (and forward) header, which
 * has no banner when "________________________________" is all above it.
 */
static int
header_block(const struct text *t, size_t p, size_t e)
{
    size_t v, q, qe;
    int k;

    if (!header(t->s + p, e - p, hdr_from, NELEM(hdr_from), &v) || v == e - p)
        return 0;
    for (q = next_line(t, e), k = 0; k < HEADER_GAP && q < t->n; k++, q = next_line(t, qe)) {
        qe = eol(t, q);
        if (qe == q)
            return 0;
        if (header(t->s + q, qe - q, hdr_date, NELEM(hdr_date), &v))
            return timestamp(t->s + q + v, qe - q - v);
    }
    return 0;
}

/* skip_headers - past the "From:/Date:/Subject:/To:" block of a forwarded mail at p */
static size_t
skip_headers(const struct text *t, size_t p)
{
    size_t e, p2, e2;
    int any = 0;

    for (p = skip_empty(t, p); p < t->n;) {
        e = eol(t, p);
        if (e == p)
            return any ? next_line(t, e) : p;
        if (any_header(t->s + p, e - p)) {
            any = 1;
            p = next_line(t, e);
            continue;
        }
        /* a long To: or Cc: list wrapped onto a line of its own, between two headers */
        if (any && e < t->n) {
            p2 = e + 1;
            e2 = eol(t, p2);
            if (e2 > p2 && any_header(t->s + p2, e2 - p2)) {
                p = p2;
                continue;
            }
        }
        break;
    }
    return p;
}

/* unquote - replace t by its text from p on with one level of '>' taken off */
static void
unquote(struct text *t, size_t p)
{
    char *s = xmalloc(t->n - p + 1);
    size_t o = 0, e;

    for (; p < t->n; p = next_line(t, e)) {
        e = eol(t, p);
        if (p < e && t->s[p] == '>') {
            p++;
            if (p < e && t->s[p] == ' ')
                p++;
        }
        memcpy(s + o, t->s + p, e - p);
        o += e - p;
        if (e < t->n)
            s[o++] = '\n';
    }
    s[o] = 0;
    text_free(t);
    text_set(t, s, o);
}

/* ------------------------------------------------------------------------ */
/* The built-in disclaimer rule                                             */
/* ------------------------------------------------------------------------ */

/*
 * A window of consecutive non-empty lines starting at the line being
 * looked at, with what each says, so that each line is searched once
 * however many lines look ahead over it.
 */
struct dwin {
    size_t p[DISCLAIMER_LINES];
    unsigned char f[DISCLAIMER_LINES]; /* 1: secrecy wording, 2: wrong-reader wording */
    int n;
};

/* disclaimer_at - the paragraph from the line at p on is worded as a disclaimer */
static int
disclaimer_at(const struct text *t, size_t p, size_t e, struct dwin *w)
{
    const char *l = t->low + p;
    size_t len = e - p, q, qe;
    unsigned char f = 0;
    int i, k;

    if (!prefix_any(l, len, disc_openers, NELEM(disc_openers)) &&
        !contains_any(l, len, disc_secret, NELEM(disc_secret)) &&
        !contains_any(l, len, disc_reader, DISC_READER_STRONG))
        return 0;
    for (k = 0; k < w->n && w->p[k] < p;)
        k++;
    if (k == w->n || w->p[k] != p)
        k = w->n;
    w->n -= k;
    memmove(w->p, w->p + k, (size_t)w->n * sizeof(w->p[0]));
    memmove(w->f, w->f + k, (size_t)w->n);
    q = w->n ? next_line(t, eol(t, w->p[w->n - 1])) : p;
    for (; w->n < DISCLAIMER_LINES && q < t->n; q = next_line(t, qe)) {
        qe = eol(t, q);
        if (qe == q)
            break;
        w->p[w->n] = q;
        w->f[w->n] = 0;
        if (t->s[q] != '>') {
            if (contains_any(t->low + q, qe - q, disc_secret, NELEM(disc_secret)))
                w->f[w->n] |= 1;
            if (contains_any(t->low + q, qe - q, disc_reader, NELEM(disc_reader)))
                w->f[w->n] |= 2;
        }
        w->n++;
    }
    for (i = 0; i < w->n; i++)
        f |= w->f[i];
    return f == 3;
}

/* ------------------------------------------------------------------------ */
/* The passes                                                               */
/* ------------------------------------------------------------------------ */

enum cut_kind { CUT_NONE, CUT_END, CUT_DISCLAIMER, CUT_SIGNATURE, CUT_REPLY, CUT_FORWARD };

struct cut {
    enum cut_kind kind;
    size_t at;   /* where the author's text ends */
    size_t body; /* CUT_FORWARD: where the forwarded mail (its headers) starts */
};

struct markers {
    char *end;  /* normalised end marker, or NULL */
    char *disc; /* normalised disclaimer marker in lower case, or NULL */
};

/* emit - append a line to the output */
static size_t
emit(char *o, size_t on, const char *s, size_t len)
{
    if (on > 0)
        o[on++] = '\n';
    memcpy(o + on, s, len);
    return on + len;
}

/* quote_follows - the first non-empty line at or after p is quoted */
static int
quote_follows(const struct text *t, size_t p)
{
    p = skip_empty(t, p);
    return p < t->n && t->s[p] == '>';
}

/*
 * scan - from p, copy the author's lines to o until the first cut, which
 * goes to *c. With thread_only, copy nothing and look only for the end
 * marker and the start of the thread: what lies below a signature.
 */
static size_t
scan(const struct text *t, size_t p, const struct markers *m, int thread_only, char *o,
     struct cut *c)
{
    struct dwin w = {.n = 0};
    size_t on = 0, e, nx, len, after, end_at = t->n, disc_at = t->n;
    const char *s;
    int seen = 0;

    if (m->end)
        end_at = find(t, t->s, p, m->end);
    if (m->disc && !thread_only)
        disc_at = find(t, t->low, p, m->disc);
    c->body = t->n;
    for (; p < t->n; p = nx) {
        e = eol(t, p);
        nx = next_line(t, e);
        s = t->s + p;
        len = e - p;
        /* quoted lines are someone else's words, wherever they are */
        if (len == 0 || s[0] == '>')
            continue;
        /* markers in quoted lines are someone else's too: look past them */
        if (end_at < p)
            end_at = find(t, t->s, p, m->end);
        if (end_at < e) {
            len = end_at - p;
            while (len > 0 && s[len - 1] == ' ')
                len--;
            if (len > 0 && !thread_only)
                on = emit(o, on, s, len);
            c->kind = CUT_END;
            c->at = end_at;
            return on;
        }
        if (disc_at < p)
            disc_at = find(t, t->low, p, m->disc);
        if (disc_at < e) {
            c->kind = CUT_DISCLAIMER;
            goto cut;
        }
        if (!thread_only && len == 2 && s[0] == '-' && s[1] == '-') {
            c->kind = CUT_SIGNATURE;
            goto cut;
        }
        if (attribution(t, p, e, &after)) {
            /* interleaved or bottom-posted: the answers are below the quotes */
            if (!thread_only && !seen && quote_follows(t, after)) {
                nx = after;
                continue;
            }
            c->kind = CUT_REPLY;
            goto cut;
        }
        if (forward_banner(s, len)) {
            c->kind = CUT_FORWARD;
            c->body = nx;
            goto cut;
        }
        if (header_block(t, p, e)) {
            c->kind = CUT_FORWARD;
            c->body = p;
            goto cut;
        }
        if (thread_only)
            continue;
        if (seen && disclaimer_at(t, p, e, &w)) {
            c->kind = CUT_DISCLAIMER;
            goto cut;
        }
        /* Outlook's stand-in for an inline image: the client shows the image */
        if (len > 6 && prefix_ci(s, len, "[cid:") && s[len - 1] == ']')
            continue;
        on = emit(o, on, s, len);
        seen = 1;
    }
    c->kind = CUT_NONE;
    c->at = t->n;
    return on;
cut:
    c->at = p;
    return on;
}

/* line_starts - starts of the last k lines of o (n bytes), top to bottom; how many */
static int
line_starts(const char *o, size_t n, size_t *st, int k)
{
    size_t tmp[SIGNOFF_LINES], s, e = n;
    int c = 0, i;

    while (c < k && n > 0) {
        for (s = e; s > 0 && o[s - 1] != '\n';)
            s--;
        tmp[c++] = s;
        if (s == 0)
            break;
        e = s - 1;
    }
    for (i = 0; i < c; i++)
        st[i] = tmp[c - 1 - i];
    return c;
}

/* cut_before - length of o when the line starting at s and all below go */
static size_t
cut_before(size_t s)
{
    return s > 0 ? s - 1 : 0;
}

/* strip_decoration - drop rules left at the end ("______" above Outlook's headers) */
static size_t
strip_decoration(const char *o, size_t n)
{
    size_t st;

    while (line_starts(o, n, &st, 1) == 1 && decoration(o + st, n - st))
        n = cut_before(st);
    return n;
}

/* content_before - a line other than a greeting comes before offset s */
static int
content_before(const char *o, size_t s)
{
    size_t p = 0, e;

    while (p < s) {
        for (e = p; e < s && o[e] != '\n';)
            e++;
        if (e > p && !greeting(o + p, e - p))
            return 1;
        p = e + 1;
    }
    return 0;
}

/* tail_clean - drop a tagline and a sign-off block from the end of o */
static size_t
tail_clean(const char *o, size_t n)
{
    size_t st[SIGNOFF_LINES];
    int c, i, sig[SIGNOFF_LINES + 1];

#define LINE_END(i) ((i) + 1 < c ? st[(i) + 1] - 1 : n)
    n = strip_decoration(o, n);
    c = line_starts(o, n, st, TAGLINE_LINES);
    for (i = 0; i < c; i++)
        if (tagline(o + st[i], LINE_END(i) - st[i])) {
            n = strip_decoration(o, cut_before(st[i]));
            break;
        }

    /*
     * The sign-off: the topmost closing among the last lines below which
     * everything looks like a signature. At least one line must follow it
     * (a message that ends "Thanks," says thanks) and real content must
     * precede it (a message that is "Thanks!\nJohn" is the message).
     */
    c = line_starts(o, n, st, SIGNOFF_LINES);
    sig[c] = 1;
    for (i = c - 1; i >= 0; i--)
        sig[i] = sig[i + 1] && signature_like(o + st[i], LINE_END(i) - st[i]);
    for (i = 0; i + 1 < c; i++)
        if (sig[i + 1] && closing(o + st[i], LINE_END(i) - st[i]) && content_before(o, st[i])) {
            n = strip_decoration(o, cut_before(st[i]));
            break;
        }
#undef LINE_END
    return n;
}

/* A note above a forward that only points at it */
static const char *const fwd_notes[] = {
    "fyi",
    "fyi see below",
    "fyi, see below",
    "see below",
    "please see below",
    "for your information",
    "for your info",
    "fw",
    "fwd",
    "zur info",
    "zur kenntnis",
    "pour info",
    "pour information",
    "ter info",
    "para tu información",
    "per info",
};

/* nothing_said - o (n bytes) says nothing of its own above a forward */
static int
nothing_said(const char *o, size_t n)
{
    while (n > 0 && strchr(".:!-", o[n - 1]))
        n--;
    return n == 0 || equal_any(o, n, fwd_notes, NELEM(fwd_notes));
}

/* marker - a configured marker in the same spelling as the text; NULL if none */
static char *
marker(const char *s, int fold)
{
    size_t len, n, i;
    char *m;

    if (!s)
        return NULL;
    len = strlen(s);
    m = xmalloc(len + 1);
    n = normalize(s, len, m, 0);
    if (n == 0) {
        xfree(m);
        return NULL;
    }
    for (i = 0; fold && i < n; i++)
        m[i] = (char)lower((unsigned char)m[i]);
    return m;
}

/*
 * unwrap - join lines that a plain-text mail client wrapped at a fixed
 * width (Gmail and Outlook wrap at 72 to 78 columns): a line of 60 to 80
 * characters that does not end a sentence is continued by the next one,
 * unless that one starts a list item. The '\n' becomes a space in place.
 */
#define WRAP_MIN 60
#define WRAP_MAX 80
static void
unwrap(char *s, size_t n)
{
    size_t start = 0;
    while (start < n) {
        char *nl = memchr(s + start, '\n', n - start);
        if (nl == NULL)
            break;
        size_t end = (size_t)(nl - s), chars = 0;
        for (size_t i = start; i < end; i++)
            chars += ((unsigned char)s[i] & 0xc0) != 0x80;
        const char *next = nl + 1;
        int list = *next == '-' || *next == '*' || strncmp(next, "\xe2\x80\xa2", 3) == 0 ||
                   (*next >= '0' && *next <= '9' && (next[1] == '.' || next[1] == ')'));
        if (chars >= WRAP_MIN && chars <= WRAP_MAX && end > start && !strchr(".!?:;", s[end - 1]) &&
            !list && next < s + n)
            *nl = ' ';
        start = end + 1;
    }
}

/* clean_body - the text the author meant, see clean.h */
char *
clean_body(const char *text, const struct clean_opts *opts)
{
    size_t len = text ? strlen(text) : 0, on, p = 0;
    char *out = xmalloc(len + 1);
    struct markers m = {NULL, NULL};
    struct text t;
    struct cut c;
    int unquoted = 0;

    if (opts) {
        m.end = marker(opts->end_marker, 0);
        m.disc = marker(opts->disclaimer, 1);
    }
    {
        char *s = xmalloc(len + 1);
        text_set(&t, s, normalize(text ? text : "", len, s, 1));
    }
    for (;;) {
        on = tail_clean(out, scan(&t, p, &m, 0, out, &c));
        if (!nothing_said(out, on))
            break;
        /* only a signature or disclaimer above a forward: the forward is the message */
        if (c.kind == CUT_SIGNATURE || c.kind == CUT_DISCLAIMER)
            scan(&t, c.at, &m, 1, NULL, &c);
        if (c.kind != CUT_FORWARD)
            break;
        p = skip_empty(&t, c.body);
        /* Apple Mail quotes the forwarded mail, headers and all */
        if (p < t.n && t.s[p] == '>') {
            if (unquoted++ == UNQUOTE_MAX) {
                on = 0;
                break;
            }
            unquote(&t, p);
            p = 0;
        }
        p = skip_headers(&t, p);
    }
    unwrap(out, on);
    out[on] = 0;
    text_free(&t);
    xfree(m.end);
    xfree(m.disc);
    return out;
}

/* Reply and forward prefixes of a subject, by language */
static const char *const subj_prefixes[] = {
    "re", "fw",   "fwd",    "aw",  "wg",  "sv",  "vs", "tr",
    "rv", "antw", "doorst", "res", "enc", "odp", "vl",
};
static const char *const subj_prefixes_cjk[] = {"回复", "回覆", "答复", "转发", "轉寄"};

/* subject_prefix - length of "Re: ", "RE:", "Re[2]: ", "AW :" at s; 0 if none */
static size_t
subject_prefix(const char *s, size_t n)
{
    size_t i = 0, j, k;
    char close;

    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
        i++;
    if (!equal_any(s, i, subj_prefixes, NELEM(subj_prefixes))) {
        for (i = 0, k = 0; k < NELEM(subj_prefixes_cjk) && i == 0; k++)
            if (prefix_ci(s, n, subj_prefixes_cjk[k]))
                i = strlen(subj_prefixes_cjk[k]);
        if (i == 0)
            return 0;
    }
    /* a reply counter: "Re[2]:", "Re(3):" */
    if (i < n && (s[i] == '[' || s[i] == '(')) {
        close = s[i] == '[' ? ']' : ')';
        for (j = i + 1; j < n && s[j] >= '0' && s[j] <= '9';)
            j++;
        if (j == i + 1 || j >= n || s[j] != close)
            return 0;
        i = j + 1;
    }
    if (i < n && s[i] == ' ')
        i++;
    if (i < n && s[i] == ':')
        i++;
    else if (prefix_ci(s + i, n - i, "\xef\xbc\x9a")) /* U+FF1A FULLWIDTH COLON */
        i += 3;
    else
        return 0;
    if (i < n && s[i] == ' ')
        i++;
    return i;
}

/* clean_subject - the subject without reply and forward prefixes, see clean.h */
char *
clean_subject(const char *subject)
{
    size_t len = subject ? strlen(subject) : 0, n, p = 0, k;
    char *s = xmalloc(len + 1);

    n = normalize(subject ? subject : "", len, s, 0);
    while ((k = subject_prefix(s + p, n - p)) > 0)
        p += k;
    memmove(s, s + p, n - p + 1);
    return s;
}
