"""audit: an index on (action, time) for the auditor's page filtered by action and a date
range (issue 16; both engines). Before it, such a view walked the (action, sequence) index
back from the newest record until it reached the range: 110-300 ms at 1,000,000 records.

Revision ID: audit_0002
Revises: audit_0001
"""

from __future__ import annotations

from alembic import op

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("audit_events_action_time", "audit_events", ["action", "time"],
                    if_not_exists=True)


def downgrade() -> None:
    op.drop_index("audit_events_action_time", table_name="audit_events")
