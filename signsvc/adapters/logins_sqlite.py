"""Page sessions, login throttling counters and TOTP secrets in the service's SQLite
database (``signsvc.sqlite3`` in the state folder), shared by every worker and thread.

TOTP secrets are encrypted with AES-256-GCM under ``totp-key`` (32 random bytes, made once,
mode 0600, in the state folder; the client name is the associated data). A copy of the
database alone does not give the secrets.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from signsvc.clients.login import Counter, PageSession
from signsvc.errors import NotReady

SCHEMA = """
CREATE TABLE IF NOT EXISTS login_sessions (
    ref TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL,
    stage TEXT NOT NULL,
    second_factor TEXT
);
CREATE INDEX IF NOT EXISTS login_sessions_client ON login_sessions(client);
CREATE TABLE IF NOT EXISTS login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure REAL NOT NULL,
    blocked_until REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS totp_secrets (
    client TEXT PRIMARY KEY,
    nonce BLOB NOT NULL,
    sealed BLOB NOT NULL,
    last_step INTEGER NOT NULL DEFAULT 0
);
"""


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


class SqliteLoginStore:
    """One connection per thread; every read-modify-write runs in ``BEGIN IMMEDIATE``."""

    def __init__(self, path: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._key_path = Path(key_path)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=10.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def _write(self, fn):
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result
        except sqlite3.Error:
            raise NotReady() from None

    # -- throttling ----------------------------------------------------------------------

    def attempt(self, counters: tuple[Counter, ...], now: float) -> float:
        def run(conn: sqlite3.Connection) -> float:
            rows = {}
            wait = 0.0
            for c in counters:
                row = conn.execute("SELECT failures, last_failure, blocked_until FROM login_throttle "
                                   "WHERE key = ?", (c.key,)).fetchone()
                if row and now > row[2] + c.rule.cap_seconds and now > row[1] + c.rule.cap_seconds:
                    row = None  # forgotten: a full cap passed after the back-off
                rows[c.key] = row
                if row and row[2] > now:
                    wait = max(wait, row[2] - now)
            if wait > 0:
                return wait
            for c in counters:
                failures = (rows[c.key][0] if rows[c.key] else 0) + 1
                conn.execute("INSERT OR REPLACE INTO login_throttle VALUES (?, ?, ?, ?)",
                             (c.key, failures, now, _blocked_until(now, c.rule.backoff(failures))))
            return 0.0
        return self._write(run)

    def succeeded(self, counters: tuple[Counter, ...], now: float) -> None:
        def run(conn: sqlite3.Connection) -> None:
            first, *rest = counters
            conn.execute("DELETE FROM login_throttle WHERE key = ?", (first.key,))
            for c in rest:
                row = conn.execute("SELECT failures, last_failure FROM login_throttle WHERE key = ?",
                                   (c.key,)).fetchone()
                if row:
                    failures = max(0, row[0] - 1)
                    conn.execute("UPDATE login_throttle SET failures = ?, blocked_until = ? "
                                 "WHERE key = ?",
                                 (failures, _blocked_until(row[1], c.rule.backoff(failures)), c.key))
        self._write(run)

    # -- sessions ------------------------------------------------------------------------

    def create_session(self, session: PageSession) -> None:
        self._write(lambda conn: conn.execute(
            "INSERT INTO login_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session.ref, session.client, session.address, session.created_at, session.last_seen,
             session.expires_at, session.revoked_at, session.stage, session.second_factor)))

    def session(self, ref: str) -> PageSession | None:
        try:
            row = self._conn().execute(
                "SELECT ref, client, address, created_at, last_seen, expires_at, revoked_at, stage, "
                "second_factor FROM login_sessions WHERE ref = ?", (ref,)).fetchone()
        except sqlite3.Error:
            raise NotReady() from None
        return PageSession(*row) if row else None

    def touch(self, ref: str, now: float) -> None:
        self._write(lambda conn: conn.execute(
            "UPDATE login_sessions SET last_seen = ? WHERE ref = ?", (now, ref)))

    def revoke(self, ref: str, now: float) -> None:
        self._write(lambda conn: conn.execute(
            "UPDATE login_sessions SET revoked_at = ? WHERE ref = ? AND revoked_at IS NULL",
            (now, ref)))

    def revoke_client(self, client: str, now: float) -> int:
        return self._write(lambda conn: conn.execute(
            "UPDATE login_sessions SET revoked_at = ? WHERE client = ? AND revoked_at IS NULL",
            (now, client)).rowcount)

    def purge(self, now: float) -> int:
        """Delete sessions that ended more than a day ago and counters whose back-off ended
        more than a day ago; the number of rows deleted."""
        def run(conn: sqlite3.Connection) -> int:
            day = now - 86400
            return conn.execute("DELETE FROM login_sessions WHERE expires_at < ? OR revoked_at < ?",
                                (day, day)).rowcount + \
                conn.execute("DELETE FROM login_throttle WHERE blocked_until < ? AND last_failure < ?",
                             (day, day)).rowcount
        return self._write(run)

    # -- TOTP ----------------------------------------------------------------------------

    def set_totp(self, client: str, secret: str | None) -> None:
        if secret is None:
            self._write(lambda conn: conn.execute("DELETE FROM totp_secrets WHERE client = ?", (client,)))
            return
        nonce = os.urandom(12)
        sealed = AESGCM(_secret_key(self._key_path)).encrypt(nonce, secret.encode("ascii"),
                                                             client.encode("utf-8"))
        self._write(lambda conn: conn.execute(
            "INSERT OR REPLACE INTO totp_secrets VALUES (?, ?, ?, 0)", (client, nonce, sealed)))

    def totp(self, client: str) -> tuple[str, int] | None:
        row = self._conn().execute("SELECT nonce, sealed, last_step FROM totp_secrets WHERE client = ?",
                                   (client,)).fetchone()
        if row is None:
            return None
        secret = AESGCM(_secret_key(self._key_path)).decrypt(row[0], row[1], client.encode("utf-8"))
        return secret.decode("ascii"), row[2]

    def use_totp_step(self, client: str, step: int) -> bool:
        return self._write(lambda conn: conn.execute(
            "UPDATE totp_secrets SET last_step = ? WHERE client = ? AND last_step < ?",
            (step, client, step)).rowcount == 1)
