"""Whole documents: unsigned, not a PDF, damaged, truncated, encrypted."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from test_validation_fixtures import file_signer, offline_validator, only, sign, trust  # noqa: F401

from signsvc.errors import EncryptedPdf, MalformedPdf, NotAPdf
from tests.support.pdfs import make_pdf

PDF = make_pdf(1, text="To trinh so 9")


def _encrypted(user_password: str) -> bytes:
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(PDF)))
    writer.encrypt("owner-secret", user_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_unsigned_pdf_is_a_report(offline_validator):
    report = offline_validator.validate(PDF)
    assert report.document.status == "unsigned" and report.verdict == "unsigned"
    assert report.signatures == () and report.document.revisions == 1
    assert report.document.sha256 == hashlib.sha256(PDF).hexdigest() and report.document.size == len(PDF)
    assert report.messages.vi == ("Tài liệu không có chữ ký số.",)
    assert report.as_dict()["signatures"] == []


@pytest.mark.parametrize("data", [b"", b"hello", b"\x89PNG\r\n\x1a\n" + os.urandom(200),
                                  b" " * 1024 + PDF], ids=["empty", "text", "png", "late-header"])
def test_not_a_pdf(offline_validator, data):
    with pytest.raises(NotAPdf):
        offline_validator.validate(data)


@pytest.mark.parametrize("data", [
    PDF[: len(PDF) // 2],
    PDF[: PDF.rindex(b"startxref")],
    b"%PDF-1.7\n" + os.urandom(4000),
    PDF.replace(b"/Root", b"/Rxxx"),
], ids=["half", "no-startxref", "garbage", "no-root"])
def test_damaged_pdf_is_malformed(offline_validator, data):
    with pytest.raises(MalformedPdf):
        offline_validator.validate(data)


def test_truncated_signed_pdf_is_repaired_and_its_missing_signed_bytes_fail(offline_validator, dev_pki):
    """Issue 12: the cross-reference data is rebuilt by scanning (as poppler does) only to
    produce a report; the signed range reaches past the end of the upload, so the signed
    bytes are missing: TOTAL-FAILED/HASH_FAILURE, never a hash over the repair's own bytes.
    Without the signature (nothing to give byte evidence) the truncated file stays malformed."""
    signed = sign(PDF, file_signer(dev_pki, "dev-software"))
    report = offline_validator.validate(signed[: len(signed) - 300])
    (sig,) = report.signatures
    assert (report.document.reading, report.verdict) == ("repaired", "invalid")
    assert report.document.repair.startswith("xref rebuilt by object scan")
    assert (sig.indication, sig.sub_indication, sig.intact) == ("TOTAL-FAILED", "HASH_FAILURE", False)
    assert "Vùng ký (ByteRange) vượt quá cuối tệp: một phần nội dung đã ký bị mất." in sig.messages.vi
    with pytest.raises(MalformedPdf):
        offline_validator.validate(PDF[: len(PDF) - 300])


def test_password_protected_pdf_is_encrypted_error(offline_validator):
    with pytest.raises(EncryptedPdf) as caught:
        offline_validator.validate(_encrypted("user-secret"))
    assert "mã hóa" in caught.value.message.vi


def test_encrypted_with_empty_password_is_read(offline_validator, dev_pki):
    data = _encrypted("")
    assert offline_validator.validate(data).verdict == "unsigned"
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.encrypt("")
    from pyhanko.sign import signers
    out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Sig1"),
                           signer=file_signer(dev_pki, "dev-software")).getvalue()
    sig = only(offline_validator.validate(out))
    assert sig.intact and sig.valid and sig.trusted and sig.indication == "TOTAL-PASSED"


def test_without_revocation_data_hard_fail_is_try_later_and_soft_fail_says_so(trust, dev_pki):
    """Issue 12: fetching off, nothing embedded. Under ``hard-fail`` the signature cannot
    pass (INDETERMINATE / TRY_LATER, verdict ``indeterminate``); only a policy that accepts
    ``soft-fail`` lets it pass, and the report then says revocation was not checked."""
    from signsvc.validation import PdfValidator

    signed = sign(PDF, file_signer(dev_pki, "dev-software"))
    hard = PdfValidator(trust, policy_sha256=None, allow_fetching=False, revocation_mode="hard-fail")
    report = hard.validate(signed)
    sig = only(report)
    assert (sig.indication, sig.sub_indication, report.verdict) == ("INDETERMINATE", "TRY_LATER", "indeterminate")
    assert sig.intact and sig.valid
    soft = PdfValidator(trust, policy_sha256=None, allow_fetching=False, revocation_mode="soft-fail")
    sig = only(soft.validate(signed))
    assert (sig.indication, sig.revocation) == ("TOTAL-PASSED", "not_checked")
    assert ("Trạng thái thu hồi của chứng thư số chưa được kiểm tra (không có dữ liệu kèm theo và "
            "không được phép truy vấn trực tuyến).") in sig.messages.vi
