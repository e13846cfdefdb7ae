"""The errors people meet when signing with their own token, in headless Chromium: each is
shown in plain Vietnamese with its machine-readable code (``#status[data-code]``), nothing is
signed, and what the server learns of is in its audit log.

Real parts only: signsvc served on loopback, a real ``signsvc-agent`` (headless PIN mode)
in front of the SoftHSM2 tokens; the expired session and the document that changed
meanwhile are produced by holding the page's request to the agent (Playwright routing)
while time passes or another revision lands.
"""

from __future__ import annotations

import base64
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.test_browser_signing import (  # noqa: F401 - fixtures
    login,
    page,
    restart_agent,
    site,
    site_overrides,
    wait_preview,
)
from tests.support.validate import load_cert


def open_and_sign(page, site, place: str = "none") -> None:
    page.goto(f"{site['origin']}/documents/{site['doc']['id']}")
    wait_preview(page, 1)
    page.check(f"#place-{place}")
    page.click("#sign")
    page.wait_for_function("() => document.getElementById('status').className === 'error'", timeout=60000)


def status(page) -> tuple[str, str]:
    return page.get_attribute("#status", "data-code"), page.inner_text("#status")


def nothing_signed(site) -> None:
    api, doc = site["api"], site["doc"]
    current = api.client.get(f"/v1/documents/{doc['id']}", headers=api.headers("portal")).get_json()
    assert current["revision"] == 1 and current["sha256"] == doc["sha256"]
    assert api.services.audit.list(action="signing:document:signed") == []


def rejected(site, code: str):
    found = [r for r in site["api"].services.audit.list(action="signing:session:rejected", limit=100)
             if r.error_code == code]
    assert found, code
    return found[-1]


def test_agent_not_running(site, page):
    login(page, site["origin"])
    site["agent"].terminate()
    site["agent"].wait(timeout=10)
    open_and_sign(page, site)
    code, message = status(page)
    assert code == "agent-unreachable"
    assert "Chưa chạy phần mềm ký số (signsvc-agent) trên máy này" in message
    nothing_signed(site)


def test_token_not_inserted(site, page, dev_pki):
    # the agent looks for a token label that no slot holds: the USB token is not plugged in
    restart_agent(site, dev_pki, "absent", label="official-an-khong-cam", pin="0000")
    login(page, site["origin"])
    open_and_sign(page, site)
    code, message = status(page)
    assert code == "token-not-present"
    assert "Chưa cắm token (USB ký số)" in message
    nothing_signed(site)


def test_wrong_pin(site, page, dev_pki):
    restart_agent(site, dev_pki, "wrong-pin", pin="sai-ma-pin-0000")
    login(page, site["origin"])
    open_and_sign(page, site)
    code, message = status(page)
    assert code == "pin-incorrect"
    assert "Sai mã PIN của token. Văn bản chưa được ký" in message
    nothing_signed(site)
    # the page told the server: the session is ended and the rejection audited
    record = rejected(site, "pin-incorrect")
    assert record.details["reported_by"] == "agent" and record.details["step"] == "sign"
    assert record.certificate_sha256 == load_cert(dev_pki.cert("official-an")).sha256.hex()
    assert record.details["document_id"] == site["doc"]["id"]
    db = sqlite3.connect(site["tmp"] / "state" / "workflow.sqlite3")
    states = [row[0] for row in db.execute("SELECT state FROM signing_sessions")]
    assert states == ["cancelled"]      # the hash handed out can no longer be used


def test_certificate_not_registered_to_this_account(site, page, dev_pki):
    # the token in the reader is Bình's; Ân is logged in
    restart_agent(site, dev_pki, "binh", label="official-binh")
    login(page, site["origin"])
    open_and_sign(page, site)
    code, message = status(page)
    assert code == "certificate-not-registered"
    assert "Chứng thư số trên token chưa được đăng ký cho tài khoản của bạn" in message
    nothing_signed(site)
    record = rejected(site, "certificate-not-registered")
    assert record.certificate_sha256 == load_cert(dev_pki.cert("official-binh")).sha256.hex()


@pytest.mark.parametrize("site_overrides", [{"PAGES__SIGNING_SESSION_SECONDS": "1"}])
def test_session_expired(site, page, site_overrides):
    login(page, site["origin"])

    def slow_official(route):  # the official takes a while to type the PIN
        page.wait_for_timeout(2500)
        route.continue_()

    page.route(f"http://127.0.0.1:{site['agent_port']}/sign", slow_official)
    open_and_sign(page, site)
    code, message = status(page)
    assert code == "session-expired"
    assert "Phiên ký đã hết hạn" in message and "văn bản chưa được ký" in message
    nothing_signed(site)
    rejected(site, "session-expired")


def test_document_changed_meanwhile(site, page, dev_pki):
    """Another revision lands between step 1 and step 3: 409 explained, nothing of ours kept."""
    from tests.integration.test_signing_sessions import token_sign

    api, doc = site["api"], site["doc"]
    cert = base64.b64encode(load_cert(dev_pki.cert("official-an")).dump()).decode()

    def other_revision() -> str:
        s = api.client.post("/v1/signing-sessions", headers=api.headers("an"),
                            json={"document_id": doc["id"], "certificate": cert, "level": "B-B"}).get_json()
        done = api.client.post(f"/v1/signing-sessions/{s['id']}/signature", headers=api.headers("an"),
                               json={"signature": token_sign(dev_pki, "official-an", s)})
        assert done.status_code == 200, done.get_json()
        return done.headers["X-Document-SHA256"]

    landed = []

    def meanwhile(route):
        # (pyHanko runs its own event loop; Playwright's sync API holds this thread's)
        with ThreadPoolExecutor(1) as pool:
            landed.append(pool.submit(other_revision).result())
        route.continue_()

    login(page, site["origin"])
    page.route(f"http://127.0.0.1:{site['agent_port']}/sign", meanwhile)
    open_and_sign(page, site)
    code, message = status(page)
    assert code == "stale-revision"
    assert "Văn bản đã được ký hoặc thay đổi trong lúc bạn ký" in message
    current = api.client.get(f"/v1/documents/{doc['id']}", headers=api.headers("portal")).get_json()
    assert current["revision"] == 2 and current["sha256"] == landed[0]   # only the other one
    assert len(api.services.audit.list(action="signing:document:signed")) == 1
    rejected(site, "stale-revision")
