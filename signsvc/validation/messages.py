"""The message catalogue of the validation report: one sentence per finding.

Vietnamese (with its diacritics) first, English second. ``text(key, **params)`` fills in
the placeholders; an unknown key or a missing parameter is a programming error (KeyError).
"""

from __future__ import annotations

from signsvc.errors import Message

CATALOGUE: dict[str, tuple[str, str]] = {
    # --- the signature as a whole
    "passed": ("Chữ ký hợp lệ, tài liệu còn nguyên vẹn.",
               "The signature is valid and the document is intact."),
    "signature_ok": ("Bản thân chữ ký hợp lệ.",
                     "The signature itself is valid."),
    "hash_failure": ("Nội dung đã ký bị thay đổi: giá trị băm không còn khớp với chữ ký.",
                     "The signed content was altered: its digest no longer matches the signature."),
    "crypto_failure": ("Giá trị chữ ký không đúng về mặt mật mã.",
                       "The signature value is cryptographically invalid."),
    "format_failure": ("Dữ liệu chữ ký bị hỏng, không đọc được ({reason}).",
                       "The signature data is damaged and cannot be read ({reason})."),
    "unsupported_subfilter": ("Định dạng chữ ký {subfilter} không được hỗ trợ nên không kiểm tra được.",
                              "The signature format {subfilter} is not supported, so it cannot be checked."),
    "unsupported_algorithm": ("Thuật toán {algorithm} không được hỗ trợ nên không kiểm tra được chữ ký.",
                              "The algorithm {algorithm} is not supported, so the signature cannot be checked."),
    # --- signatures from other software (RSA-PSS parameters, legacy subfilters)
    "pss_unreadable": ("Tham số RSA-PSS của chữ ký không đọc được nên không kiểm tra được chữ ký.",
                       "The RSA-PSS parameters of the signature cannot be read, so the signature cannot be checked."),
    "pss_hash_mismatch": ("Tham số RSA-PSS không nhất quán: thuật toán băm của PSS ({pss}) khác thuật toán băm của chữ ký ({digest}); không kiểm tra được chữ ký.",
                          "Inconsistent RSA-PSS parameters: the PSS hash ({pss}) differs from the signature's digest algorithm ({digest}); the signature cannot be checked."),
    "pss_mgf_mismatch": ("Tham số RSA-PSS không nhất quán: hàm MGF1 dùng {mgf} thay vì {pss}; không kiểm tra được chữ ký.",
                         "Inconsistent RSA-PSS parameters: MGF1 uses {mgf} instead of {pss}; the signature cannot be checked."),
    "pss_trailer": ("Tham số RSA-PSS không nhất quán: trường kết thúc (trailer field) là {trailer}, phải là 1; không kiểm tra được chữ ký.",
                    "Inconsistent RSA-PSS parameters: the trailer field is {trailer}, it must be 1; the signature cannot be checked."),
    "pss_salt_impossible": ("Tham số RSA-PSS không nhất quán: độ dài salt {salt} byte không thể dùng với khóa RSA {bits} bit; không kiểm tra được chữ ký.",
                            "Inconsistent RSA-PSS parameters: a salt of {salt} bytes is impossible with a {bits}-bit RSA key; the signature cannot be checked."),
    "pss_salt_mismatch": ("Tham số RSA-PSS không khớp với giá trị chữ ký: chữ ký khai báo salt {declared} byte nhưng được tạo với salt {used} byte; nội dung không bị thay đổi nhưng chữ ký không tuân thủ tham số của chính nó.",
                          "The RSA-PSS parameters do not match the signature value: it declares a salt of {declared} bytes but was made with {used} bytes; the content is unchanged but the signature does not follow its own parameters."),
    "signed_attrs_not_der": ("Các thuộc tính được ký không được mã hóa DER (RFC 5652, 5.4): theo mã hóa DER mà chuẩn yêu cầu, giá trị chữ ký không khớp.",
                             "The signed attributes are not DER-encoded (RFC 5652, 5.4): over the DER encoding the standard requires, the signature value does not match."),
    "several_signer_infos": ("Chữ ký CMS chứa nhiều hơn một SignerInfo trong khi ISO 32000-2 (12.8.3.3) chỉ cho phép một; không xác định được chữ ký nào là chữ ký của tài liệu.",
                             "The CMS signature holds more than one SignerInfo where ISO 32000-2 (12.8.3.3) allows only one; which one signs the document cannot be decided."),
    "legacy_subfilter": ("Chữ ký dùng định dạng cũ {subfilter}.",
                         "The signature uses the legacy format {subfilter}."),
    "processing_error": ("Không kiểm tra được chữ ký do lỗi khi xử lý ({reason}).",
                         "The signature could not be checked because processing failed ({reason})."),
    "no_signing_certificate": ("Không tìm thấy chứng thư số của người ký trong chữ ký.",
                               "The signer's certificate was not found in the signature."),
    # --- trust
    "untrusted": ("Chứng thư số của người ký được cấp bởi CA chưa tin cậy.",
                  "The signer's certificate does not chain to a trusted CA."),
    "chain_constraints": ("Chứng thư số không thỏa mãn ràng buộc của chuỗi chứng thư hoặc không được phép dùng để ký.",
                          "The certificate violates a chain constraint or is not allowed for signing."),
    "chain_failure": ("Không xác thực được chuỗi chứng thư số của người ký.",
                      "The signer's certificate chain could not be validated."),
    "expired": ("Chứng thư số đã hết hạn tại thời điểm ký.",
                "The certificate had expired at the signing time."),
    "not_yet_valid": ("Chứng thư số chưa có hiệu lực tại thời điểm ký.",
                      "The certificate was not yet valid at the signing time."),
    "crypto_constraints": ("Thuật toán hoặc độ dài khóa của chữ ký hay chuỗi chứng thư không được chấp nhận.",
                           "An algorithm or key size in the signature or its chain is not accepted."),
    "no_poe": ("Không có bằng chứng rằng chữ ký tồn tại trước thời điểm chứng thư mất hiệu lực.",
               "There is no proof that the signature existed before the certificate stopped being valid."),
    "generic_indeterminate": ("Không xác định được tính hợp lệ của chữ ký ({reason}).",
                              "The validity of the signature could not be determined ({reason})."),
    # --- revocation
    "revoked": ("Chứng thư số đã bị thu hồi từ {date} (lý do: {reason}).",
                "The certificate was revoked on {date} (reason: {reason})."),
    "ca_revoked": ("Chứng thư số của CA trong chuỗi đã bị thu hồi từ {date} (lý do: {reason}).",
                   "A CA certificate in the chain was revoked on {date} (reason: {reason})."),
    "revoked_no_poe": ("Chứng thư số đã bị thu hồi từ {date} và không có dấu thời gian chứng minh chữ ký có trước đó.",
                       "The certificate was revoked on {date} and no timestamp proves the signature came earlier."),
    "revoked_after_signing": ("Chứng thư số bị thu hồi từ {date} (lý do: {reason}), sau thời điểm ký.",
                              "The certificate was revoked on {date} (reason: {reason}), after the signing time."),
    "revocation_unknown": ("Không kiểm tra được trạng thái chứng thư số.",
                           "The revocation status of the certificate could not be checked."),
    "revocation_not_checked": ("Trạng thái thu hồi của chứng thư số chưa được kiểm tra (không có dữ liệu kèm theo và không được phép truy vấn trực tuyến).",
                               "The revocation status was not checked (no embedded data and online checks are disabled)."),
    "valid_at_signing_time": ("Chứng thư số hợp lệ tại thời điểm ký được chứng thực bằng dấu thời gian ({date}).",
                              "The certificate was valid at the signing time proven by the timestamp ({date})."),
    # --- time
    "not_timestamped": ("Chữ ký không có dấu thời gian; thời điểm ký là do người ký tự khai.",
                        "The signature has no timestamp; the signing time is as claimed by the signer."),
    "timestamp_invalid": ("Dấu thời gian của chữ ký không hợp lệ.",
                          "The signature timestamp is not valid."),
    "timestamp_untrusted": ("Dấu thời gian của chữ ký do đơn vị cấp dấu thời gian chưa tin cậy cấp.",
                            "The signature timestamp was issued by an untrusted timestamping authority."),
    # --- algorithms (VAL-5)
    "weak_digest": ("Thuật toán băm {algorithm} không đáp ứng tiêu chuẩn hiện hành.",
                    "The digest algorithm {algorithm} does not meet current standards."),
    "weak_rsa_key": ("Khóa RSA {bits} bit không đáp ứng tiêu chuẩn hiện hành (tối thiểu 2048 bit).",
                     "The {bits}-bit RSA key does not meet current standards (at least 2048 bits)."),
    # --- modifications
    "modified_form_filling": ("Sau khi ký, tài liệu chỉ được điền biểu mẫu hoặc ký thêm.",
                              "After signing, the document was only filled in or signed again."),
    "modified_annotations": ("Tài liệu đã được thêm chú thích sau khi ký.",
                             "Annotations were added to the document after signing."),
    "modified_other": ("Tài liệu đã bị thay đổi sau khi ký.",
                       "The document was changed after signing."),
    "modifications_not_permitted": ("Các thay đổi sau khi ký không được phép theo chữ ký chứng thực của tài liệu.",
                                    "The changes made after signing are not permitted by the document's certification signature."),
    "forbidden_docmdp": ("Thay đổi sau khi ký ({what}) vượt quá mức DocMDP P={p} của chữ ký chứng thực (ISO 32000-2, 12.8.2.2).",
                         "The change after signing ({what}) exceeds the certification signature's DocMDP level P={p} (ISO 32000-2, 12.8.2.2)."),
    "forbidden_change": ("Tài liệu bị thay đổi sau khi ký theo cách không được phép: chỉ được thêm chữ ký, DSS, dấu thời gian tài liệu, điền biểu mẫu hoặc chú thích (ISO 32000-2, 12.8; ETSI EN 319 142-1).",
                         "The document was changed after signing in a way that is not permitted: only signatures, DSS, document timestamps, form filling or annotations may be added (ISO 32000-2, 12.8; ETSI EN 319 142-1)."),
    "hybrid_conflict": ("Bảng tham chiếu chéo và luồng XRefStm của cùng một phiên bản trỏ tới nội dung khác nhau cho đối tượng {objects}: các phần mềm đọc khác nhau sẽ hiển thị nội dung khác nhau (ISO 32000-2, 7.5.8.4).",
                        "The cross-reference table and the XRefStm of the same revision point to different content for object {objects}: different readers show different content (ISO 32000-2, 7.5.8.4)."),
    "hidden_objects": ("Có {count} đối tượng được nối thêm sau phần đã ký mà bảng tham chiếu chéo không liệt kê (tấn công lưu gia tăng).",
                       "{count} objects were appended after the signed part without being listed in a cross-reference section (incremental saving attack)."),
    "repaired_structure": ("Cấu trúc tham chiếu chéo của tệp bị hỏng và đã được dựng lại bằng cách quét các đối tượng ({repair}); phần nội dung đã ký vẫn được băm chính xác nhưng kết luận không thể chắc chắn hơn «chưa xác định».",
                           "The file's cross-reference data is damaged and was rebuilt by scanning for objects ({repair}); the signed bytes are still hashed exactly but the conclusion cannot be stronger than INDETERMINATE."),
    "lenient_reading": ("Tệp không tuân thủ chặt chẽ chuẩn PDF ({reason}) và được đọc ở chế độ dung thứ.",
                        "The file does not strictly follow the PDF standard ({reason}) and was read in lenient mode."),
    "structure_unverifiable": ("Không phân tích được các thay đổi sau khi ký do cấu trúc tệp ({reason}).",
                               "The changes after signing could not be analysed because of the file structure ({reason})."),
    "byte_range_past_end": ("Vùng ký (ByteRange) vượt quá cuối tệp: một phần nội dung đã ký bị mất.",
                            "The signed byte range extends past the end of the file: part of the signed content is missing."),
    "coverage_partial": ("Chữ ký không bao phủ toàn bộ phiên bản tài liệu mà nó ký.",
                         "The signature does not cover the whole revision it signs."),
    "trailing_bytes": ("Có dữ liệu không được ký nối thêm vào cuối tệp sau khi ký.",
                       "Unsigned data was appended to the end of the file after signing."),
    # --- document verdicts
    "verdict_valid": ("Tất cả chữ ký hợp lệ và tài liệu không bị thay đổi trái phép.",
                      "All signatures are valid and the document has no unpermitted changes."),
    "verdict_valid_modified_after": ("Các chữ ký hợp lệ nhưng tài liệu đã được chỉnh sửa (chú thích hoặc dữ liệu nối thêm) sau khi ký.",
                                     "The signatures are valid but the document was edited (annotations or appended data) after signing."),
    "verdict_invalid": ("Tài liệu có chữ ký không hợp lệ hoặc đã bị thay đổi sau khi ký.",
                        "The document has an invalid signature or was changed after signing."),
    "verdict_indeterminate": ("Chưa xác định được tính hợp lệ của tất cả chữ ký.",
                              "The validity of every signature could not be established."),
    "verdict_unsigned": ("Tài liệu không có chữ ký số.",
                         "The document has no digital signature."),
    "doc_timestamp_invalid": ("Dấu thời gian tài liệu {field} không hợp lệ.",
                              "The document timestamp {field} is not valid."),
    "dss_over_limit": ("{count} mục dữ liệu kiểm tra (DSS) vượt quá giới hạn giải nén và đã bị bỏ qua; không thể xác định đầy đủ.",
                       "{count} validation data entries (DSS) exceed the decompression limits and were skipped; validation is incomplete."),
    "doc_timestamp_untrusted": ("Dấu thời gian tài liệu {field} do đơn vị cấp dấu thời gian chưa tin cậy cấp.",
                                "The document timestamp {field} was issued by an untrusted timestamping authority."),
}

REVOCATION_REASONS: dict[str, tuple[str, str]] = {
    "unspecified": ("không nêu lý do", "unspecified"),
    "key_compromise": ("lộ khóa bí mật", "key compromise"),
    "ca_compromise": ("lộ khóa của CA", "CA compromise"),
    "affiliation_changed": ("thay đổi đơn vị công tác", "affiliation changed"),
    "superseded": ("đã được thay thế", "superseded"),
    "cessation_of_operation": ("ngừng hoạt động", "cessation of operation"),
    "certificate_hold": ("tạm dừng", "certificate hold"),
    "remove_from_crl": ("gỡ khỏi CRL", "removed from CRL"),
    "privilege_withdrawn": ("rút quyền", "privilege withdrawn"),
    "aa_compromise": ("lộ khóa của AA", "AA compromise"),
}


def text(key: str, **params: str) -> Message:
    """The catalogue entry ``key`` with ``params`` filled in, Vietnamese and English."""
    vi, en = CATALOGUE[key]
    return Message(vi.format(**params), en.format(**params))


def revocation_text(key: str, *, date: str, reason: str | None) -> Message:
    """``revoked``/``ca_revoked``/``revoked_no_poe``/``revoked_after_signing`` with the
    reason translated in each language."""
    reason_vi, reason_en = REVOCATION_REASONS.get(reason or "unspecified", (reason or "", reason or ""))
    vi, en = CATALOGUE[key]
    return Message(vi.format(date=date, reason=reason_vi), en.format(date=date, reason=reason_en))
