"""The words of a verification report as pages show them (labels, values, verdict colour,
messages), in Vietnamese or English: the web layer reaches ``signsvc.reports.texts``
only through this module (import rule: web imports services, not the domain)."""

from __future__ import annotations

from signsvc.reports.texts import added_words, label, messages, value, verdict_colour

__all__ = ["added_words", "label", "messages", "value", "verdict_colour"]
