-- made by signsvc at commit 275936b (tests/integration/test_legacy_state.py)
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE kept_reports (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created REAL NOT NULL,
    report TEXT NOT NULL
);
INSERT INTO kept_reports VALUES('r1','auditor-a',1796323282.8520817757,'{"ok": true}');
CREATE INDEX kept_reports_created ON kept_reports (created);
COMMIT;
