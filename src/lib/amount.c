/*
 * amount.c - parse and print money
 *
 * The parser is strict on purpose: an administrator who types "0.0755555"
 * (seven decimals) or "1,5" has made a mistake that silent rounding would
 * turn into a wrong invoice, so both are refused with a message.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "amount.h"

/* amount_parse - decimal string to micro-units */
int
amount_parse(const char *s, enum amount_sign sign, amount_t *amount_r, const char **error_r)
{
    const char *p = s;
    int neg = 0;
    int64_t whole = 0, frac = 0;
    int ndigits = 0, nfrac = 0;

    if (s == NULL || *s == 0) {
        *error_r = "empty amount";
        return -1;
    }
    if (*p == '-' || *p == '+') {
        neg = (*p == '-');
        p++;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > AMOUNT_MAX / AMOUNT_SCALE) {
            *error_r = "amount too large";
            return -1;
        }
        whole = whole * 10 + (*p - '0');
        ndigits++;
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++nfrac > 6) {
                *error_r = "more than six decimals";
                return -1;
            }
            frac = frac * 10 + (*p - '0');
        }
        if (nfrac == 0) {
            *error_r = "no digits after the decimal point";
            return -1;
        }
    }
    if (*p != 0 || ndigits + nfrac == 0) {
        *error_r = "not a decimal number (write it like 12.5 or 0.075)";
        return -1;
    }
    for (int i = nfrac; i < 6; i++)
        frac *= 10;
    int64_t v = whole * AMOUNT_SCALE + frac;
    if (v > AMOUNT_MAX) {
        *error_r = "amount too large";
        return -1;
    }
    if (neg)
        v = -v;
    if (v < 0 && sign != AMOUNT_ALLOW_NEGATIVE) {
        *error_r = "negative amount not allowed here";
        return -1;
    }
    if (v == 0 && sign == AMOUNT_POSITIVE_ONLY) {
        *error_r = "amount must be greater than zero";
        return -1;
    }
    *amount_r = v;
    return 0;
}

/* amount_format - micro-units to "12.50", "0.075", "-0.000001" */
char *
amount_format(amount_t a, char buf[AMOUNT_STRLEN])
{
    uint64_t u = a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a;
    char frac[8];
    snprintf(frac, sizeof(frac), "%06llu", (unsigned long long)(u % AMOUNT_SCALE));
    int len = 6;
    while (len > 2 && frac[len - 1] == '0')
        len--;
    frac[len] = 0;
    snprintf(buf, AMOUNT_STRLEN, "%s%llu.%s", a < 0 ? "-" : "",
             (unsigned long long)(u / AMOUNT_SCALE), frac);
    return buf;
}
