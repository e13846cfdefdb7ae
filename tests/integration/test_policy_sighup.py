"""`signsvc policy reload` against a running `signsvc serve` (gunicorn, real SIGHUP)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from tests.conftest import REPO

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")
SHIPPED = (REPO / "config" / "policy.toml").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _policy(base: str, token: str) -> dict:
    req = urllib.request.Request(f"{base}/v1/policy", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def _wait_for_sha(base: str, token: str, sha: str, timeout: float = 30) -> dict:
    end = time.monotonic() + timeout
    body = {}
    while time.monotonic() < end:
        try:
            body = _policy(base, token)
            if body["sha256"] == sha:
                return body
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"policy {sha} not in force; last seen {body.get('sha256')}")


def test_reload_running_service(dev_pki, responders, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(SHIPPED)
    state = tmp_path / "state"
    env = {**os.environ, "SIGNSVC_POLICY__PATH": str(policy), "SIGNSVC_SERVICE__STATE_DIR": str(state),
           "SIGNSVC_AUDIT__PATH": str(state / "audit.sqlite3")}
    run = lambda *a: subprocess.run([SIGNSVC, *a], env=env, cwd=REPO, capture_output=True,  # noqa: E731
                                    text=True, timeout=60)
    token = run("clients", "create", "aud", "--role", "auditor").stdout.splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen([SIGNSVC, "serve", "--port", str(port), "--workers", "1"], env=env,
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        import hashlib
        first = _wait_for_sha(base, token, hashlib.sha256(SHIPPED.encode()).hexdigest())
        assert first["version"] == "2026.11-dev"

        new = SHIPPED.replace('version = "2026.11-dev"', 'version = "2026.12-hup"')
        policy.write_text(new)
        proc = run("policy", "reload")
        assert proc.returncode == 0, proc.stderr
        second = _wait_for_sha(base, token, hashlib.sha256(new.encode()).hexdigest())
        assert second["version"] == "2026.12-hup"

        # a typo: the command refuses and the service keeps serving the policy in force;
        # even a SIGHUP sent by hand keeps it (the worker falls back, audited)
        policy.write_text(new.replace("max_pages = 2000", "max_pages = 'many'"))
        proc = run("policy", "reload")
        assert proc.returncode == 2 and "max_pages" in proc.stderr
        os.kill(int((state / "signsvc.pid").read_text()), signal.SIGHUP)
        time.sleep(3)
        assert _wait_for_sha(base, token, second["sha256"])["version"] == "2026.12-hup"
        assert server.poll() is None, "the service must survive a bad reload"
    finally:
        server.terminate()
        server.wait(timeout=20)
    from signsvc.adapters.audit_sql import SqlAuditStore
    records = SqlAuditStore(state / "audit.sqlite3").records()
    loads = [(r.details["old_sha256"], r.details["new_sha256"]) for r in records
             if r.action == "policy:policy:loaded"]
    assert loads == [(None, first["sha256"]), (first["sha256"], second["sha256"])]
    failed = [r for r in records if r.action == "policy:policy:reload_failed"]
    assert len(failed) >= 2  # the command's refusal and the worker's fallback
