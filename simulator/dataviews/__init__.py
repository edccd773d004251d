"""MCE system data views (REFERENCE §5.2), per BU, generated lazily inside DuckDB.

``DataViews`` is what the query engine reads: ``spec(name)`` for the typed columns of a
view, ``table(mid, name)`` for the DuckDB table with that BU's rows.
"""

from __future__ import annotations

from simulator.dataviews.specs import SPECS, TRACKING_VIEWS, DataViewSpec, find_spec
from simulator.dataviews.views import DataViews

__all__ = ["SPECS", "TRACKING_VIEWS", "DataViewSpec", "DataViews", "find_spec"]
