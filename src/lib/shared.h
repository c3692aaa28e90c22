/* shared.h - what a threaded daemon's workers share: configuration, connections */
#ifndef SMSGATE_SHARED_H
#define SMSGATE_SHARED_H

#include <pthread.h>

#include "conf.h"
#include "db.h"

/*
 * A configuration in use. A reload makes a new one; workers keep the one
 * they started with until they end (the last one out frees it).
 */
struct conf_ref {
    struct conf *conf;
    int refs; /* under shared.lock */
    int generation;
};

struct shared {
    pthread_mutex_t lock;     /* also free for the daemon's own counters */
    struct conf_ref *current; /* under lock */
    struct db **pool;         /* idle database connections, under lock */
    int *pool_gen;
    int npool, pool_size;
};

/* shared_init - start with conf (owned from now on) and room for pool_size idle connections */
void shared_init(struct shared *sh, struct conf *conf, int pool_size);
/* shared_free - close the idle connections, drop the current configuration */
void shared_free(struct shared *sh);

/* shared_conf_get / shared_conf_put - take and release the current snapshot */
struct conf_ref *shared_conf_get(struct shared *sh);
void shared_conf_put(struct shared *sh, struct conf_ref *r);

/* shared_db_get - an idle connection or a new one, this thread's alone until put back; NULL: down
 */
struct db *shared_db_get(struct shared *sh, struct conf_ref *r);
/* shared_db_put - back to the pool, or closed if it broke or the configuration changed */
void shared_db_put(struct shared *sh, struct conf_ref *r, struct db *db);

/*
 * shared_reload - load path into a new snapshot; compare(old, new) may warn
 * of settings that need a restart. A bad file keeps the running
 * configuration (logged). 0, or -1.
 */
int shared_reload(struct shared *sh, const char *path,
                  void (*compare)(const struct conf *old, const struct conf *new));

#endif
