"""/v1/images: signature images of officials and seal images of agencies (administrators).

``POST /v1/images?name=&kind=signature|seal&key=&diameter_mm=`` with the PNG as the body
(``Content-Type: image/png``) registers an image for one key (or ``key=official:CLIENT``
for an official who signs with their own token); ``GET /v1/images`` lists
them (no image bytes). Validation and audit are the image service's.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from signsvc.errors import BadRequest, Message, UnsupportedMediaType
from signsvc.permissions import Permission, may, roles_for
from signsvc.services.context import RequestContext
from signsvc.web.auth import client_required, services
from signsvc.web.openapi import PDF_BINARY, Reply, documented
from signsvc.web.schemas.common import parse_query
from signsvc.web.schemas.images import ImageQuery

api_images = Blueprint("api_images", __name__)
IMAGE_ADMINS = roles_for(Permission.MANAGE_IMAGES)


@api_images.post("/images")
@documented("Đăng ký ảnh chữ ký/con dấu / Register a signature or seal image (admin)",
            {201: Reply("name, kind, key, sha256, width, height, diameter_mm",
                        {"application/json": "Image"})},
            description="PNG, 8-bit with alpha and some transparency, within the [appearance] "
                        "limits; bound to one key (a seal only to an agency-seal key); never "
                        "replaced.",
            query=ImageQuery, body={"image/png": PDF_BINARY}, errors=(404, 422))
@client_required(*IMAGE_ADMINS)
def add_image(ctx: RequestContext) -> tuple[Response, int]:
    """Register the PNG body for one key; the image service judges and audits it."""
    svc = services()
    if request.mimetype != "image/png":
        raise UnsupportedMediaType(Message("Ảnh gửi lên phải là image/png.",
                                           "The body must be an image/png."))
    limit = svc.settings.appearance.image_max_bytes
    data = request.stream.read(limit + 1)     # one byte more: the service names the limit
    query = parse_query(ImageQuery, request.args)
    official = query.official
    if official is not None and not may(svc.clients.find(official).role, Permission.BE_ASSIGNED):
        raise BadRequest(Message("Tài khoản này không phải của người ký (official).",
                                 "This account is not an official's."), parameter="key")
    stored = svc.signing.images.add(ctx, query.name, query.kind, query.key, data,
                                    query.diameter_mm)
    return jsonify(stored.as_dict()), 201


@api_images.get("/images")
@documented("Các ảnh đã đăng ký / Registered images (admin, auditor)",
            {200: Reply("images (no image bytes)", {"application/json": "ImageList"})})
@client_required(*roles_for(Permission.LIST_IMAGES))
def list_images(ctx: RequestContext) -> Response:
    return jsonify({"images": [i.as_dict() for i in services().signing.images.list()]})
