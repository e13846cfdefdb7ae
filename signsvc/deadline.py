"""Per-request deadlines, carried in a context variable (standard library only).

A request that must end by a given time (signing: ``[service] signing_timeout_seconds``)
runs inside ``within(seconds)``. Every blocking wait on its path (OCSP/CRL/AIA fetches,
TSA requests, back-off sleeps, certificate status checks) asks ``remaining(cap)`` for its
own total time budget, so it ends no later than the request's deadline. The value is a
``contextvars.ContextVar``: ``asyncio.run``, tasks and ``asyncio.to_thread`` carry it into
the code they run; other threads do not see it.

Guarantees:
- ``within`` never extends a deadline already in force (the earlier one wins) and restores
  the previous one on exit;
- ``remaining`` never returns more than ``cap`` nor more than the time left, and raises
  ``DeadlineExceeded`` (a ``TimeoutError``, hence an ``OSError``) once the deadline passed;
- without a deadline in force, ``remaining(cap)`` is ``cap`` and ``expired()`` is False.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import overload

_DEADLINE: ContextVar[float | None] = ContextVar("signsvc_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """The request's deadline has passed."""


@contextlib.contextmanager
def within(seconds: float | None) -> Iterator[float | None]:
    """Run the block with a deadline ``seconds`` from now (None or <= 0: no new deadline).
    Yields the deadline in force (``time.monotonic()`` scale) or None."""
    current = _DEADLINE.get()
    if seconds is not None and seconds > 0:
        mine = time.monotonic() + seconds
        current = mine if current is None else min(current, mine)
    token = _DEADLINE.set(current)
    try:
        yield current
    finally:
        _DEADLINE.reset(token)


@overload
def remaining(cap: float) -> float: ...
@overload
def remaining(cap: None = None) -> float | None: ...
def remaining(cap: float | None = None) -> float | None:
    """Seconds left before the deadline, at most ``cap``; ``cap`` without a deadline.
    Raises ``DeadlineExceeded`` when the deadline has passed."""
    at = _DEADLINE.get()
    if at is None:
        return cap
    left = at - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the request's deadline has passed")
    return left if cap is None else min(cap, left)


def expired() -> bool:
    """True when a deadline is in force and has passed."""
    at = _DEADLINE.get()
    return at is not None and time.monotonic() >= at


def check() -> None:
    """Raise ``DeadlineExceeded`` when the deadline in force has passed."""
    if expired():
        raise DeadlineExceeded("the request's deadline has passed")


def bounded_by_timeout(method):
    """Decorator for a service method: the call runs ``within(self._timeout)`` (seconds; None
    or <= 0: no deadline of its own, an outer one still applies)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with within(self._timeout):
            return method(self, *args, **kwargs)
    return wrapper
