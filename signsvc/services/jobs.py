"""Batch signing jobs (``POST /v1/jobs``): many PDFs, one key and one signature request,
signed in the background by ``JobWorkers`` through the same ``SigningService.sign`` as
``/v1/sign`` (grant, policy, audit, fail closed), one document at a time.

Guarantees:

- a job is accepted (and audited ``jobs:job:created``) only within ``[jobs]`` bounds and
  with a key granted to the client; its PDFs are committed to the queue before the answer;
- only the client that created a job, or an admin, sees, downloads or cancels it (anyone
  else: 404, as for a job that does not exist);
- a document is signed as its creator is *now* (role and grants read when it is signed:
  a client disabled or no longer granted the key gets a per-document problem, audited);
- a claimed document whose worker died is claimed again once its lease ends, so a job
  survives the instance that accepted it; a document is signed once per claim -- only a
  crash between its audit record's commit and the result's (milliseconds) signs it again,
  both audited;
- cancelling (audited ``jobs:job:cancelled``) leaves signed documents downloadable; no
  pending document is signed after it (one being signed at that moment completes).
"""

from __future__ import annotations

import io
import logging
import secrets
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from signsvc.audit_tags import AuditTag
from signsvc.errors import (
    AuditUnavailable,
    BadRequest,
    DocumentTooLarge,
    Forbidden,
    JobDocumentNotReady,
    JobNotFound,
    KeyNotPermitted,
    Message,
    SignsvcError,
    problem_from,
)
from signsvc.names import AuditOutcome, Role
from signsvc.permissions import Permission, may
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.client_service import ClientService
from signsvc.services.context import RequestContext
from signsvc.services.signing_requests import SignatureRequest, parse_appearance
from signsvc.services.signing_service import SigningService

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED, CANCELLED = "pending", "running", "done", "failed", "cancelled"
NAME_MAX = 200


@dataclass(frozen=True)
class JobDocument:
    """One document of a job and where it is."""

    n: int
    name: str
    state: str
    input_sha256: str
    sha256: str | None = None
    level: str | None = None
    audit_sequence: int | None = None
    problem: dict[str, Any] | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Job:
    """A job as stored; ``status`` and the counts are derived from its documents."""

    id: str
    client: str
    state: str                      # 'active' | 'cancelled'
    key_id: str
    level: str
    total: int
    created_at: float
    cancelled_at: float | None = None
    documents: tuple[JobDocument, ...] = ()

    def count(self, state: str) -> int:
        return sum(1 for d in self.documents if d.state == state)

    @property
    def status(self) -> str:
        """pending (nothing started), running, completed (every document done or failed),
        cancelled."""
        if self.state == CANCELLED:
            return CANCELLED
        if self.count(DONE) + self.count(FAILED) == self.total:
            return "completed"
        if any(d.state != PENDING for d in self.documents):
            return "running"
        return PENDING


@dataclass(frozen=True)
class NewJob:
    id: str
    client: str
    key_id: str
    level: str
    request: dict[str, Any]          # reason, location, field_name, eservice, appearance
    context: dict[str, Any]          # role, client_address, request_id of the creation
    created_at: float
    files: tuple[tuple[str, bytes], ...] = field(default=())
    refused: dict[int, dict[str, Any]] = field(default_factory=dict)  # n -> problem (intake)


@dataclass(frozen=True)
class Claimed:
    """A document claimed by a worker (``owner``) until its lease ends."""

    job_id: str
    n: int
    name: str
    owner: str
    client: str
    key_id: str
    level: str
    request: dict[str, Any]
    context: dict[str, Any]
    data: bytes


class JobStore(Protocol):
    """Jobs and the queue of their documents, shared by every worker and instance."""

    def create(self, job: NewJob) -> None: ...
    def get(self, job_id: str) -> Job | None: ...
    def output(self, job_id: str, n: int) -> bytes | None: ...
    def outputs(self, job_id: str) -> Iterator[tuple[int, str, bytes]]: ...
    def cancel(self, job_id: str, now: float) -> int: ...
    def claim(self, now: float, lease_seconds: float) -> Claimed | None: ...
    def finish(self, doc: Claimed, now: float, *, output: bytes, sha256: str, level: str,
               audit_sequence: int) -> bool: ...
    def fail(self, doc: Claimed, now: float, problem: dict[str, Any]) -> bool: ...
    def purge(self, before: float) -> int: ...
    def depth(self) -> int: ...


class FolderReader(Protocol):
    """The PDFs of a folder on the server (``[jobs] server_folders_root``)."""

    def read_pdfs(self, name: str, check: Callable[[int, int], None],
                  max_total_bytes: int) -> list[tuple[str, bytes]]: ...


def _name(raw: str | None, n: int) -> str:
    """The file's own name (no folder), printable, at most 200 characters."""
    base = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:NAME_MAX] or f"document-{n}.pdf"


class JobService:
    """Create, read, download and cancel jobs; ``process_one`` signs the next document."""

    def __init__(self, store: JobStore, signing: SigningService, clients: ClientService,
                 audit_service: AuditService, *, max_files: int, max_total_bytes: int,
                 max_document_bytes: int, lease_seconds: float, keep_seconds: float = 7 * 86400,
                 clock: Callable[[], float] = time.time,
                 folders: FolderReader | None = None) -> None:
        self._store = store
        self._folders = folders
        self._signing = signing
        self._clients = clients
        self._audit = audit_service
        self.max_files = max_files
        self.max_total_bytes = max_total_bytes
        self.max_document_bytes = max_document_bytes
        self._lease = lease_seconds
        self._keep = keep_seconds
        self._clock = clock
        self.on_created: Callable[[], None] = lambda: None   # wakes this process's workers

    def check_bounds(self, count: int, total_bytes: int) -> None:
        """``BadRequest`` when there is no file, 413 over ``max_files`` or ``max_total_bytes``."""
        if count == 0:
            raise BadRequest(Message("Không có tệp PDF nào (phần 'file').",
                                     "No PDF was sent (part 'file')."))
        if count > self.max_files:
            raise DocumentTooLarge(Message(
                f"Lô ký có quá nhiều tệp (tối đa {self.max_files}); không tệp nào được ký.",
                f"The job has too many files (at most {self.max_files}); nothing was signed."),
                max_files=self.max_files)
        if total_bytes > self.max_total_bytes:
            mib = self.max_total_bytes / (1024 * 1024)
            raise DocumentTooLarge(Message(
                f"Tổng kích thước lô ký vượt quá {mib:.1f} MiB; không tệp nào được ký.",
                f"The job exceeds {mib:.1f} MiB in total; nothing was signed."),
                max_bytes=self.max_total_bytes)

    def reject(self, ctx: RequestContext, error: SignsvcError, key_id: str | None,
               folder: str | None = None) -> None:
        """Audit a job refused before it was queued (with the folder named, if any)."""
        audit(self._audit, ctx, AuditTag.JOBS_JOB_REJECTED, AuditOutcome.FAILURE,
              error_code=error.code, key_id=(key_id or None) and key_id[:128],
              details={"folder": folder[:300]} if folder is not None else {})

    def create_from_folder(self, ctx: RequestContext, key_id: str, request: SignatureRequest,
                           appearance: dict[str, str], folder: str) -> Job:
        """A job of every ``*.pdf`` in ``folder`` under ``[jobs] server_folders_root``, read
        now (the job does not depend on the folder afterwards). Refused, audited with the
        folder's name: a role without ``sign-server-folder`` or the feature off (403), a
        name outside the root (400/403), no such folder (404), the upload bounds (413)."""
        try:
            if not may(ctx.role, Permission.SIGN_SERVER_FOLDER):
                raise Forbidden(Message(
                    "Chỉ người vận hành (admin) được ký một thư mục trên máy chủ.",
                    "Only an operator (admin) may sign a folder on the server."))
            if self._folders is None:
                raise Forbidden(Message(
                    "Ký thư mục trên máy chủ chưa được bật ([jobs] server_folders_root).",
                    "Signing a folder on the server is not enabled "
                    "([jobs] server_folders_root)."))
            files = self._folders.read_pdfs(folder, self.check_bounds, self.max_total_bytes)
        except SignsvcError as exc:
            self.reject(ctx, exc, key_id, folder)
            raise
        return self.create(ctx, key_id, request, appearance, files, folder=folder)

    def create(self, ctx: RequestContext, key_id: str, request: SignatureRequest,
               appearance: dict[str, str], files: Sequence[tuple[str | None, bytes]],
               folder: str | None = None) -> Job:
        """Queue every file for signing (committed, audited) and return the job. A file
        over ``max_document_bytes`` is a failed document from the start (its problem:
        ``document-too-large``, audited), never queued. ``folder``: the server folder the
        files were read from (signed with ``sign-server-folder``). Refused before anything
        is queued (audited ``jobs:job:rejected``): the bounds, a key not granted, and a
        policy that would deny every document (``SigningService.admit_job``: e.g. the agency
        seal for a role outside ``custody.seal-roles``)."""
        try:
            self.check_bounds(len(files), sum(len(d) for _, d in files))
            if key_id not in ctx.keys:
                raise KeyNotPermitted()
            self._signing.admit_job(ctx, key_id, request)
        except SignsvcError as exc:
            self.reject(ctx, exc, key_id, folder)
            raise
        job = NewJob(
            id=secrets.token_hex(16), client=ctx.actor or "", key_id=key_id, level=request.level,
            request={"reason": request.reason, "location": request.location,
                     "field_name": request.field_name, "eservice": request.eservice,
                     "appearance": dict(appearance),
                     **({"folder": folder} if folder is not None else {})},
            context={"role": ctx.role, "client_address": ctx.client_address,
                     "request_id": ctx.request_id},
            created_at=self._clock(),
            files=tuple((_name(name, n), data) for n, (name, data) in enumerate(files, 1)),
            refused={n: problem_from(DocumentTooLarge(max_bytes=self.max_document_bytes),
                                     None).as_dict()
                     for n, (_, data) in enumerate(files, 1)
                     if len(data) > self.max_document_bytes})
        self._store.create(job)
        audit(self._audit, ctx, AuditTag.JOBS_JOB_CREATED, AuditOutcome.SUCCESS, key_id=key_id,
              level=request.level, details={"job": job.id, "total": len(files),
                                            "refused": len(job.refused),
                                            **({"folder": folder} if folder is not None else {})})
        for n in sorted(job.refused):
            audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_REJECTED, AuditOutcome.FAILURE,
                  error_code=DocumentTooLarge.code, key_id=key_id, level=request.level,
                  details={"job": job.id, "document": n})
        self.on_created()
        return self.get(ctx, job.id)

    def get(self, ctx: RequestContext, job_id: str) -> Job:
        """The job, if ``ctx`` created it or is an admin; else ``JobNotFound``."""
        job = self._store.get(job_id)
        if job is None or (job.client != ctx.actor and ctx.role != Role.ADMIN):
            raise JobNotFound()
        return job

    def document(self, ctx: RequestContext, job_id: str, n: int) -> tuple[str, bytes]:
        """The name and signed PDF of document ``n``; 404 if none, 409 if not signed."""
        job = self.get(ctx, job_id)
        doc = next((d for d in job.documents if d.n == n), None)
        if doc is None:
            raise JobNotFound(Message(f"Lô ký không có tài liệu số {n}.",
                                      f"The job has no document number {n}."))
        data = self._store.output(job_id, n) if doc.state == DONE else None
        if data is None:
            raise JobDocumentNotReady(state=doc.state)
        return doc.name, data

    def zip(self, ctx: RequestContext, job_id: str) -> bytes:
        """A zip of every signed document (``NNN-name``), possibly empty."""
        self.get(ctx, job_id)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for n, name, data in self._store.outputs(job_id):
                zf.writestr(f"{n:03d}-{name}", data)
        return buf.getvalue()

    def cancel(self, ctx: RequestContext, job_id: str) -> Job:
        """Cancel (audited): pending documents are never signed, signed ones stay."""
        self.get(ctx, job_id)
        cancelled = self._store.cancel(job_id, self._clock())
        audit(self._audit, ctx, AuditTag.JOBS_JOB_CANCELLED, AuditOutcome.SUCCESS,
              details={"job": job_id, "cancelled_documents": cancelled})
        return self.get(ctx, job_id)

    def depth(self) -> int:
        """Documents waiting or being signed, across every instance."""
        return self._store.depth()

    def purge(self) -> int:
        """Delete the jobs settled more than ``keep_seconds`` ago, with their PDFs (the
        audit records of their signatures stay); how many."""
        purged = self._store.purge(self._clock() - self._keep)
        if purged:
            log.info("%d finished batch job(s) deleted after their keep time", purged)
        return purged

    def process_one(self) -> bool:
        """Claim the next document and sign it; False when there was none. Signing
        failures become the document's problem (audited by the signing service); when the
        audit log is unavailable the claim is left to expire (signed later, never
        unaudited)."""
        doc = self._store.claim(self._clock(), self._lease)
        if doc is None:
            return False
        ctx = RequestContext(request_id=f"job-{doc.job_id}-{doc.n}", actor=doc.client,
                             role=doc.context.get("role"),
                             client_address=doc.context.get("client_address"))
        try:
            result = self._sign(ctx, doc)
        except AuditUnavailable:
            log.warning("job %s document %d: audit log unavailable; retried after its lease",
                        doc.job_id, doc.n)
            return True
        except SignsvcError as exc:
            self._store.fail(doc, self._clock(), problem_from(exc, None).as_dict())
            return True
        if not self._store.finish(doc, self._clock(), output=result.data, sha256=result.sha256,
                                  level=result.level, audit_sequence=result.audit_sequence):
            log.warning("job %s document %d: claim lost before its result was stored",
                        doc.job_id, doc.n)
        return True

    def _sign(self, ctx: RequestContext, doc: Claimed):  # -> SigningResult
        try:
            client = self._clients.find(doc.client)
            req = doc.request
            if not (may(client.role, Permission.SIGN_DOCUMENT)
                    or (req.get("folder") is not None
                        and may(client.role, Permission.SIGN_SERVER_FOLDER))):
                raise Forbidden()
            request = SignatureRequest(level=doc.level, reason=req.get("reason"),
                                       location=req.get("location"),
                                       field_name=req.get("field_name"),
                                       eservice=req.get("eservice"),
                                       appearance=parse_appearance(req.get("appearance") or {}))
        except SignsvcError as exc:
            audit(self._audit, ctx, AuditTag.SIGNING_DOCUMENT_REJECTED, AuditOutcome.DENIED,
                  error_code=exc.code, key_id=doc.key_id, level=doc.level,
                  details={"job": doc.job_id, "document": doc.n})
            raise
        ctx = ctx.with_client(client.name, client.role, client.keys)
        ctx = RequestContext(ctx.request_id, ctx.actor, ctx.role,
                             doc.context.get("client_address"), ctx.keys)
        return self._signing.sign(ctx, doc.key_id, doc.data, request)
