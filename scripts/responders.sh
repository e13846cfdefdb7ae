#!/usr/bin/env bash
# Start/stop the test PKI's TSA/OCSP/CRL responders (certomancer) on 127.0.0.1:9180.
#   scripts/responders.sh start   -- idempotent: does nothing if they already answer
#   scripts/responders.sh stop
# See certs/responders.py (web UI and time override off, whole-second times).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${SIGNSVC_RESPONDERS_PORT:-9180}
PIDFILE=var/run/responders.pid
LOG=var/log/responders.log
probe() { .venv/bin/python - "$PORT" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/signsvc-dev/crls/interm/latest.crl", timeout=2).read()
except Exception:
    sys.exit(1)
PY
}
case "${1:-start}" in
  start)
    if probe; then echo "responders: already running on 127.0.0.1:$PORT"; exit 0; fi
    mkdir -p var/run var/log
    nohup .venv/bin/python certs/responders.py --port "$PORT" >"$LOG" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 50); do probe && { echo "responders: started on 127.0.0.1:$PORT"; exit 0; }; sleep 0.2; done
    echo "responders: failed to start, see $LOG" >&2; exit 1 ;;
  stop)
    [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"; echo "responders: stopped" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
