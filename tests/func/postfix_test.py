"""postfix_test.py - smsgate behind a real Postfix, driven by real SMTP clients.

A private Postfix (postfix.py) takes mail on 127.0.0.1, passes the SMTP
dialogue through smsgate-milter (smtpd_milters) and delivers the SMS domain
over its "smsgate" lmtp transport to a real smsgate-lmtpd, with XFORWARD.
SMTP AUTH goes to Dovecot's auth service, started here with a passwd-file.
What a user sees is asserted: the replies swaks and smtplib get during
SMTP, Postfix's log and queue (no bounce where SMTP refused), the SMS rows
and the ledger.

The sender rule for @acme.test demands SASL or the office network
127.0.0.2/32; Linux answers for all of 127.0.0.0/8 on the loopback, so a
client binding 127.0.0.2 or 127.0.0.3 is "inside" or "outside".

Points that need smsgate-milter (refusal during SMTP, the trusted stamp of
a SASL login, forged stamps removed) are skipped when it is not built.
"""
import os
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import threading
import time

from decimal import Decimal

from harness import (TMP, CONF, TOP_BUILDDIR, TOP_SRCDIR, Lmtpd, bail, ctl, ctl_json, diag, done, is_, like, ok,
                     sql, universe)
from postfix import Dovecot, Milter, Postfix, free_port, queued_as, rcpt_replies, swaks

MILTER_BIN = os.path.join(TOP_BUILDDIR, "src/milter/smsgate-milter")
DOMAIN = "sms.acme.test"
LOGIN, PASSWORD = "alice@acme.test", "Wonderland-42"
BULK, CLIENTS = 2000, 8

if os.geteuid() != 0:
    print("1..0 # SKIP a private Postfix and Dovecot need root")
    sys.exit(0)
for tool in ("postfix", "swaks", "dovecot"):
    if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
        print("1..0 # SKIP %s is not installed (tools/install-deps.sh)" % tool)
        sys.exit(0)
HAVE_MILTER = os.access(MILTER_BIN, os.X_OK)
NO_MILTER = "smsgate-milter is not built"


def skip(name, why=NO_MILTER):
    import harness
    harness._n += 1
    print("ok %d - %s # SKIP %s" % (harness._n, name, why), flush=True)


def on_term(signum, frame):
    sys.exit("killed by signal %d" % signum)


signal.signal(signal.SIGTERM, on_term)

# --- the universe ------------------------------------------------------------
universe("country=AU", "auth=sasl,network", "networks=127.0.0.2/32")
# another sender of the same account whose rule Postfix cannot decide at RCPT
# (a DKIM pass arrives in a header): the forged-stamp case
ctl("sender", "add", "@beta.test", "acme-sales", "country=AU", "auth=sasl,dkim")
ctl("topup", "acme", "1000", "--ref", "INV-2")
ctl("transfer", "acme", "acme-sales", "500")


def pending():
    return ctl_json("balance", "acme-sales")["pending"]


def plus(amount, n, price="0.058"):
    """amount + n x price, written as smsgatectl writes amounts here"""
    return "%.3f" % (Decimal(amount) + n * Decimal(price))


def sms_count(where="true"):
    return int(sql("SELECT count(*) FROM sms WHERE %s" % where))


base = os.path.join(TMP, "pf")
os.makedirs(base, exist_ok=True)
os.chmod(base, 0o755)
running = []
try:
    dovecot = Dovecot(os.path.join(base, "dovecot"), {LOGIN: PASSWORD}).start()
    running.append(dovecot)
    lmtpd = Lmtpd("lmtp_max_connections = 64\n").start()
    running.append(lmtpd)
    milter = None
    if HAVE_MILTER:
        with open(CONF) as f:
            conf = f.read()
        milter = Milter(MILTER_BIN, base, conf + "user = nobody\nauthserv_id = smsgate.test\n")
        milter.start()
        running.append(milter)
    port = free_port()
    # example.org: a domain that is no SMS domain, taken and discarded (point 2b)
    pf = Postfix(os.path.join(base, "postfix"), port, "unix:" + lmtpd.sock,
                 milter=("unix:" + milter.sock) if milter else None, sasl=dovecot.socket,
                 extra="relay_domains = %s, example.org\nrelay_transport = discard:\n" % DOMAIN)
    pf.start()
    running.append(pf)
    diag("Postfix on 127.0.0.1:%d, milter %s" % (port, "on" if milter else "off (not built)"))

    # --- 0. conf/postfix/header_checks drops every incoming Authentication-Results ---
    # Postfix takes blanks before a header's colon, and regexp tables ignore
    # letter case unless a pattern ends in /i (which switches it back on)
    hc = "regexp:" + os.path.join(TOP_SRCDIR, "conf/postfix/header_checks")
    for line, want in (("Authentication-Results: mx.acme.test; dkim=pass", "IGNORE"),
                       ("Authentication-Results : mx.acme.test; dkim=pass", "IGNORE"),
                       ("Authentication-Results\t: mx.acme.test; dkim=pass", "IGNORE"),
                       ("authentication-RESULTS: mx.acme.test; dkim=pass", "IGNORE"),
                       ("X-Authentication-Results: mx.acme.test; dkim=pass", ""),
                       ("Authentication-Results-Original: mx.acme.test; dkim=pass", "")):
        p = subprocess.run(["postmap", "-c", pf.etc, "-q", line, hc], capture_output=True, text=True)
        is_(p.stdout.strip(), want, "header_checks: %r -> %s" % (line, want or "(no match)"))

    # --- 1. an authenticated submission ---------------------------------------
    # (from an address of its own: Dovecot delays the next logins from an
    # address that failed one)
    rc, t = swaks(port, "--quit-after", "AUTH", "--auth", "PLAIN", "--auth-user", LOGIN,
                  "--auth-password", "wrong password", local="127.0.0.9")
    like(t, r"<\*\* +535 5\.7\.8 ", "SASL: a wrong password is refused (535 5.7.8) by the real backend")
    at = pf.logsize()
    before = pending()
    rc, t = swaks(port, "--auth", "PLAIN", "--auth-user", LOGIN, "--auth-password", PASSWORD,
                  "--from", LOGIN, "--to", "0412345678@" + DOMAIN,
                  "--header", "Subject: lunch", "--body", "Meeting moved to 3pm.\n\n-- \nAlice\n")
    like(t, r"<-  235 2\.7\.0 Authentication successful", "SASL PLAIN login accepted by Dovecot (235)")
    qid = queued_as(t)
    ok(rc == 0 and qid, "the submission is queued by Postfix (queue id %s)" % qid)
    if milter:
        sent = pf.wait_log(r"%s: to=<0412345678@%s>.* status=sent \(250 2\.0\.0 <0412345678@%s> SMS (\d+) queued: "
                           r"1 part, 0\.058\)" % (qid, re.escape(DOMAIN), re.escape(DOMAIN)), at)
        ok(len(sent) == 1, "Postfix's log: status=sent with smsgate's SMS id")
        if not sent:
            diag(pf.log(at))
        sms = re.search(r"SMS (\d+) queued", sent[0]).group(1) if sent else "0"
        is_(sql("SELECT destination, body, queue_id, client_address, mail_from FROM sms WHERE id = %s" % sms),
            "61412345678|Meeting moved to 3pm.|%s|127.0.0.1|%s" % (qid, LOGIN),
            "the SMS: number, text, Postfix's queue id and client address (XFORWARD)")
        like(lmtpd.logtext(), r"sms=%s account=acme-sales .* method=sasl queue_id=%s" % (sms, qid),
             "smsgate-lmtpd trusted the milter's stamp of the SASL login (method=sasl)")
        listed = [s for s in ctl_json("sms", "list", "--account", "acme-sales") if str(s.get("id")) == sms]
        is_([(s["destination"], s["status"], s["paid"]) for s in listed], [("+61412345678", "queued", "0.058")],
            "smsgatectl sms list shows it queued")
        is_(ctl_json("sms", "show", sms).get("text"), "Meeting moved to 3pm.", "smsgatectl sms show: its text")
        is_(pending(), plus(before, 1), "0.058 reserved on acme-sales")
    else:
        for name in ("Postfix's log: status=sent with smsgate's SMS id", "the SMS row",
                     "smsgate-lmtpd trusted the milter's stamp (method=sasl)", "smsgatectl sms list shows it",
                     "smsgatectl sms show: its text",
                     "0.058 reserved"):
            skip(name)
    pf.wait_empty()

    # --- 2. the same sender, unauthenticated, from outside the rule's networks --
    at = pf.logsize()
    before_sms = sms_count()
    if milter:
        rc, t = swaks(port, "--from", LOGIN, "--to", "0412345678@" + DOMAIN, "--body", "Let me in",
                      local="127.0.0.3")
        like(rcpt_replies(t).get("0412345678@" + DOMAIN), r"^550 5\.7\.1 ",
             "outsider without SASL: refused at RCPT during SMTP (550 5.7.1)")
        ok(queued_as(t) is None, "... and nothing was queued")
        time.sleep(0.5)
        log = pf.log(at)
        like(log, r"NOQUEUE: milter-reject: RCPT from [^ ]*\[127\.0\.0\.3\]: 550 5\.7\.1 ",
             "Postfix logs the milter's refusal (NOQUEUE)")
        ok(not re.search(r"bounce|non-delivery|status=bounced", log), "no bounce in Postfix's log")
        is_(pf.queue(), [], "Postfix's queue is empty (postqueue -j)")
        is_(sms_count(), before_sms, "no SMS")
    else:
        for name in ("outsider without SASL: refused at RCPT during SMTP", "nothing queued",
                     "Postfix logs the milter's refusal", "no bounce", "queue empty", "no SMS"):
            skip(name)

    # --- 2b. ordinary mail passes the milter: not an SMS domain, no domain ---
    at = pf.logsize()
    rc, t = swaks(port, "--from", "<>", "--to", "bob@example.org,postmaster", "--body", "Hello",
                  local="127.0.0.1")
    replies = rcpt_replies(t)
    like(replies.get("bob@example.org"), r"^250 ", "a recipient outside the SMS domains: 250 at RCPT")
    like(replies.get("postmaster"), r"^250 ", "RCPT TO:<postmaster>: 250")
    qid = queued_as(t)
    ok(qid is not None, "... and the mail is queued (%s)" % qid)
    if milter:
        like(milter.logtext(), r"queue_id=%s from=<> action=stamp auth=- client=127\.0\.0\.1 " % qid,
             "the milter stamped it, with Postfix's queue id and the client address")
        ok(not re.search(r"to=<(bob@example\.org|postmaster)> .*action=refuse", milter.logtext()),
           "... and refused neither recipient")
    else:
        skip("the milter stamped it")
        skip("... and refused neither recipient")
    # (example.org's mail is discarded; postmaster's bounces, to the null sender: dropped)
    pf.wait_empty()

    # --- 3. a forged Authentication-Results with our authserv-id ---------------
    if milter:
        at = pf.logsize()
        before = pending()
        rc, t = swaks(port, "--from", "bob@beta.test", "--to", "0412345678@" + DOMAIN,
                      "--add-header", "Authentication-Results: smsgate.test; auth=pass smtp.auth=bob@beta.test",
                      "--body", "Forged stamp", local="127.0.0.3")
        qid = queued_as(t)
        if qid:
            # Postfix took it; the milter must have removed the forgery, so
            # smsgate-lmtpd refuses and Postfix bounces
            got = pf.wait_log(r"%s: to=<0412345678@.* status=(sent|bounced|deferred)" % qid, at)
            like(got[0] if got else None, r"status=bounced .*5\.7\.1 .*not authenticated",
                 "forged stamp ignored: smsgate-lmtpd refuses the mail as not authenticated (5.7.1)")
        else:
            like(t, r"<\*\* +5\d\d 5\.7\.1 ", "forged stamp ignored: refused during SMTP (5.7.1)")
        if qid:
            # Postfix has no queue id at MAIL FROM; the milter asks again at the end
            like(milter.logtext(),
                 r"queue_id=%s from=<bob@beta\.test> action=stamp auth=- client=127\.0\.0\.3 removed=1" % qid,
                 "smsgate-milter logs that it removed the forged copy, with Postfix's queue id")
        else:
            skip("smsgate-milter logs that it removed the forged copy", "refused before the header")
        is_(sms_count("body = 'Forged stamp'"), 0, "no SMS from a forged stamp")
        is_(pending(), before, "no charge")
        pf.wait_empty()
    else:
        for name in ("forged stamp ignored", "the milter logs the removal", "no SMS from a forged stamp",
                     "no charge"):
            skip(name)

    # --- 4. valid and invalid recipients in one mail -------------------------
    at = pf.logsize()
    before = pending()
    good = ["0412345601@" + DOMAIN, "0412345602@" + DOMAIN]
    bad = {"bob@" + DOMAIN: r"5\.1\.3",             # no phone number
           "0298765432@" + DOMAIN: r"5\.1\.3",      # a fixed line
           "+447911123456@" + DOMAIN: r"5\.7\.1"}   # no carrier rate for +44
    rcpts = [good[0]] + list(bad) + [good[1]]
    rc, t = swaks(port, "--auth", "PLAIN", "--auth-user", LOGIN, "--auth-password", PASSWORD,
                  "--from", LOGIN, "--to", ",".join(rcpts), "--body", "Mixed bag", local="127.0.0.2")
    replies = rcpt_replies(t)
    qid = queued_as(t)
    ok(qid is not None, "mixed recipients: the mail is queued for those accepted")
    for r in good:
        like(replies.get(r), r"^250 ", "%s accepted at RCPT" % r)
    done_rx = r"%s: to=<([^>]*)>.* status=(sent|bounced|deferred) \((.*)\)$" % qid
    accepted = [r for r in rcpts if (replies.get(r) or "").startswith("250")]
    outcome = {m.group(1): (m.group(2), m.group(3)) for m in
               (re.search(done_rx, l) for l in pf.wait_log(done_rx, at, count=len(accepted)))}
    sms_ids = []
    for r in good:
        st, text = outcome.get(r, ("missing", ""))
        m = re.match(r"250 2\.0\.0 <%s> SMS (\d+) queued" % re.escape(r), text)
        ok(st == "sent" and m, "%s: status=sent with its SMS id" % r)
        if m:
            sms_ids.append(m.group(1))
        else:
            diag("%s %s" % (st, text))
    for r, code in bad.items():
        smtp = replies.get(r) or ""
        if smtp.startswith("250"):
            st, text = outcome.get(r, ("missing", ""))
            ok(st == "bounced" and re.search(r"550 %s " % code, text),
               "%s: accepted by Postfix, refused by smsgate-lmtpd with %s (bounced)" % (r, code.replace("\\", "")))
            if st != "bounced":
                diag("%s %s" % (st, text))
        else:
            like(smtp, r"^550 %s " % code, "%s: refused during SMTP with %s" % (r, code.replace("\\", "")))
    if milter:
        like(replies.get("bob@" + DOMAIN), r"^550 5\.1\.3 ", "the milter refuses a local part that is no number at RCPT")
    else:
        skip("the milter refuses a local part that is no number at RCPT")
    is_(sql("SELECT string_agg(destination, ',' ORDER BY destination) FROM sms WHERE queue_id = '%s'" % qid),
        "61412345601,61412345602", "exactly the two mobile numbers became SMS")
    is_(sorted(sms_ids), sorted(sql("SELECT id FROM sms WHERE queue_id = '%s'" % qid).split()),
        "... with the ids Postfix logged")
    is_(pending(), plus(before, 2), "two charges of 0.058 reserved")
    ok(pf.wait_empty(), "nothing left in Postfix's queue")

    # --- 5. 2,000 mails from 8 concurrent clients --------------------------
    at = pf.logsize()
    before = pending()
    before_sms = sms_count()
    replies = []
    errors = []
    lock = threading.Lock()

    def client(i):
        got = []
        try:
            s = smtplib.SMTP("127.0.0.1", port, local_hostname="office%d.acme.test" % i,
                             source_address=("127.0.0.2", 0), timeout=120)
            s.login(LOGIN, PASSWORD)
            for j in range(BULK // CLIENTS):
                msg = ("From: Alice <%s>\r\nTo: %s\r\nSubject: bulk\r\n"
                       "Message-ID: <bulk-%d-%d@acme.test>\r\n\r\nBulk %d/%d: the server room is warm.\r\n"
                       % (LOGIN, DOMAIN, i, j, i, j))
                rcpt = "04%08d@%s" % (12000000 + i * 1000 + j, DOMAIN)
                s.mail(LOGIN)
                code, _ = s.rcpt(rcpt)
                if code != 250:
                    got.append(code)
                    s.rset()
                    continue
                code, text = s.data(msg.encode())
                got.append(code)
            s.quit()
        except (OSError, smtplib.SMTPException) as e:
            with lock:
                errors.append("client %d: %r" % (i, e))
        with lock:
            replies.extend(got)

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t1 = time.time()
    is_(errors, [], "8 SMTP clients, no errors")
    is_(sum(1 for c in replies if c == 250), BULK, "%d mails accepted by Postfix (250 after DATA)" % BULK)
    sent_rx = r"status=sent \(250 2\.0\.0 <04\d{8}@%s> SMS (\d+) queued" % re.escape(DOMAIN)
    lines = pf.wait_log(sent_rx, at, count=BULK, seconds=120)
    t2 = time.time()
    diag("accepted in %.1f s, delivered in %.1f s: %.0f mails/s end to end"
         % (t1 - t0, t2 - t0, BULK / (t2 - t0)))
    ids = set(re.search(sent_rx, l).group(1) for l in lines)
    is_(len(lines), BULK, "Postfix's log: %d deliveries status=sent with an SMS id" % BULK)
    is_(len(ids), BULK, "... %d distinct SMS ids" % BULK)
    rows = sql("SELECT id FROM sms WHERE body LIKE 'Bulk %'").split()
    is_(len(rows), BULK, "%d SMS rows" % BULK)
    ok(set(rows) == ids, "... exactly the ids in Postfix's log")
    is_(sms_count() - before_sms, BULK, "no other SMS")
    is_(sql("SELECT count(*) || '|' || sum(t.amount) FROM transfer t JOIN sms s ON s.reservation_id = t.id "
            "WHERE t.kind = 'reserve' AND s.body LIKE 'Bulk %'"),
        "%d|%d" % (BULK, BULK * 58000), "%d charges (reservations) of 0.058" % BULK)
    is_(pending(), plus(before, BULK), "acme-sales: %s more reserved" % plus(0, BULK))
    log = pf.log(at)
    ok(not re.search(r"status=(bounced|deferred)|non-delivery", log), "no bounce, no deferral in Postfix's log")
    ok(pf.wait_empty(), "Postfix's queue is empty")

    check = ctl("ledger", "check", check=False)
    is_(check.returncode, 0, "smsgatectl ledger check passes")
    if check.returncode:
        diag(check.stdout + check.stderr)
    ok("panic" not in lmtpd.logtext() and "fatal" not in pf.log(), "no panic, no fatal error in the logs")

    # the daemons stop cleanly (in a sanitizer build, a leak report makes the exit status non-zero)
    pf.stop()
    running.remove(pf)
    if milter:
        is_(milter.stop(), 0, "smsgate-milter stops on SIGTERM with exit status 0")
        running.remove(milter)
    else:
        skip("smsgate-milter stops on SIGTERM with exit status 0")
    is_(lmtpd.stop(), 0, "smsgate-lmtpd stops on SIGTERM with exit status 0")
    running.remove(lmtpd)
except RuntimeError as e:  # a daemon did not start
    bail(str(e))
finally:
    import harness
    logs = [("maillog", base + "/postfix/log/maillog"), ("milter.log", base + "/milter.log"),
            ("lmtpd.log", os.path.join(TMP, "lmtpd.log")), ("dovecot.log", base + "/dovecot/dovecot.log")]
    if harness._failed:
        for name, path in logs:
            if os.path.exists(path):
                diag("--- the end of %s" % name)
                diag("\n".join(open(path, errors="replace").read().splitlines()[-25:]))
    # POSTFIX_TEST_LOGS=DIR keeps a copy of the logs (for CI artifacts)
    keep = os.environ.get("POSTFIX_TEST_LOGS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        for name, path in logs:
            if os.path.exists(path):
                shutil.copy(path, os.path.join(keep, name))
    for proc in reversed(running):
        try:
            proc.stop()
        except Exception as e:  # keep stopping the others
            print("# stopping %s: %r" % (type(proc).__name__, e), flush=True)
done()
