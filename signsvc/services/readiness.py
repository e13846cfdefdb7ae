"""Is the service ready to sign? Keys answer, the audit log takes writes, clients readable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from signsvc.errors import SignsvcError
from signsvc.keys.registry import KeyRegistry


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]      # component -> "ok" or an error code

    details: dict | None = None  # e.g. "audit_chain": where the chain was verified or broke

    def as_dict(self) -> dict:
        body = {"status": "ready" if self.ready else "not-ready", "checks": self.checks}
        if self.details:
            body.update(self.details)
        return body


class ReadinessService:
    def __init__(self, keys: KeyRegistry, others: dict[str, Callable[[], None]], *,
                 details: dict[str, Callable[[], dict]] | None = None) -> None:
        self._keys = keys
        self._others = others
        self._details = details or {}

    def check(self) -> Readiness:
        """Run every check; never raises. Key ids are listed, never labels or paths."""
        checks: dict[str, str] = {}
        for name, fn in self._others.items():
            checks[name] = _run(fn)
        for key in self._keys:
            checks[f"key:{key.info.id}"] = _run(key.check)
        details: dict[str, dict | None] = {}
        for name, read in self._details.items():
            try:
                details[name] = read()
            except Exception:
                details[name] = None
        return Readiness(ready=all(v == "ok" for v in checks.values()), checks=checks,
                         details=details)


def _run(fn: Callable[[], None]) -> str:
    try:
        fn()
        return "ok"
    except SignsvcError as exc:
        return exc.code
    except Exception:  # a check must not take the probe down
        return "error"
