"""Where each revision of a PDF ends and which revision a signature covers.

A revision ends after its ``%%EOF`` marker (and the end-of-line right after it); a
signature covers the revision whose end is the end of its ``/ByteRange``. Reads the
cross-reference sections pyHanko found and the raw bytes only; never raises for a
readable file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from ..pdfread import SignatureEntry

EOF_WINDOW = 1024 * 1024     # bytes searched for %%EOF after a revision's xref data


def byte_range(entry: SignatureEntry) -> tuple[int, int, int, int] | None:
    """The four integers of the signature's ``/ByteRange``, or ``None`` when it is missing
    or is not an array of four integers."""
    try:
        raw = entry.sig_object.raw_get("/ByteRange")
    except (KeyError, AttributeError):
        return None
    if not isinstance(raw, generic.ArrayObject) or len(raw) != 4:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        return None
    return tuple(int(v) for v in raw)  # type: ignore[return-value]


def revision_ends(reader: PdfFileReader, data: bytes) -> list[int]:
    """For each revision (oldest first), the byte length of the file up to and including
    that revision's ``%%EOF`` marker and the end-of-line right after it. A revision without
    a marker within ``EOF_WINDOW`` bytes after its xref data ends where its xref data ends;
    the last revision never ends past the end of the file."""
    ends = []
    for rev in range(reader.xrefs.total_revisions):
        start = reader.xrefs.get_xref_container_info(rev).end_location
        pos = data.find(b"%%EOF", start, min(len(data), start + EOF_WINDOW))
        if pos < 0:
            ends.append(min(start, len(data)))
            continue
        end = pos + 5
        if data[end:end + 2] == b"\r\n":
            end += 2
        elif data[end:end + 1] in (b"\r", b"\n"):
            end += 1
        ends.append(end)
    return ends


def covered_revision(entry: SignatureEntry, ends: list[int]) -> int:
    """The revision number (1 = original) the signature's signed range ends with: the
    revision whose end is the end of the ``/ByteRange``; when no revision ends there
    (a manipulated range), the revision that wrote the signature dictionary."""
    br = byte_range(entry)
    if br is not None:
        end = br[2] + br[3]
        for i, rev_end in enumerate(ends):
            if rev_end == end:
                return i + 1
    return entry.signed_revision + 1


def prefix_hashes(data: bytes, ends: Iterable[int]) -> list[str]:
    """SHA-256 of ``data[:end]`` for each end, hashing every byte once."""
    digest, done, out = hashlib.sha256(), 0, []
    view = memoryview(data)
    for end in ends:
        if end > done:
            digest.update(view[done:end])
            done = end
        out.append(digest.copy().hexdigest() if end >= done else hashlib.sha256(view[:end]).hexdigest())
    return out
