/*
 * milter_filter.c - the callbacks: state per connection and per message
 *
 * The callbacks are thin: the verdict on a recipient is intake_check(),
 * the code smsgate-lmtpd decides with, and the text's length is
 * intake_length(). What is kept here is state: a struct conn per SMTP
 * connection (its configuration snapshot, the client's address), holding
 * one message at a time, which MAIL, the end of a message, an abort and
 * the close all reset. A callback finds no state when libmilter calls it
 * out of the usual order (close alone, when the MTA went away before
 * connect was done; MAIL without connect from a test client) and copes.
 *
 * A recipient outside the SMS domains (a mailbox, postmaster, root) is
 * not ours: it passes without a word, and the end of the message never
 * refuses a message that has one. Only a fast, bounded database read runs
 * inside a callback (at RCPT, under db_statement_timeout); a database
 * failure is a TEMPFAIL with 451 4.3.0, never an accept. Nothing is written to the database: the
 * milter refuses early and stamps what only SMTP knows; smsgate-lmtpd
 * decides and commits after DATA.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "authres.h"
#include "milter.h"
#include "mime.h"
#include "msg.h"
#include "xalloc.h"

#define AR_NAME "Authentication-Results"
#define TEMPFAIL "451 4.3.0 temporary failure, please try again later"

struct milter milter;

/* One accepted recipient and the sender rule it was accepted under. */
struct rcpt {
    char *addr;
    struct intake_rule *rule;
};

/* One message (MAIL to the end of the message). */
struct message {
    char *mail_from; /* NULL before MAIL */
    char *login;     /* the SASL login, "" none */
    char queue_id[64];
    struct rcpt *rcpts; /* the SMS recipients accepted */
    int nrcpt;
    int nother;  /* recipients that are not ours (no SMS domain): passed, not judged */
    int ar_seen; /* Authentication-Results fields so far */
    int *forged; /* indexes (from 1) of those that claim our authserv-id */
    int nforged;
    int keep;   /* the text is looked for at the end: 1 yes, -1 no, 0 not known yet */
    char *data; /* header and body as received, up to mime_scan_limit; only when keep > 0 */
    size_t len, size;
};

/* One SMTP connection. */
struct conn {
    struct conf_ref *cr;
    char client_addr[64]; /* "" unknown (a local submission) */
    char authserv_id[256];
    struct message m;
    long long mails;
};

/* message_reset - forget the message; safe on a zeroed one and twice */
static void
message_reset(struct message *m)
{
    xfree(m->mail_from);
    xfree(m->login);
    for (int i = 0; i < m->nrcpt; i++) {
        xfree(m->rcpts[i].addr);
        intake_rule_free(m->rcpts[i].rule);
    }
    xfree(m->rcpts);
    xfree(m->forged);
    xfree(m->data);
    memset(m, 0, sizeof(*m));
}

/* conn_get - the connection's state, made on first use */
static struct conn *
conn_get(SMFICTX *ctx)
{
    struct conn *c = milter.smfi->getpriv(ctx);
    if (c != NULL)
        return c;
    c = xcalloc(1, sizeof(*c));
    c->cr = shared_conf_get(&milter.sh);
    const char *id = c->cr->conf->authserv_id;
    snprintf(c->authserv_id, sizeof(c->authserv_id), "%s", *id ? id : milter.hostname);
    pthread_mutex_lock(&milter.sh.lock);
    milter.active++;
    pthread_mutex_unlock(&milter.sh.lock);
    milter.smfi->setpriv(ctx, c);
    return c;
}

/* symval - a macro's value, "" when the MTA did not send it */
static const char *
symval(SMFICTX *ctx, const char *name)
{
    const char *v = milter.smfi->getsymval(ctx, (char *)name);
    return v ? v : "";
}

/*
 * queue_id - Postfix's queue id, "-" while unknown. Postfix sends {i} at
 * RCPT, DATA, the end of the header and the end of the message (its
 * default milter_*_macros), but at MAIL only when the queue file is open
 * already, which it usually is not (smtpd_delay_open_until_valid_rcpt):
 * so it is asked for again until known.
 */
static const char *
queue_id(SMFICTX *ctx, struct message *m)
{
    if (*m->queue_id == 0)
        snprintf(m->queue_id, sizeof(m->queue_id), "%s", symval(ctx, "i"));
    return *m->queue_id ? m->queue_id : "-";
}

/* strip - an address without its angle brackets, fresh memory */
static char *
strip(const char *addr)
{
    size_t len = strlen(addr);
    if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>')
        return xstrndup(addr + 1, len - 2);
    return xstrdup(addr);
}

/*
 * set_reply - hand "550 5.1.2 text" to libmilter as its three parts. The
 * text is a format string to sendmail: '%' is doubled; CR and LF would
 * make the call fail and become blanks. libmilter refuses a reply longer
 * than its MAXREPLYLEN (980 bytes with the codes), so the text is cut to
 * REPLY_TEXT_MAX bytes, at a character's start: a cut UTF-8 sequence would
 * be an invalid reply. Should libmilter still refuse, the MTA's own reply
 * for the verdict goes out, and that is logged.
 */
#define REPLY_TEXT_MAX 900
static void
set_reply(SMFICTX *ctx, const char *reply)
{
    char rcode[4], xcode[16] = "", *text = xmalloc(REPLY_TEXT_MAX + 1), *o = text;
    snprintf(rcode, sizeof(rcode), "%.3s", reply);
    const char *p = reply + strlen(rcode);
    p += strspn(p, " ");
    size_t xl = strspn(p, "0123456789.");
    if (xl > 0 && xl < sizeof(xcode) && (p[xl] == ' ' || p[xl] == 0)) {
        memcpy(xcode, p, xl);
        xcode[xl] = 0;
        p += xl + strspn(p + xl, " ");
    }
    for (; *p; p++) {
        size_t need = *p == '%' ? 2 : 1;
        if ((size_t)(o - text) + need > REPLY_TEXT_MAX) {
            /* cut inside a UTF-8 sequence: drop its first bytes too */
            if (((unsigned char)*p & 0xc0) == 0x80) {
                while (o > text && ((unsigned char)o[-1] & 0xc0) == 0x80)
                    o--;
                if (o > text && (unsigned char)o[-1] >= 0xc0)
                    o--;
            }
            break;
        }
        *o++ = (*p == '\r' || *p == '\n') ? ' ' : *p;
        if (*p == '%')
            *o++ = '%';
    }
    *o = 0;
    if (milter.smfi->setreply(ctx, rcode, *xcode ? xcode : NULL, text) != MI_SUCCESS)
        msg_warn("libmilter refused the reply \"%s %s %s\": the MTA gives its own", rcode, xcode,
                 text);
    xfree(text);
}

/* go_on - the answer of a step that decides nothing: none when the MTA need not wait for it */
static sfsistat
go_on(unsigned long step)
{
    return (milter.noreply & step) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/*
 * length_checked - can the end of this message refuse it as too long?
 * Only with milter_check_length on, when every recipient is an SMS
 * recipient whose rule refuses a text over its limit (too_long() below).
 * The recipients are all known before the first header field, so the
 * answer, taken then, holds for the whole message; when it is no, the
 * header and body are not kept, and the text is not looked for.
 */
static int
length_checked(struct conn *c)
{
    struct message *m = &c->m;
    if (m->nrcpt == 0 || m->nother > 0 || strcmp(c->cr->conf->milter_check_length, "on") != 0)
        return 0;
    for (int i = 0; i < m->nrcpt; i++)
        if (!intake_length_may_refuse(m->rcpts[i].rule))
            return 0;
    return 1;
}

/* keep - message bytes for finding the text; past mime_scan_limit only counted */
static void
keep(struct conn *c, const char *p, size_t n)
{
    struct message *m = &c->m;
    if (m->keep == 0)
        m->keep = length_checked(c) ? 1 : -1;
    if (m->keep < 0)
        return;
    size_t limit = (size_t)c->cr->conf->mime_scan_limit;
    if (m->len >= limit)
        return;
    if (n > limit - m->len)
        n = limit - m->len;
    if (m->len + n + 1 > m->size) {
        m->size = 2 * (m->len + n + 1);
        if (m->size > limit + 1)
            m->size = limit + 1;
        m->data = xrealloc(m->data, m->size);
    }
    memcpy(m->data + m->len, p, n);
    m->len += n;
    m->data[m->len] = 0;
}

/* milter_check_db - the verdict with a pooled connection */
int
milter_check_db(struct conf_ref *cr, const struct intake_env *e, const char *rcpt,
                struct intake_rule **rule_r, char reply[INTAKE_REPLY_MAX])
{
    *rule_r = NULL;
    /*
     * no domain, no SMS recipient; postmaster@ any domain is a mailbox (RFC
     * 5321 4.5.1, as intake_check() says): it passes even while the
     * database is down
     */
    const char *at = strrchr(rcpt, '@');
    if (at == NULL || (at - rcpt == 10 && strncasecmp(rcpt, "postmaster", 10) == 0)) {
        *reply = 0;
        return INTAKE_NOT_OURS;
    }
    struct db *db = shared_db_get(&milter.sh, cr);
    if (db == NULL) {
        snprintf(reply, INTAKE_REPLY_MAX,
                 "451 4.3.0 <%s>: temporary failure, please try again later", rcpt);
        return 451;
    }
    int code = intake_check(db, e, rcpt, rule_r, reply);
    shared_db_put(&milter.sh, cr, db);
    return code;
}

/*
 * milter_negotiate - the actions we take (add and delete header fields)
 * and, on top of libmilter's choice of steps (none for the callbacks we
 * lack), no reply at the steps that decide nothing (MILTER_NOREPLY)
 */
sfsistat
milter_negotiate(SMFICTX *ctx, unsigned long actions, unsigned long steps, unsigned long f2,
                 unsigned long f3, unsigned long *actions_r, unsigned long *steps_r,
                 unsigned long *f2_r, unsigned long *f3_r)
{
    (void)ctx;
    (void)actions;
    (void)steps;
    (void)f2;
    (void)f3;
    *actions_r = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
    *steps_r |= milter.noreply;
    *f2_r = 0;
    *f3_r = 0;
    return SMFIS_CONTINUE;
}

/* milter_connect - a new SMTP client */
sfsistat
milter_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
    struct conn *c = conn_get(ctx);
    char *a = c->client_addr;
    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, a, sizeof(c->client_addr));
    else if (sa != NULL && sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof(c->client_addr));
        /* an IPv4 client of an IPv6 listener is the IPv4 address it is */
        if (strncmp(a, "::ffff:", 7) == 0 && strchr(a + 7, '.'))
            memmove(a, a + 7, strlen(a + 7) + 1);
    }
    msg_debug("client=%s[%s] connect", hostname ? hostname : "unknown", *a ? a : "unknown");
    return go_on(SMFIP_NR_CONN);
}

/* milter_helo - nothing to decide */
sfsistat
milter_helo(SMFICTX *ctx, char *helo)
{
    conn_get(ctx);
    return go_on(SMFIP_NR_HELO);
}

/* milter_envfrom - a new message: whatever the last one left is forgotten */
sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
    struct conn *c = conn_get(ctx);
    message_reset(&c->m);
    c->m.mail_from = strip(argv[0] ? argv[0] : "");
    c->m.login = xstrdup(symval(ctx, "{auth_authen}"));
    queue_id(ctx, &c->m);
    return go_on(SMFIP_NR_MAIL);
}

/* milter_envrcpt - the verdict that needs no text */
sfsistat
milter_envrcpt(SMFICTX *ctx, char **argv)
{
    struct conn *c = conn_get(ctx);
    struct message *m = &c->m;
    const struct conf *conf = c->cr->conf;
    char reply[INTAKE_REPLY_MAX];
    char *rcpt = strip(argv[0] ? argv[0] : "");
    struct intake_env e = {m->mail_from ? m->mail_from : "", c->client_addr,
                           m->login ? m->login : "", conf,
                           strcmp(conf->milter_check_credit, "on") == 0};
    struct intake_rule *rule = NULL;
    int code = milter.check(c->cr, &e, rcpt, &rule, reply);
    const char *qid = queue_id(ctx, m);
    if (code == INTAKE_NOT_OURS) {
        /* ordinary mail (no SMS domain): not ours to judge, nor to count at the end */
        msg_debug("queue_id=%s from=<%s> to=<%s> action=skip", qid, e.mail_from, rcpt);
        m->nother++;
        xfree(rcpt);
        return SMFIS_CONTINUE;
    }
    if (code != 250) {
        msg_info("queue_id=%s from=<%s> to=<%s> client=%s action=refuse reply=\"%s\"", qid,
                 e.mail_from, rcpt, *c->client_addr ? c->client_addr : "-", reply);
        set_reply(ctx, reply);
        xfree(rcpt);
        return code >= 500 ? SMFIS_REJECT : SMFIS_TEMPFAIL;
    }
    msg_debug("queue_id=%s from=<%s> to=<%s> action=accept reply=\"%s\"", qid, e.mail_from, rcpt,
              reply);
    m->rcpts = xrealloc(m->rcpts, (size_t)(m->nrcpt + 1) * sizeof(*m->rcpts));
    m->rcpts[m->nrcpt].addr = rcpt;
    m->rcpts[m->nrcpt++].rule = rule;
    return SMFIS_CONTINUE;
}

/* milter_header - keep it; note the Authentication-Results that claim to be ours */
sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
    struct conn *c = conn_get(ctx);
    struct message *m = &c->m;
    if (strcasecmp(name, AR_NAME) == 0) {
        m->ar_seen++;
        if (authres_id_is(value, c->authserv_id)) {
            m->forged = xrealloc(m->forged, (size_t)(m->nforged + 1) * sizeof(*m->forged));
            m->forged[m->nforged++] = m->ar_seen;
        }
    }
    keep(c, name, strlen(name));
    keep(c, ": ", 2);
    keep(c, value, strlen(value));
    keep(c, "\r\n", 2);
    return go_on(SMFIP_NR_HDR);
}

/* milter_eoh - the blank line between header and body */
sfsistat
milter_eoh(SMFICTX *ctx)
{
    struct conn *c = conn_get(ctx);
    queue_id(ctx, &c->m);
    keep(c, "\r\n", 2);
    return go_on(SMFIP_NR_EOH);
}

/* milter_body - a chunk of the body */
sfsistat
milter_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    keep(conn_get(ctx), (const char *)chunk, len);
    return go_on(SMFIP_NR_BODY);
}

/*
 * too_long - with milter_check_length on: 550 with the first recipient's
 * reply when every recipient of the message is an SMS recipient whose rule
 * refuses this text as over its limit; 0 otherwise. A refusal at the end
 * of the message refuses it for all its recipients, so it is only given
 * when smsgate-lmtpd would refuse each of them: with one recipient that is
 * not ours (a mailbox) or an SMS recipient the text fits, the message goes
 * on, and smsgate-lmtpd refuses the recipients over their limit after DATA
 * (a bounce to the sender). 0 also when the message cannot be parsed:
 * smsgate-lmtpd refuses that itself.
 */
static int
too_long(struct conn *c, char reply[INTAKE_REPLY_MAX], int *parts_r)
{
    struct message *m = &c->m;
    const struct conf *conf = c->cr->conf;
    int code = 0;
    /* a rule that does not refuse over its limit lets the message go on: no text needed */
    if (m->keep < 0 || !length_checked(c))
        return 0;
    struct mime_text mt = {0};
    struct mime_limits lim = {conf->mime_depth_limit};
    char *error = NULL;
    if (mime_parse(m->data ? m->data : "", m->len, &lim, &mt, &error) < 0) {
        xfree(error);
        return 0;
    }
    char other[INTAKE_REPLY_MAX];
    int parts;
    code = intake_length(m->rcpts[0].rule, &mt, m->rcpts[0].addr, parts_r, reply);
    for (int i = 1; i < m->nrcpt && code != 0; i++)
        code = intake_length(m->rcpts[i].rule, &mt, m->rcpts[i].addr, &parts, other);
    mime_text_free(&mt);
    return code;
}

/* milter_eom - refuse a text over the limit, or stamp the message */
sfsistat
milter_eom(SMFICTX *ctx)
{
    struct conn *c = conn_get(ctx);
    struct message *m = &c->m;
    char reply[INTAKE_REPLY_MAX];
    const char *qid = queue_id(ctx, m);
    const char *from = m->mail_from ? m->mail_from : "";
    sfsistat rc = SMFIS_CONTINUE;
    int parts = 0;

    if (too_long(c, reply, &parts) != 0) {
        msg_info("queue_id=%s from=<%s> action=refuse parts=%d reply=\"%s\"", qid, from, parts,
                 reply);
        set_reply(ctx, reply);
        rc = SMFIS_REJECT;
        goto done;
    }
    /* forged copies of ours, from the last so that the indexes before it stay */
    for (int i = m->nforged - 1; i >= 0; i--)
        if (milter.smfi->chgheader(ctx, AR_NAME, m->forged[i], NULL) != MI_SUCCESS) {
            msg_warn("queue_id=%s cannot remove a forged " AR_NAME, qid);
            set_reply(ctx, TEMPFAIL);
            rc = SMFIS_TEMPFAIL;
            goto done;
        }
    char *value = milter_authres(c->authserv_id, m->login ? m->login : "", c->client_addr);
    int added = milter.smfi->insheader(ctx, 0, AR_NAME, value) == MI_SUCCESS;
    xfree(value);
    if (!added) {
        msg_warn("queue_id=%s cannot add " AR_NAME, qid);
        set_reply(ctx, TEMPFAIL);
        rc = SMFIS_TEMPFAIL;
        goto done;
    }
    msg_info("queue_id=%s from=<%s> action=stamp auth=%s client=%s removed=%d", qid, from,
             m->login && *m->login ? m->login : "-", *c->client_addr ? c->client_addr : "-",
             m->nforged);
    c->mails++;
done:
    message_reset(m);
    return rc;
}

/* milter_abort - the MTA gave the message up (RSET, a refusal elsewhere, a lost client) */
sfsistat
milter_abort(SMFICTX *ctx)
{
    struct conn *c = milter.smfi->getpriv(ctx);
    if (c != NULL)
        message_reset(&c->m);
    return SMFIS_CONTINUE;
}

/* milter_close - the end of the connection, whatever came before */
sfsistat
milter_close(SMFICTX *ctx)
{
    struct conn *c = milter.smfi->getpriv(ctx);
    if (c == NULL)
        return SMFIS_CONTINUE;
    milter.smfi->setpriv(ctx, NULL);
    msg_debug("client=%s disconnect mails=%lld", *c->client_addr ? c->client_addr : "unknown",
              c->mails);
    message_reset(&c->m);
    shared_conf_put(&milter.sh, c->cr);
    xfree(c);
    pthread_mutex_lock(&milter.sh.lock);
    milter.active--;
    pthread_mutex_unlock(&milter.sh.lock);
    return SMFIS_CONTINUE;
}

/*
 * put_value - a property value as RFC 8601 allows it: as it is when it is
 * a plain token (an address too), else quoted; control characters, which
 * no header may carry, are dropped
 */
static void
put_value(char *out, size_t size, const char *v)
{
    size_t n = strlen(out);
    int plain = *v != 0;
    for (const char *p = v; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+@", *p))
            plain = 0;
    if (plain) {
        snprintf(out + n, size - n, "%s", v);
        return;
    }
    if (n + 3 >= size)
        return;
    out[n++] = '"';
    for (const char *p = v; *p && n + 3 < size; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            continue;
        if (*p == '"' || *p == '\\')
            out[n++] = '\\';
        out[n++] = *p;
    }
    out[n++] = '"';
    out[n] = 0;
}

/* milter_authres - our Authentication-Results value */
char *
milter_authres(const char *authserv_id, const char *login, const char *client_addr)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s;", authserv_id);
    if (*login == 0 && *client_addr == 0) {
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " none");
        return xstrdup(buf);
    }
    if (*login) {
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " auth=pass smtp.auth=");
        put_value(buf, sizeof(buf), login);
    } else {
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " auth=none");
    }
    if (*client_addr) {
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " smtp.remote-ip=");
        put_value(buf, sizeof(buf), client_addr);
    }
    return xstrdup(buf);
}
