"""The select list naming a query's output (``tsql.select_list``): each item from its first
token (after TOP/DISTINCT, NULL, CASE, a minus, a parenthesis) to its last before the next
comma (a call's parentheses, CAST ... AS, CASE ... END, OVER (...)), stars and NULLs told apart,
the leftmost arm of a set operation, and no list for text that is not one query."""

from __future__ import annotations

import pytest

from tsql import SelectItem, SelectList, parse, select_list


def _read(sql: str) -> SelectList:
    found = select_list(parse(sql))
    assert found is not None
    return found


def _written(sql: str) -> list[str | None]:
    return [None if i.span is None else sql[i.span.start : i.span.end] for i in _read(sql).items]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        pytest.param(
            "SELECT TOP (5) PERCENT WITH TIES NULL AS X, -1 AS Y FROM T ORDER BY X",
            ["NULL AS X", "-1 AS Y"],
            id="top-percent-with-ties",
        ),
        pytest.param(
            "SELECT  TOP 3 WITH TIES  -a AS n, t.* FROM T t ORDER BY n",
            ["-a AS n", "t.*"],
            id="top-without-parentheses",
        ),
        pytest.param(
            "SELECT DISTINCT CASE WHEN a = 1 THEN 'x' END AS K,\n  (b) AS B FROM T",
            ["CASE WHEN a = 1 THEN 'x' END AS K", "(b) AS B"],
            id="distinct-case-parenthesis",
        ),
        pytest.param("SELECT ALL a FROM T", ["a"], id="all"),
        pytest.param("SELECT a, t.*, b AS c FROM T t", ["a", "t.*", "b AS c"], id="stars"),
        pytest.param(
            "SELECT a AS A1 FROM T UNION ALL SELECT NULL FROM U", ["a AS A1"], id="union-left-arm"
        ),
        pytest.param(
            "SELECT a AS X FROM T UNION SELECT b FROM U UNION SELECT c FROM V",
            ["a AS X"],
            id="three-arms",
        ),
        pytest.param(
            "(SELECT a AS X FROM T) UNION (SELECT b FROM U)", ["a AS X"], id="parenthesised-arms"
        ),
        pytest.param("((SELECT a FROM T))", ["a"], id="parenthesised-query"),
        pytest.param(
            "SELECT x.k FROM (SELECT a AS k FROM T) x", ["x.k"], id="outer-not-derived-table"
        ),
    ],
)
def test_each_item_is_pointed_at_from_its_first_token(sql: str, expected: list[str]) -> None:
    assert _written(sql) == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        pytest.param("SELECT GETDATE(), a FROM T", ["GETDATE()", "a"], id="call-without-arguments"),
        pytest.param(
            "SELECT a, NEWID()\nFROM T", ["a", "NEWID()"], id="call-without-arguments-last"
        ),
        pytest.param(
            "SELECT COALESCE(a, GETDATE()), LEFT(RTRIM(b), 2) AS l, c FROM T",
            ["COALESCE(a, GETDATE())", "LEFT(RTRIM(b), 2) AS l", "c"],
            id="nested-calls",
        ),
        pytest.param(
            "SELECT 1 + GETDATE(), CAST(a AS VARCHAR(10)), CONVERT(INT, b, 1) AS n, c FROM T",
            ["1 + GETDATE()", "CAST(a AS VARCHAR(10))", "CONVERT(INT, b, 1) AS n", "c"],
            id="casts",
        ),
        pytest.param(
            "SELECT CASE WHEN a = 1 THEN 'x' ELSE NULL END, b FROM T",
            ["CASE WHEN a = 1 THEN 'x' ELSE NULL END", "b"],
            id="case-without-alias",
        ),
        pytest.param(
            "SELECT 'a, (b' AS s, REPLACE(c, ',', ')'), d FROM T",
            ["'a, (b' AS s", "REPLACE(c, ',', ')')", "d"],
            id="strings-with-commas-and-parentheses",
        ),
        pytest.param(
            "SELECT [First, Name], t.[Last (x)] AS l FROM T t",
            ["[First, Name]", "t.[Last (x)] AS l"],
            id="bracketed-names",
        ),
        pytest.param(
            "SELECT a /* one, ( */, -- two, )\n  GETDATE() /* three */ , b FROM T",
            ["a", "GETDATE()", "b"],
            id="comments-between-items",
        ),
        pytest.param(
            "SELECT ROW_NUMBER() OVER (ORDER BY a), SUM(b) OVER (), c FROM T",
            ["ROW_NUMBER() OVER (ORDER BY a)", "SUM(b) OVER ()", "c"],
            id="windows",
        ),
        pytest.param(
            "SELECT (SELECT MAX(b) FROM U), NULL, a FROM T",
            ["(SELECT MAX(b) FROM U)", "NULL", "a"],
            id="scalar-subquery-and-null",
        ),
        pytest.param(
            "SELECT a, b IS NOT NULL, a COLLATE Latin1_General_CI_AS FROM T",
            ["a", "b IS NOT NULL", "a COLLATE Latin1_General_CI_AS"],
            id="trailing-keywords",
        ),
        pytest.param(
            "SELECT TOP (1) DATEPART(year, a), ~b FROM T ORDER BY 1",
            ["DATEPART(year, a)", "~b"],
            id="date-part-and-prefix",
        ),
    ],
)
def test_an_item_is_all_that_is_written_between_its_commas(sql: str, expected: list[str]) -> None:
    assert _written(sql) == expected


def test_the_list_ends_with_its_last_call() -> None:
    sql = "SELECT a, GETDATE() FROM T"
    span = _read(sql).span
    assert span is not None
    assert sql[span.start : span.end] == "a, GETDATE()"


def test_stars_and_nulls_are_told_apart() -> None:
    sql = (
        "SELECT NULL AS A, CAST(NULL AS INT) AS B, (NULL) AS C, 0 AS D, 'NULL' AS E, *, t.*"
        " FROM T t"
    )
    found = _read(sql)
    assert [(i.star, i.null) for i in found.items] == [
        (False, True),
        (False, True),
        (False, True),
        (False, False),
        (False, False),
        (True, False),
        (True, False),
    ]


def test_the_whole_list_is_spanned() -> None:
    sql = "SELECT NULL AS A, CAST(NULL AS INT) AS B, 0 AS C FROM T"
    span = _read(sql).span
    assert span is not None
    assert sql[span.start : span.end] == "NULL AS A, CAST(NULL AS INT) AS B, 0 AS C"
    assert (span.line, span.column) == (1, 8)


def test_an_item_without_a_position_has_no_span() -> None:
    # sqlglot keeps positions on names and literals only: a list of a bare NULL has none to
    # find its SELECT from
    assert _read("SELECT NULL") == SelectList((SelectItem(None, star=False, null=True),), None)


def test_positions_across_lines() -> None:
    sql = "SELECT\n  a,\n  b + 1 AS c\nFROM T"
    found = _read(sql)
    assert _written(sql) == ["a", "b + 1 AS c"]
    second = found.items[1].span
    assert second is not None and (second.line, second.column) == (3, 3)


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT FROM (", id="unparseable"),
        pytest.param("SELECT a FROM T WHERE", id="unfinished"),
        pytest.param("SELECT 1 AS A; SELECT 2 AS B", id="two-statements"),
        pytest.param("", id="empty"),
        pytest.param("  -- only a comment\n", id="only-a-comment"),
        pytest.param("UPDATE T SET a = 1", id="not-a-query"),
        pytest.param("VALUES (1)", id="values"),
    ],
)
def test_no_list_without_one_query(sql: str) -> None:
    assert select_list(parse(sql)) is None
