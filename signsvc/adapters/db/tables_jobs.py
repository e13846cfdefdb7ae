"""The ``jobs`` table group: batch signing jobs and their documents (the queue).

Default home: ``jobs.sqlite3`` in the state folder (its own file: the PDFs of a job, up to
``[jobs] max_total_bytes``, never hold the write lock of the other stores), or the shared
``[database] url``. Times are seconds since the epoch (UTC).

A document's ``state``: ``pending`` (waiting), ``running`` (claimed by ``owner`` until
``lease_until``; past it, another worker may claim it again), ``done`` (signed: ``output``,
``sha256``, ``audit_sequence``), ``failed`` (``problem``: JSON problem) or ``cancelled``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Text,
)

from signsvc.adapters.db.tables import _table

jobs = _table(
    "jobs", "jobs",
    Column("id", Text, primary_key=True),
    Column("client", Text, nullable=False),        # the client that created it
    Column("state", Text, nullable=False),         # 'active' | 'cancelled'
    Column("key_id", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("request", Text, nullable=False),       # JSON: the rest of the signature request
    Column("context", Text, nullable=False),       # JSON: role, client address, request id
    Column("total", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("cancelled_at", Float),
    Index("jobs_client", "client", "created_at"),
)
job_documents = _table(
    "jobs", "job_documents",
    Column("job_id", Text, ForeignKey("jobs.id"), nullable=False),
    Column("n", Integer, nullable=False),          # 1-based, in the order sent
    Column("name", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("queued_at", Float, nullable=False),
    Column("input_sha256", Text, nullable=False),
    Column("input", LargeBinary),                  # dropped once signed, failed or cancelled
    Column("owner", Text),
    Column("lease_until", Float),
    Column("attempts", Integer, nullable=False, default=0),
    Column("output", LargeBinary),
    Column("sha256", Text),
    Column("level", Text),
    Column("audit_sequence", BigInteger),
    Column("problem", Text),
    Column("finished_at", Float),
    PrimaryKeyConstraint("job_id", "n"),
    Index("job_documents_queue", "state", "queued_at"),
)
