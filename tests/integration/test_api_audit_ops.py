"""Audit API, fail-closed signing, readiness and the API documents."""

from __future__ import annotations

import shutil
import sqlite3

from tests.conftest import build_api
from tests.support.pdfs import make_pdf

PDF = make_pdf()
PDF_HDR = {"Content-Type": "application/pdf"}


def test_auditor_reads_and_verifies_the_chain(api):
    api.client.get("/v1/keys", headers=api.headers("portal"))
    resp = api.client.get("/v1/audit/events", query_string={"action": "keys:key:listed", "limit": 5},
                          headers=api.headers("auditor"))
    assert resp.status_code == 200
    events = resp.get_json()["events"]
    assert events and all(e["action"] == "keys:key:listed" for e in events)
    assert {"sequence", "time", "actor", "role", "request_id", "prev_hash", "record_hash"} <= set(events[0])
    page2 = api.client.get("/v1/audit/events", headers=api.headers("admin"),
                           query_string={"after_sequence": events[0]["sequence"] - 1, "limit": 1}).get_json()
    assert [e["sequence"] for e in page2["events"]] == [events[0]["sequence"]]
    assert page2["next_after_sequence"] == events[0]["sequence"]
    body = api.client.get("/v1/audit/verify", headers=api.headers("auditor")).get_json()
    assert body["ok"] is True and body["first_bad_sequence"] is None and body["checked"] > 0
    assert "last_checkpoint" in body
    bad = api.client.get("/v1/audit/events", query_string={"since": "yesterday"},
                         headers=api.headers("auditor"))
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "since"


def test_altered_row_is_named_by_api_and_cli(tmp_path, dev_pki, responders):
    api = build_api(tmp_path)
    try:
        for _ in range(4):
            assert api.client.get("/v1/keys", headers=api.headers("portal")).status_code == 200
        db = sqlite3.connect(tmp_path / "audit.sqlite3")
        db.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        triggers = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
        for t in triggers:
            db.execute(f"DROP TRIGGER {t}")
        db.execute("UPDATE audit_events SET outcome='failure' WHERE sequence=7")
        db.commit()
        db.close()
        body = api.client.get("/v1/audit/verify", headers=api.headers("auditor")).get_json()
        assert body["ok"] is False and body["first_bad_sequence"] == 7

        import os

        from signsvc.cli import main
        os.environ["SIGNSVC_AUDIT__PATH"] = str(tmp_path / "audit.sqlite3")
        try:
            assert main(["audit", "verify"]) == 1
        finally:
            del os.environ["SIGNSVC_AUDIT__PATH"]
    finally:
        api.services.shutdown()


def test_signing_fails_closed_when_audit_cannot_be_written(tmp_path, dev_pki, responders):
    api = build_api(tmp_path / "state")
    try:
        ok = api.client.post("/v1/sign?key=dev-software&level=B-B", data=PDF,
                             headers=api.headers("portal", **PDF_HDR))
        assert ok.status_code == 200
        shutil.move(tmp_path / "state", tmp_path / "moved")
        resp = api.client.post("/v1/sign?key=dev-software&level=B-B", data=PDF,
                               headers=api.headers("portal", **PDF_HDR))
        assert resp.status_code == 503
        assert resp.mimetype == "application/problem+json"
        assert resp.get_json()["code"] == "audit-unavailable"
        assert b"%PDF" not in resp.data
        ready = api.client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["checks"]["audit"] == "audit-unavailable"
    finally:
        api.services.shutdown()


def test_health_readiness_and_docs(api):
    settings = api.services.settings
    assert api.client.get("/healthz").get_json() == {
        "status": "ok", "instance": settings.instance_id, "database": "sqlite"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    checks = ready.get_json()["checks"]
    assert checks == {"database": "ok", "audit": "ok", "clients": "ok", "tsa": "ok",
                      "key:agency-seal": "ok", "key:agency-seal-ec": "ok",
                      "key:dev-software": "ok"}
    doc = api.client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    for path in ("/v1/sign", "/v1/verify", "/v1/keys", "/v1/audit/events", "/v1/audit/verify",
                 "/healthz", "/readyz"):
        assert path in doc["paths"]
    page = api.client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.content_type
    html = page.get_data(as_text=True)
    assert "Tài liệu API" in html and "/v1/sign" in html and "Ký PDF" in html
    assert page.headers["X-Content-Type-Options"] == "nosniff"
