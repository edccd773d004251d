"""The select list that names a query's output columns, item by item, and where it is written.

MCE maps a query's output columns to the target's fields by name (REFERENCE §5.1); the names
come from the first SELECT (a set operation's leftmost arm). Each item of that select list is
read here as written: where it starts and ends, whether it is a ``*`` / ``t.*`` (which stands
for as many columns as its sources have), and whether it is the literal NULL. An item is
everything written between the list's commas (a call's parentheses, CAST ... AS, CASE ... END,
its alias), found from the tokens (:meth:`tsql.spans.TokenIndex.select_items`), never from
regular expressions over SQL. Pre-flight checks point their findings at these items
(``services.preflight.outputs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from tsql.findings import Span, span_of_offsets
from tsql.parse import ParsedSql
from tsql.rules_query import outermost_query
from tsql.spans import TokenIndex

__all__ = ["SelectItem", "SelectList", "select_list"]


@dataclass(frozen=True, slots=True)
class SelectItem:
    """One select-list item: where it is written (None: sqlglot kept no position in it),
    whether it is a ``*`` or ``t.*``, and whether it is the literal NULL (through casts and
    parentheses: the column is always NULL)."""

    span: Span | None
    star: bool
    null: bool


@dataclass(frozen=True, slots=True)
class SelectList:
    """The items in order, and ``span``, the whole list from its first item to its last
    (where a missing column would be added; None when no item has a position)."""

    items: tuple[SelectItem, ...]
    span: Span | None


def select_list(parsed: ParsedSql) -> SelectList | None:
    """The select list of ``parsed``'s first SELECT (the leftmost arm of a UNION, through
    parentheses), or None when there is none to read: no single statement (unparseable text,
    several statements, empty text), a statement that is not a query, or an empty list.
    Never raises."""
    if parsed.statement is None:
        return None
    select = _leftmost_select(outermost_query(parsed.statement))
    if select is None or not select.expressions:
        return None
    nodes = list(select.expressions)
    index = TokenIndex(parsed.tokens)
    bounds: Sequence[tuple[int, int] | None] = index.select_items(select) or [
        index.extent(node) for node in nodes
    ]
    spans = [None if b is None else span_of_offsets(parsed.text, *b) for b in bounds]
    known = [s for s in spans if s is not None]
    whole = span_of_offsets(parsed.text, known[0].start, known[-1].end) if known else None
    items = tuple(
        SelectItem(span, star=_is_star(node), null=_is_null(node))
        for node, span in zip(nodes, spans, strict=True)
    )
    return SelectList(items, whole)


def _leftmost_select(query: exp.Expr) -> exp.Select | None:
    while isinstance(query, exp.SetOperation | exp.Subquery | exp.Paren):
        query = query.this if not isinstance(query, exp.SetOperation) else query.left
    return query if isinstance(query, exp.Select) else None


def _is_null(item: exp.Expr) -> bool:
    value = item.this if isinstance(item, exp.Alias) else item
    while isinstance(value, exp.Cast | exp.Paren):
        value = value.this
    return isinstance(value, exp.Null)


def _is_star(item: exp.Expr) -> bool:
    return isinstance(item, exp.Star) or (
        isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
    )
