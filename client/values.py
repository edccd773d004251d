"""MCE's string values to typed Python values, by the DE's field types (REFERENCE §4.1).

The rowset API sends every value as a string: Booleans ``True``/``False``, dates
``M/D/YYYY h:mm:ss AM`` without a zone, NULL as ``""`` (NULL and an empty string
cannot be told apart, so ``""`` is ``None`` for every type). User-entered dates are
returned as MCE stores them, naive: MCE keeps no zone for them and guessing one would
shift them. Only dates MCE generates itself (data views, system columns) are in its
system time, CST without daylight saving (UTC-6), and become aware UTC datetimes when
the field is marked ``system_generated``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum

__all__ = [
    "MCE_SYSTEM_TIME",
    "FieldSpec",
    "FieldType",
    "RowConverter",
    "Value",
    "convert_value",
    "field_specs",
    "to_wire",
]

Value = str | int | Decimal | bool | datetime | None

#: MCE's system time zone: CST all year, no daylight saving (REFERENCE §5.1).
MCE_SYSTEM_TIME = timezone(timedelta(hours=-6), "CST")

_DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y")
#: What MCE writes for Number and Decimal values: plain ASCII digits. Python's ``int()`` and
#: ``Decimal()`` also take ``1_000``, whitespace, other scripts' digits and ``NaN``; a value
#: like that did not come from MCE and is refused rather than guessed at.
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class FieldType(StrEnum):
    TEXT = "Text"
    NUMBER = "Number"
    DATE = "Date"
    BOOLEAN = "Boolean"
    EMAIL = "EmailAddress"
    PHONE = "Phone"
    DECIMAL = "Decimal"
    LOCALE = "Locale"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A DE column as the converter needs it."""

    name: str
    field_type: FieldType
    system_generated: bool = False


def convert_value(
    raw: str | None, *, field_type: FieldType, system_generated: bool = False
) -> Value:
    """One value; raises ``ValueError`` naming the type when MCE sent something unreadable."""
    if raw is None or raw == "":
        return None
    if field_type is FieldType.NUMBER:
        if not _INTEGER.fullmatch(raw):
            raise ValueError(f"not a Number value: {raw!r}")
        return int(raw)
    if field_type is FieldType.DECIMAL:
        if not _DECIMAL.fullmatch(raw):
            raise ValueError(f"not a Decimal value: {raw!r}")
        try:
            return Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            raise ValueError(f"not a Decimal value: {raw!r}") from None
    if field_type is FieldType.BOOLEAN:
        return _boolean(raw)
    if field_type is FieldType.DATE:
        value = _date(raw)
        if system_generated:
            if value.tzinfo is None:
                value = value.replace(tzinfo=MCE_SYSTEM_TIME)
            return value.astimezone(UTC)
        return value
    return raw


def to_wire(value: Value) -> str:
    """A Python value as MCE's string form for row writes (``None`` → ``""``, NULL).

    Aware datetimes are refused: MCE stores user dates without a zone, so the caller must
    decide which wall-clock time is meant.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("MCE stores dates without a time zone; pass a naive datetime")
        hour = value.hour % 12 or 12
        suffix = "PM" if value.hour >= 12 else "AM"
        return (
            f"{value.month}/{value.day}/{value.year} "
            f"{hour}:{value.minute:02d}:{value.second:02d} {suffix}"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("MCE Decimal fields hold finite numbers only")
        return format(value, "f")  # str() would write 1E+2
    return str(value)


def field_specs(
    fields: Iterable[tuple[str, str | None]], *, system_generated: bool = False
) -> list[FieldSpec]:
    """Converter specs from ``(name, FieldType)`` pairs, e.g. from SOAP ``DataExtensionField``
    records (``(f.name, f.field_type)``) or data-view columns (``system_generated=True``).

    An unknown or missing type reads as Text, MCE's default field type.
    """
    known = {member.value.lower(): member for member in FieldType}
    return [
        FieldSpec(
            name=name,
            field_type=known.get((field_type or "Text").lower(), FieldType.TEXT),
            system_generated=system_generated,
        )
        for name, field_type in fields
    ]


class RowConverter:
    """Turns rowset items (``{keys, values}`` with lower-cased names) into typed rows
    keyed by the fields' own names; a column the DE does not declare stays a string."""

    def __init__(self, fields: Iterable[FieldSpec]) -> None:
        self._fields = {field.name.lower(): field for field in fields}

    def convert(self, item: Mapping[str, object]) -> dict[str, Value]:
        row: dict[str, Value] = {}
        for part in ("keys", "values"):
            block = item.get(part)
            if not isinstance(block, Mapping):
                continue
            for name, raw in block.items():
                text = raw if isinstance(raw, str) or raw is None else str(raw)
                field = self._fields.get(str(name).lower())
                if field is None:
                    row[str(name)] = None if text == "" else text
                    continue
                row[field.name] = convert_value(
                    text, field_type=field.field_type, system_generated=field.system_generated
                )
        return row


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"not a Boolean value: {raw!r}")


def _date(raw: str) -> datetime:
    text = raw.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a Date value: {raw!r}") from None
    return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed
