"""Writing a query's result into its target DE: Overwrite, Append, Update.

MCE inserts ``querydef``'s columns BY NAME into the target (REFERENCE §5.1). The result
is first materialised with its row order (``__rn``), converted to the target's types
with a problem code per row (:mod:`convert`), and checked for NULLs in required columns
and duplicate primary keys, all in DuckDB.

Failures (**[sim]** choices where REFERENCE is silent): the first bad row in result order
decides the message. Append keeps the rows before it (MCE has no transaction around an
activity; REFERENCE: "a failed Append may leave rows"). Overwrite and Update change
nothing when they fail: their checks run before the target is touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from simulator.model import DataExtension, Field
from simulator.rows import ADDED_COLUMN, quote_ident
from simulator.sql.catalog import QueryCatalog
from simulator.sql.convert import convert_field, default_sql
from simulator.sql.errors import SqlError, from_duckdb
from simulator.sql.session import tsql_session
from simulator.sql.transpile import Compiled
from simulator.values import ValueProblem, coerce_value

__all__ = ["UPDATE_TYPES", "map_columns", "table_label", "write_result"]

UPDATE_TYPES = ("Overwrite", "Append", "Update")
_RESULT = "__sim_query_result"
_CONVERTED = "__sim_query_converted"


def table_label(de: DataExtension) -> str:
    """How SQL Server names the target in messages: ``C{MID}.{DE name}``."""
    return f"C{de.mid}.{de.name}"


def _pk_name(de: DataExtension) -> str:
    return "PK_" + re.sub(r"\W", "_", de.customer_key)


def map_columns(columns: tuple[str, ...], target: DataExtension) -> dict[str, int]:
    """Target field name → index of the output column feeding it (by name, any case).

    Raises ``Invalid column name 'X'.`` for an output column the target lacks.
    """
    mapping: dict[str, int] = {}
    for index, name in enumerate(columns):
        field = target.field_named(name)
        if field is None:
            raise SqlError(f"Invalid column name '{name}'.")
        mapping[field.name] = index
    return mapping


@dataclass(frozen=True)
class _Problem:
    row: int
    code: str
    field: str | None


def _default(field: Field) -> Any:
    if field.default_value is None:
        return None
    try:
        return coerce_value(field, field.default_value)
    except ValueProblem:
        return None


def _converted_sql(compiled: Compiled, target: DataExtension, mapping: dict[str, int]) -> str:
    selects = ["q.__rn"]
    problems: list[str] = []
    for i, field in enumerate(target.fields):
        index = mapping.get(field.name)
        if index is None:
            value = default_sql(field, _default(field))
            problem = "NULL"
        else:
            conversion = convert_field(field, src=f"q.c{index}", src_type=compiled.types[index])
            value, problem = conversion.value, conversion.problem
        selects.append(f"{value} AS v{i}")
        problems.append(f"WHEN ({problem}) IS NOT NULL THEN ({problem}) || ':{i}'")
        if field.is_required or field.is_primary_key:
            problems.append(f"WHEN ({value}) IS NULL THEN 'null:{i}'")
    selects.append("CASE " + " ".join(problems) + " END AS __problem" if problems else "NULL")
    return f"SELECT {', '.join(selects)} FROM {_RESULT} q"  # noqa: S608 - generated


def _pk_match(target: DataExtension, left: str, right: str) -> str:
    fields = target.fields
    return " AND ".join(
        f"{left}.{quote_ident(f.name)} = {right}.v{fields.index(f)}" for f in target.primary_key
    )


def _first_problem(
    con: duckdb.DuckDBPyConnection, target: DataExtension, *, table: str, append: bool
) -> _Problem | None:
    pk = target.primary_key
    candidates = [
        f"SELECT __rn, __problem AS code FROM {_CONVERTED} "  # noqa: S608 - generated
        "WHERE __problem IS NOT NULL"
    ]
    if pk:
        keys = ", ".join(f"v{target.fields.index(f)}" for f in pk)
        candidates.append(
            f"SELECT __rn, 'dup' AS code FROM (SELECT __rn, row_number() OVER "  # noqa: S608
            f"(PARTITION BY {keys} ORDER BY __rn) AS n FROM {_CONVERTED}) WHERE n > 1"
        )
        if append:
            candidates.append(
                f"SELECT c.__rn, 'dup' AS code FROM {_CONVERTED} c WHERE EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {quote_ident(table)} t WHERE {_pk_match(target, 't', 'c')})"
            )
    sql = " UNION ALL ".join(candidates) + " ORDER BY __rn, code LIMIT 1"
    row = con.execute(sql).fetchone()
    if row is None:
        return None
    code = str(row[1])
    kind, _, index = code.partition(":")
    field = target.fields[int(index)].name if index else None
    return _Problem(row=int(row[0]), code=kind, field=field)


def _message(
    con: duckdb.DuckDBPyConnection,
    problem: _Problem,
    *,
    target: DataExtension,
    compiled: Compiled,
    mapping: dict[str, int],
) -> str:
    label = table_label(target)
    if problem.code == "dup":
        keys = ", ".join(f"v{target.fields.index(f)}" for f in target.primary_key)
        values = con.execute(
            f"SELECT {keys} FROM {_CONVERTED} WHERE __rn = ?",  # noqa: S608 - generated
            [problem.row],
        ).fetchone()
        shown = ", ".join("NULL" if v is None else str(v) for v in values or ())
        return (
            f"Violation of PRIMARY KEY constraint '{_pk_name(target)}'. Cannot insert duplicate "
            f"key in object '{label}'. The duplicate key value is ({shown})."
        )
    if problem.code == "null":
        return (
            f"Cannot insert the value NULL into column '{problem.field}', table '{label}'; "
            "column does not allow nulls. INSERT fails."
        )
    if problem.code == "trunc":
        return "String or binary data would be truncated."
    assert problem.field is not None
    field = target.field_named(problem.field)
    assert field is not None
    index = mapping[field.name]
    raw = con.execute(
        f"SELECT CAST(c{index} AS VARCHAR) FROM {_RESULT} WHERE __rn = ?",  # noqa: S608
        [problem.row],
    ).fetchone()
    value = "" if raw is None else str(raw[0])
    source_is_text = compiled.types[index].upper() == "VARCHAR"
    match field.field_type.value, problem.code, source_is_text:
        case "Number", "conv", True:
            return (
                f"Conversion failed when converting the varchar value '{value}' to data type int."
            )
        case "Number", _, _:
            return "Arithmetic overflow error converting expression to data type int."
        case "Decimal", "conv", _:
            return "Error converting data type varchar to numeric."
        case "Decimal", _, True:
            return "Arithmetic overflow error converting varchar to data type numeric."
        case "Decimal", _, _:
            return "Arithmetic overflow error converting numeric to data type numeric."
        case "Boolean", _, _:
            return (
                f"Conversion failed when converting the varchar value '{value}' to data type bit."
            )
        case "Date", _, True:
            return "Conversion failed when converting date and/or time from character string."
    return (
        f"Conversion failed when converting the {compiled.types[index].lower()} value "
        f"'{value}' to data type {field.field_type.value.lower()}."
    )


def _insert(
    con: duckdb.DuckDBPyConnection,
    target: DataExtension,
    *,
    table: str,
    now: datetime,
    where: str = "",
    params: list[Any] | None = None,
) -> int:
    values = ", ".join(f"v{i}" for i in range(len(target.fields)))
    sql = (
        f"INSERT INTO {quote_ident(table)} {_insert_columns(target)} "  # noqa: S608 - generated
        f"SELECT {values}, ?::TIMESTAMP FROM {_CONVERTED} c {where} ORDER BY __rn"
    )
    row = con.execute(sql, [now, *(params or [])]).fetchone()
    return int(row[0]) if row else 0


def _insert_columns(target: DataExtension) -> str:
    names = [quote_ident(f.name) for f in target.fields] + [quote_ident(ADDED_COLUMN)]
    return "(" + ", ".join(names) + ")"


def _update(
    con: duckdb.DuckDBPyConnection,
    target: DataExtension,
    *,
    table: str,
    mapping: dict[str, int],
    now: datetime,
) -> int:
    pk_names = {f.name for f in target.primary_key}
    sets = [
        f"{quote_ident(f.name)} = c.v{i}"
        for i, f in enumerate(target.fields)
        if f.name in mapping and f.name not in pk_names
    ]
    params: list[Any] = []
    if target.reset_retention_period_on_import:
        sets.append(f"{quote_ident(ADDED_COLUMN)} = ?::TIMESTAMP")
        params.append(now)
    updated = 0
    if sets:
        row = con.execute(
            f"UPDATE {quote_ident(table)} AS t SET {', '.join(sets)} "  # noqa: S608 - generated
            f"FROM {_CONVERTED} c WHERE {_pk_match(target, 't', 'c')}",
            params,
        ).fetchone()
        updated = int(row[0]) if row else 0
    else:
        row = con.execute(
            f"SELECT count(*) FROM {_CONVERTED} c WHERE EXISTS (SELECT 1 FROM "  # noqa: S608
            f"{quote_ident(table)} t WHERE {_pk_match(target, 't', 'c')})"
        ).fetchone()
        updated = int(row[0]) if row else 0
    inserted = _insert(
        con,
        target,
        table=table,
        now=now,
        where=f"WHERE NOT EXISTS (SELECT 1 FROM {quote_ident(table)} t "  # noqa: S608
        f"WHERE {_pk_match(target, 't', 'c')})",
    )
    return updated + inserted


def write_result(
    catalog: QueryCatalog,
    *,
    compiled: Compiled,
    target: DataExtension,
    update_type: str,
) -> int:
    """Run ``compiled`` into ``target``; the number of rows written. Raises :class:`SqlError`."""
    mode = next((u for u in UPDATE_TYPES if u.lower() == update_type.strip().lower()), None)
    if mode is None:
        raise SqlError(f"Unknown target update type '{update_type}'.")
    if mode == "Update" and not target.primary_key:
        raise SqlError(
            "The Target Data Extension must have a Primary Key to use the Update data action."
        )
    mapping = map_columns(compiled.columns, target)
    table = catalog.rows.ensure_table(target)
    aliases = ", ".join(f"c{i}" for i in range(len(compiled.columns)))
    now = catalog.now()
    with tsql_session(catalog.rows) as con:
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {_RESULT} AS SELECT row_number() OVER () AS "  # noqa: S608
                f"__rn, * FROM ({compiled.sql}) AS querydef({aliases})"
            )
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {_CONVERTED} AS "
                + _converted_sql(compiled, target, mapping)
            )
            problem = _first_problem(con, target, table=table, append=mode == "Append")
            if problem is not None:
                message = _message(con, problem, target=target, compiled=compiled, mapping=mapping)
                if mode == "Append" and problem.row > 1:
                    _insert(con, target, table=table, now=now, where="WHERE __rn < ?",
                            params=[problem.row])  # fmt: skip
                raise SqlError(message)
            con.execute("BEGIN TRANSACTION")
            try:
                if mode == "Overwrite":
                    con.execute(f"DELETE FROM {quote_ident(table)}")  # noqa: S608 - quoted
                if mode == "Update":
                    written = _update(con, target, table=table, mapping=mapping, now=now)
                else:
                    written = _insert(con, target, table=table, now=now)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            return written
        except duckdb.Error as exc:
            raise from_duckdb(exc) from None
        finally:
            con.execute(f"DROP TABLE IF EXISTS {_RESULT}")
            con.execute(f"DROP TABLE IF EXISTS {_CONVERTED}")
