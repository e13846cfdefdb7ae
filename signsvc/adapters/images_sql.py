"""Registered signature and seal images (``state_dir/images.sqlite3`` by default, or the
shared ``[database] url``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from signsvc.adapters.db.databases import open_engine
from signsvc.adapters.db.engine import write_transaction
from signsvc.adapters.db.tables import appearance_images as t
from signsvc.signing.appearance.spec import StoredImage

_COLUMNS = (t.c.name, t.c.kind, t.c.key_id, t.c.sha256, t.c.png, t.c.width, t.c.height,
            t.c.diameter_mm, t.c.created_by, t.c.created_at)


def _image(row: tuple) -> StoredImage:
    values = list(row)
    values[4] = bytes(values[4])
    return StoredImage(*values)


class SqlImageStore:
    def __init__(self, db: Engine | str | os.PathLike[str]) -> None:
        self._engine = open_engine(db, "images")

    def add(self, image: StoredImage) -> bool:
        """False when the name is taken (images are never silently replaced)."""
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(insert(t).values(
                    name=image.name, kind=image.kind, key_id=image.key_id, sha256=image.sha256,
                    png=image.png, width=image.width, height=image.height,
                    diameter_mm=image.diameter_mm, created_by=image.created_by,
                    created_at=image.created_at))
        except IntegrityError:
            return False
        return True

    def get(self, name: str) -> StoredImage | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(t.c.name == name)).first()
        return _image(tuple(row)) if row else None

    def list(self) -> list[StoredImage]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(*_COLUMNS).order_by(t.c.name)).all()
        return [_image(tuple(r)) for r in rows]

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).isoformat(timespec="seconds")
