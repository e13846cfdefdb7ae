"""Validation data carried by the document itself: the DSS and Adobe's revocation archive.

A B-LT/B-LTA signature must validate offline from this data, so it is fed into every
validation context. Unreadable entries are skipped (the signature is then checked as if
they were absent), never fatal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from asn1crypto import cms, crl, ocsp, x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import MultivaluedAttributeError, NonexistentAttributeError, find_unique_cms_attribute
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evidence:
    certs: tuple[x509.Certificate, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()

    @property
    def has_revinfo(self) -> bool:
        return bool(self.ocsps or self.crls)

    def __add__(self, other: Evidence) -> Evidence:
        return Evidence(self.certs + other.certs, self.ocsps + other.ocsps, self.crls + other.crls)


def _load_all(refs, loader, purpose: DecodePurpose) -> tuple:
    loaded = []
    for ref in refs:
        try:
            item = loader(ref.get_object().read_data(purpose))
            item.native  # parse now: a broken entry is skipped here, not at validation time
            loaded.append(item)
        except (PdfError, ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.warning("skipping unreadable DSS entry %r: %s", ref, exc)
    return tuple(loaded)


def document_evidence(reader: PdfFileReader) -> Evidence:
    """Certificates, OCSP responses and CRLs in the document's DSS (empty when none)."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return Evidence()
    except (PdfError, ValueError, TypeError, KeyError, AttributeError) as exc:
        logger.warning("unreadable DSS, ignored: %s", exc)
        return Evidence()
    return Evidence(
        certs=_load_all(dss.certs.values(), x509.Certificate.load, DecodePurpose.CERTIFICATE),
        ocsps=_load_all(dss.ocsps, ocsp.OCSPResponse.load, DecodePurpose.OCSP_RESPONSE),
        crls=_load_all(dss.crls, crl.CertificateList.load, DecodePurpose.CRL),
    )


def signature_evidence(signer_info: cms.SignerInfo) -> Evidence:
    """OCSP responses and CRLs in the signed ``adbe-revocationInfoArchival`` attribute."""
    try:
        archival = find_unique_cms_attribute(signer_info["signed_attrs"], "adobe_revocation_info_archival")
        crls = tuple(archival["crl"]) if archival["crl"] else ()
        ocsps = tuple(archival["ocsp"]) if archival["ocsp"] else ()
        return Evidence(ocsps=ocsps, crls=crls)
    except (NonexistentAttributeError, MultivaluedAttributeError, ValueError, TypeError, KeyError):
        return Evidence()
