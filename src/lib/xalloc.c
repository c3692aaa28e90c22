/*
 * xalloc.c - memory allocation
 *
 * Out of memory is not something a caller can usefully handle in the middle
 * of a database transaction; like Postfix's mymalloc(), we log and exit with
 * EX_TEMPFAIL (75), so that a daemon's supervisor restarts it and Postfix
 * retries the mail later instead of bouncing it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "xalloc.h"

#define XALLOC_EXIT 75

static void *
xcheck(void *p, size_t n)
{
    if (p == NULL && n != 0)
        msg_fatal(XALLOC_EXIT, "out of memory allocating %zu bytes", n);
    return p;
}

/* xmalloc - malloc or die */
void *
xmalloc(size_t n)
{
    return xcheck(malloc(n ? n : 1), n);
}

/* xcalloc - calloc or die */
void *
xcalloc(size_t n, size_t size)
{
    return xcheck(calloc(n ? n : 1, size ? size : 1), n * size);
}

/* xrealloc - realloc or die */
void *
xrealloc(void *p, size_t n)
{
    return xcheck(realloc(p, n ? n : 1), n);
}

/* xstrdup - strdup or die */
char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

/* xstrndup - copy at most n bytes and terminate */
char *
xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

/* xasprintf - vasprintf or die */
char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg_panic("xasprintf: bad format \"%s\"", fmt);
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* xfree - free, NULL allowed */
void
xfree(void *p)
{
    free(p);
}
