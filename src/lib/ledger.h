/* ledger.h - money movements: reserve, post, void, top-up, allocate, check */
#ifndef SMSGATE_LEDGER_H
#define SMSGATE_LEDGER_H

#include "amount.h"
#include "db.h"
#include "quote.h"

/*
 * Every function here runs inside the caller's transaction (the caller
 * says BEGIN and COMMIT), so intake can commit the SMS and its reservation
 * together. A refusal does not abort the transaction.
 */
enum ledger_status {
    LEDGER_OK = 0,
    LEDGER_ERROR = -1,  /* database failure: see db_error(), db_transient() */
    LEDGER_REPLAY = 1,  /* the idempotency key was used before: nothing changed */
    LEDGER_REFUSED = 2, /* a definite no, reason in *reason_r */
};

/* Why a reservation was refused; intake maps these to reply codes. */
enum ledger_refusal {
    LEDGER_NONE,
    LEDGER_UNPRICED,     /* no price for the destination, or a bad configuration */
    LEDGER_INACTIVE,     /* an account on the path is suspended or closed */
    LEDGER_INSUFFICIENT, /* the payer's available funds do not cover it */
    LEDGER_DAILY_CAP,
    LEDGER_MONTHLY_CAP,
    LEDGER_CONFLICT, /* key already used for a different movement */
    LEDGER_RESOLVED, /* post of a voided reservation, or void of a posted one */
    LEDGER_UNKNOWN,  /* no such reservation */
};

struct ledger_result {
    enum ledger_refusal refusal;
    char *reason;          /* allocated, for a person; NULL on success */
    long long transfer_id; /* the reservation or the transfer */
    amount_t amount;       /* what the payer is charged (reserve) */
};

void ledger_result_free(struct ledger_result *r);

/*
 * ledger_reserve - price the SMS for sender_id (quote.c), find the payer,
 * and create the pending transfer with every limit checked under the
 * payer's row lock. The key must be deterministic (message, recipient,
 * part): the same key again returns LEDGER_REPLAY with the first
 * reservation's id.
 */
enum ledger_status ledger_reserve(struct db *db, const char *key, long long sender_id,
                                  const char *destination, int segments, struct ledger_result *r);

/*
 * The arguments of sg_reserve() (and of sg_intake(), which reserves and
 * queues the SMS in one statement): the quote for the sender and the
 * destination, as SQL parameters.
 */
struct ledger_args {
    char payer[24], segments[16], prefix[PRICING_PREFIX_MAX];
    char *accounts, *prices; /* "{id,...}" and "{total,...}", sender to root */
    amount_t amount;         /* what the payer is charged */
    amount_t sender_price;   /* the sending account's own price, all segments */
};

/* ledger_prepare - quote and build the arguments; LEDGER_REFUSED when unpriced */
enum ledger_status ledger_prepare(struct db *db, long long sender_id, const char *destination,
                                  int segments, struct ledger_args *a, struct ledger_result *r);
void ledger_args_free(struct ledger_args *a);
/* ledger_reserved - the status sg_reserve() or sg_intake() returned, as ours */
enum ledger_status ledger_reserved(struct db *db, const char *status, const char *detail,
                                   struct ledger_result *r);

/* ledger_post - charge a reservation and pay every ancestor's margin */
enum ledger_status ledger_post(struct db *db, long long reservation_id, struct ledger_result *r);
/* ledger_void - release a reservation; it costs nothing */
enum ledger_status ledger_void(struct db *db, long long reservation_id, struct ledger_result *r);

/* ledger_topup - money entering from outside (funding -> account) */
enum ledger_status ledger_topup(struct db *db, const char *key, long long account_id,
                                amount_t amount, const char *ref, struct ledger_result *r);
/* ledger_allocate - credit from one account to its parent or child */
enum ledger_status ledger_allocate(struct db *db, const char *key, long long from_id,
                                   long long to_id, amount_t amount, const char *ref,
                                   struct ledger_result *r);

struct ledger_balance {
    amount_t posted;  /* credits - debits, posted */
    amount_t pending; /* reservations not yet resolved */
    amount_t credit_limit;
    amount_t available; /* posted - pending + credit_limit */
    amount_t spent_today, spent_month;
};

/* ledger_balance - one account's figures; 0, or -1 */
int ledger_balance(struct db *db, long long account_id, struct ledger_balance *b);

/*
 * ledger_check - verify the invariants of DESIGN.md; calls report() once
 * per problem found. Returns the number of problems, or -1 on a database
 * error.
 */
int ledger_check(struct db *db, void (*report)(const char *problem, void *ctx), void *ctx);

#endif
