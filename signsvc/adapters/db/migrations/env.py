"""Alembic environment: always run programmatically (``signsvc.adapters.db.migrate``) on a
connection given in ``config.attributes["connection"]``; never from a URL of its own."""

from __future__ import annotations

from alembic import context

from signsvc.adapters.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  transactional_ddl=True, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
