/*
 * ledger.c - the money core's C face
 *
 * The rules that must hold under concurrency (funds, caps, exactly-once
 * resolution, margins in the same transaction as the post) live in the
 * PL/pgSQL functions of sql/002_ledger.sql, so they hold for every caller
 * and cost one round trip; this file prices, names the reasons, and checks
 * the invariants from the outside.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "msg.h"
#include "xalloc.h"

/* ledger_result_free - release the reason */
void
ledger_result_free(struct ledger_result *r)
{
    xfree(r->reason);
    r->reason = NULL;
}

/* refuse - fill in a refusal */
static enum ledger_status
refuse(struct ledger_result *r, enum ledger_refusal why, char *reason)
{
    r->refusal = why;
    r->reason = reason;
    return LEDGER_REFUSED;
}

/* pg_array - "{a,b,c}" of one field of every level */
static char *
pg_array(const struct quote *q, int prices)
{
    size_t size = (size_t)q->n * 24 + 3, o = 0;
    char *s = xmalloc(size);
    s[o++] = '{';
    for (int i = 0; i < q->n; i++)
        o += (size_t)snprintf(s + o, size - o, "%s%lld", i ? "," : "",
                              prices ? (long long)quote_total(q, i) : q->lv[i].account_id);
    snprintf(s + o, size - o, "}");
    return s;
}

/* ledger_prepare - the quote as sg_reserve()'s arguments */
enum ledger_status
ledger_prepare(struct db *db, long long sender_id, const char *destination, int segments,
               struct ledger_args *a, struct ledger_result *r)
{
    struct quote q;
    char *why;
    memset(a, 0, sizeof(*a));
    memset(r, 0, sizeof(*r));
    switch (quote_get(db, sender_id, destination, segments, &q, &why)) {
    case QUOTE_ERROR:
        return LEDGER_ERROR;
    case QUOTE_REFUSED:
        return refuse(r, LEDGER_UNPRICED, why);
    case QUOTE_OK:
        break;
    }
    a->accounts = pg_array(&q, 0);
    a->prices = pg_array(&q, 1);
    snprintf(a->payer, sizeof(a->payer), "%lld", q.lv[q.payer].account_id);
    snprintf(a->segments, sizeof(a->segments), "%d", segments);
    snprintf(a->prefix, sizeof(a->prefix), "%s", q.lv[q.n - 1].rate_prefix);
    a->amount = r->amount = quote_total(&q, q.payer);
    a->sender_price = quote_total(&q, 0);
    quote_free(&q);
    return LEDGER_OK;
}

void
ledger_args_free(struct ledger_args *a)
{
    xfree(a->accounts);
    xfree(a->prices);
    a->accounts = a->prices = NULL;
}

/* ledger_reserved - name the reason of a refusal */
enum ledger_status
ledger_reserved(struct db *db, const char *status, const char *detail, struct ledger_result *r)
{
    char amt[AMOUNT_STRLEN];
    if (strcmp(status, "ok") == 0)
        return LEDGER_OK;
    if (strcmp(status, "replay") == 0)
        return LEDGER_REPLAY;
    if (strcmp(status, "inactive") == 0)
        return refuse(r, LEDGER_INACTIVE, xasprintf("account %s is not active", detail));
    if (strcmp(status, "insufficient") == 0)
        return refuse(r, LEDGER_INSUFFICIENT,
                      xasprintf("insufficient funds: %s cannot cover %s", detail,
                                amount_format(r->amount, amt)));
    if (strcmp(status, "daily_cap") == 0)
        return refuse(r, LEDGER_DAILY_CAP, xasprintf("daily spending cap of %s reached", detail));
    if (strcmp(status, "monthly_cap") == 0)
        return refuse(r, LEDGER_MONTHLY_CAP,
                      xasprintf("monthly spending cap of %s reached", detail));
    db_set_error(db, "SG000", "unexpected reservation status %s", status);
    return LEDGER_ERROR;
}

/* ledger_reserve - price, payer, limits, pending transfer */
enum ledger_status
ledger_reserve(struct db *db, const char *key, long long sender_id, const char *destination,
               int segments, struct ledger_result *r)
{
    struct ledger_args a;
    enum ledger_status st = ledger_prepare(db, sender_id, destination, segments, &a, r);
    if (st != LEDGER_OK)
        return st;
    PGresult *res = DB_EXEC(db,
                            "SELECT status, transfer_id, detail"
                            " FROM sg_reserve($1, $2, $3, $4, $5, $6, $7)",
                            key, a.payer, destination, a.prefix, a.segments, a.accounts, a.prices);
    ledger_args_free(&a);
    if (res == NULL)
        return LEDGER_ERROR;
    r->transfer_id = db_int64(res, 0, 1);
    st = ledger_reserved(db, db_value(res, 0, 0), db_value(res, 0, 2), r);
    PQclear(res);
    return st;
}

/* ledger_resolve - post or void */
static enum ledger_status
ledger_resolve(struct db *db, long long id, const char *kind, struct ledger_result *r)
{
    char sid[24];
    memset(r, 0, sizeof(*r));
    r->transfer_id = id;
    snprintf(sid, sizeof(sid), "%lld", id);
    PGresult *res = DB_EXEC(db, "SELECT status FROM sg_resolve($1, $2)", sid, kind);
    if (res == NULL)
        return LEDGER_ERROR;
    char status[16];
    snprintf(status, sizeof(status), "%s", db_value(res, 0, 0));
    PQclear(res);
    if (strcmp(status, "ok") == 0)
        return LEDGER_OK;
    if (strcmp(status, "replay") == 0)
        return LEDGER_REPLAY;
    if (strcmp(status, "unknown") == 0)
        return refuse(r, LEDGER_UNKNOWN, xasprintf("no reservation %lld", id));
    return refuse(r, LEDGER_RESOLVED, xasprintf("reservation %lld was already %s", id, status));
}

enum ledger_status
ledger_post(struct db *db, long long reservation_id, struct ledger_result *r)
{
    return ledger_resolve(db, reservation_id, "post", r);
}

enum ledger_status
ledger_void(struct db *db, long long reservation_id, struct ledger_result *r)
{
    return ledger_resolve(db, reservation_id, "void", r);
}

/* ledger_move - posted transfer through sg_move(); from_id 0 is funding */
static enum ledger_status
ledger_move(struct db *db, const char *key, const char *kind, long long from_id, long long to_id,
            amount_t amount, const char *ref, struct ledger_result *r)
{
    char sf[24], st[24], sa[24];
    memset(r, 0, sizeof(*r));
    snprintf(sf, sizeof(sf), "%lld", from_id);
    snprintf(st, sizeof(st), "%lld", to_id);
    snprintf(sa, sizeof(sa), "%lld", (long long)amount);
    PGresult *res =
        DB_EXEC(db, "SELECT status, transfer_id FROM sg_move($1, $2, $3, $4, $5, $6, $7)", key,
                kind, from_id ? sf : NULL, st, sa, ref, from_id ? "t" : "f");
    if (res == NULL)
        return LEDGER_ERROR;
    char status[16];
    snprintf(status, sizeof(status), "%s", db_value(res, 0, 0));
    r->transfer_id = db_int64(res, 0, 1);
    r->amount = amount;
    PQclear(res);
    if (strcmp(status, "ok") == 0)
        return LEDGER_OK;
    if (strcmp(status, "replay") == 0)
        return LEDGER_REPLAY;
    if (strcmp(status, "conflict") == 0)
        return refuse(
            r, LEDGER_CONFLICT,
            xasprintf("reference already used for a different transfer (id %lld)", r->transfer_id));
    struct ledger_balance b;
    char have[AMOUNT_STRLEN], want[AMOUNT_STRLEN];
    if (ledger_balance(db, from_id, &b) < 0)
        return LEDGER_ERROR;
    return refuse(r, LEDGER_INSUFFICIENT,
                  xasprintf("more than the giver has available: %s available, %s asked",
                            amount_format(b.available, have), amount_format(amount, want)));
}

/* ledger_topup - funding -> account */
enum ledger_status
ledger_topup(struct db *db, const char *key, long long account_id, amount_t amount, const char *ref,
             struct ledger_result *r)
{
    return ledger_move(db, key, "topup", 0, account_id, amount, ref, r);
}

/* ledger_allocate - parent <-> child */
enum ledger_status
ledger_allocate(struct db *db, const char *key, long long from_id, long long to_id, amount_t amount,
                const char *ref, struct ledger_result *r)
{
    return ledger_move(db, key, "allocate", from_id, to_id, amount, ref, r);
}

/* ledger_balance - the figures of one account */
int
ledger_balance(struct db *db, long long account_id, struct ledger_balance *b)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", account_id);
    PGresult *res =
        DB_EXEC(db,
                "SELECT l.credits_posted - l.debits_posted, l.debits_pending, a.credit_limit,"
                " coalesce((SELECT amount FROM spend WHERE account_id = a.id AND period = 'd'"
                "  AND period_start = (now() AT TIME ZONE 'UTC')::date), 0),"
                " coalesce((SELECT amount FROM spend WHERE account_id = a.id AND period = 'm'"
                "  AND period_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0)"
                " FROM account a JOIN ledger_account l ON l.account_id = a.id WHERE a.id = $1",
                id);
    if (res == NULL)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        db_set_error(db, "SG003", "no account with id %lld", account_id);
        return -1;
    }
    b->posted = db_int64(res, 0, 0);
    b->pending = db_int64(res, 0, 1);
    b->credit_limit = db_int64(res, 0, 2);
    b->available = b->posted - b->pending + b->credit_limit;
    b->spent_today = db_int64(res, 0, 3);
    b->spent_month = db_int64(res, 0, 4);
    PQclear(res);
    return 0;
}

/*
 * The invariants, each a query returning one row per problem, already
 * worded for a person. An empty result means the invariant holds.
 */
static const char *const ledger_checks[] = {
    /* each customer balance equals its transfers */
    "WITH d AS (SELECT debit_id AS id, sum(amount) AS s FROM transfer"
    "   WHERE kind NOT IN ('reserve', 'void') GROUP BY 1),"
    " c AS (SELECT credit_id AS id, sum(amount) AS s FROM transfer"
    "   WHERE kind NOT IN ('reserve', 'void') GROUP BY 1),"
    " p AS (SELECT t.debit_id AS id, sum(t.amount) AS s FROM transfer t WHERE t.kind = 'reserve'"
    "   AND NOT EXISTS (SELECT 1 FROM transfer x WHERE x.reservation_id = t.id"
    "   AND x.kind IN ('post', 'void')) GROUP BY 1)"
    " SELECT format('account %s: counters (debits %s, credits %s, pending %s) differ from its"
    " transfers (debits %s, credits %s, pending %s)', a.handle, l.debits_posted,"
    " l.credits_posted, l.debits_pending, coalesce(d.s, 0), coalesce(c.s, 0), coalesce(p.s, 0))"
    " FROM ledger_account l JOIN account a ON a.id = l.account_id"
    " LEFT JOIN d ON d.id = l.id LEFT JOIN c ON c.id = l.id LEFT JOIN p ON p.id = l.id"
    " WHERE l.debits_posted <> coalesce(d.s, 0) OR l.credits_posted <> coalesce(c.s, 0)"
    " OR l.debits_pending <> coalesce(p.s, 0)",
    /* the sum over all ledger accounts is zero */
    "WITH b AS (SELECT l.id, CASE WHEN l.system IS NULL"
    "   THEN l.credits_posted - l.debits_posted"
    "   ELSE coalesce((SELECT sum(amount) FROM transfer WHERE credit_id = l.id"
    "     AND kind NOT IN ('reserve', 'void')), 0)"
    "      - coalesce((SELECT sum(amount) FROM transfer WHERE debit_id = l.id"
    "     AND kind NOT IN ('reserve', 'void')), 0) END AS bal FROM ledger_account l)"
    " SELECT format('the ledger does not balance: accounts sum to %s micro-units', sum(bal))"
    " FROM b HAVING sum(bal) <> 0",
    /* clearing holds nothing once every post has paid out its margins */
    "SELECT format('clearing holds %s micro-units after all posts', s) FROM ("
    " SELECT coalesce(sum(CASE WHEN credit_id = sg_ledger_id('clearing') THEN amount"
    " ELSE -amount END), 0) AS s FROM transfer WHERE kind NOT IN ('reserve', 'void')"
    " AND sg_ledger_id('clearing') IN (debit_id, credit_id)) x WHERE s <> 0",
    /* no account billed "own" below its credit limit */
    "SELECT format('account %s is below its credit limit: available %s micro-units', a.handle,"
    " l.credits_posted - l.debits_posted - l.debits_pending + a.credit_limit)"
    " FROM ledger_account l JOIN account a ON a.id = l.account_id"
    " WHERE a.billing = 'own'"
    " AND l.credits_posted - l.debits_posted - l.debits_pending + a.credit_limit < 0",
    /* every post paid out exactly what was charged */
    "SELECT format('reservation %s: charged %s but paid out %s', r.id, r.amount,"
    " coalesce(sum(m.amount), 0)) FROM transfer r"
    " JOIN transfer p ON p.reservation_id = r.id AND p.kind = 'post'"
    " LEFT JOIN transfer m ON m.reservation_id = r.id AND m.kind IN ('margin', 'carrier')"
    " GROUP BY r.id, r.amount HAVING coalesce(sum(m.amount), 0) <> r.amount",
    /* nothing paid out for a reservation that was not posted */
    "SELECT format('reservation %s pays margins but was not posted', m.reservation_id)"
    " FROM transfer m WHERE m.kind IN ('margin', 'carrier') AND NOT EXISTS (SELECT 1 FROM"
    " transfer p WHERE p.reservation_id = m.reservation_id AND p.kind = 'post')",
    /* spend counters equal the reservations not voided */
    "WITH s AS (SELECT l.account_id, p.period, CASE p.period WHEN 'd' THEN r.day"
    "   ELSE date_trunc('month', r.day)::date END AS start, sum(l.price) AS amount"
    "   FROM reservation r JOIN reservation_level l ON l.transfer_id = r.transfer_id"
    "   AND l.depth <= r.payer_depth CROSS JOIN (VALUES ('d'), ('m')) p (period)"
    "   WHERE NOT EXISTS (SELECT 1 FROM transfer v WHERE v.reservation_id = r.transfer_id"
    "   AND v.kind = 'void') GROUP BY 1, 2, 3)"
    " SELECT format('account %s: spend for %s %s is %s, reservations say %s', a.handle,"
    " coalesce(sp.period, s.period), coalesce(sp.period_start, s.start),"
    " coalesce(sp.amount, 0), coalesce(s.amount, 0))"
    " FROM spend sp FULL JOIN s ON s.account_id = sp.account_id AND s.period = sp.period"
    " AND s.start = sp.period_start"
    " JOIN account a ON a.id = coalesce(sp.account_id, s.account_id)"
    " WHERE coalesce(sp.amount, 0) <> coalesce(s.amount, 0)",
};

/* ledger_check - run every invariant query */
int
ledger_check(struct db *db, void (*report)(const char *problem, void *ctx), void *ctx)
{
    int problems = 0;
    for (size_t i = 0; i < sizeof(ledger_checks) / sizeof(ledger_checks[0]); i++) {
        PGresult *res = db_exec(db, ledger_checks[i], 0, NULL);
        if (res == NULL)
            return -1;
        for (int row = 0; row < PQntuples(res); row++, problems++)
            report(PQgetvalue(res, row, 0), ctx);
        PQclear(res);
    }
    return problems;
}
