"""Long-term signatures over time (issue 7), judged by pyHanko's ETSI LTA algorithm at a
future date with nothing but what the document carries (no fetching):

- a B-LTA document made by signsvc whose signer certificate is revoked *after* the
  signature timestamp still validates from its DSS; the same revocation dated *before*
  the signature timestamp makes it fail (the control: the late revocation data is used);
- a document signed by the test PKI's already-revoked certificate, its DSS holding the
  CRL that lists it, does not validate; signsvc itself refuses to sign with that key;
- ``signsvc archive renew`` renews a document whose signer certificate has expired since
  (renewal does not revalidate the signer, while /v1/extend does), and the renewed
  document still passes pyHanko's PAdES-LTA validation at a later date, where the
  document before renewal no longer does.

The late CRL and the short-lived signer certificate are issued here with the test PKI's
issuing-CA key (var/pki/keys/interm.key.pem, TEST ONLY); the past signature timestamp
comes from the test TSA's own key at a fixed time, as a TSA answering then would have."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed
from pyhanko.sign.validation.ades import simulate_future_ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge, PdfSignatureValidationSpec, SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleCertificateStore, SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from tests.conftest import REPO, build_api
from tests.support.ltv import (
    AFTER_SIGNER_EXPIRY, AFTER_TSA_EXPIRY, future_validation_passes, time_proof_validation,
)
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig
from tests.support.validate import load_cert

PDF = {"Content-Type": "application/pdf"}
TSA_URL = "http://127.0.0.1:9180/signsvc-dev/tsa/tsa"
CRL_URL = "http://127.0.0.1:9180/signsvc-dev/crls/{}/latest.crl"


# -- the test PKI's parts ------------------------------------------------------------------

def _pem_cert(dev_pki, label: str) -> cx.Certificate:
    return cx.load_pem_x509_certificate(dev_pki.cert(label).read_bytes())


def _key(dev_pki, label: str):
    return serialization.load_pem_private_key((dev_pki.keys / f"{label}.key.pem").read_bytes(), None)


def _asn1(cert: cx.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _interm_crl(dev_pki, revoked: list[tuple[int, datetime]], this_update: datetime,
                number: int, issuer: str = "interm") -> asn1_crl.CertificateList:
    """A CRL of the test issuing CA (or ``issuer``), signed with its own key, listing
    ``revoked`` (serial, date)."""
    interm, key = _pem_cert(dev_pki, issuer), _key(dev_pki, issuer)
    builder = (cx.CertificateRevocationListBuilder().issuer_name(interm.subject)
               .last_update(this_update).next_update(this_update + timedelta(days=7))
               .add_extension(cx.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False)
               .add_extension(cx.CRLNumber(number), False))
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            cx.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
            .add_extension(cx.CRLReason(cx.ReasonFlags.key_compromise), False).build())
    return asn1_crl.CertificateList.load(
        builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def _served_crl(label: str) -> asn1_crl.CertificateList:
    with urllib.request.urlopen(CRL_URL.format(label), timeout=10) as resp:
        return asn1_crl.CertificateList.load(resp.read())


def _future(data: bytes, root, when: datetime, late_crls=()):
    """pyHanko's future LTA validation of the first signature at ``when``; ``late_crls`` are
    revocation data published after the document was archived (known to the verifier)."""
    rule = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[root]),
            revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule),
                                              retroactive_revinfo=True)),
        local_knowledge=LocalKnowledge(known_crls=[CRLContainer(c) for c in late_crls])))
    reader = PdfFileReader(io.BytesIO(data))
    return asyncio.run(simulate_future_ades_lta_validation(
        reader.embedded_regular_signatures[0], spec, when))


def _signature_time(data: bytes) -> datetime:
    """genTime of the signature timestamp of the first signature."""
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    emb = PdfFileReader(io.BytesIO(data)).embedded_regular_signatures[0]
    (token,) = extract_tst_data_iter(emb.signer_info, signed=False)
    return token["encap_content_info"]["content"].parsed["gen_time"].native


def _sign_outside(dev_pki, cert: cx.Certificate, key, tsa: timestamps.TimeStamper | None) -> bytes:
    """A PAdES B-T signature made by other software (pyHanko), with this certificate
    (B-B without ``tsa``)."""
    signer = signers.SimpleSigner(
        signing_cert=_asn1(cert), signing_key=_asn1_key(key),
        cert_registry=SimpleCertificateStore.from_certs(
            [_asn1(_pem_cert(dev_pki, "interm")), _asn1(_pem_cert(dev_pki, "root"))]))
    out = io.BytesIO()
    signers.PdfSigner(signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"),
        signer, timestamper=tsa).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(make_pdf(1))),
                                          output=out)
    return out.getvalue()


def _archive_outside(dev_pki, data: bytes, crls, tsa: timestamps.TimeStamper | None = None) -> bytes:
    """The DSS (chains and these CRLs) and a document timestamp from the test TSA (``tsa``,
    or the one on 127.0.0.1:9180 now): what an archive would hold, made without signsvc."""
    reader = PdfFileReader(io.BytesIO(data))
    contents = reader.embedded_regular_signatures[0].pkcs7_content
    out = io.BytesIO(data)
    DocumentSecurityStore.add_dss(
        out, contents, certs=[_asn1(_pem_cert(dev_pki, n)) for n in ("interm", "root", "tsa")],
        crls=list(crls))
    stamped = io.BytesIO()
    signers.PdfTimeStamper(tsa or timestamps.HTTPTimeStamper(TSA_URL)).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(out.getvalue())), "sha256", output=stamped)
    return stamped.getvalue()


@pytest.fixture(scope="module")
def root(dev_pki):
    return load_cert(dev_pki.cert("root"))


# -- revoked after signing, revoked before signing ---------------------------------------

def test_revoked_after_the_signature_timestamp_still_validates_from_the_dss(api, dev_pki, root):
    resp = api.client.post("/v1/sign", query_string={"key": "agency-seal", "level": "B-LTA"},
                           data=make_pdf(1, text="Quyet dinh luu tru"),
                           headers=api.headers("portal", **PDF))
    assert resp.status_code == 200, resp.get_json()
    data = resp.data
    signed_at = _signature_time(data)
    serial = _pem_cert(dev_pki, "agency-seal").serial_number
    # the key is compromised and the certificate revoked a second after the signature
    # timestamp; the CRL saying so is published a second later (numbered after the served ones)
    while datetime.now(timezone.utc) < signed_at + timedelta(seconds=3):
        time.sleep(0.2)
    published = signed_at + timedelta(seconds=2)
    revoked_later = _interm_crl(dev_pki, [(serial, signed_at + timedelta(seconds=1))], published,
                                900001)
    for when in (AFTER_SIGNER_EXPIRY, AFTER_TSA_EXPIRY):
        result = _future(data, root, when, [revoked_later])
        assert result.ades_subindic is AdESPassed.OK, (when, result.ades_subindic)
    # control: the same certificate revoked a day before the signature timestamp fails
    revoked_before = _interm_crl(dev_pki, [(serial, signed_at - timedelta(days=1))], published,
                                 900002)
    result = _future(data, root, AFTER_SIGNER_EXPIRY, [revoked_before])
    assert result.ades_subindic is not AdESPassed.OK


def _first_document_timestamp_time(data: bytes) -> datetime:
    ts = PdfFileReader(io.BytesIO(data)).embedded_timestamp_signatures[0]
    return ts.signed_data["encap_content_info"]["content"].parsed["gen_time"].native


def test_bb_made_elsewhere_extended_to_lta_validates_years_later(api, dev_pki, root):
    """A B-B signature by other software (no signature timestamp, its /Contents cannot be
    rewritten) extended by /v1/extend to B-LTA: at 2031, its certificate expired, the ETSI
    LTA algorithm passes with the first document timestamp as its time proof, and fails
    when the signer turns out to have been revoked before that timestamp.

    pyHanko 0.38's own ``ades_lta_validation`` cannot say so (see
    ``tests.support.ltv.time_proof_validation``): it stops at "No signature timestamp
    present". If a later pyHanko accepts the document timestamp, the first assertion fails:
    then assert that ``lta`` passes."""
    cert = _pem_cert(dev_pki, "dev-software")
    bb = _sign_outside(dev_pki, cert, _key(dev_pki, "dev-software"), None)
    assert not list(PdfFileReader(io.BytesIO(bb)).embedded_regular_signatures[0]
                    .signer_info["unsigned_attrs"] or [])
    resp = api.client.post("/v1/extend", query_string={"level": "B-LTA"}, data=bb,
                           headers=api.headers("portal", **PDF))
    assert resp.status_code == 200, resp.get_json()
    lta = resp.data
    assert lta.startswith(bb) and resp.headers["X-Signature-Level"] == "B-LTA"
    assert len(PdfFileReader(io.BytesIO(lta)).embedded_timestamp_signatures) == 2
    proof = _first_document_timestamp_time(lta)

    found = time_proof_validation(lta, root, AFTER_SIGNER_EXPIRY)
    assert found.lta.ades_subindic is AdESIndeterminate.SIG_CONSTRAINTS_FAILURE
    assert "Past validation not applicable" in found.lta.failure_msg
    # at 2031 alone (no fresh revocation data, certificate expired) it cannot pass ...
    assert found.current.ades_subindic in (AdESIndeterminate.TRY_LATER,
                                           AdESIndeterminate.OUT_OF_BOUNDS_NO_POE)
    # ... the past signature validation at the time proof does
    assert found.proof_time == proof
    assert found.indication is AdESPassed.OK, found.reason

    serial = cert.serial_number
    while datetime.now(timezone.utc) < proof + timedelta(seconds=3):
        time.sleep(0.2)
    published = proof + timedelta(seconds=2)
    # revoked a second after the time proof: still valid (the control of the next case)
    after = _interm_crl(dev_pki, [(serial, proof + timedelta(seconds=1))], published, 900011)
    found = time_proof_validation(lta, root, AFTER_SIGNER_EXPIRY, [after])
    assert found.indication is AdESPassed.OK, found.reason
    # revoked a day before the time proof: not valid
    before = _interm_crl(dev_pki, [(serial, proof - timedelta(days=1))], published, 900012)
    found = time_proof_validation(lta, root, AFTER_SIGNER_EXPIRY, [before])
    # (pyHanko keeps the current-time sub-indication, TRY_LATER: no fresh CRL in 2031)
    assert found.indication is not AdESPassed.OK
    assert found.proof_time == proof and found.reason == "past signature validation"


def test_already_revoked_signer_does_not_validate_and_signsvc_refuses_it(dev_pki, responders,
                                                                        root, tmp_path):
    revoked = _pem_cert(dev_pki, "revoked-signer")
    assert revoked.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == \
        "Người ký bị thu hồi (TEST ONLY)"
    # signsvc will not sign with it: the policy sees the revocation (403, audited)
    a = build_api(tmp_path / "state", **{
        "keys__revoked_signer__backend": "software",
        "keys__revoked_signer__key_pem": f'"{dev_pki.keys / "revoked-signer.key.pem"}"',
        "keys__revoked_signer__cert_pem": f'"{dev_pki.cert("revoked-signer")}"',
        "keys__revoked_signer__chain_pem": f'["{dev_pki.cert("interm")}"]'})
    try:
        _, token = a.services.clients.create("portal-r", "portal", ("revoked_signer",),
                                             _admin_ctx())
        resp = a.client.post("/v1/sign", query_string={"key": "revoked_signer", "level": "B-LTA"},
                             data=make_pdf(1), headers={"Authorization": f"Bearer {token}", **PDF})
        assert resp.status_code == 403 and resp.get_json()["rule"] == "cert.revocation"
        assert a.services.audit.list(action="signing:document:signed") == []

        # made elsewhere: B-T now, then the DSS with the CRL listing it and an archive timestamp
        bt = _sign_outside(dev_pki, revoked, _key(dev_pki, "revoked-signer"),
                           timestamps.HTTPTimeStamper(TSA_URL))
        interm_crl = _served_crl("interm")
        assert any(e["user_certificate"].native == revoked.serial_number
                   for e in interm_crl["tbs_cert_list"]["revoked_certificates"])
        lta = _archive_outside(dev_pki, bt, [interm_crl, _served_crl("root")])
        assert len(PdfFileReader(io.BytesIO(lta)).embedded_timestamp_signatures) == 1
        assert not future_validation_passes(lta, root, AFTER_SIGNER_EXPIRY)
        assert _future(lta, root, AFTER_SIGNER_EXPIRY).ades_subindic is not AdESPassed.OK
        # and signsvc will not extend it either
        ext = a.client.post("/v1/extend", query_string={"level": "B-LTA"}, data=bt,
                            headers={"Authorization": f"Bearer {token}", **PDF})
        assert ext.status_code == 422 and ext.get_json()["code"] == "signature-not-extendable"
        (f := tmp_path / "revoked.pdf").write_bytes(lta)
        assert not pdfsig(f, dev_pki.nssdb)[0].certificate_trusted
    finally:
        a.services.shutdown()


def _admin_ctx():
    from signsvc.services.context import RequestContext

    return RequestContext(request_id="ltv-future", actor="tests", role="admin")


# -- archive renewal after the signer's certificate expired --------------------------------

def _short_lived_signer(dev_pki, not_before: datetime, not_after: datetime) -> cx.Certificate:
    """An official's certificate from the test issuing CA that has expired by now."""
    interm, key = _pem_cert(dev_pki, "interm"), _key(dev_pki, "interm")
    subject_key = _key(dev_pki, "dev-software")
    return (cx.CertificateBuilder()
            .subject_name(cx.Name([cx.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                                   cx.NameAttribute(NameOID.ORGANIZATION_NAME, "signsvc TEST ONLY"),
                                   cx.NameAttribute(NameOID.COMMON_NAME,
                                                    "Người ký đã hết hạn (TEST ONLY)")]))
            .issuer_name(interm.subject).public_key(subject_key.public_key())
            .serial_number(cx.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(cx.KeyUsage(True, True, False, False, False, False, False, False, False),
                           critical=True)
            .add_extension(cx.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256()))


def _tsa_at(dev_pki, moment: datetime) -> timestamps.TimeStamper:
    """The test TSA (its certificate and key) answering at ``moment``."""
    return timestamps.DummyTimeStamper(
        tsa_cert=_asn1(_pem_cert(dev_pki, "tsa")), tsa_key=_asn1_key(_key(dev_pki, "tsa")),
        fixed_dt=moment)


def _lta_validation(data: bytes, root, when: datetime):
    """pyHanko's PAdES LTA validation (ETSI EN 319 102-1 § 5.6.3) at ``when``: the document
    timestamps in the file are the proofs of existence; nothing is fetched."""
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        RevinfoOnlineFetchingRule, RevocationInfoGatheringSpec,
    )
    from pyhanko_certvalidator.context import ValidationTimingInfo

    rule = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[root]),
            revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule),
                                              retroactive_revinfo=True)),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(RevinfoOnlineFetchingRule.LOCAL_ONLY)))
    reader = PdfFileReader(io.BytesIO(data))
    timing = ValidationTimingInfo(validation_time=when, best_signature_time=when,
                                  point_in_time_validation=True)
    return asyncio.run(ades_lta_validation(reader.embedded_regular_signatures[0], spec, timing))


def test_archive_renew_after_the_signer_expired(api, dev_pki, responders, root, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    cert = _short_lived_signer(dev_pki, now - timedelta(days=30), now - timedelta(days=2))
    signed_at = now - timedelta(days=10)
    # signed ten days ago, while the certificate was valid: the signature timestamp of then
    bt = _sign_outside(dev_pki, cert, _key(dev_pki, "dev-software"), _tsa_at(dev_pki, signed_at))
    assert _signature_time(bt) == signed_at
    # archived then: the issuing CA's CRL of that day (not listing it), the root's CRL, and
    # the archive timestamp of that day
    # (numbered 1: before the responders' own CRLs, which count periods since 2025)
    crl_then = _interm_crl(dev_pki, [], signed_at + timedelta(minutes=5), 1)
    root_crl_then = _interm_crl(dev_pki, [], signed_at + timedelta(minutes=5), 1, "root")
    lta = _archive_outside(dev_pki, bt, [crl_then, root_crl_then],
                           _tsa_at(dev_pki, signed_at + timedelta(minutes=10)))
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "expired-signer.pdf").write_bytes(lta)

    # /v1/extend revalidates the signer now, and refuses: its certificate has expired
    ext = api.client.post("/v1/extend", query_string={"level": "B-LTA"}, data=bt,
                          headers=api.headers("portal", **PDF))
    assert ext.status_code == 422 and ext.get_json()["code"] == "signature-not-extendable"

    env = {**os.environ, "SIGNSVC_SERVICE__STATE_DIR": str(tmp_path / "state"),
           "SIGNSVC_AUDIT__PATH": str(tmp_path / "state" / "audit.sqlite3"),
           "SIGNSVC_AUDIT__CHECKPOINT_KEY": "", "SIGNSVC_ARCHIVE__RENEW_WITHIN_DAYS": "36500"}
    proc = subprocess.run([str(REPO / ".venv/bin/signsvc"), "archive", "renew", str(folder)],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Đã gia hạn / renewed: {folder / 'expired-signer.pdf'}" in proc.stdout
    renewed = (folder / "expired-signer.pdf").read_bytes()
    assert renewed.startswith(lta)
    assert len(PdfFileReader(io.BytesIO(renewed)).embedded_timestamp_signatures) == 2
    # pyHanko's PAdES-LTA validation (the document timestamps as proofs of existence, nothing
    # fetched) a day and five days from now, the signer's certificate long expired: the
    # renewed document passes; the one before renewal no longer does (its archive timestamp
    # can no longer be validated with the revocation data it carries)
    for days in (1, 5):
        later = now + timedelta(days=days)
        assert _lta_validation(renewed, root, later).ades_subindic is AdESPassed.OK, days
        assert _lta_validation(lta, root, later).ades_subindic is not AdESPassed.OK, days
    found = pdfsig(folder / "expired-signer.pdf", dev_pki.nssdb)
    assert len(found) == 3 and found[0].signature_valid, found[0].raw
    assert found[0].common_name == "Người ký đã hết hạn (TEST ONLY)"
    assert all(s.common_name == "signsvc TEST ONLY Time Stamping Authority" for s in found[1:])

    from signsvc.adapters.audit_sqlite import SqliteAuditStore
    from signsvc.services.audit_service import AuditService

    (record,) = AuditService(SqliteAuditStore(tmp_path / "state" / "audit.sqlite3")).list(
        action="archive:document:renewed")
    assert record.outcome == "success" and record.level == "B-LTA"
