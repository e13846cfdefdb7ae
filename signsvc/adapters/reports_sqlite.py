"""Validation reports shown on the auditor's page, kept a short while in
``state_dir/reports.sqlite3`` so that every worker can serve their downloads."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from signsvc.errors import ReportUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS kept_reports (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created REAL NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kept_reports_created ON kept_reports (created);
"""


class SqliteReportStore:
    """``put`` / ``get`` of report JSON by id and owner; entries older than ``keep_seconds``
    are invisible and purged on the next ``put``."""

    def __init__(self, path: str | os.PathLike[str], keep_seconds: float) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._keep = keep_seconds
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=5.0)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def put(self, report_id: str, owner: str, report_json: str) -> None:
        now = time.time()
        try:
            with self._conn() as conn:
                conn.execute("DELETE FROM kept_reports WHERE created < ?", (now - self._keep,))
                conn.execute("INSERT INTO kept_reports VALUES (?,?,?,?)",
                             (report_id, owner, now, report_json))
        except sqlite3.Error as exc:
            raise ReportUnavailable() from exc

    def get(self, report_id: str, owner: str) -> str | None:
        """The report JSON if it exists, belongs to ``owner`` and has not expired."""
        try:
            row = self._conn().execute(
                "SELECT report FROM kept_reports WHERE id = ? AND owner = ? AND created >= ?",
                (report_id, owner, time.time() - self._keep)).fetchone()
        except sqlite3.Error as exc:
            raise ReportUnavailable() from exc
        return row[0] if row else None
