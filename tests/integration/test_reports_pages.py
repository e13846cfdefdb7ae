"""The auditor's pages through the Flask app: who may see them, the verification page
and its downloads, the audit log page (filters, chain status, a document's history) and
the problem pages. The browser itself is exercised in tests/e2e/test_auditor_pages.py."""

from __future__ import annotations

import hashlib
import io
import re

import pytest

from signsvc.services.context import RequestContext
from tests.support.pdfs import make_pdf

PASSWORD = "mật-khẩu-kiểm-toán-2026"
HDR = {"Content-Type": "application/pdf"}


@pytest.fixture(scope="module")
def accounts(api):
    setup = RequestContext("reports-pages", "tests", "admin")
    for name, role in (("kt-lan", "auditor"), ("kt-official", "official")):
        api.services.clients.create(name, role, (), setup)
        api.services.login.set_password(setup, name, PASSWORD)
    return {"auditor": "kt-lan", "official": "kt-official"}


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def logged_in(api, name: str):
    browser = api.app.test_client()
    token = csrf_of(browser.get("/login").get_data(as_text=True))
    resp = browser.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return browser, resp.headers["Location"]


def upload(browser, data: bytes, *, csrf: str | None = None, **extra):
    form_page = browser.get("/auditor/verify").get_data(as_text=True)
    return browser.post("/auditor/verify", data={
        "csrf_token": csrf if csrf is not None else csrf_of(form_page),
        "file": (io.BytesIO(data), "ho-so.pdf"), **extra}, content_type="multipart/form-data")


@pytest.fixture(scope="module")
def signed(api):
    resp = api.client.post("/v1/sign", query_string={"key": "dev-software", "level": "B-T"},
                           data=make_pdf(text="Giay chung nhan"), headers=api.headers("portal", **HDR))
    assert resp.status_code == 200
    return resp.data


def test_who_may_see_the_auditor_pages(api, accounts):
    anonymous = api.app.test_client()
    resp = anonymous.get("/auditor/audit")
    assert resp.status_code == 302 and "/login?next=/auditor/audit" in resp.headers["Location"]
    auditor, home = logged_in(api, accounts["auditor"])
    assert home.endswith("/auditor/verify")  # auditors land on their page
    assert auditor.get("/auditor/verify").status_code == 200
    official, home = logged_in(api, accounts["official"])
    assert home.endswith("/documents")
    for path in ("/auditor/verify", "/auditor/audit", f"/auditor/audit/documents/{'a' * 64}",
                 "/auditor/reports/x/report.pdf"):
        resp = official.get(path)
        assert resp.status_code == 403 and resp.mimetype == "text/html", path
        assert "Trang này chỉ dành cho kiểm toán viên" in resp.get_data(as_text=True)
    resp = official.post("/auditor/verify", data={"file": (io.BytesIO(b"%PDF-1.7"), "x.pdf")},
                         content_type="multipart/form-data")
    assert resp.status_code == 403
    denied = api.services.audit.list(action="auth:access:denied", actor=accounts["official"], limit=1000)
    assert len(denied) == 5 and denied[0].details["attempted"] == "page:auditor.verify_form"
    # an auditor's bearer token is not a page login
    assert anonymous.get("/auditor/verify", headers=api.headers("auditor")).status_code == 302


def test_verify_page_report_and_downloads(api, accounts, signed, tmp_path):
    browser, _ = logged_in(api, accounts["auditor"])
    resp = upload(browser, signed)
    assert resp.status_code == 303
    page_url = resp.headers["Location"]
    page = browser.get(page_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Khóa phần mềm phát triển (TEST ONLY)" in html
    assert 'class="verdict verdict-ok"' in html and "Hợp lệ, văn bản còn nguyên vẹn" in html
    assert hashlib.sha256(signed).hexdigest() in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    english = browser.get(page_url.split("?")[0] + "?lang=en").get_data(as_text=True)
    assert "Valid, the document is intact" in english and "Download the signed PDF report" in english
    report_id = page_url.split("/auditor/reports/")[1].split("?")[0]
    as_json = browser.get(f"/auditor/reports/{report_id}/report.json")
    assert as_json.status_code == 200 and as_json.get_json()["verdict"] == "valid"
    assert as_json.get_json()["document"]["sha256"] == hashlib.sha256(signed).hexdigest()
    as_pdf = browser.get(f"/auditor/reports/{report_id}/report.pdf")
    assert as_pdf.status_code == 200 and as_pdf.mimetype == "application/pdf"
    verified = api.client.post("/v1/verify", data=as_pdf.data,
                               headers=api.headers("auditor", **HDR)).get_json()
    assert verified["verdict"] == "valid"
    (rec,) = api.services.audit.list(action="reports:report:issued",
                                     document_sha256=hashlib.sha256(as_pdf.data).hexdigest())
    assert rec.actor == accounts["auditor"] and rec.input_sha256 == hashlib.sha256(signed).hexdigest()
    # the report is the viewer's: another auditor gets "not found", so does a made-up id
    setup = RequestContext("reports-pages", "tests", "admin")
    api.services.clients.create("kt-binh", "auditor", (), setup)
    api.services.login.set_password(setup, "kt-binh", PASSWORD)
    other, _ = logged_in(api, "kt-binh")
    for path in (page_url, f"/auditor/reports/{report_id}/report.pdf", "/auditor/reports/nope/report.json"):
        resp = other.get(path)
        assert resp.status_code == 404 and "hết hạn" in resp.get_data(as_text=True), path


def test_bad_uploads_get_problem_pages(api, accounts):
    browser, _ = logged_in(api, accounts["auditor"])
    resp = upload(browser, b"this is not a pdf")
    assert resp.status_code == 422 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "không phải là tệp PDF" in html and "not-a-pdf" in html
    resp = upload(browser, make_pdf(), csrf="forged")
    assert resp.status_code == 403 and "CSRF" in resp.get_data(as_text=True)
    limit = api.services.settings.service.max_document_bytes
    resp = upload(browser, b"%PDF-1.7\n" + b"0" * (limit + 1))
    assert resp.status_code == 413 and "document-too-large" in resp.get_data(as_text=True)
    rejected = api.services.audit.list(action="validation:document:rejected",
                                       actor=accounts["auditor"], limit=1000)
    assert {r.error_code for r in rejected} >= {"forbidden", "document-too-large"}


def test_audit_page_filters_and_document_history(api, accounts, signed):
    browser, _ = logged_in(api, accounts["auditor"])
    upload(browser, signed)
    sha = hashlib.sha256(signed).hexdigest()
    page = browser.get("/auditor/audit", query_string={"document_sha256": sha})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="chain-status" class="verdict verdict-ok"' in html and "nguyên vẹn" in html
    shown = re.findall(r'data-sequence="(\d+)"', html)
    expected = api.services.audit.list(document_sha256=sha, limit=1000)
    # issue 15: newest first
    assert [int(s) for s in shown] == [r.sequence for r in reversed(expected)] and len(shown) >= 2
    assert {"signing:document:signed", "validation:document:verified"} <= {r.action for r in expected}
    for record in expected:
        assert record.record_hash in html
    # filters: action, actor, key, time
    html = browser.get("/auditor/audit", query_string={"action": "signing:document:signed",
                                                       "key": "dev-software"}).get_data(as_text=True)
    actions = set(re.findall(r'<code class="action-code">([a-z]+:[a-z-]+:[a-z_-]+)</code>', html))
    assert actions == {"signing:document:signed"}
    assert 'data-sequence=' in html
    html = browser.get("/auditor/audit", query_string={"key": "agency-seal-ec", "action": "signing:document:signed",
                                                       "since": "2000-01-01T00:00"}).get_data(as_text=True)
    signed_ec = api.services.audit.list(action="signing:document:signed", key_id="agency-seal-ec")
    assert len(re.findall(r'data-sequence="', html)) == len(signed_ec)
    html = browser.get("/auditor/audit", query_string={"until": "2000-01-01T00:00"}).get_data(as_text=True)
    assert 'id="no-records"' in html
    html = browser.get("/auditor/audit", query_string={"actor": accounts["auditor"]}).get_data(as_text=True)
    assert set(re.findall(r'data-sequence="(\d+)"', html)) == {
        str(r.sequence) for r in api.services.audit.list(actor=accounts["auditor"], limit=100)}
    bad = browser.get("/auditor/audit", query_string={"since": "hôm qua"})
    assert bad.status_code == 400 and "since" in bad.get_data(as_text=True)
    # a document's history: every record with its SHA-256
    history = browser.get(f"/auditor/audit/documents/{sha}").get_data(as_text=True)
    assert [int(s) for s in re.findall(r'data-sequence="(\d+)"', history)] == [r.sequence for r in expected]
    assert f'href="/auditor/audit/documents/{sha}?lang=vi"' in history  # hashes link to histories
    english = browser.get("/auditor/audit?lang=en").get_data(as_text=True)
    assert "Log chain: <strong>intact" in english


def test_pdf_report_without_report_key_is_explained_on_the_page(dev_pki, responders, tmp_path, signed):
    from tests.conftest import build_api

    other = build_api(tmp_path / "state", REPORTS__KEY='""')
    try:
        setup = RequestContext("reports-pages", "tests", "admin")
        other.services.clients.create("kt-lan", "auditor", (), setup)
        other.services.login.set_password(setup, "kt-lan", PASSWORD)
        browser, _ = logged_in(other, "kt-lan")
        page = browser.get(upload(browser, signed).headers["Location"]).get_data(as_text=True)
        assert "Chưa cấu hình khóa ký báo cáo" in page and 'id="download-pdf"' not in page
    finally:
        other.services.shutdown()


def _header(page: str) -> str:
    return page[page.index("<header>"):page.index("</header>")]


def test_api_report_and_docs_in_the_one_layout(api, accounts, signed):
    """The API's HTML report and /docs use the pages' layout (base.html): the same head
    (style sheet), header and main column as a logged-in page, but no account, no logout,
    no language link (no login context) and no icon (the API's CSP allows no image); the
    time-zone note only with times."""
    auditor, _ = logged_in(api, accounts["auditor"])
    logged = auditor.get("/auditor/verify").get_data(as_text=True)
    report = api.client.post("/v1/verify", data=signed, headers=api.headers(
        "auditor", **HDR, Accept="text/html")).get_data(as_text=True)
    english = api.client.post("/v1/verify", query_string={"lang": "en"}, data=signed,
                              headers=api.headers("auditor", **HDR, Accept="text/html"))
    docs = api.app.test_client().get("/docs").get_data(as_text=True)
    for page in (logged, report, docs):
        assert page.startswith("<!doctype html>")
        assert '<link rel="stylesheet" href="/static/style.css">' in page
        assert "<strong>signsvc</strong>" in _header(page)
    assert 'href="/static/favicon.svg"' in logged
    for page in (report, docs):   # the API's CSP allows no image: no icon link to be refused
        assert 'id="logout"' not in page and 'id="lang"' not in page and "<style>" not in page
        assert "favicon" not in page
        assert '<main class="wide">' in page
    assert "BÁO CÁO KIỂM TRA CHỮ KÝ SỐ" in _header(report) and 'lang="vi"' in report
    assert "<time datetime=" in report and 'id="times-note"' in report
    assert "giờ Việt Nam" in report
    assert 'lang="en"' in english.get_data(as_text=True)
    assert "Times are Vietnam time" in english.get_data(as_text=True)
    assert "Tài liệu API / API documentation" in _header(docs) and 'id="times-note"' not in docs
    assert 'id="times-note"' not in logged                 # the verify form shows no time
