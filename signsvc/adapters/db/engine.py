"""Engines: one per database, SQLite files in WAL mode or a PostgreSQL pool.

Guarantees:

- ``sqlite_file_engine(path)`` returns the same engine for the same file in a process
  (while one is in use: an engine no store holds any more is closed with its connections);
  every connection has ``busy_timeout`` and ``synchronous = FULL`` (each commit durable
  before it returns), and the driver's own transaction handling is off: SQLAlchemy's
  ``begin`` emits ``BEGIN`` itself, or ``BEGIN IMMEDIATE`` on a connection from
  ``write_connection`` (the write lock is taken at the start, so a read-then-write
  transaction cannot fail half-way with "database is locked").
- ``url_engine(url)`` returns the same engine for the same URL in a process (PostgreSQL:
  a pool checked with ``pre_ping``; ``postgresql://`` means psycopg 3).
- After ``fork()`` the child never uses a connection its parent opened (every engine's
  pool is disposed in the child without closing the parent's connections).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another one's write lock before failing."""

_IMMEDIATE = "signsvc_sqlite_immediate"   # execution option read by the begin hook

# weak: an engine (and its pooled connections, so its files) lives as long as a store uses it
_engines: weakref.WeakValueDictionary[str, Engine] = weakref.WeakValueDictionary()
_lock = threading.Lock()
_all: weakref.WeakSet[Engine] = weakref.WeakSet()
_files: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def _forget_in_child() -> None:
    for engine in list(_all):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_in_child)


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (not psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_hooks(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None   # SQLAlchemy's begin hook starts transactions
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cur.execute("PRAGMA synchronous = FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def sqlite_file_engine(path: str | os.PathLike[str], *,
                       busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    """The engine of the SQLite file at ``path`` (created with its folder if missing)."""
    full = os.path.abspath(os.fspath(path))
    key = f"sqlite:{busy_timeout_ms}:{full}"
    with _lock:
        engine = _engines.get(key)
        if engine is not None:
            return engine
        Path(full).parent.mkdir(parents=True, exist_ok=True)

        def creator() -> sqlite3.Connection:
            return sqlite3.connect(f"file:{quote(full)}?mode=rwc", uri=True,
                                   timeout=busy_timeout_ms / 1000, isolation_level=None,
                                   check_same_thread=False)

        engine = create_engine("sqlite://", creator=creator, poolclass=QueuePool,
                               pool_size=8, max_overflow=56,
                               pool_timeout=busy_timeout_ms / 1000)
        _sqlite_hooks(engine, busy_timeout_ms)
        _engines[key] = engine
        _all.add(engine)
        _files[engine] = full
        return engine


def sqlite_file(engine: Engine) -> str | None:
    """The file of an engine made by ``sqlite_file_engine`` (else None)."""
    return _files.get(engine)


def url_engine(url: str) -> Engine:
    """The engine of a database URL (``sqlite:///file`` or ``postgresql://...``)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("a SQLite database URL names a file")
        return sqlite_file_engine(parsed.database)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url, pool_size=5, max_overflow=20, pool_pre_ping=True,
                                   pool_timeout=30)
            _engines[url] = engine
            _all.add(engine)
        return engine


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes: on SQLite it holds the file's write lock from its first
    statement (``BEGIN IMMEDIATE``); committed when the block ends, rolled back if it raises."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn = conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


def dispose_all() -> None:
    """Close every pooled connection of this process (before a fork, or at the end)."""
    for engine in list(_all):
        engine.dispose()
