"""http_carrier_test.py - the generic http driver against a scripted carrier.

SMS queued by the real smsgate-lmtpd are submitted by the real
smsgate-dispatchd to tests/func/carrier_server.py, which answers what each
case scripts: the JSON and the form body arrive exactly (UTF-8 text with an
emoji, number, sender, our id), with basic auth and the configured headers;
the carrier's message id is recorded; a 500 and a timeout are retried and
the SMS is charged once; a 429's Retry-After is waited for; a refused
connection and a 401 defer; a 2xx without the id is accepted without a
reference ("malformed response"), a 2xx with only an error text and a 400
are rejected and cost nothing. smsgate-httpd then takes receipts in the
carrier's own format (JSON by the carrier's id, a query by ours). The
ledger balances after each case.
"""
import base64
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from decimal import Decimal

from carrier_server import CarrierServer, free_port
from harness import (DISPATCHD, TOP_BUILDDIR, Daemon, Dispatchd, Client, Lmtpd, bail, ctl,
                     ctl_json, diag, done, is_, like, ok, queuer, sql, universe, wait_until,
                     write_conf)

HTTPD = os.path.join(TOP_BUILDDIR, "src/httpd/smsgate-httpd")
SECRET = "cb-s3cret-77"
TEXT = 'Grüße \U0001F600 at 7am: "quoted" & 100% +1?'


HTTP_PORT = free_port()
DLR_URL = "http://127.0.0.1:%d/dlr/api/%s?smsgate_id={id}" % (HTTP_PORT, SECRET)
JSON_BODY = ('{"from":"{from}","to":"{to}","text":"{text}","ref":"{id}","parts":{parts},'
             '"coding":"{encoding}","account":"{account}","callback":"{dlr_url}"}')
FORM_BODY = "msisdn={to_digits}&sender={from}&message={text}&client_ref={id}"

carrier = CarrierServer(default={"status": 200, "body": '{"messages":[{"id":"MSG-DEFAULT"}]}'})


def json_carrier(url=None, timeout=2, name="api"):
    return ("[carrier %s]\ndriver = http\nurl = %s\nbody_format = json\nbody = %s\n"
            "headers = X-Api-Key: k3y-XYZ | X-Trace: smsgate-test\n"
            "username = gw-user\npassword = pa:ss word\n"
            "response_id = messages.0.id\nresponse_error = error.message\n"
            "dlr_url = %s\ntimeout = %d\ncallback_secret = %s\n"
            "dlr_ref = msg_id\ndlr_status = state\ndlr_delivered = DELIVRD, delivered\n"
            "dlr_failed = UNDELIV, REJECTD\n"
            % (name, url or carrier.url("/v1/sms"), JSON_BODY, DLR_URL, timeout, SECRET))


def bal(kind="posted", account="acme-sales"):
    return Decimal(ctl_json("balance", account)[kind])


def ledger_ok(when):
    p = ctl("ledger", "check", check=False)
    ok(p.returncode == 0, "smsgatectl ledger check passes " + when)
    if p.returncode:
        diag(p.stdout + p.stderr)


def status(sms):
    return sql("SELECT status FROM sms WHERE id = %s" % sms)


def requests_for(sms):
    """The requests that carried our id (JSON "ref" or form "client_ref")."""
    got = []
    for r in carrier.requests:
        try:
            ref = r.json().get("ref") if r.body.startswith(b"{") else r.form().get("client_ref")
        except ValueError:
            continue
        if ref == sms:
            got.append(r)
    return got


def history(sms):
    return ctl_json("sms", "show", sms)["history"]


def send(text, number, *steps, want="submitted"):
    """Script the carrier's next answers, queue one SMS; its id and its status once it is want."""
    carrier.script(*steps)
    sms = queue(text, ["%s@sms.acme.test" % number])[0]
    return sms, wait_until("SELECT status FROM sms WHERE id = %s" % sms, want, 30)


universe("country=AU", "auth=address", "sender_id=AcmeSales")
lmtpd = Lmtpd().start()
c = Client(lmtpd.sock)
c.cmd("LHLO mx")
queue = queuer(c)

# --- the configuration is checked when the carrier is opened ------------------------------
check = Dispatchd("check", json_carrier())
p = subprocess.run([DISPATCHD, "-n", "-c", check.conf], capture_output=True, text=True)
is_((p.returncode, p.stdout.strip().endswith("is valid (1 carrier)")), (0, True),
    "dispatchd -n accepts an http carrier")
BAD = (("body = {\"to\":{to}}\n", "not JSON once its placeholders are filled in"),
       ("body = {\"to\":\"{phone}\"}\n", r"unknown placeholder \{phone\}"),
       ("headers = no colon here\n", "is not .Name: value."),
       ("accept_status = 2xx\n", "accept_status = 2xx: not a list"))
for n, (bad, why) in enumerate(BAD):
    d = Dispatchd("bad%d" % n, json_carrier() + bad).start()
    rc = d.proc.wait(20)
    ok(rc != 0, "a carrier with %s does not start" % bad.strip())
    like(d.logtext(), why, "... and says why")

# --- (a) JSON: the body, basic auth and headers arrive exactly; the id is recorded ---------
before = bal()
d = Dispatchd("json", json_carrier()).start()
carrier.script({"status": 201, "body": '{"messages":[{"id":"MSG-0001","status":"queued"}]}'})
ids = queue(TEXT, ["0412345601@sms.acme.test"])
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[0], "submitted"), "submitted",
    "JSON carrier: the SMS is submitted")
r = requests_for(ids[0])
is_(len(r), 1, "... in one request")
r = r[0] if r else carrier.requests[-1]
is_((r.method, r.path), ("POST", "/v1/sms"), "... a POST to the configured URL")
is_(r.json(), {"from": "AcmeSales", "to": "+61412345601", "text": TEXT, "ref": ids[0], "parts": 1,
               "coding": "ucs2", "account": "acme-sales",
               "callback": DLR_URL.replace("{id}", ids[0])},
    "... the JSON body arrives exactly: sender, number, UTF-8 text with emoji, our id")
is_(r.headers.get("content-type"), "application/json", "... as application/json")
is_(r.headers.get("authorization"),
    "Basic " + base64.b64encode(b"gw-user:pa:ss word").decode(), "... with basic auth")
is_((r.headers.get("x-api-key"), r.headers.get("x-trace")), ("k3y-XYZ", "smsgate-test"),
    "... and both configured headers")
is_(sql("SELECT carrier || ' ' || carrier_ref FROM sms WHERE id = %s" % ids[0]), "api MSG-0001",
    "the carrier's message id is recorded")
like(json.dumps(history(ids[0])), "MSG-0001", "smsgatectl sms show shows it")
is_(before - bal(), Decimal("0.058"), "acme-sales paid one part (0.058)")
ledger_ok("after a JSON submission")

# --- (b) a 500, then accepted: retried, sent twice, charged once ------------------------------
before = bal()
sms, st = send("After a 500.", "0412345602", {"status": 500, "body": "internal trouble"},
               {"status": 200, "body": '{"messages":[{"id":"MSG-0002"}]}'})
ids = [sms]
is_(st, "submitted", "500: the SMS is retried and submitted")
is_(len(requests_for(ids[0])), 2, "... after exactly two requests")
like(d.logtext(), r'sms=%s to=\+61412345602 carrier=api status=deferred retry=\d+s '
     r'detail="http: HTTP 500 internal trouble"' % ids[0], "... the 500 was logged as deferred")
is_(before - bal(), Decimal("0.058"), "... and charged once")
ledger_ok("after a 500")

# --- (c) a 429 with Retry-After: the next attempt waits that long -----------------------------
sms, st = send("After a 429.", "0412345603", {"status": 429, "headers": {"Retry-After": "4"},
                                              "body": '{"error":{"message":"slow down"}}'},
               {"status": 200, "body": '{"messages":[{"id":"MSG-0003"}]}'})
ids = [sms]
is_(st, "submitted", "429: the SMS is submitted in the end")
r = requests_for(ids[0])
gap = r[1].time - r[0].time if len(r) == 2 else 0
ok(gap >= 3.9, "... its second attempt came after the 4 s of Retry-After, not the 1-2 s "
   "back-off (%.1f s)" % gap)
like(d.logtext(), r'sms=%s .*status=deferred .*detail="http: HTTP 429 slow down"' % ids[0],
     "... the log shows the carrier's error text")
ledger_ok("after a 429")

# --- (d) a timeout, then accepted -------------------------------------------------------------
sms, st = send("After a timeout.", "0412345604",
               {"status": 200, "body": '{"messages":[{"id":"MSG-LATE"}]}', "delay": 4},
               {"status": 200, "body": '{"messages":[{"id":"MSG-0004"}]}'})
ids = [sms]
is_(st, "submitted", "timeout: the SMS is retried and submitted")
like(d.logtext(), r'sms=%s .*status=deferred .*detail="http: timed out: ' % ids[0],
     "... the first attempt was logged as timed out")
is_(sql("SELECT carrier_ref FROM sms WHERE id = %s" % ids[0]), "MSG-0004",
    "... the reference is the one of the answered attempt")
ledger_ok("after a timeout")

# --- (e) a dropped connection and a 401: deferred ---------------------------------------------
sms, st = send("After a drop and a 401.", "0412345605", {"close": True},
               {"status": 401, "body": '{"error":{"message":"bad key"}}'},
               {"status": 200, "body": '{"messages":[{"id":"MSG-0005"}]}'})
ids = [sms]
is_(st, "submitted",
    "a dropped connection, then 401 (credentials): deferred both times, then submitted")
like(d.logtext(), r'sms=%s .*status=deferred .*detail="http: HTTP 401 bad key"' % ids[0],
     "... the 401 was logged with the carrier's reason")
ledger_ok("after a 401")

# --- (f) 2xx with garbage: accepted without a reference, as documented ------------------------
before = bal()
sms, st = send("A garbage answer.", "0412345606",
               {"status": 200, "body": "<html>Welcome to nginx</html>"})
ids = [sms]
is_(st, "submitted", "200 with garbage: accepted (the carrier said yes; a retry would send it again)")
is_(len(requests_for(ids[0])), 1, "... sent once, not retried")
is_(sql("SELECT coalesce(carrier_ref, 'none') FROM sms WHERE id = %s" % ids[0]), "none",
    "... without a reference")
like(d.logtext(), r'sms=%s .*status=accepted detail="http: HTTP 200 malformed response, '
     r'accepted without a reference \(no messages.0.id\): <html>Welcome to nginx</html>"'
     % ids[0], "... the log says malformed response")
is_(before - bal(), Decimal("0.058"), "... and it is charged")
ledger_ok("after a malformed answer")

# --- (g) rejections: 400, and a 200 that only carries an error: voided, nothing charged --------
before = (bal(), bal("pending"), bal(account="acme"), bal(account="operator"))
carrier.script({"status": 400, "body": '{"error":{"message":"Invalid destination"}}'},
               {"status": 200, "body": '{"error":{"message":"Sender not allowed"}}'})
ids = queue("Rejected.", ["0412345607@sms.acme.test"])
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[0], "rejected"), "rejected",
    "400: rejected")
ids += queue("Rejected too.", ["0412345608@sms.acme.test"])
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[1], "rejected"), "rejected",
    "200 with only an error text: rejected")
is_([ctl_json("sms", "show", i)["reservation"] for i in ids], ["voided", "voided"],
    "... both reservations voided")
like(json.dumps(history(ids[0])), "Invalid destination", "... sms show says why (400)")
like(json.dumps(history(ids[1])), "Sender not allowed", "... sms show says why (200)")
is_((bal(), bal("pending"), bal(account="acme"), bal(account="operator")), before,
    "... every balance exactly as before: nothing charged, no margin paid")
is_(len(requests_for(ids[0])) + len(requests_for(ids[1])), 2, "... neither retried")
ledger_ok("after rejections")
is_(d.stop(), 0, "SIGTERM: exit 0")

# --- (h) connection refused: deferred, the reservation held -----------------------------------
closed = free_port()
refused = Dispatchd("refused", json_carrier(url="http://127.0.0.1:%d/v1/sms" % closed)).start()
ids = queue("Nobody listens.", ["0412345609@sms.acme.test"])
is_(wait_until("SELECT status = 'queued' AND attempts >= 1 FROM sms WHERE id = %s" % ids[0], "t"),
    "t", "connection refused: the SMS is deferred")
like(refused.logtext(), r'sms=%s .*status=deferred .*detail="http: connection failed: ' % ids[0],
     "... the log says the connection failed")
is_(ctl_json("sms", "show", ids[0])["reservation"], "pending", "... its reservation held")
is_(refused.stop(), 0, "SIGTERM: exit 0")
ok("pa:ss word" not in refused.logtext() + d.logtext() and
   "k3y-XYZ" not in refused.logtext() + d.logtext(), "no password or API key in any log")

# --- (i) form body (GET and POST) -------------------------------------------------------------
form = ("[carrier form]\ndriver = http\nurl = %s\nbody = %s\nsender = GwDefault\n"
        "response_id = message_id\nresponse_error = error\naccept_status = 200, 202\n"
        % (carrier.url("/form?key=abc"), FORM_BODY))
fd = Dispatchd("form", form).start()
carrier.script({"status": 202, "body": "status=ok&message_id=F%2D1"})
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[0], "submitted", 30), "submitted",
    "form carrier: the SMS deferred above is submitted")
r = requests_for(ids[0])
r = r[-1] if r else carrier.requests[-1]
is_((r.method, r.path, r.query), ("POST", "/form", {"key": "abc"}), "... a POST to the URL")
is_(r.headers.get("content-type"), "application/x-www-form-urlencoded", "... form-encoded")
is_(r.form(), {"msisdn": "61412345609", "sender": "AcmeSales", "message": "Nobody listens.",
               "client_ref": ids[0]}, "... the form arrives exactly")
is_(sql("SELECT carrier_ref FROM sms WHERE id = %s" % ids[0]), "F-1",
    "... the id read from a form-encoded answer")
is_(fd.stop(), 0, "SIGTERM: exit 0")
fd = Dispatchd("form-get", form + "method = GET\n").start()
carrier.script({"status": 200, "body": "message_id=G-1"})
ids = queue(TEXT, ["0412345610@sms.acme.test"])
is_(wait_until("SELECT status FROM sms WHERE id = %s" % ids[0], "submitted"), "submitted",
    "method = GET: submitted")
r = requests_for(ids[0]) or [carrier.requests[-1]]
is_((r[0].method, r[0].body), ("GET", b""), "... a GET without a body")
is_(r[0].query, {"key": "abc", "msisdn": "61412345610", "sender": "AcmeSales", "message": TEXT,
                 "client_ref": ids[0]}, "... the query arrives exactly, UTF-8 text intact")
is_(fd.stop(), 0, "SIGTERM: exit 0")
ledger_ok("after the form carrier")

# --- (j) receipts in the carrier's format -----------------------------------------------------
httpd = Daemon(HTTPD, "httpd", "http_listen = inet:127.0.0.1:%d\n" % HTTP_PORT + json_carrier())
httpd.start()
for _ in range(200):
    if "action=start" in httpd.logtext():
        break
    time.sleep(0.05)
else:
    bail("smsgate-httpd did not start: " + httpd.logtext()[-2000:])


def post(path, body, ctype):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (HTTP_PORT, path), data=body,
                                 headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


first = sql("SELECT id FROM sms WHERE carrier_ref = 'MSG-0001'")
receipt = json.dumps({"msg_id": "MSG-0001", "state": "DELIVRD"}).encode()
is_(post("/dlr/api/%s" % SECRET, receipt, "application/json"), 200,
    "a JSON receipt by the carrier's id: 200")
is_(status(first), "delivered", "... the SMS is delivered")
is_(post("/dlr/api/%s" % SECRET, receipt, "application/json"), 200, "the same receipt again: 200")
is_([h["status"] for h in history(first)].count("delivered"), 1, "... recorded once")
like(httpd.logtext(), r"dlr sms=%s ref=MSG-0001 carrier=api via=http status=delivered "
     r"result=duplicate" % first, "... logged as a duplicate")
second = sql("SELECT id FROM sms WHERE carrier_ref = 'MSG-0002'")
is_(post("/dlr/api/%s?smsgate_id=%s" % (SECRET, second), b"state=UNDELIV",
         "application/x-www-form-urlencoded"), 200, "a form receipt by our id (dlr_url's {id}): 200")
is_(status(second), "undeliverable", "... the SMS is undeliverable")
is_(post("/dlr/api/%s" % SECRET, b'{"state":"DELIVRD"}', "application/json"), 400,
    "a receipt without any id: 400")
is_(post("/dlr/api/wrong", receipt, "application/json"), 403, "a wrong secret: 403")
is_(httpd.stop(), 0, "smsgate-httpd: SIGTERM, exit 0")
ledger_ok("after the receipts")

carrier.stop()
c.close()
lmtpd.stop()
done()
