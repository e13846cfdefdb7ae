"""Registered signature and seal images in ``state_dir/images.sqlite3``."""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from signsvc.signing.appearance.spec import StoredImage

SCHEMA = """
CREATE TABLE IF NOT EXISTS appearance_images (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('signature', 'seal')),
    key_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    png BLOB NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    diameter_mm REAL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


class SqliteImageStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
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

    def add(self, image: StoredImage) -> bool:
        """False when the name is taken (images are never silently replaced)."""
        try:
            with self._conn() as conn:
                conn.execute("INSERT INTO appearance_images VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (image.name, image.kind, image.key_id, image.sha256, image.png,
                              image.width, image.height, image.diameter_mm, image.created_by,
                              image.created_at))
        except sqlite3.IntegrityError:
            return False
        return True

    def get(self, name: str) -> StoredImage | None:
        row = self._conn().execute(
            "SELECT name, kind, key_id, sha256, png, width, height, diameter_mm, created_by, "
            "created_at FROM appearance_images WHERE name = ?", (name,)).fetchone()
        return StoredImage(*row) if row else None

    def list(self) -> list[StoredImage]:
        rows = self._conn().execute(
            "SELECT name, kind, key_id, sha256, png, width, height, diameter_mm, created_by, "
            "created_at FROM appearance_images ORDER BY name").fetchall()
        return [StoredImage(*r) for r in rows]

    @staticmethod
    def now() -> str:
        return datetime.now(timezone.utc).isoformat(timespec="seconds")
