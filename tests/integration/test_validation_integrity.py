"""Integrity and changes after signing: flipped bytes, incremental updates (content,
pages, annotations, further signatures), appended bytes, broken or exotic CMS."""

from __future__ import annotations

import os

import pytest
from asn1crypto import cms
from pyhanko.sign.fields import MDPPerm
from test_validation_fixtures import (  # noqa: F401  (fixtures)
    add_page,
    add_text_annotation,
    file_signer,
    http_tsa,
    only,
    read_contents,
    replace_contents,
    replace_page_content,
    sign,
    trust,
    validator,
)

from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig

PDF = make_pdf(2, text="Cong van so 7/UBND-VP")


@pytest.fixture(scope="module")
def signed(dev_pki, responders):
    return sign(PDF, file_signer(dev_pki, "dev-software"), timestamper=http_tsa())


def test_flipped_byte_in_signed_range_is_hash_failure(validator, signed):
    pos = signed.index(b"Cong van so 7")
    tampered = signed[:pos] + b"D" + signed[pos + 1:]
    report = validator.validate(tampered)
    sig = only(report)
    assert sig.intact is False
    assert (sig.indication, sig.sub_indication) == ("TOTAL-FAILED", "HASH_FAILURE")
    assert report.verdict == "invalid"
    assert "giá trị băm" in sig.messages.vi[0]


@pytest.mark.parametrize("change", [replace_page_content, add_page], ids=["content", "page"])
def test_incremental_update_changing_the_document_is_never_valid(validator, signed, change, dev_pki, tmp_path):
    changed = change(signed)
    assert changed.startswith(signed)
    report = validator.validate(changed)
    sig = only(report)
    # issue 12: the signature's bytes hold, but a change PAdES forbids is positive evidence
    assert sig.intact and sig.valid
    assert (sig.indication, sig.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert "(ISO 32000-2, 12.8; ETSI EN 319 142-1)" in sig.messages.en[0]
    assert sig.coverage == "entire_revision" and sig.modifications == "other"
    assert report.verdict == "invalid"
    assert report.document.revisions == 3
    assert "Tài liệu đã bị thay đổi sau khi ký." in sig.messages.vi
    # poppler, for comparison, only notices that the whole file is no longer covered
    path = tmp_path / "changed.pdf"
    path.write_bytes(changed)
    (ps,) = pdfsig(path, dev_pki.nssdb)
    assert not ps.whole_document


def test_annotation_after_signing_is_valid_modified_after(validator, signed):
    report = validator.validate(add_text_annotation(signed))
    sig = only(report)
    assert sig.indication == "TOTAL-PASSED" and sig.modifications == "annotations"
    assert report.verdict == "valid_modified_after"
    assert sig.messages.vi[0] == "Bản thân chữ ký hợp lệ."
    assert "Tài liệu đã được thêm chú thích sau khi ký." in sig.messages.vi


def test_two_signatures_in_sequence_are_valid(validator, signed, dev_pki):
    both = sign(signed, file_signer(dev_pki, "dev-software"), field="Sig2", timestamper=http_tsa())
    report = validator.validate(both)
    first, second = report.signatures
    assert (first.field, second.field) == ("Sig1", "Sig2")
    assert first.modifications == "form_filling" and first.coverage == "entire_revision"
    assert second.modifications == "none" and second.coverage == "entire_file"
    assert first.indication == second.indication == "TOTAL-PASSED"
    assert report.verdict == "valid" and report.document.revisions == 3


def test_annotation_then_second_signature(validator, signed, dev_pki):
    data = sign(add_text_annotation(signed), file_signer(dev_pki, "dev-software"), field="Sig2")
    first, second = validator.validate(data).signatures
    assert first.modifications == "annotations" and second.modifications == "none"
    assert validator.validate(data).verdict == "valid_modified_after"


def test_second_signature_then_annotation(validator, signed, dev_pki):
    data = add_text_annotation(sign(signed, file_signer(dev_pki, "dev-software"), field="Sig2"))
    report = validator.validate(data)
    assert [s.modifications for s in report.signatures] == ["annotations", "annotations"]
    assert report.verdict == "valid_modified_after"


def test_certification_forbidding_changes_makes_an_annotation_invalid(validator, dev_pki):
    certified = sign(PDF, file_signer(dev_pki, "dev-software"), certify=True,
                     docmdp_permissions=MDPPerm.NO_CHANGES)
    assert validator.validate(certified).verdict == "valid"
    report = validator.validate(add_text_annotation(certified))
    sig = only(report)
    assert sig.modifications_permitted is False
    assert report.verdict == "invalid"
    assert any("chữ ký chứng thực" in m for m in sig.messages.vi)


def test_appended_garbage_is_flagged_but_appended_newlines_are_not(validator, signed):
    report = validator.validate(signed + b"\n%% appended by someone\n1 0 obj (x) endobj\n")
    sig = only(report)
    assert sig.trailing_data and sig.coverage == "entire_revision"
    assert report.verdict == "valid_modified_after"
    assert "Có dữ liệu không được ký nối thêm vào cuối tệp sau khi ký." in sig.messages.vi
    clean = validator.validate(signed + b"\r\n\n")
    assert not only(clean).trailing_data and clean.verdict == "valid"


def test_garbage_cms_is_a_failed_signature_not_a_crash(validator, signed):
    original = read_contents(signed)
    report = validator.validate(replace_contents(signed, os.urandom(len(original) // 2)))
    sig = only(report)
    assert (sig.indication, sig.sub_indication) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert sig.level == "none" and sig.signer is None and not sig.intact
    assert report.verdict == "invalid" and report.document.status == "signed"
    assert sig.messages.vi[0].startswith("Dữ liệu chữ ký bị hỏng")


def test_cms_without_the_signer_certificate(validator, signed):
    info = cms.ContentInfo.load(read_contents(signed))
    info["content"]["certificates"] = []
    report = validator.validate(replace_contents(signed, info.dump(force=True)))
    sig = only(report)
    assert sig.indication == "INDETERMINATE" and sig.sub_indication == "NO_SIGNING_CERTIFICATE_FOUND"
    assert report.verdict == "indeterminate"


def test_unsupported_signature_algorithm_is_indeterminate_with_its_name(validator, signed):
    info = cms.ContentInfo.load(read_contents(signed))
    signer_info = info["content"]["signer_infos"][0]
    signer_info["signature_algorithm"] = {"algorithm": "1.2.643.7.1.1.3.2"}  # GOST R 34.10-2012
    report = validator.validate(replace_contents(signed, info.dump(force=True)))
    sig = only(report)
    assert (sig.indication, sig.sub_indication) == ("INDETERMINATE", "CRYPTO_CONSTRAINTS_FAILURE")
    assert "1.2.643.7.1.1.3.2" in sig.messages.en[0] and "không được hỗ trợ" in sig.messages.vi[0]
    assert sig.signer is not None and sig.coverage == "entire_file"
    assert report.verdict == "indeterminate"


def test_tampered_signature_value_is_crypto_failure(validator, dev_pki):
    data = sign(PDF, file_signer(dev_pki, "dev-software"))
    info = cms.ContentInfo.load(read_contents(data))
    signer_info = info["content"]["signer_infos"][0]
    value = bytearray(signer_info["signature"].native)
    value[10] ^= 0xFF
    signer_info["signature"] = bytes(value)
    report = validator.validate(replace_contents(data, info.dump(force=True)))
    sig = only(report)
    assert sig.intact and not sig.valid
    assert (sig.indication, sig.sub_indication) == ("TOTAL-FAILED", "SIG_CRYPTO_FAILURE")
    assert report.verdict == "invalid"
