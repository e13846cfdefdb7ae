"""POST /v1/sign with every configured key and level: the output is a PAdES signature
that pyHanko and poppler's pdfsig both accept, audited before it was returned."""

from __future__ import annotations

import hashlib

import pytest

from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig
from tests.support.validate import pyhanko_statuses

KEYS = ["agency-seal", "agency-seal-ec", "dev-software"]
EXPECTED_CN = {
    "agency-seal": "UBND Tỉnh Thử Nghiệm - Con dấu (TEST ONLY)",
    "agency-seal-ec": "UBND Tỉnh Thử Nghiệm - Con dấu EC (TEST ONLY)",
    "dev-software": "Khóa phần mềm phát triển (TEST ONLY)",
}
PDF = make_pdf(2, text="Quyet dinh so 123/QD-UBND")


def _sign(api, key: str, level: str, data: bytes = PDF, who: str = "portal", **params):
    query = {"key": key, "level": level, **params}
    return api.client.post("/v1/sign", query_string=query, data=data,
                           headers=api.headers(who, **{"Content-Type": "application/pdf"}))


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_sign_produces_valid_pades(api, dev_pki, tmp_path, key, level):
    resp = _sign(api, key, level, reason="Phê duyệt kết quả", location="Hà Nội")
    assert resp.status_code == 200, resp.get_json()
    out = resp.data
    assert resp.mimetype == "application/pdf"
    assert resp.headers["X-Signature-Level"] == level
    assert resp.headers["X-Document-SHA256"] == hashlib.sha256(out).hexdigest()
    assert out.startswith(PDF), "a signature must be an incremental update of the input"

    (sig, status), = pyhanko_statuses(out, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.signing_cert.subject.native["common_name"] == EXPECTED_CN[key]
    assert status.coverage.name == "ENTIRE_FILE"
    signed_attrs = {a["type"].native for a in sig.signer_info["signed_attrs"]}
    assert "signing_certificate_v2" in signed_attrs
    if level == "B-T":
        assert status.timestamp_validity is not None and status.timestamp_validity.valid
        assert status.timestamp_validity.trusted
    else:
        assert status.timestamp_validity is None

    # the independent validator: poppler's pdfsig, trusting the test root via NSS
    path = tmp_path / "signed.pdf"
    path.write_bytes(out)
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert ps.signature_valid, ps.raw
    assert ps.certificate_trusted, ps.raw
    assert ps.whole_document and ps.common_name == EXPECTED_CN[key]

    # the audit record was committed and names the output
    seq = int(resp.headers["X-Audit-Sequence"])
    (rec,) = api.services.audit.list(after_sequence=seq - 1, limit=1)
    assert rec.sequence == seq and rec.action == "signing:document:signed"
    assert rec.outcome == "success" and rec.key_id == key and rec.level == level
    assert rec.output_sha256 == hashlib.sha256(out).hexdigest()
    assert rec.input_sha256 == hashlib.sha256(PDF).hexdigest()
    assert rec.actor == "portal" and rec.request_id == resp.headers["X-Request-Id"]
    assert rec.certificate_sha256 == status.signing_cert.sha256.hex()


def test_multipart_upload_and_second_signature_keeps_first_valid(api, dev_pki):
    first = api.client.post("/v1/sign", query_string={"key": "agency-seal", "level": "B-B"},
                            data={"file": (__import__("io").BytesIO(PDF), "in.pdf")},
                            headers=api.headers("portal"), content_type="multipart/form-data")
    assert first.status_code == 200, first.get_json()
    second = _sign(api, "agency-seal-ec", "B-T", data=first.data)
    assert second.status_code == 200, second.get_json()
    assert second.data.startswith(first.data)
    statuses = pyhanko_statuses(second.data, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert len(statuses) == 2
    assert all(s.intact and s.valid and s.trusted for _, s in statuses)
    assert [sig.field_name for sig, _ in statuses] == ["Signature1", "Signature2"]


def test_clerk_signs_with_granted_key_only(api):
    assert _sign(api, "agency-seal", "B-B", who="clerk").status_code == 200
    denied = _sign(api, "dev-software", "B-B", who="clerk")
    assert denied.status_code == 403
    assert denied.get_json()["code"] == "key-not-permitted"


def test_keys_listing_shows_only_granted_keys_without_secrets(api):
    resp = api.client.get("/v1/keys", headers=api.headers("portal-limited"))
    assert resp.status_code == 200
    keys = resp.get_json()["keys"]
    assert [k["id"] for k in keys] == ["dev-software"]
    k = keys[0]
    assert k["backend"] == "software" and k["algorithm"] == "rsa" and k["key_size"] == 2048
    assert k["key_protection"] == "software"
    assert set(k["certificate"]) >= {"subject", "issuer", "serial", "not_before", "not_after", "sha256"}
    full = api.client.get("/v1/keys", headers=api.headers("portal")).get_json()["keys"]
    seal = next(k for k in full if k["id"] == "agency-seal")
    assert seal["backend"] == "pkcs11" and seal["key_protection"] == "hardware"
    text = resp.get_data(as_text=True) + str(full)
    for secret_hint in ("libsofthsm2", "/usr/lib", "token_label", "pin_file", "/var/"):
        assert secret_hint not in text.lower()
