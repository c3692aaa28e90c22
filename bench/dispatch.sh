#!/bin/sh
# dispatch.sh - how fast smsgate-dispatchd empties a full queue into Kannel
#
# A private PostgreSQL (fsync on) with MAILS SMS queued (each reserved
# through sg_intake, as intake does), a private Kannel (bearerbox, smsbox,
# fakesmsc), and smsgate-dispatchd with the kannel driver: SMS per second
# from the first claim to the last settlement, batches of 1000, INFLIGHT
# requests at once. Beside it, in the same run, wrk against the same
# sendsms URL with the same parameters (2 threads, INFLIGHT connections,
# 10 s): what Kannel itself takes. Goal: at least 50%. Everything shares
# the machine's CPUs: PostgreSQL's work for each SMS (claim, settlement)
# competes with Kannel's, which wrk does not have to.
#
# usage: [INFLIGHT=32] [KANNEL_PORT=23000] bench/dispatch.sh [MAILS]   (default 20000)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mails=${1:-20000}
inflight=${INFLIGHT:-32}
build=${BUILD:-$top/build}
ctl="$build/src/ctl/smsgatectl"
dispatchd="$build/src/dispatchd/smsgate-dispatchd"
[ -x "$dispatchd" ] || sh "$top/tools/build.sh" build
command -v wrk >/dev/null || { echo "dispatch.sh: wrk (Debian package wrk) is needed" >&2; exit 1; }

dir=$(mktemp -d /tmp/smsgate-bench.XXXXXX)
chmod 0755 "$dir"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    bash "$top/tests/kannel.sh" stop "$dir/kannel" >/dev/null 2>&1 || true
    sh "$top/tests/pgtest.sh" stop "$dir/pg"
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM
db=$(PGTEST_FSYNC=on sh "$top/tests/pgtest.sh" start "$dir/pg")
KANNEL_LOGLEVEL=2 bash "$top/tests/kannel.sh" start "$dir/kannel" >/dev/null
. "$dir/kannel/kannel.env"
cat >"$dir/smsgate.conf" <<CONF
database = $db
user = nobody
dispatch_batch = 1000

[carrier kannel]
driver = kannel
url = $KANNEL_URL
username = $KANNEL_USERNAME
password = $KANNEL_PASSWORD
max_in_flight = $inflight
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
# the queue, filled the way intake fills it: a reservation and an SMS each
psql "$db" -X -q -v ON_ERROR_STOP=1 -c "
SELECT count(*) FROM (SELECT sg_intake('bench:' || g, a.id, '61412345678', '61', 1,
    ARRAY[a.id, p.id, 1], '{58000,48000,40000}', p.id, r.id, 'alice@acme.test', NULL,
    'Meeting moved to 3pm, bench ' || g, 'gsm7', false, 'failed', '', '', '', 172800)
  FROM generate_series(1, $mails) g, account a, account p, sender_rule r
 WHERE a.handle = 'acme-sales' AND p.handle = 'acme') x" >/dev/null

echo "# $(nproc) CPUs; $mails SMS queued; Kannel 1.4.5 with its fake SMSC"
t0=$(date +%s.%N)
"$dispatchd" -f -c "$dir/smsgate.conf" 2>"$dir/dispatchd.log" &
pid=$!
while [ "$(psql "$db" -X -A -t -c "SELECT count(*) FROM sms WHERE status <> 'submitted'")" != 0 ]; do
    sleep 0.2
done
t1=$(date +%s.%N)
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
rate=$(awk -v n="$mails" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
url="$KANNEL_URL?username=$KANNEL_USERNAME&password=$KANNEL_PASSWORD&to=%2B61412345678&text=Meeting+moved+to+3pm&charset=UTF-8&coding=0"
wrkrate=$(wrk -t2 -c$inflight -d10s "$url" 2>&1 | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
printf 'smsgate-dispatchd -> Kannel sendsms:  %8s SMS/s\n' "$rate"
printf 'wrk -> the same sendsms URL:          %8.0f req/s\n' "$wrkrate"
awk -v a="$rate" -v b="$wrkrate" 'BEGIN { printf "ratio:                                %7.0f%%  (goal: >= 50%%)\n", 100 * a / b }'
