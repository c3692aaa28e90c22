/* msg.h - one logging API for every smsgate program */
#ifndef SMSGATE_MSG_H
#define SMSGATE_MSG_H

#include <stdarg.h>

/*
 * Log lines are "key=value" pairs so that a postmaster can grep them and a
 * test can assert on them: msg_info("account=%s action=topup amount=%s", ...).
 * Programs log to stderr (foreground, smsgatectl) or syslog (daemons).
 */
void msg_init(const char *progname, int use_syslog);
void msg_verbose_set(int level);
/* msg_stderr_too - with syslog, also write to stderr (until a daemon detaches) */
void msg_stderr_too(int on);
int msg_verbose_get(void);

void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* msg_fatal - log and exit(status); only at start-up */
void msg_fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* msg_panic - a broken internal invariant: log and abort() */
void msg_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
