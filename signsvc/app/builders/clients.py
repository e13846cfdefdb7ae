"""API clients and page accounts: the client service and the page-login service."""

from __future__ import annotations

from collections.abc import Iterable

from signsvc.adapters.clients_sql import SqlClientStore
from signsvc.app.builders import stores
from signsvc.services.audit_service import AuditService
from signsvc.services.client_service import ClientService
from signsvc.services.login_service import LoginService
from signsvc.settings import Settings


def build_clients(client_store: SqlClientStore, audit: AuditService,
                  key_ids: Iterable[str]) -> ClientService:
    """Clients may be given only the keys in ``key_ids`` (the configured keys)."""
    return ClientService(client_store, audit, set(key_ids))


def build_login(settings: Settings, client_store: SqlClientStore,
                audit: AuditService) -> LoginService:
    """Page logins: passwords, TOTP secrets (encrypted with ``paths.totp_key``), throttling."""
    return LoginService(client_store, audit, stores.login_store(settings), settings.pages)
