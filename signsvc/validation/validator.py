"""``PdfValidator``: PDF bytes in, ``ValidationReport`` out.

Built once at start-up (trust manager, intermediates, settings) and shared: it holds no
per-request state, so concurrent requests may use the same instance. Each call creates
its own validation contexts. When fetching is allowed, OCSP/CRL/certificate retrieval
goes through the ``fetcher_backend`` given at construction (the service passes the
signing side's ``ResilientFetcherBackend``: loop-free, shared, backed by the SQLite
revocation cache, so a response is fetched once until its nextUpdate for all workers);
without one, each call opens and closes its own aiohttp session. ``validate`` runs on the
calling thread's kept event loop (``signsvc.signing.event_loops``), not a fresh one.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from datetime import UTC, datetime

from pyhanko_certvalidator.fetchers import FetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from signsvc import deadline
from signsvc.errors import MalformedPdf
from signsvc.names import SubIndication as Sub
from signsvc.signing import event_loops

from . import messages, speedups
from .context import TrustSetup
from .doctimestamp import check_document_timestamp
from .evidence import document_evidence
from .integrity import DocumentFacts
from .reading import open_for_validation
from .report import DocumentInfo, Messages, SignatureReport, ValidationReport
from .revisions.ranges import byte_range, covered_revision, revision_ends
from .revisions.view import revision_view
from .signature import check_signature
from .trust import TrustAnchors
from .verdict import document_verdict

speedups.install()


def _byte_evidence(item) -> bool:
    """The item's byte range was hashed: intact, or a digest or signature value failure."""
    ts = getattr(item, "timestamp", None)
    intact = item.intact if isinstance(item, SignatureReport) else bool(ts and ts.intact)
    return intact or item.sub_indication in (Sub.HASH_FAILURE, Sub.SIG_CRYPTO_FAILURE)


class PdfValidator:
    """Validates the signatures of PDF documents against one trust store."""

    def __init__(self, trust: TrustAnchors, *, policy_sha256: str | None, allow_fetching: bool,
                 revocation_mode: str, fetch_timeout_seconds: float = 10.0,
                 policy_version: str | None = None,
                 fetcher_backend: FetcherBackend | None = None) -> None:
        """``revocation_mode`` is certvalidator's ``hard-fail`` or ``soft-fail``; raises
        ``ConfigError`` for anything else or for a trust store without anchors.
        ``fetcher_backend``, when given, must be usable from any thread and event loop
        (it is shared by all calls and never closed here)."""
        self._trust = trust
        self._setup = TrustSetup.build(trust, allow_fetching=allow_fetching, revocation_mode=revocation_mode)
        self._policy_sha256 = policy_sha256
        self._policy_version = policy_version
        self._fetch_timeout = fetch_timeout_seconds
        self._backend = fetcher_backend

    def validate(self, data: bytes) -> ValidationReport:
        """The report for ``data``.

        Never raises for a bad, untrusted or unparseable signature: that is in the report.
        An unsigned PDF gives status and verdict ``unsigned``. Raises ``NotAPdf`` (no
        ``%PDF-`` in the first 1024 bytes), ``MalformedPdf`` (no reading of ``reading``
        works, or a repaired file gives no signature whose bytes could be checked) or
        ``EncryptedPdf`` (it needs a password or key). The verdict follows the indications
        (``verdict.document_verdict``). Runs on the calling thread's kept
        event loop: from inside a running loop, await ``avalidate`` instead.
        """
        # within the request's deadline when one is in force (the signing path reads the
        # document's signatures for the seal rule); no limit otherwise
        budget = deadline.remaining()
        return event_loops.run(asyncio.wait_for(self.avalidate(data), budget))

    async def avalidate(self, data: bytes) -> ValidationReport:
        """``validate`` for callers that already run an event loop."""
        started = datetime.now(UTC)
        opened = open_for_validation(data)
        reader, entries = opened.reader, opened.entries
        evidence = document_evidence(reader)
        cap = opened.cap
        if evidence.over_limit and cap is None:  # hostile validation data: not everything could be read
            cap = (Sub.SIG_CONSTRAINTS_FAILURE, messages.text("dss_over_limit", count=str(evidence.over_limit)))
        doc = DocumentFacts(
            reader=reader, data=data, evidence=evidence,
            doc_timestamp_revisions=tuple(e.signed_revision for e in entries
                                          if e.kind == "timestamp" and e.embedded is not None),
            cap=cap, findings=opened.findings, repaired=opened.reading == "repaired",
            appended=opened.appended)
        own = self._setup.allow_fetching and self._backend is None
        own_backend = AIOHttpFetcherBackend(per_request_timeout=self._fetch_timeout) if own else None
        backend = own_backend if own_backend is not None else self._backend
        try:
            signatures = [await check_signature(e, self._setup, backend, doc)
                          for e in entries if e.kind == "signature"]
            timestamps = [await check_document_timestamp(e, self._setup, backend, doc)
                          for e in entries if e.kind == "timestamp"]
        finally:
            if own_backend is not None:
                await own_backend.close()
        ends = revision_ends(reader, opened.reader_data)
        sig_entries = [e for e in entries if e.kind == "signature"]
        ts_entries = [e for e in entries if e.kind == "timestamp"]
        signatures = [replace(s, revision=covered_revision(e, ends), byte_range=byte_range(e))
                      for s, e in zip(signatures, sig_entries)]
        timestamps = [replace(t, revision=covered_revision(e, ends), byte_range=byte_range(e))
                      for t, e in zip(timestamps, ts_entries)]
        if doc.repaired and not any(_byte_evidence(x) for x in [*signatures, *timestamps]):
            raise MalformedPdf()  # the repair shows no signature whose bytes could be checked
        verdict = document_verdict(signatures, timestamps)
        found = [messages.text(f"verdict_{verdict}")]
        if opened.reading == "repaired" and opened.cap is not None:
            found.append(opened.cap[1])
        elif opened.reading == "lenient":
            found.append(messages.text("lenient_reading", reason=opened.repair or "?"))
        if doc.evidence.over_limit:
            found.append(messages.text("dss_over_limit", count=str(doc.evidence.over_limit)))
        for ts in timestamps:
            if not (ts.timestamp.intact and ts.timestamp.signature_valid):
                found.append(messages.text("doc_timestamp_invalid", field=ts.field))
            elif not ts.timestamp.trusted:
                found.append(messages.text("doc_timestamp_untrusted", field=ts.field))
        return ValidationReport(
            document=DocumentInfo(sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                  revisions=reader.xrefs.total_revisions,
                                  status="signed" if signatures else "unsigned",
                                  reading=opened.reading, repair=opened.repair),
            signatures=tuple(signatures),
            verdict=verdict,
            policy_sha256=self._policy_sha256,
            trust_anchors_sha256=self._trust.sha256,
            trust_anchors_name=self._trust.name,
            document_timestamps=tuple(timestamps),
            messages=Messages(vi=tuple(m.vi for m in found), en=tuple(m.en for m in found)),
            validated_at=started,
            policy_version=self._policy_version,
            revisions=() if doc.repaired else revision_view(reader, data, entries),
        )
