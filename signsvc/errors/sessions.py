"""Errors of browser signing sessions (prepare, then complete with the official's own
certificate and signature).
"""

from __future__ import annotations

from signsvc.errors.base import SignsvcError


class SessionNotFound(SignsvcError):
    """There is no such signing session."""

    code = "session-not-found"
    status = 404
    title = "Không tìm thấy phiên ký / Signing session not found"
    vi = "Không tìm thấy phiên ký này."
    en = "There is no such signing session."


class SessionExpired(SignsvcError):
    """The signing session has expired; please start again."""

    code = "session-expired"
    status = 410
    title = "Phiên ký đã hết hạn / Session expired"
    vi = "Phiên ký đã hết hạn; vui lòng bắt đầu ký lại."
    en = "The signing session has expired; please start again."


class SessionUsed(SignsvcError):
    """This signing session was already used or cancelled."""

    code = "session-used"
    status = 409
    title = "Phiên ký đã dùng / Session already used"
    vi = "Phiên ký này đã được dùng hoặc đã bị hủy."
    en = "This signing session was already used or cancelled."


class StaleRevision(SignsvcError):
    """The document was signed or changed meanwhile; please open it again."""

    code = "stale-revision"
    status = 409
    title = "Tài liệu đã thay đổi / Document changed meanwhile"
    vi = "Tài liệu đã được ký hoặc thay đổi trong lúc bạn ký; vui lòng mở lại tài liệu."
    en = "The document was signed or changed meanwhile; please open it again."


class PreparedDocumentChanged(SignsvcError):
    """The document prepared for signing is no longer intact; not signed."""

    code = "prepared-document-changed"
    status = 409
    title = "Tài liệu đã chuẩn bị bị thay đổi / Prepared document changed"
    vi = "Tài liệu đã chuẩn bị để ký không còn nguyên vẹn; không ký."
    en = "The document prepared for signing is no longer intact; not signed."


class CertificateNotRegistered(SignsvcError):
    """This certificate is not registered to your account."""

    code = "certificate-not-registered"
    status = 403
    title = "Chứng thư chưa đăng ký / Certificate not registered"
    vi = "Chứng thư số này chưa được đăng ký cho tài khoản của bạn."
    en = "This certificate is not registered to your account."


class CertificateMismatch(SignsvcError):
    """The certificate differs from the one the session was started with."""

    code = "certificate-mismatch"
    status = 409
    title = "Chứng thư khác / Different certificate"
    vi = "Chứng thư số khác với chứng thư đã dùng khi bắt đầu phiên ký."
    en = "The certificate differs from the one the session was started with."


class SignatureInvalid(SignsvcError):
    """The signature does not verify under the certificate over the prepared content."""

    code = "signature-invalid"
    status = 400
    title = "Chữ ký không hợp lệ / Invalid signature"
    vi = "Chữ ký số không hợp lệ với chứng thư số và nội dung đã chuẩn bị."
    en = "The signature does not verify under the certificate over the prepared content."
