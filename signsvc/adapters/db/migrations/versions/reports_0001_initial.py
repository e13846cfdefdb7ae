"""reports: the schema of commit 275936b (SQLite: created verbatim or adopted in place).

Revision ID: reports_0001
Revises:
"""

from __future__ import annotations

from alembic import op

from signsvc.adapters.db import ddl_sqlite
from signsvc.adapters.db.migrations import keep_first_revision
from signsvc.adapters.db.postgresql_ddl import create_postgresql

revision = "reports_0001"
down_revision = None
branch_labels = ("reports",)
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    is_sqlite = bind.dialect.name == "sqlite"
    if is_sqlite:
        ddl_sqlite.create_plain(bind, ddl_sqlite.REPORTS)
    else:
        create_postgresql(bind, "reports")


def downgrade() -> None:
    keep_first_revision("reports")
