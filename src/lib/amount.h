/* amount.h - money as integer micro-units, written as decimal strings */
#ifndef SMSGATE_AMOUNT_H
#define SMSGATE_AMOUNT_H

#include <stdint.h>

/*
 * Money is never a float: 1 currency unit = 1,000,000 micro-units, in an
 * int64_t. "0.075" is 75000. Amounts are limited to AMOUNT_MAX in magnitude
 * so that sums of many of them cannot overflow.
 */
typedef int64_t amount_t;

#define AMOUNT_SCALE 1000000LL
#define AMOUNT_MAX (1000000000LL * AMOUNT_SCALE) /* one billion units */
#define AMOUNT_STRLEN 32

enum amount_sign { AMOUNT_POSITIVE_ONLY, AMOUNT_ALLOW_ZERO, AMOUNT_ALLOW_NEGATIVE };

/*
 * amount_parse - "12", "0.075", "-3.5" into micro-units. Returns 0, or -1
 * with a reason a person can act on in *error_r (a static string).
 */
int amount_parse(const char *s, enum amount_sign sign, amount_t *amount_r, const char **error_r);
/* amount_format - write a with at least two and at most six decimals */
char *amount_format(amount_t a, char buf[AMOUNT_STRLEN]);

#endif
