#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: in a fresh temporary folder, on a Unix socket
# only (no TCP port, so it can clash with nothing), trusted local connections, gone on stop.
#
#   dir=$(scripts/postgres.sh start)               # prints the cluster's folder
#   export KS_POSTGRES_URL=$(scripts/postgres.sh url "$dir")
#   scripts/postgres.sh stop "$dir"                # stops it and removes the folder
#   scripts/postgres.sh bin                        # where initdb and pg_ctl are (fails if none)
#
# As root the server runs as the postgres user (initdb refuses root), otherwise as you.
# fsync is off: nothing in a test cluster has to survive a crash, and CREATE DATABASE per
# test is quicker for it.
set -euo pipefail

bin_dir() {
    if command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"  # initdb is beside the real one
        return
    fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$found" ] && [ -x "$found/pg_ctl" ] || return 1
    echo "$found"
}

as_server() {
    if [ "$(id -u)" = 0 ]; then  # from /, which postgres may enter (a clone's folder may not be)
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

usage() {
    echo "usage: $0 start | url DIR | stop DIR | bin" >&2
    exit 2
}

case "${1:-}" in
bin)
    bin_dir || { echo "$0: no PostgreSQL found (apt-get install postgresql)" >&2; exit 1; }
    ;;
start)
    pgbin=$(bin_dir) || { echo "$0: no PostgreSQL found (apt-get install postgresql)" >&2; exit 1; }
    dir=$(mktemp -d /tmp/ks-postgres.XXXXXXXX)  # /tmp: short enough for a socket's path
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if ! as_server "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        exit 1
    fi
    if ! as_server "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -s \
        -o "-c listen_addresses='' -c unix_socket_directories=$dir -c fsync=off" start; then
        cat "$dir/log" >&2
        rm -rf "$dir"
        exit 1
    fi
    echo "$dir"
    ;;
url)
    [ -n "${2:-}" ] || usage
    echo "postgresql://postgres@/postgres?host=$2"
    ;;
stop)
    [ -n "${2:-}" ] && [ -d "$2/data" ] || usage
    pgbin=$(bin_dir)
    as_server "$pgbin/pg_ctl" -D "$2/data" -m fast -w -s stop || true
    rm -rf "$2"
    ;;
*)
    usage
    ;;
esac
