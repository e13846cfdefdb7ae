"""Operational endpoints: liveness, readiness, OpenAPI document and its page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template

from signsvc.web.auth import services
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
            {200: Reply('{"status": "ok"}', {"application/json": "Health"})})
def healthz() -> Response:
    return jsonify({"status": "ok"})


@ops.get("/readyz")
@documented("Sẵn sàng phục vụ / Ready (keys, audit log, policy)",
            {200: Reply("ready: the checks per key and store", {"application/json": "Readiness"}),
             503: Reply("not ready, with the reason: checks per key and store; audit_chain names "
                        "the first broken record when the audit chain is broken",
                        {"application/json": "Readiness"})})
def readyz() -> tuple[Response, int]:
    readiness = services().readiness.check()
    return jsonify(readiness.as_dict()), 200 if readiness.ready else 503


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
