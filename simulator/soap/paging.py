"""Continuation state for Retrieve paging (``MoreDataAvailable`` + ``ContinueRequest``).

MCE returns at most 2,500 results per Retrieve response; when more exist it answers
``OverallStatus = MoreDataAvailable`` and the client sends ``ContinueRequest`` with the previous
response's ``RequestID`` (REFERENCE.md §2.3). Each page gets a new RequestID; the cursor moves with
it, so a RequestID continues exactly once.

A cursor remembers who opened it (the token's user and BU): a ContinueRequest from anyone else is
treated as unknown, so one tenant cannot page through another's results by guessing an id (they are
random GUIDs anyway). Cursors expire after ``CURSOR_TTL_SECONDS`` and the store keeps at most
``MAX_CURSORS`` (oldest dropped first), so abandoned retrieves cannot grow memory without bound.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CURSOR_TTL_SECONDS",
    "MAX_CURSORS",
    "PAGE_SIZE",
    "Cursor",
    "PagingStore",
]

PAGE_SIZE = 2500
CURSOR_TTL_SECONDS = 30 * 60
MAX_CURSORS = 1000


@dataclass(slots=True)
class Cursor:
    """The rest of a result set: matched objects not yet returned, and how to render them."""

    owner: tuple[Any, ...]
    object_type: str
    items: Sequence[Any]
    offset: int
    render: Callable[[Any], str]
    expires_at: float


class PagingStore:
    """In-memory cursors keyed by the RequestID of the page that was last returned."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock

    def put(self, request_id: str, cursor: Cursor) -> None:
        with self._lock:
            self._evict()
            self._cursors[request_id] = cursor
            while len(self._cursors) > MAX_CURSORS:
                self._cursors.popitem(last=False)

    def take(self, request_id: str, *, owner: tuple[Any, ...]) -> Cursor | None:
        """Remove and return the cursor for ``request_id`` if it exists and belongs to ``owner``."""
        with self._lock:
            self._evict()
            cursor = self._cursors.get(request_id)
            if cursor is None or cursor.owner != owner:
                return None
            del self._cursors[request_id]
            return cursor

    def object_type_of(self, request_id: str) -> str | None:
        """The object type a cursor pages through (only used to name the call in stats)."""
        with self._lock:
            cursor = self._cursors.get(request_id)
            return None if cursor is None else cursor.object_type

    def new_expiry(self) -> float:
        return self._clock() + CURSOR_TTL_SECONDS

    def __len__(self) -> int:
        with self._lock:
            return len(self._cursors)

    def _evict(self) -> None:
        now = self._clock()
        expired = [key for key, c in self._cursors.items() if c.expires_at <= now]
        for key in expired:
            del self._cursors[key]
