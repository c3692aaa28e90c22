/*
 * lmtpd_session.c - one LMTP connection (RFC 2033)
 *
 * Several transactions per connection; commands may be pipelined, so
 * replies are buffered and flushed only when the client has nothing more
 * waiting for us. DATA is streamed: every byte is counted and hashed (the
 * hash is the idempotency key), but only the first mime_scan_limit bytes
 * are kept for finding the text, so twenty 10 MB mails do not need 200 MB.
 * After DATA, one reply per accepted recipient, each sent only after that
 * recipient's SMS is committed.
 */
#include "config.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "intake.h"
#include "lmtp.h"
#include "lmtpd.h"
#include "mime.h"
#include "msg.h"
#include "trust.h"
#include "xalloc.h"

#define IN_SIZE 65536

struct session {
    struct server *s;
    struct conf_ref *cr;
    const struct conf *conf;
    int fd;
    char peer[64];
    char in[IN_SIZE];
    size_t in_len, in_pos;
    char *out;
    size_t out_len, out_size;
    int dead; /* the connection failed or timed out */
    int lhlo, xforward_ok;
    struct lmtp_xforward xf;
    int have_mail;
    char *mail_from;
    char **rcpts;
    long long *universes; /* of each recipient's domain, found at RCPT */
    int nrcpt;
    long long mails;
};

/* out_flush - write what is buffered */
static void
out_flush(struct session *ss)
{
    size_t off = 0;
    while (off < ss->out_len && !ss->dead) {
        ssize_t n = write(ss->fd, ss->out + off, ss->out_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            ss->dead = 1;
        else
            off += (size_t)n;
    }
    ss->out_len = 0;
}

/* reply - one reply line, CRLF added */
static void
reply(struct session *ss, const char *line)
{
    size_t len = strlen(line);
    if (ss->out_len + len + 2 > ss->out_size) {
        ss->out_size = 2 * (ss->out_len + len + 2);
        ss->out = xrealloc(ss->out, ss->out_size);
    }
    memcpy(ss->out + ss->out_len, line, len);
    memcpy(ss->out + ss->out_len + len, "\r\n", 2);
    ss->out_len += len + 2;
    if (ss->out_len > 16384)
        out_flush(ss);
}

/*
 * fill - read more input, waiting at most lmtp_timeout seconds. With idle
 * set (between commands), a stop request ends the wait. 1 read, 0 eof or
 * timeout, -1 stopping.
 */
static int
fill(struct session *ss, int idle)
{
    if (ss->in_pos > 0) {
        memmove(ss->in, ss->in + ss->in_pos, ss->in_len - ss->in_pos);
        ss->in_len -= ss->in_pos;
        ss->in_pos = 0;
    }
    out_flush(ss); /* the client waits for our replies before it says more */
    time_t deadline = time(NULL) + ss->conf->lmtp_timeout;
    while (!ss->dead) {
        if (idle && daemon_stop)
            return -1;
        struct pollfd p = {ss->fd, POLLIN, 0};
        int rc = poll(&p, 1, 1000);
        if (rc == 0) {
            if (time(NULL) >= deadline) {
                msg_info("client=%s timeout after %d s", ss->peer, ss->conf->lmtp_timeout);
                ss->dead = 1;
                return 0;
            }
            continue;
        }
        if (rc < 0 && errno == EINTR)
            continue;
        ssize_t n = read(ss->fd, ss->in + ss->in_len, sizeof(ss->in) - ss->in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ss->dead = 1;
            return 0;
        }
        ss->in_len += (size_t)n;
        return 1;
    }
    return 0;
}

/*
 * read_command - one line without CRLF into buf. 1 ok, 0 eof, -1 stopping,
 * 2 too long (the rest of that line is skipped).
 */
static int
read_command(struct session *ss, char *buf, size_t size)
{
    size_t len = 0;
    int toolong = 0;
    for (;;) {
        while (ss->in_pos < ss->in_len) {
            char c = ss->in[ss->in_pos++];
            if (c == '\n') {
                if (len > 0 && buf[len - 1] == '\r')
                    len--;
                buf[len] = 0;
                return toolong ? 2 : 1;
            }
            if (len + 1 < size)
                buf[len++] = c;
            else
                toolong = 1;
        }
        int rc = fill(ss, len == 0 && !toolong);
        if (rc <= 0)
            return rc;
    }
}

/* The message as it streams in. */
struct data {
    struct sha256_ctx sha;
    char *kept;
    size_t kept_len, limit;
    unsigned long long size;
};

/* data_emit - one span of message bytes */
static void
data_emit(struct data *d, const char *p, size_t n)
{
    sha256_update(&d->sha, n, (const uint8_t *)p);
    d->size += n;
    if (d->kept_len < d->limit) {
        size_t take = n < d->limit - d->kept_len ? n : d->limit - d->kept_len;
        memcpy(d->kept + d->kept_len, p, take);
        d->kept_len += take;
    }
}

/*
 * read_data - until the line ".", undoing dot-stuffing. 1 complete, 0 the
 * connection ended first.
 */
static int
read_data(struct session *ss, struct data *d)
{
    enum { BOL, MID, DOT, DOTCR } st = BOL;
    for (;;) {
        size_t start = ss->in_pos;
        while (ss->in_pos < ss->in_len) {
            char c = ss->in[ss->in_pos];
            if (st == BOL && c == '.') {
                data_emit(d, ss->in + start, ss->in_pos - start);
                ss->in_pos++;
                start = ss->in_pos;
                st = DOT;
                continue;
            }
            if (st == DOT) {
                if (c == '\r') {
                    ss->in_pos++;
                    start = ss->in_pos;
                    st = DOTCR;
                    continue;
                }
                if (c == '\n') { /* ".\n": a bare LF ends the message too */
                    ss->in_pos++;
                    return 1;
                }
                st = MID; /* a stuffed dot: the byte after it is data */
            } else if (st == DOTCR) {
                if (c == '\n') {
                    ss->in_pos++;
                    return 1;
                }
                data_emit(d, "\r", 1);
                start = ss->in_pos;
                st = MID;
            }
            ss->in_pos++;
            st = c == '\n' ? BOL : MID;
        }
        data_emit(d, ss->in + start, ss->in_pos - start);
        if (fill(ss, 0) <= 0)
            return 0;
    }
}

/* reset - forget the transaction */
static void
reset(struct session *ss)
{
    xfree(ss->mail_from);
    ss->mail_from = NULL;
    for (int i = 0; i < ss->nrcpt; i++)
        xfree(ss->rcpts[i]);
    ss->nrcpt = 0;
    ss->have_mail = 0;
    memset(&ss->xf, 0, sizeof(ss->xf));
}

/* xforward_allowed - is this client trusted to tell us about the original one? */
static int
xforward_allowed(struct session *ss)
{
    const char *list = ss->conf->xforward_clients;
    if (strcmp(ss->peer, "unix") == 0) {
        for (const char *p = list; (p = strstr(p, "unix")) != NULL; p += 4)
            if ((p == list || strchr(", \t", p[-1])) && strchr(", \t", p[4]))
                return 1;
        return 0;
    }
    return trust_cidr_match(ss->peer, list);
}

/*
 * notify_due - at most one NOTIFY per NOTIFY_MS from this daemon: under load
 * a wake-up per mail is a round trip per mail and a queue the dispatchers
 * drain anyway; an SMS committed just after a skipped one is picked up by
 * the next wake-up or by the dispatchers' own look every second.
 */
#define NOTIFY_MS 50
static int
notify_due(void)
{
    static long long last;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
    long long prev = __atomic_load_n(&last, __ATOMIC_RELAXED);
    return now - prev >= NOTIFY_MS &&
           __atomic_compare_exchange_n(&last, &prev, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* cmd_data - read the message, then one reply per recipient */
static void
cmd_data(struct session *ss)
{
    struct data d = {0};
    char buf[INTAKE_REPLY_MAX];
    sha256_init(&d.sha);
    d.limit = (size_t)ss->conf->mime_scan_limit;
    d.kept = xmalloc(d.limit + 1);
    /* the sender is part of the key: the same bytes from another sender are another mail */
    sha256_update(&d.sha, strlen(ss->mail_from) + 1, (const uint8_t *)ss->mail_from);
    reply(ss, "354 End data with <CR><LF>.<CR><LF>");
    if (!read_data(ss, &d)) {
        msg_info("client=%s lost connection during DATA, nothing delivered", ss->peer);
        xfree(d.kept);
        return;
    }
    d.kept[d.kept_len] = 0;
    uint8_t digest[SHA256_DIGEST_SIZE];
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    sha256_digest(&d.sha, sizeof(digest), digest);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);

    if (d.size > (unsigned long long)ss->conf->message_size_limit) {
        for (int i = 0; i < ss->nrcpt; i++) {
            snprintf(buf, sizeof(buf), "552 5.3.4 <%s>: message size %llu exceeds the limit of %d",
                     ss->rcpts[i], d.size, ss->conf->message_size_limit);
            reply(ss, buf);
        }
        xfree(d.kept);
        reset(ss);
        return;
    }
    struct mime_text mt = {0};
    struct mime_limits lim = {ss->conf->mime_depth_limit};
    char *error = NULL;
    int parsed = mime_parse(d.kept, d.kept_len, &lim, &mt, &error) == 0;
    xfree(d.kept);
    struct intake_msg m = {ss->mail_from, ss->xf.addr, ss->xf.ident, hex, &mt, ss->conf};
    struct db *db = parsed ? shared_db_get(&ss->s->sh, ss->cr) : NULL;
    int queued = 0;
    for (int i = 0; i < ss->nrcpt; i++) {
        long long id;
        if (!parsed)
            snprintf(buf, sizeof(buf), "554 5.6.0 <%s>: %s", ss->rcpts[i], error);
        else if (db == NULL)
            snprintf(buf, sizeof(buf), "451 4.3.0 <%s>: temporary failure, please try again later",
                     ss->rcpts[i]);
        else
            queued += intake_deliver(db, &m, ss->rcpts[i], ss->universes[i], buf, &id) == 250;
        reply(ss, buf);
        if (db && !db_alive(db)) { /* a broken connection: a fresh one for the next recipient */
            shared_db_put(&ss->s->sh, ss->cr, db);
            db = shared_db_get(&ss->s->sh, ss->cr);
        }
    }
    /* wake the dispatchers, after the commits and outside them (see sg_intake) */
    if (queued && db && notify_due())
        PQclear(DB_EXEC(db, "SELECT pg_notify('sms_queued', '')"));
    shared_db_put(&ss->s->sh, ss->cr, db);
    xfree(error);
    mime_text_free(&mt);
    ss->mails++;
    reset(ss);
}

/* cmd_rcpt - the envelope's verdict */
static void
cmd_rcpt(struct session *ss, const char *addr)
{
    char buf[INTAKE_REPLY_MAX];
    if (!ss->have_mail) {
        reply(ss, "503 5.5.1 Error: need MAIL command");
        return;
    }
    if (ss->nrcpt >= ss->conf->recipient_limit) {
        reply(ss, "452 4.5.3 Error: too many recipients");
        return;
    }
    struct db *db = shared_db_get(&ss->s->sh, ss->cr);
    if (db == NULL) {
        snprintf(buf, sizeof(buf), "451 4.3.0 <%s>: temporary failure, please try again later",
                 addr);
        reply(ss, buf);
        return;
    }
    long long universe = 0;
    int rc = intake_rcpt(db, addr, &universe, buf);
    shared_db_put(&ss->s->sh, ss->cr, db);
    if (rc < 0) {
        reply(ss, buf);
        return;
    }
    ss->rcpts = xrealloc(ss->rcpts, (size_t)(ss->nrcpt + 1) * sizeof(*ss->rcpts));
    ss->universes = xrealloc(ss->universes, (size_t)(ss->nrcpt + 1) * sizeof(*ss->universes));
    ss->universes[ss->nrcpt] = universe;
    ss->rcpts[ss->nrcpt++] = xstrdup(addr);
    reply(ss, "250 2.1.5 Ok");
}

/* session_run - greet, then commands until QUIT */
void *
session_run(void *arg)
{
    struct session_args *a = arg;
    struct session *ss = xcalloc(1, sizeof(*ss));
    char line[65536], buf[INTAKE_REPLY_MAX];
    ss->s = a->server;
    ss->fd = a->fd;
    snprintf(ss->peer, sizeof(ss->peer), "%s", a->peer);
    xfree(a);
    ss->cr = shared_conf_get(&ss->s->sh);
    ss->conf = ss->cr->conf;
    size_t maxline = (size_t)ss->conf->line_length_limit + 1;
    if (maxline > sizeof(line))
        maxline = sizeof(line);
    ss->xforward_ok = xforward_allowed(ss);
    msg_debug("client=%s connect", ss->peer);

    snprintf(buf, sizeof(buf), "220 %s LMTP smsgate ready", ss->s->hostname);
    reply(ss, buf);
    while (!ss->dead) {
        int rc = read_command(ss, line, maxline);
        if (rc == -1) {
            reply(ss, "421 4.3.2 Service shutting down, closing transmission channel");
            break;
        }
        if (rc == 0)
            break;
        if (rc == 2) {
            reply(ss, "500 5.5.2 Error: line too long");
            continue;
        }
        struct lmtp_cmd cmd;
        const char *err;
        if (lmtp_parse(line, &cmd, &err) < 0) {
            reply(ss, err);
            continue;
        }
        switch (cmd.verb) {
        case LMTP_LHLO:
            reset(ss);
            ss->lhlo = 1;
            snprintf(buf, sizeof(buf), "250-%s", ss->s->hostname);
            reply(ss, buf);
            reply(ss, "250-PIPELINING");
            reply(ss, "250-ENHANCEDSTATUSCODES");
            reply(ss, "250-8BITMIME");
            if (ss->xforward_ok)
                reply(ss, "250-XFORWARD NAME ADDR PROTO HELO IDENT");
            snprintf(buf, sizeof(buf), "250 SIZE %d", ss->conf->message_size_limit);
            reply(ss, buf);
            break;
        case LMTP_MAIL:
            if (!ss->lhlo)
                reply(ss, "503 5.5.1 Error: send LHLO first");
            else if (ss->have_mail)
                reply(ss, "503 5.5.1 Error: nested MAIL command");
            else if (cmd.size > ss->conf->message_size_limit)
                reply(ss, "552 5.3.4 Message size exceeds fixed limit");
            else {
                ss->mail_from = xstrdup(cmd.addr);
                ss->have_mail = 1;
                reply(ss, "250 2.1.0 Ok");
            }
            break;
        case LMTP_RCPT:
            cmd_rcpt(ss, cmd.addr);
            break;
        case LMTP_DATA:
            if (!ss->have_mail)
                reply(ss, "503 5.5.1 Error: need MAIL command");
            else if (ss->nrcpt == 0)
                reply(ss, "503 5.5.1 Error: need RCPT command");
            else
                cmd_data(ss);
            break;
        case LMTP_RSET:
            reset(ss);
            reply(ss, "250 2.0.0 Ok");
            break;
        case LMTP_NOOP:
            reply(ss, "250 2.0.0 Ok");
            break;
        case LMTP_VRFY:
            reply(ss, "252 2.5.2 Cannot VRFY; send the mail and see");
            break;
        case LMTP_XFORWARD:
            if (!ss->xforward_ok)
                reply(ss, "550 5.7.0 Error: XFORWARD not allowed from this client");
            else if (ss->have_mail)
                reply(ss, "503 5.5.1 Error: XFORWARD after MAIL");
            else if (lmtp_xforward_parse(cmd.arg, &ss->xf) < 0)
                reply(ss, "501 5.5.4 Syntax: XFORWARD attribute=value...");
            else
                reply(ss, "250 2.0.0 Ok");
            break;
        case LMTP_QUIT:
            reply(ss, "221 2.0.0 Bye");
            out_flush(ss);
            ss->dead = 1;
            break;
        default:
            reply(ss, "500 5.5.2 Error: command not recognized");
        }
    }
    out_flush(ss);
    close(ss->fd);
    msg_debug("client=%s disconnect mails=%lld", ss->peer, ss->mails);
    reset(ss);
    xfree(ss->rcpts);
    xfree(ss->universes);
    xfree(ss->out);
    shared_conf_put(&ss->s->sh, ss->cr);
    xfree(ss);
    return NULL;
}
