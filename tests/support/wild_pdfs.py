"""Signed PDFs as other software makes them (TEST ONLY), for the "signatures in the
wild" tests.

- ``sign`` / ``certify`` / ``doc_timestamp``: pyHanko signing (any key type of
  ``wild_pki``, RSA-PSS, SHA-2/SHA-3 digests, certification with a DocMDP level, RFC 3161
  document timestamps).
- ``resign_pss``: a pyHanko RSA-PSS signature whose SignerInfo is rewritten with other
  PSS parameters (declared) and re-signed with cryptography under possibly different
  parameters (used): the inconsistent or mismatched PSS signatures seen in the wild.
- ``raw_sign``: an incremental update with a signature dictionary of any /SubFilter
  (pyHanko's byte-range placeholder), whose /Contents is computed by a callback from the
  byte-range digest. pyHanko cannot produce the legacy subfilters, so
  ``pkcs7_sha1`` (CMS SignedData whose encapsulated content is the SHA-1 of the byte
  range, signed attributes over it, sha1WithRSA, built with asn1crypto) and
  ``x509_rsa_sha1`` (a bare PKCS#1 v1.5 SHA-1 signature value as a DER OCTET STRING in
  /Contents, the certificate in /Cert) are made with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from datetime import UTC, datetime

from asn1crypto import algos, cms, core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.signers.pdf_byterange import PdfByteRangeDigest

from .wild_pki import WildSigner, to_asn1

N = generic.NameObject
_HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
           "sha512": hashes.SHA512, "sha3_256": hashes.SHA3_256}


def sign(data: bytes, signer: signers.Signer, *, field: str = "Sig1", timestamper=None, **meta) -> bytes:
    """``data`` signed by pyHanko in an incremental update (PAdES subfilter unless ``subfilter``)."""
    meta.setdefault("subfilter", fields.SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    return signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field, **meta),
                            signer=signer, timestamper=timestamper).getvalue()


def certify(data: bytes, signer: signers.Signer, level: int, *, field: str = "Cert") -> bytes:
    """A certification signature with DocMDP /P ``level`` (1, 2 or 3)."""
    return sign(data, signer, field=field, certify=True,
                docmdp_permissions=fields.MDPPerm(level))


def doc_timestamp(data: bytes, timestamper: timestamps.TimeStamper, field: str = "DocTS") -> bytes:
    """``data`` with an RFC 3161 document timestamp (/DocTimeStamp) in a new revision."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    return signers.PdfTimeStamper(timestamper, field_name=field).timestamp_pdf(
        writer, "sha256").getvalue()


# --- /Contents surgery -------------------------------------------------------------------

def contents_span(data: bytes, occurrence: int = -1) -> tuple[int, int]:
    """Start and end (exclusive) of the hex digits of a signature's /Contents."""
    found = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data))
    _, len1, start2, _ = (int(g) for g in found[occurrence].groups())
    return len1 + 1, start2 - 1


def read_contents(data: bytes, occurrence: int = -1) -> bytes:
    start, end = contents_span(data, occurrence)
    return bytes.fromhex(data[start:end].decode())


def replace_contents(data: bytes, new_der: bytes, occurrence: int = -1) -> bytes:
    start, end = contents_span(data, occurrence)
    hexed = new_der.hex().encode()
    assert len(hexed) <= end - start, "replacement too large"
    return data[:start] + hexed.ljust(end - start, b"0") + data[end:]


def _signed_attrs_der(signer_info: cms.SignerInfo) -> bytes:
    """The signed attributes as they are signed (a SET, not the [0] IMPLICIT tag)."""
    der = signer_info["signed_attrs"].dump()
    return b"\x31" + der[1:]


def pss_params(hash_name: str, *, mgf_hash: str | None = None, salt: int | None = None,
               trailer: int = 1) -> algos.RSASSAPSSParams:
    return algos.RSASSAPSSParams({
        "hash_algorithm": {"algorithm": hash_name},
        "mask_gen_algorithm": {"algorithm": "mgf1",
                               "parameters": {"algorithm": mgf_hash or hash_name}},
        "salt_length": _HASHES[hash_name].digest_size if salt is None else salt,
        "trailer_field": trailer,
    })


def resign_pss(data: bytes, wild: WildSigner, *, declared: algos.RSASSAPSSParams,
               used_hash: str, used_mgf_hash: str | None = None, used_salt: int | None = None) -> bytes:
    """``data`` (signed with RSA-PSS by ``wild``) with its SignerInfo declaring ``declared``
    PSS parameters and a signature value actually made with PSS(``used_*``)."""
    info = cms.ContentInfo.load(read_contents(data))
    signer_info = info["content"]["signer_infos"][0]
    signer_info["signature_algorithm"] = {"algorithm": "rsassa_pss", "parameters": declared}
    used = _HASHES[used_hash]()
    salt = used.digest_size if used_salt is None else used_salt
    value = wild.key.sign(_signed_attrs_der(signer_info),
                          padding.PSS(mgf=padding.MGF1(_HASHES[used_mgf_hash or used_hash]()),
                                      salt_length=salt), used)
    signer_info["signature"] = value
    return replace_contents(data, info.dump(force=True))


# --- legacy subfilters, made by hand -----------------------------------------------------

def raw_sign(data: bytes, subfilter: str, make_contents, *, md_algorithm: str = "sha1",
             extra: dict | None = None, field: str = "Sig1", reserved: int = 8192) -> bytes:
    """An incremental update adding an invisible signature field ``field`` whose signature
    dictionary has /SubFilter ``subfilter`` (and the ``extra`` entries); /Contents is
    ``make_contents(byte_range_digest)`` (DER bytes), the digest taken with ``md_algorithm``."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    sig = PdfByteRangeDigest(bytes_reserved=reserved)
    sig.update({N("/Type"): N("/Sig"), N("/Filter"): N("/Adobe.PPKLite"), N("/SubFilter"): N(subfilter),
                N("/M"): generic.pdf_date(datetime.now(UTC))})
    sig.update(extra or {})
    sig_ref = writer.add_object(sig)
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    widget = writer.add_object(generic.DictionaryObject({
        N("/FT"): N("/Sig"), N("/T"): generic.TextStringObject(field), N("/V"): sig_ref,
        N("/Type"): N("/Annot"), N("/Subtype"): N("/Widget"), N("/F"): generic.NumberObject(132),
        N("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4), N("/P"): page_ref}))
    annots = page.get("/Annots", generic.ArrayObject())
    page[N("/Annots")] = generic.ArrayObject([*annots, widget])
    writer.update_container(page)
    form = writer.root.get("/AcroForm")
    if form is None:
        writer.root[N("/AcroForm")] = generic.DictionaryObject({
            N("/Fields"): generic.ArrayObject([widget]), N("/SigFlags"): generic.NumberObject(3)})
    else:
        form = form.get_object()
        form[N("/Fields")] = generic.ArrayObject([*form["/Fields"], widget])
        writer.update_container(form)
    writer.update_root()
    filler = sig.fill(writer, md_algorithm)
    prepared, output = next(filler)
    filler.send(make_contents(prepared.document_digest))
    return output.getvalue()


def sign_ignoring_docmdp(data: bytes, signer: signers.Signer, *, field: str = "Approve") -> bytes:
    """A PAdES signature (CMS by pyHanko, placed by ``raw_sign``) added even where the
    document's certification forbids it: pyHanko refuses to, other software does not."""
    def contents(digest: bytes) -> bytes:
        return asyncio.run(signer.async_sign(digest, "sha256", use_pades=True)).dump()

    return raw_sign(data, "/ETSI.CAdES.detached", contents, md_algorithm="sha256", field=field,
                    reserved=16384)


def _pkcs1_sha1(wild: WildSigner, digest: bytes) -> bytes:
    return wild.key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1()))


def x509_rsa_sha1(data: bytes, wild: WildSigner, *, corrupt_value: bool = False, field: str = "Sig1") -> bytes:
    """An ``adbe.x509.rsa_sha1`` signature: /Contents is the DER OCTET STRING of a PKCS#1 v1.5
    signature over the SHA-1 digest of the byte range, /Cert the signer's certificate."""
    cert_der = wild.cert.public_bytes(serialization.Encoding.DER)

    def contents(digest: bytes) -> bytes:
        if isinstance(wild.key, ec.EllipticCurvePrivateKey):  # not RSA: what some tools write anyway
            return core.OctetString(wild.key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA1())))).dump()
        value = bytearray(_pkcs1_sha1(wild, digest))
        if corrupt_value:
            value[5] ^= 0x01
        return core.OctetString(bytes(value)).dump()

    return raw_sign(data, "/adbe.x509.rsa_sha1", contents, field=field,
                    extra={N("/Cert"): generic.ByteStringObject(cert_der)})


def pkcs7_sha1(data: bytes, wild: WildSigner, *, field: str = "Sig1") -> bytes:
    """An ``adbe.pkcs7.sha1`` signature: CMS SignedData encapsulating the SHA-1 digest of
    the byte range (id-data), signed attributes (contentType, messageDigest = SHA-1 of
    that content, signingTime), sha1WithRSAEncryption, the signer's certificate."""
    asn1_cert = to_asn1(wild.cert)

    def contents(digest: bytes) -> bytes:
        attrs = cms.CMSAttributes([
            {"type": "content_type", "values": ["data"]},
            {"type": "message_digest", "values": [hashlib.sha1(digest).digest()]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": datetime.now(UTC)})]},
        ])
        value = wild.key.sign(attrs.dump(), padding.PKCS1v15(), hashes.SHA1())
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": {"issuer_and_serial_number": {"issuer": asn1_cert.issuer,
                                                 "serial_number": asn1_cert.serial_number}},
            "digest_algorithm": {"algorithm": "sha1"},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "sha1_rsa"},
            "signature": value,
        })
        signed = cms.SignedData({
            "version": "v1", "digest_algorithms": [{"algorithm": "sha1"}],
            "encap_content_info": {"content_type": "data", "content": digest},
            "certificates": [asn1_cert], "signer_infos": [signer_info]})
        return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()

    return raw_sign(data, "/adbe.pkcs7.sha1", contents, field=field)


def modify_page_text(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with the first ``old`` in the (uncompressed) page content replaced in place
    by ``new`` of the same length: a tampered signed range."""
    assert len(old) == len(new)
    i = data.index(old)
    return data[:i] + new + data[i + len(old):]


# --- a form to fill after certification ---------------------------------------------------

def _form_xobject(writer, font, text: bytes):
    return writer.add_object(generic.StreamObject(generic.DictionaryObject({
        N("/Type"): N("/XObject"), N("/Subtype"): N("/Form"),
        N("/BBox"): generic.ArrayObject(generic.NumberObject(x) for x in (0, 0, 200, 20)),
        N("/Resources"): generic.DictionaryObject({N("/Font"): generic.DictionaryObject({N("/F1"): font})})}),
        stream_data=b"/Tx BMC BT /F1 12 Tf 2 6 Td (%s) Tj ET EMC" % text))


def with_empty_text_field(data: bytes, name: str = "ho_ten") -> bytes:
    """``data`` (not yet signed) with an empty text field ``name`` on page 1, added in an
    incremental update, as a form a citizen fills after the agency certified it."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    font = writer.add_object(generic.DictionaryObject({
        N("/Type"): N("/Font"), N("/Subtype"): N("/Type1"), N("/BaseFont"): N("/Helvetica")}))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    field = writer.add_object(generic.DictionaryObject({
        N("/FT"): N("/Tx"), N("/T"): generic.TextStringObject(name),
        N("/DA"): generic.TextStringObject("/F1 12 Tf 0 g"),
        N("/Type"): N("/Annot"), N("/Subtype"): N("/Widget"), N("/F"): generic.NumberObject(4),
        N("/Rect"): generic.ArrayObject(generic.NumberObject(x) for x in (72, 600, 272, 620)),
        N("/P"): page_ref, N("/AP"): generic.DictionaryObject({N("/N"): _form_xobject(writer, font, b"")})}))
    page[N("/Annots")] = generic.ArrayObject([*(page.get("/Annots") or []), field])
    writer.update_container(page)
    writer.root[N("/AcroForm")] = generic.DictionaryObject({
        N("/Fields"): generic.ArrayObject([field]),
        N("/DR"): generic.DictionaryObject({N("/Font"): generic.DictionaryObject({N("/F1"): font})}),
        N("/DA"): generic.TextStringObject("/F1 12 Tf 0 g")})
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_text_field(data: bytes, value: str, name: str = "ho_ten") -> bytes:
    """``data`` with the text field ``name`` filled with ``value`` (ASCII) and its new
    appearance, in an incremental update, as a PDF reader does."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    ref = next(f for f in writer.root["/AcroForm"]["/Fields"] if f.get_object().get("/T") == name)
    field = ref.get_object()
    font = writer.root["/AcroForm"]["/DR"]["/Font"].raw_get("/F1")
    field[N("/V")] = generic.TextStringObject(value)
    field[N("/AP")] = generic.DictionaryObject({N("/N"): _form_xobject(writer, font, value.encode("ascii"))})
    writer.mark_update(ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
