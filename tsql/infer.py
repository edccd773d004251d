"""Output-schema inference: the columns a query writes, as the DE fields that can hold them.

The engine builds a run's target DE from these columns and the wizard proposes them for a
deploy, so a wrong length truncates a run and a wrong type fails it: where the type cannot be
known the column says so (``type_known=False`` with a note) instead of guessing. Wrong names
are findings with positions (unknown tables and columns, ambiguous columns), because checking
names and typing them is the same walk over the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlglot import exp
from sqlglot.tokens import Token

from tsql.catalog import Catalog
from tsql.findings import Finding, Severity, Span
from tsql.infer_exprs import ExpressionTyper
from tsql.infer_types import widen
from tsql.names import quote_identifier
from tsql.scope import (
    Resolution,
    Scope,
    Source,
    TableKey,
    cte_names,
    lookup_tables,
    resolve_column,
    table_key,
    unknown_column,
)
from tsql.spans import TokenIndex, node_span, table_name
from tsql.types import Column, Table

__all__ = ["Inference", "infer_output", "output_name"]

_QUERY_NODES = (exp.Select, exp.SetOperation, exp.Values)


@dataclass(frozen=True, slots=True)
class Inference:
    """The output columns of a statement (in order), and the findings about names in it."""

    columns: tuple[Column, ...]
    findings: tuple[Finding, ...]


async def infer_output(
    statement: exp.Expr, *, text: str, catalog: Catalog, tokens: Sequence[Token] | None = None
) -> Inference:
    """Infer the output columns of ``statement`` (parsed from ``text``, which positions refer
    to; ``tokens``: its tokens when the caller has them, as :attr:`ParsedSql.tokens
    <tsql.ParsedSql.tokens>`, else findings tokenize it again). Statements that are not queries
    have no output columns.

    Output columns of unnamed expressions have the name ``""``; the columns of ``alias.*``
    over an unknown table are one column named ``alias.*`` whose type is unknown.
    """
    tables = await lookup_tables(statement, catalog)
    inferrer = _Inferrer(text=text, tables=tables, local=cte_names(statement), tokens=tokens)
    query = statement.this if isinstance(statement, exp.Subquery) else statement
    if not isinstance(query, _QUERY_NODES):
        return Inference((), ())
    columns = inferrer.query(query, outer=None)
    findings = sorted(inferrer.findings, key=lambda f: f.span.start if f.span else -1)
    return Inference(tuple(columns), tuple(findings))


def output_name(item: exp.Expr) -> str:
    """The name SQL Server gives a select-list item: its alias, or a column's own name."""
    if isinstance(item, exp.Alias):
        return item.alias
    if isinstance(item, exp.Column) and not isinstance(item.this, exp.Star):
        return item.name
    return ""


class _Inferrer:
    """One inference: the looked-up tables, the findings so far, and what each column reference
    and subquery resolved to (so typing never resolves twice)."""

    def __init__(
        self,
        *,
        text: str,
        tables: dict[TableKey, Table | None],
        local: frozenset[str],
        tokens: Sequence[Token] | None,
    ) -> None:
        self.text = text
        self.tokens = tokens
        self._index: TokenIndex | None = None
        self.tables = tables
        self.local = local
        self.findings: list[Finding] = []
        self.ctes: dict[str, tuple[Column, ...]] = {}
        self.typer = ExpressionTyper()
        self._reported: set[tuple[str, int | None, str]] = set()

    def _span(self, *nodes: object) -> Span | None:
        return node_span(self.text, *nodes, index=self._token_index())

    def _token_index(self) -> TokenIndex | None:
        if self._index is None and self.tokens is not None:
            self._index = TokenIndex(self.tokens)
        return self._index

    # -- queries -------------------------------------------------------------------------------

    def query(self, node: exp.Expr, *, outer: Scope | None) -> list[Column]:
        """The output columns of a query node."""
        self._register_ctes(node, outer)
        if isinstance(node, exp.Subquery | exp.Paren):
            return self.query(node.this, outer=outer)
        if isinstance(node, exp.SetOperation):
            return self._set_operation(node, outer)
        if isinstance(node, exp.Select):
            return self._select(node, outer)
        if isinstance(node, exp.Values):
            return self._values(node, outer)
        return []

    def _register_ctes(self, node: exp.Expr, outer: Scope | None) -> None:
        with_ = node.args.get("with_")
        if not isinstance(with_, exp.With):
            return
        for cte in with_.expressions:
            columns = self.query(cte.this, outer=outer)
            alias = cte.args.get("alias")
            if isinstance(alias, exp.TableAlias) and alias.columns:
                names = [identifier.name for identifier in alias.columns]
                columns = [replace(c, name=n) for c, n in zip(columns, names, strict=False)]
            self.ctes[cte.alias.casefold()] = tuple(columns)

    def _set_operation(self, node: exp.SetOperation, outer: Scope | None) -> list[Column]:
        left = self.query(node.left, outer=outer)
        right = self.query(node.right, outer=outer)
        if len(left) == len(right):
            columns = [widen(a, b) for a, b in zip(left, right, strict=True)]
        else:
            columns = left
        order = node.args.get("order")
        if order is not None:
            names = {column.name.casefold() for column in columns}
            self._check_order(order, Scope(parent=outer), names)
        return columns

    def _values(self, node: exp.Values, outer: Scope | None) -> list[Column]:
        rows = [row for row in node.expressions if isinstance(row, exp.Tuple)]
        scope = Scope(parent=outer)
        columns: list[Column] = []
        for row in rows:
            self._check(row, scope)
            typed = [self.typer.type_of(value) for value in row.expressions]
            columns = (
                typed
                if not columns
                else [widen(a, b) for a, b in zip(columns, typed, strict=False)]
            )
        return columns

    def _select(self, node: exp.Select, outer: Scope | None) -> list[Column]:
        scope = Scope(parent=outer)
        from_ = node.args.get("from_")
        if isinstance(from_, exp.From):
            self._add_source(scope, from_.this, outer)
        for join in node.args.get("joins") or ():
            side = (join.side or "").upper()
            if side in ("RIGHT", "FULL"):
                for source in scope.sources:
                    source.nullable = True
            lateral = isinstance(join.this, exp.Lateral)
            added = self._add_source(scope, join.this, scope if lateral else outer)
            outer_apply = lateral and not join.this.args.get("cross_apply")
            if added is not None and (side in ("LEFT", "FULL") or outer_apply):
                added.nullable = True
        for join in node.args.get("joins") or ():
            self._check(join.args.get("on"), scope)
        for clause in ("where", "group", "having"):
            self._check(node.args.get(clause), scope)
        grouped = node.args.get("group") is not None
        columns: list[Column] = []
        stars: list[tuple[exp.Expr, list[Column]]] = []
        for item in node.expressions:
            if _is_star(item):
                expanded = self._expand_star(item, scope)
                stars.append((item, expanded))
                columns.extend(expanded)
                continue
            self._check(item, scope)
            self.typer.grouped = grouped
            typed = self.typer.type_of(_unalias(item))
            columns.append(replace(typed, name=output_name(item)))
        self._report_star_duplicates(stars, columns)
        order = node.args.get("order")
        if order is not None:
            aliases = {column.name.casefold() for column in columns if column.name}
            self._check_order(order, scope, aliases)
        return columns

    def _report_star_duplicates(
        self, stars: list[tuple[exp.Expr, list[Column]]], columns: list[Column]
    ) -> None:
        """``SELECT *`` over a join yields one column per table for a shared name: MCE cannot
        map the output to the target by name."""
        if not stars:
            return
        counts: dict[str, int] = {}
        for column in columns:
            counts[column.name.casefold()] = counts.get(column.name.casefold(), 0) + 1
        for item, expanded in stars:
            duplicated = sorted(
                {c.name for c in expanded if c.type_known and counts[c.name.casefold()] > 1},
                key=str.casefold,
            )
            if duplicated:
                names = ", ".join(duplicated)
                self._report(
                    "AMBIGUOUS_COLUMN",
                    self._span(item),
                    f"{item.sql('tsql')} yields columns with the same name more than once "
                    f"({names}): list the columns and alias the duplicates.",
                    f"The column '{duplicated[0]}' was specified multiple times for 'querydef'.",
                )

    # -- sources -------------------------------------------------------------------------------

    def _add_source(self, scope: Scope, node: exp.Expr, outer: Scope | None) -> Source | None:
        alias_node = node.args.get("alias")
        alias = alias_node.name if isinstance(alias_node, exp.TableAlias) else ""
        renamed = (
            [column.name for column in alias_node.columns]
            if isinstance(alias_node, exp.TableAlias) and alias_node.columns
            else None
        )
        if isinstance(node, exp.Table):
            source = self._table_source(node, alias)
        elif isinstance(node, exp.Subquery | exp.Lateral):
            inner = node.this
            columns = self.query(inner, outer=outer)
            source = Source(alias=alias, display=f"derived table '{alias}'", columns=tuple(columns))
        elif isinstance(node, exp.Values):
            columns = self._values(node, outer)
            source = Source(alias=alias, display=f"'{alias}'", columns=tuple(columns))
        else:
            self._check(node, scope)
            source = Source(alias=alias, display=f"'{alias or node.sql('tsql')}'", columns=None)
        pivots = node.args.get("pivots")
        if pivots:
            # PIVOT/UNPIVOT turn values into columns: their output is not inferred.
            pivot_alias = pivots[-1].args.get("alias")
            alias = pivot_alias.name if isinstance(pivot_alias, exp.TableAlias) else alias
            source = Source(alias=alias, display=f"the PIVOT/UNPIVOT of '{alias}'", columns=None)
        if renamed and source.columns is not None:
            source = Source(
                alias=source.alias,
                display=source.display,
                columns=tuple(
                    replace(column, name=name)
                    for column, name in zip(source.columns, renamed, strict=False)
                ),
            )
        scope.sources.append(source)
        return source

    def _table_source(self, node: exp.Table, alias: str) -> Source:
        key = table_key(node)
        shown = _written_name(node)
        visible = alias or node.name
        if key is not None and not key[1] and key[0] in self.local:
            # A CTE; one that refers to itself (recursion) has no known columns yet.
            columns = self.ctes.get(key[0])
            return Source(alias=visible, display=f"'{node.name}'", columns=columns)
        table = self.tables.get(key) if key is not None else None
        if table is None:
            self._unknown_table(node, shown)
            return Source(alias=visible, display=shown, columns=None)
        return Source(alias=visible, display=shown, columns=table.columns)

    def _unknown_table(self, node: exp.Table, shown: str) -> None:
        """An unknown name; one under a database or a schema other than ENT (``x..T``,
        ``dbo.T``) can name nothing MCE reads, and the finding says so."""
        found = table_name(self.text, node, index=self._token_index())
        span = found[0] if found is not None else None
        if not node.args.get("catalog") and not _foreign_schema(node):
            self._report(
                "UNKNOWN_TABLE",
                span,
                f"{shown} is not a data extension or data view known in this business unit.",
                f"Invalid object name '{node.name}'.",
            )
            return
        written = found[1] if found is not None else node.name
        self._report(
            "UNKNOWN_TABLE",
            span,
            f"'{written}' names another database or schema: MCE reads only this business "
            "unit's data extensions and data views, and with ENT. those shared from the "
            "parent business unit.",
            f"Invalid object name '{written}'.",
            suggestion=f"Write the name alone ({quote_identifier(node.name)}), or "
            f"ENT.{quote_identifier(node.name)} for a data extension shared from the parent "
            "business unit.",
        )

    def _expand_star(self, item: exp.Expr, scope: Scope) -> list[Column]:
        qualifier = item.table if isinstance(item, exp.Column) else ""
        if qualifier:
            source = scope.source(qualifier)
            if source is None or source not in scope.sources:
                self._report(
                    "UNKNOWN_COLUMN",
                    self._span(item),
                    f"'{qualifier}.*': no table or alias called '{qualifier}' is in this FROM.",
                    f'The multi-part identifier "{qualifier}.*" could not be bound.',
                )
                return [unknown_column(f"{qualifier}.*", f"'{qualifier}' is not in scope")]
            sources = [source]
        else:
            sources = list(scope.sources)
        columns: list[Column] = []
        for source in sources:
            if source.columns is None:
                columns.append(
                    unknown_column(
                        f"{source.alias}.*", f"the columns of {source.display} are unknown"
                    )
                )
            else:
                columns.extend(source.output_columns())
        return columns

    # -- names ---------------------------------------------------------------------------------

    def _check_order(self, order: exp.Expr, scope: Scope, aliases: set[str]) -> None:
        """ORDER BY items may name output columns, but only as a whole item (SQL Server does
        not bind an alias inside an expression)."""
        for item in order.expressions:
            written = item.this if isinstance(item, exp.Ordered) else item
            if (
                isinstance(written, exp.Column)
                and not written.table
                and written.name.casefold() in aliases
            ):
                continue
            self._check(item, scope)

    def _check(self, node: exp.Expr | None, scope: Scope) -> None:
        """Resolve every column reference in ``node`` (not inside nested queries, which are
        inferred with ``scope`` around them), recording findings and what each resolved to."""
        if node is None:
            return
        stack: list[exp.Expr] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, _QUERY_NODES):
                self.typer.subqueries[id(current)] = self.query(current, outer=scope)
                continue
            if isinstance(current, exp.Column):
                if isinstance(current.this, exp.Star):
                    continue
                self._resolve(current, scope)
                continue
            stack.extend(child for child in current.iter_expressions())

    def _resolve(self, node: exp.Column, scope: Scope) -> None:
        resolution: Resolution = resolve_column(node, scope)
        if resolution.code is not None:
            self._report(
                resolution.code,
                self._span(node),
                resolution.message or "",
                resolution.mce_message,
            )
        self.typer.columns[id(node)] = resolution.column or unknown_column(
            node.name, "the column is not known"
        )

    def _report(
        self,
        code: str,
        span: Span | None,
        message: str,
        mce_message: str | None,
        *,
        suggestion: str | None = None,
    ) -> None:
        key = (code, span.start if span else None, message)
        if key in self._reported:
            return
        self._reported.add(key)
        self.findings.append(
            Finding(
                code=code,
                severity=Severity.ERROR,
                message=message,
                span=span,
                mce_message=mce_message,
                suggestion=suggestion,
            )
        )


def _is_star(item: exp.Expr) -> bool:
    return isinstance(item, exp.Star) or (
        isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
    )


def _unalias(item: exp.Expr) -> exp.Expr:
    return item.this if isinstance(item, exp.Alias) else item


def _foreign_schema(node: exp.Table) -> bool:
    """Whether ``node`` is under a schema other than ENT (an empty one, ``x..T``, is none)."""
    db = node.text("db")
    return bool(db) and db.casefold() != "ent"


def _written_name(node: exp.Table) -> str:
    db = node.text("db")
    return f"'{db}.{node.name}'" if db else f"'{node.name}'"
