"""The command line a new user and an operator use: clients, keys, sign, verify, audit."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import REPO
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")


def _run(args, env, check=True):
    proc = subprocess.run([SIGNSVC, *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_cli_end_to_end(dev_pki, responders, tmp_path):
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(tmp_path),
           "SIGNSVC_AUDIT__PATH": str(tmp_path / "audit.sqlite3")}
    env.pop("SIGNSVC_DEV_SOFTWARE_PASSPHRASE", None)  # falls back to the dev secret file

    out = _run(["clients", "create", "portal1", "--role", "portal", "--keys", "agency-seal"], env)
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("ssv_") and len(token) > 40
    dup = _run(["clients", "create", "portal1", "--role", "portal"], env, check=False)
    assert dup.returncode == 2 and "đã tồn tại" in dup.stderr and "already exists" in dup.stderr
    bad = _run(["clients", "create", "x", "--role", "portal", "--keys", "nope"], env, check=False)
    assert bad.returncode == 2 and "nope" in bad.stderr

    keys = _run(["keys"], env).stdout
    assert "agency-seal" in keys and "pkcs11" in keys and "dev-software" in keys

    src = tmp_path / "in.pdf"
    src.write_bytes(make_pdf())
    signed = tmp_path / "out.pdf"
    _run(["sign", str(src), str(signed), "--key", "agency-seal-ec", "--level", "B-T"], env)
    (ps,) = pdfsig(signed, dev_pki.nssdb)
    assert ps.signature_valid and ps.certificate_trusted

    ok = _run(["verify", str(signed)], env)
    assert "valid" in ok.stdout
    unsigned = _run(["verify", str(src)], env, check=False)
    assert unsigned.returncode == 1 and "unsigned" in unsigned.stdout

    audit = _run(["audit", "verify"], env)
    assert "intact" in audit.stdout
    assert token not in (tmp_path / "audit.sqlite3").read_bytes().decode("latin-1")
