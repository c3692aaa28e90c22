/* lmtpd.h - smsgate-lmtpd internals */
#ifndef SMSGATE_LMTPD_H
#define SMSGATE_LMTPD_H

#include <pthread.h>

#include "conf.h"
#include "db.h"

/*
 * A configuration in use. A reload makes a new one; sessions keep the one
 * they started with until they end (the last one out frees it).
 */
struct conf_ref {
    struct conf *conf;
    int refs;
    int generation;
};

struct server {
    int listen_fd;
    int is_unix;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct conf_ref *current; /* under lock */
    int active;               /* sessions running, under lock */
    struct db **pool;         /* idle database connections, under lock */
    int *pool_gen;
    int npool, pool_size;
    char hostname[256];
};

/* server_conf_get / server_conf_put - take and release the current snapshot */
struct conf_ref *server_conf_get(struct server *s);
void server_conf_put(struct server *s, struct conf_ref *r);

/* server_db_get - an idle connection or a new one; NULL when the database is down */
struct db *server_db_get(struct server *s, struct conf_ref *r);
/* server_db_put - back to the pool, or closed if it broke or the configuration changed */
void server_db_put(struct server *s, struct conf_ref *r, struct db *db);

/* server_run - accept and serve until daemon_stop; returns when every session ended */
void server_run(struct server *s, const char *conf_path);

/* session_run - one LMTP connection, on its own thread */
struct session_args {
    struct server *server;
    int fd;
    char peer[64]; /* client address, "unix" for the Unix socket */
};
void *session_run(void *arg);

#endif
