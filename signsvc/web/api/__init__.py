"""The HTTP API: one blueprint per resource, all under ``/v1`` but the operational ones.

Each module answers one resource of ../shared/API.md (``keys``, ``sign``, ``verify``,
``batch``, ``extend``, ``policy``, ``audit``, ``images``, ``documents``, ``sessions``,
``whole_file``, ``jobs``) and ``ops`` the liveness, readiness and OpenAPI endpoints. API modules import
``signsvc.web`` helpers (auth, uploads, schemas, problem) and services, never a page module.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from signsvc.web.api.audit import api_audit
from signsvc.web.api.batch import api_batch
from signsvc.web.api.documents import api_documents
from signsvc.web.api.extend import api_extend
from signsvc.web.api.images import api_images
from signsvc.web.api.jobs import api_jobs
from signsvc.web.api.keys import api_keys
from signsvc.web.api.ops import ops
from signsvc.web.api.policy import api_policy
from signsvc.web.api.sessions import api_sessions
from signsvc.web.api.sign import api_sign
from signsvc.web.api.verify import api_verify
from signsvc.web.api.whole_file import api_whole_file
from signsvc.web.openapi import API_BLUEPRINTS_KEY

#: the /v1 blueprints, in the order the OpenAPI document lists them
V1_BLUEPRINTS: tuple[Blueprint, ...] = (
    api_keys, api_sign, api_verify, api_batch, api_extend, api_policy, api_audit, api_images,
    api_documents, api_sessions, api_whole_file, api_jobs,
)
#: every API blueprint: the routes the OpenAPI document describes, each of them
API_BLUEPRINTS: tuple[Blueprint, ...] = (ops, *V1_BLUEPRINTS)


def register_api(app: Flask) -> None:
    """Mount the operational endpoints at the root and every resource under ``/v1``; the
    OpenAPI document describes the routes of these blueprints (each of them)."""
    app.register_blueprint(ops)
    for blueprint in V1_BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix="/v1")
    app.extensions[API_BLUEPRINTS_KEY] = tuple(bp.name for bp in API_BLUEPRINTS)
