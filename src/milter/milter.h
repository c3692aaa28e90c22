/* milter.h - smsgate-milter internals */
#ifndef SMSGATE_MILTER_H
#define SMSGATE_MILTER_H

#include <libmilter/mfapi.h>

#include "intake.h"
#include "shared.h"

/*
 * Every libmilter call the callbacks make goes through this table
 * (OpenDKIM's way), so that a test can drive the callbacks without an MTA
 * and see what they asked for. milter_smfi.c has libmilter's.
 */
struct milter_smfi {
    void *(*getpriv)(SMFICTX *ctx);
    int (*setpriv)(SMFICTX *ctx, void *priv);
    char *(*getsymval)(SMFICTX *ctx, char *name);
    int (*setreply)(SMFICTX *ctx, char *rcode, char *xcode, char *message);
    int (*insheader)(SMFICTX *ctx, int idx, char *name, char *value);
    int (*chgheader)(SMFICTX *ctx, char *name, int idx, char *value);
};
extern const struct milter_smfi milter_smfi_libmilter;

/*
 * What the callbacks share: the configuration and database pool, the
 * libmilter calls, and the RCPT verdict (intake_check() over the pool,
 * replaced in the unit test). sh.lock also guards active.
 */
struct milter {
    struct shared sh;
    const struct milter_smfi *smfi;
    int (*check)(struct conf_ref *cr, const struct intake_env *e, const char *rcpt,
                 struct intake_rule **rule_r, char reply[INTAKE_REPLY_MAX]);
    int active; /* connections open */
    char hostname[256];
    unsigned long noreply; /* MILTER_NOREPLY under libmilter, 0 in the unit test */
};
extern struct milter milter;

/* milter_check_db - intake_check() with a connection from the pool; 451 when none */
int milter_check_db(struct conf_ref *cr, const struct intake_env *e, const char *rcpt,
                    struct intake_rule **rule_r, char reply[INTAKE_REPLY_MAX]);

/*
 * The protocol steps at which nothing is decided (connect, HELO, MAIL,
 * each header field, the end of the header, each body chunk): the filter
 * asks not to reply to them (milter protocol 6), so that the MTA sends
 * them without waiting for an answer each time. Only RCPT and the end of
 * the message are answered. libmilter grants these flags whatever the MTA
 * supports (it replies "continue" itself to an MTA that wants a reply),
 * so once milter_negotiate() is registered the callbacks of these steps
 * answer SMFIS_NOREPLY; main() sets milter.noreply to say so.
 */
#define MILTER_NOREPLY                                                                             \
    (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

/* The callbacks (milter_filter.c), for smfi_register() and for tests. */
sfsistat milter_negotiate(SMFICTX *ctx, unsigned long actions, unsigned long steps,
                          unsigned long f2, unsigned long f3, unsigned long *actions_r,
                          unsigned long *steps_r, unsigned long *f2_r, unsigned long *f3_r);
sfsistat milter_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa);
sfsistat milter_helo(SMFICTX *ctx, char *helo);
sfsistat milter_envfrom(SMFICTX *ctx, char **argv);
sfsistat milter_envrcpt(SMFICTX *ctx, char **argv);
sfsistat milter_header(SMFICTX *ctx, char *name, char *value);
sfsistat milter_eoh(SMFICTX *ctx);
sfsistat milter_body(SMFICTX *ctx, unsigned char *chunk, size_t len);
sfsistat milter_eom(SMFICTX *ctx);
sfsistat milter_abort(SMFICTX *ctx);
sfsistat milter_close(SMFICTX *ctx);

/*
 * milter_authres - the value of our Authentication-Results: "id;
 * auth=pass smtp.auth=LOGIN smtp.remote-ip=ADDR", auth=none without a
 * login, "id; none" when SMTP told nothing. Fresh memory.
 */
char *milter_authres(const char *authserv_id, const char *login, const char *client_addr);

#endif
