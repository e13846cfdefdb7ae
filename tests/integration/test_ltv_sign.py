"""B-LT and B-LTA on /v1/sign: the DSS covers the signer's and the TSA's chains, the
document verifies offline and in the future (after the signer's and the TSA's
certificates expired), pdfsig agrees; TSA and OCSP/CRL outages fail or downgrade as
configured, and are audited."""

from __future__ import annotations

import io
import time

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signsvc.validation import PdfValidator
from signsvc.validation.trust import load_trust_anchors
from tests.conftest import build_api
from tests.support.ltv import (
    AFTER_SIGNER_EXPIRY,
    AFTER_TSA_EXPIRY,
    future_validation_passes,
    read_dss,
)
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig
from tests.support.validate import load_cert

PDF = make_pdf(2, text="Ket qua giai quyet thu tuc hanh chinh")
SIGNER_CN = {"agency-seal": "UBND Tỉnh Thử Nghiệm - Con dấu (TEST ONLY)",
             "agency-seal-ec": "UBND Tỉnh Thử Nghiệm - Con dấu EC (TEST ONLY)"}
CHAIN_CNS = {"signsvc TEST ONLY Issuing CA", "signsvc TEST ONLY Root CA",
             "signsvc TEST ONLY Time Stamping Authority"}
#: a port nothing listens on (connection refused at once)
DEAD = "http://127.0.0.1:9"


def _sign(api, key: str, level: str, data: bytes = PDF):
    return api.client.post("/v1/sign", query_string={"key": key, "level": level}, data=data,
                           headers=api.headers("portal", **{"Content-Type": "application/pdf"}))


@pytest.fixture(scope="module")
def offline(dev_pki):
    trust = load_trust_anchors("signsvc-dev (TEST ONLY)", [dev_pki.cert("root")],
                               [dev_pki.cert("interm")], allow_sha1_roots=False)
    return PdfValidator(trust, policy_sha256=None, allow_fetching=False, revocation_mode="hard-fail")


@pytest.fixture(scope="module")
def signed(api):
    """One document per key and level, with the signing time measured."""
    out = {}
    for key in SIGNER_CN:
        for level in ("B-B", "B-T", "B-LT", "B-LTA"):
            started = time.perf_counter()
            resp = _sign(api, key, level)
            assert resp.status_code == 200, resp.get_json()
            out[key, level] = (resp, time.perf_counter() - started)
    return out


@pytest.mark.parametrize("key", list(SIGNER_CN))
@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_dss_covers_signer_and_tsa_chains(signed, key, level, dev_pki):
    resp, _ = signed[key, level]
    assert resp.headers["X-Signature-Level"] == level and "X-Signature-Warnings" not in resp.headers
    dss = read_dss(resp.data)
    assert dss is not None
    assert {SIGNER_CN[key], *CHAIN_CNS} <= dss.cert_cns()
    signer = load_cert(dev_pki.cert(key))
    assert signer.serial_number in dss.ocsp_serials          # OCSP for the signer
    assert "signsvc TEST ONLY Root CA" in dss.crl_issuers    # CRL for the issuing CA and the TSA
    reader = PdfFileReader(io.BytesIO(resp.data))
    if level == "B-LTA":
        assert len(reader.embedded_timestamp_signatures) == 1
        assert reader.embedded_signatures[-1].field_name == reader.embedded_timestamp_signatures[0].field_name
    else:
        assert reader.embedded_timestamp_signatures == []


@pytest.mark.parametrize("key", list(SIGNER_CN))
@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_long_term_verifies_offline_pdfsig_and_future(signed, key, level, api, offline, dev_pki, tmp_path):
    resp, _ = signed[key, level]
    online = api.client.post("/v1/verify", data=resp.data,
                             headers=api.headers("auditor", **{"Content-Type": "application/pdf"})).get_json()
    report = offline.validate(resp.data)
    for body in (online, report.as_dict()):
        (sig,) = body["signatures"]
        assert sig["level"] == level and sig["indication"] == "TOTAL-PASSED", sig["messages"]
        assert body["verdict"] == "valid"
    path = tmp_path / "lt.pdf"
    path.write_bytes(resp.data)
    found = pdfsig(path, dev_pki.nssdb)
    assert len(found) == (2 if level == "B-LTA" else 1)   # the document timestamp is listed too
    assert found[0].signature_valid and found[0].certificate_trusted, found[0].raw
    assert found[0].common_name == SIGNER_CN[key]
    if level == "B-LTA":  # poppler lists document timestamps but does not verify them
        assert found[1].whole_document and found[1].common_name == "signsvc TEST ONLY Time Stamping Authority"
    root = load_cert(dev_pki.cert("root"))
    assert future_validation_passes(resp.data, root, AFTER_SIGNER_EXPIRY)
    assert future_validation_passes(resp.data, root, AFTER_TSA_EXPIRY)


@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_short_term_does_not_survive_expiry(signed, level, dev_pki):
    resp, _ = signed["agency-seal", level]
    assert read_dss(resp.data) is None
    root = load_cert(dev_pki.cert("root"))
    assert not future_validation_passes(resp.data, root, AFTER_SIGNER_EXPIRY)


def test_signing_times_are_reported(signed, capsys):
    """Not a speed test: records the figures (B-LT costs the OCSP/CRL round trips)."""
    with capsys.disabled():
        for (key, level), (resp, seconds) in sorted(signed.items()):
            dss = read_dss(resp.data)
            print(f"\n[ltv] {key} {level}: {seconds * 1000:.0f} ms, {len(resp.data)} bytes, "
                  f"DSS {dss.size if dss else 0} bytes")
    assert all(seconds < 30 for _, seconds in signed.values())


def _events(api, action):
    return [r for r in api.services.audit.list(action=action, limit=1000)]


def test_revocation_outage_fails_with_503_and_is_audited(dev_pki, responders, tmp_path, monkeypatch):
    """OCSP/CRL fetching goes through a proxy on a dead port: the responders are 'down'
    for revocation while the TSA (fetched directly) still answers."""
    api = build_api(tmp_path, revocation__retries="0", revocation__cache="false")
    try:
        monkeypatch.setenv("http_proxy", DEAD)
        resp = _sign(api, "agency-seal", "B-LT")
        body = resp.get_json()
        assert resp.status_code == 503 and body["code"] == "revocation-unavailable"
        assert "OCSP/CRL" in body["detail_vi"] and "no document was returned" in body["detail_en"]
        (rec,) = _events(api, "signing:document:failed")
        assert rec.error_code == "revocation-unavailable" and rec.level == "B-LT"
    finally:
        api.services.shutdown()


def test_revocation_outage_downgrades_to_bt_with_a_warning(dev_pki, responders, tmp_path, monkeypatch):
    api = build_api(tmp_path, revocation__retries="0", revocation__cache="false",
                    revocation__on_unavailable='"downgrade"')
    try:
        monkeypatch.setenv("http_proxy", DEAD)
        resp = _sign(api, "agency-seal", "B-LTA")
        assert resp.status_code == 200
        assert resp.headers["X-Signature-Level"] == "B-T"
        assert resp.headers["X-Signature-Warnings"] == "revocation-unavailable"
        assert read_dss(resp.data) is None
        monkeypatch.delenv("http_proxy")
        report = api.client.post("/v1/verify", data=resp.data, headers=api.headers(
            "auditor", **{"Content-Type": "application/pdf"})).get_json()
        assert report["signatures"][0]["level"] == "B-T" and report["verdict"] == "valid"
        (rec,) = _events(api, "signing:document:signed")
        assert rec.level == "B-T" and rec.details["requested_level"] == "B-LTA"
        assert rec.details["level_warnings"] == "revocation-unavailable"
    finally:
        api.services.shutdown()


def test_tsa_failover_and_outage(dev_pki, responders, tmp_path):
    tsa = f"{responders}/signsvc-dev/tsa/tsa"
    api = build_api(tmp_path / "a", timestamp__urls=f'["{DEAD}/tsa", "{tsa}"]',
                    timestamp__backoff_seconds="0.05")
    try:
        resp = _sign(api, "agency-seal", "B-LT")
        assert resp.status_code == 200 and resp.headers["X-Signature-Level"] == "B-LT"
    finally:
        api.services.shutdown()
    api = build_api(tmp_path / "b", timestamp__urls=f'["{DEAD}/tsa"]', timestamp__retries="0")
    try:
        resp = _sign(api, "agency-seal", "B-T")
        assert resp.status_code == 503 and resp.get_json()["code"] == "timestamp-unavailable"
        (rec,) = _events(api, "signing:document:failed")
        assert rec.error_code == "timestamp-unavailable"
    finally:
        api.services.shutdown()
    api = build_api(tmp_path / "c", timestamp__urls=f'["{DEAD}/tsa"]', timestamp__retries="0",
                    timestamp__on_unavailable='"downgrade"')
    try:
        resp = _sign(api, "agency-seal", "B-LT")
        assert resp.status_code == 200 and resp.headers["X-Signature-Level"] == "B-B"
        assert resp.headers["X-Signature-Warnings"] == "timestamp-unavailable"
        (rec,) = _events(api, "signing:document:signed")
        assert rec.level == "B-B" and rec.details["level_warnings"] == "timestamp-unavailable"
    finally:
        api.services.shutdown()
