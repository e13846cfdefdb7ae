"""Page logins: the throttling rule, TOTP second factor and the ports of their stores.

Throttling (checked before any password hash is computed):

- ``pair`` counter, one per (account, client address): after ``free`` failures every
  further attempt from that address for that account waits ``base * 2**(n - free)``
  seconds after the last failure, at most ``cap`` (15 minutes by default).
- ``address`` counter, one per client address over all accounts (spraying many names from
  one address), with its own ``free`` number and the same back-off and cap.

There is deliberately no counter per account over all addresses: an attacker's failures
would then lock the real official out from their own desk. The real user from another
address is never blocked by the attacker's failures; guessing from many addresses is
bounded per address and every failure and refusal is in the audit log.

An attempt is counted *before* the password is checked (atomically in the store, so
parallel requests and other workers see it) and taken back when the password was right.
A counter is forgotten ``cap`` seconds after its back-off ended without a new failure.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Protocol

TOTP_DIGITS = 6
TOTP_PERIOD = 30


@dataclass(frozen=True)
class ThrottleRule:
    """Free failures, first back-off and its cap, in seconds."""

    free: int
    base_seconds: float
    cap_seconds: float

    def backoff(self, failures: int) -> float:
        """Seconds to wait after the last failure once ``failures`` were counted (0 if free)."""
        if failures < self.free:
            return 0.0
        return min(self.base_seconds * 2 ** min(failures - self.free, 40), self.cap_seconds)


@dataclass(frozen=True)
class Counter:
    """A throttling key (``pair:NAME|ADDRESS`` or ``address:ADDRESS``) with its rule."""

    key: str
    rule: ThrottleRule


def throttle_counters(name: str, address: str, pair: ThrottleRule,
                      per_address: ThrottleRule) -> tuple[Counter, Counter]:
    """The two counters a login attempt of ``name`` from ``address`` is counted in."""
    return (Counter(f"pair:{name[:64]}|{address}", pair), Counter(f"address:{address}", per_address))


def retry_after(seconds: float) -> int:
    """The ``Retry-After`` value: whole seconds, at least 1."""
    return max(1, math.ceil(seconds))


def new_session_id() -> str:
    """A page-session id with 256 bits of entropy (held only in the signed cookie)."""
    return secrets.token_urlsafe(32)


def session_ref(session_id: str) -> str:
    """What the store and the audit log keep of a session id: a SHA-256 prefix, never the
    id itself (the id is a bearer credential)."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class PageSession:
    """A page login. ``stage`` is ``password`` (the TOTP code is still to be given) or
    ``full``; ``second_factor`` names what was checked besides the password."""

    ref: str
    client: str
    address: str
    created_at: float
    last_seen: float
    expires_at: float
    revoked_at: float | None
    stage: str
    second_factor: str | None

    def usable(self, now: float) -> bool:
        return self.revoked_at is None and now < self.expires_at


class LoginStore(Protocol):
    """Sessions, throttling counters and TOTP secrets (SQLite now, PostgreSQL later)."""

    def attempt(self, counters: tuple[Counter, ...], now: float) -> float:
        """Atomically: if a counter is in back-off return the seconds left (nothing counted);
        otherwise count one failure in each counter and return 0."""

    def succeeded(self, counters: tuple[Counter, ...], now: float) -> None:
        """Take the attempt back: the first counter (the pair) is cleared, the others lose one."""

    def create_session(self, session: PageSession) -> None: ...

    def session(self, ref: str) -> PageSession | None: ...

    def touch(self, ref: str, now: float) -> None: ...

    def revoke(self, ref: str, now: float) -> None: ...

    def revoke_client(self, client: str, now: float) -> int:
        """Revoke every session of ``client``; the number revoked."""

    def set_totp(self, client: str, secret: str | None) -> None:
        """Store (encrypted) or remove the client's TOTP secret."""

    def totp(self, client: str) -> tuple[str, int] | None:
        """The client's TOTP secret and the last time step accepted, or None."""

    def use_totp_step(self, client: str, step: int) -> bool:
        """Record ``step`` as used; False if it (or a later one) was used already (replay)."""

    def purge(self, now: float) -> int:
        """Forget sessions and counters that ended long ago; the number of rows deleted."""


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret (160 bits, RFC 4226's recommendation)."""
    import pyotp

    return pyotp.random_base32(32)


def totp_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (6 digits, 30 s, SHA-1)."""
    import pyotp

    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD).provisioning_uri(
        name=account, issuer_name=issuer)


def totp_step(secret: str, code: str, now: float) -> int | None:
    """The time step ``code`` is valid for (now, or one step either side for clock drift),
    else None. Constant-time comparison (pyotp)."""
    import pyotp

    code = (code or "").strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)
    step = totp.timecode(int(now))
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None
