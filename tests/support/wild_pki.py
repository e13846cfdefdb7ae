"""A small PKI made on the fly for "signatures from other software" (TEST ONLY).

One RSA root ("Wild Root") issues one signer certificate per key type that other
signing software uses in the wild: RSA-2048, ECDSA P-256, P-384, brainpoolP256r1,
Ed25519 and Ed448. Every signer certificate names a CRL distribution point on a tiny
HTTP server started by ``WildPki.start()`` on 127.0.0.1 (an empty CRL signed by the
root), so online validation finds the revocation status ``good`` without certomancer.

Nothing is written to disk except by ``write_root`` (for a trust store file) and
``nssdb`` (an NSS database trusting the root, for ``pdfsig``).
"""

from __future__ import annotations

import http.server
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

KEY_TYPES = ("rsa", "p256", "p384", "brainpool", "ed25519", "ed448")
ORG = "signsvc wild signatures (TEST ONLY)"


def new_private_key(kind: str):
    """A fresh private key of ``kind`` (one of ``KEY_TYPES``, or ``p521``)."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    curves = {"p256": ec.SECP256R1, "p384": ec.SECP384R1, "p521": ec.SECP521R1, "brainpool": ec.BrainpoolP256R1}
    if kind in curves:
        return ec.generate_private_key(curves[kind]())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()
    raise ValueError(kind)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def key_der(key) -> bytes:
    """PKCS#8 DER of a private key."""
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class _CrlHandler(http.server.BaseHTTPRequestHandler):
    crl_der = b""

    def do_GET(self):  # http.server's naming
        if self.path != "/wild/root.crl":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/pkix-crl")
        self.send_header("Content-Length", str(len(self.crl_der)))
        self.end_headers()
        self.wfile.write(self.crl_der)

    def log_message(self, *args):  # keep test output quiet
        pass


@dataclass
class WildSigner:
    """One signer: its key (``cryptography``), its certificate, and a label."""

    kind: str
    key: object
    cert: x509.Certificate

    @property
    def common_name(self) -> str:
        return self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value

    def pyhanko(self, *, prefer_pss: bool = False, chain: tuple[x509.Certificate, ...] = ()) -> signers.SimpleSigner:
        """A pyHanko ``SimpleSigner`` over this key (PSS for RSA when ``prefer_pss``)."""
        return signers.SimpleSigner(
            signing_cert=to_asn1(self.cert),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der(self.key)),
            cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in chain]),
            prefer_pss=prefer_pss)


@dataclass
class WildPki:
    """The root, its CRL server and one signer per key type (after ``start``)."""

    root_key: rsa.RSAPrivateKey = field(default_factory=lambda: new_private_key("rsa"))
    root: x509.Certificate | None = None
    signers: dict[str, WildSigner] = field(default_factory=dict)
    crl_url: str = ""
    _server: http.server.HTTPServer | None = None

    def start(self) -> WildPki:
        """Start the CRL server, then make the root, its CRL and the signers."""
        now = datetime.now(UTC)
        self.root = (x509.CertificateBuilder().subject_name(_name("Wild Root CA (TEST ONLY)"))
                     .issuer_name(_name("Wild Root CA (TEST ONLY)"))
                     .public_key(self.root_key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - timedelta(days=30)).not_valid_after(now + timedelta(days=3650))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(
                         digital_signature=False, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                         encipher_only=False, decipher_only=False), critical=True)
                     .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.root_key.public_key()),
                                    critical=False)
                     .sign(self.root_key, hashes.SHA256()))
        crl = (x509.CertificateRevocationListBuilder().issuer_name(self.root.subject)
               .last_update(now - timedelta(hours=1)).next_update(now + timedelta(days=30))
               .add_extension(x509.CRLNumber(1), critical=False)
               .sign(self.root_key, hashes.SHA256()))
        handler = type("Handler", (_CrlHandler,), {"crl_der": crl.public_bytes(serialization.Encoding.DER)})
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.crl_url = f"http://127.0.0.1:{self._server.server_address[1]}/wild/root.crl"
        for kind in KEY_TYPES:
            self.signers[kind] = self.issue(kind)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def issue(self, kind: str, *, cn: str | None = None) -> WildSigner:
        """A signer certificate for a fresh ``kind`` key, issued by the root (SHA-256)."""
        key = new_private_key(kind)
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(_name(cn or f"Wild signer {kind} (TEST ONLY)"))
                .issuer_name(self.root.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()),
                               critical=False)
                .add_extension(x509.KeyUsage(
                    digital_signature=True, content_commitment=True, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                    encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                    [x509.UniformResourceIdentifier(self.crl_url)], None, None, None)]), critical=False)
                .sign(self.root_key, hashes.SHA256()))
        return WildSigner(kind, key, cert)

    def write_root(self, path: Path) -> Path:
        path.write_bytes(self.root.public_bytes(serialization.Encoding.PEM))
        return path

    def nssdb(self, folder: Path) -> Path:
        """An NSS database in ``folder`` trusting the root (for ``pdfsig -nssdir``)."""
        folder.mkdir(parents=True, exist_ok=True)
        root_pem = self.write_root(folder / "wild-root.pem")
        subprocess.run(["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"], check=True,
                       capture_output=True, timeout=60)
        subprocess.run(["certutil", "-A", "-d", f"sql:{folder}", "-n", "wild-root", "-t", "CT,C,C",
                        "-i", str(root_pem)], check=True, capture_output=True, timeout=60)
        return folder
