"""The ``signsvc`` command line: serve, sign, verify, keys, clients, audit.

Every command reads the same configuration as the service (``SIGNSVC_CONFIG``, default
``config/signsvc.toml``) and audits what it does with actor ``cli:<user>``. Errors are
printed in Vietnamese and English, with a non-zero exit status.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import uuid
from pathlib import Path

from signsvc.errors import SignsvcError
from signsvc.settings import LEVELS, ROLES, Settings, load_settings


def _ctx(keys: tuple[str, ...] = (), role: str = "admin"):
    from signsvc.services.context import RequestContext

    return RequestContext(request_id=uuid.uuid4().hex, actor=f"cli:{getpass.getuser()}",
                          role=role, client_address="local", keys=keys)


def _policy_or_none(settings: Settings):
    """The policy file's policy, else the last one in force, else None."""
    from signsvc.adapters.policy_file import ActivePolicy, load_policy_file
    from signsvc.policy.loader import PolicyError, parse_policy

    known = {k.id for k in settings.keys}
    try:
        return load_policy_file(settings.policy.path, known)
    except PolicyError:
        text = ActivePolicy(settings.service.state_dir).last_good()
        return parse_policy(text, known) if text is not None else None


def _audit_service(settings: Settings):
    """The audit log, stamping each record with the policy hash when a policy is known."""
    from signsvc.adapters.audit_sqlite import open_audit_store
    from signsvc.services.audit_service import AuditService
    from signsvc.services.policy_service import PolicyHolder, PolicyStampedAudit

    store = open_audit_store(settings)
    policy = _policy_or_none(settings)
    return PolicyStampedAudit(store, PolicyHolder(policy)) if policy else AuditService(store)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.wsgi import run_gunicorn

    run_gunicorn(settings, host=args.host, port=args.port, workers=args.workers,
                 threads=args.threads)
    return 0


#: ``signsvc sign`` options of a visible signature: the /v1/sign parameters of the same name
APPEARANCE_OPTIONS = ("profile", "page", "rect", "anchor", "anchor_position", "size", "over_field",
                      "doc_number", "copy_kind", "agency", "name", "email", "lines", "image",
                      "attachment_mode")


def cmd_sign(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.app import build_services
    from signsvc.signing.appearance.params import parse_appearance
    from signsvc.signing.pades import SignatureRequest

    services = build_services(settings)
    try:
        keys = tuple(s.id for s in settings.keys)
        # the operator at the console signs as the clerk (văn thư) holding the keys, under
        # the same policy as the API
        ctx = _ctx(keys, role="clerk")
        try:
            # the visible signature: the API's parameters, parsed by the same code
            appearance = parse_appearance({name: getattr(args, name) for name in APPEARANCE_OPTIONS
                                           if getattr(args, name) is not None})
            data = Path(args.input).read_bytes()
            if len(data) > settings.service.max_document_bytes:
                from signsvc.errors import DocumentTooLarge
                raise DocumentTooLarge()
        except SignsvcError as exc:
            services.signing.reject(ctx, exc, args.key, args.level)
            raise
        result = services.signing.sign(ctx, args.key, data, SignatureRequest(
            level=args.level or settings.service.default_level, reason=args.reason,
            location=args.location, field_name=args.field, eservice=args.eservice,
            appearance=appearance))
        out = Path(args.output)
        tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(result.data)
        tmp.replace(out)  # never a half-written output file
    finally:
        services.shutdown()
    print(f"Đã ký / signed: {args.output} (level {result.level}, key {result.key.id}, "
          f"sha256 {result.sha256}, audit #{result.audit_sequence})")
    return 0


def cmd_extend(settings: Settings, args: argparse.Namespace) -> int:
    """Upgrade the signatures of IN to B-LT/B-LTA, written atomically to OUT."""
    from signsvc.app import build_services

    services = build_services(settings)
    try:
        data = Path(args.input).read_bytes()
        result = services.extend.extend(_ctx(role="clerk"), data, args.level)
        out = Path(args.output)
        tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(result.data)
        tmp.replace(out)
    finally:
        services.shutdown()
    print(f"Đã nâng cấp / extended: {args.output} (level {result.level}, {result.signatures} "
          f"signature(s), {result.document_timestamps_added} document timestamp(s) added, "
          f"audit #{result.audit_sequence})")
    return 0


def _verify_with_report(settings: Settings, args: argparse.Namespace) -> int:
    """Verify IN and write its signed PDF report to ``--report`` (atomically; audited)."""
    from signsvc.app import build_services

    services = build_services(settings)
    try:
        data = Path(args.input).read_bytes()
        if len(data) > settings.service.max_document_bytes:
            from signsvc.errors import DocumentTooLarge
            raise DocumentTooLarge()
        body, issued = services.reports.verify_pdf(_ctx(), data)
        out = Path(args.report)
        tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(issued.data)
        tmp.replace(out)  # never a half-written report
    finally:
        services.shutdown()
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    print(f"Kết luận / verdict: {body['verdict']}  ({args.input})")
    print(f"Báo cáo PDF đã ký / signed PDF report: {args.report} (level {issued.level}, key "
          f"{issued.key_id}, sha256 {issued.sha256}, audit #{issued.audit_sequence})")
    return 0 if body["verdict"] == "valid" else 1


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    if args.batch:
        from signsvc.cli_batch import cmd_verify_batch
        return cmd_verify_batch(settings, args)
    if args.input is None:
        from signsvc.errors import BadRequest, Message
        raise BadRequest(Message("Thiếu tệp cần kiểm tra (hoặc dùng --batch TỆP...).",
                                 "No file to verify (or use --batch FILE...)."))
    if args.report:
        return _verify_with_report(settings, args)
    from signsvc.services.validation_service import ValidationService
    from signsvc.validation.trust import load_trust_anchors
    from signsvc.validation.validator import PdfValidator

    trust = load_trust_anchors(settings.trust.name, settings.trust.anchors,
                               settings.trust.intermediates, settings.trust.allow_sha1_roots)
    policy = _policy_or_none(settings)
    validator = PdfValidator(trust, policy_sha256=policy.sha256 if policy else None,
                             policy_version=policy.version if policy else None,
                             allow_fetching=settings.trust.allow_fetching,
                             revocation_mode=settings.trust.revocation)
    service = ValidationService(validator, _audit_service(settings))
    report = service.verify(_ctx(), Path(args.input).read_bytes())
    body = report.as_dict()
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print(f"Kết luận / verdict: {body['verdict']}  ({args.input})")
        for sig in body["signatures"]:
            signer = (sig.get("signer") or {}).get("common_name") or "?"
            print(f"- {sig['field']}: {signer} | {sig['indication']}"
                  f" | level {sig['level']} | {sig['signing_time']}")
            for vi, en in zip(sig["messages"]["vi"], sig["messages"]["en"]):
                print(f"    {vi} / {en}")
        print(f"Neo tin cậy / trust anchors: {trust.name} ({trust.sha256[:16]}…)")
    return 0 if body["verdict"] == "valid" else 1


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.app import open_keys

    keys = open_keys(settings)
    try:
        infos = [k.as_dict() for k in keys.infos()]
    finally:
        keys.close()
    if args.json:
        print(json.dumps(infos, ensure_ascii=False, indent=2))
    else:
        for k in infos:
            c = k["certificate"]
            print(f"{k['id']:<20} {k['backend']:<9} {k['algorithm']}-{k['key_size']:<6} "
                  f"{c['common_name']}  (hết hạn / expires {c['not_after'][:10]})")
    return 0


def cmd_clients_create(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.adapters.clients_sqlite import SqliteClientStore
    from signsvc.services.client_service import ClientService

    keys = tuple(k for k in (args.keys or "").split(",") if k)
    service = ClientService(SqliteClientStore(settings.service.state_dir / "signsvc.sqlite3"),
                            _audit_service(settings), {k.id for k in settings.keys})
    client, token = service.create(args.name, args.role, keys, _ctx())
    print(f"Đã tạo máy khách / client created: {client.name} (role {client.role}, "
          f"keys {','.join(client.keys) or '-'})")
    print("Mã truy cập chỉ hiện một lần / the token is shown only once:")
    print(token)
    return 0


def cmd_clients_register_cert(settings: Settings, args: argparse.Namespace) -> int:
    """Register a certificate (PEM or DER file) to an official's account (audited)."""
    import hashlib

    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509

    from signsvc.adapters.clients_sqlite import SqliteClientStore
    from signsvc.adapters.workflow_sqlite import SqliteWorkflowStore
    from signsvc.audit.events import AuditEvent
    from signsvc.errors import BadRequest, Message

    client = next((c for c in SqliteClientStore(settings.service.state_dir / "signsvc.sqlite3").list()
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
    SqliteWorkflowStore(settings.service.state_dir / "workflow.sqlite3").register_certificate(
        client.name, sha, subject)
    ctx = _ctx()
    _audit_service(settings).record(AuditEvent(
        action="clients:certificate:registered", outcome="success", actor=ctx.actor, role=ctx.role,
        request_id=ctx.request_id, client_address="local", certificate_sha256=sha,
        certificate_serial=format(cert.serial_number, "X"), details={"client": client.name}))
    print(f"Đã đăng ký chứng thư / certificate registered for {client.name}: {subject} (sha256 {sha})")
    return 0


def cmd_clients_set_password(settings: Settings, args: argparse.Namespace) -> int:
    """Set the signing-page password of an official's or clerk's account (from stdin when
    it is not a terminal, else asked twice without echo)."""
    from signsvc.errors import BadRequest, Message

    if sys.stdin.isatty():
        password = getpass.getpass("Mật khẩu / password: ")
        if password != getpass.getpass("Nhập lại / again: "):
            raise BadRequest(Message("Hai lần nhập không khớp.", "The two entries differ."))
    else:
        password = sys.stdin.readline().rstrip("\n")
    from signsvc.cli_clients import _login_service
    _login_service(settings).set_password(_ctx(), args.name, password)  # also ends its sessions
    print(f"Đã đặt mật khẩu / password set for {args.name}")
    return 0


def cmd_policy(settings: Settings, args: argparse.Namespace) -> int:
    """check: validate the file; show: print the policy in force; reload: validate, then
    ask the running service (SIGHUP to gunicorn) to load it. A bad file is audited."""
    import os
    import signal

    from signsvc.adapters.policy_file import ActivePolicy, load_policy_file
    from signsvc.audit.events import AuditEvent
    from signsvc.policy.loader import PolicyError
    from signsvc.wsgi import pidfile_path

    known = {k.id for k in settings.keys}
    if args.sub == "show":
        text = ActivePolicy(settings.service.state_dir).last_good()
        print(text if text is not None else settings.policy.path.read_text(encoding="utf-8"))
        return 0
    try:
        policy = load_policy_file(settings.policy.path, known)
    except PolicyError as exc:
        if args.sub == "reload":
            ctx = _ctx()
            _audit_service(settings).record(AuditEvent(
                action="policy:policy:reload_failed", outcome="failure", actor=ctx.actor,
                role=ctx.role, request_id=ctx.request_id, client_address="local",
                error_code=exc.code, details={"error": exc.message.en[:500]}))
        raise
    print(f"Chính sách hợp lệ / policy valid: version {policy.version}, sha256 {policy.sha256}, "
          f"{len(policy.rules)} rules")
    if args.sub == "check":
        return 0
    pidfile = pidfile_path(settings)
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        print("Dịch vụ không chạy; chính sách sẽ được dùng khi khởi động / the service is not "
              "running; the policy applies at the next start.")
        return 0
    print(f"Đã yêu cầu dịch vụ (pid {pid}) nạp lại chính sách / asked the service to reload.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="signsvc", description="signsvc — ký số PDF / PDF signing")
    p.add_argument("--config", help="config file (default: $SIGNSVC_CONFIG or config/signsvc.toml)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the HTTP service (gunicorn)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--threads", type=int, default=4)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("sign", help="sign a PDF with a configured key")
    s.add_argument("input")
    s.add_argument("output")
    s.add_argument("--key", required=True)
    s.add_argument("--level", choices=LEVELS)
    s.add_argument("--reason")
    s.add_argument("--location")
    s.add_argument("--field")
    s.add_argument("--eservice", choices=("level3", "level4", "copy"))
    v = s.add_argument_group(
        "chữ ký hiển thị / visible signature",
        "the /v1/sign parameters of the same name, checked by the same code (README)")
    v.add_argument("--profile", help="official | seal | attachment | copy | text | vgca-compat")
    v.add_argument("--page", help="page number, from 1")
    v.add_argument("--rect", help="x1,y1,x2,y2 in PDF points (with --page)")
    v.add_argument("--anchor", help="text on the page the box is placed against")
    v.add_argument("--anchor-position", dest="anchor_position", help="above | below")
    v.add_argument("--size", help="width,height in points (with --anchor)")
    v.add_argument("--over-field", dest="over_field", help="seal: over this official's signature")
    v.add_argument("--image", help="name of a registered signature or seal image")
    v.add_argument("--doc-number", dest="doc_number",
                   help="attachment: the parent document's number and symbol")
    v.add_argument("--attachment-mode", dest="attachment_mode", help="separate_file | same_file")
    v.add_argument("--copy-kind", dest="copy_kind", help="copy: sao-y | sao-luc | trich-sao")
    v.add_argument("--agency", help="copy, text: the agency's name")
    v.add_argument("--name", help="official, text: the signer's name line")
    v.add_argument("--email", help="vgca-compat: the e-mail line")
    v.add_argument("--lines", help="text, vgca-compat: signer,email,agency,time")
    s.set_defaults(func=cmd_sign)

    s = sub.add_parser("extend", help="upgrade the signatures of a signed PDF to B-LT or B-LTA")
    s.add_argument("input")
    s.add_argument("output")
    s.add_argument("--level", choices=("B-LT", "B-LTA"), default="B-LT")
    s.set_defaults(func=cmd_extend)

    s = sub.add_parser("verify", help="verify a PDF; exit 0 only for verdict 'valid'")
    s.add_argument("input", nargs="?")
    s.add_argument("--batch", nargs="+", metavar="FILE_OR_DIR",
                   help="incoming documents: accept/return each by the intake rules; "
                        "exit 0 only if all are accepted")
    s.add_argument("--json", action="store_true")
    s.add_argument("--report", metavar="OUT.pdf",
                   help="also write the signed PDF report (signed by [reports] key)")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("keys", help="list the configured keys")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_keys)

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
    from signsvc.cli_clients import add_client_commands
    add_client_commands(clients)  # totp enroll|remove NAME, set-role NAME ROLE, disable NAME

    policy = sub.add_parser("policy", help="information-security policy").add_subparsers(
        dest="sub", required=True)
    for name, text in (("check", "validate the policy file"), ("show", "print the policy in force"),
                       ("reload", "validate the policy file and make the running service load it")):
        policy.add_parser(name, help=text).set_defaults(func=cmd_policy)

    audit = sub.add_parser("audit", help="audit log").add_subparsers(dest="sub", required=True)
    from signsvc.cli_audit import add_audit_commands
    add_audit_commands(audit)  # verify [EXPORT], export, checkpoint

    images = sub.add_parser("images", help="signature and seal images").add_subparsers(
        dest="sub", required=True)
    from signsvc.cli_images import add_image_commands
    add_image_commands(images)  # add NAME FILE --kind --key [--diameter-mm], list

    archive = sub.add_parser("archive", help="stored archives (B-LTA)").add_subparsers(
        dest="sub", required=True)
    from signsvc.cli_archive import add_archive_commands
    add_archive_commands(archive)  # renew DIR
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # an export is verified offline: no configuration needed (see signsvc.cli_audit)
        offline = getattr(args, "export_file", None)
        settings = None if offline else load_settings(args.config)
        return args.func(settings, args)
    except SignsvcError as exc:
        print(f"Lỗi / error [{exc.code}]: {exc.detail}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Lỗi / error: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
