"""Malformed input never crashes a request (issue 11 §2): the reproducers of the report, a
catch-all that audits what nothing else caught, and a seeded mutation fuzz of /v1/sign,
/v1/verify and the signing sessions asserting: no 5xx, every 4xx is problem+json in
Vietnamese and English, each signing request leaves exactly one audit record.
Real keys (SoftHSM2 and the software key), the test PKI; every signature made is validated."""

from __future__ import annotations

import base64
import io
import json
import random
import re
import signal
import time
from contextlib import contextmanager

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signsvc.adapters.workflow_sql import SqlWorkflowStore
from signsvc.services.context import RequestContext
from tests.conftest import build_api
from tests.support.mutate import mutate_json, mutate_pdf
from tests.support.pdfs import make_pdf
from tests.support.validate import load_cert

PDF = {"Content-Type": "application/pdf"}
SEED = 11
#: no single request may take longer (a mutated 2 KB file that takes minutes is a denial of service)
REQUEST_SECONDS = 20


@contextmanager
def _bounded(seconds: int = REQUEST_SECONDS):
    """Cut a request that runs past ``seconds`` (SIGALRM raises inside it) and say how long
    it ran: ``elapsed[0]``."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"request ran over {seconds} s")
    elapsed = [0.0]
    old = signal.signal(signal.SIGALRM, on_alarm)
    start = time.monotonic()
    signal.alarm(seconds)
    try:
        yield elapsed
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        elapsed[0] = time.monotonic() - start
CTX = RequestContext("fuzz-setup", "tests", "admin")


@pytest.fixture(scope="module")
def fz(dev_pki, responders, tmp_path_factory):
    state = tmp_path_factory.mktemp("fuzz")
    api = build_api(state)
    _, api.tokens["an"] = api.services.clients.create("an", "official", (), CTX)
    SqlWorkflowStore(state / "workflow.sqlite3").register_certificate(
        "an", load_cert(dev_pki.cert("official-an")).sha256.hex(), "official-an")
    api.cert_b64 = base64.b64encode(load_cert(dev_pki.cert("official-an")).dump()).decode()
    yield api
    api.services.shutdown()


def _records(api, resp) -> list:
    rid = resp.headers["X-Request-Id"]
    return [r for r in api.services.audit.list(limit=100000) if r.request_id == rid]


def _problem(resp) -> dict:
    assert resp.mimetype == "application/problem+json", (resp.status_code, resp.get_data()[:300])
    body = resp.get_json()
    assert body["status"] == resp.status_code and body["code"] and body["instance"]
    assert body["detail_vi"] and body["detail_en"] and body["detail_vi"] != body["detail_en"]
    return body


def _valid_signatures(data: bytes, dev_pki, newest_only: bool = False) -> int:
    """Every signature of ``data`` (or only the newest, the one the service just made, when
    the input was a mutated signed file) intact and valid, the signer's chain to the dev
    root; the number checked."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    vc = ValidationContext(trust_roots=[load_cert(dev_pki.cert("root"))],
                           other_certs=[load_cert(dev_pki.cert("interm"))], allow_fetching=False)
    sigs = reader.embedded_regular_signatures
    sigs = sorted(sigs, key=lambda s: s.signed_revision)[-1:] if newest_only else sigs
    for sig in sigs:
        status = validate_pdf_signature(sig, signer_validation_context=vc)
        assert status.intact and status.valid, status.pretty_print_details()
    return len(sigs)


def _document(api) -> str:
    resp = api.client.post("/v1/documents", data={"file": (io.BytesIO(make_pdf()), "d.pdf"),
                                                  "title": "Công văn", "number": "1/CV",
                                                  "assignee": "an"},
                           headers=api.headers("portal"), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()["id"]


# -- the reproducers of the report ---------------------------------------------------------

def test_a_root_that_does_not_exist_is_422_on_sign_and_verify(fz):
    bad = re.sub(rb"/Root \d+ 0 R", b"/Root 99999999 0 R", make_pdf())
    for path, who in (("/v1/sign?key=dev-software&level=B-B", "portal"), ("/v1/verify", "auditor")):
        resp = fz.client.post(path, data=bad, headers=fz.headers(who, **PDF))
        assert resp.status_code == 422 and _problem(resp)["code"] == "malformed-pdf"
        (record,) = _records(fz, resp)
        assert record.outcome in ("failure", "denied") and record.error_code == "malformed-pdf"


def test_step_three_with_non_ascii_signature_is_400_and_audited(fz):
    start = fz.client.post("/v1/signing-sessions", headers=fz.headers("an"),
                           json={"document_id": _document(fz), "certificate": fz.cert_b64,
                                 "level": "B-B"})
    assert start.status_code == 201, start.get_data(as_text=True)
    resp = fz.client.post(f"/v1/signing-sessions/{start.get_json()['id']}/signature",
                          headers=fz.headers("an"), json={"signature": "é"})
    assert resp.status_code == 400 and _problem(resp)["parameter"] == "signature"
    (record,) = _records(fz, resp)
    assert record.action == "signing:session:rejected" and record.error_code == "bad-request"


def test_deep_nesting_and_oversized_chunked_json_are_400_and_audited(fz):
    nested = b"[" * 30000
    resp = fz.client.post("/v1/signing-sessions", data=nested,
                          headers=fz.headers("an", **{"Content-Type": "application/json"}))
    assert resp.status_code == 400 and _problem(resp)["code"] == "bad-request"
    assert len(_records(fz, resp)) == 1
    # the policy dry run reads its JSON the same way
    resp = fz.client.post("/v1/policy/evaluate?key=dev-software", data=nested,
                          headers=fz.headers("portal", **{"Content-Type": "application/json"}))
    assert resp.status_code == 400 and _problem(resp)["parameter"] == "document"
    # a chunked body (no Content-Length) over 64 KB: refused without reading past the bound
    big = json.dumps({"document_id": "x" * 70000}).encode()
    resp = fz.client.post("/v1/signing-sessions", input_stream=io.BytesIO(big),
                          headers=fz.headers("an", **{"Content-Type": "application/json",
                                                      "Transfer-Encoding": "chunked"}),
                          environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert "too large" in _problem(resp)["detail_en"] and len(_records(fz, resp)) == 1


def test_an_unexpected_exception_is_a_500_problem_and_audited(fz, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("something no boundary expected")
    monkeypatch.setattr(fz.services.signing._pades, "sign", boom)
    resp = fz.client.post("/v1/sign?key=dev-software&level=B-B", data=make_pdf(),
                          headers=fz.headers("portal", **PDF))
    assert resp.status_code == 500
    body = _problem(resp)
    assert body["code"] == "internal-error" and body["request_id"] == resp.headers["X-Request-Id"]
    assert "something" not in resp.get_data(as_text=True)   # nothing of the exception leaks
    (record,) = _records(fz, resp)
    assert record.outcome == "error" and record.action == "signing:document:failed"
    assert record.details["exception"] == "RuntimeError" and record.key_id == "dev-software"


def test_an_exception_outside_any_service_is_audited_by_the_web_layer(fz, monkeypatch):
    import sys

    api_v1 = sys.modules["signsvc.web.api.sign"]  # (the package re-exports the blueprint's name)

    def boom(args):
        raise KeyError("parsing went wrong")
    monkeypatch.setattr(api_v1, "_sign_request", boom)
    resp = fz.client.post("/v1/sign?key=dev-software", data=make_pdf(),
                          headers=fz.headers("portal", **PDF))
    assert resp.status_code == 500 and _problem(resp)["code"] == "internal-error"
    records = [r for r in _records(fz, resp) if r.action != "auth:token:accepted"]
    assert [(r.action, r.outcome) for r in records] == [("http:request:failed", "error")]


# -- the seeded mutation fuzz --------------------------------------------------------------

def _corpus(api) -> list[bytes]:
    signed = api.client.post("/v1/sign?key=dev-software&level=B-B", data=make_pdf(2),
                             headers=api.headers("portal", **PDF))
    assert signed.status_code == 200
    return [make_pdf(), make_pdf(3, text="Văn bản thử"), signed.data]


def test_mutated_pdfs_to_sign_and_verify(fz, dev_pki, tmp_path):
    rng = random.Random(SEED)
    corpus = _corpus(fz)
    seen: dict[int, int] = {}
    signed = 0
    for i in range(300):
        data = mutate_pdf(rng, rng.choice(corpus))
        sign = i % 2 == 0
        (tmp_path / f"input-{i}.pdf").write_bytes(data)
        with _bounded() as elapsed:
            resp = fz.client.post("/v1/sign?key=dev-software&level=B-B" if sign else "/v1/verify",
                                  data=data, headers=fz.headers("portal" if sign else "auditor", **PDF))
        assert elapsed[0] < REQUEST_SECONDS, (i, "sign" if sign else "verify", elapsed[0],
                                              str(tmp_path / f"input-{i}.pdf"))
        seen[resp.status_code] = seen.get(resp.status_code, 0) + 1
        assert resp.status_code < 500, (i, resp.status_code, resp.get_data()[:300])
        if resp.status_code >= 400:
            _problem(resp)
        records = [r for r in _records(fz, resp) if not r.action.startswith("auth:")]
        assert len(records) == 1, (i, [(r.action, r.outcome) for r in records])
        if sign and resp.status_code == 200:
            assert _valid_signatures(resp.data, dev_pki, newest_only=True) == 1
            signed += 1
    # the mutations reach both the refusals and the documents that are still readable
    print("pdf fuzz:", seen, "signed:", signed)
    assert sum(n for s, n in seen.items() if s == 422) > 50 and signed > 5, seen


def test_mutated_json_to_the_signing_sessions(fz):
    rng = random.Random(SEED)
    doc = _document(fz)
    step1 = {"document_id": doc, "certificate": fz.cert_b64, "level": "B-B"}
    seen: dict[int, int] = {}
    for i in range(250):
        if i % 2 == 0:
            raw, ctype = mutate_json(rng, step1)
            path = "/v1/signing-sessions"
        else:
            session = fz.client.post("/v1/signing-sessions", headers=fz.headers("an"), json=step1)
            assert session.status_code == 201, session.get_data(as_text=True)
            raw, ctype = mutate_json(rng, {"signature": base64.b64encode(rng.randbytes(256)).decode(),
                                           "certificate": fz.cert_b64})
            path = f"/v1/signing-sessions/{session.get_json()['id']}/signature"
        headers = fz.headers("an", **({"Content-Type": ctype} if ctype else {}))
        with _bounded() as elapsed:
            resp = fz.client.post(path, data=raw, headers=headers)
        assert elapsed[0] < REQUEST_SECONDS, (i, path, raw[:80], elapsed[0])
        seen[resp.status_code] = seen.get(resp.status_code, 0) + 1
        assert resp.status_code < 500, (i, resp.status_code, resp.get_data()[:300])
        if resp.status_code >= 400:
            _problem(resp)
        records = [r for r in _records(fz, resp) if not r.action.startswith("auth:")]
        assert len(records) == 1, (i, raw[:80], [(r.action, r.outcome) for r in records])
    print("json fuzz:", seen)
    assert seen.get(400, 0) > 50, seen
