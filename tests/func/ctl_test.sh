#!/bin/sh
# ctl_test.sh - smsgatectl as an administrator uses it: good commands give
# the right figures, bad input gives a clear message, the documented exit
# code, and changes nothing in the database.
set -u
n=0
failed=0
ctl() { "$SMSGATECTL" -c "$SMSGATE_CONF" "$@"; }
psql_() { psql "$SMSGATE_DB" -X -A -t -q -c "$1"; }
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1"; echo "#   got [$2] want [$3]"; fi; }

# snapshot - every row that a command could change
snapshot() {
    psql_ "SELECT md5(concat_ws('|',
        (SELECT string_agg(a::text, ',' ORDER BY id) FROM account a),
        (SELECT string_agg(l::text, ',' ORDER BY id) FROM ledger_account l),
        (SELECT string_agg(t::text, ',' ORDER BY id) FROM transfer t),
        (SELECT string_agg(r::text, ',' ORDER BY account_id, prefix) FROM rate r),
        (SELECT string_agg(d::text, ',' ORDER BY name) FROM domain d),
        (SELECT string_agg(s::text, ',' ORDER BY id) FROM sender_rule s)))"
}

# refused CODE PATTERN ARGS... - the command fails with CODE, says PATTERN
# on stderr, and the database is as it was
refused() {
    code=$1 pattern=$2
    shift 2
    before=$(snapshot)
    ctl "$@" >"$SMSGATE_TMP/out" 2>"$SMSGATE_TMP/err"
    rc=$?
    after=$(snapshot)
    if [ "$rc" = "$code" ] && grep -q -- "$pattern" "$SMSGATE_TMP/err" && [ "$before" = "$after" ]; then
        pass "$* -> $code: $(head -n 1 "$SMSGATE_TMP/err")"
    else
        fail "$* -> want exit $code and \"$pattern\", nothing changed"
        echo "#   exit $rc, changed: $([ "$before" = "$after" ] && echo no || echo YES)"
        sed 's/^/#   stderr: /' "$SMSGATE_TMP/err"
    fi
}

# --- a small universe ---------------------------------------------------------
ctl rate set operator 61 0.04 >/dev/null
ctl account add acme --margin-percent 25 --credit-limit 5 >/dev/null
ctl account add acme-sales --parent acme --margin-fixed 0.01 >/dev/null
ctl account add acme-ops --parent acme --billing parent >/dev/null
ctl account add globex >/dev/null
ctl account add closedone --parent acme >/dev/null
ctl account close closedone >/dev/null
ctl topup acme 100 --ref INV-7 >/dev/null
ctl transfer acme acme-sales 10 >/dev/null
check "acme available: 100 - 10 + 5 credit" "$(ctl --json balance acme | python3 -c 'import json,sys; print(json.load(sys.stdin)["available"])')" "95.00"
check "price for acme-sales: 0.04 * 1.25 + 0.01" "$(ctl --json price acme-sales +61412345678 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["price"], d["payer"], d["carrier_cost"])')" "0.06 acme-sales 0.04"
check "acme-ops is paid for by acme" "$(ctl --json price acme-ops 61412345678 --segments 3 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["payer"], d["paid"], [l["earns"] for l in d["levels"]])')" "acme 0.15 [None, None, '0.03']"
check "a national number read with --country" "$(ctl --json price acme 0412-345.678 --country au | python3 -c 'import json,sys; print(json.load(sys.stdin)["destination"])')" "61412345678"
ctl topup acme 100 --ref INV-7 >"$SMSGATE_TMP/out"
check "a top-up with the same --ref is applied once" "$(grep -c 'already applied' "$SMSGATE_TMP/out")" "1"
check "statement shows the top-up and the allocation with a running balance" \
    "$(ctl --json ledger statement acme | python3 -c 'import json,sys; d=json.load(sys.stdin); print([(e["kind"], e["detail"], e["amount"], e["balance"]) for e in d["entries"]], d["closing"])')" \
    "[('topup', 'ref INV-7', '100.00', '100.00'), ('allocate', 'to acme-sales', '-10.00', '90.00')] 90.00"
check "account list --tree indents children" "$(ctl account list --tree | awk '$1 == "acme-sales" {print substr($0, 1, 14)}')" "    acme-sales"
ctl domain add SMS.Acme.Test acme >/dev/null
check "domain stored in lower case" "$(ctl --json domain list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["domain"])')" "sms.acme.test"
ctl sender add Alice@Acme.Test acme-sales country=au numbers=local limit=2 >/dev/null
check "sender rule stored with defaults and normalised values" \
    "$(ctl --json sender show alice@acme.test | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["account"], d["universe"], d["auth"], d["country"], d["limit"], d["translit"])')" \
    "acme-sales acme sasl,dkim,dmarc AU 2 True"
ctl sender set alice@acme.test over_limit=refuse translit=off >/dev/null
check "sender set changes only what it names" \
    "$(ctl --json sender show alice@acme.test | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["over_limit"], d["translit"], d["limit"])')" "refuse False 2"
check "ledger check passes" "$(ctl ledger check)" "ledger check: ok (0 problems)"

# --- bad input: clear message, documented code, nothing changed -----------------
refused 65 'no account "nosuch"' account show nosuch
refused 65 'no parent account "nosuch"' account add newone --parent nosuch
refused 65 'no account "nosuch"' topup nosuch 1
refused 65 'already exists' account add acme
refused 65 'handle "Bad Handle"' account add "Bad Handle"
refused 65 'more than six decimals' topup acme 1.0000001
refused 65 'negative amount' topup acme -5
refused 65 'not a decimal number' topup acme 1,5
refused 65 'greater than zero' topup acme 0
refused 65 'more than six decimals' account add newone --credit-limit 0.1234567
refused 65 'at most 1000' account add newone --margin-percent 1001
refused 65 'expected own or parent' account add newone --billing shared
refused 65 'would make a cycle' account set acme-sales --parent acme-sales
refused 65 'stays in its universe' account set acme --parent globex
refused 65 'stays in its universe' account set acme-sales --parent globex
refused 65 'more than the giver has available' transfer acme acme-sales 96
refused 65 'more than the giver has available' transfer acme-sales acme 10.01
refused 65 'not parent and child' transfer acme globex 1
refused 65 'billed to its parent' transfer acme acme-ops 1
refused 65 'billed to its parent' topup acme-ops 1
refused 65 'has a balance of 10.00' account close acme-sales
refused 65 'still holds 90.00' account set acme --billing parent
refused 65 'below its parent' rate set acme-sales 61 0.049
refused 65 'prefix "61x"' rate set acme 61x 0.1
ctl rate set acme-sales 61 0.07 >/dev/null
refused 65 'acme-sales would be priced 0.07 per segment for +61, below its parent acme at 0.08' \
    account set acme --margin-percent 100
ctl rate del acme-sales 61 >/dev/null
refused 65 'parent account "closedone" is closed' account set acme-ops --parent closedone
refused 65 'not a top-level account' domain add sms.sales.test acme-sales
refused 65 'already belongs to acme' domain add sms.acme.test globex
refused 65 'not a domain name' domain add "bad domain" acme
refused 65 'public webmail domain' sender add @gmail.com acme
refused 65 'unknown method "bogus"' sender add bob@acme.test acme auth=bogus
refused 65 'needs networks=' sender add bob@acme.test acme auth=network
refused 65 'not an address or CIDR' sender add bob@acme.test acme auth=network networks=10.0.0.0/33
refused 65 'already belongs to acme-sales' sender add alice@acme.test acme
refused 65 'limit=0' sender set alice@acme.test limit=0
refused 65 'national number' price acme 0412345678
refused 65 'no carrier cost' price acme +447911123456
refused 65 'country XX' price acme 0412345678 --country XX
refused 64 'unknown command' frobnicate
refused 64 'usage' topup acme
refused 64 'unknown option --bogus' account list --bogus
refused 78 'No such file' -c /nonexistent/smsgate.conf db status
printf 'database = x\nfrobnicate = 1\n' >"$SMSGATE_TMP/bad.conf"
before=$(snapshot)
"$SMSGATECTL" -c "$SMSGATE_TMP/bad.conf" db status >/dev/null 2>"$SMSGATE_TMP/err"
check "an unknown configuration key exits 78" "$?" "78"
check "... naming file and line" "$(grep -c "bad.conf:2: unknown key \"frobnicate\"" "$SMSGATE_TMP/err")" "1"
printf 'database = host=%s/nowhere dbname=x connect_timeout=2\n' "$SMSGATE_TMP" >"$SMSGATE_TMP/down.conf"
"$SMSGATECTL" -c "$SMSGATE_TMP/down.conf" balance acme >/dev/null 2>"$SMSGATE_TMP/err"
check "an unreachable database exits 75 (temporary)" "$?" "75"

# --- closing follows the rules ----------------------------------------------
ctl transfer acme-sales acme 10 >/dev/null
ctl account close acme-sales >/dev/null
check "an account with nothing left closes" "$(ctl --json account show acme-sales | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" "closed"
refused 65 'closed accounts stay closed' account resume acme-sales

# --- ledger check finds tampering -------------------------------------------
psql_ "UPDATE ledger_account SET credits_posted = credits_posted + 1 WHERE account_id = (SELECT id FROM account WHERE handle = 'globex')"
ctl ledger check >"$SMSGATE_TMP/out" 2>"$SMSGATE_TMP/err"
check "ledger check exits 1 when a balance disagrees with its transfers" "$?" "1"
check "... naming the account" "$(grep -c 'account globex: counters' "$SMSGATE_TMP/err")" "1"

echo "1..$n"
[ "$failed" = 0 ]
