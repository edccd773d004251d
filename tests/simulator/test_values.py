"""Wire formats: Python's and DuckDB's formatting agree; inbound values are coerced."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from simulator.model import Field, FieldType
from simulator.state import Simulator
from simulator.values import ValueProblem, coerce_value, format_mce_date, format_value


@pytest.mark.parametrize("key", ["all_types", "Subscribers", "Orders", "web_events_2024"])
def test_duckdb_wire_format_matches_python(sim: Simulator, key: str) -> None:
    de = sim.store.get_de(sim.store.enterprise.eid, customer_key=key)
    assert de is not None
    names = [f.name for f in de.fields]
    typed = sim.rows.fetch(de, columns=names, limit=300)
    wire = sim.rows.fetch_wire(de, columns=names, limit=300)
    expected = [
        tuple(format_value(f, v) for f, v in zip(de.fields, row, strict=True)) for row in typed
    ]
    assert wire == expected


def test_mce_date_format() -> None:
    assert format_mce_date(datetime(2024, 6, 23)) == "6/23/2024 12:00:00 AM"
    assert format_mce_date(datetime(2024, 12, 1, 12, 5, 9)) == "12/1/2024 12:05:09 PM"
    assert format_mce_date(datetime(2024, 12, 1, 23, 0, 0)) == "12/1/2024 11:00:00 PM"


def _field(ftype: FieldType, **kw: object) -> Field:
    return Field(object_id="x", name="F", field_type=ftype, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ftype", "kw", "raw", "expected"),
    [
        (FieldType.BOOLEAN, {}, "Y", True),
        (FieldType.BOOLEAN, {}, 0, False),
        (FieldType.NUMBER, {}, "42", 42),
        (FieldType.NUMBER, {}, 7.0, 7),
        (FieldType.DECIMAL, {"max_length": 6, "scale": 2}, "12.345", Decimal("12.35")),
        (FieldType.DECIMAL, {"max_length": 6, "scale": 2}, "-12.345", Decimal("-12.35")),
        (FieldType.DECIMAL, {"max_length": 6, "scale": 2}, "12.335", Decimal("12.34")),
        (FieldType.DATE, {}, "6/23/2024 1:05 PM", datetime(2024, 6, 23, 13, 5)),
        (FieldType.DATE, {}, "2024-06-23T10:00:00Z", datetime(2024, 6, 23, 10, 0)),
        (FieldType.TEXT, {"max_length": 3}, 123, "123"),
        (FieldType.TEXT, {}, "", None),
        (FieldType.DECIMAL, {"max_length": 38, "scale": 10}, "1" * 28, Decimal("1" * 28)),
        (FieldType.DECIMAL, {"max_length": 18, "scale": 2}, "1e-999999", Decimal("0.00")),
        (FieldType.NUMBER, {}, -(2**63) + 1, -(2**63) + 1),
    ],
)
def test_coerce(ftype: FieldType, kw: dict[str, object], raw: object, expected: object) -> None:
    assert coerce_value(_field(ftype, **kw), raw) == expected


@pytest.mark.parametrize(
    ("ftype", "kw", "raw", "kind"),
    [
        (FieldType.NUMBER, {}, "1.5", "value"),
        (FieldType.NUMBER, {}, True, "type"),
        (FieldType.DECIMAL, {"max_length": 4, "scale": 2}, "123.4", "value"),
        (FieldType.DECIMAL, {}, "NaN", "type"),
        (FieldType.DATE, {}, "13/45/2024", "format"),
        (FieldType.TEXT, {"max_length": 2}, "abc", "value"),
        (FieldType.LOCALE, {"max_length": 5}, "en-US-x", "value"),
        (FieldType.TEXT, {}, {"a": 1}, "type"),
        (FieldType.NUMBER, {}, "sNaN", "type"),
        (FieldType.NUMBER, {}, "NaN", "type"),
        (FieldType.NUMBER, {}, "1e999999", "value"),
        (FieldType.NUMBER, {}, 2**63, "value"),
        (FieldType.DECIMAL, {"max_length": 18, "scale": 2}, "1e999999", "value"),
        (FieldType.DECIMAL, {"max_length": 18, "scale": 2}, "1" * 30, "value"),
        (FieldType.DECIMAL, {"max_length": 18, "scale": 2}, "9999999999999999.995", "value"),
        (FieldType.DECIMAL, {"max_length": 38, "scale": 10}, "1" * 29, "value"),
    ],
)
def test_coerce_rejects(ftype: FieldType, kw: dict[str, object], raw: object, kind: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        coerce_value(_field(ftype, **kw), raw)
    assert caught.value.kind == kind
