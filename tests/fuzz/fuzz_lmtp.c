/*
 * fuzz_lmtp.c - libFuzzer target for lmtp_parse, lmtp_xforward_parse and authres_parse
 *
 * Everything these parsers read comes from outside: command lines from
 * whatever connects to the LMTP socket, XFORWARD values that carry a
 * remote client's HELO name, Authentication-Results fields that quote the
 * sender's own text. The input is split into lines, and each line is
 * given to all three; the whole input is also parsed as one (folded)
 * header value. Beyond the absence of crashes the target checks the
 * promises the session relies on, and any violation aborts:
 *
 *   - a refusal is a whole reply: "DDD D.D.D text" with a 4xx/5xx code;
 *   - addr is NUL-terminated inside LMTP_ADDR_MAX, has no control
 *     characters, and an accepted MAIL/RCPT path is "" (MAIL only) or
 *     has a non-empty domain; arg points into the line;
 *   - XFORWARD fields are terminated, free of control characters (they
 *     are logged), and a refused command changes nothing;
 *   - authres results are terminated, at most AUTHRES_MAX, -1 means no
 *     authserv-id.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I<builddir> -Isrc/lib \
 *       tests/fuzz/fuzz_lmtp.c src/lib/lmtp.c src/lib/authres.c src/lib/xalloc.c src/lib/msg.c
 *   mkdir -p /tmp/corpus && ./a.out -max_total_time=60 /tmp/corpus tests/fuzz/seeds/lmtp
 *
 * (libFuzzer writes new inputs into the first directory: give it a scratch
 * one, not the seeds.)
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "lmtp.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* terminated - a NUL inside the buffer */
static int
terminated(const char *buf, size_t size)
{
    return memchr(buf, 0, size) != NULL;
}

/* printable - no control characters (bytes >= 0x80 are allowed) */
static int
printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* check_reply - "DDD D.D.D text", a refusal */
static void
check_reply(const char *r)
{
    CHECK(r != NULL);
    CHECK(r[0] == '4' || r[0] == '5');
    CHECK(isdigit((unsigned char)r[1]) && isdigit((unsigned char)r[2]) && r[3] == ' ');
    CHECK(r[4] == r[0] && r[5] == '.' && isdigit((unsigned char)r[6]));
    CHECK(printable(r));
}

static void
check_parse(const char *line)
{
    struct lmtp_cmd cmd;
    const char *reply = NULL;
    int rc = lmtp_parse(line, &cmd, &reply);
    CHECK(rc == 0 || rc == -1);
    CHECK(terminated(cmd.addr, sizeof(cmd.addr)));
    if (rc < 0) {
        check_reply(reply);
        return;
    }
    CHECK(cmd.verb != LMTP_UNKNOWN && cmd.verb != LMTP_HELO);
    CHECK(cmd.arg >= line && cmd.arg <= line + strlen(line));
    CHECK(cmd.size >= -1);
    if (cmd.verb == LMTP_MAIL || cmd.verb == LMTP_RCPT) {
        CHECK(printable(cmd.addr));
        CHECK(cmd.verb == LMTP_MAIL || cmd.addr[0] != 0);
        CHECK(cmd.addr[0] == 0 || lmtp_domain(cmd.addr)[0] != 0);
    } else {
        CHECK(cmd.addr[0] == 0 && cmd.size == -1);
    }
    if (cmd.verb == LMTP_DATA || cmd.verb == LMTP_RSET || cmd.verb == LMTP_QUIT)
        CHECK(cmd.arg[0] == 0);
}

static void
check_xforward(const char *arg)
{
    struct lmtp_xforward x, before;
    /* a recognisable earlier state, to see that a refusal leaves it alone */
    memset(&x, 0, sizeof(x));
    strcpy(x.addr, "192.0.2.1");
    strcpy(x.ident, "EARLIER");
    before = x;
    int rc = lmtp_xforward_parse(arg, &x);
    CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        CHECK(memcmp(&x, &before, sizeof(x)) == 0);
        return;
    }
    CHECK(terminated(x.addr, sizeof(x.addr)) && printable(x.addr));
    CHECK(terminated(x.name, sizeof(x.name)) && printable(x.name));
    CHECK(terminated(x.helo, sizeof(x.helo)) && printable(x.helo));
    CHECK(terminated(x.ident, sizeof(x.ident)) && printable(x.ident));
    CHECK(terminated(x.proto, sizeof(x.proto)) && printable(x.proto));
}

static void
check_authres(const char *value)
{
    struct authres a;
    int rc = authres_parse(value, &a);
    CHECK(rc == 0 || rc == -1);
    CHECK(terminated(a.authserv_id, sizeof(a.authserv_id)));
    if (rc < 0) {
        CHECK(a.authserv_id[0] == 0 && a.n == 0);
        return;
    }
    CHECK(a.authserv_id[0] != 0);
    CHECK(a.n >= 0 && a.n <= AUTHRES_MAX);
    for (int i = 0; i < a.n; i++) {
        const struct authres_result *r = &a.r[i];
        CHECK(terminated(r->method, sizeof(r->method)) && r->method[0]);
        CHECK(terminated(r->result, sizeof(r->result)) && r->result[0]);
        for (const char *p = r->method; *p; p++)
            CHECK(!isupper((unsigned char)*p));
        CHECK(terminated(r->smtp_auth, sizeof(r->smtp_auth)));
        CHECK(terminated(r->smtp_mailfrom, sizeof(r->smtp_mailfrom)));
        CHECK(terminated(r->header_d, sizeof(r->header_d)));
        CHECK(terminated(r->header_i, sizeof(r->header_i)));
        CHECK(terminated(r->header_from, sizeof(r->header_from)));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the session reads at most line_length_limit bytes a line; keep inputs near that */
    if (size > 16384)
        return 0;
    char *all = xmalloc(size + 1);
    memcpy(all, data, size);
    all[size] = 0; /* an embedded NUL ends the text, as in a C string from the session */

    const char *p = all;
    while (*p) {
        size_t len = strcspn(p, "\n");
        char *line = xstrndup(p, len);
        if (len > 0 && line[len - 1] == '\r')
            line[len - 1] = 0;
        check_parse(line);
        check_xforward(line);
        check_authres(line);
        /* what the session hands on: XFORWARD's argument */
        struct lmtp_cmd cmd;
        const char *reply;
        if (lmtp_parse(line, &cmd, &reply) == 0 && cmd.verb == LMTP_XFORWARD)
            check_xforward(cmd.arg);
        xfree(line);
        p += len;
        if (*p == '\n')
            p++;
    }
    check_authres(all);
    xfree(all);
    return 0;
}
