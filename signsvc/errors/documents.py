"""Errors about the PDF sent: not a PDF, damaged, encrypted, nothing to extend."""

from __future__ import annotations

from signsvc.errors.base import SignsvcError


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
