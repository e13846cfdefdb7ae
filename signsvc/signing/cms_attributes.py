"""Pre-encoded PAdES signed attributes, shared by every signer signsvc builds.

``FastPadesAttributes`` encodes, once per key, the signed attributes that never change for
a PAdES signature (content-type and ESS signing-certificate-v2), so only the message digest
is encoded per document. asn1crypto re-encodes nested structures when pyHanko assembles
them from values, which costs tens of milliseconds per signature; anything beyond the plain
PAdES case goes through pyHanko's own code unchanged. The result is byte-identical to
pyHanko's (tests/integration/test_signers.py).
"""

from __future__ import annotations

from asn1crypto import cms, x509
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.pdf_cms import Signer


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


class FastPadesAttributes(Signer):
    """Signer mixin: the constant PAdES signed attributes are encoded once."""

    def _prepare_constant_attributes(self, cert: x509.Certificate) -> None:
        self._constant_attrs = (
            simple_cms_attribute("content_type", "data").dump(),
            cms.CMSAttribute({"type": "signing_certificate_v2",
                              "values": [as_signing_certificate_v2(cert, "sha256")]}).dump(),
        )

    async def signed_attrs(self, data_digest: bytes, digest_algorithm: str, attr_settings=None,
                           content_type="data", use_pades=False, timestamper=None, dry_run=False,
                           is_pdf_sig=True):
        """Same attributes as pyHanko's for a plain PAdES signature (content-type,
        message-digest, signing-certificate-v2, DER SET order); otherwise pyHanko's."""
        # PAdES forbids the CMS signing-time attribute, so pyHanko's CAdES provider
        # ignores attr_settings.signing_time when use_pades is set; so do we.
        plain = (use_pades and is_pdf_sig and content_type == "data"
                 and self.signed_attr_prov_spec is None
                 and (attr_settings is None or (attr_settings.cades_signed_attrs is None
                                                and attr_settings.adobe_revinfo_attr is None)))
        if not plain:
            return await super().signed_attrs(
                data_digest, digest_algorithm, attr_settings=attr_settings,
                content_type=content_type, use_pades=use_pades, timestamper=timestamper,
                dry_run=dry_run, is_pdf_sig=is_pdf_sig)
        digest = simple_cms_attribute("message_digest", data_digest).dump()
        body = b"".join(sorted((*self._constant_attrs, digest)))
        return cms.CMSAttributes.load(b"\x31" + _der_length(len(body)) + body)
