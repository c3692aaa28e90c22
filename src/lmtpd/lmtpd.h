/* lmtpd.h - smsgate-lmtpd internals */
#ifndef SMSGATE_LMTPD_H
#define SMSGATE_LMTPD_H

#include <pthread.h>

#include "conf.h"
#include "db.h"
#include "shared.h"

struct server {
    struct shared sh; /* configuration and connections; sh.lock also guards active */
    int listen_fd;
    int is_unix;
    pthread_cond_t changed;
    int active; /* sessions running, under sh.lock */
    char hostname[256];
};

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
