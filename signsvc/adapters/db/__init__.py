"""The storage layer: engines (SQLite files or PostgreSQL), the tables of every store and
their Alembic migrations. ``database_for(settings, group)`` is the migrated engine a store
of that group uses."""

from __future__ import annotations

from signsvc.adapters.db.databases import database_for, open_engine, prepare_databases
from signsvc.adapters.db.engine import is_sqlite, write_transaction

__all__ = ["database_for", "is_sqlite", "open_engine", "prepare_databases", "write_transaction"]
