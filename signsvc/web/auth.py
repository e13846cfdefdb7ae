"""Bearer-token authentication and role checks for API routes (audited by the service)."""

from __future__ import annotations

import functools
from typing import Callable

from flask import current_app, g, request

from signsvc.services.container import Services
from signsvc.services.context import RequestContext


def services() -> Services:
    return current_app.extensions["signsvc"]


def base_context() -> RequestContext:
    return RequestContext(request_id=g.request_id, client_address=request.remote_addr)


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
        return wrapper
    return decorate
