"""Operational endpoints: liveness, readiness, OpenAPI document and its page."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from signsvc.web.auth import services
from signsvc.web.openapi import openapi_document

ops = Blueprint("ops", __name__, template_folder="templates")
_DOC = openapi_document()


@ops.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@ops.get("/readyz")
def readyz():
    readiness = services().readiness.check()
    return jsonify(readiness.as_dict()), 200 if readiness.ready else 503


@ops.get("/openapi.json")
def openapi_json():
    return jsonify(_DOC)


@ops.get("/docs")
def docs():
    return render_template("docs.html", doc=_DOC)
