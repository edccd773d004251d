"""SoapOperations against the simulator over real HTTP: filters, BU switching with
``Client.ID``/``ClientIDs``, create/update/delete round trips and typed business errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TypeVar

import pytest

from client.errors import MceValidationError, NotFound, PermissionDenied
from client.soap import (
    DataExtensionChanges,
    FieldSpec,
    FolderChanges,
    NewDataExtension,
    NewFolder,
    Retention,
    SoapOperations,
)
from simulator.state import FieldSpec as SimField
from simulator.state import Simulator

T = TypeVar("T")


async def collect(items: AsyncIterator[T]) -> list[T]:
    return [item async for item in items]


async def test_folders_by_content_type_parent_and_all(soap: SoapOperations) -> None:
    everything = await collect(soap.folders())
    de_folders = await collect(soap.folders(content_type="dataextension"))
    roots = await collect(soap.folders(parent_id=0))
    assert {f.content_type for f in de_folders} == {"dataextension"}
    assert set(de_folders) < set(everything)
    assert {f.name for f in roots} >= {"Data Extensions", "Query"}
    assert all(f.parent_id == 0 and f.is_editable is False for f in roots)
    root = next(f for f in roots if f.content_type == "dataextension")
    children = await collect(soap.folders(content_type="dataextension", parent_id=root.id))
    assert children and all(f.parent_id == root.id for f in children)
    assert {f.name for f in children} >= {"Customers", "Sales"}


async def test_data_extensions_by_folder_key_name_and_modified_since(
    soap: SoapOperations,
) -> None:
    everything = await collect(soap.data_extensions())
    orders = await collect(soap.data_extensions(customer_key="Orders"))
    assert [d.name for d in orders] == ["Orders"]
    assert orders[0].object_id and orders[0].category_id
    by_name = await collect(soap.data_extensions(name="Web Events 2024"))
    assert [d.customer_key for d in by_name] == ["web_events_2024"]
    in_folder = await collect(soap.data_extensions(folder_id=orders[0].category_id))
    assert "Orders" in {d.customer_key for d in in_folder}
    assert {d.category_id for d in in_folder} == {orders[0].category_id}
    oldest = min(d.modified_date for d in everything if d.modified_date)
    since = await collect(soap.data_extensions(modified_since=datetime(2000, 1, 1)))
    assert len(since) == len(everything)
    assert await collect(soap.data_extensions(modified_since=oldest.replace(year=3000))) == []


async def test_fields_of_one_and_of_many_data_extensions(soap: SoapOperations) -> None:
    des = await collect(soap.data_extensions())
    keys = [d.customer_key or "" for d in des]
    one = await collect(soap.data_extension_fields(["Orders"]))
    assert one and {f.data_extension_key for f in one} == {"Orders"}
    assert sorted(f.ordinal or 0 for f in one) == list(range(len(one)))
    bulk = await collect(soap.data_extension_fields(keys, keys_per_call=3))
    assert {f.data_extension_key for f in bulk} == set(keys)
    assert len(bulk) == len(await collect(soap.data_extension_fields(None)))
    subscribers = await collect(soap.data_extension_fields(["Subscribers"]))
    key_field = next(f for f in subscribers if f.name == "SubscriberKey")
    assert key_field.is_primary_key and key_field.is_required


async def test_business_units_the_user_can_reach(
    soap: SoapOperations, mids: dict[str, int]
) -> None:
    units = await collect(soap.business_units())
    assert {u.id for u in units} == set(mids.values())
    parent = next(u for u in units if u.id == mids["parent"])
    assert parent.account_type == "ENTERPRISE_2" and parent.is_active is True
    assert {u.parent_id for u in units if u.id != mids["parent"]} == {mids["parent"]}


async def test_client_id_addresses_another_business_unit(
    soap: SoapOperations, sim: Simulator, mids: dict[str, int]
) -> None:
    sim.store.create_de(
        mid=mids["us"], name="Only US", customer_key="only_us", fields=[SimField("A", "Text")]
    )
    assert await collect(soap.data_extensions(customer_key="only_us")) == []
    found = await collect(soap.data_extensions(customer_key="only_us", client_id=mids["us"]))
    assert [d.name for d in found] == ["Only US"]
    fields = await collect(soap.data_extension_fields(["only_us"], client_id=mids["us"]))
    assert [f.name for f in fields] == ["A"]

    spec = NewDataExtension(
        customer_key="made_in_eu", name="Made in EU", fields=[FieldSpec(name="B")]
    )
    await soap.create_data_extension(spec, client_id=mids["eu"])
    assert sim.store.get_de(mids["eu"], customer_key="made_in_eu") is not None
    assert sim.store.get_de(mids["parent"], customer_key="made_in_eu") is None
    await soap.delete_data_extension("made_in_eu", client_id=mids["eu"])
    assert sim.store.get_de(mids["eu"], customer_key="made_in_eu") is None

    in_us = await collect(soap.folders(client_id=mids["us"]))
    assert {f.client_id for f in in_us} == {mids["us"]}
    everywhere = await collect(soap.folders(query_all_accounts=True))
    assert {f.client_id for f in everywhere} == set(mids.values())


async def test_unreachable_business_unit_is_permission_denied(soap: SoapOperations) -> None:
    with pytest.raises(PermissionDenied) as raised:
        await collect(soap.data_extensions(client_id=999_999))
    assert "999999" in str(raised.value)


async def test_data_extension_and_field_round_trip(soap: SoapOperations) -> None:
    root = (await collect(soap.folders(content_type="dataextension", parent_id=0)))[0]
    spec = NewDataExtension(
        customer_key="round_trip",
        name="Round Trip",
        fields=[
            FieldSpec(name="Id", field_type="Number", is_primary_key=True, is_required=True),
            FieldSpec(name="Price", field_type="Decimal", precision=10, scale=2),
        ],
        category_id=root.id,
        description="made by a test",
        retention=Retention(length=2, period="Weeks"),
    )
    created = await soap.create_data_extension(spec)
    assert created.ok and created.new_object_id
    [made] = await collect(soap.data_extensions(customer_key="round_trip"))
    assert (made.object_id, made.category_id) == (created.new_object_id, root.id)
    assert (made.retention_length, made.retention_period) == (2, "Weeks")

    await soap.update_data_extension(
        DataExtensionChanges(customer_key="round_trip", description="changed")
    )
    await soap.create_fields("round_trip", [FieldSpec(name="Note", field_type="Text")])
    await soap.update_fields("round_trip", [FieldSpec(name="Note", max_length=120)])
    fields = {f.name: f for f in await collect(soap.data_extension_fields(["round_trip"]))}
    assert fields["Note"].max_length == 120
    assert (fields["Price"].precision, fields["Price"].scale) == (10, 2)
    await soap.delete_fields("round_trip", ["Note"])
    fields = {f.name: f for f in await collect(soap.data_extension_fields(["round_trip"]))}
    assert set(fields) == {"Id", "Price"}
    [changed] = await collect(soap.data_extensions(customer_key="round_trip"))
    assert changed.description == "changed"

    with pytest.raises(MceValidationError) as duplicate:
        await soap.create_data_extension(spec)
    assert duplicate.value.mce_message and "already exists" in duplicate.value.mce_message

    await soap.delete_data_extension("round_trip")
    with pytest.raises(NotFound):
        await soap.delete_data_extension("round_trip")
    assert await soap.delete_data_extension("round_trip", missing_ok=True) is None


async def test_folder_round_trip(soap: SoapOperations) -> None:
    root = (await collect(soap.folders(content_type="dataextension", parent_id=0)))[0]
    assert root.id is not None
    created = await soap.create_folder(
        NewFolder(name="Quarry", content_type="dataextension", parent_id=root.id, customer_key="qf")
    )
    assert created.new_id
    await soap.update_folder(FolderChanges(id=created.new_id, name="Quarry 2"))
    [folder] = [f for f in await collect(soap.folders(parent_id=root.id)) if f.customer_key == "qf"]
    assert (folder.id, folder.name) == (created.new_id, "Quarry 2")
    await soap.delete_folder(created.new_id)
    with pytest.raises(NotFound):
        await soap.delete_folder(created.new_id)
