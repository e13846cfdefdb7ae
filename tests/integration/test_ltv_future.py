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
  document before renewal no longer does;
- a B-B signature made elsewhere (no signature timestamp) extended by /v1/extend to
  B-LTA, or archived elsewhere and renewed by ``signsvc archive renew`` after its signer
  expired, passes the same ETSI algorithm with its first document timestamp as time proof
  (``tests.support.ltv.time_proof_validation``: pyHanko 0.38's ``ades_lta_validation``
  stops at "No signature timestamp present") and fails when the signer was revoked before
  that timestamp.

The late CRLs, OCSP responses and the short-lived signer certificate are issued
(tests.support.ltv_outside) with the test PKI's issuing-CA key
(var/pki/keys/interm.key.pem, TEST ONLY); the past timestamps come from the test TSA's
own key at a fixed time, as a TSA answering then would have."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import timestamps
from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed
from pyhanko.sign.validation.ades import simulate_future_ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from tests.conftest import REPO, build_api
from tests.support.ltv import (
    AFTER_SIGNER_EXPIRY,
    AFTER_TSA_EXPIRY,
    future_validation_passes,
    time_proof_validation,
    validates_from_dss_at,
)
from tests.support.ltv_outside import (
    TSA_URL,
    archive_outside,
    interm_crl,
    interm_ocsp,
    key_of,
    pem_cert,
    served_crl,
    short_lived_signer,
    sign_outside,
    tsa_at,
)
from tests.support.pdfs import make_pdf
from tests.support.tools import pdfsig
from tests.support.validate import load_cert

PDF = {"Content-Type": "application/pdf"}


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
    serial = pem_cert(dev_pki, "agency-seal").serial_number
    # the key is compromised and the certificate revoked a second after the signature
    # timestamp; the CRL saying so is published a second later (numbered after the served ones)
    while datetime.now(UTC) < signed_at + timedelta(seconds=3):
        time.sleep(0.2)
    published = signed_at + timedelta(seconds=2)
    revoked_later = interm_crl(dev_pki, [(serial, signed_at + timedelta(seconds=1))], published,
                                900001)
    for when in (AFTER_SIGNER_EXPIRY, AFTER_TSA_EXPIRY):
        result = _future(data, root, when, [revoked_later])
        assert result.ades_subindic is AdESPassed.OK, (when, result.ades_subindic)
    # control: the same certificate revoked a day before the signature timestamp fails
    revoked_before = interm_crl(dev_pki, [(serial, signed_at - timedelta(days=1))], published,
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
    cert = pem_cert(dev_pki, "dev-software")
    bb = sign_outside(dev_pki, cert, key_of(dev_pki, "dev-software"), None)
    assert not list(PdfFileReader(io.BytesIO(bb)).embedded_regular_signatures[0]
                    .signer_info["unsigned_attrs"] or [])
    assert time_proof_validation(bb, root, AFTER_SIGNER_EXPIRY).indication is not AdESPassed.OK
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
    while datetime.now(UTC) < proof + timedelta(seconds=3):
        time.sleep(0.2)
    published = proof + timedelta(seconds=2)
    # revoked a second after the time proof: still valid (the control of the next case)
    after = interm_crl(dev_pki, [(serial, proof + timedelta(seconds=1))], published, 900011)
    found = time_proof_validation(lta, root, AFTER_SIGNER_EXPIRY, [after])
    assert found.indication is AdESPassed.OK, found.reason
    # revoked a day before the time proof: not valid
    before = interm_crl(dev_pki, [(serial, proof - timedelta(days=1))], published, 900012)
    found = time_proof_validation(lta, root, AFTER_SIGNER_EXPIRY, [before])
    # (pyHanko keeps the current-time sub-indication, TRY_LATER: no fresh CRL in 2031)
    assert found.indication is not AdESPassed.OK
    assert found.proof_time == proof and found.reason == "past signature validation"


def test_already_revoked_signer_does_not_validate_and_signsvc_refuses_it(dev_pki, responders,
                                                                        root, tmp_path):
    revoked = pem_cert(dev_pki, "revoked-signer")
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
        bt = sign_outside(dev_pki, revoked, key_of(dev_pki, "revoked-signer"),
                           timestamps.HTTPTimeStamper(TSA_URL))
        interm_crl = served_crl("interm")
        assert any(e["user_certificate"].native == revoked.serial_number
                   for e in interm_crl["tbs_cert_list"]["revoked_certificates"])
        lta = archive_outside(dev_pki, bt, [interm_crl, served_crl("root")])
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

def _lta_validation(data: bytes, root, when: datetime):
    """pyHanko's PAdES LTA validation (ETSI EN 319 102-1 § 5.6.3) at ``when``: the document
    timestamps in the file are the proofs of existence; nothing is fetched."""
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
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


def _renewed_passes(data: bytes, root, when: datetime, timestamped: bool, late_crls=()) -> bool:
    """pyHanko's PAdES-LTA validation at ``when`` (B-T); for a B-B signature, whose time proof
    is the first document timestamp, the same algorithm with pyHanko's steps (its
    ``ades_lta_validation`` stops at "No signature timestamp present", asserted here).
    Only what the document carries counts."""
    if timestamped:
        assert not late_crls
        return _lta_validation(data, root, when).ades_subindic is AdESPassed.OK
    found = time_proof_validation(data, root, when, late_crls, fresh_tsa_status=False)
    assert found.lta.ades_subindic is AdESIndeterminate.SIG_CONSTRAINTS_FAILURE
    return found.indication is AdESPassed.OK


@pytest.mark.parametrize("timestamped", [True, False], ids=["B-T", "B-B"])
def test_archive_renew_after_the_signer_expired(api, dev_pki, responders, root, tmp_path,
                                                timestamped):
    now = datetime.now(UTC).replace(microsecond=0)
    cert = short_lived_signer(dev_pki, now - timedelta(days=30), now - timedelta(days=2))
    signed_at = now - timedelta(days=10)
    # signed ten days ago, while the certificate was valid: the signature timestamp of then
    # (B-B: none, the archive timestamp ten minutes later is its time proof)
    bt = sign_outside(dev_pki, cert, key_of(dev_pki, "dev-software"),
                       tsa_at(dev_pki, signed_at) if timestamped else None)
    if timestamped:
        assert _signature_time(bt) == signed_at
    # archived then: the issuing CA's CRL and an OCSP response of that day (not revoked), the
    # root's CRL, and the archive timestamp of that day
    # (numbered 1: before the responders' own CRLs, which count periods since 2025)
    crl_then = interm_crl(dev_pki, [], signed_at + timedelta(minutes=5), 1)
    root_crl_then = interm_crl(dev_pki, [], signed_at + timedelta(minutes=5), 1, "root")
    archive_ts = tsa_at(dev_pki, signed_at + timedelta(minutes=10))
    lta = archive_outside(dev_pki, bt, [crl_then, root_crl_then], archive_ts,
                           [interm_ocsp(dev_pki, cert, signed_at + timedelta(minutes=5))])
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "expired-signer.pdf").write_bytes(lta)
    if not timestamped:  # the same with CRLs only (see below)
        (folder / "crl-only.pdf").write_bytes(
            archive_outside(dev_pki, bt, [crl_then, root_crl_then], archive_ts))

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
        assert _renewed_passes(renewed, root, later, timestamped), days
        assert not _renewed_passes(lta, root, later, timestamped), days
    if not timestamped:
        # control: revoked ten minutes before its time proof, it does not pass
        before = interm_crl(dev_pki, [(cert.serial_number, signed_at)], now, 900021)
        assert not _renewed_passes(renewed, root, now + timedelta(days=1), False, [before])
        _crl_only_limitation(folder / "crl-only.pdf", root, now, signed_at + timedelta(minutes=10))
    found = pdfsig(folder / "expired-signer.pdf", dev_pki.nssdb)
    assert len(found) == 3 and found[0].signature_valid, found[0].raw
    assert found[0].common_name == "Người ký đã hết hạn (TEST ONLY)"
    assert all(s.common_name == "signsvc TEST ONLY Time Stamping Authority" for s in found[1:])

    from signsvc.adapters.audit_sql import SqlAuditStore
    from signsvc.services.audit_service import AuditService

    records = AuditService(SqlAuditStore(tmp_path / "state" / "audit.sqlite3")).list(
        action="archive:document:renewed")
    assert len(records) == (1 if timestamped else 2)
    assert all(r.outcome == "success" and r.level == "B-LTA" for r in records)


def _crl_only_limitation(path, root, now: datetime, proof: datetime) -> None:
    """A renewed B-B document whose signer's revocation data is a CRL only: pyHanko 0.38's
    past signature validation finds no revocation data for the signer and answers
    REVOCATION_OUT_OF_BOUNDS_NO_POE ("could not obtain sufficient POE for the issuance of
    the revocation information", ades.py ``_pass_contingent_on_revinfo_issuance_poe``):
    ``_find_revinfo_data_for_leaf_in_past`` builds a path anchored *at* the CRL issuer, and
    ``collect_relevant_crls_with_paths`` then cannot place that issuer in it
    (pyhanko_certvalidator/path.py ``truncate_to_issuer_and_append`` raises LookupError,
    counted as a path-building failure in revinfo/validate_crl.py), so a CRL of the
    signer's own CA is never used; an OCSP response is (the test above). The document does
    carry the proof: from its DSS the signer validates at the time proof and not after
    its expiry. If pyHanko fixes this, the first assertion fails: then assert it passes."""
    data = path.read_bytes()
    found = time_proof_validation(data, root, now + timedelta(days=1), fresh_tsa_status=False)
    assert found.proof_time == proof
    assert found.indication is AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE, found.indication
    signer = PdfFileReader(io.BytesIO(data)).embedded_regular_signatures[0].signer_cert
    assert validates_from_dss_at(data, signer, root, proof)
    assert not validates_from_dss_at(data, signer, root, now + timedelta(days=1))
