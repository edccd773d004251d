"""Hostile text gets findings, never exceptions: size, nesting, junk bytes, unclosed pieces, and
a fuzz loop over mangled corpus queries (fixed seed, so a failure reproduces)."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from tests.tsql.corpus import CORPUS, seed_catalog
from tsql.catalog import EmptyCatalog
from tsql.findings import Severity
from tsql.parse import MAX_NESTING, MAX_SET_OPERATIONS, MAX_SQL_CHARS
from tsql.types import Purpose, Table, TableName
from tsql.validate import Analysis, validate

_CATALOG = seed_catalog()


async def _analyse(text: str, purpose: Purpose = Purpose.QUERY_ACTIVITY) -> Analysis:
    analysis = await validate(text, purpose=purpose, catalog=_CATALOG)
    for finding in analysis.findings:
        span = finding.span
        if span is not None:
            assert 0 <= span.start <= span.end <= len(text), finding
            assert span.line >= 1 and span.column >= 1
            assert (span.end_line, span.end_column) >= (span.line, span.column)
    return analysis


def _codes(analysis: Analysis) -> list[str]:
    return [f.code for f in analysis.findings if f.severity is Severity.ERROR]


async def test_a_megabyte_is_refused_by_size() -> None:
    text = "SELECT SubscriberKey FROM Subscribers WHERE FirstName = 'x' OR " * 16_500
    assert len(text) > 1_000_000
    analysis = await _analyse(text)
    assert _codes(analysis) == ["SQL_TOO_LONG"]
    assert analysis.statement_kind is None and analysis.columns == ()


async def test_just_under_the_limit_is_read() -> None:
    values = ", ".join(f"'C{i:04}'" for i in range(300))
    arm = f"SELECT SubscriberKey FROM Subscribers WHERE Country IN ({values})"  # noqa: S608
    text = " UNION ALL ".join([arm] * (MAX_SQL_CHARS // (len(arm) + 11)))
    assert MAX_SQL_CHARS - len(text) < len(arm) + 11
    analysis = await _analyse(text)
    assert analysis.valid and analysis.statement_kind == "UNION"


def _union(arms: int) -> str:
    return " UNION ALL ".join(
        f"SELECT SubscriberKey, {i} AS Arm FROM Subscribers"  # noqa: S608 - test text
        for i in range(arms)
    )


def _deepest_derived_tables() -> str:
    """Derived tables nested as deep as MAX_NESTING allows."""
    depth = MAX_NESTING - 1
    inner = "(SELECT SubscriberKey FROM " * depth + "Subscribers" + ") x" * depth  # noqa: S608
    return "SELECT x.SubscriberKey FROM " + inner  # noqa: S608 - test text, never run


async def _validate_below(stack: int, text: str) -> Analysis:
    """Validate ``stack`` frames down, as a web server's resolver would call it."""
    if stack:
        return await _validate_below(stack - 1, text)
    return await _analyse(text)


async def test_the_union_limit_leaves_room_for_the_callers_stack() -> None:
    allowed = await _validate_below(150, _union(MAX_SET_OPERATIONS + 1))
    assert allowed.valid, allowed.findings
    assert len(allowed.columns) == 2
    refused = await _analyse(_union(MAX_SET_OPERATIONS + 2))
    assert _codes(refused) == ["SQL_TOO_DEEP"]


async def test_the_deepest_allowed_nesting_is_checked_below_a_callers_stack() -> None:
    text = _deepest_derived_tables()
    analysis = await _validate_below(150, text)
    assert analysis.valid, analysis.findings


@pytest.mark.parametrize("stack", [600, 750, 850, 900])
async def test_a_caller_with_almost_no_stack_left_gets_a_finding(stack: int) -> None:
    """Whatever recurses first (sqlglot's parser, a rule, inference) ends as a finding."""
    text = _deepest_derived_tables() + " GROUP BY x.SubscriberKey"
    analysis = await _validate_below(stack, text)
    assert _codes(analysis) == ["SQL_TOO_DEEP"]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT " + "(" * 10_000 + "1" + ")" * 10_000 + " AS a",
        "SELECT " + "(" * 10_000,
        "SELECT " + "CASE WHEN 1 = 1 THEN " * 2_000 + "1" + " END" * 2_000 + " AS a",
        "SELECT a FROM " + "(SELECT a FROM " * 2_000 + "t" + ") x" * 2_000,
    ],
    ids=["parentheses", "unclosed parentheses", "CASE", "derived tables"],
)
async def test_deep_nesting_is_refused(text: str) -> None:
    assert _codes(await _analyse(text)) == ["SQL_TOO_DEEP"]


async def test_the_deepest_allowed_query_is_inferred() -> None:
    text = _deepest_derived_tables()
    analysis = await _analyse(text)
    assert analysis.valid, analysis.findings
    assert [c.name for c in analysis.columns] == ["SubscriberKey"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT 'never closed", "SYNTAX_ERROR"),
        ("SELECT [never closed", "SYNTAX_ERROR"),
        ('SELECT "never closed', "SYNTAX_ERROR"),
        ("SELECT 1 AS a /* never closed", "SYNTAX_ERROR"),
        ("SELECT 1 AS a /* /* nested */", "SYNTAX_ERROR"),
        ("'", "SYNTAX_ERROR"),
        ("[", "SYNTAX_ERROR"),
        ("N'", "SYNTAX_ERROR"),
        ("SELECT ''''", "UNNAMED_COLUMN"),
        ("\x00\x01\x02", "SYNTAX_ERROR"),
        ("SELECT \u00e9\u00e8 FROM \u2603", "UNKNOWN_TABLE"),
        ("SELECT 1 AS a\r\nFROM\r\n", "SYNTAX_ERROR"),
        (")))", "SYNTAX_ERROR"),
        ("((((", "SYNTAX_ERROR"),
        ("SELECT * FROM", "SYNTAX_ERROR"),
        ("SELECT", "SYNTAX_ERROR"),
        ("SELECT DISTINCT", "SYNTAX_ERROR"),
        (";;;;", "EMPTY_SQL"),
        ("@@@", "SYNTAX_ERROR"),
        ("#", "EMPTY_SQL"),
        ("SELECT a FROM t WHERE a = ?", "SYNTAX_ERROR"),
        ("SELECT OrderID::int AS b FROM Orders", "SYNTAX_ERROR"),
        ("SELECT {fn NOW()} AS a", "UNKNOWN_FUNCTION"),
    ],
)
async def test_junk_gets_findings(text: str, code: str) -> None:
    for purpose in (Purpose.QUERY_ACTIVITY, Purpose.RUN):
        analysis = await _analyse(text, purpose)
        assert not analysis.valid
        assert code in _codes(analysis), analysis.findings


async def test_random_bytes_never_raise() -> None:
    rng = random.Random(12)
    for _ in range(300):
        size = rng.randint(0, 200)
        text = bytes(rng.randrange(256) for _ in range(size)).decode("latin-1")
        await _analyse(text)


_PIECES = (
    "(", ")", "'", "[", "]", "\"", ";", ",", "*", "/*", "*/", "--", "\n", "@", "#", "SELECT",
    "FROM", "WHERE", "ORDER BY", "TOP 5", "UNION", "JOIN", "ON", "AS", "CASE", "END", "OVER",
    "WITH", "INTO", "LIMIT", "OFFSET", "FETCH", "GROUP BY", "TRY_CAST(", "x.", ".*", "ENT.",
    "_Sent", "NULL", "1", "'a'", "N'é'", "\t", "\x00",
)  # fmt: skip


def _mangle(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        position = rng.randint(0, len(chars))
        action = rng.random()
        if action < 0.4 and chars:
            del chars[min(position, len(chars) - 1) : position + rng.randint(1, 8)]
        elif action < 0.8:
            chars[position:position] = list(rng.choice(_PIECES))
        else:
            chars[position:position] = chars[: rng.randint(0, len(chars))]
    return "".join(chars)


async def test_mangled_corpus_queries_never_raise() -> None:
    """Deletions, insertions of SQL fragments and self-splices of every corpus query."""
    rng = random.Random(20261206)
    texts = [case.text for case in CORPUS]
    for round_ in range(6):
        for text in texts:
            mangled = _mangle(rng, text)
            purpose = Purpose.RUN if round_ % 2 else Purpose.QUERY_ACTIVITY
            analysis = await _analyse(mangled, purpose)
            if analysis.statement_kind is None:
                assert not analysis.valid, mangled


async def test_the_data_views_alone_never_raise_either() -> None:
    rng = random.Random(7)
    for case in CORPUS:
        mangled = _mangle(rng, case.text)
        await validate(mangled, purpose=Purpose.RUN, catalog=EmptyCatalog())


class _DownCatalog:
    """A catalogue whose store is unreachable."""

    async def lookup(self, name: TableName) -> Table | None:
        raise ConnectionError("metadata store unreachable")

    async def search(self, text: str, *, limit: int, shared: bool | None = None) -> Sequence[Table]:
        raise ConnectionError("metadata store unreachable")


async def test_a_failing_catalogue_is_the_callers_error_not_a_finding() -> None:
    with pytest.raises(ConnectionError, match="unreachable"):
        await validate("SELECT a FROM SomeDE", purpose=Purpose.RUN, catalog=_DownCatalog())
    # text that never reaches the catalogue still gets its findings
    refused = await validate("DROP TABLE SomeDE", purpose=Purpose.RUN, catalog=_DownCatalog())
    assert [f.code for f in refused.findings] == ["NOT_SELECT"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT TRY_CONVERT(INTry) AS x",
        "SELECT CONVERT(VARCHAR(10OrderDate, 112) AS x FROM _Sent",
        "SELECT CONVERT(INT) AS x",
    ],
)
async def test_calls_sqlglot_leaves_holes_in_are_findings_not_rule_faults(
    sql: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Inference met a None argument in these and fell over (a rule fault, logged)."""
    caplog.set_level("WARNING", logger="tsql")
    analysis = await validate(sql, purpose=Purpose.RUN, catalog=EmptyCatalog())
    codes = {f.code for f in analysis.findings}
    assert "NOT_CHECKED" not in codes and codes
    assert [r.getMessage() for r in caplog.records if r.name.startswith("tsql")] == []
