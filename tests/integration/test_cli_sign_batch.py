"""``signsvc sign --batch DIR``: every PDF of the folder signed into the output folder
(each valid, each with its audit record), a progress bar, a broken PDF named with its
problem and exit 1; a rerun skips what was signed (same files, no new audit record) and
signs only what changed or failed before; exit 0 once all are signed."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db.engine import url_engine
from tests.conftest import REPO
from tests.support.pdfs import make_pdf
from tests.support.validate import pyhanko_statuses

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SIGNSVC, "sign", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def signed_records(state) -> list:
    store = SqlAuditStore(url_engine(f"sqlite:///{state / 'audit.sqlite3'}"))
    try:
        return list(store.records(action="signing:document:signed"))
    finally:
        store.close()


def valid(dev_pki, data: bytes) -> None:
    (_, status), = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()


def test_batch_signs_the_folder_and_resumes(dev_pki, responders, tmp_path):
    state = tmp_path / "state"
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state),
           "SIGNSVC_AUDIT__PATH": str(state / "audit.sqlite3"), "SIGNSVC_AUDIT__CHECKPOINT_KEY": "",
           "COLUMNS": "120"}
    folder = tmp_path / "in"
    folder.mkdir()
    inputs = {f"{i}.pdf": make_pdf(1, text=f"batch {i}") for i in range(3)}
    inputs["broken.pdf"] = make_pdf(1, text="broken")[:300]
    for name, data in inputs.items():
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_text("not a pdf")
    out = tmp_path / "out"
    args = ("--batch", str(folder), "--output-dir", str(out), "--key", "dev-software",
            "--level", "B-T")
    first = run(env, *args)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "broken.pdf" in first.stderr and "malformed-pdf" in first.stderr
    assert "4/4" in first.stderr          # the progress bar reached the end
    assert "signed: 3" in first.stderr and "failed: 1" in first.stderr
    assert sorted(p.name for p in out.iterdir()) == [".signsvc-batch.json", "0.pdf", "1.pdf",
                                                     "2.pdf"]
    manifest = json.loads((out / ".signsvc-batch.json").read_text())
    records = {r.output_sha256: r for r in signed_records(state)}
    assert len(records) == 3
    outputs = {}
    for name in ("0.pdf", "1.pdf", "2.pdf"):
        data = (out / name).read_bytes()
        valid(dev_pki, data)
        entry = manifest[name]
        assert entry["input_sha256"] == hashlib.sha256(inputs[name]).hexdigest()
        assert entry["output_sha256"] == hashlib.sha256(data).hexdigest()
        assert records[entry["output_sha256"]].sequence == entry["audit_sequence"]
        assert records[entry["output_sha256"]].actor.startswith("cli:")
        outputs[name] = data

    # fix the broken one, change another: only those two are signed again
    inputs["broken.pdf"] = make_pdf(1, text="fixed")
    (folder / "broken.pdf").write_bytes(inputs["broken.pdf"])
    inputs["1.pdf"] = make_pdf(1, text="changed")
    (folder / "1.pdf").write_bytes(inputs["1.pdf"])
    second = run(env, *args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "signed: 2" in second.stderr and "skipped (signed before): 2" in second.stderr
    assert (out / "0.pdf").read_bytes() == outputs["0.pdf"]
    assert (out / "2.pdf").read_bytes() == outputs["2.pdf"]
    for name in ("1.pdf", "broken.pdf"):
        valid(dev_pki, (out / name).read_bytes())
    assert len(signed_records(state)) == 5

    # nothing left: a third run signs nothing; an output file altered is signed again
    (out / "2.pdf").write_bytes(b"tampered")
    third = run(env, *args)
    assert third.returncode == 0 and "signed: 1" in third.stderr, third.stderr
    valid(dev_pki, (out / "2.pdf").read_bytes())
    assert len(signed_records(state)) == 6
    missing = run(env, "--batch", str(tmp_path / "none"), "--key", "dev-software")
    assert missing.returncode == 2 and "cannot read the folder" in missing.stderr
