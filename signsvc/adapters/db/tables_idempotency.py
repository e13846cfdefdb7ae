"""The ``idempotency`` table group: one record per (client, Idempotency-Key).

Default home: ``idempotency.sqlite3`` in the state folder (its own file: a stored signed
PDF of up to ``max_document_bytes`` never holds the write lock of the other stores), or the
shared ``[database] url``. Times are seconds since the epoch (UTC).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, LargeBinary, PrimaryKeyConstraint, Text

from signsvc.adapters.db.tables import _table

idempotency_records = _table(
    "idempotency", "idempotency_records",
    Column("client", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),   # SHA-256 of method, path, query, body
    Column("state", Text, nullable=False),         # 'pending' (being answered) | 'done'
    Column("owner", Text, nullable=False),         # random id of the request holding it
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("lease_until", Float, nullable=False),  # a pending record after this is abandoned
    Column("status", Integer),                     # the stored answer ('done' only)
    Column("headers", Text),                       # JSON list of [name, value]
    Column("body", LargeBinary),
    PrimaryKeyConstraint("client", "key"),
    Index("idempotency_records_expiry", "expires_at"),
)
