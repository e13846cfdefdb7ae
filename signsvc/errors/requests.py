"""Errors of the request itself: parameters, authentication, permission, addresses, methods,
bodies and formats.
"""

from __future__ import annotations

from signsvc.errors.base import SignsvcError


class BadRequest(SignsvcError):
    """A request parameter is not valid."""

    code = "bad-request"
    status = 400
    title = "Yêu cầu không hợp lệ / Bad request"
    vi = "Tham số yêu cầu không hợp lệ."
    en = "A request parameter is not valid."


class Unauthenticated(SignsvcError):
    """The bearer token is missing or not valid."""

    code = "unauthenticated"
    status = 401
    title = "Chưa xác thực / Unauthenticated"
    vi = "Thiếu hoặc sai mã truy cập (Bearer token)."
    en = "The bearer token is missing or not valid."


class Forbidden(SignsvcError):
    """This client is not allowed to perform this action."""

    code = "forbidden"
    status = 403
    title = "Không được phép / Forbidden"
    vi = "Máy khách không được phép thực hiện thao tác này."
    en = "This client is not allowed to perform this action."


class KeyNotPermitted(SignsvcError):
    """This client has not been granted this key."""

    code = "key-not-permitted"
    status = 403
    title = "Không được dùng khóa / Key not permitted"
    vi = "Máy khách không được cấp quyền dùng khóa này."
    en = "This client has not been granted this key."


class NotFound(SignsvcError):
    """The resource was not found."""

    code = "not-found"
    status = 404
    title = "Không tìm thấy / Not found"
    vi = "Không tìm thấy tài nguyên."
    en = "The resource was not found."


class UnknownKey(SignsvcError):
    """There is no signing key with this id."""

    code = "unknown-key"
    status = 404
    title = "Khóa không tồn tại / Unknown key"
    vi = "Không có khóa ký với mã này."
    en = "There is no signing key with this id."


class MethodNotAllowed(SignsvcError):
    """This HTTP method is not supported here."""

    code = "method-not-allowed"
    status = 405
    title = "Phương thức không được hỗ trợ / Method not allowed"
    vi = "Phương thức HTTP này không được hỗ trợ tại địa chỉ này."
    en = "This HTTP method is not supported here."


class DocumentTooLarge(SignsvcError):
    """The document exceeds the maximum allowed size."""

    code = "document-too-large"
    status = 413
    title = "Tài liệu quá lớn / Document too large"
    vi = "Tài liệu vượt quá kích thước tối đa cho phép."
    en = "The document exceeds the maximum allowed size."


class UnsupportedMediaType(SignsvcError):
    """The body must be a PDF (application/pdf, or multipart/form-data with a 'file' part)."""

    code = "unsupported-media-type"
    status = 415
    title = "Kiểu nội dung không được hỗ trợ / Unsupported media type"
    vi = ("Nội dung gửi lên phải là tệp PDF (application/pdf hoặc multipart/form-data với trường "
          "'file').")
    en = "The body must be a PDF (application/pdf, or multipart/form-data with a 'file' part)."


class NotAcceptable(SignsvcError):
    """The report is available only as application/json, text/html or application/pdf (Accept
    header)."""

    code = "not-acceptable"
    status = 406
    title = "Định dạng trả về không được hỗ trợ / Not acceptable"
    vi = "Báo cáo chỉ có ở dạng application/json, text/html hoặc application/pdf (tiêu đề Accept)."
    en = ("The report is available only as application/json, text/html or application/pdf (Accept "
          "header).")


class TooManyAttempts(SignsvcError):
    """Too many failed logins; please try again later."""

    code = "too-many-attempts"
    status = 429
    title = "Quá nhiều lần thử / Too many attempts"
    vi = "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau."
    en = "Too many failed logins; please try again later."
