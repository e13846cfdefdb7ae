"""The audit log's integrity at start-up and, cheaply, for every view of the auditor's page.

``startup_check`` runs when the service starts: the full chain (hash chain and MACs, from
the newest acknowledgement), the database's checkpoints against the external copies, and
the newest external checkpoint's head against the log (a cut or re-chained tail). Anything
the operator has not acknowledged fails the service closed.

``page_status`` is what the auditor's page shows on every view: the chain verified
incrementally (only the records since the last verified one) and the newest checkpoint,
whose signature is checked once and remembered, and every record on the page checked
against the one before it. It costs a few indexed reads per record shown, not one read per
record in the log: the full verification is ``signsvc audit verify`` / GET /v1/audit/verify.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from signsvc.audit.checkpoints import PROBLEMS, Finding
from signsvc.audit.external import compare_checkpoints, unacknowledged

log = logging.getLogger(__name__)


def startup_check(service: Any) -> list[Finding]:
    """Check as described above; the unacknowledged findings (the service is then broken).

    Never raises: a store or folder that cannot be read is left to the readiness probe."""
    store = service._store
    try:
        status = store.integrity()                       # the chain, in full the first time
        found: list[Finding] = []
        if status.get("broken"):
            b = status["broken"]
            found.append(Finding(b.get("problem") or "unreadable", b.get("sequence"),
                                 detail=b.get("detail")))
        external = service._external
        if external is not None:
            if external.fresh():
                _seed(service, store, external)
            outside, outside_mac_from, problems = external.scan()
            found += compare_checkpoints(service._checkpoints.list(), outside)
            if outside_mac_from is not None and outside_mac_from != store.guard.mac_from:
                found.append(Finding("keyed-marker", detail=(
                    f"the external checkpoints say record #{outside_mac_from}, the database "
                    f"says {store.guard.mac_from}")))
            found += [Finding("checkpoint-invalid", detail=p) for p in problems]
            if outside:
                cp = outside[-1].checkpoint
                item = store.record_at(cp.head_sequence)
                if item is None:
                    found.append(Finding("truncated", store.head()[0] + 1, cp.head_sequence,
                                         cp.index))
                elif item[0].record_hash != cp.head_hash:
                    found.append(Finding("rewritten", None, cp.head_sequence, cp.index))
        ack, ack_cp = service.acknowledged()
        open_findings = unacknowledged(found, ack, ack_cp)
    except Exception:
        log.exception("audit start-up check could not run")
        return []
    if open_findings and not status.get("broken"):
        f = open_findings[0]
        store.trip({"problem": f.problem, "sequence": f.sequence, "end_sequence": f.end_sequence,
                    "checkpoint": f.checkpoint, "detail": f.detail})
    return open_findings


def _seed(service: Any, store: Any, external: Any) -> None:
    """A folder never used before gets the database's checkpoints whose heads are still in
    the log with the signed hash (the others are left to be reported)."""
    copied = 0
    for signed in service._checkpoints.list():
        cp = signed.checkpoint
        item = store.record_at(cp.head_sequence) if type(cp.head_sequence) is int else None
        if item is not None and item[0].record_hash == cp.head_hash:
            copied += bool(external.add(signed, store.guard.mac_from))
    external.mark()
    log.info("audit checkpoint folder seeded with %d checkpoint(s) from the database", copied)


def page_status(service: Any, shown: Sequence[int] = ()) -> dict[str, Any]:
    """The body the auditor's page shows (the keys of GET /v1/audit/verify's that it uses).

    ``shown``: the sequences of the records on the page, each checked against the record
    before it (link, hash, MAC), so an edited record the auditor is looking at is never
    shown as intact; a break found there fails the service closed too."""
    store = service._store
    status = store.integrity()
    if not status.get("broken") and shown:
        found = store.verify_records(list(shown))
        if found is not None:
            store.trip(found)
            status = store.integrity()
    broken = status.get("broken")
    findings = []
    if broken:
        problem = broken.get("problem") if broken.get("problem") in PROBLEMS else "unreadable"
        findings.append(Finding(problem, broken.get("sequence"), broken.get("end_sequence"),
                                broken.get("checkpoint"), broken.get("detail")))
    last = service._previous()
    last_info = None
    if last is not None:
        check = _signature(service, last)
        last_info = {**last.as_dict(), "signature_checked": check is not None,
                     "signature_valid": None if check is None else check.ok,
                     "timestamp_time": None if check is None else check.timestamp_time}
    verified = status.get("verified_sequence") or 0
    covered = last.checkpoint.head_sequence if last is not None else 0
    return {"ok": not findings, "checked": verified, "incremental": True,
            "first_bad_sequence": findings[0].sequence if findings else None,
            "reason": "; ".join(f.message()["en"] for f in findings) or None,
            "head_sequence": verified, "last_checkpoint": last_info,
            "uncovered_records": max(0, verified - covered), "keyed": status.get("keyed"),
            "keyed_from_sequence": status.get("keyed_from_sequence"),
            "findings": [f.as_dict() for f in findings],
            "messages": {"vi": [f.message()["vi"] for f in findings],
                         "en": [f.message()["en"] for f in findings]}}


def _signature(service: Any, signed: Any) -> Any:
    """The newest checkpoint's signature check, done once per checkpoint and remembered."""
    if service._checker is None:
        return None
    key = (signed.checkpoint.index, signed.checkpoint.payload_sha256())
    cache = service._signature_cache
    if key not in cache:
        cache.clear()
        cache[key] = service._checker(signed.checkpoint.payload(), signed.signature,
                                      signed.timestamp_token)
    return cache[key]
