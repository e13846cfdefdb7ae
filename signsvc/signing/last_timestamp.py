"""The timestamp that comes last in a signed PDF (what an archive renewal looks at).

Guarantees: read-only; a PDF that cannot be read, is encrypted or holds no signature
raises the signsvc errors of ``signing.ltv._open`` / ``NotSigned``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

from signsvc.errors import NotSigned
from signsvc.signing.ltv import _open


@dataclass(frozen=True)
class LastTimestamp:
    """The timestamp that comes last in a document (None when no timestamp covers the
    last signature)."""

    kind: str                         # "document" | "signature"
    tsa_subject: str
    tsa_not_after: datetime
    gen_time: datetime | None


def _token_facts(signed_data: cms.SignedData, kind: str) -> LastTimestamp:
    cert = extract_certificate_info(signed_data).signer_cert
    tst = signed_data["encap_content_info"]["content"].parsed
    return LastTimestamp(kind=kind, tsa_subject=cert.subject.human_friendly,
                         tsa_not_after=cert["tbs_certificate"]["validity"]["not_after"].native,
                         gen_time=tst["gen_time"].native)


def last_timestamp(data: bytes) -> LastTimestamp | None:
    """The last timestamp of ``data`` (see ``LastTimestamp``); signsvc errors for a PDF
    that cannot be read, is encrypted or holds no signature."""
    reader = _open(data)
    regular = reader.embedded_regular_signatures
    if not regular:
        raise NotSigned()
    last: tuple[int, LastTimestamp | None] | None = None
    for emb in reader.embedded_signatures:
        rev = emb.signed_revision
        if last is not None and rev < last[0]:
            continue
        if emb.sig_object_type == "/DocTimeStamp":
            last = (rev, _token_facts(emb.signed_data, "document"))
            continue
        tokens = list(extract_tst_data_iter(emb.signer_info, signed=False))
        last = (rev, _token_facts(tokens[-1], "signature")) if tokens else (rev, None)
    return last[1] if last else None
