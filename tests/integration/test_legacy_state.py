"""A state folder made by signsvc before Alembic (commit 275936b) is migrated in place at
start-up: every table, index and trigger stays as it was, the data is kept and the
stores of this version read and extend it; a fresh state folder gets the same schema.

The folder is rebuilt from ``tests/data/legacy_state_275936b/*.sql``: the ``.dump`` of
the five SQLite files that commit's stores made (with a few rows in each)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from signsvc.adapters.db import prepare_databases
from signsvc.adapters.db.databases import database_for
from signsvc.adapters.db.migrate import current_heads, head_of
from signsvc.settings.loader import build_settings

DUMPS = Path(__file__).resolve().parents[1] / "data" / "legacy_state_275936b"
FILES = {"audit": "audit.sqlite3", "signsvc": "signsvc.sqlite3",
         "workflow": "workflow.sqlite3", "images": "images.sqlite3", "reports": "reports.sqlite3"}

# what the revisions after each group's first add (table and index names, by file)
ADDED_LATER = {"signsvc.sqlite3": {"policy_in_force", "policy_in_force_sha256"},
               "audit.sqlite3": {"audit_events_action_time"}}


def _restore(state: Path) -> None:
    state.mkdir(parents=True)
    for dump, name in FILES.items():
        db = sqlite3.connect(state / name)
        db.executescript((DUMPS / f"{dump}.sql").read_text(encoding="utf-8"))
        db.execute("PRAGMA journal_mode = WAL")
        db.close()


def _schema(path: Path) -> set[tuple[str, str, str]]:
    db = sqlite3.connect(path)
    try:
        return {(t, n, " ".join((s or "").split())) for t, n, s in db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'alembic%' "
            "AND name NOT LIKE 'sqlite_autoindex%'")}
    finally:
        db.close()


def _settings(state: Path):
    return build_settings({"service": {"state_dir": str(state)}}, state.parent, None, {})


@pytest.fixture
def legacy(tmp_path):
    state = tmp_path / "state"
    _restore(state)
    return state


def test_legacy_state_migrates_in_place_and_keeps_its_data(legacy):
    before = {name: _schema(legacy / name) for name in FILES.values()}
    settings = _settings(legacy)
    prepare_databases(settings)

    for group in ("audit", "state", "workflow", "images", "reports"):
        assert current_heads(database_for(settings, group)) == {head_of(group)}
    for name in FILES.values():
        after = _schema(legacy / name)
        later = ADDED_LATER.get(name, set())
        assert {r for r in after if r[1] not in later} == before[name], name   # adopted as it was
        assert {r[1] for r in after} >= later, name   # then the later revisions applied
    assert sqlite3.connect(legacy / "audit.sqlite3").execute(
        "PRAGMA user_version").fetchone()[0] == 2

    from signsvc.adapters.images_sql import SqlImageStore
    from signsvc.adapters.rate_counters_sql import SqlRateCounters
    from signsvc.adapters.reports_sql import SqlReportStore

    image = SqlImageStore(database_for(settings, "images")).get("seal-1")
    assert image is not None and image.png == b"\x89PNG" and image.diameter_mm == 40.0
    assert SqlReportStore(database_for(settings, "reports"), 10**10).get(
        "r1", "auditor-a") == '{"ok": true}'
    rates = SqlRateCounters(database_for(settings, "state"))
    assert rates.counts(["client:portal-a"],
                        datetime(2026, 12, 3, 12, 0, tzinfo=UTC)) == \
        {"client:portal-a": (1, 1)}

    from signsvc.adapters.clients_sql import SqlClientStore
    from signsvc.adapters.logins_sql import SqlLoginStore
    from signsvc.adapters.workflow_sql import SqlWorkflowStore

    clients = SqlClientStore(database_for(settings, "state"))
    assert [(c.name, c.role, c.keys) for c in clients.list()] == [("portal-a", "portal", ("seal",))]
    assert clients.password_hash("portal-a") == "scrypt$x"
    session = SqlLoginStore(database_for(settings, "state"), legacy / "totp-key").session("ref1")
    assert session is not None and session.client == "portal-a" and session.stage == "full"
    workflow = SqlWorkflowStore(database_for(settings, "workflow"))
    document = workflow.document("d1")
    assert document is not None and document.title == "Tờ trình"
    assert workflow.document_content("d1") == b"%PDF-1.7 legacy"
    assert workflow.certificates_of("official-a") == [("ef" * 32, "CN=Nguyễn Văn A")]

    from signsvc.adapters.revocation_cache_sql import SqlRevocationCache

    cached = SqlRevocationCache(database_for(settings, "state"))
    assert cached.get("crl", "http://x/crl") == b"\x30\x00"

    from signsvc.adapters.audit_sql import SqlAuditStore
    from signsvc.audit.events import AuditEvent
    from signsvc.audit.keyed import Anchor, verify_segment

    audit = SqlAuditStore(settings.audit.path)
    assert [r.actor for r in audit.records()] == ["portal0", "portal1", "portal2"]
    assert audit.records()[0].details == {"n": 0, "tên": "Nguyễn"}
    assert audit.append(AuditEvent(action="sign:pdf:signed", outcome="success",
                                   actor="after")).sequence == 4
    assert verify_segment(audit.iter_with_mac(0), Anchor(), None, None).ok
    audit.close()


def test_fresh_state_has_the_legacy_schema(tmp_path, legacy):
    fresh = tmp_path / "fresh"
    prepare_databases(_settings(fresh))
    for name in FILES.values():
        later = ADDED_LATER.get(name, set())
        assert {r for r in _schema(fresh / name) if r[1] not in later} == \
            _schema(legacy / name), name


def test_signsvc_serve_starts_on_a_legacy_state_folder_and_keeps_it(dev_pki, responders,
                                                                      tmp_path, legacy):
    """The service itself (gunicorn master migrates, 2 workers) on the folder of 275936b:
    it starts, signs, and the old audit records, client and document are still there."""
    import urllib.request

    from signsvc.adapters.audit_sql import SqlAuditStore
    from signsvc.adapters.clients_sql import SqlClientStore
    from tests.support.pdfs import make_pdf
    from tests.support.server import running_server
    from tests.support.validate import pyhanko_statuses

    env = {"SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}
    with running_server(tmp_path, env=env, workers=2, state=legacy) as server:
        token = server.new_client("portal-b", "portal", "dev-software")
        req = urllib.request.Request(
            f"{server.base}/v1/sign?key=dev-software&level=B-B", method="POST",
            data=make_pdf(1, text="after the migration"),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            signed, sequence = resp.read(), int(resp.headers["X-Audit-Sequence"])
        verified = server.cli("audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
    (_, status), = pyhanko_statuses(signed, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert status.intact and status.valid and status.trusted
    store = SqlAuditStore(legacy / "audit.sqlite3")
    try:
        records = store.records()
        assert [r.actor for r in records[:3]] == ["portal0", "portal1", "portal2"]
        assert sequence > 3 and records[sequence - 1].action == "signing:document:signed"
        assert [r.sequence for r in records] == list(range(1, len(records) + 1))
    finally:
        store.close()
    names = {c.name for c in SqlClientStore(legacy / "signsvc.sqlite3").list()}
    assert names == {"portal-a", "portal-b"}
