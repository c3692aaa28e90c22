/*
 * ctl_out.c - what every smsgatectl command shares: option parsing, errors,
 * the database connection, and output
 *
 * Every command builds one JSON value; --json prints it as is, otherwise an
 * array of flat objects becomes an aligned table and an object becomes
 * "key: value" lines, with its arrays as tables below. One representation,
 * two renderings, so the table and the JSON never disagree.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "quote.h"
#include "xalloc.h"

/* ctl_die - report and exit */
void
ctl_die(int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "smsgatectl: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    /*
     * A refusal ends the command where it stands, like Postfix's msg_fatal():
     * the server rolls the open transaction back when the connection drops.
     * _exit() skips the exit-time leak report of sanitizer builds, which
     * would only list what the abandoned command still held; successful runs
     * are still checked in full.
     */
    fflush(stdout);
    _exit(code);
}

/* ctl_parse - options and positional arguments */
int
ctl_parse(int argc, char **argv, struct ctl_opt *opts, char **pos, int maxpos, int npos,
          const char *usage)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (n >= maxpos)
                ctl_die(CTL_USAGE, "too many arguments\nusage: %s", usage);
            pos[n++] = argv[i];
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        struct ctl_opt *o = opts;
        for (; o && o->name; o++)
            if (strlen(o->name) == len && strncmp(o->name, a + 2, len) == 0)
                break;
        if (o == NULL || o->name == NULL)
            ctl_die(CTL_USAGE, "unknown option %s\nusage: %s", a, usage);
        if (!o->has_arg) {
            if (eq)
                ctl_die(CTL_USAGE, "option --%s takes no value", o->name);
            o->value = "";
        } else if (eq) {
            o->value = eq + 1;
        } else if (i + 1 < argc) {
            o->value = argv[++i];
        } else {
            ctl_die(CTL_USAGE, "option --%s needs a value\nusage: %s", o->name, usage);
        }
    }
    if ((npos >= 0 && n != npos) || (npos < 0 && n < -npos - 1))
        ctl_die(CTL_USAGE, "usage: %s", usage);
    return n;
}

/* ctl_opt - value of an option, NULL if not given */
const char *
ctl_opt(const struct ctl_opt *opts, const char *name)
{
    for (; opts->name; opts++)
        if (strcmp(opts->name, name) == 0)
            return opts->value;
    return NULL;
}

/* ctl_connect - connect on first use */
struct db *
ctl_connect(struct ctl *ctl)
{
    if (ctl->db == NULL) {
        char *error;
        ctl->db = db_open(ctl->conf->database, ctl->conf->db_connect_timeout,
                          ctl->conf->db_statement_timeout, &error);
        if (ctl->db == NULL)
            ctl_die(CTL_TEMPFAIL, "%s", error);
    }
    return ctl->db;
}

/* ctl_db_die - a failed statement ends the command; the transaction rolls back */
void
ctl_db_die(struct ctl *ctl, const char *what)
{
    int transient = db_transient(ctl->db);
    ctl_die(transient ? CTL_TEMPFAIL : CTL_REFUSED, "%s: %s%s", what, db_error(ctl->db),
            transient ? " (temporary; try again)" : "");
}

/* ctl_run - statement or die */
PGresult *
ctl_run(struct ctl *ctl, const char *what, const char *sql, int n, const char *const *p)
{
    PGresult *res = db_exec(ctl_connect(ctl), sql, n, p);
    if (res == NULL)
        ctl_db_die(ctl, what);
    return res;
}

void
ctl_begin(struct ctl *ctl)
{
    if (db_begin(ctl_connect(ctl)) < 0)
        ctl_db_die(ctl, "begin");
}

void
ctl_commit(struct ctl *ctl)
{
    if (db_commit(ctl->db) < 0)
        ctl_db_die(ctl, "commit");
}

/*
 * ctl_lock_tree - serialise changes to the tree's shape and prices, so that
 * two administrators cannot each pass the price check with changes that
 * together price a child below its parent.
 */
void
ctl_lock_tree(struct ctl *ctl)
{
    PQclear(CTL_RUN(ctl, "lock", "SELECT pg_advisory_xact_lock(7424151)"));
}

/* ctl_check_prices - refuse the transaction's changes if they undercut a parent */
void
ctl_check_prices(struct ctl *ctl)
{
    char *why;
    int bad = quote_check_tree(ctl->db, &why);
    if (bad < 0)
        ctl_db_die(ctl, "price check");
    if (bad)
        ctl_die(CTL_REFUSED, "refused: %s", why);
}

/* ctl_amount - parse or die */
amount_t
ctl_amount(const char *what, const char *s, enum amount_sign sign)
{
    amount_t a;
    const char *why;
    if (amount_parse(s, sign, &a, &why) < 0)
        ctl_die(CTL_REFUSED, "%s \"%s\": %s", what, s, why);
    return a;
}

/* ctl_account_id - handle to id */
long long
ctl_account_id(struct ctl *ctl, const char *handle)
{
    PGresult *res = CTL_RUN(ctl, "account", "SELECT id FROM account WHERE handle = $1", handle);
    if (PQntuples(res) != 1)
        ctl_die(CTL_REFUSED, "no account \"%s\" (see smsgatectl account list)", handle);
    long long id = db_int64(res, 0, 0);
    PQclear(res);
    return id;
}

json_object *
ctl_amount_json(amount_t a)
{
    char buf[AMOUNT_STRLEN];
    return json_object_new_string(amount_format(a, buf));
}

/* ctl_rows - result set to an array of objects */
json_object *
ctl_rows(const PGresult *res, const char *const *amounts)
{
    json_object *arr = json_object_new_array();
    for (int r = 0; r < PQntuples(res); r++) {
        json_object *o = json_object_new_object();
        for (int c = 0; c < PQnfields(res); c++) {
            const char *name = PQfname(res, c), *v = db_value(res, r, c);
            int money = 0;
            for (const char *const *a = amounts; a && *a; a++)
                money |= strcmp(*a, name) == 0;
            json_object *val = NULL;
            if (v == NULL)
                val = NULL;
            else if (money)
                val = ctl_amount_json(strtoll(v, NULL, 10));
            else if (PQftype(res, c) == 20 || PQftype(res, c) == 23) /* int8, int4 */
                val = json_object_new_int64(strtoll(v, NULL, 10));
            else if (PQftype(res, c) == 16) /* bool */
                val = json_object_new_boolean(v[0] == 't');
            else
                val = json_object_new_string(v);
            json_object_object_add(o, name, val);
        }
        json_object_array_add(arr, o);
    }
    return arr;
}

/* cell - scalar as text for a table */
static const char *
cell(json_object *v)
{
    if (v == NULL)
        return "-";
    if (json_object_is_type(v, json_type_boolean))
        return json_object_get_boolean(v) ? "yes" : "no";
    return json_object_get_string(v);
}

/* print_table - array of flat objects, columns from the first object */
static void
print_table(json_object *arr)
{
    size_t rows = json_object_array_length(arr);
    if (rows == 0) {
        printf("(none)\n");
        return;
    }
    json_object *first = json_object_array_get_idx(arr, 0);
    int ncol = json_object_object_length(first), c = 0;
    const char **names = xcalloc((size_t)ncol, sizeof(*names));
    int *width = xcalloc((size_t)ncol, sizeof(*width));
    json_object_object_foreach(first, key, unused)
    {
        (void)unused;
        names[c] = key;
        width[c] = (int)strlen(key);
        c++;
    }
    for (size_t r = 0; r < rows; r++)
        for (c = 0; c < ncol; c++) {
            json_object *v = NULL;
            json_object_object_get_ex(json_object_array_get_idx(arr, r), names[c], &v);
            int w = (int)strlen(cell(v));
            if (w > width[c])
                width[c] = w;
        }
    for (c = 0; c < ncol; c++)
        printf("%-*s%s", c + 1 < ncol ? width[c] : 0, names[c], c + 1 < ncol ? "  " : "\n");
    for (size_t r = 0; r < rows; r++)
        for (c = 0; c < ncol; c++) {
            json_object *v = NULL;
            json_object_object_get_ex(json_object_array_get_idx(arr, r), names[c], &v);
            printf("%-*s%s", c + 1 < ncol ? width[c] : 0, cell(v), c + 1 < ncol ? "  " : "\n");
        }
    xfree(names);
    xfree(width);
}

/* ctl_print - JSON or human */
void
ctl_print(struct ctl *ctl, json_object *obj)
{
    if (ctl->json) {
        printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    } else if (json_object_is_type(obj, json_type_array)) {
        print_table(obj);
    } else {
        int w = 0;
        json_object_object_foreach(obj, k0, v0)
        {
            if (!json_object_is_type(v0, json_type_array) && (int)strlen(k0) > w)
                w = (int)strlen(k0);
        }
        json_object_object_foreach(obj, key, val)
        {
            if (!json_object_is_type(val, json_type_array))
                printf("%s:%*s %s\n", key, w - (int)strlen(key), "", cell(val));
        }
        json_object_object_foreach(obj, k2, v2)
        {
            if (json_object_is_type(v2, json_type_array)) {
                printf("\n%s:\n", k2);
                print_table(v2);
            }
        }
    }
    json_object_put(obj);
}
