"""The simulator's query engine: MCE Query Activities over the row store's DuckDB.

``check_query`` rejects what MCE rejects without looking at tables; ``validate_query``
lists every error create/validate would report; ``run_query`` executes a query into its
target DE the way MCE's wrapper (``validated_query_text``) does; ``estimate_rows`` sizes a
run for the simulated duration. Every failure is a :class:`SqlError` with a message safe
to show.
"""

from __future__ import annotations

import duckdb

from simulator.model import DataExtension
from simulator.sql.catalog import DataViewsLike, DataViewSpecLike, QueryCatalog
from simulator.sql.checks import check_query, parse_query
from simulator.sql.errors import SqlError
from simulator.sql.resolve import resolve_tables
from simulator.sql.targets import UPDATE_TYPES, map_columns, write_result
from simulator.sql.transpile import compile_query
from simulator.sql.wrapper import validated_query_text

__all__ = [
    "DataViewSpecLike",
    "DataViewsLike",
    "QueryCatalog",
    "SqlError",
    "check_query",
    "estimate_rows",
    "run_query",
    "validate_query",
    "validated_query_text",
]


def validate_query(
    catalog: QueryCatalog,
    *,
    mid: int,
    text: str,
    target: DataExtension | None,
    update_type: str,
) -> list[str]:
    """Every error MCE's validator would report for ``text`` (``[]`` when valid).

    Static checks, then name resolution and binding (tables, columns, ambiguity,
    unnamed or repeated output columns): the first failure there ends the list, as a
    SQL Server compile error does. With a ``target``: output columns must exist in it,
    required and primary-key fields must be selected (REFERENCE §4.4: "Field 'X' is
    required for the Target Data Extension"), and Update needs a primary key.
    """
    errors: list[str] = []
    mode = next((u for u in UPDATE_TYPES if u.lower() == update_type.strip().lower()), None)
    if mode is None:
        errors.append(f"Unknown target update type '{update_type}'.")
    if target is not None and mode == "Update" and not target.primary_key:
        errors.append(
            "The Target Data Extension must have a Primary Key to use the Update data action."
        )
    try:
        compiled = compile_query(catalog, mid=mid, text=text)
    except SqlError as exc:
        return [exc.message, *errors]
    if target is None:
        return errors
    for name in compiled.columns:
        if target.field_named(name) is None:
            errors.append(f"Invalid column name '{name}'.")
    selected = {name.lower() for name in compiled.columns}
    for field in target.fields:
        if (field.is_required or field.is_primary_key) and field.name.lower() not in selected:
            errors.append(f"Field '{field.name}' is required for the Target Data Extension")
    return errors


def estimate_rows(catalog: QueryCatalog, *, mid: int, text: str) -> int:
    """Rows in the tables ``text`` reads (each counted once); 0 when it does not resolve."""
    try:
        sources = resolve_tables(catalog, mid=mid, tree=parse_query(text))
    except SqlError:
        return 0
    total = 0
    try:
        with catalog.rows.connection() as con:
            for name in sources:
                row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()  # noqa: S608
                total += int(row[0]) if row else 0
    except duckdb.Error:  # e.g. the connection closed by a concurrent /__sim/reset
        return 0
    return total


def run_query(
    catalog: QueryCatalog, *, mid: int, text: str, target: DataExtension, update_type: str
) -> int:
    """Execute ``text`` into ``target`` (Overwrite, Append or Update); rows written.

    Raises :class:`SqlError` with MCE's failure message; see :mod:`simulator.sql.targets`
    for what a failure leaves behind.
    """
    compiled = compile_query(catalog, mid=mid, text=text)
    map_columns(compiled.columns, target)
    selected = {name.lower() for name in compiled.columns}
    for field in target.fields:
        missing = field.name.lower() not in selected and field.default_value is None
        if (field.is_required or field.is_primary_key) and missing:
            raise SqlError(
                f"Cannot insert the value NULL into column '{field.name}', table "
                f"'C{target.mid}.{target.name}'; column does not allow nulls. INSERT fails."
            )
    return write_result(catalog, compiled=compiled, target=target, update_type=update_type)
