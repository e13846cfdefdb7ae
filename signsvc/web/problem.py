"""RFC 9457 problem+json answers for every error; no trace, path or secret ever leaks."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, json
from werkzeug.exceptions import HTTPException

from signsvc import errors
from signsvc.errors import SignsvcError, problem_from

log = logging.getLogger(__name__)

_HTTP_MAP: dict[int, type[SignsvcError]] = {
    400: errors.BadRequest, 401: errors.Unauthenticated, 403: errors.Forbidden,
    404: errors.NotFound, 405: errors.MethodNotAllowed, 413: errors.DocumentTooLarge,
    415: errors.UnsupportedMediaType,
}


def problem_response(error: SignsvcError) -> Response:
    problem = problem_from(error, getattr(g, "request_id", None))
    resp = Response(json.dumps(problem.as_dict(), ensure_ascii=False), status=problem.status,
                    mimetype="application/problem+json")
    resp.headers["Content-Language"] = "vi, en"
    if problem.status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="signsvc"'
    return resp


def install(app: Flask) -> None:
    @app.errorhandler(SignsvcError)
    def _signsvc_error(error: SignsvcError) -> Response:
        if error.status >= 500:
            log.warning("request %s failed: %s", getattr(g, "request_id", None), error.code)
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        cls = _HTTP_MAP.get(error.code or 500, SignsvcError)
        return problem_response(cls())

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error in request %s", getattr(g, "request_id", None))
        return problem_response(SignsvcError())
