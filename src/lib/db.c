/*
 * db.c - PostgreSQL connections and statements
 *
 * What this module promises callers: a failed statement never goes
 * unnoticed (NULL result, reason recorded), and every failure is classified
 * as transient or not from its SQLSTATE, because the difference decides
 * between a 4xx (Postfix keeps the mail) and a 5xx (the sender is told).
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
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
    char detail[256]; /* the failure's DETAIL, "" none */
    int cache_ttl;    /* db_exec_cacheable: seconds a result is reused, 0 never */
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
    db->detail[0] = 0;
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
        db->detail[0] = 0;
        return res;
    }
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *d = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    if (m == NULL)
        m = PQerrorMessage(db->conn);
    db_set_error(db, state, "%.*s", (int)strcspn(m, "\n"), m);
    snprintf(db->detail, sizeof(db->detail), "%.*s", d ? (int)strcspn(d, "\n") : 0, d ? d : "");
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

/*
 * The result cache of db_exec_cacheable(): one per process, shared by its
 * threads (each reads a copy), keyed by the statement's address and its
 * parameters. Small and bounded: when full, it is emptied.
 */
#define CACHE_BUCKETS 256
#define CACHE_MAX 4096
struct cache_entry {
    struct cache_entry *next;
    char *key;
    time_t expires;
    PGresult *res;
};
static struct cache_entry *cache[CACHE_BUCKETS];
static int cache_n;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* cache_key - the statement and its parameters as one string */
static char *
cache_key(const char *sql, int nparams, const char *const *params, unsigned *hash_r)
{
    size_t len = 32;
    for (int i = 0; i < nparams; i++)
        len += (params[i] ? strlen(params[i]) : 0) + 24;
    char *key = xmalloc(len), *o = key;
    o += snprintf(o, 32, "%p", (const void *)sql);
    /* each parameter after its length ("-" NULL): no two lists make the same key */
    for (int i = 0; i < nparams; i++)
        o += params[i]
                 ? snprintf(o, len - (size_t)(o - key), " %zu:%s", strlen(params[i]), params[i])
                 : snprintf(o, len - (size_t)(o - key), " -");
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    *hash_r = h % CACHE_BUCKETS;
    return key;
}

/* cache_clear - empty the cache, under cache_lock */
static void
cache_clear(void)
{
    for (int b = 0; b < CACHE_BUCKETS; b++)
        while (cache[b]) {
            struct cache_entry *e = cache[b];
            cache[b] = e->next;
            PQclear(e->res);
            xfree(e->key);
            xfree(e);
        }
    cache_n = 0;
}

/* db_cache_ttl - let db_exec_cacheable() reuse results for ttl seconds (0: never) */
void
db_cache_ttl(struct db *db, int ttl)
{
    db->cache_ttl = ttl;
}

/* db_exec_cacheable - db_exec_static, or a copy of its result less than cache_ttl old */
PGresult *
db_exec_cacheable(struct db *db, const char *sql, int nparams, const char *const *params)
{
    if (db->cache_ttl <= 0)
        return db_exec_static(db, sql, nparams, params);
    unsigned b;
    char *key = cache_key(sql, nparams, params, &b);
    time_t now = time(NULL);
    PGresult *copy = NULL;
    pthread_mutex_lock(&cache_lock);
    for (struct cache_entry *e = cache[b]; e; e = e->next)
        if (e->expires > now && strcmp(e->key, key) == 0) {
            copy = PQcopyResult(e->res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
            break;
        }
    pthread_mutex_unlock(&cache_lock);
    if (copy) {
        xfree(key);
        return copy;
    }
    PGresult *res = db_exec_static(db, sql, nparams, params);
    PGresult *keep = res ? PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES) : NULL;
    if (keep == NULL) {
        xfree(key);
        return res;
    }
    struct cache_entry *e = xcalloc(1, sizeof(*e));
    e->key = key;
    e->expires = now + db->cache_ttl;
    e->res = keep;
    pthread_mutex_lock(&cache_lock);
    /* an expired entry for the same key is replaced */
    for (struct cache_entry **pp = &cache[b]; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->key, key) == 0) {
            struct cache_entry *old = *pp;
            *pp = old->next;
            PQclear(old->res);
            xfree(old->key);
            xfree(old);
            cache_n--;
            break;
        }
    if (cache_n >= CACHE_MAX)
        cache_clear();
    e->next = cache[b];
    cache[b] = e;
    cache_n++;
    pthread_mutex_unlock(&cache_lock);
    return res;
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

/* db_error_detail - the DETAIL of the last failure, "" none */
const char *
db_error_detail(const struct db *db)
{
    return db->detail;
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
