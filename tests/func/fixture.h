/* fixture.h - helpers for functional tests against the private database */
#ifndef SMSGATE_FIXTURE_H
#define SMSGATE_FIXTURE_H

#include "amount.h"
#include "db.h"

/* fx_db - a new connection to $SMSGATE_DB, or bail out */
struct db *fx_db(void);
/* fx_ctl - run smsgatectl -c $SMSGATE_CONF with args; returns its exit code */
int fx_ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fx_ctl_out - the same, capturing stdout (allocated) */
char *fx_ctl_out(int *rc_r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* fx_must - fx_ctl that must succeed, else bail out */
void fx_must(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fx_id - account id of a handle, or bail out */
long long fx_id(struct db *db, const char *handle);
/* fx_posted / fx_pending - an account's posted balance and pending debits */
amount_t fx_posted(struct db *db, const char *handle);
amount_t fx_pending(struct db *db, const char *handle);
/* fx_system - balance of a system ledger account, from its transfers */
amount_t fx_system(struct db *db, const char *name);
/* fx_amount - "0.075" to micro-units, for readable expectations */
amount_t fx_amount(const char *s);

#endif
