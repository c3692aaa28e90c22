/*
 * carrier_kannel.c - Kannel's smsbox sendsms interface as a carrier
 *
 * Each SMS is one HTTP GET of the sendsms URL (url =) with, every value
 * URL-encoded:
 *	username, password	the sendsms-user (username =, password =)
 *	to			the number as "+61412345678" (Kannel's
 *				sendsms-number-chars take the '+')
 *	from			the SMS's sender ID, else sender =; left out
 *				when both are empty (Kannel's global-sender)
 *	text, charset=UTF-8	the text as stored
 *	coding			0 (7-bit) for gsm7, 2 (UCS-2) for ucs2; Kannel
 *				converts the UTF-8 text itself
 *	dlr-mask, dlr-url	only when dlr_url = is set: the template with
 *				"{id}" replaced by the SMS's id; Kannel's own
 *				escapes ("%d" type, "%A" reply, ...) are left
 *				for Kannel to fill in
 * Kannel splits long texts itself (its sendsms-user needs concatenation =
 * true and max-messages at least the SMS's parts).
 *
 * What Kannel answers decides the outcome:
 *	2xx "0: Accepted for delivery", "3: Queued for later delivery"
 *		accepted; the reference is the SMS's id, since sendsms
 *		returns no message id of its own
 *	4xx (400 a missing or bad parameter)
 *		rejected: this request would never be taken
 *	401, 403 (bad credentials), 408, 429, 5xx, 3xx, any other 2xx answer,
 *	no connection, a timeout
 *		transient: tried again after the back-off. Wrong credentials
 *		are the operator's mistake, not the sender's: the SMS waits
 *		for the fix (or its expiry) instead of being refused. A 2xx that is not
 *		Kannel's is more likely a proxy's or a wrong URL's page than
 *		an SMS on its way, so it waits for an operator rather than
 *		charging the sender for nothing.
 * A timeout after the request went out may mean Kannel took the SMS
 * anyway: see carrier_curl.c, which does the requests (up to max_in_flight
 * at once) and passes a 503's or 429's Retry-After on to the dispatcher.
 *
 * The detail line is the first line of Kannel's answer (or curl's reason),
 * printable ASCII only and bounded. The password is in the URL only: it is
 * never logged, and curl never prints the URL. Kannel has acknowledged
 * every SMS it took before submit() returns, so flush() has nothing to do.
 */
#include "config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "carrier.h"
#include "carrier_curl.h"
#include "xalloc.h"

struct kannel_carrier {
    struct carrier_curl *pool;
    char *url, *username, *password, *sender, *dlr_url;
    int dlr_mask;
};

/* kannel_param - append "&name=value" (value URL-encoded) to the URL being built */
static int
kannel_param(CURL *curl, char **url, const char *name, const char *value)
{
    char *v = curl_easy_escape(curl, value, 0);
    if (v == NULL)
        return -1;
    char *s = xasprintf("%s&%s=%s", *url, name, v);
    curl_free(v);
    carrier_curl_wipe_free(*url);
    *url = s;
    return 0;
}

/* kannel_close - the pool and the copies of the configuration */
static void
kannel_close(void *h)
{
    struct kannel_carrier *k = h;
    if (k == NULL)
        return;
    carrier_curl_close(k->pool);
    xfree(k->url);
    xfree(k->username);
    /* the password should not linger in freed memory */
    carrier_curl_wipe_free(k->password);
    xfree(k->sender);
    xfree(k->dlr_url);
    xfree(k);
}

/* kannel_open - check the keys and make the pool; nothing is sent yet */
static void *
kannel_open(const struct carrier_conf *cc, char **error_r)
{
    if (strchr(cc->url, '?') != NULL) {
        *error_r =
            xasprintf("[carrier %s] url = %s: the sendsms URL without a query", cc->name, cc->url);
        return NULL;
    }
    if (*cc->username == 0) {
        *error_r = xasprintf("[carrier %s] username: required by driver = kannel", cc->name);
        return NULL;
    }
    struct carrier_curl *pool = carrier_curl_open(cc, error_r);
    if (pool == NULL)
        return NULL;
    struct kannel_carrier *k = xcalloc(1, sizeof(*k));
    k->pool = pool;
    k->url = xstrdup(cc->url);
    k->username = xstrdup(cc->username);
    k->password = xstrdup(cc->password);
    k->sender = xstrdup(cc->sender);
    k->dlr_url = xstrdup(cc->dlr_url);
    k->dlr_mask = cc->dlr_mask;
    return k;
}

/* kannel_request - the sendsms URL for one SMS (a GET); -1 when a value cannot be encoded */
static int
kannel_request(void *arg, CURL *curl, const struct sms_out *sms, struct curl_request *req)
{
    struct kannel_carrier *k = arg;
    const char *from = sms->from && *sms->from ? sms->from : k->sender;
    int ucs2 = strcmp(sms->encoding, "ucs2") == 0;
    char *url = xasprintf("%s?charset=UTF-8&coding=%d", k->url, ucs2 ? 2 : 0);
    int bad = kannel_param(curl, &url, "username", k->username) < 0 ||
              kannel_param(curl, &url, "password", k->password) < 0 ||
              kannel_param(curl, &url, "to", sms->to) < 0 ||
              (*from && kannel_param(curl, &url, "from", from) < 0) ||
              kannel_param(curl, &url, "text", sms->text) < 0;
    if (!bad && *k->dlr_url) {
        char mask[16];
        snprintf(mask, sizeof(mask), "%d", k->dlr_mask);
        char *dlr = carrier_curl_dlr_url(k->dlr_url, sms->id);
        bad = kannel_param(curl, &url, "dlr-mask", mask) < 0 ||
              kannel_param(curl, &url, "dlr-url", dlr) < 0;
        xfree(dlr);
    }
    req->url = url; /* freed by the pool, also when bad */
    return bad ? -1 : 0;
}

/* kannel_outcome - what Kannel's answer means (see the top) */
static void
kannel_outcome(void *arg, const struct sms_out *sms, const struct curl_answer *a,
               struct carrier_reply *r)
{
    char line[256];
    (void)arg;
    carrier_curl_line(a->body, line, sizeof(line));
    snprintf(r->detail, sizeof(r->detail), "kannel: HTTP %ld %s", a->status,
             *line ? line : "(no answer)");
    if (a->status >= 200 && a->status < 300) {
        r->result = CARRIER_TRANSIENT; /* not an answer of Kannel's: see the top */
        if (strncmp(a->body, "0:", 2) == 0 || strncmp(a->body, "3:", 2) == 0) {
            snprintf(r->ref, sizeof(r->ref), "%lld", sms->id);
            r->result = CARRIER_ACCEPTED;
        }
    } else {
        r->result = carrier_curl_status(a->status);
    }
}

static const struct carrier_curl_ops kannel_ops = {
    .driver = "kannel",
    .request = kannel_request,
    .outcome = kannel_outcome,
};

/* kannel_submit - every SMS, up to max_in_flight requests at once */
static void
kannel_submit(void *h, const struct sms_out *sms, int n, struct carrier_reply *replies)
{
    struct kannel_carrier *k = h;
    carrier_curl_submit(k->pool, &kannel_ops, k, sms, n, replies);
}

const struct carrier_driver carrier_kannel = {
    .name = "kannel",
    .open = kannel_open,
    .submit = kannel_submit,
    .flush = carrier_curl_flush,
    .close = kannel_close,
};
