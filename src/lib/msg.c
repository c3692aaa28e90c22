/*
 * msg.c - logging
 *
 * One place decides where log lines go: stderr with the program name in
 * front, or syslog(3) with LOG_MAIL. Callers format key=value pairs; this
 * module adds nothing but the severity, so lines stay greppable.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "msg.h"

static const char *msg_prog = "smsgate";
static int msg_syslog;
static int msg_level;
static int msg_both;

/* msg_init - choose the program name and the destination */
void
msg_init(const char *progname, int use_syslog)
{
    msg_prog = progname;
    msg_syslog = use_syslog;
    if (use_syslog)
        openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* msg_stderr_too - a daemon's start-up errors reach the terminal too */
void
msg_stderr_too(int on)
{
    msg_both = on;
}

/* msg_verbose_set - debug lines are printed at level 1 and above */
void
msg_verbose_set(int level)
{
    msg_level = level;
}

/* msg_verbose_get - current verbosity */
int
msg_verbose_get(void)
{
    return msg_level;
}

/* msg_vlog - write one line at a severity */
static void
msg_vlog(int prio, const char *tag, const char *fmt, va_list ap)
{
    if (msg_syslog) {
        va_list copy;
        va_copy(copy, ap);
        vsyslog(prio, fmt, copy);
        va_end(copy);
        if (!msg_both)
            return;
    }
    /*
     * One write per line: stderr is unbuffered, so three stdio calls were
     * three system calls per line, and lines of threads could interleave
     */
    char line[2048], *big = NULL;
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        line[0] = 0;
    if (n >= (int)sizeof(line) && (big = malloc((size_t)n + 1)) != NULL)
        vsnprintf(big, (size_t)n + 1, fmt, again);
    va_end(again);
    fprintf(stderr, "%s: %s%s\n", msg_prog, tag, big ? big : line); /* cut rather than lost */
    free(big);
}

#define MSG_BODY(prio, tag)                                                                        \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        msg_vlog(prio, tag, fmt, ap);                                                              \
        va_end(ap);                                                                                \
    } while (0)

void
msg_debug(const char *fmt, ...)
{
    if (msg_level < 1)
        return;
    MSG_BODY(LOG_DEBUG, "debug: ");
}

void
msg_info(const char *fmt, ...)
{
    MSG_BODY(LOG_INFO, "");
}

void
msg_warn(const char *fmt, ...)
{
    MSG_BODY(LOG_WARNING, "warning: ");
}

void
msg_error(const char *fmt, ...)
{
    MSG_BODY(LOG_ERR, "error: ");
}

void
msg_fatal(int status, const char *fmt, ...)
{
    MSG_BODY(LOG_CRIT, "fatal: ");
    exit(status);
}

void
msg_panic(const char *fmt, ...)
{
    MSG_BODY(LOG_CRIT, "panic: ");
    abort();
}
