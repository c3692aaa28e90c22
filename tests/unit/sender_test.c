/*
 * sender_test.c - sender rule patterns, settings and their combinations
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sender.h"
#include "tap.h"

/* long strings built at start-up */
static char s16[17], s15[16], s128[129], s129[130], s200[201], s201[202], long_local[300];

static void
make_strings(void)
{
    memset(s16, 'a', 16);
    memset(s15, 'b', 15);
    memset(s128, 'c', 128);
    memset(s129, 'd', 129);
    memset(s200, 'e', 200);
    memset(s201, 'f', 201);
    memset(long_local, 'g', 250);
    strcpy(long_local + 250, "@example.com");
}

/* --- sender_pattern ------------------------------------------------------ */

static const struct {
    const char *in;
    const char *want; /* NULL: refused */
    const char *why;  /* substring of the reason when refused */
} pattern_cases[] = {
    {"alice@example.com", "alice@example.com", NULL},
    {"Alice@Example.COM", "alice@example.com", NULL},
    {"@example.com", "@example.com", NULL},
    {"@Example.Com", "@example.com", NULL},
    {"@sales.example.com.au", "@sales.example.com.au", NULL},
    {"first.last+sms@my-company.example", "first.last+sms@my-company.example", NULL},
    /* a public webmail domain cannot be claimed whole, an address there can */
    {"bob@gmail.com", "bob@gmail.com", NULL},
    {"Bob@GMail.com", "bob@gmail.com", NULL},
    {"@gmail.com", NULL, "public webmail"},
    {"@GMAIL.COM", NULL, "public webmail"},
    {"@hotmail.co.uk", NULL, "public webmail"},
    {"@proton.me", NULL, "public webmail"},
    {"@yahoo.com.au", NULL, "public webmail"},
    /* malformed */
    {"", NULL, "expected an address"},
    {"example.com", NULL, "expected an address"},
    {"@", NULL, "domain"},
    {"bob@", NULL, "domain"},
    {"bob@example", NULL, "domain"},
    {"bob@.example.com", NULL, "domain"},
    {"bob@example.com.", NULL, "domain"},
    {"bob@exa..mple.com", NULL, "domain"},
    {"bob@-example.com", NULL, "domain"},
    {"bob@exa_mple.com", NULL, "domain"},
    {"bob@example.com ", NULL, "domain"},
    {"bob@exam ple.com", NULL, "domain"},
    {"bob@@example.com", NULL, "local part"},
    {"a@b@example.com", NULL, "local part"},
    {"bob smith@example.com", NULL, "local part"},
    {" bob@example.com", NULL, "local part"},
    {"<bob@example.com>", NULL, NULL},
    {"<bob@example.com", NULL, "local part"},
    {"\"bob\"@example.com", NULL, "local part"},
    {"bob,al@example.com", NULL, "local part"},
    {"bob\t@example.com", NULL, "local part"},
    {long_local, NULL, "too long"},
};

static void
test_pattern(void)
{
    for (size_t i = 0; i < sizeof(pattern_cases) / sizeof(pattern_cases[0]); i++) {
        char *pattern = NULL, *error = NULL;
        int rc = sender_pattern(pattern_cases[i].in, &pattern, &error);
        if (pattern_cases[i].want) {
            if (!ok(rc == 0 && pattern && strcmp(pattern, pattern_cases[i].want) == 0,
                    "pattern \"%s\" is \"%s\"", vis(pattern_cases[i].in), pattern_cases[i].want))
                diag("  rc %d, got %s, error %s", rc, pattern ? pattern : "(null)",
                     error ? error : "(none)");
        } else {
            int good = rc == -1 && pattern == NULL && error != NULL &&
                       (pattern_cases[i].why == NULL || strstr(error, pattern_cases[i].why));
            if (!ok(good, "pattern \"%s\" refused%s%s", vis(pattern_cases[i].in),
                    pattern_cases[i].why ? ": " : "",
                    pattern_cases[i].why ? pattern_cases[i].why : ""))
                diag("  rc %d, got %s, error %s", rc, pattern ? pattern : "(null)",
                     error ? error : "(none)");
        }
        free(pattern);
        free(error);
    }
}

/* --- defaults ------------------------------------------------------------ */

static const struct {
    const char *key, *want;
} default_cases[] = {
    {"auth", "sasl,dkim,dmarc"},
    {"networks", ""},
    {"token", ""},
    {"country", ""},
    {"numbers", "international"},
    {"limit", "4"},
    {"over_limit", "truncate"},
    {"content", "body"},
    {"subject_sender_id", "off"},
    {"sender_id", ""},
    {"notify", "failed"},
    {"replies", "off"},
    {"history", "off"},
    {"translit", "on"},
    {"end_marker", ""},
    {"disclaimer", ""},
};

static void
test_defaults(void)
{
    struct sender_rule r;
    char buf[64], *error = NULL;
    int bits = 0;

    sender_rule_init(&r);
    for (size_t i = 0; i < sizeof(default_cases) / sizeof(default_cases[0]); i++)
        is_str(sender_get(&r, default_cases[i].key, buf, sizeof(buf)), default_cases[i].want,
               "default %s", default_cases[i].key);
    ok(sender_validate(&r, &error) == 0, "the default rule is valid");
    free(error);
    error = NULL;
    ok(sender_auth_parse(r.auth, &bits, &error) == 0 &&
           bits == (SENDER_AUTH_SASL | SENDER_AUTH_DKIM | SENDER_AUTH_DMARC),
       "default authentication is SASL, DKIM or DMARC");
    ok(!(bits & SENDER_AUTH_ADDRESS), "default does not trust the address alone");
    free(error);
    sender_rule_free(&r);
    ok(r.auth == NULL && r.numbers == NULL && r.content == NULL, "free clears the fields");
    sender_rule_free(&r); /* twice is harmless */

    /* the key table: every key known to sender_set, in the documented order */
    size_t n = 0;
    while (sender_keys[n])
        n++;
    is_int(n, sizeof(default_cases) / sizeof(default_cases[0]), "sender_keys has every setting");
    for (size_t i = 0; i < n && i < sizeof(default_cases) / sizeof(default_cases[0]); i++)
        is_str(sender_keys[i], default_cases[i].key, "sender_keys[%zu]", i);

    /* what sender_get prints for a default, sender_set takes back (ctl does this) */
    for (size_t i = 0; i < n; i++) {
        struct sender_rule a, b;
        char tmp[64], va[64], vb[64];
        sender_rule_init(&a);
        sender_rule_init(&b);
        snprintf(va, sizeof(va), "%s", sender_get(&a, sender_keys[i], tmp, sizeof(tmp)));
        error = NULL;
        int rc = sender_set(&b, sender_keys[i], va, &error);
        if (!ok(rc == 0 && strcmp(sender_get(&b, sender_keys[i], vb, sizeof(vb)), va) == 0,
                "default %s=%s sets back", sender_keys[i], va))
            diag("  rc %d, error %s", rc, error ? error : "(none)");
        free(error);
        sender_rule_free(&a);
        sender_rule_free(&b);
    }

    static const char *const switches[] = {"subject_sender_id", "replies", "history", "translit"};
    for (size_t i = 0; i < n; i++) {
        int want = 0;
        for (size_t s = 0; s < sizeof(switches) / sizeof(switches[0]); s++)
            want |= strcmp(sender_keys[i], switches[s]) == 0;
        is_int(sender_key_is_switch(sender_keys[i]), want, "%s is %sa switch", sender_keys[i],
               want ? "" : "not ");
    }
    ok(!sender_key_is_switch("colour"), "an unknown key is not a switch");
}

/* --- sender_set / sender_get --------------------------------------------- */

#define BAD NULL /* refused: the setting keeps its previous value */

static const struct {
    const char *key, *value;
    const char *want; /* what sender_get shows afterwards; BAD: refused */
} set_cases[] = {
    {"auth", "sasl", "sasl"},
    {"auth", "dkim,spf", "dkim,spf"},
    {"auth", "sasl,network,dkim,spf,dmarc,token,address",
     "sasl,network,dkim,spf,dmarc,token,address"},
    {"auth", "address", "address"},
    {"auth", "sasl,magic", BAD},
    {"auth", "password", BAD},
    {"auth", "", BAD},
    {"auth", ",", BAD},

    {"networks", "192.0.2.0/24", "192.0.2.0/24"},
    {"networks", "192.0.2.7", "192.0.2.7"},
    {"networks", "0.0.0.0/0", "0.0.0.0/0"},
    {"networks", "2001:db8::/32", "2001:db8::/32"},
    {"networks", "::1", "::1"},
    {"networks", "2001:db8::/128", "2001:db8::/128"},
    {"networks", "10.0.0.0/8,192.168.1.0/24 2001:db8::/48",
     "10.0.0.0/8,192.168.1.0/24 2001:db8::/48"},
    {"networks", "", ""},
    {"networks", ", ,", ""}, /* separators only: no network, not a network list */
    {"networks", "10.0.0.0/33", BAD},
    {"networks", "2001:db8::/129", BAD},
    {"networks", "10.0.0.0/", BAD},
    {"networks", "10.0.0.0/-1", BAD},
    {"networks", "10.0.0.0/+8", BAD},
    {"networks", "10.0.0.0/8x", BAD},
    {"networks", "10.0.0.0/8/8", BAD},
    {"networks", "/8", BAD},
    {"networks", "10.0.0/8", BAD},
    {"networks", "10.0.0.256", BAD},
    {"networks", "mail.example.com", BAD},
    {"networks", "10.0.0.0/8,bogus", BAD},

    {"token", s16, s16},
    {"token", "Abc-def_ghi.jkl0", "Abc-def_ghi.jkl0"},
    {"token", s128, s128},
    {"token", "", ""},
    {"token", s15, BAD},
    {"token", s129, BAD},
    {"token", "abcdefgh ijklmnop", BAD},
    {"token", "abcdefgh/ijklmnop", BAD},

    {"country", "AU", "AU"},
    {"country", "au", "AU"},
    {"country", "Nz", "NZ"},
    {"country", "", ""},
    {"country", "AUS", BAD},
    {"country", "A", BAD},
    {"country", "A1", BAD},
    {"country", "1A", BAD},

    {"numbers", "local", "local"},
    {"numbers", "international", "international"},
    {"numbers", "national", BAD},
    {"numbers", "", BAD},

    {"limit", "1", "1"},
    {"limit", "10", "10"},
    {"limit", "255", "255"},
    {"limit", "0", BAD},
    {"limit", "256", BAD},
    {"limit", "-1", BAD},
    {"limit", "", BAD},
    {"limit", "4x", BAD},
    {"limit", "x", BAD},
    {"limit", "1.5", BAD},
    {"limit", "99999999999999999999", BAD},

    {"over_limit", "truncate", "truncate"},
    {"over_limit", "refuse", "refuse"},
    {"over_limit", "drop", BAD},
    {"over_limit", "", BAD},

    {"content", "body", "body"},
    {"content", "subject", "subject"},
    {"content", "both", "both"},
    {"content", "all", BAD},
    {"content", "", BAD},

    {"notify", "all", "all"},
    {"notify", "failed", "failed"},
    {"notify", "none", "none"},
    {"notify", "some", BAD},
    {"notify", "", BAD},

    {"sender_id", "MyShop", "MyShop"},
    {"sender_id", "My Shop", "My Shop"},
    {"sender_id", "A&B-Co_1.x", "A&B-Co_1.x"},
    {"sender_id", "ABCDEFGHIJK", "ABCDEFGHIJK"},
    {"sender_id", "Shop123", "Shop123"},
    {"sender_id", "+61412345678", "+61412345678"},
    {"sender_id", "61412345678", "61412345678"},
    {"sender_id", "123456789012345", "123456789012345"},
    {"sender_id", "+123456789012345", "+123456789012345"},
    {"sender_id", "", ""},
    {"sender_id", "ABCDEFGHIJKL", BAD},
    {"sender_id", "1234567890123456", BAD},
    {"sender_id", "+1234567890123456", BAD},
    {"sender_id", "Shop!", BAD},
    {"sender_id", "+", BAD},
    {"sender_id", "+Shop", BAD},
    {"sender_id", "Sh\nop", BAD},

    {"end_marker", "--", "--"},
    {"end_marker",
     "Gr\xc3\xbc\xc3\x9f"
     "e",
     "Gr\xc3\xbc\xc3\x9f"
     "e"},
    {"end_marker", s200, s200},
    {"end_marker", "", ""},
    {"end_marker", s201, BAD},
    {"end_marker", "a\tb", BAD},
    {"end_marker", "a\nb", BAD},
    {"disclaimer", "This message is confidential.", "This message is confidential."},
    {"disclaimer", "", ""},
    {"disclaimer", s201, BAD},
    {"disclaimer", "a\x7f", BAD},

    {"subject_sender_id", "on", "on"},
    {"subject_sender_id", "off", "off"},
    {"replies", "yes", "on"},
    {"replies", "no", "off"},
    {"history", "true", "on"},
    {"history", "false", "off"},
    {"translit", "1", "on"},
    {"translit", "0", "off"},
    {"translit", "maybe", BAD},
    {"replies", "", BAD},
    {"history", "2", BAD},

    {"colour", "blue", BAD},
    {"", "x", BAD},
};

/* a value, different from the default, each key holds before a refused set */
static const char *
prior(const char *key)
{
    static const struct {
        const char *k, *v;
    } p[] = {{"auth", "spf"},
             {"networks", "198.51.100.0/24"},
             {"token", "PriorToken-0123456"},
             {"country", "GB"},
             {"numbers", "local"},
             {"limit", "7"},
             {"over_limit", "refuse"},
             {"content", "both"},
             {"notify", "none"},
             {"sender_id", "Prior"},
             {"end_marker", "~~"},
             {"disclaimer", "Prior."},
             {"subject_sender_id", "on"},
             {"replies", "on"},
             {"history", "on"},
             {"translit", "off"}};
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        if (strcmp(key, p[i].k) == 0)
            return p[i].v;
    return NULL;
}

static void
test_set(void)
{
    for (size_t i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
        const char *key = set_cases[i].key, *value = set_cases[i].value;
        struct sender_rule r;
        char buf[16], before[256], *error = NULL;
        sender_rule_init(&r);
        const char *pv = prior(key);
        if (pv && sender_set(&r, key, pv, &error) < 0)
            bail("prior value %s=%s refused: %s", key, pv, error);
        snprintf(before, sizeof(before), "%s", sender_get(&r, key, buf, sizeof(buf)));

        int rc = sender_set(&r, key, value, &error);
        const char *got = sender_get(&r, key, buf, sizeof(buf));
        if (set_cases[i].want) {
            if (!ok(rc == 0 && strcmp(got, set_cases[i].want) == 0, "set %s=%s", key, vis(value)))
                diag("  rc %d, get \"%s\", error %s", rc, vis(got), error ? error : "(none)");
        } else {
            int good =
                rc == -1 && error != NULL && strstr(error, key) != NULL && strcmp(got, before) == 0;
            if (!ok(good, "set %s=%s refused, %s unchanged", key, vis(value), *key ? key : "\"\""))
                diag("  rc %d, get \"%s\" (was \"%s\"), error %s", rc, vis(got), before,
                     error ? error : "(none)");
        }
        free(error);
        sender_rule_free(&r);
    }
}

/* --- sender_validate ----------------------------------------------------- */

static const struct {
    const char *settings[4]; /* key=value, applied in order */
    const char *why;         /* NULL: valid; else a substring of the reason */
} validate_cases[] = {
    {{"auth=network"}, "networks="},
    {{"auth=sasl,network"}, "networks="},
    {{"auth=network", "networks=10.0.0.0/8"}, NULL},
    {{"auth=network", "networks=10.0.0.0/8", "networks="}, "networks="},
    {{"auth=network", "networks= , "}, "networks="},
    {{"networks=10.0.0.0/8"}, NULL},
    {{"auth=token"}, "token="},
    {{"auth=dkim,token"}, "token="},
    {{"auth=token", "token=abcdefghijklmnop"}, NULL},
    {{"auth=token", "token=abcdefghijklmnop", "token="}, "token="},
    {{"numbers=local"}, "country="},
    {{"numbers=local", "country=au"}, NULL},
    {{"numbers=local", "country=au", "country="}, "country="},
    {{"country=au"}, NULL},
    {{"history=on"}, "replies=on"},
    {{"history=on", "replies=on"}, NULL},
    {{"replies=on"}, NULL},
    {{"subject_sender_id=on"}, NULL},
    {{"subject_sender_id=on", "content=subject"}, "content="},
    {{"subject_sender_id=on", "content=both"}, "content="},
    {{"content=subject"}, NULL},
    {{"auth=address"}, NULL},
    {{"auth=network,token", "networks=::1", "token=abcdefghijklmnop"}, NULL},
};

static void
test_validate(void)
{
    for (size_t i = 0; i < sizeof(validate_cases) / sizeof(validate_cases[0]); i++) {
        struct sender_rule r;
        char desc[200] = "", *error = NULL;
        size_t o = 0;
        sender_rule_init(&r);
        for (int s = 0; s < 4 && validate_cases[i].settings[s]; s++) {
            const char *kv = validate_cases[i].settings[s];
            const char *eq = strchr(kv, '=');
            char key[32];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
            if (sender_set(&r, key, eq + 1, &error) < 0)
                bail("setting %s refused: %s", kv, error);
            o += (size_t)snprintf(desc + o, sizeof(desc) - o, "%s%s", s ? " " : "", kv);
        }
        int rc = sender_validate(&r, &error);
        if (validate_cases[i].why == NULL) {
            if (!ok(rc == 0, "valid: %s", desc))
                diag("  error %s", error ? error : "(none)");
        } else if (!ok(rc == -1 && error && strstr(error, validate_cases[i].why),
                       "invalid: %s (needs %s)", desc, validate_cases[i].why))
            diag("  rc %d, error %s", rc, error ? error : "(none)");
        free(error);
        sender_rule_free(&r);
    }
}

/* --- sender_auth_parse --------------------------------------------------- */

static const struct {
    const char *list;
    int bits; /* -1: refused */
} auth_cases[] = {
    {"sasl", SENDER_AUTH_SASL},
    {"network", SENDER_AUTH_NETWORK},
    {"dkim", SENDER_AUTH_DKIM},
    {"spf", SENDER_AUTH_SPF},
    {"dmarc", SENDER_AUTH_DMARC},
    {"token", SENDER_AUTH_TOKEN},
    {"address", SENDER_AUTH_ADDRESS},
    {"sasl,dkim", SENDER_AUTH_SASL | SENDER_AUTH_DKIM},
    {"dmarc,sasl,dmarc", SENDER_AUTH_SASL | SENDER_AUTH_DMARC},
    {"kerberos", -1},
    {"sasl,", SENDER_AUTH_SASL},
    {"", -1},
    {",,", -1},
};

static void
test_auth_parse(void)
{
    for (size_t i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
        int bits = -2;
        char *error = NULL;
        int rc = sender_auth_parse(auth_cases[i].list, &bits, &error);
        if (auth_cases[i].bits >= 0)
            ok(rc == 0 && bits == auth_cases[i].bits, "auth \"%s\" is 0x%x", auth_cases[i].list,
               (unsigned)auth_cases[i].bits);
        else
            ok(rc == -1 && error != NULL && bits == -2, "auth \"%s\" refused", auth_cases[i].list);
        free(error);
    }
}

int
main(void)
{
    make_strings();
    test_pattern();
    test_defaults();
    test_set();
    test_validate();
    test_auth_parse();
    return done_testing();
}
