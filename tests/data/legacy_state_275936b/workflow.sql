-- made by signsvc at commit 275936b (tests/integration/test_legacy_state.py)
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE documents (
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
);
INSERT INTO documents VALUES('d1','Tờ trình','01/TTr','official-a','clerk-a',1,'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd',1,X'255044462d312e37206c6567616379','awaiting','2026-12-03T00:00:00+00:00','2026-12-03T00:00:00+00:00');
CREATE TABLE signing_sessions (
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
);
CREATE TABLE whole_file_tickets (
    token_sha256 TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    document_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    base_sha256 TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    downloaded INTEGER NOT NULL DEFAULT 0,
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE client_certificates (
    client TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    subject TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (client, sha256)
);
INSERT INTO client_certificates VALUES('official-a','efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef','CN=Nguyễn Văn A','2026-12-03T18:41:22.846940+00:00');
CREATE INDEX documents_assignee ON documents (assignee, state);
CREATE INDEX signing_sessions_expiry ON signing_sessions (state, expires_at);
COMMIT;
