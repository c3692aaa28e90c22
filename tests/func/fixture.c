/*
 * fixture.c - what functional tests share: the database that tests/run-test
 * started, and smsgatectl run as a user would run it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fixture.h"
#include "tap.h"
#include "xalloc.h"

struct db *
fx_db(void)
{
    const char *conninfo = getenv("SMSGATE_DB");
    char *error;
    if (conninfo == NULL)
        bail("SMSGATE_DB not set: run through tests/run-test");
    struct db *db = db_open(conninfo, 10, 0, &error);
    if (db == NULL)
        bail("%s", error);
    return db;
}

/* fx_command - the shell command line for smsgatectl args */
static char *
fx_command(const char *fmt, va_list ap)
{
    char *args;
    if (vasprintf(&args, fmt, ap) < 0)
        bail("out of memory");
    char *cmd = xasprintf("%s -c %s %s", getenv("SMSGATECTL"), getenv("SMSGATE_CONF"), args);
    free(args);
    return cmd;
}

int
fx_ctl(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = fx_command(fmt, ap);
    va_end(ap);
    char *quiet = xasprintf("%s >/dev/null 2>&1", cmd);
    int st = system(quiet);
    xfree(quiet);
    xfree(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

char *
fx_ctl_out(int *rc_r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = fx_command(fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        bail("popen %s", cmd);
    size_t size = 0, len = 0;
    char *out = NULL, buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
        if (len + n + 1 > size)
            out = xrealloc(out, size = 2 * (len + n + 1));
        memcpy(out + len, buf, n);
        len += n;
    }
    if (out == NULL)
        out = xstrdup("");
    else
        out[len] = 0;
    int st = pclose(p);
    *rc_r = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
    xfree(cmd);
    return out;
}

void
fx_must(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = fx_command(fmt, ap);
    va_end(ap);
    char *quiet = xasprintf("%s >/dev/null", cmd);
    int st = system(quiet);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        bail("command failed: %s", cmd);
    xfree(quiet);
    xfree(cmd);
}

long long
fx_id(struct db *db, const char *handle)
{
    PGresult *res = DB_EXEC(db, "SELECT id FROM account WHERE handle = $1", handle);
    if (res == NULL || PQntuples(res) != 1)
        bail("no account %s", handle);
    long long id = db_int64(res, 0, 0);
    PQclear(res);
    return id;
}

/* fx_ledger_field - one counter expression of a customer ledger account */
static amount_t
fx_ledger_field(struct db *db, const char *handle, const char *sql)
{
    PGresult *res = DB_EXEC(db, sql, handle);
    if (res == NULL || PQntuples(res) != 1)
        bail("ledger of %s: %s", handle, db_error(db));
    amount_t a = db_int64(res, 0, 0);
    PQclear(res);
    return a;
}

amount_t
fx_posted(struct db *db, const char *handle)
{
    return fx_ledger_field(db, handle,
                           "SELECT l.credits_posted - l.debits_posted FROM ledger_account l"
                           " JOIN account a ON a.id = l.account_id WHERE a.handle = $1");
}

amount_t
fx_pending(struct db *db, const char *handle)
{
    return fx_ledger_field(db, handle,
                           "SELECT l.debits_pending FROM ledger_account l"
                           " JOIN account a ON a.id = l.account_id WHERE a.handle = $1");
}

amount_t
fx_system(struct db *db, const char *name)
{
    return fx_ledger_field(
        db, name,
        "SELECT coalesce(sum(CASE WHEN t.credit_id = l.id THEN t.amount ELSE -t.amount END), 0)"
        " FROM ledger_account l LEFT JOIN transfer t ON l.id IN (t.debit_id, t.credit_id)"
        " AND t.kind NOT IN ('reserve', 'void') WHERE l.system = $1");
}

amount_t
fx_amount(const char *s)
{
    amount_t a;
    const char *why;
    if (amount_parse(s, AMOUNT_ALLOW_NEGATIVE, &a, &why) < 0)
        bail("bad amount %s in a test: %s", s, why);
    return a;
}
