"""The audit log filtered by action and a date range (the auditor's page, the export) on both
engines: the records are exactly those of the action inside the range, newest or oldest
first, paged; the (action, time) index of revision audit_0002 is in the database, and on
SQLite the two statements of such a view use an index each, never a scan nor a sort."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, inspect

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db.engine import url_engine
from signsvc.audit.events import AuditEvent

START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
ACTIONS = ("signing:document:signed", "validation:document:verified", "auth:login:failed")


def _store(url: str) -> SqlAuditStore:
    clock = iter(START + timedelta(minutes=20 * n) for n in range(10_000))
    store = SqlAuditStore(url_engine(url), clock=lambda: next(clock))
    for n in range(300):   # 300 records over a little more than 4 days
        store.append(AuditEvent(action=ACTIONS[n % 3], outcome="success", actor=f"a-{n % 4}"))
    return store


def test_action_and_date_range(storage_url):
    store = _store(storage_url)
    try:
        names = {i["name"] for i in inspect(url_engine(storage_url)).get_indexes("audit_events")}
        assert "audit_events_action_time" in names
        every = store.records()
        assert len(every) == 300
        action = ACTIONS[1]
        for since, until in (("2026-12-01", "2026-12-02"), ("2026-12-01T05:00", None),
                             (None, "2026-11-30T10:00"), ("2026-12-09", "2026-12-10")):
            expected = [r.sequence for r in every if r.action == action
                        and (since is None or r.time >= since)
                        and (until is None or r.time < until)]
            assert [r.sequence for r in store.records(action=action, since=since,
                                                      until=until)] == expected
            newest = store.records(action=action, since=since, until=until,
                                   newest_first=True, limit=10)
            assert [r.sequence for r in newest] == expected[::-1][:10]
            if len(newest) == 10:   # the next page, before the last one shown
                older = store.records(action=action, since=since, until=until,
                                      newest_first=True, limit=10,
                                      before_sequence=newest[-1].sequence)
                assert [r.sequence for r in older] == expected[::-1][10:20]
            after = store.records(expected[2] if len(expected) > 2 else 0, action=action,
                                  since=since, until=until, limit=5)
            assert [r.sequence for r in after] == \
                (expected[3:8] if len(expected) > 2 else expected[:5])
        assert store.records(action=action, since="2026-12-09") == []
    finally:
        store.close()


def test_sqlite_plans_use_the_indexes(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    store = _store(url)
    engine = url_engine(url)
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "audit_events" in statement:
            seen.append((statement, parameters))
    event.listen(engine, "before_cursor_execute", capture)
    try:
        page = store.records(action=ACTIONS[0], since="2026-12-01", until="2026-12-02",
                             newest_first=True, limit=100)
        assert page and all(r.action == ACTIONS[0] for r in page)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(seen) == 2, seen
    plans = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append(" ".join(str(row[3]) for row in rows))
    bounds, records = plans
    assert "INDEX audit_events_action_time" in bounds and "SCAN" not in bounds, bounds
    assert "INDEX audit_events_action " in records + " " and "TEMP B-TREE" not in records, records
    assert "SCAN" not in records, records
    store.close()
