"""The policy file on disk and the last policy that loaded successfully (state folder).

Guarantees: ``load_policy_file`` reads and validates (``PolicyError`` names the line);
``ActivePolicy.remember`` atomically records the policy now in force and returns the
previous one's hash (a file lock makes concurrent workers agree); ``last_good`` returns the
text that was last in force, so a failed reload keeps it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Iterable

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
    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self._path = state_dir / "policy.active.toml"
        self._lock = state_dir / "policy.lock"

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
            if old == policy.sha256:
                return False, old
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text(policy.text, encoding="utf-8")
            os.replace(tmp, self._path)
            return True, old
