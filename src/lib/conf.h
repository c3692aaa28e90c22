/* conf.h - smsgate.conf: one table of keys, types, defaults and bounds */
#ifndef SMSGATE_CONF_H
#define SMSGATE_CONF_H

#include <stddef.h>

/* One [carrier NAME] section (smsgate-dispatchd). */
struct carrier_conf {
    char *name;
    char *driver;      /* file, kannel, http */
    char *path;        /* file: where finished SMS are appended, one JSON object a line */
    char *routes;      /* destination prefixes this carrier takes; empty: every one */
    int priority;      /* lower first among carriers routing the same prefix */
    int max_rate;      /* SMS per second, 0: no limit */
    int max_in_flight; /* requests to the carrier at once */
    /* kannel: smsbox's sendsms interface */
    char *url; /* http://host:13013/cgi-bin/sendsms */
    char *username, *password;
    char *sender;  /* default sender when an SMS has no sender ID of its own */
    char *dlr_url; /* where Kannel reports delivery; empty: no receipts asked for */
    int dlr_mask;
    int timeout; /* seconds for one request */
    /* http: a carrier's own HTTP API (url, username and password for basic auth,
       sender, dlr_url and timeout too) */
    char *method;         /* POST | GET */
    char *body_format;    /* form | json */
    char *body;           /* template with {to}, {text}, ...; empty: every placeholder */
    char *headers;        /* "Name: value | Name: value" */
    char *accept_status;  /* HTTP statuses that mean accepted: "200-299" */
    char *response_id;    /* JSON path or form name of the carrier's message id */
    char *response_error; /* JSON path or form name of the carrier's error text */
    /* http: smsgate-httpd reads this carrier's receipts by these names */
    char *dlr_id;        /* parameter or JSON path of our SMS id */
    char *dlr_ref;       /* ... of the carrier's message id, when dlr_id is absent */
    char *dlr_status;    /* ... of the delivery status */
    char *dlr_delivered; /* status values meaning delivered (comma list) */
    char *dlr_failed;    /* status values meaning undeliverable (comma list) */
    /* smsgate-httpd: this carrier's callbacks (receipts, inbound SMS) */
    char *callback_secret;   /* part of the callback URL; empty: no callbacks taken */
    char *callback_networks; /* client addresses allowed; empty: any */
};

/*
 * The parsed configuration. A reload builds a new struct conf and swaps
 * it in; readers keep the one they started with (OpenDKIM's approach).
 */
struct conf {
    char *path;               /* file it came from, or NULL for built-in defaults */
    char *database;           /* libpq connection string */
    int db_connect_timeout;   /* seconds */
    int db_statement_timeout; /* milliseconds, 0 = none */
    char *user;               /* run as this user after opening sockets */
    char *pid_file;           /* "" for none */
    /* smsgate-lmtpd */
    char *lmtp_listen;       /* unix:/path or inet:host:port */
    char *lmtp_socket_mode;  /* octal */
    char *lmtp_socket_group; /* "" for the creator's */
    int lmtp_max_connections;
    int lmtp_timeout; /* seconds without a byte from the client */
    char *xforward_clients;
    int message_size_limit;
    int recipient_limit;
    int line_length_limit;
    int mime_depth_limit;
    int mime_scan_limit;
    char *authserv_id; /* "" for this host's name */
    char *trusted_authserv_ids;
    char *insufficient_credit; /* refuse | defer */
    int sms_validity;          /* seconds an SMS may wait for a carrier */
    /* smsgate-milter */
    char *milter_listen;       /* unix:/path or inet:port@host, as libmilter spells it */
    int milter_timeout;        /* seconds without a command from the MTA */
    char *milter_check_credit; /* on | off */
    char *milter_check_length; /* on | off */
    /* smsgate-httpd */
    char *http_listen; /* inet:host:port */
    int http_max_connections;
    /* smsgate-dispatchd */
    int dispatch_batch;       /* SMS claimed per transaction */
    int dispatch_poll;        /* seconds between looks for due SMS without a NOTIFY */
    int retry_min, retry_max; /* seconds of back-off after a transient failure */
    int receipt_wait;         /* seconds; 0: wait for ever */
    char *receipt_missing;    /* void | post */
    struct carrier_conf
        *carriers; /* the [carrier NAME] sections; a built-in file carrier if none */
    int ncarriers;
};

/* One row of the key table; exported so tests and `-n` can list every key. */
struct conf_key {
    const char *name;
    enum { CONF_STR, CONF_INT } type;
    const char *def;
    long min, max;
    size_t offset; /* of the field in struct conf (or carrier_conf): char * or int */
    const char *help;
    const char *choices; /* CONF_STR: "a|b" when only these values are allowed */
};

extern const struct conf_key conf_keys[];
/* carrier_keys - the keys of a [carrier NAME] section (offsets into struct carrier_conf) */
extern const struct conf_key carrier_keys[];

#define CONF_DEFAULT_PATH SYSCONFDIR "/smsgate/smsgate.conf"

/*
 * conf_load - read path (NULL: the default file, or built-in defaults when
 * it does not exist). Returns NULL with "file:line: reason" in *error_r
 * (allocated; free it) on any error, including unknown keys.
 */
struct conf *conf_load(const char *path, char **error_r);
void conf_free(struct conf *conf);

#endif
