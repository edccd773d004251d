"""The shared query corpus for tsql: what MCE accepts and rejects, as data.

Read by the validation tests (expected finding codes per purpose), the oracle agreement test
(tsql's QUERY_ACTIVITY verdict against the simulator's REST validator) and the target tests
(accepted queries run in the simulator into a DE built from tsql's inferred columns).

Every query names tables of the simulator's seed (simulator/seed.py, seed_data.py): in every
BU ``Subscribers``, ``Orders``, ``[Web Events 2024]``, ``[All Types]``, ``[Empty Staging]``,
``[Active Subscribers]``; in the parent (enterprise) BU the shared ``[Shared Products]`` and
``[Shared Suppression List]``, reached as ``ENT.[...]`` from every BU. ``bu`` says where a query
is checked: ``"parent"`` (the enterprise BU) or ``"child"`` (its "Marketing US" child).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tests.simulator.query_corpus import CORPUS as MARKETING_CORPUS
from tsql.catalog import MemoryCatalog
from tsql.types import Column, FieldType, Table, TableKind

__all__ = [
    "CORPUS",
    "KNOWN_DISAGREEMENTS",
    "SEED_TABLES",
    "SHARED_SEED_TABLES",
    "CorpusCase",
    "case_named",
    "seed_catalog",
]


@dataclass(frozen=True, slots=True)
class CorpusCase:
    """One query. ``errors``: the codes of the ERROR findings tsql must report for
    QUERY_ACTIVITY (empty: MCE accepts it). ``run_errors``: the same for RUN when they differ
    (None: as ``errors``). ``marketing``: taken from the simulator's marketing corpus."""

    name: str
    text: str
    errors: tuple[str, ...] = ()
    run_errors: tuple[str, ...] | None = None
    bu: str = "parent"
    marketing: bool = False

    @property
    def valid(self) -> bool:
        """MCE's QUERY_ACTIVITY verdict as REFERENCE decides it."""
        return not self.errors

    def errors_for(self, purpose: str) -> tuple[str, ...]:
        """Expected ERROR codes for ``purpose`` ("RUN" or "QUERY_ACTIVITY")."""
        if purpose == "RUN" and self.run_errors is not None:
            return self.run_errors
        return self.errors


def _marketing() -> tuple[CorpusCase, ...]:
    return tuple(
        CorpusCase(name=f"marketing: {query.name}", text=query.text, marketing=True)
        for query in MARKETING_CORPUS
    )


_ORDERS_JOIN = "FROM Subscribers s INNER JOIN Orders o ON o.SubscriberKey = s.SubscriberKey"

_EDGE_CASES: tuple[CorpusCase, ...] = (
    CorpusCase(
        "brackets: names with spaces, bracketed alias",
        "SELECT w.[Event Type], w.[Page URL] AS [Page], w.[Occurred At] "
        "FROM [Web Events 2024] AS w WHERE w.[Occurred At] > '2024-01-01'",
    ),
    CorpusCase("brackets: a reserved word as a name", "SELECT [Status], [OrderID] FROM [Orders]"),
    CorpusCase(
        "ENT.: shared DE from the parent",
        "SELECT s.EmailAddress, s.Reason FROM ENT.[Shared Suppression List] s",
    ),
    CorpusCase(
        "ENT.: shared DE from a child BU",
        "SELECT p.SKU, p.Price FROM ENT.[Shared Products] AS p WHERE p.Active = 1",
        bu="child",
    ),
    CorpusCase(
        "ENT.: a data view of the enterprise BU",
        "SELECT TOP 10 SubscriberKey, DateJoined FROM ENT._Subscribers ORDER BY DateJoined DESC",
    ),
    CorpusCase(
        "data views: lower-case names",
        "SELECT subscriberkey, eventdate FROM _open WHERE isunique = 1",
    ),
    CorpusCase(
        "data views: a join on JobID",
        "SELECT j.EmailName, COUNT(*) AS Clicks FROM _Click c INNER JOIN _Job j "
        "ON j.JobID = c.JobID GROUP BY j.EmailName",
    ),
    CorpusCase(
        "data views: _BusinessUnitUnsubscribes",
        "SELECT SubscriberKey, UnsubDateUTC, UnsubReason FROM _BusinessUnitUnsubscribes",
    ),
    CorpusCase(
        "data views: _EnterpriseAttribute",
        "SELECT _SubscriberID AS SubscriberID FROM _EnterpriseAttribute",
    ),
    CorpusCase(
        "data views: one REFERENCE lists beyond the simulator's",
        "SELECT Mobile, MessageText, CreateDateTime FROM _SMSMessageTracking WHERE Sent = 1",
    ),
    CorpusCase(
        "window functions: running total and rank",
        "SELECT SubscriberKey, OrderID, SUM(Amount) OVER (PARTITION BY SubscriberKey) AS Total, "
        "RANK() OVER (ORDER BY Amount DESC) AS AmountRank FROM Orders",
    ),
    CorpusCase(
        "window functions: ROW_NUMBER in a derived table",
        "SELECT r.SubscriberKey, r.OrderDate FROM (SELECT SubscriberKey, OrderDate, "
        "ROW_NUMBER() OVER (PARTITION BY SubscriberKey ORDER BY OrderDate) AS n FROM Orders) r "
        "WHERE r.n <= 3",
    ),
    CorpusCase(
        "subqueries: correlated scalar subquery",
        "SELECT s.SubscriberKey, (SELECT COUNT(*) FROM Orders o "
        "WHERE o.SubscriberKey = s.SubscriberKey) AS OrderCount FROM Subscribers s",
    ),
    CorpusCase(
        "subqueries: TOP with ORDER BY inside a derived table",
        "SELECT x.OrderID FROM (SELECT TOP 5 OrderID FROM Orders ORDER BY Amount DESC) AS x",
    ),
    CorpusCase(
        "subqueries: three levels of derived tables",
        "SELECT c.SubscriberKey FROM (SELECT b.SubscriberKey FROM (SELECT a.SubscriberKey "
        "FROM (SELECT SubscriberKey FROM Orders WHERE Amount > 10) a) b) c",
    ),
    CorpusCase(
        "subqueries: EXISTS, NOT IN, LIKE, BETWEEN, IS NULL",
        "SELECT s.SubscriberKey FROM Subscribers s WHERE EXISTS (SELECT 1 FROM Orders o "
        "WHERE o.SubscriberKey = s.SubscriberKey) AND s.Country NOT IN ('DE', 'FR') "
        "AND s.EmailAddress LIKE '%@%' AND s.LoyaltyPoints BETWEEN 1 AND 100 "
        "AND s.Phone IS NULL",
    ),
    CorpusCase(
        "OFFSET/FETCH: a page of an ordered result",
        "SELECT SubscriberKey FROM Subscribers ORDER BY SubscriberKey "
        "OFFSET 10 ROWS FETCH NEXT 20 ROWS ONLY",
    ),
    CorpusCase(
        "OFFSET without FETCH",
        "SELECT OrderID FROM Orders ORDER BY OrderDate DESC OFFSET 100 ROWS",
    ),
    CorpusCase(
        "TOP PERCENT WITH ORDER BY",
        "SELECT TOP 10 PERCENT SubscriberKey, LoyaltyPoints FROM Subscribers "
        "ORDER BY LoyaltyPoints DESC",
    ),
    CorpusCase(
        "UNION: three arms, later arms unnamed",
        "SELECT SubscriberKey, 'order' AS Source FROM Orders UNION "
        "SELECT SubscriberKey, 'web' FROM [Web Events 2024] UNION ALL "
        "SELECT SubscriberKey, 'profile' FROM Subscribers",
    ),
    CorpusCase(
        "INTERSECT",
        "SELECT SubscriberKey FROM Orders INTERSECT SELECT SubscriberKey FROM Subscribers",
    ),
    CorpusCase("parenthesised query", "(SELECT SubscriberKey FROM Subscribers)"),
    CorpusCase(
        "comments and strings holding ';' and keywords",
        "/* a; b; DELETE */ SELECT SubscriberKey FROM Subscribers "
        "WHERE FirstName <> 'x;y -- INTO' -- trailing ; comment\n",
    ),
    CorpusCase("no FROM", "SELECT GETDATE() AS Now, GETUTCDATE() AS UtcNow"),
    CorpusCase(
        "T-SQL alias = expression",
        "SELECT Total = COUNT(*), Biggest = MAX(Amount) FROM Orders",
    ),
    CorpusCase("SELECT * from one DE", "SELECT * FROM [Active Subscribers]"),
    CorpusCase(
        "t.* beside a column of another table",
        f"SELECT o.*, s.EmailAddress {_ORDERS_JOIN}",
    ),
    CorpusCase(
        "CASE, IIF, NULLIF, CONVERT, DATEPART",
        "SELECT OrderID, CASE Status WHEN 'shipped' THEN 1 ELSE 0 END AS Shipped, "
        "IIF(Amount > 100, 'big', 'small') AS Size, NULLIF(Currency, 'USD') AS OtherCurrency, "
        "CONVERT(VARCHAR(10), OrderDate, 112) AS Day, DATEPART(year, OrderDate) AS OrderYear "
        "FROM Orders",
    ),
    CorpusCase(
        "DISTINCT TOP with ORDER BY, HAVING",
        "SELECT DISTINCT TOP 3 Country, COUNT(*) AS Total FROM Subscribers GROUP BY Country "
        "HAVING COUNT(*) > 1 ORDER BY Country",
    ),
    CorpusCase(
        "CROSS JOIN and LEFT JOIN",
        "SELECT s.SubscriberKey, p.SKU, o.OrderID FROM Subscribers s "
        "CROSS JOIN ENT.[Shared Products] p "
        "LEFT JOIN Orders o ON o.SubscriberKey = s.SubscriberKey",
    ),
    CorpusCase("a child BU's own DE", "SELECT OrderID, Amount FROM Orders", bu="child"),
    CorpusCase(
        "GROUP BY an expression",
        "SELECT YEAR(OrderDate) AS OrderYear, COUNT(*) AS Total FROM Orders "
        "GROUP BY YEAR(OrderDate)",
    ),
    CorpusCase(
        "an outer column inside an aggregating subquery",
        "SELECT s.SubscriberKey, (SELECT MAX(o.Amount) + s.LoyaltyPoints FROM Orders o "
        "WHERE o.SubscriberKey = s.SubscriberKey) AS Best FROM Subscribers s",
    ),
    CorpusCase(
        "a long-standing SQL Server function the simulator lacks",
        "SELECT OrderID, ISNUMERIC(Currency) AS CurrencyIsNumber FROM Orders",
    ),
)

_F = "UNSUPPORTED_FUNCTION"

_REJECTED: tuple[CorpusCase, ...] = (
    CorpusCase("';' at the end", "SELECT SubscriberKey FROM Subscribers;", ("SEMICOLON",)),
    CorpusCase(
        "two statements with ';'",
        "SELECT SubscriberKey FROM Subscribers; SELECT OrderID FROM Orders",
        ("SEMICOLON", "MULTIPLE_STATEMENTS"),
    ),
    CorpusCase(
        "two statements without ';'",
        "SELECT SubscriberKey FROM Subscribers SELECT OrderID FROM Orders",
        ("MULTIPLE_STATEMENTS",),
    ),
    CorpusCase("INSERT", "INSERT INTO Orders (OrderID) VALUES (1)", ("NOT_SELECT",)),
    CorpusCase("UPDATE", "UPDATE Subscribers SET OptIn = 0", ("NOT_SELECT",)),
    CorpusCase("DELETE", "DELETE FROM Orders WHERE Amount < 0", ("NOT_SELECT",)),
    CorpusCase(
        "MERGE",
        "MERGE Orders AS t USING [Empty Staging] AS s ON t.OrderID = s.Id WHEN MATCHED THEN DELETE",
        ("NOT_SELECT",),
    ),
    CorpusCase("EXEC", "EXEC sp_who", ("NOT_SELECT",)),
    CorpusCase("CREATE TABLE", "CREATE TABLE Staging2 (Id INT)", ("NOT_SELECT",)),
    CorpusCase("DROP TABLE", "DROP TABLE Orders", ("NOT_SELECT",)),
    CorpusCase("TRUNCATE TABLE", "TRUNCATE TABLE Orders", ("NOT_SELECT",)),
    CorpusCase(
        "CTE",
        "WITH recent AS (SELECT SubscriberKey FROM Orders WHERE Amount > 10) "
        "SELECT SubscriberKey FROM recent",
        ("CTE",),
    ),
    CorpusCase("DECLARE", "DECLARE @since DATE", ("DECLARE",)),
    CorpusCase(
        "a variable",
        "SELECT SubscriberKey FROM Orders WHERE OrderDate > @since",
        ("VARIABLE",),
    ),
    CorpusCase("a system variable", "SELECT @@ROWCOUNT AS Counted", ("VARIABLE",)),
    CorpusCase(
        "SELECT INTO a temp table",
        "SELECT SubscriberKey INTO #keys FROM Subscribers",
        ("SELECT_INTO",),
    ),
    CorpusCase("reading a temp table", "SELECT SubscriberKey FROM #keys", ("TEMP_TABLE",)),
    CorpusCase("LIMIT", "SELECT SubscriberKey FROM Subscribers LIMIT 10", ("LIMIT",)),
    CorpusCase(
        "TRY_CONVERT",
        "SELECT TRY_CONVERT(INT, Country) AS N FROM Subscribers",
        (_F,),
    ),
    CorpusCase("TRY_CAST", "SELECT TRY_CAST(Country AS INT) AS N FROM Subscribers", (_F,)),
    CorpusCase(
        "TRY_PARSE",
        "SELECT TRY_PARSE(Country AS INT) AS N FROM Subscribers",
        (_F,),
    ),
    CorpusCase(
        "STRING_SPLIT in FROM",
        "SELECT value AS Part FROM STRING_SPLIT('a,b', ',')",
        (_F,),
    ),
    CorpusCase("OPENJSON", "SELECT [key] AS K FROM OPENJSON('{\"a\": 1}')", (_F,)),
    CorpusCase("ISJSON", "SELECT ISJSON(FirstName) AS J FROM Subscribers", (_F,)),
    CorpusCase(
        "JSON_MODIFY",
        "SELECT JSON_MODIFY(FirstName, '$.a', 1) AS J FROM Subscribers",
        (_F,),
    ),
    CorpusCase(
        "STRING_AGG",
        "SELECT Country, STRING_AGG(FirstName, ',') AS Names FROM Subscribers GROUP BY Country",
        (_F,),
    ),
    CorpusCase(
        "a function SQL Server lacks",
        "SELECT NVL(FirstName, '') AS F FROM Subscribers",
        ("UNKNOWN_FUNCTION",),
    ),
    CorpusCase(
        "a function nobody has",
        "SELECT FOO_BAR(FirstName) AS F FROM Subscribers",
        ("UNKNOWN_FUNCTION",),
    ),
    CorpusCase(
        "unnamed output expression",
        "SELECT SubscriberKey, UPPER(FirstName) FROM Subscribers",
        ("UNNAMED_COLUMN",),
    ),
    CorpusCase(
        "unnamed column of a derived table",
        "SELECT x.* FROM (SELECT COUNT(*) FROM Orders) AS x",
        ("UNNAMED_COLUMN",),
    ),
    CorpusCase(
        "duplicate output names",
        "SELECT FirstName, FirstName FROM Subscribers",
        ("DUPLICATE_COLUMN",),
    ),
    CorpusCase(
        "duplicate output names differing in case",
        "SELECT FirstName AS Name, LastName AS name FROM Subscribers",
        ("DUPLICATE_COLUMN",),
    ),
    CorpusCase(
        "UNION arms of different widths",
        "SELECT SubscriberKey, EmailAddress FROM Subscribers UNION "
        "SELECT SubscriberKey FROM Orders",
        ("UNION_WIDTH_MISMATCH",),
    ),
    CorpusCase(
        "UNION arms of different widths through *",
        "SELECT * FROM [Active Subscribers] UNION SELECT SubscriberKey FROM Orders",
        ("UNION_WIDTH_MISMATCH",),
    ),
    CorpusCase(
        "ORDER BY without TOP",
        "SELECT SubscriberKey FROM Subscribers ORDER BY SubscriberKey",
        ("ORDER_BY_WITHOUT_TOP",),
        run_errors=(),
    ),
    CorpusCase(
        "ORDER BY without TOP after UNION",
        "SELECT SubscriberKey FROM Subscribers UNION SELECT SubscriberKey FROM Orders "
        "ORDER BY SubscriberKey",
        ("ORDER_BY_WITHOUT_TOP",),
        run_errors=(),
    ),
    CorpusCase(
        "ORDER BY without TOP in a derived table",
        "SELECT x.OrderID FROM (SELECT OrderID FROM Orders ORDER BY Amount) AS x",
        ("ORDER_BY_WITHOUT_TOP",),
    ),
    CorpusCase(
        "ORDER BY without TOP in an IN subquery",
        "SELECT SubscriberKey FROM Subscribers WHERE SubscriberKey IN "
        "(SELECT SubscriberKey FROM Orders ORDER BY Amount)",
        ("ORDER_BY_WITHOUT_TOP",),
    ),
    CorpusCase(
        "OFFSET without ORDER BY",
        "SELECT SubscriberKey FROM Subscribers OFFSET 5 ROWS",
        ("OFFSET_WITHOUT_ORDER_BY",),
    ),
    CorpusCase("unknown DE", "SELECT SubscriberKey FROM NoSuchTable", ("UNKNOWN_TABLE",)),
    CorpusCase("unknown column", "SELECT Nickname FROM Subscribers", ("UNKNOWN_COLUMN",)),
    CorpusCase(
        "unknown column through an alias",
        "SELECT o.Nickname FROM Orders o",
        ("UNKNOWN_COLUMN",),
    ),
    CorpusCase(
        "ambiguous column",
        f"SELECT SubscriberKey {_ORDERS_JOIN}",
        ("AMBIGUOUS_COLUMN",),
    ),
    CorpusCase(
        "SELECT * over a join with a shared column name",
        f"SELECT * {_ORDERS_JOIN}",
        ("AMBIGUOUS_COLUMN",),
    ),
    CorpusCase(
        "t.* and one of its columns again",
        "SELECT o.*, o.OrderID FROM Orders o",
        ("AMBIGUOUS_COLUMN",),
    ),
    CorpusCase(
        "ENT. of a DE that is not shared",
        "SELECT SubscriberKey FROM ENT.Subscribers",
        ("UNKNOWN_TABLE",),
        bu="child",
    ),
    CorpusCase(
        "GROUP BY without the selected column",
        "SELECT SubscriberKey, Amount FROM Orders GROUP BY SubscriberKey",
        ("GROUP_BY_MISMATCH",),
    ),
    CorpusCase(
        "aggregate beside a plain column without GROUP BY",
        "SELECT SubscriberKey, COUNT(*) AS Total FROM Orders",
        ("GROUP_BY_MISMATCH",),
    ),
    CorpusCase(
        "an aggregate in WHERE",
        "SELECT SubscriberKey FROM Orders WHERE COUNT(*) > 1 GROUP BY SubscriberKey",
        ("AGGREGATE_IN_WHERE",),
    ),
    CorpusCase(
        "ROW_NUMBER in WHERE",
        "SELECT SubscriberKey, OrderID FROM Orders "
        "WHERE ROW_NUMBER() OVER (PARTITION BY SubscriberKey ORDER BY OrderDate DESC) = 1",
        ("WINDOW_OUTSIDE_SELECT",),
    ),
    CorpusCase(
        "an aggregate inside an aggregate",
        "SELECT MAX(COUNT(*)) AS Most FROM Orders GROUP BY SubscriberKey",
        ("NESTED_AGGREGATE",),
    ),
    CorpusCase(
        "ORDER BY a position beyond the columns",
        "SELECT TOP 5 OrderID, Amount FROM Orders ORDER BY 3",
        ("ORDER_BY_POSITION",),
    ),
    CorpusCase(
        "DISTINCT with ORDER BY on a column not selected",
        "SELECT DISTINCT TOP 5 Status FROM Orders ORDER BY OrderDate",
        ("ORDER_BY_NOT_SELECTED",),
    ),
    CorpusCase(
        "trailing comma before FROM",
        "SELECT SubscriberKey, FROM Subscribers",
        ("SYNTAX_ERROR",),
    ),
    CorpusCase(
        "WHERE without a condition",
        "SELECT SubscriberKey FROM Subscribers WHERE",
        ("SYNTAX_ERROR",),
    ),
    CorpusCase(
        "JOIN without ON",
        "SELECT s.SubscriberKey FROM Subscribers s JOIN Orders o",
        ("SYNTAX_ERROR",),
    ),
    CorpusCase(
        "unterminated string",
        "SELECT SubscriberKey FROM Subscribers WHERE FirstName = 'Ann",
        ("SYNTAX_ERROR",),
    ),
    CorpusCase(
        "unterminated bracket",
        "SELECT [Event Type FROM Subscribers",
        ("SYNTAX_ERROR",),
    ),
    CorpusCase(
        "unterminated comment",
        "SELECT SubscriberKey FROM Subscribers /* note",
        ("SYNTAX_ERROR",),
    ),
    CorpusCase(
        "bracket closed too late: one long name and no FROM",
        "SELECT [Event Type FROM [Web Events 2024]",
        ("UNKNOWN_COLUMN",),
    ),
    CorpusCase(
        "an MCE field type written as a SQL type",
        "SELECT CAST(LoyaltyPoints AS Number) AS Points FROM Subscribers",
        ("SYNTAX_ERROR",),
    ),
    CorpusCase(
        "derived table without an alias",
        "SELECT OrderID FROM (SELECT OrderID FROM Orders)",
        ("DERIVED_TABLE_WITHOUT_ALIAS",),
    ),
    CorpusCase(
        "shared DE without ENT. from a child BU",
        "SELECT SKU FROM [Shared Products]",
        ("UNKNOWN_TABLE",),
        bu="child",
    ),
    CorpusCase(
        "a DE under a database with an empty schema",
        "SELECT o.OrderID FROM x..Orders o",
        ("UNKNOWN_TABLE",),
    ),
    CorpusCase(
        "a DE under a schema other than ENT",
        "SELECT OrderID FROM dbo.Orders",
        ("UNKNOWN_TABLE",),
    ),
)

#: Every query: the simulator's marketing corpus, edge cases MCE accepts, and what it rejects.
CORPUS: tuple[CorpusCase, ...] = (*_marketing(), *_EDGE_CASES, *_REJECTED)

#: Queries on which tsql and the simulator's REST validator disagree, by name, with why
#: tsql is right (REFERENCE wins over the simulator). The oracle test asserts each one still
#: disagrees, so a fixed simulator makes the entry fail and get removed.
KNOWN_DISAGREEMENTS: Mapping[str, str] = MappingProxyType(
    {
        "a function SQL Server lacks": "NVL is Oracle's, not T-SQL's: MCE answers that it is not "
        "a recognized built-in function. The simulator reads the query with sqlglot, which turns "
        "NVL into COALESCE before the simulator's function allow-list sees it, so it accepts.",
        "unnamed column of a derived table": "T-SQL requires every column of a derived table to "
        "have a name (REFERENCE 5.1: the text itself runs as a derived table, and unnamed "
        "expressions fail); the simulator checks names only for the outermost query.",
        "OFFSET without ORDER BY": "T-SQL's OFFSET is part of ORDER BY (REFERENCE 5.1 lists "
        "'OFFSET without ORDER BY' among what fails); the simulator runs it in DuckDB, which "
        "accepts it.",
        "an MCE field type written as a SQL type": "SQL Server has no type NUMBER (MCE's field "
        "type is not a SQL type); the simulator reads the query with sqlglot, which takes "
        "Oracle's NUMBER for DECIMAL, so it accepts.",
        "DISTINCT with ORDER BY on a column not selected": "SQL Server requires ORDER BY "
        "items to appear in the select list when SELECT DISTINCT is specified; the simulator "
        "runs the query in DuckDB, which accepts it.",
        "JOIN without ON": "T-SQL requires ON for INNER/LEFT/RIGHT/FULL joins (a syntax error); "
        "the simulator runs it in DuckDB, which reads it as a cross join.",
        "derived table without an alias": "T-SQL requires an alias for a derived table (a "
        "syntax error); the simulator runs it in DuckDB, which does not.",
        "a long-standing SQL Server function the simulator lacks": "[sim] choice "
        "(docs/simulator.md, simulator/sql/builtins.py): the simulator refuses SQL Server "
        "functions its engine does not translate (ISNUMERIC, STR, CHOOSE ...); MCE runs on SQL "
        "Server, which has had ISNUMERIC since its first versions.",
        "data views: one REFERENCE lists beyond the simulator's": "REFERENCE 5.2 lists "
        "_SMSMessageTracking among MCE's data views; the simulator serves only the 14 views its "
        "docs name, and answers 'Invalid object name'.",
        "shared DE without ENT. from a child BU": "REFERENCE 5.1: the parent's shared DEs are "
        "referenced with the ENT. prefix from a child BU; the simulator also resolves the bare "
        "name to the parent's shared DE (not marked [sim] in docs/simulator.md).",
    }
)


def case_named(name: str) -> CorpusCase:
    """The corpus case called ``name`` (KeyError when there is none)."""
    for case in CORPUS:
        if case.name == name:
            return case
    raise KeyError(name)


# ----------------------------------------------------------------------------- the seed's DEs
_T, _N, _D, _B = FieldType.TEXT, FieldType.NUMBER, FieldType.DATE, FieldType.BOOLEAN
_E, _P, _DEC, _L = FieldType.EMAIL_ADDRESS, FieldType.PHONE, FieldType.DECIMAL, FieldType.LOCALE


def _c(
    name: str,
    field_type: FieldType,
    length: int | None = None,
    *,
    pk: bool = False,
    required: bool = False,
    scale: int | None = None,
) -> Column:
    decimal = field_type is FieldType.DECIMAL
    return Column(
        name=name,
        field_type=field_type,
        max_length=None if decimal else length,
        precision=length if decimal else None,
        scale=scale if decimal else None,
        nullable=not (pk or required),
        primary_key=pk,
    )


#: The DEs every seeded BU has (simulator/seed_data.py), written out by hand so that tsql's
#: unit tests need no simulator; the oracle test checks them against the simulator's seed.
SEED_TABLES: Mapping[str, tuple[Column, ...]] = MappingProxyType(
    {
        "Subscribers": (
            _c("SubscriberKey", _T, 254, pk=True),
            _c("EmailAddress", _E, 254, required=True),
            _c("FirstName", _T, 100),
            _c("LastName", _T, 100),
            _c("Locale", _L, 5),
            _c("Phone", _P, 50),
            _c("BirthDate", _D),
            _c("OptIn", _B),
            _c("LoyaltyPoints", _N),
            _c("LifetimeValue", _DEC, 18, scale=2),
            _c("Country", _T, 2),
        ),
        "Orders": (
            _c("OrderID", _N, pk=True),
            _c("SubscriberKey", _T, 254, required=True),
            _c("OrderDate", _D, required=True),
            _c("Amount", _DEC, 12, scale=2),
            _c("Currency", _T, 3),
            _c("Status", _T, 20),
            _c("IsGift", _B),
        ),
        "Web Events 2024": (
            _c("EventID", _T, 36, pk=True),
            _c("SubscriberKey", _T, 254),
            _c("Event Type", _T, 50),
            _c("Page URL", _T, 500),
            _c("Occurred At", _D),
        ),
        "All Types": (
            _c("TextCol", _T, 50),
            _c("NumberCol", _N),
            _c("DateCol", _D),
            _c("BooleanCol", _B),
            _c("EmailCol", _E, 254),
            _c("PhoneCol", _P, 50),
            _c("DecimalCol", _DEC, 10, scale=3),
            _c("LocaleCol", _L, 5),
        ),
        "Empty Staging": (_c("Id", _N, pk=True), _c("Note", _T, 100)),
        "Active Subscribers": (
            _c("SubscriberKey", _T, 254, pk=True),
            _c("EmailAddress", _E, 254),
        ),
    }
)

#: The parent BU's shared DEs, reached as ENT.[name] from every BU.
SHARED_SEED_TABLES: Mapping[str, tuple[Column, ...]] = MappingProxyType(
    {
        "Shared Products": (
            _c("SKU", _T, 20, pk=True),
            _c("ProductName", _T, 200, required=True),
            _c("Category", _T, 50),
            _c("Price", _DEC, 10, scale=2),
            _c("Active", _B),
        ),
        "Shared Suppression List": (
            _c("EmailAddress", _E, 254, pk=True),
            _c("Reason", _T, 100),
            _c("AddedAt", _D),
        ),
    }
)


def seed_catalog(bu: str = "parent") -> MemoryCatalog:
    """A catalogue of BU ``bu`` ("parent" or "child") as the simulator seeds it: its own DEs,
    and the parent's shared DEs as ``ENT.``; in the parent every own DE answers ``ENT.`` too."""
    tables: list[Table] = []
    own = dict(SEED_TABLES)
    if bu == "parent":
        own.update(SHARED_SEED_TABLES)
    for name, columns in own.items():
        tables.append(Table(name=name, kind=TableKind.DATA_EXTENSION, columns=columns))
        if bu == "parent":
            tables.append(
                Table(name=name, kind=TableKind.DATA_EXTENSION, columns=columns, shared=True)
            )
    if bu != "parent":
        for name, columns in SHARED_SEED_TABLES.items():
            tables.append(
                Table(name=name, kind=TableKind.DATA_EXTENSION, columns=columns, shared=True)
            )
    return MemoryCatalog(tables)
