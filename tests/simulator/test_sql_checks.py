"""Static checks: each construct MCE rejects, with its message (REFERENCE §5.1)."""

from __future__ import annotations

import pytest

from simulator.sql import SqlError, check_query

_BUILTIN = "'{}' is not a recognized built-in function name."
_ORDER_BY = (
    "The ORDER BY clause is invalid in views, inline functions, derived tables, subqueries, "
    "and common table expressions, unless TOP, OFFSET or FOR XML is also specified."
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT a FROM t;", "';' is a reserved word and may not be used."),
        ("SELECT a FROM t; SELECT b FROM u", "';' is a reserved word and may not be used."),
        ("SELECT a FROM t SELECT b FROM u", "Incorrect syntax near the keyword 'SELECT'."),
        ("INSERT INTO t (a) VALUES (1)", "Only SELECT queries are valid."),
        ("UPDATE t SET a = 1", "Only SELECT queries are valid."),
        ("DELETE FROM t", "Only SELECT queries are valid."),
        ("MERGE t USING u ON t.a = u.a", "Only SELECT queries are valid."),
        ("EXEC sp_who", "Only SELECT queries are valid."),
        ("CREATE TABLE x (a INT)", "Only SELECT queries are valid."),
        ("DROP TABLE t", "Only SELECT queries are valid."),
        ("TRUNCATE TABLE t", "Only SELECT queries are valid."),
        ("WITH c AS (SELECT 1 AS a) SELECT a FROM c", "Incorrect syntax near the keyword 'WITH'."),
        ("DECLARE @x INT", "'declare' is a reserved word and may not be used."),
        ("SELECT @x AS a", 'Must declare the scalar variable "@x".'),
        ("SELECT a INTO #tmp FROM t", "'into' is a reserved word and may not be used."),
        ("SELECT a FROM t ORDER BY a", _ORDER_BY),
        ("SELECT x.a FROM (SELECT a FROM t ORDER BY a) x", _ORDER_BY),
        ("SELECT a FROM t UNION SELECT a FROM u ORDER BY a", _ORDER_BY),
        ("SELECT a FROM t LIMIT 10", "Incorrect syntax near 'LIMIT'."),
        ("SELECT a, FROM t", "Incorrect syntax near the keyword 'FROM'."),
        ("SELECT a FROM t WHERE", "Incorrect syntax near the keyword 'WHERE'."),
        ("", "Incorrect syntax near ')'."),
        ("SELECT TRY_CAST(a AS INT) AS b FROM t", _BUILTIN.format("TRY_CAST")),
        ("SELECT TRY_CONVERT(INT, a) AS b FROM t", _BUILTIN.format("TRY_CONVERT")),
        ("SELECT TRY_PARSE(a AS INT) AS b FROM t", _BUILTIN.format("TRY_PARSE")),
        ("SELECT ISJSON(a) AS b FROM t", _BUILTIN.format("ISJSON")),
        ("SELECT JSON_MODIFY(a, '$.x', 1) AS b FROM t", _BUILTIN.format("JSON_MODIFY")),
        ("SELECT value AS b FROM STRING_SPLIT('a,b', ',')", _BUILTIN.format("STRING_SPLIT")),
        ("SELECT b FROM OPENJSON('[1]')", _BUILTIN.format("OPENJSON")),
    ],
)  # fmt: skip
def test_rejected_constructs(text: str, message: str) -> None:
    with pytest.raises(SqlError) as failure:
        check_query(text)
    assert failure.value.message == message
    assert str(failure.value) == message


@pytest.mark.parametrize(
    "text",
    [
        "SELECT a FROM t",
        "SELECT TOP 10 a FROM t ORDER BY a",
        "SELECT TOP 10 PERCENT a FROM t ORDER BY a DESC",
        "SELECT a FROM t ORDER BY a OFFSET 5 ROWS FETCH NEXT 5 ROWS ONLY",
        "SELECT a FROM t WITH (NOLOCK) WHERE b = 'x;y' -- a ; in a comment\n",
        "/* leading; comment */ SELECT a FROM [My Table] AS m",
        "(SELECT a FROM t)",
        "SELECT a, ROW_NUMBER() OVER (PARTITION BY b ORDER BY c DESC) AS rn FROM t",
        "SELECT GETDATE() AS now",
        "SELECT a FROM t INTERSECT SELECT a FROM u",
        "SELECT [Limit] FROM t",
    ],
)
def test_accepted_constructs(text: str) -> None:
    check_query(text)
