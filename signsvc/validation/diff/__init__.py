"""Modification analysis: which later revisions a signature allows, on pyHanko's
difference analysis (``pyhanko.sign.diff_analysis``), laid out as pyHanko lays it out:

- ``policy``: the policies signsvc validates with and ``policy_for`` (which one applies to
  a signature); this is what the rest of ``validation`` imports;
- ``rules_api``: what the rules build on (bounded page-tree and annotation walks);
- ``rules``: signsvc's rules (annotation addition and modification, signed field values,
  VRI rewrites), each approving a change at a ``ModificationLevel``.

The revision view (what each revision added, for the report) is ``signsvc.validation.revisions``.
"""
