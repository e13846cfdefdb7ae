"""The OpenAPI 3.1 document, made from the routes and their schemas.

Each API view states what the routes do not say with :func:`documented` (summary, the
pydantic model of its query or JSON body, its other bodies, its answers); the document is
then assembled with apispec by walking the application's URL map:

- every route of the API blueprints (``app.extensions["signsvc.api_blueprints"]``) and each
  of its methods is an operation; its path parameters come from the route itself;
- query parameters and JSON bodies are the models' JSON schemas (pydantic), response
  bodies named schemas of ``signsvc.web.schemas.responses``;
- the error statuses every operation can answer are added from what the route is: 401 and
  403 behind the bearer token (``client_required`` marks the view), 400, 413 and 415 with a
  body, 400 with a query model, each as problem+json.

tests/integration/test_openapi_routes.py walks the URL map against the document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apispec import APISpec
from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from signsvc import __version__
from signsvc.web.auth import ROLES_ATTRIBUTE
from signsvc.web.schemas.responses import COMPONENTS, RESPONSE_MODELS

F = TypeVar("F", bound=Callable[..., Any])

#: where register_api records the names of the API blueprints
API_BLUEPRINTS_KEY = "signsvc.api_blueprints"
#: the attribute of a view holding its :class:`Operation`
ATTRIBUTE = "openapi_operation"

PDF_BINARY: dict[str, Any] = {"type": "string", "format": "binary"}
PDF_BODY: dict[str, dict[str, Any]] = {"application/pdf": PDF_BINARY,
            "multipart/form-data": {"type": "object", "required": ["file"],
                                    "properties": {"file": PDF_BINARY}}}
PATH_PARAMETER: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"}
_PATH_WORDS = {"doc_id": "Document id", "session_id": "Signing session id",
               "ticket": "One-time ticket (the credential of the whole-file agent)"}
ERROR_TEXTS = {
    400: "Bad parameter or body (problem+json names the parameter)",
    401: "Missing or wrong bearer token",
    403: "Role or key not allowed (or the policy refused)",
    404: "Unknown key or not found",
    406: "not-acceptable: Accept names no format this operation answers",
    409: "Conflict: agency seal before the official's signature; session used or stale",
    413: "Document too large (document-too-large names the limit)",
    415: "Unsupported media type",
    422: "Not a PDF, malformed or encrypted PDF, or a request the document cannot take",
    503: "token-unavailable, timestamp-unavailable, revocation-unavailable, signing-timeout, "
         "report-unavailable or audit-unavailable (nothing returned, audited)",
}
_PATH_RE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Reply:
    """One documented answer: its description, media types (with a schema name from
    ``signsvc.web.schemas.responses``, a JSON-schema dict, or None for any) and headers."""

    description: str
    content: Mapping[str, str | dict[str, Any] | None] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """What an API view answers, beyond its route: see :func:`documented`."""

    summary: str
    replies: Mapping[int, Reply]
    description: str = ""
    query: type[BaseModel] | None = None
    json_body: type[BaseModel] | None = None
    body: Mapping[str, dict[str, Any]] | None = None
    errors: tuple[int, ...] = ()
    body_required: bool = True
    headers: tuple[Mapping[str, Any], ...] = ()


def documented(summary: str, replies: Mapping[int, Reply], *, description: str = "",
               query: type[BaseModel] | None = None, json_body: type[BaseModel] | None = None,
               body: Mapping[str, dict[str, Any]] | None = None,
               errors: Iterable[int] = (), body_required: bool = True,
               headers: Iterable[Mapping[str, Any]] = ()) -> Callable[[F], F]:
    """Attach the operation to the view: ``summary`` (Vietnamese / English), its answers
    by status, the model its query (``query``) or JSON body (``json_body``) is parsed
    with, any other body by media type (``body_required=False``: the body may be left out),
    the error statuses it can answer besides the ones the route implies (see the module
    docstring), and the header parameters it reads (OpenAPI parameter objects, ``in:
    header``)."""
    operation = Operation(summary, dict(replies), description, query, json_body,
                          dict(body) if body is not None else None, tuple(sorted(set(errors))),
                          body_required, tuple(dict(h) for h in headers))

    def attach(view: F) -> F:
        setattr(view, ATTRIBUTE, operation)
        return view
    return attach


def operation_of(view: Callable[..., Any]) -> Operation | None:
    return getattr(view, ATTRIBUTE, None)


def roles_of(view: Callable[..., Any]) -> tuple[str, ...] | None:
    """The roles ``client_required`` asks of the view (``()``: any client), or None for a
    view without a bearer token."""
    return getattr(view, ROLES_ATTRIBUTE, None)


def openapi_path(rule: str) -> str:
    """``/v1/documents/<doc_id>`` as ``/v1/documents/{doc_id}``."""
    return _PATH_RE.sub(r"{\1}", rule)


def implied_errors(view: Callable[..., Any], method: str, op: Operation) -> set[int]:
    """The statuses a route answers whatever its view does: 401/403 behind the bearer token,
    400/413/415 with a body, 400 with a query model."""
    wanted: set[int] = set(op.errors)
    if roles_of(view) is not None:
        wanted |= {401, 403}
    if method in ("post", "put", "patch"):
        wanted |= {400, 413, 415}
    if op.query is not None or op.json_body is not None:
        wanted.add(400)
    return wanted


def api_operations(app: Flask) -> list[tuple[str, str, Callable[..., Any], list[str]]]:
    """(path, method, view, path parameter names) of every route of the API blueprints,
    in the order they were registered; HEAD and OPTIONS are Flask's own."""
    names = set(app.extensions.get(API_BLUEPRINTS_KEY, ()))
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] not in names:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((openapi_path(rule.rule), method.lower(), view, sorted(rule.arguments)))
    return found


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``'s API routes (see the module docstring).
    ``ValueError`` names a route whose view is not :func:`documented`."""
    spec = APISpec(title="signsvc", version=__version__, openapi_version="3.1.0",
                   info={"description": "Dịch vụ ký số và xác thực tài liệu PDF (PAdES) / "
                                        "Digital signature and verification service for PDF "
                                        "(PAdES)."},
                   security=[{"bearer": []}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    request_models: dict[str, type[BaseModel]] = {}
    paths: dict[str, dict[str, Any]] = {}
    for path, method, view, arguments in api_operations(app):
        op = operation_of(view)
        if op is None:
            raise ValueError(f"{method.upper()} {path}: the view is not documented")
        if op.json_body is not None:
            request_models[op.json_body.__name__] = op.json_body
        paths.setdefault(path, {})[method] = _operation(view, method, op, arguments)
    for name, schema in _model_components(request_models.values(), "validation").items():
        spec.components.schema(name, schema)
    for name, schema in _model_components(RESPONSE_MODELS, "serialization").items():
        spec.components.schema(name, schema)
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(view: Callable[..., Any], method: str, op: Operation,
               arguments: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "operationId": view.__name__}
    if op.description:
        out["description"] = op.description
    parameters = [{"name": n, "in": "path", "required": True, "schema": PATH_PARAMETER,
                   "description": _PATH_WORDS.get(n, n)} for n in arguments]
    if op.query is not None:
        parameters += query_parameters(op.query)
    parameters += [dict(h) for h in op.headers]
    if parameters:
        out["parameters"] = parameters
    if roles_of(view) is None:
        out["security"] = []
    content: dict[str, Any] = {}
    if op.json_body is not None:
        content["application/json"] = {"schema": _ref(op.json_body.__name__)}
    for media, schema in (op.body or {}).items():
        content[media] = {"schema": schema} if schema else {}
    if content:
        out["requestBody"] = {"required": op.body_required, "content": content}
    responses: dict[str, Any] = {}
    for status, reply in sorted(op.replies.items()):
        responses[str(status)] = _reply(reply)
    for status in sorted(implied_errors(view, method, op) - set(op.replies)):
        responses[str(status)] = {"description": ERROR_TEXTS[status],
                                  "content": {"application/problem+json": {
                                      "schema": _ref("Problem")}}}
    out["responses"] = responses
    return out


def _reply(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {"description": reply.description}
    if reply.content:
        out["content"] = {media: ({"schema": _ref(schema) if isinstance(schema, str) else schema}
                                  if schema else {})
                          for media, schema in reply.content.items()}
    if reply.headers:
        out["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                          for name, text in reply.headers.items()}
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The query parameters of ``model``: one per field, its JSON schema without the
    ``null`` a missing value stands for."""
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")}
        description = prop.pop("description", "")
        branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
        if len(branches) == 1:
            prop = {**branches[0], **prop}
        elif branches:
            prop["anyOf"] = branches
        params.append({"name": name, "in": "query", "required": name in required,
                       "description": description, "schema": prop})
    return params


def _model_components(models: Iterable[type[BaseModel]], mode: str) -> dict[str, Any]:
    models = list(models)
    if not models:
        return {}
    _, top = models_json_schema([(m, mode) for m in models],  # type: ignore[misc]
                                ref_template="#/components/schemas/{model}")
    return dict(top.get("$defs", {}))


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The document of ``app``'s API; without an app, of a bare application carrying only
    the API blueprints (what every signsvc instance serves at /openapi.json)."""
    if app is None:
        from signsvc.web.api import register_api  # (signsvc.web.api imports this module)

        app = Flask("signsvc-openapi")
        register_api(app)
    return build_document(app)
