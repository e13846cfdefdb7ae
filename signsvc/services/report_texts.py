"""The words of a verification report as pages show them (labels, values, verdict colour,
messages, and the first screen: verdict, one reason per signature, what to do next, rows
that never contradict the verdict), in Vietnamese or English: the web layer reaches
``signsvc.reports`` only through this module (import rule: web imports services, not the
domain)."""

from __future__ import annotations

from signsvc.reports.summary import first_screen, signature_messages, signature_rows, word
from signsvc.reports.texts import added_words, label, messages, value, verdict_colour

__all__ = ["added_words", "first_screen", "label", "messages", "signature_messages",
           "signature_rows", "value", "verdict_colour", "word"]
