"""The pre-encoded PAdES signed attributes are byte-for-byte what pyHanko would build."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from asn1crypto import cms
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, Signer

from signsvc.app import open_keys
from tests.conftest import make_settings
from tests.support.validate import pyhanko_statuses


@pytest.mark.parametrize("key_id", ["dev-software", "agency-seal", "agency-seal-ec"])
def test_fast_signed_attributes_equal_pyhanko(dev_pki, tmp_path, key_id):
    keys = open_keys(make_settings(tmp_path))
    try:
        signer = keys.get(key_id).signer
        digest = hashlib.sha256(b"document").digest()
        settings = PdfCMSSignedAttributes()
        ours = asyncio.run(signer.signed_attrs(digest, "sha256", attr_settings=settings,
                                               use_pades=True, is_pdf_sig=True))
        theirs = asyncio.run(Signer.signed_attrs(signer, digest, "sha256", attr_settings=settings,
                                                 use_pades=True, is_pdf_sig=True))
        assert ours.dump() == theirs.dump()
        types = [a["type"].native for a in ours]
        assert set(types) == {"content_type", "message_digest", "signing_certificate_v2"}
        md = next(a for a in ours if a["type"].native == "message_digest")
        assert md["values"][0].native == digest
    finally:
        keys.close()


def test_each_document_is_signed_exactly_once(api):
    """The CMS room is reserved from the key and level: no dry-run signature first."""
    from tests.support.pdfs import make_pdf

    for key_id in ("dev-software", "agency-seal", "agency-seal-ec"):
        signer = api.services.signing._keys.get(key_id).signer
        calls = []
        original = signer.async_sign_raw

        async def counting(data, digest_algorithm, dry_run=False, *, calls=calls, original=original):
            calls.append(dry_run)
            return await original(data, digest_algorithm, dry_run)

        signer.async_sign_raw = counting
        try:
            for level in ("B-B", "B-T"):
                calls.clear()
                resp = api.client.post("/v1/sign", query_string={"key": key_id, "level": level},
                                       data=make_pdf(), headers=api.headers(
                                           "portal", **{"Content-Type": "application/pdf"}))
                assert resp.status_code == 200
                assert calls == [False], (key_id, level, calls)
        finally:
            del signer.async_sign_raw


@pytest.mark.parametrize("key_id", ["dev-software", "agency-seal", "agency-seal-ec"])
def test_fast_cms_envelope_equals_pyhanko(api, dev_pki, key_id):
    """The CMS joined from pre-encoded parts is byte-for-byte the one pyHanko builds, with
    and without a signature timestamp, and is what the signed PDF carries."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    from tests.support.pdfs import make_pdf

    signer = api.services.signing._keys.get(key_id).signer
    for level in ("B-B", "B-T"):
        resp = api.client.post("/v1/sign", query_string={"key": key_id, "level": level},
                               data=make_pdf(), headers=api.headers(
                                   "portal", **{"Content-Type": "application/pdf"}))
        assert resp.status_code == 200, resp.data[:300]
        embedded = PdfFileReader(io.BytesIO(resp.data)).embedded_signatures[-1]
        info = embedded.signer_info
        unsigned = info["unsigned_attrs"] if level == "B-T" else None
        assert (unsigned is not None) == (level == "B-T")
        parts = dict(digest_algorithm="sha256", cms_version="v1",
                     signed_attrs=cms.CMSAttributes.load(info["signed_attrs"].untag().dump()),
                     signature=info["signature"].native,
                     unsigned_attrs=cms.CMSAttributes.load(unsigned.untag().dump())
                     if unsigned is not None else None,
                     encap_content_info=None)
        ours = signer._package_signature(**parts).dump()
        theirs = Signer._package_signature(signer, **parts).dump(force=True)
        assert ours == theirs
        # what pyHanko's async_sign passes for a PDF signature
        as_pyhanko_calls = {**parts, "encap_content_info": {"content_type": "data"}}
        assert signer._package_signature(**as_pyhanko_calls).dump() == ours
        # the signer info read from the /ByteRange gap (genTime for the clock check) is this one
        from signsvc.signing.pades import _last_signer_info
        assert _last_signer_info(resp.data).dump() == info.dump()
        contents = embedded.pkcs7_content
        assert contents[:len(ours)] == ours and not contents[len(ours):].strip(b"\0")
        assert signer.get_signature_mechanism_for_digest("sha256").dump() == \
            Signer.get_signature_mechanism_for_digest(signer, "sha256").dump()
        # and the document verifies: pyHanko, with revocation checking on the responders
        (_, status), = pyhanko_statuses(resp.data, dev_pki.cert("root"), [dev_pki.cert("interm")])
        assert status.bottom_line, status.pretty_print_details()


def test_signing_takes_the_pre_encoded_path(api, monkeypatch):
    """A plain PAdES signature (B-B, B-T) never falls back to pyHanko's CMS assembly."""
    from tests.support.pdfs import make_pdf

    fallbacks = []
    original = Signer._package_signature

    def counting(self, **kwargs):
        fallbacks.append(kwargs.get("encap_content_info"))
        return original(self, **kwargs)

    monkeypatch.setattr(Signer, "_package_signature", counting)
    for key_id in ("dev-software", "agency-seal", "agency-seal-ec"):
        for level in ("B-B", "B-T"):
            resp = api.client.post("/v1/sign", query_string={"key": key_id, "level": level},
                                   data=make_pdf(), headers=api.headers(
                                       "portal", **{"Content-Type": "application/pdf"}))
            assert resp.status_code == 200, resp.data[:300]
    assert fallbacks == []
