"""Request metrics: every answered request is counted and timed by endpoint, method and
status (``services.metrics``). The endpoint label is the route's URL rule
(``/v1/documents/<doc_id>``), never the raw path; a request no route matched is
``unmatched``; an unusual method is ``other``. Nothing of the request's content, query
string or headers becomes a label."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from signsvc.web.auth import services

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
UNMATCHED = "unmatched"


def install(app: Flask) -> None:
    """Time each request from the first hook to its response (``after_request``)."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_start = time.perf_counter()

    @app.after_request
    def _observe(resp: Response) -> Response:
        start = g.get("metrics_start")
        if start is not None:
            rule = request.url_rule
            services().metrics.observe_request(
                rule.rule if rule is not None else UNMATCHED,
                request.method if request.method in METHODS else "other",
                resp.status_code, time.perf_counter() - start)
        return resp
