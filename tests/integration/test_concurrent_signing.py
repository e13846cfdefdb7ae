"""Signing under concurrency, through the real server (gunicorn workers x threads) on one
SoftHSM2 key: every request is answered 200 with a valid signature and one audit record;
and a B-T signature reuses its thread's kept-alive TSA connection."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from signsvc.adapters.audit_sql import SqlAuditStore
from tests.conftest import REPO
from tests.integration.test_policy_sighup import _free_port
from tests.support.pdfs import make_pdf
from tests.support.validate import pyhanko_statuses

SIGNSVC = str(REPO / ".venv" / "bin" / "signsvc")
REQUESTS = 32


def _wait_ready(base: str, server: subprocess.Popen, log, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert server.poll() is None, f"signsvc serve exited during start-up:\n{log.read_text()[-3000:]}"
        try:
            urllib.request.urlopen(base + "/readyz", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("signsvc serve did not become ready")


def test_32_concurrent_signatures_on_one_pkcs11_key(dev_pki, responders, tmp_path):
    state = tmp_path / "state"
    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(state),
           "SIGNSVC_AUDIT__PATH": str(state / "audit.sqlite3"),
           "SIGNSVC_AUDIT__CHECKPOINT_KEY": ""}
    created = subprocess.run([SIGNSVC, "clients", "create", "load", "--role", "portal", "--keys",
                              "agency-seal"], env=env, cwd=REPO, capture_output=True, text=True,
                             timeout=120)
    assert created.returncode == 0, created.stderr
    token = created.stdout.splitlines()[-1].strip()
    port = _free_port()
    server = subprocess.Popen([SIGNSVC, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", "3", "--threads", "4"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / "serve.log", "wb"))  # noqa: SIM115 - open while the server runs
    base = f"http://127.0.0.1:{port}"
    documents = [make_pdf(1, text=f"concurrent document {i}") for i in range(REQUESTS)]
    results: list[tuple[int, bytes, dict] | None] = [None] * REQUESTS
    start = threading.Barrier(REQUESTS)

    def client(i: int) -> None:
        req = urllib.request.Request(f"{base}/v1/sign?key=agency-seal&level=B-B", method="POST",
                                     data=documents[i], headers={
                                         "Authorization": f"Bearer {token}",
                                         "Content-Type": "application/pdf"})
        start.wait()
        try:
            with urllib.request.urlopen(req, timeout=180) as resp:
                results[i] = (resp.status, resp.read(), dict(resp.headers))
        except urllib.error.HTTPError as exc:
            results[i] = (exc.code, exc.read(), dict(exc.headers))

    try:
        _wait_ready(base, server, tmp_path / "serve.log")
        threads = [threading.Thread(target=client, args=(i,)) for i in range(REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        server.terminate()
        server.wait(timeout=30)

    statuses = [r[0] if r else None for r in results]
    assert statuses == [200] * REQUESTS, [(s, r[1][:200]) for s, r in zip(statuses, results)
                                          if s != 200 and r]
    outputs = {hashlib.sha256(r[1]).hexdigest(): i for i, r in enumerate(results)}
    assert len(outputs) == REQUESTS
    for i, (_, data, headers) in enumerate(results):
        assert data.startswith(documents[i]), "each answer is its own document plus a signature"
        assert headers["X-Document-SHA256"] == hashlib.sha256(data).hexdigest()
        (_sig, status), = pyhanko_statuses(data, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert status.bottom_line, status.pretty_print_details()
        assert status.signing_cert.subject.native["common_name"].endswith("(TEST ONLY)")

    store = SqlAuditStore(state / "audit.sqlite3")
    try:
        signed = store.records(action="signing:document:signed")
    finally:
        store.close()
    assert len(signed) == REQUESTS
    assert {r.output_sha256 for r in signed} == set(outputs)
    assert {r.key_id for r in signed} == {"agency-seal"}
    assert sorted(int(r[2]["X-Audit-Sequence"]) for r in results) == sorted(r.sequence for r in signed)


class _KeepAliveProxy(BaseHTTPRequestHandler):
    """HTTP/1.1 front of the test TSA that keeps connections open and notes each
    request's client address (one address = one TCP connection)."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, int]]] = []  # shared by the handler instances
    upstream = ""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(self.client_address)
        req = urllib.request.Request(self.upstream, data=body, method="POST",
                                     headers={"Content-Type": self.headers["Content-Type"]})
        with urllib.request.urlopen(req, timeout=30) as resp:
            data, ctype = resp.read(), resp.headers["Content-Type"]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_b_t_signatures_reuse_the_threads_kept_alive_tsa_connection(dev_pki, responders, tmp_path):
    import asyncio

    from signsvc.adapters.software_keys import _certs_from_file
    from signsvc.adapters.tsa_http import FailoverTimeStamper
    from signsvc.signing import event_loops
    from signsvc.signing.tsa import TsaOptions

    _KeepAliveProxy.seen = []
    _KeepAliveProxy.upstream = f"{responders}/signsvc-dev/tsa/tsa"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveProxy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        root = _certs_from_file(dev_pki.cert("root").read_bytes())
        stamper = FailoverTimeStamper(
            TsaOptions(urls=(f"http://127.0.0.1:{server.server_address[1]}/tsa",)), root,
            _certs_from_file(dev_pki.cert("interm").read_bytes()))
        digests = [hashlib.sha256(bytes([i])).digest() for i in range(4)]
        # on the thread's kept loop (how signing runs): one connection for all four
        for d in digests:
            token = event_loops.run(stamper.async_timestamp(d, "sha256"))
            tst = token["content"]["encap_content_info"]["content"].parsed
            assert tst["message_imprint"]["hashed_message"].native == d
        assert len(_KeepAliveProxy.seen) == 4 and len(set(_KeepAliveProxy.seen)) == 1
        # a one-off loop (asyncio.run) gets a session of its own, closed with the call
        asyncio.run(stamper.async_timestamp(digests[0], "sha256"))
        assert len(_KeepAliveProxy.seen) == 5 and len(set(_KeepAliveProxy.seen)) == 2
    finally:
        server.shutdown()
        server.server_close()


def test_concurrent_requests_share_one_certificate_status_check(dev_pki, responders):
    """Eight signatures arriving together on a cold cache cause one OCSP/CRL validation of
    the signer's certificate, whose result they all get; later ones use the cache."""
    from signsvc.adapters.cert_status import CertificateStatusChecker
    from tests.support.validate import load_cert

    checker = CertificateStatusChecker([load_cert(dev_pki.cert("root"))],
                                       [load_cert(dev_pki.cert("interm"))], allow_fetching=True)
    calls = []
    check = checker._check

    def counted(cert, chain):
        calls.append(cert.sha256)
        time.sleep(0.3)   # the validation is slow enough for the others to arrive meanwhile
        return check(cert, chain)

    checker._check = counted
    cert = load_cert(dev_pki.cert("agency-seal"))
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(checker.status(cert)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [("trusted", "good")] * 8
    assert len(calls) == 1
    assert checker.status(cert) == ("trusted", "good") and len(calls) == 1
    revoked = load_cert(dev_pki.cert("revoked-signer"))
    assert checker.status(revoked) == ("trusted", "revoked") and len(calls) == 2
