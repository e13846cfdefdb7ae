"""The one error hierarchy of signsvc.

Every error a client may see is a ``SignsvcError`` leaf with a stable ``code`` (the
problem+json slug), an HTTP ``status`` and a client-safe ``detail`` in Vietnamese and
English. Constructors do no I/O and no logging. Library exceptions are translated into
these at the boundary (adapters, signing, validation); ``web`` maps them to RFC 9457.

This module imports nothing of signsvc.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


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

    ``extra`` holds client-safe facts (never a PIN, module path, key label or trace).
    """

    code: str = "internal-error"
    status: int = 500
    title: str = "Lỗi nội bộ / Internal error"
    default_message: Message = Message(
        "Đã xảy ra lỗi nội bộ; yêu cầu không được thực hiện.",
        "An internal error occurred; the request was not carried out.",
    )

    def __init__(self, message: Message | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra: Mapping[str, Any] = extra
        super().__init__(self.message.en)

    @property
    def detail(self) -> str:
        return self.message.joined()


def _leaf(name: str, code: str, status: int, title: str, vi: str, en: str) -> type[SignsvcError]:
    return type(
        name,
        (SignsvcError,),
        {"code": code, "status": status, "title": title, "default_message": Message(vi, en),
         "__doc__": en},
    )


class ConfigError(SignsvcError):
    """The configuration is wrong; raised at start-up, names the section and the problem."""

    code = "config-error"
    status = 500
    title = "Cấu hình sai / Configuration error"


BadRequest = _leaf("BadRequest", "bad-request", 400, "Yêu cầu không hợp lệ / Bad request",
                   "Tham số yêu cầu không hợp lệ.", "A request parameter is not valid.")
Unauthenticated = _leaf("Unauthenticated", "unauthenticated", 401,
                        "Chưa xác thực / Unauthenticated",
                        "Thiếu hoặc sai mã truy cập (Bearer token).",
                        "The bearer token is missing or not valid.")
Forbidden = _leaf("Forbidden", "forbidden", 403, "Không được phép / Forbidden",
                  "Máy khách không được phép thực hiện thao tác này.",
                  "This client is not allowed to perform this action.")
KeyNotPermitted = _leaf("KeyNotPermitted", "key-not-permitted", 403,
                        "Không được dùng khóa / Key not permitted",
                        "Máy khách không được cấp quyền dùng khóa này.",
                        "This client has not been granted this key.")
NotFound = _leaf("NotFound", "not-found", 404, "Không tìm thấy / Not found",
                 "Không tìm thấy tài nguyên.", "The resource was not found.")
UnknownKey = _leaf("UnknownKey", "unknown-key", 404, "Khóa không tồn tại / Unknown key",
                   "Không có khóa ký với mã này.", "There is no signing key with this id.")
MethodNotAllowed = _leaf("MethodNotAllowed", "method-not-allowed", 405,
                         "Phương thức không được hỗ trợ / Method not allowed",
                         "Phương thức HTTP này không được hỗ trợ tại địa chỉ này.",
                         "This HTTP method is not supported here.")
DocumentTooLarge = _leaf("DocumentTooLarge", "document-too-large", 413,
                         "Tài liệu quá lớn / Document too large",
                         "Tài liệu vượt quá kích thước tối đa cho phép.",
                         "The document exceeds the maximum allowed size.")
UnsupportedMediaType = _leaf("UnsupportedMediaType", "unsupported-media-type", 415,
                             "Kiểu nội dung không được hỗ trợ / Unsupported media type",
                             "Nội dung gửi lên phải là tệp PDF (application/pdf hoặc "
                             "multipart/form-data với trường 'file').",
                             "The body must be a PDF (application/pdf, or multipart/form-data "
                             "with a 'file' part).")
NotAPdf = _leaf("NotAPdf", "not-a-pdf", 422, "Không phải PDF / Not a PDF",
                "Nội dung gửi lên không phải là tệp PDF.", "The uploaded content is not a PDF file.")
MalformedPdf = _leaf("MalformedPdf", "malformed-pdf", 422, "PDF hỏng / Malformed PDF",
                     "Tệp PDF bị hỏng hoặc bị cắt cụt, không đọc được.",
                     "The PDF is damaged or truncated and cannot be read.")
EncryptedPdf = _leaf("EncryptedPdf", "encrypted-pdf", 422, "PDF đã mã hóa / Encrypted PDF",
                     "Tệp PDF đã được mã hóa; dịch vụ không ký tệp PDF mã hóa.",
                     "The PDF is encrypted; the service does not sign encrypted PDFs.")
SigningFailed = _leaf("SigningFailed", "signing-failed", 500, "Ký thất bại / Signing failed",
                      "Không tạo được chữ ký; không có tệp nào được trả về.",
                      "The signature could not be produced; no file was returned.")
TokenUnavailable = _leaf("TokenUnavailable", "token-unavailable", 503,
                         "Thiết bị ký không sẵn sàng / Token unavailable",
                         "Thiết bị lưu khóa (HSM/token) hiện không truy cập được; vui lòng thử lại sau.",
                         "The key's token (HSM) cannot be reached right now; please retry later.")
AuditUnavailable = _leaf("AuditUnavailable", "audit-unavailable", 503,
                         "Nhật ký kiểm toán không sẵn sàng / Audit log unavailable",
                         "Không ghi được nhật ký kiểm toán; thao tác bị từ chối và không có "
                         "tài liệu nào được trả về.",
                         "The audit log cannot be written; the operation was refused and no "
                         "document was returned.")
CheckpointUnavailable = _leaf("CheckpointUnavailable", "checkpoint-unavailable", 503,
                              "Không tạo được điểm kiểm soát / Checkpoint unavailable",
                              "Không ký hoặc không lấy được dấu thời gian cho điểm kiểm soát "
                              "nhật ký kiểm toán; vui lòng thử lại sau.",
                              "The audit checkpoint could not be signed or time-stamped; "
                              "please retry later.")
TimestampUnavailable = _leaf("TimestampUnavailable", "timestamp-unavailable", 503,
                             "Không lấy được dấu thời gian / Timestamp unavailable",
                             "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA).",
                             "No timestamp could be obtained from the timestamping authority.")
PolicyDenied = _leaf("PolicyDenied", "policy-denied", 403, "Chính sách từ chối / Policy denied",
                     "Chính sách an toàn thông tin không cho phép thao tác này.",
                     "The information-security policy does not allow this operation.")
SealBeforeOfficial = _leaf("SealBeforeOfficial", "seal-before-official", 409,
                           "Chưa có chữ ký của người có thẩm quyền / Seal before official",
                           "Chữ ký của cơ quan chỉ được thực hiện sau chữ ký hợp lệ của người có "
                           "thẩm quyền.",
                           "The agency signature may only follow a valid signature by the "
                           "competent official.")
AttachmentModeConflict = _leaf("AttachmentModeConflict", "attachment-mode", 422,
                               "Chữ ký phụ lục không phù hợp / Attachment signature not applicable",
                               "Phụ lục không được ký riêng theo cách này (Nghị định 30/2020, "
                               "Phụ lục I).",
                               "The attachment cannot be signed this way (Decree 30/2020, App. I).")
RevocationUnavailable = _leaf("RevocationUnavailable", "revocation-unavailable", 503,
                              "Không kiểm tra được trạng thái chứng thư / Revocation unavailable",
                              "Không lấy được thông tin thu hồi (OCSP/CRL) để nhúng vào tài liệu; "
                              "không có tài liệu nào được trả về, vui lòng thử lại sau.",
                              "No revocation information (OCSP/CRL) could be obtained to embed in "
                              "the document; no document was returned, please retry later.")
SigningTimeout = _leaf("SigningTimeout", "signing-timeout", 503,
                      "Ký quá thời gian cho phép / Signing timed out",
                      "Không ký xong trong thời gian cho phép (một dịch vụ bên ngoài như OCSP, "
                      "CRL hoặc TSA trả lời quá chậm); không có tài liệu nào được trả về, vui lòng "
                      "thử lại sau.",
                      "Signing did not finish within the allowed time (an outside service such as "
                      "OCSP, CRL or a TSA answered too slowly); no document was returned, please "
                      "retry later.")
NotSigned = _leaf("NotSigned", "not-signed", 422, "Tài liệu chưa ký / Not signed",
                  "Tài liệu chưa có chữ ký số nào để nâng cấp.",
                  "The document has no signature to extend.")
SignatureNotExtendable = _leaf("SignatureNotExtendable", "signature-not-extendable", 422,
                               "Không nâng cấp được chữ ký / Signature not extendable",
                               "Chữ ký trong tài liệu không hợp lệ, không được tin cậy, đã hết hạn "
                               "hoặc chứng thư đã bị thu hồi; không thể nâng cấp.",
                               "A signature in the document is not valid, not trusted, expired or "
                               "its certificate was revoked; it cannot be extended.")
SessionNotFound = _leaf("SessionNotFound", "session-not-found", 404,
                        "Không tìm thấy phiên ký / Signing session not found",
                        "Không tìm thấy phiên ký này.", "There is no such signing session.")
SessionExpired = _leaf("SessionExpired", "session-expired", 410, "Phiên ký đã hết hạn / Session expired",
                       "Phiên ký đã hết hạn; vui lòng bắt đầu ký lại.",
                       "The signing session has expired; please start again.")
SessionUsed = _leaf("SessionUsed", "session-used", 409, "Phiên ký đã dùng / Session already used",
                    "Phiên ký này đã được dùng hoặc đã bị hủy.",
                    "This signing session was already used or cancelled.")
StaleRevision = _leaf("StaleRevision", "stale-revision", 409,
                      "Tài liệu đã thay đổi / Document changed meanwhile",
                      "Tài liệu đã được ký hoặc thay đổi trong lúc bạn ký; vui lòng mở lại tài liệu.",
                      "The document was signed or changed meanwhile; please open it again.")
PreparedDocumentChanged = _leaf("PreparedDocumentChanged", "prepared-document-changed", 409,
                                "Tài liệu đã chuẩn bị bị thay đổi / Prepared document changed",
                                "Tài liệu đã chuẩn bị để ký không còn nguyên vẹn; không ký.",
                                "The document prepared for signing is no longer intact; not signed.")
CertificateNotRegistered = _leaf("CertificateNotRegistered", "certificate-not-registered", 403,
                                 "Chứng thư chưa đăng ký / Certificate not registered",
                                 "Chứng thư số này chưa được đăng ký cho tài khoản của bạn.",
                                 "This certificate is not registered to your account.")
CertificateMismatch = _leaf("CertificateMismatch", "certificate-mismatch", 409,
                            "Chứng thư khác / Different certificate",
                            "Chứng thư số khác với chứng thư đã dùng khi bắt đầu phiên ký.",
                            "The certificate differs from the one the session was started with.")
SignatureInvalid = _leaf("SignatureInvalid", "signature-invalid", 400,
                         "Chữ ký không hợp lệ / Invalid signature",
                         "Chữ ký số không hợp lệ với chứng thư số và nội dung đã chuẩn bị.",
                         "The signature does not verify under the certificate over the prepared content.")
TooManyAttempts = _leaf("TooManyAttempts", "too-many-attempts", 429,
                        "Quá nhiều lần thử / Too many attempts",
                        "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.",
                        "Too many failed logins; please try again later.")
NotReady = _leaf("NotReady", "not-ready", 503, "Dịch vụ chưa sẵn sàng / Not ready",
                 "Dịch vụ chưa sẵn sàng.", "The service is not ready.")
NotAcceptable = _leaf("NotAcceptable", "not-acceptable", 406,
                      "Định dạng trả về không được hỗ trợ / Not acceptable",
                      "Báo cáo chỉ có ở dạng application/json, text/html hoặc application/pdf "
                      "(tiêu đề Accept).",
                      "The report is available only as application/json, text/html or "
                      "application/pdf (Accept header).")
ReportUnavailable = _leaf("ReportUnavailable", "report-unavailable", 503,
                          "Không lập được báo cáo PDF / PDF report unavailable",
                          "Không lập được báo cáo PDF có ký số; vui lòng thử lại sau.",
                          "The signed PDF report could not be produced; please retry later.")
ReportNotFound = _leaf("ReportNotFound", "report-not-found", 404,
                       "Không tìm thấy báo cáo / Report not found",
                       "Không tìm thấy báo cáo này hoặc báo cáo đã hết hạn; hãy kiểm tra lại tài liệu.",
                       "This report does not exist or has expired; verify the document again.")


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
