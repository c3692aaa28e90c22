/*
 * field.c - pick one named value out of what a carrier sends
 *
 * Carriers with an HTTP API of their own answer a request, and report
 * delivery, in JSON or in form encoding; smsgate.conf names the value it
 * wants (response_id, dlr_status, ...) by a dotted JSON path or a form
 * name. Pure functions over bounded text: the dispatcher keeps at most
 * CARRIER_CURL_BODY_MAX bytes of an answer, smsgate-httpd at most
 * HTTPD_BODY_MAX of a callback; json-c bounds the nesting (32 levels).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "field.h"
#include "xalloc.h"

/* field_is_json - see field.h */
int
field_is_json(const char *text)
{
    text += strspn(text, " \t\r\n");
    return *text == '{' || *text == '[';
}

/* hex - a hexadecimal digit's value, or -1 */
static int
hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* field_form_decode - see field.h */
size_t
field_form_decode(char *s)
{
    char *out = s;
    for (char *in = s; *in; in++) {
        if (*in == '+')
            *out++ = ' ';
        else if (*in == '%' && hex(in[1]) >= 0 && hex(in[2]) >= 0) {
            *out++ = (char)(hex(in[1]) * 16 + hex(in[2]));
            in += 2;
        } else
            *out++ = *in;
    }
    *out = '\0';
    return (size_t)(out - s);
}

/* json_walk - the member or element path names under o, or NULL */
static json_object *
json_walk(json_object *o, const char *path)
{
    while (o != NULL && *path) {
        size_t len = strcspn(path, ".");
        char name[256];
        if (len == 0 || len >= sizeof(name))
            return NULL;
        memcpy(name, path, len);
        name[len] = 0;
        path += len + (path[len] == '.');
        if (json_object_is_type(o, json_type_object)) {
            if (!json_object_object_get_ex(o, name, &o))
                return NULL;
        } else if (json_object_is_type(o, json_type_array) && strspn(name, "0123456789") == len &&
                   len < 10) {
            o = json_object_array_get_idx(o, (size_t)strtoul(name, NULL, 10));
        } else {
            return NULL;
        }
    }
    return o;
}

/* json_field - field_get for JSON text */
static char *
json_field(const char *text, const char *path)
{
    json_object *root = json_tokener_parse(text);
    json_object *o = root ? json_walk(root, path) : NULL;
    char *value = NULL;
    if (o != NULL && !json_object_is_type(o, json_type_object) &&
        !json_object_is_type(o, json_type_array) && !json_object_is_type(o, json_type_null))
        value = xstrdup(json_object_get_string(o));
    json_object_put(root);
    return value;
}

/* form_field - field_get for form-encoded text */
static char *
form_field(const char *text, const char *path)
{
    char *copy = xstrdup(text), *save = NULL, *value = NULL;
    for (char *pair = strtok_r(copy, "&\r\n", &save); pair && value == NULL;
         pair = strtok_r(NULL, "&\r\n", &save)) {
        char *eq = strchr(pair, '=');
        if (eq == NULL)
            continue;
        *eq = 0;
        field_form_decode(pair);
        if (strcmp(pair, path) == 0) {
            field_form_decode(eq + 1);
            value = xstrdup(eq + 1);
        }
    }
    xfree(copy);
    return value;
}

/* field_get - see field.h */
char *
field_get(const char *text, const char *path)
{
    if (text == NULL || path == NULL || *path == 0)
        return NULL;
    return field_is_json(text) ? json_field(text, path) : form_field(text, path);
}

/* field_in_list - see field.h */
int
field_in_list(const char *value, const char *list)
{
    size_t vlen = strlen(value);
    for (const char *p = list; *p;) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (len > 0 && len == vlen && strncasecmp(p, value, len) == 0)
            return 1;
        p += len;
    }
    return 0;
}
