#!/bin/sh
# fuzz_test.sh - every libFuzzer target, built with clang and run for
# FUZZ_SECONDS (default 10) each on a copy of its seed corpus. One TAP test
# point per target; skipped when clang's fuzzer runtime is not installed.
# A crash, a leak or a broken invariant fails the target and leaves the
# reproducer in the log.
set -u
src=${top_srcdir:-.}
build=${top_builddir:-.}
secs=${FUZZ_SECONDS:-10}
lib=$src/src/lib
n=0
failed=0
tmp=$(mktemp -d /tmp/smsgate-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# target: the library sources it needs, and extra link flags
targets="
gsm|gsm.c xalloc.c msg.c|
clean|clean.c xalloc.c msg.c|
lmtp|lmtp.c authres.c xalloc.c msg.c|
mime|mime.c html.c xalloc.c msg.c|$(pkg-config --libs libetpan libxml-2.0 2>/dev/null)
phone|phone.cc|-lphonenumber
field|field.c xalloc.c msg.c|$(pkg-config --libs json-c 2>/dev/null)
"
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -I$build -I$lib $(pkg-config --cflags libetpan libxml-2.0 json-c 2>/dev/null)"

if ! command -v clang >/dev/null || ! echo 'int LLVMFuzzerTestOneInput(const char *d, long s){return 0;}' |
    clang -x c -fsanitize=fuzzer - -o "$tmp/probe" 2>/dev/null; then
    echo "1..0 # SKIP clang with libFuzzer not installed"
    exit 0
fi

echo "$targets" >"$tmp/targets"
while IFS='|' read -r name sources libs; do
    [ -n "$name" ] || continue
    [ -f "$src/tests/fuzz/fuzz_$name.c" ] || continue
    n=$((n + 1))
    objs=
    ok=1
    for s in "$src/tests/fuzz/fuzz_$name.c" $(for f in $sources; do echo "$lib/$f"; done); do
        o="$tmp/$name-$(basename "$s").o"
        case $s in
        *.cc) clang++ $cflags -c "$s" -o "$o" 2>"$tmp/$name.build" || ok=0 ;;
        *) clang $cflags -c "$s" -o "$o" 2>"$tmp/$name.build" || ok=0 ;;
        esac
        objs="$objs $o"
    done
    # shellcheck disable=SC2086
    [ $ok = 1 ] && clang++ -fsanitize=fuzzer,address,undefined $objs $libs -o "$tmp/fuzz_$name" 2>"$tmp/$name.build" || ok=0
    if [ $ok = 0 ]; then
        echo "not ok $n - fuzz_$name builds"
        sed 's/^/# /' "$tmp/$name.build" | head -20
        failed=$((failed + 1))
        continue
    fi
    mkdir -p "$tmp/corpus-$name"
    if "$tmp/fuzz_$name" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 \
        "$tmp/corpus-$name" "$src/tests/fuzz/seeds/$name" >"$tmp/$name.log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$name.log")
        echo "ok $n - fuzz_$name: $execs runs in $secs s, no crash"
    else
        echo "not ok $n - fuzz_$name found a problem"
        grep -E 'ERROR|SUMMARY|Test unit written|abort' "$tmp/$name.log" | head -20 | sed 's/^/# /'
        failed=$((failed + 1))
    fi
done <"$tmp/targets"
echo "1..$n"
[ "$failed" = 0 ]
