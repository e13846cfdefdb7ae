"""The policy file on disk and the last policy that loaded successfully (state folder).

Guarantees: ``load_policy_file`` reads and validates (``PolicyError`` names the line);
``ActivePolicy.remember`` atomically records the policy now in force and returns the
previous one's hash (a file lock makes concurrent workers agree); ``last_good`` returns the
text that was last in force, so a failed reload keeps it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable
from pathlib import Path

from signsvc.errors import Message
from signsvc.policy.engine import Policy
from signsvc.policy.loader import PolicyError, parse_policy


def load_policy_file(path: Path, known_keys: Iterable[str]) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise PolicyError(Message(f"Không đọc được tệp chính sách {path}.",
                                  f"The policy file {path} cannot be read.")) from None
    return parse_policy(text, known_keys)


class ActivePolicy:
    def __init__(self, path: Path, lock: Path, archive: Path) -> None:
        """``path``: the text of the policy in force; ``lock``: the file workers lock while
        they update it; ``archive``: the folder of every policy once in force (by SHA-256).
        Paths from ``Settings.paths``; their folder is created."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._lock = lock
        self._archive = archive

    def archived(self, sha256: str) -> str | None:
        """The text of a policy that was once in force, by its SHA-256 (for auditors)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            return None
        try:
            return (self._archive / f"{sha256}.toml").read_text(encoding="utf-8")
        except OSError:
            return None

    def last_good(self) -> str | None:
        try:
            return self._path.read_text(encoding="utf-8")
        except OSError:
            return None

    def remember(self, policy: Policy) -> tuple[bool, str | None]:
        """Record ``policy`` as in force; (changed, previous sha256 or None)."""
        import hashlib

        with open(self._lock, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            old_text = self.last_good()
            old = hashlib.sha256(old_text.encode("utf-8")).hexdigest() if old_text is not None else None
            self._archive.mkdir(exist_ok=True)
            kept = self._archive / f"{policy.sha256}.toml"
            if not kept.exists():
                kept.write_text(policy.text, encoding="utf-8")
            if old == policy.sha256:
                return False, old
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text(policy.text, encoding="utf-8")
            os.replace(tmp, self._path)
            return True, old
