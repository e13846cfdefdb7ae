"""A token that goes away gives 503 token-unavailable; the service recovers by itself.

Runs in a child process with its own copy of the SoftHSM2 token, so that removing the
token does not disturb the rest of the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

from tests.conftest import REPO

CHILD = textwrap.dedent("""
    import os, shutil, sys, time
    sys.path.insert(0, {repo!r})
    from tests.conftest import build_api
    from tests.support.pdfs import make_pdf
    from pathlib import Path
    api = build_api(Path({state!r}))
    pdf = make_pdf()
    hdr = api.headers("portal", **{{"Content-Type": "application/pdf"}})
    def sign():
        r = api.client.post("/v1/sign?key=agency-seal&level=B-B", data=pdf, headers=hdr)
        return r.status_code, (r.get_json() or {{}}).get("code")
    print("before", *sign())
    shutil.move({tokens!r}, {tokens!r} + ".away")
    print("gone", *sign())
    print("ready-gone", api.client.get("/readyz").status_code)
    shutil.move({tokens!r} + ".away", {tokens!r})
    time.sleep(1.2)
    print("back", *sign())
    print("ready-back", api.client.get("/readyz").status_code)
""")


def test_token_removed_then_restored(dev_pki, responders, tmp_path):
    tokens = tmp_path / "tokens"
    shutil.copytree(dev_pki.softhsm_conf.parent / "tokens", tokens)
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf), "SIGNSVC_PKCS11__SOFTHSM2_CONF": str(conf)}
    code = CHILD.format(repo=str(REPO), state=str(tmp_path / "state"), tokens=str(tokens))
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    lines = dict(line.split(" ", 1) for line in proc.stdout.strip().splitlines())
    assert lines.get("before") == "200 None", proc.stdout + proc.stderr
    assert lines["gone"] == "503 token-unavailable"
    assert lines["ready-gone"] == "503"
    assert lines["back"] == "200 None", proc.stderr
    assert lines["ready-back"] == "200"
    assert "PIN" not in proc.stderr and dev_pki.secret("signsvc-dev.pin") not in proc.stderr
