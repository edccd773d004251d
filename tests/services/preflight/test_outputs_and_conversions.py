"""Where each output column is written (select-list items from their first token: NULL, CASE,
a minus, after TOP/DISTINCT; stars; a UNION's first arm), and which types convert into which
(always, for some values, never), without a database."""

from __future__ import annotations

import itertools

import pytest

from services.preflight.conversions import TEXT_LIKE, conversion, target_length, text_length
from services.preflight.outputs import output_positions
from tsql import Column, FieldType


def _texts(sql: str, count: int) -> list[str | None]:
    positions = output_positions(sql, [Column(f"c{i}", FieldType.TEXT) for i in range(count)])
    return [None if s is None else sql[s.start : s.end] for s in positions.spans]


@pytest.mark.parametrize(
    ("sql", "count", "expected"),
    [
        (
            "SELECT TOP (5) PERCENT WITH TIES NULL AS X, -1 AS Y FROM T ORDER BY X",
            2,
            ["NULL AS X", "-1 AS Y"],
        ),
        (
            "SELECT DISTINCT CASE WHEN a = 1 THEN 'x' END AS K,\n  (b) AS B FROM T",
            2,
            ["CASE WHEN a = 1 THEN 'x' END AS K", "(b) AS B"],
        ),
        ("SELECT a, t.*, b AS c FROM T t", 4, ["a", "t.*", "t.*", "b AS c"]),
        ("SELECT GETDATE(), a FROM T", 2, ["GETDATE()", "a"]),
        ("SELECT a AS A1 FROM T UNION ALL SELECT NULL FROM U", 1, ["a AS A1"]),
        ("SELEC a FROM", 2, [None, None]),
    ],
)
def test_each_column_points_at_its_item(sql: str, count: int, expected: list[str | None]) -> None:
    assert _texts(sql, count) == expected


def test_nulls_and_the_select_list() -> None:
    sql = "SELECT NULL AS A, CAST(NULL AS INT) AS B, 0 AS C FROM T"
    columns = [Column(name, FieldType.TEXT) for name in "ABC"]
    positions = output_positions(sql, columns)
    assert positions.nulls == (True, True, False)
    assert positions.select_list is not None
    assert sql[positions.select_list.start : positions.select_list.end] == (
        "NULL AS A, CAST(NULL AS INT) AS B, 0 AS C"
    )


def test_conversions_between_every_pair_of_types() -> None:
    verdicts = {
        (source, target): conversion(source, target)
        for source, target in itertools.product(FieldType, FieldType)
    }
    for (source, target), verdict in verdicts.items():
        if source is target or (source in TEXT_LIKE and target in TEXT_LIKE):
            assert verdict.ok, (source, target)
        if not verdict.ok:
            assert verdict.why, (source, target)
    never = {pair for pair, verdict in verdicts.items() if verdict.never}
    assert (FieldType.DATE, FieldType.NUMBER) in never
    assert (FieldType.DATE, FieldType.BOOLEAN) in never
    assert (FieldType.BOOLEAN, FieldType.DATE) in never
    sometimes = {pair for pair, v in verdicts.items() if not v.ok and not v.never}
    assert (FieldType.TEXT, FieldType.NUMBER) in sometimes
    assert (FieldType.DECIMAL, FieldType.NUMBER) in sometimes
    assert (FieldType.DATE, FieldType.TEXT) in sometimes
    assert verdicts[(FieldType.NUMBER, FieldType.DECIMAL)].ok
    assert verdicts[(FieldType.NUMBER, FieldType.TEXT)].ok


def test_lengths() -> None:
    assert target_length(FieldType.EMAIL_ADDRESS, None) == 254
    assert target_length(FieldType.TEXT, None) == 4000
    assert target_length(FieldType.TEXT, 20) == 20
    assert target_length(FieldType.NUMBER, None) is None
    assert text_length(Column("n", FieldType.NUMBER)) == 11
    assert text_length(Column("d", FieldType.DECIMAL, precision=10, scale=2)) == 12
    assert text_length(Column("t", FieldType.TEXT)) is None
