"""The tables of every store (SQLAlchemy Core), grouped by the SQLite file that holds them
by default.

Groups (``GROUPS``): ``audit`` (the audit log and its checkpoints: ``[audit] path``),
``state`` (clients, page logins, rate counters, revocation cache: ``signsvc.sqlite3``),
``workflow`` (documents, signing sessions, whole-file tickets, registered certificates:
``workflow.sqlite3``), ``images`` and ``reports``. With ``[database] url`` every group
lives in that one database.

Column types are those of today's SQLite DDL (``ddl_sqlite.py``, which creates them on
SQLite verbatim); on PostgreSQL ``LargeBinary`` is ``bytea``, ``Float`` double precision,
``BigInteger`` bigint. Timestamps stay ISO-8601 text (the audit chain hashes them as text).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.schema import SchemaItem

metadata = MetaData()

GROUPS = ("audit", "state", "workflow", "images", "reports", "idempotency", "jobs")


def _table(group: str, name: str, *items: SchemaItem) -> Table:
    return Table(name, metadata, *items, info={"group": group})


# -- audit ----------------------------------------------------------------------------------
audit_events = _table(
    "audit", "audit_events",
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("time", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("actor", Text),
    Column("role", Text),
    Column("request_id", Text),
    Column("error_code", Text),
    Column("key_id", Text),
    Column("certificate_serial", Text),
    Column("certificate_sha256", Text),
    Column("input_sha256", Text),
    Column("output_sha256", Text),
    Column("level", Text),
    Column("client_address", Text),
    Column("details", Text, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("record_hash", Text, nullable=False),
    Column("mac", Text),
    Index("audit_events_time", "time"),
    Index("audit_events_actor", "actor", "sequence"),
    Index("audit_events_action", "action", "sequence"),
    Index("audit_events_action_time", "action", "time"),   # revision audit_0002
    Index("audit_events_input", "input_sha256"),
    Index("audit_events_output", "output_sha256"),
)
audit_meta = _table(
    "audit", "audit_meta",
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
audit_checkpoints = _table(
    "audit", "audit_checkpoints",
    Column("checkpoint_index", BigInteger, primary_key=True, autoincrement=False),
    Column("head_sequence", BigInteger, nullable=False, unique=True),
    Column("head_hash", Text, nullable=False),
    Column("time", Text, nullable=False),
    Column("prev_checkpoint_sha256", Text, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("timestamp_token", LargeBinary, nullable=False),
    Column("signer_certificate_sha256", Text, nullable=False),
)
# one row on PostgreSQL: appenders lock it (SELECT ... FOR UPDATE) to take turns at the head
audit_chain_head = _table(
    "audit", "audit_chain_head",
    Column("id", Integer, primary_key=True, autoincrement=False),
)

# -- state ----------------------------------------------------------------------------------
clients = _table(
    "state", "clients",
    Column("name", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("keys", Text, nullable=False),
    Column("token_sha256", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
    Column("disabled_at", Text),
)
passwords = _table(
    "state", "passwords",
    Column("name", Text, primary_key=True),   # REFERENCES clients(name) on SQLite
    Column("scrypt", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)
login_sessions = _table(
    "state", "login_sessions",
    Column("ref", Text, primary_key=True),
    Column("client", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked_at", Float),
    Column("stage", Text, nullable=False),
    Column("second_factor", Text),
    Index("login_sessions_client", "client"),
)
login_throttle = _table(
    "state", "login_throttle",
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure", Float, nullable=False),
    Column("blocked_until", Float, nullable=False),
)
totp_secrets = _table(
    "state", "totp_secrets",
    Column("client", Text, primary_key=True),
    Column("nonce", LargeBinary, nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("last_step", BigInteger, nullable=False, server_default="0"),
)
rate_counters = _table(
    "state", "rate_counters",
    Column("subject", Text, nullable=False),
    Column("kind", Text, nullable=False),       # 's': one second, 'd': one UTC day
    Column("start", BigInteger, nullable=False),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("subject", "kind", "start"),
    Index("rate_counters_age", "kind", "start"),
)
revocation_cache = _table(
    "state", "revocation_cache",
    Column("kind", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("der", LargeBinary, nullable=False),
    Column("this_update", Text, nullable=False),
    Column("next_update", Text, nullable=False),
    Column("fetched_at", Text, nullable=False),
    PrimaryKeyConstraint("kind", "key"),
)

# -- workflow -------------------------------------------------------------------------------
documents = _table(
    "workflow", "documents",
    Column("id", Text, primary_key=True),
    Column("title", Text, nullable=False),
    Column("number", Text, nullable=False),
    Column("assignee", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("state", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Index("documents_assignee", "assignee", "state"),
)
signing_sessions = _table(
    "workflow", "signing_sessions",
    Column("id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("document_id", Text, nullable=False),
    Column("base_revision", Integer, nullable=False),
    Column("base_sha256", Text, nullable=False),
    Column("certificate", LargeBinary, nullable=False),
    Column("level", Text, nullable=False),
    Column("field_name", Text, nullable=False),
    Column("prepared_pdf", LargeBinary, nullable=False),
    Column("prepared_sha256", Text, nullable=False),
    Column("document_digest", LargeBinary, nullable=False),
    Column("reserved_start", BigInteger, nullable=False),
    Column("reserved_end", BigInteger, nullable=False),
    Column("signed_attrs", LargeBinary, nullable=False),
    Column("mechanism", LargeBinary, nullable=False),
    Column("state", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("result_sha256", Text),
    Index("signing_sessions_expiry", "state", "expires_at"),
)
whole_file_tickets = _table(
    "workflow", "whole_file_tickets",
    Column("token_sha256", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("document_id", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("base_sha256", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("downloaded", Integer, nullable=False, server_default="0"),
    Column("uploaded", Integer, nullable=False, server_default="0"),
)
client_certificates = _table(
    "workflow", "client_certificates",
    Column("client", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("registered_at", Text, nullable=False),
    PrimaryKeyConstraint("client", "sha256"),
)

# -- images and reports ---------------------------------------------------------------------
appearance_images = _table(
    "images", "appearance_images",
    Column("name", Text, primary_key=True),
    Column("kind", Text, nullable=False),       # CHECK (kind IN ('signature', 'seal'))
    Column("key_id", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("png", LargeBinary, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("diameter_mm", Float),
    Column("created_by", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)
kept_reports = _table(
    "reports", "kept_reports",
    Column("id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("report", Text, nullable=False),
    Index("kept_reports_created", "created"),
)

# the idempotency group keeps its table in its own file (registered in ``metadata`` here)
from signsvc.adapters.db import tables_idempotency as _idempotency  # noqa: E402,F401
from signsvc.adapters.db import tables_jobs as _jobs  # noqa: E402,F401
from signsvc.adapters.db import tables_policy as _policy  # noqa: E402,F401


def tables_of(group: str) -> list[Table]:
    """The tables of ``group``, in creation order."""
    if group not in GROUPS:
        raise ValueError(f"unknown table group {group!r}")
    return [t for t in metadata.sorted_tables if t.info["group"] == group]
