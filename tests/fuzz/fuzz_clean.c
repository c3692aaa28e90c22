/*
 * fuzz_clean.c - libFuzzer target for clean_body() and clean_subject()
 *
 * Mail text is written by anyone, so clean.c must survive anything: no
 * crash, no sanitizer report, no runaway time. Beyond that it checks what
 * clean.h promises of every output: never longer than the input, always
 * valid UTF-8, blanks single spaces, no control character but '\n' in a
 * body (none in a subject), no empty line, nothing blank at either end.
 *
 * The body is cleaned three times: without options, with fixed markers,
 * and with markers taken from the input's last line, so that the fuzzer
 * also steers the markers.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I<builddir> -Isrc/lib \
 *	    tests/fuzz/fuzz_clean.c src/lib/{clean,xalloc,msg}.c -o fuzz_clean
 *	./fuzz_clean -max_total_time=60 tests/fuzz/seeds/clean
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clean.h"
#include "xalloc.h"

#define MARKER_MAX 200 /* as smsgatectl(8) bounds end_marker= and disclaimer= */

/* utf8_valid - s is well-formed UTF-8 (RFC 3629) */
static int
utf8_valid(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s, lo = 0x80, hi = 0xbf;
        int k, i;

        if (c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            k = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80;
            hi = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf;
        } else
            return 0;
        for (i = 1; i <= k; i++) {
            if (s[i] < lo || s[i] > hi)
                return 0;
            lo = 0x80;
            hi = 0xbf;
        }
        s += k + 1;
    }
    return 1;
}

/* check - the promises of clean.h for one output of an input of len bytes */
static void
check(const char *out, size_t len, int body)
{
    size_t n = strlen(out), i;

    if (n > len)
        abort();
    if (!utf8_valid((const unsigned char *)out))
        abort();
    if (n > 0 && (out[0] == ' ' || out[0] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\n'))
        abort();
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c == '\n' && !body)
            abort();
        if ((c < 0x20 && c != '\n') || c == 0x7f)
            abort();
        /* one space between words; no empty lines; lines trimmed */
        if (i + 1 < n && (c == ' ' || c == '\n') && (out[i + 1] == ' ' || out[i + 1] == '\n'))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one input through every entry point */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size), *out, *end, *disc, *nl;
    size_t len = strlen(text);
    struct clean_opts fixed = {"##", "confidential"}, derived = {NULL, NULL};

    out = clean_body(text, NULL);
    check(out, len, 1);
    xfree(out);

    out = clean_body(text, &fixed);
    check(out, len, 1);
    xfree(out);

    /* markers from the last line: end marker its first half, disclaimer the rest */
    nl = strrchr(text, '\n');
    if (nl && strlen(nl + 1) <= 2 * MARKER_MAX) {
        size_t half = strlen(nl + 1) / 2;
        end = xstrndup(nl + 1, half);
        disc = xstrdup(nl + 1 + half);
        derived.end_marker = end;
        derived.disclaimer = disc;
        out = clean_body(text, &derived);
        check(out, len, 1);
        xfree(out);
        xfree(end);
        xfree(disc);
    }

    out = clean_subject(text);
    check(out, len, 0);
    xfree(out);

    xfree(text);
    return 0;
}
