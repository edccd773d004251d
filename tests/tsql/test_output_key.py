"""Which output columns identify a row (``tsql.infer_output_key``): each rule, the smallest key
winning, and the queries it cannot follow giving no key (never a guess, never an error)."""

from __future__ import annotations

import pytest

from tsql import (
    Column,
    FieldType,
    MemoryCatalog,
    OutputKey,
    Table,
    TableKind,
    infer_output_key,
    parse,
)

T, N, E = FieldType.TEXT, FieldType.NUMBER, FieldType.EMAIL_ADDRESS

CATALOG = MemoryCatalog(
    (
        Table(
            "Subscribers",
            TableKind.DATA_EXTENSION,
            (
                Column("SubscriberKey", T, 254, nullable=False, primary_key=True),
                Column("EmailAddress", E, 254, nullable=False),
                Column("FirstName", T, 100),
                Column("LastName", T, 100),
            ),
        ),
        Table(
            "Orders",
            TableKind.DATA_EXTENSION,
            (
                Column("OrderID", N, nullable=False, primary_key=True),
                Column("SubscriberKey", T, 254, nullable=False),
                Column("Amount", N),
            ),
        ),
        Table("Web Events", TableKind.DATA_EXTENSION, (Column("SubscriberKey", T, 254),)),
        Table(
            "Products",
            TableKind.DATA_EXTENSION,
            (Column("SKU", T, 20, nullable=False, primary_key=True), Column("Name", T, 100)),
            shared=True,
        ),
    )
)


async def key_of(sql: str) -> OutputKey:
    return await infer_output_key(parse(sql).statement, catalog=CATALOG)


@pytest.mark.parametrize(
    ("sql", "columns", "basis"),
    [
        pytest.param(
            "SELECT SubscriberKey, COUNT(*) AS Orders FROM Orders GROUP BY SubscriberKey",
            ("SubscriberKey",),
            "GROUP_BY",
            id="group-by",
        ),
        pytest.param(
            "SELECT o.OrderID, o.Amount FROM Orders o", ("OrderID",), "SOURCE_KEYS", id="source"
        ),
        pytest.param(
            "SELECT o.OrderID, s.EmailAddress FROM Orders o"
            " INNER JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey",
            ("OrderID",),
            "SOURCE_KEYS",
            id="joined-on-its-key",
        ),
        pytest.param(
            "SELECT o.OrderID, s.SubscriberKey AS Sub FROM Orders o, Subscribers s",
            ("OrderID", "Sub"),
            "SOURCE_KEYS",
            id="cross-join-both-keys",
        ),
        pytest.param(
            "SELECT d.Id FROM (SELECT OrderID, Amount FROM Orders) d (Id, Amount)",
            ("Id",),
            "SOURCE_KEYS",
            id="derived-table-renamed",
        ),
        pytest.param(
            "SELECT DISTINCT FirstName, LastName FROM Subscribers",
            ("FirstName", "LastName"),
            "DISTINCT",
            id="distinct",
        ),
        pytest.param(
            "SELECT DISTINCT OrderID, Amount FROM Orders",
            ("OrderID",),
            "SOURCE_KEYS",
            id="smallest",
        ),
        pytest.param(
            "SELECT FirstName FROM Subscribers UNION SELECT SubscriberKey FROM [Web Events]",
            ("FirstName",),
            "SET_OPERATION",
            id="union",
        ),
        pytest.param("SELECT 1 AS One", (), "ONE_ROW", id="no-from"),
        pytest.param("SELECT COUNT(*) AS N FROM Orders", (), "ONE_ROW", id="aggregate"),
        pytest.param("SELECT p.SKU FROM ENT.Products p", ("SKU",), "SOURCE_KEYS", id="shared"),
        pytest.param(
            "select o.orderid from orders o", ("orderid",), "SOURCE_KEYS", id="as-spelled"
        ),
    ],
)
async def test_a_key_is_found(sql: str, columns: tuple[str, ...], basis: str) -> None:
    key = await key_of(sql)
    assert (key.columns, key.basis) == (columns, basis), key.reason


async def test_each_reason_names_what_the_key_stands_on() -> None:
    grouped = await key_of("SELECT SubscriberKey FROM Orders GROUP BY SubscriberKey")
    assert grouped.reason == "One row per GROUP BY group."
    joined = await key_of(
        "SELECT o.OrderID FROM Orders o JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey"
    )
    assert "'Orders'" in joined.reason
    assert "'Subscribers' joined on its own key adds no rows" in joined.reason
    derived = await key_of("SELECT d.OrderID FROM (SELECT OrderID FROM Orders) d")
    assert "the derived table 'd'" in derived.reason


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        pytest.param(
            "SELECT COUNT(*) AS N FROM Orders GROUP BY SubscriberKey",
            "GROUP BY SubscriberKey is not an output column",
            id="group-not-selected",
        ),
        pytest.param(
            "SELECT SubscriberKey, COUNT(*) AS N FROM Orders GROUP BY ROLLUP (SubscriberKey)",
            "ROLLUP",
            id="rollup",
        ),
        pytest.param(
            "SELECT o.SubscriberKey FROM Orders o", "OrderID", id="key-column-not-selected"
        ),
        pytest.param(
            "SELECT s.SubscriberKey, o.OrderID FROM Subscribers s"
            " LEFT JOIN Orders o ON o.SubscriberKey = s.SubscriberKey",
            "optional side of an outer join",
            id="outer-join",
        ),
        pytest.param("SELECT SubscriberKey FROM _Sent", "data view", id="data-view"),
        pytest.param("SELECT SubscriberKey FROM [Web Events]", "no primary key", id="keyless"),
        pytest.param("SELECT x FROM Nowhere", "is not known", id="unknown-table"),
        pytest.param("SELECT o.OrderID FROM other.Orders o", "is not known", id="other-schema"),
        pytest.param(
            "SELECT OrderID FROM Orders UNION ALL SELECT OrderID FROM Orders",
            "UNION ALL",
            id="union-all",
        ),
        pytest.param(
            "SELECT o.OrderID, x.EmailAddress FROM Orders o CROSS APPLY (SELECT TOP 1"
            " s.EmailAddress FROM Subscribers s WHERE s.SubscriberKey = o.SubscriberKey) x",
            "has no known key",
            id="apply",
        ),
        pytest.param(
            "WITH Orders AS (SELECT SubscriberKey AS OrderID FROM [Web Events])"
            " SELECT OrderID FROM Orders",
            "is not known",
            id="cte-named-like-a-de",
        ),
    ],
)
async def test_no_key_says_why(sql: str, why: str) -> None:
    key = await key_of(sql)
    assert (key.columns, key.basis) == ((), "NONE")
    assert why in key.reason


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT FROM (", id="unparseable"),
        pytest.param("SELECT 1 AS A; SELECT 2 AS B", id="two-statements"),
        pytest.param("", id="empty"),
    ],
)
async def test_sql_that_is_not_one_statement_gives_no_key(sql: str) -> None:
    assert await key_of(sql) == OutputKey((), "The query could not be read.", "NONE")
