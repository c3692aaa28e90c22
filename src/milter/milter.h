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
};
extern struct milter milter;

/* milter_check_db - intake_check() with a connection from the pool; 451 when none */
int milter_check_db(struct conf_ref *cr, const struct intake_env *e, const char *rcpt,
                    struct intake_rule **rule_r, char reply[INTAKE_REPLY_MAX]);

/* The callbacks (milter_filter.c), for smfi_register() and for tests. */
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
