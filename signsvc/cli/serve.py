"""``signsvc serve``, ``sign``, ``extend``, ``verify`` and ``keys``: the service itself and
what it does, from the console (same checks, same audit records as the API)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from signsvc.app import build_services, open_keys
from signsvc.app.console import console_verification
from signsvc.cli.batch import cmd_verify_batch
from signsvc.cli.context import request_context, write_atomically
from signsvc.cli.sign_batch import cmd_sign_batch
from signsvc.errors import BadRequest, DocumentTooLarge, Message, SignsvcError
from signsvc.names import LONG_TERM_LEVELS, PadesLevel, Role, Verdict
from signsvc.services.signing_requests import SignatureRequest, parse_appearance
from signsvc.settings import LEVELS, Settings


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.wsgi import run_gunicorn  # gunicorn is loaded only to serve

    run_gunicorn(settings, host=args.host, port=args.port, workers=args.workers,
                 threads=args.threads, pidfile=Path(args.pidfile) if args.pidfile else None)
    return 0


#: ``signsvc sign`` options of a visible signature: the /v1/sign parameters of the same name
APPEARANCE_OPTIONS = ("profile", "page", "rect", "anchor", "anchor_position", "size", "over_field",
                      "doc_number", "copy_kind", "agency", "name", "email", "lines", "image",
                      "attachment_mode")


def cmd_sign(settings: Settings, args: argparse.Namespace) -> int:
    services = build_services(settings)
    try:
        keys = tuple(s.id for s in settings.keys)
        # the operator at the console signs as the clerk (văn thư) holding the keys, under
        # the same policy as the API
        ctx = request_context(keys, role=Role.CLERK)
        try:
            # the visible signature: the API's parameters, parsed by the same code
            appearance = parse_appearance({name: getattr(args, name) for name in APPEARANCE_OPTIONS
                                           if getattr(args, name) is not None})
            if args.batch and not args.input:   # every PDF of a folder: one request each
                return cmd_sign_batch(
                    services.signing, lambda: request_context(keys, role=Role.CLERK), args,
                    SignatureRequest(level=args.level or settings.service.default_level,
                                     reason=args.reason, location=args.location,
                                     field_name=args.field, eservice=args.eservice,
                                     appearance=appearance),
                    settings.service.max_document_bytes)
            if args.batch or not args.input or not args.output:
                raise BadRequest(Message(
                    "Cần tệp vào và tệp ra, hoặc chỉ --batch THƯ_MỤC (--output-dir).",
                    "An input and an output file are needed, or only --batch DIR (--output-dir)."))
            data = Path(args.input).read_bytes()
            if len(data) > settings.service.max_document_bytes:
                raise DocumentTooLarge()
        except SignsvcError as exc:
            services.signing.reject(ctx, exc, args.key, args.level)
            raise
        result = services.signing.sign(ctx, args.key, data, SignatureRequest(
            level=args.level or settings.service.default_level, reason=args.reason,
            location=args.location, field_name=args.field, eservice=args.eservice,
            appearance=appearance))
        out = Path(args.output)
        write_atomically(out, result.data)
    finally:
        services.shutdown()
    print(f"Đã ký / signed: {args.output} (level {result.level}, key {result.key.id}, "
          f"sha256 {result.sha256}, audit #{result.audit_sequence})")
    return 0


def cmd_extend(settings: Settings, args: argparse.Namespace) -> int:
    """Upgrade the signatures of IN to B-LT/B-LTA, written atomically to OUT."""

    services = build_services(settings)
    try:
        data = Path(args.input).read_bytes()
        result = services.extend.extend(request_context(role=Role.CLERK), data, args.level)
        out = Path(args.output)
        write_atomically(out, result.data)
    finally:
        services.shutdown()
    print(f"Đã nâng cấp / extended: {args.output} (level {result.level}, {result.signatures} "
          f"signature(s), {result.document_timestamps_added} document timestamp(s) added, "
          f"audit #{result.audit_sequence})")
    return 0


def _verify_with_report(settings: Settings, args: argparse.Namespace) -> int:
    """Verify IN and write its signed PDF report to ``--report`` (atomically; audited)."""

    services = build_services(settings)
    try:
        data = Path(args.input).read_bytes()
        if len(data) > settings.service.max_document_bytes:
            raise DocumentTooLarge()
        body, issued = services.reports.verify_pdf(request_context(), data)
        out = Path(args.report)
        write_atomically(out, issued.data)
    finally:
        services.shutdown()
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    print(f"Kết luận / verdict: {body['verdict']}  ({args.input})")
    print(f"Báo cáo PDF đã ký / signed PDF report: {args.report} (level {issued.level}, key "
          f"{issued.key_id}, sha256 {issued.sha256}, audit #{issued.audit_sequence})")
    return 0 if body["verdict"] == Verdict.VALID else 1


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    if args.batch:
        return cmd_verify_batch(settings, args)
    if args.input is None:
        raise BadRequest(Message("Thiếu tệp cần kiểm tra (hoặc dùng --batch TỆP...).",
                                 "No file to verify (or use --batch FILE...)."))
    if args.report:
        return _verify_with_report(settings, args)

    service, trust = console_verification(settings)
    report = service.verify(request_context(), Path(args.input).read_bytes())
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
    return 0 if body["verdict"] == Verdict.VALID else 1


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
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


def add_commands(sub) -> None:
    """serve, sign, extend, verify, keys (``sub``: the top-level argparse subparsers)."""
    s = sub.add_parser("serve", help="run the HTTP service (gunicorn)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--threads", type=int, default=4)
    s.add_argument("--pidfile", help="the master's pid file, its control socket beside it "
                                     "(NAME.ctl); default: in the state folder")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("sign", help="sign a PDF (or every PDF of a folder) with a configured key")
    s.add_argument("input", nargs="?")
    s.add_argument("output", nargs="?")
    s.add_argument("--batch", metavar="DIR", help="sign every PDF directly in DIR, with a "
                                                  "progress bar; a rerun skips those already signed")
    s.add_argument("--output-dir", dest="output_dir", metavar="OUT",
                   help="--batch: where the signed PDFs go (default DIR/signed)")
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
    s.add_argument("--level", choices=tuple(map(str, LONG_TERM_LEVELS)),
                   default=str(PadesLevel.B_LT))
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
