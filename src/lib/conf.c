/*
 * conf.c - configuration file parser
 *
 * Format: "key = value" lines; '#' starts a comment line; blank lines are
 * ignored; leading and trailing blanks are trimmed. Every key is in
 * conf_keys[] with its type, default and bounds; anything else is an error
 * that names file and line, because a misspelt key silently ignored is a
 * setting the postmaster believes is in force and is not.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "xalloc.h"

const struct conf_key conf_keys[] = {
#define F(f) offsetof(struct conf, f)
    {"database", CONF_STR, "dbname=smsgate", 0, 0, F(database), "libpq connection string", NULL},
    {"db_connect_timeout", CONF_INT, "10", 1, 3600, F(db_connect_timeout),
     "seconds to wait for a database connection", NULL},
    {"db_statement_timeout", CONF_INT, "30000", 0, 3600000, F(db_statement_timeout),
     "milliseconds a statement may run, 0 for no limit", NULL},
    {"user", CONF_STR, "smsgate", 0, 0, F(user),
     "unprivileged user the daemons run as once their sockets are open (when started as root)",
     NULL},
    {"pid_file", CONF_STR, "", 0, 0, F(pid_file), "file to write the daemon's process id to", NULL},
    {"lmtp_listen", CONF_STR, "unix:/run/smsgate/lmtp.sock", 0, 0, F(lmtp_listen),
     "where smsgate-lmtpd listens: unix:/path or inet:host:port", NULL},
    {"lmtp_socket_mode", CONF_STR, "0666", 0, 0, F(lmtp_socket_mode),
     "unix: lmtp_listen only: the socket's permissions, in octal (0660 with lmtp_socket_group "
     "= postfix lets only Postfix in)",
     NULL},
    {"lmtp_socket_group", CONF_STR, "", 0, 0, F(lmtp_socket_group),
     "unix: lmtp_listen only: the socket's group; empty: root's (the daemon creates it as root)",
     NULL},
    {"lmtp_max_connections", CONF_INT, "64", 1, 10000, F(lmtp_max_connections),
     "LMTP connections served at once; more wait to be accepted", NULL},
    {"lmtp_timeout", CONF_INT, "300", 1, 86400, F(lmtp_timeout),
     "seconds an LMTP client may stay silent before it is disconnected", NULL},
    {"xforward_clients", CONF_STR, "unix, 127.0.0.1, ::1", 0, 0, F(xforward_clients),
     "clients allowed to send XFORWARD: \"unix\" for the Unix socket, addresses or CIDR blocks",
     NULL},
    {"message_size_limit", CONF_INT, "33554432", 1024, 2147483647, F(message_size_limit),
     "largest message accepted, in bytes", NULL},
    {"recipient_limit", CONF_INT, "1000", 1, 100000, F(recipient_limit),
     "recipients accepted in one LMTP transaction", NULL},
    {"line_length_limit", CONF_INT, "2048", 512, 65535, F(line_length_limit),
     "longest LMTP command line, in bytes", NULL},
    {"mime_depth_limit", CONF_INT, "20", 1, 64, F(mime_depth_limit),
     "nesting of MIME multiparts and attached messages followed", NULL},
    {"mime_scan_limit", CONF_INT, "1048576", 65536, 2147483647, F(mime_scan_limit),
     "bytes from the start of a message kept to find its text; the rest is counted, not stored",
     NULL},
    {"authserv_id", CONF_STR, "", 0, 0, F(authserv_id),
     "authserv-id that smsgate-milter stamps its Authentication-Results with; empty: none (until "
     "the milter runs, no own results are trusted)",
     NULL},
    {"trusted_authserv_ids", CONF_STR, "", 0, 0, F(trusted_authserv_ids),
     "further authserv-ids (OpenDKIM, OpenDMARC) whose Authentication-Results are trusted", NULL},
    {"insufficient_credit", CONF_STR, "refuse", 0, 0, F(insufficient_credit),
     "when the payer cannot cover an SMS or a spending cap is reached: refuse (5.2.2) or "
     "defer (4.2.2)",
     "refuse|defer"},
    {"sms_validity", CONF_INT, "172800", 60, 2592000, F(sms_validity),
     "seconds an SMS may wait for a carrier before it expires (and costs nothing)", NULL},
    {"milter_listen", CONF_STR, "unix:/run/smsgate/milter.sock", 0, 0, F(milter_listen),
     "where smsgate-milter listens: unix:/path, inet:port@host or inet6:port@host (libmilter's "
     "spelling)",
     NULL},
    {"milter_timeout", CONF_INT, "7210", 1, 86400, F(milter_timeout),
     "seconds smsgate-milter waits for the MTA's next command before it drops the connection",
     NULL},
    {"milter_check_credit", CONF_STR, "on", 0, 0, F(milter_check_credit),
     "whether smsgate-milter refuses, at RCPT, a payer that cannot cover one part (the reply as "
     "insufficient_credit says)",
     "on|off"},
    {"milter_check_length", CONF_STR, "on", 0, 0, F(milter_check_length),
     "whether smsgate-milter refuses, at the end of the message, a text over its sender rule's "
     "part limit when the rule says over_limit=refuse (5.3.4)",
     "on|off"},
    {"http_listen", CONF_STR, "inet:127.0.0.1:8089", 0, 0, F(http_listen),
     "where smsgate-httpd listens for carrier callbacks: inet:host:port", NULL},
    {"http_max_connections", CONF_INT, "64", 1, 10000, F(http_max_connections),
     "HTTP connections smsgate-httpd serves at once", NULL},
    {"dispatch_batch", CONF_INT, "100", 1, 10000, F(dispatch_batch),
     "SMS smsgate-dispatchd claims and settles in one transaction", NULL},
    {"dispatch_poll", CONF_INT, "1", 1, 3600, F(dispatch_poll),
     "seconds between looks for due SMS when no NOTIFY arrives", NULL},
    {"retry_min", CONF_INT, "30", 1, 86400, F(retry_min),
     "seconds before the first retry after a transient carrier failure", NULL},
    {"retry_max", CONF_INT, "3600", 1, 604800, F(retry_max),
     "longest wait between retries (the wait doubles from retry_min)", NULL},
    {"receipt_wait", CONF_INT, "172800", 0, 31536000, F(receipt_wait),
     "charge on delivery: seconds to wait for an accepted SMS's delivery receipt; 0 for ever",
     NULL},
    {"receipt_missing", CONF_STR, "void", 0, 0, F(receipt_missing),
     "charge on delivery: what a receipt late by receipt_wait means for the money", "void|post"},
    {NULL, CONF_STR, NULL, 0, 0, 0, NULL, NULL},
#undef F
};

#define C(f) offsetof(struct carrier_conf, f)
const struct conf_key carrier_keys[] = {
    {"driver", CONF_STR, "file", 0, 0, C(driver), "how SMS reach this carrier",
     "file|kannel|http"},
    {"path", CONF_STR, "/var/lib/smsgate/sms.jsonl", 0, 0, C(path),
     "file driver: the file finished SMS are appended to", NULL},
    {"routes", CONF_STR, "", 0, 0, C(routes),
     "destination prefixes this carrier takes (comma list); empty for every destination", NULL},
    {"priority", CONF_INT, "10", 0, 1000, C(priority),
     "among carriers taking a destination, the lowest is tried first", NULL},
    {"max_rate", CONF_INT, "0", 0, 100000, C(max_rate), "SMS per second at most, 0 for no limit",
     NULL},
    {"max_in_flight", CONF_INT, "8", 1, 256, C(max_in_flight),
     "requests to the carrier at once (kannel, http drivers); the file driver writes one at a time",
     NULL},
    {"url", CONF_STR, "http://127.0.0.1:13013/cgi-bin/sendsms", 0, 0, C(url),
     "kannel driver: smsbox's sendsms URL; http driver: the API's URL", NULL},
    {"username", CONF_STR, "", 0, 0, C(username), "kannel: sendsms-user username; http: basic auth user", NULL},
    {"password", CONF_STR, "", 0, 0, C(password), "kannel: sendsms-user password; http: basic auth password", NULL},
    {"sender", CONF_STR, "", 0, 0, C(sender),
     "kannel, http drivers: the sender of SMS without a sender ID of their own; empty: the carrier's",
     NULL},
    {"dlr_url", CONF_STR, "", 0, 0, C(dlr_url),
     "kannel, http drivers: the URL the carrier calls with delivery reports; empty: none asked for", NULL},
    {"dlr_mask", CONF_INT, "31", 0, 255, C(dlr_mask),
     "kannel driver: which delivery reports to ask for (Kannel's dlr-mask)", NULL},
    {"timeout", CONF_INT, "10", 1, 300, C(timeout), "seconds one request to the carrier may take",
     NULL},
    {"method", CONF_STR, "POST", 0, 0, C(method), "http driver: the request's method",
     "POST|GET"},
    {"body_format", CONF_STR, "form", 0, 0, C(body_format),
     "http driver: the request's body (the query with GET): form-encoded or JSON", "form|json"},
    {"body", CONF_STR, "", 0, 0, C(body),
     "http driver: the body template ({id} {to} {to_digits} {from} {text} {encoding} {parts} "
     "{account} {dlr_url}); empty: every placeholder under its own name",
     NULL},
    {"headers", CONF_STR, "", 0, 0, C(headers),
     "http driver: request headers, \"Name: value\" separated by '|'", NULL},
    {"accept_status", CONF_STR, "200-299", 0, 0, C(accept_status),
     "http driver: the HTTP statuses that mean accepted (comma list of statuses and ranges)", NULL},
    {"response_id", CONF_STR, "", 0, 0, C(response_id),
     "http driver: JSON path or form name of the carrier's message id in its answer", NULL},
    {"response_error", CONF_STR, "", 0, 0, C(response_error),
     "http driver: JSON path or form name of the carrier's error text in its answer", NULL},
    {"dlr_id", CONF_STR, "smsgate_id", 0, 0, C(dlr_id),
     "smsgate-httpd, http driver: the receipt parameter or JSON path with the SMS's id", NULL},
    {"dlr_ref", CONF_STR, "", 0, 0, C(dlr_ref),
     "smsgate-httpd, http driver: the receipt parameter or JSON path with the carrier's id", NULL},
    {"dlr_status", CONF_STR, "status", 0, 0, C(dlr_status),
     "smsgate-httpd, http driver: the receipt parameter or JSON path with the status", NULL},
    {"dlr_delivered", CONF_STR, "delivered", 0, 0, C(dlr_delivered),
     "smsgate-httpd, http driver: receipt statuses meaning delivered (comma list)", NULL},
    {"dlr_failed", CONF_STR, "failed, undeliverable, rejected, expired", 0, 0, C(dlr_failed),
     "smsgate-httpd, http driver: receipt statuses meaning undeliverable (comma list)", NULL},
    {"callback_secret", CONF_STR, "", 0, 0, C(callback_secret),
     "smsgate-httpd: the secret in this carrier's callback URLs; empty: no callbacks taken", NULL},
    {"callback_networks", CONF_STR, "", 0, 0, C(callback_networks),
     "smsgate-httpd: client addresses or CIDR blocks callbacks may come from; empty: any", NULL},
    {NULL, CONF_STR, NULL, 0, 0, 0, NULL, NULL},
};
#undef C

/* conf_set - store one value into its field of obj; returns a static reason or NULL */
static const char *
conf_set(void *conf, const struct conf_key *k, const char *value)
{
    if (k->type == CONF_INT) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end)
            return "not an integer";
        if (v < k->min || v > k->max)
            return "out of range";
        *(int *)((char *)conf + k->offset) = (int)v;
        return NULL;
    }
    if (k->choices) {
        size_t len = strlen(value);
        const char *p = k->choices;
        int found = 0;
        while (*p && !found) {
            size_t n = strcspn(p, "|");
            found = n == len && strncmp(p, value, n) == 0;
            p += n + (p[n] == '|');
        }
        if (!found)
            return "not one of the allowed values";
    }
    char **field = (char **)((char *)conf + k->offset);
    xfree(*field);
    *field = xstrdup(value);
    return NULL;
}

static char *trim(char *s);

/* conf_defaults - every key of a table at its default */
static void
conf_defaults(void *obj, const struct conf_key *keys)
{
    for (const struct conf_key *k = keys; k->name; k++)
        if (conf_set(obj, k, k->def) != NULL)
            abort(); /* a bad default in the table is a build bug */
}

/* carrier_add - a new section with its defaults */
static struct carrier_conf *
carrier_add(struct conf *conf, const char *name)
{
    conf->carriers =
        xrealloc(conf->carriers, (size_t)(conf->ncarriers + 1) * sizeof(*conf->carriers));
    struct carrier_conf *c = &conf->carriers[conf->ncarriers++];
    memset(c, 0, sizeof(*c));
    c->name = xstrdup(name);
    conf_defaults(c, carrier_keys);
    return c;
}

/* section - "[carrier NAME]": the carrier it opens, or NULL with a reason */
static struct carrier_conf *
section(struct conf *conf, char *s, const char **why_r)
{
    size_t len = strlen(s);
    if (s[len - 1] != ']') {
        *why_r = "expected \"[carrier NAME]\"";
        return NULL;
    }
    s[len - 1] = 0;
    char *p = trim(s + 1);
    if (strncmp(p, "carrier", 7) != 0 || !isspace((unsigned char)p[7])) {
        *why_r = "unknown section (only [carrier NAME])";
        return NULL;
    }
    char *name = trim(p + 7);
    size_t n = strlen(name);
    if (n == 0 || n > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
        *why_r = "a carrier name is 1 to 63 lower-case letters, digits, '_' or '-'";
        return NULL;
    }
    for (int i = 0; i < conf->ncarriers; i++)
        if (strcmp(conf->carriers[i].name, name) == 0) {
            *why_r = "a second section for the same carrier";
            return NULL;
        }
    return carrier_add(conf, name);
}

/* trim - strip blanks at both ends in place */
static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* conf_load - parse a file into a fresh struct conf */
struct conf *
conf_load(const char *path, char **error_r)
{
    struct conf *conf = xcalloc(1, sizeof(*conf));
    const char *file = path ? path : CONF_DEFAULT_PATH;
    struct carrier_conf *carrier = NULL; /* the section being read, NULL at top level */
    conf_defaults(conf, conf_keys);
    FILE *fp = fopen(file, "r");

    *error_r = NULL;
    if (fp == NULL) {
        if (path == NULL && errno == ENOENT) {
            carrier_add(conf, "file"); /* no file at the default place: built-in defaults */
            return conf;
        }
        *error_r = xasprintf("%s: %s", file, strerror(errno));
        conf_free(conf);
        return NULL;
    }
    conf->path = xstrdup(file);

    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(fp)) {
            *error_r = xasprintf("%s:%d: line too long", file, lineno);
            break;
        }
        char *s = trim(line);
        if (*s == 0 || *s == '#')
            continue;
        if (*s == '[') {
            const char *why;
            carrier = section(conf, s, &why);
            if (carrier == NULL) {
                *error_r = xasprintf("%s:%d: %s", file, lineno, why);
                break;
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            *error_r = xasprintf("%s:%d: expected \"key = value\"", file, lineno);
            break;
        }
        *eq = 0;
        char *key = trim(s), *value = trim(eq + 1);
        const struct conf_key *k, *keys = carrier ? carrier_keys : conf_keys;
        for (k = keys; k->name; k++)
            if (strcmp(k->name, key) == 0)
                break;
        if (k->name == NULL) {
            *error_r = carrier ? xasprintf("%s:%d: unknown key \"%s\" in [carrier %s]", file,
                                           lineno, key, carrier->name)
                               : xasprintf("%s:%d: unknown key \"%s\"", file, lineno, key);
            break;
        }
        const char *why = conf_set(carrier ? (void *)carrier : (void *)conf, k, value);
        if (why != NULL) {
            if (k->type == CONF_INT)
                *error_r = xasprintf("%s:%d: %s: %s (allowed %ld..%ld)", file, lineno, key, why,
                                     k->min, k->max);
            else
                *error_r = xasprintf("%s:%d: %s%s%s%s = %s: %s (%s)", file, lineno,
                                     carrier ? "[carrier " : "", carrier ? carrier->name : "",
                                     carrier ? "] " : "", key, value, why, k->choices);
            break;
        }
    }
    /* a read error (a directory, an I/O error) must not pass for the end of the file */
    if (*error_r == NULL && ferror(fp))
        *error_r = xasprintf("%s:%d: %s", file, lineno + 1, strerror(errno));
    fclose(fp);
    if (*error_r) {
        conf_free(conf);
        return NULL;
    }
    if (conf->ncarriers == 0)
        carrier_add(conf, "file"); /* the embedded default: SMS go to a file */
    return conf;
}

/* conf_free - release a configuration */
void
conf_free(struct conf *conf)
{
    if (conf == NULL)
        return;
    for (const struct conf_key *k = conf_keys; k->name; k++)
        if (k->type == CONF_STR)
            xfree(*(char **)((char *)conf + k->offset));
    for (int i = 0; i < conf->ncarriers; i++) {
        for (const struct conf_key *k = carrier_keys; k->name; k++)
            if (k->type == CONF_STR)
                xfree(*(char **)((char *)&conf->carriers[i] + k->offset));
        xfree(conf->carriers[i].name);
    }
    xfree(conf->carriers);
    xfree(conf->path);
    xfree(conf);
}
