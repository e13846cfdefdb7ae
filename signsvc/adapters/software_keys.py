"""Software keys (PKCS#12 or PEM), parsed once at start-up."""

from __future__ import annotations

from asn1crypto import pem as asn1_pem
from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from signsvc.adapters.signers import PreloadedKeySigner
from signsvc.errors import ConfigError, Message
from signsvc.keys.model import CertificateInfo, KeyInfo, describe_public_key
from signsvc.settings import KeySpec


def _bad(spec: KeySpec, problem_vi: str, problem_en: str) -> ConfigError:
    return ConfigError(Message(f"Khóa '{spec.id}': {problem_vi}", f"Key '{spec.id}': {problem_en}"))


def _certs_from_file(data: bytes) -> list[x509.Certificate]:
    if asn1_pem.detect(data):
        return [x509.Certificate.load(der) for _, _, der in asn1_pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


def _to_asn1(cert) -> x509.Certificate:
    return x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class SoftwareKey:
    """A software key: the private key object and certificates are loaded exactly once."""

    backend = "software"

    def __init__(self, spec: KeySpec) -> None:
        password = spec.passphrase.reveal().encode() if spec.passphrase else None
        try:
            if spec.pkcs12 is not None:
                key, cert, extra = pkcs12.load_key_and_certificates(spec.pkcs12.read_bytes(), password)
                if key is None or cert is None:
                    raise _bad(spec, "tệp PKCS#12 không chứa khóa và chứng thư",
                               "the PKCS#12 file holds no key and certificate")
                certificate, chain = _to_asn1(cert), tuple(_to_asn1(c) for c in extra)
            else:
                assert spec.key_pem is not None and spec.cert_pem is not None
                key = serialization.load_pem_private_key(spec.key_pem.read_bytes(), password)
                certificate = _certs_from_file(spec.cert_pem.read_bytes())[0]
                chain = tuple(c for p in spec.chain_pem for c in _certs_from_file(p.read_bytes()))
        except ConfigError:
            raise
        except FileNotFoundError as exc:
            raise _bad(spec, f"không tìm thấy tệp {exc.filename}", f"file {exc.filename} not found") from None
        except (ValueError, TypeError):
            raise _bad(spec, "không đọc được khóa (sai mật khẩu hoặc tệp hỏng)",
                       "the key cannot be read (wrong passphrase or damaged file)") from None
        spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        if spki != certificate.public_key.dump():
            raise _bad(spec, "khóa không khớp với chứng thư", "the key does not match its certificate")
        algorithm, bits, raw_size = describe_public_key(certificate)
        self.certificate = certificate
        self.chain = chain
        self.raw_signature_size = raw_size
        self.info = KeyInfo(id=spec.id, backend="software", algorithm=algorithm, key_size=bits,
                            kind=spec.kind, description=spec.description,
                            certificate=CertificateInfo.of(certificate), rsa_padding=spec.rsa_padding)
        self._signer = PreloadedKeySigner(key, certificate, chain, prefer_pss=spec.rsa_padding == "pss")

    @property
    def signer(self) -> PreloadedKeySigner:
        return self._signer

    def check(self) -> None:
        """A software key is always usable once loaded."""

    def close(self) -> None:
        """Nothing to release."""
