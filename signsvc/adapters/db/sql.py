"""SQL that differs between SQLite and PostgreSQL, behind one call each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, case, text
from sqlalchemy.dialects import postgresql, sqlite


def insert(conn: Connection, table: Table) -> Any:
    """``INSERT`` with ``on_conflict_do_update`` / ``on_conflict_do_nothing`` for the
    connection's dialect."""
    module = sqlite if conn.dialect.name == "sqlite" else postgresql
    return module.insert(table)


def replace(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    """``INSERT OR REPLACE`` by primary key (every other column takes the new value)."""
    keys = [c.name for c in table.primary_key.columns]
    stmt = insert(conn, table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={name: stmt.excluded[name] for name in values if name not in keys})
    conn.execute(stmt)


def insert_or_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    """``INSERT OR IGNORE`` (any unique conflict); the number of rows inserted."""
    return conn.execute(insert(conn, table).values(**values).on_conflict_do_nothing()).rowcount


def greatest(a: Any, b: Any) -> ColumnElement[Any]:
    """The larger of two values (``max(a, b)`` on SQLite, ``greatest`` on PostgreSQL)."""
    return case((a > b, a), else_=b)


def serialise(conn: Connection, names: Iterable[str]) -> None:
    """Inside a write transaction: hold a lock per name until it ends, so transactions
    about the same names run one after the other across processes and instances.
    PostgreSQL: advisory transaction locks (taken in sorted order: no deadlock); SQLite:
    nothing to do, ``BEGIN IMMEDIATE`` already holds the whole file's write lock."""
    if conn.dialect.name == "sqlite":
        return
    for name in sorted(set(names)):
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:n, 0))"), {"n": name})
