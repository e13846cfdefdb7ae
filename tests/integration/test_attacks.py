"""The known attacks on PDF signatures never pass as ``valid`` (issue 5, "Verification
that cannot be fooled"), and hostile input never hangs or crashes ``POST /v1/verify``.

Every attack file is built here (``tests/support/attack_pdfs.py``) from a document
signed with the development software key, and sent through ``POST /v1/verify``. An
attack passes the check when the answer is a 200 report whose verdict is ``invalid``,
``valid_modified_after`` or ``indeterminate`` (never ``valid``), or a 422 problem for a
file that can no longer be read. Each class also checks its control: the same document
before the attack is ``valid``, so every test can fail.

| class | test | attack files |
|---|---|---|
| 1. Incremental saving attack (ISA) | ``test_isa_incremental_update`` | new page; page 1 given a new content stream (incremental updates) |
| 1. ISA | ``test_isa_raw_append_without_xref`` | the content stream redefined by bytes appended without xref/trailer |
| 2. Signature wrapping (SWA) | ``test_swa_byte_range`` | second range shifted in place; second range moved behind inserted bytes; overlapping ranges; range not covering the end of the file |
| 2. SWA | ``test_swa_contents_moved`` | the signature dictionary rewritten in an update with the original CMS and a ByteRange whose gap is the moved ``/Contents`` |
| 3. Universal signature forgery (USF) | ``test_usf_contents`` | ``/Contents`` empty ``<>``, ``null``, all zeros, not hexadecimal, a certificate instead of a CMS |
| 3. USF | ``test_usf_byte_range`` | ``/ByteRange`` missing, malformed (string, three entries), negative, empty |
| 4. Shadow attack, hide | ``test_shadow_hide`` | unreferenced signed content stream appended to the page's contents later |
| 4. Shadow attack, replace | ``test_shadow_replace`` | the filled field's value changed; its appearance redefined; an opaque FreeText overlay |
| 4. Shadow attack, hide-and-replace | ``test_shadow_hide_and_replace`` | ``/Root`` switched to a shadow catalog prepared in the signed revision; page content object redefined in a new xref section |
| 5. Certification attack, evil annotation (EAA) | ``test_certification_evil_annotation`` | FreeText and Text annotations on documents certified with P=1 and P=2 |
| 5. Certification attack, sneaky signature (SSA) | ``test_certification_sneaky_signature`` | a new signature field with an appearance (empty, or signed) on a P=1 certified document; empty on P=2 |
| bad input | ``test_hostile_input_is_bounded`` | decompression bombs (>1 GiB inflated: page content, DSS ``/Certs``, updated page content of a signed file), 10,000 nested arrays (unsigned, and in an update of a signed file), ``/Prev`` pointing to itself (unsigned and in an update) |

Validator fixes made for these tests: ``diff.rules.SignedValueFieldRule`` (the shadow
*replace* of a field filled at signing time was reported as permitted form filling, so
the document was ``valid``) and ``evidence.over_limit`` (a signed document whose DSS
held a decompression bomb was ``valid``; it is now ``indeterminate`` with the reason).
"""

from __future__ import annotations

import time

import pytest
from pyhanko.sign.fields import MDPPerm

from tests.support import attack_pdfs as A

HDR = {"Content-Type": "application/pdf"}
NOT_VALID = ("invalid", "valid_modified_after", "indeterminate")
BOUND_SECONDS = 30


def _post(api, data: bytes):
    return api.client.post("/v1/verify", data=data, headers=api.headers("auditor", **HDR))


def verdict(api, data: bytes) -> str:
    """The verdict, or ``"422"`` for an unreadable file (with a problem+json)."""
    resp = _post(api, data)
    if resp.status_code == 422:
        assert resp.mimetype == "application/problem+json", resp.data[:300]
        assert resp.get_json()["type"].startswith("urn:signsvc:problem:")
        return "422"
    assert resp.status_code == 200, (resp.status_code, resp.data[:500])
    return resp.get_json()["verdict"]


def assert_not_valid(api, data: bytes, *, allow_unreadable: bool = False) -> str:
    got = verdict(api, data)
    allowed = NOT_VALID + (("422",) if allow_unreadable else ())
    assert got in allowed, f"attack file reported {got!r}"
    return got


@pytest.fixture(scope="module")
def base():
    return A.base_pdf()


@pytest.fixture(scope="module")
def signed(base, dev_pki):
    return A.sign(base.data)


@pytest.fixture(scope="module")
def certified_p1(base, dev_pki):
    return A.sign(base.data, certify=True, docmdp=MDPPerm.NO_CHANGES)


@pytest.fixture(scope="module")
def certified_p2(base, dev_pki):
    return A.sign(base.data, certify=True, docmdp=MDPPerm.FILL_FORMS)


def test_controls_are_valid(api, signed, certified_p1, certified_p2):
    """Control for every class: the signed and certified documents, untouched, are valid."""
    for data in (signed, certified_p1, certified_p2):
        assert verdict(api, data) == "valid"


# -- 1. incremental saving attacks -----------------------------------------------------

@pytest.mark.parametrize("attack", [A.isa_new_page, A.isa_changed_content], ids=["new-page", "new-content"])
def test_isa_incremental_update(api, signed, attack):
    """Class 1, ISA: an incremental update after the signed range adds a page or replaces
    page 1's content stream -> ``invalid`` (changes of level "other")."""
    assert verdict(api, signed) == "valid"
    attacked = attack(signed)
    assert attacked.startswith(signed)
    assert assert_not_valid(api, attacked) == "invalid"


def test_isa_raw_append_without_xref(api, signed):
    """Class 1, ISA without xref: the content stream redefined by raw bytes appended
    after ``%%EOF`` -> not valid (flagged as unsigned trailing data)."""
    assert verdict(api, signed) == "valid"
    attacked = A.isa_raw_append(signed)
    assert assert_not_valid(api, attacked) in ("invalid", "valid_modified_after")
    sig, = _post(api, attacked).get_json()["signatures"]
    assert sig["trailing_data"] is True


# -- 2. signature wrapping -------------------------------------------------------------

@pytest.mark.parametrize("attack", [A.swa_shifted_second_range, A.swa_moved_second_range,
                                    A.swa_overlapping_ranges, A.swa_partial_coverage],
                         ids=["shifted", "moved-behind-payload", "overlapping", "partial"])
def test_swa_byte_range(api, signed, attack):
    """Class 2, SWA: the ByteRange manipulated (shifted second range, moved second range
    with inserted bytes, overlapping ranges, not covering the whole file) -> ``invalid``
    (hash failure) or 422 when the offsets no longer allow reading the file."""
    assert verdict(api, signed) == "valid"
    got = assert_not_valid(api, attack(signed), allow_unreadable=True)
    assert got in ("invalid", "422")


def test_swa_contents_moved(api, signed):
    """Class 2, SWA: the signature dictionary rewritten in an update, the original CMS
    moved into it and the ByteRange's gap pointed at the moved ``/Contents`` ->
    ``invalid``."""
    assert verdict(api, signed) == "valid"
    assert assert_not_valid(api, A.swa_contents_moved(signed)) == "invalid"


# -- 3. universal signature forgery ----------------------------------------------------

@pytest.mark.parametrize("variant", ["empty", "null", "zeros", "malformed", "not_cms"])
def test_usf_contents(api, signed, variant):
    """Class 3, USF: ``/Contents`` empty, null, all zeros, not hexadecimal, or a DER
    object that is not a CMS -> ``invalid`` (format failure) or 422 when unparseable."""
    assert verdict(api, signed) == "valid"
    got = assert_not_valid(api, A.usf_contents(signed, variant), allow_unreadable=True)
    assert got in ("invalid", "422")


@pytest.mark.parametrize("variant", ["missing", "malformed", "negative", "empty"])
def test_usf_byte_range(api, signed, variant):
    """Class 3, USF: ``/ByteRange`` missing, malformed, negative or empty -> ``invalid``
    or 422."""
    assert verdict(api, signed) == "valid"
    got = assert_not_valid(api, A.usf_byte_range(signed, variant), allow_unreadable=True)
    assert got in ("invalid", "422")


# -- 4. shadow attacks -----------------------------------------------------------------

def test_shadow_hide(api, base, signed):
    """Class 4, shadow *hide*: content prepared (unreferenced) in the signed revision,
    made visible by a later update of the page's ``/Contents`` -> ``invalid``."""
    assert verdict(api, signed) == "valid"
    assert assert_not_valid(api, A.shadow_hide(signed, base)) == "invalid"


def test_shadow_replace(api, base, signed):
    """Class 4, shadow *replace*: the value of a field filled when signing changed
    (validator fix: it was "form filling", hence ``valid``), its appearance alone
    redefined, or an opaque overlay annotation -> never valid."""
    assert verdict(api, signed) == "valid"
    assert assert_not_valid(api, A.shadow_replace_field(signed, base)) == "invalid"
    assert assert_not_valid(api, A.shadow_replace_appearance(signed, base)) == "invalid"
    assert assert_not_valid(api, A.shadow_replace_overlay(signed)) == "valid_modified_after"


def test_filling_an_empty_field_after_signing_stays_valid(api, dev_pki):
    """Counterpart of the replace fix: a field that was empty when signing may be filled."""
    empty = A.base_pdf(amount="")
    signed_empty = A.sign(empty.data)
    filled = A.shadow_replace_field(signed_empty, empty)
    assert verdict(api, filled) == "valid"


def test_shadow_hide_and_replace(api, base, signed):
    """Class 4, shadow *hide-and-replace*: an update points ``/Root`` at a whole shadow
    document prepared in the signed revision, or a new xref section redefines page 1's
    content stream object -> ``invalid``."""
    assert verdict(api, signed) == "valid"
    assert assert_not_valid(api, A.shadow_hide_and_replace(signed, base)) == "invalid"
    assert assert_not_valid(api, A.shadow_object_replaced(signed)) == "invalid"


# -- 5. certification attacks ----------------------------------------------------------

@pytest.mark.parametrize("subtype", ["/FreeText", "/Text"])
@pytest.mark.parametrize("level", ["P1", "P2"])
def test_certification_evil_annotation(api, certified_p1, certified_p2, level, subtype):
    """Class 5, EAA: an annotation added to a document certified with DocMDP P=1 or P=2
    (annotations need P=3) -> ``invalid``, the change not permitted by the certification."""
    certified = certified_p1 if level == "P1" else certified_p2
    assert verdict(api, certified) == "valid"
    attacked = A.evil_annotation(certified, subtype)
    assert assert_not_valid(api, attacked) == "invalid"
    sig, = _post(api, attacked).get_json()["signatures"]
    assert sig["modifications_permitted"] is False


@pytest.mark.parametrize("case", ["P1-empty", "P1-signed", "P2-empty"])
def test_certification_sneaky_signature(api, certified_p1, certified_p2, case):
    """Class 5, SSA: a new signature field with an attacker-drawn appearance added to a
    certified document (P=1: empty or signed; P=2: empty, the appearance being content
    no signature covers) -> ``invalid``."""
    certified = certified_p1 if case.startswith("P1") else certified_p2
    assert verdict(api, certified) == "valid"
    attacked = A.sneaky_signature(certified, sign_it=case.endswith("signed"))
    assert assert_not_valid(api, attacked) == "invalid"
    first = _post(api, attacked).get_json()["signatures"][0]
    assert first["field"] == A.FIELD and first["modifications_permitted"] is False


# -- bad input -------------------------------------------------------------------------

HOSTILE_UNSIGNED = {"bomb": A.decompression_bomb, "deep-nesting": A.deep_nesting, "xref-loop": A.xref_loop}
HOSTILE_SIGNED = {"bomb-in-dss": A.signed_bomb_in_dss, "bomb-as-content": A.signed_bomb_as_content,
                  "deep-nesting": A.signed_deep_nesting, "xref-loop": A.signed_xref_loop}


@pytest.mark.parametrize("name", [*(f"unsigned-{k}" for k in HOSTILE_UNSIGNED),
                                  *(f"signed-{k}" for k in HOSTILE_SIGNED)])
def test_hostile_input_is_bounded(api, signed, name):
    """Bad input: a decompression bomb (>1 GiB inflated), 10,000 nested arrays and an
    xref ``/Prev`` loop answer within 30 s with a 422 problem or a report, never a 500.
    Unsigned files may be reported ``unsigned`` (nothing to validate: their content is
    never decoded); signed ones are never ``valid`` (validator fix: a bomb in the DSS
    made the document ``indeterminate`` instead of ``valid``)."""
    kind, _, key = name.partition("-")
    data = HOSTILE_UNSIGNED[key]() if kind == "unsigned" else HOSTILE_SIGNED[key](signed)
    assert len(data) < 4 * 1024 * 1024
    started = time.monotonic()
    resp = _post(api, data)
    elapsed = time.monotonic() - started
    assert elapsed < BOUND_SECONDS, f"{name} took {elapsed:.1f} s"
    assert resp.status_code in (200, 422), (resp.status_code, resp.data[:500])
    if resp.status_code == 422:
        assert resp.mimetype == "application/problem+json"
        return
    got = resp.get_json()["verdict"]
    assert got in (("unsigned",) if kind == "unsigned" else NOT_VALID), got
