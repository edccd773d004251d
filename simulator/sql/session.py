"""The DuckDB session a query runs in: SQL Server's collation, division and helper macros.

MCE's databases use a case-insensitive collation (``SQL_Latin1_General_CP1_CI_AS``) and
integer division for integers; DuckDB's defaults are the opposite. The settings are
switched on for the duration of one query under the row store's lock and reset after,
so rowset paging and other users of the shared connection keep DuckDB's defaults.
The ``tsql_*`` macros carry T-SQL semantics that one expression cannot (they are created
once per connection and are harmless to everyone else).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from simulator.rows import RowStore

__all__ = ["DATE_ERROR", "DATE_FORMATS", "tsql_session"]

#: Text forms SQL Server converts to datetime without a style, tried after ISO 8601.
DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
    "%m/%d/%Y", "%Y%m%d", "%Y%m%d %H:%M:%S", "%b %d %Y %I:%M%p", "%b %d %Y", "%d %b %Y",
    "%B %d %Y", "%B %d, %Y", "%Y/%m/%d", "%Y.%m.%d", "%m-%d-%Y",
)  # fmt: skip
DATE_ERROR = "Conversion failed when converting date and/or time from character string."
_FORMATS_SQL = "[" + ", ".join(f"'{f}'" for f in DATE_FORMATS) + "]"

_MACROS = (
    "tsql_len(s) AS length(rtrim(CAST(s AS VARCHAR), ' '))",
    "tsql_charindex(n, h, p) AS CASE WHEN n IS NULL OR h IS NULL THEN NULL "
    "WHEN CAST(n AS VARCHAR) = '' THEN 0 "
    "WHEN strpos(lower(substr(CAST(h AS VARCHAR), greatest(coalesce(p, 1), 1))), "
    "lower(CAST(n AS VARCHAR))) = 0 THEN 0 "
    "ELSE strpos(lower(substr(CAST(h AS VARCHAR), greatest(coalesce(p, 1), 1))), "
    "lower(CAST(n AS VARCHAR))) + greatest(coalesce(p, 1), 1) - 1 END",
    "tsql_substring(s, b, n) AS CASE WHEN b < 1 "
    "THEN substring(CAST(s AS VARCHAR), 1, greatest(n + b - 1, 0)) "
    "ELSE substring(CAST(s AS VARCHAR), b, n) END",
    f"tsql_text_ts(s) AS CASE WHEN s IS NULL THEN NULL "
    f"WHEN coalesce(TRY_CAST(trim(s) AS TIMESTAMP), try_strptime(trim(s), {_FORMATS_SQL})) "
    f"IS NOT NULL THEN coalesce(TRY_CAST(trim(s) AS TIMESTAMP), "
    f"try_strptime(trim(s), {_FORMATS_SQL})) ELSE error('{DATE_ERROR}') END",
    "tsql_style0(d) AS strftime(d, '%b ') || lpad(CAST(day(d) AS VARCHAR), 2, ' ') "
    "|| strftime(d, ' %Y ') || lpad(strftime(d, '%-I:%M'), 5, ' ') || strftime(d, '%p')",
    "tsql_week(d) AS (dayofyear(d) + dayofweek(make_date(year(d), 1, 1)) - 1) // 7 + 1",
    "tsql_week_start(d) AS CAST(d AS DATE) - CAST(dayofweek(d) AS INTEGER)",
)
_ready: weakref.WeakSet[RowStore] = weakref.WeakSet()


def _install(con: duckdb.DuckDBPyConnection) -> None:
    for macro in _MACROS:
        con.execute(f"CREATE OR REPLACE MACRO {macro}")


@contextmanager
def tsql_session(rows: RowStore) -> Iterator[duckdb.DuckDBPyConnection]:
    """The locked connection with SQL Server's settings; restored on exit."""
    with rows.connection() as con:
        if rows not in _ready:
            _install(con)
            _ready.add(rows)
        con.execute("SET default_collation = 'nocase'")
        con.execute("SET integer_division = true")
        try:
            yield con
        finally:
            con.execute("RESET default_collation")
            con.execute("RESET integer_division")
