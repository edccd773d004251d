"""Build every data view table of one BU inside DuckDB, in dependency order.

Staging tables (subscribers, journeys, jobs, sends, unsubscribes) are temporary: the views
are projections of them, materialised into tables typed from the view's
:class:`~simulator.model.Field` list (``duckdb_type``), so queries over a data view behave
like queries over a DE. Rows are inserted in a fixed order, so two generations with the same
seed give identical tables, row order included.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from simulator.dataviews.events import event_views
from simulator.dataviews.people import people_staging, people_views
from simulator.dataviews.plan import BuPlan, table_name
from simulator.dataviews.sends import send_staging, send_views
from simulator.dataviews.specs import SPECS, DataViewSpec
from simulator.rows import duckdb_type, quote_ident

__all__ = ["drop_views", "generate"]

_STAGING = ("subs", "acts", "jobs", "sends", "unsubs")


def generate(con: duckdb.DuckDBPyConnection, plan: BuPlan) -> dict[str, int]:
    """Create the BU's view tables; returns rows per canonical view name.

    On failure the tables created so far are dropped again, so a retry starts clean.
    """
    # _Subscribers reads _Bounce, _ListSubscribers reads _Subscribers: keep this order.
    selects = {**send_views(plan), **event_views(plan), **people_views(plan)}
    counts: dict[str, int] = {}
    try:
        for statement in [*people_staging(plan), *send_staging(plan)]:
            con.execute(statement)
        for name, select in selects.items():
            counts[name] = _materialise(con, plan.table(name), SPECS[name.lower()], select)
    except BaseException:
        drop_views(con, plan.mid, counts)
        raise
    finally:
        for part in _STAGING:
            con.execute(f"DROP TABLE IF EXISTS {quote_ident(plan.staging(part))}")
    return counts


def drop_views(con: duckdb.DuckDBPyConnection, mid: int, names: Iterable[str]) -> None:
    """Drop the tables of ``names`` (canonical view names) of BU ``mid``, if they exist."""
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(table_name(mid, name))}")


def _materialise(
    con: duckdb.DuckDBPyConnection, table: str, spec: DataViewSpec, select: str
) -> int:
    """One CREATE TABLE AS: typed columns in spec order, rows in a fixed order.

    ``ORDER BY ALL`` makes the physical order a function of the content, so the same seed
    gives the same table even where the generating SELECT has ties.
    """
    columns = ", ".join(
        f"CAST(v.{quote_ident(f.name)} AS {duckdb_type(f)}) AS {quote_ident(f.name)}"
        for f in spec.fields
    )
    created = con.execute(
        f"CREATE TABLE {quote_ident(table)} AS "  # noqa: S608 - quoted identifiers
        f"SELECT {columns} FROM ({select}) AS v ORDER BY ALL"
    ).fetchone()
    return int(created[0]) if created else 0
