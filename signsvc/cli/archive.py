"""``signsvc archive renew DIR``: renew the archive timestamps of stored B-LTA documents
(see ``signsvc.services.archive_service``). Exit status 0 when nothing failed, 1 when
some file failed (the others are still processed), 2 for an error before any file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from signsvc.cli.context import request_context
from signsvc.names import Role
from signsvc.settings import Settings


def cmd_archive_renew(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.app import build_services
    from signsvc.services.archive_service import FAILED, ArchiveService, format_report

    folder = Path(args.dir)
    if not folder.is_dir():
        raise NotADirectoryError(20, "Không phải thư mục / not a directory", str(folder))
    days = settings.archive.renew_within_days if args.within_days is None else args.within_days
    if days < 0:
        from signsvc.errors import BadRequest, Message
        raise BadRequest(Message("--within-days không được âm.", "--within-days must not be negative."))
    services = build_services(settings)
    try:
        service = ArchiveService(services.extend.ltv, services.audit, days)
        outcomes = service.renew_folder(request_context(role=Role.CLERK), folder,
                                        recursive=args.recursive, dry_run=args.dry_run)
    finally:
        services.shutdown()
    if args.json:
        print(json.dumps({"renew_within_days": days, "dry_run": args.dry_run,
                          "files": [o.as_dict() for o in outcomes]}, ensure_ascii=False, indent=2))
    else:
        print(format_report(outcomes, days, dry_run=args.dry_run))
    return 1 if any(o.status == FAILED for o in outcomes) else 0


def add_archive_commands(archive) -> None:
    """The ``archive`` subcommands (``archive`` is the argparse subparsers object)."""
    s = archive.add_parser("renew", help="add a new archive timestamp to every PDF of DIR whose last "
                                         "timestamp's TSA certificate expires within "
                                         "[archive] renew_within_days")
    s.add_argument("dir", help="folder of signed PDFs (replaced in place, atomically)")
    s.add_argument("--within-days", type=int, help="override [archive] renew_within_days")
    s.add_argument("--recursive", action="store_true", help="also the PDFs of sub-folders")
    s.add_argument("--dry-run", action="store_true", help="only report what is due")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_archive_renew)


def add_commands(sub) -> None:
    """The ``archive`` group (``sub``: the top-level argparse subparsers)."""
    archive = sub.add_parser("archive", help="stored archives (B-LTA)").add_subparsers(
        dest="sub", required=True)
    add_archive_commands(archive)  # renew DIR
