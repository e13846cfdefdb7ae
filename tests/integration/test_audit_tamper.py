"""Tampering with a real audit log by someone who can write the SQLite file (and, for some
cases, the checkpoint folder) but does not hold the HMAC key: every case is detected by
`signsvc audit verify`, by GET /v1/audit/verify, and by the service started on the log
(503 `audit-unavailable` problem+json on signing, /readyz not ready).

One log is built once (keyed chain, two signed checkpoints also written to the external
folder, records after them); each test tampers with its own copy of the whole state folder.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from signsvc.audit.chain import seal
from signsvc.audit.events import RECORD_FIELDS, AuditEvent, AuditRecord
from tests.conftest import build_api
from tests.support.pdfs import make_pdf

PDF = {"Content-Type": "application/pdf"}


def keyed(state: Path, **more: str) -> dict[str, str]:
    return {"audit__checkpoint_key": "dev-software", "audit__checkpoint_every_records": "1000",
            "audit__checkpoint_every_seconds": "3600",
            "audit__checkpoint_dir": str(state / "checkpoints"), **more}


@pytest.fixture(scope="module")
def pristine(dev_pki, responders, tmp_path_factory):
    """(state folder, tokens, [checkpoint heads], head) of a keyed, checkpointed log."""
    state = tmp_path_factory.mktemp("tamper-pristine")
    api = build_api(state, **keyed(state))
    heads = []
    try:
        assert api.services.audit._store.keyed
        for _ in range(2):
            for _ in range(4):
                assert api.client.get("/v1/keys", headers=api.headers("portal")).status_code == 200
            heads.append(api.services.checkpoints.create().checkpoint.head_sequence)
        for _ in range(3):
            api.client.get("/v1/keys", headers=api.headers("portal"))
        head = api.services.audit.list(limit=1000)[-1].sequence
    finally:
        api.services.shutdown()
    assert len(list((state / "checkpoints").glob("checkpoint-*.json"))) == 2
    return state, dict(api.tokens), heads, head


@pytest.fixture
def state(pristine, tmp_path):
    copy = tmp_path / "state"
    shutil.copytree(pristine[0], copy)
    return copy


def attacker(state: Path) -> sqlite3.Connection:
    db = sqlite3.connect(state / "audit.sqlite3")
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


def rows(db) -> list[dict]:
    out = []
    for row in db.execute(f"SELECT {', '.join(RECORD_FIELDS)} FROM audit_events ORDER BY sequence"):
        rec = dict(zip(RECORD_FIELDS, row))
        rec["details"] = json.loads(rec["details"])
        out.append(rec)
    return out


def reseal(rec: dict, sequence: int, prev: str) -> AuditRecord:
    """What an attacker without the key can do: a correctly hashed (unkeyed) record."""
    fields = {k: v for k, v in rec.items() if k not in ("sequence", "time", "prev_hash",
                                                         "record_hash")}
    return seal(AuditEvent(**fields), sequence, rec["time"], prev)


def write(db, records: list[AuditRecord]) -> None:
    """Replace every record (the MAC column is left empty: the attacker cannot fill it)."""
    db.execute("DELETE FROM audit_events")
    cols = ", ".join(RECORD_FIELDS)
    for r in records:
        values = [getattr(r, n) for n in RECORD_FIELDS]
        values[RECORD_FIELDS.index("details")] = json.dumps(dict(r.details), sort_keys=True,
                                                             separators=(",", ":"),
                                                             ensure_ascii=False)
        db.execute(f"INSERT INTO audit_events ({cols}) VALUES ({','.join('?' * len(values))})",
                   values)
    db.commit()


def cli_verify(state: Path, monkeypatch, capsys) -> tuple[int, dict]:
    from signsvc.cli import main

    for name, value in (("SERVICE__STATE_DIR", state), ("AUDIT__PATH", state / "audit.sqlite3"),
                        ("AUDIT__CHECKPOINT_DIR", state / "checkpoints")):
        monkeypatch.setenv(f"SIGNSVC_{name}", str(value))
    capsys.readouterr()
    code = main(["audit", "verify", "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out.strip().splitlines()[-1])


def problems(body: dict) -> list[str]:
    return [f["problem"] for f in body["findings"]]


def assert_service_refuses(state: Path, tokens: dict, problem: str, *, api=None) -> None:
    """The service on this log: /readyz not ready, signing 503 audit-unavailable (vi+en),
    the API's verification names the problem."""
    own = api is None
    if own:
        api = build_api(state, with_clients=False, **keyed(state))
        api.tokens = tokens
    try:
        ready = api.client.get("/readyz")
        assert ready.status_code == 503
        body = ready.get_json()
        assert body["checks"]["audit"] == "audit-unavailable"
        assert body["audit_chain"]["ok"] is False and body["audit_chain"]["broken"]
        resp = api.client.post("/v1/sign?key=dev-software&level=B-B&eservice=copy",
                               data=make_pdf(), headers=api.headers("portal", **PDF))
        assert resp.status_code == 503, resp.data[:300]
        assert resp.mimetype == "application/problem+json"
        problem_body = resp.get_json()
        assert problem_body["code"] == "audit-unavailable"
        assert "Chuỗi nhật ký kiểm toán bị phá vỡ" in problem_body["detail"]
        assert "The audit chain is broken" in problem_body["detail"]
        verified = api.client.get("/v1/audit/verify", headers=api.headers("auditor"))
        assert verified.status_code == 200
        assert verified.get_json()["ok"] is False
        assert problem in problems(verified.get_json())
    finally:
        if own:
            api.services.shutdown()


def test_intact_copy_verifies_and_serves(pristine, state, monkeypatch, capsys, dev_pki):
    _, tokens, _heads, _head = pristine
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 0 and body["ok"], body["findings"]
    assert body["keyed"] is True and body["keyed_from_sequence"] == 1
    assert body["external_checkpoints"] == 2 and body["checkpoints"] == 2
    api = build_api(state, with_clients=False, **keyed(state))
    api.tokens = tokens
    try:
        assert api.client.get("/readyz").status_code == 200
        resp = api.client.post("/v1/sign?key=dev-software&level=B-B&eservice=copy",
                               data=make_pdf(), headers=api.headers("portal", **PDF))
        assert resp.status_code == 200
        from tests.support.validate import pyhanko_statuses
        statuses = pyhanko_statuses(resp.data, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert statuses and all(st.bottom_line for _, st in statuses)
    finally:
        api.services.shutdown()


def test_field_edit(pristine, state, monkeypatch, capsys):
    db = attacker(state)
    db.execute("UPDATE audit_events SET outcome='failure' WHERE sequence=4")
    db.commit()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and problems(body)[0] == "altered" and body["first_bad_sequence"] == 4
    assert_service_refuses(state, pristine[1], "altered")


def test_middle_delete(pristine, state, monkeypatch, capsys):
    db = attacker(state)
    db.execute("DELETE FROM audit_events WHERE sequence=5")
    db.commit()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and problems(body)[0] == "deleted" and body["first_bad_sequence"] == 5
    assert_service_refuses(state, pristine[1], "deleted")


def test_insert(pristine, state, monkeypatch, capsys):
    db = attacker(state)
    recs = rows(db)
    forged = reseal({**recs[2], "actor": "ghost"}, 4, recs[2]["record_hash"])
    out = [AuditRecord(**r) for r in recs[:3]] + [forged]
    out += [AuditRecord(**{**r, "sequence": r["sequence"] + 1}) for r in recs[3:]]
    write(db, out)
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and body["first_bad_sequence"] == 1  # MACs are gone from record 1 on
    assert "forged" in problems(body)
    assert_service_refuses(state, pristine[1], "forged")


def test_reorder(pristine, state, monkeypatch, capsys):
    db = attacker(state)
    recs = rows(db)
    macs = dict(db.execute("SELECT sequence, mac FROM audit_events").fetchall())
    db.execute("DELETE FROM audit_events WHERE sequence IN (6, 7)")
    cols = ", ".join([*RECORD_FIELDS, "mac"])
    for rec, seq in ((recs[6], 6), (recs[5], 7)):  # swapped, MACs moved with them
        values = [json.dumps(rec[n], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                  if n == "details" else (seq if n == "sequence" else rec[n])
                  for n in RECORD_FIELDS] + [macs[rec["sequence"]]]
        db.execute(f"INSERT INTO audit_events ({cols}) VALUES ({','.join('?' * len(values))})",
                   values)
    db.commit()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and problems(body)[0] == "relinked" and body["first_bad_sequence"] == 6
    assert_service_refuses(state, pristine[1], "relinked")


def test_tail_truncation(pristine, state, monkeypatch, capsys):
    _, tokens, heads, _ = pristine
    db = attacker(state)
    db.execute("DELETE FROM audit_events WHERE sequence > ?", (heads[1] - 2,))
    db.commit()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and problems(body) == ["truncated"]
    assert body["first_bad_sequence"] == heads[1] - 1
    assert_service_refuses(state, tokens, "truncated")


def test_forged_tail_record_with_a_recomputed_chain(pristine, state, monkeypatch, capsys):
    _, tokens, _, head = pristine
    db = attacker(state)
    recs = rows(db)
    forged = reseal({**recs[-1], "actor": "ghost", "action": "sign:pdf:signed"}, head + 1,
                    recs[-1]["record_hash"])
    write(db, [AuditRecord(**r) for r in recs] + [forged])
    # the attacker rewrote the table: the MACs of the genuine records were lost too
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and "forged" in problems(body)
    assert_service_refuses(state, tokens, "forged")


def test_forged_tail_record_appended_keeping_every_genuine_mac(pristine, state, monkeypatch,
                                                               capsys):
    _, tokens, _, head = pristine
    db = attacker(state)
    last = rows(db)[-1]
    forged = reseal({**last, "actor": "ghost", "action": "sign:pdf:signed"}, head + 1,
                    last["record_hash"])
    values = [getattr(forged, n) for n in RECORD_FIELDS]
    values[RECORD_FIELDS.index("details")] = json.dumps(dict(forged.details))
    db.execute(f"INSERT INTO audit_events ({', '.join(RECORD_FIELDS)}, mac) VALUES "
               f"({','.join('?' * len(values))}, ?)", [*values, "ab" * 32])
    db.commit()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and problems(body) == ["forged"] and body["first_bad_sequence"] == head + 1
    assert_service_refuses(state, tokens, "forged")


def test_rechain_from_the_middle(pristine, state, monkeypatch, capsys):
    _, tokens, _heads, _ = pristine
    db = attacker(state)
    macs = dict(db.execute("SELECT sequence, mac FROM audit_events").fetchall())
    out, prev = [], "0" * 64
    for r in rows(db):
        new = reseal({**r, "outcome": "failure"} if r["sequence"] == 6 else r, r["sequence"], prev)
        out.append(new)
        prev = new.record_hash
    write(db, out)
    for seq in range(1, 6):  # keep the genuine MACs before the change
        db.execute("UPDATE audit_events SET mac=? WHERE sequence=?", (macs[seq], seq))
    db.commit()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and problems(body)[0] == "forged"
    assert [f["sequence"] for f in body["findings"] if f["problem"] == "forged"] == [6]
    assert "rewritten" in problems(body)
    assert_service_refuses(state, tokens, "forged")


def test_checkpoint_deleted_from_the_database(pristine, state, monkeypatch, capsys):
    db = attacker(state)
    db.execute("DELETE FROM audit_checkpoints WHERE checkpoint_index=2")
    db.commit()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and problems(body) == ["checkpoint-deleted-db"]
    assert body["findings"][0]["checkpoint"] == 2
    assert_service_refuses(state, pristine[1], "checkpoint-deleted-db")


def test_checkpoint_deleted_from_the_external_folder(pristine, state, monkeypatch, capsys):
    (state / "checkpoints" / "checkpoint-00000001.json").unlink()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and "checkpoint-deleted-external" in problems(body)
    assert_service_refuses(state, pristine[1], "checkpoint-deleted-external")


def test_checkpoint_altered_in_the_external_folder(pristine, state, monkeypatch, capsys):
    path = state / "checkpoints" / "checkpoint-00000002.json"
    doc = json.loads(path.read_text())
    doc["mac_from_sequence"] = 9
    path.write_text(json.dumps(doc))
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and "checkpoint-invalid" in problems(body)
    assert "unreadable or altered" in body["findings"][-1]["detail"]
    assert_service_refuses(state, pristine[1], "checkpoint-invalid")


def test_checkpoints_deleted_together_with_the_tail(pristine, state, monkeypatch, capsys):
    """Deleting the database's checkpoints does not hide a cut tail: the folder keeps them."""
    _, tokens, heads, _ = pristine
    db = attacker(state)
    db.execute("DELETE FROM audit_checkpoints")
    db.execute("DELETE FROM audit_events WHERE sequence > ?", (heads[0] + 1,))
    db.commit()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and "truncated" in problems(body)
    assert problems(body).count("checkpoint-deleted-db") == 2
    assert_service_refuses(state, tokens, "truncated")


def test_checkpoint_never_moves_backwards(pristine, state):
    """A service started on a log cut below its last checkpoint refuses to checkpoint it
    again (no checkpoint #3 in the database nor in the folder) and stays closed."""
    from signsvc.errors import AuditUnavailable

    _, tokens, heads, _ = pristine
    db = attacker(state)
    db.execute("DELETE FROM audit_events WHERE sequence > ?", (heads[1] - 2,))
    db.execute("DELETE FROM audit_meta WHERE name='alarm'")
    db.commit()
    api = build_api(state, with_clients=False, **keyed(state))
    api.tokens = tokens
    try:
        with pytest.raises(AuditUnavailable):
            api.services.checkpoints.create()
        assert [c.checkpoint.index for c in api.services.checkpoints.list()] == [1, 2]
        assert sorted(p.name for p in (state / "checkpoints").glob("checkpoint-*")) == [
            "checkpoint-00000001.json", "checkpoint-00000002.json"]
        assert_service_refuses(state, tokens, "truncated", api=api)
    finally:
        api.services.shutdown()


def test_stripping_every_mac_and_the_keyed_marker(pristine, state, monkeypatch, capsys):
    """Passing the keyed log off as a never-keyed one (no marker, no MAC) and then forging
    freely: the external checkpoints still say where the keyed chain starts."""
    _, tokens, _, _head = pristine
    db = attacker(state)
    db.execute("DELETE FROM audit_meta")
    db.execute("UPDATE audit_events SET mac = NULL")
    db.commit()
    db.close()
    code, body = cli_verify(state, monkeypatch, capsys)
    assert code == 1 and "keyed-marker" in problems(body)
    assert_service_refuses(state, tokens, "keyed-marker")


def test_after_an_acknowledged_marker_strip_the_running_service_resumes(pristine, state, monkeypatch,
                                                                       capsys):
    from signsvc.cli import main

    _, tokens, _, _ = pristine
    api = build_api(state, with_clients=False, **keyed(state))
    api.tokens = tokens
    try:
        assert api.client.get("/readyz").status_code == 200
        db = attacker(state)
        db.execute("DELETE FROM audit_meta")
        db.execute("UPDATE audit_events SET mac = NULL")
        db.commit()
        db.close()
        ready = api.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["audit_chain"]["broken"]["problem"] == "keyed-marker"
        refused = api.client.post("/v1/sign?key=dev-software&level=B-B&eservice=copy",
                                  data=make_pdf(), headers=api.headers("portal", **PDF))
        assert refused.status_code == 503
        assert refused.get_json()["code"] == "audit-unavailable"
        body = api.client.get("/v1/audit/verify", headers=api.headers("auditor")).get_json()
        assert body["ok"] is False and "forged" in problems(body)  # every MAC is gone
        code, body = cli_verify(state, monkeypatch, capsys)
        assert code == 1 and "keyed-marker" in problems(body)
        assert main(["audit", "acknowledge", "--reason", "đã điều tra / investigated"]) == 0
        resp = api.client.post("/v1/sign?key=dev-software&level=B-B&eservice=copy",
                               data=make_pdf(), headers=api.headers("portal", **PDF))
        assert resp.status_code == 200
        assert api.client.get("/readyz").status_code == 200
    finally:
        api.services.shutdown()


def test_turning_the_folder_on_for_an_existing_log_seeds_it(pristine, state):
    """An operator adds [audit] checkpoint_dir to a log that already has checkpoints: the
    new folder gets them (the service stays ready); from then on a deletion is a finding."""
    _, tokens, _, _ = pristine
    shutil.rmtree(state / "checkpoints")
    api = build_api(state, with_clients=False, **keyed(state))
    api.tokens = tokens
    try:
        assert api.client.get("/readyz").status_code == 200
        assert sorted(p.name for p in (state / "checkpoints").glob("checkpoint-*.json")) == [
            "checkpoint-00000001.json", "checkpoint-00000002.json"]
        body = api.client.get("/v1/audit/verify", headers=api.headers("auditor")).get_json()
        assert body["ok"] is True and body["external_checkpoints"] == 2
    finally:
        api.services.shutdown()
    for path in (state / "checkpoints").glob("checkpoint-*.json"):
        path.unlink()
    assert_service_refuses(state, tokens, "checkpoint-deleted-external")
