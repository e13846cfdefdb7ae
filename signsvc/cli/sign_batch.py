"""``signsvc sign --batch DIR``: sign every PDF directly inside ``DIR`` (``*.pdf``, hidden
files skipped, by name) into an output folder, with a progress bar.

Each document goes through the same ``SigningService.sign`` as ``signsvc sign`` and
``/v1/sign`` (grant, policy, audit: one record per document, actor ``cli:<user>``), with
the same key, level and visible signature for all. The output folder keeps a manifest
(``.signsvc-batch.json``: per file its input and output SHA-256, level, audit record); a
rerun skips a document whose input hash matches its manifest entry and whose output file
is still the one signed (resume after an interruption, or after fixing the failed ones),
and signs the others. Each output and the manifest are written atomically, one after the
other, so an interrupted run loses at most the document being signed.

Exit status: 0 when every document is signed (now or before), 1 when any failed (each
named with its problem), 2 when the folder cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from signsvc.cli.context import write_atomically
from signsvc.errors import DocumentTooLarge, SignsvcError
from signsvc.services.context import RequestContext
from signsvc.services.signing_requests import SignatureRequest
from signsvc.services.signing_service import SigningService

MANIFEST = ".signsvc-batch.json"


def pdfs_in(folder: Path) -> list[Path]:
    """The PDFs directly inside ``folder`` (``*.pdf`` in any case, not hidden), by name."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() == ".pdf")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(out: Path) -> dict[str, Any]:
    try:
        loaded = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _already_signed(entry: Any, data: bytes, target: Path) -> bool:
    """The manifest says this input was signed into ``target`` and the file is still it."""
    if not isinstance(entry, dict) or entry.get("input_sha256") != _sha256(data):
        return False
    try:
        return _sha256(target.read_bytes()) == entry.get("output_sha256")
    except OSError:
        return False


def sign_folder(signing: SigningService, ctx: Callable[[], RequestContext], folder: Path,
                out: Path, key_id: str, request: SignatureRequest, max_bytes: int,
                console: Console) -> int:
    """Sign every PDF of ``folder`` into ``out`` (see the module docstring); the exit code."""
    if not folder.is_dir():
        console.print(f"[red]Không đọc được thư mục / cannot read the folder: "
                      f"{escape(str(folder))}[/red]")
        return 2
    files = pdfs_in(folder)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(out)
    signed = skipped = 0
    failed: list[tuple[str, SignsvcError]] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("{task.fields[name]}"))
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("Ký / signing", total=len(files), name="")
        for path in files:
            progress.update(task, name=path.name)
            data = path.read_bytes()
            target = out / path.name
            if _already_signed(manifest.get(path.name), data, target):
                skipped += 1
                progress.advance(task)
                continue
            request_ctx = ctx()
            try:
                if len(data) > max_bytes:
                    too_large = DocumentTooLarge(max_bytes=max_bytes)
                    signing.reject(request_ctx, too_large, key_id, request.level)
                    raise too_large
                result = signing.sign(request_ctx, key_id, data, request)
            except SignsvcError as exc:
                failed.append((path.name, exc))
                manifest.pop(path.name, None)
            else:
                write_atomically(target, result.data)
                manifest[path.name] = {"input_sha256": _sha256(data),
                                       "output_sha256": result.sha256, "level": result.level,
                                       "key": key_id, "audit_sequence": result.audit_sequence}
                signed += 1
            write_atomically(out / MANIFEST, json.dumps(manifest, ensure_ascii=False,
                                                        indent=1).encode())
            progress.advance(task)
    console.print(f"Đã ký / signed: {signed}, bỏ qua (đã ký trước) / skipped (signed before): "
                  f"{skipped}, lỗi / failed: {len(failed)} -> {out}")
    for name, error in failed:
        console.print(f"  [red]{escape(name)}[/red]: {error.code} -- "
                      f"{escape(error.message.vi)} / {escape(error.message.en)}", highlight=False)
    return 1 if failed else 0


def cmd_sign_batch(signing: SigningService, ctx: Callable[[], RequestContext],
                   args: argparse.Namespace, request: SignatureRequest, max_bytes: int) -> int:
    """``signsvc sign --batch DIR [--output-dir OUT]`` (default OUT: ``DIR/signed``)."""
    folder = Path(args.batch)
    out = Path(args.output_dir) if args.output_dir else folder / "signed"
    return sign_folder(signing, ctx, folder, out, args.key, request, max_bytes,
                       Console(file=sys.stderr))
