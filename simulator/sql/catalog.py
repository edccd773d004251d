"""What a query can see: DEs per BU, their rows, the data views and the server clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from simulator.model import Field
from simulator.rows import RowStore
from simulator.store import Store

__all__ = ["DataViewSpecLike", "DataViewsLike", "QueryCatalog"]


class DataViewSpecLike(Protocol):
    """One system data view: its canonical name (``_Sent``) and typed columns."""

    @property
    def name(self) -> str: ...

    @property
    def fields(self) -> Sequence[Field]: ...


class DataViewsLike(Protocol):
    """The data views (``simulator.dataviews.DataViews`` provides exactly this)."""

    def spec(self, name: str) -> DataViewSpecLike | None:
        """The view called ``name`` (case-insensitive, leading ``_``), else ``None``."""
        ...

    def table(self, mid: int, name: str) -> str:
        """The DuckDB table holding BU ``mid``'s rows of view ``name`` (created if needed)."""
        ...


@dataclass(frozen=True)
class QueryCatalog:
    """Everything a query activity reads: metadata, rows, data views, the clock.

    ``now`` is MCE server time (naive CST) for ``GETDATE()``; ``utcnow`` gives UTC for
    ``GETUTCDATE()`` (an aware value is made naive). DuckDB's own clock is never used,
    so tests that move the simulator clock see it in query results.
    """

    store: Store
    rows: RowStore
    views: DataViewsLike
    now: Callable[[], datetime]
    utcnow: Callable[[], datetime]
