"""``kill -9`` of ``signsvc serve`` while it signs a request carrying an ``Idempotency-Key``
(held in a timestamp request that never gets its answer): after a restart on the same
state, a retry is 409 (the dead request still holds the key, ``Retry-After``) until the
claim's lease (``[idempotency] in_progress_seconds``) ends; then the retry signs once, and
every later retry is that answer. One signature in the audit log."""

from __future__ import annotations

import hashlib
import os
import signal
import time
import urllib.error
import urllib.request

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db.engine import url_engine
from tests.support.drip import dripping_server
from tests.support.pdfs import make_pdf
from tests.support.server import running_server
from tests.support.validate import pyhanko_statuses

LEASE = 8          # [idempotency] in_progress_seconds
TIMEOUT = 6        # [service] signing_timeout_seconds (the lease must exceed it)


def post(base: str, token: str, pdf: bytes, timeout: float = 60) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(
        f"{base}/v1/sign?key=dev-software&level=B-T", method="POST", data=pdf,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf",
                 "Idempotency-Key": "crash-1"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)
    except OSError as exc:          # the server was killed under the request
        return 0, repr(exc).encode(), {}


def test_kill_while_signing_then_retry(dev_pki, responders, tmp_path):
    import threading

    common = {"SIGNSVC_AUDIT__CHECKPOINT_KEY": "",
              "SIGNSVC_SERVICE__SIGNING_TIMEOUT_SECONDS": str(TIMEOUT),
              "SIGNSVC_IDEMPOTENCY__IN_PROGRESS_SECONDS": str(LEASE)}
    pdf = make_pdf(1, text="killed while signing")
    state = tmp_path / "state"
    with dripping_server(interval=0.5, content_type="application/timestamp-reply") as tsa:
        hanging = {**common, "SIGNSVC_TIMESTAMP__URLS": f'["{tsa.url}/tsa"]',
                   "SIGNSVC_TIMESTAMP__RETRIES": "0",
                   "SIGNSVC_TIMESTAMP__TIMEOUT_SECONDS": str(TIMEOUT - 1)}
        with running_server(tmp_path / "one", env=hanging, workers=1, state=state) as one:
            token = one.new_client("crash", "portal", "dev-software")
            first: list[tuple[int, bytes, dict]] = []
            worker = threading.Thread(target=lambda: first.append(post(one.base, token, pdf)))
            claimed_at = time.monotonic()
            worker.start()
            end = time.monotonic() + 20
            while not tsa.requests and time.monotonic() < end:
                time.sleep(0.01)
            assert tsa.requests, "the signature never reached its timestamp request"
            os.killpg(one.process.pid, signal.SIGKILL)      # mid-signature
            worker.join(timeout=30)
    assert first and first[0][0] == 0, first     # the client got no answer

    with running_server(tmp_path / "two", env=common, workers=2, state=state) as two:
        status, body, headers = post(two.base, token, pdf)
        assert time.monotonic() - claimed_at < LEASE, "restart too slow for this test"
        assert status == 409 and b"idempotency-in-progress" in body, body[:300]
        assert 1 <= int(headers["Retry-After"]) <= 5
        time.sleep(max(0.0, claimed_at + LEASE + 0.5 - time.monotonic()))
        status, signed, headers = post(two.base, token, pdf)
        assert status == 200, signed[:300]
        assert "Idempotent-Replayed" not in headers
        again = post(two.base, token, pdf)
        assert again[0] == 200 and again[1] == signed
        assert again[2]["Idempotent-Replayed"] == "true"
        assert again[2]["X-Audit-Sequence"] == headers["X-Audit-Sequence"]
    (_, sig), = pyhanko_statuses(signed, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert sig.intact and sig.valid and sig.trusted, sig.pretty_print_details()
    store = SqlAuditStore(url_engine(f"sqlite:///{state / 'audit.sqlite3'}"))
    try:
        (record,) = store.records(action="signing:document:signed")
        assert record.output_sha256 == hashlib.sha256(signed).hexdigest()
        assert str(record.sequence) == headers["X-Audit-Sequence"]
    finally:
        store.close()
