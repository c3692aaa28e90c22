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
 *	401, 403 (bad credentials), 429, 5xx, 3xx, any other 2xx answer,
 *	no connection, a timeout
 *		transient: tried again after the back-off. Wrong credentials
 *		are the operator's mistake, not the sender's: the SMS waits
 *		for the fix (or its expiry) instead of being refused. A 2xx that is not
 *		Kannel's is more likely a proxy's or a wrong URL's page than
 *		an SMS on its way, so it waits for an operator rather than
 *		charging the sender for nothing.
 * A timeout after the request went out may mean Kannel took the SMS
 * anyway: the retry then sends it twice, which a sender notices, rather
 * than never, which no one would.
 *
 * The detail line is the first line of Kannel's answer (or curl's reason),
 * printable ASCII only and bounded. The password is in the URL only: it is
 * never logged, and curl never prints the URL.
 *
 * One curl easy handle per carrier, kept for its open connection (the
 * dispatcher is single-threaded: never share a handle across threads).
 * Kannel has acknowledged every SMS it took before submit() returns, so
 * flush() has nothing to do.
 */
#include "config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "carrier.h"
#include "xalloc.h"

/* the part of an answer kept: Kannel's are one short line */
#define KANNEL_BODY_MAX 512

struct kannel_carrier {
    CURL *curl;
    char *name, *url, *username, *password, *sender, *dlr_url;
    int dlr_mask;
    char body[KANNEL_BODY_MAX + 1];
    size_t body_len;
    char error[CURL_ERROR_SIZE];
};

/* kannel_body - curl's write callback: keep the first KANNEL_BODY_MAX bytes, drop the rest */
static size_t
kannel_body(char *data, size_t size, size_t n, void *arg)
{
    struct kannel_carrier *k = arg;
    size_t len = size * n;
    size_t room = KANNEL_BODY_MAX - k->body_len;
    size_t take = len < room ? len : room;
    memcpy(k->body + k->body_len, data, take);
    k->body_len += take;
    k->body[k->body_len] = 0;
    return len;
}

/* kannel_line - the first line of s into out, printable ASCII only ('"' made '\'') */
static void
kannel_line(const char *s, char *out, size_t outsize)
{
    size_t o = 0;
    if (outsize == 0)
        return;
    for (; *s && *s != '\r' && *s != '\n' && o + 1 < outsize && o < 200; s++) {
        unsigned char c = (unsigned char)*s;
        out[o++] = c == '"' ? '\'' : (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = 0;
}

/* kannel_param - append "&name=value" (value URL-encoded) to the URL being built */
static int
kannel_param(CURL *curl, char **url, const char *name, const char *value)
{
    char *v = curl_easy_escape(curl, value, 0);
    if (v == NULL)
        return -1;
    char *s = xasprintf("%s&%s=%s", *url, name, v);
    curl_free(v);
    xfree(*url);
    *url = s;
    return 0;
}

/* kannel_dlr_url - the dlr_url template with every "{id}" replaced by the SMS's id */
static char *
kannel_dlr_url(const char *tmpl, long long id)
{
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", id);
    size_t n = 0;
    for (const char *p = tmpl; (p = strstr(p, "{id}")) != NULL; p += 4)
        n++;
    char *out = xmalloc(strlen(tmpl) + n * strlen(ids) + 1);
    char *o = out;
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{id}", 4) == 0) {
            o = stpcpy(o, ids);
            p += 4;
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    return out;
}

/* kannel_close - the handle and the copies of the configuration */
static void
kannel_close(void *h)
{
    struct kannel_carrier *k = h;
    if (k == NULL)
        return;
    if (k->curl)
        curl_easy_cleanup(k->curl);
    xfree(k->name);
    xfree(k->url);
    xfree(k->username);
    /* the password should not linger in freed memory */
    if (k->password)
        memset(k->password, 0, strlen(k->password));
    xfree(k->password);
    xfree(k->sender);
    xfree(k->dlr_url);
    xfree(k);
}

/* kannel_open - check the keys and make the handle; nothing is sent yet */
static void *
kannel_open(const struct carrier_conf *cc, char **error_r)
{
    static int curl_ready;
    if (strncmp(cc->url, "http://", 7) != 0 && strncmp(cc->url, "https://", 8) != 0) {
        *error_r =
            xasprintf("[carrier %s] url = %s: not an http:// or https:// URL", cc->name, cc->url);
        return NULL;
    }
    if (strchr(cc->url, '?') != NULL) {
        *error_r =
            xasprintf("[carrier %s] url = %s: the sendsms URL without a query", cc->name, cc->url);
        return NULL;
    }
    if (*cc->username == 0) {
        *error_r = xasprintf("[carrier %s] username: required by driver = kannel", cc->name);
        return NULL;
    }
    /* not thread-safe, and need not be: the dispatcher has one thread */
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            *error_r = xasprintf("[carrier %s] cannot initialise libcurl", cc->name);
            return NULL;
        }
        curl_ready = 1;
    }
    struct kannel_carrier *k = xcalloc(1, sizeof(*k));
    k->name = xstrdup(cc->name);
    k->url = xstrdup(cc->url);
    k->username = xstrdup(cc->username);
    k->password = xstrdup(cc->password);
    k->sender = xstrdup(cc->sender);
    k->dlr_url = xstrdup(cc->dlr_url);
    k->dlr_mask = cc->dlr_mask;
    if ((k->curl = curl_easy_init()) == NULL) {
        *error_r = xasprintf("[carrier %s] cannot make a libcurl handle", cc->name);
        kannel_close(k);
        return NULL;
    }
    CURL *c = k->curl;
    long timeout = cc->timeout > 0 ? cc->timeout : 10;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "-dispatchd/" PACKAGE_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, kannel_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, k->error);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    return k;
}

/* kannel_request - the sendsms URL for one SMS, or NULL when a value cannot be encoded */
static char *
kannel_request(struct kannel_carrier *k, const struct sms_out *sms)
{
    const char *from = sms->from && *sms->from ? sms->from : k->sender;
    int ucs2 = strcmp(sms->encoding, "ucs2") == 0;
    char *url = xasprintf("%s?charset=UTF-8&coding=%d", k->url, ucs2 ? 2 : 0);
    int bad = kannel_param(k->curl, &url, "username", k->username) < 0 ||
              kannel_param(k->curl, &url, "password", k->password) < 0 ||
              kannel_param(k->curl, &url, "to", sms->to) < 0 ||
              (*from && kannel_param(k->curl, &url, "from", from) < 0) ||
              kannel_param(k->curl, &url, "text", sms->text) < 0;
    if (!bad && *k->dlr_url) {
        char mask[16];
        snprintf(mask, sizeof(mask), "%d", k->dlr_mask);
        char *dlr = kannel_dlr_url(k->dlr_url, sms->id);
        bad = kannel_param(k->curl, &url, "dlr-mask", mask) < 0 ||
              kannel_param(k->curl, &url, "dlr-url", dlr) < 0;
        xfree(dlr);
    }
    if (bad) {
        xfree(url);
        return NULL;
    }
    return url;
}

/* kannel_submit - one sendsms request; the outcome from Kannel's answer (see the top) */
static enum carrier_result
kannel_submit(void *h, const struct sms_out *sms, char *ref, size_t refsize, char *detail,
              size_t detailsize)
{
    struct kannel_carrier *k = h;
    char *url = kannel_request(k, sms);
    if (url == NULL) {
        snprintf(detail, detailsize, "kannel: cannot encode the request");
        return CARRIER_TRANSIENT;
    }
    k->body_len = 0;
    k->body[0] = 0;
    k->error[0] = 0;
    curl_easy_setopt(k->curl, CURLOPT_URL, url);
    CURLcode rc = curl_easy_perform(k->curl);
    /* the URL holds the password: gone before anything else happens */
    memset(url, 0, strlen(url));
    xfree(url);
    char line[256];
    if (rc != CURLE_OK) {
        const char *what = rc == CURLE_COULDNT_CONNECT        ? "connection failed"
                           : rc == CURLE_OPERATION_TIMEDOUT   ? "timed out"
                           : rc == CURLE_COULDNT_RESOLVE_HOST ? "host not found"
                                                              : "request failed";
        kannel_line(*k->error ? k->error : curl_easy_strerror(rc), line, sizeof(line));
        snprintf(detail, detailsize, "kannel: %s: %s", what, line);
        return CARRIER_TRANSIENT;
    }
    long status = 0;
    curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status);
    kannel_line(k->body, line, sizeof(line));
    snprintf(detail, detailsize, "kannel: HTTP %ld %s", status, *line ? line : "(no answer)");
    if (status >= 200 && status < 300) {
        if (strncmp(k->body, "0:", 2) == 0 || strncmp(k->body, "3:", 2) == 0) {
            snprintf(ref, refsize, "%lld", sms->id);
            return CARRIER_ACCEPTED;
        }
        return CARRIER_TRANSIENT; /* not an answer of Kannel's: see the top */
    }
    if (status >= 400 && status < 500 && status != 429 && status != 401 && status != 403)
        return CARRIER_REJECTED;
    return CARRIER_TRANSIENT;
}

/* kannel_flush - nothing to do: Kannel acknowledged each SMS it took */
static int
kannel_flush(void *h, char **error_r)
{
    (void)h;
    (void)error_r;
    return 0;
}

const struct carrier_driver carrier_kannel = {
    .name = "kannel",
    .open = kannel_open,
    .submit = kannel_submit,
    .flush = kannel_flush,
    .close = kannel_close,
};
