"""Idempotency records on SQLAlchemy Core (``idempotency.sqlite3`` in the state folder by
default, or the shared ``[database] url``): the ``IdempotencyStore`` port of
``signsvc.services.idempotency``.

A claim is one write transaction holding the key's turn (SQLite: ``BEGIN IMMEDIATE``, the
file's write lock; PostgreSQL: an advisory transaction lock on the client and key), so of
concurrent requests with one key -- threads, workers or instances -- exactly one claims it.
Every call returns only after its commit.
"""

from __future__ import annotations

import json
import os
import secrets

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.sql import serialise
from signsvc.adapters.db.tables_idempotency import idempotency_records as t
from signsvc.errors import IdempotencyUnavailable
from signsvc.services.idempotency import Claim, StoredResponse

PENDING = "pending"
DONE = "done"


class SqlIdempotencyStore:
    """Keys, claims and stored answers, shared by every worker and instance."""

    def __init__(self, db: Engine | str | os.PathLike[str]) -> None:
        try:
            self._engine = open_engine(db, "idempotency")
        except (SQLAlchemyError, OSError) as exc:
            raise IdempotencyUnavailable() from exc

    def claim(self, client: str, key: str, fingerprint: str, now: float, *,
              ttl_seconds: float, lease_seconds: float) -> Claim:
        """See ``IdempotencyStore.claim``. A new claim's record expires with its lease."""
        where = (t.c.client == client, t.c.key == key)
        try:
            with write_transaction(self._engine) as conn:
                serialise(conn, (f"idempotency:{client}\n{key}",))
                row = conn.execute(select(
                    t.c.fingerprint, t.c.state, t.c.expires_at, t.c.lease_until,
                    t.c.status, t.c.headers).where(*where)).first()
                if row is not None and (row.expires_at <= now or
                                        (row.state == PENDING and row.lease_until <= now)):
                    conn.execute(delete(t).where(*where))
                    row = None
                if row is None:
                    owner = secrets.token_hex(16)
                    conn.execute(t.insert().values(
                        client=client, key=key, fingerprint=fingerprint, state=PENDING,
                        owner=owner, created_at=now, expires_at=now + lease_seconds,
                        lease_until=now + lease_seconds))
                    return Claim(owner=owner)
                if row.fingerprint != fingerprint:
                    return Claim(mismatch=True)
                if row.state == DONE:   # the body (up to a signed PDF) read only here
                    body = conn.execute(select(t.c.body).where(*where)).scalar_one()
                    headers = tuple((str(n), str(v)) for n, v in json.loads(row.headers))
                    return Claim(response=StoredResponse(int(row.status), headers,
                                                         bytes(body)))
                return Claim(retry_after=float(row.lease_until) - now)
        except SQLAlchemyError as exc:
            raise IdempotencyUnavailable() from exc

    def complete(self, client: str, key: str, owner: str, response: StoredResponse,
                 now: float, ttl_seconds: float) -> bool:
        """Store the answer (expiring ``ttl_seconds`` from ``now``) if ``owner`` still holds
        the key; committed when it returns True."""
        try:
            with write_transaction(self._engine) as conn:
                done = conn.execute(update(t).where(
                    t.c.client == client, t.c.key == key, t.c.owner == owner,
                    t.c.state == PENDING).values(
                    state=DONE, status=response.status,
                    headers=json.dumps([list(h) for h in response.headers]),
                    body=response.body, expires_at=now + ttl_seconds))
                return done.rowcount == 1
        except SQLAlchemyError as exc:
            raise IdempotencyUnavailable() from exc

    def release(self, client: str, key: str, owner: str) -> None:
        """Delete the pending claim of ``owner`` (nothing if it holds none)."""
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(delete(t).where(t.c.client == client, t.c.key == key,
                                             t.c.owner == owner, t.c.state == PENDING))
        except SQLAlchemyError as exc:
            raise IdempotencyUnavailable() from exc

    def purge(self, now: float) -> int:
        """Delete every record past its time (answers past their TTL, claims past their
        lease); how many."""
        try:
            with write_transaction(self._engine) as conn:
                return int(conn.execute(delete(t).where(t.c.expires_at <= now)).rowcount)
        except SQLAlchemyError as exc:
            raise IdempotencyUnavailable() from exc

    def close(self) -> None:
        """Nothing held between calls (the engine's pool is shared with other stores)."""
