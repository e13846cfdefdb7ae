"""The audit export: made by the API and the CLI, checked offline by `signsvc audit verify
EXPORT` in a separate process with no configuration, no database and no network, and
edited by hand to show that each kind of tampering is named with its place."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from signsvc.audit.chain import seal
from signsvc.audit.events import AuditEvent
from tests.conftest import build_api

CHECKPOINTING = {"audit__checkpoint_key": "dev-software",
                 "audit__checkpoint_every_records": "1000",
                 "audit__checkpoint_every_seconds": "3600"}


@pytest.fixture(scope="module")
def exported(dev_pki, responders, tmp_path_factory):
    """An export made through the API: records, two checkpoints, and its audit record."""
    state = tmp_path_factory.mktemp("export")
    api = build_api(state, **CHECKPOINTING)
    try:
        for _ in range(5):
            api.client.get("/v1/keys", headers=api.headers("portal"))
        api.services.checkpoints.create()
        for _ in range(4):
            api.client.get("/v1/keys", headers=api.headers("clerk"))
        assert api.client.get("/v1/audit/export",
                              headers=api.headers("portal")).status_code == 403
        resp = api.client.get("/v1/audit/export", headers=api.headers("auditor"))
        assert resp.status_code == 200, resp.get_json()
        (record,) = api.services.audit.list(action="audit:log:exported")
        assert record.outcome == "success" and record.actor == "auditor"
        assert record.output_sha256 == resp.headers["X-Export-SHA256"]
        bad_since = api.client.get("/v1/audit/export?since=yesterday",
                                   headers=api.headers("auditor"))
        assert bad_since.status_code == 400 and bad_since.get_json()["parameter"] == "since"
        head = api.services.audit.list(limit=1000)[-1].sequence
    finally:
        api.services.shutdown()
    return json.loads(resp.data), state, head


def offline(path: Path, dev_pki, *extra: str) -> subprocess.CompletedProcess:
    """`signsvc audit verify EXPORT --trust root.pem` elsewhere: no config, no state, no proxy."""
    env = {"PATH": os.environ["PATH"], "HOME": str(path.parent), "LANG": "C.UTF-8",
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    return subprocess.run([sys.executable, "-m", "signsvc.cli", "audit", "verify", str(path),
                           "--trust", str(dev_pki.cert("root")), *extra],
                          cwd=path.parent, env=env, capture_output=True, text=True, timeout=120)


def check(document, dev_pki):
    from signsvc.adapters.checkpoint_signer import CheckpointChecker, certificates_of
    from signsvc.audit.export import certificate_ders, verify_export
    from signsvc.validation.trust import load_trust_anchors

    trust = load_trust_anchors("dev", [dev_pki.cert("root")], [], False)
    checker = CheckpointChecker(trust.anchors, certificates_of(certificate_ders(document)))
    return verify_export(document, checker)


def found(result):
    return [(f.problem, f.sequence, f.end_sequence, f.checkpoint) for f in result.log.findings]


def test_export_is_self_contained_and_verifies_offline(exported, dev_pki, tmp_path):
    document, _, _ = exported
    assert document["format"] == "signsvc-audit-export/1"
    assert document["first_sequence"] == 1
    last = document["checkpoints"][-1]
    assert document["last_sequence"] == last["head_sequence"] == document["records"][-1]["sequence"]
    assert len(document["checkpoints"]) == 2 and document["certificates"]
    assert document["trust_anchors"][0]["sha256"] and document["trust_anchors_sha256"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    proc = offline(path, dev_pki)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "audit export verified" in proc.stdout and "hợp lệ" in proc.stdout


def test_export_checked_against_another_root_fails(exported, dev_pki, tmp_path):
    """The roots carried in the export grant no trust: only those given to the verifier."""
    document, _, _ = exported
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "signsvc.cli", "audit", "verify", str(path),
                           "--trust", str(dev_pki.cert("untrusted-root"))], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "checkpoint #1" in proc.stdout and "trust anchor" in proc.stdout


def reseal(rec, sequence, prev):
    fields = {k: v for k, v in rec.items()
              if k not in ("sequence", "time", "prev_hash", "record_hash")}
    return seal(AuditEvent(**fields), sequence, rec["time"], prev).as_dict()


def _alter(doc):
    doc["records"][3]["actor"] = "someone-else"
    return [("altered", 4, None, None)]


def _delete(doc):
    del doc["records"][5]
    return [("deleted", 6, None, None)]


def _insert(doc):
    recs = doc["records"]
    forged = reseal({**recs[2], "actor": "ghost"}, 4, recs[2]["record_hash"])
    rest = [{**r, "sequence": r["sequence"] + 1} for r in recs[3:]]
    doc["records"] = [*recs[:3], forged, *rest]
    doc["last_sequence"] += 1
    return [("relinked", 5, None, None)]


def _reorder(doc):
    recs = doc["records"]
    recs[6], recs[7] = recs[7], recs[6]
    return [("reordered", 7, None, None)]


def _truncate(doc):
    head = doc["checkpoints"][-1]["head_sequence"]
    doc["records"] = doc["records"][:-3]
    doc["last_sequence"] = head - 3
    return [("truncated", head - 2, head, 2)]


def _rechain(doc):
    out, prev = [], "0" * 64
    for r in doc["records"]:
        new = reseal({**r, "outcome": "failure"} if r["sequence"] == 2 else r, r["sequence"], prev)
        out.append(new)
        prev = new["record_hash"]
    doc["records"] = out
    return [("rewritten", 1, doc["checkpoints"][0]["head_sequence"], 1)]


def _checkpoint_signature(doc):
    sig = bytearray(base64.b64decode(doc["checkpoints"][1]["signature"]))
    sig[-16] ^= 0x40
    doc["checkpoints"][1]["signature"] = base64.b64encode(bytes(sig)).decode()
    return [("checkpoint-invalid", None, None, 2)]


def _checkpoint_head(doc):
    doc["checkpoints"][1]["head_hash"] = doc["records"][-2]["record_hash"]
    return [("checkpoint-invalid", None, None, 2)]


def _timestamp_token(doc):
    doc["checkpoints"][0]["timestamp_token"] = doc["checkpoints"][1]["timestamp_token"]
    return [("checkpoint-invalid", None, None, 1)]


def _forged_tail(doc):
    last = doc["records"][-1]
    doc["records"].append(reseal({**last, "actor": "ghost"}, last["sequence"] + 1,
                                 last["record_hash"]))
    doc["last_sequence"] += 1
    return [("uncovered", last["sequence"] + 1, last["sequence"] + 1, None)]


@pytest.mark.parametrize("edit", [_alter, _delete, _insert, _reorder, _truncate, _rechain,
                                  _checkpoint_signature, _checkpoint_head, _timestamp_token,
                                  _forged_tail])
def test_hand_edited_export_is_rejected_naming_what_and_where(exported, dev_pki, edit):
    document = json.loads(json.dumps(exported[0]))
    expected = edit(document)
    result = check(document, dev_pki)
    assert not result.ok
    assert found(result)[:len(expected)] == expected, found(result)


@pytest.mark.parametrize("edit,text", [(_truncate, "truncated"), (_rechain, "rewritten"),
                                       (_checkpoint_signature, "checkpoint #2")])
def test_offline_cli_names_the_tampering(exported, dev_pki, tmp_path, edit, text):
    document = json.loads(json.dumps(exported[0]))
    expected = edit(document)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    proc = offline(path, dev_pki, "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert text in proc.stdout and "KHÔNG HỢP LỆ" in proc.stdout
    body = json.loads(proc.stdout.strip().splitlines()[-2])
    assert body["ok"] is False and body["findings"][0]["problem"] == expected[0][0]
    assert body["first_bad_sequence"] == (expected[0][1] or body["first_bad_sequence"])


def test_not_an_export_is_a_clear_error(dev_pki, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{}")
    proc = offline(path, dev_pki)
    assert proc.returncode == 2 and "not a signsvc audit export" in proc.stderr


def test_cli_export_since_and_offline_verify(exported, dev_pki, tmp_path, monkeypatch, capsys):
    document, state, _ = exported
    since = document["records"][4]["time"]
    from signsvc.cli import main
    from tests.conftest import make_settings
    settings = make_settings(state, **CHECKPOINTING)
    monkeypatch.setenv("SIGNSVC_SERVICE__STATE_DIR", str(state))
    monkeypatch.setenv("SIGNSVC_AUDIT__PATH", str(settings.audit.path))
    out = tmp_path / "since.json"
    assert main(["audit", "export", "--since", since, "-o", str(out)]) == 0
    assert "audit log exported" in capsys.readouterr().err
    partial = json.loads(out.read_text())
    assert partial["since"] == since and partial["first_sequence"] == 5
    assert partial["last_sequence"] == partial["checkpoints"][-1]["head_sequence"]
    proc = offline(out, dev_pki)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the full log in the database still verifies, including the exports' records
    assert main(["audit", "verify"]) == 0
    assert "audit log intact" in capsys.readouterr().out
