"""corpus_test.py - real client mails through smsgate-lmtpd: the SMS each becomes.

Every mail in tests/data/ goes through the running daemon over LMTP into
real PostgreSQL, with the Authentication-Results its receiving MX wrote
trusted (trusted_authserv_ids). Expected: the SMS text a careful person
would cut from the mail, its encoding, parts and price. Prices: operator's
carrier cost 0.04, civilsms (reseller) +20%, each client +0.01: 0.058 per part.
"""
import os
import re

from harness import Client, Lmtpd, TOP_SRCDIR, ctl, ctl_json, done, is_, like, ok, sql, diag

DATA = os.path.join(TOP_SRCDIR, "tests", "data")

ctl("rate", "set", "operator", "61", "0.04")
ctl("account", "add", "civilsms", "--margin-percent", "20")
ctl("domain", "add", "sms.example.com", "civilsms")
for acc, pattern in (("harbour", "@harbourcivil.com.au"), ("kansai", "@kansai-steel.co.jp"),
                     ("baker", "tom.baker.plumbing@gmail.com")):
    ctl("account", "add", acc, "--parent", "civilsms", "--margin-fixed", "0.01")
    ctl("sender", "add", pattern, acc, "country=AU", "auth=dkim,dmarc")
ctl("topup", "civilsms", "100")
for acc in ("harbour", "kansai", "baker"):
    ctl("transfer", "civilsms", acc, "20")

# file: (encoding, parts, price, text)
EXPECT = {
    "outlook-desktop.eml": ("gsm7", 2, "0.116",
        "Hi Team,\nThe concrete pour for Level 3 is confirmed for Thursday 6 June at 6:30am. "
        "Please be on site by 6:00am for the pre-start. Pump truck arrives 6:15am via Gate 2."),
    "outlook-web.eml": ("gsm7", 1, "0.058",
        "Hi Priya,\nThe crane hire for Friday has moved to 7:30am. Please use Gate 2 on Smith St, "
        "not the main entrance - the main gate is blocked by the skip bins."),
    "gmail.eml": ("gsm7", 1, "0.058",
        "Yes, 2pm works. I'll bring the revised drawings and the variation for the extra downpipes."),
    "apple-mail.eml": ("gsm7", 1, "0.058",
        "Hi Raj,\nWe're short two labourers on the Rozelle job tomorrow. Can you send Ahmed and "
        "Luke to 14 Evans St by 7am? Parking is on Wellington St."),
    "iphone.eml": ("gsm7", 1, "0.058",
        "Running 15 min late, stuck on the M5. Start the toolbox talk without me."),
    "thunderbird-flowed.eml": ("gsm7", 2, "0.116",
        "Hi all,\nReminder that the scaffold inspection is booked for Wednesday at 10am. Please "
        "make sure the east side is clear of materials before then, and that all toe boards are "
        "back in place.\nFrom Monday the site office moves to the ground floor of Building C. "
        "Sign in there.\nBoth."),
    "forwarded.eml": ("gsm7", 2, "0.116",
        "Smith St between Victoria Rd and Evans St will be closed to traffic on Thursday 6 June "
        "from 7am to 3pm for footpath works. Site deliveries must use the Evans St entrance "
        "during this time.\nInner West Council Traffic Services"),
    "utf8-emoji-base64.eml": ("ucs2", 3, "0.174",
        "Great work today team \U0001f44d Slab is poured and looking good. Beers on me Friday "
        "arvo \U0001f37a\nReminder: no one on the deck until Monday while it cures \u26a0\ufe0f\nJess"),
    "windows-1252-qp.eml": ("gsm7", 1, "0.058",
        "Hi Dave,\nThe \"final\" invoice for Stage 2 is \u20ac4,950 incl. GST - please approve in "
        "Xero by Friday. Don't forget the PO number."),
    "iso-2022-jp.eml": ("ucs2", 1, "0.058",
        "\u7530\u4e2d\u69d8\n\u660e\u65e5\u306e\u6253\u3061\u5408\u308f\u305b\u306f\u5348\u5f8c"
        "2\u6642\u304b\u3089\u306b\u5909\u66f4\u306b\u306a\u308a\u307e\u3057\u305f\u3002\n"
        "\u3088\u308d\u3057\u304f\u304a\u9858\u3044\u3044\u305f\u3057\u307e\u3059\u3002\n\u5c71\u672c"),
    "mixed-attachments.eml": ("gsm7", 2, "0.116",
        "Hi Raj,\nAttached are the updated shop drawings (Rev C) and the photo of the cracked "
        "lintel. Meeting invite for the walkthrough is attached too.\nPlease confirm you can "
        "make Thursday 8am.\nDave"),
    "smime-signed.eml": ("gsm7", 1, "0.058",
        "Team,\nToolbox talk moved to 6:45am Monday in the site shed. Topic is working at "
        "heights - attendance is compulsory.\nBen Harris\nWHS Coordinator"),
}

d = Lmtpd("trusted_authserv_ids = mx1.sms.example.com\n").start()
c = Client(d.sock)
c.cmd("LHLO mx1.sms.example.com")


def send(name, rcpts=("0412345678@sms.example.com",), data=None):
    data = data if data is not None else open(os.path.join(DATA, name), "rb").read()
    sender = re.search(rb"^Return-Path: <([^>]*)>", data, re.M).group(1).decode()
    return c.transaction(sender, list(rcpts), data)


for name in sorted(EXPECT):
    enc, parts, price, text = EXPECT[name]
    rr, dr = send(name)
    if not like(dr[0] if dr else str(rr), r"^250 2\.0\.0 .* SMS \d+ queued: %d parts?, %s$"
                % (parts, re.escape(price)), "%s: queued, %d part(s), %s" % (name, parts, price)):
        continue
    sms = dr[0].split()[4]
    row = sql("SELECT encoding || '|' || parts || '|' || charged FROM sms WHERE id = %s" % sms)
    is_(row, "%s|%d|%d" % (enc, parts, round(float(price) * 1e6)), "%s: %s, %d part(s)" % (name, enc, parts))
    is_(ctl_json("sms", "show", sms)["text"], text, "%s: the SMS text" % name)

rr, dr = send("empty-body.eml")
like(dr[0], r"^550 5\.6\.0 .*no text to send", "empty-body.eml: nothing to send, 5.6.0")

# one smart quote must not double the price: the same mail without transliteration
ctl("sender", "set", "@harbourcivil.com.au", "translit=off")
rr, dr = send("windows-1252-qp.eml", ["0412345679@sms.example.com"])
like(dr[0], r"queued: 2 parts, 0\.116$", "windows-1252-qp.eml with translit=off: UCS-2, 2 parts")
ctl("sender", "set", "@harbourcivil.com.au", "translit=on")

# content=subject, and the subject as sender ID
ctl("sender", "set", "@harbourcivil.com.au", "content=subject")
rr, dr = send("outlook-desktop.eml", ["0412345670@sms.example.com"])
sms = dr[0].split()[4]
is_(ctl_json("sms", "show", sms)["text"], "Concrete pour Thursday - Level 3", "content=subject: the subject")
ctl("sender", "set", "@harbourcivil.com.au", "content=body")

# 200 recipients in one mail: 200 SMS, 200 charges
rcpts = ["0412%06d@sms.example.com" % i for i in range(200)]
before = ctl_json("balance", "harbour")["pending"]
rr, dr = send("iphone.eml", rcpts)
is_(sum(1 for r in rr if r.startswith("250")), 200, "200 recipients accepted at RCPT")
is_(sum(1 for r in dr if re.match(r"^250 2\.0\.0 <0412\d{6}@sms\.example\.com> SMS \d+ queued: 1 part, 0\.058$", r)),
    200, "200 replies after DATA, each its own SMS")
is_(sql("SELECT count(DISTINCT destination) FROM sms WHERE destination LIKE '61412%' AND body LIKE 'Running 15 min late%'"),
    "201", "200 new numbers (plus the first iPhone SMS)")
is_(round(float(ctl_json("balance", "harbour")["pending"]) - float(before), 6), 11.6,
    "harbour's reservations grew by 200 x 0.058")

# a 10 MB mail: a short text and a big attachment
blob = (b"QUJD" * 19) + b"\r\n"
big = (b"Return-Path: <dave.nguyen@harbourcivil.com.au>\r\n"
       + open(os.path.join(DATA, "mixed-attachments.eml"), "rb").read().split(b"\n\n", 1)[0]
       .split(b"Content-Type:")[0].replace(b"Return-Path: <dave.nguyen@harbourcivil.com.au>\n", b"")
       + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n"
       b"Message-ID: <big@harbourcivil.com.au>\r\n\r\n"
       b"--XX\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSurvey report attached.\r\n"
       b"--XX\r\nContent-Type: application/pdf; name=survey.pdf\r\nContent-Transfer-Encoding: base64\r\n"
       b"Content-Disposition: attachment; filename=survey.pdf\r\n\r\n"
       + blob * (10 * 1024 * 1024 // len(blob)) + b"--XX--\r\n")
ok(len(big) > 10 * 1024 * 1024, "the big mail is over 10 MB (%d bytes)" % len(big))
rr, dr = send(None, ["0412999999@sms.example.com"], big)
like(dr[0], r"^250 2\.0\.0 .* SMS (\d+) queued: 1 part, 0\.058$", "10 MB mail: queued")
if dr and "SMS" in dr[0]:
    is_(ctl_json("sms", "show", dr[0].split()[4])["text"], "Survey report attached.", "10 MB mail: its text")

c.close()
d.stop()
check = ctl("ledger", "check", check=False)
is_(check.returncode, 0, "ledger check passes")
done()
