"""The key of a query's output: which output columns identify a row.

Read from the query's tree and the source tables' keys (through the :class:`~tsql.Catalog`):

1. ``GROUP BY`` keys: a grouped query has one row per group, so the grouping expressions are a
   key when every one of them is an output column (one that is not leaves no key).
2. Source keys carried through: each row of a join is one row of every source, so the union of
   the sources' primary keys identifies it. A source joined on its whole primary key (``JOIN
   Subscribers s ON s.SubscriberKey = o.SubscriberKey``) adds at most one row per row of the
   others, so its key is not needed, unless an outer join keeps its unmatched rows. Every key
   column left must be an output column and no source holding one may be the optional side of
   an outer join (its key could be NULL). Derived tables carry their own key the same way;
   data views have none.
3. ``DISTINCT`` outputs and ``UNION``/``INTERSECT``/``EXCEPT`` (without ALL): all columns.

The smallest key found wins (GROUP BY first). No key is a fine answer: the reason says why.
This module only reads the tree; names are resolved as SQL Server resolves them
(case-insensitive, aliases first), and anything it cannot follow (APPLY, PIVOT, a table
function) gives no key rather than a guess. The target DE wizard proposes the key as the new
DE's primary key (``services.target_des.keys``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp

from tsql.catalog import Catalog
from tsql.dataviews import is_data_view_name
from tsql.scope import TableKey, lookup_tables, table_key
from tsql.types import Table

__all__ = ["KeyBasis", "OutputKey", "infer_output_key"]

#: What an :class:`OutputKey` stands on: one row per group, the sources' keys, DISTINCT, a set
#: operation without ALL, a query that writes one row (no columns needed), or no key.
KeyBasis = Literal["GROUP_BY", "SOURCE_KEYS", "DISTINCT", "SET_OPERATION", "ONE_ROW", "NONE"]


@dataclass(frozen=True, slots=True)
class OutputKey:
    """Output column names (as the query spells them) that identify a row, and why; empty
    ``columns`` is no key (``NONE``, the reason says why) or no key needed (``ONE_ROW``)."""

    columns: tuple[str, ...]
    reason: str
    basis: KeyBasis


async def infer_output_key(statement: exp.Expr | None, *, catalog: Catalog) -> OutputKey:
    """The key of ``statement``'s output (see the module doc); tables through ``catalog``.

    ``statement`` is :attr:`ParsedSql.statement <tsql.ParsedSql.statement>`: None (no single
    statement was read) gives no key. Never raises for SQL it cannot follow.
    """
    if statement is None:
        return OutputKey((), "The query could not be read.", "NONE")
    tables = await lookup_tables(statement, catalog)
    finder = _KeyFinder(tables)
    query = statement.this if isinstance(statement, exp.Subquery) else statement
    _, key = finder.query(query)
    if key is None:
        why = finder.why_not or "No set of columns is known to be unique."
        return OutputKey((), why, "NONE")
    return key


@dataclass(slots=True, eq=False)
class _Source:
    """One FROM/JOIN item: its alias, its columns (None: unknown), its key (None: none)."""

    alias: str
    display: str
    columns: tuple[str, ...] | None
    key: tuple[str, ...] | None
    key_reason: str = ""
    """Why ``key`` is its key, or (no key) why it has none, to follow its display name."""
    nullable: bool = False
    preserved: bool = False
    _by_name: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.columns or ():
            self._by_name.setdefault(name.casefold(), name)

    def has(self, name: str) -> bool:
        return name.casefold() in self._by_name


@dataclass(slots=True)
class _Output:
    """One output column: its name and what it is (a source column, or an expression)."""

    name: str
    source: _Source | None
    column: str | None
    expression: exp.Expr | None


class _KeyFinder:
    def __init__(self, tables: dict[TableKey, Table | None]) -> None:
        self.tables = tables
        self.why_not: str | None = None

    def _fail(self, reason: str) -> None:
        if self.why_not is None:
            self.why_not = reason

    # -- queries -------------------------------------------------------------------------

    def query(self, node: exp.Expr) -> tuple[list[_Output], OutputKey | None]:
        if isinstance(node, exp.Subquery | exp.Paren):
            return self.query(node.this)
        if isinstance(node, exp.SetOperation):
            return self._set_operation(node)
        if isinstance(node, exp.Select):
            return self._select(node)
        self._fail("The query's output cannot be followed.")
        return [], None

    def _set_operation(self, node: exp.SetOperation) -> tuple[list[_Output], OutputKey | None]:
        saved = self.why_not
        outputs, _ = self.query(node.left)
        self.query(node.right)
        self.why_not = saved
        renamed = [_Output(o.name, None, None, None) for o in outputs]
        names = tuple(o.name for o in renamed)
        operator = type(node).__name__.upper()
        if isinstance(node, exp.Union) and not node.args.get("distinct"):
            self._fail("UNION ALL may repeat rows: no column set is unique.")
            return renamed, None
        if not names or any(not n for n in names):
            return renamed, None
        return renamed, OutputKey(
            names, f"{operator} without ALL removes duplicate rows: all columns together.",
            "SET_OPERATION",
        )  # fmt: skip

    def _select(self, node: exp.Select) -> tuple[list[_Output], OutputKey | None]:
        sources = self._sources(node)
        outputs = self._outputs(node, sources)
        named = {o.name.casefold() for o in outputs}
        if node.args.get("group") is not None:
            return outputs, self._group_key(node, sources, outputs)
        if not sources and node.args.get("from_") is None:
            return outputs, OutputKey((), "A query without FROM writes one row.", "ONE_ROW")
        if _aggregates_only(node):
            return outputs, OutputKey(
                (), "An aggregate without GROUP BY writes one row.", "ONE_ROW"
            )
        candidates: list[OutputKey] = []
        carried = self._source_key(node, sources, outputs)
        if carried is not None:
            candidates.append(carried)
        distinct = node.args.get("distinct") is not None
        if distinct and all(o.name for o in outputs) and len(named) == len(outputs):
            candidates.append(
                OutputKey(
                    tuple(o.name for o in outputs),
                    "SELECT DISTINCT removes duplicate rows: all columns together.",
                    "DISTINCT",
                )
            )
        if not candidates:
            return outputs, None
        return outputs, min(candidates, key=lambda k: len(k.columns))

    # -- sources -------------------------------------------------------------------------

    def _sources(self, node: exp.Select) -> list[_Source]:
        sources: list[_Source] = []
        from_ = node.args.get("from_")
        if isinstance(from_, exp.From):
            sources.append(self._source(from_.this))
        for join in node.args.get("joins") or ():
            side = (join.side or "").upper()
            added = self._source(join.this)
            if side in ("LEFT", "FULL"):
                added.nullable = True
                for earlier in sources:
                    earlier.preserved = True
            if side in ("RIGHT", "FULL"):
                added.preserved = True
                for earlier in sources:
                    earlier.nullable = True
            if isinstance(join.this, exp.Lateral):
                added.nullable = added.nullable or not join.this.args.get("cross_apply")
            sources.append(added)
        return sources

    def _source(self, node: exp.Expr) -> _Source:
        alias_node = node.args.get("alias")
        alias = alias_node.name if isinstance(alias_node, exp.TableAlias) else ""
        if node.args.get("pivots"):
            return _Source(alias, f"the PIVOT of '{alias}'", None, None, "has no known key")
        if isinstance(node, exp.Table):
            return self._table_source(node, alias)
        if isinstance(node, exp.Subquery):
            saved, self.why_not = self.why_not, None
            outputs, key = self.query(node.this)
            inner_reason, self.why_not = self.why_not, saved
            names = tuple(o.name for o in outputs)
            renamed = (
                [c.name for c in alias_node.columns]
                if isinstance(alias_node, exp.TableAlias) and alias_node.columns
                else None
            )
            if renamed:
                mapping = dict(zip((n.casefold() for n in names), renamed, strict=False))
                names = tuple(renamed)
                if key is not None:
                    key = OutputKey(
                        tuple(mapping.get(c.casefold(), c) for c in key.columns),
                        key.reason,
                        key.basis,
                    )
            display = f"the derived table '{alias}'"
            if key is None:
                why = (inner_reason or "Its rows may repeat.").rstrip(".")
                return _Source(alias, display, names, None, f"has no key ({_lower(why)})")
            return _Source(
                alias, display, names, key.columns, f"the key of {display} ({_lower(key.reason)})"
            )
        return _Source(alias, f"'{alias or node.sql('tsql')}'", None, None, "has no known key")

    def _table_source(self, node: exp.Table, alias: str) -> _Source:
        key = table_key(node)
        table = self.tables.get(key) if key is not None else None
        visible = alias or node.name
        shown = f"'{node.name}'"
        if table is None:
            return _Source(visible, shown, None, None, "is not known")
        columns = tuple(c.name for c in table.columns)
        pk = tuple(c.name for c in table.columns if c.primary_key)
        if not pk:
            what = (
                "is a data view (data views have no primary key)"
                if is_data_view_name(node.name)
                else "has no primary key"
            )
            return _Source(visible, shown, columns, None, what)
        return _Source(visible, shown, columns, pk, f"the primary key of {shown}")

    # -- outputs -------------------------------------------------------------------------

    def _outputs(self, node: exp.Select, sources: Sequence[_Source]) -> list[_Output]:
        outputs: list[_Output] = []
        for item in node.expressions:
            if isinstance(item, exp.Star) or (
                isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
            ):
                qualifier = item.table if isinstance(item, exp.Column) else ""
                chosen = [s for s in sources if not qualifier or _named(s, qualifier)]
                for source in chosen:
                    for name in source.columns or ():
                        outputs.append(_Output(name, source, name, None))
                continue
            inner = item.this if isinstance(item, exp.Alias) else item
            name = item.alias if isinstance(item, exp.Alias) else _column_name(item)
            if isinstance(inner, exp.Column) and not isinstance(inner.this, exp.Star):
                outputs.append(_Output(name, _resolve(inner, sources), inner.name, inner))
            else:
                outputs.append(_Output(name, None, None, inner))
        return outputs

    # -- keys ----------------------------------------------------------------------------

    def _group_key(
        self, node: exp.Select, sources: Sequence[_Source], outputs: Sequence[_Output]
    ) -> OutputKey | None:
        group = node.args["group"]
        if group.args.get("rollup") or group.args.get("cube") or group.args.get("grouping_sets"):
            self._fail("GROUP BY ROLLUP, CUBE or GROUPING SETS adds subtotal rows.")
            return None
        names: list[str] = []
        for expression in group.expressions:
            match = _output_for(expression, sources, outputs)
            if match is None:
                self._fail(
                    f"GROUP BY {expression.sql('tsql')} is not an output column, so rows may"
                    " repeat in the output."
                )
                return None
            if match.name.casefold() not in {n.casefold() for n in names}:
                names.append(match.name)
        if not names:
            return None
        return OutputKey(tuple(names), "One row per GROUP BY group.", "GROUP_BY")

    def _source_key(
        self, node: exp.Select, sources: Sequence[_Source], outputs: Sequence[_Output]
    ) -> OutputKey | None:
        if not sources:
            return None
        keyless = [s for s in sources if s.key is None]
        if keyless:
            self._fail(f"{keyless[0].display} {keyless[0].key_reason}, so rows may repeat.")
        equalities = _equalities(node, sources)
        remaining = list(sources)
        dropped: list[_Source] = []
        changed = True
        while changed:
            changed = False
            for source in list(remaining):
                if source.key is None or source.preserved or len(remaining) == 1:
                    continue
                others = [s for s in remaining if s is not source]
                if all(
                    any((source, k.casefold(), other) in equalities for other in others)
                    for k in source.key
                ):
                    remaining.remove(source)
                    dropped.append(source)
                    changed = True
        if any(s.key is None for s in remaining):
            return None
        for source in remaining:
            if source.nullable:
                self._fail(
                    f"{source.display} is the optional side of an outer join: its key may be NULL."
                )
                return None
        columns: list[str] = []
        for source in remaining:
            for key_column in source.key or ():
                match = next(
                    (
                        o
                        for o in outputs
                        if o.source is source
                        and o.column is not None
                        and o.column.casefold() == key_column.casefold()
                    ),
                    None,
                )
                if match is None:
                    self._fail(
                        f"{key_column} ({source.key_reason}) is not an output column, so rows"
                        " may repeat."
                    )
                    return None
                if match.name.casefold() not in {c.casefold() for c in columns}:
                    columns.append(match.name)
        reason = "; ".join(f"{', '.join(s.key or ())}: {s.key_reason}" for s in remaining)
        if dropped:
            joined = ", ".join(s.display for s in dropped)
            reason += f" ({joined} joined on its own key adds no rows)"
        return OutputKey(tuple(columns), reason[0].upper() + reason[1:] + ".", "SOURCE_KEYS")


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:].rstrip(".")


def _named(source: _Source, qualifier: str) -> bool:
    return source.alias.casefold() == qualifier.casefold()


def _column_name(item: exp.Expr) -> str:
    if isinstance(item, exp.Column) and not isinstance(item.this, exp.Star):
        return item.name
    return ""


def _resolve(column: exp.Column, sources: Sequence[_Source]) -> _Source | None:
    """The source a column reference reads (None: unknown or ambiguous)."""
    qualifier = column.table
    if qualifier:
        found = [s for s in sources if _named(s, qualifier)]
        return found[0] if len(found) == 1 else None
    having = [s for s in sources if s.columns is not None and s.has(column.name)]
    if len(having) == 1 and all(s.columns is not None for s in sources):
        return having[0]
    return None


def _output_for(
    expression: exp.Expr, sources: Sequence[_Source], outputs: Sequence[_Output]
) -> _Output | None:
    """The output column a GROUP BY expression is: the same column, or the same expression."""
    if isinstance(expression, exp.Column) and not isinstance(expression.this, exp.Star):
        source = _resolve(expression, sources)
        for output in outputs:
            if (
                output.source is not None
                and output.source is source
                and output.column is not None
                and output.column.casefold() == expression.name.casefold()
            ):
                return output
    written = _normal(expression)
    for output in outputs:
        if output.expression is not None and _normal(output.expression) == written:
            return output
    return None


def _normal(expression: exp.Expr) -> str:
    return expression.sql(dialect="tsql").casefold()


def _aggregates_only(node: exp.Select) -> bool:
    """Every output is an aggregate (no GROUP BY): the query writes exactly one row."""
    items = [i.this if isinstance(i, exp.Alias) else i for i in node.expressions]
    return bool(items) and all(isinstance(i, exp.AggFunc) for i in items)


def _conjuncts(condition: exp.Expr | None) -> Iterable[exp.Expr]:
    if condition is None:
        return
    if isinstance(condition, exp.And):
        yield from _conjuncts(condition.left)
        yield from _conjuncts(condition.right)
    elif isinstance(condition, exp.Paren):
        yield from _conjuncts(condition.this)
    else:
        yield condition


def _equalities(node: exp.Select, sources: Sequence[_Source]) -> set[tuple[_Source, str, _Source]]:
    """(source, its column, another source) for every ``a.x = b.y`` of the ON clauses and the
    WHERE clause's top-level ANDs, both ways round."""
    conditions: list[exp.Expr | None] = [node.args.get("where")]
    conditions += [join.args.get("on") for join in node.args.get("joins") or ()]
    found: set[tuple[_Source, str, _Source]] = set()
    for condition in conditions:
        if isinstance(condition, exp.Where):
            condition = condition.this
        for part in _conjuncts(condition):
            if not isinstance(part, exp.EQ):
                continue
            left, right = part.this, part.expression
            if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
                continue
            a, b = _resolve(left, sources), _resolve(right, sources)
            if a is None or b is None or a is b:
                continue
            found.add((a, left.name.casefold(), b))
            found.add((b, right.name.casefold(), a))
    return found
