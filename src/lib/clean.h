/* clean.h - cut a mail's text down to what the person meant (pure) */
#ifndef SMSGATE_CLEAN_H
#define SMSGATE_CLEAN_H

struct clean_opts {
    const char *end_marker; /* everything from a line starting with it is cut; NULL: none */
    const char *disclaimer; /* everything from a line starting with it is cut; NULL: none */
};

/*
 * clean_body - cut the quoted thread ("On ... wrote:", "-----Original
 * Message-----", Outlook's "From: ... Sent: ..." block, lines quoted with
 * '>'), the signature (RFC 3676 "-- " and what follows, mobile taglines
 * such as "Sent from my iPhone" and "Get Outlook for iOS"), the configured
 * disclaimer and end marker; trim every line, collapse runs of blanks to
 * one space and runs of empty lines to one line break, trim the ends.
 * Fresh memory; "" when nothing is left.
 */
char *clean_body(const char *text, const struct clean_opts *o);

/* clean_subject - the subject without "Re:", "Fwd:", "AW:"... prefixes, blanks collapsed */
char *clean_subject(const char *subject);

#endif
