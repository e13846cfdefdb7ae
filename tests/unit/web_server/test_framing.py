"""Where a request ends, learned from bytes as they arrive (signsvc.web_server.framing),
and gunicorn's reader over a request already in memory (web_server.sockets)."""

from __future__ import annotations

import socket

from signsvc.web_server.framing import read_framing
from signsvc.web_server.sockets import BufferedUnreader

HEAD = b"POST /v1/sign HTTP/1.1\r\nHost: x\r\n"


def test_content_length_complete_only_with_the_whole_body():
    head = HEAD + b"Content-Length: 5\r\n\r\n"
    f = read_framing(head, max_body=100)
    assert f.kind == "length" and f.length == 5 and not f.oversize
    assert f.complete(head + b"abcd") == (False, False)
    assert f.complete(head + b"abcde") == (True, False)
    assert f.complete(head + b"abcdeGET / HTTP/1.1") == (True, False)   # pipelined


def test_no_body_is_complete_at_the_end_of_the_head():
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    f = read_framing(head, max_body=100)
    assert f.complete(head) == (True, False)


def test_declared_body_over_the_bound_is_oversize():
    f = read_framing(HEAD + b"Content-Length: 101\r\n\r\n", max_body=100)
    assert f.oversize


def test_chunked_waits_for_the_last_chunk_and_trailers():
    head = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    body = b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n"
    f = read_framing(head, max_body=100)
    assert f.kind == "chunked"
    for cut in range(len(body) + 1):
        assert f.complete(head + body[:cut]) == (False, False), cut
    assert f.complete(head + body + b"\r\n") == (True, False)
    g = read_framing(head, max_body=100)
    assert g.complete(head + body + b"X-T: 1\r\n") == (False, False)
    assert g.complete(head + body + b"X-T: 1\r\n\r\n") == (True, False)


def test_chunked_over_the_bound_stops_buffering():
    head = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    f = read_framing(head, max_body=10)
    assert f.complete(head + b"b\r\n") == (False, True)


def test_unusual_framing_is_left_to_gunicorn():
    for extra in (b"Content-Length: 5\r\nContent-Length: 6\r\n", b"Content-Length: -1\r\n",
                  b"Transfer-Encoding: gzip, chunked\r\n",
                  b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"):
        assert read_framing(HEAD + extra + b"\r\n", max_body=100).kind == "other", extra
    f = read_framing(HEAD + b"Transfer-Encoding: chunked\r\n\r\n", max_body=100)
    assert f.complete(HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n") == (True, False)


def test_expect_continue_is_taken_out_of_the_head_for_http11_only():
    f = read_framing(HEAD + b"Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n", max_body=10)
    assert f.expect_continue and b"Expect" not in f.head_without_expect
    assert f.head_without_expect.endswith(b"Content-Length: 1\r\n\r\n")
    old = b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"
    assert not read_framing(old, max_body=10).expect_continue


def test_buffered_unreader_serves_memory_then_the_socket():
    a, b = socket.socketpair()
    with a, b:
        data = bytes(range(256)) * 4096          # 1 MiB
        r = BufferedUnreader(a, data)
        assert r.read(10) == data[:10]
        r.unread(b"xy")
        assert r.read(3) == b"xy" + data[10:11]
        first = r.read()
        assert 0 < len(first) <= BufferedUnreader.piece and first == data[11:11 + len(first)]
        rest = r.read(len(data) - 11 - len(first))
        assert rest == data[11 + len(first):]
        assert r.buf.getvalue() == b""
        b.sendall(b"from the socket")
        assert r.read(4) == b"from"
        assert r.take_buffered() == b" the socket"     # the rest of that read, kept
        assert r.buf.getvalue() == b""
