/*
 * ctl_sender.c - smsgatectl sender add|list|show|set|del
 *
 * Settings are validated by src/lib/sender.c, the same code intake uses,
 * so a rule that is stored is a rule intake understands.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "sender.h"
#include "xalloc.h"

/* columns in the order of sender_keys[] ("limit" is part_limit) */
#define RULE_COLUMNS(limit)                                                                        \
    "auth, networks, token, country, numbers, " limit ", over_limit, content,"                     \
    " subject_sender_id, sender_id, notify, replies, history, translit, end_marker, disclaimer"
static const char rule_columns[] = RULE_COLUMNS("part_limit");
/* shown under the names of the keys */
static const char rule_shown[] = RULE_COLUMNS("part_limit AS limit");

static const char sender_usage[] =
    "smsgatectl sender add PATTERN ACCOUNT [key=value ...] | sender list [--account A]"
    " | sender show|del PATTERN [--universe U] | sender set PATTERN [--universe U] key=value ...";

/* apply_settings - key=value arguments onto a rule */
static void
apply_settings(struct sender_rule *r, int n, char **kv)
{
    for (int i = 0; i < n; i++) {
        char *eq = strchr(kv[i], '=');
        if (eq == NULL)
            ctl_die(CTL_USAGE, "expected key=value, got \"%s\"", kv[i]);
        char *key = xstrndup(kv[i], (size_t)(eq - kv[i])), *error;
        if (sender_set(r, key, eq + 1, &error) < 0)
            ctl_die(CTL_REFUSED, "%s", error);
        xfree(key);
    }
    char *error;
    if (sender_validate(r, &error) < 0)
        ctl_die(CTL_REFUSED, "%s", error);
}

/* rule_params - the settings as SQL parameters, in column order */
static void
rule_params(const struct sender_rule *r, const char **p, char bufs[][16])
{
    for (int i = 0; sender_keys[i]; i++) {
        const char *v = sender_get(r, sender_keys[i], bufs[i], 16);
        if (sender_key_is_switch(sender_keys[i]))
            v = strcmp(v, "on") == 0 ? "t" : "f";
        p[i] = *v ? v : NULL;
    }
    p[1] = r->networks ? r->networks : ""; /* NOT NULL, empty means none */
}

/* find_rule - id of a pattern, optionally within one universe */
static char *
find_rule(struct ctl *ctl, const char *pattern_in, const char *universe)
{
    char *pattern, *error;
    if (sender_pattern(pattern_in, &pattern, &error) < 0)
        ctl_die(CTL_REFUSED, "%s", error);
    PGresult *res = CTL_RUN(ctl, "sender",
                            "SELECT r.id FROM sender_rule r JOIN account u ON u.id = r.universe_id"
                            " WHERE r.pattern = $1 AND ($2::text IS NULL OR u.handle = $2)",
                            pattern, universe);
    if (PQntuples(res) == 0)
        ctl_die(CTL_REFUSED, "no sender rule %s%s%s", pattern, universe ? " in universe " : "",
                universe ? universe : "");
    if (PQntuples(res) > 1)
        ctl_die(CTL_REFUSED, "%s has rules in several universes: name one with --universe",
                pattern);
    char *id = xstrdup(db_value(res, 0, 0));
    PQclear(res);
    xfree(pattern);
    return id;
}

/* rule_print - one rule, every setting */
static void
rule_print(struct ctl *ctl, const char *id)
{
    char *sql = xasprintf("SELECT r.pattern, a.handle AS account, u.handle AS universe, %s"
                          " FROM sender_rule r JOIN account a ON a.id = r.account_id"
                          " JOIN account u ON u.id = r.universe_id WHERE r.id = $1",
                          rule_shown);
    PGresult *res = CTL_RUN(ctl, "sender show", sql, id);
    xfree(sql);
    json_object *arr = ctl_rows(res, NULL);
    json_object *o = json_object_get(json_object_array_get_idx(arr, 0));
    json_object_put(arr);
    PQclear(res);
    ctl_print(ctl, o);
}

/* sender_add - a new rule */
static int
sender_add(struct ctl *ctl, int argc, char **argv)
{
    char *pos[40];
    int n = ctl_parse(argc, argv, NULL, pos, 40, -3, sender_usage);
    char *pattern, *error;
    if (sender_pattern(pos[0], &pattern, &error) < 0)
        ctl_die(CTL_REFUSED, "%s", error);
    struct sender_rule r;
    sender_rule_init(&r);
    apply_settings(&r, n - 2, pos + 2);

    ctl_begin(ctl);
    PGresult *res = CTL_RUN(
        ctl, "sender add",
        "WITH RECURSIVE up AS (SELECT id, parent_id, status, 0 AS d FROM account WHERE handle = $1"
        " UNION ALL SELECT a.id, a.parent_id, a.status, up.d + 1 FROM account a"
        " JOIN up ON a.id = up.parent_id WHERE up.d < 10000)"
        " SELECT (SELECT id FROM up WHERE d = 0), (SELECT status FROM up WHERE d = 0),"
        " (SELECT id FROM up WHERE parent_id IS NULL OR parent_id ="
        "  (SELECT id FROM account WHERE parent_id IS NULL) ORDER BY d LIMIT 1)",
        pos[1]);
    if (db_value(res, 0, 0) == NULL)
        ctl_die(CTL_REFUSED, "no account \"%s\" (see smsgatectl account list)", pos[1]);
    if (strcmp(db_value(res, 0, 1), "closed") == 0)
        ctl_die(CTL_REFUSED, "account \"%s\" is closed", pos[1]);
    char *account = xstrdup(db_value(res, 0, 0)), *universe = xstrdup(db_value(res, 0, 2));
    PQclear(res);
    res = CTL_RUN(ctl, "sender add",
                  "SELECT a.handle FROM sender_rule r JOIN account a ON a.id = r.account_id"
                  " WHERE r.universe_id = $1 AND r.pattern = $2",
                  universe, pattern);
    if (PQntuples(res) > 0)
        ctl_die(CTL_REFUSED,
                "%s already belongs to %s in this universe: a pattern belongs to one "
                "account only",
                pattern, db_value(res, 0, 0));
    PQclear(res);

    const char *p[19];
    char bufs[16][16];
    p[0] = universe;
    p[1] = pattern;
    p[2] = account;
    rule_params(&r, p + 3, bufs);
    char *sql = xasprintf("INSERT INTO sender_rule (universe_id, pattern, account_id, %s)"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                          " $15, $16, $17, $18, $19) RETURNING id",
                          rule_columns);
    res = ctl_run(ctl, "sender add", sql, 19, p);
    char *id = xstrdup(db_value(res, 0, 0));
    PQclear(res);
    ctl_commit(ctl);
    rule_print(ctl, id);
    xfree(sql);
    xfree(id);
    xfree(account);
    xfree(universe);
    xfree(pattern);
    sender_rule_free(&r);
    return CTL_OK;
}

/* sender_modify - set settings on an existing rule */
static int
sender_modify(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_opt opts[] = {{"universe", 1, NULL}, {NULL, 0, NULL}};
    char *pos[40];
    int n = ctl_parse(argc, argv, opts, pos, 40, -3, sender_usage);
    ctl_begin(ctl);
    char *id = find_rule(ctl, pos[0], ctl_opt(opts, "universe"));
    char *sql = xasprintf("SELECT %s FROM sender_rule WHERE id = $1 FOR UPDATE", rule_columns);
    PGresult *res = CTL_RUN(ctl, "sender set", sql, id);
    xfree(sql);
    struct sender_rule r;
    sender_rule_init(&r);
    for (int i = 0; sender_keys[i]; i++) {
        const char *v = db_value(res, 0, i);
        char *error;
        if (v && strcmp(v, "t") == 0 && PQftype(res, i) == 16)
            v = "on";
        else if (v && strcmp(v, "f") == 0 && PQftype(res, i) == 16)
            v = "off";
        if (sender_set(&r, sender_keys[i], v ? v : "", &error) < 0)
            ctl_die(CTL_REFUSED, "stored rule: %s", error);
    }
    PQclear(res);
    apply_settings(&r, n - 1, pos + 1);
    const char *p[17];
    char bufs[16][16];
    p[0] = id;
    rule_params(&r, p + 1, bufs);
    res = ctl_run(ctl, "sender set",
                  "UPDATE sender_rule SET auth = $2, networks = $3, token = $4, country = $5,"
                  " numbers = $6, part_limit = $7, over_limit = $8, content = $9,"
                  " subject_sender_id = $10, sender_id = $11, notify = $12, replies = $13,"
                  " history = $14, translit = $15, end_marker = $16, disclaimer = $17"
                  " WHERE id = $1",
                  17, p);
    PQclear(res);
    ctl_commit(ctl);
    rule_print(ctl, id);
    xfree(id);
    sender_rule_free(&r);
    return CTL_OK;
}

/* ctl_cmd_sender - dispatch */
int
ctl_cmd_sender(struct ctl *ctl, int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    if (strcmp(verb, "add") == 0)
        return sender_add(ctl, argc - 1, argv + 1);
    if (strcmp(verb, "set") == 0)
        return sender_modify(ctl, argc - 1, argv + 1);
    if (strcmp(verb, "list") == 0) {
        struct ctl_opt opts[] = {{"account", 1, NULL}, {"universe", 1, NULL}, {NULL, 0, NULL}};
        ctl_parse(argc - 1, argv + 1, opts, NULL, 0, 0,
                  "smsgatectl sender list [--account A] [--universe U]");
        const char *acc = ctl_opt(opts, "account"), *uni = ctl_opt(opts, "universe");
        if (acc)
            ctl_account_id(ctl, acc);
        if (uni)
            ctl_account_id(ctl, uni);
        PGresult *res = CTL_RUN(
            ctl, "sender list",
            "SELECT r.pattern, a.handle AS account, u.handle AS universe, r.auth, r.numbers,"
            " r.country, r.part_limit AS limit, r.content, r.sender_id"
            " FROM sender_rule r JOIN account a ON a.id = r.account_id"
            " JOIN account u ON u.id = r.universe_id"
            " WHERE ($1::text IS NULL OR a.handle = $1) AND ($2::text IS NULL OR u.handle = $2)"
            " ORDER BY u.handle, r.pattern",
            acc, uni);
        ctl_print(ctl, ctl_rows(res, NULL));
        PQclear(res);
        return CTL_OK;
    }
    if (strcmp(verb, "show") == 0 || strcmp(verb, "del") == 0) {
        struct ctl_opt opts[] = {{"universe", 1, NULL}, {NULL, 0, NULL}};
        char *pos[1];
        ctl_parse(argc - 1, argv + 1, opts, pos, 1, 1, sender_usage);
        char *id = find_rule(ctl, pos[0], ctl_opt(opts, "universe"));
        if (verb[0] == 's') {
            rule_print(ctl, id);
        } else {
            PGresult *res = CTL_RUN(ctl, "sender del", "DELETE FROM sender_rule WHERE id = $1", id);
            PQclear(res);
            json_object *o = json_object_new_object();
            json_object_object_add(o, "deleted", json_object_new_string(pos[0]));
            ctl_print(ctl, o);
        }
        xfree(id);
        return CTL_OK;
    }
    ctl_die(CTL_USAGE, "usage: %s", sender_usage);
}
