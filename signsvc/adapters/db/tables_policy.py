"""The policy in force, shared by every instance (table group ``state``).

One row per change: the newest row (highest ``id``) is the policy in force. Every process
compares the newest row with its own policy every few seconds and switches to it, so a
reload made by the command line or by one instance reaches them all. Times are seconds
since the epoch (UTC).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, Text

from signsvc.adapters.db.tables import _table

policy_in_force = _table(
    "state", "policy_in_force",
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("recorded_at", Float, nullable=False),
    Column("recorded_by", Text, nullable=False),   # 'system' (a start-up) or the operator
    Index("policy_in_force_sha256", "sha256"),
)
