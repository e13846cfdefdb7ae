"""The first screen of a verification report: the verdict, one reason per signature, what
to do next, and row words that never contradict the verdict (pure data, report JSON in).

Shared by the HTML pages and the PDF report so both say the same thing. Every ETSI EN
319 102-1 indication and sub-indication (the names of pyHanko's ``AdESPassed``,
``AdESFailure`` and ``AdESIndeterminate``, which are the ones the validator reports) has
words here; an unknown one is shown as it is, never hidden.
"""

from __future__ import annotations

from typing import Any

from signsvc.names import Indication, Verdict
from signsvc.reports import texts
from signsvc.times import parse_moment, shown

#: ETSI EN 319 102-1 main indication -> (short words vi, en) and the badge's colour class
INDICATIONS: dict[str, tuple[str, str, str]] = {
    "TOTAL-PASSED": ("Đạt", "Passed", "ok"),
    "TOTAL-FAILED": ("Không đạt", "Failed", "bad"),
    "INDETERMINATE": ("Chưa xác định", "Indeterminate", "unknown"),
    "PASSED": ("Đạt", "Passed", "ok"),
}

#: ETSI EN 319 102-1 sub-indications in words a non-technical reader understands
SUB_INDICATIONS: dict[str, tuple[str, str]] = {
    # TOTAL-FAILED
    "FORMAT_FAILURE": ("dữ liệu chữ ký hoặc cấu trúc tệp không hợp lệ, hoặc tài liệu bị thay đổi "
                       "sau khi ký theo cách không được phép",
                       "the signature data or file structure is invalid, or the document was "
                       "changed after signing in a way that is not permitted"),
    "HASH_FAILURE": ("nội dung đã ký bị thay đổi", "the signed content was altered"),
    "SIG_CRYPTO_FAILURE": ("giá trị chữ ký không đúng về mặt mật mã",
                           "the signature value is cryptographically wrong"),
    "REVOKED": ("chứng thư số đã bị thu hồi trước thời điểm ký",
                "the certificate was revoked before the signing time"),
    "NOT_YET_VALID": ("chứng thư số chưa có hiệu lực tại thời điểm ký",
                      "the certificate was not yet valid at the signing time"),
    # INDETERMINATE
    "SIG_CONSTRAINTS_FAILURE": ("chữ ký không đáp ứng điều kiện kiểm tra (ví dụ dấu thời gian "
                                "không hợp lệ hoặc chưa tin cậy)",
                                "the signature does not meet a validation condition (e.g. an "
                                "invalid or untrusted timestamp)"),
    "CHAIN_CONSTRAINTS_FAILURE": ("chuỗi chứng thư số không thỏa mãn ràng buộc hoặc chứng thư "
                                  "không được phép dùng để ký",
                                  "the certificate chain violates a constraint or the "
                                  "certificate may not be used for signing"),
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": ("không xác thực được chuỗi chứng thư số",
                                          "the certificate chain could not be validated"),
    "CRYPTO_CONSTRAINTS_FAILURE": ("thuật toán hoặc độ dài khóa không còn được chấp nhận",
                                   "an algorithm or key size is no longer accepted"),
    "EXPIRED": ("chứng thư số đã hết hạn", "the certificate has expired"),
    "POLICY_PROCESSING_ERROR": ("không xử lý được chính sách chữ ký",
                                "the signature policy could not be processed"),
    "SIGNATURE_POLICY_NOT_AVAILABLE": ("không có chính sách chữ ký mà chữ ký yêu cầu",
                                       "the signature policy it names is not available"),
    "TIMESTAMP_ORDER_FAILURE": ("thứ tự các dấu thời gian không hợp lệ",
                                "the timestamps are not in a valid order"),
    "NO_SIGNING_CERTIFICATE_FOUND": ("không tìm thấy chứng thư số của người ký",
                                     "the signer's certificate was not found"),
    "NO_CERTIFICATE_CHAIN_FOUND": ("chứng thư số không do tổ chức cấp (CA) được tin cậy cấp",
                                   "the certificate was not issued by a trusted CA"),
    "REVOKED_NO_POE": ("chứng thư số đã bị thu hồi và không có dấu thời gian chứng minh chữ ký "
                       "có trước đó",
                       "the certificate was revoked and no timestamp proves the signature "
                       "came earlier"),
    "REVOKED_CA_NO_POE": ("chứng thư của tổ chức cấp (CA) trong chuỗi đã bị thu hồi",
                          "a CA certificate in the chain was revoked"),
    "OUT_OF_BOUNDS_NO_POE": ("chứng thư số hết hạn hoặc chưa có hiệu lực và không có bằng "
                             "chứng về thời điểm ký",
                             "the certificate is outside its validity and there is no proof "
                             "of the signing time"),
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": ("dữ liệu thu hồi ngoài thời hạn của chứng thư và không "
                                        "có bằng chứng về thời điểm ký",
                                        "the revocation data is outside the certificate's "
                                        "validity and there is no proof of the signing time"),
    "OUT_OF_BOUNDS_NOT_REVOKED": ("chứng thư số đã hết hạn (không bị thu hồi) và không có bằng "
                                  "chứng chữ ký có trước khi hết hạn",
                                  "the certificate has expired (not revoked) and nothing proves "
                                  "the signature came earlier"),
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": ("thuật toán không còn được chấp nhận và không có bằng "
                                          "chứng chữ ký có trước đó",
                                          "an algorithm is no longer accepted and nothing proves "
                                          "the signature came earlier"),
    "NO_POE": ("không có bằng chứng chữ ký tồn tại trước thời điểm cần thiết",
               "there is no proof that the signature existed in time"),
    "TRY_LATER": ("chưa kiểm tra được trạng thái thu hồi của chứng thư số",
                  "the certificate's revocation status could not be checked yet"),
    "SIGNED_DATA_NOT_FOUND": ("không tìm thấy dữ liệu được ký", "the signed data was not found"),
    "GENERIC": ("không xác định được vì lý do khác (xem nhận xét)",
                "undetermined for another reason (see the findings)"),
}

#: what to do next, by document verdict
NEXT_STEPS: dict[str, tuple[tuple[str, str], ...]] = {
    "valid": (("Có thể sử dụng văn bản.", "The document may be used."),
              ("Lưu báo cáo PDF vào hồ sơ.", "File the PDF report with the case.")),
    "valid_modified_after": (
        ("Chỉ dựa vào phần nội dung đã ký: phần thêm sau khi ký (chú thích, dữ liệu nối thêm) "
         "không được chữ ký bảo đảm.",
         "Rely only on the signed content: what was added after signing (annotations, appended "
         "data) is not covered by the signatures."),
        ("Xem mục «Các phiên bản của tài liệu» để biết đã thêm gì.",
         "See \"Revisions of the document\" for what was added."),
        ("Lưu báo cáo PDF vào hồ sơ.", "File the PDF report with the case.")),
    "invalid": (("Không sử dụng văn bản.", "Do not use the document."),
                ("Liên hệ cơ quan ban hành để nhận bản đúng.",
                 "Contact the issuing agency for a correct copy."),
                ("Lưu báo cáo PDF vào hồ sơ.", "File the PDF report with the case.")),
    "indeterminate": (("Chưa sử dụng văn bản cho đến khi xác định được.",
                       "Do not use the document until it can be determined."),
                      ("Kiểm tra lại sau; nếu vẫn chưa xác định được, liên hệ cơ quan ban hành.",
                       "Verify again later; if still undetermined, contact the issuing agency."),
                      ("Lưu báo cáo PDF vào hồ sơ.", "File the PDF report with the case.")),
    "unsigned": (("Văn bản không có chữ ký số: không coi là văn bản điện tử đã ký.",
                  "The document has no digital signature: do not treat it as a signed "
                  "electronic document."),
                 ("Yêu cầu cơ quan ban hành gửi bản đã ký số.",
                  "Ask the issuing agency for the digitally signed copy."),
                 ("Lưu báo cáo PDF vào hồ sơ.", "File the PDF report with the case.")),
}

_WORDS: dict[str, tuple[str, str]] = {
    "why": ("Lý do", "Why"),
    "next": ("Cần làm gì", "What to do next"),
    "summary": ("Các chữ ký", "The signatures"),
    "time": ("Thời điểm ký", "Signed at"),
    "result": ("Kết quả", "Result"),
    "claimed": ("người ký tự khai", "claimed by the signer"),
    "details": ("Chi tiết kỹ thuật", "Technical details"),
    "doc_ts": ("Dấu thời gian tài liệu", "Document timestamp"),
    "passed": ("chữ ký hợp lệ", "the signature is valid"),
    "intact_no": ("không — nội dung đã ký bị thay đổi sau khi ký",
                  "no — the signed content was altered after signing"),
    "match_no_hash": ("không — nội dung đã ký bị thay đổi nên không còn khớp với chữ ký",
                      "no — the signed content was altered, so it no longer matches"),
    "match_no": ("không — giá trị chữ ký không đúng", "no — the signature value is wrong"),
    "trust_but": ("có, nhưng chữ ký không được chấp nhận: {why}",
                  "yes, but the signature is not accepted: {why}"),
    "trust_no": ("không — chuỗi chứng thư không tới được chứng thư gốc tin cậy nào",
                 "no — the chain does not reach any trust anchor"),
    "mods_hash": ("có — chính nội dung đã ký bị sửa (không qua một lần lưu thêm)",
                  "yes — the signed content itself was edited (not in a later save)"),
}
_MODIFICATION_CLASS = {"none": "ok", "form_filling": "ok", "annotations": "warn", "other": "bad"}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def word(key: str, lang: str) -> str:
    """A first-screen label (``why``, ``next``, ``summary``, ``time``, ``result``, ``details``)."""
    return _pick(_WORDS[key], lang)


def indication_words(indication: Any, lang: str) -> tuple[str, str]:
    """``indication`` in short words and its badge colour class (``unknown`` when not known)."""
    found = INDICATIONS.get(str(indication))
    if found is None:
        return str(indication), "unknown"
    return _pick((found[0], found[1]), lang), found[2]


def sub_indication_words(sub: Any, lang: str) -> str:
    """A sub-indication in words; ``""`` for none, the code itself when unknown."""
    if not sub:
        return ""
    pair = SUB_INDICATIONS.get(str(sub))
    return _pick(pair, lang) if pair else str(sub)


def when(stored: Any) -> str:
    """A time from the report as people read it (``signsvc.times.shown``: ``dd/mm/yyyy
    HH:mm:ss`` in Vietnam time); anything unreadable as it is, None as ``""``."""
    return shown(stored)


def _own_times(item: dict) -> list[str]:
    """The times of ``item`` (a signature or document timestamp of the report) that the
    validator writes into its sentences: the revocation time, the timestamp's time, the
    claimed signing time (each exactly as the report states it, ISO 8601)."""
    ts = item.get("timestamp")
    found = [item.get("revocation_time"), ts.get("time") if isinstance(ts, dict) else None,
             item.get("time"), item.get("signing_time")]
    return [str(t) for t in found if t and parse_moment(t) is not None]


def signature_messages(item: dict, lang: str) -> list[str]:
    """The validator's sentences about ``item`` (a signature or a document timestamp) in
    ``lang``, each time in them that is one of the item's own times (revocation, timestamp,
    signing time) written as people read it (``when``) instead of the report's ISO 8601."""
    found = texts.messages(item.get("messages"), lang)
    times = _own_times(item)
    if not times:
        return found
    shown_messages = []
    for sentence in found:
        for stored in times:
            sentence = sentence.replace(stored, when(stored))
        shown_messages.append(sentence)
    return shown_messages


def _sentence(item: dict, lang: str) -> str:
    found = signature_messages(item, lang)
    if found:
        return found[0]  # the validator's conclusion comes first (signsvc.validation.decision)
    sub = sub_indication_words(item.get("sub_indication"), lang)
    if item.get("indication") == Indication.TOTAL_PASSED or not sub:
        return _pick(_WORDS["passed"], lang).capitalize() + "."
    return sub[0].upper() + sub[1:] + "."


def _signature_line(n: int, sig: dict, lang: str) -> dict:
    signer = sig.get("signer") or {}
    ts = sig.get("timestamp") if isinstance(sig.get("timestamp"), dict) else None
    if ts and ts.get("valid") and ts.get("time"):
        time, claimed = when(ts.get("time")), False
    else:
        time, claimed = when(sig.get("signing_time")), bool(sig.get("signing_time"))
    words, badge = indication_words(sig.get("indication"), lang)
    return {"n": n, "field": str(sig.get("field") or ""),
            "signer": str(signer.get("common_name") or signer.get("subject") or "—"),
            "time": time, "claimed": claimed, "level": str(sig.get("level") or "—"),
            "indication": str(sig.get("indication") or ""), "indication_words": words,
            "badge": badge, "sub_indication": str(sig.get("sub_indication") or ""),
            "sub_words": sub_indication_words(sig.get("sub_indication"), lang),
            "sentence": _sentence(sig, lang)}


def first_screen(report: dict, lang: str) -> dict:
    """What the first screen of ``report`` states, in ``lang``.

    Guarantees: ``lines`` has one entry per signature (in the report's order) and one per
    document timestamp that did not pass, each with the signer, the time (the valid
    timestamp's, else the claimed time, flagged ``claimed``), the level, the indication in
    words with its badge class, the sub-indication code and words, and one specific
    ``sentence`` (the validator's conclusion for it); ``findings`` holds the document-level
    findings after the generic verdict sentence; ``next_steps`` what to do for the verdict.
    """
    verdict = str(report.get("verdict"))
    sigs = [s for s in report.get("signatures") or [] if isinstance(s, dict)]
    lines = [_signature_line(n, s, lang) for n, s in enumerate(sigs, start=1)]
    for ts in report.get("document_timestamps") or []:
        if isinstance(ts, dict) and ts.get("indication") not in (None, Indication.TOTAL_PASSED):
            line = _signature_line(len(lines) + 1, {**ts, "timestamp": None,
                                                    "signing_time": ts.get("time"),
                                                    "signer": {"common_name": ts.get("tsa")},
                                                    "level": _pick(_WORDS["doc_ts"], lang)}, lang)
            line["claimed"] = False
            lines.append(line)
    findings = texts.messages(report.get("messages"), lang)[1:]  # [0] restates the verdict
    steps = NEXT_STEPS.get(verdict, NEXT_STEPS[Verdict.INDETERMINATE])
    colour = texts.verdict_colour(verdict)[0]
    return {"verdict": verdict, "verdict_words": texts.value("verdict", verdict, lang),
            "colour": colour, "lines": lines, "findings": findings,
            "next_steps": [_pick(s, lang) for s in steps]}


def signature_rows(sig: dict, lang: str) -> dict[str, tuple[str, str]]:
    """The integrity, signature-match, trust, indication and modification rows of one
    signature as ``(words, colour class)``, worded so that none contradicts the indication:
    when the signed content was altered no row says the signature is correct or that
    nothing changed, and a chain that reaches a trust anchor is never called untrusted without
    the reason the signature was refused."""
    intact = sig.get("intact") is True
    sub = sub_indication_words(sig.get("sub_indication"), lang)
    yes, no = texts.label("yes", lang), texts.label("no", lang)
    rows: dict[str, tuple[str, str]] = {}
    rows["intact"] = (yes, "ok") if intact else (_pick(_WORDS["intact_no"], lang), "bad")
    if not intact:
        rows["crypto_valid"] = (_pick(_WORDS["match_no_hash"], lang), "bad")
    elif sig.get("valid") is True:
        rows["crypto_valid"] = (yes, "ok")
    else:
        rows["crypto_valid"] = (_pick(_WORDS["match_no"], lang), "bad")
    has_chain = isinstance(sig.get("chain"), list) and bool(sig.get("chain"))
    reaches = sig.get("chain_ends_at_anchor") is True if has_chain else sig.get("trusted") is True
    if sig.get("trusted") is True:
        rows["trusted"] = (yes, "ok")
    elif reaches:
        why = sub or (_pick(_WORDS["intact_no"], lang) if not intact else no)
        rows["trusted"] = (_pick(_WORDS["trust_but"], lang).format(why=why), "warn")
    else:
        rows["trusted"] = (_pick(_WORDS["trust_no"], lang), "bad")
    words, badge = indication_words(sig.get("indication"), lang)
    code = str(sig.get("indication") or "?")
    indication = f"{words} ({code})"
    if sig.get("sub_indication"):
        indication += f" — {sub} ({sig['sub_indication']})"
    rows["indication"] = (indication, badge)
    mods = str(sig.get("modifications") or "none")
    if not intact:
        rows["modifications"] = (_pick(_WORDS["mods_hash"], lang), "bad")
    else:
        rows["modifications"] = (texts.value("modifications", mods, lang),
                                 _MODIFICATION_CLASS.get(mods, "unknown"))
    return rows
