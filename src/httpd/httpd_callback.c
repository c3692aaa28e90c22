/*
 * httpd_callback.c - what a carrier's callback means: receipts and inbound SMS
 *
 * Each callback is one statement in its own transaction (sg_sms_receipt,
 * sg_inbound of sql/005_callbacks.sql), both idempotent, because carriers
 * retry a callback until it is answered. Answers follow what makes a
 * carrier stop or retry: 200 for everything we have recorded or will never
 * be able to use (an unknown SMS id), 400 for a request no retry can fix,
 * 503 while the database is unavailable so that the carrier tries again.
 * Neither the secret nor an SMS's text is ever logged (a receipt's status
 * text may quote the SMS, so it is stored, not logged).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "msg.h"

/* callback_param_set - see httpd.h */
int
callback_param_set(struct callback_params *p, const char *kind, const char *name, const char *value,
                   size_t len)
{
    const char **slot = NULL;
    size_t max = HTTPD_SHORT_MAX;
    if (strcmp(kind, "dlr") == 0) {
        if (strcmp(name, "id") == 0)
            slot = &p->id;
        else if (strcmp(name, "type") == 0)
            slot = &p->type;
        else if (strcmp(name, "status") == 0)
            slot = &p->status, max = HTTPD_VALUE_MAX;
    } else {
        if (strcmp(name, "from") == 0)
            slot = &p->from;
        else if (strcmp(name, "to") == 0)
            slot = &p->to;
        else if (strcmp(name, "text") == 0)
            slot = &p->text, max = HTTPD_VALUE_MAX;
        else if (strcmp(name, "smsc") == 0)
            slot = &p->smsc;
        else if (strcmp(name, "ts") == 0)
            slot = &p->ts;
        else if (strcmp(name, "id") == 0)
            slot = &p->ref;
    }
    if (slot == NULL)
        return 0;
    if (value == NULL)
        value = "", len = 0;
    if (len > max || strlen(value) != len)
        return -1;
    *slot = value;
    return 0;
}

/* hex - a hexadecimal digit's value, or -1 */
static int
hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* form_decode - %XX and '+' in place; the decoded length */
static size_t
form_decode(char *s)
{
    char *out = s;
    for (char *in = s; *in; in++) {
        if (*in == '+')
            *out++ = ' ';
        else if (*in == '%' && hex(in[1]) >= 0 && hex(in[2]) >= 0) {
            *out++ = (char)(hex(in[1]) * 16 + hex(in[2]));
            in += 2;
        } else
            *out++ = *in;
    }
    *out = '\0';
    return (size_t)(out - s);
}

/* callback_form_parse - see httpd.h */
int
callback_form_parse(struct callback_params *p, const char *kind, char *body)
{
    char *save = NULL;
    for (char *pair = strtok_r(body, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        char *value = eq ? eq + 1 : pair + strlen(pair);
        if (eq)
            *eq = '\0';
        form_decode(pair);
        /* a %00 shortens the C string: the length check then refuses it */
        size_t len = form_decode(value);
        if (callback_param_set(p, kind, pair, value, len) < 0)
            return -1;
    }
    return 0;
}

/* callback_secret_equal - see httpd.h */
int
callback_secret_equal(const char *given, const char *secret)
{
    size_t lg = strlen(given), ls = strlen(secret);
    unsigned diff = lg != ls;
    for (size_t i = 0; i < ls; i++)
        diff |= (unsigned char)secret[i] ^ (unsigned char)(i < lg ? given[i] : 0);
    return diff == 0;
}

/* digits - a non-empty run of at most max ASCII digits */
static int
digits(const char *s, size_t max)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= max && s[n] == '\0';
}

/* printable - ASCII without controls: numbers, references, SMSC names */
static int
printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* utf8_valid - well-formed UTF-8 without NUL (PostgreSQL refuses anything else) */
static int
utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 0
                : (*p & 0xe0) == 0xc0 ? 1
                : (*p & 0xf0) == 0xe0 ? 2
                : (*p & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0 || (n == 1 && *p < 0xc2) || (n == 3 && *p > 0xf4))
            return 0;
        unsigned cp = n == 0 ? *p : *p & (0x3f >> n);
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        p += n + 1;
    }
    return 1;
}

/* Kannel's DLR types (its %d) and what each means here. */
static const struct {
    int type;
    const char *outcome;
} dlr_types[] = {
    {1, "delivered"},      /* delivered to the phone */
    {2, "undeliverable"},  /* delivery failed */
    {4, "buffered"},       /* queued at the SMSC */
    {8, "smsc-accepted"},  /* accepted by the SMSC */
    {16, "undeliverable"}, /* rejected by the SMSC */
};

static const char receipt_sql[] = "SELECT sg_sms_receipt($1, $2, $3, $4)";

static const struct callback_reply reply_ok = {200, "ok\n"};
static const struct callback_reply reply_bad = {400, "bad request\n"};
static const struct callback_reply reply_later = {503, "try again later\n"};

/* db_failed - 503 for what a retry may fix, 500 otherwise */
static struct callback_reply
db_failed(struct db *db)
{
    if (db == NULL || db_transient(db))
        return reply_later;
    return (struct callback_reply){500, "internal error\n"};
}

/* callback_dlr - see httpd.h */
struct callback_reply
callback_dlr(struct server *s, struct conf_ref *r, const char *carrier,
             const struct callback_params *p)
{
    const char *outcome = NULL;
    int type = -1;
    if (p->id == NULL || !digits(p->id, 18) || p->type == NULL || !digits(p->type, 2)) {
        msg_warn("dlr carrier=%s refused: id and type must be numbers", carrier);
        return reply_bad;
    }
    type = atoi(p->type);
    for (size_t i = 0; i < sizeof(dlr_types) / sizeof(dlr_types[0]); i++)
        if (dlr_types[i].type == type)
            outcome = dlr_types[i].outcome;
    if (outcome == NULL) {
        msg_warn("dlr sms=%s carrier=%s type=%d refused: unknown type", p->id, carrier, type);
        return reply_bad;
    }
    char detail[HTTPD_VALUE_MAX + 32];
    int has_status = p->status && *p->status && utf8_valid(p->status);
    snprintf(detail, sizeof(detail), "receipt type %d%s%s", type, has_status ? ": " : "",
             has_status ? p->status : "");

    struct db *db = shared_db_get(&s->sh, r);
    PGresult *res = db ? DB_EXEC_STATIC(db, receipt_sql, p->id, carrier, outcome, detail) : NULL;
    if (res == NULL) {
        msg_warn("dlr sms=%s carrier=%s type=%d not recorded: %s", p->id, carrier, type,
                 db ? db_error(db) : "no database connection");
        struct callback_reply fail = db_failed(db);
        shared_db_put(&s->sh, r, db);
        return fail;
    }
    const char *result = db_value(res, 0, 0);
    if (strcmp(result, "unknown") == 0)
        msg_warn("dlr sms=%s carrier=%s type=%d result=unknown: no such SMS", p->id, carrier, type);
    else if (strcmp(result, "foreign") == 0)
        msg_warn("dlr sms=%s carrier=%s type=%d result=foreign: the SMS went to another carrier",
                 p->id, carrier, type);
    else
        msg_info("dlr sms=%s carrier=%s type=%d status=%s result=%s", p->id, carrier, type, outcome,
                 result);
    PQclear(res);
    shared_db_put(&s->sh, r, db);
    return reply_ok;
}

static const char inbound_sql[] = "SELECT id, created FROM sg_inbound($1, $2, $3, $4, $5, $6, $7)";

/* callback_mo - see httpd.h */
struct callback_reply
callback_mo(struct server *s, struct conf_ref *r, const char *carrier,
            const struct callback_params *p)
{
    if (p->from == NULL || !*p->from || !printable(p->from) || p->to == NULL || !*p->to ||
        !printable(p->to) || p->text == NULL || !utf8_valid(p->text) ||
        (p->smsc && !printable(p->smsc)) || (p->ts && !printable(p->ts)) ||
        (p->ref && !printable(p->ref))) {
        msg_warn("mo carrier=%s refused: from, to and text are required, numbers printable, "
                 "text UTF-8",
                 carrier);
        return reply_bad;
    }
    struct db *db = shared_db_get(&s->sh, r);
    PGresult *res = db ? DB_EXEC_STATIC(db, inbound_sql, carrier, p->from, p->to, p->text, p->ref,
                                        p->smsc, p->ts)
                       : NULL;
    if (res == NULL) {
        msg_warn("mo carrier=%s from=%s not stored: %s", carrier, p->from,
                 db ? db_error(db) : "no database connection");
        struct callback_reply fail = db_failed(db);
        shared_db_put(&s->sh, r, db);
        return fail;
    }
    msg_info("mo carrier=%s from=%s to=%s id=%s%s", carrier, p->from, p->to, db_value(res, 0, 0),
             db_value(res, 0, 1)[0] == 't' ? "" : " result=duplicate");
    PQclear(res);
    shared_db_put(&s->sh, r, db);
    /* an empty body: Kannel would send any text back to the phone as a reply */
    return (struct callback_reply){200, ""};
}
