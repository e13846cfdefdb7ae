"""What console commands (``signsvc.cli``) need without starting the whole service: no
keys opened unless asked, no checkpoint thread. Everything here is assembled by the
builders of the composition root, from the settings alone; the command line constructs
no adapter itself."""

from __future__ import annotations

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.app.builders import stores
from signsvc.app.builders.audit import checking_checkpoints, console_audit, export_checker
from signsvc.app.builders.clients import build_clients, build_login
from signsvc.app.builders.features import build_batch
from signsvc.app.builders.keys import open_keys
from signsvc.app.builders.policy import (
    POLICY_CHECK_SECONDS,
    policy_in_force_text,
    policy_or_none,
    read_policy_file,
    record_policy,
)
from signsvc.app.builders.signing import build_validator, load_trust
from signsvc.policy.engine import Policy
from signsvc.services.audit_service import AuditService
from signsvc.services.batch_service import BatchService
from signsvc.services.client_service import ClientService
from signsvc.services.login_service import LoginService
from signsvc.services.validation_service import ValidationService
from signsvc.settings import Settings
from signsvc.validation.trust import TrustAnchors

__all__ = [
    "POLICY_CHECK_SECONDS",
    "checking_checkpoints",
    "console_audit",
    "console_batch",
    "console_clients",
    "console_login",
    "console_verification",
    "export_checker",
    "load_trust",
    "open_audit_log",
    "open_keys",
    "policy_in_force_text",
    "policy_or_none",
    "read_policy_file",
    "record_policy",
    "register_certificate",
]

NO_POLICY = Policy(version="(none)", sha256="", default_eservice="level3", rules=())
"""What batch verification applies when no policy was ever loaded (no intake rules)."""


def open_audit_log(settings: Settings) -> SqlAuditStore:
    """The audit log itself (verify, acknowledge); the caller closes it."""
    return stores.audit_store(settings)


def console_clients(settings: Settings, audit: AuditService) -> ClientService:
    """Clients, which may be given any configured key (keys are not opened)."""
    return build_clients(stores.client_store(settings), audit, (k.id for k in settings.keys))


def console_login(settings: Settings, audit: AuditService) -> LoginService:
    """Page accounts: passwords and TOTP secrets."""
    return build_login(settings, stores.client_store(settings), audit)


def register_certificate(settings: Settings, client: str, sha256: str, subject: str) -> None:
    """Record a certificate (by SHA-256) as ``client``'s (an official's own token)."""
    stores.workflow_store(settings).register_certificate(client, sha256, subject)


def console_verification(settings: Settings) -> tuple[ValidationService, TrustAnchors]:
    """Verification of one document, audited, its report stamped with the policy known
    (if any); and the trust store it uses (the console names it)."""
    trust = load_trust(settings)
    validator = build_validator(settings, trust, policy_or_none(settings))
    return ValidationService(validator, console_audit(settings)), trust


def console_batch(settings: Settings) -> BatchService:
    """Batch verification under the intake rules of the policy known (``NO_POLICY`` when
    none ever loaded), with the service's bounds."""
    policy = policy_or_none(settings) or NO_POLICY
    trust = load_trust(settings)
    validator = build_validator(settings, trust, policy)
    return build_batch(settings, validator, console_audit(settings), lambda: policy)
