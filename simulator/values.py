"""Converting DE values between the wire (strings, JSON) and typed storage.

MCE's rowset endpoint returns every value as a string: booleans ``True``/``False``,
dates ``M/D/YYYY h:mm:ss AM`` in server time, NULL as ``""`` (REFERENCE §4.1).
Inbound values (REST row insert, SOAP DataExtensionObject, default values) are
accepted in the forms real clients send and checked against the field's type,
length and precision.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from simulator.model import Field, FieldType

__all__ = ["ValueProblem", "coerce_value", "format_mce_date", "format_value", "text_limit"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()\-. ]{1,50}$")
_US_DATE = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_TRUE = {"true", "1", "y", "yes"}
_FALSE = {"false", "0", "n", "no"}

#: Text without MaxLength behaves as nvarchar(4000) in the simulator.
_DEFAULT_TEXT_LIMIT = 4000
_MAX_BIGINT = 2**63 - 1
#: Digits for quantizing Decimals: more than any DECIMAL(p, s) the simulator stores (p <= 38).
_DECIMAL_WORK_PRECISION = 80


class ValueProblem(ValueError):
    """A value does not fit its field; ``kind`` maps to a REST error code.

    kinds: ``type`` (10001), ``required`` (10002), ``format`` (10003), ``value`` (10005).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def text_limit(field: Field) -> int | None:
    """Max characters of a text-like field (``None`` for non-text types)."""
    if field.field_type in (
        FieldType.TEXT,
        FieldType.EMAIL_ADDRESS,
        FieldType.PHONE,
        FieldType.LOCALE,
    ):
        return field.max_length or _DEFAULT_TEXT_LIMIT
    return None


def format_mce_date(value: datetime | date) -> str:
    """``6/23/2024 12:00:00 AM``: MCE's rowset and SOAP-row date format."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    hour12 = value.hour % 12 or 12
    ampm = "AM" if value.hour < 12 else "PM"
    return (
        f"{value.month}/{value.day}/{value.year} "
        f"{hour12}:{value.minute:02d}:{value.second:02d} {ampm}"
    )


def format_value(field: Field, value: Any) -> str:
    """A stored value as MCE writes it on the wire (always a string)."""
    if value is None:
        return ""
    match field.field_type:
        case FieldType.BOOLEAN:
            return "True" if value else "False"
        case FieldType.DATE:
            return format_mce_date(value)
        case FieldType.DECIMAL:
            return f"{Decimal(value):.{field.scale or 0}f}"
        case _:
            return str(value)


def _finite_decimal(raw: Any, *, name: str, type_name: str) -> Decimal:
    """``raw`` as a finite Decimal, else a ``type`` problem (``NaN``, ``sNaN``, ``Infinity``)."""
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ValueProblem(
            "type", f"The value '{raw}' is not a valid {type_name} for field {name}."
        )
    return number


def _parse_date(raw: str) -> datetime:
    text = raw.strip()
    m = _US_DATE.match(text)
    if m:
        month, day, year, hh, mm, ss, ampm = m.groups()
        hour = int(hh or 0)
        if ampm:
            if not 1 <= hour <= 12:
                raise ValueError(text)
            hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
        return datetime(int(year), int(month), int(day), hour, int(mm or 0), int(ss or 0))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=None)


def coerce_value(field: Field, raw: Any) -> Any:
    """Convert an inbound value to the typed value stored for ``field``.

    ``None`` and ``""`` mean NULL (MCE cannot tell them apart). Raises
    :class:`ValueProblem`. Required-ness is the caller's business.
    """
    if raw is None or (isinstance(raw, str) and raw == ""):
        return None
    name = field.name
    ftype = field.field_type
    if isinstance(raw, (dict, list)):
        raise ValueProblem("type", f"Invalid value for field {name}: expected {ftype.value}.")
    if ftype is FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueProblem("type", f"The value '{raw}' is not a valid Boolean for field {name}.")
    if ftype is FieldType.NUMBER:
        if isinstance(raw, bool):
            raise ValueProblem("type", f"The value '{raw}' is not a valid Number for field {name}.")
        number = _finite_decimal(raw, name=name, type_name="Number")
        if abs(number) > _MAX_BIGINT or number != number.to_integral_value():
            raise ValueProblem("value", f"The value '{raw}' is out of range for field {name}.")
        return int(number)
    if ftype is FieldType.DECIMAL:
        number = _finite_decimal(raw, name=name, type_name="Decimal")
        scale = field.scale or 0
        precision = field.max_length or 18
        out_of_range = ValueProblem("value", f"The value '{raw}' is out of range for field {name}.")
        if number and number.adjusted() >= precision - scale:
            raise out_of_range
        with localcontext() as context:
            # The default 28-digit context would raise on a 29+ digit result.
            context.prec = _DECIMAL_WORK_PRECISION
            # Ties away from zero, as SQL Server converts (and as the query engine's DuckDB
            # casts do), not Python's default half-even.
            quantized = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
        if quantized and quantized.adjusted() >= precision - scale:  # rounded up to 10**n
            raise out_of_range
        return quantized
    if ftype is FieldType.DATE:
        if isinstance(raw, datetime):
            return raw.replace(tzinfo=None)
        try:
            return _parse_date(str(raw))
        except ValueError:
            raise ValueProblem(
                "format", f"The value '{raw}' is not a valid Date for field {name}."
            ) from None
    text = raw if isinstance(raw, str) else str(raw)
    limit = text_limit(field)
    if limit is not None and len(text) > limit:
        raise ValueProblem(
            "value", f"The value for field {name} is longer than its MaxLength of {limit}."
        )
    if ftype is FieldType.EMAIL_ADDRESS and not _EMAIL.match(text):
        raise ValueProblem("format", f"The value '{text}' is not a valid EmailAddress for {name}.")
    if ftype is FieldType.PHONE and not _PHONE.match(text):
        raise ValueProblem("format", f"The value '{text}' is not a valid Phone for field {name}.")
    return text
