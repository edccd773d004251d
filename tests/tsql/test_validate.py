"""tsql.validate: every corpus query's findings per purpose, exact positions, MCE's words."""

from __future__ import annotations

import pytest

from tests.tsql.corpus import CORPUS, CorpusCase, seed_catalog
from tsql.catalog import EmptyCatalog, MemoryCatalog
from tsql.findings import Finding, Severity
from tsql.types import FieldType, Purpose, Table, TableKind
from tsql.validate import Analysis, validate

_PURPOSES = (Purpose.QUERY_ACTIVITY, Purpose.RUN)


def _errors(analysis: Analysis) -> set[str]:
    return {f.code for f in analysis.findings if f.severity is Severity.ERROR}


def _one(analysis: Analysis, code: str) -> Finding:
    found = [f for f in analysis.findings if f.code == code]
    assert len(found) == 1, analysis.findings
    return found[0]


async def _check(sql: str, purpose: Purpose = Purpose.QUERY_ACTIVITY) -> Analysis:
    return await validate(sql, purpose=purpose, catalog=seed_catalog())


@pytest.mark.parametrize("purpose", _PURPOSES)
@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
async def test_corpus_findings(case: CorpusCase, purpose: Purpose) -> None:
    analysis = await validate(case.text, purpose=purpose, catalog=seed_catalog(case.bu))
    assert _errors(analysis) == set(case.errors_for(purpose)), analysis.findings
    assert analysis.valid is (not case.errors_for(purpose))


@pytest.mark.parametrize("case", [c for c in CORPUS if c.errors], ids=lambda case: case.name)
async def test_every_error_says_where_and_what_to_do(case: CorpusCase) -> None:
    analysis = await validate(
        case.text, purpose=Purpose.QUERY_ACTIVITY, catalog=seed_catalog(case.bu)
    )
    for finding in analysis.findings:
        assert finding.message
        assert finding.span is not None, finding
        assert 0 <= finding.span.start <= finding.span.end <= len(case.text)
        if finding.code not in ("UNKNOWN_TABLE", "UNKNOWN_COLUMN", "AMBIGUOUS_COLUMN"):
            assert finding.suggestion, finding


# --------------------------------------------------------------------------- positions
def _where(sql: str, finding: Finding) -> tuple[str, int, int, int, int]:
    span = finding.span
    assert span is not None
    return (sql[span.start : span.end], span.line, span.column, span.end_line, span.end_column)


@pytest.mark.parametrize(
    ("sql", "code", "where"),
    [
        ("SELECT SubscriberKey FROM Subscribers;", "SEMICOLON", (";", 1, 38, 1, 39)),
        (
            "SELECT SubscriberKey\nFROM Subscribers\nORDER BY SubscriberKey",
            "ORDER_BY_WITHOUT_TOP",
            ("ORDER BY SubscriberKey", 3, 1, 3, 23),
        ),
        (
            "SELECT SubscriberKey,\n  COUNT(*)\nFROM Orders GROUP BY SubscriberKey",
            "UNNAMED_COLUMN",
            ("COUNT(*)", 2, 3, 2, 11),
        ),
        (
            "SELECT FirstName AS Name,\n       LastName AS [name]\nFROM Subscribers",
            "DUPLICATE_COLUMN",
            ("[name]", 2, 20, 2, 26),
        ),
        (
            "SELECT\n  TRY_CAST(Country AS INT) AS N FROM Subscribers",
            "UNSUPPORTED_FUNCTION",
            ("TRY_CAST(Country AS INT)", 2, 3, 2, 27),
        ),
        (
            "SELECT TRY_CONVERT(INT, Country) AS N FROM Subscribers",
            "UNSUPPORTED_FUNCTION",
            ("TRY_CONVERT(INT, Country)", 1, 8, 1, 33),
        ),
        ("SELECT SubscriberKey FROM #keys", "TEMP_TABLE", ("#keys", 1, 27, 1, 32)),
        ("SELECT a FROM ##everyone", "TEMP_TABLE", ("##everyone", 1, 15, 1, 25)),
        (
            "SELECT OrderID FROM Orders\nWHERE OrderDate > @since",
            "VARIABLE",
            ("@since", 2, 19, 2, 25),
        ),
        ("SELECT @@ROWCOUNT AS Counted", "VARIABLE", ("@@ROWCOUNT", 1, 8, 1, 18)),
        (
            "WITH r AS (SELECT OrderID FROM Orders) SELECT OrderID FROM r",
            "CTE",
            ("WITH", 1, 1, 1, 5),
        ),
        (
            "SELECT SubscriberKey INTO #keys FROM Subscribers",
            "SELECT_INTO",
            ("INTO", 1, 22, 1, 26),
        ),
        (
            "SELECT SubscriberKey FROM Subscribers LIMIT 10",
            "LIMIT",
            ("LIMIT 10", 1, 39, 1, 47),
        ),
        ("  insert INTO Orders (OrderID) VALUES (1)", "NOT_SELECT", ("insert", 1, 3, 1, 9)),
        ("DECLARE @since DATE", "DECLARE", ("DECLARE", 1, 1, 1, 8)),
        ("SELECT 1 AS a;\nBEGIN TRAN", "NOT_SELECT", ("BEGIN", 2, 1, 2, 6)),
        ("SELECT 1 AS a; SET NOCOUNT ON", "NOT_SELECT", ("SET", 1, 16, 1, 19)),
        (
            "SELECT SubscriberKey FROM Subscribers\nUNION\nSELECT OrderID, Amount FROM Orders",
            "UNION_WIDTH_MISMATCH",
            ("UNION", 2, 1, 2, 6),
        ),
        (
            "SELECT * FROM [Active Subscribers]\nEXCEPT SELECT SubscriberKey FROM Orders",
            "UNION_WIDTH_MISMATCH",
            ("EXCEPT", 2, 1, 2, 7),
        ),
        (
            "SELECT SubscriberKey FROM Subscribers\nOFFSET 5 ROWS",
            "OFFSET_WITHOUT_ORDER_BY",
            ("OFFSET", 2, 1, 2, 7),
        ),
        (
            "SELECT SubscriberKey, FROM Subscribers",
            "SYNTAX_ERROR",
            (",", 1, 21, 1, 22),
        ),
        (
            "SELECT s.SubscriberKey FROM Subscribers s\nJOIN Orders o",
            "SYNTAX_ERROR",
            ("JOIN", 2, 1, 2, 5),
        ),
        (
            "SELECT x.OrderID FROM (SELECT OrderID FROM Orders)",
            "DERIVED_TABLE_WITHOUT_ALIAS",
            ("(SELECT OrderID FROM Orders)", 1, 23, 1, 51),
        ),
        (
            "SELECT SubscriberKey,\n  Amount FROM Orders GROUP BY SubscriberKey",
            "GROUP_BY_MISMATCH",
            ("Amount", 2, 3, 2, 9),
        ),
        (
            "SELECT SubscriberKey FROM Subscribers\nSELECT OrderID FROM Orders",
            "MULTIPLE_STATEMENTS",
            ("SELECT OrderID FROM Orders", 2, 1, 2, 27),
        ),
        (
            "SELECT SubscriberKey FROM Subscribers; SELECT 1 AS One",
            "MULTIPLE_STATEMENTS",
            ("SELECT 1 AS One", 1, 40, 1, 55),
        ),
        (
            "SELECT SubscriberKey FROM Subscribers\nWHERE FirstName = 'Ann",
            "SYNTAX_ERROR",
            ("'Ann", 2, 19, 2, 23),
        ),
        (
            "SELECT [Event Type FROM Subscribers",
            "SYNTAX_ERROR",
            ("[Event Type FROM Subscribers", 1, 8, 1, 36),
        ),
        (
            "SELECT 1 AS One /* it's\nnot closed",
            "SYNTAX_ERROR",
            ("/* it's\nnot closed", 1, 17, 2, 11),
        ),
        ("SELECT Nickname\nFROM Subscribers", "UNKNOWN_COLUMN", ("Nickname", 1, 8, 1, 16)),
        (
            "SELECT SubscriberKey FROM Orders\nWHERE MAX(Amount) > 1 GROUP BY SubscriberKey",
            "AGGREGATE_IN_WHERE",
            ("MAX(Amount)", 2, 7, 2, 18),
        ),
        (
            "SELECT OrderID FROM Orders\nWHERE RANK() OVER (ORDER BY Amount) < 3",
            "WINDOW_OUTSIDE_SELECT",
            ("RANK() OVER (ORDER BY Amount)", 2, 7, 2, 36),
        ),
        ("SELECT a FROM\n  [No Such DE]", "UNKNOWN_TABLE", ("[No Such DE]", 2, 3, 2, 15)),
        ("SELECT OrderID FROM\n  x..Orders", "UNKNOWN_TABLE", ("x..Orders", 2, 3, 2, 12)),
        # sqlglot places no keyword or punctuation: a call's (), CASE ... END, OVER () count
        (
            "SELECT DISTINCT Status FROM Orders\nORDER BY GETDATE()",
            "ORDER_BY_WITHOUT_TOP",
            ("ORDER BY GETDATE()", 2, 1, 2, 19),
        ),
        (
            "SELECT DISTINCT Status FROM Orders\nORDER BY GETDATE()",
            "ORDER_BY_NOT_SELECTED",
            ("GETDATE()", 2, 10, 2, 19),
        ),
        (
            "SELECT DISTINCT TOP 5 Status FROM Orders\nORDER BY CASE WHEN Amount > 1 THEN 1 END",
            "ORDER_BY_NOT_SELECTED",
            ("CASE WHEN Amount > 1 THEN 1 END", 2, 10, 2, 41),
        ),
        (
            "SELECT OrderID FROM Orders\nWHERE ROW_NUMBER() OVER () < 3",
            "WINDOW_OUTSIDE_SELECT",
            ("ROW_NUMBER() OVER ()", 2, 7, 2, 27),
        ),
        (
            "SELECT OrderID,\n  CONVERT(VARCHAR(10), OrderDate, 112) FROM Orders",
            "UNNAMED_COLUMN",
            ("CONVERT(VARCHAR(10), OrderDate, 112)", 2, 3, 2, 39),
        ),
        (
            "SELECT GETDATE(), OrderID FROM Orders",
            "UNNAMED_COLUMN",
            ("GETDATE()", 1, 8, 1, 17),
        ),
    ],
)
async def test_findings_point_at_what_they_concern(
    sql: str, code: str, where: tuple[str, int, int, int, int]
) -> None:
    assert _where(sql, _one(await _check(sql), code)) == where


@pytest.mark.parametrize(
    ("sql", "written"),
    [
        ("SELECT CAST(Amount AS VARCHAR(10)) FROM Orders", "CAST(Amount AS VARCHAR(10))"),
        (
            "SELECT CASE WHEN Amount > 1 THEN 'big' END FROM Orders",
            "CASE WHEN Amount > 1 THEN 'big' END",
        ),
        ("SELECT -Amount FROM Orders", "-Amount"),
        ("SELECT 1 + GETDATE() FROM Orders", "1 + GETDATE()"),
    ],
)
async def test_an_unnamed_column_is_quoted_whole(sql: str, written: str) -> None:
    finding = _one(await _check(sql), "UNNAMED_COLUMN")
    assert _where(sql, finding)[0] == written
    assert finding.suggestion == f"Name it: {written} AS SomeName."


@pytest.mark.parametrize(
    ("sql", "written", "alone"),
    [
        ("SELECT * FROM x..Orders", "x..Orders", "Orders"),
        ("SELECT * FROM [x]..[Web Events 2024] w", "x..Web Events 2024", "[Web Events 2024]"),
        ("SELECT * FROM srv.x..Orders", "srv.x..Orders", "Orders"),
        ("SELECT * FROM dbo.Orders", "dbo.Orders", "Orders"),
        ("SELECT * FROM ENT..Orders", "ENT..Orders", "Orders"),
    ],
)
async def test_a_table_under_a_database_or_schema_is_an_unknown_table(
    sql: str, written: str, alone: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Not a fault in tsql (an empty schema, x..T, once crashed inference: NOT_CHECKED and a
    logged traceback) but a finding at the name that says what MCE can read."""
    with caplog.at_level("ERROR"):
        analysis = await _check(sql)
    assert not caplog.records
    finding = _one(analysis, "UNKNOWN_TABLE")
    assert [f.code for f in analysis.findings] == ["UNKNOWN_TABLE"]
    span = finding.span
    assert span is not None
    assert sql[span.start : span.end].replace("[", "").replace("]", "") == written
    assert finding.message.startswith(f"'{written}' names another database or schema")
    assert finding.mce_message == f"Invalid object name '{written}'."
    assert finding.suggestion is not None and f"({alone})" in finding.suggestion


# -------------------------------------------------------------------- MCE's own words
@pytest.mark.parametrize(
    ("sql", "code", "mce_message"),
    [
        (
            "SELECT OrderID FROM Orders;",
            "SEMICOLON",
            "';' is a reserved word and may not be used",
        ),
        ("UPDATE Subscribers SET OptIn = 0", "NOT_SELECT", "Only SELECT queries are valid."),
        ("EXEC sp_who", "NOT_SELECT", "Only SELECT queries are valid."),
        (
            "SELECT SubscriberKey INTO x FROM Subscribers",
            "SELECT_INTO",
            "'into' is a reserved word",
        ),
    ],
)
async def test_mce_wording_where_reference_has_it(sql: str, code: str, mce_message: str) -> None:
    assert _one(await _check(sql), code).mce_message == mce_message


async def test_unsupported_functions_say_what_to_write_instead() -> None:
    finding = _one(
        await _check("SELECT value AS Part FROM STRING_SPLIT('a,b', ',')"), "UNSUPPORTED_FUNCTION"
    )
    assert "CHARINDEX" in (finding.suggestion or "")


# ------------------------------------------------------------------- purposes
ORDERED = "SELECT SubscriberKey FROM Subscribers ORDER BY SubscriberKey"


@pytest.mark.parametrize(
    ("sql", "query_activity", "run"),
    [
        (ORDERED, {"ORDER_BY_WITHOUT_TOP"}, set()),
        (f"({ORDERED})", {"ORDER_BY_WITHOUT_TOP"}, set()),
        ("SELECT TOP 5 SubscriberKey FROM Subscribers ORDER BY 1", set(), set()),
        (
            "SELECT x.OrderID FROM (SELECT OrderID FROM Orders ORDER BY OrderID) AS x "
            "ORDER BY x.OrderID",
            {"ORDER_BY_WITHOUT_TOP"},
            {"ORDER_BY_WITHOUT_TOP"},
        ),
        (
            "SELECT OrderID FROM Orders WHERE EXISTS (SELECT 1 AS One FROM Subscribers ORDER BY 1)",
            {"ORDER_BY_WITHOUT_TOP"},
            {"ORDER_BY_WITHOUT_TOP"},
        ),
        (
            "SELECT OrderID, ROW_NUMBER() OVER (ORDER BY OrderDate) AS n FROM Orders",
            set(),
            set(),
        ),
        (f"{ORDERED} OFFSET 0 ROWS", set(), set()),
        ("SELECT OrderID FROM Orders FETCH NEXT 5 ROWS ONLY", {"SYNTAX_ERROR"}, {"SYNTAX_ERROR"}),
    ],
)
async def test_order_by_rules_per_purpose(
    sql: str, query_activity: set[str], run: set[str]
) -> None:
    assert _errors(await _check(sql, Purpose.QUERY_ACTIVITY)) == query_activity
    assert _errors(await _check(sql, Purpose.RUN)) == run


async def test_only_the_subquery_order_by_is_reported_for_run() -> None:
    sql = (
        "SELECT x.OrderID FROM (SELECT OrderID FROM Orders ORDER BY OrderID) AS x "
        "ORDER BY x.OrderID"
    )
    finding = _one(await _check(sql, Purpose.RUN), "ORDER_BY_WITHOUT_TOP")
    assert _where(sql, finding)[0] == "ORDER BY OrderID"
    both = await _check(sql, Purpose.QUERY_ACTIVITY)
    assert len([f for f in both.findings if f.code == "ORDER_BY_WITHOUT_TOP"]) == 2


async def test_nolock_is_noted_as_redundant() -> None:
    sql = "SELECT o.OrderID FROM Orders o WITH (NOLOCK)"
    analysis = await _check(sql)
    assert analysis.valid
    finding = _one(analysis, "REDUNDANT_NOLOCK")
    assert finding.severity is Severity.INFO
    assert _where(sql, finding) == ("NOLOCK", 1, 38, 1, 44)


async def test_top_without_order_by_is_a_warning() -> None:
    analysis = await _check("SELECT TOP 10 SubscriberKey FROM Subscribers")
    assert analysis.valid
    finding = _one(analysis, "TOP_WITHOUT_ORDER_BY")
    assert finding.severity is Severity.WARNING


# ------------------------------------------------------------ output and statement kind
@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELECT OrderID FROM Orders", "SELECT"),
        ("(SELECT OrderID FROM Orders)", "SELECT"),
        ("SELECT OrderID FROM Orders UNION SELECT Id FROM [Empty Staging]", "UNION"),
        ("SELECT OrderID FROM Orders INTERSECT SELECT Id FROM [Empty Staging]", "UNION"),
        ("INSERT INTO Orders (OrderID) VALUES (1)", "INSERT"),
        ("UPDATE Orders SET Amount = 0", "UPDATE"),
        ("DELETE FROM Orders", "DELETE"),
        ("DROP TABLE Orders", "OTHER"),
        ("DECLARE @x INT", "OTHER"),
        ("SELECT OrderID FROM Orders; DELETE FROM Orders", "SELECT"),
        ("SELECT 'unclosed", None),
        ("", None),
    ],
)
async def test_statement_kind(sql: str, kind: str | None) -> None:
    assert (await _check(sql)).statement_kind == kind


async def test_output_columns_come_from_inference() -> None:
    analysis = await _check(
        "SELECT o.OrderID, s.EmailAddress AS Email FROM Orders o "
        "JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey"
    )
    assert analysis.valid
    assert [(c.name, c.field_type) for c in analysis.columns] == [
        ("OrderID", FieldType.NUMBER),
        ("Email", FieldType.EMAIL_ADDRESS),
    ]


async def test_findings_come_in_text_order() -> None:
    analysis = await _check("SELECT @a AS x, TRY_CAST(b AS INT) AS y FROM #t;")
    starts = [f.span.start for f in analysis.findings if f.span is not None]
    assert starts == sorted(starts)
    assert [f.code for f in analysis.findings] == [
        "VARIABLE",
        "UNSUPPORTED_FUNCTION",
        "TEMP_TABLE",
        "SEMICOLON",
    ]


async def test_one_problem_one_finding() -> None:
    """A temp table or a table-valued function MCE lacks is not also an unknown table."""
    for sql in ("SELECT a FROM #t", "SELECT [key] AS k FROM OPENJSON('[]')"):
        codes = [f.code for f in (await _check(sql)).findings]
        assert "UNKNOWN_TABLE" not in codes, codes


async def test_an_unknown_column_is_not_also_ungrouped() -> None:
    analysis = await _check("SELECT Nickname, COUNT(*) AS n FROM Subscribers GROUP BY Country")
    assert [f.code for f in analysis.findings] == ["UNKNOWN_COLUMN"]


async def test_data_views_need_no_catalogue() -> None:
    analysis = await validate(
        "SELECT o.SubscriberKey, j.EmailName FROM ENT._Open o JOIN _Job j ON j.JobID = o.JobID",
        purpose=Purpose.QUERY_ACTIVITY,
        catalog=EmptyCatalog(),
    )
    assert analysis.valid, analysis.findings
    assert [c.name for c in analysis.columns] == ["SubscriberKey", "EmailName"]


async def test_the_catalogue_decides_unknown_names() -> None:
    sql = "SELECT Score FROM [Lead Scores]"
    catalog = MemoryCatalog()
    assert _errors(await validate(sql, purpose=Purpose.RUN, catalog=catalog)) == {"UNKNOWN_TABLE"}
    catalog.add(Table(name="Lead Scores", kind=TableKind.DATA_EXTENSION, columns=()))
    assert _errors(await validate(sql, purpose=Purpose.RUN, catalog=catalog)) == {"UNKNOWN_COLUMN"}
