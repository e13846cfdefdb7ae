"""state: the policy in force, shared by every instance (issue 16, item 3; both engines).

Revision ID: state_0002
Revises: state_0001
"""

from __future__ import annotations

from alembic import op

from signsvc.adapters.db.tables_policy import policy_in_force

revision = "state_0002"
down_revision = "state_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    policy_in_force.create(op.get_bind(), checkfirst=True)   # with its index


def downgrade() -> None:
    op.drop_table("policy_in_force")
