"""Table names → DuckDB tables, per BU, as MCE resolves them in schema ``C{MID}``.

A name is a DE visible from the BU (its own DEs by Name, case-insensitive, then the
parent's shared DEs), or a system data view (``_Sent``); ``ENT.`` reaches the parent
(enterprise) BU's shared DEs and data views. Each reference becomes a subquery selecting
only the DE's fields, so the hidden ``_sim_added`` column never shows, not even to
``SELECT *``. The alias defaults to the name as written, so ``Orders.OrderID`` and
``[Web Events 2024].[Event Type]`` keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from simulator.model import DataExtension, Field, FieldType
from simulator.rows import quote_ident
from simulator.sql.catalog import QueryCatalog
from simulator.sql.errors import SqlError

__all__ = ["Source", "resolve_tables", "schema_for", "wrap_sources"]

_ENT = "ent"


@dataclass(frozen=True)
class Source:
    """One table a query reads: its DuckDB table, its fields and the DE (``None`` for views)."""

    table: str
    fields: tuple[Field, ...]
    de: DataExtension | None
    written: str


def _written(table: exp.Table) -> str:
    return ".".join(p.name for p in table.parts)


def _lookup(catalog: QueryCatalog, *, mid: int, table: exp.Table) -> Source:
    written = _written(table)
    parts = [p.name for p in table.parts]
    if len(parts) == 2 and parts[0].lower() == _ENT:
        owner = catalog.store.parent_mid(mid) or mid
        name = parts[1]
        de = catalog.store.get_de(owner, name=name, include_shared=False)
        if de is not None and not (de.is_shared or owner == mid):
            de = None
    elif len(parts) == 1:
        owner, name = mid, parts[0]
        de = catalog.store.get_de(mid, name=name)
    else:
        raise SqlError(f"Invalid object name '{written}'.")
    if de is not None:
        catalog.rows.ensure_table(de)
        return Source(catalog.rows.table_name(de), tuple(de.fields), de, written)
    spec = catalog.views.spec(name) if name.startswith("_") else None
    if spec is not None:
        table_name = catalog.views.table(owner, spec.name)
        return Source(table_name, tuple(spec.fields), None, written)
    raise SqlError(f"Invalid object name '{written}'.")


def resolve_tables(catalog: QueryCatalog, *, mid: int, tree: exp.Expr) -> dict[str, Source]:
    """Point every table reference of ``tree`` (in place) at its DuckDB table.

    Returns the sources by DuckDB table name; raises ``Invalid object name 'X'.``
    """
    sources: dict[str, Source] = {}
    for table in list(tree.find_all(exp.Table)):
        if not table.name:
            continue
        source = _lookup(catalog, mid=mid, table=table)
        sources[source.table] = source
        alias = table.alias or table.name
        table.replace(
            exp.Table(
                this=exp.to_identifier(source.table, quoted=True),
                alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
            )
        )
    return sources


def _sqlglot_type(field: Field) -> str:
    match field.field_type:
        case FieldType.NUMBER:
            return "BIGINT"
        case FieldType.DATE:
            return "DATETIME"
        case FieldType.BOOLEAN:
            return "BIT"
        case FieldType.DECIMAL:
            return f"DECIMAL({field.max_length or 18}, {field.scale or 0})"
        case _:
            return f"VARCHAR({field.max_length or 4000})"


def schema_for(sources: dict[str, Source]) -> dict[str, dict[str, str]]:
    """sqlglot's schema (lower-cased, as T-SQL's case-insensitive normalisation expects)."""
    return {
        name: {f.name.lower(): _sqlglot_type(f) for f in source.fields}
        for name, source in sources.items()
    }


def wrap_sources(tree: exp.Expr, sources: dict[str, Source]) -> None:
    """Replace each table reference by ``(SELECT <fields> FROM table) AS alias`` in place."""
    for table in list(tree.find_all(exp.Table)):
        source = sources.get(table.name)
        if source is None:
            continue
        columns = ", ".join(quote_ident(f.name) for f in source.fields) or "NULL AS _none"
        select: exp.Expr = exp.maybe_parse(
            f"SELECT {columns} FROM {quote_ident(source.table)}",  # noqa: S608 - quoted
            dialect="duckdb",
        )
        alias = table.alias or table.name
        table.replace(
            exp.Subquery(
                this=select, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True))
            )
        )
