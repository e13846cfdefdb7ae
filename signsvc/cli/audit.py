"""``signsvc audit verify [EXPORT]``, ``signsvc audit export``, ``signsvc audit checkpoint``,
``signsvc audit acknowledge``.

``audit verify`` without a file checks the log in the configured database: the hash chain
and the signed checkpoints (truncation of the tail, a rewritten and re-chained log).
``audit verify EXPORT`` checks an export offline, on any machine with signsvc installed:
no database, no network, no key; the trust anchors come from ``--trust`` (files or
folders of PEM/DER roots) or, failing that, from the local configuration's ``[trust]``.

``audit acknowledge --reason TEXT`` is the operator's step after a broken chain: it verifies
the log, prints the findings, and writes (with the key) an ``audit:integrity:acknowledged``
record naming them, after which the service resumes from that record (the findings stay in
the log's history: ``audit verify`` keeps reporting them).

Exit status: 0 verified, 1 verification failed (each finding printed in Vietnamese and
English, naming the record or checkpoint), 2 the command could not run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from signsvc.app import console
from signsvc.cli.context import request_context, write_atomically
from signsvc.errors import BadRequest, ConfigError, Message
from signsvc.names import AuditOutcome, Role
from signsvc.settings import Settings
from signsvc.validation.trust import TrustAnchors, load_trust_anchors


def _quiet_pyhanko() -> None:
    # pyHanko logs a traceback at WARNING for every untrusted or mismatching signature;
    # the verdict below says it once, in both languages
    for name in ("pyhanko.sign.validation.generic_cms", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _trust(args: argparse.Namespace, settings: Settings | None) -> TrustAnchors:
    if args.trust:
        return load_trust_anchors("--trust", [Path(p) for p in args.trust], [], False)
    if settings is None:
        from signsvc.settings import load_settings
        try:
            settings = load_settings(args.config)
        except ConfigError as exc:
            raise ConfigError(Message(
                "Không có chứng thư gốc để kiểm tra: dùng --trust GỐC.pem "
                f"(cấu hình không đọc được: {exc.message.vi})",
                "No trust anchors to check with: pass --trust ROOT.pem "
                f"(the configuration cannot be read: {exc.message.en})")) from None
    return console.load_trust(settings)


def _print_result(body: dict[str, Any], ok_line: str, as_json: bool) -> int:
    if body["ok"]:
        print(ok_line)
    else:
        print(f"KHÔNG HỢP LỆ từ bản ghi #{body['first_bad_sequence']} / NOT VALID from record "
              f"#{body['first_bad_sequence']}:")
        for finding in body["findings"]:
            print(f"- {finding['message']['vi']}")
            print(f"  {finding['message']['en']}")
    last = body.get("last_checkpoint")
    if last:
        signature = {True: "hợp lệ / valid", False: "KHÔNG hợp lệ / NOT valid",
                     None: "-"}[last.get("signature_valid")]
        print(f"Điểm kiểm soát cuối / last checkpoint: #{last['index']} tại bản ghi / at record "
              f"#{last['head_sequence']}, {last['time']}; dấu thời gian / time-stamp "
              f"{last.get('timestamp_time') or '-'}; chữ ký / signature {signature}")
    if as_json:
        print(json.dumps(body, ensure_ascii=False))
    return 0 if body["ok"] else 1


def cmd_audit_verify(settings, args: argparse.Namespace) -> int:
    _quiet_pyhanko()
    if args.export_file:
        return _verify_export_file(settings, args)
    trust = _trust(args, settings)
    store = console.open_audit_log(settings)
    try:
        body = console.checking_checkpoints(settings, store, trust).verify().as_dict()
    finally:
        store.close()
    _print_modes(body)
    return _print_result(
        body, f"Nhật ký toàn vẹn / audit log intact: {body['checked']} bản ghi / records, "
              f"{body['checkpoints']} điểm kiểm soát / checkpoints, "
              f"{body['uncovered_records']} bản ghi sau điểm kiểm soát cuối / records after "
              f"the last checkpoint", args.json)


def _print_modes(body: dict[str, Any]) -> None:
    keyed = (f"có khóa HMAC từ bản ghi #{body.get('keyed_from_sequence')} / keyed (HMAC) from "
             f"record #{body.get('keyed_from_sequence')}") if body.get("keyed") else \
        "không có khóa HMAC / unkeyed (no HMAC key configured)"
    ext = body.get("external_checkpoints")
    outside = (f"{ext} điểm kiểm soát ở thư mục ngoài / external checkpoints" if ext is not None
               else "không có thư mục điểm kiểm soát ngoài / no external checkpoint folder")
    print(f"Chế độ / mode: {keyed}; {outside}")
    if body.get("acknowledged_sequence"):
        print(f"Người vận hành đã xác nhận tại bản ghi / acknowledged by an operator at record "
              f"#{body['acknowledged_sequence']}")


def cmd_audit_acknowledge(settings, args: argparse.Namespace) -> int:
    """Verify, then write the acknowledgement record (audited) so the service resumes."""
    from signsvc.audit.events import AuditEvent
    from signsvc.audit.keyed import ACKNOWLEDGED_ACTION

    _quiet_pyhanko()
    reason = (args.reason or "").strip()
    if not reason:
        raise BadRequest(Message("Cần --reason: người vận hành ghi lý do xác nhận.",
                                 "--reason is required: the operator states why."))
    trust = _trust(args, settings)
    store = console.open_audit_log(settings)
    try:
        service = console.checking_checkpoints(settings, store, trust)
        body = service.verify().as_dict()
        _print_result(body, "Nhật ký toàn vẹn / audit log intact", False)
        status = store.integrity()
        if body["ok"] and status["broken"] is None:
            print("Không có gì cần xác nhận / nothing to acknowledge")
            return 0
        last = service._previous()
        ctx = request_context(role=Role.ADMIN)
        record = store.acknowledge(AuditEvent(
            action=ACKNOWLEDGED_ACTION, outcome=AuditOutcome.SUCCESS, actor=ctx.actor,
            role=ctx.role,
            request_id=ctx.request_id, client_address=ctx.client_address,
            details={"reason": reason[:500], "first_bad_sequence": body["first_bad_sequence"],
                     "problems": ",".join(sorted({f["problem"] for f in body["findings"]})),
                     "service_problem": (status["broken"] or {}).get("problem"),
                     "service_sequence": (status["broken"] or {}).get("sequence"),
                     "checkpoint_index": last.checkpoint.index if last else None}))
    finally:
        store.close()
    print(f"Đã xác nhận tại bản ghi / acknowledged at record #{record.sequence}; dịch vụ tiếp tục "
          "từ bản ghi này / the service resumes from this record")
    return 0


def _verify_export_file(settings, args: argparse.Namespace) -> int:
    from signsvc.audit.export import ExportFormatError, certificate_ders, load_export, verify_export

    try:
        document = load_export(Path(args.export_file).read_bytes())
    except ExportFormatError as exc:
        raise BadRequest(Message(f"Tệp không phải bản xuất nhật ký signsvc: {exc}",
                                 f"The file is not a signsvc audit export: {exc}")) from None
    trust = _trust(args, settings)
    checker = console.export_checker(trust, certificate_ders(document))
    result = verify_export(document, checker)
    body = result.as_dict()
    claimed = document.get("trust_anchors_sha256")
    body["trust_anchors_sha256_used"] = trust.sha256
    body["trust_anchors_match"] = claimed == trust.sha256
    code = _print_result(
        body, f"Bản xuất nhật ký hợp lệ / audit export verified: bản ghi / records "
              f"#{result.first_sequence}–#{result.last_sequence} ({body['checked']}), "
              f"{body['checkpoints_verified']} điểm kiểm soát đã kiểm tra chữ ký và dấu thời "
              f"gian / checkpoints with valid signature and time-stamp", args.json)
    if not result.anchored_start:
        print(f"Lưu ý: bản xuất bắt đầu từ bản ghi #{result.first_sequence} mà không có điểm "
              "kiểm soát ngay trước nó / Note: the export starts at record "
              f"#{result.first_sequence} with no checkpoint just before it (its start is "
              "not anchored)")
    if not body["trust_anchors_match"]:
        print("Lưu ý: bộ chứng thư gốc dùng để kiểm tra khác bộ của máy chủ / Note: the trust "
              f"anchors used here ({trust.sha256[:16]}…) differ from the server's "
              f"({str(claimed)[:16]}…)")
    print("Thu hồi chứng thư không được kiểm tra ngoại tuyến / certificate revocation is not "
          "checked offline")
    return code


def cmd_audit_export(settings, args: argparse.Namespace) -> int:
    from signsvc.app import build_services

    _quiet_pyhanko()
    services = build_services(settings)
    try:
        data, summary = services.checkpoints.export(request_context(role=Role.AUDITOR), args.since)
    finally:
        services.shutdown()
    if args.output in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        out = "stdout"
    else:
        path = Path(args.output)
        write_atomically(path, data)
        out = str(path)
    print(f"Đã xuất nhật ký / audit log exported: {out}, bản ghi / records "
          f"#{summary['first_sequence']}–#{summary['last_sequence']} ({summary['records']}), "
          f"điểm kiểm soát / checkpoint #{summary['checkpoint']}, sha256 {summary['sha256']}",
          file=sys.stderr)
    return 0


def cmd_audit_checkpoint(settings, args: argparse.Namespace) -> int:
    from signsvc.app import build_services

    services = build_services(settings)
    try:
        signed = services.checkpoints.create(request_context())
    finally:
        services.shutdown()
    cp = signed.checkpoint
    print(f"Điểm kiểm soát / checkpoint #{cp.index}: bản ghi / record #{cp.head_sequence} "
          f"{cp.head_hash} ({cp.time})")
    return 0


def add_audit_commands(audit) -> None:
    """The ``audit`` subcommands (``audit`` is the argparse subparsers object)."""
    s = audit.add_parser("verify", help="check the log (or an export, offline); exit 1 names "
                                        "the first bad record")
    s.add_argument("export_file", nargs="?", metavar="EXPORT",
                   help="an export made by `signsvc audit export`: checked offline")
    s.add_argument("--trust", action="append", metavar="FILE",
                   help="trust anchor file or folder (PEM/DER); repeatable; default: [trust]")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_audit_verify)
    s = audit.add_parser("export", help="export the log with signed checkpoints (JSON)")
    s.add_argument("--since", help="ISO-8601 date or time: records from then on")
    s.add_argument("-o", "--output", help="file to write (default: standard output)")
    s.set_defaults(func=cmd_audit_export)
    s = audit.add_parser("checkpoint", help="sign and time-stamp the head of the log now")
    s.set_defaults(func=cmd_audit_checkpoint)
    s = audit.add_parser("acknowledge", help="after a broken chain: verify, record the "
                                             "operator's acknowledgement, let the service resume")
    s.add_argument("--reason", required=True, help="why (kept in the audit record)")
    s.add_argument("--trust", action="append", metavar="FILE",
                   help="trust anchor file or folder (PEM/DER); default: [trust]")
    s.set_defaults(func=cmd_audit_acknowledge)


def add_commands(sub) -> None:
    """The ``audit`` group (``sub``: the top-level argparse subparsers)."""
    audit = sub.add_parser("audit", help="audit log").add_subparsers(dest="sub", required=True)
    add_audit_commands(audit)  # verify [EXPORT], export, checkpoint
