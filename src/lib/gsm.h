/* gsm.h - SMS text: GSM 03.38 or UCS-2, parts, transliteration (pure) */
#ifndef SMSGATE_GSM_H
#define SMSGATE_GSM_H

enum sms_coding { SMS_GSM7 = 0, SMS_UCS2 = 1 };

struct sms_encoded {
    char *text; /* UTF-8 of exactly what is sent (after transliteration, limit) */
    enum sms_coding coding;
    int units;      /* GSM-7 septets (escaped characters count two) or UTF-16 units */
    int parts;      /* 1 for up to 160 septets / 70 units, else parts of 153 / 67 */
    int truncated;  /* the part limit cut the text */
    int full_parts; /* parts the whole text would need (equals parts unless cut) */
};

/*
 * sms_encode - choose GSM-7 when every character has a GSM 03.38 code
 * (basic or extension table), else UCS-2; count units and parts exactly
 * (no part ends inside an escape sequence or a surrogate pair). With
 * translit, replace what Outlook inserts (curly quotes, dashes, ellipsis,
 * non-breaking space...) by GSM equivalents, but only when that makes the
 * text GSM-7 in no more parts; a text that needs UCS-2 anyway is sent as
 * written. limit is the most parts allowed (0 or less: none); past it the
 * text is cut at a character boundary where most of it survives (a cut
 * that drops the only non-GSM characters makes the rest GSM-7), with no
 * ellipsis added, or, with refuse_over, nothing is cut and 1 is returned
 * (r->parts and r->full_parts say how many parts it needed). Invalid UTF-8
 * counts as U+FFFD, one per maximal ill-formed subsequence, and forces
 * UCS-2. An empty text (or one that transliterates to nothing) has 0 units
 * and 0 parts: callers refuse empty texts before. r->text is always fresh
 * memory, valid UTF-8, described exactly by the other fields; free it with
 * sms_encoded_free, which is safe on a zeroed struct and twice.
 * Returns 0, or 1 when refused over the limit.
 */
int sms_encode(const char *utf8, int translit, int limit, int refuse_over, struct sms_encoded *r);
void sms_encoded_free(struct sms_encoded *r);

/*
 * gsm_translit - the transliteration alone, in fresh memory: each mapped
 * character replaced whatever the rest of the text; invalid UTF-8 becomes
 * U+FFFD as in sms_encode
 */
char *gsm_translit(const char *utf8);

#endif
