"""The select list that names a query's output columns, item by item, and where it is written.

MCE maps a query's output columns to the target's fields by name (REFERENCE §5.1); the names
come from the first SELECT (a set operation's leftmost arm). Each item of that select list is
read here as written: where it starts and ends, whether it is a ``*`` / ``t.*`` (which stands
for as many columns as its sources have), and whether it is the literal NULL. Positions come
from the tokens and the positions sqlglot keeps on names and literals, never from regular
expressions over SQL. Pre-flight checks point their findings at these items
(``services.preflight.outputs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from tsql.findings import Span, span_of_offsets
from tsql.parse import ParsedSql
from tsql.rules_query import outermost_query
from tsql.scope import node_span

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
    spans = _item_spans(parsed.text, parsed.tokens, [node_span(parsed.text, n) for n in nodes])
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


def _first_item_start(tokens: Sequence[Token], before: int) -> int | None:
    """Where the select list starts: after the SELECT before ``before`` and its DISTINCT /
    ALL / TOP (n) [PERCENT] [WITH TIES]."""
    heads = [i for i, t in enumerate(tokens) if t.token_type is TokenType.SELECT and t.end < before]
    if not heads:
        return None
    i = heads[-1] + 1
    words = [t.text.upper() for t in tokens]
    if i < len(tokens) and words[i] in ("DISTINCT", "ALL"):
        i += 1
    if i < len(tokens) and words[i] == "TOP":
        i += 1
        if i < len(tokens) and tokens[i].token_type is TokenType.L_PAREN:
            depth = 0
            while i < len(tokens):
                depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(tokens[i].token_type, 0)
                i += 1
                if depth == 0:
                    break
        else:
            i += 1
        if i < len(tokens) and words[i] == "PERCENT":
            i += 1
        if i + 1 < len(tokens) and words[i] == "WITH" and words[i + 1] == "TIES":
            i += 2
    return tokens[i].start if i < len(tokens) and tokens[i].start <= before else None


def _item_spans(sql: str, tokens: Sequence[Token], spans: list[Span | None]) -> list[Span | None]:
    """Each item's span from its first token: sqlglot keeps positions on names and literals
    only, so an item starting with NULL, CASE, a minus or a parenthesis would otherwise be
    pointed at from its first name. An item starts after the previous one's comma."""
    fixed: list[Span | None] = []
    previous_end: int | None = None
    for span in spans:
        if span is None:
            fixed.append(None)
            continue
        if previous_end is None:
            start = _first_item_start(tokens, span.start)
        else:
            following = [
                t.start
                for t in tokens
                if previous_end <= t.start <= span.start and t.token_type is not TokenType.COMMA
            ]
            start = following[0] if following else None
        if start is not None and start < span.start:
            span = span_of_offsets(sql, start, span.end)
        fixed.append(span)
        previous_end = span.end
    return fixed
