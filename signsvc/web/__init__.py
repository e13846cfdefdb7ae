"""HTTP layer: routes, authentication, uploads, problem+json. No PKCS#11, no pyHanko."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from signsvc.services.container import Services
from signsvc.web import problem
from signsvc.web.api_audit import api_audit
from signsvc.web.api_sessions import api_sessions
from signsvc.web.api_v1 import api_v1
from signsvc.web.ops import ops

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def create_web_app(services: Services) -> Flask:
    app = Flask("signsvc")
    limit = services.settings.service.max_document_bytes
    app.config.update(
        MAX_CONTENT_LENGTH=limit + 64 * 1024,
        MAX_FORM_MEMORY_SIZE=64 * 1024,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["signsvc"] = services

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex

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
    app.register_blueprint(ops)
    app.register_blueprint(api_v1, url_prefix="/v1")
    app.register_blueprint(api_audit, url_prefix="/v1")
    app.register_blueprint(api_sessions, url_prefix="/v1")
    return app
