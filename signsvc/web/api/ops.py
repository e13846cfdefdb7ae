"""Operational endpoints: liveness, readiness, metrics, OpenAPI document and its page."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from signsvc.errors import NotFound
from signsvc.web.auth import base_context, services
from signsvc.web.openapi import Reply, documented, openapi_document

#: templates live in signsvc/web/templates (shared with the pages)
WEB_ROOT = str(Path(__file__).resolve().parent.parent)
ops = Blueprint("ops", __name__, root_path=WEB_ROOT, template_folder="templates")
_CACHE = "signsvc.openapi"


def _document() -> dict[str, Any]:
    """This application's OpenAPI document, made once (at the first request for it)."""
    doc = current_app.extensions.get(_CACHE)
    if doc is None:
        doc = current_app.extensions[_CACHE] = openapi_document(current_app)
    return doc


@ops.get("/healthz")
@documented("Tiến trình đang chạy / Process is up",
            {200: Reply('{"status": "ok", "instance": "<[service] instance_id>", '
                        '"database": "sqlite" | "postgresql"}', {"application/json": "Health"})})
def healthz() -> Response:
    return jsonify(services().readiness.health())


@ops.get("/readyz")
@documented("Sẵn sàng phục vụ / Ready (database, keys, TSA, audit log and its chain head)",
            {200: Reply("ready: the checks per key and store", {"application/json": "Readiness"}),
             503: Reply("not ready, with the reason: checks per key and store; audit_chain names "
                        "the first broken record when the audit chain is broken",
                        {"application/json": "Readiness"})})
def readyz() -> tuple[Response, int]:
    readiness = services().readiness.check()
    return jsonify(readiness.as_dict()), 200 if readiness.ready else 503


@ops.get("/metrics")
@documented("Số liệu vận hành (Prometheus) / Metrics (Prometheus text format)",
            {200: Reply("Prometheus text exposition format 0.0.4 (metric names start with "
                        "signsvc_): every worker of this instance",
                        {"text/plain": {"type": "string"}})},
            description="Who may read it ([metrics] in the configuration): a client on this "
                        "machine (loopback address) when loopback = true, and API clients "
                        "whose role is in roles (default admin) with their bearer token. "
                        "404 when enabled = false.",
            errors=(401, 403, 404))
def metrics() -> Response:
    _may_read_metrics()
    body, content_type = services().metrics.exposition()
    return Response(body, content_type=content_type)


def _may_read_metrics() -> None:
    """Return when the caller may read /metrics; ``NotFound`` when metrics are off,
    ``Unauthenticated``/``Forbidden`` (audited) otherwise."""
    svc = services()
    cfg = svc.settings.metrics
    if not cfg.enabled:
        raise NotFound()
    if cfg.loopback and _loopback(request.remote_addr):
        return
    ctx = base_context()
    client = svc.clients.authenticate(request.headers.get("Authorization"), ctx)
    svc.clients.require_role(ctx.with_client(client.name, client.role, client.keys),
                             tuple(cfg.roles), request.endpoint or "")


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@ops.get("/openapi.json")
@documented("Tài liệu này / This document",
            {200: Reply("OpenAPI 3.1", {"application/json": None})})
def openapi_json() -> Response:
    return jsonify(_document())


@ops.get("/docs")
@documented("Trang mô tả API / Human-readable API page",
            {200: Reply("HTML", {"text/html": {"type": "string"}})})
def docs() -> str:
    return render_template("docs.html", doc=_document())
