/*
 * lmtp_test.c - LMTP command lines and XFORWARD attributes, as a client sees them
 *
 * Every refusal is asserted by its whole reply line: that is what Postfix
 * logs ("host said: ...") and what a postmaster greps for. RFC 3463: 5.1.7
 * is about the sender's address, 5.1.3 about a recipient's.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmtp.h"
#include "tap.h"

/* --- lmtp_parse ---------------------------------------------------------- */

#define OK NULL /* no reply: the command is accepted */

static const struct {
    const char *line;
    const char *reply; /* OK, or the whole reply line */
    enum lmtp_verb verb;
    const char *addr; /* MAIL/RCPT: the path; LHLO, XFORWARD...: arg */
    long long size;
} parse_cases[] = {
    /* every verb, in any case */
    {"LHLO client.example.com", OK, LMTP_LHLO, "client.example.com", -1},
    {"lhlo client.example.com", OK, LMTP_LHLO, "client.example.com", -1},
    {"LhLo   client.example.com", OK, LMTP_LHLO, "client.example.com", -1},
    {"LHLO", "501 5.5.4 Syntax: LHLO hostname", LMTP_LHLO, NULL, -1},
    {"LHLO ", "501 5.5.4 Syntax: LHLO hostname", LMTP_LHLO, NULL, -1},
    {"MAIL FROM:<a@b.example>", OK, LMTP_MAIL, "a@b.example", -1},
    {"mail from:<a@b.example>", OK, LMTP_MAIL, "a@b.example", -1},
    {"Mail From:<A@B.Example>", OK, LMTP_MAIL, "A@B.Example", -1},
    {"RCPT TO:<u@d.example>", OK, LMTP_RCPT, "u@d.example", -1},
    {"rcpt to:<u@d.example>", OK, LMTP_RCPT, "u@d.example", -1},
    {"DATA", OK, LMTP_DATA, "", -1},
    {"data", OK, LMTP_DATA, "", -1},
    {"DATA ", OK, LMTP_DATA, "", -1},
    {"RSET", OK, LMTP_RSET, "", -1},
    {"rset", OK, LMTP_RSET, "", -1},
    {"NOOP", OK, LMTP_NOOP, "", -1},
    {"noop whatever", OK, LMTP_NOOP, "whatever", -1},
    {"QUIT", OK, LMTP_QUIT, "", -1},
    {"quit", OK, LMTP_QUIT, "", -1},
    {"VRFY u@d.example", OK, LMTP_VRFY, "u@d.example", -1},
    {"vrfy", OK, LMTP_VRFY, "", -1},
    {"XFORWARD ADDR=192.0.2.1", OK, LMTP_XFORWARD, "ADDR=192.0.2.1", -1},
    {"xforward NAME=x", OK, LMTP_XFORWARD, "NAME=x", -1},

    /* parameters on commands that take none */
    {"DATA x", "501 5.5.4 Syntax: no parameters allowed", LMTP_DATA, NULL, -1},
    {"RSET now", "501 5.5.4 Syntax: no parameters allowed", LMTP_RSET, NULL, -1},
    {"QUIT please", "501 5.5.4 Syntax: no parameters allowed", LMTP_QUIT, NULL, -1},

    /* SMTP greetings and unknown verbs */
    {"HELO client.example.com", "500 5.5.1 Error: this is LMTP, say LHLO", LMTP_HELO, NULL, -1},
    {"EHLO client.example.com", "500 5.5.1 Error: this is LMTP, say LHLO", LMTP_HELO, NULL, -1},
    {"ehlo", "500 5.5.1 Error: this is LMTP, say LHLO", LMTP_HELO, NULL, -1},
    {"", "500 5.5.2 Error: command not recognized", LMTP_UNKNOWN, NULL, -1},
    {" ", "500 5.5.2 Error: command not recognized", LMTP_UNKNOWN, NULL, -1},
    {"FOO bar", "500 5.5.2 Error: command not recognized", LMTP_UNKNOWN, NULL, -1},
    {"MAI FROM:<a@b.example>", "500 5.5.2 Error: command not recognized", LMTP_UNKNOWN, NULL, -1},
    {"MAILFROM:<a@b.example>", "500 5.5.2 Error: command not recognized", LMTP_UNKNOWN, NULL, -1},
    {"XFORWARDX", "500 5.5.2 Error: command not recognized", LMTP_UNKNOWN, NULL, -1},
    {"STARTTLS", "500 5.5.2 Error: command not recognized", LMTP_UNKNOWN, NULL, -1},
    {"MAIL\tFROM:<a@b.example>", "500 5.5.2 Error: command not recognized", LMTP_UNKNOWN, NULL, -1},

    /* ESMTP parameters */
    {"MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME", OK, LMTP_MAIL, "a@b.example", 1000},
    {"MAIL FROM:<a@b.example> body=8bitmime size=0", OK, LMTP_MAIL, "a@b.example", 0},
    {"MAIL FROM:<a@b.example> BODY=7BIT", OK, LMTP_MAIL, "a@b.example", -1},
    {"MAIL FROM:<a@b.example>  SIZE=42  ", OK, LMTP_MAIL, "a@b.example", 42},
    /* RFC 1870 allows 20 digits: a size past any limit, which the session refuses with 552 */
    {"MAIL FROM:<a@b.example> SIZE=99999999999999999999", OK, LMTP_MAIL, "a@b.example", LLONG_MAX},
    {"MAIL FROM:<a@b.example> SIZE=abc", "501 5.5.4 Bad SIZE parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> SIZE=", "501 5.5.4 Bad SIZE parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> SIZE=-1", "501 5.5.4 Bad SIZE parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> SIZE=+5", "501 5.5.4 Bad SIZE parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> SIZE=\t5", "501 5.5.4 Bad SIZE parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> SIZE=12k", "501 5.5.4 Bad SIZE parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> AUTH=<>", "555 5.5.4 Unsupported parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> SMTPUTF8", "555 5.5.4 Unsupported parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> BODY=BINARYMIME", "555 5.5.4 Unsupported parameter", LMTP_MAIL, NULL,
     -1},
    /* prefixes of the parameters understood are not those parameters */
    {"MAIL FROM:<a@b.example> B", "555 5.5.4 Unsupported parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> BODY=", "555 5.5.4 Unsupported parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> BODY=8BIT", "555 5.5.4 Unsupported parameter", LMTP_MAIL, NULL, -1},
    {"MAIL FROM:<a@b.example> BODY=7BITX", "555 5.5.4 Unsupported parameter", LMTP_MAIL, NULL, -1},
    {"RCPT TO:<u@d.example> NOTIFY=NEVER", "555 5.5.4 Unsupported parameter", LMTP_RCPT, NULL, -1},
    {"RCPT TO:<u@d.example> SIZE=10", "555 5.5.4 Unsupported parameter", LMTP_RCPT, NULL, -1},
    {"RCPT TO:<u@d.example> BODY=8BITMIME", "555 5.5.4 Unsupported parameter", LMTP_RCPT, NULL, -1},

    /* the null sender; a null recipient is no recipient */
    {"MAIL FROM:<>", OK, LMTP_MAIL, "", -1},
    {"MAIL FROM:<> SIZE=512", OK, LMTP_MAIL, "", 512},
    {"RCPT TO:<>", "501 5.1.3 Recipient address required", LMTP_RCPT, NULL, -1},

    /* the path's syntax */
    {"MAIL FROM: <a@b.example>", OK, LMTP_MAIL, "a@b.example", -1},
    {"MAIL", "501 5.5.4 Syntax: MAIL FROM:<address>", LMTP_MAIL, NULL, -1},
    {"MAIL TO:<a@b.example>", "501 5.5.4 Syntax: MAIL FROM:<address>", LMTP_MAIL, NULL, -1},
    {"RCPT", "501 5.5.4 Syntax: RCPT TO:<address>", LMTP_RCPT, NULL, -1},
    {"RCPT FROM:<u@d.example>", "501 5.5.4 Syntax: RCPT TO:<address>", LMTP_RCPT, NULL, -1},
    {"MAIL FROM:a@b.example", "501 5.5.4 Syntax: address must be in angle brackets", LMTP_MAIL,
     NULL, -1},
    {"RCPT TO:u@d.example", "501 5.5.4 Syntax: address must be in angle brackets", LMTP_RCPT, NULL,
     -1},
    {"RCPT TO:", "501 5.5.4 Syntax: address must be in angle brackets", LMTP_RCPT, NULL, -1},
    {"MAIL FROM:<a@b.example", "501 5.5.4 Syntax: missing '>'", LMTP_MAIL, NULL, -1},
    {"RCPT TO:<u@d.example", "501 5.5.4 Syntax: missing '>'", LMTP_RCPT, NULL, -1},
    {"RCPT TO:<", "501 5.5.4 Syntax: missing '>'", LMTP_RCPT, NULL, -1},
    {"MAIL FROM:<user>", "501 5.1.7 Bad address syntax: expected local-part@domain", LMTP_MAIL,
     NULL, -1},
    {"RCPT TO:<postmaster>", "501 5.1.3 Bad address syntax: expected local-part@domain", LMTP_RCPT,
     NULL, -1},
    {"RCPT TO:<u@>", "501 5.1.3 Bad address syntax: expected local-part@domain", LMTP_RCPT, NULL,
     -1},

    /* source routes (RFC 5321 4.1.2): accepted and dropped */
    {"RCPT TO:<@a.example,@b.example:u@d.example>", OK, LMTP_RCPT, "u@d.example", -1},
    {"MAIL FROM:<@a.example:a@b.example>", OK, LMTP_MAIL, "a@b.example", -1},
    {"RCPT TO:<@a.example>", "501 5.1.3 Syntax: bad source route", LMTP_RCPT, NULL, -1},
    {"MAIL FROM:<@a.example>", "501 5.1.7 Syntax: bad source route", LMTP_MAIL, NULL, -1},
    /* the route ends inside the brackets: a ':' further on is no end of it */
    {"MAIL FROM:<@a.example> X:<a@b.example>", "501 5.1.7 Syntax: bad source route", LMTP_MAIL,
     NULL, -1},
    {"RCPT TO:<@a.example> NOTIFY=x:u@d.example>", "501 5.1.3 Syntax: bad source route", LMTP_RCPT,
     NULL, -1},

    /* quoted local parts are kept as written, quoted-pairs included */
    {"RCPT TO:<\"john smith\"@d.example>", OK, LMTP_RCPT, "\"john smith\"@d.example", -1},
    {"RCPT TO:<\"a\\\"b\"@d.example>", OK, LMTP_RCPT, "\"a\\\"b\"@d.example", -1},
    {"RCPT TO:<\"a\\\\\"@d.example>", OK, LMTP_RCPT, "\"a\\\\\"@d.example", -1},
    {"RCPT TO:<\"a>b\"@d.example>", OK, LMTP_RCPT, "\"a>b\"@d.example", -1},
    {"RCPT TO:<\"a@b\"@d.example>", OK, LMTP_RCPT, "\"a@b\"@d.example", -1},
    {"MAIL FROM:<\"x y\"@b.example> SIZE=7", OK, LMTP_MAIL, "\"x y\"@b.example", 7},
    {"RCPT TO:<\"unterminated@d.example>", "501 5.5.4 Syntax: missing '>'", LMTP_RCPT, NULL, -1},

    /* control characters */
    {"RCPT TO:<u\tv@d.example>", "501 5.1.3 Syntax: control character in address", LMTP_RCPT, NULL,
     -1},
    {"MAIL FROM:<a\x01@b.example>", "501 5.1.7 Syntax: control character in address", LMTP_MAIL,
     NULL, -1},
    {"MAIL FROM:<a@b.example\x7f>", "501 5.1.7 Syntax: control character in address", LMTP_MAIL,
     NULL, -1},
    {"RCPT TO:<\"a\\\x1b\"@d.example>", "501 5.1.3 Syntax: control character in address", LMTP_RCPT,
     NULL, -1},
    {"RCPT TO:<\"a\r\"@d.example>", "501 5.1.3 Syntax: control character in address", LMTP_RCPT,
     NULL, -1},
    /* 8-bit (SMTPUTF8-style) bytes are not control characters */
    {"RCPT TO:<j\xc3\xb6rg@d.example>", OK, LMTP_RCPT, "j\xc3\xb6rg@d.example", -1},
};

static void
test_parse_table(void)
{
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        struct lmtp_cmd cmd;
        const char *reply = NULL;
        const char *line = parse_cases[i].line;
        int rc = lmtp_parse(line, &cmd, &reply);
        if (parse_cases[i].reply == OK) {
            if (!ok(rc == 0, "accepted: %s", vis(line))) {
                diag("  reply \"%s\"", reply ? reply : "(null)");
                continue;
            }
            is_int(cmd.verb, parse_cases[i].verb, "  verb of %s", vis(line));
            if (cmd.verb == LMTP_MAIL || cmd.verb == LMTP_RCPT) {
                is_str(cmd.addr, parse_cases[i].addr, "  path of %s", vis(line));
                is_int(cmd.size, parse_cases[i].size, "  SIZE of %s", vis(line));
            } else {
                is_str(cmd.arg, parse_cases[i].addr, "  argument of %s", vis(line));
            }
        } else {
            is_int(rc, -1, "refused: %s", vis(line));
            is_str(reply, parse_cases[i].reply, "  reply to %s", vis(line));
            is_int(cmd.verb, parse_cases[i].verb, "  verb of %s", vis(line));
        }
    }
}

/* test_parse_limits - the longest path kept, one more refused, buffer always terminated */
static void
test_parse_limits(void)
{
    static char line[LMTP_ADDR_MAX + 64];
    const char *domain = "@d.example";
    struct lmtp_cmd cmd;
    const char *reply = NULL;

    /* LMTP_ADDR_MAX - 1 characters fill the buffer with its terminating NUL */
    size_t local = LMTP_ADDR_MAX - 1 - strlen(domain);
    int n = snprintf(line, sizeof(line), "RCPT TO:<");
    memset(line + n, 'x', local);
    snprintf(line + n + local, sizeof(line) - (size_t)n - local, "%s>", domain);
    is_int(lmtp_parse(line, &cmd, &reply), 0, "path of LMTP_ADDR_MAX - 1 characters accepted");
    is_int(strlen(cmd.addr), LMTP_ADDR_MAX - 1, "  kept whole");
    ok(strncmp(cmd.addr + local, domain, strlen(domain)) == 0, "  domain intact");

    /* LMTP_ADDR_MAX characters are refused */
    n = snprintf(line, sizeof(line), "RCPT TO:<");
    memset(line + n, 'x', local + 1);
    snprintf(line + n + local + 1, sizeof(line) - (size_t)n - local - 1, "%s>", domain);
    is_int(lmtp_parse(line, &cmd, &reply), -1, "path of LMTP_ADDR_MAX characters refused");
    is_str(reply, "501 5.1.3 Address too long", "  reply for a recipient");
    ok(memchr(cmd.addr, 0, sizeof(cmd.addr)) != NULL, "  addr still NUL-terminated");

    line[0] = 0;
    n = snprintf(line, sizeof(line), "MAIL FROM:<");
    memset(line + n, 'y', LMTP_ADDR_MAX + 20);
    strcpy(line + n + LMTP_ADDR_MAX + 20, "@b.example>");
    is_int(lmtp_parse(line, &cmd, &reply), -1, "overlong sender refused");
    is_str(reply, "501 5.1.7 Address too long", "  reply for a sender");
    ok(memchr(cmd.addr, 0, sizeof(cmd.addr)) != NULL, "  addr still NUL-terminated");

    /* a source route does not count towards the limit */
    n = snprintf(line, sizeof(line), "RCPT TO:<@relay.example:");
    memset(line + n, 'z', local);
    snprintf(line + n + local, sizeof(line) - (size_t)n - local, "%s>", domain);
    is_int(lmtp_parse(line, &cmd, &reply), 0, "source route not counted in the limit");
    is_int(strlen(cmd.addr), LMTP_ADDR_MAX - 1, "  route dropped, address whole");
}

/* test_parse_reuse - a failed parse leaves no path of the previous command behind */
static void
test_parse_reuse(void)
{
    struct lmtp_cmd cmd;
    const char *reply = NULL;
    is_int(lmtp_parse("MAIL FROM:<a@b.example> SIZE=9", &cmd, &reply), 0, "first command");
    is_int(lmtp_parse("NOOP", &cmd, &reply), 0, "second command");
    is_str(cmd.addr, "", "  no path carried over");
    is_int(cmd.size, -1, "  no SIZE carried over");
}

/* --- lmtp_xforward_parse ------------------------------------------------- */

static const struct {
    const char *arg;
    int rc;
    const char *addr, *name, *helo, *ident, *proto;
} xf_cases[] = {
    {"ADDR=192.0.2.1 NAME=mail.example.com IDENT=4XyZ PROTO=ESMTP HELO=client", 0, "192.0.2.1",
     "mail.example.com", "client", "4XyZ", "ESMTP"},
    {"addr=192.0.2.1 name=mail.example.com", 0, "192.0.2.1", "mail.example.com", "", "", ""},
    {"ADDR=IPV6:2001:db8::1", 0, "2001:db8::1", "", "", "", ""},
    {"ADDR=ipv6:2001:db8::1", 0, "2001:db8::1", "", "", "", ""},
    {"ADDR=[UNAVAILABLE] NAME=[UNAVAILABLE] HELO=[UNAVAILABLE]", 0, "", "", "", "", ""},
    {"NAME=[unavailable]", 0, "", "", "", "", ""},
    {"  ADDR=192.0.2.7    PROTO=SMTP  ", 0, "192.0.2.7", "", "", "", "SMTP"},
    {"", 0, "", "", "", "", ""},
    /* attributes Postfix sends that we do not keep */
    {"ADDR=192.0.2.1 PORT=25 SOURCE=REMOTE", 0, "192.0.2.1", "", "", "", ""},
    /* xtext (RFC 3461) */
    {"HELO=a+2Bb", 0, "", "", "a+b", "", ""},
    {"HELO=+2B+3D", 0, "", "", "+=", "", ""},
    {"HELO=+2b", 0, "", "", "+", "", ""},
    {"HELO=a+2", -1, NULL, NULL, NULL, NULL, NULL},
    {"HELO=a+", -1, NULL, NULL, NULL, NULL, NULL},
    {"HELO=a+ZZ", -1, NULL, NULL, NULL, NULL, NULL},
    {"HELO=a+2G", -1, NULL, NULL, NULL, NULL, NULL},
    /* decoded control characters would end up in log lines: shown as '?', like Postfix */
    {"HELO=evil+0Aaction=forged", 0, "", "", "evil?action=forged", "", ""},
    {"HELO=a+00b", 0, "", "", "a?b", "", ""},
    {"HELO=a\tb", 0, "", "", "a?b", "", ""},
    /* missing '=' or name */
    {"ADDR", -1, NULL, NULL, NULL, NULL, NULL},
    {"ADDR=192.0.2.1 NAME", -1, NULL, NULL, NULL, NULL, NULL},
    {"=192.0.2.1", -1, NULL, NULL, NULL, NULL, NULL},
    /* an empty value is an empty value */
    {"NAME=", 0, "", "", "", "", ""},
};

static void
test_xforward_table(void)
{
    for (size_t i = 0; i < sizeof(xf_cases) / sizeof(xf_cases[0]); i++) {
        struct lmtp_xforward x;
        memset(&x, 0, sizeof(x));
        int rc = lmtp_xforward_parse(xf_cases[i].arg, &x);
        is_int(rc, xf_cases[i].rc, "XFORWARD %s", vis(xf_cases[i].arg));
        if (rc != 0 || xf_cases[i].rc != 0)
            continue;
        is_str(x.addr, xf_cases[i].addr, "  ADDR");
        is_str(x.name, xf_cases[i].name, "  NAME");
        is_str(x.helo, xf_cases[i].helo, "  HELO");
        is_str(x.ident, xf_cases[i].ident, "  IDENT");
        is_str(x.proto, xf_cases[i].proto, "  PROTO");
    }
}

/* test_xforward_limits - the longest values kept, longer ones refused without effect */
static void
test_xforward_limits(void)
{
    struct lmtp_xforward x;
    char arg[1200];

    memset(&x, 0, sizeof(x));
    int n = snprintf(arg, sizeof(arg), "NAME=");
    memset(arg + n, 'n', sizeof(x.name) - 1);
    arg[n + sizeof(x.name) - 1] = 0;
    is_int(lmtp_xforward_parse(arg, &x), 0, "NAME of %zu characters", sizeof(x.name) - 1);
    is_int(strlen(x.name), sizeof(x.name) - 1, "  kept whole");

    memset(&x, 0, sizeof(x));
    n = snprintf(arg, sizeof(arg), "NAME=");
    memset(arg + n, 'n', sizeof(x.name));
    arg[n + sizeof(x.name)] = 0;
    is_int(lmtp_xforward_parse(arg, &x), -1, "NAME of %zu characters refused", sizeof(x.name));

    /* the limit is on the decoded value */
    memset(&x, 0, sizeof(x));
    n = snprintf(arg, sizeof(arg), "IDENT=");
    for (size_t i = 0; i < sizeof(x.ident) - 1; i++)
        n += snprintf(arg + n, sizeof(arg) - (size_t)n, "+41");
    is_int(lmtp_xforward_parse(arg, &x), 0, "IDENT of %zu xtext-encoded characters",
           sizeof(x.ident) - 1);
    is_int(strlen(x.ident), sizeof(x.ident) - 1, "  decoded whole");
    is_int(x.ident[0], 'A', "  decoded");

    memset(&x, 0, sizeof(x));
    is_int(lmtp_xforward_parse("PROTO=ESMTPSA12345678", &x), 0, "PROTO of 15 characters");
    is_int(lmtp_xforward_parse("PROTO=ESMTPSA123456789", &x), -1, "PROTO of 16 characters refused");
    n = snprintf(arg, sizeof(arg), "ADDR=IPV6:");
    memset(arg + n, '1', sizeof(x.addr));
    arg[n + sizeof(x.addr)] = 0;
    is_int(lmtp_xforward_parse(arg, &x), -1, "overlong ADDR refused");

    /* a refused command changes nothing: no half-applied attributes */
    memset(&x, 0, sizeof(x));
    is_int(lmtp_xforward_parse("ADDR=192.0.2.1 IDENT=Q1", &x), 0, "first XFORWARD");
    is_int(lmtp_xforward_parse("ADDR=198.51.100.9 NAME=x HELO=+ZZ", &x), -1,
           "bad XFORWARD refused");
    is_str(x.addr, "192.0.2.1", "  ADDR as before");
    is_str(x.name, "", "  NAME as before");

    /* attributes accumulate over several commands, as Postfix sends them */
    memset(&x, 0, sizeof(x));
    lmtp_xforward_parse("NAME=mail.example.com ADDR=IPV6:2001:db8::5", &x);
    lmtp_xforward_parse("PROTO=ESMTP HELO=client IDENT=4Q", &x);
    is_str(x.addr, "2001:db8::5", "accumulated ADDR");
    is_str(x.name, "mail.example.com", "accumulated NAME");
    is_str(x.ident, "4Q", "accumulated IDENT");
}

/* --- lmtp_domain --------------------------------------------------------- */

static void
test_domain(void)
{
    static const struct {
        const char *addr, *domain;
    } cases[] = {
        {"a@b.example", "b.example"},
        {"\"a@b\"@c.example", "c.example"},
        {"", ""},
        {"nodomain", ""},
        {"a@", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(lmtp_domain(cases[i].addr), cases[i].domain, "lmtp_domain(\"%s\")",
               vis(cases[i].addr));
}

int
main(void)
{
    test_parse_table();
    test_parse_limits();
    test_parse_reuse();
    test_xforward_table();
    test_xforward_limits();
    test_domain();
    return done_testing();
}
