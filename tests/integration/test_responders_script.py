"""`scripts/responders.sh start`, as `make run` calls it, with the port already taken."""

from __future__ import annotations

import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from tests.conftest import REPO
from tests.support.server import free_port

SCRIPT = str(REPO / "scripts" / "responders.sh")


def _run(port: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", SCRIPT, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "SIGNSVC_RESPONDERS_PORT": str(port)})


def _foreign_crl() -> bytes:
    """A well-formed CRL of another CA (another checkout's PKI, as far as we can tell)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    crl = (x509.CertificateRevocationListBuilder()
           .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Other checkout CA")]))
           .last_update(now).next_update(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    return crl.public_bytes(serialization.Encoding.DER)


class _ForeignCrl(BaseHTTPRequestHandler):
    """Answers every path with a CRL-shaped body that our PKI did not sign."""

    def do_GET(self) -> None:
        body = _foreign_crl()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # the test's output stays readable
        return None


def test_foreign_responders_on_the_port_are_refused(dev_pki):
    """Another checkout's responders answer on the port: start refuses with a message
    instead of silently timestamping with a foreign PKI."""
    port = free_port()
    server = HTTPServer(("127.0.0.1", port), _ForeignCrl)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proc = _run(port, "start")
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "does not serve this checkout's test PKI" in proc.stderr
    assert "make stop" in proc.stderr


def test_own_responders_are_started_reused_and_stopped(dev_pki):
    """On a free port: started; started again: the running ones (this checkout's PKI) are
    reused; stopped: the port is free and a new start works. (Never on the shared 9180,
    which the test session's own responders fixture may hold.)"""
    port = free_port()
    started = _run(port, "start")
    try:
        assert started.returncode == 0 and f"started on 127.0.0.1:{port}" in started.stdout, \
            started.stdout + started.stderr
        again = _run(port, "start")
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stdout and "this checkout's PKI" in again.stdout
    finally:
        stopped = _run(port, "stop")
    assert stopped.returncode == 0
    try:
        assert _run(port, "start").returncode == 0  # the port is free again: starts anew
    finally:
        _run(port, "stop")
