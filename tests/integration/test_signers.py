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
