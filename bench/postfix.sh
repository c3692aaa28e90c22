#!/bin/sh
# postfix.sh - mails per second through Postfix with smsgate, next to the same
# Postfix delivering to Postfix's own smtp-sink
#
# One private Postfix instance (tests/func/postfix.py), configured like the
# functional test and conf/postfix/: the SMS domain on the "smsgate" lmtp
# transport (16 deliveries at once), lmtp_send_xforward_command on. Postfix's
# smtp-source sends MAILS one-recipient mails over SESSIONS SMTP sessions
# (each session sends mail after mail, -d),
# and a run ends when Postfix's log shows the last of them delivered
# (status=sent), not when they were submitted. Runs, alternated ROUNDS times
# so that the drift of a shared machine hits both sides alike:
#   sink     the transport delivers to "smtp-sink -L" (an LMTP server that
#            answers 250 to everything and stores nothing): what this Postfix
#            can do on this machine, the baseline;
#   smsgate  smtpd_milters = smsgate-milter, and the transport delivers to
#            smsgate-lmtpd, on a private PostgreSQL with fsync on (durable
#            commits, as in production): every mail becomes an SMS with its
#            charge reserved.
# Prints the rate of each run, the mean of each side and their ratio. Goal:
# at least 90% (smsgate must not be what slows Postfix down). Without a built
# smsgate-milter the smsgate side runs without the milter, and says so.
#
# usage: bench/postfix.sh [MAILS] [SESSIONS] [ROUNDS]   (default 5000 8 2)
# SMSGATE_CONF_EXTRA: lines added to the smsgate.conf of both daemons;
# SMSGATE_MILTER=no: the smsgate side without the milter (to see its share).
# Needs root (Postfix's master), and the Debian package postfix.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mails=${1:-5000}
sessions=${2:-8}
rounds=${3:-2}
build=${BUILD:-$top/build}
ctl="$build/src/ctl/smsgatectl"
lmtpd="$build/src/lmtpd/smsgate-lmtpd"
milter="$build/src/milter/smsgate-milter"
[ -x "$lmtpd" ] || sh "$top/tools/build.sh" build
[ "$(id -u)" = 0 ] || { echo "postfix.sh: needs root (a private Postfix)" >&2; exit 1; }
command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null ||
    { echo "postfix.sh: smtp-source and smtp-sink (Debian package postfix) are needed" >&2; exit 1; }
pf() { python3 "$top/tests/func/postfix.py" "$@"; }

dir=$(mktemp -d /tmp/smsgate-bench.XXXXXX)
chmod 0755 "$dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
lpid= mpid= spid=
stop_all() {
    pf stop "$dir/pf" >/dev/null 2>&1 || true
    for p in $spid $lpid $mpid; do kill "$p" 2>/dev/null || true; done
    for p in $spid $lpid $mpid; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
    done
    lpid= mpid= spid=
}
cleanup() {
    stop_all
    sh "$top/tests/pgtest.sh" stop "$dir/pg"
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM
db=$(PGTEST_FSYNC=on sh "$top/tests/pgtest.sh" start "$dir/pg")
cat >"$dir/smsgate.conf" <<CONF
database = $db
user = nobody
lmtp_listen = unix:$dir/lmtp.sock
lmtp_max_connections = 64
authserv_id = smsgate.test
${SMSGATE_CONF_EXTRA:-}
CONF
# (a file of its own: a build without the milter does not know its keys)
{ cat "$dir/smsgate.conf"; echo "milter_listen = unix:$dir/milter.sock"; } >"$dir/milter.conf"
c() { "$ctl" -c "$dir/smsgate.conf" "$@" >/dev/null; }
c db migrate 2>/dev/null
c rate set operator 61 0.04
c account add acme --margin-percent 20
c account add acme-sales --parent acme --margin-fixed 0.01
c domain add sms.acme.test acme
c topup acme 10000000
c transfer acme acme-sales 9000000
# smtp-source connects from 127.0.0.1: the office network of this rule
c sender add @acme.test acme-sales auth=network networks=127.0.0.1/32 country=AU

have_milter=no
[ -x "$milter" ] && [ "${SMSGATE_MILTER:-yes}" != no ] && have_milter=yes

wait_sock() {
    i=0
    while [ ! -S "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    [ -S "$1" ] || { echo "postfix.sh: $1 did not appear" >&2; exit 1; }
}
# cpu_of PID - user + system CPU seconds of a running process (0 when none)
cpu_of() {
    awk -v hz="$(getconf CLK_TCK)" '{ t = $0; sub(/^.*\) /, "", t); split(t, f, " ")
        printf "%.1f", (f[12] + f[13]) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# pg_cpu - CPU seconds of the PostgreSQL server and its live backends
pg_cpu() {
    pm=$(head -n 1 "$dir/pg/data/postmaster.pid")
    for p in $pm $(pgrep -P "$pm"); do cpu_of "$p"; echo; done | awk '{ s += $1 } END { printf "%.1f", s }'
}
sent() { grep -c 'status=sent' "$dir/pf/log/maillog" 2>/dev/null || true; }
now() { date +%s.%N; }

# run SIDE - one run; prints "SIDE RATE"
run() {
    side=$1
    if [ "$side" = sink ]; then
        rm -f "$dir/sink.sock"
        # as root smtp-sink must be told whom to become; the socket must be
        # writable by Postfix's lmtp client (user postfix)
        (umask 0; exec smtp-sink -L -u postfix "unix:$dir/sink.sock" 1024) &
        spid=$!
        wait_sock "$dir/sink.sock"
        pf start "$dir/pf" "$port" "unix:$dir/sink.sock" none >/dev/null
    else
        "$lmtpd" -f -c "$dir/smsgate.conf" 2>>"$dir/lmtpd.log" &
        lpid=$!
        wait_sock "$dir/lmtp.sock"
        m=none
        if [ $have_milter = yes ]; then
            "$milter" -f -c "$dir/milter.conf" 2>>"$dir/milter.log" &
            mpid=$!
            wait_sock "$dir/milter.sock"
            m=unix:$dir/milter.sock
        fi
        pf start "$dir/pf" "$port" "unix:$dir/lmtp.sock" "$m" >/dev/null
    fi
    pg0=$(pg_cpu)
    base=$(sent)
    sms0=$(psql "$db" -X -A -t -c "SELECT count(*) FROM sms")
    t0=$(now)
    smtp-source -d -s "$sessions" -m "$mails" -l 120 -S "bench" -f alice@acme.test \
        -t 0412345678@sms.acme.test "127.0.0.1:$port"
    t1=$(now)
    i=0
    while [ $(($(sent) - base)) -lt "$mails" ] && [ $i -lt 6000 ]; do sleep 0.05; i=$((i + 1)); done
    t2=$(now)
    got=$(($(sent) - base))
    [ "$got" -eq "$mails" ] || echo "# $side: only $got of $mails delivered" >&2
    sms=$(($(psql "$db" -X -A -t -c "SELECT count(*) FROM sms") - sms0))
    if [ "$side" = smsgate ]; then
        pg1=$(pg_cpu)
        echo "# $side: CPU seconds: smsgate-lmtpd $(cpu_of $lpid), smsgate-milter $(cpu_of ${mpid:-0})," \
            "PostgreSQL $(awk -v a="$pg0" -v b="$pg1" 'BEGIN { printf "%.1f", b - a }')" >&2
    fi
    awk -v s="$side" -v n="$got" -v a="$t0" -v b="$t1" -v c="$t2" -v sms="$sms" 'BEGIN {
        printf "%-8s %6.0f mails/s delivered  (%d mails in %.2f s; submitted at %.0f/s; %d SMS)\n",
            s, n / (c - a), n, c - a, n / (b - a), sms > "/dev/stderr"
        printf "%s %.1f\n", s, n / (c - a) }'
    stop_all
}

echo "# $(nproc) CPUs; $mails mails x $rounds rounds over $sessions SMTP sessions; PostgreSQL fsync=on;" \
    "smsgate side with milter: $have_milter"
: >"$dir/rates"
r=1
while [ $r -le "$rounds" ]; do
    run sink >>"$dir/rates"
    run smsgate >>"$dir/rates"
    r=$((r + 1))
done
awk -v milter="$have_milter" '
    { sum[$1] += $2; n[$1]++ }
    END {
        s = sum["sink"] / n["sink"]; g = sum["smsgate"] / n["smsgate"]
        via = milter == "yes" ? "smsgate-milter + smsgate-lmtpd" : "smsgate-lmtpd (no milter)"
        printf "%-42s %6.0f mails/s (mean)\n", "Postfix -> smtp-sink -L:", s
        printf "%-42s %6.0f mails/s (mean)\n", "Postfix -> " via ":", g
        printf "%-42s %6.0f%%  (goal: >= 90%%)\n", "ratio:", 100 * g / s
    }' "$dir/rates"
