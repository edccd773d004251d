"""A run's result read back from its shell DE: typed, JSON-safe, in order, only its own rows.

Every corpus query is run twice in the simulator: as written, into a DE with the corpus's own
fields (what MCE's query API writes for that SQL: the oracle), and in its run form (tsql's
rewrite) into a shell DE built from tsql's inferred columns that already holds another run's
rows. The result reader's pages, read over HTTP through the client, must equal the oracle's
rows value by value, in the query's ORDER BY order when it has one.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from client.errors import MceUnavailable
from client.rest.api import RestClient
from client.rest.rowsets import RowsetReader
from client.values import FieldType, Value, convert_value, field_specs
from services.runs.results import (
    MAX_SAFE_INTEGER,
    JsonValue,
    ResultColumn,
    ResultPage,
    ResultReader,
    ResultSource,
    csv_chunks,
    encode_row,
    encode_value,
)
from simulator.sql import QueryCatalog, run_query
from simulator.state import Simulator
from tests.client.conftest import Bridge
from tests.simulator.query_corpus import CORPUS, CorpusQuery
from tests.simulator.query_corpus import create_target as create_oracle_target
from tests.tsql.test_oracle_targets import catalog_for, create_target
from tsql import prepare_run

# -- value encoding ---------------------------------------------------------------------------


def test_integers_beyond_two_to_the_53_become_strings() -> None:
    assert encode_value(MAX_SAFE_INTEGER) == MAX_SAFE_INTEGER
    assert encode_value(-MAX_SAFE_INTEGER) == -MAX_SAFE_INTEGER
    assert encode_value(MAX_SAFE_INTEGER + 1) == "9007199254740992"
    assert encode_value(-MAX_SAFE_INTEGER - 1) == "-9007199254740992"


def test_decimals_are_strings_keeping_their_scale() -> None:
    assert encode_value(Decimal("12.50")) == "12.50"
    assert encode_value(Decimal("1E+2")) == "100"
    assert encode_value(Decimal("-0.001")) == "-0.001"


def test_booleans_text_and_null_pass_through() -> None:
    assert encode_value(True) is True
    assert encode_value(False) is False
    assert encode_value("x") == "x"
    assert encode_value(None) is None


def test_user_dates_have_no_zone_and_system_dates_are_in_cst() -> None:
    assert encode_value(datetime(2024, 3, 1, 13, 5, 9)) == "2024-03-01T13:05:09"
    # MCE's system time is UTC-6 all year: 18:00 UTC is noon there, in summer too.
    assert encode_value(datetime(2024, 7, 1, 18, 0, tzinfo=UTC)) == "2024-07-01T12:00:00-06:00"


def test_decimals_read_from_a_wider_shell_come_back_at_the_columns_scale() -> None:
    column = ResultColumn("Amount", FieldType.DECIMAL, scale=2)
    assert column.encode(Decimal("12.50000000")) == "12.50"
    assert column.encode(Decimal("-0.10000000")) == "-0.10"
    assert column.encode(Decimal("7")) == "7"  # never padded either
    # A value with more digits than the column's scale is never rounded away.
    assert column.encode(Decimal("1.23456")) == "1.23456"
    assert ResultColumn("X", FieldType.DECIMAL).encode(Decimal("1.500")) == "1.500"
    assert ResultColumn.parse_type("X", "Decimal", scale=2).scale == 2
    assert ResultColumn.parse_type("X", "Decimal", scale=-1).scale is None


def test_rows_keep_the_users_columns_in_order_and_drop_helper_columns() -> None:
    columns = [ResultColumn("B", FieldType.NUMBER), ResultColumn("A", FieldType.TEXT)]
    row: dict[str, Value] = {"A": "a", "QuarryRunMarker": "run-1", "B": 7, "QuarryRowNumber": 3}
    assert encode_row(row, columns) == [7, "a"]


def test_a_marker_that_could_escape_the_filter_is_refused() -> None:
    column = (ResultColumn("A", FieldType.TEXT),)
    with pytest.raises(ValueError, match="marker"):
        ResultSource(key="k", columns=column, marker_column="M", marker="x' or 1 eq 1 or 'a")
    with pytest.raises(ValueError, match="helper"):
        ResultSource(key="k", columns=column, marker_column="M eq 1", marker="x")
    source = ResultSource(
        key="k", columns=column, marker_column="M", marker="run-1", order_column="N"
    )
    assert (source.filter, source.order_by) == ("M eq 'run-1'", "N asc")


def test_stored_type_names_map_to_field_types() -> None:
    assert ResultColumn.parse_type("x", "decimal").field_type is FieldType.DECIMAL
    assert ResultColumn.parse_type("x", None).field_type is FieldType.TEXT
    assert ResultColumn.parse_type("x", "Whatever").field_type is FieldType.TEXT


# -- against the simulator ------------------------------------------------------------------


def engine_for(sim: Simulator) -> QueryCatalog:
    return QueryCatalog(
        store=sim.store,
        rows=sim.rows,
        views=sim.dataviews,
        now=sim.clock.server_now,
        utcnow=sim.clock.utcnow,
    )


def rest_of(bridge: Bridge) -> RestClient:
    return RestClient(caller=bridge.caller, endpoints=bridge.endpoints, target=bridge.target)


async def shell_run(sim: Simulator, *, sql: str, key: str, marker: str) -> ResultSource:
    """``sql``'s run form written into a new shell DE ``key`` of the parent BU, after another
    run's rows (a marker of the same length) were written there: what a reused shell holds."""
    mid = sim.store.enterprise.eid
    stale_marker = "0" + marker[1:]
    assert stale_marker.casefold() != marker.casefold()
    engine = engine_for(sim)
    catalog = catalog_for(sim, mid)
    stale = await prepare_run(sql, catalog=catalog, marker=stale_marker)
    rewrite = await prepare_run(sql, catalog=catalog, marker=marker)
    assert rewrite.sql is not None and stale.sql is not None, rewrite.findings
    create_target(sim, mid=mid, key=key, columns=rewrite.columns)
    shell = sim.store.get_de(mid, customer_key=key)
    assert shell is not None
    run_query(engine, mid=mid, text=stale.sql, target=shell, update_type="Append")
    run_query(engine, mid=mid, text=rewrite.sql, target=shell, update_type="Append")
    helpers = {rewrite.marker_column, rewrite.order_column}
    return ResultSource(
        key=key,
        columns=tuple(
            ResultColumn(c.name, FieldType(c.field_type.value), scale=c.scale)
            for c in rewrite.columns
            if c.name not in helpers
        ),
        marker_column=rewrite.marker_column,
        marker=marker,
        order_column=rewrite.order_column,
    )


async def oracle_rows(
    sim: Simulator, bridge: Bridge, *, query: CorpusQuery, key: str, names: Sequence[str]
) -> list[list[JsonValue]]:
    """What MCE's query API writes for ``query`` into a DE of the corpus's own fields, read
    back through the client and encoded, columns in ``names``' order."""
    mid = sim.store.enterprise.eid
    target = create_oracle_target(sim, mid=mid, key=key, query=query)
    run_query(engine_for(sim), mid=mid, text=query.text, target=target, update_type="Overwrite")
    fields = field_specs([(f.name, f.field_type) for f in query.fields])
    reader = RowsetReader(rest=rest_of(bridge), key=key, fields=fields)
    columns = [ResultColumn(name, FieldType.TEXT) for name in names]
    return [encode_row(row, columns) async for row in reader.rows()]


async def all_pages(reader: ResultReader, *, after: int = 0, page_size: int) -> list[ResultPage]:
    return [page async for page in reader.pages(after=after, page_size=page_size)]


def rows_of(pages: Sequence[ResultPage]) -> list[list[JsonValue]]:
    return [row for page in pages for row in page.rows]


def canonical(rows: list[list[JsonValue]]) -> list[str]:
    return sorted(repr(row) for row in rows)


def is_top_ordered_query(query: CorpusQuery) -> bool:
    """The corpus's one query whose output is ordered (others use ORDER BY inside OVER)."""
    return query.text.startswith("SELECT TOP 100 ") and query.text.endswith(" DESC")


@pytest.mark.parametrize("query", CORPUS, ids=[q.name for q in CORPUS])
async def test_each_corpus_query_reads_back_as_the_query_api_writes_it(
    sim: Simulator, bridge: Bridge, query: CorpusQuery
) -> None:
    index = CORPUS.index(query)
    source = await shell_run(sim, sql=query.text, key=f"shell_{index}", marker=f"run-{index}")
    names = [column.name for column in source.columns]
    assert [name.casefold() for name in names] == [f.name.casefold() for f in query.fields]
    expected = await oracle_rows(sim, bridge, query=query, key=f"oracle_{index}", names=names)
    assert expected, "every corpus query writes rows"

    reader = ResultReader(rest=rest_of(bridge), source=source, mce_page_size=40, prefetch=3)
    pages = await all_pages(reader, page_size=17)
    got = rows_of(pages)
    assert canonical(got) == canonical(expected)  # value by value, helper columns gone
    assert [page.offset for page in pages] == list(range(0, len(got), 17)) or len(got) == 0
    assert [page.last for page in pages] == [False] * (len(pages) - 1) + [True]
    assert {page.total for page in pages} == {len(expected)}
    if is_top_ordered_query(query):
        assert source.order_column is not None
        assert len(got) == 100  # TOP respected
        values = [Decimal(str(row[1])) for row in got]
        assert values == sorted(values, reverse=True)  # ORDER BY ... DESC kept


async def test_random_access_pages_are_slices_of_the_stream(sim: Simulator, bridge: Bridge) -> None:
    sql = "SELECT TOP 250 SubscriberKey, LoyaltyPoints FROM Subscribers ORDER BY SubscriberKey"
    source = await shell_run(sim, sql=sql, key="shell_slices", marker="run-slices")
    reader = ResultReader(rest=rest_of(bridge), source=source, mce_page_size=60)
    everything = rows_of(await all_pages(reader, page_size=100))
    assert len(everything) == 250
    keys = [str(row[0]).casefold() for row in everything]
    assert keys == sorted(keys)
    for offset, limit in ((0, 50), (50, 50), (37, 45), (55, 10), (240, 30), (249, 1)):
        page = await reader.page(offset=offset, limit=limit)
        assert page.rows == everything[offset : offset + limit], (offset, limit)
        assert page.total == 250
        assert page.last is (offset + limit >= 250)
    beyond = await reader.page(offset=300, limit=10)
    assert (beyond.rows, beyond.last) == ([], True)


async def test_a_stream_resumes_after_the_rows_a_client_has(sim: Simulator, bridge: Bridge) -> None:
    sql = "SELECT TOP 130 SubscriberKey FROM Subscribers ORDER BY SubscriberKey DESC"
    source = await shell_run(sim, sql=sql, key="shell_resume", marker="run-resume")
    reader = ResultReader(rest=rest_of(bridge), source=source, mce_page_size=50)
    everything = rows_of(await all_pages(reader, page_size=25))
    for after in (1, 49, 50, 51, 129):
        pages = await all_pages(reader, after=after, page_size=25)
        assert pages[0].offset == after
        assert rows_of(pages) == everything[after:], after
    tail = await all_pages(reader, after=130, page_size=25)
    assert [(p.offset, p.rows, p.last) for p in tail] == [(130, [], True)]


async def test_an_empty_result_is_one_empty_last_page(sim: Simulator, bridge: Bridge) -> None:
    sql = "SELECT SubscriberKey FROM Subscribers WHERE SubscriberKey = 'nobody at all'"
    source = await shell_run(sim, sql=sql, key="shell_empty", marker="run-empty")
    reader = ResultReader(rest=rest_of(bridge), source=source)
    pages = await all_pages(reader, page_size=10)
    assert [(p.offset, p.rows, p.total, p.last) for p in pages] == [(0, [], 0, True)]


async def test_a_slow_consumer_holds_the_reader_back(sim: Simulator, bridge: Bridge) -> None:
    """Backpressure: with the consumer parked after its first page, the reader has asked MCE
    for at most the first page and ``prefetch`` more, not the whole result."""
    sql = "SELECT SubscriberKey, EmailAddress FROM Subscribers"
    source = await shell_run(sim, sql=sql, key="shell_slow", marker="run-slow")
    reader = ResultReader(rest=rest_of(bridge), source=source, mce_page_size=10, prefetch=2)
    before = bridge.op_count("rest.rowset.get")
    stream = reader.pages(page_size=10)
    first = await anext(stream)
    assert first.total > 60  # at least 7 MCE pages exist
    second = await anext(stream)
    assert second.offset == 10
    asked = bridge.op_count("rest.rowset.get") - before
    assert asked <= 1 + 2 + 1
    await stream.aclose()
    assert bridge.op_count("rest.rowset.get") - before <= 1 + 2 + 1


async def test_csv_export_has_a_header_and_the_rows(sim: Simulator, bridge: Bridge) -> None:
    sql = (
        "SELECT TOP 30 SubscriberKey, FirstName + ', \"' + LastName + '\"' AS Quoted, "
        "LifetimeValue, OptIn FROM Subscribers ORDER BY SubscriberKey"
    )
    source = await shell_run(sim, sql=sql, key="shell_csv", marker="run-csv")
    reader = ResultReader(rest=rest_of(bridge), source=source, mce_page_size=7)
    rows = rows_of(await all_pages(reader, page_size=7))
    body = b"".join([chunk async for chunk in csv_chunks(reader, page_size=7)]).decode()
    assert body.endswith("\r\n")
    parsed = list(csv.reader(io.StringIO(body, newline="")))
    assert parsed[0] == ["SubscriberKey", "Quoted", "LifetimeValue", "OptIn"]
    text = [
        [
            "" if v is None else ("true" if v is True else "false" if v is False else str(v))
            for v in r
        ]
        for r in rows
    ]
    assert parsed[1:] == text
    assert any('"' in row[1] and "," in row[1] for row in parsed[1:])


@pytest.mark.slow
async def test_a_slow_consumer_of_200k_rows_never_has_more_than_a_window_read_ahead(
    sim: Simulator, bridge: Bridge
) -> None:
    """200,000 rows to a consumer slower than MCE: at every page the reader has asked MCE for
    at most the pages consumed plus ``prefetch`` (and the one being cut), so what it holds is
    bounded whatever the result's size; every row arrives once, in ORDER BY order."""
    sql = (
        "SELECT TOP 200000 a.SubscriberKey AS A, b.SubscriberKey AS B FROM Subscribers a "
        "CROSS JOIN Subscribers b ORDER BY a.SubscriberKey, b.SubscriberKey"
    )
    source = await shell_run(sim, sql=sql, key="shell_big", marker="run-big")
    prefetch = 3
    reader = ResultReader(rest=rest_of(bridge), source=source, prefetch=prefetch)
    before = bridge.op_count("rest.rowset.get")
    seen = 0
    previous: tuple[str, str] | None = None
    async for page in reader.pages(page_size=1000):
        assert page.offset == seen
        seen += len(page.rows)
        asked = bridge.op_count("rest.rowset.get") - before
        consumed_mce_pages = -(-seen // 2500)
        assert asked <= consumed_mce_pages + prefetch + 1, (seen, asked)
        for row in page.rows:
            current = (str(row[0]).casefold(), str(row[1]).casefold())
            assert previous is None or previous <= current
            previous = current
        await asyncio.sleep(0.002)
    assert seen == 200_000
    assert bridge.op_count("rest.rowset.get") - before == 80


async def test_rows_that_change_while_being_read_raise_instead_of_going_missing(
    sim: Simulator, bridge: Bridge
) -> None:
    """The shell written again with this run's marker mid-stream (MCE's eventual consistency,
    or a bug elsewhere): the next page disagrees with the first, and the reader says so."""
    sql = "SELECT TOP 100 SubscriberKey FROM Subscribers ORDER BY SubscriberKey"
    source = await shell_run(sim, sql=sql, key="shell_moving", marker="run-moving")
    reader = ResultReader(rest=rest_of(bridge), source=source, mce_page_size=30, prefetch=1)
    stream = reader.pages(page_size=30)
    first = await anext(stream)
    assert first.total == 100
    mid = sim.store.enterprise.eid
    again = await prepare_run(sql, catalog=catalog_for(sim, mid), marker="run-moving")
    shell = sim.store.get_de(mid, customer_key="shell_moving")
    assert again.sql is not None and shell is not None
    run_query(engine_for(sim), mid=mid, text=again.sql, target=shell, update_type="Append")
    with pytest.raises(MceUnavailable, match="changed while they were being read"):
        async for _ in stream:
            pass
    # A read that starts afresh sees one consistent (larger) result.
    fresh = await ResultReader(rest=rest_of(bridge), source=source).page(offset=0, limit=100)
    assert (fresh.total, len(fresh.rows)) == (200, 100)


async def test_system_dates_carry_mces_offset_and_stored_dates_none(
    sim: Simulator, bridge: Bridge
) -> None:
    sql = "SELECT TOP 5 SubscriberKey, EventDate FROM _Open ORDER BY EventDate DESC"
    stored = await shell_run(sim, sql=sql, key="shell_dates", marker="run-dates")
    key_column, date_column = stored.columns
    assert date_column.field_type is FieldType.DATE
    system = ResultSource(
        key=stored.key,
        columns=(key_column, ResultColumn(date_column.name, FieldType.DATE, system_generated=True)),
        marker_column=stored.marker_column,
        marker=stored.marker,
        order_column=stored.order_column,
    )
    naive = (await ResultReader(rest=rest_of(bridge), source=stored).page(offset=0, limit=5)).rows
    aware = (await ResultReader(rest=rest_of(bridge), source=system).page(offset=0, limit=5)).rows
    assert len(naive) == len(aware) == 5
    for (_, plain), (_, zoned) in zip(naive, aware, strict=True):
        assert isinstance(plain, str) and isinstance(zoned, str)
        assert datetime.fromisoformat(plain).tzinfo is None
        assert zoned == plain + "-06:00"  # the same wall-clock time, in MCE's system time


RAW_VALUES: dict[FieldType, list[str]] = {
    FieldType.DATE: [
        "6/13/2005 12:00:00 AM",
        "6/13/2005 12:00:00 PM",
        "12/31/1999 11:59:59 PM",
        "1/1/2024 1:05:09 AM",
        "2/29/2024 3:00:00 PM",
        "2/29/2023 3:00:00 PM",
        "13/1/2024 1:00:00 AM",
        "1/32/2024 1:00:00 AM",
        "1/1/2024 13:00:00 PM",
        "1/1/2024 0:00:00 AM",
        "1/1/2024 1:60:00 AM",
        "01/02/2024",
        "1/2/2024 1:5:9 am",
        " 6/13/2005 12:00:00 AM ",
        "2024-03-01T10:00:00",
        "2024-03-01T10:00:00+02:00",
        "1/1/0000 1:00:00 AM",
        "yesterday",
        "",
    ],
    FieldType.NUMBER: ["0", "-7", "9007199254740993", "12.5", "1_000", " 1", "", "١٢"],
    FieldType.DECIMAL: [
        "12.50000000",
        "-0.10000000",
        "7",
        "1.23456",
        ".5",
        "5.",
        "1E5",
        "",
        "NaN",
        "-0",
        "-0.00000000",
        "007.50",
        "000",
        "12.00000001",
        "-3.10",
        "+1.5",
        " 1.5",
        "1.5 ",
        "1234567890123456789012345678.50",
        "12345678901234567890123456789.50000000",
        "99999999999999999999999999999999999999",
        "9" * 80 + ".5000",
        "1." + "0" * 90,
    ],
    FieldType.BOOLEAN: ["True", "False", "1", "0", "true", "yes", ""],
    FieldType.TEXT: ["", "x", " padded ", "Ünïcode"],
    FieldType.EMAIL: ["a@b.c"],
}


def reference(raw: str, column: ResultColumn) -> JsonValue:
    converted = convert_value(
        raw, field_type=column.field_type, system_generated=column.system_generated
    )
    return column.encode(converted)


@pytest.mark.parametrize("system", [False, True])
@pytest.mark.parametrize("scale", [None, 0, 2, 8])
def test_raw_encoding_equals_converting_then_encoding(system: bool, scale: int | None) -> None:
    """The fast path (MCE's string straight to JSON) answers exactly what the client's typed
    conversion followed by the encoding answers, and refuses exactly what it refuses; so does
    a stream's remembering encoder, asked each value twice (the second from its memory)."""
    for field_type, raws in RAW_VALUES.items():
        column = ResultColumn("X", field_type, system_generated=system, scale=scale)
        remembering = column.raw_encoder()
        for raw in raws * 2:
            try:
                expected: JsonValue | type[Exception] = reference(raw, column)
            except ValueError as exc:
                expected = type(exc)
            if isinstance(expected, type):
                with pytest.raises(expected):
                    column.encode_raw(raw)
                with pytest.raises(expected):
                    remembering(raw)
            else:
                assert column.encode_raw(raw) == expected, (field_type, raw)
                assert remembering(raw) == expected, (field_type, raw)
    assert ResultColumn("X", FieldType.DATE).encode_raw(None) is None
    assert ResultColumn("X", FieldType.DATE).raw_encoder()(None) is None
    wide = ResultColumn("X", FieldType.DECIMAL, scale=2)  # 38 digits: never a context error
    assert wide.encode_raw("123456789012345678901234567890123456.50000000") == (
        "123456789012345678901234567890123456.50"
    )


def test_a_streams_encoder_reads_non_strings_as_their_text_and_forgets_beyond_its_size() -> None:
    """MCE sends strings; a value JSON decoded otherwise is read as its text, never mixed up
    with a string in the encoder's memory (``1`` and ``True`` hash alike), and the memory is
    bounded."""
    number = ResultColumn("N", FieldType.NUMBER).raw_encoder()
    assert number(1) == 1
    with pytest.raises(ValueError):
        number(True)  # "True" is no Number, whatever 1 encoded to
    text = ResultColumn("T", FieldType.TEXT).raw_encoder()
    assert (text(""), text(None), text(5), text("x")) == (None, None, "5", "x")
    dates = ResultColumn("D", FieldType.DATE).raw_encoder()
    for day in range(1, 29):
        for month in range(1, 13):
            for year in range(2000, 2020):
                raw = f"{month}/{day}/{year} 1:02:03 PM"
                assert dates(raw) == f"{year}-{month:02d}-{day:02d}T13:02:03"
    cache = next(
        cell.cell_contents
        for cell in dates.__closure__ or ()
        if isinstance(cell.cell_contents, dict)
    )
    assert 0 < len(cache) <= 4096


async def test_a_shell_overwritten_by_the_next_run_mid_stream_ends_the_stream(
    sim: Simulator, bridge: Bridge
) -> None:
    """The lease ended and the next run overwrote the shell while this run's rows were being
    streamed: they are gone from MCE, and the stream says so instead of ending short."""
    sql = "SELECT TOP 90 SubscriberKey FROM Subscribers ORDER BY SubscriberKey"
    source = await shell_run(sim, sql=sql, key="shell_taken", marker="run-taken")
    reader = ResultReader(rest=rest_of(bridge), source=source, mce_page_size=30, prefetch=1)
    stream = reader.pages(page_size=30)
    assert len((await anext(stream)).rows) == 30
    mid = sim.store.enterprise.eid
    following = await prepare_run(sql, catalog=catalog_for(sim, mid), marker="run-after")
    shell = sim.store.get_de(mid, customer_key="shell_taken")
    assert following.sql is not None and shell is not None
    run_query(engine_for(sim), mid=mid, text=following.sql, target=shell, update_type="Overwrite")
    with pytest.raises(MceUnavailable, match="changed while they were being read"):
        async for _ in stream:
            pass
