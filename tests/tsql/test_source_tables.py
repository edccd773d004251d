"""The tables a statement reads (``tsql.source_tables``): once each, spelled as first written,
ENT. apart, the outer query's first; CTEs, table functions and other schemas are no tables;
text that is not one statement reads none."""

from __future__ import annotations

import pytest

from tsql import TableName, parse, source_tables


def _sources(sql: str) -> list[str]:
    """The tables as ``ENT.name`` (shared) or ``name``."""
    statement = parse(sql).statement
    assert statement is not None
    return [f"ENT.{t.name}" if t.shared else t.name for t in source_tables(statement)]


CASES = {
    "bracketed": ("SELECT a FROM [Orders Q1] o", ["Orders Q1"]),
    "joins-in-text-order": (
        "SELECT o.a FROM Orders o JOIN Subscribers s ON s.k = o.k LEFT JOIN _Sent x ON 1 = 1",
        ["Orders", "Subscribers", "_Sent"],
    ),
    "once-as-first-spelt": (
        "SELECT a FROM Orders JOIN orders o2 ON 1 = 1 JOIN ORDERS o3 ON 1 = 1",
        ["Orders"],
    ),
    "ent-apart": (
        "SELECT a FROM ent.Products p JOIN Products q ON 1 = 1 JOIN ENT.products r ON 1 = 1",
        ["ENT.Products", "Products"],
    ),
    "outer-first": (
        "SELECT a FROM (SELECT a FROM Inner1) d JOIN Outer1 o ON 1 = 1",
        ["Outer1", "Inner1"],
    ),
    "subqueries-after": (
        "SELECT (SELECT MAX(b) FROM Scalar1) AS m FROM Outer1 WHERE EXISTS (SELECT 1 FROM E1)",
        ["Outer1", "Scalar1", "E1"],
    ),
    "union-arms-by-depth": (
        "SELECT a FROM A1 UNION SELECT a FROM B1 UNION SELECT a FROM C1",
        ["C1", "A1", "B1"],
    ),
    "cte-is-no-table": (
        "WITH c AS (SELECT a FROM Orders) SELECT a FROM c JOIN ENT.c e ON 1 = 1",
        ["ENT.c", "Orders"],
    ),
    "other-schemas": (
        "SELECT a FROM dbo.Orders JOIN x.dbo.Other ON 1 = 1 JOIN Kept ON 1 = 1",
        ["Kept"],
    ),
    "table-function": ("SELECT a FROM OPENQUERY(x, 'y')", []),
    "no-from": ("SELECT 1 AS a", []),
}


@pytest.mark.parametrize(("sql", "expected"), CASES.values(), ids=CASES.keys())
def test_each_table_once_in_order(sql: str, expected: list[str]) -> None:
    assert _sources(sql) == expected


def test_tables_are_table_names() -> None:
    statement = parse("SELECT a FROM ENT.[My DE]").statement
    assert source_tables(statement) == (TableName("My DE", shared=True),)


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT a FROM (", id="unparseable"),
        pytest.param("SELECT a FROM T; SELECT b FROM U", id="two-statements"),
        pytest.param("", id="empty"),
    ],
)
def test_no_tables_without_one_statement(sql: str) -> None:
    assert source_tables(parse(sql).statement) == ()
