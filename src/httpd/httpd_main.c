/*
 * NAME
 *	smsgate-httpd - take carriers' callbacks: delivery receipts, inbound SMS
 * SYNOPSIS
 *	smsgate-httpd [-c FILE] [-f] [-n] [-v]
 * DESCRIPTION
 *	An HTTP server for carriers. /dlr/CARRIER/SECRET moves a submitted
 *	SMS to delivered or undeliverable (with its money: posted or voided
 *	when the universe charges on delivery) and records intermediate
 *	news in its history; /mo/CARRIER/SECRET stores an inbound SMS. Each
 *	carrier has its own secret and, optionally, the networks it calls
 *	from. See smsgate-httpd(8).
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "httpd.h"
#include "msg.h"
#include "xalloc.h"

/* callback_carriers - how many carriers take callbacks (have a secret) */
static int
callback_carriers(const struct conf *conf)
{
    int n = 0;
    for (int i = 0; i < conf->ncarriers; i++)
        n += *conf->carriers[i].callback_secret != '\0';
    return n;
}

int
main(int argc, char **argv)
{
    struct daemon_opts o;
    daemon_options("smsgate-httpd", argc, argv, &o);
    char *error;
    struct conf *conf = conf_load(o.conf_path, &error);
    if (conf == NULL)
        msg_fatal(78, "%s", error);
    if (geteuid() == 0 && getpwnam(conf->user) == NULL)
        msg_fatal(78, "user \"%s\" does not exist (set user = in smsgate.conf)", conf->user);
    if (strncmp(conf->http_listen, "inet:", 5) != 0)
        msg_fatal(78, "http_listen = %s: expected inet:host:port", conf->http_listen);
    int n = callback_carriers(conf);
    if (o.check) {
        printf("smsgate-httpd: configuration %s is valid (%d carrier%s taking callbacks)\n",
               conf->path ? conf->path : "(built-in defaults)", n, n == 1 ? "" : "s");
        conf_free(conf);
        return 0;
    }

    struct server s = {0};
    int is_unix;
    /* the port may be privileged: bound before privileges are dropped */
    s.listen_fd = daemon_listen(conf->http_listen, 128, 0666, NULL, &is_unix, &error);
    if (s.listen_fd < 0)
        msg_fatal(71, "http_listen: %s", error);
    if (!o.foreground && daemon_detach() < 0)
        msg_fatal(71, "cannot detach into the background");
    if (!o.foreground)
        msg_stderr_too(0);
    if (daemon_pidfile(conf->pid_file, &error) < 0)
        msg_fatal(73, "pid_file: %s", error);
    if (daemon_drop(conf->user, &error) < 0)
        msg_fatal(78, "%s", error);
    daemon_signals();
    msg_info("action=start listen=%s carriers=%d user=%s", conf->http_listen, n,
             geteuid() ? conf->user : "root");

    shared_init(&s.sh, conf, conf->http_max_connections);
    if (server_run(&s, o.conf_path) < 0)
        msg_fatal(71, "cannot serve HTTP (see the libmicrohttpd lines above)");
    msg_info("action=stop");
    return 0;
}
