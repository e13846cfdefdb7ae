"""jobs: batch signing jobs and their documents, the queue (new in issue 16; both engines).

Revision ID: jobs_0001
Revises:
"""

from __future__ import annotations

from alembic import op

from signsvc.adapters.db.migrations import keep_first_revision
from signsvc.adapters.db.tables_jobs import job_documents, jobs

revision = "jobs_0001"
down_revision = None
branch_labels = ("jobs",)
depends_on = None


def upgrade() -> None:
    jobs.create(op.get_bind(), checkfirst=True)
    job_documents.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    keep_first_revision("jobs")
