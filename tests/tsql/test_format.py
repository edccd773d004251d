"""format_sql: the layout, and proof that it changes nothing but whitespace and keyword case.

The proof compares sqlglot's token streams before and after (types, texts, and the comments
sqlglot attaches to each token) over the simulator's query corpus, the same queries with a
comment between every two tokens, and hand-written cases.
"""

from __future__ import annotations

import pytest
import sqlglot

from tests.simulator.query_corpus import CORPUS
from tsql.format import format_sql, token_signature
from tsql.parse import MAX_SQL_CHARS

EXTRA = (
    "select top 10 percent a, b as [date], count(*) c from t1 x left outer join t2 y "
    "on x.id=y.id and x.k = y.k where x.a between 1 and 2 and (x.b = 2 or x.c = 3) "
    "group by a, b having count(*)>1 order by a desc",
    "SELECT x.a FROM (select a from t where a in (select b from u)) x union all "
    "select b from ENT.[Shared DE]",
    "select distinct top (5) with ties a, case when a > 1 then 'x' else 'y' end as c, "
    "row_number() over (partition by a order by b) as rn from t order by a",
    "select - -1 as a, -a as b, a - 1 as c, cast(a as varchar(10)) as d, @x as e "
    "from #t with (nolock)",
    "SELECT a FROM t ORDER BY a OFFSET 5 ROWS FETCH NEXT 10 ROWS ONLY",
    "SELECT s.SubscriberKey FROM _Subscribers s CROSS APPLY (SELECT TOP 1 o.EventDate "
    "FROM _Open o WHERE o.SubscriberID = s.SubscriberID ORDER BY o.EventDate DESC) last_open",
    "SELECT N'it''s', 0x1F AS h, 1.5e3 AS f, 'a  b' AS s, [weird]]name] FROM t WHERE a<>b "
    "AND c!=d AND e>=f AND NOT EXISTS (SELECT 1 FROM u WHERE u.x = t.x)",
    "SELECT a FROM t; SELECT b FROM u",
    "SELECT LEFT(a, 2) AS l, RIGHT (b, 1) AS r FROM t LEFT JOIN u ON t.a = u.a RIGHT JOIN v "
    "ON 1 = 1 FULL OUTER JOIN w ON 1 = 1 CROSS JOIN z",
    "SELECT CASE WHEN a = 1 AND b = 2 THEN 'both' WHEN a = 1 OR b = 2 THEN 'one' END AS c "
    "FROM t WHERE CASE WHEN a > 0 THEN 1 ELSE 0 END = 1 AND DATEADD(day, -7, GETDATE()) < d",
    "SELECT a FROM t EXCEPT SELECT a FROM u INTERSECT SELECT a FROM v",
    "SELECT COUNT(DISTINCT a) AS n, SUM(b) AS s FROM t GROUP BY c, d HAVING SUM(b) > 10 "
    "AND COUNT(*) BETWEEN 1 AND 5",
)
TEXTS = tuple(query.text for query in CORPUS) + EXTRA


def _assert_preserved(original: str) -> str:
    formatted = format_sql(original)
    assert not formatted.findings, formatted.findings
    assert token_signature(formatted.sql) == token_signature(original)
    assert format_sql(formatted.sql).sql == formatted.sql  # idempotent
    return formatted.sql


@pytest.mark.parametrize("text", TEXTS)
def test_formatting_preserves_the_token_stream(text: str) -> None:
    out = _assert_preserved(text)
    assert out != text  # every one of these needs laying out
    # Nothing but layout changed: the same characters apart from whitespace and case.
    assert "".join(out.split()).casefold() == "".join(text.split()).casefold()


#: What MCE refuses still formats (validation reports it; the text keeps its tokens).
REFUSED = (
    "WITH c AS (SELECT 1 AS a) SELECT a FROM c",
    "SELECT a INTO #tmp FROM t",
    "DECLARE @x INT",
    "INSERT INTO t (a) VALUES (1)",
    "UPDATE t SET a = 1 WHERE b = 2 AND c = 3",
    "DELETE FROM t WHERE a = 1",
    "EXEC sp_who",
    "SELECT a FROM t LIMIT 10",
)


@pytest.mark.parametrize("text", REFUSED)
def test_refused_constructs_keep_their_tokens(text: str) -> None:
    _assert_preserved(text)
    _assert_preserved(_tokens_with_comments(text, line=True))


def _tokens_with_comments(text: str, *, line: bool) -> str:
    """``text`` with a numbered comment after every token (line or block comments)."""
    parts: list[str] = []
    for number, token in enumerate(sqlglot.tokenize(text, read="tsql")):
        parts.append(text[token.start : token.end + 1])
        parts.append(f" -- c{number}\n" if line else f" /* c{number} */ ")
        if number % 3 == 0:
            parts.append(f"\n/* own line {number} */\n")
    return "".join(parts)


@pytest.mark.parametrize("line", [False, True], ids=["block", "line"])
@pytest.mark.parametrize("text", TEXTS)
def test_comments_everywhere_stay_in_place(text: str, line: bool) -> None:
    commented = _tokens_with_comments(text, line=line)
    out = _assert_preserved(commented)
    # Each comment is kept, in order.
    positions = [out.index(f"c{n} ") if not line else out.index(f"-- c{n}\n") for n in range(3)]
    assert positions == sorted(positions)
    assert out.count("own line") == commented.count("own line")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "select a, b as c from t where a = 1 and b = 2",
            "SELECT\n    a,\n    b AS c\nFROM t\nWHERE a = 1\n    AND b = 2",
        ),
        (
            "select distinct top 5 s.SubscriberKey from _Sent s inner join _Job j "
            "on j.JobID = s.JobID and j.EmailName like 'N%' where s.EventDate between "
            "'2024-01-01' and '2024-02-01' order by s.SubscriberKey",
            "SELECT DISTINCT TOP 5\n    s.SubscriberKey\nFROM _Sent s\nINNER JOIN _Job j\n"
            "    ON j.JobID = s.JobID\n    AND j.EmailName LIKE 'N%'\n"
            "WHERE s.EventDate BETWEEN '2024-01-01' AND '2024-02-01'\nORDER BY s.SubscriberKey",
        ),
        (
            "select x.k from (select k from ENT.[Shared DE] where k in (select k from u)) x",
            "SELECT\n    x.k\nFROM (\n    SELECT\n        k\n    FROM ENT.[Shared DE]\n"
            "    WHERE k IN (\n        SELECT\n            k\n        FROM u\n    )\n) x",
        ),
        (
            "-- top\nselect a, -- why a\n/* block */ b from t /* end */",
            "-- top\nSELECT\n    a, -- why a\n    /* block */\n    b\nFROM t /* end */",
        ),
        (
            "select a from t union all select b from u",
            "SELECT\n    a\nFROM t\nUNION ALL\nSELECT\n    b\nFROM u",
        ),
        (
            "select count(*) as n, cast(a as varchar(10)) as b, -a as c, a - -1 as d from t",
            "SELECT\n    COUNT(*) AS n,\n    CAST(a AS VARCHAR(10)) AS b,\n    -a AS c,\n"
            "    a - -1 AS d\nFROM t",
        ),
    ],
)
def test_layout(text: str, expected: str) -> None:
    formatted = format_sql(text)
    assert formatted.sql == expected
    assert formatted.changed
    assert format_sql(expected).sql == expected
    assert not format_sql(expected).changed


def test_names_keep_their_case_and_keywords_are_upper_cased() -> None:
    out = format_sql("select date, first, MyCol, [order] from MyTable as first where x = 'select'")
    assert out.sql == (
        "SELECT\n    date,\n    first,\n    MyCol,\n    [order]\nFROM MyTable AS first\n"
        "WHERE x = 'select'"
    )


def test_variables_and_temp_tables_stay_as_written() -> None:
    assert format_sql("select @Var as a from #Temp").sql == "SELECT\n    @Var AS a\nFROM #Temp"


@pytest.mark.parametrize(
    "text", ["SELECT FROM WHERE", "SELECT (a FROM t", "SELECT 'open", "", "   "]
)
def test_unparsable_sql_comes_back_unchanged_with_findings(text: str) -> None:
    formatted = format_sql(text)
    assert formatted.sql == text
    assert not formatted.changed
    assert formatted.findings
    assert all(finding.code != "FORMAT_SKIPPED" for finding in formatted.findings)


def test_too_long_sql_is_not_formatted() -> None:
    text = "SELECT a FROM t WHERE a = '{}'".format("x" * MAX_SQL_CHARS)  # noqa: S608
    formatted = format_sql(text)
    assert formatted.sql == text
    assert [finding.code for finding in formatted.findings] == ["SQL_TOO_LONG"]


def test_already_formatted_sql_is_unchanged() -> None:
    text = "SELECT\n    a\nFROM t"
    formatted = format_sql(text)
    assert (formatted.sql, formatted.changed, formatted.findings) == (text, False, ())


def test_windows_line_ends_tabs_and_unicode() -> None:
    assert format_sql("SELECT a -- c\r\nFROM t\r\n").sql == "SELECT\n    a -- c\nFROM t"
    # Inside a block comment nothing changes, line ends included.
    assert format_sql("SELECT\ta,\tb /* x\r\n y */ FROM t").sql == (
        "SELECT\n    a,\n    b /* x\r\n y */\nFROM t"
    )
    assert format_sql("select N'ü' as [Größe] from [Ärger]").sql == (
        "SELECT\n    N'ü' AS [Größe]\nFROM [Ärger]"
    )
