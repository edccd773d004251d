"""The catalogue protocol: how tsql reaches metadata without importing any of ours.

The caller implements it (services adapt the metadata cache; tests use :class:`MemoryCatalog`).
Lookups are async and by name so that tsql scales to tens of thousands of DEs without loading
them all. Data views are *not* the caller's business: tsql owns them (:mod:`tsql.dataviews`) and
asks the catalogue only for DEs, and for ``_EnterpriseAttribute``'s per-account columns.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Sequence
from typing import Protocol

from tsql.types import Table, TableName

__all__ = ["Catalog", "EmptyCatalog", "MemoryCatalog"]


class Catalog(Protocol):
    """Metadata for one BU as its SQL sees it: its own DEs, and the parent's shared as ``ENT.``."""

    async def lookup(self, name: TableName) -> Table | None:
        """The DE called ``name`` (case-insensitive, with its columns), or None when unknown.

        ``name.shared`` asks for the parent BU's shared DE (``ENT.[Name]``). For the data view
        ``_EnterpriseAttribute`` the caller may answer a Table of kind DATA_VIEW whose columns are
        the account's profile attributes; None means "not known" and tsql then knows only
        ``_SubscriberID``.
        """
        ...

    async def search(self, text: str, *, limit: int, shared: bool | None = None) -> Sequence[Table]:
        """At most ``limit`` DEs whose names match ``text``, best first (prefix before fuzzy).

        Used for completions: columns may be empty. An empty ``text`` lists the first ``limit``.
        ``shared=True`` asks for the parent's shared DEs only (after ``ENT.``), ``False`` for
        the BU's own only, None for both.
        """
        ...


class MemoryCatalog:
    """A :class:`Catalog` over tables held in memory: tests, benchmarks, small callers.

    :meth:`search` is fast enough for completions over 10,000 tables (bench.tsql): names are
    kept sorted so prefix matches are a binary search, and only when they do not fill the
    answer are the names scanned for substring and subsequence matches.
    """

    def __init__(self, tables: Iterable[Table] = ()) -> None:
        self._tables: dict[tuple[str, bool], Table] = {}
        self._keys: list[tuple[str, bool]] | None = None  # sorted; rebuilt after add()
        self._keys_by_sharing: dict[bool, list[tuple[str, bool]]] = {}
        for table in tables:
            self.add(table)

    def add(self, table: Table) -> None:
        self._tables[(table.name.casefold(), table.shared)] = table
        self._keys = None

    async def lookup(self, name: TableName) -> Table | None:
        return self._tables.get((name.name.casefold(), name.shared))

    async def search(self, text: str, *, limit: int, shared: bool | None = None) -> Sequence[Table]:
        """Prefix matches, then substring matches, then subsequence matches (fuzzy); within
        each, shorter names first, then alphabetically."""
        if limit <= 0:
            return []
        wanted = text.casefold()
        keys = self._sorted_keys(shared)
        start = bisect.bisect_left(keys, (wanted, False))
        end = start
        while end < len(keys) and keys[end][0].startswith(wanted):
            end += 1
        found = heapq.nsmallest(limit, keys[start:end], key=_shortest_first)
        if len(found) < limit:
            rest = keys[:start] + keys[end:]
            inside = [key for key in rest if wanted in key[0]]
            found += heapq.nsmallest(limit - len(found), inside, key=_shortest_first)
            if len(found) < limit:
                fuzzy = [
                    key for key in rest if wanted not in key[0] and _is_subsequence(wanted, key[0])
                ]
                found += heapq.nsmallest(limit - len(found), fuzzy, key=_shortest_first)
        return [self._tables[key] for key in found]

    def _sorted_keys(self, shared: bool | None = None) -> list[tuple[str, bool]]:
        if self._keys is None:
            self._keys = sorted(self._tables)
            self._keys_by_sharing = {
                flag: [key for key in self._keys if key[1] is flag] for flag in (True, False)
            }
        return self._keys if shared is None else self._keys_by_sharing[shared]


class EmptyCatalog(MemoryCatalog):
    """No DEs at all: the data views alone (until the metadata cache lands)."""

    def __init__(self) -> None:
        super().__init__(())


def _shortest_first(key: tuple[str, bool]) -> tuple[int, str, bool]:
    return (len(key[0]), key[0], key[1])


def _is_subsequence(needle: str, haystack: str) -> bool:
    position = 0
    for char in needle:
        position = haystack.find(char, position) + 1
        if position == 0:
            return False
    return True
