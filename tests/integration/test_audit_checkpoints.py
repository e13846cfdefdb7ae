"""Signed checkpoints against a real SQLite file, the real dev-software key and the real TSA.

A log is built once (records, then checkpoints at two heads, then records after them); each
test copies the file, tampers with the copy the way anyone with the file could (dropping
the append-only triggers first), and checks that verification names what and where.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from signsvc.audit.chain import seal
from signsvc.audit.events import RECORD_FIELDS, AuditEvent
from tests.conftest import build_api

CHECKPOINTING = {"audit__checkpoint_key": "dev-software",
                 "audit__checkpoint_every_records": "1000",
                 "audit__checkpoint_every_seconds": "3600"}


@pytest.fixture(scope="module")
def pristine(dev_pki, responders, tmp_path_factory):
    """(audit file, [checkpoint heads], head) of a log with two checkpoints and a tail."""
    state = tmp_path_factory.mktemp("checkpointed")
    api = build_api(state, **CHECKPOINTING)
    heads = []
    try:
        for _ in range(2):
            for _ in range(4):
                assert api.client.get("/v1/keys", headers=api.headers("portal")).status_code == 200
            heads.append(api.services.checkpoints.create().checkpoint.head_sequence)
        for _ in range(3):
            api.client.get("/v1/keys", headers=api.headers("portal"))
        head = api.services.audit.list(limit=1000)[-1].sequence
    finally:
        api.services.shutdown()
    return state / "audit.sqlite3", heads, head


def verify_file(path: Path, dev_pki):
    """What `signsvc audit verify` and GET /v1/audit/verify compute, over ``path``."""
    from signsvc.adapters.audit_sql import SqlAuditStore
    from signsvc.adapters.checkpoint_signer import CheckpointChecker
    from signsvc.adapters.checkpoint_sql import SqlCheckpointStore
    from signsvc.services.audit_service import AuditService
    from signsvc.services.checkpoint_service import CheckpointService
    from signsvc.validation.trust import load_trust_anchors

    trust = load_trust_anchors("dev", [dev_pki.cert("root")], [dev_pki.cert("interm")], False)
    store = SqlAuditStore(path)
    try:
        service = CheckpointService(store, SqlCheckpointStore(path), AuditService(store), None,
                                    CheckpointChecker(trust.anchors, trust.intermediates))
        return service.verify()
    finally:
        store.close()


@pytest.fixture
def copy(pristine, tmp_path):
    path = tmp_path / "audit.sqlite3"
    shutil.copy(pristine[0], path)
    return path


def attacker(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


def rows(db):
    cols = ", ".join(RECORD_FIELDS)
    out = []
    for row in db.execute(f"SELECT {cols} FROM audit_events ORDER BY sequence"):
        rec = dict(zip(RECORD_FIELDS, row))
        rec["details"] = json.loads(rec["details"])
        out.append(rec)
    return out


def reseal(rec, sequence, prev):
    fields = {k: v for k, v in rec.items() if k not in ("sequence", "time", "prev_hash", "record_hash")}
    return seal(AuditEvent(**fields), sequence, rec["time"], prev)


def write(db, records):
    db.execute("DELETE FROM audit_events")
    cols = ", ".join(RECORD_FIELDS)
    for r in records:
        values = [getattr(r, n) for n in RECORD_FIELDS]
        values[RECORD_FIELDS.index("details")] = json.dumps(dict(r.details), sort_keys=True,
                                                             separators=(",", ":"), ensure_ascii=False)
        db.execute(f"INSERT INTO audit_events ({cols}) VALUES ({','.join('?' * len(values))})", values)
    db.commit()


def found(result):
    return [(f.problem, f.sequence, f.end_sequence, f.checkpoint) for f in result.findings]


def test_intact_log_verifies_with_its_last_checkpoint(pristine, copy, dev_pki):
    _, heads, head = pristine
    result = verify_file(copy, dev_pki)
    assert result.ok, result.reason
    assert result.checked == head and result.checkpoints == 2
    last = result.last_checkpoint
    assert last["index"] == 2 and last["head_sequence"] == heads[1]
    assert last["signature_valid"] is True and "Time Stamping" in last["tsa_subject"]
    assert result.uncovered_records == head - heads[1]


def test_altered_record(copy, dev_pki):
    db = attacker(copy)
    db.execute("UPDATE audit_events SET outcome='failure' WHERE sequence=4")
    db.commit()
    result = verify_file(copy, dev_pki)
    assert found(result) == [("altered", 4, None, None)] and result.first_bad_sequence == 4


def test_deleted_record(copy, dev_pki):
    db = attacker(copy)
    db.execute("DELETE FROM audit_events WHERE sequence=5")
    db.commit()
    assert found(verify_file(copy, dev_pki)) == [("deleted", 5, None, None)]


def test_inserted_record_with_a_valid_hash(copy, dev_pki):
    db = attacker(copy)
    recs = rows(db)
    forged = reseal({**recs[2], "actor": "ghost"}, 4, recs[2]["record_hash"])
    out = [reseal(r, r["sequence"], r["prev_hash"]) for r in recs[:3]] + [forged]
    for r in recs[3:]:  # renumbered, otherwise unchanged
        out.append(dataclass_record(r, sequence=r["sequence"] + 1))
    write(db, out)
    result = verify_file(copy, dev_pki)
    assert found(result)[0] == ("relinked", 5, None, None)
    assert "inserted, removed or reordered" in result.findings[0].message()["en"]


def dataclass_record(rec, **changes):
    from signsvc.audit.events import AuditRecord
    return AuditRecord(**{**rec, **changes})


def test_reordered_records(copy, dev_pki):
    db = attacker(copy)
    recs = rows(db)
    recs[5], recs[6] = ({**recs[6], "sequence": 6}, {**recs[5], "sequence": 7})
    write(db, [dataclass_record(r) for r in recs])
    assert found(verify_file(copy, dev_pki))[0] == ("relinked", 6, None, None)


def test_truncated_tail_is_detected_against_the_last_checkpoint(pristine, copy, dev_pki):
    _, heads, _ = pristine
    db = attacker(copy)
    db.execute("DELETE FROM audit_events WHERE sequence > ?", (heads[1] - 2,))
    db.commit()
    result = verify_file(copy, dev_pki)
    assert found(result) == [("truncated", heads[1] - 1, heads[1], 2)]
    assert result.first_bad_sequence == heads[1] - 1


def test_rewritten_and_rechained_log_is_detected(pristine, copy, dev_pki):
    _, heads, _ = pristine
    db = attacker(copy)
    recs = rows(db)
    out, prev = [], "0" * 64
    for r in recs:  # change record 3, recompute every hash after it
        new = reseal({**r, "outcome": "failure"} if r["sequence"] == 3 else r, r["sequence"], prev)
        out.append(new)
        prev = new.record_hash
    write(db, out)
    result = verify_file(copy, dev_pki)
    assert found(result)[0] == ("rewritten", 1, heads[0], 1)
    assert result.first_bad_sequence == 1
    assert result.findings[0].message()["en"].startswith("the log was rewritten and re-chained")


def test_checkpoint_with_an_altered_signature_is_rejected(copy, dev_pki):
    db = attacker(copy)
    sig = bytearray(db.execute("SELECT signature FROM audit_checkpoints WHERE checkpoint_index=2")
                    .fetchone()[0])
    sig[-20] ^= 0x01
    db.execute("UPDATE audit_checkpoints SET signature=? WHERE checkpoint_index=2", (bytes(sig),))
    db.commit()
    result = verify_file(copy, dev_pki)
    assert found(result) == [("checkpoint-invalid", None, None, 2)]
    assert result.last_checkpoint["signature_valid"] is False
    assert "not valid" in result.findings[0].detail


def test_checkpoint_moved_to_a_forged_head_is_rejected(pristine, copy, dev_pki):
    _, heads, _ = pristine
    db = attacker(copy)
    db.execute("UPDATE audit_checkpoints SET head_hash=? WHERE checkpoint_index=2", ("ab" * 32,))
    db.commit()
    result = verify_file(copy, dev_pki)
    assert ("checkpoint-invalid", None, None, 2) in found(result)
    assert ("rewritten", heads[0] + 1, heads[1], 2) in found(result)


def test_api_and_cli_report_the_last_checkpoint_and_truncation(tmp_path, dev_pki, responders,
                                                                monkeypatch, capsys):
    api = build_api(tmp_path, **CHECKPOINTING)
    try:
        for _ in range(3):
            api.client.get("/v1/keys", headers=api.headers("portal"))
        cp = api.services.checkpoints.create().checkpoint
        listed = api.client.get("/v1/audit/checkpoints", headers=api.headers("auditor"))
        assert listed.status_code == 200
        body = listed.get_json()
        assert [c["head_sequence"] for c in body["checkpoints"]] == [cp.head_sequence]
        assert body["enabled"] is True
        full = api.client.get("/v1/audit/checkpoints?signatures=1", headers=api.headers("admin"))
        assert full.get_json()["checkpoints"][0]["signature"]
        assert api.client.get("/v1/audit/checkpoints",
                              headers=api.headers("portal")).status_code == 403
        ok = api.client.get("/v1/audit/verify", headers=api.headers("auditor")).get_json()
        assert ok["ok"] and ok["last_checkpoint"]["head_sequence"] == cp.head_sequence
        assert ok["last_checkpoint"]["signature_valid"] is True
        created = api.services.audit.list(action="audit:checkpoint:created")
        assert created and created[-1].details["head_sequence"] == cp.head_sequence

        db = attacker(tmp_path / "audit.sqlite3")
        db.execute("DELETE FROM audit_events WHERE sequence >= ?", (cp.head_sequence - 1,))
        db.commit()
        db.close()
        bad = api.client.get("/v1/audit/verify", headers=api.headers("auditor")).get_json()
        assert bad["ok"] is False and bad["first_bad_sequence"] == cp.head_sequence - 1
        assert bad["findings"][0]["problem"] == "truncated"
        assert "cắt cụt" in bad["messages"]["vi"][0]

        from signsvc.cli import main
        monkeypatch.setenv("SIGNSVC_AUDIT__PATH", str(tmp_path / "audit.sqlite3"))
        capsys.readouterr()
        assert main(["audit", "verify"]) == 1
        out = capsys.readouterr().out
        assert f"NOT VALID from record #{cp.head_sequence - 1}" in out and "truncated" in out
    finally:
        api.services.shutdown()


def test_background_thread_checkpoints_every_n_records(tmp_path, dev_pki, responders):
    api = build_api(tmp_path, **{**CHECKPOINTING, "audit__checkpoint_every_records": "4"})
    try:
        for _ in range(5):
            api.client.get("/v1/keys", headers=api.headers("portal"))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not api.services.checkpoints.list():
            time.sleep(0.2)
        (cp,) = api.services.checkpoints.list()
        assert cp.checkpoint.head_sequence >= 4
        time.sleep(2.5)  # its own audit record alone does not make another one due
        assert len(api.services.checkpoints.list()) == 1
        assert api.client.get("/v1/audit/verify",
                              headers=api.headers("auditor")).get_json()["ok"] is True
    finally:
        api.services.shutdown()


def test_checkpoint_failure_never_blocks_signing_and_is_audited_once(tmp_path, dev_pki, responders):
    from tests.support.pdfs import make_pdf

    api = build_api(tmp_path, **{**CHECKPOINTING, "audit__checkpoint_every_records": "1",
                                 "timestamp__urls": '["http://127.0.0.1:9/tsa"]',
                                 "timestamp__retries": "0", "timestamp__timeout_seconds": "1"})
    try:
        for _ in range(2):
            resp = api.client.post("/v1/sign?key=dev-software&level=B-B&eservice=copy",
                                   data=make_pdf(), headers=api.headers(
                                       "portal", **{"Content-Type": "application/pdf"}))
            assert resp.status_code == 200
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not api.services.audit.list(
                action="audit:checkpoint:failed"):
            time.sleep(0.2)
        time.sleep(2.5)
        failed = api.services.audit.list(action="audit:checkpoint:failed")
        assert len(failed) == 1 and failed[0].outcome == "failure"
        assert not api.services.checkpoints.list()
        resp = api.client.get("/v1/audit/export", headers=api.headers("auditor"))
        assert resp.status_code == 503 and resp.get_json()["code"] == "checkpoint-unavailable"
        (exp,) = api.services.audit.list(action="audit:log:exported")
        assert exp.outcome == "failure" and exp.error_code == "checkpoint-unavailable"
    finally:
        api.services.shutdown()
