"""Pre-encoded PAdES signed attributes and CMS envelope, shared by every signer signsvc builds.

``FastPadesAttributes`` encodes, once per key, what never changes for a PAdES signature:
the signed attributes content-type and ESS signing-certificate-v2, the signature mechanism
per digest, and the CMS ``SignedData`` around the ``SignerInfo`` (version, digest
algorithms, encapsulated content type, certificates, signer identifier). Per document only
the message digest, the signature value and the unsigned attributes (the signature
timestamp) are encoded, and the pieces are joined as DER. asn1crypto re-encodes nested
structures when pyHanko assembles them from values (certificates are copied and re-tagged),
which costs several milliseconds per signature; anything beyond the plain PAdES case goes
through pyHanko's own code unchanged. The results are byte-identical to pyHanko's
(tests/integration/test_signers.py).
"""

from __future__ import annotations

from asn1crypto import algos, cms, x509
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.pdf_cms import Signer


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


#: DER of the contentType OID id-signedData (RFC 5652)
_SIGNED_DATA_OID = cms.ContentType("signed_data").dump()
#: implicit tags of SignerInfo's signedAttrs [0] and unsignedAttrs [1] (constructed)
_SIGNED_ATTRS_TAG, _UNSIGNED_ATTRS_TAG = 0xA0, 0xA1


class FastPadesAttributes(Signer):
    """Signer mixin: the constant parts of a PAdES CMS signature are encoded once."""

    def _prepare_constant_attributes(self, cert: x509.Certificate) -> None:
        self._constant_attrs = (
            simple_cms_attribute("content_type", "data").dump(),
            cms.CMSAttribute({"type": "signing_certificate_v2",
                              "values": [as_signing_certificate_v2(cert, "sha256")]}).dump(),
        )
        self._mechanisms: dict[str | None, bytes] = {}
        self._envelopes: dict[tuple[str, str], tuple[bytes, bytes, bytes]] = {}

    def get_signature_mechanism_for_digest(self, digest_algorithm: str | None) -> algos.SignedDigestAlgorithm:
        """pyHanko's mechanism for ``digest_algorithm``, computed once per digest (pyHanko
        rebuilds it -- PSS parameters included -- five times per signature)."""
        if self.signature_mechanism is not None or not hasattr(self, "_mechanisms"):
            return super().get_signature_mechanism_for_digest(digest_algorithm)
        der = self._mechanisms.get(digest_algorithm)
        if der is None:
            der = super().get_signature_mechanism_for_digest(digest_algorithm).dump()
            self._mechanisms[digest_algorithm] = der
        return algos.SignedDigestAlgorithm.load(der)

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

    def _envelope(self, digest_algorithm: str, cms_version) -> tuple[bytes, bytes, bytes]:
        """(SignedData fields before signerInfos, SignerInfo fields before signedAttrs,
        signatureAlgorithm), as pyHanko's ``_package_signature`` encodes them."""
        key = (digest_algorithm, str(cms_version))
        cached = self._envelopes.get(key)
        if cached is not None:
            return cached
        sample = self.signer_info(digest_algorithm, cms.CMSAttributes([]), b"")
        registry = self.cert_registry or ()
        certs = [c.dump() for c in registry if self.embed_roots or c.self_signed == "no"]
        if self.signing_cert is None:
            raise ValueError("the signer has no certificate")
        certs.append(self.signing_cert.dump())
        digest_obj = sample["digest_algorithm"]
        signed_data_head = (cms.CMSVersion(cms_version).dump()
                            + _tlv(0x31, digest_obj.dump())
                            + cms.EncapsulatedContentInfo({"content_type": "data"}).dump()
                            + _tlv(0xA0, b"".join(sorted(certs))))
        signer_info_head = sample["version"].dump() + sample["sid"].dump() + digest_obj.dump()
        cached = (signed_data_head, signer_info_head, sample["signature_algorithm"].dump())
        self._envelopes[key] = cached
        return cached

    def _package_signature(self, *, digest_algorithm: str, cms_version, signed_attrs,
                           signature: bytes, unsigned_attrs, encap_content_info) -> cms.ContentInfo:
        """pyHanko's ``ContentInfo``, joined from pre-encoded parts in the plain case (data
        content, no attribute certificates); otherwise pyHanko builds it."""
        # pyHanko passes {'content_type': 'data'} for a PDF signature (None means the same)
        if (encap_content_info not in (None, {"content_type": "data"})
                or list(self.attribute_certs)
                or not hasattr(self, "_envelopes")
                or (unsigned_attrs is not None and len(unsigned_attrs) == 0)):
            return super()._package_signature(
                digest_algorithm=digest_algorithm, cms_version=cms_version,
                signed_attrs=signed_attrs, signature=signature, unsigned_attrs=unsigned_attrs,
                encap_content_info=encap_content_info)
        signed_data_head, signer_info_head, signature_algorithm = \
            self._envelope(digest_algorithm, cms_version)
        signer_info = (signer_info_head
                       + bytes([_SIGNED_ATTRS_TAG]) + signed_attrs.dump()[1:]
                       + signature_algorithm + _tlv(0x04, signature))
        if unsigned_attrs is not None:
            signer_info += bytes([_UNSIGNED_ATTRS_TAG]) + unsigned_attrs.dump()[1:]
        signed_data = _tlv(0x30, signed_data_head + _tlv(0x31, _tlv(0x30, signer_info)))
        return cms.ContentInfo.load(_tlv(0x30, _SIGNED_DATA_OID + _tlv(0xA0, signed_data)))
