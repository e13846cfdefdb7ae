"""``signsvc policy check|show|reload``: the information-security policy file."""

from __future__ import annotations

import argparse
import os
import signal

from signsvc.app.console import (
    POLICY_CHECK_SECONDS,
    policy_in_force_text,
    read_policy_file,
    record_policy,
)
from signsvc.audit.events import AuditEvent
from signsvc.audit_tags import AuditTag
from signsvc.cli.context import audit_service, request_context
from signsvc.names import AuditOutcome
from signsvc.policy.loader import PolicyError
from signsvc.settings import Settings


def cmd_policy(settings: Settings, args: argparse.Namespace) -> int:
    """check: validate the file; show: print the policy in force; reload: validate, record
    it in the database as the policy in force (audited when it changes: every instance on
    the database switches to it within seconds), then also ask the service of this state
    folder's pid file to reload (SIGHUP to gunicorn). A bad file is audited."""
    if args.sub == "show":
        text = policy_in_force_text(settings)
        print(text if text is not None else settings.policy.path.read_text(encoding="utf-8"))
        return 0
    try:
        policy = read_policy_file(settings)
    except PolicyError as exc:
        if args.sub == "reload":
            ctx = request_context()
            audit_service(settings).record(AuditEvent(
                action=AuditTag.POLICY_POLICY_RELOAD_FAILED, outcome=AuditOutcome.FAILURE,
                actor=ctx.actor,
                role=ctx.role, request_id=ctx.request_id, client_address="local",
                error_code=exc.code, details={"error": exc.message.en[:500]}))
        raise
    print(f"Chính sách hợp lệ / policy valid: version {policy.version}, sha256 {policy.sha256}, "
          f"{len(policy.rules)} rules")
    if args.sub == "check":
        return 0
    if record_policy(settings, audit_service(settings), policy, request_context()):
        print(f"Đã ghi nhận chính sách đang áp dụng; mọi phiên bản dịch vụ dùng chung cơ sở dữ "
              f"liệu chuyển sang trong {POLICY_CHECK_SECONDS:g} giây / recorded as the policy in "
              f"force; every instance on the database switches to it within "
              f"{POLICY_CHECK_SECONDS:g} s.")
    pidfile = settings.paths.pidfile
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        print("Không có dịch vụ chạy với tệp pid của thư mục trạng thái này; dịch vụ không chạy "
              "sẽ dùng chính sách khi khởi động / no service runs with this state folder's pid "
              "file; a service that is not running applies the policy at its next start.")
        return 0
    print(f"Đã yêu cầu dịch vụ (pid {pid}) nạp lại chính sách / asked the service to reload.")
    return 0


def add_commands(sub) -> None:
    """The ``policy`` group (``sub``: the top-level argparse subparsers)."""
    policy = sub.add_parser("policy", help="information-security policy").add_subparsers(
        dest="sub", required=True)
    for name, text in (("check", "validate the policy file"), ("show", "print the policy in force"),
                       ("reload", "validate the policy file and make the running service load it")):
        policy.add_parser(name, help=text).set_defaults(func=cmd_policy)
