/*
 * NAME
 *	smsgate-milter - refuse bad SMS mail during the SMTP dialogue
 * SYNOPSIS
 *	smsgate-milter [-c FILE] [-f] [-n] [-v]
 * DESCRIPTION
 *	A libmilter filter for Postfix's smtpd_milters. At RCPT it refuses
 *	what smsgate-lmtpd would refuse without reading the message: an
 *	unknown SMS domain, a local part that is no number, a sender without
 *	a sender rule or not authenticated as its rule demands, a suspended
 *	account, a payer without credit for one part. At the end of the
 *	message it removes forged Authentication-Results under our
 *	authserv-id and adds ours with what only SMTP knows: the SASL login
 *	and the client's address. See smsgate-milter(8).
 */
#include "config.h"

#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "milter.h"
#include "msg.h"
#include "xalloc.h"

#define POOL_SIZE 32 /* idle database connections kept */
#define STOP_WAIT 30 /* seconds to wait for connections in progress at a stop */

static const char *conf_path;

/* check_listen - the forms smfi_setconn() takes */
static int
check_listen(const char *spec)
{
    return strncmp(spec, "unix:/", 6) == 0 || strncmp(spec, "local:/", 7) == 0 ||
           strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0;
}

/* listen_changed - what a reload cannot change */
static void
listen_changed(const struct conf *old, const struct conf *new)
{
    if (strcmp(old->milter_listen, new->milter_listen) != 0)
        msg_warn("milter_listen changed: takes effect at the next restart");
    if (old->milter_timeout != new->milter_timeout)
        msg_warn("milter_timeout changed: takes effect at the next restart");
}

/*
 * reloader - SIGUSR1 rereads the configuration. libmilter keeps SIGHUP,
 * SIGTERM and SIGINT for itself (its own thread waits for them, and stops
 * the filter on each), so a reload needs a signal of its own, as with
 * OpenDKIM.
 */
static void *
reloader(void *arg)
{
    sigset_t *set = arg;
    for (;;) {
        int sig;
        if (sigwait(set, &sig) == 0 && sig == SIGUSR1 &&
            shared_reload(&milter.sh, conf_path, listen_changed) == 0)
            msg_info("action=reload");
    }
    return NULL;
}

/* start_reloader - block the signals in every thread to come; one thread waits for SIGUSR1 */
static void
start_reloader(void)
{
    static sigset_t usr1;
    sigset_t all;
    sigemptyset(&all);
    sigaddset(&all, SIGUSR1);
    sigaddset(&all, SIGHUP);
    sigaddset(&all, SIGTERM);
    sigaddset(&all, SIGINT);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_t t;
    if (pthread_create(&t, NULL, reloader, &usr1) != 0)
        msg_fatal(71, "cannot start the reload thread");
    pthread_detach(t);
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* wait_idle - after a stop, let the connections in progress end; 1 when all did */
static int
wait_idle(void)
{
    for (int i = 0; i < STOP_WAIT * 10; i++) {
        pthread_mutex_lock(&milter.sh.lock);
        int active = milter.active;
        pthread_mutex_unlock(&milter.sh.lock);
        if (active == 0)
            return 1;
        usleep(100000);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    struct daemon_opts o;
    daemon_options("smsgate-milter", argc, argv, &o);
    conf_path = o.conf_path;

    char *error;
    struct conf *conf = conf_load(conf_path, &error);
    if (conf == NULL)
        msg_fatal(78, "%s", error);
    if (!check_listen(conf->milter_listen))
        msg_fatal(78, "milter_listen = %s: expected unix:/path, inet:port@host or inet6:port@host",
                  conf->milter_listen);
    if (geteuid() == 0 && getpwnam(conf->user) == NULL)
        msg_fatal(78, "user \"%s\" does not exist (set user = in smsgate.conf)", conf->user);
    if (o.check) {
        printf("smsgate-milter: configuration %s is valid\n",
               conf->path ? conf->path : "(built-in defaults)");
        conf_free(conf);
        return 0;
    }
    gethostname(milter.hostname, sizeof(milter.hostname) - 1);
    if (*conf->authserv_id == 0)
        msg_warn("authserv_id is empty: stamping as %s, which smsgate-lmtpd does not trust",
                 milter.hostname);

    struct smfiDesc desc = {
        .xxfi_name = "smsgate-milter",
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
        .xxfi_connect = milter_connect,
        .xxfi_helo = milter_helo,
        .xxfi_envfrom = milter_envfrom,
        .xxfi_envrcpt = milter_envrcpt,
        .xxfi_header = milter_header,
        .xxfi_eoh = milter_eoh,
        .xxfi_body = milter_body,
        .xxfi_eom = milter_eom,
        .xxfi_abort = milter_abort,
        .xxfi_close = milter_close,
        .xxfi_negotiate = milter_negotiate,
    };
    milter.smfi = &milter_smfi_libmilter;
    milter.noreply = MILTER_NOREPLY;
    milter.check = milter_check_db;
    if (smfi_setconn(conf->milter_listen) == MI_FAILURE || smfi_register(desc) == MI_FAILURE ||
        smfi_settimeout(conf->milter_timeout) == MI_FAILURE)
        msg_fatal(71, "milter_listen = %s: libmilter refused it", conf->milter_listen);
    /* Postfix's smtpd runs as its own user: the Unix socket must let it in (mode 0666) */
    mode_t old = umask(0111);
    if (smfi_opensocket(1) == MI_FAILURE)
        msg_fatal(71,
                  "milter_listen = %s: cannot listen (in use, no such directory, no "
                  "permission?)",
                  conf->milter_listen);
    umask(old);
    /* the pid file is written while we may still be root, like Postfix's */
    if (!o.foreground && daemon_detach() < 0)
        msg_fatal(71, "cannot detach into the background");
    if (!o.foreground)
        msg_stderr_too(0);
    if (daemon_pidfile(conf->pid_file, &error) < 0)
        msg_fatal(73, "pid_file: %s", error);
    if (daemon_drop(conf->user, &error) < 0)
        msg_fatal(78, "%s", error);
    shared_init(&milter.sh, conf, POOL_SIZE);
    start_reloader();
    msg_info("action=start listen=%s user=%s authserv_id=%s", conf->milter_listen,
             geteuid() ? conf->user : "root",
             *conf->authserv_id ? conf->authserv_id : milter.hostname);

    /* SIGTERM or SIGINT (and SIGHUP, by libmilter's rule) end smfi_main() */
    int rc = smfi_main() == MI_SUCCESS ? 0 : 70;
    if (wait_idle())
        shared_free(&milter.sh);
    else
        msg_warn("connections still open after %d s, exiting anyway", STOP_WAIT);
    msg_info("action=stop");
    return rc;
}
