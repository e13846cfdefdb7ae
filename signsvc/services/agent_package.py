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


def read_package(folder: Path | None) -> tuple[AgentPackage, bytes] | None:
    """The package offered from ``folder`` with its bytes, read once: the size and SHA-256
    returned are those of exactly these bytes. None when there is none. (A wheel is well
    under a megabyte: hashing it for each view of the help page costs about a millisecond.)"""
    path = _newest(folder)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return AgentPackage(path.name, len(data), hashlib.sha256(data).hexdigest()), data
