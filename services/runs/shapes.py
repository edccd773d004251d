"""The shape of a shell DE: which fields a run's output needs, and which shells can take it.

A query activity writes into its target DE by column name (MCE's wrapper is ``INSERT INTO
[Target] ([a], [b]) SELECT querydef.[a], querydef.[b] FROM (...)``, REFERENCE §5.1), so a
shell fits a run when it has a field of the same name (case-insensitive, as MCE compares
names) and type for every output column, each at least as wide; further fields are harmless
(every shell field is nullable, so they stay empty). Widths are rounded up to a few steps so
that runs of similar queries share shells, and unknown widths take MCE's widest, so a shell
never truncates what the query itself would not.

A shape is described by its canonical fields (:class:`ShellField`, stored as JSON in
``mce_assets.shape_columns``) and keyed by a hash of them (``shape``): equal keys, equal
fields, for the pool's exact-match lookup.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from client.soap.specs import FieldSpec
from tsql import Column, FieldType

__all__ = [
    "ShellField",
    "conflicts",
    "fits",
    "missing_fields",
    "shape_key",
    "shell_fields",
]

#: Text widths a shell uses (MCE's Text holds at most 4,000 characters; None is unbounded
#: in MCE's UI but 4,000 is what a query can write into one).
TEXT_STEPS = (50, 100, 255, 500, 1000, 4000)
MAX_TEXT = 4000
#: Decimal: MCE allows precision up to 38; a shell takes the widest precision so only the
#: scale (digits after the point) decides fitness.
MAX_PRECISION = 38
DEFAULT_SCALE = 8
_TEXT_LIKE = (FieldType.TEXT,)


@dataclass(frozen=True, slots=True)
class ShellField:
    """One field of a shell DE. ``length`` for Text, ``scale`` for Decimal."""

    name: str
    field_type: FieldType
    length: int | None = None
    scale: int | None = None

    @property
    def key(self) -> str:
        return self.name.casefold()

    def covers(self, needed: ShellField) -> bool:
        """Whether this field can take every value ``needed`` describes."""
        if self.key != needed.key or self.field_type is not needed.field_type:
            return False
        if needed.length is not None and (self.length or 0) < needed.length:
            return False
        return not (needed.scale is not None and (self.scale or 0) < needed.scale)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.field_type.value,
            "length": self.length,
            "scale": self.scale,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShellField:
        return cls(
            name=str(data["name"]),
            field_type=FieldType(data["type"]),
            length=data.get("length"),
            scale=data.get("scale"),
        )

    def field_spec(self, ordinal: int) -> FieldSpec:
        """The SOAP field to create: nullable, never a primary key."""
        return FieldSpec(
            name=self.name,
            field_type=self.field_type.value,
            max_length=self.length,
            precision=MAX_PRECISION if self.field_type is FieldType.DECIMAL else None,
            scale=self.scale,
            is_primary_key=False,
            is_required=False,
            ordinal=ordinal,
        )


def _text_width(length: int | None) -> int:
    if length is None or length <= 0:
        return MAX_TEXT
    for step in TEXT_STEPS:
        if length <= step:
            return step
    return MAX_TEXT


def shell_field(column: Column) -> ShellField:
    """The shell field for one output column of a run (see the module doc for widths)."""
    if column.field_type in _TEXT_LIKE:
        return ShellField(column.name, column.field_type, length=_text_width(column.max_length))
    if column.field_type is FieldType.DECIMAL:
        scale = DEFAULT_SCALE if column.scale is None else max(0, min(column.scale, MAX_PRECISION))
        return ShellField(column.name, FieldType.DECIMAL, scale=scale)
    return ShellField(column.name, column.field_type)


def shell_fields(columns: Iterable[Column]) -> tuple[ShellField, ...]:
    """The fields a run writes (its output, marker and helper columns), in name order."""
    return tuple(sorted((shell_field(column) for column in columns), key=lambda f: f.key))


def shape_key(fields: Sequence[ShellField]) -> str:
    """A stable key of exactly these fields (sha256 of their canonical JSON)."""
    canonical = json.dumps(
        [field.as_json() | {"name": field.key} for field in sorted(fields, key=lambda f: f.key)],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _by_key(fields: Iterable[ShellField]) -> dict[str, ShellField]:
    return {field.key: field for field in fields}


def fits(shell: Sequence[ShellField], needed: Sequence[ShellField]) -> bool:
    """Whether a shell with fields ``shell`` can take a run needing ``needed``."""
    have = _by_key(shell)
    return all(key in have and have[key].covers(field) for key, field in _by_key(needed).items())


def conflicts(shell: Sequence[ShellField], needed: Sequence[ShellField]) -> bool:
    """Whether ``shell`` has a field of a needed name that cannot take it (another type, or
    narrower): such a shell cannot be adapted (MCE does not change a field's type)."""
    have = _by_key(shell)
    return any(
        key in have and not have[key].covers(field) for key, field in _by_key(needed).items()
    )


def missing_fields(
    shell: Sequence[ShellField], needed: Sequence[ShellField]
) -> tuple[ShellField, ...]:
    """The needed fields ``shell`` lacks by name (what adapting it adds)."""
    have = _by_key(shell)
    return tuple(field for field in needed if field.key not in have)
