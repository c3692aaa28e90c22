/*
 * migrate.c - bring a database to this binary's schema
 *
 * Each migration runs in one transaction together with the row that
 * records it, so a failure leaves the database at the previous version and
 * a second run picks up where the first stopped (idempotent).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "migrate.h"
#include "msg.h"

/* Any constant works; it only has to be the same in every smsgatectl. */
#define MIGRATE_LOCK "7424150"

static const char migrate_table[] = "CREATE TABLE IF NOT EXISTS schema_migration ("
                                    " version integer PRIMARY KEY,"
                                    " name text NOT NULL,"
                                    " applied_at timestamptz NOT NULL DEFAULT now())";

/* migrate_latest - highest compiled-in version */
int
migrate_latest(void)
{
    int v = 0;
    for (const struct migration *m = migrations; m->version; m++)
        v = m->version;
    return v;
}

/* migrate_current - version recorded in the database */
int
migrate_current(struct db *db)
{
    PGresult *res = DB_EXEC(db, "SELECT to_regclass('schema_migration') IS NOT NULL");
    if (res == NULL)
        return -1;
    int exists = db_value(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!exists)
        return 0;
    res = db_exec(db, "SELECT coalesce(max(version), 0) FROM schema_migration", 0, NULL);
    if (res == NULL)
        return -1;
    int v = (int)db_int64(res, 0, 0);
    PQclear(res);
    return v;
}

/* migrate_one - apply m if it is still missing */
static int
migrate_one(struct db *db, const struct migration *m, int *applied_r)
{
    char ver[16];
    snprintf(ver, sizeof(ver), "%d", m->version);
    if (db_begin(db) < 0 || DB_COMMAND(db, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")") < 0 ||
        db_command(db, migrate_table, 0, NULL) < 0)
        goto fail;
    PGresult *res = DB_EXEC(db, "SELECT 1 FROM schema_migration WHERE version = $1", ver);
    if (res == NULL)
        goto fail;
    int done = PQntuples(res) > 0;
    PQclear(res);
    if (done)
        return db_commit(db);
    if (db_script(db, m->sql) < 0 ||
        DB_COMMAND(db, "INSERT INTO schema_migration (version, name) VALUES ($1, $2)", ver,
                   m->name) < 0 ||
        db_commit(db) < 0)
        goto fail;
    msg_info("migration=%s action=applied", m->name);
    (*applied_r)++;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

/* migrate_apply - apply what is missing, in order */
int
migrate_apply(struct db *db, int *applied_r)
{
    *applied_r = 0;
    for (const struct migration *m = migrations; m->version; m++)
        if (migrate_one(db, m, applied_r) < 0)
            return -1;
    return 0;
}
