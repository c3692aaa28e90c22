/*
 * pricing.c - prices down the account tree
 *
 * Pure functions: the database code (quote.c) loads the levels, this code
 * decides. A price is computed in O(depth) from the root down. A child is
 * never priced below its parent: that would make the parent pay out of its
 * own pocket for every SMS its client sends, which no reseller wants and
 * which we refuse both when a rate is set and when a price is computed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pricing.h"
#include "xalloc.h"

/* pricing_margin - add a margin to a parent's price */
amount_t
pricing_margin(amount_t parent_price, amount_t margin_percent, amount_t margin_fixed)
{
    /* percent is micro-percent: price * pct / (100 * 10^6), half up */
    __int128 m = (__int128)parent_price * margin_percent;
    m = (m + 50000000) / 100000000;
    __int128 p = (__int128)parent_price + m + margin_fixed;
    return p > AMOUNT_MAX ? AMOUNT_MAX + 1 : (amount_t)p;
}

/* pricing_compute - prices root first */
int
pricing_compute(struct price_level *lv, int n, int *bad_r, const char **error_r)
{
    if (n <= 0) {
        *bad_r = 0;
        *error_r = "no account";
        return -1;
    }
    for (int i = n - 1; i >= 0; i--) {
        *bad_r = i;
        if (i == n - 1) {
            if (!lv[i].has_rate) {
                *error_r = "no carrier cost for this destination";
                return -1;
            }
            lv[i].price = lv[i].rate;
        } else if (lv[i].has_rate) {
            if (lv[i].rate < lv[i + 1].price) {
                *error_r = "rate below the parent's price";
                return -1;
            }
            lv[i].price = lv[i].rate;
        } else {
            lv[i].price = pricing_margin(lv[i + 1].price, lv[i].margin_percent, lv[i].margin_fixed);
        }
        /* the carrier cost too: sums of prices must not overflow */
        if (lv[i].price > AMOUNT_MAX) {
            *error_r = "price too large";
            return -1;
        }
    }
    return 0;
}

/* pricing_payer - nearest account billed "own", the root at the latest */
int
pricing_payer(const struct price_level *lv, int n)
{
    int i = 0;
    while (i < n - 1 && lv[i].billing_parent)
        i++;
    return i;
}

/* node_rate - longest explicit rate of node matching number; 1 if found */
static int
node_rate(const struct price_node *node, const char *number, amount_t *price_r)
{
    size_t best = 0;
    int found = 0;
    for (int r = 0; r < node->nrates; r++) {
        size_t len = strlen(node->rates[r].prefix);
        if (len > best && strncmp(node->rates[r].prefix, number, len) == 0) {
            best = len;
            *price_r = node->rates[r].price;
            found = 1;
        }
    }
    return found;
}

/* pricing_check_tree - every account at least its parent, everywhere */
int
pricing_check_tree(const struct price_node *nodes, int n, struct pricing_violation *v)
{
    amount_t *price = xcalloc((size_t)n, sizeof(*price));
    char *defined = xcalloc((size_t)n, 1);
    int bad = 0;

    for (int c = 0; c < n && !bad; c++) {
        for (int r = 0; r < nodes[c].nrates && !bad; r++) {
            const char *number = nodes[c].rates[r].prefix;
            for (int i = 0; i < n; i++) {
                int p = nodes[i].parent;
                amount_t rate = 0;
                int has = node_rate(&nodes[i], number, &rate);
                defined[i] = 0;
                if (p < 0) {
                    defined[i] = (char)has;
                    price[i] = rate;
                    continue;
                }
                if (has) {
                    defined[i] = 1;
                    price[i] = rate;
                    if (defined[p] && rate < price[p]) {
                        v->node = i;
                        strcpy(v->prefix, number);
                        v->price = rate;
                        v->parent_price = price[p];
                        bad = 1;
                        break;
                    }
                } else if (defined[p]) {
                    defined[i] = 1;
                    price[i] =
                        pricing_margin(price[p], nodes[i].margin_percent, nodes[i].margin_fixed);
                }
            }
        }
    }
    xfree(price);
    xfree(defined);
    return bad;
}
