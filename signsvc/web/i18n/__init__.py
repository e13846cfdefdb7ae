"""The one catalogue of the pages' texts: Vietnamese first, English on request (?lang=en).

Each area keeps its word list in a module of this package (``pages``: layout, login, errors,
signing messages, help, auditors' pages; ``official``: the officials' document pages;
``audit_log``: the audit-log page); ``TEXTS`` merges them (a key defined twice is an error).

Every page (officials', clerks', auditors', login, errors) reads its words from ``TEXTS``
through a :class:`Texts` object named ``t`` in the templates: ``t.key`` or ``t('key', n=3)``
(placeholders filled). Texts that arrive with both languages (problem details, the audit
chain's findings) are shown with the ``tr`` filter (``error.message|tr``), which picks the
page language. The report's own words live with the report (``signsvc.reports.texts``: the
PDF report uses them too); problem+json bodies keep their Vietnamese and English fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from signsvc.web.i18n.audit_log import LOG_TEXTS
from signsvc.web.i18n.official import OFFICIAL_TEXTS
from signsvc.web.i18n.pages import PAGE_TEXTS

LANGUAGES = ("vi", "en")


def _assemble(*areas: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """One catalogue from the areas' word lists; a key defined by two areas is an error."""
    merged: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for area in areas:
        for language in LANGUAGES:
            twice = merged[language].keys() & area[language].keys()
            if twice:
                raise ValueError(f"page texts defined twice: {sorted(twice)}")
            merged[language].update(area[language])
    return merged


#: every page text, per language (the areas' lists merged; keys unique)
TEXTS: dict[str, dict[str, str]] = _assemble(PAGE_TEXTS, OFFICIAL_TEXTS, LOG_TEXTS)


class Texts(Mapping[str, str]):
    """One language's texts. Templates read ``t.key`` (or ``t['key']``) or call
    ``t('key', n=3)``: the text with its ``{placeholders}`` filled; an unknown key reads as the
    key itself, so a missing text shows up on the page instead of an empty space. Not a
    ``dict``: a text named like a dict method (``clear``, ``copy``, ``pop``…) reads as the
    text, never as the method."""

    def __init__(self, language: str, texts: Mapping[str, str]) -> None:
        self.language = language
        self._texts = dict(texts)

    def __getitem__(self, key: str) -> str:
        return self._texts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __getattr__(self, key: str) -> str:
        if key.startswith("_") or key not in self._texts:
            raise AttributeError(key)
        return self._texts[key]

    def __call__(self, key: str, **values: Any) -> str:
        text = self._texts.get(key, key)
        return text.format(**values) if values else text


_CATALOGUES = {language: Texts(language, TEXTS[language]) for language in LANGUAGES}


def texts(language: str) -> Texts:
    """The texts of ``language`` (Vietnamese for anything but ``en``)."""
    return _CATALOGUES["en" if language == "en" else "vi"]


def t(key: str, language: str, **values: Any) -> str:
    """The text ``key`` in ``language`` with ``values`` filled in (for Python code)."""
    return texts(language)(key, **values)


def pick(both: Any, language: str) -> Any:
    """The ``language`` half of something that carries both languages: a ``Message``
    (``.vi``/``.en``) or a mapping with ``vi``/``en`` keys; anything else as it is."""
    key = "en" if language == "en" else "vi"
    if isinstance(both, Mapping):
        return both.get(key, both.get("vi", ""))
    if hasattr(both, "vi") and hasattr(both, "en"):
        return getattr(both, key)
    return both
