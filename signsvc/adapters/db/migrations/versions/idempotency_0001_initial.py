"""idempotency: the records of Idempotency-Key requests (new in issue 16; both engines).

Revision ID: idempotency_0001
Revises:
"""

from __future__ import annotations

from alembic import op

from signsvc.adapters.db.migrations import keep_first_revision
from signsvc.adapters.db.tables_idempotency import idempotency_records

revision = "idempotency_0001"
down_revision = None
branch_labels = ("idempotency",)
depends_on = None


def upgrade() -> None:
    idempotency_records.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    keep_first_revision("idempotency")
