"""Composition root: the only place where adapters are wired into the domain's ports."""

from __future__ import annotations

import logging
import os

from flask import Flask

from signsvc.adapters.audit_sqlite import SqliteAuditStore
from signsvc.adapters.clients_sqlite import SqliteClientStore
from signsvc.adapters.pkcs11_keys import Pkcs11Key, Pkcs11Modules
from signsvc.adapters.software_keys import SoftwareKey
from signsvc.keys.registry import KeyRegistry
from signsvc.services.audit_service import AuditService
from signsvc.services.client_service import ClientService
from signsvc.services.container import Services
from signsvc.services.readiness import ReadinessService
from signsvc.services.signing_service import SigningService
from signsvc.services.validation_service import ValidationService
from signsvc.settings import Settings, load_settings
from signsvc.signing.pades import PadesSigner
from signsvc.signing.timestamps import make_timestamper, validation_context_factory
from signsvc.validation.trust import load_trust_anchors
from signsvc.validation.validator import PdfValidator

log = logging.getLogger(__name__)


def open_keys(settings: Settings) -> KeyRegistry:
    """Open every configured key once; a bad key stops start-up with a ``ConfigError``."""
    if settings.pkcs11.softhsm2_conf is not None:
        os.environ.setdefault("SOFTHSM2_CONF", str(settings.pkcs11.softhsm2_conf))
    modules = Pkcs11Modules()
    opened = []
    try:
        for spec in settings.keys:
            if spec.backend == "pkcs11":
                opened.append(Pkcs11Key(spec, modules.get(str(spec.module)),
                                        settings.pkcs11.sessions_per_key))
            else:
                opened.append(SoftwareKey(spec))
    except Exception:
        for key in opened:
            key.close()
        raise
    return KeyRegistry(opened)


def build_services(settings: Settings) -> Services:
    """Everything the service needs, built once at start-up."""
    # pyHanko logs a full traceback at WARNING for every untrusted or revoked signer it
    # validates; that outcome is in the report already.
    logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)
    trust = load_trust_anchors(settings.trust.name, settings.trust.anchors,
                               settings.trust.intermediates, settings.trust.allow_sha1_roots)
    audit_store = SqliteAuditStore(settings.audit.path)
    audit = AuditService(audit_store)
    client_store = SqliteClientStore(settings.service.state_dir / "signsvc.sqlite3")
    keys = open_keys(settings)
    pades = PadesSigner(make_timestamper(settings.timestamp.urls, settings.timestamp.timeout_seconds),
                        validation_context_factory(trust.anchors, trust.intermediates))
    validator = PdfValidator(trust, policy_sha256=None, allow_fetching=settings.trust.allow_fetching,
                             revocation_mode=settings.trust.revocation)

    def close() -> None:
        keys.close()
        audit_store.close()

    return Services(
        settings=settings,
        audit=audit,
        clients=ClientService(client_store, audit, {k.info.id for k in keys}),
        signing=SigningService(keys, pades, audit),
        validation=ValidationService(validator, audit),
        readiness=ReadinessService(keys, {"audit": audit_store.check, "clients": client_store.check}),
        trust_anchors_name=trust.name,
        trust_anchors_sha256=trust.sha256,
        close=close,
    )


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """The Flask app; builds settings and services unless given (tests give their own)."""
    from signsvc.web import create_web_app

    settings = settings or load_settings()
    services = services or build_services(settings)
    return create_web_app(services)
