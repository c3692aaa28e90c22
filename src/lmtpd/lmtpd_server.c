/*
 * lmtpd_server.c - accept loop, sessions, configuration snapshots and the
 * database connection pool
 *
 * One thread per LMTP connection, at most lmtp_max_connections at once:
 * when all are busy the listener simply stops accepting and the kernel's
 * backlog holds the next client (Postfix waits, it does not fail). Each
 * session borrows a database connection from a pool for the duration of a
 * command, never shares it, and returns it; a broken one is closed.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "lmtpd.h"
#include "msg.h"
#include "xalloc.h"

/* listen_changed - what a reload cannot change */
static void
listen_changed(const struct conf *old, const struct conf *new)
{
    if (strcmp(old->lmtp_listen, new->lmtp_listen) != 0)
        msg_warn("lmtp_listen changed: takes effect at the next restart");
}

/* reload - a new snapshot if the file is good; the old one lives on in sessions */
static void
reload(struct server *s, const char *path)
{
    if (shared_reload(&s->sh, path, listen_changed) == 0)
        msg_info("action=reload");
}

/* peer_name - the client's address as text */
static void
peer_name(struct server *s, struct sockaddr_storage *sa, char *buf, size_t size)
{
    if (s->is_unix)
        snprintf(buf, size, "unix");
    else if (sa->ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
    else if (sa->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)size);
        /* an IPv4 client of an IPv6 listener: compare it as the IPv4 address it is */
        if (strncmp(buf, "::ffff:", 7) == 0 && strchr(buf + 7, '.'))
            memmove(buf, buf + 7, strlen(buf + 7) + 1);
    } else
        snprintf(buf, size, "unknown");
}

/* session_thread - run a session, then count it out */
static void *
session_thread(void *arg)
{
    struct session_args *a = arg;
    struct server *s = a->server;
    session_run(a);
    pthread_mutex_lock(&s->sh.lock);
    s->active--;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->sh.lock);
    return NULL;
}

/* server_run - the accept loop */
void
server_run(struct server *s, const char *conf_path)
{
    pthread_cond_init(&s->changed, NULL);
    gethostname(s->hostname, sizeof(s->hostname) - 1);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (!daemon_stop) {
        if (daemon_reload) {
            daemon_reload = 0;
            reload(s, conf_path);
        }
        /* at the limit, leave new clients in the backlog */
        pthread_mutex_lock(&s->sh.lock);
        int full = s->active >= s->sh.current->conf->lmtp_max_connections;
        pthread_mutex_unlock(&s->sh.lock);
        struct pollfd pfd = {s->listen_fd, POLLIN, 0};
        if (full) {
            usleep(10000);
            continue;
        }
        if (poll(&pfd, 1, 500) <= 0)
            continue;
        struct sockaddr_storage sa;
        socklen_t salen = sizeof(sa);
        int fd = accept4(s->listen_fd, (struct sockaddr *)&sa, &salen, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                msg_warn("accept: %s", strerror(errno));
            if (errno == EMFILE || errno == ENFILE)
                usleep(100000);
            continue;
        }
        struct session_args *a = xcalloc(1, sizeof(*a));
        a->server = s;
        a->fd = fd;
        peer_name(s, &sa, a->peer, sizeof(a->peer));
        pthread_mutex_lock(&s->sh.lock);
        s->active++;
        pthread_mutex_unlock(&s->sh.lock);
        pthread_t t;
        if (pthread_create(&t, &attr, session_thread, a) != 0) {
            msg_warn("cannot start a session thread: %s", strerror(errno));
            close(fd);
            xfree(a);
            pthread_mutex_lock(&s->sh.lock);
            s->active--;
            pthread_mutex_unlock(&s->sh.lock);
        }
    }
    pthread_attr_destroy(&attr);

    /* stop: no new clients; sessions finish the transaction in hand */
    close(s->listen_fd);
    pthread_mutex_lock(&s->sh.lock);
    if (s->active)
        msg_info("action=stopping sessions=%d", s->active);
    while (s->active > 0)
        pthread_cond_wait(&s->changed, &s->sh.lock);
    pthread_mutex_unlock(&s->sh.lock);
    if (s->is_unix && strncmp(s->sh.current->conf->lmtp_listen, "unix:", 5) == 0)
        unlink(s->sh.current->conf->lmtp_listen + 5);
    shared_free(&s->sh);
}
