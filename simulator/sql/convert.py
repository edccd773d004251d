"""SQL Server's implicit conversions of a query's output into a DE field's type, in SQL.

Each target field gets a value expression (what lands in the DE's DuckDB column) and a
problem expression (which failure a row raises, ``NULL`` when none), both over the
query's output column ``src`` of DuckDB type ``src_type``. Everything stays in DuckDB so
a million-row result needs no per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from simulator.model import Field, FieldType
from simulator.rows import duckdb_type
from simulator.sql.session import DATE_FORMATS
from simulator.values import text_limit

__all__ = ["Conversion", "convert_field", "default_sql"]

_FORMATS_SQL = "[" + ", ".join(f"'{f}'" for f in DATE_FORMATS) + "]"
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT")  # fmt: skip


@dataclass(frozen=True)
class Conversion:
    """``value``: the converted SQL; ``problem``: SQL giving a problem code or NULL.

    Problem codes: ``conv`` (not convertible), ``overflow``, ``trunc`` (text too long).
    """

    value: str
    problem: str


def _kind(src_type: str) -> str:
    upper = src_type.upper()
    if upper in _INT_TYPES:
        return "int"
    if upper.startswith("DECIMAL") or upper in ("DOUBLE", "FLOAT", "REAL"):
        return "fraction"
    if upper == "BOOLEAN":
        return "bool"
    if upper.startswith("TIMESTAMP") or upper == "DATE":
        return "date"
    if upper == "VARCHAR":
        return "text"
    return "other"


def _text(src: str, kind: str, limit: int) -> Conversion:
    as_text = {
        "text": src,
        "bool": f"CASE WHEN {src} THEN '1' WHEN NOT {src} THEN '0' END",
        "date": f"tsql_style0(CAST({src} AS TIMESTAMP))",
    }.get(kind, f"CAST({src} AS VARCHAR)")
    value = f"left({as_text}, {limit})"
    problem = f"CASE WHEN length(rtrim({as_text}, ' ')) > {limit} THEN 'trunc' END"
    return Conversion(value, problem)


def _number(src: str, kind: str) -> Conversion:
    value = {
        "int": f"TRY_CAST({src} AS BIGINT)",
        "fraction": f"TRY_CAST(trunc({src}) AS BIGINT)",
        "bool": f"CAST({src} AS BIGINT)",
        "text": f"CASE WHEN regexp_full_match(trim({src}), '[+-]?[0-9]+') "
        f"THEN TRY_CAST(trim({src}) AS BIGINT) END",
    }.get(kind, "CAST(NULL AS BIGINT)")
    failed = "conv" if kind in ("text", "date", "other") else "overflow"
    if kind == "text":
        failed = (
            f"CASE WHEN regexp_full_match(trim({src}), '[+-]?[0-9]+') THEN 'overflow' "
            f"ELSE 'conv' END"
        )
    else:
        failed = f"'{failed}'"
    return Conversion(value, f"CASE WHEN {src} IS NOT NULL AND {value} IS NULL THEN {failed} END")


def _decimal(src: str, kind: str, field: Field) -> Conversion:
    target = duckdb_type(field)
    if kind == "text":
        value = f"TRY_CAST(trim({src}) AS {target})"
        failed = (
            f"CASE WHEN TRY_CAST(trim({src}) AS DOUBLE) IS NULL THEN 'conv' ELSE 'overflow' END"
        )
    elif kind in ("int", "fraction", "bool"):
        value = f"TRY_CAST({src} AS {target})"
        failed = "'overflow'"
    else:
        value, failed = f"CAST(NULL AS {target})", "'conv'"
    return Conversion(value, f"CASE WHEN {src} IS NOT NULL AND {value} IS NULL THEN {failed} END")


def _date(src: str, kind: str) -> Conversion:
    value = {
        "date": f"CAST({src} AS TIMESTAMP)",
        "text": f"coalesce(TRY_CAST(trim({src}) AS TIMESTAMP), "
        f"try_strptime(trim({src}), {_FORMATS_SQL}))",
        "int": f"TIMESTAMP '1900-01-01' + to_days(CAST({src} AS INTEGER))",
    }.get(kind, "CAST(NULL AS TIMESTAMP)")
    return Conversion(value, f"CASE WHEN {src} IS NOT NULL AND {value} IS NULL THEN 'conv' END")


def _boolean(src: str, kind: str) -> Conversion:
    value = {
        "bool": src,
        "int": f"{src} <> 0",
        "fraction": f"{src} <> 0",
        "text": f"CASE lower(trim({src})) WHEN 'true' THEN true WHEN 'false' THEN false "
        f"ELSE TRY_CAST(trim({src}) AS DOUBLE) <> 0 END",
    }.get(kind, "CAST(NULL AS BOOLEAN)")
    return Conversion(value, f"CASE WHEN {src} IS NOT NULL AND {value} IS NULL THEN 'conv' END")


def convert_field(field: Field, *, src: str, src_type: str) -> Conversion:
    """How SQL Server would store output column ``src`` into ``field``.

    **[sim]** Text: booleans become ``1``/``0``, datetimes SQL Server's style 0
    (``Jan  1 2024 12:00AM``); only trailing spaces may be cut silently. Number: text must
    be an integer, fractions truncate. Date: ISO 8601 and the US forms SQL Server reads.
    Boolean: ``true``/``false`` or a number.
    """
    kind = _kind(src_type)
    match field.field_type:
        case FieldType.NUMBER:
            return _number(src, kind)
        case FieldType.DECIMAL:
            return _decimal(src, kind, field)
        case FieldType.DATE:
            return _date(src, kind)
        case FieldType.BOOLEAN:
            return _boolean(src, kind)
    limit = text_limit(field) or 4000
    return _text(src, kind, limit)


def default_sql(field: Field, value: object) -> str:
    """A typed SQL literal for a field's (already coerced) default value, or NULL."""
    target = duckdb_type(field)
    if value is None:
        return f"CAST(NULL AS {target})"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)
    return "CAST('" + text.replace("'", "''") + f"' AS {target})"
