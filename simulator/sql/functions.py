"""T-SQL expressions → DuckDB expressions with SQL Server's semantics.

Runs after type annotation, children before parents, so a rewrite can look at its
arguments' (already rewritten) types: ``+`` concatenates only text, ``CAST(1.5 AS INT)``
truncates instead of rounding, ``AVG`` of integers stays an integer. Where SQL Server's
behaviour needs more than one DuckDB expression, a ``tsql_*`` macro from
:mod:`simulator.sql.session` carries it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import sqlglot
from sqlglot import exp

from simulator.sql.errors import SqlError

__all__ = ["rewrite_functions"]

_TEXT = {
    exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR, exp.DataType.Type.CHAR,
    exp.DataType.Type.NCHAR, exp.DataType.Type.TEXT,
}  # fmt: skip
_INTS = {
    exp.DataType.Type.INT, exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT,
    exp.DataType.Type.TINYINT, exp.DataType.Type.BIT,
}  # fmt: skip
_FRACTIONAL = {
    exp.DataType.Type.DECIMAL, exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT,
    exp.DataType.Type.MONEY, exp.DataType.Type.SMALLMONEY,
}  # fmt: skip
_DATES = {
    exp.DataType.Type.DATETIME, exp.DataType.Type.DATETIME2, exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.DATE, exp.DataType.Type.SMALLDATETIME, exp.DataType.Type.TIMESTAMPNTZ,
}  # fmt: skip

#: DATEADD/DATEDIFF/DATEPART abbreviations → one canonical part.
_PARTS = {
    "year": "year", "yy": "year", "yyyy": "year", "quarter": "quarter", "qq": "quarter",
    "q": "quarter", "month": "month", "mm": "month", "m": "month", "dayofyear": "dayofyear",
    "dy": "dayofyear", "y": "dayofyear", "day": "day", "dd": "day", "d": "day",
    "week": "week", "wk": "week", "ww": "week", "weekday": "weekday", "dw": "weekday",
    "w": "weekday", "hour": "hour", "hh": "hour", "minute": "minute", "mi": "minute",
    "n": "minute", "second": "second", "ss": "second", "s": "second",
    "millisecond": "millisecond", "ms": "millisecond", "iso_week": "iso_week",
    "isowk": "iso_week", "isoww": "iso_week",
}  # fmt: skip
_ADD_UNITS = {
    "year": ("to_months", 12), "quarter": ("to_months", 3), "month": ("to_months", 1),
    "dayofyear": ("to_days", 1), "day": ("to_days", 1), "weekday": ("to_days", 1),
    "week": ("to_days", 7), "hour": ("to_hours", 1), "minute": ("to_minutes", 1),
    "second": ("to_seconds", 1), "millisecond": ("to_milliseconds", 1),
}  # fmt: skip

#: CONVERT styles for datetime → text (strftime), REFERENCE §5.1's list and a few more.
_STYLES = {
    0: None, 100: None, 1: "%m/%d/%y", 101: "%m/%d/%Y", 2: "%y.%m.%d", 102: "%Y.%m.%d",
    3: "%d/%m/%y", 103: "%d/%m/%Y", 4: "%d.%m.%y", 104: "%d.%m.%Y", 5: "%d-%m-%y",
    105: "%d-%m-%Y", 10: "%m-%d-%y", 110: "%m-%d-%Y", 11: "%y/%m/%d", 111: "%Y/%m/%d",
    12: "%y%m%d", 112: "%Y%m%d", 8: "%H:%M:%S", 108: "%H:%M:%S", 20: "%Y-%m-%d %H:%M:%S",
    120: "%Y-%m-%d %H:%M:%S", 21: "%Y-%m-%d %H:%M:%S.%g", 121: "%Y-%m-%d %H:%M:%S.%g",
    23: "%Y-%m-%d", 126: "%Y-%m-%dT%H:%M:%S.%g", 127: "%Y-%m-%dT%H:%M:%S.%g",
}  # fmt: skip
#: CONVERT styles for text → datetime (strptime).
_PARSE_STYLES = {
    101: "%m/%d/%Y", 1: "%m/%d/%y", 103: "%d/%m/%Y", 3: "%d/%m/%y", 102: "%Y.%m.%d",
    104: "%d.%m.%Y", 105: "%d-%m-%Y", 110: "%m-%d-%Y", 111: "%Y/%m/%d", 112: "%Y%m%d",
}  # fmt: skip

#: .NET custom date format tokens → strftime, longest first.
_NET_DATE = (
    ("yyyy", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("M", "%-m"),
    ("dddd", "%A"), ("ddd", "%a"), ("dd", "%d"), ("d", "%-d"), ("HH", "%H"), ("H", "%-H"),
    ("hh", "%I"), ("h", "%-I"), ("mm", "%M"), ("m", "%-M"), ("ss", "%S"), ("s", "%-S"),
    ("tt", "%p"), ("fff", "%g"),
)  # fmt: skip
_NET_NUMBER = re.compile(r"^([NnCcPpFfDd])(\d{0,2})$")

#: Windows zone names SQL Server's AT TIME ZONE takes → IANA names DuckDB knows.
_ZONES = {
    "utc": "UTC", "central standard time": "America/Chicago",
    "eastern standard time": "America/New_York", "pacific standard time": "America/Los_Angeles",
    "mountain standard time": "America/Denver", "gmt standard time": "Europe/London",
    "w. europe standard time": "Europe/Berlin", "central europe standard time": "Europe/Budapest",
    "romance standard time": "Europe/Paris", "aus eastern standard time": "Australia/Sydney",
    "tokyo standard time": "Asia/Tokyo", "india standard time": "Asia/Kolkata",
}  # fmt: skip


def _duck(template: str, *args: exp.Expr, type_: str | None = None) -> exp.Expr:
    """A DuckDB expression from ``template`` with ``{0}``, ``{1}`` ... filled by ``args``."""
    filled = template.format(*[f"({a.sql('duckdb')})" for a in args])
    node = sqlglot.parse_one(filled, read="duckdb")
    if type_ is not None:
        node.type = exp.DataType.build(type_)
    return node


def _kind(node: exp.Expr) -> str:
    """``text``, ``int``, ``fraction``, ``date``, ``bool`` or ``unknown`` for a node's type."""
    if isinstance(node, exp.Literal):
        return "text" if node.is_string else ("int" if node.is_int else "fraction")
    type_ = node.type
    if type_ is None:
        return "unknown"
    if type_.this is exp.DataType.Type.BIT or type_.this is exp.DataType.Type.BOOLEAN:
        return "bool"
    if type_.this in _TEXT:
        return "text"
    if type_.this in _INTS:
        return "int"
    if type_.this in _FRACTIONAL:
        return "fraction"
    if type_.this in _DATES:
        return "date"
    return "unknown"


def _ts(node: exp.Expr) -> exp.Expr:
    """``node`` as a TIMESTAMP, parsing text the way SQL Server does."""
    if _kind(node) == "text":
        return _duck("tsql_text_ts({0})", node, type_="TIMESTAMP")
    return _duck("CAST({0} AS TIMESTAMP)", node, type_="TIMESTAMP")


def _literal_text(node: exp.Expr) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def _part(node: exp.Expr) -> str:
    part = _PARTS.get(node.name.lower())
    if part is None:
        raise SqlError(f"'{node.name}' is not a recognized datepart option.")
    return part


def _dateadd(args: list[exp.Expr]) -> exp.Expr:
    part = _part(args[0])
    if part == "iso_week":
        raise SqlError("The datepart iso_week is not supported by date function dateadd.")
    func, factor = _ADD_UNITS[part]
    return _duck(
        f"{{0}} + {func}(CAST(trunc({{1}}) AS INTEGER) * {factor})",
        _ts(args[2]),
        args[1],
        type_="TIMESTAMP",
    )


def _datediff(args: list[exp.Expr]) -> exp.Expr:
    part = _part(args[0])
    start, end = _ts(args[1]), _ts(args[2])
    if part == "week":
        return _duck(
            "date_diff('day', tsql_week_start({0}), tsql_week_start({1})) // 7",
            start,
            end,
            type_="BIGINT",
        )
    unit = {"dayofyear": "day", "weekday": "day", "iso_week": "week"}.get(part, part)
    return _duck(f"date_diff('{unit}', {{0}}, {{1}})", start, end, type_="BIGINT")


def _datepart(args: list[exp.Expr]) -> exp.Expr:
    part = _part(args[0])
    value = _ts(args[1])
    template = {
        "weekday": "dayofweek({0}) + 1",
        "week": "tsql_week({0})",
        "iso_week": "weekofyear({0})",
        "millisecond": "millisecond({0}) % 1000",
    }.get(part, f"date_part('{part}', {{0}})")
    return _duck(f"CAST({template} AS BIGINT)", value, type_="BIGINT")


def _datename(args: list[exp.Expr]) -> exp.Expr:
    part = _part(args[0])
    if part == "month":
        return _duck("strftime({0}, '%B')", _ts(args[1]), type_="VARCHAR")
    if part == "weekday":
        return _duck("strftime({0}, '%A')", _ts(args[1]), type_="VARCHAR")
    return _duck("CAST({0} AS VARCHAR)", _datepart(args), type_="VARCHAR")


def _net_date_format(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        for token, code in _NET_DATE:
            if pattern.startswith(token, i):
                out.append(code)
                i += len(token)
                break
        else:
            char = pattern[i]
            out.append("%%" if char == "%" else char)
            i += 1
    return "".join(out)


def _format(args: list[exp.Expr]) -> exp.Expr:
    value, pattern = args[0], _literal_text(args[1]) if len(args) > 1 else None
    if pattern is None:
        raise SqlError("FORMAT needs a constant format string in the simulator.")
    match = _NET_NUMBER.match(pattern)
    if match and _kind(value) != "date":
        code, digits = match.group(1).upper(), match.group(2)
        places = int(digits) if digits else (0 if code == "D" else 2)
        if code == "D":
            return _duck(
                f"lpad(CAST(CAST({{0}} AS BIGINT) AS VARCHAR), {places}, '0')",
                value,
                type_="VARCHAR",
            )
        spec = {"N": ",", "C": ",", "P": ",", "F": ""}[code]
        scale = " * 100" if code == "P" else ""
        prefix, suffix = ("'$' || ", "") if code == "C" else ("", " || ' %'" if code == "P" else "")
        return _duck(
            f"{prefix}format('{{{{:{spec}.{places}f}}}}', "
            f"round(CAST({{0}}{scale} AS DOUBLE), {places})){suffix}",
            value,
            type_="VARCHAR",
        )
    if re.fullmatch(r"[#0,]+(\.[0#]+)?", pattern):
        places = len(pattern.split(".")[1]) if "." in pattern else 0
        sep = "," if "," in pattern else ""
        return _duck(
            f"format('{{{{:{sep}.{places}f}}}}', round(CAST({{0}} AS DOUBLE), {places}))",
            value,
            type_="VARCHAR",
        )
    strf = _net_date_format(pattern).replace("'", "''")
    return _duck(f"strftime({{0}}, '{strf}')", _ts(value), type_="VARCHAR")


def _like_regex(pattern: str) -> str:
    """A T-SQL LIKE pattern (``%``, ``_``, ``[a-c]``, ``[^x]``) as an anchored regex."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        elif char == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append("[" + body + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _patindex(args: list[exp.Expr]) -> exp.Expr:
    pattern = _literal_text(args[0])
    if pattern is None:
        raise SqlError("PATINDEX needs a constant pattern in the simulator.")
    body = pattern[1:] if pattern.startswith("%") else pattern
    anchored = not pattern.startswith("%")
    regex = _like_regex(body)
    if regex.endswith(".*"):
        regex = regex[:-2]
    else:
        regex += "$"
    prefix = "" if anchored else "(.*?)"
    full = ("^" + prefix + "(" + regex + ")").replace("'", "''")
    return _duck(
        f"CASE WHEN {{0}} IS NULL THEN NULL WHEN regexp_matches({{0}}, '{full}', 'is') THEN "
        f"length(regexp_extract({{0}}, '{full}', 1, 'is')) + 1 ELSE 0 END"
        if not anchored
        else f"CASE WHEN {{0}} IS NULL THEN NULL "
        f"WHEN regexp_matches({{0}}, '{full}', 'is') THEN 1 ELSE 0 END",
        args[1],
        type_="BIGINT",
    )


def _replace(node: exp.Replace) -> exp.Expr:
    needle = _literal_text(node.expression)
    replacement = _literal_text(node.args["replacement"])
    if needle is None or replacement is None or needle == "":
        return node
    pattern = re.escape(needle).replace("'", "''")
    repl = replacement.replace("\\", "\\\\").replace("'", "''")
    return _duck(f"regexp_replace({{0}}, '{pattern}', '{repl}', 'gi')", node.this, type_="VARCHAR")


def _text_cast(value: exp.Expr, length: int | None) -> exp.Expr:
    kind = _kind(value)
    if kind == "date":
        text = _duck("tsql_style0({0})", value)
    elif kind == "bool":
        text = _duck("CASE WHEN {0} THEN '1' WHEN NOT {0} THEN '0' END", value)
    else:
        text = _duck("CAST({0} AS VARCHAR)", value)
    if length is not None:
        text = _duck(f"left({{0}}, {length})", text)
    text.type = exp.DataType.build("VARCHAR")
    return text


def _type_length(to: exp.DataType) -> int | None:
    """``n`` of ``VARCHAR(n)``; 30 when omitted (SQL Server's CAST default); None for MAX."""
    if not to.expressions:
        return 30
    size = to.expressions[0].name
    return None if size.upper() == "MAX" else int(size)


def _cast(value: exp.Expr, to: exp.DataType) -> exp.Expr:
    kind = _kind(value)
    target = to.this
    T = exp.DataType.Type
    if target in _TEXT:
        return _text_cast(value, _type_length(to))
    if target in (T.INT, T.BIGINT, T.SMALLINT, T.TINYINT):
        duck = {T.INT: "INTEGER", T.BIGINT: "BIGINT", T.SMALLINT: "SMALLINT"}.get(
            target, "UTINYINT"
        )
        if kind == "fraction":
            return _duck(f"CAST(trunc({{0}}) AS {duck})", value, type_=duck)
        if kind == "text":
            return _duck(
                f"CASE WHEN {{0}} IS NULL THEN NULL WHEN regexp_full_match(trim({{0}}), "
                f"'[+-]?[0-9]+') THEN CAST(trim({{0}}) AS {duck}) ELSE error('Conversion failed "
                f"when converting the varchar value ''' || {{0}} || ''' to data type int.') END",
                value,
                type_=duck,
            )
        return _duck(f"CAST({{0}} AS {duck})", value, type_=duck)
    if target in (T.DATETIME, T.DATETIME2, T.SMALLDATETIME, T.TIMESTAMP):
        return _ts(value)
    if target is T.DATE:
        return _duck("CAST({0} AS DATE)", _ts(value), type_="DATE")
    if target is T.BIT:
        return _duck("CAST({0} AS BOOLEAN)", value, type_="BIT")
    if target in (T.MONEY, T.SMALLMONEY):
        return _duck("CAST({0} AS DECIMAL(19, 4))", value, type_="DECIMAL(19, 4)")
    if target is T.UUID:
        return _duck("CAST({0} AS VARCHAR)", value, type_="VARCHAR")
    node = exp.Cast(this=value, to=to.copy())
    node.type = to.copy()
    return node


def _convert(node: exp.Convert) -> exp.Expr:
    to = node.this
    value = node.expression
    style_node = node.args.get("style")
    style = int(style_node.name) if style_node is not None and style_node.is_int else None
    assert isinstance(to, exp.DataType)
    if style is None:
        return _cast(value, to)
    if to.this in _TEXT and _kind(value) in ("date", "unknown"):
        fmt = _STYLES.get(style, "")
        if fmt == "":
            raise SqlError(f"{style} is not a valid style number when converting to varchar.")
        if fmt is None:
            text = _duck("tsql_style0({0})", _ts(value))
        elif style in (126, 127):
            text = _duck(
                "CASE WHEN millisecond({0}) % 1000 = 0 THEN strftime({0}, '%Y-%m-%dT%H:%M:%S') "
                "ELSE strftime({0}, '%Y-%m-%dT%H:%M:%S.%g') END",
                _ts(value),
            )
        else:
            text = _duck(f"strftime({{0}}, '{fmt}')", _ts(value))
        length = _type_length(to)
        if length is not None:
            text = _duck(f"left({{0}}, {length})", text)
        text.type = exp.DataType.build("VARCHAR")
        return text
    if to.this in _DATES and _kind(value) == "text" and style in _PARSE_STYLES:
        parsed = _duck(
            f"CASE WHEN {{0}} IS NULL THEN NULL ELSE coalesce(try_strptime(trim({{0}}), "
            f"'{_PARSE_STYLES[style]}'), error('Conversion failed when converting date and/or "
            f"time from character string.')) END",
            value,
            type_="TIMESTAMP",
        )
        return _cast(parsed, to)
    return _cast(value, to)


def _add(node: exp.Add) -> exp.Expr:
    left, right = node.this, node.expression
    lk, rk = _kind(left), _kind(right)
    if (lk == "text" and rk in ("text", "unknown")) or (rk == "text" and lk == "unknown"):
        return _duck("{0} || {1}", left, right, type_="VARCHAR")
    if lk == "text" and rk in ("int", "fraction"):
        return _duck("CAST({0} AS DOUBLE) + {1}", left, right)
    if rk == "text" and lk in ("int", "fraction"):
        return _duck("{0} + CAST({1} AS DOUBLE)", left, right)
    if lk == "date" and rk in ("int", "fraction"):
        return _duck(
            "{0} + to_milliseconds(CAST({1} * 86400000 AS BIGINT))", left, right, type_="TIMESTAMP"
        )
    if rk == "date" and lk in ("int", "fraction"):
        return _duck(
            "{1} + to_milliseconds(CAST({0} * 86400000 AS BIGINT))", left, right, type_="TIMESTAMP"
        )
    return node


def _sub(node: exp.Sub) -> exp.Expr:
    left, right = node.this, node.expression
    if _kind(left) == "date" and _kind(right) in ("int", "fraction"):
        return _duck(
            "{0} - to_milliseconds(CAST({1} * 86400000 AS BIGINT))", left, right, type_="TIMESTAMP"
        )
    return node


def _at_time_zone(node: exp.AtTimeZone) -> exp.Expr:
    zone_text = _literal_text(node.args["zone"])
    if zone_text is None:
        raise SqlError("AT TIME ZONE needs a constant time zone name in the simulator.")
    zone = _ZONES.get(zone_text.lower())
    if zone is None:
        raise SqlError(
            f"The time zone parameter '{zone_text}' provided to AT TIME ZONE clause is invalid."
        )
    inner = node.this
    if isinstance(inner, exp.Anonymous) and inner.name == "__tsql_tz":
        value, zone_from = inner.expressions
        return _duck(
            f"timezone('{zone}', timezone({{1}}, {{0}}))", value, zone_from, type_="TIMESTAMP"
        )
    marker = exp.Anonymous(this="__tsql_tz", expressions=[_ts(inner), exp.Literal.string(zone)])
    marker.type = exp.DataType.build("TIMESTAMP")
    return marker


def _anonymous(node: exp.Anonymous, *, now: datetime, utcnow: datetime) -> exp.Expr:
    name = node.name.upper()
    args = list(node.expressions)
    if name in ("GETDATE", "SYSDATETIME"):
        return _duck(f"TIMESTAMP '{now.isoformat(sep=' ')}'", type_="TIMESTAMP")
    if name in ("GETUTCDATE", "SYSUTCDATETIME"):
        return _duck(f"TIMESTAMP '{utcnow.isoformat(sep=' ')}'", type_="TIMESTAMP")
    if name == "LEN":
        return _duck("tsql_len({0})", args[0], type_="BIGINT")
    if name == "CHARINDEX":
        start = args[2] if len(args) > 2 else exp.Literal.number(1)
        return _duck("tsql_charindex({0}, {1}, {2})", args[0], args[1], start, type_="BIGINT")
    if name == "DATEADD":
        return _dateadd(args)
    if name == "DATEDIFF":
        return _datediff(args)
    if name == "DATEPART":
        return _datepart(args)
    if name == "DATENAME":
        return _datename(args)
    if name == "FORMAT":
        return _format(args)
    if name == "PATINDEX":
        return _patindex(args)
    return node


def _like(node: exp.Like) -> exp.Expr:
    """LIKE as SQL Server's case-insensitive match; ``NOT LIKE`` (sqlglot's ``negate``) kept."""
    pattern = _literal_text(node.expression)
    matched: exp.Expr
    if pattern is not None and "[" in pattern:
        regex = ("^" + _like_regex(pattern) + "$").replace("'", "''")
        matched = _duck(f"regexp_matches({{0}}, '{regex}', 'is')", node.this)
    else:
        matched = exp.ILike(this=node.this, expression=node.expression)
    return exp.Not(this=exp.Paren(this=matched)) if node.args.get("negate") else matched


def _rewrite(node: exp.Expr, *, now: datetime, utcnow: datetime) -> exp.Expr:
    T = exp.DataType.Type
    match node:
        case exp.Anonymous():
            return _anonymous(node, now=now, utcnow=utcnow)
        case exp.CurrentTimestamp():
            return _duck(f"TIMESTAMP '{now.isoformat(sep=' ')}'", type_="TIMESTAMP")
        case exp.Add():
            return _add(node)
        case exp.Sub():
            return _sub(node)
        case exp.Cast() if not isinstance(node, exp.TryCast):
            return _cast(node.this, node.to)
        case exp.Convert():
            return _convert(node)
        case exp.Substring():
            length = node.args.get("length") or exp.Literal.number(2**31 - 1)
            return _duck("tsql_substring({0}, {1}, {2})", node.this, node.args["start"], length)
        case exp.Uuid():
            return _duck("upper(CAST(uuid() AS VARCHAR))", type_="VARCHAR")
        case exp.Avg() if _kind(node.this) == "int":
            return _duck("CAST(trunc(avg({0})) AS BIGINT)", node.this, type_="BIGINT")
        case exp.Like():
            return _like(node)
        case exp.Replace():
            return _replace(node)
        case exp.Round() if node.args.get("truncate") is not None:
            return _duck(
                "CASE WHEN {2} = 0 THEN round({0}, {1}) "
                "ELSE trunc({0} * pow(10, {1})) / pow(10, {1}) END",
                node.this,
                node.args.get("decimals") or exp.Literal.number(0),
                node.args["truncate"],
            )
        case exp.AtTimeZone():
            return _at_time_zone(node)
        case exp.DataType() if node.this is T.BIT:
            return exp.DataType.build("BOOLEAN")
    return node


def _unwrap_zones(tree: exp.Expr) -> None:
    for marker in list(tree.find_all(exp.Anonymous)):
        if marker.name == "__tsql_tz":
            marker.replace(marker.expressions[0])


RewriteHook = Callable[[exp.Expr], exp.Expr]


def rewrite_functions(tree: exp.Expr, *, now: datetime, utcnow: datetime) -> exp.Expr:
    """Rewrite ``tree`` (children first) into DuckDB expressions with T-SQL meaning."""
    nodes = list(tree.walk(bfs=False))
    for node in reversed(nodes):
        new = _rewrite(node, now=now, utcnow=utcnow)
        if new is not node:
            if new.type is None and node.type is not None:
                new.type = node.type
            if node is tree:
                tree = new
            else:
                node.replace(new)
    _unwrap_zones(tree)
    return tree
