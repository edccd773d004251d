"""Agreement with the oracle: a DE built from tsql's inferred columns receives the query's rows.

For every query of the shared corpus that MCE accepts, tsql infers the output columns against a
catalogue read from the simulator's own DEs; a target DE is created in the simulator with
exactly those fields (types, lengths, precision/scale, NOT NULL where tsql says a value cannot
be NULL) and the simulator runs the query into it. A missing column, a length too short, a
wrong type or a wrong nullability fails the run. The run-form rewrite is checked the same way:
its rows, read back by the row-number column, come in the user's ORDER BY.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from simulator.model import DataExtension, Field
from simulator.model import FieldType as SimFieldType
from simulator.sql import QueryCatalog, compile_query, run_query, validate_query
from simulator.sql.wrapper import validated_query_text
from simulator.state import FieldSpec, Simulator
from tests.simulator.conftest import make_sim
from tests.simulator.helpers import bu_named, parent_mid
from tests.tsql.corpus import CORPUS, KNOWN_DISAGREEMENTS, CorpusCase
from tsql.catalog import MemoryCatalog
from tsql.infer import infer_output
from tsql.parse import parse
from tsql.rewrite import mce_wrapped, rewrite_for_run
from tsql.types import Column, FieldType, Table, TableKind

ACCEPTED = [case for case in CORPUS if case.valid and case.name not in KNOWN_DISAGREEMENTS]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    simulator = make_sim()
    yield simulator
    simulator.close()


@pytest.fixture(scope="module")
def engine(sim: Simulator) -> QueryCatalog:
    return QueryCatalog(
        store=sim.store,
        rows=sim.rows,
        views=sim.dataviews,
        now=sim.clock.server_now,
        utcnow=sim.clock.utcnow,
    )


def bu_mid(sim: Simulator, bu: str) -> int:
    return parent_mid(sim) if bu == "parent" else bu_named(sim, "US").mid


def _column(field: Field) -> Column:
    decimal = field.field_type is SimFieldType.DECIMAL
    return Column(
        name=field.name,
        field_type=FieldType(field.field_type.value),
        max_length=None if decimal else field.max_length,
        precision=field.max_length if decimal else None,
        scale=field.scale if decimal else None,
        nullable=not (field.is_required or field.is_primary_key),
        primary_key=field.is_primary_key,
    )


def _table(de: DataExtension, *, shared: bool) -> Table:
    return Table(
        name=de.name,
        kind=TableKind.DATA_EXTENSION,
        columns=tuple(_column(field) for field in de.fields),
        customer_key=de.customer_key,
        shared=shared,
    )


def catalog_for(sim: Simulator, mid: int) -> MemoryCatalog:
    """What tsql's caller would build from its metadata cache: the BU's own DEs, and the
    parent's shared DEs as ``ENT.``."""
    tables = [_table(de, shared=False) for de in sim.store.list_des(mid)]
    parent = sim.store.parent_mid(mid) or mid
    tables += [_table(de, shared=True) for de in sim.store.list_des(parent) if de.is_shared]
    return MemoryCatalog(tables)


def field_spec(column: Column) -> FieldSpec:
    """The DE field holding ``column``'s values, as the engine would create it."""
    decimal = column.field_type is FieldType.DECIMAL
    return FieldSpec(
        name=column.name,
        field_type=column.field_type.value,
        max_length=None if decimal else column.max_length,
        precision=column.precision if decimal else None,
        scale=column.scale if decimal else None,
        is_required=not column.nullable,
    )


def create_target(
    sim: Simulator, *, mid: int, key: str, columns: tuple[Column, ...]
) -> DataExtension:
    return sim.store.create_de(
        mid=mid, name=key, customer_key=key, fields=[field_spec(c) for c in columns]
    )


async def inferred_columns(sim: Simulator, case: CorpusCase, mid: int) -> tuple[Column, ...]:
    parsed = parse(case.text)
    assert parsed.statement is not None
    inference = await infer_output(parsed.statement, text=case.text, catalog=catalog_for(sim, mid))
    assert inference.findings == ()
    unknown = [(c.name, c.note) for c in inference.columns if not c.type_known]
    assert unknown == []
    return inference.columns


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.name for case in ACCEPTED])
async def test_a_target_built_from_inferred_columns_receives_the_rows(
    sim: Simulator, engine: QueryCatalog, case: CorpusCase
) -> None:
    mid = bu_mid(sim, case.bu)
    columns = await inferred_columns(sim, case, mid)
    key = f"tsql_target_{ACCEPTED.index(case)}"
    target = create_target(sim, mid=mid, key=key, columns=columns)
    valid = validate_query(engine, mid=mid, text=case.text, target=target, update_type="Overwrite")
    assert valid == []
    written = run_query(engine, mid=mid, text=case.text, target=target, update_type="Overwrite")
    assert written == sim.rows.count(target)
    compiled = compile_query(engine, mid=mid, text=case.text)
    assert [c.name.casefold() for c in columns] == [n.casefold() for n in compiled.columns]
    assert_same_families(columns, compiled.types)


#: The field types that hold each family of the simulator's (DuckDB's) bound output types.
_FAMILIES: dict[str, set[FieldType]] = {
    "VARCHAR": {FieldType.TEXT, FieldType.EMAIL_ADDRESS, FieldType.PHONE, FieldType.LOCALE},
    "INTEGER": {FieldType.NUMBER},
    "BIGINT": {FieldType.NUMBER},
    "SMALLINT": {FieldType.NUMBER},
    "TINYINT": {FieldType.NUMBER},
    "HUGEINT": {FieldType.NUMBER},
    "DECIMAL": {FieldType.DECIMAL},
    "DOUBLE": {FieldType.DECIMAL},
    "FLOAT": {FieldType.DECIMAL},
    "DATE": {FieldType.DATE},
    "TIMESTAMP": {FieldType.DATE},
    "TIMESTAMP WITH TIME ZONE": {FieldType.DATE},
    "BOOLEAN": {FieldType.BOOLEAN},
}


def assert_same_families(columns: tuple[Column, ...], types: tuple[str, ...]) -> None:
    """Each inferred field type is of the family the simulator bound (a Text target would
    accept a number, so the run alone does not prove the type)."""
    assert len(columns) == len(types)
    for column, bound in zip(columns, types, strict=True):
        family = bound.split("(")[0].strip()
        assert column.field_type in _FAMILIES[family], (column.name, column.field_type, bound)


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.name for case in ACCEPTED])
async def test_mce_wrapper_matches_the_simulators_validated_query_text(
    sim: Simulator, case: CorpusCase
) -> None:
    mid = bu_mid(sim, case.bu)
    columns = await inferred_columns(sim, case, mid)
    target = create_target(
        sim, mid=mid, key=f"tsql_wrapped_{ACCEPTED.index(case)}", columns=columns
    )
    parsed = parse(case.text)
    wrapped = mce_wrapped(
        parsed.statement, text=case.text, target=target.name, columns=[c.name for c in columns],
        mid=mid,
    )  # fmt: skip
    assert wrapped == validated_query_text(mid=mid, text=case.text, target=target)


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.name for case in ACCEPTED])
async def test_the_run_form_writes_the_same_rows_marked(
    sim: Simulator, engine: QueryCatalog, case: CorpusCase
) -> None:
    """The run form of every accepted query runs, into a DE built from its own columns, and
    writes as many rows as the query itself, each with the run's marker."""
    mid = bu_mid(sim, case.bu)
    columns = await inferred_columns(sim, case, mid)
    parsed = parse(case.text)
    assert parsed.statement is not None
    marker = f"run-{ACCEPTED.index(case)}"
    rewrite = rewrite_for_run(parsed.statement, text=case.text, columns=columns, marker=marker)
    assert rewrite.findings == ()
    assert rewrite.sql is not None
    plain = create_target(sim, mid=mid, key=f"tsql_plain_{marker}", columns=columns)
    expected = run_query(engine, mid=mid, text=case.text, target=plain, update_type="Overwrite")
    target = create_target(sim, mid=mid, key=f"tsql_{marker}", columns=rewrite.columns)
    written = run_query(engine, mid=mid, text=rewrite.sql, target=target, update_type="Overwrite")
    assert written == expected
    markers = sim.rows.fetch(target, columns=[rewrite.marker_column])
    assert {value for (value,) in markers} <= {marker}


# -- the run form ---------------------------------------------------------------------------

Row = dict[str, Any]


async def run_form_rows(sim: Simulator, engine: QueryCatalog, *, sql: str, key: str) -> list[Row]:
    """Run ``sql``'s run form in the parent BU; its rows in row-number order, each checked
    to carry the run's marker and a row number in 1..n."""
    mid = parent_mid(sim)
    parsed = parse(sql)
    assert parsed.statement is not None
    inference = await infer_output(parsed.statement, text=sql, catalog=catalog_for(sim, mid))
    assert inference.findings == ()
    rewrite = rewrite_for_run(parsed.statement, text=sql, columns=inference.columns, marker=key)
    assert rewrite.findings == ()
    assert rewrite.sql is not None
    order_column = rewrite.order_column
    assert order_column is not None
    target = create_target(sim, mid=mid, key=key, columns=rewrite.columns)
    assert (
        validate_query(engine, mid=mid, text=rewrite.sql, target=target, update_type="Overwrite")
        == []
    )
    run_query(engine, mid=mid, text=rewrite.sql, target=target, update_type="Overwrite")
    names = [column.name for column in rewrite.columns]
    rows = [
        dict(zip(names, values, strict=True)) for values in sim.rows.fetch(target, columns=names)
    ]
    assert {row[rewrite.marker_column] for row in rows} <= {key}
    rows.sort(key=lambda row: row[order_column])
    assert [row[order_column] for row in rows] == list(range(1, len(rows) + 1))
    return rows


def sort_value(value: Any) -> tuple[int, Any]:
    """SQL Server's order: NULL first, text case-insensitively."""
    if value is None:
        return (0, 0)
    return (1, value.casefold() if isinstance(value, str) else value)


def assert_ordered(values: list[tuple[Any, ...]], descending: tuple[bool, ...]) -> None:
    """Each pair of neighbours is in order by the ORDER BY keys and directions."""
    assert len(values) > 1
    for before, after in pairwise(values):
        for a, b, desc in zip(before, after, descending, strict=True):
            left, right = sort_value(a), sort_value(b)
            if left == right:
                continue
            assert (left > right) if desc else (left < right), (before, after)
            break


def de_rows(sim: Simulator, name: str, columns: list[str]) -> list[tuple[Any, ...]]:
    de = sim.store.get_de(parent_mid(sim), name=name)
    assert de is not None
    return sim.rows.fetch(de, columns=columns)


async def test_run_form_orders_by_output_columns(sim: Simulator, engine: QueryCatalog) -> None:
    rows = await run_form_rows(
        sim, engine, key="run_plain",
        sql="SELECT SubscriberKey, LoyaltyPoints FROM Subscribers "
        "ORDER BY LoyaltyPoints DESC, SubscriberKey",
    )  # fmt: skip
    assert len(rows) == len(de_rows(sim, "Subscribers", ["SubscriberKey"]))
    assert_ordered([(r["LoyaltyPoints"], r["SubscriberKey"]) for r in rows], (True, False))


async def test_run_form_orders_by_a_column_it_does_not_return(
    sim: Simulator, engine: QueryCatalog
) -> None:
    rows = await run_form_rows(
        sim, engine, key="run_hidden",
        sql="SELECT SubscriberKey FROM Subscribers ORDER BY LoyaltyPoints DESC",
    )  # fmt: skip
    points = dict(de_rows(sim, "Subscribers", ["SubscriberKey", "LoyaltyPoints"]))
    assert len(rows) == len(points)
    assert set(rows[0]) == {"SubscriberKey", "QuarryRunMarker", "QuarryRowNumber"}
    assert_ordered([(points[r["SubscriberKey"]],) for r in rows], (True,))


async def test_run_form_keeps_top(sim: Simulator, engine: QueryCatalog) -> None:
    rows = await run_form_rows(
        sim, engine, key="run_top",
        sql="SELECT TOP 25 SubscriberKey, LoyaltyPoints FROM Subscribers "
        "ORDER BY LoyaltyPoints DESC",
    )  # fmt: skip
    assert len(rows) == 25
    assert_ordered([(r["LoyaltyPoints"],) for r in rows], (True,))
    every = [
        points for _key, points in de_rows(sim, "Subscribers", ["SubscriberKey", "LoyaltyPoints"])
    ]
    assert rows[0]["LoyaltyPoints"] == max(p for p in every if p is not None)


async def test_run_form_keeps_offset_fetch(sim: Simulator, engine: QueryCatalog) -> None:
    rows = await run_form_rows(
        sim, engine, key="run_page",
        sql="SELECT OrderID, Amount FROM Orders ORDER BY Amount, OrderID "
        "OFFSET 10 ROWS FETCH NEXT 20 ROWS ONLY",
    )  # fmt: skip
    assert len(rows) == 20
    assert_ordered([(r["Amount"], r["OrderID"]) for r in rows], (False, False))
    everything = sorted(
        de_rows(sim, "Orders", ["Amount", "OrderID"]), key=lambda r: tuple(map(sort_value, r))
    )
    assert [r["OrderID"] for r in rows] == [order_id for _amount, order_id in everything[10:30]]


async def test_run_form_keeps_distinct(sim: Simulator, engine: QueryCatalog) -> None:
    rows = await run_form_rows(
        sim, engine, key="run_distinct",
        sql="SELECT DISTINCT Country FROM Subscribers ORDER BY Country DESC",
    )  # fmt: skip
    countries = [r["Country"] for r in rows]
    assert len(countries) == len({sort_value(c) for c in countries})
    assert {sort_value(c) for c in countries} == {
        sort_value(c) for (c,) in de_rows(sim, "Subscribers", ["Country"])
    }
    assert_ordered([(c,) for c in countries], (True,))


async def test_run_form_orders_a_union_by_position(sim: Simulator, engine: QueryCatalog) -> None:
    rows = await run_form_rows(
        sim, engine, key="run_union",
        sql="SELECT SubscriberKey, 'order' AS Source FROM Orders UNION "
        "SELECT SubscriberKey, 'web' FROM [Web Events 2024] ORDER BY 2 DESC, 1",
    )  # fmt: skip
    assert {r["Source"] for r in rows} == {"order", "web"}
    assert_ordered([(r["Source"], r["SubscriberKey"]) for r in rows], (True, False))


async def test_run_form_orders_groups_by_an_aggregate(sim: Simulator, engine: QueryCatalog) -> None:
    rows = await run_form_rows(
        sim, engine, key="run_groups",
        sql="SELECT Status, COUNT(*) AS N FROM Orders GROUP BY Status ORDER BY COUNT(*) DESC",
    )  # fmt: skip
    assert sum(r["N"] for r in rows) == len(de_rows(sim, "Orders", ["OrderID"]))
    assert_ordered([(r["N"],) for r in rows], (True,))


# -- one expression at a time ------------------------------------------------------------------

#: Expressions over the seeded Orders and Subscribers DEs (and data views) whose inferred type
#: must hold every value the simulator computes: lengths of formatted dates and numbers,
#: concatenations, conversions, arithmetic, aggregates.
EXPRESSIONS: list[tuple[str, str]] = [
    ("CONCAT(o.OrderID, '-', o.OrderDate, '-', o.Amount)", ""),
    (
        "(SELECT MAX(CONCAT(s.FirstName, ' ', s.LastName, ' ', s.LoyaltyPoints, s.OptIn)) "
        "FROM Subscribers s WHERE s.SubscriberKey = o.SubscriberKey)",
        "",
    ),
    ("CONVERT(VARCHAR(10), o.OrderDate, 101)", ""),
    ("CONVERT(VARCHAR, o.OrderDate, 120)", ""),
    ("CONVERT(NVARCHAR(30), o.OrderDate, 126)", ""),
    ("CAST(o.Amount AS VARCHAR(20))", ""),
    ("CAST(o.OrderID AS NVARCHAR(11)) + '/' + o.Currency", ""),
    ("FORMAT(o.OrderDate, 'dddd, MMMM dd, yyyy')", ""),
    ("FORMAT(o.Amount, 'N2')", ""),
    ("FORMAT(o.Amount * 1000000, 'C')", ""),
    ("DATENAME(weekday, o.OrderDate)", ""),
    ("DATENAME(month, o.OrderDate)", ""),
    ("DATEPART(week, o.OrderDate)", ""),
    ("DATEDIFF(day, o.OrderDate, GETDATE())", ""),
    ("DATEADD(hour, -6, o.OrderDate)", ""),
    ("EOMONTH(o.OrderDate)", ""),
    ("DATEFROMPARTS(YEAR(o.OrderDate), MONTH(o.OrderDate), 1)", ""),
    ("o.OrderDate AT TIME ZONE 'Central Standard Time' AT TIME ZONE 'UTC'", ""),
    ("o.Amount * o.OrderID", ""),
    ("o.Amount / 3", ""),
    ("o.OrderID / 7 + o.OrderID % 7", ""),
    ("ROUND(o.Amount * 1.175, 2)", ""),
    ("CEILING(o.Amount)", ""),
    ("SQRT(o.Amount)", ""),
    ("POWER(o.OrderID % 100, 2)", ""),
    ("ABS(o.Amount - 100)", ""),
    ("UPPER(LEFT(o.Status, 3)) + LOWER(RIGHT(o.Currency, 2))", ""),
    ("SUBSTRING(o.SubscriberKey, 3, 400)", ""),
    ("REPLACE(o.Status, 'e', 'EEE')", ""),
    ("REPLICATE(o.Currency, 3)", ""),
    ("STUFF(o.Status, 1, 1, 'XYZ')", ""),
    ("LTRIM(RTRIM(o.Status))", ""),
    ("REVERSE(o.SubscriberKey)", ""),
    ("ISNULL(o.Currency, 'none given')", ""),
    ("COALESCE(o.Status, o.Currency, 'n/a')", ""),
    ("NULLIF(o.Currency, 'USD')", ""),
    ("IIF(o.Amount > 100, o.Status, o.Currency)", ""),
    ("CASE WHEN o.Amount > 100 THEN o.Amount ELSE o.OrderID END", ""),
    ("CASE o.Status WHEN 'shipped' THEN 'S' WHEN 'cancelled' THEN 'Cancelled!' END", ""),
    ("LEN(o.SubscriberKey) + CHARINDEX('-', o.SubscriberKey)", ""),
    ("NEWID()", ""),
    ("CAST(o.IsGift AS INT)", ""),
    ("CAST(o.OrderID AS BIT)", ""),
    ("CAST(o.Amount AS DECIMAL(9, 1))", ""),
    ("SUM(o.Amount)", "GROUP BY"),
    ("AVG(o.Amount)", "GROUP BY"),
    ("AVG(o.OrderID)", "GROUP BY"),
    ("MAX(o.Status)", "GROUP BY"),
    ("COUNT(DISTINCT o.Status)", "GROUP BY"),
    ("SUM(o.Amount) OVER (PARTITION BY o.SubscriberKey ORDER BY o.OrderDate)", ""),
    ("LAG(o.Amount, 1, 0) OVER (ORDER BY o.OrderID)", ""),
    ("DENSE_RANK() OVER (ORDER BY o.Status)", ""),
    ("NTILE(4) OVER (ORDER BY o.Amount)", ""),
    ("(SELECT MAX(x.Amount) FROM Orders x WHERE x.SubscriberKey = o.SubscriberKey)", ""),
]


#: Where tsql's type differs from the simulator's, and why tsql is right.
KNOWN_TYPE_DIFFERENCES = {
    "POWER(o.OrderID % 100, 2)": "T-SQL's POWER returns its first argument's type (int here); "
    "the simulator computes it in DuckDB as a DOUBLE. The values are whole numbers either way.",
}


@pytest.mark.parametrize(("expression", "grouping"), EXPRESSIONS, ids=[e for e, _g in EXPRESSIONS])
async def test_an_expressions_inferred_type_holds_its_values(
    sim: Simulator, engine: QueryCatalog, expression: str, grouping: str
) -> None:
    group = " GROUP BY o.SubscriberKey" if grouping else ""
    sql = f"SELECT o.SubscriberKey AS K, {expression} AS X FROM Orders o{group}"  # noqa: S608
    case = CorpusCase(name=expression, text=sql)
    mid = parent_mid(sim)
    columns = await inferred_columns(sim, case, mid)
    key = f"tsql_expr_{EXPRESSIONS.index((expression, grouping))}"
    target = create_target(sim, mid=mid, key=key, columns=columns)
    written = run_query(engine, mid=mid, text=sql, target=target, update_type="Overwrite")
    assert written > 0
    compiled = compile_query(engine, mid=mid, text=sql)
    if expression in KNOWN_TYPE_DIFFERENCES:
        with pytest.raises(AssertionError):
            assert_same_families(columns, compiled.types)
    else:
        assert_same_families(columns, compiled.types)


UNORDERED = [
    case
    for case in ACCEPTED
    if "ORDER BY" not in case.text.upper()
    and " TOP " not in case.text.upper()
    and not case.text.rstrip().startswith("(")
]


@pytest.mark.parametrize("case", UNORDERED, ids=[case.name for case in UNORDERED])
async def test_any_accepted_query_ordered_by_its_first_column_reads_back_in_order(
    sim: Simulator, engine: QueryCatalog, case: CorpusCase
) -> None:
    sql = case.text.rstrip() + "\nORDER BY 1 DESC"
    mid = bu_mid(sim, case.bu)
    columns = await inferred_columns(sim, case, mid)
    parsed = parse(sql)
    assert parsed.statement is not None
    marker = f"ordered-{UNORDERED.index(case)}"
    rewrite = rewrite_for_run(parsed.statement, text=sql, columns=columns, marker=marker)
    assert rewrite.findings == ()
    assert rewrite.sql is not None
    assert rewrite.order_column is not None
    target = create_target(sim, mid=mid, key=f"tsql_{marker}", columns=rewrite.columns)
    run_query(engine, mid=mid, text=rewrite.sql, target=target, update_type="Overwrite")
    first = columns[0].name
    rows = sim.rows.fetch(target, columns=[rewrite.order_column, first])
    rows.sort(key=lambda row: row[0])
    assert [number for number, _value in rows] == list(range(1, len(rows) + 1))
    if len(rows) > 1:
        assert_ordered([(value,) for _number, value in rows], (True,))
