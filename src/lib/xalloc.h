/* xalloc.h - allocation that succeeds or never returns */
#ifndef SMSGATE_XALLOC_H
#define SMSGATE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf - formatted string in fresh memory */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* xfree - free(NULL) is safe, as in the C library */
void xfree(void *p);

#endif
