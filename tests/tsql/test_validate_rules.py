"""One table per rule: what each construct rule reports, and what it must leave alone.

Beyond the corpus (tests/tsql/corpus.py): the look-alikes that must not trip a rule (a ';' in a
string, ``WITH (NOLOCK)``, window aggregates, outer columns) and the less common ways to break
one (``USING``, ``FETCH`` alone, ``GO``, a transaction).
"""

from __future__ import annotations

import pytest

from tests.tsql.corpus import CORPUS, seed_catalog
from tsql.findings import Severity
from tsql.rules_codes import FINDING_CODES
from tsql.types import Purpose
from tsql.validate import validate

_ACCEPTED = [
    "SELECT OrderID AS [Limit] FROM Orders",
    "SELECT OrderID FROM Orders WITH (NOLOCK) WHERE Status = 'a;b'",
    "SELECT 'a;b' AS Semi, '@x' AS Var, '#t' AS Hash, 'LIMIT 10' AS Lim, 'INTO' AS Into_",
    "SELECT OrderID, -- ; DROP TABLE Orders\n  Amount FROM Orders",
    "SELECT [a;b] = OrderID FROM Orders",
    "SELECT COUNT(*) AS n FROM Orders HAVING COUNT(*) > 1",
    "SELECT x.n FROM (SELECT COUNT(*) FROM Orders) AS x(n)",
    "SELECT SubscriberKey, COUNT(*) OVER (PARTITION BY SubscriberKey) AS n FROM Orders",
    "SELECT CASE WHEN COUNT(*) > 1 THEN 'many' ELSE 'one' END AS c FROM Orders",
    "SELECT TOP (5) OrderID FROM Orders ORDER BY OrderID",
    "SELECT OrderID FROM Orders WHERE OrderID IN "
    "(SELECT TOP 3 OrderID FROM Orders ORDER BY Amount DESC)",
    "SELECT OrderID, Amount FROM Orders WHERE Amount > (SELECT AVG(Amount) FROM Orders)",
    "SELECT a.OrderID FROM Orders a, Subscribers b WHERE a.SubscriberKey = b.SubscriberKey",
    "SELECT UPPER(LEFT(FirstName, 1)) + LOWER(SUBSTRING(FirstName, 2, 99)) AS Name "
    "FROM Subscribers",
    "SELECT COALESCE(FirstName, LastName, 'x') AS n, ISNULL(Phone, '') AS p FROM Subscribers",
    "SELECT SubscriberKey, MAX(Amount) AS m FROM Orders GROUP BY ROLLUP(SubscriberKey)",
    "SELECT o.SubscriberKey, COUNT(*) AS n FROM Orders o GROUP BY SubscriberKey",
    "SELECT SubscriberKey, Currency + '!' AS c, COUNT(*) AS n FROM Orders "
    "GROUP BY SubscriberKey, Currency",
    "SELECT OrderID FROM Orders o CROSS APPLY (SELECT TOP 1 s.SubscriberKey FROM Subscribers s "
    "WHERE s.SubscriberKey = o.SubscriberKey ORDER BY s.SubscriberKey) x",
    "SELECT CAST(OrderDate AS DATE) AS d, CONVERT(DATE, OrderDate) AS e, "
    "FORMAT(OrderDate, 'yyyy') AS f, DATENAME(month, OrderDate) AS g FROM Orders",
    "SELECT TOP 1 WITH TIES OrderID FROM Orders ORDER BY Amount",
    "SELECT OrderID FROM Orders WHERE Amount > ALL (SELECT Amount FROM Orders WHERE OrderID < 5)",
    "SELECT OrderDate AT TIME ZONE 'Central Standard Time' AT TIME ZONE 'UTC' AS d FROM Orders",
    "SELECT OrderID FROM Orders ORDER BY OrderDate OFFSET 0 ROWS",
    "SELECT SubscriberKey FROM Orders WHERE Amount > (SELECT AVG(Amount) FROM Orders) "
    "GROUP BY SubscriberKey HAVING COUNT(*) > 1 AND MAX(Amount) > 10",
    "SELECT MAX(x.n) AS m FROM (SELECT COUNT(*) AS n FROM Orders GROUP BY SubscriberKey) x",
    "SELECT DISTINCT TOP 5 Status AS S, UPPER(Currency) AS C FROM Orders "
    "ORDER BY S, UPPER(Currency), Status, 2",
    "SELECT DISTINCT TOP 5 o.Status FROM Orders o ORDER BY o.Status DESC",
    "SELECT DISTINCT TOP 5 * FROM Orders ORDER BY Amount",
    "SELECT SubscriberKey AS K FROM Orders UNION SELECT SubscriberKey FROM Subscribers "
    "ORDER BY K OFFSET 0 ROWS",
    "SELECT TOP 5 OrderID FROM Orders ORDER BY Amount",
    "SELECT SubscriberKey, SUM(COUNT(*)) OVER () AS AllOrders FROM Orders GROUP BY SubscriberKey",
    "SELECT x.OrderID FROM (SELECT OrderID, ROW_NUMBER() OVER (ORDER BY Amount) AS n "
    "FROM Orders) x WHERE x.n = 1",
    "SELECT CAST(OrderID AS BIGINT) AS a, CAST(Amount AS DECIMAL(10, 2)) AS b, "
    "CONVERT(NVARCHAR(MAX), OrderID) AS d, CAST((OrderID + 1) AS DOUBLE PRECISION) AS e, "
    "CAST(OrderID AS CHARACTER VARYING(10)) AS f, CAST(CAST(OrderID AS INT) AS VARCHAR(5)) AS j "
    "FROM Orders",
    "SELECT OrderID FROM Orders UNION SELECT Id FROM [Empty Staging] ORDER BY 1 "
    "OFFSET 0 ROWS FETCH NEXT 10 ROWS ONLY",
]


@pytest.mark.parametrize("sql", _ACCEPTED)
async def test_look_alikes_pass(sql: str) -> None:
    for purpose in (Purpose.QUERY_ACTIVITY, Purpose.RUN):
        analysis = await validate(sql, purpose=purpose, catalog=seed_catalog())
        assert analysis.valid, analysis.findings


_REJECTED = [
    ("SELECT OrderID FROM Orders o JOIN Subscribers s USING (SubscriberKey)", ["SYNTAX_ERROR"]),
    ("SELECT OrderID FROM Orders FETCH NEXT 5 ROWS ONLY", ["SYNTAX_ERROR"]),
    ("SELECT CONVERT(VARCHAR(7)) AS x FROM Orders", ["SYNTAX_ERROR"]),
    ("SELECT CAST(OrderID AS Number) AS x, CONVERT(Boolean, IsGift) AS y FROM Orders",
     ["SYNTAX_ERROR", "SYNTAX_ERROR"]),
    ("SELECT 1 AS a\nGO", ["MULTIPLE_STATEMENTS"]),
    ("SELECT OrderID FROM Orders;;", ["SEMICOLON", "SEMICOLON"]),
    ("DELETE FROM Orders; SELECT 1 AS a", ["NOT_SELECT", "SEMICOLON", "MULTIPLE_STATEMENTS"]),
    ("BEGIN TRANSACTION", ["NOT_SELECT"]),
    ("USE otherdb", ["NOT_SELECT"]),
    ("SET NOCOUNT ON", ["NOT_SELECT"]),
    ("GRANT SELECT ON Orders TO public", ["NOT_SELECT"]),
    ("ALTER TABLE Orders ADD x INT", ["NOT_SELECT"]),
    ("CREATE VIEW v AS SELECT 1 AS a", ["NOT_SELECT"]),
    ("DECLARE @a INT, @b INT", ["DECLARE"]),
    ("SELECT @@VERSION AS v, @x AS w", ["VARIABLE", "VARIABLE"]),
    ("SELECT * INTO Copy FROM Orders", ["SELECT_INTO"]),
    ("SELECT OrderID FROM Orders UNION SELECT OrderID FROM #old", ["TEMP_TABLE"]),
    ("WITH a AS (SELECT 1 AS x), b AS (SELECT 2 AS x) SELECT x FROM a", ["CTE"]),
    ("SELECT OrderID, 1 FROM Orders UNION SELECT OrderID FROM Orders",
     ["UNNAMED_COLUMN", "UNION_WIDTH_MISMATCH"]),
    ("SELECT OrderID FROM Orders UNION ALL SELECT OrderID FROM Orders "
     "UNION ALL SELECT OrderID, Amount FROM Orders", ["UNION_WIDTH_MISMATCH"]),
    ("SELECT x.a FROM (SELECT OrderID AS a, Amount AS a FROM Orders) x", ["DUPLICATE_COLUMN"]),
    ("SELECT OrderID, OrderID AS orderid, Amount AS ORDERID FROM Orders",
     ["DUPLICATE_COLUMN", "DUPLICATE_COLUMN"]),
    ("SELECT DISTINCT OrderID FROM Orders ORDER BY OrderID", ["ORDER_BY_WITHOUT_TOP"]),
    ("SELECT STRING_AGG(Status, ',') WITHIN GROUP (ORDER BY Status) AS s FROM Orders",
     ["UNSUPPORTED_FUNCTION"]),
    ("SELECT JSON_VALUE(Status, '$.a') AS j FROM Orders", ["UNSUPPORTED_FUNCTION"]),
    ("SELECT CONCAT_WS(',', FirstName, LastName) AS n FROM Subscribers",
     ["UNSUPPORTED_FUNCTION"]),
    ("SELECT OrderID FROM OPENQUERY(x, 'select 1')", ["UNKNOWN_FUNCTION"]),
    ("SELECT SubscriberKey, Amount, COUNT(*) AS n FROM Orders GROUP BY SubscriberKey "
     "HAVING COUNT(*) > 1", ["GROUP_BY_MISMATCH"]),
    ("SELECT o.SubscriberKey, s.Country, COUNT(*) AS n FROM Orders o "
     "JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey GROUP BY o.SubscriberKey",
     ["GROUP_BY_MISMATCH"]),
    ("SELECT OrderID FROM Orders WHERE SubscriberKey IN (SELECT SubscriberKey, Status FROM Orders "
     "ORDER BY 1)", ["ORDER_BY_WITHOUT_TOP"]),
    ("SELECT SubscriberKey FROM Orders GROUP BY SubscriberKey "
     "HAVING SUM(Amount) OVER () > 1", ["WINDOW_OUTSIDE_SELECT"]),
    ("SELECT COUNT(*) AS n FROM Orders GROUP BY ROW_NUMBER() OVER (ORDER BY OrderID)",
     ["WINDOW_OUTSIDE_SELECT"]),
    ("SELECT OrderID FROM Orders WHERE SUM(Amount) OVER () > 1 AND COUNT(*) > 1",
     ["WINDOW_OUTSIDE_SELECT", "AGGREGATE_IN_WHERE"]),
    ("SELECT MAX(COUNT(*)) AS m FROM Orders GROUP BY SubscriberKey", ["NESTED_AGGREGATE"]),
    ("SELECT TOP 5 OrderID, Amount FROM Orders ORDER BY 3", ["ORDER_BY_POSITION"]),
    ("SELECT TOP 5 OrderID FROM Orders ORDER BY 0", ["ORDER_BY_POSITION"]),
    ("SELECT DISTINCT TOP 5 Status FROM Orders ORDER BY OrderDate", ["ORDER_BY_NOT_SELECTED"]),
    ("SELECT TOP 5 SubscriberKey FROM Orders UNION SELECT SubscriberKey FROM Subscribers "
     "ORDER BY Country OFFSET 0 ROWS", ["ORDER_BY_NOT_SELECTED"]),
    ("SELECT SUM(Amount + AVG(Amount)) AS m FROM Orders", ["NESTED_AGGREGATE"]),
    ("SELECT OrderID FROM (SELECT OrderID FROM Orders) JOIN Subscribers s ON 1 = 1",
     ["DERIVED_TABLE_WITHOUT_ALIAS"]),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "codes"), _REJECTED)
async def test_each_rule_reports(sql: str, codes: list[str]) -> None:
    analysis = await validate(sql, purpose=Purpose.QUERY_ACTIVITY, catalog=seed_catalog())
    errors = [f.code for f in analysis.findings if f.severity is Severity.ERROR]
    assert sorted(errors) == sorted(codes), analysis.findings


_MORE = [
    "SELECT TOP 3 OrderID FROM Orders WITH (NOLOCK)",
    "",
    "-- only a comment",
    "SELECT " + "(" * 100 + "1" + ")" * 100 + " AS a",
    "SELECT 1 AS a" + " " * 100_001,
    "SELECT x FROM OPENQUERY(s, 'q')",
    "SELECT [Nope] FROM Orders",
    "SELECT Nope FROM NoSuchDE",
    "SELECT SubscriberKey FROM Orders o JOIN Subscribers s ON 1 = 1",
]


async def test_every_code_is_listed_with_its_severity_and_reported_by_some_test() -> None:
    texts = [case.text for case in CORPUS] + _ACCEPTED + [sql for sql, _ in _REJECTED] + _MORE
    seen: dict[str, Severity] = {}
    for sql in texts:
        for purpose in (Purpose.QUERY_ACTIVITY, Purpose.RUN):
            analysis = await validate(sql, purpose=purpose, catalog=seed_catalog())
            for finding in analysis.findings:
                seen[finding.code] = finding.severity
    assert set(seen) <= set(FINDING_CODES), set(seen) - set(FINDING_CODES)
    for code, severity in seen.items():
        assert FINDING_CODES[code][0] is severity, code
    assert set(FINDING_CODES) - set(seen) == {"NOT_CHECKED"}
