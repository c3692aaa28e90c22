/* number.h - destination numbers in E.164 form */
#ifndef SMSGATE_NUMBER_H
#define SMSGATE_NUMBER_H

#define NUMBER_E164_MAX 16 /* 15 digits and the terminator */

/*
 * number_e164 - "+61 412-345.678", "0061412345678" or "61412345678" into
 * the digits "61412345678". A national number (one leading 0) needs a
 * country and is refused here with a hint. 0, or -1 with a static reason.
 */
int number_e164(const char *in, char out[NUMBER_E164_MAX], const char **error_r);

#endif
