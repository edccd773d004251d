"""Which MCE field types an output column converts into, and how long its text can be.

MCE writes the query's output into the target DE with SQL Server's implicit conversions
(REFERENCE §5.1: "Date/Boolean/Number target columns require convertible values"). Three
outcomes per pair: it always works; it works only for some values or changes them on the way
(a warning: text into Number works for '42', not for 'n/a'; a Decimal into Number loses its
fraction); it never works (an error: a date into a Number is refused). Where REFERENCE is
silent the table follows SQL Server's conversion rules as the simulator applies them
(simulator/sql/convert.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from tsql import Column, FieldType

__all__ = [
    "DEFAULT_LENGTHS",
    "TEXT_LIKE",
    "Conversion",
    "conversion",
    "field_type",
    "target_length",
    "text_length",
]

#: Types stored as text (their lengths are compared).
TEXT_LIKE = frozenset({FieldType.TEXT, FieldType.EMAIL_ADDRESS, FieldType.PHONE, FieldType.LOCALE})
#: MCE's lengths for text-like fields created without one (REFERENCE §2.4; Text's 4,000 is the
#: longest value a Text field without a length holds).
DEFAULT_LENGTHS = {
    FieldType.TEXT: 4000,
    FieldType.EMAIL_ADDRESS: 254,
    FieldType.PHONE: 50,
    FieldType.LOCALE: 5,
}
#: Characters a non-text value takes once written as text: an int's sign and ten digits,
#: SQL Server's default date style ('Jan  1 2024 12:00AM'), a bit's '1'/'0'.
_NUMBER_CHARS = 11
_DATE_CHARS = 19
_BOOLEAN_CHARS = 1

_BY_NAME = {member.value.casefold(): member for member in FieldType}


def field_type(name: str) -> FieldType | None:
    """A cached field's type (None for a type MCE added that Quarry does not know)."""
    return _BY_NAME.get(name.casefold())


def target_length(kind: FieldType, max_length: int | None) -> int | None:
    """The most characters a text-like field holds (None for other types)."""
    if kind not in TEXT_LIKE:
        return None
    return max_length if max_length is not None else DEFAULT_LENGTHS[kind]


def text_length(column: Column) -> int | None:
    """The most characters ``column``'s values take as text (None: not known)."""
    kind = column.field_type
    if kind in TEXT_LIKE:
        return column.max_length
    if kind is FieldType.NUMBER:
        return _NUMBER_CHARS
    if kind is FieldType.DECIMAL:
        return None if column.precision is None else column.precision + 2
    if kind is FieldType.DATE:
        return _DATE_CHARS
    if kind is FieldType.BOOLEAN:
        return _BOOLEAN_CHARS
    return None


@dataclass(frozen=True, slots=True)
class Conversion:
    """``ok``: always works. Otherwise ``never`` says whether it always fails; ``why`` says
    what happens, in plain words."""

    ok: bool
    never: bool = False
    why: str = ""


_OK = Conversion(ok=True)


def _sometimes(why: str) -> Conversion:
    return Conversion(ok=False, why=why)


def _never(why: str) -> Conversion:
    return Conversion(ok=False, never=True, why=why)


def conversion(source: FieldType, target: FieldType) -> Conversion:
    """What happens when a value of type ``source`` is written into a ``target`` field."""
    if source is target or (source in TEXT_LIKE and target in TEXT_LIKE):
        return _OK
    if target in TEXT_LIKE:
        if source is FieldType.DATE:
            return _sometimes(
                "a date is written as text in SQL Server's default style ('Jan  1 2024"
                " 12:00AM'); CONVERT(VARCHAR(30), value, 126) writes ISO 8601"
            )
        if source is FieldType.BOOLEAN:
            return _sometimes("a Boolean is written as the text '1' or '0'")
        return _OK  # numbers as their digits
    if source in TEXT_LIKE:
        return _sometimes(
            f"text converts into {target.value} only when every value reads as one"
            " (the conversion fails on the first that does not)"
        )
    return _between_non_text(source, target)


def _between_non_text(source: FieldType, target: FieldType) -> Conversion:
    if target is FieldType.NUMBER:
        if source is FieldType.BOOLEAN:
            return _OK
        if source is FieldType.DECIMAL:
            return _sometimes(
                "a Decimal written into a Number loses its fraction, and fails beyond a"
                " 32-bit integer"
            )
        return _never("a date cannot be written into a Number field")
    if target is FieldType.DECIMAL:
        if source in (FieldType.NUMBER, FieldType.BOOLEAN):
            return _OK
        return _never("a date cannot be written into a Decimal field")
    if target is FieldType.DATE:
        if source is FieldType.NUMBER:
            return _sometimes("a number is written as that many days after 1 January 1900")
        return _never(f"a {source.value} cannot be written into a Date field")
    # target is Boolean
    if source in (FieldType.NUMBER, FieldType.DECIMAL):
        return _sometimes("any number other than 0 is written as true")
    return _never(f"a {source.value} cannot be written into a Boolean field")
