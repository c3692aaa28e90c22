/* tap.h - Test Anything Protocol output for automake's tap-driver.sh */
#ifndef SMSGATE_TAP_H
#define SMSGATE_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

/* ok - one test point; returns cond so callers can add diagnostics */
static inline int __attribute__((format(printf, 2, 3))) ok(int cond, const char *fmt, ...)
{
    va_list ap;
    printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (!cond)
        tap_failed++;
    return cond;
}

/* diag - a comment line */
static inline void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
    va_list ap;
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

#define is_int(got, want, ...)                                                                     \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (!ok(g_ == w_, __VA_ARGS__))                                                            \
            diag("  got %lld, want %lld", g_, w_);                                                 \
    } while (0)

#define is_str(got, want, ...)                                                                     \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__))                           \
            diag("  got \"%s\", want \"%s\"", g_ ? g_ : "(null)", w_ ? w_ : "(null)");             \
    } while (0)

/*
 * vis - a test input as printable text for a description: control bytes
 * as \xHH, long ones cut with "...". Four rotating buffers, so one
 * description may show several inputs.
 */
static inline const char *
vis(const char *s)
{
    static char bufs[4][256];
    static int next;
    char *buf = bufs[next++ % 4];
    size_t o = 0;
    if (s == NULL)
        return "(null)";
    for (; *s && o + 8 < sizeof(bufs[0]); s++)
        if ((unsigned char)*s >= 0x20 && *s != 0x7f)
            buf[o++] = *s;
        else
            o += (size_t)snprintf(buf + o, sizeof(bufs[0]) - o, "\\x%02x", (unsigned char)*s);
    if (*s)
        o += (size_t)snprintf(buf + o, sizeof(bufs[0]) - o, "...");
    buf[o] = 0;
    return buf;
}

/* done_testing - the plan at the end; exit status for the harness */
static inline int
done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

/* bail - give up the whole test file */
static inline void __attribute__((noreturn, format(printf, 1, 2))) bail(const char *fmt, ...)
{
    va_list ap;
    printf("Bail out! ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(1);
}

#endif
