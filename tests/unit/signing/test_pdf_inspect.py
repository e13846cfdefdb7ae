"""Document inspection (signsvc.signing.inspect) on real PDFs built by tests.support.hostile_pdfs.

Every finding test also checks that the clean PDF has no such finding, so each can fail."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signsvc.signing import inspect
from signsvc.signing.inspect import DocumentFacts, encrypted_facts, inspect_pdf
from signsvc.signing.pdf_input import open_for_signing
from tests.support import hostile_pdfs as h

FINDINGS = ("javascript", "launch_actions", "embedded_files", "xfa", "signature_fields", "truncated")
EMPTY = {"javascript": (), "launch_actions": (), "embedded_files": (), "xfa": False,
         "signature_fields": 0, "truncated": False}


def facts_of(data: bytes) -> DocumentFacts:
    """As the signing service does it: open for an incremental update, inspect ``.prev``."""
    pdf = open_for_signing(data)
    return inspect_pdf(pdf.writer.prev, size=len(data), strict=pdf.strict)


def findings(facts: DocumentFacts) -> dict:
    return {name: getattr(facts, name) for name in FINDINGS}


@pytest.fixture(scope="module")
def clean() -> DocumentFacts:
    return facts_of(h.clean())


@pytest.fixture(scope="module")
def signed_pdf(request) -> bytes:
    if not (h.DEV_KEY.exists() and h.DEV_CERT.exists()):
        request.getfixturevalue("dev_pki")  # builds var/pki (the development PKI)
    return h.signed_signature_field()


def test_clean_pdf_has_no_findings(clean):
    data = h.clean()
    assert findings(clean) == EMPTY
    assert (clean.size, clean.pages, clean.encrypted, clean.strict) == (len(data), 2, False, True)


CASES = {
    "open_action_javascript": {"javascript": ("/OpenAction",)},
    "names_javascript": {"javascript": ("/Names/JavaScript",)},
    "page_aa_javascript": {"javascript": ("page 2 /AA",)},
    "launch_action_link": {"launch_actions": ("annotation on page 1",)},
    "rendition_javascript": {"javascript": ("annotation on page 1",)},
    "chained_next_javascript": {"javascript": ("/OpenAction /Next",)},
    "long_next_chain": {"javascript": ("/OpenAction /Next",)},
    "embedded_file": {"embedded_files": ("invoice.xml",)},
    "file_attachment_annotation": {"embedded_files": ("payload.exe",)},
    "xfa_form": {"xfa": True},
    "form_field_javascript": {"javascript": ("form field amount /AA",)},
    "outline_javascript": {"javascript": ("outline",)},
    "unsigned_signature_field": {"signature_fields": 1},
    # cycles terminate, and each object is reported once
    "reference_cycles": {"javascript": ("/OpenAction",), "embedded_files": ("loop.txt",),
                         "signature_fields": 1},
    # malformed entries are skipped, the rest is still inspected
    "odd_structures": {"javascript": ("page 1 /AA",)},
}


def test_every_hostile_builder_has_a_case():
    assert set(CASES) == set(h.HOSTILE)


@pytest.mark.parametrize("builder", sorted(CASES))
def test_finding(builder, clean):
    expected = CASES[builder]
    assert findings(facts_of(h.HOSTILE[builder]())) == {**EMPTY, **expected}
    for name in expected:
        assert getattr(clean, name) == EMPTY[name]


def test_signed_signature_field(signed_pdf, clean):
    reader = PdfFileReader(io.BytesIO(signed_pdf), strict=True)
    assert [s.field_name for s in reader.embedded_signatures] == [h.SIGNATURE_FIELD]
    assert findings(facts_of(signed_pdf)) == {**EMPTY, "signature_fields": 1}
    assert clean.signature_fields == 0


def test_pages_counted_from_the_page_tree():
    assert facts_of(h.page_aa_javascript()).pages == 2
    assert facts_of(h.open_action_javascript()).pages == 1


def test_object_budget_sets_truncated(monkeypatch, clean):
    monkeypatch.setattr(inspect, "MAX_OBJECTS", 20)
    facts = facts_of(h.long_next_chain())
    assert facts.truncated and facts.javascript == ()  # the JavaScript lies beyond the budget
    assert not clean.truncated


def test_depth_limit_sets_truncated(monkeypatch, clean):
    monkeypatch.setattr(inspect, "MAX_DEPTH", 1)
    facts = facts_of(h.names_javascript())  # two levels of /Kids
    assert facts.truncated and facts.javascript == ()
    assert not clean.truncated


def test_plain_reader_and_unreadable_input(clean):
    data = h.open_action_javascript()
    facts = inspect_pdf(PdfFileReader(io.BytesIO(data), strict=True), size=len(data), strict=True)
    assert facts.javascript == ("/OpenAction",)
    # not a reader at all: nothing found, nothing raised
    assert findings(inspect_pdf(object(), size=3, strict=False)) == EMPTY == findings(clean)


def test_encrypted_facts():
    facts = encrypted_facts(1234)
    assert facts.encrypted and facts.size == 1234 and facts.pages == 0 and not facts.strict
    assert findings(facts) == EMPTY


def test_as_dict_is_json():
    d = facts_of(h.reference_cycles()).as_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["javascript"] == ["/OpenAction"] and d["embedded_files"] == ["loop.txt"]
    assert set(d) == {"size", "pages", "encrypted", "strict", *FINDINGS}


@pytest.mark.parametrize("builder", [*sorted(h.HOSTILE), "clean", "signed_signature_field"])
def test_hostile_pdfs_are_valid_pdfs(builder, request, tmp_path):
    data = request.getfixturevalue("signed_pdf") if builder == "signed_signature_field" \
        else getattr(h, builder)()
    assert open_for_signing(data).strict
    reader = PdfFileReader(io.BytesIO(data), strict=True)
    assert int(reader.root["/Pages"]["/Count"]) >= 1
    if shutil.which("pdfinfo"):
        path = tmp_path / "doc.pdf"
        path.write_bytes(data)
        assert subprocess.run(["pdfinfo", str(path)], capture_output=True).returncode == 0
