"""A tiny HTTP server on 127.0.0.1 for tests: a handler decides each answer, every
request is recorded. Used as a stand-in responder/TSA, or as an HTTP proxy (``http_proxy``)
in front of the certomancer responders (the request line then holds the absolute URL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: (method, path or absolute URL, body) -> (status, content type, body)
Handler = Callable[[str, str, bytes], tuple[int, str, bytes]]


@dataclass
class Loopback:
    url: str
    requests: list[tuple[str, str]] = field(default_factory=list)   # (method, path)

    def count(self, fragment: str) -> int:
        return sum(fragment in path for _, path in self.requests)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def serve(handler: Handler):
    """Context manager: a running server whose answers come from ``handler``."""
    import contextlib

    @contextlib.contextmanager
    def running():
        state = Loopback(url="")

        class H(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                state.requests.append((method, self.path))
                status, ctype, data = handler(method, self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._answer("GET")

            def do_POST(self):
                self._answer("POST")

            def log_message(self, *args):  # quiet
                pass

        server = _Server(("127.0.0.1", 0), H)
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield state
        finally:
            server.shutdown()
            server.server_close()

    return running()
