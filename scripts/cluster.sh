#!/usr/bin/env bash
# The production shape on one machine (`make cluster`): PostgreSQL, two or more
# `signsvc serve` instances sharing it, nginx in front balancing them.
#
#   scripts/cluster.sh run     start everything and stay in the foreground; Ctrl-C (or
#                              `scripts/cluster.sh stop` from another terminal) stops it all
#   scripts/cluster.sh stop    stop a cluster started elsewhere (pid files in var/run)
#   scripts/cluster.sh reload  check the policy file, then make every instance load it (SIGHUP)
#
# Configuration: SIGNSVC_CONFIG (default config/signsvc.cluster.toml) and the same
# SIGNSVC_SECTION__KEY overrides as `make run`. The shape, from the environment:
#   CLUSTER_PORT=8080                   nginx (127.0.0.1), what clients use
#   CLUSTER_INSTANCE_PORTS="8081 8082"  one signsvc instance per port (add a port: one more)
#   CLUSTER_WORKERS=2 CLUSTER_THREADS=4 gunicorn workers and threads per instance
#   CLUSTER_DIR=var/cluster             nginx's generated config, temp files and logs, the
#                                       instances' logs
#   CLUSTER_RUN_DIR=var/run             pid files: signsvc-PORT.pid (+ .ctl, the gunicorn
#                                       control socket), nginx-PORT.pid, cluster-PORT.pid
# The database in [database] url is created in the throwaway PostgreSQL of
# scripts/postgres.sh (var/pg, 127.0.0.1:${SIGNSVC_PG_PORT:-54329}) when the URL points
# there; any other URL is used as it is. The responders (127.0.0.1:9180) are started if
# they do not run and are left running (shared; `make stop` stops them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CLUSTER_PORT=${CLUSTER_PORT:-8080}
CLUSTER_INSTANCE_PORTS=${CLUSTER_INSTANCE_PORTS:-"8081 8082"}
CLUSTER_WORKERS=${CLUSTER_WORKERS:-2}
CLUSTER_THREADS=${CLUSTER_THREADS:-4}
CLUSTER_DIR=$(realpath -m "${CLUSTER_DIR:-var/cluster}")
RUN_DIR=$(realpath -m "${CLUSTER_RUN_DIR:-var/run}")
export SIGNSVC_CONFIG=${SIGNSVC_CONFIG:-config/signsvc.cluster.toml}
# the throwaway PostgreSQL moved to another port: the cluster's database moves with it
if [ -n "${SIGNSVC_PG_PORT:-}" ] && [ -z "${SIGNSVC_DATABASE__URL:-}" ] \
    && [ "$SIGNSVC_CONFIG" = config/signsvc.cluster.toml ]; then
  export SIGNSVC_DATABASE__URL="\"postgresql://signsvc@127.0.0.1:$SIGNSVC_PG_PORT/signsvc_cluster\""
fi
NGX=$CLUSTER_DIR/nginx
SELF_PID=$RUN_DIR/cluster-$CLUSTER_PORT.pid
NGINX_PID=$RUN_DIR/nginx-$CLUSTER_PORT.pid
INSTANCES_FILE=$RUN_DIR/cluster-$CLUSTER_PORT.instances
PG_MARK=$RUN_DIR/cluster-$CLUSTER_PORT.postgres-started
PY=.venv/bin/python

say() { echo "cluster: $*"; }
die() { echo "cluster: $*" >&2; exit 1; }

# the development secrets (SoftHSM2 configuration, software key passphrase) as `make run`
if [ -z "${SOFTHSM2_CONF:-}" ] && [ -f var/dev.env ]; then set -a; . var/dev.env; set +a; fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# 0 when GET /healthz on 127.0.0.1:PORT answers 200
healthy() {
  ( exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    IFS= read -r -t 5 line <&3 || exit 1
    [[ $line == "HTTP/1."?" 200"* ]] ) 2>/dev/null
}

# await_healthy PORT PID SECONDS LOG NAME: wait until PORT answers /healthz; stop the cluster
# with the end of LOG if the process PID exits first or SECONDS pass
await_healthy() {
  local port=$1 pid=$2 limit=$(($3 * 10)) log=$4 name=$5 waited
  for ((waited = 0; ; waited++)); do
    healthy "$port" && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; die "$name exited at start-up (log: $log)"; }
    [ "$waited" -lt "$limit" ] || die "$name did not answer /healthz within $3 s"
    sleep 0.1
  done
}

# the pid in FILE if that process is alive and its command line contains WORD
live_pid() {
  local file=$1 word=$2 pid
  [ -f "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq -- "$word" || return 1
  echo "$pid"
}

# TERM the process (its whole process group when it leads one), KILL what is left after
# SECONDS; returns when it is gone
end_process() {
  local pid=$1 seconds=${2:-40} i
  kill -0 "$pid" 2>/dev/null || return 0
  if [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true
  else kill -TERM "$pid" 2>/dev/null || true; fi
  for ((i = 0; i < seconds * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

# The settings the cluster needs, as shell variables (fails on an invalid configuration)
read_settings() {
  eval "$($PY - <<'PY'
import shlex
from urllib.parse import urlsplit
from signsvc.settings import load_settings
s = load_settings()
svc = s.service
url = s.database.url
u = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
kib = 1024
values = {
    "DB_URL": url,
    "DB_KIND": "postgresql" if url.startswith(("postgresql", "postgres:")) else ("sqlite" if url else ""),
    "DB_HOST": u.hostname or "", "DB_PORT": str(u.port or 5432), "DB_NAME": u.path.lstrip("/"),
    "STATE_DIR": str(svc.state_dir),
    "MAX_BODY": f"{svc.max_document_bytes // kib + 64}k",
    "BATCH_BODY": f"{svc.batch_max_bytes // kib + 64 * (svc.batch_max_files + 1)}k",
    "JOBS_BODY": f"{s.jobs.max_total_bytes // kib + 64 * (s.jobs.max_files + 1)}k",
    "READ_TIMEOUT": f"{int(svc.signing_timeout_seconds) + 30}s",
    "PROXY_HOPS": str(svc.proxy_hops),
}
for k, v in values.items():
    print(f"{k}={shlex.quote(v)}")
PY
)"
}

# Start the throwaway PostgreSQL (when the URL points to it) and create the database
database() {
  [ "$DB_KIND" = postgresql ] || { say "warning: [database] url is not PostgreSQL (${DB_URL:-SQLite files in the state folder}): the instances do not share their stores" >&2; return 0; }
  local pg_port=${SIGNSVC_PG_PORT:-54329}
  if [[ $DB_HOST == 127.0.0.1 || $DB_HOST == localhost ]] && [ "$DB_PORT" = "$pg_port" ]; then
    if ! bash scripts/postgres.sh status; then
      bash scripts/postgres.sh start
      touch "$PG_MARK"
    fi
    $PY - "$DB_URL" "$DB_NAME" <<'PY'
import sys
import psycopg
url, name = sys.argv[1], sys.argv[2]
admin = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
with psycopg.connect(admin, autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"cluster: database {name} created")
PY
  fi
}

# Apply the schema migrations and prepare the shared state folder once, before any instance
migrate() {
  $PY - <<'PY'
from signsvc.app import prepare_state
from signsvc.settings import load_settings
prepare_state(load_settings())
PY
}

write_nginx_config() {
  mkdir -p "$NGX/tmp"
  local servers="" p
  for p in $CLUSTER_INSTANCE_PORTS; do
    servers+="server 127.0.0.1:$p max_fails=2 fail_timeout=10s; "
  done
  echo "listen 127.0.0.1:$CLUSTER_PORT;" >"$NGX/listen.conf"
  SIGNSVC_NGINX_LISTEN_CONF=$NGX/listen.conf SIGNSVC_UPSTREAM_SERVERS=$servers \
  SIGNSVC_CLIENT_MAX_BODY_SIZE=$MAX_BODY SIGNSVC_BATCH_MAX_BODY_SIZE=$BATCH_BODY \
  SIGNSVC_JOBS_MAX_BODY_SIZE=$JOBS_BODY \
  SIGNSVC_PROXY_READ_TIMEOUT=$READ_TIMEOUT SIGNSVC_NGINX_ACCESS_LOG=$NGX/access.log \
  $PY - config/nginx.cluster.conf "$NGX/site.conf" <<'PY'
import os, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
names = ("SIGNSVC_NGINX_LISTEN_CONF", "SIGNSVC_UPSTREAM_SERVERS", "SIGNSVC_CLIENT_MAX_BODY_SIZE",
         "SIGNSVC_BATCH_MAX_BODY_SIZE", "SIGNSVC_JOBS_MAX_BODY_SIZE", "SIGNSVC_PROXY_READ_TIMEOUT",
         "SIGNSVC_NGINX_ACCESS_LOG")
for name in names:
    text = text.replace("${" + name + "}", os.environ[name])
left = re.findall(r"\$\{[A-Z_]+\}", text)
if left:
    sys.exit(f"cluster: config/nginx.cluster.conf: unknown placeholder(s) {left}")
open(sys.argv[2], "w", encoding="utf-8").write(text)
PY
  local user_line=""
  # nginx started by root would run its workers as "nobody", who cannot write var/
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un);"
  cat >"$NGX/nginx.conf" <<EOF
# generated by scripts/cluster.sh from config/nginx.cluster.conf -- do not edit
$user_line
daemon off;
worker_processes 1;
pid $NGINX_PID;
error_log $NGX/error.log warn;
events { worker_connections 1024; }
http {
    default_type application/octet-stream;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    include $NGX/site.conf;
}
EOF
  nginx -t -q -p "$NGX" -e "$NGX/error.log" -c "$NGX/nginx.conf" \
    || die "nginx refused the generated configuration $NGX/nginx.conf"
}

# an instance's pid file, control socket and metrics folder (signsvc serve --pidfile)
forget_instance() {
  rm -rf "$RUN_DIR/signsvc-$1.pid" "$RUN_DIR/signsvc-$1.ctl" "$RUN_DIR/signsvc-$1.metrics"
}

NGINX=""
declare -A INSTANCE=()

stop_all() {
  trap - INT TERM EXIT
  say "stopping"
  [ -n "$NGINX" ] && end_process "$NGINX" 10
  local p
  for p in "${!INSTANCE[@]}"; do end_process "${INSTANCE[$p]}" 40 & done
  wait 2>/dev/null || true
  for p in "${!INSTANCE[@]}"; do forget_instance "$p"; done
  rm -f "$NGINX_PID" "$SELF_PID" "$INSTANCES_FILE"
  if [ -f "$PG_MARK" ]; then bash scripts/postgres.sh stop || true; rm -f "$PG_MARK"; fi
  say "stopped"
}

run() {
  local t0 p
  t0=$(date +%s%N)
  command -v nginx >/dev/null || die "nginx is not installed: run 'make deps' (scripts/install.sh)"
  mkdir -p "$RUN_DIR" "$CLUSTER_DIR/log"
  if pid=$(live_pid "$SELF_PID" cluster.sh); then
    die "a cluster on port $CLUSTER_PORT already runs (pid $pid); stop it with 'make cluster-stop'"
  fi
  for p in $CLUSTER_PORT $CLUSTER_INSTANCE_PORTS; do
    port_busy "$p" && die "127.0.0.1:$p is taken (set CLUSTER_PORT / CLUSTER_INSTANCE_PORTS)"
  done
  read_settings
  [ "$PROXY_HOPS" = 1 ] || say "warning: [service] proxy_hops is $PROXY_HOPS, not 1: behind nginx the audit would record nginx's address" >&2
  echo $$ >"$SELF_PID"
  echo "$CLUSTER_INSTANCE_PORTS" >"$INSTANCES_FILE"
  trap 'stop_all; exit 130' INT
  trap 'stop_all; exit 143' TERM
  trap 'stop_all' EXIT

  bash scripts/responders.sh start
  database
  migrate
  say "database ready, migrations applied (${DB_KIND:-sqlite} ${DB_NAME:-})"
  write_nginx_config

  for p in $CLUSTER_INSTANCE_PORTS; do
    setsid .venv/bin/signsvc serve --host 127.0.0.1 --port "$p" --workers "$CLUSTER_WORKERS" \
      --threads "$CLUSTER_THREADS" --pidfile "$RUN_DIR/signsvc-$p.pid" \
      >>"$CLUSTER_DIR/log/signsvc-$p.log" 2>&1 </dev/null &
    INSTANCE[$p]=$!
  done
  for p in $CLUSTER_INSTANCE_PORTS; do
    await_healthy "$p" "${INSTANCE[$p]}" 120 "$CLUSTER_DIR/log/signsvc-$p.log" "instance $p"
  done
  setsid nginx -p "$NGX" -e "$NGX/error.log" -c "$NGX/nginx.conf" </dev/null &
  NGINX=$!
  await_healthy "$CLUSTER_PORT" "$NGINX" 30 "$NGX/error.log" "nginx"
  local ms=$(( ($(date +%s%N) - t0) / 1000000 )) seconds
  seconds=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))
  say "ready in ${seconds} s: nginx http://127.0.0.1:$CLUSTER_PORT -> instances $(for p in $CLUSTER_INSTANCE_PORTS; do printf '127.0.0.1:%s ' "$p"; done)"
  local overrides
  # the overrides in force, for the command line (a password in a URL shown as ***)
  overrides=$(env | grep -E '^SIGNSVC_[A-Z0-9_]+__' | sed -e "s/^\([^=]*\)=\(.*\)$/    export \1='\2'/" \
    -e 's#://\([^:/@]*\):[^@]*@#://\1:***@#' || true)
  cat <<TXT

signsvc cluster (TEST ONLY PKI and token) -- clients use http://127.0.0.1:$CLUSTER_PORT
  the command line acts on the cluster's database with:
    export SIGNSVC_CONFIG=$SIGNSVC_CONFIG
${overrides:+$overrides
}    TOKEN=\$(.venv/bin/signsvc clients create portal1 --role portal --keys agency-seal,dev-software | tail -n 1)
    curl -sS -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/pdf' \\
         --data-binary @your.pdf 'http://127.0.0.1:$CLUSTER_PORT/v1/sign?key=agency-seal&level=B-T' -o signed.pdf
  which instance served each request: $NGX/access.log (upstream=...)
  logs: $CLUSTER_DIR/log/signsvc-PORT.log, $NGX/error.log
  stop: Ctrl-C here, or 'make cluster-stop' in another terminal
TXT

  # foreground: an instance that dies is reported, the others keep serving; the cluster
  # ends when nginx or every instance has gone
  declare -A reported=()
  while :; do
    sleep 1 &
    wait $! || true
    kill -0 "$NGINX" 2>/dev/null || { say "nginx exited" >&2; exit 1; }
    local alive=0
    for p in "${!INSTANCE[@]}"; do
      if kill -0 "${INSTANCE[$p]}" 2>/dev/null; then alive=$((alive + 1))
      elif [ -z "${reported[$p]:-}" ]; then
        reported[$p]=1
        say "instance $p (pid ${INSTANCE[$p]}) exited; nginx sends its requests to the others" >&2
      fi
    done
    [ "$alive" -gt 0 ] || { say "every instance has exited" >&2; exit 1; }
  done
}

stop() {
  local pid p ports
  ports=$(cat "$INSTANCES_FILE" 2>/dev/null || echo "$CLUSTER_INSTANCE_PORTS")
  if pid=$(live_pid "$SELF_PID" cluster.sh); then
    kill -TERM "$pid"
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  # whatever is left (the foreground script was killed): from the pid files
  if pid=$(live_pid "$NGINX_PID" nginx); then end_process "$pid" 10; fi
  for p in $ports; do
    if pid=$(live_pid "$RUN_DIR/signsvc-$p.pid" "signsvc|gunicorn"); then end_process "$pid" 40; fi
    forget_instance "$p"
  done
  rm -f "$NGINX_PID" "$SELF_PID" "$INSTANCES_FILE"
  if [ -f "$PG_MARK" ]; then bash scripts/postgres.sh stop || true; rm -f "$PG_MARK"; fi
  say "stopped"
}

reload() {
  local p pid ports
  .venv/bin/signsvc policy check
  ports=$(cat "$INSTANCES_FILE" 2>/dev/null || echo "$CLUSTER_INSTANCE_PORTS")
  for p in $ports; do
    if pid=$(live_pid "$RUN_DIR/signsvc-$p.pid" "signsvc|gunicorn"); then
      kill -HUP "$pid" && say "instance $p (pid $pid): policy reload requested"
    else
      say "instance $p is not running" >&2
    fi
  done
}

case "${1:-}" in
  run) run ;;
  stop) stop ;;
  reload) reload ;;
  *) echo "usage: $0 run|stop|reload" >&2; exit 2 ;;
esac
