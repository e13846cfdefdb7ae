"""Validation reports shown on the auditor's page, kept a short while in the service
database (``state_dir/reports.sqlite3`` by default, or the shared ``[database] url``) so
that every worker (and instance) can serve their downloads."""

from __future__ import annotations

import os
import time

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.tables import kept_reports as t
from signsvc.errors import ReportUnavailable


class SqlReportStore:
    """``put`` / ``get`` of report JSON by id and owner; entries older than ``keep_seconds``
    are invisible and purged on the next ``put``."""

    def __init__(self, db: Engine | str | os.PathLike[str], keep_seconds: float) -> None:
        self._keep = keep_seconds
        self._engine = open_engine(db, "reports")

    def put(self, report_id: str, owner: str, report_json: str) -> None:
        now = time.time()
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(delete(t).where(t.c.created < now - self._keep))
                conn.execute(insert(t).values(id=report_id, owner=owner, created=now,
                                              report=report_json))
        except SQLAlchemyError as exc:
            raise ReportUnavailable() from exc

    def get(self, report_id: str, owner: str) -> str | None:
        """The report JSON if it exists, belongs to ``owner`` and has not expired."""
        try:
            with self._engine.connect() as conn:
                return conn.execute(select(t.c.report).where(
                    t.c.id == report_id, t.c.owner == owner,
                    t.c.created >= time.time() - self._keep)).scalar()
        except SQLAlchemyError as exc:
            raise ReportUnavailable() from exc
