"""Revision view pieces that need no signature: the agreed JSON shape, the sentences, the
prefix hashes, and where each revision ends in real files written by pyHanko."""

from __future__ import annotations

import hashlib
import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signsvc.validation.pdfread import open_pdf
from signsvc.validation.report import AddedAnnotation, RevisionAdded, RevisionReport
from signsvc.validation.revisions import summary as revision_summary
from signsvc.validation.revisions.ranges import prefix_hashes as _prefix_hashes
from signsvc.validation.revisions.ranges import revision_ends
from signsvc.validation.revisions.view import revision_view
from tests.support.pdfs import make_pdf

N = generic.NameObject


def test_agreed_shape():
    added = RevisionAdded(pages=0, annotations=(AddedAnnotation(1, "Widget", "Sig1"),),
                          fields=("Sig1",), content_streams=0, dss=False, other_objects=3)
    body = RevisionReport(number=2, end_offset=12345, sha256="ab" * 32, signatures=("Sig1",),
                          document_timestamps=(), added=added, summary_vi="Phiên bản 2.",
                          summary_en="Revision 2.").as_dict()
    assert {k: body[k] for k in ("number", "end_offset", "sha256", "signatures", "document_timestamps")} == {
        "number": 2, "end_offset": 12345, "sha256": "ab" * 32, "signatures": ["Sig1"],
        "document_timestamps": []}
    assert body["summary"] == {"vi": "Phiên bản 2.", "en": "Revision 2."}
    assert {k: body["added"][k] for k in ("pages", "annotations", "fields", "content_streams", "dss",
                                          "other_objects")} == {
        "pages": 0, "annotations": [{"page": 1, "subtype": "Widget", "field": "Sig1"}],
        "fields": ["Sig1"], "content_streams": 0, "dss": False, "other_objects": 3}


def test_openapi_documents_every_key():
    from signsvc.web.openapi import openapi_document

    schemas = openapi_document()["components"]["schemas"]
    body = RevisionReport(number=1, end_offset=1, sha256="", signatures=(), document_timestamps=(),
                          added=RevisionAdded(), summary_vi="", summary_en="").as_dict()
    assert set(body) == set(schemas["Revision"]["properties"])
    assert set(body["added"]) == set(schemas["Revision"]["properties"]["added"]["properties"])
    sig_props = schemas["ValidationReport"]["properties"]["signatures"]["items"]["properties"]
    assert {"revision", "byte_range"} <= set(sig_props)


def test_sentences():
    m = revision_summary.summarise(3, RevisionAdded(pages=2, content_streams=2, other_objects=1,
                                                    annotations=(AddedAnnotation(2, "FreeText", None),)),
                                   signatures=[], timestamps=[])
    assert m.vi == ("Phiên bản 3: thêm 2 trang; thêm 1 chú thích (FreeText trên trang 2); "
                    "thêm hoặc thay 2 luồng nội dung trang; ghi 1 đối tượng khác.")
    assert m.en == ("Revision 3: added 2 pages; added 1 annotation (FreeText on page 2); "
                    "added or replaced 2 page content streams; wrote 1 other object.")
    nothing = revision_summary.summarise(2, RevisionAdded(), signatures=[], timestamps=[])
    assert nothing.en == "Revision 2: changed no object."
    capped = revision_summary.summarise(101, None, signatures=["S"], timestamps=[],
                                        not_analysed="revisions", max_revisions=100)
    assert capped.vi.startswith("Phiên bản 101: ký số vào trường S; không phân tích")
    assert "only the first 100 are analysed" in capped.en
    many = revision_summary.summarise(2, RevisionAdded(fields=tuple(f"f{i}" for i in range(40))),
                                      signatures=[], timestamps=[])
    assert many.en == "Revision 2: added, filled or changed form fields f0, f1, f2, f3, f4, …."


def test_prefix_hashes():
    data = bytes(range(256)) * 10
    assert _prefix_hashes(data, [10, 100, 2560]) == [hashlib.sha256(data[:n]).hexdigest()
                                                     for n in (10, 100, 2560)]


def test_ends_and_added_objects_of_an_unsigned_update():
    """A plain incremental update (one page added by pyHanko's writer): revision 1 is the
    original file byte for byte; revision 2 adds one page and its content stream."""
    original = make_pdf(pages=2)
    w = IncrementalPdfFileWriter(io.BytesIO(original), strict=True)
    w.insert_page(generic.DictionaryObject({
        N("/Type"): N("/Page"), N("/MediaBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
        N("/Contents"): w.add_object(generic.StreamObject(stream_data=b"BT ET"))}))
    out = io.BytesIO()
    w.write(out)
    data = out.getvalue()
    reader = open_pdf(data)
    assert revision_ends(reader, data) == [len(original), len(data)]
    first, second = revision_view(reader, data, [])
    assert first.sha256 == hashlib.sha256(original).hexdigest()
    assert first.added.pages == 2 and first.added.content_streams == 2
    assert second.added.pages == 1 and second.added.page_count == 3
    assert second.added.content_streams == 1 and second.added.other_objects == 0
    assert second.summary_en == "Revision 2: added 1 page; added or replaced 1 page content stream."


def test_time_budget_spent_lists_revisions_without_detail():
    data = make_pdf(pages=1)
    reader = open_pdf(data)
    (only,) = revision_view(reader, data, [], time_budget=-1)
    assert not only.analysed and only.added == RevisionAdded() and only.end_offset == len(data)
    assert only.summary_en == ("Original document: changes not analysed (the time allowed for the "
                               "analysis ran out).")
    assert only.summary_vi.startswith("Bản gốc: không phân tích nội dung thay đổi")
