"""What one revision added compared with the previous one: pages, annotations, form
fields, content streams, DSS, and the count of objects none of these explains.

Compares two ``Snapshot`` values and the revision's own cross-reference section; bounded
as the snapshots are (``RevisionAdded.truncated`` says when either was cut).
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from ..report import AddedAnnotation, RevisionAdded
from .snapshot import MAX_DEPTH, Snapshot, appearance_keys, deref, raw_entry, ref_key


def _annotation(page: int, obj) -> AddedAnnotation:
    d = deref(obj)
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
        parent = raw_entry(node, "/Parent") if isinstance(node, generic.DictionaryObject) else None
        if not isinstance(parent, generic.IndirectObject) or ref_key(parent) in seen:
            break
        seen.add(ref_key(parent))
        node = parent.get_object()
    return ".".join(reversed(parts)) or None


def added(reader: PdfFileReader, revision: int, cur: Snapshot, prev: Snapshot | None) -> RevisionAdded:
    """What ``revision`` (0 = oldest) added compared with the previous revision ``prev``
    (``None`` for the original document, which is described whole)."""
    xrefs = reader.xrefs
    explicit = {ref_key(r) for r in xrefs.explicit_refs_in_revision(revision)}
    prev = prev or Snapshot()
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
    for k in cur.annots:
        if len(k) == 2:
            accounted.add(k)
            if k in explicit or k not in prev.annots:   # as it is in this revision
                accounted |= appearance_keys(resolver.get_object(generic.Reference(k[0], k[1], resolver)))
    for refs in cur.fields.values():
        accounted |= refs
    accounted |= {ref_key(r) for r in xrefs.xref_stream_refs}
    accounted |= {ref_key(r) for r in xrefs.object_streams_used_in(revision)}
    other = len(explicit - accounted)
    return RevisionAdded(
        pages=len(new_pages), annotations=tuple(_annotation(p, o) for p, o in annots),
        fields=tuple(fields), content_streams=len(streams), dss=dss, other_objects=other,
        truncated=cur.truncated or prev.truncated, pages_removed=pages_removed,
        page_count=len(cur.pages))
