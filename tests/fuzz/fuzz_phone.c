/*
 * fuzz_phone.c - libFuzzer target for phone_parse
 *
 * Recipient local parts come from anyone who can send mail, and what
 * phone_parse returns is the number an SMS is sent to and charged for, so
 * the target checks the promises of phone.h, not only the absence of
 * crashes: a number that passes is 7 to 15 digits and reads back as itself;
 * a refusal leaves "" and gives a one-line ASCII reason; the local policy
 * only ever adds PHONE_NOT_ALLOWED to what the international one says; the
 * separators change nothing; whatever fails the syntax is refused before the
 * library is asked. Any violation aborts. The input is tried with no
 * country, AU and US, under both policies.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I<builddir> -Isrc/lib \
 *       -c tests/fuzz/fuzz_phone.c -o fuzz_phone.o
 *   clang++ -g -O1 -fsanitize=fuzzer,address,undefined fuzz_phone.o \
 *       src/lib/phone.cc -I<builddir> -Isrc/lib -lphonenumber -o fuzz_phone
 *   ./fuzz_phone -max_total_time=60 tests/fuzz/seeds/phone
 *
 * (Linked with clang++: phone.cc is C++, and UBSan's C++ checks need its
 * C++ runtime.)
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* syntax_ok - phone.h's syntax: digits, '.', '-', one leading '+', bounded */
static int
syntax_ok(const char *s, size_t len)
{
    if (len == 0 || len > PHONE_LOCAL_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' ||
              (i == 0 && s[i] == '+')))
            return 0;
    return 1;
}

/* reason_ok - static, printable ASCII, one line, and said */
static int
reason_ok(const char *why)
{
    if (why == NULL || *why == 0)
        return 0;
    for (; *why; why++)
        if (*why < 0x20 || *why > 0x7e)
            return 0;
    return 1;
}

/* one - one call, and the promises about its own outputs */
static enum phone_result
one(const char *in, const char *country, enum phone_policy policy, char e164[PHONE_E164_MAX])
{
    const char *why = NULL;
    memset(e164, 'X', PHONE_E164_MAX);
    enum phone_result r = phone_parse(in, country, policy, e164, &why);

    /* no memory is short here: a caught exception would be a bug */
    CHECK(r >= PHONE_OK && r < PHONE_TEMPFAIL);
    if (r == PHONE_OK) {
        size_t n = strnlen(e164, PHONE_E164_MAX);
        CHECK(n >= 7 && n <= 15);
        CHECK(strspn(e164, "0123456789") == n);
        CHECK(e164[0] != '0');
        CHECK(why != NULL && *why == 0);
    } else {
        CHECK(e164[0] == 0);
        CHECK(reason_ok(why));
    }
    return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const countries[] = {NULL, "AU", "US"};
    char *in = malloc(size + 1);
    char *bare = malloc(size + 2);
    if (in == NULL || bare == NULL)
        abort();
    memcpy(in, data, size);
    in[size] = 0;
    size_t len = strlen(in); /* phone_parse sees up to the first NUL */
    int syntax = syntax_ok(in, len);

    /* the same input without its separators */
    size_t b = 0;
    for (size_t i = 0; i < len; i++)
        if (in[i] != '.' && in[i] != '-')
            bare[b++] = in[i];
    bare[b] = 0;

    for (size_t c = 0; c < sizeof(countries) / sizeof(countries[0]); c++) {
        char intl[PHONE_E164_MAX], local[PHONE_E164_MAX];
        enum phone_result ri = one(in, countries[c], PHONE_INTERNATIONAL, intl);
        enum phone_result rl = one(in, countries[c], PHONE_LOCAL, local);

        CHECK(syntax || ri == PHONE_NOT_A_NUMBER);
        CHECK(ri != PHONE_NEEDS_COUNTRY || countries[c] == NULL);

        /* the local policy only narrows */
        if (ri == PHONE_OK)
            CHECK((rl == PHONE_OK && strcmp(intl, local) == 0) || rl == PHONE_NOT_ALLOWED);
        else
            CHECK(rl == ri);
        if (rl == PHONE_OK && countries[c] == NULL)
            abort(); /* no country, nothing is local */

        /* separators are only separators */
        if (syntax) {
            char again[PHONE_E164_MAX];
            enum phone_result rb = one(bare, countries[c], PHONE_INTERNATIONAL, again);
            CHECK(rb == ri);
            CHECK(ri != PHONE_OK || strcmp(again, intl) == 0);
        }

        /* what passes reads back as itself, with or without '+', without a country */
        if (ri == PHONE_OK) {
            char plus[PHONE_E164_MAX + 1], back[PHONE_E164_MAX];
            plus[0] = '+';
            memcpy(plus + 1, intl, strlen(intl) + 1);
            CHECK(one(plus, NULL, PHONE_INTERNATIONAL, back) == PHONE_OK);
            CHECK(strcmp(back, intl) == 0);
            CHECK(one(intl, NULL, PHONE_INTERNATIONAL, back) == PHONE_OK);
            CHECK(strcmp(back, intl) == 0);
        }
    }
    free(bare);
    free(in);
    return 0;
}
