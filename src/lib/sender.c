/*
 * sender.c - sender rule settings: parse and validate (pure)
 *
 * Hosted email-to-SMS services often let anyone who types the right From
 * address spend a customer's money. Here a new rule demands real
 * authentication (SASL, DKIM or DMARC) unless the administrator writes
 * auth=address on purpose, and a public webmail domain can never be claimed
 * as a whole, since any stranger can get an address there.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"
#include "sender.h"
#include "xalloc.h"

const char *const sender_keys[] = {
    "auth",       "networks",          "token",     "country", "numbers", "limit",   "over_limit",
    "content",    "subject_sender_id", "sender_id", "notify",  "replies", "history", "translit",
    "end_marker", "disclaimer",        NULL,
};

static const char *const auth_names[] = {"sasl",  "network", "dkim",    "spf",
                                         "dmarc", "token",   "address", NULL};

/* Domains where anyone can open an address: never claimable whole. */
static const char *const webmail_domains[] = {
    "gmail.com",      "googlemail.com", "outlook.com", "hotmail.com",
    "hotmail.co.uk",  "live.com",       "msn.com",     "yahoo.com",
    "yahoo.co.uk",    "yahoo.com.au",   "ymail.com",   "icloud.com",
    "me.com",         "mac.com",        "aol.com",     "gmx.com",
    "gmx.de",         "gmx.net",        "web.de",      "mail.com",
    "protonmail.com", "proton.me",      "pm.me",       "zoho.com",
    "yandex.com",     "yandex.ru",      "mail.ru",     "qq.com",
    "163.com",        "126.com",        "bigpond.com", "optusnet.com.au",
    "fastmail.com",   "tutanota.com",   "hey.com",     NULL,
};

static void
set_str(char **field, const char *value)
{
    xfree(*field);
    *field = (value && *value) ? xstrdup(value) : NULL;
}

/* sender_rule_init - defaults */
void
sender_rule_init(struct sender_rule *r)
{
    memset(r, 0, sizeof(*r));
    set_str(&r->auth, "sasl,dkim,dmarc");
    set_str(&r->numbers, "international");
    r->limit = 4;
    set_str(&r->over_limit, "truncate");
    set_str(&r->content, "body");
    set_str(&r->notify, "failed");
    r->translit = 1;
}

void
sender_rule_free(struct sender_rule *r)
{
    char **strs[] = {&r->pattern,   &r->auth,    &r->networks,   &r->token,
                     &r->country,   &r->numbers, &r->over_limit, &r->content,
                     &r->sender_id, &r->notify,  &r->end_marker, &r->disclaimer};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        xfree(*strs[i]);
        *strs[i] = NULL;
    }
}

/* valid_domain - letters, digits, hyphens and dots, at least one dot */
static int
valid_domain(const char *d)
{
    size_t len = strlen(d);
    if (len < 3 || len > 253 || d[0] == '.' || d[0] == '-' || d[len - 1] == '.' ||
        strchr(d, '.') == NULL || strstr(d, ".."))
        return 0;
    for (const char *p = d; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
            return 0;
    return 1;
}

/* sender_pattern - address or @domain */
int
sender_pattern(const char *in, char **pattern_r, char **error_r)
{
    char *p = xstrdup(in);
    for (char *c = p; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    char *at = strrchr(p, '@');
    const char *why = NULL;

    if (at == NULL)
        why = "expected an address (alice@example.com) or a domain (@example.com)";
    else if (strlen(p) > 254)
        why = "too long";
    else if (!valid_domain(at + 1))
        why = "not a valid domain after '@'";
    else if (at != p) {
        for (char *c = p; c < at; c++)
            if (isspace((unsigned char)*c) || *c == '<' || *c == '>' || *c == '"' || *c == ',' ||
                *c == '@')
                why = "not a valid local part before '@'";
    } else {
        for (int i = 0; webmail_domains[i]; i++)
            if (strcmp(at + 1, webmail_domains[i]) == 0) {
                *error_r = xasprintf("%s is a public webmail domain: anyone can get an address "
                                     "there, so only exact addresses may be claimed",
                                     at + 1);
                xfree(p);
                return -1;
            }
    }
    if (why) {
        *error_r = xasprintf("sender pattern \"%s\": %s", in, why);
        xfree(p);
        return -1;
    }
    *pattern_r = p;
    return 0;
}

/* sender_auth_parse - comma list of methods */
int
sender_auth_parse(const char *list, int *bits_r, char **error_r)
{
    char *copy = xstrdup(list), *save = NULL;
    int bits = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int i;
        for (i = 0; auth_names[i]; i++)
            if (strcmp(t, auth_names[i]) == 0)
                break;
        if (auth_names[i] == NULL) {
            *error_r = xasprintf("auth: unknown method \"%s\" (use sasl, network, dkim, spf, "
                                 "dmarc, token, address)",
                                 t);
            xfree(copy);
            return -1;
        }
        bits |= 1 << i;
    }
    xfree(copy);
    if (bits == 0) {
        *error_r = xstrdup("auth: name at least one method");
        return -1;
    }
    *bits_r = bits;
    return 0;
}

/* sender_cidr_valid - a.b.c.d[/n] or IPv6[/n] */
int
sender_cidr_valid(const char *s)
{
    char addr[64];
    unsigned char buf[16];
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    if (len == 0 || len >= sizeof(addr))
        return 0;
    memcpy(addr, s, len);
    addr[len] = 0;
    int max = inet_pton(AF_INET, addr, buf) == 1    ? 32
              : inet_pton(AF_INET6, addr, buf) == 1 ? 128
                                                    : 0;
    if (max == 0)
        return 0;
    if (slash == NULL)
        return 1;
    /* digits only: strtol would also take "+8" or " 8", which other parsers refuse */
    size_t ndig = strspn(slash + 1, "0123456789");
    if (ndig == 0 || ndig > 3 || slash[1 + ndig] != 0)
        return 0;
    return atoi(slash + 1) <= max;
}

/* one_of - value in a NULL-terminated list */
static int
one_of(const char *v, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(v, *list) == 0)
            return 1;
    return 0;
}

/* on_off - "on"/"off" (also yes/no, true/false, 1/0) */
static int
on_off(const char *v, int *r)
{
    if (one_of(v, (const char *const[]){"on", "yes", "true", "1", NULL}))
        *r = 1;
    else if (one_of(v, (const char *const[]){"off", "no", "false", "0", NULL}))
        *r = 0;
    else
        return -1;
    return 0;
}

/* valid_sender_id - alphanumeric (at most 11 GSM letters) or a number */
static int
valid_sender_id(const char *v)
{
    size_t len = strlen(v), digits = strspn(v + (v[0] == '+'), "0123456789");
    if (digits && digits == len - (v[0] == '+'))
        return digits <= 15;
    if (len == 0 || len > 11)
        return 0;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(" .-_&", *p))
            return 0;
    return 1;
}

/* printable - no control characters, bounded */
static int
printable(const char *v, size_t max)
{
    if (strlen(v) > max)
        return 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* sender_set - validate and store one setting */
int
sender_set(struct sender_rule *r, const char *key, const char *value, char **error_r)
{
    const char *why = NULL;
    int b;

    if (strcmp(key, "auth") == 0) {
        if (sender_auth_parse(value, &b, error_r) < 0)
            return -1;
        set_str(&r->auth, value);
    } else if (strcmp(key, "networks") == 0) {
        char *copy = xstrdup(value), *save = NULL;
        int count = 0;
        for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save), count++)
            if (!sender_cidr_valid(t)) {
                *error_r = xasprintf("networks: \"%s\" is not an address or CIDR block", t);
                xfree(copy);
                return -1;
            }
        xfree(copy);
        /* separators alone name no network: store none, so auth=network is refused */
        set_str(&r->networks, count ? value : "");
    } else if (strcmp(key, "token") == 0) {
        if (*value && (strlen(value) < 16 || strlen(value) > 128 ||
                       strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_.") != strlen(value)))
            why = "16 to 128 letters, digits, '-', '_' or '.'";
        else
            set_str(&r->token, value);
    } else if (strcmp(key, "country") == 0) {
        const char *unknown;
        if (*value && !(strlen(value) == 2 && isalpha((unsigned char)value[0]) &&
                        isalpha((unsigned char)value[1])))
            why = "an ISO 3166 two-letter code such as AU";
        else if (*value && phone_check_country(value, &unknown) < 0)
            why = "a country with a numbering plan (ISO 3166, e.g. GB, not UK)";
        else {
            char cc[3] = {(char)toupper((unsigned char)value[0]),
                          (char)toupper((unsigned char)value[*value ? 1 : 0]), 0};
            set_str(&r->country, *value ? cc : "");
        }
    } else if (strcmp(key, "numbers") == 0) {
        if (!one_of(value, (const char *const[]){"local", "international", NULL}))
            why = "local or international";
        else
            set_str(&r->numbers, value);
    } else if (strcmp(key, "limit") == 0) {
        char *end;
        long n = strtol(value, &end, 10);
        if (*value == 0 || *end || n < 1 || n > 255)
            why = "a number of parts from 1 to 255";
        else
            r->limit = (int)n;
    } else if (strcmp(key, "over_limit") == 0) {
        if (!one_of(value, (const char *const[]){"truncate", "refuse", NULL}))
            why = "truncate or refuse";
        else
            set_str(&r->over_limit, value);
    } else if (strcmp(key, "content") == 0) {
        if (!one_of(value, (const char *const[]){"body", "subject", "both", NULL}))
            why = "body, subject or both";
        else
            set_str(&r->content, value);
    } else if (strcmp(key, "notify") == 0) {
        if (!one_of(value, (const char *const[]){"all", "failed", "none", NULL}))
            why = "all, failed or none";
        else
            set_str(&r->notify, value);
    } else if (strcmp(key, "sender_id") == 0) {
        if (*value && !valid_sender_id(value))
            why = "up to 11 letters and digits, or a number of up to 15 digits";
        else
            set_str(&r->sender_id, value);
    } else if (strcmp(key, "end_marker") == 0 || strcmp(key, "disclaimer") == 0) {
        if (!printable(value, 200))
            why = "printable text of at most 200 bytes";
        else
            set_str(key[0] == 'e' ? &r->end_marker : &r->disclaimer, value);
    } else {
        int *sw = strcmp(key, "subject_sender_id") == 0 ? &r->subject_sender_id
                  : strcmp(key, "replies") == 0         ? &r->replies
                  : strcmp(key, "history") == 0         ? &r->history
                  : strcmp(key, "translit") == 0        ? &r->translit
                                                        : NULL;
        if (sw == NULL) {
            *error_r = xasprintf("unknown sender setting \"%s\"", key);
            return -1;
        }
        if (on_off(value, sw) < 0)
            why = "on or off";
    }
    if (why) {
        *error_r = xasprintf("%s=%s: expected %s", key, value, why);
        return -1;
    }
    return 0;
}

/* sender_key_is_switch - on/off settings */
int
sender_key_is_switch(const char *key)
{
    return one_of(
        key, (const char *const[]){"subject_sender_id", "replies", "history", "translit", NULL});
}

/* sender_get - one setting as text */
const char *
sender_get(const struct sender_rule *r, const char *key, char *buf, int size)
{
    const char *s = NULL;
    if (strcmp(key, "limit") == 0) {
        snprintf(buf, (size_t)size, "%d", r->limit);
        return buf;
    }
    if (strcmp(key, "subject_sender_id") == 0)
        return r->subject_sender_id ? "on" : "off";
    if (strcmp(key, "replies") == 0)
        return r->replies ? "on" : "off";
    if (strcmp(key, "history") == 0)
        return r->history ? "on" : "off";
    if (strcmp(key, "translit") == 0)
        return r->translit ? "on" : "off";
    const struct {
        const char *k;
        const char *v;
    } strs[] = {{"auth", r->auth},
                {"networks", r->networks},
                {"token", r->token},
                {"country", r->country},
                {"numbers", r->numbers},
                {"over_limit", r->over_limit},
                {"content", r->content},
                {"sender_id", r->sender_id},
                {"notify", r->notify},
                {"end_marker", r->end_marker},
                {"disclaimer", r->disclaimer}};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strcmp(key, strs[i].k) == 0)
            s = strs[i].v;
    return s ? s : "";
}

/* sender_validate - combinations */
int
sender_validate(const struct sender_rule *r, char **error_r)
{
    int bits;
    if (sender_auth_parse(r->auth, &bits, error_r) < 0)
        return -1;
    if ((bits & SENDER_AUTH_NETWORK) && r->networks == NULL) {
        *error_r = xstrdup("auth=network needs networks= (the client addresses to trust)");
        return -1;
    }
    if ((bits & SENDER_AUTH_TOKEN) && r->token == NULL) {
        *error_r = xstrdup("auth=token needs token= (16 or more characters)");
        return -1;
    }
    if (strcmp(r->numbers, "local") == 0 && r->country == NULL) {
        *error_r = xstrdup("numbers=local needs country= (the country numbers are local to)");
        return -1;
    }
    if (r->subject_sender_id && strcmp(r->content, "body") != 0) {
        *error_r = xstrdup("subject_sender_id=on uses the subject as sender ID, so content= "
                           "must be body");
        return -1;
    }
    if (r->history && !r->replies) {
        *error_r = xstrdup("history=on needs replies=on");
        return -1;
    }
    return 0;
}
