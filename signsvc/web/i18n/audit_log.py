"""Words of the audit-log page (order, filters, export): Vietnamese first, then English."""

from __future__ import annotations

LOG_TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "log_order": "Mới nhất ở trên cùng.",
        "log_all_actions": "Tất cả thao tác",
        "log_from_day": "Từ ngày",
        "log_to_day": "Đến hết ngày",
        "log_older": "Cũ hơn →",
        "log_newest": "← Về bản ghi mới nhất",
        "log_export": "Tải danh sách đang lọc:",
        "log_export_csv": "CSV (bảng tính)",
        "log_export_json": "JSON",
        "log_clear": "Bỏ lọc",
        "log_code": "Mã",
        "log_filters": "Lọc danh sách",
        "log_filters_active": "đang lọc theo {n} điều kiện",
    },
    "en": {
        "log_order": "Newest at the top.",
        "log_all_actions": "All actions",
        "log_from_day": "From day",
        "log_to_day": "To the end of day",
        "log_older": "Older →",
        "log_newest": "← Back to the newest records",
        "log_export": "Download the filtered list:",
        "log_export_csv": "CSV (spreadsheet)",
        "log_export_json": "JSON",
        "log_clear": "Clear filters",
        "log_code": "Code",
        "log_filters": "Filter the list",
        "log_filters_active": "filters applied: {n}",
    },
}
