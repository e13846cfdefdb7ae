"""The difference-analysis policy signsvc validates with: pyHanko's default policy with
signsvc's rules (``signsvc.validation.diff.rules``) in place of three of pyHanko's.

- ``DIFF_POLICY`` (approval signatures, certifications with DocMDP P=1/P=2, document
  timestamps): pyHanko's ``DEFAULT_DIFF_POLICY`` with its ``DSSCompareRule`` replaced by
  ``VriUpdateRule``, ``AnnotationAdditionRule`` added, signature widget binding done by
  that rule (``SigFieldCreationRule(approve_widget_bindings=False)``) and
  ``SignedValueFieldRule`` in place of ``GenericFieldModificationRule``.
- ``DIFF_POLICY_ANNOTATE`` (certifications with DocMDP P=3): the same plus
  ``AnnotationModificationRule``.

Anything no rule approves stays unexplained ("other").
"""

from __future__ import annotations

from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    FormUpdatingRule,
    ModificationLevel,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
)
from pyhanko.sign.diff_analysis.rules.form_field_rules import DSSCompareRule

from .rules import (
    AnnotationAdditionRule,
    AnnotationModificationRule,
    SignedValueFieldRule,
    VriUpdateRule,
)


def _global_rules() -> list:
    rules = [VriUpdateRule().as_qualified(ModificationLevel.LTA_UPDATES) if _is_dss_rule(r) else r
             for r in DEFAULT_DIFF_POLICY.global_rules]
    return [*rules, AnnotationAdditionRule()]


def _is_dss_rule(rule) -> bool:
    return isinstance(getattr(rule, "rule", None), DSSCompareRule)


def _form_rule() -> FormUpdatingRule:
    return FormUpdatingRule(field_rules=[
        SigFieldCreationRule(approve_widget_bindings=False),
        SigFieldModificationRule(),
        SignedValueFieldRule(),
    ])


DIFF_POLICY = StandardDiffPolicy(global_rules=_global_rules(), form_rule=_form_rule())
"""pyHanko's default policy, with signature widget binding done by ``AnnotationAdditionRule``
and VRI rewrites permitted (``rules.VriUpdateRule``)."""


def _annotate_policy() -> StandardDiffPolicy:
    return StandardDiffPolicy(global_rules=[*_global_rules(), AnnotationModificationRule()], form_rule=_form_rule())


DIFF_POLICY_ANNOTATE = _annotate_policy()
"""``DIFF_POLICY`` plus modification of existing annotations: for DocMDP P=3 certifications."""


def policy_for(docmdp_level) -> StandardDiffPolicy:
    """The policy for a signature with pyHanko's ``MDPPerm`` ``docmdp_level`` (None: approval)."""
    return DIFF_POLICY_ANNOTATE if docmdp_level is not None and int(docmdp_level.value) == 3 else DIFF_POLICY
