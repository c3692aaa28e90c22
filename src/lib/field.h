/* field.h - one named value out of a carrier's answer or callback (JSON or form-encoded) */
#ifndef SMSGATE_FIELD_H
#define SMSGATE_FIELD_H

#include <stddef.h>

/*
 * field_get - the value named path in text. Text that begins (after
 * blanks) with '{' or '[' is JSON, and path its members and array indexes
 * joined by dots ("messages.0.id"); any other text is form-encoded
 * (name=value pairs separated by '&' or line ends) and path a name.
 * A JSON string is given as it is, a number or boolean as JSON writes it;
 * NULL when the name is absent, null, an object or an array, or when the
 * JSON is malformed. Allocated (free with xfree).
 */
char *field_get(const char *text, const char *path);

/* field_is_json - does text begin (after blanks) like JSON ('{' or '[')? */
int field_is_json(const char *text);

/* field_form_decode - '+' and %XX of a form-encoded value, in place; the decoded length */
size_t field_form_decode(char *s);

/* field_in_list - is value one of a list separated by commas or blanks (ASCII case ignored)? */
int field_in_list(const char *value, const char *list);

#endif
