"""One revision's state: what its object graph holds (pages in order, their content
streams and annotations, terminal form fields, the DSS), read through pyHanko's historical
resolver for that revision.

Never decodes a stream and never follows a reference twice; every walk stops at its cap
(``MAX_PAGES``, ``MAX_ANNOTATIONS``, ``MAX_FIELDS``, ``MAX_DSS_OBJECTS``, ``MAX_DEPTH``) and
a cut walk sets ``Snapshot.truncated``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

MAX_PAGES = 5000             # pages walked per revision
MAX_ANNOTATIONS = 5000       # annotations read per revision (over all pages)
MAX_FIELDS = 2000            # form field nodes walked per revision
MAX_DSS_OBJECTS = 10_000     # DSS members (arrays, streams, VRI entries) collected per revision
MAX_DEPTH = 32               # page tree / field tree / /Parent chain depth

Key = tuple  # (idnum, generation) of an indirect object, or a synthetic key for a direct one


def ref_key(ref: generic.Reference | generic.IndirectObject) -> Key:
    """The (idnum, generation) of an indirect object or reference."""
    if isinstance(ref, generic.IndirectObject):
        ref = ref.reference
    return (ref.idnum, ref.generation)


def deref(obj: Any) -> Any:
    """``obj`` resolved when it is a reference, else ``obj``."""
    return obj.get_object() if isinstance(obj, (generic.IndirectObject, generic.Reference)) else obj


def raw_entry(d: Any, name: str) -> Any:
    """The unresolved value of ``d[name]``; ``None`` when missing or ``d`` is no dictionary."""
    try:
        return d.raw_get(name)
    except (KeyError, AttributeError):
        return None


@dataclass(frozen=True)
class PageState:
    """One page as read: its content streams, its annotations (key, object) and the
    indirect arrays (/Contents, /Annots) it depends on."""

    contents: frozenset
    annots: tuple
    deps: frozenset


@dataclass
class Snapshot:
    """What a revision's object graph holds, as far as the caps allowed walking it."""

    pages: dict[Key, int] = field(default_factory=dict)                 # page -> number (1-based)
    page_info: dict[Key, PageState] = field(default_factory=dict)
    annots: dict[Key, tuple[int, generic.PdfObject]] = field(default_factory=dict)  # annot -> (page, obj)
    fields: dict[str, frozenset] = field(default_factory=dict)          # terminal field -> its refs
    structure: set = field(default_factory=set)                         # catalog, page tree and field nodes, /Info
    tree: set = field(default_factory=set)                              # page tree nodes and /Kids arrays
    pages_root: Key | None = None
    dss: frozenset = frozenset()                                        # DSS member refs
    has_dss: bool = False
    truncated: bool = False
    pages_truncated: bool = False


def _walk_pages(root: generic.DictionaryObject, snap: Snapshot) -> Iterator[tuple[Key, generic.DictionaryObject]]:
    """The page dictionaries of the page tree in order, each once, bounded."""
    stack = [(raw_entry(root, "/Pages"), 0)]
    seen: set = set()
    count = 0
    while stack:
        node_ref, depth = stack.pop()
        if not isinstance(node_ref, generic.IndirectObject) or depth > MAX_DEPTH:
            continue
        k = ref_key(node_ref)
        if k in seen:
            continue
        seen.add(k)
        node = node_ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            continue
        raw_kids = raw_entry(node, "/Kids")
        kids = deref(raw_kids)
        if isinstance(kids, generic.ArrayObject) and (node.get("/Type") != "/Page"):
            snap.tree.add(k)
            if isinstance(raw_kids, generic.IndirectObject):
                snap.tree.add(ref_key(raw_kids))
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
               revision: int = 0) -> PageState:
    deps = set()
    contents = raw_entry(page, "/Contents")
    if isinstance(contents, generic.IndirectObject) and reader is not None \
            and not _may_be_array(reader, revision, contents):
        contents = frozenset({ref_key(contents)})
    if isinstance(contents, generic.IndirectObject):
        target = contents.get_object()
        if isinstance(target, generic.ArrayObject):
            deps.add(ref_key(contents))
            contents = target
        else:
            contents = frozenset({ref_key(contents)})
    if isinstance(contents, generic.ArrayObject):
        contents = frozenset(ref_key(c) for c in list(contents)[:MAX_PAGES] if isinstance(c, generic.IndirectObject))
    elif not isinstance(contents, frozenset):
        contents = frozenset()
    raw_annots = raw_entry(page, "/Annots")
    if isinstance(raw_annots, generic.IndirectObject):
        deps.add(ref_key(raw_annots))
    annots = deref(raw_annots)
    found = []
    if isinstance(annots, generic.ArrayObject):
        for index, annot in enumerate(list(annots)[:MAX_ANNOTATIONS + 1]):
            akey = ref_key(annot) if isinstance(annot, generic.IndirectObject) else ("direct", k, index)
            found.append((akey, annot))
    return PageState(contents, tuple(found), frozenset(deps))


def _page_list(reader: PdfFileReader, revision: int, root, snap: Snapshot, prev: Snapshot | None,
               explicit: set) -> Iterator[tuple[Key, PageState]]:
    """The pages in order with what they hold. When the page tree is the previous
    revision's and none of its nodes was rewritten, the page order is reused and only
    the pages (or their /Contents, /Annots arrays) written in this revision are read again."""
    pages_ref = raw_entry(root, "/Pages")
    snap.pages_root = ref_key(pages_ref) if isinstance(pages_ref, generic.IndirectObject) else None
    if (prev is not None and not prev.pages_truncated and snap.pages_root is not None
            and snap.pages_root == prev.pages_root and not (prev.tree & explicit)):
        snap.tree = set(prev.tree)
        resolver = reader.get_historical_resolver(revision)
        for k in prev.pages:
            info = prev.page_info[k]
            if k in explicit or info.deps & explicit:
                page = resolver.get_object(generic.Reference(k[0], k[1], resolver))
                info = _read_page(k, page, reader, revision) if isinstance(page, generic.DictionaryObject) else \
                    PageState(frozenset(), (), frozenset())
            yield k, info
        return
    for k, page in _walk_pages(root, snap):
        yield k, _read_page(k, page, reader, revision)


def _read_pages(reader: PdfFileReader, revision: int, root, snap: Snapshot, prev: Snapshot | None,
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


def _field_nodes(root: Any, snap: Snapshot,
                 ) -> Iterator[tuple[str, generic.IndirectObject | None, generic.DictionaryObject, list]]:
    """Terminal form fields: (qualified name, reference, dictionary, widget kid refs)."""
    form = deref(raw_entry(root, "/AcroForm"))
    if not isinstance(form, generic.DictionaryObject):
        return
    fields = deref(raw_entry(form, "/Fields"))
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
            k = ref_key(ref)
            if k in seen:
                continue
            seen.add(k)
        count += 1
        if count > MAX_FIELDS:
            snap.truncated = True
            return
        node = deref(ref)
        if not isinstance(node, generic.DictionaryObject):
            continue
        title = node.get("/T")
        name = f"{prefix}.{title}" if prefix and title is not None else (str(title) if title is not None else prefix)
        kids = deref(raw_entry(node, "/Kids"))
        kids = list(kids) if isinstance(kids, generic.ArrayObject) else []
        sub_fields = [kid for kid in kids if isinstance(deref(kid), generic.DictionaryObject)
                      and "/T" in deref(kid)]
        if sub_fields:
            if isinstance(ref, generic.IndirectObject):
                snap.structure.add(ref_key(ref))
            stack.extend((kid, name, depth + 1) for kid in reversed(sub_fields))
            continue
        widgets = [kid for kid in kids if isinstance(kid, generic.IndirectObject)]
        yield name, ref if isinstance(ref, generic.IndirectObject) else None, node, widgets


def _read_fields(root, snap: Snapshot) -> None:
    for name, ref, node, widgets in _field_nodes(root, snap):
        refs = {ref_key(w) for w in widgets}
        if ref is not None:
            refs.add(ref_key(ref))
        value = raw_entry(node, "/V")
        if isinstance(value, generic.IndirectObject):
            refs.add(ref_key(value))   # a signature dictionary belongs to its field
        refs |= appearance_keys(node)
        for widget in widgets:
            refs |= appearance_keys(widget.get_object())
        name = name or "(no name)"
        snap.fields[name] = frozenset(snap.fields.get(name, frozenset()) | refs)


def appearance_keys(d) -> set:
    """The appearance streams (``/AP`` ``/N``, ``/D``, ``/R``, and their states) of an
    annotation or field dictionary: they belong to it, not to "other objects"."""
    keys: set = set()
    ap = deref(raw_entry(d, "/AP")) if isinstance(d, generic.DictionaryObject) else None
    if not isinstance(ap, generic.DictionaryObject):
        return keys
    for name in ("/N", "/D", "/R"):
        entry = raw_entry(ap, name)
        if isinstance(entry, generic.IndirectObject):
            keys.add(ref_key(entry))
            entry = entry.get_object()
        if isinstance(entry, generic.DictionaryObject) and not isinstance(entry, generic.StreamObject):
            keys |= {ref_key(v) for v in list(entry.values())[:16] if isinstance(v, generic.IndirectObject)}
    return keys


def _read_dss(root, snap: Snapshot) -> None:
    raw = raw_entry(root, "/DSS")
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
            k = ref_key(obj)
            if k in members:
                continue
            members.add(k)
            target = obj.get_object()
            if isinstance(target, generic.StreamObject):
                continue  # a certificate, OCSP response or CRL: never decoded here
            obj = target
        if isinstance(obj, generic.DictionaryObject):
            stack.extend((raw_entry(obj, n), depth + 1) for n in list(obj.keys()))
        elif isinstance(obj, generic.ArrayObject):
            stack.extend((item, depth + 1) for item in obj)
    if stack:
        snap.truncated = True
    snap.dss = frozenset(members)


def snapshot(reader: PdfFileReader, revision: int, prev: Snapshot | None = None,
             explicit: set | None = None) -> tuple[Snapshot, Key]:
    """The state of ``revision`` (0 = oldest) and its catalog's key. ``prev`` is the state
    of ``revision - 1`` and ``explicit`` the objects ``revision`` wrote: unchanged pages are
    then taken from ``prev`` instead of being read again."""
    resolver = reader.get_historical_resolver(revision)
    root_ref = resolver.root_ref   # resolves within ``revision``, and so does all it refers to
    root = root_ref.get_object()
    snap = Snapshot()
    if isinstance(root, generic.DictionaryObject):
        _read_pages(reader, revision, root, snap, prev, explicit or set())
        _read_fields(root, snap)
        _read_dss(root, snap)
        form = raw_entry(root, "/AcroForm")
        if isinstance(form, generic.IndirectObject):
            snap.structure.add(ref_key(form))
    root_key = ref_key(root_ref)
    info = raw_entry(resolver.trailer_view, "/Info")
    if isinstance(info, generic.IndirectObject):
        snap.structure.add(ref_key(info))   # document metadata (/ModDate, /Producer)
    snap.structure.add(root_key)
    return snap, root_key
