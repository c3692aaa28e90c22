/* db.h - PostgreSQL access: libpq behind a small interface */
#ifndef SMSGATE_DB_H
#define SMSGATE_DB_H

#include <libpq-fe.h>

/*
 * One struct db per thread; never shared. Every statement goes through
 * PQexecParams with text parameters: no SQL is ever built by printf.
 */
struct db;

/* db_open - connect; NULL with the reason in *error_r (allocated) */
struct db *db_open(const char *conninfo, int connect_timeout, int statement_timeout,
                   char **error_r);
void db_close(struct db *db);

/*
 * db_exec - run one statement. Returns the result (free with PQclear) or
 * NULL on failure; then db_error() says why and db_transient() whether a
 * retry later may succeed (connection lost, serialization failure, deadlock,
 * out of resources, server shutting down).
 */
PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params);
#define DB_NARGS(...) ((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))
#define DB_EXEC(db, sql, ...)                                                                      \
    db_exec((db), (sql), DB_NARGS(__VA_ARGS__), (const char *[]){__VA_ARGS__})

/*
 * db_exec_static - db_exec for the hot paths: the statement is prepared on
 * this connection the first time and executed by name afterwards, which
 * saves the server parsing and planning it for every SMS. sql must be a
 * string constant (it is remembered by its address).
 */
PGresult *db_exec_static(struct db *db, const char *sql, int nparams, const char *const *params);
#define DB_EXEC_STATIC(db, sql, ...)                                                               \
    db_exec_static((db), (sql), DB_NARGS(__VA_ARGS__), (const char *[]){__VA_ARGS__})

/*
 * db_exec_cacheable - db_exec_static, but on a connection given a TTL by
 * db_cache_ttl() a successful result is kept, in one cache for the whole
 * process, and handed out again (a copy: PQclear it) for ttl seconds to any
 * thread running the same statement with the same parameters. For reads
 * that may be that stale: never for anything that grants money.
 */
PGresult *db_exec_cacheable(struct db *db, const char *sql, int nparams, const char *const *params);
#define DB_EXEC_CACHEABLE(db, sql, ...)                                                            \
    db_exec_cacheable((db), (sql), DB_NARGS(__VA_ARGS__), (const char *[]){__VA_ARGS__})
void db_cache_ttl(struct db *db, int ttl);

/* db_command - run a statement whose rows do not matter; 0 or -1 */
int db_command(struct db *db, const char *sql, int nparams, const char *const *params);
#define DB_COMMAND(db, sql, ...)                                                                   \
    db_command((db), (sql), DB_NARGS(__VA_ARGS__), (const char *[]){__VA_ARGS__})

/*
 * db_script - run a trusted multi-statement script (a migration compiled into
 * the binary); the one use of the simple query protocol. 0 or -1.
 */
int db_script(struct db *db, const char *sql);

int db_begin(struct db *db);
int db_commit(struct db *db);
/* db_rollback - safe to call after a failure or outside a transaction */
void db_rollback(struct db *db);

/* db_conn - the libpq connection, for LISTEN's socket and notifications */
PGconn *db_conn(struct db *db);

/* db_alive - is the connection still usable? */
int db_alive(const struct db *db);

const char *db_error(const struct db *db);
/* db_error_detail - the server's DETAIL for the last failure, "" none */
const char *db_error_detail(const struct db *db);
/* db_sqlstate - five characters, or "" when the failure had none */
const char *db_sqlstate(const struct db *db);
int db_transient(const struct db *db);
/* db_set_error - record a failure found above libpq (bad row count, ...) */
void db_set_error(struct db *db, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* db_value - field of a result; NULL for SQL NULL */
const char *db_value(const PGresult *res, int row, int col);
/* db_int64 - field as a number (0 for NULL) */
long long db_int64(const PGresult *res, int row, int col);

#endif
