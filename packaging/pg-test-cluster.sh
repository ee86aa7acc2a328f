#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for HQ's tests (Debian's postgresql package).
# Usage: bash packaging/pg-test-cluster.sh start DIR   -> prints the URL to connect to
#        bash packaging/pg-test-cluster.sh stop DIR
# The cluster listens on a Unix socket in DIR only (no TCP port to collide with), runs
# as the postgres user when started by root, and keeps nothing: fsync is off, it is
# removed at stop. Tests make a database of their own in it per test (tests/pgdb.py).
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?a folder for the cluster}
# Debian keeps the server's programs under /usr/lib/postgresql/N/bin; elsewhere they are
# on the PATH (initdb) or named by pg_config.
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || bin=$(dirname "$(command -v initdb 2>/dev/null)" 2>/dev/null || true)
[ -n "$bin" ] && [ "$bin" != . ] || bin=$(pg_config --bindir 2>/dev/null || true)
[ -n "$bin" ] || { echo "pg-test-cluster: PostgreSQL is not installed" >&2; exit 1; }
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U kassa -E UTF8 --no-sync >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -s start -o \
    "-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off \
     -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB"
  echo "postgresql://kassa@/postgres?host=$dir"
  ;;
stop)
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w -s stop || true
  rm -rf "$dir"
  ;;
*) echo "pg-test-cluster: start or stop" >&2; exit 2 ;;
esac
