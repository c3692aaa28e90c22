#!/bin/sh
# check.sh - install what is needed, build, and run every test: the plain
# build with -Werror, the ASan+UBSan build, and make distcheck. Ends with
# "N passed, N failed" counted over every TAP test point. This is what CI runs.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/install-deps.sh || exit 1
[ -x configure ] || ./bootstrap >/dev/null 2>&1 || { echo "bootstrap failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
# count - add the TAP results of one build directory's run
count() {
    p=$(cat "$1"/tests/*/*.trs 2>/dev/null | grep -c '^:test-result: \(PASS\|XFAIL\|SKIP\)')
    f=$(cat "$1"/tests/*/*.trs 2>/dev/null | grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)')
    passed=$((passed + p))
    failed=$((failed + f))
    echo "== $2: $p passed, $f failed"
}
# suite NAME DIR CONFIGURE-OPTIONS... - build in DIR and run make check
suite() {
    name=$1 dir=$2
    shift 2
    echo "== $name: build in $dir"
    rm -rf "$dir"
    if ! sh tools/build.sh "$dir" "$@"; then
        echo "== $name: BUILD FAILED"
        failed=$((failed + 1))
        return
    fi
    make -C "$dir" -j"$(nproc)" check >"$dir/check.out" 2>&1 || {
        cat "$dir/check.out"
        cat "$dir/test-suite.log" 2>/dev/null
    }
    grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' "$dir/check.out" | sed 's/^/   /'
    count "$dir" "$name"
}

suite "build (-Werror)" build --enable-werror
suite "sanitizers (ASan+UBSan)" build-asan --enable-werror --enable-sanitizers
echo "== distcheck"
if make -C build distcheck >build/distcheck.out 2>&1; then
    echo "== distcheck: ok"
    passed=$((passed + 1))
else
    tail -n 60 build/distcheck.out
    echo "== distcheck: FAILED"
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
