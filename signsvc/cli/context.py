"""What every ``signsvc`` command shares: the request context of the operator at the
console (actor ``cli:<user>``, address ``local``), the policy in force and the audit log.

Every command module imports this one; none imports another command module. What a
command runs is assembled by the composition root (``signsvc.app.console`` or
``signsvc.app.build_services``): no command constructs an adapter.
"""

from __future__ import annotations

import getpass
import uuid
from pathlib import Path

from signsvc.app import console
from signsvc.names import Role
from signsvc.policy.engine import Policy
from signsvc.services.audit_service import AuditService
from signsvc.services.context import RequestContext
from signsvc.settings import Settings


def request_context(keys: tuple[str, ...] = (), role: str = Role.ADMIN) -> RequestContext:
    """A fresh request id, actor ``cli:<user>``, the given role and keys."""
    return RequestContext(request_id=uuid.uuid4().hex, actor=f"cli:{getpass.getuser()}",
                          role=role, client_address="local", keys=keys)


def policy_or_none(settings: Settings) -> Policy | None:
    """The policy file's policy, else the last one in force, else None."""
    return console.policy_or_none(settings)


def audit_service(settings: Settings) -> AuditService:
    """The audit log, stamping each record with the policy hash when a policy is known."""
    return console.console_audit(settings)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder renamed into
    place: a reader never sees a half-written output file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
