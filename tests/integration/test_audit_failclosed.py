"""The running service fails closed when its audit log is tampered with under it, resumes
only after an operator's acknowledgement (audited), and an unkeyed (schema 1) log migrates
to the keyed chain and keeps verifying."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from signsvc.audit.chain import seal
from signsvc.audit.events import RECORD_FIELDS, AuditEvent
from tests.conftest import build_api
from tests.support.pdfs import make_pdf

PDF = {"Content-Type": "application/pdf"}


def sign(api):
    return api.client.post("/v1/sign?key=dev-software&level=B-B&eservice=copy", data=make_pdf(),
                           headers=api.headers("portal", **PDF))


def attacker(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


def append_forged(path: Path) -> int:
    """Append a record with a correct unkeyed hash after the head (no MAC: no key)."""
    db = attacker(path)
    cols = ", ".join(RECORD_FIELDS)
    row = dict(zip(RECORD_FIELDS, db.execute(
        f"SELECT {cols} FROM audit_events ORDER BY sequence DESC LIMIT 1").fetchone()))
    fields = {k: v for k, v in row.items()
              if k not in ("sequence", "time", "prev_hash", "record_hash")}
    fields.update(details=json.loads(row["details"]), actor="ghost")
    rec = seal(AuditEvent(**fields), row["sequence"] + 1, row["time"], row["record_hash"])
    values = [getattr(rec, n) for n in RECORD_FIELDS]
    values[RECORD_FIELDS.index("details")] = json.dumps(dict(rec.details))
    db.execute(f"INSERT INTO audit_events ({cols}) VALUES ({','.join('?' * len(values))})", values)
    db.commit()
    db.close()
    return rec.sequence


def refused(api, problem: str) -> None:
    resp = sign(api)
    assert resp.status_code == 503 and resp.get_json()["code"] == "audit-unavailable"
    assert resp.get_json()["audit_problem"] == problem
    ready = api.client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["audit"] == "audit-unavailable"
    assert ready.get_json()["audit_chain"]["broken"]["problem"] == problem


def test_forged_tail_while_running_fails_closed_until_acknowledged(tmp_path, dev_pki, responders,
                                                                   monkeypatch, capsys):
    from signsvc.cli import main

    api = build_api(tmp_path)
    try:
        assert sign(api).status_code == 200
        assert api.client.get("/readyz").get_json()["audit_chain"]["ok"] is True
        forged = append_forged(tmp_path / "audit.sqlite3")
        refused(api, "forged")
        assert api.services.audit.list(actor="ghost")  # the auditor can still read the log

        monkeypatch.setenv("SIGNSVC_SERVICE__STATE_DIR", str(tmp_path))
        monkeypatch.setenv("SIGNSVC_AUDIT__PATH", str(tmp_path / "audit.sqlite3"))
        capsys.readouterr()
        assert main(["audit", "verify"]) == 1
        assert f"NOT VALID from record #{forged}" in capsys.readouterr().out
        assert main(["audit", "acknowledge", "--reason", f"bản ghi giả #{forged} đã lưu hồ sơ"]) == 0
        out = capsys.readouterr().out
        assert "acknowledged at record" in out

        resp = sign(api)  # every worker resumes from the acknowledgement record
        assert resp.status_code == 200
        assert api.client.get("/readyz").status_code == 200
        (ack,) = api.services.audit.list(action="audit:integrity:acknowledged")
        assert ack.sequence == forged + 1 and ack.actor.startswith("cli:")
        assert ack.details["problems"] == "forged" and ack.details["first_bad_sequence"] == forged
        # the forged record stays in the history: a full verification still names it
        body = api.client.get("/v1/audit/verify", headers=api.headers("auditor")).get_json()
        assert body["ok"] is False and body["first_bad_sequence"] == forged
        assert body["acknowledged_sequence"] == ack.sequence
        assert sign(api).status_code == 200  # ... without closing the service again
    finally:
        api.services.shutdown()
    # a restart starts from the acknowledgement: ready, signing
    again = build_api(tmp_path, with_clients=False)
    again.tokens = api.tokens
    try:
        assert again.client.get("/readyz").status_code == 200
        assert sign(again).status_code == 200
    finally:
        again.services.shutdown()


def test_tail_cut_while_running_is_detected_at_the_next_append(tmp_path, dev_pki, responders):
    api = build_api(tmp_path)
    try:
        for _ in range(3):
            assert sign(api).status_code == 200
        db = attacker(tmp_path / "audit.sqlite3")
        (head,) = db.execute("SELECT max(sequence) FROM audit_events").fetchone()
        db.execute("DELETE FROM audit_events WHERE sequence > ?", (head - 2,))
        db.commit()
        db.close()
        refused(api, "deleted")
    finally:
        api.services.shutdown()


def test_store_opened_without_the_key_cannot_extend_a_keyed_log(tmp_path, dev_pki):
    from signsvc.adapters.audit_sql import SqlAuditStore
    from signsvc.errors import AuditUnavailable

    key = (dev_pki.secrets / "audit-hmac.key").read_bytes().strip()
    keyed = SqlAuditStore(tmp_path / "a.db", mac_key=key)
    keyed.append(AuditEvent(action="x:y:z", outcome="success"))
    keyed.close()
    plain = SqlAuditStore(tmp_path / "a.db")
    try:
        plain.append(AuditEvent(action="x:y:z", outcome="success"))
        raise AssertionError("appended without the key")
    except AuditUnavailable as exc:
        assert "hmac_key_file" in exc.message.en
    assert len(plain.records()) == 1  # reading needs no key
    plain.close()


def test_unkeyed_schema_1_log_migrates_and_keeps_verifying(tmp_path, dev_pki):
    from signsvc.adapters.audit_sql import SqlAuditStore
    from signsvc.adapters.checkpoint_sql import SqlCheckpointStore
    from signsvc.services.audit_service import AuditService
    from signsvc.services.checkpoint_service import CheckpointService

    path = tmp_path / "audit.sqlite3"
    old = SqlAuditStore(path)
    for i in range(5):
        old.append(AuditEvent(action="sign:pdf:signed", outcome="success", actor=f"a{i}"))
    old.close()
    db = sqlite3.connect(path)  # back to what version 1 wrote
    db.execute("ALTER TABLE audit_events DROP COLUMN mac")
    db.execute("DROP TABLE audit_meta")
    db.execute("PRAGMA user_version = 1")
    db.execute("DROP TABLE alembic_version")   # version 1 predates the migrations
    db.commit()
    db.close()

    key = (dev_pki.secrets / "audit-hmac.key").read_bytes().strip()
    store = SqlAuditStore(path, mac_key=key)
    for i in range(3):
        store.append(AuditEvent(action="sign:pdf:signed", outcome="success", actor=f"b{i}"))

    def verify():
        svc = CheckpointService(store, SqlCheckpointStore(path), AuditService(store), None, None)
        return svc.verify()

    result = verify()
    assert result.ok and result.checked == 8
    assert result.keyed and result.keyed_from_sequence == 6
    store.close()

    # an edit before the switch is still caught by the hash chain the first MAC covers ...
    db = attacker(path)
    db.execute("UPDATE audit_events SET actor='ghost' WHERE sequence=2")
    db.commit()
    db.close()
    store = SqlAuditStore(path, mac_key=key)
    assert [f.problem for f in verify().findings] == ["altered"]
    store.close()
    # ... and re-chaining the unkeyed part is caught by the first keyed record's MAC
    db = attacker(path)
    cols = ", ".join(RECORD_FIELDS)
    rows = [dict(zip(RECORD_FIELDS, r)) for r in db.execute(
        f"SELECT {cols} FROM audit_events ORDER BY sequence")]
    prev = "0" * 64
    for r in rows:
        fields = {k: v for k, v in r.items()
                  if k not in ("sequence", "time", "prev_hash", "record_hash")}
        fields["details"] = json.loads(r["details"])
        rec = seal(AuditEvent(**fields), r["sequence"], r["time"], prev)
        db.execute("UPDATE audit_events SET prev_hash=?, record_hash=? WHERE sequence=?",
                   (rec.prev_hash, rec.record_hash, r["sequence"]))
        prev = rec.record_hash
    db.commit()
    db.close()
    store = SqlAuditStore(path, mac_key=key)
    result = verify()
    assert [(f.problem, f.sequence) for f in result.findings] == [("forged", 6)]
    store.close()


def test_a_long_log_starts_from_the_verified_marker_and_checks_the_rest_in_the_background(
        tmp_path, dev_pki, monkeypatch):
    """With the key, a start on a long log resumes from the MAC'd marker of the last full
    verification and verifies the records before it in a thread: an edit there still
    closes the service; a forged marker is ignored (everything verified first)."""
    import time

    from signsvc.adapters import audit_sql_guard as guard_module
    from signsvc.adapters.audit_sql import SqlAuditStore

    monkeypatch.setattr(guard_module, "SYNC_FULL_LIMIT", 5)
    monkeypatch.setattr(guard_module, "MARKER_EVERY", 10)
    key = (dev_pki.secrets / "audit-hmac.key").read_bytes().strip()
    path = tmp_path / "audit.sqlite3"
    store = SqlAuditStore(path, mac_key=key)
    for i in range(30):
        store.append(AuditEvent(action="sign:pdf:signed", outcome="success", actor=f"a{i}"))
    store.close()
    marker = json.loads(dict(sqlite3.connect(path).execute(
        "SELECT name, value FROM audit_meta").fetchall())["verified"])
    assert marker["sequence"] >= 20

    intact = SqlAuditStore(path, mac_key=key)
    status = intact.integrity()
    assert status["ok"] and status["verified_sequence"] == 30
    deadline = time.monotonic() + 10
    while not intact.integrity()["verified_in_full"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert intact.integrity()["verified_in_full"] is True
    intact.close()

    db = attacker(path)
    db.execute("UPDATE audit_events SET actor='ghost' WHERE sequence=3")
    db.commit()
    db.close()
    store = SqlAuditStore(path, mac_key=key)
    assert store.integrity()["verified_sequence"] == 30  # resumed at once from the marker
    deadline = time.monotonic() + 10
    while store.integrity()["broken"] is None and time.monotonic() < deadline:
        time.sleep(0.05)
    broken = store.integrity()["broken"]
    assert broken["problem"] == "altered" and broken["sequence"] == 3
    store.close()

    db = sqlite3.connect(path)  # a marker forged without the key is not used
    db.execute("DELETE FROM audit_meta WHERE name='alarm'")
    forged = {**marker, "sequence": 30, "tag": "00" * 32}
    db.execute("UPDATE audit_meta SET value=? WHERE name='verified'", (json.dumps(forged),))
    db.commit()
    db.close()
    store = SqlAuditStore(path, mac_key=key)
    status = store.integrity()  # verified in full before answering
    assert status["broken"]["problem"] == "altered" and status["broken"]["sequence"] == 3
    store.close()


def test_every_process_closes_on_a_break_and_resumes_after_one_acknowledgement(tmp_path, dev_pki):
    """Two stores on one file stand for two workers: one finds a forged record, both refuse
    (the alarm); after the operator's acknowledgement (a third process) both resume, and the
    one that had not yet read the forged record does not raise the alarm again."""
    from signsvc.adapters.audit_sql import SqlAuditStore
    from signsvc.audit.keyed import ACKNOWLEDGED_ACTION
    from signsvc.errors import AuditUnavailable

    key = (dev_pki.secrets / "audit-hmac.key").read_bytes().strip()
    path = tmp_path / "audit.sqlite3"
    one, two = SqlAuditStore(path, mac_key=key), SqlAuditStore(path, mac_key=key)
    event = AuditEvent(action="sign:pdf:signed", outcome="success")
    for _ in range(3):
        one.append(event)
    two.append(event)
    forged = append_forged(path)
    for store in (one,):  # the other has not read the forged record when the operator acts
        for _ in range(2):
            try:
                store.append(event)
                raise AssertionError("appended on a forged tail")
            except AuditUnavailable as exc:
                assert exc.extra["audit_sequence"] == forged
    operator = SqlAuditStore(path, mac_key=key)
    ack = operator.acknowledge(AuditEvent(action=ACKNOWLEDGED_ACTION, outcome="success",
                                          actor="cli:op", details={"reason": "seen"}))
    operator.close()
    for _ in range(2):
        for store in (one, two):
            assert store.append(event).sequence > ack.sequence
            assert store.integrity()["ok"] is True
    meta = dict(sqlite3.connect(path).execute("SELECT name, value FROM audit_meta").fetchall())
    assert "alarm" not in meta
    one.close()
    two.close()
