/*
 * db.c - PostgreSQL connections and statements
 *
 * What this module promises callers: a failed statement never goes
 * unnoticed (NULL result, reason recorded), and every failure is classified
 * as transient or not from its SQLSTATE, because the difference decides
 * between a 4xx (Postfix keeps the mail) and a 5xx (the sender is told).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "msg.h"
#include "xalloc.h"

#define DB_PREPARED_MAX 32

struct db {
    PGconn *conn;
    const char *prepared[DB_PREPARED_MAX]; /* statement "p<i>" is prepared[i] */
    int nprepared;
    char sqlstate[6];
    char error[512];
};

/* db_notice - drop server notices */
static void
db_notice(void *ctx, const char *message)
{
    (void)ctx;
    msg_debug("db: notice=\"%.*s\"", (int)strcspn(message, "\n"), message);
}

/* db_open - connect with timeouts */
struct db *
db_open(const char *conninfo, int connect_timeout, int statement_timeout, char **error_r)
{
    char ct[16], opts[64];
    snprintf(ct, sizeof(ct), "%d", connect_timeout);
    snprintf(opts, sizeof(opts), "-c statement_timeout=%d -c TimeZone=UTC", statement_timeout);
    /* expand_dbname: the first dbname is a full connection string */
    const char *keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
    const char *vals[] = {conninfo, ct, opts, "smsgate", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);

    if (conn == NULL) {
        *error_r = xstrdup("out of memory");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        char *m = xstrdup(PQerrorMessage(conn));
        m[strcspn(m, "\n")] = 0;
        *error_r = xasprintf("database connection failed: %s", m);
        xfree(m);
        PQfinish(conn);
        return NULL;
    }
    /* NOTICEs ("relation already exists, skipping") are not for our users */
    PQsetNoticeProcessor(conn, db_notice, NULL);
    struct db *db = xcalloc(1, sizeof(*db));
    db->conn = conn;
    return db;
}

/* db_close - disconnect, NULL safe */
void
db_close(struct db *db)
{
    if (db == NULL)
        return;
    PQfinish(db->conn);
    xfree(db);
}

/* db_set_error - record a failure */
void
db_set_error(struct db *db, const char *sqlstate, const char *fmt, ...)
{
    va_list ap;
    snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", sqlstate ? sqlstate : "");
    va_start(ap, fmt);
    vsnprintf(db->error, sizeof(db->error), fmt, ap);
    va_end(ap);
}

/* db_check - keep a good result, record why a bad one failed */
static PGresult *
db_check(struct db *db, PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        db->sqlstate[0] = 0;
        db->error[0] = 0;
        return res;
    }
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (m == NULL)
        m = PQerrorMessage(db->conn);
    db_set_error(db, state, "%.*s", (int)strcspn(m, "\n"), m);
    msg_debug("db: sqlstate=%s error=\"%s\"", db->sqlstate, db->error);
    PQclear(res);
    return NULL;
}

/* db_exec - one statement, text parameters */
PGresult *
db_exec(struct db *db, const char *sql, int nparams, const char *const *params)
{
    return db_check(db, PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0));
}

/* db_exec_static - prepare once per connection, then execute by name */
PGresult *
db_exec_static(struct db *db, const char *sql, int nparams, const char *const *params)
{
    char name[16];
    int i;
    for (i = 0; i < db->nprepared && db->prepared[i] != sql; i++)
        ;
    if (i == db->nprepared) {
        if (i == DB_PREPARED_MAX)
            return db_exec(db, sql, nparams, params);
        snprintf(name, sizeof(name), "p%d", i);
        PGresult *res = db_check(db, PQprepare(db->conn, name, sql, nparams, NULL));
        if (res == NULL)
            return NULL;
        PQclear(res);
        db->prepared[db->nprepared++] = sql;
    }
    snprintf(name, sizeof(name), "p%d", i);
    return db_check(db, PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0));
}

/* db_script - several statements, no parameters */
int
db_script(struct db *db, const char *sql)
{
    PGresult *res = db_check(db, PQexec(db->conn, sql));
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

/* db_command - statement without rows */
int
db_command(struct db *db, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = db_exec(db, sql, nparams, params);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

int
db_begin(struct db *db)
{
    return db_command(db, "BEGIN", 0, NULL);
}

int
db_commit(struct db *db)
{
    return db_command(db, "COMMIT", 0, NULL);
}

/* db_rollback - keep the first error: it is the one worth reporting */
void
db_rollback(struct db *db)
{
    char state[6], error[512];
    memcpy(state, db->sqlstate, sizeof(state));
    memcpy(error, db->error, sizeof(error));
    PGresult *res = PQexec(db->conn, "ROLLBACK");
    PQclear(res);
    memcpy(db->sqlstate, state, sizeof(state));
    memcpy(db->error, error, sizeof(error));
}

PGconn *
db_conn(struct db *db)
{
    return db->conn;
}

int
db_alive(const struct db *db)
{
    return PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) == PQTRANS_IDLE;
}

const char *
db_error(const struct db *db)
{
    return db->error[0] ? db->error : "no error";
}

const char *
db_sqlstate(const struct db *db)
{
    return db->sqlstate;
}

/*
 * db_transient - may the same work succeed later? Class 08 (connection),
 * 40 (serialization failure, deadlock), 53 (insufficient resources), 57
 * (operator intervention: shutdown, statement timeout 57014), 55P03 (lock
 * not available), and a dead connection with no SQLSTATE at all.
 */
int
db_transient(const struct db *db)
{
    const char *s = db->sqlstate;
    if (PQstatus(db->conn) != CONNECTION_OK || s[0] == 0)
        return 1;
    return strncmp(s, "08", 2) == 0 || strncmp(s, "40", 2) == 0 || strncmp(s, "53", 2) == 0 ||
           strncmp(s, "57", 2) == 0 || strcmp(s, "55P03") == 0;
}

const char *
db_value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

long long
db_int64(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}
