"""Rule checks of the agency seal's workflow: WF-2 (the seal after the official), WF-5
(attachments) and WF-6 (copies). Pure, like every rule check (signsvc.policy.rules)."""

from __future__ import annotations

from typing import Any

from signsvc.names import KeyKind
from signsvc.policy.facts import PriorSignature, SigningFacts
from signsvc.policy.outcome import Outcome
from signsvc.policy.outcome import fail as _fail
from signsvc.policy.outcome import ok as _ok
from signsvc.policy.outcome import skip as _skip


def eservice_seal_after_official(f: SigningFacts, p: dict) -> Outcome:
    """WF-2: the agency signature only after a valid signature by the competent official.

    An official's signature is a prior signature that is valid (intact, cryptographically
    valid, trusted) and either made with a certificate registered to a client of role
    ``official`` (``PriorSignature.official``) or carrying one of ``official_policy_oids``
    (the certificate policy of personal signatures, configured: the domain rules name no
    OID). Any other certificate -- a seal, a portal's own key -- never counts.
    The only exemption: an agency-only stamp (``exempt_appearances``: ``profile=copy``, the
    separate-file ``attachment``) made by a role the ``workflow.copies`` rule allows
    (``f.copy_roles``, the clerk). ``?eservice=copy`` alone exempts nothing."""
    if f.key_kind != KeyKind.AGENCY_SEAL:
        return _skip("Không phải chữ ký của cơ quan.", "Not an agency signature.")
    if f.appearance in p["exempt_appearances"] and f.role in f.copy_roles:
        return _skip(f"Mẫu {f.appearance} (bản sao, phụ lục tệp riêng) do văn thư ký chỉ mang chữ ký "
                     "của cơ quan: không cần chữ ký cá nhân trước.",
                     f"Profile {f.appearance} (a copy, a separate-file attachment) made by the clerk "
                     "carries the agency signature alone: no prior official signature needed.",
                     appearance=f.appearance, role=f.role)
    prior = f.prior_signatures or ()
    oids = set(p["official_policy_oids"])

    def by_official(s: PriorSignature) -> bool:
        return s.official or bool(oids & s.policy_oids)
    officials = [s.signer for s in prior if s.valid and by_official(s)]
    ev: dict[str, Any] = {"appearance": f.appearance, "role": f.role, "eservice": f.eservice}
    if not officials:
        return _fail("Chữ ký của cơ quan chỉ được thực hiện sau chữ ký hợp lệ của người có thẩm quyền "
                     "(Nghị định 30/2020, Điều 32.2(d)): tài liệu chưa có chữ ký hợp lệ bằng chứng thư "
                     "đã đăng ký của cán bộ ký (hoặc mang chính sách chứng thư chữ ký cá nhân).",
                     "The agency signature may only follow a valid signature by the competent "
                     "official (Decree 30/2020, art. 32.2(d)): the document carries no valid "
                     "signature made with an official's registered certificate (or one carrying "
                     "the personal-signature certificate policy).",
                     prior=[{"signer": s.signer, "valid": s.valid, "official": by_official(s)}
                            for s in prior], **ev)
    return _ok("Tài liệu đã có chữ ký hợp lệ của người có thẩm quyền.",
               "The document already carries a valid official's signature.", officials=officials, **ev)


def workflow_copies(f: SigningFacts, p: dict) -> Outcome:
    """WF-6: the copy stamp (SAO Y / SAO LỤC / TRÍCH SAO) only by the configured roles, and
    always as the agency's signature."""
    if f.appearance != "copy":
        return _skip("Không phải bản sao (mẫu copy).", "Not a copy (profile copy).")
    ev = {"appearance": f.appearance, "role": f.role, "roles": list(p["roles"]),
          "key_kind": f.key_kind}
    if f.role not in p["roles"]:
        return _fail(f"Bản sao (SAO Y, SAO LỤC, TRÍCH SAO) chỉ do văn thư ({', '.join(p['roles'])}) "
                     f"ký (Nghị định 30/2020, Điều 25, 33.2); vai trò {f.role} không được ký bản sao.",
                     f"Copies (SAO Y, SAO LỤC, TRÍCH SAO) are signed by the clerk only "
                     f"({', '.join(p['roles'])}; Decree 30/2020, art. 25, 33.2); role {f.role} may "
                     "not sign copies.", **ev)
    if f.key_kind != KeyKind.AGENCY_SEAL:
        return _fail("Bản sao được ký bằng chữ ký của cơ quan (khóa con dấu cơ quan), không bằng "
                     f"khóa loại {f.key_kind}.",
                     "A copy is signed with the agency's signature (an agency-seal key), not with a "
                     f"key of kind {f.key_kind}.", **ev)
    return _ok("Văn thư ký bản sao bằng chữ ký của cơ quan.",
               "The clerk signs the copy with the agency's signature.", **ev)


def workflow_attachments(f: SigningFacts, p: dict) -> Outcome:
    """WF-5: in ``same_file`` mode only the main document gets the agency signature; in
    ``separate_file`` mode each attachment gets its own agency signature (profile
    ``attachment``, VS-5)."""
    if f.appearance != "attachment" and f.attachment_mode is None:
        return _skip("Không phải chữ ký phụ lục.", "Not an attachment signature.")
    mode = f.attachment_mode or p["default_mode"]
    ev = {"appearance": f.appearance, "attachment_mode": mode, "key_kind": f.key_kind}
    if f.appearance != "attachment":
        if mode == "same_file":
            return _ok("Phụ lục nằm trong tệp văn bản chính: chữ ký của cơ quan trên văn bản chính "
                       "là chữ ký duy nhất, phụ lục không ký riêng.",
                       "Attachments inside the main document's file: the agency signature on the "
                       "main document is the only one, attachments are not signed separately.", **ev)
        return _ok("Phụ lục là tệp riêng: mỗi phụ lục được cơ quan ký riêng (mẫu attachment).",
                   "Attachments in files of their own: each gets its own agency signature "
                   "(profile attachment).", **ev)
    if mode == "same_file":
        return _fail("Phụ lục nằm trong cùng tệp với văn bản chính (attachment_mode=same_file): chỉ "
                     "văn bản chính được ký bằng chữ ký của cơ quan, không ký riêng phụ lục bằng mẫu "
                     "attachment (Nghị định 30/2020, Phụ lục I).",
                     "Attachments inside the main document's file (attachment_mode=same_file): only "
                     "the main document gets the agency signature; no separate attachment stamp "
                     "(Decree 30/2020, App. I).", **ev)
    if f.key_kind != KeyKind.AGENCY_SEAL:
        return _fail("Phụ lục là tệp riêng được ký bằng chữ ký của cơ quan (khóa con dấu cơ quan), "
                     f"không bằng khóa loại {f.key_kind}.",
                     "A separate-file attachment is signed with the agency's signature (an "
                     f"agency-seal key), not with a key of kind {f.key_kind}.", **ev)
    return _ok("Phụ lục tệp riêng được ký bằng chữ ký của cơ quan.",
               "The separate-file attachment gets the agency signature.", **ev)
