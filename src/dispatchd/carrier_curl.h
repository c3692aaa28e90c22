/* carrier_curl.h - HTTP requests to a carrier, many at once (libcurl's multi interface) */
#ifndef SMSGATE_CARRIER_CURL_H
#define SMSGATE_CARRIER_CURL_H

#include <curl/curl.h>

#include "carrier.h"

/* the part of an answer kept; the rest is read and dropped */
#define CARRIER_CURL_BODY_MAX 16384

/* One request, as a driver builds it for one SMS. */
struct curl_request {
    char *url;  /* allocated; wiped and freed once done (it may hold a secret) */
    char *body; /* allocated POST body, wiped and freed likewise; NULL: GET */
    const struct curl_slist *headers; /* the driver's own, kept by it; NULL: none */
};

/* What the carrier answered to one request. */
struct curl_answer {
    CURL *curl;       /* the handle it came on (for curl_easy_unescape) */
    long status;      /* HTTP status */
    const char *body; /* the first CARRIER_CURL_BODY_MAX bytes, NUL-terminated */
    size_t body_len;
    int truncated;   /* the body was longer */
    int retry_after; /* seconds of a Retry-After header, 0 for none */
};

/* What a driver adds to the pool: how a request is built, what an answer means. */
struct carrier_curl_ops {
    const char *driver; /* the prefix of every detail line: "kannel", "http" */
    /* request - the request for one SMS; -1 when a value cannot be encoded */
    int (*request)(void *arg, CURL *curl, const struct sms_out *sms, struct curl_request *req);
    /* outcome - an HTTP answer's meaning; transport failures never get here */
    void (*outcome)(void *arg, const struct sms_out *sms, const struct curl_answer *a,
                    struct carrier_reply *r);
};

struct carrier_curl;

/*
 * carrier_curl_open - a pool of max_in_flight handles for the carrier's url
 * (http:// or https://, checked here) with its timeout; NULL with a reason.
 */
struct carrier_curl *carrier_curl_open(const struct carrier_conf *cc, char **error_r);
void carrier_curl_close(struct carrier_curl *p);

/*
 * carrier_curl_submit - every SMS, up to max_in_flight requests at once;
 * one reply each. A transport failure (no connection, a timeout) is
 * transient; an answer is what ops->outcome says, with the answer's
 * Retry-After passed on when the outcome is transient.
 */
void carrier_curl_submit(struct carrier_curl *p, const struct carrier_curl_ops *ops, void *arg,
                         const struct sms_out *sms, int n, struct carrier_reply *replies);

/* carrier_curl_flush - a driver's flush(): nothing to do, every SMS had its answer */
int carrier_curl_flush(void *h, char **error_r);

/*
 * carrier_curl_status - what an HTTP status that is not an acceptance means:
 * rejected for a 4xx, except 401 and 403 (the operator's credentials),
 * 408 and 429 (try later); transient for everything else (5xx, 3xx, ...).
 */
enum carrier_result carrier_curl_status(long status);

/* carrier_curl_line - the first line of s, printable ASCII only ('"' made '\''), bounded */
void carrier_curl_line(const char *s, char *out, size_t outsize);

/* carrier_curl_dlr_url - tmpl with every "{id}" replaced by the SMS's id (allocated) */
char *carrier_curl_dlr_url(const char *tmpl, long long id);

/* carrier_curl_wipe_free - zero a string that may hold a secret, then free it */
void carrier_curl_wipe_free(char *s);

#endif
