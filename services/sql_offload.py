"""Long SQL work off the event loop: the process's one tsql thread, and a fair share of it.

tsql is plain Python: validating or formatting a 100,000-character text takes up to ~0.7 s,
which on the event loop would stall every other request and websocket of the process. Such
work runs in this process's one tsql thread instead (one, as for big SOAP pages in
client/soap/channel.py: under the GIL more threads would only take turns). tsql's API is async
because its catalogue is: the thread runs each coroutine on an event loop of its own, and
:class:`RelayedCatalog` sends the catalogue's calls back to the caller's loop, where the
catalogue's connections live.

One thread is a shared queue, so each owner (a user) may have at most
:data:`MAX_PENDING_PER_OWNER` pieces of work queued or running at once: the editor sends one
check at a time, and a document that asks for thirty long checks through aliases would
otherwise hold the thread for everyone for seconds. Work is counted until the thread has
finished it, even when the caller stopped waiting (a disconnect does not free the slot early).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections import Counter
from collections.abc import Callable, Coroutine, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from services.errors import RateLimited
from tsql import Catalog, Table, TableName

__all__ = [
    "MAX_PENDING_PER_OWNER",
    "RelayedCatalog",
    "in_tsql_thread",
    "pending",
    "run_coroutine",
]

#: Pieces of long SQL work one owner may have queued or running in the tsql thread at once.
MAX_PENDING_PER_OWNER = 4

T = TypeVar("T")

_executor: tuple[int, ThreadPoolExecutor] | None = None
_pending: Counter[Hashable] = Counter()
_pending_lock = threading.Lock()


def _tsql_thread() -> ThreadPoolExecutor:
    """This process's one thread for long SQL (created again after a fork)."""
    global _executor
    pid = os.getpid()
    if _executor is None or _executor[0] != pid:
        _executor = (pid, ThreadPoolExecutor(1, thread_name_prefix="tsql"))
    return _executor[1]


async def in_tsql_thread(owner: Hashable, work: Callable[[], T]) -> T:
    """``work()`` in the tsql thread, for ``owner``.

    Raises RateLimited when ``owner`` already has :data:`MAX_PENDING_PER_OWNER` pieces of work
    queued or running.
    """
    with _pending_lock:
        if _pending[owner] >= MAX_PENDING_PER_OWNER:
            raise RateLimited("Too many long SQL checks at once; try again in a moment.")
        _pending[owner] += 1
    try:
        future = _tsql_thread().submit(contextvars.copy_context().run, work)
    except BaseException:
        _release(owner)
        raise
    future.add_done_callback(lambda _done: _release(owner))
    return await _awaited(future)


async def _awaited(future: Future[T]) -> T:
    return await asyncio.wrap_future(future)


def _release(owner: Hashable) -> None:
    with _pending_lock:
        _pending[owner] -= 1
        if _pending[owner] <= 0:
            del _pending[owner]


def pending(owner: Hashable) -> int:
    """How many pieces of work ``owner`` has queued or running (for tests and metrics)."""
    with _pending_lock:
        return _pending[owner]


def run_coroutine(check: Callable[[Catalog], Coroutine[Any, Any, T]], catalog: Catalog) -> T:
    """Run ``check(catalog)`` to completion on a new event loop of this thread.

    The coroutine is made here, in the thread, so work cancelled before the thread took it
    leaves no coroutine un-awaited.
    """
    return asyncio.run(check(catalog))


class RelayedCatalog:
    """A catalogue used from the tsql thread whose calls run on the caller's event loop."""

    def __init__(self, catalog: Catalog, loop: asyncio.AbstractEventLoop) -> None:
        self._catalog = catalog
        self._loop = loop

    async def lookup(self, name: TableName) -> Table | None:
        return await self._on_caller_loop(self._lookup(name))

    async def search(self, text: str, *, limit: int, shared: bool | None = None) -> Sequence[Table]:
        return await self._on_caller_loop(self._search(text, limit=limit, shared=shared))

    async def _on_caller_loop(self, call: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call, self._loop))

    async def _lookup(self, name: TableName) -> Table | None:
        return await self._catalog.lookup(name)

    async def _search(
        self, text: str, *, limit: int, shared: bool | None = None
    ) -> Sequence[Table]:
        return await self._catalog.search(text, limit=limit, shared=shared)
