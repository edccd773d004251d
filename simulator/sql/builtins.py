"""The functions a query may call: MCE's T-SQL subset, and nothing DuckDB adds.

Why this module exists: the engine hands the parsed tree to DuckDB, whose functions
read files (``read_csv``, ``read_text``), list every BU's tables (``duckdb_tables()``)
and run SQL given as text (``query('...')``). A query activity must never reach any of
that, so the check is an allow-list over the parsed tree, not a deny-list of names:

* a table reference must be a name; ``FROM f(...)`` (any table-valued function) is
  ``Invalid object name 'f'.``, as SQL Server answers for a function it does not know;
* every call must be one sqlglot's T-SQL reader builds from a function REFERENCE §5.1
  lists (or a plain T-SQL function the engine translates); anything else is
  ``'f' is not a recognized built-in function name.``

**[sim]** T-SQL functions newer than MCE's compatibility level (``STRING_AGG``,
``CONCAT_WS``, ``TRANSLATE``, like ``STRING_SPLIT`` which REFERENCE flags) and the ones
the engine does not translate (``ISNUMERIC``, ``STR``, ``CHOOSE`` ...) are refused too.
"""

from __future__ import annotations

from itertools import pairwise

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from simulator.sql.errors import SqlError

__all__ = ["check_calls", "check_tokens"]

#: Calls the reader leaves as ``Anonymous`` and :mod:`simulator.sql.functions` rewrites.
_ANONYMOUS = frozenset(
    {
        "LEN", "CHARINDEX", "PATINDEX", "DATEADD", "DATEDIFF", "DATEPART", "DATENAME",
        "FORMAT", "GETDATE", "GETUTCDATE", "SYSDATETIME", "SYSUTCDATETIME",
    }
)  # fmt: skip

#: Nodes the T-SQL reader builds for MCE's functions and operators (``YEAR(x)`` is
#: ``Year(TsOrDsToDate(x))``, ``EOMONTH`` is ``LastDay``, ``ISNULL`` is ``Coalesce``).
_TYPED: tuple[type[exp.Func], ...] = (
    # logic and predicates
    exp.And, exp.Or, exp.Exists, exp.Case, exp.If, exp.Coalesce, exp.Nullif, exp.Collate,
    # conversion
    exp.Cast, exp.Convert,
    # text
    exp.Concat, exp.Substring, exp.Left, exp.Right, exp.Upper, exp.Lower, exp.Trim,
    exp.Replace, exp.Repeat, exp.Reverse, exp.Stuff, exp.Space, exp.Chr, exp.Ascii,
    exp.Unicode, exp.Soundex,
    # numbers
    exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Sqrt, exp.Pow, exp.Exp, exp.Ln, exp.Log,
    exp.Sign, exp.Pi, exp.Rand,
    # dates
    exp.Year, exp.Month, exp.Day, exp.TsOrDsToDate, exp.LastDay, exp.DateAdd,
    exp.DateFromParts, exp.TimestampFromParts, exp.TimeFromParts, exp.CurrentTimestamp,
    exp.Uuid,
    # aggregates and windows
    exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Stddev, exp.RowNumber, exp.Rank,
    exp.DenseRank, exp.Ntile, exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue,
    exp.CumeDist, exp.PercentRank,
)  # fmt: skip

#: How MCE's functions are written, to name the offending call in a message.
_WRITTEN = _ANONYMOUS | {
    "ABS", "AVG", "CAST", "CEILING", "CHAR", "COALESCE", "CONCAT", "CONVERT", "COUNT",
    "COUNT_BIG", "CUME_DIST", "DATEFROMPARTS", "DATETIMEFROMPARTS", "DAY", "DENSE_RANK",
    "EOMONTH", "EXISTS", "EXP", "FIRST_VALUE", "FLOOR", "IIF", "ISNULL", "LAG", "LAST_VALUE",
    "LEAD", "LEFT", "LOG", "LOG10", "LOWER", "LTRIM", "MAX", "MIN", "MONTH", "NEWID", "NTILE",
    "NULLIF", "PERCENT_RANK", "POWER", "RANK", "REPLACE", "REPLICATE", "REVERSE", "RIGHT",
    "ROUND", "ROW_NUMBER", "RTRIM", "SIGN", "SQRT", "SQUARE", "STDEV", "STUFF", "SUBSTRING",
    "SUM", "TRIM", "UPPER", "YEAR", "ASCII", "UNICODE", "SPACE", "SOUNDEX", "PI", "RAND",
    "TIMEFROMPARTS",
}  # fmt: skip

#: Tokens of DuckDB-only syntax the T-SQL reader still accepts (``{...}``, ``x::type``).
_FOREIGN_TOKENS = {TokenType.L_BRACE: "{", TokenType.DCOLON: "::"}


def _written(node: exp.Func, tokens: list[Token]) -> str:
    """The name of call ``node`` as the user spelled it (the reader renames some)."""
    if isinstance(node, exp.Anonymous):
        return str(node.this)
    start = node.meta.get("start")
    by_position = next((t.text for t in tokens if t.start == start), None)
    if by_position is not None:
        return by_position
    calls = [t for t, n in pairwise(tokens) if n.token_type is TokenType.L_PAREN]
    name = node.sql_name()
    return next(
        (t.text for t in calls if t.text.upper() == name),
        next((t.text for t in calls if t.text.upper() not in _WRITTEN), name),
    )


def check_tokens(tokens: list[Token]) -> None:
    """Refuse DuckDB-only syntax seen in the raw tokens."""
    for token in tokens:
        if token.token_type in _FOREIGN_TOKENS:
            raise SqlError(f"Incorrect syntax near '{_FOREIGN_TOKENS[token.token_type]}'.")


def check_calls(tree: exp.Expr, tokens: list[Token]) -> None:
    """Raise :class:`SqlError` for a table function or a call outside MCE's subset."""
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            name = _written(table.this, tokens)
            raise SqlError(f"Invalid object name '{name}'.")
    for node in tree.find_all(exp.Unnest, exp.Lateral):
        inner = node.this if isinstance(node, exp.Lateral) else node
        if isinstance(inner, exp.Func):
            name = _written(inner, tokens)
            raise SqlError(f"Invalid object name '{name}'.")
    for call in tree.find_all(exp.Func):
        if isinstance(call, exp.Anonymous):
            if str(call.this).upper() in _ANONYMOUS:
                continue
        elif isinstance(call, _TYPED):
            continue
        name = _written(call, tokens)
        raise SqlError(f"'{name}' is not a recognized built-in function name.")
