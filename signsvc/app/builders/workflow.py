"""Browser signing: documents awaiting officials, three-step signing sessions, and agents
that sign the whole file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from signsvc.adapters.clients_sql import SqlClientStore
from signsvc.adapters.pdf_render import render_page_png
from signsvc.adapters.pdftotext_words import pdftotext_words
from signsvc.app.builders import stores
from signsvc.app.builders.signing import SigningParts
from signsvc.names import Role
from signsvc.services.audit_service import AuditService
from signsvc.services.document_service import DocumentService
from signsvc.services.image_service import ImageService
from signsvc.services.policy_service import PolicyService
from signsvc.services.session_service import SessionService
from signsvc.services.wholefile_service import WholeFileService
from signsvc.settings import Settings


@dataclass(frozen=True)
class Workflow:
    documents: DocumentService
    sessions: SessionService
    whole_file: WholeFileService


def is_official(client_store: SqlClientStore) -> Callable[[str], bool]:
    """Whether a client name is an official's account (read on each call)."""
    def check(name: str) -> bool:
        return any(c.name == name and c.role == Role.OFFICIAL for c in client_store.list())
    return check


def build_workflow(settings: Settings, audit: AuditService, policy: PolicyService,
                   parts: SigningParts, client_store: SqlClientStore,
                   images: ImageService) -> Workflow:
    """Documents, sessions (with the visible-signature images and the B-LT material the
    signer's level needs; expired sessions purged now) and whole-file signing."""
    store = stores.workflow_store(settings)
    documents = DocumentService(store, audit, is_official(client_store),
                                settings.service.max_document_bytes, render=render_page_png)
    sessions = SessionService(store, documents, policy, audit,
                              timestamper=parts.timestamper,
                              intermediates=tuple(parts.trust.intermediates),
                              ttl_seconds=settings.pages.signing_session_seconds,
                              timeout_seconds=settings.service.signing_timeout_seconds)
    sessions.purge()
    sessions.use_appearance(images, settings.appearance, page_words=pdftotext_words)
    sessions.use_ltv(parts.ltv)
    documents.use_history(parts.validator.validate)   # versions, verdict now (officials' pages)
    return Workflow(documents=documents, sessions=sessions,
                    whole_file=WholeFileService(store, documents, parts.validator.validate, audit))
