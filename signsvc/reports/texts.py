"""Words of the verification report, Vietnamese first, English second.

Shared by the PDF report and the HTML pages so that both say the same thing (times as
people read them, ``signsvc.times.shown``). Pure data:
``label(key, lang)`` and ``value(kind, raw, lang)`` never raise for an unknown value (the
raw value is shown as it is, so that a new value in the report is never hidden).
"""

from __future__ import annotations

from signsvc.times import shown

LANGS = ("vi", "en")

LABELS: dict[str, tuple[str, str]] = {
    "title": ("BÁO CÁO KIỂM TRA CHỮ KÝ SỐ TRÊN TÀI LIỆU PDF",
              "VERIFICATION REPORT OF A SIGNED PDF DOCUMENT"),
    "version_note": ("Bản tiếng Việt", "English version"),
    "verdict": ("Kết luận", "Verdict"),
    "document": ("Tài liệu được kiểm tra", "Document verified"),
    "document_sha256": ("Mã băm SHA-256 của tệp", "SHA-256 of the file"),
    "size": ("Kích thước", "Size"),
    "bytes": ("byte", "bytes"),
    "revisions_count": ("Số phiên bản (lần lưu)", "Revisions (saves)"),
    "status": ("Trạng thái", "Status"),
    "signatures_count": ("Số chữ ký", "Signatures"),
    "validation": ("Cách kiểm tra", "How it was verified"),
    "validated_at": ("Thời điểm kiểm tra", "Validation time"),
    "tool": ("Công cụ", "Tool"),
    "policy": ("Chính sách an toàn thông tin (SHA-256)", "Security policy (SHA-256)"),
    "policy_version": ("Phiên bản chính sách", "Policy version"),
    "anchors": ("Tập chứng thư gốc tin cậy", "Set of trust anchors"),
    "anchors_sha256": ("Mã băm SHA-256 của tập", "SHA-256 of the set"),
    "anchor": ("Chứng thư gốc", "Trust anchor"),
    "findings": ("Nhận xét", "Findings"),
    "signature": ("Chữ ký", "Signature"),
    "field": ("Trường chữ ký", "Signature field"),
    "signer": ("Người ký", "Signer"),
    "subject": ("Chủ thể chứng thư", "Certificate subject"),
    "organization": ("Cơ quan, tổ chức", "Organisation"),
    "serial": ("Số hiệu chứng thư", "Certificate serial"),
    "certificate_sha256": ("SHA-256 của chứng thư", "Certificate SHA-256"),
    "certificate_validity": ("Hiệu lực chứng thư", "Certificate validity"),
    "chain": ("Chuỗi chứng thư", "Certificate chain"),
    "tsa_chain": ("Chuỗi chứng thư của đơn vị cấp dấu thời gian", "Certificate chain of the timestamping authority"),
    "anchor_mark": ("chứng thư gốc tin cậy", "trust anchor"),
    "chain_no_anchor": ("Chuỗi dừng ở đây: không tới được chứng thư gốc tin cậy nào.",
                        "The path ends here without reaching a trust anchor."),
    "validity_short": ("Hiệu lực", "Valid"),
    "anchor_not_checked": ("không kiểm tra (chứng thư gốc được tin cậy trực tiếp)",
                           "not checked (a trust anchor is trusted as such)"),
    "issuer": ("Tổ chức cấp (CA)", "Issuer (CA)"),
    "trusted": ("Chuỗi tới gốc tin cậy", "Chains to a trust anchor"),
    "algorithm": ("Thuật toán", "Algorithm"),
    "signing_time": ("Thời gian ký (người ký tự khai)", "Signing time (claimed by the signer)"),
    "timestamp": ("Dấu thời gian", "Timestamp"),
    "tsa": ("Đơn vị cấp dấu thời gian", "Timestamping authority"),
    "no_timestamp": ("Không có dấu thời gian", "No timestamp"),
    "revocation": ("Tình trạng thu hồi", "Revocation"),
    "revocation_time": ("Thời điểm thu hồi", "Revocation time"),
    "level": ("Mức chữ ký (PAdES)", "Signature level (PAdES)"),
    "indication": ("Kết quả (ETSI EN 319 102-1)", "Indication (ETSI EN 319 102-1)"),
    "coverage": ("Phạm vi ký", "Coverage"),
    "modifications": ("Thay đổi sau khi ký", "Changes after signing"),
    "intact": ("Nội dung đã ký còn nguyên vẹn", "Signed content intact"),
    "crypto_valid": ("Chữ ký khớp với nội dung đã ký", "Signature matches the signed content"),
    "revision": ("Thuộc phiên bản", "Ends with revision"),
    "byte_range": ("Dải byte được ký", "Signed byte range"),
    "messages": ("Nhận xét", "Findings"),
    "doc_timestamps": ("Dấu thời gian tài liệu", "Document timestamps"),
    "revisions": ("Các phiên bản của tài liệu", "Revisions of the document"),
    "revision_number": ("Phiên bản", "Revision"),
    "end_offset": ("Kết thúc tại byte", "Ends at byte"),
    "revision_signatures": ("Chữ ký kết thúc tại đây", "Signatures ending here"),
    "added": ("Nội dung thêm vào", "Added"),
    "summary": ("Tóm tắt", "Summary"),
    "report_signed": ("Báo cáo này được ký số bằng khóa báo cáo của dịch vụ; có thể kiểm tra lại chữ ký "
                      "của báo cáo như mọi tệp PDF đã ký.",
                      "This report is digitally signed with the service's report key; its signature "
                      "can be verified later like that of any signed PDF."),
    "page": ("Trang", "Page"),
    "none": ("không có", "none"),
    "yes": ("có", "yes"),
    "no": ("không", "no"),
}

VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "verdict": {
        "valid": ("Hợp lệ, văn bản còn nguyên vẹn", "Valid, the document is intact"),
        "valid_modified_after": ("Hợp lệ nhưng văn bản bị thay đổi sau khi ký",
                                 "Valid, but the document was changed after signing"),
        "invalid": ("Không hợp lệ", "Invalid"),
        "indeterminate": ("Chưa xác định được", "Indeterminate"),
        "unsigned": ("Chưa ký", "Not signed"),
    },
    "status": {"signed": ("đã ký", "signed"), "unsigned": ("chưa ký", "unsigned")},
    "revocation": {
        "good": ("chưa bị thu hồi", "not revoked"),
        "revoked": ("đã bị thu hồi", "revoked"),
        "unknown": ("không xác định được", "unknown"),
        "not_checked": ("chưa kiểm tra", "not checked"),
    },
    "coverage": {
        "entire_file": ("toàn bộ tệp", "the entire file"),
        "entire_revision": ("toàn bộ phiên bản được ký (tệp có phần thêm sau)",
                            "the entire signed revision (the file has later additions)"),
        "partial": ("chỉ một phần", "only part of it"),
    },
    "modifications": {
        "none": ("không có", "none"),
        "form_filling": ("chỉ điền biểu mẫu hoặc ký thêm", "form filling or further signatures only"),
        "annotations": ("thêm chú thích", "annotations added"),
        "other": ("thay đổi khác", "other changes"),
    },
    "indication": {
        "TOTAL-PASSED": ("Đạt (TOTAL-PASSED)", "Passed (TOTAL-PASSED)"),
        "TOTAL-FAILED": ("Không đạt (TOTAL-FAILED)", "Failed (TOTAL-FAILED)"),
        "INDETERMINATE": ("Chưa xác định (INDETERMINATE)", "Indeterminate (INDETERMINATE)"),
    },
    "bool": {"true": ("có", "yes"), "false": ("không", "no")},
}

#: verdict -> colour class (HTML) and RGB (PDF)
VERDICT_COLOURS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "valid": ("ok", (0x1e, 0x7b, 0x34)),
    "valid_modified_after": ("warn", (0xb2, 0x5e, 0x00)),
    "invalid": ("bad", (0xb0, 0x00, 0x20)),
    "indeterminate": ("unknown", (0x6b, 0x4e, 0x00)),
    "unsigned": ("unsigned", (0x4a, 0x55, 0x68)),   # slate: not "indeterminate" brown
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def label(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (Vietnamese unless ``lang == "en"``)."""
    return _pick(LABELS[key], lang)


def value(kind: str, raw, lang: str) -> str:
    """``raw`` of ``kind`` in words; booleans as yes/no; anything unknown as it is."""
    if isinstance(raw, bool):
        kind, raw = "bool", str(raw).lower()
    if raw is None:
        return _pick(LABELS["none"], lang)
    pair = VALUES.get(kind, {}).get(str(raw))
    return _pick(pair, lang) if pair else str(raw)


def verdict_colour(verdict: str) -> tuple[str, tuple[int, int, int]]:
    """The colour class and RGB of ``verdict`` (grey for anything unknown)."""
    return VERDICT_COLOURS.get(verdict, ("unknown", (0x55, 0x55, 0x55)))


def messages(obj: dict | None, lang: str) -> list[str]:
    """The ``messages`` of a report object in ``lang`` (``{"vi": [...], "en": [...]}``)."""
    if not isinstance(obj, dict):
        return []
    found = obj.get("en" if lang == "en" else "vi") or []
    return [str(m) for m in found]


def added_words(added: dict | None, lang: str) -> str:
    """What a revision added, in words: pages, annotations, fields, content streams, DSS."""
    if not isinstance(added, dict):
        return ""
    vi = lang != "en"
    parts = []
    for key, one_vi, one_en in (("pages", "trang", "page(s)"),
                                ("content_streams", "luồng nội dung", "content stream(s)"),
                                ("other_objects", "đối tượng khác", "other object(s)")):
        n = added.get(key)
        if isinstance(n, int) and n:
            parts.append(f"{n} {one_vi if vi else one_en}")
    annots = added.get("annotations") or []
    if isinstance(annots, list) and annots:
        kinds = ", ".join(sorted({str(a.get("subtype", "?")) for a in annots if isinstance(a, dict)}))
        parts.append(f"{len(annots)} {'chú thích' if vi else 'annotation(s)'} ({kinds})")
    fields = added.get("fields") or []
    if isinstance(fields, list) and fields:
        parts.append(f"{'trường' if vi else 'field(s)'}: {', '.join(map(str, fields))}")
    if added.get("dss"):
        parts.append("DSS (dữ liệu kiểm tra dài hạn)" if vi else "DSS (long-term validation data)")
    return "; ".join(parts) or _pick(LABELS["none"], lang)


def chain_entries(chain, lang: str) -> list[dict]:
    """The elements of a report's ``chain`` (signer first) in words: ``name`` (CN or
    subject), ``subject``, ``details`` (serial, validity, revocation), ``sha256`` and
    ``anchor``. Anything that is not a list of objects gives an empty list."""
    if not isinstance(chain, list):
        return []
    out = []
    for c in chain:
        if not isinstance(c, dict):
            continue
        anchor = c.get("is_trust_anchor") is True
        revocation = (label("anchor_not_checked", lang) if anchor and c.get("revocation") == "not_checked"
                      else value("revocation", c.get("revocation"), lang))
        details = (f"{label('serial', lang)}: {c.get('serial') or '?'} · "
                   f"{label('validity_short', lang)}: {shown(c.get('not_before')) or '?'} → "
                   f"{shown(c.get('not_after')) or '?'} · "
                   f"{label('revocation', lang)}: {revocation}")
        out.append({"name": str(c.get("common_name") or c.get("subject") or "?"),
                    "subject": str(c.get("subject") or ""), "details": details,
                    "sha256": str(c.get("sha256") or ""), "anchor": anchor})
    return out


def chain_text(chain, lang: str, *, ends_at_anchor: bool | None = None) -> str:
    """A chain as numbered lines, signer first, the anchor marked; ends with the
    ``chain_no_anchor`` sentence when ``ends_at_anchor`` is false."""
    lines = []
    for n, e in enumerate(chain_entries(chain, lang), start=1):
        mark = f" — [{label('anchor_mark', lang)}]" if e["anchor"] else ""
        lines.append(f"{n}. {e['name']}{mark}")
        lines.append(f"    {e['subject']}")
        lines.append(f"    {e['details']}")
        lines.append(f"    SHA-256: {e['sha256']}")
    if ends_at_anchor is False:
        lines.append(label("chain_no_anchor", lang))
    return "\n".join(lines)
