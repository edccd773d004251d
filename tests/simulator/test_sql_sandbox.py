"""Hostile SQL: the engine offers MCE's T-SQL subset and nothing of DuckDB underneath.

DuckDB can read files (``read_csv``, ``read_text``), list every table of every BU
(``duckdb_tables()``) and run SQL given as text (``query('...')``); none of that may be
reachable from a query activity, neither through a table function nor a scalar call.
"""

# ruff: noqa: S608 (building hostile SQL is what this module does)

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.sql import QueryCatalog, SqlError, check_query, run_query, validate_query
from simulator.state import Simulator
from tests.simulator.test_sql_support import catalog_for, de, module_sim, us_mid

sim = pytest.fixture(scope="module", name="sim")(module_sim)


@pytest.fixture(scope="module")
def catalog(sim: Simulator) -> QueryCatalog:
    return catalog_for(sim)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT * FROM read_csv('{path}')", "Invalid object name 'read_csv'."),
        ("SELECT * FROM read_csv_auto('{path}') x", "Invalid object name 'read_csv_auto'."),
        ("SELECT content AS c FROM read_text('{path}')", "Invalid object name 'read_text'."),
        ("SELECT * FROM duckdb_tables()", "Invalid object name 'duckdb_tables'."),
        ("SELECT * FROM query('SELECT 1')", "Invalid object name 'query'."),
        ("SELECT * FROM range(10) r", "Invalid object name 'range'."),
        ("SELECT a FROM Orders o CROSS APPLY read_text('{path}') t", "Invalid object name "
         "'read_text'."),
        ("SELECT 1 AS a WHERE EXISTS (SELECT * FROM read_csv('{path}'))",
         "Invalid object name 'read_csv'."),
        ("SELECT read_text('{path}') AS a", "'read_text' is not a recognized built-in "
         "function name."),
        ("SELECT current_setting('home_directory') AS h", "'current_setting' is not a "
         "recognized built-in function name."),
        ("SELECT version() AS v", "'version' is not a recognized built-in function name."),
        ("SELECT regexp_extract('abc', 'b') AS r", "'regexp_extract' is not a recognized "
         "built-in function name."),
        ("SELECT list_value(1, 2) AS l", "'list_value' is not a recognized built-in "
         "function name."),
        ("SELECT {{'a': 1}} AS s", "Incorrect syntax near '{'."),
        ("SELECT 'x'::VARCHAR AS y", "Incorrect syntax near '::'."),
        ("SELECT STRING_AGG(a, ',') AS s FROM t", "'STRING_AGG' is not a recognized built-in "
         "function name."),
    ],
)  # fmt: skip
def test_duckdb_features_are_refused_statically(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(SqlError) as failure:
        check_query(text.format(path=tmp_path / "secret.csv"))
    assert failure.value.message == message


def test_a_file_is_never_read_into_a_target(
    sim: Simulator, catalog: QueryCatalog, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("SubscriberKey,EmailAddress\nleaked,leaked@example.com\n")
    mid = us_mid(sim)
    target = de(sim, mid, "Active Subscribers")
    for text in (
        f"SELECT SubscriberKey FROM read_csv('{secret}')",
        f"SELECT SubscriberKey FROM (SELECT * FROM read_csv_auto('{secret}')) x",
        f"SELECT content AS SubscriberKey FROM read_text('{secret}')",
    ):
        assert validate_query(catalog, mid=mid, text=text, target=target, update_type="Append") == [
            f"Invalid object name '{text.split('FROM ')[-1].split('(')[0]}'."
        ]
        with pytest.raises(SqlError):
            run_query(catalog, mid=mid, text=text, target=target, update_type="Append")


def test_no_table_of_another_bu_is_reachable(sim: Simulator, catalog: QueryCatalog) -> None:
    """A BU cannot list DuckDB's tables nor read one by its internal name."""
    mid = us_mid(sim)
    other = next(
        d
        for bu in sim.store.business_units.values()
        if bu.mid != mid
        for d in sim.store.list_des(bu.mid)
        if not d.is_shared
    )
    sim.rows.ensure_table(other)
    internal = sim.rows.table_name(other)
    for text in (
        f"SELECT * FROM {internal}",
        f'SELECT * FROM "{internal}"',
        f"SELECT * FROM [{internal}]",
        f"SELECT * FROM query('SELECT * FROM {internal}')",
        f"SELECT * FROM query_table('{internal}')",
        "SELECT table_name AS t FROM duckdb_tables()",
        "SELECT table_name AS t FROM information_schema.tables",
    ):
        errors = validate_query(catalog, mid=mid, text=text, target=None, update_type="Append")
        assert len(errors) == 1
        assert errors[0].startswith("Invalid object name"), (text, errors)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT UPPER(LEFT(a, 1)) + LOWER(SUBSTRING(a, 2, 10)) AS n FROM t",
        "SELECT ISNULL(a, 'x') AS a, COALESCE(b, c) AS b, NULLIF(a, '') AS c FROM t",
        "SELECT IIF(a = 1, 'y', 'n') AS f, CASE WHEN a > 1 THEN 1 ELSE 0 END AS g FROM t",
        "SELECT DATEADD(day, -7, GETDATE()) AS d, DATEDIFF(day, a, GETUTCDATE()) AS e FROM t",
        "SELECT YEAR(a) AS y, MONTH(a) AS m, DAY(a) AS d, DATEPART(hour, a) AS h FROM t",
        "SELECT DATENAME(month, a) AS m, FORMAT(a, 'yyyy-MM') AS f, EOMONTH(a) AS e FROM t",
        "SELECT DATEFROMPARTS(2024, 1, 1) AS d, DATETIMEFROMPARTS(2024, 1, 1, 0, 0, 0, 0) AS e",
        "SELECT CONVERT(VARCHAR(10), a, 101) AS c, CAST(b AS INT) AS d FROM t",
        "SELECT CHARINDEX('@', a) AS i, PATINDEX('%[0-9]%', a) AS p, LEN(a) AS l FROM t",
        "SELECT LTRIM(RTRIM(a)) AS a, TRIM(b) AS b, REPLACE(c, 'x', 'y') AS c FROM t",
        "SELECT ABS(a) AS a, ROUND(b, 2) AS b, FLOOR(c) AS c, CEILING(d) AS d FROM t",
        "SELECT CONCAT(a, b) AS c, REPLICATE('0', 3) AS r, NEWID() AS i FROM t",
        "SELECT COUNT(*) AS n, SUM(a) AS s, AVG(a) AS v, MIN(a) AS lo, MAX(a) AS hi FROM t",
        "SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC) AS rn, "
        "RANK() OVER (ORDER BY b) AS r, DENSE_RANK() OVER (ORDER BY b) AS d FROM t",
        "SELECT a AT TIME ZONE 'Central Standard Time' AT TIME ZONE 'UTC' AS u FROM t",
        "SELECT a FROM t WHERE EXISTS (SELECT 1 AS x FROM u WHERE u.a = t.a) OR a IS NULL",
        "SELECT SYSDATETIME() AS s, CURRENT_TIMESTAMP AS c",
    ],
)
def test_mce_functions_stay_allowed(text: str) -> None:
    check_query(text)


def test_deeply_nested_text_is_an_sql_error(sim: Simulator, catalog: QueryCatalog) -> None:
    """SQL Server's error 191, never a RecursionError escaping as an HTTP 500."""
    text = "SELECT " + "(" * 3000 + "1" + ")" * 3000 + " AS a"
    message = (
        "Some part of your SQL statement is nested too deeply. Rewrite the query or break it "
        "up into smaller queries."
    )
    with pytest.raises(SqlError) as failure:
        check_query(text)
    assert failure.value.message == message
    assert validate_query(
        catalog, mid=us_mid(sim), text=text, target=None, update_type="Overwrite"
    ) == [message]
