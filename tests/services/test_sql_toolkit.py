"""The SQL toolkit for a BU: the catalogue adapter (the metadata cache; here an empty one, as
for a BU never synced: tests/resolvers/test_metadata_catalog.py fills it), and validation,
formatting and completions resolved through it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from models import TenantContext
from services.sql_toolkit import (
    MAX_SQL_CHARS,
    THREAD_SQL_CHARS,
    MetadataCatalog,
    Purpose,
    analyse_sql,
    catalog_for,
    complete_sql,
    format_sql_text,
)
from tsql.catalog import MemoryCatalog
from tsql.format import format_sql
from tsql.types import Column, FieldType, Table, TableKind, TableName
from tsql.validate import validate

# The catalogue reads the metadata cache (nothing is cached for this tenant).
pytestmark = pytest.mark.usefixtures("db")

CHILD = TenantContext(tenant_id=10_001, mid=20_002, visible_mids=frozenset({20_001}))


async def test_an_empty_cache_knows_no_data_extension() -> None:
    catalog = catalog_for(CHILD)
    assert isinstance(catalog, MetadataCatalog)
    assert catalog.context == CHILD
    assert await catalog.lookup(TableName("Subscribers")) is None
    assert await catalog.lookup(TableName("Shared Products", shared=True)) is None
    assert await catalog.lookup(TableName("_EnterpriseAttribute")) is None
    assert list(await catalog.search("", limit=50)) == []


async def test_data_views_are_known_in_every_bu() -> None:
    sql = "SELECT s.JobID, s.EventDate, j.EmailName FROM _Sent s JOIN _Job j ON j.JobID = s.JobID"
    analysis = await analyse_sql(CHILD, sql=sql, purpose=Purpose.QUERY_ACTIVITY)
    assert analysis.valid, analysis.findings
    assert analysis.statement_kind == "SELECT"
    assert [(c.name, c.field_type) for c in analysis.columns] == [
        ("JobID", FieldType.NUMBER),
        ("EventDate", FieldType.DATE),
        ("EmailName", FieldType.TEXT),
    ]


@pytest.mark.parametrize("name", ["Subscribers", "ENT.[Shared Products]", "[My DE]"])
async def test_a_data_extension_not_cached_is_unknown(name: str) -> None:
    analysis = await analyse_sql(CHILD, sql=f"SELECT x FROM {name}", purpose=Purpose.RUN)  # noqa: S608
    assert [f.code for f in analysis.findings] == ["UNKNOWN_TABLE"]
    assert not analysis.valid


async def test_enterprise_attribute_offers_the_subscriber_id_alone() -> None:
    known = await analyse_sql(
        CHILD, sql="SELECT _SubscriberID FROM _EnterpriseAttribute", purpose=Purpose.RUN
    )
    assert known.valid, known.findings
    unknown = await analyse_sql(
        CHILD, sql="SELECT FirstName FROM _EnterpriseAttribute", purpose=Purpose.RUN
    )
    assert [f.code for f in unknown.findings] == ["UNKNOWN_COLUMN"]


async def test_the_purpose_is_passed_through() -> None:
    sql = "SELECT SubscriberKey FROM _Subscribers ORDER BY SubscriberKey"
    assert (await analyse_sql(CHILD, sql=sql, purpose=Purpose.RUN)).valid
    deploy = await analyse_sql(CHILD, sql=sql, purpose=Purpose.QUERY_ACTIVITY)
    assert [f.code for f in deploy.findings] == ["ORDER_BY_WITHOUT_TOP"]


async def test_repeated_texts_give_the_same_answer() -> None:
    sql = "SELECT SubscriberKey FROM _Subscribers WHERE Status = 'active'"
    first = await analyse_sql(CHILD, sql=sql, purpose=Purpose.RUN)
    assert await analyse_sql(CHILD, sql=sql, purpose=Purpose.RUN) == first


async def test_too_long_sql_is_a_finding_and_gets_no_completions() -> None:
    sql = "SELECT * FROM " + " " * MAX_SQL_CHARS  # noqa: S608 - a test text
    analysis = await analyse_sql(CHILD, sql=sql, purpose=Purpose.RUN)
    assert [f.code for f in analysis.findings] == ["SQL_TOO_LONG"]
    assert await complete_sql(CHILD, sql=sql, offset=len(sql), limit=10) == ()


async def test_completions_come_from_the_data_views() -> None:
    completions = await complete_sql(CHILD, sql="SELECT * FROM _Bo", offset=17, limit=10)
    assert [c.label for c in completions] == ["_Bounce"]
    columns = await complete_sql(
        CHILD, sql="SELECT b.Bounce FROM _Bounce b", offset=len("SELECT b.Bounce"), limit=10
    )
    assert {"BounceCategory", "BounceType"} <= {c.label for c in columns}


async def test_formatting_needs_no_bu() -> None:
    formatted = await format_sql_text(CHILD, sql="select JobID from _Job -- all jobs")
    assert formatted.changed
    assert "-- all jobs" in formatted.sql
    assert (await format_sql_text(CHILD, sql=formatted.sql)).changed is False


# ------------------------------------------------------------------ long SQL, off the loop
ORDERS_ARCHIVE = Table(
    name="Orders Archive",
    kind=TableKind.DATA_EXTENSION,
    columns=(Column("OrderID", FieldType.NUMBER), Column("Email", FieldType.TEXT)),
)


class _ThreadRecordingCatalog(MemoryCatalog):
    """One DE, and the threads its lookups and searches ran on."""

    def __init__(self) -> None:
        super().__init__([ORDERS_ARCHIVE])
        self.threads: set[int] = set()

    async def lookup(self, name: TableName) -> Table | None:
        self.threads.add(threading.get_ident())
        return await super().lookup(name)

    async def search(self, text: str, *, limit: int, shared: bool | None = None) -> Sequence[Table]:
        self.threads.add(threading.get_ident())
        return await super().search(text, limit=limit, shared=shared)


def _long_query(chars: int) -> str:
    """A valid query over the DE and a data view, ``chars`` long or a little more."""
    head = "SELECT o.OrderID, s.EmailAddress"
    tail = " FROM [Orders Archive] o JOIN _Subscribers s ON s.EmailAddress = o.Email"
    items: list[str] = []
    length = len(head) + len(tail)
    while length < chars:
        items.append(f", o.OrderID + {len(items)} AS n{len(items)}")
        length += len(items[-1])
    return head + "".join(items) + tail


async def test_long_sql_gets_the_librarys_answer_with_the_catalogue_on_the_callers_thread() -> None:
    catalog = _ThreadRecordingCatalog()
    sql = _long_query(THREAD_SQL_CHARS + 1)
    analysis = await analyse_sql(CHILD, sql=sql, purpose=Purpose.RUN, catalog=catalog)
    expected = await validate(sql, purpose=Purpose.RUN, catalog=MemoryCatalog([ORDERS_ARCHIVE]))
    assert analysis == expected
    assert analysis.valid, analysis.findings
    assert catalog.threads == {threading.get_ident()}


async def test_the_event_loop_keeps_running_while_long_sql_is_checked() -> None:
    sql = _long_query(60_000)
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    counting = asyncio.create_task(ticker())
    catalog = _ThreadRecordingCatalog()
    analysis = await analyse_sql(CHILD, sql=sql, purpose=Purpose.RUN, catalog=catalog)
    at_the_end = ticks
    done.set()
    await counting
    assert analysis.valid, analysis.findings[:3]
    assert at_the_end > 10, "the check held the event loop"


async def test_long_sql_completions_and_formatting_match_the_library() -> None:
    catalog = _ThreadRecordingCatalog()
    sql = _long_query(THREAD_SQL_CHARS + 1)
    cursor = len("SELECT o.")
    completions = await complete_sql(CHILD, sql=sql, offset=cursor, limit=10, catalog=catalog)
    assert {"OrderID", "Email"} <= {c.label for c in completions}
    typing = sql.replace("[Orders Archive]", "[Ord")
    cursor = typing.index("[Ord") + len("[Ord")
    tables = await complete_sql(CHILD, sql=typing, offset=cursor, limit=10, catalog=catalog)
    assert "Orders Archive" in [c.label for c in tables]
    assert catalog.threads == {threading.get_ident()}
    assert await format_sql_text(CHILD, sql=sql) == format_sql(sql)
