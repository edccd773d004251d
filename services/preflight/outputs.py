"""Where each output column of a query is written in its SQL, for findings' positions.

MCE maps the query's output columns to the target's fields by name (REFERENCE §5.1); the names
come from the first SELECT (a UNION's leftmost arm). Each output column is pointed at by the
select-list item that makes it: an expression with its alias, a column, or the ``*`` / ``t.*``
it was expanded from. Read through tsql's bounded parser (no regular expressions over SQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from tsql import Column, Span, parse, span_of_offsets
from tsql.rules_query import outermost_query
from tsql.scope import node_span

__all__ = ["OutputPositions", "output_positions"]


@dataclass(frozen=True, slots=True)
class OutputPositions:
    """``spans[i]`` is where output column ``i`` is written (None: not found); ``nulls[i]``
    whether it is the literal NULL (always NULL); ``select_list`` spans the whole select list
    (where a missing column would be added)."""

    spans: tuple[Span | None, ...]
    nulls: tuple[bool, ...]
    select_list: Span | None

    def of(self, index: int) -> Span | None:
        return self.spans[index] if 0 <= index < len(self.spans) else None


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


def output_positions(sql: str, columns: Sequence[Column]) -> OutputPositions:
    """The position of each of ``columns`` (the query's inferred output, in order) in ``sql``.

    Items and columns are matched in order: an item that is not a star makes one column; a
    star makes as many as are left over for it (with several stars in a row, the columns
    are pointed at the first of them). Never raises: unreadable SQL has no positions.
    """
    nothing = OutputPositions(
        spans=(None,) * len(columns), nulls=(False,) * len(columns), select_list=None
    )
    parsed = parse(sql)
    if parsed.statement is None:
        return nothing
    select = _leftmost_select(outermost_query(parsed.statement))
    if select is None or not select.expressions:
        return nothing
    items = list(select.expressions)
    item_spans = _item_spans(sql, parsed.tokens, [node_span(sql, item) for item in items])
    known = [s for s in item_spans if s is not None]
    select_list = span_of_offsets(sql, known[0].start, known[-1].end) if known else None
    spans: list[Span | None] = []
    nulls: list[bool] = []
    plain_left = sum(1 for item in items if not _is_star(item))
    position = 0
    for item, span in zip(items, item_spans, strict=True):
        if not _is_star(item):
            plain_left -= 1
            if position < len(columns):
                spans.append(span)
                nulls.append(_is_null(item))
                position += 1
            continue
        expanded = max(0, len(columns) - position - plain_left)
        spans.extend([span] * expanded)
        nulls.extend([False] * expanded)
        position += expanded
    spans.extend([None] * (len(columns) - len(spans)))
    nulls.extend([False] * (len(columns) - len(nulls)))
    return OutputPositions(
        spans=tuple(spans[: len(columns)]),
        nulls=tuple(nulls[: len(columns)]),
        select_list=select_list,
    )
