"""``signsvc serve`` with ``[database] url`` on PostgreSQL: every store in the database,
nothing in SQLite; signatures under concurrency each have their audit record, the chain
verifies, rate limits are exact."""

from __future__ import annotations

import hashlib
import threading
import urllib.error
import urllib.request

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db.engine import url_engine
from signsvc.audit.keyed import Anchor, verify_segment
from tests.conftest import REPO
from tests.integration.test_policy_api import HDR, edited
from tests.support.pdfs import make_pdf
from tests.support.server import running_server
from tests.support.validate import pyhanko_statuses

SHIPPED = (REPO / "config" / "policy.toml").read_text()
REQUESTS = 12
LIMIT = 6


def test_serve_on_postgresql_signs_audits_and_limits_exactly(dev_pki, responders, tmp_path,
                                                              pg_url):
    policy = tmp_path / "policy.toml"
    policy.write_text(edited(SHIPPED, **{r"^per_minute = 600$": f"per_minute = {LIMIT}"}))
    env = {"SIGNSVC_POLICY__PATH": str(policy), "SIGNSVC_AUDIT__CHECKPOINT_KEY": "",
           "SIGNSVC_DATABASE__URL": f'"{pg_url}"'}
    documents = [make_pdf(1, text=f"pg document {i}") for i in range(REQUESTS)]
    results: list[tuple[int, bytes, str | None] | None] = [None] * REQUESTS
    with running_server(tmp_path, env=env, workers=2, threads=4) as server:
        token = server.new_client("pg-portal", "portal", "dev-software")
        start = threading.Barrier(REQUESTS)

        def client(i: int) -> None:
            req = urllib.request.Request(
                f"{server.base}/v1/sign?key=dev-software&level=B-B", method="POST",
                data=documents[i], headers={"Authorization": f"Bearer {token}", **HDR})
            start.wait()
            try:
                with urllib.request.urlopen(req, timeout=120) as resp:
                    results[i] = (resp.status, resp.read(), resp.headers["X-Audit-Sequence"])
            except urllib.error.HTTPError as exc:
                results[i] = (exc.code, exc.read(), None)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        statuses = sorted(r[0] if r else None for r in results)
        assert statuses == [200] * LIMIT + [403] * (REQUESTS - LIMIT), \
            [r[1][:300] for r in results if r and r[0] not in (200, 403)]
    # every store lived in PostgreSQL: no SQLite database was made in the state folder
    assert not list(server.state.glob("*.sqlite3")), list(server.state.iterdir())

    store = SqlAuditStore(url_engine(pg_url))
    try:
        signed = {r.request_id: r for r in store.records(action="signing:document:signed")}
        assert len(signed) == LIMIT
        answered = [r for r in results if r and r[0] == 200]
        for _status, body, sequence in answered:
            (_, sig), = pyhanko_statuses(body, dev_pki.cert("root"), [dev_pki.cert("interm")])
            assert sig.intact and sig.valid and sig.trusted, sig.pretty_print_details()
            record = store.records(after_sequence=int(sequence) - 1, limit=1)[0]
            assert record.sequence == int(sequence) and record.request_id in signed
            assert record.output_sha256 == hashlib.sha256(body).hexdigest()
        records = store.records()
        assert [r.sequence for r in records] == list(range(1, len(records) + 1))
        assert verify_segment(store.iter_with_mac(0), Anchor(), None, store.guard.mac_from).ok
    finally:
        store.close()


def test_database_down_fails_closed_then_recovers(dev_pki, responders, tmp_path, pg_url):
    """PostgreSQL refusing connections: a signature is refused with 503 (problem+json, no
    document), never answered without its audit record; once it is back, the next one is
    signed and audited, the chain intact."""
    import json

    import psycopg

    name = pg_url.rsplit("/", 1)[1]
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    env = {"SIGNSVC_AUDIT__CHECKPOINT_KEY": "", "SIGNSVC_DATABASE__URL": f'"{pg_url}"'}

    def post(token: str) -> tuple[int, bytes, dict]:
        req = urllib.request.Request(
            f"{server.base}/v1/sign?key=dev-software&level=B-B", method="POST",
            data=make_pdf(1, text="down and up"),
            headers={"Authorization": f"Bearer {token}", **HDR})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)

    with running_server(tmp_path, env=env, workers=1) as server:
        token = server.new_client("pg-down", "portal", "dev-software")
        assert post(token)[0] == 200
        store = SqlAuditStore(url_engine(pg_url))
        before = store.head()[0]
        store.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        try:
            status, body, headers = post(token)
            assert status == 503, body[:300]
            assert headers["Content-Type"].startswith("application/problem+json")
            assert b"%PDF" not in body and json.loads(body)["status"] == 503
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        status, body, headers = post(token)
        assert status == 200 and body.startswith(b"%PDF")
        sequence = int(headers["X-Audit-Sequence"])
    store = SqlAuditStore(url_engine(pg_url))
    try:
        records = store.records(after_sequence=before)
        assert not [r for r in records if r.action == "signing:document:signed"
                    and r.sequence != sequence]   # the refused one was never signed
        assert store.records(after_sequence=sequence - 1, limit=1)[0].output_sha256 == \
            hashlib.sha256(body).hexdigest()
        assert verify_segment(store.iter_with_mac(0), Anchor(), None, store.guard.mac_from).ok
    finally:
        store.close()


def test_two_instances_share_one_chain_and_exact_limits(dev_pki, responders, tmp_path, pg_url):
    """Two ``signsvc serve`` instances (own state folders, one PostgreSQL database): a
    client created through one signs on both; 12 requests released together, 6 to each,
    against a limit of 6 per minute give exactly 6 signatures in all; the audit log is one
    gapless chain holding every answered signature."""
    policy = tmp_path / "policy.toml"
    policy.write_text(edited(SHIPPED, **{r"^per_minute = 600$": f"per_minute = {LIMIT}"}))
    env = {"SIGNSVC_POLICY__PATH": str(policy), "SIGNSVC_AUDIT__CHECKPOINT_KEY": "",
           "SIGNSVC_DATABASE__URL": f'"{pg_url}"'}
    results: list[tuple[int, bytes, str | None] | None] = [None] * REQUESTS
    with running_server(tmp_path / "one", env=env, workers=1, threads=4) as one, \
            running_server(tmp_path / "two", env=env, workers=1, threads=4) as two:
        token = one.new_client("shared", "portal", "dev-software")
        start = threading.Barrier(REQUESTS)

        def client(i: int) -> None:
            base = (one, two)[i % 2].base
            req = urllib.request.Request(
                f"{base}/v1/sign?key=dev-software&level=B-B", method="POST",
                data=make_pdf(1, text=f"instance document {i}"),
                headers={"Authorization": f"Bearer {token}", **HDR})
            start.wait()
            try:
                with urllib.request.urlopen(req, timeout=120) as resp:
                    results[i] = (resp.status, resp.read(), resp.headers["X-Audit-Sequence"])
            except urllib.error.HTTPError as exc:
                results[i] = (exc.code, exc.read(), None)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    statuses = sorted(r[0] if r else None for r in results)
    assert statuses == [200] * LIMIT + [403] * (REQUESTS - LIMIT), \
        [r[1][:300] for r in results if r and r[0] not in (200, 403)]
    store = SqlAuditStore(url_engine(pg_url))
    try:
        records = store.records()
        assert [r.sequence for r in records] == list(range(1, len(records) + 1))
        by_sequence = {r.sequence: r for r in records}
        for _status, body, sequence in (r for r in results if r and r[0] == 200):
            assert by_sequence[int(sequence)].output_sha256 == hashlib.sha256(body).hexdigest()
        assert verify_segment(store.iter_with_mac(0), Anchor(), None, store.guard.mac_from).ok
    finally:
        store.close()


def test_signing_session_started_on_one_instance_completes_on_another(dev_pki, responders,
                                                                       tmp_path, pg_url):
    """The three-step browser signing across two service instances on one database: the
    document is filed and the session prepared through A, the official's signature is
    completed through B (its own state folder, its own stores), the result is valid."""
    from signsvc.adapters.workflow_sql import SqlWorkflowStore
    from signsvc.services.context import RequestContext
    from tests.conftest import build_api
    from tests.integration.test_signing_sessions import (
        finish,
        new_document,
        start,
        token_sign,
    )
    from tests.support.validate import load_cert

    url = f'"{pg_url}"'
    a = build_api(tmp_path / "a", DATABASE__URL=url)
    b = build_api(tmp_path / "b", DATABASE__URL=url, with_clients=False)
    try:
        _, token = a.services.clients.create("an-pg", "official", (),
                                              RequestContext("t", "tests", "admin"))
        a.tokens["an-pg"] = b.tokens["an-pg"] = token
        b.tokens.update(a.tokens)
        SqlWorkflowStore(url_engine(pg_url)).register_certificate(
            "an-pg", load_cert(dev_pki.cert("official-an")).sha256.hex(), "official-an")
        a.dev_pki = b.dev_pki = dev_pki
        doc = new_document(a, assignee="an-pg")
        resp = start(a, "an-pg", doc, "official-an", level="B-B", rsa_padding="pss")
        assert resp.status_code == 201, resp.get_json()
        session = resp.get_json()
        done = finish(b, "an-pg", session, token_sign(dev_pki, "official-an", session))
        assert done.status_code == 200, done.get_json()
        (_, status), = pyhanko_statuses(done.data, dev_pki.cert("root"),
                                        [dev_pki.cert("interm")])
        assert status.intact and status.valid and status.trusted
        again = finish(a, "an-pg", session, token_sign(dev_pki, "official-an", session))
        assert again.status_code >= 400     # used once, whichever instance is asked
        content = a.client.get(f"/v1/documents/{doc['id']}/content",
                               headers=a.headers("portal"))
        assert content.data == done.data   # A serves what B signed
    finally:
        a.services.shutdown()
        b.services.shutdown()
