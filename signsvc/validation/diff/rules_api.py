"""What signsvc's difference-analysis rules build on (pyHanko's own rules API is
``pyhanko.sign.diff_analysis.rules_api``): walking the leaf pages of a page tree that two
revisions share, and reading a page's annotation references.

Every walk is bounded (``MAX_ANNOTATIONS_PER_PAGE``; the page-tree walk visits a node once).
"""

from __future__ import annotations

from collections.abc import Iterator

from pyhanko.pdf_utils import generic

MAX_ANNOTATIONS_PER_PAGE = 2000


def indirect_refs(value: generic.PdfObject) -> list[generic.Reference] | None:
    """The references of an array of indirect objects; ``None`` when ``value`` is not an
    array or holds a direct object."""
    array = value.get_object()
    if not isinstance(array, generic.ArrayObject):
        return None
    refs = []
    for item in array:
        if not isinstance(item, generic.IndirectObject):
            return None
        refs.append(item.reference)
    return refs


def page_annots(page: generic.DictionaryObject,
                ) -> tuple[list[generic.Reference] | None, generic.Reference | None]:
    """A page's annotation references (``None``: not an array of indirect objects) and the
    reference of its ``/Annots`` array when that array is an indirect object."""
    if "/Annots" not in page:
        return [], None
    raw = page.raw_get("/Annots")
    ref = raw.reference if isinstance(raw, generic.IndirectObject) else None
    return indirect_refs(raw), ref


def annotation_refs(page: generic.DictionaryObject) -> list[generic.Reference]:
    """The indirect annotations of a page, at most ``MAX_ANNOTATIONS_PER_PAGE``."""
    annots = page.get("/Annots")
    if not isinstance(annots, generic.ArrayObject):
        return []
    return [a.reference for a in list(annots.raw_get(i) for i in range(min(len(annots), MAX_ANNOTATIONS_PER_PAGE)))
            if isinstance(a, generic.IndirectObject)]


def leaf_pages(old_node_ref: generic.Reference, new_node_ref: generic.Reference,
               seen: frozenset) -> Iterator[tuple[generic.Reference, generic.Reference]]:
    """(old, new) reference pairs of the leaf pages of a page tree whose /Kids arrays are the
    same in both revisions; a subtree whose /Kids changed is skipped (not explained here)."""
    if old_node_ref in seen:
        return
    old_node, new_node = old_node_ref.get_object(), new_node_ref.get_object()
    if not isinstance(old_node, generic.DictionaryObject) or not isinstance(new_node, generic.DictionaryObject):
        return
    if old_node.get("/Type") == "/Page":
        yield old_node_ref, new_node_ref
        return
    old_kids = indirect_refs(old_node.get("/Kids", generic.ArrayObject()))
    new_kids = indirect_refs(new_node.get("/Kids", generic.ArrayObject()))
    if old_kids is None or new_kids is None or old_kids != new_kids:
        return  # page tree changed: not ours to explain
    for old_kid, new_kid in zip(old_kids, new_kids):
        yield from leaf_pages(old_kid, new_kid, seen | {old_node_ref})
