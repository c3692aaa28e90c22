/* clean.h - cut a mail's text down to what the person meant (pure) */
#ifndef SMSGATE_CLEAN_H
#define SMSGATE_CLEAN_H

struct clean_opts {
    /*
     * end_marker: everything from its first occurrence on is cut, even in
     * the middle of a line ("ETA 11:30 ## ignore below" gives "ETA 11:30");
     * matched as written, blanks collapsed; an occurrence in a '>'-quoted
     * line does not count. NULL or blank: none.
     */
    const char *end_marker;
    /*
     * disclaimer: the first line that contains it, in any ASCII case, is
     * cut with everything below. NULL or blank: none.
     */
    const char *disclaimer;
};

/*
 * clean_body - the text an author meant, as a careful person would copy
 * it from the mail into a text message. text is UTF-8 with lines ended by
 * '\n' (CRLF, CR, U+2028 and U+2029 are taken as line ends too).
 *
 * Cut: the quoted thread from its first line (an attribution "On <date>
 * ... wrote:", also wrapped over two lines and in German, French, Dutch,
 * Spanish, Italian, Portuguese and Scandinavian forms; "-----Original
 * Message-----" and its translations; forward banners; Outlook's "From:"
 * line followed within four lines by "Sent:"/"Date:" with a timestamp);
 * every line quoted with '>', wherever it is; the signature from a "-- "
 * (or "--") line; a mobile tagline ("Sent from my iPhone", "Get Outlook
 * for iOS"...) among the last three lines; a sign-off ("Regards,",
 * "Thanks", "Mit freundlichen Grüßen"...) followed only by lines that look
 * like a signature, never when it would leave nothing but a greeting; a
 * paragraph worded as a confidentiality disclaimer, never the first line;
 * the configured end marker and disclaimer; Outlook's "[cid:...]" image
 * stand-ins and a rule ("_____") left at the end.
 *
 * A forward with nothing of the author's above it (or only "FYI", a
 * tagline or a signature) gives the forwarded mail's text, cleaned the same
 * way: someone who forwards a mail to an SMS address means that mail. A
 * reply with nothing above the quote gives "". An attribution with nothing
 * above it that introduces '>' lines is an interleaved reply: the answers
 * between the quotes are kept.
 *
 * Layout: blanks (tab, U+00A0 and the other Unicode spaces) become one
 * space, lines are trimmed, and empty lines are dropped: paragraphs are
 * separated by a single '\n' (a phone shows it as a new line; an empty line
 * would only cost a character). Invisible characters (controls, soft
 * hyphen, zero-width space, direction marks and overrides, BOM) are
 * dropped; a byte that is not UTF-8 becomes '?'.
 *
 * The result is fresh memory, valid UTF-8, never longer than text, "" when
 * nothing is left; time is linear in the input. text NULL is "", o NULL
 * means no markers.
 */
char *clean_body(const char *text, const struct clean_opts *o);

/*
 * clean_subject - the subject without any number of reply and forward
 * prefixes ("Re:", "RE :", "Re[2]:", "Fwd:", "FW:", "AW:", "WG:", "SV:",
 * "VS:", "TR:", "RV:", "Antw:", "回复："...), blanks collapsed and trimmed,
 * line breaks taken as blanks. Fresh memory; subject NULL is "".
 */
char *clean_subject(const char *subject);

#endif
