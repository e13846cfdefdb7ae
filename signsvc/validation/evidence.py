"""Validation data carried by the document itself: the DSS and Adobe's revocation archive.

A B-LT/B-LTA signature must validate offline from this data, so it is fed into every
validation context. Unreadable entries are skipped (the signature is then checked as if
they were absent), never fatal. Entries whose streams exceed pyHanko's decoding limits
(decompression bombs) are skipped too, and counted in ``over_limit``: the validator then
does not call the document ``valid``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from asn1crypto import cms, crl, ocsp, x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evidence:
    certs: tuple[x509.Certificate, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()
    over_limit: int = 0  # DSS streams refused for exceeding the decoding limits

    @property
    def has_revinfo(self) -> bool:
        return bool(self.ocsps or self.crls)

    def __add__(self, other: Evidence) -> Evidence:
        return Evidence(self.certs + other.certs, self.ocsps + other.ocsps, self.crls + other.crls,
                        self.over_limit + other.over_limit)


def _load_all(refs, loader, purpose: DecodePurpose) -> tuple[tuple, int]:
    loaded, over_limit = [], 0
    for ref in refs:
        try:
            item = loader(ref.get_object().read_data(purpose))
            _ = item.native  # parse now: a broken entry is skipped here, not at validation time
            loaded.append(item)
        except PdfDecodeLimitError as exc:
            logger.warning("skipping DSS entry %r beyond the decoding limits: %s", ref, exc)
            over_limit += 1
        except (PdfError, ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.warning("skipping unreadable DSS entry %r: %s", ref, exc)
    return tuple(loaded), over_limit


def document_evidence(reader: PdfFileReader) -> Evidence:
    """Certificates, OCSP responses and CRLs in the document's DSS (empty when none)."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return Evidence()
    except PdfDecodeLimitError as exc:
        logger.warning("DSS beyond the decoding limits, ignored: %s", exc)
        return Evidence(over_limit=1)
    except (PdfError, ValueError, TypeError, KeyError, AttributeError) as exc:
        logger.warning("unreadable DSS, ignored: %s", exc)
        return Evidence()
    certs, bad_certs = _load_all(dss.certs.values(), x509.Certificate.load, DecodePurpose.CERTIFICATE)
    ocsps, bad_ocsps = _load_all(dss.ocsps, ocsp.OCSPResponse.load, DecodePurpose.OCSP_RESPONSE)
    crls, bad_crls = _load_all(dss.crls, crl.CertificateList.load, DecodePurpose.CRL)
    return Evidence(certs=certs, ocsps=ocsps, crls=crls, over_limit=bad_certs + bad_ocsps + bad_crls)


def signature_evidence(signer_info: cms.SignerInfo) -> Evidence:
    """OCSP responses and CRLs in the signed ``adbe-revocationInfoArchival`` attribute."""
    try:
        archival = find_unique_cms_attribute(signer_info["signed_attrs"], "adobe_revocation_info_archival")
        crls = tuple(archival["crl"]) if archival["crl"] else ()
        ocsps = tuple(archival["ocsp"]) if archival["ocsp"] else ()
        return Evidence(ocsps=ocsps, crls=crls)
    except (NonexistentAttributeError, MultivaluedAttributeError, ValueError, TypeError, KeyError):
        return Evidence()
