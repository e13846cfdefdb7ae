"""End to end in a real browser: headless Debian Chromium driven by Playwright, the signing
page served by signsvc, the official's token (SoftHSM2) behind a real signsvc-agent.

login → choose the document → sign (the agent signs the hash) → download; the downloaded
PDF verifies with pyHanko and pdfsig. Also: the agent not running and a certificate not
registered are explained in plain Vietnamese.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from signsvc.adapters.workflow_sqlite import SqliteWorkflowStore
from signsvc.services.context import RequestContext
from tests.conftest import REPO, build_api
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


def start_agent(tmp: Path, port: int, origin: str, dev_pki) -> subprocess.Popen:
    config = tmp / "agent.toml"
    config.write_text(
        f'[server]\nport = {port}\nallowed_origins = ["{origin}"]\n'
        f'[[tokens]]\nmodule = "{dev_pki.softhsm_module}"\nlabel = "official-an"\n'
        '[pin]\nmode = "env"\nenv_var = "SIGNSVC_E2E_PIN"\nunsafe_headless = true\n')
    env = {**os.environ, "SIGNSVC_E2E_PIN": dev_pki.secret("official-an.pin")}
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


@pytest.fixture
def site(tmp_path, dev_pki, responders):
    """signsvc (werkzeug, threaded) + agent on loopback; an official with a password, a
    registered certificate and a document awaiting him."""
    from werkzeug.serving import make_server

    require_tool("chromium")
    web_port, agent_port = free_port(), free_port()
    origin = f"http://127.0.0.1:{web_port}"
    api = build_api(tmp_path / "state", PAGES__AGENT_URL=f"http://127.0.0.1:{agent_port}")
    setup = RequestContext("e2e", "tests", "admin")
    api.services.clients.create("an", "official", (), setup)
    api.services.login.set_password(setup, "an", PASSWORD)
    SqliteWorkflowStore(tmp_path / "state" / "workflow.sqlite3").register_certificate(
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
    yield {"origin": origin, "api": api, "doc": doc, "agent": agent, "tmp": tmp_path}
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
    # the rendered page 1 (the click does not wait for images: wait until it has loaded)
    page.wait_for_function("() => { const i = document.getElementById('page1'); return i && i.complete; }",
                           timeout=30000)
    assert page.eval_on_selector("#page1", "img => img.naturalWidth") > 100
    page.select_option("#level", "B-T")
    page.click("#sign")
    page.wait_for_selector("#download", timeout=60000)
    summary = page.inner_text("#summary")
    assert "Nguyễn Văn An (TEST ONLY)" in summary
    assert "Hợp lệ, văn bản còn nguyên vẹn" in summary
    assert "+07:00" in summary
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
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert ps.signature_valid and ps.certificate_trusted
    # the English switch
    page.goto(f"{origin}/documents?lang=en")
    assert "Documents awaiting my signature" in page.inner_text("h1")


def test_errors_people_meet_are_explained(site, page, dev_pki):
    origin, doc = site["origin"], site["doc"]
    login(page, origin)
    # the agent is not running
    site["agent"].terminate()
    site["agent"].wait(timeout=10)
    page.goto(f"{origin}/documents/{doc['id']}")
    page.click("#sign")
    page.wait_for_function("document.getElementById('status').textContent.length > 60")
    assert "Chưa chạy phần mềm ký số" in page.inner_text("#status")
    # the agent runs, but the certificate on the token is not registered to this account
    store = SqliteWorkflowStore(site["tmp"] / "state" / "workflow.sqlite3")
    db = store._conn()
    db.execute("DELETE FROM client_certificates WHERE client = 'an'")
    agent_port = int(site["api"].services.settings.pages.agent_url.rsplit(":", 1)[1])
    (site["tmp"] / "b").mkdir()
    site["agent"] = start_agent(site["tmp"] / "b", agent_port, origin, dev_pki)
    page.goto(f"{origin}/documents/{doc['id']}")
    page.click("#sign")
    page.wait_for_function("document.getElementById('status').className === 'error'")
    assert "chưa được đăng ký cho tài khoản" in page.inner_text("#status")
