"""What every ``signsvc`` command shares: the request context of the operator at the
console (actor ``cli:<user>``, address ``local``), the policy in force and the audit log.

Every command module imports this one; none imports another command module.
"""

from __future__ import annotations

import getpass
import uuid
from pathlib import Path

from signsvc.adapters.audit_sqlite import open_audit_store
from signsvc.adapters.policy_file import ActivePolicy, load_policy_file
from signsvc.policy.loader import PolicyError, parse_policy
from signsvc.services.audit_service import AuditService
from signsvc.services.context import RequestContext
from signsvc.services.policy_service import PolicyHolder, PolicyStampedAudit
from signsvc.settings import Settings


def request_context(keys: tuple[str, ...] = (), role: str = "admin") -> RequestContext:
    """A fresh request id, actor ``cli:<user>``, the given role and keys."""
    return RequestContext(request_id=uuid.uuid4().hex, actor=f"cli:{getpass.getuser()}",
                          role=role, client_address="local", keys=keys)


def policy_or_none(settings: Settings):
    """The policy file's policy, else the last one in force, else None."""
    known = {k.id for k in settings.keys}
    try:
        return load_policy_file(settings.policy.path, known)
    except PolicyError:
        text = ActivePolicy(settings.service.state_dir).last_good()
        return parse_policy(text, known) if text is not None else None


def audit_service(settings: Settings):
    """The audit log, stamping each record with the policy hash when a policy is known."""
    store = open_audit_store(settings)
    policy = policy_or_none(settings)
    return PolicyStampedAudit(store, PolicyHolder(policy)) if policy else AuditService(store)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder renamed into
    place: a reader never sees a half-written output file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
