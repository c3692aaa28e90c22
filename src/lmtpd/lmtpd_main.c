/*
 * NAME
 *	smsgate-lmtpd - turn mail into queued, paid SMS
 * SYNOPSIS
 *	smsgate-lmtpd [-c FILE] [-f] [-n] [-v]
 * DESCRIPTION
 *	An LMTP server (RFC 2033) for Postfix's lmtp transport. For each
 *	recipient it decides whether an SMS is sent, with what text, from
 *	which account and at what price, commits the SMS with its reservation,
 *	and only then answers 250. See smsgate-lmtpd(8).
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "lmtpd.h"
#include "msg.h"
#include "sender.h"
#include "xalloc.h"

/* check_conf - what conf_load cannot know: xforward_clients must be blocks */
static int
check_conf(const struct conf *conf, char **error_r)
{
    char *copy = xstrdup(conf->xforward_clients), *save = NULL;
    int rc = 0;
    for (char *t = strtok_r(copy, ", \t", &save); t && rc == 0; t = strtok_r(NULL, ", \t", &save))
        if (strcmp(t, "unix") != 0 && !sender_cidr_valid(t)) {
            *error_r =
                xasprintf("xforward_clients: \"%s\" is not unix, an address or a CIDR block", t);
            rc = -1;
        }
    xfree(copy);
    return rc;
}

/* socket_mode - lmtp_socket_mode as a mode, or exit 78 */
static mode_t
socket_mode(const struct conf *conf)
{
    char *end;
    unsigned long mode = strtoul(conf->lmtp_socket_mode, &end, 8);
    if (*conf->lmtp_socket_mode == 0 || *end != 0 || mode > 0777)
        msg_fatal(78, "lmtp_socket_mode = %s: expected an octal mode such as 0660",
                  conf->lmtp_socket_mode);
    return (mode_t)mode;
}

int
main(int argc, char **argv)
{
    struct daemon_opts o;
    daemon_options("smsgate-lmtpd", argc, argv, &o);
    const char *conf_path = o.conf_path;
    int foreground = o.foreground, check = o.check;

    char *error;
    struct conf *conf = conf_load(conf_path, &error);
    if (conf == NULL || check_conf(conf, &error) < 0)
        msg_fatal(78, "%s", error);
    if (geteuid() == 0 && getpwnam(conf->user) == NULL)
        msg_fatal(78, "user \"%s\" does not exist (set user = in smsgate.conf)", conf->user);
    if (strncmp(conf->lmtp_listen, "unix:/", 6) != 0 && strncmp(conf->lmtp_listen, "inet:", 5) != 0)
        msg_fatal(78, "lmtp_listen = %s: expected unix:/path or inet:host:port", conf->lmtp_listen);
    mode_t mode = socket_mode(conf);
    if (*conf->lmtp_socket_group && getgrnam(conf->lmtp_socket_group) == NULL)
        msg_fatal(78, "lmtp_socket_group = %s: no such group", conf->lmtp_socket_group);
    if (check) {
        printf("smsgate-lmtpd: configuration %s is valid\n",
               conf->path ? conf->path : "(built-in defaults)");
        conf_free(conf);
        return 0;
    }

    struct server s = {0};
    s.listen_fd = daemon_listen(conf->lmtp_listen, 128, mode, conf->lmtp_socket_group, &s.is_unix,
                                &error);
    if (s.listen_fd < 0)
        msg_fatal(71, "lmtp_listen: %s", error);
    /* the pid file is written while we may still be root, like Postfix's */
    if (!foreground && daemon_detach() < 0)
        msg_fatal(71, "cannot detach into the background");
    if (!foreground)
        msg_stderr_too(0);
    if (daemon_pidfile(conf->pid_file, &error) < 0)
        msg_fatal(73, "pid_file: %s", error);
    if (daemon_drop(conf->user, &error) < 0)
        msg_fatal(78, "%s", error);
    daemon_signals();
    msg_info("action=start listen=%s user=%s", conf->lmtp_listen, geteuid() ? conf->user : "root");

    shared_init(&s.sh, conf, conf->lmtp_max_connections);
    server_run(&s, conf_path);
    msg_info("action=stop");
    return 0;
}
