"""The root of the hierarchy, its message and problem types, and the errors of the service
itself (configuration, readiness, the unexpected).

This module imports nothing of signsvc.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Message:
    """A text shown to people: Vietnamese first, English second."""

    vi: str
    en: str

    def joined(self) -> str:
        """Both languages in one line, Vietnamese first."""
        return f"{self.vi} / {self.en}"


class SignsvcError(Exception):
    """Root of every signsvc error.

    A leaf is a subclass naming its ``code`` (the problem+json slug), HTTP ``status``,
    ``title`` and its default detail in Vietnamese (``vi``) and English (``en``); from those
    two, ``default_message`` is set when the class is created. ``extra`` holds client-safe
    facts (never a PIN, module path, key label or trace).
    """

    code: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Lỗi nội bộ / Internal error"
    vi: ClassVar[str] = "Đã xảy ra lỗi nội bộ; yêu cầu không được thực hiện."
    en: ClassVar[str] = "An internal error occurred; the request was not carried out."
    default_message: ClassVar[Message] = Message(vi, en)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass that states ``vi`` or ``en`` gets them as its ``default_message``; one
        that states ``default_message`` keeps it (and ``vi``/``en`` follow it)."""
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        if "default_message" in own:
            cls.vi, cls.en = cls.default_message.vi, cls.default_message.en
        elif "vi" in own or "en" in own:
            cls.default_message = Message(cls.vi, cls.en)

    def __init__(self, message: Message | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra: Mapping[str, Any] = extra
        super().__init__(self.message.en)

    @property
    def detail(self) -> str:
        return self.message.joined()


class ConfigError(SignsvcError):
    """The configuration is wrong; raised at start-up, names the section and the problem."""

    code = "config-error"
    status = 500
    title = "Cấu hình sai / Configuration error"


class NotReady(SignsvcError):
    """The service is not ready."""

    code = "not-ready"
    status = 503
    title = "Dịch vụ chưa sẵn sàng / Not ready"
    vi = "Dịch vụ chưa sẵn sàng."
    en = "The service is not ready."


class UnexpectedError(SignsvcError):
    """An exception that no boundary translated. Raised by a service after it audited the
    request with ``outcome=error``; the answer is 500 problem+json naming the request id
    (``request_id``) and nothing of the exception itself."""

    code = "internal-error"
    status = 500
    title = "Lỗi nội bộ / Internal error"
    default_message = Message(
        "Đã xảy ra lỗi nội bộ; yêu cầu không được thực hiện và đã được ghi nhật ký kiểm toán. "
        "Hãy báo mã yêu cầu (request_id) cho quản trị viên.",
        "An internal error occurred; the request was not carried out and was audited. Give the "
        "request id (request_id) to the administrator.")


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem description, ready to serialise."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type, "title": self.title, "status": self.status,
            "detail": self.detail, "code": self.code, "instance": self.instance,
        }
        body.update(self.extra)
        return body


def problem_from(error: SignsvcError, instance: str | None) -> Problem:
    """Map an error to a problem; only client-safe facts are carried."""
    return Problem(
        type=f"urn:signsvc:problem:{error.code}",
        title=error.title,
        status=error.status,
        detail=error.detail,
        code=error.code,
        instance=instance,
        extra={"detail_vi": error.message.vi, "detail_en": error.message.en, **error.extra},
    )
