"""Document timestamps (/DocTimeStamp): the archive timestamps of B-LTA. Never raises."""

from __future__ import annotations

import logging

from pyhanko.sign.validation import async_validate_pdf_timestamp
from pyhanko_certvalidator.fetchers import FetcherBackend

from .context import TrustSetup
from .diff_policy import DIFF_POLICY
from .pdfread import SignatureEntry
from .report import DocumentTimestampReport, TimestampInfo
from .chain import cms_certificates
from .signature import DocumentFacts, coverage_name, modification_name, status_chain, timestamp_info

logger = logging.getLogger(__name__)

_BROKEN = TimestampInfo(time=None, tsa=None, valid=False, intact=False, signature_valid=False,
                        trusted=False)


async def check_document_timestamp(entry: SignatureEntry, setup: TrustSetup,
                                   backend: FetcherBackend | None, doc: DocumentFacts) -> DocumentTimestampReport:
    """The report for one document timestamp, with the TSA's chain; an unreadable token is
    reported as not intact and not valid."""
    if entry.embedded is None:
        return DocumentTimestampReport(entry.field, _BROKEN, "partial", "other")
    try:
        vc = setup.context(doc.evidence, backend)
        status = await async_validate_pdf_timestamp(entry.embedded, validation_context=vc,
                                                    diff_policy=DIFF_POLICY)
    except Exception as exc:  # the boundary: a broken token is a finding
        logger.warning("document timestamp %s could not be checked", entry.field, exc_info=exc)
        return DocumentTimestampReport(entry.field, _BROKEN, "partial", "other")
    candidates = [*cms_certificates(entry.embedded.signed_data), *setup.intermediates, *doc.evidence.certs]
    chain = status_chain(status, vc, setup, candidates)
    return DocumentTimestampReport(entry.field, timestamp_info(status, chain), coverage_name(status.coverage),
                                   modification_name(status.modification_level))
