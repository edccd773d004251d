"""The target DE of one BU's deployment: found by key, or created where missing when asked.

The target is looked up by CustomerKey in the BU (one Retrieve). A shared target lives in the
parent BU (REFERENCE §2.6): it is looked up, and created, through the parent with the user's
token for the parent, in its "Shared Data Extensions" folders; the activity in the child
then writes into it by key, as MCE addresses shared DEs from children.

A DE the deployment creates gets a field per output column of the query (tsql's inference:
type, length, precision and scale), the request's key fields as its primary key (required),
every other field nullable (a query may write NULL into any column it does not promise to
fill). It is created with ``create_or_find`` under its own key, after the target row
records that a create was sent: a lost answer is confirmed by key before anything is sent
again, and a retry after a failed activity finds the same DE and reuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from client.bridge import MceBridge
from client.soap.specs import FieldSpec, NewDataExtension
from services.deploy.folders import (
    DATA_EXTENSION_FOLDERS,
    SHARED_DATA_EXTENSION_FOLDERS,
    resolve_folder,
)
from services.deploy.request import TargetSpec
from tsql import Column, FieldType

__all__ = ["TargetMissing", "TargetOutcome", "create_target", "field_specs", "find_target"]

#: Text's widest field (MCE); the length used when the query's is not known.
MAX_TEXT = 4000
_LENGTH_LIMITS = {
    FieldType.TEXT: (MAX_TEXT, MAX_TEXT),
    FieldType.EMAIL_ADDRESS: (254, 254),
    FieldType.PHONE: (50, 50),
    FieldType.LOCALE: (5, 5),
}
_DECIMAL_DEFAULT = (18, 2)
_MAX_PRECISION = 38


class TargetMissing(Exception):
    """No DE with the key in the BU, and the deployment does not create it."""

    def __init__(self, key: str, *, shared: bool) -> None:
        where = "the parent business unit's shared data extensions" if shared else "this BU"
        super().__init__(f"No data extension with the key {key!r} in {where}.")
        self.message = str(self)


@dataclass(frozen=True)
class TargetOutcome:
    object_id: str
    key: str
    name: str
    created: bool = False


async def find_target(owner: MceBridge, key: str) -> TargetOutcome | None:
    """The DE ``key`` in ``owner``'s BU, or None."""
    async for de in owner.soap.data_extensions(customer_key=key):
        if de.object_id:
            return TargetOutcome(
                object_id=de.object_id, key=de.customer_key or key, name=de.name or key
            )
    return None


def _field(column: Column, *, primary_key: bool, ordinal: int) -> FieldSpec:
    field_type = column.field_type if column.type_known else FieldType.TEXT
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    if field_type in _LENGTH_LIMITS:
        default, most = _LENGTH_LIMITS[field_type]
        length = default if column.max_length is None else min(column.max_length, most)
        if not column.type_known:
            length = MAX_TEXT
    elif field_type is FieldType.DECIMAL:
        if column.precision is None:
            precision, scale = _DECIMAL_DEFAULT
        else:
            precision = min(column.precision, _MAX_PRECISION)
            scale = min(column.scale or 0, precision)
    return FieldSpec(
        name=column.name,
        field_type=field_type.value,
        max_length=length,
        precision=precision,
        scale=scale,
        is_primary_key=primary_key,
        is_required=primary_key,
        ordinal=ordinal,
    )


def field_specs(columns: Sequence[Column], primary_key: Sequence[str]) -> list[FieldSpec]:
    """The fields of a DE made for a query with output ``columns`` (see the module doc)."""
    keys = {name.casefold() for name in primary_key}
    return [
        _field(column, primary_key=column.name.casefold() in keys, ordinal=ordinal)
        for ordinal, column in enumerate(columns)
    ]


async def create_target(
    owner: MceBridge,
    *,
    spec: TargetSpec,
    columns: Sequence[Column],
    create_folders: bool,
) -> TargetOutcome:
    """Create the target in ``owner``'s BU (its folder first), or find it after a lost
    answer; ``created`` is true either way (this deployment made it)."""
    kind = SHARED_DATA_EXTENSION_FOLDERS if spec.shared else DATA_EXTENSION_FOLDERS
    folder = await resolve_folder(owner, kind=kind, path=spec.folder_path, create=create_folders)
    name = spec.name or spec.key
    made = await owner.soap.create_or_find(
        NewDataExtension(
            customer_key=spec.key,
            name=name,
            fields=field_specs(columns, spec.primary_key),
            category_id=folder.folder_id,
            description="Created by Quarry as the target of a query activity.",
        )
    )
    if not made.object_id:
        raise TargetMissing(spec.key, shared=spec.shared)
    return TargetOutcome(object_id=made.object_id, key=spec.key, name=name, created=True)
