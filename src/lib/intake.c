/*
 * intake.c - from a parsed mail and one recipient to a queued, paid SMS
 *
 * Order matters for the reply a sender gets: who is sending is settled
 * before what they wrote, and the money last, so that a stranger learns
 * nothing about an account's balance. Every step that reads the database
 * can fail transiently; each such failure becomes a 4xx and Postfix keeps
 * the mail. Only the final transaction writes, and it writes the SMS and
 * its reservation together or not at all.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "amount.h"
#include "clean.h"
#include "gsm.h"
#include "intake.h"
#include "ledger.h"
#include "msg.h"
#include "phone.h"
#include "sender.h"
#include "trust.h"
#include "xalloc.h"

#define TEMPFAIL "451 4.3.0 <%s>: temporary failure, please try again later"
#define TOO_LONG "550 5.3.4 <%s>: message too long: %d parts, the limit is %d"

/* The sender rule as intake uses it. */
struct intake_rule {
    char id[24], account[24];
    int auth;
    char *networks, *token, *country, *over_limit, *content, *sender_id, *notify;
    char *end_marker, *disclaimer;
    int numbers_local, limit, subject_sender_id, translit;
    char handle[64], status[16], auth_text[64];
};

static void
rule_free(struct intake_rule *r)
{
    xfree(r->networks);
    xfree(r->token);
    xfree(r->country);
    xfree(r->over_limit);
    xfree(r->content);
    xfree(r->sender_id);
    xfree(r->notify);
    xfree(r->end_marker);
    xfree(r->disclaimer);
}

/* dup_or_null - copy a nullable field */
static char *
dup_or_null(const PGresult *res, int col)
{
    const char *v = db_value(res, 0, col);
    return v && *v ? xstrdup(v) : NULL;
}

/* split_rcpt - local part and domain, lower-cased domain */
static int
split_rcpt(const char *rcpt, char *local, size_t lsize, char *domain, size_t dsize)
{
    const char *at = strrchr(rcpt, '@');
    if (at == NULL || (size_t)(at - rcpt) >= lsize || strlen(at + 1) >= dsize)
        return -1;
    memcpy(local, rcpt, (size_t)(at - rcpt));
    local[at - rcpt] = 0;
    size_t i = 0;
    for (const char *p = at + 1; *p; p++)
        domain[i++] = (char)tolower((unsigned char)*p);
    domain[i] = 0;
    /* a quoted local part "0412 345 678" is read without its quotes */
    if (local[0] == '"') {
        size_t n = strlen(local), o = 0;
        if (n >= 2 && local[n - 1] == '"') {
            for (size_t k = 1; k + 1 < n; k++)
                if (local[k] != ' ')
                    local[o++] = local[k];
            local[o] = 0;
        }
    }
    return 0;
}

/* universe_of - the account a domain names; 0 none, -1 database error */
static long long
universe_of(struct db *db, const char *domain, char *handle, size_t hsize)
{
    static const char sql[] = "SELECT d.account_id, a.handle FROM domain d"
                              " JOIN account a ON a.id = d.account_id WHERE d.name = $1";
    PGresult *res = DB_EXEC_CACHEABLE(db, sql, domain);
    if (res == NULL)
        return -1;
    long long id = PQntuples(res) ? db_int64(res, 0, 0) : 0;
    if (id)
        snprintf(handle, hsize, "%s", db_value(res, 0, 1));
    PQclear(res);
    return id;
}

/* intake_rcpt - the envelope's verdict */
int
intake_rcpt(struct db *db, const char *rcpt, long long *universe_r, char reply[INTAKE_REPLY_MAX])
{
    char local[256], domain[256], handle[64], e164[PHONE_E164_MAX];
    const char *why;
    if (split_rcpt(rcpt, local, sizeof(local), domain, sizeof(domain)) < 0) {
        snprintf(reply, INTAKE_REPLY_MAX, "501 5.1.3 <%s>: bad recipient address", rcpt);
        return -1;
    }
    long long u = *universe_r > 0 ? *universe_r
                                  : (*universe_r = universe_of(db, domain, handle, sizeof(handle)));
    if (u < 0) {
        snprintf(reply, INTAKE_REPLY_MAX, TEMPFAIL, rcpt);
        return -1;
    }
    if (u == 0) {
        snprintf(reply, INTAKE_REPLY_MAX, "550 5.1.2 <%s>: %s is not an SMS domain here", rcpt,
                 domain);
        return -1;
    }
    /* the syntax only: national numbers need the sender rule's country, known after DATA */
    enum phone_result pr = phone_parse(local, NULL, PHONE_INTERNATIONAL, e164, &why);
    if (pr == PHONE_TEMPFAIL) {
        snprintf(reply, INTAKE_REPLY_MAX, TEMPFAIL, rcpt);
        return -1;
    }
    if (pr == PHONE_NOT_A_NUMBER) {
        snprintf(reply, INTAKE_REPLY_MAX, "550 5.1.3 <%s>: \"%s\" is not a phone number: %s", rcpt,
                 local, why);
        return -1;
    }
    return 0;
}

/* rule_find - exact address beats domain; 1 found, 0 none, -1 error */
static int
rule_find(struct db *db, long long universe, const char *mail_from, struct intake_rule *r)
{
    char su[24], addr[512];
    snprintf(su, sizeof(su), "%lld", universe);
    snprintf(addr, sizeof(addr), "%s", mail_from);
    for (char *p = addr; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const char *at = strrchr(addr, '@');
    char dom[300];
    snprintf(dom, sizeof(dom), "@%s", at ? at + 1 : "");
    static const char sql[] =
        "SELECT r.id, r.account_id, r.auth, r.networks, r.token, r.country, r.numbers,"
        " r.part_limit, r.over_limit, r.content, r.subject_sender_id, r.sender_id, r.notify,"
        " r.translit, r.end_marker, r.disclaimer, a.handle, a.status"
        " FROM sender_rule r JOIN account a ON a.id = r.account_id"
        " WHERE r.universe_id = $1 AND r.pattern IN ($2, $3)"
        " ORDER BY r.pattern = $2 DESC LIMIT 1";
    PGresult *res = DB_EXEC_CACHEABLE(db, sql, su, addr, dom);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0 || addr[0] == 0) {
        PQclear(res);
        return 0;
    }
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", db_value(res, 0, 0));
    snprintf(r->account, sizeof(r->account), "%s", db_value(res, 0, 1));
    char *error = NULL;
    snprintf(r->auth_text, sizeof(r->auth_text), "%s", db_value(res, 0, 2));
    if (sender_auth_parse(db_value(res, 0, 2), &r->auth, &error) < 0) {
        xfree(error);
        r->auth = 0; /* a rule we cannot read trusts nobody */
    }
    r->networks = dup_or_null(res, 3);
    r->token = dup_or_null(res, 4);
    r->country = dup_or_null(res, 5);
    r->numbers_local = strcmp(db_value(res, 0, 6), "local") == 0;
    r->limit = (int)db_int64(res, 0, 7);
    r->over_limit = dup_or_null(res, 8);
    r->content = dup_or_null(res, 9);
    r->subject_sender_id = db_value(res, 0, 10)[0] == 't';
    r->sender_id = dup_or_null(res, 11);
    r->notify = dup_or_null(res, 12);
    r->translit = db_value(res, 0, 13)[0] == 't';
    r->end_marker = dup_or_null(res, 14);
    r->disclaimer = dup_or_null(res, 15);
    snprintf(r->handle, sizeof(r->handle), "%s", db_value(res, 0, 16));
    snprintf(r->status, sizeof(r->status), "%s", db_value(res, 0, 17));
    PQclear(res);
    return 1;
}

/*
 * trusted_ids - our own authserv-id (when set: the milter strips forged
 * copies of it) and the configured ones. Nothing is trusted by default: a
 * header anyone could have written in their mail client proves nothing.
 */
static char *
trusted_ids(const struct conf *conf)
{
    return xasprintf("%s, %s", conf->authserv_id ? conf->authserv_id : "",
                     conf->trusted_authserv_ids ? conf->trusted_authserv_ids : "");
}

/*
 * compose - the SMS text the rule asks for: body, subject or both; the
 * subject may instead name the sender ID. Returns fresh memory ("" when
 * nothing usable is left); *sender_id_r is set when the subject names it.
 */
static char *
compose(const struct intake_rule *r, const struct mime_text *m, char **sender_id_r)
{
    struct clean_opts o = {r->end_marker, r->disclaimer};
    char *token = NULL;
    char *subject_raw = trust_subject_token(m->subject, &token);
    xfree(token);
    char *subject = subject_raw ? clean_subject(subject_raw) : xstrdup("");
    char *body = m->body ? clean_body(m->body, &o) : xstrdup("");
    char *text;
    *sender_id_r = NULL;
    if (strcmp(r->content, "subject") == 0) {
        text = xstrdup(subject);
    } else if (strcmp(r->content, "both") == 0) {
        text = *subject && *body ? xasprintf("%s\n%s", subject, body)
                                 : xstrdup(*subject ? subject : body);
    } else {
        text = xstrdup(body);
        if (r->subject_sender_id && *subject)
            *sender_id_r = xstrdup(subject);
    }
    xfree(subject_raw);
    xfree(subject);
    xfree(body);
    return text;
}

/* valid_sender_id - what a carrier accepts as an alphanumeric sender */
static int
valid_sender_id(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 11)
        return 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(" .-_&", *p))
            return 0;
    return 1;
}

/* The inputs of decide(): what is known of the sender and its mail. */
struct decide_in {
    const char *mail_from, *client_addr;
    const char *sasl_login;       /* at RCPT: the SASL login, "" none */
    const struct mime_text *mime; /* NULL at RCPT: the message is not there yet */
    const struct conf *conf;
};

/*
 * decide - the verdict on one recipient that needs no text, the one both
 * smsgate-lmtpd (after DATA) and smsgate-milter (at RCPT) give: the
 * domain's universe, the sender rule, its authentication, the account's
 * status, the number with the rule's country and policy. With the message
 * (in->mime) every method of the rule is tried; without it, only what the
 * SMTP dialogue shows (trust_check_envelope), and a rule that also accepts
 * what only the message can show passes here and is decided after DATA.
 * Returns 0 with the rule in *r (rule_free it), the number in e164 and the
 * method in *method_r; or the reply code with the reply.
 */
static int
decide(struct db *db, const struct decide_in *in, const char *rcpt, long long *universe,
       struct intake_rule *r, char e164[PHONE_E164_MAX], const char **method_r,
       char reply[INTAKE_REPLY_MAX])
{
    char local[256], domain[256], uhandle[64];
    const char *why;
    int code = 0, ok;
#define REFUSE(c, ...)                                                                             \
    do {                                                                                           \
        code = (c);                                                                                \
        snprintf(reply, INTAKE_REPLY_MAX, __VA_ARGS__);                                            \
        goto refused;                                                                              \
    } while (0)

    if (split_rcpt(rcpt, local, sizeof(local), domain, sizeof(domain)) < 0) {
        snprintf(reply, INTAKE_REPLY_MAX, "501 5.1.3 <%s>: bad recipient address", rcpt);
        return 501;
    }
    if (*universe == 0)
        *universe = universe_of(db, domain, uhandle, sizeof(uhandle));
    if (*universe < 0) {
        snprintf(reply, INTAKE_REPLY_MAX, TEMPFAIL, rcpt);
        return 451;
    }
    if (*universe == 0) {
        snprintf(reply, INTAKE_REPLY_MAX, "550 5.1.2 <%s>: %s is not an SMS domain here", rcpt,
                 domain);
        return 550;
    }

    /* who is sending */
    int found = rule_find(db, *universe, in->mail_from, r);
    if (found < 0) {
        snprintf(reply, INTAKE_REPLY_MAX, TEMPFAIL, rcpt);
        return 451;
    }
    if (found == 0) {
        snprintf(reply, INTAKE_REPLY_MAX,
                 "550 5.7.1 <%s>: %s may not send SMS through %s (no sender rule)", rcpt,
                 *in->mail_from ? in->mail_from : "the null sender", domain);
        return 550;
    }
    char *trusted = trusted_ids(in->conf);
    struct trust_input ti = {r->auth,         r->networks, r->token, in->mail_from,
                             in->client_addr, trusted,     in->mime, in->conf->authserv_id};
    if (in->mime)
        ok = trust_check(&ti, method_r);
    else
        ok = trust_check_envelope(&ti, in->sasl_login, method_r) != TRUST_FAIL;
    xfree(trusted);
    if (!ok)
        REFUSE(550,
               "550 5.7.1 <%s>: sender %s is not authenticated as its sender rule requires (one "
               "of: %s)",
               rcpt, in->mail_from, r->auth_text);
    /* at RCPT the rule may be a few seconds old: can_pay() reads the status afresh */
    if (in->mime && strcmp(r->status, "active") != 0)
        REFUSE(550, "550 5.7.1 <%s>: account %s is %s", rcpt, r->handle, r->status);

    /* the number, with the rule's country and policy */
    switch (phone_parse(local, r->country, r->numbers_local ? PHONE_LOCAL : PHONE_INTERNATIONAL,
                        e164, &why)) {
    case PHONE_OK:
        return 0;
    case PHONE_NOT_ALLOWED:
        REFUSE(550, "550 5.7.1 <%s>: %s", rcpt, why);
    case PHONE_TEMPFAIL:
        REFUSE(451, TEMPFAIL, rcpt);
    default:
        REFUSE(550, "550 5.1.3 <%s>: %s", rcpt, why);
    }
refused:
#undef REFUSE
    rule_free(r);
    return code;
}

/*
 * refusal_reply - the reply for a payment refused: no funds or a cap
 * reached is refused or deferred as insufficient_credit says; anything
 * else (no price, an inactive account) is refused. Returns the code.
 */
static int
refusal_reply(const struct conf *conf, const struct ledger_result *lr, const char *rcpt,
              char reply[INTAKE_REPLY_MAX])
{
    switch (lr->refusal) {
    case LEDGER_INSUFFICIENT:
    case LEDGER_DAILY_CAP:
    case LEDGER_MONTHLY_CAP: {
        int defer = strcmp(conf->insufficient_credit, "defer") == 0;
        snprintf(reply, INTAKE_REPLY_MAX, "%s <%s>: %s", defer ? "452 4.2.2" : "552 5.2.2", rcpt,
                 lr->reason);
        return defer ? 452 : 552;
    }
    default:
        snprintf(reply, INTAKE_REPLY_MAX, "550 5.7.1 <%s>: %s", rcpt,
                 lr->reason ? lr->reason : "refused");
        return 550;
    }
}

/*
 * What a reservation of one part would find, read only: an inactive
 * account on the path, a cap from the sender up to the payer, the payer's
 * funds; the first that refuses, in the order sg_reserve() checks them.
 * Nothing is locked or written, so a concurrent delivery may still take
 * the funds first: the reservation after DATA is the one that counts.
 */
static const char credit_sql[] =
    "WITH p AS (SELECT u.acc, u.price, u.ord"
    "   FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY AS u (acc, price, ord)),"
    " pay AS (SELECT ord FROM p WHERE acc = $1::bigint)"
    " SELECT s, d, st FROM ("
    "  SELECT 0 AS k, p.ord, 'inactive' AS s, c.handle AS d, c.status AS st"
    "   FROM p JOIN account c ON c.id = p.acc"
    "   WHERE c.status <> 'active'"
    "  UNION ALL SELECT 1, p.ord, 'daily_cap', c.handle, NULL FROM p JOIN account c ON c.id = p.acc"
    "   LEFT JOIN spend s ON s.account_id = c.id AND s.period = 'd'"
    "    AND s.period_start = (now() AT TIME ZONE 'UTC')::date"
    "   WHERE $4::boolean AND p.ord <= (SELECT ord FROM pay) AND c.daily_cap IS NOT NULL"
    "    AND coalesce(s.amount, 0) + p.price > c.daily_cap"
    "  UNION ALL SELECT 2, p.ord, 'monthly_cap', c.handle, NULL"
    "   FROM p JOIN account c ON c.id = p.acc"
    "   LEFT JOIN spend s ON s.account_id = c.id AND s.period = 'm'"
    "    AND s.period_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date"
    "   WHERE $4::boolean AND p.ord <= (SELECT ord FROM pay) AND c.monthly_cap IS NOT NULL"
    "    AND coalesce(s.amount, 0) + p.price > c.monthly_cap"
    "  UNION ALL SELECT 3, p.ord, 'insufficient', c.handle, NULL"
    "   FROM p JOIN account c ON c.id = p.acc"
    "   JOIN ledger_account l ON l.account_id = c.id"
    "   WHERE $4::boolean AND p.acc = $1::bigint"
    "    AND l.credits_posted - l.debits_posted - l.debits_pending + c.credit_limit < p.price"
    " ) x ORDER BY k, ord LIMIT 1";

/*
 * can_pay - could the rule's account send one part to e164 now? 0 yes, or
 * the reply code with the reply (a database failure is 451).
 */
static int
can_pay(struct db *db, const struct intake_rule *r, const char *e164, int check_credit,
        const struct conf *conf, const char *rcpt, char reply[INTAKE_REPLY_MAX])
{
    struct ledger_args la;
    struct ledger_result lr = {0};
    int code = 0;
    enum ledger_status st = ledger_prepare(db, strtoll(r->account, NULL, 10), e164, 1, &la, &lr);
    if (st == LEDGER_OK) {
        PGresult *res = DB_EXEC_STATIC(db, credit_sql, la.payer, la.accounts, la.prices,
                                       check_credit ? "t" : "f");
        if (res == NULL)
            st = LEDGER_ERROR;
        else if (PQntuples(res) > 0 && strcmp(db_value(res, 0, 0), "inactive") == 0 &&
                 strcmp(db_value(res, 0, 1), r->handle) == 0) {
            /* the sender's own account, worded as decide() does after DATA */
            snprintf(reply, INTAKE_REPLY_MAX, "550 5.7.1 <%s>: account %s is %s", rcpt, r->handle,
                     db_value(res, 0, 2));
            code = 550;
        } else if (PQntuples(res) > 0)
            st = ledger_reserved(db, db_value(res, 0, 0), db_value(res, 0, 1), &lr);
        if (res)
            PQclear(res);
    }
    ledger_args_free(&la);
    if (st == LEDGER_ERROR) {
        msg_warn("rcpt=<%s> database error: %s", rcpt, db_error(db));
        snprintf(reply, INTAKE_REPLY_MAX, TEMPFAIL, rcpt);
        code = 451;
    } else if (st == LEDGER_REFUSED) {
        code = refusal_reply(conf, &lr, rcpt, reply);
    }
    ledger_result_free(&lr);
    return code;
}

/*
 * INTAKE_CHECK_TTL - how long, in seconds, the milter reuses what it read
 * of the configuration: a domain's universe, a sender rule, the prices of
 * an account for a destination (quote.c). Only the milter's early verdict
 * reads them so (smsgate-lmtpd reads everything afresh and decides after
 * DATA), and never the money nor the accounts' status: the status, funds
 * and caps of can_pay() are read on every RCPT. A new domain or rule, or
 * a changed one, reaches the milter's verdict at most this late.
 */
#define INTAKE_CHECK_TTL 2

/* intake_check - the milter's verdict at RCPT */
int
intake_check(struct db *db, const struct intake_env *e, const char *rcpt,
             struct intake_rule **rule_r, char reply[INTAKE_REPLY_MAX])
{
    long long universe = 0;
    char e164[PHONE_E164_MAX];
    const char *method;
    struct intake_rule r;
    *rule_r = NULL;
    db_cache_ttl(db, INTAKE_CHECK_TTL); /* a connection of the milter's own */
    *reply = 0;
    /*
     * Ordinary mail passes the milter too (smtpd_milters sees every
     * recipient): an address without a domain (postmaster, cron's mail to
     * root) or outside our SMS domains is not ours to refuse.
     */
    const char *at = strrchr(rcpt, '@');
    char domain[256], handle[64];
    size_t dl = at ? strlen(at + 1) : 0;
    if (at == NULL || dl == 0 || dl >= sizeof(domain))
        return INTAKE_NOT_OURS;
    /* RFC 5321 4.5.1: postmaster@ any domain is a mailbox; Postfix aliases it (smsgate(7)) */
    if (at - rcpt == 10 && strncasecmp(rcpt, "postmaster", 10) == 0)
        return INTAKE_NOT_OURS;
    for (size_t i = 0; i <= dl; i++)
        domain[i] = (char)tolower((unsigned char)at[1 + i]);
    universe = universe_of(db, domain, handle, sizeof(handle));
    if (universe < 0) {
        snprintf(reply, INTAKE_REPLY_MAX, TEMPFAIL, rcpt);
        return 451;
    }
    if (universe == 0)
        return INTAKE_NOT_OURS;
    if (intake_rcpt(db, rcpt, &universe, reply) < 0)
        return atoi(reply);
    struct decide_in in = {e->mail_from, e->client_addr, e->sasl_login, NULL, e->conf};
    int code = decide(db, &in, rcpt, &universe, &r, e164, &method, reply);
    if (code != 0)
        return code;
    code = can_pay(db, &r, e164, e->check_credit, e->conf, rcpt, reply);
    if (code != 0) {
        rule_free(&r);
        return code;
    }
    *rule_r = xmalloc(sizeof(**rule_r));
    **rule_r = r;
    snprintf(reply, INTAKE_REPLY_MAX, "250 2.1.5 <%s> Ok (%s)", rcpt, method);
    return 250;
}

/* intake_length - the parts of the text against the rule's limit */
int
intake_length(const struct intake_rule *r, const struct mime_text *m, const char *rcpt,
              int *parts_r, char reply[INTAKE_REPLY_MAX])
{
    char *sid = NULL;
    char *text = compose(r, m, &sid);
    struct sms_encoded enc = {0};
    int refuse = strcmp(r->over_limit, "refuse") == 0, code = 0;
    *parts_r = 0;
    if (*text) {
        int over = sms_encode(text, r->translit, r->limit, refuse, &enc) == 1;
        *parts_r = enc.full_parts;
        if (over) {
            snprintf(reply, INTAKE_REPLY_MAX, TOO_LONG, rcpt, enc.full_parts, r->limit);
            code = 550;
        }
    }
    sms_encoded_free(&enc);
    xfree(text);
    xfree(sid);
    return code;
}

/* intake_length_may_refuse - over_limit = refuse: the only way intake_length() says 550 */
int
intake_length_may_refuse(const struct intake_rule *r)
{
    return r != NULL && r->over_limit != NULL && strcmp(r->over_limit, "refuse") == 0;
}

/* intake_rule_free - what intake_check() handed out */
void
intake_rule_free(struct intake_rule *r)
{
    if (r == NULL)
        return;
    rule_free(r);
    xfree(r);
}

/* intake_deliver - decide and commit one recipient */
int
intake_deliver(struct db *db, const struct intake_msg *m, const char *rcpt, long long universe,
               char reply[INTAKE_REPLY_MAX], long long *sms_id_r)
{
    char e164[PHONE_E164_MAX];
    struct intake_rule r;
    int have_rule = 0, code;
    char *text = NULL, *subject_sid = NULL;
    struct sms_encoded enc = {0};
    const char *method;

    *sms_id_r = 0;
#define REPLY(c, ...)                                                                              \
    do {                                                                                           \
        code = (c);                                                                                \
        snprintf(reply, INTAKE_REPLY_MAX, __VA_ARGS__);                                            \
        goto done;                                                                                 \
    } while (0)

    /* who is sending, whether they are who they say, and to which number */
    struct decide_in in = {m->mail_from, m->client_addr, NULL, m->mime, m->conf};
    code = decide(db, &in, rcpt, &universe, &r, e164, &method, reply);
    if (code != 0)
        goto done;
    have_rule = 1;

    /* the text */
    text = compose(&r, m->mime, &subject_sid);
    if (*text == 0)
        REPLY(550,
              "550 5.6.0 <%s>: no text to send: nothing is left once quotes, signature and "
              "disclaimer are removed",
              rcpt);
    if (subject_sid && !valid_sender_id(subject_sid))
        REPLY(
            550,
            "550 5.7.1 <%s>: the subject \"%.40s\" is no sender ID (at most 11 letters and digits)",
            rcpt, subject_sid);
    if (sms_encode(text, r.translit, r.limit, strcmp(r.over_limit, "refuse") == 0, &enc) == 1)
        REPLY(550, TOO_LONG, rcpt, enc.full_parts, r.limit);
    if (enc.parts == 0) /* only invisible characters (zero-width spaces, a BOM) */
        REPLY(550, "550 5.6.0 <%s>: no text to send: the text has no visible characters", rcpt);

    /*
     * The money and the SMS: one statement, run outside any explicit
     * transaction, so it commits on its own and the payer's row lock is
     * held only while the database works, not across round trips.
     */
    char *key = xasprintf("sms:%s:%lld:%s", m->digest, universe, e164);
    struct ledger_result lr = {0};
    struct ledger_args la;
    enum ledger_status st =
        ledger_prepare(db, strtoll(r.account, NULL, 10), e164, enc.parts, &la, &lr);
    long long id = 0;
    if (st == LEDGER_OK) {
        char suni[24], validity[24];
        snprintf(suni, sizeof(suni), "%lld", universe);
        snprintf(validity, sizeof(validity), "%d", m->conf->sms_validity);
        /*
         * sg_intake_sms (sql/008): a refusal that only the locked rows show
         * (a concurrent delivery took the money first) comes back as an
         * error SG102-SG104, which undid the whole statement
         */
        static const char sql[] =
            "SELECT status, sms_id, detail FROM sg_intake_sms($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            " $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";
        PGresult *res = DB_EXEC_STATIC(
            db, sql, key, la.payer, e164, la.prefix, la.segments, la.accounts, la.prices, suni,
            r.id, m->mail_from, subject_sid ? subject_sid : r.sender_id, enc.text,
            enc.coding == SMS_UCS2 ? "ucs2" : "gsm7", enc.truncated ? "t" : "f", r.notify,
            m->mime->message_id ? m->mime->message_id : "", m->queue_id, m->client_addr, validity);
        if (res == NULL && strncmp(db_sqlstate(db), "SG10", 4) == 0) {
            char status[32], detail[256];
            snprintf(status, sizeof(status), "%s", db_error(db));
            snprintf(detail, sizeof(detail), "%s", db_error_detail(db));
            st = ledger_reserved(db, status, detail, &lr);
        } else if (res == NULL) {
            st = LEDGER_ERROR;
        } else {
            id = db_int64(res, 0, 1);
            st = ledger_reserved(db, db_value(res, 0, 0), db_value(res, 0, 2), &lr);
            PQclear(res);
        }
    }
    amount_t child_price = la.sender_price;
    ledger_args_free(&la);
    xfree(key);
    char a[AMOUNT_STRLEN];
    switch (st) {
    case LEDGER_ERROR:
        msg_warn("rcpt=<%s> database error: %s", rcpt, db_error(db));
        REPLY(451, TEMPFAIL, rcpt);
    case LEDGER_REPLAY:
        *sms_id_r = id;
        REPLY(250, "250 2.0.0 <%s> SMS %lld already queued", rcpt, id);
    case LEDGER_OK:
        *sms_id_r = id;
        msg_info("sms=%lld account=%s from=<%s> to=+%s parts=%d encoding=%s price=%s method=%s"
                 " queue_id=%s",
                 id, r.handle, m->mail_from, e164, enc.parts,
                 enc.coding == SMS_UCS2 ? "ucs2" : "gsm7", amount_format(child_price, a), method,
                 *m->queue_id ? m->queue_id : "-");
        REPLY(250, "250 2.0.0 <%s> SMS %lld queued: %d part%s, %s%s", rcpt, id, enc.parts,
              enc.parts == 1 ? "" : "s", amount_format(child_price, a),
              enc.truncated ? " (text cut to the part limit)" : "");
    case LEDGER_REFUSED:
        break;
    }
    code = refusal_reply(m->conf, &lr, rcpt, reply);
    ledger_result_free(&lr);
done:
#undef REPLY
    if (have_rule)
        rule_free(&r);
    xfree(text);
    xfree(subject_sid);
    sms_encoded_free(&enc);
    return code;
}
