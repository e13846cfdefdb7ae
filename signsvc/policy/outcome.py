"""What a rule check returns: ``(status, message, evaluated)`` -- status ``pass`` / ``fail`` /
``skip`` (not applicable), a message in Vietnamese and English, the facts it looked at."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from signsvc.errors import Message
from signsvc.policy.facts import SigningFacts

Outcome = tuple[str, Message, dict[str, Any]]
Check = Callable[[SigningFacts, dict[str, Any]], Outcome]


def ok(vi: str, en: str, **ev: Any) -> Outcome:
    return "pass", Message(vi, en), ev


def fail(vi: str, en: str, **ev: Any) -> Outcome:
    return "fail", Message(vi, en), ev


def skip(vi: str, en: str, **ev: Any) -> Outcome:
    return "skip", Message(vi, en), ev
