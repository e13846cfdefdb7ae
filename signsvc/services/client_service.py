"""Create API clients and authenticate bearer tokens; both audited."""

from __future__ import annotations

from signsvc.audit_tags import AuditTag
from signsvc.clients.model import Client, ClientStore, new_token, token_hash, validate_client
from signsvc.errors import Forbidden, Message, NotFound, SignsvcError, Unauthenticated
from signsvc.names import AuditOutcome
from signsvc.permissions import Permission, roles_for
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext


class ClientService:
    def __init__(self, store: ClientStore, audit_service: AuditService, known_keys: set[str]) -> None:
        self._store = store
        self._audit = audit_service
        self._known_keys = known_keys

    def create(self, name: str, role: str, keys: tuple[str, ...],
               ctx: RequestContext) -> tuple[Client, str]:
        """Create a client; returns it with its token (shown once, stored as a hash)."""
        try:
            validate_client(name, role, keys, self._known_keys)
            token = new_token()
            client = self._store.create(name, role, keys, token_hash(token))
        except SignsvcError as exc:
            audit(self._audit, ctx, AuditTag.CLIENTS_CLIENT_CREATED, AuditOutcome.FAILURE,
                  error_code=exc.code,
                  details={"name": name, "client_role": role})
            raise
        audit(self._audit, ctx, AuditTag.CLIENTS_CLIENT_CREATED, AuditOutcome.SUCCESS,
              details={"name": name, "client_role": role, "keys": ",".join(keys)})
        return client, token

    def authenticate(self, authorization: str | None, ctx: RequestContext) -> Client:
        """The client owning the ``Bearer`` token, or ``Unauthenticated`` (audited)."""
        token = None
        if authorization and authorization[:7].lower() == "bearer ":
            token = authorization[7:].strip()
        client = self._store.by_token_hash(token_hash(token)) if token else None
        if client is None:
            audit(self._audit, ctx, AuditTag.AUTH_TOKEN_REJECTED, AuditOutcome.DENIED,
                  error_code="unauthenticated",
                  details={"reason": "missing" if not token else "unknown-token"})
            raise Unauthenticated()
        return client

    def require(self, ctx: RequestContext, permission: Permission, action: str) -> None:
        """``Forbidden`` (audited, ``action`` named as attempted) unless the caller's role has
        ``permission`` in the permissions table."""
        self.require_role(ctx, roles_for(permission), action)

    def require_role(self, ctx: RequestContext, roles: tuple[str, ...], action: str) -> None:
        """``Forbidden`` (audited) unless the caller has one of ``roles``."""
        if ctx.role not in roles:
            audit(self._audit, ctx, AuditTag.AUTH_ACCESS_DENIED, AuditOutcome.DENIED,
                  error_code="forbidden",
                  details={"attempted": action})
            raise Forbidden()

    def find(self, name: str) -> Client:
        """The client called ``name`` or ``NotFound``."""
        client = next((c for c in self._store.list() if c.name == name), None)
        if client is None:
            raise NotFound(Message(f"Không có máy khách '{name}'.", f"There is no client '{name}'."))
        return client

    def set_role(self, ctx: RequestContext, name: str, role: str) -> Client:
        """Change a client's role (audited with the old and new role); its page sessions and
        its token see the new role at their next request."""
        old = self.find(name)
        try:
            validate_client(name, role, (), self._known_keys)
            if not self._store.set_role(name, role):
                raise NotFound(Message(f"Không có máy khách '{name}'.", f"There is no client '{name}'."))
        except SignsvcError as exc:
            audit(self._audit, ctx, AuditTag.CLIENTS_CLIENT_ROLE_CHANGED, AuditOutcome.FAILURE,
                  error_code=exc.code,
                  details={"name": name, "client_role": role})
            raise
        audit(self._audit, ctx, AuditTag.CLIENTS_CLIENT_ROLE_CHANGED, AuditOutcome.SUCCESS,
              details={"name": name, "old_role": old.role, "client_role": role})
        return self.find(name)

    def disable(self, ctx: RequestContext, name: str) -> None:
        """Revoke a client for good (audited): its token and page sessions are refused from
        the next request on."""
        if not self._store.disable(name):
            audit(self._audit, ctx, AuditTag.CLIENTS_CLIENT_DISABLED, AuditOutcome.FAILURE,
                  error_code="not-found",
                  details={"name": name})
            raise NotFound(Message(f"Không có máy khách '{name}'.", f"There is no client '{name}'."))
        audit(self._audit, ctx, AuditTag.CLIENTS_CLIENT_DISABLED, AuditOutcome.SUCCESS,
              details={"name": name})

    def list(self) -> list[Client]:
        return self._store.list()
