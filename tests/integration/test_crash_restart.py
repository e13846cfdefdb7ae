"""Restart after a crash is immediate and clean: ``kill -9`` of the gunicorn master under a
light signing load takes its workers with it (no orphan keeps the port or serves for the
30 s graceful timeout), an immediate ``signsvc serve`` on the same port and state folder
binds at its first try, and every signature a client received has its audit record in a
chain that verifies."""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from tests.conftest import REPO
from tests.support.pdfs import make_pdf
from tests.support.policies import without_rate_limits
from tests.support.server import SIGNSVC, free_port, stop, wait_healthy
from tests.support.validate import pyhanko_statuses


def _serve(port: int, env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([SIGNSVC, "serve", "--port", str(port), "--workers", "2",
                                 "--threads", "4"], env=env, cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class _Load:
    """Two clients signing B-B in a loop; remembers every signature it received."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.stop = threading.Event()
        self.acknowledged: list[tuple[str, bytes]] = []   # (request id, signed PDF)
        self.failures = 0
        self.refused: dict[int, int] = {}                  # status -> count, other than 200
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(2)]

    def _run(self, i: int) -> None:
        pdf = make_pdf(text=f"load {i}")
        while not self.stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                conn.request("POST", "/v1/sign?key=dev-software&level=B-B", body=pdf,
                             headers={"Authorization": f"Bearer {self.token}",
                                      "Content-Type": "application/pdf"})
                resp = conn.getresponse()
                body = resp.read()
                if resp.status == 200:
                    self.acknowledged.append((resp.getheader("X-Request-Id"), body))
                else:
                    self.failures += 1
                    self.refused[resp.status] = self.refused.get(resp.status, 0) + 1
            except OSError:
                self.failures += 1       # the server is down: a real client retries later
                time.sleep(0.05)
            finally:
                conn.close()

    def __enter__(self) -> _Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(15)


def test_kill_9_of_the_master_then_immediate_restart(dev_pki, responders, tmp_path):
    state = tmp_path / "state"
    # a fast machine signs the shipped 600-a-minute client limit away within the first
    # seconds; 429s after the restart would say nothing about the restart
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state),
           "SIGNSVC_POLICY__PATH": str(without_rate_limits(tmp_path / "policy.toml"))}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _serve(port, env, first_log)
    second = None
    try:
        wait_healthy(base, first)
        proc = subprocess.run([SIGNSVC, "clients", "create", "load", "--role", "portal",
                               "--keys", "dev-software"], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        token = proc.stdout.strip().splitlines()[-1]
        with _Load(port, token) as load:
            time.sleep(3)
            before_kill = len(load.acknowledged)
            assert before_kill > 0, first_log.read_text()[-2000:]
            os.kill(first.pid, signal.SIGKILL)
            first.wait(5)
            # the workers die with their master: nothing of the old server is left
            end = time.monotonic() + 2
            while _group_alive(first.pid) and time.monotonic() < end:
                time.sleep(0.05)
            assert not _group_alive(first.pid), "orphaned workers outlived the master"
            second = _serve(port, env, second_log)
            wait_healthy(base, second, timeout=30)
            after_restart = len(load.acknowledged)
            time.sleep(3)
        assert len(load.acknowledged) > after_restart, \
                f"no signature after the restart (refusals by status: {load.refused})"
        log = second_log.read_text(errors="replace")
        assert "Connection in use" not in log and "Retrying in" not in log, log[-2000:]
        assert "Listening at" in log

        # every acknowledged signature: a valid PDF with exactly one audit record
        with sqlite3.connect(state / "audit.sqlite3") as db:
            for request_id, signed in load.acknowledged:
                rows = db.execute(
                    "SELECT output_sha256 FROM audit_events WHERE request_id = ? AND "
                    "action = 'signing:document:signed' AND outcome = 'success'",
                    (request_id,)).fetchall()
                assert rows == [(hashlib.sha256(signed).hexdigest(),)], request_id
        for _, signed in load.acknowledged[:1] + load.acknowledged[-1:]:
            (_, st), = pyhanko_statuses(signed, dev_pki.cert("root"), [dev_pki.cert("interm")])
            assert st.intact and st.valid and st.trusted, st.pretty_print_details()
        verify = subprocess.run([SIGNSVC, "audit", "verify"], env=env, cwd=REPO,
                                capture_output=True, text=True, timeout=120)
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        for p in (first, second):
            if p is not None:
                stop(p)


RECONNECT_CHILD = textwrap.dedent("""
    import sys, threading
    sys.path.insert(0, {repo!r})
    from pathlib import Path
    from tests.conftest import build_api
    from tests.support.pdfs import make_pdf
    from signsvc.adapters.pkcs11_keys import module_for
    api = build_api(Path({state!r}))
    pdf = make_pdf()
    hdr = api.headers("portal", **{{"Content-Type": "application/pdf"}})
    def sign(out):
        r = api.app.test_client().post("/v1/sign?key=agency-seal&level=B-B", data=pdf, headers=hdr)
        out.append((r.status_code, (r.get_json(silent=True) or {{}}).get("code")))
    first = []
    sign(first)
    print("before", *first[0])
    # every session of the process is gone at once (the module re-initialised under the
    # pool, as after a token hiccup); the token itself is still there
    module = module_for({module!r})
    with module.calls:
        module.lib().reinitialize()
    results = []
    threads = [threading.Thread(target=sign, args=(results,)) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join(60)
    print("after", " ".join(f"{{s}}:{{c}}" for s, c in results))
""")


def test_lost_sessions_reconnect_without_503s(dev_pki, responders, tmp_path):
    """8 concurrent signatures right after every PKCS#11 session was lost: all 200 (the
    operation is retried once on a reopened session; one thread reconnects, the others
    wait for it). Before: the first got 503 token-unavailable and so did the others for a
    second. Own token copy in a child process: the rest of the suite is not disturbed."""
    tokens = tmp_path / "tokens"
    shutil.copytree(dev_pki.softhsm_conf.parent / "tokens", tokens)
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf), "SIGNSVC_PKCS11__SOFTHSM2_CONF": str(conf)}
    code = RECONNECT_CHILD.format(repo=str(REPO), state=str(tmp_path / "state"),
                                  module=dev_pki.softhsm_module)
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=180)
    lines = dict(line.split(" ", 1) for line in proc.stdout.strip().splitlines() if " " in line)
    assert lines.get("before") == "200 None", proc.stdout + proc.stderr[-3000:]
    assert lines.get("after") == " ".join(["200:None"] * 8), proc.stdout + proc.stderr[-3000:]
    assert "SessionHandleInvalid" in proc.stderr   # the sessions really were gone
