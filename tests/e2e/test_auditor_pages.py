"""End to end in a real browser (headless Debian Chromium via Playwright): an auditor logs
in, verifies a signed PDF, reads the report in Vietnamese and English, downloads the signed
PDF report and checks it; then reads the audit log filtered by the document's hash, sees
the chain intact, and -- after a record is altered in the (test) audit database -- sees the
chain broken at that record."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from signsvc.services.context import RequestContext
from tests.conftest import build_api
from tests.e2e.test_browser_signing import CHROMIUM_ARGS, free_port
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig, require_tool

PASSWORD = "mật-khẩu-kiểm-toán-e2e-1"
DOC_SIGNER = "Khóa phần mềm phát triển (TEST ONLY)"
REPORT_SIGNER = "UBND Tỉnh Thử Nghiệm - Con dấu (TEST ONLY)"


@pytest.fixture
def site(tmp_path, dev_pki, responders):
    from werkzeug.serving import make_server

    require_tool("chromium")
    api = build_api(tmp_path / "state")
    setup = RequestContext("e2e", "tests", "admin")
    api.services.clients.create("kt-lan", "auditor", (), setup)
    api.services.login.set_password(setup, "kt-lan", PASSWORD)
    resp = api.client.post("/v1/sign", query_string={"key": "dev-software", "level": "B-T"},
                           data=make_pdf(text="Giay phep kinh doanh"),
                           headers=api.headers("portal", **{"Content-Type": "application/pdf"}))
    assert resp.status_code == 200
    document = tmp_path / "ho-so-da-ky.pdf"
    document.write_bytes(resp.data)
    port = free_port()
    server = make_server("127.0.0.1", port, api.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"origin": f"http://127.0.0.1:{port}", "api": api, "document": document}
    server.shutdown()
    api.services.shutdown()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, locale="vi-VN")
        yield context.new_page()
        context.close()
        browser.close()


def _validate(api, data: bytes) -> dict:
    resp = api.client.post("/v1/verify", data=data, headers=api.headers(
        "auditor", **{"Content-Type": "application/pdf"}))
    return resp.get_json()


def test_auditor_verifies_files_the_report_and_checks_the_log(site, page, dev_pki, tmp_path):
    origin, api, document = site["origin"], site["api"], site["document"]
    sha = hashlib.sha256(document.read_bytes()).hexdigest()
    page.goto(f"{origin}/auditor/verify")
    assert "/login" in page.url
    page.fill("#name", "kt-lan")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{origin}/auditor/verify")
    # verify the signed PDF
    page.set_input_files("#file", str(document))
    page.click("#verify")
    page.wait_for_selector("#verdict")
    assert DOC_SIGNER in page.inner_text("#signature-1")
    assert page.inner_text("#verdict-words") == "Hợp lệ, văn bản còn nguyên vẹn"
    assert "verdict-ok" in page.get_attribute("#verdict", "class")
    colour = page.eval_on_selector("#verdict", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(30, 123, 52)"   # green, from style.css (no inline style under the CSP)
    assert page.inner_text("#document-sha256") == sha
    page.screenshot(path=str(tmp_path / "report-vi.png"), full_page=True)
    # English
    page.click("#lang")
    page.wait_for_url("**lang=en**")
    assert page.inner_text("#verdict-words") == "Valid, the document is intact"
    assert DOC_SIGNER in page.inner_text("#signature-1")
    # the signed PDF report
    with page.expect_download() as info:
        page.click("#download-pdf")
    path = tmp_path / "bao-cao.pdf"
    info.value.save_as(path)
    report_pdf = path.read_bytes()
    with ThreadPoolExecutor(1) as pool:   # Playwright's sync API holds this thread's loop
        own = pool.submit(_validate, api, report_pdf).result()
    assert own["verdict"] == "valid" and own["signatures"][0]["signer"]["common_name"] == REPORT_SIGNER
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert ps.signature_valid and ps.certificate_trusted and ps.whole_document
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          timeout=60, check=True).stdout.decode()
    assert DOC_SIGNER in text and "Kết luận: Hợp lệ, văn bản còn nguyên vẹn" in text and sha in text
    # the audit log, filtered by the document's hash
    page.goto(f"{origin}/auditor/audit?lang=vi")
    page.fill("#document_sha256", sha)
    page.click("#filter")
    page.wait_for_url("**document_sha256=**")
    rows = page.query_selector_all("#records tr.record")
    sequences = [int(r.get_attribute("data-sequence")) for r in rows]
    expected = api.services.audit.list(document_sha256=sha, limit=1000)
    assert sequences == [r.sequence for r in reversed(expected)] and len(sequences) >= 3  # newest first
    actions = page.inner_text("#records")
    assert "signing:document:signed" in actions and "validation:document:verified" in actions
    assert "reports:report:issued" in actions
    assert "nguyên vẹn" in page.inner_text("#chain-status")
    # a document's history by clicking its hash
    page.click(f"#record-{sequences[0]} a.doc-hash[href*='{sha}']")
    page.wait_for_url(f"**/auditor/audit/documents/{sha}**")
    assert page.inner_text("#history-sha256") == sha
    assert len(page.query_selector_all("#records tr.record")) == len(sequences)
    for record in expected:
        assert record.record_hash in page.inner_text("#records")
    # somebody with access to the (test) audit database drops its append-only trigger and
    # alters a record
    altered = sequences[1]
    db = sqlite3.connect(api.services.settings.audit.path)
    with db:
        db.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        db.execute("UPDATE audit_events SET actor = 'mallory' WHERE sequence = ?", (altered,))
    db.close()
    page.goto(f"{origin}/auditor/audit?lang=vi&document_sha256={sha}")
    status = page.inner_text("#chain-status")
    assert f"bị phá vỡ tại bản ghi số {altered}" in status, status
    assert "verdict-bad" in page.get_attribute("#chain-status", "class")
    page.screenshot(path=str(tmp_path / "audit-broken.png"), full_page=True)
