"""Operational endpoints: liveness, readiness, OpenAPI document and its page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template

from signsvc.web.auth import services
from signsvc.web.openapi import openapi_document

#: templates live in signsvc/web/templates (shared with the pages)
WEB_ROOT = str(Path(__file__).resolve().parent.parent)
ops = Blueprint("ops", __name__, root_path=WEB_ROOT, template_folder="templates")
_DOC = openapi_document()


@ops.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@ops.get("/readyz")
def readyz() -> tuple[Response, int]:
    readiness = services().readiness.check()
    return jsonify(readiness.as_dict()), 200 if readiness.ready else 503


@ops.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(_DOC)


@ops.get("/docs")
def docs() -> str:
    return render_template("docs.html", doc=_DOC)
