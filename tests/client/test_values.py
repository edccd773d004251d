"""String values from MCE to typed Python values and back (REFERENCE §4.1)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from client.values import (
    FieldSpec,
    FieldType,
    RowConverter,
    convert_value,
    field_specs,
    to_wire,
)


@pytest.mark.parametrize(
    ("raw", "field_type", "expected"),
    [
        ("42", FieldType.NUMBER, 42),
        ("-7", FieldType.NUMBER, -7),
        ("12.340", FieldType.DECIMAL, Decimal("12.340")),
        ("True", FieldType.BOOLEAN, True),
        ("False", FieldType.BOOLEAN, False),
        ("6/23/2024 12:00:00 AM", FieldType.DATE, datetime(2024, 6, 23, 0, 0, 0)),
        ("12/1/2023 1:05:09 PM", FieldType.DATE, datetime(2023, 12, 1, 13, 5, 9)),
        ("hello", FieldType.TEXT, "hello"),
        ("a@b.example", FieldType.EMAIL, "a@b.example"),
        ("+1 555 0100", FieldType.PHONE, "+1 555 0100"),
        ("en-GB", FieldType.LOCALE, "en-GB"),
    ],
)
def test_each_type(raw: str, field_type: FieldType, expected: object) -> None:
    value = convert_value(raw, field_type=field_type)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("field_type", list(FieldType))
def test_empty_string_is_null_for_every_type(field_type: FieldType) -> None:
    assert convert_value("", field_type=field_type) is None


def test_user_dates_stay_naive_system_dates_become_utc() -> None:
    raw = "1/15/2024 9:30:00 AM"
    assert convert_value(raw, field_type=FieldType.DATE).tzinfo is None  # type: ignore[union-attr]
    system = convert_value(raw, field_type=FieldType.DATE, system_generated=True)
    assert system == datetime(2024, 1, 15, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "field_type"),
    [
        ("1_000", FieldType.NUMBER),
        (" 12", FieldType.NUMBER),
        ("١٢", FieldType.NUMBER),  # Arabic-Indic digits: int() would take them
        ("1.5", FieldType.NUMBER),
        ("NaN", FieldType.DECIMAL),
        ("Infinity", FieldType.DECIMAL),
        ("1e5", FieldType.DECIMAL),
        ("1_0.5", FieldType.DECIMAL),
        ("--1", FieldType.DECIMAL),
    ],
)
def test_numbers_are_plain_ascii_digits_only(raw: str, field_type: FieldType) -> None:
    with pytest.raises(ValueError):
        convert_value(raw, field_type=field_type)


def test_decimal_forms_mce_writes() -> None:
    assert convert_value("-0.50", field_type=FieldType.DECIMAL) == Decimal("-0.50")
    assert convert_value(".5", field_type=FieldType.DECIMAL) == Decimal("0.5")
    assert convert_value("7.", field_type=FieldType.DECIMAL) == Decimal("7")


def test_field_specs_from_soap_fields_and_data_views() -> None:
    specs = field_specs([("Id", "Number"), ("When", "date"), ("Note", None), ("X", "Odd")])
    assert [(s.name, s.field_type) for s in specs] == [
        ("Id", FieldType.NUMBER),
        ("When", FieldType.DATE),
        ("Note", FieldType.TEXT),
        ("X", FieldType.TEXT),
    ]
    assert not any(s.system_generated for s in specs)
    assert all(
        s.system_generated for s in field_specs([("EventDate", "Date")], system_generated=True)
    )


def test_unreadable_values_raise() -> None:
    with pytest.raises(ValueError):
        convert_value("yes", field_type=FieldType.BOOLEAN)
    with pytest.raises(ValueError):
        convert_value("12,5", field_type=FieldType.DECIMAL)


def test_row_converter_restores_field_names_and_merges_keys() -> None:
    converter = RowConverter(
        [FieldSpec("Id", FieldType.NUMBER), FieldSpec("CreatedAt", FieldType.DATE)]
    )
    row = converter.convert(
        {"keys": {"id": "3"}, "values": {"createdat": "2/3/2024 4:05:06 PM", "extra": "x"}}
    )
    assert row == {"Id": 3, "CreatedAt": datetime(2024, 2, 3, 16, 5, 6), "extra": "x"}


def test_to_wire_round_trips() -> None:
    when = datetime(2024, 2, 3, 0, 5, 6)
    assert to_wire(when) == "2/3/2024 12:05:06 AM"
    assert convert_value(to_wire(when), field_type=FieldType.DATE) == when
    assert to_wire(True) == "True"
    assert to_wire(None) == ""
    assert to_wire(Decimal("1.50")) == "1.50"
    with pytest.raises(ValueError):
        to_wire(datetime(2024, 1, 1, tzinfo=UTC))


def test_to_wire_writes_decimals_in_plain_notation() -> None:
    assert to_wire(Decimal("1E+2")) == "100"
    assert to_wire(Decimal("0.0000001")) == "0.0000001"
    assert to_wire(Decimal("12.3400")) == "12.3400"
    for bad in (Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError):
            to_wire(bad)


def test_a_system_date_with_its_own_offset_keeps_it() -> None:
    value = convert_value(
        "2024-01-01T10:00:00+00:00", field_type=FieldType.DATE, system_generated=True
    )
    assert value == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
