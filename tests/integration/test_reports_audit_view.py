"""The auditor's view of the audit log (issue 15, item 3) below the browser: the store pages
newest first by sequence without sorting or offsets, the page's filters (a date alone is a
whole Vietnamese day), the labels, and the export of a filtered view (all its pages,
truncated past the cap, bad parameters refused). The browser is in
tests/e2e/test_auditor_audit_log.py."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.audit.events import AuditEvent
from signsvc.audit_tags import AuditTag
from signsvc.services import audit_views
from signsvc.services.audit_service import AuditService
from signsvc.services.context import RequestContext

START = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)   # 23:30 on 30/11 in Vietnam


@pytest.fixture
def audit(tmp_path):
    clock = iter(START + timedelta(minutes=10 * n) for n in range(10_000))
    store = SqlAuditStore(str(tmp_path / "audit.sqlite3"), clock=lambda: next(clock))
    service = AuditService(store)
    for n in range(250):
        service.record(AuditEvent(action=AuditTag.SIGNING_DOCUMENT_SIGNED if n % 5 else
                                  AuditTag.AUTH_LOGIN_FAILED, outcome="success" if n % 5 else "failure",
                                  actor=f"cb-{n % 3}", key_id="agency-seal", input_sha256=f"{n:064x}"))
    yield service
    store.close()


def test_newest_first_keyset_pages(audit):
    first = audit.list(newest_first=True, limit=100)
    assert [r.sequence for r in first] == list(range(250, 150, -1))
    second = audit.list(newest_first=True, before_sequence=first[-1].sequence, limit=100)
    assert [r.sequence for r in second] == list(range(150, 50, -1))
    mine = audit.list(newest_first=True, actor="cb-1", before_sequence=200, limit=5)
    assert [r.sequence for r in mine] == [197, 194, 191, 188, 185]  # event n is sequence n + 1
    assert [r.sequence for r in audit.list(limit=3)] == [1, 2, 3]   # the API's order is unchanged
    with pytest.raises(Exception, match="before_sequence"):
        audit.list(newest_first=True, before_sequence=0)


def test_newest_first_reads_the_sequence_order_without_sorting(audit, tmp_path):
    """The query plans of the page's views: the primary key or the (actor|action, sequence)
    index walked backwards, never a temporary sort nor an offset."""
    db = sqlite3.connect(tmp_path / "audit.sqlite3")
    base = "SELECT sequence FROM audit_events WHERE sequence > 0 AND sequence < 9999"
    for where in ("", " AND actor = 'cb-1'", " AND action = 'auth:login:failed'"):
        plan = " ".join(row[3] for row in db.execute(
            f"EXPLAIN QUERY PLAN {base}{where} ORDER BY sequence DESC LIMIT 100"))
        assert "TEMP B-TREE" not in plan and "OFFSET" not in plan.upper(), plan
    db.close()


def _login(api, name="kt-xem", password="mật-khẩu-kiểm-toán-xem-1"):
    setup = RequestContext("reports-audit-view", "tests", "admin")
    api.services.clients.create(name, "auditor", (), setup)
    api.services.login.set_password(setup, name, password)
    browser = api.app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert browser.post("/login", data={"name": name, "password": password,
                                        "csrf_token": token}).status_code == 302
    return browser


def test_page_labels_date_range_and_export(api, monkeypatch):
    browser = _login(api)
    html = browser.get("/auditor/audit").get_data(as_text=True)
    shown = [int(s) for s in re.findall(r'data-sequence="(\d+)"', html)]
    assert shown == sorted(shown, reverse=True) and shown
    # the select lists every catalogued action by its words, the code as its value
    options = dict(re.findall(r'<option value="([a-z]+:[a-z-]+:[a-z_-]+)" title="[^"]+">([^<]+)</option>', html))
    assert options == {str(t): t.label_vi for t in AuditTag}
    assert f'<span class="action-label">{AuditTag.AUTH_LOGIN_SUCCEEDED.label_vi}</span>' in html
    assert '<span class="outcome-label">Thành công</span>' in html
    # a date alone: from the start of that day to the end of the other, Vietnam time
    today = (datetime.now(UTC) + timedelta(hours=7)).strftime("%Y-%m-%d")
    whole_day = browser.get("/auditor/audit", query_string={"since": today, "until": today})
    assert set(re.findall(r'data-sequence="(\d+)"', whole_day.get_data(as_text=True))) >= set(map(str, shown[:5]))
    yesterday = (datetime.now(UTC) + timedelta(hours=7) - timedelta(days=1)).strftime("%Y-%m-%d")
    assert 'id="no-records"' in browser.get("/auditor/audit", query_string={
        "since": yesterday, "until": yesterday}).get_data(as_text=True)
    # the export of a filtered view, past the cap
    monkeypatch.setattr(audit_views, "MAX_EXPORT_RECORDS", 1)
    monkeypatch.setattr(audit_views, "_PAGE", 1)
    wanted = api.services.audit.list(actor="tests", newest_first=True, limit=1000)
    resp = browser.get("/auditor/audit/export", query_string={"actor": "tests", "format": "csv"})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"] and resp.headers["X-Audit-Truncated"] == "1"
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert [int(r["sequence"]) for r in rows] == [wanted[0].sequence] and len(wanted) > 1
    (logged,) = api.services.audit.list(action="audit:log:exported", actor="kt-xem")
    assert logged.details["truncated"] is True and logged.details["records"] == 1
    bad = browser.get("/auditor/audit/export", query_string={"format": "xlsx"})
    assert bad.status_code == 400 and "csv" in bad.get_data(as_text=True)
    assert browser.get("/auditor/audit", query_string={"before_sequence": "x"}).status_code == 400
    assert browser.get("/auditor/audit/export", query_string={"since": "hôm qua"}).status_code == 400
