/*
 * authres_test.c - Authentication-Results header fields as real verifiers write them
 *
 * Each case is a header value (as mime.c hands it over, or still folded)
 * and the results a sender rule would be judged on. A result that cannot
 * be read must not be read as something else: comments and quoted strings
 * never yield results, and an overlong identity is no identity.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "tap.h"

/* one expected result: method, result and the identities kept ("" when absent) */
struct want {
    const char *method, *result, *auth, *mailfrom, *d, *i, *from;
};

#define MAXW 4

static const struct {
    const char *what;
    const char *value;
    int rc;
    const char *id; /* authserv-id when rc == 0 */
    int n;
    struct want r[MAXW];
} cases[] = {
    {"OpenDKIM",
     "mx.example.com; dkim=pass (2048-bit key; unprotected) header.d=example.com "
     "header.i=@example.com header.a=rsa-sha256 header.s=mail header.b=AbC+/dE1",
     0,
     "mx.example.com",
     1,
     {{"dkim", "pass", "", "", "example.com", "@example.com", ""}}},
    {"OpenDKIM, signature with base64 padding before header.d",
     "mx.example.com; dkim=pass (1024-bit key) header.b=Ab+/c= header.d=example.com",
     0,
     "mx.example.com",
     1,
     {{"dkim", "pass", "", "", "example.com", "", ""}}},
    {"OpenDKIM, two signatures",
     "mx.example.com; dkim=fail (bad signature) header.d=example.com header.b=Xy;\n"
     "\tdkim=pass (2048-bit key) header.d=esp.example.net header.b=Zz",
     0,
     "mx.example.com",
     2,
     {{"dkim", "fail", "", "", "example.com", "", ""},
      {"dkim", "pass", "", "", "esp.example.net", "", ""}}},
    {"OpenDMARC",
     "mx.example.com; dmarc=pass (p=reject dis=none) header.from=example.com",
     0,
     "mx.example.com",
     1,
     {{"dmarc", "pass", "", "", "", "", "example.com"}}},
    {"OpenDMARC fail",
     "mx.example.com; dmarc=fail (p=reject dis=reject) header.from=example.com",
     0,
     "mx.example.com",
     1,
     {{"dmarc", "fail", "", "", "", "", "example.com"}}},
    {"Gmail, folded as received",
     "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 "
     "header.b=Ab1/Cd+E;\r\n       spf=pass (google.com: domain of alice@example.com designates "
     "209.85.220.41 as permitted sender) smtp.mailfrom=alice@example.com;\r\n       dmarc=pass "
     "(p=NONE sp=NONE dis=NONE) header.from=example.com",
     0,
     "mx.google.com",
     3,
     {{"dkim", "pass", "", "", "", "@example.com", ""},
      {"spf", "pass", "", "alice@example.com", "", "", ""},
      {"dmarc", "pass", "", "", "", "", "example.com"}}},
    {"Microsoft 365, which writes no authserv-id",
     "spf=pass (sender IP is 40.107.22.1) smtp.mailfrom=example.com; dkim=none (message not "
     "signed) header.d=none;dmarc=none action=none header.from=example.com;compauth=pass "
     "reason=100",
     -1,
     NULL,
     0,
     {{0}}},
    {"Microsoft-style results behind an authserv-id",
     "mx.example.com; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; dkim=none "
     "(message not signed) header.d=none;dmarc=none action=none header.from=example.com",
     0,
     "mx.example.com",
     3,
     {{"spf", "pass", "", "example.com", "", "", ""},
      {"dkim", "none", "", "", "none", "", ""},
      {"dmarc", "none", "", "", "", "", "example.com"}}},
    {"our milter's SASL result",
     "smsgate.example.com; auth=pass smtp.auth=alice",
     0,
     "smsgate.example.com",
     1,
     {{"auth", "pass", "alice", "", "", "", ""}}},
    {"version after the authserv-id",
     "mx.example.com 1; spf=pass smtp.mailfrom=a@example.com",
     0,
     "mx.example.com",
     1,
     {{"spf", "pass", "", "a@example.com", "", "", ""}}},
    {"version and comment",
     "mx.example.com (v) 1 (one); spf=pass smtp.mailfrom=a@example.com",
     0,
     "mx.example.com",
     1,
     {{"spf", "pass", "", "a@example.com", "", "", ""}}},
    {"none", "mx.example.com; none", 0, "mx.example.com", 0, {{0}}},
    {"version and none", "mx.example.com 1; none", 0, "mx.example.com", 0, {{0}}},
    {"authserv-id alone", "mx.example.com", 0, "mx.example.com", 0, {{0}}},
    {"nested comments",
     "mx.example.com (a (nested) comment); dkim=pass (good (really \\) good) signature) "
     "header.d=example.com",
     0,
     "mx.example.com",
     1,
     {{"dkim", "pass", "", "", "example.com", "", ""}}},
    {"a ';' in a comment separates nothing",
     "mx.example.com; spf=fail (x; dkim=pass header.d=example.com) smtp.mailfrom=a@example.net",
     0,
     "mx.example.com",
     1,
     {{"spf", "fail", "", "a@example.net", "", "", ""}}},
    {"a comment after an unreadable property yields no result",
     "mx.example.com; dkim=fail bogus (x; dkim=pass header.d=example.com)",
     0,
     "mx.example.com",
     1,
     {{"dkim", "fail", "", "", "", "", ""}}},
    {"a quoted string after an unreadable property yields no result",
     "mx.example.com; spf=fail junk \"x; dkim=pass header.d=example.com\"",
     0,
     "mx.example.com",
     1,
     {{"spf", "fail", "", "", "", "", ""}}},
    {"quoted values",
     "mx.example.com; auth=pass smtp.auth=\"alice smith\"; dkim=fail reason=\"signature; "
     "verification failed\" header.d=\"example.com\"",
     0,
     "mx.example.com",
     2,
     {{"auth", "pass", "alice smith", "", "", "", ""},
      {"dkim", "fail", "", "", "example.com", "", ""}}},
    {"escaped quote in a quoted value",
     "mx.example.com; auth=pass smtp.auth=\"a\\\"b\"",
     0,
     "mx.example.com",
     1,
     {{"auth", "pass", "a\"b", "", "", "", ""}}},
    {"quoted authserv-id",
     "\"MX.Example.COM\"; spf=pass smtp.mailfrom=a@example.com",
     0,
     "mx.example.com",
     1,
     {{"spf", "pass", "", "a@example.com", "", "", ""}}},
    {"case: names lower-cased, values as written",
     "MX.Example.COM; DKIM=PASS Header.D=Example.COM",
     0,
     "mx.example.com",
     1,
     {{"dkim", "pass", "", "", "Example.COM", "", ""}}},
    {"blanks around '='",
     "mx.example.com; dkim = pass header.d = example.com",
     0,
     "mx.example.com",
     1,
     {{"dkim", "pass", "", "", "example.com", "", ""}}},
    {"method version (RFC 8601 2.2)",
     "mx.example.com; dkim/1=pass header.d=example.com",
     0,
     "mx.example.com",
     1,
     {{"dkim", "pass", "", "", "example.com", "", ""}}},
    {"an unreadable result does not hide the next one",
     "mx.example.com; x-weird; dkim=pass header.d=example.com",
     0,
     "mx.example.com",
     1,
     {{"dkim", "pass", "", "", "example.com", "", ""}}},
    {"empty result",
     "mx.example.com; dkim=; spf=pass smtp.mailfrom=a@example.com",
     0,
     "mx.example.com",
     1,
     {{"spf", "pass", "", "a@example.com", "", "", ""}}},
    {"trailing ';'",
     "mx.example.com; spf=pass smtp.mailfrom=a@example.com;",
     0,
     "mx.example.com",
     1,
     {{"spf", "pass", "", "a@example.com", "", "", ""}}},
    {"unterminated comment",
     "mx.example.com; dkim=pass (oops header.d=example.com",
     0,
     "mx.example.com",
     1,
     {{"dkim", "pass", "", "", "", "", ""}}},
    {"garbage without authserv-id", "dkim=pass header.d=example.com", -1, NULL, 0, {{0}}},
    {"words, no ';'", "foo bar baz", -1, NULL, 0, {{0}}},
    {"empty", "", -1, NULL, 0, {{0}}},
    {"blanks", " \t\r\n ", -1, NULL, 0, {{0}}},
    {"a comment only", "(just a comment)", -1, NULL, 0, {{0}}},
    {"a ';' only", ";", -1, NULL, 0, {{0}}},
    {"results without authserv-id", "; dkim=pass header.d=example.com", -1, NULL, 0, {{0}}},
};

/* check_result - one result, field by field */
static void
check_result(const char *what, int k, const struct authres_result *r, const struct want *w)
{
    is_str(r->method, w->method, "  %s: result %d method", what, k);
    is_str(r->result, w->result, "  %s: result %d result", what, k);
    is_str(r->smtp_auth, w->auth, "  %s: result %d smtp.auth", what, k);
    is_str(r->smtp_mailfrom, w->mailfrom, "  %s: result %d smtp.mailfrom", what, k);
    is_str(r->header_d, w->d, "  %s: result %d header.d", what, k);
    is_str(r->header_i, w->i, "  %s: result %d header.i", what, k);
    is_str(r->header_from, w->from, "  %s: result %d header.from", what, k);
}

static void
test_table(void)
{
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct authres a;
        int rc = authres_parse(cases[c].value, &a);
        is_int(rc, cases[c].rc, "%s", cases[c].what);
        if (rc != 0 || cases[c].rc != 0)
            continue;
        is_str(a.authserv_id, cases[c].id, "  %s: authserv-id", cases[c].what);
        is_int(a.n, cases[c].n, "  %s: number of results", cases[c].what);
        if (a.n != cases[c].n)
            continue;
        for (int k = 0; k < a.n && k < MAXW; k++)
            check_result(cases[c].what, k, &a.r[k], &cases[c].r[k]);
    }
}

/* test_many - more than AUTHRES_MAX results: the first ones kept, nothing overrun */
static void
test_many(void)
{
    char value[4096];
    int n = snprintf(value, sizeof(value), "mx.example.com");
    for (int i = 0; i < AUTHRES_MAX + 5; i++)
        n += snprintf(value + n, sizeof(value) - (size_t)n, "; dkim=%s header.d=d%d.example",
                      i == AUTHRES_MAX ? "pass" : "fail", i);
    struct authres a;
    is_int(authres_parse(value, &a), 0, "%d results", AUTHRES_MAX + 5);
    is_int(a.n, AUTHRES_MAX, "  AUTHRES_MAX kept");
    is_str(a.r[0].header_d, "d0.example", "  the first");
    char last[32];
    snprintf(last, sizeof(last), "d%d.example", AUTHRES_MAX - 1);
    is_str(a.r[AUTHRES_MAX - 1].header_d, last, "  the last one that fits");
    int passes = 0;
    for (int i = 0; i < a.n; i++)
        passes += strcmp(a.r[i].result, "pass") == 0;
    is_int(passes, 0, "  the pass past the limit is not among them");
}

/* test_long - overlong identities are dropped, not cut to something else */
static void
test_long(void)
{
    char value[2048], d[400];
    struct authres a;

    /* 255 characters fit */
    memset(d, 'a', 243);
    strcpy(d + 243, ".example.com");
    snprintf(value, sizeof(value), "mx.example.com; dkim=pass header.d=%s", d);
    is_int(authres_parse(value, &a), 0, "header.d of %zu characters", strlen(d));
    is_str(a.r[0].header_d, d, "  kept whole");

    /* a longer one, whose first 255 characters would be a domain of its own */
    memset(d, 'a', 240);
    strcpy(d + 240, ".example.com.attacker.example");
    snprintf(value, sizeof(value), "mx.example.com; dkim=pass header.d=%s; spf=pass", d);
    is_int(authres_parse(value, &a), 0, "header.d of %zu characters", strlen(d));
    is_int(a.n, 2, "  both results read");
    is_str(a.r[0].header_d, "", "  overlong header.d dropped, not truncated");
    is_str(a.r[1].method, "spf", "  the next result read");

    snprintf(value, sizeof(value), "mx.example.com; spf=pass smtp.mailfrom=\"x%s\"", d);
    is_int(authres_parse(value, &a), 0, "quoted smtp.mailfrom of %zu characters", strlen(d) + 1);
    is_str(a.r[0].smtp_mailfrom, "", "  dropped");

    /* a method or result name too long for its field is not a truncated other one */
    is_int(authres_parse("mx.example.com; dkimdkimdkimdkimdkim=pass header.d=example.com", &a), 0,
           "overlong method");
    is_int(a.n, 0, "  not a result");
    is_int(authres_parse("mx.example.com; dkim=passpasspasspasspass header.d=example.com", &a), 0,
           "overlong result");
    is_int(a.n, 0, "  not a result");

    /* an authserv-id too long for its field */
    memset(d, 'm', 300);
    strcpy(d + 300, "; dkim=pass header.d=example.com");
    is_int(authres_parse(d, &a), -1, "overlong authserv-id refused");
}

int
main(void)
{
    test_table();
    test_many();
    test_long();
    return done_testing();
}
