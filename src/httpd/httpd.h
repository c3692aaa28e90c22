/* httpd.h - smsgate-httpd's server state, shared by its files */
#ifndef SMSGATE_HTTPD_H
#define SMSGATE_HTTPD_H
#include <pthread.h>
#include <stddef.h>

#include "conf.h"
#include "db.h"

/* Bounds on what a carrier may send us. */
#define HTTPD_BODY_MAX (64 * 1024) /* a POST body */
#define HTTPD_VALUE_MAX 4096       /* one parameter's value (an inbound text) */
#define HTTPD_SHORT_MAX 128        /* ids, types, numbers, SMSC names, times */

/* A configuration snapshot; requests keep the one they started with. */
struct conf_ref {
    struct conf *conf;
    int refs; /* under server.lock */
    int generation;
};

struct server {
    pthread_mutex_t lock;
    struct conf_ref *current; /* under lock */
    struct db **pool;         /* idle database connections, under lock */
    int *pool_gen;
    int npool, pool_size;
    int listen_fd;
};

struct conf_ref *server_conf_get(struct server *s);
void server_conf_put(struct server *s, struct conf_ref *r);
/* server_db_get - a connection of this thread's alone until put back; NULL: none now */
struct db *server_db_get(struct server *s, struct conf_ref *r);
/* server_db_put - back to the pool, or closed if it broke or the configuration changed */
void server_db_put(struct server *s, struct conf_ref *r, struct db *db);
/* server_run - serve until SIGTERM, reloading on SIGHUP; 0, or -1 if MHD would not start */
int server_run(struct server *s, const char *conf_path);

/* The parameters of one callback, NULL when absent; they point into the request. */
struct callback_params {
    const char *id, *type, *status;                 /* receipts */
    const char *from, *to, *text, *smsc, *ts, *ref; /* inbound ("id" is ref there) */
};

/* An answer: HTTP status and a constant body. */
struct callback_reply {
    unsigned code;
    const char *body;
};

/*
 * callback_param_set - record one name=value of a request of kind "dlr" or
 * "mo"; unknown names are ignored. -1 when the value is too long or holds
 * a NUL (the request is then answered 400).
 */
int callback_param_set(struct callback_params *p, const char *kind, const char *name,
                       const char *value, size_t len);
/*
 * callback_form_parse - application/x-www-form-urlencoded, decoded in place
 * into p; 0 or -1 (a bad value).
 */
int callback_form_parse(struct callback_params *p, const char *kind, char *body);
/* callback_secret_equal - in time that depends on the configured secret's length only */
int callback_secret_equal(const char *given, const char *secret);
/* callback_dlr - a delivery receipt from carrier */
struct callback_reply callback_dlr(struct server *s, struct conf_ref *r, const char *carrier,
                                   const struct callback_params *p);
/* callback_mo - an inbound SMS from carrier */
struct callback_reply callback_mo(struct server *s, struct conf_ref *r, const char *carrier,
                                  const struct callback_params *p);
#endif
