/*
 * amount_test.c - money strings to micro-units and back
 *
 * The parser is the only way an administrator's typing becomes money, so
 * every refusal below is a wrong invoice that did not happen.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "tap.h"

#define REFUSED (-1)

static const struct {
    const char *in;
    enum amount_sign sign;
    int rc;
    amount_t want;   /* when rc == 0 */
    const char *why; /* substring of the reason when refused, or NULL */
} parse_cases[] = {
    /* plain values */
    {"0.075", AMOUNT_POSITIVE_ONLY, 0, 75000, NULL},
    {"12", AMOUNT_POSITIVE_ONLY, 0, 12000000, NULL},
    {"12.5", AMOUNT_POSITIVE_ONLY, 0, 12500000, NULL},
    {"1.000001", AMOUNT_POSITIVE_ONLY, 0, 1000001, NULL},
    {"0.000001", AMOUNT_POSITIVE_ONLY, 0, 1, NULL},
    {"000012.50", AMOUNT_POSITIVE_ONLY, 0, 12500000, NULL},
    {".5", AMOUNT_POSITIVE_ONLY, 0, 500000, NULL},
    {"+2", AMOUNT_POSITIVE_ONLY, 0, 2000000, NULL},
    {"+0.5", AMOUNT_ALLOW_ZERO, 0, 500000, NULL},
    /* more than six decimals is a typing mistake, never rounded */
    {"1.0000001", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "six decimals"},
    {"0.0755555", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "six decimals"},
    {"1.0000000", AMOUNT_ALLOW_ZERO, REFUSED, 0, "six decimals"},
    /* not decimal numbers */
    {"1,5", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "not a decimal number"},
    {"", AMOUNT_ALLOW_ZERO, REFUSED, 0, "empty"},
    {".", AMOUNT_ALLOW_ZERO, REFUSED, 0, NULL},
    {"5.", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "after the decimal point"},
    {"-", AMOUNT_ALLOW_NEGATIVE, REFUSED, 0, NULL},
    {"+", AMOUNT_ALLOW_NEGATIVE, REFUSED, 0, NULL},
    {"--3", AMOUNT_ALLOW_NEGATIVE, REFUSED, 0, NULL},
    {"+-3", AMOUNT_ALLOW_NEGATIVE, REFUSED, 0, NULL},
    {" 1", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    {"1 ", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    {"1x", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    {"x1", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    {"1.5.0", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    {"1e3", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    {"0x10", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    {"1.5\n", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    {"EUR 5", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    /* sign policy */
    {"-3", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "negative"},
    {"-3", AMOUNT_ALLOW_ZERO, REFUSED, 0, "negative"},
    {"-3", AMOUNT_ALLOW_NEGATIVE, 0, -3000000, NULL},
    {"-0.000001", AMOUNT_ALLOW_NEGATIVE, 0, -1, NULL},
    {"0", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "greater than zero"},
    {"0.000000", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "greater than zero"},
    {"-0", AMOUNT_POSITIVE_ONLY, REFUSED, 0, NULL},
    {"0", AMOUNT_ALLOW_ZERO, 0, 0, NULL},
    {"0.0", AMOUNT_ALLOW_ZERO, 0, 0, NULL},
    {"0", AMOUNT_ALLOW_NEGATIVE, 0, 0, NULL},
    /* AMOUNT_MAX, one billion units, either sign */
    {"1000000000", AMOUNT_POSITIVE_ONLY, 0, AMOUNT_MAX, NULL},
    {"1000000000.000000", AMOUNT_POSITIVE_ONLY, 0, AMOUNT_MAX, NULL},
    {"999999999.999999", AMOUNT_POSITIVE_ONLY, 0, AMOUNT_MAX - 1, NULL},
    {"-1000000000", AMOUNT_ALLOW_NEGATIVE, 0, -AMOUNT_MAX, NULL},
    {"1000000000.000001", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "too large"},
    {"-1000000000.000001", AMOUNT_ALLOW_NEGATIVE, REFUSED, 0, "too large"},
    {"1000000001", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "too large"},
    {"10000000000", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "too large"},
    {"9223372036854775807", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "too large"},
    {"99999999999999999999999999999999", AMOUNT_POSITIVE_ONLY, REFUSED, 0, "too large"},
    {"-99999999999999999999999999999999", AMOUNT_ALLOW_NEGATIVE, REFUSED, 0, "too large"},
};

static const struct {
    amount_t in;
    const char *want;
} format_cases[] = {
    {75000, "0.075"},
    {12000000, "12.00"},
    {12500000, "12.50"},
    {12340000, "12.34"},
    {12345000, "12.345"},
    {1, "0.000001"},
    {0, "0.00"},
    {1000001, "1.000001"},
    {-1, "-0.000001"},
    {-3000000, "-3.00"},
    {-75000, "-0.075"},
    {AMOUNT_MAX, "1000000000.00"},
    {-AMOUNT_MAX, "-1000000000.00"},
    {INT64_MAX, "9223372036854.775807"},
    {INT64_MIN, "-9223372036854.775808"},
};

static const char *const sign_names[] = {"positive", "zero ok", "negative ok"};

int
main(void)
{
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        amount_t got = 424242;
        const char *why = NULL;
        int rc = amount_parse(parse_cases[i].in, parse_cases[i].sign, &got, &why);
        const char *sn = sign_names[parse_cases[i].sign];
        if (parse_cases[i].rc == 0) {
            if (ok(rc == 0 && got == parse_cases[i].want, "parse \"%s\" (%s) = %lld",
                   vis(parse_cases[i].in), sn, (long long)parse_cases[i].want))
                continue;
            diag("  rc %d, got %lld, reason %s", rc, (long long)got, why ? why : "(none)");
        } else {
            int good = rc == -1 && got == 424242 && why != NULL && *why != 0 &&
                       (parse_cases[i].why == NULL || strstr(why, parse_cases[i].why) != NULL);
            if (!ok(good, "parse \"%s\" (%s) refused%s%s", vis(parse_cases[i].in), sn,
                    parse_cases[i].why ? ": " : "", parse_cases[i].why ? parse_cases[i].why : ""))
                diag("  rc %d, got %lld, reason %s", rc, (long long)got, why ? why : "(none)");
        }
    }

    {
        const char *why = NULL;
        amount_t got = 7;
        ok(amount_parse(NULL, AMOUNT_ALLOW_ZERO, &got, &why) == -1 && got == 7 && why != NULL,
           "parse NULL refused");
    }

    char buf[AMOUNT_STRLEN];
    for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
        char *r = amount_format(format_cases[i].in, buf);
        ok(r == buf, "format %lld returns its buffer", (long long)format_cases[i].in);
        is_str(buf, format_cases[i].want, "format %lld", (long long)format_cases[i].in);
    }

    /* what is printed parses back to the same amount */
    static const amount_t round[] = {1,          75000,  12000000, 12500000, 1000001,
                                     123456789,  999999, -1,       -75000,   -AMOUNT_MAX,
                                     AMOUNT_MAX, 0,      10,       100000,   999999999999999};
    for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
        amount_t back = 424242;
        const char *why = NULL;
        amount_format(round[i], buf);
        int rc = amount_parse(buf, AMOUNT_ALLOW_NEGATIVE, &back, &why);
        if (!ok(rc == 0 && back == round[i], "round trip %lld via \"%s\"", (long long)round[i],
                buf))
            diag("  rc %d, back %lld, reason %s", rc, (long long)back, why ? why : "(none)");
    }
    return done_testing();
}
