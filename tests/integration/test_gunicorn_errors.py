"""Errors that gunicorn answers before the application sees the request are problem+json
(RFC 9457, Vietnamese and English) with an X-Request-Id, like every other error -- not
gunicorn's HTML page. Raw sockets against a real ``signsvc serve``."""

from __future__ import annotations

import json
import socket

import pytest

from tests.support.server import running_server


@pytest.fixture(scope="module")
def server(dev_pki, responders, tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("gunicorn-errors"), workers=1, threads=2) as srv:
        yield srv


def _raw(port: int, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body


def _assert_problem(status_line, headers, body, status: int, code: str) -> dict:
    assert status_line.startswith(f"HTTP/1.1 {status} ".encode()), (status_line, body[:300])
    assert headers["content-type"] == "application/problem+json"
    assert len(headers.get("x-request-id", "")) >= 16
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body.decode("utf-8"))
    assert problem["status"] == status and problem["code"] == code
    assert problem["type"] == f"urn:signsvc:problem:{code}"
    assert problem["instance"] == headers["x-request-id"]
    assert problem["detail_vi"] and problem["detail_en"] and problem["detail_vi"] != problem["detail_en"]
    assert b"<html" not in body.lower()
    return problem


def test_request_line_over_8190_bytes_is_414_problem_json(server):
    path = "/healthz?q=" + "a" * 8200
    status_line, headers, body = _raw(server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    problem = _assert_problem(status_line, headers, body, 414, "uri-too-long")
    assert "8190" in problem["detail_vi"] and "8190" in problem["detail_en"]


def test_request_line_of_8190_bytes_is_served(server):
    line_len = 8190
    path = "/healthz?q="
    path += "a" * (line_len - len(f"GET {path} HTTP/1.1"))
    status_line, headers, _ = _raw(
        server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status_line == b"HTTP/1.1 200 OK" and headers.get("x-request-id")


def test_nul_in_a_header_is_400_problem_json(server):
    status_line, headers, body = _raw(
        server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n")
    _assert_problem(status_line, headers, body, 400, "bad-request")


def test_bad_request_line_is_400_problem_json(server):
    status_line, headers, body = _raw(server.port, b"GET /healthz HTTP/9.9.9 nonsense\r\n\r\n")
    _assert_problem(status_line, headers, body, 400, "bad-request")


def test_unknown_transfer_coding_is_501_problem_json(server):
    status_line, headers, body = _raw(
        server.port, b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zstd\r\n\r\n")
    _assert_problem(status_line, headers, body, 501, "not-implemented")


def test_huge_header_section_is_431_problem_json(server):
    headers_blob = "".join(f"X-Pad-{i}: {'b' * 4000}\r\n" for i in range(20))
    status_line, headers, body = _raw(
        server.port, f"GET /healthz HTTP/1.1\r\nHost: x\r\n{headers_blob}\r\n".encode())
    _assert_problem(status_line, headers, body, 431, "headers-too-large")
