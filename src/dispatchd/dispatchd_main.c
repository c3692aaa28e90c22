/*
 * NAME
 *	smsgate-dispatchd - hand queued SMS to carriers and settle them
 * SYNOPSIS
 *	smsgate-dispatchd [-c FILE] [-f] [-n] [-v]
 * DESCRIPTION
 *	Claims due SMS in batches with a lease (FOR UPDATE SKIP LOCKED, so
 *	several dispatchers on one database never take the same SMS), hands
 *	each to the carrier that routes its destination outside any
 *	transaction, then settles each in its own statement: accepted SMS
 *	are posted (the payer charged, every ancestor's margin paid),
 *	rejected and expired ones voided. Woken by NOTIFY sms_queued, and
 *	looks by itself every dispatch_poll seconds. See smsgate-dispatchd(8).
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
            *error_r =
                xasprintf("[carrier %s] driver = %s: unknown driver", c->cc->name, c->cc->driver);
            return -1;
        }
        for (int j = 0; old && j < old->n && c->h == NULL; j++) {
            struct carrier *o = &old->carriers[j];
            /* only a file may be impossible to open again; others take the new settings */
            if (o->h && strcmp(c->cc->driver, "file") == 0 &&
                strcmp(o->cc->name, c->cc->name) == 0 &&
                strcmp(o->cc->driver, c->cc->driver) == 0 &&
                strcmp(o->cc->path, c->cc->path) == 0) {
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

/*
 * How long a claimed SMS is ours. A dispatcher that dies between the claim
 * and the settlement leaves its SMS "sending"; once the lease runs out
 * another one claims them again (and the carrier may get them twice).
 */
#define DISPATCH_LEASE "600"

/* the claim: its own short transaction, so no carrier call happens inside one */
static const char claim_sql[] =
    "UPDATE sms s SET status = 'sending', attempts = s.attempts + 1,"
    " lease_until = now() + make_interval(secs => $2::int)"
    " FROM account a WHERE a.id = s.account_id AND s.id IN ("
    "  SELECT id FROM sms WHERE (status = 'queued' AND due_at <= now())"
    "  OR (status = 'sending' AND lease_until < now())"
    "  ORDER BY due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " RETURNING s.id, s.destination, s.sender_id, s.body, s.encoding, s.parts, a.handle,"
    " s.expires_at <= now(), s.attempts";
static const char settle_sql[] = "SELECT sg_sms_settle($1, $2, $3, $4, $5)";
static const char requeue_sql[] =
    "UPDATE sms SET status = 'queued', lease_until = NULL,"
    " due_at = now() + make_interval(secs => $2::int) WHERE id = $1 AND status = 'sending'";

/* One claimed SMS on its way. */
struct claimed {
    char id[24], to[24];
    struct carrier *c;
    const char *outcome; /* accepted, rejected, expired; NULL: try again later */
    char ref[128], detail[512];
    int attempts;
    int stopped; /* not handed over: the daemon is stopping */
    int row;     /* in the claim's result */
};

/*
 * settle - record one outcome, each in its own transaction (one statement),
 * so that one SMS's trouble never undoes another's and settlements lock
 * only their own payer's rows. A failed settlement is tried again; the
 * carrier is never asked again for an SMS it took.
 */
static void
settle(struct dispatcher *d, struct db *db, struct claimed *s)
{
    if (s->outcome == NULL) {
        char wait[24];
        snprintf(wait, sizeof(wait), "%ld", s->stopped ? 0 : backoff(d->conf, s->attempts - 1));
        msg_warn("sms=%s to=%s carrier=%s status=deferred retry=%ss detail=\"%s\"", s->id, s->to,
                 s->c ? s->c->cc->name : "-", wait, s->detail);
        PGresult *r = DB_EXEC_STATIC(db, requeue_sql, s->id, wait);
        if (r == NULL)
            msg_error("sms=%s not put back in the queue (%s): it is claimed again when its "
                      "lease ends",
                      s->id, db_error(db));
        PQclear(r);
        return;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        PGresult *r =
            DB_EXEC_STATIC(db, settle_sql, s->id, s->outcome, s->c ? s->c->cc->name : NULL,
                           *s->ref ? s->ref : NULL, s->detail);
        if (r != NULL) {
            /* false: no longer ours (its lease ran out and another dispatcher has it) */
            if (db_value(r, 0, 0)[0] == 't')
                msg_info("sms=%s to=%s carrier=%s status=%s detail=\"%s\"", s->id, s->to,
                         s->c ? s->c->cc->name : "-", s->outcome, s->detail);
            else
                msg_warn("sms=%s status=%s not recorded: the SMS is no longer being sent by this "
                         "dispatcher (lease ran out)",
                         s->id, s->outcome);
            PQclear(r);
            return;
        }
        usleep(200000);
    }
    msg_error("sms=%s status=%s not recorded (%s): it stays sending and is claimed again when "
              "its lease ends",
              s->id, s->outcome, db_error(db));
}

/*
 * batch - claim up to dispatch_batch SMS, hand them over, make what the
 * carriers took durable there, then settle each. Returns the number
 * claimed, or -1 when the claim itself failed.
 */
static int
batch(struct dispatcher *d, struct db *db)
{
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", d->conf->dispatch_batch);
    PGresult *res = DB_EXEC_STATIC(db, claim_sql, limit, DISPATCH_LEASE);
    if (res == NULL) {
        msg_warn("claim failed: %s", db_error(db));
        return -1;
    }
    int n = PQntuples(res);
    struct claimed *cl = xcalloc((size_t)(n ? n : 1), sizeof(*cl));
    for (int i = 0; i < n; i++) {
        snprintf(cl[i].id, sizeof(cl[i].id), "%s", PQgetvalue(res, i, 0));
        snprintf(cl[i].to, sizeof(cl[i].to), "+%s", PQgetvalue(res, i, 1));
        cl[i].attempts = atoi(PQgetvalue(res, i, 8));
    }
    /* decide what need not go anywhere; gather the rest by carrier */
    int *handover = xcalloc((size_t)(n ? n : 1), sizeof(*handover)), nhandover = 0;
    for (int i = 0; i < n; i++) {
        struct claimed *s = &cl[i];
        const char *dest = PQgetvalue(res, i, 1);
        s->row = i;
        if (daemon_stop) {
            s->stopped = 1;
            snprintf(s->detail, sizeof(s->detail), "dispatcher stopping");
            continue;
        }
        if (PQgetvalue(res, i, 7)[0] == 't') {
            s->outcome = "expired";
            snprintf(s->detail, sizeof(s->detail), "not accepted by a carrier within its validity");
            continue;
        }
        /* no route is an operator's mistake, not the sender's: wait for a fix until expiry */
        if ((s->c = route(d, dest)) == NULL) {
            snprintf(s->detail, sizeof(s->detail), "no carrier routes %s", s->to);
            continue;
        }
        handover[nhandover++] = i;
    }
    /* each carrier takes its SMS in one call, as many at once as it allows */
    struct sms_out *out = xcalloc((size_t)(nhandover ? nhandover : 1), sizeof(*out));
    struct carrier_reply *rep = xcalloc((size_t)(nhandover ? nhandover : 1), sizeof(*rep));
    for (int ci = 0; ci < d->n; ci++) {
        struct carrier *c = &d->carriers[ci];
        int m = 0;
        for (int t = 0; t < nhandover; t++) {
            struct claimed *s = &cl[handover[t]];
            int r = s->row;
            if (s->c != c)
                continue;
            out[m] = (struct sms_out){strtoll(s->id, NULL, 10), s->to,
                                      db_value(res, r, 2),      PQgetvalue(res, r, 3),
                                      PQgetvalue(res, r, 4),    atoi(PQgetvalue(res, r, 5)),
                                      PQgetvalue(res, r, 6)};
            memset(&rep[m], 0, sizeof(rep[m]));
            m++;
        }
        if (m == 0)
            continue;
        c->drv->submit(c->h, out, m, rep);
        m = 0;
        for (int t = 0; t < nhandover; t++) {
            struct claimed *s = &cl[handover[t]];
            if (s->c != c)
                continue;
            snprintf(s->ref, sizeof(s->ref), "%s", rep[m].ref);
            snprintf(s->detail, sizeof(s->detail), "%s", rep[m].detail);
            s->outcome = rep[m].result == CARRIER_ACCEPTED   ? "accepted"
                         : rep[m].result == CARRIER_REJECTED ? "rejected"
                                                             : NULL;
            if (rep[m].result == CARRIER_ACCEPTED)
                c->used = 1;
            m++;
        }
    }
    xfree(out);
    xfree(rep);
    xfree(handover);
    PQclear(res);
    /* what carriers took must be durable there before we say so here */
    for (int i = 0; i < d->n; i++)
        if (d->carriers[i].used) {
            char *error;
            d->carriers[i].used = 0;
            if (d->carriers[i].drv->flush(d->carriers[i].h, &error) < 0) {
                for (int k = 0; k < n; k++)
                    if (cl[k].c == &d->carriers[i] && cl[k].outcome &&
                        strcmp(cl[k].outcome, "accepted") == 0) {
                        cl[k].outcome = NULL;
                        snprintf(cl[k].detail, sizeof(cl[k].detail), "%s", error);
                    }
                xfree(error);
            }
        }
    /* settled even when stopping: a claimed SMS is either settled or requeued */
    for (int i = 0; i < n; i++)
        settle(d, db, &cl[i]);
    xfree(cl);
    return n;
}

/* wait_for_work - a NOTIFY, a signal, or dispatch_poll seconds */
static void
wait_for_work(struct db *db, int seconds)
{
    PGconn *conn = db_conn(db);
    struct pollfd p = {PQsocket(conn), POLLIN, 0};
    /* a NOTIFY that came with the last results is already read: no poll would see it */
    PQconsumeInput(conn);
    PGnotify *early = PQnotifies(conn);
    if (early != NULL) {
        do
            PQfreemem(early);
        while ((early = PQnotifies(conn)) != NULL);
        return;
    }
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
                msg_warn("database unavailable, retrying in 5 s: %s", db ? db_error(db) : error);
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
