"""T-SQL functions and operators evaluate with SQL Server's results (REFERENCE §5.1 list)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from simulator.sql import QueryCatalog, SqlError
from simulator.sql.errors import from_duckdb
from simulator.sql.session import tsql_session
from simulator.sql.transpile import compile_query
from simulator.state import Simulator
from tests.simulator.test_sql_support import NOW, UTCNOW, catalog_for, module_sim, us_mid

sim = pytest.fixture(scope="module", name="sim")(module_sim)


@pytest.fixture(scope="module")
def catalog(sim: Simulator) -> QueryCatalog:
    return catalog_for(sim)


def evaluate(sim: Simulator, catalog: QueryCatalog, expression: str) -> Any:
    compiled = compile_query(catalog, mid=us_mid(sim), text=f"SELECT {expression} AS v")
    with tsql_session(catalog.rows) as con:
        try:
            row = con.execute(compiled.sql).fetchone()
        except duckdb.Error as exc:
            raise from_duckdb(exc) from None
    assert row is not None
    return row[0]


_TO_INT = "Conversion failed when converting the varchar value '{}' to data type int."
_TO_DATE = "Conversion failed when converting date and/or time from character string."
D = "CAST('2024-03-05 14:07:09' AS DATETIME)"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("CONCAT('a', NULL, 1)", "a1"),
        ("'a' + 'b'", "ab"),
        ("'a' + NULL", None),
        ("LEN('abc  ')", 3),
        ("LEN(12345)", 5),
        ("SUBSTRING('abcdef', 2, 3)", "bcd"),
        ("SUBSTRING('abc', 0, 2)", "a"),
        ("LEFT('abcdef', 2)", "ab"),
        ("RIGHT('abcdef', 2)", "ef"),
        ("UPPER('abc')", "ABC"),
        ("LOWER('ABC')", "abc"),
        ("LTRIM('  a ')", "a "),
        ("RTRIM('  a ')", "  a"),
        ("TRIM('  a ')", "a"),
        ("CHARINDEX('c', 'abcabc')", 3),
        ("CHARINDEX('C', 'abcabc', 4)", 6),
        ("CHARINDEX('z', 'abc')", 0),
        ("PATINDEX('%[0-9]%', 'ab12')", 3),
        ("PATINDEX('ab%', 'abc')", 1),
        ("PATINDEX('%z%', 'abc')", 0),
        ("REPLACE('aXbx', 'x', '-')", "a-b-"),
        ("ISNULL(NULL, 'd')", "d"),
        ("COALESCE(NULL, NULL, 3)", 3),
        ("NULLIF(1, 1)", None),
        ("IIF(2 > 1, 'y', 'n')", "y"),
        ("ABS(-3)", 3),
        ("ROUND(2.345, 2)", Decimal("2.350")),
        ("ROUND(2.349, 1, 1)", 2.3),
        ("FLOOR(2.7)", 2),
        ("CEILING(2.1)", 3),
        ("7 / 2", 3),
        ("-7 / 2", -3),
        ("7 % 3", 1),
        ("7.0 / 2", Decimal("3.5")),
        ("GETDATE()", NOW),
        ("GETUTCDATE()", UTCNOW),
        (f"DATEADD(day, -7, {D})", datetime(2024, 2, 27, 14, 7, 9)),
        ("DATEADD(mm, 1, '2024-01-31')", datetime(2024, 2, 29)),
        (f"DATEADD(hh, 10, {D})", datetime(2024, 3, 6, 0, 7, 9)),
        ("DATEDIFF(day, '2024-03-01 23:59', '2024-03-02 00:01')", 1),
        ("DATEDIFF(year, '2023-12-31', '2024-01-01')", 1),
        ("DATEDIFF(month, '2024-01-31', '2024-02-01')", 1),
        ("DATEDIFF(week, '2024-01-06', '2024-01-07')", 1),
        ("DATEDIFF(week, '2024-01-07', '2024-01-13')", 0),
        ("DATEDIFF(minute, '2024-01-01 10:00:59', '2024-01-01 10:01:00')", 1),
        (f"DATEPART(weekday, {D})", 3),
        ("DATEPART(dw, '2024-01-07')", 1),
        (f"DATEPART(hour, {D})", 14),
        (f"DATEPART(dy, {D})", 65),
        (f"DATEPART(quarter, {D})", 1),
        ("DATEPART(week, '2024-01-07')", 2),
        (f"DATENAME(month, {D})", "March"),
        (f"DATENAME(weekday, {D})", "Tuesday"),
        (f"DATENAME(year, {D})", "2024"),
        (f"YEAR({D})", 2024),
        (f"MONTH({D})", 3),
        (f"DAY({D})", 5),
        ("DATEFROMPARTS(2024, 2, 29)", date(2024, 2, 29)),
        ("DATETIMEFROMPARTS(2024, 2, 29, 13, 4, 5, 0)", datetime(2024, 2, 29, 13, 4, 5)),
        ("CAST('42' AS INT)", 42),
        ("CAST(2.7 AS INT)", 2),
        ("CAST(-2.7 AS INT)", -2),
        ("CAST('abcdef' AS VARCHAR(3))", "abc"),
        ("CAST(1.5 AS DECIMAL(5, 2))", Decimal("1.50")),
        ("CAST('2024-03-05' AS DATE)", date(2024, 3, 5)),
        ("CAST('3/5/2024' AS DATETIME)", datetime(2024, 3, 5)),
        (f"CAST({D} AS VARCHAR(30))", "Mar  5 2024  2:07PM"),
        (f"CONVERT(VARCHAR(10), {D}, 101)", "03/05/2024"),
        (f"CONVERT(VARCHAR(10), {D}, 102)", "2024.03.05"),
        (f"CONVERT(VARCHAR(10), {D}, 103)", "05/03/2024"),
        (f"CONVERT(VARCHAR(8), {D}, 112)", "20240305"),
        (f"CONVERT(VARCHAR(19), {D}, 120)", "2024-03-05 14:07:09"),
        (f"CONVERT(VARCHAR(10), {D}, 120)", "2024-03-05"),
        (f"CONVERT(VARCHAR(23), {D}, 121)", "2024-03-05 14:07:09.000"),
        (f"CONVERT(VARCHAR(30), {D}, 126)", "2024-03-05T14:07:09"),
        ("CONVERT(DATETIME, '05/03/2024', 103)", datetime(2024, 3, 5)),
        ("CONVERT(INT, '17')", 17),
        (f"FORMAT({D}, 'yyyy-MM-dd')", "2024-03-05"),
        (f"FORMAT({D}, 'dd.MM.yyyy HH:mm')", "05.03.2024 14:07"),
        (f"FORMAT({D}, 'MMMM d, yyyy')", "March 5, 2024"),
        ("FORMAT(1234567.891, 'N2')", "1,234,567.89"),
        ("FORMAT(1234.5, '#,##0')", "1,235"),
        ("FORMAT(7, 'D3')", "007"),
        ("CASE WHEN 1 = 2 THEN 'a' WHEN 2 = 2 THEN 'b' ELSE 'c' END", "b"),
        ("LEN(NEWID())", 36),
        ("CASE WHEN 'abc' = 'ABC' THEN 1 ELSE 0 END", 1),
        ("CASE WHEN 'Abc' LIKE 'a%' THEN 1 ELSE 0 END", 1),
        ("CASE WHEN 'b1' LIKE '[a-c][0-9]' THEN 1 ELSE 0 END", 1),
        ("CASE WHEN 'd1' LIKE '[a-c]%' THEN 1 ELSE 0 END", 0),
        (
            "CAST('2024-07-01 10:00' AS DATETIME) AT TIME ZONE 'Central Standard Time' "
            "AT TIME ZONE 'UTC'",
            datetime(2024, 7, 1, 15, 0),
        ),
        (f"{D} + 1", datetime(2024, 3, 6, 14, 7, 9)),
    ],
)
def test_function_results(
    sim: Simulator, catalog: QueryCatalog, expression: str, expected: Any
) -> None:
    value = evaluate(sim, catalog, expression)
    if isinstance(expected, float):
        assert float(value) == pytest.approx(expected)
    else:
        assert value == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("CAST('abc' AS INT)", _TO_INT.format("abc")),
        ("CAST('1.5' AS INT)", _TO_INT.format("1.5")),
        ("CAST('nope' AS DATETIME)", _TO_DATE),
        ("CAST('x' AS DECIMAL(5, 2))", "Error converting data type varchar to numeric."),
        ("1 / 0", "Divide by zero error encountered."),
        ("NOSUCHFUNC(1)", "'NOSUCHFUNC' is not a recognized built-in function name."),
    ],
)  # fmt: skip
def test_runtime_errors(
    sim: Simulator, catalog: QueryCatalog, expression: str, message: str
) -> None:
    with pytest.raises(SqlError) as failure:
        evaluate(sim, catalog, expression)
    assert failure.value.message.lower() == message.lower()


def test_session_settings_do_not_leak(sim: Simulator, catalog: QueryCatalog) -> None:
    evaluate(sim, catalog, "7 / 2")
    with sim.rows.connection() as con:
        assert con.execute("SELECT 7 / 2, 'a' = 'A'").fetchone() == (3.5, False)
