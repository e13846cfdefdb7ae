"""Two difference-analysis rules that match the standards where pyHanko's are stricter.

- ``VriUpdateRule``: pyHanko's ``DSSCompareRule``, except that a VRI entry of an earlier
  revision may be rewritten (it is then checked like a new entry). The DSS is unsigned
  validation material that ETSI EN 319 142-1 (5.4) lets any later revision add to and
  update; DSS (``PAdESTimestampWithOrphanRefsTest``) accepts such rewrites.
- ``AnnotationModificationRule``: for certification signatures with DocMDP P=3 only
  (ISO 32000-2 Table 257: "annotation creation, deletion, and modification" permitted):
  an existing annotation of an existing page changed in any key but a form field's own
  (value, type, name, kids, flags, options), with its new dependencies, and a page
  dictionary whose only change is ``/Tabs`` (the annotations' tab order). Level
  ANNOTATIONS. Never used for approval signatures or P=1/P=2, where a changed appearance
  of a signed field stays unexplained (the "replace" shadow attack).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import HistoricalResolver, RawPdfPath
from pyhanko.sign.diff_analysis import ModificationLevel, QualifiedWhitelistRule, ReferenceUpdate
from pyhanko.sign.diff_analysis.commons import compare_dicts, compare_key_refs
from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification
from pyhanko.sign.diff_analysis.rules.form_field_rules import DSSCompareRule, _validate_dss_substructure
from pyhanko.sign.diff_analysis.rules_api import Context

FIELD_KEYS = frozenset({"/V", "/FT", "/T", "/TU", "/TM", "/Kids", "/Parent", "/Ff", "/Opt", "/Lock",
                        "/SV", "/DV", "/MaxLen", "/TI", "/I"})
MAX_ANNOTATIONS_PER_PAGE = 2000


class VriUpdateRule(DSSCompareRule):
    """``DSSCompareRule`` permitting VRI entries to be rewritten (see the module docstring)."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterable[ReferenceUpdate]:
        dss_context = Context.from_absolute(old, RawPdfPath("/Root", "/DSS"))
        old_dss, new_dss = yield from misc.map_with_return(
            compare_key_refs("/DSS", old, old.root, new.root),
            ReferenceUpdate.curry_ref(context_checked=dss_context))
        if new_dss is None:
            return
        if old_dss is None:
            old_dss = generic.DictionaryObject()
        if not isinstance(old_dss, generic.DictionaryObject) or not isinstance(new_dss, generic.DictionaryObject):
            raise SuspiciousModification("/DSS is not a dictionary")
        der_keys = {"/Certs", "/CRLs", "/OCSPs"}
        if not set(new_dss.keys()) <= {"/Type", "/VRI"} | der_keys:
            raise SuspiciousModification(f"Unexpected keys in DSS: {set(new_dss.keys())}.")
        yield from _validate_dss_substructure(old, new, old_dss, new_dss, der_keys, is_vri=False,
                                              context=dss_context)
        old_vri, new_vri = yield from misc.map_with_return(
            compare_key_refs("/VRI", old, old_dss, new_dss),
            ReferenceUpdate.curry_ref(context_checked=Context.from_absolute(old, RawPdfPath("/Root", "/DSS", "/VRI"))))
        if new_vri is None:
            return
        if not isinstance(new_vri, generic.DictionaryObject):
            raise SuspiciousModification("/VRI is not a dictionary")
        old_vri = old_vri if isinstance(old_vri, generic.DictionaryObject) else generic.DictionaryObject()
        kept = generic.DictionaryObject({k: v for k, v in old_vri.items()
                                         if k in new_vri and new_vri.raw_get(k) == v})
        for key in set(new_vri.keys()) - set(kept.keys()):  # rewritten entries, reusing old objects
            value = new_vri.raw_get(key)
            if isinstance(value, generic.IndirectObject) and not old.is_ref_unassignable(value.reference):
                yield ReferenceUpdate(value.reference)
        yield from DSSCompareRule._check_vri(old, new, kept, new_vri)


def _annots(page: generic.DictionaryObject) -> list[generic.Reference]:
    annots = page.get("/Annots")
    if not isinstance(annots, generic.ArrayObject):
        return []
    return [a.reference for a in list(annots.raw_get(i) for i in range(min(len(annots), MAX_ANNOTATIONS_PER_PAGE)))
            if isinstance(a, generic.IndirectObject)]


def _changed_outside_field_keys(old: generic.PdfObject, new: generic.PdfObject) -> bool | None:
    """True: changed in annotation keys only; False: unchanged; None: a field key changed
    (or not dictionaries)."""
    if not isinstance(old, generic.DictionaryObject) or not isinstance(new, generic.DictionaryObject):
        return None
    for key in FIELD_KEYS:
        if (old.raw_get(key) if key in old else None) != (new.raw_get(key) if key in new else None):
            return None
    return old != new


class AnnotationModificationRule(QualifiedWhitelistRule):
    """Existing annotations modified, and page /Tabs changes, at level ANNOTATIONS."""

    def apply_qualified(self, old: HistoricalResolver, new: HistoricalResolver
                        ) -> Iterator[tuple[ModificationLevel, ReferenceUpdate]]:
        from .diff_policy import _leaf_pages  # the page walk shared with AnnotationAdditionRule
        try:
            old_pages, new_pages = old.root.raw_get("/Pages"), new.root.raw_get("/Pages")
        except KeyError:
            return
        if not isinstance(old_pages, generic.IndirectObject) or not isinstance(new_pages, generic.IndirectObject):
            return
        level = ModificationLevel.ANNOTATIONS
        for old_ref, new_ref in _leaf_pages(old_pages.reference, new_pages.reference, frozenset()):
            old_page, new_page = old(old_ref).get_object(), new_ref.get_object()
            if old_page != new_page and compare_dicts(old_page, new_page, frozenset({"/Tabs"}), raise_exc=False):
                yield level, ReferenceUpdate(new_ref, context_checked=None)
            kept = set(_annots(old_page)) & set(_annots(new_page))
            for ref in kept:
                changed = _changed_outside_field_keys(old(ref).get_object(), new(ref).get_object())
                if not changed:
                    continue
                yield level, ReferenceUpdate(ref)
                for dep in new.collect_dependencies(new(ref).get_object(), since_revision=old.revision + 1):
                    yield level, ReferenceUpdate(dep)
