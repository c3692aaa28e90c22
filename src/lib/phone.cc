/*
 * phone.cc - recipient local parts to E.164 numbers, over libphonenumber
 *
 * The one C++ file in smsgate: phone.h's C interface over Google's
 * libphonenumber, which knows each country's numbering plan (which lengths
 * and ranges are valid, which ranges are mobile). What it promises:
 *
 *  - The syntax is checked here before the library sees anything, so a local
 *    part such as "postmaster" costs nothing, and the library never sees the
 *    letters it would read as a vanity number ("1800-FLOWERS").
 *  - A number passes only when the plan says it is valid and can receive SMS
 *    (mobile, or fixed-line-or-mobile where the plan cannot tell, as in the
 *    US), and, for a local-only rule, when it belongs to the rule's country.
 *  - The library never writes a line: its default logger writes to standard
 *    output (std::cout in 8.12), which in a daemon is a log file or, worse,
 *    a protocol stream.
 *  - No C++ exception reaches the C caller; one becomes PHONE_TEMPFAIL, since
 *    running out of memory says nothing about the number.
 *  - Reasons are static, ASCII, without CR or LF: the caller puts them into
 *    SMTP replies after "<rcpt>: ".
 *
 * The numbering plans are those compiled into the installed library (Debian
 * 12: 8.12.57, from late 2022). A range opened since then is refused as
 * invalid until the package is updated; that refusal is permanent for the
 * message, which is why the reason asks the sender to check the number.
 */
#include "config.h"

#include <string.h>

#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include "phone.h"

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace
{

/* util - the library's singleton, silenced before first use */
const PhoneNumberUtil &
util()
{
    /*
     * A function-local static is initialised exactly once even when threads
     * race to it (C++11), and every use goes through here, so no thread can
     * parse before the logger is replaced. SetLogger takes ownership: the
     * logger lives as long as the singleton, which is never destroyed. If
     * initialisation throws, the next call tries again.
     */
    static PhoneNumberUtil *const instance = [] {
        PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
        u->SetLogger(new NullLogger());
        return u;
    }();
    return *instance;
}

/* scan - the syntax, without the library: digits out, separators dropped */
enum phone_result
scan(const char *in, bool *plus, char digits[PHONE_LOCAL_MAX + 1], const char **why)
{
    size_t len = in ? strnlen(in, PHONE_LOCAL_MAX + 1) : 0;
    size_t n = 0;

    if (len == 0) {
        *why = "the local part is empty";
        return PHONE_NOT_A_NUMBER;
    }
    /* E.164 has 15 digits; twice that leaves room for 00 and separators */
    if (len > PHONE_LOCAL_MAX) {
        *why = "it is longer than 32 characters";
        return PHONE_NOT_A_NUMBER;
    }
    *plus = in[0] == '+';
    for (size_t i = *plus ? 1 : 0; i < len; i++) {
        if (in[i] >= '0' && in[i] <= '9')
            digits[n++] = in[i];
        else if (in[i] != '.' && in[i] != '-') {
            *why = "only digits, one leading '+' and the separators '.' and '-' may appear";
            return PHONE_NOT_A_NUMBER;
        }
    }
    digits[n] = 0;
    if (n == 0) {
        *why = "it has no digits";
        return PHONE_NOT_A_NUMBER;
    }
    return PHONE_OK;
}

/* known_region - an ISO 3166 code the library has a plan for, upper-cased */
bool
known_region(const char *country, std::string *region)
{
    if (country == NULL || strlen(country) != 2)
        return false;
    region->clear();
    for (int i = 0; i < 2; i++) {
        char c = country[i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return false;
        *region += c;
    }
    /* 0 for "ZZ" (unknown) and for codes without metadata */
    return util().GetCountryCodeForRegion(*region) != 0;
}

/* One way of reading the digits, and how good it is. */
struct reading {
    PhoneNumberUtil::ErrorType error = PhoneNumberUtil::NOT_A_NUMBER;
    PhoneNumber number;
    PhoneNumberUtil::PhoneNumberType type = PhoneNumberUtil::UNKNOWN;
    int rank = -1; /* -1 not tried, 0 unparsable, 1 invalid, 2 valid, 3 valid for SMS */
};

/* sms_capable - the types the gateway sends to */
bool
sms_capable(PhoneNumberUtil::PhoneNumberType type)
{
    /*
     * Pagers, VoIP and personal numbers may or may not take SMS, depending
     * on the carrier; the gateway charges per message and sends only where
     * delivery is the norm.
     */
    return type == PhoneNumberUtil::MOBILE || type == PhoneNumberUtil::FIXED_LINE_OR_MOBILE;
}

/* judge - rank a parsed reading */
void
judge(reading *r)
{
    const PhoneNumberUtil &u = util();
    if (r->error != PhoneNumberUtil::NO_PARSING_ERROR)
        r->rank = 0;
    else if (!u.IsValidNumber(r->number))
        r->rank = 1;
    else {
        r->type = u.GetNumberType(r->number);
        r->rank = sms_capable(r->type) ? 3 : 2;
    }
}

/* international - read digits as following a '+' */
void
international(const char *digits, reading *r)
{
    /* "ZZ": no default region, so only a country code can begin the number */
    r->error = util().Parse(std::string("+") + digits, "ZZ", &r->number);
    judge(r);
}

/* national - read digits as dialled in region (trunk prefix, its own IDD...) */
void
national(const char *digits, const std::string &region, reading *r)
{
    /* ...AndKeepRawInput records how the country code was found */
    r->error = util().ParseAndKeepRawInput(digits, region, &r->number);
    judge(r);
}

const char bad_country_code[] =
    "no country has the calling code the number begins with: write an international "
    "number with its country code first, as 61412345678 for Australia";

/* invalid_why - what is wrong with a number that is no number of its plan */
const char *
invalid_why(const reading &r)
{
    PhoneNumberUtil::ValidationResult v = PhoneNumberUtil::INVALID_LENGTH;

    switch (r.error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return bad_country_code;
    case PhoneNumberUtil::NOT_A_NUMBER:
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
        v = PhoneNumberUtil::TOO_SHORT;
        break;
    case PhoneNumberUtil::TOO_LONG_NSN:
        v = PhoneNumberUtil::TOO_LONG;
        break;
    case PhoneNumberUtil::NO_PARSING_ERROR:
        /*
         * Lengths of mobile numbers, not of all: Australia has valid numbers
         * of 5 to 12 digits, but its mobiles have 9, and only they matter.
         */
        v = util().IsPossibleNumberForTypeWithReason(r.number, PhoneNumberUtil::MOBILE);
        break;
    }
    switch (v) {
    case PhoneNumberUtil::TOO_SHORT:
        return "the number has too few digits for a mobile number of its country: check it";
    case PhoneNumberUtil::TOO_LONG:
        return "the number has too many digits for a mobile number of its country: check it";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
        return bad_country_code;
    default:
        return "the number is not in its country's numbering plan: check it";
    }
}

/* not_mobile_why - why a valid number gets no SMS */
const char *
not_mobile_why(PhoneNumberUtil::PhoneNumberType type)
{
    switch (type) {
    case PhoneNumberUtil::FIXED_LINE:
        return "the number is a fixed-line number and cannot receive SMS: use a mobile number";
    case PhoneNumberUtil::TOLL_FREE:
    case PhoneNumberUtil::PREMIUM_RATE:
    case PhoneNumberUtil::SHARED_COST:
    case PhoneNumberUtil::UAN:
        return "the number is a toll-free, premium-rate or shared-cost service number and "
               "cannot receive SMS: use a mobile number";
    case PhoneNumberUtil::PAGER:
        return "the number is a pager number and cannot receive SMS here: use a mobile number";
    case PhoneNumberUtil::VOIP:
        return "the number is a VoIP number and cannot receive SMS here: use a mobile number";
    default:
        return "the number is not a mobile number and cannot receive SMS: use a mobile number";
    }
}

/* parse - phone_parse without the exception barrier */
enum phone_result
parse(const char *in, const char *country, enum phone_policy policy, char e164[PHONE_E164_MAX],
      const char **why)
{
    char digits[PHONE_LOCAL_MAX + 1];
    bool plus = false;
    enum phone_result res = scan(in, &plus, digits, why);
    if (res != PHONE_OK)
        return res;

    std::string region;
    bool have_region = known_region(country, &region);
    reading intl, nat;

    if (plus) {
        international(digits, &intl);
    } else if (digits[0] == '0' && digits[1] == '0') {
        international(digits + 2, &intl);
        /*
         * A country whose international prefix begins with 00 but is longer
         * (0011 in Australia, 0014 and 0015 there for other carriers) would
         * be misread by stripping 00; the library knows each region's
         * prefix. Its reading counts only if it did find that prefix: else
         * it took the 0 for a trunk prefix, which 00 never is.
         */
        if (have_region) {
            national(digits, region, &nat);
            /*
             * Dropped by its rank, not by assigning a fresh reading: copying a
             * PhoneNumber makes UBSan's vptr check refer to protobuf's
             * MessageLite, and the link then needs -lprotobuf.
             */
            if (nat.rank < 1 ||
                nat.number.country_code_source() != PhoneNumber::FROM_NUMBER_WITH_IDD)
                nat.rank = -1;
        }
    } else if (digits[0] == '0') {
        /* a trunk prefix: no country code begins with 0 */
        if (!have_region) {
            *why = "a national number (leading 0) and the sender rule sets no country to read "
                   "it with: write it with its country code, as 61412345678 for 0412345678 "
                   "in Australia";
            return PHONE_NEEDS_COUNTRY;
        }
        national(digits, region, &nat);
    } else {
        international(digits, &intl);
        if (have_region)
            national(digits, region, &nat);
    }

    /* the better reading; on a tie the rule's own country (phone.h) */
    const reading &r = nat.rank >= intl.rank ? nat : intl;
    if (r.rank < 2) {
        *why = invalid_why(r);
        return PHONE_INVALID;
    }
    if (r.rank < 3) {
        *why = not_mobile_why(r.type);
        return PHONE_NOT_MOBILE;
    }
    if (policy == PHONE_LOCAL) {
        std::string of;
        util().GetRegionCodeForNumber(r.number, &of);
        if (!have_region) {
            *why = "the sender rule allows only numbers of its own country but names no "
                   "country the numbering plans know: ask the postmaster";
            return PHONE_NOT_ALLOWED;
        }
        if (of != region) {
            *why = "the sender rule allows only numbers of its own country";
            return PHONE_NOT_ALLOWED;
        }
    }

    std::string out;
    util().Format(r.number, PhoneNumberUtil::E164, &out);
    /* "+" and 1 to 15 digits; anything else would be a library bug */
    if (out.size() < 2 || out.size() > PHONE_E164_MAX || out[0] != '+' ||
        out.find_first_not_of("0123456789", 1) != std::string::npos) {
        *why = "the number has no E.164 form: check it";
        return PHONE_INVALID;
    }
    memcpy(e164, out.c_str() + 1, out.size()); /* with the terminator */
    *why = "";
    return PHONE_OK;
}

} // namespace

/* phone_parse - the C boundary: no exception passes, every path fills the outputs */
extern "C" enum phone_result
phone_parse(const char *local_part, const char *country, enum phone_policy policy,
            char e164[PHONE_E164_MAX], const char **error_r)
{
    const char *why = "";
    enum phone_result res;

    try {
        res = parse(local_part, country, policy, e164, &why);
    } catch (...) {
        why = "the phone number library failed (out of memory?): try again later";
        res = PHONE_TEMPFAIL;
    }
    if (res != PHONE_OK)
        e164[0] = 0;
    if (error_r)
        *error_r = why;
    return res;
}

/* phone_check_country - a sender rule's country, checked when configured */
extern "C" int
phone_check_country(const char *country, const char **error_r)
{
    const char *why = "";
    int ret = -1;

    try {
        std::string region;
        if (known_region(country, &region))
            ret = 0;
        else
            why = "not an ISO 3166 two-letter country code with a numbering plan, such as AU";
    } catch (...) {
        why = "the phone number library failed (out of memory?): try again later";
    }
    if (error_r)
        *error_r = why;
    return ret;
}
