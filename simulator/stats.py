"""Call counters by operation name, readable through ``/__sim/stats``.

Tests use them to assert how many calls the product made (e.g. that a token is
cached, or that paging stops at the last page). Calls signed with an access token are also
counted per BU (the token's MID) [sim]: MCE has no such counter; tests use it to prove that
work for one BU made exactly the calls it should.
"""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["Stats"]


class Stats:
    """Thread-safe counters keyed by operation (``rest.rowset.get``, ``soap.Retrieve.X``...)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._by_mid: dict[int, Counter[str]] = {}
        self._lock = threading.Lock()

    def count(self, operation: str, *, mid: int | None = None) -> None:
        with self._lock:
            self._counts[operation] += 1
            if mid is not None:
                self._by_mid.setdefault(mid, Counter())[operation] += 1

    def by_mid(self) -> dict[str, dict[str, int]]:
        """Counts per BU (MIDs as strings, JSON's keys), for calls with a known token."""
        with self._lock:
            return {
                str(mid): dict(sorted(counts.items()))
                for mid, counts in sorted(self._by_mid.items())
            }

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
            self._by_mid.clear()
