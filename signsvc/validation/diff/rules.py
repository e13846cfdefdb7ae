"""signsvc's difference-analysis rules: where pyHanko's default policy is stricter than
the standards (or than VAL-4), and one where it is looser.

- ``AnnotationAdditionRule``: pyHanko's ``DEFAULT_DIFF_POLICY`` never yields
  ``ModificationLevel.ANNOTATIONS``: any page annotation added after signing is "other"
  (and so invalidates the signature). VAL-4 asks for an "annotation" class, so this rule
  approves exactly this change to a page: annotations appended to ``/Annots``, with the
  page dictionary otherwise unchanged and no annotation removed, where every new
  annotation is a fresh object and either

  - the widget of a signature field created at the root of the form since the signed
    revision (level LTA_UPDATES, as pyHanko's own widget binding), or
  - a markup annotation without actions (level ANNOTATIONS), together with its own new
    dependencies (appearance streams, pop-ups).

  pyHanko's widget binding (``SigFieldCreationRule(approve_widget_bindings=True)``)
  rejects a page that gained both a signature widget and a markup annotation since the
  signed revision, so the policy turns that binding off and this rule does it instead.
- ``SignedValueFieldRule`` replaces pyHanko's ``GenericFieldModificationRule``: filling a
  field that was empty when the document was signed is form filling, but changing the
  value or the appearance of a field that was already filled (the value the signer saw
  and signed) is not (the "replace" shadow attack): it stays unexplained.
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

Which rules apply to which signature: ``signsvc.validation.diff.policy``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import HistoricalResolver, RawPdfPath
from pyhanko.sign.diff_analysis import (
    GenericFieldModificationRule,
    ModificationLevel,
    QualifiedWhitelistRule,
    ReferenceUpdate,
)
from pyhanko.sign.diff_analysis.commons import compare_dicts, compare_key_refs
from pyhanko.sign.diff_analysis.form_rules_api import (
    FieldComparisonContext,
    FieldComparisonSpec,
    FormUpdate,
)
from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification
from pyhanko.sign.diff_analysis.rules.form_field_rules import (
    DSSCompareRule,
    _validate_dss_substructure,
)
from pyhanko.sign.diff_analysis.rules_api import Context, RelativeContext

from .rules_api import annotation_refs, indirect_refs, leaf_pages, page_annots

MARKUP_SUBTYPES = frozenset({
    "/Text", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine",
    "/Highlight", "/Underline", "/Squiggly", "/StrikeOut", "/Stamp", "/Caret", "/Ink",
    "/Popup",
})
FIELD_KEYS = frozenset({"/V", "/FT", "/T", "/TU", "/TM", "/Kids", "/Parent", "/Ff", "/Opt", "/Lock",
                        "/SV", "/DV", "/MaxLen", "/TI", "/I"})


# --- annotations added to existing pages ---------------------------------------------------

def _new_signature_widgets(old: HistoricalResolver, new: HistoricalResolver) -> set[generic.Reference]:
    """Widgets of the signature fields created at the form's root since ``old``."""
    try:
        fields = indirect_refs(new.root["/AcroForm"].raw_get("/Fields")) or []
    except KeyError:
        return set()
    widgets = set()
    for field_ref in fields:
        field = field_ref.get_object()
        if not old.is_ref_unassignable(field_ref) or not isinstance(field, generic.DictionaryObject):
            continue
        if field.get("/FT") != "/Sig":
            continue
        if "/Kids" not in field:
            widgets.add(field_ref)
            continue
        for kid_ref in indirect_refs(field.raw_get("/Kids")) or []:
            kid = kid_ref.get_object()
            if isinstance(kid, generic.DictionaryObject) and "/T" not in kid:
                widgets.add(kid_ref)
    return widgets


def _annotation_level(ref: generic.Reference, old: HistoricalResolver,
                      sig_widgets: set[generic.Reference]) -> ModificationLevel | None:
    """The level at which an added annotation is approved, ``None`` when it is not."""
    if not old.is_ref_unassignable(ref):
        return None  # reuses an object number of the signed revision
    if ref in sig_widgets:
        return ModificationLevel.LTA_UPDATES
    annot = ref.get_object()
    if not isinstance(annot, generic.DictionaryObject):
        return None
    if annot.get("/Subtype") in MARKUP_SUBTYPES and "/A" not in annot and "/AA" not in annot:
        return ModificationLevel.ANNOTATIONS
    return None


class AnnotationAdditionRule(QualifiedWhitelistRule):
    """Approve markup annotations (level ANNOTATIONS) and new signature widgets (level
    LTA_UPDATES) added to existing pages."""

    def apply_qualified(self, old: HistoricalResolver, new: HistoricalResolver
                        ) -> Iterator[tuple[ModificationLevel, ReferenceUpdate]]:
        try:
            old_pages = old.root.raw_get("/Pages")
            new_pages = new.root.raw_get("/Pages")
        except KeyError:
            return
        if not isinstance(old_pages, generic.IndirectObject) or not isinstance(new_pages, generic.IndirectObject):
            return
        sig_widgets = _new_signature_widgets(old, new)
        for old_page_ref, new_page_ref in leaf_pages(old_pages.reference, new_pages.reference, frozenset()):
            yield from self._page(old, new, old_page_ref, new_page_ref, sig_widgets)

    def _page(self, old: HistoricalResolver, new: HistoricalResolver,
              old_page_ref: generic.Reference, new_page_ref: generic.Reference,
              sig_widgets: set[generic.Reference],
              ) -> Iterator[tuple[ModificationLevel, ReferenceUpdate]]:
        old_page, new_page = old_page_ref.get_object(), new_page_ref.get_object()
        if not isinstance(old_page, generic.DictionaryObject) or not isinstance(new_page, generic.DictionaryObject):
            return  # leaf_pages yields dictionaries only
        old_annots, old_annots_ref = page_annots(old_page)
        new_annots, new_annots_ref = page_annots(new_page)
        if old_annots is None or new_annots is None or old_annots == new_annots:
            return
        if new_annots[:len(old_annots)] != old_annots:
            return  # an annotation was removed or reordered
        if not compare_dicts(old_page, new_page, frozenset({"/Annots"}), raise_exc=False):
            return
        added = new_annots[len(old_annots):]
        found = [_annotation_level(ref, old, sig_widgets) for ref in added]
        levels = [level for level in found if level is not None]
        if len(levels) != len(found):
            return  # an added annotation this rule does not approve
        page_level = max(levels)
        # pages are referenced from many places; the dict is unchanged but for /Annots
        yield page_level, ReferenceUpdate(new_page_ref, context_checked=None)
        if new_annots_ref is not None and (new_annots_ref == old_annots_ref
                                           or old.is_ref_unassignable(new_annots_ref)):
            yield page_level, ReferenceUpdate(
                new_annots_ref, context_checked=RelativeContext(old_page_ref, RawPdfPath("/Annots")))
        for ref, level in zip(added, levels):
            if level is not ModificationLevel.ANNOTATIONS:
                continue  # a signature widget: the form rule vets the field and its appearance
            yield level, ReferenceUpdate(ref)
            for dep in new.collect_dependencies(ref.get_object(), since_revision=old.revision + 1):
                yield level, ReferenceUpdate(dep)


# --- form fields: a signed value stays ------------------------------------------------------

def _filled(value: generic.PdfObject | None) -> bool:
    """A field value someone could have read: not absent, null, empty or ``/Off``."""
    if value is None:
        return False
    value = value.get_object()
    if isinstance(value, generic.NullObject):
        return False
    if isinstance(value, generic.TextStringObject):
        return str(value) != ""
    if isinstance(value, generic.ByteStringObject):
        return bytes(value) != b""
    if isinstance(value, generic.NameObject):
        return value != "/Off"
    if isinstance(value, generic.ArrayObject):
        return len(value) > 0
    return True


def _plain(value: generic.PdfObject | None, depth: int = 0) -> object:
    """A comparable rendering of ``value`` with references resolved (streams by their
    dictionary and encoded bytes); bounded in depth."""
    if value is None or depth > 8:
        return None
    obj = value.get_object()
    if isinstance(obj, generic.StreamObject):
        return ("stream", _plain(generic.DictionaryObject(dict(obj)), depth + 1), bytes(obj.encoded_data))
    if isinstance(obj, generic.DictionaryObject):
        return tuple(sorted((str(k), _plain(obj.raw_get(k), depth + 1)) for k in obj
                            if k not in ("/Parent", "/P")))
    if isinstance(obj, generic.ArrayObject):
        return tuple(_plain(obj.raw_get(i), depth + 1) for i in range(len(obj)))
    return (type(obj).__name__, str(obj))


def _shown(field: generic.DictionaryObject) -> tuple[object, object]:
    """The field's value and the appearances of the field and its widgets."""
    appearances = [_plain(field.raw_get("/AP")) if "/AP" in field else None]
    kids = field.get("/Kids")
    if isinstance(kids, generic.ArrayObject):
        for i in range(min(len(kids), 64)):
            kid = kids[i]
            if isinstance(kid, generic.DictionaryObject) and "/T" not in kid:
                appearances.append(_plain(kid.raw_get("/AP")) if "/AP" in kid else None)
    value = _plain(field.raw_get("/V")) if "/V" in field else None
    return value, tuple(appearances)


class SignedValueFieldRule(GenericFieldModificationRule):
    """pyHanko's rule for non-signature fields, except that a field filled in the signed
    revision must keep its value and appearance."""

    def check_form_field(self, fq_name: str, spec: FieldComparisonSpec,
                         context: FieldComparisonContext) -> Iterable[tuple[ModificationLevel, FormUpdate]]:
        if spec.field_type != "/Sig" and spec.old_field_ref and spec.new_field_ref:
            old, new = spec.old_field, spec.new_field
            if old is not None and new is not None \
                    and _filled(old.raw_get("/V") if "/V" in old else None) and _shown(old) != _shown(new):
                return  # the signed value was overwritten: not form filling
        yield from super().check_form_field(fq_name, spec, context)


# --- DSS: VRI entries may be rewritten -----------------------------------------------------

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


# --- DocMDP P=3: existing annotations may change -------------------------------------------

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
        try:
            old_pages, new_pages = old.root.raw_get("/Pages"), new.root.raw_get("/Pages")
        except KeyError:
            return
        if not isinstance(old_pages, generic.IndirectObject) or not isinstance(new_pages, generic.IndirectObject):
            return
        level = ModificationLevel.ANNOTATIONS
        for old_ref, new_ref in leaf_pages(old_pages.reference, new_pages.reference, frozenset()):
            old_page, new_page = old(old_ref).get_object(), new_ref.get_object()
            if not isinstance(old_page, generic.DictionaryObject) \
                    or not isinstance(new_page, generic.DictionaryObject):
                continue  # leaf_pages yields dictionaries only
            if old_page != new_page and compare_dicts(old_page, new_page, frozenset({"/Tabs"}), raise_exc=False):
                yield level, ReferenceUpdate(new_ref, context_checked=None)
            kept = set(annotation_refs(old_page)) & set(annotation_refs(new_page))
            for ref in kept:
                changed = _changed_outside_field_keys(old(ref).get_object(), new(ref).get_object())
                if not changed:
                    continue
                yield level, ReferenceUpdate(ref)
                for dep in new.collect_dependencies(new(ref).get_object(), since_revision=old.revision + 1):
                    yield level, ReferenceUpdate(dep)
