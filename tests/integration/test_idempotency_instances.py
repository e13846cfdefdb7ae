"""Two ``signsvc serve`` instances on one PostgreSQL database: eight requests with one
``Idempotency-Key`` released together, half to each instance, give one signature; every
200 is that signature, byte for byte, and a later retry on either instance replays it."""

from __future__ import annotations

import threading

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db.engine import url_engine
from tests.support.pdfs import make_pdf
from tests.support.server import running_server, send
from tests.support.validate import pyhanko_statuses

REQUESTS = 8


def post(base: str, token: str, pdf: bytes) -> tuple[int, bytes, dict]:
    return send(f"{base}/v1/sign?key=dev-software&level=B-T", data=pdf,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf",
                         "Idempotency-Key": "two-instances"})


def test_one_key_across_two_instances_signs_once(dev_pki, responders, tmp_path, pg_url):
    env = {"SIGNSVC_AUDIT__CHECKPOINT_KEY": "", "SIGNSVC_DATABASE__URL": f'"{pg_url}"'}
    pdf = make_pdf(1, text="one key, two instances")
    results: list[tuple[int, bytes, dict] | None] = [None] * REQUESTS
    with running_server(tmp_path / "one", env=env, workers=1, threads=4) as one, \
            running_server(tmp_path / "two", env=env, workers=1, threads=4) as two:
        token = one.new_client("shared", "portal", "dev-software")
        start = threading.Barrier(REQUESTS)

        def client(i: int) -> None:
            start.wait()
            results[i] = post((one, two)[i % 2].base, token, pdf)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        answered = [r for r in results if r and r[0] == 200]
        busy = [r for r in results if r and r[0] == 409]
        assert len(answered) + len(busy) == REQUESTS, [r and r[:2] for r in results]
        assert answered and len({r[1] for r in answered}) == 1
        for server in (one, two):
            status, body, headers = post(server.base, token, pdf)
            assert status == 200 and body == answered[0][1]
            assert headers["Idempotent-Replayed"] == "true"
    (_, sig), = pyhanko_statuses(answered[0][1], dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert sig.intact and sig.valid and sig.trusted, sig.pretty_print_details()
    store = SqlAuditStore(url_engine(pg_url))
    try:
        (signed,) = store.records(action="signing:document:signed")
        assert str(signed.sequence) == answered[0][2]["X-Audit-Sequence"]
    finally:
        store.close()
