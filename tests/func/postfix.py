"""postfix.py - a private Postfix, Dovecot's SASL service and smsgate-milter for the tests.

Postfix runs as a throwaway instance of its own: every file under one base
directory (etc/ is its config_directory, spool/ its queue_directory, data/
its data_directory, log/maillog its log, written by postlogd because there
is no syslog in CI). The system's /etc/postfix and /var/spool/postfix are
never read or written, so a system Postfix may run beside it. Its master.cf
runs every service with chroot "n": the LMTP, milter and SASL sockets are
absolute paths outside the queue directory, and a chrooted daemon would look
for them inside it.

Dovecot runs with no mail protocol at all, only its auth service, checking
logins against a passwd-file and answering Postfix (smtpd_sasl_type =
dovecot) on a Unix socket.

Both need root (Postfix's master, Dovecot's privilege separation); every
process started here is stopped by its own process id.

Also a small command-line interface for the shell benchmarks:
    python3 postfix.py start BASE PORT NEXTHOP [MILTER]   (MILTER "none": no milter)
    python3 postfix.py stop BASE
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

SMS_DOMAIN = "sms.acme.test"


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _backdate(*paths):
    # Postfix will not use a configuration or table file changed in the last
    # couple of seconds: it waits for the file to "settle down", which costs
    # about 2 s per start. Files written by a program do not need that.
    t = time.time() - 60
    for p in paths:
        os.utime(p, (t, t))


def _wait_pid_gone(pid, seconds):
    t0 = time.time()
    while time.time() - t0 < seconds:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


class Postfix:
    """A private Postfix instance under base.

    nexthop  where mail for the SMS domain goes, as the smsgate transport of
             master.cf sees it: "unix:/path" or "inet:127.0.0.1:port"
    milter   smtpd_milters ("unix:/path"), or None
    sasl     the Dovecot auth socket for smtpd_sasl_path, or None
    """

    def __init__(self, base, port, nexthop, milter=None, sasl=None, domain=SMS_DOMAIN, extra=""):
        self.base = os.path.abspath(base)
        self.port = port
        self.etc = os.path.join(self.base, "etc")
        self.spool = os.path.join(self.base, "spool")
        self.maillog = os.path.join(self.base, "log", "maillog")
        self.nexthop = nexthop
        self.milter = milter
        self.sasl = sasl
        self.domain = domain
        self.extra = extra
        self.pid = None

    # --- configuration -----------------------------------------------------
    def main_cf(self):
        b = self.base
        lines = [
            "compatibility_level = 3.6",
            "queue_directory = %s/spool" % b,
            "data_directory = %s/data" % b,
            "mail_owner = postfix",
            "setgid_group = postdrop",
            # no syslog: postlogd writes the log, under an allowed prefix
            "maillog_file = %s/log/maillog" % b,
            "maillog_file_prefixes = %s/log" % b,
            "myhostname = mx.smsgate.test",
            "mydomain = smsgate.test",
            "myorigin = $myhostname",
            # nothing is delivered locally and nothing leaves the machine:
            # the SMS domain is the only destination that goes anywhere
            "mydestination =",
            "local_transport = error:5.1.1 no local delivery in this test instance",
            "default_transport = error:5.7.1 this test instance delivers to %s only" % self.domain,
            "alias_maps =",
            "alias_database =",
            "biff = no",
            "append_dot_mydomain = no",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.1/32",
            "smtp_host_lookup = native",
            "lmtp_host_lookup = native",
            "smtpd_peername_lookup = no",
            # what conf/postfix/main.cf asks a postmaster to add
            "relay_domains = %s" % self.domain,
            "transport_maps = texthash:%s/etc/transport" % b,
            "lmtp_send_xforward_command = yes",
            "smsgate_destination_concurrency_limit = 16",
            "smsgate_destination_recipient_limit = 200",
            # deferred mail is retried within seconds, not minutes
            "queue_run_delay = 2s",
            "minimal_backoff_time = 2s",
            "maximal_backoff_time = 4s",
            "delay_warning_time = 0",
        ]
        if self.milter:
            lines += [
                "smtpd_milters = %s" % self.milter,
                "non_smtpd_milters = $smtpd_milters",
                "milter_default_action = tempfail",
                "milter_protocol = 6",
            ]
        if self.sasl:
            lines += [
                "smtpd_sasl_auth_enable = yes",
                "smtpd_sasl_type = dovecot",
                # absolute: the smtpd is not chrooted (a relative path is
                # taken from the queue directory)
                "smtpd_sasl_path = %s" % self.sasl,
                "smtpd_sasl_security_options = noanonymous",
                "smtpd_sasl_authenticated_header = no",
            ]
        return "\n".join(lines) + "\n" + self.extra

    def master_cf(self):
        # name, type, private, wakeup, maxproc, command; unpriv "-" and
        # chroot "n" for all
        services = [
            ("127.0.0.1:%d" % self.port, "inet", "n", "-", "-", "smtpd"),
            ("pickup", "unix", "n", "60", "1", "pickup"),
            ("cleanup", "unix", "n", "-", "0", "cleanup"),
            ("qmgr", "unix", "n", "300", "1", "qmgr"),
            ("rewrite", "unix", "-", "-", "-", "trivial-rewrite"),
            ("bounce", "unix", "-", "-", "0", "bounce"),
            ("defer", "unix", "-", "-", "0", "bounce"),
            ("trace", "unix", "-", "-", "0", "bounce"),
            ("verify", "unix", "-", "-", "1", "verify"),
            ("flush", "unix", "n", "1000?", "0", "flush"),
            ("proxymap", "unix", "-", "-", "-", "proxymap"),
            ("proxywrite", "unix", "-", "-", "1", "proxymap"),
            ("smtp", "unix", "-", "-", "-", "smtp"),
            ("relay", "unix", "-", "-", "-", "smtp"),
            ("showq", "unix", "n", "-", "-", "showq"),
            ("error", "unix", "-", "-", "-", "error"),
            ("retry", "unix", "-", "-", "-", "error"),
            ("discard", "unix", "-", "-", "-", "discard"),
            ("lmtp", "unix", "-", "-", "-", "lmtp"),
            ("anvil", "unix", "-", "-", "1", "anvil"),
            ("scache", "unix", "-", "-", "1", "scache"),
            ("postlog", "unix-dgram", "n", "-", "1", "postlogd"),
            # the LMTP client of conf/postfix/master.cf
            ("smsgate", "unix", "-", "-", "-", "lmtp"),
        ]
        out = ["# service type private unpriv chroot wakeup maxproc command"]
        for name, kind, private, wakeup, maxproc, cmd in services:
            out.append("%-16s %-10s %-2s - n %-6s %-3s %s" % (name, kind, private, wakeup, maxproc, cmd))
        out.append("  -o syslog_name=postfix/smsgate")  # (the smsgate service, last)
        return "\n".join(out) + "\n"

    def write(self):
        b = self.base
        for d, mode in ((b, 0o755), (self.etc, 0o755), (self.spool, 0o755),
                        (os.path.join(b, "log"), 0o755)):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, mode)
        data = os.path.join(b, "data")
        os.makedirs(data, exist_ok=True)
        shutil.chown(data, "postfix")
        os.chmod(data, 0o700)
        # the queue directories with Postfix's owners and modes: when they
        # are missing, "postfix start" runs post-install to make them,
        # which costs seconds
        for d in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
                  "incoming", "private", "saved", "trace"):
            self._dir(d, "postfix", "root", 0o700)
        self._dir("maildrop", "postfix", "postdrop", 0o730)
        self._dir("public", "postfix", "postdrop", 0o710)
        self._dir("pid", "root", "root", 0o755)
        files = {"main.cf": self.main_cf(), "master.cf": self.master_cf(),
                 "transport": "%s smsgate:%s\n" % (self.domain, self.nexthop)}
        for name, text in files.items():
            with open(os.path.join(self.etc, name), "w") as f:
                f.write(text)
        _backdate(*[os.path.join(self.etc, n) for n in files])

    def _dir(self, name, user, group, mode):
        p = os.path.join(self.spool, name)
        os.makedirs(p, exist_ok=True)
        shutil.chown(p, user, group)
        os.chmod(p, mode)

    # --- running -------------------------------------------------------------
    def postfix(self, *args, check=True):
        p = subprocess.run(["postfix", "-c", self.etc] + list(args), capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError("postfix %s: %s" % (" ".join(args), p.stderr.strip()))
        return p

    def start(self):
        self.write()
        self.postfix("check")
        self.postfix("start")
        pidf = os.path.join(self.spool, "pid", "master.pid")
        for _ in range(200):
            try:
                self.pid = int(open(pidf).read().strip())
                with socket.create_connection(("127.0.0.1", self.port), 1):
                    return self
            except (OSError, ValueError):
                time.sleep(0.05)
        raise RuntimeError("Postfix did not start: " + self.logtail())

    def reload(self):
        self.write()
        self.postfix("reload")

    def stop(self):
        """Stop master (and with it every Postfix daemon); by its pid."""
        if not self.pid:
            pidf = os.path.join(self.spool, "pid", "master.pid")
            try:
                self.pid = int(open(pidf).read().strip())
            except (OSError, ValueError):
                return
        self.postfix("stop", check=False)
        if not _wait_pid_gone(self.pid, 10):
            self.postfix("abort", check=False)
            if not _wait_pid_gone(self.pid, 3):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.pid = None

    # --- looking at it -------------------------------------------------------
    def log(self, since=0):
        """The maillog from byte offset since."""
        try:
            with open(self.maillog, "rb") as f:
                f.seek(since)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def logsize(self):
        try:
            return os.path.getsize(self.maillog)
        except FileNotFoundError:
            return 0

    def logtail(self, n=30):
        return "\n".join(self.log().splitlines()[-n:])

    def queue(self):
        """The messages in the queue, as postqueue -j lists them."""
        p = subprocess.run(["postqueue", "-c", self.etc, "-j"], capture_output=True, text=True)
        return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]

    def flush(self):
        subprocess.run(["postqueue", "-c", self.etc, "-f"], capture_output=True)

    def wait_empty(self, seconds=60):
        """Wait until the queue is empty; whether it is."""
        t0 = time.time()
        while time.time() - t0 < seconds:
            if not self.queue():
                return True
            time.sleep(0.2)
        return not self.queue()

    def wait_log(self, pattern, since=0, count=1, seconds=60):
        """Wait until pattern matches count lines of the log after since; the lines."""
        rx = re.compile(pattern)
        t0 = time.time()
        while True:
            lines = [l for l in self.log(since).splitlines() if rx.search(l)]
            if len(lines) >= count or time.time() - t0 > seconds:
                return lines
            time.sleep(0.1)


class Dovecot:
    """Dovecot with only its auth service: a passwd-file, and a socket for Postfix."""

    def __init__(self, base, users):
        self.dir = os.path.abspath(base)
        self.socket = os.path.join(self.dir, "auth")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.log = os.path.join(self.dir, "dovecot.log")
        self.users = users
        self.proc = None

    def write(self):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        passwd = os.path.join(self.dir, "users")
        with open(passwd, "w") as f:
            for login, password in self.users.items():
                f.write("%s:{PLAIN}%s::::::\n" % (login, password))
        # read by the auth process, which runs as user dovecot
        os.chmod(passwd, 0o644)
        d = self.dir
        with open(self.conf, "w") as f:
            f.write("""# no IMAP, no POP3: the master runs only what auth needs
protocols = none
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
# Postfix's smtpd hands over what the client sent in the clear: this is a
# loopback test (a real server offers AUTH only after STARTTLS)
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
service auth {{
  unix_listener {d}/auth {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
""".format(d=d))

    def start(self):
        self.write()
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", self.conf],
                                     stdout=open(os.path.join(self.dir, "dovecot.out"), "a"),
                                     stderr=subprocess.STDOUT)
        for _ in range(200):
            if os.path.exists(self.socket):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("dovecot did not start: " + open(os.path.join(self.dir, "dovecot.out")).read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Milter:
    """smsgate-milter in the foreground, listening on a Unix socket under dir."""

    def __init__(self, prog, dir, conf_text):
        self.prog = prog
        self.sock = os.path.join(dir, "milter.sock")
        self.conf = os.path.join(dir, "milter.conf")
        self.log = os.path.join(dir, "milter.log")
        with open(self.conf, "w") as f:
            f.write(conf_text + "milter_listen = unix:%s\n" % self.sock)
        self.proc = None

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen([self.prog, "-f", "-c", self.conf],
                                     stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
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
        raise RuntimeError("smsgate-milter did not start: " + self.logtext()[-2000:])

    def stop(self):
        """SIGTERM; the exit status."""
        # libmilter polls its listening socket every few seconds: allow it
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()


def swaks(port, *args, local=None):
    """Run swaks against 127.0.0.1:port from the address local; (exit status, transcript)."""
    cmd = ["swaks", "--server", "127.0.0.1:%d" % port, "--helo", "client.acme.test",
           "--timeout", "60"]
    if local:
        cmd += ["--local-interface", local]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def rcpt_replies(transcript):
    """{recipient: its RCPT reply} from a swaks transcript."""
    out = {}
    rcpt = None
    for line in transcript.splitlines():
        m = re.match(r"^ -> RCPT TO:<([^>]*)>", line)
        if m:
            rcpt = m.group(1)
            continue
        m = re.match(r"^(<-|<\*\*) +(\d{3}.*)$", line)
        if m and rcpt:
            out[rcpt] = m.group(2)
            rcpt = None
    return out


def queued_as(transcript):
    """Postfix's queue id from a swaks transcript, or None."""
    m = re.search(r"<-  250 [^\n]*queued as ([0-9A-Za-z]+)", transcript)
    return m.group(1) if m else None


def _main(argv):
    if len(argv) >= 5 and argv[1] == "start":
        milter = argv[5] if len(argv) > 5 and argv[5] != "none" else None
        pf = Postfix(argv[2], int(argv[3]), argv[4], milter=milter,
                     domain=os.environ.get("SMS_DOMAIN", SMS_DOMAIN),
                     extra=os.environ.get("POSTFIX_EXTRA", "").replace("\\n", "\n"))
        pf.start()
        print(pf.pid)
        return 0
    if len(argv) == 3 and argv[1] == "stop":
        Postfix(argv[2], 0, "").stop()
        return 0
    sys.stderr.write("usage: postfix.py start BASE PORT NEXTHOP [MILTER|none] | stop BASE\n")
    return 64


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
