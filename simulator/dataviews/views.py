"""The per-BU system data views of one simulated stack, generated on first use.

Why lazy: tests build a fresh simulator per test and most never touch a data view, so
constructing :class:`DataViews` costs nothing; a BU's views are generated (all at once) the
first time a query reads one of them, relative to the clock's "now" at that moment, truncated
to the hour so that simulators built within the same hour agree row for row. The generation
takes the DuckDB lock through ``rows.connection()``, so concurrent first uses generate once.
"""

from __future__ import annotations

import duckdb

from simulator.clock import Clock
from simulator.dataviews.generate import drop_views, generate
from simulator.dataviews.plan import SIZES, BuPlan, table_name
from simulator.dataviews.specs import SPECS, DataViewSpec, find_spec
from simulator.rows import RowStore
from simulator.store import Store

__all__ = ["DataViews"]


class DataViews:
    """Read-only MCE data views (``_Sent``, ``_Open``, ...) per BU, as DuckDB tables."""

    def __init__(
        self, *, rows: RowStore, store: Store, seed: int, scale: str, clock: Clock
    ) -> None:
        if scale not in SIZES:
            raise ValueError(f"scale must be one of {tuple(SIZES)}")
        self._rows = rows
        self._store = store
        self._seed = seed
        self._scale = scale
        self._clock = clock
        self._counts: dict[int, dict[str, int]] = {}

    def spec(self, name: str) -> DataViewSpec | None:
        """The view called ``name`` (``"_Sent"``, ``"_sent"``), or ``None``."""
        return find_spec(name)

    def names(self) -> list[str]:
        """Canonical names of every view (``"_Sent"``, ...)."""
        return [spec.name for spec in SPECS.values()]

    def table(self, mid: int, name: str) -> str:
        """The (unquoted) DuckDB table holding BU ``mid``'s rows of view ``name``.

        Generates the BU's views on first use. Raises ``KeyError`` for an unknown view or BU.
        """
        spec = self._require(name)
        self._ensure(mid)
        return table_name(mid, spec.name)

    def row_count(self, mid: int, name: str) -> int:
        """Rows of view ``name`` in BU ``mid`` (generating the BU's views if needed)."""
        spec = self._require(name)
        return self._ensure(mid)[spec.name]

    def reset(self) -> None:
        """Drop every generated table; the next use generates again."""
        with self._rows.connection() as con:
            try:
                for mid, counts in self._counts.items():
                    drop_views(con, mid, counts)
            except duckdb.ConnectionException:
                pass  # the row store was closed first: its tables are gone with it
            self._counts.clear()

    def _require(self, name: str) -> DataViewSpec:
        spec = find_spec(name)
        if spec is None:
            raise KeyError(f"no data view named {name!r}")
        return spec

    def _ensure(self, mid: int) -> dict[str, int]:
        with self._rows.connection() as con:
            counts = self._counts.get(mid)
            if counts is None:
                counts = generate(con, self._plan(mid))
                self._counts[mid] = counts
            return counts

    def _plan(self, mid: int) -> BuPlan:
        bu = self._store.get_business_unit(mid)
        if bu is None:
            raise KeyError(f"no business unit {mid}")
        enterprise = self._store.enterprise
        users = sorted(u.id for u in self._store.users.values() if mid in u.reachable_mids)
        parent, child = SIZES[self._scale]
        return BuPlan(
            mid=mid,
            eid=enterprise.eid,
            seed=self._seed,
            size=parent if mid == enterprise.eid else child,
            now=self._clock.server_now().replace(minute=0, second=0, microsecond=0),
            bu_name=bu.name,
            company=enterprise.name,
            user_ids=tuple(users) or (0,),
        )
