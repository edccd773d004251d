"""The catalogue protocol: how tsql reaches metadata without importing any of ours.

The caller implements it (services adapt the metadata cache; tests use :class:`MemoryCatalog`).
Lookups are async and by name so that tsql scales to tens of thousands of DEs without loading
them all. Data views are *not* the caller's business: tsql owns them (:mod:`tsql.dataviews`) and
asks the catalogue only for DEs, and for ``_EnterpriseAttribute``'s per-account columns.
"""

from __future__ import annotations

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

    async def search(self, text: str, *, limit: int) -> Sequence[Table]:
        """At most ``limit`` DEs whose names match ``text``, best first (prefix before fuzzy).

        Used for completions: columns may be empty. An empty ``text`` lists the first ``limit``.
        """
        ...


class MemoryCatalog:
    """A :class:`Catalog` over tables held in memory: tests, benchmarks, small callers."""

    def __init__(self, tables: Iterable[Table] = ()) -> None:
        self._tables: dict[tuple[str, bool], Table] = {}
        for table in tables:
            self.add(table)

    def add(self, table: Table) -> None:
        self._tables[(table.name.casefold(), table.shared)] = table

    async def lookup(self, name: TableName) -> Table | None:
        return self._tables.get((name.name.casefold(), name.shared))

    async def search(self, text: str, *, limit: int) -> Sequence[Table]:
        wanted = text.casefold()
        ranked: list[tuple[int, str, Table]] = []
        for (folded, _shared), table in self._tables.items():
            if not wanted or folded.startswith(wanted):
                rank = 0
            elif wanted in folded:
                rank = 1
            elif _is_subsequence(wanted, folded):
                rank = 2
            else:
                continue
            ranked.append((rank, folded, table))
        ranked.sort(key=lambda item: (item[0], len(item[1]), item[1]))
        return [table for _rank, _folded, table in ranked[:limit]]


class EmptyCatalog(MemoryCatalog):
    """No DEs at all: the data views alone (until the metadata cache lands)."""

    def __init__(self) -> None:
        super().__init__(())


def _is_subsequence(needle: str, haystack: str) -> bool:
    position = 0
    for char in needle:
        position = haystack.find(char, position) + 1
        if position == 0:
            return False
    return True
