"""Idempotent retries (``Idempotency-Key``) of signing, extension and session completion."""

from __future__ import annotations

from signsvc.app.builders import stores
from signsvc.services.audit_service import AuditService
from signsvc.services.idempotency import IdempotencyService
from signsvc.settings import Settings


def build_idempotency(settings: Settings, audit: AuditService) -> IdempotencyService:
    """Keys and stored answers in the ``idempotency`` database, kept ``[idempotency]
    ttl_seconds``; a request in progress holds its key ``in_progress_seconds`` at most."""
    cfg = settings.idempotency
    return IdempotencyService(stores.idempotency_store(settings), audit,
                              ttl_seconds=cfg.ttl_seconds,
                              lease_seconds=cfg.in_progress_seconds)
