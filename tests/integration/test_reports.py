"""Reports people file: POST /v1/verify as JSON, HTML page or signed PDF report (content
negotiation), and `signsvc verify IN --report OUT.pdf`.

The PDF report is checked as a filed document: it validates as a signed PDF (signsvc's
validator and poppler's pdfsig), and pdftotext finds the signer, the verdict words in
Vietnamese with their diacritics, the policy hash and the trust anchors' SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess

import pytest

from signsvc.errors import ConfigError
from signsvc.times import shown
from tests.conftest import REPO, build_api, make_settings
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig, require_tool

PDF = make_pdf(text="Quyet dinh cap phep")
HDR = {"Content-Type": "application/pdf"}
DOC_SIGNER = "Khóa phần mềm phát triển (TEST ONLY)"          # dev-software signs the document
REPORT_SIGNER = "UBND Tỉnh Thử Nghiệm - Con dấu (TEST ONLY)"  # [reports] key = agency-seal


def signed_document(api, key: str = "dev-software", level: str = "B-T") -> bytes:
    resp = api.client.post("/v1/sign", query_string={"key": key, "level": level}, data=PDF,
                           headers=api.headers("portal", **HDR))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.data


def pdftotext(data: bytes, tmp_path) -> str:
    path = tmp_path / "report-text.pdf"
    path.write_bytes(data)
    out = subprocess.run([require_tool("pdftotext"), "-enc", "UTF-8", str(path), "-"],
                         capture_output=True, timeout=60, check=True)
    return out.stdout.decode("utf-8")


def _verify(api, data, accept=None, who="auditor", **query):
    headers = api.headers(who, **HDR)
    if accept is not None:
        headers["Accept"] = accept
    return api.client.post("/v1/verify", data=data, headers=headers, query_string=query)


@pytest.fixture(scope="module")
def signed(api):
    return signed_document(api)


def test_json_is_the_default(api, signed):
    for accept in (None, "*/*", "application/json", "application/json, text/html;q=0.5"):
        resp = _verify(api, signed, accept)
        assert resp.status_code == 200 and resp.mimetype == "application/json", accept
        body = resp.get_json()
        assert body["verdict"] == "valid"
        assert body["signatures"][0]["signer"]["common_name"] == DOC_SIGNER
        assert "Accept" in resp.headers["Vary"]


def test_html_report_page(api, signed):
    resp = _verify(api, signed, "text/html,application/xhtml+xml,*/*;q=0.8")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert DOC_SIGNER in page
    assert "Hợp lệ, văn bản còn nguyên vẹn" in page and 'class="verdict verdict-ok"' in page
    assert api.services.policy.policy.sha256 in page
    assert api.services.trust_anchors_sha256 in page
    assert "script" not in page.lower()
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    english = _verify(api, signed, "text/html", lang="en").get_data(as_text=True)
    assert "Valid, the document is intact" in english and "Hợp lệ, văn bản" not in english
    by_header = api.client.post("/v1/verify", data=signed, headers=api.headers(
        "auditor", **HDR, Accept="text/html", **{"Accept-Language": "en-GB,en;q=0.9"}))
    assert "Valid, the document is intact" in by_header.get_data(as_text=True)


def test_unsupported_accept_is_406_and_audited(api, signed):
    before = len(api.services.audit.list(action="validation:document:rejected", limit=1000))
    resp = _verify(api, signed, "image/png")
    assert resp.status_code == 406 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["code"] == "not-acceptable"
    assert "application/pdf" in problem["detail_vi"] and "Báo cáo" in problem["detail_vi"]
    rejected = api.services.audit.list(action="validation:document:rejected", limit=1000)
    assert len(rejected) == before + 1 and rejected[-1].error_code == "not-acceptable"


def check_filed_report(api, report_pdf: bytes, document: bytes, tmp_path, *, verdict_vi: str,
                       verdict_en: str, signer: str) -> dict:
    """The PDF report verifies as signed (signsvc and pdfsig) and states what it must."""
    # signsvc's own validator: the report is a signed PDF, signed by the report key
    own = _verify(api, report_pdf).get_json()
    assert own["verdict"] == "valid", own
    (sig,) = own["signatures"]
    assert sig["signer"]["common_name"] == REPORT_SIGNER
    assert sig["level"] == "B-T" and sig["timestamp"]["valid"]
    assert sig["coverage"] == "entire_file"
    # poppler
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf)
    (ps,) = pdfsig(path, _nssdb())
    assert ps.signature_valid and ps.certificate_trusted and ps.whole_document
    assert ps.common_name == REPORT_SIGNER
    # what it says
    text = pdftotext(report_pdf, tmp_path)
    assert "BÁO CÁO KIỂM TRA CHỮ KÝ SỐ" in text and "VERIFICATION REPORT" in text
    assert text.index("BÁO CÁO KIỂM TRA") < text.index("VERIFICATION REPORT")  # Vietnamese first
    assert signer in text
    assert f"Kết luận: {verdict_vi}" in text and f"Verdict: {verdict_en}" in text
    assert hashlib.sha256(document).hexdigest() in text
    assert api.services.policy.policy.sha256 in text
    assert api.services.trust_anchors_sha256 in text
    for anchor in api.services.reports.issuer.anchors:
        assert anchor.sha256 in text and "signsvc TEST ONLY Root CA" in text
    from signsvc import __version__
    assert f"signsvc {__version__}" in text
    return own


def _nssdb():
    return REPO / "var" / "pki" / "nssdb"


def test_pdf_report_is_signed_and_says_what_it_must(api, signed, tmp_path):
    resp = _verify(api, signed, "application/pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    report_pdf = resp.data
    assert resp.headers["X-Report-SHA256"] == hashlib.sha256(report_pdf).hexdigest()
    assert resp.headers["X-Document-SHA256"] == hashlib.sha256(signed).hexdigest()
    assert resp.headers["X-Verdict"] == "valid" and resp.headers["X-Signature-Level"] == "B-T"
    assert "attachment" in resp.headers["Content-Disposition"]
    check_filed_report(api, report_pdf, signed, tmp_path, verdict_vi="Hợp lệ, văn bản còn nguyên vẹn",
                       verdict_en="Valid, the document is intact", signer=DOC_SIGNER)
    text = pdftotext(report_pdf, tmp_path)
    for words in ("Dấu thời gian", "chưa bị thu hồi", "Đạt (TOTAL-PASSED)", "toàn bộ tệp", "B-T"):
        assert words in text, words
    # every time as people read it (dd/mm/yyyy HH:mm:ss, Vietnam time), none in ISO 8601
    report = _verify(api, signed, "application/json").get_json()
    (sig,) = report["signatures"]
    for stored in (sig["timestamp"]["time"], sig["signer"]["certificate_validity"]["not_after"]):
        assert shown(stored) in text, stored
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text), text
    # the issuance is audited: who, the document's hash, the report's hash, the key
    (rec,) = api.services.audit.list(action="reports:report:issued",
                                     document_sha256=hashlib.sha256(report_pdf).hexdigest())
    assert rec.actor == "auditor" and rec.role == "auditor" and rec.outcome == "success"
    assert rec.input_sha256 == hashlib.sha256(signed).hexdigest()
    assert rec.output_sha256 == hashlib.sha256(report_pdf).hexdigest()
    assert rec.key_id == "agency-seal" and rec.level == "B-T"
    assert rec.details["verdict"] == "valid" and rec.details["format"] == "pdf"
    assert int(resp.headers["X-Audit-Sequence"]) == rec.sequence


def test_pdf_report_of_a_tampered_document(api, tmp_path):
    data = bytearray(signed_document(api, key="agency-seal", level="B-B"))
    at = data.index(b"Quyet dinh cap phep")
    data[at:at + 5] = b"QUYET"   # inside the signed range
    resp = _verify(api, bytes(data), "application/pdf")
    assert resp.status_code == 200 and resp.headers["X-Verdict"] == "invalid"
    check_filed_report(api, resp.data, bytes(data), tmp_path, verdict_vi="Không hợp lệ",
                       verdict_en="Invalid", signer=REPORT_SIGNER)
    text = pdftotext(resp.data, tmp_path)
    assert "Nội dung đã ký bị thay đổi" in text and "Không đạt (TOTAL-FAILED)" in text


def test_pdf_report_of_an_unsigned_document(api, tmp_path):
    resp = _verify(api, PDF, "application/pdf")
    assert resp.status_code == 200 and resp.headers["X-Verdict"] == "unsigned"
    text = pdftotext(resp.data, tmp_path)
    assert "Kết luận: Chưa ký" in text and "Tài liệu không có chữ ký số." in text


def test_pdf_report_shows_the_revision_view(api, signed, tmp_path):
    """Two signatures: each signature's revision and what each revision added."""
    twice = api.client.post("/v1/sign", query_string={"key": "agency-seal", "level": "B-T"},
                            data=signed, headers=api.headers("portal", **HDR))
    assert twice.status_code == 200
    report = _verify(api, twice.data).get_json()
    revisions = report["revisions"]
    assert [r["number"] for r in revisions] == [1, 2, 3]
    resp = _verify(api, twice.data, "application/pdf")
    text = pdftotext(resp.data, tmp_path)
    assert "Các phiên bản của tài liệu" in text and "Revisions of the document" in text
    for rev in revisions:
        assert rev["sha256"] in text
        assert rev["summary"]["vi"].split()[0] in text
    assert "Thuộc phiên bản" in text
    html = _verify(api, twice.data, "text/html").get_data(as_text=True)
    assert html.count('class="revision"') == 3
    assert revisions[2]["summary"]["vi"] in html


def test_without_a_report_key_there_is_no_pdf_report(dev_pki, responders, tmp_path):
    other = build_api(tmp_path / "state", REPORTS__KEY='""')
    try:
        signed = signed_document(other)
        resp = _verify(other, signed, "application/pdf")
        assert resp.status_code == 503 and resp.get_json()["code"] == "report-unavailable"
        assert "[reports] key" in resp.get_json()["detail_vi"]
        (rec,) = other.services.audit.list(action="reports:report:failed")
        assert rec.input_sha256 == hashlib.sha256(signed).hexdigest()
        assert rec.error_code == "report-unavailable"
        assert _verify(other, signed).get_json()["verdict"] == "valid"  # JSON still works
    finally:
        other.services.shutdown()


def test_a_report_key_that_does_not_exist_stops_start_up(tmp_path):
    with pytest.raises(ConfigError) as err:
        make_settings(tmp_path, REPORTS__KEY='"no-such-key"')
    assert "reports.key" in err.value.message.en and "no-such-key" in err.value.message.en


def test_cli_verify_writes_the_signed_report(api, signed, dev_pki, tmp_path):
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(tmp_path / "state"),
           "SIGNSVC_AUDIT__PATH": str(tmp_path / "state" / "audit.sqlite3"),
           "SIGNSVC_AUDIT__CHECKPOINT_KEY": '""'}
    src = tmp_path / "in.pdf"
    src.write_bytes(signed)
    out = tmp_path / "bao-cao.pdf"
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "signsvc"), "verify", str(src), "--report",
                           str(out)], env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verdict: valid" in proc.stdout and str(out) in proc.stdout
    report_pdf = out.read_bytes()
    assert hashlib.sha256(report_pdf).hexdigest() in proc.stdout
    check_filed_report(api, report_pdf, signed, tmp_path, verdict_vi="Hợp lệ, văn bản còn nguyên vẹn",
                       verdict_en="Valid, the document is intact", signer=DOC_SIGNER)
    assert not list(tmp_path.glob(".bao-cao.pdf.*"))  # no temporary file left
    # unsigned: exit 1, the report is still written
    src.write_bytes(PDF)
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "signsvc"), "verify", str(src), "--report",
                           str(out)], env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1 and "unsigned" in proc.stdout
    assert "Chưa ký" in pdftotext(out.read_bytes(), tmp_path)
