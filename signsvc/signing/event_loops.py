"""One long-lived asyncio event loop per thread, for synchronous code that runs coroutines.

``asyncio.run`` builds and closes a loop per call (an epoll instance, a selector, an
executor: 2.7% of a signing worker's samples under load), and what belongs to a loop --
an aiohttp session with its kept-alive connections -- cannot outlive it. ``run`` runs a
coroutine on this thread's loop, which stays for the thread's life (gunicorn's worker
threads live as long as the worker), so such objects can be kept per thread.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
_local = threading.local()
#: weak (loop, bound closer) pairs run when the process exits: what was kept on a loop is
#: closed on it; a thread that ends takes its loop and what it kept with it (nothing is held)
_closers: list[tuple[weakref.ref, weakref.WeakMethod]] = []


def thread_loop() -> asyncio.AbstractEventLoop:
    """This thread's kept loop, made on first use (never running between calls)."""
    loop = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _local.loop = loop
    return loop


def is_kept(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is the calling thread's kept loop (objects bound to it may be kept)."""
    return getattr(_local, "loop", None) is loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``coro``'s result, run to completion on this thread's kept loop (with a copy of the
    current context, as ``asyncio.run``). Must not be called from a running loop."""
    return thread_loop().run_until_complete(coro)


def close_at_exit(closer: Callable[[], Awaitable[Any]]) -> None:
    """Await ``closer()`` (a bound method, e.g. a kept aiohttp session's ``close``, which
    would otherwise complain when collected) on this thread's kept loop when the process
    exits, if its object and the loop still exist."""
    _closers.append((weakref.ref(thread_loop()), weakref.WeakMethod(closer)))


@atexit.register
def _close_kept() -> None:
    for loop_ref, closer_ref in _closers:
        loop, closer = loop_ref(), closer_ref()
        if loop is not None and closer is not None and not loop.is_closed() \
                and not loop.is_running():
            with contextlib.suppress(Exception):
                loop.run_until_complete(closer())
