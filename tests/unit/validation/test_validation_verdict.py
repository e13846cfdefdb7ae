"""document_verdict: the rules of API.md, case by case.

Issue 12: the verdict follows the indications only (changes after signing are judged in
each signature's indication: a forbidden change is TOTAL-FAILED/FORMAT_FAILURE there)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from signsvc.validation.report import (
    DocumentTimestampReport,
    Messages,
    SignatureReport,
    TimestampInfo,
)
from signsvc.validation.verdict import document_verdict

PASSED = SignatureReport(
    field="Sig1", signer=None, signing_time=None, timestamp=None, level="B-B", intact=True, valid=True,
    trusted=True, revocation="good", coverage="entire_file", modifications="none",
    indication="TOTAL-PASSED", sub_indication=None, messages=Messages())
FIRST_OF_TWO = replace(PASSED, coverage="entire_revision", modifications="form_filling")
TS = TimestampInfo(time=datetime(2026, 1, 1, tzinfo=UTC), tsa="TSA", valid=True)


def test_no_signature_is_unsigned():
    assert document_verdict([]) == "unsigned"
    assert document_verdict([], [DocumentTimestampReport("T", TS, "entire_file", "none")]) == "unsigned"


@pytest.mark.parametrize("sigs", [[PASSED], [FIRST_OF_TWO, PASSED],
                                  [replace(PASSED, modifications="none", coverage="entire_revision")]])
def test_valid_only_with_permitted_changes(sigs):
    assert document_verdict(sigs) == "valid"


@pytest.mark.parametrize("change", [
    {"indication": "TOTAL-FAILED", "sub_indication": "HASH_FAILURE", "intact": False},
    {"indication": "TOTAL-FAILED", "sub_indication": "SIG_CRYPTO_FAILURE", "valid": False},
    {"indication": "TOTAL-FAILED", "sub_indication": "REVOKED", "revocation": "revoked"},
    {"modifications": "other", "modifications_permitted": False,
     "indication": "TOTAL-FAILED", "sub_indication": "FORMAT_FAILURE"},
    {"modifications": "form_filling", "modifications_permitted": False,
     "indication": "TOTAL-FAILED", "sub_indication": "FORMAT_FAILURE"},
])
def test_invalid(change):
    assert document_verdict([FIRST_OF_TWO, replace(PASSED, **change)]) == "invalid"


def test_invalid_wins_over_indeterminate():
    untrusted = replace(PASSED, trusted=False, indication="INDETERMINATE",
                        sub_indication="NO_CERTIFICATE_CHAIN_FOUND")
    forbidden = replace(PASSED, modifications="other", modifications_permitted=False,
                        indication="TOTAL-FAILED", sub_indication="FORMAT_FAILURE")
    assert document_verdict([untrusted, forbidden]) == "invalid"


def test_unclassified_change_is_not_invalid():
    """Processing trouble leaves ``other`` with the change not shown to be forbidden:
    INDETERMINATE, never ``invalid`` (no TOTAL-FAILED)."""
    unclear = replace(PASSED, modifications="other", coverage="partial", indication="INDETERMINATE",
                      sub_indication="FORMAT_FAILURE")
    assert document_verdict([unclear]) == "indeterminate"


@pytest.mark.parametrize("change", [
    {"trusted": False, "indication": "INDETERMINATE", "sub_indication": "NO_CERTIFICATE_CHAIN_FOUND"},
    {"revocation": "unknown", "indication": "INDETERMINATE", "sub_indication": "TRY_LATER"},
    {"indication": "INDETERMINATE", "sub_indication": "GENERIC", "intact": False, "valid": False},
])
def test_indeterminate(change):
    assert document_verdict([PASSED, replace(PASSED, **change)]) == "indeterminate"


def test_indeterminate_wins_over_modified_after():
    untrusted = replace(PASSED, indication="INDETERMINATE", sub_indication="TRY_LATER")
    assert document_verdict([untrusted, replace(PASSED, modifications="annotations")]) == "indeterminate"


@pytest.mark.parametrize("change", [{"modifications": "annotations"}, {"trailing_data": True}])
def test_valid_modified_after(change):
    assert document_verdict([replace(PASSED, **change)]) == "valid_modified_after"


def test_document_timestamps_count():
    good = DocumentTimestampReport("T", TS, "entire_file", "none", indication="TOTAL-PASSED", sub_indication=None)
    broken = DocumentTimestampReport("T", replace(TS, valid=False, intact=False), "entire_file", "none",
                                     indication="TOTAL-FAILED", sub_indication="HASH_FAILURE")
    untrusted = DocumentTimestampReport("T", replace(TS, valid=False, trusted=False), "entire_file", "none",
                                        indication="INDETERMINATE", sub_indication="NO_CERTIFICATE_CHAIN_FOUND")
    assert document_verdict([PASSED], [good]) == "valid"
    assert document_verdict([PASSED], [broken]) == "invalid"
    assert document_verdict([PASSED], [untrusted]) == "indeterminate"
