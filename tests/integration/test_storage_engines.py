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
    from signsvc.adapters.rate_counters_sqlite import SqliteRateCounters

    engine = url_engine(storage_url)
    stores = [SqliteRateCounters(engine) for _ in range(2)]   # two "processes"
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
    from signsvc.adapters.images_sqlite import SqliteImageStore
    from signsvc.signing.appearance.spec import StoredImage

    store = SqliteImageStore(url_engine(storage_url))
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

    from signsvc.adapters.reports_sqlite import SqliteReportStore

    store = SqliteReportStore(url_engine(storage_url), keep_seconds=60)
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
