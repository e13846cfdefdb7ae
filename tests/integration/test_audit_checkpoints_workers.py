"""Several workers share one audit log: one of them signs each checkpoint, not each of them
(every checkpoint is a B-T signature; N workers each signing one was 7.7% of their CPU)."""

from __future__ import annotations

import threading
import time

from signsvc.adapters.audit_sql import open_audit_store
from signsvc.adapters.checkpoint_sql import SqlCheckpointStore
from signsvc.services.audit_service import AuditService
from signsvc.services.checkpoint_service import CheckpointService
from tests.conftest import build_api

# the service's own thread never finds a checkpoint due during the test
CHECKPOINTING = {"audit__checkpoint_key": "dev-software",
                 "audit__checkpoint_every_records": "1000",
                 "audit__checkpoint_every_seconds": "3600"}


def test_four_workers_due_at_once_sign_one_checkpoint(tmp_path, dev_pki, responders):
    api = build_api(tmp_path, **CHECKPOINTING)
    stores = []
    try:
        for _ in range(6):
            assert api.client.get("/v1/keys", headers=api.headers("portal")).status_code == 200
        real = api.services.checkpoints._signer   # the dev-software key and the real TSA
        calls: list[int] = []

        class SlowCountingSigner:
            key_id, certificate_sha256 = real.key_id, real.certificate_sha256

            def sign(self, payload: bytes):
                calls.append(1)
                time.sleep(0.3)   # a TSA round trip: the window in which others would sign too
                return real.sign(payload)

        workers = []
        for _ in range(4):   # as four worker processes: each its own connections and lock fd
            store = open_audit_store(api.services.settings)
            stores.append(store)
            workers.append(CheckpointService(
                store, SqlCheckpointStore(api.state_dir / "audit.sqlite3"),
                AuditService(store), SlowCountingSigner(), None, every_records=5,
                every_seconds=3600))
        assert all(w.due() for w in workers)
        results: list = [None] * 4
        start = threading.Barrier(4)

        def run(i: int) -> None:
            start.wait()
            results[i] = workers[i].run_once()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert len(calls) == 1, f"{len(calls)} checkpoint signatures for one head"
        (made,) = [r for r in results if r is not None]
        (stored,) = api.services.checkpoints.list()
        assert stored.checkpoint == made.checkpoint and made.checkpoint.head_sequence >= 6
        # its own audit record alone makes none due: nobody signs again
        assert [w.run_once() for w in workers] == [None] * 4 and len(calls) == 1
        # the checkpoint's signature and time-stamp verify, the chain up to it is intact
        body = api.client.get("/v1/audit/verify", headers=api.headers("auditor")).get_json()
        assert body["ok"] is True, body
        assert api.services.checkpoints.verify().ok
    finally:
        for s in stores:
            s.close()
        api.services.shutdown()
