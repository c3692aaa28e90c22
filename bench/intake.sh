#!/bin/sh
# intake.sh - how fast smsgate-lmtpd turns mail into committed, paid SMS
#
# On one private PostgreSQL cluster with fsync on (durable commits):
#   1. pgbench running the same work as a bare three-statement transaction
#      (reserve on the payer's balance row, insert the SMS, insert the
#      ledger row), 16 clients: the baseline;
#   2. Postfix's smtp-source sending 1-recipient mails over 16 LMTP
#      connections to smsgate-lmtpd, which parses, cleans, prices, reserves
#      and commits each one;
#   3. 20 connections each carrying a 10 MB mail, sampling the daemon's RSS.
# Prints both rates, their ratio (goal: at least 70%) and the peak RSS
# (goal: under 64 MB).
#
# usage: bench/intake.sh [MAILS] [SECONDS]      (default 20000 mails, 20 s of pgbench)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mails=${1:-20000}
secs=${2:-20}
build=${BUILD:-$top/build}
ctl="$build/src/ctl/smsgatectl"
lmtpd="$build/src/lmtpd/smsgate-lmtpd"
[ -x "$lmtpd" ] || sh "$top/tools/build.sh" build
command -v smtp-source >/dev/null || { echo "intake.sh: smtp-source (Debian package postfix) is needed" >&2; exit 1; }

dir=$(mktemp -d /tmp/smsgate-bench.XXXXXX)
chmod 0755 "$dir"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    sh "$top/tests/pgtest.sh" stop "$dir/pg"
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM
# durable: fsync on, like production
db=$(PGTEST_FSYNC=on sh "$top/tests/pgtest.sh" start "$dir/pg")
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
cat >"$dir/smsgate.conf" <<CONF
database = $db
lmtp_listen = unix:$dir/lmtp.sock
user = nobody
lmtp_max_connections = 64
CONF
c() { "$ctl" -c "$dir/smsgate.conf" "$@" >/dev/null; }
c db migrate
c rate set operator 61 0.04
c account add acme --margin-percent 20
c account add acme-sales --parent acme --margin-fixed 0.01
c domain add sms.acme.test acme
c topup acme 1000000
c transfer acme acme-sales 900000
c sender add @acme.test acme-sales auth=address country=AU

echo "# $(nproc) CPUs; PostgreSQL fsync=on synchronous_commit=on; 16 clients"

# 1. pgbench baseline: the same three writes on their own tables
psql "$db" -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE b_account (id int PRIMARY KEY, balance bigint NOT NULL);
CREATE TABLE b_sms (id bigserial PRIMARY KEY, account_id int NOT NULL REFERENCES b_account (id),
    dest text NOT NULL, body text NOT NULL, status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON b_sms (status, created_at);
CREATE TABLE b_ledger (id bigserial PRIMARY KEY, account_id int NOT NULL REFERENCES b_account (id),
    sms_id bigint REFERENCES b_sms (id), amount bigint NOT NULL, key text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO b_account SELECT g, 1000000000000 FROM generate_series(1, 1) g;
SQL
cat >"$dir/txn.sql" <<'SQL'
BEGIN;
UPDATE b_account SET balance = balance - 58000 WHERE id = 1 AND balance >= 58000;
INSERT INTO b_sms (account_id, dest, body, status)
  VALUES (1, '61412345678', 'Meeting moved to 3pm.', 'queued') RETURNING id AS sms_id \gset
INSERT INTO b_ledger (account_id, sms_id, amount, key) VALUES (1, :sms_id, -58000, 'k' || :sms_id);
END;
SQL
pgbench_tps() {
    "$pgbin/pgbench" -h "$dir/pg" -U postgres -n -c 16 -j 2 -T "$secs" -f "$dir/txn.sql" smsgate 2>&1 |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
# the disk of a shared machine drifts: measure the baseline before and after, use the mean
pg_before=$(pgbench_tps)

# 2. smsgate-lmtpd fed by smtp-source
"$lmtpd" -f -c "$dir/smsgate.conf" 2>"$dir/lmtpd.log" &
pid=$!
for i in $(seq 100); do [ -S "$dir/lmtp.sock" ] && break; sleep 0.05; done
t0=$(date +%s.%N)
smtp-source -L -d -s 16 -m "$mails" -l 400 -f alice@acme.test -t 0412345678@sms.acme.test \
    "unix:$dir/lmtp.sock"
t1=$(date +%s.%N)
queued=$(psql "$db" -X -A -t -c "SELECT count(*) FROM sms")
rate=$(awk -v n="$queued" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
pg_after=$(pgbench_tps)
pgtps=$(awk -v a="$pg_before" -v b="$pg_after" 'BEGIN { printf "%.0f", (a + b) / 2 }')

# 3. memory: 20 connections, each a 10 MB mail
python3 - "$dir/lmtp.sock" "$pid" <<'PY' >"$dir/rss"
import base64, os, socket, sys, threading, time
path, pid = sys.argv[1], sys.argv[2]
blob = base64.encodebytes(os.urandom(7_600_000)).replace(b"\n", b"\r\n")
def mail(i):
    return (b"From: alice@acme.test\r\nSubject: big\r\nMessage-ID: <big%d@acme.test>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
            b"--B\r\nContent-Type: text/plain\r\n\r\nSee the attached report %d.\r\n"
            b"--B\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            % (i, i) + blob + b"--B--\r\n.\r\n")
peak = 0
def rss():
    with open("/proc/%s/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
    return 0
def send(i):
    s = socket.socket(socket.AF_UNIX); s.connect(path); f = s.makefile("rb")
    def r():
        line = f.readline()
        while line[3:4] == b"-":
            line = f.readline()
        return line
    r(); s.sendall(b"LHLO bench\r\n"); r()
    s.sendall(b"MAIL FROM:<alice@acme.test>\r\n"); r()
    s.sendall(b"RCPT TO:<0412345678@sms.acme.test>\r\n"); r()
    s.sendall(b"DATA\r\n"); r()
    m = mail(i)
    for o in range(0, len(m), 65536):
        s.sendall(m[o:o + 65536])
    r(); s.sendall(b"QUIT\r\n"); s.close()
ts = [threading.Thread(target=send, args=(i,)) for i in range(20)]
for t in ts: t.start()
while any(t.is_alive() for t in ts):
    peak = max(peak, rss()); time.sleep(0.01)
print(peak // 1024)
PY
kill "$pid"; wait "$pid" 2>/dev/null || true
pid=
printf 'pgbench (3-statement txn, 16 clients):  %8.0f tps  (before %s, after %s)\n' "$pgtps" "$pg_before" "$pg_after"
printf 'smsgate-lmtpd (16 LMTP connections):    %8s SMS/s  (%s mails queued)\n' "$rate" "$queued"
awk -v a="$rate" -v b="$pgtps" 'BEGIN { printf "ratio:                                   %7.0f%%  (goal: >= 70%%)\n", 100 * a / b }'
printf 'peak RSS, 20 x 10 MB mails:              %8s MB  (goal: < 64 MB)\n' "$(cat "$dir/rss")"
