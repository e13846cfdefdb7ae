"""Errors of visible signatures: a placement or appearance that cannot be honoured is 422."""

from __future__ import annotations

from signsvc.errors import Message, SignsvcError


class AppearanceError(SignsvcError):
    """The requested visible signature cannot be drawn; nothing was signed."""

    code = "appearance-invalid"
    status = 422
    title = "Không đặt được chữ ký hiển thị / Visible signature not possible"
    default_message = Message("Không thể đặt chữ ký hiển thị như yêu cầu; tài liệu chưa được ký.",
                              "The visible signature cannot be placed as requested; "
                              "nothing was signed.")


class ImageInvalid(SignsvcError):
    """A signature or seal image was refused (VS-1, VS-3)."""

    code = "image-invalid"
    status = 422
    title = "Ảnh không hợp lệ / Invalid image"
    default_message = Message("Ảnh chữ ký/con dấu không hợp lệ.",
                              "The signature or seal image is not valid.")


def placement_error(vi: str, en: str, **extra) -> AppearanceError:
    return AppearanceError(Message(vi + " Tài liệu chưa được ký.", en + " Nothing was signed."),
                           **extra)
