"""images: the schema of commit 275936b (SQLite: created verbatim or adopted in place).

Revision ID: images_0001
Revises:
"""

from __future__ import annotations

from alembic import op

from signsvc.adapters.db import ddl_sqlite
from signsvc.adapters.db.migrations import keep_first_revision
from signsvc.adapters.db.postgresql_ddl import create_postgresql

revision = "images_0001"
down_revision = None
branch_labels = ("images",)
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    is_sqlite = bind.dialect.name == "sqlite"
    if is_sqlite:
        ddl_sqlite.create_plain(bind, ddl_sqlite.IMAGES)
    else:
        create_postgresql(bind, "images")


def downgrade() -> None:
    keep_first_revision("images")
