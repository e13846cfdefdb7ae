"""``signsvc verify --batch FILE|DIR...``: batch verification of incoming documents (VAL-9).

Every file named, and every regular file directly inside a folder named (hidden files
skipped), is verified and gets ``accept`` or ``return`` with the reason from the intake
rules of the policy in force, as ``POST /v1/verify/batch`` does, with the same bounds
(``[service] batch_max_files`` and ``batch_max_bytes``, checked before any file is
verified). Prints a table in Vietnamese and English, or the JSON of the API with
``--json``. Exit status 0 when every file was accepted, 1 when any was returned, 2 for an
error before any file was checked. One audit record per file, actor ``cli:<user>``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from signsvc.app.console import console_batch
from signsvc.cli.context import request_context
from signsvc.names import Role
from signsvc.settings import Settings

DECISIONS = {"accept": "tiếp nhận / accept", "return": "trả lại / return"}


def collect(paths: list[str]) -> list[Path]:
    """The files to check, in the order given (folders: their files sorted by name)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(2, "Không tìm thấy tệp / no such file", raw)
    return found


def format_table(body: dict) -> str:
    """The decisions as a table, then each reason in both languages, then the counts."""
    rows = [(str(i), r["name"], DECISIONS[r["decision"]], r["verdict"] or "-")
            for i, r in enumerate(body["results"], start=1)]
    head = ("#", "Tệp / File", "Quyết định / Decision", "Kết quả / Verdict")
    widths = [max(len(row[c]) for row in (head, *rows)) for c in range(4)]
    line = lambda row: "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip()  # noqa: E731
    out = [line(head), line(tuple("-" * w for w in widths)), *(line(r) for r in rows), ""]
    for i, r in enumerate(body["results"], start=1):
        out.append(f"{i}. {r['name']} (sha256 {r['sha256'][:16]}…)")
        out.append(f"   {r['reason']['vi']}")
        out.append(f"   {r['reason']['en']}")
    out.append("")
    out.append(f"Tiếp nhận / accepted: {body['accepted']}; trả lại / returned: {body['returned']}"
               f" (chính sách / policy {body['policy_version']})")
    return "\n".join(out)


def cmd_verify_batch(settings: Settings, args: argparse.Namespace) -> int:
    paths = collect(([args.input] if args.input else []) + list(args.batch))
    service = console_batch(settings)
    service.check_bounds(len(paths), sum(p.stat().st_size for p in paths))
    result = service.verify_batch(request_context(role=Role.CLERK), [(p.name, p.read_bytes()) for p in paths])
    body = result.as_dict()
    print(json.dumps(body, ensure_ascii=False, indent=2) if args.json else format_table(body))
    return 0 if result.returned == 0 else 1
