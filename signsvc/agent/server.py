"""The agent's HTTP endpoint on 127.0.0.1: ``GET /certificates``, ``POST /sign``.

Guarantees, in the order every request is checked:
1. ``Origin`` must be in the admin's allow-list (OPTIONS preflight included); a request
   without ``Origin`` is refused unless ``allow_requests_without_origin`` (tests) is set.
   Nothing else of the request is looked at before this, and no token is touched;
2. ``Host`` must be ``127.0.0.1:<port>`` or ``localhost:<port>`` (DNS rebinding);
3. only the two endpoints exist; ``POST /sign`` must be ``application/json`` with a
   ``Content-Length`` of at most ``MAX_REQUEST_BYTES`` (the body is not read otherwise);
4. CORS answers echo only the allowed origin (never ``*``) with ``Vary: Origin``;
   refused origins get no CORS header at all;
5. for ``/sign`` the certificate is looked up before the PIN is asked for (an unknown
   certificate gets 404 without a prompt); the PIN is asked for each signature.
Every answer is JSON, ``Cache-Control: no-store``; errors follow ``protocol.error_body``.
Nothing logged contains a PIN, a hash or a signature.
"""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from signsvc.agent.config import LOOPBACK, AgentConfig
from signsvc.agent.pin import PinPrompter, SigningContext
from signsvc.agent.protocol import (
    ERRORS,
    MAX_REQUEST_BYTES,
    PATH_CERTIFICATES,
    PATH_SIGN,
    ProtocolError,
    SignRequest,
    certificates_body,
    error_body,
    sign_response_body,
)
from signsvc.agent.token import Tokens, check_request

log = logging.getLogger("signsvc.agent")

SOCKET_TIMEOUT = 15


class TooLarge(ProtocolError):
    """A body over ``MAX_REQUEST_BYTES``: ``bad-request`` answered with HTTP 413."""


class AgentServer(ThreadingHTTPServer):
    """The listening server; refuses to bind anything but 127.0.0.1."""

    daemon_threads = True
    # SO_REUSEADDR: restarting the agent right after use binds again at once (without it
    # the port stays in TIME_WAIT for about 60 s: "Address already in use"). On Linux this
    # never lets a second listener share the port.
    allow_reuse_address = True

    def __init__(self, config: AgentConfig, tokens: Tokens, prompter: PinPrompter) -> None:
        if config.server.host != LOOPBACK:
            raise ValueError(f"signsvc-agent listens on {LOOPBACK} only")
        self.config = config
        self.tokens = tokens
        self.prompter = prompter
        self.allowed_hosts = {f"127.0.0.1:{config.server.port}", f"localhost:{config.server.port}"}
        super().__init__((LOOPBACK, config.server.port), AgentHandler)


class AgentHandler(BaseHTTPRequestHandler):
    server: AgentServer
    server_version = "signsvc-agent"
    sys_version = ""
    protocol_version = "HTTP/1.0"
    timeout = SOCKET_TIMEOUT

    # -- plumbing --------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: dict[str, Any] | None, origin: str | None = None,
              extra: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Vary", "Origin")
        if origin is not None:
            self.send_header("Access-Control-Allow-Origin", origin)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, slug: str, detail: str = "", origin: str | None = None,
               status: int | None = None, hints: dict[str, bool] | None = None) -> None:
        self._send(status or ERRORS[slug].status, error_body(slug, detail, hints), origin)

    def handle_expect_100(self) -> bool:
        """No ``100 Continue`` before the Origin and Host checks have run."""
        return True

    def _gate(self) -> tuple[bool, str | None]:
        """Origin, then Host. Returns (allowed, origin to echo in CORS headers)."""
        origins = self.headers.get_all("Origin") or []
        cfg = self.server.config.server
        if len(origins) > 1:
            self._error("origin-not-allowed", "several Origin headers")
            return False, None
        origin = origins[0] if origins else None
        if origin is None:
            if not cfg.allow_requests_without_origin:
                self._error("origin-not-allowed", "no Origin header")
                return False, None
        elif origin not in cfg.allowed_origins:
            log.warning("refused a request from origin %r", origin[:200])
            self._error("origin-not-allowed")
            return False, None
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or hosts[0].lower() not in self.server.allowed_hosts:
            log.warning("refused a request for host %r", (hosts or [""])[0][:200])
            self._error("host-not-allowed", origin=origin)
            return False, None
        return True, origin

    def _path(self) -> str:
        return self.path.split("?", 1)[0]

    # -- methods ---------------------------------------------------------------------
    def do_OPTIONS(self) -> None:
        ok, origin = self._gate()
        if not ok:
            return
        path = self._path()
        if path not in (PATH_CERTIFICATES, PATH_SIGN):
            self._error("not-found", origin=origin)
            return
        extra = {"Access-Control-Allow-Methods": "GET" if path == PATH_CERTIFICATES else "POST",
                 "Access-Control-Allow-Headers": "Content-Type",
                 "Access-Control-Max-Age": "600"}
        if self.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
            extra["Access-Control-Allow-Private-Network"] = "true"
        self._send(204, None, origin, extra)

    def do_GET(self) -> None:
        ok, origin = self._gate()
        if not ok:
            return
        if self._path() != PATH_CERTIFICATES:
            self._error("not-found", origin=origin)
            return
        try:
            entries = [c.entry() for c in self.server.tokens.certificates()]
        except ProtocolError as exc:
            self._error(exc.slug, exc.detail, origin)
            return
        except Exception as exc:
            log.error("listing failed unexpectedly: %s", type(exc).__name__)
            self._error("token-failed", origin=origin)
            return
        self._send(200, certificates_body(entries), origin)

    def do_POST(self) -> None:
        ok, origin = self._gate()
        if not ok:
            return
        if self._path() != PATH_SIGN:
            self._error("not-found", origin=origin)
            return
        try:
            request = SignRequest.from_json(self._read_json())
            check_request(request)
            found = self.server.tokens.find(request.certificate)
            pin = self.server.prompter.ask(SigningContext(
                origin=origin or "(no Origin: test mode)", document=request.document,
                subject=found.entry().subject, token_label=found.token.label))
            signature = self.server.tokens.sign(found, request, pin)
            del pin
        except ProtocolError as exc:
            log.info("sign refused: %s", exc.slug)
            self._error(exc.slug, exc.detail, origin, 413 if isinstance(exc, TooLarge) else None,
                        exc.hints)
            return
        except Exception as exc:  # an answer, never a dropped connection; no locals logged
            log.error("sign failed unexpectedly: %s", type(exc).__name__)
            self._error("token-failed", origin=origin)
            return
        log.info("signed for %s: %s %r (%s)", origin, request.signature_algorithm,
                 request.document.number, found.token.label)
        self._send(200, sign_response_body(signature), origin)

    def do_PUT(self) -> None:
        self._not_allowed()

    do_DELETE = do_PATCH = do_HEAD = do_PUT

    def _not_allowed(self) -> None:
        ok, origin = self._gate()
        if ok:
            self._send(405, error_body("bad-request", f"method {self.command} not allowed"),
                       origin, {"Allow": "GET, POST, OPTIONS"})

    def _read_json(self) -> Any:
        """The body as JSON, read only if it is small enough and declared as JSON."""
        if self.headers.get("Transfer-Encoding"):
            raise ProtocolError("bad-request", "Transfer-Encoding is not supported")
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ctype != "application/json":
            raise ProtocolError("bad-request", "Content-Type must be application/json")
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            raise ProtocolError("bad-request", "Content-Length is required")
        length = int(length_header)
        if length > MAX_REQUEST_BYTES:
            raise TooLarge("bad-request", f"the request is larger than {MAX_REQUEST_BYTES} bytes")
        body = self.rfile.read(length)
        if len(body) != length:
            raise ProtocolError("bad-request", "the body is shorter than Content-Length")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ProtocolError("bad-request", "the body is not UTF-8 JSON") from None
