"""harness.py - what the Python functional tests share.

TAP output, smsgatectl and psql as a user runs them, a real smsgate-lmtpd
started on a Unix socket in the test's directory, and a small LMTP client
that reads one reply per accepted recipient after DATA (RFC 2033), which
Python's smtplib does not do. Everything runs against the private database
that tests/run-test started (SMSGATE_DB, SMSGATE_CONF, SMSGATE_TMP).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

TMP = os.environ.get("SMSGATE_TMP", "/tmp")
DB = os.environ.get("SMSGATE_DB", "")
CONF = os.environ.get("SMSGATE_CONF", "")
CTL = os.environ.get("SMSGATECTL", "smsgatectl")
TOP_SRCDIR = os.environ.get("top_srcdir", ".")
TOP_BUILDDIR = os.environ.get("top_builddir", ".")
LMTPD = os.path.join(TOP_BUILDDIR, "src/lmtpd/smsgate-lmtpd")
DISPATCHD = os.path.join(TOP_BUILDDIR, "src/dispatchd/smsgate-dispatchd")

_n = 0
_failed = 0


def ok(cond, name):
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", _n, name), flush=True)
    return cond


def diag(text):
    for line in str(text).splitlines():
        print("# " + line, flush=True)


def is_(got, want, name):
    good = ok(got == want, name)
    if not good:
        diag("  got:  %r" % (got,))
        diag("  want: %r" % (want,))
    return good


def like(got, pattern, name):
    import re
    good = ok(got is not None and re.search(pattern, got) is not None, name)
    if not good:
        diag("  got:  %r" % (got,))
        diag("  want: /%s/" % pattern)
    return good


def done():
    print("1..%d" % _n, flush=True)
    sys.exit(1 if _failed else 0)


def bail(why):
    print("Bail out! " + why, flush=True)
    sys.exit(1)


def ctl(*args, check=True):
    """Run smsgatectl; stdout, or bail out when it fails and check is set."""
    p = subprocess.run([CTL, "-c", CONF] + list(args), capture_output=True, text=True)
    if check and p.returncode != 0:
        bail("smsgatectl %s: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout if check else p


def ctl_json(*args):
    return json.loads(ctl("--json", *args))


def sql(query):
    """One value (or rows of values joined by |) from psql."""
    p = subprocess.run(["psql", DB, "-X", "-A", "-t", "-q", "-c", query],
                       capture_output=True, text=True)
    if p.returncode != 0:
        bail("psql: " + p.stderr.strip())
    return p.stdout.strip()


class Lmtpd:
    """A real smsgate-lmtpd in the foreground, its log in a file."""

    def __init__(self, extra=""):
        self.sock = os.path.join(TMP, "lmtp.sock")
        self.conf = os.path.join(TMP, "lmtpd.conf")
        self.log = os.path.join(TMP, "lmtpd.log")
        with open(CONF) as f:
            base = f.read()
        user = "nobody" if os.geteuid() == 0 else ""
        with open(self.conf, "w") as f:
            f.write(base)
            f.write("lmtp_listen = unix:%s\n" % self.sock)
            if user:
                f.write("user = %s\n" % user)
            f.write("authserv_id = smsgate.test\n")
            f.write(extra)
        self.proc = None

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.logf = open(self.log, "a")
        self.proc = subprocess.Popen([LMTPD, "-f", "-c", self.conf],
                                     stdout=self.logf, stderr=self.logf)
        for _ in range(200):
            if os.path.exists(self.sock):
                try:
                    socket.socket(socket.AF_UNIX).connect(self.sock)
                    return self
                except OSError:
                    pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        bail("smsgate-lmtpd did not start: " + open(self.log).read()[-2000:])

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()


class Client:
    """A minimal LMTP client that speaks exactly what the test says."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(60)
        self.s.connect(path)
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def reply(self):
        """One reply, multi-line joined with newlines."""
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return "\n".join(lines)

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def transaction(self, mail_from, rcpts, message):
        """MAIL, RCPTs, DATA; returns (rcpt replies, data replies)."""
        r = self.cmd("MAIL FROM:<%s>" % mail_from)
        if not r.startswith("250"):
            return [r], []
        rr = [self.cmd("RCPT TO:<%s>" % a) for a in rcpts]
        accepted = sum(1 for x in rr if x.startswith("250"))
        if accepted == 0:
            self.cmd("RSET")
            return rr, []
        r = self.cmd("DATA")
        if not r.startswith("354"):
            return rr, [r]
        self.send(dot_stuff(message) + b".\r\n")
        return rr, [self.reply() for _ in range(accepted)]

    def close(self):
        try:
            self.cmd("QUIT")
        except (OSError, EOFError):
            pass
        self.s.close()


def dot_stuff(message):
    if isinstance(message, str):
        message = message.encode()
    message = message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    lines = message.split(b"\r\n")
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)


def mail(subject, body, frm="alice@acme.test", extra_headers="", message_id=None):
    """A plain mail as a simple client would send it."""
    message_id = message_id or "<%f@acme.test>" % time.time()
    return ("Received: from client.acme.test by mx.smsgate.test with ESMTPSA id %x\n"
            "From: Alice <%s>\nTo: sms\nSubject: %s\nMessage-ID: %s\n"
            "Date: Fri, 4 Dec 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n%s\n%s\n"
            % (int(time.time() * 1e6), frm, subject, message_id, extra_headers, body))


def sasl_pass(login="alice@acme.test"):
    """The stamp smsgate-milter (authserv-id smsgate.test) adds for a SASL login."""
    return "Authentication-Results: smsgate.test; auth=pass smtp.auth=%s\n" % login


def universe(*rule):
    """operator -> acme (reseller, 20%) -> acme-sales (own, +0.01); domain sms.acme.test;
    a rule for @acme.test with the given settings (default: country=AU)."""
    ctl("rate", "set", "operator", "61", "0.05")
    ctl("rate", "set", "operator", "614", "0.04")
    ctl("account", "add", "acme", "--margin-percent", "20")
    ctl("account", "add", "acme-sales", "--parent", "acme", "--margin-fixed", "0.01")
    ctl("domain", "add", "sms.acme.test", "acme")
    ctl("topup", "acme", "100", "--ref", "INV-1")
    ctl("transfer", "acme", "acme-sales", "10")
    ctl("sender", "add", "@acme.test", "acme-sales", *(rule or ("country=AU",)))


def queuer(client, sender="alice@acme.test"):
    """queue(text, rcpts): one mail through smsgate-lmtpd; the ids of the SMS queued."""
    def queue(text, rcpts):
        _, dr = client.transaction(sender, rcpts, mail("", text))
        return [r.split()[4] for r in dr if r.startswith("250")]
    return queue


def wait_until(query, want, seconds=20):
    """Poll a query until it gives want; its last value."""
    t0 = time.time()
    while time.time() - t0 < seconds:
        got = sql(query)
        if got == want:
            return got
        time.sleep(0.1)
    return sql(query)


def write_conf(path, extra):
    """The test's smsgate.conf, the unprivileged user when root, then extra."""
    with open(CONF) as f:
        base = f.read()
    with open(path, "w") as f:
        f.write(base + ("user = nobody\n" if os.geteuid() == 0 else "") + extra)


class Daemon:
    """A daemon in the foreground with its own configuration file and log."""

    def __init__(self, prog, name, extra=""):
        self.prog = prog
        self.conf = os.path.join(TMP, "%s.conf" % name)
        self.log = os.path.join(TMP, "%s.log" % name)
        self.write(extra)
        self.proc = None

    def write(self, extra):
        write_conf(self.conf, extra)

    def start(self):
        self.proc = subprocess.Popen([self.prog, "-f", "-c", self.conf],
                                     stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        return self

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.proc.wait(30)

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()


class Dispatchd(Daemon):
    """smsgate-dispatchd with quick retries and the given [carrier] sections."""

    def __init__(self, name, carriers):
        Daemon.__init__(self, DISPATCHD, "dispatchd-" + name, carriers)

    def write(self, carriers):
        write_conf(self.conf, "dispatch_batch = 50\nretry_min = 1\nretry_max = 2\n" + carriers)
