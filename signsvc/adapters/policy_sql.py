"""The policy in force, shared through the database (``policy_in_force``, group ``state``)
and kept in the state folder as before (``ActivePolicy``: the text last in force, the
archive by SHA-256).

Guarantees: ``remember`` records a policy as the one in force in one write transaction
(SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock), so concurrent processes and
instances agree on which of them changed it (only that one is told ``changed``, with the
previous hash); ``newest`` is one indexed read (for the every-few-seconds check);
``last_good`` and ``archived`` read the database first, then the state folder (a state
folder from before the table keeps working).
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import Engine, insert, select

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.sql import serialise
from signsvc.adapters.db.tables_policy import policy_in_force as t
from signsvc.adapters.policy_file import ActivePolicy
from signsvc.policy.engine import Policy

_NEWEST = select(t.c.id, t.c.sha256).order_by(t.c.id.desc()).limit(1)


class SharedPolicy:
    """The policy in force for every instance on one database (same interface as
    ``ActivePolicy``, plus ``newest`` and ``text_of``)."""

    def __init__(self, engine: Engine, files: ActivePolicy) -> None:
        self._engine = open_engine(engine, "state")
        self._files = files

    def newest(self) -> tuple[int, str] | None:
        """(id, sha256) of the newest record, None before any policy was recorded."""
        with self._engine.connect() as conn:
            row = conn.execute(_NEWEST).first()
        return (int(row[0]), str(row[1])) if row is not None else None

    def text_of(self, record_id: int) -> str | None:
        with self._engine.connect() as conn:
            return conn.execute(select(t.c.text).where(t.c.id == record_id)).scalar()

    def last_good(self) -> str | None:
        """The text of the policy in force (the newest record, else the state folder's)."""
        newest = self.newest()
        text = self.text_of(newest[0]) if newest is not None else None
        return text if text is not None else self._files.last_good()

    def archived(self, sha256: str) -> str | None:
        """The text of a policy that was once in force, by its SHA-256 (for auditors)."""
        if len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256):
            with self._engine.connect() as conn:
                text = conn.execute(select(t.c.text).where(t.c.sha256 == sha256).limit(1)).scalar()
            if text is not None:
                return str(text)
        return self._files.archived(sha256)

    def remember(self, policy: Policy, by: str = "system") -> tuple[bool, str | None]:
        """Record ``policy`` as in force; (changed, previous sha256 or None). Unchanged
        when the newest record (or, before the first one, the state folder's text) is it."""
        with write_transaction(self._engine) as conn:
            serialise(conn, ("signsvc-policy-in-force",))
            row = conn.execute(_NEWEST).first()
            if row is not None:
                old: str | None = str(row[1])
            else:
                kept = self._files.last_good()
                old = hashlib.sha256(kept.encode("utf-8")).hexdigest() if kept is not None else None
            changed = old != policy.sha256
            if changed or row is None:
                conn.execute(insert(t).values(sha256=policy.sha256, version=policy.version[:200],
                                              text=policy.text, recorded_at=time.time(),
                                              recorded_by=by[:200]))
        self._files.remember(policy)
        return changed, old
