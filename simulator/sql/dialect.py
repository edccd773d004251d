"""The T-SQL reader the engine parses with: sqlglot's, minus its own function semantics.

sqlglot turns ``LEN``, ``CHARINDEX``, ``DATEADD``, ``DATEDIFF``, ``DATEPART``, ``DATENAME``
and ``FORMAT`` into portable nodes that lose T-SQL's meaning on the way to DuckDB (``LEN``
counting trailing spaces, ``DATEDIFF(week)`` on ISO weeks, ``DATENAME(quarter)`` as a
literal). Reading them as plain function calls lets :mod:`simulator.sql.functions` give
each one SQL Server's semantics; date-part arguments become :class:`sqlglot.exp.Var`, so
name resolution never mistakes ``day`` for a column.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.tsql import TSQL
from sqlglot.parsers.tsql import TSQLParser

__all__ = ["DATE_PART_FUNCTIONS", "TSqlReader"]

#: Functions whose first argument is a date part (``day``, ``mm``, ``weekday`` ...).
DATE_PART_FUNCTIONS = ("DATEADD", "DATEDIFF", "DATEPART", "DATENAME")
_PLAIN = ("LEN", "CHARINDEX", "FORMAT", "GETDATE", "GETUTCDATE", "SYSDATETIME", "SYSUTCDATETIME")


def _plain(name: str, *, date_part: bool) -> Callable[[list[exp.Expr]], exp.Expr]:
    def build(args: list[exp.Expr]) -> exp.Expr:
        if date_part and args:
            args = [exp.Var(this=args[0].name.upper() or args[0].sql()), *args[1:]]
        return exp.Anonymous(this=name, expressions=args)

    return build


class TSqlReader(TSQL):
    """sqlglot's T-SQL dialect with the functions above left as ``Anonymous`` calls."""

    class Parser(TSQLParser):
        FUNCTIONS = {
            **TSQLParser.FUNCTIONS,
            **{name: _plain(name, date_part=True) for name in DATE_PART_FUNCTIONS},
            **{name: _plain(name, date_part=False) for name in _PLAIN},
        }
        FUNCTION_PARSERS = {k: v for k, v in TSQLParser.FUNCTION_PARSERS.items() if k != "DATEPART"}
