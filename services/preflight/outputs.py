"""Where each output column of a query is written in its SQL, for findings' positions.

MCE maps the query's output columns to the target's fields by name (REFERENCE §5.1); the names
come from the first SELECT (a UNION's leftmost arm). Each output column is pointed at by the
select-list item that makes it: an expression with its alias, a column, or the ``*`` / ``t.*``
it was expanded from. The select list is read by tsql (:func:`tsql.select_list`); this module
matches its items to the inferred output columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tsql import Column, Span, parse, select_list

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


def output_positions(sql: str, columns: Sequence[Column]) -> OutputPositions:
    """The position of each of ``columns`` (the query's inferred output, in order) in ``sql``.

    Items and columns are matched in order: an item that is not a star makes one column; a
    star makes as many as are left over for it (with several stars in a row, the columns
    are pointed at the first of them). Never raises: unreadable SQL has no positions.
    """
    found = select_list(parse(sql))
    if found is None:
        return OutputPositions(
            spans=(None,) * len(columns), nulls=(False,) * len(columns), select_list=None
        )
    spans: list[Span | None] = []
    nulls: list[bool] = []
    plain_left = sum(1 for item in found.items if not item.star)
    position = 0
    for item in found.items:
        if not item.star:
            plain_left -= 1
            if position < len(columns):
                spans.append(item.span)
                nulls.append(item.null)
                position += 1
            continue
        expanded = max(0, len(columns) - position - plain_left)
        spans.extend([item.span] * expanded)
        nulls.extend([False] * expanded)
        position += expanded
    spans.extend([None] * (len(columns) - len(spans)))
    nulls.extend([False] * (len(columns) - len(nulls)))
    return OutputPositions(
        spans=tuple(spans[: len(columns)]),
        nulls=tuple(nulls[: len(columns)]),
        select_list=found.span,
    )
