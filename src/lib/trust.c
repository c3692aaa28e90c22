/*
 * trust.c - sender authentication for sender rules
 *
 * The honest default: a rule trusts nothing it cannot verify. A header
 * result counts only when it comes from an authserv-id the postmaster named
 * (our milter strips forged copies of its own; OpenDKIM/OpenDMARC must be
 * set to do the same for theirs) and only when it is about the sender's own
 * domain: a DKIM pass for some other domain says nothing about who sent.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "sender.h"
#include "trust.h"
#include "xalloc.h"

/* in_list - is word (case-insensitive) in a comma/space separated list? */
static int
in_list(const char *word, const char *list)
{
    size_t wl = strlen(word);
    for (const char *p = list; p && *p;) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (len == wl && len && strncasecmp(p, word, len) == 0)
            return 1;
        p += len;
    }
    return 0;
}

/* aligned - d is dom or a parent domain of dom (relaxed alignment) */
static int
aligned(const char *d, const char *dom)
{
    size_t dl = strlen(d), ml = strlen(dom);
    if (dl == 0 || dl > ml)
        return 0;
    return strcasecmp(dom + ml - dl, d) == 0 && (dl == ml || dom[ml - dl - 1] == '.') &&
           strchr(d, '.') != NULL;
}

/* domain_of - the part after '@', or the string itself */
static const char *
domain_of(const char *s)
{
    const char *at = strrchr(s, '@');
    return at ? at + 1 : s;
}

/*
 * same_domain - a and b name one domain. An empty one names none: a null
 * sender has no domain, and an SPF result about the HELO name (no
 * smtp.mailfrom) or a DMARC result without header.from says nothing.
 */
static int
same_domain(const char *a, const char *b)
{
    return *a && *b && strcasecmp(a, b) == 0;
}

/*
 * prefix_len - the "/bits" of a block: digits only, at most max; -1 for
 * anything else. atoi() would read "/", "/x" and "/-1" as matching every
 * address, and a prefix longer than the address would compare memory past it.
 */
static int
prefix_len(const char *s, int max)
{
    size_t ndig = strspn(s, "0123456789");
    if (ndig == 0 || ndig > 3 || s[ndig] != 0)
        return -1;
    int bits = atoi(s);
    return bits <= max ? bits : -1;
}

/* trust_cidr_match - address in a block list */
int
trust_cidr_match(const char *addr, const char *networks)
{
    unsigned char a[16], n[16];
    int afam = inet_pton(AF_INET, addr, a) == 1 ? 4 : inet_pton(AF_INET6, addr, a) == 1 ? 6 : 0;
    if (afam == 0 || networks == NULL)
        return 0;
    char *copy = xstrdup(networks), *save = NULL;
    int match = 0;
    for (char *t = strtok_r(copy, ", \t", &save); t && !match; t = strtok_r(NULL, ", \t", &save)) {
        char *slash = strchr(t, '/');
        if (slash)
            *slash = 0;
        int nfam = inet_pton(AF_INET, t, n) == 1 ? 4 : inet_pton(AF_INET6, t, n) == 1 ? 6 : 0;
        if (nfam != afam)
            continue;
        int max = afam == 4 ? 32 : 128;
        int bits = slash ? prefix_len(slash + 1, max) : max;
        if (bits < 0)
            continue;
        int full = bits / 8, rest = bits % 8;
        match = memcmp(a, n, (size_t)full) == 0 &&
                (rest == 0 || ((a[full] ^ n[full]) & (0xff << (8 - rest))) == 0);
    }
    xfree(copy);
    return match;
}

/* trust_subject_token - split "token=SECRET rest of subject" */
char *
trust_subject_token(const char *subject, char **token_r)
{
    *token_r = NULL;
    if (subject == NULL)
        return NULL;
    const char *p = subject + strspn(subject, " \t");
    if (strncasecmp(p, "token=", 6) != 0)
        return xstrdup(subject);
    size_t len = strcspn(p + 6, " \t");
    *token_r = xstrndup(p + 6, len);
    p += 6 + len;
    return xstrdup(p + strspn(p, " \t"));
}

/* same_secret - compare without leaking the length of the common prefix */
static int
same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/*
 * token_given - the token a message carries, blanks around it dropped
 * (fresh memory, NULL for none): the first non-empty X-SMS-Token header,
 * else a "token=" first word of the subject.
 */
static char *
token_given(const struct mime_text *m)
{
    char *tok = NULL;
    for (int h = 0; h < m->nheaders; h++)
        if (strcasecmp(m->headers[h].name, "X-SMS-Token") == 0) {
            const char *v = m->headers[h].value ? m->headers[h].value : "";
            v += strspn(v, " \t\r\n");
            size_t len = strlen(v);
            while (len > 0 && strchr(" \t\r\n", v[len - 1]))
                len--;
            if (len > 0) /* an empty header leaves the subject to say it */
                return xstrndup(v, len);
        }
    xfree(trust_subject_token(m->subject, &tok));
    return tok;
}

/* header_results - does a trusted header vouch by one of the wanted methods? */
static int
header_results(const struct trust_input *in, const char **method_r)
{
    /* the envelope sender's domain; none for the null sender */
    const char *at = in->mail_from ? strrchr(in->mail_from, '@') : NULL;
    const char *dom = at ? at + 1 : "";
    for (int h = 0; in->m && h < in->m->nheaders; h++) {
        if (strcasecmp(in->m->headers[h].name, "Authentication-Results") != 0)
            continue;
        struct authres ar;
        /* RFC 8601 has no encoded words: one is a forgery dressed to slip past header_checks */
        if (strstr(in->m->headers[h].value, "=?") != NULL ||
            authres_parse(in->m->headers[h].value, &ar) < 0 ||
            !in_list(ar.authserv_id, in->trusted_ids))
            continue;
        for (int i = 0; i < ar.n; i++) {
            const struct authres_result *r = &ar.r[i];
            if (strcmp(r->result, "pass") != 0)
                continue;
            if ((in->auth & SENDER_AUTH_SASL) && strcmp(r->method, "auth") == 0 &&
                r->smtp_auth[0]) {
                *method_r = "sasl";
                return 1;
            }
            if ((in->auth & SENDER_AUTH_DKIM) && strcmp(r->method, "dkim") == 0 &&
                aligned(r->header_d, dom)) {
                *method_r = "dkim";
                return 1;
            }
            if ((in->auth & SENDER_AUTH_SPF) && strcmp(r->method, "spf") == 0 &&
                same_domain(domain_of(r->smtp_mailfrom), dom)) {
                *method_r = "spf";
                return 1;
            }
            if ((in->auth & SENDER_AUTH_DMARC) && strcmp(r->method, "dmarc") == 0 &&
                same_domain(r->header_from, dom)) {
                *method_r = "dmarc";
                return 1;
            }
        }
    }
    return 0;
}

/*
 * header_client - the SMTP client's address as our own milter recorded it:
 * the smtp.remote-ip of the first (topmost) Authentication-Results field
 * under our authserv-id, "" when it has none. smsgate-milter removes
 * forgeries under our id and puts its stamp at the top, so the first such
 * field is its own, and the search stops there: a field further down under
 * our id got past the milter some other way. Another trusted id's
 * smtp.remote-ip is never taken: the milter leaves OpenDKIM's forgeries in
 * place, and header_checks is the only thing that removes them.
 */
static void
header_client(const struct trust_input *in, char *addr, size_t size)
{
    addr[0] = 0;
    if (in->own_id == NULL || in->own_id[0] == 0)
        return;
    for (int h = 0; in->m && h < in->m->nheaders; h++) {
        const char *value = in->m->headers[h].value ? in->m->headers[h].value : "";
        if (strcasecmp(in->m->headers[h].name, "Authentication-Results") != 0 ||
            !authres_id_is(value, in->own_id))
            continue;
        struct authres ar;
        if (strstr(value, "=?") == NULL && authres_parse(value, &ar) == 0)
            for (int i = 0; i < ar.n; i++)
                if (ar.r[i].smtp_remote_ip[0]) {
                    snprintf(addr, size, "%s", ar.r[i].smtp_remote_ip);
                    break;
                }
        return;
    }
}

/*
 * network_passes - the client inside the rule's networks: the address
 * XFORWARD gave, or without one what our milter's stamp reports
 */
static int
network_passes(const struct trust_input *in)
{
    char addr[64];
    if (in->client_addr && in->client_addr[0])
        return trust_cidr_match(in->client_addr, in->networks);
    header_client(in, addr, sizeof(addr));
    return addr[0] && trust_cidr_match(addr, in->networks);
}

/* trust_check_envelope - what can be decided before the message */
enum trust_verdict
trust_check_envelope(const struct trust_input *in, const char *sasl_login, const char **method_r)
{
    if (in->auth & SENDER_AUTH_ADDRESS) {
        *method_r = "address";
        return TRUST_PASS;
    }
    if ((in->auth & SENDER_AUTH_NETWORK) && in->client_addr && in->client_addr[0] &&
        trust_cidr_match(in->client_addr, in->networks)) {
        *method_r = "network";
        return TRUST_PASS;
    }
    if ((in->auth & SENDER_AUTH_SASL) && sasl_login && sasl_login[0]) {
        *method_r = "sasl";
        return TRUST_PASS;
    }
    if (in->auth & (SENDER_AUTH_DKIM | SENDER_AUTH_SPF | SENDER_AUTH_DMARC | SENDER_AUTH_TOKEN)) {
        *method_r = "later";
        return TRUST_LATER;
    }
    return TRUST_FAIL;
}

/* trust_check - any of the rule's methods */
int
trust_check(const struct trust_input *in, const char **method_r)
{
    if (in->auth & SENDER_AUTH_ADDRESS) {
        *method_r = "address";
        return 1;
    }
    if ((in->auth & SENDER_AUTH_NETWORK) && network_passes(in)) {
        *method_r = "network";
        return 1;
    }
    /* an empty secret is no secret: "token=" in a subject must not match it */
    if ((in->auth & SENDER_AUTH_TOKEN) && in->token && in->token[0] && in->m) {
        char *given = token_given(in->m);
        int ok = given && given[0] && same_secret(given, in->token);
        xfree(given);
        if (ok) {
            *method_r = "token";
            return 1;
        }
    }
    return header_results(in, method_r);
}
