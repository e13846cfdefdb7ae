"""Build real PDFs with active or hidden content (JavaScript, Launch actions, attachments,
XFA, signature fields, reference cycles) with pyHanko's writer, for the document inspection
and the security policy. Every builder returns the bytes of a well-formed PDF that pyHanko
opens in strict mode; none of the scripts does anything harmful if opened."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter

N = generic.NameObject
REPO = Path(__file__).resolve().parents[2]
DEV_KEY = REPO / "var" / "pki" / "keys" / "dev-software.key.pem"
DEV_CERT = REPO / "var" / "pki" / "certs" / "dev-software.cert.pem"
SIGNATURE_FIELD = "Signature1"


def _d(**entries) -> generic.DictionaryObject:
    """A dictionary from keyword arguments (``S=N("/JavaScript")`` gives ``/S /JavaScript``)."""
    return generic.DictionaryObject({N("/" + k): v for k, v in entries.items()})


def _a(*items) -> generic.ArrayObject:
    return generic.ArrayObject(items)


def _s(text: str) -> generic.TextStringObject:
    return generic.TextStringObject(text)


def _js(code: str = "app.alert('signsvc test');") -> generic.DictionaryObject:
    return _d(Type=N("/Action"), S=N("/JavaScript"), JS=_s(code))


def _rect(*xs: int) -> generic.ArrayObject:
    return _a(*(generic.NumberObject(x) for x in xs))


def _pdf(pages: int = 1, *, page: Callable | None = None, catalog: Callable | None = None) -> bytes:
    """A PDF of ``pages`` A4 pages with text. ``page(w, number, page_dict)`` and
    ``catalog(w, page_refs)`` add the hostile parts before the file is written."""
    w = PdfFileWriter()
    font = w.add_object(_d(Type=N("/Font"), Subtype=N("/Type1"), BaseFont=N("/Helvetica")))
    refs = []
    for i in range(1, pages + 1):
        content = b"BT /F1 18 Tf 72 770 Td (signsvc inspection test - page %d) Tj ET" % i
        page_dict = _d(Type=N("/Page"), MediaBox=_rect(0, 0, 595, 842),
                       Resources=_d(Font=_d(F1=font)),
                       Contents=w.add_object(generic.StreamObject(stream_data=content)))
        if page:
            page(w, i, page_dict)
        refs.append(w.insert_page(page_dict))
    if catalog:
        catalog(w, refs)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _filespec(w: PdfFileWriter, name: str, data: bytes) -> generic.IndirectObject:
    ef = w.add_object(generic.StreamObject(_d(Type=N("/EmbeddedFile")), stream_data=data))
    return w.add_object(_d(Type=N("/Filespec"), F=_s(name), UF=_s(name), EF=_d(F=ef, UF=ef)))


def clean() -> bytes:
    """Two plain pages: no actions, attachments, forms or outlines."""
    return _pdf(2)


def open_action_javascript() -> bytes:
    """``/OpenAction`` is a JavaScript action."""
    def catalog(w, refs):
        w.root[N("/OpenAction")] = w.add_object(_js())
    return _pdf(catalog=catalog)


def names_javascript() -> bytes:
    """Document-level JavaScript in the ``/Names /JavaScript`` name tree, two levels of
    ``/Kids`` below the root node (root -> intermediate -> two leaves)."""
    def catalog(w, refs):
        leaves = [w.add_object(_d(Limits=_a(_s(k), _s(k)), Names=_a(_s(k), w.add_object(_js()))))
                  for k in ("a-init", "b-init")]
        middle = w.add_object(_d(Limits=_a(_s("a-init"), _s("b-init")), Kids=_a(*leaves)))
        w.root[N("/Names")] = _d(JavaScript=w.add_object(_d(Kids=_a(middle))))
    return _pdf(catalog=catalog)


def page_aa_javascript() -> bytes:
    """Page 2 of 2 runs JavaScript when opened (page ``/AA /O``)."""
    def page(w, number, d):
        if number == 2:
            d[N("/AA")] = _d(O=w.add_object(_js()))
    return _pdf(2, page=page)


def launch_action_link() -> bytes:
    """A link annotation on page 1 whose ``/A`` is a Launch action (``cmd.exe``)."""
    def page(w, number, d):
        launch = _d(Type=N("/Action"), S=N("/Launch"),
                    Win=_d(F=_s("cmd.exe"), P=_s("/c echo signsvc")), F=_s("cmd.exe"))
        link = _d(Type=N("/Annot"), Subtype=N("/Link"), Rect=_rect(72, 700, 300, 720),
                  Border=_rect(0, 0, 0), A=launch)
        d[N("/Annots")] = _a(w.add_object(link))
    return _pdf(page=page)


def rendition_javascript() -> bytes:
    """A screen annotation on page 1 whose ``/A`` is a Rendition action carrying ``/JS``
    (JavaScript without ``/S /JavaScript``)."""
    def page(w, number, d):
        rendition = _d(Type=N("/Action"), S=N("/Rendition"), OP=generic.NumberObject(0),
                       JS=_s("app.alert('rendition');"))
        screen = _d(Type=N("/Annot"), Subtype=N("/Screen"), Rect=_rect(72, 400, 272, 500), A=rendition)
        d[N("/Annots")] = _a(w.add_object(screen))
    return _pdf(page=page)


def chained_next_javascript() -> bytes:
    """``/OpenAction`` is a harmless GoTo whose ``/Next`` is an array: a URI action, then an
    action whose own ``/Next`` is a JavaScript action (JavaScript three steps down)."""
    def catalog(w, refs):
        uri = _d(S=N("/URI"), URI=_s("https://example.invalid/"), Next=w.add_object(_js()))
        w.root[N("/OpenAction")] = _d(S=N("/GoTo"), D=_a(refs[0], N("/Fit")),
                                      Next=_a(w.add_object(uri)))
    return _pdf(catalog=catalog)


def long_next_chain(length: int = 120) -> bytes:
    """``/OpenAction`` starts a chain of ``length`` GoTo actions linked by ``/Next``; only the
    last one is JavaScript (deeper than the tree depth limit)."""
    def catalog(w, refs):
        nxt = w.add_object(_js())
        for _ in range(length - 1):
            nxt = w.add_object(_d(S=N("/GoTo"), D=_a(refs[0], N("/Fit")), Next=nxt))
        w.root[N("/OpenAction")] = nxt
    return _pdf(catalog=catalog)


def embedded_file() -> bytes:
    """An attachment ``invoice.xml`` in the ``/Names /EmbeddedFiles`` name tree (one
    ``/Kids`` level)."""
    def catalog(w, refs):
        spec = _filespec(w, "invoice.xml", b"<invoice>42</invoice>")
        leaf = w.add_object(_d(Limits=_a(_s("invoice.xml"), _s("invoice.xml")),
                               Names=_a(_s("invoice.xml"), spec)))
        w.root[N("/Names")] = _d(EmbeddedFiles=w.add_object(_d(Kids=_a(leaf))))
    return _pdf(catalog=catalog)


def file_attachment_annotation() -> bytes:
    """A ``/FileAttachment`` annotation on page 1 holding ``payload.exe``."""
    def page(w, number, d):
        annot = _d(Type=N("/Annot"), Subtype=N("/FileAttachment"), Rect=_rect(72, 600, 92, 620),
                   Contents=_s("attachment"), Name=N("/PushPin"),
                   FS=_filespec(w, "payload.exe", b"MZ not really"))
        d[N("/Annots")] = _a(w.add_object(annot))
    return _pdf(page=page)


def xfa_form() -> bytes:
    """An AcroForm with an ``/XFA`` stream (a hybrid XFA form without fields)."""
    def catalog(w, refs):
        xdp = (b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template '
               b'xmlns="http://www.xfa.org/schema/xfa-template/3.3/"/></xdp:xdp>')
        w.root[N("/AcroForm")] = _d(Fields=_a(), XFA=w.add_object(generic.StreamObject(stream_data=xdp)))
    return _pdf(catalog=catalog)


def form_field_javascript() -> bytes:
    """A text field ``amount`` whose ``/AA /K`` (keystroke) is JavaScript; its widget (a kid
    without actions) is on page 1."""
    def catalog(w, refs):
        page = refs[0].get_object()
        field = w.add_object(_d(FT=N("/Tx"), T=_s("amount"), AA=_d(K=w.add_object(_js()))))
        widget = w.add_object(_d(Type=N("/Annot"), Subtype=N("/Widget"), Rect=_rect(72, 500, 272, 520),
                                 P=refs[0], Parent=field))
        field.get_object()[N("/Kids")] = _a(widget)
        page[N("/Annots")] = _a(widget)
        w.root[N("/AcroForm")] = _d(Fields=_a(field))
    return _pdf(catalog=catalog)


def outline_javascript() -> bytes:
    """A bookmark (second outline item) whose ``/A`` is JavaScript."""
    def catalog(w, refs):
        outlines = w.add_object(_d(Type=N("/Outlines")))
        second = w.add_object(_d(Title=_s("Run"), Parent=outlines, A=_js()))
        first = w.add_object(_d(Title=_s("Start"), Parent=outlines, Next=second,
                                Dest=_a(refs[0], N("/Fit"))))
        second.get_object()[N("/Prev")] = first
        outlines.get_object().update({N("/First"): first, N("/Last"): second,
                                      N("/Count"): generic.NumberObject(2)})
        w.root[N("/Outlines")] = outlines
    return _pdf(catalog=catalog)


def reference_cycles() -> bytes:
    """Cycles everywhere a walk could loop: the JavaScript ``/OpenAction`` -> GoTo -> back to
    itself via ``/Next``, a GoTo whose ``/Next`` is itself (page 1 ``/AA``), an EmbeddedFiles
    name tree whose leaf lists the root among its ``/Kids`` (one file ``loop.txt``), a
    signature field that is its own kid, and an outline item that is its own ``/Next``."""
    def catalog(w, refs):
        js = w.add_object(_js())
        goto = w.add_object(_d(S=N("/GoTo"), D=_a(refs[0], N("/Fit")), Next=js))
        js.get_object()[N("/Next")] = goto
        w.root[N("/OpenAction")] = js

        self_loop = w.add_object(_d(S=N("/GoTo"), D=_a(refs[0], N("/Fit"))))
        self_loop.get_object()[N("/Next")] = self_loop
        refs[0].get_object()[N("/AA")] = _d(O=self_loop)

        tree = w.add_object(_d())
        leaf = w.add_object(_d(Names=_a(_s("loop.txt"), _filespec(w, "loop.txt", b"loop")),
                               Kids=_a(tree)))
        tree.get_object()[N("/Kids")] = _a(leaf, tree)
        w.root[N("/Names")] = _d(EmbeddedFiles=tree)

        field = w.add_object(_d(FT=N("/Sig"), T=_s("Loop")))
        field.get_object()[N("/Kids")] = _a(field)
        w.root[N("/AcroForm")] = _d(Fields=_a(field))

        outlines = w.add_object(_d(Type=N("/Outlines")))
        item = w.add_object(_d(Title=_s("Loop"), Parent=outlines, Dest=_a(refs[0], N("/Fit"))))
        item.get_object()[N("/Next")] = item
        outlines.get_object().update({N("/First"): item, N("/Last"): item})
        w.root[N("/Outlines")] = outlines
    return _pdf(catalog=catalog)


def odd_structures() -> bytes:
    """Entries of the wrong type everywhere the inspection looks (a number as ``/OpenAction``
    and ``/Names /JavaScript``, a string as ``/AA``, a dictionary as ``/Annots``, an odd-length
    name array, non-dictionary ``/Kids``, references to objects that do not exist, an object
    that is a reference to itself as ``/Outlines``) -- and, to
    show the rest is still inspected, one JavaScript action in page 1's ``/AA``."""
    def catalog(w, refs):
        dangling = generic.IndirectObject(9999, 0, w)
        w.root[N("/OpenAction")] = generic.NumberObject(7)
        w.root[N("/AA")] = _s("not a dictionary")
        w.root[N("/Names")] = _d(JavaScript=generic.NumberObject(1),
                                 EmbeddedFiles=_d(Names=_a(_s("odd-one-out")), Kids=_a(
                                     generic.NumberObject(3), dangling, _s("kid"))))
        w.root[N("/AcroForm")] = _d(Fields=_d(T=_s("not an array")), XFA=generic.NullObject())
        itself = w.allocate_placeholder()
        w.add_object(itself, idnum=itself.idnum)
        w.root[N("/Outlines")] = itself
        page = refs[0].get_object()
        page[N("/Annots")] = _d(Subtype=N("/Link"))
        page[N("/AA")] = _d(O=w.add_object(_js()), C=dangling, X=_a(generic.NumberObject(1)))
    return _pdf(catalog=catalog)


def unsigned_signature_field() -> bytes:
    """A clean PDF with an empty signature field ``Signature1`` added by an incremental
    update (pyHanko's ``append_signature_field``)."""
    from pyhanko.sign import fields

    w = IncrementalPdfFileWriter(io.BytesIO(clean()), strict=True)
    fields.append_signature_field(w, fields.SigFieldSpec(SIGNATURE_FIELD, box=(72, 72, 272, 122)))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def signed_signature_field(key: Path = DEV_KEY, cert: Path = DEV_CERT) -> bytes:
    """A clean PDF signed (PAdES B-B) by the development software key in a new field
    ``Signature1``; the key and certificate come from the development PKI (``var/pki``)."""
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load(str(key), str(cert))
    w = IncrementalPdfFileWriter(io.BytesIO(clean()), strict=True)
    meta = signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD, subfilter=None)
    return signers.sign_pdf(w, meta, signer=signer).getvalue()


HOSTILE = {f.__name__: f for f in (
    open_action_javascript, names_javascript, page_aa_javascript, launch_action_link,
    rendition_javascript, chained_next_javascript, long_next_chain, embedded_file,
    file_attachment_annotation, xfa_form, form_field_javascript, outline_javascript,
    reference_cycles, odd_structures, unsigned_signature_field,
)}
"""Every builder that needs no key material, by name (``signed_signature_field`` needs one)."""
