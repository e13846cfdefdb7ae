"""Password login for the signing pages (officials, clerks) and the auditor's pages;
audited either way."""

from __future__ import annotations

from signsvc.clients.model import Client, check_password, hash_password
from signsvc.errors import BadRequest, Message, Unauthenticated
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext

PAGE_ROLES = ("official", "clerk", "auditor")   # auditors: signsvc.web.pages_auditor
MIN_PASSWORD = 12


class LoginService:
    def __init__(self, store, audit_service: AuditService) -> None:
        self._store = store
        self._audit = audit_service

    def login(self, ctx: RequestContext, name: str, password: str) -> Client:
        """The client if the password matches and its role may use the pages."""
        client = self._store.by_name(name[:64]) if name else None
        ok = check_password(password[:1024], self._store.password_hash(client.name) if client else None)
        if not ok or client is None or client.role not in PAGE_ROLES:
            audit(self._audit, ctx, "auth:login:failed", "denied", error_code="unauthenticated",
                  details={"name": name[:64]})
            raise Unauthenticated(Message("Sai tên đăng nhập hoặc mật khẩu.",
                                          "Wrong user name or password."))
        audit(self._audit, RequestContext(ctx.request_id, client.name, client.role, ctx.client_address),
              "auth:login:succeeded", "success")
        return client

    def set_password(self, ctx: RequestContext, name: str, password: str) -> None:
        if self._store.by_name(name) is None:
            raise BadRequest(Message(f"Không có tài khoản '{name}'.", f"There is no account '{name}'."))
        if len(password) < MIN_PASSWORD:
            raise BadRequest(Message(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.",
                                     f"A password needs at least {MIN_PASSWORD} characters."))
        self._store.set_password_hash(name, hash_password(password))
        audit(self._audit, ctx, "clients:password:set", "success", details={"name": name})
