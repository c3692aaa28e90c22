/* httpd.h - smsgate-httpd's server state, shared by its files */
#ifndef SMSGATE_HTTPD_H
#define SMSGATE_HTTPD_H
#include <pthread.h>
#include <stddef.h>

#include "conf.h"
#include "db.h"
#include "shared.h"

/* Bounds on what a carrier may send us. */
#define HTTPD_BODY_MAX (64 * 1024) /* a POST body */
#define HTTPD_VALUE_MAX 4096       /* one parameter's value (an inbound text) */
#define HTTPD_SHORT_MAX 128        /* ids, types, numbers, SMSC names, times */
#define HTTPD_PAIRS_MAX 64         /* parameters kept for a receipt in a configured format */

struct server {
    struct shared sh; /* configuration snapshots and database connections */
    int listen_fd;
};
/* server_run - serve until SIGTERM, reloading on SIGHUP; 0, or -1 if MHD would not start */
int server_run(struct server *s, const char *conf_path);

/* The parameters of one callback, NULL when absent; they point into the request. */
struct callback_params {
    const char *id, *type, *status;                 /* receipts */
    const char *from, *to, *text, *smsc, *ts, *ref; /* inbound ("id" is ref there) */
    /* every parameter (query, then form body), for the http driver's receipts */
    struct {
        const char *name, *value;
    } pairs[HTTPD_PAIRS_MAX];
    int npairs;
    const char *json; /* a body that is not form-encoded, NUL-terminated; NULL for none */
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
/*
 * callback_dlr - a delivery receipt from carrier: Kannel's parameters (id,
 * type, status), or for a carrier of driver http the names its dlr_id,
 * dlr_ref and dlr_status configure
 */
struct callback_reply callback_dlr(struct server *s, struct conf_ref *r, const char *carrier,
                                   const struct callback_params *p);
/* callback_mo - an inbound SMS from carrier */
struct callback_reply callback_mo(struct server *s, struct conf_ref *r, const char *carrier,
                                  const struct callback_params *p);
#endif
