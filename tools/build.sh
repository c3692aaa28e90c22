#!/bin/sh
# build.sh - configure and build smsgate out of tree in DIR (default build/)
# usage: tools/build.sh [DIR] [configure options...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
[ $# -gt 0 ] && shift
[ -x "$top/configure" ] || (cd "$top" && ./bootstrap >/dev/null 2>&1)
mkdir -p "$top/$dir"
cd "$top/$dir"
[ -f Makefile ] || "$top/configure" -q "$@"
make -j"$(nproc)" >/dev/null
