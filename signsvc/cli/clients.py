"""``signsvc clients create|set-password|register-cert``, ``clients totp enroll|remove NAME``,
``clients set-role NAME ROLE`` and ``clients disable NAME``: API clients and page accounts,
the second factor of page logins and revoking accounts (audited with actor ``cli:<user>``;
a running service sees the change at the next request)."""

from __future__ import annotations

import argparse
import getpass
import hashlib
import sys
from pathlib import Path

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509

from signsvc.app import console
from signsvc.audit.events import AuditEvent
from signsvc.audit_tags import AuditTag
from signsvc.cli.context import audit_service, request_context
from signsvc.errors import BadRequest, Message
from signsvc.names import AuditOutcome
from signsvc.services.client_service import ClientService
from signsvc.services.login_service import LoginService
from signsvc.settings import ROLES, Settings


def _login_service(settings: Settings) -> LoginService:
    return console.console_login(settings, audit_service(settings))


def _client_service(settings: Settings) -> ClientService:
    return console.console_clients(settings, audit_service(settings))


def cmd_totp(settings: Settings, args: argparse.Namespace) -> int:
    """enroll: a new TOTP secret, printed once (URI and secret) and stored encrypted; the
    account's page sessions end. remove: delete it (a clerk can then no longer log in)."""
    service = _login_service(settings)
    if args.action == "remove":
        service.remove_totp(request_context(), args.name)
        print(f"Đã xóa TOTP / TOTP removed for {args.name}")
        return 0
    secret, uri = service.enroll_totp(request_context(), args.name, issuer=args.issuer)
    print(f"Đã đăng ký TOTP / TOTP enrolled for {args.name}. Quét mã hoặc nhập khóa vào ứng dụng "
          "xác thực; chỉ hiện một lần / scan or type it into the authenticator app; shown only once:")
    print(f"secret: {secret}")
    print(uri)
    return 0


def cmd_set_role(settings: Settings, args: argparse.Namespace) -> int:
    client = _client_service(settings).set_role(request_context(), args.name, args.role)
    print(f"Đã đổi vai trò / role changed: {client.name} -> {client.role}")
    return 0


def cmd_disable(settings: Settings, args: argparse.Namespace) -> int:
    _client_service(settings).disable(request_context(), args.name)
    print(f"Đã thu hồi máy khách / client disabled: {args.name} (mã truy cập và phiên đăng nhập "
          "hết hiệu lực / its token and page sessions no longer work)")
    return 0


def cmd_clients_create(settings: Settings, args: argparse.Namespace) -> int:
    keys = tuple(k for k in (args.keys or "").split(",") if k)
    service = _client_service(settings)
    client, token = service.create(args.name, args.role, keys, request_context())
    print(f"Đã tạo máy khách / client created: {client.name} (role {client.role}, "
          f"keys {','.join(client.keys) or '-'})")
    print("Mã truy cập chỉ hiện một lần / the token is shown only once:")
    print(token)
    return 0


def cmd_clients_register_cert(settings: Settings, args: argparse.Namespace) -> int:
    """Register a certificate (PEM or DER file) to an official's account (audited)."""
    audit = audit_service(settings)
    client = next((c for c in console.console_clients(settings, audit).list()
                   if c.name == args.name), None)
    if client is None:
        raise BadRequest(Message(f"Không có máy khách '{args.name}'.", f"There is no client '{args.name}'."))
    raw = Path(args.certificate).read_bytes()
    try:
        der = asn1_pem.unarmor(raw)[2] if asn1_pem.detect(raw) else raw
        cert = asn1_x509.Certificate.load(der)
        subject = cert.subject.human_friendly
    except ValueError:
        raise BadRequest(Message("Tệp không phải chứng thư số X.509.",
                                 "The file is not an X.509 certificate.")) from None
    sha = hashlib.sha256(cert.dump()).hexdigest()
    console.register_certificate(settings, client.name, sha, subject)
    ctx = request_context()
    audit.record(AuditEvent(
        action=AuditTag.CLIENTS_CERTIFICATE_REGISTERED, outcome=AuditOutcome.SUCCESS,
        actor=ctx.actor, role=ctx.role,
        request_id=ctx.request_id, client_address="local", certificate_sha256=sha,
        certificate_serial=format(cert.serial_number, "X"), details={"client": client.name}))
    print(f"Đã đăng ký chứng thư / certificate registered for {client.name}: {subject} (sha256 {sha})")
    return 0


def cmd_clients_set_password(settings: Settings, args: argparse.Namespace) -> int:
    """Set the signing-page password of an official's or clerk's account (from stdin when
    it is not a terminal, else asked twice without echo)."""
    if sys.stdin.isatty():
        password = getpass.getpass("Mật khẩu / password: ")
        if password != getpass.getpass("Nhập lại / again: "):
            raise BadRequest(Message("Hai lần nhập không khớp.", "The two entries differ."))
    else:
        password = sys.stdin.readline().rstrip("\n")
    # also ends its sessions
    _login_service(settings).set_password(request_context(), args.name, password)
    print(f"Đã đặt mật khẩu / password set for {args.name}")
    return 0


def add_commands(sub) -> None:
    """The ``clients`` group (``sub``: the top-level argparse subparsers)."""
    clients = sub.add_parser("clients", help="API clients").add_subparsers(dest="sub", required=True)
    s = clients.add_parser("create", help="create a client; prints its token on the last line")
    s.add_argument("name")
    s.add_argument("--role", required=True, choices=ROLES)
    s.add_argument("--keys", help="comma-separated key ids the client may use")
    s.set_defaults(func=cmd_clients_create)
    s = clients.add_parser("set-password", help="set the signing-page password (stdin or prompt)")
    s.add_argument("name")
    s.set_defaults(func=cmd_clients_set_password)
    s = clients.add_parser("register-cert", help="register an official's certificate (PEM/DER)")
    s.add_argument("name")
    s.add_argument("certificate")
    s.set_defaults(func=cmd_clients_register_cert)
    # totp enroll|remove NAME, set-role NAME ROLE, disable NAME
    s = clients.add_parser("totp", help="second factor (TOTP) of an account's page logins")
    s.add_argument("action", choices=("enroll", "remove"))
    s.add_argument("name")
    s.add_argument("--issuer", default="signsvc", help="name shown in the authenticator app")
    s.set_defaults(func=cmd_totp)
    s = clients.add_parser("set-role", help="change a client's role (applies at its next request)")
    s.add_argument("name")
    s.add_argument("role", choices=ROLES)
    s.set_defaults(func=cmd_set_role)
    s = clients.add_parser("disable", help="revoke a client: token and page sessions stop at once")
    s.add_argument("name")
    s.set_defaults(func=cmd_disable)
