"""Today's SQLite schema, verbatim (as the stores created it up to commit 275936b), and the
in-place upgrades those stores made themselves. The first migration of each group runs
this on SQLite, so a fresh file gets exactly the old schema and an existing state folder
is adopted as it is (``IF NOT EXISTS``; older layouts brought up to date)."""

from __future__ import annotations

from sqlalchemy import Connection

AUDIT_SCHEMA_VERSION = 2   # PRAGMA user_version of the audit file (kept for older tools)

_AUDIT_V2 = ["ALTER TABLE audit_events ADD COLUMN mac TEXT",
             "CREATE TABLE audit_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"]
_AUDIT = [
    """CREATE TABLE audit_events (
        sequence INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        actor TEXT,
        role TEXT,
        request_id TEXT,
        error_code TEXT,
        key_id TEXT,
        certificate_serial TEXT,
        certificate_sha256 TEXT,
        input_sha256 TEXT,
        output_sha256 TEXT,
        level TEXT,
        client_address TEXT,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        record_hash TEXT NOT NULL
    )""",
    "CREATE INDEX audit_events_time ON audit_events (time)",
    "CREATE INDEX audit_events_actor ON audit_events (actor, sequence)",
    "CREATE INDEX audit_events_action ON audit_events (action, sequence)",
    "CREATE INDEX audit_events_input ON audit_events (input_sha256)",
    "CREATE INDEX audit_events_output ON audit_events (output_sha256)",
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    *_AUDIT_V2,
]
_CHECKPOINTS = [
    """CREATE TABLE IF NOT EXISTS audit_checkpoints (
        checkpoint_index INTEGER PRIMARY KEY,
        head_sequence INTEGER NOT NULL UNIQUE,
        head_hash TEXT NOT NULL,
        time TEXT NOT NULL,
        prev_checkpoint_sha256 TEXT NOT NULL,
        signature BLOB NOT NULL,
        timestamp_token BLOB NOT NULL,
        signer_certificate_sha256 TEXT NOT NULL
    )""",
    "CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints "
    "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints "
    "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
]

STATE = [
    # clients_sql
    """CREATE TABLE IF NOT EXISTS clients (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    keys TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS passwords (
    name TEXT PRIMARY KEY REFERENCES clients(name),
    scrypt TEXT NOT NULL,
    updated_at TEXT NOT NULL
)""",
    # logins_sql
    """CREATE TABLE IF NOT EXISTS login_sessions (
    ref TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL,
    stage TEXT NOT NULL,
    second_factor TEXT
)""",
    "CREATE INDEX IF NOT EXISTS login_sessions_client ON login_sessions(client)",
    """CREATE TABLE IF NOT EXISTS login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure REAL NOT NULL,
    blocked_until REAL NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS totp_secrets (
    client TEXT PRIMARY KEY,
    nonce BLOB NOT NULL,
    sealed BLOB NOT NULL,
    last_step INTEGER NOT NULL DEFAULT 0
)""",
    # rate_counters_sql
    """CREATE TABLE IF NOT EXISTS rate_counters (
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,        -- 's': one second (epoch seconds), 'd': one UTC day (epoch days)
    start INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (subject, kind, start)
) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS rate_counters_age ON rate_counters(kind, start)",
    # revocation_cache_sql
    "CREATE TABLE IF NOT EXISTS revocation_cache (kind TEXT NOT NULL, key TEXT NOT NULL, "
    "url TEXT NOT NULL, der BLOB NOT NULL, this_update TEXT NOT NULL, "
    "next_update TEXT NOT NULL, fetched_at TEXT NOT NULL, PRIMARY KEY (kind, key))",
]

WORKFLOW = [
    """CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    number TEXT NOT NULL,
    assignee TEXT NOT NULL,
    created_by TEXT NOT NULL,
    revision INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    pages INTEGER NOT NULL,
    content BLOB NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS documents_assignee ON documents (assignee, state)",
    """CREATE TABLE IF NOT EXISTS signing_sessions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    document_id TEXT NOT NULL,
    base_revision INTEGER NOT NULL,
    base_sha256 TEXT NOT NULL,
    certificate BLOB NOT NULL,
    level TEXT NOT NULL,
    field_name TEXT NOT NULL,
    prepared_pdf BLOB NOT NULL,
    prepared_sha256 TEXT NOT NULL,
    document_digest BLOB NOT NULL,
    reserved_start INTEGER NOT NULL,
    reserved_end INTEGER NOT NULL,
    signed_attrs BLOB NOT NULL,
    mechanism BLOB NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    result_sha256 TEXT
)""",
    "CREATE INDEX IF NOT EXISTS signing_sessions_expiry ON signing_sessions (state, expires_at)",
    """CREATE TABLE IF NOT EXISTS whole_file_tickets (
    token_sha256 TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    document_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    base_sha256 TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    downloaded INTEGER NOT NULL DEFAULT 0,
    uploaded INTEGER NOT NULL DEFAULT 0
)""",
    """CREATE TABLE IF NOT EXISTS client_certificates (
    client TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    subject TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (client, sha256)
)""",
]

IMAGES = [
    """CREATE TABLE IF NOT EXISTS appearance_images (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('signature', 'seal')),
    key_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    png BLOB NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    diameter_mm REAL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
)""",
]

REPORTS = [
    """CREATE TABLE IF NOT EXISTS kept_reports (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created REAL NOT NULL,
    report TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS kept_reports_created ON kept_reports (created)",
]


def _has_table(conn: Connection, name: str) -> bool:
    return conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).first() \
        is not None


def _columns(conn: Connection, table: str) -> set[str]:
    return {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")}


def create_audit(conn: Connection) -> None:
    """The audit file: schema 2 on a new file; schema 1 (no keyed chain) gains it in place,
    records kept as they are; an unknown version is refused."""
    version = conn.exec_driver_sql("PRAGMA user_version").scalar()
    if not _has_table(conn, "audit_events"):
        if version not in (0, None):
            raise ValueError(f"audit file of schema {version} without its table")
        statements = _AUDIT
    elif version == 1:
        statements = _AUDIT_V2
    elif version == AUDIT_SCHEMA_VERSION:
        statements = []
    else:
        raise ValueError(f"unknown audit schema version {version}")
    for statement in (*statements, *_CHECKPOINTS):
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql(f"PRAGMA user_version = {AUDIT_SCHEMA_VERSION}")


def create_state(conn: Connection) -> None:
    """``signsvc.sqlite3``; a clients table made before client revocation gains the column."""
    for statement in STATE:
        conn.exec_driver_sql(statement)
    if "disabled_at" not in _columns(conn, "clients"):
        conn.exec_driver_sql("ALTER TABLE clients ADD COLUMN disabled_at TEXT")


def create_plain(conn: Connection, statements: list[str]) -> None:
    for statement in statements:
        conn.exec_driver_sql(statement)
