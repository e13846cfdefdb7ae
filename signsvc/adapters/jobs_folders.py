"""The PDFs of a folder on the server, for a batch job (``[jobs] server_folders_root``).

Guarantees: a folder is named relative to the root and must stay inside it -- an empty,
absolute or ``..`` name is refused (400), and so is a folder or a PDF whose real path
(symbolic links resolved) lies outside the root (403); only regular ``*.pdf`` files
directly in the folder are read, in name order; the bounds check is given the count and
sizes before anything is read, and again with what was read (a file growing meanwhile
is never read past the total bound).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

from signsvc.errors import BadRequest, Forbidden, Message, NotFound

NAME_MAX = 1000


def _bad_name() -> BadRequest:
    return BadRequest(Message(
        "Tên thư mục không hợp lệ: phải là đường dẫn tương đối trong thư mục gốc, không có '..'.",
        "Invalid folder name: it must be a relative path inside the root, without '..'."),
        parameter="folder")


def _outside() -> Forbidden:
    return Forbidden(Message("Thư mục hoặc tệp nằm ngoài thư mục gốc của máy chủ.",
                             "The folder or a file lies outside the server's folder root."))


class ServerFolders:
    """Reads the PDFs of a folder under ``root``."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def _folder(self, name: str) -> Path:
        if (not name or len(name) > NAME_MAX or "\x00" in name or "\\" in name
                or PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts):
            raise _bad_name()
        try:
            folder = (self._root / name).resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError):
            folder = None
        if folder is not None and not folder.is_relative_to(self._root):
            raise _outside()
        if folder is None or not folder.is_dir():
            raise NotFound(Message(f"Không có thư mục '{name}' trong thư mục gốc của máy chủ.",
                                   f"There is no folder '{name}' under the server's root."))
        return folder

    def read_pdfs(self, name: str, check: Callable[[int, int], None],
                  max_total_bytes: int) -> list[tuple[str, bytes]]:
        """``(file name, bytes)`` of every ``*.pdf`` in folder ``name``; ``check(count,
        total bytes)`` raises to refuse (called before reading and after)."""
        folder = self._folder(name)
        files: list[tuple[str, Path]] = []
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.suffix.lower() != ".pdf":
                continue
            real = entry.resolve()
            if not real.is_relative_to(self._root):
                raise _outside()
            if real.is_file():
                files.append((entry.name, real))
        check(len(files), sum(path.stat().st_size for _, path in files))
        out: list[tuple[str, bytes]] = []
        left = max_total_bytes
        for file_name, path in files:
            with path.open("rb") as f:
                data = f.read(left + 1)
            left -= len(data)
            out.append((file_name, data))
            if left < 0:
                break
        check(len(files), sum(len(d) for _, d in out))
        return out
