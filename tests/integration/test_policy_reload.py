"""Loading and reloading the policy: audited with old and new hashes; a bad file stops
start-up with its line, and on reload the policy in force is kept."""

from __future__ import annotations

import os
import subprocess

import pytest

from signsvc.app import build_services
from signsvc.policy.loader import PolicyError
from tests.conftest import REPO, make_settings

SHIPPED = (REPO / "config" / "policy.toml").read_text()


def test_load_reload_and_bad_files(tmp_path, dev_pki, responders):
    path = tmp_path / "policy.toml"
    path.write_text(SHIPPED)
    settings = make_settings(tmp_path / "state", POLICY__PATH=str(path))
    a = build_services(settings)
    sha_a = a.policy.policy.sha256
    a.shutdown()

    changed = SHIPPED.replace('version = "2026.11-dev"', 'version = "2026.12"')
    path.write_text(changed)
    b = build_services(settings, reloading=True)
    sha_b = b.policy.policy.sha256
    assert sha_b != sha_a and b.policy.policy.version == "2026.12"
    # an auditor can get back the text of any policy once in force, by its hash
    assert b.policy.archived_text(sha_a) == SHIPPED
    loads = b.audit.list(action="policy:policy:loaded")
    assert [(r.details["old_sha256"], r.details["new_sha256"]) for r in loads] == [
        (None, sha_a), (sha_a, sha_b)]
    b.shutdown()

    # a typo: start-up stops with the line; a reload keeps the policy in force
    path.write_text(changed.replace("max_pages = 2000", "max_pagse = 2000"))
    with pytest.raises(PolicyError) as exc:
        build_services(settings)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "max_pagse" in text)
    assert f"line {line}:" in exc.value.message.en and "max_pagse" in exc.value.message.en
    c = build_services(settings, reloading=True)
    try:
        assert c.policy.policy.sha256 == sha_b
        (failed,) = c.audit.list(action="policy:policy:reload_failed")
        assert failed.details["kept_sha256"] == sha_b and "max_pagse" in failed.details["error"]
    finally:
        c.shutdown()

    # the command line validates before asking the service, and records the failure
    env = {**os.environ, "SIGNSVC_POLICY__PATH": str(path),
           "SIGNSVC_SERVICE__STATE_DIR": str(tmp_path / "state"),
           "SIGNSVC_AUDIT__PATH": str(tmp_path / "state" / "audit.sqlite3")}
    proc = subprocess.run([str(REPO / ".venv/bin/signsvc"), "policy", "reload"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "max_pagse" in proc.stderr and f"dòng {line}" in proc.stderr
    path.write_text(changed)
    proc = subprocess.run([str(REPO / ".venv/bin/signsvc"), "policy", "reload"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and sha_b in proc.stdout
    d = build_services(settings)
    try:
        failures = d.audit.list(action="policy:policy:reload_failed")
        assert len(failures) == 2
    finally:
        d.shutdown()
