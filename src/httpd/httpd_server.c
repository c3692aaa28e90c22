/*
 * httpd_server.c - libmicrohttpd, configuration snapshots, the database pool
 *
 * MHD runs one thread per connection, at most http_max_connections at
 * once; each request borrows a database connection from a pool for the
 * length of its one statement and never shares it. A request keeps the
 * configuration snapshot it started with, so a SIGHUP that changes secrets
 * never mixes two configurations in one request.
 *
 * A request is answered by its path: /dlr/CARRIER/SECRET and
 * /mo/CARRIER/SECRET, GET with a query or POST with a form body (at most
 * HTTPD_BODY_MAX). CARRIER and SECRET are checked before any body is read.
 * Another body (JSON) is handed on for the http driver's receipts.
 */
#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "httpd.h"
#include "msg.h"
#include "trust.h"
#include "xalloc.h"

/* listen_changed - what a reload cannot change */
static void
listen_changed(const struct conf *old, const struct conf *new)
{
    if (strcmp(old->http_listen, new->http_listen) != 0 ||
        old->http_max_connections != new->http_max_connections)
        msg_warn("http_listen and http_max_connections take effect at the next restart");
}

/* reload - a new snapshot if the file is good; the old one lives on in requests */
static void
reload(struct server *s, const char *path)
{
    if (shared_reload(&s->sh, path, listen_changed) < 0)
        return;
    struct conf_ref *r = shared_conf_get(&s->sh);
    int n = 0;
    for (int i = 0; i < r->conf->ncarriers; i++)
        n += *r->conf->carriers[i].callback_secret != '\0';
    shared_conf_put(&s->sh, r);
    msg_info("action=reload carriers=%d", n);
}

/* One request, across MHD's calls of the handler. */
struct request {
    struct conf_ref *ref;
    char kind[4];      /* dlr, mo */
    char carrier[128]; /* a configured carrier's name, once authorized */
    char *body;
    size_t len;
    int too_big;
    int answered; /* refused on the first call */
};

/* client_addr - the peer's address as text; IPv4-mapped IPv6 as plain IPv4 */
static void
client_addr(struct MHD_Connection *conn, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, size, "unknown");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
    else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)size);
        else
            inet_ntop(AF_INET6, a, buf, (socklen_t)size);
    }
}

/* answer - queue a reply with a constant body */
static enum MHD_Result
answer(struct MHD_Connection *conn, unsigned code, const char *body)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, POST");
    if (code == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "30");
    enum MHD_Result ret = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

/*
 * authorize - the route and its carrier: 0 with q->kind and q->carrier set,
 * or the HTTP status that refuses it. The path was decoded by MHD.
 */
static unsigned
authorize(struct MHD_Connection *conn, struct request *q, const char *url)
{
    const char *kind = NULL;
    if (strncmp(url, "/dlr/", 5) == 0)
        kind = "dlr", url += 5;
    else if (strncmp(url, "/mo/", 4) == 0)
        kind = "mo", url += 4;
    const char *slash = kind ? strchr(url, '/') : NULL;
    if (slash == NULL || slash == url || slash[1] == '\0' || strchr(slash + 1, '/') ||
        (size_t)(slash - url) >= sizeof(q->carrier))
        return MHD_HTTP_NOT_FOUND;
    snprintf(q->kind, sizeof(q->kind), "%s", kind);
    char name[sizeof(q->carrier)];
    snprintf(name, sizeof(name), "%.*s", (int)(slash - url), url);
    const char *secret = slash + 1;
    char addr[INET6_ADDRSTRLEN + 8];
    client_addr(conn, addr, sizeof(addr));
    const struct carrier_conf *cc = NULL;
    for (int i = 0; i < q->ref->conf->ncarriers; i++)
        if (strcmp(q->ref->conf->carriers[i].name, name) == 0)
            cc = &q->ref->conf->carriers[i];
    /* the reasons differ in the log only: the client learns nothing */
    const char *why = NULL;
    if (cc == NULL)
        why = "no such carrier";
    else if (*cc->callback_secret == '\0')
        why = "the carrier takes no callbacks";
    else if (!callback_secret_equal(secret, cc->callback_secret))
        why = "wrong secret";
    else if (*cc->callback_networks && !trust_cidr_match(addr, cc->callback_networks))
        why = "client not in callback_networks";
    if (why) {
        /* the name is printable before it is logged: it came from the client */
        for (char *c = name; *c; c++)
            if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e || *c == '"')
                *c = '?';
        msg_warn("%s carrier=%s client=%s refused: %s", kind, name, addr, why);
        return MHD_HTTP_FORBIDDEN;
    }
    snprintf(q->carrier, sizeof(q->carrier), "%s", name);
    return 0;
}

/* The query's arguments into a callback_params; a bad one makes the request a 400. */
struct collect {
    struct callback_params *p;
    const char *kind;
    int bad;
};

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
            size_t value_size)
{
    struct collect *c = cls;
    (void)kind;
    (void)key_size;
    if (callback_param_set(c->p, c->kind, key, value, value_size) < 0)
        c->bad = 1;
    return MHD_YES;
}

/* handle - MHD's access handler: first call authorizes, then the body, then the answer */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct server *s = cls;
    struct request *q = *con_cls;
    (void)version;
    if (q == NULL) {
        q = xcalloc(1, sizeof(*q));
        *con_cls = q;
        q->ref = shared_conf_get(&s->sh);
        unsigned code = 0;
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            code = MHD_HTTP_METHOD_NOT_ALLOWED;
        else
            code = authorize(conn, q, url);
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (code == 0 && cl && strtoull(cl, NULL, 10) > HTTPD_BODY_MAX)
            code = MHD_HTTP_CONTENT_TOO_LARGE;
        if (code) {
            q->answered = 1;
            return answer(conn, code,
                          code == MHD_HTTP_NOT_FOUND            ? "not found\n"
                          : code == MHD_HTTP_FORBIDDEN          ? "forbidden\n"
                          : code == MHD_HTTP_METHOD_NOT_ALLOWED ? "method not allowed\n"
                                                                : "request too large\n");
        }
        return MHD_YES;
    }
    if (q->answered) { /* the rest of a refused request's body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (q->len + *upload_data_size > HTTPD_BODY_MAX)
            q->too_big = 1;
        else {
            q->body = xrealloc(q->body, q->len + *upload_data_size + 1);
            memcpy(q->body + q->len, upload_data, *upload_data_size);
            q->len += *upload_data_size;
            q->body[q->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    q->answered = 1;
    if (q->too_big)
        return answer(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request too large\n");
    struct callback_params p = {0};
    struct collect c = {&p, q->kind, 0};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &c);
    /* a form body counts after the query; other bodies are not ours to read */
    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    int form = ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
    if (q->body && form &&
        (strlen(q->body) != q->len || callback_form_parse(&p, q->kind, q->body) < 0))
        c.bad = 1;
    if (q->body && !form && strlen(q->body) == q->len)
        p.json = q->body; /* JSON, for the http driver's receipts */
    if (c.bad) {
        msg_warn("%s carrier=%s refused: a parameter too long or holding a NUL", q->kind,
                 q->carrier);
        return answer(conn, MHD_HTTP_BAD_REQUEST, "bad request\n");
    }
    struct callback_reply rep = strcmp(q->kind, "dlr") == 0
                                    ? callback_dlr(s, q->ref, q->carrier, &p)
                                    : callback_mo(s, q->ref, q->carrier, &p);
    return answer(conn, rep.code, rep.body);
}

/* completed - MHD is done with a request: its state and its configuration go */
static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct request *q = *con_cls;
    (void)conn;
    (void)toe;
    if (q == NULL)
        return;
    shared_conf_put(&s->sh, q->ref);
    xfree(q->body);
    xfree(q);
    *con_cls = NULL;
}

/* mhd_log - MHD's own complaints, through ours */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    msg_warn("libmicrohttpd: %s", buf);
}

/* server_run - see httpd.h */
int
server_run(struct server *s, const char *conf_path)
{

    /* MHD's threads never take our signals: the main thread below does */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, s->listen_fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)s->sh.pool_size, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_NOTIFY_COMPLETED,
        completed, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    int rc = 0;
    if (d == NULL) {
        msg_error("libmicrohttpd would not start");
        rc = -1;
    }
    while (d && !daemon_stop) {
        if (daemon_reload) {
            daemon_reload = 0;
            reload(s, conf_path);
        }
        usleep(100000);
    }
    /* requests in hand are answered: MHD joins every connection's thread */
    if (d)
        MHD_stop_daemon(d);
    shared_free(&s->sh);
    return rc;
}
