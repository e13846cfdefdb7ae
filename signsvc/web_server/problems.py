"""problem+json answers written by the server itself, before or outside the application
(RFC 9457, Vietnamese and English, with an ``X-Request-Id``), for ``web_server.worker``."""

from __future__ import annotations

import json
import uuid

from signsvc.errors import Message, SignsvcError, problem_from


def problem_bytes(status: int, code: str, title: str, message: Message, *,
                  request_id: str | None = None, reason: str = "") -> bytes:
    """A complete HTTP/1.1 problem+json answer that closes the connection."""
    request_id = request_id or uuid.uuid4().hex
    err = SignsvcError(message)
    err.code, err.status, err.title = code, status, title  # type: ignore[misc]
    body = json.dumps(problem_from(err, request_id).as_dict(), ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {reason or _REASONS.get(status, 'Error')}\r\n"
            "Content-Type: application/problem+json\r\n"
            "Content-Language: vi, en\r\n"
            f"X-Request-Id: {request_id}\r\n"
            "Cache-Control: no-store\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "Connection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


_REASONS = {400: "Bad Request", 403: "Forbidden", 408: "Request Timeout",
            413: "Content Too Large", 414: "URI Too Long", 417: "Expectation Failed",
            431: "Request Header Fields Too Large", 500: "Internal Server Error",
            501: "Not Implemented", 503: "Service Unavailable"}

#: (code, title, Vietnamese, English) of each status gunicorn or this worker answers itself
_PROBLEMS: dict[int, tuple[str, str, str, str]] = {
    400: ("bad-request", "Yêu cầu không hợp lệ / Bad request",
          "Yêu cầu HTTP không hợp lệ (dòng yêu cầu hoặc tiêu đề sai cú pháp).",
          "The HTTP request is malformed (request line or header)."),
    403: ("forbidden", "Không được phép / Forbidden",
          "Yêu cầu bị từ chối.", "The request is refused."),
    408: ("request-timeout", "Gửi yêu cầu quá chậm / Request timeout",
          "Máy khách không gửi xong yêu cầu trong thời gian cho phép; kết nối bị đóng.",
          "The client did not send the whole request in the allowed time; the connection "
          "is closed."),
    414: ("uri-too-long", "Dòng yêu cầu quá dài / URI too long",
          "Dòng yêu cầu (đường dẫn và tham số) dài quá {limit} byte.",
          "The request line (path and query) is longer than {limit} bytes."),
    417: ("expectation-failed", "Không đáp ứng được Expect / Expectation failed",
          "Tiêu đề Expect không được hỗ trợ.", "The Expect header is not supported."),
    431: ("headers-too-large", "Tiêu đề quá lớn / Request header fields too large",
          "Phần tiêu đề của yêu cầu quá lớn.", "The request's header section is too large."),
    503: ("server-busy", "Máy chủ đang bận / Server busy",
          "Máy chủ đang nhận quá nhiều dữ liệu cùng lúc; vui lòng thử lại sau.",
          "The server is receiving too much data at once; please retry later."),
    500: ("internal-error", "Lỗi nội bộ / Internal error",
          "Đã xảy ra lỗi nội bộ; yêu cầu không được thực hiện.",
          "An internal error occurred; the request was not carried out."),
    501: ("not-implemented", "Không hỗ trợ / Not implemented",
          "Kiểu mã hóa truyền (Transfer-Encoding) không được hỗ trợ.",
          "The transfer coding is not supported."),
}


#: answers that share a status with another one above
_VARIANTS: dict[str, tuple[str, str, str, str]] = {
    "stopping": ("service-restarting", "Dịch vụ đang khởi động lại / Service restarting",
                 "Dịch vụ đang dừng hoặc khởi động lại; vui lòng gửi lại yêu cầu.",
                 "The service is stopping or restarting; please send the request again."),
}


def problem_for_status(status: int, *, limit: int = 0, request_id: str | None = None,
                       variant: str | None = None) -> bytes:
    """The complete answer for ``status`` (``variant``: one of ``_VARIANTS``)."""
    code, title, vi, en = _VARIANTS[variant] if variant else _PROBLEMS.get(status, _PROBLEMS[400])
    return problem_bytes(status, code, title,
                         Message(vi.format(limit=limit), en.format(limit=limit)),
                         request_id=request_id)


class Capture:
    """Stands in for a client socket to learn which status gunicorn chose for an error."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data

    send = sendall
