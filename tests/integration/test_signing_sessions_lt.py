"""B-LT and B-LTA for the three-step browser sessions: planned at step 1 (the signer's chain
and revocation data are checked before any hash is handed out), validation data embedded at
step 3. The result verifies offline (no fetching), after the certificates expired, and with
pdfsig; a revocation outage at step 1 stops the session before the token is asked."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signsvc.validation import PdfValidator
from signsvc.validation.trust import load_trust_anchors
from tests.integration.test_signing_sessions import (  # noqa: F401 - fixtures
    SHIPPED,
    _attach_pki,
    finish,
    flow,
    new_document,
    start,
    token_sign,
)
from tests.support.ltv import (
    AFTER_SIGNER_EXPIRY,
    AFTER_TSA_EXPIRY,
    future_validation_passes,
    read_dss,
)
from tests.support.tools import pdfsig
from tests.support.validate import load_cert

CHAIN_CNS = {"signsvc TEST ONLY Issuing CA", "signsvc TEST ONLY Root CA",
             "signsvc TEST ONLY Time Stamping Authority"}
SIGNER = {"official-an": ("an", "Nguyễn Văn An (TEST ONLY)"),
          "official-binh": ("binh", None)}


@pytest.fixture(scope="module")
def offline(dev_pki):
    trust = load_trust_anchors("signsvc-dev (TEST ONLY)", [dev_pki.cert("root")],
                               [dev_pki.cert("interm")], allow_sha1_roots=False)
    return PdfValidator(trust, policy_sha256=None, allow_fetching=False, revocation_mode="hard-fail")


@pytest.mark.parametrize("label", ["official-an", "official-binh"])   # RSA and ECDSA tokens
@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_long_term_session_verifies_offline_later_and_with_pdfsig(flow, dev_pki, offline, tmp_path,
                                                                  level, label):
    who, cn = SIGNER[label]
    doc = new_document(flow, assignee=who)
    resp = start(flow, who, doc, label, level=level)
    assert resp.status_code == 201, resp.get_json()
    session = resp.get_json()
    assert session["level"] == level
    done = finish(flow, who, session, token_sign(dev_pki, label, session))
    assert done.status_code == 200, done.get_json()
    signed = done.data
    # the DSS holds the signer's and the TSA's chains with their revocation data
    dss = read_dss(signed)
    assert dss is not None and dss.cert_cns() >= CHAIN_CNS
    assert load_cert(dev_pki.cert(label)).serial_number in dss.ocsp_serials
    assert "signsvc TEST ONLY Root CA" in dss.crl_issuers
    reader = PdfFileReader(io.BytesIO(signed))
    assert len(reader.embedded_timestamp_signatures) == (1 if level == "B-LTA" else 0)
    # offline: nothing fetched, everything from the document
    report = offline.validate(signed).as_dict()
    (sig,) = report["signatures"]
    assert sig["level"] == level and sig["indication"] == "TOTAL-PASSED", sig["messages"]
    assert report["verdict"] == "valid"
    if cn:
        assert sig["signer"]["common_name"] == cn
    root = load_cert(dev_pki.cert("root"))
    assert future_validation_passes(signed, root, AFTER_SIGNER_EXPIRY)
    assert future_validation_passes(signed, root, AFTER_TSA_EXPIRY)
    path = tmp_path / "lt.pdf"
    path.write_bytes(signed)
    found = pdfsig(path, dev_pki.nssdb)
    assert len(found) == (2 if level == "B-LTA" else 1)
    assert found[0].signature_valid and found[0].certificate_trusted, found[0].raw
    # the stored revision is the long-term one, and the audit record says so
    stored = flow.client.get(f"/v1/documents/{doc['id']}/content", headers=flow.headers("portal"))
    assert stored.data == signed
    rec = flow.services.audit.list(action="signing:document:signed")[-1]
    assert rec.level == level and rec.output_sha256 == stored.headers["X-Document-SHA256"]


def test_revocation_outage_stops_step_one(dev_pki, responders, tmp_path, monkeypatch):
    """OCSP/CRL unreachable (through a proxy on a dead port): no hash is handed out, the
    refusal is audited, nothing is stored."""
    import sqlite3

    from signsvc.adapters.workflow_sql import SqlWorkflowStore
    from signsvc.services.context import RequestContext
    from tests.conftest import build_api

    policy = tmp_path / "policy.toml"
    policy.write_text(SHIPPED)
    api = build_api(tmp_path / "state", POLICY__PATH=str(policy), revocation__retries="0",
                    revocation__cache="false")
    try:
        _, api.tokens["an"] = api.services.clients.create("an", "official", (),
                                                          RequestContext("t", "tests", "admin"))
        SqlWorkflowStore(tmp_path / "state" / "workflow.sqlite3").register_certificate(
            "an", load_cert(dev_pki.cert("official-an")).sha256.hex(), "official-an")
        api.dev_pki = dev_pki
        doc = new_document(api)
        monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
        resp = start(api, "an", doc, "official-an", level="B-LT")
        body = resp.get_json()
        assert resp.status_code == 503 and body["code"] == "revocation-unavailable", body
        assert "hash" not in body
        rec = api.services.audit.list(action="signing:session:rejected")[-1]
        assert rec.error_code == "revocation-unavailable" and rec.level == "B-LT"
        db = sqlite3.connect(tmp_path / "state" / "workflow.sqlite3")
        assert db.execute("SELECT COUNT(*) FROM signing_sessions").fetchone()[0] == 0
    finally:
        api.services.shutdown()


def test_step_three_past_the_deadline_is_503_audited_and_the_session_ends(dev_pki, responders, tmp_path):
    """A TSA that drips its answer at step 3: the step ends at [service]
    signing_timeout_seconds with 503 signing-timeout, audited, nothing stored, the session
    closed (the official starts again)."""
    import time

    from signsvc.adapters.workflow_sql import SqlWorkflowStore
    from signsvc.services.context import RequestContext
    from tests.conftest import build_api
    from tests.support.drip import dripping_server

    policy = tmp_path / "policy.toml"
    policy.write_text(SHIPPED)
    with dripping_server(interval=0.2, content_type="application/timestamp-reply") as drip:
        api = build_api(tmp_path / "state", POLICY__PATH=str(policy),
                        timestamp__urls=f'["{drip.url}/tsa"]', timestamp__timeout_seconds="30",
                        timestamp__retries="0", service__signing_timeout_seconds="3")
        try:
            _, api.tokens["an"] = api.services.clients.create("an", "official", (),
                                                              RequestContext("t", "tests", "admin"))
            SqlWorkflowStore(tmp_path / "state" / "workflow.sqlite3").register_certificate(
                "an", load_cert(dev_pki.cert("official-an")).sha256.hex(), "official-an")
            api.dev_pki = dev_pki
            doc = new_document(api)
            resp = start(api, "an", doc, "official-an", level="B-T")
            assert resp.status_code == 201, resp.get_json()
            session = resp.get_json()
            began = time.monotonic()
            done = finish(api, "an", session, token_sign(dev_pki, "official-an", session))
            elapsed = time.monotonic() - began
            body = done.get_json()
            assert done.status_code == 503 and body["code"] == "signing-timeout", body
            assert elapsed < 6, elapsed
            assert drip.requests, "the timestamp request did not reach the dripping TSA"
            rec = api.services.audit.list(action="signing:session:rejected")[-1]
            assert rec.error_code == "signing-timeout" and rec.details["step"] == "complete"
            stored = api.client.get(f"/v1/documents/{doc['id']}", headers=api.headers("portal")).get_json()
            assert stored["revision"] == doc["revision"]   # nothing signed was stored
            again = finish(api, "an", session, token_sign(dev_pki, "official-an", session))
            assert again.status_code in (409, 410), again.get_json()   # the session is over
        finally:
            api.services.shutdown()
