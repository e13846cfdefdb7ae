"""Bearer-token authentication and role checks for API routes (audited by the service)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import current_app, g, request

from signsvc.services.container import Services
from signsvc.services.context import RequestContext


def services() -> Services:
    return current_app.extensions["signsvc"]


def base_context() -> RequestContext:
    return RequestContext(request_id=g.request_id, client_address=request.remote_addr)


#: the attribute ``client_required`` sets on a view: the roles it requires (may be empty)
ROLES_ATTRIBUTE = "signsvc_roles"


def client_required(*roles: str) -> Callable:
    """Authenticate the caller (401) and, when ``roles`` are given, require one (403).

    The view receives ``ctx``: a ``RequestContext`` naming the client, role and keys.
    """
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            svc = services()
            ctx = base_context()
            client = svc.clients.authenticate(request.headers.get("Authorization"), ctx)
            ctx = ctx.with_client(client.name, client.role, client.keys)
            if roles:
                svc.clients.require_role(ctx, roles, request.endpoint or "")
            return view(*args, ctx=ctx, **kwargs)
        setattr(wrapper, ROLES_ATTRIBUTE, roles)   # the OpenAPI document reads it
        return wrapper
    return decorate


# -- page sessions (signsvc.web.pages: the officials' and the auditors' pages) -----------------

def page_user():
    """The ``PageUser`` of the page session named in the cookie, checked against the session
    table and the account on every request (cached for the request), or None. A cookie whose
    session is no longer live loses its session id."""
    from flask import session

    if "page_user" not in g:
        sid = session.get("sid")
        g.page_user = services().login.session(base_context(), sid) if sid else None
        if sid and g.page_user is None:
            session.pop("sid", None)
    return g.page_user


def page_client():
    """The account of the live page session, or None."""
    user = page_user()
    return user.client if user else None


def page_context() -> RequestContext:
    """The request's context for a page session: the person's account, role and keys as stored
    now, and the session reference every audit record then carries; ``Unauthenticated``
    without a live session."""
    from signsvc.errors import Unauthenticated

    user = page_user()
    if user is None:
        raise Unauthenticated()
    c = user.client
    return RequestContext(g.request_id, c.name, c.role, request.remote_addr, c.keys,
                          session=user.session_ref)
