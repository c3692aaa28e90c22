/* quote.h - the price of one SMS for one account, from the database */
#ifndef SMSGATE_QUOTE_H
#define SMSGATE_QUOTE_H

#include "db.h"
#include "pricing.h"

struct quote {
    struct price_level *lv; /* [0] the sender ... [n - 1] the root */
    int n;
    int payer; /* index into lv */
    int segments;
    char destination[PRICING_PREFIX_MAX]; /* E.164 digits, no '+' */
};

enum quote_status { QUOTE_OK = 0, QUOTE_ERROR = -1, QUOTE_REFUSED = 1 };

/*
 * quote_get - load the path from account_id to the root with the longest
 * matching rate of each level (one query), then price it (pricing.c).
 * QUOTE_REFUSED comes with a reason a person can act on in *reason_r
 * (allocated); QUOTE_ERROR leaves the reason in db_error(db).
 */
enum quote_status quote_get(struct db *db, long long account_id, const char *destination,
                            int segments, struct quote *q, char **reason_r);
void quote_free(struct quote *q);

/* quote_total - price of level i for all segments */
amount_t quote_total(const struct quote *q, int i);

/*
 * quote_check_tree - load every account and rate and look for an account
 * priced below its parent. 0: none; 1: one, described in *reason_r
 * (allocated); -1: database error.
 */
int quote_check_tree(struct db *db, char **reason_r);

#endif
