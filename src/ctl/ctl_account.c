/*
 * ctl_account.c - smsgatectl account add|list|show|set|suspend|resume|close
 *
 * The tree's rules, checked here before the database's constraints have to:
 * one root ("operator", made by db migrate); a handle is chosen once and
 * never reused; an account never moves out of its universe (the top-level
 * account under the root), so its domains and sender rules stay where the
 * customer put them; no move makes a cycle; and no account is priced below
 * its parent after any change.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ledger.h"
#include "xalloc.h"

#define ACCOUNT_OPTS                                                                               \
    {"parent", 1, NULL}, {"billing", 1, NULL}, {"credit-limit", 1, NULL},                          \
        {"margin-percent", 1, NULL}, {"margin-fixed", 1, NULL}, {"daily-cap", 1, NULL},            \
        {"monthly-cap", 1, NULL}, {"charge-on", 1, NULL},                                          \
    {                                                                                              \
        NULL, 0, NULL                                                                              \
    }

static const char account_usage[] =
    "smsgatectl account add|set HANDLE [--parent P] [--billing own|parent] [--credit-limit AMT]"
    " [--margin-percent N] [--margin-fixed AMT] [--daily-cap AMT|none] [--monthly-cap AMT|none]"
    " [--charge-on accept|delivery]";

static const char *const account_amounts[] = {"credit_limit", "margin_percent", "margin_fixed",
                                              "daily_cap",    "monthly_cap",    "posted",
                                              "pending",      "available",      NULL};

/* valid_handle - what the schema's CHECK says, with a message */
static void
check_handle(const char *h)
{
    size_t len = strlen(h);
    if (len == 0 || len > 63 || strspn(h, "abcdefghijklmnopqrstuvwxyz0123456789._-") != len ||
        h[0] == '.' || h[0] == '_' || h[0] == '-')
        ctl_die(CTL_REFUSED,
                "handle \"%s\": use 1 to 63 lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter or digit",
                h);
}

/* money_opt - an amount option as a SQL parameter (micro-units), "none" clears */
static char *
money_opt(const char *what, const char *v, enum amount_sign sign, int allow_none)
{
    if (v == NULL)
        return NULL;
    if (allow_none && strcmp(v, "none") == 0)
        return xstrdup("");
    return xasprintf("%lld", (long long)ctl_amount(what, v, sign));
}

/* one_of_opt - option restricted to a list */
static void
check_choice(const char *what, const char *v, const char *a, const char *b)
{
    if (v && strcmp(v, a) != 0 && strcmp(v, b) != 0)
        ctl_die(CTL_REFUSED, "%s \"%s\": expected %s or %s", what, v, a, b);
}

/* The options of account add and set, checked and turned into SQL parameters. */
struct account_args {
    struct ctl_opt opts[9];
    const char *handle, *parent, *billing, *charge_on;
    char *credit, *pct, *fixed, *daily, *monthly; /* micro-units; "" clears a cap */
};

/* account_args_parse - validate every option before the database is touched */
static void
account_args_parse(struct account_args *a, int argc, char **argv, int is_set)
{
    struct ctl_opt opts[] = {ACCOUNT_OPTS};
    char *pos[1];
    memcpy(a->opts, opts, sizeof(opts));
    ctl_parse(argc, argv, a->opts, pos, 1, 1, account_usage);
    a->handle = pos[0];
    a->parent = ctl_opt(a->opts, "parent");
    a->billing = ctl_opt(a->opts, "billing");
    a->charge_on = ctl_opt(a->opts, "charge-on");
    check_choice("--billing", a->billing, "own", "parent");
    check_choice("--charge-on", a->charge_on, "accept", "delivery");
    a->credit = money_opt("--credit-limit", ctl_opt(a->opts, "credit-limit"), AMOUNT_ALLOW_ZERO, 0);
    a->pct =
        money_opt("--margin-percent", ctl_opt(a->opts, "margin-percent"), AMOUNT_ALLOW_ZERO, 0);
    a->fixed = money_opt("--margin-fixed", ctl_opt(a->opts, "margin-fixed"), AMOUNT_ALLOW_ZERO, 0);
    a->daily =
        money_opt("--daily-cap", ctl_opt(a->opts, "daily-cap"), AMOUNT_POSITIVE_ONLY, is_set);
    a->monthly =
        money_opt("--monthly-cap", ctl_opt(a->opts, "monthly-cap"), AMOUNT_POSITIVE_ONLY, is_set);
    if (a->pct && atoll(a->pct) > 1000LL * AMOUNT_SCALE)
        ctl_die(CTL_REFUSED, "--margin-percent: at most 1000");
}

static void
account_args_free(struct account_args *a)
{
    xfree(a->credit);
    xfree(a->pct);
    xfree(a->fixed);
    xfree(a->daily);
    xfree(a->monthly);
}

/* universe_of - the top-level ancestor (or the root itself) */
static long long
universe_of(struct ctl *ctl, long long id)
{
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", id);
    PGresult *res = CTL_RUN(ctl, "universe",
                            "WITH RECURSIVE up AS (SELECT id, parent_id, 0 AS d FROM account"
                            " WHERE id = $1 UNION ALL SELECT a.id, a.parent_id, up.d + 1"
                            " FROM account a JOIN up ON a.id = up.parent_id WHERE up.d < 10000)"
                            " SELECT id FROM up WHERE parent_id IS NULL OR parent_id ="
                            " (SELECT id FROM account WHERE parent_id IS NULL)"
                            " ORDER BY d LIMIT 1",
                            sid);
    long long u = db_int64(res, 0, 0);
    PQclear(res);
    return u;
}

/* show - print one account */
static void
account_print(struct ctl *ctl, const char *handle)
{
    PGresult *res = CTL_RUN(
        ctl, "account show",
        "WITH RECURSIVE up AS (SELECT a.id, a.parent_id, a.billing, 0 AS d FROM account a"
        "  WHERE a.handle = $1 UNION ALL SELECT a.id, a.parent_id, a.billing, up.d + 1"
        "  FROM account a JOIN up ON a.id = up.parent_id WHERE up.d < 10000)"
        " SELECT a.handle, p.handle AS parent, a.billing,"
        " (SELECT x.handle FROM up JOIN account x ON x.id = up.id"
        "   WHERE up.billing = 'own' OR up.parent_id IS NULL ORDER BY up.d LIMIT 1) AS payer,"
        " a.status, a.credit_limit, a.margin_percent, a.margin_fixed, a.daily_cap,"
        " a.monthly_cap, a.charge_on,"
        " (SELECT count(*) FROM account c WHERE c.parent_id = a.id) AS children,"
        " (SELECT string_agg(name, ',' ORDER BY name) FROM domain WHERE account_id = a.id)"
        "   AS domains,"
        " l.credits_posted - l.debits_posted AS posted, l.debits_pending AS pending,"
        " l.credits_posted - l.debits_posted - l.debits_pending + a.credit_limit AS available,"
        " to_char(a.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created"
        " FROM account a LEFT JOIN account p ON p.id = a.parent_id"
        " JOIN ledger_account l ON l.account_id = a.id WHERE a.handle = $1",
        handle);
    if (PQntuples(res) != 1)
        ctl_die(CTL_REFUSED, "no account \"%s\" (see smsgatectl account list)", handle);
    json_object *arr = ctl_rows(res, account_amounts);
    json_object *o = json_object_get(json_object_array_get_idx(arr, 0));
    json_object_put(arr);
    PQclear(res);
    ctl_print(ctl, o);
}

/* account_add - a new account under a parent */
static int
account_add(struct ctl *ctl, int argc, char **argv)
{
    struct account_args a;
    account_args_parse(&a, argc, argv, 0);
    const char *handle = a.handle;
    check_handle(handle);

    ctl_begin(ctl);
    const char *parent = a.parent ? a.parent : "operator";
    PGresult *res = CTL_RUN(ctl, "account add",
                            "SELECT id, status FROM account WHERE handle = $1 FOR UPDATE", parent);
    if (PQntuples(res) != 1)
        ctl_die(CTL_REFUSED, "no parent account \"%s\" (see smsgatectl account list)", parent);
    if (strcmp(db_value(res, 0, 1), "closed") == 0)
        ctl_die(CTL_REFUSED, "parent account \"%s\" is closed", parent);
    char *parent_id = xstrdup(db_value(res, 0, 0));
    PQclear(res);
    res = CTL_RUN(ctl, "account add", "SELECT 1 FROM account WHERE handle = $1", handle);
    if (PQntuples(res) > 0)
        ctl_die(CTL_REFUSED, "account \"%s\" already exists", handle);
    PQclear(res);
    res = CTL_RUN(ctl, "account add",
                  "INSERT INTO account (handle, parent_id, billing, credit_limit, margin_percent,"
                  " margin_fixed, daily_cap, monthly_cap, charge_on)"
                  " VALUES ($1, $2, coalesce($3, 'own'), coalesce($4::bigint, 0),"
                  " coalesce($5::bigint, 0), coalesce($6::bigint, 0), $7, $8,"
                  " coalesce($9, 'accept'))",
                  handle, parent_id, a.billing, a.credit, a.pct, a.fixed, a.daily, a.monthly,
                  a.charge_on);
    PQclear(res);
    ctl_commit(ctl);
    xfree(parent_id);
    account_args_free(&a);
    account_print(ctl, handle);
    return CTL_OK;
}

/* account_set - change settings, or move within the universe */
static int
account_set(struct ctl *ctl, int argc, char **argv)
{
    struct account_args a;
    account_args_parse(&a, argc, argv, 1);
    const char *handle = a.handle, *billing = a.billing, *parent = a.parent;
    char *pct = a.pct, *fixed = a.fixed;

    ctl_begin(ctl);
    ctl_lock_tree(ctl);
    long long id = ctl_account_id(ctl, handle);
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", id);
    PGresult *res =
        CTL_RUN(ctl, "account set",
                "SELECT a.parent_id, a.billing, l.credits_posted - l.debits_posted,"
                " l.debits_pending FROM account a JOIN ledger_account l ON l.account_id = a.id"
                " WHERE a.id = $1 FOR UPDATE OF a, l",
                sid);
    int is_root = db_value(res, 0, 0) == NULL;
    int was_own = strcmp(db_value(res, 0, 1), "own") == 0;
    long long posted = db_int64(res, 0, 2), pending = db_int64(res, 0, 3);
    PQclear(res);

    if (is_root && (parent || (billing && strcmp(billing, "parent") == 0) || pct || fixed))
        ctl_die(CTL_REFUSED, "the root account has no parent: it pays its own way and its "
                             "prices are the carrier costs (rate set operator ...)");
    if (billing && strcmp(billing, "parent") == 0 && was_own && (posted != 0 || pending != 0)) {
        char b1[AMOUNT_STRLEN], b2[AMOUNT_STRLEN];
        ctl_die(CTL_REFUSED,
                "%s still holds %s with %s pending: transfer it to its parent and let pending "
                "SMS settle before billing it to the parent",
                handle, amount_format(posted, b1), amount_format(pending, b2));
    }
    char *parent_id = NULL;
    if (parent) {
        long long pid = ctl_account_id(ctl, parent);
        char sp[24];
        snprintf(sp, sizeof(sp), "%lld", pid);
        PGresult *ps = CTL_RUN(ctl, "account set", "SELECT status FROM account WHERE id = $1", sp);
        int closed = strcmp(db_value(ps, 0, 0), "closed") == 0;
        PQclear(ps);
        if (closed)
            ctl_die(CTL_REFUSED, "parent account \"%s\" is closed", parent);
        /* cycle: the new parent may not be the account or one of its descendants */
        char spid[24];
        snprintf(spid, sizeof(spid), "%lld", pid);
        res = CTL_RUN(ctl, "account set",
                      "WITH RECURSIVE up AS (SELECT id, parent_id, 0 AS d FROM account"
                      " WHERE id = $1 UNION ALL SELECT a.id, a.parent_id, up.d + 1 FROM account a"
                      " JOIN up ON a.id = up.parent_id WHERE up.d < 10000)"
                      " SELECT 1 FROM up WHERE id = $2",
                      spid, sid);
        if (PQntuples(res) > 0)
            ctl_die(CTL_REFUSED, "moving %s under %s would make a cycle: %s is %s", handle, parent,
                    parent, pid == id ? "the account itself" : "one of its descendants");
        PQclear(res);
        long long u = universe_of(ctl, id);
        if (u == id || universe_of(ctl, pid) != u)
            ctl_die(CTL_REFUSED,
                    "%s cannot move under %s: an account stays in its universe (top-level "
                    "accounts do not move)",
                    handle, parent);
        parent_id = xasprintf("%lld", pid);
    }
    res = CTL_RUN(ctl, "account set",
                  "UPDATE account SET parent_id = coalesce($2::bigint, parent_id),"
                  " billing = coalesce($3, billing),"
                  " credit_limit = coalesce($4::bigint, credit_limit),"
                  " margin_percent = coalesce($5::bigint, margin_percent),"
                  " margin_fixed = coalesce($6::bigint, margin_fixed),"
                  " daily_cap = CASE WHEN $7::text IS NULL THEN daily_cap ELSE nullif($7::text, "
                  "'')::bigint END,"
                  " monthly_cap = CASE WHEN $8::text IS NULL THEN monthly_cap"
                  "  ELSE nullif($8::text, '')::bigint END,"
                  " charge_on = coalesce($9, charge_on) WHERE id = $1",
                  sid, parent_id, billing, a.credit, pct, fixed, a.daily, a.monthly, a.charge_on);
    PQclear(res);
    /* a move or a new margin can lift a parent above a child's explicit rate */
    ctl_check_prices(ctl);
    ctl_commit(ctl);
    xfree(parent_id);
    account_args_free(&a);
    account_print(ctl, handle);
    return CTL_OK;
}

/* account_status - suspend, resume, close */
static int
account_status(struct ctl *ctl, const char *verb, int argc, char **argv)
{
    char *pos[1];
    char usage[64];
    snprintf(usage, sizeof(usage), "smsgatectl account %s HANDLE", verb);
    ctl_parse(argc, argv, NULL, pos, 1, 1, usage);
    ctl_begin(ctl);
    long long id = ctl_account_id(ctl, pos[0]);
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", id);
    PGresult *res = CTL_RUN(ctl, "account",
                            "SELECT a.status, a.parent_id IS NULL,"
                            " l.credits_posted - l.debits_posted, l.debits_pending"
                            " FROM account a JOIN ledger_account l"
                            " ON l.account_id = a.id WHERE a.id = $1"
                            " FOR UPDATE OF a, l",
                            sid);
    int closed = strcmp(db_value(res, 0, 0), "closed") == 0;
    int is_root = db_value(res, 0, 1)[0] == 't';
    long long posted = db_int64(res, 0, 2), pending = db_int64(res, 0, 3);
    PQclear(res);
    const char *to = strcmp(verb, "suspend") == 0  ? "suspended"
                     : strcmp(verb, "resume") == 0 ? "active"
                                                   : "closed";
    if (closed)
        ctl_die(CTL_REFUSED, "%s is closed; closed accounts stay closed", pos[0]);
    if (strcmp(to, "closed") == 0) {
        char a[AMOUNT_STRLEN], b[AMOUNT_STRLEN];
        if (is_root)
            ctl_die(CTL_REFUSED, "the root account cannot be closed");
        if (posted != 0 || pending != 0)
            ctl_die(CTL_REFUSED,
                    "%s has a balance of %s and %s pending: transfer the balance to its parent "
                    "and let pending SMS settle before closing it",
                    pos[0], amount_format(posted, a), amount_format(pending, b));
        res = CTL_RUN(ctl, "account close",
                      "SELECT (SELECT string_agg(handle, ', ') FROM account"
                      "  WHERE parent_id = $1 AND status <> 'closed'),"
                      " (SELECT string_agg(name, ', ') FROM domain WHERE account_id = $1)",
                      sid);
        if (db_value(res, 0, 0))
            ctl_die(CTL_REFUSED, "%s still has open child accounts: %s", pos[0],
                    db_value(res, 0, 0));
        if (db_value(res, 0, 1))
            ctl_die(CTL_REFUSED, "%s still owns domains: %s (smsgatectl domain del)", pos[0],
                    db_value(res, 0, 1));
        PQclear(res);
    }
    res = CTL_RUN(ctl, "account", "UPDATE account SET status = $2 WHERE id = $1", sid, to);
    PQclear(res);
    ctl_commit(ctl);
    account_print(ctl, pos[0]);
    return CTL_OK;
}

/* account_list - everything, the children of one parent, or a (sub)tree */
static int
account_list(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_opt opts[] = {{"parent", 1, NULL}, {"tree", 0, NULL}, {NULL, 0, NULL}};
    ctl_parse(argc, argv, opts, NULL, 0, 0, "smsgatectl account list [--parent P] [--tree]");
    const char *parent = ctl_opt(opts, "parent");
    int tree = ctl_opt(opts, "tree") != NULL;
    char sid[24];
    if (parent)
        snprintf(sid, sizeof(sid), "%lld", ctl_account_id(ctl, parent));
    /*
     * Start at the children of P (or at the root) and descend unless only
     * the children were asked for; depth-first order, indented with --tree.
     */
    PGresult *res =
        CTL_RUN(ctl, "account list",
                "WITH RECURSIVE t AS (SELECT id, 0 AS depth, ARRAY[handle] AS path FROM account"
                "  WHERE parent_id IS NOT DISTINCT FROM $1::bigint"
                "  UNION ALL SELECT a.id, t.depth + 1, t.path || a.handle FROM account a"
                "  JOIN t ON a.parent_id = t.id WHERE $2 AND t.depth < 10000)"
                " SELECT CASE WHEN $3 THEN repeat('  ', t.depth) ELSE '' END || a.handle AS handle,"
                " p.handle AS parent, a.billing, a.status, a.credit_limit, a.margin_percent,"
                " a.margin_fixed, a.daily_cap, a.monthly_cap,"
                " l.credits_posted - l.debits_posted AS posted, l.debits_pending AS pending"
                " FROM t JOIN account a ON a.id = t.id LEFT JOIN account p ON p.id = a.parent_id"
                " JOIN ledger_account l ON l.account_id = a.id ORDER BY t.path",
                parent ? sid : NULL, (tree || !parent) ? "t" : "f", tree ? "t" : "f");
    json_object *rows = ctl_rows(res, account_amounts);
    PQclear(res);
    ctl_print(ctl, rows);
    return CTL_OK;
}

/* ctl_cmd_account - dispatch */
int
ctl_cmd_account(struct ctl *ctl, int argc, char **argv)
{
    if (argc < 1)
        ctl_die(CTL_USAGE, "usage: smsgatectl account add|list|show|set|suspend|resume|close ...");
    const char *verb = argv[0];
    if (strcmp(verb, "add") == 0)
        return account_add(ctl, argc - 1, argv + 1);
    if (strcmp(verb, "set") == 0)
        return account_set(ctl, argc - 1, argv + 1);
    if (strcmp(verb, "list") == 0)
        return account_list(ctl, argc - 1, argv + 1);
    if (strcmp(verb, "show") == 0) {
        char *pos[1];
        ctl_parse(argc - 1, argv + 1, NULL, pos, 1, 1, "smsgatectl account show HANDLE");
        account_print(ctl, pos[0]);
        return CTL_OK;
    }
    if (strcmp(verb, "suspend") == 0 || strcmp(verb, "resume") == 0 || strcmp(verb, "close") == 0)
        return account_status(ctl, verb, argc - 1, argv + 1);
    ctl_die(CTL_USAGE, "unknown account command \"%s\"", verb);
}
