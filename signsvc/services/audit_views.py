"""Audit records and checkpoints as the web layer hands them out: the event type a
boundary records, and a checkpoint with its signature and timestamp token (base64 DER)
as ``signsvc audit export`` writes it (import rule: web imports services, not the domain)."""

from __future__ import annotations

from signsvc.audit.events import AuditEvent
from signsvc.audit.export import checkpoint_dict

__all__ = ["AuditEvent", "checkpoint_dict"]
