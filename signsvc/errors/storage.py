"""Errors of what the service records: the audit log and its checkpoints, verification reports,
Idempotency-Key records and batch jobs.
"""

from __future__ import annotations

from signsvc.errors.base import SignsvcError


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
