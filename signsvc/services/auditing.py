"""One helper to record an event for a request: every service audits the same way."""

from __future__ import annotations

from typing import Any

from signsvc.audit.events import AuditEvent, AuditRecord
from signsvc.services.audit_service import AuditService
from signsvc.services.context import RequestContext


def audit(service: AuditService, ctx: RequestContext, action: str, outcome: str,
          **fields: Any) -> AuditRecord:
    """Append one record for ``ctx``; raises ``AuditUnavailable`` if it cannot be committed.
    A request from a page session also records the session's reference (``details.session``)."""
    if ctx.session:
        fields["details"] = {"session": ctx.session, **(fields.get("details") or {})}
    return service.record(AuditEvent(
        action=action, outcome=outcome, actor=ctx.actor, role=ctx.role,
        request_id=ctx.request_id, client_address=ctx.client_address, **fields))
