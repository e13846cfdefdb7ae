"""Signed checkpoints outside the database: one JSON file per checkpoint in a folder
(``[audit] checkpoint_dir``), which an operator can put on another host or mount.

``checkpoint-00000001.json`` holds the checkpoint as an export carries it (payload fields,
base64 CMS signature and RFC 3161 token), where the keyed chain starts
(``mac_from_sequence``) and, when the store is keyed, ``file_mac``: an HMAC-SHA256 of the
rest under the audit key, so the marker cannot be moved without the key either. Files are
written once (a hard link of a synced temporary file: an existing file is never replaced),
so a second writer of the same index learns that it lost the race.

A folder signsvc has never written to (no ``.signsvc-checkpoints`` file) is *fresh*: the
service seeds it with the database's checkpoints when it starts (an operator who turns the
folder on for an existing log); from then on a missing file is a finding.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

from signsvc.audit.checkpoints import SignedCheckpoint
from signsvc.audit.export import _checkpoint, checkpoint_dict
from signsvc.errors import CheckpointUnavailable, Message

FILE_FORMAT = "signsvc-audit-checkpoint-file/1"
MARKER = ".signsvc-checkpoints"
_NAME = re.compile(r"checkpoint-(\d{8,})\.json")


def _index(name: str) -> int:
    """The checkpoint index a file name carries (0 for a name that is not a checkpoint's)."""
    match = _NAME.fullmatch(name)
    return int(match[1]) if match else 0


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


class FileCheckpointStore:
    """Checkpoint files in ``folder`` (created, mode 0700, if missing)."""

    def __init__(self, folder: str | os.PathLike[str], mac_key: bytes | None = None) -> None:
        self.folder = Path(folder)
        self._key = mac_key
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise CheckpointUnavailable(Message(
                "Không tạo được thư mục điểm kiểm soát ngoài ([audit] checkpoint_dir).",
                "The external checkpoint folder cannot be created ([audit] checkpoint_dir).")
            ) from exc

    def _path(self, index: int) -> Path:
        return self.folder / f"checkpoint-{index:08d}.json"

    def _document(self, signed: SignedCheckpoint, mac_from: int | None) -> bytes:
        body = {"format": FILE_FORMAT, **checkpoint_dict(signed), "mac_from_sequence": mac_from}
        if self._key is not None:
            body["file_mac"] = hmac.new(self._key, _canonical(body), hashlib.sha256).hexdigest()
        return json.dumps(body, sort_keys=True, indent=1).encode("utf-8") + b"\n"

    def add(self, signed: SignedCheckpoint, mac_from: int | None) -> bool:
        """Write ``signed`` once; True if written (or already there, the same), False if
        another checkpoint holds its index. Raises ``CheckpointUnavailable`` on I/O errors."""
        data = self._document(signed, mac_from)
        final = self._path(signed.checkpoint.index)
        tmp = self.folder / f".{final.name}.{uuid.uuid4().hex}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, final)
            except FileExistsError:
                existing = self.read(final)
                return existing is not None and existing[0] == signed
            finally:
                tmp.unlink(missing_ok=True)
            self.mark()
            dir_fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise CheckpointUnavailable(Message(
                "Không ghi được điểm kiểm soát ra thư mục ngoài ([audit] checkpoint_dir).",
                "The checkpoint cannot be written to the external folder "
                "([audit] checkpoint_dir).")) from exc
        return True

    def fresh(self) -> bool:
        """True if signsvc has never written to this folder."""
        return not (self.folder / MARKER).exists()

    def mark(self) -> None:
        """Note that this folder holds signsvc's checkpoints (idempotent)."""
        path = self.folder / MARKER
        if not path.exists():
            path.write_text("signsvc audit checkpoints: do not delete files here\n")

    def read(self, path: Path) -> tuple[SignedCheckpoint, int | None] | None:
        """The checkpoint in ``path`` and its ``mac_from_sequence``; None if unreadable or
        (keyed) its ``file_mac`` does not match."""
        try:
            body = json.loads(path.read_bytes())
            if not isinstance(body, dict) or body.get("format") != FILE_FORMAT:
                return None
            if self._key is not None:
                claimed = body.pop("file_mac", None)
                wanted = hmac.new(self._key, _canonical(body), hashlib.sha256).hexdigest()
                if not isinstance(claimed, str) or not hmac.compare_digest(claimed, wanted):
                    return None
            mac_from = body.get("mac_from_sequence")
            return _checkpoint(body), mac_from if type(mac_from) is int else None
        except (OSError, ValueError):
            return None

    def scan(self) -> tuple[list[SignedCheckpoint], int | None, list[str]]:
        """``(checkpoints by index, the newest mac_from_sequence, problems)``; problems name
        files that cannot be read, are altered (keyed) or hold another index."""
        found: list[tuple[int, SignedCheckpoint, int | None]] = []
        problems: list[str] = []
        try:
            names = sorted(os.listdir(self.folder))
        except OSError as exc:
            raise CheckpointUnavailable() from exc
        for name in names:
            m = _NAME.fullmatch(name)
            if not m:
                continue
            item = self.read(self.folder / name)
            if item is None or item[0].checkpoint.index != int(m.group(1)):
                problems.append(f"external checkpoint file {name} is unreadable or altered")
                continue
            found.append((int(m.group(1)), *item))
        found.sort(key=lambda t: t[0])
        mac_from = found[-1][2] if found else None
        return [c for _, c, _ in found], mac_from, problems

    def last(self) -> SignedCheckpoint | None:
        """The checkpoint of the highest index (one file read; None if none or unreadable)."""
        try:
            names = [n for n in os.listdir(self.folder) if _NAME.fullmatch(n)]
        except OSError as exc:
            raise CheckpointUnavailable() from exc
        if not names:
            return None
        item = self.read(self.folder / max(names, key=_index))
        return None if item is None else item[0]
