"""``signsvc images add|list``: signature images of officials, seal images of agencies."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from signsvc.cli.context import request_context
from signsvc.names import Role
from signsvc.settings import Settings


def cmd_images_add(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.app import build_services

    services = build_services(settings)
    try:
        owner = args.key
        if args.official:
            client = services.clients.find(args.official)
            if client.role != Role.OFFICIAL:
                from signsvc.errors import BadRequest, Message
                raise BadRequest(Message(f"'{args.official}' không phải tài khoản người ký (official).",
                                         f"'{args.official}' is not an official's account."))
            owner = f"official:{client.name}"
        stored = services.signing.images.add(request_context(), args.name, args.kind, owner,
                                             Path(args.file).read_bytes(), args.diameter_mm)
    finally:
        services.shutdown()
    print(f"Đã đăng ký ảnh / image registered: {stored.name} ({stored.kind}, khóa/key "
          f"{stored.key_id}, {stored.width}x{stored.height}) sha256={stored.sha256}")
    return 0


def cmd_images_list(settings: Settings, args: argparse.Namespace) -> int:
    from signsvc.app import build_services

    services = build_services(settings)
    try:
        images = services.signing.images.list()
    finally:
        services.shutdown()
    if args.json:
        print(json.dumps([i.as_dict() for i in images], ensure_ascii=False, indent=2))
    else:
        for i in images:
            extra = f" {i.diameter_mm:g} mm" if i.diameter_mm else ""
            print(f"{i.name}\t{i.kind}\t{i.key_id}\t{i.width}x{i.height}{extra}\t{i.sha256}")
    return 0


def add_image_commands(images) -> None:
    """The ``images`` subcommands (``images`` is the argparse subparsers object)."""
    s = images.add_parser("add", help="register a PNG (with transparency) for a signing key")
    s.add_argument("name", help="image name, used as ?image= on /v1/sign")
    s.add_argument("file", help="PNG file, 8-bit with an alpha channel")
    s.add_argument("--kind", required=True, choices=("signature", "seal"))
    who = s.add_mutually_exclusive_group(required=True)
    who.add_argument("--key", help="the key id the image is drawn with (a seal: an agency-seal key)")
    who.add_argument("--official", help="an official's client name: the image they draw when "
                                        "signing with their own token (browser signing)")
    s.add_argument("--diameter-mm", type=float, help="seal: physical diameter (default "
                                                     "[appearance] seal_diameter_mm)")
    s.set_defaults(func=cmd_images_add)
    s = images.add_parser("list", help="list registered images")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_images_list)


def add_commands(sub) -> None:
    """The ``images`` group (``sub``: the top-level argparse subparsers)."""
    images = sub.add_parser("images", help="signature and seal images").add_subparsers(
        dest="sub", required=True)
    add_image_commands(images)  # add NAME FILE --kind --key [--diameter-mm], list
