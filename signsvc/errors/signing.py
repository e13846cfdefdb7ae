"""Errors while signing: the token, the TSA, revocation information, the deadline and the
signing rules (policy, seal order, attachments).
"""

from __future__ import annotations

from signsvc.errors.base import SignsvcError


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


class TimestampUnavailable(SignsvcError):
    """No timestamp could be obtained from the timestamping authority."""

    code = "timestamp-unavailable"
    status = 503
    title = "Không lấy được dấu thời gian / Timestamp unavailable"
    vi = "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA)."
    en = "No timestamp could be obtained from the timestamping authority."


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
