"""The signing agent's package (``signsvc-*.whl``) that the help page offers for download
(``[pages] agent_package_dir``).

Only the folder named by the setting is read, and only a regular file whose name is a wheel
of the signsvc distribution (``signsvc-<version>-<tags>.whl``, letters, digits and
``._+-``): nothing of the request ever names a file. The newest such file (modification
time, then name) is the package; an unset, missing or empty folder means none is offered.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

#: a wheel of the signsvc distribution: signsvc-VERSION(-BUILD)?-PY-ABI-PLATFORM.whl
WHEEL_NAME = re.compile(r"signsvc-[0-9][A-Za-z0-9.+_]*(-[A-Za-z0-9._]+){3,4}\.whl")


@dataclass(frozen=True)
class AgentPackage:
    """One wheel as offered: its real file name (pip needs it), size and SHA-256 (hex)."""

    name: str
    size: int
    sha256: str


_digests: dict[tuple[str, int, int, int], str] = {}
_digests_lock = threading.Lock()


def _newest(folder: Path | None) -> Path | None:
    """The newest signsvc wheel directly in ``folder`` (one listing), or None."""
    if folder is None:
        return None
    try:
        found = [(p.stat().st_mtime_ns, p.name, p) for p in folder.iterdir()
                 if WHEEL_NAME.fullmatch(p.name) and p.is_file()]
    except OSError:           # no such folder, not a folder, unreadable
        return None
    return max(found)[2] if found else None


def find_package(folder: Path | None) -> AgentPackage | None:
    """The package offered from ``folder`` (name, size, SHA-256), or None when there is none.

    The folder is listed once; the digest is computed once per file version (path, inode,
    size, modification time) and remembered, so showing the help page stays cheap."""
    path = _newest(folder)
    if path is None:
        return None
    try:
        st = path.stat()
        key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
        with _digests_lock:
            digest = _digests.get(key)
        if digest is None:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            with _digests_lock:
                _digests.clear()          # only the current file's digest is worth keeping
                _digests[key] = digest
    except OSError:           # replaced or removed meanwhile
        return None
    return AgentPackage(path.name, st.st_size, digest)


def read_package(folder: Path | None) -> tuple[AgentPackage, bytes] | None:
    """The package offered from ``folder`` with its bytes, read once: the size and SHA-256
    returned are those of exactly these bytes. None when there is none."""
    path = _newest(folder)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return AgentPackage(path.name, len(data), hashlib.sha256(data).hexdigest()), data
