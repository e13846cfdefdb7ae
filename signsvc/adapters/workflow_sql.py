"""Documents awaiting signature, signing sessions, whole-file tickets and registered
certificates, in the service database (SQLite ``workflow.sqlite3`` in the state folder by
default, or the shared ``[database] url``).

Guarantees: state lives in the database, not in process memory, so it survives a restart
and is shared by every process and instance; ``claim_session`` is atomic (one ``UPDATE ...
WHERE state = 'prepared'``), so a session is used at most once even under concurrent
completions; ``advance_document`` only moves a document forward when its revision is still
the one the caller started from (optimistic concurrency); ``use_ticket`` is atomic too.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, Engine, Executable, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.sql import replace
from signsvc.adapters.db.tables import client_certificates as certs
from signsvc.adapters.db.tables import documents as docs
from signsvc.adapters.db.tables import signing_sessions as sessions
from signsvc.adapters.db.tables import whole_file_tickets as tickets
from signsvc.errors import NotReady
from signsvc.sessions.model import StoredDocument, StoredSession


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


_DOC_COLUMNS = tuple(docs.c[name] for name in StoredDocument.__dataclass_fields__)
_SESSION_FIELDS = tuple(StoredSession.__dataclass_fields__)
_TICKET_FIELDS = ("owner", "document_id", "revision", "base_sha256", "expires_at", "downloaded",
                  "uploaded")


class SqlWorkflowStore:
    def __init__(self, db: Engine | str | os.PathLike[str]) -> None:
        self._engine = open_engine(db, "workflow")

    def _read(self, statement: Executable) -> list[Any]:
        try:
            with self._engine.connect() as conn:
                return list(conn.execute(statement).all())
        except SQLAlchemyError:
            raise NotReady() from None

    def _write(self, statement: Executable) -> int:
        """Run one statement in its own write transaction; the rows it changed."""
        try:
            with write_transaction(self._engine) as conn:
                result: CursorResult[Any] = conn.execute(statement)
                return int(result.rowcount)
        except SQLAlchemyError:
            raise NotReady() from None

    # -- documents -------------------------------------------------------------------------
    def add_document(self, doc: StoredDocument, content: bytes) -> None:
        self._write(insert(docs).values(**doc.as_dict(), content=content))

    def document(self, doc_id: str) -> StoredDocument | None:
        rows = self._read(select(*_DOC_COLUMNS).where(docs.c.id == doc_id))
        return StoredDocument(*rows[0]) if rows else None

    def document_content(self, doc_id: str) -> bytes | None:
        rows = self._read(select(docs.c.content).where(docs.c.id == doc_id))
        return bytes(rows[0][0]) if rows else None

    def documents_for(self, assignee: str, state: str | None = None) -> list[StoredDocument]:
        query = select(*_DOC_COLUMNS).where(docs.c.assignee == assignee)
        if state:
            query = query.where(docs.c.state == state)
        return [StoredDocument(*r) for r in self._read(query.order_by(docs.c.created_at))]

    def advance_document(self, doc_id: str, from_revision: int, content: bytes, sha256: str,
                         state: str) -> bool:
        """Store the new revision iff the current one is still ``from_revision``."""
        return self._write(update(docs).where(docs.c.id == doc_id,
                                              docs.c.revision == from_revision).values(
            content=content, sha256=sha256, revision=docs.c.revision + 1, state=state,
            updated_at=_now())) == 1

    # -- sessions ----------------------------------------------------------------------------
    def add_session(self, s: StoredSession) -> None:
        self._write(insert(sessions).values({f: getattr(s, f) for f in _SESSION_FIELDS}))

    def session(self, session_id: str) -> StoredSession | None:
        rows = self._read(select(*(sessions.c[f] for f in _SESSION_FIELDS))
                          .where(sessions.c.id == session_id))
        if not rows:
            return None
        values: list[Any] = [bytes(v) if isinstance(v, memoryview) else v for v in rows[0]]
        return StoredSession(*values)

    def claim_session(self, session_id: str, now: str) -> bool:
        """Atomically move a prepared, unexpired session to 'used'; False if it was not."""
        return self._write(update(sessions).where(
            sessions.c.id == session_id, sessions.c.state == "prepared",
            sessions.c.expires_at > now).values(state="used")) == 1

    def finish_session(self, session_id: str, state: str, result_sha256: str | None = None) -> None:
        self._write(update(sessions).where(sessions.c.id == session_id).values(
            state=state, result_sha256=result_sha256, prepared_pdf=b""))

    def cancel_session(self, session_id: str) -> bool:
        return self._write(update(sessions).where(
            sessions.c.id == session_id, sessions.c.state == "prepared").values(
            state="cancelled", prepared_pdf=b"")) == 1

    def purge_expired(self, now: str) -> int:
        """Drop the prepared files of expired sessions; returns how many were purged."""
        return self._write(update(sessions).where(
            sessions.c.state == "prepared", sessions.c.expires_at <= now).values(
            state="expired", prepared_pdf=b""))

    # -- whole-file tickets (agents that sign the whole file, VGCA style) -----------------------
    def add_ticket(self, token_sha256: str, owner: str, document_id: str, revision: int,
                   base_sha256: str, expires_at: str) -> None:
        self._write(insert(tickets).values(token_sha256=token_sha256, owner=owner,
                                           document_id=document_id, revision=revision,
                                           base_sha256=base_sha256, expires_at=expires_at))

    def ticket(self, token_sha256: str) -> dict | None:
        rows = self._read(select(*(tickets.c[f] for f in _TICKET_FIELDS))
                          .where(tickets.c.token_sha256 == token_sha256))
        return dict(zip(_TICKET_FIELDS, rows[0])) if rows else None

    def use_ticket(self, token_sha256: str, column: str, now: str) -> bool:
        """Atomically mark the ticket's download or upload as used; False if it was not
        usable (unknown, expired or already used)."""
        assert column in ("downloaded", "uploaded")
        return self._write(update(tickets).where(
            tickets.c.token_sha256 == token_sha256, tickets.c[column] == 0,
            tickets.c.expires_at > now).values({column: 1})) == 1

    # -- registered certificates ----------------------------------------------------------------
    def register_certificate(self, client: str, sha256: str, subject: str) -> None:
        try:
            with write_transaction(self._engine) as conn:
                replace(conn, certs, {"client": client, "sha256": sha256, "subject": subject,
                                      "registered_at": _now()})
        except SQLAlchemyError:
            raise NotReady() from None

    def is_registered(self, client: str, sha256: str) -> bool:
        return bool(self._read(select(certs.c.client).where(certs.c.client == client,
                                                            certs.c.sha256 == sha256)))

    def certificates_of(self, client: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._read(
            select(certs.c.sha256, certs.c.subject).where(certs.c.client == client))]
