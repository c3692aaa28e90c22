/* carrier.h - how smsgate-dispatchd hands an SMS to a carrier */
#ifndef SMSGATE_CARRIER_H
#define SMSGATE_CARRIER_H

#include <stddef.h>

#include "conf.h"

struct sms_out {
    long long id;
    const char *to;       /* "+61412345678" */
    const char *from;     /* sender ID, NULL for the carrier's default */
    const char *text;     /* UTF-8 */
    const char *encoding; /* gsm7 | ucs2 */
    int parts;
    const char *account; /* the sending account's handle */
};

enum carrier_result { CARRIER_ACCEPTED, CARRIER_TRANSIENT, CARRIER_REJECTED };

/* What a carrier said about one SMS. */
struct carrier_reply {
    enum carrier_result result;
    char ref[128];    /* the carrier's reference, "" for none */
    char detail[512]; /* one printable line, for the history and the log */
    int retry_after;  /* TRANSIENT: seconds the carrier asked us to wait (429/503
                         Retry-After), 0 for our own backoff */
};

/*
 * A driver, as a table of functions (OpenSMTPD's backends). submit() is
 * called outside any database transaction and may buffer; flush() makes
 * everything submitted since the last flush durable at the carrier, and is
 * called before those SMS are recorded as accepted.
 */
struct carrier_driver {
    const char *name;
    void *(*open)(const struct carrier_conf *cc, char **error_r);
    /* submit - hand over n SMS, as many at once as the carrier allows; one reply each */
    void (*submit)(void *h, const struct sms_out *sms, int n, struct carrier_reply *replies);
    int (*flush)(void *h, char **error_r);
    void (*close)(void *h);
};

extern const struct carrier_driver carrier_file;
extern const struct carrier_driver carrier_kannel;
extern const struct carrier_driver carrier_http;

/* carrier_driver_find - the driver of that name, or NULL */
const struct carrier_driver *carrier_driver_find(const char *name);

/* carrier_routes - does the comma list of prefixes take this destination (digits)? */
int carrier_routes(const char *routes, const char *destination);

#endif
