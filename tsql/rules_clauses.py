"""Rules about where aggregates and window functions may stand, and what an aggregate holds.

SQL Server evaluates WHERE before grouping and window functions after it, so an aggregate in
WHERE and a window function in WHERE, GROUP BY or HAVING are errors; the common case is
``WHERE ROW_NUMBER() OVER (...) = 1``, which needs a derived table. sqlglot reads all of them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from tsql.rules_base import NodeIndex, RuleContext, error
from tsql.rules_functions import is_aggregate

__all__ = ["check_clause_placement"]


def check_clause_placement(context: RuleContext, nodes: NodeIndex) -> None:
    for call in nodes.calls:
        if is_aggregate(call) and not isinstance(call.parent, exp.Window):
            inner = next(
                (n for n in call.iter_expressions() if _first(n, is_aggregate) is not None), None
            )
            if inner is not None:
                nested = _first(inner, is_aggregate)
                context.add(
                    error(
                        "NESTED_AGGREGATE",
                        "An aggregate cannot contain another aggregate.",
                        context.node_span(nested) if nested is not None else None,
                        suggestion="Aggregate in a derived table first, then aggregate its "
                        "result: SELECT MAX(x.n) FROM (SELECT COUNT(*) AS n ... GROUP BY ...) "
                        "AS x.",
                    )
                )
    for select in nodes.selects:
        where = select.args.get("where")
        if where is not None:
            aggregate = _first(where, is_aggregate)
            if aggregate is not None:
                context.add(
                    error(
                        "AGGREGATE_IN_WHERE",
                        "An aggregate cannot stand in WHERE, which filters rows before they "
                        "are grouped.",
                        context.node_span(aggregate),
                        suggestion="Move the condition to HAVING (after GROUP BY).",
                    )
                )
        for clause in ("where", "group", "having"):
            part = select.args.get(clause)
            window = _first(part, _is_window) if part is not None else None
            if window is not None:
                context.add(
                    error(
                        "WINDOW_OUTSIDE_SELECT",
                        f"A window function (OVER) cannot stand in {_clause_name(clause)}.",
                        context.node_span(window),
                        suggestion="Compute it in a derived table and filter outside: "
                        "SELECT ... FROM (SELECT ..., ROW_NUMBER() OVER (...) AS n FROM ...) "
                        "AS x WHERE x.n = 1.",
                    )
                )


def _clause_name(clause: str) -> str:
    return {"where": "WHERE", "group": "GROUP BY", "having": "HAVING"}[clause]


def _is_window(node: exp.Expr) -> bool:
    return isinstance(node, exp.Window)


def _first(node: exp.Expr, wanted: Callable[[exp.Expr], bool]) -> exp.Expr | None:
    """The first node ``wanted`` accepts in ``node``, not looking into subqueries (their own
    SELECTs are judged on their own) nor into window functions' arguments."""
    stack = [node]
    while stack:
        current = stack.pop()
        if wanted(current):
            return current
        if isinstance(current, exp.Subquery | exp.Query | exp.Window):
            continue
        stack.extend(reversed(list(current.iter_expressions())))
    return None
