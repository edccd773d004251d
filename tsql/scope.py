"""Name resolution for inference: which tables a query reads, and what a column name means.

A query block (one SELECT) sees the sources of its FROM clause (tables, data views, derived
tables, each under its alias) and, for correlated subqueries, the sources of the blocks around
it. MCE compares names case-insensitively, so every lookup here casefolds. Table names are
gathered from the whole statement first so that the caller's catalogue, which may be slow, is
asked about each name exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from sqlglot import exp

from tsql.catalog import Catalog
from tsql.dataviews import is_data_view_name, resolve_data_view
from tsql.types import Column, FieldType, Table, TableName

__all__ = [
    "Resolution",
    "Scope",
    "Source",
    "TableKey",
    "cte_names",
    "lookup_tables",
    "resolve_column",
    "source_tables",
    "table_key",
    "unknown_column",
]

#: A table reference as a lookup key: the casefolded name and whether ``ENT.`` was written.
TableKey = tuple[str, bool]

_SHARED_PREFIX = "ent"


def unknown_column(name: str, note: str) -> Column:
    """A column whose type inference cannot tell; ``note`` says why."""
    return Column(name=name, field_type=FieldType.TEXT, type_known=False, note=note)


@dataclass(slots=True)
class Source:
    """One thing a FROM clause reads, under the name qualifiers use for it.

    ``columns`` is None when the table is unknown (its columns cannot be listed, and every name
    might be one of them). ``nullable`` is set when an outer join may pad it with NULLs.
    """

    alias: str
    display: str
    columns: tuple[Column, ...] | None
    nullable: bool = False
    _by_name: dict[str, Column] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for column in self.columns or ():
            self._by_name.setdefault(column.name.casefold(), column)

    def column(self, name: str) -> Column | None:
        """The column ``name`` as this source yields it (outer joins make it nullable)."""
        found = self._by_name.get(name.casefold())
        if found is None:
            return None
        if self.nullable and not found.nullable:
            return replace(found, nullable=True, primary_key=False)
        if found.primary_key:
            return replace(found, primary_key=False)
        return found

    def output_columns(self) -> tuple[Column, ...]:
        """Every column, as ``alias.*`` yields them."""
        return tuple(self.column(column.name) or column for column in self.columns or ())


@dataclass(slots=True)
class Scope:
    """The sources one query block sees, and the block around it (for correlated names)."""

    sources: list[Source] = field(default_factory=list)
    parent: Scope | None = None

    def chain(self) -> Iterator[Scope]:
        scope: Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent

    def source(self, qualifier: str) -> Source | None:
        """The source a qualifier names, innermost block first."""
        wanted = qualifier.casefold()
        for scope in self.chain():
            for source in scope.sources:
                if source.alias.casefold() == wanted:
                    return source
        return None


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a column reference means: the column (None when it cannot be resolved) and, when the
    reference is wrong, the finding code and messages to report."""

    column: Column | None
    code: str | None = None
    message: str | None = None
    mce_message: str | None = None


def resolve_column(node: exp.Column, scope: Scope) -> Resolution:
    """Resolve ``[qualifier.]name`` the way SQL Server binds it: a qualifier picks a source
    (innermost block first); an unqualified name must belong to exactly one source of the
    innermost block that has it."""
    name = node.name
    qualifier = node.table
    if qualifier:
        source = scope.source(qualifier)
        written = f"{qualifier}.{name}"
        if source is None:
            return Resolution(
                None,
                "UNKNOWN_COLUMN",
                f"'{written}': no table or alias called '{qualifier}' is in scope here.",
                f'The multi-part identifier "{written}" could not be bound.',
            )
        if source.columns is None:
            return Resolution(unknown_column(name, f"the columns of {source.display} are unknown"))
        column = source.column(name)
        if column is None:
            return Resolution(
                None,
                "UNKNOWN_COLUMN",
                f"{source.display} has no column '{name}'.",
                f"Invalid column name '{name}'.",
            )
        return Resolution(column)
    for block in scope.chain():
        matches = [
            (source, column)
            for source in block.sources
            if (column := source.column(name)) is not None
        ]
        if len(matches) > 1:
            tables = ", ".join(source.display for source, _column in matches)
            return Resolution(
                matches[0][1],
                "AMBIGUOUS_COLUMN",
                f"'{name}' is a column of several tables here ({tables}): qualify it.",
                f"Ambiguous column name '{name}'.",
            )
        if matches:
            return Resolution(matches[0][1])
        unknown = [source for source in block.sources if source.columns is None]
        if unknown:
            return Resolution(
                unknown_column(name, f"'{name}' may be a column of {unknown[0].display}")
            )
    return Resolution(
        None,
        "UNKNOWN_COLUMN",
        f"No table in scope has a column '{name}'.",
        f"Invalid column name '{name}'.",
    )


def table_key(table: exp.Table) -> TableKey | None:
    """The lookup key of a table reference, or None when it is not a plain name (a function,
    or a schema other than ``ENT``)."""
    if not isinstance(table.this, exp.Identifier) or table.args.get("catalog"):
        return None
    db = table.text("db")
    if db and db.casefold() != _SHARED_PREFIX:
        return None
    return (table.name.casefold(), bool(db))


def cte_names(statement: exp.Expr) -> frozenset[str]:
    """Casefolded names the statement's CTEs define (MCE refuses CTEs, but references to
    them are not unknown tables)."""
    return frozenset(cte.alias.casefold() for cte in statement.find_all(exp.CTE) if cte.alias)


def source_tables(statement: exp.Expr | None) -> tuple[TableName, ...]:
    """Each table ``statement`` reads, once, spelled as first written (names compared without
    case; ``ENT.X`` and ``X`` are two tables; a CTE's name, a table function and a name under
    another schema are none, as for :func:`table_key`). In the order of a level-by-level walk
    of the tree: the outer query's FROM and JOIN tables (in text order) come before those of
    its derived tables and subqueries; a UNION's arms are not in text order (the last arm of
    ``A UNION B UNION C`` is nearer the top than the first).

    ``statement`` is :attr:`ParsedSql.statement <tsql.ParsedSql.statement>`: None (no single
    statement was read) reads no table. Never raises.
    """
    if statement is None:
        return ()
    local = cte_names(statement)
    seen: dict[TableKey, TableName] = {}
    for table in statement.find_all(exp.Table):
        key = table_key(table)
        if key is None or key in seen or (not key[1] and key[0] in local):
            continue
        seen[key] = TableName(table.name, shared=key[1])
    return tuple(seen.values())


async def lookup_tables(statement: exp.Expr, catalog: Catalog) -> dict[TableKey, Table | None]:
    """Every table the statement reads (:func:`source_tables`), each looked up once (data
    views from tsql's own catalogue, DEs from the caller's), concurrently."""
    names = source_tables(statement)
    found = await asyncio.gather(*(_lookup(name, catalog) for name in names))
    return {
        (name.name.casefold(), name.shared): table for name, table in zip(names, found, strict=True)
    }


async def _lookup(name: TableName, catalog: Catalog) -> Table | None:
    if is_data_view_name(name.name):
        return await resolve_data_view(name, catalog)
    return await catalog.lookup(name)
