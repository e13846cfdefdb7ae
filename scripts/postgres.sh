#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and `make cluster`, under var/pg/ (never the
# system's cluster): initdb once, listening on a unix socket in var/pg/run and on
# 127.0.0.1:$SIGNSVC_PG_PORT (default 54329), trust authentication for the role
# "signsvc" (the cluster is reachable from this machine only and holds test data).
#
#   scripts/postgres.sh start   install Debian postgresql if missing, init, start (idempotent)
#   scripts/postgres.sh stop    stop it (idempotent)
#   scripts/postgres.sh url     print the URL of its "signsvc" database
#   scripts/postgres.sh status  exit 0 when it runs
#
# Run as root, the server runs as the user "postgres" (PostgreSQL refuses root); else as
# the current user.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${SIGNSVC_PG_PORT:-54329}
BASE=$(pwd)/var/pg
DATA=$BASE/data
SOCK=$BASE/run
LOG=$BASE/postgresql.log
ROLE=signsvc

url() { echo "postgresql://$ROLE@127.0.0.1:$PORT/signsvc"; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && echo "$d"
}

install_if_missing() {
  [ -n "$(bindir)" ] && return 0
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "postgres: apt-get install postgresql" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    postgresql >/dev/null
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() {
  local bin; bin=$(bindir) || return 1
  [ -f "$DATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
  install_if_missing
  local bin; bin=$(bindir)
  mkdir -p "$BASE"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$BASE"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$DATA" -U "$ROLE" --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$BASE/initdb.log" 2>&1 || { cat "$BASE/initdb.log" >&2; exit 1; }
  fi
  as_owner mkdir -p "$SOCK"
  if ! running; then
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      echo "postgres: port $PORT is taken by another program (set SIGNSVC_PG_PORT)" >&2
      exit 1
    fi
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start \
      -o "-p $PORT -k $SOCK -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null \
      || { tail -n 20 "$LOG" >&2; exit 1; }
  fi
  if ! "$bin/psql" -h "$SOCK" -p "$PORT" -U "$ROLE" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'signsvc'" | grep -q 1; then
    "$bin/psql" -h "$SOCK" -p "$PORT" -U "$ROLE" -d postgres -qc "CREATE DATABASE signsvc"
  fi
}

stop() {
  local bin; bin=$(bindir) || return 0
  if running; then
    as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  status) running ;;
  *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac
