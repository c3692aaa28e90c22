/*
 * ctl_report.c - smsgatectl report usage
 *
 * For one parent P: the SMS its descendants sent that were paid (posted) in
 * the period, grouped by P's direct child on the path, by day or by
 * destination (the carrier-cost prefix that priced them). Columns:
 *   charged  the child's price: what an own-billed child paid, or what P
 *            invoices a centrally billed child off-platform;
 *   paid     what P paid from its own balance (P was the payer);
 *   margin   what P was credited (the payer was below P).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xalloc.h"

static const char *const report_amounts[] = {"charged", "paid", "margin", NULL};

/* csv_field - quote when needed (RFC 4180) */
static void
csv_field(const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

/* ctl_cmd_report - report usage */
int
ctl_cmd_report(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_opt opts[] = {{"parent", 1, NULL}, {"since", 1, NULL},  {"until", 1, NULL},
                             {"by", 1, NULL},     {"format", 1, NULL}, {NULL, 0, NULL}};
    const char *usage = "smsgatectl report usage [--parent P] [--since DATE] [--until DATE]"
                        " [--by child|day|destination] [--format table|csv|json]";
    char *pos[1];
    ctl_parse(argc, argv, opts, pos, 1, 1, usage);
    if (strcmp(pos[0], "usage") != 0)
        ctl_die(CTL_USAGE, "usage: %s", usage);
    const char *parent = ctl_opt(opts, "parent") ? ctl_opt(opts, "parent") : "operator";
    const char *by = ctl_opt(opts, "by") ? ctl_opt(opts, "by") : "child";
    const char *format = ctl_opt(opts, "format") ? ctl_opt(opts, "format")
                         : ctl->json             ? "json"
                                                 : "table";
    const char *key;
    if (strcmp(by, "child") == 0)
        key = "(SELECT handle FROM account WHERE id = x.child_id)";
    else if (strcmp(by, "day") == 0)
        key = "to_char(x.posted_at, 'YYYY-MM-DD')";
    else if (strcmp(by, "destination") == 0)
        key = "'+' || x.prefix";
    else
        ctl_die(CTL_USAGE, "--by: child, day or destination");
    if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json"))
        ctl_die(CTL_USAGE, "--format: table, csv or json");

    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", ctl_account_id(ctl, parent));
    const char *since = ctl_opt(opts, "since"), *until = ctl_opt(opts, "until");
    char *sql = xasprintf(
        "WITH x AS (SELECT r.segments, r.prefix, r.payer_depth, pl.depth,"
        "  c.account_id AS child_id, c.price AS child_price, pl.price AS parent_price,"
        "  post.created_at AS posted_at"
        "  FROM reservation_level pl"
        "  JOIN reservation r ON r.transfer_id = pl.transfer_id"
        "  JOIN reservation_level c ON c.transfer_id = pl.transfer_id AND c.depth = pl.depth - 1"
        "  JOIN transfer post ON post.reservation_id = r.transfer_id AND post.kind = 'post'"
        "  WHERE pl.account_id = $1 AND pl.depth > 0"
        "  AND ($2::timestamptz IS NULL OR post.created_at >= $2::timestamptz)"
        "  AND ($3::timestamptz IS NULL OR post.created_at < $3::timestamptz))"
        " SELECT %s AS %s, count(*) AS sms, sum(segments) AS segments,"
        " sum(child_price) AS charged,"
        " sum(CASE WHEN payer_depth = depth THEN parent_price ELSE 0 END) AS paid,"
        " sum(CASE WHEN payer_depth < depth THEN child_price - parent_price ELSE 0 END) AS margin"
        " FROM x GROUP BY ROLLUP (1) ORDER BY 1 NULLS LAST",
        key, by);
    PGresult *res = CTL_RUN(ctl, "report usage (dates are YYYY-MM-DD or ISO 8601 times, UTC)", sql,
                            sid, since, until);
    xfree(sql);
    int n = PQntuples(res);
    /* ROLLUP's last row (key NULL) is the total */
    json_object *rows = ctl_rows(res, report_amounts);
    json_object *total = NULL;
    if (n > 0) {
        total = json_object_get(json_object_array_get_idx(rows, (size_t)n - 1));
        json_object_array_del_idx(rows, (size_t)n - 1, 1);
        json_object_object_del(total, by);
    }
    if (strcmp(format, "csv") == 0) {
        for (int c = 0; c < PQnfields(res); c++)
            csv_field(PQfname(res, c), c + 1 == PQnfields(res));
        for (size_t r = 0; r < json_object_array_length(rows); r++) {
            json_object *row = json_object_array_get_idx(rows, r);
            for (int c = 0; c < PQnfields(res); c++) {
                json_object *v = NULL;
                json_object_object_get_ex(row, PQfname(res, c), &v);
                csv_field(v ? json_object_get_string(v) : "", c + 1 == PQnfields(res));
            }
        }
        json_object_put(rows);
        json_object_put(total);
        PQclear(res);
        return CTL_OK;
    }
    PQclear(res);
    if (strcmp(format, "table") == 0 && total) {
        /* the total as the table's last line */
        json_object *t = json_object_new_object();
        json_object_object_add(t, by, json_object_new_string("TOTAL"));
        json_object_object_foreach(total, k, v) json_object_object_add(t, k, json_object_get(v));
        json_object_array_add(rows, t);
        json_object_put(total);
        int json = ctl->json;
        ctl->json = 0;
        ctl_print(ctl, rows);
        ctl->json = json;
        return CTL_OK;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "parent", json_object_new_string(parent));
    json_object_object_add(o, "by", json_object_new_string(by));
    json_object_object_add(o, "since", since ? json_object_new_string(since) : NULL);
    json_object_object_add(o, "until", until ? json_object_new_string(until) : NULL);
    json_object_object_add(o, "rows", rows);
    json_object_object_add(o, "total", total);
    int json = ctl->json;
    ctl->json = strcmp(format, "json") == 0 ? 1 : json;
    ctl_print(ctl, o);
    ctl->json = json;
    return CTL_OK;
}
