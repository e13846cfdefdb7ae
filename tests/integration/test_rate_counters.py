"""Rate limits are exact: counted in the state database when a request is decided, not
read from the audit log (whose growth made every count slower and let concurrent requests
pass a limit together)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

from signsvc.adapters.audit_sql import SqlAuditStore, open_audit_store
from signsvc.audit.events import AuditEvent
from tests.conftest import REPO
from tests.integration.test_policy_api import HDR, api_with, denied, edited, sign
from tests.support.pdfs import make_pdf
from tests.support.server import running_server
from tests.support.validate import pyhanko_statuses

SHIPPED = (REPO / "config" / "policy.toml").read_text()
REQUESTS = 20


def test_20_concurrent_requests_against_a_limit_of_5_get_exactly_5_signatures(
        dev_pki, responders, tmp_path):
    """Two gunicorn workers × 4 threads, 20 requests released together, rate.client at 5
    per minute: exactly 5 × 200 (valid signatures, 5 signed records) and 15 × 403."""
    policy = tmp_path / "policy.toml"
    policy.write_text(edited(SHIPPED, **{r"^per_minute = 600$": "per_minute = 5"}))
    env = {"SIGNSVC_POLICY__PATH": str(policy), "SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}
    documents = [make_pdf(1, text=f"rate document {i}") for i in range(REQUESTS)]
    results: list[tuple[int, bytes] | None] = [None] * REQUESTS
    with running_server(tmp_path, env=env, workers=2, threads=4) as server:
        token = server.new_client("burst", "portal", "dev-software")
        start = threading.Barrier(REQUESTS)

        def client(i: int) -> None:
            req = urllib.request.Request(
                f"{server.base}/v1/sign?key=dev-software&level=B-B", method="POST",
                data=documents[i], headers={"Authorization": f"Bearer {token}", **HDR})
            start.wait()
            try:
                with urllib.request.urlopen(req, timeout=120) as resp:
                    results[i] = (resp.status, resp.read())
            except urllib.error.HTTPError as exc:
                results[i] = (exc.code, exc.read())
        threads = [threading.Thread(target=client, args=(i,)) for i in range(REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        statuses = sorted(r[0] if r else None for r in results)
        assert statuses == [200] * 5 + [403] * 15, [r[1][:200] for r in results if r and
                                                    r[0] not in (200, 403)]
    for i, r in enumerate(results):
        if r[0] == 403:
            assert b'"rate.client"' in r[1]
            continue
        assert r[1].startswith(documents[i])
        (_, status), = pyhanko_statuses(r[1], dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    store = SqlAuditStore(server.state / "audit.sqlite3")
    try:
        assert len(store.records(action="signing:document:signed")) == 5
        denials = store.records(action="policy:rule:denied")
        assert len(denials) == 15 and {d.details["rule"] for d in denials} == {"rate.client"}
    finally:
        store.close()


def test_the_count_does_not_come_from_the_audit_log(dev_pki, responders, tmp_path):
    """300 'signed' records of the client put into the audit log this minute (straight into
    the store, as a count of audit rows would see them) do not count: the limit is on the
    signatures the service admitted, read from its counters, whatever the log holds."""
    api = api_with(tmp_path, edited(SHIPPED, **{r"^per_minute = 600$": "per_minute = 2"}))
    try:
        store = open_audit_store(api.services.settings)
        try:
            for i in range(300):
                store.append(AuditEvent(action="signing:document:signed", outcome="success",
                                        actor="portal", request_id=f"old-{i}",
                                        key_id="dev-software"))
            assert len(store.records(action="signing:document:signed")) == 300
        finally:
            store.close()
        for _ in range(2):
            resp = sign(api, key="dev-software", level="B-B")
            assert resp.status_code == 200, resp.get_json()
            (_, st), = pyhanko_statuses(resp.data, dev_pki.cert("root"), [dev_pki.cert("interm")])
            assert st.intact and st.valid and st.trusted
        body = denied(sign(api, key="dev-software", level="B-B"), "rate.client")
        assert "2" in body["detail_en"] and body["rule"] == "rate.client"
        # the other client has its own count
        resp = sign(api, key="dev-software", level="B-B", who="portal-limited")
        assert resp.status_code == 200, resp.get_json()
    finally:
        api.services.shutdown()
