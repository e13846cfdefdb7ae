-- made by signsvc at commit 275936b (tests/integration/test_legacy_state.py)
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE appearance_images (
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
);
INSERT INTO appearance_images VALUES('seal-1','seal','seal','1212121212121212121212121212121212121212121212121212121212121212',X'89504e47',10,10,40.0,'admin','2026-12-03T00:00:00+00:00');
COMMIT;
