/*
 * settle.c - record what carriers said, off the dispatcher's path
 *
 * Outcomes of a whole batch are recorded in one transaction
 * (sg_sms_settle_batch); when that fails, each SMS alone. A thread of its
 * own does it, with its own connection, while the dispatcher goes on with
 * the next batch: handing over and recording overlap.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "conf.h"
#include "dispatch.h"
#include "msg.h"
#include "xalloc.h"

static const char settle_batch_sql[] =
    "SELECT sms_id, recorded, error FROM sg_sms_settle_batch($1::jsonb)";
static const char settle_sql[] = "SELECT sg_sms_settle($1, $2, $3, $4, $5)";
static const char requeue_sql[] =
    "UPDATE sms SET status = 'queued', lease_until = NULL,"
    " due_at = now() + make_interval(secs => $2::int),"
    " attempts = attempts - CASE WHEN $3 THEN 1 ELSE 0 END"
    " WHERE id = $1 AND status = 'sending'";

/* log_settled - the one line per SMS a postmaster greps for */
static void
log_settled(const struct claimed *s)
{
    const char *carrier = s->c ? s->c->cc->name : "-";
    if (strcmp(s->outcome, "deferred") == 0)
        msg_warn("sms=%s to=%s carrier=%s status=deferred retry=%lds detail=\"%s\"", s->id, s->to,
                 carrier, s->wait, s->detail);
    else if (strcmp(s->outcome, "throttled") != 0)
        msg_info("sms=%s to=%s carrier=%s status=%s detail=\"%s\"", s->id, s->to, carrier,
                 s->outcome, s->detail);
}

/*
 * settle_one - record one outcome in its own transaction: the way back when
 * a whole batch could not be recorded at once. A failed settlement is tried
 * again; the carrier is never asked again for an SMS it took.
 */
static void
settle_one(struct db *db, struct claimed *s)
{
    int requeue = strcmp(s->outcome, "deferred") == 0 || strcmp(s->outcome, "throttled") == 0;
    char wait[24];
    snprintf(wait, sizeof(wait), "%ld", s->wait);
    for (int attempt = 0; attempt < 3; attempt++) {
        PGresult *r =
            requeue ? DB_EXEC_STATIC(db, requeue_sql, s->id, wait,
                                     strcmp(s->outcome, "throttled") == 0 ? "t" : "f")
                    : DB_EXEC_STATIC(db, settle_sql, s->id, s->outcome,
                                     s->c ? s->c->cc->name : NULL, *s->ref ? s->ref : NULL,
                                     s->detail);
        if (r != NULL) {
            /* false: no longer ours (its lease ran out and another dispatcher has it) */
            if (requeue ? atoi(PQcmdTuples(r)) == 1 : db_value(r, 0, 0)[0] == 't')
                log_settled(s);
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
 * settle_batch - every outcome of a batch in one transaction
 * (sg_sms_settle_batch: rows locked up front in the platform's one order,
 * written set-based). When the batch cannot be recorded at once, each SMS
 * is settled alone, so one SMS's trouble never holds back another's.
 */
static void
settle_batch(struct db *db, struct claimed *cl, int n)
{
    if (n == 0)
        return;
    json_object *a = json_object_new_array_ext(n);
    for (int i = 0; i < n; i++) {
        struct claimed *s = &cl[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64(strtoll(s->id, NULL, 10)));
        json_object_object_add(o, "outcome", json_object_new_string(s->outcome));
        if (s->c)
            json_object_object_add(o, "carrier", json_object_new_string(s->c->cc->name));
        if (*s->ref)
            json_object_object_add(o, "ref", json_object_new_string(s->ref));
        json_object_object_add(o, "detail", json_object_new_string(s->detail));
        json_object_object_add(o, "wait", json_object_new_int64(s->wait));
        json_object_array_add(a, o);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    PGresult *r = DB_EXEC_STATIC(db, settle_batch_sql,
                                 json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    json_object_put(a);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    msg_debug("settled=%d in %.1fms", n,
              (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    if (r == NULL || PQntuples(r) != n) {
        msg_warn("batch of %d not recorded at once (%s): recording each alone", n,
                 r ? "wrong number of rows" : db_error(db));
        PQclear(r);
        for (int i = 0; i < n; i++)
            settle_one(db, &cl[i]);
        return;
    }
    /* rows come back ordered by SMS id, as were the claimed SMS */
    for (int i = 0; i < n; i++) {
        struct claimed *s = &cl[i];
        if (strcmp(db_value(r, i, 0), s->id) != 0)
            msg_error("sms=%s settlement answered for sms=%s", s->id, db_value(r, i, 0));
        else if (db_value(r, i, 1)[0] == 't')
            log_settled(s);
        else if (*db_value(r, i, 2))
            msg_error("sms=%s status=%s not recorded (%s): it stays sending and is claimed "
                      "again when its lease ends",
                      s->id, s->outcome, db_value(r, i, 2));
        else
            msg_warn("sms=%s status=%s not recorded: the SMS is no longer being sent by this "
                     "dispatcher (lease ran out)",
                     s->id, s->outcome);
    }
    PQclear(r);
}

/* settler_connect - a connection, tried until there is one or the daemon stops */
static struct db *
settler_connect(struct settler *st)
{
    for (;;) {
        char *error;
        struct db *db = db_open(st->conf->database, st->conf->db_connect_timeout,
                                st->conf->db_statement_timeout, &error);
        if (db != NULL)
            return db;
        msg_warn("settlement: database unavailable, retrying in 1 s: %s", error);
        xfree(error);
        pthread_mutex_lock(&st->lock);
        int quit = st->quit;
        pthread_mutex_unlock(&st->lock);
        if (quit)
            return NULL; /* the batch stays sending until its lease ends */
        sleep(1);
    }
}

static void *
settler_main(void *arg)
{
    struct settler *st = arg;
    pthread_mutex_lock(&st->lock);
    for (;;) {
        while (st->cl == NULL && !st->quit)
            pthread_cond_wait(&st->changed, &st->lock);
        if (st->cl == NULL)
            break;
        pthread_mutex_unlock(&st->lock);
        if (st->db != NULL && !db_alive(st->db)) {
            db_close(st->db);
            st->db = NULL;
        }
        if (st->db == NULL)
            st->db = settler_connect(st);
        if (st->db != NULL)
            settle_batch(st->db, st->cl, st->n);
        else
            msg_error("batch of %d not recorded: no database; its SMS stay sending and are "
                      "claimed again when their lease ends",
                      st->n);
        xfree(st->cl);
        pthread_mutex_lock(&st->lock);
        st->cl = NULL;
        pthread_cond_broadcast(&st->changed);
    }
    pthread_mutex_unlock(&st->lock);
    db_close(st->db);
    st->db = NULL;
    return NULL;
}

int
settler_start(struct settler *st, const struct conf *conf)
{
    memset(st, 0, sizeof(*st));
    st->conf = conf;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->changed, NULL);
    return pthread_create(&st->thread, NULL, settler_main, st) == 0 ? 0 : -1;
}

void
settler_put(struct settler *st, struct claimed *cl, int n)
{
    pthread_mutex_lock(&st->lock);
    while (st->cl != NULL)
        pthread_cond_wait(&st->changed, &st->lock);
    st->cl = cl;
    st->n = n;
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
}

void
settler_drain(struct settler *st)
{
    pthread_mutex_lock(&st->lock);
    while (st->cl != NULL)
        pthread_cond_wait(&st->changed, &st->lock);
    pthread_mutex_unlock(&st->lock);
}

void
settler_reconfigure(struct settler *st, const struct conf *conf)
{
    settler_drain(st);
    pthread_mutex_lock(&st->lock);
    st->conf = conf;
    db_close(st->db); /* the database may have changed too */
    st->db = NULL;
    pthread_mutex_unlock(&st->lock);
}

void
settler_stop(struct settler *st)
{
    pthread_mutex_lock(&st->lock);
    st->quit = 1;
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
    pthread_join(st->thread, NULL);
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->changed);
}
