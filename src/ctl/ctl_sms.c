/*
 * ctl_sms.c - smsgatectl sms list | sms show
 *
 * What was queued: the number, the text, its encoding and parts, what the
 * sending account is charged (its own price) and what the payer pays, the
 * status and its
 * history, and where its reservation stands in the ledger.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char *const sms_amounts[] = {"charged", "paid", NULL};

/* sms_list - newest first */
static int
sms_list(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_opt opts[] = {
        {"account", 1, NULL}, {"status", 1, NULL}, {"limit", 1, NULL}, {NULL, 0, NULL}};
    ctl_parse(argc, argv, opts, NULL, 0, 0,
              "smsgatectl sms list [--account A] [--status S] [--limit N]");
    const char *acc = ctl_opt(opts, "account"), *status = ctl_opt(opts, "status");
    const char *limit = ctl_opt(opts, "limit") ? ctl_opt(opts, "limit") : "100";
    char *end;
    long n = strtol(limit, &end, 10);
    if (*end || n < 1 || n > 1000000)
        ctl_die(CTL_USAGE, "--limit: a number from 1 to 1000000");
    if (acc)
        ctl_account_id(ctl, acc);
    static const char *const statuses[] = {"queued",        "sending", "submitted", "delivered",
                                           "undeliverable", "expired", "rejected",  NULL};
    int known = status == NULL;
    for (int i = 0; statuses[i] && !known; i++)
        known = strcmp(status, statuses[i]) == 0;
    if (!known)
        ctl_die(CTL_REFUSED,
                "--status %s: one of queued, sending, submitted, delivered, undeliverable, "
                "expired, rejected",
                status);
    PGresult *res =
        CTL_RUN(ctl, "sms list",
                "SELECT s.id, to_char(s.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created,"
                " a.handle AS account, '+' || s.destination AS destination, s.parts, s.encoding,"
                " s.charged, s.paid, s.status"
                " FROM sms s JOIN account a ON a.id = s.account_id"
                " WHERE ($1::text IS NULL OR a.handle = $1) AND ($2::text IS NULL OR s.status = $2)"
                " ORDER BY s.id DESC LIMIT $3",
                acc, status, limit);
    ctl_print(ctl, ctl_rows(res, sms_amounts));
    PQclear(res);
    return CTL_OK;
}

/* sms_show - one SMS with its history */
static int
sms_show(struct ctl *ctl, int argc, char **argv)
{
    char *pos[1];
    ctl_parse(argc, argv, NULL, pos, 1, 1, "smsgatectl sms show ID");
    size_t len = strlen(pos[0]);
    if (len == 0 || len > 18 || strspn(pos[0], "0123456789") != len)
        ctl_die(CTL_REFUSED, "\"%s\" is not an SMS id (a number, see smsgatectl sms list)", pos[0]);
    PGresult *res = CTL_RUN(
        ctl, "sms show",
        "SELECT s.id, a.handle AS account, p.handle AS payer, s.mail_from,"
        " '+' || s.destination AS destination, s.sender_id, s.body AS text, s.encoding, s.parts,"
        " s.truncated, s.charged, s.paid, s.status,"
        " CASE (SELECT kind FROM transfer t WHERE t.reservation_id = s.reservation_id"
        "  AND t.kind IN ('post', 'void')) WHEN 'post' THEN 'posted' WHEN 'void' THEN 'voided'"
        "  ELSE 'pending' END AS reservation,"
        " s.message_id, s.queue_id, s.client_address,"
        " to_char(s.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created,"
        " to_char(s.expires_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS expires"
        " FROM sms s JOIN account a ON a.id = s.account_id"
        " JOIN reservation r ON r.transfer_id = s.reservation_id"
        " JOIN account p ON p.id = r.payer_id WHERE s.id = $1",
        pos[0]);
    if (PQntuples(res) != 1)
        ctl_die(CTL_REFUSED, "no SMS %s (see smsgatectl sms list)", pos[0]);
    json_object *arr = ctl_rows(res, sms_amounts);
    json_object *o = json_object_get(json_object_array_get_idx(arr, 0));
    json_object_put(arr);
    PQclear(res);
    /* queued is the SMS's creation; every later status is an event */
    res = CTL_RUN(ctl, "sms show",
                  "SELECT to_char(at, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at, status, detail"
                  " FROM (SELECT created_at AS at, 'queued' AS status, NULL AS detail, 0 AS n"
                  "  FROM sms WHERE id = $1"
                  "  UNION ALL SELECT at, status, detail, 1 FROM sms_event WHERE sms_id = $1) e"
                  " ORDER BY at, n",
                  pos[0]);
    json_object_object_add(o, "history", ctl_rows(res, NULL));
    PQclear(res);
    ctl_print(ctl, o);
    return CTL_OK;
}

/* ctl_cmd_sms - dispatch */
int
ctl_cmd_sms(struct ctl *ctl, int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    if (strcmp(verb, "list") == 0)
        return sms_list(ctl, argc - 1, argv + 1);
    if (strcmp(verb, "show") == 0)
        return sms_show(ctl, argc - 1, argv + 1);
    ctl_die(CTL_USAGE,
            "usage: smsgatectl sms list [--account A] [--status S] [--limit N] | sms show ID");
}
