"""Output-schema inference, one case per row: the SQL and the columns it must infer."""

from __future__ import annotations

import pytest

from tests.tsql.corpus import CORPUS
from tsql.catalog import MemoryCatalog
from tsql.infer import Inference, infer_output
from tsql.parse import parse
from tsql.types import Column, FieldType, Table, TableKind, TableName

T, N, D, B, E, DEC = (
    FieldType.TEXT,
    FieldType.NUMBER,
    FieldType.DATE,
    FieldType.BOOLEAN,
    FieldType.EMAIL_ADDRESS,
    FieldType.DECIMAL,
)


def _de(name: str, *columns: Column, shared: bool = False) -> Table:
    return Table(name, TableKind.DATA_EXTENSION, columns, shared=shared)


TABLES = (
    _de(
        "Subscribers",
        Column("SubscriberKey", T, 254, nullable=False, primary_key=True),
        Column("EmailAddress", E, 254, nullable=False),
        Column("FirstName", T, 100),
        Column("LastName", T, 100),
        Column("LoyaltyPoints", N),
        Column("LifetimeValue", DEC, precision=18, scale=2),
        Column("BirthDate", D),
        Column("OptIn", B, nullable=False),
    ),
    _de(
        "Orders",
        Column("OrderID", N, nullable=False, primary_key=True),
        Column("SubscriberKey", T, 254, nullable=False),
        Column("Amount", DEC, precision=12, scale=2, nullable=False),
        Column("OrderDate", D, nullable=False),
        Column("Status", T, 20),
    ),
    _de("Web Events 2024", Column("Event Type", T, 50), Column("SubscriberKey", T, 254)),
    _de("Shared Products", Column("SKU", T, 20, nullable=False), shared=True),
)
CATALOG = MemoryCatalog(TABLES)

Shape = tuple[str, FieldType, int | None, int | None, int | None, bool]


def shape(column: Column) -> Shape:
    return (
        column.name,
        column.field_type,
        column.max_length,
        column.precision,
        column.scale,
        column.nullable,
    )


async def infer(sql: str) -> Inference:
    parsed = parse(sql)
    assert parsed.statement is not None, parsed.findings
    return await infer_output(parsed.statement, text=sql, catalog=CATALOG)


CASES: list[tuple[str, str, list[Shape]]] = [
    ("plain columns keep their DE types",
     "SELECT SubscriberKey, EmailAddress, LoyaltyPoints, LifetimeValue, BirthDate, OptIn "
     "FROM Subscribers",
     [("SubscriberKey", T, 254, None, None, False), ("EmailAddress", E, 254, None, None, False),
      ("LoyaltyPoints", N, None, None, None, True), ("LifetimeValue", DEC, None, 18, 2, True),
      ("BirthDate", D, None, None, None, True), ("OptIn", B, None, None, None, False)]),
    ("alias and name case as written",
     "SELECT s.subscriberkey AS Key1, s.FIRSTNAME FROM Subscribers AS s",
     [("Key1", T, 254, None, None, False), ("FIRSTNAME", T, 100, None, None, True)]),
    ("T-SQL name = expression", "SELECT Total = COUNT(*) FROM Orders",
     [("Total", N, None, None, None, False)]),
    ("LEFT JOIN makes the right side nullable",
     "SELECT s.SubscriberKey, o.OrderID, o.Amount FROM Subscribers s "
     "LEFT JOIN Orders o ON o.SubscriberKey = s.SubscriberKey",
     [("SubscriberKey", T, 254, None, None, False), ("OrderID", N, None, None, None, True),
      ("Amount", DEC, None, 12, 2, True)]),
    ("RIGHT JOIN makes the left side nullable",
     "SELECT s.SubscriberKey, o.OrderID FROM Subscribers s "
     "RIGHT JOIN Orders o ON o.SubscriberKey = s.SubscriberKey",
     [("SubscriberKey", T, 254, None, None, True), ("OrderID", N, None, None, None, False)]),
    ("FULL JOIN makes both sides nullable",
     "SELECT s.SubscriberKey, o.OrderID FROM Subscribers s "
     "FULL OUTER JOIN Orders o ON o.SubscriberKey = s.SubscriberKey",
     [("SubscriberKey", T, 254, None, None, True), ("OrderID", N, None, None, None, True)]),
    ("derived table with renamed columns",
     "SELECT x.k, x.n FROM (SELECT SubscriberKey, OrderID FROM Orders) AS x(k, n)",
     [("k", T, 254, None, None, False), ("n", N, None, None, None, False)]),
    ("t.* expands one table", "SELECT o.*, s.OptIn FROM Orders o JOIN Subscribers s "
     "ON s.SubscriberKey = o.SubscriberKey",
     [("OrderID", N, None, None, None, False), ("SubscriberKey", T, 254, None, None, False),
      ("Amount", DEC, None, 12, 2, False), ("OrderDate", D, None, None, None, False),
      ("Status", T, 20, None, None, True), ("OptIn", B, None, None, None, False)]),
    ("SELECT * over a derived table", "SELECT * FROM (SELECT TOP 5 OrderID, Status FROM Orders "
     "ORDER BY OrderDate) t",
     [("OrderID", N, None, None, None, False), ("Status", T, 20, None, None, True)]),
    ("UNION widens lengths; names from the first arm",
     "SELECT 'sent' AS Source, OrderID FROM Orders UNION SELECT 'opened', NULL FROM Orders",
     [("Source", T, 6, None, None, False), ("OrderID", N, None, None, None, True)]),
    ("UNION of Number and Decimal is Decimal",
     "SELECT LoyaltyPoints AS V FROM Subscribers UNION ALL SELECT Amount FROM Orders",
     [("V", DEC, None, 12, 2, True)]),
    ("CASE: widest branch, nullable without ELSE",
     "SELECT CASE WHEN LoyaltyPoints > 10 THEN 'Gold' WHEN LoyaltyPoints > 5 THEN 'Silver' END "
     "AS Tier, CASE WHEN OptIn = 1 THEN 1 ELSE 0 END AS Flag FROM Subscribers",
     [("Tier", T, 6, None, None, True), ("Flag", N, None, None, None, False)]),
    ("IIF and NULLIF",
     "SELECT IIF(Amount > 100, 'big', 'small') AS Size, NULLIF(Status, 'x') AS S FROM Orders",
     [("Size", T, 5, None, None, False), ("S", T, 20, None, None, True)]),
    ("CAST and CONVERT to SQL types",
     "SELECT CAST(OrderID AS VARCHAR(12)) AS A, CONVERT(NVARCHAR(7), OrderDate, 120) AS B1, "
     "CAST(Status AS INT) AS C, CAST(Amount AS DECIMAL(10, 3)) AS D1, CAST(Status AS DATE) AS E1, "
     "CAST(OrderID AS BIT) AS F, CAST(OrderID AS BIGINT) AS G, CAST(OrderID AS VARCHAR) AS H "
     "FROM Orders",
     [("A", T, 12, None, None, False), ("B1", T, 7, None, None, False),
      ("C", N, None, None, None, True), ("D1", DEC, None, 10, 3, False),
      ("E1", D, None, None, None, True), ("F", B, None, None, None, False),
      ("G", N, None, None, None, False), ("H", T, 30, None, None, False)]),
    ("ISNULL takes the first argument's type and is not null with a constant",
     "SELECT ISNULL(LastName, '') AS L, COALESCE(FirstName, LastName) AS F, "
     "COALESCE(FirstName, 'nobody at all, really') AS G FROM Subscribers",
     [("L", T, 100, None, None, False), ("F", T, 100, None, None, True),
      ("G", T, 100, None, None, False)]),
    ("string functions",
     "SELECT LEFT(FirstName, 3) AS A, RIGHT(LastName, 500) AS B1, SUBSTRING(FirstName, 2, 10) "
     "AS C, UPPER(LastName) AS D1, LOWER(EmailAddress) AS E1, LTRIM(RTRIM(FirstName)) AS F, "
     "LEN(FirstName) AS G, CHARINDEX('@', EmailAddress) AS H, REPLACE(FirstName, 'a', 'bb') "
     "AS I, REPLICATE('ab', 3) AS J FROM Subscribers",
     [("A", T, 3, None, None, True), ("B1", T, 100, None, None, True),
      ("C", T, 10, None, None, True), ("D1", T, 100, None, None, True),
      ("E1", T, 254, None, None, False), ("F", T, 100, None, None, True),
      ("G", N, None, None, None, True), ("H", N, None, None, None, False),
      ("I", T, 200, None, None, True), ("J", T, 6, None, None, False)]),
    ("CONCAT sums lengths and is never NULL; + keeps NULL",
     "SELECT CONCAT(FirstName, ' ', LastName) AS A, FirstName + ' ' + LastName AS B1, "
     "CONCAT('#', OrderID) AS C FROM Subscribers, Orders",
     [("A", T, 201, None, None, False), ("B1", T, 201, None, None, True),
      ("C", T, 12, None, None, False)]),
    ("date functions",
     "SELECT GETDATE() AS A, DATEADD(day, 1, OrderDate) AS B1, DATEDIFF(day, OrderDate, "
     "GETDATE()) AS C, DATEPART(year, OrderDate) AS D1, YEAR(OrderDate) AS E1, "
     "EOMONTH(OrderDate) AS F, DATEFROMPARTS(2024, 1, 1) AS G, GETUTCDATE() AS H FROM Orders",
     [("A", D, None, None, None, False), ("B1", D, None, None, None, False),
      ("C", N, None, None, None, False), ("D1", N, None, None, None, False),
      ("E1", N, None, None, None, False), ("F", D, None, None, None, False),
      ("G", D, None, None, None, False), ("H", D, None, None, None, False)]),
    ("aggregates with GROUP BY",
     "SELECT SubscriberKey, COUNT(*) AS A, SUM(Amount) AS B1, AVG(OrderID) AS C, "
     "MIN(OrderDate) AS D1, MAX(Status) AS E1, AVG(Amount) AS F FROM Orders GROUP BY SubscriberKey",
     [("SubscriberKey", T, 254, None, None, False), ("A", N, None, None, None, False),
      ("B1", DEC, None, 38, 2, False), ("C", N, None, None, None, False),
      ("D1", D, None, None, None, False), ("E1", T, 20, None, None, True),
      ("F", DEC, None, 38, 6, False)]),
    ("aggregates without GROUP BY may be NULL (no rows)",
     "SELECT COUNT(*) AS A, MAX(OrderID) AS B1 FROM Orders",
     [("A", N, None, None, None, False), ("B1", N, None, None, None, True)]),
    ("window functions",
     "SELECT ROW_NUMBER() OVER (ORDER BY OrderDate) AS A, RANK() OVER (ORDER BY Amount) AS B1, "
     "SUM(Amount) OVER (PARTITION BY SubscriberKey) AS C, LAG(Status) OVER (ORDER BY OrderID) "
     "AS D1 FROM Orders",
     [("A", N, None, None, None, False), ("B1", N, None, None, None, False),
      ("C", DEC, None, 38, 2, False), ("D1", T, 20, None, None, True)]),
    ("arithmetic", "SELECT OrderID + 1 AS A, Amount * 2 AS B1, OrderID / 2 AS C, "
     "Amount + OrderID AS D1, OrderDate + 1 AS E1 FROM Orders",
     [("A", N, None, None, None, False), ("B1", DEC, None, 23, 2, False),
      ("C", N, None, None, None, False), ("D1", DEC, None, 13, 2, False),
      ("E1", D, None, None, None, False)]),
    ("constants", "SELECT 'abc' AS A, N'xy' AS B1, 42 AS C, 1.50 AS D1, 3000000000 AS E1",
     [("A", T, 3, None, None, False), ("B1", T, 2, None, None, False),
      ("C", N, None, None, None, False), ("D1", DEC, None, 3, 2, False),
      ("E1", DEC, None, 10, 0, False)]),
    ("scalar subquery is nullable",
     "SELECT s.SubscriberKey, (SELECT MAX(o.Amount) FROM Orders o "
     "WHERE o.SubscriberKey = s.SubscriberKey) AS Biggest FROM Subscribers s",
     [("SubscriberKey", T, 254, None, None, False), ("Biggest", DEC, None, 12, 2, True)]),
    ("data views and ENT.",
     "SELECT s.SubscriberKey, s.EventDate, s.JobID, u.Status FROM _Sent s "
     "JOIN ENT._Subscribers u ON u.SubscriberID = s.SubscriberID",
     [("SubscriberKey", T, 254, None, None, True), ("EventDate", D, None, None, None, True),
      ("JobID", N, None, None, None, True), ("Status", T, 12, None, None, True)]),
    ("shared DE through ENT.", "SELECT p.SKU FROM ENT.[Shared Products] p",
     [("SKU", T, 20, None, None, False)]),
    ("brackets", "SELECT w.[Event Type] AS [Type] FROM [Web Events 2024] w WITH (NOLOCK)",
     [("Type", T, 50, None, None, True)]),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_inferred_columns(sql: str, expected: list[Shape]) -> None:
    inference = await infer(sql)
    assert inference.findings == ()
    assert [shape(column) for column in inference.columns] == expected
    assert all(column.type_known for column in inference.columns)


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT NULL AS Nothing", "NULL"),
        ("SELECT CAST(1 AS XML) AS X", "XML"),
        ("SELECT x.a FROM Nowhere x", "unknown"),
    ],
)
async def test_unknown_types_say_why(sql: str, why: str) -> None:
    (column,) = (await infer(sql)).columns
    assert not column.type_known
    assert column.note is not None
    assert why.casefold() in column.note.casefold()


FINDINGS: list[tuple[str, str, str, str]] = [
    ("SELECT a FROM Nowhere", "UNKNOWN_TABLE", "Nowhere", "Invalid object name 'Nowhere'."),
    ("SELECT p.SKU FROM ENT.[No Such DE] p", "UNKNOWN_TABLE", "ENT.[No Such DE]",
     "Invalid object name 'No Such DE'."),
    ("SELECT o.a FROM x..Orders o", "UNKNOWN_TABLE", "x..Orders",
     "Invalid object name 'x..Orders'."),
    ("SELECT a FROM [x].[dbo].[Orders]", "UNKNOWN_TABLE", "[x].[dbo].[Orders]",
     "Invalid object name 'x.dbo.Orders'."),
    ("SELECT Nope FROM Orders", "UNKNOWN_COLUMN", "Nope", "Invalid column name 'Nope'."),
    ("SELECT o.[No pe] FROM Orders o", "UNKNOWN_COLUMN", "o.[No pe]",
     "Invalid column name 'No pe'."),
    ("SELECT OrderID FROM Orders WHERE Bogus = 1", "UNKNOWN_COLUMN", "Bogus",
     "Invalid column name 'Bogus'."),
    ("SELECT x.OrderID FROM Orders o", "UNKNOWN_COLUMN", "x.OrderID",
     'The multi-part identifier "x.OrderID" could not be bound.'),
    ("SELECT SubscriberKey FROM Orders o JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey",
     "AMBIGUOUS_COLUMN", "SubscriberKey", "Ambiguous column name 'SubscriberKey'."),
    ("SELECT * FROM Orders o JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey",
     "AMBIGUOUS_COLUMN", "*", "The column 'SubscriberKey' was specified multiple times for "
     "'querydef'."),
    ("SELECT o.OrderID FROM Orders o WHERE EXISTS (SELECT 1 FROM Subscribers s "
     "WHERE s.SubscriberKey = o.Missing)", "UNKNOWN_COLUMN", "o.Missing",
     "Invalid column name 'Missing'."),
    ("SELECT OrderID FROM Orders ORDER BY Nothing", "UNKNOWN_COLUMN", "Nothing",
     "Invalid column name 'Nothing'."),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "code", "spanned", "mce"), FINDINGS)
async def test_name_findings(sql: str, code: str, spanned: str, mce: str) -> None:
    (finding,) = (await infer(sql)).findings
    assert finding.code == code
    assert finding.span is not None
    assert sql[finding.span.start : finding.span.end] == spanned
    assert finding.mce_message == mce


async def test_order_by_may_name_output_aliases() -> None:
    inference = await infer("SELECT OrderID AS Id FROM Orders ORDER BY Id DESC")
    assert inference.findings == ()


async def test_correlated_names_resolve_in_the_outer_query() -> None:
    inference = await infer(
        "SELECT s.SubscriberKey FROM Subscribers s WHERE s.LoyaltyPoints > "
        "(SELECT AVG(LoyaltyPoints) FROM Subscribers x WHERE x.FirstName = s.FirstName)"
    )
    assert inference.findings == ()


async def test_unknown_table_does_not_report_its_columns() -> None:
    inference = await infer("SELECT n.a, b FROM Nowhere n")
    assert [f.code for f in inference.findings] == ["UNKNOWN_TABLE"]
    assert [c.name for c in inference.columns] == ["a", "b"]


async def test_star_over_unknown_table_says_so() -> None:
    inference = await infer("SELECT * FROM Nowhere")
    (column,) = inference.columns
    assert column.name == "Nowhere.*"
    assert not column.type_known


async def test_unnamed_expressions_have_empty_names() -> None:
    inference = await infer("SELECT COUNT(*), OrderID FROM Orders GROUP BY OrderID")
    assert [c.name for c in inference.columns] == ["", "OrderID"]


async def test_statements_that_are_not_queries_have_no_columns() -> None:
    inference = await infer("DELETE FROM Orders")
    assert inference == Inference((), ())


class CountingCatalog(MemoryCatalog):
    def __init__(self) -> None:
        super().__init__(TABLES)
        self.asked: list[str] = []

    async def lookup(self, name: TableName) -> Table | None:
        self.asked.append(name.display)
        return await super().lookup(name)


async def test_each_table_is_looked_up_once() -> None:
    catalog = CountingCatalog()
    sql = (
        "SELECT o.OrderID FROM Orders o JOIN orders p ON p.OrderID = o.OrderID "
        "WHERE EXISTS (SELECT 1 FROM ORDERS q) AND o.SubscriberKey IN "
        "(SELECT SubscriberKey FROM Subscribers) UNION SELECT OrderID FROM _Sent, Orders"
    )
    parsed = parse(sql)
    assert parsed.statement is not None
    await infer_output(parsed.statement, text=sql, catalog=catalog)
    assert sorted(catalog.asked) == ["Orders", "Subscribers"]


async def test_every_corpus_query_is_inferred_the_same_way_twice() -> None:
    """Every parsable corpus query is inferred without a crash, and inferring it again gives
    the same answer (inference keeps no state between calls). Its speed is part of
    bench.tsql's ``validate_p95_ms`` (validate infers), not a test's."""
    inferred = 0
    for case in CORPUS:
        parsed = parse(case.text)
        if parsed.statement is None:
            continue
        first = await infer_output(parsed.statement, text=case.text, catalog=CATALOG)
        again = await infer_output(parsed.statement, text=case.text, catalog=CATALOG)
        assert first == again, case.text
        inferred += 1
    assert inferred > 60


MORE_FUNCTIONS: list[tuple[str, Shape]] = [
    ("FORMAT(Amount, 'N2')", ("X", T, 50, None, None, False)),
    ("FORMAT(OrderDate, 'yyyy-MM-dd HH:mm:ss.fffffff')", ("X", T, 84, None, None, False)),
    ("DATENAME(month, OrderDate)", ("X", T, 50, None, None, False)),
    ("SYSDATETIME()", ("X", D, None, None, None, False)),
    ("SYSDATETIMEOFFSET()", ("X", D, None, None, None, False)),
    ("SQRT(Amount)", ("X", DEC, None, 38, 10, False)),
    ("SIN(OrderID)", ("X", DEC, None, 38, 10, False)),
    ("POWER(OrderID, 2)", ("X", N, None, None, None, False)),
    ("FLOOR(Amount)", ("X", DEC, None, 10, 0, False)),
    ("ROUND(Amount, 1)", ("X", DEC, None, 12, 2, False)),
    ("ABS(OrderID)", ("X", N, None, None, None, False)),
    ("ISNUMERIC(Status)", ("X", N, None, None, None, True)),
    ("CHOOSE(2, 'ab', 'cde')", ("X", T, 3, None, None, True)),
    ("STR(Amount, 12)", ("X", T, 12, None, None, False)),
    ("NEWID()", ("X", T, 36, None, None, False)),
    ("PATINDEX('%[0-9]%', Status)", ("X", N, None, None, None, True)),
    ("STUFF(Status, 1, 2, 'abc')", ("X", T, 23, None, None, True)),
    ("SPACE(4)", ("X", T, 4, None, None, False)),
    ("CHAR(65)", ("X", T, 1, None, None, False)),
    ("OrderDate AT TIME ZONE 'UTC' AT TIME ZONE 'Central Standard Time'",
     ("X", D, None, None, None, False)),
    ("CAST(OrderID AS NVARCHAR(MAX))", ("X", T, None, None, None, False)),
    ("CAST(Amount AS MONEY)", ("X", DEC, None, 19, 4, False)),
    ("CAST(NEWID() AS UNIQUEIDENTIFIER)", ("X", T, 36, None, None, False)),
    ("DATEADD(month, 1, CAST(Status AS DATE))", ("X", D, None, None, None, True)),
    ("-OrderID", ("X", N, None, None, None, False)),
    ("(OrderID)", ("X", N, None, None, None, False)),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "expected"), MORE_FUNCTIONS)
async def test_function_results(expression: str, expected: Shape) -> None:
    inference = await infer(f"SELECT {expression} AS X FROM Orders")  # noqa: S608
    assert inference.findings == ()
    assert [shape(column) for column in inference.columns] == [expected]


SHAPES: list[tuple[str, str, list[Shape]]] = [
    ("CROSS APPLY sees the tables before it",
     "SELECT s.SubscriberKey, x.Biggest FROM Subscribers s CROSS APPLY (SELECT MAX(o.Amount) "
     "AS Biggest FROM Orders o WHERE o.SubscriberKey = s.SubscriberKey) x",
     [("SubscriberKey", T, 254, None, None, False), ("Biggest", DEC, None, 12, 2, True)]),
    ("OUTER APPLY makes its columns nullable",
     "SELECT x.OrderID FROM Subscribers s OUTER APPLY (SELECT TOP 1 o.OrderID FROM Orders o "
     "WHERE o.SubscriberKey = s.SubscriberKey ORDER BY o.OrderDate DESC) x",
     [("OrderID", N, None, None, None, True)]),
    ("VALUES as a derived table",
     "SELECT v.Code, v.Label FROM (VALUES (1, 'one'), (2, 'three')) AS v(Code, Label)",
     [("Code", N, None, None, None, False), ("Label", T, 5, None, None, False)]),
    ("a CTE's columns (MCE refuses CTEs; inference still reads them)",
     "WITH big AS (SELECT OrderID, Amount FROM Orders WHERE Amount > 100) "
     "SELECT b.OrderID FROM big b",
     [("OrderID", N, None, None, None, False)]),
    ("EXCEPT and INTERSECT take the first arm's names",
     "SELECT SubscriberKey AS K FROM Orders EXCEPT SELECT SubscriberKey FROM Subscribers",
     [("K", T, 254, None, None, False)]),
    ("a table named without its alias inside a correlated subquery",
     "SELECT Orders.OrderID FROM Orders WHERE EXISTS (SELECT 1 FROM Subscribers "
     "WHERE Subscribers.SubscriberKey = Orders.SubscriberKey)",
     [("OrderID", N, None, None, None, False)]),
    ("an inner name shadows the outer one",
     "SELECT o.OrderID FROM Orders o WHERE o.Status IN (SELECT Status FROM Orders)",
     [("OrderID", N, None, None, None, False)]),
    ("names in any case",
     "SELECT O.orderid, o.STATUS FROM orders o",
     [("orderid", N, None, None, None, False), ("STATUS", T, 20, None, None, True)]),
    ("ENT.-qualified column of a shared DE",
     "SELECT [Shared Products].SKU FROM ENT.[Shared Products]",
     [("SKU", T, 20, None, None, False)]),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in SHAPES], ids=[c[0] for c in SHAPES])
async def test_query_shapes(sql: str, expected: list[Shape]) -> None:
    inference = await infer(sql)
    assert inference.findings == ()
    assert [shape(column) for column in inference.columns] == expected


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELECT Orders.OrderID FROM Orders o", "UNKNOWN_COLUMN"),
        ("SELECT OrderID AS Id FROM Orders GROUP BY Id", "UNKNOWN_COLUMN"),
        ("SELECT OrderID AS Id FROM Orders ORDER BY Id + 1", "UNKNOWN_COLUMN"),
        ("SELECT 1 AS One WHERE Nothing = 1", "UNKNOWN_COLUMN"),
        ("SELECT x.* FROM Orders o", "UNKNOWN_COLUMN"),
        ("SELECT Status FROM Orders UNION SELECT Status FROM Orders ORDER BY Amount",
         "UNKNOWN_COLUMN"),
    ],
)  # fmt: skip
async def test_names_sql_server_cannot_bind(sql: str, code: str) -> None:
    inference = await infer(sql)
    assert [finding.code for finding in inference.findings] == [code]


async def test_enterprise_attribute_columns_come_from_the_catalogue() -> None:
    catalog = MemoryCatalog(
        [
            Table(
                "_EnterpriseAttribute",
                TableKind.DATA_VIEW,
                (Column("Region", T, 30),),
            )
        ]
    )
    sql = "SELECT e._SubscriberID, e.Region FROM _EnterpriseAttribute e"
    parsed = parse(sql)
    assert parsed.statement is not None
    inference = await infer_output(parsed.statement, text=sql, catalog=catalog)
    assert inference.findings == ()
    assert [(c.name, c.field_type, c.max_length) for c in inference.columns] == [
        ("_SubscriberID", N, None),
        ("Region", T, 30),
    ]


async def test_a_recursive_cte_is_not_an_unknown_table() -> None:
    inference = await infer(
        "WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n"
    )
    assert inference.findings == ()
    assert [c.name for c in inference.columns] == ["i"]


async def test_findings_come_in_text_order() -> None:
    inference = await infer("SELECT a, b, o.c FROM Orders o WHERE d = 1 AND Nowhere.e = 2")
    spans = [f.span.start for f in inference.findings if f.span is not None]
    assert len(spans) == 5
    assert spans == sorted(spans)


async def test_long_operator_chains_are_typed_without_deep_recursion() -> None:
    chain = " + ".join(["OrderID"] * 5000)
    inference = await infer(f"SELECT {chain} AS Total FROM Orders")  # noqa: S608
    assert [shape(c) for c in inference.columns] == [("Total", N, None, None, None, False)]


async def test_absurdly_nested_expressions_are_unknown_not_a_crash() -> None:
    inference = await infer("SELECT " + "- " * 400 + "1 AS x")
    (column,) = inference.columns
    assert not column.type_known
    assert column.note is not None
    assert "deeply" in column.note


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("ISNULL(EmailAddress, 'none')", ("X", T, 254, None, None, False)),
        ("ISNULL(EmailAddress, EmailAddress)", ("X", E, 254, None, None, False)),
        ("COALESCE(EmailAddress, 'none')", ("X", T, 254, None, None, False)),
        ("CASE WHEN OptIn = 1 THEN EmailAddress END", ("X", E, 254, None, None, True)),
        ("CASE WHEN OptIn = 1 THEN EmailAddress ELSE '' END", ("X", T, 254, None, None, False)),
    ],
)
async def test_an_address_mixed_with_other_text_is_text(expression: str, expected: Shape) -> None:
    inference = await infer(f"SELECT {expression} AS X FROM Subscribers")  # noqa: S608
    assert [shape(column) for column in inference.columns] == [expected]


async def test_pivot_output_is_unknown_not_guessed() -> None:
    inference = await infer(
        "SELECT p.[shipped], p.[open] FROM (SELECT Status, Amount FROM Orders) s "
        "PIVOT (SUM(Amount) FOR Status IN ([shipped], [open])) AS p"
    )
    assert inference.findings == ()
    assert [c.name for c in inference.columns] == ["shipped", "open"]
    assert not any(c.type_known for c in inference.columns)
    assert all("PIVOT" in (c.note or "") for c in inference.columns)


SYSTEM_DATE_CASES: list[tuple[str, list[bool]]] = [
    ("SELECT s.EventDate, s.SubscriberKey FROM _Sent s", [True, False]),
    ("SELECT GETDATE() AS Now, GETUTCDATE() AS UtcNow, SYSDATETIME() AS Sys", [True, False, True]),
    ("SELECT BirthDate, DATEADD(day, 1, BirthDate) AS Next FROM Subscribers", [False, False]),
    (
        "SELECT DATEADD(day, 1, o.EventDate) AS Next, MAX(o.EventDate) AS Last,"
        " CAST(o.EventDate AS DATE) AS Day, CONVERT(VARCHAR(10), o.EventDate, 120) AS Txt,"
        " EOMONTH(o.EventDate) AS MonthEnd FROM _Open o GROUP BY o.EventDate",
        [True, True, True, False, True],
    ),
    ("SELECT u.UnsubDateUTC FROM _BusinessUnitUnsubscribes u", [False]),
    (
        "SELECT ISNULL(o.EventDate, GETDATE()) AS A, COALESCE(o.EventDate, s.BirthDate) AS B,"
        " CASE WHEN o.IsUnique = 1 THEN o.EventDate END AS C"
        " FROM _Open o JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey",
        [True, False, True],
    ),
    ("SELECT EventDate FROM _Open UNION ALL SELECT EventDate FROM _Click", [True]),
    ("SELECT EventDate FROM _Open UNION ALL SELECT OrderDate FROM Orders", [False]),
    ("SELECT d.EventDate FROM (SELECT EventDate FROM _Sent) d", [True]),
]


@pytest.mark.parametrize(("sql", "system"), SYSTEM_DATE_CASES)
async def test_dates_mce_generates_are_marked_system_generated(
    sql: str, system: list[bool]
) -> None:
    """Data views' dates and GETDATE() are MCE's system time (CST): results carry its offset
    for them (docs/api.md); dates as stored in a DE, and UTC ones, are not."""
    inference = await infer(sql)
    assert [c.system_generated for c in inference.columns] == system
