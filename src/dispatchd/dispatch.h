/* dispatch.h - what smsgate-dispatchd's parts share */
#ifndef SMSGATE_DISPATCH_H
#define SMSGATE_DISPATCH_H

#include <pthread.h>
#include <time.h>

#include "carrier.h"
#include "db.h"

/* A configured carrier, opened. */
struct carrier {
    const struct carrier_conf *cc;
    const struct carrier_driver *drv;
    void *h;
    struct carrier *borrowed; /* h belongs to this carrier of the running configuration */
    int used;                 /* submitted to since the last flush */
    double tokens;            /* max_rate: SMS it may take now */
    struct timespec refilled; /* when tokens were last counted */
};

/* One claimed SMS on its way. */
struct claimed {
    char id[24], to[24];
    struct carrier *c;   /* the carrier it goes to (or last went to) */
    const char *outcome; /* accepted, rejected, expired, deferred, throttled */
    char ref[128], detail[512];
    int attempts;
    long wait;  /* deferred, throttled: seconds until it is due again */
    int row;    /* in the claim's result */
    int trying; /* to be handed to c in this round */
};

/*
 * The settler: a thread with its own database connection that records a
 * batch's outcomes while the dispatcher claims and hands over the next one.
 * One batch waits for it at most, so no more than two batches are ever
 * claimed and unrecorded.
 */
struct settler {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct claimed *cl; /* the batch in its hands, NULL when idle */
    int n;
    int quit;
    const struct conf *conf; /* for the connection; changed only while idle */
    struct db *db;
};

/* settler_start - the thread; 0 or -1 */
int settler_start(struct settler *st, const struct conf *conf);
/* settler_put - hand over a batch (xcalloc'ed; the settler frees it), after the one before */
void settler_put(struct settler *st, struct claimed *cl, int n);
/* settler_drain - wait until every batch handed over is recorded */
void settler_drain(struct settler *st);
/* settler_reconfigure - drain, then connect with conf from the next batch on */
void settler_reconfigure(struct settler *st, const struct conf *conf);
/* settler_stop - drain and end the thread */
void settler_stop(struct settler *st);

#endif
