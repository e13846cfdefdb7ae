"""The revision view of the validation report (issue 5, "Revision view"): which byte range
and revision each signature and document timestamp covers, and what each later revision
added, read from real multi-revision PDFs sent through ``POST /v1/verify``.

The documents: an unsigned form (one page, an empty text field ``amount``) signed with
the development software key, then changed in one incremental update each (a page, a
sticky note, the field filled), signed again with the agency seal's token key and
extended to B-LTA by the service (DSS, then a document timestamp). Every byte range is
compared with the ``/ByteRange`` written in the file, and every revision's end and hash
with the bytes themselves.
"""

from __future__ import annotations

import hashlib
import re
import time

import pytest

from tests.support import attack_pdfs as A
from tests.support.tools import pdfsig

HDR = {"Content-Type": "application/pdf"}
_BYTE_RANGES = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def verify(api, data: bytes) -> dict:
    resp = api.client.post("/v1/verify", data=data, headers=api.headers("auditor", **HDR))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_json()


def file_byte_ranges(data: bytes) -> set[tuple[int, ...]]:
    """Every ``/ByteRange`` array written in the file."""
    return {tuple(int(x) for x in m.groups()) for m in _BYTE_RANGES.finditer(data)}


def assert_revisions_match_file(report: dict, data: bytes) -> None:
    """Numbers 1..N, ends increasing to the file's length, each hash over the prefix, and
    each signature's range as in the file, ending where its revision ends."""
    revs = report["revisions"]
    assert [r["number"] for r in revs] == list(range(1, report["document"]["revisions"] + 1))
    ends = [r["end_offset"] for r in revs]
    assert ends == sorted(ends) and ends[-1] == len(data)
    for r in revs:
        assert r["sha256"] == hashlib.sha256(data[:r["end_offset"]]).hexdigest()
        assert data[:r["end_offset"]].rstrip().endswith(b"%%EOF")
    ranges = file_byte_ranges(data)
    for sig in report["signatures"] + report["document_timestamps"]:
        assert tuple(sig["byte_range"]) in ranges
        start1, _len1, start2, len2 = sig["byte_range"]
        assert start1 == 0 and start2 + len2 == revs[sig["revision"] - 1]["end_offset"]
        kind = "signatures" if sig in report["signatures"] else "document_timestamps"
        assert sig["field"] in revs[sig["revision"] - 1][kind]


@pytest.fixture(scope="module")
def form():
    return A.base_pdf(amount="")


@pytest.fixture(scope="module")
def signed(form, dev_pki):
    return A.sign(form.data)


def test_signed_form_has_two_revisions(api, form, signed):
    """Revision 1 is exactly the unsigned file; revision 2 is the signature, and nothing else."""
    report = verify(api, signed)
    assert report["verdict"] == "valid"
    assert_revisions_match_file(report, signed)
    first, second = report["revisions"]
    assert first["end_offset"] == len(form.data)
    assert first["sha256"] == hashlib.sha256(form.data).hexdigest()
    assert first["added"]["pages"] == 1 and first["added"]["page_count"] == 1
    assert first["added"]["fields"] == ["amount"]
    assert first["added"]["annotations"] == [{"page": 1, "subtype": "Widget", "field": "amount"}]
    assert first["signatures"] == [] and first["summary"]["vi"].startswith("Bản gốc: 1 trang")
    (sig,) = report["signatures"]
    assert sig["revision"] == 2 and sig["byte_range"][1] + sig["byte_range"][3] < len(signed)
    assert second["signatures"] == [A.FIELD] and second["document_timestamps"] == []
    assert second["added"] == {**second["added"], "pages": 0, "content_streams": 0, "dss": False,
                               "fields": [A.FIELD], "other_objects": 0,
                               "annotations": [{"page": 1, "subtype": "Widget", "field": A.FIELD}]}
    assert second["summary"] == {"vi": f"Phiên bản 2: ký số vào trường {A.FIELD}.",
                                 "en": f"Revision 2: signed in field {A.FIELD}."}


def test_page_added_after_signing(api, signed):
    """ISA: the page added in revision 3 is named there; the signature still covers revision 2."""
    data = A.isa_new_page(signed)
    report = verify(api, data)
    assert report["verdict"] != "valid"
    assert_revisions_match_file(report, data)
    assert report["signatures"][0]["revision"] == 2
    third = report["revisions"][2]
    assert third["signatures"] == [] and third["analysed"] is True
    assert third["added"]["pages"] == 1 and third["added"]["page_count"] == 2
    assert third["added"]["content_streams"] == 1 and third["added"]["annotations"] == []
    assert "thêm 1 trang" in third["summary"]["vi"] and "added 1 page" in third["summary"]["en"]


def test_annotation_added_after_signing(api, signed):
    data = A.evil_annotation(signed, "/Text")
    report = verify(api, data)
    assert report["verdict"] == "valid_modified_after"
    assert_revisions_match_file(report, data)
    third = report["revisions"][2]
    assert third["added"]["annotations"] == [{"page": 1, "subtype": "Text", "field": None}]
    assert third["added"]["pages"] == 0 and third["added"]["fields"] == []
    assert third["summary"]["en"] == "Revision 3: added 1 annotation (Text on page 1)."
    assert third["summary"]["vi"] == "Phiên bản 3: thêm 1 chú thích (Text trên trang 1)."


def test_field_filled_then_signed_again_then_lta(api, form, signed, responders, dev_pki, tmp_path):
    """Fill ``amount`` (rev 3), sign with the agency seal (rev 4), extend to B-LTA (DSS,
    then the document timestamp): every revision says what it did."""
    filled = A.shadow_replace_field(signed, form)
    resp = api.client.post("/v1/sign", query_string={"key": "agency-seal", "level": "B-T",
                                                     "field": "Seal", "eservice": "copy"},
                           data=filled, headers=api.headers("portal", **HDR))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    resp = api.client.post("/v1/extend", query_string={"level": "B-LTA"}, data=resp.data,
                           headers=api.headers("portal", **HDR))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    data = resp.data
    report = verify(api, data)
    assert report["verdict"] == "valid", report["messages"]
    assert_revisions_match_file(report, data)
    revs = report["revisions"]
    assert revs[2]["added"]["fields"] == ["amount"] and revs[2]["signatures"] == []
    assert "amount" in revs[2]["summary"]["en"] and "điền" in revs[2]["summary"]["vi"]
    by_field = {s["field"]: s for s in report["signatures"]}
    assert by_field[A.FIELD]["revision"] == 2 and by_field["Seal"]["revision"] == 4
    assert revs[3]["signatures"] == ["Seal"] and "Seal" in revs[3]["added"]["fields"]
    stamps = report["document_timestamps"]
    assert stamps and stamps[-1]["revision"] == len(revs)
    assert revs[-1]["document_timestamps"] == [stamps[-1]["field"]]
    assert [r["number"] for r in revs if r["document_timestamps"]] == [t["revision"] for t in stamps]
    dss_revs = [r["number"] for r in revs if r["added"]["dss"]]
    assert dss_revs and all(4 < n < len(revs) for n in dss_revs)
    assert "DSS" in revs[dss_revs[0] - 1]["summary"]["en"]
    for r in revs[4:]:   # after the seal: only DSS and the timestamps' own (invisible) widgets
        assert r["added"]["pages"] == 0 and r["added"]["content_streams"] == 0
        assert r["added"]["annotations"] == [{"page": 1, "subtype": "Widget", "field": f}
                                             for f in r["document_timestamps"]]
    assert "dấu thời gian tài liệu" in revs[-1]["summary"]["vi"]
    path = tmp_path / "lta.pdf"
    path.write_bytes(data)
    found = pdfsig(path, dev_pki.nssdb)   # poppler agrees the two signatures are valid
    assert len(found) >= 2 and all(s.signature_valid for s in found[:2]), [s.raw for s in found]


def test_many_revisions_are_capped(api, signed):
    """Hostile: 130 incremental updates after the signature (each rewrites the document
    information dictionary, a permitted change). The report lists every revision,
    analyses the first 100 and says so for the rest, in bounded time."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    info = PdfFileReader(io.BytesIO(signed), strict=False).trailer.raw_get("/Info").idnum
    data = signed
    for i in range(130):
        data = A._raw_update(data, {info: b"<< /Producer (update %d) >>" % i})
    started = time.monotonic()
    report = verify(api, data)
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"{elapsed:.1f} s"
    revs = report["revisions"]
    assert len(revs) == 132 and revs[-1]["end_offset"] == len(data)
    assert all(r["analysed"] for r in revs[:100]) and not any(r["analysed"] for r in revs[100:])
    assert "100" in revs[100]["summary"]["en"] and "not analysed" in revs[100]["summary"]["en"]
    assert "không phân tích" in revs[131]["summary"]["vi"]
    assert revs[50]["added"]["other_objects"] == 0 and revs[1]["signatures"] == [A.FIELD]


@pytest.mark.parametrize("name", ["deep-nesting", "xref-loop", "bomb-as-content"])
def test_hostile_updates_give_a_report_or_problem(api, signed, name):
    builder = {"deep-nesting": A.signed_deep_nesting, "xref-loop": A.signed_xref_loop,
               "bomb-as-content": A.signed_bomb_as_content}[name]
    data = builder(signed)
    started = time.monotonic()
    resp = api.client.post("/v1/verify", data=data, headers=api.headers("auditor", **HDR))
    assert time.monotonic() - started < 30
    assert resp.status_code in (200, 422), resp.status_code
    if resp.status_code == 200:
        report = resp.get_json()
        assert report["verdict"] != "valid"
        assert len(report["revisions"]) == report["document"]["revisions"]
        assert report["signatures"][0]["revision"] == 2


def test_content_stream_redefined_in_place(api, signed):
    """Shadow hide-and-replace of one object: page 1 is not rewritten, only its content
    stream, under the same object number; the revision view still names the change."""
    data = A.shadow_object_replaced(signed)
    report = verify(api, data)
    assert report["verdict"] != "valid"
    assert_revisions_match_file(report, data)
    third = report["revisions"][2]
    assert third["added"]["content_streams"] == 1 and third["added"]["pages"] == 0
    assert third["added"]["other_objects"] == 0
    assert third["summary"]["en"] == "Revision 3: added or replaced 1 page content stream."
