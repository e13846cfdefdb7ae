"""Difference analysis: pyHanko's default policy plus one rule for added annotations.

pyHanko's ``DEFAULT_DIFF_POLICY`` never yields ``ModificationLevel.ANNOTATIONS``: any page
annotation added after signing is "other" (and so invalidates the signature). VAL-4 asks
for an "annotation" class, so ``AnnotationAdditionRule`` approves exactly this change to a
page: annotations appended to ``/Annots``, with the page dictionary otherwise unchanged
and no annotation removed, where every new annotation is a fresh object and either

- the widget of a signature field created at the root of the form since the signed
  revision (level LTA_UPDATES, as pyHanko's own widget binding), or
- a markup annotation without actions (level ANNOTATIONS), together with its own new
  dependencies (appearance streams, pop-ups).

pyHanko's widget binding (``SigFieldCreationRule(approve_widget_bindings=True)``) rejects
a page that gained both a signature widget and a markup annotation since the signed
revision, so this policy turns that binding off and does it here instead.

``SignedValueFieldRule`` replaces pyHanko's ``GenericFieldModificationRule``: filling a
field that was empty when the document was signed is form filling, but changing the
value or the appearance of a field that was already filled (the value the signer saw and
signed) is not (the "replace" shadow attack): it stays unexplained.

Everything else is pyHanko's default policy; anything not approved stays unexplained
("other").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, RawPdfPath
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    FormUpdatingRule,
    GenericFieldModificationRule,
    ModificationLevel,
    QualifiedWhitelistRule,
    ReferenceUpdate,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
)
from pyhanko.sign.diff_analysis.commons import compare_dicts
from pyhanko.sign.diff_analysis.form_rules_api import FieldComparisonContext, FieldComparisonSpec, FormUpdate
from pyhanko.sign.diff_analysis.rules_api import RelativeContext

MARKUP_SUBTYPES = frozenset({
    "/Text", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine",
    "/Highlight", "/Underline", "/Squiggly", "/StrikeOut", "/Stamp", "/Caret", "/Ink",
    "/Popup",
})


def _refs(value: generic.PdfObject) -> list[generic.Reference] | None:
    array = value.get_object()
    if not isinstance(array, generic.ArrayObject):
        return None
    refs = []
    for item in array:
        if not isinstance(item, generic.IndirectObject):
            return None
        refs.append(item.reference)
    return refs


def _page_annots(page: generic.DictionaryObject) -> tuple[list[generic.Reference] | None, generic.Reference | None]:
    if "/Annots" not in page:
        return [], None
    raw = page.raw_get("/Annots")
    ref = raw.reference if isinstance(raw, generic.IndirectObject) else None
    return _refs(raw), ref


def _new_signature_widgets(old: HistoricalResolver, new: HistoricalResolver) -> set[generic.Reference]:
    """Widgets of the signature fields created at the form's root since ``old``."""
    try:
        fields = _refs(new.root["/AcroForm"].raw_get("/Fields")) or []
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
        for kid_ref in _refs(field.raw_get("/Kids")) or []:
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


def _leaf_pages(old_node_ref: generic.Reference, new_node_ref: generic.Reference,
                seen: frozenset) -> Iterator[tuple[generic.Reference, generic.Reference]]:
    if old_node_ref in seen:
        return
    old_node, new_node = old_node_ref.get_object(), new_node_ref.get_object()
    if not isinstance(old_node, generic.DictionaryObject) or not isinstance(new_node, generic.DictionaryObject):
        return
    if old_node.get("/Type") == "/Page":
        yield old_node_ref, new_node_ref
        return
    old_kids = _refs(old_node.get("/Kids", generic.ArrayObject()))
    new_kids = _refs(new_node.get("/Kids", generic.ArrayObject()))
    if old_kids is None or new_kids is None or old_kids != new_kids:
        return  # page tree changed: not ours to explain
    for old_kid, new_kid in zip(old_kids, new_kids):
        yield from _leaf_pages(old_kid, new_kid, seen | {old_node_ref})


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
        for old_page_ref, new_page_ref in _leaf_pages(old_pages.reference, new_pages.reference, frozenset()):
            yield from self._page(old, new, old_page_ref, new_page_ref, sig_widgets)

    def _page(self, old: HistoricalResolver, new: HistoricalResolver,
              old_page_ref: generic.Reference, new_page_ref: generic.Reference,
              sig_widgets: set[generic.Reference],
              ) -> Iterator[tuple[ModificationLevel, ReferenceUpdate]]:
        old_page, new_page = old_page_ref.get_object(), new_page_ref.get_object()
        old_annots, old_annots_ref = _page_annots(old_page)
        new_annots, new_annots_ref = _page_annots(new_page)
        if old_annots is None or new_annots is None or old_annots == new_annots:
            return
        if new_annots[:len(old_annots)] != old_annots:
            return  # an annotation was removed or reordered
        if not compare_dicts(old_page, new_page, frozenset({"/Annots"}), raise_exc=False):
            return
        added = new_annots[len(old_annots):]
        levels = [_annotation_level(ref, old, sig_widgets) for ref in added]
        if any(level is None for level in levels):
            return
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
            if _filled(old.raw_get("/V") if "/V" in old else None) and _shown(old) != _shown(new):
                return  # the signed value was overwritten: not form filling
        yield from super().check_form_field(fq_name, spec, context)


def _global_rules() -> list:
    from .diff_rules import VriUpdateRule  # imports this module's page walk
    rules = [VriUpdateRule().as_qualified(ModificationLevel.LTA_UPDATES) if _is_dss_rule(r) else r
             for r in DEFAULT_DIFF_POLICY.global_rules]
    return [*rules, AnnotationAdditionRule()]


def _is_dss_rule(rule) -> bool:
    from pyhanko.sign.diff_analysis.rules.form_field_rules import DSSCompareRule
    return isinstance(getattr(rule, "rule", None), DSSCompareRule)


def _form_rule() -> FormUpdatingRule:
    return FormUpdatingRule(field_rules=[
        SigFieldCreationRule(approve_widget_bindings=False),
        SigFieldModificationRule(),
        SignedValueFieldRule(),
    ])


DIFF_POLICY = StandardDiffPolicy(global_rules=_global_rules(), form_rule=_form_rule())
"""pyHanko's default policy, with signature widget binding done by ``AnnotationAdditionRule``
and VRI rewrites permitted (``diff_rules.VriUpdateRule``)."""


def _annotate_policy() -> StandardDiffPolicy:
    from .diff_rules import AnnotationModificationRule
    return StandardDiffPolicy(global_rules=[*_global_rules(), AnnotationModificationRule()], form_rule=_form_rule())


DIFF_POLICY_ANNOTATE = _annotate_policy()
"""``DIFF_POLICY`` plus modification of existing annotations: for DocMDP P=3 certifications."""


def policy_for(docmdp_level) -> StandardDiffPolicy:
    """The policy for a signature with pyHanko's ``MDPPerm`` ``docmdp_level`` (None: approval)."""
    return DIFF_POLICY_ANNOTATE if docmdp_level is not None and int(docmdp_level.value) == 3 else DIFF_POLICY
