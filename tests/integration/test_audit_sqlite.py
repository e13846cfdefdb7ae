"""The audit store (``SqlAuditStore``) on a real SQLite file: tampering, concurrency,
failures, filters.

The "attacker" edits the file with a separate sqlite3 connection, as anyone with
access to the file could; they first drop the append-only triggers, which only
guard against mistakes.
"""

import gc
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.audit.chain import seal
from signsvc.audit.events import RECORD_FIELDS, AuditEvent
from signsvc.audit.ports import AuditStore
from signsvc.errors import AuditUnavailable
from signsvc.services.audit_service import AuditService

REPO = Path(__file__).resolve().parents[2]
START = datetime(2025, 1, 31, 8, 0, tzinfo=UTC)


def digest(i, kind="in"):
    return ("a1" if kind == "in" else "b2") + f"{i:062x}"


def event(i, **changes):
    fields = dict(action="signing:document:signed" if i % 2 else "auth:token:accepted",
                  outcome="success" if i % 3 else "failure", actor="portal" if i % 2 else "clerk-1",
                  role="portal", request_id=f"req-{i}", key_id="agency-seal",
                  certificate_serial="1f2e", input_sha256=digest(i, "in"),
                  output_sha256=digest(i, "out"), level="B-LT", client_address="10.0.0.7",
                  details={"i": i, "visible": True})
    fields.update(changes)
    return AuditEvent(**fields)


class StepClock:
    """A clock that moves on one minute per reading."""

    def __init__(self):
        self.now = START

    def __call__(self):
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "var" / "audit" / "audit.db"


@pytest.fixture
def store(db_path):
    store = SqlAuditStore(db_path, clock=StepClock())
    yield store
    store.close()


def fill(store, n=20):
    return [store.append(event(i)) for i in range(1, n + 1)]


def attacker(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    return conn


def count(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    finally:
        conn.close()


def verify(store):
    return AuditService(store).verify()


# -- basics -------------------------------------------------------------------

def test_store_implements_the_port_and_starts_empty(store):
    from signsvc.audit.chain import GENESIS_HASH
    assert isinstance(store, AuditStore)
    assert store.head() == (0, GENESIS_HASH)
    assert verify(store).ok and verify(store).checked == 0
    store.check()


def test_schema_has_one_column_per_field_and_is_wal(store, db_path):
    conn = sqlite3.connect(db_path)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(audit_events)")]
    assert columns == [*RECORD_FIELDS, "mac"]  # mac: the keyed chain (schema 2)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_appended_records_are_committed_and_read_back_unchanged(store, db_path):
    written = fill(store, 20)
    assert [r.sequence for r in written] == list(range(1, 21))
    assert count(db_path) == 20  # visible to a fresh connection: committed when append returned
    assert store.records() == written
    assert list(store.iter_all()) == written
    assert store.head() == (20, written[-1].record_hash)
    result = verify(store)
    assert result.ok and result.checked == 20 and result.head_hash == written[-1].record_hash
    stored_details = sqlite3.connect(db_path).execute(
        "SELECT details FROM audit_events WHERE sequence = 3").fetchone()[0]
    assert stored_details == '{"i":3,"visible":true}'


def test_reopened_store_continues_the_chain(db_path):
    first = SqlAuditStore(db_path, clock=StepClock())
    fill(first, 3)
    first.close()
    second = SqlAuditStore(db_path)
    assert second.append(event(4)).sequence == 4
    assert verify(second).ok and verify(second).checked == 4
    second.close()


def test_triggers_refuse_update_and_delete(store, db_path):
    fill(store, 3)
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_events SET outcome = 'success' WHERE sequence = 3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_events WHERE sequence = 3")
    conn.close()


# -- tampering --------------------------------------------------------------------

@pytest.mark.parametrize("column,value", [
    ("outcome", "success"), ("outcome", "failure"), ("key_id", "stolen-key"), ("actor", "intruder"),
    ("action", "auth:token:accepted"), ("time", "2025-01-31T08:00:00.000000Z"), ("role", None),
    ("request_id", "req-x"), ("error_code", "none"), ("certificate_serial", "ff"),
    ("certificate_sha256", "cc" * 32), ("input_sha256", "dd" * 32), ("output_sha256", "ee" * 32),
    ("level", "B-B"), ("client_address", "10.6.6.6"), ("details", '{"i":7,"visible":false}'),
    ("details", "not json"), ("prev_hash", "00" * 32), ("record_hash", "00" * 32),
])
def test_updated_field_is_named(store, db_path, column, value):
    fill(store)
    conn = attacker(db_path)
    before = conn.execute(f"SELECT {column} FROM audit_events WHERE sequence = 7").fetchone()[0]
    if before == value:
        value = "x" if value is None else value + "0"
    conn.execute(f"UPDATE audit_events SET {column} = ? WHERE sequence = 7", (value,))
    result = verify(store)
    assert not result.ok
    assert result.first_bad_sequence == 7 and result.checked == 6


def test_deleted_row_is_named(store, db_path):
    fill(store)
    attacker(db_path).execute("DELETE FROM audit_events WHERE sequence = 5")
    result = verify(store)
    assert (result.first_bad_sequence, result.reason) == (5, "sequence gap: expected 5, found 6")


def test_swapped_contents_are_named_at_the_first(store, db_path):
    fill(store)
    conn = attacker(db_path)
    others = [c for c in RECORD_FIELDS if c != "sequence"]
    row3 = conn.execute(f"SELECT {', '.join(others)} FROM audit_events WHERE sequence = 3").fetchone()
    row4 = conn.execute(f"SELECT {', '.join(others)} FROM audit_events WHERE sequence = 4").fetchone()
    assignments = ", ".join(f"{c} = ?" for c in others)
    conn.execute(f"UPDATE audit_events SET {assignments} WHERE sequence = 3", row4)
    conn.execute(f"UPDATE audit_events SET {assignments} WHERE sequence = 4", row3)
    assert verify(store).first_bad_sequence == 3


def _renumber_from(conn, sequence):
    """Make room at ``sequence`` by moving every later row up by one."""
    conn.execute("UPDATE audit_events SET sequence = -sequence - 1 WHERE sequence >= ?", (sequence,))
    conn.execute("UPDATE audit_events SET sequence = -sequence WHERE sequence < 0")


def test_forged_row_inserted_by_renumbering_is_found(store, db_path):
    records = fill(store)
    conn = attacker(db_path)
    _renumber_from(conn, 10)
    # A careful forger links the row to record 9 and gives it a correct hash of its own;
    # the chain then breaks at the genuine record that follows it, now numbered 11.
    forged = seal(event(99, actor="intruder"), 10, records[9].time, records[8].record_hash)
    values = forged.as_dict()
    values["details"] = json.dumps(values["details"], sort_keys=True, separators=(",", ":"))
    conn.execute(f"INSERT INTO audit_events ({', '.join(RECORD_FIELDS)}) VALUES "
                 f"({', '.join('?' * len(RECORD_FIELDS))})", [values[c] for c in RECORD_FIELDS])
    result = verify(store)
    assert (result.first_bad_sequence, result.reason) == (11, "prev_hash mismatch")
    assert result.checked == 10


def test_naively_forged_row_is_named_itself(store, db_path):
    fill(store)
    conn = attacker(db_path)
    _renumber_from(conn, 10)
    conn.execute(f"INSERT INTO audit_events ({', '.join(RECORD_FIELDS)}) "
                 "SELECT 10, time, action, 'success', 'intruder', role, request_id, error_code, "
                 "key_id, certificate_serial, certificate_sha256, input_sha256, output_sha256, level, "
                 "client_address, details, prev_hash, record_hash FROM audit_events WHERE sequence = 11")
    assert verify(store).first_bad_sequence == 10


def test_deleting_only_the_last_row(store, db_path):
    # A bare hash chain cannot show that its newest records were dropped: what is left
    # is still a valid chain. Signed checkpoints of the head (a later issue) catch it by
    # comparing head_sequence/head_hash. Nothing is asserted here about detection.
    fill(store)
    attacker(db_path).execute("DELETE FROM audit_events WHERE sequence = 20")
    assert verify(store).head_sequence == 19


# -- concurrency --------------------------------------------------------------------

def _assert_gapless_chain(store, n):
    records = list(store.iter_all())
    assert [r.sequence for r in records] == list(range(1, n + 1))
    result = verify(store)
    assert result.ok and result.checked == n


def test_threads_never_fork_the_chain(store):
    returned, errors = [], []
    barrier = threading.Barrier(8)

    def work(t):
        try:
            barrier.wait()
            for i in range(25):
                returned.append(store.append(event(t * 100 + i, actor=f"thread-{t}")).sequence)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(returned) == list(range(1, 201))
    _assert_gapless_chain(store, 200)


def test_two_store_instances_on_one_file_interleave(db_path):
    one, two = SqlAuditStore(db_path), SqlAuditStore(db_path)
    barrier = threading.Barrier(2)

    def work(s, tag):
        barrier.wait()
        for i in range(50):
            s.append(event(i, actor=tag))

    threads = [threading.Thread(target=work, args=(s, tag)) for s, tag in ((one, "one"), (two, "two"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _assert_gapless_chain(one, 100)
    assert {r.actor for r in one.records(limit=None)} == {"one", "two"}
    one.close()
    two.close()


_CHILD = """
import sys
from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.audit.events import AuditEvent
store = SqlAuditStore(sys.argv[1])
sys.stdin.read()  # start together
for i in range(25):
    store.append(AuditEvent(action="signing:document:signed", outcome="success", actor=sys.argv[2]))
"""


def test_separate_processes_never_fork_the_chain(store, db_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, str(db_path), f"proc-{n}"],
                                 stdin=subprocess.PIPE, env=env) for n in range(4)]
    for child in children:
        child.stdin.close()
    assert [child.wait(timeout=60) for child in children] == [0, 0, 0, 0]
    _assert_gapless_chain(store, 100)


# -- failures -----------------------------------------------------------------------

def test_renamed_directory_refuses_appends_and_nothing_is_half_written(store, db_path):
    fill(store, 5)
    directory = db_path.parent
    moved = directory.with_name("moved")
    directory.rename(moved)
    try:
        with pytest.raises(AuditUnavailable):
            store.append(event(6))
        with pytest.raises(AuditUnavailable):
            store.check()
    finally:
        moved.rename(directory)
    assert count(db_path) == 5
    assert verify(store).ok
    assert store.append(event(6)).sequence == 6


def test_removed_directory_refuses_appends_and_leaves_no_new_file(store, db_path):
    fill(store, 5)
    shutil.rmtree(db_path.parent)
    with pytest.raises(AuditUnavailable):
        store.append(event(6))
    with pytest.raises(AuditUnavailable):
        store.check()
    assert not db_path.parent.exists()


def test_removed_file_refuses_appends_and_is_not_recreated(store, db_path):
    fill(store, 5)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    with pytest.raises(AuditUnavailable):
        store.append(event(6))
    with pytest.raises(AuditUnavailable):
        store.check()
    assert not db_path.exists()


def test_replaced_file_refuses_appends(store, db_path):
    fill(store, 5)
    copy = db_path.with_name("copy.db")
    shutil.copy(db_path, copy)
    os.replace(copy, db_path)
    with pytest.raises(AuditUnavailable):
        store.append(event(6))


def test_locked_store_times_out_and_nothing_is_half_written(db_path):
    store = SqlAuditStore(db_path, busy_timeout_ms=100)
    fill(store, 5)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(AuditUnavailable) as caught:
            store.append(event(6))
        with pytest.raises(AuditUnavailable):
            store.check()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert str(db_path) not in caught.value.detail and str(db_path) not in str(caught.value)
    assert count(db_path) == 5
    assert store.append(event(6)).sequence == 6
    assert verify(store).ok
    store.close()


_READ_ONLY_CHILD = """
import json, os, sys
from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.audit.events import AuditEvent
from signsvc.errors import AuditUnavailable
if os.geteuid() == 0:  # permissions do not stop root: become nobody once imports are done
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
outcome = {}
try:
    store = SqlAuditStore(sys.argv[1])
except AuditUnavailable:
    outcome["open"] = "unavailable"
else:
    outcome["open"] = "ok"
    for name, call in (("append", lambda: store.append(AuditEvent("auth:token:accepted", "success"))),
                       ("check", store.check), ("count", lambda: len(store.records()))):
        try:
            outcome[name] = call()
        except AuditUnavailable:
            outcome[name] = "unavailable"
print(json.dumps({k: v if isinstance(v, (int, str)) else "written" for k, v in outcome.items()}))
"""


def test_read_only_file_refuses_appends_and_nothing_is_half_written():
    # The check runs in a child process that drops to an unprivileged user when the
    # tests run as root, because file permissions do not stop root.
    base = Path(tempfile.mkdtemp(prefix="signsvc-audit-ro-"))
    try:
        base.chmod(0o755)
        (base / "audit").mkdir(mode=0o777)
        (base / "audit").chmod(0o777)
        db_path = base / "audit" / "audit.db"
        store = SqlAuditStore(db_path)
        fill(store, 5)
        store.close()
        db_path.chmod(0o444)
        child = subprocess.run([sys.executable, "-c", _READ_ONLY_CHILD, str(db_path)],
                               env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                               text=True, timeout=60)
        assert child.returncode == 0, child.stderr
        assert json.loads(child.stdout) == {"open": "ok", "append": "unavailable",
                                            "check": "unavailable", "count": 5}
        db_path.chmod(0o644)
        assert count(db_path) == 5
        reopened = SqlAuditStore(db_path)
        assert verify(reopened).ok and verify(reopened).checked == 5
        assert reopened.append(event(6)).sequence == 6
        reopened.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_unusable_location_is_unavailable_without_naming_it(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(AuditUnavailable) as caught:
        SqlAuditStore(blocker / "audit.db")
    assert str(blocker) not in caught.value.detail and str(blocker) not in str(caught.value)
    assert caught.value.code == "audit-unavailable" and caught.value.status == 503


def test_not_a_database_is_unavailable(tmp_path):
    path = tmp_path / "audit.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AuditUnavailable):
        SqlAuditStore(path)


def test_closed_store_is_unavailable(db_path):
    store = SqlAuditStore(db_path)
    store.close()
    for call in (lambda: store.append(event(1)), store.head, store.records, store.check,
                 lambda: list(store.iter_all())):
        with pytest.raises(AuditUnavailable):
            call()


# -- filters ------------------------------------------------------------------------

def test_filters(store):
    records = fill(store, 10)   # record i has time START + i minutes
    times = [r.time for r in records]
    seqs = lambda rs: [r.sequence for r in rs]  # noqa: E731
    assert seqs(store.records(after_sequence=3, limit=2)) == [4, 5]
    assert seqs(store.records(since=times[3], until=times[6])) == [4, 5, 6]
    assert seqs(store.records(actor="clerk-1")) == [2, 4, 6, 8, 10]
    assert seqs(store.records(action="signing:document:signed", actor="portal")) == [1, 3, 5, 7, 9]
    assert seqs(store.records(action="signing:document:signed", actor="clerk-1")) == []
    assert seqs(store.records(document_sha256=digest(4, "in").upper())) == [4]
    assert seqs(store.records(document_sha256=digest(4, "out"))) == [4]
    assert seqs(store.records(after_sequence=9)) == [10]
    assert store.records(limit=0) == []

    service = AuditService(store)
    assert seqs(service.list(since="2025-01-31T15:03:00+07:00", until="2025-01-31T08:05:00Z")) == [3, 4]
    assert seqs(service.list(since="2025-02-01")) == []
    assert seqs(service.list(after_sequence=2, limit=3, actor="portal")) == [3, 5, 7]


def test_document_filter_finds_input_and_output(store):
    shared = "9f" * 32
    store.append(event(1, input_sha256=shared))
    store.append(event(2))
    store.append(event(3, output_sha256=shared))
    assert [r.sequence for r in store.records(document_sha256=shared)] == [1, 3]


def test_connections_of_finished_threads_are_released(store):
    def work():
        store.append(event(1))

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
        thread.join()
    gc.collect()
    # connections come from the store's pool: finished threads leave no open file behind
    open_files = [fd for fd in os.listdir("/proc/self/fd")
                  if os.path.realpath(f"/proc/self/fd/{fd}") == os.path.realpath(store._path)]
    assert len(open_files) <= 1
    assert verify(store).checked == 20


def test_forked_child_uses_its_own_connection(store, db_path):
    store.append(event(1))  # this thread now holds a connection
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 1
        try:
            code = 0 if store.append(event(2)).sequence == 2 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.append(event(3)).sequence == 3
    _assert_gapless_chain(store, 3)
