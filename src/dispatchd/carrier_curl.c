/*
 * carrier_curl.c - the HTTP carriers' one request engine (kannel, http)
 *
 * Up to max_in_flight requests at once, with libcurl's multi interface:
 * one easy handle per slot, kept with the multi handle that holds their
 * open connections between batches (the dispatcher is single-threaded:
 * no handle is ever shared across threads). Each request has the
 * carrier's timeout for connecting and for the whole exchange.
 *
 * What is the same for every HTTP carrier is decided here, so that the
 * drivers agree: no answer at all (no connection, refused, a timeout, a
 * reset) is transient, tried again after the back-off; a timeout after
 * the request went out may mean the carrier took the SMS, and the retry
 * then sends it twice, which a sender notices, rather than never, which
 * no one would. Which HTTP statuses are final is carrier_curl_status();
 * a transient answer's Retry-After (seconds or an HTTP date, RFC 9110
 * 10.2.3, at most a day) is handed to the dispatcher in the reply, so a
 * carrier that asks for a pause gets it.
 *
 * URLs and bodies may hold a password: they are wiped once a request is
 * done, and curl never prints them. Detail lines are the driver's name,
 * then printable ASCII only, bounded.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "carrier_curl.h"
#include "xalloc.h"

/* the longest pause a carrier may ask for */
#define RETRY_AFTER_MAX 86400

/* One request in flight. */
struct curl_slot {
    CURL *curl;
    int sms; /* index into submit()'s arrays, -1 when free */
    char body[CARRIER_CURL_BODY_MAX + 1];
    size_t body_len;
    int truncated;
    int retry_after;
    char error[CURL_ERROR_SIZE];
    struct curl_request req;
};

struct carrier_curl {
    CURLM *multi;
    struct curl_slot *slots;
    int nslots;
};

/* slot_body - curl's write callback: keep the first CARRIER_CURL_BODY_MAX bytes */
static size_t
slot_body(char *data, size_t size, size_t n, void *arg)
{
    struct curl_slot *s = arg;
    size_t len = size * n;
    size_t room = CARRIER_CURL_BODY_MAX - s->body_len;
    size_t take = len < room ? len : room;
    memcpy(s->body + s->body_len, data, take);
    s->body_len += take;
    s->body[s->body_len] = 0;
    if (take < len)
        s->truncated = 1;
    return len;
}

/* retry_after - a Retry-After value in seconds from now, 0 when none or past */
static int
retry_after(const char *v)
{
    long secs;
    if (strspn(v, "0123456789") > 0 && v[strspn(v, "0123456789")] == 0)
        secs = strlen(v) > 6 ? RETRY_AFTER_MAX : atol(v);
    else {
        time_t t = curl_getdate(v, NULL);
        secs = t < 0 ? 0 : (long)(t - time(NULL));
    }
    return secs <= 0 ? 0 : secs > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : (int)secs;
}

/* slot_header - curl's header callback: Retry-After, the one header read */
static size_t
slot_header(char *data, size_t size, size_t n, void *arg)
{
    struct curl_slot *s = arg;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && len < 128 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        char v[128];
        snprintf(v, sizeof(v), "%.*s", (int)(len - (sizeof(name) - 1)), data + sizeof(name) - 1);
        char *p = v + strspn(v, " \t");
        p[strcspn(p, " \t\r\n")] = 0;
        s->retry_after = retry_after(p);
    } else if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        s->retry_after = 0; /* a new response (after a 100 Continue): its own headers count */
    }
    return len;
}

/* carrier_curl_wipe_free - see carrier_curl.h */
void
carrier_curl_wipe_free(char *s)
{
    if (s == NULL)
        return;
    memset(s, 0, strlen(s));
    xfree(s);
}

/* carrier_curl_close - every handle */
void
carrier_curl_close(struct carrier_curl *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->nslots; i++)
        if (p->slots[i].curl) {
            if (p->multi && p->slots[i].sms >= 0)
                curl_multi_remove_handle(p->multi, p->slots[i].curl);
            curl_easy_cleanup(p->slots[i].curl);
            carrier_curl_wipe_free(p->slots[i].req.url);
            carrier_curl_wipe_free(p->slots[i].req.body);
        }
    xfree(p->slots);
    if (p->multi)
        curl_multi_cleanup(p->multi);
    xfree(p);
}

/* slot_init - one easy handle with what every request of the carrier shares */
static int
slot_init(struct curl_slot *s, long timeout)
{
    s->sms = -1;
    if ((s->curl = curl_easy_init()) == NULL)
        return -1;
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "-dispatchd/" PACKAGE_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, slot_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, slot_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->error);
    curl_easy_setopt(c, CURLOPT_PRIVATE, s);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    return 0;
}

/* carrier_curl_open - see carrier_curl.h */
struct carrier_curl *
carrier_curl_open(const struct carrier_conf *cc, char **error_r)
{
    static int curl_ready;
    if (strncmp(cc->url, "http://", 7) != 0 && strncmp(cc->url, "https://", 8) != 0) {
        *error_r =
            xasprintf("[carrier %s] url = %s: not an http:// or https:// URL", cc->name, cc->url);
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
    struct carrier_curl *p = xcalloc(1, sizeof(*p));
    p->nslots = cc->max_in_flight > 0 ? cc->max_in_flight : 1;
    p->slots = xcalloc((size_t)p->nslots, sizeof(*p->slots));
    if ((p->multi = curl_multi_init()) == NULL) {
        *error_r = xasprintf("[carrier %s] cannot make a libcurl multi handle", cc->name);
        carrier_curl_close(p);
        return NULL;
    }
    /* keep a connection for every slot between batches */
    curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)p->nslots);
    for (int i = 0; i < p->nslots; i++)
        if (slot_init(&p->slots[i], cc->timeout > 0 ? cc->timeout : 10) < 0) {
            *error_r = xasprintf("[carrier %s] cannot make a libcurl handle", cc->name);
            carrier_curl_close(p);
            return NULL;
        }
    return p;
}

/* carrier_curl_line - see carrier_curl.h */
void
carrier_curl_line(const char *s, char *out, size_t outsize)
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

/* carrier_curl_dlr_url - see carrier_curl.h */
char *
carrier_curl_dlr_url(const char *tmpl, long long id)
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

/* carrier_curl_flush - see carrier_curl.h */
int
carrier_curl_flush(void *h, char **error_r)
{
    (void)h;
    (void)error_r;
    return 0;
}

/* carrier_curl_status - see carrier_curl.h */
enum carrier_result
carrier_curl_status(long status)
{
    if (status >= 400 && status < 500 && status != 401 && status != 403 && status != 408 &&
        status != 429)
        return CARRIER_REJECTED;
    return CARRIER_TRANSIENT;
}

/* slot_start - put SMS i on a free slot, or fail its reply at once */
static void
slot_start(struct carrier_curl *p, struct curl_slot *s, const struct carrier_curl_ops *ops,
           void *arg, const struct sms_out *sms, int i, struct carrier_reply *r)
{
    memset(&s->req, 0, sizeof(s->req));
    if (ops->request(arg, s->curl, sms, &s->req) < 0) {
        carrier_curl_wipe_free(s->req.url);
        carrier_curl_wipe_free(s->req.body);
        memset(&s->req, 0, sizeof(s->req));
        snprintf(r->detail, sizeof(r->detail), "%s: cannot encode the request", ops->driver);
        r->result = CARRIER_TRANSIENT;
        return;
    }
    s->body_len = 0;
    s->body[0] = 0;
    s->truncated = 0;
    s->retry_after = 0;
    s->error[0] = 0;
    s->sms = i;
    curl_easy_setopt(s->curl, CURLOPT_URL, s->req.url);
    if (s->req.body) {
        curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, s->req.body);
        curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(s->req.body));
    } else {
        curl_easy_setopt(s->curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->req.headers);
    curl_multi_add_handle(p->multi, s->curl);
}

/* slot_failed - no HTTP answer: transient, with curl's reason */
static void
slot_failed(struct curl_slot *s, CURLcode rc, const char *driver, struct carrier_reply *r)
{
    char line[256];
    const char *what = rc == CURLE_COULDNT_CONNECT        ? "connection failed"
                       : rc == CURLE_OPERATION_TIMEDOUT   ? "timed out"
                       : rc == CURLE_COULDNT_RESOLVE_HOST ? "host not found"
                                                          : "request failed";
    carrier_curl_line(*s->error ? s->error : curl_easy_strerror(rc), line, sizeof(line));
    snprintf(r->detail, sizeof(r->detail), "%s: %s: %s", driver, what, line);
    r->result = CARRIER_TRANSIENT;
}

/* slot_done - a slot's request finished: its reply, and the slot free again */
static void
slot_done(struct carrier_curl *p, struct curl_slot *s, CURLcode rc,
          const struct carrier_curl_ops *ops, void *arg, const struct sms_out *sms,
          struct carrier_reply *replies)
{
    struct carrier_reply *r = &replies[s->sms];
    if (rc != CURLE_OK) {
        slot_failed(s, rc, ops->driver, r);
    } else {
        struct curl_answer a = {s->curl, 0, s->body, s->body_len, s->truncated, s->retry_after};
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &a.status);
        ops->outcome(arg, &sms[s->sms], &a, r);
        if (r->result == CARRIER_TRANSIENT)
            r->retry_after = s->retry_after;
    }
    curl_multi_remove_handle(p->multi, s->curl);
    /* the request may hold a password: gone before anything else happens */
    carrier_curl_wipe_free(s->req.url);
    carrier_curl_wipe_free(s->req.body);
    memset(&s->req, 0, sizeof(s->req));
    s->sms = -1;
}

/* carrier_curl_submit - see carrier_curl.h */
void
carrier_curl_submit(struct carrier_curl *p, const struct carrier_curl_ops *ops, void *arg,
                    const struct sms_out *sms, int n, struct carrier_reply *replies)
{
    int next = 0, running = 0;
    for (;;) {
        for (int i = 0; i < p->nslots && next < n; i++)
            if (p->slots[i].sms < 0) {
                slot_start(p, &p->slots[i], ops, arg, &sms[next], next, &replies[next]);
                next++;
            }
        if (curl_multi_perform(p->multi, &running) != CURLM_OK)
            break;
        CURLMsg *m;
        int left, freed = 0;
        while ((m = curl_multi_info_read(p->multi, &left)) != NULL)
            if (m->msg == CURLMSG_DONE) {
                struct curl_slot *s;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
                slot_done(p, s, m->data.result, ops, arg, sms, replies);
                freed = 1;
            }
        if (running == 0 && next >= n && !freed)
            break;
        if (!freed)
            curl_multi_poll(p->multi, NULL, 0, 1000, NULL);
    }
    /* a multi failure: what is still on a slot did not get an answer */
    for (int i = 0; i < p->nslots; i++)
        if (p->slots[i].sms >= 0)
            slot_done(p, &p->slots[i], CURLE_RECV_ERROR, ops, arg, sms, replies);
}
