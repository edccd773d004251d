"""Retrieve filters: ``SimpleFilterPart`` and ``ComplexFilterPart`` as plain values.

Operations describe what they want (``equals("CustomerKey", key)``,
``all_of(a, b)``); :func:`filter_value` turns that into zeep values of the partner
schema, which writes the ``xsi:type`` MCE insists on for every operand (REFERENCE §2.2:
an operand without it is "Unknown filter of type FilterPart").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from client.soap.wsdl import PartnerSchema

__all__ = [
    "Complex",
    "Filter",
    "Simple",
    "all_of",
    "any_of",
    "equals",
    "filter_value",
    "greater_than",
    "one_of",
]


@dataclass(frozen=True, slots=True)
class Simple:
    """``Property Operator Value...`` (``IN`` and ``between`` take several values)."""

    property: str
    operator: str
    values: tuple[str, ...] = ()
    date_values: tuple[datetime, ...] = ()


@dataclass(frozen=True, slots=True)
class Complex:
    """``Left AND|OR Right [AND|OR more...]``."""

    left: Filter
    operator: Literal["AND", "OR"]
    right: Filter | None = None
    additional: tuple[Filter, ...] = ()


Filter = Simple | Complex


def equals(prop: str, value: str | int) -> Simple:
    return Simple(prop, "equals", (str(value),))


def one_of(prop: str, values: Iterable[str | int]) -> Simple:
    """``prop IN (values)``; one value is sent as ``equals``."""
    texts = tuple(str(v) for v in values)
    if not texts:
        raise ValueError("one_of needs at least one value")
    return Simple(prop, "equals", texts) if len(texts) == 1 else Simple(prop, "IN", texts)


def greater_than(prop: str, value: datetime) -> Simple:
    """``prop > value`` for a date property, sent as ``DateValue``."""
    return Simple(prop, "greaterThan", date_values=(value,))


def _combine(parts: Sequence[Filter | None], operator: Literal["AND", "OR"]) -> Filter | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return Complex(present[0], operator, present[1], tuple(present[2:]))


def all_of(*parts: Filter | None) -> Filter | None:
    """The parts that are not ``None``, joined with AND (``None`` when there are none)."""
    return _combine(parts, "AND")


def any_of(*parts: Filter | None) -> Filter | None:
    """The parts that are not ``None``, joined with OR."""
    return _combine(parts, "OR")


def filter_value(schema: PartnerSchema, part: Filter) -> Any:
    """The zeep value of ``part`` in ``schema``."""
    if isinstance(part, Simple):
        values: dict[str, Any] = {"Property": part.property, "SimpleOperator": part.operator}
        if part.values:
            values["Value"] = list(part.values)
        if part.date_values:
            values["DateValue"] = list(part.date_values)
        return schema.new("SimpleFilterPart", **values)
    complex_values: dict[str, Any] = {
        "LeftOperand": filter_value(schema, part.left),
        "LogicalOperator": part.operator,
    }
    if part.right is not None:
        complex_values["RightOperand"] = filter_value(schema, part.right)
    if part.additional:
        complex_values["AdditionalOperands"] = {
            "Operand": [filter_value(schema, p) for p in part.additional]
        }
    return schema.new("ComplexFilterPart", **complex_values)
