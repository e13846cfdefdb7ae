"""Personal identifiers from certificates, masked for the roles that do not need them (SEC-5).

Vietnamese certificates carry the holder's identity-card or tax number in the subject's
serialNumber or UID (``CMND:012345678``, ``CCCD:001234567890``, ``MST:0101234567``; also
``CMT``, ``HC``/``HO CHIEU`` passports). SEC-5 (Law 86/2015 Arts. 16-19): they appear in full
in validation reports for authorised roles only, and masked in logs except for the last 4
digits. Decision (the rules do not name the roles): ``auditor`` and ``admin`` -- the roles
that examine evidence and the audit log -- see them in full; every other role (portal,
clerk, official) gets them masked the same way as in logs, e.g. ``CMND:*****5678``.

Guarantees of :func:`mask_for`: it returns a copy (the input is not changed); every string
anywhere in the structure (report, key listing) is masked, so an identifier is hidden
wherever it is repeated (subject DN, ``uid``, chain, messages); certificate serials,
hashes and other values without such a prefix are left as they are; a value of a subject
serialNumber or UID attribute in an RFC 4514 name (``2.5.4.5=``, ``serialNumber=``,
``UID=``, ``0.9.2342.19200300.100.1.1=``) of 6 or more digits is masked even without a
prefix. Pure: no I/O.
"""

from __future__ import annotations

import re
from typing import Any

from signsvc.permissions import Permission, may, roles_for

#: roles that see personal identifiers in full (SEC-5: authorised roles; signsvc.permissions)
FULL_VIEW_ROLES = frozenset(roles_for(Permission.SEE_IDENTIFIERS))
#: digits kept at the end of a masked identifier (SEC-5: "the last 4 digits")
KEEP = 4

_PREFIXED = re.compile(
    r"(?P<prefix>\b(?:CMND|CCCD|CMT|MST|HC|HO\s?CHIEU|HOCHIEU|PASSPORT|CCCD/CMND)\s*[:=]\s*)"
    r"(?P<value>[0-9A-Za-z][0-9A-Za-z-]{3,})", re.IGNORECASE)
_ATTRIBUTE = re.compile(
    r"(?P<prefix>(?:^|[,+/]\s*)(?:2\.5\.4\.5|serialNumber|UID|userId|"
    r"0\.9\.2342\.19200300\.100\.1\.1)\s*=\s*)(?P<value>\d{6,})", re.IGNORECASE)


def _hide(value: str) -> str:
    """All but the last 4 characters starred (all but the last half for a short value)."""
    keep = min(KEEP, len(value) // 2)
    return "*" * (len(value) - keep) + value[len(value) - keep:]


def mask_text(text: str) -> str:
    """``text`` with every personal identifier masked but its last 4 characters."""
    def sub(m: re.Match) -> str:
        return m.group("prefix") + _hide(m.group("value"))
    return _ATTRIBUTE.sub(sub, _PREFIXED.sub(sub, text))


def mask(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, tuples, strings, scalars) with every string masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask(v) for v in value)
    return value


def sees_identifiers(role: str | None) -> bool:
    """True for the roles that see personal identifiers in full."""
    return may(role, Permission.SEE_IDENTIFIERS)


def mask_for(role: str | None, value: Any) -> Any:
    """``value`` as ``role`` may see it: unchanged for auditors and admins, masked otherwise."""
    return value if sees_identifiers(role) else mask(value)
