"""RFC 9457 problem+json answers for every error; no trace, path or secret ever leaks.

Guarantees: every error answer is ``application/problem+json`` with Vietnamese and English
text and the request id (``instance``); a 405 carries ``Allow``; an exception that no
boundary translated is logged server side, audited (``http:request:failed``,
``outcome=error``, with the request id) and answered 500 ``internal-error`` naming the
request id -- or 503 ``audit-unavailable`` when that record cannot be written.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException

from signsvc import errors
from signsvc.audit_tags import AuditTag
from signsvc.errors import SignsvcError, problem_from
from signsvc.names import AuditOutcome

log = logging.getLogger(__name__)

_HTTP_MAP: dict[int, type[SignsvcError]] = {
    400: errors.BadRequest, 401: errors.Unauthenticated, 403: errors.Forbidden,
    404: errors.NotFound, 405: errors.MethodNotAllowed, 413: errors.DocumentTooLarge,
    415: errors.UnsupportedMediaType,
}
#: headers of werkzeug's own answers that a client needs (405 -> Allow, 416 -> Content-Range)
_KEPT_HEADERS = ("Allow", "Retry-After", "Content-Range")


def error_for_status(status: int | None) -> SignsvcError:
    """The signsvc error for an HTTP status werkzeug answered (400, 401, 403, 404, 405, 413,
    415), or the generic 500 one for any other; what the pages show for it."""
    return _HTTP_MAP.get(status or 500, SignsvcError)()


def problem_response(error: SignsvcError) -> Response:
    problem = problem_from(error, getattr(g, "request_id", None))
    resp = Response(json.dumps(problem.as_dict(), ensure_ascii=False), status=problem.status,
                    mimetype="application/problem+json")
    resp.headers["Content-Language"] = "vi, en"
    if problem.status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="signsvc"'
    return resp


def _from_http(error: HTTPException) -> SignsvcError:
    """The signsvc error for one of werkzeug's HTTP errors, keeping its status."""
    cls = _HTTP_MAP.get(error.code or 500)
    if cls is not None:
        return cls()
    status = error.code if error.code and 400 <= error.code < 600 else 500
    name = error.name or "Error"
    kind = type("HttpError", (SignsvcError,), {
        "code": "-".join(name.lower().split()) or "http-error", "status": status,
        "title": f"Lỗi HTTP {status} / {name}"})
    return kind(errors.Message(f"Yêu cầu không được xử lý (HTTP {status} {name}).",
                               f"The request was not processed (HTTP {status} {name})."))


def _audit_unexpected(error: BaseException) -> SignsvcError:
    """Audit an exception that reached the web layer; the error to answer with."""
    from signsvc.services.audit_views import AuditEvent

    request_id = getattr(g, "request_id", None) or "unknown"
    try:
        svc = current_app.extensions["signsvc"]
        svc.audit.record(AuditEvent(
            action=AuditTag.HTTP_REQUEST_FAILED, outcome=AuditOutcome.ERROR, request_id=request_id,
            client_address=request.remote_addr, error_code=errors.UnexpectedError.code,
            details={"method": request.method[:16], "endpoint": (request.endpoint or "")[:128],
                     "exception": type(error).__name__[:128]}))
    except SignsvcError as audit_error:  # AuditUnavailable: the answer says so
        return audit_error
    except Exception:
        log.exception("could not audit the failure of request %s", request_id)
        return errors.AuditUnavailable()
    return errors.UnexpectedError(request_id=request_id)


def install(app: Flask) -> None:
    @app.errorhandler(SignsvcError)
    def _signsvc_error(error: SignsvcError) -> Response:
        if error.status >= 500:
            log.warning("request %s failed: %s", getattr(g, "request_id", None), error.code)
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        resp = problem_response(_from_http(error))
        for name, value in error.get_headers():
            if name in _KEPT_HEADERS:
                resp.headers[name] = value
        return resp

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        return problem_response(unexpected_error(error))


def unexpected_error(error: BaseException) -> SignsvcError:
    """An exception no boundary translated: logged (server side only), audited
    (``http:request:failed``, ``outcome=error``); the error to answer with (500 naming the
    request id, or 503 when the audit log cannot take the record). Pages render it as a
    page, the API as problem+json."""
    log.error("unexpected error in request %s", getattr(g, "request_id", None), exc_info=error)
    return _audit_unexpected(error)
