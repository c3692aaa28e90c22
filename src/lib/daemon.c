/*
 * daemon.c - sockets, privileges and signals for the daemons
 *
 * Sockets are opened while we may still be root (a port below 1024, a
 * socket under /run), then the process becomes the unprivileged user for
 * good: the code that parses mail from strangers never runs as root.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "msg.h"
#include "xalloc.h"

volatile sig_atomic_t daemon_stop;
volatile sig_atomic_t daemon_reload;

/* listen_unix - bind a Unix socket, replacing a stale one */
static int
listen_unix(const char *path, int backlog, mode_t mode, const char *group, char **error_r)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sun.sun_path)) {
        *error_r = xasprintf("unix:%s: path too long", path);
        return -1;
    }
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error_r = xasprintf("socket: %s", strerror(errno));
        return -1;
    }
    /* a socket file left by a crash would make bind fail forever */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    /* owner only until the caller has set its group and mode: nobody slips in before */
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    umask(old);
    struct group *gr = group && *group ? getgrnam(group) : NULL;
    if (group && *group && gr == NULL) {
        *error_r = xasprintf("unix:%s: group \"%s\" does not exist", path, group);
        close(fd);
        return -1;
    }
    if (rc < 0 || (gr && chown(path, (uid_t)-1, gr->gr_gid) < 0) || chmod(path, mode) < 0 ||
        listen(fd, backlog) < 0) {
        *error_r = xasprintf("unix:%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* listen_inet - "host:port" or "[v6]:port" */
static int
listen_inet(const char *spec, int backlog, char **error_r)
{
    char host[256];
    const char *port;
    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');
        if (end == NULL || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof(host)) {
            *error_r = xasprintf("inet:%s: expected [address]:port", spec);
            return -1;
        }
        memcpy(host, spec + 1, (size_t)(end - spec - 1));
        host[end - spec - 1] = 0;
        port = end + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
            *error_r = xasprintf("inet:%s: expected host:port", spec);
            return -1;
        }
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = 0;
        port = colon + 1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai;
    int gai = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
    if (gai != 0) {
        *error_r = xasprintf("inet:%s: %s", spec, gai_strerror(gai));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
        *error_r = xasprintf("inet:%s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* daemon_listen - by the spec's scheme */
int
daemon_listen(const char *spec, int backlog, mode_t mode, const char *group, int *is_unix_r,
              char **error_r)
{
    *is_unix_r = strncmp(spec, "unix:", 5) == 0;
    if (*is_unix_r)
        return listen_unix(spec + 5, backlog, mode, group, error_r);
    if (strncmp(spec, "inet:", 5) == 0)
        return listen_inet(spec + 5, backlog, error_r);
    *error_r = xasprintf("\"%s\": expected unix:/path or inet:host:port", spec);
    return -1;
}

/* daemon_drop - root no more */
int
daemon_drop(const char *user, char **error_r)
{
    if (geteuid() != 0)
        return 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        *error_r = xasprintf("user \"%s\" does not exist (set user = in smsgate.conf)", user);
        return -1;
    }
    if (pw->pw_uid == 0) {
        *error_r = xasprintf("user \"%s\" is root: name an unprivileged user", user);
        return -1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
        setuid(pw->pw_uid) < 0) {
        *error_r = xasprintf("cannot become %s: %s", user, strerror(errno));
        return -1;
    }
    /* paranoia: regaining root must be impossible now */
    if (setuid(0) == 0) {
        *error_r = xstrdup("could regain root after dropping privileges");
        return -1;
    }
    return 0;
}

/* daemon_detach - background */
int
daemon_detach(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    return chdir("/");
}

/* daemon_pidfile - our pid, for init scripts */
int
daemon_pidfile(const char *path, char **error_r)
{
    if (path == NULL || *path == 0)
        return 0;
    FILE *fp = fopen(path, "w");
    if (fp == NULL || fprintf(fp, "%ld\n", (long)getpid()) < 0 || fclose(fp) != 0) {
        *error_r = xasprintf("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void
on_stop(int sig)
{
    (void)sig;
    daemon_stop = 1;
}

static void
on_reload(int sig)
{
    (void)sig;
    daemon_reload = 1;
}

/* daemon_signals - install the handlers (no SA_RESTART: poll() must wake) */
void
daemon_signals(void)
{
    struct sigaction sa = {0};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_reload;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* daemon_options - -c FILE, -f, -n, -v */
void
daemon_options(const char *prog, int argc, char **argv, struct daemon_opts *o)
{
    int c;
    memset(o, 0, sizeof(*o));
    while ((c = getopt(argc, argv, "c:fnv")) != -1) {
        switch (c) {
        case 'c':
            o->conf_path = optarg;
            break;
        case 'f':
            o->foreground = 1;
            break;
        case 'n':
            o->check = 1;
            break;
        case 'v':
            o->verbose++;
            break;
        default:
            optind = argc + 1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "usage: %s [-c FILE] [-f] [-n] [-v]\n", prog);
        exit(64);
    }
    msg_init(prog, !o->foreground && !o->check);
    msg_stderr_too(1);
    msg_verbose_set(o->verbose);
}
