/*
 * phone_test.c - recipient local parts into E.164 numbers (phone.cc)
 *
 * The numbers are libphonenumber's own example numbers or ranges that have
 * been stable for years, so a metadata update should not turn a case; when
 * one does, the diagnostic names the input and what the plan now says.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "phone.h"
#include "tap.h"

#define INTL PHONE_INTERNATIONAL
#define LOCAL PHONE_LOCAL

static const char *
result_name(enum phone_result r)
{
    static const char *const names[] = {"OK",         "NOT_A_NUMBER", "NEEDS_COUNTRY", "INVALID",
                                        "NOT_MOBILE", "NOT_ALLOWED",  "TEMPFAIL"};
    return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

static const struct {
    const char *in, *country;
    enum phone_policy policy;
    enum phone_result want;
    const char *e164; /* on PHONE_OK */
    const char *why;  /* a substring of the reason, or NULL */
} cases[] = {
    /* Australia: the forms the issue names, all one number */
    {"0412345678", "AU", INTL, PHONE_OK, "61412345678", NULL},
    {"0412-345.678", "AU", INTL, PHONE_OK, "61412345678", NULL},
    {"04.12.34.56.78", "AU", LOCAL, PHONE_OK, "61412345678", NULL},
    {"+61412345678", NULL, INTL, PHONE_OK, "61412345678", NULL},
    {"+61412345678", "AU", LOCAL, PHONE_OK, "61412345678", NULL},
    {"+61-412-345-678", NULL, INTL, PHONE_OK, "61412345678", NULL},
    {"61412345678", NULL, INTL, PHONE_OK, "61412345678", NULL},
    {"61412345678", "AU", LOCAL, PHONE_OK, "61412345678", NULL},
    {"0061412345678", NULL, INTL, PHONE_OK, "61412345678", NULL},
    {"0061412345678", "AU", LOCAL, PHONE_OK, "61412345678", NULL},
    {"00-61-412-345-678", "US", INTL, PHONE_OK, "61412345678", NULL},
    /* leniencies the library brings: no trunk prefix, trunk prefix after the code */
    {"412345678", "AU", INTL, PHONE_OK, "61412345678", NULL},
    {"+610412345678", NULL, INTL, PHONE_OK, "61412345678", NULL},
    /* Australia's own international prefix is 0011, which stripping 00 would misread */
    {"0011-61-412-345-678", "AU", INTL, PHONE_OK, "61412345678", NULL},
    {"001161412345678", NULL, INTL, PHONE_INVALID, NULL, NULL},
    {"0412345678", "au", INTL, PHONE_OK, "61412345678", NULL},
    /* fixed lines and services */
    {"0298765432", "AU", INTL, PHONE_NOT_MOBILE, NULL, "fixed-line"},
    {"+61298765432", NULL, INTL, PHONE_NOT_MOBILE, NULL, "fixed-line"},
    {"+61-2-9876-5432", "AU", LOCAL, PHONE_NOT_MOBILE, NULL, "fixed-line"},
    {"+611900123456", NULL, INTL, PHONE_NOT_MOBILE, NULL, "premium-rate"},
    {"1900123456", "AU", INTL, PHONE_NOT_MOBILE, NULL, "premium-rate"},
    {"1800123456", "AU", INTL, PHONE_NOT_MOBILE, NULL, "toll-free"},
    {"+611800123456", NULL, INTL, PHONE_NOT_MOBILE, NULL, "toll-free"},
    /* wrong lengths */
    {"041234567", "AU", INTL, PHONE_INVALID, NULL, "too few digits"},
    {"04123456789", "AU", INTL, PHONE_INVALID, NULL, NULL},
    {"+6141234567", NULL, INTL, PHONE_INVALID, NULL, "too few digits"},
    {"+614123456789", NULL, INTL, PHONE_INVALID, NULL, "too many digits"},
    {"+6141234567890123", NULL, INTL, PHONE_INVALID, NULL, "too many digits"},
    {"+61190012345", NULL, INTL, PHONE_INVALID, NULL, NULL},
    /* national numbers need the rule's country */
    {"0412345678", NULL, INTL, PHONE_NEEDS_COUNTRY, NULL, "country code"},
    {"0412345678", "", INTL, PHONE_NEEDS_COUNTRY, NULL, NULL},
    {"0412345678", "XX", INTL, PHONE_NEEDS_COUNTRY, NULL, NULL},
    {"0412345678", "ZZ", INTL, PHONE_NEEDS_COUNTRY, NULL, NULL},
    {"0412345678", "AUS", INTL, PHONE_NEEDS_COUNTRY, NULL, NULL},
    {"0", NULL, INTL, PHONE_NEEDS_COUNTRY, NULL, NULL},

    /* the local-only policy */
    {"+447400123456", "AU", LOCAL, PHONE_NOT_ALLOWED, NULL, "own country"},
    {"00447400123456", "AU", LOCAL, PHONE_NOT_ALLOWED, NULL, "own country"},
    {"447400123456", "AU", LOCAL, PHONE_NOT_ALLOWED, NULL, "own country"},
    {"447400123456", "AU", INTL, PHONE_OK, "447400123456", NULL},
    {"+61412345678", NULL, LOCAL, PHONE_NOT_ALLOWED, NULL, "postmaster"},
    {"+61412345678", "XX", LOCAL, PHONE_NOT_ALLOWED, NULL, "postmaster"},
    {"+61412345678", "NZ", LOCAL, PHONE_NOT_ALLOWED, NULL, "own country"},
    /* a fixed line is refused as such, before the policy looks at it */
    {"+442012345678", "AU", LOCAL, PHONE_NOT_MOBILE, NULL, NULL},

    /* United Kingdom */
    {"07400123456", "GB", INTL, PHONE_OK, "447400123456", NULL},
    {"07400.123.456", "GB", LOCAL, PHONE_OK, "447400123456", NULL},
    {"+447400123456", NULL, INTL, PHONE_OK, "447400123456", NULL},
    {"00447400123456", NULL, INTL, PHONE_OK, "447400123456", NULL},
    {"447400123456", "GB", LOCAL, PHONE_OK, "447400123456", NULL},
    {"02012345678", "GB", INTL, PHONE_NOT_MOBILE, NULL, "fixed-line"},
    {"+44-20-7946-0000", NULL, INTL, PHONE_NOT_MOBILE, NULL, "fixed-line"},
    {"08001234567", "GB", INTL, PHONE_NOT_MOBILE, NULL, "toll-free"},
    {"09012345678", "GB", INTL, PHONE_NOT_MOBILE, NULL, "premium-rate"},
    {"0740012345", "GB", INTL, PHONE_INVALID, NULL, NULL},
    {"+4474001234567", NULL, INTL, PHONE_INVALID, NULL, NULL},
    /* +44 mobiles of Guernsey and the Isle of Man are not GB's */
    {"07911123456", "GB", INTL, PHONE_OK, "447911123456", NULL},
    {"07911123456", "GB", LOCAL, PHONE_NOT_ALLOWED, NULL, NULL},
    {"07624123456", "GB", LOCAL, PHONE_NOT_ALLOWED, NULL, NULL},

    /* United States: the plan cannot tell mobiles from fixed lines */
    {"+16502530000", NULL, INTL, PHONE_OK, "16502530000", NULL},
    {"+1-650-253-0000", "US", LOCAL, PHONE_OK, "16502530000", NULL},
    {"16502530000", NULL, INTL, PHONE_OK, "16502530000", NULL},
    {"650-253-0000", "US", LOCAL, PHONE_OK, "16502530000", NULL},
    {"1-650-253-0000", "US", LOCAL, PHONE_OK, "16502530000", NULL},
    {"6502530000", NULL, INTL, PHONE_INVALID, NULL, NULL},
    {"+18002345678", NULL, INTL, PHONE_NOT_MOBILE, NULL, "toll-free"},
    {"+19002345678", NULL, INTL, PHONE_NOT_MOBILE, NULL, "premium-rate"},
    {"+1650253000", NULL, INTL, PHONE_INVALID, NULL, "too few digits"},
    /* the US international prefix 011 */
    {"011-61-412-345-678", "US", INTL, PHONE_OK, "61412345678", NULL},
    {"01161412345678", "US", LOCAL, PHONE_NOT_ALLOWED, NULL, NULL},
    /* Canada shares +1 but is not local to a US rule */
    {"+15062345678", "US", INTL, PHONE_OK, "15062345678", NULL},
    {"+15062345678", "US", LOCAL, PHONE_NOT_ALLOWED, NULL, NULL},
    {"5062345678", "CA", LOCAL, PHONE_OK, "15062345678", NULL},

    /* Germany: 015x, 016x, 017x mobiles */
    {"015123456789", "DE", INTL, PHONE_OK, "4915123456789", NULL},
    {"01601234567", "DE", LOCAL, PHONE_OK, "491601234567", NULL},
    {"0170-1234567", "DE", INTL, PHONE_OK, "491701234567", NULL},
    {"+4915112345678", NULL, INTL, PHONE_OK, "4915112345678", NULL},
    {"004915112345678", "AU", INTL, PHONE_OK, "4915112345678", NULL},
    {"030123456", "DE", INTL, PHONE_NOT_MOBILE, NULL, "fixed-line"},
    {"+4930123456", NULL, INTL, PHONE_NOT_MOBILE, NULL, "fixed-line"},

    /* Japan */
    {"090-1234-5678", "JP", INTL, PHONE_OK, "819012345678", NULL},
    {"08012345678", "JP", LOCAL, PHONE_OK, "818012345678", NULL},
    {"+819012345678", NULL, INTL, PHONE_OK, "819012345678", NULL},
    {"03-1234-5678", "JP", INTL, PHONE_NOT_MOBILE, NULL, "fixed-line"},
    {"0120-123-456", "JP", INTL, PHONE_NOT_MOBILE, NULL, "toll-free"},

    /* New Zealand */
    {"021-123-4567", "NZ", INTL, PHONE_OK, "64211234567", NULL},
    {"+64211234567", "AU", INTL, PHONE_OK, "64211234567", NULL},
    {"03-234-5678", "NZ", INTL, PHONE_NOT_MOBILE, NULL, "fixed-line"},

    /* India */
    {"08123456789", "IN", INTL, PHONE_OK, "918123456789", NULL},
    {"8123456789", "IN", LOCAL, PHONE_OK, "918123456789", NULL},
    {"+91-98765-43210", NULL, INTL, PHONE_OK, "919876543210", NULL},
    {"918123456789", NULL, INTL, PHONE_OK, "918123456789", NULL},
    {"011-2345-6789", "IN", INTL, PHONE_NOT_MOBILE, NULL, "fixed-line"},

    /*
     * Digits valid both ways: the better reading wins, on a tie the rule's
     * country. 4794123456 is a US number (479 Arkansas) and a Norwegian
     * mobile (+47 94 12 34 56).
     */
    {"4794123456", "US", INTL, PHONE_OK, "14794123456", NULL},
    {"4794123456", NULL, INTL, PHONE_OK, "4794123456", NULL},
    {"+4794123456", "US", INTL, PHONE_OK, "4794123456", NULL},
    {"4794123456", "AU", INTL, PHONE_OK, "4794123456", NULL},
    {"61412345678", "GB", INTL, PHONE_OK, "61412345678", NULL},
    {"447400123456", "US", INTL, PHONE_OK, "447400123456", NULL},

    /* no country has these codes, or too few digits for any */
    {"+0412345678", "AU", INTL, PHONE_INVALID, NULL, "calling code"},
    {"+999123456789", NULL, INTL, PHONE_INVALID, NULL, "calling code"},
    {"+61", NULL, INTL, PHONE_INVALID, NULL, NULL},
    {"+1", NULL, INTL, PHONE_INVALID, NULL, NULL},
    {"1", NULL, INTL, PHONE_INVALID, NULL, NULL},
    {"00", NULL, INTL, PHONE_INVALID, NULL, NULL},
    {"00", "AU", INTL, PHONE_INVALID, NULL, NULL},
    {"0", "AU", INTL, PHONE_INVALID, NULL, NULL},
    {"+0061412345678", NULL, INTL, PHONE_INVALID, NULL, NULL},

    /* no phone number at all, decided without the library */
    {"", "AU", INTL, PHONE_NOT_A_NUMBER, NULL, "empty"},
    {NULL, "AU", INTL, PHONE_NOT_A_NUMBER, NULL, "empty"},
    {"postmaster", "AU", INTL, PHONE_NOT_A_NUMBER, NULL, "only digits"},
    {"1800flowers", "US", INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"0412 345 678", "AU", INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"0412_345_678", "AU", INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"(04)12345678", "AU", INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"0412345678x12", "AU", INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"tel:+61412345678", NULL, INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"++61412345678", NULL, INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"61412345678+", NULL, INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"61+412345678", NULL, INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"+", NULL, INTL, PHONE_NOT_A_NUMBER, NULL, "no digits"},
    {"+.-", NULL, INTL, PHONE_NOT_A_NUMBER, NULL, "no digits"},
    {"...", "AU", INTL, PHONE_NOT_A_NUMBER, NULL, "no digits"},
    /* digits the library would convert: fullwidth and Arabic-Indic */
    {"\xef\xbc\x90\xef\xbc\x94"
     "12345678",
     "AU", INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"\xd9\xa0\xd9\xa4"
     "12345678",
     "AU", INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    {"0412345678\r\n", "AU", INTL, PHONE_NOT_A_NUMBER, NULL, NULL},
    /* 32 characters pass the syntax, 33 do not */
    {"0-4-1-2-3-4-5-6-7-8.............", "AU", INTL, PHONE_OK, "61412345678", NULL},
    {"0-4-1-2-3-4-5-6-7-8..............", "AU", INTL, PHONE_NOT_A_NUMBER, NULL, "32"},
    {"+61412345678901234567890123456789", NULL, INTL, PHONE_NOT_A_NUMBER, NULL, "32"},
};

/* reason_ok - static reasons go into SMTP replies: printable ASCII, one line */
static int
reason_ok(const char *why)
{
    for (; *why; why++)
        if (*why < 0x20 || *why > 0x7e)
            return 0;
    return 1;
}

static void
test_table(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char e164[PHONE_E164_MAX];
        const char *why = NULL;
        memset(e164, 'X', sizeof(e164));
        enum phone_result got =
            phone_parse(cases[i].in, cases[i].country, cases[i].policy, e164, &why);
        char name[320];
        snprintf(name, sizeof(name), "\"%s\" %s %s: %s", vis(cases[i].in),
                 cases[i].country ? cases[i].country : "-",
                 cases[i].policy == LOCAL ? "local" : "intl", result_name(cases[i].want));
        if (!ok(got == cases[i].want, "%s", name)) {
            diag("  got %s (%s), e164 \"%s\"", result_name(got), why ? why : "(null)",
                 got == PHONE_OK ? e164 : "");
            continue;
        }
        if (got == PHONE_OK) {
            if (!ok(strcmp(e164, cases[i].e164) == 0 && why && *why == 0, "%s: %s", name,
                    cases[i].e164))
                diag("  got \"%s\"", e164);
        } else {
            int good = e164[0] == 0 && why && *why && reason_ok(why) &&
                       (!cases[i].why || strstr(why, cases[i].why));
            if (!ok(good, "%s: refused, saying why", name))
                diag("  e164 \"%.16s\", reason \"%s\"", e164, why ? why : "(null)");
        }
    }
}

/* test_no_error_r - error_r is optional */
static void
test_no_error_r(void)
{
    char e164[PHONE_E164_MAX];
    is_int(phone_parse("0412345678", "AU", INTL, e164, NULL), PHONE_OK, "error_r may be NULL");
    is_str(e164, "61412345678", "and the number is still written");
    is_int(phone_parse("nobody", "AU", INTL, e164, NULL), PHONE_NOT_A_NUMBER,
           "error_r may be NULL on refusal");
}

static void
test_check_country(void)
{
    const char *why = NULL;
    is_int(phone_check_country("AU", &why), 0, "AU has a numbering plan");
    is_str(why, "", "and no reason");
    is_int(phone_check_country("gb", NULL), 0, "gb, lower case, too");
    is_int(phone_check_country("UK", &why), -1, "UK is not ISO 3166 (GB is)");
    ok(why && strstr(why, "ISO 3166") != NULL, "with a reason");
    is_int(phone_check_country("ZZ", NULL), -1, "ZZ is the library's unknown region");
    is_int(phone_check_country("", NULL), -1, "empty is no country");
    is_int(phone_check_country(NULL, NULL), -1, "NULL is no country");
    is_int(phone_check_country("AUS", NULL), -1, "three letters are not a region");
    is_int(phone_check_country("A1", NULL), -1, "nor a letter and a digit");
}

/* worker - several threads race to the library's first use */
static void *
worker(void *arg)
{
    long bad = 0;
    (void)arg;
    for (int i = 0; i < 200; i++) {
        char e164[PHONE_E164_MAX];
        const char *why;
        if (phone_parse(i % 2 ? "0412345678" : "+447400123456", "AU", INTL, e164, &why) !=
                PHONE_OK ||
            strcmp(e164, i % 2 ? "61412345678" : "447400123456") != 0)
            bad++;
    }
    return (void *)bad;
}

static void
test_threads(void)
{
    pthread_t t[8];
    long bad = 0;
    int started = 0;
    for (int i = 0; i < 8; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) == 0)
            started++;
        else
            break;
    for (int i = 0; i < started; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    ok(started == 8 && bad == 0, "8 threads, first use included, agree (%d started, %ld wrong)",
       started, bad);
}

int
main(void)
{
    /* first, so the threads race to initialise the library */
    test_threads();
    test_table();
    test_no_error_r();
    test_check_country();
    return done_testing();
}
