"""`signsvc archive renew DIR`: a new archive timestamp for every stored document whose last
timestamp's TSA certificate expires within [archive] renew_within_days; files replaced
atomically, failures reported and left untouched, every renewal audited."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.services.archive_service import last_timestamp
from signsvc.services.audit_service import AuditService
from tests.conftest import REPO
from tests.support.ltv import AFTER_SIGNER_EXPIRY, AFTER_TSA_EXPIRY, future_validation_passes
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig
from tests.support.validate import load_cert, pyhanko_statuses

TSA_CN = "signsvc TEST ONLY Time Stamping Authority"


def _sign(api, level: str) -> bytes:
    resp = api.client.post("/v1/sign", query_string={"key": "agency-seal", "level": level},
                           data=make_pdf(1, text="Ho so luu tru"),
                           headers=api.headers("portal", **{"Content-Type": "application/pdf"}))
    assert resp.status_code == 200, resp.get_json()
    return resp.data


def _renew(state: Path, folder: Path, days: int, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state),
           "SIGNSVC_AUDIT__PATH": str(state / "audit.sqlite3"), "SIGNSVC_AUDIT__CHECKPOINT_KEY": "",
           "SIGNSVC_ARCHIVE__RENEW_WITHIN_DAYS": str(days)}
    return subprocess.run([str(REPO / ".venv/bin/signsvc"), "archive", "renew", str(folder), *extra],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=300)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _doc_timestamps(data: bytes) -> int:
    return len(PdfFileReader(io.BytesIO(data)).embedded_timestamp_signatures)


def test_renew_due_not_due_and_failed(api, dev_pki, tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    lta = _sign(api, "B-LTA")
    bb = _sign(api, "B-B")
    files = {"due.pdf": lta, "no-timestamp.PDF": bb, "unsigned.pdf": make_pdf(),
             "broken.pdf": lta[: len(lta) // 2], "not-a-pdf.pdf": b"hello"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_bytes(b"not a pdf, not looked at")
    os.chmod(folder / "due.pdf", 0o640)
    last = last_timestamp(lta)
    assert last.kind == "document" and TSA_CN in last.tsa_subject
    assert last.tsa_not_after.year == 2036

    # a dry run reports what is due and touches nothing
    dry = _renew(tmp_path / "state", folder, 36500, "--dry-run")
    assert dry.returncode == 1, dry.stderr  # the unsigned and damaged files fail even so
    assert f"Cần gia hạn / due: {folder / 'due.pdf'}" in dry.stdout
    assert all((folder / n).read_bytes() == d for n, d in files.items())

    proc = _renew(tmp_path / "state", folder, 36500)
    out = proc.stdout
    assert proc.returncode == 1, (out, proc.stderr)
    assert f"Đã gia hạn / renewed: {folder / 'due.pdf'}" in out
    assert "hết hạn ngày 2036-01-01 / the last timestamp's TSA certificate expires on 2036-01-01" in out
    assert f"Đã gia hạn / renewed: {folder / 'no-timestamp.PDF'} — chữ ký cuối chưa có dấu thời gian" in out
    assert f"Lỗi / failed: {folder / 'unsigned.pdf'} [not-signed] — Tài liệu chưa có chữ ký" in out
    assert f"Lỗi / failed: {folder / 'broken.pdf'} [malformed-pdf]" in out
    assert f"Lỗi / failed: {folder / 'not-a-pdf.pdf'} [not-a-pdf]" in out
    assert "notes.txt" not in out
    assert "Tổng cộng 5 tệp" in out and "đã gia hạn 2, chưa đến hạn 0, lỗi 3" in out
    assert "Total 5 file(s)" in out and "renewed 2, not due 0, failed 3" in out
    # failures left untouched, no temporary file left behind
    for name in ("unsigned.pdf", "broken.pdf", "not-a-pdf.pdf"):
        assert (folder / name).read_bytes() == files[name]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*files, "notes.txt"])

    renewed = (folder / "due.pdf").read_bytes()
    assert renewed.startswith(lta) and _doc_timestamps(renewed) == _doc_timestamps(lta) + 1
    assert (folder / "due.pdf").stat().st_mode & 0o777 == 0o640
    upgraded = (folder / "no-timestamp.PDF").read_bytes()
    assert upgraded.startswith(bb) and _doc_timestamps(upgraded) == 2  # time proof + archive
    root = load_cert(dev_pki.cert("root"))
    for data in (renewed, upgraded):
        (_sig, status), = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert status.intact and status.valid and status.trusted
    assert future_validation_passes(renewed, root, AFTER_SIGNER_EXPIRY)
    assert future_validation_passes(renewed, root, AFTER_TSA_EXPIRY)
    found = pdfsig(folder / "due.pdf", dev_pki.nssdb)
    assert len(found) == 3 and found[0].signature_valid and found[0].certificate_trusted, found[0].raw
    assert all(s.common_name == TSA_CN for s in found[1:])

    audit = AuditService(SqlAuditStore(tmp_path / "state" / "audit.sqlite3"))
    done = audit.list(action="archive:document:renewed")
    assert {(r.input_sha256, r.output_sha256) for r in done} == {
        (_sha(lta), _sha(renewed)), (_sha(bb), _sha(upgraded))}
    assert all(r.level == "B-LTA" and r.outcome == "success" for r in done)
    failed = audit.list(action="archive:document:renew_failed")
    # (the dry run audits nothing: it attempted nothing)
    assert sorted(r.error_code for r in failed) == ["malformed-pdf", "not-a-pdf", "not-signed"]


def test_not_due_is_left_alone(api, tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    lta = _sign(api, "B-LTA")
    (folder / "recent.pdf").write_bytes(lta)
    proc = _renew(tmp_path / "state", folder, 0)
    assert proc.returncode == 0, proc.stderr
    assert f"Chưa đến hạn / not due: {folder / 'recent.pdf'}" in proc.stdout
    assert "renewed 0, not due 1, failed 0" in proc.stdout
    assert (folder / "recent.pdf").read_bytes() == lta
    audit = AuditService(SqlAuditStore(tmp_path / "state" / "audit.sqlite3"))
    assert audit.list(action="archive:document:renewed") == []
