"""End to end in a real browser: headless Debian Chromium driven by Playwright, the signing
page served by signsvc, the official's token (SoftHSM2) behind a real signsvc-agent.

login → choose the document → look at its pages → place the signature box on page 1 →
sign (the agent signs the hash) → download; the downloaded PDF carries the widget where it
was placed and verifies with pyHanko and pdfsig. The errors people meet are in
test_browser_signing_errors.py.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from signsvc.adapters.workflow_sql import SqlWorkflowStore
from signsvc.services.context import RequestContext
from tests.conftest import REPO, build_api
from tests.support.appearance import pdftotext, widget
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig, require_tool
from tests.support.validate import load_cert, pyhanko_statuses

AGENT = str(REPO / ".venv" / "bin" / "signsvc-agent")
PASSWORD = "mật-khẩu-thử-nghiệm-123"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_agent(tmp: Path, port: int, origin: str, dev_pki, label: str = "official-an",
                pin: str | None = None) -> subprocess.Popen:
    """signsvc-agent in headless mode for the SoftHSM2 token ``label`` (its own PIN unless
    ``pin`` is given)."""
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "agent.toml"
    config.write_text(
        f'[server]\nport = {port}\nallowed_origins = ["{origin}"]\n'
        f'[[tokens]]\nmodule = "{dev_pki.softhsm_module}"\nlabel = "{label}"\n'
        '[pin]\nmode = "env"\nenv_var = "SIGNSVC_E2E_PIN"\nunsafe_headless = true\n')
    env = {**os.environ, "SIGNSVC_E2E_PIN": pin if pin is not None else dev_pki.secret(f"{label}.pin")}
    log = (tmp / "agent.log").open("wb")
    proc = subprocess.Popen([AGENT, "--config", str(config)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if "listening on" in (tmp / "agent.log").read_text():
            return proc
        assert proc.poll() is None, (tmp / "agent.log").read_text()
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("agent did not start")


def restart_agent(site: dict, dev_pki, name: str, **kw) -> None:
    """Stop the site's agent and start another one on the same port."""
    site["agent"].terminate()
    site["agent"].wait(timeout=10)
    site["agent"] = start_agent(site["tmp"] / name, site["agent_port"], site["origin"], dev_pki, **kw)


@pytest.fixture
def site_overrides() -> dict:
    """Extra settings of the service (tests parametrize this)."""
    return {}


@pytest.fixture
def site(tmp_path, dev_pki, responders, site_overrides):
    """signsvc (werkzeug, threaded) + agent on loopback; an official with a password, a
    registered certificate and a document awaiting him."""
    from werkzeug.serving import make_server

    require_tool("chromium")
    web_port, agent_port = free_port(), free_port()
    origin = f"http://127.0.0.1:{web_port}"
    api = build_api(tmp_path / "state", PAGES__AGENT_URL=f"http://127.0.0.1:{agent_port}",
                    **site_overrides)
    setup = RequestContext("e2e", "tests", "admin")
    _, api.tokens["an"] = api.services.clients.create("an", "official", (), setup)
    api.services.login.set_password(setup, "an", PASSWORD)
    SqlWorkflowStore(tmp_path / "state" / "workflow.sqlite3").register_certificate(
        "an", load_cert(dev_pki.cert("official-an")).sha256.hex(), "official-an")
    import io

    doc = api.client.post("/v1/documents", data={
        "file": (io.BytesIO(make_pdf(2, text="GIAY PHEP XAY DUNG")), "d.pdf"),
        "title": "Giấy phép xây dựng số 45", "number": "45/GPXD-UBND", "assignee": "an"},
        headers=api.headers("portal"), content_type="multipart/form-data").get_json()
    server = make_server("127.0.0.1", web_port, api.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    agent = start_agent(tmp_path, agent_port, origin, dev_pki)
    site = {"origin": origin, "api": api, "doc": doc, "agent": agent, "tmp": tmp_path,
            "agent_port": agent_port}
    yield site
    agent = site["agent"]
    agent.terminate()
    agent.wait(timeout=10)
    server.shutdown()
    api.services.shutdown()


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, locale="vi-VN")
        yield context.new_page()
        context.close()
        browser.close()


def login(page, origin: str) -> None:
    page.goto(f"{origin}/login")
    page.fill("#name", "an")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{origin}/documents")


def test_official_signs_in_the_browser(site, page, dev_pki, tmp_path):
    origin, doc = site["origin"], site["doc"]
    page.goto(f"{origin}/documents")
    assert page.url.startswith(f"{origin}/login")  # not logged in: sent to the login page
    page.fill("#name", "an")
    page.fill("#password", "sai mật khẩu rồi")
    page.click("#submit")
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.inner_text("#error")
    login(page, origin)
    assert "Giấy phép xây dựng số 45" in page.inner_text("#documents")
    page.click("a.open")
    assert page.inner_text("#doc-title") == "Giấy phép xây dựng số 45"
    assert page.inner_text("#doc-number") == "45/GPXD-UBND"
    assert page.inner_text("#doc-sha256") == doc["sha256"]
    # the rendered pages: page 2, then back to page 1 (the click does not wait for images)
    wait_preview(page, 1)
    page.fill("#page", "2")
    page.dispatch_event("#page", "change")
    wait_preview(page, 2)
    assert "/pages/2.png?dpi=" in page.get_attribute("#preview", "src")
    page.fill("#page", "1")
    page.dispatch_event("#page", "change")
    wait_preview(page, 1)
    # nothing placed yet: signing asks for a position first
    page.click("#sign")
    page.wait_for_function("() => document.getElementById('status').dataset.code === 'placement-missing'")
    assert "Chưa chọn vị trí chữ ký" in page.inner_text("#status")
    # click on the preview at 60 % across, 80 % down: a 170 x 85 pt box centred there
    shown = page.locator("#preview").bounding_box()
    page.mouse.click(*on_preview(page, 0.6, 0.8))
    chosen = tuple(float(page.input_value(f"#rect-{c}")) for c in ("x1", "y1", "x2", "y2"))
    centre = (0.6 * 595, 842 - 0.8 * 842)
    pt_per_px = 595 / shown["width"]
    assert abs((chosen[0] + chosen[2]) / 2 - centre[0]) < 2 * pt_per_px
    assert abs((chosen[1] + chosen[3]) / 2 - centre[1]) < 2 * pt_per_px
    assert (chosen[2] - chosen[0], chosen[3] - chosen[1]) == pytest.approx((170, 85), abs=0.11)
    assert page.is_visible("#box")
    # the level is the e-service profile's (B-T), said in words; officials do not choose it
    assert "Chữ ký số có dấu thời gian" in page.inner_text("#level-text")
    assert page.locator("select#level").count() == 0
    page.click("#sign")
    page.wait_for_selector("#download", timeout=60000)
    summary = page.inner_text("#summary")
    assert "Nguyễn Văn An (TEST ONLY)" in summary
    assert "Hợp lệ, văn bản còn nguyên vẹn" in summary
    assert "Có dấu thời gian (B-T)" in summary
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", summary)
    page.screenshot(path=str(tmp_path / "signed-page.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#download")
    path = tmp_path / "downloaded.pdf"
    info.value.save_as(path)
    data = path.read_bytes()
    # (pyHanko runs its own event loop; Playwright's sync API holds this thread's)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        (sig, status), = pool.submit(pyhanko_statuses, data, dev_pki.cert("root"),
                                     [dev_pki.cert("interm")]).result()
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.subject.native["common_name"] == "Nguyễn Văn An (TEST ONLY)"
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    # the widget is on page 1 where the official put it, and shows the signer's name
    _, rect, _ = widget(data, sig.field_name)
    assert rect == pytest.approx(chosen, abs=0.06)
    assert "Nguyễn Văn An" in pdftotext(data, tmp_path, rect)
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert ps.signature_valid and ps.certificate_trusted
    # the English switch
    page.goto(f"{origin}/documents?lang=en")
    assert "My documents" in page.inner_text("h1")
    assert "45/GPXD-UBND" in page.inner_text("#signed")


def on_preview(page, fx: float, fy: float) -> tuple[float, float]:
    """The screen point at ``fx`` across and ``fy`` down the page preview, scrolled into
    view first (the preview is larger than the screen)."""
    page.evaluate(
        "([fx, fy]) => { const s = document.getElementById('viewer-scroll'), i = document.getElementById('preview');"
        " s.scrollTop = Math.max(0, fy * i.clientHeight - s.clientHeight / 2);"
        " s.scrollLeft = Math.max(0, fx * i.clientWidth - s.clientWidth / 2);"
        " i.scrollIntoView({block: 'nearest'}); s.scrollIntoView({block: 'nearest'}); }", [fx, fy])
    shown = page.locator("#preview").bounding_box()
    return shown["x"] + fx * shown["width"], shown["y"] + fy * shown["height"]


def wait_preview(page, number: int) -> None:
    """Until the preview shows page ``number``, fully loaded, with its layout known."""
    page.wait_for_function(
        "n => { const i = document.getElementById('preview'); return i && i.dataset.page === String(n)"
        " && i.complete && i.naturalWidth > 100; }", arg=number, timeout=30000)


def open_field_document(site, page, field_rect: tuple[float, ...], number: int,
                        pages: int = 2) -> dict:
    """Upload (as the portal, for the official ``an``) a document "Tờ trình số NUMBER" with an
    empty signature field ``OKy`` at ``field_rect`` on page 1, log ``an`` in and open it with
    its first page shown; the document's JSON."""
    import io

    from tests.support.appearance import template_pdf

    api = site["api"]
    doc = api.client.post("/v1/documents", data={
        "file": (io.BytesIO(template_pdf([(60, 780, "Tờ trình có ô ký")], pages=pages,
                                         empty_field=("OKy", field_rect))), "d.pdf"),
        "title": f"Tờ trình số {number}", "number": f"{number}/TTr-UBND", "assignee": "an"},
        headers=api.headers("portal"), content_type="multipart/form-data").get_json()
    login(page, site["origin"])
    page.goto(f"{site['origin']}/documents/{doc['id']}")
    wait_preview(page, 1)
    return doc


def test_official_signs_into_an_existing_field(site, page, dev_pki, tmp_path):
    """The document has an empty signature field: the page offers it, the preview shows it,
    and the signature lands in it."""
    field_rect = (350.0, 100.0, 560.0, 170.0)
    open_field_document(site, page, field_rect, 7)
    assert page.inner_text("#field") == "OKy (Trang 1)"
    page.check("#place-field")
    page.wait_for_function("() => !document.getElementById('box').hidden")
    shown = page.locator("#preview").bounding_box()
    overlay = page.locator("#box").bounding_box()
    scale = shown["width"] / 595.28
    assert abs(overlay["x"] - shown["x"] - 350 * scale) < 3          # drawn where the field is
    assert abs(overlay["width"] - 210 * scale) < 3
    page.click("#sign")
    page.wait_for_selector("#download", timeout=60000)
    with page.expect_download() as info:
        page.click("#download")
    path = tmp_path / "field.pdf"
    info.value.save_as(path)
    data = path.read_bytes()
    _, rect, _ = widget(data, "OKy")
    assert rect == pytest.approx(field_rect)
    assert "Nguyễn Văn An" in pdftotext(data, tmp_path, rect)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        (sig, status), = pool.submit(pyhanko_statuses, data, dev_pki.cert("root"),
                                     [dev_pki.cert("interm")]).result()
    assert sig.field_name == "OKy" and status.intact and status.valid and status.trusted
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert ps.signature_valid and ps.certificate_trusted
