"""Shared pieces of the query-engine tests (no tests here).

``ViewsDouble`` implements only the ``DataViewsLike`` protocol, with two tiny views
(``_Sent`` and ``_Open``), so these tests do not depend on the data-view generator.

Why a stand-in here, when tests otherwise use our real components: these tests pin down the
query engine's SQL semantics (name resolution, ``ENT.``, row estimates, functions, target
writes) and need view rows small and known in advance to state exact answers (4 sends of job 1,
2 of them opened). The generator's rows are seeded, numerous and time-relative, so exact answers
would have to be recomputed from them, restating the engine. The double stands in for data
only: it is a DuckDB table behind the same protocol ``QueryCatalog`` takes (``DataViews``
provides exactly that protocol), and the engine code under test is the real one. The real
generator is covered where it matters: its own behaviour in ``test_dataviews.py``, and the real
views under the engine in ``test_sql_corpus.py`` (22 queries, row counts from an independent
DuckDB oracle) and ``test_queries_http.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from simulator.model import DataExtension, Field, FieldType
from simulator.sql import QueryCatalog
from simulator.state import Simulator
from tests.simulator.conftest import make_sim
from tests.simulator.helpers import bu_named

_VIEW_FIELDS = {
    "_Sent": [("JobID", FieldType.NUMBER), ("SubscriberKey", FieldType.TEXT),
              ("EventDate", FieldType.DATE)],
    "_Open": [("JobID", FieldType.NUMBER), ("SubscriberKey", FieldType.TEXT),
              ("EventDate", FieldType.DATE), ("IsUnique", FieldType.BOOLEAN)],
}  # fmt: skip


@dataclass(frozen=True)
class ViewSpec:
    name: str
    fields: list[Field] = field(default_factory=list)


class ViewsDouble:
    """``_Sent``: 4 sends per BU (SUB-000000..3, job 1); ``_Open``: 2 of them opened."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self.specs = {
            name: ViewSpec(
                name,
                [
                    Field(object_id=f"{name}.{n}", name=n, field_type=t, ordinal=i, max_length=254)
                    for i, (n, t) in enumerate(cols)
                ],
            )
            for name, cols in _VIEW_FIELDS.items()
        }
        self.made: set[str] = set()

    def spec(self, name: str) -> ViewSpec | None:
        return next((s for k, s in self.specs.items() if k.lower() == name.lower()), None)

    def table(self, mid: int, name: str) -> str:
        table = f"dv_test_{mid}_{name.strip('_').lower()}"
        if table not in self.made:
            with self._sim.rows.connection() as con:
                if name == "_Sent":
                    con.execute(
                        f"CREATE TABLE {table} AS SELECT 1::BIGINT AS JobID, "  # noqa: S608
                        "'SUB-' || lpad(CAST(i AS VARCHAR), 6, '0') AS SubscriberKey, "
                        "TIMESTAMP '2024-03-01 10:00:00' + to_hours(i) AS EventDate "
                        "FROM range(4) t(i)"
                    )
                else:
                    con.execute(
                        f"CREATE TABLE {table} AS SELECT 1::BIGINT AS JobID, "  # noqa: S608
                        "'SUB-' || lpad(CAST(i AS VARCHAR), 6, '0') AS SubscriberKey, "
                        "TIMESTAMP '2024-03-02 10:00:00' AS EventDate, true AS IsUnique "
                        "FROM range(2) t(i)"
                    )
            self.made.add(table)
        return table


#: The fixed server time the tests' GETDATE() returns (and its UTC twin).
NOW = datetime(2024, 6, 15, 9, 30, 0)
UTCNOW = datetime(2024, 6, 15, 15, 30, 0)


def catalog_for(sim: Simulator) -> QueryCatalog:
    return QueryCatalog(
        store=sim.store,
        rows=sim.rows,
        views=ViewsDouble(sim),
        now=lambda: NOW,
        utcnow=lambda: UTCNOW,
    )


def us_mid(sim: Simulator) -> int:
    return bu_named(sim, "US").mid


def de(sim: Simulator, mid: int, name: str) -> DataExtension:
    found = sim.store.get_de(mid, name=name)
    assert found is not None
    return found


def module_sim() -> Iterator[Simulator]:
    """Body of each test module's ``sim`` fixture: one seeded simulator per module."""
    simulator = make_sim()
    yield simulator
    simulator.close()
