/*
 * quote.c - load what pricing.c needs from PostgreSQL
 *
 * One round trip per quote: a recursive query walks from the account to the
 * root and, for each level, picks the longest of its rates whose prefix
 * begins the destination (the candidate prefixes are passed as an array so
 * the rate primary key serves the look-up).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "msg.h"
#include "quote.h"
#include "xalloc.h"

static const char quote_sql[] =
    "WITH RECURSIVE chain AS ("
    " SELECT id, parent_id, 0 AS depth FROM account WHERE id = $1"
    " UNION ALL"
    " SELECT a.id, a.parent_id, c.depth + 1 FROM account a JOIN chain c ON a.id = c.parent_id"
    " WHERE c.depth < 10000)"
    " SELECT a.id, a.handle, a.billing, a.status, a.margin_percent, a.margin_fixed,"
    " r.prefix, r.price"
    " FROM chain c JOIN account a ON a.id = c.id"
    " LEFT JOIN LATERAL (SELECT prefix, price FROM rate"
    "  WHERE account_id = c.id AND prefix = ANY ($2::text[])"
    "  ORDER BY length(prefix) DESC LIMIT 1) r ON true"
    " ORDER BY c.depth";

/* prefixes_array - "{6,61,614,...}" for a destination */
static void
prefixes_array(const char *dest, char *buf, size_t size)
{
    size_t len = strlen(dest), o = 0;
    buf[o++] = '{';
    for (size_t i = 1; i <= len && o + i + 2 < size; i++) {
        if (i > 1)
            buf[o++] = ',';
        memcpy(buf + o, dest, i);
        o += i;
    }
    buf[o++] = '}';
    buf[o] = 0;
}

/* quote_get - price one destination for one account */
enum quote_status
quote_get(struct db *db, long long account_id, const char *destination, int segments,
          struct quote *q, char **reason_r)
{
    char id[24], prefixes[200];
    size_t dlen = strlen(destination);

    memset(q, 0, sizeof(*q));
    *reason_r = NULL;
    if (dlen == 0 || dlen >= PRICING_PREFIX_MAX || strspn(destination, "0123456789") != dlen) {
        *reason_r = xasprintf("\"%s\" is not an E.164 number (up to 15 digits)", destination);
        return QUOTE_REFUSED;
    }
    if (segments < 1) {
        *reason_r = xstrdup("an SMS has at least one segment");
        return QUOTE_REFUSED;
    }
    snprintf(id, sizeof(id), "%lld", account_id);
    prefixes_array(destination, prefixes, sizeof(prefixes));
    /* cached only on a connection that asked for it (the milter's early verdict) */
    PGresult *res = DB_EXEC_CACHEABLE(db, quote_sql, id, prefixes);
    if (res == NULL)
        return QUOTE_ERROR;
    q->n = PQntuples(res);
    if (q->n == 0) {
        PQclear(res);
        *reason_r = xasprintf("no account with id %lld", account_id);
        return QUOTE_REFUSED;
    }
    q->lv = xcalloc((size_t)q->n, sizeof(*q->lv));
    q->segments = segments;
    snprintf(q->destination, sizeof(q->destination), "%s", destination);
    for (int i = 0; i < q->n; i++) {
        struct price_level *l = &q->lv[i];
        l->account_id = db_int64(res, i, 0);
        snprintf(l->handle, sizeof(l->handle), "%s", db_value(res, i, 1));
        l->billing_parent = strcmp(db_value(res, i, 2), "parent") == 0;
        l->active = strcmp(db_value(res, i, 3), "active") == 0;
        l->margin_percent = db_int64(res, i, 4);
        l->margin_fixed = db_int64(res, i, 5);
        l->has_rate = db_value(res, i, 6) != NULL;
        if (l->has_rate) {
            snprintf(l->rate_prefix, sizeof(l->rate_prefix), "%s", db_value(res, i, 6));
            l->rate = db_int64(res, i, 7);
        }
    }
    PQclear(res);

    int bad;
    const char *why;
    if (pricing_compute(q->lv, q->n, &bad, &why) < 0) {
        *reason_r = xasprintf("cannot price +%s for %s: %s (at %s)", destination, q->lv[0].handle,
                              why, q->lv[bad].handle);
        quote_free(q);
        return QUOTE_REFUSED;
    }
    q->payer = pricing_payer(q->lv, q->n);
    return QUOTE_OK;
}

/* quote_free - release the levels */
void
quote_free(struct quote *q)
{
    xfree(q->lv);
    q->lv = NULL;
    q->n = 0;
}

/* quote_total - level i's price for all segments */
amount_t
quote_total(const struct quote *q, int i)
{
    return q->lv[i].price * q->segments;
}

/* node_index - binary search of an account id in ids sorted ascending */
static int
node_index(const long long *ids, const int *order, int n, long long id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (ids[order[mid]] == id)
            return order[mid];
        if (ids[order[mid]] < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* quote_check_tree - is the stored configuration sound? */
int
quote_check_tree(struct db *db, char **reason_r)
{
    /* parents first: the recursive walk yields the tree breadth first */
    PGresult *acc =
        DB_EXEC(db, "WITH RECURSIVE t AS ("
                    " SELECT id, parent_id, 0 AS depth FROM account WHERE parent_id IS NULL"
                    " UNION ALL SELECT a.id, a.parent_id, t.depth + 1"
                    " FROM account a JOIN t ON a.parent_id = t.id WHERE t.depth < 10000)"
                    " SELECT t.id, t.parent_id, a.margin_percent, a.margin_fixed, a.handle"
                    " FROM t JOIN account a USING (id) ORDER BY t.depth, t.id");
    if (acc == NULL)
        return -1;
    PGresult *rat =
        db_exec(db, "SELECT account_id, prefix, price FROM rate ORDER BY account_id", 0, NULL);
    if (rat == NULL) {
        PQclear(acc);
        return -1;
    }
    int n = PQntuples(acc), nr = PQntuples(rat);
    struct price_node *nodes = xcalloc((size_t)n, sizeof(*nodes));
    struct price_rate *rates = xcalloc((size_t)nr, sizeof(*rates));
    long long *ids = xcalloc((size_t)n, sizeof(*ids));
    int *order = xcalloc((size_t)n, sizeof(*order));

    for (int i = 0; i < n; i++) {
        ids[i] = db_int64(acc, i, 0);
        order[i] = i;
    }
    /* insertion sort by id is fine at configuration time */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && ids[order[j - 1]] > ids[order[j]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < n; i++) {
        nodes[i].account_id = ids[i];
        nodes[i].parent = db_value(acc, i, 1) ? node_index(ids, order, n, db_int64(acc, i, 1)) : -1;
        nodes[i].margin_percent = db_int64(acc, i, 2);
        nodes[i].margin_fixed = db_int64(acc, i, 3);
    }
    for (int r = 0; r < nr; r++) {
        int i = node_index(ids, order, n, db_int64(rat, r, 0));
        snprintf(rates[r].prefix, sizeof(rates[r].prefix), "%s", db_value(rat, r, 1));
        rates[r].price = db_int64(rat, r, 2);
        if (i >= 0) {
            if (nodes[i].rates == NULL)
                nodes[i].rates = &rates[r]; /* rates are grouped by account */
            nodes[i].nrates++;
        }
    }
    struct pricing_violation v;
    int bad = pricing_check_tree(nodes, n, &v);
    if (bad) {
        char a[AMOUNT_STRLEN], b[AMOUNT_STRLEN];
        int p = nodes[v.node].parent;
        *reason_r = xasprintf("%s would be priced %s per segment for +%s, below its parent %s at "
                              "%s: a child is never "
                              "priced below its parent",
                              PQgetvalue(acc, v.node, 4), amount_format(v.price, a), v.prefix,
                              PQgetvalue(acc, p, 4), amount_format(v.parent_price, b));
    }
    PQclear(acc);
    PQclear(rat);
    xfree(nodes);
    xfree(rates);
    xfree(ids);
    xfree(order);
    return bad;
}
