/*
 * ctl_money.c - smsgatectl rate, topup, transfer, balance, price
 *
 * Every movement goes through the ledger (src/lib/ledger.c) with an
 * idempotency key: a top-up with --ref can be run twice by a nervous
 * operator or a retrying script and still credits once.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ctl.h"
#include "ledger.h"
#include "phone.h"
#include "quote.h"
#include "xalloc.h"

/* random_key - a fresh key for a movement without a caller reference */
static char *
random_key(const char *kind)
{
    unsigned char b[16];
    char hex[33];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        ctl_die(CTL_TEMPFAIL, "no random bytes for a transfer key");
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    return xasprintf("%s:%s", kind, hex);
}

/* movement_print - the outcome of a top-up or transfer; frees r */
static int
movement_print(struct ctl *ctl, enum ledger_status st, struct ledger_result *r, const char *from,
               const char *to)
{
    if (st == LEDGER_ERROR)
        ctl_db_die(ctl, "transfer");
    if (st == LEDGER_REFUSED)
        ctl_die(CTL_REFUSED, "refused: %s", r->reason);
    ctl_commit(ctl);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "transfer", json_object_new_int64(r->transfer_id));
    json_object_object_add(
        o, "status", json_object_new_string(st == LEDGER_REPLAY ? "already applied" : "applied"));
    json_object_object_add(o, "from", json_object_new_string(from));
    json_object_object_add(o, "to", json_object_new_string(to));
    json_object_object_add(o, "amount", ctl_amount_json(r->amount));
    ctl_print(ctl, o);
    ledger_result_free(r);
    return CTL_OK;
}

/* check_own - an account that can hold money of its own */
static void
check_holder(struct ctl *ctl, const char *handle, const char *role)
{
    PGresult *res =
        CTL_RUN(ctl, "transfer", "SELECT billing, status FROM account WHERE handle = $1", handle);
    if (strcmp(db_value(res, 0, 1), "closed") == 0)
        ctl_die(CTL_REFUSED, "%s is closed", handle);
    if (strcmp(db_value(res, 0, 0), "parent") == 0)
        ctl_die(CTL_REFUSED,
                "%s is billed to its parent and spends from no balance of its own: %s the payer "
                "instead",
                handle, role);
    PQclear(res);
}

/* cmd_topup - money paid in from outside */
int
ctl_cmd_topup(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_opt opts[] = {{"ref", 1, NULL}, {NULL, 0, NULL}};
    char *pos[2];
    ctl_parse(argc, argv, opts, pos, 2, 2, "smsgatectl topup ACCOUNT AMOUNT [--ref TEXT]");
    amount_t amount = ctl_amount("amount", pos[1], AMOUNT_POSITIVE_ONLY);
    const char *ref = ctl_opt(opts, "ref");
    ctl_begin(ctl);
    long long id = ctl_account_id(ctl, pos[0]);
    check_holder(ctl, pos[0], "top up");
    /* with a reference, the key is the reference: the same top-up twice is one */
    char *key = ref ? xasprintf("topup:%lld:%s", id, ref) : random_key("topup");
    struct ledger_result r;
    enum ledger_status st = ledger_topup(ctl->db, key, id, amount, ref, &r);
    xfree(key);
    return movement_print(ctl, st, &r, "funding", pos[0]);
}

/* cmd_transfer - a parent allocating credit to a child, or clawing it back */
int
ctl_cmd_transfer(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_opt opts[] = {{"ref", 1, NULL}, {NULL, 0, NULL}};
    char *pos[3];
    ctl_parse(argc, argv, opts, pos, 3, 3, "smsgatectl transfer FROM TO AMOUNT [--ref TEXT]");
    amount_t amount = ctl_amount("amount", pos[2], AMOUNT_POSITIVE_ONLY);
    const char *ref = ctl_opt(opts, "ref");
    ctl_begin(ctl);
    long long from = ctl_account_id(ctl, pos[0]), to = ctl_account_id(ctl, pos[1]);
    char sf[24], st_[24];
    snprintf(sf, sizeof(sf), "%lld", from);
    snprintf(st_, sizeof(st_), "%lld", to);
    PGresult *res = CTL_RUN(ctl, "transfer",
                            "SELECT 1 FROM account WHERE (id = $1 AND parent_id = $2)"
                            " OR (id = $2 AND parent_id = $1)",
                            sf, st_);
    if (PQntuples(res) == 0)
        ctl_die(CTL_REFUSED,
                "%s and %s are not parent and child: credit moves only between an account and "
                "its parent",
                pos[0], pos[1]);
    PQclear(res);
    check_holder(ctl, pos[0], "transfer from");
    check_holder(ctl, pos[1], "transfer to");
    char *key = ref ? xasprintf("allocate:%lld:%lld:%s", from, to, ref) : random_key("allocate");
    struct ledger_result r;
    enum ledger_status st = ledger_allocate(ctl->db, key, from, to, amount, ref, &r);
    xfree(key);
    return movement_print(ctl, st, &r, pos[0], pos[1]);
}

/* cmd_balance - posted, pending, available, spend against caps */
int
ctl_cmd_balance(struct ctl *ctl, int argc, char **argv)
{
    char *pos[1];
    ctl_parse(argc, argv, NULL, pos, 1, 1, "smsgatectl balance ACCOUNT");
    long long id = ctl_account_id(ctl, pos[0]);
    struct ledger_balance b;
    if (ledger_balance(ctl->db, id, &b) < 0)
        ctl_db_die(ctl, "balance");
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", id);
    PGresult *res = CTL_RUN(
        ctl, "balance", "SELECT billing, daily_cap, monthly_cap FROM account WHERE id = $1", sid);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "account", json_object_new_string(pos[0]));
    json_object_object_add(o, "billing", json_object_new_string(db_value(res, 0, 0)));
    json_object_object_add(o, "posted", ctl_amount_json(b.posted));
    json_object_object_add(o, "pending", ctl_amount_json(b.pending));
    json_object_object_add(o, "credit_limit", ctl_amount_json(b.credit_limit));
    json_object_object_add(o, "available", ctl_amount_json(b.available));
    json_object_object_add(o, "spent_today", ctl_amount_json(b.spent_today));
    json_object_object_add(o, "daily_cap",
                           db_value(res, 0, 1) ? ctl_amount_json(db_int64(res, 0, 1)) : NULL);
    json_object_object_add(o, "spent_month", ctl_amount_json(b.spent_month));
    json_object_object_add(o, "monthly_cap",
                           db_value(res, 0, 2) ? ctl_amount_json(db_int64(res, 0, 2)) : NULL);
    PQclear(res);
    ctl_print(ctl, o);
    return CTL_OK;
}

/* cmd_price - what an account pays for a destination, and who earns what */
int
ctl_cmd_price(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_opt opts[] = {{"segments", 1, NULL}, {"country", 1, NULL}, {NULL, 0, NULL}};
    char *pos[2];
    ctl_parse(argc, argv, opts, pos, 2, 2,
              "smsgatectl price ACCOUNT NUMBER [--segments N] [--country CC]");
    char number[PHONE_E164_MAX];
    const char *why;
    if (ctl_opt(opts, "country") && phone_check_country(ctl_opt(opts, "country"), &why) < 0)
        ctl_die(CTL_REFUSED, "--country %s: %s", ctl_opt(opts, "country"), why);
    /* the same reading of a number as mail intake's, with an optional country */
    if (phone_parse(pos[1], ctl_opt(opts, "country"), PHONE_INTERNATIONAL, number, &why) !=
        PHONE_OK)
        ctl_die(CTL_REFUSED, "number \"%s\": %s", pos[1], why);
    int segments = 1;
    if (ctl_opt(opts, "segments")) {
        char *end;
        long n = strtol(ctl_opt(opts, "segments"), &end, 10);
        if (*end || n < 1 || n > 255)
            ctl_die(CTL_REFUSED, "--segments: a number from 1 to 255");
        segments = (int)n;
    }
    long long id = ctl_account_id(ctl, pos[0]);
    struct quote q;
    char *reason;
    switch (quote_get(ctl->db, id, number, segments, &q, &reason)) {
    case QUOTE_ERROR:
        ctl_db_die(ctl, "price");
    case QUOTE_REFUSED:
        ctl_die(CTL_REFUSED, "%s", reason);
    case QUOTE_OK:
        break;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "account", json_object_new_string(pos[0]));
    json_object_object_add(o, "destination", json_object_new_string(number));
    json_object_object_add(o, "segments", json_object_new_int(segments));
    json_object_object_add(o, "price", ctl_amount_json(q.lv[0].price));
    json_object_object_add(o, "total", ctl_amount_json(quote_total(&q, 0)));
    json_object_object_add(o, "payer", json_object_new_string(q.lv[q.payer].handle));
    json_object_object_add(o, "paid", ctl_amount_json(quote_total(&q, q.payer)));
    json_object *levels = json_object_new_array();
    for (int i = 0; i < q.n; i++) {
        json_object *l = json_object_new_object();
        const char *role = i == q.payer   ? (i == 0 ? "sender, payer" : "payer")
                           : i < q.payer  ? "sender"
                           : i == q.n - 1 ? "root"
                                          : "ancestor";
        if (i > 0 && i < q.payer)
            role = "billed to parent";
        json_object_object_add(l, "account", json_object_new_string(q.lv[i].handle));
        json_object_object_add(l, "role", json_object_new_string(role));
        json_object_object_add(l, "price", ctl_amount_json(q.lv[i].price));
        json_object_object_add(l, "total", ctl_amount_json(quote_total(&q, i)));
        json_object_object_add(l, "from",
                               json_object_new_string(q.lv[i].has_rate ? "rate" : "margin"));
        json_object_object_add(
            l, "prefix", q.lv[i].has_rate ? json_object_new_string(q.lv[i].rate_prefix) : NULL);
        /* what this account is credited when the SMS is paid */
        json_object_object_add(
            l, "earns",
            i > q.payer ? ctl_amount_json(quote_total(&q, i - 1) - quote_total(&q, i)) : NULL);
        json_object_array_add(levels, l);
    }
    json_object_object_add(o, "carrier_cost", ctl_amount_json(quote_total(&q, q.n - 1)));
    json_object_object_add(o, "levels", levels);
    quote_free(&q);
    ctl_print(ctl, o);
    return CTL_OK;
}

/* rate_set - an explicit price per segment for a prefix */
static int
rate_set(struct ctl *ctl, int argc, char **argv)
{
    char *pos[3];
    ctl_parse(argc, argv, NULL, pos, 3, 3, "smsgatectl rate set ACCOUNT PREFIX AMOUNT");
    const char *prefix = pos[1][0] == '+' ? pos[1] + 1 : pos[1];
    size_t len = strlen(prefix);
    if (len == 0 || len > 15 || strspn(prefix, "0123456789") != len || prefix[0] == '0')
        ctl_die(CTL_REFUSED,
                "prefix \"%s\": 1 to 15 digits of an international number, country code first "
                "(61 or 614)",
                pos[1]);
    amount_t price = ctl_amount("price", pos[2], AMOUNT_ALLOW_ZERO);
    char sprice[24];
    snprintf(sprice, sizeof(sprice), "%lld", (long long)price);
    ctl_begin(ctl);
    ctl_lock_tree(ctl);
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", ctl_account_id(ctl, pos[0]));
    PGresult *res =
        CTL_RUN(ctl, "rate set",
                "INSERT INTO rate (account_id, prefix, price) VALUES ($1, $2, $3)"
                " ON CONFLICT (account_id, prefix) DO UPDATE SET price = excluded.price,"
                " updated_at = now()",
                sid, prefix, sprice);
    PQclear(res);
    ctl_check_prices(ctl);
    ctl_commit(ctl);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "account", json_object_new_string(pos[0]));
    json_object_object_add(o, "prefix", json_object_new_string(prefix));
    json_object_object_add(o, "price", ctl_amount_json(price));
    ctl_print(ctl, o);
    return CTL_OK;
}

/* ctl_cmd_rate - dispatch */
int
ctl_cmd_rate(struct ctl *ctl, int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    if (strcmp(verb, "set") == 0)
        return rate_set(ctl, argc - 1, argv + 1);
    if (strcmp(verb, "list") == 0) {
        char *pos[1];
        ctl_parse(argc - 1, argv + 1, NULL, pos, 1, 1, "smsgatectl rate list ACCOUNT");
        char sid[24];
        snprintf(sid, sizeof(sid), "%lld", ctl_account_id(ctl, pos[0]));
        PGresult *res = CTL_RUN(ctl, "rate list",
                                "SELECT prefix, price,"
                                " to_char(updated_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS updated"
                                " FROM rate WHERE account_id = $1 ORDER BY prefix",
                                sid);
        ctl_print(ctl, ctl_rows(res, (const char *const[]){"price", NULL}));
        PQclear(res);
        return CTL_OK;
    }
    if (strcmp(verb, "del") == 0) {
        char *pos[2];
        ctl_parse(argc - 1, argv + 1, NULL, pos, 2, 2, "smsgatectl rate del ACCOUNT PREFIX");
        ctl_begin(ctl);
        ctl_lock_tree(ctl);
        char sid[24];
        snprintf(sid, sizeof(sid), "%lld", ctl_account_id(ctl, pos[0]));
        PGresult *res =
            CTL_RUN(ctl, "rate del", "DELETE FROM rate WHERE account_id = $1 AND prefix = $2", sid,
                    pos[1][0] == '+' ? pos[1] + 1 : pos[1]);
        if (atoi(PQcmdTuples(res)) == 0)
            ctl_die(CTL_REFUSED, "%s has no rate for %s", pos[0], pos[1]);
        PQclear(res);
        ctl_check_prices(ctl);
        ctl_commit(ctl);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "account", json_object_new_string(pos[0]));
        json_object_object_add(o, "deleted", json_object_new_string(pos[1]));
        ctl_print(ctl, o);
        return CTL_OK;
    }
    ctl_die(CTL_USAGE, "usage: smsgatectl rate set|list|del ...");
}
