/* phone.h - recipient local parts to E.164 numbers (libphonenumber) */
#ifndef SMSGATE_PHONE_H
#define SMSGATE_PHONE_H

#ifdef __cplusplus
extern "C" {
#endif

#define PHONE_E164_MAX 16 /* 15 digits and the terminator */

enum phone_policy { PHONE_INTERNATIONAL = 0, PHONE_LOCAL = 1 };

enum phone_result {
    PHONE_OK = 0,
    PHONE_NOT_A_NUMBER, /* 5.1.3: no phone number at all */
    PHONE_NEEDS_COUNTRY, /* national form and no default country to read it with */
    PHONE_INVALID,      /* well formed but not a valid number of its numbering plan */
    PHONE_NOT_MOBILE,   /* a valid number that cannot receive SMS (fixed line, premium...) */
    PHONE_NOT_ALLOWED,  /* the rule allows only numbers of its own country */
};

/*
 * phone_parse - "61412345678", "+61412345678", "0061412345678", national
 * "0412345678" (read with country, an ISO 3166 code, or NULL), with the
 * separators '.' and '-' anywhere, into E.164 digits without '+'. Only
 * numbers that can receive SMS pass (mobile, or fixed-line-or-mobile where
 * the plan cannot tell). With PHONE_LOCAL, only numbers of country pass.
 * *error_r gets a static reason a person can act on.
 */
enum phone_result phone_parse(const char *local_part, const char *country,
                              enum phone_policy policy, char e164[PHONE_E164_MAX],
                              const char **error_r);

#ifdef __cplusplus
}
#endif

#endif
