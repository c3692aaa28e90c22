"""milter_test.py - smsgate-milter against real PostgreSQL, driven by miltertest.

The real daemon on a Unix socket; each script under tests/milter/ drives
one set of callback paths with miltertest and checks the reply codes and
the header changes; the reply texts (miltertest sees them only at the end
of a message) are checked here in the daemon's log. Between scripts the
database is changed with smsgatectl, as a postmaster would: a suspended
account, a payer without funds; SIGUSR1 reloads insufficient_credit; a
second daemon with an unreachable database must answer 451, never accept.
"""
import os
import re
import signal
import socket
import subprocess
import time

from harness import (TMP, TOP_BUILDDIR, TOP_SRCDIR, Daemon, bail, ctl, diag, done, is_, like,
                     ok, sql, universe)

MILTER = os.path.join(TOP_BUILDDIR, "src/milter/smsgate-milter")
SCRIPTS = os.path.join(TOP_SRCDIR, "tests/milter")
RCPT = "0412345678@sms.acme.test"

if subprocess.run(["sh", "-c", "command -v miltertest"], capture_output=True).returncode:
    print("1..0 # SKIP miltertest is not installed (Debian: miltertest)")
    raise SystemExit(0)


class Milter(Daemon):
    """smsgate-milter in the foreground on a socket of its own."""

    def __init__(self, name, extra=""):
        self.sock = os.path.join(TMP, name + ".sock")
        Daemon.__init__(self, MILTER, name, "milter_listen = unix:%s\nauthserv_id = smsgate.test\n%s"
                        % (self.sock, extra))

    def start(self):
        Daemon.start(self)
        for _ in range(200):
            try:
                socket.socket(socket.AF_UNIX).connect(self.sock)
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        bail("smsgate-milter did not start: " + self.logtext()[-2000:])


def run(script, milter, **defs):
    """One miltertest script against a running milter; its output."""
    args = ["miltertest", "-D", "sock=unix:" + milter.sock,
            "-D", "lib=" + os.path.join(SCRIPTS, "common.lua")]
    for k, v in defs.items():
        args += ["-D", "%s=%s" % (k, v)]
    p = subprocess.run(args + ["-s", os.path.join(SCRIPTS, script)], capture_output=True,
                       text=True, timeout=120)
    good = ok(p.returncode == 0 and "all checks passed" in p.stdout,
              "miltertest %s%s" % (script, "".join(" %s=%s" % kv for kv in defs.items())))
    if not good:
        diag(p.stdout + p.stderr)
    return p.stdout


def logged(m, pattern, name):
    """A log line of the milter matches (the reply texts); the last lines when none does."""
    lines = m.logtext().splitlines()
    if not ok(any(re.search(pattern, l) for l in lines), name):
        diag("  want: /%s/" % pattern)
        diag("  last lines of the log:\n" + "\n".join(lines[-3:]))


# --- the universe: the rules each path needs --------------------------------------
universe("country=AU", "auth=sasl")
ctl("sender", "add", "@net.test", "acme-sales", "country=AU", "auth=network",
    "networks=192.0.2.0/24")
ctl("sender", "add", "@later.test", "acme-sales", "country=AU", "auth=sasl,dkim")
ctl("sender", "add", "@short.test", "acme-sales", "country=AU", "auth=sasl", "limit=1",
    "over_limit=refuse")
ctl("account", "add", "broke", "--parent", "acme", "--billing", "own")
ctl("sender", "add", "@broke.test", "broke", "country=AU", "auth=sasl")

m = Milter("milter").start()
p = subprocess.run([MILTER, "-n", "-c", m.conf], capture_output=True, text=True)
is_(p.returncode, 0, "smsgate-milter -n accepts the test's configuration")
like(p.stdout, r"configuration .* is valid", "... and says so")
p = subprocess.run([MILTER, "-n", "-c", m.conf + ".none"], capture_output=True, text=True)
is_(p.returncode, 78, "a missing configuration file: exit 78")

# --- RCPT ----------------------------------------------------------------------------
run("envelope.lua", m)
for to, what in (("0412345678@sms.nowhere.test", "a domain that is no SMS domain"),
                 ("bob@example.org", "a foreign domain"), ("postmaster", "a bare postmaster"),
                 ("root", "a local submission to root")):
    ok("to=<%s> client=" % to not in m.logtext(), "%s is not ours: not refused" % what)
logged(m, r"from=<mallory@evil\.test> action=stamp auth=- client=198\.51\.100\.20 ",
       "ordinary mail from a client without a sender rule is stamped, not refused")
logged(m, r"from=<cron@localhost\.test> action=stamp auth=- client=127\.0\.0\.1 ",
       "a local submission has Postfix's made-up client address 127.0.0.1")
logged(m, r'reply="550 5\.1\.3 <bob@sms\.acme\.test>: "bob" is not a phone number', "non-number: 550 5.1.3")
logged(m, r'reply="550 5\.1\.3 <0298765432@sms\.acme\.test>: .*fixed', "fixed line: 550 5.1.3")
logged(m, r'from=<mallory@evil\.test> .*reply="550 5\.7\.1 <%s>: mallory@evil\.test may not send SMS '
       r'through sms\.acme\.test \(no sender rule\)"' % re.escape(RCPT), "no sender rule: 550 5.7.1")
logged(m, r'from=<alice@acme\.test> .*reply="550 5\.7\.1 <%s>: sender alice@acme\.test is not '
       r'authenticated as its sender rule requires \(one of: sasl\)"' % re.escape(RCPT),
       "sasl rule without a login: 550 5.7.1")
logged(m, r'from=<printer@net\.test> to=<%s> client=203\.0\.113\.9 action=refuse reply="550 5\.7\.1 '
       % re.escape(RCPT), "network rule, client outside: 550 5.7.1")
ok("from=<printer@net.test> to=<%s> client=192.0.2.10 action=refuse" % RCPT not in m.logtext(),
   "network rule, client inside: accepted")

# --- the end of the message ---------------------------------------------------------
run("stamp.lua", m)
logged(m, r"queue_id=TESTQ1 from=<alice@acme\.test> action=stamp auth=alice client=192\.0\.2\.10 removed=1",
       "stamp logged with the forged field removed, and the queue id Postfix sends at the end")
run("length.lua", m)
logged(m, r'from=<alice@short\.test> action=refuse parts=2 reply="550 5\.3\.4 <%s>: message too long: '
       r'2 parts, the limit is 1"' % re.escape(RCPT), "over the part limit: 550 5.3.4 with the count")
is_(len(re.findall(r"from=<alice@short\.test> action=refuse", m.logtext())), 1,
    "... but not when a mailbox is among the recipients")
logged(m, r"queue_id=TESTQ1 from=<alice@short\.test> action=stamp",
       "... that message is stamped, with its queue id")

# --- the account and the money -------------------------------------------------------
ctl("account", "suspend", "acme-sales")
run("refused.lua", m, **{"from": "alice@acme.test"})
logged(m, r'reply="550 5\.7\.1 <%s>: account acme-sales is suspended"' % re.escape(RCPT),
       "suspended account: 550 5.7.1")
ctl("account", "resume", "acme-sales")
ctl("account", "suspend", "acme")
run("refused.lua", m, **{"from": "alice@acme.test"})
logged(m, r'reply="550 5\.7\.1 <%s>: account acme is not active"' % re.escape(RCPT),
       "suspended parent account: 550 5.7.1")
ctl("account", "resume", "acme")

run("refused.lua", m, **{"from": "alice@broke.test"})
logged(m, r'from=<alice@broke\.test> .*reply="552 5\.2\.2 <%s>: insufficient funds: broke cannot cover '
       % re.escape(RCPT), "no credit, insufficient_credit = refuse: 552 5.2.2")
m.write("milter_listen = unix:%s\nauthserv_id = smsgate.test\ninsufficient_credit = defer\n" % m.sock)
m.proc.send_signal(signal.SIGUSR1)
for _ in range(100):
    if "action=reload" in m.logtext():
        break
    time.sleep(0.05)
logged(m, r"action=reload", "SIGUSR1 reloads the configuration")
run("refused.lua", m, **{"from": "alice@broke.test"})
logged(m, r'from=<alice@broke\.test> .*reply="452 4\.2\.2 <%s>: insufficient funds' % re.escape(RCPT),
       "no credit, insufficient_credit = defer: 452 4.2.2")
ctl("account", "set", "acme-sales", "--daily-cap", "0.01")
run("refused.lua", m, **{"from": "alice@acme.test"})
logged(m, r'reply="452 4\.2\.2 <%s>: daily spending cap of acme-sales reached"' % re.escape(RCPT),
       "a daily cap that one part would pass: 452 4.2.2")
ctl("account", "set", "acme-sales", "--daily-cap", "none")

is_(sql("SELECT count(*) FROM sms"), "0", "the milter wrote no SMS")
is_(sql("SELECT count(*) FROM transfer WHERE kind = 'reserve'"), "0", "... and reserved nothing")

# --- the database down: a temporary failure, never an accept ---------------------------
down = Milter("milter-down", "database = host=%s/nonexistent dbname=x connect_timeout=2\n" % TMP)
down.start()
run("refused.lua", down, **{"from": "alice@acme.test"})
logged(down, r'reply="451 4\.3\.0 <%s>: temporary failure, please try again later"'
     % re.escape(RCPT), "database down: 451 4.3.0")

# --- SIGTERM -----------------------------------------------------------------------------
for d, name in ((m, "milter"), (down, "milter with the database down")):
    t0 = time.time()
    rc = d.stop(signal.SIGTERM)
    is_(rc, 0, "SIGTERM: %s exits 0" % name)
    ok(time.time() - t0 < 15, "... within seconds (%.1f s)" % (time.time() - t0))
    like(d.logtext(), r"action=stop", "... and logs action=stop")
    bad = [l for l in d.logtext().splitlines()
           if re.search(r"AddressSanitizer|LeakSanitizer|runtime error", l)]
    ok(not bad, "... with no sanitizer report in its log (a sanitizer build)")
    if bad:
        diag("\n".join(bad[:5]))
done()
