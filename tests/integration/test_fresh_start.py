"""`signsvc serve` as `make run` starts it on a machine where nothing was made before:
an empty (absent) state folder, several workers, and the server's own log lines."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

from signsvc.settings import load_settings
from tests.conftest import REPO
from tests.support.pdfs import make_pdf
from tests.support.server import running_server

STATE_FILES = ("audit.sqlite3", "signsvc.sqlite3", "workflow.sqlite3", "images.sqlite3",
               "reports.sqlite3", "signsvc.pid", "cookie-secret")


def test_starts_every_time_on_an_absent_state_folder(dev_pki, responders, tmp_path):
    """gunicorn writes its pid file into the state folder, and two workers open the same new
    SQLite files: the folder and its files must exist before either happens."""
    for attempt in range(5):
        run = tmp_path / f"start{attempt}"
        state = run / "state"
        assert not state.exists()
        with running_server(run, workers=2, state=state) as server:
            with urllib.request.urlopen(f"{server.base}/readyz", timeout=10) as resp:
                assert resp.status == 200
            present = {p.name for p in state.iterdir()}
            assert set(STATE_FILES) <= present, present
            log = server.output()
        assert "database is locked" not in log
        assert "Can't create pidfile" not in log


def test_state_dir_moves_the_audit_log(tmp_path):
    """Only the state folder is given: the audit log goes with it (a second instance must
    never write into the first one's log)."""
    cfg = REPO / "config" / "signsvc.toml"
    moved = load_settings(cfg, environ={"SIGNSVC_SERVICE__STATE_DIR": str(tmp_path / "s2"),
                                        "SIGNSVC_DEV_SOFTWARE_PASSPHRASE": "x"})
    assert moved.audit.path == tmp_path / "s2" / "audit.sqlite3"
    default = load_settings(cfg, environ={"SIGNSVC_DEV_SOFTWARE_PASSPHRASE": "x"})
    assert default.audit.path == REPO / "var" / "state" / "audit.sqlite3"
    on_purpose = load_settings(cfg, environ={"SIGNSVC_SERVICE__STATE_DIR": str(tmp_path / "s3"),
                                             "SIGNSVC_AUDIT__PATH": str(tmp_path / "elsewhere.db"),
                                             "SIGNSVC_DEV_SOFTWARE_PASSPHRASE": "x"})
    assert on_purpose.audit.path == tmp_path / "elsewhere.db"


def test_warnings_reach_the_server_output_with_the_request_id(dev_pki, responders, tmp_path):
    """A TSA that does not answer: the signing request fails with 503, and the warnings the
    service logs about it are in the server's output, one line each, with the request id
    the client received."""
    env = {"SIGNSVC_TIMESTAMP__URLS": '["http://127.0.0.1:9/tsa"]',
           "SIGNSVC_TIMESTAMP__RETRIES": "0", "SIGNSVC_TIMESTAMP__TIMEOUT_SECONDS": "2"}
    with running_server(tmp_path, env=env) as server:
        made = server.cli("clients", "create", "portal1", "--role", "portal", "--keys", "agency-seal")
        assert made.returncode == 0, made.stderr
        token = made.stdout.splitlines()[-1]
        req = urllib.request.Request(
            f"{server.base}/v1/sign?key=agency-seal&level=B-T", data=make_pdf(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf",
                     "X-Request-Id": "fresh-start-log-check-0001"})
        try:
            urllib.request.urlopen(req, timeout=60)
            raise AssertionError("signing without a TSA must fail")
        except urllib.error.HTTPError as exc:
            assert exc.code == 503
            assert json.loads(exc.read())["code"] == "timestamp-unavailable"
            assert exc.headers["X-Request-Id"] == "fresh-start-log-check-0001"
        # gunicorn writes the access line just after the response has gone out
        deadline = time.monotonic() + 10
        while '"POST /v1/sign' not in (log := server.output()) and time.monotonic() < deadline:
            time.sleep(0.1)
    ours = [line for line in log.splitlines() if "request_id=fresh-start-log-check-0001" in line]
    warnings = [line for line in ours if re.search(r" (WARNING|ERROR) \[\d+\] signsvc\.", line)]
    assert warnings, log[-3000:]
    assert any("TSA" in line or "timestamp" in line for line in warnings), warnings
    # the access log line of the same request carries the id too
    assert any('"POST /v1/sign?key=agency-seal&level=B-T' in line for line in ours), ours
    # secrets never reach the log
    pin = dev_pki.secret("signsvc-dev.pin")
    assert pin not in log
