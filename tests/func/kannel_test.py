"""kannel_test.py - smsgate-dispatchd with a real Kannel as the carrier.

A private Kannel (tests/kannel.sh: bearerbox, smsbox, fakesmsc playing the
handsets) takes the SMS that the real smsgate-lmtpd queued: they arrive at
fakesmsc intact (GSM 7-bit and UCS-2), are posted and their margins paid;
Kannel asks the dlr-url with smsgate's {id} filled in; with smsbox gone the
SMS waits and goes once smsbox is back; with a wrong password Kannel says
403 and the SMS waits for the fix, then goes. A stand-in sendsms (in this script) then
answers 503, 429, a 200 that is not Kannel's, nothing in time, and 400: only
the 400 is final (rejected, costs nothing). The ledger balances at the end.
"""
import atexit
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

from harness import (DISPATCHD, Dispatchd, queuer, universe, wait_until, Client, Lmtpd, TMP, TOP_SRCDIR, TOP_BUILDDIR, CONF, bail, ctl, ctl_json, diag,
                     done, is_, like, mail, ok, sql)

KANNEL_SH = os.path.join(TOP_SRCDIR, "tests/kannel.sh")
KBASE = os.path.join(TMP, "kannel")
FAKESMSC_LOG = os.path.join(KBASE, "fakesmsc.log")

if not (shutil.which("bearerbox") and shutil.which("smsbox")
        and os.access(os.environ.get("FAKESMSC", "/usr/lib/kannel/test/fakesmsc"), os.X_OK)):
    print("1..0 # SKIP kannel not installed")
    sys.exit(0)


def kannel(cmd):
    return subprocess.run(["bash", KANNEL_SH, cmd, KBASE], capture_output=True, text=True)


p = kannel("start")
if p.returncode == 77:
    print("1..0 # SKIP kannel not installed (%s)" % p.stderr.strip())
    sys.exit(0)
atexit.register(kannel, "stop")
if p.returncode != 0:
    bail("tests/kannel.sh start: " + p.stderr.strip())
env = dict(l.split("=", 1) for l in open(os.path.join(KBASE, "kannel.env")).read().split())


class Dlr(http.server.BaseHTTPRequestHandler):
    """Where Kannel reports delivery: each request's query kept in Dlr.got.

    It also plays a sendsms that answers what the test says (Dlr.answer:
    status, body, delay), each request's query kept in Dlr.sendsms."""
    got = []
    sendsms = []
    answer = (503, "Temporal failure, try again later.", 0)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        status, body = 200, ""
        if url.path == "/cgi-bin/sendsms":
            Dlr.sendsms.append(query)
            status, body, delay = Dlr.answer
            time.sleep(delay)
        else:
            Dlr.got.append(query)
        try:
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body.encode())
        except OSError:
            pass  # the client gave up (the timeout case)

    def log_message(self, *args):
        pass


dlr_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Dlr)
threading.Thread(target=dlr_server.serve_forever, daemon=True).start()
DLR_URL = "http://127.0.0.1:%d/dlr?sms={id}&type=%%d&again={id}" % dlr_server.server_address[1]





def carrier(password, url=env["KANNEL_URL"], timeout=3):
    return ("[carrier kannel]\ndriver = kannel\nurl = %s\nusername = %s\npassword = %s\n"
            "dlr_url = %s\ndlr_mask = 3\ntimeout = %d\n"
            % (url, env["KANNEL_USERNAME"], password, DLR_URL, timeout))



def wait_for(pred, seconds=10):
    t0 = time.time()
    while time.time() - t0 < seconds:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def handsets():
    """What fakesmsc got: (from, to, type, text), text decoded as Kannel's fake link sends it."""
    got = []
    for m in re.finditer(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$", open(FAKESMSC_LOG).read(),
                         re.M):
        frm, to, kind, data = m.groups()
        if kind == "ucs-2":
            data = urllib.parse.unquote_to_bytes(data.replace("+", " ")).decode("utf-16-be")
        got.append((frm, to, kind, data))
    return got


universe("country=AU", "auth=address", "sender_id=AcmeSales")
lmtpd = Lmtpd().start()
c = Client(lmtpd.sock)
c.cmd("LHLO mx")
queue = queuer(c)


GOOD = carrier(env["KANNEL_PASSWORD"])
p = subprocess.run([DISPATCHD, "-n", "-c", Dispatchd("check", GOOD).conf], capture_output=True,
                   text=True)
is_((p.returncode, p.stdout.strip().endswith("is valid (1 carrier)")), (0, True),
    "dispatchd -n accepts a kannel carrier")

# --- (a) two SMS through Kannel to the handsets -------------------------------------------
ids = queue("Gate 2 at 7am. 100% sure & +1?", ["0412345601@sms.acme.test",
                                               "0412345602@sms.acme.test"])
is_(len(ids), 2, "two SMS queued")
d = Dispatchd("good", GOOD).start()
is_(wait_until("SELECT count(*) FROM sms WHERE status = 'submitted'", "2"), "2",
    "both submitted to Kannel")
is_(sorted(wait_for(lambda: len(handsets()) >= 2 and handsets())),
    [("AcmeSales", "+6141234560%d" % n, "text", "Gate 2 at 7am. 100% sure & +1?") for n in (1, 2)],
    "fakesmsc got both, sender ID, number and text intact")
is_(sql("SELECT string_agg(carrier || ':' || (carrier_ref = id::text)::text, ',') FROM sms"),
    "kannel:true,kannel:true", "carrier and reference (the SMS id) recorded")
like(d.logtext(), r'sms=%s to=\+61412345601 carrier=kannel status=accepted '
     r'detail="kannel: HTTP 202 0: Accepted for delivery"' % ids[0], "the log line says what Kannel answered")
is_(ctl_json("balance", "acme-sales")["posted"], "9.884", "acme-sales paid 2 x 0.058")
is_(ctl_json("balance", "acme-sales")["pending"], "0.00", "... nothing left pending")
is_(ctl_json("balance", "acme")["posted"], "90.02", "acme earned 2 x (0.058 - 0.048)")
is_(ctl_json("balance", "operator")["posted"], "0.016", "operator earned 2 x (0.048 - 0.04)")
is_(ctl_json("sms", "show", ids[0])["reservation"], "posted", "sms show: the reservation is posted")
got = wait_for(lambda: [q for q in Dlr.got if q.get("sms") == ids[0]])
ok(got and got[0].get("again") == ids[0] and got[0].get("type") in ("1", "8"),
   "Kannel called the dlr-url: {id} replaced, %d filled in by Kannel")
if not got:
    diag("dlr requests: %r" % Dlr.got)

# --- (b) UCS-2 ------------------------------------------------------------------------------
GREEK = "Καλημέρα κόσμε \U0001F600 ok"
ids = queue(GREEK, ["0412345603@sms.acme.test"])
is_(wait_until("SELECT status || ' ' || encoding FROM sms WHERE id = %s" % ids[0],
               "submitted ucs2"), "submitted ucs2", "a Greek text with an emoji: ucs2, submitted")
last = wait_for(lambda: [h for h in handsets() if h[1] == "+61412345603"])
is_(last, [("AcmeSales", "+61412345603", "ucs-2", GREEK)], "... it reached the handset as UCS-2, intact")
is_(ctl_json("balance", "acme-sales")["posted"], "9.826", "... and cost one part, 0.058")

# --- (c) smsbox gone: deferred, then submitted once it is back ------------------------------
p = kannel("smsbox-stop")
is_(p.returncode, 0, "smsbox killed")
ids = queue("While smsbox was away.", ["0412345604@sms.acme.test"])
is_(wait_until("SELECT status = 'queued' AND attempts >= 1 FROM sms WHERE id = %s" % ids[0], "t"),
    "t", "with smsbox gone the SMS is deferred: queued again, attempted")
like(d.logtext(), r'sms=%s to=\+61412345604 carrier=kannel status=deferred retry=\d+s '
     r'detail="kannel: connection failed: [^"]+"' % ids[0], "... the log says the connection failed")
is_(ctl_json("balance", "acme-sales")["pending"], "0.058", "... its reservation still held")
p = kannel("smsbox-start")
is_(p.returncode, 0, "smsbox started again")
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[0], "submitted"), "submitted",
    "... and the SMS is submitted after the back-off")
ok(wait_for(lambda: [h for h in handsets() if h[3] == "While smsbox was away."]),
   "... and reaches the handset")
is_(ctl_json("balance", "acme-sales")["posted"], "9.768", "... charged once")
is_(d.stop(), 0, "SIGTERM: exit 0")

# --- (d) a wrong password: Kannel says 403, the SMS waits for the fix -------------------------
before = ctl_json("balance", "acme-sales")
bad = Dispatchd("bad", carrier("not-the-secret")).start()
ids = queue("Wrong password.", ["0412345605@sms.acme.test"])
is_(wait_until("SELECT attempts > 0 AND status = 'queued' FROM sms WHERE id = %s" % ids[0], "t"), "t",
    "wrong password: the SMS is deferred, not refused (the operator's mistake)")
like(bad.logtext(), r'sms=%s to=\+61412345605 carrier=kannel status=deferred retry=\d+s '
     r'detail="kannel: HTTP 403 Authorization failed for sendsms"' % ids[0], "... the log line says why")
is_(ctl_json("sms", "show", ids[0])["reservation"], "pending", "... its reservation held")
is_(bad.stop(), 0, "SIGTERM: exit 0")
ok(not [h for h in handsets() if h[3] == "Wrong password."], "... and nothing reached a handset")
fixed = Dispatchd("fixed", carrier(env["KANNEL_PASSWORD"])).start()
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[0], "submitted"), "submitted",
    "with the password fixed it is submitted")
ok(wait_for(lambda: [h for h in handsets() if h[3] == "Wrong password."]), "... and reaches the handset")
is_(fixed.stop(), 0, "SIGTERM: exit 0")
logs = d.logtext() + bad.logtext() + fixed.logtext()
ok("not-the-secret" not in logs and env["KANNEL_PASSWORD"] not in logs, "no password in any log")

# --- (e) what is not "accepted" or "refused" (a stand-in sendsms answers) ---------------------
FAKE = "http://127.0.0.1:%d/cgi-bin/sendsms" % dlr_server.server_address[1]
before = ctl_json("balance", "acme-sales")
fake = Dispatchd("fake", carrier("s3cret", FAKE, 1)).start()
ids = queue("To a stand-in.", ["0412345606@sms.acme.test"])
for answer, pattern, name in [
        ((503, "Temporal failure, try again later.\n", 0),
         r"status=deferred retry=\d+s detail=\"kannel: HTTP 503 Temporal failure, try again later.\"",
         "HTTP 503: deferred"),
        ((429, "Slow down", 0), r"status=deferred retry=\d+s detail=\"kannel: HTTP 429 Slow down\"",
         "HTTP 429: deferred"),
        ((200, "<p>Welcome \"home\"\x01\u00e9</p>\n<p>second line</p>", 0),
         r"status=deferred retry=\d+s detail=\"kannel: HTTP 200 <p>Welcome 'home'\?\?\?</p>\"",
         "HTTP 200 that is not Kannel's: deferred, its first line made printable ASCII"),
        ((202, "0: Accepted for delivery", 2),
         r"status=deferred retry=\d+s detail=\"kannel: timed out: [^\"]+\"", "no answer within timeout: deferred"),
        ((400, "Missing receiver number, rejected", 0),
         r"status=rejected detail=\"kannel: HTTP 400 Missing receiver number, rejected\"", "HTTP 400: rejected")]:
    Dlr.answer = answer
    ok(wait_for(lambda: re.search(r"sms=%s to=\+61412345606 carrier=kannel %s" % (ids[0], pattern),
                                  fake.logtext()), 8), name)
is_(sql("SELECT status FROM sms WHERE id = %s" % ids[0]), "rejected", "... the SMS is rejected")
is_(ctl_json("balance", "acme-sales"), before, "... and costs nothing")
fake.stop()
q = Dlr.sendsms[-1]
is_(sorted(q.items()), sorted({"username": "gw", "password": "s3cret", "to": "+61412345606",
                               "from": "AcmeSales", "text": "To a stand-in.", "charset": "UTF-8",
                               "coding": "0", "dlr-mask": "3",
                               "dlr-url": DLR_URL.replace("{id}", ids[0])}.items()),
    "the request: every parameter, URL-encoded, Kannel's %d left alone")
ok("s3cret" not in fake.logtext(), "no password in the log")

c.close()
lmtpd.stop()
dlr_server.shutdown()
check = ctl("ledger", "check", check=False)
is_(check.returncode, 0, "ledger check passes")
if check.returncode:
    diag(check.stderr)
done()
