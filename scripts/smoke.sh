#!/usr/bin/env bash
# Smoke test of the README's main command, as a new user meets it (run by .ci/run before
# `make test`). From a CLEAN CLONE of this checkout's HEAD (so nothing that tests or earlier
# runs left under var/ or .venv/ can hide a missing step), it:
#   1. runs `make run` in the background, exactly as the README says, in its own process group;
#   2. waits (bounded) for /healthz on 127.0.0.1:8080;
#   3. creates a client with the command `make run` prints;
#   4. signs a PDF with curl at B-T, verifies it over HTTP (verdict valid) and with pdfsig;
#   5. signs a 3 MB PDF and uploads it as a form (multipart) to /v1/verify: valid;
#   6. stops everything it started (service and responders) by process group, and checks
#      that ports 8080 and 9180 are free again.
# Exit 0 only if every step worked; the clone's log is printed on failure.
#   scripts/smoke.sh [--keep]   (--keep: leave the clone in place for a look)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
KEEP=${1:-}
WORK=$(mktemp -d /tmp/signsvc-smoke.XXXXXX)
CLONE=$WORK/signsvc
LOG=$WORK/make-run.log
BASE=http://127.0.0.1:8080
PGID=""

say() { printf 'smoke: %s\n' "$*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cleanup() {
  local rc=$?
  if [ -n "$PGID" ]; then
    kill -TERM -- "-$PGID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$PGID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$PGID" 2>/dev/null || true
  fi
  if [ $rc -ne 0 ]; then
    echo "smoke: FAILED (exit $rc); last lines of make run:" >&2
    tail -n 60 "$LOG" >&2 2>/dev/null || true
  fi
  [ "$KEEP" = "--keep" ] && echo "smoke: clone kept in $CLONE" || rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

for p in 8080 9180; do
  if port_open $p; then echo "smoke: port $p is already in use; stop what runs there first" >&2; exit 1; fi
done

say "clean clone of $(git rev-parse --short HEAD) in $CLONE"
git clone --quiet --no-hardlinks "$SRC" "$CLONE"
cd "$CLONE"

say "make run (background, own process group; log $LOG)"
setsid make run >"$LOG" 2>&1 < /dev/null &
PGID=$!

# first run installs the virtual environment and builds the PKI: allow 15 minutes
deadline=$((SECONDS + 900))
until curl -sf "$BASE/healthz" >/dev/null 2>&1; do
  if ! kill -0 "$PGID" 2>/dev/null; then echo "smoke: make run exited before serving" >&2; exit 1; fi
  [ $SECONDS -lt $deadline ] || { echo "smoke: no /healthz within 15 minutes" >&2; exit 1; }
  sleep 1
done
say "serving after ${SECONDS}s: $(curl -s "$BASE/healthz")"

# the client command exactly as `make run` prints it
cmd=$(grep -o 'TOKEN=$(.venv/bin/signsvc clients create.*| tail -n 1)' "$LOG" | head -n 1)
[ -n "$cmd" ] || { echo "smoke: make run did not print the client command" >&2; exit 1; }
eval "$cmd"
[ -n "${TOKEN:-}" ] || { echo "smoke: no token from: $cmd" >&2; exit 1; }
AUTH="Authorization: Bearer $TOKEN"

.venv/bin/python -c "
import sys; sys.path.insert(0, '.')
from tests.support.pdfs import make_pdf
open('$WORK/small.pdf', 'wb').write(make_pdf(text='smoke test'))
open('$WORK/big.pdf', 'wb').write(make_pdf(text='smoke test 3 MB', pad_to=3_000_000))
"

sign() {  # sign IN OUT: B-T with the agency seal; fails on any non-200
  local code
  code=$(curl -sS -o "$2" -w '%{http_code}' -H "$AUTH" -H 'Content-Type: application/pdf' \
         --data-binary @"$1" "$BASE/v1/sign?key=agency-seal&level=B-T")
  [ "$code" = 200 ] || { echo "smoke: signing $1 answered $code: $(head -c 600 "$2")" >&2; exit 1; }
}
verdict() {  # verdict JSON-FILE
  .venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['verdict'])" "$1"
}

sign "$WORK/small.pdf" "$WORK/small-signed.pdf"
say "signed at B-T ($(stat -c %s "$WORK/small-signed.pdf") bytes)"
curl -sS -f -H "$AUTH" -H 'Content-Type: application/pdf' --data-binary @"$WORK/small-signed.pdf" \
     "$BASE/v1/verify" -o "$WORK/small-report.json"
v=$(verdict "$WORK/small-report.json")
[ "$v" = valid ] || { echo "smoke: /v1/verify says '$v'" >&2; cat "$WORK/small-report.json" >&2; exit 1; }
say "/v1/verify: $v"
pdfsig -nssdir sql:var/pki/nssdb "$WORK/small-signed.pdf" > "$WORK/pdfsig.txt" 2>&1 || true
grep -q "Signature Validation: Signature is Valid." "$WORK/pdfsig.txt" \
  || { echo "smoke: pdfsig does not accept the signature:" >&2; cat "$WORK/pdfsig.txt" >&2; exit 1; }
grep -q "Certificate Validation: Certificate is Trusted." "$WORK/pdfsig.txt" \
  || { echo "smoke: pdfsig does not trust the signer:" >&2; cat "$WORK/pdfsig.txt" >&2; exit 1; }
say "pdfsig: signature valid, certificate trusted"

sign "$WORK/big.pdf" "$WORK/big-signed.pdf"
code=$(curl -sS -o "$WORK/big-report.json" -w '%{http_code}' -H "$AUTH" \
       -F "file=@$WORK/big-signed.pdf;type=application/pdf" "$BASE/v1/verify")
[ "$code" = 200 ] || { echo "smoke: 3 MB form upload to /v1/verify answered $code: $(head -c 600 "$WORK/big-report.json")" >&2; exit 1; }
v=$(verdict "$WORK/big-report.json")
[ "$v" = valid ] || { echo "smoke: 3 MB form upload: verdict '$v'" >&2; exit 1; }
say "3 MB PDF as multipart/form-data to /v1/verify: $v"

say "stopping make run (process group $PGID)"
kill -TERM -- "-$PGID" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 -- "-$PGID" 2>/dev/null || break; sleep 0.2; done
kill -KILL -- "-$PGID" 2>/dev/null || true
PGID=""
for _ in $(seq 1 50); do port_open 8080 || port_open 9180 || break; sleep 0.2; done
for p in 8080 9180; do
  if port_open $p; then echo "smoke: port $p still open after stopping" >&2; exit 1; fi
done
say "OK: make run from a clean clone serves, signs (B-T), verifies (HTTP, pdfsig, 3 MB form) and stops cleanly"
