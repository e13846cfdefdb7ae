#!/usr/bin/env bash
# Start/stop the test PKI's TSA/OCSP/CRL responders (certomancer) on 127.0.0.1:9180.
#   Refuses to start (exit 1, with a message) when the port is taken by anything that does
#   not serve this checkout's PKI, e.g. another checkout's responders.
#   scripts/responders.sh start   -- idempotent: does nothing if they already answer
#   scripts/responders.sh stop
# See certs/responders.py (web UI and time override off, whole-second times).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${SIGNSVC_RESPONDERS_PORT:-9180}
PIDFILE=var/run/responders-$PORT.pid
LOG=var/log/responders-$PORT.log
# probe: 0 = responders of THIS checkout's PKI answer (their CRL verifies under our issuing
# CA); 1 = nothing answers; 3 = something answers on the port but it is not our PKI
probe() { .venv/bin/python - "$PORT" var/pki/certs/interm.cert.pem <<'PY'
import sys, urllib.request
from cryptography import x509
try:
    crl = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/signsvc-dev/crls/interm/latest.crl", timeout=5).read()
except Exception:
    sys.exit(1)
try:
    ours = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
    sys.exit(0 if x509.load_der_x509_crl(crl).is_signature_valid(ours.public_key()) else 3)
except Exception:
    sys.exit(3)
PY
}
port_busy() { .venv/bin/python -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1', int(sys.argv[1]))) == 0 else 1)" "$PORT"; }
foreign() {
  echo "responders: 127.0.0.1:$PORT is taken by something that does not serve this checkout's test PKI" >&2
  echo "  (probably the responders of another checkout: stop them there with 'make stop'," >&2
  echo "   or free the port). Cổng 127.0.0.1:$PORT đang bị chiếm bởi dịch vụ không thuộc PKI" >&2
  echo "   thử nghiệm của thư mục này: dừng nó ('make stop' ở thư mục kia) rồi chạy lại." >&2
  exit 1
}
case "${1:-start}" in
  start)
    rc=0; probe || rc=$?
    [ $rc -eq 0 ] && { echo "responders: already running on 127.0.0.1:$PORT (this checkout's PKI)"; exit 0; }
    { [ $rc -eq 3 ] || port_busy; } && foreign
    mkdir -p var/run var/log
    nohup .venv/bin/python certs/responders.py --port "$PORT" >"$LOG" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 150); do probe && { echo "responders: started on 127.0.0.1:$PORT"; exit 0; }; sleep 0.2; done
    echo "responders: failed to start, see $LOG" >&2; exit 1 ;;
  stop)
    [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"; echo "responders: stopped" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
