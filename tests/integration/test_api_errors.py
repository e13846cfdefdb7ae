"""Bad input: a clear problem+json in Vietnamese and English, nothing returned or
half-written, exactly one audit record for the refusal, and the chain still intact."""

from __future__ import annotations

import pytest

from tests.conftest import build_api
from tests.support.pdfs import make_encrypted_pdf, make_pdf

PDF = make_pdf()


def _problem(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == code and body["status"] == status
    assert body["instance"] == resp.headers["X-Request-Id"]
    assert body["detail_vi"] and body["detail_en"] and body["detail_vi"] != body["detail_en"]
    assert body["detail"] == f"{body['detail_vi']} / {body['detail_en']}"
    text = resp.get_data(as_text=True)
    for leak in ("Traceback", "libsofthsm2", "/var/", "signsvc-dev.pin", "agency-seal\""):
        assert leak not in text
    return body


def _head(api) -> int:
    return api.services.audit.verify().as_dict()["checked"]


CASES = [
    # (name, content type, body, query, expected status, expected code)
    ("text body", "text/plain", b"hello", {"key": "agency-seal"}, 415, "unsupported-media-type"),
    ("not a pdf", "application/pdf", b"GIF89a not a pdf at all", {"key": "agency-seal"}, 422, "not-a-pdf"),
    ("truncated pdf", "application/pdf", PDF[: len(PDF) // 2], {"key": "agency-seal"}, 422, "malformed-pdf"),
    ("garbled pdf", "application/pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40, {"key": "agency-seal"},
     422, "malformed-pdf"),
    ("encrypted pdf", "application/pdf", make_encrypted_pdf(), {"key": "agency-seal"}, 422, "encrypted-pdf"),
    ("unknown key", "application/pdf", PDF, {"key": "no-such-key"}, 404, "unknown-key"),
    ("bad level", "application/pdf", PDF, {"key": "agency-seal", "level": "B-X"}, 400, "bad-request"),
    ("missing key", "application/pdf", PDF, {}, 400, "bad-request"),
    ("unknown parameter", "application/pdf", PDF, {"key": "agency-seal", "colour": "red"}, 400,
     "bad-request"),
    ("unknown profile", "application/pdf", PDF, {"key": "agency-seal", "profile": "fancy"}, 400,
     "bad-request"),
]


@pytest.mark.parametrize("name,ctype,body,query,status,code", CASES, ids=[c[0] for c in CASES])
def test_bad_sign_requests(api, name, ctype, body, query, status, code):
    before = _head(api)
    resp = api.client.post("/v1/sign", query_string=query, data=body,
                           headers=api.headers("portal", **{"Content-Type": ctype}))
    _problem(resp, status, code)
    after = api.services.audit.verify().as_dict()
    assert after["ok"] and after["checked"] == before + 1, "exactly one audit record per refusal"
    (rec,) = api.services.audit.list(after_sequence=before)
    assert rec.error_code == code and rec.outcome in ("failure", "denied")
    assert rec.request_id == resp.headers["X-Request-Id"] and rec.output_sha256 is None


def test_too_large_refused_before_reading(tmp_path, dev_pki, responders):
    api = build_api(tmp_path, SERVICE__MAX_DOCUMENT_BYTES="50000")
    try:
        big = make_pdf(pad_to=60000)
        resp = api.client.post("/v1/sign", query_string={"key": "agency-seal"}, data=big,
                               headers=api.headers("portal", **{"Content-Type": "application/pdf"}))
        _problem(resp, 413, "document-too-large")

        # declared length over the limit: refused without touching the body
        class Exploding:
            def read(self, *_):
                raise AssertionError("the body must not be read")
        env = {"CONTENT_LENGTH": str(10 ** 9), "wsgi.input": Exploding()}
        resp = api.client.post("/v1/sign", query_string={"key": "agency-seal"},
                               headers=api.headers("portal", **{"Content-Type": "application/pdf"}),
                               environ_overrides=env)
        _problem(resp, 413, "document-too-large")
        # multipart too
        resp = api.client.post("/v1/verify", data={"file": (__import__("io").BytesIO(big), "a.pdf")},
                               headers=api.headers("portal"), content_type="multipart/form-data")
        assert resp.status_code == 413
        records = api.services.audit.list()
        assert [r.error_code for r in records if r.error_code] == ["document-too-large"] * 3
    finally:
        api.services.shutdown()


def test_authentication_and_roles(api):
    before = _head(api)
    hdr = {"Content-Type": "application/pdf"}
    _problem(api.client.post("/v1/sign?key=agency-seal", data=PDF, headers=hdr), 401, "unauthenticated")
    _problem(api.client.post("/v1/sign?key=agency-seal", data=PDF,
                             headers={**hdr, "Authorization": "Bearer ssv_wrong"}), 401, "unauthenticated")
    _problem(api.client.get("/v1/keys", headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401,
             "unauthenticated")
    # an auditor may not sign, a portal may not read the audit log
    _problem(api.client.post("/v1/sign?key=agency-seal", data=PDF, headers=api.headers("auditor", **hdr)),
             403, "forbidden")
    _problem(api.client.get("/v1/audit/events", headers=api.headers("portal")), 403, "forbidden")
    # a portal client may not use a key it was not granted
    _problem(api.client.post("/v1/sign?key=agency-seal", data=PDF,
                             headers=api.headers("portal-limited", **hdr)), 403, "key-not-permitted")
    records = api.services.audit.list(after_sequence=before)
    assert [(r.action, r.outcome) for r in records] == [
        ("auth:token:rejected", "denied"), ("auth:token:rejected", "denied"),
        ("auth:token:rejected", "denied"), ("auth:access:denied", "denied"),
        ("auth:access:denied", "denied"), ("signing:document:failed", "denied")]
    assert all("ssv_wrong" not in str(r.as_dict()) for r in records)


def test_unknown_route_and_method_are_problems(api):
    _problem(api.client.get("/v1/nothing-here"), 404, "not-found")
    _problem(api.client.get("/v1/sign", headers=api.headers("portal")), 405, "method-not-allowed")
