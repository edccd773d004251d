"""Rules about the shape of queries: ORDER BY/TOP/OFFSET, output names, derived tables, UNION.

MCE runs the text as a derived table (REFERENCE §5.1), so every rule T-SQL has for derived tables
applies to the outermost query too: ORDER BY only with TOP or OFFSET, every column named, no
name twice. ``Purpose.RUN`` relaxes one thing: Quarry's engine rewrites the outermost ORDER BY
into a row number, so there it needs no TOP; inside a subquery it is still an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.tokens import TokenType

from tsql.findings import Span
from tsql.rules_base import (
    NodeIndex,
    RuleContext,
    error,
    generated_sql,
    node_range,
    warning,
)
from tsql.types import Purpose

__all__ = [
    "add_width_mismatch",
    "check_derived_tables",
    "check_order_and_paging",
    "iter_star_set_operations",
    "outermost_query",
    "output_width",
    "set_operator_span",
]

_ORDER_BY = frozenset({TokenType.ORDER_BY})
_OFFSET = frozenset({TokenType.OFFSET})
_TOP_OR_SELECT = frozenset({TokenType.TOP, TokenType.SELECT})
_SET_OPERATORS = frozenset({TokenType.UNION, TokenType.EXCEPT, TokenType.INTERSECT})


def outermost_query(statement: exp.Expr) -> exp.Expr:
    """The query itself, without the parentheses around it (``(SELECT ...)``)."""
    while isinstance(statement, exp.Subquery):
        statement = statement.this
    return statement


def check_order_and_paging(context: RuleContext, statement: exp.Expr, nodes: NodeIndex) -> None:
    root = outermost_query(statement)
    for query in nodes.queries:
        order = query.args.get("order")
        limit = query.args.get("limit")
        offset = query.args.get("offset")
        run_keeps_order = query is root and context.purpose == Purpose.RUN
        if order is not None and limit is None and offset is None and not run_keeps_order:
            _order_without_top(context, order, outermost=query is root)
        if offset is not None and order is None:
            _offset_without_order(context, offset)
        if isinstance(limit, exp.Fetch) and offset is None:
            _fetch_without_offset(context, limit)
        if isinstance(query, exp.Select) and isinstance(limit, exp.Limit) and order is None:
            _top_without_order(context, query)
        if order is not None:
            _check_order_items(context, query, order)


def _check_order_items(context: RuleContext, query: exp.Expr, order: exp.Expr) -> None:
    """ORDER BY 3 needs a third column; with DISTINCT (or a UNION, which removes duplicates the
    same way) ORDER BY may only name selected columns."""
    width = output_width(query)
    select = _leftmost_select(query)
    distinct = isinstance(query, exp.SetOperation) or (
        isinstance(query, exp.Select) and query.args.get("distinct") is not None
    )
    for item in order.expressions:
        key = item.this if isinstance(item, exp.Ordered) else item
        if isinstance(key, exp.Literal) and not key.is_string:
            position = int(key.name) if key.name.isdigit() else 0
            if width is not None and not 1 <= position <= width:
                context.add(
                    error(
                        "ORDER_BY_POSITION",
                        f"ORDER BY {key.name} is out of range: the query has {width} columns.",
                        context.node_span(key),
                        suggestion=f"Order by a position from 1 to {width}, or by a name.",
                    )
                )
        elif distinct and select is not None and not _is_selected(key, select):
            what = "SELECT DISTINCT" if isinstance(query, exp.Select) else query.key.upper()
            context.add(
                error(
                    "ORDER_BY_NOT_SELECTED",
                    f"With {what}, ORDER BY can only use selected columns.",
                    context.node_span(key),
                    suggestion="Order by a selected column (its name or alias), or select "
                    "this expression too.",
                )
            )


def _is_selected(key: exp.Expr, select: exp.Select) -> bool:
    """Whether ``key`` names or repeats one of ``select``'s output columns (by name when it is
    a bare column, else as the same expression)."""
    if any(isinstance(p, exp.Star) or _is_table_star(p) for p in select.expressions):
        return True  # the columns * stands for are not known here
    written = generated_sql(key)
    for projection in select.expressions:
        named = _output_name(projection)
        bare = isinstance(key, exp.Column) and not key.table
        if bare and named is not None and named[0].casefold() == key.name.casefold():
            return True
        target = projection.this if isinstance(projection, exp.Alias) else projection
        if written is not None and generated_sql(target) == written:
            return True
        if (
            isinstance(key, exp.Column)
            and isinstance(target, exp.Column)
            and key.name.casefold() == target.name.casefold()
        ):
            return True
    return False


def _is_table_star(projection: exp.Expr) -> bool:
    return isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)


def _order_without_top(context: RuleContext, order: exp.Expr, *, outermost: bool) -> None:
    bounds = node_range(order)
    keyword = context.previous_token(bounds[0], _ORDER_BY) if bounds is not None else None
    span = None
    if keyword is not None and bounds is not None:
        clause_end = context.balanced_range(order)
        span = context.span(keyword.start, clause_end[1] if clause_end else bounds[1])
    where = "the query" if outermost else "a subquery or derived table"
    if outermost:
        suggestion = (
            "Remove ORDER BY (a data extension keeps no row order), or add TOP n, or "
            "OFFSET 0 ROWS after ORDER BY. An ad-hoc run keeps this order."
        )
    else:
        suggestion = "Remove this ORDER BY, or add TOP n to the same SELECT."
    context.add(
        error(
            "ORDER_BY_WITHOUT_TOP",
            f"ORDER BY in {where} needs TOP or OFFSET: MCE runs the text as a derived table.",
            span,
            suggestion=suggestion,
        )
    )


def _offset_without_order(context: RuleContext, offset: exp.Expr) -> None:
    bounds = node_range(offset)
    keyword = context.previous_token(bounds[0], _OFFSET) if bounds is not None else None
    context.add(
        error(
            "OFFSET_WITHOUT_ORDER_BY",
            "OFFSET needs an ORDER BY in the same SELECT.",
            context.token_span(keyword) if keyword is not None else None,
            suggestion="Add ORDER BY before OFFSET.",
        )
    )


def _fetch_without_offset(context: RuleContext, fetch: exp.Fetch) -> None:
    bounds = node_range(fetch)
    keyword = (
        context.previous_token(bounds[0], frozenset({TokenType.FETCH}))
        if bounds is not None
        else None
    )
    context.add(
        error(
            "SYNTAX_ERROR",
            "FETCH needs ORDER BY ... OFFSET n ROWS before it.",
            context.token_span(keyword) if keyword is not None else None,
            suggestion="Write ORDER BY ... OFFSET 0 ROWS FETCH NEXT n ROWS ONLY, or TOP n.",
        )
    )


def _top_without_order(context: RuleContext, query: exp.Select) -> None:
    if query.find_ancestor(exp.Exists) is not None:
        return
    first = next(iter(query.expressions), None)
    bounds = node_range(first) if first is not None else None
    # the nearest of SELECT and TOP before the first column: TOP when this SELECT has one
    keyword = context.previous_token(bounds[0], _TOP_OR_SELECT) if bounds is not None else None
    if keyword is None or keyword.token_type is not TokenType.TOP:
        return  # LIMIT n, reported as such
    context.add(
        warning(
            "TOP_WITHOUT_ORDER_BY",
            "TOP without ORDER BY picks arbitrary rows, different from run to run.",
            context.token_span(keyword),
            suggestion="Add ORDER BY to say which rows TOP keeps.",
        )
    )


# ------------------------------------------------------------------ output names
def check_derived_tables(context: RuleContext, statement: exp.Expr, nodes: NodeIndex) -> None:
    """Every column of the query and of each derived table named, once; derived tables
    aliased; set operations of equal width (where no ``*`` hides the width)."""
    _check_names(context, outermost_query(statement), owner="the query")
    for subquery in nodes.subqueries:
        if not isinstance(subquery.parent, exp.From | exp.Join):
            continue
        alias = subquery.args.get("alias")
        if alias is None or not alias.name:
            _missing_alias(context, subquery)
            owner = "a derived table"
        else:
            owner = f"derived table '{alias.name}'"
            if alias.args.get("columns"):
                continue  # AS x(a, b) names the columns itself
        _check_names(context, outermost_query(subquery.this), owner=owner)
    for operation in nodes.set_operations:
        left, right = output_width(operation.this), output_width(operation.expression)
        if left is not None and right is not None and left != right:
            add_width_mismatch(context, operation, left, right)


def add_width_mismatch(context: RuleContext, operation: exp.Expr, left: int, right: int) -> None:
    keyword = operation.key.upper()
    context.add(
        error(
            "UNION_WIDTH_MISMATCH",
            f"Both sides of {keyword} must have the same number of columns: "
            f"{left} on the left, {right} on the right.",
            set_operator_span(context, operation),
            suggestion="Select the same columns, in the same order, on every side "
            "(NULL AS name fills a gap).",
        )
    )


def set_operator_span(context: RuleContext, operation: exp.Expr) -> Span | None:
    left, right = node_range(operation.this), node_range(operation.expression)
    if left is None or right is None:
        return None
    for token in context.tokens_between(left[1], right[0]):
        if token.token_type in _SET_OPERATORS:
            return context.token_span(token)
    return None


def output_width(query: exp.Expr) -> int | None:
    """How many columns ``query`` outputs, None when a ``*`` hides it."""
    query = outermost_query(query)
    while isinstance(query, exp.SetOperation):
        query = outermost_query(query.this)
    if not isinstance(query, exp.Select):
        return None
    for projection in query.expressions:
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            return None
    return len(query.expressions)


def _leftmost_select(query: exp.Expr) -> exp.Select | None:
    query = outermost_query(query)
    while isinstance(query, exp.SetOperation):
        query = outermost_query(query.this)
    return query if isinstance(query, exp.Select) else None


def _check_names(context: RuleContext, query: exp.Expr, *, owner: str) -> None:
    select = _leftmost_select(query)
    if select is None:
        return
    seen: set[str] = set()
    for position, projection in enumerate(select.expressions, start=1):
        named = _output_name(projection)
        if named is None:
            continue
        name, identifier = named
        if not name:
            items = context.select_items(select)
            bounds = items[position - 1] if items else context.balanced_range(projection)
            context.add(
                error(
                    "UNNAMED_COLUMN",
                    f"Column {position} of {owner} has no name: MCE maps output columns to "
                    "the target's fields by name.",
                    context.span(*bounds) if bounds is not None else None,
                    suggestion=f"Name it: {context.written_at(bounds, projection)} AS SomeName.",
                )
            )
            continue
        folded = name.casefold()
        if folded in seen:
            context.add(
                error(
                    "DUPLICATE_COLUMN",
                    f"The column name '{name}' appears more than once in {owner}.",
                    context.node_span(identifier),
                    suggestion="Give each column its own name with AS.",
                )
            )
        seen.add(folded)


def _output_name(projection: exp.Expr) -> tuple[str, exp.Expr] | None:
    """(name, node naming it); ("", node) when unnamed; None for ``*`` and ``t.*``."""
    if isinstance(projection, exp.Star):
        return None
    if isinstance(projection, exp.Alias):
        alias = projection.args.get("alias")
        return (projection.alias, alias if isinstance(alias, exp.Expr) else projection)
    if isinstance(projection, exp.Column):
        if isinstance(projection.this, exp.Star):
            return None
        return (projection.name, projection.this)
    return ("", projection)


def _missing_alias(context: RuleContext, subquery: exp.Subquery) -> None:
    context.add(
        error(
            "DERIVED_TABLE_WITHOUT_ALIAS",
            "A derived table needs an alias: (SELECT ...) AS name.",
            context.node_span(subquery),
            suggestion="Add AS name after the closing parenthesis.",
        )
    )


def iter_star_set_operations(nodes: NodeIndex) -> Iterator[exp.SetOperation]:
    """Set operations whose width only the catalogue can tell (a side selects ``*``)."""
    for operation in nodes.set_operations:
        if output_width(operation.this) is None or output_width(operation.expression) is None:
            yield operation
