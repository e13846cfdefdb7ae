"""Several writers on one audit log in PostgreSQL (issue 16, item 2): processes that append
at the same time, as two instances would, produce one gapless sequence and one valid
keyed chain; every append returned only after its commit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db.engine import url_engine
from signsvc.audit.keyed import Anchor, verify_segment

REPO = Path(__file__).resolve().parents[2]
KEY = b"multi-writer test key, 32 bytes+"
PER_WRITER = 400

_WRITER = r"""
import json, sys, time
from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db.engine import url_engine
from signsvc.audit.events import AuditEvent

url, name, n, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
store = SqlAuditStore(url_engine(url), mac_key=sys.argv[5].encode())
while time.time() < start_at:
    time.sleep(0.001)
began = time.monotonic()
sequences = [store.append(AuditEvent(action="sign:pdf:signed", outcome="success", actor=name,
                                     details={"i": i})).sequence for i in range(n)]
print(json.dumps({"sequences": sequences, "seconds": time.monotonic() - began}))
"""


def test_two_processes_append_one_gapless_valid_chain(pg_url):
    engine = url_engine(pg_url)
    SqlAuditStore(engine, mac_key=KEY).close()   # schema and keyed-chain marker
    start_at = time.time() + 2.0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, pg_url, f"instance-{i}",
                                 str(PER_WRITER), str(start_at), KEY.decode()],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env) for i in (1, 2)]
    results = []
    for w in writers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
        results.append(json.loads(out))
    wall = max(r["seconds"] for r in results)
    mine = [set(r["sequences"]) for r in results]
    assert not mine[0] & mine[1]                              # no sequence given twice
    assert mine[0] | mine[1] == set(range(1, 2 * PER_WRITER + 1))   # and no gap
    assert all(r["sequences"] == sorted(r["sequences"]) for r in results)
    assert min(max(m) for m in mine) > PER_WRITER // 2        # they really interleaved

    store = SqlAuditStore(engine, mac_key=KEY)
    records = store.records()
    assert [r.sequence for r in records] == list(range(1, 2 * PER_WRITER + 1))
    assert {r.actor for r in records} == {"instance-1", "instance-2"}
    result = verify_segment(store.iter_with_mac(0), Anchor(), KEY, store.guard.mac_from)
    assert result.ok and result.checked == 2 * PER_WRITER, result
    assert store.integrity()["ok"]
    print(f"\n2 writers on PostgreSQL: {2 * PER_WRITER} appends in {wall:.2f} s = "
          f"{2 * PER_WRITER / wall:.0f} appends/s")
