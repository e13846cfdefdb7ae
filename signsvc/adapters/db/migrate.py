"""Schema migrations (Alembic, ``migrations/``), run by the program itself.

One branch per table group (``tables.GROUPS``): a SQLite file holds the groups it is the
home of and records their heads in its own ``alembic_version``; a shared database (a
``[database] url``) holds every branch. ``migrate`` is what start-up calls (the gunicorn
master, before forking; the command line; a store opened on its own):

- a database already at the heads is only read (a read-only audit file can still be opened);
- otherwise the upgrade runs once at a time across processes (SQLite: ``flock`` on
  ``<file>.migrate-lock``; PostgreSQL: an advisory lock), each group's revisions in one
  transaction, and a SQLite file is switched to WAL first;
- an existing state folder from before Alembic is adopted by the first revision of each
  group (tables created only if missing, older layouts upgraded in place).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, MetaData, String, Table, inspect, select

from signsvc.adapters.db.engine import is_sqlite, sqlite_file
from signsvc.adapters.db.tables import GROUPS

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x5167_6E73_7663   # pg_advisory_lock key of signsvc migrations

_VERSION_TABLE = "alembic_version"
_version = Table(_VERSION_TABLE, MetaData(), Column("version_num", String(32), primary_key=True))
_done: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()
_done_lock = threading.Lock()
_script: ScriptDirectory | None = None


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def script() -> ScriptDirectory:
    global _script
    if _script is None:
        _script = ScriptDirectory.from_config(_config())
    return _script


def head_of(group: str) -> str:
    """The newest revision of ``group``."""
    revision = script().get_revision(f"{group}@head")
    assert revision is not None
    return revision.revision


def current_heads(engine: Engine) -> set[str]:
    """The revisions recorded in the database (empty before its first migration)."""
    with engine.connect() as conn:   # read directly: no Alembic context (nor its log lines)
        if not inspect(conn).has_table(_VERSION_TABLE):
            return set()
        return {str(v) for v in conn.execute(select(_version.c.version_num)).scalars()}


@contextlib.contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    path = sqlite_file(engine)
    if path is not None:
        fd = os.open(path + ".migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)   # releases the lock
        return
    if is_sqlite(engine):
        yield
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_LOCK})")
        conn.commit()
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_LOCK})")
            conn.commit()


def _wal(engine: Engine) -> None:
    raw = engine.raw_connection()   # outside any transaction (the journal mode needs it)
    try:
        cur = raw.cursor()
        mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise OSError(f"cannot use WAL (journal mode {mode})")
        cur.close()
    finally:
        raw.close()


def migrate(engine: Engine, groups: Iterable[str] = GROUPS) -> None:
    """Bring ``groups`` of the database to their newest revision (see the module doc).
    Remembered per engine in this process (and its forks): a second call costs nothing."""
    groups = tuple(groups)
    with _done_lock:
        done = set(_done.get(engine, ()))
    todo = [g for g in groups if g not in done]
    if not todo:
        return
    wanted = {g: head_of(g) for g in todo}
    if not set(wanted.values()) <= current_heads(engine):
        with _exclusive(engine):
            if is_sqlite(engine):
                _wal(engine)
            have = current_heads(engine)
            for group, head in wanted.items():
                if head in have:
                    continue
                with engine.connect() as conn:
                    cfg = _config()
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, f"{group}@head")
                    conn.commit()
    with _done_lock:
        _done.setdefault(engine, set()).update(todo)


def forget(engine: Engine) -> None:
    """The next ``migrate`` of ``engine`` checks the database again (after a store closed
    it: the file may be changed or replaced before it is opened again)."""
    with _done_lock:
        _done.pop(engine, None)
