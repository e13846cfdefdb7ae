"""The auditor's audit-log page on a log of 1,000,000 records (issue 13: < 100 ms a view).

Generates ``-n`` records (default 1,000,000) in a temporary audit database, keyed with the
development HMAC key as the service writes them (hash chain + MAC), then starts the service
on it (development config, no checkpoint key, the state in the temporary folder), logs an
auditor in through the login page and times GET /auditor/audit (newest first): the first
page, an older page, a page half-way back, a page filtered by actor and one filtered by
action and one day. It also prints what the start-up full verification
and one full verification (GET /v1/audit/verify's work) cost, for comparison: the page
verifies incrementally (the records since the last verified one, and each record shown
against the one before it), and what a restart costs (from the verified marker).

    .venv/bin/python bench/audit_page.py [-n 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from signsvc.adapters.audit_sql import SqlAuditStore  # noqa: E402
from signsvc.audit.chain import GENESIS_HASH, seal  # noqa: E402
from signsvc.audit.events import RECORD_FIELDS, AuditEvent  # noqa: E402
from signsvc.audit.keyed import mac_for  # noqa: E402

ACTIONS = ("signing:document:signed", "validation:document:verified", "clients:client:listed")
T0 = 1_764_720_000  # 2025-12-03, one record a second from there


def generate(path: Path, n: int, key: bytes) -> float:
    """``n`` chained, MAC'd records written straight into a fresh store's table; seconds."""
    SqlAuditStore(path, mac_key=key).close()  # the schema and the keyed-chain marker
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    cols = ", ".join([*RECORD_FIELDS, "mac"])
    sql = f"INSERT INTO audit_events ({cols}) VALUES ({', '.join('?' * (len(RECORD_FIELDS) + 1))})"
    prev, prev_mac, batch = GENESIS_HASH, None, []
    for seq in range(1, n + 1):
        t = time.gmtime(T0 + seq)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".000000Z"
        event = AuditEvent(action=ACTIONS[seq % 3], outcome="success", actor=f"portal-{seq % 50}",
                           role="portal", request_id=f"{seq:032x}", key_id="dev-software",
                           input_sha256=f"{seq:064x}", details={"n": seq})
        rec = seal(event, seq, stamp, prev)
        mac = mac_for(key, rec, prev_mac, 1)
        values = [getattr(rec, f) for f in RECORD_FIELDS]
        values[RECORD_FIELDS.index("details")] = json.dumps(dict(rec.details), sort_keys=True,
                                                             separators=(",", ":"))
        batch.append((*values, mac))
        prev, prev_mac = rec.record_hash, mac
        if len(batch) == 10_000:
            db.executemany(sql, batch)
            batch.clear()
    db.executemany(sql, batch)
    db.execute("COMMIT")
    db.close()
    return time.perf_counter() - started


def timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    key_file = REPO / "var" / "secrets" / "audit-hmac.key"
    key = key_file.read_bytes().strip()
    with tempfile.TemporaryDirectory(prefix="signsvc-audit-bench-") as tmp:
        state = Path(tmp)
        took = generate(state / "audit.sqlite3", args.n, key)
        size = (state / "audit.sqlite3").stat().st_size / 1e6
        print(f"generated {args.n:,} keyed records in {took:.1f} s ({size:.0f} MB)")

        from signsvc.app import build_services
        from signsvc.services.context import RequestContext
        from signsvc.settings import load_settings
        from signsvc.web import create_web_app

        env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state),
               "SIGNSVC_AUDIT__PATH": str(state / "audit.sqlite3"),
               "SIGNSVC_AUDIT__CHECKPOINT_KEY": "", "SIGNSVC_AUDIT__HMAC_KEY_FILE": str(key_file)}
        settings = load_settings(REPO / "config" / "signsvc.toml", environ=env)
        started = time.perf_counter()
        services = build_services(settings)
        print(f"service start (start-up full verification included): "
              f"{time.perf_counter() - started:.1f} s")
        try:
            app = create_web_app(services)
            setup = RequestContext("bench", "bench", "admin")
            services.clients.create("kt-bench", "auditor", (), setup)
            services.login.set_password(setup, "kt-bench", "mật-khẩu-bench-kiểm-toán-1")
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            resp = client.post("/login", data={"name": "kt-bench", "csrf_token": csrf,
                                               "password": "mật-khẩu-bench-kiểm-toán-1"})
            assert resp.status_code in (302, 303), resp.status_code

            def view(url: str):
                def go():
                    r = client.get(url)
                    assert r.status_code == 200 and b"verdict-ok" in r.data, r.status_code
                return go

            head = services.audit._store.head()[0]
            # newest first (issue 15): the first page is the head, older pages by sequence
            for name, url in (("first page (newest)", "/auditor/audit"),
                              ("older page", f"/auditor/audit?before_sequence={head - 150}"),
                              ("page far back", f"/auditor/audit?before_sequence={head // 2}"),
                              ("filtered by actor", "/auditor/audit?actor=portal-7"),
                              ("filtered by action and one day",
                               "/auditor/audit?action=validation:document:verified"
                               "&since=2025-12-08&until=2025-12-08")):
                median, p95 = timed(view(url), args.repeat)
                print(f"GET /auditor/audit, {name}: median {median:.1f} ms, p95 {p95:.1f} ms "
                      f"({args.repeat} views)")
            started = time.perf_counter()
            result = services.checkpoints.verify()
            print(f"one full verification (GET /v1/audit/verify's work): "
                  f"{time.perf_counter() - started:.1f} s, ok={result.ok}")
        finally:
            services.shutdown()
        # a restart resumes from the MAC'd marker the first run wrote, the rest in a thread
        started = time.perf_counter()
        services = build_services(settings)
        try:
            ready = services.readiness.check()
            print(f"restart until ready (from the verified marker): "
                  f"{time.perf_counter() - started:.1f} s, ready={ready.ready}")
            store = services.audit._store
            while not store.integrity()["verified_in_full"]:
                time.sleep(0.2)
            print(f"... background full verification done after "
                  f"{time.perf_counter() - started:.1f} s, ok={store.integrity()['ok']}")
        finally:
            services.shutdown()


if __name__ == "__main__":
    main()
