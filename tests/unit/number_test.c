/*
 * number_test.c - destination numbers into E.164 digits
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "number.h"
#include "tap.h"

/* vis - input as printable text for a test description */
static const char *
vis(const char *s)
{
    static char buf[256];
    size_t o = 0;
    for (; *s && o + 5 < sizeof(buf); s++)
        if (*s >= 0x20 && *s < 0x7f)
            buf[o++] = *s;
        else
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", (unsigned char)*s);
    buf[o] = 0;
    return buf;
}

static const struct {
    const char *in;
    const char *want; /* NULL: refused */
    const char *why;  /* substring of the reason when refused, or NULL */
} cases[] = {
    /* the three ways of writing an international number */
    {"+61 412-345.678", "61412345678", NULL},
    {"+61412345678", "61412345678", NULL},
    {"0061412345678", "61412345678", NULL},
    {"61412345678", "61412345678", NULL},
    {"00 61 412 345 678", "61412345678", NULL},
    {"+1 (415) 555-0100", "14155550100", NULL},
    {"  +44 20 7946 0000", "442079460000", NULL},
    {"+61 412 345 678 ", "61412345678", NULL},
    /* bounds: 8 to 15 digits */
    {"+12345678", "12345678", NULL},
    {"+123456789012345", "123456789012345", NULL},
    {"00123456789012345", "123456789012345", NULL},
    {"+1234567", NULL, "8 to 15"},
    {"+1234567890123456", NULL, "8 to 15"},
    {"001234567", NULL, "8 to 15"},
    {"+12345678901234567890123456789012345678901234567890123456789012345678901234567890", NULL,
     NULL},
    /* national numbers need a country code */
    {"0412345678", NULL, "national"},
    {"0412 345 678", NULL, "national"},
    {"(04) 1234 5678", NULL, "national"},
    /*
     * "(0)" is the trunk prefix dialled only from inside the country; kept,
     * it would turn +44 20 7946 0000 into 4402079460000, somebody else's
     * number (or none), and the SMS would still be charged
     */
    {"+44 (0)20 7946 0000", NULL, "(0)"},
    {"+61 (0) 412 345 678", NULL, "(0)"},
    {"0044 (0)20 7946 0000", NULL, "(0)"},
    /* a country code never begins with 0 */
    {"+0412345678", NULL, "never begins with 0"},
    {"+061412345678", NULL, "never begins with 0"},
    {"000412345678", NULL, "never begins with 0"},
    /* not a number at all */
    {"", NULL, "no digits"},
    {"+", NULL, "no digits"},
    {"   ", NULL, "no digits"},
    {"00", NULL, "no digits"},
    {"+61 412 ABC 678", NULL, "only digits"},
    {"+61412345678x", NULL, "only digits"},
    {"tel:+61412345678", NULL, "only digits"},
    {"61412345678@example.com", NULL, "only digits"},
    {"++61412345678", NULL, "only digits"},
    {"+61+412345678", NULL, "only digits"},
    {"+61/412345678", NULL, "only digits"},
    {"+61\t412345678", NULL, "only digits"},
    {"+61412345678\n", NULL, "only digits"},
};

int
main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[NUMBER_E164_MAX];
        const char *why = NULL;
        memset(out, 'X', sizeof(out));
        int rc = number_e164(cases[i].in, out, &why);
        if (cases[i].want) {
            if (!ok(rc == 0 && memchr(out, 0, sizeof(out)) && strcmp(out, cases[i].want) == 0,
                    "\"%s\" is %s", vis(cases[i].in), cases[i].want))
                diag("  rc %d, got \"%.*s\", reason %s", rc, (int)sizeof(out), out,
                     why ? why : "(none)");
        } else {
            int good = rc == -1 && why != NULL && *why &&
                       (cases[i].why == NULL || strstr(why, cases[i].why) != NULL) && out[0] == 'X';
            if (!ok(good, "\"%s\" refused%s%s", vis(cases[i].in), cases[i].why ? ": " : "",
                    cases[i].why ? cases[i].why : ""))
                diag("  rc %d, reason %s", rc, why ? why : "(none)");
        }
    }
    return done_testing();
}
