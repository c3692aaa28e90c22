"""dispatch_test.py - smsgate-dispatchd with the file carrier, against real PostgreSQL.

Queued SMS (made by the real smsgate-lmtpd) are handed to the file carrier,
posted, and their margins paid; expired and unroutable ones are voided;
a universe that charges on delivery keeps its reservations; two
dispatchers on one database never hand over the same SMS twice.
"""
import json
import os
import signal
import subprocess
import time

from harness import (DISPATCHD, Dispatchd, queuer, universe, wait_until, Client, Lmtpd, TMP, TOP_BUILDDIR, CONF, ctl, ctl_json, done, is_, like,
                     mail, ok, sql, diag)

OUT = os.path.join(TMP, "sms.jsonl")






def lines():
    if not os.path.exists(OUT):
        return []
    return [json.loads(l) for l in open(OUT)]


universe("country=AU", "auth=address", "sender_id=AcmeSales")
lmtpd = Lmtpd().start()
c = Client(lmtpd.sock)
c.cmd("LHLO mx")
queue = queuer(c)


FILE = "[carrier file]\ndriver = file\npath = %s\n" % OUT
p = subprocess.run([DISPATCHD, "-n", "-c", Dispatchd("check", FILE).conf], capture_output=True, text=True)
is_((p.returncode, p.stdout.strip().endswith("is valid (1 carrier)")), (0, True), "dispatchd -n accepts the file carrier")
bad = Dispatchd("bad", "[carrier x]\ndriver = smoke-signals\n")
p = subprocess.run([DISPATCHD, "-n", "-c", bad.conf], capture_output=True, text=True)
is_(p.returncode, 78, "an unknown driver: exit 78")
like(p.stderr, r"\[carrier x\] driver = smoke-signals: not one of the allowed values", "... naming the section")
bad = Dispatchd("bad", "[carrier api]\ndriver = http\nurl = http://127.0.0.1:1/\nbody = to={to}&msg={txt}\n")
p = subprocess.run([DISPATCHD, "-n", "-c", bad.conf], capture_output=True, text=True)
is_(p.returncode, 78, "-n opens an http carrier: an unknown placeholder in its body: exit 78")
like(p.stderr, r"\[carrier api\] body: unknown placeholder \{txt\}", "... naming the section and the placeholder")

# --- three SMS through the file carrier -------------------------------------------
ids = queue("Gate 2 at 7am.", ["0412345601@sms.acme.test", "0412345602@sms.acme.test",
                               "0412345603@sms.acme.test"])
is_(len(ids), 3, "three SMS queued")
d = Dispatchd("one", FILE).start()
is_(wait_until("SELECT count(*) FROM sms WHERE status = 'submitted'", "3"), "3", "all three submitted")
got = sorted(lines(), key=lambda l: l["id"])
is_([(str(l["id"]), l["to"], l["from"], l["text"], l["encoding"], l["parts"], l["account"]) for l in got],
    [(i, "+6141234560%d" % n, "AcmeSales", "Gate 2 at 7am.", "gsm7", 1, "acme-sales")
     for n, i in enumerate(ids, 1)], "the file has one JSON line per SMS, with every field")
is_(ctl_json("balance", "acme-sales")["posted"], "9.826", "acme-sales paid 3 x 0.058")
is_(ctl_json("balance", "acme-sales")["pending"], "0.00", "... nothing left pending")
is_(ctl_json("balance", "acme")["posted"], "90.03", "acme earned 3 x (0.058 - 0.048)")
is_(ctl_json("balance", "operator")["posted"], "0.024", "operator earned 3 x (0.048 - 0.04)")
hist = ctl_json("sms", "show", ids[0])
is_([h["status"] for h in hist["history"]], ["queued", "submitted"], "sms show: queued, then submitted")
is_(hist["reservation"], "posted", "sms show: the reservation is posted")
like(d.logtext(), r"sms=%s to=\+61412345601 carrier=file status=accepted" % ids[0], "the log line")

# --- an SMS past its validity expires and costs nothing ------------------------------
d.stop()
ids = queue("Too late.", ["0412345604@sms.acme.test"])
sql("UPDATE sms SET expires_at = now() - interval '1 second' WHERE id = %s" % ids[0])
d = Dispatchd("one", FILE).start()
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[0], "expired"), "expired", "past its validity: expired")
is_(ctl_json("sms", "show", ids[0])["reservation"], "voided", "... and its reservation voided")
is_(ctl_json("balance", "acme-sales")["posted"], "9.826", "... so acme-sales paid nothing for it")

# --- no carrier routes the destination: deferred, never refused (after SIGHUP) ----------
ROUTED44 = FILE.replace("driver = file", "driver = file\nroutes = 44")
d.write(ROUTED44)
d.proc.send_signal(signal.SIGHUP)
time.sleep(0.5)
ids = queue("Nowhere to go yet.", ["0412345605@sms.acme.test"])
is_(wait_until("SELECT attempts > 0 AND status = 'queued' FROM sms WHERE id = %s" % ids[0], "t"), "t",
    "after a reload to routes = 44, an SMS to +61 waits in the queue")
like(d.logtext(), r"sms=%s to=\+61412345605 carrier=- status=deferred retry=1s detail=\"no carrier routes \+61412345605\"" % ids[0],
     "... the log says why and when it is tried again")
is_(ctl_json("balance", "acme-sales")["pending"], "0.058", "... its reservation still held")
like(d.logtext(), r"action=reload carriers=1", "the reload is logged")
d.write(FILE)
d.proc.send_signal(signal.SIGHUP)
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[0], "submitted"), "submitted",
    "routed again after the next reload: submitted")
is_(ctl_json("balance", "acme-sales")["pending"], "0.00", "... and charged")
is_(d.stop(), 0, "SIGTERM: exit 0")

# --- a universe that charges on delivery keeps the reservation ---------------------------
ctl("account", "set", "acme", "--charge-on", "delivery")
ids = queue("Charged on delivery.", ["0412345606@sms.acme.test"])
Dispatchd("one", FILE).write(FILE)
d = Dispatchd("one", FILE).start()
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[0], "submitted"), "submitted", "charge on delivery: submitted")
is_(ctl_json("sms", "show", ids[0])["reservation"], "pending", "... the reservation waits for the receipt")
d.stop()
# a receipt that never comes: after receipt_wait, receipt_missing says what happens to the money
pending = float(ctl_json("balance", "acme-sales")["pending"])
d = Dispatchd("late", "receipt_wait = 1\n" + FILE).start()
is_(wait_until("SELECT count(*) FROM transfer t JOIN sms s ON t.reservation_id = s.reservation_id"
               " WHERE s.id = %s AND t.kind = 'void'" % ids[0], "1"), "1",
    "no receipt within receipt_wait = 1: the reservation is voided (receipt_missing = void)")
hist = ctl_json("sms", "show", ids[0])
is_((hist["status"], hist["history"][-1]["detail"]), ("submitted", "no delivery receipt within 1 s: refunded"),
    "... sms show says so, the status stays submitted")
is_(round(float(ctl_json("balance", "acme-sales")["pending"]), 3), round(pending - 0.058, 3),
    "... and acme-sales's 0.058 is free again")
like(d.logtext(), r"action=receipt-missing count=1 wait=1s money=refunded", "... the log line")
d.stop()
ids = queue("Charged on delivery, receipt lost.", ["0412345611@sms.acme.test"])
posted = float(ctl_json("balance", "acme-sales")["posted"])
d = Dispatchd("late", "receipt_wait = 1\nreceipt_missing = post\n" + FILE).start()
is_(wait_until("SELECT count(*) FROM transfer t JOIN sms s ON t.reservation_id = s.reservation_id"
               " WHERE s.id = %s AND t.kind = 'post'" % ids[0], "1"), "1",
    "receipt_missing = post: the late one is charged")
is_(round(float(ctl_json("balance", "acme-sales")["posted"]), 3), round(posted - 0.058, 3), "... 0.058, once")
d.stop()
ctl("account", "set", "acme", "--charge-on", "accept")

# --- failover: a transient failure moves the SMS on to the next carrier ------------------
DOWN = ("[carrier down]\ndriver = kannel\nurl = http://127.0.0.1:1/cgi-bin/sendsms\nusername = u\npassword = p\npriority = 1\n"
        "timeout = 2\n\n" + FILE.replace("path =", "priority = 5\npath ="))
ids = queue("Failover.", ["0412345607@sms.acme.test"])
posted = ctl_json("balance", "acme-sales")["posted"]
d = Dispatchd("failover", DOWN).start()
is_(wait_until("SELECT status || ' ' || carrier || ' ' || attempts FROM sms WHERE id = %s" % ids[0],
               "submitted file 1"), "submitted file 1",
    "carrier down refuses the connection: the SMS goes to the next carrier, in the same attempt")
like(d.logtext(), r"sms=%s to=\+61412345607 carrier=down status=failover next=file" % ids[0],
     "... the log says so")
is_(str(sum(1 for l in lines() if str(l["id"]) == ids[0])), "1", "... the file carrier has it once")
is_(round(float(ctl_json("balance", "acme-sales")["posted"]), 3), round(float(posted) - 0.058, 3),
    "... charged once")
d.stop()

# --- max_rate: no more SMS per second than the carrier takes, and no attempt counted ------
ids = queue("Paced.", ["0414%06d@sms.acme.test" % i for i in range(15)])
d = Dispatchd("paced", FILE.replace("path =", "max_rate = 5\npath =")).start()
is_(wait_until("SELECT count(*) FROM sms WHERE status = 'submitted' AND id IN (%s)" % ",".join(ids), "15"),
    "15", "15 SMS through a carrier with max_rate = 5")
span = float(sql("SELECT extract(epoch FROM max(submitted_at) - min(submitted_at)) FROM sms WHERE id IN (%s)"
                 % ",".join(ids)))
ok(span >= 1.5, "... taking at least two seconds (5 now, 5 a second later, 5 after that): %.2f s" % span)
is_(sql("SELECT string_agg(DISTINCT attempts::text, ',') FROM sms WHERE id IN (%s)" % ",".join(ids)), "1",
    "... each in one attempt: waiting for its turn is not a failed attempt")
d.stop()

# --- one SMS whose settlement fails holds back no other ----------------------------------
ids = queue("Batch.", ["0412345608@sms.acme.test", "0412345609@sms.acme.test", "0412345610@sms.acme.test"])
sql("CREATE FUNCTION fail_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF NEW.sms_id = %s AND NEW.status = 'submitted' THEN RAISE EXCEPTION 'disk on fire'; END IF; "
    "RETURN NEW; END $$; CREATE TRIGGER fail_one BEFORE INSERT ON sms_event FOR EACH ROW "
    "EXECUTE FUNCTION fail_one()" % ids[1])
d = Dispatchd("one", FILE).start()
is_(wait_until("SELECT string_agg(status, ',' ORDER BY id) FROM sms WHERE id IN (%s)" % ",".join(ids),
               "submitted,sending,submitted"), "submitted,sending,submitted",
    "the batch cannot be recorded at once: the other two are recorded alone")
like(d.logtext(), r"batch of \d+ not recorded at once \(.*disk on fire", "... the log says why")
like(d.logtext(), r"sms=%s status=accepted not recorded \(.*disk on fire.*\): it stays sending" % ids[1],
     "... and which SMS waits for its lease to end")
d.stop()
sql("DROP TRIGGER fail_one ON sms_event; DROP FUNCTION fail_one()")
sql("UPDATE sms SET lease_until = now() WHERE id = %s" % ids[1])
d = Dispatchd("one", FILE).start()
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[1], "submitted"), "submitted",
    "once its lease ends it is claimed again (the documented duplicate window)")
d.stop()

# --- two dispatchers, 200 SMS: each handed over exactly once --------------------------
before = len(lines())
ctl("transfer", "acme", "acme-sales", "20")
ids = queue("Load test.", ["0413%06d@sms.acme.test" % i for i in range(200)])
is_(len(ids), 200, "200 SMS queued")
d1 = Dispatchd("a", FILE).start()
d2 = Dispatchd("b", FILE).start()
is_(wait_until("SELECT count(*) FROM sms WHERE status = 'queued'", "0", 60), "0", "none left behind")
d1.stop()
d2.stop()
new = lines()[before:]
is_(len(new), 200, "200 lines written")
is_(len(set(l["id"] for l in new)), 200, "200 different SMS: none handed over twice")
ok("status=accepted" in d1.logtext() and "status=accepted" in d2.logtext(), "both dispatchers took a share")

c.close()
lmtpd.stop()
check = ctl("ledger", "check", check=False)
is_(check.returncode, 0, "ledger check passes")
if check.returncode:
    diag(check.stderr)
done()
