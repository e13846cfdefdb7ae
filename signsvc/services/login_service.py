"""Password (and TOTP) login for the signing pages (officials, clerks) and the auditor's
pages, with server-side page sessions; every step audited.

Guarantees:
- a login attempt is throttled *before* the password hash is computed (``TooManyAttempts``,
  429, audited) per (account, address) and per address (``signsvc.clients.login``);
- an account whose role is in ``[pages] totp_roles`` (clerks by default, SEC-4), or that has
  a TOTP secret enrolled, gets a page session only after a valid, unused TOTP code; such a
  role without an enrolled secret cannot log in to the pages at all;
- a page session lives in the state database: logout revokes it, and every request re-reads
  the account, so a disabled account, a role that may not use the pages or a clerk session
  without a second factor is refused at the next request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from signsvc.audit_tags import AuditTag
from signsvc.clients.login import (
    PageSession,
    ThrottleRule,
    new_session_id,
    new_totp_secret,
    retry_after,
    session_ref,
    throttle_counters,
    totp_step,
    totp_uri,
)
from signsvc.clients.model import Client, check_password, hash_password
from signsvc.errors import BadRequest, Message, TooManyAttempts, Unauthenticated
from signsvc.names import AuditOutcome
from signsvc.permissions import Permission, roles_for
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.settings.model import PagesSettings

PAGE_ROLES = roles_for(Permission.PAGES_LOGIN)   # official, clerk, auditor (auditor pages too)
MIN_PASSWORD = 12
TOTP_PENDING_SECONDS = 300      # how long the code may be given after the password
TOUCH_EVERY_SECONDS = 60        # last_seen is written at most this often
WRONG = Message("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password.")
WRONG_CODE = Message("Mã xác thực (TOTP) không đúng hoặc đã dùng.",
                     "The authentication code (TOTP) is wrong or was already used.")


@dataclass(frozen=True)
class LoginStep:
    """The result of a login step: the new session id (for the cookie only), the account,
    and whether the TOTP code is still to be given (the session is then not usable)."""

    session_id: str
    client: Client
    needs_totp: bool


@dataclass(frozen=True)
class PageUser:
    """The account of a live page session and the session's reference (for audit records)."""

    client: Client
    session_ref: str


class LoginService:
    def __init__(self, store, audit_service: AuditService, logins=None,
                 pages: PagesSettings | None = None, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._audit = audit_service
        self._logins = logins
        self._pages = pages or PagesSettings()
        self._clock = clock
        p = self._pages
        self._pair = ThrottleRule(p.login_free_failures, p.login_backoff_seconds, p.login_max_backoff_seconds)
        self._per_address = ThrottleRule(p.login_address_free_failures, p.login_backoff_seconds,
                                         p.login_max_backoff_seconds)
        if logins is not None:
            logins.purge(clock())

    def _counters(self, ctx: RequestContext, name: str):
        return throttle_counters(name, ctx.client_address or "-", self._pair, self._per_address)

    def _throttle(self, ctx: RequestContext, name: str, step: str):
        """Count the attempt, or raise ``TooManyAttempts`` (audited) while backing off."""
        counters = self._counters(ctx, name)
        wait = self._logins.attempt(counters, self._clock())
        if wait > 0:
            seconds = retry_after(wait)
            audit(self._audit, ctx, AuditTag.AUTH_LOGIN_THROTTLED, AuditOutcome.DENIED,
                  error_code=TooManyAttempts.code,
                  details={"name": name[:64], "step": step, "retry_after": seconds})
            raise TooManyAttempts(Message(
                f"Đăng nhập sai quá nhiều lần; vui lòng thử lại sau {seconds} giây.",
                f"Too many failed logins; please try again in {seconds} seconds."),
                retry_after=seconds)
        return counters

    def _open(self, ctx: RequestContext, client: Client, stage: str, factor: str | None) -> str:
        now = self._clock()
        sid = new_session_id()
        ttl = TOTP_PENDING_SECONDS if stage == "password" else self._pages.session_minutes * 60
        self._logins.create_session(PageSession(
            ref=session_ref(sid), client=client.name, address=ctx.client_address or "-",
            created_at=now, last_seen=now, expires_at=now + ttl, revoked_at=None, stage=stage,
            second_factor=factor))
        return sid

    def _needs_totp(self, client: Client) -> bool:
        return client.role in self._pages.totp_roles or self._logins.totp(client.name) is not None

    def login(self, ctx: RequestContext, name: str, password: str) -> LoginStep:
        """Check the password (after the throttle); a full session, or a pending one when the
        account needs a TOTP code (``verify_totp``)."""
        name = (name or "")[:64]
        counters = self._throttle(ctx, name, "password")
        client = self._store.by_name(name) if name else None
        ok = check_password(password[:1024], self._store.password_hash(client.name) if client else None)
        if not ok or client is None or client.role not in PAGE_ROLES:
            audit(self._audit, ctx, AuditTag.AUTH_LOGIN_FAILED, AuditOutcome.DENIED,
                  error_code="unauthenticated",
                  details={"name": name})
            raise Unauthenticated(WRONG)
        who = RequestContext(ctx.request_id, client.name, client.role, ctx.client_address)
        if self._needs_totp(client):
            if self._logins.totp(client.name) is None:
                audit(self._audit, who, AuditTag.AUTH_LOGIN_FAILED, AuditOutcome.DENIED,
                      error_code="totp-not-enrolled")
                raise Unauthenticated(Message(
                    "Tài khoản này cần xác thực hai yếu tố (TOTP) nhưng chưa đăng ký; hãy liên hệ "
                    "quản trị viên (signsvc clients totp enroll).",
                    "This account needs a second factor (TOTP) but has none enrolled; ask an "
                    "administrator (signsvc clients totp enroll)."))
            sid = self._open(ctx, client, "password", None)
            audit(self._audit, who, AuditTag.AUTH_LOGIN_PASSWORD_ACCEPTED, AuditOutcome.SUCCESS,
                  details={"session": session_ref(sid), "next": "totp"})
            return LoginStep(sid, client, needs_totp=True)
        self._logins.succeeded(counters, self._clock())
        sid = self._open(ctx, client, "full", None)
        audit(self._audit, who, AuditTag.AUTH_LOGIN_SUCCEEDED, AuditOutcome.SUCCESS,
              details={"session": session_ref(sid), "second_factor": "none"})
        return LoginStep(sid, client, needs_totp=False)

    def verify_totp(self, ctx: RequestContext, pending_id: str, code: str) -> LoginStep:
        """Finish a login with a TOTP code: a new full session (the pending one is revoked)."""
        pending = self._logins.session(session_ref(pending_id or ""))
        now = self._clock()
        if pending is None or pending.stage != "password" or not pending.usable(now):
            audit(self._audit, ctx, AuditTag.AUTH_LOGIN_FAILED, AuditOutcome.DENIED,
                  error_code="unauthenticated",
                  details={"step": "totp", "reason": "no-pending-login"})
            raise Unauthenticated(Message("Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.",
                                          "The login has expired; please log in again."))
        counters = self._throttle(ctx, pending.client, "totp")
        client = self._store.by_name(pending.client)
        secret = self._logins.totp(pending.client)
        step = totp_step(secret[0], code, now) if secret and client else None
        if step is None or not self._logins.use_totp_step(pending.client, step):
            audit(self._audit, RequestContext(ctx.request_id, pending.client, client.role if client else None,
                                              ctx.client_address),
                  AuditTag.AUTH_TOTP_FAILED, AuditOutcome.DENIED, error_code="unauthenticated",
                  details={"session": pending.ref, "reason": "wrong-code" if step is None else "replayed"})
            raise Unauthenticated(WRONG_CODE)
        self._logins.revoke(pending.ref, now)
        self._logins.succeeded(counters, now)
        sid = self._open(ctx, client, "full", "totp")
        audit(self._audit, RequestContext(ctx.request_id, client.name, client.role, ctx.client_address),
              AuditTag.AUTH_LOGIN_SUCCEEDED, AuditOutcome.SUCCESS,
              details={"session": session_ref(sid), "second_factor": "totp"})
        return LoginStep(sid, client, needs_totp=False)

    def session(self, ctx: RequestContext, session_id: str) -> PageUser | None:
        """The account of a live page session, read afresh; None (audited, session revoked)
        when the session is unknown, ended, or its account may no longer use the pages."""
        ref = session_ref(session_id or "")
        s = self._logins.session(ref)
        now = self._clock()
        if s is None or s.stage != "full" or not s.usable(now):
            reason = "unknown" if s is None else "pending-totp" if s.stage != "full" else \
                "logged-out" if s.revoked_at is not None else "expired"
            audit(self._audit, ctx, AuditTag.AUTH_SESSION_REJECTED, AuditOutcome.DENIED,
                  error_code="unauthenticated",
                  details={"session": ref, "reason": reason, "name": s.client if s else None})
            return None
        client = self._store.by_name(s.client)
        refused = "account-disabled" if client is None else "role" if client.role not in PAGE_ROLES \
            else "second-factor" if self._needs_totp(client) and s.second_factor != "totp" else None
        if refused:
            self._logins.revoke(ref, now)
            audit(self._audit, ctx, AuditTag.AUTH_SESSION_REJECTED, AuditOutcome.DENIED,
                  error_code="unauthenticated",
                  details={"session": ref, "reason": refused, "name": s.client})
            return None
        if now - s.last_seen >= TOUCH_EVERY_SECONDS:
            self._logins.touch(ref, now)
        return PageUser(client, ref)

    def logout(self, ctx: RequestContext, session_id: str) -> None:
        """End the session now: the cookie, replayed, no longer opens anything."""
        ref = session_ref(session_id or "")
        self._logins.revoke(ref, self._clock())
        audit(self._audit, ctx, AuditTag.AUTH_SESSION_ENDED, AuditOutcome.SUCCESS,
              details={"session": ref})

    def enroll_totp(self, ctx: RequestContext, name: str, issuer: str = "signsvc") -> tuple[str, str]:
        """A new TOTP secret for a page account and its ``otpauth://`` URI, to show once; the
        account's page sessions are revoked. The secret is never returned again or logged."""
        client = self._store.by_name(name)
        if client is None or client.role not in PAGE_ROLES:
            raise BadRequest(Message(f"Không có tài khoản trang ký '{name}'.",
                                     f"There is no page account '{name}'."))
        secret = new_totp_secret()
        self._logins.set_totp(name, secret)
        revoked = self._logins.revoke_client(name, self._clock())
        audit(self._audit, ctx, AuditTag.CLIENTS_TOTP_ENROLLED, AuditOutcome.SUCCESS,
              details={"name": name, "sessions_revoked": revoked})
        return secret, totp_uri(secret, name, issuer)

    def remove_totp(self, ctx: RequestContext, name: str) -> None:
        """Remove an account's TOTP secret (a clerk then cannot log in until re-enrolled)."""
        self._logins.set_totp(name, None)
        revoked = self._logins.revoke_client(name, self._clock())
        audit(self._audit, ctx, AuditTag.CLIENTS_TOTP_REMOVED, AuditOutcome.SUCCESS,
              details={"name": name, "sessions_revoked": revoked})

    def set_password(self, ctx: RequestContext, name: str, password: str) -> None:
        if self._store.by_name(name) is None:
            raise BadRequest(Message(f"Không có tài khoản '{name}'.", f"There is no account '{name}'."))
        if len(password) < MIN_PASSWORD:
            raise BadRequest(Message(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.",
                                     f"A password needs at least {MIN_PASSWORD} characters."))
        self._store.set_password_hash(name, hash_password(password))
        revoked = self._logins.revoke_client(name, self._clock()) if self._logins else 0
        audit(self._audit, ctx, AuditTag.CLIENTS_PASSWORD_SET, AuditOutcome.SUCCESS,
              details={"name": name, "sessions_revoked": revoked})
