"""The pre-encoded PAdES signed attributes are byte-for-byte what pyHanko would build."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, Signer

from signsvc.app import open_keys
from tests.conftest import make_settings


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

        async def counting(data, digest_algorithm, dry_run=False):
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
