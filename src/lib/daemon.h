/* daemon.h - what every smsgate daemon does the same way */
#ifndef SMSGATE_DAEMON_H
#define SMSGATE_DAEMON_H

#include <sys/types.h>

#include <signal.h>

/*
 * daemon_listen - "unix:/path" (a stale socket is replaced; its group,
 * when not NULL or "", and mode are set before it listens) or
 * "inet:host:port". Returns the listening descriptor, or -1 with a reason
 * in *error_r (allocated). *is_unix_r tells which.
 */
int daemon_listen(const char *spec, int backlog, mode_t mode, const char *group, int *is_unix_r,
                  char **error_r);

/* daemon_drop - when root, become user (and its groups); 0 or -1 with a reason */
int daemon_drop(const char *user, char **error_r);

/* daemon_detach - into the background, stdio to /dev/null; 0 or -1 */
int daemon_detach(void);

/* daemon_pidfile - write our pid to path ("" or NULL: none); 0 or -1 */
int daemon_pidfile(const char *path, char **error_r);

/* The options every daemon takes: -c FILE, -f, -n, -v. */
struct daemon_opts {
    const char *conf_path; /* NULL: the default file */
    int foreground, check, verbose;
};

/*
 * daemon_options - parse them (exit 64 with a usage line on a mistake) and
 * start logging: stderr with -f or -n, else syslog, and stderr as well
 * until the daemon detaches, so whoever started it sees why it failed.
 */
void daemon_options(const char *prog, int argc, char **argv, struct daemon_opts *o);

/* Set by the signal handlers that daemon_signals() installs. */
extern volatile sig_atomic_t daemon_stop;   /* SIGTERM, SIGINT */
extern volatile sig_atomic_t daemon_reload; /* SIGHUP */

/* daemon_signals - TERM/INT stop, HUP reloads, PIPE ignored */
void daemon_signals(void);

#endif
