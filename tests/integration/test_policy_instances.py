"""Policy reload across instances: two ``signsvc serve`` on one PostgreSQL database, each
with its own state folder (no pid file the command line could signal). ``signsvc policy
reload`` run with a third state folder records the new policy in the database; within a
few seconds both instances deny what it denies, the change is audited once with both
hashes, and each denial carries the new policy's hash."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time

from signsvc.adapters.audit_sql import SqlAuditStore
from signsvc.adapters.db.engine import url_engine
from signsvc.app.builders.policy import POLICY_CHECK_SECONDS
from tests.conftest import REPO
from tests.support.pdfs import make_pdf
from tests.support.server import SIGNSVC, running_server, send
from tests.support.validate import pyhanko_statuses

SHIPPED = (REPO / "config" / "policy.toml").read_text()
STRICT = SHIPPED.replace('version = "2026.11-dev"', 'version = "2026.12-one-page"') \
    .replace("max_pages = 2000", "max_pages = 1")


def sign(base: str, token: str, pdf: bytes) -> tuple[int, bytes, dict]:
    return send(f"{base}/v1/sign?key=dev-software&level=B-T", data=pdf,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"})


def test_cli_reload_reaches_both_instances(dev_pki, responders, tmp_path, pg_url):
    assert STRICT != SHIPPED
    policy = tmp_path / "policy.toml"
    policy.write_text(SHIPPED)
    env = {"SIGNSVC_AUDIT__CHECKPOINT_KEY": "", "SIGNSVC_DATABASE__URL": f'"{pg_url}"',
           "SIGNSVC_POLICY__PATH": str(policy)}
    two_pages = make_pdf(2, text="two pages, two instances")
    with running_server(tmp_path / "one", env=env, workers=2, threads=2) as one, \
            running_server(tmp_path / "two", env=env, workers=1, threads=2) as two:
        token = one.new_client("portal", "portal", "dev-software")
        for server in (one, two):   # the shipped policy allows two pages
            status, body, _ = sign(server.base, token, two_pages)
            assert status == 200, body[:500]
            (_, sig), = pyhanko_statuses(body, dev_pki.cert("root"), [dev_pki.cert("interm")])
            assert sig.intact and sig.valid and sig.trusted, sig.pretty_print_details()

        policy.write_text(STRICT)
        cli_env = {**one.env, "SIGNSVC_SERVICE__STATE_DIR": str(tmp_path / "cli")}
        reload = subprocess.run([SIGNSVC, "policy", "reload"], env=cli_env, cwd=REPO,
                                capture_output=True, text=True, timeout=60)
        assert reload.returncode == 0, reload.stderr
        assert "every instance" in reload.stdout and "no service runs" in reload.stdout
        changed_at = time.monotonic()
        new_sha = hashlib.sha256(STRICT.encode()).hexdigest()
        for server in (one, two):
            # the first denial within a few seconds; from one check interval later every
            # worker process of the instance denies
            while True:
                status, body, _ = sign(server.base, token, two_pages)
                if status == 403:
                    break
                assert status == 200, body[:500]
                assert time.monotonic() - changed_at < 8, "the new policy did not arrive"
                time.sleep(0.3)
            time.sleep(POLICY_CHECK_SECONDS + 0.5)
            for _ in range(4):
                status, body, _ = sign(server.base, token, two_pages)
                problem = json.loads(body)
                assert status == 403 and problem["rule"] == "document.pages", problem
                assert problem["policy_sha256"] == new_sha
        assert time.monotonic() - changed_at < 30
        for server in (one, two):
            assert server.process.poll() is None

    store = SqlAuditStore(url_engine(pg_url))
    try:
        old_sha = hashlib.sha256(SHIPPED.encode()).hexdigest()
        loads = [(r.details["old_sha256"], r.details["new_sha256"], r.actor)
                 for r in store.records(action="policy:policy:loaded")]
        assert loads == [(None, old_sha, "system"), (old_sha, new_sha, loads[1][2])]
        denials = store.records(action="policy:rule:denied")
        assert len(denials) >= 10
        assert {r.details["policy_sha256"] for r in denials} == {new_sha}
        signed = store.records(action="signing:document:signed")
        assert len(signed) >= 2 and all(r.details["policy_sha256"] == old_sha for r in signed)
    finally:
        store.close()
