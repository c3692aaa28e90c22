/* lmtp.h - LMTP (RFC 2033) command lines, parsed (pure) */
#ifndef SMSGATE_LMTP_H
#define SMSGATE_LMTP_H

#define LMTP_ADDR_MAX 512 /* addr[] with its NUL: longer paths are refused (RFC 5321: 256) */

enum lmtp_verb {
    LMTP_UNKNOWN = 0,
    LMTP_LHLO,
    LMTP_MAIL,
    LMTP_RCPT,
    LMTP_DATA,
    LMTP_RSET,
    LMTP_NOOP,
    LMTP_QUIT,
    LMTP_VRFY,
    LMTP_XFORWARD,
    LMTP_HELO, /* HELO and EHLO are SMTP: an LMTP server refuses them */
};

struct lmtp_cmd {
    enum lmtp_verb verb;
    char addr[LMTP_ADDR_MAX]; /* MAIL/RCPT: the path without <>, "" for the null sender */
    long long size;           /* MAIL SIZE=, -1 when absent */
    const char *arg;          /* LHLO's domain, XFORWARD's attributes: points into the line */
};

/*
 * lmtp_parse - one command line (without CRLF). Returns 0, or -1 with the
 * whole reply to send in *reply_r (a static string with code and enhanced
 * status, e.g. "501 5.5.4 Syntax: MAIL FROM:<address>").
 */
int lmtp_parse(const char *line, struct lmtp_cmd *cmd, const char **reply_r);

/* What Postfix forwards with XFORWARD (lmtp_send_xforward_command = yes). */
struct lmtp_xforward {
    char addr[64]; /* the original client's IP address, "" unknown */
    char name[256];
    char helo[256];
    char ident[64]; /* Postfix's queue id */
    char proto[16];
};

/*
 * lmtp_xforward_parse - "ADDR=192.0.2.1 NAME=host IDENT=4Xyz..." into x,
 * decoding xtext (RFC 3461 "+HH"); [UNAVAILABLE] leaves a field empty.
 * Attributes not listed are ignored. 0, or -1 when malformed.
 */
int lmtp_xforward_parse(const char *arg, struct lmtp_xforward *x);

/* lmtp_domain - the domain of an address, "" for none (points into addr) */
const char *lmtp_domain(const char *addr);

#endif
