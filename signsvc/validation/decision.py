"""From the facts about one signature to its ETSI indication and its messages (pure).

``Facts`` holds only plain values (no pyHanko types); ``decide`` applies, in order:

1. a signature that could not be parsed → TOTAL-FAILED / FORMAT_FAILURE;
   an unsupported format or algorithm, or a processing error → INDETERMINATE;
2. digest mismatch → TOTAL-FAILED / HASH_FAILURE; bad signature value →
   TOTAL-FAILED / SIG_CRYPTO_FAILURE;
2b. a change after signing that a rule forbids (the certification's DocMDP level, the
   PAdES/ISO 32000 list of permitted updates, or a structural finding such as a
   hybrid-reference conflict) → TOTAL-FAILED / FORMAT_FAILURE, the rule named (as the
   format-checking building block of EN 319 102-1, 5.2.2, does for PDF);
   when that analysis depends on a repaired structure, INDETERMINATE instead (see ``cap``);
3. revoked: TOTAL-FAILED / REVOKED when the best signing time (the trusted timestamp,
   else the claimed time) is at or after the revocation; otherwise INDETERMINATE /
   REVOKED_NO_POE (REVOKED_CA_NO_POE for a CA);
4. another trust problem → its AdES sub-indication (INDETERMINATE, or TOTAL-FAILED for
   AdES failures);
5. revocation ``unknown`` → INDETERMINATE / TRY_LATER;
6. a signature timestamp that is broken or untrusted → INDETERMINATE /
   SIG_CONSTRAINTS_FAILURE;
7. a ``cap`` (repaired cross-reference data, validation data over the limits) →
   INDETERMINATE with the cap's sub-indication; later changes that could not be
   classified → INDETERMINATE / FORMAT_FAILURE;
8. otherwise TOTAL-PASSED.

Messages: the conclusion first, then time, revocation, algorithm and modification notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from signsvc.errors import Message
from signsvc.names import Indication
from signsvc.names import SubIndication as Sub

from . import messages
from .report import Messages, TimestampInfo, vn_time

PASSED, FAILED = Indication.TOTAL_PASSED, Indication.TOTAL_FAILED
INDETERMINATE = Indication.INDETERMINATE

FAILURE_SUBINDICATIONS = frozenset({Sub.FORMAT_FAILURE, Sub.HASH_FAILURE, Sub.SIG_CRYPTO_FAILURE,
                                    Sub.REVOKED, Sub.NOT_YET_VALID})
_PROBLEM_MESSAGES: dict[str, str] = {
    Sub.NO_CERTIFICATE_CHAIN_FOUND: "untrusted",
    Sub.CHAIN_CONSTRAINTS_FAILURE: "chain_constraints",
    Sub.CERTIFICATE_CHAIN_GENERAL_FAILURE: "chain_failure",
    Sub.OUT_OF_BOUNDS_NO_POE: "expired",
    Sub.OUT_OF_BOUNDS_NOT_REVOKED: "expired",
    Sub.EXPIRED: "expired",
    Sub.NOT_YET_VALID: "not_yet_valid",
    Sub.CRYPTO_CONSTRAINTS_FAILURE: "crypto_constraints",
    Sub.CRYPTO_CONSTRAINTS_FAILURE_NO_POE: "crypto_constraints",
    Sub.NO_POE: "no_poe",
    Sub.NO_SIGNING_CERTIFICATE_FOUND: "no_signing_certificate",
    Sub.SIG_CRYPTO_FAILURE: "crypto_failure",
}
_MODIFICATION_MESSAGES = {"form_filling": "modified_form_filling",
                          "annotations": "modified_annotations", "other": "modified_other"}


@dataclass(frozen=True)
class Facts:
    intact: bool
    valid: bool
    trusted: bool
    problem: str | None = None           # AdES sub-indication name reported for the chain
    revocation: str = "not_checked"
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    ca_revoked: bool = False
    timestamp: TimestampInfo | None = None
    claimed_time: datetime | None = None
    validated_at_timestamp: bool = False  # the chain was checked at the timestamp's time
    revoked_later_at: datetime | None = None
    revoked_later_reason: str | None = None
    weaknesses: tuple[Message, ...] = ()
    modifications: str = "none"
    coverage: str = "entire_file"
    modifications_permitted: bool = True
    trailing_data: bool = False
    parse_failure: str | None = None      # reason the CMS could not be read
    unsupported: Message | None = None    # unsupported format/algorithm
    processing_error: str | None = None
    sub_indication_hint: str | None = None  # AdES sub-indication from a pyHanko error
    extra: tuple[Message, ...] = field(default=())
    docmdp: int | None = None             # the certification's DocMDP P, None for approval
    structure_finding: Message | None = None  # a forbidden structural change (hybrid conflict…)
    cap: tuple[str, Message] | None = None    # at most INDETERMINATE: (sub-indication, reason)


@dataclass(frozen=True)
class Decision:
    indication: str
    sub_indication: str | None
    messages: Messages
    flags: tuple[str, ...]


def _best_time(facts: Facts) -> datetime | None:
    ts = facts.timestamp
    if ts is not None and ts.valid:
        return ts.time
    return facts.claimed_time


def _revoked(facts: Facts) -> tuple[str, str | None, Message]:
    date = vn_time(facts.revoked_at) or "?"
    if facts.ca_revoked:
        return INDETERMINATE, Sub.REVOKED_CA_NO_POE, messages.revocation_text(
            "ca_revoked", date=date, reason=facts.revocation_reason)
    best = _best_time(facts)
    if best is not None and facts.revoked_at is not None and best >= facts.revoked_at:
        return FAILED, Sub.REVOKED, messages.revocation_text(
            "revoked", date=date, reason=facts.revocation_reason)
    return INDETERMINATE, Sub.REVOKED_NO_POE, messages.revocation_text(
        "revoked_no_poe", date=date, reason=facts.revocation_reason)


def _conclusion(facts: Facts) -> tuple[str, str | None, Message | None]:
    if facts.parse_failure is not None:
        return FAILED, Sub.FORMAT_FAILURE, messages.text("format_failure",
                                                          reason=facts.parse_failure)
    if facts.unsupported is not None:
        return INDETERMINATE, facts.sub_indication_hint or Sub.GENERIC, facts.unsupported
    if facts.processing_error is not None:
        hint = facts.sub_indication_hint or Sub.GENERIC
        status = FAILED if hint in FAILURE_SUBINDICATIONS else INDETERMINATE
        if hint == Sub.FORMAT_FAILURE and facts.intact:
            status = INDETERMINATE  # a structure pyHanko refuses, over content shown unchanged
        key = _PROBLEM_MESSAGES.get(hint)
        msg = messages.text(key) if key else messages.text("processing_error", reason=facts.processing_error)
        return status, hint, msg
    if not facts.intact:
        return FAILED, Sub.HASH_FAILURE, messages.text("hash_failure")
    if not facts.valid:
        return FAILED, Sub.SIG_CRYPTO_FAILURE, messages.text("crypto_failure")
    forbidden = _forbidden_change(facts)
    if forbidden is not None:
        if facts.cap is not None:
            return INDETERMINATE, facts.cap[0], facts.cap[1]
        return FAILED, Sub.FORMAT_FAILURE, forbidden
    if facts.revocation == "revoked":
        return _revoked(facts)
    if facts.cap is not None:
        return INDETERMINATE, facts.cap[0], facts.cap[1]
    if facts.problem is not None:
        status = FAILED if facts.problem in FAILURE_SUBINDICATIONS else INDETERMINATE
        if facts.problem == Sub.TRY_LATER:
            key = "revocation_not_checked" if facts.revocation == "not_checked" else "revocation_unknown"
            return status, facts.problem, messages.text(key)
        key = _PROBLEM_MESSAGES.get(facts.problem)
        msg = messages.text(key) if key else messages.text("generic_indeterminate", reason=facts.problem)
        return status, facts.problem, msg
    if facts.revocation == "unknown":
        return INDETERMINATE, Sub.TRY_LATER, messages.text("revocation_unknown")
    ts = facts.timestamp
    if ts is not None and not (ts.intact and ts.signature_valid):
        return INDETERMINATE, Sub.SIG_CONSTRAINTS_FAILURE, messages.text("timestamp_invalid")
    if ts is not None and not ts.trusted:
        return INDETERMINATE, Sub.SIG_CONSTRAINTS_FAILURE, messages.text("timestamp_untrusted")
    if facts.modifications == "other":  # not classified, and not shown to be forbidden
        return INDETERMINATE, Sub.FORMAT_FAILURE, messages.text("modified_other")
    return PASSED, None, None


_WHAT = {"form_filling": ("điền biểu mẫu", "form filling"), "annotations": ("thêm chú thích", "annotations"),
         "other": ("thay đổi khác", "other changes")}


def _forbidden_change(facts: Facts) -> Message | None:
    """The rule a change after signing breaks (positive evidence), or ``None``."""
    if facts.structure_finding is not None:
        return facts.structure_finding
    if facts.modifications_permitted:
        return None
    if facts.docmdp is not None and facts.modifications in ("form_filling", "annotations"):
        vi, en = _WHAT[facts.modifications]
        msg = messages.text("forbidden_docmdp", what="{what}", p=str(facts.docmdp))
        return Message(msg.vi.replace("{what}", vi), msg.en.replace("{what}", en))
    return messages.text("forbidden_change")


def _modification_notes(facts: Facts) -> list[Message]:
    notes = []
    if facts.coverage == "partial":
        notes.append(messages.text("coverage_partial"))
    key = _MODIFICATION_MESSAGES.get(facts.modifications)
    if key:
        notes.append(messages.text(key))
    if not facts.modifications_permitted and facts.docmdp is not None:
        notes.append(messages.text("modifications_not_permitted"))
    if facts.trailing_data:
        notes.append(messages.text("trailing_bytes"))
    return notes


def decide(facts: Facts) -> Decision:
    """The indication, sub-indication, messages and flags for one signature."""
    indication, sub, main = _conclusion(facts)
    found: list[Message] = []
    if indication == PASSED:
        untouched = facts.modifications in ("none", "form_filling") and not facts.trailing_data
        found.append(messages.text("passed" if untouched else "signature_ok"))
    elif main is not None:
        found.append(main)
    flags = []
    if facts.timestamp is None:
        flags.append("NotTimestamped")
        found.append(messages.text("not_timestamped"))
    if facts.validated_at_timestamp and facts.timestamp is not None:
        flags.append("ValidatedAtTimestamp")
        found.append(messages.text("valid_at_signing_time", date=vn_time(facts.timestamp.time) or "?"))
    if facts.revoked_later_at is not None:
        flags.append("RevokedAfterSigning")
        found.append(messages.revocation_text("revoked_after_signing", date=vn_time(facts.revoked_later_at) or "?",
                                              reason=facts.revoked_later_reason))
    if facts.revocation == "not_checked" and indication == PASSED:
        found.append(messages.text("revocation_not_checked"))
    if facts.weaknesses:
        flags.append("WeakAlgorithm")
        found.extend(facts.weaknesses)
    found.extend(facts.extra)
    found.extend(_modification_notes(facts))
    unique = list(dict.fromkeys(found))
    return Decision(indication, sub,
                    Messages(vi=tuple(m.vi for m in unique), en=tuple(m.en for m in unique)),
                    tuple(flags))
