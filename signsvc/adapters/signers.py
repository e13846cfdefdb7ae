"""pyHanko ``Signer`` building blocks shared by the software and PKCS#11 keys.

- ``PreloadedKeySigner`` signs with a private key parsed once (pyHanko's ``SimpleSigner``
  re-parses the key on every signature).
- ``FastPadesAttributes`` pre-encodes, once per key, the signed attributes that never
  change for a PAdES signature (content-type and ESS signing-certificate-v2), so only the
  message digest is encoded per document. asn1crypto re-encodes nested structures when
  pyHanko assembles them from values, which costs tens of milliseconds per signature;
  anything beyond the plain PAdES case goes through pyHanko's own code unchanged.
"""

from __future__ import annotations

from asn1crypto import cms, x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign.general import SigningError, as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params


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


class PreloadedKeySigner(FastPadesAttributes):
    """Signs with a key object loaded once; RSA (PSS or PKCS#1 v1.5) or ECDSA."""

    def __init__(self, private_key, cert: x509.Certificate,
                 chain: tuple[x509.Certificate, ...], *, prefer_pss: bool) -> None:
        super().__init__(
            prefer_pss=prefer_pss, signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs(chain), embed_roots=False)
        self._key = private_key
        self._prepare_constant_attributes(cert)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        mech = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mech.signature_algo
        key = self._key
        if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algo == "rsassa_pss" and isinstance(key, rsa.RSAPrivateKey):
            padding, hash_algo = process_pss_params(mech["parameters"])
            return key.sign(data, padding, hash_algo)
        if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        raise SigningError(f"signature mechanism {algo} is not supported for this key")
