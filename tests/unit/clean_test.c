/*
 * clean_test.c - mails as people send them, and the SMS a careful person
 * would cut from each
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clean.h"
#include "tap.h"
#include "xalloc.h"

static const struct {
    const char *name;
    const char *in;
    const char *end_marker; /* NULL: none */
    const char *disclaimer; /* NULL: none */
    const char *want;
} cases[] = {
    /* --- plain text wrapped by the client at 72 to 78 columns ------------ */
    {"Gmail plain text wrapped at 72 columns is joined",
     "Yes, 2pm works. I'll bring the revised drawings and the variation for the\n"
     "extra downpipes.\n",
     NULL, NULL,
     "Yes, 2pm works. I'll bring the revised drawings and the variation for the extra "
     "downpipes."},
    {"wrapped lines join; a finished sentence, a short line and a list item do not",
     "Smith St between Victoria Rd and Evans St will be closed to traffic on\n"
     "Thursday 6 June from 7am to 3pm. Deliveries must use the Evans St gate.\n"
     "Inner West Council\n"
     "Bring these three things to the induction on Monday morning, please\n"
     "- your white card\n",
     NULL, NULL,
     "Smith St between Victoria Rd and Evans St will be closed to traffic on Thursday 6 June "
     "from 7am to 3pm. Deliveries must use the Evans St gate.\nInner West Council\nBring these "
     "three things to the induction on Monday morning, please\n- your white card"},
    /* --- Outlook --------------------------------------------------------- */
    {"Outlook desktop: signature, disclaimer, From/Sent block",
     "Hi Bob,\r\n"
     "\r\n"
     "The truck will be at gate 3 at 7am tomorrow.\r\n"
     "\r\n"
     "Regards,\r\n"
     "Jane Smith\r\n"
     "Operations Manager | Example Logistics\r\n"
     "T +61 2 9876 5432 | M 0412 345 678\r\n"
     "www.example.com.au\r\n"
     "[cid:image001.png@01DA6E4F.7C2E3B70]\r\n"
     "\r\n"
     "This email and any attachments are confidential and may be privileged. If you are "
     "not the intended recipient, please notify the sender and delete it.\r\n"
     "\r\n"
     "From: Bob Jones <bob@example.com>\r\n"
     "Sent: Monday, 4 March 2024 3:12 PM\r\n"
     "To: Jane Smith <jane@example.com>\r\n"
     "Subject: Truck tomorrow?\r\n"
     "\r\n"
     "Hi Jane, when does the truck arrive?\r\n",
     NULL, NULL, "Hi Bob,\nThe truck will be at gate 3 at 7am tomorrow."},
    {"Outlook on the web: underscore rule above the headers",
     "Can you move the 2pm to 3pm?\n"
     "\n"
     "________________________________\n"
     "From: Priya Nair <priya@example.com>\n"
     "Sent: Tuesday, March 5, 2024 9:12:44 AM\n"
     "To: Tom Lee <tom@example.com>\n"
     "Subject: Site meeting\n"
     "\n"
     "Meeting is at 2pm in the site office.\n",
     NULL, NULL, "Can you move the 2pm to 3pm?"},
    {"Outlook: -----Original Message-----",
     "Approved, go ahead.\n"
     "\n"
     "-----Original Message-----\n"
     "From: Finance <finance@example.com>\n"
     "Sent: Wednesday, 6 March 2024 11:02 AM\n"
     "Subject: PO 4471\n"
     "\n"
     "Please approve PO 4471.\n",
     NULL, NULL, "Approved, go ahead."},
    {"Outlook German: Von/Gesendet and Ursprüngliche Nachricht",
     "Ja, passt.\n"
     "\n"
     "-----Ursprüngliche Nachricht-----\n"
     "Von: Anna Weber <anna@example.de>\n"
     "Gesendet: Dienstag, 5. März 2024 09:12\n"
     "An: Max <max@example.de>\n"
     "Betreff: Termin\n"
     "\n"
     "Passt dir 10 Uhr?\n",
     NULL, NULL, "Ja, passt."},
    {"Outlook French block: De : / Envoyé :",
     "D'accord pour jeudi.\n"
     "\n"
     "De : Paul Martin <paul@example.fr>\n"
     "Envoyé : mardi 5 mars 2024 09:12\n"
     "À : Luc <luc@example.fr>\n"
     "Objet : Réunion\n"
     "\n"
     "Jeudi 10h ?\n",
     NULL, NULL, "D'accord pour jeudi."},
    {"Get Outlook for iOS, with its link glued on",
     "On my way, 10 minutes.\n"
     "\n"
     "Get Outlook for iOS<https://aka.ms/o0ukef>\n"
     "________________________________\n"
     "From: Dispatch <dispatch@example.com>\n"
     "Sent: Thursday, March 7, 2024 8:01:13 AM\n"
     "To: Driver 12 <d12@example.com>\n"
     "Subject: Pickup\n"
     "\n"
     "Pickup at 14 Smith St.\n",
     NULL, NULL, "On my way, 10 minutes."},
    {"Get Outlook for Android", "Door code is 2580#\n\nGet Outlook for Android\n", NULL, NULL,
     "Door code is 2580#"},

    /* --- Gmail, Apple, Thunderbird ---------------------------------------- */
    {"Gmail: On ... wrote: wrapped over two lines",
     "Sounds good, see you at the depot.\n"
     "\n"
     "On Tue, 5 Mar 2024 at 09:12, Jane Smith <jane.smith@example.com>\n"
     "wrote:\n"
     "\n"
     "> Truck arrives at 7am.\n"
     ">\n",
     NULL, NULL, "Sounds good, see you at the depot."},
    {"Gmail: On ... wrote: on one line, no '>' (from HTML)",
     "Yes please.\n"
     "\n"
     "On Mon, Mar 4, 2024 at 3:12 PM Bob Jones <bob@example.com> wrote:\n"
     "Do you want the 6am slot?\n",
     NULL, NULL, "Yes please."},
    {"iPhone: tagline, then Apple's attribution",
     "Running 15 min late, sorry\n"
     "\n"
     "Sent from my iPhone\n"
     "\n"
     "On 5 Mar 2024, at 09:12, Jane Smith <jane@example.com> wrote:\n"
     "\n"
     "> Where are you?\n",
     NULL, NULL, "Running 15 min late, sorry"},
    {"iPad tagline alone at the end", "Call me when you land.\n\nSent from my iPad", NULL, NULL,
     "Call me when you land."},
    {"Samsung tagline with a trailing full stop",
     "Gate is open\n\nSent from my Samsung Galaxy smartphone.\n", NULL, NULL, "Gate is open"},
    {"German iPhone tagline", "Bin gleich da.\n\nVon meinem iPhone gesendet\n", NULL, NULL,
     "Bin gleich da."},
    {"Thunderbird: RFC 3676 signature \"-- \"",
     "Server room is locked, key is at reception.\n"
     "\n"
     "-- \n"
     "Tom Lee\n"
     "IT Support, ext. 4410\n",
     NULL, NULL, "Server room is locked, key is at reception."},
    {"signature separator with its space stripped: \"--\"", "Back at 3.\n--\nSam\n", NULL, NULL,
     "Back at 3."},
    {"Thunderbird forward with a signature above it: the forward is the message",
     "\n"
     "-- \n"
     "Tom Lee\n"
     "\n"
     "-------- Forwarded Message --------\n"
     "Subject: \tPower outage\n"
     "Date: \tTue, 5 Mar 2024 09:12:44 +1100\n"
     "From: \tFacilities <facilities@example.com>\n"
     "To: \tAll staff <staff@example.com>\n"
     "\n"
     "Power will be off on level 3 from 6pm to 8pm tonight.\n",
     NULL, NULL, "Power will be off on level 3 from 6pm to 8pm tonight."},

    /* --- quotes -------------------------------------------------------------- */
    {"inline '>' quotes with answers between them",
     "On Tue, 5 Mar 2024 at 09:12, Jane Smith <jane@example.com> wrote:\n"
     "> Can you pick up the keys?\n"
     "\n"
     "Yes, at 4pm.\n"
     "\n"
     "> And the parcel?\n"
     "\n"
     "No, Bob has it.\n"
     "\n"
     "-- \n"
     "Tom\n",
     NULL, NULL, "Yes, at 4pm.\nNo, Bob has it."},
    {"top-posted reply over '>' quotes without attribution",
     "Confirmed.\n"
     "> Please confirm the booking for Friday.\n"
     "> Thanks\n",
     NULL, NULL, "Confirmed."},
    {"German attribution (Gmail)",
     "Ja, 10 Uhr passt.\n"
     "\n"
     "Am Di., 5. März 2024 um 09:12 Uhr schrieb Anna Weber <anna@example.de>:\n"
     "\n"
     "> Passt dir 10 Uhr?\n",
     NULL, NULL, "Ja, 10 Uhr passt."},
    {"German attribution wrapped (Apple Mail)",
     "Erledigt.\n"
     "\n"
     "Am 05.03.2024 um 09:12 schrieb Anna Weber\n"
     "<anna.weber@example.de>:\n"
     "Kannst du das Tor abschließen?\n",
     NULL, NULL, "Erledigt."},
    {"French attribution, with a no-break space before the colon",
     "Merci, c'est noté.\n"
     "\n"
     "Le mar. 5 mars 2024 à 09:12, Paul Martin <paul@example.fr> a écrit\xc2\xa0:\n"
     "\n"
     "> La livraison est prévue jeudi.\n",
     NULL, NULL, "Merci, c'est noté."},
    {"Dutch attribution",
     "Prima, tot dan.\n\nOp di 5 mrt 2024 om 09:12 schreef Jan de Vries <jan@example.nl>:\n"
     "> Morgen om 8 uur?\n",
     NULL, NULL, "Prima, tot dan."},
    {"Spanish attribution",
     "Perfecto.\n\nEl mar, 5 mar 2024 a las 9:12, Ana López (<ana@example.es>) escribió:\n"
     "> ¿Nos vemos a las 10?\n",
     NULL, NULL, "Perfecto."},
    {"prose that starts \"On\" and ends \"wrote:\" has no time: kept",
     "On 4 March the client wrote:\n"
     "please deliver to the back door\n",
     NULL, NULL, "On 4 March the client wrote:\nplease deliver to the back door"},

    /* --- sign-offs --------------------------------------------------------- */
    {"sign-off with name, title and phone number",
     "Hi team,\n"
     "\n"
     "The lift on level 2 is out of order until Friday. Please use the stairs.\n"
     "\n"
     "Kind regards,\n"
     "\n"
     "Michael O'Brien\n"
     "Facilities Coordinator\n"
     "Mobile: 0412 345 678\n",
     NULL, NULL,
     "Hi team,\nThe lift on level 2 is out of order until Friday. Please use the stairs."},
    {"Cheers + name", "Pizza is here, come to the kitchen\n\nCheers,\nDave\n", NULL, NULL,
     "Pizza is here, come to the kitchen"},
    {"German sign-off", "Bitte um Rückruf.\n\nMit freundlichen Grüßen\nAnna Weber\n", NULL, NULL,
     "Bitte um Rückruf."},
    {"a message that is only \"Thanks,\"", "Thanks,\n", NULL, NULL, "Thanks,"},
    {"\"Thanks!\" and a name is the whole message", "Thanks!\nJohn", NULL, NULL, "Thanks!\nJohn"},
    {"a greeting is no content: \"Hi Bob, Thanks, Sue\" stays", "Hi Bob,\n\nThanks,\nSue\n", NULL,
     NULL, "Hi Bob,\nThanks,\nSue"},
    {"closing at the very end with nothing after it stays",
     "Could you send the invoice again?\n\nThanks", NULL, NULL,
     "Could you send the invoice again?\nThanks"},
    {"a P.S. after the name is content: nothing cut",
     "See you Monday.\n\nThanks,\nJohn\n\nP.S. The gate code changed to 4411.\n", NULL, NULL,
     "See you Monday.\nThanks,\nJohn\nP.S. The gate code changed to 4411."},
    {"a sentence after \"Thanks,\" is content: nothing cut",
     "Got the keys.\nThanks,\nI'll drop them back at the office by 5.\n", NULL, NULL,
     "Got the keys.\nThanks,\nI'll drop them back at the office by 5."},

    /* --- things that look like cuts but are not ---------------------------- */
    {"\"From:\" mid-sentence and at a line start without Sent:",
     "Please collect the parcel from: reception, level 1.\n"
     "From: 9am to 5pm the loading dock is closed.\n",
     NULL, NULL,
     "Please collect the parcel from: reception, level 1.\n"
     "From: 9am to 5pm the loading dock is closed."},
    {"a dispatch note written as From:/Date: lines is no header block",
     "From: Sydney depot\n"
     "Date: Tuesday\n"
     "To: Melbourne\n"
     "Pallets: 3\n",
     NULL, NULL, "From: Sydney depot\nDate: Tuesday\nTo: Melbourne\nPallets: 3"},
    {"a rule between parts of the message stays; one at the end goes",
     "Lunch menu\n-----\nPizza or salad?\n\n-----\n", NULL, NULL,
     "Lunch menu\n-----\nPizza or salad?"},
    {"Outlook's inline image stand-in is not text",
     "See the damage:\n[cid:image002.jpg@01DA6E4F.7C2E3B70]\nCan you send someone?\n", NULL, NULL,
     "See the damage:\nCan you send someone?"},
    {"the word \"confidential\" in the message itself",
     "Keep the new prices confidential until Monday.\n", NULL, NULL,
     "Keep the new prices confidential until Monday."},

    /* --- configured markers ---------------------------------------------- */
    {"end marker \"##\" mid-line", "Truck 7 is delayed, ETA 11:30 ## please ignore below\nJohn\n",
     "##", NULL, "Truck 7 is delayed, ETA 11:30"},
    {"end marker on its own line", "Meet at gate 2\n##\nBlah blah\n", "##", NULL, "Meet at gate 2"},
    {"end marker inside a quote does not end the answer",
     "> remember to finish with ##\nOK, will do\n", "##", NULL, "OK, will do"},
    {"disclaimer marker configured, any case, mid-line",
     "Delivery confirmed for Friday.\n"
     "\n"
     "IMPORTANT: the information in this email is for the addressee only.\n"
     "Example Pty Ltd ABN 12 345 678 901\n",
     NULL, "The information in this email", "Delivery confirmed for Friday."},
    {"built-in disclaimer wording, glued to the text without an empty line",
     "Call me when you arrive.\n"
     "This message is intended only for the named recipient and may contain\n"
     "confidential information.\n",
     NULL, NULL, "Call me when you arrive."},

    /* --- forwards ---------------------------------------------------------- */
    {"Gmail forward with nothing above it keeps the forwarded text",
     "\n"
     "\n"
     "---------- Forwarded message ---------\n"
     "From: Building Manager <bm@example.com>\n"
     "Date: Tue, 5 Mar 2024 at 09:12\n"
     "Subject: Fire drill\n"
     "To: <tenants@example.com>\n"
     "\n"
     "Fire drill today at 2pm. Please leave by the north stairs.\n"
     "\n"
     "Regards,\n"
     "Building Management\n",
     NULL, NULL, "Fire drill today at 2pm. Please leave by the north stairs."},
    {"forward with only FYI above keeps the forwarded text",
     "FYI\n"
     "\n"
     "---------- Forwarded message ---------\n"
     "From: IT <it@example.com>\n"
     "Date: Tue, 5 Mar 2024 at 09:12\n"
     "Subject: Outage\n"
     "To: <all@example.com>\n"
     "\n"
     "Email will be down from 10pm to 11pm.\n",
     NULL, NULL, "Email will be down from 10pm to 11pm."},
    {"forward with a note above sends the note",
     "Can someone cover this shift?\n"
     "\n"
     "---------- Forwarded message ---------\n"
     "From: Roster <roster@example.com>\n"
     "Date: Tue, 5 Mar 2024 at 09:12\n"
     "Subject: Saturday\n"
     "\n"
     "Saturday 6am-2pm is unfilled.\n",
     NULL, NULL, "Can someone cover this shift?"},
    {"iPhone forward, quoted, with only the tagline above",
     "\n"
     "\n"
     "Sent from my iPhone\n"
     "\n"
     "Begin forwarded message:\n"
     "\n"
     "> From: Jane Smith <jane@example.com>\n"
     "> Date: 5 March 2024 at 09:12:32 AEDT\n"
     "> To: Bob <bob@example.com>\n"
     "> Subject: Gate code\n"
     "> \n"
     "> The gate code is 4411.\n",
     NULL, NULL, "The gate code is 4411."},
    {"Apple Mail forward, not quoted, with nothing above",
     "Begin forwarded message:\n"
     "\n"
     "From: Jane Smith <jane@example.com>\n"
     "Subject: Parking\n"
     "Date: 5 March 2024 at 09:12:32 AEDT\n"
     "To: Bob <bob@example.com>\n"
     "\n"
     "Visitor parking is closed tomorrow.\n",
     NULL, NULL, "Visitor parking is closed tomorrow."},
    {"Outlook header turned bold by an HTML-to-text step",
     "Done.\n"
     "\n"
     "*From:* Jane Smith <jane@example.com>\n"
     "*Sent:* Tuesday, 5 March 2024 9:12 AM\n"
     "*To:* Ops\n"
     "*Subject:* Check the pumps\n",
     NULL, NULL, "Done."},
    {"Outlook forward (FW:) with nothing above",
     "\n"
     "________________________________\n"
     "From: Reception <reception@example.com>\n"
     "Sent: Tuesday, 5 March 2024 9:12 AM\n"
     "To: Sam <sam@example.com>\n"
     "Subject: FW: Visitor\n"
     "\n"
     "Your visitor Mr Chen is waiting in the lobby.\n",
     NULL, NULL, "Your visitor Mr Chen is waiting in the lobby."},
    {"a reply with nothing above the quote says nothing",
     "\n\nOn Tue, 5 Mar 2024 at 09:12, Jane <jane@example.com> wrote:\nCan you call me?\n", NULL,
     NULL, ""},

    /* --- blanks and invisible characters ------------------------------------ */
    {"tabs, runs of spaces, no-break spaces, empty lines",
     "  Meeting\t\tmoved\xc2\xa0\xc2\xa0to   room 4.  \n"
     "\n"
     "\n"
     "\n"
     "\t Bring the   plans. \xe2\x80\x83\n"
     "\n",
     NULL, NULL, "Meeting moved to room 4.\nBring the plans."},
    {"paragraphs become single line breaks", "a\n\n\nb\n\nc\nd", NULL, NULL, "a\nb\nc\nd"},
    {"zero-width space, soft hyphen, BOM and bidi override are not shown",
     "\xef\xbb\xbfPick\xe2\x80\x8bup at de\xc2\xadpot \xe2\x80\xae"
     "A\xe2\x80\xac",
     NULL, NULL, "Pickup at depot A"},
    {"CR line ends and U+2028", "one\rtwo\xe2\x80\xa8three", NULL, NULL, "one\ntwo\nthree"},
    {"a byte that is not UTF-8 becomes '?'", "caf\xe9 at 9", NULL, NULL, "caf? at 9"},
    {"empty input", "", NULL, NULL, ""},
    {"only blanks", " \t\n\xc2\xa0\n ", NULL, NULL, ""},
    {"emoji with ZWJ kept", "Great job \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", NULL, NULL,
     "Great job \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb"},
};

static const struct {
    const char *in, *want;
} subjects[] = {
    {"Re: Truck tomorrow?", "Truck tomorrow?"},
    {"RE: FW: Re: Fwd: Site meeting", "Site meeting"},
    {"AW: WG: Termin", "Termin"},
    {"SV: VS: Möte", "Möte"},
    {"TR: RE : Réunion", "Réunion"},
    {"RV: Reunión", "Reunión"},
    {"Re[2]: Invoice 4471", "Invoice 4471"},
    {"Re:Re:no spaces", "no spaces"},
    {"  Fw:   Gate\t\tcode  ", "Gate code"},
    {"Re: \xc2\xa0 Lunch \xc2\xa0", "Lunch"},
    {"Reply needed: roster", "Reply needed: roster"},
    {"Review: Q3 numbers", "Review: Q3 numbers"},
    {"Meeting Re: budget", "Meeting Re: budget"},
    {"Re:", ""},
    {"", ""},
    {"\xe5\x9b\x9e\xe5\xa4\x8d\xef\xbc\x9a\xe4\xbc\x9a\xe8\xae\xae", "\xe4\xbc\x9a\xe8\xae\xae"},
    {"Folded\r\n subject", "Folded subject"},
};

/* test_cases - every row of the table, and no output longer than its input */
static void
test_cases(void)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct clean_opts o = {cases[i].end_marker, cases[i].disclaimer};
        char *got = clean_body(cases[i].in, &o);
        is_str(got, cases[i].want, "body: %s", cases[i].name);
        ok(strlen(got) <= strlen(cases[i].in), "body: %s: no longer than the input", cases[i].name);
        xfree(got);
    }
    for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
        char *got = clean_subject(subjects[i].in);
        is_str(got, subjects[i].want, "subject: \"%s\"", vis(subjects[i].in));
        xfree(got);
    }
}

/* test_null - no options, NULL strings, empty markers */
static void
test_null(void)
{
    struct clean_opts empty = {"", " "};
    char *s;

    s = clean_body("Hello\n-- \nme", NULL);
    is_str(s, "Hello", "NULL options");
    xfree(s);
    s = clean_body("a ## b", &empty);
    is_str(s, "a ## b", "empty markers cut nothing");
    xfree(s);
    s = clean_body(NULL, NULL);
    is_str(s, "", "NULL text");
    xfree(s);
    s = clean_subject(NULL);
    is_str(s, "", "NULL subject");
    xfree(s);
}

/* test_big - 10 MB of awkward text is handled in linear time */
static void
test_big(void)
{
    static const char *const rows[] = {
        "word ",           /* one enormous line */
        "line\n",          /* millions of lines */
        "> quoted\n",      /* all quoted */
        "\n",              /* all empty */
        "confidential x\n" /* every line wakes the disclaimer rule */
    };
    struct clean_opts o = {"##", "nowhere to be found"};
    size_t n = 10u << 20, i, k, len;
    char *in = xmalloc(n + 1), *got;
    clock_t t0;

    for (k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        len = strlen(rows[k]);
        for (i = 0; i + len <= n; i += len)
            memcpy(in + i, rows[k], len);
        in[i] = 0;
        /* a message on top, so that later lines are not its first line */
        memcpy(in, "Top\n", 4);
        t0 = clock();
        got = clean_body(in, &o);
        ok(strlen(got) <= i && strncmp(got, "Top", 3) == 0, "10 MB of \"%.*s\"", (int)len - 1,
           rows[k]);
        diag("  %.2f s", (double)(clock() - t0) / CLOCKS_PER_SEC);
        xfree(got);
    }
    xfree(in);
}

int
main(void)
{
    test_cases();
    test_null();
    test_big();
    return done_testing();
}
