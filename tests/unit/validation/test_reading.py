"""Reading real-world files (issue 12): hybrid-reference conflicts, the object-scan repair,
objects hidden after a signed range. Files are built here byte by byte."""

from __future__ import annotations

import struct

import pytest

from signsvc.errors import MalformedPdf
from signsvc.validation import repair
from signsvc.validation.reading import hybrid_conflicts, open_for_validation

CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>"


def _stream(text: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text)


def _objects(bodies: list[tuple[int, bytes]], head: bytes = b"%PDF-1.7\n") -> tuple[bytes, dict[int, int]]:
    out, offsets = bytearray(head), {}
    for num, body in bodies:
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    return bytes(out), offsets


def _table(offsets: dict[int, int], size: int) -> bytes:
    rows = [b"0000000000 65535 f \n"]
    for num in range(1, size):
        rows.append(b"%010d 00000 n \n" % offsets[num] if num in offsets else b"0000000000 00000 f \n")
    return b"xref\n0 %d\n" % size + b"".join(rows)


def hybrid(conflict: bool) -> bytes:
    """Objects 1-3 and two content streams, 4 ("A") and 6 ("B"). The table lists 4 at A;
    the /XRefStm (object 5) lists 4 at B's offset when ``conflict``, else as free."""
    data, offsets = _objects([(1, CATALOG), (2, PAGES), (3, PAGE), (4, _stream(b"(A) Tj")),
                              (6, _stream(b"(B) Tj"))])
    entry_4 = struct.pack(">BIH", 1, offsets[6], 0) if conflict else struct.pack(">BIH", 0, 0, 0)
    rows = struct.pack(">BIH", 0, 0, 0xFFFF) + entry_4  # /Index [0 1 4 1]: objects 0 and 4
    stm_at = len(data)
    body = b"<< /Type /XRef /Size 7 /W [1 4 2] /Index [0 1 4 1] /Length %d >>\nstream\n" % len(rows)
    data += b"5 0 obj\n" + body + rows + b"\nendstream\nendobj\n"
    offsets[5] = stm_at
    xref_at = len(data)
    data += _table({k: v for k, v in offsets.items() if k != 6}, 7)
    data += b"trailer\n<< /Size 7 /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n" % (stm_at, xref_at)
    return data


def test_hybrid_file_is_read_with_both_parts_and_a_conflict_is_found():
    clean = open_for_validation(hybrid(conflict=False))
    assert clean.reading == "hybrid" and clean.findings == ()
    assert hybrid_conflicts(clean.reader) == []
    bad = open_for_validation(hybrid(conflict=True))
    assert hybrid_conflicts(bad.reader) == [4]
    (position, finding), = bad.findings
    assert position == -1 and "XRefStm" in finding.en and "7.5.8.4" in finding.vi


def _plain_pdf(startxref_shift: int = 0, comment: bytes = b"") -> bytes:
    data, offsets = _objects([(1, CATALOG), (2, PAGES), (3, PAGE), (4, _stream(b"(A) Tj"))],
                             head=b"%PDF-1.7\n" + comment)
    xref_at = len(data)
    return data + _table(offsets, 5) + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        xref_at + startxref_shift)


def test_repair_rebuilds_by_scanning_lines_never_comments():
    broken = _plain_pdf(startxref_shift=7, comment=b"% 9 0 obj listed in a comment\n")
    rebuilt = repair.rebuild(broken)
    assert rebuilt is not None and rebuilt.data.startswith(broken)  # nothing before the end moves
    assert rebuilt.objects == 4 and "trailer at byte" in rebuilt.description
    opened = open_for_validation(broken)
    assert opened.reading == "repaired" and opened.cap[0] == "FORMAT_FAILURE"
    assert opened.repair.startswith("xref rebuilt by object scan: 4 objects")


def test_nothing_to_repair_without_a_trailer_naming_a_catalog():
    broken = _plain_pdf(startxref_shift=7).replace(b"/Root 1 0 R", b"/Info 1 0 R")
    assert repair.rebuild(broken) is None
    with pytest.raises(MalformedPdf):
        open_for_validation(broken)


def test_repair_cost_follows_the_objects_found_not_the_largest_number():
    """One object claiming number 99,999,999 (found by fuzzing: the rebuilt xref listed every
    number up to it, minutes of CPU): the repair lists only the numbers present."""
    import time

    data, _offsets = _objects([(1, CATALOG), (2, PAGES), (3, PAGE), (99_999_999, _stream(b"(A) Tj"))],
                              head=b"%PDF-1.7\n")
    broken = data + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(data) + 7)
    started = time.monotonic()
    rebuilt = repair.rebuild(broken)
    assert time.monotonic() - started < 2
    assert rebuilt is not None and rebuilt.objects == 4
    assert len(rebuilt.data) - len(broken) < 1000
    opened = open_for_validation(broken)
    assert opened.reading == "repaired"
    from pyhanko.pdf_utils import generic

    far = opened.reader.get_object(generic.Reference(99_999_999, 0))
    assert isinstance(far, generic.StreamObject) and far.data == b"(A) Tj"
