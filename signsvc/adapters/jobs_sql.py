"""Batch signing jobs and their queue on SQLAlchemy Core (``jobs.sqlite3`` in the state
folder by default, or the shared ``[database] url``): the ``JobStore`` port of
``signsvc.services.jobs``.

A claim is one write transaction: PostgreSQL picks the oldest claimable document with
``SELECT ... FOR UPDATE SKIP LOCKED`` (workers of every instance claim different ones
without waiting on each other); SQLite holds the file's write lock (``BEGIN IMMEDIATE``).
A document is claimable when pending, or running past its lease (its worker died). Every
call returns only after its commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import is_sqlite, write_transaction
from signsvc.adapters.db.tables_jobs import job_documents as d
from signsvc.adapters.db.tables_jobs import jobs as j
from signsvc.errors import JobsUnavailable
from signsvc.services.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    PENDING,
    RUNNING,
    Claimed,
    Job,
    JobDocument,
    NewJob,
)

ACTIVE = "active"


class SqlJobStore:
    """Jobs, their PDFs and results, shared by every worker and instance."""

    def __init__(self, db: Engine | str | os.PathLike[str]) -> None:
        try:
            self._engine = open_engine(db, "jobs")
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable() from exc

    def create(self, job: NewJob) -> None:
        """Store the job and queue every file (one transaction)."""
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(j.insert().values(
                    id=job.id, client=job.client, state=ACTIVE, key_id=job.key_id,
                    level=job.level, request=json.dumps(job.request),
                    context=json.dumps(job.context), total=len(job.files),
                    created_at=job.created_at))
                conn.execute(d.insert(), [
                    {"job_id": job.id, "n": n, "name": name, "queued_at": job.created_at,
                     "input_sha256": hashlib.sha256(data).hexdigest(), "attempts": 0,
                     **({"state": FAILED, "input": None, "finished_at": job.created_at,
                         "problem": json.dumps(job.refused[n])} if n in job.refused else
                        {"state": PENDING, "input": data, "finished_at": None, "problem": None})}
                    for n, (name, data) in enumerate(job.files, 1)])
        except SQLAlchemyError as exc:
            raise JobsUnavailable() from exc

    def get(self, job_id: str) -> Job | None:
        """The job and its documents (without their PDFs), or None."""
        try:
            with self._engine.connect() as conn:
                row = conn.execute(select(j).where(j.c.id == job_id)).first()
                if row is None:
                    return None
                docs = conn.execute(select(
                    d.c.n, d.c.name, d.c.state, d.c.input_sha256, d.c.sha256, d.c.level,
                    d.c.audit_sequence, d.c.problem, d.c.attempts)
                    .where(d.c.job_id == job_id).order_by(d.c.n)).all()
        except SQLAlchemyError as exc:
            raise JobsUnavailable() from exc
        return Job(id=row.id, client=row.client, state=row.state, key_id=row.key_id,
                   level=row.level, total=row.total, created_at=row.created_at,
                   cancelled_at=row.cancelled_at, documents=tuple(
                       JobDocument(n=r.n, name=r.name, state=r.state,
                                   input_sha256=r.input_sha256, sha256=r.sha256, level=r.level,
                                   audit_sequence=r.audit_sequence,
                                   problem=json.loads(r.problem) if r.problem else None,
                                   attempts=r.attempts) for r in docs))

    def output(self, job_id: str, n: int) -> bytes | None:
        """The signed PDF of document ``n`` (None unless signed)."""
        try:
            with self._engine.connect() as conn:
                data = conn.execute(select(d.c.output).where(
                    d.c.job_id == job_id, d.c.n == n, d.c.state == DONE)).scalar()
        except SQLAlchemyError as exc:
            raise JobsUnavailable() from exc
        return bytes(data) if data is not None else None

    def outputs(self, job_id: str) -> Iterator[tuple[int, str, bytes]]:
        """Every signed document of the job: number, name, PDF (one read each)."""
        try:
            with self._engine.connect() as conn:
                numbers = conn.execute(select(d.c.n, d.c.name).where(
                    d.c.job_id == job_id, d.c.state == DONE).order_by(d.c.n)).all()
        except SQLAlchemyError as exc:
            raise JobsUnavailable() from exc
        for n, name in numbers:
            data = self.output(job_id, n)
            if data is not None:
                yield n, name, data

    def cancel(self, job_id: str, now: float) -> int:
        """Mark the job cancelled and its pending documents (and those of a dead worker)
        cancelled; how many documents were cancelled."""
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(update(j).where(j.c.id == job_id, j.c.state == ACTIVE)
                             .values(state=CANCELLED, cancelled_at=now))
                return int(conn.execute(update(d).where(
                    d.c.job_id == job_id,
                    or_(d.c.state == PENDING, and_(d.c.state == RUNNING, d.c.lease_until <= now)))
                    .values(state=CANCELLED, input=None, owner=None, finished_at=now)).rowcount)
        except SQLAlchemyError as exc:
            raise JobsUnavailable() from exc

    def claim(self, now: float, lease_seconds: float) -> Claimed | None:
        """The oldest pending document (or one whose lease ended), now running for a new
        owner until ``now + lease_seconds``; None when there is none."""
        claimable = or_(d.c.state == PENDING,
                        and_(d.c.state == RUNNING, d.c.lease_until <= now))
        try:
            with write_transaction(self._engine) as conn:
                pick = select(d.c.job_id, d.c.n).where(claimable) \
                    .order_by(d.c.queued_at, d.c.job_id, d.c.n).limit(1)
                if not is_sqlite(conn):
                    pick = pick.with_for_update(skip_locked=True)
                found = conn.execute(pick).first()
                if found is None:
                    return None
                owner = secrets.token_hex(12)
                where = (d.c.job_id == found.job_id, d.c.n == found.n)
                conn.execute(update(d).where(*where).values(
                    state=RUNNING, owner=owner, lease_until=now + lease_seconds,
                    attempts=d.c.attempts + 1))
                doc = conn.execute(select(d.c.name, d.c.input).where(*where)).one()
                job = conn.execute(select(j).where(j.c.id == found.job_id)).one()
        except SQLAlchemyError as exc:
            raise JobsUnavailable() from exc
        return Claimed(job_id=found.job_id, n=found.n, name=doc.name, owner=owner,
                       client=job.client, key_id=job.key_id, level=job.level,
                       request=json.loads(job.request), context=json.loads(job.context),
                       data=bytes(doc.input or b""))

    def _settle(self, doc: Claimed, values: dict[str, Any]) -> bool:
        try:
            with write_transaction(self._engine) as conn:
                return conn.execute(update(d).where(
                    d.c.job_id == doc.job_id, d.c.n == doc.n, d.c.owner == doc.owner,
                    d.c.state == RUNNING).values(input=None, owner=None, **values)).rowcount == 1
        except SQLAlchemyError as exc:
            raise JobsUnavailable() from exc

    def finish(self, doc: Claimed, now: float, *, output: bytes, sha256: str, level: str,
               audit_sequence: int) -> bool:
        """Store the signed PDF if ``doc.owner`` still holds the document."""
        return self._settle(doc, {"state": DONE, "output": output, "sha256": sha256,
                                  "level": level, "audit_sequence": audit_sequence,
                                  "finished_at": now})

    def fail(self, doc: Claimed, now: float, problem: dict[str, Any]) -> bool:
        """Record the document's problem if ``doc.owner`` still holds it."""
        return self._settle(doc, {"state": FAILED, "problem": json.dumps(problem),
                                  "finished_at": now})

    def purge(self, before: float) -> int:
        """Delete every job created before ``before`` whose documents are all settled, the
        last of them before ``before`` (with their PDFs); how many jobs."""
        unsettled = select(d.c.job_id).where(d.c.state.in_((PENDING, RUNNING)))
        recent = select(d.c.job_id).group_by(d.c.job_id).having(
            func.max(d.c.finished_at) >= before)
        try:
            with write_transaction(self._engine) as conn:
                ids = [r[0] for r in conn.execute(select(j.c.id).where(
                    j.c.created_at < before, j.c.id.not_in(unsettled), j.c.id.not_in(recent)))]
                for start in range(0, len(ids), 500):
                    chunk = ids[start:start + 500]
                    conn.execute(delete(d).where(d.c.job_id.in_(chunk)))
                    conn.execute(delete(j).where(j.c.id.in_(chunk)))
                return len(ids)
        except SQLAlchemyError as exc:
            raise JobsUnavailable() from exc

    def depth(self) -> int:
        """Documents pending or running, in every job."""
        try:
            with self._engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(d).where(
                    d.c.state.in_((PENDING, RUNNING)))).scalar_one())
        except SQLAlchemyError as exc:
            raise JobsUnavailable() from exc

