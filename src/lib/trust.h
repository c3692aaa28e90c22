/* trust.h - is the sender who the sender rule demands? (pure) */
#ifndef SMSGATE_TRUST_H
#define SMSGATE_TRUST_H

#include "mime.h"

struct trust_input {
    int auth;                /* SENDER_AUTH_* bits of the rule: any one passing suffices */
    const char *networks;    /* the rule's CIDR list, NULL for none */
    const char *token;       /* the rule's token, NULL for none */
    const char *mail_from;   /* the envelope sender */
    const char *client_addr; /* from XFORWARD, "" when unknown */
    const char *trusted_ids; /* authserv-ids whose Authentication-Results count */
    const struct mime_text *m;
};

/*
 * trust_check - 1 when one of the rule's methods passes, with its name in
 * *method_r ("sasl", "dkim", ...); 0 otherwise. Header results count only
 * from trusted authserv-ids and only when they vouch for the sender's
 * domain: DKIM's header.d aligned with it (equal or a parent domain), SPF's
 * smtp.mailfrom in it, DMARC's header.from equal to it; SASL needs a login.
 * A null sender has no domain to vouch for. A token is read from an
 * X-SMS-Token header (blanks around it ignored) or, without one, as the
 * first word of the subject ("token=SECRET"); an empty token never passes.
 */
int trust_check(const struct trust_input *in, const char **method_r);

/*
 * trust_cidr_match - is addr inside one of the comma/space separated blocks?
 * A block with a malformed prefix ("10.0.0.0/", "/33") matches nothing.
 */
int trust_cidr_match(const char *addr, const char *networks);

/* trust_subject_token - the subject without a leading "token=..." word (fresh memory) */
char *trust_subject_token(const char *subject, char **token_r);

#endif
