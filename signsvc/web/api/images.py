"""/v1/images: signature images of officials and seal images of agencies (administrators).

``POST /v1/images?name=&kind=signature|seal&key=&diameter_mm=`` with the PNG as the body
(``Content-Type: image/png``) registers an image for one key (or ``key=official:CLIENT``
for an official who signs with their own token); ``GET /v1/images`` lists
them (no image bytes). Validation and audit are the image service's.
"""

from __future__ import annotations

import math

from flask import Blueprint, jsonify, request

from signsvc.errors import BadRequest, Message, UnsupportedMediaType
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services

api_images = Blueprint("api_images", __name__)
IMAGE_ADMINS = ("admin",)


@api_images.post("/images")
@client_required(*IMAGE_ADMINS)
def add_image(ctx: RequestContext):
    svc = services()
    if request.mimetype != "image/png":
        raise UnsupportedMediaType(Message("Ảnh gửi lên phải là image/png.",
                                           "The body must be an image/png."))
    limit = svc.settings.appearance.image_max_bytes
    data = request.stream.read(limit + 1)     # one byte more: the service names the limit
    diameter = None
    raw = request.args.get("diameter_mm")
    if raw:
        try:
            diameter = float(raw)
        except ValueError:
            diameter = math.nan
        if not math.isfinite(diameter):
            raise BadRequest(Message("'diameter_mm' phải là một số (mm).",
                                     "'diameter_mm' must be a number (mm)."), parameter="diameter_mm")
    key = request.args.get("key", "")
    if key.startswith("official:") and svc.clients.find(key[len("official:"):]).role != "official":
        raise BadRequest(Message("Tài khoản này không phải của người ký (official).",
                                 "This account is not an official's."), parameter="key")
    stored = svc.signing.images.add(ctx, request.args.get("name", ""),
                                    request.args.get("kind", ""), key, data, diameter)
    return jsonify(stored.as_dict()), 201


@api_images.get("/images")
@client_required(*IMAGE_ADMINS, "auditor")
def list_images(ctx: RequestContext):
    return jsonify({"images": [i.as_dict() for i in services().signing.images.list()]})
