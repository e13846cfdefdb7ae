"""Slow clients do not freeze ``signsvc serve``: with the issue's 2 workers x 4 threads, 30
uploads sending their body one byte a second are in flight while ``/healthz`` and another
client's B-B signing keep answering in under a second (with gthread as it was, 8 slow
uploads took every thread). A client too slow to finish its request head gets 408
problem+json and its connection is closed; a keep-alive connection and a pipelined
request still work (the request is read whole before a thread serves it)."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest

from tests.support.drip import slow_upload
from tests.support.pdfs import make_pdf
from tests.support.server import running_server
from tests.support.validate import pyhanko_statuses

SLOW_UPLOADS = 30


@pytest.fixture(scope="module")
def server(dev_pki, responders, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slow")
    with running_server(tmp, workers=2, threads=4) as srv:
        tokens = {}
        for name in ("slow", "busy"):
            proc = srv.cli("clients", "create", name, "--role", "portal", "--keys", "dev-software")
            assert proc.returncode == 0, proc.stderr
            tokens[name] = proc.stdout.strip().splitlines()[-1]
        srv.tokens = tokens
        yield srv


def _timed_get(port: int, path: str, headers: dict | None = None, body: bytes | None = None):
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST" if body is not None else "GET", path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read(), time.monotonic() - start
    finally:
        conn.close()


def test_thirty_slow_uploads_do_not_starve_health_or_signing(server, dev_pki):
    busy = {"Authorization": f"Bearer {server.tokens['busy']}", "Content-Type": "application/pdf"}
    for _ in range(4):   # each worker's first signature checks the key's certificate (OCSP)
        assert _timed_get(server.port, "/v1/sign?key=dev-software&level=B-B", body=make_pdf(),
                          headers=busy)[0] == 200
    stop = threading.Event()
    slow_headers = {"Authorization": f"Bearer {server.tokens['slow']}",
                    "Content-Type": "application/pdf"}
    uploads = [slow_upload(server.port, "/v1/sign?key=dev-software&level=B-B",
                           headers=slow_headers, length=100_000, interval=1.0, stop=stop)
               for _ in range(SLOW_UPLOADS)]
    try:
        time.sleep(2.5)     # every upload is connected and has started its body
        for _ in range(5):
            status, _, seconds = _timed_get(server.port, "/healthz")
            assert status == 200 and seconds < 1.0, (status, seconds)
        pdf = make_pdf(text="signed while 30 uploads crawl")
        for _ in range(2):
            status, signed, seconds = _timed_get(
                server.port, "/v1/sign?key=dev-software&level=B-B", body=pdf,
                headers={"Authorization": f"Bearer {server.tokens['busy']}",
                         "Content-Type": "application/pdf"})
            assert status == 200, signed[:500]
            assert seconds < 1.0, seconds
            (_, st), = pyhanko_statuses(signed, dev_pki.cert("root"), [dev_pki.cert("interm")])
            assert st.intact and st.valid and st.trusted, st.pretty_print_details()
        # the slow uploads are still being received, not refused
        for sock in uploads:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
    finally:
        stop.set()


def test_request_head_too_slow_gets_408_problem_json(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    start = time.monotonic()
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    try:
        sent = 0
        answer = b""
        sock.settimeout(1.0)
        while time.monotonic() - start < 20:
            if sent < len(head):
                sock.sendall(head[sent:sent + 1])
                sent += 1
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
        elapsed = time.monotonic() - start
    finally:
        sock.close()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout", answer[:300]
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in headers.lower()
    assert b"x-request-id: " in headers.lower()
    problem = json.loads(body)
    assert problem["status"] == 408 and problem["code"] == "request-timeout"
    assert problem["detail_vi"] and problem["detail_en"] and problem["instance"]
    assert 9.0 <= elapsed < 15.0, elapsed     # the 10 s head deadline, checked each second


def test_keep_alive_and_pipelined_requests(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(3):   # one connection, several requests
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            assert resp.status == 200 and resp.getheader("X-Request-Id")
            resp.read()
    finally:
        conn.close()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        one = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        sock.sendall(one + one + last)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 3, data[:500]


def test_chunked_upload_and_expect_continue_are_signed(server, dev_pki):
    pdf = make_pdf(text="chunked upload")
    auth = {"Authorization": f"Bearer {server.tokens['busy']}", "Content-Type": "application/pdf"}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        pieces = [pdf[i:i + 700] for i in range(0, len(pdf), 700)]
        conn.request("POST", "/v1/sign?key=dev-software&level=B-B", body=iter(pieces),
                     headers=auth, encode_chunked=True)
        resp = conn.getresponse()
        signed = resp.read()
        assert resp.status == 200, signed[:300]
    finally:
        conn.close()
    (_, st), = pyhanko_statuses(signed, dev_pki.cert("root"), [dev_pki.cert("interm")])
    assert st.intact and st.valid
    # Expect: 100-continue: the body follows the interim answer, then the signed PDF
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        head = (f"POST /v1/sign?key=dev-software&level=B-B HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: {auth['Authorization']}\r\nContent-Type: application/pdf\r\n"
                f"Content-Length: {len(pdf)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        sock.sendall(head.encode())
        assert sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(pdf)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK"), data[:300]
    assert data.count(b"100 Continue") == 0
