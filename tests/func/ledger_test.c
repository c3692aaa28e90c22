/*
 * ledger_test.c - the money core against real PostgreSQL, figures by hand
 *
 * A three-level tree in both billing modes:
 *
 *   operator      carrier cost 61: 0.04, 614: 0.03
 *   +- reseller   own, margin 25%        614: 0.0375   61: 0.05
 *   |  +- client  own, margin +0.0125    614: 0.05     61: 0.0625
 *   |  +- client2 parent, rate 614 0.06  614: 0.06     61: 0.05
 *   +- ent        own, margin +0.01      614: 0.04     61: 0.05
 *      +- dept    parent, margin 10%     614: 0.044    61: 0.055
 *         +- team parent, no margin      614: 0.044
 *
 * Every expected figure below was computed by hand from these prices.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "ledger.h"
#include "tap.h"
#include "xalloc.h"

static struct db *db;

#define A(s) fx_amount(s)

/* reserve - one reservation in its own transaction; returns the status */
static enum ledger_status
reserve(const char *key, const char *sender, const char *number, int segments,
        struct ledger_result *r)
{
    if (db_begin(db) < 0)
        bail("begin: %s", db_error(db));
    enum ledger_status st = ledger_reserve(db, key, fx_id(db, sender), number, segments, r);
    if (st == LEDGER_ERROR)
        bail("reserve %s: %s", key, db_error(db));
    if (db_commit(db) < 0)
        bail("commit: %s", db_error(db));
    return st;
}

/* resolve - post or void in its own transaction */
static enum ledger_status
resolve(long long id, int post, struct ledger_result *r)
{
    if (db_begin(db) < 0)
        bail("begin: %s", db_error(db));
    enum ledger_status st = post ? ledger_post(db, id, r) : ledger_void(db, id, r);
    if (st == LEDGER_ERROR)
        bail("resolve %lld: %s", id, db_error(db));
    if (db_commit(db) < 0)
        bail("commit: %s", db_error(db));
    return st;
}

/* report - CSV of smsgatectl report usage */
static void
check_report(const char *args, const char *want, const char *what)
{
    int rc;
    char *out = fx_ctl_out(&rc, "report usage --format csv %s", args);
    is_int(rc, 0, "report usage %s exits 0", args);
    is_str(out, want, "%s", what);
    xfree(out);
}

static void
build_tree(void)
{
    fx_must("rate set operator 61 0.04");
    fx_must("rate set operator 614 0.03");
    fx_must("account add reseller --margin-percent 25");
    fx_must("account add client --parent reseller --margin-fixed 0.0125");
    fx_must("account add client2 --parent reseller --billing parent");
    fx_must("rate set client2 614 0.06");
    fx_must("account add ent --margin-fixed 0.01");
    fx_must("account add dept --parent ent --billing parent --margin-percent 10");
    fx_must("account add team --parent dept --billing parent");
    fx_must("topup reseller 100 --ref INV-1");
    fx_must("topup reseller 100 --ref INV-1"); /* the same reference: credited once */
    fx_must("transfer reseller client 20");
    fx_must("topup ent 10");
}

int
main(void)
{
    struct ledger_result r, r2;
    db = fx_db();
    build_tree();
    is_int(fx_posted(db, "reseller"), A("80"), "reseller: 100 topped up once, 20 allocated");

    /* 1. client, two segments to 614: pays its own price, margins at post */
    is_int(reserve("m1:61412345678:1", "client", "61412345678", 2, &r), LEDGER_OK, "m1 reserved");
    long long m1 = r.transfer_id;
    is_int(r.amount, A("0.10"), "m1 charged 2 x 0.05 to client");
    is_int(fx_pending(db, "client"), A("0.10"), "client has 0.10 pending");
    is_int(fx_posted(db, "reseller"), A("80"), "no margin at reservation");
    is_int(resolve(m1, 1, &r), LEDGER_OK, "m1 posted");
    is_int(fx_posted(db, "client"), A("19.90"), "client paid 0.10");
    is_int(fx_pending(db, "client"), 0, "nothing pending after post");
    is_int(fx_posted(db, "reseller"), A("80.025"), "reseller earned 2 x (0.05 - 0.0375)");
    is_int(fx_posted(db, "operator"), A("0.015"), "operator earned 2 x (0.0375 - 0.03)");
    is_int(fx_system(db, "carrier"), A("0.06"), "carrier cost 2 x 0.03");

    /* replays change nothing */
    is_int(reserve("m1:61412345678:1", "client", "61412345678", 2, &r2), LEDGER_REPLAY,
           "same reservation key again: replay");
    is_int(r2.transfer_id, m1, "replay returns the first reservation");
    is_int(resolve(m1, 1, &r2), LEDGER_REPLAY, "post again: replay");
    is_int(resolve(m1, 0, &r2), LEDGER_REFUSED, "void of a posted reservation refused");
    is_int(r2.refusal, LEDGER_RESOLVED, "... because it is resolved");
    ledger_result_free(&r2);
    is_int(fx_posted(db, "client"), A("19.90"), "client unchanged by the replays");
    is_int(fx_posted(db, "reseller"), A("80.025"), "reseller unchanged by the replays");

    /* 2. client to 61 (not 614): reserved, then voided: costs nothing */
    is_int(reserve("m2:61298765432:1", "client", "61298765432", 1, &r), LEDGER_OK, "m2 reserved");
    long long m2 = r.transfer_id;
    is_int(r.amount, A("0.0625"), "m2 priced 0.04 * 1.25 + 0.0125");
    is_int(resolve(m2, 0, &r), LEDGER_OK, "m2 voided");
    is_int(resolve(m2, 0, &r), LEDGER_REPLAY, "void again: replay");
    is_int(resolve(m2, 1, &r), LEDGER_REFUSED, "post of a voided reservation refused");
    ledger_result_free(&r);
    is_int(fx_posted(db, "client"), A("19.90"), "void restored client exactly");
    is_int(fx_pending(db, "client"), 0, "void released the pending amount");

    /* 3. client2 is billed to reseller: reseller pays its own price */
    is_int(reserve("m3:61412345678:1", "client2", "61412345678", 1, &r), LEDGER_OK, "m3 reserved");
    is_int(r.amount, A("0.0375"), "m3 charged at reseller's price");
    is_int(fx_pending(db, "reseller"), A("0.0375"), "pending on the payer, reseller");
    is_int(resolve(r.transfer_id, 1, &r), LEDGER_OK, "m3 posted");
    is_int(fx_posted(db, "reseller"), A("79.9875"), "reseller paid 0.0375");
    is_int(fx_posted(db, "client2"), 0, "client2 has no balance movements");
    is_int(fx_posted(db, "operator"), A("0.0225"), "operator earned 0.0075 more");

    /* 4. team -> dept -> ent: two levels billed to the parent */
    is_int(reserve("m4:61412345678:1", "team", "61412345678", 3, &r), LEDGER_OK, "m4 reserved");
    is_int(r.amount, A("0.12"), "m4 charged 3 x 0.04 to ent, two levels up");
    is_int(resolve(r.transfer_id, 1, &r), LEDGER_OK, "m4 posted");
    is_int(fx_posted(db, "ent"), A("9.88"), "ent paid 0.12");
    is_int(fx_posted(db, "operator"), A("0.0525"), "operator earned 3 x 0.01");

    /* 5. dept to 61, left pending */
    is_int(reserve("m5:61298765432:1", "dept", "61298765432", 1, &r), LEDGER_OK, "m5 reserved");
    is_int(fx_pending(db, "ent"), A("0.05"), "ent has 0.05 pending");

    /* the whole ledger */
    is_int(fx_system(db, "carrier"), A("0.18"), "carrier cost 0.06 + 0.03 + 0.09");
    is_int(fx_system(db, "funding"), A("-110"), "funding paid in 110");
    is_int(fx_system(db, "clearing"), 0, "clearing is empty");
    is_int(fx_ctl("ledger check"), 0, "ledger check passes");

    int rc;
    char *out = fx_ctl_out(&rc, "balance ent");
    ok(strstr(out, "available:    9.83\n") != NULL, "balance ent shows available 9.83");
    xfree(out);

    check_report("--parent reseller",
                 "child,sms,segments,charged,paid,margin\n"
                 "client,1,2,0.10,0.00,0.025\n"
                 "client2,1,1,0.06,0.0375,0.00\n",
                 "reseller's usage by child");
    check_report("--parent operator",
                 "child,sms,segments,charged,paid,margin\n"
                 "ent,1,3,0.12,0.00,0.03\n"
                 "reseller,2,3,0.1125,0.00,0.0225\n",
                 "operator's usage by child (m5 is still pending: not counted)");
    check_report("--parent ent",
                 "child,sms,segments,charged,paid,margin\ndept,1,3,0.132,0.12,0.00\n",
                 "ent paid for dept's traffic, priced 0.132 to invoice");
    check_report("--parent dept",
                 "child,sms,segments,charged,paid,margin\nteam,1,3,0.132,0.00,0.00\n",
                 "dept neither paid nor earned");
    check_report("--parent operator --by destination",
                 "destination,sms,segments,charged,paid,margin\n+614,3,6,0.2325,0.00,0.0525\n",
                 "operator's usage by destination prefix");

    /* caps: client2 daily 0.15 (its own price counts, m3 spent 0.06 today) */
    fx_must("account set client2 --daily-cap 0.15");
    is_int(reserve("c1", "client2", "61412345678", 1, &r), LEDGER_OK, "0.06 + 0.06 within 0.15");
    long long c1 = r.transfer_id;
    is_int(reserve("c2", "client2", "61412345678", 1, &r), LEDGER_REFUSED,
           "0.18 would pass the cap");
    is_int(r.refusal, LEDGER_DAILY_CAP, "... refused for the daily cap");
    ok(r.reason && strstr(r.reason, "client2"), "... naming client2: %s", r.reason);
    ledger_result_free(&r);
    is_int(resolve(c1, 0, &r), LEDGER_OK, "void gives the cap back");
    is_int(reserve("c3", "client2", "61412345678", 1, &r), LEDGER_OK, "so 0.06 fits again");
    is_int(resolve(r.transfer_id, 0, &r), LEDGER_OK, "c3 voided");
    fx_must("account set client2 --daily-cap none");
    fx_must("account set reseller --monthly-cap 0.05");
    is_int(reserve("c4", "client2", "61412345678", 1, &r), LEDGER_REFUSED,
           "reseller spent 0.0375 this month; another 0.0375 passes 0.05");
    is_int(r.refusal, LEDGER_MONTHLY_CAP, "... refused for the monthly cap");
    ledger_result_free(&r);
    fx_must("account set reseller --monthly-cap none");

    /* funds and credit limit */
    fx_must("account add poor");
    fx_must("topup poor 0.05");
    is_int(reserve("p1", "poor", "61412345678", 1, &r), LEDGER_OK, "0.03 of 0.05");
    long long p1 = r.transfer_id;
    is_int(reserve("p2", "poor", "61412345678", 1, &r), LEDGER_REFUSED, "0.06 of 0.05: refused");
    is_int(r.refusal, LEDGER_INSUFFICIENT, "... for insufficient funds");
    ledger_result_free(&r);
    fx_must("account set poor --credit-limit 0.01");
    is_int(reserve("p2", "poor", "61412345678", 1, &r), LEDGER_OK, "with 0.01 credit it fits");
    long long p2 = r.transfer_id;
    out = fx_ctl_out(&rc, "balance poor");
    ok(strstr(out, "available:    0.00\n") != NULL, "poor has exactly nothing left");
    xfree(out);
    is_int(resolve(p1, 0, &r), LEDGER_OK, "p1 voided");
    is_int(resolve(p2, 0, &r), LEDGER_OK, "p2 voided");

    /* inactive accounts and unpriced destinations */
    fx_must("account suspend reseller");
    is_int(reserve("s1", "client", "61412345678", 1, &r), LEDGER_REFUSED, "suspended ancestor");
    is_int(r.refusal, LEDGER_INACTIVE, "... refused as inactive");
    ledger_result_free(&r);
    fx_must("account resume reseller");
    is_int(reserve("u1", "client", "4479460000000", 1, &r), LEDGER_REFUSED,
           "no carrier cost for +44");
    is_int(r.refusal, LEDGER_UNPRICED, "... refused as unpriced");
    ledger_result_free(&r);

    /* nothing above moved money that it should not have */
    is_int(fx_posted(db, "client"), A("19.90"), "client still 19.90");
    is_int(fx_posted(db, "reseller"), A("79.9875"), "reseller still 79.9875");
    is_int(fx_posted(db, "poor"), A("0.05"), "poor still 0.05");
    is_int(fx_ctl("ledger check"), 0, "ledger check passes at the end");

    db_close(db);
    return done_testing();
}
