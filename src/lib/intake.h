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
 * gives a 4xx reply.
 */
int intake_rcpt(struct db *db, const char *rcpt, long long *universe_r,
                char reply[INTAKE_REPLY_MAX]);

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
