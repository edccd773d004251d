"""Retrieve filters: parse ``SimpleFilterPart`` / ``ComplexFilterPart`` and evaluate them.

Semantics follow MCE's SQL-Server backing where the documentation is silent:

* comparisons of text are case-insensitive (SQL Server's default collation);
* a missing (NULL) value matches only ``isNull`` (as in SQL, ``notEquals`` does not match NULL);
* the filter value is converted to the property's type (number, boolean, date) before comparing;
  a value that cannot be converted matches nothing rather than failing the request;
* ``like`` takes SQL ``LIKE`` patterns (``%``, ``_``, ``[...]``).

Operands must carry ``xsi:type`` (``SimpleFilterPart`` or ``ComplexFilterPart``): MCE rejects an
untyped operand with "Unknown filter of type FilterPart encountered" (REFERENCE.md §2.2).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

from simulator.soap.namespaces import PARTNER_NS, XSI_TYPE

__all__ = [
    "SIMPLE_OPERATORS",
    "ComplexFilter",
    "Filter",
    "FilterError",
    "SimpleFilter",
    "compile_filter",
    "filter_properties",
    "parse_filter",
    "parse_mce_datetime",
    "xsi_type_name",
]

SIMPLE_OPERATORS = frozenset(
    {
        "equals",
        "notEquals",
        "greaterThan",
        "lessThan",
        "isNull",
        "isNotNull",
        "greaterThanOrEqual",
        "lessThanOrEqual",
        "between",
        "IN",
        "like",
        "existsInString",
        "existsInStringAsAWord",
        "notExistsInString",
        "beginsWith",
        "endsWith",
        "contains",
        "notContains",
        "isAnniversary",
        "isNotAnniversary",
        "greaterThanAnniversary",
        "lessThanAnniversary",
    }
)
_P = f"{{{PARTNER_NS}}}"


class FilterError(Exception):
    """The filter cannot be used; ``message`` is what MCE puts after ``Error: ``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class SimpleFilter:
    property: str
    operator: str
    values: tuple[str, ...]
    date_values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComplexFilter:
    operator: str  # "AND" | "OR"
    operands: tuple[Filter, ...]


Filter = SimpleFilter | ComplexFilter


def xsi_type_name(element: etree._Element) -> str | None:
    """Local name of an element's ``xsi:type`` (prefix resolved and dropped), or ``None``."""
    value = element.get(XSI_TYPE)
    if value is None:
        return None
    return value.rsplit(":", 1)[-1].strip()


def _text(element: etree._Element | None) -> str:
    return "" if element is None else (element.text or "")


def parse_filter(element: etree._Element) -> Filter:
    """Parse a ``Filter`` / ``LeftOperand`` / ``RightOperand`` / ``Operand`` element."""
    kind = xsi_type_name(element)
    if kind == "SimpleFilterPart":
        prop = _text(element.find(f"{_P}Property")).strip()
        operator = _text(element.find(f"{_P}SimpleOperator")).strip()
        if not prop:
            raise FilterError("A SimpleFilterPart requires a Property.")
        if operator not in SIMPLE_OPERATORS:
            raise FilterError(f"Unsupported SimpleOperator '{operator}'.")
        values = tuple(_text(v) for v in element.findall(f"{_P}Value"))
        date_values = tuple(_text(v).strip() for v in element.findall(f"{_P}DateValue"))
        return SimpleFilter(prop, operator, values, date_values)
    if kind == "ComplexFilterPart":
        left = element.find(f"{_P}LeftOperand")
        right = element.find(f"{_P}RightOperand")
        logical = _text(element.find(f"{_P}LogicalOperator")).strip().upper()
        if logical not in ("AND", "OR"):
            raise FilterError(f"Unsupported LogicalOperator '{logical}'.")
        if left is None:
            raise FilterError("A ComplexFilterPart requires a LeftOperand.")
        operands = [parse_filter(left)]
        if right is not None:
            operands.append(parse_filter(right))
        extra = element.find(f"{_P}AdditionalOperands")
        if extra is not None:
            operands.extend(parse_filter(op) for op in extra.findall(f"{_P}Operand"))
        return ComplexFilter(logical, tuple(operands))
    return _raise_unknown(kind)


def _raise_unknown(kind: str | None) -> Filter:
    raise FilterError(f"Unknown filter of type {kind or 'FilterPart'} encountered")


def filter_properties(flt: Filter) -> list[str]:
    """Every property a filter refers to, in order of appearance."""
    if isinstance(flt, SimpleFilter):
        return [flt.property]
    out: list[str] = []
    for op in flt.operands:
        out.extend(filter_properties(op))
    return out


# --- evaluation ---------------------------------------------------------------------------

Getter = Callable[[Any], Any]
Predicate = Callable[[Any], bool]

_US_DATE = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*$"
)


def parse_mce_datetime(text: str) -> datetime | None:
    """Parse ISO 8601 or MCE's US form (``5/9/2024 12:00:00 AM``); ``None`` if neither."""
    text = text.strip()
    if not text:
        return None
    match = _US_DATE.match(text)
    if match:
        month, day, year, hour, minute, second, ampm = match.groups()
        h = int(hour or 0)
        if ampm:
            h = h % 12 + (12 if ampm.lower() == "pm" else 0)
        try:
            return datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0))
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Stored dates are naive server time; compare offset-carrying values by wall clock.
    return parsed.replace(tzinfo=None)


def _coerce(sample: Any, text: str) -> Any:
    """Convert filter text to the type of ``sample`` (a stored value); ``None`` if impossible."""
    if isinstance(sample, bool):
        lowered = text.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        return None
    if isinstance(sample, int):
        try:
            return int(text.strip())
        except ValueError:
            try:
                as_float = float(text.strip())
            except ValueError:
                return None
            return int(as_float) if as_float.is_integer() else as_float
    if isinstance(sample, float):
        try:
            return float(text.strip())
        except ValueError:
            return None
    if isinstance(sample, datetime):
        return parse_mce_datetime(text)
    return text.casefold()


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return str(value.value).casefold()  # enums such as FieldType
    return value


def _bracket_class(body: str) -> str:
    """Regex for the body of a LIKE ``[...]`` set, built char by char so no input can make an
    invalid regex. ``^`` first negates; ``a-z`` is a range; a reversed range (``z-a``) matches
    nothing, as in SQL Server."""
    negate = body.startswith("^")
    if negate:
        body = body[1:]
    parts: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = body[i], body[i + 2]
            if low <= high:
                parts.append(f"{re.escape(low)}-{re.escape(high)}")
            i += 3
        else:
            parts.append(re.escape(body[i]))
            i += 1
    if not parts:
        return "(?s:.)" if negate else "(?!)"
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _like_regex(pattern: str) -> re.Pattern[str]:
    """SQL ``LIKE`` (``%``, ``_``, ``[set]``, ``[^set]``) as an anchored regex; an unclosed
    ``[`` is a literal character."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[" and (end := pattern.find("]", i + 1)) != -1:
            out.append(_bracket_class(pattern[i + 1 : end]))
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


def _month_day(value: Any) -> tuple[int, int] | None:
    if isinstance(value, datetime | date):
        return (value.month, value.day)
    return None


def _simple_predicate(flt: SimpleFilter, getter: Getter) -> Predicate:
    op = flt.operator
    raw_values: Sequence[str] = flt.values or flt.date_values

    if op == "isNull":
        return lambda obj: getter(obj) is None
    if op == "isNotNull":
        return lambda obj: getter(obj) is not None
    if not raw_values:
        raise FilterError(f"The SimpleOperator '{op}' on '{flt.property}' requires a Value.")

    first = raw_values[0]
    folded = first.casefold()

    if op in ("like",):
        regex = _like_regex(first)
        return lambda obj: (v := getter(obj)) is not None and bool(regex.match(str(_text_of(v))))
    if op in ("existsInString", "contains"):
        return lambda obj: (v := getter(obj)) is not None and folded in str(_text_of(v)).casefold()
    if op in ("notExistsInString", "notContains"):
        return lambda obj: (
            (v := getter(obj)) is not None and folded not in str(_text_of(v)).casefold()
        )
    if op == "existsInStringAsAWord":
        word = re.compile(r"(?<!\w)" + re.escape(first) + r"(?!\w)", re.IGNORECASE)
        return lambda obj: (v := getter(obj)) is not None and bool(word.search(str(_text_of(v))))
    if op == "beginsWith":
        return lambda obj: (
            (v := getter(obj)) is not None and str(_text_of(v)).casefold().startswith(folded)
        )
    if op == "endsWith":
        return lambda obj: (
            (v := getter(obj)) is not None and str(_text_of(v)).casefold().endswith(folded)
        )
    if op in ("isAnniversary", "isNotAnniversary", "greaterThanAnniversary", "lessThanAnniversary"):
        target = parse_mce_datetime(first)
        if target is None:
            return lambda obj: False
        wanted = (target.month, target.day)

        def anniversary(obj: Any) -> bool:
            md = _month_day(getter(obj))
            if md is None:
                return False
            if op == "isAnniversary":
                return md == wanted
            if op == "isNotAnniversary":
                return md != wanted
            if op == "greaterThanAnniversary":
                return md > wanted
            return md < wanted

        return anniversary

    if op == "IN":
        return _in_predicate(raw_values, getter)

    def compare(obj: Any) -> bool:
        value = getter(obj)
        if value is None:
            return False
        value = _normalise(value)
        if op == "between":
            if len(raw_values) < 2:
                return False
            low, high = _coerce(value, raw_values[0]), _coerce(value, raw_values[1])
            return _ordered(low, value) and _ordered(value, high)
        other = _coerce(value, first)
        if other is None:
            return False
        if op == "equals":
            return bool(value == other)
        if op == "notEquals":
            return bool(value != other)
        try:
            if op == "greaterThan":
                return bool(value > other)
            if op == "lessThan":
                return bool(value < other)
            if op == "greaterThanOrEqual":
                return bool(value >= other)
            if op == "lessThanOrEqual":
                return bool(value <= other)
        except TypeError:
            return False
        return False

    return compare


def _in_predicate(raw_values: Sequence[str], getter: Getter) -> Predicate:
    """``IN``: the value equals one of ``raw_values`` converted to its type.

    Metadata sync sends hundreds of keys per ``IN`` and the filter runs on thousands of
    fields, so the values are converted once per stored value type (``_coerce`` depends
    only on it) into a set, instead of once per value and object.
    """
    converted: dict[type, frozenset[Any] | None] = {}

    def member(obj: Any) -> bool:
        value = getter(obj)
        if value is None:
            return False
        value = _normalise(value)
        kind = type(value)
        if kind not in converted:
            try:
                converted[kind] = frozenset(_coerce(value, v) for v in raw_values)
            except TypeError:  # an unhashable conversion: compare one by one
                converted[kind] = None
        wanted = converted[kind]
        if wanted is None:
            return any(value == _coerce(value, v) for v in raw_values)
        try:
            return value in wanted
        except TypeError:
            return any(value == _coerce(value, v) for v in raw_values)

    return member


def _ordered(low: Any, high: Any) -> bool:
    if low is None or high is None:
        return False
    try:
        return bool(low <= high)
    except TypeError:
        return False


def _text_of(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value
    return value


def compile_filter(flt: Filter, getters: Mapping[str, Getter]) -> Predicate:
    """Turn a parsed filter into a predicate over stored objects.

    ``getters`` maps each filterable property path to a function reading it from an object;
    callers validate property names first (``filter_properties``), so a missing one is a bug.
    """
    if isinstance(flt, SimpleFilter):
        return _simple_predicate(flt, getters[flt.property])
    parts = [compile_filter(op, getters) for op in flt.operands]
    if flt.operator == "AND":
        return lambda obj: all(p(obj) for p in parts)
    return lambda obj: any(p(obj) for p in parts)
