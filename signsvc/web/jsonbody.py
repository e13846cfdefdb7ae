"""Reading a JSON request body without trusting it: bounded, and never a crash.

:func:`json_object` reads at most ``max_bytes`` of the body whether or not a Content-Length
was sent (a chunked body is cut at the bound, not read to its end), and answers 400
``bad-request`` for a body that is larger, not ``application/json``, not UTF-8, not JSON,
nested too deeply for the parser (30 000 ``[``: a ``RecursionError`` caught here) or not an
object. It never raises anything else.
"""

from __future__ import annotations

import json

from flask import Request

from signsvc.errors import BadRequest, Message

MAX_JSON = 64 * 1024


def json_object(request: Request, max_bytes: int = MAX_JSON, *,
                required: Message | None = None, parameter: str | None = None) -> dict:
    """The body's JSON object (see the module docstring); ``required`` is the message of
    the 400 for a missing or wrong body (a generic one when None), naming ``parameter``."""
    too_large = BadRequest(Message("Thân JSON quá lớn.", "The JSON body is too large."))
    wrong = BadRequest(required or Message("Cần thân JSON (application/json) là một đối tượng.",
                                           "A JSON body (application/json) holding an object is "
                                           "required."), **({"parameter": parameter} if parameter else {}))
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    if not request.is_json:
        raise wrong
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise too_large
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        body = None
    if not isinstance(body, dict):
        raise wrong
    return body
