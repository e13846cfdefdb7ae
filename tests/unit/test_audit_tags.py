"""The audit-tag catalogue covers every tag the package writes, and labels each one."""

from __future__ import annotations

import re
from pathlib import Path

import signsvc
from signsvc.audit.events import ACTION_RE, AuditEvent
from signsvc.audit_tags import AUDIT_TAG_LABELS, AuditTag, label

PACKAGE = Path(signsvc.__file__).parent
CATALOGUE = PACKAGE / "audit_tags.py"
# a quoted source:subject:action string, as a tag is written in code
TAG_LITERAL = re.compile(r"""["']([a-z0-9_-]+:[a-z0-9_-]+:[a-z0-9_-]+)["']""")
# an f-string building a tag of a known source from pieces: it would escape the catalogue
_SOURCES = "|".join(sorted({tag.split(":")[0] for tag in AuditTag}))
_PART = r"(?:[a-z0-9_-]+|\{[^}]*\})"
TAG_FSTRING = re.compile(rf"""f["'](?:{_SOURCES}):{_PART}:{_PART}["']""")
NOT_TAGS = {"source:subject:action"}   # the format, named in audit.events' messages


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != CATALOGUE)


def test_the_scan_finds_tags_where_they_are_written() -> None:
    """Guards the test itself: the pattern sees a tag as code writes it."""
    assert TAG_LITERAL.findall('audit(a, ctx, "signing:document:signed", "success")') == [
        "signing:document:signed"]
    assert TAG_FSTRING.search("""f"validation:batch:{'a' if x else 'b'}\"""")
    assert not TAG_FSTRING.search('f"urn:signsvc:problem:{code}" f"page:{endpoint}"')
    assert not TAG_FSTRING.search('f"sqlite:{timeout}:{path}"')
    assert len(_sources()) > 100


def test_every_tag_written_in_the_package_is_catalogued() -> None:
    found: dict[str, list[str]] = {}
    for path in _sources():
        for tag in TAG_LITERAL.findall(path.read_text(encoding="utf-8")):
            if tag not in NOT_TAGS:
                found.setdefault(tag, []).append(str(path.relative_to(PACKAGE)))
    unknown = {tag: where for tag, where in found.items() if tag not in set(AuditTag)}
    assert not unknown, f"audit tags missing from signsvc/audit_tags.py: {unknown}"


def test_emitters_name_the_catalogue_instead_of_typing_tags() -> None:
    typed = [f"{p.relative_to(PACKAGE)}: {tag}" for p in _sources()
             for tag in TAG_LITERAL.findall(p.read_text(encoding="utf-8")) if tag not in NOT_TAGS]
    assert not typed, f"write AuditTag.<NAME> (signsvc/audit_tags.py) instead of: {typed}"


def test_no_tag_is_assembled_at_run_time() -> None:
    built = [f"{p.relative_to(PACKAGE)}: {m.group(0)}" for p in _sources()
             for m in TAG_FSTRING.finditer(p.read_text(encoding="utf-8")) if "{" in m.group(0)]
    assert not built, f"tags built from pieces (name an AuditTag instead): {built}"


def test_every_tag_is_a_valid_action_with_both_labels() -> None:
    assert len(AuditTag) >= 50
    assert set(AUDIT_TAG_LABELS) == set(AuditTag)
    vi_labels = [t.label_vi for t in AuditTag]
    for tag in AuditTag:
        assert ACTION_RE.fullmatch(tag), tag
        assert tag.label_vi.strip() and tag.label_en.strip(), tag
        assert tag.label_vi != tag.label_en, tag
        assert any(ord(c) > 127 for c in tag.label_vi), f"{tag}: Vietnamese label without diacritics"
        assert (label(tag, "vi"), label(tag, "en")) == (tag.label_vi, tag.label_en)
    assert len(set(vi_labels)) == len(vi_labels), "two tags share a Vietnamese label"


def test_a_tag_is_its_string_in_an_event_and_unknown_tags_show_as_themselves() -> None:
    event = AuditEvent(action=AuditTag.SIGNING_DOCUMENT_SIGNED, outcome="success")
    assert event.action == "signing:document:signed" and type(event.action) is str
    assert label("signing:document:signed", "en") == "Document signed"
    assert label("legacy:thing:done", "vi") == "legacy:thing:done"
