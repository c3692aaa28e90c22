/* pricing.h - what an SMS costs at every level of the account tree (pure) */
#ifndef SMSGATE_PRICING_H
#define SMSGATE_PRICING_H

#include "amount.h"

#define PRICING_PREFIX_MAX 16 /* E.164: at most 15 digits */

/*
 * One account on the path from the sender (index 0) to the root (n - 1),
 * with what its parent set for it: an explicit rate for the longest prefix
 * of the destination it has one for, else a margin on the parent's price.
 */
struct price_level {
    long long account_id;
    char handle[64];
    int billing_parent; /* 1: charges go to the nearest ancestor billed "own" */
    int active;
    amount_t margin_percent; /* micro-percent: 12.5% is 12500000 */
    amount_t margin_fixed;   /* per segment */
    int has_rate;
    amount_t rate;
    char rate_prefix[PRICING_PREFIX_MAX];
    amount_t price; /* out: price per segment */
};

/* pricing_margin - parent price plus percent (rounded half up) plus fixed */
amount_t pricing_margin(amount_t parent_price, amount_t margin_percent, amount_t margin_fixed);

/*
 * pricing_compute - fill in price for every level, root first: the root's
 * price is its rate (the carrier cost); below it, an explicit rate or the
 * parent's price plus the margin. Returns 0, or -1 with a reason and the
 * offending level in *bad_r: no carrier cost for the destination, a rate
 * below the parent's price, a price beyond AMOUNT_MAX.
 */
int pricing_compute(struct price_level *lv, int n, int *bad_r, const char **error_r);

/* pricing_payer - index of the account that pays: the nearest "own" one */
int pricing_payer(const struct price_level *lv, int n);

/*
 * A whole tree, for checking a configuration before it is committed. Nodes
 * come parents first; rates of a node are its explicit rates.
 */
struct price_rate {
    char prefix[PRICING_PREFIX_MAX];
    amount_t price;
};

struct price_node {
    long long account_id;
    int parent; /* index in the array, -1 for the root */
    amount_t margin_percent, margin_fixed;
    struct price_rate *rates;
    int nrates;
};

struct pricing_violation {
    int node;                        /* the child priced below its parent */
    char prefix[PRICING_PREFIX_MAX]; /* for destinations starting with */
    amount_t price, parent_price;
};

/*
 * pricing_check_tree - is any account priced below its parent for any
 * destination? Prices change only where some rate's prefix begins, so
 * evaluating every prefix that appears anywhere covers every number.
 * Returns 0 when none is, 1 with the first violation in *v.
 */
int pricing_check_tree(const struct price_node *nodes, int n, struct pricing_violation *v);

#endif
