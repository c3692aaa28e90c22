"""httpd_test.py - smsgate-httpd's carrier callbacks, against real PostgreSQL.

SMS are queued by the real smsgate-lmtpd and submitted by the real
smsgate-dispatchd (file carrier); receipts and inbound SMS are sent to the
real smsgate-httpd with urllib, as Kannel would send them. Asserts on
statuses, history rows, balances, HTTP answers and log lines.
"""
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

from harness import (DISPATCHD, Daemon, wait_until, write_conf as harness_conf, Client, Lmtpd, TMP, TOP_BUILDDIR, CONF, ctl, ctl_json, diag, done, is_,
                     like, mail, ok, sql, bail)

HTTPD = os.path.join(TOP_BUILDDIR, "src/httpd/smsgate-httpd")
OUT = os.path.join(TMP, "sms.jsonl")
SECRET = "s3cret-Kx9"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


PORT = free_port()


def carriers(secret=SECRET):
    return ("[carrier fc]\ndriver = file\npath = %s\ncallback_secret = %s\n"
            "callback_networks = 127.0.0.0/8, ::1\n"
            "[carrier fenced]\ndriver = file\npath = %s.2\ncallback_secret = other-secret\n"
            "callback_networks = 10.0.0.0/8\n"
            "[carrier quiet]\ndriver = file\npath = %s.3\n"
            "[carrier fc2]\ndriver = file\npath = %s.4\ncallback_secret = second\nroutes = 99\n"
            % (OUT, secret, OUT, OUT, OUT))




def write_conf(path, extra):
    harness_conf(path, "http_listen = inet:127.0.0.1:%d\n" % PORT
                 + "dispatch_batch = 50\nretry_min = 1\nretry_max = 2\n" + extra)


class HttpDaemon(Daemon):
    """A daemon with this test's configuration: the listen port and the carriers."""

    def write(self, extra):
        write_conf(self.conf, extra)


def http(path, params=None, data=None, method=None, headers=None):
    """(status, body) of one request to smsgate-httpd."""
    url = "http://127.0.0.1:%d%s" % (PORT, path)
    if params is not None:
        url += "?" + (params if isinstance(params, str) else urllib.parse.urlencode(params))
    if isinstance(data, dict):
        data = urllib.parse.urlencode(data).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def dlr(sms, typ, status=None, secret=SECRET, carrier="fc"):
    p = {"id": sms, "type": typ}
    if status is not None:
        p["status"] = status
    return http("/dlr/%s/%s" % (carrier, secret), p)


def history(sms):
    return [h["status"] for h in ctl_json("sms", "show", sms)["history"]]


def bal(account, kind="posted"):
    return Decimal(ctl_json("balance", account)[kind])


def wait_listening(d):
    """The port accepts connections and the start is logged: the socket listens
    before the daemon drops its privileges and says action=start."""
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", PORT), 0.2).close()
            if "action=start" in d.logtext():
                return
            time.sleep(0.05)
        except OSError:
            if d.proc.poll() is not None:
                break
            time.sleep(0.05)
    bail("smsgate-httpd did not start: " + d.logtext()[-2000:])


# --- accounts, and SMS submitted through the real daemons ---------------------------
ctl("rate", "set", "operator", "61", "0.04")
ctl("account", "add", "acme", "--margin-percent", "20")
ctl("account", "add", "acme-sales", "--parent", "acme", "--margin-fixed", "0.01")
ctl("domain", "add", "sms.acme.test", "acme")
ctl("topup", "acme", "100")
ctl("transfer", "acme", "acme-sales", "10")
ctl("sender", "add", "@acme.test", "acme-sales", "country=AU", "auth=address")

lmtpd = Lmtpd().start()
c = Client(lmtpd.sock)
c.cmd("LHLO mx")


def queue(text, rcpts):
    _, dr = c.transaction("alice@acme.test", rcpts, mail("", text))
    return [r.split()[4] for r in dr if r.startswith("250")]


def submit(text, rcpts):
    ids = queue(text, rcpts)
    d = HttpDaemon(DISPATCHD, "dispatchd", carriers()).start()
    want = str(len(ids))
    got = wait_until("SELECT count(*) FROM sms WHERE status = 'submitted' AND id IN (%s)"
                     % ",".join(ids), want)
    d.stop()
    if got != want:
        bail("dispatchd did not submit: " + d.logtext()[-2000:])
    return ids


httpd = HttpDaemon(HTTPD, "httpd", carriers())
p = subprocess.run([HTTPD, "-n", "-c", httpd.conf], capture_output=True, text=True)
is_((p.returncode, p.stdout.strip().endswith("is valid (3 carriers taking callbacks)")), (0, True),
    "httpd -n: valid, three carriers take callbacks")
bad = os.path.join(TMP, "bad.conf")
write_conf(bad, "http_listen = unix:/tmp/x.sock\n")
p = subprocess.run([HTTPD, "-n", "-c", bad], capture_output=True, text=True)
is_(p.returncode, 78, "http_listen = unix:...: exit 78")

ids = submit("Gate 2 at 7am.", ["04123456%02d@sms.acme.test" % i for i in range(1, 5)])
is_(len(ids), 4, "four SMS submitted by smsgate-dispatchd")
posted = bal("acme-sales")
httpd.start()
wait_listening(httpd)
like(httpd.logtext(), r"action=start listen=inet:127.0.0.1:%d carriers=3" % PORT, "start logged")

# --- receipts ---------------------------------------------------------------------
is_(dlr(ids[0], 1, "DELIVRD"), (200, "ok\n"), "type 1: 200 ok")
is_(sql("SELECT status FROM sms WHERE id = %s" % ids[0]), "delivered", "... the SMS is delivered")
is_(history(ids[0]), ["queued", "submitted", "delivered"], "... sms show lists it")
is_(sql("SELECT detail FROM sms_event WHERE sms_id = %s AND status = 'delivered'" % ids[0]),
    "receipt type 1: DELIVRD", "... with the receipt's type and status text")
like(httpd.logtext(), r"dlr sms=%s carrier=fc type=1 status=delivered result=changed" % ids[0],
     "... and logged")
is_(dlr(ids[0], 1, "DELIVRD"), (200, "ok\n"), "the same receipt again: 200")
is_(history(ids[0]), ["queued", "submitted", "delivered"], "... nothing changed")
like(httpd.logtext(), r"dlr sms=%s carrier=fc type=1 status=delivered result=duplicate" % ids[0],
     "... logged as a duplicate")

is_(dlr(ids[1], 8, "ACK"), (200, "ok\n"), "type 8 (accepted by the SMSC): 200")
is_(dlr(ids[1], 8, "ACK"), (200, "ok\n"), "... twice")
is_(dlr(ids[1], 4), (200, "ok\n"), "type 4 (buffered): 200")
is_(sql("SELECT status FROM sms WHERE id = %s" % ids[1]), "submitted", "... still submitted")
is_(history(ids[1]), ["queued", "submitted", "smsc-accepted", "buffered"],
    "... the news recorded once each")
is_(dlr(ids[1], 2, "UNDELIV"), (200, "ok\n"), "type 2: 200")
is_(sql("SELECT status FROM sms WHERE id = %s" % ids[1]), "undeliverable", "... undeliverable")
is_(ctl_json("sms", "show", ids[1])["reservation"], "posted",
    "... charge on acceptance: stays posted (the carrier charged for it)")
is_(bal("acme-sales"), posted, "... balances unchanged")
is_(dlr(ids[1], 1), (200, "ok\n"), "a delivered receipt after undeliverable: 200")
is_(sql("SELECT status FROM sms WHERE id = %s" % ids[1]), "undeliverable", "... but ignored")
like(httpd.logtext(), r"dlr sms=%s carrier=fc type=1 status=delivered result=ignored" % ids[1],
     "... logged as ignored")

st, body = http("/dlr/fc/" + SECRET, data={"id": ids[2], "type": "16", "status": "REJECTD"})
is_((st, body), (200, "ok\n"), "a POSTed form, type 16: 200")
is_(sql("SELECT status FROM sms WHERE id = %s" % ids[2]), "undeliverable", "... undeliverable")

is_(dlr(ids[3], 1, carrier="fc2", secret="second"), (200, "ok\n"),
    "a receipt from another carrier than the SMS's: 200")
is_(sql("SELECT status FROM sms WHERE id = %s" % ids[3]), "submitted", "... nothing changed")
like(httpd.logtext(), r"dlr sms=%s carrier=fc2 type=1 result=foreign" % ids[3], "... logged")

is_(dlr("987654321", 1), (200, "ok\n"), "an unknown SMS id: 200 ok")
like(httpd.logtext(), r"dlr sms=987654321 carrier=fc type=1 result=unknown", "... logged")

# --- refusals ----------------------------------------------------------------------
is_(dlr(ids[3], 1, secret="guess")[0], 403, "wrong secret: 403")
is_(dlr(ids[3], 1, secret=SECRET + "x")[0], 403, "the secret with more after it: 403")
is_(dlr(ids[3], 1, secret=SECRET[:-1])[0], 403, "a prefix of the secret: 403")
is_(dlr(ids[3], 1, carrier="nosuch")[0], 403, "unknown carrier: 403")
is_(dlr(ids[3], 1, carrier="quiet", secret="x")[0], 403, "a carrier without callback_secret: 403")
is_(dlr(ids[3], 1, carrier="fenced", secret="other-secret")[0], 403,
    "right secret from outside callback_networks: 403")
log = httpd.logtext()
like(log, r"dlr carrier=fc client=127.0.0.1 refused: wrong secret", "refusals logged with the reason")
like(log, r"dlr carrier=fenced client=127.0.0.1 refused: client not in callback_networks",
     "... the network refusal too")
ok(SECRET not in log and "guess" not in log and "other-secret" not in log,
   "no secret ever appears in the log")
is_(sql("SELECT status FROM sms WHERE id = %s" % ids[3]), "submitted", "refused receipts changed nothing")

is_(dlr("12ab", 1)[0], 400, "non-numeric id: 400")
is_(dlr(ids[3], 3)[0], 400, "unknown type: 400")
is_(http("/dlr/fc/" + SECRET, {"id": ids[3]})[0], 400, "no type: 400")
is_(dlr(ids[3], 1, "x" * 5000)[0], 400, "a status text over 4096 bytes: 400")
is_(http("/dlr/fc/" + SECRET, "id=%s&type=1%%00" % ids[3])[0], 400, "a NUL in a value: 400")
is_(http("/nothing")[0], 404, "unknown path: 404")
is_(http("/dlr/fc")[0], 404, "no secret: 404")
is_(http("/dlr/fc/%s/more" % SECRET)[0], 404, "more after the secret: 404")
is_(http("/dlr/fc/" + SECRET, method="PUT", data=b"x")[0], 405, "PUT: 405")
is_(http("/mo/fc/" + SECRET, data=b"text=" + b"a" * 70000,
         headers={"Content-Type": "application/x-www-form-urlencoded"})[0], 413,
    "a body over 64 KB: 413")
is_(sql("SELECT status FROM sms WHERE id = %s" % ids[3]), "submitted", "... nothing changed")

# --- a universe that charges on delivery ------------------------------------------
ctl("account", "set", "acme", "--charge-on", "delivery")
httpd.stop()
d_ids = submit("Charged on delivery.", ["0412345611@sms.acme.test", "0412345612@sms.acme.test"])
httpd.start()
wait_listening(httpd)
posted, pending = bal("acme-sales"), bal("acme-sales", "pending")
acme = bal("acme")
is_(pending, Decimal("0.116"), "charge on delivery: two SMS pending (2 x 0.058)")
is_(dlr(d_ids[0], 1), (200, "ok\n"), "type 1 for the first")
is_(ctl_json("sms", "show", d_ids[0])["reservation"], "posted", "... its reservation posted")
is_((bal("acme-sales"), bal("acme-sales", "pending")), (posted - Decimal("0.058"), Decimal("0.058")),
    "... acme-sales paid 0.058, 0.058 still pending")
is_(bal("acme"), acme + Decimal("0.01"), "... acme earned its margin 0.01")
is_(dlr(d_ids[1], 2), (200, "ok\n"), "type 2 for the second")
is_(ctl_json("sms", "show", d_ids[1])["reservation"], "voided", "... its reservation voided")
is_((bal("acme-sales"), bal("acme-sales", "pending")), (posted - Decimal("0.058"), Decimal("0.00")),
    "... nothing paid for it, nothing pending")
is_(dlr(d_ids[1], 2), (200, "ok\n"), "type 2 again: 200")
is_(dlr(d_ids[0], 1), (200, "ok\n"), "type 1 again: 200")
is_((bal("acme-sales"), bal("acme-sales", "pending")), (posted - Decimal("0.058"), Decimal("0.00")),
    "... balances exactly the same")

# --- a receipt that outruns the dispatcher's settlement ----------------------------
r_ids = queue("Fast receipt.", ["0412345621@sms.acme.test"])
sql("UPDATE sms SET status = 'sending', attempts = 1, lease_until = now() + interval '10 min'"
    " WHERE id = %s" % r_ids[0])
is_(dlr(r_ids[0], 1), (200, "ok\n"), "a receipt for an SMS still sending: 200")
is_(history(r_ids[0]), ["queued", "submitted", "delivered"], "... settled as accepted, then delivered")
is_(ctl_json("sms", "show", r_ids[0])["reservation"], "posted", "... and posted")
is_(sql("SELECT sg_sms_settle(%s, 'accepted', 'fc', NULL, 'late')" % r_ids[0]), "f",
    "... the dispatcher's late settlement changes nothing")
ctl("account", "set", "acme", "--charge-on", "accept")

# --- inbound SMS -----------------------------------------------------------------
MO = "/mo/fc/" + SECRET
mo = {"from": "+61412345678", "to": "61400000000", "text": "Yes please, Gate 2 ok",
      "smsc": "fake", "ts": "1700000000", "id": "ref-1"}
is_(http(MO, mo), (200, ""), "an inbound SMS: 200 with an empty body")
is_(sql("SELECT carrier, from_number, to_number, text, carrier_ref, smsc, carrier_time FROM inbound"),
    "fc|+61412345678|61400000000|Yes please, Gate 2 ok|ref-1|fake|1700000000", "... stored")
is_(http(MO, mo), (200, ""), "the same again (same carrier reference): 200")
is_(sql("SELECT count(*) FROM inbound"), "1", "... stored once")
row = sql("SELECT id FROM inbound")
like(httpd.logtext(), r"mo carrier=fc from=\+61412345678 to=61400000000 id=%s result=duplicate" % row,
     "... logged as a duplicate")
is_(http(MO, data={"from": "+61412345679", "to": "61400000000", "text": "Héllo ✓"}), (200, ""),
    "a POSTed one without a reference, in UTF-8")
is_(sql("SELECT text FROM inbound WHERE from_number = '+61412345679'"), "Héllo ✓", "... stored as sent")
is_(http(MO, {"from": "+61412345678", "text": "no to"})[0], 400, "no to: 400")
is_(http(MO, "from=%2B614&to=6140&text=%FF%FE")[0], 400, "text not UTF-8: 400")
ok("Yes please" not in httpd.logtext() and "llo" not in httpd.logtext(), "no SMS text in the log")

# --- SIGHUP: a new secret --------------------------------------------------------
write_conf(httpd.conf, carriers("n3w-secret"))
httpd.proc.send_signal(signal.SIGHUP)
for _ in range(50):
    if "action=reload" in httpd.logtext():
        break
    time.sleep(0.1)
like(httpd.logtext(), r"action=reload carriers=3", "SIGHUP: reload logged")
is_(dlr("987654321", 1)[0], 403, "... the old secret: 403")
is_(dlr("987654321", 1, secret="n3w-secret")[0], 200, "... the new one: 200")

is_(httpd.stop(), 0, "SIGTERM: exit 0")
like(httpd.logtext(), r"action=stop", "... stop logged")

c.close()
lmtpd.stop()
check = ctl("ledger", "check", check=False)
is_(check.returncode, 0, "ledger check passes")
if check.returncode:
    diag(check.stderr)
done()
