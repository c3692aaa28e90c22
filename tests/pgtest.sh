#!/bin/sh
# pgtest.sh - a private, throwaway PostgreSQL cluster for one test (or the demo)
#
# usage: pgtest.sh start DIR   -> prints a libpq connection string
#        pgtest.sh stop DIR    -> stops the cluster and removes DIR
#
# The cluster listens on a Unix socket in DIR only (no TCP port to collide
# with anything), with fsync off: tests want speed, not durability
# (PGTEST_FSYNC=on for benchmarks that must pay for durable commits). Run as
# root, the server runs as the "postgres" user (PostgreSQL refuses root),
# so DIR must be reachable by that user: keep it under /tmp.
set -eu
cmd=${1:?usage: pgtest.sh start|stop DIR}
dir=${2:?usage: pgtest.sh start|stop DIR}
pgbin=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$pgbin/initdb" ] || { echo "pgtest.sh: no PostgreSQL server binaries (install postgresql)" >&2; exit 1; }

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

case $cmd in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then
        id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
        chown postgres "$dir"
        chmod 0755 "$dir"
    fi
    as_pg "$pgbin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=${PGTEST_FSYNC:-off} -c full_page_writes=${PGTEST_FSYNC:-off} -c max_connections=120" \
        start >/dev/null || { cat "$dir/pg.log" >&2; exit 1; }
    as_pg "$pgbin/createdb" -h "$dir" -U postgres smsgate
    echo "host=$dir dbname=smsgate user=postgres"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pgtest.sh start|stop DIR" >&2
    exit 2
    ;;
esac
