"""The wire protocol shared with the server, and the raw-signature helpers."""

from __future__ import annotations

import ast
import base64
import hashlib
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID

from signsvc.agent import protocol
from signsvc.agent.protocol import ERRORS, ProtocolError, SignRequest, error_body
from signsvc.agent.token import (
    digest_info,
    max_pss_salt_length,
    raw_ecdsa_to_der,
    verify_raw_signature,
)

# RFC 8017 §9.2 note 1: DER of DigestInfo up to the digest, with the NULL parameters (05 00)
DIGEST_INFO_PREFIX = {
    "sha256": "3031300d060960864801650304020105000420",
    "sha384": "3041300d060960864801650304020205000430",
    "sha512": "3051300d060960864801650304020305000440",
}
DOC = {"title": "Quyết định", "number": "1/QĐ", "sha256": "AB" * 32}


@pytest.mark.parametrize("algorithm", sorted(DIGEST_INFO_PREFIX))
def test_digest_info_has_the_explicit_null(algorithm):
    digest = hashlib.new(algorithm, b"abc").digest()
    assert digest_info(algorithm, digest).hex() == DIGEST_INFO_PREFIX[algorithm] + digest.hex()


def test_digest_info_refuses_a_digest_of_the_wrong_size():
    with pytest.raises(ValueError):
        digest_info("sha256", b"\0" * 48)


def body(**changes):
    value = {"hash": base64.b64encode(b"\1" * 32).decode(), "hash_algorithm": "sha256",
             "signature_algorithm": "rsassa_pss", "certificate": base64.b64encode(b"cert").decode(),
             "document": dict(DOC)}
    value.update(changes)
    return {k: v for k, v in value.items() if v is not None}


def test_sign_request_defaults_the_pss_salt_to_the_hash_length():
    req = SignRequest.from_json(body())
    assert req.pss_salt_length == 32 and req.hash == b"\1" * 32
    assert req.document.sha256 == "ab" * 32
    assert SignRequest.from_json(req.to_json()) == req
    req = SignRequest.from_json(body(hash=base64.b64encode(b"\1" * 64).decode(),
                                     hash_algorithm="sha512"))
    assert req.pss_salt_length == 64


@pytest.mark.parametrize("changes", [
    {"hash": base64.b64encode(b"\1" * 31).decode()},
    {"hash": base64.b64encode(b"\1" * 48).decode()},
    {"hash": "not base64!"},
    {"hash": None},
    {"hash_algorithm": "sha1"},
    {"hash_algorithm": "SHA256"},
    {"signature_algorithm": "sha256WithRSA"},
    {"pss_salt_length": -1},
    {"pss_salt_length": True},
    {"pss_salt_length": "32"},
    {"signature_algorithm": "ecdsa", "pss_salt_length": 32},
    {"certificate": ""},
    {"certificate": base64.b64encode(b"\0" * 20000).decode()},
    {"module": "/tmp/evil.so"},
    {"document": None},
    {"document": {**DOC, "title": ""}},
    {"document": {**DOC, "title": "x" * 301}},
    {"document": {**DOC, "sha256": "zz" * 32}},
    {"document": {**DOC, "number": 5}},
    {"document": {**DOC, "pages": 3}},
])
def test_sign_request_refuses_malformed_bodies(changes):
    with pytest.raises(ProtocolError) as info:
        SignRequest.from_json(body(**changes))
    assert info.value.slug == "bad-request"


def test_sign_request_refuses_a_non_object():
    for value in ([], "x", None, 3):
        with pytest.raises(ProtocolError):
            SignRequest.from_json(value)


def test_errors_have_the_agreed_slugs_statuses_and_both_languages():
    agreed = {"origin-not-allowed": 403, "host-not-allowed": 403, "certificate-not-found": 404,
              "bad-request": 400, "pin-cancelled": 401, "pin-incorrect": 401, "pin-locked": 423,
              "token-not-present": 503}
    for slug, status in agreed.items():
        assert ERRORS[slug].status == status
    for slug in ERRORS:
        b = error_body(slug)
        assert set(b) == {"error", "message_vi", "message_en"} and b["error"] == slug
        assert b["message_vi"] != b["message_en"]
    assert error_body("bad-request", "why")["message_en"].endswith("(why)")


def test_protocol_module_uses_the_standard_library_only():
    tree = ast.parse(Path(protocol.__file__).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    assert names and names <= set(sys.stdlib_module_names) | {"__future__"}, names


def test_max_pss_salt_length():
    assert max_pss_salt_length(2048, "sha256") == 256 - 32 - 2
    assert max_pss_salt_length(2047, "sha512") == 256 - 64 - 2
    assert max_pss_salt_length(3072, "sha384") == 384 - 48 - 2


def _self_signed(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))


def _request(cert, algorithm, digest, salt=None):
    from cryptography.hazmat.primitives import serialization

    der = cert.public_bytes(serialization.Encoding.DER)
    return SignRequest(hash=digest, hash_algorithm="sha256", signature_algorithm=algorithm,
                       certificate=der, document=SignRequest.from_json(body()).document,
                       pss_salt_length=salt)


def test_raw_ecdsa_signature_is_converted_and_verified():
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _self_signed(key)
    digest = hashlib.sha256(b"data").digest()
    r, s = utils.decode_dss_signature(key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()))))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert raw_ecdsa_to_der(raw) == utils.encode_dss_signature(r, s)
    req = _request(cert, "ecdsa", digest)
    assert verify_raw_signature(cert, req, raw)
    assert not verify_raw_signature(cert, req, raw[:32] + (s ^ 1).to_bytes(32, "big"))
    assert not verify_raw_signature(cert, req, raw[:63])  # odd length: not r‖s
    with pytest.raises(ValueError):
        raw_ecdsa_to_der(b"")


def test_rsa_signatures_are_verified_with_the_requested_padding():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _self_signed(key)
    digest = hashlib.sha256(b"data").digest()
    pre = utils.Prehashed(hashes.SHA256())
    v15 = key.sign(digest, padding.PKCS1v15(), pre)
    pss = key.sign(digest, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), pre)
    assert verify_raw_signature(cert, _request(cert, "rsassa_pkcs1v15", digest), v15)
    assert verify_raw_signature(cert, _request(cert, "rsassa_pss", digest, 32), pss)
    assert not verify_raw_signature(cert, _request(cert, "rsassa_pss", digest, 32), v15)
    assert not verify_raw_signature(cert, _request(cert, "rsassa_pss", digest, 20), pss)
    assert not verify_raw_signature(cert, _request(cert, "rsassa_pkcs1v15", digest[::-1]), v15)
