/*
 * milter_test.c - smsgate-milter's callbacks driven without an MTA
 *
 * The libmilter calls go to a fake context that records what the
 * callbacks asked for (replies, header insertions and deletions), and the
 * RCPT verdict is a fake intake_check() that answers by the recipient's
 * first word. Each sequence is one an MTA may produce: a whole
 * connection, two messages on it, an abort then a new message, close
 * alone, close in the middle of a message, MAIL without connect. The
 * database side is tested against the real daemon by milter_test.py.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authres.h"
#include "milter.h"
#include "sender.h"
#include "tap.h"
#include "trust.h"
#include "xalloc.h"

/* What the fake context holds and records. */
struct fake {
    void *priv;
    const char *auth_authen, *queue_id; /* macros, NULL: not sent */
    char rcode[8], xcode[16], text[2048];
    int nreply;
    int ins_idx, nins;
    char ins_value[1024];
    int deleted[8], ndel;
    int fail_insheader;
};

#define F(ctx) ((struct fake *)(void *)(ctx))

static void *
f_getpriv(SMFICTX *ctx)
{
    return F(ctx)->priv;
}

static int
f_setpriv(SMFICTX *ctx, void *priv)
{
    F(ctx)->priv = priv;
    return MI_SUCCESS;
}

static char *
f_getsymval(SMFICTX *ctx, char *name)
{
    if (strcmp(name, "{auth_authen}") == 0)
        return (char *)F(ctx)->auth_authen;
    if (strcmp(name, "i") == 0)
        return (char *)F(ctx)->queue_id;
    return NULL;
}

/* f_setreply - libmilter's: refused past MAXREPLYLEN (980) with the codes and blanks */
static int
f_setreply(SMFICTX *ctx, char *rcode, char *xcode, char *text)
{
    struct fake *f = F(ctx);
    if (strlen(rcode) + 2 + (xcode ? strlen(xcode) + 1 : 0) + strlen(text) + 1 > 980)
        return MI_FAILURE;
    snprintf(f->rcode, sizeof(f->rcode), "%.7s", rcode);
    snprintf(f->xcode, sizeof(f->xcode), "%.15s", xcode ? xcode : "");
    snprintf(f->text, sizeof(f->text), "%s", text);
    f->nreply++;
    return MI_SUCCESS;
}

static int
f_insheader(SMFICTX *ctx, int idx, char *name, char *value)
{
    struct fake *f = F(ctx);
    if (f->fail_insheader || strcmp(name, "Authentication-Results") != 0)
        return MI_FAILURE;
    f->ins_idx = idx;
    snprintf(f->ins_value, sizeof(f->ins_value), "%s", value);
    f->nins++;
    return MI_SUCCESS;
}

static int
f_chgheader(SMFICTX *ctx, char *name, int idx, char *value)
{
    struct fake *f = F(ctx);
    if (value != NULL || strcmp(name, "Authentication-Results") != 0 || f->ndel >= 8)
        return MI_FAILURE;
    f->deleted[f->ndel++] = idx;
    return MI_SUCCESS;
}

static const struct milter_smfi fake_smfi = {f_getpriv,  f_setpriv,   f_getsymval,
                                             f_setreply, f_insheader, f_chgheader};

/* What the fake verdict saw last. */
static char seen_from[256], seen_login[256], seen_client[64];
static int checks;

/*
 * fake_check - "bad..." 550 (with a '%' in the text), "long..." 550 with a
 * text too long for libmilter, "temp..." 451, "other..." not ours, else 250
 */
static int
fake_check(struct conf_ref *cr, const struct intake_env *e, const char *rcpt,
           struct intake_rule **rule_r, char reply[INTAKE_REPLY_MAX])
{
    checks++;
    snprintf(seen_from, sizeof(seen_from), "%s", e->mail_from);
    snprintf(seen_login, sizeof(seen_login), "%s", e->sasl_login);
    snprintf(seen_client, sizeof(seen_client), "%s", e->client_addr);
    *rule_r = NULL;
    if (strncmp(rcpt, "bad", 3) == 0) {
        snprintf(reply, INTAKE_REPLY_MAX, "550 5.1.3 <%s>: \"bad\" is 100%% not a number", rcpt);
        return 550;
    }
    if (strncmp(rcpt, "long", 4) == 0) {
        /* 1 + 3 * 400 bytes: past 900 at every offset a cut could fall on */
        char *o = reply + snprintf(reply, INTAKE_REPLY_MAX, "550 5.7.1 <%s>: x", rcpt);
        for (int i = 0; i < 400 && o + 3 < reply + INTAKE_REPLY_MAX; i++)
            o += snprintf(o, 4, "%s", i % 50 == 49 ? "%%%" : "\xe2\x82\xac"); /* U+20AC */
        return 550;
    }
    if (strncmp(rcpt, "other", 5) == 0) {
        *reply = 0;
        return INTAKE_NOT_OURS;
    }
    if (strncmp(rcpt, "temp", 4) == 0) {
        snprintf(reply, INTAKE_REPLY_MAX,
                 "451 4.3.0 <%s>: temporary failure, please try again later", rcpt);
        return 451;
    }
    snprintf(reply, INTAKE_REPLY_MAX, "250 2.1.5 <%s> Ok (sasl)", rcpt);
    return 250;
}

static SMFICTX *
ctx_of(struct fake *f)
{
    return (SMFICTX *)(void *)f;
}

static sfsistat
from(struct fake *f, const char *addr)
{
    char *argv[] = {(char *)addr, NULL};
    return milter_envfrom(ctx_of(f), argv);
}

static sfsistat
rcpt(struct fake *f, const char *addr)
{
    char *argv[] = {(char *)addr, NULL};
    return milter_envrcpt(ctx_of(f), argv);
}

static sfsistat
connect4(struct fake *f, const char *ip)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &sin.sin_addr);
    return milter_connect(ctx_of(f), "client.test", (struct sockaddr *)&sin);
}

static int
active(void)
{
    return milter.active;
}

/* the whole connection with two messages */
static void
test_connection(void)
{
    struct fake f = {.auth_authen = "alice", .queue_id = "Q1"};
    SMFICTX *ctx = ctx_of(&f);
    is_int(connect4(&f, "192.0.2.10"), SMFIS_CONTINUE, "connect");
    ok(f.priv != NULL && active() == 1, "connect: state made, one connection active");
    is_int(milter_helo(ctx, "client.test"), SMFIS_CONTINUE, "helo");
    is_int(from(&f, "<alice@acme.test>"), SMFIS_CONTINUE, "MAIL");
    is_int(rcpt(&f, "<0412345678@sms.acme.test>"), SMFIS_CONTINUE, "RCPT accepted");
    is_str(seen_from, "alice@acme.test", "the verdict sees the sender without brackets");
    is_str(seen_login, "alice", "... the SASL login from {auth_authen}");
    is_str(seen_client, "192.0.2.10", "... the client address from connect");
    is_int(rcpt(&f, "<bad@sms.acme.test>"), SMFIS_REJECT, "RCPT refused: SMFIS_REJECT");
    is_str(f.rcode, "550", "... reply code 550");
    is_str(f.xcode, "5.1.3", "... enhanced code 5.1.3");
    is_str(f.text, "<bad@sms.acme.test>: \"bad\" is 100%% not a number",
           "... the text, '%%' doubled for libmilter");
    is_int(rcpt(&f, "<temp@sms.acme.test>"), SMFIS_TEMPFAIL, "database trouble: SMFIS_TEMPFAIL");
    is_str(f.rcode, "451", "... 451");
    is_str(f.xcode, "4.3.0", "... 4.3.0");

    /* headers: two forged copies of ours around someone else's */
    is_int(
        milter_header(ctx, "Authentication-Results", "smsgate.test; auth=pass smtp.auth=mallory"),
        SMFIS_CONTINUE, "header: a forged result of ours");
    milter_header(ctx, "Subject", "hello");
    milter_header(ctx, "authentication-results", "mx.example.com; spf=pass smtp.mailfrom=a@b.c");
    milter_header(ctx, "Authentication-Results", " (comment) SMSGATE.TEST ; dkim=pass");
    milter_header(ctx, "Authentication-Results", "smsgate.test.evil; auth=pass smtp.auth=x");
    is_int(milter_eoh(ctx), SMFIS_CONTINUE, "eoh");
    is_int(milter_body(ctx, (unsigned char *)"Hello\r\n", 7), SMFIS_CONTINUE, "body");
    is_int(milter_eom(ctx), SMFIS_CONTINUE, "eom: continue");
    is_int(f.ndel, 2, "eom: two forged fields removed");
    ok(f.deleted[0] == 3 && f.deleted[1] == 1,
       "... the 3rd and the 1st Authentication-Results, last first (got %d, %d)", f.deleted[0],
       f.deleted[1]);
    is_int(f.nins, 1, "eom: ours inserted");
    is_int(f.ins_idx, 0, "... at the top");
    is_str(f.ins_value, "smsgate.test; auth=pass smtp.auth=alice smtp.remote-ip=192.0.2.10",
           "... with the SASL login and the client address");

    /* a second message on the same connection, without a login */
    f.auth_authen = NULL;
    f.ndel = f.nins = 0;
    is_int(from(&f, "<bob@acme.test>"), SMFIS_CONTINUE, "second MAIL on the connection");
    rcpt(&f, "<0412345679@sms.acme.test>");
    is_str(seen_login, "", "... no login this time");
    is_int(milter_eom(ctx), SMFIS_CONTINUE, "second eom");
    is_int(f.ndel, 0, "... nothing removed: the first message's forgeries are forgotten");
    is_str(f.ins_value, "smsgate.test; auth=none smtp.remote-ip=192.0.2.10",
           "... auth=none and the client address");

    /* abort, then a new message */
    f.auth_authen = "alice";
    f.ndel = f.nins = 0;
    from(&f, "<alice@acme.test>");
    rcpt(&f, "<0412345678@sms.acme.test>");
    milter_header(ctx, "Authentication-Results", "smsgate.test; auth=pass smtp.auth=mallory");
    is_int(milter_abort(ctx), SMFIS_CONTINUE, "abort");
    ok(f.priv != NULL, "... the connection's state stays");
    f.auth_authen = NULL;
    from(&f, "<carol@acme.test>");
    milter_header(ctx, "Subject", "no forgery here");
    is_int(milter_eom(ctx), SMFIS_CONTINUE, "eom of the message after the abort");
    is_int(f.ndel, 0, "... the aborted message's forged field is not removed from this one");
    is_str(f.ins_value, "smsgate.test; auth=none smtp.remote-ip=192.0.2.10",
           "... and the aborted message's login is not used");

    /* the MTA cannot add the header: tempfail */
    f.fail_insheader = 1;
    from(&f, "<alice@acme.test>");
    is_int(milter_eom(ctx), SMFIS_TEMPFAIL, "a failed insheader: SMFIS_TEMPFAIL");
    is_str(f.rcode, "451", "... with 451");
    f.fail_insheader = 0;

    is_int(milter_close(ctx), SMFIS_CONTINUE, "close");
    ok(f.priv == NULL && active() == 0, "close: state gone, no connection active");
    is_int(milter_close(ctx), SMFIS_CONTINUE, "a second close does nothing");
}

/*
 * eom_logged - milter_eom() with its log lines caught: what stderr got
 * (fresh memory)
 */
static char *
eom_logged(SMFICTX *ctx, sfsistat *rc_r)
{
    char path[] = "/tmp/milter_log.XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    if (fd < 0 || saved < 0)
        bail("cannot catch stderr");
    unlink(path);
    fflush(stderr);
    dup2(fd, 2);
    *rc_r = milter_eom(ctx);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *buf = xcalloc(1, 8192);
    if (pread(fd, buf, 8191, 0) < 0)
        buf[0] = 0;
    close(fd);
    return buf;
}

/* Postfix's {i}: not at MAIL (the queue file is not open yet), at the end of the message */
static void
test_queue_id(void)
{
    struct fake f = {.auth_authen = "alice"};
    SMFICTX *ctx = ctx_of(&f);
    sfsistat rc;
    connect4(&f, "192.0.2.10");
    from(&f, "<alice@acme.test>");
    rcpt(&f, "<0412345678@sms.acme.test>");
    milter_header(ctx, "Subject", "hi");
    milter_eoh(ctx);
    f.queue_id = "4Xk2Lb0Qz5"; /* milter_end_of_data_macros = i */
    char *log = eom_logged(ctx, &rc);
    is_int(rc, SMFIS_CONTINUE, "eom with {i} sent only at the end of the message");
    ok(strstr(log, "queue_id=4Xk2Lb0Qz5 from=<alice@acme.test> action=stamp") != NULL,
       "... the stamp's log line has the queue id");
    if (!strstr(log, "queue_id=4Xk2Lb0Qz5"))
        diag("  logged: %s", log);
    xfree(log);

    /* the next message: the old id is not kept, the new one read at the end of the header */
    f.queue_id = NULL;
    from(&f, "<alice@acme.test>");
    rcpt(&f, "<0412345678@sms.acme.test>");
    f.queue_id = "5Ab3Cd1Ef2";
    milter_eoh(ctx);
    f.queue_id = NULL;
    log = eom_logged(ctx, &rc);
    ok(strstr(log, "queue_id=5Ab3Cd1Ef2 ") != NULL, "... the next message's, read at EOH");
    xfree(log);
    milter_close(ctx);
}

/* utf8_whole - s ends with a whole UTF-8 character (or is ASCII) */
static int
utf8_whole(const char *s)
{
    size_t n = strlen(s), k = 0;
    while (k < n && k < 4 && ((unsigned char)s[n - 1 - k] & 0xc0) == 0x80)
        k++;
    if (k == 0)
        return n == 0 || (unsigned char)s[n - 1] < 0x80;
    unsigned char lead = (unsigned char)s[n - 1 - k];
    size_t want = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
    return k == want;
}

/* ordinary mail passes; a reply too long for libmilter is cut, not lost */
static void
test_not_ours(void)
{
    struct fake f = {.auth_authen = "alice"};
    SMFICTX *ctx = ctx_of(&f);
    connect4(&f, "192.0.2.10");
    from(&f, "<alice@acme.test>");
    is_int(rcpt(&f, "<other@mailbox.test>"), SMFIS_CONTINUE,
           "a recipient outside the SMS domains: continue");
    is_int(f.nreply, 0, "... and no reply set");
    is_int(rcpt(&f, "<0412345678@sms.acme.test>"), SMFIS_CONTINUE, "an SMS recipient beside it");
    is_int(milter_eom(ctx), SMFIS_CONTINUE, "eom: the mixed message goes on");
    is_int(f.nins, 1, "... stamped");

    /* no '@': not ours, whatever the database says (none here) */
    char reply[INTAKE_REPLY_MAX] = "unset";
    struct intake_rule *rule = (struct intake_rule *)&f;
    struct intake_env e = {"alice@acme.test", "", "", NULL, 0};
    is_int(milter_check_db(NULL, &e, "postmaster", &rule, reply), INTAKE_NOT_OURS,
           "milter_check_db: RCPT TO:<postmaster> is not ours, without a database");
    ok(rule == NULL && reply[0] == 0, "... no rule, no reply");
    is_int(milter_check_db(NULL, &e, "PostMaster@sms.acme.test", &rule, reply), INTAKE_NOT_OURS,
           "milter_check_db: postmaster@ an SMS domain is a mailbox (RFC 5321), not ours");

    /* a reply past libmilter's limit */
    f.nreply = 0;
    from(&f, "<alice@acme.test>");
    is_int(rcpt(&f, "<long@sms.acme.test>"), SMFIS_REJECT, "a refusal with a 1,200-byte text");
    is_int(f.nreply, 1, "... its reply reached libmilter");
    is_str(f.rcode, "550", "... 550");
    is_str(f.xcode, "5.7.1", "... 5.7.1");
    size_t tl = strlen(f.text);
    ok(tl <= 900 && tl > 890, "... the text cut to at most 900 bytes (%zu)", tl);
    ok(utf8_whole(f.text), "... on a character's boundary");
    ok(strncmp(f.text, "<long@sms.acme.test>: x\xe2\x82\xac", 26) == 0, "... from its start");
    milter_close(ctx);
}

/* sequences an MTA may produce when things go wrong */
static void
test_odd_sequences(void)
{
    struct fake f = {0};
    SMFICTX *ctx = ctx_of(&f);
    is_int(milter_close(ctx), SMFIS_CONTINUE, "close alone");
    ok(f.priv == NULL && active() == 0, "... leaves nothing");
    is_int(milter_abort(ctx), SMFIS_CONTINUE, "abort alone");
    ok(f.priv == NULL, "... makes no state");

    /* close in the middle of a message: everything freed (ASan checks) */
    connect4(&f, "198.51.100.7");
    from(&f, "<alice@acme.test>");
    rcpt(&f, "<0412345678@sms.acme.test>");
    milter_header(ctx, "Authentication-Results", "smsgate.test; none");
    milter_body(ctx, (unsigned char *)"x", 1);
    is_int(milter_close(ctx), SMFIS_CONTINUE, "close in the middle of a message");
    ok(f.priv == NULL && active() == 0, "... state gone");

    /* MAIL without connect (a local submission, a test client) */
    struct fake g = {.auth_authen = "alice"};
    is_int(from(&g, "<alice@acme.test>"), SMFIS_CONTINUE, "MAIL without connect");
    rcpt(&g, "<0412345678@sms.acme.test>");
    is_str(seen_client, "", "... the client address is unknown");
    milter_eom(ctx_of(&g));
    is_str(g.ins_value, "smsgate.test; auth=pass smtp.auth=alice", "... ours has no address");
    milter_close(ctx_of(&g));

    /* neither login nor address */
    struct fake h = {0};
    milter_connect(ctx_of(&h), "localhost", NULL);
    from(&h, "<>");
    milter_eom(ctx_of(&h));
    is_str(h.ins_value, "smsgate.test; none", "nothing SMTP knows: \"none\"");
    milter_close(ctx_of(&h));

    /* IPv6, and IPv4 mapped into IPv6 */
    struct fake v6 = {0};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
    milter_connect(ctx_of(&v6), "v6", (struct sockaddr *)&sin6);
    from(&v6, "<a@b.test>");
    milter_eom(ctx_of(&v6));
    is_str(v6.ins_value, "smsgate.test; auth=none smtp.remote-ip=\"2001:db8::1\"",
           "an IPv6 client address, quoted");
    milter_close(ctx_of(&v6));
    inet_pton(AF_INET6, "::ffff:192.0.2.33", &sin6.sin6_addr);
    milter_connect(ctx_of(&v6), "v4", (struct sockaddr *)&sin6);
    from(&v6, "<a@b.test>");
    milter_eom(ctx_of(&v6));
    is_str(v6.ins_value, "smsgate.test; auth=none smtp.remote-ip=192.0.2.33",
           "an IPv4-mapped address as IPv4");
    milter_close(ctx_of(&v6));
    ok(active() == 0, "every connection closed");
}

/* what we write, smsgate-lmtpd reads back and trusts */
static void
test_round_trip(void)
{
    char *v = milter_authres("smsgate.test", "al \"ice\"\\\x01", "2001:db8::5");
    struct authres ar;
    is_int(authres_parse(v, &ar), 0, "our header parses: %s", vis(v));
    is_str(ar.authserv_id, "smsgate.test", "... authserv-id");
    is_str(ar.r[0].smtp_auth, "al \"ice\"\\",
           "... a login with blanks and quotes, control dropped");
    is_str(ar.r[0].smtp_remote_ip, "2001:db8::5", "... the client address");
    ok(authres_id_is(v, "SMSGATE.test"), "authres_id_is: any letter case");
    ok(!authres_id_is("smsgate.test.evil; none", "smsgate.test"), "... not a longer name");
    xfree(v);

    v = milter_authres("smsgate.test", "alice", "192.0.2.10");
    struct mime_header h[] = {{"Authentication-Results", v}};
    struct mime_text m = {.headers = h, .nheaders = 1};
    const char *method = NULL;
    struct trust_input sasl = {SENDER_AUTH_SASL, NULL, NULL,          "alice@acme.test", "",
                               "smsgate.test",   &m,   "smsgate.test"};
    ok(trust_check(&sasl, &method) && strcmp(method, "sasl") == 0,
       "smsgate-lmtpd: our auth=pass satisfies auth=sasl");
    struct trust_input net = {
        SENDER_AUTH_NETWORK, "192.0.2.0/24", NULL, "alice@acme.test", "", "smsgate.test", &m,
        "smsgate.test"};
    ok(trust_check(&net, &method) && strcmp(method, "network") == 0,
       "smsgate-lmtpd: our smtp.remote-ip satisfies auth=network without XFORWARD");
    net.client_addr = "203.0.113.1";
    ok(!trust_check(&net, &method), "... XFORWARD's address comes first");
    net.client_addr = "";
    net.own_id = "mx.example.com";
    ok(!trust_check(&net, &method), "... and only from our own authserv-id");
    xfree(v);

    /* what SMTP alone decides, at RCPT */
    struct trust_input e = {SENDER_AUTH_SASL, NULL, NULL, "alice@acme.test", "", "", NULL, NULL};
    is_int(trust_check_envelope(&e, "", &method), TRUST_FAIL, "envelope: sasl without a login");
    is_int(trust_check_envelope(&e, "alice", &method), TRUST_PASS, "envelope: sasl with a login");
    e.auth = SENDER_AUTH_SASL | SENDER_AUTH_DKIM;
    is_int(trust_check_envelope(&e, "", &method), TRUST_LATER,
           "envelope: sasl or dkim without a login is left to smsgate-lmtpd");
    e.auth = SENDER_AUTH_NETWORK;
    e.networks = "10.0.0.0/8";
    e.client_addr = "10.1.2.3";
    is_int(trust_check_envelope(&e, "", &method), TRUST_PASS, "envelope: network inside");
    e.client_addr = "192.0.2.1";
    is_int(trust_check_envelope(&e, "", &method), TRUST_FAIL, "envelope: network outside");
}

int
main(void)
{
    char path[] = "/tmp/milter_test.XXXXXX", *error;
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "authserv_id = smsgate.test\n", 27) != 27)
        bail("cannot write %s", path);
    close(fd);
    struct conf *conf = conf_load(path, &error);
    unlink(path);
    if (conf == NULL)
        bail("%s", error);
    shared_init(&milter.sh, conf, 1);
    milter.smfi = &fake_smfi;
    milter.check = fake_check;
    snprintf(milter.hostname, sizeof(milter.hostname), "host.test");

    test_connection();
    test_odd_sequences();
    test_not_ours();
    test_queue_id();
    test_round_trip();
    shared_free(&milter.sh);
    return done_testing();
}
