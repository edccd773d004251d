"""Read a ``DataExtensionField`` from a request into the store's :class:`FieldSpec`.

Shared by ``DataExtension`` (its ``Fields/Field`` list) and ``DataExtensionField`` itself, so a
field is described the same way whichever object carries it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.store import FieldSpec

if TYPE_CHECKING:
    from simulator.model import Field
    from simulator.soap.objects.reader import ObjectReader

__all__ = ["read_field_spec"]


def read_field_spec(obj: ObjectReader, *, current: Field | None = None) -> FieldSpec:
    """The field described by ``obj``.

    ``current`` is the stored field when updating: an ``IsRequired`` the client did not send then
    keeps its stored value (the store applies the spec's value as given).
    """
    required = obj.boolean("IsRequired")
    if required is None:
        required = current.is_required if current is not None else False
    return FieldSpec(
        name=obj.text("Name"),
        field_type=obj.text("FieldType"),
        max_length=obj.integer("MaxLength"),
        scale=obj.integer("Scale"),
        precision=obj.integer("Precision"),
        is_required=required,
        is_primary_key=bool(obj.boolean("IsPrimaryKey")),
        default_value=obj.text("DefaultValue"),
        ordinal=obj.integer("Ordinal"),
        description=obj.text("Description") or "",
    )
