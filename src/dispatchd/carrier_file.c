/*
 * carrier_file.c - the file carrier: one JSON object a line per SMS
 *
 * The embedded default, so that a new installation shows finished SMS
 * without any carrier account: {"id":..,"to":..,"from":..,"text":..,
 * "encoding":..,"parts":..,"account":..}. Lines are appended and the file
 * is fsync()ed before the SMS are recorded as accepted; a crash between
 * the two can write an SMS twice, and the id in each line tells them apart.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carrier.h"
#include "xalloc.h"

struct file_carrier {
    int fd;
    char *path;
};

static void *
file_open(const struct carrier_conf *cc, char **error_r)
{
    int fd = open(cc->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        *error_r = xasprintf("[carrier %s] path = %s: %s", cc->name, cc->path, strerror(errno));
        return NULL;
    }
    struct file_carrier *f = xcalloc(1, sizeof(*f));
    f->fd = fd;
    f->path = xstrdup(cc->path);
    return f;
}

/* file_one - append one SMS */
static enum carrier_result
file_one(void *h, const struct sms_out *sms, char *ref, size_t refsize, char *detail,
         size_t detailsize)
{
    struct file_carrier *f = h;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(sms->id));
    json_object_object_add(o, "to", json_object_new_string(sms->to));
    json_object_object_add(o, "from", sms->from ? json_object_new_string(sms->from) : NULL);
    json_object_object_add(o, "text", json_object_new_string(sms->text));
    json_object_object_add(o, "encoding", json_object_new_string(sms->encoding));
    json_object_object_add(o, "parts", json_object_new_int(sms->parts));
    json_object_object_add(o, "account", json_object_new_string(sms->account));
    const char *line =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len = strlen(line);
    char *buf = xasprintf("%s\n", line);
    json_object_put(o);
    /* one write() per line: O_APPEND keeps lines of several dispatchers whole */
    ssize_t n = write(f->fd, buf, len + 1);
    xfree(buf);
    if (n != (ssize_t)(len + 1)) {
        int err = n < 0 ? errno : ENOSPC;
        /*
         * End a partial line, so the next one starts on its own: a reader
         * skips one line that is no JSON. Truncating it away instead could
         * take a line another dispatcher appended meanwhile.
         */
        if (n > 0 && write(f->fd, "\n", 1) != 1)
            err = errno;
        snprintf(detail, detailsize, "%s: %s", f->path, strerror(err));
        return CARRIER_TRANSIENT;
    }
    snprintf(ref, refsize, "%lld", sms->id);
    snprintf(detail, detailsize, "written to %s", f->path);
    return CARRIER_ACCEPTED;
}

/* file_submit - one line each, in order */
static void
file_submit(void *h, const struct sms_out *sms, int n, struct carrier_reply *replies)
{
    for (int i = 0; i < n; i++)
        replies[i].result = file_one(h, &sms[i], replies[i].ref, sizeof(replies[i].ref),
                                     replies[i].detail, sizeof(replies[i].detail));
}

static int
file_flush(void *h, char **error_r)
{
    struct file_carrier *f = h;
    if (fsync(f->fd) < 0) {
        *error_r = xasprintf("%s: %s", f->path, strerror(errno));
        return -1;
    }
    return 0;
}

static void
file_close(void *h)
{
    struct file_carrier *f = h;
    if (f == NULL)
        return;
    close(f->fd);
    xfree(f->path);
    xfree(f);
}

const struct carrier_driver carrier_file = {
    .name = "file",
    .open = file_open,
    .submit = file_submit,
    .flush = file_flush,
    .close = file_close,
};

/* carrier_driver_find - by name */
const struct carrier_driver *
carrier_driver_find(const char *name)
{
    static const struct carrier_driver *const drivers[] = {&carrier_file, &carrier_kannel,
                                                           &carrier_http};
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
        if (strcmp(drivers[i]->name, name) == 0)
            return drivers[i];
    return NULL;
}

/* carrier_routes - prefix list match; an empty list takes everything */
int
carrier_routes(const char *routes, const char *destination)
{
    const char *p = routes;
    if (p == NULL || *p == 0)
        return 1;
    while (*p) {
        p += strspn(p, ", \t+");
        size_t len = strcspn(p, ", \t");
        if (len > 0 && strncmp(p, destination, len) == 0)
            return 1;
        p += len;
    }
    return 0;
}
