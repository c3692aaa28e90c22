/*
 * ctl_ledger.c - smsgatectl ledger check | ledger statement
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ledger.h"

static const char *const statement_amounts[] = {"amount", "balance", NULL};

/* check_report - collect one problem */
static void
check_report(const char *problem, void *ctx)
{
    json_object_array_add(ctx, json_object_new_string(problem));
}

/* ledger_check_cmd - the invariants of DESIGN.md */
static int
ledger_check_cmd(struct ctl *ctl, int argc, char **argv)
{
    ctl_parse(argc, argv, NULL, NULL, 0, 0, "smsgatectl ledger check");
    json_object *problems = json_object_new_array();
    /* one snapshot for every query, so concurrent traffic cannot look like a fault */
    struct db *db = ctl_connect(ctl);
    if (db_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) < 0)
        ctl_db_die(ctl, "ledger check");
    int n = ledger_check(db, check_report, problems);
    if (n < 0)
        ctl_db_die(ctl, "ledger check");
    db_rollback(db);
    int count = (int)json_object_array_length(problems);
    if (!ctl->json) {
        for (int i = 0; i < count; i++)
            fprintf(stderr, "smsgatectl: ledger check: %s\n",
                    json_object_get_string(json_object_array_get_idx(problems, i)));
        printf("ledger check: %s (%d problem%s)\n", count ? "FAILED" : "ok", count,
               count == 1 ? "" : "s");
        json_object_put(problems);
    } else {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ok", json_object_new_boolean(count == 0));
        json_object_object_add(o, "problems", problems);
        ctl_print(ctl, o);
    }
    return count ? CTL_CHECK_FAILED : CTL_OK;
}

/* ledger_statement - posted movements of one account with running balance */
static int
ledger_statement(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_opt opts[] = {{"since", 1, NULL}, {"until", 1, NULL}, {NULL, 0, NULL}};
    char *pos[1];
    ctl_parse(argc, argv, opts, pos, 1, 1,
              "smsgatectl ledger statement ACCOUNT [--since DATE] [--until DATE]");
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", ctl_account_id(ctl, pos[0]));
    const char *since = ctl_opt(opts, "since"), *until = ctl_opt(opts, "until");
    ctl_begin(ctl);
    PGresult *res = CTL_RUN(
        ctl, "ledger statement (dates are YYYY-MM-DD or ISO 8601 times, UTC)",
        "WITH me AS (SELECT id FROM ledger_account WHERE account_id = $1),"
        " mv AS (SELECT t.id, t.created_at, t.kind,"
        "  CASE WHEN t.credit_id = me.id THEN t.amount ELSE -t.amount END AS amount,"
        "  CASE t.kind"
        "   WHEN 'topup' THEN coalesce('ref ' || t.ref, 'top-up')"
        "   WHEN 'allocate' THEN CASE WHEN t.credit_id = me.id THEN 'from ' ELSE 'to ' END ||"
        "    (SELECT a.handle FROM ledger_account l JOIN account a ON a.id = l.account_id"
        "     WHERE l.id = CASE WHEN t.credit_id = me.id THEN t.debit_id ELSE t.credit_id END)"
        "    || coalesce(' ref ' || t.ref, '')"
        "   ELSE (SELECT CASE WHEN t.kind = 'margin' THEN 'margin on ' ELSE '' END"
        "    || format('SMS to +%s from %s, %s segment(s)', r.destination, s.handle, r.segments)"
        "    FROM reservation r JOIN account s ON s.id = r.sender_id"
        "    WHERE r.transfer_id = t.reservation_id) END AS detail"
        "  FROM transfer t, me WHERE (t.debit_id = me.id OR t.credit_id = me.id)"
        "  AND t.kind NOT IN ('reserve', 'void')),"
        " run AS (SELECT *, sum(amount) OVER (ORDER BY id) AS balance FROM mv)"
        " SELECT id, to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS time, kind, detail,"
        " amount, balance FROM run"
        " WHERE ($2::timestamptz IS NULL OR created_at >= $2::timestamptz)"
        " AND ($3::timestamptz IS NULL OR created_at < $3::timestamptz) ORDER BY id",
        sid, since, until);
    json_object *entries = ctl_rows(res, statement_amounts);
    PQclear(res);
    res = CTL_RUN(ctl, "ledger statement",
                  "SELECT coalesce(sum(CASE WHEN t.credit_id = l.id THEN t.amount ELSE -t.amount"
                  " END) FILTER (WHERE $2::timestamptz IS NOT NULL"
                  " AND t.created_at < $2::timestamptz), 0),"
                  " coalesce(sum(CASE WHEN t.credit_id = l.id THEN t.amount ELSE -t.amount END)"
                  " FILTER (WHERE $3::timestamptz IS NULL OR t.created_at < $3::timestamptz), 0),"
                  " (SELECT debits_pending FROM ledger_account WHERE account_id = $1)"
                  " FROM ledger_account l LEFT JOIN transfer t"
                  " ON (t.debit_id = l.id OR t.credit_id = l.id)"
                  " AND t.kind NOT IN ('reserve', 'void') WHERE l.account_id = $1",
                  sid, since, until);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "account", json_object_new_string(pos[0]));
    json_object_object_add(o, "since", since ? json_object_new_string(since) : NULL);
    json_object_object_add(o, "until", until ? json_object_new_string(until) : NULL);
    json_object_object_add(o, "opening", ctl_amount_json(db_int64(res, 0, 0)));
    json_object_object_add(o, "closing", ctl_amount_json(db_int64(res, 0, 1)));
    json_object_object_add(o, "pending_now", ctl_amount_json(db_int64(res, 0, 2)));
    json_object_object_add(o, "entries", entries);
    PQclear(res);
    db_rollback(ctl->db);
    ctl_print(ctl, o);
    return CTL_OK;
}

/* ctl_cmd_ledger - dispatch */
int
ctl_cmd_ledger(struct ctl *ctl, int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    if (strcmp(verb, "check") == 0)
        return ledger_check_cmd(ctl, argc - 1, argv + 1);
    if (strcmp(verb, "statement") == 0)
        return ledger_statement(ctl, argc - 1, argv + 1);
    ctl_die(CTL_USAGE, "usage: smsgatectl ledger check | ledger statement ACCOUNT ...");
}
