/*
 * concurrency_test.c - concurrent senders never overspend, at any depth
 *
 * 32 threads, each with its own connection, reserve against one payer that
 * has funds for exactly K SMS: exactly K succeed. Then the same with the
 * payer two levels above the senders, then every reservation is posted
 * concurrently (posts lock ancestors upward; this must not deadlock), and
 * the ledger must still balance.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "ledger.h"
#include "tap.h"

#define WORKERS 32
#define TRIES 5 /* per worker: 160 attempts for K = 50 */
#define K 50

struct worker {
    int n;
    const char *round;
    const char *sender;
    long long ids[TRIES];
    int reserved, refused, errors, posted;
};

static pthread_barrier_t start;

/* reserve_worker - TRIES reservations, one transaction each */
static void *
reserve_worker(void *arg)
{
    struct worker *w = arg;
    struct db *db = fx_db();
    long long sender = fx_id(db, w->sender);
    pthread_barrier_wait(&start);
    for (int i = 0; i < TRIES; i++) {
        char key[64];
        struct ledger_result r;
        snprintf(key, sizeof(key), "%s:%d:%d", w->round, w->n, i);
        if (db_begin(db) < 0) {
            w->errors++;
            continue;
        }
        enum ledger_status st = ledger_reserve(db, key, sender, "61412345678", 1, &r);
        if (st == LEDGER_OK && db_commit(db) == 0)
            w->ids[w->reserved++] = r.transfer_id;
        else {
            if (st == LEDGER_REFUSED && r.refusal == LEDGER_INSUFFICIENT)
                w->refused++;
            else
                w->errors++;
            db_rollback(db);
        }
        ledger_result_free(&r);
    }
    db_close(db);
    return NULL;
}

/* post_worker - post what this worker reserved */
static void *
post_worker(void *arg)
{
    struct worker *w = arg;
    struct db *db = fx_db();
    pthread_barrier_wait(&start);
    for (int i = 0; i < w->reserved; i++) {
        struct ledger_result r;
        if (db_begin(db) == 0 && ledger_post(db, w->ids[i], &r) == LEDGER_OK && db_commit(db) == 0)
            w->posted++;
        else {
            diag("post %lld: %s", w->ids[i], db_error(db));
            db_rollback(db);
        }
        ledger_result_free(&r);
    }
    db_close(db);
    return NULL;
}

/* run - WORKERS threads of fn; sums into totals */
static void
run(struct worker *ws, void *(*fn)(void *))
{
    pthread_t t[WORKERS];
    pthread_barrier_init(&start, NULL, WORKERS);
    for (int i = 0; i < WORKERS; i++)
        if (pthread_create(&t[i], NULL, fn, &ws[i]) != 0)
            bail("pthread_create");
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
}

/* round - WORKERS senders against one payer; then post everything */
static void
round_(const char *name, const char *sender, const char *payer)
{
    static struct worker ws[WORKERS];
    int reserved = 0, refused = 0, errors = 0, posted = 0;
    struct db *db = fx_db();

    memset(ws, 0, sizeof(ws));
    for (int i = 0; i < WORKERS; i++) {
        ws[i].n = i;
        ws[i].round = name;
        ws[i].sender = sender;
    }
    run(ws, reserve_worker);
    for (int i = 0; i < WORKERS; i++) {
        reserved += ws[i].reserved;
        refused += ws[i].refused;
        errors += ws[i].errors;
    }
    is_int(reserved, K, "%s: exactly %d of %d reservations succeed", name, K, WORKERS * TRIES);
    is_int(refused, WORKERS * TRIES - K, "%s: the rest are refused for insufficient funds", name);
    is_int(errors, 0, "%s: no database errors", name);
    is_int(fx_pending(db, payer), K * fx_amount("0.03"), "%s: %s has K x 0.03 pending", name,
           payer);
    is_int(fx_ctl("ledger check"), 0, "%s: ledger check passes after the reservations", name);

    run(ws, post_worker);
    for (int i = 0; i < WORKERS; i++)
        posted += ws[i].posted;
    is_int(posted, K, "%s: all %d posted concurrently", name, K);
    is_int(fx_posted(db, payer), 0, "%s: %s spent exactly its funds", name, payer);
    is_int(fx_pending(db, payer), 0, "%s: nothing left pending", name);
    is_int(fx_ctl("ledger check"), 0, "%s: ledger check passes after the posts", name);
    db_close(db);
}

int
main(void)
{
    /* price 0.03 everywhere: operator's carrier cost, no margins */
    fx_must("rate set operator 61 0.03");
    fx_must("account add direct");
    fx_must("topup direct 1.50"); /* K = 50 SMS at 0.03 */
    round_("direct", "direct", "direct");

    /* the payer two levels above the senders, which are billed to it */
    fx_must("account add top");
    fx_must("account add mid --parent top --billing parent");
    fx_must("account add leaf --parent mid --billing parent");
    fx_must("topup top 1.50");
    round_("two-up", "leaf", "top");
    return done_testing();
}
