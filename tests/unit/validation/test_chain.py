"""``signsvc.validation.chain``: the chain the report lists when pyHanko built no path
(links verified, bounded), what revocation data says per certificate, and the words of
the PDF/HTML report for a chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko_certvalidator.registry import SimpleTrustManager

from signsvc.reports import texts
from signsvc.validation import chain
from signsvc.validation.report import MAX_CHAIN_LENGTH, chain_dict

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(cn: str, key, issuer_cn: str, issuer_key, *, ca: bool, crl_url: str | None = None, serial: int = 7):
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(issuer_cn))
               .public_key(key.public_key()).serial_number(serial)
               .not_valid_before(NOW - timedelta(days=10)).not_valid_after(NOW + timedelta(days=300))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _pki(depth: int):
    """root, CA 1 … CA depth-1, signer: a list signer first, with their keys."""
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(depth + 1)]
    names = ["Root"] + [f"CA {i}" for i in range(1, depth)] + ["Signer"]
    certs = [_cert("Root", keys[0], "Root", keys[0], ca=True, serial=1)]
    for i in range(1, depth + 1):
        certs.append(_cert(names[i], keys[i], names[i - 1], keys[i - 1], ca=i < depth, serial=i + 1))
    return certs[::-1], keys[::-1]


def test_built_chain_reaches_the_anchor_and_marks_it():
    certs, _ = _pki(2)   # signer, CA 1, root
    signer, ca, root = certs
    got = chain.built(signer, [ca], SimpleTrustManager.build(trust_roots=[root]))
    assert [c.common_name for c in got] == ["Signer", "CA 1", "Root"]
    assert [c.is_trust_anchor for c in got] == [False, False, True]
    assert [c.serial for c in got] == ["3", "2", "1"]
    assert {c.revocation for c in got} == {"not_checked"}
    assert chain_dict(got)["chain_ends_at_anchor"] is True
    assert chain_dict(got)["chain"][0]["not_before"] == "2026-10-22T07:00:00+07:00"


def test_built_chain_under_an_unknown_root_ends_without_anchor():
    certs, _ = _pki(2)
    other_root = _pki(1)[0][1]
    got = chain.built(certs[0], certs[1:], SimpleTrustManager.build(trust_roots=[other_root]))
    assert [c.common_name for c in got] == ["Signer", "CA 1", "Root"]
    assert not any(c.is_trust_anchor for c in got)
    assert chain_dict(got)["chain_ends_at_anchor"] is False
    assert chain_dict(())["chain_ends_at_anchor"] is False


def test_a_look_alike_issuer_is_not_a_link():
    """Same name as the real CA, another key: its signature does not verify, no link."""
    certs, _ = _pki(2)
    impostor_key = ec.generate_private_key(ec.SECP256R1())
    impostor = _cert("CA 1", impostor_key, "CA 1", impostor_key, ca=True)
    got = chain.built(certs[0], [impostor], SimpleTrustManager.build(trust_roots=[certs[2]]))
    assert [c.common_name for c in got] == ["Signer"]


def test_built_chain_is_bounded():
    certs, _ = _pki(MAX_CHAIN_LENGTH + 4)
    got = chain.built(certs[0], certs[1:], SimpleTrustManager.build(trust_roots=[certs[-1]]))
    assert len(got) == MAX_CHAIN_LENGTH
    assert not got[-1].is_trust_anchor


def test_chain_of_without_a_certificate_is_empty():
    assert chain.chain_of(None, None, chain.RevocationData(), candidates=[],
                          trust_manager=SimpleTrustManager.build(trust_roots=[])) == ()


def _crl(issuer_key, issuer_cn: str, revoked: dict[int, datetime]):
    builder = (x509.CertificateRevocationListBuilder().issuer_name(_name(issuer_cn))
               .last_update(NOW - timedelta(days=1)).next_update(NOW + timedelta(days=30)))
    for serial, when in revoked.items():
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    der = builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    return asn1_crl.CertificateList.load(der)


def test_certificate_revocation_from_crls():
    key = ec.generate_private_key(ec.SECP256R1())
    ca_key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("Signer", key, "CA", ca_key, ca=False, crl_url="http://127.0.0.1:1/ca.crl", serial=42)
    empty = _crl(ca_key, "CA", {})
    listed = _crl(ca_key, "CA", {42: NOW - timedelta(days=2)})
    other_issuer = _crl(ca_key, "Another CA", {42: NOW - timedelta(days=2)})

    def state(crls, moment=NOW, fetching=True):
        return chain.certificate_revocation(cert, chain.RevocationData(crls=crls, moment=moment,
                                                                       allow_fetching=fetching))

    assert state([empty]) == "good"
    assert state([listed]) == "revoked"
    assert state([empty, listed]) == "revoked"                       # revoked wins
    assert state([listed], moment=NOW - timedelta(days=5)) == "good"  # revoked after the moment checked
    assert state([other_issuer]) == "unknown"                          # not about this certificate
    assert state([], fetching=False) == "not_checked"
    bare = _cert("No CDP", key, "CA", ca_key, ca=False)
    assert chain.certificate_revocation(bare, chain.RevocationData(allow_fetching=True)) == "not_checked"


def test_chain_words_mark_the_anchor_and_an_open_end():
    certs, _ = _pki(2)
    trusted = chain_dict(chain.built(certs[0], [certs[1]], SimpleTrustManager.build(trust_roots=[certs[2]])))
    vi = texts.chain_text(trusted["chain"], "vi", ends_at_anchor=True)
    assert vi.splitlines()[0] == "1. Signer"
    assert "3. Root — [chứng thư gốc tin cậy]" in vi
    assert "Tình trạng thu hồi: không kiểm tra (chứng thư gốc được tin cậy trực tiếp)" in vi
    assert "Tình trạng thu hồi: chưa kiểm tra" in vi                 # the others: nothing claimed
    assert texts.label("chain_no_anchor", "vi") not in vi
    partial = chain_dict(chain.built(certs[0], [], SimpleTrustManager.build(trust_roots=[certs[2]])))
    en = texts.chain_text(partial["chain"], "en", ends_at_anchor=partial["chain_ends_at_anchor"])
    assert en.splitlines()[0] == "1. Signer"
    assert en.splitlines()[-1] == "The path ends here without reaching a trust anchor."
    assert texts.chain_entries("not a list", "vi") == []


def test_openapi_documents_the_chain():
    from signsvc.web.openapi import openapi_document

    schemas = openapi_document()["components"]["schemas"]
    certs, _ = _pki(1)
    entry = chain.built(certs[0], [], SimpleTrustManager.build(trust_roots=[certs[1]]))[0]
    assert set(entry.as_dict()) == set(schemas["ChainCertificate"]["properties"])
    assert set(schemas["ChainCertificate"]["required"]) == set(entry.as_dict())
    report = schemas["ValidationReport"]["properties"]
    sig = report["signatures"]["items"]["properties"]
    assert {"chain", "chain_ends_at_anchor"} <= set(sig)
    from signsvc.validation.report import TimestampInfo
    assert set(TimestampInfo(time=None, tsa=None, valid=False).as_dict()) == set(sig["timestamp"]["properties"])
    assert {"chain", "chain_ends_at_anchor"} <= set(report["document_timestamps"]["items"]["properties"])
    assert sig["chain"]["maxItems"] == MAX_CHAIN_LENGTH
