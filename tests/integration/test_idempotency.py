"""``Idempotency-Key`` on POST /v1/sign, /v1/extend and signing-session completion, with
the records in SQLite (the default ``idempotency.sqlite3``) and in PostgreSQL
(``[database] url``): a retry gets the first answer byte for byte without a second
signature; another request under the key is 422; a request in progress is 409; a failure
is not kept; an expired key signs again. Every signed PDF is validated."""

from __future__ import annotations

import hashlib
import io
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db import database_for
from signsvc.adapters.db.engine import url_engine
from signsvc.adapters.idempotency_sql import SqlIdempotencyStore
from signsvc.adapters.workflow_sql import SqlWorkflowStore
from signsvc.services.context import RequestContext
from signsvc.services.idempotency import StoredResponse
from tests.conftest import build_api, make_settings
from tests.integration.test_extend import signed_elsewhere
from tests.integration.test_signing_sessions import cert_b64, token_sign
from tests.support.pdfs import make_pdf
from tests.support.server import running_server, send
from tests.support.validate import load_cert, pyhanko_statuses

PDF_HEADERS = {"Content-Type": "application/pdf"}
KEPT = ("Content-Type", "Content-Disposition", "X-Signature-Level", "X-Document-SHA256",
        "X-Audit-Sequence", "X-Key-Protection", "X-Policy-SHA256", "X-Policy-Version")
SIGNED = "signing:document:signed"


def valid(dev_pki, data: bytes) -> None:
    for _sig, status in pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")]):
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()


def new_api(state: Path, engine_kind: str, request: pytest.FixtureRequest,
            **settings: str) -> Any:
    """The service on the engine of this parametrization (SQLite: the default files,
    idempotency.sqlite3 in the state folder; PostgreSQL: ``[database] url``)."""
    if engine_kind == "postgresql":
        settings["DATABASE__URL"] = request.getfixturevalue("storage_url")
    build: Any = build_api
    return build(state, **settings)


@pytest.fixture
def idem(engine_kind, request, tmp_path, dev_pki, responders):
    api = new_api(tmp_path / "state", engine_kind, request)
    api.dev_pki = dev_pki
    yield api
    api.services.shutdown()


def sign(api, idem_key: str | None, data: bytes, who: str = "portal", **query: str):
    headers = api.headers(who, **PDF_HEADERS)
    if idem_key is not None:
        headers["Idempotency-Key"] = idem_key
    return api.client.post("/v1/sign", query_string={"key": "dev-software", "level": "B-T",
                                                     **query}, data=data, headers=headers)


def records(api, action: str, output: str | None = None) -> list:
    return [r for r in api.services.audit.list(action=action)
            if output is None or r.output_sha256 == output]


def test_retry_with_the_same_key_replays_the_first_answer(idem, dev_pki, engine_kind):
    pdf = make_pdf(1, text=f"idempotent {engine_kind}")
    first = sign(idem, "order-42/attempt", pdf, reason="Phê duyệt")
    assert first.status_code == 200, first.get_json()
    valid(dev_pki, first.data)
    again = sign(idem, "order-42/attempt", pdf, reason="Phê duyệt")
    assert again.status_code == 200 and again.data == first.data
    assert {h: again.headers[h] for h in KEPT} == {h: first.headers[h] for h in KEPT}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    # the same PDF as multipart (another boundary), the query in another order: same request
    multipart = idem.client.post(
        "/v1/sign", query_string=[("reason", "Phê duyệt"), ("level", "B-T"),
                                  ("key", "dev-software")],
        data={"file": (io.BytesIO(pdf), "x.pdf")}, content_type="multipart/form-data",
        headers={**idem.headers("portal"), "Idempotency-Key": "order-42/attempt"})
    assert multipart.status_code == 200 and multipart.data == first.data
    digest = first.headers["X-Document-SHA256"]
    assert len(records(idem, SIGNED, digest)) == 1
    replays = records(idem, "idempotency:request:replayed", digest)
    assert len(replays) == 2 and replays[0].actor == "portal"
    assert replays[0].details["idempotency_key"] == "order-42/attempt"
    # the key is the client's: another client's same key is another request
    other = sign(idem, "order-42/attempt", pdf, who="portal-limited", reason="Phê duyệt")
    assert other.status_code == 200 and "Idempotent-Replayed" not in other.headers
    assert other.headers["X-Audit-Sequence"] != first.headers["X-Audit-Sequence"]
    valid(dev_pki, other.data)


def test_same_key_another_request_is_422_and_audited(idem, dev_pki):
    pdf = make_pdf(1, text="first body")
    assert sign(idem, "k-1", pdf).status_code == 200
    signed_before = len(records(idem, SIGNED))
    for changed in (sign(idem, "k-1", make_pdf(1, text="another body")),
                    sign(idem, "k-1", pdf, level="B-B")):
        assert changed.status_code == 422
        assert changed.mimetype == "application/problem+json"
        problem = changed.get_json()
        assert problem["code"] == "idempotency-key-reused"
        assert "Idempotency-Key này đã được dùng" in problem["detail_vi"] and "different request" in \
            problem["detail_en"]
    assert len(records(idem, SIGNED)) == signed_before
    refused = records(idem, "idempotency:request:refused")
    assert [r.error_code for r in refused[-2:]] == ["idempotency-key-reused"] * 2
    assert refused[-1].outcome == "failure" and refused[-1].details["operation"] == "sign"


@pytest.mark.parametrize("key", ["", "x" * 256, "có dấu", "two words", "tab\there"])
def test_a_key_out_of_bounds_is_400(idem, key):
    resp = sign(idem, key, make_pdf(1))
    assert resp.status_code == 400, key
    assert resp.get_json()["code"] == "idempotency-key-invalid"
    assert records(idem, "idempotency:request:refused")[-1].error_code == "idempotency-key-invalid"
    assert sign(idem, "x" * 255, make_pdf(1, text=key)).status_code == 200


def test_a_failure_is_not_kept(idem):
    pdf = make_pdf(1, text="fails first")
    refused = sign(idem, "retry-me", pdf, key="agency-seal-ec", who="portal-limited")
    assert refused.status_code == 403    # key not granted: audited by signing, not kept
    again = sign(idem, "retry-me", pdf, key="agency-seal-ec", who="portal-limited")
    assert again.status_code == 403 and "Idempotent-Replayed" not in again.headers
    assert again.get_json()["code"] == refused.get_json()["code"] == "key-not-permitted"
    # the key is free again: the corrected request is run and kept under it
    fixed = sign(idem, "retry-me", pdf, who="portal-limited")
    assert fixed.status_code == 200 and "Idempotent-Replayed" not in fixed.headers


def test_an_expired_key_signs_again(engine_kind, request, tmp_path, dev_pki, responders):
    api = new_api(tmp_path / "state", engine_kind, request, IDEMPOTENCY__TTL_SECONDS="1")
    try:
        pdf = make_pdf(1, text="expires")
        first = sign(api, "short-lived", pdf)
        assert first.status_code == 200
        time.sleep(1.2)
        second = sign(api, "short-lived", pdf)
        assert second.status_code == 200 and "Idempotent-Replayed" not in second.headers
        assert second.headers["X-Audit-Sequence"] != first.headers["X-Audit-Sequence"]
        assert len(records(api, SIGNED)) == 2
        valid(dev_pki, second.data)
    finally:
        api.services.shutdown()


def test_extend_is_idempotent(idem, dev_pki):
    original = signed_elsewhere(dev_pki)
    headers = idem.headers("portal", **PDF_HEADERS, **{"Idempotency-Key": "extend-1"})
    first = idem.client.post("/v1/extend", query_string={"level": "B-LT"}, data=original,
                             headers=headers)
    assert first.status_code == 200, first.get_json()
    again = idem.client.post("/v1/extend", query_string={"level": "B-LT"}, data=original,
                             headers=headers)
    assert again.status_code == 200 and again.data == first.data
    for name in ("X-Signature-Level", "X-Document-SHA256", "X-Audit-Sequence"):
        assert again.headers[name] == first.headers[name]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(records(idem, "signing:document:extended",
                       first.headers["X-Document-SHA256"])) == 1
    valid(dev_pki, again.data)
    other = idem.client.post("/v1/extend", query_string={"level": "B-LTA"}, data=original,
                             headers=headers)
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency-key-reused"


def test_session_completion_is_idempotent(idem, dev_pki):
    setup = RequestContext("t", "tests", "admin")
    _, idem.tokens["an"] = idem.services.clients.create("an", "official", (), setup)
    store = SqlWorkflowStore(database_for(idem.services.settings, "workflow"))
    store.register_certificate("an", load_cert(dev_pki.cert("official-an")).sha256.hex(),
                               "official-an")
    upload = idem.client.post(
        "/v1/documents", data={"file": (io.BytesIO(make_pdf(2)), "d.pdf"), "title": "Công văn",
                               "number": "7/CV", "assignee": "an"},
        headers=idem.headers("portal"), content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    session = idem.client.post("/v1/signing-sessions", headers=idem.headers("an"), json={
        "document_id": upload.get_json()["id"], "level": "B-T",
        "certificate": cert_b64(dev_pki, "official-an")}).get_json()
    signature = token_sign(dev_pki, "official-an", session)
    url = f"/v1/signing-sessions/{session['id']}/signature"
    headers = {**idem.headers("an"), "Idempotency-Key": "complete-" + session["id"]}
    malformed = idem.client.post(url, headers=headers, json={"signature": 42})
    assert malformed.status_code == 400     # refused before the session: nothing kept
    done = idem.client.post(url, headers=headers, json={"signature": signature})
    assert done.status_code == 200, done.get_json()
    # the same JSON written otherwise (spacing) is the same request
    again = idem.client.post(url, headers={**headers, "Content-Type": "application/json"},
                             data='{ "signature" : "' + signature + '" }')
    assert again.status_code == 200 and again.data == done.data
    assert again.headers["X-Document-SHA256"] == done.headers["X-Document-SHA256"]
    assert again.headers["X-Document-Revision"] == done.headers["X-Document-Revision"]
    assert again.headers["Idempotent-Replayed"] == "true"
    # without the key the session is used up, as before
    used = idem.client.post(url, headers=idem.headers("an"), json={"signature": signature})
    assert used.status_code == 409
    assert len(records(idem, SIGNED, done.headers["X-Document-SHA256"])) == 1
    valid(dev_pki, done.data)


def test_store_leases_expiry_and_purge(storage_url):
    """The store itself: one claim per key, a claim past its lease is taken over (its
    holder can no longer store an answer), answers expire and are purged."""
    store = SqlIdempotencyStore(url_engine(storage_url))
    answer = StoredResponse(200, (("Content-Type", "application/pdf"),), b"%PDF-1.7 signed")
    first = store.claim("c", "k", "f1", 1000.0, ttl_seconds=100, lease_seconds=10)
    assert first.owner
    busy = store.claim("c", "k", "f1", 1004.0, ttl_seconds=100, lease_seconds=10)
    assert busy.owner is None and busy.response is None and busy.retry_after == 6.0
    assert store.claim("c", "k", "f2", 1004.0, ttl_seconds=100, lease_seconds=10).mismatch
    late = store.claim("c", "k", "f1", 1010.5, ttl_seconds=100, lease_seconds=10)
    assert late.owner and late.owner != first.owner
    assert not store.complete("c", "k", first.owner, answer, 1011.0, 100)
    assert store.complete("c", "k", late.owner, answer, 1011.0, 100)
    assert store.claim("c", "k", "f1", 1110.0, ttl_seconds=100, lease_seconds=10).response \
        == answer
    assert store.claim("c2", "k", "f1", 1000.0, ttl_seconds=100, lease_seconds=10).owner
    assert store.purge(1111.5) == 2      # the answer past its TTL, c2's claim past its lease
    assert store.claim("c", "k", "f9", 1112.0, ttl_seconds=100, lease_seconds=10).owner


def test_crash_window_and_failures_through_the_service(idem):
    """A holder that died (claim never completed) blocks its key with 409 until its lease
    ends, then the request runs again; a failure frees the key; a 4xx answer is not kept."""
    from signsvc.errors import IdempotencyInProgress, NotFound
    from signsvc.services.idempotency import IdempotencyService

    now = [5000.0]
    store = SqlIdempotencyStore(database_for(idem.services.settings, "idempotency"))
    service = IdempotencyService(store, idem.services.audit, ttl_seconds=100,
                                 lease_seconds=30, clock=lambda: now[0])
    ctx = RequestContext("crash-test", "portal", "portal")
    answer = StoredResponse(200, (("X-Audit-Sequence", "7"),), b"%PDF signed once")
    ran: list[int] = []

    def produce(response: StoredResponse = answer) -> StoredResponse:
        ran.append(1)
        return response
    assert store.claim("portal", "died", "fp", now[0], ttl_seconds=100, lease_seconds=30).owner
    now[0] += 29
    with pytest.raises(IdempotencyInProgress) as busy:
        service.run(ctx, "sign", "died", "fp", produce)
    assert busy.value.extra["retry_after"] == 1 and not ran
    now[0] += 2                                   # the dead holder's lease is over
    assert service.run(ctx, "sign", "died", "fp", produce) == (answer, False)
    assert service.run(ctx, "sign", "died", "fp", produce) == (answer, True) and len(ran) == 1

    def failing() -> StoredResponse:
        raise NotFound()
    with pytest.raises(NotFound):
        service.run(ctx, "sign", "fails", "fp", failing)
    refused = StoredResponse(404, (), b"{}")
    assert service.run(ctx, "sign", "fails", "fp", lambda: produce(refused)) == (refused, False)
    assert service.run(ctx, "sign", "fails", "fp", produce) == (answer, False)
    assert len(ran) == 3


def test_settings_bounds(tmp_path):
    from signsvc.errors import ConfigError

    assert make_settings(tmp_path).idempotency.ttl_seconds == 86400
    with pytest.raises(ConfigError, match=r"idempotency\.ttl_seconds"):
        make_settings(tmp_path, IDEMPOTENCY__TTL_SECONDS="0")
    with pytest.raises(ConfigError, match=r"idempotency\.in_progress_seconds"):
        make_settings(tmp_path, IDEMPOTENCY__IN_PROGRESS_SECONDS="30")


def test_openapi_documents_the_header(idem):
    doc = idem.client.get("/openapi.json").get_json()
    for path in ("/v1/sign", "/v1/extend", "/v1/signing-sessions/{session_id}/signature"):
        (param,) = [p for p in doc["paths"][path]["post"]["parameters"]
                    if p["name"] == "Idempotency-Key"]
        assert param["in"] == "header" and param["schema"]["maxLength"] == 255
        assert {"409", "422"} <= set(doc["paths"][path]["post"]["responses"])


REQUESTS = 6


def test_concurrent_retries_on_gunicorn_sign_once(engine_kind, request, tmp_path, dev_pki,
                                                  responders):
    """Six requests with one key released together at ``signsvc serve`` (2 workers): one
    signature; every 200 is that signature (the others 409 with Retry-After, or replays)."""
    env = {"SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}
    if engine_kind == "postgresql":
        env["SIGNSVC_DATABASE__URL"] = f'"{request.getfixturevalue("storage_url")}"'
    pdf = make_pdf(1, text="concurrent retries")
    results: list[tuple[int, bytes, dict] | None] = [None] * REQUESTS
    with running_server(tmp_path, env=env, workers=2, threads=4) as server:
        token = server.new_client("racer", "portal", "dev-software")
        start = threading.Barrier(REQUESTS)

        def client(i: int) -> None:
            start.wait()
            results[i] = send(f"{server.base}/v1/sign?key=dev-software&level=B-T", data=pdf,
                              headers={"Authorization": f"Bearer {token}",
                                       "Idempotency-Key": "race-1", **PDF_HEADERS})
        threads = [threading.Thread(target=client, args=(i,)) for i in range(REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        answered = [r for r in results if r and r[0] == 200]
        busy = [r for r in results if r and r[0] == 409]
        assert len(answered) + len(busy) == REQUESTS, [r and r[:2] for r in results]
        assert answered and busy, "no request arrived while the first was being signed"
        assert len({r[1] for r in answered}) == 1
        assert len({r[2]["X-Audit-Sequence"] for r in answered}) == 1
        for _status, body, headers in busy:
            assert headers["Content-Type"].startswith("application/problem+json")
            assert int(headers["Retry-After"]) >= 1 and b"idempotency-in-progress" in body
        # after the first answer every retry is its replay
        time.sleep(0.2)
        late = urllib.request.Request(
            f"{server.base}/v1/sign?key=dev-software&level=B-T", method="POST", data=pdf,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1",
                     **PDF_HEADERS})
        with urllib.request.urlopen(late, timeout=120) as resp:
            assert resp.read() == answered[0][1] and resp.headers["Idempotent-Replayed"] == "true"
    valid(dev_pki, answered[0][1])
    url = env.get("SIGNSVC_DATABASE__URL", "").strip('"') or \
        f"sqlite:///{server.state / 'audit.sqlite3'}"
    store = SqlAuditStore(url_engine(url))
    try:
        (signed,) = store.records(action=SIGNED)     # one signature for six requests
        assert signed.output_sha256 == hashlib.sha256(answered[0][1]).hexdigest()
        assert str(signed.sequence) == answered[0][2]["X-Audit-Sequence"]
        assert len(store.records(action="idempotency:request:refused")) == len(busy)
    finally:
        store.close()
