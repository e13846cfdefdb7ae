"""The login flow shared by officials, clerks and auditors: name and password, then a TOTP
code for clerks, and logout.

Logins are throttled (429 with ``Retry-After``); each login step starts a new session
identity (and CSRF token). After the login the person lands on ``next`` (a local path) or on
their role's home page.
"""

from __future__ import annotations

from flask import Response, g, redirect, request, session, url_for

from signsvc.errors import SignsvcError, TooManyAttempts
from signsvc.names import Role
from signsvc.services.context import RequestContext
from signsvc.web.auth import page_client, page_context, services
from signsvc.web.i18n import pick
from signsvc.web.pages.common import check_csrf, lang, pages, render


@pages.get("/")
def index():
    return redirect(url_for("pages.documents"))


def _next_url(role: str) -> str:
    nxt = request.args.get("next", "")
    home = url_for("auditor.verify_form") if role == Role.AUDITOR else url_for("pages.documents")
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else home


def _login_refused(template: str, exc: SignsvcError) -> Response:
    """The login form again with the reason (429 with ``Retry-After`` while backing off), or
    problem+json for a client that asks for JSON."""
    from signsvc.web.problem import problem_response

    accept = request.accept_mimetypes
    wants_json = max(accept.quality("application/json"),
                     accept.quality("application/problem+json")) > accept.quality("text/html")
    resp = problem_response(exc) if wants_json else render(
        template, status=exc.status, error=pick(exc.message, lang()),
        name=request.form.get("name", "")[:128])   # the user name stays in the form
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
            check_csrf()
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
    return render("login.html", error=None)


@pages.route("/login/totp", methods=["GET", "POST"])
def login_totp():
    """Second step of a login that needs a TOTP code (clerks): 6 digits from the app."""
    if not session.get("pending"):
        return redirect(url_for("pages.login"))
    if request.method == "POST":
        try:
            check_csrf()
            ctx = RequestContext(g.request_id, client_address=request.remote_addr)
            step = services().login.verify_totp(ctx, session["pending"], request.form.get("code", ""))
        except SignsvcError as exc:
            return _login_refused("login_totp.html", exc)
        _start_session(step.session_id, "sid")
        return redirect(_next_url(step.client.role))
    return render("login_totp.html", error=None)


@pages.post("/logout")
def logout():
    check_csrf()
    sid = session.get("sid")
    if sid:
        services().login.logout(page_context() if page_client() else
                                RequestContext(g.request_id, client_address=request.remote_addr), sid)
    session.clear()
    return redirect(url_for("pages.login"))
