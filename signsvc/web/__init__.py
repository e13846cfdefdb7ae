"""HTTP layer: routes, authentication, uploads, problem+json. No PKCS#11, no pyHanko."""

from __future__ import annotations

import os
import re
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from signsvc import logsetup
from signsvc.services.container import Services
from signsvc.web import observability, problem
from signsvc.web.api import register_api
from signsvc.web.pages import auditor, pages
from signsvc.web.uploads import FORM_FIELD_BYTES, UploadRequest

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def create_web_app(services: Services) -> Flask:
    app = Flask("signsvc", static_folder=None)
    app.request_class = UploadRequest   # multipart file parts to bounded files on disk
    hops = services.settings.service.proxy_hops
    if hops:
        # behind nginx: the client's address is the one the trusted proxy saw (audit records,
        # login throttling per address), never a value the client wrote itself
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    limit = services.settings.service.max_document_bytes
    pages_cfg = services.settings.pages
    app.config.update(
        MAX_CONTENT_LENGTH=limit + 64 * 1024,
        MAX_FORM_MEMORY_SIZE=FORM_FIELD_BYTES,   # text fields only; files: MAX_CONTENT_LENGTH
        JSON_AS_ASCII=False,
        SECRET_KEY=_secret_key(services.settings.paths.cookie_secret),
        SESSION_COOKIE_NAME="signsvc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=pages_cfg.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=pages_cfg.session_minutes),
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["signsvc"] = services

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        logsetup.request_id.set(g.request_id)  # every log line of this request carries it

    @app.teardown_request
    def _forget_request_id(_exc: BaseException | None) -> None:
        logsetup.request_id.set("-")

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers["X-Request-Id"] = getattr(g, "request_id", "")
        resp.headers.setdefault("Cache-Control", "no-store")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'none'; style-src 'self' 'unsafe-inline'; "
                                "frame-ancestors 'none'")
        return resp

    problem.install(app)
    observability.install(app)   # request counts and latency by URL rule (GET /metrics)
    register_api(app)
    app.register_blueprint(pages)
    app.register_blueprint(auditor)
    return app


def _secret_key(path: Path) -> bytes:
    """The key that signs login cookies: random, made once, kept in the state folder (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # written whole under a private name, then linked into place: a worker starting at
        # the same moment never reads a half-written (empty) key, and the first link wins
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process linked its key first: use that one
        finally:
            tmp.unlink()
    return path.read_bytes()
