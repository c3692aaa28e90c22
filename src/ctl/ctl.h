/* ctl.h - smsgatectl internals shared by its command files */
#ifndef SMSGATE_CTL_H
#define SMSGATE_CTL_H

#include <json-c/json.h>

#include "amount.h"
#include "conf.h"
#include "db.h"

/* exit codes, documented in smsgatectl(8) */
enum {
    CTL_OK = 0,
    CTL_CHECK_FAILED = 1, /* ledger check found a problem; db status: not current */
    CTL_USAGE = 64,       /* EX_USAGE: bad command line */
    CTL_REFUSED = 65,     /* EX_DATAERR: input refused; nothing changed */
    CTL_TEMPFAIL = 75,    /* EX_TEMPFAIL: database unreachable or busy; try again */
    CTL_CONFIG = 78,      /* EX_CONFIG: configuration file error */
};

struct ctl {
    const char *conf_path;
    struct conf *conf;
    struct db *db;
    int json;
};

/* A command-line option of a subcommand. */
struct ctl_opt {
    const char *name; /* without the leading "--" */
    int has_arg;
    const char *value; /* out: the argument, or "" for a flag that was given */
};

/*
 * ctl_parse - split argv into options (--name value, --name=value) and
 * positional arguments; exactly npos positional arguments unless npos is
 * negative (then at least -npos - 1). Exits with CTL_USAGE on a mistake.
 * Returns the number of positional arguments stored in pos.
 */
int ctl_parse(int argc, char **argv, struct ctl_opt *opts, char **pos, int maxpos, int npos,
              const char *usage);
const char *ctl_opt(const struct ctl_opt *opts, const char *name);

/* ctl_die - message to stderr, exit with code */
void ctl_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* ctl_db_die - a failed statement: CTL_TEMPFAIL if transient, else CTL_REFUSED */
void ctl_db_die(struct ctl *ctl, const char *what) __attribute__((noreturn));
/* ctl_connect - open the database named by the configuration (once) */
struct db *ctl_connect(struct ctl *ctl);
/* ctl_amount - parse an amount or exit with CTL_REFUSED naming the option */
amount_t ctl_amount(const char *what, const char *s, enum amount_sign sign);
/* ctl_account_id - the id of a handle, or exit with CTL_REFUSED */
long long ctl_account_id(struct ctl *ctl, const char *handle);
/* ctl_lock_tree - one tree change at a time (inside a transaction) */
void ctl_lock_tree(struct ctl *ctl);
/* ctl_check_prices - exit CTL_REFUSED if any account is priced below its parent */
void ctl_check_prices(struct ctl *ctl);
/* ctl_begin / ctl_commit - or die */
void ctl_begin(struct ctl *ctl);
void ctl_commit(struct ctl *ctl);
/* ctl_run - run a statement or die; returns the result */
PGresult *ctl_run(struct ctl *ctl, const char *what, const char *sql, int n, const char *const *p);
#define CTL_RUN(ctl, what, sql, ...)                                                               \
    ctl_run((ctl), (what), (sql), DB_NARGS(__VA_ARGS__), (const char *[]){__VA_ARGS__})

/* output: one JSON value, printed as JSON or as a human table */
void ctl_print(struct ctl *ctl, json_object *obj);
/* ctl_rows - a result set as an array of objects; columns ending in
 * "amount"-like names listed in amounts are formatted as money */
json_object *ctl_rows(const PGresult *res, const char *const *amounts);
json_object *ctl_amount_json(amount_t a);

int ctl_cmd_db(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_account(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_domain(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_sender(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_rate(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_topup(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_transfer(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_balance(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_price(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_ledger(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_report(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_sms(struct ctl *ctl, int argc, char **argv);

#endif
