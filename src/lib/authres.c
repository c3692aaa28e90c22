/*
 * authres.c - Authentication-Results parser
 *
 * Only the parts smsgate decides on are kept: the authserv-id (whether the
 * header is one we trust is the caller's decision) and for each method its
 * result and the identities it vouches for. Anything odd is skipped rather
 * than guessed at: a result we cannot read is a result that does not pass.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "authres.h"

/* skip_cfws - blanks and (nested) comments */
static const char *
skip_cfws(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p != '(')
            return p;
        int depth = 0;
        for (; *p; p++) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '(')
                depth++;
            else if (*p == ')' && --depth == 0) {
                p++;
                break;
            }
        }
    }
}

/*
 * Names (authserv-id, method, result, ptype.property) end at '=' and '/';
 * values do not, because real ones contain them: header.b is base64
 * ("AbC+/d="), and smtp.mailfrom may be any address.
 */
#define NAME_END " \t\r\n;=()/\""
#define VALUE_END " \t\r\n;()\""

/*
 * token - a quoted-string or a run up to one of the end characters,
 * lower-cased if asked. One that does not fit is returned as "": a cut
 * identity would be a different identity ("example.com.attacker.example"
 * cut after "example.com"), and an absent one never passes.
 */
static const char *
token(const char *p, char *out, size_t size, int lower, const char *end)
{
    size_t n = 0;
    int overlong = 0;
    p = skip_cfws(p);
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 < size)
                out[n++] = lower ? (char)tolower((unsigned char)*p) : *p;
            else
                overlong = 1;
        }
        if (*p == '"')
            p++;
    } else {
        for (; *p && !strchr(end, *p); p++)
            if (n + 1 < size)
                out[n++] = lower ? (char)tolower((unsigned char)*p) : *p;
            else
                overlong = 1;
    }
    out[overlong ? 0 : n] = 0;
    return p;
}

/*
 * next_resinfo - the ';' that ends this resinfo (or the end). A ';' inside
 * a comment or a quoted string ends nothing: verifiers copy text the sender
 * chose into both ("domain of x@... designates"), and it must not turn
 * into a result of its own.
 */
static const char *
next_resinfo(const char *p)
{
    while (*p && *p != ';') {
        if (*p == '(') {
            p = skip_cfws(p);
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p == '"')
                p++;
        } else {
            p++;
        }
    }
    return p;
}

/* authres_parse - one header field's value */
int
authres_parse(const char *value, struct authres *a)
{
    memset(a, 0, sizeof(*a));
    const char *p = token(value, a->authserv_id, sizeof(a->authserv_id), 1, NAME_END);
    if (a->authserv_id[0] == 0)
        return -1;
    p = skip_cfws(p);
    /* an optional version number after the authserv-id */
    if (isdigit((unsigned char)*p)) {
        char ver[16];
        p = skip_cfws(token(p, ver, sizeof(ver), 1, NAME_END));
    }
    /*
     * Results start with ';'. Anything else means the first word was no
     * authserv-id: Microsoft 365 writes "spf=pass (...) smtp.mailfrom=...;
     * ..." without one, and "spf" must not become a trusted id.
     */
    if (*p != ';' && *p != 0) {
        a->authserv_id[0] = 0;
        return -1;
    }
    while (*p == ';' && a->n < AUTHRES_MAX) {
        struct authres_result *r = &a->r[a->n];
        char key[64], val[256];
        p = skip_cfws(token(p + 1, r->method, sizeof(r->method), 1, NAME_END));
        if (strcmp(r->method, "none") == 0) {
            memset(r, 0, sizeof(*r));
            break;
        }
        if (*p == '/') /* method version */
            p = skip_cfws(token(p + 1, key, sizeof(key), 1, NAME_END));
        if (r->method[0] && *p == '=')
            p = token(p + 1, r->result, sizeof(r->result), 1, NAME_END);
        if (r->method[0] == 0 || r->result[0] == 0) {
            /* unreadable: skipped whole, so that it neither counts nor hides what follows */
            memset(r, 0, sizeof(*r));
            p = next_resinfo(p);
            continue;
        }
        a->n++;
        /* reason= and ptype.property=value pairs up to the next ';' */
        for (;;) {
            p = skip_cfws(p);
            if (*p == 0 || *p == ';')
                break;
            p = skip_cfws(token(p, key, sizeof(key), 1, NAME_END));
            if (*p != '=' || key[0] == 0)
                break;
            p = token(p + 1, val, sizeof(val), 0, VALUE_END);
            char *dst = strcmp(key, "smtp.auth") == 0       ? r->smtp_auth
                        : strcmp(key, "smtp.mailfrom") == 0 ? r->smtp_mailfrom
                        : strcmp(key, "header.d") == 0      ? r->header_d
                        : strcmp(key, "header.i") == 0      ? r->header_i
                        : strcmp(key, "header.from") == 0   ? r->header_from
                                                            : NULL;
            if (dst)
                snprintf(dst, 256, "%s", val);
            else if (strcmp(key, "smtp.remote-ip") == 0 && strlen(val) < sizeof(r->smtp_remote_ip))
                snprintf(r->smtp_remote_ip, sizeof(r->smtp_remote_ip), "%s", val);
        }
        p = next_resinfo(p);
    }
    return 0;
}

/* authres_id_is - the first word against one authserv-id */
int
authres_id_is(const char *value, const char *id)
{
    char first[256];
    token(value, first, sizeof(first), 1, NAME_END);
    return first[0] && strcasecmp(first, id) == 0;
}
