"""Who may do what: the one table of roles and permissions.

Every role check in signsvc asks this table (``may``, ``roles_for``) instead of typing out
a tuple of role names. The table states the service's behaviour; the information-security
policy may narrow some of it further per deployment (``custody.seal-roles`` and
``workflow.copies`` take their defaults from here, ``custody.key-roles`` limits a key).

Pure: no I/O; imports only ``signsvc.names``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from signsvc.names import KeyKind, Role


class Permission(StrEnum):
    """Something a caller may be allowed to do."""

    SIGN_DOCUMENT = "sign-document"              # POST /v1/sign with a key granted to it
    EXTEND_DOCUMENT = "extend-document"          # POST /v1/extend (B-LT, B-LTA)
    SIGN_AGENCY_SEAL = "sign-agency-seal"        # sign with an ``agency-seal`` key
    SIGN_COPIES = "sign-copies"                  # stamp copies (SAO Y, SAO LỤC, TRÍCH SAO)
    SIGN_IN_SESSION = "sign-in-session"          # sign an assigned document with one's token
    BE_ASSIGNED = "be-assigned"                  # receive documents to sign; own signature images
    ASSIGN_DOCUMENT = "assign-document"          # put a document in an official's queue
    READ_ANY_DOCUMENT = "read-any-document"      # see documents one neither received nor created
    AUDIT_READ = "audit-read"                    # read, verify and export the audit log
    POLICY_READ = "policy-read"                  # read the policy; evaluate it for another client
    MANAGE_IMAGES = "manage-images"              # register signature and seal images
    LIST_IMAGES = "list-images"                  # list the registered images
    SEE_IDENTIFIERS = "see-identifiers"          # CMND/CCCD/MST in full (SEC-5); others masked
    PAGES_LOGIN = "pages-login"                  # log in to the web pages
    AUDITOR_PAGES = "auditor-pages"              # the auditor's pages (verify, reports, audit log)
    SIGN_SERVER_FOLDER = "sign-server-folder"    # POST /v1/jobs from a folder on the server


_R = Role
_TABLE: dict[Permission, tuple[Role, ...]] = {
    Permission.SIGN_DOCUMENT: (_R.PORTAL, _R.CLERK),
    Permission.EXTEND_DOCUMENT: (_R.PORTAL, _R.CLERK),
    Permission.SIGN_AGENCY_SEAL: (_R.CLERK, _R.PORTAL),
    Permission.SIGN_COPIES: (_R.CLERK,),
    Permission.SIGN_IN_SESSION: (_R.OFFICIAL, _R.CLERK),
    Permission.BE_ASSIGNED: (_R.OFFICIAL,),
    Permission.ASSIGN_DOCUMENT: (_R.PORTAL, _R.CLERK, _R.ADMIN),
    Permission.READ_ANY_DOCUMENT: (_R.AUDITOR, _R.ADMIN),
    Permission.AUDIT_READ: (_R.AUDITOR, _R.ADMIN),
    Permission.POLICY_READ: (_R.ADMIN, _R.AUDITOR),
    Permission.MANAGE_IMAGES: (_R.ADMIN,),
    Permission.LIST_IMAGES: (_R.ADMIN, _R.AUDITOR),
    Permission.SEE_IDENTIFIERS: (_R.AUDITOR, _R.ADMIN),
    Permission.PAGES_LOGIN: (_R.OFFICIAL, _R.CLERK, _R.AUDITOR),
    Permission.AUDITOR_PAGES: (_R.AUDITOR, _R.ADMIN),
    Permission.SIGN_SERVER_FOLDER: (_R.ADMIN,),   # the operator (no role of its own)
}

#: permission -> the roles that have it (read-only; every permission is listed)
PERMISSIONS: Mapping[Permission, tuple[Role, ...]] = MappingProxyType(_TABLE)

#: the key kinds that need a permission to sign with; any other kind needs none beyond the
#: key being granted to the client
KEY_KIND_PERMISSIONS: Mapping[KeyKind, Permission] = MappingProxyType(
    {KeyKind.AGENCY_SEAL: Permission.SIGN_AGENCY_SEAL})


def roles_for(permission: Permission) -> tuple[Role, ...]:
    """The roles that have ``permission`` (a fixed order, for messages and defaults)."""
    return PERMISSIONS[permission]


def may(role: str | None, permission: Permission) -> bool:
    """True iff ``role`` has ``permission``; no role (an anonymous caller) has none."""
    return role is not None and role in PERMISSIONS[permission]


def permissions_of(role: str | None) -> frozenset[Permission]:
    """Every permission ``role`` has (empty for an unknown role or none)."""
    return frozenset(p for p in Permission if may(role, p))


def may_sign_with(role: str | None, kind: str) -> bool:
    """True iff ``role`` may sign with a key of ``kind`` by this table (the policy's
    ``custody.*`` rules may narrow it further)."""
    needed = KEY_KIND_PERMISSIONS.get(KeyKind(kind)) if kind in set(KeyKind) else None
    return needed is None or may(role, needed)
