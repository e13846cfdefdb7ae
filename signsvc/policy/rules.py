"""The rule catalogue: each rule is an id, a family, typed parameters and a pure check.

A check returns ``(status, message, evaluated)``: status ``pass`` / ``fail`` / ``skip``
(not applicable), a message in Vietnamese and English, and the facts it looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from signsvc.errors import Message
from signsvc.names import PADES_LEVELS, KeyKind, PadesLevel
from signsvc.permissions import Permission, roles_for
from signsvc.policy.facts import SigningFacts
from signsvc.policy.outcome import Check, Outcome
from signsvc.policy.outcome import fail as _fail
from signsvc.policy.outcome import ok as _ok
from signsvc.policy.outcome import skip as _skip
from signsvc.policy.rules_workflow import (
    eservice_seal_after_official,
    workflow_attachments,
    workflow_copies,
)

LEVEL_ORDER: dict[str, int] = {level: rank for rank, level in enumerate(PADES_LEVELS)}  # B-B 0..


@dataclass(frozen=True)
class RuleSpec:
    id: str
    family: str
    check: Check
    params: dict[str, Any]          # name -> default (its type is the parameter's type)
    title: Message
    status: int = 403               # HTTP status when it denies
    code: str = "policy-denied"


# -- 1. cryptography ----------------------------------------------------------------
def crypto_key_type(f: SigningFacts, p: dict) -> Outcome:
    c = f.certificate
    ev = {"key_algorithm": c.key_algorithm, "key_size": c.key_size}
    if c.key_algorithm not in p["allowed"]:
        return _fail(f"Loại khóa {c.key_algorithm} không được phép.",
                     f"Key type {c.key_algorithm} is not allowed.", **ev)
    minimum = p["rsa_min_bits"] if c.key_algorithm == "rsa" else p["ec_min_bits"]
    if c.key_size < minimum:
        return _fail(f"Khóa {c.key_algorithm.upper()} {c.key_size} bit nhỏ hơn mức tối thiểu {minimum} bit.",
                     f"{c.key_algorithm.upper()} key of {c.key_size} bits is below the minimum of {minimum}.",
                     **ev)
    return _ok("Loại và độ dài khóa đạt yêu cầu.", "Key type and size are acceptable.", **ev)


def crypto_digest(f: SigningFacts, p: dict) -> Outcome:
    if f.digest not in p["allowed"]:
        return _fail(f"Thuật toán băm {f.digest} không được phép.",
                     f"Digest algorithm {f.digest} is not allowed.", digest=f.digest)
    return _ok("Thuật toán băm đạt yêu cầu.", "The digest algorithm is acceptable.", digest=f.digest)


def crypto_rsa_padding(f: SigningFacts, p: dict) -> Outcome:
    if f.certificate.key_algorithm != "rsa":
        return _skip("Không phải khóa RSA.", "Not an RSA key.")
    ev = {"rsa_padding": f.rsa_padding, "allow_pkcs1v15": p["allow_pkcs1v15"]}
    if f.rsa_padding == "pkcs1v15":
        if not p["allow_pkcs1v15"]:
            return _fail("Đệm RSA PKCS#1 v1.5 không được phép; hãy dùng RSASSA-PSS.",
                         "RSA PKCS#1 v1.5 padding is not allowed; use RSASSA-PSS.", **ev)
        return _ok("Dùng đệm RSA PKCS#1 v1.5 theo công tắc allow_pkcs1v15 (đã ghi nhận).",
                   "RSA PKCS#1 v1.5 padding used under the allow_pkcs1v15 switch (recorded).", **ev)
    return _ok("Dùng đệm RSASSA-PSS.", "RSASSA-PSS padding is used.", **ev)


# -- 2. certificate -----------------------------------------------------------------
def cert_key_usage(f: SigningFacts, p: dict) -> Outcome:
    usage = sorted(f.certificate.key_usage)
    if not set(p["any_of"]) & f.certificate.key_usage:
        return _fail("Chứng thư số không có mục đích sử dụng chống chối bỏ hoặc chữ ký số.",
                     "The certificate's key usage allows neither non-repudiation nor digital signature.",
                     key_usage=usage)
    return _ok("Mục đích sử dụng khóa phù hợp.", "The key usage is appropriate.", key_usage=usage)


def cert_validity(f: SigningFacts, p: dict) -> Outcome:
    c = f.certificate
    ev = {"not_before": c.not_before.isoformat(), "not_after": c.not_after.isoformat(),
          "min_remaining_days": p["min_remaining_days"]}
    if not c.not_before <= f.now <= c.not_after:
        return _fail("Chứng thư số không còn hiệu lực tại thời điểm ký.",
                     "The certificate is not valid at signing time.", **ev)
    if c.not_after - f.now < timedelta(days=p["min_remaining_days"]):
        return _fail(f"Chứng thư số còn hiệu lực ít hơn {p['min_remaining_days']} ngày.",
                     f"The certificate has less than {p['min_remaining_days']} days of validity left.",
                     **ev)
    return _ok("Chứng thư số còn hiệu lực.", "The certificate is valid.", **ev)


def cert_chain(f: SigningFacts, p: dict) -> Outcome:
    if f.certificate.chain != "trusted":
        return _fail("Chứng thư số không chuỗi được tới CA tin cậy đã cấu hình (CA chưa tin cậy).",
                     "The certificate does not chain to a configured trust anchor (untrusted CA).",
                     chain=f.certificate.chain)
    return _ok("Chứng thư số chuỗi tới CA tin cậy.", "The certificate chains to a trust anchor.",
               chain="trusted")


def cert_revocation(f: SigningFacts, p: dict) -> Outcome:
    status = f.certificate.revocation
    ev = {"revocation": status, "mode": p["mode"]}
    if status == "revoked":
        return _fail("Chứng thư số đã bị thu hồi.", "The certificate has been revoked.", **ev)
    if status in ("unknown", "not_checked") and p["mode"] == "hard-fail":
        return _fail("Không kiểm tra được trạng thái chứng thư số (OCSP/CRL).",
                     "The certificate's revocation status could not be checked (OCSP/CRL).", **ev)
    if status != "good":
        return _ok("Không kiểm tra được trạng thái chứng thư số; chế độ soft-fail cho phép tiếp tục.",
                   "Revocation status unknown; soft-fail mode lets signing continue.", **ev)
    return _ok("Chứng thư số chưa bị thu hồi.", "The certificate is not revoked.", **ev)


def cert_policy_oids(f: SigningFacts, p: dict) -> Outcome:
    if not p["any_of"]:
        return _skip("Không yêu cầu chính sách chứng thư.", "No certificate policy is required.")
    oids = sorted(f.certificate.policy_oids)
    if not set(p["any_of"]) & f.certificate.policy_oids:
        return _fail("Chứng thư số không có chính sách chứng thư bắt buộc.",
                     "The certificate carries none of the required certificate policies.", policies=oids)
    return _ok("Chứng thư số có chính sách bắt buộc.", "The certificate carries a required policy.",
               policies=oids)


def cert_issuer_allow_list(f: SigningFacts, p: dict) -> Outcome:
    if not p["issuers"]:
        return _skip("Không giới hạn tổ chức phát hành.", "No issuer allow-list is set.")
    issuer = f.certificate.issuer
    if not any(allowed in issuer for allowed in p["issuers"]):
        return _fail("Tổ chức phát hành chứng thư số không nằm trong danh sách cho phép.",
                     "The certificate's issuer is not on the allow-list.", issuer=issuer)
    return _ok("Tổ chức phát hành được phép.", "The issuer is allowed.", issuer=issuer)


# -- 3. key custody -----------------------------------------------------------------
def custody_key_grant(f: SigningFacts, p: dict) -> Outcome:
    if f.key_id not in f.client_keys:
        return _fail("Máy khách không được cấp quyền dùng khóa này.",
                     "The client has not been granted this key.", key=f.key_id, client=f.client)
    return _ok("Máy khách được cấp quyền dùng khóa.", "The client was granted the key.",
               key=f.key_id, client=f.client)


def custody_key_roles(f: SigningFacts, p: dict) -> Outcome:
    roles = p["keys"].get(f.key_id)
    if roles is None:
        return _skip("Không giới hạn vai trò cho khóa này.", "No role restriction for this key.")
    if f.role not in roles:
        return _fail(f"Vai trò {f.role} không được dùng khóa này.",
                     f"Role {f.role} may not use this key.", role=f.role, allowed=list(roles))
    return _ok("Vai trò được dùng khóa.", "The role may use the key.", role=f.role)


def custody_software_keys(f: SigningFacts, p: dict) -> Outcome:
    ev = {"backend": f.key_backend, "profile": f.service_profile,
          "key_protection": "hardware" if f.key_backend == "pkcs11" else "software"}
    if f.key_backend != "software":
        return _ok("Khóa được bảo vệ bằng phần cứng (HSM/token).", "The key is hardware-protected.", **ev)
    if f.service_profile in p["profiles"] and not p["allow_software_keys"]:
        return _fail("Khóa phần mềm không được dùng trong hồ sơ vận hành này.",
                     f"Software keys are refused in the {f.service_profile} profile.", **ev)
    return _ok("Khóa phần mềm được phép (chữ ký ghi nhận key_protection: software).",
               "Software key allowed (the signature is marked key_protection: software).", **ev)


def custody_seal_roles(f: SigningFacts, p: dict) -> Outcome:
    if f.key_kind != KeyKind.AGENCY_SEAL:
        return _skip("Không phải khóa con dấu cơ quan.", "Not an agency-seal key.")
    if f.role not in p["roles"]:
        return _fail("Chỉ văn thư hoặc cổng dịch vụ công được dùng khóa con dấu cơ quan.",
                     "Only clerks and the portal may use agency-seal keys.", role=f.role)
    return _ok("Vai trò được dùng khóa con dấu.", "The role may use the agency seal.", role=f.role)


# -- 4. document ---------------------------------------------------------------------
def _doc(f: SigningFacts):
    return f.document


def document_size(f: SigningFacts, p: dict) -> Outcome:
    d = _doc(f)
    if d is None:
        return _skip("Chưa có tài liệu.", "No document given.")
    if d.size > p["max_bytes"]:
        return _fail(f"Tài liệu {d.size} byte vượt giới hạn {p['max_bytes']} byte.",
                     f"The document ({d.size} bytes) exceeds {p['max_bytes']} bytes.", size=d.size)
    return _ok("Kích thước tài liệu hợp lệ.", "The document size is acceptable.", size=d.size)


def document_pages(f: SigningFacts, p: dict) -> Outcome:
    d = _doc(f)
    if d is None:
        return _skip("Chưa có tài liệu.", "No document given.")
    if d.pages > p["max_pages"]:
        return _fail(f"Tài liệu có {d.pages} trang, vượt giới hạn {p['max_pages']}.",
                     f"The document has {d.pages} pages, over the limit of {p['max_pages']}.",
                     pages=d.pages)
    return _ok("Số trang hợp lệ.", "The page count is acceptable.", pages=d.pages)


def _presence(field: str, vi: str, en: str) -> Check:
    def check(f: SigningFacts, p: dict) -> Outcome:
        d = _doc(f)
        if d is None:
            return _skip("Chưa có tài liệu.", "No document given.")
        found = getattr(d, field)
        if found:
            where = list(found) if isinstance(found, tuple) else found
            return _fail(f"Tài liệu chứa {vi}.", f"The document contains {en}.", found=where)
        return _ok(f"Tài liệu không chứa {vi}.", f"The document contains no {en}.")
    return check


def document_inspection_complete(f: SigningFacts, p: dict) -> Outcome:
    d = _doc(f)
    if d is None:
        return _skip("Chưa có tài liệu.", "No document given.")
    if d.truncated:
        return _fail("Tài liệu quá phức tạp để kiểm tra hết (vượt giới hạn số đối tượng hoặc độ sâu).",
                     "The document is too complex to inspect completely (object or depth limit).")
    return _ok("Đã kiểm tra toàn bộ tài liệu.", "The whole document was inspected.")


def document_non_strict(f: SigningFacts, p: dict) -> Outcome:
    d = _doc(f)
    if d is None:
        return _skip("Chưa có tài liệu.", "No document given.")
    if not d.strict:
        return _fail("Tệp PDF chỉ đọc được ở chế độ không nghiêm ngặt (ví dụ bảng xref lai).",
                     "The PDF can only be read in non-strict mode (e.g. a hybrid xref).")
    return _ok("Tệp PDF đọc được ở chế độ nghiêm ngặt.", "The PDF reads in strict mode.")


# -- 5. e-service level profiles (the seal after the official: signsvc.policy.rules_workflow) --
def eservice_minimum_level(f: SigningFacts, p: dict) -> Outcome:
    required = p.get(f.eservice.replace("-", "_"))
    if required is None:
        return _skip("Không có yêu cầu mức chữ ký cho hồ sơ này.", "No level requirement for this profile.")
    ev = {"eservice": f.eservice, "level": f.level, "required": required}
    if LEVEL_ORDER[f.level] < LEVEL_ORDER[required]:
        return _fail(f"Dịch vụ công {f.eservice} yêu cầu chữ ký tối thiểu {required}.",
                     f"E-service profile {f.eservice} requires at least {required}.", **ev)
    return _ok("Mức chữ ký đáp ứng hồ sơ dịch vụ công.", "The level meets the e-service profile.", **ev)


# -- 6. rate and quota ------------------------------------------------------------------
def _rate(who: str) -> Check:
    def check(f: SigningFacts, p: dict) -> Outcome:
        minute = getattr(f.usage, f"{who}_minute")
        day = getattr(f.usage, f"{who}_day")
        ev = {"minute": minute, "day": day, "per_minute": p["per_minute"], "per_day": p["per_day"]}
        subject_vi = "máy khách" if who == "client" else "khóa"
        if minute >= p["per_minute"]:
            return _fail(f"Vượt giới hạn {p['per_minute']} chữ ký mỗi phút cho {subject_vi} này.",
                         f"This {who} reached its limit of {p['per_minute']} signatures per minute.", **ev)
        if day >= p["per_day"]:
            return _fail(f"Vượt hạn mức {p['per_day']} chữ ký mỗi ngày cho {subject_vi} này.",
                         f"This {who} reached its quota of {p['per_day']} signatures per day.", **ev)
        return _ok("Trong giới hạn tần suất.", "Within the rate limits.", **ev)
    return check


# -- 7. clock ------------------------------------------------------------------------------
def clock_tsa_skew(f: SigningFacts, p: dict) -> Outcome:
    if f.clock_skew_seconds is None:
        return _skip("Chưa có phản hồi TSA để so sánh đồng hồ.", "No TSA response seen yet to compare clocks.")
    ev = {"skew_seconds": round(f.clock_skew_seconds, 3), "max_skew_seconds": p["max_skew_seconds"]}
    if abs(f.clock_skew_seconds) > p["max_skew_seconds"]:
        return _fail("Đồng hồ máy chủ lệch so với máy chủ cấp dấu thời gian quá mức cho phép.",
                     "The local clock differs from the last TSA response by more than allowed.", **ev)
    return _ok("Đồng hồ máy chủ khớp với TSA.", "The local clock agrees with the TSA.", **ev)


def _spec(id: str, check: Check, params: dict, vi: str, en: str, **kw: Any) -> RuleSpec:
    return RuleSpec(id=id, family=id.split(".")[0], check=check, params=params,
                    title=Message(vi, en), **kw)


SAFE_DIGESTS = ["sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"]

CATALOGUE: dict[str, RuleSpec] = {s.id: s for s in (
    _spec("crypto.key-type", crypto_key_type, {"allowed": ["rsa", "ecdsa"], "rsa_min_bits": 2048,
                                                 "ec_min_bits": 256},
          "Loại và độ dài khóa", "Key type and size"),
    _spec("crypto.digest", crypto_digest, {"allowed": SAFE_DIGESTS}, "Thuật toán băm", "Digest algorithm"),
    _spec("crypto.rsa-padding", crypto_rsa_padding, {"allow_pkcs1v15": False}, "Đệm RSA", "RSA padding"),
    _spec("cert.key-usage", cert_key_usage, {"any_of": ["non_repudiation", "digital_signature"]},
          "Mục đích sử dụng khóa", "Key usage"),
    _spec("cert.validity", cert_validity, {"min_remaining_days": 0}, "Hiệu lực chứng thư", "Certificate validity"),
    _spec("cert.chain", cert_chain, {}, "Chuỗi tới CA tin cậy", "Chain to a trust anchor"),
    _spec("cert.revocation", cert_revocation, {"mode": "hard-fail"}, "Trạng thái thu hồi", "Revocation status"),
    _spec("cert.policy-oids", cert_policy_oids, {"any_of": []}, "Chính sách chứng thư", "Certificate policies"),
    _spec("cert.issuer-allow-list", cert_issuer_allow_list, {"issuers": []},
          "Tổ chức phát hành được phép", "Issuer allow-list"),
    _spec("custody.key-grant", custody_key_grant, {}, "Quyền dùng khóa", "Key grant", code="key-not-permitted"),
    _spec("custody.key-roles", custody_key_roles, {"keys": {}}, "Vai trò dùng khóa", "Roles per key"),
    _spec("custody.software-keys", custody_software_keys, {"allow_software_keys": False,
                                                             "profiles": ["production"]},
          "Khóa phần mềm", "Software keys"),
    _spec("custody.seal-roles", custody_seal_roles, {"roles": list(roles_for(Permission.SIGN_AGENCY_SEAL))},
          "Vai trò dùng con dấu", "Agency-seal roles"),
    _spec("document.size", document_size, {"max_bytes": 26214400}, "Kích thước tài liệu", "Document size"),
    _spec("document.pages", document_pages, {"max_pages": 2000}, "Số trang", "Page count"),
    _spec("document.encrypted", _presence("encrypted", "mã hóa", "encryption"), {},
          "PDF mã hóa", "Encrypted PDF"),
    _spec("document.javascript", _presence("javascript", "mã JavaScript", "JavaScript"), {},
          "JavaScript", "JavaScript"),
    _spec("document.launch-actions", _presence("launch_actions", "hành động khởi chạy (Launch)",
                                               "launch actions"), {},
          "Hành động khởi chạy", "Launch actions"),
    _spec("document.embedded-files", _presence("embedded_files", "tệp đính kèm nhúng", "embedded files"),
          {}, "Tệp nhúng", "Embedded files"),
    _spec("document.xfa", _presence("xfa", "biểu mẫu XFA", "an XFA form"), {}, "Biểu mẫu XFA", "XFA forms"),
    _spec("document.non-strict", document_non_strict, {}, "PDF không chuẩn", "Non-strict PDF"),
    _spec("document.inspection-complete", document_inspection_complete, {},
          "Kiểm tra được toàn bộ tài liệu", "Complete inspection"),
    _spec("eservice.minimum-level", eservice_minimum_level, {"level3": PadesLevel.B_T,
                                                               "level4": PadesLevel.B_LT,
                                                               "copy": PadesLevel.B_T},
          "Mức chữ ký theo mức độ dịch vụ công", "Signature level per e-service level"),
    _spec("eservice.seal-after-official", eservice_seal_after_official,
          {"exempt_appearances": ["copy", "attachment"], "official_policy_oids": []},
          "Con dấu sau chữ ký cá nhân", "Agency seal after the official",
          status=409, code="seal-before-official"),
    _spec("rate.client", _rate("client"), {"per_minute": 60, "per_day": 10000},
          "Tần suất theo máy khách", "Rate per client"),
    _spec("rate.key", _rate("key"), {"per_minute": 120, "per_day": 20000},
          "Tần suất theo khóa", "Rate per key"),
    _spec("clock.tsa-skew", clock_tsa_skew, {"max_skew_seconds": 2.0},
          "Độ lệch đồng hồ so với TSA", "Clock skew against the TSA"),
    _spec("workflow.copies", workflow_copies, {"roles": list(roles_for(Permission.SIGN_COPIES))},
          "Bản sao chỉ do văn thư ký", "Copies by the clerk only"),
    _spec("workflow.attachments", workflow_attachments, {"default_mode": "separate_file"},
          "Chữ ký phụ lục (tệp riêng / cùng tệp)", "Attachment signatures (separate / same file)",
          status=422, code="attachment-mode"),
)}
