/* mime.h - a mail message to the text a mail client would show (libetpan) */
#ifndef SMSGATE_MIME_H
#define SMSGATE_MIME_H

#include <stddef.h>

struct mime_header {
    char *name;  /* as written, e.g. "Authentication-Results" */
    char *value; /* unfolded, RFC 2047 decoded to UTF-8; controls other than tab become blanks */
};

struct mime_text {
    char *subject; /* UTF-8, NULL if none */
    char *body;    /* UTF-8 as shown: plain preferred, else HTML laid out as text; NULL if none */
    char *message_id;            /* without the angle brackets, NULL if none */
    struct mime_header *headers; /* top-level header fields, in order from the top */
    int nheaders;
};

struct mime_limits {
    int max_depth; /* nesting of multiparts and message/rfc822 (e.g. 20; at most 64) */
};

/*
 * mime_parse - parse data (a whole RFC 5322 message with CRLF or LF line
 * ends), pick the text (multipart/alternative: text/plain preferred, else
 * text/html through html.c; nested multiparts; attachments, calendar parts
 * and S/MIME signatures ignored), decode quoted-printable and base64,
 * convert any charset to UTF-8 (undecodable bytes become U+FFFD, never a
 * crash), join format=flowed (RFC 3676). A forwarded message/rfc822 comes
 * after the outer text under an Outlook-style "-----Original Message-----"
 * block; when there is no outer text, the forwarded text alone is the body
 * (a forward's header block at the very top, ours or an inline forward's,
 * is cut). Signatures and quotes are left for clean.c. The body has one
 * '\n' per line break, no leading empty lines and no trailing blanks; it is
 * NULL when there is no text at all. Returns 0, or -1 with a reason in
 * *error_r (allocated) for what no mail client could show (over max_depth).
 * lim may be NULL (max_depth 20). On -1, r holds nothing to free.
 */
int mime_parse(const char *data, size_t len, const struct mime_limits *lim, struct mime_text *r,
               char **error_r);
void mime_text_free(struct mime_text *r);

#endif
