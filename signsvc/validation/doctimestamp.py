"""Document timestamps (/DocTimeStamp): the archive timestamps of B-LTA. Never raises.

Each carries an ETSI EN 319 102-1 indication, decided like a signature's: an unreadable
token TOTAL-FAILED/FORMAT_FAILURE; digest mismatch HASH_FAILURE; bad token signature
SIG_CRYPTO_FAILURE; a forbidden change after it FORMAT_FAILURE (the rule named); a
processing error, a repaired structure or an untrusted TSA INDETERMINATE."""

from __future__ import annotations

import logging

from pyhanko.sign.validation import async_validate_pdf_timestamp
from pyhanko_certvalidator.fetchers import FetcherBackend

from signsvc.errors import Message
from signsvc.names import SubIndication as Sub

from . import messages
from .chain import cms_certificates
from .context import TrustSetup
from .decision import FAILED, INDETERMINATE, PASSED
from .diff.policy import DIFF_POLICY
from .integrity import DocumentFacts, integrity_of, range_past_end
from .pdfread import SignatureEntry
from .report import DocumentTimestampReport, Messages, TimestampInfo
from .signature_facts import status_chain, timestamp_info

logger = logging.getLogger(__name__)

_BROKEN = TimestampInfo(time=None, tsa=None, valid=False, intact=False, signature_valid=False,
                        trusted=False)


def _msgs(*found: Message) -> Messages:
    return Messages(vi=tuple(m.vi for m in found), en=tuple(m.en for m in found))


def timestamp_indication(ts: TimestampInfo, *, permitted: bool, modifications: str, doc: DocumentFacts,
                         finding: Message | None = None) -> tuple[str, str | None, Messages]:
    """The indication, sub-indication and reason of a checked document timestamp."""
    if not ts.intact:
        return FAILED, Sub.HASH_FAILURE, _msgs(messages.text("hash_failure"))
    if not ts.signature_valid:
        return FAILED, Sub.SIG_CRYPTO_FAILURE, _msgs(messages.text("crypto_failure"))
    forbidden = finding if finding is not None else (None if permitted else messages.text("forbidden_change"))
    if forbidden is not None and doc.cap is None:
        return FAILED, Sub.FORMAT_FAILURE, _msgs(forbidden)
    if doc.cap is not None:
        return INDETERMINATE, doc.cap[0], _msgs(doc.cap[1])
    if not ts.trusted:
        return INDETERMINATE, Sub.NO_CERTIFICATE_CHAIN_FOUND, _msgs(messages.text("timestamp_untrusted"))
    if modifications == "other":
        return INDETERMINATE, Sub.FORMAT_FAILURE, _msgs(messages.text("modified_other"))
    return PASSED, None, _msgs(messages.text("passed"))


async def check_document_timestamp(entry: SignatureEntry, setup: TrustSetup,
                                   backend: FetcherBackend | None, doc: DocumentFacts) -> DocumentTimestampReport:
    """The report for one document timestamp, with the TSA's chain; an unreadable token is
    TOTAL-FAILED/FORMAT_FAILURE, one that could not be processed INDETERMINATE."""
    if entry.embedded is None:
        reason = entry.reason or entry.subfilter
        return DocumentTimestampReport(entry.field, _BROKEN, "partial", "other", indication=FAILED,
                                       sub_indication=Sub.FORMAT_FAILURE,
                                       messages=_msgs(messages.text("format_failure", reason=reason)))
    if range_past_end(entry, doc):  # never hash what is not in the upload
        return DocumentTimestampReport(entry.field, _BROKEN, "partial", "none", indication=FAILED,
                                       sub_indication=Sub.HASH_FAILURE,
                                       messages=_msgs(messages.text("byte_range_past_end")))
    try:
        vc = setup.context(doc.evidence, backend)
        status = await async_validate_pdf_timestamp(entry.embedded, validation_context=vc,
                                                    diff_policy=DIFF_POLICY)
    except Exception as exc:  # the boundary: processing trouble is INDETERMINATE, never "broken"
        logger.warning("document timestamp %s could not be checked", entry.field, exc_info=exc)
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return DocumentTimestampReport(entry.field, _BROKEN, "partial", "other", indication=INDETERMINATE,
                                       sub_indication=Sub.GENERIC,
                                       messages=_msgs(messages.text("processing_error", reason=reason)))
    candidates = [*cms_certificates(entry.embedded.signed_data), *setup.intermediates, *doc.evidence.certs]
    chain = status_chain(status, vc, setup, candidates)
    info = timestamp_info(status, chain)
    integrity = integrity_of(entry, doc, status)
    modifications, permitted = integrity.modifications, integrity.permitted
    if doc.finding_for(entry) is not None:
        modifications, permitted = "other", False
    indication, sub, found = timestamp_indication(info, permitted=permitted, modifications=modifications, doc=doc,
                                                  finding=doc.finding_for(entry))
    return DocumentTimestampReport(entry.field, info, integrity.coverage, modifications,
                                   indication=indication, sub_indication=sub,
                                   modifications_permitted=permitted, messages=found)
