"""The revision view of a PDF: one entry per incremental update, oldest first.

- ``ranges``: where each revision ends, which revision a signature's ``/ByteRange`` covers,
  the SHA-256 of each revision's bytes;
- ``snapshot``: one revision's state (pages, annotations, fields, DSS), bounded walks;
- ``added``: what a revision added compared with the previous one;
- ``summary``: that in one sentence, Vietnamese first, English second;
- ``view``: ``revision_view``, the list put in the validation report (time and count
  bounded).

The modification analysis that decides whether a later revision is allowed after a
signature is pyHanko's, with signsvc's rules: ``signsvc.validation.diff``.
"""
