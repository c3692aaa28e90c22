#!/bin/sh
# migrate_test.sh - db migrate is versioned, transactional and idempotent;
# db status tells whether the schema is current.
set -u
n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1"; echo "#   got [$2] want [$3]"; fi; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

psql "$SMSGATE_DB" -X -q -c "CREATE DATABASE fresh" || exit 1
fresh=$(echo "$SMSGATE_DB" | sed 's/dbname=smsgate/dbname=fresh/')
printf 'database = %s\n' "$fresh" >"$SMSGATE_TMP/fresh.conf"
ctl() { "$SMSGATECTL" -c "$SMSGATE_TMP/fresh.conf" "$@"; }
latest=$(ls "$top_srcdir"/sql/*.sql | wc -l)

out=$(ctl --json db status)
check "an empty database is not current (exit 1)" "$?" "1"
check "... at version 0 of $latest" "$(echo "$out" | json 'd["version"], d["latest"]')" "0 $latest"

# two migrations at once: the advisory lock lets exactly one apply each step
ctl --json db migrate >"$SMSGATE_TMP/m1" 2>/dev/null &
ctl --json db migrate >"$SMSGATE_TMP/m2" 2>/dev/null
wait $!
check "two concurrent runs applied every migration once between them" \
    "$(cat "$SMSGATE_TMP/m1" "$SMSGATE_TMP/m2" | python3 -c 'import json,sys; t=sys.stdin.read().replace("}\n{", "}|{").split("|"); print(sum(json.loads(x)["applied"] for x in t))')" "$latest"
check "the schema_migration table has one row per migration" \
    "$(psql "$fresh" -X -A -t -c 'SELECT count(*) FROM schema_migration')" "$latest"
check "db migrate created the root account operator" \
    "$(psql "$fresh" -X -A -t -c 'SELECT handle FROM account WHERE parent_id IS NULL')" "operator"
check "a second migrate applies nothing" "$(ctl --json db migrate | json 'd["applied"]')" "0"
ctl db status >/dev/null
check "db status exits 0 when current" "$?" "0"
check "still exactly one root" "$(psql "$fresh" -X -A -t -c 'SELECT count(*) FROM account')" "1"

# a failing migration leaves the database at the previous version
psql "$SMSGATE_DB" -X -q -c "CREATE DATABASE broken" || exit 1
broken=$(echo "$SMSGATE_DB" | sed 's/dbname=smsgate/dbname=broken/')
psql "$broken" -X -q -c "CREATE TABLE ledger_account (id int)" # 002 will collide with it
printf 'database = %s\n' "$broken" >"$SMSGATE_TMP/broken.conf"
"$SMSGATECTL" -c "$SMSGATE_TMP/broken.conf" db migrate >/dev/null 2>"$SMSGATE_TMP/err"
check "a failing migration exits 65" "$?" "65"
check "... saying so" "$(grep -c 'migration failed' "$SMSGATE_TMP/err")" "1"
check "... and the database stays at version 1" \
    "$(psql "$broken" -X -A -t -c 'SELECT max(version) FROM schema_migration')" "1"
check "... with nothing of 002 left behind" \
    "$(psql "$broken" -X -A -t -c "SELECT count(*) FROM pg_proc WHERE proname = 'sg_reserve'")" "0"

echo "1..$n"
[ "$failed" = 0 ]
