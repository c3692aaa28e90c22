/*
 * html.c - HTML to the text a browser would show
 *
 * Mail clients (Outlook, OWA, Gmail, Apple Mail) often send HTML only, or an
 * HTML part that is the real message. We parse it with libxml2's HTML
 * parser (recovering from anything, never touching the network) and lay the
 * tree out the way a browser's text rendering would look:
 *
 *  - block elements start and end a line; <br> is a line break; paragraphs,
 *    headings, quotes, lists and <pre> keep the empty line their default
 *    margins give them, unless an inline style, or a simple "p" or
 *    "p.class" rule of the document's style sheet (Outlook's MsoNormal,
 *    Outlook on the web's P), sets those margins to zero;
 *  - a table row is a line, its cells separated by a space; list items get
 *    "- " or "1. " as their marker;
 *  - whitespace collapses as in CSS (runs of blanks and newlines become one
 *    space, none at the start or end of a line) except inside <pre>;
 *  - <head>, <style>, <script>, <title>, <template>, <noscript>, embedded
 *    objects, comments and hidden elements (the hidden attribute,
 *    display:none, visibility:hidden) show nothing;
 *  - &nbsp; stays U+00A0 (the SMS transliteration deals with it), but a
 *    line of nothing but blanks is an empty line.
 *
 * The result has no leading or trailing empty lines and never two empty
 * lines in a row. The walk is iterative, so a deeply nested document
 * cannot exhaust the stack; the work is linear in the size of the input.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "html.h"
#include "xalloc.h"

#ifndef HTML_PARSE_IGNORE_ENC
#define HTML_PARSE_IGNORE_ENC 0
#endif

#define LIST_MAX 32 /* nesting of <ul>/<ol> whose markers we track */
#define ZERO_MAX 16 /* classes of <p> a style sheet gives no margins */

struct layout {
    char *s;
    size_t len, cap;
    int bol;                 /* nothing but a quote marker on the current line yet */
    int marked;              /* the current line has its quote marker */
    int last_empty;          /* the line before the current one is empty */
    int space;               /* a collapsible blank is pending */
    int blank;               /* a margin wants an empty line before the next content */
    int blank_quote;         /* ... at this quote depth */
    int pre;                 /* depth of <pre>-like elements: whitespace kept */
    int quote;               /* depth of quoted blocks: lines start with ">" */
    char mark[16];           /* list marker waiting for the item's first content */
    int list[LIST_MAX];      /* 0: <ul>; n > 0: the next number of an <ol> */
    int nlist;               /* may exceed LIST_MAX; markers are then plain */
    int p_zero;              /* a style sheet says p {margin: 0} */
    char zero[ZERO_MAX][32]; /* ... or p.class {margin: 0}, lowercase */
    int nzero;
};

/* put - append n bytes */
static void
put(struct layout *L, const char *s, size_t n)
{
    if (L->cap - L->len <= n) {
        size_t cap = L->cap ? L->cap : 256;
        while (cap - L->len <= n)
            cap *= 2;
        L->s = xrealloc(L->s, cap);
        L->cap = cap;
    }
    memcpy(L->s + L->len, s, n);
    L->len += n;
    L->s[L->len] = 0;
}

/* quote_mark - ">" per quote level at the start of a line, once */
static void
quote_mark(struct layout *L, int depth, int content)
{
    if (L->marked || depth <= 0)
        return;
    for (int i = 0; i < depth && i < 16; i++)
        put(L, ">", 1);
    if (content)
        put(L, " ", 1);
    L->marked = 1;
}

/* endline - end the current line, empty or not */
static void
endline(struct layout *L, int depth)
{
    if (L->bol)
        quote_mark(L, depth, 0); /* an empty line inside a quote is ">" */
    L->last_empty = L->bol;
    put(L, "\n", 1);
    L->bol = 1;
    L->marked = 0;
    L->space = 0;
}

/* newline - end the current line, if anything is on it */
static void
newline(struct layout *L)
{
    if (!L->bol)
        endline(L, L->quote);
    L->space = 0;
}

/* flush - before content: the pending empty line, quote marker, list marker, blank */
static void
flush(struct layout *L)
{
    if (L->blank && L->len > 0) {
        newline(L);
        if (!L->last_empty)
            endline(L, L->blank_quote);
    }
    L->blank = 0;
    if (L->mark[0]) {
        newline(L);
        quote_mark(L, L->quote, 1);
        put(L, L->mark, strlen(L->mark));
        L->mark[0] = 0;
        L->bol = 0;
        L->space = 0;
    }
    if (L->bol) {
        quote_mark(L, L->quote, 1);
        L->space = 0;
    }
    if (L->space)
        put(L, " ", 1);
    L->space = 0;
}

/* want_blank - a margin: an empty line before whatever comes next */
static void
want_blank(struct layout *L)
{
    L->blank = 1;
    L->blank_quote = L->quote;
}

/* is_blank - HTML's ASCII whitespace, which CSS collapses */
static int
is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* text - a text node: collapsed like a browser does, or kept inside <pre> */
static void
text(struct layout *L, const char *s)
{
    size_t i = 0;
    while (s[i]) {
        if (L->pre) {
            size_t n = strcspn(s + i, "\r\n");
            if (n) {
                flush(L);
                put(L, s + i, n);
                L->bol = 0;
                i += n;
                continue;
            }
            /* CRLF and lone CR are line ends too */
            if (s[i] == '\r' && s[i + 1] == '\n')
                i++;
            i++;
            flush(L);
            endline(L, L->quote);
            continue;
        }
        if (is_blank((unsigned char)s[i])) {
            L->space = 1;
            i++;
            continue;
        }
        size_t n = 0;
        while (s[i + n] && !is_blank((unsigned char)s[i + n]))
            n++;
        flush(L);
        put(L, s + i, n);
        L->bol = 0;
        i += n;
    }
}

/* name_in - is name one of the words in the list */
static int
name_in(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

static const char *const skipped[] = {
    "head",   "style", "script", "title", "template", "noscript", "iframe", "object", "embed",
    "applet", "svg",   "canvas", "video", "audio",    "xml",      "select", "button", NULL};
static const char *const blocks[] = {
    "p",          "div",     "h1",        "h2",      "h3",         "h4",      "h5",
    "h6",         "li",      "tr",        "table",   "blockquote", "pre",     "ul",
    "ol",         "hr",      "section",   "article", "header",     "footer",  "address",
    "dl",         "dt",      "dd",        "nav",     "aside",      "main",    "figure",
    "figcaption", "form",    "fieldset",  "center",  "details",    "summary", "caption",
    "legend",     "listing", "plaintext", "xmp",     "textarea",   "body",    "html",
    "menu",       "dir",     "thead",     "tbody",   "tfoot",      NULL};
/* elements whose default style has a vertical margin, i.e. an empty line */
static const char *const margined[] = {"p",          "h1",  "h2", "h3",     "h4", "h5", "h6",
                                       "blockquote", "pre", "dl", "figure", "hr", NULL};
static const char *const preformatted[] = {"pre", "listing", "plaintext", "xmp", "textarea", NULL};

/*
 * style_next - the next "property: value" of an inline style: the property
 * lowercased without blanks, the value lowercased with single blanks; 0 at
 * the end. Just enough CSS to see what hides an element or zeroes its
 * margins.
 */
static int
style_next(const char **sp, char *prop, size_t psz, char *val, size_t vsz)
{
    const char *s = *sp;
    while (*s == ';' || is_blank((unsigned char)*s))
        s++;
    if (!*s)
        return 0;
    size_t np = 0, nv = 0;
    int in_val = 0, gap = 0;
    for (; *s && *s != ';'; s++) {
        unsigned char c = (unsigned char)*s;
        if (is_blank(c)) {
            gap = nv > 0;
            continue;
        }
        if (c == ':' && !in_val) {
            in_val = 1;
            continue;
        }
        if (!in_val) {
            if (np + 1 < psz)
                prop[np++] = (char)tolower(c);
            continue;
        }
        if (gap && nv + 2 < vsz)
            val[nv++] = ' ';
        gap = 0;
        if (nv + 1 < vsz)
            val[nv++] = (char)tolower(c);
    }
    prop[np] = 0;
    val[nv] = 0;
    *sp = s;
    return 1;
}

/* zero_length - is a CSS length zero ("0", "0px", "0cm", "0.0pt") */
static int
zero_length(const char *v)
{
    char *end;
    double d = strtod(v, &end);
    return end != v && d == 0.0;
}

/* attr - an attribute's value (fresh, free with xmlFree) or NULL */
static char *
attr(xmlNode *n, const char *name)
{
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* hidden - does the element show nothing: hidden attribute or inline style */
static int
hidden(xmlNode *n)
{
    if (xmlHasProp(n, (const xmlChar *)"hidden"))
        return 1;
    char *style = attr(n, "style");
    if (!style)
        return 0;
    char prop[32], val[64];
    const char *s = style;
    int hide = 0;
    while (!hide && style_next(&s, prop, sizeof prop, val, sizeof val)) {
        if (strcmp(prop, "display") == 0 && strncmp(val, "none", 4) == 0)
            hide = 1;
        if (strcmp(prop, "visibility") == 0 && strncmp(val, "hidden", 6) == 0)
            hide = 1;
    }
    xmlFree(style);
    return hide;
}

/*
 * margin_decls - what declarations say about the top and bottom margins:
 * 1 where one is set to something, 0 where it is set to zero, unchanged
 * where nothing is said.
 */
static void
margin_decls(const char *decls, int *top, int *bottom)
{
    char prop[32], val[64];
    const char *s = decls;
    while (style_next(&s, prop, sizeof prop, val, sizeof val)) {
        if (strcmp(prop, "margin") == 0) {
            /* margin: top [right [bottom [left]]] */
            const char *third = strchr(val, ' ');
            third = third ? strchr(third + 1, ' ') : NULL;
            *top = !zero_length(val);
            *bottom = third ? !zero_length(third + 1) : *top;
        } else if (strcmp(prop, "margin-top") == 0) {
            *top = !zero_length(val);
        } else if (strcmp(prop, "margin-bottom") == 0) {
            *bottom = !zero_length(val);
        }
    }
}

/*
 * style_sheet - the one thing we take from a <style> element: rules for
 * "p" or "p.class" without vertical margins, as Outlook ("p.MsoNormal
 * {margin:0cm}") and Outlook on the web ("P {margin-top:0;margin-bottom:0;}")
 * declare them. Everything else in CSS is ignored.
 */
static void
style_sheet(struct layout *L, const char *css)
{
    /* without comments, "<!--" and "-->" (old browsers' hiding of the sheet) */
    size_t len = strlen(css), n = 0;
    char *clean = xmalloc(len + 1), *sel = xmalloc(len + 1), *decl = xmalloc(len + 1);
    for (size_t i = 0; i < len;) {
        if (strncmp(css + i, "/*", 2) == 0) {
            const char *e = strstr(css + i + 2, "*/");
            i = e ? (size_t)(e - css) + 2 : len;
        } else if (strncmp(css + i, "<!--", 4) == 0) {
            i += 4;
        } else if (strncmp(css + i, "-->", 3) == 0) {
            i += 3;
        } else {
            clean[n++] = css[i++];
        }
    }
    clean[n] = 0;
    const char *s = clean;
    while (*s) {
        /* selectors up to '{', declarations up to '}' */
        size_t ns = 0, nd = 0;
        for (; *s && *s != '{'; s++)
            if (!is_blank((unsigned char)*s))
                sel[ns++] = (char)tolower((unsigned char)*s);
        sel[ns] = 0;
        if (*s)
            s++;
        for (; *s && *s != '}'; s++)
            decl[nd++] = *s;
        decl[nd] = 0;
        if (*s)
            s++;
        int top = 1, bottom = 1;
        margin_decls(decl, &top, &bottom);
        if (top || bottom)
            continue;
        char *save = NULL;
        for (char *t = strtok_r(sel, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (strcmp(t, "p") == 0)
                L->p_zero = 1;
            else if (strncmp(t, "p.", 2) == 0 && strlen(t + 2) < sizeof L->zero[0] &&
                     L->nzero < ZERO_MAX)
                strcpy(L->zero[L->nzero++], t + 2);
        }
    }
    xfree(clean);
    xfree(sel);
    xfree(decl);
}

/* class_zero - does a class of the element have no margins in the style sheet */
static int
class_zero(struct layout *L, const char *cls)
{
    /* every class Outlook's Word HTML uses ("MsoNormal", ...) has margin 0 */
    if (strncmp(cls, "Mso", 3) == 0 || strstr(cls, " Mso"))
        return 1;
    char word[32];
    for (const char *c = cls; *c;) {
        while (is_blank((unsigned char)*c))
            c++;
        size_t n = 0;
        while (*c && !is_blank((unsigned char)*c)) {
            if (n + 1 < sizeof word)
                word[n++] = (char)tolower((unsigned char)*c);
            c++;
        }
        word[n] = 0;
        for (int i = 0; n && i < L->nzero; i++)
            if (strcmp(word, L->zero[i]) == 0)
                return 1;
    }
    return 0;
}

/*
 * margins - does the element have an empty line above and below it: the
 * browser's default margins, unless the style sheet's rules for p (see
 * style_sheet()) or the element's own style attribute set them to zero.
 */
static void
margins(struct layout *L, xmlNode *n, const char *name, int *top, int *bottom)
{
    *top = *bottom = name_in(name, margined) ||
                     ((strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0) && L->nlist == 0);
    if (!*top)
        return;
    if (strcmp(name, "p") == 0) {
        char *cls = attr(n, "class");
        if (L->p_zero || (cls && class_zero(L, cls)))
            *top = *bottom = 0;
        xmlFree(cls);
    }
    char *style = attr(n, "style");
    if (style)
        margin_decls(style, top, bottom);
    xmlFree(style);
}

/*
 * quoted - is this blockquote a quoted message, which a client shows with
 * a bar down the side: Apple Mail and Thunderbird mark it type="cite",
 * Gmail class="gmail_quote", others draw the bar with border-left. Other
 * blockquotes merely indent.
 */
static int
quoted(xmlNode *n)
{
    if (strcmp((const char *)n->name, "blockquote") != 0)
        return 0;
    char *v = attr(n, "type");
    int q = v && strcasecmp(v, "cite") == 0;
    xmlFree(v);
    if (!q && (v = attr(n, "class")) != NULL) {
        q = strstr(v, "gmail_quote") != NULL;
        xmlFree(v);
    }
    if (!q && (v = attr(n, "style")) != NULL) {
        char prop[32], val[64];
        const char *s = v;
        while (!q && style_next(&s, prop, sizeof prop, val, sizeof val))
            q = strncmp(prop, "border-left", 11) == 0 && strncmp(val, "none", 4) != 0;
        xmlFree(v);
    }
    return q;
}

/* list_marker - the marker of a new <li>: "- " in <ul>, "n. " in <ol> */
static void
list_marker(struct layout *L)
{
    if (L->nlist > 0 && L->nlist <= LIST_MAX && L->list[L->nlist - 1] > 0)
        snprintf(L->mark, sizeof L->mark, "%d. ", L->list[L->nlist - 1]++);
    else
        snprintf(L->mark, sizeof L->mark, "- ");
}

/* enter - start of an element; 0 when its content is not shown at all */
static int
enter(struct layout *L, xmlNode *n)
{
    const char *name = (const char *)n->name;
    if (strcmp(name, "style") == 0 && n->children && n->children->content)
        style_sheet(L, (const char *)n->children->content);
    /* the head shows nothing, but its style sheets lay out the body */
    if (strcmp(name, "head") == 0)
        for (xmlNode *c = n->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "style") == 0 &&
                c->children && c->children->content)
                style_sheet(L, (const char *)c->children->content);
    if (name_in(name, skipped) || hidden(n))
        return 0;
    if (strcmp(name, "br") == 0) {
        flush(L);
        endline(L, L->quote);
        return 1;
    }
    if (!name_in(name, blocks))
        return 1;
    int top, bottom;
    margins(L, n, name, &top, &bottom);
    newline(L);
    if (top)
        want_blank(L);
    if (quoted(n))
        L->quote++;
    if (name_in(name, preformatted))
        L->pre++;
    if (strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0 || strcmp(name, "menu") == 0 ||
        strcmp(name, "dir") == 0) {
        if (L->nlist < LIST_MAX) {
            int start = 1;
            char *st = name[0] == 'o' ? attr(n, "start") : NULL;
            if (st) {
                start = atoi(st);
                if (start < 1 || start > 100000)
                    start = 1;
                xmlFree(st);
            }
            L->list[L->nlist] = name[0] == 'o' ? start : 0;
        }
        L->nlist++;
    }
    if (strcmp(name, "li") == 0)
        list_marker(L);
    return 1;
}

/* leave - end of an element whose content was shown */
static void
leave(struct layout *L, xmlNode *n)
{
    const char *name = (const char *)n->name;
    if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
        /* cells of a row sit side by side, a blank apart */
        L->space = 1;
        return;
    }
    if (!name_in(name, blocks))
        return;
    int top, bottom;
    if (strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0 || strcmp(name, "menu") == 0 ||
        strcmp(name, "dir") == 0)
        L->nlist--;
    margins(L, n, name, &top, &bottom);
    if (name_in(name, preformatted) && L->pre > 0)
        L->pre--;
    newline(L);
    if (quoted(n) && L->quote > 0)
        L->quote--;
    L->mark[0] = 0;
    if (bottom)
        want_blank(L);
}

/* walk - visit the tree in document order without recursion */
static void
walk(struct layout *L, xmlNode *root)
{
    xmlNode *n = root;
    while (n) {
        int down = 0;
        if (n->type == XML_ELEMENT_NODE)
            down = enter(L, n);
        else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content)
            text(L, (const char *)n->content);
        if (down && n->children) {
            n = n->children;
            continue;
        }
        if (down)
            leave(L, n);
        /* climb to the next sibling, leaving every element we finish */
        while (n != root && n->next == NULL) {
            n = n->parent;
            leave(L, n);
        }
        n = n == root ? NULL : n->next;
    }
}

/*
 * prepare - what libxml2 would get wrong, fixed up front. Outlook's
 * "<![if !supportLists]>" is a bogus comment to a browser but text to
 * libxml2; and libxml2 drops the prefix of "<o:p>", making an inline Office
 * element a paragraph, so a prefixed tag name gets '-' for ':'.
 */
static char *
prepare(const char *html, size_t len, size_t *len_r)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (html[i] != '<') {
            const char *lt = memchr(html + i, '<', len - i);
            size_t n = lt ? (size_t)(lt - html) - i : len - i;
            memcpy(out + o, html + i, n);
            o += n;
            i += n;
            continue;
        }
        if (len - i >= 4 && memcmp(html + i, "<!--", 4) == 0) {
            /* a comment goes through untouched: "<![endif]-->" is its end */
            const char *end = memmem(html + i + 4, len - i - 4, "-->", 3);
            size_t n = end ? (size_t)(end - html) + 3 - i : len - i;
            memcpy(out + o, html + i, n);
            o += n;
            i += n;
            continue;
        }
        if (len - i >= 3 && html[i + 1] == '!' && html[i + 2] == '[' &&
            !(len - i >= 9 && memcmp(html + i + 3, "CDATA[", 6) == 0)) {
            const char *gt = memchr(html + i, '>', len - i);
            i = gt ? (size_t)(gt - html) + 1 : len;
            continue;
        }
        out[o++] = html[i++];
        if (i < len && html[i] == '/')
            out[o++] = html[i++];
        while (i < len && (isalnum((unsigned char)html[i]) || html[i] == ':' || html[i] == '-' ||
                           html[i] == '_')) {
            out[o++] = html[i] == ':' ? '-' : html[i];
            i++;
        }
    }
    out[o] = 0;
    *len_r = o;
    return out;
}

/* finish - trim line ends, at most one empty line in a row, none at the ends */
static char *
finish(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    int empty = 0; /* empty lines seen since the last content */
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - s) : len, n = e - i;
        /* trailing blanks and no-break spaces are invisible */
        for (;;) {
            if (n && (s[i + n - 1] == ' ' || s[i + n - 1] == '\t'))
                n--;
            else if (n >= 2 && (unsigned char)s[i + n - 2] == 0xc2 &&
                     (unsigned char)s[i + n - 1] == 0xa0)
                n -= 2;
            else
                break;
        }
        if (n == 0) {
            empty++;
        } else {
            if (o > 0)
                out[o++] = '\n';
            if (o > 0 && empty)
                out[o++] = '\n';
            memcpy(out + o, s + i, n);
            o += n;
            empty = 0;
        }
        i = nl ? e + 1 : len;
    }
    out[o] = 0;
    return out;
}

static pthread_once_t html_once = PTHREAD_ONCE_INIT;

/* html_init - libxml2 wants its globals set up once, before any thread uses it */
static void
html_init(void)
{
    xmlInitParser();
}

/* html_to_text - see html.h */
char *
html_to_text(const char *html, size_t len)
{
    pthread_once(&html_once, html_init);
    if (!html || len == 0)
        return xstrdup("");
    size_t inlen;
    char *in = prepare(html, len, &inlen);
    if (inlen > INT_MAX)
        inlen = INT_MAX;
    struct layout L = {.bol = 1};
    htmlDocPtr doc = htmlReadMemory(in, (int)inlen, NULL, "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
    xfree(in);
    if (doc) {
        for (xmlNode *n = doc->children; n; n = n->next)
            walk(&L, n);
        xmlFreeDoc(doc);
    }
    char *out = finish(L.s ? L.s : "", L.len);
    xfree(L.s);
    return out;
}
