"""pyHanko ``Signer`` for a software key: the private key is parsed once (pyHanko's
``SimpleSigner`` re-parses it on every signature)."""

from __future__ import annotations

from asn1crypto import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign.general import SigningError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

from signsvc.signing.cms_attributes import FastPadesAttributes


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
