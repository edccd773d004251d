"""The rewrites: MCE's wrapper for display, and the run form (marker, row number, ORDER BY)."""

from __future__ import annotations

import pytest

from tests.tsql.test_infer import CATALOG
from tsql.infer import infer_output
from tsql.parse import parse
from tsql.rewrite import RunRewrite, bracket, mce_wrapped, prepare_run, rewrite_for_run
from tsql.types import Column, FieldType


async def run_form(sql: str, *, marker: str = "run-7") -> RunRewrite:
    parsed = parse(sql)
    assert parsed.statement is not None
    inference = await infer_output(parsed.statement, text=sql, catalog=CATALOG)
    return rewrite_for_run(parsed.statement, text=sql, columns=inference.columns, marker=marker)


def test_mce_wrapper_matches_references_shape() -> None:
    sql = "SELECT SubscriberKey as testField FROM _Subscribers"
    parsed = parse(sql)
    wrapped = mce_wrapped(
        parsed.statement, text=sql, target="testDataExtension", columns=["testField"], mid=518001158
    )
    assert wrapped.splitlines() == [
        "SET NOCOUNT ON; SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED;",
        "INSERT INTO C518001158.[testDataExtension] ([testField])",
        "SELECT querydef.[testField]",
        "FROM (SELECT SubscriberKey as testField FROM C518001158._Subscribers ) AS querydef",
        "SELECT @rcInsert = @@ROWCOUNT;;",
    ]


def test_mce_wrapper_qualifies_own_tables_only() -> None:
    sql = (
        "SELECT a.x FROM [My DE] a JOIN ENT.[Shared] s ON s.x = a.x "
        "WHERE EXISTS (SELECT 1 FROM _Sent)"
    )
    wrapped = mce_wrapped(parse(sql).statement, text=sql, target="T", columns=["x"], mid=7)
    assert "FROM C7.[My DE] a JOIN ENT.[Shared] s" in wrapped
    assert "FROM C7._Sent)" in wrapped


def test_mce_wrapper_without_mid_keeps_the_text() -> None:
    sql = "SELECT 1 AS [a]]b]"
    wrapped = mce_wrapped(parse(sql).statement, text=sql, target="T", columns=["a]b"])
    assert "INSERT INTO [T] ([a]]b])" in wrapped
    assert "FROM (SELECT 1 AS [a]]b] ) AS querydef" in wrapped


def test_bracket_doubles_closing_brackets() -> None:
    assert bracket("a]b c") == "[a]]b c]"


async def test_no_order_by_wraps_the_text_unchanged_and_numbers_rows_as_they_come() -> None:
    """Pages must be read in one stable order even when the query asks for none."""
    rewrite = await run_form("SELECT OrderID, Status FROM Orders -- the end")
    assert rewrite.findings == ()
    assert rewrite.order_column == "QuarryRowNumber"
    assert rewrite.sql == (
        "SELECT querydef.[OrderID], querydef.[Status], 'run-7' AS [QuarryRunMarker],"
        " ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS [QuarryRowNumber]\n"
        "FROM (\nSELECT OrderID, Status FROM Orders -- the end\n) AS querydef"
    )
    row_number = rewrite.columns[-1]
    assert (row_number.name, row_number.field_type, row_number.nullable) == (
        "QuarryRowNumber",
        FieldType.NUMBER,
        False,
    )
    marker = rewrite.columns[-2]
    assert (marker.name, marker.field_type, marker.max_length, marker.nullable) == (
        "QuarryRunMarker",
        FieldType.TEXT,
        5,
        False,
    )


async def test_marker_is_quoted_as_a_constant() -> None:
    rewrite = await run_form("SELECT OrderID FROM Orders", marker="it's")
    assert rewrite.sql is not None
    assert "'it''s' AS [QuarryRunMarker]" in rewrite.sql


#: (case, user SQL, inner text expected inside the wrapper, the row number's ORDER BY)
ORDERED: list[tuple[str, str, str, str]] = [
    ("ORDER BY an output column is removed",
     "SELECT OrderID, Status FROM Orders ORDER BY Status DESC",
     "SELECT OrderID, Status FROM Orders ", "querydef.[Status] DESC"),
    ("ORDER BY an alias",
     "SELECT OrderID AS Id FROM Orders ORDER BY Id",
     "SELECT OrderID AS Id FROM Orders ", "querydef.[Id]"),
    ("ORDER BY a position",
     "SELECT OrderID, Status FROM Orders ORDER BY 2 DESC, 1",
     "SELECT OrderID, Status FROM Orders ", "querydef.[Status] DESC, querydef.[OrderID]"),
    ("ORDER BY a column not selected becomes a sort key",
     "SELECT OrderID FROM Orders o ORDER BY o.Amount DESC",
     "SELECT OrderID, o.Amount AS [QuarrySortKey1] FROM Orders o ",
     "querydef.[QuarrySortKey1] DESC"),
    ("ORDER BY an expression of the select list",
     "SELECT Status, COUNT(*) AS N FROM Orders GROUP BY Status ORDER BY COUNT(*) DESC",
     "SELECT Status, COUNT(*) AS N FROM Orders GROUP BY Status ", "querydef.[N] DESC"),
    ("TOP keeps its ORDER BY",
     "SELECT TOP 5 OrderID FROM Orders ORDER BY Amount DESC",
     "SELECT TOP 5 OrderID, Amount AS [QuarrySortKey1] FROM Orders ORDER BY Amount DESC",
     "querydef.[QuarrySortKey1] DESC"),
    ("OFFSET/FETCH keeps its ORDER BY",
     "SELECT OrderID FROM Orders ORDER BY OrderID OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY",
     "SELECT OrderID FROM Orders ORDER BY OrderID OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY",
     "querydef.[OrderID]"),
    ("DISTINCT is wrapped, never given extra columns",
     "SELECT DISTINCT Status FROM Orders ORDER BY Status",
     "SELECT DISTINCT Status FROM Orders ", "querydef.[Status]"),
    ("UNION is wrapped; ORDER BY names the first arm's columns",
     "SELECT Status AS S FROM Orders UNION SELECT FirstName FROM Subscribers ORDER BY S DESC",
     "SELECT Status AS S FROM Orders UNION SELECT FirstName FROM Subscribers ",
     "querydef.[S] DESC"),
    ("window and derived-table orderings are left alone",
     "SELECT x.OrderID, ROW_NUMBER() OVER (ORDER BY x.OrderID) AS n FROM (SELECT TOP 3 OrderID "
     "FROM Orders ORDER BY OrderID) x ORDER BY n",
     "SELECT x.OrderID, ROW_NUMBER() OVER (ORDER BY x.OrderID) AS n FROM (SELECT TOP 3 OrderID "
     "FROM Orders ORDER BY OrderID) x ", "querydef.[n]"),
    ("a parenthesised query",
     "(SELECT OrderID FROM Orders ORDER BY Amount)",
     "(SELECT OrderID, Amount AS [QuarrySortKey1] FROM Orders )",
     "querydef.[QuarrySortKey1]"),
    ("a trailing comment stays on its own line",
     "SELECT OrderID FROM Orders ORDER BY OrderID -- newest last",
     "SELECT OrderID FROM Orders  -- newest last", "querydef.[OrderID]"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "inner", "over"), [c[1:] for c in ORDERED], ids=[c[0] for c in ORDERED]
)
async def test_order_by_becomes_a_row_number(sql: str, inner: str, over: str) -> None:
    rewrite = await run_form(sql)
    assert rewrite.findings == ()
    assert rewrite.order_column == "QuarryRowNumber"
    assert rewrite.sql is not None
    head, body = rewrite.sql.split("\nFROM (\n", 1)
    assert body == inner + "\n) AS querydef"
    assert head.endswith(f"ROW_NUMBER() OVER (ORDER BY {over}) AS [QuarryRowNumber]")
    assert "QuarrySortKey" not in head.split("ROW_NUMBER")[0]
    row_number = rewrite.columns[-1]
    assert (row_number.name, row_number.field_type, row_number.nullable) == (
        "QuarryRowNumber",
        FieldType.NUMBER,
        False,
    )


async def test_helper_names_never_collide_with_the_users_columns() -> None:
    rewrite = await run_form(
        "SELECT OrderID AS QuarryRunMarker, Status AS quarryrownumber, Amount AS QuarrySortKey1 "
        "FROM Orders ORDER BY OrderDate"
    )
    assert rewrite.findings == ()
    assert rewrite.marker_column == "QuarryRunMarker_2"
    assert rewrite.order_column == "QuarryRowNumber_2"
    assert rewrite.sql is not None
    assert "OrderDate AS [QuarrySortKey1_2]" in rewrite.sql
    names = [column.name.casefold() for column in rewrite.columns]
    assert len(names) == len(set(names))


async def test_helper_names_are_valid_de_field_names() -> None:
    rewrite = await run_form("SELECT OrderID FROM Orders ORDER BY 1")
    for column in rewrite.columns:
        assert not column.name.startswith("_")
        assert not set("[]\"'") & set(column.name)
        assert len(column.name) <= 128


REFUSED: list[tuple[str, str, str]] = [
    ("SELECT DISTINCT Status FROM Orders ORDER BY OrderDate", "ORDER_BY_NOT_IN_OUTPUT",
     "OrderDate"),
    ("SELECT Status FROM Orders UNION SELECT FirstName FROM Subscribers ORDER BY LEN(Status)",
     "ORDER_BY_NOT_IN_OUTPUT", "LEN(Status)"),
    ("SELECT DISTINCT Status FROM Orders ORDER BY CAST(GETDATE() AS DATE) DESC",
     "ORDER_BY_NOT_IN_OUTPUT", "CAST(GETDATE() AS DATE)"),
    ("SELECT DISTINCT Status FROM Orders ORDER BY 1 + NEWID()", "ORDER_BY_NOT_IN_OUTPUT",
     "1 + NEWID()"),
    ("SELECT OrderID FROM Orders ORDER BY 2", "ORDER_BY_POSITION_OUT_OF_RANGE", "2"),
    ("SELECT COUNT(*) FROM Orders", "UNNAMED_COLUMN", ""),
    ("DELETE FROM Orders", "NOT_A_QUERY", ""),
    ("SELECT * FROM Nowhere ORDER BY x", "RUN_COLUMNS_UNKNOWN", ""),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "code", "spanned"), REFUSED)
async def test_refusals_say_why(sql: str, code: str, spanned: str) -> None:
    rewrite = await run_form(sql)
    assert rewrite.sql is None
    (finding,) = rewrite.findings
    assert finding.code == code
    if spanned:
        assert finding.span is not None
        assert sql[finding.span.start : finding.span.end] == spanned


def test_unknown_star_without_order_by_selects_everything() -> None:
    sql = "SELECT * FROM Nowhere"
    parsed = parse(sql)
    assert parsed.statement is not None
    columns = [Column("Nowhere.*", FieldType.TEXT, type_known=False, note="unknown")]
    rewrite = rewrite_for_run(parsed.statement, text=sql, columns=columns, marker="m")
    assert rewrite.sql is not None
    assert rewrite.sql.startswith(
        "SELECT querydef.*, 'm' AS [QuarryRunMarker],"
        " ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS [QuarryRowNumber]\n"
    )


async def test_prepare_run_parses_infers_and_rewrites() -> None:
    rewrite = await prepare_run(
        "SELECT TOP 3 OrderID FROM Orders ORDER BY Amount DESC", catalog=CATALOG, marker="m1"
    )
    assert rewrite.findings == ()
    assert rewrite.sql is not None
    assert [c.name for c in rewrite.columns] == ["OrderID", "QuarryRunMarker", "QuarryRowNumber"]


async def test_prepare_run_reports_unknown_names_and_still_rewrites() -> None:
    rewrite = await prepare_run("SELECT Nope FROM Orders", catalog=CATALOG, marker="m1")
    assert [f.code for f in rewrite.findings] == ["UNKNOWN_COLUMN"]
    assert rewrite.sql is not None


@pytest.mark.parametrize("sql", ["SELECT 1 AS a; SELECT 2 AS b", "SELECT FROM WHERE", ""])
async def test_prepare_run_refuses_what_does_not_parse_as_one_statement(sql: str) -> None:
    rewrite = await prepare_run(sql, catalog=CATALOG, marker="m1")
    assert rewrite.sql is None
    assert rewrite.findings
    assert all(f.severity.value == "ERROR" for f in rewrite.findings)
