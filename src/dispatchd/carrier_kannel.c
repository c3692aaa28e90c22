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
 * Up to max_in_flight requests at once, with libcurl's multi interface:
 * one easy handle per slot, kept with the multi handle that holds their
 * open connections (the dispatcher is single-threaded: never share a
 * handle across threads). Kannel has acknowledged every SMS it took before
 * submit() returns, so flush() has nothing to do.
 */
#include "config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "carrier.h"
#include "xalloc.h"

/* the part of an answer kept: Kannel's are one short line */
#define KANNEL_BODY_MAX 512

/* One request in flight. */
struct kannel_slot {
    CURL *curl;
    int sms; /* index into submit()'s arrays, -1 when free */
    char body[KANNEL_BODY_MAX + 1];
    size_t body_len;
    char error[CURL_ERROR_SIZE];
    char *url; /* holds the password: wiped when the request is done */
};

struct kannel_carrier {
    CURLM *multi;
    struct kannel_slot *slots;
    int nslots;
    char *name, *url, *username, *password, *sender, *dlr_url;
    int dlr_mask;
};

/* kannel_body - curl's write callback: keep the first KANNEL_BODY_MAX bytes, drop the rest */
static size_t
kannel_body(char *data, size_t size, size_t n, void *arg)
{
    struct kannel_slot *k = arg;
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
    for (int i = 0; i < k->nslots; i++)
        if (k->slots[i].curl) {
            if (k->multi && k->slots[i].sms >= 0)
                curl_multi_remove_handle(k->multi, k->slots[i].curl);
            curl_easy_cleanup(k->slots[i].curl);
        }
    xfree(k->slots);
    if (k->multi)
        curl_multi_cleanup(k->multi);
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
    long timeout = cc->timeout > 0 ? cc->timeout : 10;
    k->nslots = cc->max_in_flight > 0 ? cc->max_in_flight : 1;
    k->slots = xcalloc((size_t)k->nslots, sizeof(*k->slots));
    if ((k->multi = curl_multi_init()) == NULL) {
        *error_r = xasprintf("[carrier %s] cannot make a libcurl multi handle", cc->name);
        kannel_close(k);
        return NULL;
    }
    /* keep a connection for every slot between batches */
    curl_multi_setopt(k->multi, CURLMOPT_MAXCONNECTS, (long)k->nslots);
    for (int i = 0; i < k->nslots; i++) {
        struct kannel_slot *s = &k->slots[i];
        s->sms = -1;
        if ((s->curl = curl_easy_init()) == NULL) {
            *error_r = xasprintf("[carrier %s] cannot make a libcurl handle", cc->name);
            kannel_close(k);
            return NULL;
        }
        CURL *c = s->curl;
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "-dispatchd/" PACKAGE_VERSION);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, kannel_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->error);
        curl_easy_setopt(c, CURLOPT_PRIVATE, s);
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    }
    return k;
}

/* kannel_request - the sendsms URL for one SMS, or NULL when a value cannot be encoded */
static char *
kannel_request(struct kannel_carrier *k, CURL *curl, const struct sms_out *sms)
{
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
        char *dlr = kannel_dlr_url(k->dlr_url, sms->id);
        bad = kannel_param(curl, &url, "dlr-mask", mask) < 0 ||
              kannel_param(curl, &url, "dlr-url", dlr) < 0;
        xfree(dlr);
    }
    if (bad) {
        xfree(url);
        return NULL;
    }
    return url;
}

/* kannel_outcome - one finished request; the outcome from Kannel's answer (see the top) */
static void
kannel_outcome(struct kannel_slot *s, CURLcode rc, const struct sms_out *sms,
               struct carrier_reply *r)
{
    char line[256];
    if (rc != CURLE_OK) {
        const char *what = rc == CURLE_COULDNT_CONNECT        ? "connection failed"
                           : rc == CURLE_OPERATION_TIMEDOUT   ? "timed out"
                           : rc == CURLE_COULDNT_RESOLVE_HOST ? "host not found"
                                                              : "request failed";
        kannel_line(*s->error ? s->error : curl_easy_strerror(rc), line, sizeof(line));
        snprintf(r->detail, sizeof(r->detail), "kannel: %s: %s", what, line);
        r->result = CARRIER_TRANSIENT;
        return;
    }
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    kannel_line(s->body, line, sizeof(line));
    snprintf(r->detail, sizeof(r->detail), "kannel: HTTP %ld %s", status,
             *line ? line : "(no answer)");
    r->result = CARRIER_TRANSIENT;
    if (status >= 200 && status < 300) {
        if (strncmp(s->body, "0:", 2) == 0 || strncmp(s->body, "3:", 2) == 0) {
            snprintf(r->ref, sizeof(r->ref), "%lld", sms->id);
            r->result = CARRIER_ACCEPTED;
        } /* else not an answer of Kannel's: see the top */
    } else if (status >= 400 && status < 500 && status != 429 && status != 401 && status != 403) {
        r->result = CARRIER_REJECTED;
    }
}

/* kannel_start - put SMS i on a free slot */
static void
kannel_start(struct kannel_carrier *k, struct kannel_slot *s, const struct sms_out *sms, int i,
             struct carrier_reply *r)
{
    s->url = kannel_request(k, s->curl, sms);
    if (s->url == NULL) {
        snprintf(r->detail, sizeof(r->detail), "kannel: cannot encode the request");
        r->result = CARRIER_TRANSIENT;
        return;
    }
    s->body_len = 0;
    s->body[0] = 0;
    s->error[0] = 0;
    s->sms = i;
    curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
    curl_multi_add_handle(k->multi, s->curl);
}

/* kannel_done - a slot's request finished: its reply, and the slot free again */
static void
kannel_done(struct kannel_carrier *k, struct kannel_slot *s, CURLcode rc, const struct sms_out *sms,
            struct carrier_reply *replies)
{
    kannel_outcome(s, rc, &sms[s->sms], &replies[s->sms]);
    curl_multi_remove_handle(k->multi, s->curl);
    /* the URL holds the password: gone before anything else happens */
    memset(s->url, 0, strlen(s->url));
    xfree(s->url);
    s->url = NULL;
    s->sms = -1;
}

/* kannel_submit - every SMS, up to max_in_flight requests at once */
static void
kannel_submit(void *h, const struct sms_out *sms, int n, struct carrier_reply *replies)
{
    struct kannel_carrier *k = h;
    int next = 0, running = 0;
    for (;;) {
        for (int i = 0; i < k->nslots && next < n; i++)
            if (k->slots[i].sms < 0) {
                kannel_start(k, &k->slots[i], &sms[next], next, &replies[next]);
                next++;
            }
        if (curl_multi_perform(k->multi, &running) != CURLM_OK)
            break;
        CURLMsg *m;
        int left, freed = 0;
        while ((m = curl_multi_info_read(k->multi, &left)) != NULL)
            if (m->msg == CURLMSG_DONE) {
                struct kannel_slot *s;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
                kannel_done(k, s, m->data.result, sms, replies);
                freed = 1;
            }
        if (running == 0 && next >= n && !freed)
            break;
        if (!freed)
            curl_multi_poll(k->multi, NULL, 0, 1000, NULL);
    }
    /* a multi failure: what is still on a slot did not get an answer */
    for (int i = 0; i < k->nslots; i++)
        if (k->slots[i].sms >= 0)
            kannel_done(k, &k->slots[i], CURLE_RECV_ERROR, sms, replies);
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
