#!/bin/sh
# demo.sh - install, build, start a private PostgreSQL, build a demo universe
# with smsgatectl (a reseller with a client, an enterprise with a centrally
# billed department), then take a real Outlook mail through smsgate-lmtpd
# and smsgate-dispatchd to the built-in file carrier: the SMS it became, its
# price, and the balances and margins that moved. Leaves the database and
# the daemons running in /tmp/smsgate-demo so you can go on with
#   build/src/ctl/smsgatectl -c /tmp/smsgate-demo/smsgate.conf ...
#   tools/lmtp-send unix:/tmp/smsgate-demo/lmtp.sock SENDER RCPT < mail
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/install-deps.sh
sh tools/build.sh build
demo=/tmp/smsgate-demo
for p in lmtpd dispatchd; do
    [ -f "$demo/$p.pid" ] && kill "$(cat "$demo/$p.pid")" 2>/dev/null || true
done
sh tests/pgtest.sh stop "$demo/pg" 2>/dev/null || true
mkdir -p "$demo"
chmod 0755 "$demo"
db=$(sh tests/pgtest.sh start "$demo/pg")
user=$(id -un)
[ "$user" = root ] && user=nobody
cat >"$demo/smsgate.conf" <<CONF
database = $db
lmtp_listen = unix:$demo/lmtp.sock
user = $user
pid_file = $demo/lmtpd.pid
# the receiving MX of the sample mail checked its DKIM, SPF and DMARC
trusted_authserv_ids = mx1.sms.example.com

# the built-in carrier: finished SMS as JSON lines
[carrier file]
driver = file
path = $demo/sms.jsonl
CONF
sed 's/^pid_file = .*lmtpd.pid/pid_file = \/tmp\/smsgate-demo\/dispatchd.pid/' "$demo/smsgate.conf" >"$demo/dispatchd.conf"
ctl() { echo; echo "\$ smsgatectl $*"; "$top/build/src/ctl/smsgatectl" -c "$demo/smsgate.conf" "$@"; }

ctl db migrate
# carrier costs on the root account
ctl rate set operator 61 0.045
ctl rate set operator 614 0.035
# a reseller with 20% margin, its client paying from its own balance
ctl account add reseller --margin-percent 20
ctl account add client --parent reseller --margin-fixed 0.01
ctl domain add sms.example.com reseller
ctl sender add @harbourcivil.com.au client auth=dkim,dmarc country=AU numbers=local
# an enterprise whose department is billed centrally
ctl account add enterprise --margin-fixed 0.005 --monthly-cap 500
ctl account add sales --parent enterprise --billing parent --margin-percent 10
ctl topup reseller 500 --ref INV-1001
ctl transfer reseller client 50
ctl topup enterprise 200 --ref PO-77
ctl account list --tree
ctl price client +61412345678 --segments 2
ctl price sales 0412345678 --country AU

# a real Outlook mail (HTML and plain, signature, disclaimer) through the daemon
"$top/build/src/lmtpd/smsgate-lmtpd" -c "$demo/smsgate.conf"   # detaches, logs to syslog
for i in $(seq 100); do [ -S "$demo/lmtp.sock" ] && break; sleep 0.05; done
echo
echo "\$ tools/lmtp-send unix:$demo/lmtp.sock dave.nguyen@harbourcivil.com.au 0412345678@sms.example.com < tests/data/outlook-desktop.eml"
python3 tools/lmtp-send "unix:$demo/lmtp.sock" dave.nguyen@harbourcivil.com.au \
    0412345678@sms.example.com <tests/data/outlook-desktop.eml || true
ctl sms list

# the dispatcher hands it to the file carrier and charges it: margins paid
"$top/build/src/dispatchd/smsgate-dispatchd" -c "$demo/dispatchd.conf"   # detaches, logs to syslog
for i in $(seq 100); do
    [ -s "$demo/sms.jsonl" ] && break
    sleep 0.1
done
sleep 0.5
echo
echo "\$ cat $demo/sms.jsonl"
cat "$demo/sms.jsonl"
ctl sms show "$("$top/build/src/ctl/smsgatectl" -c "$demo/smsgate.conf" --json sms list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
ctl balance client
ctl balance reseller
ctl balance operator
ctl ledger statement reseller
ctl ledger check
echo
echo "smsgate-lmtpd, smsgate-dispatchd and PostgreSQL keep running in $demo:"
echo "  build/src/ctl/smsgatectl -c $demo/smsgate.conf sms list"
echo "  python3 tools/lmtp-send unix:$demo/lmtp.sock SENDER NUMBER@sms.example.com < mail"
echo "Stop them with: kill \$(cat $demo/lmtpd.pid $demo/dispatchd.pid); sh tests/pgtest.sh stop $demo/pg"
