-- made by signsvc at commit 275936b (tests/integration/test_legacy_state.py)
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE clients (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    keys TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
, disabled_at TEXT);
INSERT INTO clients VALUES('portal-a','portal','seal','abababababababababababababababababababababababababababababababab','2026-12-03T18:41:22+00:00',NULL);
CREATE TABLE passwords (
    name TEXT PRIMARY KEY REFERENCES clients(name),
    scrypt TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO passwords VALUES('portal-a','scrypt$x','2026-12-03T18:41:22+00:00');
CREATE TABLE login_sessions (
    ref TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL,
    stage TEXT NOT NULL,
    second_factor TEXT
);
INSERT INTO login_sessions VALUES('ref1','portal-a','127.0.0.1',1.0,2.0,4000000000.0,NULL,'full',NULL);
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure REAL NOT NULL,
    blocked_until REAL NOT NULL
);
CREATE TABLE totp_secrets (
    client TEXT PRIMARY KEY,
    nonce BLOB NOT NULL,
    sealed BLOB NOT NULL,
    last_step INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE rate_counters (
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,        -- 's': one second (epoch seconds), 'd': one UTC day (epoch days)
    start INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (subject, kind, start)
) WITHOUT ROWID;
INSERT INTO rate_counters VALUES('client:portal-a','d',20790,1);
INSERT INTO rate_counters VALUES('client:portal-a','s',1796299200,1);
CREATE TABLE revocation_cache (kind TEXT NOT NULL, key TEXT NOT NULL, url TEXT NOT NULL, der BLOB NOT NULL, this_update TEXT NOT NULL, next_update TEXT NOT NULL, fetched_at TEXT NOT NULL, PRIMARY KEY (kind, key));
INSERT INTO revocation_cache VALUES('crl','http://x/crl','http://x/crl',X'3000','2026-01-01T00:00:00+00:00','2099-01-01T00:00:00+00:00','2026-12-03T18:41:22.842066+00:00');
CREATE INDEX login_sessions_client ON login_sessions(client);
CREATE INDEX rate_counters_age ON rate_counters(kind, start);
COMMIT;
