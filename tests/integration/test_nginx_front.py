"""The production front, config/nginx/signsvc.conf, as shipped (only addresses, ports and
file paths substituted): nginx accepts it, 30 slow uploads through it do not delay
``/healthz`` or another client's signing, and the errors nginx answers itself (414, 413,
502/503) are problem+json with an X-Request-Id. nginx must be installed (scripts/install.sh)."""

from __future__ import annotations

import datetime
import http.client
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import REPO
from tests.support.pdfs import make_pdf
from tests.support.server import free_port, running_server
from tests.support.tools import require_tool
from tests.support.validate import pyhanko_statuses

SHIPPED = REPO / "config" / "nginx" / "signsvc.conf"


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    crt, pem = tmp / "tls.crt", tmp / "tls.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def _site(upstream_port: int, tls_port: int, http_port: int, crt: Path, key: Path) -> str:
    """The shipped file with this machine's addresses, ports and TLS files."""
    text = SHIPPED.read_text(encoding="utf-8")
    subs = [(r"server signsvc:8080;", f"server 127.0.0.1:{upstream_port};"),
            (r"listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;"),
            (r"listen \[::\]:443 ssl http2;\n", ""),
            (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
            (r"listen \[::\]:80;\n", ""),
            (r"ssl_certificate +/etc/nginx/tls/signsvc.crt;", f"ssl_certificate {crt};"),
            (r"ssl_certificate_key /etc/nginx/tls/signsvc.key;", f"ssl_certificate_key {key};")]
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text)
        assert n == 1, f"the shipped config no longer has {pattern!r}"
    return text


@pytest.fixture(scope="module")
def front(dev_pki, responders, tmp_path_factory):
    nginx = require_tool("nginx")
    tmp = tmp_path_factory.mktemp("nginx")
    with running_server(tmp / "signsvc", workers=2, threads=4,
                        env={"SIGNSVC_SERVICE__PROXY_HOPS": "1"}) as srv:
        tokens = {}
        for name in ("slow", "busy"):
            proc = srv.cli("clients", "create", name, "--role", "portal", "--keys", "dev-software")
            assert proc.returncode == 0, proc.stderr
            tokens[name] = proc.stdout.strip().splitlines()[-1]
        crt, key = _self_signed(tmp)
        tls_port, http_port = free_port(), free_port()
        (tmp / "site.conf").write_text(_site(srv.port, tls_port, http_port, crt, key),
                                       encoding="utf-8")
        conf = tmp / "nginx.conf"
        conf.write_text(f"""
            user root;
            daemon off;
            worker_processes 1;
            pid {tmp}/nginx.pid;
            error_log {tmp}/error.log warn;
            events {{ worker_connections 512; }}
            http {{
                access_log {tmp}/access.log;
                client_body_temp_path {tmp}/body;
                proxy_temp_path {tmp}/proxy;
                fastcgi_temp_path {tmp}/fastcgi;
                uwsgi_temp_path {tmp}/uwsgi;
                scgi_temp_path {tmp}/scgi;
                include {tmp}/site.conf;
            }}
        """)
        check = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp)],
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            end = time.monotonic() + 15
            while time.monotonic() < end:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", tls_port)) == 0:
                        break
                time.sleep(0.1)
            srv.tls_port, srv.tokens, srv.tmp = tls_port, tokens, tmp
            yield srv
        finally:
            proc.terminate()
            proc.wait(10)


def _tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _request(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    start = time.monotonic()
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=15, context=_tls())
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read(), time.monotonic() - start
    finally:
        conn.close()


def _problem(status, headers, body, code: str) -> dict:
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["content-type"].startswith("application/problem+json"), body[:300]
    problem = json.loads(body.decode("utf-8"))
    assert problem["status"] == status and problem["code"] == code
    assert problem["detail_vi"] and problem["detail_en"]
    assert len(headers.get("x-request-id", "")) == 32 and problem["instance"] == headers["x-request-id"]
    return problem


def _slow_tls_upload(port: int, token: str, stop: threading.Event) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock = _tls().wrap_socket(raw)
    sock.sendall(("POST /v1/sign?key=dev-software&level=B-B HTTP/1.1\r\nHost: localhost\r\n"
                  f"Authorization: Bearer {token}\r\nContent-Type: application/pdf\r\n"
                  "Content-Length: 100000\r\n\r\n").encode())

    def trickle() -> None:
        while not stop.wait(1.0):
            try:
                sock.sendall(b"%")
            except OSError:
                return
    threading.Thread(target=trickle, daemon=True).start()
    return sock


def _sign(front) -> tuple:
    return _request(front.tls_port, "POST", "/v1/sign?key=dev-software&level=B-B",
                    body=make_pdf(), headers={"Authorization": f"Bearer {front.tokens['busy']}",
                                              "Content-Type": "application/pdf"})


def test_slow_uploads_through_nginx_cost_signsvc_nothing(front, dev_pki):
    for _ in range(4):   # each worker's first signature checks the key's certificate (OCSP)
        assert _sign(front)[0] == 200
    stop = threading.Event()
    uploads = [_slow_tls_upload(front.tls_port, front.tokens["slow"], stop) for _ in range(30)]
    try:
        time.sleep(2.5)
        for _ in range(3):
            status, headers, _, seconds = _request(front.tls_port, "GET", "/healthz")
            assert status == 200 and seconds < 1.0, (status, seconds)
        status, headers, signed, seconds = _sign(front)
        assert status == 200 and seconds < 1.0, (status, seconds, signed[:300])
        (_, st), = pyhanko_statuses(signed, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert st.intact and st.valid and st.trusted
        # nginx's request id is the one signsvc answered with (and audited)
        assert len(headers["X-Request-Id"]) == 32
    finally:
        stop.set()
        for sock in uploads:
            sock.close()


def test_nginx_errors_are_problem_json(front):
    status, headers, body, _ = _request(front.tls_port, "GET", "/healthz?q=" + "a" * 9000)
    assert status == 414
    _problem(414, headers, body, "uri-too-long")

    status, headers, body, _ = _request(
        front.tls_port, "POST", "/v1/sign?key=dev-software&level=B-B",
        body=b"%" * (25664 * 1024 + 1),
        headers={"Authorization": f"Bearer {front.tokens['busy']}",
                 "Content-Type": "application/pdf"})
    assert status == 413
    _problem(413, headers, body, "document-too-large")


def test_jobs_take_the_jobs_body_bound(front):
    """POST /v1/jobs may carry a whole job ([jobs] max_total_bytes + 64 KiB per part, as the
    cluster front): a body over one document's bound reaches signsvc, not nginx's 413."""
    from signsvc.settings.loader import build_settings

    jobs = build_settings({}, REPO, None, {}).jobs
    bound = jobs.max_total_bytes // 1024 + 64 * (jobs.max_files + 1)
    block = re.search(r"location = /v1/jobs \{\s*client_max_body_size (\d+)k;",
                      SHIPPED.read_text(encoding="utf-8"))
    assert block is not None and int(block.group(1)) == bound
    status, _, body, _ = _request(
        front.tls_port, "POST", "/v1/jobs?key=dev-software&level=B-B",
        body=b"%" * (25664 * 1024 + 1),
        headers={"Authorization": f"Bearer {front.tokens['busy']}",
                 "Content-Type": "multipart/form-data; boundary=x"})
    problem = json.loads(body.decode("utf-8"))
    # signsvc's own answer (the job's bounds), not nginx's "exceeds the maximum size allowed"
    assert 400 <= status < 500 and problem["detail_vi"] and problem["detail_en"], problem
    assert problem["detail_en"] != "The document exceeds the maximum size allowed.", problem
    assert "POST /v1/jobs?key=dev-software" in front.output()
