"""The one catalogue of the pages' texts: Vietnamese first, English on request (?lang=en).

Every page (officials', clerks', auditors', login, errors) reads its words from ``TEXTS``
through a :class:`Texts` object named ``t`` in the templates: ``t.key`` or ``t('key', n=3)``
(placeholders filled). Texts that arrive with both languages (problem details, the audit
chain's findings) are shown with the ``tr`` filter (``error.message|tr``), which picks the
page language. The report's own words live with the report (``signsvc.reports.texts``: the
PDF report uses them too); problem+json bodies keep their Vietnamese and English fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

LANGUAGES = ("vi", "en")

TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Ký số văn bản",
        "login": "Đăng nhập", "name": "Tên đăng nhập", "password": "Mật khẩu", "logout": "Đăng xuất",
        "totp_title": "Xác thực hai yếu tố", "totp_code": "Mã xác thực (6 chữ số)",
        "totp_help": "Nhập mã 6 chữ số đang hiện trong ứng dụng xác thực (TOTP) trên điện thoại của bạn.",
        "totp_submit": "Xác nhận",
        "awaiting": "Văn bản chờ tôi ký", "none": "Không có văn bản nào chờ ký.",
        "doc_title": "Trích yếu", "doc_number": "Số, ký hiệu", "pages": "Số trang",
        "sha256": "Mã băm SHA-256", "revision": "Phiên bản", "open": "Mở",
        "level": "Mức chữ ký", "sign": "Ký số bằng token của tôi", "download": "Tải văn bản đã ký",
        "switch": "English", "switch_lang": "en",
        "result_ok": "Đã ký thành công. Kết quả kiểm tra chữ ký:",
        "signer": "Người ký", "signing_time": "Thời gian ký", "verdict": "Kết luận",
        "working": "Đang ký… hãy nhập mã PIN trong cửa sổ của phần mềm ký số trên máy.",
        "err_agent": "Chưa chạy phần mềm ký số (signsvc-agent) trên máy này, hoặc trang này chưa được phép dùng nó. "
                     "Hãy cài đặt và chạy phần mềm theo hướng dẫn, rồi bấm ký lại.",
        "err_token": "Chưa cắm token (USB ký số), hoặc token không đọc được.",
        "err_pin": "Sai mã PIN của token. Văn bản chưa được ký; hãy bấm ký lại và nhập đúng mã PIN "
                   "(nhập sai nhiều lần có thể làm khóa token).",
        "err_pin_cancelled": "Bạn đã hủy nhập mã PIN.",
        "err_pin_locked": "Mã PIN của token đã bị khóa; liên hệ quản trị viên.",
        "err_cert": "Chứng thư số trên token chưa được đăng ký cho tài khoản của bạn. Hãy liên hệ quản trị viên "
                    "hệ thống ký số của cơ quan, gửi tên đăng nhập và số sê-ri chứng thư số để được đăng ký.",
        "err_expired": "Phiên ký đã hết hạn (quá thời gian cho phép từ lúc chuẩn bị đến lúc ký); "
                       "văn bản chưa được ký, hãy bấm ký lại.",
        "err_changed": "Văn bản đã được ký hoặc thay đổi trong lúc bạn ký; hãy mở lại văn bản.",
        "err_other": "Không ký được văn bản",
        "err_origin": "Phần mềm ký số trên máy chưa cho phép trang này sử dụng; hãy liên hệ quản trị viên.",
        "err_cert_not_on_token": "Token đang cắm không có chứng thư số nào dùng được để ký.",
        "err_token_failed": "Token không ký được. Hãy rút token ra, cắm lại và thử lại.",
        "err_used": "Phiên ký này đã được dùng; hãy bấm ký lại.",
        "err_signature_invalid": "Chữ ký do token trả về không khớp với chứng thư số; văn bản chưa được ký.",
        "err_unavailable": "Máy chủ cấp dấu thời gian hoặc kiểm tra thu hồi chứng thư tạm thời không trả lời; "
                           "hãy thử lại sau ít phút.",
        "err_logged_out": "Phiên đăng nhập đã hết; hãy đăng nhập lại.",
        "err_place": "Chưa chọn vị trí chữ ký: hãy bấm lên ảnh trang, chọn ô ký có sẵn, "
                     "hoặc chọn “Không hiển thị chữ ký trên trang”.",
        "page": "Trang", "placement": "Vị trí chữ ký", "place_box": "Chọn khung trên trang",
        "place_hint": "Bấm (hoặc kéo) lên ảnh trang để đặt khung chữ ký; có thể sửa tọa độ (điểm PDF) bên dưới.",
        "place_field": "Ô ký có sẵn trong văn bản", "place_none": "Không hiển thị chữ ký trên trang",
        "place_chosen": "Đã chọn khung trên trang", "profile": "Mẫu chữ ký",
        "profile_text": "Chữ (người ký, cơ quan, thời gian)", "profile_official": "Ảnh chữ ký",
        "verdict_valid": "Hợp lệ, văn bản còn nguyên vẹn",
        "verdict_valid_modified_after": "Hợp lệ nhưng văn bản bị thay đổi sau khi ký",
        "verdict_invalid": "Không hợp lệ", "verdict_indeterminate": "Chưa xác định được",
        "verdict_unsigned": "Chưa ký",
        "error_h1": "Không thực hiện được yêu cầu", "error_h1_404": "Không tìm thấy",
        "error_h1_403": "Không được phép", "error_h1_401": "Chưa đăng nhập",
        "error_code": "Mã lỗi", "error_request_id": "Mã yêu cầu (cho bộ phận hỗ trợ)",
        "back_home": "← Về trang chính", "back_documents": "← Về danh sách văn bản chờ ký",
        "back_login": "← Đến trang đăng nhập",
        # what to do next (issue 15, item 7)
        "agent_help_link": "Hướng dẫn cài đặt và chạy phần mềm ký số",
        "agent_help_h1": "Cài đặt và chạy phần mềm ký số trên máy của bạn",
        "agent_help_intro": "Trang ký số dùng một phần mềm nhỏ chạy trên máy của bạn (signsvc-agent) để "
                            "token ký văn bản; mã PIN chỉ nhập vào phần mềm này, không gửi lên máy chủ.",
        "agent_help_install": "Cài đặt (một lần, Python 3.11 trở lên): nhận tệp gói signsvc (.whl) từ quản trị viên "
                              "rồi chạy lệnh bên dưới; cài thêm trình điều khiển (PKCS#11) của token.",
        "agent_help_config": "Tải tệp cấu hình dành sẵn cho trang này (chỉ trang này được dùng phần mềm), "
                             "điền đường dẫn thư viện PKCS#11 và nhãn của token, rồi kiểm tra:",
        "agent_help_config_link": "Tải tệp cấu hình (signsvc-agent.toml)",
        "agent_help_start": "Chạy phần mềm (để cửa sổ mở trong lúc ký):",
        "agent_help_check": "Phần mềm chạy ở địa chỉ này trên máy của bạn (trang ký số kết nối tới đây):",
        "agent_help_back": "← Quay lại văn bản và bấm ký lại",
        "err_agent_next": "Hãy cài đặt và chạy phần mềm ký số theo hướng dẫn, rồi bấm ký lại.",
        "err_pin_count_low": "Token báo chỉ còn ít lần nhập thử mã PIN trước khi bị khóa.",
        "err_pin_final_try": "Chỉ còn một lần nhập thử: nhập sai lần nữa token sẽ bị khóa.",
        "err_cert_next": "Hãy liên hệ quản trị viên hệ thống ký số của cơ quan (người quản lý tài khoản "
                         "signsvc), gửi tên đăng nhập và số sê-ri chứng thư số trên token để được đăng ký.",
        # dates (issue 15, item 6)
        "times_note": "Thời gian hiển thị theo giờ Việt Nam (Asia/Ho_Chi_Minh, UTC+07:00), "
                      "dạng ngày/tháng/năm giờ:phút:giây.",
        "time_zone": "giờ Việt Nam (UTC+07:00)",
        # the auditors' pages (verification, audit log)
        "auditor_title": "Kiểm tra chữ ký và nhật ký kiểm toán",
        "nav_verify": "Kiểm tra tài liệu", "nav_audit": "Nhật ký kiểm toán",
        "verify_h1": "Kiểm tra chữ ký số trên tài liệu PDF",
        "verify_intro": "Chọn tệp PDF đã ký (tối đa {mib} MiB). "
                        "Tài liệu chỉ được dùng để kiểm tra, không được lưu lại.",
        "file": "Tệp PDF", "verify": "Kiểm tra",
        "report_h1": "Kết quả kiểm tra chữ ký số",
        "download_json": "Tải báo cáo JSON", "download_pdf": "Tải báo cáo PDF có ký số",
        "pdf_unavailable": "Chưa cấu hình khóa ký báo cáo nên không có báo cáo PDF.",
        "again": "Kiểm tra tài liệu khác",
        "audit_h1": "Nhật ký kiểm toán",
        "since": "Từ (giờ Việt Nam)", "until": "Đến (giờ Việt Nam)", "actor": "Người thực hiện",
        "action": "Thao tác", "key": "Khóa", "document_sha256": "SHA-256 tài liệu", "filter": "Lọc",
        "chain": "Chuỗi nhật ký", "chain_ok": "nguyên vẹn", "chain_broken": "bị phá vỡ tại bản ghi số",
        "chain_checked": "đã kiểm tra {n} bản ghi",
        "last_checkpoint": "Điểm kiểm soát gần nhất", "no_checkpoint": "chưa có điểm kiểm soát nào",
        "checkpoint_line": "số {index}, đến bản ghi {head}, lúc {time}",
        "signature_ok": "chữ ký hợp lệ", "signature_bad": "chữ ký KHÔNG hợp lệ",
        "signature_unchecked": "chưa kiểm tra chữ ký",
        "seq": "Số", "time": "Thời gian", "role": "Vai trò", "outcome": "Kết quả",
        "input": "SHA-256 đầu vào", "output": "SHA-256 đầu ra", "record_hash": "SHA-256 bản ghi",
        "no_records": "Không có bản ghi nào khớp.", "next": "Trang sau",
        "history_h1": "Lịch sử tài liệu", "history_intro": "Mọi bản ghi có SHA-256 này làm đầu vào hoặc đầu ra.",
        "forbidden_h1": "Không được phép",
        "forbidden": "Trang này chỉ dành cho kiểm toán viên. Tài khoản của bạn không được phép xem.",
        "problem_h1": "Không thực hiện được yêu cầu", "request_id": "Mã yêu cầu",
    },
    "en": {
        "title": "Document signing",
        "login": "Log in", "name": "User name", "password": "Password", "logout": "Log out",
        "totp_title": "Two-factor authentication", "totp_code": "Authentication code (6 digits)",
        "totp_help": "Enter the 6-digit code your authenticator app (TOTP) shows on your phone.",
        "totp_submit": "Confirm",
        "awaiting": "Documents awaiting my signature", "none": "No document is awaiting your signature.",
        "doc_title": "Title", "doc_number": "Number and symbol", "pages": "Pages",
        "sha256": "SHA-256", "revision": "Revision", "open": "Open",
        "level": "Signature level", "sign": "Sign with my token", "download": "Download the signed document",
        "switch": "Tiếng Việt", "switch_lang": "vi",
        "result_ok": "Signed. Verification of the signature:",
        "signer": "Signer", "signing_time": "Signing time", "verdict": "Verdict",
        "working": "Signing… enter the PIN in the signing agent's window on this computer.",
        "err_agent": "The signing agent (signsvc-agent) is not running on this computer, or this page may not use it. "
                     "Install and start it as shown in the instructions, then press sign again.",
        "err_token": "The token (USB signing key) is not inserted or cannot be read.",
        "err_pin": "Wrong token PIN. Nothing was signed; press sign again and enter the right PIN "
                   "(repeated wrong PINs can lock the token).",
        "err_pin_cancelled": "You cancelled the PIN entry.",
        "err_pin_locked": "The token PIN is locked; contact your administrator.",
        "err_cert": "The certificate on the token is not registered to your account. Contact your agency's "
                    "signing administrator with your user name and the certificate's serial number "
                    "to have it registered.",
        "err_expired": "The signing session expired (too long between preparing and signing); "
                       "nothing was signed, press sign again.",
        "err_changed": "The document was signed or changed meanwhile; open it again.",
        "err_other": "The document could not be signed",
        "err_origin": "The signing agent on this computer does not allow this page; contact your administrator.",
        "err_cert_not_on_token": "The inserted token holds no certificate that can sign.",
        "err_token_failed": "The token could not sign. Remove and reinsert the token, then try again.",
        "err_used": "This signing session was already used; press sign again.",
        "err_signature_invalid": "The token's signature does not match the certificate; nothing was signed.",
        "err_unavailable": "The timestamping or revocation service is not answering; try again in a few minutes.",
        "err_logged_out": "Your login session ended; log in again.",
        "err_place": "No signature position chosen: click on the page image, pick an existing signature field, "
                     "or choose “No visible signature”.",
        "page": "Page", "placement": "Signature position", "place_box": "A box on the page",
        "place_hint": "Click (or drag) on the page image to place the signature box; "
                      "the corners (PDF points) can be edited below.",
        "place_field": "An existing signature field", "place_none": "No visible signature",
        "place_chosen": "Box chosen on page", "profile": "Appearance",
        "profile_text": "Text (signer, agency, time)", "profile_official": "Signature image",
        "verdict_valid": "Valid, the document is intact",
        "verdict_valid_modified_after": "Valid, but the document was changed after signing",
        "verdict_invalid": "Invalid", "verdict_indeterminate": "Indeterminate",
        "verdict_unsigned": "Not signed",
        "error_h1": "The request could not be carried out", "error_h1_404": "Not found",
        "error_h1_403": "Forbidden", "error_h1_401": "Not logged in",
        "error_code": "Error code", "error_request_id": "Request id (for support)",
        "back_home": "← Back to the home page", "back_documents": "← Back to my documents",
        "back_login": "← To the login page",
        # what to do next (issue 15, item 7)
        "agent_help_link": "How to install and start the signing agent",
        "agent_help_h1": "Install and start the signing agent on your computer",
        "agent_help_intro": "The signing page uses a small program on your computer (signsvc-agent) to have "
                            "your token sign; the PIN is typed into that program only, never sent to the server.",
        "agent_help_install": "Install (once, Python 3.11 or later): get the signsvc package file (.whl) from your "
                              "administrator and run the command below; also install the token's (PKCS#11) driver.",
        "agent_help_config": "Download the configuration made for this site (only this site may use the "
                             "agent), fill in your token's PKCS#11 library and label, then check it:",
        "agent_help_config_link": "Download the configuration (signsvc-agent.toml)",
        "agent_help_start": "Start it (keep its window open while signing):",
        "agent_help_check": "The agent listens at this address on your computer (the signing page connects to it):",
        "agent_help_back": "← Back to the document, then press sign again",
        "err_agent_next": "Install and start the signing agent as shown in the instructions, then press sign again.",
        "err_pin_count_low": "The token reports only a few PIN tries left before it locks.",
        "err_pin_final_try": "One try left: another wrong PIN will lock the token.",
        "err_cert_next": "Contact your agency's signing administrator (who manages signsvc accounts) with your "
                         "user name and the serial number of the token's certificate to have it registered.",
        # dates (issue 15, item 6)
        "times_note": "Times are Vietnam time (Asia/Ho_Chi_Minh, UTC+07:00), as day/month/year hour:minute:second.",
        "time_zone": "Vietnam time (UTC+07:00)",
        # the auditors' pages (verification, audit log)
        "auditor_title": "Signature verification and audit log",
        "nav_verify": "Verify a document", "nav_audit": "Audit log",
        "verify_h1": "Verify the signatures of a PDF document",
        "verify_intro": "Choose a signed PDF ({mib} MiB at most). It is only verified, never stored.",
        "file": "PDF file", "verify": "Verify",
        "report_h1": "Verification result",
        "download_json": "Download the JSON report", "download_pdf": "Download the signed PDF report",
        "pdf_unavailable": "No report key is configured, so there is no PDF report.",
        "again": "Verify another document",
        "audit_h1": "Audit log",
        "since": "From (Vietnam time)", "until": "Until (Vietnam time)", "actor": "Actor",
        "action": "Action", "key": "Key", "document_sha256": "Document SHA-256", "filter": "Filter",
        "chain": "Log chain", "chain_ok": "intact", "chain_broken": "broken at record",
        "chain_checked": "{n} records checked",
        "last_checkpoint": "Last checkpoint", "no_checkpoint": "no checkpoint yet",
        "checkpoint_line": "no. {index}, up to record {head}, at {time}",
        "signature_ok": "signature valid", "signature_bad": "signature NOT valid",
        "signature_unchecked": "signature not checked",
        "seq": "No.", "time": "Time", "role": "Role", "outcome": "Outcome",
        "input": "Input SHA-256", "output": "Output SHA-256", "record_hash": "Record SHA-256",
        "no_records": "No record matches.", "next": "Next page",
        "history_h1": "Document history", "history_intro": "Every record with this SHA-256 as input or output.",
        "forbidden_h1": "Forbidden",
        "forbidden": "This page is for auditors only. Your account may not see it.",
        "problem_h1": "The request could not be carried out", "request_id": "Request id",
    },
}


class Texts(Mapping[str, str]):
    """One language's texts. Templates read ``t.key`` (or ``t['key']``) or call
    ``t('key', n=3)``: the text with its ``{placeholders}`` filled; an unknown key reads as the
    key itself, so a missing text shows up on the page instead of an empty space. Not a
    ``dict``: a text named like a dict method (``clear``, ``copy``, ``pop``…) reads as the
    text, never as the method."""

    def __init__(self, language: str, texts: Mapping[str, str]) -> None:
        self.language = language
        self._texts = dict(texts)

    def __getitem__(self, key: str) -> str:
        return self._texts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __getattr__(self, key: str) -> str:
        if key.startswith("_") or key not in self._texts:
            raise AttributeError(key)
        return self._texts[key]

    def __call__(self, key: str, **values: Any) -> str:
        text = self._texts.get(key, key)
        return text.format(**values) if values else text


_CATALOGUES = {language: Texts(language, TEXTS[language]) for language in LANGUAGES}


def texts(language: str) -> Texts:
    """The texts of ``language`` (Vietnamese for anything but ``en``)."""
    return _CATALOGUES["en" if language == "en" else "vi"]


def t(key: str, language: str, **values: Any) -> str:
    """The text ``key`` in ``language`` with ``values`` filled in (for Python code)."""
    return texts(language)(key, **values)


def pick(both: Any, language: str) -> Any:
    """The ``language`` half of something that carries both languages: a ``Message``
    (``.vi``/``.en``) or a mapping with ``vi``/``en`` keys; anything else as it is."""
    key = "en" if language == "en" else "vi"
    if isinstance(both, Mapping):
        return both.get(key, both.get("vi", ""))
    if hasattr(both, "vi") and hasattr(both, "en"):
        return getattr(both, key)
    return both
