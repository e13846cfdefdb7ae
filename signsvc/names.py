"""The shared words of signsvc as typed names.

Each class is a ``StrEnum``: a member *is* its string value, so it compares equal to the
plain string, serialises to it in JSON, is stored as it in SQLite and in the audit log,
and ``str(member)`` / f-strings give the value. Nothing on the wire, in a database or in
an existing audit record changes; code names a word once instead of typing it out.

This module imports nothing of signsvc, so every layer may use it.
"""

from __future__ import annotations

from enum import StrEnum


class PadesLevel(StrEnum):
    """PAdES baseline levels (ETSI EN 319 142-1), lowest first."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


#: every PAdES level, lowest first (settings, request parameters, ``--level``)
PADES_LEVELS: tuple[PadesLevel, ...] = tuple(PadesLevel)
#: the levels with a trusted timestamp over the signature (B-T and up)
TIMESTAMPED_LEVELS: tuple[PadesLevel, ...] = (PadesLevel.B_T, PadesLevel.B_LT, PadesLevel.B_LTA)
#: the long-term levels (validation data embedded): those an existing signature can be
#: extended to (``/v1/extend``, ``signsvc extend``)
LONG_TERM_LEVELS: tuple[PadesLevel, ...] = (PadesLevel.B_LT, PadesLevel.B_LTA)


class Role(StrEnum):
    """The role of an API client or a page account (what it may do: ``signsvc.permissions``)."""

    PORTAL = "portal"        # the e-service portal: signs with the agency seal over the API
    OFFICIAL = "official"    # a competent official: signs in the browser with a USB token
    CLERK = "clerk"          # the clerk (văn thư): agency seal, copies
    AUDITOR = "auditor"      # reads and exports the audit log, sees identifiers
    ADMIN = "admin"          # operates the service


#: every role, in the order the command line and the errors list them
ROLES: tuple[Role, ...] = tuple(Role)


class KeyKind(StrEnum):
    """What a server-held signing key is for (``[keys.ID] kind``)."""

    AGENCY_SEAL = "agency-seal"   # the agency's seal (con dấu cơ quan)
    OFFICIAL = "official"         # an official's key held by the service
    REPORT = "report"             # signs the service's own documents (verification reports)


#: every key kind, in the order the configuration errors list them
KEY_KINDS: tuple[KeyKind, ...] = tuple(KeyKind)


class AuditOutcome(StrEnum):
    """How an audited operation ended."""

    SUCCESS = "success"
    FAILURE = "failure"      # refused for a reason the caller can act on (a client error)
    DENIED = "denied"        # refused by a rule (policy, permission)
    ERROR = "error"          # an unexpected exception, audited by a catch-all


class Indication(StrEnum):
    """ETSI EN 319 102-1 main status indications."""

    TOTAL_PASSED = "TOTAL-PASSED"
    TOTAL_FAILED = "TOTAL-FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(StrEnum):
    """ETSI EN 319 102-1 sub-indications, named as pyHanko's ``AdESFailure`` (the first five,
    with TOTAL-FAILED) and ``AdESIndeterminate`` (the others, with INDETERMINATE; NOT_YET_VALID
    is in both) name them, which are the ones the validator reports."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    NOT_YET_VALID = "NOT_YET_VALID"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    EXPIRED = "EXPIRED"
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    SIGNATURE_POLICY_NOT_AVAILABLE = "SIGNATURE_POLICY_NOT_AVAILABLE"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    REVOCATION_OUT_OF_BOUNDS_NO_POE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    GENERIC = "GENERIC"


class Verdict(StrEnum):
    """What a person should conclude about a whole document (``validation.verdict``), in the
    order the reports and the API document list them."""

    VALID = "valid"
    VALID_MODIFIED_AFTER = "valid_modified_after"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"
    UNSIGNED = "unsigned"


class Severity(StrEnum):
    """What a failed policy rule does (its ``level`` in the policy file): ``deny`` refuses
    the operation, ``warn`` and ``info`` are reported as warnings and notices."""

    DENY = "deny"
    WARN = "warn"
    INFO = "info"


#: every severity, strongest first (the policy file's ``level = ...``)
SEVERITIES: tuple[Severity, ...] = tuple(Severity)
