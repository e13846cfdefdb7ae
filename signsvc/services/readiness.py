"""Is the service alive, and ready to sign? The database answers, every key answers, the TSA
gives a time-stamp, the audit log takes writes and its chain head verifies, clients readable."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from signsvc.errors import SignsvcError
from signsvc.keys.registry import KeyRegistry

#: a check: returns None (or raises nothing) when fine, else an error code it returns or
#: raises (``SignsvcError.code``); any other exception reads ``error``
Check = Callable[[], "str | None"]


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
    """``health``: liveness with this instance's name and database engine; ``check``: every
    component, each by name (``database``, ``audit``, ``clients``, ``tsa``, ``key:ID``)."""

    def __init__(self, keys: KeyRegistry, others: dict[str, Callable[[], str | None]], *,
                 details: dict[str, Callable[[], dict]] | None = None,
                 instance: str = "-", database: str = "sqlite") -> None:
        self._keys = keys
        self._others = others
        self._details = details or {}
        self.instance = instance
        self.database = database

    def health(self) -> dict[str, str]:
        """The liveness answer: ``status`` ok, ``instance`` (``[service] instance_id``) and
        ``database`` (``sqlite`` or ``postgresql``). Touches nothing."""
        return {"status": "ok", "instance": self.instance, "database": self.database}

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


def remembered(check: Callable[[], str | None], seconds: float,
               clock: Callable[[], float] = time.monotonic) -> Callable[[], str | None]:
    """``check``, its outcome (good or bad) reused for ``seconds``: a probe polled often (or
    by anyone: /readyz is public) costs the checked service (a TSA) one request per period."""
    lock = threading.Lock()
    last: list = [None, -float("inf")]   # outcome, when

    def run() -> str | None:
        with lock:
            if clock() - last[1] < seconds:
                return last[0]
        outcome = _run(check)
        result = None if outcome == "ok" else outcome
        with lock:
            last[0], last[1] = result, clock()
        return result
    return run


def _run(fn: Callable[[], str | None]) -> str:
    try:
        code = fn()
        return "ok" if code is None else code
    except SignsvcError as exc:
        return exc.code
    except Exception:  # a check must not take the probe down
        return "error"
