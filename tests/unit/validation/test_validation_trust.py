"""load_trust_anchors: files, directories, PEM bundles, DER; every refusal names the file."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from signsvc.errors import ConfigError
from signsvc.validation.trust import anchors_digest, load_trust_anchors

NOW = datetime.now(UTC)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _cert(cn: str, key, *, issuer_key=None, issuer_cn: str | None = None, ca: bool = True,
           digest=hashes.SHA256()) -> x509.Certificate:
    name = lambda n: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, n)])  # noqa: E731
    builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(issuer_cn or cn))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return builder.sign(issuer_key or key, digest)


def _sha1_root(cn: str) -> x509.Certificate:
    """A self-signed RSA root signed with SHA-1 (cryptography no longer signs those
    itself, so the TBS is re-signed by hand)."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.asymmetric import padding

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = asn1_x509.Certificate.load(_cert(cn, key).public_bytes(serialization.Encoding.DER))
    tbs = cert["tbs_certificate"]
    tbs["signature"] = {"algorithm": "sha1_rsa"}
    cert["signature_algorithm"] = {"algorithm": "sha1_rsa"}
    cert["signature_value"] = key.sign(tbs.dump(force=True), padding.PKCS1v15(), hashes.SHA1())
    return x509.load_der_x509_certificate(cert.dump(force=True))


def _pem(path: Path, *certs) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return path


@pytest.fixture(scope="module")
def pki():
    root_key, other_key, interm_key = _key(), _key(), _key()
    root = _cert("Root A", root_key)
    other = _cert("Root B", other_key)
    interm = _cert("Issuing CA", interm_key, issuer_key=root_key, issuer_cn="Root A")
    return {"root": root, "other": other, "interm": interm, "root_key": root_key}


def test_reads_pem_bundle_der_and_directories(tmp_path, pki):
    bundle = _pem(tmp_path / "bundle.pem", pki["root"], pki["other"])
    der_dir = tmp_path / "dir"
    der_dir.mkdir()
    (der_dir / "a.der").write_bytes(pki["root"].public_bytes(serialization.Encoding.DER))
    (der_dir / "README.txt").write_text("not a certificate, ignored")
    interm = _pem(tmp_path / "interm.crt", pki["interm"])
    store = load_trust_anchors("test", [bundle, der_dir], [interm], allow_sha1_roots=False)
    assert store.name == "test"
    assert len(store.anchors) == 2  # the duplicate root is counted once
    assert [c.subject.native["common_name"] for c in store.intermediates] == ["Issuing CA"]


def test_sha256_is_over_sorted_anchor_fingerprints_and_stable(tmp_path, pki):
    a = _pem(tmp_path / "a.pem", pki["root"])
    b = _pem(tmp_path / "b.pem", pki["other"])
    one = load_trust_anchors("x", [a, b], [], allow_sha1_roots=False)
    two = load_trust_anchors("y", [b, a, a], [], allow_sha1_roots=False)
    fps = sorted(hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest()
                 for c in (pki["root"], pki["other"]))
    expected = hashlib.sha256("\n".join(fps).encode()).hexdigest()
    assert one.sha256 == two.sha256 == expected == anchors_digest(one.anchors)
    only_a = load_trust_anchors("x", [a], [], allow_sha1_roots=False)
    assert only_a.sha256 != one.sha256


def _refused(match: str, *args, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_trust_anchors(*args, **kwargs)
    assert match in caught.value.message.en, caught.value.message.en
    return caught.value


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nope.pem"
    err = _refused("cannot be read", "t", [missing], [], allow_sha1_roots=False)
    assert str(missing) in err.message.en and str(missing) in err.message.vi
    assert err.extra["file"] == str(missing)


def test_garbage_file_is_named(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    err = _refused("not a valid X.509 certificate", "t", [junk], [], allow_sha1_roots=False)
    assert str(junk) in err.message.en


def test_no_anchor_at_all(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _refused("no trust anchor", "t", [empty], [], allow_sha1_roots=False)
    _refused("no trust anchor", "t", [], [], allow_sha1_roots=False)


def test_anchor_must_be_self_signed(tmp_path, pki):
    path = _pem(tmp_path / "interm.pem", pki["interm"])
    err = _refused("is not self-signed", "t", [path], [], allow_sha1_roots=False)
    assert str(path) in err.message.en


def test_anchor_claiming_self_issued_but_signed_by_another_key_is_refused(tmp_path, pki):
    forged = _cert("Root A", _key(), issuer_key=pki["root_key"], issuer_cn="Root A")
    _refused("is not self-signed", "t", [_pem(tmp_path / "f.pem", forged)], [], allow_sha1_roots=False)


def test_anchor_must_be_a_ca(tmp_path):
    leaf = _cert("Self-signed leaf", _key(), ca=False)
    _refused("is not a CA certificate", "t", [_pem(tmp_path / "leaf.pem", leaf)], [], allow_sha1_roots=False)


def test_sha1_root_refused_unless_allowed(tmp_path):
    legacy = _pem(tmp_path / "vgca-g1.pem", _sha1_root("Legacy Root (SHA-1)"))
    err = _refused("SHA1", "t", [legacy], [], allow_sha1_roots=False)
    assert "không đáp ứng tiêu chuẩn hiện hành" in err.message.vi
    store = load_trust_anchors("t", [legacy], [], allow_sha1_roots=True)
    assert len(store.anchors) == 1


def test_intermediates_are_helpers_tsa_certificates_included(tmp_path, pki):
    root = _pem(tmp_path / "root.pem", pki["root"])
    tsa = _pem(tmp_path / "tsa.pem", _cert("TSA", _key(), issuer_key=pki["root_key"],
                                           issuer_cn="Root A", ca=False))
    store = load_trust_anchors("t", [root], [tsa, root], allow_sha1_roots=False)
    assert [c.subject.native["common_name"] for c in store.intermediates] == ["TSA"]  # the anchor is not repeated
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    _refused("not a valid X.509 certificate", "t", [root], [junk], allow_sha1_roots=False)


def test_production_trust_store_loads():
    base = Path(__file__).resolve().parents[3] / "certs" / "trust" / "vn"
    store = load_trust_anchors("vn", [base / "roots"], [base / "intermediates"], allow_sha1_roots=False)
    assert len(store.anchors) >= 2 and store.intermediates
    _refused("SHA1", "vn", [base / "roots", base / "legacy-sha1"], [], allow_sha1_roots=False)
    legacy = load_trust_anchors("vn", [base / "roots", base / "legacy-sha1"], [], allow_sha1_roots=True)
    assert len(legacy.anchors) == len(store.anchors) + 2
