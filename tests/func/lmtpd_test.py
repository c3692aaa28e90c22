"""lmtpd_test.py - smsgate-lmtpd over LMTP against real PostgreSQL.

The protocol as Postfix uses it (LHLO, pipelining, several transactions on
one connection, per-recipient replies after DATA), every refusal with its
code, idempotent redelivery, limits, concurrency, and a daemon killed in
the middle of DATA.
"""
import os
import signal
import socket
import threading
import time

from harness import (Client, Lmtpd, ctl, ctl_json, done, is_, like, mail, ok, sasl_pass,
                     sql, universe, diag)

universe()
d = Lmtpd("recipient_limit = 5\nmessage_size_limit = 200000\nline_length_limit = 512\n").start()
SOCK = d.sock
RCPT = "0412345678@sms.acme.test"

c = Client(SOCK)
like(c.greeting, r"^220 .* LMTP smsgate ready$", "greeting")
r = c.cmd("LHLO mx.smsgate.test")
for cap in ("PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "SIZE 200000", "XFORWARD"):
    ok(cap in r, "LHLO offers %s" % cap)
is_(c.cmd("HELO mx"), "500 5.5.1 Error: this is LMTP, say LHLO", "HELO is refused")
is_(c.cmd("RCPT TO:<%s>" % RCPT), "503 5.5.1 Error: need MAIL command", "RCPT before MAIL")
is_(c.cmd("MAIL FROM:<alice@acme.test> SIZE=300000"), "552 5.3.4 Message size exceeds fixed limit",
    "MAIL with SIZE over the limit")
is_(c.cmd("XFORWARD ADDR=192.0.2.10 IDENT=4Q1abc"), "250 2.0.0 Ok", "XFORWARD from the Unix socket")

# --- one good SMS ----------------------------------------------------------
rr, dr = c.transaction("alice@acme.test", [RCPT],
                       mail("Hi", "Meeting moved to 3pm.\n\nRegards,\nAlice\n", extra_headers=sasl_pass()))
is_(rr, ["250 2.1.5 Ok"], "RCPT accepted")
like(dr[0], r"^250 2\.0\.0 <0412345678@sms\.acme\.test> SMS \d+ queued: 1 part, 0\.058$",
     "DATA: 250 with the SMS id, parts and price")
sms1 = dr[0].split()[4]
row = sql("SELECT destination, body, encoding, parts, paid, charged, client_address, queue_id "
          "FROM sms WHERE id = %s" % sms1)
is_(row, "61412345678|Meeting moved to 3pm.|gsm7|1|58000|58000|192.0.2.10|4Q1abc",
    "the SMS row: number, cleaned text, encoding, parts, price, XFORWARD client and queue id")
is_(ctl_json("balance", "acme-sales")["pending"], "0.058", "acme-sales has 0.058 reserved")
like(d.logtext(), r"sms=%s account=acme-sales from=<alice@acme.test> to=\+61412345678 parts=1 "
     r"encoding=gsm7 price=0.058 method=sasl queue_id=4Q1abc" % sms1, "the log line")

# --- the same message again: no second SMS, no second charge -----------------
msg = mail("Hi", "Please call me back.", extra_headers=sasl_pass(), message_id="<again@acme.test>")
rr, dr = c.transaction("alice@acme.test", [RCPT], msg)
like(dr[0], r"^250 2\.0\.0 .* SMS (\d+) queued", "first delivery queued")
first = dr[0].split()[4]
rr, dr = c.transaction("alice@acme.test", [RCPT], msg)
is_(dr[0], "250 2.0.0 <%s> SMS %s already queued" % (RCPT, first), "redelivery finds the same SMS")
is_(sql("SELECT count(*) FROM sms WHERE body = 'Please call me back.'"), "1", "one SMS only")
is_(ctl_json("balance", "acme-sales")["pending"], "0.116", "charged once: 2 x 0.058 reserved")

# --- refusals, one per recipient ------------------------------------------
rr, dr = c.transaction("alice@acme.test",
                       [RCPT, "bob@sms.acme.test", "0412345678@sms.nowhere.test",
                        "0298765432@sms.acme.test", "+447911123456@sms.acme.test",
                        "0412345679@sms.acme.test"],
                       mail("", "Two recipients get this.", extra_headers=sasl_pass()))
like(rr[1], r'^550 5\.1\.3 <bob@sms\.acme\.test>: "bob" is not a phone number',
     "a local part that is no number: refused at RCPT with 5.1.3")
like(rr[2], r"^550 5\.1\.2 <0412345678@sms\.nowhere\.test>: sms\.nowhere\.test is not an SMS domain",
     "unknown SMS domain refused at RCPT with 5.1.2")
is_(len(dr), 4, "four recipients accepted at RCPT get four replies after DATA")
like(dr[0], r"^250 2\.0\.0 <0412345678@sms\.acme\.test> SMS \d+ queued", "a mobile number: queued")
like(dr[1], r"^550 5\.1\.3 <0298765432@sms\.acme\.test>: .*(fixed|SMS)", "a fixed line: 5.1.3")
like(dr[2], r"^550 5\.7\.1 <\+447911123456@sms\.acme\.test>: cannot price \+447911123456 for acme-sales: "
     r"no carrier cost for this destination", "a UK mobile with no carrier rate for +44: 5.7.1")
like(dr[3], r"^250 2\.0\.0 <0412345679@sms\.acme\.test> SMS \d+ queued", "another mobile: queued")

# sender without a rule, sender not authenticated
rr, dr = c.transaction("mallory@evil.test", [RCPT], mail("", "Pay me", frm="mallory@evil.test"))
like(dr[0], r"^550 5\.7\.1 <%s>: mallory@evil\.test may not send SMS through sms\.acme\.test \(no sender rule\)" % RCPT,
     "no sender rule: 5.7.1")
rr, dr = c.transaction("alice@acme.test", [RCPT], mail("", "Forged?"))
like(dr[0], r"^550 5\.7\.1 .*not authenticated as its sender rule requires \(one of: sasl,dkim,dmarc\)",
     "no authentication: 5.7.1 naming the methods")
forged = "Authentication-Results: evil.test; auth=pass smtp.auth=alice@acme.test\n"
rr, dr = c.transaction("alice@acme.test", [RCPT], mail("", "Forged!", extra_headers=forged))
like(dr[0], r"^550 5\.7\.1 ", "a result from an untrusted authserv-id does not count")

encoded = ("Authentication-Results: =?utf-8?q?smsgate.test=3B_auth=3Dpass_smtp.auth=3D"
           "alice@acme.test?=\n")
rr, dr = c.transaction("alice@acme.test", [RCPT], mail("", "Encoded forgery", extra_headers=encoded))
like(dr[0], r"^550 5\.7\.1 ", "an Authentication-Results hidden in an RFC 2047 word does not count")

# no usable text
rr, dr = c.transaction("alice@acme.test", [RCPT],
                       mail("Re: hi", "\n-- \nAlice\nSent from my iPhone\n", extra_headers=sasl_pass()))
like(dr[0], r"^550 5\.6\.0 .*no text to send", "nothing left after cleaning: 5.6.0")

# over the limit: the rule refuses
ctl("sender", "set", "@acme.test", "limit=1", "over_limit=refuse")
rr, dr = c.transaction("alice@acme.test", [RCPT], mail("", "x" * 200, extra_headers=sasl_pass()))
is_(dr[0], "550 5.3.4 <%s>: message too long: 2 parts, the limit is 1" % RCPT,
    "over the part limit with over_limit=refuse: 5.3.4")
ctl("sender", "set", "@acme.test", "over_limit=truncate")
rr, dr = c.transaction("alice@acme.test", [RCPT], mail("", "y" * 200, extra_headers=sasl_pass()))
like(dr[0], r"^250 .* 1 part, 0\.058 \(text cut to the part limit\)$", "truncated to one part")
ctl("sender", "set", "@acme.test", "limit=4")

# local-only numbers
ctl("sender", "set", "@acme.test", "numbers=local")
rr, dr = c.transaction("alice@acme.test", ["+447911123456@sms.acme.test"],
                       mail("", "To the UK", extra_headers=sasl_pass()))
like(dr[0], r"^550 5\.7\.1 <\+447911123456@sms\.acme\.test>: ", "a GB number under an AU local-only rule")
ctl("sender", "set", "@acme.test", "numbers=international")

# no money
before = sql("SELECT count(*) FROM sms")
ctl("account", "set", "acme-sales", "--daily-cap", "0.30")
rr, dr = c.transaction("alice@acme.test", [RCPT], mail("", "Capped", extra_headers=sasl_pass()))
like(dr[0], r"^552 5\.2\.2 <%s>: daily spending cap of acme-sales reached" % RCPT,
     "over the daily cap: 552 5.2.2 (insufficient_credit = refuse)")
is_(sql("SELECT count(*) FROM sms"), before, "no SMS for a refused recipient")
ctl("account", "set", "acme-sales", "--daily-cap", "none")
ctl("account", "suspend", "acme")
rr, dr = c.transaction("alice@acme.test", [RCPT], mail("", "Suspended", extra_headers=sasl_pass()))
like(dr[0], r"^550 5\.7\.1 <%s>: account acme is not active" % RCPT, "a suspended reseller: 5.7.1")
ctl("account", "resume", "acme")

# RSET and limits
is_(c.cmd("MAIL FROM:<alice@acme.test>"), "250 2.1.0 Ok", "MAIL")
is_(c.cmd("MAIL FROM:<alice@acme.test>"), "503 5.5.1 Error: nested MAIL command", "nested MAIL")
is_(c.cmd("RSET"), "250 2.0.0 Ok", "RSET")
is_(c.cmd("DATA"), "503 5.5.1 Error: need MAIL command", "DATA after RSET")
c.cmd("MAIL FROM:<alice@acme.test>")
replies = [c.cmd("RCPT TO:<04123456%02d@sms.acme.test>" % i) for i in range(6)]
is_(replies[5], "452 4.5.3 Error: too many recipients", "the sixth recipient over recipient_limit=5")
c.cmd("RSET")
is_(c.cmd("NOOP " + "x" * 600), "500 5.5.2 Error: line too long", "a command over line_length_limit")
is_(c.cmd("NOOP"), "250 2.0.0 Ok", "... and the session goes on")
rr, dr = c.transaction("alice@acme.test", [RCPT],
                       mail("", "big\n" + "z" * 250000, extra_headers=sasl_pass()))
is_(dr[0], "552 5.3.4 <%s>: message size %s exceeds the limit of 200000" % (RCPT, dr[0].split()[5]),
    "a message over message_size_limit: 552 5.3.4")
c.close()

# --- pipelining: everything in one write ------------------------------------
p = Client(SOCK)
body = mail("", "Pipelined hello", extra_headers=sasl_pass())
from harness import dot_stuff
p.send(b"LHLO mx\r\nMAIL FROM:<alice@acme.test>\r\nRCPT TO:<0412345601@sms.acme.test>\r\n"
       b"RCPT TO:<bob@sms.acme.test>\r\nRCPT TO:<0412345602@sms.acme.test>\r\nDATA\r\n")
lhlo = p.reply()
got = [p.reply() for _ in range(5)]
is_(got[:4], ["250 2.1.0 Ok", "250 2.1.5 Ok", got[2], "250 2.1.5 Ok"], "pipelined MAIL and RCPTs")
like(got[2], r"^550 5\.1\.3", "... with the bad one refused in its place")
like(got[4], r"^354", "... and DATA")
p.send(dot_stuff(body) + b".\r\nQUIT\r\n")
r1, r2, bye = p.reply(), p.reply(), p.reply()
like(r1, r"^250 2\.0\.0 <0412345601@", "first recipient's reply")
like(r2, r"^250 2\.0\.0 <0412345602@", "second recipient's reply, in order")
is_(bye, "221 2.0.0 Bye", "QUIT")

# --- 20 concurrent connections ------------------------------------------------
results = []
lock = threading.Lock()


def sender(i):
    cl = Client(SOCK)
    cl.cmd("LHLO mx")
    for j in range(5):
        _, dr = cl.transaction("alice@acme.test", ["04123457%02d@sms.acme.test" % i],
                               mail("", "Concurrent %d/%d" % (i, j), extra_headers=sasl_pass()))
        with lock:
            results.extend(dr)
    cl.close()


ctl("topup", "acme", "100")
ctl("transfer", "acme", "acme-sales", "50")
before = int(sql("SELECT count(*) FROM sms"))
threads = [threading.Thread(target=sender, args=(i,)) for i in range(20)]
for t in threads:
    t.start()
for t in threads:
    t.join()
is_(sum(1 for r in results if r.startswith("250")), 100, "20 connections x 5 mails: 100 replies 250")
is_(int(sql("SELECT count(*) FROM sms")) - before, 100, "... and exactly 100 new SMS")

# --- SIGKILL in the middle of DATA, then the client retries ---------------------
k = Client(SOCK)
k.cmd("LHLO mx")
k.cmd("MAIL FROM:<alice@acme.test>")
k.cmd("RCPT TO:<0412345699@sms.acme.test>")
k.cmd("DATA")
killed = mail("", "Survives a crash", extra_headers=sasl_pass(), message_id="<crash@acme.test>")
half = dot_stuff(killed)
k.send(half[: len(half) // 2])
time.sleep(0.2)
d.stop(signal.SIGKILL)
is_(sql("SELECT count(*) FROM sms WHERE body = 'Survives a crash'"), "0", "killed in DATA: no SMS")
d.start()
r = Client(SOCK)
r.cmd("LHLO mx")
_, dr = r.transaction("alice@acme.test", ["0412345699@sms.acme.test"], killed)
like(dr[0], r"^250 2\.0\.0 .* SMS \d+ queued", "the retry after the crash is queued")
_, dr2 = r.transaction("alice@acme.test", ["0412345699@sms.acme.test"], killed)
like(dr2[0], r"already queued", "and a second retry (lost reply) finds it")
is_(sql("SELECT count(*) FROM sms WHERE body = 'Survives a crash'"), "1", "exactly one SMS")
r.close()

# --- SIGTERM: a graceful stop --------------------------------------------------
idle = Client(SOCK)
idle.cmd("LHLO mx")
t0 = time.time()
rc = d.stop(signal.SIGTERM)
is_(rc, 0, "SIGTERM: exit status 0")
ok(time.time() - t0 < 10, "... within seconds, with an idle client connected")
try:
    is_(idle.reply(), "421 4.3.2 Service shutting down, closing transmission channel",
        "the idle client is told 421")
except (OSError, EOFError) as e:
    ok(False, "the idle client is told 421 (%s)" % e)

# --- who may connect: lmtp_socket_mode and lmtp_socket_group ----------------------
import grp
import stat
import subprocess
from harness import LMTPD
g = Lmtpd("lmtp_socket_mode = 0660\nlmtp_socket_group = %s\n" % grp.getgrgid(os.getgid()).gr_name).start()
st = os.stat(g.sock)
is_((oct(stat.S_IMODE(st.st_mode)), st.st_gid), ("0o660", os.getgid()),
    "lmtp_socket_mode = 0660, lmtp_socket_group: the socket has that mode and group")
g.stop()
for bad, why in (("lmtp_socket_mode = 0999\n", "lmtp_socket_mode = 0999: expected an octal mode"),
                 ("lmtp_socket_group = no-such-group-x\n", "lmtp_socket_group = no-such-group-x: no such group")):
    p = subprocess.run([LMTPD, "-n", "-c", Lmtpd(bad).conf], capture_output=True, text=True)
    is_((p.returncode, why in p.stderr), (78, True), "-n refuses %s" % bad.strip())

check = ctl("ledger", "check", check=False)
is_(check.returncode, 0, "ledger check passes after all of it")
if check.returncode:
    diag(check.stderr)
done()
