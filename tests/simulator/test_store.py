"""Store validation: the MCE-like rules SOAP and REST rely on."""

from __future__ import annotations

import pytest

from simulator.state import ErrorCode, FieldSpec, MceValidationError, Simulator

from .helpers import bu_named


def _text(name: str = "Name", **kw: object) -> FieldSpec:
    return FieldSpec(name=name, field_type="Text", max_length=50, **kw)  # type: ignore[arg-type]


def _create(sim: Simulator, **kw: object) -> object:
    args: dict[str, object] = {
        "mid": sim.store.enterprise.eid,
        "name": "New DE",
        "fields": [_text()],
    }
    args.update(kw)
    return sim.store.create_de(**args)  # type: ignore[arg-type]


def _code(sim: Simulator, **kw: object) -> int:
    with pytest.raises(MceValidationError) as caught:
        _create(sim, **kw)
    assert caught.value.message
    return caught.value.code


def test_duplicate_name_is_mce_310007(sim: Simulator) -> None:
    with pytest.raises(MceValidationError) as caught:
        _create(sim, name="orders")
    assert caught.value.code == 310007
    assert caught.value.message == "A data extension named orders already exists."


def test_same_name_in_another_bu_is_fine(sim: Simulator) -> None:
    qa = bu_named(sim, "Sandbox")
    de = sim.store.create_de(mid=qa.mid, name="Brand New", fields=[_text()])
    assert de.mid == qa.mid and de.customer_key == de.object_id.upper()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"customer_key": "ORDERS"}, ErrorCode.DUPLICATE_KEY),
        ({"customer_key": "k" * 201}, ErrorCode.INVALID_VALUE),
        ({"name": ""}, ErrorCode.MISSING_PROPERTY),
        ({"name": None}, ErrorCode.MISSING_PROPERTY),
        ({"fields": []}, ErrorCode.MISSING_PROPERTY),
        ({"folder_id": 999_999}, ErrorCode.FOLDER_NOT_FOUND),
        ({"fields": [FieldSpec(name=None)]}, ErrorCode.MISSING_PROPERTY),
        ({"fields": [_text("_Reserved")]}, ErrorCode.INVALID_FIELD_NAME),
        ({"fields": [_text("Bad[Name]")]}, ErrorCode.INVALID_FIELD_NAME),
        ({"fields": [_text(" padded")]}, ErrorCode.INVALID_FIELD_NAME),
        ({"fields": [_text("x" * 129)]}, ErrorCode.INVALID_FIELD_NAME),
        ({"fields": [_text("A"), _text("a")]}, ErrorCode.DUPLICATE_FIELD_NAME),
        ({"fields": [FieldSpec(name="A", field_type="Blob")]}, ErrorCode.INVALID_FIELD_TYPE),
        (
            {"fields": [FieldSpec(name="A", field_type="Text", max_length=4001)]},
            ErrorCode.INVALID_LENGTH,
        ),
        (
            {"fields": [FieldSpec(name="A", field_type="Text", max_length=0)]},
            ErrorCode.INVALID_LENGTH,
        ),
        (
            {"fields": [FieldSpec(name="A", field_type="EmailAddress", max_length=300)]},
            ErrorCode.INVALID_LENGTH,
        ),
        (
            {"fields": [FieldSpec(name="A", field_type="Decimal", precision=39)]},
            ErrorCode.INVALID_LENGTH,
        ),
        (
            {"fields": [FieldSpec(name="A", field_type="Decimal", precision=5, scale=6)]},
            ErrorCode.INVALID_LENGTH,
        ),
        (
            {"fields": [FieldSpec(name="A", field_type="Number", default_value="x")]},
            ErrorCode.INVALID_VALUE,
        ),
        (
            {"fields": [FieldSpec(name="A", field_type="Boolean", is_primary_key=True)]},
            ErrorCode.INVALID_VALUE,
        ),
        ({"is_sendable": True}, ErrorCode.INVALID_SENDABLE),
        (
            {
                "is_sendable": True,
                "sendable_field": "Nope",
                "sendable_subscriber_field": "Subscriber Key",
            },
            ErrorCode.INVALID_SENDABLE,
        ),
        ({"data_retention_period_length": 0}, ErrorCode.INVALID_VALUE),
        (
            {"data_retention_period_length": 1, "data_retention_period": "Fortnights"},
            ErrorCode.INVALID_VALUE,
        ),
    ],
)
def test_create_de_validation(sim: Simulator, kwargs: dict[str, object], code: int) -> None:
    assert _code(sim, **kwargs) == code


def test_field_defaults_and_decimal_precision(sim: Simulator) -> None:
    de = sim.store.create_de(
        mid=sim.store.enterprise.eid,
        name="Typed",
        fields=[
            FieldSpec(name="Mail", field_type="emailaddress"),
            FieldSpec(name="Price", field_type="Decimal", precision=10, scale=2),
            FieldSpec(name="Id", field_type="Number", is_primary_key=True),
            FieldSpec(name="Untyped"),
        ],
        data_retention_period_length=2,
        data_retention_period="weeks",
        delete_at_end_of_retention_period=True,
    )
    mail, price, pk, untyped = sim.store.list_fields(de)
    assert (mail.field_type.value, mail.max_length) == ("EmailAddress", 254)
    assert (price.max_length, price.scale, price.precision) == (10, 2, 10)
    assert pk.is_required and pk.is_primary_key
    assert untyped.field_type.value == "Text"
    assert [f.ordinal for f in (mail, price, pk, untyped)] == [0, 1, 2, 3]
    assert de.data_retention_period is not None and de.data_retention_period.code == 4
    assert de.delete_at_end_of_retention_period


def test_shared_folder_makes_shared_de_visible_to_children(sim: Simulator) -> None:
    parent = sim.store.enterprise.eid
    root = sim.store.root_folder(parent, "shared_data")
    assert root is not None
    de = sim.store.create_de(mid=parent, name="Shared New", folder_id=root.id, fields=[_text()])
    assert de.is_shared
    eu = bu_named(sim, "EU")
    assert sim.store.get_de(eu.mid, customer_key=de.customer_key) is de
    assert de in sim.store.visible_des(eu.mid)
    assert de not in sim.store.list_des(eu.mid)
    with pytest.raises(MceValidationError):  # a child cannot delete the parent's DE
        sim.store.delete_de(mid=eu.mid, customer_key=de.customer_key)


def test_update_de_and_fields(sim: Simulator) -> None:
    mid = sim.store.enterprise.eid
    de = sim.store.get_de(mid, customer_key="Orders")
    assert de is not None
    updated = sim.store.update_de(
        mid=mid,
        customer_key="Orders",
        description="changed",
        fields=[
            FieldSpec(name="Notes", field_type="Text", max_length=20),
            FieldSpec(name="Status", max_length=40),
        ],
    )
    assert updated.description == "changed"
    notes = updated.field_named("notes")
    assert notes is not None and notes.ordinal == 7
    assert sim.rows.fetch(de, columns=["Notes"], limit=1) == [(None,)]
    status = updated.field_named("Status")
    assert status is not None and status.max_length == 40
    with pytest.raises(MceValidationError) as caught:
        sim.store.update_field(de, "Status", FieldSpec(name="Status", max_length=10))
    assert caught.value.code == ErrorCode.INVALID_CHANGE
    with pytest.raises(MceValidationError) as caught:
        sim.store.update_field(de, "Status", FieldSpec(name="Status", field_type="Number"))
    assert caught.value.code == ErrorCode.INVALID_CHANGE
    with pytest.raises(MceValidationError) as caught:
        sim.store.add_field(de, FieldSpec(name="Must", field_type="Text", is_required=True))
    assert caught.value.code == ErrorCode.INVALID_CHANGE  # DE has rows and no default
    with pytest.raises(MceValidationError) as caught:
        sim.store.delete_field(de, "OrderID")
    assert caught.value.code == ErrorCode.INVALID_CHANGE
    sim.store.delete_field(de, "Notes")
    assert de.field_named("Notes") is None
    assert [f.ordinal for f in sim.store.list_fields(de)] == list(range(len(de.fields)))
    renamed = sim.store.update_de(mid=mid, customer_key="Orders", name="Orders Renamed")
    assert sim.store.get_de(mid, name="orders renamed") is renamed
    with pytest.raises(MceValidationError) as caught:
        sim.store.update_de(mid=mid, customer_key="Orders", name="Subscribers")
    assert caught.value.code == ErrorCode.DUPLICATE_NAME


def test_delete_de_drops_rows(sim: Simulator) -> None:
    mid = sim.store.enterprise.eid
    de = sim.store.delete_de(mid=mid, customer_key="Orders")
    assert sim.store.get_de(mid, customer_key="Orders") is None
    assert not sim.rows.has_table(de)
    with pytest.raises(MceValidationError) as caught:
        sim.store.delete_de(mid=mid, customer_key="Orders")
    assert caught.value.code == ErrorCode.NOT_FOUND


def test_folders(sim: Simulator) -> None:
    mid = sim.store.enterprise.eid
    root = sim.store.root_folder(mid, "dataextension")
    assert root is not None
    child = sim.store.create_folder(
        mid=mid, name="Team", content_type="dataextension", parent_id=root.id
    )
    assert child.parent_id == root.id and child.is_editable
    cases = [
        (
            {"name": "team", "content_type": "dataextension", "parent_id": root.id},
            ErrorCode.DUPLICATE_FOLDER_NAME,
        ),
        (
            {"name": "X", "content_type": "queryactivity", "parent_id": root.id},
            ErrorCode.INVALID_VALUE,
        ),
        (
            {"name": "X", "content_type": "dataextension", "parent_id": 424242},
            ErrorCode.FOLDER_NOT_FOUND,
        ),
        (
            {"name": "", "content_type": "dataextension", "parent_id": root.id},
            ErrorCode.MISSING_PROPERTY,
        ),
        ({"name": "X", "content_type": None, "parent_id": root.id}, ErrorCode.MISSING_PROPERTY),
        (
            {"name": "X", "content_type": "dataextension", "parent_id": None},
            ErrorCode.MISSING_PROPERTY,
        ),
    ]
    for kwargs, code in cases:
        with pytest.raises(MceValidationError) as caught:
            sim.store.create_folder(mid=mid, **kwargs)  # type: ignore[arg-type]
        assert caught.value.code == code, kwargs
    eu = bu_named(sim, "EU")
    with pytest.raises(MceValidationError):  # another BU's folder is unknown here
        sim.store.create_folder(
            mid=eu.mid, name="X", content_type="dataextension", parent_id=root.id
        )
    with pytest.raises(MceValidationError) as caught:
        sim.store.delete_folder(root.id, mid=mid)
    assert caught.value.code == ErrorCode.FOLDER_NOT_EDITABLE
    sim.store.create_de(mid=mid, name="In Team", folder_id=child.id, fields=[_text()])
    with pytest.raises(MceValidationError) as caught:
        sim.store.delete_folder(child.id, mid=mid)
    assert caught.value.code == ErrorCode.FOLDER_NOT_EMPTY
    moved = sim.store.update_folder(child.id, mid=mid, name="Team 2")
    assert moved.name == "Team 2"


def test_query_definitions(sim: Simulator) -> None:
    mid = sim.store.enterprise.eid
    query = sim.store.create_query(
        mid=mid,
        name="Q1",
        query_text="SELECT 1 AS Id",
        target_key="empty_staging",
        customer_key="q1",
        target_update_type="append",
    )
    assert query.target_update_type == "Append"
    assert sim.store.get_query(mid, customer_key="Q1") is query
    for kwargs, code in (
        ({"customer_key": "q1", "name": "Q2"}, ErrorCode.DUPLICATE_KEY),
        ({"customer_key": "k" * 37, "name": "Q3"}, ErrorCode.INVALID_VALUE),
        ({"target_key": "nope", "name": "Q4"}, ErrorCode.NOT_FOUND),
        ({"target_update_type": "Replace", "name": "Q5"}, ErrorCode.INVALID_VALUE),
        ({"query_text": " ", "name": "Q6"}, ErrorCode.MISSING_PROPERTY),
    ):
        args: dict[str, object] = {
            "mid": mid,
            "name": "Q",
            "query_text": "SELECT 1",
            "target_key": "empty_staging",
        }
        args.update(kwargs)
        with pytest.raises(MceValidationError) as caught:
            sim.store.create_query(**args)  # type: ignore[arg-type]
        assert caught.value.code == code
    sim.store.delete_query(mid=mid, object_id=query.object_id)
    assert sim.store.get_query(mid, object_id=query.object_id) is None
