"""Documents awaiting an official's signature: created by a portal, clerk or admin for one
official, visible to that official, its creator and auditors, previewed page by page.

Every creation and download is audited (a rejected creation too); the content is stored
with its SHA-256 and the document's revision, which the three-step signing sessions
(``signsvc.services.session_service``) advance.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from signsvc import errors
from signsvc.audit_tags import AuditTag
from signsvc.errors import Message, SignsvcError
from signsvc.names import AuditOutcome
from signsvc.permissions import Permission, may
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.services.document_history import DocumentHistory
from signsvc.sessions import layout
from signsvc.sessions.model import StoredDocument
from signsvc.signing.pdf_input import open_for_signing

#: resolutions a page preview is rendered at (small screens, fitted width, zoomed in)
PREVIEW_DPI = (60, 100, 150, 200)


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """``moment`` as stored by the workflow store (ISO 8601, microseconds): such strings of
    one timezone sort as the moments do."""
    return moment.isoformat(timespec="microseconds")


class DocumentService:
    def __init__(self, store: Any, audit_service: AuditService,
                 is_official: Callable[[str], bool], max_bytes: int,
                 render: Callable[[bytes, int, int], bytes] | None = None) -> None:
        self._store = store
        self._audit = audit_service
        self._is_official = is_official
        self._max = max_bytes
        self._render = render
        self._previews: dict[tuple[str, int, int], bytes] = {}
        self.history: DocumentHistory | None = None

    def use_history(self, validate: Callable[[bytes], Any]) -> None:
        """Offer each document's versions, what the caller signed and the verdict of each
        version now (``signsvc.services.document_history``); ``validate`` maps a PDF to
        its validation report."""
        self.history = DocumentHistory(self._store, self.visible, self._audit, validate)

    def reject(self, ctx: RequestContext, error: SignsvcError) -> None:
        """Audit an upload refused before ``create`` (too large, not a PDF, bad form)."""
        audit(self._audit, ctx, AuditTag.DOCUMENTS_DOCUMENT_REJECTED, AuditOutcome.FAILURE,
              error_code=error.code)

    def create(self, ctx: RequestContext, data: bytes, title: str, number: str,
               assignee: str) -> StoredDocument:
        """A document waiting for ``assignee``'s signature (an official's account)."""
        sha = hashlib.sha256(data).hexdigest()
        try:
            for name, value, limit in (("title", title, 300), ("number", number, 100),
                                       ("assignee", assignee, 63)):
                if not value or len(value) > limit:
                    raise errors.BadRequest(Message(f"Thiếu hoặc quá dài: '{name}'.",
                                                    f"'{name}' is missing or too long."), parameter=name)
            if not self._is_official(assignee):
                raise errors.BadRequest(Message(f"'{assignee}' không phải tài khoản cán bộ ký.",
                                                f"'{assignee}' is not an official's account."),
                                        parameter="assignee")
            pdf = open_for_signing(data)
        except SignsvcError as exc:
            audit(self._audit, ctx, AuditTag.DOCUMENTS_DOCUMENT_REJECTED, AuditOutcome.FAILURE,
                  error_code=exc.code,
                  input_sha256=sha)
            raise
        now = iso(utc_now())
        doc = StoredDocument(id=secrets.token_urlsafe(12), title=title, number=number,
                             assignee=assignee, created_by=ctx.actor or "", revision=1, sha256=sha,
                             pages=pdf.pages, state="awaiting", created_at=now, updated_at=now)
        self._store.add_document(doc, data)
        audit(self._audit, ctx, AuditTag.DOCUMENTS_DOCUMENT_CREATED, AuditOutcome.SUCCESS,
              input_sha256=sha,
              details={"document_id": doc.id, "assignee": assignee})
        return doc

    def visible(self, ctx: RequestContext, doc_id: str) -> StoredDocument:
        """The document if ``ctx`` may see it (its official, its creator, auditors)."""
        doc = self._store.document(doc_id)
        if doc is None or not (ctx.actor in (doc.assignee, doc.created_by)
                               or may(ctx.role, Permission.READ_ANY_DOCUMENT)):
            raise errors.NotFound(Message("Không tìm thấy tài liệu.", "Document not found."))
        return doc

    def content(self, ctx: RequestContext, doc_id: str) -> tuple[StoredDocument, bytes]:
        doc = self.visible(ctx, doc_id)
        data = self._store.document_content(doc_id) or b""
        audit(self._audit, ctx, AuditTag.DOCUMENTS_DOCUMENT_DOWNLOADED, AuditOutcome.SUCCESS,
              output_sha256=doc.sha256,
              details={"document_id": doc_id, "revision": doc.revision})
        return doc, data

    def preview(self, ctx: RequestContext, doc_id: str, page: int = 1, dpi: int = 60) -> bytes:
        """PNG of ``page`` (1-based) of the current revision at ``dpi`` (one of
        ``PREVIEW_DPI``, else 400), rendered by pdftoppm (bounded in time by the renderer);
        cached by (SHA-256, page, dpi), at most 64 images kept. A page the document does not
        have is 404."""
        if dpi not in PREVIEW_DPI:
            raise errors.BadRequest(Message(
                f"Độ phân giải ảnh trang phải là một trong {', '.join(map(str, PREVIEW_DPI))}.",
                f"The preview resolution must be one of {', '.join(map(str, PREVIEW_DPI))}."),
                parameter="dpi")
        doc = self.visible(ctx, doc_id)
        if self._render is None:
            raise errors.NotReady()
        if not 1 <= page <= doc.pages:
            raise errors.NotFound(Message(f"Tài liệu không có trang {page} (có {doc.pages} trang).",
                                          f"The document has no page {page} (it has {doc.pages})."))
        png = self._previews.get((doc.sha256, page, dpi))
        if png is None:
            png = self._render(self._store.document_content(doc_id) or b"", page, dpi)
            if len(self._previews) >= 64:
                self._previews.clear()
            self._previews[(doc.sha256, page, dpi)] = png
        return png

    def page_layout(self, ctx: RequestContext, doc_id: str, page: int) -> dict[str, Any]:
        """The box of ``page`` as its preview shows it (PDF points), to turn a click on the
        preview into a signature rectangle; 404 for a page the document does not have."""
        doc = self.visible(ctx, doc_id)
        if not 1 <= page <= doc.pages:
            raise errors.NotFound(Message(f"Tài liệu không có trang {page} (có {doc.pages} trang).",
                                          f"The document has no page {page} (it has {doc.pages})."))
        return layout.page_layout(self._store.document_content(doc_id) or b"", doc.pages, page).as_dict()

    def empty_fields(self, ctx: RequestContext, doc_id: str) -> list[dict[str, Any]]:
        """The document's empty, visible signature fields (name, page, rectangle)."""
        self.visible(ctx, doc_id)
        return [f.as_dict() for f in layout.empty_fields(self._store.document_content(doc_id) or b"")]

    def awaiting(self, ctx: RequestContext) -> list[StoredDocument]:
        return self._store.documents_for(ctx.actor or "", "awaiting")
