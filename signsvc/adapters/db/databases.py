"""Which database each table group lives in, from the settings.

Default (``[database] url`` empty): SQLite files in the state folder, as before Alembic --
``[audit] path`` for ``audit``, ``signsvc.sqlite3`` for ``state``, ``workflow.sqlite3``,
``images.sqlite3``, ``reports.sqlite3`` -- so an existing state folder is used in place,
and a long audit write never holds the write lock of the other stores. With a URL
(``postgresql://user@host/db``, or ``sqlite:////path/file``) every group shares it.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine

from signsvc.adapters.db.engine import BUSY_TIMEOUT_MS, sqlite_file_engine, url_engine
from signsvc.adapters.db.migrate import migrate
from signsvc.adapters.db.tables import GROUPS

# the file of each group in ``Settings.paths`` (``StatePaths``)
FILES = {"audit": "audit_db", "state": "service_db", "workflow": "workflow_db",
         "images": "images_db", "reports": "reports_db", "idempotency": "idempotency_db",
         "jobs": "jobs_db"}
AUDIT_BUSY_TIMEOUT_MS = 5000


def _url(settings: Any) -> str:
    database = getattr(settings, "database", None)
    return getattr(database, "url", "") or ""


def database_for(settings: Any, group: str) -> Engine:
    """The engine of ``group`` (migrated to its newest revision)."""
    if group not in GROUPS:
        raise ValueError(f"unknown table group {group!r}")
    url = _url(settings)
    if url:
        engine = url_engine(url)
    else:
        engine = sqlite_file_engine(
            getattr(settings.paths, FILES[group]),
            busy_timeout_ms=AUDIT_BUSY_TIMEOUT_MS if group == "audit" else BUSY_TIMEOUT_MS)
    migrate(engine, (group,))
    return engine


def open_engine(target: Engine | str | os.PathLike[str], group: str, *,
                busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    """A store's engine from what it was given: an engine, or the path of a SQLite file;
    migrated for ``group``."""
    engine = target if isinstance(target, Engine) else \
        sqlite_file_engine(target, busy_timeout_ms=busy_timeout_ms)
    migrate(engine, (group,))
    return engine


def prepare_databases(settings: Any) -> None:
    """Migrate every group's database (start-up, before workers fork)."""
    for group in GROUPS:
        database_for(settings, group)
