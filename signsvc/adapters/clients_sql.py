"""API clients in the service database (SQLite ``signsvc.sqlite3`` in the state folder
by default, or the shared ``[database] url``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import Engine, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.sql import replace
from signsvc.adapters.db.tables import clients as t
from signsvc.adapters.db.tables import passwords
from signsvc.clients.model import Client
from signsvc.errors import BadRequest, Message, NotReady

_COLUMNS = (t.c.name, t.c.role, t.c["keys"], t.c.created_at)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqlClientStore:
    """The clients table; every write is one statement in its own transaction."""

    def __init__(self, db: Engine | str | os.PathLike[str]) -> None:
        self._engine = open_engine(db, "state")

    @staticmethod
    def _client(row: Row) -> Client:
        return Client(name=row[0], role=row[1], keys=tuple(k for k in row[2].split(",") if k),
                      created_at=row[3])

    def create(self, name: str, role: str, keys: tuple[str, ...], token_sha256: str) -> Client:
        created = _now()
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(insert(t).values(name=name, role=role, keys=",".join(keys),
                                              token_sha256=token_sha256, created_at=created))
        except IntegrityError:
            raise BadRequest(Message(f"Máy khách '{name}' đã tồn tại.",
                                     f"Client '{name}' already exists.")) from None
        return Client(name=name, role=role, keys=keys, created_at=created)

    def by_token_hash(self, token_sha256: str) -> Client | None:
        try:
            with self._engine.connect() as conn:
                row = conn.execute(select(*_COLUMNS).where(
                    t.c.token_sha256 == token_sha256, t.c.disabled_at.is_(None))).first()
        except SQLAlchemyError:
            raise NotReady() from None
        return self._client(row) if row else None

    def list(self) -> list[Client]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(*_COLUMNS).where(t.c.disabled_at.is_(None))
                                .order_by(t.c.name)).all()
        return [self._client(r) for r in rows]

    def set_password_hash(self, name: str, encoded: str) -> None:
        with write_transaction(self._engine) as conn:
            replace(conn, passwords, {"name": name, "scrypt": encoded, "updated_at": _now()})

    def password_hash(self, name: str) -> str | None:
        with self._engine.connect() as conn:
            return conn.execute(select(passwords.c.scrypt).where(passwords.c.name == name)
                                ).scalar()

    def by_name(self, name: str) -> Client | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(
                t.c.name == name, t.c.disabled_at.is_(None))).first()
        return self._client(row) if row else None

    def set_role(self, name: str, role: str) -> bool:
        """Change an active client's role; False if there is no such client."""
        with write_transaction(self._engine) as conn:
            return conn.execute(update(t).where(t.c.name == name, t.c.disabled_at.is_(None))
                                .values(role=role)).rowcount == 1

    def disable(self, name: str) -> bool:
        """Revoke a client for good: its token and page logins stop working at once (the row
        stays for the record); False if there is no such active client."""
        with write_transaction(self._engine) as conn:
            return conn.execute(update(t).where(t.c.name == name, t.c.disabled_at.is_(None))
                                .values(disabled_at=_now())).rowcount == 1

    def check(self) -> None:
        try:
            with self._engine.connect() as conn:
                conn.execute(select(func.count()).select_from(t)).scalar()
        except SQLAlchemyError:
            raise NotReady() from None
