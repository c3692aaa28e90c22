/* sender.h - sender rules: who may send as which account, and how */
#ifndef SMSGATE_SENDER_H
#define SMSGATE_SENDER_H

/* authentication methods, a bit each */
enum {
    SENDER_AUTH_SASL = 1 << 0,
    SENDER_AUTH_NETWORK = 1 << 1,
    SENDER_AUTH_DKIM = 1 << 2,
    SENDER_AUTH_SPF = 1 << 3,
    SENDER_AUTH_DMARC = 1 << 4,
    SENDER_AUTH_TOKEN = 1 << 5,
    SENDER_AUTH_ADDRESS = 1 << 6, /* address-only trust: must be asked for */
};

/*
 * The settings of one rule, as text in the form the database and the
 * command line use. sender_set() validates one key; sender_validate()
 * the combination.
 */
struct sender_rule {
    char *pattern; /* "alice@example.com" or "@example.com", lower case */
    char *auth, *networks, *token, *country, *numbers;
    int limit;
    char *over_limit, *content;
    int subject_sender_id;
    char *sender_id, *notify;
    int replies, history, translit;
    char *end_marker, *disclaimer;
};

/* sender_keys - the keys sender_set() knows, NULL-terminated, in order */
extern const char *const sender_keys[];

/* sender_rule_init - every setting at its default */
void sender_rule_init(struct sender_rule *r);
void sender_rule_free(struct sender_rule *r);

/*
 * sender_pattern - normalise an address or "@domain" pattern (lower case)
 * into *pattern_r (allocated). Refuses malformed patterns and whole public
 * webmail domains. 0, or -1 with a reason in *error_r (allocated).
 */
int sender_pattern(const char *in, char **pattern_r, char **error_r);

/* sender_set - set key=value; 0, or -1 with a reason (allocated) */
int sender_set(struct sender_rule *r, const char *key, const char *value, char **error_r);
/* sender_get - a setting as text ("on"/"off" for switches); "" when unset */
const char *sender_get(const struct sender_rule *r, const char *key, char *buf, int size);

/* sender_cidr_valid - an address or a CIDR block, IPv4 or IPv6 */
int sender_cidr_valid(const char *block);

/* sender_key_is_switch - an on/off setting */
int sender_key_is_switch(const char *key);

/* sender_validate - settings that only make sense together */
int sender_validate(const struct sender_rule *r, char **error_r);

/* sender_auth_parse - "sasl,dkim" into bits; -1 for an unknown method */
int sender_auth_parse(const char *list, int *bits_r, char **error_r);

#endif
