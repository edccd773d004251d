"""Where a node is written (``tsql.spans``): sqlglot places names, literals and call names only,
so a node's extent is widened over its keywords and punctuation (a call's parentheses, CASE ...
END, CAST ... AS type, OVER (...), a prefix operator, a trailing NULL); extents of the corpus's
nodes nest and close every parenthesis they open; parts sqlglot keeps as strings are passed over.
"""

from __future__ import annotations

import pytest
from sqlglot import exp
from sqlglot.tokens import TokenType

from tests.tsql.corpus import CORPUS
from tsql import parse
from tsql.spans import TokenIndex, node_span, table_name


def _written(sql: str, node: exp.Expr) -> str | None:
    parsed = parse(sql)
    extent = TokenIndex(parsed.tokens).extent(node)
    return None if extent is None else sql[extent[0] : extent[1]]


def _order_key(sql: str) -> tuple[str, exp.Expr]:
    """The first ORDER BY key of ``sql`` (outside windows)."""
    parsed = parse(sql)
    assert parsed.statement is not None
    order = parsed.statement.args["order"]
    first = order.expressions[0]
    return sql, first.this if isinstance(first, exp.Ordered) else first


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT a FROM T ORDER BY GETDATE()", "GETDATE()"),
        ("SELECT a FROM T ORDER BY 1 + GETDATE()", "1 + GETDATE()"),
        ("SELECT a FROM T ORDER BY COALESCE(a, GETDATE())", "COALESCE(a, GETDATE())"),
        ("SELECT a FROM T ORDER BY CAST(b AS VARCHAR(10))", "CAST(b AS VARCHAR(10))"),
        ("SELECT a FROM T ORDER BY CONVERT(VARCHAR(10), b, 120)", "CONVERT(VARCHAR(10), b, 120)"),
        ("SELECT a FROM T ORDER BY DATEPART(year, b)", "DATEPART(year, b)"),
        ("SELECT a FROM T ORDER BY CASE WHEN b = 1 THEN 'x' END", "CASE WHEN b = 1 THEN 'x' END"),
        (
            "SELECT a FROM T ORDER BY CASE b WHEN 1 THEN CASE WHEN c = 2 THEN 'y' END END",
            "CASE b WHEN 1 THEN CASE WHEN c = 2 THEN 'y' END END",
        ),
        ("SELECT a FROM T ORDER BY -b", "-b"),
        ("SELECT a FROM T ORDER BY (b)", "(b)"),
        ("SELECT a FROM T ORDER BY (SELECT MAX(c) FROM U)", "(SELECT MAX(c) FROM U)"),
        ("SELECT a FROM T ORDER BY b + NULL", "b + NULL"),
    ],
)
def test_an_expression_is_written_with_its_keywords_and_punctuation(
    sql: str, expected: str
) -> None:
    assert _written(*_order_key(sql)) == expected


def test_a_window_with_an_empty_over() -> None:
    sql = "SELECT a FROM T WHERE ROW_NUMBER() OVER () = 1"
    parsed = parse(sql)
    assert parsed.statement is not None
    window = parsed.statement.find(exp.Window)
    assert window is not None
    assert _written(sql, window) == "ROW_NUMBER() OVER ()"


def test_a_node_without_positions_has_no_extent() -> None:
    parsed = parse("SELECT NULL")
    assert parsed.statement is not None
    assert TokenIndex(parsed.tokens).extent(parsed.statement.expressions[0]) is None


def test_node_span_passes_over_parts_that_are_not_nodes() -> None:
    # sqlglot keeps the empty schema of x..B as the string ""
    sql = "SELECT * FROM x..B"
    parsed = parse(sql)
    assert parsed.statement is not None
    table = parsed.statement.find(exp.Table)
    assert table is not None and table.args["db"] == ""
    span = node_span(sql, table.this, table.args["db"], table.args["catalog"])
    assert span is not None and sql[span.start : span.end] == "x..B"
    assert node_span(sql, "", None) is None


@pytest.mark.parametrize(
    ("sql", "written", "name"),
    [
        ("SELECT * FROM x..B AS b", "x..B", "x..B"),
        ("SELECT * FROM [x]..[B b] WITH (NOLOCK)", "[x]..[B b]", "x..B b"),
        ("SELECT * FROM srv.x..B", "srv.x..B", "srv.x..B"),
        ("SELECT * FROM ..B", "..B", "..B"),
        ("SELECT * FROM ENT.[My DE] d", "ENT.[My DE]", "ENT.My DE"),
    ],
)
def test_table_names_as_written(sql: str, written: str, name: str) -> None:
    parsed = parse(sql)
    assert parsed.statement is not None
    table = parsed.statement.find(exp.Table)
    assert table is not None
    found = table_name(sql, table)
    assert found is not None
    span, spelled = found
    assert (sql[span.start : span.end], spelled) == (written, name)


def _corpus_nodes() -> list[tuple[str, TokenIndex, exp.Expr]]:
    found: list[tuple[str, TokenIndex, exp.Expr]] = []
    for case in CORPUS:
        parsed = parse(case.text)
        if parsed.statement is not None:
            index = TokenIndex(parsed.tokens)
            found.extend((case.text, index, node) for node in parsed.statement.walk())
    return found


def test_corpus_extents_nest_and_close_their_parentheses() -> None:
    nodes = _corpus_nodes()
    extents = {id(node): index.extent(node) for _text, index, node in nodes}
    checked = 0
    for text, index, node in nodes:
        extent = extents[id(node)]
        if extent is None:
            continue
        checked += 1
        depth = 0
        for token in index.tokens[index.index_at(extent[0]) : index.index_at(extent[1])]:
            depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token.token_type, 0)
            assert depth >= 0, (text, text[extent[0] : extent[1]])
        assert depth == 0, (text, text[extent[0] : extent[1]])
        outer = extents.get(id(node.parent)) if node.parent is not None else None
        if outer is not None:
            assert outer[0] <= extent[0] <= extent[1] <= outer[1], (
                text,
                text[extent[0] : extent[1]],
                text[outer[0] : outer[1]],
            )
    assert checked > 1000
