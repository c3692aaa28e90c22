/*
 * NAME
 *	smsgatectl - smsgate administration
 * SYNOPSIS
 *	smsgatectl [-c FILE] [--json] [-v] COMMAND [ARGS...]
 * DESCRIPTION
 *	One tool for the schema, the account tree, domains, sender rules,
 *	rates, money and reports. Every command prints a table, or JSON with
 *	--json; errors go to stderr with the exit codes of ctl.h. Each command
 *	that changes something does it in one transaction: on any error,
 *	nothing has changed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "msg.h"
#include "xalloc.h"

static const struct {
    const char *name;
    int (*run)(struct ctl *, int, char **);
} commands[] = {
    {"db", ctl_cmd_db},
    {"account", ctl_cmd_account},
    {"domain", ctl_cmd_domain},
    {"sender", ctl_cmd_sender},
    {"rate", ctl_cmd_rate},
    {"topup", ctl_cmd_topup},
    {"transfer", ctl_cmd_transfer},
    {"balance", ctl_cmd_balance},
    {"price", ctl_cmd_price},
    {"ledger", ctl_cmd_ledger},
    {"report", ctl_cmd_report},
    {"sms", ctl_cmd_sms},
};

static void
usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: smsgatectl [-c FILE] [--json] [-v] COMMAND [ARGS...]\n"
            "commands:\n"
            "  db migrate | db status\n"
            "  account add HANDLE [--parent P] [--billing own|parent] [--credit-limit AMT]\n"
            "              [--margin-percent N] [--margin-fixed AMT] [--daily-cap AMT]\n"
            "              [--monthly-cap AMT] [--charge-on accept|delivery]\n"
            "  account list [--parent P] [--tree] | account show HANDLE\n"
            "  account set HANDLE [options of add] | account suspend|resume|close HANDLE\n"
            "  domain add DOMAIN ACCOUNT | domain list [--account A] | domain del DOMAIN\n"
            "  sender add PATTERN ACCOUNT [key=value ...]\n"
            "  sender list [--account A] [--universe U]\n"
            "  sender show|set|del PATTERN [--universe U] [key=value ...]\n"
            "  rate set ACCOUNT PREFIX AMOUNT | rate del ACCOUNT PREFIX | rate list ACCOUNT\n"
            "  topup ACCOUNT AMOUNT [--ref TEXT]\n"
            "  transfer FROM TO AMOUNT [--ref TEXT]\n"
            "  balance ACCOUNT\n"
            "  price ACCOUNT NUMBER [--segments N] [--country CC]\n"
            "  ledger check | ledger statement ACCOUNT [--since DATE] [--until DATE]\n"
            "  report usage [--parent P] [--since DATE] [--until DATE]\n"
            "               [--by child|day|destination] [--format table|csv|json]\n"
            "  sms list [--account A] [--status S] [--limit N] | sms show ID\n"
            "see smsgatectl(8)\n");
    exit(code);
}

int
main(int argc, char **argv)
{
    struct ctl ctl = {0};
    int i;

    msg_init("smsgatectl", 0);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            ctl.conf_path = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            ctl.json = 1;
        else if (strcmp(argv[i], "-v") == 0)
            msg_verbose_set(msg_verbose_get() + 1);
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            usage(0);
        else
            usage(CTL_USAGE);
    }
    if (i >= argc)
        usage(CTL_USAGE);

    char *error;
    ctl.conf = conf_load(ctl.conf_path, &error);
    if (ctl.conf == NULL)
        ctl_die(CTL_CONFIG, "%s", error);

    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
        if (strcmp(argv[i], commands[c].name) == 0) {
            int rc = commands[c].run(&ctl, argc - i - 1, argv + i + 1);
            db_close(ctl.db);
            conf_free(ctl.conf);
            return rc;
        }
    fprintf(stderr, "smsgatectl: unknown command \"%s\"\n", argv[i]);
    usage(CTL_USAGE);
}
