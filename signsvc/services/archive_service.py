"""``signsvc archive renew DIR``: renew the archive timestamp of stored B-LTA documents.

For every PDF of a folder, the *last timestamp* is found: the document timestamp or
signature timestamp that comes last in the file. When its TSA certificate expires within
``[archive] renew_within_days`` (or when the last signature has no timestamp after it),
the document is *due*: ``LtvBuilder.renew`` refreshes the DSS for that timestamp's chain
and adds a new archive timestamp (a document with no archive timestamp yet is extended to
B-LTA first).

Guarantees:

- A file is replaced only by a complete, renewed document: written to a temporary file in
  the same folder, flushed to disk, then renamed over the original (same permissions);
  if the file changed while it was being renewed, it is left alone and reported failed.
- A file that is not due, or whose renewal failed (not a PDF, damaged, unsigned,
  untrusted, responders or TSA down), is never touched.
- Every renewal is audited (``archive:document:renewed``, both hashes); every failure too
  (``archive:document:renew_failed`` with the error code). A renewal whose audit record
  cannot be committed is not written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from signsvc.audit_tags import AuditTag
from signsvc.errors import MalformedPdf, Message, NotAPdf, SignsvcError
from signsvc.names import AuditOutcome
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.signing.last_timestamp import LastTimestamp, last_timestamp
from signsvc.signing.ltv import LtvBuilder

log = logging.getLogger(__name__)

RENEWED, DUE, NOT_DUE, FAILED = "renewed", "due", "not-due", "failed"


@dataclass(frozen=True)
class ArchiveOutcome:
    path: Path
    status: str                       # renewed | due (dry run) | not-due | failed
    reason: Message | None = None
    error_code: str | None = None
    tsa_not_after: datetime | None = None
    new_tsa_not_after: datetime | None = None
    audit_sequence: int | None = None

    def as_dict(self) -> dict:
        return {"path": str(self.path), "status": self.status, "error_code": self.error_code,
                "reason_vi": self.reason.vi if self.reason else None,
                "reason_en": self.reason.en if self.reason else None,
                "tsa_not_after": self.tsa_not_after.isoformat() if self.tsa_not_after else None,
                "new_tsa_not_after": self.new_tsa_not_after.isoformat() if self.new_tsa_not_after else None,
                "audit_sequence": self.audit_sequence}


def _stage(path: Path, data: bytes) -> Path:
    """``data`` in a temporary file next to ``path`` (same permissions), on disk."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".renew.tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _commit(tmp: Path, path: Path) -> None:
    """Rename ``tmp`` over ``path`` and make the rename durable."""
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class FileChangedMeanwhile(SignsvcError):
    code = "file-changed"
    status = 409
    title = "Tệp đã thay đổi / File changed meanwhile"
    default_message = Message("Tệp đã bị thay đổi trong lúc gia hạn; giữ nguyên tệp.",
                              "The file changed while it was being renewed; it was left as it was.")


class ArchiveFileError(SignsvcError):
    """The file could not be read or the renewed one could not be written."""

    code = "file-error"
    status = 500
    title = "Lỗi tệp / File error"
    default_message = Message("Không đọc hoặc không ghi được tệp; giữ nguyên tệp.",
                              "The file could not be read or written; it was left as it was.")

    @classmethod
    def of(cls, exc: OSError) -> ArchiveFileError:
        why = exc.strerror or type(exc).__name__
        return cls(Message(f"Không đọc hoặc không ghi được tệp ({why}); giữ nguyên tệp.",
                           f"The file could not be read or written ({why}); it was left as it was."))


def pdf_files(folder: Path, recursive: bool = False) -> list[Path]:
    """The PDFs of ``folder`` (``*.pdf``, any case), sorted; hidden files are skipped
    (the temporary files of an interrupted run start with a dot)."""
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.is_file() and p.suffix.lower() == ".pdf"
                  and not p.name.startswith("."))


class ArchiveService:
    def __init__(self, ltv: LtvBuilder, audit_service: AuditService, renew_within_days: int,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._ltv = ltv
        self._audit = audit_service
        self.renew_within = timedelta(days=renew_within_days)
        self._now = now

    def renew_folder(self, ctx: RequestContext, folder: Path, *, recursive: bool = False,
                     dry_run: bool = False) -> list[ArchiveOutcome]:
        if not folder.is_dir():
            raise NotADirectoryError(20, "not a directory", str(folder))
        return [self.renew_file(ctx, p, dry_run=dry_run) for p in pdf_files(folder, recursive)]

    def renew_file(self, ctx: RequestContext, path: Path, *, dry_run: bool = False) -> ArchiveOutcome:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return self._failed(ctx, path, None, ArchiveFileError.of(exc), None, audited=not dry_run)
        sha_in = hashlib.sha256(data).hexdigest()
        last = None
        try:
            if data.lstrip()[:5] != b"%PDF-":
                raise NotAPdf(Message("Tệp không phải là tệp PDF.", "The file is not a PDF."))
            last = last_timestamp(data)
            if last is not None and last.tsa_not_after > self._now() + self.renew_within:
                return ArchiveOutcome(path, NOT_DUE, _expiry(last), tsa_not_after=last.tsa_not_after)
            if dry_run:
                return ArchiveOutcome(path, DUE, _due_reason(last), tsa_not_after=_na(last))
            result = self._ltv.renew(data)
            new_last = last_timestamp(result.data)
        except SignsvcError as exc:
            return self._failed(ctx, path, sha_in, exc, last, audited=not dry_run)
        except (ValueError, KeyError, TypeError, IndexError) as exc:  # a damaged signature structure
            log.info("archive renew %s: %s", path.name, exc)
            return self._failed(ctx, path, sha_in, MalformedPdf(), last, audited=not dry_run)
        sha_out = hashlib.sha256(result.data).hexdigest()
        try:
            tmp = _stage(path, result.data)
        except OSError as exc:
            return self._failed(ctx, path, sha_in, ArchiveFileError.of(exc), last)
        try:
            if hashlib.sha256(path.read_bytes()).hexdigest() != sha_in:
                raise FileChangedMeanwhile()
            # audited before the rename: a renewal that cannot be audited is not written
            record = audit(self._audit, ctx, AuditTag.ARCHIVE_DOCUMENT_RENEWED,
                           AuditOutcome.SUCCESS,
                           input_sha256=sha_in, output_sha256=sha_out, level=result.level,
                           details={"file": path.name[:200],
                                    "tsa_not_after": _iso(_na(last)),
                                    "new_tsa_not_after": _iso(_na(new_last)),
                                    "document_timestamps_added": result.document_timestamps_added,
                                    "dss_written": result.dss_written})
            _commit(tmp, path)
        except FileChangedMeanwhile as exc:
            tmp.unlink(missing_ok=True)
            return self._failed(ctx, path, sha_in, exc, last)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            return self._failed(ctx, path, sha_in, ArchiveFileError.of(exc), last)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return ArchiveOutcome(path, RENEWED, _due_reason(last), tsa_not_after=_na(last),
                              new_tsa_not_after=_na(new_last), audit_sequence=record.sequence)

    def _failed(self, ctx, path: Path, sha_in: str | None, exc: SignsvcError,
                last: LastTimestamp | None, *, audited: bool = True) -> ArchiveOutcome:
        """A failure outcome, audited unless this is a dry run (nothing was attempted)."""
        if audited:
            audit(self._audit, ctx, AuditTag.ARCHIVE_DOCUMENT_RENEW_FAILED,
                  AuditOutcome.DENIED if exc.status < 500 else AuditOutcome.FAILURE,
                  error_code=exc.code, input_sha256=sha_in, details={"file": path.name[:200]})
        return ArchiveOutcome(path, FAILED, exc.message, error_code=exc.code, tsa_not_after=_na(last))


def _na(last: LastTimestamp | None) -> datetime | None:
    return last.tsa_not_after if last else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _expiry(last: LastTimestamp) -> Message:
    return Message(f"chứng thư TSA của dấu thời gian cuối hết hạn ngày {last.tsa_not_after:%Y-%m-%d}",
                   f"the last timestamp's TSA certificate expires on {last.tsa_not_after:%Y-%m-%d}")


def _due_reason(last: LastTimestamp | None) -> Message:
    if last is None:
        return Message("chữ ký cuối chưa có dấu thời gian", "the last signature has no timestamp")
    return _expiry(last)


def format_report(outcomes: Iterable[ArchiveOutcome], renew_within_days: int, *,
                  dry_run: bool = False) -> str:
    """The report for people, Vietnamese first: one line per file, then the totals."""
    outcomes = list(outcomes)
    lines = []
    label = {RENEWED: "Đã gia hạn / renewed", DUE: "Cần gia hạn / due",
             NOT_DUE: "Chưa đến hạn / not due", FAILED: "Lỗi / failed"}
    for o in outcomes:
        line = f"{label[o.status]}: {o.path}"
        if o.error_code:
            line += f" [{o.error_code}]"
        if o.reason:
            line += f" — {o.reason.vi} / {o.reason.en}"
        if o.status == RENEWED and o.new_tsa_not_after:
            line += (f"; dấu thời gian mới đến / new timestamp until {o.new_tsa_not_after:%Y-%m-%d}"
                     f" (audit #{o.audit_sequence})")
        lines.append(line)
    n = {s: sum(o.status == s for o in outcomes) for s in (RENEWED, DUE, NOT_DUE, FAILED)}
    done = n[DUE] if dry_run else n[RENEWED]
    lines.append(
        f"Tổng cộng {len(outcomes)} tệp (gia hạn khi chứng thư TSA hết hạn trong {renew_within_days} ngày): "
        f"{'cần gia hạn' if dry_run else 'đã gia hạn'} {done}, chưa đến hạn {n[NOT_DUE]}, lỗi {n[FAILED]}.")
    lines.append(
        f"Total {len(outcomes)} file(s) (renewing when the TSA certificate expires within "
        f"{renew_within_days} days): {'due' if dry_run else 'renewed'} {done}, "
        f"not due {n[NOT_DUE]}, failed {n[FAILED]}.")
    return "\n".join(lines)
