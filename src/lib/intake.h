/* intake.h - one mail, one recipient: the decision and the commit */
#ifndef SMSGATE_INTAKE_H
#define SMSGATE_INTAKE_H

#include "conf.h"
#include "db.h"
#include "mime.h"

#define INTAKE_REPLY_MAX 1024

/* What smsgate-lmtpd knows of one message once its DATA is in. */
struct intake_msg {
    const char *mail_from;   /* envelope sender, "" for the null sender */
    const char *client_addr; /* the original client (XFORWARD), "" unknown */
    const char *queue_id;    /* Postfix's queue id (XFORWARD IDENT), "" unknown */
    const char *digest;      /* hex SHA-256 of the sender and the message: the idempotency key */
    const struct mime_text *mime;
    const struct conf *conf;
};

/*
 * intake_rcpt - what the envelope alone decides at RCPT time: the domain
 * must be an SMS domain (550 5.1.2) and the local part must look like a
 * phone number (550 5.1.3). Returns 0 (accept, with the domain's universe
 * in *universe_r) or -1 with the whole reply in reply; a database failure
 * gives a 4xx reply. A universe already in *universe_r (> 0) is taken as
 * the domain's, not looked up again; pass 0 to have it looked up.
 */
int intake_rcpt(struct db *db, const char *rcpt, long long *universe_r,
                char reply[INTAKE_REPLY_MAX]);

/* What the SMTP dialogue shows of a sender before its message (smsgate-milter). */
struct intake_env {
    const char *mail_from;   /* envelope sender, "" for the null sender */
    const char *client_addr; /* the SMTP client's address, "" unknown */
    const char *sasl_login;  /* the SASL login, "" when the client did not log in */
    const struct conf *conf;
    int check_credit; /* also refuse a payer that cannot cover one part */
};

/*
 * intake_check()'s answer for a recipient that is no SMS recipient: no
 * '@', or a domain that is not one of our SMS domains. Not ours to judge:
 * smsgate-lmtpd never sees such mail, and the milter lets it pass (reply
 * is ""). Only a database failure, while finding out, is a 451.
 */
#define INTAKE_NOT_OURS 0

/* The sender rule a recipient was accepted under (opaque). */
struct intake_rule;

/*
 * intake_check - at RCPT, everything smsgate-lmtpd will decide that needs
 * no text, by the same code. A recipient outside the SMS domains is
 * INTAKE_NOT_OURS; for the others, intake_rcpt()'s envelope checks, then the
 * sender rule (550 5.7.1 when none), the rule's authentication as far as
 * SMTP shows it (address, network, a SASL login; a rule that also accepts
 * DKIM, SPF, DMARC or a token is left to smsgate-lmtpd), the account's
 * status, the number with the rule's country and policy (550 5.1.3 or
 * 5.7.1), a price for it, and with e->check_credit whether the payer could
 * pay one part now (552 5.2.2 or 452 4.2.2 as insufficient_credit says).
 * Only reads, each a bounded query; a database failure is 451 4.3.0.
 * Returns the reply code and the whole reply; on 250, *rule_r is the rule
 * (free it with intake_rule_free()), for intake_length() at the end.
 */
int intake_check(struct db *db, const struct intake_env *e, const char *rcpt,
                 struct intake_rule **rule_r, char reply[INTAKE_REPLY_MAX]);

/*
 * intake_length - the parts the message's text needs under the rule (its
 * content, markers and transliteration, as intake_deliver() composes it)
 * in *parts_r (0: no text). Returns 0, or 550 with the reply "550 5.3.4
 * ... message too long: N parts, the limit is L" when the rule refuses
 * texts over its limit and this one is.
 */
int intake_length(const struct intake_rule *r, const struct mime_text *m, const char *rcpt,
                  int *parts_r, char reply[INTAKE_REPLY_MAX]);
/*
 * intake_length_may_refuse - can intake_length() refuse anything under the
 * rule (over_limit = refuse)? When not, the text need not be looked for.
 */
int intake_length_may_refuse(const struct intake_rule *r);
void intake_rule_free(struct intake_rule *r);

/*
 * intake_deliver - everything else for one recipient: the universe, the
 * sender rule, its authentication, the text, the number, the price and
 * the payer; then, in one transaction, the reservation and the SMS. The
 * reply is "250 2.0.0 ... SMS <id> ..." only after COMMIT; 4xx whenever
 * anything transient failed; 5xx with a reason a person can act on. The
 * same message again finds its SMS and changes nothing. Returns the reply
 * code; *sms_id_r is the SMS (0 when none). universe is what intake_rcpt()
 * found for the recipient's domain (0: look it up again).
 */
int intake_deliver(struct db *db, const struct intake_msg *m, const char *rcpt, long long universe,
                   char reply[INTAKE_REPLY_MAX], long long *sms_id_r);

#endif
