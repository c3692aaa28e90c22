/*
 * shared.c - configuration snapshots and a database connection pool for
 * the worker threads of smsgate-lmtpd and smsgate-httpd
 *
 * A reload builds a new configuration and swaps it in; a worker keeps the
 * snapshot it started with by reference (OpenDKIM's approach), so nothing
 * changes under a transaction in progress. Connections are never shared:
 * a worker takes one for the duration of its work and gives it back; one
 * that broke, or was made for an older configuration, is closed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "shared.h"
#include "xalloc.h"

/* shared_init - the first snapshot and an empty pool */
void
shared_init(struct shared *sh, struct conf *conf, int pool_size)
{
    pthread_mutex_init(&sh->lock, NULL);
    sh->current = xcalloc(1, sizeof(*sh->current));
    sh->current->conf = conf;
    sh->current->refs = 1;
    sh->pool_size = pool_size;
    sh->pool = xcalloc((size_t)pool_size, sizeof(*sh->pool));
    sh->pool_gen = xcalloc((size_t)pool_size, sizeof(*sh->pool_gen));
}

/* shared_free - when every worker has ended */
void
shared_free(struct shared *sh)
{
    pthread_mutex_lock(&sh->lock);
    while (sh->npool > 0)
        db_close(sh->pool[--sh->npool]);
    pthread_mutex_unlock(&sh->lock);
    xfree(sh->pool);
    xfree(sh->pool_gen);
    shared_conf_put(sh, sh->current);
}

/* shared_conf_get - a reference to the current configuration */
struct conf_ref *
shared_conf_get(struct shared *sh)
{
    pthread_mutex_lock(&sh->lock);
    struct conf_ref *r = sh->current;
    r->refs++;
    pthread_mutex_unlock(&sh->lock);
    return r;
}

/* shared_conf_put - the last reference frees an old configuration */
void
shared_conf_put(struct shared *sh, struct conf_ref *r)
{
    pthread_mutex_lock(&sh->lock);
    int last = --r->refs == 0;
    pthread_mutex_unlock(&sh->lock);
    if (last) {
        conf_free(r->conf);
        xfree(r);
    }
}

/* shared_db_get - pooled or new connection */
struct db *
shared_db_get(struct shared *sh, struct conf_ref *r)
{
    pthread_mutex_lock(&sh->lock);
    while (sh->npool > 0) {
        struct db *db = sh->pool[--sh->npool];
        if (sh->pool_gen[sh->npool] == r->generation) {
            pthread_mutex_unlock(&sh->lock);
            return db;
        }
        db_close(db); /* made with an older configuration */
    }
    pthread_mutex_unlock(&sh->lock);
    char *error;
    struct db *db = db_open(r->conf->database, r->conf->db_connect_timeout,
                            r->conf->db_statement_timeout, &error);
    if (db == NULL) {
        msg_warn("database unavailable: %s", error);
        xfree(error);
    }
    return db;
}

/* shared_db_put - keep a healthy connection for the next worker */
void
shared_db_put(struct shared *sh, struct conf_ref *r, struct db *db)
{
    if (db == NULL)
        return;
    if (!db_alive(db)) {
        db_close(db);
        return;
    }
    pthread_mutex_lock(&sh->lock);
    if (sh->npool < sh->pool_size && r->generation == sh->current->generation) {
        sh->pool_gen[sh->npool] = r->generation;
        sh->pool[sh->npool++] = db;
        db = NULL;
    }
    pthread_mutex_unlock(&sh->lock);
    db_close(db);
}

/* shared_reload - a new snapshot if the file is good; the old one lives on in workers */
int
shared_reload(struct shared *sh, const char *path,
              void (*compare)(const struct conf *old, const struct conf *new))
{
    char *error;
    struct conf *conf = conf_load(path, &error);
    if (conf == NULL) {
        msg_error("reload refused, keeping the running configuration: %s", error);
        xfree(error);
        return -1;
    }
    struct conf_ref *r = xcalloc(1, sizeof(*r));
    r->conf = conf;
    r->refs = 1;
    pthread_mutex_lock(&sh->lock);
    struct conf_ref *old = sh->current;
    if (compare)
        compare(old->conf, conf);
    r->generation = old->generation + 1;
    sh->current = r;
    pthread_mutex_unlock(&sh->lock);
    shared_conf_put(sh, old);
    return 0;
}
