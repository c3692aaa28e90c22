/*
 * conf.c - configuration file parser
 *
 * Format: "key = value" lines; '#' starts a comment line; blank lines are
 * ignored; leading and trailing blanks are trimmed. Every key is in
 * conf_keys[] with its type, default and bounds; anything else is an error
 * that names file and line, because a misspelt key silently ignored is a
 * setting the postmaster believes is in force and is not.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "xalloc.h"

const struct conf_key conf_keys[] = {
#define F(f) offsetof(struct conf, f)
    {"database", CONF_STR, "dbname=smsgate", 0, 0, F(database), "libpq connection string"},
    {"db_connect_timeout", CONF_INT, "10", 1, 3600, F(db_connect_timeout),
     "seconds to wait for a database connection"},
    {"db_statement_timeout", CONF_INT, "30000", 0, 3600000, F(db_statement_timeout),
     "milliseconds a statement may run, 0 for no limit"},
    {NULL, CONF_STR, NULL, 0, 0, 0, NULL},
#undef F
};

/* conf_set - store one value into its field; returns a static reason or NULL */
static const char *
conf_set(struct conf *conf, const struct conf_key *k, const char *value)
{
    if (k->type == CONF_INT) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end)
            return "not an integer";
        if (v < k->min || v > k->max)
            return "out of range";
        *(int *)((char *)conf + k->offset) = (int)v;
        return NULL;
    }
    char **field = (char **)((char *)conf + k->offset);
    xfree(*field);
    *field = xstrdup(value);
    return NULL;
}

/* conf_defaults - a configuration with every key at its default */
static struct conf *
conf_defaults(void)
{
    struct conf *conf = xcalloc(1, sizeof(*conf));
    for (const struct conf_key *k = conf_keys; k->name; k++)
        if (conf_set(conf, k, k->def) != NULL)
            abort(); /* a bad default in the table is a build bug */
    return conf;
}

/* trim - strip blanks at both ends in place */
static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* conf_load - parse a file into a fresh struct conf */
struct conf *
conf_load(const char *path, char **error_r)
{
    struct conf *conf = conf_defaults();
    const char *file = path ? path : CONF_DEFAULT_PATH;
    FILE *fp = fopen(file, "r");

    *error_r = NULL;
    if (fp == NULL) {
        if (path == NULL && errno == ENOENT)
            return conf; /* no file at the default place: built-in defaults */
        *error_r = xasprintf("%s: %s", file, strerror(errno));
        conf_free(conf);
        return NULL;
    }
    conf->path = xstrdup(file);

    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(fp)) {
            *error_r = xasprintf("%s:%d: line too long", file, lineno);
            break;
        }
        char *s = trim(line);
        if (*s == 0 || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            *error_r = xasprintf("%s:%d: expected \"key = value\"", file, lineno);
            break;
        }
        *eq = 0;
        char *key = trim(s), *value = trim(eq + 1);
        const struct conf_key *k;
        for (k = conf_keys; k->name; k++)
            if (strcmp(k->name, key) == 0)
                break;
        if (k->name == NULL) {
            *error_r = xasprintf("%s:%d: unknown key \"%s\"", file, lineno, key);
            break;
        }
        const char *why = conf_set(conf, k, value);
        if (why != NULL) {
            *error_r = xasprintf("%s:%d: %s: %s (allowed %ld..%ld)", file, lineno, key, why,
                                 k->min, k->max);
            break;
        }
    }
    /* a read error (a directory, an I/O error) must not pass for the end of the file */
    if (*error_r == NULL && ferror(fp))
        *error_r = xasprintf("%s:%d: %s", file, lineno + 1, strerror(errno));
    fclose(fp);
    if (*error_r) {
        conf_free(conf);
        return NULL;
    }
    return conf;
}

/* conf_free - release a configuration */
void
conf_free(struct conf *conf)
{
    if (conf == NULL)
        return;
    for (const struct conf_key *k = conf_keys; k->name; k++)
        if (k->type == CONF_STR)
            xfree(*(char **)((char *)conf + k->offset));
    xfree(conf->path);
    xfree(conf);
}
