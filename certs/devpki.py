"""Build the development/test PKI and SoftHSM2 tokens -- TEST ONLY.

Run by ``make pki`` (and so by ``make run`` and ``make test``). Idempotent: it does
nothing when ``var/pki/STAMP`` matches the PKI spec and this script; otherwise it wipes
``var/pki``, ``var/softhsm`` and ``var/secrets`` and builds everything again:

- file keys (root, issuing CA, OCSP responder, TSA, the software signing key, a revoked
  signer, an untrusted root) under ``var/pki/keys`` -- never in the repository;
- SoftHSM2 tokens: ``signsvc-dev`` holding ``agency-seal`` (RSA-2048) and
  ``agency-seal-ec`` (ECDSA P-256), and one token per official for the browser flow; the
  private keys are generated inside the token (sensitive, not extractable);
- the certificates, issued by certomancer from ``certs/dev/certomancer.yml``, written to
  ``var/pki/certs`` and into the tokens next to their keys (same CKA_ID and label);
- ``var/pki/dev-software.p12`` protected by a random passphrase;
- random PINs and passphrases under ``var/secrets`` (mode 0600), and ``var/dev.env``;
- the audit chain's HMAC key ``var/secrets/audit-hmac.key`` (mode 0600, TEST ONLY);
- an NSS database ``var/pki/nssdb`` trusting the test root, for ``pdfsig -nssdir``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "certs" / "dev" / "certomancer.yml"
VAR = Path(os.environ.get("SIGNSVC_VAR", REPO / "var"))
PKI = VAR / "pki"
KEYS = PKI / "keys"
CERTS = PKI / "certs"
SECRETS = VAR / "secrets"
SOFTHSM = VAR / "softhsm"
SOFTHSM_CONF = SOFTHSM / "softhsm2.conf"
NSSDB = PKI / "nssdb"
ARCH = "signsvc-dev"
MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)

# token label -> [(key label, CKA_ID, kind)]
TOKENS = {
    "signsvc-dev": [("agency-seal", b"\x01", "rsa"), ("agency-seal-ec", b"\x02", "ec")],
    "official-an": [("official-an", b"\x11", "rsa")],
    "official-binh": [("official-binh", b"\x12", "ec")],
}
FILE_KEYS = {
    "root": "rsa3072", "interm": "rsa", "interm-ocsp": "rsa", "tsa": "rsa",
    "dev-software": "rsa", "revoked-signer": "rsa", "untrusted-root": "rsa",
}
ALL_CERTS = ["root", "interm", "interm-ocsp", "tsa", "agency-seal", "agency-seal-ec",
             "dev-software", "official-an", "official-binh", "revoked-signer", "untrusted-root"]


def softhsm_module() -> str:
    """Path of the SoftHSM2 PKCS#11 module; exits with a message if it is not installed."""
    for cand in MODULE_CANDIDATES:
        if os.path.exists(cand):
            return cand
    sys.exit("SoftHSM2 is not installed (apt-get install softhsm2); run `make deps`.")


def _stamp() -> str:
    h = hashlib.sha256(SPEC.read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def _secret(name: str) -> str:
    path = SECRETS / name
    if not path.exists():
        SECRETS.mkdir(parents=True, exist_ok=True)
        os.chmod(SECRETS, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            # digits only: some PIN pads and agents accept nothing else
            f.write("".join(secrets.choice("0123456789") for _ in range(12)))
    return path.read_text().strip()


def _audit_hmac_key() -> Path:
    """``var/secrets/audit-hmac.key`` (mode 0600): 32 random bytes as hex, the secret that
    keys the audit chain ([audit] hmac_key_file). TEST ONLY; made once, kept across builds."""
    path = SECRETS / "audit-hmac.key"
    if not path.exists():
        SECRETS.mkdir(parents=True, exist_ok=True)
        os.chmod(SECRETS, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return path


def _write_file_keys() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    KEYS.mkdir(parents=True, exist_ok=True)
    for label, kind in FILE_KEYS.items():
        bits = 3072 if kind == "rsa3072" else 2048
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        (KEYS / f"{label}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        os.chmod(KEYS / f"{label}.key.pem", 0o600)


def _softhsm_env() -> None:
    (SOFTHSM / "tokens").mkdir(parents=True, exist_ok=True)
    SOFTHSM_CONF.write_text(
        "# SoftHSM2 configuration for signsvc development -- TEST ONLY\n"
        f"directories.tokendir = {SOFTHSM / 'tokens'}\n"
        "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(SOFTHSM_CONF)


def _rsa_spki(pub) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
    from pkcs11 import Attribute

    n = int.from_bytes(pub[Attribute.MODULUS], "big")
    e = int.from_bytes(pub[Attribute.PUBLIC_EXPONENT], "big")
    return RSAPublicNumbers(e, n).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _ec_spki(pub) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from pkcs11.util.ec import encode_ec_public_key
    return load_der_public_key(encode_ec_public_key(pub)).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _make_tokens(module: str) -> None:
    import pkcs11
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    for token_label in TOKENS:
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", token_label,
             "--so-pin", _secret(f"{token_label}.so-pin"), "--pin", _secret(f"{token_label}.pin")],
            check=True, stdout=subprocess.DEVNULL)
    lib = pkcs11.lib(module)
    for token_label, keys in TOKENS.items():
        token = lib.get_token(token_label=token_label)
        with token.open(user_pin=_secret(f"{token_label}.pin"), rw=True) as session:
            for label, key_id, kind in keys:
                private = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                           Attribute.SIGN: True, Attribute.TOKEN: True}
                public = {Attribute.VERIFY: True, Attribute.TOKEN: True}
                if kind == "rsa":
                    pub, _ = session.generate_keypair(
                        KeyType.RSA, 2048, id=key_id, label=label, store=True,
                        public_template=public, private_template=private)
                    pem = _rsa_spki(pub)
                else:
                    params = session.create_domain_parameters(
                        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                        local=True)
                    pub, _ = params.generate_keypair(
                        id=key_id, label=label, store=True,
                        public_template=public, private_template=private)
                    pem = _ec_spki(pub)
                (KEYS / f"{label}.pub.pem").write_bytes(pem)


def _issue_certificates() -> dict[str, bytes]:
    from asn1crypto import pem
    from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig

    cfg = CertomancerConfig.from_file(str(SPEC), key_search_dir=str(PKI))
    arch = cfg.get_pki_arch(ArchLabel(ARCH))
    CERTS.mkdir(parents=True, exist_ok=True)
    out = {}
    for label in ALL_CERTS:
        der = arch.get_cert(CertLabel(label)).dump()
        out[label] = der
        (CERTS / f"{label}.cert.pem").write_bytes(pem.armor("CERTIFICATE", der))
    return out


def _store_certificates(module: str, certs: dict[str, bytes]) -> None:
    import pkcs11
    from asn1crypto import x509
    from pkcs11 import Attribute, CertificateType, ObjectClass

    lib = pkcs11.lib(module)
    for token_label, keys in TOKENS.items():
        token = lib.get_token(token_label=token_label)
        with token.open(user_pin=_secret(f"{token_label}.pin"), rw=True) as session:
            for label, key_id, _ in keys:
                cert = x509.Certificate.load(certs[label])
                session.create_object({
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.ID: key_id,
                    Attribute.LABEL: label,
                    Attribute.VALUE: certs[label],
                    Attribute.SUBJECT: cert.subject.dump(),
                    Attribute.ISSUER: cert.issuer.dump(),
                    Attribute.SERIAL_NUMBER: cert["tbs_certificate"]["serial_number"].dump(),
                })


def _write_pkcs12(certs: dict[str, bytes]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = serialization.load_pem_private_key((KEYS / "dev-software.key.pem").read_bytes(), None)
    data = pkcs12.serialize_key_and_certificates(
        b"dev-software", key, x509.load_der_x509_certificate(certs["dev-software"]),
        [x509.load_der_x509_certificate(certs["interm"])],
        serialization.BestAvailableEncryption(_secret("dev-software.pass").encode()))
    path = PKI / "dev-software.p12"
    path.write_bytes(data)
    os.chmod(path, 0o600)


def _write_nssdb() -> None:
    NSSDB.mkdir(parents=True, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{NSSDB}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{NSSDB}", "-n", "signsvc TEST ONLY Root CA",
                    "-t", "CT,C,C", "-i", str(CERTS / "root.cert.pem")], check=True)


def _write_env() -> None:
    env = VAR / "dev.env"
    env.write_text(
        "# sourced by the Makefile -- development only, TEST ONLY secrets\n"
        f"SOFTHSM2_CONF={SOFTHSM_CONF}\n"
        f"SIGNSVC_DEV_SOFTWARE_PASSPHRASE={_secret('dev-software.pass')}\n")
    os.chmod(env, 0o600)


def build(force: bool = False) -> bool:
    """Build everything unless it is already built from the same spec; True if built."""
    stamp_file = PKI / "STAMP"
    stamp = _stamp()
    if not force and stamp_file.exists() and stamp_file.read_text() == stamp \
            and SOFTHSM_CONF.exists():
        os.environ["SOFTHSM2_CONF"] = str(SOFTHSM_CONF)
        _audit_hmac_key()
        return False
    module = softhsm_module()
    for d in (PKI, SOFTHSM, SECRETS):
        shutil.rmtree(d, ignore_errors=True)
    _write_file_keys()
    _softhsm_env()
    _make_tokens(module)
    certs = _issue_certificates()
    _store_certificates(module, certs)
    _write_pkcs12(certs)
    _write_nssdb()
    _write_env()
    _audit_hmac_key()
    stamp_file.write_text(stamp)
    return True


if __name__ == "__main__":
    built = build(force="--force" in sys.argv)
    print(f"devpki: {'built' if built else 'up to date'} in {VAR}")
