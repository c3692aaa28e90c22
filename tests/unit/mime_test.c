/*
 * mime_test.c - mime_parse() and html_to_text()
 *
 * Three kinds of test: the corpus of real-looking mails in tests/data
 * (NAME.eml parsed, with LF and with CRLF line ends, must give exactly
 * NAME.txt; NAME.html.txt is what the same mail gives when its text/plain
 * alternative is hidden, so the client's HTML is laid out instead), tables
 * of small in-memory mails and HTML fragments, and large or hostile mails
 * that must finish quickly without a crash.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "html.h"
#include "mime.h"
#include "tap.h"

static const struct mime_limits limits = {.max_depth = 20};

/* slurp - a whole file in fresh memory, NULL if it cannot be read */
static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t k;
    while ((k = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (cap - n < 2)
            s = realloc(s, cap *= 2);
    }
    fclose(f);
    s[n] = 0;
    *len = n;
    return s;
}

/* data_file - tests/data/NAME under $top_srcdir (or .) */
static char *
data_file(const char *name, size_t *len)
{
    const char *top = getenv("top_srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/%s", top && *top ? top : ".", name);
    return slurp(path, len);
}

/* expected - NAME.txt without the final newline every text file has */
static char *
expected(const char *name)
{
    size_t len;
    char *s = data_file(name, &len);
    if (s && len > 0 && s[len - 1] == '\n')
        s[len - 1] = 0;
    return s;
}

/* crlf - the same mail with CRLF line ends, as it comes over LMTP */
static char *
crlf(const char *s, size_t len, size_t *out_len)
{
    char *o = malloc(2 * len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            o[n++] = '\r';
        o[n++] = s[i];
    }
    o[n] = 0;
    *out_len = n;
    return o;
}

/* parse - mime_parse() of a string; the body or "" (none), checked rc */
static int
parse(const char *mail, size_t len, const struct mime_limits *lim, struct mime_text *r)
{
    char *error = NULL;
    int rc = mime_parse(mail, len, lim, r, &error);
    if (rc != 0)
        diag("  error: %s", error ? error : "(none)");
    free(error);
    return rc;
}

/* header_value - the first header field of that name */
static const char *
header_value(const struct mime_text *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* ---- the corpus --------------------------------------------------------- */

static const struct {
    const char *name, *subject, *message_id;
} corpus[] = {
    {"outlook-desktop", "Concrete pour Thursday - Level 3",
     "SY4PR01MB61228E1C2F0A9B3D4E5A6B7C8D9E0F1A@SY4PR01MB6122.ausprd01.prod.outlook.com"},
    {"outlook-web", "Crane hire Friday", NULL},
    {"gmail", "Re: Site meeting tomorrow",
     "CAL7wQ4xN2pR8kT5vZ1mB9cJ3hF6gD0sY4eU7iW2oA8qK1nX5Lw@mail.gmail.com"},
    {"apple-mail", "Labourers for Rozelle tomorrow",
     "5E3B9A2C-7D41-4F8E-B6A0-2C9D1E4F7A3B@harbourcivil.com.au"},
    {"iphone", "Running late", NULL},
    {"thunderbird-flowed", "Scaffold inspection Wednesday", NULL},
    {"forwarded", "FW: Road closure notice - Smith St, Rozelle", NULL},
    {"utf8-emoji-base64", "Great work today \xf0\x9f\x91\x8d", NULL},
    {"windows-1252-qp",
     "Invoice \xe2\x82\xac\xc2\xa0"
     "4,950 \xe2\x80\x93 \xe2\x80\x9c"
     "final\xe2\x80\x9d Stage 2",
     "000a01dab7a4$3c2e1f90$b48a5cb0$@harbourcivil.com.au"},
    {"iso-2022-jp",
     "\xe6\x89\x93\xe3\x81\xa1\xe5\x90\x88\xe3\x82\x8f\xe3\x81\x9b\xe6\x99\x82\xe9\x96\x93\xe3"
     "\x81\xae\xe5\xa4\x89\xe6\x9b\xb4",
     NULL},
    {"mixed-attachments", "Shop drawings Rev C and L2 walkthrough", NULL},
    {"smime-signed", "Toolbox talk Monday 6:45am", NULL},
    {"empty-body", "Call me when you land",
     "F3A9C2E1-6B4D-4E8F-9A1C-7D2E5B8F0A3C@harbourcivil.com.au"},
};

/* hide_plain - the mail with text/plain renamed, so the HTML alternative is chosen */
static void
hide_plain(char *s)
{
    for (char *p = s; (p = strstr(p, "text/plain")) != NULL; p += 10)
        memcpy(p, "text/x-pla", 10);
}

/* test_corpus - every mail of tests/data against its expected text */
static void
test_corpus(void)
{
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        const char *name = corpus[i].name;
        char file[256];
        size_t len, clen;
        snprintf(file, sizeof file, "%s.eml", name);
        char *mail = data_file(file, &len);
        snprintf(file, sizeof file, "%s.txt", name);
        char *want = expected(file);
        if (!ok(mail && want, "%s: .eml and .txt present", name)) {
            free(mail);
            free(want);
            continue;
        }
        struct mime_text r;
        is_int(parse(mail, len, &limits, &r), 0, "%s: parses", name);
        is_str(r.body ? r.body : "", want, "%s: body as the client shows it", name);
        ok(*want ? r.body != NULL : r.body == NULL, "%s: body NULL only when empty", name);
        is_str(r.subject, corpus[i].subject, "%s: subject", name);
        if (corpus[i].message_id)
            is_str(r.message_id, corpus[i].message_id, "%s: message id", name);
        ok(r.nheaders > 5 && header_value(&r, "Authentication-Results") &&
               header_value(&r, "DKIM-Signature") && header_value(&r, "Received"),
           "%s: %d header fields with Authentication-Results", name, r.nheaders);
        mime_text_free(&r);

        char *m2 = crlf(mail, len, &clen);
        is_int(parse(m2, clen, &limits, &r), 0, "%s: parses with CRLF", name);
        is_str(r.body ? r.body : "", want, "%s: same body with CRLF", name);
        mime_text_free(&r);
        free(m2);

        snprintf(file, sizeof file, "%s.html.txt", name);
        char *want_html = expected(file);
        if (want_html) {
            hide_plain(mail);
            is_int(parse(mail, len, &limits, &r), 0, "%s: HTML alternative parses", name);
            is_str(r.body ? r.body : "", want_html, "%s: HTML alternative laid out", name);
            mime_text_free(&r);
            free(want_html);
        }
        free(mail);
        free(want);
    }
}

/* test_headers - order, unfolding and decoding of the top-level fields */
static void
test_headers(void)
{
    size_t len;
    char *mail = data_file("outlook-desktop.eml", &len);
    if (!mail) {
        ok(0, "outlook-desktop.eml for the header tests");
        return;
    }
    struct mime_text r;
    parse(mail, len, &limits, &r);
    is_str(r.headers[0].name, "Return-Path", "first field first");
    is_str(r.headers[0].value, "<dave.nguyen@harbourcivil.com.au>", "its value");
    is_str(r.headers[3].name, "Authentication-Results", "our Authentication-Results 4th");
    ok(strncmp(r.headers[3].value,
               "mx1.sms.example.com;\tdkim=pass (2048-bit key; unprotected) "
               "header.d=harbourcivil.com.au",
               80) == 0 &&
           strstr(r.headers[3].value, ";\tdmarc=pass (p=quarantine dis=none) "
                                      "header.from=harbourcivil.com.au;\tspf=pass") &&
           !strchr(r.headers[3].value, '\n') && !strchr(r.headers[3].value, '\r'),
       "Authentication-Results unfolded");
    int later = 0;
    for (int i = 4; i < r.nheaders; i++)
        later += strcmp(r.headers[i].name, "authentication-results") == 0;
    is_int(later, 1, "Microsoft's own authentication-results kept, as written, in order");
    is_str(r.headers[r.nheaders - 1].name, "X-MS-Exchange-Transport-CrossTenantHeadersStamped",
           "last field last");
    is_str(header_value(&r, "X-MS-Has-Attach"), "", "empty field");
    is_str(header_value(&r, "Date"), "Mon, 3 Jun 2024 23:14:19 +0000", "Date");
    mime_text_free(&r);
    free(mail);
}

/* ---- small mails ----------------------------------------------------------- */

#define TEXT "Content-Type: text/plain; charset="

static const struct {
    const char *what, *mail, *body, *subject;
} mails[] = {
    /* RFC 2047 */
    {"B, UTF-8", "Subject: =?UTF-8?B?SGVsbG8gV8O2cmxk?=\n\nx", "x", "Hello W\xc3\xb6rld"},
    {"Q, ISO-8859-1", "Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=\n\nx", "x",
     "Caf\xc3\xa9 cr\xc3\xa8me"},
    {"adjacent words joined", "Subject: =?UTF-8?Q?Caf=C3=A9?= =?UTF-8?Q?_au_lait?=\n\nx", "x",
     "Caf\xc3\xa9 au lait"},
    {"character split across words", "Subject: =?UTF-8?Q?=C3?= =?UTF-8?Q?=A9t=C3=A9?=\n\nx", "x",
     "\xc3\xa9t\xc3\xa9"},
    {"folded encoded words",
     "Subject: =?utf-8?B?R3JlYXQgd29yayB0b2RheSDwn5GN?=\n =?utf-8?Q?_done?=\n\nx", "x",
     "Great work today \xf0\x9f\x91\x8d done"},
    {"word and text", "Subject: Re: =?utf-8?q?=E2=82=AC?=100 due\n\nx", "x",
     "Re: \xe2\x82\xac"
     "100 due"},
    {"lower case b", "Subject: =?windows-1252?b?k2ZpbmFslA==?=\n\nx", "x",
     "\xe2\x80\x9c"
     "final\xe2\x80\x9d"},
    {"unknown charset word", "Subject: =?x-made-up?Q?Caf=E9?=\n\nx", "x", "Caf\xc3\xa9"},
    {"ISO-2022-JP word", "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\n\nx", "x",
     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
    {"raw Latin-1 subject",
     "Subject: Caf\xe9 \x80"
     "5\n\nx",
     "x",
     "Caf\xc3\xa9 \xe2\x82\xac"
     "5"},
    {"raw UTF-8 subject", "Subject: Caf\xc3\xa9\n\nx", "x", "Caf\xc3\xa9"},
    {"encoded line break is a blank", "Subject: =?utf-8?Q?a=0D=0Ab=09c?=\n\nx", "x", "a  b\tc"},
    {"bad base64 word", "Subject: =?utf-8?B?!!!?= ok\n\nx", "x", NULL},
    {"folded subject", "Subject: Concrete pour\n Thursday\n\tLevel 3\n\nx", "x",
     "Concrete pour Thursday\tLevel 3"},
    {"subject as last line, no newline", "Subject: only", NULL, "only"},
    {"space before colon", "Subject : spaced\n\nx", "x", "spaced"},
    /* structure */
    {"no header at all", "Just a line\nand another\n", "Just a line\nand another", NULL},
    {"header line without colon ends the header",
     "Subject: s\nThis is not a header\nFrom: a@b\n\nBody",
     "This is not a header\nFrom: a@b\n\nBody", "s"},
    {"nested alternative inside mixed",
     "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: multipart/alternative; "
     "boundary=a\n\n--a\n" TEXT "utf-8\n\nPlain text\n--a\nContent-Type: text/html\n\n<p>HTML</p>\n"
     "--a--\n--m\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n"
     "--m--\n",
     "Plain text", NULL},
    {"plain preferred whatever the order",
     "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: "
     "text/html\n\n<b>HTML</b>\n"
     "--a\nContent-Type: text/plain\n\nPlain\n--a--\n",
     "Plain", NULL},
    {"empty plain: the HTML",
     "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\n\n--a\n"
     "Content-Type: text/html\n\n<div>From <b>HTML</b></div>\n--a--\n",
     "From HTML", NULL},
    {"related HTML inside alternative",
     "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: multipart/related; "
     "boundary=r\n\n--r\nContent-Type: text/html; charset=utf-8\n\n<p>Logo: <img src=cid:x></p>\n"
     "--r\nContent-Type: image/png\nContent-ID: <x>\n\niVBORw0KGgo=\n--r--\n--a--\n",
     "Logo:", NULL},
    {"text parts of mixed in order",
     "Content-Type: multipart/mixed; boundary=m\n\n--m\n" TEXT "us-ascii\n\nHi,\n\nSee the photo:\n"
     "--m\nContent-Type: image/jpeg\nContent-Disposition: inline\n\n/9j/4AAQ\n--m\n" TEXT
     "us-ascii\n\n\nThanks\n--m--\n",
     "Hi,\n\nSee the photo:\n\nThanks", NULL},
    {"text attachment ignored",
     "Content-Type: multipart/mixed; boundary=m\n\n--m\n\nBody\n--m\n" TEXT
     "utf-8\nContent-Disposition: attachment; filename=a.txt\n\nAttached\n--m--\n",
     "Body", NULL},
    {"calendar ignored", "Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\n", NULL,
     NULL},
    {"signature ignored",
     "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
     "boundary=s\n\n--s\n" TEXT
     "utf-8\n\nSigned text\n--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\n"
     "Content-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\n--s--\n",
     "Signed text", NULL},
    {"multipart without boundary shown as text",
     "Content-Type: multipart/mixed\n\nNo boundary here", "No boundary here", NULL},
    {"boundary never found shown as text",
     "Content-Type: multipart/mixed; boundary=zzz\n\n--other\n\nbody", "--other\n\nbody", NULL},
    {"missing close delimiter",
     "Content-Type: multipart/mixed; boundary=b\n\npreamble\n--b\n" TEXT "utf-8\n\nfirst\n--b\n\n"
     "second, never closed\n",
     "first\nsecond, never closed", NULL},
    {"longer boundary is not ours",
     "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; "
     "boundary=b2\n\n--b2\n\ninner\n--b2--\n--b--\n",
     "inner", NULL},
    {"transport padding after a delimiter",
     "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b  \n\ntext\n--b--  \nepilogue\n", "text",
     NULL},
    {"empty part", "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\nsecond\n--b--\n",
     "second", NULL},
    {"digest parts are messages",
     "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nFirst\n--d--\n", "First",
     NULL},
    /* transfer encodings and charsets */
    {"quoted-printable", "Content-Transfer-Encoding: quoted-printable\n\nsoft=\nbreak a=3Db",
     "softbreak a=b", NULL},
    {"dangling escape at the end", "Content-Transfer-Encoding: quoted-printable\n\na=3D1 class=>",
     "a=1 class=>", NULL},
    {"dangling escapes", "Content-Transfer-Encoding: quoted-printable\n\nx=4=4", "x=4=4", NULL},
    {"bad base64 skipped", "Content-Transfer-Encoding: base64\n\n!!!SGVs*bG8=***", "Hello", NULL},
    {"base64 with blanks", "Content-Transfer-Encoding: BASE64\n\nSGVs bG8g\n  V29y\tbGQ=\n",
     "Hello World", NULL},
    {"unknown encoding as 8bit", "Content-Transfer-Encoding: x-uuencode\n\nraw", "raw", NULL},
    {"unknown charset, latin bytes", TEXT "x-bogus\n\nCaf\xe9", "Caf\xc3\xa9", NULL},
    {"unknown charset, UTF-8 bytes", TEXT "x-bogus\n\nCaf\xc3\xa9", "Caf\xc3\xa9", NULL},
    {"no charset, 8-bit", "Content-Type: text/plain\n\n\x93quoted\x94",
     "\xe2\x80\x9cquoted\xe2\x80\x9d", NULL},
    {"charset name that is no name", TEXT "\"../../etc/x\"\n\nok\xe9", "ok\xc3\xa9", NULL},
    {"invalid UTF-8 is U+FFFD",
     TEXT "utf-8\n\na\xff"
          "b\xc3",
     "a\xef\xbf\xbd"
     "b\xef\xbf\xbd",
     NULL},
    {"overlong UTF-8 is U+FFFD", TEXT "utf-8\n\n\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd", NULL},
    {"windows-1252 hole is U+FFFD", TEXT "windows-1252\n\na\x81z", "a\xef\xbf\xbdz", NULL},
    {"ISO-8859-1 read as windows-1252", TEXT "iso-8859-1\n\n\x80 5", "\xe2\x82\xac 5", NULL},
    {"ISO-8859-2", TEXT "iso-8859-2\n\nZa\xbf\xf3\xb3\xe6", "Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87",
     NULL},
    {"KOI8-R", TEXT "koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4",
     "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", NULL},
    {"GB2312", TEXT "gb2312\n\n\xd6\xd0\xce\xc4", "\xe4\xb8\xad\xe6\x96\x87", NULL},
    {"GBK", TEXT "GBK\n\n\x81\x40", "\xe4\xb8\x82", NULL},
    {"Shift_JIS", TEXT "Shift_JIS\n\n\x93\xfa\x96\x7b\x8c\xea",
     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", NULL},
    {"Shift_JIS as Windows does", TEXT "shift_jis\n\n\x87\x40", "\xe2\x91\xa0", NULL},
    {"EUC-KR", TEXT "ks_c_5601-1987\n\n\xc7\xd1\xb1\xb9", "\xed\x95\x9c\xea\xb5\xad", NULL},
    {"Big5", TEXT "big5\n\n\xa4\xa4\xa4\xe5", "\xe4\xb8\xad\xe6\x96\x87", NULL},
    {"ISO-2022-JP cut short", TEXT "iso-2022-jp\n\n\x1b$BF|\x1b(B ok \x1b$BF",
     "\xe6\x97\xa5 ok \xef\xbf\xbd", NULL},
    {"UTF-16 with BOM", TEXT "utf-16\nContent-Transfer-Encoding: base64\n\n//5IAGkAIQA=\n", "Hi!",
     NULL},
    {"UTF-7", TEXT "utf-7\n\nHi Mom -+Jjo--!", "Hi Mom -\xe2\x98\xba-!", NULL},
    {"NUL bytes dropped", TEXT "utf-8\n\nHel\0lo", "Hello", NULL},
    {"CR alone is a line end", TEXT "utf-8\n\none\rtwo\r\nthree", "one\ntwo\nthree", NULL},
    /* format=flowed */
    {"flowed", TEXT "utf-8; format=flowed\n\nThis is \nflowed.\nFixed\n", "This is flowed.\nFixed",
     NULL},
    {"flowed DelSp=yes",
     TEXT "ISO-2022-JP; format=flowed; delsp=yes\n\n\x1b$BF|\x1b(B \n\x1b$BK\\\x1b(B\n",
     "\xe6\x97\xa5\xe6\x9c\xac", NULL},
    {"flowed DelSp=yes, ASCII",
     TEXT "utf-8; format=Flowed; DelSp=Yes\n\nHello wor \nld. Next \nline.\n",
     "Hello world. Nextline.", NULL},
    {"flowed quotes",
     TEXT "utf-8; format=flowed\n\n> quoted \n> line\n>> deeper \n>> too\n> back \nnot quoted\n",
     "> quoted line\n>> deeper too\n> back\nnot quoted", NULL},
    {"flowed signature", TEXT "utf-8; format=flowed\n\nText \n-- \nBen \nHarris\n",
     "Text\n-- \nBen Harris", NULL},
    {"flowed space-stuffed", TEXT "utf-8; format=flowed\n\n From here\n  two\n", "From here\n two",
     NULL},
    {"flowed, quoted-printable",
     TEXT
     "utf-8; format=flowed\nContent-Transfer-Encoding: quoted-printable\n\nSoft=20\nbreak=\n\n",
     "Soft break", NULL},
    /* forwards */
    {"forward below the outer text",
     "Content-Type: multipart/mixed; boundary=m\n\n--m\n\nSee below\n--m\nContent-Type: "
     "message/rfc822\n\nFrom: Sarah <s@example.com>\nDate: Mon, 3 Jun 2024 17:02:11 +1000\nTo: "
     "Dave <d@example.com>\nSubject: =?utf-8?q?Road_closure_=E2=80=93_Smith_St?=\n\nSmith St "
     "closed Thursday\n--m--\n",
     "See below\n\n-----Original Message-----\nFrom: Sarah <s@example.com>\nSent: Mon, 3 Jun 2024 "
     "17:02:11 +1000\nTo: Dave <d@example.com>\nSubject: Road closure \xe2\x80\x93 Smith "
     "St\n\nSmith St closed Thursday",
     NULL},
    {"forward alone is followed",
     "Content-Type: message/rfc822\n\nFrom: a@example.com\nSubject: s\n\nInner text\n",
     "Inner text", NULL},
    {"base64 forward",
     "Content-Type: multipart/mixed; boundary=m\n\n--m\n\n\n--m\nContent-Type: message/rfc822\n"
     "Content-Transfer-Encoding: base64\n\nRnJvbTogYUBleGFtcGxlLmNvbQoKSW5uZXIK\n--m--\n",
     "Inner", NULL},
    {"Outlook inline forward",
     TEXT
     "utf-8\n\n\xc2\xa0\n\n________________________________\nFrom: Council <c@example.gov.au>\n"
     "Sent: Monday, 3 June 2024 4:45 PM\nTo: Sarah <s@example.com>\nSubject: Road "
     "closure\n\nSmith St closed Thursday.\n",
     "Smith St closed Thursday.", NULL},
    {"Outlook inline forward, no rule",
     TEXT "utf-8\n\nFrom: Council <c@example.gov.au> \nSent: Monday, 3 June 2024 4:45 PM\nTo: "
          "Sarah\nSubject: Road closure\n\nSmith St closed.\n",
     "Smith St closed.", NULL},
    {"Outlook on the web inline forward, HTML",
     "Content-Type: text/html; charset=utf-8\n\n<div><br></div><hr style=\"display:inline-block;"
     "width:98%\" tabindex=\"-1\"><div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri\"><b>"
     "From:</b> Council &lt;c@example.gov.au&gt;<br><b>Sent:</b> Monday, 3 June 2024 4:45 PM<br><b>"
     "To:</b> Sarah<br><b>Subject:</b> Road closure</font><div>&nbsp;</div></div><div>Smith St "
     "closed.</div>",
     "Smith St closed.", NULL},
    {"Apple Mail inline forward",
     TEXT
     "utf-8\n\n\n\nBegin forwarded message:\n\nFrom: Council <c@example.gov.au>\nSubject: Road "
     "closure\nDate: 3 June 2024 at 4:45:00 pm AEST\nTo: Sarah <s@example.com>\n\nSmith St "
     "closed.\n",
     "Smith St closed.", NULL},
    {"Thunderbird inline forward",
     TEXT "utf-8\n\n\n\n-------- Forwarded Message --------\nSubject: \tRoad closure\nDate: \tMon, "
          "3 Jun 2024 16:45:00 +1000\nFrom: \tCouncil <c@example.gov.au>\nTo: \tSarah\n\nSmith St "
          "closed.\n",
     "Smith St closed.", NULL},
    {"inline forward below text stays",
     TEXT "utf-8\n\nFYI\n\n-----Original Message-----\nFrom: a\nSent: b\n\nInner\n",
     "FYI\n\n-----Original Message-----\nFrom: a\nSent: b\n\nInner", NULL},
    {"not a forward block", TEXT "utf-8\n\nFrom: the site office\nAll good.\n",
     "From: the site office\nAll good.", NULL},
};

/* test_mails - the table of small mails */
static void
test_mails(void)
{
    for (size_t i = 0; i < sizeof mails / sizeof mails[0]; i++) {
        const char *m = mails[i].mail;
        /* one case has a NUL byte in the middle: take the length up to the end */
        size_t len = strlen(m);
        if (strstr(mails[i].what, "NUL"))
            len += 1 + strlen(m + len + 1);
        struct mime_text r;
        if (parse(m, len, &limits, &r) != 0) {
            ok(0, "%s", mails[i].what);
            continue;
        }
        if (mails[i].body || !mails[i].subject)
            is_str(r.body, mails[i].body, "%s", mails[i].what);
        else
            ok(r.body == NULL || strcmp(r.body, "") != 0, "%s: no crash", mails[i].what);
        if (mails[i].subject)
            is_str(r.subject, mails[i].subject, "%s: subject", mails[i].what);
        mime_text_free(&r);
    }
}

/* nested - n multiparts one inside the other around a text */
static char *
nested(int n, size_t *len)
{
    size_t cap = (size_t)n * 64 + 128;
    char *s = malloc(cap), *p = s;
    for (int i = 0; i < n; i++)
        p += sprintf(p, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
    p += sprintf(p, "\ndeep text\n");
    *len = (size_t)(p - s);
    return s;
}

/* test_limits - max_depth, and mails that would be slow or crash libetpan */
static void
test_limits(void)
{
    struct mime_text r;
    char *error = NULL;
    size_t len;
    char *s = nested(20, &len);
    is_int(mime_parse(s, len, &limits, &r, &error), 0, "20 levels within max_depth 20");
    is_str(r.body, "deep text", "... the text found");
    mime_text_free(&r);
    free(s);

    s = nested(21, &len);
    is_int(mime_parse(s, len, &limits, &r, &error), -1, "21 levels over max_depth 20");
    ok(error && strstr(error, "20"), "... with a reason: %s", error ? error : "(none)");
    ok(r.body == NULL && r.headers == NULL && r.nheaders == 0, "... and nothing to free");
    free(error);
    error = NULL;
    free(s);

    const char *fwd = "Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nSubject: "
                      "x\n\ntext\n";
    struct mime_limits one = {.max_depth = 1};
    is_int(mime_parse(fwd, strlen(fwd), &one, &r, &error), -1, "forwards count as nesting");
    free(error);
    error = NULL;

    /* libetpan's own mailmime_parse() overflows the stack on this one */
    clock_t t0 = clock();
    s = nested(100000, &len);
    is_int(mime_parse(s, len, &limits, &r, &error), -1, "100000 levels (%zu bytes): an error", len);
    free(error);
    error = NULL;
    free(s);

    struct mime_limits huge = {.max_depth = 1000000};
    s = nested(100000, &len);
    is_int(mime_parse(s, len, &huge, &r, &error), -1, "... even when the caller allows it all");
    free(error);
    error = NULL;
    free(s);
    diag("deep nesting: %.2f s", (double)(clock() - t0) / CLOCKS_PER_SEC);

    is_int(mime_parse(NULL, 0, &limits, &r, &error), 0, "no data at all");
    ok(r.body == NULL && r.subject == NULL && r.nheaders == 0, "... nothing in it");
    mime_text_free(&r);
    is_int(mime_parse("", 0, NULL, &r, &error), 0, "no limits: the default");
    mime_text_free(&r);
}

/* big - a 10 MB mail: a short text and a large base64 attachment */
static char *
big(size_t *len)
{
    const char *head = "From: Dave <d@example.com>\nSubject: Site photos\nMIME-Version: 1.0\n"
                       "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n" TEXT
                       "utf-8\n\nPhotos of the slab attached.\n--b\nContent-Type: "
                       "application/octet-stream; name=photos.zip\nContent-Disposition: "
                       "attachment; filename=photos.zip\nContent-Transfer-Encoding: base64\n\n";
    size_t cap = 10 * 1024 * 1024 + 4096, n = strlen(head);
    char *s = malloc(cap);
    memcpy(s, head, n);
    unsigned x = 12345;
    while (n < cap - 200) {
        for (int i = 0; i < 76; i++) {
            x = x * 1103515245 + 12345;
            s[n++] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[x >> 26];
        }
        s[n++] = '\n';
    }
    n += (size_t)sprintf(s + n, "--b--\n");
    *len = n;
    return s;
}

/* test_big - large mails finish, in time linear in their size */
static void
test_big(void)
{
    struct mime_text r;
    char *error = NULL;
    size_t len;
    char *s = big(&len);
    clock_t t0 = clock();
    is_int(mime_parse(s, len, &limits, &r, &error), 0, "10 MB mail parses");
    double t = (double)(clock() - t0) / CLOCKS_PER_SEC;
    is_str(r.body, "Photos of the slab attached.", "... its text");
    ok(t < 5, "... in %.3f s", t);
    mime_text_free(&r);

    /* the attachment as the text: 10 MB to decode, convert and trim */
    char *p = strstr(s, "application/octet-stream");
    memcpy(p, "text/plain;              ", 24);
    p = strstr(s, "Content-Disposition: attachment");
    memcpy(p, "Content-Disposition: inline    ", 31);
    t0 = clock();
    is_int(mime_parse(s, len, &limits, &r, &error), 0, "10 MB of text parses");
    t = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ok(r.body && strlen(r.body) > 7000000, "... all of it (%zu bytes)",
       r.body ? strlen(r.body) : 0);
    ok(t < 10, "... in %.3f s", t);
    mime_text_free(&r);
    free(s);

    /* 10 MB of empty parts: only the first ones are looked at */
    len = 10 * 1024 * 1024;
    s = malloc(len + 64);
    size_t n = (size_t)sprintf(s, "Content-Type: multipart/mixed; boundary=b\n\n");
    while (n + 4 < len) {
        memcpy(s + n, "--b\n", 4);
        n += 4;
    }
    t0 = clock();
    is_int(mime_parse(s, n, &limits, &r, &error), 0, "2.6 million empty parts");
    t = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ok(t < 5, "... in %.3f s", t);
    mime_text_free(&r);

    /* 10 MB of flowed lines and of HTML */
    n = (size_t)sprintf(s, TEXT "utf-8; format=flowed\n\n");
    while (n + 12 < len) {
        memcpy(s + n, "word word \n", 11);
        n += 11;
    }
    t0 = clock();
    is_int(mime_parse(s, n, &limits, &r, &error), 0, "10 MB of flowed text");
    t = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ok(r.body && !strchr(r.body, '\n'), "... one paragraph");
    ok(t < 5, "... in %.3f s", t);
    mime_text_free(&r);

    n = (size_t)sprintf(s, "Content-Type: text/html\n\n");
    while (n + 40 < len) {
        memcpy(s + n, "<div><p>cell</p><table><tr><td>x", 33);
        n += 33;
    }
    t0 = clock();
    is_int(mime_parse(s, n, &limits, &r, &error), 0, "10 MB of nested HTML");
    t = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ok(r.body != NULL, "... some text");
    ok(t < 20, "... in %.3f s", t);
    mime_text_free(&r);
    free(s);
}

/* ---- HTML ---------------------------------------------------------------- */

static const struct {
    const char *what, *html, *text;
} htmls[] = {
    {"empty", "", ""},
    {"plain text", "just text", "just text"},
    {"blocks", "<div>one</div><div>two</div>three", "one\ntwo\nthree"},
    {"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
    {"br", "a<br>b<br/><br>c", "a\nb\n\nc"},
    {"br at the end of a block", "<div>a<br></div><div><br></div><div>b</div>", "a\n\nb"},
    {"whitespace collapsed", "  a \n\t b   <b> c </b> d\n", "a b c d"},
    {"inline elements", "<b>bold</b><i>ital</i> <span>span</span>", "boldital span"},
    {"table rows",
     "<table><tr><th>Qty</th><th>Item</th></tr><tr><td>2</td><td>Bolts</td></tr>"
     "<tr><td>\t10 </td><td> Nuts</td></tr></table>after",
     "Qty Item\n2 Bolts\n10 Nuts\nafter"},
    {"nested table in a cell",
     "<table><tr><td><table><tr><td>a</td><td>b</td></tr></table></td>"
     "<td>c</td></tr></table>",
     "a b\nc"},
    {"head, title, style, script",
     "<html><head><title>T</title><style>p{color:red}</style></head>"
     "<body><script>alert(1)</script>body</body></html>",
     "body"},
    {"template and noscript", "<template>t</template><noscript>n</noscript>x", "x"},
    {"comments", "a<!-- hidden -->b<!--[if mso]>mso<![endif]-->", "ab"},
    {"hidden attribute", "<div hidden>no</div><p hidden=\"\">no</p>yes", "yes"},
    {"display:none",
     "<span style=\"display:none\">no</span><div style='color:red; DISPLAY : None "
     "!important'>no</div>yes",
     "yes"},
    {"visibility:hidden", "<span style=\"visibility: hidden;\">no</span>yes", "yes"},
    {"hidden preheader",
     "<div style=\"display:none;max-height:0;overflow:hidden\">Preview "
     "text<p>more</p></div><p>Body</p>",
     "Body"},
    {"display other than none", "<div style=\"display:block\">shown</div>", "shown"},
    {"entities", "&amp; &lt;&gt; &quot;&#39; &eacute;&#x20AC;&#8211;",
     "& <> \"' \xc3\xa9\xe2\x82\xac\xe2\x80\x93"},
    {"nbsp stays", "a&nbsp;b &nbsp; c",
     "a\xc2\xa0"
     "b \xc2\xa0 c"},
    {"nbsp-only line is empty", "a<br>&nbsp;<br>&nbsp;<br>&nbsp;<br>b", "a\n\nb"},
    {"unknown entity", "&bogus; x", "&bogus; x"},
    {"pre", "<pre>  a  b\n\n    c</pre>d", "  a  b\n\n    c\n\nd"},
    {"pre CRLF", "<pre>a\r\nb</pre>", "a\nb"},
    {"headings", "<h1>Title</h1>text<h2>Sub</h2>more", "Title\n\ntext\n\nSub\n\nmore"},
    {"at most one empty line", "<p>a</p><br><br><br><p>b</p>", "a\n\nb"},
    {"no empty lines at the ends", "<br><br><p>a</p><br><br>", "a"},
    {"lists", "<ul><li>one</li><li>two</li></ul><ol start=\"3\"><li>three</li><li>four</li></ol>",
     "- one\n- two\n\n3. three\n4. four"},
    {"nested list", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n- b\n- c"},
    {"hr", "above<hr>below", "above\n\nbelow"},
    {"blockquote indent",
     "<blockquote style=\"margin:0 0 0 40px;border:none\">indented</blockquote>x", "indented\nx"},
    {"quoted blockquote", "Yes<blockquote type=\"cite\">Hi<br><br>Can you?</blockquote>",
     "Yes\n\n> Hi\n>\n> Can you?"},
    {"Gmail quote",
     "<div dir=\"ltr\">Sure</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">On Tue, "
     "Sarah wrote:<br></div><blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px "
     "0.8ex;border-left:1px solid "
     "rgb(204,204,204);padding-left:1ex\"><div>Hi</div></blockquote></div>",
     "Sure\n\nOn Tue, Sarah wrote:\n> Hi"},
    {"Outlook paragraphs",
     "<style><!--\n/* Style Definitions */\np.MsoNormal, li.MsoNormal, "
     "div.MsoNormal\n\t{margin:0cm;\n"
     "\tfont-size:11.0pt;}\n--></style><p class=MsoNormal>Hi,<o:p></o:p></p><p "
     "class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Call me.<o:p></o:p></p>",
     "Hi,\n\nCall me."},
    {"Outlook without its style sheet",
     "<p class=MsoNormal>Hi,<o:p></o:p></p><p class=MsoNormal>Call me.<o:p></o:p></p>",
     "Hi,\nCall me."},
    {"Outlook on the web's P rule",
     "<style type=\"text/css\" style=\"display:none;\"> P {margin-top:0;margin-bottom:0;} </style>"
     "<p>one</p><p>two</p>",
     "one\ntwo"},
    {"a class's zero margins",
     "<style>p.tight{margin:0}</style><p class=\"x tight\">a</p><p "
     "class=tight>b</p><p>c</p>",
     "a\nb\n\nc"},
    {"inline zero margins",
     "<p style=\"margin:0\">a</p><p style=\"margin-top:0;margin-bottom:0\">b"
     "</p><p style=\"margin: 0 0 12pt 0\">c</p>d",
     "a\nb\nc\n\nd"},
    {"Outlook list bullets",
     "<p class=MsoListParagraph><![if !supportLists]><span>1.<span>&nbsp;"
     "</span></span><![endif]>First</p>",
     "1.\xc2\xa0"
     "First"},
    {"Office prefixes", "<p>a<o:p></o:p>b<st1:place>Sydney</st1:place></p>", "abSydney"},
    {"upper case", "<DIV STYLE='DISPLAY:NONE'>x</DIV><P>Y</P><BR>Z", "Y\n\nZ"},
    {"unclosed", "<div><p>unclosed <b>bold", "unclosed bold"},
    {"stray end tags", "</p></div>text</td></tr>", "text"},
    {"garbage (libxml2's recovery)", "<<<>>><<a", ">>><"},
    {"meta charset ignored", "<meta charset=\"iso-8859-1\"><p>\xc3\xa9</p>", "\xc3\xa9"},
    {"images show nothing", "<img src=\"cid:logo\" alt=\"Logo\">x", "x"},
    {"links show their text", "<a href=\"https://example.com\">the link</a>", "the link"},
    {"NUL byte", "a\0b", "a b"},
};

/* test_html - the table of HTML fragments */
static void
test_html(void)
{
    for (size_t i = 0; i < sizeof htmls / sizeof htmls[0]; i++) {
        size_t len = strlen(htmls[i].html);
        if (strcmp(htmls[i].what, "NUL byte") == 0)
            len = 3;
        char *t = html_to_text(htmls[i].html, len);
        is_str(t, htmls[i].text, "html: %s", htmls[i].what);
        free(t);
    }
    char *t = html_to_text(NULL, 0);
    is_str(t, "", "html: NULL");
    free(t);
}

/* main - corpus, small mails, limits, big mails, HTML */
int
main(void)
{
    test_corpus();
    test_headers();
    test_mails();
    test_limits();
    test_big();
    test_html();
    return done_testing();
}
