#!/bin/sh
# demo.sh - install, build, start a private PostgreSQL, and build a demo
# universe with smsgatectl: a reseller with a client, an enterprise with a
# centrally billed department, their prices, who pays, who earns what, and
# the balances. Leaves the database running in /tmp/smsgate-demo so you can
# go on with smsgatectl -c /tmp/smsgate-demo/smsgate.conf ...
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/install-deps.sh
sh tools/build.sh build
demo=/tmp/smsgate-demo
sh tests/pgtest.sh stop "$demo/pg" 2>/dev/null || true
mkdir -p "$demo"
chmod 0755 "$demo"
db=$(sh tests/pgtest.sh start "$demo/pg")
printf 'database = %s\n' "$db" >"$demo/smsgate.conf"
ctl() { echo; echo "\$ smsgatectl $*"; "$top/build/src/ctl/smsgatectl" -c "$demo/smsgate.conf" "$@"; }

ctl db migrate
# carrier costs on the root account
ctl rate set operator 61 0.045
ctl rate set operator 614 0.035
# a reseller with 20% margin, its client paying from its own balance
ctl account add reseller --margin-percent 20
ctl account add client --parent reseller --margin-fixed 0.01
ctl domain add sms.reseller.example reseller
ctl sender add @client.example client auth=dkim,dmarc country=AU numbers=local
# an enterprise whose department is billed centrally
ctl account add enterprise --margin-fixed 0.005 --monthly-cap 500
ctl account add sales --parent enterprise --billing parent --margin-percent 10
ctl topup reseller 500 --ref INV-1001
ctl transfer reseller client 50
ctl topup enterprise 200 --ref PO-77
ctl account list --tree
ctl price client +61412345678 --segments 2
ctl price sales +61298765432
ctl balance client
ctl balance reseller
ctl ledger statement reseller
ctl ledger check
echo
echo "The database keeps running: smsgatectl -c $demo/smsgate.conf ..."
echo "Stop it with: sh tests/pgtest.sh stop $demo/pg"
