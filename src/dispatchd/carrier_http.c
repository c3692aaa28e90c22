/*
 * carrier_http.c - a carrier's own HTTP API, described in smsgate.conf
 *
 * Each SMS is one request to url =: a POST whose body is the body =
 * template filled in, sent form-encoded or as JSON (body_format =), or a
 * GET with the filled-in form template as its query. The placeholders
 * {id} {to} {to_digits} {from} {text} {encoding} {parts} {account}
 * {dlr_url} are replaced by the SMS's values, each escaped for the
 * format: URL-encoded by libcurl for a form, a JSON string's content by
 * json-c for JSON (the template writes the quotes). Nothing the sender
 * wrote is ever put in unescaped. headers = adds request headers;
 * username = and password = are sent as basic authentication.
 *
 * What the carrier answers decides the outcome:
 *	a status of accept_status (200-299)
 *		accepted, the carrier's message id (response_id =, a JSON
 *		path or a form name) recorded as the reference. An answer
 *		without that id but with an error text (response_error =)
 *		is a rejection that came with a success status. An answer
 *		with neither (garbage, a changed format) is still accepted,
 *		without a reference, and the detail says "malformed
 *		response": the carrier said yes in its status line, and a
 *		retry would send the SMS again to a real phone on every
 *		back-off until it expires, while a charge for one SMS that
 *		may not have gone can be refunded.
 *	any other 4xx but 401, 403, 408, 429
 *		rejected: the request would never be taken
 *	401, 403, 408, 429, 5xx, 3xx, another 2xx, no connection, a timeout
 *		transient (carrier_curl.c): bad credentials are the
 *		operator's mistake, the SMS waits for the fix or its expiry;
 *		a 429's or 503's Retry-After is honoured
 * The detail line is the error text when response_error finds it, else
 * the answer's first line, printable ASCII only and bounded. Neither the
 * password nor the headers (which may hold an API key) are ever logged.
 * The carrier has answered every SMS before submit() returns, so flush()
 * has nothing to do.
 */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "carrier.h"
#include "carrier_curl.h"
#include "field.h"
#include "xalloc.h"

struct http_carrier {
    struct carrier_curl *pool;
    char *url, *body, *username, *password, *sender, *dlr_url;
    char *accept, *response_id, *response_error;
    int get;  /* method = GET: the filled-in template is the query */
    int json; /* body_format = json */
    struct curl_slist *headers;
};

/* the template of an empty body = : every placeholder under its own name */
static const char form_all[] = "id={id}&to={to}&from={from}&text={text}&encoding={encoding}"
                               "&parts={parts}&account={account}&dlr_url={dlr_url}";
static const char json_all[] =
    "{\"id\":{id},\"to\":\"{to}\",\"from\":\"{from}\",\"text\":\"{text}\","
    "\"encoding\":\"{encoding}\",\"parts\":{parts},"
    "\"account\":\"{account}\",\"dlr_url\":\"{dlr_url}\"}";

/* placeholder - the length of the name of a "{name}" at p (lower case, '_'), or 0 */
static size_t
placeholder(const char *p)
{
    if (*p != '{')
        return 0;
    size_t n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");
    return n > 0 && p[n + 1] == '}' ? n : 0;
}

/* http_value - placeholder name's value for sms (allocated), NULL for an unknown name */
static char *
http_value(const struct http_carrier *h, const struct sms_out *sms, const char *name, size_t len)
{
#define IS(s) (len == sizeof(s) - 1 && strncmp(name, s, len) == 0)
    if (IS("id"))
        return xasprintf("%lld", sms->id);
    if (IS("to"))
        return xstrdup(sms->to);
    if (IS("to_digits"))
        return xstrdup(sms->to + (*sms->to == '+'));
    if (IS("from"))
        return xstrdup(sms->from && *sms->from ? sms->from : h->sender);
    if (IS("text"))
        return xstrdup(sms->text);
    if (IS("encoding"))
        return xstrdup(sms->encoding);
    if (IS("parts"))
        return xasprintf("%d", sms->parts);
    if (IS("account"))
        return xstrdup(sms->account);
    if (IS("dlr_url"))
        return *h->dlr_url ? carrier_curl_dlr_url(h->dlr_url, sms->id) : xstrdup("");
    return NULL;
#undef IS
}

/* http_escape - v escaped for the body's format (allocated), NULL when curl cannot */
static char *
http_escape(const struct http_carrier *h, CURL *curl, const char *v)
{
    if (!h->json) {
        char *e = curl_easy_escape(curl, v, 0);
        char *copy = e ? xstrdup(e) : NULL;
        curl_free(e);
        return copy;
    }
    json_object *s = json_object_new_string(v);
    const char *q =
        json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *copy = xstrndup(q + 1, strlen(q) - 2); /* without the quotes */
    json_object_put(s);
    return copy;
}

/* http_expand - the template filled in for sms; NULL when a value cannot be escaped */
static char *
http_expand(const struct http_carrier *h, CURL *curl, const struct sms_out *sms)
{
    size_t cap = strlen(h->body) + 256, len = 0;
    char *out = xmalloc(cap);
    for (const char *p = h->body; *p;) {
        size_t n = placeholder(p);
        char *v = n ? http_value(h, sms, p + 1, n) : NULL;
        char *e = v ? http_escape(h, curl, v) : NULL;
        const char *add = e ? e : p;
        size_t alen = e ? strlen(e) : 1;
        if (v && e == NULL) {
            xfree(v);
            carrier_curl_wipe_free(out);
            return NULL;
        }
        if (len + alen + 1 > cap)
            out = xrealloc(out, cap = (len + alen + 1) * 2);
        memcpy(out + len, add, alen);
        len += alen;
        out[len] = 0;
        p += v ? n + 2 : 1;
        xfree(v);
        xfree(e);
    }
    out[len] = 0;
    return out;
}

/* http_status_list - is status in the list of statuses and ranges? -1: the list is malformed */
static int
http_status_list(const char *list, long status)
{
    int found = 0, items = 0;
    for (const char *p = list; *p;) {
        p += strspn(p, ", \t");
        if (*p == 0)
            break;
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (*end == '-')
            hi = strtol(end + 1, &end, 10);
        if (end == p || (*end && !strchr(", \t", *end)) || lo < 100 || hi > 599 || lo > hi)
            return -1;
        found |= status >= lo && status <= hi;
        items++;
        p = end;
    }
    return items ? found : -1;
}

/* http_headers - the headers = list ("Name: value | ..."), 0 or -1 with a reason */
static int
http_headers(struct http_carrier *h, const char *list, char **why_r)
{
    int typed = 0;
    char *copy = xstrdup(list), *save = NULL;
    for (char *item = strtok_r(copy, "|", &save); item; item = strtok_r(NULL, "|", &save)) {
        while (isspace((unsigned char)*item))
            item++;
        size_t len = strlen(item);
        while (len > 0 && isspace((unsigned char)item[len - 1]))
            item[--len] = 0;
        size_t name = strcspn(item, ":");
        if (name == 0 || item[name] != ':' ||
            strspn(item, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
                name) {
            *why_r = xasprintf("headers: \"%.*s\" is not \"Name: value\"", (int)name, item);
            carrier_curl_wipe_free(copy);
            return -1;
        }
        typed |= name == 12 && strncasecmp(item, "Content-Type", 12) == 0;
        h->headers = curl_slist_append(h->headers, item);
    }
    carrier_curl_wipe_free(copy);
    /* no "Expect: 100-continue" round trip before a larger body */
    h->headers = curl_slist_append(h->headers, "Expect:");
    if (h->json && !typed)
        h->headers = curl_slist_append(h->headers, "Content-Type: application/json");
    return 0;
}

/* http_check - what open() refuses: a reason (allocated) or NULL */
static char *
http_check(struct http_carrier *h, const struct carrier_conf *cc)
{
    if (h->get && h->json)
        return xstrdup("method = GET takes body_format = form (the body is the query)");
    for (const char *p = h->body; (p = strchr(p, '{')) != NULL; p++) {
        size_t n = placeholder(p);
        struct sms_out none = {1, "+1", "", "", "gsm7", 1, ""};
        char *v = n ? http_value(h, &none, p + 1, n) : NULL;
        if (n && v == NULL)
            return xasprintf("body: unknown placeholder {%.*s}", (int)n, p + 1);
        xfree(v);
    }
    if (http_status_list(h->accept, 200) < 0)
        return xasprintf("accept_status = %s: not a list of HTTP statuses and ranges (200-299)",
                         cc->accept_status);
    if (h->json) {
        struct sms_out sample = {1, "+61400000000", "Sender", "a \"text\"\n", "gsm7", 1, "acct"};
        char *body = http_expand(h, NULL, &sample);
        json_object *o = body ? json_tokener_parse(body) : NULL;
        xfree(body);
        if (o == NULL)
            return xstrdup("body: not JSON once its placeholders are filled in (write \"{text}\" "
                           "in quotes, {id} and {parts} without)");
        json_object_put(o);
    }
    return NULL;
}

/* http_close - the pool and the copies of the configuration */
static void
http_close(void *arg)
{
    struct http_carrier *h = arg;
    if (h == NULL)
        return;
    carrier_curl_close(h->pool);
    curl_slist_free_all(h->headers);
    xfree(h->url);
    xfree(h->body);
    xfree(h->username);
    carrier_curl_wipe_free(h->password);
    xfree(h->sender);
    xfree(h->dlr_url);
    xfree(h->accept);
    xfree(h->response_id);
    xfree(h->response_error);
    xfree(h);
}

/* http_open - check the keys and make the pool; nothing is sent yet */
static void *
http_open(const struct carrier_conf *cc, char **error_r)
{
    struct http_carrier *h = xcalloc(1, sizeof(*h));
    h->get = strcmp(cc->method, "GET") == 0;
    h->json = strcmp(cc->body_format, "json") == 0;
    h->url = xstrdup(cc->url);
    h->body = xstrdup(*cc->body ? cc->body : h->json ? json_all : form_all);
    h->username = xstrdup(cc->username);
    h->password = xstrdup(cc->password);
    h->sender = xstrdup(cc->sender);
    h->dlr_url = xstrdup(cc->dlr_url);
    h->accept = xstrdup(cc->accept_status);
    h->response_id = xstrdup(cc->response_id);
    h->response_error = xstrdup(cc->response_error);
    char *why = http_check(h, cc);
    if (why == NULL && http_headers(h, cc->headers, &why) == 0 &&
        (h->pool = carrier_curl_open(cc, error_r)) != NULL)
        return h;
    if (why != NULL) {
        *error_r = xasprintf("[carrier %s] %s", cc->name, why);
        xfree(why);
    }
    http_close(h);
    return NULL;
}

/* http_request - the request for one SMS; -1 when a value cannot be encoded */
static int
http_request(void *arg, CURL *curl, const struct sms_out *sms, struct curl_request *req)
{
    struct http_carrier *h = arg;
    char *body = http_expand(h, curl, sms);
    if (body == NULL)
        return -1;
    if (h->get) {
        req->url = xasprintf("%s%s%s", h->url, strchr(h->url, '?') ? "&" : "?", body);
        carrier_curl_wipe_free(body);
    } else {
        req->url = xstrdup(h->url);
        req->body = body;
    }
    req->headers = h->headers;
    if (*h->username) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, h->username);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, h->password);
    }
    return 0;
}

/* http_accepted - an answer of an accepted status: the id, else see the top */
static void
http_accepted(const struct http_carrier *h, const struct curl_answer *a, const char *error,
              const char *line, struct carrier_reply *r)
{
    char *id = field_get(a->body, h->response_id);
    r->result = CARRIER_ACCEPTED;
    if (id && *id) {
        carrier_curl_line(id, r->ref, sizeof(r->ref));
        snprintf(r->detail, sizeof(r->detail), "http: HTTP %ld id %s", a->status, r->ref);
    } else if (!*h->response_id) {
        snprintf(r->detail, sizeof(r->detail), "http: HTTP %ld %s", a->status,
                 *line ? line : "(no answer)");
    } else if (error && *error) {
        r->result = CARRIER_REJECTED;
        snprintf(r->detail, sizeof(r->detail), "http: HTTP %ld %s", a->status, line);
    } else {
        snprintf(r->detail, sizeof(r->detail),
                 "http: HTTP %ld malformed response, accepted without a reference (no %s): %s",
                 a->status, h->response_id, *line ? line : "(no answer)");
    }
    xfree(id);
}

/* http_outcome - what the carrier's answer means (see the top) */
static void
http_outcome(void *arg, const struct sms_out *sms, const struct curl_answer *a,
             struct carrier_reply *r)
{
    struct http_carrier *h = arg;
    char line[256];
    (void)sms;
    char *error = field_get(a->body, h->response_error);
    carrier_curl_line(error && *error ? error : a->body, line, sizeof(line));
    if (http_status_list(h->accept, a->status) > 0) {
        http_accepted(h, a, error, line, r);
    } else {
        r->result = carrier_curl_status(a->status);
        snprintf(r->detail, sizeof(r->detail), "http: HTTP %ld %s", a->status,
                 *line ? line : "(no answer)");
    }
    xfree(error);
}

static const struct carrier_curl_ops http_ops = {
    .driver = "http",
    .request = http_request,
    .outcome = http_outcome,
};

/* http_submit - every SMS, up to max_in_flight requests at once */
static void
http_submit(void *h, const struct sms_out *sms, int n, struct carrier_reply *replies)
{
    struct http_carrier *c = h;
    carrier_curl_submit(c->pool, &http_ops, c, sms, n, replies);
}

const struct carrier_driver carrier_http = {
    .name = "http",
    .open = http_open,
    .submit = http_submit,
    .flush = carrier_curl_flush,
    .close = http_close,
};
