"""tsql.parse: bounded, never raising, and findings that say where the text breaks."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tsql.parse import MAX_NESTING, MAX_SQL_CHARS, ParsedSql, parse, tokenize


def test_a_select_parses_with_its_tokens() -> None:
    parsed = parse("SELECT a FROM [My DE] AS m -- note")
    assert parsed.ok and parsed.findings == ()
    assert parsed.statement is not None and parsed.statement.key == "select"
    assert [t.text for t in parsed.tokens] == ["SELECT", "a", "FROM", "My DE", "AS", "m"]


def test_several_statements_are_all_kept() -> None:
    parsed = parse("SELECT a FROM t; SELECT b FROM u")
    assert len(parsed.statements) == 2
    assert parsed.statement is None
    assert parsed.ok  # ';' is for the rules to judge, the text itself reads fine


@pytest.mark.parametrize("text", ["", "   ", "\n\t -- only a comment\n", "/* only */"])
def test_nothing_to_check(text: str) -> None:
    parsed = parse(text)
    codes = [f.code for f in parsed.findings]
    assert codes in (["EMPTY_SQL"], ["SYNTAX_ERROR"]) and not parsed.ok
    assert parsed.statements == ()


def test_the_size_limit_is_exact() -> None:
    at_limit = "SELECT 1 AS a" + " " * (MAX_SQL_CHARS - len("SELECT 1 AS a"))
    assert parse(at_limit).ok
    over = parse(at_limit + " ")
    assert [f.code for f in over.findings] == ["SQL_TOO_LONG"]
    span = over.findings[0].span
    assert span is not None and (span.start, span.end) == (MAX_SQL_CHARS, MAX_SQL_CHARS + 1)
    assert over.tokens == () and over.statements == ()


def test_nesting_is_bounded_before_sqlglot_recurses() -> None:
    deep = "SELECT " + "(" * 10_000 + "1" + ")" * 10_000 + " AS a"
    parsed = parse(deep)
    assert [f.code for f in parsed.findings] == ["SQL_TOO_DEEP"]
    span = parsed.findings[0].span
    assert span is not None and span.start == len("SELECT ") + MAX_NESTING


def _nested(depth: int, stack: int, make: Callable[[int], str]) -> ParsedSql:
    """Parse at ``depth`` from ``stack`` frames down (a caller with a deep stack of its own)."""
    if stack:
        return _nested(depth, stack - 1, make)
    return parse(make(depth))


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "SELECT " + "(" * n + "1" + ")" * n + " AS a",
        lambda n: "SELECT " + "(SELECT " * n + "1" + ")" * n + " AS a",
        lambda n: "SELECT " + "UPPER(" * n + "a" + ")" * n + " AS a",
        lambda n: "SELECT " + "CASE WHEN a = 1 THEN " * n + "1" + " END" * n + " AS a",
        lambda n: "SELECT a FROM " + "(SELECT a FROM " * n + "t" + ") x" * n,  # noqa: S608
    ],
    ids=["parentheses", "scalar subqueries", "calls", "CASE", "derived tables"],
)
def test_the_nesting_limit_leaves_room_for_the_callers_stack(make: Callable[[int], str]) -> None:
    """MAX_NESTING levels of the costliest kinds parse 150 frames below a test's own stack;
    one more level is refused before sqlglot recurses."""
    assert _nested(MAX_NESTING, 150, make).ok
    assert [f.code for f in parse(make(MAX_NESTING + 1)).findings] == ["SQL_TOO_DEEP"]


@pytest.mark.parametrize(
    ("text", "start", "message"),
    [
        ("SELECT 'it''s", 7, "This string is never closed."),
        ("SELECT 'a' AS [b", 14, "This bracketed name is never closed."),
        ('SELECT "a', 7, "This quoted name is never closed."),
        ("SELECT a FROM t /* x", 16, "This comment is never closed."),
        ("SELECT '/*' AS a, [x]]] /* z", 24, "This comment is never closed."),
        ("SELECT [x]]y /* z", 7, "This bracketed name is never closed."),
        ("SELECT a -- '\nFROM t WHERE b = '", 31, "This string is never closed."),
    ],
)
def test_unclosed_pieces_are_located(text: str, start: int, message: str) -> None:
    tokens, finding = tokenize(text)
    assert tokens == () and finding is not None
    assert finding.code == "SYNTAX_ERROR"
    assert finding.message == message
    assert finding.span is not None
    assert (finding.span.start, finding.span.end) == (start, len(text))


def test_a_second_statement_without_semicolon_is_named() -> None:
    text = "SELECT a FROM t\n  SELECT b FROM u"
    parsed = parse(text)
    assert [f.code for f in parsed.findings] == ["MULTIPLE_STATEMENTS"]
    span = parsed.findings[0].span
    assert span is not None and (span.line, span.column) == (2, 3)


def test_a_broken_select_is_a_syntax_error_with_a_position() -> None:
    text = "SELECT a FROM t WHERE\n  AND b = 1"
    parsed = parse(text)
    assert [f.code for f in parsed.findings] == ["SYNTAX_ERROR"]
    finding = parsed.findings[0]
    assert finding.span is not None and finding.span.line == 2
    assert finding.message.startswith("Incorrect syntax")


def test_a_select_inside_parentheses_is_not_a_second_statement() -> None:
    parsed = parse("SELECT a FROM t WHERE b IN SELECT c FROM u")
    assert [f.code for f in parsed.findings] == ["SYNTAX_ERROR"]


def test_a_tokenizer_error_inside_the_parser_is_a_finding() -> None:
    """sqlglot re-reads a statement it falls back to as a Command; that may fail too
    (found by the fuzz loop)."""
    text = (
        "MERGE OrMERGE Orders AS tTRY_CAST( USINWHEREG [ders AS tTRY_CAST( US)ING "
        "[Empty Staging] AS s ON t.OrderID = s.Id WHEN MATCHED THEN DELETE"
    )
    parsed = parse(text)
    assert [f.code for f in parsed.findings] == ["SYNTAX_ERROR"]
    assert not parsed.ok and parsed.statements == ()


def test_user_sql_does_not_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    """sqlglot logs statements it reads as a Command, quoting them; tsql's parser does not."""
    caplog.set_level(logging.DEBUG)
    parsed = parse("PRINT 'ada@example.com'")
    assert parsed.statements and parsed.ok
    assert "ada@example.com" not in caplog.text
