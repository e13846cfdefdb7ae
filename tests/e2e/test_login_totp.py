"""End to end in a real browser (headless Debian Chromium via Playwright): a clerk logs in
with password and TOTP code (a wrong code first), reaches the documents page, logs out, and
neither the Back button nor the old session cookie put back into the browser opens the page
again. The audit log names the clerk, the second factor and the ended session."""

from __future__ import annotations

import shutil
import threading

import pyotp
import pytest

from signsvc.services.context import RequestContext
from tests.conftest import build_api
from tests.e2e.test_browser_signing import CHROMIUM_ARGS, free_port
from tests.support.tools import require_tool

PASSWORD = "mật-khẩu-văn-thư-e2e-1"


@pytest.fixture
def site(tmp_path, dev_pki, responders):
    from werkzeug.serving import make_server

    require_tool("chromium")
    api = build_api(tmp_path / "state")
    setup = RequestContext("e2e", "tests", "admin")
    api.services.clients.create("vt-hoa", "clerk", ("agency-seal",), setup)
    api.services.login.set_password(setup, "vt-hoa", PASSWORD)
    secret, _ = api.services.login.enroll_totp(setup, "vt-hoa")
    port = free_port()
    server = make_server("127.0.0.1", port, api.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"origin": f"http://127.0.0.1:{port}", "api": api, "secret": secret}
    server.shutdown()
    api.services.shutdown()


@pytest.fixture
def browser_context():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(locale="vi-VN")
        yield context
        context.close()
        browser.close()


def test_clerk_logs_in_with_totp_then_logout_and_back_open_nothing(site, browser_context, tmp_path):
    origin, api, secret = site["origin"], site["api"], site["secret"]
    page = browser_context.new_page()
    page.goto(f"{origin}/documents")
    assert page.url.startswith(f"{origin}/login")
    page.fill("#name", "vt-hoa")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{origin}/login/totp**")
    assert page.inner_text("h1") == "Xác thực hai yếu tố"
    # a wrong code first: refused on the same page, in Vietnamese
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    page.fill("#code", wrong)
    page.click("#submit")
    page.wait_for_selector("#error")
    assert "Mã xác thực (TOTP) không đúng" in page.inner_text("#error")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("#submit")
    page.wait_for_url(f"{origin}/documents")
    assert "vt-hoa" in page.inner_text("header")
    page.screenshot(path=str(tmp_path / "clerk-documents.png"), full_page=True)
    cookies = browser_context.cookies()
    assert any(c["name"] == "signsvc_session" and c["httpOnly"] for c in cookies)
    # log out, then Back: the page is fetched again (no-store) and sends to the login
    page.click("#logout")
    page.wait_for_url(f"{origin}/login")
    page.go_back()
    page.wait_for_load_state()
    assert page.url.startswith(f"{origin}/login") and page.query_selector("#password") is not None
    assert page.query_selector("#logout") is None
    # the old cookie put back (as a thief would replay it) opens nothing either
    browser_context.clear_cookies()
    browser_context.add_cookies(cookies)
    page.goto(f"{origin}/documents")
    assert page.url.startswith(f"{origin}/login")
    records = api.services.audit.list(actor="vt-hoa", limit=1000)
    logins = [r for r in records if r.action == "auth:login:succeeded"]
    assert len(logins) == 1 and logins[0].details["second_factor"] == "totp"
    assert [r.details["reason"] for r in records if r.action == "auth:totp:failed"] == ["wrong-code"]
    ended = [r for r in records if r.action == "auth:session:ended"]
    assert len(ended) == 1 and ended[0].details["session"] == logins[0].details["session"]
    rejected = [r for r in api.services.audit.list(action="auth:session:rejected", limit=1000)]
    assert rejected and rejected[-1].details["reason"] == "logged-out"
