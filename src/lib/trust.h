/* trust.h - is the sender who the sender rule demands? (pure) */
#ifndef SMSGATE_TRUST_H
#define SMSGATE_TRUST_H

#include "mime.h"

struct trust_input {
    int auth;                /* SENDER_AUTH_* bits of the rule: any one passing suffices */
    const char *networks;    /* the rule's CIDR list, NULL for none */
    const char *token;       /* the rule's token, NULL for none */
    const char *mail_from;   /* the envelope sender */
    const char *client_addr; /* from XFORWARD, "" when unknown: then our stamp's smtp.remote-ip */
    const char *trusted_ids; /* authserv-ids whose Authentication-Results count */
    const struct mime_text *m;
    const char *own_id; /* smsgate-milter's authserv-id (authserv_id), NULL or "" none */
};

/*
 * trust_check - 1 when one of the rule's methods passes, with its name in
 * *method_r ("sasl", "dkim", ...); 0 otherwise. Header results count only
 * from trusted authserv-ids and only when they vouch for the sender's
 * domain: DKIM's header.d aligned with it (equal or a parent domain), SPF's
 * smtp.mailfrom in it, DMARC's header.from equal to it; SASL needs a login.
 * A null sender has no domain to vouch for. For network without
 * client_addr, the address is the smtp.remote-ip of the topmost field under
 * own_id (smsgate-milter's stamp), never one under another trusted id.
 * A token is read from an
 * X-SMS-Token header (blanks around it ignored) or, without one, as the
 * first word of the subject ("token=SECRET"); an empty token never passes.
 */
int trust_check(const struct trust_input *in, const char **method_r);

/* What the SMTP dialogue alone can say about a rule's authentication. */
enum trust_verdict {
    TRUST_FAIL = 0,  /* no method of the rule can pass */
    TRUST_PASS = 1,  /* one passed: its name in *method_r */
    TRUST_LATER = 2, /* only the message can tell (dkim, spf, dmarc, token) */
};

/*
 * trust_check_envelope - the rule's methods that the SMTP dialogue decides,
 * before the message is there (smsgate-milter at RCPT): address; network
 * with in->client_addr; sasl with sasl_login (the SASL login, "" or NULL
 * for none). A rule that also accepts a method only the message can show
 * is never refused here: smsgate-lmtpd decides it. in->m is not used.
 */
enum trust_verdict trust_check_envelope(const struct trust_input *in, const char *sasl_login,
                                        const char **method_r);

/*
 * trust_cidr_match - is addr inside one of the comma/space separated blocks?
 * A block with a malformed prefix ("10.0.0.0/", "/33") matches nothing.
 */
int trust_cidr_match(const char *addr, const char *networks);

/* trust_subject_token - the subject without a leading "token=..." word (fresh memory) */
char *trust_subject_token(const char *subject, char **token_r);

#endif
