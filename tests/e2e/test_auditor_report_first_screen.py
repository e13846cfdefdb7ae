"""The verification report puts the verdict first (issue 15, item 1), in headless Chromium on a
desktop (1366x768) and a phone (390x844): for a document whose amount was changed after
signing, and for a document with two signatures one of which is by a revoked certificate,
the first screen says the verdict, the specific reason per signature and what to do next;
the details are collapsible and no row contradicts the verdict; the signed PDF report
carries the same summary on its first page."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers, timestamps

from signsvc.services.context import RequestContext
from tests.conftest import build_api
from tests.e2e.test_browser_signing import CHROMIUM_ARGS, free_port
from tests.support.pdfs import make_pdf
from tests.support.tools import require_tool

PASSWORD = "mật-khẩu-kiểm-toán-e2e-2"
TSA_URL = "http://127.0.0.1:9180/signsvc-dev/tsa/tsa"
VIEWPORTS = {"desktop": (1366, 768), "phone": (390, 844)}
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _sign_with_revoked(dev_pki, data: bytes) -> bytes:
    """``data`` signed again (field Sig2, B-T) by the dev PKI's revoked (key compromise) signer."""
    signer = signers.SimpleSigner.load(str(dev_pki.keys / "revoked-signer.key.pem"),
                                       str(dev_pki.cert("revoked-signer")),
                                       ca_chain_files=(str(dev_pki.cert("interm")),))
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    return signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Sig2"), signer=signer,
                            timestamper=timestamps.HTTPTimeStamper(TSA_URL)).getvalue()


def _verify(api, data: bytes) -> dict:
    resp = api.client.post("/v1/verify", data=data, headers=api.headers(
        "auditor", **{"Content-Type": "application/pdf"}))
    assert resp.status_code == 200
    return resp.get_json()


@pytest.fixture(scope="module")
def site(tmp_path_factory, dev_pki, responders):
    from werkzeug.serving import make_server

    require_tool("chromium")
    require_tool("pdftotext")
    tmp = tmp_path_factory.mktemp("first-screen")
    api = build_api(tmp / "state")
    setup = RequestContext("e2e", "tests", "admin")
    api.services.clients.create("kt-mai", "auditor", (), setup)
    api.services.login.set_password(setup, "kt-mai", PASSWORD)
    resp = api.client.post("/v1/sign", query_string={"key": "dev-software", "level": "B-T"},
                           data=make_pdf(text="So tien thanh toan: 1.000.000 dong"),
                           headers=api.headers("portal", **{"Content-Type": "application/pdf"}))
    assert resp.status_code == 200
    signed = resp.data
    at = signed.index(b"1.000.000")
    tampered = signed[:at] + b"9" + signed[at + 1:]      # the amount becomes 9.000.000
    two = _sign_with_revoked(dev_pki, signed)
    # what the validator says about each (the signatures this test made are validated here)
    assert _verify(api, signed)["verdict"] == "valid"
    bad = _verify(api, tampered)["signatures"][0]
    assert (bad["indication"], bad["sub_indication"], bad["valid"], bad["modifications"]) == \
        ("TOTAL-FAILED", "HASH_FAILURE", True, "none")   # the raw facts the page must not echo
    both = _verify(api, two)["signatures"]
    assert [(s["indication"], s["sub_indication"]) for s in both] == [
        ("TOTAL-PASSED", None), ("TOTAL-FAILED", "REVOKED")]
    files = {}
    for name, data in (("tampered", tampered), ("two", two)):
        files[name] = tmp / f"{name}.pdf"
        files[name].write_bytes(data)
    port = free_port()
    server = make_server("127.0.0.1", port, api.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"origin": f"http://127.0.0.1:{port}", "api": api, "files": files,
           "revoked_at": both[1]["revocation_time"]}
    server.shutdown()
    api.services.shutdown()


@pytest.fixture(params=sorted(VIEWPORTS))
def page(request):
    from playwright.sync_api import sync_playwright

    width, height = VIEWPORTS[request.param]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, locale="vi-VN",
                                      viewport={"width": width, "height": height})
        pg = context.new_page()
        pg.viewport_name = request.param
        yield pg
        context.close()
        browser.close()


def _login_and_verify(page, origin: str, path) -> None:
    page.goto(f"{origin}/auditor/verify")
    if "/login" in page.url:
        page.fill("#name", "kt-mai")
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_url(f"{origin}/auditor/verify")
    page.set_input_files("#file", str(path))
    page.click("#verify")
    page.wait_for_selector("#verdict")


def _bottom(page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["y"] + box["height"]


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_tampered_document_reason_and_next_steps_first(site, page, tmp_path):
    height = VIEWPORTS[page.viewport_name][1]
    _login_and_verify(page, site["origin"], site["files"]["tampered"])
    assert page.inner_text("#verdict-words") == "Không hợp lệ"
    reason = page.inner_text("#reason-1")
    assert "Nội dung đã ký bị thay đổi" in reason and "Không đạt" in reason, reason
    assert "Khóa phần mềm phát triển (TEST ONLY)" in reason
    steps = page.inner_text("#next-steps")
    for step in ("Không sử dụng văn bản", "Liên hệ cơ quan ban hành", "Lưu báo cáo PDF vào hồ sơ"):
        assert step in steps, steps
    # the first screen: the verdict, the reason and what to do without scrolling
    reason_bottom, steps_bottom = _bottom(page, "#reason-1"), _bottom(page, "#next-steps")
    print(f"\n[{page.viewport_name}] reason bottom y={reason_bottom:.0f}, "
          f"next steps bottom y={steps_bottom:.0f} (viewport height {height})")
    assert reason_bottom <= height and steps_bottom <= height
    assert page.eval_on_selector("#reason-1 .badge", "e => getComputedStyle(e).backgroundColor") \
        == "rgb(176, 0, 32)"
    _no_sideways_scroll(page)
    # details below, collapsed until opened; once opened no row contradicts the verdict
    assert page.get_attribute("#signature-1", "open") is None
    assert not page.locator("#signature-1 td.crypto-valid").is_visible()
    page.click("#signature-1 > summary")
    crypto = page.inner_text("#signature-1 td.crypto-valid")
    assert crypto.startswith("không") and "bị thay đổi" in crypto, crypto
    assert page.inner_text("#signature-1 td.intact").startswith("không")
    modifications = page.inner_text("#signature-1 td.modifications")
    assert modifications != "không có" and modifications.startswith("có"), modifications
    trusted = page.inner_text("#signature-1 .trusted")   # the root is marked trusted above it
    assert "chứng thư gốc tin cậy" in page.inner_text("#chain-1")
    assert trusted.startswith("có, nhưng") and "nội dung đã ký bị thay đổi" in trusted, trusted
    assert "bad" not in page.get_attribute("#signature-1 .trusted", "class")
    indication = page.inner_text("#signature-1 td.indication")
    assert "Không đạt (TOTAL-FAILED)" in indication and "HASH_FAILURE" in indication
    page.screenshot(path=str(tmp_path / f"tampered-{page.viewport_name}.png"), full_page=True)
    # English says the same
    page.click("#lang")
    page.wait_for_url("**lang=en**")
    assert "The signed content was altered" in page.inner_text("#reason-1")
    assert "Do not use the document." in page.inner_text("#next-steps")


def test_two_signatures_summary_table_and_pdf_report(site, page, tmp_path):
    height = VIEWPORTS[page.viewport_name][1]
    _login_and_verify(page, site["origin"], site["files"]["two"])
    assert page.inner_text("#verdict-words") == "Không hợp lệ"
    rows = page.locator("#signature-summary tr.summary-row")
    assert rows.count() == 2
    first, second = page.inner_text("#summary-1"), page.inner_text("#summary-2")
    assert "Khóa phần mềm phát triển (TEST ONLY)" in first and "Đạt" in first and "B-T" in first
    assert "Người ký bị thu hồi (TEST ONLY)" in second and "Không đạt" in second
    assert "chứng thư số đã bị thu hồi" in second and "B-T" in second
    assert page.get_attribute("#summary-2 .badge", "title") == "TOTAL-FAILED / REVOKED"
    assert "badge-ok" in page.get_attribute("#summary-1 .badge", "class")
    assert page.eval_on_selector("#summary-1 .badge", "e => getComputedStyle(e).backgroundColor") \
        == "rgb(30, 123, 52)"
    assert "lộ khóa bí mật" in page.inner_text("#reason-2")       # the revocation's reason
    # the revocation time as people read it (dd/mm/yyyy HH:mm:ss, Vietnam time), never ISO
    revoked_at = datetime.fromisoformat(site["revoked_at"]).astimezone(VIETNAM)
    assert f"bị thu hồi từ {revoked_at:%d/%m/%Y %H:%M:%S}" in page.inner_text("#reason-2")
    assert not ISO_TIME.search(page.inner_text("#first-screen"))
    table_top = page.locator("#signature-summary").bounding_box()["y"]
    print(f"\n[{page.viewport_name}] reason 2 bottom y={_bottom(page, '#reason-2'):.0f}, "
          f"summary table top y={table_top:.0f}, bottom y={_bottom(page, '#signature-summary'):.0f}")
    assert _bottom(page, "#reason-2") <= height and table_top <= height
    if page.viewport_name == "desktop":
        assert _bottom(page, "#signature-summary") <= height
    _no_sideways_scroll(page)
    # the valid signature's rows stay positive, the revoked one's trust row says why
    page.click("#signature-2 > summary")
    assert "bị thu hồi" in page.inner_text("#signature-2 .trusted")
    assert not ISO_TIME.search(page.inner_text("#signature-2 ul.messages"))
    assert page.inner_text("#signature-2 td.crypto-valid") == "có"  # intact and correct, revoked
    # the signed PDF report: the same summary on its first page, before the details
    with page.expect_download() as info:
        page.click("#download-pdf")
    path = tmp_path / "bao-cao.pdf"
    info.value.save_as(path)
    with ThreadPoolExecutor(1) as pool:   # Playwright's sync API holds this thread's loop
        own = pool.submit(_verify, site["api"], path.read_bytes()).result()
    assert own["verdict"] == "valid"
    text = subprocess.run(["pdftotext", "-l", "1", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, timeout=60, check=True).stdout.decode()
    why, todo, details = text.index("Lý do"), text.index("Cần làm gì"), text.index("Tài liệu được kiểm tra")
    assert why < todo < details
    assert "Không đạt — Chữ ký 2 (Người ký bị thu hồi (TEST ONLY)" in text
    assert "lộ khóa bí mật" in text[why:todo] and "Không sử dụng văn bản." in text[todo:details]
    assert f"{revoked_at:%d/%m/%Y %H:%M:%S}" in text[why:todo] and not ISO_TIME.search(text[why:todo])
