"""Rowset pages and row writes against the simulator over HTTP (REFERENCE §4.1, §4.2)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from client.errors import MceValidationError, NotFound
from client.rest.api import RestClient
from client.rest.rows import RowWrite, upsert_rows
from client.rest.rowsets import RowsetReader
from client.values import FieldSpec, FieldType
from tests.client.conftest import Bridge

ALL_TYPES = [
    FieldSpec("TextCol", FieldType.TEXT),
    FieldSpec("NumberCol", FieldType.NUMBER),
    FieldSpec("DateCol", FieldType.DATE),
    FieldSpec("BooleanCol", FieldType.BOOLEAN),
    FieldSpec("EmailCol", FieldType.EMAIL),
    FieldSpec("PhoneCol", FieldType.PHONE),
    FieldSpec("DecimalCol", FieldType.DECIMAL),
    FieldSpec("LocaleCol", FieldType.LOCALE),
]
ORDERS = [FieldSpec("OrderID", FieldType.NUMBER)]
STAGING = [FieldSpec("Id", FieldType.NUMBER), FieldSpec("Note", FieldType.TEXT)]
EXPECTED_TYPES = {
    "TextCol": str,
    "NumberCol": int,
    "DateCol": datetime,
    "BooleanCol": bool,
    "EmailCol": str,
    "PhoneCol": str,
    "DecimalCol": Decimal,
    "LocaleCol": str,
}


def rest_of(bridge: Bridge) -> RestClient:
    return RestClient(caller=bridge.caller, endpoints=bridge.endpoints, target=bridge.target)


async def test_typed_values_for_every_field_type(bridge: Bridge) -> None:
    reader = RowsetReader(rest=rest_of(bridge), key="all_types", fields=ALL_TYPES, page_size=10)
    rows = [row async for row in reader.rows()]
    assert len(rows) == 25
    full = [row for row in rows if row["NumberCol"] is not None]
    nulls = [row for row in rows if row["NumberCol"] is None]
    assert len(full) == 20 and len(nulls) == 5
    for row in full:
        assert {name: type(value) for name, value in row.items()} == EXPECTED_TYPES
        assert row["DateCol"].tzinfo is None  # type: ignore[union-attr]
        assert row["DecimalCol"].as_tuple().exponent == -3  # type: ignore[union-attr]
    for row in nulls:
        assert [name for name, value in row.items() if value is not None] == ["TextCol"]
    assert bridge.op_count("rest.rowset.token") == 2


async def test_random_access_by_page(bridge: Bridge) -> None:
    reader = RowsetReader(rest=rest_of(bridge), key="orders", fields=ORDERS, order_by="OrderID asc")
    last = await reader.page(3)
    assert last.count == 6000
    assert len(last.rows) == 1000
    assert last.next is None
    first = await reader.page(1)
    assert first.next is not None and first.next[1] == 2
    assert first.rows[0]["OrderID"] < last.rows[0]["OrderID"]  # type: ignore[operator]


async def test_token_expiry_mid_iteration_refreshes_once(bridge: Bridge) -> None:
    reader = RowsetReader(rest=rest_of(bridge), key="orders", fields=ORDERS)
    seen = 0
    async for page in reader.pages():
        seen += len(page.rows)
        if page.page == 1:
            bridge.control("tokens/expire", {})
    assert seen == 6000
    assert bridge.provider.fetches == 1
    assert bridge.op_count("rest.rowset.token") == 3


async def test_an_expired_continuation_falls_back_to_the_key(bridge: Bridge) -> None:
    reader = RowsetReader(rest=rest_of(bridge), key="orders", fields=ORDERS)
    pages = reader.pages()
    first = await anext(pages)
    bridge.control("clock/advance", {"seconds": 1300})
    second = await anext(pages)
    assert second.page == 2 and len(second.rows) == 2500
    assert first.rows[0] != second.rows[0]
    assert bridge.op_count("rest.rowset.get") == 2
    await pages.aclose()


async def test_unknown_de_is_not_found(bridge: Bridge) -> None:
    reader = RowsetReader(rest=rest_of(bridge), key="no_such_de", fields=ORDERS)
    with pytest.raises(NotFound) as caught:
        await reader.page(1)
    assert caught.value.mce_code == 30003


async def test_upsert_then_read_back(bridge: Bridge) -> None:
    rest = rest_of(bridge)
    sent = await upsert_rows(
        rest,
        key="empty_staging",
        rows=[RowWrite(keys={"Id": 1}, values={"Note": "one"}), RowWrite(keys={"Id": 2})],
    )
    assert sent == 2
    page = await RowsetReader(rest=rest, key="empty_staging", fields=STAGING).page(1)
    assert sorted(page.rows, key=lambda r: r["Id"]) == [  # type: ignore[arg-type, return-value]
        {"Id": 1, "Note": "one"},
        {"Id": 2, "Note": None},
    ]


async def test_upsert_validation_errors_are_typed(bridge: Bridge) -> None:
    with pytest.raises(MceValidationError) as caught:
        await upsert_rows(
            rest_of(bridge),
            key="empty_staging",
            rows=[RowWrite(keys={"Id": "not a number"}, values={"Nope": "x"})],
        )
    assert caught.value.mce_code == 10006
    assert {item["errorcode"] for item in caught.value.additional_errors} >= {10001}
