/* conf.h - smsgate.conf: one table of keys, types, defaults and bounds */
#ifndef SMSGATE_CONF_H
#define SMSGATE_CONF_H

#include <stddef.h>

/*
 * The parsed configuration. A reload builds a new struct conf and swaps
 * it in; readers keep the one they started with (OpenDKIM's approach).
 */
struct conf {
    char *path;          /* file it came from, or NULL for built-in defaults */
    char *database;      /* libpq connection string */
    int db_connect_timeout; /* seconds */
    int db_statement_timeout; /* milliseconds, 0 = none */
};

/* One row of the key table; exported so tests and `-n` can list every key. */
struct conf_key {
    const char *name;
    enum { CONF_STR, CONF_INT } type;
    const char *def;
    long min, max;
    size_t offset; /* of the field in struct conf: char * or int */
    const char *help;
};

extern const struct conf_key conf_keys[];

#define CONF_DEFAULT_PATH SYSCONFDIR "/smsgate/smsgate.conf"

/*
 * conf_load - read path (NULL: the default file, or built-in defaults when
 * it does not exist). Returns NULL with "file:line: reason" in *error_r
 * (allocated; free it) on any error, including unknown keys.
 */
struct conf *conf_load(const char *path, char **error_r);
void conf_free(struct conf *conf);

#endif
