"""Rebuilding broken cross-reference data by scanning for objects (as poppler and Acrobat
repair files), only so that a report can be produced.

``rebuild(data)`` returns the uploaded bytes unchanged followed by one new cross-reference
stream that lists every object found by scanning (``N G obj`` at the start of a line, the last
definition winning, and the members of the object streams found), with the trailer of the
last well-formed trailer in the file: a ``trailer`` dictionary, or an XRef stream whose
data decodes to exactly what its ``/W`` and ``/Index`` declare. Nothing before the end of
the upload moves, so every ``/ByteRange`` still addresses the uploaded bytes; a range
reaching past the end of the upload is the caller's to refuse (it would hash the repair).

Bounded: at most ``MAX_OBJECTS`` objects, ``MAX_OBJECT_STREAMS`` object streams; a file
without a trailer that names a catalog is not repaired (``None``).
"""

from __future__ import annotations

import io
import logging
import re
import struct
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

logger = logging.getLogger(__name__)

MAX_OBJECTS = 200_000
MAX_OBJECT_STREAMS = 2_000
_WS = rb"[\x00\t\n\x0c\r ]"
# an object header at the start of a line (never inside a "%" comment, as verbose writers list
# their xref there); group 1 starts where the object does
OBJECT_HEADER = re.compile(rb"(?:^|[\r\n])[ \t]*(\d{1,10})" + _WS + rb"{1,8}(\d{1,5})" + _WS
                           + rb"{1,8}obj(?![A-Za-z0-9])")
_TRAILER = re.compile(rb"trailer" + _WS + rb"*<<")
_REF = rb"\s+(\d{1,10})\s+(\d{1,5})\s+R"
_ROOT = re.compile(rb"/Root" + _REF)
_INFO = re.compile(rb"/Info" + _REF)
_ENCRYPT = re.compile(rb"/Encrypt" + _REF)
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f\s]*)>\s*<([0-9A-Fa-f\s]*)>\s*\]")
_XREF_TYPE = re.compile(rb"/Type\s*/XRef\b")
DICT_WINDOW = 4096


@dataclass(frozen=True)
class Rebuilt:
    data: bytes          # the upload followed by the rebuilt cross-reference stream
    objects: int         # objects listed
    description: str     # what was repaired, for the report


@dataclass(frozen=True)
class _Trailer:
    position: int
    root: tuple[int, int]
    info: tuple[int, int] | None
    encrypt: tuple[int, int] | None
    ids: tuple[bytes, bytes] | None
    xref_stream: int | None   # object number when taken from an XRef stream


def _ref(pattern: re.Pattern, text: bytes) -> tuple[int, int] | None:
    m = pattern.search(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _trailer_at(data: bytes, position: int, xref_stream: int | None) -> _Trailer | None:
    text = data[position:position + DICT_WINDOW]
    end = text.find(b"stream") if xref_stream is not None else text.find(b">>\n")
    if end > 0:
        text = text[:end + 2]
    root = _ref(_ROOT, text)
    if root is None:
        return None
    m = _ID.search(text)
    ids = (bytes.fromhex(m.group(1).decode().replace(" ", "")), bytes.fromhex(m.group(2).decode().replace(" ", ""))) \
        if m else None
    return _Trailer(position, root, _ref(_INFO, text), _ref(_ENCRYPT, text), ids, xref_stream)


def _scan(data: bytes) -> tuple[dict[int, tuple[int, int]], list[_Trailer]]:
    objects: dict[int, tuple[int, int]] = {}
    trailers: list[_Trailer] = []
    for m in OBJECT_HEADER.finditer(data):
        num, gen = int(m.group(1)), int(m.group(2))
        if num == 0 or gen > 0xFFFF:
            continue
        objects[num] = (m.start(1), gen)
        if len(objects) > MAX_OBJECTS:
            raise ValueError("too many objects to repair")
        head = data[m.end():m.end() + DICT_WINDOW]
        stream_at = head.find(b"stream")
        if _XREF_TYPE.search(head[:stream_at if stream_at > 0 else len(head)]):
            t = _trailer_at(data, m.end(), num)
            if t is not None:
                trailers.append(t)
    for m in _TRAILER.finditer(data):
        t = _trailer_at(data, m.start(), None)
        if t is not None:
            trailers.append(t)
    trailers.sort(key=lambda t: t.position)
    return objects, trailers


def _xref_stream(entries: dict[int, tuple[int, int, int]], trailer: _Trailer, start: int) -> bytes:
    """An uncompressed XRef stream (/W [1 4 2]) listing ``entries`` and itself, at ``start``.

    Only the numbers present are listed (``/Index`` subsections of consecutive numbers), so
    its size follows the objects found, never the largest object number a file claims (one
    ``99999999 0 obj`` must not cost a hundred million rows)."""
    own = max(entries) + 1
    table = dict(entries)
    table[own] = (1, start, 0)
    numbers = [0, *sorted(table)]
    index: list[int] = []
    rows = []
    for num in numbers:
        if index and index[-2] + index[-1] == num:
            index[-1] += 1
        else:
            index += [num, 1]
        kind, a, b = table.get(num, (0, 0, 0xFFFF))
        rows.append(struct.pack(">BIH", kind, a, b))
    body = b"".join(rows)
    extra = b""
    if trailer.info:
        extra += b" /Info %d %d R" % trailer.info
    if trailer.encrypt:
        extra += b" /Encrypt %d %d R" % trailer.encrypt
    if trailer.ids:
        extra += b" /ID [<%s> <%s>]" % (trailer.ids[0].hex().encode(), trailer.ids[1].hex().encode())
    head = (b"%d 0 obj\n<< /Type /XRef /Size %d /Index [%s] /W [1 4 2] /Root %d %d R%s /Length %d >>\n"
            b"stream\n" % (own, own + 1, b" ".join(b"%d" % i for i in index), trailer.root[0],
                           trailer.root[1], extra, len(body)))
    return head + body + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start


def _assemble(data: bytes, entries: dict[int, tuple[int, int, int]], trailer: _Trailer) -> bytes:
    start = len(data) + 1
    return data + b"\n" + _xref_stream(entries, trailer, start)


def _open(candidate: bytes) -> PdfFileReader:
    reader = PdfFileReader(io.BytesIO(candidate), strict=False)
    if reader.encrypted:
        reader.decrypt("")
    return reader


def _xref_stream_consistent(reader: PdfFileReader, xref_stream: int) -> bool:
    """Whether the XRef stream (object ``xref_stream``) the trailer comes from decodes to
    what /W and /Index declare."""
    try:
        obj = reader.get_object(generic.Reference(xref_stream, 0))
        widths = [int(w) for w in obj["/W"]]
        index = [int(i) for i in obj.get("/Index", [0, int(obj["/Size"])])]
        rows = sum(index[1::2])
        return len(obj.data) == rows * sum(widths)
    except Exception:
        return False


def _object_stream_members(reader: PdfFileReader, objects: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Compressed objects: number -> (object stream number, index), later streams winning."""
    members: dict[int, tuple[int, int]] = {}
    streams = 0
    for num, (_, gen) in sorted(objects.items(), key=lambda kv: kv[1][0]):
        try:
            obj = reader.get_object(generic.Reference(num, gen))
            if not isinstance(obj, generic.StreamObject) or obj.get("/Type") != "/ObjStm":
                continue
            streams += 1
            if streams > MAX_OBJECT_STREAMS:
                break
            n, first = int(obj["/N"]), int(obj["/First"])
            numbers = obj.data[:first].split()[0:2 * n:2]
            for idx, member in enumerate(numbers):
                members[int(member)] = (num, idx)
        except Exception as exc:  # an unreadable object stream: its members stay unlisted
            logger.info("object stream %d not read during repair: %s", num, exc)
    return members


def rebuild(data: bytes) -> Rebuilt | None:
    """The upload with a cross-reference stream rebuilt by scanning, or ``None`` when no
    well-formed trailer naming a catalog is found (see the module docstring)."""
    try:
        objects, trailers = _scan(data)
    except ValueError:
        return None
    if not objects or not trailers:
        return None
    plain = {num: (1, pos, gen) for num, (pos, gen) in objects.items()}
    for trailer in reversed(trailers):
        try:
            reader = _open(_assemble(data, plain, trailer))
            stream = trailer.xref_stream
            if stream is not None and not _xref_stream_consistent(reader, stream):
                continue
            members = _object_stream_members(reader, objects)
            entries = {**{num: (2, s, i) for num, (s, i) in members.items() if num not in objects}, **plain}
            if len(entries) > MAX_OBJECTS:
                return None
            repaired = _assemble(data, entries, trailer)
            _ = _open(repaired).root["/Pages"]
        except Exception as exc:
            logger.info("repair with the trailer at %d failed: %s", trailer.position, exc)
            continue
        source = "XRef stream" if trailer.xref_stream is not None else "trailer"
        return Rebuilt(repaired, len(entries),
                       f"xref rebuilt by object scan: {len(entries)} objects, {source} at byte {trailer.position}")
    return None
