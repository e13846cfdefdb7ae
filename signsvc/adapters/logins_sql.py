"""Page sessions, login throttling counters and TOTP secrets in the service database
(SQLite ``signsvc.sqlite3`` in the state folder by default, or the shared ``[database]
url``), shared by every worker, thread and instance.

TOTP secrets are encrypted with AES-256-GCM under ``totp-key`` (32 random bytes, made once,
mode 0600, in the state folder; the client name is the associated data). A copy of the
database alone does not give the secrets.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Engine, delete, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.sql import replace, serialise
from signsvc.adapters.db.tables import login_sessions as sessions
from signsvc.adapters.db.tables import login_throttle as throttle
from signsvc.adapters.db.tables import totp_secrets as totp
from signsvc.clients.login import Counter, PageSession
from signsvc.errors import NotReady

T = TypeVar("T")
_SESSION_COLUMNS = (sessions.c.ref, sessions.c.client, sessions.c.address, sessions.c.created_at,
                    sessions.c.last_seen, sessions.c.expires_at, sessions.c.revoked_at,
                    sessions.c.stage, sessions.c.second_factor)


def _secret_key(path: Path) -> bytes:
    """The TOTP encryption key: random, made once (0600)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(AESGCM.generate_key(bit_length=256))
    return path.read_bytes()


def _blocked_until(last_failure: float, backoff: float) -> float:
    """When the next attempt may run: 0 (no back-off) for a free failure. Never the failure's
    own time: a concurrent attempt whose clock was read a moment before it would otherwise
    be refused as if a back-off were running."""
    return last_failure + backoff if backoff > 0 else 0.0


class SqlLoginStore:
    """Every read-modify-write runs in one write transaction (SQLite: ``BEGIN IMMEDIATE``;
    PostgreSQL: an advisory lock per throttling counter)."""

    def __init__(self, db: Engine | str | os.PathLike[str],
                 key_path: str | os.PathLike[str]) -> None:
        self._key_path = Path(key_path)
        self._engine = open_engine(db, "state")

    def _write(self, fn: Callable[[Connection], T], *, turns: tuple[str, ...] = ()) -> T:
        try:
            with write_transaction(self._engine) as conn:
                serialise(conn, turns)
                return fn(conn)
        except SQLAlchemyError:
            raise NotReady() from None

    # -- throttling ----------------------------------------------------------------------

    def attempt(self, counters: tuple[Counter, ...], now: float) -> float:
        def run(conn: Connection) -> float:
            rows: dict[str, Any] = {}
            wait = 0.0
            for c in counters:
                row = conn.execute(select(throttle.c.failures, throttle.c.last_failure,
                                          throttle.c.blocked_until)
                                   .where(throttle.c.key == c.key)).first()
                if row and now > row[2] + c.rule.cap_seconds and \
                        now > row[1] + c.rule.cap_seconds:
                    row = None  # forgotten: a full cap passed after the back-off
                rows[c.key] = row
                if row and row[2] > now:
                    wait = max(wait, row[2] - now)
            if wait > 0:
                return wait
            for c in counters:
                failures = (rows[c.key][0] if rows[c.key] else 0) + 1
                replace(conn, throttle, {"key": c.key, "failures": failures, "last_failure": now,
                                         "blocked_until": _blocked_until(
                                             now, c.rule.backoff(failures))})
            return 0.0
        return self._write(run, turns=tuple(f"login:{c.key}" for c in counters))

    def succeeded(self, counters: tuple[Counter, ...], now: float) -> None:
        def run(conn: Connection) -> None:
            first, *rest = counters
            conn.execute(delete(throttle).where(throttle.c.key == first.key))
            for c in rest:
                row = conn.execute(select(throttle.c.failures, throttle.c.last_failure)
                                   .where(throttle.c.key == c.key)).first()
                if row:
                    failures = max(0, row[0] - 1)
                    conn.execute(update(throttle).where(throttle.c.key == c.key).values(
                        failures=failures,
                        blocked_until=_blocked_until(row[1], c.rule.backoff(failures))))
        self._write(run, turns=tuple(f"login:{c.key}" for c in counters))

    # -- sessions ------------------------------------------------------------------------

    def create_session(self, session: PageSession) -> None:
        self._write(lambda conn: conn.execute(insert(sessions).values(
            ref=session.ref, client=session.client, address=session.address,
            created_at=session.created_at, last_seen=session.last_seen,
            expires_at=session.expires_at, revoked_at=session.revoked_at, stage=session.stage,
            second_factor=session.second_factor)))

    def session(self, ref: str) -> PageSession | None:
        try:
            with self._engine.connect() as conn:
                row = conn.execute(select(*_SESSION_COLUMNS).where(sessions.c.ref == ref)).first()
        except SQLAlchemyError:
            raise NotReady() from None
        return PageSession(*row) if row else None

    def touch(self, ref: str, now: float) -> None:
        self._write(lambda conn: conn.execute(
            update(sessions).where(sessions.c.ref == ref).values(last_seen=now)))

    def revoke(self, ref: str, now: float) -> None:
        self._write(lambda conn: conn.execute(
            update(sessions).where(sessions.c.ref == ref, sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)))

    def revoke_client(self, client: str, now: float) -> int:
        return self._write(lambda conn: conn.execute(
            update(sessions).where(sessions.c.client == client, sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)).rowcount)

    def purge(self, now: float) -> int:
        """Delete sessions that ended more than a day ago and counters whose back-off ended
        more than a day ago; the number of rows deleted."""
        def run(conn: Connection) -> int:
            day = now - 86400
            return conn.execute(delete(sessions).where(or_(
                sessions.c.expires_at < day, sessions.c.revoked_at < day))).rowcount + \
                conn.execute(delete(throttle).where(throttle.c.blocked_until < day,
                                                    throttle.c.last_failure < day)).rowcount
        return self._write(run)

    # -- TOTP ----------------------------------------------------------------------------

    def set_totp(self, client: str, secret: str | None) -> None:
        if secret is None:
            self._write(lambda conn: conn.execute(delete(totp).where(totp.c.client == client)))
            return
        nonce = os.urandom(12)
        sealed = AESGCM(_secret_key(self._key_path)).encrypt(nonce, secret.encode("ascii"),
                                                             client.encode("utf-8"))
        self._write(lambda conn: replace(conn, totp, {"client": client, "nonce": nonce,
                                                      "sealed": sealed, "last_step": 0}))

    def totp(self, client: str) -> tuple[str, int] | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(totp.c.nonce, totp.c.sealed, totp.c.last_step)
                               .where(totp.c.client == client)).first()
        if row is None:
            return None
        secret = AESGCM(_secret_key(self._key_path)).decrypt(bytes(row[0]), bytes(row[1]),
                                                             client.encode("utf-8"))
        return secret.decode("ascii"), int(row[2])

    def use_totp_step(self, client: str, step: int) -> bool:
        return self._write(lambda conn: conn.execute(
            update(totp).where(totp.c.client == client, totp.c.last_step < step)
            .values(last_step=step)).rowcount == 1)
