/*
 * NAME
 *	smsgate-dispatchd - hand queued SMS to carriers and settle them
 * SYNOPSIS
 *	smsgate-dispatchd [-c FILE] [-f] [-n] [-v]
 * DESCRIPTION
 *	Claims due SMS in batches (FOR UPDATE SKIP LOCKED, so several
 *	dispatchers on one database never take the same SMS), hands each to
 *	the carrier that routes its destination, and in the same transaction
 *	records the outcome and settles the money: accepted SMS are posted
 *	(the payer charged, every ancestor's margin paid), rejected and
 *	expired ones voided. Woken by NOTIFY sms_queued, and looks by itself
 *	every dispatch_poll seconds. See smsgate-dispatchd(8).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carrier.h"
#include "conf.h"
#include "daemon.h"
#include "db.h"
#include "msg.h"
#include "xalloc.h"

/* A configured carrier, opened. */
struct carrier {
    const struct carrier_conf *cc;
    const struct carrier_driver *drv;
    void *h;
    struct carrier *borrowed; /* h belongs to this carrier of the running configuration */
    int used;                 /* submitted to since the last flush */
};

struct dispatcher {
    struct conf *conf;
    struct carrier *carriers;
    int n;
};

/*
 * carriers_open - every [carrier] section's driver; 0 or -1 with a reason.
 * A carrier of old (a reload) whose driver and path are unchanged hands
 * over its open handle: it was opened before privileges were dropped and
 * could not be opened again now.
 */
static int
carriers_open(struct dispatcher *d, int open_them, struct dispatcher *old, char **error_r)
{
    d->carriers = xcalloc((size_t)d->conf->ncarriers, sizeof(*d->carriers));
    d->n = d->conf->ncarriers;
    for (int i = 0; i < d->n; i++) {
        struct carrier *c = &d->carriers[i];
        c->cc = &d->conf->carriers[i];
        c->drv = carrier_driver_find(c->cc->driver);
        if (c->drv == NULL) {
            *error_r = xasprintf("[carrier %s] driver = %s: unknown driver", c->cc->name,
                                 c->cc->driver);
            return -1;
        }
        for (int j = 0; old && j < old->n && c->h == NULL; j++) {
            struct carrier *o = &old->carriers[j];
            if (o->h && strcmp(o->cc->name, c->cc->name) == 0 &&
                strcmp(o->cc->driver, c->cc->driver) == 0 && strcmp(o->cc->path, c->cc->path) == 0) {
                c->h = o->h; /* given up by old only once the reload succeeds */
                c->borrowed = o;
            }
        }
        if (open_them && c->h == NULL && (c->h = c->drv->open(c->cc, error_r)) == NULL)
            return -1;
    }
    return 0;
}

static void
carriers_close(struct dispatcher *d)
{
    for (int i = 0; i < d->n; i++)
        if (d->carriers[i].h && d->carriers[i].borrowed == NULL)
            d->carriers[i].drv->close(d->carriers[i].h);
    xfree(d->carriers);
    d->carriers = NULL;
    d->n = 0;
}

/* route - the carrier for a destination: lowest priority among those routing it */
static struct carrier *
route(struct dispatcher *d, const char *destination)
{
    struct carrier *best = NULL;
    for (int i = 0; i < d->n; i++)
        if (carrier_routes(d->carriers[i].cc->routes, destination) &&
            (best == NULL || d->carriers[i].cc->priority < best->cc->priority))
            best = &d->carriers[i];
    return best;
}

/* backoff - seconds before attempt n + 1: doubling from retry_min, capped, with jitter */
static long
backoff(const struct conf *conf, int attempts)
{
    long wait = conf->retry_min;
    for (int i = 0; i < attempts && wait < conf->retry_max; i++)
        wait *= 2;
    if (wait > conf->retry_max)
        wait = conf->retry_max;
    /* up to a quarter less, so retries of a burst spread out */
    return wait - (wait / 4 ? random() % (wait / 4 + 1) : 0);
}

static const char claim_sql[] =
    "SELECT s.id, s.destination, s.sender_id, s.body, s.encoding, s.parts, a.handle,"
    " s.expires_at <= now(), s.attempts"
    " FROM sms s JOIN account a ON a.id = s.account_id"
    " WHERE s.status = 'queued' AND s.due_at <= now()"
    " ORDER BY s.due_at, s.id LIMIT $1 FOR UPDATE OF s SKIP LOCKED";
static const char settle_sql[] = "SELECT sg_sms_settle($1, $2, $3, $4, $5)";
static const char retry_sql[] =
    "UPDATE sms SET attempts = attempts + 1, due_at = now() + make_interval(secs => $2::int)"
    " WHERE id = $1";

/*
 * batch - one transaction: claim, submit, flush, settle. Returns the number
 * of SMS claimed, or -1 on a database or carrier failure (rolled back: the
 * SMS stay queued and are claimed again).
 */
static int
batch(struct dispatcher *d, struct db *db)
{
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", d->conf->dispatch_batch);
    if (db_begin(db) < 0)
        return -1;
    PGresult *res = DB_EXEC_STATIC(db, claim_sql, limit);
    if (res == NULL)
        goto fail;
    int n = PQntuples(res);
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        const char *id = PQgetvalue(res, i, 0), *dest = PQgetvalue(res, i, 1);
        char to[24], ref[128] = "", detail[512] = "";
        const char *outcome = NULL, *carrier_name = NULL;
        snprintf(to, sizeof(to), "+%s", dest);
        struct carrier *c = PQgetvalue(res, i, 7)[0] == 't' ? NULL : route(d, dest);
        if (PQgetvalue(res, i, 7)[0] == 't') {
            outcome = "expired";
            snprintf(detail, sizeof(detail), "not accepted by a carrier within its validity");
        } else if (c == NULL) {
            outcome = "rejected";
            snprintf(detail, sizeof(detail), "no carrier routes %s", to);
        } else {
            struct sms_out sms = {strtoll(id, NULL, 10), to,
                                  db_value(res, i, 2), PQgetvalue(res, i, 3),
                                  PQgetvalue(res, i, 4), atoi(PQgetvalue(res, i, 5)),
                                  PQgetvalue(res, i, 6)};
            carrier_name = c->cc->name;
            switch (c->drv->submit(c->h, &sms, ref, sizeof(ref), detail, sizeof(detail))) {
            case CARRIER_ACCEPTED:
                outcome = "accepted";
                c->used = 1;
                break;
            case CARRIER_REJECTED:
                outcome = "rejected";
                break;
            case CARRIER_TRANSIENT: {
                char wait[24];
                snprintf(wait, sizeof(wait), "%ld",
                         backoff(d->conf, atoi(PQgetvalue(res, i, 8))));
                msg_warn("sms=%s carrier=%s transient failure, retry in %s s: %s", id,
                         carrier_name, wait, detail);
                PGresult *r = DB_EXEC_STATIC(db, retry_sql, id, wait);
                ok = r != NULL;
                PQclear(r);
                continue;
            }
            }
        }
        PGresult *r =
            DB_EXEC_STATIC(db, settle_sql, id, outcome, carrier_name, *ref ? ref : NULL, detail);
        ok = r != NULL;
        PQclear(r);
        if (ok)
            msg_info("sms=%s to=%s carrier=%s status=%s detail=\"%s\"", id, to,
                     carrier_name ? carrier_name : "-", outcome, detail);
    }
    PQclear(res);
    /* what carriers took must be durable there before we say so here */
    for (int i = 0; i < d->n && ok; i++)
        if (d->carriers[i].used) {
            char *error;
            d->carriers[i].used = 0;
            if (d->carriers[i].drv->flush(d->carriers[i].h, &error) < 0) {
                msg_error("carrier=%s %s", d->carriers[i].cc->name, error);
                xfree(error);
                ok = 0;
            }
        }
    if (!ok || db_commit(db) < 0)
        goto fail;
    return n;
fail:
    msg_warn("dispatch batch rolled back: %s", db_error(db));
    db_rollback(db);
    return -1;
}

/* wait_for_work - a NOTIFY, a signal, or dispatch_poll seconds */
static void
wait_for_work(struct db *db, int seconds)
{
    PGconn *conn = db_conn(db);
    struct pollfd p = {PQsocket(conn), POLLIN, 0};
    for (int waited = 0; waited < seconds * 10 && !daemon_stop && !daemon_reload; waited++) {
        if (poll(&p, 1, 100) > 0) {
            PQconsumeInput(conn);
            int got = 0;
            PGnotify *n;
            while ((n = PQnotifies(conn)) != NULL) {
                PQfreemem(n);
                got = 1;
            }
            if (got)
                return;
        }
    }
}

/* run - until SIGTERM; the batch in hand is finished first */
static void
run(struct dispatcher *d, const char *conf_path)
{
    struct db *db = NULL;
    while (!daemon_stop) {
        if (daemon_reload) {
            daemon_reload = 0;
            char *error;
            struct conf *conf = conf_load(conf_path, &error);
            struct dispatcher nd = {conf, NULL, 0};
            if (conf == NULL || carriers_open(&nd, 1, d, &error) < 0) {
                msg_error("reload refused, keeping the running configuration: %s", error);
                xfree(error);
                carriers_close(&nd);
                conf_free(conf);
            } else {
                for (int i = 0; i < nd.n; i++)
                    if (nd.carriers[i].borrowed) {
                        nd.carriers[i].borrowed->h = NULL; /* now ours alone */
                        nd.carriers[i].borrowed = NULL;
                    }
                carriers_close(d);
                conf_free(d->conf);
                *d = nd;
                db_close(db); /* the database may have changed too */
                db = NULL;
                msg_info("action=reload carriers=%d", d->n);
            }
        }
        if (db == NULL) {
            char *error;
            db = db_open(d->conf->database, d->conf->db_connect_timeout,
                         d->conf->db_statement_timeout, &error);
            if (db == NULL || DB_COMMAND(db, "LISTEN sms_queued") < 0) {
                msg_warn("database unavailable, retrying in 5 s: %s",
                         db ? db_error(db) : error);
                if (db == NULL)
                    xfree(error);
                db_close(db);
                db = NULL;
                for (int i = 0; i < 50 && !daemon_stop; i++)
                    usleep(100000);
                continue;
            }
        }
        int n = batch(d, db);
        if (n < 0 && !db_alive(db)) {
            db_close(db);
            db = NULL;
            continue;
        }
        if (n < d->conf->dispatch_batch)
            wait_for_work(db, n < 0 ? 5 : d->conf->dispatch_poll);
    }
    db_close(db);
}

int
main(int argc, char **argv)
{
    struct daemon_opts o;
    daemon_options("smsgate-dispatchd", argc, argv, &o);
    const char *conf_path = o.conf_path;
    int foreground = o.foreground, check = o.check;

    char *error;
    struct dispatcher d = {conf_load(conf_path, &error), NULL, 0};
    if (d.conf == NULL || carriers_open(&d, 0, NULL, &error) < 0)
        msg_fatal(78, "%s", error);
    if (geteuid() == 0 && getpwnam(d.conf->user) == NULL)
        msg_fatal(78, "user \"%s\" does not exist (set user = in smsgate.conf)", d.conf->user);
    if (check) {
        printf("smsgate-dispatchd: configuration %s is valid (%d carrier%s)\n",
               d.conf->path ? d.conf->path : "(built-in defaults)", d.n, d.n == 1 ? "" : "s");
        carriers_close(&d);
        conf_free(d.conf);
        return 0;
    }
    carriers_close(&d);
    /* carriers are opened while we may be root: a file under /var/lib, a key */
    if (carriers_open(&d, 1, NULL, &error) < 0)
        msg_fatal(73, "%s", error);
    if (!foreground && daemon_detach() < 0)
        msg_fatal(71, "cannot detach into the background");
    if (!foreground)
        msg_stderr_too(0);
    if (daemon_pidfile(d.conf->pid_file, &error) < 0)
        msg_fatal(73, "pid_file: %s", error);
    if (daemon_drop(d.conf->user, &error) < 0)
        msg_fatal(78, "%s", error);
    daemon_signals();
    srandom((unsigned)getpid());
    msg_info("action=start carriers=%d", d.n);
    run(&d, conf_path);
    carriers_close(&d);
    conf_free(d.conf);
    msg_info("action=stop");
    return 0;
}
