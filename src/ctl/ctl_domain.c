/*
 * ctl_domain.c - smsgatectl domain add|list|del
 *
 * A white-label SMS domain names a universe: mail to <number>@domain is sent
 * within the tree of the account that owns it, the root or a top-level
 * customer (a reseller brands the service with its own domain).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xalloc.h"

/* domain_add - claim a domain for a universe */
static int
domain_add(struct ctl *ctl, int argc, char **argv)
{
    char *pos[2];
    ctl_parse(argc, argv, NULL, pos, 2, 2, "smsgatectl domain add DOMAIN ACCOUNT");
    char *name = xstrdup(pos[0]);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    size_t len = strlen(name);
    if (len < 3 || len > 253 || strchr(name, '.') == NULL || name[0] == '.' || name[0] == '-' ||
        name[len - 1] == '.' || name[len - 1] == '-' || strstr(name, "..") ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != len)
        ctl_die(CTL_REFUSED, "\"%s\" is not a domain name (e.g. sms.example.com)", pos[0]);

    ctl_begin(ctl);
    PGresult *res = CTL_RUN(ctl, "domain add",
                            "SELECT a.id, a.status, a.parent_id IS NULL OR p.parent_id IS NULL"
                            " FROM account a LEFT JOIN account p ON p.id = a.parent_id"
                            " WHERE a.handle = $1",
                            pos[1]);
    if (PQntuples(res) != 1)
        ctl_die(CTL_REFUSED, "no account \"%s\" (see smsgatectl account list)", pos[1]);
    if (strcmp(db_value(res, 0, 1), "closed") == 0)
        ctl_die(CTL_REFUSED, "account \"%s\" is closed", pos[1]);
    if (db_value(res, 0, 2)[0] != 't')
        ctl_die(CTL_REFUSED,
                "%s is not a top-level account: a domain belongs to the root or to one of its "
                "children, and names that account's whole universe",
                pos[1]);
    char *id = xstrdup(db_value(res, 0, 0));
    PQclear(res);
    res = CTL_RUN(ctl, "domain add",
                  "SELECT a.handle FROM domain d JOIN account a ON a.id = d.account_id"
                  " WHERE d.name = $1",
                  name);
    if (PQntuples(res) > 0)
        ctl_die(CTL_REFUSED, "domain %s already belongs to %s", name, db_value(res, 0, 0));
    PQclear(res);
    res = CTL_RUN(ctl, "domain add", "INSERT INTO domain (name, account_id) VALUES ($1, $2)", name,
                  id);
    PQclear(res);
    ctl_commit(ctl);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "domain", json_object_new_string(name));
    json_object_object_add(o, "account", json_object_new_string(pos[1]));
    ctl_print(ctl, o);
    xfree(id);
    xfree(name);
    return CTL_OK;
}

/* ctl_cmd_domain - dispatch */
int
ctl_cmd_domain(struct ctl *ctl, int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    if (strcmp(verb, "add") == 0)
        return domain_add(ctl, argc - 1, argv + 1);
    if (strcmp(verb, "list") == 0) {
        struct ctl_opt opts[] = {{"account", 1, NULL}, {NULL, 0, NULL}};
        ctl_parse(argc - 1, argv + 1, opts, NULL, 0, 0, "smsgatectl domain list [--account A]");
        const char *acc = ctl_opt(opts, "account");
        if (acc)
            ctl_account_id(ctl, acc);
        PGresult *res = CTL_RUN(ctl, "domain list",
                                "SELECT d.name AS domain, a.handle AS account,"
                                " to_char(d.created_at, 'YYYY-MM-DD') AS created"
                                " FROM domain d JOIN account a ON a.id = d.account_id"
                                " WHERE $1::text IS NULL OR a.handle = $1 ORDER BY d.name",
                                acc);
        ctl_print(ctl, ctl_rows(res, NULL));
        PQclear(res);
        return CTL_OK;
    }
    if (strcmp(verb, "del") == 0) {
        char *pos[1];
        ctl_parse(argc - 1, argv + 1, NULL, pos, 1, 1, "smsgatectl domain del DOMAIN");
        PGresult *res =
            CTL_RUN(ctl, "domain del", "DELETE FROM domain WHERE name = lower($1)", pos[0]);
        int n = atoi(PQcmdTuples(res));
        PQclear(res);
        if (n == 0)
            ctl_die(CTL_REFUSED, "no domain %s (see smsgatectl domain list)", pos[0]);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "deleted", json_object_new_string(pos[0]));
        ctl_print(ctl, o);
        return CTL_OK;
    }
    ctl_die(CTL_USAGE, "usage: smsgatectl domain add|list|del ...");
}
