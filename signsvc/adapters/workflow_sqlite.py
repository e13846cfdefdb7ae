"""Documents awaiting signature, signing sessions and registered certificates (SQLite).

Guarantees: state lives in the service database, not in process memory, so it survives a
restart and can be shared by several processes; ``claim_session`` is atomic (one
``UPDATE ... WHERE state = 'prepared'``), so a session is used at most once even under
concurrent completions; ``advance_document`` only moves a document forward when its
revision is still the one the caller started from (optimistic concurrency).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from signsvc.errors import NotReady
from signsvc.sessions.model import StoredDocument, StoredSession

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    number TEXT NOT NULL,
    assignee TEXT NOT NULL,
    created_by TEXT NOT NULL,
    revision INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    pages INTEGER NOT NULL,
    content BLOB NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_assignee ON documents (assignee, state);
CREATE TABLE IF NOT EXISTS signing_sessions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    document_id TEXT NOT NULL,
    base_revision INTEGER NOT NULL,
    base_sha256 TEXT NOT NULL,
    certificate BLOB NOT NULL,
    level TEXT NOT NULL,
    field_name TEXT NOT NULL,
    prepared_pdf BLOB NOT NULL,
    prepared_sha256 TEXT NOT NULL,
    document_digest BLOB NOT NULL,
    reserved_start INTEGER NOT NULL,
    reserved_end INTEGER NOT NULL,
    signed_attrs BLOB NOT NULL,
    mechanism BLOB NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    result_sha256 TEXT
);
CREATE INDEX IF NOT EXISTS signing_sessions_expiry ON signing_sessions (state, expires_at);
CREATE TABLE IF NOT EXISTS whole_file_tickets (
    token_sha256 TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    document_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    base_sha256 TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    downloaded INTEGER NOT NULL DEFAULT 0,
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS client_certificates (
    client TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    subject TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (client, sha256)
);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


_DOC_COLS = "id, title, number, assignee, created_by, revision, sha256, pages, state, created_at, updated_at"
_SESSION_COLS = ", ".join(StoredSession.__dataclass_fields__)


class SqliteWorkflowStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conn().executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=10.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
        return conn

    def _exec(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        try:
            return self._conn().execute(sql, params)
        except sqlite3.Error:
            raise NotReady() from None

    # -- documents -------------------------------------------------------------------------
    def add_document(self, doc: StoredDocument, content: bytes) -> None:
        self._exec(f"INSERT INTO documents ({_DOC_COLS}, content) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                   (doc.id, doc.title, doc.number, doc.assignee, doc.created_by, doc.revision,
                    doc.sha256, doc.pages, doc.state, doc.created_at, doc.updated_at, content))

    def document(self, doc_id: str) -> StoredDocument | None:
        row = self._exec(f"SELECT {_DOC_COLS} FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return StoredDocument(*row) if row else None

    def document_content(self, doc_id: str) -> bytes | None:
        row = self._exec("SELECT content FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return bytes(row[0]) if row else None

    def documents_for(self, assignee: str, state: str | None = None) -> list[StoredDocument]:
        sql = f"SELECT {_DOC_COLS} FROM documents WHERE assignee = ?"
        params: tuple = (assignee,)
        if state:
            sql += " AND state = ?"
            params += (state,)
        return [StoredDocument(*r) for r in self._exec(sql + " ORDER BY created_at", params)]

    def advance_document(self, doc_id: str, from_revision: int, content: bytes, sha256: str,
                         state: str) -> bool:
        """Store the new revision iff the current one is still ``from_revision``."""
        cur = self._exec("UPDATE documents SET content = ?, sha256 = ?, revision = revision + 1, "
                         "state = ?, updated_at = ? WHERE id = ? AND revision = ?",
                         (content, sha256, state, _now(), doc_id, from_revision))
        return cur.rowcount == 1

    # -- sessions ----------------------------------------------------------------------------
    def add_session(self, s: StoredSession) -> None:
        values = tuple(getattr(s, f) for f in StoredSession.__dataclass_fields__)
        self._exec(f"INSERT INTO signing_sessions ({_SESSION_COLS}) VALUES "
                   f"({','.join('?' * len(values))})", values)

    def session(self, session_id: str) -> StoredSession | None:
        row = self._exec(f"SELECT {_SESSION_COLS} FROM signing_sessions WHERE id = ?",
                         (session_id,)).fetchone()
        if not row:
            return None
        values = list(row)
        for i, name in enumerate(StoredSession.__dataclass_fields__):
            if isinstance(values[i], memoryview):
                values[i] = bytes(values[i])
        return StoredSession(*values)

    def claim_session(self, session_id: str, now: str) -> bool:
        """Atomically move a prepared, unexpired session to 'used'; False if it was not."""
        cur = self._exec("UPDATE signing_sessions SET state = 'used' WHERE id = ? AND "
                         "state = 'prepared' AND expires_at > ?", (session_id, now))
        return cur.rowcount == 1

    def finish_session(self, session_id: str, state: str, result_sha256: str | None = None) -> None:
        self._exec("UPDATE signing_sessions SET state = ?, result_sha256 = ?, prepared_pdf = X'' "
                   "WHERE id = ?", (state, result_sha256, session_id))

    def cancel_session(self, session_id: str) -> bool:
        cur = self._exec("UPDATE signing_sessions SET state = 'cancelled', prepared_pdf = X'' "
                         "WHERE id = ? AND state = 'prepared'", (session_id,))
        return cur.rowcount == 1

    def purge_expired(self, now: str) -> int:
        """Drop the prepared files of expired sessions; returns how many were purged."""
        cur = self._exec("UPDATE signing_sessions SET state = 'expired', prepared_pdf = X'' "
                         "WHERE state = 'prepared' AND expires_at <= ?", (now,))
        return cur.rowcount

    # -- whole-file tickets (agents that sign the whole file, VGCA style) -----------------------
    def add_ticket(self, token_sha256: str, owner: str, document_id: str, revision: int,
                   base_sha256: str, expires_at: str) -> None:
        self._exec("INSERT INTO whole_file_tickets (token_sha256, owner, document_id, revision, "
                   "base_sha256, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                   (token_sha256, owner, document_id, revision, base_sha256, expires_at))

    def ticket(self, token_sha256: str) -> dict | None:
        row = self._exec("SELECT owner, document_id, revision, base_sha256, expires_at, downloaded, "
                         "uploaded FROM whole_file_tickets WHERE token_sha256 = ?",
                         (token_sha256,)).fetchone()
        if not row:
            return None
        keys = ("owner", "document_id", "revision", "base_sha256", "expires_at", "downloaded", "uploaded")
        return dict(zip(keys, row))

    def use_ticket(self, token_sha256: str, column: str, now: str) -> bool:
        """Atomically mark the ticket's download or upload as used; False if it was not
        usable (unknown, expired or already used)."""
        assert column in ("downloaded", "uploaded")
        cur = self._exec(f"UPDATE whole_file_tickets SET {column} = 1 WHERE token_sha256 = ? AND "
                         f"{column} = 0 AND expires_at > ?", (token_sha256, now))
        return cur.rowcount == 1

    # -- registered certificates ----------------------------------------------------------------
    def register_certificate(self, client: str, sha256: str, subject: str) -> None:
        self._exec("INSERT OR REPLACE INTO client_certificates VALUES (?, ?, ?, ?)",
                   (client, sha256, subject, _now()))

    def is_registered(self, client: str, sha256: str) -> bool:
        return self._exec("SELECT 1 FROM client_certificates WHERE client = ? AND sha256 = ?",
                          (client, sha256)).fetchone() is not None

    def certificates_of(self, client: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._exec(
            "SELECT sha256, subject FROM client_certificates WHERE client = ?", (client,))]
