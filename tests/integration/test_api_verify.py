"""POST /v1/verify: the JSON report of API.md for signed, unsigned and tampered PDFs."""

from __future__ import annotations

import hashlib

from tests.support.pdfs import make_pdf

PDF = make_pdf(text="Giay xac nhan")
HDR = {"Content-Type": "application/pdf"}


def _sign(api, key="agency-seal", level="B-T"):
    resp = api.client.post("/v1/sign", query_string={"key": key, "level": level}, data=PDF,
                           headers=api.headers("portal", **HDR))
    assert resp.status_code == 200
    return resp.data


def _verify(api, data, who="auditor"):
    resp = api.client.post("/v1/verify", data=data, headers=api.headers(who, **HDR))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_signed_document_report(api):
    signed = _sign(api)
    report = _verify(api, signed)
    assert report["verdict"] == "valid"
    assert report["document"] == {**report["document"], "sha256": hashlib.sha256(signed).hexdigest(),
                                  "size": len(signed), "status": "signed", "revisions": 2}
    (sig,) = report["signatures"]
    assert sig["signer"]["common_name"] == "UBND Tỉnh Thử Nghiệm - Con dấu (TEST ONLY)"
    assert sig["intact"] and sig["valid"] and sig["trusted"]
    assert sig["indication"] == "TOTAL-PASSED" and sig["sub_indication"] is None
    assert sig["level"] == "B-T" and sig["timestamp"]["valid"]
    assert sig["signing_time"].endswith("+07:00")
    assert sig["coverage"] == "entire_file" and sig["modifications"] == "none"
    assert sig["revocation"] == "good"
    assert sig["messages"]["vi"] and sig["messages"]["en"]
    assert report["trust_anchors_sha256"] == api.services.trust_anchors_sha256
    # the verification itself was audited with the document's hash and the verdict
    (rec,) = api.services.audit.list(action="validation:document:verified",
                                     document_sha256=hashlib.sha256(signed).hexdigest())
    assert rec.details["verdict"] == "valid" and rec.actor == "auditor"


def test_ecdsa_b_b_report(api):
    (sig,) = _verify(api, _sign(api, "agency-seal-ec", "B-B"), who="portal")["signatures"]
    assert sig["level"] == "B-B" and sig["timestamp"] is None and sig["indication"] == "TOTAL-PASSED"


def test_unsigned_is_a_report_not_an_error(api):
    report = _verify(api, PDF)
    assert report["document"]["status"] == "unsigned"
    assert report["signatures"] == [] and report["verdict"] == "unsigned"


def test_changed_after_signing_is_never_valid(api):
    signed = bytearray(_sign(api, level="B-B"))
    # flip one byte of page content inside the signed range
    i = signed.index(b"Giay xac nhan")
    signed[i] ^= 0x01
    report = _verify(api, bytes(signed))
    assert report["verdict"] == "invalid"
    assert report["signatures"][0]["intact"] is False
    assert report["signatures"][0]["indication"] == "TOTAL-FAILED"


def test_verify_rejects_non_pdf(api):
    resp = api.client.post("/v1/verify", data=b"plain text", headers=api.headers("auditor", **HDR))
    assert resp.status_code == 422 and resp.get_json()["code"] == "not-a-pdf"
