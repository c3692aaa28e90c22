/*
 * lmtp.c - LMTP command parser
 *
 * Pure and bounded: a line in, a verb and its arguments out, or the exact
 * reply a client gets for a malformed command. Kept apart from the server
 * so that a table of lines can test it and a fuzzer can hammer it.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lmtp.h"

static const struct {
    const char *name;
    enum lmtp_verb verb;
} lmtp_verbs[] = {
    {"LHLO", LMTP_LHLO}, {"MAIL", LMTP_MAIL}, {"RCPT", LMTP_RCPT},         {"DATA", LMTP_DATA},
    {"RSET", LMTP_RSET}, {"NOOP", LMTP_NOOP}, {"QUIT", LMTP_QUIT},         {"VRFY", LMTP_VRFY},
    {"HELO", LMTP_HELO}, {"EHLO", LMTP_HELO}, {"XFORWARD", LMTP_XFORWARD},
};

/* prefix - case-insensitive "FROM:" style prefix; returns what follows */
static const char *
prefix(const char *s, const char *p)
{
    size_t n = strlen(p);
    return strncasecmp(s, p, n) == 0 ? s + n : NULL;
}

/*
 * PATH_REPLY - a reply about the path itself: RFC 3463 has 5.1.7 for the
 * sender's address and 5.1.3 for a recipient's, and Postfix logs the code.
 */
#define PATH_REPLY(rcpt, text) ((rcpt) ? "501 5.1.3 " text : "501 5.1.7 " text)

/* path_put - one character of the path, bounded and without control characters */
static int
path_put(char *addr, size_t *n, char c, int rcpt, const char **reply_r)
{
    if ((unsigned char)c < 0x20 || c == 0x7f) {
        *reply_r = PATH_REPLY(rcpt, "Syntax: control character in address");
        return -1;
    }
    if (*n + 1 >= LMTP_ADDR_MAX) {
        *reply_r = PATH_REPLY(rcpt, "Address too long");
        return -1;
    }
    addr[(*n)++] = c;
    return 0;
}

/* parse_path - "<a@b> PARAMS"; copy the address, return the params */
static const char *
parse_path(const char *s, int rcpt, char *addr, const char **reply_r)
{
    while (*s == ' ')
        s++;
    if (*s != '<') {
        *reply_r = "501 5.5.4 Syntax: address must be in angle brackets";
        return NULL;
    }
    s++;
    /*
     * A source route "@a,@b:" is obsolete and ignored (RFC 5321 4.1.2). It
     * ends at a ':' inside the brackets; one further on belongs to something
     * else ("<@a> X:<b@c>" is no route to b@c).
     */
    if (*s == '@') {
        size_t route = strcspn(s, ":>");
        if (s[route] != ':') {
            *reply_r = PATH_REPLY(rcpt, "Syntax: bad source route");
            return NULL;
        }
        s += route + 1;
    }
    size_t n = 0;
    int quoted = 0;
    for (; *s && (quoted || *s != '>'); s++) {
        if (*s == '"')
            quoted = !quoted;
        if (path_put(addr, &n, *s, rcpt, reply_r) < 0)
            return NULL;
        /* a quoted-pair is kept whole, so the address stays what the client wrote */
        if (*s == '\\' && quoted && s[1]) {
            s++;
            if (path_put(addr, &n, *s, rcpt, reply_r) < 0)
                return NULL;
        }
    }
    if (*s != '>') {
        *reply_r = "501 5.5.4 Syntax: missing '>'";
        return NULL;
    }
    addr[n] = 0;
    if (n > 0 && (strchr(addr, '@') == NULL || lmtp_domain(addr)[0] == 0)) {
        *reply_r = PATH_REPLY(rcpt, "Bad address syntax: expected local-part@domain");
        return NULL;
    }
    return s + 1;
}

/* param_is - the whole parameter is word (case-insensitive), not just a prefix of it */
static int
param_is(const char *param, size_t len, const char *word)
{
    return len == strlen(word) && strncasecmp(param, word, len) == 0;
}

/* lmtp_parse - one command */
int
lmtp_parse(const char *line, struct lmtp_cmd *cmd, const char **reply_r)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->size = -1;
    size_t vlen = strcspn(line, " ");
    for (size_t i = 0; i < sizeof(lmtp_verbs) / sizeof(lmtp_verbs[0]); i++)
        if (strlen(lmtp_verbs[i].name) == vlen && strncasecmp(line, lmtp_verbs[i].name, vlen) == 0)
            cmd->verb = lmtp_verbs[i].verb;
    const char *rest = line + vlen;
    while (*rest == ' ')
        rest++;
    cmd->arg = rest;

    switch (cmd->verb) {
    case LMTP_UNKNOWN:
        *reply_r = "500 5.5.2 Error: command not recognized";
        return -1;
    case LMTP_HELO:
        *reply_r = "500 5.5.1 Error: this is LMTP, say LHLO";
        return -1;
    case LMTP_LHLO:
        if (*rest == 0) {
            *reply_r = "501 5.5.4 Syntax: LHLO hostname";
            return -1;
        }
        return 0;
    case LMTP_DATA:
    case LMTP_RSET:
    case LMTP_QUIT:
        if (*rest != 0) {
            *reply_r = "501 5.5.4 Syntax: no parameters allowed";
            return -1;
        }
        return 0;
    case LMTP_NOOP:
    case LMTP_VRFY:
    case LMTP_XFORWARD:
        return 0;
    case LMTP_MAIL:
    case LMTP_RCPT: {
        const char *p = prefix(rest, cmd->verb == LMTP_MAIL ? "FROM:" : "TO:");
        if (p == NULL) {
            *reply_r = cmd->verb == LMTP_MAIL ? "501 5.5.4 Syntax: MAIL FROM:<address>"
                                              : "501 5.5.4 Syntax: RCPT TO:<address>";
            return -1;
        }
        const char *params = parse_path(p, cmd->verb == LMTP_RCPT, cmd->addr, reply_r);
        if (params == NULL)
            return -1;
        if (cmd->verb == LMTP_RCPT && cmd->addr[0] == 0) {
            *reply_r = "501 5.1.3 Recipient address required";
            return -1;
        }
        /* ESMTP parameters: SIZE= and BODY= understood, the rest refused */
        while (*params) {
            while (*params == ' ')
                params++;
            if (*params == 0)
                break;
            size_t len = strcspn(params, " ");
            if (cmd->verb == LMTP_MAIL && strncasecmp(params, "SIZE=", 5) == 0) {
                /* size-value = 1*20DIGIT (RFC 1870): no sign, no blanks, not empty */
                size_t digits = strspn(params + 5, "0123456789");
                if (digits == 0 || 5 + digits != len) {
                    *reply_r = "501 5.5.4 Bad SIZE parameter";
                    return -1;
                }
                /* past LLONG_MAX strtoll saturates: too big for any limit either way */
                cmd->size = strtoll(params + 5, NULL, 10);
            } else if (cmd->verb == LMTP_MAIL && (param_is(params, len, "BODY=7BIT") ||
                                                  param_is(params, len, "BODY=8BITMIME"))) {
                ; /* 8BITMIME: every body is read as bytes anyway */
            } else {
                *reply_r = "555 5.5.4 Unsupported parameter";
                return -1;
            }
            params += len;
        }
        return 0;
    }
    }
    return 0;
}

/*
 * xtext_copy - decode RFC 3461 xtext into a bounded buffer. The values end
 * up in log lines, so control characters, decoded or raw, become '?' as in
 * Postfix's own XFORWARD server: a HELO name of "x+0Aaction=..." must not
 * start a log line of its own.
 */
static int
xtext_copy(char *dst, size_t size, const char *src, size_t len)
{
    size_t o = 0;
    if (len == 13 && strncasecmp(src, "[UNAVAILABLE]", 13) == 0) {
        dst[0] = 0;
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '+') {
            if (i + 2 >= len || !isxdigit((unsigned char)src[i + 1]) ||
                !isxdigit((unsigned char)src[i + 2]))
                return -1;
            char hex[3] = {src[i + 1], src[i + 2], 0};
            c = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        if ((unsigned char)c < 0x20 || c == 0x7f)
            c = '?';
        if (o + 1 >= size)
            return -1;
        dst[o++] = c;
    }
    dst[o] = 0;
    return 0;
}

/*
 * lmtp_xforward_parse - NAME=value attributes. Decoded into a copy and
 * stored only when the whole command is good: a refused XFORWARD must not
 * leave half of its attributes behind.
 */
int
lmtp_xforward_parse(const char *arg, struct lmtp_xforward *x)
{
    struct lmtp_xforward nx = *x;
    const char *p = arg;
    while (*p) {
        while (*p == ' ')
            p++;
        if (*p == 0)
            break;
        size_t len = strcspn(p, " ");
        const char *eq = memchr(p, '=', len);
        if (eq == NULL || eq == p)
            return -1;
        size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
        struct {
            const char *k;
            char *dst;
            size_t size;
        } fields[] = {{"ADDR", nx.addr, sizeof(nx.addr)},
                      {"NAME", nx.name, sizeof(nx.name)},
                      {"HELO", nx.helo, sizeof(nx.helo)},
                      {"IDENT", nx.ident, sizeof(nx.ident)},
                      {"PROTO", nx.proto, sizeof(nx.proto)}};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (strlen(fields[i].k) == klen && strncasecmp(p, fields[i].k, klen) == 0 &&
                xtext_copy(fields[i].dst, fields[i].size, eq + 1, vlen) < 0)
                return -1;
        p += len;
    }
    /* Postfix writes IPv6 client addresses as "IPV6:2001:db8::1" */
    if (strncasecmp(nx.addr, "IPV6:", 5) == 0)
        memmove(nx.addr, nx.addr + 5, strlen(nx.addr + 5) + 1);
    *x = nx;
    return 0;
}

/* lmtp_domain - what follows the last '@' */
const char *
lmtp_domain(const char *addr)
{
    const char *at = strrchr(addr, '@');
    return at ? at + 1 : "";
}
