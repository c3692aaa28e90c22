/* authres.h - Authentication-Results header fields (RFC 8601), parsed (pure) */
#ifndef SMSGATE_AUTHRES_H
#define SMSGATE_AUTHRES_H

#define AUTHRES_MAX 16 /* results kept per header field */

struct authres_result {
    char method[16];         /* "auth", "dkim", "spf", "dmarc", "iprev"... lower case */
    char result[16];         /* "pass", "fail", "none"... lower case */
    char smtp_auth[256];     /* auth: the SASL login */
    char smtp_mailfrom[256]; /* spf */
    char header_d[256];      /* dkim: signing domain */
    char header_i[256];      /* dkim: identity */
    char header_from[256];   /* dmarc: the From domain */
    char smtp_remote_ip[64]; /* the SMTP client's address (smsgate-milter writes it) */
};

struct authres {
    char authserv_id[256]; /* lower case */
    struct authres_result r[AUTHRES_MAX];
    int n;
};

/*
 * authres_parse - one header value: "mx.example.com; dkim=pass
 * header.d=example.com (comment); spf=pass smtp.mailfrom=a@example.com".
 * Comments are skipped, quoted values unquoted, unknown properties and
 * unreadable results ignored; a value too long for its field is kept as ""
 * rather than cut. 0, or -1 when there is no authserv-id (also when the
 * value starts with a result, as Microsoft 365 writes it).
 */
int authres_parse(const char *value, struct authres *a);

/*
 * authres_id_is - is the authserv-id of a header value (its first word,
 * after any comment) id, in any letter case? Also true for a value that
 * authres_parse() refuses: smsgate-milter removes every field that claims
 * to be its own, readable or not.
 */
int authres_id_is(const char *value, const char *id);

#endif
