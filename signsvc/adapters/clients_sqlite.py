"""API clients in the service's SQLite database (state folder)."""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from signsvc.clients.model import Client
from signsvc.errors import BadRequest, Message, NotReady

SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    keys TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS passwords (
    name TEXT PRIMARY KEY REFERENCES clients(name),
    scrypt TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


class SqliteClientStore:
    """Clients table; one connection per thread; writes are single statements."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(SCHEMA)
            columns = {r[1] for r in conn.execute("PRAGMA table_info(clients)")}
            if "disabled_at" not in columns:   # databases made before client revocation
                try:
                    conn.execute("ALTER TABLE clients ADD COLUMN disabled_at TEXT")
                except sqlite3.OperationalError:   # another worker added it meanwhile
                    pass

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=5.0)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    @staticmethod
    def _client(row: tuple) -> Client:
        return Client(name=row[0], role=row[1], keys=tuple(k for k in row[2].split(",") if k),
                      created_at=row[3])

    def create(self, name: str, role: str, keys: tuple[str, ...], token_sha256: str) -> Client:
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        try:
            with self._conn() as conn:
                conn.execute("INSERT INTO clients (name, role, keys, token_sha256, created_at) "
                             "VALUES (?, ?, ?, ?, ?)",
                             (name, role, ",".join(keys), token_sha256, created))
        except sqlite3.IntegrityError:
            raise BadRequest(Message(f"Máy khách '{name}' đã tồn tại.",
                                     f"Client '{name}' already exists.")) from None
        return Client(name=name, role=role, keys=keys, created_at=created)

    def by_token_hash(self, token_sha256: str) -> Client | None:
        try:
            row = self._conn().execute(
                "SELECT name, role, keys, created_at FROM clients WHERE token_sha256 = ? "
                "AND disabled_at IS NULL",
                (token_sha256,)).fetchone()
        except sqlite3.Error:
            raise NotReady() from None
        return self._client(row) if row else None

    def list(self) -> list[Client]:
        rows = self._conn().execute(
            "SELECT name, role, keys, created_at FROM clients WHERE disabled_at IS NULL ORDER BY name").fetchall()
        return [self._client(r) for r in rows]

    def set_password_hash(self, name: str, encoded: str) -> None:
        with self._conn() as conn:
            conn.execute("INSERT OR REPLACE INTO passwords VALUES (?, ?, ?)",
                         (name, encoded, datetime.now(timezone.utc).isoformat(timespec="seconds")))

    def password_hash(self, name: str) -> str | None:
        row = self._conn().execute("SELECT scrypt FROM passwords WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def by_name(self, name: str) -> Client | None:
        row = self._conn().execute(
            "SELECT name, role, keys, created_at FROM clients WHERE name = ? AND disabled_at IS NULL",
            (name,)).fetchone()
        return self._client(row) if row else None

    def set_role(self, name: str, role: str) -> bool:
        """Change an active client's role; False if there is no such client."""
        with self._conn() as conn:
            return conn.execute("UPDATE clients SET role = ? WHERE name = ? AND disabled_at IS NULL",
                                (role, name)).rowcount == 1

    def disable(self, name: str) -> bool:
        """Revoke a client for good: its token and page logins stop working at once (the row
        stays for the record); False if there is no such active client."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._conn() as conn:
            return conn.execute("UPDATE clients SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL",
                                (now, name)).rowcount == 1

    def check(self) -> None:
        try:
            self._conn().execute("SELECT count(*) FROM clients").fetchone()
        except sqlite3.Error:
            raise NotReady() from None
