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
 *
 * Receipts come in two formats. Kannel's (driver kannel, and the default)
 * has our SMS id and Kannel's type number in fixed parameters. A carrier
 * of driver http names its own: dlr_id (our SMS id, which its dlr_url
 * carried as {id}) or dlr_ref (the carrier's message id, recorded when
 * it accepted the SMS), and dlr_status, each a parameter of the query or
 * form body, or else a JSON path into a JSON body. Its status values are
 * sorted by dlr_delivered and dlr_failed; any other value is intermediate
 * news, recorded as an event (as Kannel's "buffered").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "httpd.h"
#include "msg.h"
#include "xalloc.h"

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
    if (value == NULL)
        value = "", len = 0;
    if (p->npairs < HTTPD_PAIRS_MAX && len <= HTTPD_VALUE_MAX && strlen(value) == len) {
        p->pairs[p->npairs].name = name;
        p->pairs[p->npairs++].value = value;
    }
    if (slot == NULL)
        return 0;
    if (len > max || strlen(value) != len)
        return -1;
    *slot = value;
    return 0;
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
        field_form_decode(pair);
        /* a %00 shortens the C string: the length check then refuses it */
        size_t len = field_form_decode(value);
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

/*
 * One receipt to record: the SMS by our id, or by the carrier's reference
 * (ref set, id NULL); tag says which format it came in, for the log.
 */
struct receipt {
    const char *carrier, *id, *ref, *outcome, *detail;
    char tag[24]; /* "type=1" (Kannel), "via=http" */
};

/* by the carrier's reference: no row when the carrier has no such SMS ("unknown") */
static const char receipt_ref_sql[] = "SELECT sg_sms_receipt(id, $2, $3, $4), id FROM sms"
                                      " WHERE carrier = $2 AND carrier_ref = $1 LIMIT 1";

/* receipt_log - what became of a recorded receipt */
static void
receipt_log(const struct receipt *rc, const char *who, const char *result)
{
    if (strcmp(result, "unknown") == 0)
        msg_warn("dlr %s carrier=%s %s result=unknown: no such SMS", who, rc->carrier, rc->tag);
    else if (strcmp(result, "foreign") == 0)
        msg_warn("dlr %s carrier=%s %s result=foreign: the SMS went to another carrier", who,
                 rc->carrier, rc->tag);
    else
        msg_info("dlr %s carrier=%s %s status=%s result=%s", who, rc->carrier, rc->tag, rc->outcome,
                 result);
}

/* receipt_record - one receipt in its own statement; the answer for the carrier */
static struct callback_reply
receipt_record(struct server *s, struct conf_ref *r, const struct receipt *rc)
{
    char who[HTTPD_SHORT_MAX + 8];
    snprintf(who, sizeof(who), rc->id ? "sms=%s" : "ref=%s", rc->id ? rc->id : rc->ref);
    struct db *db = shared_db_get(&s->sh, r);
    PGresult *res =
        db == NULL ? NULL
        : rc->id
            ? DB_EXEC_STATIC(db, receipt_sql, rc->id, rc->carrier, rc->outcome, rc->detail)
            : DB_EXEC_STATIC(db, receipt_ref_sql, rc->ref, rc->carrier, rc->outcome, rc->detail);
    if (res == NULL) {
        msg_warn("dlr %s carrier=%s %s not recorded: %s", who, rc->carrier, rc->tag,
                 db ? db_error(db) : "no database connection");
        struct callback_reply fail = db_failed(db);
        shared_db_put(&s->sh, r, db);
        return fail;
    }
    if (rc->id == NULL && PQntuples(res) == 1)
        snprintf(who, sizeof(who), "sms=%s ref=%s", db_value(res, 0, 1), rc->ref);
    receipt_log(rc, who, PQntuples(res) == 1 ? db_value(res, 0, 0) : "unknown");
    PQclear(res);
    shared_db_put(&s->sh, r, db);
    return reply_ok;
}

/* receipt_field - a receipt's value: the parameter name, else the JSON body's path (allocated) */
static char *
receipt_field(const struct callback_params *p, const char *name)
{
    if (*name == 0)
        return NULL;
    for (int i = 0; i < p->npairs; i++)
        if (strcmp(p->pairs[i].name, name) == 0)
            return xstrdup(p->pairs[i].value);
    return p->json && field_is_json(p->json) ? field_get(p->json, name) : NULL;
}

/* http_dlr - a receipt in the format of a carrier of driver http (see the top) */
static struct callback_reply
http_dlr(struct server *s, struct conf_ref *r, const struct carrier_conf *cc,
         const struct callback_params *p)
{
    char *id = receipt_field(p, cc->dlr_id);
    char *ref = receipt_field(p, cc->dlr_ref);
    char *status = receipt_field(p, cc->dlr_status);
    struct callback_reply reply = reply_bad;
    struct receipt rc = {cc->name, NULL, NULL, NULL, NULL, "via=http"};
    if (id && digits(id, 18))
        rc.id = id;
    else if (ref && *ref && strlen(ref) < HTTPD_SHORT_MAX && printable(ref))
        rc.ref = ref;
    if ((rc.id || rc.ref) && status && *status && strlen(status) < HTTPD_SHORT_MAX &&
        utf8_valid(status)) {
        char detail[HTTPD_SHORT_MAX + 32];
        snprintf(detail, sizeof(detail), "receipt status %s", status);
        rc.outcome = field_in_list(status, cc->dlr_delivered) ? "delivered"
                     : field_in_list(status, cc->dlr_failed)  ? "undeliverable"
                                                              : "buffered";
        rc.detail = detail;
        reply = receipt_record(s, r, &rc);
    } else {
        msg_warn("dlr carrier=%s refused: no SMS id (%s), carrier reference (%s) or status (%s) "
                 "in the receipt",
                 cc->name, cc->dlr_id, *cc->dlr_ref ? cc->dlr_ref : "not set", cc->dlr_status);
    }
    xfree(id);
    xfree(ref);
    xfree(status);
    return reply;
}

/* callback_dlr - see httpd.h */
struct callback_reply
callback_dlr(struct server *s, struct conf_ref *r, const char *carrier,
             const struct callback_params *p)
{
    for (int i = 0; i < r->conf->ncarriers; i++)
        if (strcmp(r->conf->carriers[i].name, carrier) == 0 &&
            strcmp(r->conf->carriers[i].driver, "http") == 0)
            return http_dlr(s, r, &r->conf->carriers[i], p);
    const char *outcome = NULL;
    if (p->id == NULL || !digits(p->id, 18) || p->type == NULL || !digits(p->type, 2)) {
        msg_warn("dlr carrier=%s refused: id and type must be numbers", carrier);
        return reply_bad;
    }
    int type = atoi(p->type);
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
    struct receipt rc = {carrier, p->id, NULL, outcome, detail, ""};
    snprintf(rc.tag, sizeof(rc.tag), "type=%d", type);
    return receipt_record(s, r, &rc);
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
