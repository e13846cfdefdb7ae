"""The ``signsvc`` command line: its parser (one module per command group) and ``main``."""

from __future__ import annotations

import argparse
import sys

from signsvc.cli import archive, audit, clients, images, policy, serve
from signsvc.errors import SignsvcError
from signsvc.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="signsvc", description="signsvc — ký số PDF / PDF signing")
    p.add_argument("--config", help="config file (default: $SIGNSVC_CONFIG or config/signsvc.toml)")
    sub = p.add_subparsers(dest="command", required=True)

    serve.add_commands(sub)      # serve, sign, extend, verify (with --batch), keys
    clients.add_commands(sub)
    policy.add_commands(sub)
    audit.add_commands(sub)
    images.add_commands(sub)
    archive.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # an export is verified offline: no configuration needed (see signsvc.cli.audit)
        offline = getattr(args, "export_file", None)
        settings = None if offline else load_settings(args.config)
        return args.func(settings, args)
    except SignsvcError as exc:
        print(f"Lỗi / error [{exc.code}]: {exc.detail}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Lỗi / error: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 2
