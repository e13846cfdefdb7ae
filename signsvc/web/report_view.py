"""The validation report as HTML: what the report templates call (labels, value words,
verdict colour, messages) in one language. Shared by the API (``POST /v1/verify`` with
``Accept: text/html``) and the auditor's pages, so neither imports the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from signsvc.services import report_texts


def report_helpers(language: str) -> dict[str, Callable[..., Any]]:
    """The functions ``L``, ``V``, ``verdict_class``, ``M``, ``SM`` (a signature's messages,
    its own times as dd/mm/yyyy HH:mm:ss), ``added_words``, ``first_screen``, ``sig_rows``
    and ``W`` that the report templates call, each answering in ``language`` (``vi`` or
    ``en``)."""
    return {"L": lambda key: report_texts.label(key, language),
            "V": lambda kind, raw: report_texts.value(kind, raw, language),
            "verdict_class": lambda verdict: report_texts.verdict_colour(verdict)[0],
            "M": lambda obj: report_texts.messages(obj, language),
            "SM": lambda item: report_texts.signature_messages(item, language),
            "added_words": lambda added: report_texts.added_words(added, language),
            "first_screen": lambda report: report_texts.first_screen(report, language),
            "sig_rows": lambda sig: report_texts.signature_rows(sig, language),
            "W": lambda key: report_texts.word(key, language)}
