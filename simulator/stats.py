"""Call counters by operation name, readable through ``/__sim/stats``.

Tests use them to assert how many calls the product made (e.g. that a token is
cached, or that paging stops at the last page).
"""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["Stats"]


class Stats:
    """Thread-safe counters keyed by operation (``rest.rowset.get``, ``soap.Retrieve.X``...)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, operation: str) -> None:
        with self._lock:
            self._counts[operation] += 1

    def get(self, operation: str) -> int:
        with self._lock:
            return self._counts[operation]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
