"""Slow peers for tests, on 127.0.0.1.

``dripping_server``: an HTTP responder (also usable as ``http_proxy``) that answers every
request one byte at a time -- never a read timeout, never a complete answer. ``slow_upload``:
a client that sends a request body one byte at a time.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Drip:
    url: str
    port: int
    requests: list[bytes] = field(default_factory=list)   # first line of each request
    bytes_sent: int = 0


@contextlib.contextmanager
def dripping_server(interval: float = 0.2, *, in_headers: bool = False,
                    content_type: str = "application/ocsp-response"):
    """A server that drips its answers: after the request's head, the status line and
    headers (``in_headers=False``: at once, announcing a 1 MB body) and then the body, one
    byte every ``interval`` seconds until the client goes away."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    state = Drip(url=f"http://127.0.0.1:{port}", port=port)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            head = b""
            with contextlib.suppress(OSError):
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
            state.requests.append(head.split(b"\r\n", 1)[0])
            answer = (f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
                      f"Content-Length: 1000000\r\n\r\n").encode()
            if not in_headers:
                with contextlib.suppress(OSError):
                    conn.sendall(answer)
                answer = b"0" * 1000000
            for i in range(len(answer)):
                if stop.wait(interval):
                    return
                try:
                    conn.sendall(answer[i:i + 1])
                except OSError:
                    return
                state.bytes_sent += 1

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield state
    finally:
        stop.set()
        listener.close()


def slow_upload(port: int, path: str, *, headers: dict[str, str], length: int,
                interval: float = 1.0, stop: threading.Event) -> socket.socket:
    """Open a connection and send a request whose ``length``-byte body comes one byte
    every ``interval`` seconds (in a daemon thread) until ``stop`` is set; returns the socket."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {length}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode())

    def trickle() -> None:
        for _ in range(length):
            if stop.wait(interval):
                break
            try:
                sock.sendall(b"%")
            except OSError:
                break
        with contextlib.suppress(OSError):
            sock.close()

    threading.Thread(target=trickle, daemon=True).start()
    return sock


def timed(fn, limit: float):
    """(result or exception, seconds) of ``fn()`` run in a thread; (None, None) when it has
    not returned after ``limit`` seconds (the thread is left behind, daemonic)."""
    out: dict = {}

    def run() -> None:
        start = time.monotonic()
        try:
            out["value"] = fn()
        except BaseException as exc:  # handed to the test
            out["value"] = exc
        out["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        return None, None
    return out["value"], out["seconds"]
