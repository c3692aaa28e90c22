#!/bin/bash
# kannel.sh - a private Kannel (bearerbox + smsbox + fakesmsc) as the carrier of a test
#
# usage: kannel.sh start BASE          bearerbox, fakesmsc, smsbox; writes BASE/kannel.env
#        kannel.sh stop BASE           stops all three (by the PIDs in BASE/pids)
#        kannel.sh smsbox-stop BASE    kills smsbox alone (the carrier's HTTP side goes away)
#        kannel.sh smsbox-start BASE   starts it again
#
# Everything listens on 127.0.0.1. Ports (override by environment):
#   KANNEL_PORT=23000   admin; KANNEL_PORT+1 smsbox link, +10 the fake SMSC, +13 sendsms
#   KANNEL_ADMIN_PORT KANNEL_SMSBOX_PORT KANNEL_FAKE_PORT KANNEL_SENDSMS_PORT (each one)
# BASE/kannel.env gets KANNEL_URL (sendsms), KANNEL_USERNAME, KANNEL_PASSWORD,
# KANNEL_ADMIN_URL, as shell assignments a test can read.
#
# fakesmsc plays the handsets: every SMS Kannel hands it is logged in
# BASE/fakesmsc.log as "Got message N: <FROM TO text ...>" (at -v 0 only).
# Exit status: 0 started or stopped, 1 failed, 2 usage, 77 Kannel not installed.
set -u
cmd=${1:-}
BASE=${2:-}
if [ -z "$cmd" ] || [ -z "$BASE" ]; then
    echo "usage: kannel.sh start|stop|smsbox-stop|smsbox-start BASE" >&2
    exit 2
fi
FAKESMSC=${FAKESMSC:-/usr/lib/kannel/test/fakesmsc} # kannel-extras, not in PATH
P=${KANNEL_PORT:-23000}
ADMIN=${KANNEL_ADMIN_PORT:-$P}
SMSBOX=${KANNEL_SMSBOX_PORT:-$((P + 1))}
FAKE=${KANNEL_FAKE_PORT:-$((P + 10))}
SENDSMS=${KANNEL_SENDSMS_PORT:-$((P + 13))}

# pid_of - a PID recorded in BASE/pids
pid_of() { awk -v n="$1" '$1 == n { p = $2 } END { print p }' "$BASE/pids" 2>/dev/null; }
# port_busy - does something answer on 127.0.0.1:PORT?
port_busy() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
# wait_port - up to 10 s for PORT to open, while PID lives
wait_port() {
    for _ in $(seq 1 100); do
        port_busy "$1" && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "kannel.sh: port $1 never opened" >&2
    return 1
}
# stop_pids - signal each PID as told, wait up to 3 s for all, then SIGKILL
stop_pids() {
    for _ in $(seq 1 30); do
        alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && return 0
        sleep 0.1
    done
    for p in "$@"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
    return 0
}
# start_smsbox - smsbox in the background, ready when sendsms answers
start_smsbox() {
    port_busy "$SENDSMS" && {
        echo "kannel.sh: port $SENDSMS already in use" >&2
        return 1
    }
    # -v 3: errors only on stderr; without it stderr gets hex dumps of every request
    smsbox -v 3 "$BASE/kannel.conf" >>"$BASE/smsbox.out" 2>&1 &
    echo "smsbox $!" >>"$BASE/pids"
    wait_port "$SENDSMS" $! || {
        cat "$BASE/smsbox.out" >&2
        return 1
    }
}

case $cmd in
start)
    for b in bearerbox smsbox; do
        command -v $b >/dev/null || {
            echo "kannel.sh: $b not installed (Debian: kannel)" >&2
            exit 77
        }
    done
    [ -x "$FAKESMSC" ] || {
        echo "kannel.sh: $FAKESMSC not installed (Debian: kannel-extras)" >&2
        exit 77
    }
    mkdir -p "$BASE" && BASE=$(cd "$BASE" && pwd) || exit 1
    # a leftover instance would answer our readiness probes while the new
    # bearerbox dies on bind(): refuse instead
    for p in $ADMIN $SMSBOX $FAKE $SENDSMS; do
        port_busy "$p" && {
            echo "kannel.sh: port $p already in use (set KANNEL_PORT)" >&2
            exit 1
        }
    done
    : >"$BASE/pids"
    # Kannel's groups MUST be separated by empty lines; both boxes read this
    # one file, each its own groups. No store-file: nothing survives a stop.
    cat >"$BASE/kannel.conf" <<EOF
group = core
admin-port = $ADMIN
admin-interface = 127.0.0.1
admin-password = adminpass
status-password = statuspass
admin-allow-ip = "127.0.0.1"
smsbox-port = $SMSBOX
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "$BASE/bearerbox.log"
log-level = 1
access-log = "$BASE/bearerbox-access.log"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = mt
port = $FAKE
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $SMSBOX
sendsms-port = $SENDSMS
sendsms-interface = 127.0.0.1
global-sender = 12345
log-file = "$BASE/smsbox.log"
log-level = 1
access-log = "$BASE/smsbox-access.log"

group = sendsms-user
username = gw
password = gwpass
forced-smsc = mt
max-messages = 10
concatenation = true
user-allow-ip = "127.0.0.1"

group = sms-service
keyword = default
text = "no service here"
omit-empty = true
EOF
    bearerbox -v 3 "$BASE/kannel.conf" >"$BASE/bearerbox.out" 2>&1 &
    bb=$!
    echo "bearerbox $bb" >>"$BASE/pids"
    if ! wait_port "$FAKE" $bb || ! wait_port "$SMSBOX" $bb; then
        cat "$BASE/bearerbox.out" >&2
        bash "$0" stop "$BASE"
        exit 1
    fi
    # -m 0: sends no MO, only receives; -v 0 so each MT is logged
    "$FAKESMSC" -H 127.0.0.1 -r "$FAKE" -m 0 -v 0 "0 0 text unused" >"$BASE/fakesmsc.log" 2>&1 &
    echo "fakesmsc $!" >>"$BASE/pids"
    start_smsbox || {
        bash "$0" stop "$BASE"
        exit 1
    }
    # ready when the fake link is online, or an SMS could wait in bearerbox's queue
    for _ in $(seq 1 50); do
        curl -s "http://127.0.0.1:$ADMIN/status.txt?password=statuspass" | grep -q 'mt\[.*online' && break
        sleep 0.1
    done
    cat >"$BASE/kannel.env" <<EOF
KANNEL_URL=http://127.0.0.1:$SENDSMS/cgi-bin/sendsms
KANNEL_USERNAME=gw
KANNEL_PASSWORD=gwpass
KANNEL_ADMIN_URL=http://127.0.0.1:$ADMIN
EOF
    ;;
stop)
    [ -f "$BASE/pids" ] || exit 0
    F=$(pid_of fakesmsc) B=$(pid_of bearerbox) S=$(pid_of smsbox)
    # fakesmsc first (INT: writes its summary), then both boxes: bearerbox
    # alone would tell smsbox to die, but smsbox then lingers for seconds.
    # A graceful stop waits for queues to drain and can hang for minutes,
    # hence the bounded wait and the SIGKILL.
    [ -n "$F" ] && kill -INT "$F" 2>/dev/null
    [ -n "$S" ] && kill -TERM "$S" 2>/dev/null
    [ -n "$B" ] && kill -TERM "$B" 2>/dev/null
    # shellcheck disable=SC2086
    stop_pids $F $B $S
    mv "$BASE/pids" "$BASE/pids.stopped"
    ;;
smsbox-stop)
    S=$(pid_of smsbox)
    [ -n "$S" ] && kill -KILL "$S" 2>/dev/null
    [ -n "$S" ] && stop_pids "$S"
    # wait until nothing answers any more
    for _ in $(seq 1 30); do port_busy "$SENDSMS" || break; sleep 0.1; done
    ;;
smsbox-start)
    start_smsbox || exit 1
    ;;
*)
    echo "usage: kannel.sh start|stop|smsbox-stop|smsbox-start BASE" >&2
    exit 2
    ;;
esac
exit 0
