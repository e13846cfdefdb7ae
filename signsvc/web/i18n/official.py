"""Words of the officials' document pages (lists, versions, level, placement, viewer):
Vietnamese first, then English."""

from __future__ import annotations

OFFICIAL_TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "documents_h1": "Văn bản của tôi",
        "tab_awaiting": "Chờ ký", "tab_signed": "Đã ký",
        "none_awaiting": "Không có văn bản nào chờ bạn ký.",
        "none_signed": "Bạn chưa ký văn bản nào.",
        "signed_at": "Ký lúc", "received_at": "Nhận lúc", "version": "Phiên bản",
        "state_awaiting": "Chờ ký", "state_signed": "Đã ký",
        "back_list": "← Về danh sách văn bản",
        "history_h2": "Lịch sử các phiên bản",
        "versions_intro": "Mỗi lần ký tạo một phiên bản mới; các phiên bản trước vẫn tải về được. "
                         "Kết luận được kiểm tra lại mỗi khi mở trang.",
        "h_version": "Phiên bản", "h_who": "Người ký", "h_when": "Thời gian",
        "h_level": "Mức chữ ký", "h_verdict": "Kết luận hiện tại", "h_download": "Tải về",
        "created_by": "Tạo bởi {who}", "original": "Bản gốc (chưa ký)",
        "download_version": "Tải phiên bản {n}", "not_kept": "không còn bản lưu",
        "time_timestamp": "theo dấu thời gian", "time_claimed": "do máy người ký ghi",
        "time_recorded": "theo nhật ký hệ thống",
        "current": "hiện tại",
        "level_h": "Mức chữ ký",
        "level_for_profile": "Theo hồ sơ dịch vụ công: {profile}.",
        "level_choose": "Chọn mức chữ ký",
        "level_B-B": "Chữ ký số cơ bản: thời gian ký do máy tính của người ký ghi nhận, "
                     "không có dấu thời gian.",
        "level_B-T": "Chữ ký số có dấu thời gian: tổ chức cấp dấu thời gian xác nhận thời điểm ký.",
        "level_B-LT": "Chữ ký số có dấu thời gian, kèm chuỗi chứng thư và trạng thái thu hồi, "
                      "để kiểm tra được lâu dài.",
        "level_B-LTA": "Chữ ký số dùng cho lưu trữ: như trên và thêm dấu thời gian lưu trữ, để "
                       "kiểm tra được cả khi chứng thư đã hết hạn.",
        "profile_level3": "dịch vụ công trực tuyến một phần (mức độ 3)",
        "profile_level4": "dịch vụ công trực tuyến toàn trình (mức độ 4)",
        "profile_copy": "bản sao điện tử từ bản giấy",
        "profile_official_default": "Ảnh chữ ký và họ tên",
        "profile_text_notime": "Chữ (người ký, cơ quan)",
        "appearance_note": "Chữ ký cá nhân không ghi thời gian trên trang; thời gian ký nằm "
                           "trong dấu thời gian của chữ ký.",
        "viewer": "Xem trang văn bản", "prev_page": "Trang trước", "next_page": "Trang sau",
        "zoom_out": "Thu nhỏ", "zoom_in": "Phóng to", "zoom_fit": "Vừa khung",
        "zoom": "Cỡ xem",
        "place_default": "Đặt khung chữ ký",
        "box_label": "Khung chữ ký: kéo để di chuyển; phím mũi tên để di chuyển, "
                     "Shift + mũi tên để đổi kích thước, Enter để khớp vào ô ký bên dưới",
        "place_hint2": "Bấm hoặc kéo trên ảnh trang để đặt khung chữ ký; kéo khung để di chuyển. "
                       "Bằng bàn phím: bấm “Đặt khung chữ ký”, rồi dùng phím mũi tên để di chuyển, "
                       "Shift + mũi tên để đổi kích thước, Enter để khớp vào ô ký có sẵn bên dưới khung. "
                       "Thả khung gần ô ký có sẵn thì khung tự khớp vào ô.",
        "advanced": "Nâng cao: tọa độ khung (điểm PDF)",
        "snapped": "Đã khớp vào ô ký có sẵn",
        "new_version": "Phiên bản mới", "new_sha256": "Mã băm SHA-256 của phiên bản mới",
        "level_reached": "Mức chữ ký đạt được",
        "lvl_B-B": "Cơ bản", "lvl_B-T": "Có dấu thời gian", "lvl_B-LT": "Kiểm tra lâu dài",
        "lvl_B-LTA": "Lưu trữ lâu dài",
    },
    "en": {
        "documents_h1": "My documents",
        "tab_awaiting": "Awaiting my signature", "tab_signed": "Signed",
        "none_awaiting": "No document is awaiting your signature.",
        "none_signed": "You have not signed any document yet.",
        "signed_at": "Signed at", "received_at": "Received at", "version": "Version",
        "state_awaiting": "Awaiting signature", "state_signed": "Signed",
        "back_list": "← Back to my documents",
        "history_h2": "Versions",
        "versions_intro": "Each signature makes a new version; earlier versions can still be "
                         "downloaded. Verdicts are checked again each time the page opens.",
        "h_version": "Version", "h_who": "Signed by", "h_when": "Time",
        "h_level": "Signature level", "h_verdict": "Verdict now", "h_download": "Download",
        "created_by": "Created by {who}", "original": "Original (unsigned)",
        "download_version": "Download version {n}", "not_kept": "not available",
        "time_timestamp": "from the timestamp", "time_claimed": "from the signer's computer",
        "time_recorded": "from the system log",
        "current": "current",
        "level_h": "Signature level",
        "level_for_profile": "As the e-service profile asks: {profile}.",
        "level_choose": "Choose the signature level",
        "level_B-B": "Basic signature: the signing time is the signer's computer clock, "
                     "no timestamp.",
        "level_B-T": "Signature with a timestamp: a timestamping authority confirms the time.",
        "level_B-LT": "Timestamped signature with the certificate chain and revocation status "
                      "embedded, verifiable for a long time.",
        "level_B-LTA": "Archival signature: as above plus an archive timestamp, verifiable even "
                       "after the certificate expired.",
        "profile_level3": "partly online public service (level 3)",
        "profile_level4": "fully online public service (level 4)",
        "profile_copy": "electronic copy of a paper document",
        "profile_official_default": "Signature image and name",
        "profile_text_notime": "Text (signer, agency)",
        "appearance_note": "A personal signature shows no time on the page; the signing time is "
                           "in the signature's timestamp.",
        "viewer": "Document pages", "prev_page": "Previous page", "next_page": "Next page",
        "zoom_out": "Zoom out", "zoom_in": "Zoom in", "zoom_fit": "Fit",
        "zoom": "Zoom",
        "place_default": "Place the signature box",
        "box_label": "Signature box: drag to move; arrow keys move it, Shift + arrows resize it, "
                     "Enter puts it into the signature field under it",
        "place_hint2": "Click or drag on the page image to place the signature box; drag the box to "
                       "move it. With the keyboard: press “Place the signature box”, then arrow keys "
                       "move it, Shift + arrows resize it and Enter puts it into the existing signature "
                       "field under it. Dropped near an existing signature field, the box snaps "
                       "into it.",
        "advanced": "Advanced: box corners (PDF points)",
        "snapped": "Snapped to the existing signature field",
        "new_version": "New version", "new_sha256": "SHA-256 of the new version",
        "level_reached": "Level reached",
        "lvl_B-B": "Basic", "lvl_B-T": "Timestamped", "lvl_B-LT": "Long-term",
        "lvl_B-LTA": "Archival",
    },
}
