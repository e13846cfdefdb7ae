"""The permissions table states who may do what; every role check reads it."""

from __future__ import annotations

import pytest

from signsvc.names import ROLES, KeyKind, Role
from signsvc.permissions import (
    PERMISSIONS,
    Permission,
    may,
    may_sign_with,
    permissions_of,
    roles_for,
)

P = Permission


def test_every_permission_is_given_to_known_roles_once() -> None:
    assert set(PERMISSIONS) == set(Permission)
    for permission, roles in PERMISSIONS.items():
        assert roles, permission
        assert len(set(roles)) == len(roles), permission
        assert set(roles) <= set(ROLES), permission


@pytest.mark.parametrize(("role", "expected"), [
    (Role.PORTAL, {P.SIGN_DOCUMENT, P.EXTEND_DOCUMENT, P.SIGN_AGENCY_SEAL, P.ASSIGN_DOCUMENT}),
    (Role.OFFICIAL, {P.SIGN_IN_SESSION, P.BE_ASSIGNED, P.PAGES_LOGIN}),
    (Role.CLERK, {P.SIGN_DOCUMENT, P.EXTEND_DOCUMENT, P.SIGN_AGENCY_SEAL, P.SIGN_COPIES,
                  P.SIGN_IN_SESSION, P.ASSIGN_DOCUMENT, P.PAGES_LOGIN}),
    (Role.AUDITOR, {P.READ_ANY_DOCUMENT, P.AUDIT_READ, P.POLICY_READ, P.LIST_IMAGES,
                    P.SEE_IDENTIFIERS, P.PAGES_LOGIN, P.AUDITOR_PAGES}),
    (Role.ADMIN, {P.ASSIGN_DOCUMENT, P.READ_ANY_DOCUMENT, P.AUDIT_READ, P.POLICY_READ,
                  P.MANAGE_IMAGES, P.LIST_IMAGES, P.SEE_IDENTIFIERS, P.AUDITOR_PAGES,
                  P.SIGN_SERVER_FOLDER}),
])
def test_what_each_role_may_do(role: Role, expected: set[Permission]) -> None:
    assert permissions_of(role) == expected
    assert permissions_of(str(role)) == expected   # a role read back from storage is a string


def test_no_role_or_an_unknown_one_may_nothing() -> None:
    assert permissions_of(None) == frozenset()
    assert permissions_of("superuser") == frozenset()
    assert not may(None, P.SIGN_DOCUMENT)


def test_only_auditors_and_admins_read_the_audit_log_and_see_identifiers() -> None:
    for permission in (P.AUDIT_READ, P.SEE_IDENTIFIERS, P.AUDITOR_PAGES, P.READ_ANY_DOCUMENT):
        assert {r for r in ROLES if may(r, permission)} == {Role.AUDITOR, Role.ADMIN}
    assert not may("admin", P.PAGES_LOGIN)   # admins operate over the API and the command line


def test_agency_seal_keys_need_the_seal_permission_other_kinds_do_not() -> None:
    assert [r for r in ROLES if may_sign_with(r, KeyKind.AGENCY_SEAL)] == [Role.PORTAL, Role.CLERK]
    assert all(may_sign_with(r, "official") for r in ROLES)
    assert roles_for(P.SIGN_AGENCY_SEAL) == ("clerk", "portal")   # the policy's default order
    assert roles_for(P.SIGN_COPIES) == ("clerk",)
