"""The tamper-evident audit log: events, canonical encoding, hash chain, verifier, store port.

Pure domain: imports no storage driver, web framework or PDF library.
"""

from signsvc.audit.chain import GENESIS_HASH, canonical_body, chain_hash, seal
from signsvc.audit.events import AuditEvent, AuditRecord, format_time, parse_time
from signsvc.audit.ports import AuditStore
from signsvc.audit.verifier import ChainVerification, verify_chain

__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "AuditRecord",
    "AuditStore",
    "ChainVerification",
    "canonical_body",
    "chain_hash",
    "format_time",
    "parse_time",
    "seal",
    "verify_chain",
]
