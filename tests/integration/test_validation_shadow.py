"""Modification analysis against the standards (issue 12): a form field overlaid on a
signed one is a change after signing, whatever the certification level; filling the form
is permitted under DocMDP P=2; an Adobe usage-rights signature (/Perms /UR3) is not an
approval signature."""

from __future__ import annotations

import pytest
from test_validation_fixtures import file_signer, offline_validator, only, sign, trust  # noqa: F401

from tests.support import wild_pdfs as W
from tests.support.pdfs import make_pdf
from tests.support.wild_shadow import overlay_field, with_usage_rights

PDF = make_pdf(1, text="To khai dang ky ho tich")


@pytest.fixture(scope="module")
def form():
    return W.with_empty_text_field(PDF)


def test_field_overlaid_after_approval_signature_is_a_forbidden_change(offline_validator, dev_pki, form):
    """The signer signed the form with "Nguyen Van A"; a new field drawn over it shows
    another name. The signed field is untouched, so only the change analysis can tell."""
    signed = sign(W.fill_text_field(form, "Nguyen Van A"), file_signer(dev_pki, "dev-software"))
    assert only(offline_validator.validate(signed)).indication == "TOTAL-PASSED"
    report = offline_validator.validate(overlay_field(signed, "Tran Van B"))
    sig = only(report)
    assert report.verdict == "invalid"
    assert sig.intact and sig.valid and not sig.modifications_permitted
    assert (sig.indication, sig.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert sig.messages.vi[0].startswith("Tài liệu bị thay đổi sau khi ký theo cách không được phép")
    assert "ho_ten_moi" in report.revisions[-1].added.fields  # the revision view names the new field


@pytest.mark.parametrize("level", [2, 3])
def test_field_overlaid_after_certification_is_forbidden_even_where_filling_is_not(
        offline_validator, dev_pki, form, level):
    certified = W.certify(form, file_signer(dev_pki, "dev-software"), level)
    filled = W.fill_text_field(certified, "Nguyen Van A")
    ok = only(offline_validator.validate(filled))
    assert (ok.indication, ok.modifications, ok.modifications_permitted) == ("TOTAL-PASSED", "form_filling", True)
    sig = only(offline_validator.validate(overlay_field(filled, "Tran Van B")))
    assert (sig.indication, sig.sub_indication, sig.modifications_permitted) == (
        "TOTAL-FAILED", "FORMAT_FAILURE", False)


def test_usage_rights_signature_alone_is_not_a_signature(offline_validator, dev_pki):
    report = offline_validator.validate(with_usage_rights(PDF))
    assert (report.verdict, report.signatures, report.document.status) == ("unsigned", (), "unsigned")
    signed = sign(with_usage_rights(PDF), file_signer(dev_pki, "dev-software"))
    report = offline_validator.validate(signed)
    assert [s.field for s in report.signatures] == ["Sig1"] and only(report).indication == "TOTAL-PASSED"


def test_field_name_with_periods_is_not_invalid(offline_validator, dev_pki):
    """ISO 32000-2 12.7.4.2 forbids periods in partial field names, yet real software writes
    them, and pyHanko's change analysis refuses such a form. Signed, then filled in: the
    signature itself is checked (intact, valid), the change after it is "not classified",
    INDETERMINATE / FORMAT_FAILURE with the reason, never ``invalid``."""
    form = W.with_empty_text_field(PDF, name="ho.ten")
    signed = sign(form, file_signer(dev_pki, "dev-software"))
    assert offline_validator.validate(signed).verdict == "valid"
    report = offline_validator.validate(W.fill_text_field(signed, "Nguyen Van A", name="ho.ten"))
    sig = only(report)
    assert report.verdict == "indeterminate"
    assert sig.intact and sig.valid and sig.modifications == "other"
    assert (sig.indication, sig.sub_indication) == ("INDETERMINATE", "FORMAT_FAILURE")
    assert any("Partial names must not contain periods" in m for m in sig.messages.en)


def test_cms_with_two_signer_infos_is_indeterminate_with_the_rule(offline_validator, dev_pki):
    """ISO 32000-2 12.8.3.3 allows one SignerInfo: with two, which one signs the document
    cannot be decided. Ambiguous, not shown broken: INDETERMINATE / FORMAT_FAILURE, named."""
    import asyncio

    from asn1crypto import cms

    signer = file_signer(dev_pki, "dev-software")

    def two_signers(digest: bytes) -> bytes:
        info = asyncio.run(signer.async_sign(digest, "sha256"))
        first = info["content"]["signer_infos"][0]
        info["content"]["signer_infos"] = cms.SignerInfos([first, first.copy()])
        return info.dump(force=True)

    data = W.raw_sign(PDF, "/adbe.pkcs7.detached", two_signers, md_algorithm="sha256")
    report = offline_validator.validate(data)
    sig = only(report)
    assert (report.verdict, sig.indication, sig.sub_indication) == ("indeterminate", "INDETERMINATE", "FORMAT_FAILURE")
    assert sig.messages.vi[0].startswith("Chữ ký CMS chứa nhiều hơn một SignerInfo")
