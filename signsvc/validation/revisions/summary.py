"""One plain-language sentence per revision, Vietnamese first, English second.

Pure text: takes what ``added`` found and says it. Lists of names are cut after
``MAX_NAMES`` with "…" so a hostile file cannot make the sentence huge.
"""

from __future__ import annotations

from signsvc.errors import Message

from ..report import RevisionAdded

MAX_NAMES = 5
MAX_NAME_CHARS = 64


def _names(names) -> str:
    shown = [n if len(n) <= MAX_NAME_CHARS else n[:MAX_NAME_CHARS] + "…" for n in list(names)[:MAX_NAMES]]
    return ", ".join(shown) + (", …" if len(names) > MAX_NAMES else "")


def _en(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _pages(numbers) -> str:
    return _names([str(n) for n in sorted(set(numbers)) if n is not None])


def _parts(added: RevisionAdded, signature_fields: set[str]) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    if added.pages:
        parts.append((f"thêm {added.pages} trang", f"added {_en(added.pages, 'page')}"))
    if added.pages_removed:
        parts.append((f"bỏ {added.pages_removed} trang", f"removed {_en(added.pages_removed, 'page')}"))
    notes = [a for a in added.annotations if a.subtype != "Widget" or a.field not in signature_fields]
    if notes:
        kinds = _names(sorted({a.subtype or "?" for a in notes}))
        pages = _pages(a.page for a in notes)
        where_vi = f" trên trang {pages}" if pages else ""
        where_en = f" on page {pages}" if pages else ""
        parts.append((f"thêm {len(notes)} chú thích ({kinds}{where_vi})",
                      f"added {_en(len(notes), 'annotation')} ({kinds}{where_en})"))
    fields = [f for f in added.fields if f not in signature_fields]
    if fields:
        parts.append((f"thêm, điền hoặc sửa trường biểu mẫu {_names(fields)}",
                      f"added, filled or changed form field{'s' if len(fields) > 1 else ''} {_names(fields)}"))
    if added.content_streams:
        parts.append((f"thêm hoặc thay {added.content_streams} luồng nội dung trang",
                      f"added or replaced {_en(added.content_streams, 'page content stream')}"))
    if added.dss:
        parts.append(("cập nhật dữ liệu kiểm tra chữ ký (DSS)",
                      "updated the signature validation data (DSS)"))
    if added.other_objects:
        parts.append((f"ghi {added.other_objects} đối tượng khác",
                      f"wrote {_en(added.other_objects, 'other object')}"))
    return parts


def summarise(number: int, added: RevisionAdded | None, *, signatures: list[str],
              timestamps: list[str], not_analysed: str | None = None,
              max_revisions: int = 0) -> Message:
    """The sentence for revision ``number`` (1 = original). ``not_analysed`` is
    ``"revisions"`` (beyond ``max_revisions``), ``"time"`` (time budget spent) or
    ``"unreadable"``; then ``added`` is ignored."""
    head_vi = "Bản gốc" if number == 1 else f"Phiên bản {number}"
    head_en = "Original document" if number == 1 else f"Revision {number}"
    signed_vi: list[str] = []
    signed_en: list[str] = []
    if signatures:
        signed_vi.append(f"ký số vào trường {_names(signatures)}")
        signed_en.append(f"signed in field{'s' if len(signatures) > 1 else ''} {_names(signatures)}")
    if timestamps:
        signed_vi.append(f"gắn dấu thời gian tài liệu {_names(timestamps)}")
        signed_en.append(f"document timestamp {_names(timestamps)} added")
    if not_analysed is not None:
        why = {
            "revisions": (f"tài liệu có hơn {max_revisions} phiên bản, "
                          f"chỉ {max_revisions} phiên bản đầu được phân tích",
                          f"the document has more than {max_revisions} revisions; "
                          f"only the first {max_revisions} are analysed"),
            "time": ("đã hết thời gian dành cho việc phân tích", "the time allowed for the analysis ran out"),
            "unreadable": ("không đọc được các đối tượng của phiên bản này",
                           "the objects of this revision could not be read"),
        }[not_analysed]
        said_vi = "; ".join([*signed_vi, f"không phân tích nội dung thay đổi ({why[0]})"])
        said_en = "; ".join([*signed_en, f"changes not analysed ({why[1]})"])
        return Message(f"{head_vi}: {said_vi}.", f"{head_en}: {said_en}.")
    assert added is not None
    if number == 1:
        vi = [f"{added.page_count} trang, {len(added.annotations)} chú thích, {len(added.fields)} trường biểu mẫu"]
        en = [f"{_en(added.page_count, 'page')}, {_en(len(added.annotations), 'annotation')}, "
              f"{_en(len(added.fields), 'form field')}"]
        if added.dss:
            vi.append("có dữ liệu kiểm tra chữ ký (DSS)")
            en.append("with signature validation data (DSS)")
    else:
        parts = _parts(added, set(signatures) | set(timestamps))
        vi, en = [p[0] for p in parts], [p[1] for p in parts]
        if not (vi or signed_vi):
            vi, en = ["không thay đổi đối tượng nào"], ["changed no object"]
    vi, en = (vi + signed_vi, en + signed_en) if number == 1 else (signed_vi + vi, signed_en + en)
    if added.truncated:
        vi.append("danh sách bị cắt bớt vì vượt giới hạn phân tích")
        en.append("lists cut short at the analysis limits")
    return Message(f"{head_vi}: {'; '.join(vi)}.", f"{head_en}: {'; '.join(en)}.")
