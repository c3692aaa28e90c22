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
#include <time.h>
#include <unistd.h>


#include "carrier.h"
#include "dispatch.h"
#include "conf.h"
#include "daemon.h"
#include "db.h"
#include "msg.h"
#include "xalloc.h"

struct dispatcher {
    struct conf *conf;
    struct carrier *carriers;
    int n;
    struct settler *settler;
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

/* now_ms - a monotonic clock in milliseconds, for the debug log */
static double
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* before - does carrier a come before b in the order carriers are tried? */
static int
before(const struct dispatcher *d, const struct carrier *a, const struct carrier *b)
{
    if (a->cc->priority != b->cc->priority)
        return a->cc->priority < b->cc->priority;
    return a - d->carriers < b - d->carriers; /* equal priority: in the file's order */
}

/*
 * route - the carrier for a destination: the first, by priority then by
 * order in the file, among those routing it and coming after the one last
 * tried (NULL: from the start); NULL when none is left.
 */
static struct carrier *
route(struct dispatcher *d, const char *destination, const struct carrier *after)
{
    struct carrier *best = NULL;
    for (int i = 0; i < d->n; i++) {
        struct carrier *c = &d->carriers[i];
        if (carrier_routes(c->cc->routes, destination) && (after == NULL || before(d, after, c)) &&
            (best == NULL || before(d, c, best)))
            best = c;
    }
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
 * allowance - how many SMS carrier c may take now under its max_rate: a
 * bucket of max_rate tokens (one second's worth) refilled continuously.
 */
static int
allowance(struct carrier *c, int wanted)
{
    if (c->cc->max_rate <= 0)
        return wanted;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double rate = c->cc->max_rate;
    if (c->refilled.tv_sec == 0)
        c->tokens = rate;
    else
        c->tokens += rate * ((double)(now.tv_sec - c->refilled.tv_sec) +
                             (double)(now.tv_nsec - c->refilled.tv_nsec) / 1e9);
    if (c->tokens > rate)
        c->tokens = rate;
    c->refilled = now;
    int n = c->tokens < wanted ? (int)c->tokens : wanted;
    c->tokens -= n;
    return n;
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
/* by_id - claimed SMS in id order, the order their rows are locked in */
static int
by_id(const void *a, const void *b)
{
    long long x = strtoll(((const struct claimed *)a)->id, NULL, 10);
    long long y = strtoll(((const struct claimed *)b)->id, NULL, 10);
    return (x > y) - (x < y);
}

/* defer - try again later, after our backoff or what the carrier asked for */
static void
defer(const struct conf *conf, struct claimed *s, long asked)
{
    s->outcome = "deferred";
    s->wait = backoff(conf, s->attempts - 1);
    if (asked > 86400) /* a day at most: a carrier's typo must not park SMS for years */
        asked = 86400;
    if (asked > s->wait)
        s->wait = asked;
}

/*
 * hand_over - give carrier c those of its SMS marked trying, as many as its
 * rate allows (the others wait for their turn); record each reply.
 */
static void
hand_over(struct dispatcher *d, struct carrier *c, const PGresult *res, struct claimed *cl, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        m += cl[i].c == c && cl[i].trying;
    if (m == 0)
        return;
    int allowed = allowance(c, m), k = 0, late = 0;
    struct sms_out *out = xcalloc((size_t)m, sizeof(*out));
    struct carrier_reply *rep = xcalloc((size_t)m, sizeof(*rep));
    for (int i = 0; i < n; i++) {
        struct claimed *s = &cl[i];
        if (s->c != c || !s->trying)
            continue;
        if (k == allowed) {
            s->trying = 0;
            s->outcome = "throttled";
            s->wait = 1 + late++ / c->cc->max_rate;
            continue;
        }
        int r = s->row;
        out[k++] = (struct sms_out){strtoll(s->id, NULL, 10), s->to,
                                    db_value(res, r, 2),      PQgetvalue(res, r, 3),
                                    PQgetvalue(res, r, 4),    atoi(PQgetvalue(res, r, 5)),
                                    PQgetvalue(res, r, 6)};
    }
    if (k > 0)
        c->drv->submit(c->h, out, k, rep);
    k = 0;
    for (int i = 0; i < n; i++) {
        struct claimed *s = &cl[i];
        if (s->c != c || !s->trying)
            continue;
        struct carrier_reply *p = &rep[k++];
        s->trying = 0;
        snprintf(s->ref, sizeof(s->ref), "%s", p->ref);
        snprintf(s->detail, sizeof(s->detail), "%s", p->detail);
        if (p->result == CARRIER_ACCEPTED) {
            s->outcome = "accepted";
            c->used = 1;
        } else if (p->result == CARRIER_REJECTED) {
            s->outcome = "rejected";
        } else {
            defer(d->conf, s, p->retry_after);
            /* failover: the next carrier for this destination, in the same batch */
            struct carrier *next = route(d, s->to + 1, c);
            if (next != NULL) {
                msg_info("sms=%s to=%s carrier=%s status=failover next=%s detail=\"%s\"", s->id,
                         s->to, c->cc->name, next->cc->name, s->detail);
                s->c = next;
                s->trying = 1;
                s->outcome = NULL;
            }
        }
    }
    xfree(out);
    xfree(rep);
}

/*
 * durable - what carriers took must be durable there before we say so
 * here: a carrier whose flush fails has its accepted SMS deferred.
 */
static void
durable(struct dispatcher *d, struct claimed *cl, int n)
{
    for (int i = 0; i < d->n; i++) {
        struct carrier *c = &d->carriers[i];
        char *error;
        if (!c->used)
            continue;
        c->used = 0;
        if (c->drv->flush(c->h, &error) == 0)
            continue;
        for (int k = 0; k < n; k++)
            if (cl[k].c == c && strcmp(cl[k].outcome, "accepted") == 0) {
                defer(d->conf, &cl[k], 0);
                snprintf(cl[k].detail, sizeof(cl[k].detail), "%s", error);
            }
        xfree(error);
    }
}

/*
 * batch - claim up to dispatch_batch SMS, hand them over (a transient
 * failure moves an SMS on to the next carrier routing it), make what the
 * carriers took durable there, then settle them. Returns the number
 * claimed, or -1 when the claim itself failed.
 */
static int
batch(struct dispatcher *d, struct db *db)
{
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", d->conf->dispatch_batch);
    double t0 = now_ms();
    PGresult *res = DB_EXEC_STATIC(db, claim_sql, limit, DISPATCH_LEASE);
    double t1 = now_ms();
    if (res == NULL) {
        msg_warn("claim failed: %s", db_error(db));
        return -1;
    }
    int n = PQntuples(res), trying = 0;
    struct claimed *cl = xcalloc((size_t)(n ? n : 1), sizeof(*cl));
    for (int i = 0; i < n; i++) {
        struct claimed *s = &cl[i];
        const char *dest = PQgetvalue(res, i, 1);
        snprintf(s->id, sizeof(s->id), "%s", PQgetvalue(res, i, 0));
        snprintf(s->to, sizeof(s->to), "+%s", dest);
        s->attempts = atoi(PQgetvalue(res, i, 8));
        s->row = i;
        if (daemon_stop) {
            s->outcome = "throttled"; /* not tried: back as it was */
            snprintf(s->detail, sizeof(s->detail), "dispatcher stopping");
        } else if (PQgetvalue(res, i, 7)[0] == 't') {
            s->outcome = "expired";
            snprintf(s->detail, sizeof(s->detail), "not accepted by a carrier within its validity");
        } else if ((s->c = route(d, dest, NULL)) == NULL) {
            /* an operator's mistake, not the sender's: wait for a fix until expiry */
            defer(d->conf, s, 0);
            snprintf(s->detail, sizeof(s->detail), "no carrier routes %s", s->to);
        } else {
            s->trying = 1;
            trying++;
        }
    }
    /* rounds: each carrier takes its SMS in one call; failovers make another round */
    while (trying > 0) {
        for (int ci = 0; ci < d->n; ci++)
            hand_over(d, &d->carriers[ci], res, cl, n);
        trying = 0;
        for (int i = 0; i < n; i++)
            trying += cl[i].trying;
    }
    PQclear(res);
    durable(d, cl, n);
    /* settled even when stopping: a claimed SMS is either settled or requeued */
    qsort(cl, (size_t)n, sizeof(*cl), by_id);
    double t2 = now_ms();
    if (n > 0)
        settler_put(d->settler, cl, n);
    else
        xfree(cl);
    if (n > 0)
        msg_debug("batch=%d claim=%.1fms handover=%.1fms waited=%.1fms", n, t1 - t0, t2 - t1,
                  now_ms() - t2);
    return n;
}

static const char overdue_sql[] = "SELECT sg_receipt_overdue($1::int, $2, 1000)";

/*
 * overdue - charge on delivery: reservations whose receipt is later than
 * receipt_wait are resolved as receipt_missing says; looked for once a
 * minute (or every receipt_wait seconds when that is shorter).
 */
static void
overdue(const struct conf *conf, struct db *db, time_t *last)
{
    time_t now = time(NULL);
    int every = conf->receipt_wait < 60 ? conf->receipt_wait : 60;
    if (conf->receipt_wait == 0 || now - *last < every)
        return;
    *last = now;
    char wait[16];
    snprintf(wait, sizeof(wait), "%d", conf->receipt_wait);
    PGresult *r = DB_EXEC_STATIC(db, overdue_sql, wait, conf->receipt_missing);
    if (r == NULL)
        msg_warn("late receipts not looked for: %s", db_error(db));
    else if (atoi(db_value(r, 0, 0)) > 0)
        msg_warn("action=receipt-missing count=%s wait=%ds money=%s", db_value(r, 0, 0),
                 conf->receipt_wait, strcmp(conf->receipt_missing, "post") == 0 ? "charged" : "refunded");
    PQclear(r);
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
    time_t swept = 0;
    while (!daemon_stop) {
        if (daemon_reload) {
            daemon_reload = 0;
            char *error;
            struct conf *conf = conf_load(conf_path, &error);
            struct dispatcher nd = {conf, NULL, 0, d->settler};
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
                settler_reconfigure(d->settler, nd.conf); /* claims name the old carriers */
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
        overdue(d->conf, db, &swept);
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
    struct settler settler;
    struct dispatcher d = {conf_load(conf_path, &error), NULL, 0, &settler};
    if (d.conf == NULL || carriers_open(&d, 0, NULL, &error) < 0)
        msg_fatal(78, "%s", error);
    if (geteuid() == 0 && getpwnam(d.conf->user) == NULL)
        msg_fatal(78, "user \"%s\" does not exist (set user = in smsgate.conf)", d.conf->user);
    /* -n opens what opening cannot harm (templates, headers); a file is only looked at */
    for (int i = 0; check && i < d.n; i++) {
        struct carrier *c = &d.carriers[i];
        if (strcmp(c->cc->driver, "file") == 0)
            continue;
        if ((c->h = c->drv->open(c->cc, &error)) == NULL)
            msg_fatal(78, "%s", error);
        c->drv->close(c->h);
        c->h = NULL;
    }
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
    if (settler_start(&settler, d.conf) < 0)
        msg_fatal(71, "cannot start the settlement thread");
    msg_info("action=start carriers=%d", d.n);
    run(&d, conf_path);
    settler_stop(&settler);
    carriers_close(&d);
    conf_free(d.conf);
    msg_info("action=stop");
    return 0;
}
