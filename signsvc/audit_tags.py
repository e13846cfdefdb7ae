"""The catalogue of audit tags: every ``action`` the audit log records, defined once.

A tag is ``source:subject:action`` (``signing:document:signed``). ``AuditTag`` is a
``StrEnum``: a member is its tag string, so stored records, exports, counters and old
logs read the same. Every emitter names a member instead of typing the string; a unit
test (tests/unit/test_audit_tags.py) checks that every tag written anywhere in the package
is catalogued here and has a Vietnamese and an English label.

The labels are for people (the audit-log pages, exports): ``AuditTag.X.label_vi`` /
``.label_en``, or ``label(tag, lang)`` for a tag read back from storage, which may be one
this version no longer writes (then the tag itself is shown).

This module imports nothing of signsvc but ``errors.Message``, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from signsvc.errors import Message


class AuditTag(StrEnum):
    """Every audit action code signsvc writes (grouped by source)."""

    # appearance: signature and seal images
    APPEARANCE_IMAGE_REGISTERED = "appearance:image:registered"
    APPEARANCE_IMAGE_REJECTED = "appearance:image:rejected"
    # archive: long-term archive timestamps
    ARCHIVE_DOCUMENT_RENEWED = "archive:document:renewed"
    ARCHIVE_DOCUMENT_RENEW_FAILED = "archive:document:renew_failed"
    # audit: the log itself
    AUDIT_CHECKPOINT_CREATED = "audit:checkpoint:created"
    AUDIT_CHECKPOINT_FAILED = "audit:checkpoint:failed"
    AUDIT_INTEGRITY_ACKNOWLEDGED = "audit:integrity:acknowledged"
    AUDIT_LOG_EXPORTED = "audit:log:exported"
    # auth: tokens, logins, page sessions, permissions
    AUTH_ACCESS_DENIED = "auth:access:denied"
    AUTH_LOGIN_FAILED = "auth:login:failed"
    AUTH_LOGIN_PASSWORD_ACCEPTED = "auth:login:password-accepted"
    AUTH_LOGIN_SUCCEEDED = "auth:login:succeeded"
    AUTH_LOGIN_THROTTLED = "auth:login:throttled"
    AUTH_SESSION_ENDED = "auth:session:ended"
    AUTH_SESSION_REJECTED = "auth:session:rejected"
    AUTH_TOKEN_REJECTED = "auth:token:rejected"
    AUTH_TOTP_FAILED = "auth:totp:failed"
    # clients: accounts and what is registered to them
    CLIENTS_CERTIFICATE_REGISTERED = "clients:certificate:registered"
    CLIENTS_CLIENT_CREATED = "clients:client:created"
    CLIENTS_CLIENT_DISABLED = "clients:client:disabled"
    CLIENTS_CLIENT_ROLE_CHANGED = "clients:client:role-changed"
    CLIENTS_PASSWORD_SET = "clients:password:set"
    CLIENTS_TOTP_ENROLLED = "clients:totp:enrolled"
    CLIENTS_TOTP_REMOVED = "clients:totp:removed"
    # documents awaiting an official's signature
    DOCUMENTS_DOCUMENT_CREATED = "documents:document:created"
    DOCUMENTS_DOCUMENT_DOWNLOADED = "documents:document:downloaded"
    DOCUMENTS_DOCUMENT_REJECTED = "documents:document:rejected"
    # http: failures no service audited
    HTTP_REQUEST_FAILED = "http:request:failed"
    # idempotency: Idempotency-Key retries
    IDEMPOTENCY_REQUEST_REFUSED = "idempotency:request:refused"
    IDEMPOTENCY_REQUEST_REPLAYED = "idempotency:request:replayed"
    # jobs: batch signing jobs (each document: signing:document:*)
    JOBS_JOB_CANCELLED = "jobs:job:cancelled"
    JOBS_JOB_CREATED = "jobs:job:created"
    JOBS_JOB_REJECTED = "jobs:job:rejected"
    # keys
    KEYS_KEY_LISTED = "keys:key:listed"
    # policy
    POLICY_DECISION_EVALUATED = "policy:decision:evaluated"
    POLICY_POLICY_LOADED = "policy:policy:loaded"
    POLICY_POLICY_RELOAD_FAILED = "policy:policy:reload_failed"
    POLICY_RULE_DENIED = "policy:rule:denied"
    # reports
    REPORTS_REPORT_FAILED = "reports:report:failed"
    REPORTS_REPORT_ISSUED = "reports:report:issued"
    # signing
    SIGNING_DOCUMENT_EXTENDED = "signing:document:extended"
    SIGNING_DOCUMENT_EXTEND_FAILED = "signing:document:extend_failed"
    SIGNING_DOCUMENT_FAILED = "signing:document:failed"
    SIGNING_DOCUMENT_REJECTED = "signing:document:rejected"
    SIGNING_DOCUMENT_SIGNED = "signing:document:signed"
    SIGNING_SESSION_CANCELLED = "signing:session:cancelled"
    SIGNING_SESSION_PREPARED = "signing:session:prepared"
    SIGNING_SESSION_REJECTED = "signing:session:rejected"
    SIGNING_TICKET_ISSUED = "signing:ticket:issued"
    SIGNING_TICKET_REJECTED = "signing:ticket:rejected"
    SIGNING_UPLOAD_REJECTED = "signing:upload:rejected"
    # validation
    VALIDATION_BATCH_ACCEPTED = "validation:batch:accepted"
    VALIDATION_BATCH_REJECTED = "validation:batch:rejected"
    VALIDATION_BATCH_RETURNED = "validation:batch:returned"
    VALIDATION_DOCUMENT_FAILED = "validation:document:failed"
    VALIDATION_DOCUMENT_REJECTED = "validation:document:rejected"
    VALIDATION_DOCUMENT_VERIFIED = "validation:document:verified"

    @property
    def label_vi(self) -> str:
        """What the tag means, in Vietnamese."""
        return AUDIT_TAG_LABELS[self].vi

    @property
    def label_en(self) -> str:
        """What the tag means, in English."""
        return AUDIT_TAG_LABELS[self].en


_T = AuditTag
_LABELS: dict[AuditTag, Message] = {
    _T.APPEARANCE_IMAGE_REGISTERED: Message("Đăng ký ảnh chữ ký/con dấu",
                                            "Signature or seal image registered"),
    _T.APPEARANCE_IMAGE_REJECTED: Message("Từ chối ảnh chữ ký/con dấu",
                                          "Signature or seal image rejected"),
    _T.ARCHIVE_DOCUMENT_RENEWED: Message("Gia hạn dấu thời gian lưu trữ",
                                         "Archive timestamp renewed"),
    _T.ARCHIVE_DOCUMENT_RENEW_FAILED: Message("Gia hạn dấu thời gian lưu trữ thất bại",
                                              "Archive timestamp renewal failed"),
    _T.AUDIT_CHECKPOINT_CREATED: Message("Tạo điểm kiểm soát nhật ký",
                                         "Audit checkpoint created"),
    _T.AUDIT_CHECKPOINT_FAILED: Message("Tạo điểm kiểm soát nhật ký thất bại",
                                        "Audit checkpoint failed"),
    _T.AUDIT_INTEGRITY_ACKNOWLEDGED: Message("Xác nhận sự cố toàn vẹn nhật ký",
                                             "Audit log integrity break acknowledged"),
    _T.AUDIT_LOG_EXPORTED: Message("Xuất nhật ký kiểm toán", "Audit log exported"),
    _T.AUTH_ACCESS_DENIED: Message("Từ chối truy cập", "Access denied"),
    _T.AUTH_LOGIN_FAILED: Message("Đăng nhập thất bại", "Login failed"),
    _T.AUTH_LOGIN_PASSWORD_ACCEPTED: Message("Mật khẩu đúng, chờ mã TOTP",
                                             "Password accepted, TOTP code awaited"),
    _T.AUTH_LOGIN_SUCCEEDED: Message("Đăng nhập thành công", "Login succeeded"),
    _T.AUTH_LOGIN_THROTTLED: Message("Tạm chặn đăng nhập (sai quá nhiều lần)",
                                     "Login throttled (too many failures)"),
    _T.AUTH_SESSION_ENDED: Message("Đăng xuất", "Logged out"),
    _T.AUTH_SESSION_REJECTED: Message("Từ chối phiên đăng nhập", "Page session rejected"),
    _T.AUTH_TOKEN_REJECTED: Message("Từ chối mã truy cập (Bearer token)",
                                    "Bearer token rejected"),
    _T.AUTH_TOTP_FAILED: Message("Mã TOTP sai", "TOTP code rejected"),
    _T.CLIENTS_CERTIFICATE_REGISTERED: Message("Đăng ký chứng thư số cho tài khoản",
                                               "Certificate registered to an account"),
    _T.CLIENTS_CLIENT_CREATED: Message("Tạo máy khách/tài khoản", "Client or account created"),
    _T.CLIENTS_CLIENT_DISABLED: Message("Vô hiệu hóa máy khách/tài khoản",
                                        "Client or account disabled"),
    _T.CLIENTS_CLIENT_ROLE_CHANGED: Message("Đổi vai trò", "Role changed"),
    _T.CLIENTS_PASSWORD_SET: Message("Đặt mật khẩu", "Password set"),
    _T.CLIENTS_TOTP_ENROLLED: Message("Đăng ký mã TOTP", "TOTP enrolled"),
    _T.CLIENTS_TOTP_REMOVED: Message("Gỡ mã TOTP", "TOTP removed"),
    _T.DOCUMENTS_DOCUMENT_CREATED: Message("Tạo văn bản chờ ký", "Document awaiting signature created"),
    _T.DOCUMENTS_DOCUMENT_DOWNLOADED: Message("Tải xuống văn bản", "Document downloaded"),
    _T.DOCUMENTS_DOCUMENT_REJECTED: Message("Từ chối tạo văn bản chờ ký",
                                            "Document awaiting signature refused"),
    _T.HTTP_REQUEST_FAILED: Message("Lỗi nội bộ khi xử lý yêu cầu",
                                    "Request failed with an internal error"),
    _T.IDEMPOTENCY_REQUEST_REFUSED: Message("Từ chối yêu cầu theo khóa Idempotency-Key",
                                            "Request refused by its Idempotency-Key"),
    _T.IDEMPOTENCY_REQUEST_REPLAYED: Message("Gửi lại kết quả đã lưu (Idempotency-Key), không ký lại",
                                             "Stored answer replayed (Idempotency-Key), not signed again"),
    _T.JOBS_JOB_CANCELLED: Message("Hủy lô ký", "Signing job cancelled"),
    _T.JOBS_JOB_CREATED: Message("Tạo lô ký nhiều tài liệu", "Signing job created"),
    _T.JOBS_JOB_REJECTED: Message("Từ chối lô ký", "Signing job refused"),
    _T.KEYS_KEY_LISTED: Message("Xem danh sách khóa ký", "Signing keys listed"),
    _T.POLICY_DECISION_EVALUATED: Message("Đánh giá chính sách", "Policy evaluated"),
    _T.POLICY_POLICY_LOADED: Message("Nạp chính sách", "Policy loaded"),
    _T.POLICY_POLICY_RELOAD_FAILED: Message("Nạp lại chính sách thất bại", "Policy reload failed"),
    _T.POLICY_RULE_DENIED: Message("Chính sách từ chối", "Denied by a policy rule"),
    _T.REPORTS_REPORT_FAILED: Message("Lập báo cáo xác minh thất bại",
                                      "Verification report failed"),
    _T.REPORTS_REPORT_ISSUED: Message("Cấp báo cáo xác minh", "Verification report issued"),
    _T.SIGNING_DOCUMENT_EXTENDED: Message("Nâng cấp chữ ký", "Signature extended"),
    _T.SIGNING_DOCUMENT_EXTEND_FAILED: Message("Nâng cấp chữ ký thất bại",
                                               "Signature extension failed"),
    _T.SIGNING_DOCUMENT_FAILED: Message("Ký thất bại", "Signing failed"),
    _T.SIGNING_DOCUMENT_REJECTED: Message("Từ chối ký", "Signing refused"),
    _T.SIGNING_DOCUMENT_SIGNED: Message("Ký tài liệu", "Document signed"),
    _T.SIGNING_SESSION_CANCELLED: Message("Hủy phiên ký", "Signing session cancelled"),
    _T.SIGNING_SESSION_PREPARED: Message("Chuẩn bị phiên ký", "Signing session prepared"),
    _T.SIGNING_SESSION_REJECTED: Message("Từ chối phiên ký", "Signing session refused"),
    _T.SIGNING_TICKET_ISSUED: Message("Cấp mã ký toàn tệp", "Whole-file signing ticket issued"),
    _T.SIGNING_TICKET_REJECTED: Message("Từ chối mã ký toàn tệp",
                                        "Whole-file signing ticket refused"),
    _T.SIGNING_UPLOAD_REJECTED: Message("Từ chối tệp đã ký tải lên", "Signed upload refused"),
    _T.VALIDATION_BATCH_ACCEPTED: Message("Tiếp nhận văn bản trong lô", "Batch document accepted"),
    _T.VALIDATION_BATCH_REJECTED: Message("Từ chối lô văn bản", "Batch refused"),
    _T.VALIDATION_BATCH_RETURNED: Message("Trả lại văn bản trong lô", "Batch document returned"),
    _T.VALIDATION_DOCUMENT_FAILED: Message("Xác minh thất bại", "Verification failed"),
    _T.VALIDATION_DOCUMENT_REJECTED: Message("Từ chối xác minh", "Verification refused"),
    _T.VALIDATION_DOCUMENT_VERIFIED: Message("Xác minh tài liệu", "Document verified"),
}

#: every tag's label, Vietnamese and English (read-only)
AUDIT_TAG_LABELS: Mapping[AuditTag, Message] = MappingProxyType(_LABELS)


def label(tag: str, lang: str = "vi") -> str:
    """The label of ``tag`` in ``lang`` (``"vi"``, else English); for a string that is no
    catalogued tag (a record from an older version), the string itself."""
    try:
        text = AUDIT_TAG_LABELS[AuditTag(tag)]
    except ValueError:
        return tag
    return text.vi if lang == "vi" else text.en
