/*
 * number.c - international number syntax (pure)
 *
 * Only the syntax of an international number is checked here: country
 * codes never begin with 0, E.164 allows at most 15 digits, and fewer than
 * 8 digits is no mobile number anywhere. Whether a number can receive an SMS
 * is the numbering plan's question, answered where mail is taken in.
 */
#include "config.h"

#include <string.h>

#include "number.h"

/* number_e164 - normalise separators and the international prefix */
int
number_e164(const char *in, char out[NUMBER_E164_MAX], const char **error_r)
{
    char digits[64];
    size_t n = 0;
    const char *p = in;
    int plus = 0;

    while (*p == ' ')
        p++;
    if (*p == '+') {
        plus = 1;
        p++;
    }
    for (; *p; p++) {
        /*
         * "+44 (0)20 ..." marks the trunk prefix dialled only inside the
         * country; keeping its 0 would make a different number, so refuse
         * rather than guess.
         */
        if (p[0] == '(' && p[1] == '0' && p[2] == ')') {
            *error_r = "\"(0)\" is the trunk prefix used inside a country: "
                       "write the number without it, as +44 20 7946 0000";
            return -1;
        }
        if (*p >= '0' && *p <= '9') {
            if (n + 1 >= sizeof(digits)) {
                *error_r = "too many digits";
                return -1;
            }
            digits[n++] = *p;
        } else if (!strchr(" .-()", *p)) {
            *error_r = "a number has only digits, '+' and the separators . - ( ) and space";
            return -1;
        }
    }
    digits[n] = 0;
    const char *d = digits;
    if (!plus && d[0] == '0' && d[1] == '0')
        d += 2;
    else if (!plus && d[0] == '0') {
        *error_r = "a national number (leading 0): write it with its country code";
        return -1;
    }
    size_t len = strlen(d);
    if (len == 0) {
        *error_r = "no digits";
        return -1;
    }
    if (d[0] == '0') {
        *error_r = "a country code never begins with 0";
        return -1;
    }
    if (len < 8 || len > 15) {
        *error_r = "an international number has 8 to 15 digits";
        return -1;
    }
    memcpy(out, d, len + 1);
    return 0;
}
