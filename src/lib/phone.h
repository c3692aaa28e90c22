/* phone.h - recipient local parts to E.164 numbers (libphonenumber) */
#ifndef SMSGATE_PHONE_H
#define SMSGATE_PHONE_H

#ifdef __cplusplus
extern "C" {
#endif

#define PHONE_E164_MAX 16  /* 15 digits and the terminator */
#define PHONE_LOCAL_MAX 32 /* longer local parts are no phone number */

enum phone_policy { PHONE_INTERNATIONAL = 0, PHONE_LOCAL = 1 };

enum phone_result {
    PHONE_OK = 0,
    PHONE_NOT_A_NUMBER,  /* 5.1.3: no phone number at all */
    PHONE_NEEDS_COUNTRY, /* national form and no default country to read it with */
    PHONE_INVALID,       /* well formed but not a valid number of its numbering plan */
    PHONE_NOT_MOBILE,    /* a valid number that cannot receive SMS (fixed line, premium...) */
    PHONE_NOT_ALLOWED,   /* the rule allows only numbers of its own country */
    PHONE_TEMPFAIL,      /* added: the library failed (out of memory); try again later, 4xx */
};

/*
 * phone_parse - "61412345678", "+61412345678", "0061412345678", national
 * "0412345678" (read with country, an ISO 3166 code, or NULL), with the
 * separators '.' and '-' anywhere, into E.164 digits without '+'. Only
 * numbers that can receive SMS pass (mobile, or fixed-line-or-mobile where
 * the plan cannot tell). With PHONE_LOCAL, only numbers of country pass.
 * *error_r gets a static reason a person can act on.
 *
 * Syntax, checked without the library: 1 to PHONE_LOCAL_MAX characters of
 * digits, '.', '-' and one leading '+', at least one digit; anything else is
 * PHONE_NOT_A_NUMBER.
 *
 * Which reading of the digits (separators removed, D below):
 *  - "+D" is international and read only so.
 *  - "00D" is international: "+D". With a country whose own international
 *    prefix the digits start with (0011 in AU, 00 in most of Europe), that
 *    reading ("the national reading" below) competes too.
 *  - "0D" (the trunk prefix) needs country; without one, PHONE_NEEDS_COUNTRY.
 *  - Otherwise D is read as "+D" (a country code without '+', as
 *    "61412345678") and, with country, as a national number of country
 *    (libphonenumber also recognises country's own code and trunk prefix
 *    there, so "61412345678" and "412345678" with AU both give +61412345678).
 * Of two readings the better wins: a valid number that can receive SMS beats
 * a valid number that cannot, which beats an invalid one. On a tie the
 * national reading wins: the rule's country is where its senders dial from,
 * and a sender who means another country can write '+' or 00. So with US,
 * "4794123456" is +1 479 412 3456 (Arkansas), not +47 94 12 34 56 (Norway),
 * and with AU, "0412345678" is always +61412345678.
 *
 * country is case-insensitive; NULL, "" or a code libphonenumber does not
 * know counts as no country (and then PHONE_LOCAL passes nothing). Local
 * means the number's region equals country: with GB, Guernsey and Isle of
 * Man mobiles (+44 7911 1..., +44 7624...) are not local, nor, with US, a
 * Canadian number.
 *
 * On PHONE_OK, e164 holds 7 to 15 digits (the numbering plans have valid
 * seven-digit mobiles, e.g. Tokelau +690 7290); on anything else it holds "".
 * error_r may be NULL; on PHONE_OK *error_r is "".
 * Safe to call from several threads at once.
 */
enum phone_result phone_parse(const char *local_part, const char *country, enum phone_policy policy,
                              char e164[PHONE_E164_MAX], const char **error_r);

/*
 * phone_check_country - added: whether country (case-insensitive) is a
 * region libphonenumber has a numbering plan for, so that a sender rule's
 * country can be refused when it is configured rather than when mail
 * arrives. 0, or -1 with a static reason.
 */
int phone_check_country(const char *country, const char **error_r);

#ifdef __cplusplus
}
#endif

#endif
