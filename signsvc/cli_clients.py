"""``signsvc clients totp enroll|remove NAME``, ``clients set-role NAME ROLE`` and
``clients disable NAME``: the second factor of page logins and revoking accounts (audited
with actor ``cli:<user>``; a running service sees the change at the next request)."""

from __future__ import annotations

import argparse

from signsvc.settings import ROLES, Settings


def _login_service(settings: Settings):
    from signsvc.adapters.clients_sqlite import SqliteClientStore
    from signsvc.adapters.logins_sqlite import SqliteLoginStore
    from signsvc.cli import _audit_service
    from signsvc.services.login_service import LoginService

    state = settings.service.state_dir
    return LoginService(SqliteClientStore(state / "signsvc.sqlite3"), _audit_service(settings),
                        SqliteLoginStore(state / "signsvc.sqlite3", state / "totp-key"), settings.pages)


def _client_service(settings: Settings):
    from signsvc.adapters.clients_sqlite import SqliteClientStore
    from signsvc.cli import _audit_service
    from signsvc.services.client_service import ClientService

    return ClientService(SqliteClientStore(settings.service.state_dir / "signsvc.sqlite3"),
                         _audit_service(settings), {k.id for k in settings.keys})


def cmd_totp(settings: Settings, args: argparse.Namespace) -> int:
    """enroll: a new TOTP secret, printed once (URI and secret) and stored encrypted; the
    account's page sessions end. remove: delete it (a clerk can then no longer log in)."""
    from signsvc.cli import _ctx

    service = _login_service(settings)
    if args.action == "remove":
        service.remove_totp(_ctx(), args.name)
        print(f"Đã xóa TOTP / TOTP removed for {args.name}")
        return 0
    secret, uri = service.enroll_totp(_ctx(), args.name, issuer=args.issuer)
    print(f"Đã đăng ký TOTP / TOTP enrolled for {args.name}. Quét mã hoặc nhập khóa vào ứng dụng "
          "xác thực; chỉ hiện một lần / scan or type it into the authenticator app; shown only once:")
    print(f"secret: {secret}")
    print(uri)
    return 0


def cmd_set_role(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.cli import _ctx

    client = _client_service(settings).set_role(_ctx(), args.name, args.role)
    print(f"Đã đổi vai trò / role changed: {client.name} -> {client.role}")
    return 0


def cmd_disable(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.cli import _ctx

    _client_service(settings).disable(_ctx(), args.name)
    print(f"Đã thu hồi máy khách / client disabled: {args.name} (mã truy cập và phiên đăng nhập "
          "hết hiệu lực / its token and page sessions no longer work)")
    return 0


def add_client_commands(clients) -> None:
    """Add the commands above to the ``clients`` sub-parsers."""
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
