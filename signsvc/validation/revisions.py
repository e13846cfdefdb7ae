"""The revision view: what each incremental update of a PDF added, and which revision each
signature and document timestamp covers.

Reads the file's cross-reference sections (one per revision) and each revision's object
graph through pyHanko's historical resolvers; never decodes a stream (so decompression
bombs cost nothing here) and never follows a reference twice. The work is bounded: at
most ``MAX_REVISIONS`` revisions are analysed, each page tree, annotation list, form and
DSS walk stops at its cap, and a revision still unanalysed when ``TIME_BUDGET_SECONDS``
have passed is listed without detail. Whatever is cut is said in that revision's summary
(``analysed`` false or ``added.truncated`` true). Never raises for a readable file: a
revision whose objects cannot be read is listed as not analysed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from . import revision_summary
from .pdfread import SignatureEntry
from .report import AddedAnnotation, RevisionAdded, RevisionReport

logger = logging.getLogger(__name__)

MAX_REVISIONS = 100          # revisions analysed in detail (the first ones); later ones are listed only
MAX_PAGES = 5000             # pages walked per revision
MAX_ANNOTATIONS = 5000       # annotations read per revision (over all pages)
MAX_FIELDS = 2000            # form field nodes walked per revision
MAX_DSS_OBJECTS = 10_000     # DSS members (arrays, streams, VRI entries) collected per revision
MAX_DEPTH = 32               # page tree / field tree / /Parent chain depth
TIME_BUDGET_SECONDS = 10.0   # for the whole view
EOF_WINDOW = 1024 * 1024     # bytes searched for %%EOF after a revision's xref data

Key = tuple  # (idnum, generation) of an indirect object, or a synthetic key for a direct one


def _key(ref: generic.Reference | generic.IndirectObject) -> Key:
    if isinstance(ref, generic.IndirectObject):
        ref = ref.reference
    return (ref.idnum, ref.generation)


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


# --- one revision's state -----------------------------------------------------------------

@dataclass(frozen=True)
class _Page:
    """One page as read: its content streams, its annotations (key, object) and the
    indirect arrays (/Contents, /Annots) it depends on."""

    contents: frozenset
    annots: tuple
    deps: frozenset


@dataclass
class _Snapshot:
    """What a revision's object graph holds, as far as the caps allowed walking it."""

    pages: dict[Key, int] = field(default_factory=dict)                 # page -> number (1-based)
    page_info: dict[Key, _Page] = field(default_factory=dict)
    annots: dict[Key, tuple[int, generic.PdfObject]] = field(default_factory=dict)  # annot -> (page, obj)
    fields: dict[str, frozenset] = field(default_factory=dict)          # terminal field -> its refs
    structure: set = field(default_factory=set)                         # catalog, page tree and field nodes, /Info
    tree: set = field(default_factory=set)                              # page tree nodes and /Kids arrays
    pages_root: Key | None = None
    dss: frozenset = frozenset()                                        # DSS member refs
    has_dss: bool = False
    truncated: bool = False
    pages_truncated: bool = False


def _deref(obj):
    return obj.get_object() if isinstance(obj, (generic.IndirectObject, generic.Reference)) else obj


def _raw(d, name):
    try:
        return d.raw_get(name)
    except (KeyError, AttributeError):
        return None


def _walk_pages(root: generic.DictionaryObject, snap: _Snapshot) -> Iterator[tuple[Key, generic.DictionaryObject]]:
    """The page dictionaries of the page tree in order, each once, bounded."""
    stack = [(_raw(root, "/Pages"), 0)]
    seen: set = set()
    count = 0
    while stack:
        node_ref, depth = stack.pop()
        if not isinstance(node_ref, generic.IndirectObject) or depth > MAX_DEPTH:
            continue
        k = _key(node_ref)
        if k in seen:
            continue
        seen.add(k)
        node = node_ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            continue
        raw_kids = _raw(node, "/Kids")
        kids = _deref(raw_kids)
        if isinstance(kids, generic.ArrayObject) and (node.get("/Type") != "/Page"):
            snap.tree.add(k)
            if isinstance(raw_kids, generic.IndirectObject):
                snap.tree.add(_key(raw_kids))
            stack.extend((kid, depth + 1) for kid in reversed(list(kids)))
            continue
        count += 1
        if count > MAX_PAGES:
            snap.truncated = snap.pages_truncated = True
            return
        yield k, node


_OBJ_HEADER = re.compile(rb"\s*\d+\s+\d+\s+obj\s*(.)", re.S)


def _may_be_array(reader: PdfFileReader, revision: int, ref: generic.IndirectObject) -> bool:
    """False when the object ``ref`` points to in ``revision`` is surely not an array (its
    first token after ``obj`` is not ``[``), read from the raw bytes without parsing the
    object: a page's content stream need not be read to know it is one stream."""
    where = reader.xrefs.get_historical_ref(ref.reference, revision)
    if not isinstance(where, int):
        return True   # in an object stream (never a stream object), or unknown: read it
    stream = reader.stream
    stream.seek(where)
    m = _OBJ_HEADER.match(stream.read(64))
    return m is None or m.group(1) == b"["


def _read_page(k: Key, page: generic.DictionaryObject, reader: PdfFileReader | None = None,
               revision: int = 0) -> _Page:
    deps = set()
    contents = _raw(page, "/Contents")
    if isinstance(contents, generic.IndirectObject) and reader is not None \
            and not _may_be_array(reader, revision, contents):
        contents = frozenset({_key(contents)})
    if isinstance(contents, generic.IndirectObject):
        target = contents.get_object()
        if isinstance(target, generic.ArrayObject):
            deps.add(_key(contents))
            contents = target
        else:
            contents = frozenset({_key(contents)})
    if isinstance(contents, generic.ArrayObject):
        contents = frozenset(_key(c) for c in list(contents)[:MAX_PAGES] if isinstance(c, generic.IndirectObject))
    elif not isinstance(contents, frozenset):
        contents = frozenset()
    raw_annots = _raw(page, "/Annots")
    if isinstance(raw_annots, generic.IndirectObject):
        deps.add(_key(raw_annots))
    annots = _deref(raw_annots)
    found = []
    if isinstance(annots, generic.ArrayObject):
        for index, annot in enumerate(list(annots)[:MAX_ANNOTATIONS + 1]):
            akey = _key(annot) if isinstance(annot, generic.IndirectObject) else ("direct", k, index)
            found.append((akey, annot))
    return _Page(contents, tuple(found), frozenset(deps))


def _page_list(reader: PdfFileReader, revision: int, root, snap: _Snapshot, prev: _Snapshot | None,
               explicit: set) -> Iterator[tuple[Key, _Page]]:
    """The pages in order with what they hold. When the page tree is the previous
    revision's and none of its nodes was rewritten, the page order is reused and only
    the pages (or their /Contents, /Annots arrays) written in this revision are read again."""
    pages_ref = _raw(root, "/Pages")
    snap.pages_root = _key(pages_ref) if isinstance(pages_ref, generic.IndirectObject) else None
    if (prev is not None and not prev.pages_truncated and snap.pages_root is not None
            and snap.pages_root == prev.pages_root and not (prev.tree & explicit)):
        snap.tree = set(prev.tree)
        resolver = reader.get_historical_resolver(revision)
        for k in prev.pages:
            info = prev.page_info[k]
            if k in explicit or info.deps & explicit:
                page = resolver.get_object(generic.Reference(k[0], k[1], resolver))
                info = _read_page(k, page, reader, revision) if isinstance(page, generic.DictionaryObject) else \
                    _Page(frozenset(), (), frozenset())
            yield k, info
        return
    for k, page in _walk_pages(root, snap):
        yield k, _read_page(k, page, reader, revision)


def _read_pages(reader: PdfFileReader, revision: int, root, snap: _Snapshot, prev: _Snapshot | None,
                explicit: set) -> None:
    budget = MAX_ANNOTATIONS
    for number, (k, info) in enumerate(_page_list(reader, revision, root, snap, prev, explicit), start=1):
        snap.pages[k] = number
        snap.page_info[k] = info
        for akey, annot in info.annots:
            if budget <= 0:
                snap.truncated = True
                break
            budget -= 1
            if akey not in snap.annots:
                snap.annots[akey] = (number, annot)


def _field_nodes(root, snap: _Snapshot) -> Iterator[tuple[str, generic.IndirectObject | None, generic.DictionaryObject, list]]:
    """Terminal form fields: (qualified name, reference, dictionary, widget kid refs)."""
    form = _deref(_raw(root, "/AcroForm"))
    if not isinstance(form, generic.DictionaryObject):
        return
    fields = _deref(_raw(form, "/Fields"))
    if not isinstance(fields, generic.ArrayObject):
        return
    stack = [(f, "", 0) for f in reversed(fields)]
    seen: set = set()
    count = 0
    while stack:
        ref, prefix, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(ref, generic.IndirectObject):
            k = _key(ref)
            if k in seen:
                continue
            seen.add(k)
        count += 1
        if count > MAX_FIELDS:
            snap.truncated = True
            return
        node = _deref(ref)
        if not isinstance(node, generic.DictionaryObject):
            continue
        title = node.get("/T")
        name = f"{prefix}.{title}" if prefix and title is not None else (str(title) if title is not None else prefix)
        kids = _deref(_raw(node, "/Kids"))
        kids = list(kids) if isinstance(kids, generic.ArrayObject) else []
        sub_fields = [kid for kid in kids if isinstance(_deref(kid), generic.DictionaryObject)
                      and "/T" in _deref(kid)]
        if sub_fields:
            if isinstance(ref, generic.IndirectObject):
                snap.structure.add(_key(ref))
            stack.extend((kid, name, depth + 1) for kid in reversed(sub_fields))
            continue
        widgets = [kid for kid in kids if isinstance(kid, generic.IndirectObject)]
        yield name, ref if isinstance(ref, generic.IndirectObject) else None, node, widgets


def _read_fields(root, snap: _Snapshot) -> None:
    for name, ref, node, widgets in _field_nodes(root, snap):
        refs = {_key(w) for w in widgets}
        if ref is not None:
            refs.add(_key(ref))
        value = _raw(node, "/V")
        if isinstance(value, generic.IndirectObject):
            refs.add(_key(value))   # a signature dictionary belongs to its field
        refs |= appearance_keys(node)
        for widget in widgets:
            refs |= appearance_keys(widget.get_object())
        name = name or "(no name)"
        snap.fields[name] = frozenset(snap.fields.get(name, frozenset()) | refs)


def appearance_keys(d) -> set:
    """The appearance streams (``/AP`` ``/N``, ``/D``, ``/R``, and their states) of an
    annotation or field dictionary: they belong to it, not to "other objects"."""
    keys: set = set()
    ap = _deref(_raw(d, "/AP")) if isinstance(d, generic.DictionaryObject) else None
    if not isinstance(ap, generic.DictionaryObject):
        return keys
    for name in ("/N", "/D", "/R"):
        entry = _raw(ap, name)
        if isinstance(entry, generic.IndirectObject):
            keys.add(_key(entry))
            entry = entry.get_object()
        if isinstance(entry, generic.DictionaryObject) and not isinstance(entry, generic.StreamObject):
            keys |= {_key(v) for v in list(entry.values())[:16] if isinstance(v, generic.IndirectObject)}
    return keys


def _read_dss(root, snap: _Snapshot) -> None:
    raw = _raw(root, "/DSS")
    if raw is None:
        return
    snap.has_dss = True
    members: set = set()
    stack = [(raw, 0)]
    while stack and len(members) < MAX_DSS_OBJECTS:
        obj, depth = stack.pop()
        if depth > 4:
            continue
        if isinstance(obj, generic.IndirectObject):
            k = _key(obj)
            if k in members:
                continue
            members.add(k)
            target = obj.get_object()
            if isinstance(target, generic.StreamObject):
                continue  # a certificate, OCSP response or CRL: never decoded here
            obj = target
        if isinstance(obj, generic.DictionaryObject):
            stack.extend((_raw(obj, n), depth + 1) for n in list(obj.keys()))
        elif isinstance(obj, generic.ArrayObject):
            stack.extend((item, depth + 1) for item in obj)
    if stack:
        snap.truncated = True
    snap.dss = frozenset(members)


def snapshot(reader: PdfFileReader, revision: int, prev: _Snapshot | None = None,
             explicit: set | None = None) -> tuple[_Snapshot, Key]:
    """The state of ``revision`` (0 = oldest) and its catalog's key. ``prev`` is the state
    of ``revision - 1`` and ``explicit`` the objects ``revision`` wrote: unchanged pages are
    then taken from ``prev`` instead of being read again."""
    resolver = reader.get_historical_resolver(revision)
    root_ref = resolver.root_ref   # resolves within ``revision``, and so does all it refers to
    root = root_ref.get_object()
    snap = _Snapshot()
    if isinstance(root, generic.DictionaryObject):
        _read_pages(reader, revision, root, snap, prev, explicit or set())
        _read_fields(root, snap)
        _read_dss(root, snap)
        form = _raw(root, "/AcroForm")
        if isinstance(form, generic.IndirectObject):
            snap.structure.add(_key(form))
    root_key = _key(root_ref)
    info = _raw(resolver.trailer_view, "/Info")
    if isinstance(info, generic.IndirectObject):
        snap.structure.add(_key(info))   # document metadata (/ModDate, /Producer)
    snap.structure.add(root_key)
    return snap, root_key


# --- the difference between two revisions ----------------------------------------------

def _annotation(page: int, obj) -> AddedAnnotation:
    d = _deref(obj)
    if not isinstance(d, generic.DictionaryObject):
        return AddedAnnotation(page=page, subtype=None, field=None)
    subtype = d.get("/Subtype")
    subtype = str(subtype)[1:] if isinstance(subtype, generic.NameObject) else None
    return AddedAnnotation(page=page, subtype=subtype, field=_qualified_name(d) if subtype == "Widget" else None)


def _qualified_name(d: generic.DictionaryObject) -> str | None:
    """The fully qualified field name of a widget (its /T and its parents'), bounded."""
    parts, node, seen = [], d, set()
    for _ in range(MAX_DEPTH):
        title = node.get("/T") if isinstance(node, generic.DictionaryObject) else None
        if title is not None:
            parts.append(str(title))
        parent = _raw(node, "/Parent") if isinstance(node, generic.DictionaryObject) else None
        if not isinstance(parent, generic.IndirectObject) or _key(parent) in seen:
            break
        seen.add(_key(parent))
        node = parent.get_object()
    return ".".join(reversed(parts)) or None


def added(reader: PdfFileReader, revision: int, cur: _Snapshot, prev: _Snapshot | None) -> RevisionAdded:
    """What ``revision`` (0 = oldest) added compared with the previous revision ``prev``
    (``None`` for the original document, which is described whole)."""
    xrefs = reader.xrefs
    explicit = {_key(r) for r in xrefs.explicit_refs_in_revision(revision)}
    prev = prev or _Snapshot()
    first = revision == 0

    new_pages = [k for k in cur.pages if k not in prev.pages]
    pages_removed = len([k for k in prev.pages if k not in cur.pages])
    annots = [(page, obj) for k, (page, obj) in cur.annots.items() if k not in prev.annots]
    fields = sorted(name for name, refs in cur.fields.items()
                    if first or name not in prev.fields or refs & explicit)
    streams: set = set()
    for page, info in cur.page_info.items():
        before = prev.page_info[page].contents if page in prev.page_info else frozenset()
        streams |= {k for k in info.contents if first or k not in before or k in explicit}
    dss = cur.has_dss and (first or not prev.has_dss or bool(cur.dss & explicit)
                           or cur.dss != prev.dss)

    accounted = set(cur.pages) | set(streams) | set(cur.structure) | set(cur.tree) | set(cur.dss)
    for info in cur.page_info.values():
        accounted |= info.deps
    resolver = reader.get_historical_resolver(revision)
    for k, (_, obj) in cur.annots.items():
        if len(k) == 2:
            accounted.add(k)
            if k in explicit or k not in prev.annots:   # as it is in this revision
                accounted |= appearance_keys(resolver.get_object(generic.Reference(k[0], k[1], resolver)))
    for refs in cur.fields.values():
        accounted |= refs
    accounted |= {_key(r) for r in xrefs.xref_stream_refs}
    accounted |= {_key(r) for r in xrefs.object_streams_used_in(revision)}
    other = len(explicit - accounted)
    return RevisionAdded(
        pages=len(new_pages), annotations=tuple(_annotation(p, o) for p, o in annots),
        fields=tuple(fields), content_streams=len(streams), dss=dss, other_objects=other,
        truncated=cur.truncated or prev.truncated, pages_removed=pages_removed,
        page_count=len(cur.pages))


# --- the view -----------------------------------------------------------------------------

def _prefix_hashes(data: bytes, ends: Iterable[int]) -> list[str]:
    """SHA-256 of ``data[:end]`` for each end, hashing every byte once."""
    digest, done, out = hashlib.sha256(), 0, []
    view = memoryview(data)
    for end in ends:
        if end > done:
            digest.update(view[done:end])
            done = end
        out.append(digest.copy().hexdigest() if end >= done else hashlib.sha256(view[:end]).hexdigest())
    return out


def revision_view(reader: PdfFileReader, data: bytes, entries: list[SignatureEntry],
                  *, max_revisions: int = MAX_REVISIONS,
                  time_budget: float = TIME_BUDGET_SECONDS) -> tuple[RevisionReport, ...]:
    """One ``RevisionReport`` per revision of the file, oldest first (see the module doc)."""
    deadline = time.monotonic() + time_budget
    total = reader.xrefs.total_revisions
    ends = revision_ends(reader, data)
    hashes = _prefix_hashes(data, ends)
    sigs: dict[int, list[str]] = {}
    stamps: dict[int, list[str]] = {}
    for entry in entries:
        target = stamps if entry.kind == "timestamp" else sigs
        target.setdefault(covered_revision(entry, ends), []).append(entry.field)

    reports = []
    prev: _Snapshot | None = None
    stopped: str | None = None
    for rev in range(total):
        number = rev + 1
        details: RevisionAdded | None = None
        if stopped is None and rev >= max_revisions:
            stopped = "revisions"
        elif stopped is None and time.monotonic() > deadline:
            stopped = "time"
        if stopped is None:
            try:
                explicit = {_key(r) for r in reader.xrefs.explicit_refs_in_revision(rev)}
                cur, _ = snapshot(reader, rev, prev, explicit)
                details = added(reader, rev, cur, prev)
                prev = cur
            except Exception as exc:  # unreadable objects in this revision: listed, not analysed
                logger.info("revision %d not analysed: %s: %s", number, type(exc).__name__, exc)
                prev = None
        reason = stopped or ("unreadable" if details is None else None)
        summary = revision_summary.summarise(
            number, details, signatures=sigs.get(number, []), timestamps=stamps.get(number, []),
            not_analysed=reason, max_revisions=max_revisions)
        reports.append(RevisionReport(
            number=number, end_offset=ends[rev], sha256=hashes[rev],
            signatures=tuple(sigs.get(number, ())), document_timestamps=tuple(stamps.get(number, ())),
            added=details or RevisionAdded(), analysed=details is not None,
            summary_vi=summary.vi, summary_en=summary.en))
    return tuple(reports)
