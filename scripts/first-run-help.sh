#!/usr/bin/env bash
# Printed by `make run` before the service starts: how to get a token and sign a PDF.
cat <<'TXT'

signsvc (development) is starting on http://127.0.0.1:8080
  Test PKI, SoftHSM2 token "signsvc-dev" and responders on 127.0.0.1:9180 are ready (TEST ONLY).

In another terminal, from this folder:
  # 1. a portal client allowed to use the agency seal (the token is printed on the last line)
  TOKEN=$(.venv/bin/signsvc clients create portal1 --role portal --keys agency-seal,agency-seal-ec,dev-software | tail -n 1)
  # 2. sign a PDF (B-T: with a timestamp from the test TSA)
  curl -sS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/pdf' \
       --data-binary @your.pdf 'http://127.0.0.1:8080/v1/sign?key=agency-seal&level=B-T' -o signed.pdf
  # 3. verify it
  curl -sS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/pdf' \
       --data-binary @signed.pdf http://127.0.0.1:8080/v1/verify
  # pdfsig trusts the test root through var/pki/nssdb:
  pdfsig -nssdir sql:var/pki/nssdb signed.pdf
API page: http://127.0.0.1:8080/docs

TXT
