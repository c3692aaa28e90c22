/*
 * pricing_test.c - prices down the account tree, who pays, tree checks
 *
 * Amounts are micro-units: 50000 is 0.05 per segment. Margins are
 * micro-percent: 10% is 10000000.
 */
#include "config.h"

#include <string.h>

#include "amount.h"
#include "pricing.h"
#include "tap.h"

#define PCT(x) ((amount_t)(x)*1000000) /* whole percent to micro-percent */
#define NONE (-1)                      /* no explicit rate */

/* pricing_margin: parent price, percent, fixed -> price */
static const struct {
    amount_t parent, pct, fixed, want;
} margin_cases[] = {
    {100000, 0, 0, 100000},
    {100000, PCT(10), 0, 110000},
    {100000, 12500000 /* 12.5% */, 0, 112500},
    {75000, PCT(20), 5000, 95000},
    {75000, 0, 5000, 80000},
    {0, PCT(50), 10, 10},
    {0, 0, 0, 0},
    /* half a micro-unit rounds up, just under half rounds down */
    {1, PCT(50), 0, 2},
    {1, 49999999, 0, 1},
    {3, PCT(50), 0, 5},   /* 1.5 -> 2 */
    {5, PCT(10), 0, 6},   /* 0.5 -> 1 */
    {5, 9999999, 0, 5},   /* 0.49999995 -> 0 */
    {15, PCT(10), 0, 17}, /* 1.5 -> 2 */
    {333333, 33333333, 0, 444444},
    {1, PCT(1000), 0, 11},
    {1000000, 1, 0, 1000000}, /* 0.01 micro-unit -> 0 */
    /* beyond AMOUNT_MAX is reported as AMOUNT_MAX + 1, never wrapped */
    {AMOUNT_MAX, 0, 0, AMOUNT_MAX},
    {AMOUNT_MAX - 1, 0, 1, AMOUNT_MAX},
    {AMOUNT_MAX, 0, 1, AMOUNT_MAX + 1},
    {AMOUNT_MAX, PCT(1000), 0, AMOUNT_MAX + 1},
    {AMOUNT_MAX, PCT(1000), AMOUNT_MAX, AMOUNT_MAX + 1},
};

/*
 * pricing_compute over a path, sender first, root last. rate NONE means
 * the level is priced by its margin. want_bad NONE means success and want
 * holds the expected prices.
 */
struct lvdef {
    amount_t rate, pct, fixed;
};

static const struct {
    const char *name;
    int n;
    struct lvdef lv[6];
    int want_bad;
    const char *why; /* substring of the reason */
    amount_t want[6];
} compute_cases[] = {
    {"root alone: price is the carrier cost", 1, {{50000, 0, 0}}, NONE, NULL, {50000}},
    {"root rate is the carrier cost, its own margin ignored",
     1,
     {{50000, PCT(50), 1000}},
     NONE,
     NULL,
     {50000}},
    {"one margin level", 2, {{NONE, PCT(10), 0}, {50000, 0, 0}}, NONE, NULL, {55000, 50000}},
    {"inherited margins at four depths",
     5,
     {{NONE, PCT(50), 0}, {NONE, 0, 1000}, {NONE, PCT(10), 500}, {NONE, PCT(10), 0}, {50000, 0, 0}},
     NONE,
     NULL,
     /* 50000 -> 55000 -> 61000 (55000 + 5500 + 500) -> 62000 -> 93000 */
     {93000, 62000, 61000, 55000, 50000}},
    {"explicit rate overrides the margin, margins continue below it",
     4,
     {{NONE, PCT(10), 0}, {70000, PCT(99), 99999}, {NONE, PCT(10), 0}, {50000, 0, 0}},
     NONE,
     NULL,
     {77000, 70000, 55000, 50000}},
    {"explicit rate equal to the parent's price",
     3,
     {{55000, 0, 0}, {NONE, PCT(10), 0}, {50000, 0, 0}},
     NONE,
     NULL,
     {55000, 55000, 50000}},
    {"explicit rate at the sender", 2, {{60000, 0, 0}, {50000, 0, 0}}, NONE, NULL, {60000, 50000}},
    {"free carrier, fixed margins only",
     3,
     {{NONE, 0, 2}, {NONE, 0, 1}, {0, 0, 0}},
     NONE,
     NULL,
     {3, 1, 0}},
    {"carrier cost at AMOUNT_MAX", 1, {{AMOUNT_MAX, 0, 0}}, NONE, NULL, {AMOUNT_MAX}},
    /* refusals */
    {"child rate below the parent's price",
     3,
     {{54999, 0, 0}, {NONE, PCT(10), 0}, {50000, 0, 0}},
     0,
     "below",
     {0}},
    {"middle rate below the root's cost",
     4,
     {{NONE, PCT(10), 0}, {NONE, 0, 0}, {49999, 0, 0}, {50000, 0, 0}},
     2,
     "below",
     {0}},
    {"sender rate below its reseller's explicit rate",
     3,
     {{60000, 0, 0}, {70000, 0, 0}, {50000, 0, 0}},
     0,
     "below",
     {0}},
    {"root without a rate", 3, {{NONE, 0, 0}, {NONE, 0, 0}, {NONE, 0, 0}}, 2, "carrier cost", {0}},
    {"root without a rate, children with rates",
     3,
     {{90000, 0, 0}, {80000, 0, 0}, {NONE, 0, 0}},
     2,
     "carrier cost",
     {0}},
    {"margin beyond AMOUNT_MAX",
     3,
     {{NONE, 0, 0}, {NONE, 0, 1}, {AMOUNT_MAX, 0, 0}},
     1,
     "too large",
     {0}},
    {"percent beyond AMOUNT_MAX",
     2,
     {{NONE, PCT(1000), 0}, {AMOUNT_MAX / 2, 0, 0}},
     0,
     "too large",
     {0}},
    {"explicit rate beyond AMOUNT_MAX",
     2,
     {{AMOUNT_MAX + 1, 0, 0}, {50000, 0, 0}},
     0,
     "too large",
     {0}},
    {"carrier cost beyond AMOUNT_MAX", 1, {{AMOUNT_MAX + 1, 0, 0}}, 0, "too large", {0}},
    {"carrier cost beyond AMOUNT_MAX under a child",
     2,
     {{NONE, 0, 0}, {AMOUNT_MAX + 1, 0, 0}},
     1,
     "too large",
     {0}},
};

/* pricing_payer: billing_parent flags, sender first -> index that pays */
static const struct {
    const char *name;
    int n;
    int parent[5];
    int want;
} payer_cases[] = {
    {"sender billed own pays", 3, {0, 0, 0}, 0},
    {"sender alone", 1, {0}, 0},
    {"root billed parent still pays", 1, {1}, 0},
    {"one parent-billed level", 3, {1, 0, 0}, 1},
    {"own below a parent-billed level", 3, {0, 1, 0}, 0},
    {"two parent-billed levels", 4, {1, 1, 0, 0}, 2},
    {"all parent up to the root: root pays", 4, {1, 1, 1, 0}, 3},
    {"all parent including the root: root pays", 4, {1, 1, 1, 1}, 3},
    {"parent chain stops at the first own", 5, {1, 0, 1, 1, 0}, 1},
};

static void
test_margin(void)
{
    for (size_t i = 0; i < sizeof(margin_cases) / sizeof(margin_cases[0]); i++)
        is_int(pricing_margin(margin_cases[i].parent, margin_cases[i].pct, margin_cases[i].fixed),
               margin_cases[i].want, "margin %lld + %lld micro-%% + %lld",
               (long long)margin_cases[i].parent, (long long)margin_cases[i].pct,
               (long long)margin_cases[i].fixed);
}

static void
test_compute(void)
{
    for (size_t c = 0; c < sizeof(compute_cases) / sizeof(compute_cases[0]); c++) {
        struct price_level lv[6];
        int n = compute_cases[c].n;
        memset(lv, 0, sizeof(lv));
        for (int i = 0; i < n; i++) {
            const struct lvdef *d = &compute_cases[c].lv[i];
            lv[i].account_id = 100 + i;
            lv[i].active = 1;
            lv[i].has_rate = d->rate != NONE;
            lv[i].rate = d->rate == NONE ? 0 : d->rate;
            lv[i].margin_percent = d->pct;
            lv[i].margin_fixed = d->fixed;
            lv[i].price = -7;
        }
        int bad = -99;
        const char *why = NULL;
        int rc = pricing_compute(lv, n, &bad, &why);
        if (compute_cases[c].want_bad == NONE) {
            int good = rc == 0;
            for (int i = 0; i < n; i++)
                good = good && lv[i].price == compute_cases[c].want[i];
            if (!ok(good, "compute: %s", compute_cases[c].name)) {
                diag("  rc %d, reason %s", rc, why ? why : "(none)");
                for (int i = 0; i < n; i++)
                    diag("  level %d: got %lld, want %lld", i, (long long)lv[i].price,
                         (long long)compute_cases[c].want[i]);
            }
        } else {
            int good = rc == -1 && bad == compute_cases[c].want_bad && why != NULL &&
                       strstr(why, compute_cases[c].why) != NULL;
            if (!ok(good, "compute refused at level %d: %s", compute_cases[c].want_bad,
                    compute_cases[c].name))
                diag("  rc %d, bad %d, reason %s", rc, bad, why ? why : "(none)");
        }
    }

    struct price_level none[1];
    int bad = -99;
    const char *why = NULL;
    ok(pricing_compute(none, 0, &bad, &why) == -1 && why != NULL && bad == 0,
       "compute refuses an empty path");
}

static void
test_payer(void)
{
    for (size_t c = 0; c < sizeof(payer_cases) / sizeof(payer_cases[0]); c++) {
        struct price_level lv[5];
        memset(lv, 0, sizeof(lv));
        for (int i = 0; i < payer_cases[c].n; i++)
            lv[i].billing_parent = payer_cases[c].parent[i];
        is_int(pricing_payer(lv, payer_cases[c].n), payer_cases[c].want, "payer: %s",
               payer_cases[c].name);
    }
}

/* pricing_check_tree: up to 6 nodes with up to 3 rates each */
struct nodedef {
    int parent;
    amount_t pct, fixed;
    struct price_rate rates[3];
};

static const struct {
    const char *name;
    int n;
    struct nodedef nodes[6];
    int want_bad; /* NONE: sound */
    const char *prefix;
    amount_t price, parent_price;
} tree_cases[] = {
    {"sound tree: margins and explicit rates above the parents",
     4,
     {{-1, 0, 0, {{"61", 50000}, {"614", 70000}}},
      {0, PCT(10), 0, {{"", 0}}},
      {1, 0, 0, {{"61", 60000}, {"614", 80000}}},
      {2, PCT(5), 100, {{"6", 90000}}}},
     NONE,
     NULL,
     0,
     0},
    {"sound tree: child rate equal to the parent's price",
     2,
     {{-1, 0, 0, {{"61", 50000}}}, {0, 0, 0, {{"61", 50000}}}},
     NONE,
     NULL,
     0,
     0},
    {"child rate for a prefix its root cannot price",
     2,
     {{-1, 0, 0, {{"61", 50000}}}, {0, 0, 0, {{"1", 10}}}},
     NONE,
     NULL,
     0,
     0},
    {"child's 61 rate below its parent's more specific 614 rate",
     3,
     {{-1, 0, 0, {{"61", 50000}}},
      {0, 0, 0, {{"61", 60000}, {"614", 90000}}},
      {1, 0, 0, {{"61", 70000}}}},
     2,
     "614",
     70000,
     90000},
    {"parent's rate raised above the child's explicit rate",
     3,
     {{-1, 0, 0, {{"61", 50000}}}, {0, 0, 0, {{"61", 80000}}}, {1, 0, 0, {{"61", 75000}}}},
     2,
     "61",
     75000,
     80000},
    {"parent's margin puts it above the child's explicit rate",
     3,
     {{-1, 0, 0, {{"61", 50000}}}, {0, PCT(20), 0, {{"", 0}}}, {1, 0, 0, {{"61", 55000}}}},
     2,
     "61",
     55000,
     60000},
    {"root's more specific cost above a reseller's general rate",
     2,
     {{-1, 0, 0, {{"61", 50000}, {"614", 90000}}}, {0, 0, 0, {{"61", 60000}}}},
     1,
     "614",
     60000,
     90000},
    {"violation deep in one branch, sibling branch sound",
     5,
     {{-1, 0, 0, {{"44", 10000}}},
      {0, 0, 0, {{"44", 20000}}},
      {0, 0, 0, {{"447", 30000}}},
      {2, PCT(10), 0, {{"", 0}}},
      {1, 0, 0, {{"4", 15000}}}},
     4,
     "44",
     15000,
     20000},
};

static void
test_tree(void)
{
    for (size_t c = 0; c < sizeof(tree_cases) / sizeof(tree_cases[0]); c++) {
        struct price_node nodes[6];
        struct price_rate rates[6][3];
        int n = tree_cases[c].n;
        memset(nodes, 0, sizeof(nodes));
        for (int i = 0; i < n; i++) {
            const struct nodedef *d = &tree_cases[c].nodes[i];
            nodes[i].account_id = 1 + i;
            nodes[i].parent = d->parent;
            nodes[i].margin_percent = d->pct;
            nodes[i].margin_fixed = d->fixed;
            nodes[i].rates = rates[i];
            for (int r = 0; r < 3 && d->rates[r].prefix[0]; r++)
                rates[i][nodes[i].nrates++] = d->rates[r];
        }
        struct pricing_violation v;
        memset(&v, 0, sizeof(v));
        v.node = -99;
        int rc = pricing_check_tree(nodes, n, &v);
        if (tree_cases[c].want_bad == NONE) {
            if (!ok(rc == 0, "tree sound: %s", tree_cases[c].name))
                diag("  reported node %d prefix %s price %lld parent %lld", v.node, v.prefix,
                     (long long)v.price, (long long)v.parent_price);
            continue;
        }
        int good = rc == 1 && v.node == tree_cases[c].want_bad &&
                   strcmp(v.prefix, tree_cases[c].prefix) == 0 && v.price == tree_cases[c].price &&
                   v.parent_price == tree_cases[c].parent_price;
        if (!ok(good, "tree violation: %s (node %d, +%s, %lld < %lld)", tree_cases[c].name,
                tree_cases[c].want_bad, tree_cases[c].prefix, (long long)tree_cases[c].price,
                (long long)tree_cases[c].parent_price))
            diag("  rc %d, node %d, prefix \"%s\", price %lld, parent %lld", rc, v.node, v.prefix,
                 (long long)v.price, (long long)v.parent_price);
    }
}

int
main(void)
{
    test_margin();
    test_compute();
    test_payer();
    test_tree();
    return done_testing();
}
