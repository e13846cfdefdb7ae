"""The error every refused operation answers while the audit chain is broken (fail closed)."""

from __future__ import annotations

from typing import Any

from signsvc.audit.checkpoints import PROBLEMS
from signsvc.errors import AuditUnavailable, Message


def broken_error(broken: dict[str, Any]) -> AuditUnavailable:
    """The 503 ``audit-unavailable`` a refused operation answers (no path, no secret):
    ``broken`` is the guard's finding (``problem``, ``sequence``, ...), named in both languages."""
    seq = broken.get("sequence")
    where_vi = f" tại bản ghi #{seq}" if seq is not None else ""
    where_en = f" at record #{seq}" if seq is not None else ""
    what = PROBLEMS.get(broken.get("problem") or "", None)
    values = {"s": seq, "e": broken.get("end_sequence"), "c": broken.get("checkpoint"),
              "r": broken.get("detail") or ""}
    vi_what = what[0].format(**values) if what else str(broken.get("problem"))
    en_what = what[1].format(**values) if what else str(broken.get("problem"))
    return AuditUnavailable(Message(
        f"Chuỗi nhật ký kiểm toán bị phá vỡ{where_vi}: {vi_what}. Dịch vụ từ chối mọi thao tác "
        "cần ghi nhật ký cho đến khi người vận hành kiểm tra và xác nhận "
        "(signsvc audit acknowledge).",
        f"The audit chain is broken{where_en}: {en_what}. Every operation that must be audited "
        "is refused until an operator checks the log and acknowledges it "
        "(signsvc audit acknowledge)."),
        audit_problem=broken.get("problem"), audit_sequence=seq)
