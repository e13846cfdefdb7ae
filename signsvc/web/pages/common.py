"""What every page shares: the ``pages`` blueprint (static files, login, officials' pages),
the language choice, the login session's CSRF token, rendering, and errors shown as pages.

Login sessions live in the state database (``signsvc.services.login_service``); Flask's signed
cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS) holds only the opaque session id and
the CSRF token, and each request checks the session and the account afresh (logout, a role
change or a disabled account apply at once). Every state-changing request carries the
session's CSRF token (form field or ``X-CSRF-Token`` header).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from jinja2 import pass_context
from jinja2.runtime import Context
from werkzeug.exceptions import HTTPException

from signsvc.errors import Forbidden, Message, SignsvcError
from signsvc.web.auth import page_client, services
from signsvc.web.i18n import LANGUAGES, pick, texts
from signsvc.web.pages.dates import page_time, when

#: templates and static files live in signsvc/web/ (one folder for every page module)
WEB_ROOT = str(Path(__file__).resolve().parent.parent)

#: the login flow and the officials' pages (endpoint names ``pages.*``; serves /static)
pages = Blueprint("pages", __name__, root_path=WEB_ROOT, template_folder="templates",
                  static_folder="static", static_url_path="/static")


def lang() -> str:
    """The page language: ``?lang=``, else the ``lang`` cookie, else Vietnamese; always a
    language the catalogue has."""
    chosen = request.args.get("lang") or request.cookies.get("lang") or "vi"
    return chosen if chosen in LANGUAGES else "vi"


def csrf_token() -> str:
    """The login session's CSRF token (made at the first page of a session)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Raise ``Forbidden`` unless the request carries the session's CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``), compared in constant time."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not hmac.compare_digest(sent, session.get("csrf", "\0")):
        raise Forbidden(Message("Phiên làm việc không hợp lệ (CSRF); vui lòng tải lại trang.",
                                "Invalid page session (CSRF); please reload the page."))


def login_required(view: Callable) -> Callable:
    """Run ``view`` only with a live login session; otherwise redirect to the login page
    (coming back to this path afterwards)."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if page_client() is None:
            return redirect(url_for("pages.login", next=request.path))
        return view(*args, **kwargs)
    return wrapper


def switch_url(current: str) -> str:
    """This page in the other language (same path and query), for the language link."""
    args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    args["lang"] = "vi" if current == "en" else "en"
    if request.endpoint is None or request.method != "GET":
        return f"?lang={args['lang']}"
    return url_for(request.endpoint, **args)


def render(template: str, status: int = 200, **kw: Any) -> Response:
    """``template`` rendered in the page language with the texts ``t`` (``signsvc.web.i18n``),
    the CSRF token, the logged-in account ``user`` and the other-language link; the language
    kept in a cookie. ``auditor_menu=True`` (the auditors' pages) shows the auditors' menu to
    auditors and admins."""
    current = lang()
    resp = Response(render_template(template, t=texts(current), lang=current, csrf=csrf_token(),
                                    user=page_client(), switch_url=switch_url(current), **kw),
                    status=status)
    resp.set_cookie("lang", current, samesite="Strict", httponly=True,
                    secure=services().settings.pages.cookie_secure)
    return resp


@pass_context
def _tr(context: Context, both: Any) -> Any:
    """Jinja filter ``tr``: the page-language half of a ``Message`` or a ``{vi, en}`` mapping."""
    return pick(both, context.get("lang") or "vi")


@pass_context
def _tr_other(context: Context, both: Any) -> Any:
    """Jinja filter ``tr_other``: the other language's half (pages that show both)."""
    return pick(both, "vi" if context.get("lang") == "en" else "en")


pages.add_app_template_filter(_tr, "tr")
pages.add_app_template_filter(_tr_other, "tr_other")
pages.add_app_template_filter(when, "when")
pages.add_app_template_filter(page_time, "when_text")
#: base.html's texts for a page rendered without them (the API's HTML report, /docs)
pages.add_app_template_global(texts, "page_texts")


@pages.get("/favicon.ico")
def favicon() -> Response:
    """The site icon for browsers that ask /favicon.ico (pages link static/favicon.svg)."""
    return send_from_directory(str(Path(WEB_ROOT) / "static"), "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=86400)


@pages.after_request
def _page_headers(resp: Response) -> Response:
    agent = services().settings.pages.agent_url
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self' {agent}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


# -- errors as pages -----------------------------------------------------------------------
#: endpoints that the page's script calls: their errors stay problem+json
_SCRIPT_ENDPOINTS = ("pages.preview", "pages.page_layout", "pages.static")


def _for_script() -> bool:
    return request.path.startswith("/pages/api/") or request.endpoint in _SCRIPT_ENDPOINTS


def error_page(error: SignsvcError) -> Response:
    """``error`` as an HTML page in the chosen language (Vietnamese unless switched): the
    reason, the code, the request id and a link back; the officials' layout, never the
    auditors' menu."""
    return render("error.html", status=error.status, error=error)


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
    from signsvc.web.problem import error_for_status

    return _page_error(error_for_status(error.code))
