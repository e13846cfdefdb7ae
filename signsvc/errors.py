"""The one error hierarchy of signsvc.

Every error a client may see is a ``SignsvcError`` leaf with a stable ``code`` (the
problem+json slug), an HTTP ``status`` and a client-safe ``detail`` in Vietnamese and
English. Constructors do no I/O and no logging. Library exceptions are translated into
these at the boundary (adapters, signing, validation); ``web`` maps them to RFC 9457.

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


class NotAPdf(SignsvcError):
    """The uploaded content is not a PDF file."""

    code = "not-a-pdf"
    status = 422
    title = "Không phải PDF / Not a PDF"
    vi = "Nội dung gửi lên không phải là tệp PDF."
    en = "The uploaded content is not a PDF file."


class MalformedPdf(SignsvcError):
    """The PDF is damaged or truncated and cannot be read."""

    code = "malformed-pdf"
    status = 422
    title = "PDF hỏng / Malformed PDF"
    vi = "Tệp PDF bị hỏng hoặc bị cắt cụt, không đọc được."
    en = "The PDF is damaged or truncated and cannot be read."


class EncryptedPdf(SignsvcError):
    """The PDF is encrypted; the service does not sign encrypted PDFs."""

    code = "encrypted-pdf"
    status = 422
    title = "PDF đã mã hóa / Encrypted PDF"
    vi = "Tệp PDF đã được mã hóa; dịch vụ không ký tệp PDF mã hóa."
    en = "The PDF is encrypted; the service does not sign encrypted PDFs."


class SigningFailed(SignsvcError):
    """The signature could not be produced; no file was returned."""

    code = "signing-failed"
    status = 500
    title = "Ký thất bại / Signing failed"
    vi = "Không tạo được chữ ký; không có tệp nào được trả về."
    en = "The signature could not be produced; no file was returned."


class TokenUnavailable(SignsvcError):
    """The key's token (HSM) cannot be reached right now; please retry later."""

    code = "token-unavailable"
    status = 503
    title = "Thiết bị ký không sẵn sàng / Token unavailable"
    vi = "Thiết bị lưu khóa (HSM/token) hiện không truy cập được; vui lòng thử lại sau."
    en = "The key's token (HSM) cannot be reached right now; please retry later."


class AuditUnavailable(SignsvcError):
    """The audit log cannot be written; the operation was refused and no document was returned."""

    code = "audit-unavailable"
    status = 503
    title = "Nhật ký kiểm toán không sẵn sàng / Audit log unavailable"
    vi = ("Không ghi được nhật ký kiểm toán; thao tác bị từ chối và không có tài liệu nào được trả "
          "về.")
    en = "The audit log cannot be written; the operation was refused and no document was returned."


class CheckpointUnavailable(SignsvcError):
    """The audit checkpoint could not be signed or time-stamped; please retry later."""

    code = "checkpoint-unavailable"
    status = 503
    title = "Không tạo được điểm kiểm soát / Checkpoint unavailable"
    vi = ("Không ký hoặc không lấy được dấu thời gian cho điểm kiểm soát nhật ký kiểm toán; vui "
          "lòng thử lại sau.")
    en = "The audit checkpoint could not be signed or time-stamped; please retry later."


class TimestampUnavailable(SignsvcError):
    """No timestamp could be obtained from the timestamping authority."""

    code = "timestamp-unavailable"
    status = 503
    title = "Không lấy được dấu thời gian / Timestamp unavailable"
    vi = "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA)."
    en = "No timestamp could be obtained from the timestamping authority."


class PolicyDenied(SignsvcError):
    """The information-security policy does not allow this operation."""

    code = "policy-denied"
    status = 403
    title = "Chính sách từ chối / Policy denied"
    vi = "Chính sách an toàn thông tin không cho phép thao tác này."
    en = "The information-security policy does not allow this operation."


class SealBeforeOfficial(SignsvcError):
    """The agency signature may only follow a valid signature by the competent official."""

    code = "seal-before-official"
    status = 409
    title = "Chưa có chữ ký của người có thẩm quyền / Seal before official"
    vi = "Chữ ký của cơ quan chỉ được thực hiện sau chữ ký hợp lệ của người có thẩm quyền."
    en = "The agency signature may only follow a valid signature by the competent official."


class AttachmentModeConflict(SignsvcError):
    """The attachment cannot be signed this way (Decree 30/2020, App. I)."""

    code = "attachment-mode"
    status = 422
    title = "Chữ ký phụ lục không phù hợp / Attachment signature not applicable"
    vi = "Phụ lục không được ký riêng theo cách này (Nghị định 30/2020, Phụ lục I)."
    en = "The attachment cannot be signed this way (Decree 30/2020, App. I)."


class RevocationUnavailable(SignsvcError):
    """No revocation information (OCSP/CRL) could be obtained to embed in the document; no document
    was returned, please retry later."""

    code = "revocation-unavailable"
    status = 503
    title = "Không kiểm tra được trạng thái chứng thư / Revocation unavailable"
    vi = ("Không lấy được thông tin thu hồi (OCSP/CRL) để nhúng vào tài liệu; không có tài liệu nào"
          " được trả về, vui lòng thử lại sau.")
    en = ("No revocation information (OCSP/CRL) could be obtained to embed in the document; no "
          "document was returned, please retry later.")


class SigningTimeout(SignsvcError):
    """Signing did not finish within the allowed time (an outside service such as OCSP, CRL or a
    TSA answered too slowly); no document was returned, please retry later."""

    code = "signing-timeout"
    status = 503
    title = "Ký quá thời gian cho phép / Signing timed out"
    vi = ("Không ký xong trong thời gian cho phép (một dịch vụ bên ngoài như OCSP, CRL hoặc TSA trả"
          " lời quá chậm); không có tài liệu nào được trả về, vui lòng thử lại sau.")
    en = ("Signing did not finish within the allowed time (an outside service such as OCSP, CRL or "
          "a TSA answered too slowly); no document was returned, please retry later.")


class NotSigned(SignsvcError):
    """The document has no signature to extend."""

    code = "not-signed"
    status = 422
    title = "Tài liệu chưa ký / Not signed"
    vi = "Tài liệu chưa có chữ ký số nào để nâng cấp."
    en = "The document has no signature to extend."


class SignatureNotExtendable(SignsvcError):
    """A signature in the document is not valid, not trusted, expired or its certificate was
    revoked; it cannot be extended."""

    code = "signature-not-extendable"
    status = 422
    title = "Không nâng cấp được chữ ký / Signature not extendable"
    vi = ("Chữ ký trong tài liệu không hợp lệ, không được tin cậy, đã hết hạn hoặc chứng thư đã bị "
          "thu hồi; không thể nâng cấp.")
    en = ("A signature in the document is not valid, not trusted, expired or its certificate was "
          "revoked; it cannot be extended.")


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


class TooManyAttempts(SignsvcError):
    """Too many failed logins; please try again later."""

    code = "too-many-attempts"
    status = 429
    title = "Quá nhiều lần thử / Too many attempts"
    vi = "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau."
    en = "Too many failed logins; please try again later."


class NotReady(SignsvcError):
    """The service is not ready."""

    code = "not-ready"
    status = 503
    title = "Dịch vụ chưa sẵn sàng / Not ready"
    vi = "Dịch vụ chưa sẵn sàng."
    en = "The service is not ready."


class NotAcceptable(SignsvcError):
    """The report is available only as application/json, text/html or application/pdf (Accept
    header)."""

    code = "not-acceptable"
    status = 406
    title = "Định dạng trả về không được hỗ trợ / Not acceptable"
    vi = "Báo cáo chỉ có ở dạng application/json, text/html hoặc application/pdf (tiêu đề Accept)."
    en = ("The report is available only as application/json, text/html or application/pdf (Accept "
          "header).")


class ReportUnavailable(SignsvcError):
    """The signed PDF report could not be produced; please retry later."""

    code = "report-unavailable"
    status = 503
    title = "Không lập được báo cáo PDF / PDF report unavailable"
    vi = "Không lập được báo cáo PDF có ký số; vui lòng thử lại sau."
    en = "The signed PDF report could not be produced; please retry later."


class ReportNotFound(SignsvcError):
    """This report does not exist or has expired; verify the document again."""

    code = "report-not-found"
    status = 404
    title = "Không tìm thấy báo cáo / Report not found"
    vi = "Không tìm thấy báo cáo này hoặc báo cáo đã hết hạn; hãy kiểm tra lại tài liệu."
    en = "This report does not exist or has expired; verify the document again."


class IdempotencyKeyInvalid(SignsvcError):
    """The Idempotency-Key header is not 1 to 255 printable ASCII characters."""

    code = "idempotency-key-invalid"
    status = 400
    title = "Khóa Idempotency-Key không hợp lệ / Invalid Idempotency-Key"
    vi = "Tiêu đề Idempotency-Key phải gồm 1 đến 255 ký tự ASCII in được (không có dấu cách)."
    en = "The Idempotency-Key header must be 1 to 255 printable ASCII characters (no spaces)."


class IdempotencyKeyReused(SignsvcError):
    """This Idempotency-Key was already used for another request; use a new key."""

    code = "idempotency-key-reused"
    status = 422
    title = "Khóa Idempotency-Key đã dùng cho yêu cầu khác / Idempotency-Key reused"
    vi = ("Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác (khác địa chỉ, tham số "
          "hoặc nội dung); hãy dùng khóa mới cho yêu cầu mới.")
    en = ("This Idempotency-Key was already used for a different request (another path, "
          "parameters or body); use a new key for a new request.")


class IdempotencyInProgress(SignsvcError):
    """A request with this Idempotency-Key is still being carried out; retry later."""

    code = "idempotency-in-progress"
    status = 409
    title = "Yêu cầu cùng khóa đang được xử lý / Request with this key in progress"
    vi = ("Một yêu cầu với cùng khóa Idempotency-Key đang được xử lý; hãy gửi lại sau thời gian "
          "ghi trong Retry-After để nhận kết quả của nó.")
    en = ("A request with the same Idempotency-Key is still being carried out; retry after "
          "Retry-After seconds to receive its answer.")


class IdempotencyUnavailable(SignsvcError):
    """The Idempotency-Key records cannot be used: nothing was done, or the answer (not
    recorded for retries) was not returned."""

    code = "idempotency-unavailable"
    status = 503
    title = "Kho khóa Idempotency-Key không sẵn sàng / Idempotency store unavailable"
    vi = ("Không dùng được kho khóa Idempotency-Key: yêu cầu chưa được thực hiện, hoặc kết quả "
          "không lưu được để gửi lại nên không được trả về. Hãy thử lại sau với cùng khóa.")
    en = ("The Idempotency-Key records cannot be used: the request was not carried out, or its "
          "answer could not be recorded for retries and was not returned. Please retry later "
          "with the same key.")


class JobNotFound(SignsvcError):
    """There is no such batch signing job, or it belongs to another client."""

    code = "job-not-found"
    status = 404
    title = "Không tìm thấy lô ký / Job not found"
    vi = "Không có lô ký này (hoặc lô ký thuộc về máy khách khác)."
    en = "There is no such job (or it belongs to another client)."


class JobsUnavailable(SignsvcError):
    """The job queue's database cannot be used; nothing was queued or changed."""

    code = "jobs-unavailable"
    status = 503
    title = "Hàng đợi lô ký không sẵn sàng / Job queue unavailable"
    vi = "Không dùng được cơ sở dữ liệu của hàng đợi lô ký; không có gì thay đổi. Hãy thử lại sau."
    en = "The job queue's database cannot be used; nothing was changed. Please retry later."


class JobDocumentNotReady(SignsvcError):
    """The job's document is not signed (yet): pending, being signed, failed or cancelled;
    ``state`` names which."""

    code = "job-document-not-ready"
    status = 409
    title = "Tài liệu chưa được ký / Document not signed"
    vi = ("Tài liệu này của lô ký chưa có bản đã ký (đang chờ, đang ký, ký thất bại hoặc đã "
          "hủy; xem trường state); hãy xem GET /v1/jobs/{id}.")
    en = ("This document of the job has no signed version (pending, being signed, failed or "
          "cancelled; see the state field); see GET /v1/jobs/{id}.")


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
