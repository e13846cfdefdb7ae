"""The stores on both engines (SQLite file, PostgreSQL): same behaviour through the same
port, schema made by the Alembic migrations."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from signsvc.adapters.db.engine import url_engine
from signsvc.adapters.db.migrate import current_heads, head_of, migrate
from signsvc.adapters.db.tables import GROUPS, metadata, tables_of

T0 = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)


def test_migrations_create_every_table_once(storage_url):
    engine = url_engine(storage_url)
    migrate(engine)
    assert current_heads(engine) == {head_of(g) for g in GROUPS}
    names = set(inspect(engine).get_table_names())
    for group in GROUPS:
        for table in tables_of(group):
            if table.name == "audit_chain_head" and engine.dialect.name == "sqlite":
                continue   # SQLite appenders take turns with BEGIN IMMEDIATE
            assert table.name in names
            columns = {c["name"] for c in inspect(engine).get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
    migrate(engine)   # again: nothing to do
    assert current_heads(engine) == {head_of(g) for g in GROUPS}
    assert len(metadata.tables) >= 17


def test_rate_counters_are_exact_under_concurrency(storage_url):
    from signsvc.adapters.rate_counters_sql import SqlRateCounters

    engine = url_engine(storage_url)
    stores = [SqlRateCounters(engine) for _ in range(2)]   # two "processes"
    admitted = []

    def request(i: int) -> None:
        r = stores[i % 2].admit(("client:portal",), T0, lambda c: c["client:portal"][0] < 5)
        if r is not None:
            admitted.append(r)
    threads = [threading.Thread(target=request, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 5
    assert stores[0].counts(("client:portal",), T0) == {"client:portal": (5, 5)}
    stores[1].release(admitted[0])
    assert stores[0].counts(("client:portal",), T0 + timedelta(seconds=59)) == \
        {"client:portal": (4, 4)}
    assert stores[0].counts(("client:portal",), T0 + timedelta(seconds=60)) == \
        {"client:portal": (0, 4)}


def test_images_never_replaced(storage_url):
    from signsvc.adapters.images_sql import SqlImageStore
    from signsvc.signing.appearance.spec import StoredImage

    store = SqlImageStore(url_engine(storage_url))
    seal = StoredImage("seal-1", "seal", "k1", "ab" * 32, b"\x89PNG\x00\x01", 10, 12, 40.0,
                       "admin", "2026-12-03T10:00:00+00:00")
    assert store.add(seal)
    other = StoredImage("seal-1", "signature", "k2", "cd" * 32, b"\x89PNG", 5, 5, None,
                        "admin", "2026-12-03T11:00:00+00:00")
    assert not store.add(other)
    assert store.get("seal-1") == seal and store.get("nope") is None
    assert store.list() == [seal]


def test_reports_by_owner_until_they_expire(storage_url, monkeypatch):
    import time

    from signsvc.adapters.reports_sql import SqlReportStore

    store = SqlReportStore(url_engine(storage_url), keep_seconds=60)
    store.put("r1", "auditor-a", '{"ok": true}')
    assert store.get("r1", "auditor-a") == '{"ok": true}'
    assert store.get("r1", "auditor-b") is None
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert store.get("r1", "auditor-a") is None
    store.put("r2", "auditor-a", "{}")   # purges r1
    monkeypatch.undo()
    engine = url_engine(storage_url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM kept_reports")]
    assert ids == ["r2"]


@pytest.mark.parametrize("n", [1])
def test_pg_fixture_is_postgresql(pg_url, n):
    assert url_engine(pg_url).dialect.name == "postgresql"


def test_clients_and_passwords(storage_url):
    from signsvc.adapters.clients_sql import SqlClientStore
    from signsvc.errors import BadRequest

    store = SqlClientStore(url_engine(storage_url))
    created = store.create("portal-a", "portal", ("seal", "k2"), "ab" * 32)
    with pytest.raises(BadRequest):
        store.create("portal-a", "portal", (), "cd" * 32)
    assert store.by_token_hash("ab" * 32) == created and created.keys == ("seal", "k2")
    store.set_password_hash("portal-a", "scrypt$1")
    store.set_password_hash("portal-a", "scrypt$2")
    assert store.password_hash("portal-a") == "scrypt$2"
    assert store.set_role("portal-a", "clerk") and store.by_name("portal-a").role == "clerk"
    assert store.disable("portal-a") and not store.disable("portal-a")
    assert store.by_token_hash("ab" * 32) is None and store.list() == []
    store.check()


def test_logins_sessions_throttle_and_totp(storage_url, tmp_path):
    from signsvc.adapters.logins_sql import SqlLoginStore
    from signsvc.clients.login import PageSession

    store = SqlLoginStore(url_engine(storage_url), tmp_path / "totp-key")
    s = PageSession("ref1", "clerk-a", "127.0.0.1", 1.0, 2.0, 100.0, None, "password", None)
    store.create_session(s)
    assert store.session("ref1") == s
    store.touch("ref1", 5.0)
    assert store.session("ref1").last_seen == 5.0
    assert store.revoke_client("clerk-a", 6.0) == 1 and store.session("ref1").revoked_at == 6.0
    store.set_totp("clerk-a", "JBSWY3DPEHPK3PXP")
    assert store.totp("clerk-a") == ("JBSWY3DPEHPK3PXP", 0)
    assert store.use_totp_step("clerk-a", 7) and not store.use_totp_step("clerk-a", 7)
    assert store.totp("clerk-a") == ("JBSWY3DPEHPK3PXP", 7)
    store.set_totp("clerk-a", None)
    assert store.totp("clerk-a") is None
    assert store.purge(6.0 + 86400 + 1) == 1 and store.session("ref1") is None


def test_login_throttle_counts_concurrent_failures_exactly(storage_url, tmp_path):
    from signsvc.adapters.logins_sql import SqlLoginStore
    from signsvc.clients.login import Counter, ThrottleRule

    stores = [SqlLoginStore(url_engine(storage_url), tmp_path / "totp-key") for _ in range(2)]
    counters = (Counter("pair:clerk-a|10.0.0.1", ThrottleRule(5, 60.0, 900.0)),)
    waits: list[float] = []

    def guess(i: int) -> None:
        waits.append(stores[i % 2].attempt(counters, 1000.0))
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 5 attempts run (the 5th failure starts a 60 s back-off); every later one waits
    assert sorted(waits).count(0.0) == 5 and all(w == 60.0 for w in waits if w)
    stores[0].succeeded(counters, 1001.0)
    assert stores[1].attempt(counters, 1001.0) == 0.0


def test_workflow_documents_sessions_and_tickets(storage_url):
    from signsvc.adapters.workflow_sql import SqlWorkflowStore
    from signsvc.sessions.model import StoredDocument, StoredSession

    store = SqlWorkflowStore(url_engine(storage_url))
    doc = StoredDocument("d1", "Tờ trình", "01/TTr", "official-a", "clerk-a", 1, "ab" * 32, 2,
                         "awaiting", "2026-12-03T00:00:00+00:00", "2026-12-03T00:00:00+00:00")
    store.add_document(doc, b"%PDF-1")
    assert store.document("d1") == doc and store.document_content("d1") == b"%PDF-1"
    assert store.documents_for("official-a", "awaiting") == [doc]
    assert store.advance_document("d1", 1, b"%PDF-2", "cd" * 32, "signed")
    assert not store.advance_document("d1", 1, b"%PDF-3", "ef" * 32, "signed")   # stale
    assert store.document("d1").revision == 2 and store.document_content("d1") == b"%PDF-2"

    session = StoredSession("s1", "official-a", "d1", 2, "cd" * 32, b"\x30\x82cert", "B-T",
                            "Sig1", b"%PDF-prepared", "12" * 32, b"\x01" * 32, 100, 200,
                            b"\x31attrs", b"\x30mech", "prepared", "2026-12-03T00:00:00+00:00",
                            "2026-12-03T00:05:00+00:00", None)
    store.add_session(session)
    assert store.session("s1") == session
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        store.claim_session("s1", "2026-12-03T00:01:00+00:00"))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]   # used once
    store.finish_session("s1", "signed", "34" * 32)
    finished = store.session("s1")
    assert finished.state == "signed" and finished.prepared_pdf == b"" and \
        finished.result_sha256 == "34" * 32

    store.add_ticket("t" * 64, "official-a", "d1", 2, "cd" * 32, "2026-12-03T00:05:00+00:00")
    assert store.use_ticket("t" * 64, "downloaded", "2026-12-03T00:01:00+00:00")
    assert not store.use_ticket("t" * 64, "downloaded", "2026-12-03T00:01:00+00:00")
    assert not store.use_ticket("t" * 64, "uploaded", "2026-12-03T00:06:00+00:00")  # expired
    assert store.ticket("t" * 64)["downloaded"] == 1

    store.register_certificate("official-a", "56" * 32, "CN=Nguyễn Văn A")
    store.register_certificate("official-a", "56" * 32, "CN=Nguyễn Văn A (2)")
    assert store.is_registered("official-a", "56" * 32)
    assert store.certificates_of("official-a") == [("56" * 32, "CN=Nguyễn Văn A (2)")]


def test_revocation_cache_serves_until_next_update(storage_url):
    from signsvc.adapters.revocation_cache_sql import SqlRevocationCache

    engine = url_engine(storage_url)
    t0 = datetime.now(UTC).replace(microsecond=0)   # put() purges what ended
    writer, reader = SqlRevocationCache(engine), SqlRevocationCache(engine)
    assert writer.put("crl", "http://x/crl", "http://x/crl", b"\x30\x03der", t0,
                      t0 + timedelta(hours=1))
    assert not writer.put("ocsp", "k", "http://x/ocsp", b"\x30", t0, None)   # no nextUpdate
    assert reader.get("crl", "http://x/crl", t0 + timedelta(minutes=59)) == b"\x30\x03der"
    assert reader.get("crl", "http://x/crl", t0 + timedelta(hours=1)) is None
    assert reader.get("crl", "http://x/crl", t0 - timedelta(seconds=1)) is None
    assert (reader.hits, reader.misses) == (1, 2)
    writer.put("crl", "http://x/crl", "http://x/crl", b"\x30\x03new", t0,
               t0 + timedelta(days=3650))   # replaces the row
    assert reader.get("crl", "http://x/crl", t0) == b"\x30\x03new" and reader.count() == 1


def test_checkpoints_append_only_unique_and_one_checkpointer(storage_url):
    from signsvc.adapters.checkpoint_sql import SqlCheckpointStore
    from signsvc.audit.checkpoints import Checkpoint, SignedCheckpoint

    engine = url_engine(storage_url)
    one, two = SqlCheckpointStore(engine), SqlCheckpointStore(engine)

    def signed(index: int, head: int) -> SignedCheckpoint:
        return SignedCheckpoint(Checkpoint(index, head, "ab" * 32, "2026-12-03T10:00:00Z",
                                           "00" * 32), b"\x30sig", b"\x30tst", "cd" * 32)
    assert one.add(signed(1, 10)) and one.add(signed(2, 20))
    assert not two.add(signed(2, 30)) and not two.add(signed(3, 20))   # index, head taken
    assert two.last() == signed(2, 20)
    assert [c.checkpoint.index for c in two.list(0)] == [1, 2]
    assert [c.checkpoint.index for c in two.list(0, min_head_sequence=11)] == [2]
    with one.exclusive() as mine:
        assert mine
        with two.exclusive(wait_seconds=0.2) as theirs:
            assert not theirs
    with two.exclusive() as theirs:
        assert theirs
    with engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.exec_driver_sql("DELETE FROM audit_checkpoints")


def test_audit_log_chains_filters_and_refuses_edits(storage_url):
    from signsvc.adapters.audit_sql import SqlAuditStore
    from signsvc.audit.events import AuditEvent
    from signsvc.audit.keyed import Anchor, verify_segment

    engine = url_engine(storage_url)
    key = b"k" * 32
    store = SqlAuditStore(engine, mac_key=key)
    for i in range(5):
        store.append(AuditEvent(action="sign:pdf:signed", outcome="success", actor=f"a{i % 2}",
                                input_sha256=f"{i:064x}", details={"i": i, "tên": "Đặng"}))
    assert store.head()[0] == 5
    assert [r.sequence for r in store.records(actor="a1")] == [2, 4]
    assert [r.sequence for r in store.records(newest_first=True, limit=2)] == [5, 4]
    assert [r.sequence for r in store.records(document_sha256=f"{3:064x}")] == [4]
    assert store.count(action="sign:pdf:signed", since="2000-01-01T00:00:00Z") == 5
    assert store.records()[0].details == {"i": 0, "tên": "Đặng"}
    result = verify_segment(store.iter_with_mac(0), Anchor(), key, store.guard.mac_from)
    assert result.ok and result.checked == 5
    assert store.integrity()["ok"]
    store.check()
    with engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.exec_driver_sql("UPDATE audit_events SET actor = 'x' WHERE sequence = 1")
    other = SqlAuditStore(engine, mac_key=key)   # another process, same log
    assert other.append(AuditEvent(action="x:y:z", outcome="success")).sequence == 6
    assert store.append(AuditEvent(action="x:y:z", outcome="success")).sequence == 7


def test_database_url_setting(tmp_path):
    from signsvc.adapters.db.databases import database_for
    from signsvc.adapters.db.engine import normalise_url
    from signsvc.errors import ConfigError
    from signsvc.settings.loader import build_settings

    def settings(url: str):
        return build_settings({"service": {"state_dir": str(tmp_path / "state")},
                               "database": {"url": url}}, tmp_path, None, {})
    with pytest.raises(ConfigError, match=r"database\.url"):
        settings("mysql://root@localhost/signsvc")
    assert settings("postgresql://signsvc@127.0.0.1:54329/x").database.url.startswith("postgresql")
    assert normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    # default: one SQLite file per group, the audit log where [audit] path says
    default = settings("")
    assert database_for(default, "audit").dialect.name == "sqlite"
    assert (tmp_path / "state" / "audit.sqlite3").exists()
    shared = settings(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    assert database_for(shared, "audit") is database_for(shared, "workflow")
