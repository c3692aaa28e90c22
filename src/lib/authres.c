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

/* token - a value: quoted-string or run up to a delimiter; lower-cased if asked */
static const char *
token(const char *p, char *out, size_t size, int lower)
{
    size_t n = 0;
    p = skip_cfws(p);
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 < size)
                out[n++] = *p;
        }
        if (*p == '"')
            p++;
    } else {
        for (; *p && !strchr(" \t\r\n;=()", *p); p++)
            if (n + 1 < size)
                out[n++] = lower ? (char)tolower((unsigned char)*p) : *p;
    }
    out[n] = 0;
    return p;
}

/* authres_parse - one header field's value */
int
authres_parse(const char *value, struct authres *a)
{
    memset(a, 0, sizeof(*a));
    const char *p = token(value, a->authserv_id, sizeof(a->authserv_id), 1);
    if (a->authserv_id[0] == 0)
        return -1;
    p = skip_cfws(p);
    /* an optional version number after the authserv-id */
    if (isdigit((unsigned char)*p)) {
        char ver[16];
        p = skip_cfws(token(p, ver, sizeof(ver), 1));
    }
    while (*p == ';' && a->n < AUTHRES_MAX) {
        struct authres_result *r = &a->r[a->n];
        char key[64], val[256];
        p = token(p + 1, r->method, sizeof(r->method), 1);
        p = skip_cfws(p);
        if (r->method[0] == 0 || strcmp(r->method, "none") == 0)
            break;
        if (*p == '/') { /* method version */
            p = token(p + 1, key, sizeof(key), 1);
            p = skip_cfws(p);
        }
        if (*p != '=')
            break;
        p = token(p + 1, r->result, sizeof(r->result), 1);
        a->n++;
        /* reason= and ptype.property=value pairs up to the next ';' */
        for (;;) {
            p = skip_cfws(p);
            if (*p == 0 || *p == ';')
                break;
            p = token(p, key, sizeof(key), 1);
            p = skip_cfws(p);
            if (*p != '=' || key[0] == 0)
                break;
            p = token(p + 1, val, sizeof(val), 0);
            char *dst = strcmp(key, "smtp.auth") == 0       ? r->smtp_auth
                        : strcmp(key, "smtp.mailfrom") == 0 ? r->smtp_mailfrom
                        : strcmp(key, "header.d") == 0      ? r->header_d
                        : strcmp(key, "header.i") == 0      ? r->header_i
                        : strcmp(key, "header.from") == 0   ? r->header_from
                                                            : NULL;
            if (dst)
                snprintf(dst, 256, "%s", val);
        }
        while (*p && *p != ';')
            p++;
    }
    return 0;
}
