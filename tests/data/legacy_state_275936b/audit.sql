-- made by signsvc at commit 275936b (SqliteAuditStore: schema 2, PRAGMA user_version = 2)
PRAGMA user_version=2;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE audit_events (
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
    , mac TEXT);
INSERT INTO audit_events VALUES(1,'2026-12-03T18:41:22.829933Z','sign:pdf:signed','success','portal0',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'{"n":0,"tên":"Nguyễn"}','0000000000000000000000000000000000000000000000000000000000000000','60ce5d0605f144ae332a982aed20ca93a44a63a6be63db91b2598ee1ce0ea7f5',NULL);
INSERT INTO audit_events VALUES(2,'2026-12-03T18:41:22.831226Z','sign:pdf:signed','success','portal1',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'{"n":1,"tên":"Nguyễn"}','60ce5d0605f144ae332a982aed20ca93a44a63a6be63db91b2598ee1ce0ea7f5','01d0e8cf43946c1d351925d36b48c8a574937ce26b00ec27938f8dc876a4bca0',NULL);
INSERT INTO audit_events VALUES(3,'2026-12-03T18:41:22.831867Z','sign:pdf:signed','success','portal2',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'{"n":2,"tên":"Nguyễn"}','01d0e8cf43946c1d351925d36b48c8a574937ce26b00ec27938f8dc876a4bca0','76feb31cb94c93f09b88190187c083494480e47d0d1aa76ee94ce7a4ed1a362c',NULL);
CREATE TABLE audit_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE audit_checkpoints (
        checkpoint_index INTEGER PRIMARY KEY,
        head_sequence INTEGER NOT NULL UNIQUE,
        head_hash TEXT NOT NULL,
        time TEXT NOT NULL,
        prev_checkpoint_sha256 TEXT NOT NULL,
        signature BLOB NOT NULL,
        timestamp_token BLOB NOT NULL,
        signer_certificate_sha256 TEXT NOT NULL
    );
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_actor ON audit_events (actor, sequence);
CREATE INDEX audit_events_action ON audit_events (action, sequence);
CREATE INDEX audit_events_input ON audit_events (input_sha256);
CREATE INDEX audit_events_output ON audit_events (output_sha256);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
COMMIT;
