"""A freshly started service (``signsvc serve``: gunicorn, as an operator runs it), used in
headless Chromium as officials and auditors use it (issue 10):

* the auditor verifies a 3 MB PDF through the page (form uploads over ~256 KB were 413);
* an official signs a document numbered ``125/QĐ-UBND`` and downloads it ("Tải văn bản đã
  ký" answered a bare "Internal Server Error": gunicorn refused the raw number in
  ``Content-Disposition``); the "choose a position" error goes once a position is chosen;
* errors of page routes are pages in Vietnamese (English on the switch) with a way back,
  and an official's 403 page has no auditors' menu;
* every main page has a viewport and no horizontal overflow at 390×844 (and 1366×768);
  screenshots at 390 px are kept in the test's folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.test_browser_signing import (
    CHROMIUM_ARGS,
    free_port,
    on_preview,
    start_agent,
    wait_preview,
)
from tests.integration.test_content_disposition import multipart, start_served, stop_served
from tests.support.pdfs import make_pdf
from tests.support.tools import require_tool
from tests.support.validate import pyhanko_statuses

PASSWORDS = {"an": "mật-khẩu-cán-bộ-an-1", "kt": "mật-khẩu-kiểm-toán-1"}
NUMBER = "125/QĐ-UBND"
TITLE = "Quyết định về việc phê duyệt kế hoạch cải cách hành chính năm 2027"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, dev_pki, responders):
    """``signsvc serve`` on an empty state folder, accounts made with the CLI, the official's
    agent running; a 3 MB signed PDF and a document numbered 125/QĐ-UBND for ``an``."""
    require_tool("chromium")
    tmp = tmp_path_factory.mktemp("fresh")
    agent_port = free_port()
    served = start_served(tmp, PAGES__AGENT_URL=f"http://127.0.0.1:{agent_port}")
    agent = None
    try:
        served.client("portal", "portal", "dev-software")
        served.client("kt", "auditor")
        served.client("an", "official")
        for name, password in PASSWORDS.items():
            served.cli("clients", "set-password", name, stdin=password + "\n")
        served.cli("clients", "register-cert", "an", str(dev_pki.cert("official-an")))
        status, _, big = served.call("POST", "/v1/sign?key=dev-software&level=B-B", "portal",
                                     make_pdf(2, text="Ho so quet", pad_to=3_000_000),
                                     {"Content-Type": "application/pdf"})
        assert status == 200 and len(big) > 3_000_000, big[:300]
        scan = tmp / "ho-so-quet-3MB.pdf"
        scan.write_bytes(big)
        body, ctype = multipart({"title": TITLE, "number": NUMBER, "assignee": "an"},
                                {"file": ("qd-125.pdf", make_pdf(2, text="QUYET DINH 125"))})
        status, _, answer = served.call("POST", "/v1/documents", "portal", body, {"Content-Type": ctype})
        assert status == 201, answer
        body, ctype = multipart({"title": "Tờ trình đề nghị phê duyệt dự toán kinh phí",
                                 "number": "7/TTr-VP", "assignee": "an"},
                                {"file": ("tt-7.pdf", make_pdf(1, text="TO TRINH 7"))})
        status, _, second = served.call("POST", "/v1/documents", "portal", body, {"Content-Type": ctype})
        assert status == 201, second
        agent = start_agent(tmp / "agent", agent_port, served.base, dev_pki)
        yield {"served": served, "base": served.base, "scan": scan, "doc": json.loads(answer),
               "awaiting": json.loads(second),
               "tmp": tmp}
    finally:
        if agent is not None:
            agent.terminate()
            agent.wait(timeout=10)
        stop_served(served)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                              args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser, viewport=DESKTOP):
    context = browser.new_context(accept_downloads=True, locale="vi-VN", viewport=viewport)
    return context.new_page()


def _login(page, base: str, name: str, then: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("#submit")
    page.wait_for_url(f"{base}{then}")


def test_auditor_verifies_a_3mb_pdf_through_the_page(fresh, browser):
    base, scan = fresh["base"], fresh["scan"]
    page = _page(browser)
    _login(page, base, "kt", "/auditor/verify")
    assert "25 MiB" in page.inner_text("main")
    page.set_input_files("#file", str(scan))
    page.click("#verify")
    page.wait_for_selector("#verdict", timeout=60000)
    assert page.inner_text("#verdict-words") == "Hợp lệ, văn bản còn nguyên vẹn"
    assert page.inner_text("#document-sha256") == hashlib.sha256(scan.read_bytes()).hexdigest()
    assert "Khóa phần mềm phát triển (TEST ONLY)" in page.inner_text("#signature-1")
    page.context.close()


def test_official_signs_and_downloads_a_document_numbered_QD(fresh, browser, dev_pki):
    base, doc, served = fresh["base"], fresh["doc"], fresh["served"]
    page = _page(browser)
    _login(page, base, "an", "/documents")
    assert NUMBER in page.inner_text("#documents")
    page.click(f"a.open[href$='/documents/{doc['id']}']")
    assert page.inner_text("#doc-number") == NUMBER
    wait_preview(page, 1)
    # nothing placed yet: the page asks for a position ...
    page.click("#sign")
    page.wait_for_function("() => document.getElementById('status').dataset.code === 'placement-missing'")
    assert "Chưa chọn vị trí chữ ký" in page.inner_text("#status")
    # ... and the message goes as soon as one is chosen
    page.mouse.click(*on_preview(page, 0.5, 0.85))   # (the large preview scrolls inside)
    assert page.is_visible("#box")
    assert "Chưa chọn vị trí chữ ký" not in page.inner_text("#status")
    assert page.get_attribute("#status", "data-code") is None
    page.click("#sign")      # at the level the e-service profile asks (B-T), not chosen
    page.wait_for_selector("#download", timeout=90000)
    assert "Hợp lệ, văn bản còn nguyên vẹn" in page.inner_text("#summary")
    # "Tải văn bản đã ký": the file arrives under its number, with the signed bytes
    with page.expect_download() as info:
        page.click("#download")
    assert info.value.failure() is None
    assert info.value.suggested_filename == "125-QĐ-UBND.pdf"
    path = fresh["tmp"] / "downloaded.pdf"
    info.value.save_as(path)
    data = path.read_bytes()
    status, headers, stored = served.call("GET", f"/v1/documents/{doc['id']}/content", "an")
    assert status == 200 and data == stored
    assert headers["X-Document-SHA256"] == hashlib.sha256(data).hexdigest() != doc["sha256"]
    with ThreadPoolExecutor(1) as pool:   # pyHanko's loop; Playwright holds this thread's
        (_, result), = pool.submit(pyhanko_statuses, data, dev_pki.cert("root"),
                                   [dev_pki.cert("interm")]).result()
    assert result.intact and result.valid and result.trusted
    assert result.signing_cert.subject.native["common_name"] == "Nguyễn Văn An (TEST ONLY)"
    page.context.close()


def test_error_pages_are_pages_with_a_way_back(fresh, browser):
    base = fresh["base"]
    page = _page(browser)
    _login(page, base, "an", "/documents")
    # a document that does not exist (or is not the official's): a page, not JSON
    resp = page.goto(f"{base}/documents/khong-co-van-ban-nay")
    assert resp.status == 404 and resp.headers["content-type"].startswith("text/html")
    assert page.inner_text("#error-title") == "Không tìm thấy"
    assert page.inner_text("#problem").strip()
    assert page.evaluate("document.documentElement.lang") == "vi"
    resp = page.goto(f"{base}/documents/khong-co-van-ban-nay/download")
    assert resp.status == 404 and "text/html" in resp.headers["content-type"]
    page.goto(f"{base}/documents/khong-co-van-ban-nay")
    # English through the language switch, same page
    page.click("#lang")
    page.wait_for_load_state()
    assert page.inner_text("#error-title") == "Not found"
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click("#back")
    page.wait_for_url(f"{base}/documents**")
    assert page.inner_text("h1") == "My documents"   # English kept
    # an official on an auditor's page: 403 page, no auditors' menu, a way back
    page.goto(f"{base}/auditor/verify?lang=vi")
    assert page.inner_text("#forbidden") == "Không được phép"
    assert page.query_selector("#nav-verify") is None and page.query_selector("#nav-audit") is None
    page.click("#back")
    page.wait_for_url(f"{base}/documents**")
    page.context.close()


def _no_overflow(page, label: str) -> None:
    assert page.query_selector('meta[name="viewport"][content*="width=device-width"]'), label
    wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"{label}: the page is {wide[0]} px wide in a {wide[1]} px window"
    small = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.offsetParent !== null && getComputedStyle(e).fontSize.endsWith('px')
                && parseFloat(getComputedStyle(e).fontSize) < 12 && e.innerText
                && !e.closest('.small')).length""")
    assert small == 0, f"{label}: {small} elements with text under 12 px"


def _pages(fresh) -> dict:
    doc = fresh["doc"]
    return {
        "official": {"documents": "/documents", "document": f"/documents/{fresh['awaiting']['id']}",
                     "signed": f"/documents/{doc['id']}",
                     "not-found": "/documents/khong-co", "forbidden": "/auditor/verify",
                     "documents-en": "/documents?lang=en"},
        "auditor": {"verify": "/auditor/verify", "audit-log": "/auditor/audit",
                    "history": f"/auditor/audit/documents/{doc['sha256']}"},
        None: {"login": "/login", "docs": "/docs"},
    }


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1366x768"])
def test_every_main_page_fits_the_screen(fresh, browser, viewport, tmp_path):
    base = fresh["base"]
    for role, paths in _pages(fresh).items():
        page = _page(browser, viewport)
        if role == "official":
            _login(page, base, "an", "/documents")
        elif role == "auditor":
            _login(page, base, "kt", "/auditor/verify")
        for label, path in paths.items():
            page.goto(f"{base}{path}")
            page.wait_for_load_state("load")
            if label in ("document", "signed"):
                wait_preview(page, 1)
            _no_overflow(page, f"{label} at {viewport['width']} px")
            if viewport is PHONE:
                page.screenshot(path=str(tmp_path / f"{role or 'anon'}-{label}-390.png"), full_page=True)
        if role == "auditor":   # the report of the 3 MB PDF, and its HTML form from the API
            page.goto(f"{base}/auditor/verify")
            page.set_input_files("#file", str(fresh["scan"]))
            page.click("#verify")
            page.wait_for_selector("#verdict", timeout=60000)
            _no_overflow(page, f"report at {viewport['width']} px")
            if viewport is PHONE:
                page.screenshot(path=str(tmp_path / "auditor-report-390.png"), full_page=True)
        page.context.close()
