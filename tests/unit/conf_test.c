/*
 * conf_test.c - smsgate.conf parsing: every key, every kind of mistake
 *
 * Each case writes a file with mkstemp and loads it. An error must name
 * the file and the line, so a postmaster can go straight to it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

/* write_conf - a temporary file with this content; the path is allocated */
static char *
write_conf(const char *content)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    if (path == NULL)
        bail("out of memory");
    snprintf(path, 4096, "%s/conf_test.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        bail("mkstemp %s: %s", path, strerror(errno));
    size_t len = strlen(content);
    if (write(fd, content, len) != (ssize_t)len)
        bail("write %s: %s", path, strerror(errno));
    close(fd);
    return path;
}

/* cases that load: the file, and the three settings afterwards */
static const struct {
    const char *name, *content;
    const char *database;
    int connect, statement;
} good_cases[] = {
    {"every key set",
     "database = host=db1 dbname=sms\ndb_connect_timeout = 5\n"
     "db_statement_timeout = 0\n",
     "host=db1 dbname=sms", 5, 0},
    {"empty file", "", "dbname=smsgate", 10, 30000},
    {"comments and blank lines",
     "# smsgate.conf\n\n   \n\t\n  # indented comment\ndatabase = dbname=x\n#database = no\n",
     "dbname=x", 10, 30000},
    {"blanks around key and value", "  database\t=   dbname=a user=b  \t\n", "dbname=a user=b", 10,
     30000},
    {"no blanks at all", "db_connect_timeout=7\n", "dbname=smsgate", 7, 30000},
    {"last line without newline", "db_connect_timeout = 8", "dbname=smsgate", 8, 30000},
    {"CRLF line ends", "db_connect_timeout = 9\r\ndatabase = dbname=crlf\r\n", "dbname=crlf", 9,
     30000},
    {"value with '=' and '#'", "database = password=a#b dbname=c\n", "password=a#b dbname=c", 10,
     30000},
    {"bounds: minimum", "db_connect_timeout = 1\ndb_statement_timeout = 0\n", "dbname=smsgate", 1,
     0},
    {"bounds: maximum", "db_connect_timeout = 3600\ndb_statement_timeout = 3600000\n",
     "dbname=smsgate", 3600, 3600000},
    {"a later line wins", "db_connect_timeout = 5\ndb_connect_timeout = 6\n", "dbname=smsgate", 6,
     30000},
};

/* cases that are refused: the line the error names and words it contains */
static const struct {
    const char *name, *content;
    int line;
    const char *words[3];
} bad_cases[] = {
    {"unknown key", "database = dbname=x\n# ok\ncolour = blue\n", 3, {"unknown key", "colour"}},
    {"misspelt key", "db_connect_timout = 5\n", 1, {"unknown key", "db_connect_timout"}},
    {"key in the wrong case", "\nDatabase = dbname=x\n", 2, {"unknown key", "Database"}},
    {"empty key", "= dbname=x\n", 1, {"unknown key"}},
    {"missing '='", "database\n", 1, {"key = value"}},
    {"missing '=' after good lines",
     "db_connect_timeout = 5\n\ndb_statement_timeout 100\n",
     3,
     {"key = value"}},
    {"int below minimum", "db_connect_timeout = 0\n", 1, {"db_connect_timeout", "out of range"}},
    {"int above maximum", "db_connect_timeout = 3601\n", 1, {"db_connect_timeout", "out of range"}},
    {"negative int", "db_statement_timeout = -1\n", 1, {"db_statement_timeout", "out of range"}},
    {"int far above maximum",
     "db_statement_timeout = 3600001\n",
     1,
     {"db_statement_timeout", "out of range", "3600000"}},
    {"int beyond long", "db_connect_timeout = 99999999999999999999\n", 1, {"db_connect_timeout"}},
    {"int beyond int", "db_connect_timeout = 4294967306\n", 1, {"db_connect_timeout"}},
    {"int with unit", "db_connect_timeout = 10s\n", 1, {"db_connect_timeout", "not an integer"}},
    {"int empty", "db_connect_timeout =\n", 1, {"db_connect_timeout", "not an integer"}},
    {"int in hex", "db_connect_timeout = 0x10\n", 1, {"not an integer"}},
    {"int with trailing comment", "db_connect_timeout = 10 # seconds\n", 1, {"not an integer"}},
    {"unknown section", "[mailer x]\n", 1, {"unknown section"}},
    {"section without its bracket", "[carrier x\n", 1, {"[carrier NAME]"}},
    {"carrier name with a capital", "[carrier Kannel]\n", 1, {"carrier name"}},
    {"the same carrier twice", "[carrier a]\n[carrier a]\n", 2, {"second section"}},
    {"top-level key inside a section",
     "[carrier a]\ndatabase = dbname=x\n",
     2,
     {"unknown key", "database", "[carrier a]"}},
    {"unknown driver", "[carrier a]\ndriver = pigeon\n", 2, {"[carrier a] driver = pigeon"}},
    {"priority out of range", "[carrier a]\npriority = 1001\n", 2, {"priority", "out of range"}},
};

/* test_carriers - [carrier NAME] sections, and the built-in one without them */
static void
test_carriers(void)
{
    char *error = NULL;
    char *path = write_conf("database = dbname=x\n[carrier local]\npath = /tmp/a.jsonl\n"
                            "routes = 61, 64\npriority = 1\n\n[carrier rest]\n");
    struct conf *c = conf_load(path, &error);
    if (ok(c != NULL && c->ncarriers == 2, "two [carrier] sections load")) {
        is_str(c->carriers[0].name, "local", "first carrier's name");
        is_str(c->carriers[0].path, "/tmp/a.jsonl", "its path");
        is_str(c->carriers[0].routes, "61, 64", "its routes");
        is_int(c->carriers[0].priority, 1, "its priority");
        is_str(c->carriers[1].driver, "file", "the second takes the default driver");
        is_int(c->carriers[1].priority, 10, "... and the default priority");
        is_str(c->database, "dbname=x", "top-level keys before the sections still count");
    }
    conf_free(c);
    free(error);
    unlink(path);
    free(path);
    path = write_conf("database = dbname=x\n");
    c = conf_load(path, &error);
    if (ok(c != NULL && c->ncarriers == 1, "no section: one built-in carrier"))
        ok(strcmp(c->carriers[0].name, "file") == 0 && strcmp(c->carriers[0].driver, "file") == 0,
           "... the file carrier");
    conf_free(c);
    unlink(path);
    free(path);
}

static void
test_good(void)
{
    for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
        char *path = write_conf(good_cases[i].content), *error = NULL;
        struct conf *c = conf_load(path, &error);
        if (!ok(c != NULL && error == NULL, "loads: %s", good_cases[i].name)) {
            diag("  error %s", error ? error : "(none)");
        } else {
            is_str(c->database, good_cases[i].database, "%s: database", good_cases[i].name);
            ok(c->db_connect_timeout == good_cases[i].connect &&
                   c->db_statement_timeout == good_cases[i].statement,
               "%s: timeouts %d and %d", good_cases[i].name, good_cases[i].connect,
               good_cases[i].statement);
            is_str(c->path, path, "%s: remembers its file", good_cases[i].name);
        }
        conf_free(c);
        free(error);
        unlink(path);
        free(path);
    }
}

static void
test_bad(void)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        char *path = write_conf(bad_cases[i].content), *error = NULL, where[4200];
        snprintf(where, sizeof(where), "%s:%d:", path, bad_cases[i].line);
        struct conf *c = conf_load(path, &error);
        int good = c == NULL && error != NULL && strncmp(error, where, strlen(where)) == 0;
        for (int w = 0; w < 3 && bad_cases[i].words[w]; w++)
            good = good && strstr(error, bad_cases[i].words[w]) != NULL;
        if (!ok(good, "refused at line %d: %s", bad_cases[i].line, bad_cases[i].name))
            diag("  error %s", error ? error : "(none)");
        conf_free(c);
        free(error);
        unlink(path);
        free(path);
    }
}

static void
test_files(void)
{
    char *error = NULL;
    struct conf *c;

    /* a -c path that does not exist is an error, not the defaults */
    char *path = write_conf("");
    unlink(path);
    c = conf_load(path, &error);
    ok(c == NULL && error && strstr(error, path) && strstr(error, strerror(ENOENT)),
       "a missing named file is an error naming it");
    if (error)
        diag("  %s", error);
    free(error);
    error = NULL;

    /* a directory is not a configuration file */
    char *dir = strdup(path);
    if (dir == NULL || mkdir(dir, 0700) < 0)
        bail("mkdir: %s", strerror(errno));
    c = conf_load(dir, &error);
    ok(c == NULL && error && strstr(error, dir), "a directory is an error naming it");
    if (error)
        diag("  %s", error);
    conf_free(c);
    free(error);
    error = NULL;
    rmdir(dir);
    free(dir);
    free(path);

    /* a file that cannot be read */
    path = write_conf("database = dbname=secret\n");
    chmod(path, 0);
    if (access(path, R_OK) == 0) {
        ok(1, "# SKIP unreadable file: running with privileges that read anything");
    } else {
        c = conf_load(path, &error);
        ok(c == NULL && error && strstr(error, path) && strstr(error, strerror(EACCES)),
           "an unreadable file is an error naming it");
        conf_free(c);
        free(error);
        error = NULL;
    }
    unlink(path);
    free(path);

    /* a line longer than the parser takes is refused, not split */
    size_t big = 5000;
    char *content = malloc(big + 64);
    if (content == NULL)
        bail("out of memory");
    strcpy(content, "db_connect_timeout = 5\ndatabase = ");
    size_t o = strlen(content);
    memset(content + o, 'x', big);
    strcpy(content + o + big, "\ndb_connect_timeout = 6\n");
    path = write_conf(content);
    c = conf_load(path, &error);
    char where[4200];
    snprintf(where, sizeof(where), "%s:2:", path);
    ok(c == NULL && error && strncmp(error, where, strlen(where)) == 0 && strstr(error, "too long"),
       "a 5000-byte line is refused at its line");
    if (error)
        diag("  %s", error);
    conf_free(c);
    free(error);
    error = NULL;
    unlink(path);
    free(path);
    free(content);

    /* no -c and no file at the default place: built-in defaults */
    if (access(CONF_DEFAULT_PATH, F_OK) == 0) {
        ok(1, "# SKIP " CONF_DEFAULT_PATH " exists");
        ok(1, "# SKIP " CONF_DEFAULT_PATH " exists");
    } else {
        c = conf_load(NULL, &error);
        ok(c != NULL && error == NULL && c->path == NULL,
           "no file at " CONF_DEFAULT_PATH ": built-in defaults");
        ok(c && c->database && strcmp(c->database, "dbname=smsgate") == 0 &&
               c->db_connect_timeout == 10 && c->db_statement_timeout == 30000,
           "defaults: database dbname=smsgate, timeouts 10 s and 30000 ms");
        conf_free(c);
        free(error);
        error = NULL;
    }
    conf_free(NULL);
    ok(1, "conf_free(NULL) is harmless");
}

/* every key in the table has a default that loads, and bounds that hold */
static void
test_keys(void)
{
    int n = 0;
    for (const struct conf_key *k = conf_keys; k->name; k++, n++) {
        char *error = NULL, content[512];
        ok(k->def != NULL && k->help != NULL && *k->help, "%s has a default and a help text",
           k->name);
        if (k->def == NULL)
            continue;
        snprintf(content, sizeof(content), "%s = %s\n", k->name, k->def);
        char *path = write_conf(content);
        struct conf *c = conf_load(path, &error);
        if (!ok(c != NULL, "%s = %s loads", k->name, k->def))
            diag("  error %s", error ? error : "(none)");
        if (c && k->type == CONF_STR)
            is_str(*(char **)((char *)c + k->offset), k->def, "%s default stored", k->name);
        else if (c)
            is_int(*(int *)((char *)c + k->offset), atol(k->def), "%s default stored", k->name);
        conf_free(c);
        free(error);
        unlink(path);
        free(path);

        if (k->type != CONF_INT)
            continue;
        ok(k->min <= atol(k->def) && atol(k->def) <= k->max, "%s default within %ld..%ld", k->name,
           k->min, k->max);
        long edge[4] = {k->min, k->max, k->min - 1, k->max + 1};
        for (int e = 0; e < 4; e++) {
            error = NULL;
            snprintf(content, sizeof(content), "%s = %ld\n", k->name, edge[e]);
            path = write_conf(content);
            c = conf_load(path, &error);
            if (e < 2)
                ok(c != NULL && *(int *)((char *)c + k->offset) == edge[e], "%s = %ld loads",
                   k->name, edge[e]);
            else
                ok(c == NULL && error && strstr(error, "out of range"), "%s = %ld refused", k->name,
                   edge[e]);
            conf_free(c);
            free(error);
            unlink(path);
            free(path);
        }
    }
    ok(n >= 3, "conf_keys lists %d keys", n);
}

int
main(void)
{
    test_good();
    test_bad();
    test_files();
    test_keys();
    test_carriers();
    return done_testing();
}
