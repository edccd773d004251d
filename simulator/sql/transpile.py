"""One query text → DuckDB SQL for one BU, bound and checked by DuckDB.

The pipeline: static checks (:mod:`checks`), output column names, table resolution
(:mod:`resolve`), sqlglot's qualification and type annotation (best effort: when it
cannot follow a query, the rewrites fall back to syntax alone), T-SQL function
semantics (:mod:`functions`), and finally a DuckDB ``DESCRIBE`` whose binder catches
unknown and ambiguous columns; its errors become SQL Server's (:func:`from_duckdb`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from simulator.sql.catalog import QueryCatalog
from simulator.sql.checks import parse_query
from simulator.sql.dialect import TSqlReader
from simulator.sql.errors import TOO_DEEP, SqlError, from_duckdb
from simulator.sql.functions import rewrite_functions
from simulator.sql.resolve import Source, resolve_tables, schema_for, wrap_sources
from simulator.sql.session import tsql_session

__all__ = ["Compiled", "compile_query", "output_names"]


@dataclass(frozen=True)
class Compiled:
    """A query ready to run: DuckDB SQL, its output columns and the tables it reads."""

    sql: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    sources: tuple[Source, ...]


def _leftmost(tree: exp.Expr) -> exp.Select | None:
    node = tree
    while isinstance(node, (exp.SetOperation, exp.Subquery)):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def output_names(tree: exp.Expr) -> list[str | None]:
    """The output column names as written; ``None`` for a star (known after binding).

    Raises "No column name was specified for column N of 'querydef'." for an unnamed
    expression, as SQL Server does for a derived table.
    """
    select = _leftmost(tree)
    if select is None:
        return []
    names: list[str | None] = []
    for position, projection in enumerate(select.expressions, start=1):
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            names.append(None)
        elif isinstance(projection, (exp.Alias, exp.Column)) and projection.alias_or_name:
            names.append(projection.alias_or_name)
        else:
            raise SqlError(f"No column name was specified for column {position} of 'querydef'.")
    return names


#: Above this many syntax nodes, type annotation is skipped: sqlglot's ``qualify`` grows faster
#: than the query (a WHERE of 3,000 ORs took 11 s), and the rewrites fall back to working from
#: the syntax alone, as they do whenever sqlglot cannot follow a query.
MAX_ANNOTATED_NODES = 1500


def _annotated(tree: exp.Expr, sources: dict[str, Source]) -> exp.Expr:
    if sum(1 for _ in tree.walk()) > MAX_ANNOTATED_NODES:
        return tree
    schema: dict[str, object] = dict(schema_for(sources))
    try:
        qualified = qualify(
            tree.copy(),
            schema=schema,
            dialect=TSqlReader,
            validate_qualify_columns=True,
            quote_identifiers=True,
        )
        return annotate_types(qualified, schema=schema, dialect=TSqlReader)
    except (SqlglotError, KeyError, ValueError, TypeError, AttributeError):
        return tree


def _final_names(
    written: list[str | None], bound: list[str], sources: dict[str, Source]
) -> tuple[str, ...]:
    if written and None not in written and len(written) == len(bound):
        return tuple(n for n in written if n is not None)
    spelled = {f.name.lower(): f.name for s in sources.values() for f in s.fields}
    spelled.update({n.lower(): n for n in written if n is not None})
    return tuple(spelled.get(name.lower(), name) for name in bound)


def compile_query(catalog: QueryCatalog, *, mid: int, text: str) -> Compiled:
    """Check, resolve, transpile and bind ``text`` for BU ``mid``; raises :class:`SqlError`."""
    try:
        return _compile(catalog, mid=mid, text=text)
    except RecursionError:
        raise SqlError(TOO_DEEP) from None


def _compile(catalog: QueryCatalog, *, mid: int, text: str) -> Compiled:
    tree: exp.Expr = parse_query(text)
    written = output_names(tree)
    sources = resolve_tables(catalog, mid=mid, tree=tree)
    tree = _annotated(tree, sources)
    now = catalog.now()
    utcnow = catalog.utcnow().replace(tzinfo=None)
    tree = _rewrite(tree, now=now, utcnow=utcnow)
    wrap_sources(tree, sources)
    sql = tree.sql(dialect="duckdb")
    with tsql_session(catalog.rows) as con:
        try:
            described = con.execute(f"DESCRIBE {sql}").fetchall()
        except duckdb.Error as exc:
            raise from_duckdb(exc) from None
    bound = [str(row[0]) for row in described]
    types = tuple(str(row[1]) for row in described)
    columns = _final_names(written, bound, sources)
    seen: set[str] = set()
    for name in columns:
        if name.lower() in seen:
            raise SqlError(f"The column '{name}' was specified multiple times for 'querydef'.")
        seen.add(name.lower())
    return Compiled(sql=sql, columns=columns, types=types, sources=tuple(sources.values()))


def _rewrite(tree: exp.Expr, *, now: datetime, utcnow: datetime) -> exp.Expr:
    try:
        return rewrite_functions(tree, now=now, utcnow=utcnow)
    except SqlError:
        raise
    except (SqlglotError, KeyError, ValueError, IndexError) as exc:
        raise SqlError(f"Incorrect syntax near '{type(exc).__name__}'.") from None
