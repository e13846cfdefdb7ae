"""The audit log an auditor can work with (issue 15, item 3), in headless Chromium on a
desktop (1366x768) and a phone (390x844): newest record first and paging backwards, every
action and outcome in Vietnamese (codes kept below for experts, English on the switch),
the action chosen from a list, a date range, and the export of exactly the filtered view
(CSV and JSON)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest

from signsvc.audit_tags import AuditTag
from signsvc.services.audit_views import AuditEvent
from signsvc.services.context import RequestContext
from tests.conftest import build_api
from tests.e2e.test_browser_signing import CHROMIUM_ARGS, free_port
from tests.support.pdfs import make_pdf
from tests.support.tools import require_tool

PASSWORD = "mật-khẩu-kiểm-toán-e2e-3"
VIEWPORTS = {"desktop": (1366, 768), "phone": (390, 844)}
VIETNAM = timedelta(hours=7)


def _vn_day(moment: datetime) -> str:
    return (moment + VIETNAM).strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def site(tmp_path_factory, dev_pki, responders):
    """A service whose log holds today's setup, a signed and verified document, then
    records on two later days: day 1 (accounts created) and day 2 (130 records, logins,
    signatures), the audit clock moving forward one second a record from there."""
    from werkzeug.serving import make_server

    require_tool("chromium")
    api = build_api(tmp_path_factory.mktemp("audit-log") / "state")
    svc = api.services
    setup = RequestContext("e2e", "tests", "admin")
    svc.clients.create("kt-mai", "auditor", (), setup)
    svc.login.set_password(setup, "kt-mai", PASSWORD)
    resp = api.client.post("/v1/sign", query_string={"key": "dev-software", "level": "B-T"},
                           data=make_pdf(text="Giay phep so 12"),
                           headers=api.headers("portal", **{"Content-Type": "application/pdf"}))
    assert resp.status_code == 200
    check = api.client.post("/v1/verify", data=resp.data, headers=api.headers(
        "auditor", **{"Content-Type": "application/pdf"}))
    assert check.get_json()["verdict"] == "valid"       # the signature this test made
    store = svc.audit._store
    day1 = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0) + timedelta(days=2)
    day2 = day1 + timedelta(days=1)
    ticks = itertools.count()
    start = [day1]
    store._clock = lambda: start[0] + timedelta(seconds=next(ticks))
    for n in range(4):
        svc.audit.record(AuditEvent(action=AuditTag.CLIENTS_CLIENT_CREATED, outcome="success",
                                    actor="quan-tri", role="admin", details={"client": f"cb-{n}"}))
    start[0], ticks = day2, itertools.count()
    store._clock = lambda: start[0] + timedelta(seconds=next(ticks))
    for n in range(130):
        if n % 10 == 3:
            svc.audit.record(AuditEvent(action=AuditTag.AUTH_LOGIN_FAILED, outcome="failure",
                                        actor="nguoi-la", role=None, error_code="unauthorized"))
        else:
            svc.audit.record(AuditEvent(action=AuditTag.SIGNING_DOCUMENT_SIGNED, outcome="success",
                                        actor="portal", role="portal", key_id="agency-seal",
                                        level="B-T", input_sha256=f"{n:064x}",
                                        output_sha256=f"{n + 1000:064x}"))
    port = free_port()
    server = make_server("127.0.0.1", port, api.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"origin": f"http://127.0.0.1:{port}", "api": api, "day1": day1, "day2": day2}
    server.shutdown()
    svc.shutdown()


@pytest.fixture(params=sorted(VIEWPORTS))
def page(request, site):
    from playwright.sync_api import sync_playwright

    width, height = VIEWPORTS[request.param]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, locale="vi-VN",
                                      viewport={"width": width, "height": height})
        pg = context.new_page()
        pg.goto(f"{site['origin']}/auditor/verify")
        pg.fill("#name", "kt-mai")
        pg.fill("#password", PASSWORD)
        pg.click("#submit")
        pg.wait_for_url("**/auditor/verify")
        pg.viewport_name = request.param
        yield pg
        context.close()
        browser.close()


def _shown(page) -> list[int]:
    return [int(r.get_attribute("data-sequence")) for r in page.query_selector_all("#records tr.record")]


def _open_filters(page) -> None:
    """The filters as a person reaches them: folded under "Lọc danh sách" on the phone
    (one tap opens them), shown at once on the desktop."""
    if page.viewport_name == "phone":
        assert not page.is_visible("#action")
        page.click("#filters-toggle")
    assert page.is_visible("#action") and page.is_visible("#document_sha256")


def _codes(page) -> set[str]:
    return {c.inner_text() for c in page.query_selector_all("#records code.action-code")}


def test_newest_first_paging_and_vietnamese_labels(site, page):
    audit = site["api"].services.audit
    newest_before = audit.list(newest_first=True, limit=1)[0].sequence
    page.goto(f"{site['origin']}/auditor/audit")
    shown = _shown(page)
    assert len(shown) == 100 and shown == sorted(shown, reverse=True)
    assert shown[0] >= newest_before                      # the newest record is on top
    assert shown == [r.sequence for r in audit.list(newest_first=True, before_sequence=shown[0] + 1,
                                                    limit=100)]
    assert page.inner_text("#order-note") == "Mới nhất ở trên cùng."
    # the newest record is on the first screen: on the phone the filters are folded away
    width, height = VIEWPORTS[page.viewport_name]
    top = page.locator(f"#record-{shown[0]}").bounding_box()["y"]
    assert top < height, f"newest record at {top:.0f} px on a {width}x{height} screen"
    if page.viewport_name == "phone":
        assert page.is_visible("#filters-toggle") and not page.is_visible("#action")
        assert page.inner_text("#filters-toggle") == "Lọc danh sách"
    else:
        assert not page.is_visible("#filters-toggle") and page.is_visible("#action")
    # every action and outcome in words, the code kept below and in the tooltip
    signed = page.locator("#records tr.record", has=page.locator("code.action-code",
                                                                  has_text="signing:document:signed")).first
    assert signed.locator(".action-label").inner_text() == AuditTag.SIGNING_DOCUMENT_SIGNED.label_vi
    assert signed.locator("td.action").get_attribute("title") == "signing:document:signed"
    assert signed.locator(".outcome-label").inner_text() == "Thành công"
    failed = page.locator("#records tr.record", has=page.locator("code.action-code",
                                                                  has_text="auth:login:failed")).first
    assert failed.locator(".action-label").inner_text() == AuditTag.AUTH_LOGIN_FAILED.label_vi
    assert failed.locator(".outcome-label").inner_text().startswith("Không thành công")
    for label in page.query_selector_all("#records .action-label"):
        assert ":" not in label.inner_text()              # no raw code where words belong
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # one click to older records, which continue where the page ended
    page.click("#next")
    page.wait_for_url("**before_sequence=**")
    older = _shown(page)
    assert older and older[0] < shown[-1] and older == sorted(older, reverse=True)
    expected = audit.list(newest_first=True, before_sequence=shown[-1], limit=100)
    assert older == [r.sequence for r in expected]
    page.click("#newest")
    assert _shown(page)[0] >= shown[0]
    # English on the switch
    page.click("#lang")
    page.wait_for_url("**lang=en**")
    assert AuditTag.SIGNING_DOCUMENT_SIGNED.label_en in page.inner_text("#records")
    assert "Succeeded" in page.inner_text("#records")


def test_filter_by_action_and_date_range_and_export_of_the_view(site, page, tmp_path):
    audit, day1, day2 = site["api"].services.audit, site["day1"], site["day2"]
    page.goto(f"{site['origin']}/auditor/audit")
    _open_filters(page)
    # the action is chosen from a list of words
    page.select_option("#action", label=AuditTag.AUTH_LOGIN_FAILED.label_vi)
    page.click("#filter")
    page.wait_for_url("**action=auth**")
    failed = [r.sequence for r in audit.list(action="auth:login:failed", newest_first=True, limit=1000)]
    assert _shown(page) == failed and len(failed) == 13 and _codes(page) == {"auth:login:failed"}
    if page.viewport_name == "phone":   # folded again, saying a filter applies
        assert not page.is_visible("#action")
        assert page.inner_text("#filters-active") == "(đang lọc theo 1 điều kiện)"
    # a date range: day 1 alone
    page.goto(f"{site['origin']}/auditor/audit")
    _open_filters(page)
    page.fill("#since", _vn_day(day1))
    page.fill("#until", _vn_day(day1))
    page.click("#filter")
    page.wait_for_url("**since=**")
    assert _codes(page) == {"clients:client:created"} and len(_shown(page)) == 4
    # day 2 and one action: 117 signatures over two pages
    page.goto(f"{site['origin']}/auditor/audit")
    _open_filters(page)
    page.select_option("#action", value="signing:document:signed")
    page.fill("#since", _vn_day(day2))
    page.fill("#until", _vn_day(day2))
    page.click("#filter")
    page.wait_for_url("**until=**")
    expected = [r.sequence for r in audit.list(action="signing:document:signed", newest_first=True,
                                               limit=1000)
                if _vn_day(datetime.fromisoformat(r.time.replace("Z", "+00:00"))) == _vn_day(day2)]
    assert len(expected) == 117 and _shown(page) == expected[:100]
    # the export holds exactly the filtered view, every page of it, newest first
    with page.expect_download() as info:
        page.click("#export-csv")
    path = tmp_path / "view.csv"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert [int(r["sequence"]) for r in rows] == expected
    assert {r["action"] for r in rows} == {"signing:document:signed"}
    assert {r["action_label"] for r in rows} == {AuditTag.SIGNING_DOCUMENT_SIGNED.label_vi}
    assert {r["outcome_label"] for r in rows} == {"Thành công"}
    stored = {r.sequence: r for r in audit.list(action="signing:document:signed", limit=1000)}
    assert all(r["record_hash"] == stored[int(r["sequence"])].record_hash for r in rows)
    with page.expect_download() as info:
        page.click("#export-json")
    body = json.loads(info.value.path().read_bytes())
    assert [r["sequence"] for r in body["records"]] == expected and body["count"] == 117
    assert body["truncated"] is False and body["filters"]["action"] == "signing:document:signed"
    # both exports are audited with the view they exported
    exported = audit.list(action="audit:log:exported", actor="kt-mai", newest_first=True, limit=2)
    assert [e.details["format"] for e in exported] == ["json", "csv"]
    assert all(e.details["records"] == 117 and e.details["filter_action"] == "signing:document:signed"
               for e in exported)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
