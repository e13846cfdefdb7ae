"""The officials' signing pages: login, documents awaiting me, sign with my own token.

Login sessions live in the state database (``signsvc.services.login_service``); Flask's signed
cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS) holds only the opaque session id and
the CSRF token, and each request checks the session and the account afresh (logout, a role
change or a disabled account apply at once). Logins are throttled (429 with ``Retry-After``)
and clerks give a TOTP code. Every state-changing request carries the session's CSRF token
(form field or ``X-CSRF-Token`` header). The page talks to the official's local agent
(its origin is the only extra ``connect-src`` of the Content-Security-Policy); the PDF
stays on the server and the PIN on the official's PC.
"""

from __future__ import annotations

import hmac
import secrets
from functools import wraps
from typing import Callable

from flask import (
    Blueprint, Response, g, jsonify, redirect, render_template, request, session, url_for,
)
from werkzeug.exceptions import HTTPException

from signsvc.errors import BadRequest, Forbidden, Message, SignsvcError, TooManyAttempts
from signsvc.services.context import RequestContext
from signsvc.settings import LEVELS
from signsvc.web.appearance_params import parse_appearance
from signsvc.web.auth import page_client, page_context, services
from signsvc.web.headers import content_disposition
from signsvc.web.i18n import TEXTS

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static")


def _lang() -> str:
    lang = request.args.get("lang") or request.cookies.get("lang") or "vi"
    return lang if lang in TEXTS else "vi"


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not hmac.compare_digest(sent, session.get("csrf", "\0")):
        raise Forbidden(Message("Phiên làm việc không hợp lệ (CSRF); vui lòng tải lại trang.",
                                "Invalid page session (CSRF); please reload the page."))


def _ctx() -> RequestContext:
    return page_context()


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if page_client() is None:
            return redirect(url_for("pages.login", next=request.path))
        return view(*args, **kwargs)
    return wrapper


def _render(template: str, status: int = 200, **kw) -> Response:
    lang = _lang()
    resp = Response(render_template(template, t=TEXTS[lang], lang=lang, csrf=_csrf_token(),
                                    user=page_client(), **kw), status=status)
    resp.set_cookie("lang", lang, samesite="Strict", httponly=True,
                    secure=services().settings.pages.cookie_secure)
    return resp


@pages.after_request
def _page_headers(resp: Response) -> Response:
    agent = services().settings.pages.agent_url
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self' {agent}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


@pages.get("/")
def index():
    return redirect(url_for("pages.documents"))


def _next_url(role: str) -> str:
    nxt = request.args.get("next", "")
    home = url_for("auditor.verify_form") if role == "auditor" else url_for("pages.documents")
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else home


def _login_refused(template: str, exc: SignsvcError) -> Response:
    """The login form again with the reason (429 with ``Retry-After`` while backing off), or
    problem+json for a client that asks for JSON."""
    from signsvc.web.problem import problem_response

    accept = request.accept_mimetypes
    wants_json = max(accept.quality("application/json"),
                     accept.quality("application/problem+json")) > accept.quality("text/html")
    resp = problem_response(exc) if wants_json else _render(
        template, status=exc.status, error=exc.message.vi if _lang() == "vi" else exc.message.en)
    if isinstance(exc, TooManyAttempts):
        resp.headers["Retry-After"] = str(exc.extra.get("retry_after", 1))
    return resp


def _start_session(sid: str, key: str) -> None:
    session.clear()  # a new session identity (and CSRF token) at each login step
    session[key] = sid
    session.permanent = True


@pages.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        try:
            _check_csrf()
            ctx = RequestContext(g.request_id, client_address=request.remote_addr)
            step = services().login.login(ctx, request.form.get("name", ""),
                                          request.form.get("password", ""))
        except SignsvcError as exc:
            return _login_refused("login.html", exc)
        if step.needs_totp:
            _start_session(step.session_id, "pending")
            return redirect(url_for("pages.login_totp", next=request.args.get("next", "")))
        _start_session(step.session_id, "sid")
        return redirect(_next_url(step.client.role))
    return _render("login.html", error=None)


@pages.route("/login/totp", methods=["GET", "POST"])
def login_totp():
    """Second step of a login that needs a TOTP code (clerks): 6 digits from the app."""
    if not session.get("pending"):
        return redirect(url_for("pages.login"))
    if request.method == "POST":
        try:
            _check_csrf()
            ctx = RequestContext(g.request_id, client_address=request.remote_addr)
            step = services().login.verify_totp(ctx, session["pending"], request.form.get("code", ""))
        except SignsvcError as exc:
            return _login_refused("login_totp.html", exc)
        _start_session(step.session_id, "sid")
        return redirect(_next_url(step.client.role))
    return _render("login_totp.html", error=None)


@pages.post("/logout")
def logout():
    _check_csrf()
    sid = session.get("sid")
    if sid:
        services().login.logout(page_context() if page_client() else
                                RequestContext(g.request_id, client_address=request.remote_addr), sid)
    session.clear()
    return redirect(url_for("pages.login"))


@pages.get("/documents")
@login_required
def documents():
    return _render("documents.html", documents=services().documents.awaiting(_ctx()))


@pages.get("/documents/<doc_id>")
@login_required
def document(doc_id: str):
    ctx = _ctx()
    svc = services()
    doc = svc.documents.visible(ctx, doc_id)
    mine = doc.state == "awaiting" and ctx.actor == doc.assignee
    return _render("document.html", doc=doc, agent_url=svc.settings.pages.agent_url,
                   registered=svc.sessions.registered_certificates(ctx), levels=LEVELS,
                   default_level=svc.settings.service.default_level, mine=mine,
                   fields=svc.documents.empty_fields(ctx, doc_id) if mine else [],
                   images=_signature_images(ctx.actor or "") if mine else [])


def _signature_images(account: str) -> list[str]:
    """Names of the signature images registered to this official (``official:NAME``)."""
    images = getattr(services().signing, "images", None)
    if images is None:
        return []
    return [i.name for i in images.list() if i.kind == "signature" and i.key_id == f"official:{account}"]


@pages.get("/documents/<doc_id>/page1.png")
@pages.get("/documents/<doc_id>/pages/<int:number>.png")
@login_required
def preview(doc_id: str, number: int = 1):
    resp = Response(services().documents.preview(_ctx(), doc_id, number), mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=60"
    return resp


@pages.get("/documents/<doc_id>/pages/<int:number>.json")
@login_required
def page_layout(doc_id: str, number: int):
    """The page's box in PDF points (what its preview shows), for the placement chooser."""
    return jsonify(services().documents.page_layout(_ctx(), doc_id, number))


@pages.get("/documents/<doc_id>/download")
@login_required
def download(doc_id: str):
    doc, data = services().documents.content(_ctx(), doc_id)
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = content_disposition(f"{doc.number or doc.id}.pdf")
    return resp


def _json_body() -> dict:
    """The JSON object of a page's request: at most 64 KB read, deep nesting a 400
    (signsvc.web.jsonbody)."""
    from signsvc.web.jsonbody import json_object

    return json_object(request, required=Message("Cần thân JSON.", "A JSON body is required."))


@pages.post("/pages/api/sessions")
def api_create_session():
    _check_csrf()
    ctx = _ctx()
    body = _json_body()
    level = body.get("level") or services().settings.service.default_level
    if level not in LEVELS:
        raise BadRequest(Message("Mức chữ ký không hợp lệ.", "Unknown signature level."), parameter="level")
    look = body.get("appearance")
    if look is not None and (not isinstance(look, dict) or "profile" not in look or
                             not all(isinstance(v, str) for v in look.values())):
        raise BadRequest(Message("'appearance' là một đối tượng có 'profile', mọi giá trị là chuỗi.",
                                 "'appearance' is an object with 'profile', every value a string."),
                         parameter="appearance")
    field = body.get("field")
    if field is not None and not isinstance(field, str):
        raise BadRequest(Message("'field' là tên một trường chữ ký.", "'field' is a signature field name."),
                         parameter="field")
    return jsonify(services().sessions.create(ctx, str(body.get("document_id", "")), body.get("certificate"),
                                              level, body.get("eservice"),
                                              body.get("rsa_padding") or "pss",
                                              appearance=parse_appearance(look) if look is not None else None,
                                              field=field or None)), 201


@pages.post("/pages/api/sessions/<session_id>/cancel")
def api_cancel(session_id: str):
    """The page gives up a session (step 2 failed on the official's PC); ``reason`` is the
    agent's error code, recorded in the audit log as reported."""
    _check_csrf()
    ctx = _ctx()
    reason = _json_body().get("reason")
    services().sessions.cancel(ctx, session_id, reason if isinstance(reason, str) else None)
    return "", 204


@pages.post("/pages/api/sessions/<session_id>/signature")
def api_complete(session_id: str):
    _check_csrf()
    ctx = _ctx()
    body = _json_body()
    doc, signed = services().sessions.complete(ctx, session_id, body.get("signature"))
    report = services().validation.verify(ctx, signed).as_dict()
    last = report["signatures"][-1] if report["signatures"] else {}
    return jsonify({"document_id": doc.id, "revision": doc.revision, "sha256": doc.sha256,
                    "download": url_for("pages.download", doc_id=doc.id),
                    "verdict": report["verdict"],
                    "verdict_text": TEXTS[_lang()].get(f"verdict_{report['verdict']}", report["verdict"]),
                    "signer": (last.get("signer") or {}).get("common_name"),
                    "signing_time": last.get("signing_time"), "level": last.get("level"),
                    "messages": last.get("messages")})


# -- errors as pages -----------------------------------------------------------------------
#: endpoints that the page's script calls: their errors stay problem+json
_SCRIPT_ENDPOINTS = ("pages.preview", "pages.page_layout", "pages.static")


def _for_script() -> bool:
    return request.path.startswith("/pages/api/") or request.endpoint in _SCRIPT_ENDPOINTS


def error_page(error: SignsvcError) -> Response:
    """``error`` as an HTML page in the chosen language (Vietnamese unless switched): the
    reason, the code, the request id and a link back; the officials' layout, never the
    auditors' menu."""
    return _render("error.html", status=error.status, error=error)


@pages.errorhandler(SignsvcError)
def _page_error(error: SignsvcError) -> Response:
    from signsvc.web.problem import problem_response

    return problem_response(error) if _for_script() else error_page(error)


@pages.errorhandler(Exception)
def _page_unexpected(error: Exception) -> Response:
    """An unexpected failure on a page: audited like any other, shown as a page (500 with the
    request id), never a bare error or raw JSON."""
    from signsvc.web.problem import unexpected_error

    return _page_error(unexpected_error(error))


@pages.errorhandler(HTTPException)
def _page_http_error(error: HTTPException) -> Response:
    from signsvc.web.problem import _HTTP_MAP

    return _page_error(_HTTP_MAP.get(error.code or 500, SignsvcError)())

