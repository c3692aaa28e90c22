/*
 * fuzz_gsm.c - libFuzzer target for sms_encode and gsm_translit
 *
 * Mail bodies are attacker-controlled, and what sms_encode returns decides
 * both what is sent and what is charged, so the target checks the promises
 * of gsm.h rather than only the absence of crashes: the text handed out is
 * valid UTF-8 and is described exactly by the counts beside it, a cut text
 * is a prefix of the whole one within the limit, refusal cuts nothing, and
 * transliteration never makes a message dearer. Any violation aborts.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I<builddir> -Isrc/lib \
 *       tests/fuzz/fuzz_gsm.c src/lib/gsm.c src/lib/xalloc.c src/lib/msg.c
 *   mkdir -p /tmp/corpus && ./a.out -max_total_time=60 /tmp/corpus tests/fuzz/seeds/gsm
 *
 * (libFuzzer writes new inputs into the first directory: give it a scratch
 * one, not the seeds.)
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gsm.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* valid_utf8 - strict UTF-8 (no overlongs, surrogates or values past U+10FFFF) */
static int
valid_utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    while (*s) {
        uint32_t c;
        int n, i;
        if (s[0] < 0x80) {
            s++;
            continue;
        } else if ((s[0] & 0xE0) == 0xC0) {
            n = 1;
            c = s[0] & 0x1F;
        } else if ((s[0] & 0xF0) == 0xE0) {
            n = 2;
            c = s[0] & 0x0F;
        } else if ((s[0] & 0xF8) == 0xF0) {
            n = 3;
            c = s[0] & 0x07;
        } else {
            return 0;
        }
        for (i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (s[i] & 0x3F);
        }
        if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
            (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
            return 0;
        s += n + 1;
    }
    return 1;
}

/* check_counts - units and parts agree with the part sizes of TS 23.040 */
static void
check_counts(const struct sms_encoded *r)
{
    int single = r->coding == SMS_GSM7 ? 160 : 70;
    int multi = r->coding == SMS_GSM7 ? 153 : 67;

    CHECK(r->coding == SMS_GSM7 || r->coding == SMS_UCS2);
    CHECK(r->units >= 0 && r->parts >= 0);
    CHECK((r->units == 0) == (r->parts == 0));
    CHECK((r->text[0] == 0) == (r->units == 0));
    if (r->parts == 1)
        CHECK(r->units <= single);
    if (r->parts > 1) {
        /* greedy filling wastes at most one unit per part (a 2-unit character) */
        CHECK(r->units > single);
        CHECK(r->units <= r->parts * multi);
        CHECK(r->units >= (r->parts - 1) * (multi - 1) + 1);
    }
    CHECK(r->full_parts >= r->parts);
}

/*
 * check_maximal - the cut keeps the most text: one more character of the
 * whole text would not fit in limit parts, in whichever coding it needs
 */
static void
check_maximal(const struct sms_encoded *r, const char *whole, int limit)
{
    size_t k = strlen(r->text), n;
    unsigned char lead = (unsigned char)whole[k];
    struct sms_encoded more;
    char *s;

    n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    s = xstrndup(whole, k + n);
    sms_encode(s, 0, 0, 0, &more);
    CHECK(more.parts > limit);
    sms_encoded_free(&more);
    xfree(s);
}

/* check_one - one combination of options against the whole-text result */
static void
check_one(const char *in, int translit, int limit, int refuse, const struct sms_encoded *whole)
{
    struct sms_encoded r, again;
    int rc = sms_encode(in, translit, limit, refuse, &r);

    CHECK(r.text != NULL && r.text != in);
    CHECK(valid_utf8(r.text));
    check_counts(&r);
    CHECK(r.full_parts == whole->full_parts);
    CHECK(rc == 0 || rc == 1);
    if (rc == 1) {
        CHECK(refuse && limit > 0 && r.full_parts > limit);
        CHECK(!r.truncated && r.parts == r.full_parts);
        CHECK(strcmp(r.text, whole->text) == 0);
    } else if (r.truncated) {
        CHECK(!refuse && limit > 0 && r.full_parts > limit);
        CHECK(r.parts >= 1 && r.parts <= limit);
        CHECK(strlen(r.text) < strlen(whole->text));
        CHECK(strncmp(r.text, whole->text, strlen(r.text)) == 0);
        check_maximal(&r, whole->text, limit);
    } else {
        CHECK(limit <= 0 || r.full_parts <= limit);
        CHECK(r.parts == r.full_parts);
        CHECK(strcmp(r.text, whole->text) == 0 && r.units == whole->units);
    }
    /* the text handed out is exactly what the counts describe */
    sms_encode(r.text, 0, 0, 0, &again);
    CHECK(again.units == r.units && again.parts == r.parts && again.coding == r.coding);
    CHECK(strcmp(again.text, r.text) == 0);
    sms_encoded_free(&again);
    sms_encoded_free(&r);
    CHECK(r.text == NULL);
}

/* LLVMFuzzerTestOneInput - every option combination on one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int limits[] = {0, 1, 3};
    char *in = xmalloc(size + 1);
    struct sms_encoded whole[2];
    char *t, *tt;
    int translit;
    size_t i;

    memcpy(in, data, size);
    in[size] = 0;

    for (translit = 0; translit <= 1; translit++) {
        CHECK(sms_encode(in, translit, 0, 1, &whole[translit]) == 0);
        check_counts(&whole[translit]);
        CHECK(!whole[translit].truncated);
        CHECK(valid_utf8(whole[translit].text));
        for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
            check_one(in, translit, limits[i], 0, &whole[translit]);
            check_one(in, translit, limits[i], 1, &whole[translit]);
        }
    }
    /* valid UTF-8 passes through unchanged when not transliterated */
    if (valid_utf8(in))
        CHECK(strcmp(whole[0].text, in) == 0);
    /* transliteration is used only when it is no dearer */
    CHECK(whole[1].full_parts <= whole[0].full_parts);
    if (whole[0].coding == SMS_GSM7)
        CHECK(strcmp(whole[1].text, whole[0].text) == 0);

    t = gsm_translit(in);
    CHECK(valid_utf8(t));
    tt = gsm_translit(t);
    CHECK(strcmp(t, tt) == 0); /* every replacement is plain GSM: idempotent */
    xfree(tt);
    xfree(t);
    sms_encoded_free(&whole[0]);
    sms_encoded_free(&whole[1]);
    xfree(in);
    return 0;
}
